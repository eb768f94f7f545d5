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

/* The process's peak resident memory so far, KiB. Under qemu-user, the
 * emulator's process: the guest's memory and the emulator's own. */
static long peak_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (long)ru.ru_maxrss;
}

/* The process's resident memory now, KiB: private (anonymous: the heap,
 * the stacks) and file-backed (mostly the code of the shared libraries,
 * which other processes share), from /proc/self/status; -1 when it cannot
 * be read. Under qemu-user, the emulator's. */
static void resident_kib(long *anon, long *file)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];

	*anon = *file = -1;
	while (f && fgets(line, sizeof line, f)) {
		if (strncmp(line, "RssAnon:", 8) == 0)
			*anon = atol(line + 8);
		else if (strncmp(line, "RssFile:", 8) == 0)
			*file = atol(line + 8);
	}
	if (f)
		fclose(f);
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

int main(int argc, char **argv)
{
	saola *db = NULL;
	saola_sync_opts so = {0};
	saola_sync_stats st = {0};
	run r = {0};
	long k_start, k_interview, k_sync, stored, queued, a_start, f_start, a_iv, f_iv, a_sync, f_sync;
	long long b_empty, b_interview, b_sync;
	double t0, t_interview, t_sync;
	const char *path, *commune;
	int n;

	if (argc < 5 || argc > 7 || (n = atoi(argv[4])) <= 0) {
		fprintf(stderr, "usage: bench_device DB URL TOKEN N [COMMUNE] [DRAFT_EVERY]\n");
		return 2;
	}
	path = argv[1];
	commune = argc > 5 ? argv[5] : "14404";
	r.draft_every = argc > 6 ? atoi(argv[6]) : 1;
	k_start = peak_kib();
	resident_kib(&a_start, &f_start);
	unlink(path);
	so.server = argv[2];
	so.token = argv[3];
	if (saola_open(path, SAOLA_OPEN_CREATE, &db) != SAOLA_OK ||
	    saola_enrol(db, argv[2], argv[3], &so) != SAOLA_OK) {
		fprintf(stderr, "bench_device: enrol: %s\n", saola_errmsg(db));
		goto fail;
	}

	/* the enrolled device before any household: forms, standards, units */
	saola_close(db);
	db = NULL;
	b_empty = file_bytes(path);
	if (saola_open(path, 0, &db) != SAOLA_OK) {
		fprintf(stderr, "bench_device: open again: %s\n", saola_errmsg(db));
		goto fail;
	}
	t0 = now();
	if (interviews(db, &r, n, commune) != 0)
		goto fail;
	t_interview = now() - t0;
	k_interview = peak_kib();
	resident_kib(&a_iv, &f_iv);
	if ((stored = status_of(db, "records")) != n) {
		fprintf(stderr, "bench_device: %ld households stored, not %d\n", stored, n);
		goto fail;
	}
	/* the app closed and opened again: the WAL checkpointed into the file */
	saola_close(db);
	db = NULL;
	b_interview = file_bytes(path);
	if (saola_open(path, 0, &db) != SAOLA_OK) {
		fprintf(stderr, "bench_device: open again: %s\n", saola_errmsg(db));
		goto fail;
	}

	t0 = now();
	if (saola_sync(db, &so, &st) != SAOLA_OK) {
		fprintf(stderr, "bench_device: sync: %s\n", saola_errmsg(db));
		goto fail;
	}
	t_sync = now() - t0;
	k_sync = peak_kib();
	resident_kib(&a_sync, &f_sync);
	queued = status_of(db, "outbox");
	if (st.records_up != n || queued != 0) {
		fprintf(stderr, "bench_device: sync sent %ld changes of %d, %ld left queued\n",
		        st.records_up, n, queued);
		goto fail;
	}
	saola_close(db);
	b_sync = file_bytes(path);

	printf("households: %d (%ld answers, a draft after every %d)\n", n, r.answers,
	       r.draft_every);
	printf("peak memory: %ld KiB at start, %ld after the interviews, %ld after the sync\n",
	       k_start, k_interview, k_sync);
	printf("resident then, KiB private + file-backed: %ld + %ld at start, %ld + %ld after "
	       "the interviews, %ld + %ld after the sync\n", a_start, f_start, a_iv, f_iv,
	       a_sync, f_sync);
	printf("interviews: %.1f s, %.2f ms a household\n", t_interview, 1000.0 * t_interview / n);
	printf("sync: %.1f s, %lld bytes up, %lld down, %ld requests\n", t_sync, st.bytes_up,
	       st.bytes_down, st.requests);
	printf("database: %lld bytes enrolled (forms, standards, units), then %lld bytes a "
	       "household after the interviews, %lld after the sync (the file, closed)\n",
	       b_empty, (b_interview - b_empty) / n, (b_sync - b_empty) / n);
	return 0;
fail:
	saola_close(db);
	return 1;
}
