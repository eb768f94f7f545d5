/* bench_device.c: a surveyor's device within its means. It enrols with a
 * saola-server, interviews N generated households through the public
 * interview API (saola/form.h) as a screen does (each answer set and
 * checked, a draft saved after each one, the household saved), then syncs
 * them all; it reports the process's peak memory after each phase, the
 * database file per household before and after the sync, and the times.
 * Built in a device's build too, so that bench/device.sh runs it under
 * qemu-user against a native server.
 *
 * Every phase is checked (each answer taken, each save made, N records
 * stored, N changes sent and none left queued): the figures are printed
 * only when all passed; else the failure is said on stderr, and it exits
 * 1 with no figures.
 *
 *   bench_device DB URL TOKEN N [COMMUNE] [DRAFT_EVERY]
 *
 * COMMUNE (default 14404) must be the token's; DRAFT_EVERY (default 1):
 * a draft after every answer, or after every k-th (0: none). */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <saola/core.h>
#include <saola/form.h>
#include <saola/sync.h>
#include "gen.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The process's peak resident memory so far, KiB (under qemu-user, the
 * emulator's process). */
static long peak_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (long)ru.ru_maxrss;
}

/* Memory, KiB: resident in all (VmRSS) and its private anonymous part
 * (RssAnon: the heap, the stacks; the rest is mostly the code of the
 * shared libraries, which other processes share), from /proc/self/status;
 * and the heap glibc holds from the system (mallinfo2: arena and mapped
 * chunks), -1 without glibc. Under qemu-user, /proc/self/status is the
 * emulator's process, the guest's memory and the emulator's own (qemu 7.2
 * lists both in /proc/self/smaps for a 64-bit guest, and hangs reading it
 * from a process with two threads), while the heap is the guest's own:
 * the figure comparable across architectures. */
typedef struct mem {
	long rss, anon, heap;
} mem;

static mem resident(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	mem m = {-1, -1, -1};

	while (f && fgets(line, sizeof line, f)) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			m.rss = atol(line + 6);
		else if (strncmp(line, "RssAnon:", 8) == 0)
			m.anon = atol(line + 8);
	}
	if (f)
		fclose(f);
#ifdef __GLIBC__
	{
		struct mallinfo2 mi = mallinfo2();

		m.heap = (long)((mi.arena + mi.hblkhd) / 1024);
	}
#endif
	return m;
}

/* A thread that samples resident() every SAMPLE_MS and keeps the most of
 * each since the last sampler_take(). */
#define SAMPLE_MS 20

typedef struct sampler {
	pthread_t thread;
	pthread_mutex_t lock;
	int stop;
	mem most;
} sampler;

static void keep_most(sampler *sp, mem m)
{
	if (m.rss > sp->most.rss)
		sp->most.rss = m.rss;
	if (m.anon > sp->most.anon)
		sp->most.anon = m.anon;
	if (m.heap > sp->most.heap)
		sp->most.heap = m.heap;
}

static void *sample(void *arg)
{
	sampler *sp = arg;
	struct timespec pause = {0, SAMPLE_MS * 1000000L};
	int stop = 0;

	while (!stop) {
		mem m = resident();

		pthread_mutex_lock(&sp->lock);
		keep_most(sp, m);
		stop = sp->stop;
		pthread_mutex_unlock(&sp->lock);
		nanosleep(&pause, NULL);
	}
	return NULL;
}

/* The most since the last call (a sample taken now included); starts
 * the next phase's count afresh. */
static mem sampler_take(sampler *sp)
{
	mem now_m = resident(), most;

	pthread_mutex_lock(&sp->lock);
	keep_most(sp, now_m);
	most = sp->most;
	sp->most = now_m;
	pthread_mutex_unlock(&sp->lock);
	return most;
}

/* The database and its WAL, bytes. */
static long long file_bytes(const char *path)
{
	char wal[1100];
	struct stat sb;
	long long n = 0;

	if (stat(path, &sb) == 0)
		n += (long long)sb.st_size;
	snprintf(wal, sizeof wal, "%s-wal", path);
	if (stat(wal, &sb) == 0)
		n += (long long)sb.st_size;
	return n;
}

/* The answer household h gives to field f (name) in item k: a top-level
 * answer, or member k's. Borrowed; NULL when it has none. */
static json_t *answer_of(const json_t *h, const saola_field *f, int k)
{
	if (f->repeat < 0)
		return json_object_get(h, f->name);
	return json_object_get(json_array_get(json_object_get(h, "members"), (size_t)k), f->name);
}

typedef struct run {
	saola_interview *iv;
	const json_t *h;
	int draft_every;
	long answers;
} run;

/* Answers the question at s from the household: its answer, or a yes to
 * a warning's confirmation. 0, or -1 (said on stderr). */
static int answer(run *r, const saola_step *s)
{
	saola_field f;
	json_t *v;
	int rc;

	if (saola_interview_field(r->iv, s->field, &f) != SAOLA_OK)
		return -1;
	if (f.kind == SAOLA_FIELD_CONFIRM) {
		rc = saola_interview_confirm(r->iv, f.confirms, s->item, 1);
	} else {
		if (!(v = answer_of(r->h, &f, s->item)))
			return 0; /* not answered: the save says if it had to be */
		rc = saola_interview_set(r->iv, s->field, s->item, v);
	}
	if (rc != SAOLA_OK) {
		fprintf(stderr, "bench_device: %s (item %d): %s\n", f.name, s->item,
		        saola_interview_errmsg(r->iv));
		return -1;
	}
	r->answers++;
	if (r->draft_every > 0 && r->answers % r->draft_every == 0 &&
	    saola_interview_save_draft(r->iv, s->field, s->item) != SAOLA_OK) {
		fprintf(stderr, "bench_device: draft: %s\n", saola_interview_errmsg(r->iv));
		return -1;
	}
	return 0;
}

/* One household walked and saved. 0, or -1 (said on stderr). */
static int interview(saola *db, run *r, const json_t *h)
{
	size_t members = json_array_size(json_object_get(h, "members"));
	saola_step s;
	int rc = -1;

	r->h = h;
	if (saola_interview_open(db, "household", "vi", &r->iv) != SAOLA_OK) {
		fprintf(stderr, "bench_device: open: %s\n", saola_errmsg(db));
		return -1;
	}
	for (saola_interview_first(r->iv, &s); s.kind != SAOLA_STEP_END;) {
		if (s.kind == SAOLA_STEP_ITEM && (size_t)s.item < members &&
		    saola_interview_add_item(r->iv, s.field, NULL) != SAOLA_OK)
			goto out;
		if (s.kind == SAOLA_STEP_QUESTION && answer(r, &s) != 0)
			goto out;
		if (saola_interview_next(r->iv, &s, &s) != SAOLA_OK)
			goto out;
	}
	if (saola_interview_save(r->iv, NULL) != SAOLA_OK)
		goto out;
	rc = 0;
out:
	if (rc != 0 && saola_interview_errmsg(r->iv)[0])
		fprintf(stderr, "bench_device: household: %s\n", saola_interview_errmsg(r->iv));
	saola_interview_close(r->iv);
	r->iv = NULL;
	return rc;
}

/* An integer of the store's status, or -1. */
static long status_of(saola *db, const char *key)
{
	json_t *st = NULL;
	long n = -1;

	if (saola_status(db, &st) == SAOLA_OK && json_is_integer(json_object_get(st, key)))
		n = (long)json_integer_value(json_object_get(st, key));
	json_decref(st);
	return n;
}

/* The N households, walked. 0, or -1 (said on stderr). */
static int interviews(saola *db, run *r, int n, const char *commune)
{
	saola_gen_opts go = {.province = "37", .commune = commune, .survey_year = 2025};
	char err[256];
	saola_gen *g = saola_gen_new_schemas(20261206, SAOLA_BENCH_SCHEMAS, err, sizeof err);
	json_t *h;
	int i, rc = 0;

	if (!g) {
		fprintf(stderr, "bench_device: generator: %s\n", err);
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++) {
		if (!(h = saola_gen_household(g, &go))) {
			fprintf(stderr, "bench_device: generator: no household for %s\n", commune);
			rc = -1;
			break;
		}
		rc = interview(db, r, h);
		json_decref(h);
	}
	saola_gen_free(g);
	return rc;
}

/* What a run measured. */
typedef struct figures {
	long peak_start, peak_iv, peak_sync;  /* ru_maxrss, KiB */
	mem enrolled, iv, sync;               /* sampled, the most of each phase */
	long long b_empty, b_iv, b_sync;      /* the database file, closed */
	double t_iv, t_sync;
	saola_sync_stats st;
} figures;

/* Closes *db, measures the file, opens it again (as the app would be
 * closed and started): the WAL checkpointed into the file. */
static int reopen(saola **db, const char *path, long long *bytes)
{
	saola_close(*db);
	*db = NULL;
	*bytes = file_bytes(path);
	if (saola_open(path, 0, db) != SAOLA_OK) {
		fprintf(stderr, "bench_device: open again: %s\n", saola_errmsg(*db));
		return -1;
	}
	return 0;
}

/* Enrols, interviews, syncs, checking each phase. 0, or -1 (said on
 * stderr). */
static int phases(saola **db, char **argv, int n, run *r, sampler *sp, figures *fg)
{
	saola_sync_opts so = {.server = argv[2], .token = argv[3]};
	const char *path = argv[1];
	long got;
	double t0;

	unlink(path);
	if (saola_open(path, SAOLA_OPEN_CREATE, db) != SAOLA_OK ||
	    saola_enrol(*db, so.server, so.token, &so) != SAOLA_OK) {
		fprintf(stderr, "bench_device: enrol: %s\n", saola_errmsg(*db));
		return -1;
	}
	fg->enrolled = sampler_take(sp);
	if (reopen(db, path, &fg->b_empty) != 0)
		return -1;

	t0 = now();
	if (interviews(*db, r, n, argv[5]) != 0)
		return -1;
	fg->t_iv = now() - t0;
	fg->peak_iv = peak_kib();
	fg->iv = sampler_take(sp);
	if ((got = status_of(*db, "records")) != n) {
		fprintf(stderr, "bench_device: %ld households stored, not %d\n", got, n);
		return -1;
	}
	if (reopen(db, path, &fg->b_iv) != 0)
		return -1;

	t0 = now();
	if (saola_sync(*db, &so, &fg->st) != SAOLA_OK) {
		fprintf(stderr, "bench_device: sync: %s\n", saola_errmsg(*db));
		return -1;
	}
	fg->t_sync = now() - t0;
	fg->peak_sync = peak_kib();
	fg->sync = sampler_take(sp);
	got = status_of(*db, "outbox");
	if (fg->st.records_up != n || got != 0) {
		fprintf(stderr, "bench_device: sync sent %ld changes of %d, %ld left queued\n",
		        fg->st.records_up, n, got);
		return -1;
	}
	return reopen(db, path, &fg->b_sync);
}

static void print(const figures *fg, const run *r, int n)
{
	if (r->draft_every > 0)
		printf("households: %d (%ld answers, a draft after every %d)\n", n, r->answers,
		       r->draft_every);
	else
		printf("households: %d (%ld answers, no drafts)\n", n, r->answers);
	printf("memory, the most sampled every %d ms, KiB, resident (private anonymous; heap from the system): enrolled %ld "
	       "(%ld; %ld), interviewing %ld (%ld; %ld), syncing %ld (%ld; %ld)\n", SAMPLE_MS,
	       fg->enrolled.rss, fg->enrolled.anon,
	       fg->enrolled.heap, fg->iv.rss, fg->iv.anon, fg->iv.heap, fg->sync.rss,
	       fg->sync.anon, fg->sync.heap);
	printf("peak RSS of the process (getrusage; under qemu the emulator's with it), "
	       "KiB: %ld at start, %ld after the interviews, %ld after the sync\n",
	       fg->peak_start, fg->peak_iv, fg->peak_sync);
	printf("interviews: %.1f s, %.2f ms a household\n", fg->t_iv, 1000.0 * fg->t_iv / n);
	printf("sync: %.1f s, %lld bytes up, %lld down, %ld requests\n", fg->t_sync,
	       fg->st.bytes_up, fg->st.bytes_down, fg->st.requests);
	printf("database: %lld bytes enrolled (forms, standards, units), then %lld bytes a "
	       "household after the interviews, %lld after the sync (the file, closed)\n",
	       fg->b_empty, (fg->b_iv - fg->b_empty) / n, (fg->b_sync - fg->b_empty) / n);
}

int main(int argc, char **argv)
{
	char *args[6];
	saola *db = NULL;
	sampler sp = {.lock = PTHREAD_MUTEX_INITIALIZER};
	figures fg = {0};
	run r = {0};
	int n, rc;

	if (argc < 5 || argc > 7 || (n = atoi(argv[4])) <= 0) {
		fprintf(stderr, "usage: bench_device DB URL TOKEN N [COMMUNE] [DRAFT_EVERY]\n");
		return 2;
	}
	memcpy(args, argv, 5 * sizeof *args);
	args[5] = argc > 5 ? argv[5] : "14404";
	r.draft_every = argc > 6 ? atoi(argv[6]) : 1;
	fg.peak_start = peak_kib();
	sp.most = resident();
	if (pthread_create(&sp.thread, NULL, sample, &sp) != 0) {
		fprintf(stderr, "bench_device: no sampling thread\n");
		return 1;
	}
	rc = phases(&db, args, n, &r, &sp, &fg);
	pthread_mutex_lock(&sp.lock);
	sp.stop = 1;
	pthread_mutex_unlock(&sp.lock);
	pthread_join(sp.thread, NULL);
	saola_close(db);
	if (rc != 0)
		return 1;
	print(&fg, &r, n);
	return 0;
}
