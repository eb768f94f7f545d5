/* db.c: db.h's calls, passed to the connection's backend, and the one
 * place where a connection's failure message is kept. */
#include <stdarg.h>
#include <stdio.h>

#include "saola/core.h"
#include "db_int.h"

saola__db_kind_t saola__db_kind(const saola__db *db)
{
	return db->kind;
}

const char *saola__db_errmsg(const saola__db *db)
{
	return db ? db->errmsg : "no database";
}

int saola__db_fail(saola__db *db, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(db->errmsg, sizeof db->errmsg, fmt, ap);
	va_end(ap);
	return rc;
}

void saola__db_close(saola__db *db)
{
	if (db)
		db->backend->close(db);
}

int saola__db_exec(saola__db *db, const char *sql)
{
	return db->backend->exec(db, sql);
}

int saola__db_prepare(saola__db *db, const char *sql, saola__dbstmt **out)
{
	return db->backend->prepare(db, sql, out);
}

int saola__db_bind_int(saola__dbstmt *st, int i, int64_t v)
{
	return st->db->backend->bind_int(st, i, v);
}

int saola__db_bind_double(saola__dbstmt *st, int i, double v)
{
	return st->db->backend->bind_double(st, i, v);
}

int saola__db_bind_text(saola__dbstmt *st, int i, const char *v, int len)
{
	return st->db->backend->bind_text(st, i, v, len);
}

int saola__db_bind_blob(saola__dbstmt *st, int i, const void *v, size_t len)
{
	return st->db->backend->bind_blob(st, i, v, len);
}

int saola__db_bind_null(saola__dbstmt *st, int i)
{
	return st->db->backend->bind_null(st, i);
}

int saola__db_step(saola__dbstmt *st)
{
	return st->db->backend->step(st);
}

void saola__db_reset(saola__dbstmt *st)
{
	if (st)
		st->db->backend->reset(st);
}

void saola__db_finalize(saola__dbstmt *st)
{
	if (st)
		st->db->backend->finalize(st);
}

int saola__db_column_count(saola__dbstmt *st)
{
	return st->db->backend->column_count(st);
}

saola__db_type saola__db_column_type(saola__dbstmt *st, int i)
{
	return st->db->backend->column_type(st, i);
}

int64_t saola__db_column_int(saola__dbstmt *st, int i)
{
	return st->db->backend->column_int(st, i);
}

double saola__db_column_double(saola__dbstmt *st, int i)
{
	return st->db->backend->column_double(st, i);
}

const char *saola__db_column_text(saola__dbstmt *st, int i)
{
	return st->db->backend->column_text(st, i);
}

const void *saola__db_column_blob(saola__dbstmt *st, int i, size_t *len)
{
	return st->db->backend->column_blob(st, i, len);
}

size_t saola__db_column_bytes(saola__dbstmt *st, int i)
{
	return st->db->backend->column_bytes(st, i);
}

int64_t saola__db_changes(saola__db *db)
{
	return db->backend->changes(db);
}

saola__db *saola__db_of(saola__dbstmt *st)
{
	return st->db;
}

int saola__db_begin_write(saola__db *db)
{
	return db->backend->begin_write(db);
}

int saola__db_begin_read(saola__db *db)
{
	return db->backend->begin_read(db);
}

int saola__db_end(saola__db *db, int ok)
{
	return db->backend->end(db, ok);
}
