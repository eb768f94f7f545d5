/* bench_ingest.c: ingest with 50 devices pushing at once to running
 * saola-server processes (bench/ingest.sh starts them, on SQLite or
 * PostgreSQL). Each device is a surveyor of a commune of its own with 1,000
 * new generated households; devices are spread round-robin over the URLs.
 *
 *   bench_ingest [--per-device N] --db DB URL [URL...]
 *
 * (bench/national.sh loads a large store with --per-device.)
 *
 * DB is the servers' store (a file or a postgresql:// URI), for `saola-server
 * user add`. Prints one line of figures, and only when every device's push
 * succeeded with every household sent; else prints the failure and exits 1. */
#include <pthread.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <saola/core.h>
#include <saola/sync.h>
#include "gen.h"
#include "syncjobs.h"

#define N_DEVICES 50

static int per_device = 1000;  /* --per-device N */

static char dir[512];
static const char *store;

/* A device database with the forms, its server and token, and per_device
 * new households of the commune; NULL on failure (said on stderr). */
static saola *device(int i, const char *url, const char *token, const char *commune)
{
	char path[600];
	saola *db = NULL;
	saola_gen *g = NULL;
	saola_gen_opts o;
	int k, rc = SAOLA_OK;

	snprintf(path, sizeof path, "%s/dev%02d.db", dir, i);
	memset(&o, 0, sizeof o);
	o.commune = commune;
	if (saola_open(path, SAOLA_OPEN_CREATE, &db) != SAOLA_OK ||
	    saola_forms_load_dir(db, SAOLA_BENCH_SCHEMAS, NULL) != SAOLA_OK ||
	    saola_state_set(db, "server", url) != SAOLA_OK ||
	    saola_state_set(db, "token", token) != SAOLA_OK ||
	    !(g = saola_gen_new(7000 + (uint64_t)i)) || saola_begin(db) != SAOLA_OK)
		goto fail;
	for (k = 0; k < per_device && rc == SAOLA_OK; k++) {
		json_t *h = saola_gen_household(g, &o);
		rc = h ? saola_put(db, "household", NULL, h, NULL) : SAOLA_NOMEM;
		json_decref(h);
	}
	if (rc != SAOLA_OK || saola_commit(db) != SAOLA_OK)
		goto fail;
	saola_gen_free(g);
	return db;
fail:
	fprintf(stderr, "bench_ingest: device %d: %s\n", i, db ? saola_errmsg(db) : "no memory");
	saola_gen_free(g);
	saola_close(db);
	return NULL;
}

/* Makes the users and devices; 0 when all are ready. */
static int prepare(bench_job *jobs, char **urls, int n_urls)
{
	json_t *codes = bench_communes(N_DEVICES, NULL, "bench_ingest");
	int i;

	if (!codes)
		return -1;
	for (i = 0; i < N_DEVICES; i++) {
		const char *commune = json_string_value(json_array_get(codes, (size_t)i));
		char name[32], *tok;

		snprintf(name, sizeof name, "ingest%02d", i);
		if (!(tok = bench_user_add(store, name, "surveyor", commune))) {
			fprintf(stderr, "bench_ingest: user add %s failed\n", name);
			break;
		}
		jobs[i].db = device(i, urls[i % n_urls], tok, commune);
		free(tok);
		if (!jobs[i].db)
			break;
	}
	json_decref(codes);
	return i == N_DEVICES ? 0 : -1;
}

/* CPU seconds (user and system) this process has used, its threads all. */
static double cpu_seconds(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 +
	       (double)u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

/* Pushes from every device at once; 0 when every push succeeded with
 * every household sent. *cpu: the CPU seconds the devices used meanwhile. */
static int push_all(bench_job *jobs, double *wall, double *cpu, long *requests, long *retries)
{
	int i, failed = 0;

	*cpu = cpu_seconds();
	*wall = bench_sync_all(jobs, N_DEVICES);
	*cpu = cpu_seconds() - *cpu;
	for (i = 0; i < N_DEVICES; i++) {
		if (jobs[i].rc != SAOLA_OK) {
			fprintf(stderr, "bench_ingest: device %d: %s\n", i, jobs[i].err);
			failed = 1;
		} else if (jobs[i].st.records_up != per_device) {
			fprintf(stderr, "bench_ingest: device %d: %ld records up, expected %d\n", i,
			        jobs[i].st.records_up, per_device);
			failed = 1;
		}
		*requests += jobs[i].st.requests;
		*retries += jobs[i].st.retries;
	}
	return failed ? -1 : 0;
}

int main(int argc, char **argv)
{
	static bench_job jobs[N_DEVICES];
	const char *base = getenv("TMPDIR");
	double wall = 0, cpu = 0;
	long requests = 0, retries = 0, l;
	char *end = NULL;
	int i, rc;

	if (argc > 2 && strcmp(argv[1], "--per-device") == 0) {
		l = strtol(argv[2], &end, 10);
		per_device = end == argv[2] || *end || l > 10000000 ? 0 : (int)l;
		argc -= 2, argv += 2;
	}
	if (argc < 4 || strcmp(argv[1], "--db") != 0 || per_device <= 0) {
		fprintf(stderr, "usage: bench_ingest [--per-device N] --db DB URL [URL...]\n");
		return 2;
	}
	store = argv[2];
	snprintf(dir, sizeof dir, "%s/saola-bench-ingest-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(dir)) {
		perror("bench_ingest: mkdtemp");
		return 1;
	}
	rc = prepare(jobs, argv + 3, argc - 3);
	if (rc == 0)
		rc = push_all(jobs, &wall, &cpu, &requests, &retries);
	for (i = 0; i < N_DEVICES; i++)
		saola_close(jobs[i].db);
	if (rc == 0)
		printf("%d devices x %d households over %d process(es): wall %.3f s = %.0f "
		       "households/s, requests %ld, retries %ld, devices' cpu %.1f s\n", N_DEVICES,
		       per_device, argc - 3, wall, N_DEVICES * per_device / wall, requests, retries,
		       cpu);
	else
		fprintf(stderr, "bench_ingest: failed, no figures\n");
	if (!getenv("SAOLA_BENCH_KEEP")) {
		char cmd[700];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_ingest: could not remove %s\n", dir);
	}
	return rc == 0 ? 0 : 1;
}
