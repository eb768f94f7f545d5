/* schema.h: schema versions and migrations of the device database. */
#ifndef SAOLA_SCHEMA_H
#define SAOLA_SCHEMA_H

struct saola;

/* The schema version this build writes. */
int saola__schema_latest(void);
/* The SQL of migration step version (1-based), or NULL. */
const char *saola__schema_step(int version);
/* Upgrades the open database to target (0: the latest), one transaction
 * per step; refuses a database made by a newer build or another program. */
int saola__schema_upgrade(struct saola *db, int target);

#endif
