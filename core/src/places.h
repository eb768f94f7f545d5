/* places.h: administrative units (the files of schemas/units) kept in the
 * database's units table, so that a device checks the places of a record
 * offline, and computes rural or urban from its commune. Internal. */
#ifndef SAOLA_PLACES_H
#define SAOLA_PLACES_H

#include <jansson.h>

struct saola;

/* saola__places_is_code, saola__places_unit_problem, saola__places_export
 * and saola__places_forget, what the server uses, are in saola_places.h
 * (core/shared/). */
#include "saola_places.h"

#define SAOLA__PLACE_CODE_MAX 8
#define SAOLA__PLACE_NAME_MAX 160

/* One version of a unit: the same code may have several, keyed by
 * valid_from. Dates are "YYYY-MM-DD"; to is "" while the unit lasts. */
typedef struct saola__place {
	char code[SAOLA__PLACE_CODE_MAX + 1];
	char name[SAOLA__PLACE_NAME_MAX + 1];
	char level[9];                          /* province, district, commune */
	char parent[SAOLA__PLACE_CODE_MAX + 1]; /* "" for none */
	int urban;
	char from[11];
	char to[11];
} saola__place;

/* 1 when doc looks like a units file ({"id", "units": [...]}, no
 * "fields"), else 0. */
int saola__places_is_doc(const json_t *doc);

/* Loads a units file (doc, borrowed) inside the caller's transaction:
 * replaces the units an earlier load of the same file id gave. Each unit is
 * {"code","name","level","parent","urban","valid_from","valid_to"} (and an
 * optional "formed_from", not kept here); where names the file in errors
 * ("schemas/units/x.json: units[3]: level: expected province, district or
 * commune"). SAOLA_OK, or a code with the message set on db. */
int saola__places_load_doc(struct saola *db, const json_t *doc, const char *where);


/* The number of units loaded (0: nothing can be checked), or -1 when they
 * cannot be read (the message set on db). */
long saola__places_count(struct saola *db);

/* The version of unit code valid on date ("YYYY-MM-DD"), borrowed from the
 * handle's memory until its units change; NULL when none is. */
const saola__place *saola__places_find(struct saola *db, const char *code,
                                       const char *date);

/* 1 when some unit of level is valid on date, 0 when none is. */
int saola__places_level_exists(struct saola *db, const char *level, const char *date);

/* Unit i of the handle's units in the order kept (by code, then
 * valid_from), or NULL past the last or when they cannot be read. */
const saola__place *saola__places_at(struct saola *db, size_t i);

/* The units of level valid on date ("YYYY-MM-DD"), inside parent (NULL:
 * any), whose code is query or whose name contains it, marks and case
 * aside ("cuc phuong" finds "Xã Cúc Phương"): *out a new array of
 * {"code","name"}, at most 50, in code order. */
int saola__places_match(struct saola *db, const char *level, const char *parent,
                        const char *date, const char *query, json_t **out);

#endif
