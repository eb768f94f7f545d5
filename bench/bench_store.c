/* bench_store.c: store throughput over generated households: one
 * transaction for all, and one transaction each (WAL, synchronous=FULL),
 * with the process's peak memory. Prints figures; asserts nothing. */
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

/* Puts n households into a fresh database; one transaction for all when
 * batched. Returns records per second, or -1 on failure. */
static double run(const char *path, json_t **households, int n, int batched)
{
	saola *db = NULL;
	char wal[1100];
	double t0, t, c0, c;
	int i;

	unlink(path);
	snprintf(wal, sizeof wal, "%s-wal", path);
	unlink(wal);
	if (saola_open(path, SAOLA_OPEN_CREATE, &db) != SAOLA_OK ||
	    saola_forms_load_dir(db, SAOLA_BENCH_SCHEMAS, NULL) != SAOLA_OK) {
		fprintf(stderr, "bench_store: %s\n", saola_errmsg(db));
		saola_close(db);
		return -1;
	}
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
	saola_close(db);
	printf("  %-30s %6d records in %7.3f s = %8.0f records/s   (CPU %.1f us/record; db %ld KiB)\n",
	       batched ? "one transaction for all:" : "one transaction each (WAL):",
	       n, t, n / t, c * 1e6 / n, file_kb(path));
	return n / t;
fail:
	fprintf(stderr, "bench_store: %s\n", saola_errmsg(db));
	saola_close(db);
	return -1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000, i;
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	char path[1024];
	json_t **hh = calloc((size_t)n, sizeof *hh);
	saola_gen *g = saola_gen_new(42);
	struct rusage ru;
	double batched, each;

	if (!hh || !g || n <= 0)
		return 1;
	for (i = 0; i < n; i++)
		hh[i] = saola_gen_household(g, NULL);
	snprintf(path, sizeof path, "%s/saola-bench-store-%d.db", dir, (int)getpid());
	printf("store benchmark: %d generated households, SQLite %s, WAL, synchronous=FULL\n",
	       n, "3");
	batched = run(path, hh, n, 1);
	each = run(path, hh, n, 0);
	getrusage(RUSAGE_SELF, &ru);
	printf("  peak memory (max RSS): %ld KiB (includes the %d households held in memory)\n",
	       ru.ru_maxrss, n);
	printf("  targets: >= 20000 records/s batched (%s), >= 1000 records/s one by one (%s)\n",
	       batched >= 20000 ? "met" : "MISSED", each >= 1000 ? "met" : "MISSED");
	unlink(path);
	snprintf(path + strlen(path), sizeof path - strlen(path), "-wal");
	unlink(path);
	for (i = 0; i < n; i++)
		json_decref(hh[i]);
	free(hh);
	saola_gen_free(g);
	return batched < 0 || each < 0;
}
