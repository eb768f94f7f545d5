/* facts.c: keeps the facts table up to date with the records: a catch-up
 * from the change sequence, in one transaction, at the start of a report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola/core.h"
#include "facts.h"
#include "report_labels.h"

/* Bump when what a fact holds, or how it is read, changes: the next
 * refresh then rebuilds the table from scratch. */
#define FACTS_VERSION 2
#define MAX_INDEXES 16

/* The database's failure at what, as e. Returns -1. */
static int fail(saola__db *db, saola__err *e, const char *what)
{
	return saola__err_set(e, SAOLA_ERROR, "facts: %s: %s", what, saola__db_errmsg(db));
}

/* Runs a one-value query; *out is 0 for no row or NULL. */
static int query_int(saola__db *db, const char *sql, const char *key, int64_t *out)
{
	saola__dbstmt *st = NULL;
	int step;

	*out = 0;
	if (saola__db_prepare(db, sql, &st) != SAOLA_OK)
		return -1;
	if (key)
		saola__db_bind_text(st, 1, key, -1);
	step = saola__db_step(st);
	if (step == SAOLA__DB_ROW)
		*out = saola__db_column_int(st, 0);
	saola__db_finalize(st);
	return step == SAOLA__DB_ROW || step == SAOLA__DB_DONE ? 0 : -1;
}

/* Where the facts stand: the sequence they reflect, -1 when they must be
 * built from scratch (never built, or by a build that counts differently),
 * and the records' latest. */
static int positions(saola__db *db, int64_t *done, int64_t *latest)
{
	int64_t version;

	if (query_int(db, "SELECT value FROM meta WHERE key = ?", "facts_version", &version) ||
	    query_int(db, "SELECT value FROM meta WHERE key = ?", "facts_seq", done) ||
	    query_int(db, "SELECT max(seq) FROM records", NULL, latest))
		return -1;
	if (version != FACTS_VERSION)
		*done = -1;
	return 0;
}

static int meta_set(saola__db *db, const char *key, int64_t value)
{
	saola__dbstmt *st = NULL;
	int step;

	if (saola__db_prepare(db, "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT (key)"
	                      " DO UPDATE SET value = excluded.value", &st) != SAOLA_OK)
		return -1;
	saola__db_bind_text(st, 1, key, -1);
	saola__db_bind_int(st, 2, value);
	step = saola__db_step(st);
	saola__db_finalize(st);
	return step == SAOLA__DB_DONE ? 0 : -1;
}

/* SQLite's: the facts table's own indexes, read from sqlite_master, to
 * drop before a bulk build and make again after it (faster than keeping
 * them up to date row by row). On PostgreSQL the build keeps them. */
typedef struct index_set {
	char *name[MAX_INDEXES], *sql[MAX_INDEXES];
	int n;
} index_set;

static void indexes_free(index_set *x)
{
	int i;

	for (i = 0; i < x->n; i++) {
		free(x->name[i]);
		free(x->sql[i]);
	}
	x->n = 0;
}

static int indexes_drop(saola__db *db, index_set *x, saola__err *e)
{
	saola__dbstmt *st = NULL;
	char sql[256];
	int step, i;

	x->n = 0;
	if (saola__db_kind(db) != SAOLA__DB_SQLITE)
		return 0;
	if (saola__db_prepare(db, "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
	                      " AND tbl_name = 'facts' AND sql IS NOT NULL", &st) != SAOLA_OK)
		return fail(db, e, "indexes");
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW && x->n < MAX_INDEXES) {
		x->name[x->n] = strdup(saola__db_column_text(st, 0));
		x->sql[x->n] = strdup(saola__db_column_text(st, 1));
		if (!x->name[x->n] || !x->sql[x->n]) {
			free(x->name[x->n]);
			free(x->sql[x->n]);
			saola__db_finalize(st);
			return saola__err_set(e, SAOLA_NOMEM, "facts: indexes: out of memory");
		}
		x->n++;
	}
	saola__db_finalize(st);
	if (step != SAOLA__DB_DONE && step != SAOLA__DB_ROW)
		return fail(db, e, "indexes");
	for (i = 0; i < x->n; i++) {
		snprintf(sql, sizeof sql, "DROP INDEX \"%s\"", x->name[i]);
		if (saola__db_exec(db, sql) != SAOLA_OK)
			return fail(db, e, "drop index");
	}
	return 0;
}

static int indexes_make(saola__db *db, const index_set *x, saola__err *e)
{
	int i;

	for (i = 0; i < x->n; i++)
		if (saola__db_exec(db, x->sql[i]) != SAOLA_OK)
			return fail(db, e, "create index");
	return 0;
}

static void bind_text_or_null(saola__dbstmt *st, int i, const char *s)
{
	if (s && *s)
		saola__db_bind_text(st, i, s, -1);
	else
		saola__db_bind_null(st, i);
}

int saola__state_code(const char *state)
{
	static const char *const names[] = {"draft", "submitted", "returned", "approved"};
	int i;

	for (i = 0; state && i < 4; i++)
		if (strcmp(state, names[i]) == 0)
			return i + 1;
	return SAOLA__STATE_DRAFT;
}

/* Writes the fact of one live household record. */
static int upsert(saola__dbstmt *ins, saola__dbstmt *rec, const saola__fact *f)
{
	int i;

	saola__db_reset(ins);
	saola__db_bind_text(ins, 1, saola__db_column_text(rec, 0), -1);
	if (f->year)
		saola__db_bind_int(ins, 2, f->year);
	else
		saola__db_bind_null(ins, 2);
	/* The units as the record has them (NULL stays NULL). */
	for (i = 0; i < 3; i++)
		saola__db_bind_text(ins, 3 + i, saola__db_column_text(rec, 3 + i), -1);
	bind_text_or_null(ins, 6, f->village);
	bind_text_or_null(ins, 7, f->household_id);
	saola__db_bind_int(ins, 8, f->cls);
	saola__db_bind_int(ins, 9, (int64_t)f->ind);
	saola__db_bind_int(ins, 10, (int64_t)f->causes);
	saola__db_bind_int(ins, 11, (int64_t)f->support);
	if (f->urban >= 0)
		saola__db_bind_int(ins, 12, f->urban);
	else
		saola__db_bind_null(ins, 12);
	saola__db_bind_int(ins, 13, saola__state_code(saola__db_column_text(rec, 7)));
	return saola__db_step(ins) == SAOLA__DB_DONE ? 0 : -1;
}

static int remove_fact(saola__dbstmt *del, saola__dbstmt *rec)
{
	saola__db_reset(del);
	saola__db_bind_text(del, 1, saola__db_column_text(rec, 0), -1);
	return saola__db_step(del) == SAOLA__DB_DONE ? 0 : -1;
}

/* Reads the records changed after `from` into the facts. */
static int catch_up(saola__db *db, int64_t from, saola__facts_stats *st, saola__err *e)
{
	/* From scratch, a scan in table order beats the seq index. */
	const char *sql = st->rebuilt
	        ? "SELECT id, deleted, form_id, province, district, commune, data, state FROM records"
	          " WHERE +seq > ?"
	        : "SELECT id, deleted, form_id, province, district, commune, data, state FROM records"
	          " WHERE seq > ?";
	saola__dbstmt *rec = NULL, *ins = NULL, *del = NULL;
	saola__fact f;
	int step, rc = -1;

	if (saola__db_prepare(db, sql, &rec) ||
	    saola__db_prepare(db, "INSERT INTO facts(record_id, year, province, district, commune,"
	                      " village, household_id, class, ind, causes, support, urban, state)"
	                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (record_id)"
	                      " DO UPDATE SET year = excluded.year, province = excluded.province,"
	                      " district = excluded.district, commune = excluded.commune,"
	                      " village = excluded.village, household_id = excluded.household_id,"
	                      " class = excluded.class, ind = excluded.ind, causes = excluded.causes,"
	                      " support = excluded.support, urban = excluded.urban,"
	                      " state = excluded.state", &ins) ||
	    saola__db_prepare(db, "DELETE FROM facts WHERE record_id = ?", &del)) {
		fail(db, e, "prepare");
		goto out;
	}
	saola__db_bind_int(rec, 1, from);
	while ((step = saola__db_step(rec)) == SAOLA__DB_ROW) {
		const char *form = saola__db_column_text(rec, 2);
		const char *data = saola__db_column_text(rec, 6);
		int live = !saola__db_column_int(rec, 1) && form && strcmp(form, SAOLA__FACTS_FORM) == 0;

		if (live && data &&
		    saola__facts_scan(data, saola__db_column_bytes(rec, 6), &f) == 0) {
			if (upsert(ins, rec, &f) != 0) {
				fail(db, e, "write");
				goto out;
			}
			st->upserted++;
			continue;
		}
		if (live)
			st->unreadable++;
		if (!st->rebuilt) {
			if (remove_fact(del, rec) != 0) {
				fail(db, e, "remove");
				goto out;
			}
			st->removed += saola__db_changes(db);
		}
	}
	if (step != SAOLA__DB_DONE) {
		fail(db, e, "read records");
		goto out;
	}
	rc = 0;
out:
	saola__db_finalize(rec);
	saola__db_finalize(ins);
	saola__db_finalize(del);
	return rc;
}

/* Empties the table for a rebuild. On PostgreSQL a DELETE leaves every
 * row dead beside its new one until a vacuum, which then leaves half the
 * pages not all-visible; TRUNCATE starts a new file (it holds off the
 * other processes' reports until the rebuild commits, as the rebuild's
 * write would). SQLite's DELETE without WHERE truncates already. */
static const char *clear_sql(saola__db *db)
{
	return saola__db_kind(db) == SAOLA__DB_POSTGRES ? "TRUNCATE facts" : "DELETE FROM facts";
}

/* Rows a refresh writes or drops from which PostgreSQL's statistics are
 * brought up to date at once. */
#define FACTS_TIDY_ROWS 20000

/* On PostgreSQL, a facts table just built, or largely rewritten, has no
 * planner statistics and no visibility map until autovacuum comes by (a
 * minute or more later): reports would plan for a handful of rows, and
 * read the table for every entry of their covering indexes. So after such
 * a refresh the table is vacuumed and analyzed at once (outside the
 * transaction, as VACUUM must be; writers are not blocked). A failure
 * only costs speed, and autovacuum still comes: not reported. */
static void tidy(saola__db *db, const saola__facts_stats *st)
{
	if (saola__db_kind(db) != SAOLA__DB_POSTGRES ||
	    (!st->rebuilt && st->upserted + st->removed < FACTS_TIDY_ROWS))
		return;
	(void)saola__db_exec(db, "VACUUM (ANALYZE) facts");
}

int saola__facts_refresh(saola__db *db, pthread_mutex_t *lock, saola__facts_stats *stats,
                         saola__err *e)
{
	saola__facts_stats local;
	saola__facts_stats *st = stats ? stats : &local;
	index_set idx = {{NULL}, {NULL}, 0};
	int64_t done, latest;
	int rc = -1;

	memset(st, 0, sizeof *st);
	if (positions(db, &done, &latest) != 0)
		return fail(db, e, "read position");
	st->seq = done > 0 ? done : 0;
	if (done >= 0 && done >= latest)
		return 0;
	if (lock)
		pthread_mutex_lock(lock);
	if (saola__db_begin_write(db) != SAOLA_OK) {
		fail(db, e, "begin");
		goto unlock;
	}
	/* Again inside the transaction: another refresh may have run. */
	if (positions(db, &done, &latest) != 0) {
		fail(db, e, "read position");
		goto rollback;
	}
	if (done >= 0 && done >= latest) {
		st->seq = done;
		saola__db_end(db, 1);
		rc = 0;
		goto unlock;
	}
	if (done < 0) {
		done = 0;
		st->rebuilt = 1;
		if (saola__db_exec(db, clear_sql(db)) != SAOLA_OK) {
			fail(db, e, "clear");
			goto rollback;
		}
		if (indexes_drop(db, &idx, e) != 0)
			goto rollback;
	}
	if (catch_up(db, done, st, e) != 0)
		goto rollback;
	if (st->rebuilt && indexes_make(db, &idx, e) != 0)
		goto rollback;
	if (meta_set(db, "facts_seq", latest) != 0 ||
	    meta_set(db, "facts_version", FACTS_VERSION) != 0) {
		fail(db, e, "save position");
		goto rollback;
	}
	/* A failed commit rolls back. */
	if (saola__db_end(db, 1) != SAOLA_OK) {
		fail(db, e, "commit");
		goto unlock;
	}
	st->seq = latest;
	rc = 0;
	goto unlock;
rollback:
	saola__db_end(db, 0);
unlock:
	indexes_free(&idx);
	if (lock)
		pthread_mutex_unlock(lock);
	if (rc == 0)
		tidy(db, st);
	return rc;
}
