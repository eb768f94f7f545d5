/* store_engine.c: a store's forms engine (store_sql.h), by backend: the
 * SQLite store's own core database, or the PostgreSQL store's in-memory
 * one (engine_pg.c). */
#include <string.h>

#include "store_sqlite.h"
#include "store_pg.h"
#include "store_sql.h"

struct saola *saola__store_forms_engine(saola__store *s)
{
	if (!s)
		return NULL;
	if (strcmp(s->ops->name, "postgresql") == 0)
		return saola__store_pg_engine(s);
	return strcmp(s->ops->name, "sqlite") == 0 ? ((sq_store *)s)->db : NULL;
}
