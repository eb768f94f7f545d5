/* test_chaos.c: issue 11's chaos test, run as an operator would, with the
 * saola and saola-server commands. Twenty devices of ten communes collect
 * 500 generated households each and edit households between syncs; device
 * 20 starts as a copy of device 19's database (enrolled, households
 * queued, never synced), as an IT officer copies a prepared tablet; the
 * server is SIGKILLed 3 times while devices sync and started again on its
 * database; one device is SIGKILLed twice mid-sync and resumed. At the end,
 * after full syncs: every household is on the server exactly once, every
 * queue is empty, and each device holds its commune's records as the server
 * does, value for value and version for version. The data and the schedule
 * come from one seed: SAOLA_CHAOS_SEED=N replays a run. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "areacheck.h"
#include "cutproxy.h"
#include "synctest.h"
#include "gen.h"

extern char **environ;

#define DEFAULT_SEED 11ULL
#define N_DEVICES 20
#define N_ROUNDS 5
#define PRE_COPY 50        /* households device 19 queues before it is copied */
#define COPY_SRC 18        /* device 19 (messages number devices from 1) */
#define COPY_DST 19        /* device 20, the copy */
#define EDITS 10           /* households a device edits before each sync */
#define PARALLEL 6         /* devices syncing at once */
#define SERVER_KILLS 3
#define DEVICE_KILLS 2
#define VICTIM_BATCH "20"  /* the killed device's batches: several in a sync */
#define ROUND_LIMIT_S 240  /* the bound of a round of syncs */
#define FINAL_PASSES 8
#define POLL_NS 20000000L /* 20 ms: a batch takes longer */

/* Households a device collects in each round (500 in all): most before
 * the first sync, as in the field, so that a queue takes several batches. */
static const int round_size[N_ROUNDS] = {200, 100, 100, 50, 50};

/* Devices 2k+1 and 2k+2 are surveyors of commune k: each pulls what the
 * other collects. Devices 19 and 20, the copies, share one user. */
static const char *const communes[N_DEVICES / 2] = {
	"14383", "14404", "14464", "14467", "14375",
	"14377", "14386", "14389", "14470", "14473",
};

typedef struct device {
	char db[700], log[700], origin[64];
	const char *commune;
	const char *token;     /* its user's token (the copies share one) */
	saola_gen *gen;        /* the households it collects */
	json_t *made;          /* the household_ids of those it made */
	pid_t pid;             /* its sync running, else 0 */
	int failed;            /* syncs that failed during the chaos (retried later) */
} device;

typedef struct chaos {
	unsigned long long seed;
	char dir[512], srvdb[700], url[64];
	st_server *srv;
	tu_cutproxy *px;       /* the address devices know: it follows the server */
	saola_gen *rng;        /* the schedule */
	char *tokens[N_DEVICES];
	device dev[N_DEVICES];
	int victim;            /* the device killed mid-sync */
	int kill_server[N_ROUNDS], kill_device[N_ROUNDS];
	int server_kills, device_kills;
	long files;
} chaos;

static chaos *cx; /* the run, for the seed in a failure */

#define CHECK(cond, ...)                                                          \
	do {                                                                      \
		if (!(cond)) {                                                    \
			fprintf(stderr, "chaos test: seed %llu failed: replay with "  \
			        "SAOLA_CHAOS_SEED=%llu\n", cx->seed, cx->seed);       \
			fail_msg(__VA_ARGS__);                                    \
		}                                                                 \
	} while (0)

static int below(chaos *c, int n)
{
	return (int)saola_gen_below(c->rng, (uint64_t)n);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_poll(void)
{
	struct timespec ts = {0, POLL_NS};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ------------------------------------------------------------------ */
/* The server, behind a proxy that keeps its address across restarts   */

static void server_start(chaos *c)
{
	c->srv = st_server_spawn(c->srvdb, 0, NULL);
	CHECK(c->srv, "saola-server did not start on %s (after %d kills)", c->srvdb,
	      c->server_kills);
	if (c->px) {
		tu_cutproxy_retarget(c->px, st_server_port(c->srv));
		return;
	}
	c->px = tu_cutproxy_start(st_server_port(c->srv), NULL, NULL);
	CHECK(c->px, "the proxy did not start");
	snprintf(c->url, sizeof c->url, "http://127.0.0.1:%d", tu_cutproxy_port(c->px));
}

static void server_kill(chaos *c, int round)
{
	int status;

	kill(st_server_pid(c->srv), SIGKILL);
	status = st_server_wait(c->srv);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "round %d: the server ended by itself (status %d) before it was killed", round + 1,
	      status);
	st_server_stop(c->srv);
	c->srv = NULL;
	c->server_kills++;
	server_start(c);
}

/* Batches the server holds (of one device's origin; NULL: all); -1 while
 * the database cannot be read. */
static long server_batches(chaos *c, const char *origin)
{
	char sql[160];

	if (!origin)
		return tu_count(c->srvdb, "SELECT count(*) FROM batches");
	snprintf(sql, sizeof sql, "SELECT count(*) FROM batches WHERE device = '%s'", origin);
	return tu_count(c->srvdb, sql);
}

/* ------------------------------------------------------------------ */
/* Devices                                                             */

static void read_origin(chaos *c, int i)
{
	saola *db = NULL;

	CHECK(saola_open(c->dev[i].db, SAOLA_OPEN_READONLY, &db) == SAOLA_OK,
	      "device %d: open: %s", i + 1, db ? saola_errmsg(db) : "out of memory");
	snprintf(c->dev[i].origin, sizeof c->dev[i].origin, "%s", saola_origin(db));
	saola_close(db);
}

/* Device i collects n households of its commune: the generator writes
 * them to a file (path) for `saola import`. */
static void write_households(chaos *c, int i, int n, char *path, size_t len)
{
	device *d = &c->dev[i];
	saola_gen_opts o;
	FILE *f;
	int k;

	snprintf(path, len, "%s/households-%ld.jsonl", c->dir, c->files++);
	f = fopen(path, "w");
	CHECK(f, "%s: %s", path, strerror(errno));
	memset(&o, 0, sizeof o);
	o.commune = d->commune;
	for (k = 0; k < n; k++) {
		json_t *h = saola_gen_household(d->gen, &o);
		CHECK(h && json_dumpf(h, f, JSON_COMPACT) == 0 && fputc('\n', f) != EOF,
		      "device %d: writing household %d", i + 1, k);
		json_array_append(d->made, json_object_get(h, "household_id"));
		json_decref(h);
	}
	CHECK(fclose(f) == 0, "%s: %s", path, strerror(errno));
}

/* Device i collects n households and imports them at once. */
static void collect_now(chaos *c, int i, int n)
{
	char path[760], out[1024], err[2048];
	int rc;

	write_households(c, i, n, path, sizeof path);
	rc = tu_runf(out, sizeof out, err, sizeof err, "'%s' import --db '%s' --form household '%s'",
	             tu_bin("saola"), c->dev[i].db, path);
	CHECK(rc == 0, "device %d: saola import: exit %d: %s", i + 1, rc, err);
	unlink(path);
}

/* Device i edits n of the households it holds (its own or its commune
 * neighbour's, pulled), as a surveyor corrects answers between syncs. */
static void edit(chaos *c, int i, int n)
{
	json_t *ids = ar_column(c->dev[i].db, "SELECT id FROM records ORDER BY id", NULL);
	saola *db = NULL;
	int k;

	CHECK(saola_open(c->dev[i].db, 0, &db) == SAOLA_OK, "device %d: open: %s", i + 1,
	      db ? saola_errmsg(db) : "out of memory");
	CHECK(saola_begin(db) == SAOLA_OK, "device %d: begin: %s", i + 1, saola_errmsg(db));
	for (k = 0; k < n && json_array_size(ids) > 0; k++) {
		const char *id = json_string_value(json_array_get(ids, (size_t)below(c,
		                                   (int)json_array_size(ids))));
		json_t *change = json_pack("{s:I, s:b}", "income_per_capita",
		                           (json_int_t)(300000 + 1000 * below(c, 3000)),
		                           "internet_use", below(c, 2));
		int rc = saola_put(db, "household", id, change, NULL);
		json_decref(change);
		CHECK(rc == SAOLA_OK, "device %d: edit %s: %s", i + 1, id, saola_errmsg(db));
	}
	CHECK(saola_commit(db) == SAOLA_OK, "device %d: commit: %s", i + 1, saola_errmsg(db));
	json_decref(ids);
	saola_close(db);
}

/* Copies device i's database files as they lie on its storage. */
static void copy_database(chaos *c, int from, int to)
{
	static const char *const suffix[] = {"", "-wal"};
	char src[760], dst[760], buf[65536];
	size_t k, n;

	for (k = 0; k < 2; k++) {
		FILE *in, *out = NULL;
		snprintf(src, sizeof src, "%s%s", c->dev[from].db, suffix[k]);
		snprintf(dst, sizeof dst, "%s%s", c->dev[to].db, suffix[k]);
		if (!(in = fopen(src, "rb")) && k > 0)
			continue;
		CHECK(in, "copy %s: %s", src, strerror(errno));
		out = fopen(dst, "wb");
		CHECK(out, "copy to %s: %s", dst, strerror(errno));
		while ((n = fread(buf, 1, sizeof buf, in)) > 0)
			CHECK(fwrite(buf, 1, n, out) == n, "copy to %s: %s", dst, strerror(errno));
		fclose(in);
		CHECK(fclose(out) == 0, "copy to %s: %s", dst, strerror(errno));
	}
}

/* A saola command of device i in a child process, its output appended to
 * the device's log. posix_spawn, not fork: a sanitized process is slow to
 * copy. */
static void spawn_saola(chaos *c, int i, char *const argv[])
{
	device *d = &c->dev[i];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	CHECK(posix_spawn_file_actions_init(&fa) == 0, "out of memory");
	rc = posix_spawn_file_actions_addopen(&fa, 1, d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(&fa, 1, 2);
	if (rc == 0)
		rc = posix_spawn(&pid, tu_bin("saola"), &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	CHECK(rc == 0, "device %d: saola %s: %s", i + 1, argv[1], strerror(rc));
	d->pid = pid;
}

/* ------------------------------------------------------------------ */
/* Rounds of commands, PARALLEL at a time: the imports of what devices
 * collected, and the syncs with the kills the schedule puts in them     */

enum { JOB_INIT, JOB_IMPORT, JOB_SYNC };

typedef struct pool {
	int round;        /* from 0; -1: the enrolment */
	int kind;         /* JOB_*: a failed sync is resumed later, the rest must work */
	char files[N_DEVICES][760];  /* the imports' files */
	long server_at;   /* server batches of this round before its kill; 0: none */
	long device_at;   /* the victim's batches of this round before its kill; 0: none */
	long server_base, device_base;
	int order[N_DEVICES + DEVICE_KILLS];
	int pending, next, running;
} pool;

static void pool_spawn(chaos *c, pool *p, int i)
{
	char *init[] = {"saola", "init", "--db", c->dev[i].db, "--schemas", SAOLA_TEST_SCHEMAS,
	                "--server", c->url, "--token", (char *)c->dev[i].token, NULL};
	char *import[] = {"saola", "import", "--db", c->dev[i].db, "--form", "household",
	                  p->files[i], NULL};
	char *sync[] = {"saola", "sync", "--stats", "--db", c->dev[i].db, "--batch", VICTIM_BATCH,
	                NULL};

	if (i != c->victim)
		sync[5] = NULL;
	spawn_saola(c, i, p->kind == JOB_INIT ? init : p->kind == JOB_IMPORT ? import : sync);
	p->running++;
}

static void kill_victim(chaos *c, pool *p)
{
	device *d = &c->dev[c->victim];
	int status;

	kill(d->pid, SIGKILL);
	CHECK(waitpid(d->pid, &status, 0) == d->pid, "waitpid: %s", strerror(errno));
	d->pid = 0;
	p->running--;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
		c->device_kills++;
		p->device_at = 0;
		p->order[p->pending++] = c->victim; /* resumed in this round */
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		d->failed++;
	}
}

/* Kills the server, or the victim, once its kill point is passed. */
static void pool_kills(chaos *c, pool *p)
{
	if (p->server_at && server_batches(c, NULL) >= p->server_base + p->server_at) {
		server_kill(c, p->round);
		p->server_at = 0;
	}
	if (p->device_at && c->dev[c->victim].pid &&
	    server_batches(c, c->dev[c->victim].origin) >= p->device_base + p->device_at)
		kill_victim(c, p);
}

/* Reaps the commands that ended: a failed import fails the test, a failed
 * sync is counted (the next round or the final syncs resume it). */
static void pool_reap(chaos *c, pool *p)
{
	int i, status;

	for (i = 0; i < N_DEVICES; i++) {
		device *d = &c->dev[i];
		if (!d->pid || waitpid(d->pid, &status, WNOHANG) != d->pid)
			continue;
		d->pid = 0;
		p->running--;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			continue;
		CHECK(p->kind == JOB_SYNC, "round %d: device %d: saola %s failed (status %d): see %s",
		      p->round + 1, i + 1, p->kind == JOB_INIT ? "init" : "import", status, d->log);
		d->failed++;
	}
}

static void pool_run(chaos *c, pool *p)
{
	double deadline = now_s() + ROUND_LIMIT_S;

	while (p->next < p->pending || p->running > 0) {
		CHECK(now_s() < deadline, "round %d: saola %s took more than %d s", p->round + 1,
		      p->kind == JOB_INIT ? "init" : p->kind == JOB_IMPORT ? "import" : "sync",
		      ROUND_LIMIT_S);
		while (p->running < PARALLEL && p->next < p->pending)
			pool_spawn(c, p, p->order[p->next++]);
		pool_kills(c, p);
		pool_reap(c, p);
		pause_poll();
	}
}

/* Every device collects its households of the round. */
static void collect_round(chaos *c, int round)
{
	pool p;
	int i;

	memset(&p, 0, sizeof p);
	p.round = round;
	p.kind = JOB_IMPORT;
	for (i = 0; i < N_DEVICES; i++) {
		int n = round_size[round] - (i == COPY_SRC && round == 0 ? PRE_COPY : 0);
		write_households(c, i, n, p.files[i], sizeof p.files[i]);
		p.order[p.pending++] = i;
	}
	pool_run(c, &p);
	for (i = 0; i < N_DEVICES; i++)
		unlink(p.files[i]);
}

/* `saola init` of every device but the copy, with its user's token. */
static void enrol_all(chaos *c)
{
	pool p;
	int i;

	memset(&p, 0, sizeof p);
	p.round = -1;
	p.kind = JOB_INIT;
	for (i = 0; i < N_DEVICES; i++)
		if (i != COPY_DST)
			p.order[p.pending++] = i;
	pool_run(c, &p);
	for (i = 0; i < N_DEVICES; i++)
		if (i != COPY_DST)
			read_origin(c, i);
}

/* Every device syncs, in an order of the seed's; the server or the victim
 * is killed some batches into the round, while devices sync. */
static void sync_round(chaos *c, int round)
{
	pool p;
	int i;

	memset(&p, 0, sizeof p);
	p.round = round;
	p.kind = JOB_SYNC;
	for (i = 0; i < N_DEVICES; i++) {
		int j = below(c, i + 1);
		p.order[i] = p.order[j];
		p.order[j] = i;
	}
	p.pending = N_DEVICES;
	p.server_base = server_batches(c, NULL);
	p.device_base = server_batches(c, c->dev[c->victim].origin);
	if (c->kill_server[round])
		p.server_at = 1 + below(c, 12);
	/* the victim has 50 households or more and its edits queued: 3 batches
	 * or more, so that a kill after 1 or 2 comes mid-sync */
	if (c->kill_device[round])
		p.device_at = 1 + below(c, 2);
	pool_run(c, &p);
	CHECK(!p.server_at, "round %d: the server was to be killed after %ld batches, but the "
	      "round's syncs ended after %ld", round + 1, p.server_at,
	      server_batches(c, NULL) - p.server_base);
	CHECK(!p.device_at, "round %d: device %d was to be killed after %ld of its batches, but "
	      "its sync ended after %ld", round + 1, c->victim + 1, p.device_at,
	      server_batches(c, c->dev[c->victim].origin) - p.device_base);
}

/* Chooses k distinct rounds of N_ROUNDS into pick. */
static void choose_rounds(chaos *c, int *pick, int k)
{
	while (k > 0) {
		int r = below(c, N_ROUNDS);
		if (!pick[r]) {
			pick[r] = 1;
			k--;
		}
	}
}

/* ------------------------------------------------------------------ */
/* The end: full syncs, then the checks                                */

/* One `saola sync` of every device, one at a time, until a pass sends and
 * receives nothing: the number of passes, 0 when it never got quiet (or a
 * pass moved nothing and some syncs failed: they fail for good). */
static int final_syncs(chaos *c)
{
	char out[4096], err[4096];
	int pass, i;

	for (pass = 1; pass <= FINAL_PASSES; pass++) {
		long sent = 0, received = 0, failed = 0;
		for (i = 0; i < N_DEVICES; i++) {
			const char *p;
			char *end;
			int rc = tu_runf(out, sizeof out, err, sizeof err, "'%s' sync --db '%s'",
			                 tu_bin("saola"), c->dev[i].db);
			if (rc != 0 || !(p = strstr(out, "synced: "))) {
				fprintf(stderr, "final pass %d: device %d: saola sync: exit %d: %s", pass,
				        i + 1, rc, err);
				failed++;
				continue;
			}
			sent += strtol(p + 8, &end, 10);
			if ((p = strstr(end, "sent, ")))
				received += strtol(p + 6, NULL, 10);
		}
		printf("chaos test: final pass %d: %ld changes sent, %ld records received, %ld "
		       "syncs failed\n", pass, sent, received, failed);
		if (!sent && !received)
			return failed ? 0 : pass; /* quiet, or failing the same way again */
	}
	return 0;
}

typedef struct tally {
	long expected, held, missing, doubled, unexpected, split;
	long missing_by[N_DEVICES];
} tally;

/* Every household made is on the server exactly once, as one record: the
 * record id each device holds it under. */
static void count_households(chaos *c, tally *t)
{
	json_t *server = ar_households(c->srvdb, 1), *expected = json_object(), *ids, *v;
	const char *hid;
	size_t k;
	int i;

	memset(t, 0, sizeof *t);
	for (i = 0; i < N_DEVICES; i++)
		json_array_foreach(c->dev[i].made, k, v)
			json_object_set_new(expected, json_string_value(v), json_integer(i));
	t->expected = (long)json_object_size(expected);
	json_object_foreach(server, hid, ids) {
		t->held += (long)json_array_size(ids);
		if (!json_object_get(expected, hid))
			t->unexpected += (long)json_array_size(ids);
		else if (json_array_size(ids) > 1)
			t->doubled++;
	}
	json_object_foreach(expected, hid, v)
		if (!json_object_get(server, hid)) {
			t->missing++;
			t->missing_by[json_integer_value(v)]++;
		}
	/* by record id: a device holds each household under the server's id */
	for (i = 0; i < N_DEVICES; i++) {
		json_t *mine = ar_households(c->dev[i].db, 0);
		json_object_foreach(mine, hid, ids) {
			json_t *there = json_object_get(server, hid);
			if (json_array_size(ids) != 1 ||
			    (there && !json_equal(json_array_get(there, 0), json_array_get(ids, 0))))
				t->split++;
		}
		json_decref(mine);
	}
	json_decref(server);
	json_decref(expected);
}

/* How many times device i's syncs said that its database is a copy. */
static int told_copy(chaos *c, int i)
{
	const char *mark = "this database is a copy of another device's";
	char line[4096];
	FILE *f = fopen(c->dev[i].log, "r");
	int n = 0;

	while (f && fgets(line, sizeof line, f))
		n += strstr(line, mark) != NULL;
	if (f)
		fclose(f);
	return n;
}

static void check_end(chaos *c, int passes)
{
	long queued = 0, only_dev = 0, only_srv = 0, differ = 0, n;
	saola__store *srv = NULL;
	char serr[512];
	char line[512] = "";
	tally t;
	int i, told;

	CHECK(tu_count(c->srvdb, "SELECT count(*) FROM pragma_integrity_check"
	                         " WHERE integrity_check <> 'ok'") == 0,
	      "the server's database fails its integrity check");
	count_households(c, &t);
	for (i = 0; i < N_DEVICES; i++) {
		n = tu_count(c->dev[i].db, "SELECT count(*) FROM outbox");
		if (n != 0)
			fprintf(stderr, "device %d: %ld changes still queued\n", i + 1, n);
		queued += n < 0 ? 1 : n;
	}
	CHECK(saola__store_open(c->srvdb, NULL, 0, &srv, serr, sizeof serr) == SAOLA_OK,
	      "%s: open: %s", c->srvdb, serr);
	for (i = 0; i < N_DEVICES; i++) {
		char label[32];
		ar_diff d;
		snprintf(label, sizeof label, "device %d", i + 1);
		ar_compare_area(c->dev[i].db, srv, c->dev[i].commune, label, &d);
		if (d.only_device || d.only_server || d.differ)
			fprintf(stderr, "device %d (commune %s): %ld records only on the device, %ld only "
			        "on the server, %ld differ\n", i + 1, c->dev[i].commune, d.only_device,
			        d.only_server, d.differ);
		only_dev += d.only_device, only_srv += d.only_server, differ += d.differ;
	}
	saola__store_close(srv);
	read_origin(c, COPY_SRC);
	read_origin(c, COPY_DST);
	for (i = 0; i < N_DEVICES; i++)
		if (t.missing_by[i])
			snprintf(line + strlen(line), sizeof line - strlen(line), " device %d: %ld;",
			         i + 1, t.missing_by[i]);
	printf("chaos test: %ld households made, %ld records on the server: %ld missing (%s), "
	       "%ld doubled, %ld unexpected, %ld held under another id\n", t.expected, t.held,
	       t.missing, *line ? line + 1 : "none", t.doubled, t.unexpected, t.split);
	told = told_copy(c, COPY_SRC) + told_copy(c, COPY_DST);
	printf("chaos test: %ld changes queued; areas: %ld records only on devices, %ld only on "
	       "the server, %ld differ; the copies told they are copies %d times; their origins "
	       "%s and %s\n", queued, only_dev, only_srv, differ, told, c->dev[COPY_SRC].origin,
	       c->dev[COPY_DST].origin);

	CHECK(t.missing == 0 && t.doubled == 0 && t.unexpected == 0 && t.split == 0 &&
	      t.held == t.expected,
	      "households: %ld made, %ld on the server: %ld missing, %ld doubled, %ld unexpected, "
	      "%ld held under another id", t.expected, t.held, t.missing, t.doubled, t.unexpected,
	      t.split);
	CHECK(queued == 0, "%ld changes are still queued on the devices", queued);
	CHECK(!only_dev && !only_srv && !differ, "areas: %ld records only on devices, %ld only on "
	      "the server, %ld differ", only_dev, only_srv, differ);
	CHECK(passes > 0, "the final syncs did not get quiet in %d passes", FINAL_PASSES);
	CHECK(strcmp(c->dev[COPY_SRC].origin, c->dev[COPY_DST].origin) != 0,
	      "the copies still share the origin %s", c->dev[COPY_SRC].origin);
	CHECK(told > 0, "neither copy was told that its database is a copy");
}

/* ------------------------------------------------------------------ */
/* The run                                                             */

static void open_world(chaos *c)
{
	char name[32];
	int i;

	snprintf(c->dir, sizeof c->dir, "%s", tu_tmpdir("chaos"));
	snprintf(c->srvdb, sizeof c->srvdb, "%s/server.db", c->dir);
	CHECK((c->rng = saola_gen_new(c->seed)), "out of memory");
	for (i = 0; i < N_DEVICES; i++) {
		device *d = &c->dev[i];
		snprintf(d->db, sizeof d->db, "%s/device%02d.db", c->dir, i + 1);
		snprintf(d->log, sizeof d->log, "%s/device%02d.log", c->dir, i + 1);
		d->commune = communes[i / 2];
		CHECK((d->gen = saola_gen_new(c->seed * 1000 + (unsigned)i + 1)), "out of memory");
		saola_gen_set_household_ids(d->gen, 1);
		d->made = json_array();
		/* one user a device; the copy uses the user of the device it copies */
		if (i != COPY_DST) {
			snprintf(name, sizeof name, "surveyor-%02d", i + 1);
			c->tokens[i] = st_user_add(c->srvdb, name, "surveyor", d->commune);
		}
		d->token = c->tokens[i == COPY_DST ? COPY_SRC : i];
	}
	server_start(c);
	enrol_all(c);
	/* The IT officer's copy: device 19, enrolled, with households queued
	 * and never synced, copied whole to make device 20. */
	collect_now(c, COPY_SRC, PRE_COPY);
	copy_database(c, COPY_SRC, COPY_DST);
	read_origin(c, COPY_DST);
	CHECK(strcmp(c->dev[COPY_SRC].origin, c->dev[COPY_DST].origin) == 0,
	      "the copy has an origin of its own before any sync");
	c->victim = below(c, COPY_SRC);
	choose_rounds(c, c->kill_server, SERVER_KILLS);
	choose_rounds(c, c->kill_device, DEVICE_KILLS);
}

static int teardown(void **state)
{
	chaos *c = *state;
	int i, status;

	for (i = 0; i < N_DEVICES; i++) {
		if (c->dev[i].pid) {
			kill(c->dev[i].pid, SIGKILL);
			waitpid(c->dev[i].pid, &status, 0);
		}
		saola_gen_free(c->dev[i].gen);
		json_decref(c->dev[i].made);
		free(c->tokens[i]);
	}
	tu_cutproxy_stop(c->px);
	st_server_stop(c->srv);
	saola_gen_free(c->rng);
	if (getenv("SAOLA_CHAOS_KEEP"))
		fprintf(stderr, "chaos test: the run is kept in %s\n", c->dir);
	else if (c->dir[0])
		tu_rmtree(c->dir);
	free(c);
	cx = NULL;
	return 0;
}

static int setup(void **state)
{
	const char *env = getenv("SAOLA_CHAOS_SEED");

	cx = calloc(1, sizeof *cx);
	assert_non_null(cx);
	cx->seed = env && *env ? strtoull(env, NULL, 10) : DEFAULT_SEED;
	*state = cx;
	return 0;
}

static void test_chaos(void **state)
{
	chaos *c = *state;
	double t0 = now_s(), t;
	int r, i, passes;

	printf("chaos test: seed %llu (replay with SAOLA_CHAOS_SEED=%llu)\n", c->seed, c->seed);
	open_world(c);
	printf("chaos test: %d devices enrolled in %.1f s\n", N_DEVICES, now_s() - t0);
	printf("chaos test: device %d killed in rounds", c->victim + 1);
	for (r = 0; r < N_ROUNDS; r++)
		if (c->kill_device[r])
			printf(" %d", r + 1);
	printf("; the server in rounds");
	for (r = 0; r < N_ROUNDS; r++)
		if (c->kill_server[r])
			printf(" %d", r + 1);
	printf("\n");
	for (r = 0; r < N_ROUNDS; r++) {
		long failed = 0;
		double t1, t2;
		t = now_s();
		collect_round(c, r);
		t1 = now_s();
		for (i = 0; i < N_DEVICES; i++)
			edit(c, i, EDITS);
		t2 = now_s();
		sync_round(c, r);
		for (i = 0; i < N_DEVICES; i++)
			failed += c->dev[i].failed;
		printf("chaos test: round %d: collect %.1f s, edit %.1f s, sync %.1f s; server kills "
		       "%d, device kills %d, failed syncs %ld so far\n", r + 1, t1 - t, t2 - t1,
		       now_s() - t2, c->server_kills, c->device_kills, failed);
	}
	CHECK(c->server_kills == SERVER_KILLS && c->device_kills == DEVICE_KILLS,
	      "%d server kills and %d device kills, expected %d and %d", c->server_kills,
	      c->device_kills, SERVER_KILLS, DEVICE_KILLS);
	t = now_s();
	passes = final_syncs(c);
	st_server_stop(c->srv);
	c->srv = NULL;
	printf("chaos test: final syncs %.1f s\n", now_s() - t);
	t = now_s();
	check_end(c, passes);
	printf("chaos test: passed in %.1f s (checks %.1f s)\n", now_s() - t0, now_s() - t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_chaos, setup, teardown),
	};

	/* Retries come quickly, and for long enough to see the server back. */
	setenv("SAOLA_SYNC_BACKOFF_MS", "50", 1);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
