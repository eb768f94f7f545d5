/* store_pg.h: the PostgreSQL store. */
#ifndef SAOLA_STORE_PG_H
#define SAOLA_STORE_PG_H

#include <stddef.h>

#include "store.h"

/* Opens the PostgreSQL store at uri (postgresql://...), upgrading its
 * schema. On failure returns a code and err says why; *out NULL. */
int saola__store_pg_open(const char *uri, const char *schemas, int create, saola__store **out,
                         char *err, size_t errlen);

/* The forms engine of a PostgreSQL store (an in-memory core database with
 * its forms, standards and units, rebuilt when another process loaded
 * forms); NULL on failure (message in s's errmsg). */
struct saola;
struct saola *saola__store_pg_engine(saola__store *s);

#endif
