/* report_reorg.h: what the report sections call across the
 * reorganisation of units (report_reorg.c). */
#ifndef SAOLA_REPORT_REORG_H
#define SAOLA_REPORT_REORG_H

#include <jansson.h>

#include "report_int.h"

/* A year without districts (none valid on its review day, while other
 * units are): the default grouping of a province's area becomes the
 * commune, and --by district is refused: 400 "2025 has no districts
 * (units reorganised 2025-07-01): use --by commune or --by province".
 * 0, or -1 (c->e set). */
int rep_reorg_by(rep_ctx *c);

/* An area that is no unit on the review day of c's year (an old district
 * in 2025): 400 naming the units formed wholly from it, rather than a
 * report of nothing. 0 when the area is valid, unknown, or the year has
 * no units; -1 (c->e set). */
int rep_reorg_area(rep_ctx *c, const char *area);

/* Last year's communes (of the area's facts) carried into this year's
 * units through the links. */
typedef struct rep_reorg_map {
	int active;          /* some commune of last year is mapped */
	json_t *groups;      /* union-find: code -> parent code */
	json_t *first;       /* old commune -> its first successor */
	json_t *pairs;       /* "old|new" -> true: households may match */
	json_t *partial;     /* new code -> {old code: [its successors]} */
	json_t *flat;        /* code -> its group's code, for the query */
} rep_reorg_map;

/* Makes m for c's years and area. 0, or -1 (c->e set); free m either way. */
int rep_reorg_map_make(rep_ctx *c, rep_reorg_map *m);
void rep_reorg_map_free(rep_reorg_map *m);

/* 1 when a household of old commune last year and of now this year is
 * the same household's (now is old, or one of its successors). */
int rep_reorg_matches(const rep_reorg_map *m, const char *old, const char *now);

/* The new unit a household of old commune not surveyed this year is
 * counted in; NULL when old is not mapped. Borrowed. */
const char *rep_reorg_first(const rep_reorg_map *m, const char *old);

/* Folds the rows of last year's mapped communes (by commune) into the
 * rows of the new units they went into (the first, when split). 0, or -1
 * (c->e set). */
int rep_reorg_fold(rep_ctx *c, const rep_reorg_map *m, json_t *map);

/* Sets "mapping" ("exact" or "partial") on each row and the total, and a
 * "note" {"vi", "en"} on each partial one naming the old units split,
 * when m is active; adds the report's note. 0, or -1 (c->e set). */
int rep_reorg_mark(rep_ctx *c, const rep_reorg_map *m, json_t *rows, json_t *total);

/* The units that follow target_unit (as it was on the review day of
 * target_year) on the review day of year: *set a new array of codes, and
 * *units (may be NULL) a new array of {"code", "inside", "split"}; *partial
 * 1 when the cover is not exact (a unit took part of one, or parts from
 * outside). The unit itself when it is the same unit both years. 0, or -1
 * when a query fails. */
int saola__reorg_target_area(saola__db *db, const char *schemas, const char *target_unit,
                             int target_year, int year, json_t **set, json_t **units,
                             int *partial);

/* For the progress report's total: when the plan's area (its province as
 * of the baseline year) is not this year's unit of that code, counts the
 * households and poor of this year over the units that follow it, sets
 * them on total with "target_area" ({"code", "as_of", "units", "mapping"})
 * and a note. *followed 1 when it did. 0, or -1 (c->e set). */
int rep_reorg_target(rep_ctx *c, json_t *total, int *followed);

#endif
