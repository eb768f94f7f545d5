/* db_sqlite.c: db.h over SQLite: a thin layer, since the portable SQL is
 * SQLite's own with `?` parameters. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola/core.h"
#include "db_sqlite.h"
#include "db_int.h"

typedef struct sq_stmt {
	saola__dbstmt base;        /* first: a saola__dbstmt * is an sq_stmt * */
	sqlite3_stmt *st;
} sq_stmt;

#define SQ(st) (((sq_stmt *)(st))->st)
#define HANDLE(db) ((sqlite3 *)(db)->impl)

static const saola__db_backend sqlite_backend;

/* A saola code for a SQLite result. */
static int code_of(int src)
{
	switch (src & 0xff) {
	case SQLITE_OK: return SAOLA_OK;
	case SQLITE_BUSY: case SQLITE_LOCKED: return SAOLA_BUSY;
	case SQLITE_NOMEM: return SAOLA_NOMEM;
	case SQLITE_READONLY: return SAOLA_READONLY;
	case SQLITE_IOERR: case SQLITE_FULL: case SQLITE_CANTOPEN: return SAOLA_IO;
	case SQLITE_CORRUPT: case SQLITE_NOTADB: return SAOLA_CORRUPT;
	case SQLITE_CONSTRAINT: return SAOLA_CONFLICT;
	case SQLITE_MISUSE: case SQLITE_RANGE: return SAOLA_MISUSE;
	default: return SAOLA_ERROR;
	}
}

/* Records SQLite's failure src on db, "what: sqlite's message". */
static int sq_fail(saola__db *db, int src, const char *what)
{
	return saola__db_fail(db, code_of(src), "%s: %s", what, sqlite3_errmsg(HANDLE(db)));
}

saola__db *saola__db_sqlite_wrap(sqlite3 *sql)
{
	saola__db *db = calloc(1, sizeof *db);

	if (!db)
		return NULL;
	db->backend = &sqlite_backend;
	db->kind = SAOLA__DB_SQLITE;
	db->impl = sql;
	return db;
}

sqlite3 *saola__db_sqlite(saola__db *db)
{
	return db && db->kind == SAOLA__DB_SQLITE ? HANDLE(db) : NULL;
}

static void sq_close(saola__db *db)
{
	free(db);  /* the sqlite3 handle is its owner's */
}

static int sq_exec(saola__db *db, const char *sql)
{
	int src = sqlite3_exec(HANDLE(db), sql, NULL, NULL, NULL);

	return src == SQLITE_OK ? SAOLA_OK : sq_fail(db, src, "exec");
}

static int sq_prepare(saola__db *db, const char *sql, saola__dbstmt **out)
{
	sq_stmt *st;
	int src;
	char what[64];

	*out = NULL;
	if (!(st = calloc(1, sizeof *st)))
		return saola__db_fail(db, SAOLA_NOMEM, "prepare: out of memory");
	st->base.db = db;
	if ((src = sqlite3_prepare_v2(HANDLE(db), sql, -1, &st->st, NULL)) != SQLITE_OK) {
		snprintf(what, sizeof what, "prepare \"%.40s\"", sql);
		free(st);
		return sq_fail(db, src, what);
	}
	*out = &st->base;
	return SAOLA_OK;
}

static int bind_result(saola__dbstmt *st, int src)
{
	return src == SQLITE_OK ? SAOLA_OK : sq_fail(st->db, src, "bind");
}

static int sq_bind_int(saola__dbstmt *st, int i, int64_t v)
{
	return bind_result(st, sqlite3_bind_int64(SQ(st), i, v));
}

static int sq_bind_double(saola__dbstmt *st, int i, double v)
{
	return bind_result(st, sqlite3_bind_double(SQ(st), i, v));
}

static int sq_bind_text(saola__dbstmt *st, int i, const char *v, int len)
{
	if (!v)
		return bind_result(st, sqlite3_bind_null(SQ(st), i));
	return bind_result(st, sqlite3_bind_text(SQ(st), i, v, len, SQLITE_TRANSIENT));
}

static int sq_bind_blob(saola__dbstmt *st, int i, const void *v, size_t len)
{
	return bind_result(st, sqlite3_bind_blob64(SQ(st), i, v ? v : "", (sqlite3_uint64)len,
	                                           SQLITE_TRANSIENT));
}

static int sq_bind_null(saola__dbstmt *st, int i)
{
	return bind_result(st, sqlite3_bind_null(SQ(st), i));
}

/* A failed step's message is SQLite's alone: the caller says what ran. */
static int sq_step(saola__dbstmt *st)
{
	sqlite3 *h = HANDLE(st->db);
	int src = sqlite3_step(SQ(st));

	if (src == SQLITE_ROW)
		return SAOLA__DB_ROW;
	if (src == SQLITE_DONE)
		return SAOLA__DB_DONE;
	return saola__db_fail(st->db, code_of(sqlite3_extended_errcode(h)), "%s",
	                      sqlite3_errmsg(h));
}

static void sq_reset(saola__dbstmt *st)
{
	sqlite3_reset(SQ(st));
	sqlite3_clear_bindings(SQ(st));
}

static void sq_finalize(saola__dbstmt *st)
{
	sqlite3_finalize(SQ(st));
	free(st);
}

static int sq_column_count(saola__dbstmt *st)
{
	return sqlite3_column_count(SQ(st));
}

static saola__db_type sq_column_type(saola__dbstmt *st, int i)
{
	switch (sqlite3_column_type(SQ(st), i)) {
	case SQLITE_INTEGER: return SAOLA__DB_INT;
	case SQLITE_FLOAT: return SAOLA__DB_REAL;
	case SQLITE_TEXT: return SAOLA__DB_TEXT;
	case SQLITE_BLOB: return SAOLA__DB_BLOB;
	default: return SAOLA__DB_NULL;
	}
}

static int64_t sq_column_int(saola__dbstmt *st, int i)
{
	return sqlite3_column_int64(SQ(st), i);
}

static double sq_column_double(saola__dbstmt *st, int i)
{
	return sqlite3_column_double(SQ(st), i);
}

static const char *sq_column_text(saola__dbstmt *st, int i)
{
	return (const char *)sqlite3_column_text(SQ(st), i);
}

static const void *sq_column_blob(saola__dbstmt *st, int i, size_t *len)
{
	const void *p = sqlite3_column_blob(SQ(st), i);

	*len = (size_t)sqlite3_column_bytes(SQ(st), i);
	return p;
}

static size_t sq_column_bytes(saola__dbstmt *st, int i)
{
	return (size_t)sqlite3_column_bytes(SQ(st), i);
}

static int64_t sq_changes(saola__db *db)
{
	return sqlite3_changes64(HANDLE(db));
}

static int sq_begin_write(saola__db *db)
{
	return sq_exec(db, "BEGIN IMMEDIATE");
}

static int sq_begin_read(saola__db *db)
{
	return sq_exec(db, "BEGIN");
}

static int sq_end(saola__db *db, int ok)
{
	int rc;

	if (ok && (rc = sq_exec(db, "COMMIT")) == SAOLA_OK)
		return SAOLA_OK;
	if (!ok)
		rc = SAOLA_OK;
	/* A failed COMMIT may leave the transaction open: roll it back. */
	if (!sqlite3_get_autocommit(HANDLE(db)))
		sqlite3_exec(HANDLE(db), "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static const saola__db_backend sqlite_backend = {
	"sqlite",
	sq_close, sq_exec, sq_prepare,
	sq_bind_int, sq_bind_double, sq_bind_text, sq_bind_blob, sq_bind_null,
	sq_step, sq_reset, sq_finalize,
	sq_column_count, sq_column_type, sq_column_int, sq_column_double, sq_column_text,
	sq_column_blob, sq_column_bytes,
	sq_changes, sq_begin_write, sq_begin_read, sq_end,
};
