/* trust.c: test_adversary's trust group (see adversary.h): a device id
 * belongs to one enrolment (another user presenting it is refused, and a
 * victim's queue stays whole), copied databases are told apart by their
 * lineage, a cursor cannot hide an edit from a device, bundles act as the
 * device's owner and pull bundles are signed for their user, and the
 * server is honest about its database (read-only, full) and bounds a pull
 * page in bytes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "adversary.h"
#include "bundle.h"
#include "gen.h"
#include "saola/server.h"
#include "saola/sync.h"
#include "servertest.h"
#include "saola_int.h"
#include "sha256.h"
#include "store.h"
#include "store_sqlite.h"
#include "permissions.h"
#include "sync_handler.h"
#include "synctest.h"
#include "upstream.h"
#include "users.h"
#include "wire.h"

#define SERVER_BIN SAOLA_TEST_BINDIR "/server/saola-server"

enum { ALICE, BOB, CAROL, NUSERS };

typedef struct fixture {
	char dir[512];
	char db[1024];
	saola_server *srv;
	saola__store *st;      /* a second connection: users, checks */
	char url[64];
	char tok[NUSERS][SAOLA__TOKEN_HEX + 1];
	saola_gen *gen;
} fixture;

/* alice and bob: surveyors of commune 14404; carol: of commune 14383. */
static const struct { const char *name, *area; } users[NUSERS] = {
	{"alice", "14404"}, {"bob", "14404"}, {"carol", "14383"},
};

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	saola__err e;
	int i;

	assert_non_null(fx);
	snprintf(fx->dir, sizeof fx->dir, "%s", tu_tmpdir("trust"));
	snprintf(fx->db, sizeof fx->db, "%s/server.db", fx->dir);
	fx->srv = sv_start(fx->db, 2, fx->url, sizeof fx->url);
	fx->st = sv_store(fx->db);
	for (i = 0; i < NUSERS; i++)
		if (saola__user_create(fx->st, users[i].name, "surveyor", users[i].area, fx->tok[i],
		                       &e) != 0)
			fail_msg("user add %s: %s", users[i].name, e.message);
	assert_non_null(fx->gen = saola_gen_new(11));
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

/* POSTs a sync request (taken) as user; the answer. */
static sv_resp post(fixture *fx, int user, json_t *req)
{
	char *text = json_dumps(req, JSON_COMPACT);
	sv_resp r;

	assert_non_null(text);
	r = sv_http(fx->url, "POST", "/v1/sync", fx->tok[user], NULL, text, strlen(text), 0);
	free(text);
	json_decref(req);
	return r;
}

/* Checks an answer's status, error code and a piece of its message (code
 * and says may be NULL); frees it. */
static void expect(sv_resp *r, long status, const char *code, const char *says,
                   const char *what)
{
	const char *msg = json_string_value(json_object_get(json_object_get(r->json, "error"),
	                                                    "message"));

	if (r->status != status || (code && (!sv_error_code(r) ||
	                                     strcmp(sv_error_code(r), code) != 0)) ||
	    (says && (!msg || !strstr(msg, says))))
		fail_msg("%s: expected %ld %s \"%s\", got %ld: %s", what, status, code ? code : "",
		         says ? says : "", r->status, r->body ? r->body : "(no body)");
	sv_resp_free(r);
}

static long count(fixture *fx, const char *fmt, const char *arg)
{
	char sql[512];

	snprintf(sql, sizeof sql, fmt, arg);
	return tu_count(fx->db, sql);
}

/* ------------------------------------------------------------------ */
/* A device id belongs to one enrolment                                */

/* A surveyor of another commune presents the victim's origin with a
 * counter near 2^32 (issue 11, 1). Before, the server raised the victim's
 * "acked" to it and took the origin over, and the victim's next sync
 * dropped the 350 of its 600 queued households that its first batch did
 * not carry. Now the push is refused and every household arrives. */
static void test_foreign_origin_refused(void **state)
{
	fixture *fx = *state;
	saola *victim = NULL;
	saola_sync_opts o;
	json_t *change;
	int64_t queued = -1;
	char id[37];
	sv_resp r;

	assert_int_equal(saola_open(tu_path(fx->dir, "victim.db"), SAOLA_OPEN_CREATE, &victim),
	                 SAOLA_OK);
	if (saola_enrol(victim, fx->url, fx->tok[ALICE], NULL) != SAOLA_OK)
		fail_msg("enrol: %s", saola_errmsg(victim));
	memset(&o, 0, sizeof o);
	st_put_households(victim, 5, "14404", 3, NULL);
	if (saola_sync(victim, &o, NULL) != SAOLA_OK)
		fail_msg("sync: %s", saola_errmsg(victim));

	/* carol's household, sent as the victim's device, counter 2^32 - 296. */
	change = sv_household(fx->gen, "14383", id);
	json_object_set_new(json_object_get(change, "vs"), "_", json_integer(4294967000LL));
	r = post(fx, CAROL, sv_request("evil-1", saola_origin(victim), 0, 0,
	                               json_pack("[o]", change)));
	expect(&r, 403, "forbidden", "belongs to another user's enrolment", "foreign origin");
	assert_int_equal(count(fx, "SELECT count(*) FROM records WHERE id = '%s'", id), 0);
	assert_int_equal(count(fx, "SELECT count(*) FROM devices WHERE origin = '%s' AND user_id"
	                           " = (SELECT id FROM users WHERE name = 'alice')",
	                       saola_origin(victim)), 1);

	/* The victim's next sync: more households than one batch carries. */
	st_put_households(victim, 6, "14404", 600, NULL);
	if (saola_sync(victim, &o, NULL) != SAOLA_OK)
		fail_msg("sync: %s", saola_errmsg(victim));
	assert_int_equal(saola_outbox_count(victim, &queued), SAOLA_OK);
	assert_int_equal(queued, 0);
	assert_int_equal(count(fx, "SELECT count(*) FROM records WHERE commune = '%s'", "14404"),
	                 603);
	saola_close(victim);
}

/* ------------------------------------------------------------------ */
/* Copies of one database, told apart by their lineage                 */

#define LA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define LB "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define LC "cccccccccccccccccccccccccccccccc"
#define LD "dddddddddddddddddddddddddddddddd"
#define LE "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
#define LF "ffffffffffffffffffffffffffffffff"
#define OWN "@server"   /* the server's own origin */

static void test_lineage(void **state)
{
	static const struct {
		const char *what;
		int user;
		const char *device, *prev, *next, *batch;
		int resend;            /* the request of this batch sent before, again */
		long status;
		const char *code, *says;
		int added;             /* records stored by it */
	} steps[] = {
		{"first sync: bound to alice, lineage A", ALICE, "dev-copy", NULL, LA, "c-1", 0,
		 200, NULL, NULL, 1},
		{"a copy made before the first sync", ALICE, "dev-copy", NULL, LB, "c-2", 0,
		 409, "device_copied", "is a copy of another device's", 0},
		{"c-1 resent after its answer was lost", ALICE, "dev-copy", NULL, LA, "c-1", 1,
		 200, NULL, NULL, 0},
		{"the next request: A accepted, C proposed", ALICE, "dev-copy", LA, LC, "c-3", 0,
		 200, NULL, NULL, 1},
		{"a copy made after A", ALICE, "dev-copy", LA, LD, "c-4", 0,
		 409, "device_copied", "nothing was applied", 0},
		{"no lineage after one was given", ALICE, "dev-copy", NULL, NULL, "c-5", 0,
		 400, "bad_request", "lineage: missing", 0},
		{"a pull moves the lineage too", ALICE, "dev-copy", LC, LE, NULL, 0,
		 200, NULL, NULL, 0},
		{"a copy still at C", ALICE, "dev-copy", LC, LF, "c-6", 0,
		 409, "device_copied", NULL, 0},
		{"another user with the right lineage", BOB, "dev-copy", LE, LF, "c-7", 0,
		 403, "forbidden", "another user's enrolment", 0},
		{"an old client without lineage", ALICE, "dev-old", NULL, NULL, "c-8", 0,
		 200, NULL, NULL, 1},
		{"... again", ALICE, "dev-old", NULL, NULL, "c-9", 0, 200, NULL, NULL, 1},
		{"... upgraded: its first lineage", ALICE, "dev-old", NULL, LA, "c-10", 0,
		 200, NULL, NULL, 1},
		{"the server's own origin", ALICE, OWN, NULL, LA, "c-11", 0,
		 403, "forbidden", "this server's own origin", 0},
		{"a lineage that is not 32 hex digits", ALICE, "dev-new", "xyz", LA, "c-12", 0,
		 400, "bad_request", "lineage: expected", 0},
		{"the owner, right after the refusals", ALICE, "dev-copy", LE, LF, "c-13", 0,
		 200, NULL, NULL, 1},
	};
	fixture *fx = *state;
	json_t *sent = json_object();
	char id[37];
	size_t i;

	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		const char *device = strcmp(steps[i].device, OWN) == 0
		                     ? saola_origin(((sq_store *)fx->st)->db) : steps[i].device;
		long before = tu_count(fx->db, "SELECT count(*) FROM records");
		json_t *req, *changes = NULL;
		sv_resp r;

		if (steps[i].resend) {
			req = json_deep_copy(json_object_get(sent, steps[i].batch));
		} else {
			if (steps[i].batch)
				changes = json_pack("[o]", sv_household(fx->gen, "14404", id));
			req = sv_request(steps[i].batch, device, 0, 0, changes);
			if (steps[i].next || steps[i].prev)
				json_object_set_new(req, "lineage", json_pack("{s:s?, s:s?}", "prev",
				                    steps[i].prev, "next", steps[i].next));
			if (steps[i].batch)
				json_object_set(sent, steps[i].batch, req);
		}
		r = post(fx, steps[i].user, req);
		expect(&r, steps[i].status, steps[i].code, steps[i].says, steps[i].what);
		if (tu_count(fx->db, "SELECT count(*) FROM records") != before + steps[i].added)
			fail_msg("%s: %d records expected stored", steps[i].what, steps[i].added);
		if (steps[i].status != 200 && steps[i].batch &&
		    count(fx, "SELECT count(*) FROM batches WHERE batch = '%s'", steps[i].batch) != 0)
			fail_msg("%s: its batch was kept", steps[i].what);
	}
	/* The owner never changed, and the lineage is the last one accepted. */
	assert_int_equal(count(fx, "SELECT count(*) FROM devices WHERE origin = '%s' AND lineage ="
	                           " '" LF "' AND user_id = (SELECT id FROM users WHERE name ="
	                           " 'alice')", "dev-copy"), 1);
	json_decref(sent);
}

/* ------------------------------------------------------------------ */
/* A cursor cannot hide an edit from a device                          */

/* A push naming another device with a huge cursor (issue 11, 4) marked the
 * record as held by that device, which never received the new value. Now
 * another user's device is refused, and so is any cursor beyond the
 * server's latest change; the victim receives the edit. */
static void test_cursor_cannot_hide(void **state)
{
	static const struct {
		const char *what;
		int user;
		const char *device;
		json_int_t cursor;
		long status;
		const char *code, *says;
	} attacks[] = {
		{"another user's device", BOB, "dev-v", 1000000000, 403, "forbidden",
		 "belongs to another user's enrolment"},
		{"its own device, a cursor beyond the server's", BOB, "dev-b", 1000000000, 400,
		 "bad_request", "cursor: 1000000000 is beyond this server's latest change"},
		{"the owner's device, a cursor beyond the server's", ALICE, "dev-v", 1000000000, 400,
		 "bad_request", "is beyond this server's latest change"},
		{"a cursor one past the latest", BOB, "dev-b", -1, 400, "bad_request",
		 "is beyond this server's latest change"},
	};
	fixture *fx = *state;
	json_int_t cursor_v, latest;
	json_t *recs, *rec;
	char id[37], batch[32];
	const char *head;
	size_t i;
	sv_resp r;

	r = post(fx, ALICE, sv_request("v-1", "dev-v", 0, 100,
	                               json_pack("[o]", sv_household(fx->gen, "14404", id))));
	assert_int_equal(r.status, 200);
	cursor_v = sv_jint(r.json, "cursor");
	sv_resp_free(&r);
	latest = tu_count(fx->db, "SELECT max(seq) FROM records");
	for (i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
		snprintf(batch, sizeof batch, "hide-%zu", i);
		r = post(fx, attacks[i].user, sv_request(batch, attacks[i].device,
		         attacks[i].cursor < 0 ? latest + 1 : attacks[i].cursor, 0,
		         json_pack("[o]", sv_head_edit(id, "Hidden", 2 + (int)i, 1, "dev-v"))));
		expect(&r, attacks[i].status, attacks[i].code, attacks[i].says, attacks[i].what);
	}
	/* bob's honest edit reaches dev-v. */
	r = post(fx, BOB, sv_request("b-1", "dev-b", 0, 0,
	                             json_pack("[o]", sv_head_edit(id, "Seen", 9, 1, "dev-v"))));
	assert_int_equal(r.status, 200);
	sv_resp_free(&r);
	r = post(fx, ALICE, sv_request(NULL, "dev-v", cursor_v, 100, NULL));
	assert_int_equal(r.status, 200);
	recs = json_object_get(r.json, "records");
	assert_int_equal(json_array_size(recs), 1);
	rec = json_array_get(recs, 0);
	/* the head's name: member 1's (head_name is computed, never sent) */
	head = json_string_value(json_object_get(json_array_get(json_object_get(
	        json_object_get(rec, "d"), "members"), 0), "name"));
	assert_string_equal(json_string_value(json_object_get(rec, "r")), id);
	assert_non_null(head);
	assert_string_equal(head, "Seen");
	sv_resp_free(&r);
}

/* ------------------------------------------------------------------ */
/* Bundles                                                             */

/* bundle import acts as the device's owner and names it; a bundle of a
 * device enrolled by another user is refused whole (issue 11, 6). */
static void test_bundle_import_owner(void **state)
{
	static const struct {
		const char *what;
		const char *user;      /* --user, or NULL */
		const char *device;
		int exit;
		const char *says;      /* on stderr, or NULL */
		int added;
	} cases[] = {
		{"another user's device", "bob", "dev-a", 1,
		 "device dev-a belongs to another user's enrolment", 0},
		{"the owner, unnamed", NULL, "dev-a", 0,
		 "bundle import: acting as user alice, the owner of device dev-a", 1},
		{"the owner, named", "alice", "dev-a", 0, NULL, 1},
		{"an unknown device, unnamed", NULL, "dev-stick", 1,
		 "bundle import: device dev-stick is not enrolled here: name the user with --user", 0},
		{"an unknown device, named: bound to bob", "bob", "dev-stick", 0, NULL, 1},
		{"... now known: bob's", NULL, "dev-stick", 0,
		 "acting as user bob, the owner of device dev-stick", 1},
		{"... and not alice's", "alice", "dev-stick", 1, "another user's enrolment", 0},
	};
	fixture *fx = *state;
	char path[1100], batch[32], out[2048], err[2048], id[37], errs[512];
	size_t i;
	sv_resp r;

	r = post(fx, ALICE, sv_request(NULL, "dev-a", 0, 0, NULL));
	assert_int_equal(r.status, 200);
	sv_resp_free(&r);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		long before = tu_count(fx->db, "SELECT count(*) FROM records");
		json_t *payload;
		int rc;

		snprintf(batch, sizeof batch, "stick-%zu", i);
		payload = sv_request(batch, cases[i].device, 0, 0,
		                     json_pack("[o]", sv_household(fx->gen, "14404", id)));
		snprintf(path, sizeof path, "%s/push%zu.bundle", fx->dir, i);
		assert_int_equal(saola__bundle_write(path, "push", payload, errs, sizeof errs),
		                 SAOLA_OK);
		json_decref(payload);
		rc = tu_runf(out, sizeof out, err, sizeof err, "%s bundle import --db %s%s%s %s",
		             SERVER_BIN, fx->db, cases[i].user ? " --user " : "",
		             cases[i].user ? cases[i].user : "", path);
		if (rc != cases[i].exit || (cases[i].says && !strstr(err, cases[i].says)))
			fail_msg("%s: expected exit %d and \"%s\", got %d: %s", cases[i].what,
			         cases[i].exit, cases[i].says ? cases[i].says : "", rc, err);
		if (tu_count(fx->db, "SELECT count(*) FROM records") != before + cases[i].added)
			fail_msg("%s: %d records expected stored", cases[i].what, cases[i].added);
	}
	assert_int_equal(count(fx, "SELECT count(*) FROM devices WHERE origin = '%s' AND user_id"
	                           " = (SELECT id FROM users WHERE name = 'bob')", "dev-stick"), 1);
}

/* Reads a pull bundle's header fields and its gzip bytes (free()). */
static unsigned char *read_pull(const char *path, char mac[65], size_t *len)
{
	FILE *f = fopen(path, "rb");
	char line[256], kind[8];
	unsigned long crc;
	unsigned char *gz;
	int version;

	assert_non_null(f);
	assert_non_null(fgets(line, sizeof line, f));
	mac[0] = '\0';
	if (sscanf(line, "saola-bundle %d %7s %lx %zu %64s", &version, kind, &crc, len, mac) != 5)
		fail_msg("pull bundle header: expected 6 fields, got \"%s\"", line);
	assert_string_equal(kind, "pull");
	assert_non_null(gz = malloc(*len));
	assert_int_equal(fread(gz, 1, *len, f), *len);
	fclose(f);
	return gz;
}

/* A pull bundle is signed for its user: its HMAC verifies under the
 * user's token hash (as a device computes it from its token) and no
 * other, and it confirms the user's bundle batches by id instead of the
 * "acked" counters that a forged bundle could set (issue 11, 1). */
static void test_pull_bundle_signed(void **state)
{
	fixture *fx = *state;
	unsigned char key[SAOLA__SHA256_LEN], mac[SAOLA__SHA256_LEN], *gz, *text = NULL;
	char path[1100], push[1100], hex[65], want[65], errs[512], id[37];
	json_t *payload, *doc, *confirmed;
	size_t len, tlen, n = 0;
	saola__err e;
	json_t *sum = NULL;
	int u;

	payload = sv_request("stick-1", "dev-s", 0, 0,
	                     json_pack("[o]", sv_household(fx->gen, "14404", id)));
	snprintf(push, sizeof push, "%s/push.bundle", fx->dir);
	assert_int_equal(saola__bundle_write(push, "push", payload, errs, sizeof errs), SAOLA_OK);
	json_decref(payload);
	assert_int_equal(saola__bundle_import(fx->st, push, "alice", (size_t)1 << 26, &sum, &e), 0);
	json_decref(sum);
	snprintf(path, sizeof path, "%s/pull.bundle", fx->dir);
	if (saola__bundle_export(fx->st, path, "alice", &n, &e) != 0)
		fail_msg("export: %s", e.message);
	assert_int_equal(n, 1);
	gz = read_pull(path, hex, &len);
	for (u = 0; u < NUSERS; u++) {
		saola__sha256(fx->tok[u], strlen(fx->tok[u]), key);
		saola__hmac_sha256(key, sizeof key, gz, len, mac);
		saola__hex(mac, sizeof mac, want);
		if ((strcmp(hex, want) == 0) != (u == ALICE))
			fail_msg("the HMAC %s under %s's token", u == ALICE ? "fails" : "verifies",
			         users[u].name);
	}
	assert_int_equal(saola__gunzip(gz, len, (size_t)1 << 26, &text, &tlen), SAOLA_OK);
	assert_non_null(doc = json_loads((const char *)text, 0, NULL));
	assert_null(json_object_get(doc, "acked"));
	assert_null(json_object_get(doc, "acked_by_device"));
	confirmed = json_object_get(doc, "confirmed");
	assert_int_equal(json_array_size(json_object_get(confirmed, "dev-s")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(confirmed, "dev-s"),
	                                                     0)), "stick-1");
	json_decref(doc);
	free(text);
	free(gz);
}

/* ------------------------------------------------------------------ */
/* Upstream: a district server is a device of its province             */

/* Copies the file at from to to; 0 on success. */
static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[65536];
	size_t n;
	int rc = in && out ? 0 : -1;

	while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		rc = -1;
	return rc;
}

/* A district database copied to a second district server: both send the
 * same origin to the province. The copy's first sync is refused whole
 * (409 device_copied) and says what happened and what to do; the first
 * server goes on syncing. Before, the province took both for one device. */
static void test_upstream_copy(void **state)
{
	fixture *fx = *state;
	char token[SAOLA__TOKEN_HEX + 1], a[1100], b[1100], err[512], *lineage = NULL;
	saola__store *da = NULL, *db = NULL;
	saola__upstream_stats st;
	saola__err e;
	long before;

	if (saola__user_create(fx->st, "huyen-372", "district", "372", token, &e) != 0 ||
	    saola__user_permit(fx->st, "huyen-372", "personal", 1, NULL, &e) != 0)
		fail_msg("user: %s", e.message);
	snprintf(a, sizeof a, "%s/district-a.db", fx->dir);
	snprintf(b, sizeof b, "%s/district-b.db", fx->dir);
	assert_int_equal(saola__store_sqlite_open(a, SAOLA_TEST_SCHEMAS, 1, &da, err, sizeof err),
	                 SAOLA_OK);
	if (saola__upstream_sync(da, NULL, fx->url, token, &st, &e) != 0)
		fail_msg("district a: %s", e.message);
	assert_int_equal(saola_state_get(((sq_store *)da)->db, "upstream_lineage", &lineage),
	                 SAOLA_OK);
	assert_non_null(lineage);
	assert_int_equal(strlen(lineage), 32);
	saola_free(lineage);
	saola__store_close(da);
	assert_int_equal(copy_file(a, b), 0);
	assert_int_equal(saola__store_sqlite_open(a, NULL, 0, &da, err, sizeof err), SAOLA_OK);
	assert_int_equal(saola__store_sqlite_open(b, NULL, 0, &db, err, sizeof err), SAOLA_OK);
	st_put_households(((sq_store *)da)->db, 31, "14404", 2, NULL);
	if (saola__upstream_sync(da, NULL, NULL, NULL, &st, &e) != 0)
		fail_msg("district a, again: %s", e.message);
	assert_int_equal(st.pushed, 2);
	st_put_households(((sq_store *)db)->db, 32, "14404", 3, NULL);
	before = tu_count(fx->db, "SELECT count(*) FROM records");
	assert_int_equal(saola__upstream_sync(db, NULL, NULL, NULL, &st, &e), -1);
	assert_int_equal(saola__err_status(&e), 409);
	if (!strstr(e.message, "this district's database is a copy of another district"
	                       " server's") || !strstr(e.message, "a database of its own"))
		fail_msg("the copy's message: %s", e.message);
	assert_int_equal(tu_count(fx->db, "SELECT count(*) FROM records"), before);
	if (saola__upstream_sync(da, NULL, NULL, NULL, &st, &e) != 0)
		fail_msg("district a, after the copy: %s", e.message);
	saola__store_close(da);
	saola__store_close(db);
}

/* ------------------------------------------------------------------ */
/* Honest operations                                                   */

/* Runs saola-server with args (after the binary) as a user who cannot
 * override file permissions (nobody, when the test runs as root), for at
 * most 10 s; returns its exit status (124: still running then) and its
 * stderr in err. */
static int run_unprivileged(const char *dir, const char *args, char *err, size_t errcap)
{
	char errpath[1100], cmd[4096];
	FILE *f;
	pid_t pid;
	int status = -1, fd;
	size_t n;

	snprintf(errpath, sizeof errpath, "%s.err", dir);
	snprintf(cmd, sizeof cmd, "exec timeout 10 %s %s >/dev/null", SERVER_BIN, args);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(126);
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(126);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	err[0] = '\0';
	if ((f = fopen(errpath, "r"))) {
		n = fread(err, 1, errcap - 1, f);
		err[n] = '\0';
		fclose(f);
	}
	unlink(errpath);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A server on a database it cannot write refused to start (issue 11, 6),
 * and then failed every sync with a 500. Run as a user whom permissions
 * bind (root writes through chmod). */
static void test_readonly_refused(void **state)
{
	static const struct {
		const char *what;
		mode_t file, folder;
		const char *args;
		int exit;
		const char *says;
	} cases[] = {
		{"serve, the file read-only", 0444, 0777, "serve --listen 127.0.0.1:0", 1,
		 "is read-only"},
		{"serve, the folder read-only", 0666, 0555, "serve --listen 127.0.0.1:0", 1,
		 "its folder"},
		{"user add, the file read-only", 0444, 0777,
		 "user add --name x --role surveyor --area 14404", 1, "is read-only"},
		{"user add, both writable", 0666, 0777,
		 "user add --name y --role surveyor --area 14404", 0, NULL},
	};
	char dir[512], db[1100], args[2048], err[4096];
	saola__store *s = NULL;
	size_t i;

	(void)state;
	snprintf(dir, sizeof dir, "%s", tu_tmpdir("readonly"));
	snprintf(db, sizeof db, "%s/server.db", dir);
	assert_int_equal(saola__store_sqlite_open(db, SAOLA_TEST_SCHEMAS, 1, &s, err, sizeof err),
	                 SAOLA_OK);
	saola__store_close(s);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc;

		assert_int_equal(chmod(db, cases[i].file), 0);
		assert_int_equal(chmod(dir, cases[i].folder), 0);
		snprintf(args, sizeof args, "%s --db %s", cases[i].args, db);
		rc = run_unprivileged(dir, args, err, sizeof err);
		if (rc != cases[i].exit || (cases[i].says && !strstr(err, cases[i].says)))
			fail_msg("%s: expected exit %d and \"%s\", got %d: %s", cases[i].what,
			         cases[i].exit, cases[i].says ? cases[i].says : "", rc, err);
	}
	chmod(dir, 0700);
	chmod(db, 0600);
	tu_rmtree(dir);
}

/* A database that cannot grow: the sync's 500 says why in SQLite's words
 * (it said "commit: not an error", or named a savepoint), and nothing of
 * the batch is applied; whether the database is full when a change is
 * written (max_page_count), or the disk refuses the WAL's bytes when the
 * batch commits (a file size limit: SQLite calls that an I/O error; a
 * full disk, "database or disk is full", takes the same path). */
static void test_full_database(void **state)
{
	static const struct { const char *way, *says; } ways[] = {
		{"max_page_count", "database or disk is full"},
		{"a file size limit at commit", "commit: disk I/O error"},
	};
	fixture *fx = *state;
	saola__store *s = NULL;
	saola__sync_env env;
	saola__user u;
	saola__err e;
	struct rlimit old, lim;
	json_t *changes, *req, *out = NULL;
	char err[512], id[37], pragma[64], batch[32];
	int found = 0, i, w, rc;
	sqlite3 *sql;

	assert_int_equal(saola__store_sqlite_open(fx->db, NULL, 0, &s, err, sizeof err), SAOLA_OK);
	sql = ((sq_store *)s)->db->sql;
	assert_int_equal(s->ops->user_by_name(s, "alice", &u, &found), SAOLA_OK);
	assert_true(found);
	env.store = s;
	env.write_lock = NULL;
	for (w = 0; w < 2; w++) {
		assert_non_null(changes = json_array());
		for (i = 0; i < 300; i++)
			json_array_append_new(changes, sv_household(fx->gen, "14404", id));
		snprintf(batch, sizeof batch, "full-%d", w);
		req = sv_request(batch, "dev-full", 0, 0, changes);
		if (w == 0) {
			snprintf(pragma, sizeof pragma, "PRAGMA max_page_count = %ld",
			         tu_count(fx->db, "SELECT page_count FROM pragma_page_count") + 4);
			assert_int_equal(sqlite3_exec(sql, pragma, NULL, NULL, NULL), SQLITE_OK);
			rc = saola__sync_run(&env, &u, req, 1, &out, &e);
			assert_int_equal(sqlite3_exec(sql, "PRAGMA max_page_count = 1073741823", NULL,
			                              NULL, NULL), SQLITE_OK);
		} else {
			/* An empty WAL, written from its start; the limit falls inside
			 * a page's bytes, so that the write comes up short, as on a
			 * full disk. */
			assert_int_equal(sqlite3_exec(sql, "PRAGMA wal_autocheckpoint = 0;"
			                              " PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL,
			                              NULL), SQLITE_OK);
			assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
			lim = old;
			lim.rlim_cur = 100000;
			signal(SIGXFSZ, SIG_IGN);
			assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
			rc = saola__sync_run(&env, &u, req, 1, &out, &e);
			assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
			signal(SIGXFSZ, SIG_DFL);
		}
		if (rc != -1 || saola__err_status(&e) != 500 || !strstr(e.message, ways[w].says))
			fail_msg("%s: expected a 500 saying \"%s\", got %d %d: %s", ways[w].way,
			         ways[w].says, rc, rc ? saola__err_status(&e) : 0,
			         rc ? e.message : "(applied)");
		assert_null(out);
		assert_int_equal(tu_count(fx->db, "SELECT count(*) FROM records"), 0);
		assert_int_equal(tu_count(fx->db, "SELECT count(*) FROM batches"), 0);
		json_decref(req);
	}
	saola__store_close(s);
}

/* A pull page is bounded in bytes as well as in records, so that a few
 * huge records cannot make every page of a commune too big to take (issue
 * 11, 5); a page holds at least one record however big. */
static void test_pull_page_bytes(void **state)
{
	fixture *fx = *state;
	json_t *all = json_array(), *changes = json_array(), *page;
	size_t sizes[3] = {0}, i;
	int64_t next = 0;
	int more = 0;
	char id[37];
	sv_resp r;

	for (i = 0; i < 12; i++)
		json_array_append_new(changes, sv_household(fx->gen, "14404", id));
	r = post(fx, ALICE, sv_request("p-1", "dev-p", 0, 0, changes));
	assert_int_equal(r.status, 200);
	sv_resp_free(&r);
	assert_int_equal(fx->st->ops->read_begin(fx->st), SAOLA_OK);
	assert_int_equal(fx->st->ops->pull(fx->st, "14404", NULL, 0, 100, SAOLA__PULL_PAGE_BYTES,
	                                   all, &next, &more), SAOLA_OK);
	assert_int_equal(json_array_size(all), 12);
	for (i = 0; i < 3; i++)
		sizes[i] = json_dumpb(json_array_get(all, i), NULL, 0, JSON_COMPACT) + 1;
	{
		const struct { size_t max_bytes; size_t records; int more; } cases[] = {
			{1, 1, 1},                                   /* one record however big */
			{sizes[0] + sizes[1], 2, 1},
			{sizes[0] + sizes[1] + sizes[2] - 1, 2, 1},
			{sizes[0] + sizes[1] + sizes[2], 3, 1},
			{SAOLA__PULL_PAGE_BYTES, 12, 0},
		};
		for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			assert_non_null(page = json_array());
			assert_int_equal(fx->st->ops->pull(fx->st, "14404", NULL, 0, 100,
			                                   cases[i].max_bytes, page, &next, &more),
			                 SAOLA_OK);
			if (json_array_size(page) != cases[i].records || more != cases[i].more)
				fail_msg("max_bytes %zu: expected %zu records (more %d), got %zu (%d)",
				         cases[i].max_bytes, cases[i].records, cases[i].more,
				         json_array_size(page), more);
			json_decref(page);
		}
	}
	fx->st->ops->end(fx->st, 1);
	json_decref(all);
}

int adversary_trust(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_foreign_origin_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lineage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_cannot_hide, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_import_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pull_bundle_signed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upstream_copy, setup, teardown),
		cmocka_unit_test(test_readonly_refused),
		cmocka_unit_test_setup_teardown(test_full_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pull_page_bytes, setup, teardown),
	};
	return cmocka_run_group_tests_name("trust", tests, NULL, NULL);
}
