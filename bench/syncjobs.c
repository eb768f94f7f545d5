/* syncjobs.c: syncjobs.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "syncjobs.h"

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void *bench_sync_job(void *arg)
{
	bench_job *j = arg;

	pthread_barrier_wait(j->go);
	j->rc = saola_sync(j->db, NULL, &j->st);
	j->end = bench_now();
	if (j->rc != SAOLA_OK)
		snprintf(j->err, sizeof j->err, "%s", saola_errmsg(j->db));
	return NULL;
}

double bench_sync_all(bench_job *jobs, int n)
{
	pthread_t t[n];
	pthread_barrier_t go;
	double t0, last;
	int i;

	pthread_barrier_init(&go, NULL, (unsigned)n + 1);
	for (i = 0; i < n; i++) {
		jobs[i].go = &go;
		pthread_create(&t[i], NULL, bench_sync_job, &jobs[i]);
	}
	t0 = last = bench_now();
	pthread_barrier_wait(&go);
	for (i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		if (jobs[i].end > last)
			last = jobs[i].end;
	}
	pthread_barrier_destroy(&go);
	return last - t0;
}

/* 1 when parent is one of skip. */
static int skipped(const char *parent, const char *const *skip)
{
	for (; skip && *skip; skip++)
		if (parent && strcmp(parent, *skip) == 0)
			return 1;
	return 0;
}

json_t *bench_communes(size_t n, const char *const *skip, const char *what)
{
	json_error_t err;
	json_t *units = json_load_file(SAOLA_BENCH_SCHEMAS "/units/ninh-binh.json", 0, &err);
	json_t *out = json_array(), *u;
	size_t i;

	json_array_foreach(json_object_get(units, "units"), i, u) {
		const char *level = json_string_value(json_object_get(u, "level"));
		const char *parent = json_string_value(json_object_get(u, "parent"));
		if (level && strcmp(level, "commune") == 0 && !skipped(parent, skip) &&
		    json_array_size(out) < n)
			json_array_append(out, json_object_get(u, "code"));
	}
	json_decref(units);
	if (json_array_size(out) < n) {
		fprintf(stderr, "%s: %s: fewer than %zu communes\n", what, SAOLA_BENCH_SCHEMAS, n);
		json_decref(out);
		return NULL;
	}
	return out;
}

char *bench_user_add(const char *db, const char *name, const char *role, const char *area)
{
	char cmd[2048], line[512], *tok = NULL, *last;
	FILE *p;

	snprintf(cmd, sizeof cmd, "'%s/server/saola-server' user add --db '%s' --name %s "
	         "--role %s --area %s", SAOLA_BENCH_BINDIR, db, name, role, area);
	if (!(p = popen(cmd, "r")))
		return NULL;
	while (fgets(line, sizeof line, p)) {
		line[strcspn(line, "\r\n")] = '\0';
		last = strrchr(line, ' ');
		if (*line) {
			free(tok);
			tok = strdup(last ? last + 1 : line);
		}
	}
	if (pclose(p) != 0) {
		free(tok);
		return NULL;
	}
	return tok;
}
