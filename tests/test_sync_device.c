/* test_sync_device.c: the sync client as a device's build has it, against a
 * saola-server process: in a cross-build the client runs under qemu and the
 * server is a native one ($SAOLA_TEST_SERVER, synctest.h); elsewhere the
 * build's own. Enrolment, pushes and pulls by area, batches encoded ahead,
 * a conflict, cuts of the link, refusals and bundles. test_sync and
 * test_sync_faults go further with a server in the test's own process. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "cutproxy.h"
#include "synctest.h"
#include "saola/sync.h"

/* Communes 14404 and 14383 are in district 372 of province 37, 14464 in
 * district 373. */
static const char *const communes[3] = {"14404", "14383", "14464"};

typedef struct fixture {
	char dir[512];
	char srvdb[1024];
	char url[64];
	st_server *srv;
	char *tok[3];          /* surveyors of communes[i] */
	char *mate;            /* a second surveyor of communes[0] */
	char *district;        /* a district user of 372 */
	char *province;        /* a province user of 37 */
} fixture;

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	char name[32];
	int i;

	assert_non_null(fx);
	snprintf(fx->dir, sizeof fx->dir, "%s", tu_tmpdir("syncdev"));
	snprintf(fx->srvdb, sizeof fx->srvdb, "%s", tu_path(fx->dir, "server.db"));
	fx->srv = st_server_spawn(fx->srvdb, 0, NULL);
	if (!fx->srv)
		fail_msg("%s did not start", st_server_bin());
	snprintf(fx->url, sizeof fx->url, "http://127.0.0.1:%d", st_server_port(fx->srv));
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof name, "surveyor%d", i);
		fx->tok[i] = st_user_add(fx->srvdb, name, "surveyor", communes[i]);
	}
	fx->mate = st_user_add(fx->srvdb, "mate", "surveyor", communes[0]);
	/* officers' devices above the commune are replicas: they need the
	 * permission "personal" (docs/security.md) */
	fx->district = st_user_add_allow(fx->srvdb, "district372", "district", "372", "personal");
	fx->province = st_user_add_allow(fx->srvdb, "province37", "province", "37", "personal");
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	int i;

	st_server_stop(fx->srv);
	for (i = 0; i < 3; i++)
		free(fx->tok[i]);
	free(fx->mate);
	free(fx->district);
	free(fx->province);
	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

static void sync_ok(saola *db, const saola_sync_opts *o, saola_sync_stats *st)
{
	if (saola_sync(db, o, st) != SAOLA_OK)
		fail_msg("sync: %s", saola_errmsg(db));
}

static int64_t queued(saola *db)
{
	int64_t n = -1;

	assert_int_equal(saola_outbox_count(db, &n), SAOLA_OK);
	return n;
}

static json_t *sorted_copy(json_t *ids)
{
	size_t n = json_array_size(ids), i, j;
	json_t *out = json_copy(ids);

	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(json_string_value(json_array_get(out, j - 1)),
		                            json_string_value(json_array_get(out, j))) > 0; j--) {
			json_t *t = json_incref(json_array_get(out, j));
			json_array_set(out, j, json_array_get(out, j - 1));
			json_array_set_new(out, j - 1, t);
		}
	return out;
}

/* db holds exactly the records ids, each as src holds it (src may be NULL:
 * the ids only). */
static void assert_holds(saola *db, json_t *ids, saola *src)
{
	json_t *got = st_record_ids(db), *want = sorted_copy(ids), *v;
	size_t i;

	assert_int_equal(json_array_size(got), json_array_size(want));
	json_array_foreach(want, i, v) {
		assert_string_equal(json_string_value(json_array_get(got, i)), json_string_value(v));
		if (src && !st_same_record(db, src, json_string_value(v)))
			fail_msg("record %s differs", json_string_value(v));
	}
	json_decref(got);
	json_decref(want);
}

/* A device enrolled with the server: its forms fetched from it. */
static saola *enrolled(fixture *fx, const char *name, const char *token)
{
	saola *db = NULL;

	assert_int_equal(saola_open(tu_path(fx->dir, name), SAOLA_OPEN_CREATE, &db), SAOLA_OK);
	if (saola_enrol(db, fx->url, token, NULL) != SAOLA_OK)
		fail_msg("enrol: %s", saola_errmsg(db));
	return db;
}

/* Households collected offline on three enrolled devices, then synced
 * (several batches for the first): the province's replica gets every one
 * as its device made it, the district's its two communes only, each device
 * its own; a second sync moves nothing, and an edit reaches both
 * officers. */
static void test_areas(void **state)
{
	fixture *fx = *state;
	static const int counts[3] = {300, 120, 80};
	saola *dev[3], *prov, *dist;
	json_t *ids[3], *all = json_array(), *dist_ids = json_array();
	saola_sync_opts o;
	saola_sync_stats st;
	size_t k;
	json_t *v;
	int i;

	memset(&o, 0, sizeof o);
	for (i = 0; i < 3; i++) {
		char name[32];
		snprintf(name, sizeof name, "device%d.db", i);
		dev[i] = enrolled(fx, name, fx->tok[i]);
		ids[i] = json_array();
		st_put_households(dev[i], 100 + (uint64_t)i, communes[i], counts[i], ids[i]);
		json_array_extend(all, ids[i]);
		if (i < 2)
			json_array_extend(dist_ids, ids[i]);
	}
	o.batch = 100;
	sync_ok(dev[0], &o, &st);
	assert_int_equal(st.requests, 3);
	assert_int_equal(st.records_up, 300);
	o.batch = 0;
	for (i = 1; i < 3; i++) {
		sync_ok(dev[i], &o, &st);
		assert_int_equal(st.records_up, counts[i]);
		assert_int_equal(st.records_down, 0);
		assert_true(st.bytes_up > 0 && st.bytes_down > 0);
	}
	for (i = 0; i < 3; i++)
		assert_int_equal(queued(dev[i]), 0);
	/* the province pulls in pages of 200 */
	prov = enrolled(fx, "province.db", fx->province);
	o.batch = 200;
	sync_ok(prov, &o, &st);
	o.batch = 0;
	assert_int_equal(st.records_down, 500);
	assert_true(st.requests >= 3);
	for (i = 0; i < 3; i++)
		json_array_foreach(ids[i], k, v)
			if (!st_same_record(prov, dev[i], json_string_value(v)))
				fail_msg("record %s differs between the province and device %d",
				         json_string_value(v), i);
	assert_holds(prov, all, NULL);
	dist = enrolled(fx, "district.db", fx->district);
	sync_ok(dist, &o, &st);
	assert_holds(dist, dist_ids, NULL);
	for (i = 0; i < 3; i++) {
		sync_ok(dev[i], &o, &st);
		assert_int_equal(st.records_up, 0);
		assert_int_equal(st.records_down, 0);
		assert_int_equal(st.requests, 1);
		assert_holds(dev[i], ids[i], NULL);
	}
	/* an edit on one device reaches the province and the district */
	{
		json_t *d = json_pack("{s:s}", "village", "Thôn Đông");
		const char *id = json_string_value(json_array_get(ids[1], 7));
		assert_int_equal(saola_put(dev[1], "household", id, d, NULL), SAOLA_OK);
		json_decref(d);
		sync_ok(dev[1], &o, &st);
		assert_int_equal(st.records_up, 1);
		sync_ok(prov, &o, &st);
		assert_int_equal(st.records_down, 1);
		sync_ok(dist, &o, &st);
		assert_int_equal(st.records_down, 1);
		assert_true(st_same_record(prov, dev[1], id));
		assert_true(st_same_record(dist, dev[1], id));
	}
	for (i = 0; i < 3; i++) {
		saola_close(dev[i]);
		json_decref(ids[i]);
	}
	saola_close(prov);
	saola_close(dist);
	json_decref(all);
	json_decref(dist_ids);
}

/* The batch after the one in flight is encoded meanwhile (client_ahead.c):
 * 30 changes in batches of 7 are 5 requests, the last 4 encoded ahead; a
 * fresh device gets the 30 as they were made. */
static void test_batches_ahead(void **state)
{
	fixture *fx = *state;
	saola *x = st_device(tu_path(fx->dir, "ahead.db"), fx->url, fx->tok[1]);
	saola *fresh = st_device(tu_path(fx->dir, "ahead-fresh.db"), fx->url, fx->tok[1]);
	json_t *ids = json_array();
	saola_sync_opts o;
	saola_sync_stats st;

	memset(&o, 0, sizeof o);
	o.batch = 7;
	st_put_households(x, 61, communes[1], 30, ids);
	sync_ok(x, &o, &st);
	assert_int_equal(st.requests, 5);
	assert_int_equal(st.batches_ahead, 4);
	assert_int_equal(queued(x), 0);
	sync_ok(fresh, NULL, &st);
	assert_int_equal(st.records_down, 30);
	assert_holds(fresh, ids, x);
	json_decref(ids);
	saola_close(x);
	saola_close(fresh);
}

/* Two surveyors of a commune correct the same answer offline; once
 * both have synced twice they hold the same record, and the one whose
 * value lost is told. */
static void test_conflict(void **state)
{
	fixture *fx = *state;
	saola *d1 = st_device(tu_path(fx->dir, "d1.db"), fx->url, fx->tok[0]);
	saola *d2 = st_device(tu_path(fx->dir, "d2.db"), fx->url, fx->mate);
	json_t *ids = json_array(), *v, *status = NULL;
	saola_sync_stats st;
	char id[37];

	st_put_households(d1, 11, communes[0], 1, ids);
	snprintf(id, sizeof id, "%s", json_string_value(json_array_get(ids, 0)));
	sync_ok(d1, NULL, &st);
	sync_ok(d2, NULL, &st);
	assert_int_equal(st.records_down, 1);
	assert_true(st_same_record(d1, d2, id));
	v = json_pack("{s:s}", "village", "Thôn Bãi Cả");
	assert_int_equal(saola_put(d1, "household", id, v, NULL), SAOLA_OK);
	json_decref(v);
	v = json_pack("{s:s}", "village", "Thôn Bãi Cá");
	assert_int_equal(saola_put(d2, "household", id, v, NULL), SAOLA_OK);
	json_decref(v);
	sync_ok(d1, NULL, &st);
	sync_ok(d2, NULL, &st);
	assert_int_equal(st.conflicts, 1);
	sync_ok(d1, NULL, &st);
	assert_true(st_same_record(d1, d2, id));
	assert_int_equal(saola_status(d2, &status), SAOLA_OK);
	assert_string_equal(json_string_value(json_object_get(json_object_get(status, "sync"),
	                                                      "last_conflicted")), "1");
	json_decref(status);
	json_decref(ids);
	saola_close(d1);
	saola_close(d2);
}

/* A push cut by a proxy in its request and in its answer: the client tries
 * again with the same batch, and the server holds each household once. */
static void test_push_cuts(void **state)
{
	fixture *fx = *state;
	tu_cutproxy *px = tu_cutproxy_start(st_server_port(fx->srv), NULL, NULL);
	static const long req_cuts[] = {1, 40, 200, 500, 900};
	static const long resp_cuts[] = {1, 60, 300};
	const int n_req = (int)(sizeof req_cuts / sizeof req_cuts[0]);
	const int n = n_req + (int)(sizeof resp_cuts / sizeof resp_cuts[0]);
	char purl[64];
	saola *dev, *prov;
	json_t *ids = json_array();
	saola_sync_opts o;
	saola_sync_stats st;
	int i, cuts0;

	assert_non_null(px);
	snprintf(purl, sizeof purl, "http://127.0.0.1:%d", tu_cutproxy_port(px));
	dev = st_device(tu_path(fx->dir, "cut.db"), purl, fx->tok[2]);
	memset(&o, 0, sizeof o);
	o.max_attempts = 6;
	/* a round with no cut: the request and the answer are longer than
	 * every cut below */
	st_put_households(dev, 1000, communes[2], 5, ids);
	sync_ok(dev, &o, &st);
	assert_int_equal(st.requests, 1);
	assert_true(st.bytes_up > req_cuts[n_req - 1] && st.bytes_down > resp_cuts[n - n_req - 1]);
	for (i = 0; i < n; i++) {
		int is_req = i < n_req;
		st_put_households(dev, 1001 + (uint64_t)i, communes[2], 5, ids);
		cuts0 = tu_cutproxy_cuts(px);
		if (is_req)
			tu_cutproxy_arm(px, req_cuts[i], -1);
		else
			tu_cutproxy_arm(px, -1, resp_cuts[i - n_req]);
		sync_ok(dev, &o, &st);
		if (getenv("SAOLA_TEST_VERBOSE"))
			fprintf(stderr, "push round %d: cut the %s at %ld; %ld requests, %.2f s\n", i,
			        is_req ? "request" : "answer", is_req ? req_cuts[i] : resp_cuts[i - n_req],
			        st.requests, st.seconds);
		assert_int_equal(tu_cutproxy_cuts(px), cuts0 + 1);
		assert_true(st.retries >= 1);
		assert_int_equal(st.records_up, 5);
		assert_int_equal(queued(dev), 0);
	}
	prov = st_device(tu_path(fx->dir, "prov-cut.db"), fx->url, fx->province);
	sync_ok(prov, NULL, &st);
	assert_int_equal(st.records_down, (long)json_array_size(ids));
	assert_holds(prov, ids, dev);
	json_decref(ids);
	saola_close(prov);
	saola_close(dev);
	tu_cutproxy_stop(px);
}

/* Refusals stop at once with the server's message, and nothing queued is
 * lost; with nothing listening the client gives up after its attempts. */
static void test_refusals(void **state)
{
	fixture *fx = *state;
	saola *dev = st_device(tu_path(fx->dir, "r.db"), fx->url, "not-a-token");
	saola_sync_opts o;
	saola_sync_stats st;

	st_put_households(dev, 41, communes[0], 3, NULL);
	memset(&o, 0, sizeof o);
	assert_int_equal(saola_sync(dev, &o, &st), SAOLA_AUTH);
	assert_int_equal(st.requests, 1);
	assert_non_null(strstr(saola_errmsg(dev), "401"));
	/* records outside the surveyor's commune */
	assert_int_equal(saola_state_set(dev, "token", fx->tok[1]), SAOLA_OK);
	assert_int_equal(saola_sync(dev, &o, &st), SAOLA_AUTH);
	assert_non_null(strstr(saola_errmsg(dev), "403"));
	assert_int_equal(queued(dev), 3);
	o.server = "http://127.0.0.1:9";
	o.max_attempts = 3;
	assert_int_equal(saola_sync(dev, &o, &st), SAOLA_NETWORK);
	assert_int_equal(st.requests, 3);
	assert_non_null(strstr(saola_errmsg(dev), "gave up after 3 attempts"));
	assert_int_equal(queued(dev), 3);
	saola_close(dev);
}

/* Runs `saola-server bundle ARGS`; fails the test unless it exits 0. */
static void server_bundle(const char *args)
{
	char cmd[8192], out[2048], err[2048];
	int rc;

	snprintf(cmd, sizeof cmd, "'%s' bundle %s", st_server_bin(), args);
	rc = tu_run(cmd, out, sizeof out, err, sizeof err);
	if (rc != 0)
		fail_msg("%s: exit %d: %s", cmd, rc, err);
}

/* Sync by file: the device's push bundle imported on the server, the
 * server's pull bundle applied on the device (its queue empties) and on a
 * fresh one (it gets every record); a damaged bundle is refused whole. */
static void test_bundles(void **state)
{
	fixture *fx = *state;
	saola *dev = st_device(tu_path(fx->dir, "b.db"), fx->url, fx->tok[1]);
	saola *fresh = st_device(tu_path(fx->dir, "b-fresh.db"), NULL, NULL);
	char push[1100], pull[1100], args[4096];
	json_t *ids = json_array();
	saola_sync_stats st;
	FILE *f;

	snprintf(push, sizeof push, "%s", tu_path(fx->dir, "push.bundle"));
	snprintf(pull, sizeof pull, "%s", tu_path(fx->dir, "pull.bundle"));
	st_put_households(dev, 21, communes[1], 40, ids);
	assert_int_equal(saola_sync_to_file(dev, push, &st), SAOLA_OK);
	assert_int_equal(st.records_up, 40);
	assert_int_equal(queued(dev), 40);
	snprintf(args, sizeof args, "import --db '%s' --user surveyor1 '%s'", fx->srvdb, push);
	server_bundle(args);
	snprintf(args, sizeof args, "export --db '%s' --user surveyor1 '%s'", fx->srvdb, pull);
	server_bundle(args);
	assert_int_equal(saola_sync_from_file(dev, push, &st), SAOLA_INVALID);
	assert_int_equal(saola_sync_from_file(dev, pull, &st), SAOLA_OK);
	assert_int_equal(st.records_down, 40);
	assert_false(st.unconfirmed);
	assert_int_equal(queued(dev), 0);
	assert_int_equal(saola_sync_from_file(fresh, pull, &st), SAOLA_OK);
	assert_holds(fresh, ids, dev);
	f = fopen(pull, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, -5, SEEK_END), 0);
	fputc('X', f);
	fclose(f);
	assert_int_not_equal(saola_sync_from_file(fresh, pull, &st), SAOLA_OK);
	assert_non_null(strstr(saola_errmsg(fresh), "damaged"));
	json_decref(ids);
	saola_close(dev);
	saola_close(fresh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_areas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batches_ahead, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conflict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_push_cuts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundles, setup, teardown),
	};

	/* a cross-build without a native server to point at */
	if (access(st_server_bin(), X_OK) != 0) {
		fprintf(stderr, "test_sync_device: no saola-server at %s (set SAOLA_TEST_SERVER):"
		        " skipped\n", st_server_bin());
		return 77;
	}
	setenv("SAOLA_SYNC_BACKOFF_MS", "5", 1);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
