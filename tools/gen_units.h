/* gen_units.h: saola-gen's units after the 2025 reorganisation. */
#ifndef SAOLA_GEN_UNITS_H
#define SAOLA_GEN_UNITS_H

/* The first survey year whose review day (11-01, the standards' review_day)
 * falls after the reorganisation of 2025-07-01: its units have no
 * districts. */
#define SAOLA__GEN_NEW_UNITS_YEAR 2025

struct saola__gen_unit {
	char code[6];
	unsigned char urban;
};

/* The communes of province 37 from 2025-07-01. */
extern const struct saola__gen_unit saola__gen_communes_2025[];
extern const int saola__gen_n_communes_2025;

/* The new commune (2025-07-01) an old commune's households are in, or
 * NULL for a code that is not an old commune. */
const char *saola__gen_successor(const char *old);

#endif
