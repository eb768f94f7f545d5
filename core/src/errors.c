/* errors.c: result codes, their texts, and the handle's error message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola_int.h"

const char *saola_strerror(int rc)
{
	switch (rc) {
#define SAOLA__RC_TEXT(name, code, text) case code: return text;
	SAOLA_ERRNO_MAP(SAOLA__RC_TEXT)
#undef SAOLA__RC_TEXT
	default: return "unknown error";
	}
}

void saola_free(void *p)
{
	free(p);
}

int saola__error(saola *db, int rc, const char *fmt, ...)
{
	va_list ap;

	if (!db)
		return rc;
	db->rc = rc;
	va_start(ap, fmt);
	vsnprintf(db->errmsg, sizeof db->errmsg, fmt, ap);
	va_end(ap);
	return rc;
}

int saola__ok(saola *db)
{
	db->rc = SAOLA_OK;
	strcpy(db->errmsg, "ok");
	return SAOLA_OK;
}

/* SQLite's primary codes mapped to ours; never leaked through the API. */
static int map_sqlite(int code)
{
	switch (code & 0xff) {
	case SQLITE_NOMEM: return SAOLA_NOMEM;
	case SQLITE_READONLY: return SAOLA_READONLY;
	case SQLITE_BUSY: case SQLITE_LOCKED: return SAOLA_BUSY;
	case SQLITE_CORRUPT: case SQLITE_NOTADB: return SAOLA_CORRUPT;
	case SQLITE_IOERR: case SQLITE_FULL: case SQLITE_CANTOPEN:
	case SQLITE_PERM: return SAOLA_IO;
	case SQLITE_CONSTRAINT: return SAOLA_CONFLICT;
	case SQLITE_MISUSE: return SAOLA_MISUSE;
	default: return SAOLA_ERROR;
	}
}

int saola__sql_error(saola *db, const char *what)
{
	int code = db->sql ? sqlite3_extended_errcode(db->sql) : SQLITE_ERROR;
	const char *msg = db->sql ? sqlite3_errmsg(db->sql) : "no database";

	return saola__error(db, map_sqlite(code), "%s: %s", what, msg);
}

const char *saola_errmsg(const saola *db)
{
	return db ? db->errmsg : "out of memory";
}

int saola_errcode(const saola *db)
{
	return db ? db->rc : SAOLA_NOMEM;
}
