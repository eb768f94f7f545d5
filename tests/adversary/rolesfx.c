/* rolesfx.c: the fixture of test_adversary's roles group (rolesfx.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "testutil.h"
#include "rolesfx.h"
#include "bundle.h"
#include "permissions.h"
#include "users.h"
#include "wire.h"

const rf_role rf_roles[NROLES] = {
	{"ks-14404", "surveyor", COMMUNE},
	{"xa-14404", "commune", COMMUNE},
	{"huyen-372", "district", "372"},
	{"tinh-37", "province", "37"},
	{"quan-tri", "admin", NULL},
};

roles_fixture *RF;

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

/* The device of a role's user (perm: the one with "personal"). */
const char *rf_device_of(int role, int perm)
{
	static char buf[4][48];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "dev-%s%s", rf_roles[role].name, perm ? "-p" : "");
	return buf[k];
}

sv_resp rf_post(const char *path, const char *token, const json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	sv_resp r;

	assert_non_null(text);
	r = sv_http(RF->url, "POST", path, token, NULL, text, strlen(text), 0);
	free(text);
	return r;
}

/* Pushes changes (taken) as a new batch of role's user and device. */
sv_resp rf_push(int role, json_t *changes)
{
	char batch[32];
	json_t *req;
	sv_resp r;

	snprintf(batch, sizeof batch, "roles-%d", ++RF->batch);
	req = sv_request(batch, rf_device_of(role, 0), 0, 0, changes);
	r = rf_post("/v1/sync", RF->token[role][0], req);
	json_decref(req);
	return r;
}

long rf_push_status(int role, json_t *changes)
{
	sv_resp r = rf_push(role, changes);
	long status = r.status;

	sv_resp_free(&r);
	return status;
}

/* A new household of commune (consistent units, saola-gen's default survey year 2024). */
json_t *rf_household(const char *commune, char id[37])
{
	return sv_household(RF->gen, commune, id);
}

json_t *rf_one(json_t *change)
{
	json_t *a = json_array();

	assert_non_null(a);
	json_array_append_new(a, change);
	return a;
}

/* A household of commune that the admin pushes (versions [1, its device]). */
void rf_stored_household(const char *commune, char id[37])
{
	sv_resp r = rf_push(ADMIN, rf_one(rf_household(commune, id)));

	if (r.status != 200)
		fail_msg("admin push: %ld %s", r.status, r.body ? r.body : "");
	sv_resp_free(&r);
}

/* An edit of household id: fields (taken: {path: value}; a null value is
 * a removal) at a new version of the sender, made over the admin's first
 * version (answers) or no version (the review paths). */
json_t *rf_edit(const char *id, json_t *fields)
{
	json_t *c = json_pack("{s:s, s:s, s:s, s:{}, s:{}, s:{}}", "r", id, "f", "household",
	                      "fv", "2025.1", "d", "vs", "b");
	json_t *d = json_object_get(c, "d"), *vs = json_object_get(c, "vs");
	json_t *b = json_object_get(c, "b"), *v;
	const char *k;
	int counter = ++RF->counter;

	assert_non_null(c);
	json_object_foreach(fields, k, v) {
		if (!json_is_null(v))
			json_object_set(d, k, v);
		json_object_set_new(vs, k, json_integer(counter));
		json_object_set_new(b, k, k[0] == '_' ? json_null()
		                                      : json_pack("[i, s]", 1, rf_device_of(ADMIN, 0)));
	}
	json_decref(fields);
	return c;
}

/* The one text column col of record id, into buf ("" for NULL or none). */
const char *rf_column(const char *id, const char *col, char *buf, size_t len)
{
	char sql[200];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	buf[0] = '\0';
	snprintf(sql, sizeof sql, "SELECT %s FROM records WHERE id = ?1", col);
	assert_int_equal(sqlite3_open_v2(RF->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return buf;
}

int rf_stored(const char *id)
{
	char sql[120];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM records WHERE id = '%s'", id);
	return tu_count(RF->db, sql) == 1;
}

void rf_assert_column(const char *id, const char *col, const char *want)
{
	char buf[256];

	if (strcmp(rf_column(id, col, buf, sizeof buf), want) != 0)
		fail_msg("record %s: %s is \"%s\", expected \"%s\"", id, col, buf, want);
}

/* Expects an error answer of status and code whose message is message. */
void rf_assert_error(sv_resp *r, long status, const char *code, const char *message)
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
long rf_bundle_status(int role, json_t *changes, saola__err *e)
{
	char path[700], batch[32], err[256];
	json_t *payload, *summary = NULL;
	int rc;

	snprintf(batch, sizeof batch, "roles-bundle-%d", ++RF->batch);
	snprintf(path, sizeof path, "%s/%s.bundle", RF->dir, batch);
	payload = sv_request(batch, rf_device_of(role, 0), 0, 0, changes);
	assert_int_equal(saola__bundle_write(path, "push", payload, err, sizeof err), SAOLA_OK);
	json_decref(payload);
	rc = saola__bundle_import(RF->st, path, rf_roles[role].name, (size_t)64 << 20, &summary, e);
	json_decref(summary);
	return rc == 0 ? 200 : saola__err_status(e);
}

/* A conflict on path of a new household of COMMUNE: two admins' devices
 * edit path over the same base, to lost and then kept (which wins). Its
 * id in the log. */
long long rf_make_conflict(const char *path, const char *lost, const char *kept,
                               char id[37])
{
	json_t *a, *b, *list, *c;
	char batch[32];
	long long cid = 0;
	size_t i;
	sv_resp r;

	rf_stored_household(COMMUNE, id);
	a = rf_edit(id, json_pack("{s:s}", path, lost));
	b = rf_edit(id, json_pack("{s:s}", path, kept));
	assert_int_equal(rf_push_status(ADMIN, rf_one(a)), 200);
	snprintf(batch, sizeof batch, "roles-%d", ++RF->batch);
	list = sv_request(batch, rf_device_of(ADMIN, 1), 0, 0, rf_one(b));
	r = rf_post("/v1/sync", RF->token[ADMIN][1], list);
	json_decref(list);
	assert_int_equal(r.status, 200);
	sv_resp_free(&r);
	r = sv_http(RF->url, "GET", "/v1/conflicts?status=open&limit=500", RF->token[ADMIN][0],
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


long rf_review_status(const char *token, const char *id, const char *move)
{
	char path[120];
	json_t *body = json_pack("{s:s, s:s}", "action", move, "comment", "hỏi lại thu nhập");
	sv_resp r;
	long status;

	snprintf(path, sizeof path, "/v1/records/%s/review", id);
	r = rf_post(path, token, body);
	json_decref(body);
	status = r.status;
	sv_resp_free(&r);
	return status;
}

int rf_setup(void **state)
{
	saola__err e;
	json_t *req;
	sv_resp r;
	int i, p;

	(void)state;
	assert_non_null(RF = calloc(1, sizeof *RF));
	snprintf(RF->dir, sizeof RF->dir, "%s", tu_tmpdir("roles"));
	snprintf(RF->db, sizeof RF->db, "%s/server.db", RF->dir);
	RF->srv = sv_start(RF->db, 2, RF->url, sizeof RF->url);
	RF->st = sv_store(RF->db);
	for (i = 0; i < NROLES; i++)
		for (p = 0; p < 2; p++) {
			char name[64];
			snprintf(name, sizeof name, "%s%s", rf_roles[i].name, p ? "-p" : "");
			if (saola__user_create(RF->st, name, rf_roles[i].role, rf_roles[i].area,
			                       RF->token[i][p], &e) != 0)
				fail_msg("user add %s: %s", name, e.message);
			if (p && saola__user_permit(RF->st, name, "personal", 1, NULL, &e) != 0)
				fail_msg("user grant %s: %s", name, e.message);
			/* Each device meets the server once as its own user. */
			req = sv_request(NULL, rf_device_of(i, p), 0, 0, NULL);
			r = rf_post("/v1/sync", RF->token[i][p], req);
			json_decref(req);
			assert_int_equal(r.status, 200);
			sv_resp_free(&r);
		}
	assert_non_null(RF->gen = saola_gen_new(1111));
	RF->counter = 1000;
	return 0;
}

int rf_teardown(void **state)
{
	(void)state;
	saola_server_stop(RF->srv);
	saola__store_close(RF->st);
	saola_gen_free(RF->gen);
	tu_rmtree(RF->dir);
	free(RF);
	RF = NULL;
	return 0;
}
