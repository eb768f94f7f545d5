/* bench_store.c: store throughput over generated households: one
 * transaction for all, and one transaction each (WAL, synchronous=FULL),
 * with the process's peak memory. Every phase is checked (each put and
 * commit succeeded, and the store then holds every household): the figures
 * are printed only when both passed; else the failure is said on stderr,
 * and it exits 1 with no figures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <saola/core.h>
#include "gen.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) this process has used. */
static double cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static long file_kb(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long)(sb.st_size / 1024) : 0;
}

/* The figures, printed at the end if nothing failed. */
static FILE *fig;

/* The live records db holds, or -1 (said on stderr). */
static long stored(saola *db, const char *what)
{
	json_t *st = NULL;
	long n = -1;

	if (saola_status(db, &st) != SAOLA_OK)
		fprintf(stderr, "bench_store: %s: status: %s\n", what, saola_errmsg(db));
	else if (!json_is_integer(json_object_get(st, "records")))
		fprintf(stderr, "bench_store: %s: status: no count of records\n", what);
	else
		n = (long)json_integer_value(json_object_get(st, "records"));
	json_decref(st);
	return n;
}

/* Puts n households into a fresh database; one transaction for all when
 * batched. Returns records per second, with its line of figures written to
 * fig, or -1 on failure (said on stderr, naming the phase). */
static double run(const char *path, json_t **households, int n, int batched)
{
	const char *what = batched ? "one transaction for all" : "one transaction each";
	saola *db = NULL;
	char wal[1100];
	double t0, t, c0, c;
	long got;
	int i;

	unlink(path);
	snprintf(wal, sizeof wal, "%s-wal", path);
	unlink(wal);
	if (saola_open(path, SAOLA_OPEN_CREATE, &db) != SAOLA_OK ||
	    saola_forms_load_dir(db, SAOLA_BENCH_SCHEMAS, NULL) != SAOLA_OK)
		goto fail;
	t0 = now();
	c0 = cpu();
	if (batched && saola_begin(db) != SAOLA_OK)
		goto fail;
	for (i = 0; i < n; i++)
		if (saola_put(db, "household", NULL, households[i], NULL) != SAOLA_OK)
			goto fail;
	if (batched && saola_commit(db) != SAOLA_OK)
		goto fail;
	t = now() - t0;
	c = cpu() - c0;
	/* Read back, untimed: a rate over fewer records than asked is no rate. */
	got = stored(db, what);
	saola_close(db);
	if (got != n) {
		if (got >= 0)
			fprintf(stderr, "bench_store: %s: %ld records stored, not %d\n", what, got, n);
		return -1;
	}
	fprintf(fig, "  %-30s %6d records in %7.3f s = %8.0f records/s   (CPU %.1f us/record; db %ld KiB)\n",
	        batched ? "one transaction for all:" : "one transaction each (WAL):",
	        n, t, n / t, c * 1e6 / n, file_kb(path));
	return n / t;
fail:
	fprintf(stderr, "bench_store: %s: %s\n", what, db ? saola_errmsg(db) : "no memory");
	saola_close(db);
	return -1;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	char path[1024], *end, *figs = NULL;
	size_t figs_len = 0;
	json_t **hh = NULL;
	saola_gen *g = NULL;
	struct rusage ru;
	double batched = -1, each = -1;
	long n = 10000;
	int i, failed = 1;

	if (argc > 1) {
		n = strtol(argv[1], &end, 10);
		if (argc > 3 || end == argv[1] || *end || n <= 0 || n > 100000000) {
			fprintf(stderr, "usage: bench_store [HOUSEHOLDS [DIR]] (default 10000 /tmp)\n");
			return 2;
		}
	}
	if (!(hh = calloc((size_t)n, sizeof *hh)) || !(g = saola_gen_new(42)) ||
	    !(fig = open_memstream(&figs, &figs_len))) {
		fprintf(stderr, "bench_store: no memory\n");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (!(hh[i] = saola_gen_household(g, NULL))) {
			fprintf(stderr, "bench_store: generating household %d: no memory\n", i);
			goto out;
		}
	snprintf(path, sizeof path, "%s/saola-bench-store-%d.db", dir, (int)getpid());
	fprintf(fig, "store benchmark: %ld generated households, SQLite %s, WAL, synchronous=FULL\n",
	        n, "3");
	if ((batched = run(path, hh, (int)n, 1)) >= 0)
		each = run(path, hh, (int)n, 0);
	unlink(path);
	snprintf(path + strlen(path), sizeof path - strlen(path), "-wal");
	unlink(path);
	if (batched < 0 || each < 0)
		goto out;
	getrusage(RUSAGE_SELF, &ru);
	fprintf(fig, "  peak memory (max RSS): %ld KiB (includes the %ld households held in memory)\n",
	        ru.ru_maxrss, n);
	fprintf(fig, "  targets: >= 20000 records/s batched (%s), >= 1000 records/s one by one (%s)\n",
	        batched >= 20000 ? "met" : "MISSED", each >= 1000 ? "met" : "MISSED");
	failed = 0;
out:
	if (fig && fclose(fig) != 0)
		failed = 1;
	if (failed)
		fprintf(stderr, "bench_store: a phase failed: no figures\n");
	else
		fwrite(figs, 1, figs_len, stdout);
	free(figs);
	for (i = 0; hh && i < n; i++)
		json_decref(hh[i]);
	free(hh);
	saola_gen_free(g);
	return failed;
}
