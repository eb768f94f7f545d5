/* units.h: administrative units as versioned data (the files of schemas/units)
 * kept in the server database's units table: loading, names, and which
 * unit lies inside which. */
#ifndef SAOLA_UNITS_H
#define SAOLA_UNITS_H

#include <stddef.h>
#include "db.h"

#define SAOLA__UNIT_CODE_MAX 8
#define SAOLA__UNIT_NAME_MAX 160

typedef struct saola__unit {
	char code[SAOLA__UNIT_CODE_MAX + 1];
	char name[SAOLA__UNIT_NAME_MAX + 1];
	char level[16];                      /* province, district, commune */
	char parent[SAOLA__UNIT_CODE_MAX + 1];  /* "" for none */
	int urban;
} saola__unit;

/* Loads one units file ({"id", "version", "units": [{"code", "name",
 * "level", "parent", "urban", "valid_from", "valid_to", "formed_from"}]})
 * into the units table, replacing the units an earlier load of the same
 * file id gave, all or nothing (a savepoint, so it may run inside a
 * transaction). formed_from (optional): [{"code", "whole"}], the old units
 * a new unit was formed from, wholly or in part, kept in unit_links (old
 * codes are not required to be units of a loaded file:
 * saola__units_check_links). *count (may be NULL) gets how many units. 0, or -1
 * with err saying what and why (file, unit, link). */
int saola__units_load_file(saola__db *db, const char *path, int *count, char *err,
                           size_t errlen);

/* Loads every *.json file of dir/units (a schemas folder), in name order,
 * all the files or none; the links (formed_from) are checked once every
 * file is in, so that a file may name units of a later one. A folder
 * without units/ loads nothing. 0 or -1 with err. */
int saola__units_load_dir(saola__db *db, const char *dir, int *count, char *err, size_t errlen);

/* With strict set, checks that the old unit of every link of the file
 * with id source (NULL: every link) has a version that began before the
 * new one; without, checks nothing (what the loaders do: the shipped new
 * units name old units of the provinces merged in, which are not
 * shipped). path names the file in the message. 0, or -1 with err. */
int saola__units_check_links(saola__db *db, const char *source, const char *path, int strict,
                             char *err, size_t errlen);

/* Loads dir's units when the units table is empty (a new database, or one
 * made before units were kept). 0 or -1 with err. */
int saola__units_ensure(saola__db *db, const char *dir, char *err, size_t errlen);

/* The unit code as it was in year (the version valid then; else the latest
 * version; year 0: the latest). *found is 0 when the code is unknown. 0, or
 * -1 when the query fails. */
int saola__unit_get(saola__db *db, const char *code, int year, saola__unit *out, int *found);

/* The level of a unit code by its length (the statistics office's codes
 * differ in length by level): "province" (2 digits), "district" (3),
 * "commune" (5); NULL for anything else. */
const char *saola__unit_level(const char *code);

/* Sets *within when unit code lies in ancestor (the same unit, or below it
 * through the parents of any version); ancestor NULL or "" is everything.
 * A code the units table does not know is placed by the household records
 * that name it. 0, or -1 when a query fails. */
int saola__unit_within(saola__db *db, const char *code, const char *ancestor, int *within);

/* "14404 Xã Cúc Phương" (the code alone when the name is unknown) into buf. */
void saola__unit_label(const saola__unit *u, const char *code, char *buf, size_t len);

#endif
