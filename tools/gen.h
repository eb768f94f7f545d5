/* gen.h: a seeded generator of realistic household survey records (the
 * field names of the household form), for tests, benchmarks and the demo. */
#ifndef SAOLA_GEN_H
#define SAOLA_GEN_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

typedef struct saola_gen saola_gen;

typedef struct saola_gen_opts {
	const char *province;   /* NULL: "37" (Ninh Binh) */
	const char *district;   /* NULL: chosen at random in the province */
	const char *commune;    /* NULL: chosen at random in the district; when
	                         * set, district must match it or be NULL */
	int survey_year;        /* 0: 2024. From 2025 (after the reorganisation of
	                         * 2025-07-01) the communes of the new units,
	                         * without district: district must be NULL */
} saola_gen_opts;

/* A new generator; the same seed gives the same households, on every
 * machine. NULL when out of memory. Free with saola_gen_free(). */
saola_gen *saola_gen_new(uint64_t seed);

/* The same with the administrative units (and the review day) read from
 * schemas_dir/units and schemas_dir/standards; NULL: $SAOLA_SCHEMAS, else
 * the installed schemas, else the source tree's (saola_gen_new's choice).
 * NULL with err saying what and where when the files cannot be read or a
 * generator parameter names a unit they do not know. */
saola_gen *saola_gen_new_schemas(uint64_t seed, const char *schemas_dir, char *err,
                                 size_t errlen);
void saola_gen_free(saola_gen *g);

/* Starts g's stream afresh from seed, as saola_gen_new(seed) would, keeping
 * its units (read once) and its household_id setting. */
void saola_gen_reseed(saola_gen *g, uint64_t seed);

/* One household as a new JSON object with exactly the entered fields of
 * household-record.md (no computed fields, no member _id), and the optional
 * household_id when saola_gen_set_household_ids() turned it on. NULL when
 * out of memory or when opts names an unknown unit. Member 1 is the head.
 * Every member has every answer, as the record's page lists them: the
 * household form (2026.2) does not ask employment under 15, education
 * under 16, nor the causes of poverty of a household neither poor nor
 * near-poor, and clears those answers when it stores the household (a
 * record from elsewhere is cleared, not refused); the generator keeps
 * drawing them so that a seed gives the same households as before, and
 * saola_gen_next_year reads them back. */
json_t *saola_gen_household(saola_gen *g, const saola_gen_opts *opts);

/* The same household in a later survey year: the members a year older, a
 * birth or a death now and then, income moving, sometimes crossing a poverty
 * line; the unit fields, the head and the household_id (when it has one)
 * kept; into 2025, the commune formed from the old one and no district
 * (the units after the reorganisation). A new object, NULL when out of
 * memory. */
json_t *saola_gen_next_year(saola_gen *g, const json_t *household);

/* With on set, every later saola_gen_household() of g gives the household
 * a household_id, a stable code "<commune>-<10 hex digits>" (the household
 * form's optional field), unique for practical purposes; the other answers
 * are the same as without it. Off in a new generator. */
void saola_gen_set_household_ids(saola_gen *g, int on);

/* Uniform random integer in [0, n) from the generator's stream. */
uint64_t saola_gen_below(saola_gen *g, uint64_t n);

#endif /* SAOLA_GEN_H */
