/* client.c: test_adversary's client group (see adversary.h): the device
 * side of issue 11. Queues are cleared by confirmation only (no counter,
 * sent by anyone, drops a queued change), the lineage that detects copied
 * databases, re-origin, SQLite's own words for a failed commit, and a page
 * too big for the device. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "testutil.h"
#include "adversary.h"
#include "cutproxy.h"
#include "fullvfs.h"
#include "servertest.h"
#include "synctest.h"
#include "saola/sync.h"
#include "saola/server.h"
#include "saola_int.h"
#include "sha256.h"

#define COMMUNE "14404"

typedef struct fixture {
	char dir[512];
	char srvdb[1024];
	char url[64];          /* the server itself */
	char purl[64];         /* through the cutting proxy */
	saola_server *srv;
	tu_cutproxy *px;
	char *surveyor, *other, *province;
} fixture;

/* The cuts of the next connection the proxy accepts. */
static void arm(fixture *fx, long req_cut, long resp_cut)
{
	tu_cutproxy_arm(fx->px, req_cut, resp_cut);
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);

	assert_non_null(fx);
	snprintf(fx->dir, sizeof fx->dir, "%s", tu_tmpdir("adv-client"));
	snprintf(fx->srvdb, sizeof fx->srvdb, "%s/server.db", fx->dir);
	fx->srv = sv_start(fx->srvdb, 0, fx->url, sizeof fx->url);
	assert_non_null(fx->px = tu_cutproxy_start(saola_server_port(fx->srv), NULL, NULL));
	snprintf(fx->purl, sizeof fx->purl, "http://127.0.0.1:%d", tu_cutproxy_port(fx->px));
	fx->surveyor = st_user_add(fx->srvdb, "surveyor", "surveyor", COMMUNE);
	fx->other = st_user_add(fx->srvdb, "other", "surveyor", COMMUNE);
	fx->province = st_user_add_allow(fx->srvdb, "province", "province", "37", "personal");
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;

	tu_cutproxy_stop(fx->px);
	saola_server_stop(fx->srv);
	free(fx->surveyor);
	free(fx->other);
	free(fx->province);
	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

static int64_t queued(saola *db)
{
	int64_t n = -1;

	assert_int_equal(saola_outbox_count(db, &n), SAOLA_OK);
	return n;
}

/* A sync state value, or "" when unset (static storage, one of 4). */
static const char *state_of(saola *db, const char *key)
{
	static char buf[4][128];
	static int next;
	char *v = NULL, *out = buf[next++ % 4];

	assert_int_equal(saola_state_get(db, key, &v), SAOLA_OK);
	snprintf(out, sizeof buf[0], "%s", v ? v : "");
	saola_free(v);
	return out;
}

/* How many of ids are in got. */
static size_t count_in(const json_t *ids, const json_t *got)
{
	const json_t *v;
	size_t i, j, n = 0;

	json_array_foreach(ids, i, v)
		for (j = 0; j < json_array_size(got); j++)
			if (json_equal(v, json_array_get(got, j)))
				n++;
	return n;
}

/* How many of ids the server holds: what a province replica pulls. */
static size_t server_holds(fixture *fx, const json_t *ids, const char *name)
{
	saola *prov = st_device(tu_path(fx->dir, name), fx->url, fx->province);
	json_t *got;
	size_t n;

	if (saola_sync(prov, NULL, NULL) != SAOLA_OK)
		fail_msg("province sync: %s", saola_errmsg(prov));
	got = st_record_ids(prov);
	n = count_in(ids, got);
	json_decref(got);
	saola_close(prov);
	return n;
}

/* ------------------------------------------------------------------ */
/* Queues cleared by confirmation only                                 */

/* Another surveyor sends the victim's origin (known to the server from
 * the victim's first sync) with a counter near 2^32 (issue 11, finding
 * 1). Whatever the server then says of that origin, the victim's queue
 * empties only by the answers to its own batches: every household reaches
 * the server. */
static void test_forged_counter_over_http(void **state)
{
	fixture *fx = *state;
	saola *victim = st_device(tu_path(fx->dir, "victim.db"), fx->url, fx->surveyor);
	saola_gen *g = saola_gen_new(11);
	json_t *ids = json_array(), *change, *req;
	saola_sync_opts o;
	saola_sync_stats st;
	char id[37];
	sv_resp r;

	st_put_households(victim, 1100, COMMUNE, 1, ids);
	if (saola_sync(victim, NULL, NULL) != SAOLA_OK)
		fail_msg("victim's first sync: %s", saola_errmsg(victim));
	st_put_households(victim, 1101, COMMUNE, 6, ids);
	change = sv_household(g, COMMUNE, id);
	json_object_set_new(json_object_get(change, "vs"), "_", json_integer(4294967290LL));
	req = sv_request("6d1f0a3c-1111-4a2b-9c3d-000000000001", saola_origin(victim), 0, 0,
	                 json_pack("[o]", change));
	{
		char *body = json_dumps(req, JSON_COMPACT);
		/* Accepted by a server that trusts the device id, refused by one
		 * that binds it to its enrolment: either way the victim loses
		 * nothing. */
		r = sv_http(fx->url, "POST", "/v1/sync", fx->other, NULL, body, strlen(body), 0);
		free(body);
		sv_resp_free(&r);
	}
	/* One change per batch: the first answer comes while five wait. */
	memset(&o, 0, sizeof o);
	o.batch = 1;
	if (saola_sync(victim, &o, &st) != SAOLA_OK)
		fail_msg("victim sync: %s", saola_errmsg(victim));
	assert_int_equal(st.records_up, 6);
	assert_int_equal(queued(victim), 0);
	assert_int_equal(server_holds(fx, ids, "prov-forged.db"), 7);
	json_decref(req);
	json_decref(ids);
	saola_gen_free(g);
	saola_close(victim);
}

enum sign { UNSIGNED, SIGNED_OTHER_TOKEN, SIGNED };

/* Writes a pull bundle of payload: the header line with CRC-32 and
 * length, and with sign the HMAC over the gzip bytes keyed with the
 * SHA-256 of token (docs/protocol.md, "Bundles"). */
static void write_pull_bundle(const char *path, const json_t *payload, enum sign sign,
                              const char *token)
{
	char *text = json_dumps(payload, JSON_COMPACT), hex[2 * SAOLA__SHA256_LEN + 1];
	unsigned char *gz, key[SAOLA__SHA256_LEN], mac[SAOLA__SHA256_LEN];
	z_stream z;
	size_t cap;
	FILE *f;

	assert_non_null(text);
	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	cap = deflateBound(&z, strlen(text));
	assert_non_null(gz = malloc(cap));
	z.next_in = (unsigned char *)text;
	z.avail_in = (uInt)strlen(text);
	z.next_out = gz;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	assert_non_null(f = fopen(path, "wb"));
	fprintf(f, "saola-bundle 1 pull %08lx %lu", crc32(0L, gz, (uInt)z.total_out),
	        (unsigned long)z.total_out);
	if (sign != UNSIGNED) {
		const char *t = sign == SIGNED ? token : "a token of someone else";
		saola__sha256(t, strlen(t), key);
		saola__hmac_sha256(key, sizeof key, gz, z.total_out, mac);
		saola__hex(mac, sizeof mac, hex);
		fprintf(f, " %s", hex);
	}
	fputc('\n', f);
	assert_int_equal(fwrite(gz, 1, z.total_out, f), z.total_out);
	assert_int_equal(fclose(f), 0);
	deflateEnd(&z);
	free(gz);
	free(text);
}

/* Pull bundles that claim what the server holds: counters ("acked",
 * "acked_by_device", issue 11's forged bundle) never drop a change; a
 * "confirmed" list does only when the bundle is signed for this device's
 * token and lists its own push bundle's batch under its own origin, and
 * then drops exactly that batch's range. An unsigned bundle's cursor is
 * not kept either (it would hide the records below it). */
static void test_pull_bundle_claims(void **state)
{
	enum { MINE, ANOTHER_ID, ANOTHER_ORIGIN };
	static const struct {
		const char *name;
		const char *extra;     /* more of the payload: %1$s the origin */
		int confirm;           /* -1: no confirmed; else whose id, where */
		enum sign sign;
		int64_t left;          /* of 4 in the push bundle and 2 after it */
		int unconfirmed;
	} cases[] = {
		{"acked_by_device near 2^32", "{\"acked_by_device\": {\"%s\": 4294967295}}", -1,
		 UNSIGNED, 6, 1},
		{"acked_by_device, signed", "{\"acked_by_device\": {\"%s\": 4294967295}}", -1,
		 SIGNED, 6, 0},
		{"acked near 2^32", "{\"acked\": 4294967295, \"device\": \"%s\"}", -1, UNSIGNED, 6, 1},
		{"confirmed, unsigned", "{}", MINE, UNSIGNED, 6, 1},
		{"confirmed, signed under another token", "{}", MINE, SIGNED_OTHER_TOKEN, 6, 1},
		{"confirmed, signed, another batch", "{}", ANOTHER_ID, SIGNED, 6, 0},
		{"confirmed, signed, under another origin", "{}", ANOTHER_ORIGIN, SIGNED, 6, 0},
		{"confirmed, signed, this batch", "{}", MINE, SIGNED, 2, 0},
	};
	fixture *fx = *state;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char name[64], path[1024], extra[256], batch[37];
		const char *token = "tok-adversary-client";
		saola *dev;
		json_t *payload, *confirmed;
		saola_sync_stats st;

		snprintf(name, sizeof name, "claims-%zu.db", i);
		dev = st_device(tu_path(fx->dir, name), "http://127.0.0.1:9", token);
		st_put_households(dev, 200 + i, COMMUNE, 4, NULL);
		snprintf(path, sizeof path, "%s", tu_path(fx->dir, "push.bundle"));
		assert_int_equal(saola_sync_to_file(dev, path, &st), SAOLA_OK);
		snprintf(batch, sizeof batch, "%.36s", state_of(dev, "bundle_batch"));
		st_put_households(dev, 300 + i, COMMUNE, 2, NULL);
		assert_int_equal(queued(dev), 6);

		snprintf(extra, sizeof extra, cases[i].extra, saola_origin(dev));
		payload = tu_json(extra);
		json_object_set_new(payload, "protocol", json_integer(1));
		json_object_set_new(payload, "cursor", json_integer(999999));
		json_object_set_new(payload, "records", json_array());
		if (cases[i].confirm >= 0) {
			assert_non_null(confirmed = json_object());
			json_object_set_new(confirmed, cases[i].confirm == ANOTHER_ORIGIN
			                    ? "0123456789abcdef" : saola_origin(dev),
			                    json_pack("[s]", cases[i].confirm == ANOTHER_ID
			                              ? "6d1f0a3c-2222-4a2b-9c3d-000000000002" : batch));
			json_object_set_new(payload, "confirmed", confirmed);
		}
		snprintf(path, sizeof path, "%s", tu_path(fx->dir, "pull.bundle"));
		write_pull_bundle(path, payload, cases[i].sign, token);
		if (saola_sync_from_file(dev, path, &st) != SAOLA_OK)
			fail_msg("%s: %s", cases[i].name, saola_errmsg(dev));
		if (queued(dev) != cases[i].left)
			fail_msg("%s: %lld changes left, expected %lld", cases[i].name,
			         (long long)queued(dev), (long long)cases[i].left);
		assert_int_equal(st.unconfirmed, cases[i].unconfirmed);
		/* Only a bundle signed for this device moves its pull cursor. */
		assert_string_equal(state_of(dev, "cursor"),
		                    cases[i].sign == SIGNED ? "999999" : "");
		if (cases[i].unconfirmed)
			assert_non_null(strstr(st.note, "not signed for this device's token: queued "
			                       "changes kept"));
		if (cases[i].left == 2) {
			/* The two left are the two made after the bundle. */
			json_t *ob = NULL;
			assert_int_equal(saola_outbox_read(dev, 0, 0, &ob), SAOLA_OK);
			assert_int_equal(json_array_size(ob), 2);
			assert_true(json_integer_value(json_object_get(json_array_get(ob, 0), "seq")) > 4);
			json_decref(ob);
		}
		json_decref(payload);
		saola_close(dev);
	}
}

/* ------------------------------------------------------------------ */
/* Re-origin                                                           */

/* The version of path in record id's stored versions (a new reference). */
static json_t *version_of(saola *db, const char *id, const char *path)
{
	sqlite3_stmt *st = NULL;
	json_t *vs = NULL, *v;

	assert_int_equal(sqlite3_prepare_v2(db->sql, "SELECT versions FROM records WHERE id = ?1",
	                                    -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	vs = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
	sqlite3_finalize(st);
	assert_non_null(vs);
	v = json_incref(json_object_get(vs, path) ? json_object_get(vs, path)
	                                          : json_object_get(vs, "_"));
	json_decref(vs);
	return v;
}

/* A database with synced records and queued changes: after a re-origin
 * the origin is new, every queued version carries it (same counters),
 * the record versions equal to them too, versions the server holds keep
 * the old origin, and the queue is as long as before. */
static void test_reorigin(void **state)
{
	fixture *fx = *state;
	saola *db = st_device(tu_path(fx->dir, "reorigin.db"), fx->url, fx->surveyor);
	json_t *ids = json_array(), *before = NULL, *after = NULL, *patch, *v0, *v1, *e;
	char old[SAOLA__ORIGIN_LEN + 1], was[SAOLA__ORIGIN_LEN + 1], rid[37], head[128];
	const char *synced;
	int64_t n0;
	size_t i;

	/* Two households synced (the server holds them: their queue entries
	 * are gone), then an edit of one and a new one, queued. */
	st_put_households(db, 71, COMMUNE, 2, ids);
	if (saola_sync(db, NULL, NULL) != SAOLA_OK)
		fail_msg("sync: %s", saola_errmsg(db));
	assert_int_equal(queued(db), 0);
	synced = json_string_value(json_array_get(ids, 0));
	patch = st_head_edit(db, synced, "Nguyen Van Moi");  /* member 1's name */
	st_head_path(db, synced, head, sizeof head);
	assert_int_equal(saola_put(db, "household", synced, patch, rid), SAOLA_OK);
	json_decref(patch);
	st_put_households(db, 72, COMMUNE, 1, ids);
	assert_int_equal(saola_state_set(db, "batch", "6d1f0a3c-3333-4a2b-9c3d-000000000003 9"),
	                 SAOLA_OK);
	assert_int_equal(saola_state_set(db, "lineage", "0123456789abcdef0123456789abcdef"),
	                 SAOLA_OK);
	n0 = queued(db);
	assert_true(n0 >= 2);
	assert_int_equal(saola_outbox_read(db, 0, 0, &before), SAOLA_OK);
	v0 = version_of(db, synced, "members");
	snprintf(was, sizeof was, "%s", saola_origin(db));

	assert_int_equal(saola__reorigin(db, old), SAOLA_OK);
	assert_string_equal(old, was);
	assert_string_not_equal(saola_origin(db), was);
	assert_int_equal(strlen(saola_origin(db)), SAOLA__ORIGIN_LEN);
	assert_int_equal(queued(db), n0);
	assert_int_equal(saola_outbox_read(db, 0, 0, &after), SAOLA_OK);
	json_array_foreach(after, i, e) {
		json_t *ver = json_object_get(e, "version");
		assert_string_equal(json_string_value(json_array_get(ver, 1)), saola_origin(db));
		assert_true(json_equal(json_array_get(ver, 0),
		            json_array_get(json_object_get(json_array_get(before, i), "version"), 0)));
		/* The record says what the queue sends: its own paths edited
		 * by this entry carry the new version. */
		if (strcmp(json_string_value(json_object_get(e, "record")), synced) == 0) {
			json_t *hv = version_of(db, synced, head);
			assert_true(json_equal(hv, ver));
			json_decref(hv);
		}
	}
	/* What the server holds keeps its origin. */
	v1 = version_of(db, synced, "members");
	assert_true(json_equal(v0, v1));
	assert_string_equal(json_string_value(json_array_get(v1, 1)), was);
	/* Said to a server under the old origin: forgotten. */
	assert_string_equal(state_of(db, "batch"), "");
	assert_string_equal(state_of(db, "lineage"), "");
	/* And it survives a reopening. */
	saola_close(db);
	db = tu_open(tu_path(fx->dir, "reorigin.db"), 1);
	assert_string_not_equal(saola_origin(db), was);
	assert_int_equal(queued(db), n0);
	json_decref(v0);
	json_decref(v1);
	json_decref(before);
	json_decref(after);
	json_decref(ids);
	saola_close(db);
}

/* A device id belongs to one enrolment: enrolling again with the same
 * server and token keeps the origin; another token or another server URL
 * gives the database an origin of its own, with every queued change, and
 * `saola status` shows it. */
static void test_enrol_again(void **state)
{
	enum { SAME, OTHER_TOKEN, OTHER_SERVER };
	static const struct {
		const char *name;
		int how;
		int new_origin;
	} cases[] = {
		{"the same server and token", SAME, 0},
		{"another token", OTHER_TOKEN, 1},
		{"another server URL", OTHER_SERVER, 1},
	};
	fixture *fx = *state;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char name[64], path[1024], was[SAOLA__ORIGIN_LEN + 1], out[4096];
		saola *db;
		int64_t n0;

		snprintf(name, sizeof name, "enrol-%zu.db", i);
		snprintf(path, sizeof path, "%s", tu_path(fx->dir, name));
		db = tu_open(path, 1);
		if (saola_enrol(db, fx->url, fx->surveyor, NULL) != SAOLA_OK)
			fail_msg("enrol: %s", saola_errmsg(db));
		st_put_households(db, 400 + i, COMMUNE, 3, NULL);
		assert_int_equal(saola_state_set(db, "cursor", "7"), SAOLA_OK);
		n0 = queued(db);
		snprintf(was, sizeof was, "%s", saola_origin(db));
		if (saola_enrol(db, cases[i].how == OTHER_SERVER ? fx->purl : fx->url,
		                cases[i].how == OTHER_TOKEN ? fx->other : fx->surveyor,
		                NULL) != SAOLA_OK)
			fail_msg("%s: enrol again: %s", cases[i].name, saola_errmsg(db));
		if ((strcmp(saola_origin(db), was) != 0) != cases[i].new_origin)
			fail_msg("%s: origin %s, was %s", cases[i].name, saola_origin(db), was);
		assert_int_equal(queued(db), n0);
		assert_int_equal(strstr(state_of(db, "reorigined"), was) != NULL,
		                 cases[i].new_origin);
		/* A new enrolment pulls from the start. */
		assert_int_equal(state_of(db, "cursor")[0] == '\0', cases[i].new_origin);
		saola_close(db);
		assert_int_equal(tu_runf(out, sizeof out, NULL, 0, "'%s' status --db '%s'",
		                         tu_bin("saola"), path), 0);
		assert_int_equal(strstr(out, "re-origin:") != NULL, cases[i].new_origin);
	}
}

/* ------------------------------------------------------------------ */
/* The lineage                                                         */

static int is_token(const char *v)
{
	return strlen(v) == 32 && strspn(v, "0123456789abcdef") == 32;
}

/* The proposed lineage token is saved before the request that carries it
 * leaves, kept through cut answers and refusals (every resend carries
 * it), and becomes the accepted one only with a 200. */
static void test_lineage_saved_and_rotated(void **state)
{
	fixture *fx = *state;
	saola *dev = st_device(tu_path(fx->dir, "lineage.db"), fx->purl, fx->surveyor);
	saola_sync_opts o;
	saola_sync_stats st;
	char first[40], sql[200];
	int i;

	st_put_households(dev, 81, COMMUNE, 3, NULL);
	assert_string_equal(state_of(dev, "lineage"), "");
	assert_string_equal(state_of(dev, "lineage_next"), "");
	memset(&o, 0, sizeof o);
	o.max_attempts = 1;
	/* Answers cut twice: the server applied the batch, the device heard
	 * nothing. */
	for (i = 0; i < 2; i++) {
		arm(fx, -1, 10);
		assert_int_equal(saola_sync(dev, &o, NULL), SAOLA_NETWORK);
		if (i == 0)
			snprintf(first, sizeof first, "%s", state_of(dev, "lineage_next"));
		assert_true(is_token(first));
		assert_string_equal(state_of(dev, "lineage_next"), first);
		assert_string_equal(state_of(dev, "lineage"), "");
	}
	/* saola status warns against copying the database now. */
	{
		char out[4096], err[1024];
		assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "%s status --db '%s'",
		                         SAOLA_TEST_BINDIR "/cli/saola",
		                         tu_path(fx->dir, "lineage.db")), 0);
		assert_non_null(strstr(out, "unfinished: the last sync was cut"));
	}
	/* Refused (a wrong token): nothing was accepted either. */
	o.token = "not-a-token";
	assert_int_equal(saola_sync(dev, &o, NULL), SAOLA_AUTH);
	assert_string_equal(state_of(dev, "lineage_next"), first);
	assert_string_equal(state_of(dev, "lineage"), "");
	/* A 200: the pending token is settled first by a request without
	 * changes (the server may hold it, and takes under it nothing but that
	 * batch again), then the batch goes under a new one; the server keeps
	 * the device's last. */
	o.token = NULL;
	o.max_attempts = 0;
	if (saola_sync(dev, &o, &st) != SAOLA_OK)
		fail_msg("sync: %s", saola_errmsg(dev));
	assert_int_equal(st.requests, 2);
	assert_int_equal(queued(dev), 0);
	assert_true(is_token(state_of(dev, "lineage")));
	assert_string_not_equal(state_of(dev, "lineage"), first);
	assert_string_equal(state_of(dev, "lineage_next"), "");
	snprintf(sql, sizeof sql, "SELECT count(*) FROM devices WHERE lineage = '%s'",
	         state_of(dev, "lineage"));
	assert_int_equal(tu_count(fx->srvdb, sql), 1);
	{
		char out[4096], err[1024];
		assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "%s status --db '%s'",
		                         SAOLA_TEST_BINDIR "/cli/saola",
		                         tu_path(fx->dir, "lineage.db")), 0);
		assert_null(strstr(out, "unfinished"));
	}
	/* The next request proposes a new one (a pull only). */
	snprintf(first, sizeof first, "%s", state_of(dev, "lineage"));
	if (saola_sync(dev, &o, NULL) != SAOLA_OK)
		fail_msg("sync: %s", saola_errmsg(dev));
	assert_true(is_token(state_of(dev, "lineage")));
	assert_string_not_equal(state_of(dev, "lineage"), first);
	assert_string_equal(state_of(dev, "lineage_next"), "");
	saola_close(dev);
}

/* An IT officer prepares one tablet and copies its database to another:
 * both sync. The second is told it is a copy, takes an origin of its own
 * and syncs again in the same run; the server holds every household of
 * both, and each device then holds both's. */
static void test_copied_database(void **state)
{
	fixture *fx = *state;
	char a_path[1024], b_path[1024], cmd[2200], was[SAOLA__ORIGIN_LEN + 1];
	json_t *ids = json_array();
	saola_sync_stats st;
	saola *a, *b;

	snprintf(a_path, sizeof a_path, "%s", tu_path(fx->dir, "tablet-a.db"));
	snprintf(b_path, sizeof b_path, "%s", tu_path(fx->dir, "tablet-b.db"));
	a = st_device(a_path, fx->url, fx->surveyor);
	st_put_households(a, 91, COMMUNE, 3, ids);
	if (saola_sync(a, NULL, NULL) != SAOLA_OK)
		fail_msg("first sync: %s", saola_errmsg(a));
	saola_close(a);
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", a_path, b_path);
	assert_int_equal(tu_run(cmd, NULL, 0, NULL, 0), 0);
	a = tu_open(a_path, 1);
	b = tu_open(b_path, 1);
	snprintf(was, sizeof was, "%s", saola_origin(b));
	st_put_households(a, 92, COMMUNE, 4, ids);
	st_put_households(b, 93, COMMUNE, 5, ids);
	if (saola_sync(a, NULL, &st) != SAOLA_OK)
		fail_msg("a: %s", saola_errmsg(a));
	assert_false(st.reorigined);
	if (saola_sync(b, NULL, &st) != SAOLA_OK)
		fail_msg("b: %s", saola_errmsg(b));
	assert_true(st.reorigined);
	assert_non_null(strstr(st.note, "this database is a copy of another device's"));
	assert_non_null(strstr(st.note, was));
	assert_string_not_equal(saola_origin(b), was);
	assert_non_null(strstr(state_of(b, "reorigined"), was));
	assert_int_equal(queued(a), 0);
	assert_int_equal(queued(b), 0);
	assert_int_equal(server_holds(fx, ids, "prov-copies.db"), 12);
	/* Both keep syncing, each under its own origin. */
	assert_int_equal(saola_sync(a, NULL, &st), SAOLA_OK);
	assert_int_equal(saola_sync(b, NULL, &st), SAOLA_OK);
	assert_false(st.reorigined);
	{
		/* Each holds both's households (and the commune's others). */
		json_t *ga = st_record_ids(a), *gb = st_record_ids(b);
		assert_int_equal(count_in(ids, ga), 12);
		assert_true(json_equal(ga, gb));
		json_decref(ga);
		json_decref(gb);
	}
	json_decref(ids);
	saola_close(a);
	saola_close(b);
}

/* A copy made while a sync's answer was lost holds the same pending
 * lineage token as the original. Before, whichever copy came first passed
 * its new changes for the resend, and so, at the same token, did the
 * other: two edits of one answer at the same version [c, origin], one of
 * them lost without a trace. Now changes under a pending token wait for a
 * probe without changes, and the server takes under that token only the
 * batch that moved it: the second copy is told, takes an origin of its
 * own, and its value loses (or wins) by version, logged. */
static void test_copied_while_unanswered(void **state)
{
	fixture *fx = *state;
	char a_path[1024], b_path[1024], cmd[2200], sql[512], id[37], head[128];
	json_t *ids = json_array(), *rec = NULL;
	saola_sync_stats st;
	saola *a, *b;

	snprintf(a_path, sizeof a_path, "%s", tu_path(fx->dir, "unanswered-a.db"));
	snprintf(b_path, sizeof b_path, "%s", tu_path(fx->dir, "unanswered-b.db"));
	a = st_device(a_path, fx->purl, fx->surveyor);
	st_put_households(a, 95, COMMUNE, 2, ids);
	snprintf(id, sizeof id, "%s", json_string_value(json_array_get(ids, 0)));
	if (saola_sync(a, NULL, NULL) != SAOLA_OK)
		fail_msg("first sync: %s", saola_errmsg(a));
	/* A pull whose answer is cut: the server moved the lineage, the
	 * tablet does not know. Then the database is copied. */
	{
		saola_sync_opts o;
		memset(&o, 0, sizeof o);
		o.max_attempts = 1;
		arm(fx, -1, 10);
		assert_int_equal(saola_sync(a, &o, NULL), SAOLA_NETWORK);
	}
	assert_true(is_token(state_of(a, "lineage_next")));
	saola_close(a);
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", a_path, b_path);
	assert_int_equal(tu_run(cmd, NULL, 0, NULL, 0), 0);
	a = tu_open(a_path, 1);
	b = tu_open(b_path, 1);
	/* Both edit the same answer (the head's name: member 1's): the same
	 * counter, the same origin. */
	st_head_path(a, id, head, sizeof head);
	{
		json_t *an = st_head_edit(a, id, "Nguyễn Văn An");
		json_t *binh = st_head_edit(b, id, "Trần Thị Bình");
		assert_int_equal(saola_put(a, "household", id, an, NULL), SAOLA_OK);
		assert_int_equal(saola_put(b, "household", id, binh, NULL), SAOLA_OK);
		json_decref(an);
		json_decref(binh);
	}
	if (saola_sync(b, NULL, &st) != SAOLA_OK)
		fail_msg("b: %s", saola_errmsg(b));
	assert_false(st.reorigined);
	if (saola_sync(a, NULL, &st) != SAOLA_OK)
		fail_msg("a: %s", saola_errmsg(a));
	assert_true(st.reorigined);
	assert_int_equal(queued(a), 0);
	assert_int_equal(queued(b), 0);
	/* Neither name is lost: one stands, the other is in the conflict log. */
	snprintf(sql, sizeof sql, "SELECT count(*) FROM conflicts WHERE record_id = '%s' AND"
	         " path = '%s' AND lost_value IN ('\"Nguyễn Văn An\"', '\"Trần Thị Bình\"')",
	         id, head);
	assert_int_equal(tu_count(fx->srvdb, sql), 1);
	/* And both tablets end with the one that stands. */
	assert_int_equal(saola_sync(a, NULL, NULL), SAOLA_OK);
	assert_int_equal(saola_sync(b, NULL, NULL), SAOLA_OK);
	assert_int_equal(saola_get(a, id, &rec), SAOLA_OK);
	{
		json_t *rb = NULL;
		assert_int_equal(saola_get(b, id, &rb), SAOLA_OK);
		assert_true(json_equal(json_object_get(json_object_get(rec, "data"), "head_name"),
		                       json_object_get(json_object_get(rb, "data"), "head_name")));
		json_decref(rb);
	}
	json_decref(rec);
	json_decref(ids);
	saola_close(a);
	saola_close(b);
}

/* ------------------------------------------------------------------ */
/* A commit that fails says why                                        */

static int put_one(saola *db)
{
	saola_gen *g = saola_gen_new(5);
	saola_gen_opts o;
	json_t *h;
	char id[37];
	int rc;

	memset(&o, 0, sizeof o);
	o.commune = COMMUNE;
	assert_non_null(g);
	assert_non_null(h = saola_gen_household(g, &o));
	rc = saola_put(db, "household", NULL, h, id);
	json_decref(h);
	saola_gen_free(g);
	return rc;
}

static int commit_put(saola *db)
{
	int rc = saola_begin(db);

	if (rc == SAOLA_OK && (rc = put_one(db)) == SAOLA_OK)
		return saola_commit(db);
	if (db->in_txn)
		saola_rollback(db);
	return rc;
}

static int commit_state(saola *db)
{
	return saola_state_set(db, "cursor", "42");
}

static int commit_ack(saola *db)
{
	return saola_outbox_ack(db, INT64_MAX);
}

/* The disk fills up just before a commit: each path that commits reports
 * SQLite's own words, not "not an error", and nothing is half-written. */
static void test_commit_error_says_why(void **state)
{
	static const struct {
		const char *name;
		int (*before)(saola *db);   /* on a disk with room; may be NULL */
		int (*write)(saola *db);
	} cases[] = {
		{"saola_commit", NULL, commit_put},
		{"a write in its own transaction (saola_put)", NULL, put_one},
		{"a state value in its own transaction", NULL, commit_state},
		{"acknowledging the queue", put_one, commit_ack},
	};
	fixture *fx = *state;
	size_t i;

	(void)fx;
	tu_fullvfs_install();
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char name[64];
		saola *db;
		int64_t n0;
		int rc;

		snprintf(name, sizeof name, "full-%zu.db", i);
		db = tu_open(tu_path(fx->dir, name), 1);
		if (cases[i].before)
			assert_int_equal(cases[i].before(db), SAOLA_OK);
		n0 = queued(db);
		tu_fullvfs_set(1);
		rc = cases[i].write(db);
		tu_fullvfs_set(0);
		if (rc == SAOLA_OK)
			fail_msg("%s: succeeded on a full disk", cases[i].name);
		if (!strstr(saola_errmsg(db), "database or disk is full"))
			fail_msg("%s: \"%s\" does not say the disk is full", cases[i].name,
			         saola_errmsg(db));
		assert_null(strstr(saola_errmsg(db), "not an error"));
		assert_false(db->in_txn);
		assert_int_equal(queued(db), n0);
		/* Once there is room again, the same write goes through. */
		assert_int_equal(cases[i].write(db), SAOLA_OK);
		saola_close(db);
	}
	tu_fullvfs_remove();
}

/* ------------------------------------------------------------------ */
/* A page too big for the device                                       */

/* With the device's body limit (SAOLA_SYNC_BODY_LIMIT, a test hook) made
 * small, a page of the area's records is too big: the client halves
 * pull_limit and carries on; when one record alone is too big it stops
 * and says so. */
static void test_page_too_big(void **state)
{
	static const struct {
		const char *limit;
		int rc;
		const char *says;
	} cases[] = {
		{"12000", SAOLA_OK, NULL},
		{"700", SAOLA_LIMIT, "even a page of one record is too big"},
	};
	fixture *fx = *state;
	saola *src = st_device(tu_path(fx->dir, "big-src.db"), fx->url, fx->other);
	json_t *ids = json_array();
	size_t i;

	st_put_households(src, 111, COMMUNE, 40, ids);
	if (saola_sync(src, NULL, NULL) != SAOLA_OK)
		fail_msg("sync: %s", saola_errmsg(src));
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char name[64];
		saola *dev;
		saola_sync_stats st;
		int rc;

		snprintf(name, sizeof name, "big-%zu.db", i);
		dev = st_device(tu_path(fx->dir, name), fx->url, fx->province);
		setenv("SAOLA_SYNC_BODY_LIMIT", cases[i].limit, 1);
		rc = saola_sync(dev, NULL, &st);
		unsetenv("SAOLA_SYNC_BODY_LIMIT");
		if (rc != cases[i].rc)
			fail_msg("limit %s: %s (%d)", cases[i].limit, saola_errmsg(dev), rc);
		if (rc == SAOLA_OK) {
			json_t *got = st_record_ids(dev);
			assert_int_equal(count_in(ids, got), 40);
			assert_true(st.retries > 0);
			json_decref(got);
		} else {
			assert_non_null(strstr(saola_errmsg(dev), cases[i].says));
		}
		saola_close(dev);
	}
	json_decref(ids);
	saola_close(src);
}

int adversary_client(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forged_counter_over_http),
		cmocka_unit_test(test_pull_bundle_claims),
		cmocka_unit_test(test_reorigin),
		cmocka_unit_test(test_enrol_again),
		cmocka_unit_test(test_lineage_saved_and_rotated),
		cmocka_unit_test(test_copied_database),
		cmocka_unit_test(test_copied_while_unanswered),
		cmocka_unit_test(test_commit_error_says_why),
		cmocka_unit_test(test_page_too_big),
	};
	return cmocka_run_group_tests_name("client", tests, setup, teardown);
}
