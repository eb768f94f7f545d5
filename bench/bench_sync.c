/* bench_sync.c: sync figures on loopback against an in-process saola-server:
 * 10,000 households pushed by one device and pulled by another, 50 devices
 * pushing at once, the device's peak memory, and a village of 300
 * households pushed over a 2G link (64 kbit/s, 300 ms one way: the shaping
 * proxy of tests/support/linkproxy.c); `bench_sync 2g` runs that phase
 * alone. Every phase is checked
 * (each sync succeeded, with every household sent or received): the figures,
 * gathered in memory as they come, are printed only when all passed; else
 * the failures are said on stderr, and it exits 1 with no figures. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <saola/core.h>
#include <saola/sync.h>
#include <saola/server.h>
#include "gen.h"
#include "linkproxy.h"
#include "syncjobs.h"

#define N_HOUSEHOLDS 10000
#define N_DEVICES 50
#define PER_DEVICE 1000
#define N_VILLAGE 300

static char dir[512];
static char server_db[1024];
static char url[64];
static int server_port;
static const char *self;
static FILE *fig;       /* the figures, printed at the end if nothing failed */
static int failed;

/* A failed phase: said on stderr, and no figures printed. */
static void fail(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "bench_sync: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	failed = 1;
}

static const char *path_in(const char *name)
{
	static char bufs[4][1024];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
	return b;
}

/* A user of the server (bench_user_add), with the permission "personal"
 * when above a surveyor: the token, in a new string; NULL on failure. */
static char *user_add(const char *name, const char *role, const char *area)
{
	char cmd[2048], *tok = bench_user_add(server_db, name, role, area);

	if (!tok)
		return NULL;
	/* Roles above the commune pull personal fields only with "personal". */
	if (strcmp(role, "surveyor") != 0) {
		snprintf(cmd, sizeof cmd, "'%s/server/saola-server' user grant --db '%s' --name %s "
		         "--allow personal >/dev/null", SAOLA_BENCH_BINDIR, server_db, name);
		if (system(cmd) != 0) {
			free(tok);
			return NULL;
		}
	}
	return tok;
}

/* A device database with the forms, its server and token set, and n
 * households of the district (commune NULL) or commune. */
static saola *device(const char *name, const char *token, int n, const char *district,
                     const char *commune, uint64_t seed)
{
	saola *db = NULL;
	saola_gen *g = NULL;
	saola_gen_opts o;
	int i;

	unlink(path_in(name));
	if (saola_open(path_in(name), SAOLA_OPEN_CREATE, &db) != SAOLA_OK ||
	    saola_forms_load_dir(db, SAOLA_BENCH_SCHEMAS, NULL) != SAOLA_OK ||
	    saola_state_set(db, "server", url) != SAOLA_OK ||
	    saola_state_set(db, "token", token) != SAOLA_OK)
		goto fail;
	if (n > 0) {
		memset(&o, 0, sizeof o);
		o.district = district;
		o.commune = commune;
		if (!(g = saola_gen_new(seed)) || saola_begin(db) != SAOLA_OK)
			goto fail;
		for (i = 0; i < n; i++) {
			json_t *h = saola_gen_household(g, &o);
			int rc = h ? saola_put(db, "household", NULL, h, NULL) : SAOLA_NOMEM;
			json_decref(h);
			if (rc != SAOLA_OK)
				goto fail;
		}
		if (saola_commit(db) != SAOLA_OK)
			goto fail;
		saola_gen_free(g);
	}
	return db;
fail:
	fprintf(stderr, "bench_sync: device %s: %s\n", name, db ? saola_errmsg(db) : "no memory");
	saola_gen_free(g);
	saola_close(db);
	return NULL;
}

static void print_sync(const char *what, const saola_sync_stats *st, double wall, long n)
{
	fprintf(fig, "  %s\n", what);
	fprintf(fig, "    wall %.3f s (target < 1 s), requests %ld (target <= 20), retries %ld, "
	       "batches encoded ahead %ld\n", wall, st->requests, st->retries, st->batches_ahead);
	fprintf(fig, "    bytes up %lld = %.1f per household, bytes down %lld = %.1f per household "
	       "(target <= 150 each way)\n", st->bytes_up, (double)st->bytes_up / (double)n,
	       st->bytes_down, (double)st->bytes_down / (double)n);
	fprintf(fig, "    records up %ld, down %ld\n", st->records_up, st->records_down);
}

static void concurrent(void)
{
	bench_job jobs[N_DEVICES];
	/* outside districts 372 and 375, whose records the other figures use */
	static const char *const skip[] = {"372", "375", NULL};
	json_t *codes = bench_communes(N_DEVICES, skip, "bench_sync");
	double wall;
	long errors = 0, requests = 0, retries = 0;
	long long up = 0;
	int i;

	if (!codes) {
		failed = 1;
		return;
	}
	memset(jobs, 0, sizeof jobs);
	fprintf(fig, "  preparing %d devices of %d households each...\n", N_DEVICES, PER_DEVICE);
	fflush(stdout);
	for (i = 0; i < N_DEVICES; i++) {
		const char *commune = json_string_value(json_array_get(codes, (size_t)i));
		char name[32], *tok;
		/* Each surveyor in a commune of its own, as in the field. */
		snprintf(name, sizeof name, "s%02d", i);
		if (!(tok = user_add(name, "surveyor", commune))) {
			fail("user add %s%s failed", name, "");
			return;
		}
		snprintf(name, sizeof name, "dev%02d.db", i);
		jobs[i].db = device(name, tok, PER_DEVICE, NULL, commune, 5000 + (uint64_t)i);
		free(tok);
		if (!jobs[i].db) {
			failed = 1;
			return;
		}
	}
	json_decref(codes);
	wall = bench_sync_all(jobs, N_DEVICES);
	for (i = 0; i < N_DEVICES; i++) {
		if (jobs[i].rc != SAOLA_OK) {
			if (errors++ == 0)
				fail("concurrent push: device: %s%s", jobs[i].err, "");
		} else if (jobs[i].st.records_up != PER_DEVICE) {
			errors++;
			fail("concurrent push: a device sent fewer households than it has%s%s", "", "");
		}
		requests += jobs[i].st.requests;
		retries += jobs[i].st.retries;
		up += jobs[i].st.bytes_up;
		saola_close(jobs[i].db);
	}
	fprintf(fig, "  %d devices x %d households pushed at once (surveyors, a commune each)\n",
	       N_DEVICES, PER_DEVICE);
	fprintf(fig, "    wall %.3f s = %.0f households/s (target >= 10000), errors %ld (target 0)\n",
	       wall, N_DEVICES * PER_DEVICE / wall, errors);
	fprintf(fig, "    requests %ld, retries %ld, %.1f bytes up per household\n", requests, retries,
	       (double)up / (N_DEVICES * PER_DEVICE));
}

/* The child: syncs the device at path; exits 0 on success. */
static int child_sync(const char *path)
{
	saola *db = NULL;
	saola_sync_stats st;
	int rc;

	if (saola_open(path, 0, &db) != SAOLA_OK)
		return 1;
	rc = saola_sync(db, NULL, &st);
	if (rc != SAOLA_OK)
		fprintf(stderr, "bench_sync: child: %s\n", saola_errmsg(db));
	else
		fprintf(stderr, "    child: %ld up, %ld down, %ld requests, %.3f s\n", st.records_up,
		       st.records_down, st.requests, st.seconds);
	fflush(stdout);
	saola_close(db);
	return rc == SAOLA_OK ? 0 : 1;
}

/* The device processes are started by a spawner forked at the start,
 * while this program is small: Linux carries a process's peak memory
 * (ru_maxrss) over fork and exec, so that a child of this program, big with
 * a server and 50 devices, would report this program's size. */
static int spawn_cmd = -1, spawn_res = -1;

static void spawner(int cmd, int res)
{
	FILE *in = fdopen(cmd, "r");
	char path[1100];

	while (in && fgets(path, sizeof path, in)) {
		struct rusage ru;
		int status = -1;
		char out[64];
		pid_t pid;

		path[strcspn(path, "\n")] = '\0';
		pid = fork();
		if (pid == 0) {
			execl(self, self, "--device-child", path, (char *)NULL);
			_exit(127);
		}
		memset(&ru, 0, sizeof ru);
		if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
			status = -1;
		snprintf(out, sizeof out, "%ld %.3f\n",
		         WIFEXITED(status) && WEXITSTATUS(status) == 0 ? ru.ru_maxrss : -1L,
		         (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
		if (write(res, out, strlen(out)) < 0)
			break;
	}
	_exit(0);
}

static int start_spawner(void)
{
	int cmd[2], res[2];
	pid_t pid;

	if (pipe(cmd) != 0 || pipe(res) != 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		close(cmd[1]);
		close(res[0]);
		spawner(cmd[0], res[1]);
	}
	close(cmd[0]);
	close(res[1]);
	spawn_cmd = cmd[1];
	spawn_res = res[0];
	return 0;
}

/* Runs child_sync on the device at path in a new process and returns its
 * peak resident memory in KiB, or -1; *cpu gets its CPU seconds. */
static long peak_kib(const char *path, double *cpu)
{
	char line[1100];
	long kib = -1;
	ssize_t n;

	fflush(stdout);
	snprintf(line, sizeof line, "%s\n", path);
	if (spawn_cmd < 0 || write(spawn_cmd, line, strlen(line)) != (ssize_t)strlen(line))
		return -1;
	if ((n = read(spawn_res, line, sizeof line - 1)) <= 0)
		return -1;
	line[n] = '\0';
	*cpu = 0;
	sscanf(line, "%ld %lf", &kib, cpu);
	return kib;
}

static void memory(const char *district_token)
{
	saola *db;
	long push, pull;
	double push_cpu, pull_cpu;

	if (!(db = device("mem-push.db", district_token, N_HOUSEHOLDS, "375", NULL, 9000))) {
		failed = 1;
		return;
	}
	saola_close(db);
	if (!(db = device("mem-pull.db", district_token, 0, NULL, NULL, 0))) {
		failed = 1;
		return;
	}
	saola_close(db);
	push = peak_kib(path_in("mem-push.db"), &push_cpu);
	pull = peak_kib(path_in("mem-pull.db"), &pull_cpu);
	if (push < 0 || pull < 0)
		fail("memory: the device's %s%s sync failed", push < 0 ? "push" : "pull", "");
	fprintf(fig, "  device peak memory (ru_maxrss of a process that only opens the database "
	       "and syncs)\n");
	fprintf(fig, "    pushing %d households: %.1f MiB; pulling them: %.1f MiB (target < 32 MiB)\n",
	       N_HOUSEHOLDS, push / 1024.0, pull / 1024.0);
	fprintf(fig, "    the device's own CPU time: %.2f s pushing, %.2f s pulling (the rest of "
	       "the wall time is the server's)\n", push_cpu, pull_cpu);
}

/* The village's device: a surveyor of the commune after the concurrent
 * phase's, and its households; it syncs to url_2g. NULL on failure. */
static saola *village_device(const char *url_2g)
{
	static const char *const skip[] = {"372", "375", NULL};
	json_t *codes = bench_communes(N_DEVICES + 1, skip, "bench_sync");
	const char *commune = json_string_value(json_array_get(codes, N_DEVICES));
	char *tok = codes ? user_add("village", "surveyor", commune) : NULL;
	saola *db = tok ? device("village.db", tok, N_VILLAGE, NULL, commune, 7000) : NULL;

	if (codes && !tok)
		fail("user add village%s%s failed", "", "");
	if (db && saola_state_set(db, "server", url_2g) != SAOLA_OK) {
		fail("2g: %s%s", saola_errmsg(db), "");
		saola_close(db);
		db = NULL;
	}
	json_decref(codes);
	free(tok);
	return db;
}

/* A village of N_VILLAGE households pushed by one device over 2G: the wall
 * time of the sync, and the bytes on the link each way (headers and all)
 * as the proxy counted them. */
static void village_2g(void)
{
	tu_link g2 = {64000, 300};
	tu_linkproxy *px = tu_linkproxy_start(server_port, g2, g2);
	tu_link_counts n;
	saola_sync_stats st;
	char url_2g[64];
	saola *db;
	double t0, wall;

	if (!px) {
		fail("2g: the proxy did not start%s%s", "", "");
		return;
	}
	snprintf(url_2g, sizeof url_2g, "http://127.0.0.1:%d", tu_linkproxy_port(px));
	if (!(db = village_device(url_2g))) {
		failed = 1;
		tu_linkproxy_stop(px);
		return;
	}
	t0 = bench_now();
	if (saola_sync(db, NULL, &st) != SAOLA_OK)
		fail("2g push: %s%s", saola_errmsg(db), "");
	else if (st.records_up != N_VILLAGE)
		fail("2g push: fewer households sent than the device has%s%s", "", "");
	wall = bench_now() - t0;
	tu_linkproxy_counts(px, &n);
	tu_linkproxy_stop(px);
	saola_close(db);
	fprintf(fig, "  one device pushes a village of %d households over 2G (64 kbit/s, 300 ms one "
	        "way, through a shaping proxy)\n", N_VILLAGE);
	fprintf(fig, "    wall %.3f s (target <= 4.5 s), requests %ld, retries %ld, connections %d\n",
	        wall, st.requests, st.retries, n.connections);
	fprintf(fig, "    on the link, headers included: %lld bytes up = %.1f per household, "
	        "%lld bytes down\n", n.up, (double)n.up / N_VILLAGE, n.down);
	fprintf(fig, "    the sync's own count of the same: %lld bytes up, %lld bytes down\n",
	        st.bytes_up, st.bytes_down);
}

/* The first phases: 10,000 households pushed by one device, pulled by
 * another, then 50 devices at once and the device's memory. */
static void up_and_down(void)
{
	saola_sync_stats st;
	saola *a, *b;
	char *tok_a = user_add("pusher", "district", "372");
	char *tok_b = user_add("puller", "district", "372");
	char *tok_mem = user_add("memory", "district", "375");
	double t0;

	failed = 1; /* until both devices are ready */
	if (!tok_a || !tok_b || !tok_mem) {
		fprintf(stderr, "bench_sync: user add failed\n");
		goto out;
	}
	printf("  preparing %d households on one device...\n", N_HOUSEHOLDS);
	fflush(stdout);
	if (!(a = device("a.db", tok_a, N_HOUSEHOLDS, "372", NULL, 1)))
		goto out;
	if (!(b = device("b.db", tok_b, 0, NULL, NULL, 0))) {
		saola_close(a);
		goto out;
	}
	failed = 0;
	t0 = bench_now();
	if (saola_sync(a, NULL, &st) != SAOLA_OK)
		fail("push: %s%s", saola_errmsg(a), "");
	else if (st.records_up != N_HOUSEHOLDS)
		fail("push: fewer households sent than the device has%s%s", "", "");
	print_sync("one device pushes 10,000 households to a fresh server", &st, bench_now() - t0,
	           N_HOUSEHOLDS);
	t0 = bench_now();
	if (saola_sync(b, NULL, &st) != SAOLA_OK)
		fail("pull: %s%s", saola_errmsg(b), "");
	else if (st.records_down != N_HOUSEHOLDS)
		fail("pull: fewer households received than were pushed%s%s", "", "");
	print_sync("a second device (district user) pulls them", &st, bench_now() - t0, N_HOUSEHOLDS);
	fflush(stdout);
	saola_close(a);
	saola_close(b);
	if (!failed)
		concurrent();
	if (!failed)
		memory(tok_mem);
out:
	free(tok_a);
	free(tok_b);
	free(tok_mem);
}

int main(int argc, char **argv)
{
	saola_server_opts so;
	saola_server *srv = NULL;
	const char *base = getenv("TMPDIR");
	char *figs = NULL;
	size_t figs_len = 0;
	int only_2g = argc == 2 && strcmp(argv[1], "2g") == 0;

	self = argv[0];
	if (argc == 3 && strcmp(argv[1], "--device-child") == 0)
		return child_sync(argv[2]);
	if (argc > 1 && !only_2g) {
		fprintf(stderr, "usage: bench_sync [2g]\n");
		return 2;
	}
	if (start_spawner() != 0) {
		fprintf(stderr, "bench_sync: cannot start the spawner: %s\n", strerror(errno));
		return 1;
	}
	snprintf(dir, sizeof dir, "%s/saola-bench-sync-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "bench_sync: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(server_db, sizeof server_db, "%s/server.db", dir);
	memset(&so, 0, sizeof so);
	so.db_path = server_db;
	so.listen = "127.0.0.1:0";
	so.schemas = SAOLA_BENCH_SCHEMAS;
	if (saola_server_start(&so, &srv) != SAOLA_OK) {
		fprintf(stderr, "bench_sync: server: %s\n", saola_server_errmsg(srv));
		saola_server_stop(srv);
		return 1;
	}
	server_port = saola_server_port(srv);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", server_port);
	printf("bench_sync: %s, loopback, files in %s\n", url, dir);
	if (!(fig = open_memstream(&figs, &figs_len))) {
		fprintf(stderr, "bench_sync: no memory\n");
		return 1;
	}
	if (!only_2g)
		up_and_down();
	if (!failed)
		village_2g();
	fclose(fig);
	if (failed)
		fprintf(stderr, "bench_sync: a phase failed: no figures\n");
	else
		fwrite(figs, 1, figs_len, stdout);
	free(figs);
	saola_server_stop(srv);
	if (!getenv("SAOLA_BENCH_KEEP")) {
		char cmd[700];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_sync: could not remove %s\n", dir);
	}
	return failed ? 1 : 0;
}
