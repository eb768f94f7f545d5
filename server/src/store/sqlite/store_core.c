/* store_core.c: the SQLite store's core database for the modules that
 * still reach it (store_core.h); the one place outside the store's own
 * files where the store is taken for a SQLite store. */
#include <string.h>

#include "store_core.h"
#include "store_sqlite.h"
#include "store_pg.h"
#include "store_sql.h"

/* s as the SQLite store; NULL for another store. */
static sq_store *sq(saola__store *s)
{
	return s && strcmp(s->ops->name, "sqlite") == 0 ? (sq_store *)s : NULL;
}

struct saola *saola__store_core(saola__store *s)
{
	return sq(s) ? sq(s)->db : NULL;
}

struct saola *saola__store_forms_engine(saola__store *s)
{
	/* PostgreSQL's is an in-memory core database holding its forms,
	 * standards and units (engine_pg.c). */
	if (s && strcmp(s->ops->name, "postgresql") == 0)
		return saola__store_pg_engine(s);
	return saola__store_core(s);
}

struct saola__audit *saola__store_audit(saola__store *s)
{
	return sq(s) ? sq(s)->audit : NULL;
}

int saola__store_core_forms_changed(saola__store *s)
{
	return sq(s) ? saola__sq_forms_changed(sq(s)) : SAOLA_MISUSE;
}
