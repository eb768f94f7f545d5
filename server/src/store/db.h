/* db.h: the server's SQL connection: one interface over SQLite and
 * PostgreSQL, so that a statement is written once and runs on either.
 *
 * The SQL both engines speak (docs/store.md, "One SQL"):
 * - parameters are `?`, numbered in order (the PostgreSQL backend turns
 *   them into $1, $2...); `?N` is not portable: bind the value twice;
 * - integers are BIGINT-sized; booleans are integers 0/1; there is no BLOB
 *   in portable statements except through saola__db_bind_blob() and
 *   saola__db_column_blob();
 * - upserts are INSERT ... ON CONFLICT (...) DO UPDATE/NOTHING; new ids come
 *   from RETURNING; no INSERT OR IGNORE/REPLACE, no last_insert_rowid();
 * - integers bind as BIGINT, texts and NULLs untyped (PostgreSQL types
 *   them from where they stand): CAST(? AS INTEGER) for a function that
 *   takes an INTEGER, CAST(? AS TEXT) IS NULL for a parameter nothing
 *   around types; booleans tested as x <> 0, never bare;
 * - coalesce(), not ifnull(); CAST(x AS DOUBLE PRECISION), not REAL;
 *   CAST(sum(x) AS BIGINT) (a NUMERIC on PostgreSQL); lower(x) LIKE
 *   lower(?) (LIKE's case differs); NULLS FIRST/LAST where order matters;
 *   no json_extract(), json_each(), group_concat() or printf() (read
 *   columns, or build the text in C);
 * - a failed statement ends a PostgreSQL transaction: end it, start over;
 * - what truly differs (schemas, pragmas, advisory locks) goes in the
 *   backend's own files, chosen with saola__db_kind().
 *
 * Errors follow one convention: a function returns a saola code
 * (SAOLA_OK, or SAOLA_BUSY, SAOLA_CONFLICT..., see below) and the
 * connection keeps the message, "what: the engine's message", until the
 * next call that fails. A connection is not thread-safe: one per thread. */
#ifndef SAOLA_DB_H
#define SAOLA_DB_H

#include <stddef.h>
#include <stdint.h>

typedef struct saola__db saola__db;      /* one connection */
typedef struct saola__dbstmt saola__dbstmt;  /* one prepared statement */

typedef enum saola__db_kind_t {
	SAOLA__DB_SQLITE = 1,
	SAOLA__DB_POSTGRES = 2
} saola__db_kind_t;

/* What saola__db_step() returns besides a failure (a saola code > 0). */
#define SAOLA__DB_ROW  (-1)   /* a row is ready: read it with column_*() */
#define SAOLA__DB_DONE (-2)   /* no more rows; the statement has run */

/* A column's type in the current row. */
typedef enum saola__db_type {
	SAOLA__DB_NULL = 0,
	SAOLA__DB_INT,
	SAOLA__DB_REAL,
	SAOLA__DB_TEXT,
	SAOLA__DB_BLOB
} saola__db_type;

saola__db_kind_t saola__db_kind(const saola__db *db);

/* The connection's last failure, "what: why"; "" when none. Never NULL. */
const char *saola__db_errmsg(const saola__db *db);

/* Closes a connection; NULL is a no-op. */
void saola__db_close(saola__db *db);

/* Records a failure of the caller's own on db (printf-style), so that the
 * message travels the same way as the engine's; returns rc. */
int saola__db_fail(saola__db *db, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Runs sql, one or more statements without parameters or rows (schema
 * steps, BEGIN...). SAOLA_OK or a code (message in errmsg). */
int saola__db_exec(saola__db *db, const char *sql);

/* Prepares sql (one statement, `?` parameters) into *out. SAOLA_OK, or a
 * code with *out NULL (the message quotes the SQL's start). Free with
 * saola__db_finalize(). */
int saola__db_prepare(saola__db *db, const char *sql, saola__dbstmt **out);

/* Binds parameter i (from 1). Text and blobs are copied; len -1 for a
 * NUL-terminated text. A NULL text binds NULL. SAOLA_OK, or SAOLA_MISUSE
 * for an index out of range, SAOLA_NOMEM. */
int saola__db_bind_int(saola__dbstmt *st, int i, int64_t v);
int saola__db_bind_double(saola__dbstmt *st, int i, double v);
int saola__db_bind_text(saola__dbstmt *st, int i, const char *v, int len);
int saola__db_bind_blob(saola__dbstmt *st, int i, const void *v, size_t len);
int saola__db_bind_null(saola__dbstmt *st, int i);

/* Runs the statement or moves to its next row (a step after DONE runs it
 * again, with the same bindings): SAOLA__DB_ROW, SAOLA__DB_DONE, or a
 * saola code (message in errmsg): SAOLA_BUSY when
 * another writer holds the database or a serialization failure asks for a
 * retry, SAOLA_CONFLICT for a unique or foreign key violation, SAOLA_READONLY,
 * SAOLA_IO, SAOLA_CORRUPT, SAOLA_ERROR otherwise. */
int saola__db_step(saola__dbstmt *st);

/* Resets the statement to run again, its bindings cleared. */
void saola__db_reset(saola__dbstmt *st);

/* Frees the statement; NULL is a no-op. */
void saola__db_finalize(saola__dbstmt *st);

/* The current row's columns (from 0), valid until the next step, reset or
 * finalize. column_text is NULL for NULL; column_int of a NULL is 0. */
int saola__db_column_count(saola__dbstmt *st);
saola__db_type saola__db_column_type(saola__dbstmt *st, int i);
int64_t saola__db_column_int(saola__dbstmt *st, int i);
double saola__db_column_double(saola__dbstmt *st, int i);
const char *saola__db_column_text(saola__dbstmt *st, int i);
const void *saola__db_column_blob(saola__dbstmt *st, int i, size_t *len);
size_t saola__db_column_bytes(saola__dbstmt *st, int i);

/* Rows the last INSERT, UPDATE or DELETE changed. */
int64_t saola__db_changes(saola__db *db);

/* The statement's connection. */
saola__db *saola__db_of(saola__dbstmt *st);

/* Transactions. A write transaction takes the database's write lock at
 * once on SQLite (BEGIN IMMEDIATE); on PostgreSQL it is READ COMMITTED,
 * and writers that touch the same rows wait on their row locks. A read
 * transaction sees one snapshot (REPEATABLE READ on PostgreSQL). end
 * commits when ok, else rolls back (a failed commit rolls back and
 * returns its code). */
int saola__db_begin_write(saola__db *db);
int saola__db_begin_read(saola__db *db);
int saola__db_end(saola__db *db, int ok);

#endif
