/* schema_pg.h: the PostgreSQL store's versioned schema. */
#ifndef SAOLA_SCHEMA_PG_H
#define SAOLA_SCHEMA_PG_H

#include <stdint.h>

#include "db.h"

/* Brings db's schema to the latest version, in one transaction under an
 * advisory lock (several processes may start at once). *fresh says
 * whether the database was empty. SAOLA_TOONEW for a schema newer than
 * this build knows; other codes with the message on db. */
int saola__pg_schema_upgrade(saola__db *db, int *fresh);

/* The latest schema version this build knows. */
int64_t saola__pg_schema_latest(void);

#endif
