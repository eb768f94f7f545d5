/* store_sqlite.h: the SQLite store's connection, shared by its files. */
#ifndef SAOLA_STORE_SQLITE_H
#define SAOLA_STORE_SQLITE_H

#include <sqlite3.h>

#include "saola/core.h"
#include "saola_util.h" /* SAOLA__ERRMSG_MAX */
#include "store.h"

/* Prepared statements kept for the life of the connection. */
typedef enum sq_stmt_id {
	SQ_META_GET,
	SQ_COUNT
} sq_stmt_id;

typedef struct sq_store {
	saola__store base;
	saola *db;               /* a core database: records, forms, standards */
	sqlite3_stmt *stmt[SQ_COUNT];
	int64_t forms_gen;       /* the forms generation the cache was built at */
	int txn;                 /* 0 none, 1 write, 2 read */
	int relaxed;             /* this write runs with synchronous=NORMAL */
	char errmsg[SAOLA__ERRMSG_MAX];
} sq_store;

/* A cached statement, reset, bindings cleared; NULL on failure (errmsg). */
sqlite3_stmt *saola__sq_stmt(sq_store *s, sq_stmt_id id);

/* Records a failure with a formatted message; returns rc. */
int saola__sq_fail(sq_store *s, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Records a SQLite failure: "what: sqlite's message"; returns a saola code. */
int saola__sq_sql_fail(sq_store *s, const char *what);

/* Says, inside a write transaction, that forms were loaded into s's core
 * database by other means than forms_load: every connection recompiles. */
int saola__sq_forms_changed(sq_store *s);

/* Pulls (store_sqlite_records.c). */
int saola__sq_pull(saola__store *base, const char *area, const char *device,
                   int64_t cursor, int limit, size_t max_bytes, json_t *records,
                   int64_t *next, int *more);

/* Users, devices and batches are the shared store's (store_sql.h). */

#endif
