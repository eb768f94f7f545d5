/* db_sqlite.h: db.h's SQLite backend, over a connection that its owner
 * opened (the store's core database) and closes. */
#ifndef SAOLA_DB_SQLITE_H
#define SAOLA_DB_SQLITE_H

#include <sqlite3.h>

#include "db.h"

/* A db.h connection over sql, which stays its caller's: saola__db_close()
 * does not close it. NULL when out of memory. */
saola__db *saola__db_sqlite_wrap(sqlite3 *sql);

/* The SQLite handle of db; NULL when db is not SQLite's. For the SQLite
 * store's own files only. */
sqlite3 *saola__db_sqlite(saola__db *db);

#endif
