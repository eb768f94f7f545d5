/* db.c: opening and closing a device database, transactions, the Lamport
 * clock, meta and sync-state values. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "saola_int.h"
#include "schema.h"

static const char *const stmt_sql[SAOLA__ST_COUNT] = {
	[SAOLA__ST_REC_GET] =
		"SELECT form_id, form_version, data, versions, deleted, created_at,"
		" created_by, updated_at, updated_by, origin, state, state_comment,"
		" issues FROM records WHERE id = ?1",
	[SAOLA__ST_REC_INSERT] =
		"INSERT INTO records(id, form_id, form_version, data, versions,"
		" deleted, province, district, commune, created_at, created_by,"
		" updated_at, updated_by, origin, seq, state, state_comment, issues)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?10, ?11, ?12, ?13,"
		" ?14, ?15, ?16)",
	[SAOLA__ST_REC_UPDATE] =
		"UPDATE records SET form_id = ?2, form_version = ?3, data = ?4,"
		" versions = ?5, deleted = ?6, province = ?7, district = ?8,"
		" commune = ?9, updated_at = ?10, updated_by = ?11, seq = ?13,"
		" state = ?14, state_comment = ?15, issues = ?16 WHERE id = ?1",
	[SAOLA__ST_OUTBOX_INSERT] =
		"INSERT INTO outbox(record_id, form_id, form_version, op, changes,"
		" version, base, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[SAOLA__ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[SAOLA__ST_META_SET] =
		"INSERT INTO meta(key, value) VALUES (?1, ?2)"
		" ON CONFLICT(key) DO UPDATE SET value = excluded.value",
};

sqlite3_stmt *saola__stmt(saola *db, saola__stmt_id id)
{
	sqlite3_stmt *st = db->stmt[id];

	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return st;
	}
	if (sqlite3_prepare_v3(db->sql, stmt_sql[id], -1,
	                       SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		saola__sql_error(db, "prepare");
		return NULL;
	}
	db->stmt[id] = st;
	return st;
}

/* Runs one statement without results through a small cache of prepared
 * statements: transaction control runs on every put. */
static int exec_cached(saola *db, const char *sql)
{
	size_t i, n = sizeof db->txn / sizeof db->txn[0];
	sqlite3_stmt *st = NULL;
	int rc;

	for (i = 0; i < n && db->txn[i].sql; i++)
		if (strcmp(db->txn[i].sql, sql) == 0) {
			st = db->txn[i].st;
			break;
		}
	if (!st) {
		if (sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL))
			return saola__sql_error(db, sql);
		if (i < n && (db->txn[i].sql = strdup(sql))) {
			db->txn[i].st = st;
		} else {
			rc = sqlite3_step(st);
			sqlite3_finalize(st);
			return rc == SQLITE_DONE ? SAOLA_OK : saola__sql_error(db, sql);
		}
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SAOLA_OK : saola__sql_error(db, sql);
}

int saola__exec(saola *db, const char *sql)
{
	if (sqlite3_exec(db->sql, sql, NULL, NULL, NULL) != SQLITE_OK)
		return saola__sql_error(db, sql);
	return SAOLA_OK;
}

int saola__meta_get_int(saola *db, const char *key, int64_t *out)
{
	sqlite3_stmt *st = saola__stmt(db, SAOLA__ST_META_GET);
	int rc = SAOLA_OK;

	*out = 0;
	if (!st)
		return db->rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW: *out = sqlite3_column_int64(st, 0); break;
	case SQLITE_DONE: break;
	default: rc = saola__sql_error(db, "meta");
	}
	sqlite3_reset(st);
	return rc;
}

int saola__meta_set_int(saola *db, const char *key, int64_t value)
{
	sqlite3_stmt *st = saola__stmt(db, SAOLA__ST_META_SET);

	if (!st)
		return db->rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, value);
	if (sqlite3_step(st) != SQLITE_DONE)
		return saola__sql_error(db, "meta");
	return SAOLA_OK;
}

static int meta_text(saola *db, const char *key, char *out, size_t outlen)
{
	sqlite3_stmt *st = NULL;
	int rc = SAOLA_NOTFOUND;

	out[0] = '\0';
	if (sqlite3_prepare_v2(db->sql, "SELECT value FROM meta WHERE key = ?1",
	                       -1, &st, NULL))
		return saola__sql_error(db, "meta");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
		snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st, 0));
		rc = SAOLA_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

int saola__tick(saola *db, int64_t *counter)
{
	int rc;

	/* A counter taken from a replica that sent one from the far future
	 * (tests/fuzz/regressions/wire/clock-overflow.json) must not wrap. */
	if (db->clock >= INT64_MAX)
		return saola__error(db, SAOLA_LIMIT, "clock: the version counter is at its"
		                    " maximum (a replica sent a version from the far future)");
	if ((rc = saola__meta_set_int(db, "clock", db->clock + 1)) != SAOLA_OK)
		return rc;
	db->clock++;
	*counter = db->clock;
	return SAOLA_OK;
}

int saola__observe(saola *db, int64_t counter)
{
	int rc;

	if (counter <= db->clock)
		return SAOLA_OK;
	if ((rc = saola__meta_set_int(db, "clock", counter)) != SAOLA_OK)
		return rc;
	db->clock = counter;
	return SAOLA_OK;
}

/* Makes this replica's identity the first time the database is opened. */
static int ensure_origin(saola *db)
{
	sqlite3_stmt *st = NULL;
	char hex[SAOLA__ORIGIN_LEN + 1];
	int rc;

	if (meta_text(db, "origin", db->origin, sizeof db->origin) == SAOLA_OK)
		return SAOLA_OK;
	if (db->readonly)
		return saola__error(db, SAOLA_CORRUPT, "open: the database has no origin id");
	if (saola__random_hex(hex, SAOLA__ORIGIN_LEN) != 0)
		return saola__error(db, SAOLA_IO, "open: no random source");
	if (sqlite3_prepare_v2(db->sql,
	                       "INSERT INTO meta(key, value) VALUES ('origin', ?1)",
	                       -1, &st, NULL))
		return saola__sql_error(db, "open: origin");
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? SAOLA_OK
	                                     : saola__sql_error(db, "open: origin");
	sqlite3_finalize(st);
	if (rc == SAOLA_OK)
		memcpy(db->origin, hex, sizeof db->origin);
	return rc;
}

int saola_open(const char *path, unsigned flags, saola **out)
{
	saola *db;
	struct stat sb;
	int oflags, rc;

	*out = NULL;
	db = calloc(1, sizeof *db);
	if (!db)
		return SAOLA_NOMEM;
	*out = db;
	saola__ok(db);
	db->readonly = (flags & SAOLA_OPEN_READONLY) != 0;
	db->server = (flags & SAOLA_OPEN_SERVER) != 0;
	if (!path || !*path)
		return saola__error(db, SAOLA_MISUSE, "open: no database path");
	if (stat(path, &sb) != 0) {
		if (db->readonly || !(flags & SAOLA_OPEN_CREATE))
			return saola__error(db, SAOLA_NOTFOUND,
			                    "open: %s: no such database (run 'saola init' first)",
			                    path);
	} else if (!S_ISREG(sb.st_mode)) {
		return saola__error(db, SAOLA_IO, "open: %s: not a regular file", path);
	}
	oflags = db->readonly ? SQLITE_OPEN_READONLY
	                      : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &db->sql, oflags | SQLITE_OPEN_NOMUTEX, NULL)) {
		rc = saola__sql_error(db, "open");
		return saola__error(db, rc, "open: %s: %s", path,
		                    db->sql ? sqlite3_errmsg(db->sql) : "cannot open");
	}
	sqlite3_extended_result_codes(db->sql, 1);
	sqlite3_busy_timeout(db->sql, 5000);
	if (!db->readonly) {
		/* WAL: readers never block the writer; FULL: a confirmed household
		 * survives a power cut. */
		if (sqlite3_exec(db->sql, "PRAGMA journal_mode=WAL", NULL, NULL, NULL)) {
			rc = saola__sql_error(db, "open");
			return saola__error(db, rc == SAOLA_ERROR ? SAOLA_CORRUPT : rc,
			                    "open: %s: %s", path, sqlite3_errmsg(db->sql));
		}
	}
	if ((rc = saola__exec(db, "PRAGMA synchronous=FULL")) != SAOLA_OK)
		return rc;
	/* 2 MiB of page cache: a village's import (about 1 MiB) stays in memory
	 * until commit. 8 MiB stored 5,000 households no faster (bench_store,
	 * side by side), and cost a phone 6 MiB more while syncing. */
	if ((rc = saola__exec(db, "PRAGMA cache_size=-2048")) != SAOLA_OK)
		return rc;
	if ((rc = saola__schema_upgrade(db, 0)) != SAOLA_OK) {
		char why[SAOLA__ERRMSG_MAX];
		snprintf(why, sizeof why, "%s", db->errmsg);
		return saola__error(db, rc, "%.400s (%.100s)", why, path);
	}
	if ((rc = ensure_origin(db)) != SAOLA_OK)
		return rc;
	if ((rc = saola__meta_get_int(db, "clock", &db->clock)) != SAOLA_OK)
		return rc;
	return saola__ok(db);
}

void saola_close(saola *db)
{
	int i;

	if (!db)
		return;
	if (db->in_txn && db->sql)
		sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
	for (i = 0; i < SAOLA__ST_COUNT; i++)
		sqlite3_finalize(db->stmt[i]);
	for (i = 0; i < (int)(sizeof db->txn / sizeof db->txn[0]); i++) {
		sqlite3_finalize(db->txn[i].st);
		free(db->txn[i].sql);
	}
	saola__forms_forget(db);
	sqlite3_close_v2(db->sql);
	free(db->actor);
	free(db);
}

const char *saola_origin(const saola *db)
{
	return db->origin;
}

int saola_schema_version(const saola *db)
{
	return db->schema_version;
}

int saola_set_actor(saola *db, const char *actor)
{
	char *copy = NULL;

	if (actor && !(copy = strdup(actor)))
		return saola__error(db, SAOLA_NOMEM, "set actor: out of memory");
	free(db->actor);
	db->actor = copy;
	return saola__ok(db);
}

int saola_begin(saola *db)
{
	int rc;

	if (db->in_txn)
		return saola__error(db, SAOLA_MISUSE, "begin: a transaction is already open");
	if (db->readonly)
		return saola__error(db, SAOLA_READONLY, "begin: the database is open read-only");
	if ((rc = saola__exec(db, "BEGIN IMMEDIATE")) != SAOLA_OK)
		return rc;
	db->in_txn = 1;
	/* Another connection (a server's other workers) may have moved the
	 * clock since this handle last read it. */
	if ((rc = saola__meta_get_int(db, "clock", &db->clock)) != SAOLA_OK) {
		saola_rollback(db);
		return rc;
	}
	return saola__ok(db);
}

int saola_commit(saola *db)
{
	if (!db->in_txn)
		return saola__error(db, SAOLA_MISUSE, "commit: no transaction is open");
	if (sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		/* The message is read before the rollback, which would replace
		 * SQLite's words ("database or disk is full") with "not an error". */
		int rc = saola__sql_error(db, "commit");
		saola_rollback(db);
		return rc;
	}
	db->in_txn = 0;
	return saola__ok(db);
}

/* Rolls back and reloads what the handle caches from the database, so that
 * the clock and forms are as the database now says. */
int saola_rollback(saola *db)
{
	if (!db->in_txn)
		return saola__error(db, SAOLA_MISUSE, "rollback: no transaction is open");
	sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
	db->in_txn = 0;
	saola__forms_forget(db);
	saola__meta_get_int(db, "clock", &db->clock);
	/* A re-origin inside the transaction was undone with it. */
	{
		char origin[sizeof db->origin];
		if (meta_text(db, "origin", origin, sizeof origin) == SAOLA_OK)
			memcpy(db->origin, origin, sizeof origin);
	}
	return SAOLA_OK;
}

int saola__write_begin(saola *db, const char *name)
{
	char sql[64];

	if (db->readonly)
		return saola__error(db, SAOLA_READONLY,
		                    "%s: the database is open read-only", name);
	if (db->in_txn) {
		snprintf(sql, sizeof sql, "SAVEPOINT %s", name);
		return exec_cached(db, sql);
	}
	{
		int rc = exec_cached(db, "BEGIN IMMEDIATE");
		/* as in saola_begin: the clock as the database has it now */
		if (rc == SAOLA_OK && (rc = saola__meta_get_int(db, "clock", &db->clock)) != SAOLA_OK)
			exec_cached(db, "ROLLBACK");
		return rc;
	}
}

int saola__write_end(saola *db, const char *name, int ok)
{
	char sql[96];

	if (db->in_txn) {
		if (ok) {
			snprintf(sql, sizeof sql, "RELEASE %s", name);
			return exec_cached(db, sql);
		}
		/* Unrecorded: after SQLITE_FULL or an I/O error SQLite has rolled
		 * the whole transaction back, and "no such savepoint" would
		 * replace the message that says what went wrong. */
		snprintf(sql, sizeof sql, "ROLLBACK TO %s", name);
		sqlite3_exec(db->sql, sql, NULL, NULL, NULL);
		snprintf(sql, sizeof sql, "RELEASE %s", name);
		sqlite3_exec(db->sql, sql, NULL, NULL, NULL);
	} else if (ok) {
		if (exec_cached(db, "COMMIT") == SAOLA_OK)
			return SAOLA_OK;
		{
			int rc = saola__sql_error(db, name);
			sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
			saola__meta_get_int(db, "clock", &db->clock);
			return rc;
		}
	} else {
		sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
	}
	/* The failed step's clock ticks were rolled back with it. */
	saola__meta_get_int(db, "clock", &db->clock);
	return SAOLA_OK;
}

int saola_state_get(saola *db, const char *key, char **value)
{
	sqlite3_stmt *st = NULL;
	int rc = SAOLA_OK;

	*value = NULL;
	if (sqlite3_prepare_v2(db->sql, "SELECT value FROM sync_state WHERE key = ?1",
	                       -1, &st, NULL))
		return saola__sql_error(db, "state");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		if (sqlite3_column_text(st, 0) &&
		    !(*value = strdup((const char *)sqlite3_column_text(st, 0))))
			rc = saola__error(db, SAOLA_NOMEM, "state: out of memory");
		break;
	case SQLITE_DONE: break;
	default: rc = saola__sql_error(db, "state");
	}
	sqlite3_finalize(st);
	return rc == SAOLA_OK ? saola__ok(db) : rc;
}

int saola_state_set(saola *db, const char *key, const char *value)
{
	sqlite3_stmt *st = NULL;
	int rc, end;

	if ((rc = saola__write_begin(db, "state")) != SAOLA_OK)
		return rc;
	if (sqlite3_prepare_v2(db->sql,
	                       value ? "INSERT INTO sync_state(key, value) VALUES (?1, ?2)"
	                               " ON CONFLICT(key) DO UPDATE SET value = excluded.value"
	                             : "DELETE FROM sync_state WHERE key = ?1",
	                       -1, &st, NULL)) {
		rc = saola__sql_error(db, "state");
		goto out;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? SAOLA_OK : saola__sql_error(db, "state");
out:
	sqlite3_finalize(st);
	end = saola__write_end(db, "state", rc == SAOLA_OK);
	if (rc == SAOLA_OK)
		rc = end; /* a commit that failed: SQLite's words */
	return rc == SAOLA_OK ? saola__ok(db) : rc;
}
