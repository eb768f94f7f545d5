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
 * on 127.0.0.1, loaded with the shipped schemas (and so the units of
 * province 37). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "testutil.h"
#include "servertest.h"
#include "adversary.h"
#include "bundle.h"
#include "gen.h"
#include "permissions.h"
#include "saola/server.h"
#include "store.h"
#include "users.h"
#include "wire.h"

#define TOK (SAOLA__TOKEN_HEX + 1)
#define COMMUNE "14404"        /* Cúc Phương, in district 372 (Nho Quan) of province 37 */
#define COMMUNE_NEXT "14383"   /* Nho Quan township: district 372 too */
#define DISTRICT_NEXT "373"    /* Gia Viễn, and one of its communes */
#define COMMUNE_373 "14464"
#define COMMUNE_369 "14320"    /* in district 369 (Ninh Bình city) */

enum { SURVEYOR, COMMUNE_OFFICER, DISTRICT, PROVINCE, ADMIN, NROLES };

static const struct {
	const char *name, *role, *area;
} roles[NROLES] = {
	{"ks-14404", "surveyor", COMMUNE},
	{"xa-14404", "commune", COMMUNE},
	{"huyen-372", "district", "372"},
	{"tinh-37", "province", "37"},
	{"quan-tri", "admin", NULL},
};

typedef struct fixture {
	char dir[512], db[600], url[64];
	saola_server *srv;
	saola__store *st;             /* a second connection: users, bundles */
	saola_gen *gen;
	char token[NROLES][2][TOK];   /* [role][0]: no permission; [1]: "personal" */
	int counter;                  /* the tests' edits' versions, ever higher */
	int batch;
} fixture;

static fixture *F;

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

/* The device of a role's user (perm: the one with "personal"). */
static const char *device_of(int role, int perm)
{
	static char buf[4][48];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "dev-%s%s", roles[role].name, perm ? "-p" : "");
	return buf[k];
}

static sv_resp post(const char *path, const char *token, const json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	sv_resp r;

	assert_non_null(text);
	r = sv_http(F->url, "POST", path, token, NULL, text, strlen(text), 0);
	free(text);
	return r;
}

/* Pushes changes (taken) as a new batch of role's user and device. */
static sv_resp push(int role, json_t *changes)
{
	char batch[32];
	json_t *req;
	sv_resp r;

	snprintf(batch, sizeof batch, "roles-%d", ++F->batch);
	req = sv_request(batch, device_of(role, 0), 0, 0, changes);
	r = post("/v1/sync", F->token[role][0], req);
	json_decref(req);
	return r;
}

static long push_status(int role, json_t *changes)
{
	sv_resp r = push(role, changes);
	long status = r.status;

	sv_resp_free(&r);
	return status;
}

/* A new household of commune (consistent units, survey year 2025). */
static json_t *household(const char *commune, char id[37])
{
	return sv_household(F->gen, commune, id);
}

static json_t *one(json_t *change)
{
	json_t *a = json_array();

	assert_non_null(a);
	json_array_append_new(a, change);
	return a;
}

/* A household of commune that the admin pushes (versions [1, its device]). */
static void stored_household(const char *commune, char id[37])
{
	sv_resp r = push(ADMIN, one(household(commune, id)));

	if (r.status != 200)
		fail_msg("admin push: %ld %s", r.status, r.body ? r.body : "");
	sv_resp_free(&r);
}

/* An edit of household id: fields (taken: {path: value}; a null value is
 * a removal) at a new version of the sender, made over the admin's first
 * version (answers) or no version (the review paths). */
static json_t *edit(const char *id, json_t *fields)
{
	json_t *c = json_pack("{s:s, s:s, s:s, s:{}, s:{}, s:{}}", "r", id, "f", "household",
	                      "fv", "2025.1", "d", "vs", "b");
	json_t *d = json_object_get(c, "d"), *vs = json_object_get(c, "vs");
	json_t *b = json_object_get(c, "b"), *v;
	const char *k;
	int counter = ++F->counter;

	assert_non_null(c);
	json_object_foreach(fields, k, v) {
		if (!json_is_null(v))
			json_object_set(d, k, v);
		json_object_set_new(vs, k, json_integer(counter));
		json_object_set_new(b, k, k[0] == '_' ? json_null()
		                                      : json_pack("[i, s]", 1, device_of(ADMIN, 0)));
	}
	json_decref(fields);
	return c;
}

/* The one text column col of record id, into buf ("" for NULL or none). */
static const char *column(const char *id, const char *col, char *buf, size_t len)
{
	char sql[200];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	buf[0] = '\0';
	snprintf(sql, sizeof sql, "SELECT %s FROM records WHERE id = ?1", col);
	assert_int_equal(sqlite3_open_v2(F->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return buf;
}

static int stored(const char *id)
{
	char sql[120];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM records WHERE id = '%s'", id);
	return tu_count(F->db, sql) == 1;
}

static void assert_column(const char *id, const char *col, const char *want)
{
	char buf[256];

	if (strcmp(column(id, col, buf, sizeof buf), want) != 0)
		fail_msg("record %s: %s is \"%s\", expected \"%s\"", id, col, buf, want);
}

/* Expects an error answer of status and code whose message is message. */
static void assert_error(sv_resp *r, long status, const char *code, const char *message)
{
	const char *m = json_string_value(json_object_get(json_object_get(r->json, "error"),
	                                                  "message"));

	if (r->status != status || !sv_error_code(r) || strcmp(sv_error_code(r), code) != 0 ||
	    (message && (!m || strcmp(m, message) != 0)))
		fail_msg("expected %ld %s \"%s\", got %ld %s", status, code, message ? message : "",
		         r->status, r->body ? r->body : "");
	sv_resp_free(r);
}

/* A push bundle of changes (taken) from role's device, imported as its
 * user: 200 when it applies, else the refusal's status. */
static long bundle_status(int role, json_t *changes, saola__err *e)
{
	char path[700], batch[32], err[256];
	json_t *payload, *summary = NULL;
	int rc;

	snprintf(batch, sizeof batch, "roles-bundle-%d", ++F->batch);
	snprintf(path, sizeof path, "%s/%s.bundle", F->dir, batch);
	payload = sv_request(batch, device_of(role, 0), 0, 0, changes);
	assert_int_equal(saola__bundle_write(path, "push", payload, err, sizeof err), SAOLA_OK);
	json_decref(payload);
	rc = saola__bundle_import(F->st, path, roles[role].name, (size_t)64 << 20, &summary, e);
	json_decref(summary);
	return rc == 0 ? 200 : e->status;
}

/* A conflict on path of a new household of COMMUNE: two admins' devices
 * edit path over the same base, to lost and then kept (which wins). Its
 * id in the log. */
static long long make_conflict(const char *path, const char *lost, const char *kept,
                               char id[37])
{
	json_t *a, *b, *list, *c;
	char batch[32];
	long long cid = 0;
	size_t i;
	sv_resp r;

	stored_household(COMMUNE, id);
	a = edit(id, json_pack("{s:s}", path, lost));
	b = edit(id, json_pack("{s:s}", path, kept));
	assert_int_equal(push_status(ADMIN, one(a)), 200);
	snprintf(batch, sizeof batch, "roles-%d", ++F->batch);
	list = sv_request(batch, device_of(ADMIN, 1), 0, 0, one(b));
	r = post("/v1/sync", F->token[ADMIN][1], list);
	json_decref(list);
	assert_int_equal(r.status, 200);
	sv_resp_free(&r);
	r = sv_http(F->url, "GET", "/v1/conflicts?status=open&limit=500", F->token[ADMIN][0],
	            NULL, NULL, 0, 0);
	assert_int_equal(r.status, 200);
	json_array_foreach(json_object_get(r.json, "conflicts"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "record_id")), id) == 0 &&
		    strcmp(json_string_value(json_object_get(c, "path")), path) == 0)
			cid = json_integer_value(json_object_get(c, "id"));
	sv_resp_free(&r);
	if (cid <= 0)
		fail_msg("no conflict on %s of %s", path, id);
	return cid;
}

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
	"sync: _state approved", "sync: write _comment", "sync: pull without \"personal\"",
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
	sv_resp ra = sv_http(F->url, "GET", a, token, NULL, NULL, 0, 0);
	sv_resp rb = sv_http(F->url, "GET", b, token, NULL, NULL, 0, 0);
	long status = ra.status == rb.status ? ra.status : -1;

	sv_resp_free(&ra);
	sv_resp_free(&rb);
	return status;
}

static long review_status(const char *token, const char *id, const char *move)
{
	char path[120];
	json_t *body = json_pack("{s:s, s:s}", "action", move, "comment", "hỏi lại thu nhập");
	sv_resp r;
	long status;

	snprintf(path, sizeof path, "/v1/records/%s/review", id);
	r = post(path, token, body);
	json_decref(body);
	status = r.status;
	sv_resp_free(&r);
	return status;
}

/* Runs a cell's action as its role's user; the answer's status. */
static long run_cell(const cell *c)
{
	const char *token = F->token[c->role][c->act == PULL_PERSONAL];
	json_t *ch, *req;
	char id[37], path[120];
	saola__err e;
	sv_resp r;
	long status;

	switch (c->act) {
	case PUSH_IN:
		return push_status(c->role, one(household(COMMUNE, id)));
	case PUSH_OUT:
		ch = household(COMMUNE, id);
		outside(c->role, json_object_get(ch, "d"));
		return push_status(c->role, one(ch));
	case MOVE_OUT:
		stored_household(COMMUNE, id);
		outside(c->role, req = json_object());
		return push_status(c->role, one(edit(id, req)));
	case SUBMIT: case RETURN: case APPROVE:
		stored_household(COMMUNE, id);
		return push_status(c->role, one(edit(id, json_pack("{s:s}", "_state",
		                   c->act == SUBMIT ? "submitted" : c->act == RETURN ? "returned"
		                                                                     : "approved"))));
	case COMMENT:
		stored_household(COMMUNE, id);
		return push_status(c->role, one(edit(id, json_pack("{s:s}", "_comment",
		                                                   "đã kiểm tra"))));
	case PULL: case PULL_PERSONAL:
		req = sv_request(NULL, device_of(c->role, c->act == PULL_PERSONAL), 0, 100, NULL);
		r = post("/v1/sync", token, req);
		json_decref(req);
		status = r.status;
		sv_resp_free(&r);
		return status;
	case BUNDLE:
		stored_household(COMMUNE, id);
		return bundle_status(c->role, one(edit(id, json_pack("{s:s}", "_state", "approved"))),
		                     &e);
	case REVIEW:
		stored_household(COMMUNE, id);
		assert_int_equal(push_status(ADMIN, one(edit(id, json_pack("{s:s}", "_state",
		                                                           "submitted")))), 200);
		return review_status(token, id, "approve");
	case RESOLVE:
		snprintf(path, sizeof path, "/v1/conflicts/%lld/resolve",
		         make_conflict("head_name", "Đinh Văn A", "Đinh Văn B", id));
		req = json_pack("{s:s}", "choice", "keep");
		r = post(path, token, req);
		json_decref(req);
		status = r.status;
		sv_resp_free(&r);
		return status;
	case REPORTS:
		return get_pair(token, "/v1/reports/summary?year=2025",
		                "/v1/households.csv?year=2025");
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
		fail_msg("%s, %s: expected %ld, got %ld", roles[c->role].role, action_names[c->act],
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
	stored_household(COMMUNE, id);
	for (i = 0; i < 3; i++)
		json_array_append_new(changes, household(COMMUNE, fresh[i]));
	json_array_append_new(changes, edit(id, json_pack("{s:s}", "_state", "approved")));
	r = push(SURVEYOR, changes);
	snprintf(want, sizeof want, "changes[3]: record %s: a surveyor may only submit a household"
	         " (_state \"approved\" is a commune officer's move)", id);
	assert_error(&r, 403, "forbidden", want);
	assert_column(id, "state", "draft");
	for (i = 0; i < 3; i++)
		assert_false(stored(fresh[i]));
}

/* The same through a bundle imported as the surveyor. */
static void test_surveyor_approves_by_bundle(void **state)
{
	char id[37];
	saola__err e;

	(void)state;
	stored_household(COMMUNE, id);
	assert_int_equal(bundle_status(SURVEYOR, one(edit(id, json_pack("{s:s}", "_state",
	                                                                 "approved"))), &e), 403);
	assert_non_null(strstr(e.message, "a surveyor may only submit a household"));
	assert_column(id, "state", "draft");
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
	stored_household(COMMUNE, id);
	assert_int_equal(push_status(SURVEYOR, one(edit(id, json_pack("{s:s}", "_state",
	                                                              "submitted")))), 200);
	assert_int_equal(review_status(F->token[COMMUNE_OFFICER][0], id, "return"), 200);
	assert_column(id, "state", "returned");
	tries[0] = edit(id, json_pack("{s:s}", "_state", "approved"));
	tries[1] = edit(id, json_pack("{s:s}", "_comment", ""));
	tries[2] = edit(id, json_pack("{s:n}", "_state"));
	for (i = 0; i < 3; i++) {
		r = push(SURVEYOR, one(tries[i]));
		snprintf(want, sizeof want, "changes[0]: record %s: a surveyor may only submit a"
		         " household (%s)", id, why[i]);
		assert_error(&r, 403, "forbidden", want);
		assert_column(id, "state", "returned");
		assert_column(id, "state_comment", "hỏi lại thu nhập");
	}
	/* Submitting again, with a note (saola submit --comment), is the
	 * surveyor's move: the device has pulled the return since, so its
	 * clock is past it. */
	F->counter += 1000;
	assert_int_equal(push_status(SURVEYOR, one(edit(id, json_pack("{s:s, s:s}", "_state",
	                 "submitted", "_comment", "đã hỏi lại")))), 200);
	assert_column(id, "state", "submitted");
	assert_column(id, "state_comment", "đã hỏi lại");
}

/* Units that do not form a chain, pushed new by role: refused whole with
 * message (after "changes[0]: record R: "), nothing kept. */
static void refused_new(int role, json_t *units, const char *message)
{
	json_t *ch;
	char id[37], want[300];
	sv_resp r;

	ch = household(COMMUNE, id);
	json_object_update(json_object_get(ch, "d"), units);
	json_decref(units);
	r = push(role, one(ch));
	snprintf(want, sizeof want, "changes[0]: record %s: %s", id, message);
	assert_error(&r, 400, "invalid_record", want);
	assert_false(stored(id));
}

/* A stored household of 14404 moved by role to units: refused, with
 * message, and it stays where it was. */
static void refused_move(int role, json_t *units, const char *message)
{
	char id[37], want[300];
	json_t *ch;
	sv_resp r;

	stored_household(COMMUNE, id);
	ch = edit(id, units);
	r = push(role, one(ch));
	snprintf(want, sizeof want, "changes[0]: record %s: %s", id, message);
	assert_error(&r, 400, "invalid_record", want);
	assert_column(id, "province", "37");
	assert_column(id, "district", "372");
	assert_column(id, "commune", COMMUNE);
}

/* A surveyor of 14404 pushing a household with district 369: it would
 * leave district 372's sight and count in 369's reports. */
static void test_district_369_pushed(void **state)
{
	(void)state;
	refused_new(SURVEYOR, json_pack("{s:s}", "district", "369"),
	            "commune 14404 lies in district 372, not 369");
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
	            "province 99 is not a unit of the units table (schemas/units)");
	refused_move(COMMUNE_OFFICER, json_pack("{s:s}", "province", "99"),
	             "province 99 is not a unit of the units table (schemas/units)");
}

/* An unknown commune code, from a district officer (whose own level, the
 * district, is right) and from the admin (who has no area). */
static void test_unknown_commune(void **state)
{
	(void)state;
	refused_new(DISTRICT, json_pack("{s:s}", "commune", "14999"),
	            "commune 14999 is not a unit of the units table (schemas/units)");
	refused_new(ADMIN, json_pack("{s:s}", "commune", "14999"),
	            "commune 14999 is not a unit of the units table (schemas/units)");
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
	stored_household(COMMUNE, id);
	snprintf(sql, sizeof sql, "UPDATE records SET district = '369',"
	         " data = json_set(data, '$.district', '369') WHERE id = '%s'", id);
	assert_int_equal(sqlite3_open(F->db, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	r = push(SURVEYOR, one(edit(id, json_pack("{s:s}", "head_name", "Đinh Thị Lan"))));
	snprintf(want, sizeof want, "changes[0]: record %s: district 369 is outside your area"
	         " 14404 (which lies in district 372)", id);
	assert_error(&r, 403, "forbidden", want);
	assert_int_equal(push_status(COMMUNE_OFFICER, one(edit(id, json_pack("{s:s}", "_state",
	                                                                     "submitted")))), 403);
	assert_int_equal(push_status(ADMIN, one(edit(id, json_pack("{s:s}", "_state",
	                                                           "submitted")))), 200);
	assert_int_equal(review_status(F->token[COMMUNE_OFFICER][0], id, "approve"), 403);
	assert_column(id, "state", "submitted");
	/* District 369's view: the admin sets it right, and 372 sees it again. */
	assert_int_equal(push_status(ADMIN, one(edit(id, json_pack("{s:s}", "district", "372")))),
	                 200);
	assert_int_equal(review_status(F->token[DISTRICT][0], id, "approve"), 200);
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
	cid = make_conflict("commune", COMMUNE_NEXT, COMMUNE, id);
	snprintf(path, sizeof path, "/v1/conflicts/%lld/resolve", cid);
	r = post(path, F->token[COMMUNE_OFFICER][0], body);
	assert_int_equal(r.status, 403);
	assert_non_null(strstr(r.body, "commune 14383 is outside your area 14404"));
	sv_resp_free(&r);
	assert_column(id, "commune", COMMUNE);
	r = post(path, F->token[DISTRICT][0], body);
	assert_int_equal(r.status, 200);
	sv_resp_free(&r);
	assert_column(id, "commune", COMMUNE_NEXT);
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
	snprintf(dir, sizeof dir, "%s/nounits", F->dir);
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
		ch = household(COMMUNE, id);
		json_object_set_new(json_object_get(ch, "d"), k ? "commune" : "district",
		                    json_string(k ? COMMUNE_NEXT : "369"));
		req = sv_request(k ? "nounits-2" : "nounits-1", "dev-nounits", 0, 0, one(ch));
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

/* ------------------------------------------------------------------ */

static int setup(void **state)
{
	saola_server_opts o;
	char err[512];
	saola__err e;
	json_t *req;
	sv_resp r;
	int i, p;

	(void)state;
	assert_non_null(F = calloc(1, sizeof *F));
	snprintf(F->dir, sizeof F->dir, "%s", tu_tmpdir("roles"));
	snprintf(F->db, sizeof F->db, "%s/server.db", F->dir);
	memset(&o, 0, sizeof o);
	o.db_path = F->db;
	o.listen = "127.0.0.1:0";
	o.schemas = SAOLA_TEST_SCHEMAS;
	o.threads = 2;
	if (saola_server_start(&o, &F->srv) != SAOLA_OK)
		fail_msg("server start: %s", saola_server_errmsg(F->srv));
	snprintf(F->url, sizeof F->url, "http://127.0.0.1:%d", saola_server_port(F->srv));
	if (saola__store_sqlite_open(F->db, NULL, 0, &F->st, err, sizeof err) != SAOLA_OK)
		fail_msg("store open: %s", err);
	for (i = 0; i < NROLES; i++)
		for (p = 0; p < 2; p++) {
			char name[64];
			snprintf(name, sizeof name, "%s%s", roles[i].name, p ? "-p" : "");
			if (saola__user_create(F->st, name, roles[i].role, roles[i].area,
			                       F->token[i][p], &e) != 0)
				fail_msg("user add %s: %s", name, e.message);
			if (p && saola__user_permit(F->st, name, "personal", 1, NULL, &e) != 0)
				fail_msg("user grant %s: %s", name, e.message);
			/* Each device meets the server once as its own user. */
			req = sv_request(NULL, device_of(i, p), 0, 0, NULL);
			r = post("/v1/sync", F->token[i][p], req);
			json_decref(req);
			assert_int_equal(r.status, 200);
			sv_resp_free(&r);
		}
	assert_non_null(F->gen = saola_gen_new(1111));
	F->counter = 1000;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	saola_server_stop(F->srv);
	saola__store_close(F->st);
	saola_gen_free(F->gen);
	tu_rmtree(F->dir);
	free(F);
	F = NULL;
	return 0;
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
		snprintf(names[i], sizeof names[i], "%s: %s", roles[cells[i].role].role,
		         action_names[cells[i].act]);
		memset(&tests[n], 0, sizeof tests[n]);
		tests[n].name = names[i];
		tests[n].test_func = test_cell;
		tests[n].initial_state = (void *)&cells[i];
	}
	for (i = 0; i < sizeof defects / sizeof defects[0]; i++)
		tests[n++] = defects[i];
	return _cmocka_run_group_tests("roles", tests, n, setup, teardown);
}
