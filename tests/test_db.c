/* test_db.c: db.h, the server's one SQL interface, held to the same cases
 * on both backends with the same SQL text: `test_db` runs them on SQLite
 * (a file in a temporary folder), `test_db pg` on PostgreSQL (a fresh
 * database on SAOLA_TEST_PG's server, tests/support/pgtest.h; skipped,
 * exit 77, when it is unset). Types, NULLs and blobs in and out, `?` left
 * alone where it is no parameter, the portable rules, changes(), RETURNING, upserts,
 * transactions, a read's snapshot, errors and their codes, 100,000 rows
 * read (with another statement run halfway), and two writers on one row. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "testutil.h"
#include "pgtest.h"
#include "db.h"
#include "db_pg.h"
#include "db_sqlite.h"

/* Every test's table, made anew before each test. */
static const char *schema =
	"DROP TABLE IF EXISTS t;"
	"CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT UNIQUE, n BIGINT,"
	" x DOUBLE PRECISION, b BYTEA);";

static int on_pg;                /* the backend this run tests */
static char sqlite_path[1024];

/* One connection, and for SQLite the handle under it. */
typedef struct conn {
	saola__db *db;
	sqlite3 *sq;
} conn;

static void conn_open(conn *c)
{
	char err[256] = "";

	memset(c, 0, sizeof *c);
	if (on_pg) {
		assert_int_equal(saola__db_pg_open(pgt_uri(), &c->db, err, sizeof err), SAOLA_OK);
		return;
	}
	assert_int_equal(sqlite3_open(sqlite_path, &c->sq), SQLITE_OK);
	/* WAL: a reader and a writer at once, as on PostgreSQL */
	assert_int_equal(sqlite3_exec(c->sq, "PRAGMA journal_mode=WAL", NULL, NULL, NULL), SQLITE_OK);
	assert_non_null(c->db = saola__db_sqlite_wrap(c->sq));
}

static void conn_close(conn *c)
{
	saola__db_close(c->db);
	if (c->sq)
		sqlite3_close(c->sq);
}

static int setup(void **state)
{
	conn *c = calloc(1, sizeof *c);

	conn_open(c);
	assert_int_equal(saola__db_exec(c->db, schema), SAOLA_OK);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	conn_close(*state);
	free(*state);
	return 0;
}

#define DB(state) (((conn *)*(state))->db)

/* Prepares sql or fails the test, saying why. */
static saola__dbstmt *prep(saola__db *db, const char *sql)
{
	saola__dbstmt *st = NULL;
	int rc = saola__db_prepare(db, sql, &st);

	if (rc != SAOLA_OK)
		fail_msg("prepare %s: %s", sql, saola__db_errmsg(db));
	return st;
}

/* Runs sql with no parameters to its end, or fails the test. */
static void run(saola__db *db, const char *sql)
{
	assert_int_equal(saola__db_exec(db, sql), SAOLA_OK);
}

/* The first column of the first row of sql, an integer (-1: no row). */
static int64_t one_int(saola__db *db, const char *sql)
{
	saola__dbstmt *st = prep(db, sql);
	int64_t v = -1;
	int rc = saola__db_step(st);

	if (rc == SAOLA__DB_ROW)
		v = saola__db_column_int(st, 0);
	else if (rc != SAOLA__DB_DONE)
		fail_msg("%s: %s", sql, saola__db_errmsg(db));
	saola__db_finalize(st);
	return v;
}

/* ---- types ---- */

typedef struct value_case {
	const char *what;
	saola__db_type type;     /* what column_type says on the way back */
	int64_t i;
	double d;
	const char *text;        /* NULL for SQL NULL */
	int text_len;
	const unsigned char *blob;
	size_t blob_len;
} value_case;

static const unsigned char zeros[] = {0, 1, 0, 255, 0};

static const value_case values[] = {
	{"largest integer", SAOLA__DB_INT, INT64_MAX, 0, NULL, 0, NULL, 0},
	{"smallest integer", SAOLA__DB_INT, INT64_MIN, 0, NULL, 0, NULL, 0},
	{"a double", SAOLA__DB_REAL, 0, 0.1, NULL, 0, NULL, 0},
	{"a huge double", SAOLA__DB_REAL, 0, -1.5e300, NULL, 0, NULL, 0},
	{"text with quotes", SAOLA__DB_TEXT, 0, 0, "it's \"quoted\" ? $1 \\", -1, NULL, 0},
	{"text of a given length", SAOLA__DB_TEXT, 0, 0, "abcdef", 3, NULL, 0},
	{"text in UTF-8", SAOLA__DB_TEXT, 0, 0, "Hu\xe1\xba\xbf", -1, NULL, 0},
	{"empty text", SAOLA__DB_TEXT, 0, 0, "", -1, NULL, 0},
	{"a blob with zero bytes", SAOLA__DB_BLOB, 0, 0, NULL, 0, zeros, sizeof zeros},
	{"an empty blob", SAOLA__DB_BLOB, 0, 0, NULL, 0, zeros, 0},
	{"NULL", SAOLA__DB_NULL, 0, 0, NULL, 0, NULL, 0},
};

/* Which column a case's value goes to. */
static const char *column_of(const value_case *v)
{
	switch (v->type) {
	case SAOLA__DB_INT: return "n";
	case SAOLA__DB_REAL: return "x";
	case SAOLA__DB_BLOB: return "b";
	default: return "name";
	}
}

static void bind_case(saola__dbstmt *st, int i, const value_case *v)
{
	int rc;

	switch (v->type) {
	case SAOLA__DB_INT: rc = saola__db_bind_int(st, i, v->i); break;
	case SAOLA__DB_REAL: rc = saola__db_bind_double(st, i, v->d); break;
	case SAOLA__DB_TEXT: rc = saola__db_bind_text(st, i, v->text, v->text_len); break;
	case SAOLA__DB_BLOB: rc = saola__db_bind_blob(st, i, v->blob, v->blob_len); break;
	default: rc = saola__db_bind_null(st, i); break;
	}
	assert_int_equal(rc, SAOLA_OK);
}

static void check_case(saola__dbstmt *st, int col, const value_case *v)
{
	size_t len;
	const void *p;
	size_t want;

	assert_int_equal(saola__db_column_type(st, col), v->type);
	switch (v->type) {
	case SAOLA__DB_INT:
		assert_true(saola__db_column_int(st, col) == v->i);
		break;
	case SAOLA__DB_REAL:
		assert_true(saola__db_column_double(st, col) == v->d);
		break;
	case SAOLA__DB_TEXT:
		want = v->text_len < 0 ? strlen(v->text) : (size_t)v->text_len;
		assert_int_equal(saola__db_column_bytes(st, col), want);
		assert_memory_equal(saola__db_column_text(st, col), v->text, want);
		assert_int_equal(saola__db_column_text(st, col)[want], '\0');
		break;
	case SAOLA__DB_BLOB:
		p = saola__db_column_blob(st, col, &len);
		assert_int_equal(len, v->blob_len);
		assert_int_equal(saola__db_column_bytes(st, col), v->blob_len);
		if (len)
			assert_memory_equal(p, v->blob, len);
		break;
	default:
		assert_null(saola__db_column_text(st, col));
		assert_int_equal(saola__db_column_int(st, col), 0);
		assert_true(saola__db_column_double(st, col) == 0.0);
		break;
	}
}

/* Each value in its column and back, through a parameter both ways
 * (INSERT ... VALUES (?), SELECT ... WHERE id = ?). */
static void test_types(void **state)
{
	saola__db *db = DB(state);
	char sql[128];
	size_t i;

	for (i = 0; i < sizeof values / sizeof *values; i++) {
		const value_case *v = &values[i];
		saola__dbstmt *st;

		snprintf(sql, sizeof sql, "INSERT INTO t(id, %s) VALUES (?, ?)", column_of(v));
		st = prep(db, sql);
		assert_int_equal(saola__db_bind_int(st, 1, (int64_t)i), SAOLA_OK);
		bind_case(st, 2, v);
		if (saola__db_step(st) != SAOLA__DB_DONE)
			fail_msg("%s: %s", v->what, saola__db_errmsg(db));
		saola__db_finalize(st);

		snprintf(sql, sizeof sql, "SELECT %s, id FROM t WHERE id = ?", column_of(v));
		st = prep(db, sql);
		assert_int_equal(saola__db_bind_int(st, 1, (int64_t)i), SAOLA_OK);
		assert_int_equal(saola__db_step(st), SAOLA__DB_ROW);
		assert_int_equal(saola__db_column_count(st), 2);
		check_case(st, 0, v);
		assert_int_equal(saola__db_column_int(st, 1), (int64_t)i);
		assert_int_equal(saola__db_step(st), SAOLA__DB_DONE);
		saola__db_finalize(st);
	}
	/* a NULL text binds NULL */
	assert_int_equal(saola__db_exec(db, "DELETE FROM t"), SAOLA_OK);
	{
		saola__dbstmt *st = prep(db, "INSERT INTO t(id, name) VALUES (1, ?)");

		assert_int_equal(saola__db_bind_text(st, 1, NULL, -1), SAOLA_OK);
		assert_int_equal(saola__db_step(st), SAOLA__DB_DONE);
		saola__db_finalize(st);
	}
	assert_int_equal(one_int(db, "SELECT count(*) FROM t WHERE name IS NULL"), 1);
}

/* A statement run again after a reset, its bindings cleared (unbound is
 * NULL) and its types changed. */
static void test_reset(void **state)
{
	saola__db *db = DB(state);
	saola__dbstmt *st = prep(db, "INSERT INTO t(id, n, name) VALUES (?, ?, ?)");

	assert_int_equal(saola__db_bind_int(st, 1, 1), SAOLA_OK);
	assert_int_equal(saola__db_bind_int(st, 2, 7), SAOLA_OK);
	assert_int_equal(saola__db_bind_text(st, 3, "a", -1), SAOLA_OK);
	assert_int_equal(saola__db_step(st), SAOLA__DB_DONE);
	saola__db_reset(st);
	assert_int_equal(saola__db_bind_int(st, 1, 2), SAOLA_OK);
	assert_int_equal(saola__db_bind_text(st, 2, "8", -1), SAOLA_OK);  /* text into BIGINT */
	assert_int_equal(saola__db_step(st), SAOLA__DB_DONE);
	saola__db_finalize(st);
	assert_int_equal(one_int(db, "SELECT n FROM t WHERE id = 2"), 8);
	assert_int_equal(one_int(db, "SELECT count(*) FROM t WHERE id = 2 AND name IS NULL"), 1);
	assert_int_equal(one_int(db, "SELECT sum(n) FROM t"), 15);
}

/* `?` in literals, quoted identifiers and comments is no parameter. */
static void test_question_marks(void **state)
{
	saola__db *db = DB(state);
	saola__dbstmt *st = prep(db, "SELECT 'it''s ?' AS \"a?\", ? AS b, -- a ? here\n"
	                             " /* and ? there */ ? AS c");

	assert_int_equal(saola__db_bind_int(st, 1, 41), SAOLA_OK);
	assert_int_equal(saola__db_bind_text(st, 2, "x?", -1), SAOLA_OK);
	assert_int_equal(saola__db_bind_int(st, 3, 1), SAOLA_MISUSE);  /* two, not more */
	assert_int_equal(saola__db_step(st), SAOLA__DB_ROW);
	assert_int_equal(saola__db_column_count(st), 3);
	assert_string_equal(saola__db_column_text(st, 0), "it's ?");
	assert_int_equal(saola__db_column_type(st, 1), SAOLA__DB_INT);
	assert_int_equal(saola__db_column_int(st, 1), 41);
	assert_string_equal(saola__db_column_text(st, 2), "x?");
	saola__db_finalize(st);
}

/* The rewriting of `?` itself, case by case (PostgreSQL's backend). */
static void test_rewrite(void **state)
{
	static const struct {
		const char *in, *out;
		int n;
	} cases[] = {
		{"SELECT ?", "SELECT $1", 1},
		{"a = ? AND b = ?", "a = $1 AND b = $2", 2},
		{"'?' || ?", "'?' || $1", 1},
		{"'it''s ?' ?", "'it''s ?' $1", 1},
		{"E'\\'?' ?", "E'\\'?' $1", 1},
		{"'\\' ?", "'\\' $1", 1},      /* standard strings: \ is a character */
		{"\"col?\" ?", "\"col?\" $1", 1},
		{"\"a\"\"?\" ?", "\"a\"\"?\" $1", 1},
		{"-- ?\n?", "-- ?\n$1", 1},
		{"/* ? /* ? */ ? */ ?", "/* ? /* ? */ ? */ $1", 1},
		{"$$ ? $$ ?", "$$ ? $$ $1", 1},
		{"$f$ ?$ $f$ ?", "$f$ ?$ $f$ $1", 1},
		{"'unterminated ?", "'unterminated ?", 0},
		{"a = ?1", NULL, -1},                /* ?N: refused */
		{"'?1' ?", "'?1' $1", 1},
		{"", "", 0},
	};
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *out = saola__db_pg_rewrite(cases[i].in, &n);

		if (!cases[i].out) {
			assert_null(out);
			assert_int_equal(n, cases[i].n);
			continue;
		}
		assert_non_null(out);
		if (strcmp(out, cases[i].out) != 0 || n != cases[i].n)
			fail_msg("rewrite [%s]: got [%s] %d, expected [%s] %d", cases[i].in, out, n,
			         cases[i].out, cases[i].n);
		free(out);
	}
}

/* The portable rules of docs/store.md ("One SQL"), one expression each,
 * the same number on both. */
static void test_portable_rules(void **state)
{
	static const struct {
		const char *sql;
		int bind;               /* 1: ? is bound to 2; 2: ? is bound NULL */
		int64_t want;
	} cases[] = {
		{"SELECT CAST(sum(n) AS BIGINT) FROM t", 0, 6},
		{"SELECT count(*) FROM t WHERE n <> 0", 0, 3},
		{"SELECT 2 > 1", 0, 1},
		{"SELECT 7 / 2", 0, 3},
		{"SELECT CAST(CAST(7 AS DOUBLE PRECISION) / 2 * 10 AS BIGINT)", 0, 35},
		{"SELECT coalesce(NULL, 7)", 0, 7},
		{"SELECT lower('ABC') LIKE lower('a%')", 0, 1},
		{"SELECT coalesce(n, -1) FROM t ORDER BY n NULLS FIRST LIMIT 1", 0, -1},
		{"SELECT coalesce(n, -1) FROM t ORDER BY n DESC NULLS LAST LIMIT 1", 0, 3},
		{"SELECT length(substr('abcd', CAST(? AS INTEGER)))", 1, 3},
		{"SELECT count(*) FROM t WHERE n = ?", 1, 1},
		{"SELECT CASE WHEN CAST(? AS TEXT) IS NULL THEN 1 ELSE 0 END", 2, 1},
		{"SELECT n, count(*) FROM t WHERE n IS NOT NULL GROUP BY n ORDER BY n LIMIT 1", 0, 1},
	};
	saola__db *db = DB(state);
	size_t i;

	run(db, "INSERT INTO t(id, n) VALUES (1, 1), (2, 2), (3, 3), (4, NULL)");
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		saola__dbstmt *st = prep(db, cases[i].sql);

		if (cases[i].bind == 1)
			assert_int_equal(saola__db_bind_int(st, 1, 2), SAOLA_OK);
		else if (cases[i].bind == 2)
			assert_int_equal(saola__db_bind_null(st, 1), SAOLA_OK);
		if (saola__db_step(st) != SAOLA__DB_ROW)
			fail_msg("%s: %s", cases[i].sql, saola__db_errmsg(db));
		if (saola__db_column_int(st, 0) != cases[i].want)
			fail_msg("%s: %lld, expected %lld", cases[i].sql,
			         (long long)saola__db_column_int(st, 0), (long long)cases[i].want);
		assert_int_equal(saola__db_column_type(st, 0), SAOLA__DB_INT);
		saola__db_finalize(st);
	}
}

/* ---- changes, RETURNING, upserts ---- */

static void test_changes(void **state)
{
	saola__db *db = DB(state);
	saola__dbstmt *st;

	run(db, "INSERT INTO t(id, n) VALUES (1, 1), (2, 2), (3, 3)");
	assert_int_equal(saola__db_changes(db), 3);
	st = prep(db, "UPDATE t SET n = n + 10 WHERE n >= ?");
	assert_int_equal(saola__db_bind_int(st, 1, 2), SAOLA_OK);
	assert_int_equal(saola__db_step(st), SAOLA__DB_DONE);
	assert_int_equal(saola__db_changes(db), 2);
	saola__db_finalize(st);
	/* a SELECT leaves the count of the last change */
	assert_int_equal(one_int(db, "SELECT count(*) FROM t"), 3);
	assert_int_equal(saola__db_changes(db), 2);
	st = prep(db, "DELETE FROM t WHERE id = ?");
	assert_int_equal(saola__db_bind_int(st, 1, 42), SAOLA_OK);
	assert_int_equal(saola__db_step(st), SAOLA__DB_DONE);
	assert_int_equal(saola__db_changes(db), 0);
	saola__db_finalize(st);
}

static void test_returning(void **state)
{
	saola__db *db = DB(state);
	saola__dbstmt *st = prep(db, "INSERT INTO t(id, name, n) VALUES (?, ?, 5), (?, 'b', 6)"
	                             " RETURNING id, n * 2");
	int64_t sum = 0;
	int rows = 0, rc;

	saola__db_bind_int(st, 1, 10);
	saola__db_bind_text(st, 2, "a", -1);
	saola__db_bind_int(st, 3, 11);
	while ((rc = saola__db_step(st)) == SAOLA__DB_ROW) {
		rows++;
		sum += saola__db_column_int(st, 0) * 100 + saola__db_column_int(st, 1);
	}
	assert_int_equal(rc, SAOLA__DB_DONE);
	assert_int_equal(rows, 2);
	assert_int_equal(sum, 1000 + 10 + 1100 + 12);
	assert_int_equal(saola__db_changes(db), 2);
	saola__db_finalize(st);
}

static void test_upsert(void **state)
{
	saola__db *db = DB(state);
	saola__dbstmt *st;

	run(db, "INSERT INTO t(id, name, n) VALUES (1, 'a', 1)");
	st = prep(db, "INSERT INTO t(id, name, n) VALUES (?, ?, ?) ON CONFLICT(name) DO NOTHING");
	saola__db_bind_int(st, 1, 2);
	saola__db_bind_text(st, 2, "a", -1);
	saola__db_bind_int(st, 3, 2);
	assert_int_equal(saola__db_step(st), SAOLA__DB_DONE);
	assert_int_equal(saola__db_changes(db), 0);
	saola__db_finalize(st);

	st = prep(db, "INSERT INTO t(id, name, n) VALUES (?, ?, ?)"
	              " ON CONFLICT(name) DO UPDATE SET n = t.n + excluded.n RETURNING id, n");
	saola__db_bind_int(st, 1, 3);
	saola__db_bind_text(st, 2, "a", -1);
	saola__db_bind_int(st, 3, 40);
	assert_int_equal(saola__db_step(st), SAOLA__DB_ROW);
	assert_int_equal(saola__db_column_int(st, 0), 1);  /* the row that was there */
	assert_int_equal(saola__db_column_int(st, 1), 41);
	assert_int_equal(saola__db_step(st), SAOLA__DB_DONE);
	assert_int_equal(saola__db_changes(db), 1);
	saola__db_finalize(st);
	assert_int_equal(one_int(db, "SELECT count(*) FROM t"), 1);
}

/* ---- transactions ---- */

static void test_transactions(void **state)
{
	saola__db *db = DB(state);

	assert_int_equal(saola__db_begin_write(db), SAOLA_OK);
	run(db, "INSERT INTO t(id) VALUES (1)");
	assert_int_equal(saola__db_end(db, 0), SAOLA_OK);
	assert_int_equal(one_int(db, "SELECT count(*) FROM t"), 0);

	assert_int_equal(saola__db_begin_write(db), SAOLA_OK);
	run(db, "INSERT INTO t(id) VALUES (2)");
	assert_int_equal(saola__db_end(db, 1), SAOLA_OK);
	assert_int_equal(one_int(db, "SELECT count(*) FROM t"), 1);

	/* a failed statement, then a rollback: the connection works after */
	assert_int_equal(saola__db_begin_write(db), SAOLA_OK);
	run(db, "INSERT INTO t(id) VALUES (3)");
	assert_int_equal(saola__db_exec(db, "INSERT INTO t(id) VALUES (2)"), SAOLA_CONFLICT);
	assert_int_equal(saola__db_end(db, 0), SAOLA_OK);
	assert_int_equal(one_int(db, "SELECT count(*) FROM t"), 1);
}

/* A transaction in a transaction, and a commit without one, are refused
 * (PostgreSQL would only warn); the open one goes on. */
static void test_nested_begin(void **state)
{
	saola__db *db = DB(state);

	assert_int_equal(saola__db_begin_write(db), SAOLA_OK);
	run(db, "INSERT INTO t(id) VALUES (1)");
	assert_int_not_equal(saola__db_begin_write(db), SAOLA_OK);
	assert_int_not_equal(saola__db_begin_read(db), SAOLA_OK);
	assert_int_equal(saola__db_end(db, 1), SAOLA_OK);
	assert_int_not_equal(saola__db_end(db, 1), SAOLA_OK);
	assert_int_equal(saola__db_end(db, 0), SAOLA_OK);  /* a rollback of nothing */
	assert_int_equal(one_int(db, "SELECT count(*) FROM t"), 1);
}

/* A read transaction sees one snapshot: another connection's commit shows
 * only after it ends. */
static void test_read_snapshot(void **state)
{
	saola__db *db = DB(state);
	conn other;

	run(db, "INSERT INTO t(id) VALUES (1)");
	conn_open(&other);
	assert_int_equal(saola__db_begin_read(db), SAOLA_OK);
	assert_int_equal(one_int(db, "SELECT count(*) FROM t"), 1);
	run(other.db, "INSERT INTO t(id) VALUES (2)");
	assert_int_equal(one_int(other.db, "SELECT count(*) FROM t"), 2);
	assert_int_equal(one_int(db, "SELECT count(*) FROM t"), 1);
	assert_int_equal(saola__db_end(db, 1), SAOLA_OK);
	assert_int_equal(one_int(db, "SELECT count(*) FROM t"), 2);
	conn_close(&other);
}

/* ---- one statement, many runs ---- */

/* One SQL text run with an integer, a text and a NULL bound in turn
 * (PostgreSQL prepares a statement per SQL text and parameter types:
 * each run must use its own). */
static void test_types_change(void **state)
{
	saola__db *db = DB(state);
	saola__dbstmt *st;
	int k;

	run(db, "INSERT INTO t(id, name, n) VALUES (1, 'a', 5), (2, 'b', 6)");
	st = prep(db, "SELECT count(*) FROM t WHERE n = ? OR name = ?");
	for (k = 0; k < 3; k++) {
		if (k == 0)
			saola__db_bind_int(st, 1, 5);
		else if (k == 1)
			saola__db_bind_text(st, 1, "6", -1);
		else
			saola__db_bind_null(st, 1);
		saola__db_bind_text(st, 2, k == 2 ? "a" : "none", -1);
		assert_int_equal(saola__db_step(st), SAOLA__DB_ROW);
		assert_int_equal(saola__db_column_int(st, 0), 1);
		assert_int_equal(saola__db_step(st), SAOLA__DB_DONE);
		saola__db_reset(st);
	}
	saola__db_finalize(st);
}

/* k + add, run as statement number k of its own SQL text. */
static int64_t added(saola__db *db, int k, int64_t add)
{
	char sql[64];
	saola__dbstmt *st;
	int64_t v = -1;

	snprintf(sql, sizeof sql, "SELECT %d + CAST(? AS BIGINT)", k);
	st = prep(db, sql);
	saola__db_bind_int(st, 1, add);
	if (saola__db_step(st) == SAOLA__DB_ROW)
		v = saola__db_column_int(st, 0);
	saola__db_finalize(st);
	return v;
}

/* More distinct statements than PostgreSQL's statement cache holds, each
 * run twice: every run answers its own statement. */
static void test_many_statements(void **state)
{
	saola__db *db = DB(state);
	int k, pass;

	for (pass = 0; pass < 2; pass++)
		for (k = 0; k < 1000; k++)
			assert_int_equal(added(db, k, pass), k + pass);
}

/* ---- errors ---- */

/* A syntax error: on SQLite at prepare, on PostgreSQL at the first step
 * (nothing is sent before); either way a SAOLA_ERROR saying so. */
static void test_syntax_error(void **state)
{
	saola__db *db = DB(state);
	saola__dbstmt *st = NULL;
	int rc = saola__db_prepare(db, "SELEC id FROM t", &st);

	if (rc == SAOLA_OK) {
		rc = saola__db_step(st);
		saola__db_finalize(st);
	} else {
		assert_null(st);
	}
	assert_int_equal(rc, SAOLA_ERROR);
	assert_non_null(strstr(saola__db_errmsg(db), "syntax error"));
	assert_int_equal(saola__db_exec(db, "SELEC 1"), SAOLA_ERROR);
	assert_true(strncmp(saola__db_errmsg(db), "exec: ", 6) == 0);
	assert_non_null(strstr(saola__db_errmsg(db), "syntax error"));
	/* the connection works after */
	assert_int_equal(one_int(db, "SELECT 1"), 1);
}

static void test_unique_violation(void **state)
{
	saola__db *db = DB(state);
	saola__dbstmt *st;

	run(db, "INSERT INTO t(id, name) VALUES (1, 'a')");
	st = prep(db, "INSERT INTO t(id, name) VALUES (?, ?)");
	saola__db_bind_int(st, 1, 2);
	saola__db_bind_text(st, 2, "a", -1);
	assert_int_equal(saola__db_step(st), SAOLA_CONFLICT);
	/* SQLite's "UNIQUE constraint failed", PostgreSQL's "duplicate key
	 * value violates unique constraint" */
	assert_true(strstr(saola__db_errmsg(db), "UNIQUE") || strstr(saola__db_errmsg(db), "unique"));
	saola__db_reset(st);
	saola__db_bind_int(st, 1, 2);
	saola__db_bind_text(st, 2, "b", -1);
	assert_int_equal(saola__db_step(st), SAOLA__DB_DONE);
	saola__db_finalize(st);
	assert_int_equal(one_int(db, "SELECT count(*) FROM t"), 2);
}

/* A write in a read transaction is refused. */
static void test_read_only(void **state)
{
	saola__db *db = DB(state);
	int rc;

	if (!on_pg)
		skip();  /* SQLite's BEGIN may become a write: no read-only mode */
	assert_int_equal(saola__db_begin_read(db), SAOLA_OK);
	rc = saola__db_exec(db, "INSERT INTO t(id) VALUES (1)");
	assert_int_equal(rc, SAOLA_READONLY);
	assert_int_equal(saola__db_end(db, 0), SAOLA_OK);
}

/* ---- a big result ---- */

#define BIG 100000

/* 100,000 rows, read one by one; halfway, another statement runs on the
 * same connection and the rows go on. */
static void test_big_result(void **state)
{
	saola__db *db = DB(state);
	saola__dbstmt *st = prep(db, "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL"
	                             " SELECT i + 1 FROM s WHERE i < ?) SELECT i, 'row' FROM s");
	int64_t sum = 0, rows = 0, want = 0;
	int rc;

	assert_int_equal(saola__db_bind_int(st, 1, BIG), SAOLA_OK);
	while ((rc = saola__db_step(st)) == SAOLA__DB_ROW) {
		rows++;
		sum += saola__db_column_int(st, 0);
		assert_string_equal(saola__db_column_text(st, 1), "row");
		if (rows == BIG / 2) {
			run(db, "INSERT INTO t(id, n) VALUES (1, 1)");
			assert_int_equal(one_int(db, "SELECT n FROM t WHERE id = 1"), 1);
		}
	}
	assert_int_equal(rc, SAOLA__DB_DONE);
	/* a step after the end runs the statement again, bindings kept */
	assert_int_equal(saola__db_step(st), SAOLA__DB_ROW);
	assert_int_equal(saola__db_column_int(st, 0), 1);
	want = (int64_t)BIG * (BIG + 1) / 2;
	assert_int_equal(rows, BIG);
	assert_int_equal(sum, want);
	/* a reset halfway drops the rest; the statement runs again whole */
	saola__db_reset(st);
	assert_int_equal(saola__db_bind_int(st, 1, 3), SAOLA_OK);
	assert_int_equal(saola__db_step(st), SAOLA__DB_ROW);
	saola__db_reset(st);
	assert_int_equal(saola__db_bind_int(st, 1, 3), SAOLA_OK);
	for (rows = 0; saola__db_step(st) == SAOLA__DB_ROW; rows++)
		;
	assert_int_equal(rows, 3);
	saola__db_finalize(st);
	/* and finalized halfway */
	st = prep(db, "SELECT id FROM t");
	assert_int_equal(saola__db_step(st), SAOLA__DB_ROW);
	saola__db_finalize(st);
	assert_int_equal(one_int(db, "SELECT count(*) FROM t"), 1);
}

/* ---- two writers on one row ---- */

typedef struct waiter {
	saola__db *db;
	const char *sql;
	int rc_update, rc_end;
} waiter;

/* Runs w->sql in w->db's open write transaction, and ends it. */
static void *second_writer(void *arg)
{
	waiter *w = arg;

	w->rc_update = saola__db_exec(w->db, w->sql);
	w->rc_end = saola__db_end(w->db, w->rc_update == SAOLA_OK);
	return NULL;
}

/* Whether the backend of pid waits on a lock (pg_locks). */
static int waits_on_lock(saola__db *db, int64_t pid)
{
	saola__dbstmt *st = prep(db, "SELECT count(*) FROM pg_locks WHERE pid = ? AND NOT granted");
	int n;

	saola__db_bind_int(st, 1, pid);
	assert_int_equal(saola__db_step(st), SAOLA__DB_ROW);
	n = (int)saola__db_column_int(st, 0);
	saola__db_finalize(st);
	return n > 0;
}

/* PostgreSQL: the second writer of a row waits for the first one's commit,
 * then updates what it committed. SQLite: the second writer is told BUSY
 * at once (no busy timeout on these handles). */
static void test_row_lock(void **state)
{
	saola__db *db = DB(state);
	conn other, watch;
	waiter w = {0};
	pthread_t th;
	int64_t pid;
	struct timespec tick = {0, 1000000};

	run(db, "INSERT INTO t(id, n) VALUES (1, 1)");
	conn_open(&other);
	assert_int_equal(saola__db_begin_write(db), SAOLA_OK);
	run(db, "UPDATE t SET n = n + 1 WHERE id = 1");
	if (!on_pg) {
		assert_int_equal(saola__db_begin_write(other.db), SAOLA_BUSY);
		assert_int_equal(saola__db_end(db, 1), SAOLA_OK);
		conn_close(&other);
		return;
	}
	pid = one_int(other.db, "SELECT pg_backend_pid()");
	/* a lock not to be had at once is BUSY too (55P03) */
	assert_int_equal(saola__db_exec(other.db, "SELECT id FROM t WHERE id = 1 FOR UPDATE NOWAIT"),
	                 SAOLA_BUSY);
	assert_int_equal(saola__db_begin_write(other.db), SAOLA_OK);
	w.db = other.db;
	w.sql = "UPDATE t SET n = n * 10 WHERE id = 1";
	assert_int_equal(pthread_create(&th, NULL, second_writer, &w), 0);
	/* the outcome hangs on no timing: the first commit waits until the
	 * second writer is seen waiting (polled, 1 ms apart) */
	conn_open(&watch);
	while (!waits_on_lock(watch.db, pid))
		nanosleep(&tick, NULL);
	conn_close(&watch);
	assert_int_equal(saola__db_end(db, 1), SAOLA_OK);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(w.rc_update, SAOLA_OK);
	assert_int_equal(w.rc_end, SAOLA_OK);
	assert_int_equal(one_int(db, "SELECT n FROM t WHERE id = 1"), 20);
	conn_close(&other);
}

/* A deadlock's loser is told BUSY (retry), the other goes on. */
static void test_deadlock(void **state)
{
	saola__db *db = DB(state);
	conn other;
	waiter w = {0};
	pthread_t th;
	int64_t pid;
	int rc;
	struct timespec tick = {0, 1000000};

	if (!on_pg)
		skip();  /* SQLite has one writer: no deadlock between two */
	run(db, "INSERT INTO t(id, n) VALUES (1, 1), (2, 2)");
	conn_open(&other);
	pid = one_int(other.db, "SELECT pg_backend_pid()");
	assert_int_equal(saola__db_begin_write(db), SAOLA_OK);
	assert_int_equal(saola__db_begin_write(other.db), SAOLA_OK);
	run(db, "UPDATE t SET n = 0 WHERE id = 2");
	run(other.db, "UPDATE t SET n = 0 WHERE id = 1");
	w.db = other.db;
	w.sql = "UPDATE t SET n = 7 WHERE id = 2";
	assert_int_equal(pthread_create(&th, NULL, second_writer, &w), 0);  /* waits on row 2 */
	while (!waits_on_lock(db, pid))
		nanosleep(&tick, NULL);
	/* row 1 is other's, which waits on our row 2: one of us is chosen */
	rc = saola__db_exec(db, "UPDATE t SET n = 5 WHERE id = 1");
	if (rc == SAOLA_OK) {
		assert_int_equal(saola__db_end(db, 1), SAOLA_OK);
	} else {
		assert_int_equal(rc, SAOLA_BUSY);
		assert_non_null(strstr(saola__db_errmsg(db), "deadlock"));
		assert_int_equal(saola__db_end(db, 0), SAOLA_OK);
	}
	assert_int_equal(pthread_join(th, NULL), 0);
	/* exactly one of the two lost */
	assert_true((rc == SAOLA_BUSY) != (w.rc_update == SAOLA_BUSY));
	conn_close(&other);
}

/* A connection the server dropped: SAOLA_IO, and again after. */
static void test_connection_lost(void **state)
{
	saola__db *db = DB(state);
	conn doomed;
	saola__dbstmt *st;
	int64_t pid;

	if (!on_pg)
		skip();  /* an embedded database has no connection to lose */
	conn_open(&doomed);
	pid = one_int(doomed.db, "SELECT pg_backend_pid()");
	st = prep(db, "SELECT pg_terminate_backend(CAST(? AS INTEGER), 60000)");
	assert_int_equal(saola__db_bind_int(st, 1, pid), SAOLA_OK);
	assert_int_equal(saola__db_step(st), SAOLA__DB_ROW);
	assert_int_equal(saola__db_column_int(st, 0), 1);
	saola__db_finalize(st);
	assert_int_equal(saola__db_exec(doomed.db, "SELECT 1"), SAOLA_IO);
	assert_true(strncmp(saola__db_errmsg(doomed.db), "exec: ", 6) == 0);
	st = prep(doomed.db, "SELECT 1");
	assert_int_equal(saola__db_step(st), SAOLA_IO);
	saola__db_finalize(st);
	conn_close(&doomed);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_question_marks, setup, teardown),
		cmocka_unit_test(test_rewrite),
		cmocka_unit_test_setup_teardown(test_portable_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_returning, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upsert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_begin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_types_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_statements, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unique_violation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_result, setup, teardown),
		cmocka_unit_test_setup_teardown(test_row_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadlock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_lost, setup, teardown),
	};
	const char *dir;
	int rc;

	on_pg = argc > 1 && strcmp(argv[1], "pg") == 0;
	if (on_pg) {
		pgt_require();
		if (!pgt_uri())
			return 1;
		return cmocka_run_group_tests_name("test_db (postgresql)", tests, NULL, NULL);
	}
	dir = tu_tmpdir("db");
	snprintf(sqlite_path, sizeof sqlite_path, "%s/db.sqlite", dir);
	rc = cmocka_run_group_tests_name("test_db (sqlite)", tests, NULL, NULL);
	tu_rmtree(dir);
	return rc;
}
