/* test_server.c: saola-server in process on 127.0.0.1 (a free port),
 * driven with libcurl: authentication, areas, bad input that changes
 * nothing, pushes applied once, pulls paged by area without echoes, the
 * conflict log, bundles, and SHA-256 test vectors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "servertest.h"
#include "gen.h"
#include "merge.h"
#include "permissions.h"
#include "saola/server.h"
#include "sha256.h"
#include "store.h"
#include "users.h"
#include "versions.h"
#include "wire.h"

#define SERVER_BIN SAOLA_TEST_BINDIR "/server/saola-server"
#define MAX_BODY ((size_t)1 << 20)   /* small, so that over-limit bodies are quick */

typedef struct fixture {
	char dir[512];
	char db[1024];
	saola_server *srv;
	saola__store *st;      /* a second connection, for users */
	char url[64];
	char admin[SAOLA__TOKEN_HEX + 1];
	char alice[SAOLA__TOKEN_HEX + 1];   /* surveyor of commune 14404 */
	saola_gen *gen;
	int batches;           /* for batch ids */
} fixture;

/* A user; allow: permission words, or NULL (a user above the commune
 * pulls records with "personal" only: test_privacy.c). */
static void add_user(fixture *fx, const char *name, const char *role, const char *area,
                     const char *allow, char token[SAOLA__TOKEN_HEX + 1])
{
	saola__err e;

	if (saola__user_create(fx->st, name, role, area, token, &e) != 0)
		fail_msg("user add %s: %s", name, e.message);
	if (allow && saola__user_permit(fx->st, name, allow, 1, NULL, &e) != 0)
		fail_msg("user grant %s: %s", name, e.message);
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	saola_server_opts o;
	char err[512];
	int rc;

	assert_non_null(fx);
	snprintf(fx->dir, sizeof fx->dir, "%s", tu_tmpdir("server"));
	snprintf(fx->db, sizeof fx->db, "%s/server.db", fx->dir);
	memset(&o, 0, sizeof o);
	o.db_path = fx->db;
	o.listen = "127.0.0.1:0";
	o.schemas = SAOLA_TEST_SCHEMAS;
	o.max_body = MAX_BODY;
	o.threads = 4;
	rc = saola_server_start(&o, &fx->srv);
	if (rc != SAOLA_OK)
		fail_msg("server start: %s", saola_server_errmsg(fx->srv));
	assert_true(saola_server_port(fx->srv) > 0);
	snprintf(fx->url, sizeof fx->url, "http://127.0.0.1:%d", saola_server_port(fx->srv));
	if (saola__store_sqlite_open(fx->db, NULL, 0, &fx->st, err, sizeof err) != SAOLA_OK)
		fail_msg("store open: %s", err);
	add_user(fx, "admin", "admin", NULL, "personal", fx->admin);
	add_user(fx, "alice", "surveyor", "14404", NULL, fx->alice);
	assert_non_null(fx->gen = saola_gen_new(7));
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;

	saola_server_stop(fx->srv);
	saola__store_close(fx->st);
	saola_gen_free(fx->gen);
	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Sync requests, built by hand                                        */

/* POSTs a request object (gzip-compressed when gz). */
static sv_resp post_json(fixture *fx, const char *token, const json_t *req, int gz)
{
	char *text = json_dumps(req, JSON_COMPACT);
	unsigned char *z = NULL;
	size_t zlen = 0;
	sv_resp r;

	assert_non_null(text);
	if (gz) {
		assert_int_equal(saola__gzip(text, strlen(text), &z, &zlen), SAOLA_OK);
		r = sv_http(fx->url, "POST", "/v1/sync", token, "gzip", z, zlen, 0);
	} else {
		r = sv_http(fx->url, "POST", "/v1/sync", token, NULL, text, strlen(text), 0);
	}
	free(text);
	free(z);
	return r;
}

/* Pushes n new households of commune as one batch from device with token;
 * appends their ids to ids (may be NULL); expects 200. */
static void push_new(fixture *fx, const char *token, const char *device, const char *commune,
                     int n, json_t *ids)
{
	json_t *changes = json_array(), *req;
	char id[37], batch[32];
	sv_resp r;
	int i;

	for (i = 0; i < n; i++) {
		json_array_append_new(changes, sv_household(fx->gen, commune, id));
		if (ids)
			json_array_append_new(ids, json_string(id));
	}
	snprintf(batch, sizeof batch, "b-%d", ++fx->batches);
	req = sv_request(batch, device, 0, 0, changes);
	r = post_json(fx, token, req, 1);
	if (r.status != 200)
		fail_msg("push: %ld %s", r.status, r.body ? r.body : "");
	assert_int_equal(sv_jint(r.json, "accepted"), n);
	assert_int_equal(sv_jint(r.json, "applied"), n);
	sv_resp_free(&r);
	json_decref(req);
}

/* Pulls everything device may see from cursor, page by page; returns the
 * records as {id: record}, and the last cursor in *cursor. */
static json_t *pull_all(fixture *fx, const char *token, const char *device, int limit,
                        json_int_t *cursor, int *pages)
{
	json_t *seen = json_object(), *req, *rec;
	json_int_t at = cursor ? *cursor : 0;
	size_t i;
	int more = 1, n = 0;

	while (more) {
		sv_resp r;
		req = sv_request(NULL, device, at, limit, NULL);
		r = post_json(fx, token, req, 0);
		json_decref(req);
		if (r.status != 200)
			fail_msg("pull: %ld %s", r.status, r.body ? r.body : "");
		assert_true(json_array_size(json_object_get(r.json, "records")) <= (size_t)limit);
		json_array_foreach(json_object_get(r.json, "records"), i, rec) {
			const char *id = json_string_value(json_object_get(rec, "r"));
			if (json_object_get(seen, id))
				fail_msg("pull: record %s came twice", id);
			json_object_set(seen, id, rec);
		}
		assert_true(sv_jint(r.json, "cursor") >= at);
		at = sv_jint(r.json, "cursor");
		more = json_is_true(json_object_get(r.json, "more"));
		sv_resp_free(&r);
		assert_true(++n < 1000);
	}
	if (cursor)
		*cursor = at;
	if (pages)
		*pages = n;
	return seen;
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */

static void test_sha256_vectors(void **state)
{
	static const struct { const char *in; const char *hex; } cases[] = {
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
		{"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
		 "klmnopqrlmnopqrsmnopqrstnopqrstu",
		 "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
	};
	unsigned char d[SAOLA__SHA256_LEN];
	char hex[2 * SAOLA__SHA256_LEN + 1];
	saola__sha256_ctx c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		saola__sha256(cases[i].in, strlen(cases[i].in), d);
		saola__hex(d, sizeof d, hex);
		assert_string_equal(hex, cases[i].hex);
	}
	/* A million 'a's, fed in uneven pieces. */
	saola__sha256_init(&c);
	for (i = 0; i < 1000000;) {
		static const char as[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
		size_t k = 1 + i % 70;
		if (k > 1000000 - i)
			k = 1000000 - i;
		saola__sha256_update(&c, as, k);
		i += k;
	}
	saola__sha256_final(&c, d);
	saola__hex(d, sizeof d, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	assert_int_equal(saola__ct_compare((const unsigned char *)"abc",
	                                   (const unsigned char *)"abd", 3), 1);
}

/* RFC 4231's test cases 2 (a short key) and 6 (a key longer than a
 * block). */
static void test_hmac_sha256_vectors(void **state)
{
	unsigned char d[SAOLA__SHA256_LEN], key[131];
	char hex[2 * SAOLA__SHA256_LEN + 1];
	static const char long_data[] = "Test Using Larger Than Block-Size Key - Hash Key First";

	(void)state;
	saola__hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, d);
	saola__hex(d, sizeof d, hex);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(key, 0xaa, sizeof key);
	saola__hmac_sha256(key, sizeof key, long_data, strlen(long_data), d);
	saola__hex(d, sizeof d, hex);
	assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void test_healthz_and_forms(void **state)
{
	fixture *fx = *state;
	sv_resp r = sv_http(fx->url, "GET", "/healthz", NULL, NULL, NULL, 0, 0);

	assert_int_equal(r.status, 200);
	assert_true(json_is_true(json_object_get(r.json, "ok")));
	assert_string_equal(json_string_value(json_object_get(r.json, "version")), SAOLA_VERSION);
	assert_false(r.has_date); /* short headers: bytes count on a slow link */
	sv_resp_free(&r);

	r = sv_http(fx->url, "GET", "/v1/forms", fx->alice, NULL, NULL, 0, 0);
	assert_int_equal(r.status, 200);
	assert_true(r.gzipped);
	assert_true(json_array_size(json_object_get(r.json, "forms")) >= 2);
	assert_true(json_array_size(json_object_get(r.json, "standards")) >= 1);
	sv_resp_free(&r);

	r = sv_http(fx->url, "GET", "/v1/nothing", fx->alice, NULL, NULL, 0, 0);
	assert_int_equal(r.status, 404);
	assert_string_equal(sv_error_code(&r), "not_found");
	sv_resp_free(&r);
	r = sv_http(fx->url, "GET", "/v1/sync", fx->alice, NULL, NULL, 0, 0);
	assert_int_equal(r.status, 405);
	assert_string_equal(sv_error_code(&r), "method_not_allowed");
	sv_resp_free(&r);
}

/* Runs a request expected to fail with status and code, and checks that
 * the server's data did not change. */
static void expect_refused(fixture *fx, sv_resp r, long status, const char *code)
{
	if (r.status != status || !sv_error_code(&r) || strcmp(sv_error_code(&r), code) != 0)
		fail_msg("expected %ld %s, got %ld %s", status, code, r.status,
		         r.body ? r.body : "(no body)");
	assert_non_null(json_string_value(json_object_get(json_object_get(r.json, "error"),
	                                                  "message")));
	sv_resp_free(&r);
}

static void test_unauthorized(void **state)
{
	fixture *fx = *state;
	char bob[SAOLA__TOKEN_HEX + 1], cmd[2048], out[256], err[256];
	json_t *req;
	uint64_t before;

	push_new(fx, fx->alice, "dev-a", "14404", 2, NULL);
	before = tu_content_hash(fx->db);
	add_user(fx, "bob", "surveyor", "14404", NULL, bob);
	req = sv_request("b-x", "dev-b", 0, 10, json_pack("[o]", sv_household(fx->gen, "14404", cmd)));

	expect_refused(fx, post_json(fx, NULL, req, 1), 401, "unauthorized");
	expect_refused(fx, post_json(fx, "0123456789abcdef0123456789abcdef0123456789abcdef"
	                                 "0123456789abcdef", req, 1), 401, "unauthorized");
	expect_refused(fx, post_json(fx, "not-a-token", req, 0), 401, "unauthorized");
	expect_refused(fx, sv_http(fx->url, "GET", "/v1/forms", NULL, NULL, NULL, 0, 0), 401,
	               "unauthorized");
	/* Revoked with the command, while the server runs. */
	snprintf(cmd, sizeof cmd, "%s user revoke --db %s --name bob", SERVER_BIN, fx->db);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 0);
	assert_non_null(strstr(out, "revoked"));
	expect_refused(fx, post_json(fx, bob, req, 1), 401, "unauthorized");
	assert_true(tu_content_hash(fx->db) == before);
	json_decref(req);
}

static void test_forbidden_outside_area(void **state)
{
	fixture *fx = *state;
	json_t *req, *ids = json_array(), *edit;
	char id[37];
	uint64_t before;

	push_new(fx, fx->admin, "dev-admin", "14383", 1, ids);
	push_new(fx, fx->alice, "dev-a", "14404", 2, NULL);
	before = tu_content_hash(fx->db);

	/* A new record of another commune, after a good one: nothing applies. */
	req = sv_request("b-out", "dev-a", 0, 10,
	              json_pack("[o, o]", sv_household(fx->gen, "14404", id),
	                        sv_household(fx->gen, "14383", id)));
	expect_refused(fx, post_json(fx, fx->alice, req, 1), 403, "forbidden");
	json_decref(req);
	/* Moving a stored record of 14383 into 14404: the stored units count. */
	edit = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}, s:{s:i, s:i}}",
	                 "r", json_string_value(json_array_get(ids, 0)), "f", "household",
	                 "fv", "2025.1", "d", "commune", "14404", "district", "372",
	                 "vs", "commune", 9, "district", 9);
	req = sv_request("b-move", "dev-a", 0, 10, json_pack("[o]", edit));
	expect_refused(fx, post_json(fx, fx->alice, req, 1), 403, "forbidden");
	json_decref(req);
	/* And its pulls never show it. */
	{
		json_t *seen = pull_all(fx, fx->alice, "dev-a2", 100, NULL, NULL);
		assert_int_equal(json_object_size(seen), 2);
		assert_null(json_object_get(seen, json_string_value(json_array_get(ids, 0))));
		json_decref(seen);
	}
	assert_true(tu_content_hash(fx->db) == before);
	json_decref(ids);
}

static void test_bad_bodies(void **state)
{
	fixture *fx = *state;
	static const char bad_utf8[] = "{\"protocol\":1,\"device\":\"d\",\"batch\":\"x\","
	                               "\"changes\":[{\"r\":\"a\",\"f\":\"h\xff\xfe\"}]}";
	static const char bad_json[] = "{\"protocol\":1,\"device\":\"d\",\"changes\":[}";
	char *big = malloc(2 * MAX_BODY), id[37], *text;
	unsigned char *gz = NULL;
	size_t gzlen;
	json_t *req, *change;
	uint64_t before;

	assert_non_null(big);
	push_new(fx, fx->alice, "dev-a", "14404", 3, NULL);
	before = tu_content_hash(fx->db);

	expect_refused(fx, sv_http(fx->url, "POST", "/v1/sync", fx->alice, NULL, bad_json,
	                        strlen(bad_json), 0), 400, "bad_json");
	expect_refused(fx, sv_http(fx->url, "POST", "/v1/sync", fx->alice, NULL, bad_utf8,
	                        strlen(bad_utf8), 0), 400, "bad_utf8");
	expect_refused(fx, sv_http(fx->url, "POST", "/v1/sync", fx->alice, "br", "{}", 2, 0), 400,
	               "bad_encoding");
	expect_refused(fx, sv_http(fx->url, "POST", "/v1/sync", fx->alice, NULL, "[1]", 3, 0), 400,
	               "bad_request");
	/* Over the limit by Content-Length (refused before reading), and
	 * growing past it in chunks (refused as it is read). */
	memset(big, ' ', 2 * MAX_BODY);
	expect_refused(fx, sv_http(fx->url, "POST", "/v1/sync", fx->alice, NULL, big, 2 * MAX_BODY, 0),
	               413, "too_large");
	expect_refused(fx, sv_http(fx->url, "POST", "/v1/sync", fx->alice, NULL, NULL, 0,
	                        MAX_BODY + 100000), 413, "too_large");
	/* A truncated gzip stream. */
	req = sv_request("b-trunc", "dev-a", 0, 10,
	              json_pack("[o]", sv_household(fx->gen, "14404", id)));
	text = json_dumps(req, JSON_COMPACT);
	assert_int_equal(saola__gzip(text, strlen(text), &gz, &gzlen), SAOLA_OK);
	expect_refused(fx, sv_http(fx->url, "POST", "/v1/sync", fx->alice, "gzip", gz, gzlen - 9, 0),
	               400, "bad_encoding");
	free(text);
	free(gz);
	json_decref(req);
	/* A record that fails the form: a negative income. */
	change = sv_household(fx->gen, "14404", id);
	json_object_set_new(json_object_get(change, "d"), "income_per_capita", json_integer(-5));
	req = sv_request("b-invalid", "dev-a", 0, 10, json_pack("[o, o]",
	              sv_household(fx->gen, "14404", id), change));
	{
		sv_resp r = post_json(fx, fx->alice, req, 1);
		assert_non_null(r.body);
		assert_non_null(strstr(r.body, "income_per_capita"));
		expect_refused(fx, r, 400, "invalid_record");
	}
	json_decref(req);
	/* A wrongly shaped request. */
	req = json_pack("{s:i, s:s, s:[{s:s}]}", "protocol", 2, "device", "dev-a", "changes",
	                "r", "x");
	expect_refused(fx, post_json(fx, fx->alice, req, 0), 400, "bad_request");
	json_decref(req);
	assert_true(tu_content_hash(fx->db) == before);
	free(big);
}

static void test_gzip_bomb(void **state)
{
	fixture *fx = *state;
	size_t len;
	unsigned char *bomb;
	uint64_t before;

	push_new(fx, fx->alice, "dev-a", "14404", 1, NULL);
	before = tu_content_hash(fx->db);
	bomb = sv_zero_bomb((size_t)200 << 20, &len);
	assert_true(len < MAX_BODY);
	expect_refused(fx, sv_http(fx->url, "POST", "/v1/sync", fx->alice, "gzip", bomb, len, 0), 413,
	               "too_large");
	free(bomb);
	assert_true(tu_content_hash(fx->db) == before);
}

static void test_push_applied_and_replayed(void **state)
{
	fixture *fx = *state;
	json_t *changes = json_array(), *req, *other;
	char id[37];
	uint64_t after_first;
	sv_resp r;
	int i;

	for (i = 0; i < 20; i++)
		json_array_append_new(changes, sv_household(fx->gen, "14404", id));
	req = sv_request("batch-1", "dev-a", 0, 50, changes);
	r = post_json(fx, fx->alice, req, 1);
	assert_int_equal(r.status, 200);
	assert_true(r.gzipped);
	assert_false(json_is_true(json_object_get(r.json, "duplicate")));
	assert_int_equal(sv_jint(r.json, "accepted"), 20);
	assert_int_equal(sv_jint(r.json, "applied"), 20);
	assert_int_equal(sv_jint(r.json, "conflicts"), 0);
	/* No counter in the answer can clear a queue (docs/protocol.md). */
	assert_null(json_object_get(r.json, "acked"));
	assert_string_equal(json_string_value(json_object_get(r.json, "batch")), "batch-1");
	{
		/* The current version of each form, as the database has it. */
		json_t *forms = NULL;
		assert_int_equal(fx->st->ops->forms_current(fx->st, &forms), SAOLA_OK);
		assert_true(json_equal(forms, json_object_get(r.json, "forms")));
		assert_non_null(json_object_get(forms, "household"));
		json_decref(forms);
	}
	/* Its own records are not sent back. */
	assert_int_equal(json_array_size(json_object_get(r.json, "records")), 0);
	assert_false(json_is_true(json_object_get(r.json, "more")));
	sv_resp_free(&r);
	assert_int_equal(tu_count(fx->db, "SELECT count(*) FROM records"), 20);
	after_first = tu_content_hash(fx->db);

	/* The same batch again (as after a cut connection): nothing changes. */
	r = post_json(fx, fx->alice, req, 0);
	assert_int_equal(r.status, 200);
	assert_true(json_is_true(json_object_get(r.json, "duplicate")));
	assert_int_equal(sv_jint(r.json, "accepted"), 20);
	assert_int_equal(sv_jint(r.json, "applied"), 20);
	sv_resp_free(&r);
	assert_true(tu_content_hash(fx->db) == after_first);

	/* The same id with other changes is refused. */
	other = sv_request("batch-1", "dev-a", 0, 50,
	                json_pack("[o]", sv_household(fx->gen, "14404", id)));
	expect_refused(fx, post_json(fx, fx->alice, other, 1), 409, "batch_mismatch");
	assert_true(tu_content_hash(fx->db) == after_first);
	assert_int_equal(tu_count(fx->db, "SELECT count(*) FROM batches"), 1);
	assert_int_equal(tu_count(fx->db, "SELECT count(*) FROM devices WHERE origin = 'dev-a'"
	                                  " AND user_id = (SELECT id FROM users WHERE"
	                                  " name = 'alice') AND last_sync IS NOT NULL"), 1);
	json_decref(other);
	json_decref(req);
}

static void test_pull_paging(void **state)
{
	fixture *fx = *state;
	json_t *ids = json_array(), *seen, *id;
	json_int_t cursor = 0;
	size_t i;
	int pages = 0;

	push_new(fx, fx->admin, "dev-admin", NULL, 25, ids);
	push_new(fx, fx->admin, "dev-admin", "14404", 5, ids);
	seen = pull_all(fx, fx->admin, "dev-p", 7, &cursor, &pages);
	assert_int_equal(json_object_size(seen), 30);
	assert_int_equal(pages, 5);
	json_array_foreach(ids, i, id)
		assert_non_null(json_object_get(seen, json_string_value(id)));
	json_decref(seen);
	/* From the last cursor there is nothing new. */
	seen = pull_all(fx, fx->admin, "dev-p", 7, &cursor, &pages);
	assert_int_equal(json_object_size(seen), 0);
	assert_int_equal(pages, 1);
	json_decref(seen);
	json_decref(ids);
}

static void test_pull_by_area(void **state)
{
	fixture *fx = *state;
	char district[SAOLA__TOKEN_HEX + 1], province[SAOLA__TOKEN_HEX + 1];
	json_t *seen, *rec;
	const char *k;

	push_new(fx, fx->admin, "dev-admin", "14404", 6, NULL);
	push_new(fx, fx->admin, "dev-admin", "14383", 4, NULL);
	push_new(fx, fx->admin, "dev-admin", "14593", 3, NULL);  /* district 375 */
	add_user(fx, "dora", "district", "372", "personal", district);
	add_user(fx, "paul", "province", "37", "personal", province);

	seen = pull_all(fx, fx->alice, "dev-a", 4, NULL, NULL);
	assert_int_equal(json_object_size(seen), 6);
	json_object_foreach(seen, k, rec)
		assert_string_equal(json_string_value(json_object_get(json_object_get(rec, "d"),
		                                                      "commune")), "14404");
	json_decref(seen);
	seen = pull_all(fx, district, "dev-d", 100, NULL, NULL);
	assert_int_equal(json_object_size(seen), 10);
	json_decref(seen);
	seen = pull_all(fx, province, "dev-p", 100, NULL, NULL);
	assert_int_equal(json_object_size(seen), 13);
	json_decref(seen);
}

static void test_echo_and_conflicts(void **state)
{
	fixture *fx = *state;
	json_t *ids = json_array(), *seen, *req;
	json_int_t cur_a = 0, cur_b = 0;
	const char *r1, *r2;
	sv_resp r;

	/* Device A makes three records; its own pull does not return them. */
	push_new(fx, fx->alice, "dev-a", "14404", 3, ids);
	seen = pull_all(fx, fx->alice, "dev-a", 100, &cur_a, NULL);
	assert_int_equal(json_object_size(seen), 0);
	json_decref(seen);
	/* Device B (the same user on another tablet) sees them all. */
	seen = pull_all(fx, fx->alice, "dev-b", 100, &cur_b, NULL);
	assert_int_equal(json_object_size(seen), 3);
	json_decref(seen);
	r1 = json_string_value(json_array_get(ids, 0));
	r2 = json_string_value(json_array_get(ids, 1));

	/* B edits r1's head having seen it (member 1's name, which head_name
	 * is computed from): the answer does not echo it to B ... */
	req = sv_request("b-b1", "dev-b", cur_b, 100,
	              json_pack("[o]", sv_head_edit(r1, "Nguyễn Văn B", 2, 1, "dev-a")));
	r = post_json(fx, fx->alice, req, 1);
	assert_int_equal(r.status, 200);
	assert_int_equal(sv_jint(r.json, "applied"), 1);
	assert_int_equal(json_array_size(json_object_get(r.json, "records")), 0);
	cur_b = sv_jint(r.json, "cursor");
	sv_resp_free(&r);
	json_decref(req);
	/* ... but A, which has not seen it, gets it. */
	seen = pull_all(fx, fx->alice, "dev-a", 100, &cur_a, NULL);
	assert_int_equal(json_object_size(seen), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(
	        json_object_get(json_object_get(seen, r1), "d"), "members"), 0), "name")),
	        "Nguyễn Văn B");
	json_decref(seen);

	/* A and B edit r2's head at once: B's version wins ("dev-b" > "dev-a"),
	 * A's value goes to the conflict log. */
	req = sv_request("b-a2", "dev-a", cur_a, 100,
	              json_pack("[o]", sv_head_edit(r2, "Trần Văn A", 2, 1, "dev-a")));
	r = post_json(fx, fx->alice, req, 1);
	assert_int_equal(r.status, 200);
	assert_int_equal(sv_jint(r.json, "conflicts"), 0);
	assert_int_equal(json_array_size(json_object_get(r.json, "records")), 0);
	assert_null(json_object_get(r.json, "acked"));
	sv_resp_free(&r);
	json_decref(req);
	req = sv_request("b-b2", "dev-b", cur_b, 100,
	              json_pack("[o]", sv_head_edit(r2, "Lê Văn B", 2, 1, "dev-a")));
	r = post_json(fx, fx->alice, req, 1);
	assert_int_equal(r.status, 200);
	assert_int_equal(sv_jint(r.json, "conflicts"), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(r.json, "conflicted"),
	                                                     0)), r2);
	/* B had not seen A's edit, so the merged r2 goes back to B. */
	assert_int_equal(json_array_size(json_object_get(r.json, "records")), 1);
	sv_resp_free(&r);
	json_decref(req);
	assert_int_equal(tu_count(fx->db, "SELECT count(*) FROM conflicts WHERE path = '"
	                                  SV_HEAD_PATH "' AND lost_value = '\"Trần Văn A\"' AND stored_lost = 1"
	                                  " AND kept_value = '\"Lê Văn B\"'"), 1);
	json_decref(ids);
}


/* Every path of a's state has the same value and version in b's. */
static void same_state(json_t *a, json_t *b, const char *id)
{
	json_t *va = json_object_get(a, "values"), *vb = json_object_get(b, "values"), *v;
	json_t *xa = json_object_get(a, "versions"), *xb = json_object_get(b, "versions");
	const char *path;

	if (!json_equal(va, vb))
		fail_msg("record %s: values differ", id);
	json_object_foreach(va, path, v)
		if (saola__version_cmp(saola__version_of(xa, path), saola__version_of(xb, path)) != 0)
			fail_msg("record %s: %s: versions differ", id, path);
	json_object_foreach(xa, path, v)
		if (!json_object_get(va, path) &&
		    saola__version_cmp(v, json_object_get(xb, path)) != 0)
			fail_msg("record %s: removal %s differs", id, path);
}

static void test_pull_converges(void **state)
{
	fixture *fx = *state;
	json_t *ids = json_array(), *seen, *rec, *req, *removal;
	saola *device, *server;
	const char *k, *r1;
	char path[1100], err[256];
	sv_resp r;

	push_new(fx, fx->alice, "dev-a", "14404", 4, ids);
	r1 = json_string_value(json_array_get(ids, 0));
	/* An edit, and a removed answer, from another device. */
	removal = json_pack("{s:s, s:s, s:s, s:{}, s:{s:[i, s]}}", "r",
	                    json_string_value(json_array_get(ids, 1)), "f", "household",
	                    "fv", "2025.1", "d", "vs", "poverty_causes", 3, "dev-b");
	req = sv_request("b-conv", "dev-b", 0, 0, json_pack("[o, o]",
	              sv_edit(r1, "village", "Xóm 9", 2, 1, "dev-a"), removal));
	r = post_json(fx, fx->alice, req, 1);
	assert_int_equal(r.status, 200);
	sv_resp_free(&r);
	json_decref(req);

	/* A device with nothing pulls everything and merges it: it holds what
	 * the server holds (a path's version left out means "_"). */
	snprintf(path, sizeof path, "%s/device.db", fx->dir);
	device = tu_open(path, 1);
	seen = pull_all(fx, fx->alice, "dev-new", 3, NULL, NULL);
	assert_int_equal(json_object_size(seen), 4);
	assert_int_equal(saola_begin(device), SAOLA_OK);
	json_object_foreach(seen, k, rec) {
		saola__remote rm;
		int changed = 0;
		assert_int_equal(saola__wire_decode(device, rec, NULL, &rm, err, sizeof err), SAOLA_OK);
		assert_int_equal(saola__apply_remote(device, &rm, NULL, NULL, &changed), SAOLA_OK);
		assert_true(changed);
		{
			/* Only versions that say more than "_" travel. */
			json_t *vs = json_object_get(rec, "vs"), *v;
			const char *p;
			json_object_foreach(vs, p, v)
				if (strcmp(p, "_") != 0 && json_object_get(rm.values, p) &&
				    !json_is_null(json_object_get(rm.values, p)))
					assert_int_not_equal(saola__version_cmp(v, json_object_get(vs, "_")), 0);
		}
		saola__wire_remote_free(&rm);
	}
	assert_int_equal(saola_commit(device), SAOLA_OK);
	assert_int_equal(saola_open(fx->db, SAOLA_OPEN_READONLY, &server), SAOLA_OK);
	json_object_foreach(seen, k, rec) {
		json_t *a = NULL, *b = NULL;
		assert_int_equal(saola__record_state(server, k, &a), SAOLA_OK);
		assert_int_equal(saola__record_state(device, k, &b), SAOLA_OK);
		same_state(a, b, k);
		json_decref(a);
		json_decref(b);
	}
	saola_close(server);
	saola_close(device);
	json_decref(seen);
	json_decref(ids);
}

/* The command: one line on stdout once it listens, a clean stop on
 * SIGTERM. */
static void test_serve_command(void **state)
{
	fixture *fx = *state;
	char db[1100], line[256], rest[64];
	int fds[2], status, port = 0;
	FILE *out;
	pid_t pid;
	sv_resp r;
	char url[64];

	snprintf(db, sizeof db, "%s/served.db", fx->dir);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(SERVER_BIN, SERVER_BIN, "serve", "--db", db, "--listen", "127.0.0.1:0",
		      "--schemas", SAOLA_TEST_SCHEMAS, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	assert_non_null(out = fdopen(fds[0], "r"));
	assert_non_null(fgets(line, sizeof line, out));
	assert_int_equal(sscanf(line, "listening on http://127.0.0.1:%d", &port), 1);
	assert_true(port > 0);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
	r = sv_http(url, "GET", "/healthz", NULL, NULL, NULL, 0, 0);
	assert_int_equal(r.status, 200);
	sv_resp_free(&r);
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_null(fgets(rest, sizeof rest, out)); /* exactly one line */
	fclose(out);
}

static void test_bundles(void **state)
{
	fixture *fx = *state;
	char path[1100], out_path[1100], cmd[4096], out[1024], err[1024], kind[8], id[37];
	json_t *payload, *pulled = NULL, *changes = json_array();
	uint64_t after_first;
	int i;

	push_new(fx, fx->admin, "dev-admin", "14383", 2, NULL);
	for (i = 0; i < 4; i++)
		json_array_append_new(changes, sv_household(fx->gen, "14404", id));
	payload = sv_request("bundle-1", "dev-usb", 0, 0, changes);
	snprintf(path, sizeof path, "%s/push.bundle", fx->dir);
	assert_int_equal(saola__bundle_write(path, "push", payload, err, sizeof err), SAOLA_OK);

	/* The device never synced, so its user must be named. */
	snprintf(cmd, sizeof cmd, "%s bundle import --db %s %s", SERVER_BIN, fx->db, path);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 1);
	assert_non_null(strstr(err, "--user"));
	snprintf(cmd, sizeof cmd, "%s bundle import --db %s --user alice %s", SERVER_BIN, fx->db,
	         path);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 0);
	assert_non_null(strstr(out, "4 changes, 4 records changed"));
	assert_int_equal(tu_count(fx->db, "SELECT count(*) FROM records"), 6);
	after_first = tu_content_hash(fx->db);
	/* Again, now without --user (the device is known): applied once. */
	snprintf(cmd, sizeof cmd, "%s bundle import --db %s %s", SERVER_BIN, fx->db, path);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 0);
	assert_non_null(strstr(out, "imported before"));
	assert_non_null(strstr(err, "bundle import: acting as user alice, the owner of device"
	                            " dev-usb"));
	assert_true(tu_content_hash(fx->db) == after_first);

	/* A pull bundle for alice: her commune's records only, all of them. */
	snprintf(out_path, sizeof out_path, "%s/pull.bundle", fx->dir);
	snprintf(cmd, sizeof cmd, "%s bundle export --db %s --user alice %s", SERVER_BIN, fx->db,
	         out_path);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 0);
	assert_int_equal(saola__bundle_read(out_path, kind, &pulled, (size_t)64 << 20, err,
	                                    sizeof err), SAOLA_OK);
	assert_string_equal(kind, "pull");
	assert_int_equal(json_array_size(json_object_get(pulled, "records")), 4);
	/* The bundle confirms the device's bundle batch, by id, not a counter. */
	assert_null(json_object_get(pulled, "acked"));
	assert_null(json_object_get(pulled, "acked_by_device"));
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(
	                        pulled, "confirmed"), "dev-usb"), 0)), "bundle-1");
	assert_true(sv_jint(pulled, "cursor") > 0);
	assert_false(json_is_true(json_object_get(pulled, "more")));
	json_decref(pulled);
	json_decref(payload);
}

static void test_cli_usage(void **state)
{
	fixture *fx = *state;
	char cmd[2048], out[4096], err[1024];

	snprintf(cmd, sizeof cmd, "%s --help", SERVER_BIN);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 0);
	assert_non_null(strstr(out, "serve"));
	assert_non_null(strstr(out, "user"));
	assert_non_null(strstr(out, "bundle"));
	snprintf(cmd, sizeof cmd, "%s user add --db %s --name x", SERVER_BIN, fx->db);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 2);
	assert_non_null(strstr(err, "usage:"));
	snprintf(cmd, sizeof cmd, "%s user add --db %s --name carol --role surveyor --area 123456",
	         SERVER_BIN, fx->db);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 1);
	assert_non_null(strstr(err, "area"));
	snprintf(cmd, sizeof cmd, "%s user add --db %s --name carol --role commune --area 14404",
	         SERVER_BIN, fx->db);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 0);
	assert_int_equal(strlen(out), SAOLA__TOKEN_HEX + 1);
	snprintf(cmd, sizeof cmd, "%s user list --db %s", SERVER_BIN, fx->db);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 0);
	assert_non_null(strstr(out, "carol"));
	assert_non_null(strstr(out, "LAST SYNC"));
	assert_int_equal(tu_count(fx->db, "SELECT count(*) FROM users WHERE name = 'carol'"
	                                  " AND length(token_hash) = 32"), 1);
	snprintf(cmd, sizeof cmd, "%s forms load --db %s --schemas %s", SERVER_BIN, fx->db,
	         SAOLA_TEST_SCHEMAS);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 0);
	assert_non_null(strstr(out, "loaded 2 forms"));
	snprintf(cmd, sizeof cmd, "%s report --db %s --report summary", SERVER_BIN, fx->db);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 0);
	assert_non_null(strstr(out, "Households surveyed"));
	saola_server_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_hmac_sha256_vectors),
		cmocka_unit_test_setup_teardown(test_healthz_and_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unauthorized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forbidden_outside_area, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_bodies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gzip_bomb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_push_applied_and_replayed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pull_paging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pull_by_area, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_and_conflicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pull_converges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serve_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli_usage, setup, teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests_name("server", tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
