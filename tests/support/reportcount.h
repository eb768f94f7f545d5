/* reportcount.h: the reports test's own counts, made without the server's
 * code: every live household record read through the store's connection
 * (db.h: SQLite or PostgreSQL), its data parsed with jansson, then counted
 * here (the yearly figures and the transitions). */
#ifndef SAOLA_REPORTCOUNT_H
#define SAOLA_REPORTCOUNT_H

#include <stdint.h>
#include "db.h"
#include <jansson.h>

/* Reads every live household record of db; _since brings the copy up to
 * date with the records changed after seq; _free forgets it. */
void rc_snapshot(saola__db *db);
void rc_snapshot_since(saola__db *db, int64_t seq);
void rc_snapshot_free(void);

/* How many households of year (0: any) in area (NULL: all) are of rank
 * (1 poor ... 5 unclassified; 0: any). */
json_int_t rc_count(int year, const char *area, int rank);

/* The key of a unit: "14404|" or, for a village, "14404|Thôn 3". */
void rc_row_key(char *buf, size_t len, const char *code, const char *village);

/* The figures of a section ("summary", "indicators", "causes",
 * "coverage") of a year by unit at level by (SAOLA__BY_*): {unit key:
 * {column key: n}}. New reference. */
json_t *rc_expect(const char *section, int by, int year, const char *area);

/* The transitions from y0 to y1 by unit, keys rc_trans_keys. */
extern const char *const rc_trans_keys[];
#define RC_NTRANS 15
json_t *rc_expect_transitions(int by, int y0, int y1, const char *area);

#endif
