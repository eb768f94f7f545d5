/* unitsfx.h: a small reorganisation to test against, in a temporary
 * schemas folder: an old province 37 (districts 372 and 375, five
 * communes) and a neighbour 35 (two communes), both until 2025-06-30; a
 * new province 37 from 2025-07-01 with five communes and no districts:
 *   20001 <- 14404 (whole), 14407 (whole)
 *   20002 <- 14410 (whole)
 *   20003 <- 14560 (whole), 14563 (part)
 *   20004 <- 14563 (part), 13000 (whole; of the old province 35)
 *   20005 <- 13003 (whole; of 35)
 * so that old 372 is covered exactly, old 375 and old 37 partly (14563
 * split in two; 20004 takes in part of 35). The forms and standards are
 * the project's; a targets file for old 37 (baseline 2021, 10 poor). */
#ifndef SAOLA_UNITSFX_H
#define SAOLA_UNITSFX_H

#include <sqlite3.h>

#include "store.h"

/* Makes the fixture's schemas folder under a new temporary folder;
 * returns its path (static storage, until the next call). */
const char *ux_schemas(void);

/* Writes text into dir/name (failing the test if it cannot). */
void ux_write(const char *dir, const char *name, const char *text);

/* Opens (creating) a server store at dir/server.db over the fixture's
 * schemas folder; *db gets its SQLite handle. Fails the test on error. */
saola__store *ux_store(const char *schemas, sqlite3 **db);

/* Stores a household record, approved, straight into the database:
 * class "poor", "near_poor", "average" or "not_poor"; district NULL for
 * none. */
void ux_household(sqlite3 *db, const char *id, int year, const char *province,
                  const char *district, const char *commune, const char *household_id,
                  const char *cls);

/* Removes the fixture's folder. */
void ux_cleanup(void);

#endif
