/* facts.c: keeps the facts table up to date with the records: a catch-up
 * from the change sequence, in one transaction, at the start of a report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "report_labels.h"

/* Bump when what a fact holds, or how it is read, changes: the next
 * refresh then rebuilds the table from scratch. */
#define FACTS_VERSION 2
#define MAX_INDEXES 16

static int fail(sqlite3 *db, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "facts: %s: %s", what, sqlite3_errmsg(db));
	return -1;
}

/* Runs a one-value query; *out is 0 for no row or NULL. */
static int query_int(sqlite3 *db, const char *sql, const char *key, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int step;

	*out = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (key)
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
}

/* Where the facts stand: the sequence they reflect, -1 when they must be
 * built from scratch (never built, or by a build that counts differently),
 * and the records' latest. */
static int positions(sqlite3 *db, int64_t *done, int64_t *latest)
{
	int64_t version;

	if (query_int(db, "SELECT value FROM meta WHERE key = ?1", "facts_version", &version) ||
	    query_int(db, "SELECT value FROM meta WHERE key = ?1", "facts_seq", done) ||
	    query_int(db, "SELECT max(seq) FROM records", NULL, latest))
		return -1;
	if (version != FACTS_VERSION)
		*done = -1;
	return 0;
}

static int meta_set(sqlite3 *db, const char *key, int64_t value)
{
	sqlite3_stmt *st = NULL;
	int step;

	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)", -1,
	                       &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, value);
	step = sqlite3_step(st);
	sqlite3_finalize(st);
	return step == SQLITE_DONE ? 0 : -1;
}

/* The facts table's own indexes, to drop before a bulk build and make
 * again after it (faster than keeping them up to date row by row). */
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

static int indexes_drop(sqlite3 *db, index_set *x, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char sql[256];
	int step, i;

	x->n = 0;
	if (sqlite3_prepare_v2(db, "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
	                       " AND tbl_name = 'facts' AND sql IS NOT NULL", -1, &st, NULL))
		return fail(db, err, errlen, "indexes");
	while ((step = sqlite3_step(st)) == SQLITE_ROW && x->n < MAX_INDEXES) {
		x->name[x->n] = strdup((const char *)sqlite3_column_text(st, 0));
		x->sql[x->n] = strdup((const char *)sqlite3_column_text(st, 1));
		if (!x->name[x->n] || !x->sql[x->n]) {
			free(x->name[x->n]);
			free(x->sql[x->n]);
			sqlite3_finalize(st);
			snprintf(err, errlen, "facts: indexes: out of memory");
			return -1;
		}
		x->n++;
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE && step != SQLITE_ROW)
		return fail(db, err, errlen, "indexes");
	for (i = 0; i < x->n; i++) {
		snprintf(sql, sizeof sql, "DROP INDEX \"%s\"", x->name[i]);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			return fail(db, err, errlen, "drop index");
	}
	return 0;
}

static int indexes_make(sqlite3 *db, const index_set *x, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < x->n; i++)
		if (sqlite3_exec(db, x->sql[i], NULL, NULL, NULL) != SQLITE_OK)
			return fail(db, err, errlen, "create index");
	return 0;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s && *s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
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
static int upsert(sqlite3_stmt *ins, sqlite3_stmt *rec, const saola__fact *f)
{
	int step, i;

	sqlite3_reset(ins);
	sqlite3_bind_value(ins, 1, sqlite3_column_value(rec, 0));
	if (f->year)
		sqlite3_bind_int(ins, 2, f->year);
	else
		sqlite3_bind_null(ins, 2);
	for (i = 0; i < 3; i++)
		sqlite3_bind_value(ins, 3 + i, sqlite3_column_value(rec, 3 + i));
	bind_text_or_null(ins, 6, f->village);
	bind_text_or_null(ins, 7, f->household_id);
	sqlite3_bind_int(ins, 8, f->cls);
	sqlite3_bind_int(ins, 9, (int)f->ind);
	sqlite3_bind_int(ins, 10, (int)f->causes);
	sqlite3_bind_int(ins, 11, (int)f->support);
	if (f->urban >= 0)
		sqlite3_bind_int(ins, 12, f->urban);
	else
		sqlite3_bind_null(ins, 12);
	sqlite3_bind_int(ins, 13, saola__state_code((const char *)sqlite3_column_text(rec, 7)));
	step = sqlite3_step(ins);
	return step == SQLITE_DONE ? 0 : -1;
}

static int remove_fact(sqlite3_stmt *del, sqlite3_stmt *rec)
{
	sqlite3_reset(del);
	sqlite3_bind_value(del, 1, sqlite3_column_value(rec, 0));
	return sqlite3_step(del) == SQLITE_DONE ? 0 : -1;
}

/* Reads the records changed after `from` into the facts. */
static int catch_up(sqlite3 *db, int64_t from, saola__facts_stats *st, char *err,
                    size_t errlen)
{
	/* From scratch, a scan in table order beats the seq index. */
	const char *sql = st->rebuilt
	        ? "SELECT id, deleted, form_id, province, district, commune, data, state FROM records"
	          " WHERE +seq > ?1"
	        : "SELECT id, deleted, form_id, province, district, commune, data, state FROM records"
	          " WHERE seq > ?1";
	sqlite3_stmt *rec = NULL, *ins = NULL, *del = NULL;
	saola__fact f;
	int step, rc = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &rec, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO facts(record_id, year, province,"
	                       " district, commune, village, household_id, class, ind, causes,"
	                       " support, urban, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
	                       " ?9, ?10, ?11, ?12, ?13)", -1, &ins, NULL) ||
	    sqlite3_prepare_v2(db, "DELETE FROM facts WHERE record_id = ?1", -1, &del, NULL)) {
		fail(db, err, errlen, "prepare");
		goto out;
	}
	sqlite3_bind_int64(rec, 1, from);
	while ((step = sqlite3_step(rec)) == SQLITE_ROW) {
		const char *form = (const char *)sqlite3_column_text(rec, 2);
		const char *data = (const char *)sqlite3_column_text(rec, 6);
		int live = !sqlite3_column_int(rec, 1) && form && strcmp(form, SAOLA__FACTS_FORM) == 0;

		if (live && data &&
		    saola__facts_scan(data, (size_t)sqlite3_column_bytes(rec, 6), &f) == 0) {
			if (upsert(ins, rec, &f) != 0) {
				fail(db, err, errlen, "write");
				goto out;
			}
			st->upserted++;
			continue;
		}
		if (live)
			st->unreadable++;
		if (!st->rebuilt) {
			if (remove_fact(del, rec) != 0) {
				fail(db, err, errlen, "remove");
				goto out;
			}
			st->removed += sqlite3_changes(db);
		}
	}
	if (step != SQLITE_DONE) {
		fail(db, err, errlen, "read records");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(rec);
	sqlite3_finalize(ins);
	sqlite3_finalize(del);
	return rc;
}

int saola__facts_refresh(sqlite3 *db, pthread_mutex_t *lock, saola__facts_stats *stats,
                         char *err, size_t errlen)
{
	saola__facts_stats local;
	saola__facts_stats *st = stats ? stats : &local;
	index_set idx = {{NULL}, {NULL}, 0};
	int64_t done, latest;
	int rc = -1;

	memset(st, 0, sizeof *st);
	if (positions(db, &done, &latest) != 0)
		return fail(db, err, errlen, "read position");
	st->seq = done > 0 ? done : 0;
	if (done >= 0 && done >= latest)
		return 0;
	if (lock)
		pthread_mutex_lock(lock);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		fail(db, err, errlen, "begin");
		goto unlock;
	}
	/* Again inside the transaction: another refresh may have run. */
	if (positions(db, &done, &latest) != 0) {
		fail(db, err, errlen, "read position");
		goto rollback;
	}
	if (done >= 0 && done >= latest) {
		st->seq = done;
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		rc = 0;
		goto unlock;
	}
	if (done < 0) {
		done = 0;
		st->rebuilt = 1;
		if (sqlite3_exec(db, "DELETE FROM facts", NULL, NULL, NULL) != SQLITE_OK) {
			fail(db, err, errlen, "clear");
			goto rollback;
		}
		if (indexes_drop(db, &idx, err, errlen) != 0)
			goto rollback;
	}
	if (catch_up(db, done, st, err, errlen) != 0)
		goto rollback;
	if (st->rebuilt && indexes_make(db, &idx, err, errlen) != 0)
		goto rollback;
	if (meta_set(db, "facts_seq", latest) != 0 ||
	    meta_set(db, "facts_version", FACTS_VERSION) != 0) {
		fail(db, err, errlen, "save position");
		goto rollback;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		fail(db, err, errlen, "commit");
		goto rollback;
	}
	st->seq = latest;
	rc = 0;
	goto unlock;
rollback:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
unlock:
	indexes_free(&idx);
	if (lock)
		pthread_mutex_unlock(lock);
	return rc;
}
