/* forms.c: test_adversary's forms group (see adversary.h): text longer
 * than the form allows is refused on every path that writes an answer or a
 * review comment (put, import, a push by sync, the review), and the shipped
 * forms refuse implausible incomes, floor areas and household sizes. Before
 * issue 11 a surveyor's 7 MB head_name was stored, and made every pull of
 * the commune fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "adversary.h"
#include "auth.h"
#include "gen.h"
#include "saola_int.h"
#include "saola/server.h"
#include "servertest.h"
#include "synctest.h"
#include "store.h"
#include "users.h"
#include "wire.h"

#define BIG ((size_t)7 << 20)   /* 7 MiB: the head_name */
#define E_HAT "\xe1\xbb\x85"    /* "ễ": one character, three bytes */

/* count copies of unit; free() it. */
static char *repeated(const char *unit, size_t count)
{
	size_t n = strlen(unit), i;
	char *s = malloc(n * count + 1);

	assert_non_null(s);
	for (i = 0; i < count; i++)
		memcpy(s + i * n, unit, n);
	s[n * count] = '\0';
	return s;
}

/* A generated household of commune 14404, surveyed in 2024 (the generator's default). */
static json_t *household(unsigned seed)
{
	saola_gen *g = saola_gen_new(seed);
	saola_gen_opts o;
	json_t *h;

	assert_non_null(g);
	memset(&o, 0, sizeof o);
	o.commune = "14404";
	assert_non_null(h = saola_gen_household(g, &o));
	saola_gen_free(g);
	return h;
}

/* The constraint message of field name (any depth) of form def, in lang. */
static const char *field_message(json_t *fields, const char *name, const char *lang)
{
	json_t *fd;
	const char *m;
	size_t i;

	json_array_foreach(fields, i, fd) {
		if (strcmp(json_string_value(json_object_get(fd, "name")), name) == 0)
			return json_string_value(json_object_get(
			        json_object_get(fd, "constraint_message"), lang));
		if ((m = field_message(json_object_get(fd, "fields"), name, lang)) != NULL)
			return m;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* A long answer on the device: saola put (new and edit) and import     */

enum how { PUT_NEW, PUT_EDIT, IMPORT };

static void test_long_answer_device(void **state)
{
	static const struct {
		enum how how;
		const char *field;     /* "members" for the first member's name */
		const char *unit;
		size_t count;
		const char *err;       /* NULL: accepted */
	} cases[] = {
		/* the head's name is member 1's (household 2026.2 computes
		 * head_name from it): the 7 MB name goes there */
		{PUT_NEW, "members", "x", BIG,
		 "members[0].name: text of 7340032 characters is longer than the form's maximum "
		 "of 100"},
		{PUT_NEW, "members", E_HAT, 100, NULL},
		{PUT_NEW, "members", E_HAT, 101,
		 "members[0].name: text of 101 characters is longer than the form's maximum of 100"},
		/* a value sent for the computed head_name is dropped, never stored */
		{PUT_NEW, "head_name", "x", BIG, NULL},
		{PUT_EDIT, "members", "x", BIG,
		 "members[0].name: text of 7340032 characters is longer than the form's maximum "
		 "of 100"},
		{PUT_EDIT, "village", "v", 101,
		 "village: text of 101 characters is longer than the form's maximum of 100"},
		{PUT_EDIT, "village", "v", 100, NULL},
		{IMPORT, "members", "x", BIG,
		 "line 2: members[0].name: text of 7340032 characters is longer than the form's "
		 "maximum of 100"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *dir = tu_tmpdir("adv-forms"), *path = tu_path(dir, "d.db");
		char *text = repeated(cases[i].unit, cases[i].count), id[37] = "", out[512], err[1024];
		json_t *h = household(100 + (unsigned)i), *edit = NULL;
		saola *db = tu_open(path, 1);
		uint64_t before;
		int rc;

		if (cases[i].how == PUT_EDIT && strcmp(cases[i].field, "members") == 0) {
			assert_int_equal(saola_put(db, "household", NULL, h, id), SAOLA_OK);
			edit = st_head_edit(db, id, text);
		} else if (cases[i].how == PUT_EDIT) {
			assert_int_equal(saola_put(db, "household", NULL, h, id), SAOLA_OK);
			edit = json_pack("{s:s}", cases[i].field, text);
		} else if (strcmp(cases[i].field, "members") == 0) {
			json_object_set_new(json_array_get(json_object_get(h, "members"), 0), "name",
			                    json_string(text));
		} else {
			json_object_set_new(h, cases[i].field, json_string(text));
		}
		before = tu_content_hash(path);
		if (cases[i].how == IMPORT) {
			/* a good line, then the long one: all or nothing */
			const char *file = tu_path(dir, "in.jsonl");
			json_t *good = household(900);
			FILE *fp = fopen(file, "w");

			assert_non_null(fp);
			assert_int_equal(json_dumpf(good, fp, JSON_COMPACT), 0);
			fputc('\n', fp);
			assert_int_equal(json_dumpf(h, fp, JSON_COMPACT), 0);
			fputc('\n', fp);
			assert_int_equal(fclose(fp), 0);
			json_decref(good);
			saola_close(db);
			db = NULL;
			rc = tu_runf(out, sizeof out, err, sizeof err, "%s import --db %s --form household %s",
			             tu_bin("saola"), path, file);
			if (rc != 1 || !strstr(err, cases[i].err))
				fail_msg("case %zu: import: exit %d: %s", i, rc, err);
		} else {
			rc = saola_put(db, "household", cases[i].how == PUT_EDIT ? id : NULL,
			               edit ? edit : h, cases[i].how == PUT_EDIT ? NULL : id);
			if (cases[i].err ? rc != SAOLA_INVALID || strcmp(saola_errmsg(db), cases[i].err)
			                 : rc != SAOLA_OK)
				fail_msg("case %zu: put: rc %d: %s", i, rc, saola_errmsg(db));
		}
		if (cases[i].err)
			assert_true(tu_content_hash(path) == before); /* nothing written */
		else
			assert_true(tu_content_hash(path) != before);
		if (!cases[i].err && strcmp(cases[i].field, "head_name") == 0) {
			json_t *rec = NULL, *d;

			assert_int_equal(saola_get(db, id, &rec), SAOLA_OK);
			d = json_object_get(rec, "data");
			assert_true(json_equal(json_object_get(d, "head_name"), json_object_get(
			            json_array_get(json_object_get(d, "members"), 0), "name")));
			json_decref(rec);
		}
		saola_close(db);
		json_decref(h);
		json_decref(edit);
		free(text);
		tu_rmtree(dir);
	}
}

/* ------------------------------------------------------------------ */
/* A long answer or comment pushed by sync                              */

typedef struct server_fx {
	char dir[512], db[1024], url[64];
	saola_server *srv;
	saola__store *st;
	char alice[SAOLA__TOKEN_HEX + 1];   /* surveyor of commune 14404 */
	char carol[SAOLA__TOKEN_HEX + 1];   /* commune officer of 14404 */
} server_fx;

static void server_start(server_fx *fx)
{
	saola__err e;

	memset(fx, 0, sizeof *fx);
	snprintf(fx->dir, sizeof fx->dir, "%s", tu_tmpdir("adv-forms-server"));
	snprintf(fx->db, sizeof fx->db, "%s/server.db", fx->dir);
	/* the default body limits: 8 MiB sent, 16 MiB inflated */
	fx->srv = sv_start(fx->db, 2, fx->url, sizeof fx->url);
	fx->st = sv_store(fx->db);
	if (saola__user_create(fx->st, "alice", "surveyor", "14404", fx->alice, &e) != 0 ||
	    saola__user_create(fx->st, "carol", "commune", "14404", fx->carol, &e) != 0)
		fail_msg("user add: %s", e.message);
}

static void server_stop(server_fx *fx)
{
	saola_server_stop(fx->srv);
	saola__store_close(fx->st);
	tu_rmtree(fx->dir);
}

/* POSTs one change, gzip-compressed, as batch from device with token. */
static sv_resp push(server_fx *fx, const char *token, const char *device, const char *batch,
                    json_t *change)
{
	json_t *req = sv_request(batch, device, 0, 0, json_pack("[o]", change));
	char *text = json_dumps(req, JSON_COMPACT);
	unsigned char *z = NULL;
	size_t zlen = 0;
	sv_resp r;

	assert_non_null(text);
	assert_int_equal(saola__gzip(text, strlen(text), &z, &zlen), SAOLA_OK);
	r = sv_http(fx->url, "POST", "/v1/sync", token, "gzip", z, zlen, 0);
	free(text);
	free(z);
	json_decref(req);
	return r;
}

enum change { NEW_HEAD, NEW_MEMBER, EDIT };

static void test_long_answer_sync(void **state)
{
	static const struct {
		int officer;           /* pushed by carol (commune) rather than alice */
		enum change change;
		const char *path;      /* of an EDIT */
		int counter;           /* of an EDIT's version; 0: 10 + its row */
		const char *unit;
		size_t count;
		const char *err;       /* NULL: applied */
	} cases[] = {
		/* the head's name is member 1's: household 2026.2 computes
		 * head_name from it, and drops a value sent for head_name */
		{0, NEW_MEMBER, NULL, 0, "x", BIG,
		 ": members.00000001.name: text of 7340032 characters is longer than the form's "
		 "maximum of 100"},
		{0, NEW_MEMBER, NULL, 0, E_HAT, 101,
		 ": members.00000001.name: text of 101 characters is longer than the form's maximum "
		 "of 100"},
		{0, NEW_HEAD, NULL, 0, "x", BIG, NULL},
		{0, EDIT, SV_HEAD_PATH, 0, "x", BIG,
		 ": members.00000001.name: text of 7340032 characters is longer than the form's "
		 "maximum of 100"},
		{0, EDIT, SV_HEAD_PATH, 0, E_HAT, 101,
		 ": members.00000001.name: text of 101 characters is longer than the form's maximum "
		 "of 100"},
		{0, EDIT, SV_HEAD_PATH, 0, E_HAT, 100, NULL},
		/* an older edit, which loses to the stored value: not kept in the
		 * conflict log either */
		{0, EDIT, SV_HEAD_PATH, 2, "x", BIG,
		 ": members.00000001.name: text of 7340032 characters is longer than the form's "
		 "maximum of 100"},
		{0, EDIT, "head_name", 0, "x", BIG, NULL},   /* computed: dropped */
		{0, EDIT, "head_name", 2, "x", BIG, NULL},   /* and when it would lose */
		{1, EDIT, "_comment", 0, "c", BIG,
		 ": _comment: text of 7340032 characters is longer than the form's maximum of 2000"},
		{1, EDIT, "_comment", 0, E_HAT, 2001,
		 ": _comment: text of 2001 characters is longer than the form's maximum of 2000"},
		{1, EDIT, "_comment", 0, E_HAT, 2000, NULL},
	};
	server_fx fx;
	saola_gen *g;
	char stored[37], id[37], batch[32];
	json_t *change;
	sv_resp r;
	size_t i;

	(void)state;
	server_start(&fx);
	assert_non_null(g = saola_gen_new(11));
	r = push(&fx, fx.alice, "dev-a", "setup", sv_household(g, "14404", stored));
	assert_int_equal(r.status, 200);
	sv_resp_free(&r);
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *text = repeated(cases[i].unit, cases[i].count);
		uint64_t before = tu_content_hash(fx.db);

		if (cases[i].change == EDIT && strcmp(cases[i].path, SV_HEAD_PATH) == 0) {
			change = sv_head_edit(stored, text,
			                      cases[i].counter ? cases[i].counter : 10 + (int)i, 1,
			                      "dev-a");
		} else if (cases[i].change == EDIT) {
			change = sv_edit(stored, cases[i].path, text,
			                 cases[i].counter ? cases[i].counter : 10 + (int)i, 1, "dev-a");
		} else {
			change = sv_household(g, "14404", id);
			if (cases[i].change == NEW_HEAD)
				json_object_set_new(json_object_get(change, "d"), "head_name",
				                    json_string(text));
			else
				json_object_set_new(json_array_get(json_object_get(json_object_get(
				        change, "d"), "members"), 0), "name", json_string(text));
		}
		snprintf(batch, sizeof batch, "b-%zu", i);
		r = push(&fx, cases[i].officer ? fx.carol : fx.alice,
		         cases[i].officer ? "dev-c" : "dev-a", batch, change);
		if (cases[i].err) {
			if (r.status != 400 || !sv_error_code(&r) ||
			    strcmp(sv_error_code(&r), "invalid_record") != 0 || !strstr(r.body, cases[i].err))
				fail_msg("case %zu: %ld %s", i, r.status, r.body ? r.body : "");
			assert_true(tu_content_hash(fx.db) == before); /* nothing applied */
		} else {
			/* an edit of head_name alone changes nothing: nothing applied,
			 * nothing logged */
			int dropped = cases[i].path && strcmp(cases[i].path, "head_name") == 0;

			if (r.status != 200 || sv_jint(r.json, "applied") != !dropped ||
			    sv_jint(r.json, "conflicts") != 0)
				fail_msg("case %zu: %ld %s", i, r.status, r.body ? r.body : "");
			if (!dropped)
				assert_true(tu_content_hash(fx.db) != before);
			/* a long head_name, dropped, is kept nowhere */
			assert_int_equal(tu_count(fx.db, "SELECT (SELECT count(*) FROM records WHERE"
			                 " length(data) > 100000) + (SELECT count(*) FROM conflicts WHERE"
			                 " length(lost_value) > 100000 OR length(kept_value) > 100000)"
			                 " + (SELECT count(*) FROM audit WHERE length(value) > 100000)"), 0);
		}
		sv_resp_free(&r);
		free(text);
	}
	/* The officers' review route: a comment over the maximum is the
	 * request's fault (400 invalid_record), not a wrong move (409). */
	r = push(&fx, fx.alice, "dev-a", "submit", sv_edit(stored, "_state", "submitted", 100, 1,
	                                                   "dev-a"));
	assert_int_equal(r.status, 200);
	sv_resp_free(&r);
	for (i = 0; i < 2; i++) {
		char *text = repeated(E_HAT, i == 0 ? 2001 : 20), path[128];
		json_t *body = json_pack("{s:s, s:s}", "action", "return", "comment", text);
		char *b = json_dumps(body, JSON_COMPACT);

		snprintf(path, sizeof path, "/v1/records/%s/review", stored);
		r = sv_http(fx.url, "POST", path, fx.carol, NULL, b, strlen(b), 0);
		if (i == 0 && (r.status != 400 || !sv_error_code(&r) ||
		               strcmp(sv_error_code(&r), "invalid_record") != 0 ||
		               !strstr(r.body, "_comment: text of 2001 characters is longer than")))
			fail_msg("review, long comment: %ld %.300s", r.status, r.body ? r.body : "");
		if (i == 1 && r.status != 200)
			fail_msg("review: %ld %.300s", r.status, r.body ? r.body : "");
		sv_resp_free(&r);
		free(b);
		free(text);
		json_decref(body);
	}
	/* The commune's pulls go on: nothing stored is too big to send (the
	 * household stored, and the one made with a long head_name, dropped). */
	{
		json_t *req = sv_request(NULL, "dev-c", 0, 100, NULL);
		char *body = json_dumps(req, JSON_COMPACT);

		r = sv_http(fx.url, "POST", "/v1/sync", fx.carol, NULL, body, strlen(body), 0);
		if (r.status != 200 || json_array_size(json_object_get(r.json, "records")) != 2)
			fail_msg("pull: %ld %.300s", r.status, r.body ? r.body : "");
		sv_resp_free(&r);
		free(body);
		json_decref(req);
	}
	saola_gen_free(g);
	server_stop(&fx);
}

/* A device's edit out of its field's own range is refused like a new
 * record would be (it was kept, with an issue); a district server relays
 * what its devices made, and a merge of valid edits may still fail a
 * constraint that reads other answers: that stays an issue. */
static void test_range_by_sync(void **state)
{
	static const struct {
		int district;          /* pushed by dave (district 372), a relay */
		const char *path;
		json_int_t value;
		const char *err;       /* NULL: applied */
	} cases[] = {
		{0, "income_per_capita", 1350000000,
		 ": income_per_capita: constraint failed"},
		{0, "house_area_m2", 5000, ": house_area_m2: constraint failed"},
		{0, "house_area_m2", 0, ": house_area_m2: constraint failed"},
		{0, "income_per_capita", 1500000, NULL},
		{0, "house_area_m2", 1000, NULL},
		{1, "income_per_capita", 1350000000, NULL},
	};
	server_fx fx;
	saola_gen *g;
	saola__err e;
	char stored[37], batch[32], dave[SAOLA__TOKEN_HEX + 1];
	json_t *change;
	sv_resp r;
	size_t i;

	(void)state;
	server_start(&fx);
	if (saola__user_create(fx.st, "dave", "district", "372", dave, &e) != 0)
		fail_msg("user add: %s", e.message);
	assert_non_null(g = saola_gen_new(12));
	r = push(&fx, fx.alice, "dev-a", "setup", sv_household(g, "14404", stored));
	assert_int_equal(r.status, 200);
	sv_resp_free(&r);
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		uint64_t before = tu_content_hash(fx.db);

		change = sv_edit(stored, cases[i].path, "x", 10 + (int)i, 1, "dev-a");
		json_object_set_new(json_object_get(change, "d"), cases[i].path,
		                    json_integer(cases[i].value));
		snprintf(batch, sizeof batch, "range-%zu", i);
		r = push(&fx, cases[i].district ? dave : fx.alice,
		         cases[i].district ? "dev-d" : "dev-a", batch, change);
		if (cases[i].err) {
			if (r.status != 400 || !sv_error_code(&r) ||
			    strcmp(sv_error_code(&r), "invalid_record") != 0 || !strstr(r.body, cases[i].err))
				fail_msg("case %zu: %ld %s", i, r.status, r.body ? r.body : "");
			assert_true(tu_content_hash(fx.db) == before); /* nothing applied */
		} else if (r.status != 200 || sv_jint(r.json, "applied") != 1) {
			fail_msg("case %zu: %ld %s", i, r.status, r.body ? r.body : "");
		}
		sv_resp_free(&r);
	}
	saola_gen_free(g);
	server_stop(&fx);
}

/* ------------------------------------------------------------------ */
/* A long review comment: saola_set_state and saola__review_write       */

enum review { DEVICE_SUBMIT, SERVER_RETURN, SERVER_WRITE };

static void test_long_comment_review(void **state)
{
	static const struct {
		enum review how;
		const char *unit;
		size_t count;
		int refused;
	} cases[] = {
		{DEVICE_SUBMIT, E_HAT, 2000, 0},
		{DEVICE_SUBMIT, E_HAT, 2001, 1},
		{SERVER_RETURN, "c", BIG, 1},
		{SERVER_RETURN, "c", 2000, 0},
		{SERVER_WRITE, E_HAT, 2001, 1},   /* the officer routes' write */
		{SERVER_WRITE, "c", BIG, 1},
		{SERVER_WRITE, E_HAT, 2000, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *dir = tu_tmpdir("adv-forms-review"), *path = tu_path(dir, "r.db");
		char *text = repeated(cases[i].unit, cases[i].count), id[37], want[256];
		json_t *h = household(200 + (unsigned)i), *rec = NULL;
		saola *db = NULL;
		uint64_t before;
		int rc;

		assert_int_equal(saola_open(path, SAOLA_OPEN_CREATE |
		                 (cases[i].how == DEVICE_SUBMIT ? 0 : SAOLA_OPEN_SERVER), &db),
		                 SAOLA_OK);
		assert_int_equal(saola_forms_load_dir(db, SAOLA_TEST_SCHEMAS, NULL), SAOLA_OK);
		assert_int_equal(saola_put(db, "household", NULL, h, id), SAOLA_OK);
		if (cases[i].how != DEVICE_SUBMIT)
			assert_int_equal(saola_set_state(db, id, "submitted", NULL), SAOLA_OK);
		before = tu_content_hash(path);
		if (cases[i].how == SERVER_WRITE) {
			assert_int_equal(saola__write_begin(db, "review"), SAOLA_OK);
			rc = saola__review_write(db, id, NULL, text);
			saola__write_end(db, "review", rc == SAOLA_OK);
		} else {
			rc = saola_set_state(db, id, cases[i].how == DEVICE_SUBMIT ? "submitted"
			                                                           : "returned", text);
		}
		if (cases[i].refused) {
			snprintf(want, sizeof want, "review: record %s: _comment: text of %zu characters "
			         "is longer than the form's maximum of 2000", id, cases[i].count);
			if (rc != SAOLA_LIMIT || strcmp(saola_errmsg(db), want) != 0)
				fail_msg("case %zu: rc %d: %s", i, rc, saola_errmsg(db));
			assert_true(tu_content_hash(path) == before);
		} else {
			if (rc != SAOLA_OK)
				fail_msg("case %zu: rc %d: %s", i, rc, saola_errmsg(db));
			assert_int_equal(saola_get(db, id, &rec), SAOLA_OK);
			assert_string_equal(json_string_value(json_object_get(rec, "comment")), text);
			json_decref(rec);
		}
		saola_close(db);
		json_decref(h);
		free(text);
		tu_rmtree(dir);
	}
}

/* ------------------------------------------------------------------ */
/* Plausible ranges of the shipped forms                                */

static void test_shipped_ranges(void **state)
{
	static const char quick[] =
		"{\"province\":\"37\",\"district\":\"372\",\"commune\":\"14404\",\"village\":\"Tổ 1\","
		"\"area\":\"rural\",\"survey_year\":2024,\"head_name\":\"Trần Thị Bình\","
		"\"household_size\":5,\"listed_as\":\"request\",\"salary_pension_total\":0,"
		"\"has_car\":false,\"house_durable\":false,\"high_value_assets\":false}";
	static const char house[] = "{\"has_house\":true,\"walls_durable\":true,"
		"\"frame_durable\":true,\"roof_durable\":true,";
	static const struct {
		const char *form;
		const char *patch;     /* fields replaced (household: of a generated one) */
		int members;           /* household: its first member that many times; -1 as is */
		const char *field;     /* refused: the field, whose message in */
		const char *vi;        /* Vietnamese is this; NULL: accepted */
		const char *en;
	} cases[] = {
		{"household", "{\"income_per_capita\":1350000000}", -1, "income_per_capita",
		 "Thu nhập bình quân phải từ 0 đến 100.000.000 đồng/người/tháng",
		 "must be between 0 and 100,000,000 VND per person per month"},
		{"household", "{\"income_per_capita\":-1}", -1, "income_per_capita",
		 "Thu nhập bình quân phải từ 0 đến 100.000.000 đồng/người/tháng",
		 "must be between 0 and 100,000,000 VND per person per month"},
		{"household", "{\"income_per_capita\":100000000}", -1, NULL, NULL, NULL},
		{"household", "{\"income_per_capita\":0}", -1, NULL, NULL, NULL},
		{"household", "%s\"house_area_m2\":5000}", -1, "house_area_m2",
		 "Diện tích phải từ 1 đến 1.000 m²", "must be between 1 and 1,000 m²"},
		{"household", "%s\"house_area_m2\":0.5}", -1, "house_area_m2",
		 "Diện tích phải từ 1 đến 1.000 m²", "must be between 1 and 1,000 m²"},
		{"household", "%s\"house_area_m2\":1000}", -1, NULL, NULL, NULL},
		{"household", "%s\"house_area_m2\":1}", -1, NULL, NULL, NULL},
		{"household", "{}", 31, "members", "Hộ phải có từ 1 đến 30 thành viên",
		 "must have 1 to 30 members"},
		{"household", "{}", 0, "members", NULL, "required"},
		{"household", "{}", 30, NULL, NULL, NULL},
		{"household", "{}", 1, NULL, NULL, NULL},
		{"quick_id", "{\"household_size\":31}", -1, "household_size",
		 "Số người trong hộ phải từ 1 đến 30", "must be between 1 and 30"},
		{"quick_id", "{\"household_size\":0}", -1, "household_size",
		 "Số người trong hộ phải từ 1 đến 30", "must be between 1 and 30"},
		{"quick_id", "{\"household_size\":30}", -1, NULL, NULL, NULL},
		{"quick_id", "{\"salary_pension_total\":3000000001}", -1, "salary_pension_total",
		 "Số tiền phải từ 0 đến 3.000.000.000 đồng/tháng",
		 "must be between 0 and 3,000,000,000 VND per month"},
		{"quick_id", "{\"salary_pension_total\":3000000000}", -1, NULL, NULL, NULL},
		{"quick_id", "{\"house_durable\":true,\"house_area_m2\":5000}", -1, "house_area_m2",
		 "Diện tích phải từ 1 đến 1.000 m²", "must be between 1 and 1,000 m²"},
		{"quick_id", "{\"house_durable\":true,\"house_area_m2\":1000}", -1, NULL, NULL, NULL},
	};
	const char *dir = tu_tmpdir("adv-forms-ranges"), *path = tu_path(dir, "q.db");
	saola *db = tu_open(path, 1);
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		int household_form = strcmp(cases[i].form, "household") == 0;
		json_t *rec = household_form ? household(300 + (unsigned)i) : tu_json(quick);
		json_t *def = NULL, *patch;
		char text[256], want[512], id[37];
		int rc;

		snprintf(text, sizeof text, cases[i].patch, house);
		patch = tu_json(text);
		json_object_update(rec, patch);
		if (cases[i].members >= 0) {
			json_t *first = json_array_get(json_object_get(rec, "members"), 0);
			json_t *list = json_array();

			/* one head, member 1: the copies are its relatives */
			for (k = 0; k < cases[i].members; k++) {
				json_t *m = json_deep_copy(first);

				if (k > 0)
					json_object_set_new(m, "relation", json_string("other"));
				json_array_append_new(list, m);
			}
			json_object_set_new(rec, "members", list);
		}
		rc = saola_put(db, cases[i].form, NULL, rec, id);
		if (!cases[i].field) {
			if (rc != SAOLA_OK)
				fail_msg("case %zu: rc %d: %s", i, rc, saola_errmsg(db));
		} else {
			if (cases[i].vi)
				snprintf(want, sizeof want, "%s: constraint failed: %s", cases[i].field,
				         cases[i].en);
			else
				snprintf(want, sizeof want, "%s: %s", cases[i].field, cases[i].en);
			if (rc != SAOLA_INVALID || strcmp(saola_errmsg(db), want) != 0)
				fail_msg("case %zu: rc %d: \"%s\", expected \"%s\"", i, rc,
				         saola_errmsg(db), want);
		}
		/* The surveyor reads the message in Vietnamese. */
		if (cases[i].vi) {
			assert_int_equal(saola_form_get(db, cases[i].form, &def), SAOLA_OK);
			assert_string_equal(field_message(json_object_get(def, "fields"),
			                                  cases[i].field, "vi"), cases[i].vi);
			json_decref(def);
		}
		json_decref(patch);
		json_decref(rec);
	}
	saola_close(db);
	tu_rmtree(dir);
}

int adversary_forms(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_answer_device),
		cmocka_unit_test(test_long_answer_sync),
		cmocka_unit_test(test_range_by_sync),
		cmocka_unit_test(test_long_comment_review),
		cmocka_unit_test(test_shipped_ranges),
	};
	return cmocka_run_group_tests_name("forms", tests, NULL, NULL);
}
