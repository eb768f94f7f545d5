/* rules.h: the rules every path that writes records applies, whoever sent
 * the write (a sync, a bundle, an officer's route, a district syncing up):
 * which review moves a role may make, and where a record may lie (a chain
 * of units consistent in the units table for its survey year, inside the
 * user's area at every level). docs/security.md, "What each role may do,
 * on each path". */
#ifndef SAOLA_RULES_H
#define SAOLA_RULES_H

#include <stdint.h>
#include <jansson.h>

#include "db.h"

#include "server_int.h"
#include "store.h"
#include "units.h"

#define SAOLA__RULES_MEMO 16

/* A checker of the rules over one store, and the units it has looked up:
 * a write transaction sees one units table, so that a batch of households
 * of one commune looks each unit up once. Kept on the caller's stack, for
 * one transaction at most; it holds nothing to free. */
typedef struct saola__rules {
	saola__db *db;              /* the units table's database; NULL: none */
	int empty;                /* the units table is empty: -1 not known yet */
	int n, next;              /* memo entries used, the next to replace */
	struct {
		char code[SAOLA__UNIT_CODE_MAX + 1];
		int year, found;
		saola__unit unit;
	} memo[SAOLA__RULES_MEMO];
	struct {                  /* the last saola__area_reorg answer: a batch's
	                           * households share their commune and year */
		char area[SAOLA__UNIT_CODE_MAX + 1], commune[SAOLA__UNIT_CODE_MAX + 1];
		int year, inside, known;
	} reorg;
} saola__rules;

/* Starts a checker over the units table of db (the store's connection,
 * saola__store_db; NULL: none). */
void saola__rules_init(saola__rules *r, saola__db *db);

/* Checks the review paths ("_state", "_comment": top-level paths of d and
 * vs) that change, a wire change, writes against u's role: a surveyor may
 * only submit (_state "submitted", with or without a note in _comment, as
 * `saola submit --comment` sends it); commune officers and above make
 * every move and write comments. where ("changes[3]: record R") heads the
 * message. 0, or -1 with e (403 forbidden). */
int saola__rules_review(const saola__user *u, const json_t *change, const char *where,
                        saola__err *e);

/* Checks that the province, district and commune of units (those given)
 * are units of the units table (the version valid in year, else the
 * latest; year 0: the latest), each of its own level, and each the parent
 * of the one below it. No units table, or an empty one: nothing to check.
 * 0, or -1 with e: 400 invalid_record naming the unit ("commune 14404 lies
 * in district 372, not 369"), 500 when a query fails. */
int saola__rules_chain(saola__rules *r, const saola__units *units, int year, const char *where,
                       saola__err *e);

/* Checks that units lie in u's area at every level: the level of the area
 * names the area itself, the levels above name its parents, and the levels
 * below name units inside it (an admin's area is everything; u NULL, the
 * command line of the database's owner, has no limit either). Without
 * units (no units table, an empty one) only the area's own level is
 * checked.
 * 0, or -1 with e: 403 forbidden, 500 when a query fails. */
int saola__rules_area(saola__rules *r, const saola__user *u, const saola__units *units,
                      int year, const char *where, saola__err *e);

/* Both over a write's result: the chain of the record's units after it
 * when they (or its year) changed or it is new, and u's area before it
 * (when the record existed) and after it. 0, or -1 with e. */
int saola__rules_place(saola__rules *r, const saola__user *u, const saola__change_result *res,
                       const char *where, saola__err *e);

/* The review and place rules over one applied change of a sync or a
 * bundle. 0, or -1 with e. */
int saola__rules_change(saola__rules *r, const saola__user *u, const json_t *change,
                        const saola__change_result *res, const char *where, saola__err *e);

/* Reads record id's units and survey year (0: none) from db. *found 0
 * when there is no such record. 0, or -1 when the query fails. */
int saola__rules_record(saola__db *db, const char *id, saola__units *units, int *year,
                        int *found);

/* A survey year as the units table is read for: y when it is a plausible
 * year (1-9999), else 0 (the latest version of each unit). */
int saola__rules_year(int64_t y);

/* ------------------------------------------------------------------ */
/* Areas across the reorganisation of 2025, for reads as for writes.    */

/* The bound on the years an area's SQL form spans (saola__area_q_init). */
#define SAOLA__AREA_YEARS_MAX 64

/* Sets *inside when area (a district or commune code) is not a unit on 31
 * December of year and commune was formed only from its units: the rule
 * the write checks apply to a record that names no unit at the area's
 * level (docs/security.md, "Areas across the reorganisation of 2025").
 * 0, or -1 when a query fails. */
int saola__area_reorg(saola__db *db, const char *area, const char *commune, int year,
                      int *inside);

/* Sets *within when unit code lies in area in year (0: the latest units):
 * below it (saola__unit_within), or a commune of the new units formed from
 * it alone (saola__area_reorg). For a unit a read asks for (a report's or
 * a list's area). 0, or -1 when a query fails. */
int saola__area_within(saola__db *db, const char *code, const char *area, int year, int *within);

/* An area as a SQL filter over many records: its own column, or, for an
 * area gone in some years, a commune of those years inside it (as
 * saola__area_reorg says, computed once per request). */
typedef struct saola__area_q {
	const char *area;     /* the area code (not copied) */
	const char *level;    /* its column; NULL: no filter (no area) */
	char *keys;           /* JSON array of "commune@year"; NULL: none */
	char *list;           /* the same keys as ",commune@year,...,"; NULL: none */
	int last;             /* the last year of keys: later years read as it */
} saola__area_q;

/* Fills q for area (NULL or not a unit code: no filter; a province: its
 * column). The keys span the years from the area's end to the year after
 * the last any unit begins or ends in, at most SAOLA__AREA_YEARS_MAX
 * (beyond: the column only, never more). 0, or -1 when a query fails
 * (free q anyway). */
int saola__area_q_init(saola__area_q *q, saola__db *db, const char *area);

/* Frees q's keys; q NULL is a no-op. */
void saola__area_q_free(saola__area_q *q);

/* The condition of q over table alias t (t.province, t.district,
 * t.commune) with the survey year year_sql (an integer expression), in
 * db.h's portable SQL, into buf; "1 = 1" without a filter. Its `?`
 * parameters, in order, are bound by saola__area_q_cond_bind(). With
 * year_sql NULL (a year SQL cannot read: inside a record's JSON) it takes
 * a key's commune in any year, and the caller keeps only the rows for
 * which saola__area_q_match() holds. */
void saola__area_q_cond(const saola__area_q *q, const char *t, const char *year_sql,
                        char *buf, size_t len);

/* 1 when a row lies in q's area by the same rule as saola__area_q_cond:
 * code is the row's unit at q's level, district and commune its own, year
 * its survey year (a JSON integer counts; NULL or another value: none).
 * Else 0. */
int saola__area_q_match(const saola__area_q *q, const char *code, const char *district,
                        const char *commune, const json_t *year);

/* Binds the parameters of saola__area_q_cond() from index p; returns the
 * index after them (p itself when there are none). */
int saola__area_q_cond_bind(const saola__area_q *q, saola__dbstmt *st, int p);

#endif
