/* gen_units.h: the administrative units saola-gen draws from, read at run
 * time from a schemas folder (the .json files of schemas/units: every version of every
 * unit with its formed_from links; the review day from schemas/standards),
 * and where a household's commune is in a later year. Internal. */
#ifndef SAOLA_GEN_UNITS_H
#define SAOLA_GEN_UNITS_H

#include <stddef.h>

#define SAOLA__GEN_CODE_MAX 8
#define SAOLA__GEN_DATE_MAX 10 /* "YYYY-MM-DD" */

/* One version of a unit. */
struct saola__gen_unit {
	char code[SAOLA__GEN_CODE_MAX + 1];
	char parent[SAOLA__GEN_CODE_MAX + 1]; /* "" for none */
	char level;                           /* 'p'rovince, 'd'istrict, 'c'ommune */
	unsigned char urban;
	char from[SAOLA__GEN_DATE_MAX + 1];
	char to[SAOLA__GEN_DATE_MAX + 1];     /* "" while the unit lasts */
	size_t link0, n_links;                /* its formed_from in links[] */
};

struct saola__gen_link {
	char code[SAOLA__GEN_CODE_MAX + 1];
	unsigned char whole;
};

typedef struct saola__gen_units {
	struct saola__gen_unit *u;   /* in file name order, then file order */
	size_t n;
	struct saola__gen_link *links;
	size_t n_links;
	struct { int from, to; char day[6]; } review[16]; /* from standards */
	int n_review;
} saola__gen_units;

/* The schemas folder to read: dir when given, else $SAOLA_SCHEMAS, else
 * the installed schemas when they hold units, else the source tree's. */
const char *saola__gen_schemas_dir(const char *dir);

/* Reads the .json files of dir/units (name order) and the review days of
 * the .json files of dir/standards into *us. 0, or -1 with err saying what and where
 * (free *us either way with saola__gen_units_free). */
int saola__gen_units_load(saola__gen_units *us, const char *dir, char *err, size_t errlen);
void saola__gen_units_free(saola__gen_units *us);

/* "YYYY-MM-DD": the review day of year (the standards' review_day of the
 * standard covering year, else of any, else 11-01). */
void saola__gen_review_date(const saola__gen_units *us, int year,
                            char date[SAOLA__GEN_DATE_MAX + 1]);

/* The version of code valid on date, NULL when none is. */
const struct saola__gen_unit *saola__gen_unit_on(const saola__gen_units *us, const char *code,
                                                 const char *date);

/* The province a unit valid on date lies in ("" when none). */
const char *saola__gen_province_of(const saola__gen_units *us, const struct saola__gen_unit *c,
                                   const char *date);

/* The unit valid on date that the version v went into, following
 * formed_from links across interim versions: v's code itself when a version
 * of it from v's on is valid on date; else, of the units reached, the
 * lowest code reached wholly at every step, else the lowest reached in
 * part. NULL when no link leads anywhere valid on date. *whole (may be
 * NULL) is set when the one chosen was reached wholly. */
const struct saola__gen_unit *saola__gen_successor(const saola__gen_units *us,
                                                   const struct saola__gen_unit *v,
                                                   const char *date, int *whole);

#endif
