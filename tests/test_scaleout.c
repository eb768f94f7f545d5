/* test_scaleout.c: the scale-out system test (docs/scale.md): three
 * saola-server processes on one PostgreSQL database, thirty devices of
 * overlapping communes syncing to them round-robin in parallel threads,
 * the same answers edited on two or three devices at once, in each round
 * of pushes one process SIGKILLed in the middle of a batch and started
 * again, and batches sent to the three processes at the same instant.
 * Afterwards every household is stored once, every batch applied once,
 * every device holds what the server holds, and every concurrent value that
 * lost is in the conflict log. Skipped (77) when SAOLA_TEST_PG is unset. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "testutil.h"
#include "pgtest.h"
#include "servertest.h"
#include "synctest.h"
#include "saola/sync.h"

#define N_SERVERS 3
#define N_DEVICES 30
#define N_COMMUNES 3
#define PER_COMMUNE (N_DEVICES / N_COMMUNES)
#define PAIRS (PER_COMMUNE / 2)     /* pairs of devices editing the same records */
#define CONTESTED 2                 /* households each pair edits the same answer of */
#define H_FIRST 30                  /* households per device, first round */
#define H_SECOND 24                 /* ... second round */
/* A process started with it dies at the 20th change of its first batch:
 * every batch of the two rounds of pushes has more. */
#define KILL_AFTER "20"
#define ROUND_S 60                  /* a round's deadline */
/* Batches sent by hand to every server at the same instant, and the
 * households in each (commune REPLAY_COMMUNE) */
#define REPLAYS 6
#define REPLAY_SIZE 10
#define REPLAY_COMMUNE "14404"
#define REPLAY_DEVICE "replaydevice01"

static const char *const communes[N_COMMUNES] = {"14404", "14407", "14410"};

typedef struct world world;

/* A device and its thread's outcome in the current round. */
typedef struct device {
	world *w;
	const char *commune;
	char name[16];          /* its user's */
	char *token;
	saola *db;
	json_t *ids;            /* the households made here */
	int64_t queued;         /* changes queued over every round: what its
	                         * stored batches must have accepted */
	int rc;
	char err[512];
	long syncs, failovers, retries;
} device;

/* A concurrent edit: two or three devices set one answer of one
 * household; all but one of the values must lose. */
typedef struct contest {
	const char *id;
	int n;
	char v[3][64];          /* the values */
} contest;

struct world {
	char dir[512];
	const char *uri;
	pthread_mutex_t lock;
	st_server *srv[N_SERVERS];
	int port[N_SERVERS];
	device dev[N_DEVICES];
	contest contests[N_COMMUNES * (PAIRS * CONTESTED + 1)];
	int ncontests;
	int losers;             /* values that must lose: sum of n - 1 */
	unsigned next;          /* round-robin: the server of the next sync */
	const char *merged[N_COMMUNES * PAIRS];  /* two answers edited apart */
	char merged_a[N_COMMUNES * PAIRS][64], merged_b[N_COMMUNES * PAIRS][64];
	/* the batches sent to every server at once */
	char *replay_token;
	json_t *replay_ids;
	int replay_applied[REPLAYS];     /* answers "applied" (not duplicate) */
	int replay_ok[REPLAYS];          /* answers 200 with every change accepted */
	/* the round's victim, watched by a thread */
	int victim;
	int victim_status;
	int died;               /* 1 once it ended (not yet reaped, maybe) */
	int restarted;          /* 1: started again; -1: it would not start */
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int64_t queued(saola *db)
{
	int64_t n = -1;

	assert_int_equal(saola_outbox_count(db, &n), SAOLA_OK);
	return n;
}

/* ------------------------------------------------------------------ */
/* Servers                                                             */

static void spawn(world *w, int k, const char *const *env)
{
	w->srv[k] = st_server_spawn(w->uri, w->port[k], env);
	if (!w->srv[k])
		fail_msg("server %d did not start", k);
	w->port[k] = st_server_port(w->srv[k]);
}

/* Waits for the victim to die (its kill hook), then starts it again on
 * its port, without the hook. */
static void *watch(void *arg)
{
	world *w = arg;
	int k = w->victim;
	st_server *s;
	siginfo_t si;

	/* Waited for without reaping it first, so that its pid stays its own
	 * while the main thread may still signal it (round_all). */
	while (waitid(P_PID, (id_t)st_server_pid(w->srv[k]), &si, WEXITED | WNOWAIT) != 0 &&
	       errno == EINTR)
		;
	pthread_mutex_lock(&w->lock);
	w->died = 1;
	pthread_mutex_unlock(&w->lock);
	w->victim_status = st_server_wait(w->srv[k]);
	s = st_server_spawn(w->uri, w->port[k], NULL);
	pthread_mutex_lock(&w->lock);
	st_server_stop(w->srv[k]);
	w->srv[k] = s;
	w->restarted = s ? 1 : -1;
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Devices syncing                                                     */

/* Syncs the device with servers taken round-robin (as a proxy in front
 * would: one turn for every device), to the next one when a server does
 * not answer, until its queue is empty or the deadline. No
 * cmocka here: the thread's outcome goes in d->rc and d->err. */
static void *sync_round(void *arg)
{
	device *d = arg;
	world *w = d->w;
	double deadline = now_s() + ROUND_S;
	saola_sync_opts o;
	saola_sync_stats st;
	char url[64];
	int64_t left;

	d->rc = SAOLA_OK;
	d->err[0] = '\0';
	for (;;) {
		pthread_mutex_lock(&w->lock);
		snprintf(url, sizeof url, "http://127.0.0.1:%d", w->port[w->next++ % N_SERVERS]);
		pthread_mutex_unlock(&w->lock);
		memset(&o, 0, sizeof o);
		o.server = url;
		o.max_attempts = 2;
		memset(&st, 0, sizeof st);
		d->rc = saola_sync(d->db, &o, &st);
		d->syncs++;
		d->retries += st.retries;
		if (d->rc == SAOLA_OK) {
			if (saola_outbox_count(d->db, &left) != SAOLA_OK || left != 0) {
				snprintf(d->err, sizeof d->err, "synced, and %lld changes still queued",
				         (long long)left);
				d->rc = SAOLA_ERROR;
			}
			return NULL;
		}
		if (d->rc != SAOLA_NETWORK || now_s() > deadline) {
			snprintf(d->err, sizeof d->err, "sync with %s: %s", url, saola_errmsg(d->db));
			return NULL;
		}
		d->failovers++;
	}
}

/* Every device syncs once, all at the same time; with victim >= 0 that
 * server carries the kill hook: it dies in a batch and is started again. */
static void round_all(world *w, int victim, const char *what)
{
	const char *kill_env[] = {"SAOLA_TEST_KILL_AFTER_CHANGES=" KILL_AFTER, NULL};
	pthread_t t[N_DEVICES], watcher;
	long syncs = 0, failovers = 0, retries = 0;
	double t0 = now_s();
	int i;

	if (victim >= 0) {
		/* between rounds nothing is in flight: stopped and started with
		 * the hook on its own port */
		st_server_stop(w->srv[victim]);
		w->srv[victim] = NULL;
		spawn(w, victim, kill_env);
		w->victim = victim, w->victim_status = 0, w->died = 0, w->restarted = 0;
		assert_int_equal(pthread_create(&watcher, NULL, watch, w), 0);
	}
	for (i = 0; i < N_DEVICES; i++) {
		w->dev[i].queued += queued(w->dev[i].db);
		assert_int_equal(pthread_create(&t[i], NULL, sync_round, &w->dev[i]), 0);
	}
	for (i = 0; i < N_DEVICES; i++)
		pthread_join(t[i], NULL);
	if (victim >= 0) {
		/* a victim still alive was never sent a batch: stopped, so that
		 * the watcher ends, and the test fails below */
		pthread_mutex_lock(&w->lock);
		if (!w->died)
			kill(st_server_pid(w->srv[victim]), SIGTERM);
		pthread_mutex_unlock(&w->lock);
		pthread_join(watcher, NULL);
	}
	for (i = 0; i < N_DEVICES; i++) {
		device *d = &w->dev[i];
		if (d->rc != SAOLA_OK)
			fail_msg("%s: device %s: %s", what, d->name, d->err);
		assert_int_equal(queued(d->db), 0);
		syncs += d->syncs, failovers += d->failovers, retries += d->retries;
		d->syncs = d->failovers = d->retries = 0;
	}
	fprintf(stderr, "%s: %.1f s, %ld syncs, %ld moved to another server, %ld retries\n",
	        what, now_s() - t0, syncs, failovers, retries);
	if (victim >= 0) {
		if (!WIFSIGNALED(w->victim_status) || WTERMSIG(w->victim_status) != SIGKILL)
			fail_msg("%s: server %d was not killed by its hook (status %#x)", what, victim,
			         (unsigned)w->victim_status);
		assert_int_equal(w->restarted, 1);
		/* the batch in flight when it died was felt: its device retried
		 * (the server may be back by its second attempt) or moved on */
		assert_true(failovers + retries > 0);
	}
}

/* ------------------------------------------------------------------ */
/* One batch to every server at once                                   */

typedef struct replay_job {
	world *w;
	int server;
	const char *body;
	pthread_barrier_t *go;
	long status;
	int duplicate;
	json_int_t accepted;
} replay_job;

static void *replay_send(void *arg)
{
	replay_job *j = arg;
	char url[64];
	sv_resp r;

	snprintf(url, sizeof url, "http://127.0.0.1:%d", j->w->port[j->server]);
	pthread_barrier_wait(j->go);
	r = sv_http(url, "POST", "/v1/sync", j->w->replay_token, NULL, j->body, strlen(j->body), 0);
	j->status = r.status;
	j->duplicate = json_is_true(json_object_get(r.json, "duplicate"));
	j->accepted = sv_jint(r.json, "accepted");
	sv_resp_free(&r);
	return NULL;
}

/* REPLAYS times, one batch of new households sent by one device to the
 * three servers at the same instant (as a device resends to another
 * process a batch whose answer it lost): one process applies it, the
 * others wait for its transaction and answer it as a duplicate. Runs in
 * a thread of its own, beside the devices; the outcomes go in w. */
static void *replays(void *arg)
{
	world *w = arg;
	saola_gen *g = saola_gen_new(9000);
	pthread_barrier_t go;
	replay_job jobs[N_SERVERS];
	pthread_t t[N_SERVERS];
	char batch[32], id[37], *body;
	json_t *changes, *req;
	int n, k;

	for (n = 0; n < REPLAYS && g; n++) {
		changes = json_array();
		for (k = 0; k < REPLAY_SIZE; k++) {
			json_array_append_new(changes, sv_household(g, REPLAY_COMMUNE, id));
			json_array_append_new(w->replay_ids, json_string(id));
		}
		snprintf(batch, sizeof batch, "replay-%d", n);
		req = sv_request(batch, REPLAY_DEVICE, 0, 0, changes);
		body = json_dumps(req, JSON_COMPACT);
		json_decref(req);
		if (!body)
			break;
		pthread_barrier_init(&go, NULL, N_SERVERS);
		for (k = 0; k < N_SERVERS; k++) {
			memset(&jobs[k], 0, sizeof jobs[k]);
			jobs[k].w = w, jobs[k].server = k, jobs[k].body = body, jobs[k].go = &go;
			pthread_create(&t[k], NULL, replay_send, &jobs[k]);
		}
		w->replay_ok[n] = 1;
		for (k = 0; k < N_SERVERS; k++) {
			pthread_join(t[k], NULL);
			w->replay_ok[n] &= jobs[k].status == 200 && jobs[k].accepted == REPLAY_SIZE;
			w->replay_applied[n] += jobs[k].status == 200 && !jobs[k].duplicate;
		}
		pthread_barrier_destroy(&go);
		free(body);
	}
	saola_gen_free(g);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Reading the PostgreSQL database                                     */

/* Runs sql with up to two text parameters (NULL: none) on s; the first
 * column of its first row as text (a new string, free()), or NULL. */
static char *q_text(saola__store *s, const char *sql, const char *p1, const char *p2)
{
	saola__dbstmt *st = NULL;
	char *out = NULL;
	const char *v;

	if (saola__db_prepare(saola__store_db(s), sql, &st) != SAOLA_OK)
		fail_msg("%s: %s", sql, saola__db_errmsg(saola__store_db(s)));
	if (p1)
		saola__db_bind_text(st, 1, p1, -1);
	if (p2)
		saola__db_bind_text(st, 2, p2, -1);
	if (saola__db_step(st) == SAOLA__DB_ROW && (v = saola__db_column_text(st, 0)))
		out = strdup(v);
	saola__db_finalize(st);
	return out;
}

/* The same, as a number (a count); fails the test when there is none. */
static long q_long(saola__store *s, const char *sql, const char *p1, const char *p2)
{
	char *v = q_text(s, sql, p1, p2);
	long n;

	if (!v)
		fail_msg("%s: no answer", sql);
	n = atol(v);
	free(v);
	return n;
}

/* Every record the server holds, as its pull sends them: {id: record}. */
static json_t *server_records(saola__store *s)
{
	json_t *records = json_array(), *by_id = json_object(), *r;
	int64_t next = 0;
	int more = 0;
	size_t i;

	assert_int_equal(s->ops->read_begin(s), SAOLA_OK);
	if (s->ops->pull(s, NULL, NULL, 0, 1000000, (size_t)1 << 30, records, &next, &more) !=
	    SAOLA_OK)
		fail_msg("server pull: %s", s->ops->errmsg(s));
	s->ops->end(s, 1);
	assert_false(more);
	json_array_foreach(records, i, r)
		json_object_set(by_id, json_string_value(json_object_get(r, "r")), r);
	assert_int_equal(json_object_size(by_id), json_array_size(records));
	json_decref(records);
	return by_id;
}

/* ------------------------------------------------------------------ */
/* The story                                                           */

static int setup(void **state)
{
	world *w = calloc(1, sizeof *w);
	char out[4096], err[4096];
	int i, rc;

	pgt_require();
	assert_non_null(w);
	pthread_mutex_init(&w->lock, NULL);
	snprintf(w->dir, sizeof w->dir, "%s", tu_tmpdir("scaleout"));
	w->uri = pgt_uri_for("scaleout");
	assert_non_null(w->uri);
	/* the forms, loaded once; then the users */
	rc = tu_runf(out, sizeof out, err, sizeof err, "'%s' forms load --db '%s' --schemas '%s'",
	             st_server_bin(), w->uri, SAOLA_TEST_SCHEMAS);
	if (rc != 0)
		fail_msg("forms load: exit %d: %s", rc, err);
	for (i = 0; i < N_DEVICES; i++) {
		device *d = &w->dev[i];
		d->w = w;
		d->commune = communes[i % N_COMMUNES];
		snprintf(d->name, sizeof d->name, "surveyor%02d", i);
		d->token = st_user_add(w->uri, d->name, "surveyor", d->commune);
		d->ids = json_array();
	}
	w->replay_token = st_user_add(w->uri, "replayer", "surveyor", REPLAY_COMMUNE);
	w->replay_ids = json_array();
	for (i = 0; i < N_SERVERS; i++)
		spawn(w, i, NULL);
	for (i = 0; i < N_DEVICES; i++) {
		device *d = &w->dev[i];
		char file[32];
		snprintf(file, sizeof file, "%s.db", d->name);
		d->db = st_device(tu_path(w->dir, file), "http://127.0.0.1:1", d->token);
	}
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	world *w = *state;
	int i;

	for (i = 0; i < N_SERVERS; i++)
		st_server_stop(w->srv[i]);
	for (i = 0; i < N_DEVICES; i++) {
		saola_close(w->dev[i].db);
		free(w->dev[i].token);
		json_decref(w->dev[i].ids);
	}
	free(w->replay_token);
	json_decref(w->replay_ids);
	tu_rmtree(w->dir);
	pthread_mutex_destroy(&w->lock);
	free(w);
	return 0;
}

/* The devices of commune c, in index order, into out (PER_COMMUNE). */
static void commune_devices(world *w, int c, device **out)
{
	int i, n = 0;

	for (i = 0; i < N_DEVICES; i++)
		if (w->dev[i].commune == communes[c])
			out[n++] = &w->dev[i];
	assert_int_equal(n, PER_COMMUNE);
}

static void put_answer(saola *db, const char *id, const char *field, const char *value)
{
	json_t *v = json_pack("{s:s}", field, value);

	if (saola_put(db, "household", id, v, NULL) != SAOLA_OK)
		fail_msg("put %s of %s: %s", field, id, saola_errmsg(db));
	json_decref(v);
}

/* Renames the head of household id on db: member 1's name, which the
 * household form computes head_name from. */
static void put_head(saola *db, const char *id, const char *value)
{
	json_t *v = st_head_edit(db, id, value);

	if (saola_put(db, "household", id, v, NULL) != SAOLA_OK)
		fail_msg("put the head's name of %s: %s", id, saola_errmsg(db));
	json_decref(v);
}

/* A contest of the head's name of household id between the n devices
 * ds, with values made of prefix and the device's name. */
static void contest_add(world *w, const char *id, device **ds, int n, const char *prefix)
{
	contest *x = &w->contests[w->ncontests++];
	int i;

	x->id = id;
	x->n = n;
	for (i = 0; i < n; i++) {
		snprintf(x->v[i], sizeof x->v[i], "%s %s", prefix, ds[i]->name);
		put_head(ds[i]->db, id, x->v[i]);
	}
	w->losers += n - 1;
}

/* Offline, in each commune, pairs of devices edit households a third
 * device made: the head's name of CONTESTED of them on both devices (one
 * value must lose), and of one more the head's name on one device and the
 * village on the other (both stand); and three devices the head's name of
 * one more household (two values must lose). */
static void concurrent_edits(world *w)
{
	device *in[PER_COMMUNE];
	int c, p, k;

	for (c = 0; c < N_COMMUNES; c++) {
		commune_devices(w, c, in);
		for (p = 0; p < PAIRS; p++) {
			device *a = in[2 * p], *b = in[2 * p + 1], *maker = in[(2 * p + 2) % PER_COMMUNE];
			int m = c * PAIRS + p;
			for (k = 0; k < CONTESTED; k++) {
				device *ab[2] = {a, b};
				contest_add(w, json_string_value(json_array_get(maker->ids, (size_t)k)), ab, 2,
				            k ? "Trần Thị Bình" : "Nguyễn Văn An");
			}
			w->merged[m] = json_string_value(json_array_get(maker->ids, CONTESTED));
			snprintf(w->merged_a[m], sizeof w->merged_a[m], "Lê Văn Cường %s", a->name);
			snprintf(w->merged_b[m], sizeof w->merged_b[m], "Thôn Đông %s", b->name);
			put_head(a->db, w->merged[m], w->merged_a[m]);
			put_answer(b->db, w->merged[m], "village", w->merged_b[m]);
		}
		{
			/* not made by, nor edited beside, any of the three */
			device *three[3] = {in[1], in[4], in[7]};
			contest_add(w, json_string_value(json_array_get(in[9]->ids, 0)), three, 3,
			            "Phạm Văn Dũng");
		}
	}
}

static const char *answer(json_t *rec, const char *field)
{
	return json_string_value(json_object_get(json_object_get(rec, "d"), field));
}

/* The head's name of a record on the wire (member 1's: head_name is
 * computed, never sent), and its path into buf. */
static const char *head_of(json_t *rec, char *path, size_t len)
{
	json_t *m = json_array_get(json_object_get(json_object_get(rec, "d"), "members"), 0);

	snprintf(path, len, "members.%s.name", json_string_value(json_object_get(m, "_id")));
	return json_string_value(json_object_get(m, "name"));
}

/* Every household made on a device is stored once; the change sequence
 * numbers each record once. */
static void check_records(world *w, saola__store *s, json_t *server)
{
	long total = 0;
	json_t *v;
	size_t k;
	int i;

	for (i = 0; i < N_DEVICES; i++) {
		json_array_foreach(w->dev[i].ids, k, v)
			if (!json_object_get(server, json_string_value(v)))
				fail_msg("household %s of %s is not on the server", json_string_value(v),
				         w->dev[i].name);
		total += (long)json_array_size(w->dev[i].ids);
	}
	json_array_foreach(w->replay_ids, k, v)
		if (!json_object_get(server, json_string_value(v)))
			fail_msg("household %s sent by hand is not on the server", json_string_value(v));
	total += (long)json_array_size(w->replay_ids);
	assert_int_equal(total, (long)N_DEVICES * (H_FIRST + H_SECOND) + REPLAYS * REPLAY_SIZE);
	assert_int_equal(json_object_size(server), total);
	assert_int_equal(q_long(s, "SELECT count(*) FROM records", NULL, NULL), total);
	assert_int_equal(q_long(s, "SELECT count(DISTINCT id) FROM records", NULL, NULL), total);
	assert_int_equal(q_long(s, "SELECT count(DISTINCT seq) FROM records WHERE seq > 0",
	                        NULL, NULL), total);
}

/* Every batch stored once, and they accepted exactly the changes each
 * device queued; every audit row belongs to a stored batch, once. */
static void check_batches(world *w, saola__store *s, long edit_rows)
{
	long total = 0, records = (long)N_DEVICES * (H_FIRST + H_SECOND) + REPLAYS * REPLAY_SIZE;
	int i;

	for (i = 0; i < N_DEVICES; i++) {
		device *d = &w->dev[i];
		long got = q_long(s, "SELECT coalesce(sum(b.accepted), 0) FROM batches b"
		                  " JOIN users u ON u.id = b.user_id WHERE u.name = ?", d->name, NULL);
		if (got != d->queued)
			fail_msg("%s: its batches accepted %ld changes; it queued %lld", d->name, got,
			         (long long)d->queued);
		total += got;
	}
	/* the batches sent to every server at once: each stored once */
	assert_int_equal(q_long(s, "SELECT count(*) FROM batches b JOIN users u ON u.id ="
	                        " b.user_id WHERE u.name = 'replayer'", NULL, NULL), REPLAYS);
	assert_int_equal(q_long(s, "SELECT coalesce(sum(b.accepted), 0) FROM batches b JOIN users u"
	                        " ON u.id = b.user_id WHERE u.name = 'replayer'", NULL, NULL),
	                 REPLAYS * REPLAY_SIZE);
	total += REPLAYS * REPLAY_SIZE;
	assert_int_equal(q_long(s, "SELECT count(*) FROM (SELECT user_id, batch FROM batches"
	                        " GROUP BY user_id, batch HAVING count(*) > 1) x", NULL, NULL), 0);
	assert_int_equal(q_long(s, "SELECT coalesce(sum(accepted), 0) FROM batches", NULL, NULL),
	                 total);
	/* one creation row per record; no row twice for one batch */
	assert_int_equal(q_long(s, "SELECT count(*) FROM audit WHERE path IS NULL", NULL, NULL),
	                 records);
	assert_int_equal(q_long(s, "SELECT count(DISTINCT record_id) FROM audit WHERE path IS NULL",
	                        NULL, NULL), records);
	assert_int_equal(q_long(s, "SELECT count(*) FROM (SELECT 1 FROM audit GROUP BY record_id,"
	                        " coalesce(path, ''), user_id, batch HAVING count(*) > 1) x",
	                        NULL, NULL), 0);
	assert_int_equal(q_long(s, "SELECT count(*) FROM audit a WHERE NOT EXISTS (SELECT 1"
	                        " FROM batches b WHERE b.user_id = a.user_id AND b.batch = a.batch)",
	                        NULL, NULL), 0);
	assert_int_equal(q_long(s, "SELECT count(*) FROM audit WHERE path IS NOT NULL", NULL, NULL),
	                 edit_rows);
}

/* The conflict log's text of a string value. New string: free(). */
static char *logged(const char *value)
{
	json_t *v = json_string(value);
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	json_decref(v);
	assert_non_null(text);
	return text;
}

/* Each contested answer: every value but the one the record keeps lost
 * once, logged with its record and path; the answers edited apart both
 * stand. Returns the audit rows the edits must have made. */
static long check_conflicts(world *w, saola__store *s, json_t *server)
{
	long rows = 0;
	int i, k;

	assert_int_equal(q_long(s, "SELECT count(*) FROM conflicts", NULL, NULL), w->losers);
	assert_int_equal(q_long(s, "SELECT coalesce(sum(conflicts), 0) FROM batches", NULL, NULL),
	                 w->losers);
	for (i = 0; i < w->ncontests; i++) {
		contest *x = &w->contests[i];
		char head[128];
		const char *kept = head_of(json_object_get(server, x->id), head, sizeof head);
		int kept_is_one = 0;
		long stored_lost;

		assert_non_null(kept);
		assert_int_equal(q_long(s, "SELECT count(*) FROM conflicts WHERE record_id = ? AND"
		                        " path = ?", x->id, head), x->n - 1);
		for (k = 0; k < x->n; k++) {
			char *text = logged(x->v[k]);
			long lost = q_long(s, "SELECT count(*) FROM conflicts WHERE record_id = ? AND"
			                   " lost_value = ?", x->id, text);
			free(text);
			if (strcmp(kept, x->v[k]) == 0) {
				kept_is_one = 1;
				assert_int_equal(lost, 0);
			} else if (lost != 1) {
				fail_msg("record %s: \"%s\" lost %ld times in the log; expected once", x->id,
				         x->v[k], lost);
			}
		}
		if (!kept_is_one)
			fail_msg("record %s keeps \"%s\", none of the values sent", x->id, kept);
		/* the first edit to arrive changed the record; a later one only
		 * when it won over the stored value */
		stored_lost = q_long(s, "SELECT coalesce(sum(stored_lost), 0) FROM conflicts WHERE"
		                     " record_id = ?", x->id, NULL);
		assert_int_equal(q_long(s, "SELECT count(*) FROM audit WHERE record_id = ? AND"
		                        " path = ?", x->id, head), 1 + stored_lost);
		rows += 1 + stored_lost;
	}
	for (i = 0; i < N_COMMUNES * PAIRS; i++) {
		json_t *rec = json_object_get(server, w->merged[i]);
		char head[128];
		assert_string_equal(head_of(rec, head, sizeof head), w->merged_a[i]);
		assert_string_equal(answer(rec, "village"), w->merged_b[i]);
		assert_int_equal(q_long(s, "SELECT count(*) FROM conflicts WHERE record_id = ?",
		                        w->merged[i], NULL), 0);
		assert_int_equal(q_long(s, "SELECT count(*) FROM audit WHERE record_id = ? AND"
		                        " path IS NOT NULL", w->merged[i], NULL), 2);
		rows += 2;
	}
	return rows;
}

/* After the last pull every device holds exactly its commune's records,
 * each as the server holds it. */
static void check_devices(world *w, json_t *server)
{
	const char *id;
	json_t *rec;
	int i;

	for (i = 0; i < N_DEVICES; i++) {
		device *d = &w->dev[i];
		json_t *held = st_record_ids(d->db), *want = json_array();
		size_t k;
		json_object_foreach(server, id, rec)
			if (strcmp(answer(rec, "commune"), d->commune) == 0)
				json_array_append_new(want, json_string(id));
		if (json_array_size(held) != json_array_size(want))
			fail_msg("%s holds %zu records; its commune has %zu on the server", d->name,
			         json_array_size(held), json_array_size(want));
		json_array_foreach(held, k, rec) {
			const char *rid = json_string_value(rec);
			json_t *srec = json_object_get(server, rid);
			if (!srec || strcmp(answer(srec, "commune"), d->commune) != 0)
				fail_msg("%s holds %s, not one of its commune's on the server", d->name, rid);
			if (!st_same_as_wire(d->db, rid, srec))
				fail_msg("%s: record %s differs from the server's (SAOLA_TEST_VERBOSE=1"
				         " shows both)", d->name, rid);
		}
		json_decref(held);
		json_decref(want);
	}
}

static void test_scaleout(void **state)
{
	world *w = *state;
	saola__store *s;
	json_t *server;
	pthread_t replayer;
	long edit_rows;
	int i;

	/* 1: every device makes its households; server 2 dies in a batch */
	for (i = 0; i < N_DEVICES; i++)
		st_put_households(w->dev[i].db, 7000 + (uint64_t)i, w->dev[i].commune, H_FIRST,
		                  w->dev[i].ids);
	round_all(w, 2, "first pushes");
	/* every device pulls its commune's households (pushes all done),
	 * while batches are sent to every server at once */
	assert_int_equal(pthread_create(&replayer, NULL, replays, w), 0);
	round_all(w, -1, "first pulls");
	pthread_join(replayer, NULL);
	for (i = 0; i < REPLAYS; i++) {
		if (!w->replay_ok[i])
			fail_msg("batch replay-%d: not every server answered 200 with every change", i);
		if (w->replay_applied[i] != 1)
			fail_msg("batch replay-%d: applied by %d servers, duplicate for the others:"
			         " expected 1", i, w->replay_applied[i]);
	}
	/* 2: new households, and the same records edited on two devices;
	 * server 1 dies in a batch */
	concurrent_edits(w);
	for (i = 0; i < N_DEVICES; i++)
		st_put_households(w->dev[i].db, 8000 + (uint64_t)i, w->dev[i].commune, H_SECOND,
		                  w->dev[i].ids);
	round_all(w, 1, "second pushes");
	round_all(w, -1, "last pulls");

	s = sv_store(w->uri);
	server = server_records(s);
	check_records(w, s, server);
	edit_rows = check_conflicts(w, s, server);
	check_batches(w, s, edit_rows);
	check_devices(w, server);
	fprintf(stderr, "%zu records, %ld batches, %d values lost in %d concurrent edits\n",
	        json_object_size(server), q_long(s, "SELECT count(*) FROM batches", NULL, NULL),
	        w->losers, w->ncontests);
	json_decref(server);
	saola__store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scaleout, setup, teardown),
	};

	pgt_require();
	setenv("SAOLA_SYNC_BACKOFF_MS", "5", 1);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
