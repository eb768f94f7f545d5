/* units_map.h: the reorganisation of units through their links
 * (unit_links, from the units files' formed_from): which new units an old
 * one went into, which old units a new one was formed from, the new units
 * that cover an old area and whether exactly, and which levels a year has.
 * docs/reports.md, "Reorganisation of 2025". */
#ifndef SAOLA_UNITS_MAP_H
#define SAOLA_UNITS_MAP_H

#include <jansson.h>

#include "db.h"
#include "units.h"

#define SAOLA__DATE_MAX 10          /* "YYYY-MM-DD" */
#define SAOLA__REVIEW_DAY "11-01"   /* when no standard gives review_day */

/* Levels as bits of saola__units_levels. */
#define SAOLA__LV_PROVINCE 0x1u
#define SAOLA__LV_DISTRICT 0x2u
#define SAOLA__LV_COMMUNE 0x4u

/* The review day of year: "YYYY-MM-DD" from the review_day ("MM-DD", in
 * params or at the top) of the standard of schemas_dir/standards that
 * covers year (valid_from_year..valid_to_year), else of any standard that
 * gives one, else SAOLA__REVIEW_DAY (*from_data 0 then; may be NULL). */
void saola__review_date(const char *schemas_dir, int year, char date[SAOLA__DATE_MAX + 1],
                        int *from_data);

/* The levels that units valid on date (SAOLA__LV_* bits) have; 0 when no
 * unit is valid that day (the data does not cover it). 0, or -1 when the
 * query fails. */
int saola__units_levels(saola__db *db, const char *date, unsigned *levels);

/* 1 when code has a version valid on date, 0 when not, -1 when the
 * query fails. */
int saola__units_valid_on(saola__db *db, const char *code, const char *date);

/* The units valid on date that old (a code, any version before them)
 * went into, following links across interim versions: a new array of
 * {"code", "whole"} (whole: every step took all of the old unit), the
 * unit itself (whole) when it is still valid on date, [] when it went
 * nowhere the data says. 0, or -1 when a query fails (*out NULL). */
int saola__units_successors(saola__db *db, const char *old, const char *date, json_t **out);

/* The old units that code (its version valid on date, else its latest)
 * was formed from: a new array of {"code", "whole"}, [] when it has no
 * links. 0, or -1 when a query fails. */
int saola__units_predecessors(saola__db *db, const char *code, const char *date, json_t **out);

/* The units valid on date that cover area as it was on area_date (NULL:
 * the last day of its latest version): *units a new array of {"code",
 * "inside" (formed only from the area's units), "split" (took part of a
 * unit, not all of it)}, sorted by code; *exact 1 when every unit is
 * inside, none split, and every commune of the area went wholly into
 * one of them, else 0. An area still valid on date covers itself.
 * 0, or -1 when a query fails (*units NULL). */
int saola__units_cover(saola__db *db, const char *area, const char *area_date, const char *date,
                       json_t **units, int *exact);

/* Sets *inside when code (a unit valid on date) was formed only from
 * units of area (as on area_date; NULL: on date when the area is valid
 * then, else on its last day), or is one of them: the rule for areas that
 * no longer exist (docs/security.md). 0, or -1 when a query fails. */
int saola__units_inside(saola__db *db, const char *code, const char *area, const char *area_date,
                        const char *date, int *inside);

/* Adds to out (an object, code -> true) every commune valid on date that
 * saola__units_inside(db, code, area, NULL, date) says is inside area, for
 * an area not valid on date: found among the successors of the area's
 * units, so bounded by them. 0, or -1 when a query fails or out of memory
 * (out then partly filled: the caller drops it). */
int saola__units_inside_all(saola__db *db, const char *area, const char *date, json_t *out);

#endif
