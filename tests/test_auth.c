/* test_auth.c: tokens that expire and the limit on failed authentications.
 * The limiter (ratelimit.c) with explicit times: bursts, blocks that
 * double, failures forgotten, addresses and a full table. Expiry options
 * parsed against a fixed now. End to end, a server in this process on
 * 127.0.0.1 whose limiter runs on a clock the test moves: a token expired,
 * revoked or renewed while the server runs counts at the next request (sync,
 * forms, dashboard, officers' actions); the device client says why; the
 * user commands; a burst of bad tokens from 127.0.0.2 gets 429 while a
 * user at 127.0.0.1, and valid tokens at 127.0.0.2, go on syncing. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>

#include "testutil.h"
#include "servertest.h"
#include "synctest.h"
#include "pgtest.h"
#include "ratelimit.h"
#include "saola/server.h"
#include "saola/sync.h"
#include "server_int.h"
#include "store.h"
#include "users.h"

#define SERVER_BIN SAOLA_TEST_BINDIR "/server/saola-server"
#define ATTACKER "127.0.0.2"   /* the bad tokens' source address */
#define BURST SAOLA__RL_BURST_DEFAULT

/* ------------------------------------------------------------------ */
/* The limiter, with explicit times                                    */

static struct sockaddr_in v4(const char *text)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, text, &a.sin_addr), 1);
	return a;
}

static struct sockaddr_in6 v6(const char *text)
{
	struct sockaddr_in6 a;

	memset(&a, 0, sizeof a);
	a.sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, text, &a.sin6_addr), 1);
	return a;
}

#define SA(x) ((const struct sockaddr *)&(x))

/* Fails from addr at now until the limiter blocks it; returns how many
 * failures that took (at most limit, else the test fails). */
static int fail_until_blocked(saola__rl *rl, const struct sockaddr *addr, int64_t now,
                              int limit)
{
	int n;

	for (n = 1; n <= limit; n++)
		if (saola__rl_fail(rl, addr, now))
			return n;
	fail_msg("no block after %d failures", limit);
	return -1;
}

/* The seconds addr must wait at now, 0 when it may go. */
static int wait_of(saola__rl *rl, const struct sockaddr *addr, int64_t now)
{
	int wait = -1, blocked = saola__rl_check(rl, addr, now, &wait);

	assert_int_equal(blocked, wait > 0);
	return wait;
}

/* Ten failures pass; the eleventh blocks for a second, this address only. */
static void test_rl_burst(void **state)
{
	saola__rl *rl = saola__rl_new(BURST);
	struct sockaddr_in a = v4("203.0.113.7"), b = v4("203.0.113.8");
	int i;

	(void)state;
	assert_non_null(rl);
	for (i = 0; i < BURST; i++) {
		assert_int_equal(saola__rl_fail(rl, SA(a), 5000), 0);
		assert_int_equal(wait_of(rl, SA(a), 5000), 0);
	}
	assert_int_equal(saola__rl_fail(rl, SA(a), 5000), 1);
	assert_int_equal(wait_of(rl, SA(a), 5000), 1);
	assert_int_equal(wait_of(rl, SA(a), 5999), 1);
	assert_int_equal(wait_of(rl, SA(b), 5000), 0);
	/* Unblocked when the second is over. */
	assert_int_equal(wait_of(rl, SA(a), 6000), 0);
	saola__rl_free(rl);
	saola__rl_free(NULL);
	assert_null(saola__rl_new(0));
	assert_null(saola__rl_new(SAOLA__RL_BURST_MAX + 1));
}

/* An address that goes on failing whenever it may: blocks of 1, 2, 4 ...
 * 32 s, then 60 s each, and never more than a burst of tries between. */
static void test_rl_blocks_double(void **state)
{
	static const int expect[] = {1, 2, 4, 8, 16, 32, 60, 60, 60, 60};
	saola__rl *rl = saola__rl_new(BURST);
	struct sockaddr_in a = v4("198.51.100.1");
	int64_t now = 0;
	size_t i;
	int wait;

	(void)state;
	for (i = 0; i < sizeof expect / sizeof expect[0]; i++) {
		fail_until_blocked(rl, SA(a), now, BURST + 1);
		wait = wait_of(rl, SA(a), now);
		assert_int_equal(wait, expect[i]);
		assert_int_equal(wait_of(rl, SA(a), now + wait * 1000 - 1), 1);
		now += wait * 1000;
		assert_int_equal(wait_of(rl, SA(a), now), 0);
	}
	saola__rl_free(rl);
}

/* One failure is forgotten every 6 s; an address quiet long enough starts
 * afresh (a burst, and a first block of 1 s). */
static void test_rl_forgets(void **state)
{
	saola__rl *rl = saola__rl_new(BURST);
	struct sockaddr_in a = v4("192.0.2.44");
	int i;

	(void)state;
	for (i = 0; i < BURST; i++)
		assert_int_equal(saola__rl_fail(rl, SA(a), 0), 0);
	assert_int_equal(saola__rl_fail(rl, SA(a), SAOLA__RL_FORGET_MS), 0);
	assert_int_equal(saola__rl_fail(rl, SA(a), SAOLA__RL_FORGET_MS), 1);
	/* Blocks grow while the address keeps failing ... */
	assert_int_equal(fail_until_blocked(rl, SA(a), 7000, BURST + 1), 1);
	assert_int_equal(wait_of(rl, SA(a), 7000), 2);
	/* ... and start again from 1 s once all is forgotten. */
	for (i = 0; i < BURST; i++)
		assert_int_equal(saola__rl_fail(rl, SA(a), 100000), 0);
	assert_int_equal(saola__rl_fail(rl, SA(a), 100000), 1);
	assert_int_equal(wait_of(rl, SA(a), 100000), 1);
	/* A success counts nothing: only time forgives. */
	assert_int_equal(wait_of(rl, SA(a), 100999), 1);
	saola__rl_free(rl);
}

/* IPv6 counts by /64; IPv4-mapped IPv6 as IPv4; other families never. */
static void test_rl_addresses(void **state)
{
	saola__rl *rl = saola__rl_new(1);
	struct sockaddr_in6 a1 = v6("2001:db8:1:2::10"), a2 = v6("2001:db8:1:2:ffff::1"),
	                    other = v6("2001:db8:1:3::10"), mapped = v6("::ffff:10.9.8.7");
	struct sockaddr_in plain = v4("10.9.8.7");
	struct sockaddr_un local;
	int wait;

	(void)state;
	assert_int_equal(fail_until_blocked(rl, SA(a1), 0, 2), 2);
	assert_int_equal(wait_of(rl, SA(a2), 0), 1);
	assert_int_equal(wait_of(rl, SA(other), 0), 0);
	assert_int_equal(fail_until_blocked(rl, SA(mapped), 0, 2), 2);
	assert_int_equal(wait_of(rl, SA(plain), 0), 1);
	memset(&local, 0, sizeof local);
	local.sun_family = AF_UNIX;
	assert_int_equal(saola__rl_fail(rl, SA(local), 0), 0);
	assert_int_equal(saola__rl_fail(rl, SA(local), 0), 0);
	assert_int_equal(saola__rl_check(rl, SA(local), 0, &wait), 0);
	assert_int_equal(saola__rl_check(rl, NULL, 0, &wait), 0);
	/* No limiter: nothing is ever blocked. */
	assert_int_equal(saola__rl_fail(NULL, SA(plain), 0), 0);
	assert_int_equal(saola__rl_check(NULL, SA(plain), 0, &wait), 0);
	assert_int_equal(wait, 0);
	saola__rl_free(rl);
}

/* Far more addresses than slots: a blocked address is not pushed out by
 * addresses that failed once. */
static void test_rl_table_full(void **state)
{
	saola__rl *rl = saola__rl_new(BURST);
	struct sockaddr_in bad = v4("203.0.113.99"), x;
	unsigned i;

	(void)state;
	fail_until_blocked(rl, SA(bad), 0, BURST + 1);
	memset(&x, 0, sizeof x);
	x.sin_family = AF_INET;
	for (i = 0; i < 50 * SAOLA__RL_SLOTS; i++) {
		x.sin_addr.s_addr = htonl(0x0a000000u + i);
		saola__rl_fail(rl, SA(x), 10);
	}
	assert_int_equal(wait_of(rl, SA(bad), 10), 1);
	saola__rl_free(rl);
}

/* ------------------------------------------------------------------ */
/* Expiry options                                                      */

static void test_expiry_parse(void **state)
{
	static const struct {
		const char *expires, *days, *want;   /* want NULL: refused */
		const char *why;                     /* in the message */
	} cases[] = {
		{NULL, NULL, "2026-06-14T10:20:30Z", NULL},          /* 365 days */
		{NULL, "1", "2025-06-15T10:20:30Z", NULL},
		{NULL, "3650", "2035-06-12T10:20:30Z", NULL},
		{"never", NULL, "", NULL},
		{"2025-06-15", NULL, "2025-06-15T00:00:00Z", NULL},
		{"2025-06-14T10:20:31Z", NULL, "2025-06-14T10:20:31Z", NULL},
		{"2025-06-14", NULL, NULL, "which is past (it is 2025-06-14T10:20:30Z now)"},
		{"2025-06-14T10:20:30Z", NULL, NULL, "past"},
		{"2001-01-01", NULL, NULL, "refused from 2001-01-01T00:00:00Z, which is past"},
		{"2025-02-29", NULL, NULL, "expected a date YYYY-MM-DD"},
		{"2026-13-01", NULL, NULL, "expected a date"},
		{"2026-1-01", NULL, NULL, "expected a date"},
		{"2026-01-01T24:00:00Z", NULL, NULL, "expected a date"},
		{"2026-01-01 ", NULL, NULL, "expected a date"},
		{"tomorrow", NULL, NULL, "--expires \"tomorrow\""},
		{NULL, "0", NULL, "--days \"0\": expected a number of days from 1 to 3650"},
		{NULL, "3651", NULL, "from 1 to 3650"},
		{NULL, "12x", NULL, "from 1 to 3650"},
		{NULL, "-5", NULL, "from 1 to 3650"},
		{"never", "3", NULL, "give one of them"},
	};
	struct tm tm = {.tm_year = 125, .tm_mon = 5, .tm_mday = 14, .tm_hour = 10,
	                .tm_min = 20, .tm_sec = 30};
	time_t now = timegm(&tm);
	char out[21];
	saola__err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = saola__expiry_parse(cases[i].expires, cases[i].days, now, out, &e);
		if (cases[i].want) {
			if (rc != 0)
				fail_msg("case %zu: %s", i, e.message);
			assert_string_equal(out, cases[i].want);
		} else {
			assert_int_equal(rc, -1);
			assert_int_equal(saola__err_status(&e), 400);
			assert_string_equal(out, "");
			if (!strstr(e.message, cases[i].why))
				fail_msg("case %zu: \"%s\" lacks \"%s\"", i, e.message, cases[i].why);
		}
	}
}

/* ------------------------------------------------------------------ */
/* A server in this process, its limiter on the test's clock           */

static _Atomic int64_t clock_ms;

static int64_t test_clock(void)
{
	return atomic_load(&clock_ms);
}

typedef struct fixture {
	char dir[512];
	char db[1024];
	char url[64];
	saola_server *srv;
	saola__store *st;                      /* a second connection */
	char lan[SAOLA__TOKEN_HEX + 1];        /* surveyor of 14404, 30 days */
	char officer[SAOLA__TOKEN_HEX + 1];    /* commune 14404, never expires */
	char cmd[4096], out[4096], err[4096];  /* for the commands */
} fixture;

static saola_server *start(const char *db, int auth_failures)
{
	saola_server_opts o;
	saola_server *srv = NULL;

	memset(&o, 0, sizeof o);
	o.db_path = db;
	o.listen = "127.0.0.1:0";
	o.schemas = SAOLA_TEST_SCHEMAS;
	o.threads = 2;
	o.auth_failures = auth_failures;
	if (saola_server_start(&o, &srv) != SAOLA_OK)
		fail_msg("server start: %s", saola_server_errmsg(srv));
	saola__server_set_clock(srv, test_clock);
	return srv;
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	char err[512], until[21];
	saola__err e;

	assert_non_null(fx);
	snprintf(fx->dir, sizeof fx->dir, "%s", tu_tmpdir("auth"));
	snprintf(fx->db, sizeof fx->db, "%s", pgt_db(tu_path(fx->dir, "server.db")));
	atomic_store(&clock_ms, 1000000);
	fx->srv = start(fx->db, 0);
	snprintf(fx->url, sizeof fx->url, "http://127.0.0.1:%d", saola_server_port(fx->srv));
	if (saola__store_open(fx->db, NULL, 0, &fx->st, err, sizeof err) != SAOLA_OK)
		fail_msg("store open: %s", err);
	assert_int_equal(saola__expiry_parse(NULL, "30", time(NULL), until, &e), 0);
	if (saola__user_create_until(fx->st, "lan", "surveyor", "14404", until, fx->lan, &e) != 0 ||
	    saola__user_create(fx->st, "officer", "commune", "14404", fx->officer, &e) != 0)
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

/* A pull-only sync request with token, from source (NULL: 127.0.0.1), as
 * a device of the token's own (a device id belongs to one enrolment). */
static sv_resp pull_from(fixture *fx, const char *source, const char *token)
{
	unsigned long h = 5381;
	const char *p;
	char device[32];
	json_t *req;
	char *text;
	sv_resp r;

	for (p = token ? token : ""; *p; p++)
		h = h * 33 + (unsigned char)*p;
	snprintf(device, sizeof device, "dev-%08lx", h & 0xffffffffUL);
	req = sv_request(NULL, device, 0, 10, NULL);
	text = json_dumps(req, JSON_COMPACT);

	assert_non_null(text);
	r = sv_http_from(source, fx->url, "POST", "/v1/sync", token, NULL, text, strlen(text), 0);
	free(text);
	json_decref(req);
	return r;
}

/* A review move on a record (none need exist: the token is checked
 * first). */
static sv_resp review_from(fixture *fx, const char *source, const char *token)
{
	static const char body[] = "{\"action\":\"approve\"}";

	return sv_http_from(source, fx->url, "POST",
	                    "/v1/records/00000000-0000-4000-8000-000000000000/review", token, NULL,
	                    body, strlen(body), 0);
}

static sv_resp get_from(fixture *fx, const char *source, const char *path, const char *token)
{
	return sv_http_from(source, fx->url, "GET", path, token, NULL, NULL, 0, 0);
}

/* Checks an answer's status, and for an error its code and a piece of its
 * message (may be NULL); frees it. */
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

/* Runs a saola-server command line (after the binary's name); returns its
 * exit status, its output in fx->out and fx->err. */
static int server_cmd(fixture *fx, const char *args)
{
	snprintf(fx->cmd, sizeof fx->cmd, "'%s' %s", SERVER_BIN, args);
	return tu_run(fx->cmd, fx->out, sizeof fx->out, fx->err, sizeof fx->err);
}

/* ------------------------------------------------------------------ */
/* Expiry and revocation while the server runs                         */

/* Expired while the server runs: refused at the next request on every
 * route that takes a token; renewed, accepted again. */
static void test_expire_at_once(void **state)
{
	fixture *fx = *state;
	char at[21], says[128];
	saola__err e;
	int already;

	expect(pull_from(fx, NULL, fx->lan), 200, NULL, NULL);
	expect(get_from(fx, NULL, "/v1/forms", fx->lan), 200, NULL, NULL);
	expect(get_from(fx, NULL, "/v1/reports/summary", fx->officer), 200, NULL, NULL);

	assert_int_equal(saola__user_expire_name(fx->st, "lan", at, &already, &e), 0);
	assert_int_equal(already, 0);
	snprintf(says, sizeof says, "the token of user lan expired at %s", at);
	expect(pull_from(fx, NULL, fx->lan), 401, "unauthorized", says);
	expect(get_from(fx, NULL, "/v1/forms", fx->lan), 401, "unauthorized", says);
	expect(pull_from(fx, NULL, fx->officer), 200, NULL, NULL);

	assert_int_equal(saola__user_expire_name(fx->st, "officer", at, &already, &e), 0);
	snprintf(says, sizeof says, "the token of user officer expired at %s", at);
	expect(get_from(fx, NULL, "/v1/reports/summary", fx->officer), 401, "unauthorized", says);
	expect(get_from(fx, NULL, "/v1/conflicts", fx->officer), 401, "unauthorized", says);
	expect(review_from(fx, NULL, fx->officer), 401, "unauthorized", says);
	/* The dashboard's page itself needs no token. */
	expect(get_from(fx, NULL, "/", NULL), 200, NULL, NULL);

	/* Expiring again keeps the first time. */
	assert_int_equal(saola__user_expire_name(fx->st, "officer", says, &already, &e), 0);
	assert_int_equal(already, 1);
	assert_string_equal(says, at);

	assert_int_equal(saola__user_renew_name(fx->st, "lan", "2099-01-01T00:00:00Z", &e), 0);
	assert_int_equal(saola__user_renew_name(fx->st, "officer", "", &e), 0);
	expect(pull_from(fx, NULL, fx->lan), 200, NULL, NULL);
	expect(get_from(fx, NULL, "/v1/reports/summary", fx->officer), 200, NULL, NULL);
	assert_int_equal(saola__user_renew_name(fx->st, "nobody", "", &e), -1);
	assert_int_equal(saola__err_status(&e), 404);
}

/* An expiry stored in the past (not by "expire") is refused too; a user
 * made with one is refused at its first request. */
static void test_expiry_in_store(void **state)
{
	fixture *fx = *state;
	char tok[SAOLA__TOKEN_HEX + 1];
	saola__err e;
	saola__user u;
	int found;

	assert_int_equal(fx->st->ops->write_begin(fx->st, 1), SAOLA_OK);
	assert_int_equal(fx->st->ops->user_by_name(fx->st, "lan", &u, &found), SAOLA_OK);
	assert_int_equal(found, 1);
	assert_int_equal(fx->st->ops->user_expiry(fx->st, u.id, "2020-02-29T12:00:00Z"),
	                 SAOLA_OK);
	assert_int_equal(fx->st->ops->end(fx->st, 1), SAOLA_OK);
	expect(pull_from(fx, NULL, fx->lan), 401, "unauthorized",
	       "the token of user lan expired at 2020-02-29T12:00:00Z: an administrator can renew"
	       " it (saola-server user renew)");
	assert_int_equal(saola__user_create_until(fx->st, "old", "surveyor", "14404",
	                                          "2001-01-01T00:00:00Z", tok, &e), 0);
	expect(pull_from(fx, NULL, tok), 401, "unauthorized", "user old expired at 2001-01-01");
	/* The library refuses a malformed expiry. */
	assert_int_equal(saola__user_create_until(fx->st, "bad", "surveyor", "14404", "soon", tok,
	                                          &e), -1);
	assert_int_equal(saola__err_status(&e), 400);
	assert_int_equal(saola__user_renew_name(fx->st, "lan", "2030-02-30T00:00:00Z", &e), -1);
	assert_int_equal(saola__err_status(&e), 400);
}

/* Revoked while the server runs: refused at the next request, and for
 * good: renew does not bring it back. */
static void test_revoke_at_once(void **state)
{
	fixture *fx = *state;
	char args[2048];
	saola__err e;
	int already;

	expect(pull_from(fx, NULL, fx->lan), 200, NULL, NULL);
	expect(get_from(fx, NULL, "/v1/devices", fx->officer), 200, NULL, NULL);
	snprintf(args, sizeof args, "user revoke --db '%s' --name lan", fx->db);
	assert_int_equal(server_cmd(fx, args), 0);
	assert_non_null(strstr(fx->out, "user lan revoked"));
	expect(pull_from(fx, NULL, fx->lan), 401, "unauthorized", "the token of user lan is revoked");
	assert_int_equal(saola__user_revoke_name(fx->st, "officer", &already, &e), 0);
	assert_int_equal(already, 0);
	expect(get_from(fx, NULL, "/v1/devices", fx->officer), 401, "unauthorized",
	       "the token of user officer is revoked");
	expect(review_from(fx, NULL, fx->officer), 401, "unauthorized", "is revoked");

	assert_int_equal(saola__user_renew_name(fx->st, "lan", "2099-01-01T00:00:00Z", &e), -1);
	assert_int_equal(saola__err_status(&e), 409);
	assert_non_null(strstr(e.message, "user lan is revoked"));
	expect(pull_from(fx, NULL, fx->lan), 401, "unauthorized", "is revoked");
}

/* A device whose token expires: the sync stops with the server's reason
 * and keeps its queue; renewed with the command, it syncs again. */
static void test_device_renewed(void **state)
{
	fixture *fx = *state;
	saola *dev = st_device(tu_path(fx->dir, "dev.db"), fx->url, fx->lan);
	saola_sync_stats st;
	char args[2048];
	int64_t queued = 0;

	st_put_households(dev, 3, "14404", 2, NULL);
	assert_int_equal(saola_sync(dev, NULL, &st), SAOLA_OK);
	assert_int_equal(st.records_up, 2);

	snprintf(args, sizeof args, "user expire --db '%s' --name lan", fx->db);
	assert_int_equal(server_cmd(fx, args), 0);
	assert_non_null(strstr(fx->out, "user lan: the token expired at "));
	st_put_households(dev, 4, "14404", 1, NULL);
	assert_int_equal(saola_sync(dev, NULL, &st), SAOLA_AUTH);
	assert_int_equal(st.retries, 0);
	if (!strstr(saola_errmsg(dev), "401 unauthorized): the token of user lan expired at ") ||
	    !strstr(saola_errmsg(dev), "saola-server user renew"))
		fail_msg("the device says: %s", saola_errmsg(dev));
	assert_int_equal(saola_outbox_count(dev, &queued), SAOLA_OK);
	assert_true(queued > 0);

	snprintf(args, sizeof args, "user renew --db '%s' --name lan --days 90", fx->db);
	assert_int_equal(server_cmd(fx, args), 0);
	assert_non_null(strstr(fx->out, "user lan: the token is valid until "));
	assert_int_equal(saola_sync(dev, NULL, &st), SAOLA_OK);
	assert_int_equal(saola_outbox_count(dev, &queued), SAOLA_OK);
	assert_int_equal(queued, 0);
	saola_close(dev);
}

/* A token rotated (saola-server user rotate): the old one is refused at
 * once, the new one printed; the device enrolled again with it keeps its
 * queue and syncs it; a revoked user's token is not rotated. */
static void test_rotate(void **state)
{
	fixture *fx = *state;
	saola *dev = st_device(tu_path(fx->dir, "dev.db"), fx->url, fx->lan);
	saola_sync_stats st;
	char args[2048], token[SAOLA__TOKEN_HEX + 1];
	int64_t queued = 0;

	st_put_households(dev, 3, "14404", 2, NULL);
	assert_int_equal(saola_sync(dev, NULL, &st), SAOLA_OK);
	snprintf(args, sizeof args, "user rotate --db '%s' --name lan", fx->db);
	assert_int_equal(server_cmd(fx, args), 0);
	assert_int_equal(strlen(fx->out), SAOLA__TOKEN_HEX + 1);   /* the token and "\n" */
	snprintf(token, sizeof token, "%.*s", SAOLA__TOKEN_HEX, fx->out);
	assert_string_not_equal(token, fx->lan);
	expect(pull_from(fx, NULL, fx->lan), 401, "unauthorized", NULL);
	st_put_households(dev, 4, "14404", 1, NULL);
	assert_int_equal(saola_sync(dev, NULL, &st), SAOLA_AUTH);
	assert_int_equal(saola_outbox_count(dev, &queued), SAOLA_OK);
	assert_true(queued > 0);
	if (saola_enrol(dev, fx->url, token, NULL) != SAOLA_OK)
		fail_msg("enrol with the new token: %s", saola_errmsg(dev));
	assert_int_equal(saola_sync(dev, NULL, &st), SAOLA_OK);
	assert_int_equal(saola_outbox_count(dev, &queued), SAOLA_OK);
	assert_int_equal(queued, 0);
	assert_int_equal(sv_store_count(fx->st, "SELECT count(*) FROM records"), 3);
	saola_close(dev);

	snprintf(args, sizeof args, "user revoke --db '%s' --name officer", fx->db);
	assert_int_equal(server_cmd(fx, args), 0);
	snprintf(args, sizeof args, "user rotate --db '%s' --name officer", fx->db);
	assert_int_equal(server_cmd(fx, args), 1);
	assert_non_null(strstr(fx->err, "user officer is revoked"));
	assert_string_equal(fx->out, "");
	snprintf(args, sizeof args, "user rotate --db '%s' --name nobody", fx->db);
	assert_int_equal(server_cmd(fx, args), 1);
	assert_non_null(strstr(fx->err, "no user named \"nobody\""));
}

/* The user commands: expiry options, their refusals, the list. */
static void test_user_commands(void **state)
{
	fixture *fx = *state;
	char args[2048], expect_until[21];
	saola__err e;

	snprintf(args, sizeof args, "user add --db '%s' --name past --role surveyor --area 14404"
	         " --expires 2001-01-01", fx->db);
	assert_int_equal(server_cmd(fx, args), 2);
	assert_non_null(strstr(fx->err, "user add: --expires 2001-01-01: the token would be"
	                                " refused from 2001-01-01T00:00:00Z, which is past"));
	assert_string_equal(fx->out, "");
	snprintf(args, sizeof args, "user add --db '%s' --name bad --role surveyor --area 14404"
	         " --days 10 --expires never", fx->db);
	assert_int_equal(server_cmd(fx, args), 2);
	snprintf(args, sizeof args, "user revoke --db '%s' --name lan --days 10", fx->db);
	assert_int_equal(server_cmd(fx, args), 2);
	assert_non_null(strstr(fx->err, "--expires and --days go with user add and user renew"));

	snprintf(args, sizeof args, "user add --db '%s' --name svc --role district --area 372"
	         " --expires never", fx->db);
	assert_int_equal(server_cmd(fx, args), 0);
	assert_int_equal(strlen(fx->out), SAOLA__TOKEN_HEX + 1);
	snprintf(args, sizeof args, "user add --db '%s' --name yearly --role surveyor"
	         " --area 14404", fx->db);
	assert_int_equal(server_cmd(fx, args), 0);
	assert_int_equal(saola__expiry_parse(NULL, NULL, time(NULL), expect_until, &e), 0);
	snprintf(args, sizeof args, "user add --db '%s' --name fixed --role surveyor"
	         " --area 14404 --expires 2099-12-31", fx->db);
	assert_int_equal(server_cmd(fx, args), 0);

	snprintf(args, sizeof args, "user list --db '%s'", fx->db);
	assert_int_equal(server_cmd(fx, args), 0);
	assert_non_null(strstr(fx->out, "EXPIRES"));
	assert_null(strstr(fx->out, "past "));
	assert_non_null(strstr(fx->out, "2099-12-31T00:00:00Z"));
	/* A year from now, give or take the second the command took. */
	expect_until[10] = '\0';
	assert_non_null(strstr(strstr(fx->out, "yearly "), expect_until));
	assert_non_null(strstr(strstr(fx->out, "svc "), "never"));

	snprintf(args, sizeof args, "user renew --db '%s' --name svc --expires 2098-01-01", fx->db);
	assert_int_equal(server_cmd(fx, args), 0);
	assert_non_null(strstr(fx->out, "user svc: the token is valid until 2098-01-01T00:00:00Z"));
	snprintf(args, sizeof args, "user renew --db '%s' --name fixed --expires never", fx->db);
	assert_int_equal(server_cmd(fx, args), 0);
	assert_non_null(strstr(fx->out, "user fixed: the token never expires"));
	snprintf(args, sizeof args, "user renew --db '%s' --name ghost", fx->db);
	assert_int_equal(server_cmd(fx, args), 1);
	assert_non_null(strstr(fx->err, "user renew: no user named \"ghost\""));
	snprintf(args, sizeof args, "user expire --db '%s' --name yearly", fx->db);
	assert_int_equal(server_cmd(fx, args), 0);
	assert_int_equal(server_cmd(fx, args), 0);
	assert_non_null(strstr(fx->out, "user yearly: the token had expired already, at "));
	snprintf(args, sizeof args, "user revoke --db '%s' --name yearly", fx->db);
	assert_int_equal(server_cmd(fx, args), 0);
	snprintf(args, sizeof args, "user renew --db '%s' --name yearly", fx->db);
	assert_int_equal(server_cmd(fx, args), 1);
	assert_non_null(strstr(fx->err, "user renew: user yearly is revoked"));

	snprintf(args, sizeof args, "serve --db '%s' --listen 127.0.0.1:0 --auth-failures -3",
	         fx->db);
	assert_int_equal(server_cmd(fx, args), 2);
	assert_non_null(strstr(fx->err, "--auth-failures \"-3\""));
}

/* ------------------------------------------------------------------ */
/* Failed authentications by address                                   */

#define BAD_TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* A burst of bad tokens from 127.0.0.2: its bad tokens are refused with
 * 429 after the burst on every route that takes one, while a valid token
 * from the same address goes through (the limit counts failures, not
 * successes: a guesser behind a shared address locks nobody out); a user
 * at 127.0.0.1 syncs, and 127.0.0.2 reaches /healthz. Time (the test's
 * clock) unblocks it, and a repeat blocks longer. */
static void test_burst_refused(void **state)
{
	fixture *fx = *state;
	sv_resp r;
	int i;

	for (i = 0; i <= BURST; i++) {
		expect(pull_from(fx, ATTACKER, BAD_TOKEN), 401, "unauthorized", "unknown token");
		expect(pull_from(fx, NULL, fx->lan), 200, NULL, NULL);
	}
	r = pull_from(fx, ATTACKER, BAD_TOKEN);
	assert_int_equal(r.retry_after, 1);
	expect(r, 429, "too_many_failures",
	       "too many failed authentications from this address: try again in 1 s");
	r = get_from(fx, ATTACKER, "/v1/reports/summary", BAD_TOKEN);
	assert_int_equal(r.retry_after, 1);
	expect(r, 429, "too_many_failures", NULL);
	expect(get_from(fx, ATTACKER, "/v1/forms", BAD_TOKEN), 429, "too_many_failures", NULL);
	expect(review_from(fx, ATTACKER, BAD_TOKEN), 429, "too_many_failures", NULL);
	/* Valid tokens from the blocked address are served. */
	expect(pull_from(fx, ATTACKER, fx->lan), 200, NULL, NULL);
	expect(get_from(fx, ATTACKER, "/v1/reports/summary", fx->officer), 200, NULL, NULL);
	expect(get_from(fx, ATTACKER, "/v1/forms", fx->lan), 200, NULL, NULL);
	expect(review_from(fx, ATTACKER, fx->officer), 404, "not_found", NULL);
	/* What needs no token is not refused. */
	expect(get_from(fx, ATTACKER, "/healthz", NULL), 200, NULL, NULL);
	expect(get_from(fx, ATTACKER, "/", NULL), 200, NULL, NULL);
	expect(pull_from(fx, ATTACKER, NULL), 401, "unauthorized", "no token");
	/* Other addresses go on. */
	expect(pull_from(fx, NULL, fx->lan), 200, NULL, NULL);
	expect(get_from(fx, NULL, "/v1/reports/summary", fx->officer), 200, NULL, NULL);

	/* A second later: let through; one more failure blocks for 2 s. */
	atomic_fetch_add(&clock_ms, 1000);
	expect(pull_from(fx, ATTACKER, BAD_TOKEN), 401, "unauthorized", NULL);
	r = pull_from(fx, ATTACKER, BAD_TOKEN);
	assert_int_equal(r.retry_after, 2);
	expect(r, 429, "too_many_failures", "try again in 2 s");
	expect(pull_from(fx, ATTACKER, fx->lan), 200, NULL, NULL);
	atomic_fetch_add(&clock_ms, 1999);
	expect(pull_from(fx, ATTACKER, BAD_TOKEN), 429, "too_many_failures", "try again in 1 s");

	/* Quiet for long enough: all forgotten, a whole burst again. */
	atomic_fetch_add(&clock_ms, (BURST + 1) * SAOLA__RL_FORGET_MS);
	for (i = 0; i < BURST; i++)
		expect(get_from(fx, ATTACKER, "/v1/forms", BAD_TOKEN), 401, "unauthorized", NULL);
	expect(get_from(fx, ATTACKER, "/v1/forms", fx->lan), 200, NULL, NULL);
}

/* serve --auth-failures 0 (auth_failures -1): no limit; out of range:
 * the server does not start. */
static void test_limit_off(void **state)
{
	fixture *fx = *state;
	saola_server_opts o;
	saola_server *srv = NULL;
	int i;

	saola_server_stop(fx->srv);
	fx->srv = start(fx->db, -1);
	snprintf(fx->url, sizeof fx->url, "http://127.0.0.1:%d", saola_server_port(fx->srv));
	for (i = 0; i < 3 * BURST; i++)
		expect(pull_from(fx, ATTACKER, BAD_TOKEN), 401, "unauthorized", NULL);
	expect(pull_from(fx, ATTACKER, fx->lan), 200, NULL, NULL);

	memset(&o, 0, sizeof o);
	o.db_path = fx->db;
	o.listen = "127.0.0.1:0";
	o.auth_failures = -2;
	assert_int_equal(saola_server_start(&o, &srv), SAOLA_INVALID);
	assert_non_null(strstr(saola_server_errmsg(srv), "auth_failures -2"));
	saola_server_stop(srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rl_burst),
		cmocka_unit_test(test_rl_blocks_double),
		cmocka_unit_test(test_rl_forgets),
		cmocka_unit_test(test_rl_addresses),
		cmocka_unit_test(test_rl_table_full),
		cmocka_unit_test(test_expiry_parse),
		cmocka_unit_test_setup_teardown(test_expire_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_in_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_renewed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_burst_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limit_off, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
