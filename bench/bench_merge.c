/* bench_merge.c: the merge of whole record states from another replica (as
 * a pull does, saola__apply_remote): generated households made on one
 * database, merged into another (new there), merged again unchanged, then
 * merged after an edit of each. Times the merges only (the states are
 * decoded beforehand). Every round is checked (each merge succeeded and
 * changed the records it should, every household made and merged): the
 * figures are printed only when all passed; else the failure is said on
 * stderr, and it exits 1 with no figures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <saola/core.h>
#include "saola_int.h"
#include "json_out.h"
#include "merge.h"
#include "wire.h"
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

static saola *open_db(const char *path)
{
	saola *db = NULL;
	char wal[1100];

	unlink(path);
	snprintf(wal, sizeof wal, "%s-wal", path);
	unlink(wal);
	if (saola_open(path, SAOLA_OPEN_CREATE, &db) != SAOLA_OK ||
	    saola_forms_load_dir(db, SAOLA_BENCH_SCHEMAS, NULL) != SAOLA_OK) {
		fprintf(stderr, "bench_merge: %s\n", saola_errmsg(db));
		saola_close(db);
		return NULL;
	}
	return db;
}

/* The figures of the rounds, printed only once every round has passed. */
static char figures[4][200];
static int nfigures;

/* The live records db holds, or -1 (said on stderr). */
static long stored(saola *db, const char *what)
{
	json_t *st = NULL;
	long n = -1;

	if (saola_status(db, &st) != SAOLA_OK)
		fprintf(stderr, "bench_merge: %s: status: %s\n", what, saola_errmsg(db));
	else if (!json_is_integer(json_object_get(st, "records")))
		fprintf(stderr, "bench_merge: %s: status: no count of records\n", what);
	else
		n = (long)json_integer_value(json_object_get(st, "records"));
	json_decref(st);
	return n;
}

/* Merges the n states of ids, as from holds them now, into to in one
 * transaction and keeps the time the merges took with the figures. 0, or
 * -1 (said on stderr, naming the round what). */

static int round_of(const char *what, saola *from, saola *to, char (*ids)[37], int n,
                    int want_changed)
{
	saola__remote *r = calloc((size_t)n, sizeof *r);
	json_t **wire = calloc((size_t)n, sizeof *wire); /* r borrows from them */
	double t0, c0, t, c;
	char err[256] = "";
	int i, rc = -1, changed, nchanged = 0;

	if (!r || !wire) {
		fprintf(stderr, "bench_merge: %s no memory\n", what);
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (saola__wire_record(from, ids[i], &wire[i]) != SAOLA_OK) {
			fprintf(stderr, "bench_merge: %s record %d: %s\n", what, i, saola_errmsg(from));
			goto done;
		}
		if (saola__wire_decode(to, wire[i], NULL, &r[i], err, sizeof err) != SAOLA_OK) {
			fprintf(stderr, "bench_merge: %s record %d: %s\n", what, i, err);
			goto done;
		}
	}
	t0 = now();
	c0 = cpu();
	if (saola_begin(to) != SAOLA_OK)
		goto out;
	for (i = 0; i < n; i++) {
		if (saola__apply_remote(to, &r[i], NULL, NULL, &changed) != SAOLA_OK)
			goto out;
		nchanged += changed;
	}
	if (saola_commit(to) != SAOLA_OK)
		goto out;
	t = now() - t0;
	c = cpu() - c0;
	/* A round that merged otherwise than it should measured something else. */
	if (nchanged != (want_changed ? n : 0)) {
		fprintf(stderr, "bench_merge: %s %d of %d records changed, not %d\n", what, nchanged,
		        n, want_changed ? n : 0);
		goto done;
	}
	snprintf(figures[nfigures++], sizeof figures[0],
	         "  %-26s %6d records in %7.3f s = %8.0f records/s   (CPU %.1f us/record)",
	         what, n, t, n / t, c * 1e6 / n);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "bench_merge: %s %s\n", what, saola_errmsg(to));
done:
	for (i = 0; r && wire && i < n; i++) {
		saola__wire_remote_free(&r[i]);
		json_decref(wire[i]);
	}
	free(r);
	free(wire);
	return rc;
}

/* The stored text of db's records (data and versions, as core and the
 * server store them): read back into trees and written again, timed, so
 * that docs/store.md can say what a binary stored format would save at
 * most. 0, or -1 (said on stderr). */
static int stored_text(saola *db, long n)
{
	sqlite3_stmt *st = NULL;
	char **text = calloc((size_t)n * 2, sizeof *text);
	json_t **tree = calloc((size_t)n * 2, sizeof *tree);
	json_t **copy = calloc((size_t)n * 2, sizeof *copy);
	long i, k = 0, bytes = 0;
	double t0, t_parse, t_write, t_copy;
	int rc = -1;

	if (!text || !tree || !copy ||
	    sqlite3_prepare_v2(db->sql, "SELECT data, versions FROM records", -1, &st, NULL)) {
		fprintf(stderr, "bench_merge: stored text: cannot read the records\n");
		goto out;
	}
	while (k < n * 2 && sqlite3_step(st) == SQLITE_ROW)
		for (i = 0; i < 2; i++, k++)
			if (!(text[k] = strdup((const char *)sqlite3_column_text(st, (int)i))))
				goto out;
	if (k != n * 2) {
		fprintf(stderr, "bench_merge: stored text: %ld records read, not %ld\n", k / 2, n);
		goto out;
	}
	t0 = now();
	for (i = 0; i < k; i++)
		if (!(tree[i] = json_loads(text[i], 0, NULL))) {
			fprintf(stderr, "bench_merge: stored text: record %ld does not parse\n", i / 2);
			goto out;
		}
	t_parse = now() - t0;
	t0 = now();
	for (i = 0; i < k; i++) {
		char *again = saola__json_dump(tree[i], NULL);
		if (!again || strcmp(again, text[i]) != 0) {
			fprintf(stderr, "bench_merge: stored text: record %ld is not written back"
			        " as stored\n", i / 2);
			free(again);
			goto out;
		}
		bytes += (long)strlen(again);
		free(again);
	}
	t_write = now() - t0;
	/* The same trees made without any text: the least that any stored
	 * format read into them would cost. */
	t0 = now();
	for (i = 0; i < k; i++)
		copy[i] = json_deep_copy(tree[i]);
	t_copy = now() - t0;
	for (i = 0; i < k; i++)
		if (!copy[i] || !json_equal(copy[i], tree[i])) {
			fprintf(stderr, "bench_merge: stored text: record %ld: no copy\n", i / 2);
			goto out;
		}
	snprintf(figures[nfigures++], sizeof figures[0],
	         "  stored JSON text, %ld bytes a record: read into trees %.1f us, written %.1f us,"
	         " the same trees copied (no text) %.1f us a record", bytes / n,
	         t_parse * 1e6 / n, t_write * 1e6 / n, t_copy * 1e6 / n);
	rc = 0;
out:
	sqlite3_finalize(st);
	for (i = 0; text && tree && copy && i < n * 2; i++) {
		free(text[i]);
		json_decref(tree[i]);
		json_decref(copy[i]);
	}
	free(text);
	free(tree);
	free(copy);
	return rc;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	char a_path[1024], b_path[1024], *end;
	char (*ids)[37] = NULL;
	saola_gen *g = NULL;
	saola *a = NULL, *b = NULL;
	long n = 5000, got;
	int i, rc = 1;

	if (argc > 1) {
		n = strtol(argv[1], &end, 10);
		if (argc > 3 || end == argv[1] || *end || n <= 0 || n > 100000000) {
			fprintf(stderr, "usage: bench_merge [HOUSEHOLDS [DIR]] (default 5000 /tmp)\n");
			return 2;
		}
	}
	snprintf(a_path, sizeof a_path, "%s/saola-bench-merge-a-%d.db", dir, (int)getpid());
	snprintf(b_path, sizeof b_path, "%s/saola-bench-merge-b-%d.db", dir, (int)getpid());
	if (!(ids = calloc((size_t)n, sizeof *ids)) || !(g = saola_gen_new(42))) {
		fprintf(stderr, "bench_merge: no memory\n");
		goto out;
	}
	if (!(a = open_db(a_path)) || !(b = open_db(b_path)))
		goto out;
	if (saola_begin(a) != SAOLA_OK)
		goto fail_a;
	for (i = 0; i < n; i++) {
		json_t *h = saola_gen_household(g, NULL);
		int put = h ? saola_put(a, "household", NULL, h, ids[i]) : SAOLA_NOMEM;
		json_decref(h);
		if (put != SAOLA_OK)
			goto fail_a;
	}
	if (saola_commit(a) != SAOLA_OK)
		goto fail_a;
	if ((got = stored(a, "making")) != n) {
		if (got >= 0)
			fprintf(stderr, "bench_merge: making: %ld records stored, not %ld\n", got, n);
		goto out;
	}
	if (round_of("new here:", a, b, ids, (int)n, 1))
		goto out;
	/* Merged as new, each must be there now (untimed). */
	if ((got = stored(b, "new here")) != n) {
		if (got >= 0)
			fprintf(stderr, "bench_merge: new here: %ld records merged, not %ld\n", got, n);
		goto out;
	}
	if (round_of("unchanged:", a, b, ids, (int)n, 0))
		goto out;
	if (saola_begin(a) != SAOLA_OK)
		goto fail_a;
	for (i = 0; i < n; i++) {
		/* a top-level text answer (head_name is computed since household
		 * 2026.2: an edit of it would change nothing) */
		json_t *edit = json_pack("{s:s}", "village", "Bench Edit");
		int put = edit ? saola_put(a, "household", ids[i], edit, NULL) : SAOLA_NOMEM;
		json_decref(edit);
		if (put != SAOLA_OK)
			goto fail_a;
	}
	if (saola_commit(a) != SAOLA_OK)
		goto fail_a;
	if (round_of("one answer edited there:", a, b, ids, (int)n, 1))
		goto out;
	if (stored_text(b, n) != 0)
		goto out;
	printf("merge benchmark: %ld generated households, whole states (a pull)\n", n);
	for (i = 0; i < nfigures; i++)
		printf("%s\n", figures[i]);
	rc = 0;
	goto out;
fail_a:
	fprintf(stderr, "bench_merge: making or editing: %s\n", saola_errmsg(a));
out:
	if (rc)
		fprintf(stderr, "bench_merge: a phase failed: no figures\n");
	saola_close(a);
	saola_close(b);
	unlink(a_path);
	unlink(b_path);
	free(ids);
	saola_gen_free(g);
	return rc;
}
