/* roles.c: test_adversary's roles group (see adversary.h): issue 11's
 * "every rule holds on every path". First the table of what each role may
 * do on each path, one row of `cells` per cell of the table in
 * docs/security.md ("What each role may do, on each path"): the two
 * mirror each other, so change both or neither. Then the defects found: a
 * surveyor approving through a sync and through a bundle, overwriting an
 * officer's "returned"; units that do not form a chain (district 369 under
 * commune 14404, province 99, an unknown commune, a commune outside its
 * district); a record outside the area at one level; an officer's
 * resolution moving a record out. All against one saola-server in process
 * (rolesfx.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "testutil.h"
#include "adversary.h"
#include "rolesfx.h"
#include "users.h"

/* ------------------------------------------------------------------ */
/* The table                                                           */

typedef enum action {
	PUSH_IN,        /* sync: a new household of commune 14404 */
	PUSH_OUT,       /* sync: a new household outside the area */
	MOVE_OUT,       /* sync: a stored household of 14404 moved out of the area */
	SUBMIT,         /* sync: _state "submitted" */
	RETURN,         /* sync: _state "returned" */
	APPROVE,        /* sync: _state "approved" */
	COMMENT,        /* sync: _comment alone (not a submission's note) */
	PULL,           /* sync: a pull, the user without the permission "personal" */
	PULL_PERSONAL,  /* sync: a pull, the user with it */
	BUNDLE,         /* bundle import as the user: a push that approves a household */
	REVIEW,         /* POST /v1/records/ID/review: approve a submitted household */
	RESOLVE,        /* POST /v1/conflicts/ID/resolve: keep */
	REPORTS,        /* GET /v1/reports/summary and /v1/households.csv */
	DASHBOARD,      /* GET /v1/conflicts and /v1/devices, the dashboard's data */
	NACTIONS
} action;

static const char *const action_names[NACTIONS] = {
	"sync: push a record in the area", "sync: push a record outside it",
	"sync: move a record out", "sync: _state submitted", "sync: _state returned",
	"sync: _state approved", "sync: write _comment alone", "sync: pull without \"personal\"",
	"sync: pull with \"personal\"", "bundle import: approve", "officer review route",
	"conflict resolve route", "reports and households.csv", "the dashboard's data",
};

typedef struct cell {
	int role;
	action act;
	long status;
} cell;

/* docs/security.md, "What each role may do, on each path", cell for cell.
 * A province's "outside" is province 99, which is no unit: 400 (the units
 * table holds one province). An admin's area is everything. */
static const cell cells[] = {
	{SURVEYOR, PUSH_IN, 200}, {SURVEYOR, PUSH_OUT, 403}, {SURVEYOR, MOVE_OUT, 403},
	{SURVEYOR, SUBMIT, 200}, {SURVEYOR, RETURN, 403}, {SURVEYOR, APPROVE, 403},
	{SURVEYOR, COMMENT, 403}, {SURVEYOR, PULL, 200}, {SURVEYOR, PULL_PERSONAL, 200},
	{SURVEYOR, BUNDLE, 403}, {SURVEYOR, REVIEW, 403}, {SURVEYOR, RESOLVE, 403},
	{SURVEYOR, REPORTS, 403}, {SURVEYOR, DASHBOARD, 403},

	{COMMUNE_OFFICER, PUSH_IN, 200}, {COMMUNE_OFFICER, PUSH_OUT, 403},
	{COMMUNE_OFFICER, MOVE_OUT, 403}, {COMMUNE_OFFICER, SUBMIT, 200},
	{COMMUNE_OFFICER, RETURN, 200}, {COMMUNE_OFFICER, APPROVE, 200},
	{COMMUNE_OFFICER, COMMENT, 200}, {COMMUNE_OFFICER, PULL, 200},
	{COMMUNE_OFFICER, PULL_PERSONAL, 200}, {COMMUNE_OFFICER, BUNDLE, 200},
	{COMMUNE_OFFICER, REVIEW, 200}, {COMMUNE_OFFICER, RESOLVE, 200},
	{COMMUNE_OFFICER, REPORTS, 200}, {COMMUNE_OFFICER, DASHBOARD, 200},

	{DISTRICT, PUSH_IN, 200}, {DISTRICT, PUSH_OUT, 403}, {DISTRICT, MOVE_OUT, 403},
	{DISTRICT, SUBMIT, 200}, {DISTRICT, RETURN, 200}, {DISTRICT, APPROVE, 200},
	{DISTRICT, COMMENT, 200}, {DISTRICT, PULL, 403}, {DISTRICT, PULL_PERSONAL, 200},
	{DISTRICT, BUNDLE, 200}, {DISTRICT, REVIEW, 200}, {DISTRICT, RESOLVE, 200},
	{DISTRICT, REPORTS, 200}, {DISTRICT, DASHBOARD, 200},

	{PROVINCE, PUSH_IN, 200}, {PROVINCE, PUSH_OUT, 400}, {PROVINCE, MOVE_OUT, 400},
	{PROVINCE, SUBMIT, 200}, {PROVINCE, RETURN, 200}, {PROVINCE, APPROVE, 200},
	{PROVINCE, COMMENT, 200}, {PROVINCE, PULL, 403}, {PROVINCE, PULL_PERSONAL, 200},
	{PROVINCE, BUNDLE, 200}, {PROVINCE, REVIEW, 200}, {PROVINCE, RESOLVE, 200},
	{PROVINCE, REPORTS, 200}, {PROVINCE, DASHBOARD, 200},

	{ADMIN, PUSH_IN, 200}, {ADMIN, PUSH_OUT, 200}, {ADMIN, MOVE_OUT, 200},
	{ADMIN, SUBMIT, 200}, {ADMIN, RETURN, 200}, {ADMIN, APPROVE, 200},
	{ADMIN, COMMENT, 200}, {ADMIN, PULL, 403}, {ADMIN, PULL_PERSONAL, 200},
	{ADMIN, BUNDLE, 200}, {ADMIN, REVIEW, 200}, {ADMIN, RESOLVE, 200},
	{ADMIN, REPORTS, 200}, {ADMIN, DASHBOARD, 200},
};

#define NCELLS (sizeof cells / sizeof cells[0])

/* Sets in d (a household's answers, or an edit's fields) units just outside
 * role's area: the next commune of 372 for a commune's users, a commune
 * of district 373 for 372's, province 99 for 37's; for the admin, whose
 * area is everything, the next commune. */
static void outside(int role, json_t *d)
{
	switch (role) {
	case DISTRICT:
		json_object_set_new(d, "district", json_string(DISTRICT_NEXT));
		json_object_set_new(d, "commune", json_string(COMMUNE_373));
		break;
	case PROVINCE:
		json_object_set_new(d, "province", json_string("99"));
		break;
	default:
		json_object_set_new(d, "commune", json_string(COMMUNE_NEXT));
	}
}

/* Two GETs that must answer alike: the status of both, or -1 when they
 * differ. */
static long get_pair(const char *token, const char *a, const char *b)
{
	sv_resp ra = sv_http(RF->url, "GET", a, token, NULL, NULL, 0, 0);
	sv_resp rb = sv_http(RF->url, "GET", b, token, NULL, NULL, 0, 0);
	long status = ra.status == rb.status ? ra.status : -1;

	sv_resp_free(&ra);
	sv_resp_free(&rb);
	return status;
}

/* Runs a cell's action as its role's user; the answer's status. */
static long run_cell(const cell *c)
{
	const char *token = RF->token[c->role][c->act == PULL_PERSONAL];
	json_t *ch, *req;
	char id[37], path[120];
	saola__err e;
	sv_resp r;
	long status;

	switch (c->act) {
	case PUSH_IN:
		return rf_push_status(c->role, rf_one(rf_household(COMMUNE, id)));
	case PUSH_OUT:
		ch = rf_household(COMMUNE, id);
		outside(c->role, json_object_get(ch, "d"));
		return rf_push_status(c->role, rf_one(ch));
	case MOVE_OUT:
		rf_stored_household(COMMUNE, id);
		outside(c->role, req = json_object());
		return rf_push_status(c->role, rf_one(rf_edit(id, req)));
	case SUBMIT: case RETURN: case APPROVE:
		rf_stored_household(COMMUNE, id);
		return rf_push_status(c->role, rf_one(rf_edit(id, json_pack("{s:s}", "_state",
		                   c->act == SUBMIT ? "submitted" : c->act == RETURN ? "returned"
		                                                                     : "approved"))));
	case COMMENT:
		rf_stored_household(COMMUNE, id);
		return rf_push_status(c->role, rf_one(rf_edit(id, json_pack("{s:s}", "_comment",
		                                                   "đã kiểm tra"))));
	case PULL: case PULL_PERSONAL:
		req = sv_request(NULL, rf_device_of(c->role, c->act == PULL_PERSONAL), 0, 100, NULL);
		r = rf_post("/v1/sync", token, req);
		json_decref(req);
		status = r.status;
		sv_resp_free(&r);
		return status;
	case BUNDLE:
		rf_stored_household(COMMUNE, id);
		return rf_bundle_status(c->role, rf_one(rf_edit(id, json_pack("{s:s}", "_state", "approved"))),
		                     &e);
	case REVIEW:
		rf_stored_household(COMMUNE, id);
		assert_int_equal(rf_push_status(ADMIN, rf_one(rf_edit(id, json_pack("{s:s}", "_state",
		                                                           "submitted")))), 200);
		return rf_review_status(token, id, "approve");
	case RESOLVE:
		snprintf(path, sizeof path, "/v1/conflicts/%lld/resolve",
		         rf_make_conflict("village", "Thôn Đông A", "Thôn Đông B", id));
		req = json_pack("{s:s}", "choice", "keep");
		r = rf_post(path, token, req);
		json_decref(req);
		status = r.status;
		sv_resp_free(&r);
		return status;
	case REPORTS:
		return get_pair(token, "/v1/reports/summary?year=2024",
		                "/v1/households.csv?year=2024");
	case DASHBOARD:
		return get_pair(token, "/v1/conflicts", "/v1/devices");
	default:
		fail_msg("no such action %d", (int)c->act);
		return 0;
	}
}

static void test_cell(void **state)
{
	const cell *c = *state;
	long got = run_cell(c);

	if (got != c->status)
		fail_msg("%s, %s: expected %ld, got %ld", rf_roles[c->role].role, action_names[c->act],
		         c->status, got);
}

/* ------------------------------------------------------------------ */
/* The defects                                                         */

/* A surveyor approving through /v1/sync: refused whole, with the change
 * named (the fourth here, after three households that are not kept
 * either), and the record stays a draft. */
static void test_surveyor_approves_by_sync(void **state)
{
	json_t *changes = json_array();
	char id[37], fresh[3][37], want[300];
	sv_resp r;
	int i;

	(void)state;
	rf_stored_household(COMMUNE, id);
	for (i = 0; i < 3; i++)
		json_array_append_new(changes, rf_household(COMMUNE, fresh[i]));
	json_array_append_new(changes, rf_edit(id, json_pack("{s:s}", "_state", "approved")));
	r = rf_push(SURVEYOR, changes);
	snprintf(want, sizeof want, "changes[3]: record %s: a surveyor may only submit a household"
	         " (_state \"approved\" is a commune officer's move)", id);
	rf_assert_error(&r, 403, "forbidden", want);
	rf_assert_column(id, "state", "draft");
	for (i = 0; i < 3; i++)
		assert_false(rf_stored(fresh[i]));
}

/* The same through a bundle imported as the surveyor. */
static void test_surveyor_approves_by_bundle(void **state)
{
	char id[37];
	saola__err e;

	(void)state;
	rf_stored_household(COMMUNE, id);
	assert_int_equal(rf_bundle_status(SURVEYOR, rf_one(rf_edit(id, json_pack("{s:s}", "_state",
	                                                                 "approved"))), &e), 403);
	assert_non_null(strstr(e.message, "a surveyor may only submit a household"));
	rf_assert_column(id, "state", "draft");
}

/* An officer returns a household; the surveyor can neither approve it,
 * nor overwrite the officer's comment, nor take the state back to draft;
 * submitting it again (the surveyor's move, with a note) still works. */
static void test_surveyor_overwrites_returned(void **state)
{
	static const char *const why[] = {
		"_state \"approved\" is a commune officer's move",
		"_comment without a submission is a commune officer's to write",
		"removing _state, back to draft, is not a surveyor's move",
	};
	json_t *tries[3];
	char id[37], want[300];
	sv_resp r;
	int i;

	(void)state;
	rf_stored_household(COMMUNE, id);
	assert_int_equal(rf_push_status(SURVEYOR, rf_one(rf_edit(id, json_pack("{s:s}", "_state",
	                                                              "submitted")))), 200);
	assert_int_equal(rf_review_status(RF->token[COMMUNE_OFFICER][0], id, "return"), 200);
	rf_assert_column(id, "state", "returned");
	tries[0] = rf_edit(id, json_pack("{s:s}", "_state", "approved"));
	tries[1] = rf_edit(id, json_pack("{s:s}", "_comment", ""));
	tries[2] = rf_edit(id, json_pack("{s:n}", "_state"));
	for (i = 0; i < 3; i++) {
		r = rf_push(SURVEYOR, rf_one(tries[i]));
		snprintf(want, sizeof want, "changes[0]: record %s: a surveyor may only submit a"
		         " household (%s)", id, why[i]);
		rf_assert_error(&r, 403, "forbidden", want);
		rf_assert_column(id, "state", "returned");
		rf_assert_column(id, "state_comment", "hỏi lại thu nhập");
	}
	/* Submitting again, with a note (saola submit --comment), is the
	 * surveyor's move: the device has pulled the return since, so its
	 * clock is past it. */
	RF->counter += 1000;
	assert_int_equal(rf_push_status(SURVEYOR, rf_one(rf_edit(id, json_pack("{s:s, s:s}", "_state",
	                 "submitted", "_comment", "đã hỏi lại")))), 200);
	rf_assert_column(id, "state", "submitted");
	rf_assert_column(id, "state_comment", "đã hỏi lại");
}

/* Units that do not form a chain, pushed new by role: refused whole with
 * message (after "changes[0]: record R: "), nothing kept. */
static void refused_new(int role, json_t *units, const char *message)
{
	json_t *ch;
	char id[37], want[300];
	sv_resp r;

	ch = rf_household(COMMUNE, id);
	json_object_update(json_object_get(ch, "d"), units);
	json_decref(units);
	r = rf_push(role, rf_one(ch));
	snprintf(want, sizeof want, "changes[0]: record %s: %s", id, message);
	rf_assert_error(&r, 400, "invalid_record", want);
	assert_false(rf_stored(id));
}

/* A stored household of 14404 moved by role to units: refused, with
 * message, and it stays where it was. */
static void refused_move(int role, json_t *units, const char *message)
{
	char id[37], want[300];
	json_t *ch;
	sv_resp r;

	rf_stored_household(COMMUNE, id);
	ch = rf_edit(id, units);
	r = rf_push(role, rf_one(ch));
	snprintf(want, sizeof want, "changes[0]: record %s: %s", id, message);
	rf_assert_error(&r, 400, "invalid_record", want);
	rf_assert_column(id, "province", "37");
	rf_assert_column(id, "district", "372");
	rf_assert_column(id, "commune", COMMUNE);
}

/* A surveyor of 14404 pushing a household with district 369: it would
 * leave district 372's sight and count in 369's reports. */
static void test_district_369_pushed(void **state)
{
	(void)state;
	/* a new record meets the form's check of its places first (the core) */
	refused_new(SURVEYOR, json_pack("{s:s}", "district", "369"),
	            "unit.commune: 14404 Xã Cúc Phương lies in district 372 Huyện Nho Quan, not 369");
}

/* Changing district 372 to 369 on a stored record, by its surveyor and
 * by its district's officer. */
static void test_district_changed_on_stored(void **state)
{
	(void)state;
	refused_move(SURVEYOR, json_pack("{s:s}", "district", "369"),
	             "commune 14404 lies in district 372, not 369");
	refused_move(DISTRICT, json_pack("{s:s}", "district", "369"),
	             "commune 14404 lies in district 372, not 369");
}

/* Province 99 hides a record from the province: on a new household and on
 * a stored one. */
static void test_province_99(void **state)
{
	(void)state;
	refused_new(SURVEYOR, json_pack("{s:s}", "province", "99"),
	            "unit.province: 99 is not a province valid in 2024 (schemas/units)");
	refused_move(COMMUNE_OFFICER, json_pack("{s:s}", "province", "99"),
	             "unit.province: 99 is not a province valid in 2024 (schemas/units)");
}

/* An unknown commune code, from a district officer (whose own level, the
 * district, is right) and from the admin (who has no area). */
static void test_unknown_commune(void **state)
{
	(void)state;
	refused_new(DISTRICT, json_pack("{s:s}", "commune", "14999"),
	            "unit.commune: 14999 is not a commune valid in 2024 (schemas/units)");
	refused_new(ADMIN, json_pack("{s:s}", "commune", "14999"),
	            "unit.commune: 14999 is not a commune valid in 2024 (schemas/units)");
}

/* A commune of district 369 filed under district 372 by 372's officer:
 * 369's commune officer would see it, 372's reports would count it. */
static void test_commune_outside_its_district(void **state)
{
	(void)state;
	refused_new(DISTRICT, json_pack("{s:s}", "commune", COMMUNE_369),
	            "commune 14320 lies in district 369, not 372");
	refused_move(ADMIN, json_pack("{s:s}", "commune", COMMUNE_369),
	             "commune 14320 lies in district 369, not 372");
}

/* A record stored with a district other than its commune's (as one made
 * before the chain was checked): its commune's surveyor and officer may
 * not touch it, by sync or by the review route, since it lies outside
 * their area at the district's level. */
static void test_outside_at_one_level(void **state)
{
	char id[37], sql[300], want[300];
	sqlite3 *db = NULL;
	sv_resp r;

	(void)state;
	rf_stored_household(COMMUNE, id);
	snprintf(sql, sizeof sql, "UPDATE records SET district = '369',"
	         " data = json_set(data, '$.district', '369') WHERE id = '%s'", id);
	assert_int_equal(sqlite3_open(RF->db, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	r = rf_push(SURVEYOR, rf_one(rf_edit(id, json_pack("{s:s}", "village", "Thôn Lan"))));
	snprintf(want, sizeof want, "changes[0]: record %s: district 369 is outside your area"
	         " 14404 (which lies in district 372)", id);
	rf_assert_error(&r, 403, "forbidden", want);
	assert_int_equal(rf_push_status(COMMUNE_OFFICER, rf_one(rf_edit(id, json_pack("{s:s}", "_state",
	                                                                     "submitted")))), 403);
	assert_int_equal(rf_push_status(ADMIN, rf_one(rf_edit(id, json_pack("{s:s}", "_state",
	                                                           "submitted")))), 200);
	assert_int_equal(rf_review_status(RF->token[COMMUNE_OFFICER][0], id, "approve"), 403);
	rf_assert_column(id, "state", "submitted");
	/* District 369's view: the admin sets it right, and 372 sees it again. */
	assert_int_equal(rf_push_status(ADMIN, rf_one(rf_edit(id, json_pack("{s:s}", "district", "372")))),
	                 200);
	assert_int_equal(rf_review_status(RF->token[DISTRICT][0], id, "approve"), 200);
}

/* An officer resolving a conflict on the commune by taking the value that
 * lost, a commune outside the officer's area: refused, and the conflict
 * stays open; the officer of the district that holds both may. */
static void test_resolve_moves_out(void **state)
{
	char id[37], path[120];
	json_t *body = json_pack("{s:s}", "choice", "lost");
	long long cid;
	sv_resp r;

	(void)state;
	cid = rf_make_conflict("commune", COMMUNE_NEXT, COMMUNE, id);
	snprintf(path, sizeof path, "/v1/conflicts/%lld/resolve", cid);
	r = rf_post(path, RF->token[COMMUNE_OFFICER][0], body);
	assert_int_equal(r.status, 403);
	assert_non_null(strstr(r.body, "commune 14383 is outside your area 14404"));
	sv_resp_free(&r);
	rf_assert_column(id, "commune", COMMUNE);
	r = rf_post(path, RF->token[DISTRICT][0], body);
	assert_int_equal(r.status, 200);
	sv_resp_free(&r);
	rf_assert_column(id, "commune", COMMUNE_NEXT);
	json_decref(body);
}

/* A server loaded without units (a schemas folder without units/) checks
 * what it can: the area's own level. Its surveyor of 14404 may push
 * district 369 under commune 14404 (security.md says so), never commune
 * 14383. */
static void test_without_units(void **state)
{
	char dir[600], schemas[700], db[700], url[64], token[TOK], id[37], *text;
	saola__store *st = NULL;
	saola_server *srv = NULL;
	saola_server_opts o;
	json_t *ch, *req;
	saola__err e;
	sv_resp r;
	int k;

	(void)state;
	snprintf(dir, sizeof dir, "%s/nounits", RF->dir);
	snprintf(schemas, sizeof schemas, "%s/schemas", dir);
	snprintf(db, sizeof db, "%s/server.db", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(mkdir(schemas, 0700), 0);
	assert_int_equal(symlink(SAOLA_TEST_SCHEMAS "/forms", tu_path(schemas, "forms")), 0);
	assert_int_equal(symlink(SAOLA_TEST_SCHEMAS "/standards", tu_path(schemas, "standards")),
	                 0);
	memset(&o, 0, sizeof o);
	o.db_path = db;
	o.listen = "127.0.0.1:0";
	o.schemas = schemas;
	o.threads = 1;
	if (saola_server_start(&o, &srv) != SAOLA_OK)
		fail_msg("server start: %s", saola_server_errmsg(srv));
	snprintf(url, sizeof url, "http://127.0.0.1:%d", saola_server_port(srv));
	assert_int_equal(saola__store_sqlite_open(db, schemas, 0, &st, e.message, sizeof e.message),
	                 SAOLA_OK);
	assert_int_equal(saola__user_create(st, "ks", "surveyor", COMMUNE, token, &e), 0);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM units"), 0);
	for (k = 0; k < 2; k++) {
		ch = rf_household(COMMUNE, id);
		json_object_set_new(json_object_get(ch, "d"), k ? "commune" : "district",
		                    json_string(k ? COMMUNE_NEXT : "369"));
		req = sv_request(k ? "nounits-2" : "nounits-1", "dev-nounits", 0, 0, rf_one(ch));
		text = json_dumps(req, JSON_COMPACT);
		assert_non_null(text);
		r = sv_http(url, "POST", "/v1/sync", token, NULL, text, strlen(text), 0);
		free(text);
		json_decref(req);
		assert_int_equal(r.status, k ? 403 : 200);
		sv_resp_free(&r);
	}
	saola_server_stop(srv);
	saola__store_close(st);
}

int adversary_roles(void)
{
	static const struct CMUnitTest defects[] = {
		cmocka_unit_test(test_surveyor_approves_by_sync),
		cmocka_unit_test(test_surveyor_approves_by_bundle),
		cmocka_unit_test(test_surveyor_overwrites_returned),
		cmocka_unit_test(test_district_369_pushed),
		cmocka_unit_test(test_district_changed_on_stored),
		cmocka_unit_test(test_province_99),
		cmocka_unit_test(test_unknown_commune),
		cmocka_unit_test(test_commune_outside_its_district),
		cmocka_unit_test(test_outside_at_one_level),
		cmocka_unit_test(test_resolve_moves_out),
		cmocka_unit_test(test_without_units),
	};
	static char names[NCELLS][96];
	struct CMUnitTest tests[NCELLS + sizeof defects / sizeof defects[0]];
	size_t i, n = 0;

	/* One test per cell of the table, named by it. */
	for (i = 0; i < NCELLS; i++, n++) {
		snprintf(names[i], sizeof names[i], "%s: %s", rf_roles[cells[i].role].role,
		         action_names[cells[i].act]);
		memset(&tests[n], 0, sizeof tests[n]);
		tests[n].name = names[i];
		tests[n].test_func = test_cell;
		tests[n].initial_state = (void *)&cells[i];
	}
	for (i = 0; i < sizeof defects / sizeof defects[0]; i++)
		tests[n++] = defects[i];
	return _cmocka_run_group_tests("roles", tests, n, rf_setup, rf_teardown);
}
