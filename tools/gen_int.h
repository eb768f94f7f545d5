/* gen_int.h: the generator's state and its places, shared by gen.c (the
 * households) and gen_place.c (the communes they are drawn from and move
 * to, from the units of gen_units.c). Internal. */
#ifndef SAOLA_GEN_INT_H
#define SAOLA_GEN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen.h"
#include "gen_units.h"

struct gen_commune {
	char code[SAOLA__GEN_CODE_MAX + 1];
	char district[SAOLA__GEN_CODE_MAX + 1]; /* "" in units without districts */
	char province[SAOLA__GEN_CODE_MAX + 1];
	unsigned char urban;
};

/* The communes of one province valid on one review day, by code, with the
 * running sum of commune_households(). */
struct gen_year {
	char date[SAOLA__GEN_DATE_MAX + 1];
	char province[SAOLA__GEN_CODE_MAX + 1];
	struct gen_commune *c;
	uint32_t *cum;
	int n;
};

#define GEN_YEARS_CACHED 4

struct saola_gen {
	uint64_t s[4];               /* xoshiro256** state */
	bool household_ids;          /* new households get a household_id */
	saola__gen_units units;      /* every version of every unit */
	struct gen_year years[GEN_YEARS_CACHED];
	int next_slot;               /* the cache slot to refill next */
};

/* FNV-1a of s: the generator's stable hash of codes. */
uint32_t saola__gen_fnv1a(const char *s);

/* The commune the options ask for, or one drawn by household count among
 * the communes of year (of the district when the options name one); NULL
 * when the options name a unit not valid that year, a district in a year
 * without districts, or a commune outside the district. Borrowed from g. */
const struct gen_commune *saola__gen_pick_commune(saola_gen *g, int year, const saola_gen_opts *o);

/* Into *out the commune of year that the households of commune (a commune
 * of year - 1) are in. 0, or -1 when commune was not a commune of year - 1
 * or goes nowhere. */
int saola__gen_move_commune(const saola_gen *g, int year, const char *commune,
                            struct gen_commune *out);

/* 0 when the generator's parameters name units of us; else -1 with err. */
int saola__gen_check_params(const saola__gen_units *us, char *err, size_t errlen);

/* Frees g's cached communes of the years. */
void saola__gen_years_free(saola_gen *g);

#endif
