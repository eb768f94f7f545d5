/* test_routes.c: the route table (server/src/routes.c) walked route by
 * route against a running server: each answers its method, to whom its
 * access says, a wrong method 405 with Allow, an unknown path 404 in the
 * protocol's error shape, a body route's limits; and the reply module's one gzip rule and headers
 * (reply.h), just under and just over its threshold, for JSON and for a
 * dashboard file, with the table of result codes to HTTP statuses. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>

#include "testutil.h"
#include "servertest.h"
#include "reply.h"
#include "routes.h"
#include "saola/server.h"
#include "store.h"
#include "users.h"

typedef struct fixture {
	char dir[512];
	char db[1024];
	saola_server *srv;
	char url[64];
	char admin[SAOLA__TOKEN_HEX + 1];
	char alice[SAOLA__TOKEN_HEX + 1];   /* surveyor of commune 14404 */
	struct MHD_Daemon *echo;            /* answers through reply.h alone */
	char echo_url[64];
} fixture;

/* An answer with the headers this test reads. */
typedef struct answer {
	long status;
	char *body;            /* decoded when gzipped */
	size_t len;
	json_t *json;
	char type[128], encoding[32], vary[64], cache[64], allow[32], nosniff[32], csp[512];
} answer;

static size_t on_body(char *p, size_t size, size_t n, void *cls)
{
	answer *a = cls;
	char *grown = realloc(a->body, a->len + size * n + 1);

	assert_non_null(grown);
	a->body = grown;
	memcpy(a->body + a->len, p, size * n);
	a->len += size * n;
	a->body[a->len] = '\0';
	return size * n;
}

/* Copies the value of header line (name: value) into out when it is name. */
static void header_value(const char *line, size_t n, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name), v;

	if (n <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	for (v = nl + 1; v < n && line[v] == ' '; v++)
		;
	while (n > v && (line[n - 1] == '\r' || line[n - 1] == '\n'))
		n--;
	snprintf(out, outlen, "%.*s", (int)(n - v), line + v);
}

static size_t on_header(char *p, size_t size, size_t n, void *cls)
{
	answer *a = cls;

	header_value(p, size * n, "Content-Type", a->type, sizeof a->type);
	header_value(p, size * n, "Content-Encoding", a->encoding, sizeof a->encoding);
	header_value(p, size * n, "Vary", a->vary, sizeof a->vary);
	header_value(p, size * n, "Cache-Control", a->cache, sizeof a->cache);
	header_value(p, size * n, "Allow", a->allow, sizeof a->allow);
	header_value(p, size * n, "X-Content-Type-Options", a->nosniff, sizeof a->nosniff);
	header_value(p, size * n, "Content-Security-Policy", a->csp, sizeof a->csp);
	return size * n;
}

/* method on base + path with token (may be NULL), accepting gzip when gz;
 * a POST sends body (may be NULL: empty). */
static answer http(const char *base, const char *method, const char *path, const char *token,
                   int gz, const char *body)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char url[512], line[200];
	answer a;

	memset(&a, 0, sizeof a);
	assert_non_null(c);
	snprintf(url, sizeof url, "%s%s", base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &a);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (gz)
		curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip");
	if (token) {
		snprintf(line, sizeof line, "Authorization: Bearer %s", token);
		h = curl_slist_append(h, line);
	}
	if (strcmp(method, "POST") == 0) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (a.body)
		a.json = json_loads(a.body, JSON_DECODE_ANY, NULL);
	return a;
}

static void answer_free(answer *a)
{
	free(a->body);
	json_decref(a->json);
	memset(a, 0, sizeof *a);
}

/* The error code of a, checking the protocol's shape: {"error": {"code":
 * text, "message": text}} and nothing else, as JSON in UTF-8. */
static const char *error_code(const answer *a)
{
	json_t *e = json_object_get(a->json, "error");

	assert_string_equal(a->type, "application/json; charset=utf-8");
	assert_int_equal(json_object_size(a->json), 1);
	assert_int_equal(json_object_size(e), 2);
	assert_true(json_is_string(json_object_get(e, "message")));
	assert_true(json_string_length(json_object_get(e, "message")) > 0);
	assert_true(json_is_string(json_object_get(e, "code")));
	return json_string_value(json_object_get(e, "code"));
}

/* 1 when a is the router's own 404 (no route), not a handler's. */
static int no_route(const answer *a)
{
	const char *m = json_string_value(json_object_get(json_object_get(a->json, "error"),
	                                                  "message"));

	return a->status == 404 && m && strstr(m, "no such endpoint");
}

/* ------------------------------------------------------------------ */
/* A server of reply.h alone: /json/N answers a JSON body of N bytes,
 * /file/N an HTML file of N bytes, /err/RC an error of result code RC. */

static enum MHD_Result on_echo(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *up,
                               size_t *uplen, void **req_cls)
{
	size_t n = strtoul(strrchr(url, '/') + 1, NULL, 10);
	enum MHD_Result ret;
	saola__err e;
	char *text;
	json_t *v;

	(void)cls, (void)method, (void)version, (void)up, (void)uplen, (void)req_cls;
	if (strncmp(url, "/err/", 5) == 0) {
		saola__err_set(&e, (int)n, "echo: result code %zu", n);
		return saola__reply_error(c, &e);
	}
	if (!(text = malloc(n + 1)))
		return MHD_NO;
	memset(text, 'a', n);
	text[n] = '\0';
	if (strncmp(url, "/file/", 6) == 0) {
		ret = saola__reply_body(c, 200, "text/html; charset=utf-8", text, n, NULL);
		free(text);
		return ret;
	}
	/* {"a":"..."}: 8 bytes around the text. */
	text[n >= 8 ? n - 8 : 0] = '\0';
	v = json_pack("{s:s}", "a", text);
	free(text);
	ret = saola__reply_json(c, 200, v);
	json_decref(v);
	return ret;
}

static void echo_start(fixture *fx)
{
	struct sockaddr_in a;
	const union MHD_DaemonInfo *info;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fx->echo = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL, on_echo, NULL,
	                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a, MHD_OPTION_END);
	assert_non_null(fx->echo);
	info = MHD_get_daemon_info(fx->echo, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	snprintf(fx->echo_url, sizeof fx->echo_url, "http://127.0.0.1:%u",
	         (unsigned)info->port);
}

static void add_user(saola__store *st, const char *name, const char *role, const char *area,
                     char token[SAOLA__TOKEN_HEX + 1])
{
	saola__err e;

	if (saola__user_create(st, name, role, area, token, &e) != 0)
		fail_msg("user add %s: %s", name, e.message);
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	saola__store *st;

	assert_non_null(fx);
	snprintf(fx->dir, sizeof fx->dir, "%s", tu_tmpdir("routes"));
	snprintf(fx->db, sizeof fx->db, "%s/server.db", fx->dir);
	fx->srv = sv_start(fx->db, 2, fx->url, sizeof fx->url);
	st = sv_store(fx->db);
	add_user(st, "admin", "admin", NULL, fx->admin);
	add_user(st, "alice", "surveyor", "14404", fx->alice);
	saola__store_close(st);
	echo_start(fx);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;

	MHD_stop_daemon(fx->echo);
	saola_server_stop(fx->srv);
	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* A path route r answers: its own path, or one under it for a prefix, an
 * id in place of '*'. */
static void sample_path(const saola__route *r, char *out, size_t outlen)
{
	const char *star = strchr(r->path, '*');

	if (r->match == SAOLA__ID && star)
		snprintf(out, outlen, "%.*s1%s", (int)(star - r->path), r->path, star + 1);
	else if (r->match == SAOLA__PREFIX)
		snprintf(out, outlen, "%s%s", r->path,
		         strstr(r->path, "lists") ? "14404" : "summary");
	else
		snprintf(out, outlen, "%s", r->path);
}

/* Every route of the table is found at its path, answers its method (not
 * the router's 404 or a 405), and asks what its access says: no token,
 * 401 unauthorized (but on the operator's routes from loopback); a
 * surveyor on an officers' route, 403 forbidden. */
static void test_every_route_answers(void **state)
{
	fixture *fx = *state;
	char path[256], id[64];
	const char *allow;
	size_t i;

	assert_true(saola__n_routes >= 12);
	for (i = 0; i < saola__n_routes; i++) {
		const saola__route *r = &saola__routes[i];
		answer a;

		sample_path(r, path, sizeof path);
		assert_ptr_equal(saola__route_find(r->method, path, id, sizeof id, &allow), r);
		a = http(fx->url, r->method, path, fx->admin, 1, NULL);
		if (a.status == 405 || no_route(&a))
			fail_msg("%s %s: %ld %s", r->method, path, a.status, a.body);
		answer_free(&a);

		a = http(fx->url, r->method, path, NULL, 1, NULL);
		/* The operator's routes need no token from loopback, where this
		 * test calls from (test_metrics.c tests the rest). */
		if (r->access == SAOLA__OPEN || r->access == SAOLA__LOCAL_OR_ADMIN) {
			assert_int_equal(a.status, 200);
		} else {
			assert_int_equal(a.status, 401);
			assert_string_equal(error_code(&a), "unauthorized");
		}
		answer_free(&a);

		a = http(fx->url, r->method, path, fx->alice, 1, NULL);
		if (r->access == SAOLA__OFFICER) {
			assert_int_equal(a.status, 403);
			assert_string_equal(error_code(&a), "forbidden");
		} else {
			assert_true(a.status != 401 && a.status != 403 && a.status != 405);
		}
		answer_free(&a);
	}
}

/* Another method on a route's path: 405 method_not_allowed, with the
 * route's method in Allow. */
static void test_wrong_method(void **state)
{
	static const char *const methods[] = {"GET", "POST", "PUT", "DELETE"};
	fixture *fx = *state;
	char path[256];
	size_t i, m;

	for (i = 0; i < saola__n_routes; i++) {
		const saola__route *r = &saola__routes[i];

		sample_path(r, path, sizeof path);
		for (m = 0; m < sizeof methods / sizeof methods[0]; m++) {
			answer a;

			if (strcmp(methods[m], r->method) == 0)
				continue;
			a = http(fx->url, methods[m], path, fx->admin, 1, "{}");
			if (a.status != 405)
				fail_msg("%s %s: %ld, expected 405", methods[m], path, a.status);
			assert_string_equal(error_code(&a), "method_not_allowed");
			assert_string_equal(a.allow, r->method);
			answer_free(&a);
		}
	}
}

/* A path no route matches: 404 not_found in the error shape, whatever the
 * method and token. */
static void test_unknown_paths(void **state)
{
	static const char *const paths[] = {
		"/v1/nothing", "/v1/sync/more", "/v1", "/index", "/v1/forms/household",
		"/v1/conflicts/1/resolve/again", "/v1/conflicts//resolve", "/v1/records/1/approve",
		"/v1/records/x.y/review", "/healthz/", "/v2/sync", "/app.js.map",
	};
	fixture *fx = *state;
	char id[64];
	const char *allow;
	size_t i;

	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		answer a = http(fx->url, "GET", paths[i], fx->admin, 0, NULL);

		assert_null(saola__route_find("GET", paths[i], id, sizeof id, &allow));
		assert_null(allow);
		if (a.status != 404)
			fail_msg("%s: %ld, expected 404", paths[i], a.status);
		assert_string_equal(error_code(&a), "not_found");
		assert_true(no_route(&a));
		answer_free(&a);

		a = http(fx->url, "POST", paths[i], NULL, 0, "{}");
		assert_int_equal(a.status, 404);
		assert_string_equal(error_code(&a), "not_found");
		answer_free(&a);
	}
}

/* A route that takes a body refuses one over the server's limit (413
 * too_large) and one in an encoding it does not read (400 bad_encoding),
 * officers' actions as syncs. */
static void test_body_limits(void **state)
{
	fixture *fx = *state;
	char path[256];
	size_t i;

	for (i = 0; i < saola__n_routes; i++) {
		const saola__route *r = &saola__routes[i];
		sv_resp a;

		if (r->body == SAOLA__NO_BODY)
			continue;
		sample_path(r, path, sizeof path);
		a = sv_http(fx->url, r->method, path, fx->admin, "br", "{}", 2, 0);
		assert_int_equal(a.status, 400);
		assert_string_equal(sv_error_code(&a), "bad_encoding");
		sv_resp_free(&a);
		a = sv_http(fx->url, r->method, path, fx->admin, NULL, NULL, 0,
		            SAOLA__MAX_BODY_DEFAULT + 1);
		assert_int_equal(a.status, 413);
		assert_string_equal(sv_error_code(&a), "too_large");
		sv_resp_free(&a);
	}
}

/* The gzip rule at its threshold: a body of SAOLA__GZIP_MIN - 1 bytes goes
 * plain, without Vary; one of SAOLA__GZIP_MIN is compressed when the
 * client takes gzip, and answered with Vary either way; for JSON and for
 * a dashboard file, with each kind's headers. */
static void test_gzip_threshold(void **state)
{
	static const struct {
		const char *kind;
		const char *type;
		const char *cache;
	} kinds[] = {
		{"json", "application/json; charset=utf-8", "no-store"},
		{"file", "text/html; charset=utf-8", "no-cache"},
	};
	fixture *fx = *state;
	char path[64];
	size_t k, n;
	int gz;

	for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
		for (n = SAOLA__GZIP_MIN - 1; n <= SAOLA__GZIP_MIN; n++)
			for (gz = 0; gz <= 1; gz++) {
				answer a;

				snprintf(path, sizeof path, "/%s/%zu", kinds[k].kind, n);
				a = http(fx->echo_url, "GET", path, NULL, gz, NULL);
				assert_int_equal(a.status, 200);
				assert_int_equal(a.len, n);
				assert_string_equal(a.type, kinds[k].type);
				assert_string_equal(a.cache, kinds[k].cache);
				assert_string_equal(a.nosniff, "nosniff");
				assert_string_equal(a.encoding, gz && n >= SAOLA__GZIP_MIN ? "gzip" : "");
				assert_string_equal(a.vary, n >= SAOLA__GZIP_MIN ? "Accept-Encoding" : "");
				assert_int_equal(a.csp[0] != '\0', strcmp(kinds[k].kind, "file") == 0);
				answer_free(&a);
			}
}

/* The same rule on the server's own answers: a short JSON answer
 * (/healthz) plain, a long one (/v1/forms) and the dashboard's files
 * compressed only for a client that takes gzip. */
static void test_gzip_on_routes(void **state)
{
	static const struct {
		const char *path;
		int token;
		int big;
		const char *type;
	} cases[] = {
		{"/healthz", 0, 0, "application/json; charset=utf-8"},
		{"/v1/forms", 1, 1, "application/json; charset=utf-8"},
		{"/", 0, 1, "text/html; charset=utf-8"},
		{"/app.js", 0, 1, "text/javascript; charset=utf-8"},
		{"/favicon.svg", 0, 1, "image/svg+xml"},
	};
	fixture *fx = *state;
	size_t i;
	int gz;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		for (gz = 0; gz <= 1; gz++) {
			answer a = http(fx->url, "GET", cases[i].path, cases[i].token ? fx->admin : NULL,
			                gz, NULL);

			assert_int_equal(a.status, 200);
			assert_string_equal(a.type, cases[i].type);
			assert_int_equal(a.len >= SAOLA__GZIP_MIN, cases[i].big);
			assert_string_equal(a.encoding, gz && cases[i].big ? "gzip" : "");
			assert_string_equal(a.vary, cases[i].big ? "Accept-Encoding" : "");
			assert_string_equal(a.nosniff, "nosniff");
			assert_string_equal(a.cache, strcmp(cases[i].path, "/") == 0 ? "no-cache"
			                                                            : "no-store");
			assert_int_equal(a.csp[0] != '\0', strcmp(cases[i].path, "/") == 0);
			answer_free(&a);
		}
}

/* The one table of result codes (core's and the server's own) to HTTP:
 * each code's status and protocol code, through saola__err_http(),
 * saola__err_status() and an answer of reply.h. */
static void test_error_mapping(void **state)
{
	static const struct {
		int rc;
		int status;
		const char *code;
	} cases[] = {
		{SAOLA_NOTFOUND, 404, "not_found"},     {SAOLA_INVALID, 400, "invalid_record"},
		{SAOLA_NOFORM, 400, "invalid_record"},  {SAOLA_PROTOCOL, 400, "bad_request"},
		{SAOLA_AUTH, 403, "forbidden"},         {SAOLA_DELETED, 409, "record_deleted"},
		{SAOLA_CONFLICT, 409, "conflict"},      {SAOLA_LIMIT, 413, "too_large"},
		{SAOLA_NETWORK, 502, "bad_gateway"},    {SAOLA_ERROR, 500, "internal"},
		{SAOLA_NOMEM, 500, "internal"},         {SAOLA_IO, 500, "internal"},
		{SAOLA_CORRUPT, 500, "internal"},       {SAOLA_READONLY, 500, "internal"},
		{SAOLA_BUSY, 500, "internal"},          {SAOLA_MISUSE, 500, "internal"},
		{SAOLA_TOONEW, 500, "internal"},        {999, 500, "internal"},
		{SAOLA__E_UNAUTHORIZED, 401, "unauthorized"},
		{SAOLA__E_BAD_JSON, 400, "bad_json"},   {SAOLA__E_BAD_UTF8, 400, "bad_utf8"},
		{SAOLA__E_BAD_ENCODING, 400, "bad_encoding"},
		{SAOLA__E_METHOD, 405, "method_not_allowed"},
		{SAOLA__E_WRONG_STATE, 409, "wrong_state"},
		{SAOLA__E_ALREADY_RESOLVED, 409, "already_resolved"},
		{SAOLA__E_MEMBER_REMOVED, 409, "member_removed"},
		{SAOLA__E_DEVICE_COPIED, 409, "device_copied"},
		{SAOLA__E_BATCH_MISMATCH, 409, "batch_mismatch"},
		{SAOLA__E_TOO_MANY_FAILURES, 429, "too_many_failures"},
		{SAOLA__E_TOO_MANY_REQUESTS, 429, "too_many_requests"},
		{SAOLA__E_TRY_AGAIN, 503, "busy"},      {SAOLA__E_RACE, 500, "internal"},
	};
	fixture *fx = *state;
	char path[32];
	const char *code;
	size_t i;
	int status;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		saola__err e;
		answer a;

		saola__err_http(cases[i].rc, &status, &code);
		assert_int_equal(status, cases[i].status);
		assert_string_equal(code, cases[i].code);
		saola__err_set(&e, cases[i].rc, "case %zu", i);
		assert_int_equal(saola__err_status(&e), cases[i].status);
		snprintf(path, sizeof path, "/err/%d", cases[i].rc);
		a = http(fx->echo_url, "GET", path, NULL, 1, NULL);
		assert_int_equal(a.status, cases[i].status);
		assert_string_equal(error_code(&a), cases[i].code);
		answer_free(&a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_route_answers),
		cmocka_unit_test(test_wrong_method),
		cmocka_unit_test(test_unknown_paths),
		cmocka_unit_test(test_body_limits),
		cmocka_unit_test(test_gzip_threshold),
		cmocka_unit_test(test_gzip_on_routes),
		cmocka_unit_test(test_error_mapping),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
