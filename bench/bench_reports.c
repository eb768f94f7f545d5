/* bench_reports.c: the province report over 314,000 generated households
 * of one survey year: its time and the server's peak memory for the first
 * report (facts built from scratch), for a later one with nothing new, and
 * for one after some records changed (incremental). Each phase runs in a
 * child process of its own, so that its peak memory is its own. Every
 * phase is checked (the households built, the facts rebuilt or brought up
 * to date with exactly the records changed, each report counting every
 * household). Prints the figures only when every phase succeeded; exits 1,
 * with none, when one fails, saying which on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <saola/core.h>
#include "facts.h"
#include "gen.h"
#include "report.h"
#include "store.h"

#define BATCH 5000
#define YEAR 2025

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this process, user and system. */
static double cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double maxrss_mib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024.0;
}

static long count_households(const char *path)
{
	saola__store *s = NULL;
	saola__dbstmt *st = NULL;
	char err[512];
	long n = -1;

	if (saola__store_sqlite_open(path, NULL, 0, &s, err, sizeof err) != SAOLA_OK)
		return -1;
	if (saola__db_prepare(saola__store_db(s), "SELECT count(*) FROM records WHERE"
	                      " form_id = 'household' AND deleted = 0", &st) == SAOLA_OK &&
	    saola__db_step(st) == SAOLA__DB_ROW)
		n = (long)saola__db_column_int(st, 0);
	saola__db_finalize(st);
	saola__store_close(s);
	return n;
}

/* Makes a server database of n generated households (with household ids)
 * of YEAR, a transaction per BATCH. 0 or 1. */
static int build(const char *path, long n)
{
	saola__store *s = NULL;
	saola_gen *g = saola_gen_new(314);
	saola_gen_opts opts;
	saola *db = NULL;
	char err[512];
	double t0 = now();
	long i;

	if (!g)
		return 1;
	saola_gen_set_household_ids(g, 1);
	memset(&opts, 0, sizeof opts);
	opts.survey_year = YEAR;
	if (saola__store_sqlite_open(path, SAOLA_BENCH_SCHEMAS, 1, &s, err, sizeof err) != SAOLA_OK) {
		fprintf(stderr, "bench_reports: %s\n", err);
		saola_gen_free(g);
		return 1;
	}
	saola__store_close(s);
	if (saola_open(path, 0, &db) != SAOLA_OK) {
		fprintf(stderr, "bench_reports: %s\n", db ? saola_errmsg(db) : "out of memory");
		goto fail;
	}
	saola_set_actor(db, "bench");
	for (i = 0; i < n; i++) {
		json_t *h = saola_gen_household(g, &opts);
		int rc;

		if (i % BATCH == 0 && saola_begin(db) != SAOLA_OK)
			goto fail_db;
		if (!h)
			goto fail_db;
		rc = saola_put(db, "household", NULL, h, NULL);
		json_decref(h);
		if (rc != SAOLA_OK)
			goto fail_db;
		if ((i % BATCH == BATCH - 1 || i == n - 1) && saola_commit(db) != SAOLA_OK)
			goto fail_db;
	}
	saola_close(db);
	saola_gen_free(g);
	printf("  built %ld households of %d in %.1f s (once; kept in %s)\n", n, YEAR,
	       now() - t0, path);
	return 0;
fail_db:
	fprintf(stderr, "bench_reports: build: %s\n", saola_errmsg(db));
fail:
	saola_close(db);
	saola_gen_free(g);
	unlink(path);
	return 1;
}

/* Edits `touch` households (their income), as syncs would between reports:
 * each to another income than it has, so that each is a change the facts
 * must catch up with. */
static int edit(const char *path, int touch)
{
	saola *db = NULL;
	saola__dbstmt *st = NULL;
	int rc = 1, i = 0;

	if (saola_open(path, 0, &db) != SAOLA_OK)
		goto out;
	if (saola_begin(db) != SAOLA_OK)
		goto out;
	/* The core's handle is opaque here: list ids with a second connection. */
	{
		saola__store *s = NULL;
		char err[512];
		if (saola__store_sqlite_open(path, NULL, 0, &s, err, sizeof err) != SAOLA_OK)
			goto out;
		if (saola__db_prepare(saola__store_db(s), "SELECT id FROM records ORDER BY random()"
		                      " LIMIT ?", &st) == SAOLA_OK) {
			saola__db_bind_int(st, 1, touch);
			while (saola__db_step(st) == SAOLA__DB_ROW) {
				const char *id = saola__db_column_text(st, 0);
				json_int_t income = 900000 + 1000 * (i % 900);
				json_t *rec = NULL, *d;

				/* Read on the core's connection, which the put reads
				 * anyway: the second one caches no records' pages. */
				if (saola_get(db, id, &rec) != SAOLA_OK)
					break;
				if (json_integer_value(json_object_get(json_object_get(rec, "data"),
				                                       "income_per_capita")) == income)
					income += 1000;
				json_decref(rec);
				d = json_pack("{s:I}", "income_per_capita", income);
				if (!d || saola_put(db, "household", id, d, NULL) != SAOLA_OK) {
					json_decref(d);
					break;
				}
				json_decref(d);
				i++;
			}
		}
		saola__db_finalize(st);
		saola__store_close(s);
	}
	if (i != touch) {
		fprintf(stderr, "bench_reports: edit: %d households edited, not %d (%s)\n", i, touch,
		        saola_errmsg(db));
		saola_close(db);
		return 1;
	}
	rc = saola_commit(db) == SAOLA_OK ? 0 : 1;
out:
	if (rc)
		fprintf(stderr, "bench_reports: edit: %s\n", db ? saola_errmsg(db) : "open failed");
	saola_close(db);
	return rc;
}

/* The households the database holds: every report's total must count
 * them all (every state is counted), else the phase fails. */
static long expected;

/* 0 when the report's summary counts the expected households. */
static int counts_all(const json_t *rep, const char *what)
{
	const json_t *total = json_object_get(json_object_get(json_object_get(json_object_get(
	        rep, "reports"), "summary"), "total"), "households");

	if (json_integer_value(total) == expected)
		return 0;
	fprintf(stderr, "bench_reports: %s: the summary counts %lld households, not %ld\n", what,
	        (long long)json_integer_value(total), expected);
	return 1;
}

/* One phase: optionally forget the facts or edit records, then refresh
 * and run every report for the province, by province and by commune. */
static int phase(const char *path, const char *label, int reset, int touch)
{
	saola__report_req rq;
	saola__facts_stats fs;
	saola__store *s = NULL;
	json_t *rep = NULL;
	saola__err e;
	char err[512];
	double rss0, t0, t_facts, t_prov, t_commune, cpu0, cpu_prov;

	if (touch && edit(path, touch) != 0)
		return 1;
	if (saola__store_sqlite_open(path, NULL, 0, &s, err, sizeof err) != SAOLA_OK) {
		fprintf(stderr, "bench_reports: %s\n", err);
		return 1;
	}
	if (reset && saola__db_exec(saola__store_db(s), "DELETE FROM meta WHERE key IN"
	                           " ('facts_version', 'facts_seq')") != SAOLA_OK) {
		fprintf(stderr, "bench_reports: %s forgetting the facts: %s\n", label,
		        saola__db_errmsg(saola__store_db(s)));
		saola__store_close(s);
		return 1;
	}
	rss0 = maxrss_mib();
	cpu0 = cpu();
	memset(&rq, 0, sizeof rq);
	rq.by = SAOLA__BY_PROVINCE;
	rq.area = "37";
	rq.year = YEAR;
	/* The generated households are drafts: count every state, so that the
	 * reports aggregate all of them, as the official ones will once the
	 * communes have approved them. */
	rq.state = "all";
	/* The report's own first step, timed apart: the facts catch-up. */
	t0 = now();
	if (saola__facts_refresh(saola__store_db(s), NULL, &fs, &e) != 0) {
		fprintf(stderr, "bench_reports: %s\n", e.message);
		saola__store_close(s);
		return 1;
	}
	t_facts = now() - t0;
	/* The facts' figure is of the work the label names: a rebuild of every
	 * household, or the households edited since (none: nothing changed). */
	if (fs.unreadable != 0 || fs.rebuilt != reset ||
	    fs.upserted != (reset ? expected : touch)) {
		fprintf(stderr, "bench_reports: %s the facts were %s with %lld written and %lld"
		        " unreadable, not %s with %ld written\n", label,
		        fs.rebuilt ? "rebuilt" : "brought up to date", (long long)fs.upserted,
		        (long long)fs.unreadable, reset ? "rebuilt" : "brought up to date",
		        reset ? expected : (long)touch);
		saola__store_close(s);
		return 1;
	}
	t0 = now();
	if (saola__report_run(saola__store_db(s), &rq, &rep, &e) != 0)
		goto fail;
	t_prov = now() - t0;
	cpu_prov = cpu() - cpu0;
	if (counts_all(rep, "by province")) {
		json_decref(rep);
		saola__store_close(s);
		return 1;
	}
	json_decref(rep);
	rq.by = SAOLA__BY_COMMUNE;
	t0 = now();
	if (saola__report_run(saola__store_db(s), &rq, &rep, &e) != 0)
		goto fail;
	t_commune = now() - t0;
	if (counts_all(rep, "by commune")) {
		json_decref(rep);
		saola__store_close(s);
		return 1;
	}
	json_decref(rep);
	saola__store_close(s);
	printf("  %-44s %6.3f s  (%.3f s CPU; facts %6.3f s: %s%lld written, %lld dropped;"
	       " all six reports %.3f s)\n", label, t_facts + t_prov, cpu_prov, t_facts,
	       fs.rebuilt ? "rebuilt, " : "", (long long)fs.upserted, (long long)fs.removed, t_prov);
	printf("  %-44s %6.3f s\n", "  the same by commune, after it:", t_commune);
	printf("  %-44s %6.1f MiB peak (%.1f MiB before the report)%s\n", "  server process memory:",
	       maxrss_mib(), rss0, t_facts + t_prov < 2 ? "" : "   [over the 2 s target]");
	return 0;
fail:
	fprintf(stderr, "bench_reports: %s\n", e.message);
	saola__store_close(s);
	return 1;
}

/* The figures of the phases that have succeeded, printed only once every
 * phase has: a benchmark that fails prints none. */
static FILE *figures;

/* Appends what a phase printed (tmp) to the figures. 0 or 1. */
static int keep(FILE *tmp)
{
	char buf[4096];
	size_t n;

	rewind(tmp);
	while ((n = fread(buf, 1, sizeof buf, tmp)) > 0)
		if (fwrite(buf, 1, n, figures) != n)
			return 1;
	return ferror(tmp) ? 1 : 0;
}

/* Runs fn in a child process, so that its peak memory is its own; what it
 * prints is kept with the figures when it succeeds. 0, or 1 (said on
 * stderr, naming the phase). */
static int in_child(const char *path, const char *label, int reset, int touch, long build_n)
{
	const char *what = build_n ? "build" : label;
	FILE *tmp = tmpfile();
	pid_t pid;
	int status, rc;

	if (!tmp) {
		perror("bench_reports: tmpfile");
		return 1;
	}
	fflush(stdout);
	if ((pid = fork()) < 0) {
		perror("bench_reports: fork");
		fclose(tmp);
		return 1;
	}
	if (pid == 0) {
		dup2(fileno(tmp), STDOUT_FILENO);
		rc = build_n ? build(path, build_n) : phase(path, label, reset, touch);
		fflush(stdout);
		_exit(rc);
	}
	rc = waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	if (rc && WIFSIGNALED(status))
		fprintf(stderr, "bench_reports: %s killed by signal %d\n", what, WTERMSIG(status));
	else if (rc)
		fprintf(stderr, "bench_reports: %s failed\n", what);
	else if ((rc = keep(tmp)) != 0)
		fprintf(stderr, "bench_reports: %s: its figures could not be kept\n", what);
	fclose(tmp);
	return rc;
}

/* The first figure of /proc/loadavg (other work on the machine skews the
 * wall times), or "?". */
static const char *loadavg(void)
{
	static char buf[32] = "?";
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%31s", buf) != 1)
			snprintf(buf, sizeof buf, "?");
		fclose(f);
	}
	return buf;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 314000;
	const char *tmp = getenv("TMPDIR");
	char path[1024], *text = NULL;
	size_t textlen = 0;

	if (n <= 0) {
		fprintf(stderr, "usage: bench_reports [HOUSEHOLDS] (default 314000)\n");
		return 2;
	}
	snprintf(path, sizeof path, "%s/saola-bench-reports-%ld.db", tmp && *tmp ? tmp : "/tmp", n);
	expected = n;
	if (!(figures = open_memstream(&text, &textlen))) {
		fprintf(stderr, "bench_reports: no memory\n");
		return 1;
	}
	fprintf(figures, "reports over %ld generated households of %d, province 37 (target: under"
	        " 2 s; load average now %s)\n", n, YEAR, loadavg());
	if (count_households(path) != n) {
		char wal[1100];
		unlink(path);
		snprintf(wal, sizeof wal, "%s-wal", path);
		unlink(wal);
		if (in_child(path, NULL, 0, 0, n) != 0 || count_households(path) != n) {
			fprintf(stderr, "bench_reports: build: the database does not hold %ld"
			        " households: no figures\n", n);
			return 1;
		}
	} else {
		fprintf(figures, "  reusing %s\n", path);
	}
	if (in_child(path, "first report (facts built from scratch):", 1, 0, 0) ||
	    in_child(path, "later report, nothing changed:", 0, 0, 0) ||
	    in_child(path, "later report, 1,000 households edited:", 0, 1000, 0) ||
	    fclose(figures) != 0) {
		fprintf(stderr, "bench_reports: a phase failed: no figures\n");
		return 1;
	}
	fputs(text, stdout);
	free(text);
	return 0;
}
