/* test_sync_faults.c: the sync client over a link that drops: pushes and
 * pulls cut at many byte offsets by a proxy, and a server killed in the
 * middle of applying a batch; afterwards every record is on the server
 * exactly once and on the devices as expected. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <curl/curl.h>

#include "testutil.h"
#include "pgtest.h"
#include "cutproxy.h"
#include "synctest.h"
#include "saola/sync.h"
#include "saola/server.h"

#define COMMUNE "14404"

typedef struct fixture {
	char dir[512];
	char srvdb[1024];
	char url[64];          /* the server itself */
	char purl[64];         /* through the proxy */
	saola_server *srv;
	st_server *proc;       /* a saola-server process, stopped by teardown */
	tu_cutproxy *px;
	char *surveyor, *province;
} fixture;

/* The cuts of the next connection the proxy accepts. */
static void arm(fixture *fx, long req_cut, long resp_cut)
{
	tu_cutproxy_arm(fx->px, req_cut, resp_cut);
}

static void add_users(fixture *fx)
{
	fx->surveyor = st_user_add(fx->srvdb, "surveyor", "surveyor", COMMUNE);
	/* a replica above the commune: it needs the permission "personal" */
	fx->province = st_user_add_allow(fx->srvdb, "province", "province", "37", "personal");
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	saola_server_opts so;

	assert_non_null(fx);
	snprintf(fx->dir, sizeof fx->dir, "%s", tu_tmpdir("faults"));
	snprintf(fx->srvdb, sizeof fx->srvdb, "%s", pgt_db(tu_path(fx->dir, "server.db")));
	memset(&so, 0, sizeof so);
	so.db_path = fx->srvdb;
	so.listen = "127.0.0.1:0";
	so.schemas = SAOLA_TEST_SCHEMAS;
	if (saola_server_start(&so, &fx->srv) != SAOLA_OK)
		fail_msg("server start: %s", saola_server_errmsg(fx->srv));
	snprintf(fx->url, sizeof fx->url, "http://127.0.0.1:%d", saola_server_port(fx->srv));
	fx->px = tu_cutproxy_start(saola_server_port(fx->srv), NULL, NULL);
	assert_non_null(fx->px);
	snprintf(fx->purl, sizeof fx->purl, "http://127.0.0.1:%d", tu_cutproxy_port(fx->px));
	add_users(fx);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;

	tu_cutproxy_stop(fx->px);
	st_server_stop(fx->proc);
	saola_server_stop(fx->srv);
	free(fx->surveyor);
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

static void sync_or_fail(saola *db, const saola_sync_opts *o, saola_sync_stats *st)
{
	if (saola_sync(db, o, st) != SAOLA_OK)
		fail_msg("sync: %s", saola_errmsg(db));
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

/* db holds exactly the records ids, each as src holds it. */
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

/* What the server holds, seen by a province officer's fresh device. */
static void assert_server_holds(fixture *fx, json_t *ids, saola *src, const char *name)
{
	saola *prov = st_device(tu_path(fx->dir, name), fx->url, fx->province);
	saola_sync_stats st;

	sync_or_fail(prov, NULL, &st);
	assert_int_equal(st.records_down, (long)json_array_size(ids));
	assert_holds(prov, ids, src);
	saola_close(prov);
}

/* Offsets spread over a message of size bytes whose headers take about
 * head bytes: n_head in the headers, the rest in the body. */
static long offset(int i, int n, int n_head, long head, long size)
{
	if (i < n_head)
		return 1 + (head - 2) * i / (n_head - 1);
	return head + (size - 1 - head) * (i - n_head) / (n - n_head - 1);
}

/* A push cut at 24 offsets of the request (headers and body), and at 8 of
 * the answer (the server applied the batch, the device did not hear). */
static void test_push_cuts(void **state)
{
	fixture *fx = *state;
	saola *dev = st_device(tu_path(fx->dir, "push.db"), fx->purl, fx->surveyor);
	json_t *ids = json_array();
	saola_sync_opts o;
	saola_sync_stats st;
	long req_size, resp_size, off;
	int i, cuts0;
	const int n_req = 24, n_resp = 8;

	memset(&o, 0, sizeof o);
	o.max_attempts = 6;
	/* A round with no cut gives the sizes of one request and answer. */
	st_put_households(dev, 1000, COMMUNE, 5, ids);
	sync_or_fail(dev, &o, &st);
	assert_int_equal(st.requests, 1);
	req_size = (long)st.bytes_up;
	resp_size = (long)st.bytes_down;
	assert_true(req_size > 600);
	for (i = 0; i < n_req + n_resp; i++) {
		int is_req = i < n_req;
		/* Each round sends 5 new households (the same size, give or take
		 * a few bytes: offsets stay below the smallest). */
		st_put_households(dev, 1001 + (uint64_t)i, COMMUNE, 5, ids);
		off = is_req ? offset(i, n_req, 10, 260, req_size * 85 / 100)
		             : offset(i - n_req, n_resp, 3, 120, resp_size - 20);
		cuts0 = tu_cutproxy_cuts(fx->px);
		arm(fx, is_req ? off : -1, is_req ? -1 : off);
		sync_or_fail(dev, &o, &st);
		if (getenv("SAOLA_TEST_VERBOSE"))
			fprintf(stderr, "push round %d: cut %s at %ld of %ld; %ld requests, %lld up\n",
			        i, is_req ? "request" : "answer", off, is_req ? req_size : resp_size,
			        st.requests, st.bytes_up);
		assert_int_equal(tu_cutproxy_cuts(fx->px), cuts0 + 1);
		assert_true(st.retries >= 1);
		assert_int_equal(st.records_up, 5);
		assert_int_equal(queued(dev), 0);
	}
	assert_int_equal(json_array_size(ids), 5 * (1 + n_req + n_resp));
	assert_server_holds(fx, ids, dev, "prov-push.db");
	/* The device holds its own and nothing more comes back. */
	sync_or_fail(dev, &o, &st);
	assert_int_equal(st.records_down, 0);
	assert_holds(dev, ids, NULL);
	json_decref(ids);
	saola_close(dev);
}

/* A pull cut at 24 offsets of the answer (headers and body), in one page
 * and in pages of 20: each fresh device ends with every record. */
static void test_pull_cuts(void **state)
{
	fixture *fx = *state;
	saola *src = st_device(tu_path(fx->dir, "src.db"), fx->url, fx->surveyor);
	json_t *ids = json_array();
	saola_sync_opts o;
	saola_sync_stats st;
	long resp_size, paged_size, off;
	int i, cuts0;
	const int n = 24;

	memset(&o, 0, sizeof o);
	o.max_attempts = 6;
	st_put_households(src, 2000, COMMUNE, 60, ids);
	sync_or_fail(src, &o, &st);
	/* Reference pulls: the sizes of the first answer, whole and paged. */
	{
		saola *ref = st_device(tu_path(fx->dir, "ref.db"), fx->purl, fx->surveyor);
		sync_or_fail(ref, &o, &st);
		assert_int_equal(st.requests, 1);
		resp_size = (long)st.bytes_down;
		saola_close(ref);
		ref = st_device(tu_path(fx->dir, "ref2.db"), fx->purl, fx->surveyor);
		o.batch = 20;
		sync_or_fail(ref, &o, &st);
		assert_int_equal(st.records_down, 60);
		paged_size = (long)st.bytes_down / st.requests;
		o.batch = 0;
		saola_close(ref);
	}
	for (i = 0; i < n; i++) {
		char name[32];
		saola *dev;
		int paged = i % 3 == 2;
		snprintf(name, sizeof name, "pull%d.db", i);
		dev = st_device(tu_path(fx->dir, name), fx->purl, fx->surveyor);
		off = offset(i, n, 8, 130, (paged ? paged_size : resp_size) - 40);
		o.batch = paged ? 20 : 0;
		cuts0 = tu_cutproxy_cuts(fx->px);
		arm(fx, -1, off);
		sync_or_fail(dev, &o, &st);
		assert_int_equal(tu_cutproxy_cuts(fx->px), cuts0 + 1);
		assert_true(st.retries >= 1);
		assert_holds(dev, ids, src);
		/* And nothing left to pull. */
		sync_or_fail(dev, &o, &st);
		assert_int_equal(st.records_down, 0);
		saola_close(dev);
	}
	assert_server_holds(fx, ids, src, "prov-pull.db");
	json_decref(ids);
	saola_close(src);
}

/* A link too slow for the batch: the answer never comes, the request
 * times out, and the client cuts the batch smaller under a new id; the
 * server, which applied the first batch, holds each record once. */
static void test_timeout_recut(void **state)
{
	fixture *fx = *state;
	saola *dev = st_device(tu_path(fx->dir, "slow.db"), fx->purl, fx->surveyor);
	json_t *ids = json_array();
	saola_sync_opts o;
	saola_sync_stats st;
	char *batch = NULL;

	st_put_households(dev, 4000, COMMUNE, 300, ids);
	memset(&o, 0, sizeof o);
	/* Long enough that no request but the stalled ones runs out of it on a
	 * loaded machine with the sanitizers (with 1 s, some did). */
	o.timeout_s = 4;
	arm(fx, -1, TU_CUT_STALL);
	/* Giving up after the timeout leaves the batch saved, for a resend. */
	o.max_attempts = 1;
	assert_int_equal(saola_sync(dev, &o, &st), SAOLA_NETWORK);
	assert_non_null(strstr(saola_errmsg(dev), "imed out"));
	assert_int_equal(saola_state_get(dev, "batch", &batch), SAOLA_OK);
	assert_non_null(batch);
	saola_free(batch);
	arm(fx, -1, TU_CUT_STALL);
	o.max_attempts = 0;
	sync_or_fail(dev, &o, &st);
	/* The first request settles the lineage token the saved batch
	 * carried (under it the server takes nothing but that batch again):
	 * a request without changes, which times out here (the armed stall
	 * takes the run's first connection) and goes again; then the saved
	 * batch, all 300 (protocol 2's first batch takes up to 400; protocol
	 * 1's took 250 and left 50 for a fourth request), which the server
	 * applied unheard in the first run: a duplicate, answered, and only
	 * that answer drops the changes. */
	assert_int_equal(st.retries, 1);
	assert_int_equal(st.requests, 3);
	assert_int_equal(st.records_up, 300);
	assert_int_equal(queued(dev), 0);
	assert_server_holds(fx, ids, dev, "prov-slow.db");
	json_decref(ids);
	saola_close(dev);
}

typedef struct sync_job {
	saola *db;
	saola_sync_opts o;
	saola_sync_stats st;
	int rc;
	char err[512];
} sync_job;

static void *run_sync(void *arg)
{
	sync_job *j = arg;

	j->rc = saola_sync(j->db, &j->o, &j->st);
	snprintf(j->err, sizeof j->err, "%s", saola_errmsg(j->db));
	return NULL;
}

/* The server SIGKILLs itself halfway through applying a batch (its test
 * hook), and is started again: first the device gives up and syncs again
 * later; then the device keeps retrying while the server comes back.
 * Either way every record is there exactly once. */
/* Starts a saola-server process on db (env: NULL or extra NAME=VALUE),
 * kept in the fixture so that teardown stops it if the test fails. */
static st_server *spawn(fixture *fx, const char *db, const char *const *env)
{
	st_server_stop(fx->proc);
	fx->proc = st_server_spawn(db, 0, env);
	assert_non_null(fx->proc);
	return fx->proc;
}

static void stop(fixture *fx)
{
	st_server_stop(fx->proc);
	fx->proc = NULL;
}

static void test_server_killed(void **state)
{
	fixture *fx = *state;
	char db[1024], url[64];
	const char *kill_env[] = {"SAOLA_TEST_KILL_AFTER_CHANGES=120", NULL};
	st_server *srv;
	saola *dev;
	json_t *ids = json_array();
	saola_sync_opts o;
	saola_sync_stats st;
	sync_job job;
	pthread_t t;
	int status;

	snprintf(db, sizeof db, "%s", pgt_db(tu_path(fx->dir, "killed.db")));
	/* The server's database, its forms and users, made by a first run. */
	spawn(fx, db, NULL);
	stop(fx);
	free(fx->surveyor);
	free(fx->province);
	snprintf(fx->srvdb, sizeof fx->srvdb, "%s", db);
	add_users(fx);

	/* 1: the sync fails with the server gone; the next one finishes. */
	srv = spawn(fx, db, kill_env);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", st_server_port(srv));
	dev = st_device(tu_path(fx->dir, "k.db"), url, fx->surveyor);
	st_put_households(dev, 3000, COMMUNE, 200, ids);
	memset(&o, 0, sizeof o);
	o.max_attempts = 1;
	assert_int_equal(saola_sync(dev, &o, &st), SAOLA_NETWORK);
	status = st_server_wait(srv);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	stop(fx);
	assert_int_equal(queued(dev), 200);
	srv = spawn(fx, db, NULL);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", st_server_port(srv));
	o.server = url;
	o.max_attempts = 0;
	sync_or_fail(dev, &o, &st);
	assert_int_equal(queued(dev), 0);
	snprintf(fx->url, sizeof fx->url, "%s", url);
	assert_server_holds(fx, ids, dev, "prov-k1.db");
	stop(fx);

	/* 2: the device retries (through a proxy that follows the server to
	 * its new port) while the server dies and is started again. */
	srv = spawn(fx, db, kill_env);
	tu_cutproxy_retarget(fx->px, st_server_port(srv));
	st_put_households(dev, 3001, COMMUNE, 200, ids);
	memset(&job, 0, sizeof job);
	job.db = dev;
	job.o.server = fx->purl;
	job.o.max_attempts = 40;
	assert_int_equal(pthread_create(&t, NULL, run_sync, &job), 0);
	status = st_server_wait(srv);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	stop(fx);
	srv = spawn(fx, db, NULL);
	tu_cutproxy_retarget(fx->px, st_server_port(srv));
	pthread_join(t, NULL);
	if (job.rc != SAOLA_OK)
		fail_msg("sync during the restart: %s", job.err);
	assert_true(job.st.retries >= 1);
	assert_int_equal(queued(dev), 0);
	snprintf(fx->url, sizeof fx->url, "http://127.0.0.1:%d", st_server_port(srv));
	assert_server_holds(fx, ids, dev, "prov-k2.db");
	stop(fx);
	json_decref(ids);
	saola_close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_push_cuts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pull_cuts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_recut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_killed, setup, teardown),
	};

	setenv("SAOLA_SYNC_BACKOFF_MS", "5", 1);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
