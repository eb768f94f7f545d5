/* test_privacy.c: personal fields (marked "personal": true in the forms)
 * in what leaves the server, with saola-server in process on 127.0.0.1:
 * households.csv and the conflicts for each role, with and without
 * ?personal=1 and the permission "personal"; the columns following the
 * form's marks; the sync and bundle rule for replicas; the permission
 * commands. Every answer that must not hold a name is searched for every
 * name the test's households and edits carry. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "testutil.h"
#include "pgtest.h"
#include "servertest.h"
#include "gen.h"
#include "bundle.h"
#include "permissions.h"
#include "saola/server.h"
#include "store.h"
#include "users.h"

#define SERVER_BIN SAOLA_TEST_BINDIR "/server/saola-server"
#define COMMUNE "14404"      /* in district 372 of province 37 */
#define NHOUSEHOLDS 5
#define TOK (SAOLA__TOKEN_HEX + 1)

typedef struct fixture {
	char dir[512], db[600], url[64];
	saola_server *srv;
	saola__store *st;        /* a second connection: users, forms */
	saola_gen *gen;
	char commune[TOK];       /* commune officer of 14404 */
	char surveyor[TOK];      /* surveyor of 14404 */
	char district[TOK];      /* district officer of 372, no permission */
	char district_p[TOK];    /* district officer of 372, permission personal */
	char province[TOK];      /* province officer of 37, no permission */
	char admin[TOK];         /* admin, no permission */
	json_t *ids;             /* the households' record ids */
	json_t *heads;           /* their heads' names */
	json_t *names;           /* every name: heads, members, the edits' values */
} fixture;

static void add_user(fixture *fx, const char *name, const char *role, const char *area,
                     const char *allow, char token[TOK])
{
	saola__err e;

	if (saola__user_create(fx->st, name, role, area, token, &e) != 0)
		fail_msg("user add %s: %s", name, e.message);
	if (allow && saola__user_permit(fx->st, name, allow, 1, NULL, &e) != 0)
		fail_msg("user grant %s: %s", name, e.message);
}

static sv_resp get(fixture *fx, const char *path, const char *token)
{
	return sv_http(fx->url, "GET", path, token, NULL, NULL, 0, 0);
}

static sv_resp post(fixture *fx, const char *path, const char *token, const json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	sv_resp r;

	assert_non_null(text);
	r = sv_http(fx->url, "POST", path, token, NULL, text, strlen(text), 0);
	free(text);
	return r;
}

/* Pushes changes (taken) as one batch of device, with the commune's token. */
static sv_resp push(fixture *fx, const char *batch, const char *device, json_t *changes)
{
	json_t *req = sv_request(batch, device, 0, 0, changes);
	sv_resp r = post(fx, "/v1/sync", fx->commune, req);

	json_decref(req);
	return r;
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	json_t *changes = json_array(), *c, *m;
	saola_server_opts o;
	char err[512], id[37];
	size_t i, k;
	sv_resp r;

	assert_non_null(fx);
	assert_non_null(changes);
	snprintf(fx->dir, sizeof fx->dir, "%s", tu_tmpdir("privacy"));
	snprintf(fx->db, sizeof fx->db, "%s", pgt_db(tu_path(fx->dir, "server.db")));
	memset(&o, 0, sizeof o);
	o.db_path = fx->db;
	o.listen = "127.0.0.1:0";
	o.schemas = SAOLA_TEST_SCHEMAS;
	o.threads = 2;
	if (saola_server_start(&o, &fx->srv) != SAOLA_OK)
		fail_msg("server start: %s", saola_server_errmsg(fx->srv));
	snprintf(fx->url, sizeof fx->url, "http://127.0.0.1:%d", saola_server_port(fx->srv));
	if (saola__store_open(fx->db, NULL, 0, &fx->st, err, sizeof err) != SAOLA_OK)
		fail_msg("store open: %s", err);
	add_user(fx, "xa-14404", "commune", COMMUNE, NULL, fx->commune);
	add_user(fx, "ks-14404", "surveyor", COMMUNE, NULL, fx->surveyor);
	add_user(fx, "huyen-372", "district", "372", NULL, fx->district);
	add_user(fx, "huyen-372-p", "district", "372", "personal", fx->district_p);
	add_user(fx, "tinh-37", "province", "37", NULL, fx->province);
	add_user(fx, "quan-tri", "admin", NULL, NULL, fx->admin);
	assert_non_null(fx->gen = saola_gen_new(41));
	assert_non_null(fx->ids = json_array());
	assert_non_null(fx->heads = json_array());
	assert_non_null(fx->names = json_array());
	for (i = 0; i < NHOUSEHOLDS; i++) {
		c = sv_household(fx->gen, COMMUNE, id);
		json_array_append_new(fx->ids, json_string(id));
		json_array_append(fx->heads, json_object_get(json_object_get(c, "d"), "head_name"));
		json_array_append(fx->names, json_object_get(json_object_get(c, "d"), "head_name"));
		json_array_foreach(json_object_get(json_object_get(c, "d"), "members"), k, m)
			json_array_append(fx->names, json_object_get(m, "name"));
		json_array_append_new(changes, c);
	}
	r = push(fx, "b-households", "dev-a", changes);
	assert_int_equal(r.status, 200);
	assert_int_equal(sv_jint(r.json, "applied"), NHOUSEHOLDS);
	sv_resp_free(&r);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;

	saola_server_stop(fx->srv);
	saola__store_close(fx->st);
	saola_gen_free(fx->gen);
	json_decref(fx->ids);
	json_decref(fx->heads);
	json_decref(fx->names);
	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* Fails when any name of fx appears in body. */
static void assert_no_name(const fixture *fx, const sv_resp *r, const char *what)
{
	json_t *n;
	size_t i;

	assert_non_null(r->body);
	json_array_foreach(fx->names, i, n)
		if (strstr(r->body, json_string_value(n)))
			fail_msg("%s: the answer holds the name \"%s\"", what, json_string_value(n));
}

/* Fails unless every head's name appears in body. */
static void assert_heads(const fixture *fx, const sv_resp *r, const char *what)
{
	json_t *n;
	size_t i;

	json_array_foreach(fx->heads, i, n)
		if (!strstr(r->body, json_string_value(n)))
			fail_msg("%s: the name \"%s\" is missing", what, json_string_value(n));
}

/* The CSV's header line, into buf. */
static const char *header(const sv_resp *r, char *buf, size_t len)
{
	const char *start = r->body, *end;

	assert_non_null(start);
	if (strncmp(start, "\xef\xbb\xbf", 3) == 0)
		start += 3;
	end = strstr(start, "\r\n");
	assert_non_null(end);
	snprintf(buf, len, ",%.*s,", (int)(end - start), start);
	return buf;
}

static int has_column(const sv_resp *r, const char *name)
{
	char line[2048], col[80];

	snprintf(col, sizeof col, ",%s,", name);
	return strstr(header(r, line, sizeof line), col) != NULL;
}

static long rows(const sv_resp *r)
{
	long n = 0;
	size_t i;

	for (i = 0; i < r->len; i++)
		n += r->body[i] == '\n';
	return n - 1;
}

/* An answer of status with the error code code whose message names want. */
static void assert_refused(const sv_resp *r, long status, const char *code, const char *want)
{
	const char *msg;

	if (r->status != status)
		fail_msg("status %ld, expected %ld: %s", r->status, status, r->body ? r->body : "");
	assert_string_equal(sv_error_code(r), code);
	msg = json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
	assert_non_null(msg);
	if (!strstr(msg, want))
		fail_msg("message \"%s\" does not say \"%s\"", msg, want);
}

/* ------------------------------------------------------------------ */
/* GET /v1/households.csv                                              */

static void test_households_csv(void **state)
{
	fixture *fx = *state;
	static const struct {
		const char *who, *query;
		long status;
		int names;       /* the heads' names are in the answer */
	} cases[] = {
		{"district", "", 200, 0},
		{"district", "&personal=0", 200, 0},
		{"district", "&personal=1", 403, 0},
		{"district_p", "", 200, 0},           /* not asked */
		{"district_p", "&personal=1", 200, 1},
		{"province", "", 200, 0},
		{"province", "&personal=1", 403, 0},
		{"admin", "", 200, 0},
		{"admin", "&personal=1", 403, 0},
		{"commune", "", 200, 1},
		{"commune", "&personal=1", 200, 1},
		{"commune", "&personal=yes", 400, 0},
		{"district", "&personal=true", 400, 0},
		{"surveyor", "&personal=1", 403, 0},  /* officers' data */
	};
	char path[128], what[160];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *who = cases[i].who;
		const char *tok = strcmp(who, "district") == 0 ? fx->district
		                : strcmp(who, "district_p") == 0 ? fx->district_p
		                : strcmp(who, "province") == 0 ? fx->province
		                : strcmp(who, "admin") == 0 ? fx->admin
		                : strcmp(who, "commune") == 0 ? fx->commune : fx->surveyor;
		sv_resp r;

		snprintf(path, sizeof path, "/v1/households.csv?year=2024%s", cases[i].query);
		snprintf(what, sizeof what, "case %zu: %s %s", i, who, path);
		r = get(fx, path, tok);
		if (r.status != cases[i].status)
			fail_msg("%s: status %ld, expected %ld: %s", what, r.status, cases[i].status,
			         r.body ? r.body : "");
		if (r.status == 403 && strcmp(who, "surveyor") != 0)
			assert_refused(&r, 403, "forbidden", "permission \"personal\"");
		if (r.status == 400)
			assert_refused(&r, 400, "bad_request", "personal");
		if (r.status == 200) {
			assert_int_equal(rows(&r), NHOUSEHOLDS);
			assert_true(has_column(&r, "income_per_capita"));
			assert_true(has_column(&r, "village"));
			if (cases[i].names) {
				assert_true(has_column(&r, "head_name"));
				assert_heads(fx, &r, what);
			} else {
				if (has_column(&r, "head_name"))
					fail_msg("%s: a head_name column", what);
				assert_no_name(fx, &r, what);
			}
		} else {
			assert_no_name(fx, &r, what);
		}
		sv_resp_free(&r);
	}
}

/* ------------------------------------------------------------------ */
/* The columns follow the form's marks, not a list in the server       */

/* Sets "personal" on field name among fields (groups and repeats too). */
static int mark(json_t *fields, const char *name, int personal)
{
	json_t *f;
	size_t i;

	json_array_foreach(fields, i, f) {
		if (strcmp(json_string_value(json_object_get(f, "name")), name) == 0) {
			json_object_set_new(f, "personal", json_boolean(personal));
			return 1;
		}
		if (json_object_get(f, "fields") && mark(json_object_get(f, "fields"), name, personal))
			return 1;
	}
	return 0;
}

/* Copies every file of the folder from to the folder to. */
static void copy_dir(const char *from, const char *to)
{
	char cmd[2048], out[256], err[512];

	snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s'/*.json '%s'/", to, from, to);
	if (tu_run(cmd, out, sizeof out, err, sizeof err) != 0)
		fail_msg("%s: %s", cmd, err);
}

static void test_form_marks(void **state)
{
	fixture *fx = *state;
	char schemas[700], forms[800], standards[800];
	json_t *def;
	int n = 0;
	sv_resp r;

	/* The household form again, head_name no longer personal and the
	 * income personal instead. */
	snprintf(schemas, sizeof schemas, "%s/schemas", fx->dir);
	snprintf(forms, sizeof forms, "%s/forms", schemas);
	snprintf(standards, sizeof standards, "%s/standards", schemas);
	copy_dir(SAOLA_TEST_SCHEMAS "/forms", forms);
	copy_dir(SAOLA_TEST_SCHEMAS "/standards", standards);
	def = json_load_file(tu_path(forms, "household.json"), 0, NULL);
	assert_non_null(def);
	assert_true(mark(json_object_get(def, "fields"), "head_name", 0));
	assert_true(mark(json_object_get(def, "fields"), "income_per_capita", 1));
	assert_int_equal(json_dump_file(def, tu_path(forms, "household.json"), JSON_INDENT(1)), 0);
	json_decref(def);
	if (fx->st->ops->forms_load(fx->st, schemas, &n) != SAOLA_OK)
		fail_msg("forms load: %s", fx->st->ops->errmsg(fx->st));

	r = get(fx, "/v1/households.csv?year=2024", fx->district);
	assert_int_equal(r.status, 200);
	assert_true(has_column(&r, "head_name"));
	assert_heads(fx, &r, "district, head_name not personal");
	assert_false(has_column(&r, "income_per_capita"));
	assert_true(has_column(&r, "member_count"));
	assert_int_equal(rows(&r), NHOUSEHOLDS);
	sv_resp_free(&r);
	r = get(fx, "/v1/households.csv?year=2024&personal=1", fx->district_p);
	assert_int_equal(r.status, 200);
	assert_true(has_column(&r, "income_per_capita"));
	sv_resp_free(&r);
	r = get(fx, "/v1/households.csv?year=2024", fx->commune);
	assert_int_equal(r.status, 200);
	assert_true(has_column(&r, "income_per_capita"));
	sv_resp_free(&r);
}

/* ------------------------------------------------------------------ */
/* Conflicts                                                           */

/* A change of one path of household id from device, made over the
 * household's first version; d holds the value (taken). */
static json_t *edit(const char *id, const char *path, json_t *d, int counter)
{
	json_t *c = json_pack("{s:s, s:s, s:s, s:o, s:{s:i}, s:{s:[i, s]}}", "r", id,
	                      "f", "household", "fv", "2025.1", "d", d, "vs", path, counter,
	                      "b", path, 1, "dev-a");

	assert_non_null(c);
	return c;
}

/* Two devices edit the same answer at once: dev-b's value is kept, dev-a's
 * goes to the conflict log. */
static void clash(fixture *fx, const char *batch, const char *id, const char *path,
                  json_t *da, json_t *db)
{
	char b[64];
	sv_resp r;

	snprintf(b, sizeof b, "%s-a", batch);
	r = push(fx, b, "dev-a", json_pack("[o]", edit(id, path, da, 2)));
	assert_int_equal(r.status, 200);
	sv_resp_free(&r);
	snprintf(b, sizeof b, "%s-b", batch);
	r = push(fx, b, "dev-b", json_pack("[o]", edit(id, path, db, 2)));
	assert_int_equal(r.status, 200);
	assert_int_equal(sv_jint(r.json, "conflicts"), 1);
	sv_resp_free(&r);
}

/* A member's name in a change. */
static json_t *member_name(const char *item, const char *name)
{
	return json_pack("{s:[{s:s, s:b, s:s}]}", "members", "_id", item, "_ref", 1, "name", name);
}

/* The conflict of household number h of the fixture (make_conflicts
 * makes one a household) in a GET /v1/conflicts answer, or NULL. */
enum { HEAD_CLASH, MEMBER_CLASH, INCOME_CLASH };

static json_t *conflict_at(const fixture *fx, const sv_resp *r, int h)
{
	const char *id = json_string_value(json_array_get(fx->ids, (size_t)h));
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(r->json, "conflicts"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "record_id")), id) == 0)
			return c;
	return NULL;
}

static void make_conflicts(fixture *fx)
{
	const char *h0 = json_string_value(json_array_get(fx->ids, 0));
	const char *h1 = json_string_value(json_array_get(fx->ids, 1));
	const char *h2 = json_string_value(json_array_get(fx->ids, 2));
	static const char *const values[] = {"Trần Văn Ảnh", "Lê Văn Bình", "Phạm Thị Cúc",
	                                     "Hoàng Thị Dung"};
	size_t i;

	for (i = 0; i < 4; i++)
		json_array_append_new(fx->names, json_string(values[i]));
	/* the head's name is member 1's (head_name is computed from it) */
	clash(fx, "head", h0, "members.00000001.name", member_name("00000001", values[0]),
	      member_name("00000001", values[1]));
	clash(fx, "member", h1, "members.00000001.name", member_name("00000001", values[2]),
	      member_name("00000001", values[3]));
	clash(fx, "income", h2, "income_per_capita", json_pack("{s:i}", "income_per_capita", 900000),
	      json_pack("{s:i}", "income_per_capita", 1900000));
}

static void test_conflicts_list(void **state)
{
	fixture *fx = *state;
	json_t *c, *income;
	size_t i;
	sv_resp r;

	make_conflicts(fx);
	/* The commune officer sees everything of the commune. */
	r = get(fx, "/v1/conflicts", fx->commune);
	assert_int_equal(r.status, 200);
	assert_int_equal(sv_jint(r.json, "count"), 3);
	c = conflict_at(fx, &r, HEAD_CLASH);
	assert_non_null(c);
	assert_string_equal(json_string_value(json_object_get(c, "lost_value")), "Trần Văn Ảnh");
	assert_string_equal(json_string_value(json_object_get(c, "kept_value")), "Lê Văn Bình");
	assert_string_equal(json_string_value(json_object_get(c, "head_name")), "Lê Văn Bình");
	assert_null(json_object_get(c, "personal"));
	c = conflict_at(fx, &r, MEMBER_CLASH);
	assert_string_equal(json_string_value(json_object_get(c, "kept_value")), "Hoàng Thị Dung");
	sv_resp_free(&r);

	/* A district officer: the values of personal paths and the heads'
	 * names are null, the rest as it is. */
	r = get(fx, "/v1/conflicts", fx->district);
	assert_int_equal(r.status, 200);
	assert_int_equal(sv_jint(r.json, "count"), 3);
	assert_no_name(fx, &r, "district's conflicts");
	json_array_foreach(json_object_get(r.json, "conflicts"), i, c) {
		assert_true(json_is_null(json_object_get(c, "head_name")));
		assert_string_equal(json_string_value(json_object_get(c, "form")), "household");
	}
	c = conflict_at(fx, &r, HEAD_CLASH);
	assert_true(json_is_null(json_object_get(c, "lost_value")));
	assert_true(json_is_null(json_object_get(c, "kept_value")));
	assert_true(json_is_true(json_object_get(c, "personal")));
	assert_non_null(json_object_get(c, "lost_version"));   /* the rest is there */
	c = conflict_at(fx, &r, MEMBER_CLASH);
	assert_true(json_is_null(json_object_get(c, "lost_value")));
	assert_true(json_is_true(json_object_get(c, "personal")));
	income = conflict_at(fx, &r, INCOME_CLASH);
	assert_int_equal(json_integer_value(json_object_get(income, "lost_value")), 900000);
	assert_int_equal(json_integer_value(json_object_get(income, "kept_value")), 1900000);
	assert_null(json_object_get(income, "personal"));
	sv_resp_free(&r);

	/* Asked for, without the permission: refused; with it: shown. */
	r = get(fx, "/v1/conflicts?personal=1", fx->district);
	assert_refused(&r, 403, "forbidden", "permission \"personal\"");
	sv_resp_free(&r);
	r = get(fx, "/v1/conflicts?status=all&personal=1", fx->province);
	assert_refused(&r, 403, "forbidden", "permission \"personal\"");
	sv_resp_free(&r);
	r = get(fx, "/v1/conflicts", fx->admin);
	assert_int_equal(r.status, 200);
	assert_int_equal(sv_jint(r.json, "count"), 3);
	assert_no_name(fx, &r, "admin's conflicts");
	sv_resp_free(&r);
	r = get(fx, "/v1/conflicts", fx->district_p);
	assert_no_name(fx, &r, "district with the permission, not asking");
	sv_resp_free(&r);
	r = get(fx, "/v1/conflicts?personal=1", fx->district_p);
	assert_int_equal(r.status, 200);
	c = conflict_at(fx, &r, HEAD_CLASH);
	assert_string_equal(json_string_value(json_object_get(c, "lost_value")), "Trần Văn Ảnh");
	assert_null(json_object_get(c, "personal"));
	assert_non_null(strstr(r.body, "Hoàng Thị Dung"));
	sv_resp_free(&r);
}

/* POST /v1/conflicts/ID/resolve answers with the resolved conflict: the
 * same rule. */
static void test_conflict_resolve(void **state)
{
	fixture *fx = *state;
	json_int_t member_id, head_id;
	json_t *body = json_pack("{s:s}", "choice", "keep"), *c;
	const char *label;
	char path[96];
	sv_resp r;

	make_conflicts(fx);
	r = get(fx, "/v1/conflicts", fx->commune);
	member_id = sv_jint(conflict_at(fx, &r, MEMBER_CLASH), "id");
	head_id = sv_jint(conflict_at(fx, &r, HEAD_CLASH), "id");
	sv_resp_free(&r);

	/* Asked for without the permission: refused before anything is done. */
	snprintf(path, sizeof path, "/v1/conflicts/%lld/resolve?personal=1", (long long)member_id);
	r = post(fx, path, fx->district, body);
	assert_refused(&r, 403, "forbidden", "permission \"personal\"");
	sv_resp_free(&r);
	r = get(fx, "/v1/conflicts", fx->commune);
	assert_int_equal(sv_jint(r.json, "count"), 3);   /* still open */
	sv_resp_free(&r);

	/* The district resolves the member's name: the answer shows no name,
	 * not even in the label, where the member's id stands. */
	snprintf(path, sizeof path, "/v1/conflicts/%lld/resolve", (long long)member_id);
	r = post(fx, path, fx->district, body);
	assert_int_equal(r.status, 200);
	assert_no_name(fx, &r, "district's resolution");
	assert_string_equal(json_string_value(json_object_get(r.json, "status")), "resolved");
	assert_true(json_is_true(json_object_get(r.json, "personal")));
	assert_true(json_is_null(json_object_get(json_object_get(r.json, "lost"), "value")));
	assert_true(json_is_null(json_object_get(json_object_get(r.json, "kept"), "value")));
	assert_true(json_is_null(json_object_get(json_object_get(r.json, "current"), "value")));
	assert_true(json_is_null(json_object_get(json_object_get(r.json, "resolution"), "value")));
	assert_true(json_is_null(json_object_get(r.json, "head_name")));
	label = json_string_value(json_object_get(r.json, "label"));
	assert_non_null(label);
	if (!strstr(label, "00000001"))
		fail_msg("label \"%s\": the member's id is missing", label);
	sv_resp_free(&r);

	/* The commune resolves the head's name and sees it. */
	snprintf(path, sizeof path, "/v1/conflicts/%lld/resolve", (long long)head_id);
	r = post(fx, path, fx->commune, body);
	assert_int_equal(r.status, 200);
	c = json_object_get(r.json, "current");
	assert_string_equal(json_string_value(json_object_get(c, "value")), "Lê Văn Bình");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "lost"),
	                                                      "value")), "Trần Văn Ảnh");
	assert_null(json_object_get(r.json, "personal"));
	sv_resp_free(&r);
	json_decref(body);
}

/* ------------------------------------------------------------------ */
/* Replicas: a sync's pull and a pull bundle                           */

/* A sync that pulls (pull_limit 100) or only pushes (0) with token. */
static sv_resp sync_req(fixture *fx, const char *token, const char *device, int pull_limit)
{
	json_t *req = sv_request(NULL, device, 0, pull_limit, NULL);
	sv_resp r = post(fx, "/v1/sync", token, req);

	json_decref(req);
	return r;
}

static void test_sync_rule(void **state)
{
	fixture *fx = *state;
	char file[700];
	size_t n = 0;
	saola__err e;
	sv_resp r;
	int i;

	/* Above the commune without the permission: no pull, said why. */
	for (i = 0; i < 3; i++) {
		const char *tok = i == 0 ? fx->district : i == 1 ? fx->province : fx->admin;
		r = sync_req(fx, tok, "dev-officer", 100);
		assert_refused(&r, 403, "forbidden", "permission \"personal\"");
		assert_no_name(fx, &r, "refused pull");
		sv_resp_free(&r);
	}
	/* A push alone is no replica. */
	r = sync_req(fx, fx->district, "dev-officer", 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "records")), 0);
	sv_resp_free(&r);
	/* With the permission, and for the commune: whole records. */
	r = sync_req(fx, fx->district_p, "dev-district", 100);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "records")), NHOUSEHOLDS);
	assert_heads(fx, &r, "district's pull");
	sv_resp_free(&r);
	r = sync_req(fx, fx->commune, "dev-commune", 100);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "records")), NHOUSEHOLDS);
	sv_resp_free(&r);

	/* A pull bundle is a replica too. */
	snprintf(file, sizeof file, "%s/pull.bundle", fx->dir);
	assert_int_equal(saola__bundle_export(fx->st, file, "huyen-372", &n, &e), -1);
	assert_int_equal(saola__err_status(&e), 403);
	assert_non_null(strstr(e.message, "permission \"personal\""));
	assert_int_equal(saola__bundle_export(fx->st, file, "huyen-372-p", &n, &e), 0);
	assert_int_equal(n, NHOUSEHOLDS);

	/* The permission withdrawn: the next pull is refused; granted: back. */
	assert_int_equal(saola__user_permit(fx->st, "huyen-372-p", "personal", 0, NULL, &e), 0);
	r = sync_req(fx, fx->district_p, "dev-district", 100);
	assert_refused(&r, 403, "forbidden", "huyen-372-p");
	sv_resp_free(&r);
	assert_int_equal(saola__user_permit(fx->st, "huyen-372-p", "personal", 1, NULL, &e), 0);
	r = sync_req(fx, fx->district_p, "dev-district", 100);
	assert_int_equal(r.status, 200);
	sv_resp_free(&r);
	assert_int_equal(saola__user_permit(fx->st, "nobody", "personal", 1, NULL, &e), -1);
	assert_int_equal(saola__err_status(&e), 404);
}

/* ------------------------------------------------------------------ */
/* Permission words and the commands                                    */

static void test_permission_words(void **state)
{
	static const struct {
		const char *words;
		int ok;
		unsigned bits;
	} cases[] = {
		{NULL, 1, 0}, {"", 1, 0}, {"personal", 1, SAOLA__PERM_PERSONAL},
		{" personal, personal ", 1, SAOLA__PERM_PERSONAL}, {"Personal", 0, 0},
		{"personal,export", 0, 0}, {"personnel", 0, 0},
	};
	char text[SAOLA__PERMS_TEXT_MAX];
	saola__err e;
	unsigned bits;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = saola__perms_parse(cases[i].words, &bits, &e);
		if ((rc == 0) != cases[i].ok || bits != cases[i].bits)
			fail_msg("case %zu \"%s\": rc %d bits %u", i, cases[i].words ? cases[i].words : "",
			         rc, bits);
		if (rc != 0) {
			assert_int_equal(saola__err_status(&e), 400);
			assert_non_null(strstr(e.message, "unknown (known: personal)"));
		}
	}
	assert_int_equal(saola__perms_parse("personal export", &bits, &e), -1);
	assert_string_equal(e.message, "permission \"export\": unknown (known: personal)");
	/* What the store keeps may hold words of a newer build: ignored. */
	assert_int_equal(saola__perms_read("export personal"), SAOLA__PERM_PERSONAL);
	assert_int_equal(saola__perms_read(NULL), 0);
	saola__perms_text(SAOLA__PERM_PERSONAL, text, sizeof text);
	assert_string_equal(text, "personal");
	saola__perms_text(0, text, sizeof text);
	assert_string_equal(text, "");
}

static void test_commands(void **state)
{
	char dir[512], db[600], out[4096], err[1024];

	(void)state;
	snprintf(dir, sizeof dir, "%s", tu_tmpdir("privacy-cli"));
	snprintf(db, sizeof db, "%s", pgt_db(tu_path(dir, "server.db")));
	/* An unknown word is refused, and no user is made. */
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' user add --db '%s' --name d1"
	                     " --role district --area 372 --allow personal,names", SERVER_BIN, db), 1);
	assert_non_null(strstr(err, "user add: permission \"names\": unknown (known: personal)"));
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' user add --db '%s' --name d1"
	                     " --role district --area 372 --allow personal", SERVER_BIN, db), 0);
	assert_int_equal(strlen(out), SAOLA__TOKEN_HEX + 1);
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' user add --db '%s' --name d2"
	                     " --role district --area 373", SERVER_BIN, db), 0);
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' user list --db '%s'",
	                     SERVER_BIN, db), 0);
	assert_non_null(strstr(out, "PERMISSIONS"));
	assert_true(sv_count(db, "SELECT count(*) FROM users WHERE name = 'd1'"
	                     " AND permissions = 'personal'") == 1);
	assert_true(sv_count(db, "SELECT count(*) FROM users WHERE name = 'd2'"
	                     " AND permissions = ''") == 1);
	/* Granted and withdrawn later. */
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' user grant --db '%s' --name d2"
	                     " --allow personal", SERVER_BIN, db), 0);
	assert_string_equal(out, "user d2: permissions: personal\n");
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' user deny --db '%s' --name d1"
	                     " --deny personal", SERVER_BIN, db), 0);
	assert_string_equal(out, "user d1: permissions: none\n");
	assert_true(sv_count(db, "SELECT count(*) FROM users WHERE permissions = 'personal'") == 1);
	assert_true(sv_count(db, "SELECT count(*) FROM users WHERE name = 'd2'"
	                     " AND permissions = 'personal'") == 1);
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' user grant --db '%s' --name d3"
	                     " --allow personal", SERVER_BIN, db), 1);
	assert_non_null(strstr(err, "user grant: no user named \"d3\""));
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' user grant --db '%s' --name d2"
	                     " --allow everything", SERVER_BIN, db), 1);
	assert_non_null(strstr(err, "permission \"everything\": unknown"));
	/* Bad usage: deny with --allow, grant without words, --allow on list. */
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' user deny --db '%s' --name d2"
	                     " --allow personal", SERVER_BIN, db), 2);
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' user grant --db '%s' --name d2",
	                     SERVER_BIN, db), 2);
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' user list --db '%s'"
	                     " --allow personal", SERVER_BIN, db), 2);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_households_csv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_marks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conflicts_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conflict_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_rule, setup, teardown),
		cmocka_unit_test(test_permission_words),
		cmocka_unit_test(test_commands),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
