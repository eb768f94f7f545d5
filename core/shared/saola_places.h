/* saola_places.h: what the server uses of core's administrative units
 * (places.h: the files of schemas/units kept in a core database's units
 * table): the one check of a unit and of a unit code, shared by the
 * device's loader and the server's, and the units of a core handle (the
 * server's forms engine) as files to send a device. No SQLite here.
 * Internal to the project (not installed). */
#ifndef SAOLA_PLACES_SHARED_H
#define SAOLA_PLACES_SHARED_H

#include <jansson.h>

struct saola;

/* 1 when s is a unit code (1 to 8 digits: SAOLA__PLACE_CODE_MAX, places.h). */
int saola__places_is_code(const char *s);

/* What is wrong with unit u of a units file ("level: expected province,
 * district or commune"), or NULL: the one check of a unit, shared by the
 * device's loader and the server's (server/src/units.c). */
const char *saola__places_unit_problem(const json_t *u);

/* The stored units as files to send a device: a new array of {"id",
 * "units": [...]}, one per file id loaded. */
int saola__places_export(struct saola *db, json_t **out);

/* Forgets the units read into memory (after a load or a rollback). */
void saola__places_forget(struct saola *db);

#endif
