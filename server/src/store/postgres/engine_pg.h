/* engine_pg.h: the PostgreSQL store's forms engine (engine_pg.c): an
 * in-memory core database with copies of the forms, standards and units. */
#ifndef SAOLA_ENGINE_PG_H
#define SAOLA_ENGINE_PG_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

struct saola;

typedef struct saola__engine {
	struct saola *core;      /* the in-memory core database; NULL: none */
	saola__db *sql;          /* its connection, for copying rows */
	int64_t gen;             /* the forms generation it was built at */
} saola__engine;

/* (Re)builds e from pg's forms, standards and units, at generation gen.
 * SAOLA_OK, or a code with err (e is then empty). */
int saola__engine_build(saola__engine *e, saola__db *pg, int64_t gen, char *err,
                        size_t errlen);

/* Loads the schemas folder dir: checked and compiled by the core in e,
 * then its forms and standards copied to pg and its units loaded there
 * (inside the caller's transaction on pg). strict: refuse a form version
 * that would break stored records (core/src/form_compat.h). SAOLA_OK, or
 * a code with the message on pg. *count (may be NULL) gets the number of
 * forms. */
int saola__engine_load_dir(saola__engine *e, saola__db *pg, const char *dir, int strict,
                           int *count);

/* The same for a GET /v1/forms answer doc (an upstream server's): its
 * forms and standards copied to pg, its units added there where pg has
 * none of that code and start. */
int saola__engine_load_doc(saola__engine *e, saola__db *pg, const json_t *doc, int strict,
                           int *count);

/* Frees e's database (e zeroed); an empty e is a no-op. */
void saola__engine_close(saola__engine *e);

#endif
