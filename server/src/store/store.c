/* store.c: opening a store: a connection URI (postgresql://...) selects
 * PostgreSQL, anything else is the path of a SQLite file, the embedded
 * default. */
#include <stdio.h>
#include <string.h>

#include "saola/core.h"
#include "store.h"

#ifdef SAOLA_HAVE_POSTGRES
#include "store_pg.h"
#endif

int saola__store_is_uri(const char *db)
{
	return db && (strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0);
}

int saola__store_open(const char *db, const char *schemas, int create, saola__store **out,
                      char *err, size_t errlen)
{
	*out = NULL;
	if (!saola__store_is_uri(db))
		return saola__store_sqlite_open(db, schemas, create, out, err, errlen);
#ifdef SAOLA_HAVE_POSTGRES
	return saola__store_pg_open(db, schemas, create, out, err, errlen);
#else
	snprintf(err, errlen, "%.40s...: this saola-server was built without PostgreSQL", db);
	return SAOLA_MISUSE;
#endif
}
