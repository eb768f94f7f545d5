/* syncjobs.h: what the benchmarks that sync many devices at once share
 * (bench_sync, bench_ingest): a monotonic clock, a device's sync run in a
 * thread from a common start, and communes of the shipped units. */
#ifndef SAOLA_BENCH_SYNCJOBS_H
#define SAOLA_BENCH_SYNCJOBS_H

#include <pthread.h>

#include <jansson.h>
#include <saola/core.h>
#include <saola/sync.h>

/* Seconds on the monotonic clock. */
double bench_now(void);

/* One device's sync: started in a thread by bench_sync_job once every
 * thread waits at go; rc, end (bench_now) and stats when it returns, err
 * on failure. */
typedef struct bench_job {
	saola *db;
	pthread_barrier_t *go;
	int rc;
	double end;
	saola_sync_stats st;
	char err[256];
} bench_job;

void *bench_sync_job(void *arg);

/* Syncs the n devices of jobs at once (a thread each, started together)
 * and waits for all: the seconds from the start to the last one's end.
 * Each job's rc, stats and err say how it went. */
double bench_sync_all(bench_job *jobs, int n);

/* The first n communes of Ninh Binh in the shipped units, leaving out
 * those of the districts named in skip (NULL-terminated; NULL: none): a new
 * array of codes; NULL (said on stderr by what) when there are fewer. */
json_t *bench_communes(size_t n, const char *const *skip, const char *what);

/* `saola-server user add` on the server database db: the token it printed,
 * in a new string (free()); NULL on failure. */
char *bench_user_add(const char *db, const char *name, const char *role, const char *area);

#endif
