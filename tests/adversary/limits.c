/* limits.c: test_adversary's limits group (see adversary.h): what one
 * request may cost, and honest HTTP.
 *
 * - Memory (limits_memory.c): a saola-server process is sent the tester's
 *   body, 20 million `{}` under an unknown key (a 61 KB gzip), and then, as
 *   many at once as it has threads, large but legal bodies; its peak
 *   resident memory (VmHWM) is read from /proc and held to the issue's
 *   targets.
 * - JSON values and nesting past the caps: 413 naming the cap.
 * - One user's bodies being received: past twice the body limit, 429 with
 *   Retry-After; one user's requests being served, at most the limit.
 * - Headers and a body trickled a byte at a time: cut at their deadline.
 * - A push bundle past the values cap of an import: refused.
 * - Framing: two Content-Lengths, or one with chunked: 400 and closed.
 * - A second server on a port in use does not start.
 * - A valid token from an address blocked for others' failures syncs. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <zlib.h>

#include "testutil.h"
#include "servertest.h"
#include "synctest.h"
#include "adversary.h"
#include "limits_int.h"
#include "saola/server.h"
#include "server_int.h"
#include "conns.h"
#include "ratelimit.h"
#include "store.h"
#include "users.h"

#define BAD_TOKEN "0000000000000000000000000000000000000000000000000000000000000000"

/* ------------------------------------------------------------------ */
/* Bodies                                                              */

unsigned char *limits_junk_body(const char *device, size_t n, const char *item, size_t *len)
{
	char head[160];
	unsigned char chunk[1 << 16];
	size_t cap = n / 64 + (1 << 16), ilen = strlen(item), i = 0;
	unsigned char *out = malloc(cap);
	z_stream z;
	int flush = Z_NO_FLUSH;

	assert_non_null(out);
	snprintf(head, sizeof head, "{\"protocol\":1,\"device\":\"%s\",\"pull_limit\":0,"
	         "\"changes\":[],\"junk\":[", device);
	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	z.next_in = (unsigned char *)head;
	z.avail_in = (uInt)strlen(head);
	assert_int_equal(deflate(&z, Z_NO_FLUSH), Z_OK);
	while (flush != Z_FINISH) {
		size_t k = 0;
		while (i < n && k + ilen + 2 < sizeof chunk) {
			memcpy(chunk + k, item, ilen);
			k += ilen;
			chunk[k++] = ++i < n ? ',' : ']';
		}
		if (i == n) {
			chunk[k++] = '}';
			flush = Z_FINISH;
		}
		z.next_in = chunk;
		z.avail_in = (uInt)k;
		assert_int_equal(deflate(&z, flush), flush == Z_FINISH ? Z_STREAM_END : Z_OK);
		assert_true(z.avail_out > 0);
	}
	*len = z.total_out;
	deflateEnd(&z);
	return out;
}

/* depth nested arrays around a request's "junk", gzip-compressed. */
static unsigned char *deep_body(size_t depth, size_t *len)
{
	size_t n = depth * 2 + 128, k;
	char *text = malloc(n);
	uLongf gzlen;
	unsigned char *gz;

	assert_non_null(text);
	k = (size_t)snprintf(text, n, "{\"protocol\":1,\"device\":\"dev-junk\",\"pull_limit\":0,"
	                     "\"changes\":[],\"junk\":");
	memset(text + k, '[', depth);
	memset(text + k + depth, ']', depth);
	text[k + 2 * depth] = '}';
	gzlen = compressBound(k + 2 * depth + 1);
	assert_non_null(gz = malloc(gzlen));
	/* deflate (zlib) is an encoding the server reads as well. */
	assert_int_equal(compress2(gz, &gzlen, (unsigned char *)text, k + 2 * depth + 1, 9), Z_OK);
	free(text);
	*len = gzlen;
	return gz;
}

/* ------------------------------------------------------------------ */
/* A server in this process                                            */

typedef struct fixture {
	char dir[512], db[1024], url[64];
	saola_server *srv;
	saola__store *st;
	char lan[SAOLA__TOKEN_HEX + 1];
	char lan2[SAOLA__TOKEN_HEX + 1];
} fixture;

static _Atomic int64_t frozen_ms = 1000000;

static int64_t frozen_clock(void)
{
	return atomic_load(&frozen_ms);
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	saola__err e;

	assert_non_null(fx);
	snprintf(fx->dir, sizeof fx->dir, "%s", tu_tmpdir("limits"));
	snprintf(fx->db, sizeof fx->db, "%s/server.db", fx->dir);
	fx->srv = sv_start(fx->db, 4, fx->url, sizeof fx->url);
	saola__server_set_clock(fx->srv, frozen_clock);
	fx->st = sv_store(fx->db);
	if (saola__user_create(fx->st, "lan", "surveyor", "14404", fx->lan, &e) != 0 ||
	    saola__user_create(fx->st, "mai", "surveyor", "14404", fx->lan2, &e) != 0)
		fail_msg("users: %s", e.message);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;

	saola_server_stop(fx->srv);
	saola__store_close(fx->st);
	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* A pull-only sync request from source (NULL: 127.0.0.1). */
static sv_resp pull_from(fixture *fx, const char *source, const char *token)
{
	static const char body[] = "{\"protocol\":1,\"device\":\"dev-test\",\"pull_limit\":10,"
	                           "\"changes\":[]}";

	return sv_http_from(source, fx->url, "POST", "/v1/sync", token, NULL, body,
	                    strlen(body), 0);
}

/* A message's piece, or the test fails showing the answer; frees r. */
static void expect(sv_resp r, long status, const char *code, const char *says)
{
	const char *msg = json_string_value(json_object_get(json_object_get(r.json, "error"),
	                                                    "message"));

	if (r.status != status || (code && (!sv_error_code(&r) ||
	                                    strcmp(sv_error_code(&r), code) != 0)) ||
	    (says && (!msg || !strstr(msg, says))))
		fail_msg("expected %ld %s \"%s\", got %ld: %s", status, code ? code : "",
		         says ? says : "", r.status, r.body ? r.body : "(no body)");
	sv_resp_free(&r);
}

/* JSON past the caps is refused before it is parsed, the cap named; just
 * under them, served. */
static void test_json_caps(void **state)
{
	static const struct {
		const char *name;
		size_t values, depth;     /* one of them */
		long status;
		const char *says;
	} cases[] = {
		{"values at the cap", SAOLA__MAX_VALUES_DEFAULT - 7, 0, 200, NULL},
		{"values past the cap", SAOLA__MAX_VALUES_DEFAULT, 0, 413,
		 "more than 600000 JSON values (the limit)"},
		{"nesting at the cap", 0, SAOLA__MAX_DEPTH_DEFAULT - 1, 200, NULL},
		{"nesting past the cap", 0, SAOLA__MAX_DEPTH_DEFAULT, 413,
		 "nested deeper than 32 levels (the limit), at line 1"},
	};
	fixture *fx = *state;
	size_t i, len;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned char *body = cases[i].values ? limits_junk_body("dev-junk", cases[i].values, "1", &len)
		                                      : deep_body(cases[i].depth, &len);
		sv_resp r = sv_http(fx->url, "POST", "/v1/sync", fx->lan,
		                    cases[i].values ? "gzip" : "deflate", body, len, 0);
		print_message("json caps: %s\n", cases[i].name);
		expect(r, cases[i].status, cases[i].status == 200 ? NULL : "too_large",
		       cases[i].says);
		free(body);
	}
}

/* ------------------------------------------------------------------ */
/* Raw HTTP                                                            */

/* A connection to the server from source (an address of 127/8). */
static int dial(fixture *fx, const char *source)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	if (source) {
		assert_int_equal(inet_pton(AF_INET, source, &a.sin_addr), 1);
		assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	}
	a.sin_port = htons((unsigned short)saola_server_port(fx->srv));
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &a.sin_addr), 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	return fd;
}

/* Reads what the server sends until it closes the connection or 10 s
 * pass; *closed says which. */
static void read_all(int fd, char *buf, size_t cap, int *closed)
{
	size_t have = 0;
	int waited = 0;

	*closed = 0;
	while (waited < 10000 && have + 1 < cap) {
		struct pollfd pfd = {fd, POLLIN, 0};
		ssize_t n;
		if (poll(&pfd, 1, 100) == 0) {
			waited += 100;
			continue;
		}
		n = recv(fd, buf + have, cap - 1 - have, 0);
		if (n <= 0) {
			*closed = 1;
			break;
		}
		have += (size_t)n;
	}
	buf[have] = '\0';
}

/* Headers that leave the body's end ambiguous: 400, and the connection
 * closed; the same request framed once is read (401: no token). */
static void test_framing(void **state)
{
	static const struct {
		const char *name, *request, *status;
		int closed;
	} cases[] = {
		{"one content-length", "POST /v1/sync HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		 "Content-Length: 2\r\n\r\n{}", "HTTP/1.1 401", 0},
		{"two content-lengths", "POST /v1/sync HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
		 "Content-Length: 40\r\n\r\n{}", "HTTP/1.1 400", 1},
		{"content-length and chunked", "POST /v1/sync HTTP/1.1\r\nHost: x\r\n"
		 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "HTTP/1.1 400", 1},
		{"chunked alone", "POST /v1/sync HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", "HTTP/1.1 401", 0},
	};
	fixture *fx = *state;
	char buf[4096];
	size_t i;
	int closed;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int fd = dial(fx, NULL);
		assert_int_equal(send(fd, cases[i].request, strlen(cases[i].request), MSG_NOSIGNAL),
		                 (ssize_t)strlen(cases[i].request));
		read_all(fd, buf, sizeof buf, &closed);
		close(fd);
		if (strncmp(buf, cases[i].status, strlen(cases[i].status)) != 0 || !closed)
			fail_msg("%s: expected %s and the connection closed, got %s: %.200s",
			         cases[i].name, cases[i].status, closed ? "closed" : "open", buf);
		if (cases[i].closed && !strstr(buf, "ambiguous"))
			fail_msg("%s: the answer does not say why: %.300s", cases[i].name, buf);
	}
}

/* ------------------------------------------------------------------ */
/* Operations                                                          */

/* A second server on the port of a running one does not start, and says
 * why; the first goes on serving. */
static void test_port_in_use(void **state)
{
	fixture *fx = *state;
	saola_server_opts o;
	saola_server *second = NULL;
	char listen[64], db[1100];
	int rc;

	snprintf(listen, sizeof listen, "127.0.0.1:%d", saola_server_port(fx->srv));
	snprintf(db, sizeof db, "%s/second.db", fx->dir);
	memset(&o, 0, sizeof o);
	o.db_path = db;
	o.listen = listen;
	o.schemas = SAOLA_TEST_SCHEMAS;
	rc = saola_server_start(&o, &second);
	if (rc == SAOLA_OK) {
		saola_server_stop(second);
		fail_msg("a second server started on %s", listen);
	}
	assert_int_equal(rc, SAOLA_NETWORK);
	assert_non_null(strstr(saola_server_errmsg(second), "in use"));
	assert_non_null(strstr(saola_server_errmsg(second), listen));
	saola_server_stop(second);
	expect(pull_from(fx, NULL, fx->lan), 200, NULL, NULL);
}

/* Bad tokens from 127.0.0.2 until it is blocked: its bad tokens get 429,
 * a valid token from it syncs. */
static void test_valid_token_from_blocked_address(void **state)
{
	fixture *fx = *state;
	int i;

	for (i = 0; i < SAOLA__RL_BURST_DEFAULT + 1; i++)
		expect(pull_from(fx, "127.0.0.2", BAD_TOKEN), 401, "unauthorized", NULL);
	expect(pull_from(fx, "127.0.0.2", BAD_TOKEN), 429, "too_many_failures", NULL);
	expect(pull_from(fx, "127.0.0.2", fx->lan), 200, NULL, NULL);
	expect(pull_from(fx, "127.0.0.2", BAD_TOKEN), 429, "too_many_failures", NULL);
}

/* A request of token with a body of n bytes (JSON: spaces, then {}). */
static sv_resp big_post(fixture *fx, const char *token, size_t n)
{
	char *body = malloc(n);
	sv_resp r;

	assert_non_null(body);
	memset(body, ' ', n);
	memcpy(body + n - 2, "{}", 2);
	r = sv_http(fx->url, "POST", "/v1/sync", token, NULL, body, n, 0);
	free(body);
	return r;
}

/* Polls (10 s at most) until a request of token with a body of n bytes
 * gets 429 (want 1) or anything else (want 0); returns its answer. */
static sv_resp big_post_until(fixture *fx, const char *token, size_t n, int want)
{
	sv_resp r;
	int tries;

	for (tries = 0; tries < 100; tries++) {
		r = big_post(fx, token, n);
		if ((r.status == 429) == want)
			return r;
		sv_resp_free(&r);
		usleep(100000);
	}
	fail_msg("a body of %zu bytes: no %s429 in 10 s", n, want ? "" : "answer other than ");
	return r;
}

/* Waits (60 s at most) until the server counts n bytes of bodies being
 * received. */
static void wait_receiving(fixture *fx, size_t n)
{
	size_t now = 0;
	int tries;

	for (tries = 0; tries < 6000; tries++) {
		if ((now = saola__server_bytes_receiving(fx->srv)) >= n)
			return;
		usleep(10000);
	}
	fail_msg("the server counts %zu bytes of bodies being received, not %zu, after 60 s",
	         now, n);
}

/* One user's bodies being received take at most twice the body limit:
 * two held 7 MiB into 8 MiB bodies, and a third body of 3 MiB of that
 * user gets 429 too_many_requests with Retry-After (another user's goes
 * through); the held ones closed, the user is served again. */
static void test_user_bodies(void **state)
{
	fixture *fx = *state;
	size_t part = 7 * MIB, i, k;
	char head[512], *chunk = malloc(MIB);
	int held[2];
	sv_resp r;

	assert_non_null(chunk);
	memset(chunk, ' ', MIB);
	snprintf(head, sizeof head, "POST /v1/sync HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer"
	         " %s\r\nContent-Length: %zu\r\n\r\n", fx->lan, SAOLA__MAX_BODY_DEFAULT);
	for (i = 0; i < 2; i++) {
		held[i] = dial(fx, NULL);
		assert_int_equal(send(held[i], head, strlen(head), MSG_NOSIGNAL),
		                 (ssize_t)strlen(head));
		for (k = 0; k < part / MIB; k++)
			assert_int_equal(send(held[i], chunk, MIB, MSG_NOSIGNAL), (ssize_t)MIB);
	}
	/* The kernel takes the bytes before the server reads them: wait until
	 * the server counts them all (a loaded machine may take a while). */
	wait_receiving(fx, 2 * part);
	r = big_post_until(fx, fx->lan, 3 * MIB, 1);
	assert_int_equal(r.retry_after, 2);
	expect(r, 429, "too_many_requests", "bodies' worth");
	r = big_post(fx, fx->lan2, 3 * MIB);
	assert_int_not_equal(r.status, 429);
	sv_resp_free(&r);
	for (i = 0; i < 2; i++)
		close(held[i]);
	r = big_post_until(fx, fx->lan, 3 * MIB, 0);
	expect(r, 400, "bad_request", NULL);
	free(chunk);
}

/* A push bundle of more values than a bundle import takes: refused before
 * its tree is built, the cap named, nothing imported. */
static void test_bundle_caps(void **state)
{
	fixture *fx = *state;
	char path[1100], out[1024], err[2048];
	size_t len;
	unsigned char *gz = limits_junk_body("dev-junk", SAOLA__BUNDLE_MAX_VALUES, "1", &len);
	FILE *f;
	int rc;

	snprintf(path, sizeof path, "%s/big.bundle", fx->dir);
	assert_non_null(f = fopen(path, "wb"));
	fprintf(f, "saola-bundle 1 push %08lx %zu\n", crc32(0L, gz, (uInt)len), len);
	assert_int_equal(fwrite(gz, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(gz);
	rc = tu_runf(out, sizeof out, err, sizeof err, "'%s' bundle import --db '%s' --user lan"
	             " '%s'", st_server_bin(), fx->db, path);
	if (rc != 1 || !strstr(err, "more than 2000000 JSON values (the limit)"))
		fail_msg("bundle import of %d values: exit %d: %s%s", (int)SAOLA__BUNDLE_MAX_VALUES,
		         rc, out, err);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A body trickled a byte every 300 ms (its headers whole, its token
 * valid) is cut at its deadline (2 s here), which the bytes do not
 * extend; so are headers trickled. */
static void test_deadlines(void **state)
{
	static const struct {
		const char *name;
		int body;              /* trickle the body, else the headers */
	} cases[] = {{"body", 1}, {"headers", 0}};
	fixture *fx = *state;
	saola_server_opts o;
	char head[512];
	size_t i;

	saola_server_stop(fx->srv);
	memset(&o, 0, sizeof o);
	o.db_path = fx->db;
	o.listen = "127.0.0.1:0";
	o.header_timeout = 2;
	o.body_timeout = 2;
	if (saola_server_start(&o, &fx->srv) != SAOLA_OK)
		fail_msg("server start: %s", saola_server_errmsg(fx->srv));
	snprintf(head, sizeof head, "POST /v1/sync HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer"
	         " %s\r\nContent-Length: 1000\r\n\r\n", fx->lan);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int fd = dial(fx, NULL), closed = 0;
		int64_t start = now_ms(), took;
		size_t sent = 0;

		if (cases[i].body)
			assert_int_equal(send(fd, head, strlen(head), MSG_NOSIGNAL),
			                 (ssize_t)strlen(head));
		/* 10 s at most, a byte every 300 ms. */
		while (!closed && now_ms() - start < 10000) {
			struct pollfd pfd = {fd, POLLIN, 0};
			char c = cases[i].body ? ' ' : head[sent % 20];
			if (send(fd, &c, 1, MSG_NOSIGNAL) == 1)
				sent++;
			if (poll(&pfd, 1, 300) > 0) {
				char buf[512];
				ssize_t n = recv(fd, buf, sizeof buf, 0);
				closed = n <= 0;
			}
		}
		took = now_ms() - start;
		close(fd);
		print_message("deadlines: %s trickled: cut after %lld ms, %zu bytes\n", cases[i].name,
		              (long long)took, sent);
		if (!closed || took < 1900 || took > 2000 + 5000)
			fail_msg("%s trickled: %s after %lld ms (deadline 2 s)", cases[i].name,
			         closed ? "cut" : "still open", (long long)took);
	}
}

/* One user's requests being served: at most the limit at once; another
 * user's are counted apart; one done, the next is let in. */
static void test_user_requests(void **state)
{
	saola__conns *cs = saola__conns_new(20, 60, 3);
	int i;

	(void)state;
	assert_non_null(cs);
	for (i = 0; i < 3; i++)
		assert_int_equal(saola__conns_user_enter(cs, 7), 0);
	assert_int_equal(saola__conns_user_enter(cs, 7), -1);
	assert_int_equal(saola__conns_user_enter(cs, 8), 0);
	saola__conns_user_leave(cs, 7);
	assert_int_equal(saola__conns_user_enter(cs, 7), 0);
	assert_int_equal(saola__conns_user_enter(cs, 7), -1);
	/* Bytes are counted apart from requests, against a budget per user
	 * and one for every user together (the tester's 300 unfinished 8 MiB
	 * bodies: many users, each within its own budget). */
	assert_int_equal(saola__conns_user_bytes(cs, 7, 10, 16, 40), 0);
	assert_int_equal(saola__conns_user_bytes(cs, 7, 7, 16, 40), -1);
	saola__conns_user_unbytes(cs, 7, 10);
	assert_int_equal(saola__conns_user_bytes(cs, 7, 16, 16, 40), 0);
	assert_int_equal(saola__conns_user_bytes(cs, 8, 16, 16, 40), 0);
	assert_int_equal(saola__conns_user_bytes(cs, 9, 9, 16, 40), -2);
	assert_int_equal(saola__conns_user_bytes(cs, 9, 8, 16, 40), 0);
	saola__conns_user_unbytes(cs, 8, 16);
	assert_int_equal(saola__conns_user_bytes(cs, 9, 8, 16, 40), 0);
	assert_int_equal(saola__conns_user_bytes(cs, 10, 9, 16, 40), -2);
	saola__conns_free(cs);
}

int adversary_limits(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(limits_test_memory_bounded),
		cmocka_unit_test_setup_teardown(test_json_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_framing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_in_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_valid_token_from_blocked_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_bodies, setup, teardown),
		cmocka_unit_test(test_user_requests),
		cmocka_unit_test_setup_teardown(test_bundle_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadlines, setup, teardown),
	};
	return cmocka_run_group_tests_name("limits", tests, NULL, NULL);
}
