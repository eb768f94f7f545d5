/* db_pg.h: db.h's PostgreSQL backend, over libpq. */
#ifndef SAOLA_DB_PG_H
#define SAOLA_DB_PG_H

#include <stddef.h>

#include "db.h"

/* Connects to uri (postgresql://user@host:port/dbname?..., any libpq
 * connection string) into *out, a connection saola__db_close() closes.
 * SAOLA_OK; else SAOLA_IO (cannot connect) or SAOLA_NOMEM, err says why
 * and *out is NULL. */
int saola__db_pg_open(const char *uri, saola__db **out, char *err, size_t errlen);

/* Rewrites sql's `?` parameters as $1, $2... into a new string (the
 * caller frees it), leaving `?` inside string literals, quoted identifiers,
 * dollar quotes and comments alone; *nparams gets their number. NULL when
 * out of memory, or for a `?N` (not portable), *nparams then -1. Exposed
 * for the tests. */
char *saola__db_pg_rewrite(const char *sql, int *nparams);

#endif
