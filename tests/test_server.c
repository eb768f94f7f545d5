/* test_server.c: saola-server in process on 127.0.0.1 (a free port),
 * driven with libcurl: authentication, areas, bad input that changes
 * nothing, pushes applied once, pulls paged by area without echoes, the
 * conflict log, bundles, and SHA-256 test vectors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "testutil.h"
#include "gen.h"
#include "merge.h"
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

static void add_user(fixture *fx, const char *name, const char *role, const char *area,
                     char token[SAOLA__TOKEN_HEX + 1])
{
	saola__err e;

	if (saola__user_create(fx->st, name, role, area, token, &e) != 0)
		fail_msg("user add %s: %s", name, e.message);
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
	add_user(fx, "admin", "admin", NULL, fx->admin);
	add_user(fx, "alice", "surveyor", "14404", fx->alice);
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
/* HTTP with libcurl                                                    */

typedef struct resp {
	long status;
	char *body;
	size_t len;
	json_t *json;
	int gzipped;           /* the answer came with Content-Encoding: gzip */
	int has_date;
} resp;

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	resp *r = arg;
	char *grown = realloc(r->body, r->len + size * n + 1);

	if (!grown)
		return 0;
	r->body = grown;
	memcpy(r->body + r->len, p, size * n);
	r->len += size * n;
	r->body[r->len] = '\0';
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	resp *r = arg;

	if (size * n >= 22 && strncasecmp(p, "Content-Encoding: gzip", 22) == 0)
		r->gzipped = 1;
	if (size * n >= 5 && strncasecmp(p, "Date:", 5) == 0)
		r->has_date = 1;
	return size * n;
}

/* A chunked body of n bytes of spaces, read by curl piece by piece. */
typedef struct chunked {
	size_t left;
} chunked;

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
	chunked *c = arg;
	size_t k = size * n < c->left ? size * n : c->left;

	memset(buf, ' ', k);
	c->left -= k;
	return k;
}

/* Sends a request; method "GET" or "POST". token, encoding may be NULL.
 * chunked_len > 0 sends that many bytes chunked instead of body. */
static resp http(fixture *fx, const char *method, const char *path, const char *token,
                 const char *encoding, const void *body, size_t len, size_t chunked_len)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char url[256], line[200];
	chunked ck;
	resp r;
	CURLcode cc;

	memset(&r, 0, sizeof r);
	assert_non_null(c);
	snprintf(url, sizeof url, "%s%s", fx->url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	if (token) {
		snprintf(line, sizeof line, "Authorization: Bearer %s", token);
		h = curl_slist_append(h, line);
	}
	if (encoding) {
		snprintf(line, sizeof line, "Content-Encoding: %s", encoding);
		h = curl_slist_append(h, line);
	}
	if (strcmp(method, "POST") == 0) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		if (chunked_len) {
			ck.left = chunked_len;
			h = curl_slist_append(h, "Transfer-Encoding: chunked");
			curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(c, CURLOPT_READDATA, &ck);
		} else {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		}
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK)
		fail_msg("%s %s: %s", method, path, curl_easy_strerror(cc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (r.body)
		r.json = json_loadb(r.body, r.len, 0, NULL);
	return r;
}

static void resp_free(resp *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof *r);
}

static const char *error_code(const resp *r)
{
	return json_string_value(json_object_get(json_object_get(r->json, "error"), "code"));
}

static json_int_t jint(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* ------------------------------------------------------------------ */
/* Sync requests, built by hand                                        */

/* A new household of commune as a wire change (version counter 1 of the
 * sender, every member with an _id). New reference; *id gets the id. */
static json_t *new_household(fixture *fx, const char *commune, char id[37])
{
	saola_gen_opts go;
	json_t *h, *m;
	size_t i;

	memset(&go, 0, sizeof go);
	go.commune = commune;
	assert_non_null(h = saola_gen_household(fx->gen, &go));
	json_array_foreach(json_object_get(h, "members"), i, m) {
		char mid[24];
		snprintf(mid, sizeof mid, "%08zx", i + 1);
		json_object_set_new(m, "_id", json_string(mid));
	}
	assert_int_equal(saola__uuid(id), 0);
	return json_pack("{s:s, s:s, s:s, s:o, s:{s:i}}", "r", id, "f", "household",
	                 "fv", "2025.1", "d", h, "vs", "_", 1);
}

/* A request: takes the reference to changes. */
static json_t *request(const char *batch, const char *device, json_int_t cursor,
                       int pull_limit, json_t *changes)
{
	json_t *r = json_pack("{s:i, s:s?, s:s, s:I, s:i, s:o}", "protocol", 1, "batch", batch,
	                      "device", device, "cursor", cursor, "pull_limit", pull_limit,
	                      "changes", changes ? changes : json_array());
	assert_non_null(r);
	return r;
}

/* POSTs a request object (gzip-compressed when gz). */
static resp post_json(fixture *fx, const char *token, const json_t *req, int gz)
{
	char *text = json_dumps(req, JSON_COMPACT);
	unsigned char *z = NULL;
	size_t zlen = 0;
	resp r;

	assert_non_null(text);
	if (gz) {
		assert_int_equal(saola__gzip(text, strlen(text), &z, &zlen), SAOLA_OK);
		r = http(fx, "POST", "/v1/sync", token, "gzip", z, zlen, 0);
	} else {
		r = http(fx, "POST", "/v1/sync", token, NULL, text, strlen(text), 0);
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
	resp r;
	int i;

	for (i = 0; i < n; i++) {
		json_array_append_new(changes, new_household(fx, commune, id));
		if (ids)
			json_array_append_new(ids, json_string(id));
	}
	snprintf(batch, sizeof batch, "b-%d", ++fx->batches);
	req = request(batch, device, 0, 0, changes);
	r = post_json(fx, token, req, 1);
	if (r.status != 200)
		fail_msg("push: %ld %s", r.status, r.body ? r.body : "");
	assert_int_equal(jint(r.json, "accepted"), n);
	assert_int_equal(jint(r.json, "applied"), n);
	resp_free(&r);
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
		resp r;
		req = request(NULL, device, at, limit, NULL);
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
		assert_true(jint(r.json, "cursor") >= at);
		at = jint(r.json, "cursor");
		more = json_is_true(json_object_get(r.json, "more"));
		resp_free(&r);
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

static void test_healthz_and_forms(void **state)
{
	fixture *fx = *state;
	resp r = http(fx, "GET", "/healthz", NULL, NULL, NULL, 0, 0);

	assert_int_equal(r.status, 200);
	assert_true(json_is_true(json_object_get(r.json, "ok")));
	assert_string_equal(json_string_value(json_object_get(r.json, "version")), SAOLA_VERSION);
	assert_false(r.has_date); /* short headers: bytes count on a slow link */
	resp_free(&r);

	r = http(fx, "GET", "/v1/forms", fx->alice, NULL, NULL, 0, 0);
	assert_int_equal(r.status, 200);
	assert_true(r.gzipped);
	assert_true(json_array_size(json_object_get(r.json, "forms")) >= 2);
	assert_true(json_array_size(json_object_get(r.json, "standards")) >= 1);
	resp_free(&r);

	r = http(fx, "GET", "/v1/nothing", fx->alice, NULL, NULL, 0, 0);
	assert_int_equal(r.status, 404);
	assert_string_equal(error_code(&r), "not_found");
	resp_free(&r);
	r = http(fx, "GET", "/v1/sync", fx->alice, NULL, NULL, 0, 0);
	assert_int_equal(r.status, 405);
	assert_string_equal(error_code(&r), "method_not_allowed");
	resp_free(&r);
}

/* Runs a request expected to fail with status and code, and checks that
 * the server's data did not change. */
static void expect_refused(fixture *fx, resp r, long status, const char *code)
{
	if (r.status != status || !error_code(&r) || strcmp(error_code(&r), code) != 0)
		fail_msg("expected %ld %s, got %ld %s", status, code, r.status,
		         r.body ? r.body : "(no body)");
	assert_non_null(json_string_value(json_object_get(json_object_get(r.json, "error"),
	                                                  "message")));
	resp_free(&r);
}

static void test_unauthorized(void **state)
{
	fixture *fx = *state;
	char bob[SAOLA__TOKEN_HEX + 1], cmd[2048], out[256], err[256];
	json_t *req;
	uint64_t before;

	push_new(fx, fx->alice, "dev-a", "14404", 2, NULL);
	before = tu_content_hash(fx->db);
	add_user(fx, "bob", "surveyor", "14404", bob);
	req = request("b-x", "dev-b", 0, 10, json_pack("[o]", new_household(fx, "14404", cmd)));

	expect_refused(fx, post_json(fx, NULL, req, 1), 401, "unauthorized");
	expect_refused(fx, post_json(fx, "0123456789abcdef0123456789abcdef0123456789abcdef"
	                                 "0123456789abcdef", req, 1), 401, "unauthorized");
	expect_refused(fx, post_json(fx, "not-a-token", req, 0), 401, "unauthorized");
	expect_refused(fx, http(fx, "GET", "/v1/forms", NULL, NULL, NULL, 0, 0), 401,
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
	req = request("b-out", "dev-a", 0, 10,
	              json_pack("[o, o]", new_household(fx, "14404", id),
	                        new_household(fx, "14383", id)));
	expect_refused(fx, post_json(fx, fx->alice, req, 1), 403, "forbidden");
	json_decref(req);
	/* Moving a stored record of 14383 into 14404: the stored units count. */
	edit = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}, s:{s:i, s:i}}",
	                 "r", json_string_value(json_array_get(ids, 0)), "f", "household",
	                 "fv", "2025.1", "d", "commune", "14404", "district", "372",
	                 "vs", "commune", 9, "district", 9);
	req = request("b-move", "dev-a", 0, 10, json_pack("[o]", edit));
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

	expect_refused(fx, http(fx, "POST", "/v1/sync", fx->alice, NULL, bad_json,
	                        strlen(bad_json), 0), 400, "bad_json");
	expect_refused(fx, http(fx, "POST", "/v1/sync", fx->alice, NULL, bad_utf8,
	                        strlen(bad_utf8), 0), 400, "bad_utf8");
	expect_refused(fx, http(fx, "POST", "/v1/sync", fx->alice, "br", "{}", 2, 0), 400,
	               "bad_encoding");
	expect_refused(fx, http(fx, "POST", "/v1/sync", fx->alice, NULL, "[1]", 3, 0), 400,
	               "bad_request");
	/* Over the limit by Content-Length (refused before reading), and
	 * growing past it in chunks (refused as it is read). */
	memset(big, ' ', 2 * MAX_BODY);
	expect_refused(fx, http(fx, "POST", "/v1/sync", fx->alice, NULL, big, 2 * MAX_BODY, 0),
	               413, "too_large");
	expect_refused(fx, http(fx, "POST", "/v1/sync", fx->alice, NULL, NULL, 0,
	                        MAX_BODY + 100000), 413, "too_large");
	/* A truncated gzip stream. */
	req = request("b-trunc", "dev-a", 0, 10,
	              json_pack("[o]", new_household(fx, "14404", id)));
	text = json_dumps(req, JSON_COMPACT);
	assert_int_equal(saola__gzip(text, strlen(text), &gz, &gzlen), SAOLA_OK);
	expect_refused(fx, http(fx, "POST", "/v1/sync", fx->alice, "gzip", gz, gzlen - 9, 0),
	               400, "bad_encoding");
	free(text);
	free(gz);
	json_decref(req);
	/* A record that fails the form: a negative income. */
	change = new_household(fx, "14404", id);
	json_object_set_new(json_object_get(change, "d"), "income_per_capita", json_integer(-5));
	req = request("b-invalid", "dev-a", 0, 10, json_pack("[o, o]",
	              new_household(fx, "14404", id), change));
	{
		resp r = post_json(fx, fx->alice, req, 1);
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

/* Compresses n zero bytes in a stream (never holding them all). */
static unsigned char *zero_bomb(size_t n, size_t *len)
{
	static unsigned char zeros[1 << 16];
	size_t cap = n / 500 + 4096;
	unsigned char *out = malloc(cap);
	z_stream z;

	assert_non_null(out);
	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	while (n > 0) {
		size_t k = n < sizeof zeros ? n : sizeof zeros;
		z.next_in = zeros;
		z.avail_in = (uInt)k;
		n -= k;
		assert_int_equal(deflate(&z, n ? Z_NO_FLUSH : Z_FINISH), n ? Z_OK : Z_STREAM_END);
		assert_true(z.avail_out > 0);
	}
	*len = z.total_out;
	deflateEnd(&z);
	return out;
}

static void test_gzip_bomb(void **state)
{
	fixture *fx = *state;
	size_t len;
	unsigned char *bomb;
	uint64_t before;

	push_new(fx, fx->alice, "dev-a", "14404", 1, NULL);
	before = tu_content_hash(fx->db);
	bomb = zero_bomb((size_t)200 << 20, &len);
	assert_true(len < MAX_BODY);
	expect_refused(fx, http(fx, "POST", "/v1/sync", fx->alice, "gzip", bomb, len, 0), 413,
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
	resp r;
	int i;

	for (i = 0; i < 20; i++)
		json_array_append_new(changes, new_household(fx, "14404", id));
	req = request("batch-1", "dev-a", 0, 50, changes);
	r = post_json(fx, fx->alice, req, 1);
	assert_int_equal(r.status, 200);
	assert_true(r.gzipped);
	assert_false(json_is_true(json_object_get(r.json, "duplicate")));
	assert_int_equal(jint(r.json, "accepted"), 20);
	assert_int_equal(jint(r.json, "applied"), 20);
	assert_int_equal(jint(r.json, "conflicts"), 0);
	assert_int_equal(jint(r.json, "acked"), 1);
	assert_string_equal(json_string_value(json_object_get(r.json, "batch")), "batch-1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "forms"),
	                                                      "household")), "2025.1");
	/* Its own records are not sent back. */
	assert_int_equal(json_array_size(json_object_get(r.json, "records")), 0);
	assert_false(json_is_true(json_object_get(r.json, "more")));
	resp_free(&r);
	assert_int_equal(tu_count(fx->db, "SELECT count(*) FROM records"), 20);
	after_first = tu_content_hash(fx->db);

	/* The same batch again (as after a cut connection): nothing changes. */
	r = post_json(fx, fx->alice, req, 0);
	assert_int_equal(r.status, 200);
	assert_true(json_is_true(json_object_get(r.json, "duplicate")));
	assert_int_equal(jint(r.json, "accepted"), 20);
	assert_int_equal(jint(r.json, "applied"), 20);
	resp_free(&r);
	assert_true(tu_content_hash(fx->db) == after_first);

	/* The same id with other changes is refused. */
	other = request("batch-1", "dev-a", 0, 50,
	                json_pack("[o]", new_household(fx, "14404", id)));
	expect_refused(fx, post_json(fx, fx->alice, other, 1), 409, "batch_mismatch");
	assert_true(tu_content_hash(fx->db) == after_first);
	assert_int_equal(tu_count(fx->db, "SELECT count(*) FROM batches"), 1);
	assert_int_equal(tu_count(fx->db, "SELECT count(*) FROM devices WHERE origin = 'dev-a'"
	                                  " AND acked = 1 AND last_sync IS NOT NULL"), 1);
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
	add_user(fx, "dora", "district", "372", district);
	add_user(fx, "paul", "province", "37", province);

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

/* An edit of one answer over base version [base_counter, base_origin]. */
static json_t *edit(const char *id, const char *field, const char *value, int counter,
                    int base_counter, const char *base_origin)
{
	return json_pack("{s:s, s:s, s:s, s:{s:s}, s:{s:i}, s:{s:[i, s]}}", "r", id,
	                 "f", "household", "fv", "2025.1", "d", field, value, "vs", field,
	                 counter, "b", field, base_counter, base_origin);
}

static void test_echo_and_conflicts(void **state)
{
	fixture *fx = *state;
	json_t *ids = json_array(), *seen, *req;
	json_int_t cur_a = 0, cur_b = 0;
	const char *r1, *r2;
	resp r;

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

	/* B edits r1 having seen it: the answer does not echo it to B ... */
	req = request("b-b1", "dev-b", cur_b, 100,
	              json_pack("[o]", edit(r1, "head_name", "Nguyễn Văn B", 2, 1, "dev-a")));
	r = post_json(fx, fx->alice, req, 1);
	assert_int_equal(r.status, 200);
	assert_int_equal(jint(r.json, "applied"), 1);
	assert_int_equal(json_array_size(json_object_get(r.json, "records")), 0);
	cur_b = jint(r.json, "cursor");
	resp_free(&r);
	json_decref(req);
	/* ... but A, which has not seen it, gets it. */
	seen = pull_all(fx, fx->alice, "dev-a", 100, &cur_a, NULL);
	assert_int_equal(json_object_size(seen), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	        json_object_get(seen, r1), "d"), "head_name")), "Nguyễn Văn B");
	json_decref(seen);

	/* A and B edit r2's head at once: B's version wins ("dev-b" > "dev-a"),
	 * A's value goes to the conflict log. */
	req = request("b-a2", "dev-a", cur_a, 100,
	              json_pack("[o]", edit(r2, "head_name", "Trần Văn A", 2, 1, "dev-a")));
	r = post_json(fx, fx->alice, req, 1);
	assert_int_equal(r.status, 200);
	assert_int_equal(jint(r.json, "conflicts"), 0);
	assert_int_equal(json_array_size(json_object_get(r.json, "records")), 0);
	assert_int_equal(jint(r.json, "acked"), 2);
	resp_free(&r);
	json_decref(req);
	req = request("b-b2", "dev-b", cur_b, 100,
	              json_pack("[o]", edit(r2, "head_name", "Lê Văn B", 2, 1, "dev-a")));
	r = post_json(fx, fx->alice, req, 1);
	assert_int_equal(r.status, 200);
	assert_int_equal(jint(r.json, "conflicts"), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(r.json, "conflicted"),
	                                                     0)), r2);
	/* B had not seen A's edit, so the merged r2 goes back to B. */
	assert_int_equal(json_array_size(json_object_get(r.json, "records")), 1);
	resp_free(&r);
	json_decref(req);
	assert_int_equal(tu_count(fx->db, "SELECT count(*) FROM conflicts WHERE path = 'head_name'"
	                                  " AND lost_value = '\"Trần Văn A\"' AND stored_lost = 1"
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
	resp r;

	push_new(fx, fx->alice, "dev-a", "14404", 4, ids);
	r1 = json_string_value(json_array_get(ids, 0));
	/* An edit, and a removed answer, from another device. */
	removal = json_pack("{s:s, s:s, s:s, s:{}, s:{s:[i, s]}}", "r",
	                    json_string_value(json_array_get(ids, 1)), "f", "household",
	                    "fv", "2025.1", "d", "vs", "poverty_causes", 3, "dev-b");
	req = request("b-conv", "dev-b", 0, 0, json_pack("[o, o]",
	              edit(r1, "village", "Xóm 9", 2, 1, "dev-a"), removal));
	r = post_json(fx, fx->alice, req, 1);
	assert_int_equal(r.status, 200);
	resp_free(&r);
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
	resp r;
	fixture other;

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
	memset(&other, 0, sizeof other);
	snprintf(other.url, sizeof other.url, "http://127.0.0.1:%d", port);
	r = http(&other, "GET", "/healthz", NULL, NULL, NULL, 0, 0);
	assert_int_equal(r.status, 200);
	resp_free(&r);
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
		json_array_append_new(changes, new_household(fx, "14404", id));
	payload = request("bundle-1", "dev-usb", 0, 0, changes);
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
	assert_int_equal(jint(pulled, "acked"), 1);
	assert_int_equal(jint(json_object_get(pulled, "acked_by_device"), "dev-usb"), 1);
	assert_true(jint(pulled, "cursor") > 0);
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
	snprintf(cmd, sizeof cmd, "%s report --db %s", SERVER_BIN, fx->db);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 1);
	assert_non_null(strstr(err, "not implemented yet"));
	saola_server_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
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
