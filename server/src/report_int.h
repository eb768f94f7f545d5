/* report_int.h: what the report files share: the context of one report
 * run, column definitions, and the rows keyed by unit. */
#ifndef SAOLA_REPORT_INT_H
#define SAOLA_REPORT_INT_H

#include <jansson.h>

#include "report.h"
#include "units.h"

/* Column types, as "type" in a report's "columns". */
#define REP_COUNT "count"   /* a number of households */
#define REP_RATE "rate"     /* a fraction: "num" / "of" of the same row */
#define REP_NUMBER "number" /* any other figure (a year, a target) */
#define REP_TEXT "text"

typedef struct rep_ctx {
	saola__db *db;
	const saola__report_req *rq;
	int by;                  /* the level rows are grouped at */
	int year, from_year;
	char area[SAOLA__UNIT_CODE_MAX + 1];   /* "" for everything */
	const char *area_col;    /* the facts column the area filters on, or NULL */
	unsigned state_mask;     /* the review states counted (saola__state_mask) */
	char state_name[64];     /* their name: "approved", "all", ... */
	int uncounted;           /* rep_area_sql keeps the states not counted */
	json_t *covers;          /* cache: "year|mask|code" -> coverage object */
	json_t *area_unit;       /* the area's unit object (or the "all" one) */
	json_t *names;           /* cache: code -> unit object */
	json_t *base;            /* rows: key -> {households, poor, ...} of year */
	json_t *notes;           /* array of {"vi", "en"} */
	json_t *targets;         /* the targets file in force, or NULL */
	int targets_loaded;      /* 1 looked for it already, -1 and failed */
	char targets_path[1400];
	saola__err *e;
} rep_ctx;

/* The SQL of the unit key columns at level by ("province, district"), and
 * how many there are. */
const char *rep_key_sql(int by);
int rep_key_count(int by);

/* The WHERE condition that keeps the area (with " AND " before it), with
 * one `?` for the code when there is an area, and the review states
 * counted (those not counted while c->uncounted); "" when the area is
 * everything and every state counts. rep_place_sql: the area alone. */
void rep_area_sql(const rep_ctx *c, char *buf, size_t len);
void rep_place_sql(const rep_ctx *c, char *buf, size_t len);

/* Binds the area's code at parameter i of st when the condition above has
 * one; returns the index of the next parameter (i itself when none). */
int rep_area_bind(const rep_ctx *c, saola__dbstmt *st, int i);

/* The row of map for the unit in the first key columns of st, made with
 * its unit object when new. Borrowed; NULL when out of memory (e set). */
json_t *rep_row(rep_ctx *c, json_t *map, saola__dbstmt *st);
/* The same for a unit given as {province, district, commune, village}. */
json_t *rep_row_for(rep_ctx *c, json_t *map, const char *const *cols);

/* The rows of map as an array sorted by unit code (village name). */
json_t *rep_rows_sorted(json_t *map);

/* Adds a column definition to cols: key, labels, short header, type; for
 * a rate num and of name its numerator and denominator keys. -1 when out of
 * memory. */
int rep_col(json_t *cols, const char *key, const char *vi, const char *en, const char *shortname,
            const char *type, const char *num, const char *of);

/* Fills the rate columns of a row from its counts (rounded to 6 places). */
int rep_rates(json_t *cols, json_t *row);

/* The total of rows (counts summed, rates recomputed) with unit u. New
 * reference, NULL when out of memory. */
json_t *rep_total(rep_ctx *c, json_t *cols, json_t *rows);

/* A report object with its common head (report, by, year, area, columns),
 * rows and total; takes the references. */
json_t *rep_report(rep_ctx *c, const char *name, json_t *cols, json_t *rows, json_t *total);

/* Adds a note in both languages. */
int rep_note(rep_ctx *c, const char *vi, const char *en);

/* Marks the context failed: a 500 with "report: what: the connection's
 * message" (saola__db_errmsg). */
int rep_sql_fail(rep_ctx *c, const char *what);
int rep_oom(rep_ctx *c);

/* Runs, over the facts of year (and the extra condition where, " AND
 * ..."), the aggregates aggs grouped by unit at the report's level, and
 * sets keys[i] of each unit's row of map to aggregate i. 0 or -1 (e set). */
int rep_fill(rep_ctx *c, json_t *map, const char *what, int year, const char *const *aggs,
             const char *where, const char *const *keys, int nkeys);

/* The sections (report_sections.c, report_transitions.c, report_progress.c). */
int rep_base(rep_ctx *c);
json_t *rep_summary(rep_ctx *c);
json_t *rep_indicators(rep_ctx *c);
json_t *rep_causes(rep_ctx *c);
json_t *rep_coverage(rep_ctx *c);
json_t *rep_transitions(rep_ctx *c);
json_t *rep_progress(rep_ctx *c);

/* The coverage target of the targets file (1 when none says); -1 (e set)
 * when the targets file fails. */
int rep_coverage_target(rep_ctx *c, double *target);

/* Coverage of a unit in a year (report_complete.c): the communes of the
 * unit valid that year (from the units; for a year without units, those
 * its facts name), how many have >= 1 household of the states of mask,
 * how many are complete, households listed (-1 when any commune's count is
 * unknown) and surveyed (of mask). code "" is everything. */
typedef struct rep_cover {
	int communes, reported, complete;
	json_int_t listed, surveyed;
	json_t *detail;          /* borrowed: [{code, name, surveyed, listed|null}] */
} rep_cover;

int rep_cover_of(rep_ctx *c, const char *code, int year, unsigned mask, rep_cover *out);

/* The "completeness" object of the report's area and year. New reference,
 * NULL (e set) on failure. */
json_t *rep_completeness(rep_ctx *c);

/* Sets the "listed" of each row of rows (null when unknown, or for a
 * village) and of total (the area's). -1 (e set) on failure. */
int rep_listed(rep_ctx *c, json_t *rows, json_t *total);

/* A fraction rounded to 6 decimal places (NaN-free: 0 when of is 0). */
double rep_fraction(double num, double of);

#endif
