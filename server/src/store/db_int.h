/* db_int.h: what a backend of db.h fills in: its table of functions, and
 * the connection and statement headers that every backend's own structs
 * start with. For the backends' files only (store/sqlite, store/postgres). */
#ifndef SAOLA_DB_INT_H
#define SAOLA_DB_INT_H

#include "db.h"

#define SAOLA__DB_ERRMSG_MAX 512

typedef struct saola__db_backend {
	const char *name;
	void (*close)(saola__db *db);
	int (*exec)(saola__db *db, const char *sql);
	int (*prepare)(saola__db *db, const char *sql, saola__dbstmt **out);
	int (*bind_int)(saola__dbstmt *st, int i, int64_t v);
	int (*bind_double)(saola__dbstmt *st, int i, double v);
	int (*bind_text)(saola__dbstmt *st, int i, const char *v, int len);
	int (*bind_blob)(saola__dbstmt *st, int i, const void *v, size_t len);
	int (*bind_null)(saola__dbstmt *st, int i);
	int (*step)(saola__dbstmt *st);
	void (*reset)(saola__dbstmt *st);
	void (*finalize)(saola__dbstmt *st);
	int (*column_count)(saola__dbstmt *st);
	saola__db_type (*column_type)(saola__dbstmt *st, int i);
	int64_t (*column_int)(saola__dbstmt *st, int i);
	double (*column_double)(saola__dbstmt *st, int i);
	const char *(*column_text)(saola__dbstmt *st, int i);
	const void *(*column_blob)(saola__dbstmt *st, int i, size_t *len);
	size_t (*column_bytes)(saola__dbstmt *st, int i);
	int64_t (*changes)(saola__db *db);
	int (*begin_write)(saola__db *db);
	int (*begin_read)(saola__db *db);
	int (*end)(saola__db *db, int ok);
} saola__db_backend;

struct saola__db {
	const saola__db_backend *backend;
	saola__db_kind_t kind;
	void *impl;              /* the backend's connection */
	char errmsg[SAOLA__DB_ERRMSG_MAX];
};

/* Every backend's statement starts with this. */
struct saola__dbstmt {
	saola__db *db;
};

#endif
