/* report.h: consolidation reports by administrative unit and survey year
 * (summary, indicators, causes, coverage, transitions, progress), computed
 * over the facts table for an area, as JSON; and their table and CSV
 * forms. */
#ifndef SAOLA_REPORT_H
#define SAOLA_REPORT_H

#include <pthread.h>
#include <stdio.h>
#include <jansson.h>

#include "server_int.h"
#include "db.h"
#include "store.h"

/* The reports, as bits of saola__report_req.reports, in the order of
 * saola__report_names. */
enum {
	SAOLA__R_SUMMARY = 1 << 0,
	SAOLA__R_INDICATORS = 1 << 1,
	SAOLA__R_CAUSES = 1 << 2,
	SAOLA__R_COVERAGE = 1 << 3,
	SAOLA__R_TRANSITIONS = 1 << 4,
	SAOLA__R_PROGRESS = 1 << 5,
	SAOLA__R_ALL = (1 << 6) - 1
};
#define SAOLA__N_REPORTS 6
extern const char *const saola__report_names[SAOLA__N_REPORTS];

/* Levels to group by, coarsest first. */
enum { SAOLA__BY_PROVINCE, SAOLA__BY_DISTRICT, SAOLA__BY_COMMUNE, SAOLA__BY_VILLAGE };
extern const char *const saola__by_names[4];

typedef struct saola__report_req {
	unsigned reports;        /* SAOLA__R_* bits; 0: all */
	int by;                  /* SAOLA__BY_*; -1: one level below the area */
	int year;                /* 0: the latest year with records in the area */
	int from_year;           /* transitions from this year; 0: year - 1 */
	const char *area;        /* unit code to report on; NULL or "": scope */
	const char *scope;       /* the caller's area (NULL or "": everything);
	                          * an area outside it is refused (403) */
	const char *targets;     /* targets file; NULL: schemas/targets/ */
	const char *schemas;     /* schemas folder; NULL: the default one */
	const char *state;       /* review states counted: "approved" (NULL: the
	                          * official figures), "all", or a comma list of
	                          * draft, submitted, returned, approved */
	pthread_mutex_t *write_lock; /* held while the facts are refreshed */
} saola__report_req;

/* The report bit of a name ("summary" ...; "all"), 0 when unknown. */
unsigned saola__report_bit(const char *name);
/* SAOLA__BY_* of a name, -1 when unknown. */
int saola__report_by(const char *name);

/* The review states of text (as rq.state; NULL: "approved") as a mask of
 * bits 1 << SAOLA__STATE_* into *mask, and its canonical name ("approved",
 * "all", "draft,submitted") into name. 0, or -1 when a word is not a state. */
int saola__state_mask(const char *text, unsigned *mask, char *name, size_t len);

/* " AND <col> IN (1, 2)": the SQL condition of a mask (" AND 1 = 0" when
 * empty, "" when every state), into buf; with negate, the states not in
 * it. */
void saola__state_sql(unsigned mask, const char *col, int negate, char *buf, size_t len);

/* n copies of one ("?" for an IN list, "(?, ?)" for rows of VALUES)
 * joined by ", ", in db.h's portable SQL; "NULL" when n is 0 (an IN list
 * that holds nothing). A new string, NULL when out of memory. */
char *saola__sql_list(size_t n, const char *one);

/* Refreshes the facts, then computes the reports rq asks for. With one
 * report, *out is that report's object; with several, {"report": "all",
 * ..., "reports": {name: report}}. A new reference. 0, or -1 with e: 400
 * for a bad request (year, area code), 403 for an area outside the scope,
 * 500 when the database or the targets file fails. */
int saola__report_run(saola__db *db, const saola__report_req *rq, json_t **out, saola__err *e);

/* A growing text buffer. */
typedef struct saola__buf {
	char *p;
	size_t len, cap;
	int oom;                 /* an append failed: out of memory */
} saola__buf;

int saola__buf_add(saola__buf *b, const char *s, size_t n);
int saola__buf_printf(saola__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void saola__buf_free(saola__buf *b);

/* A report (one, or "all": its reports side by side, one row per unit) as
 * CSV: UTF-8 with a byte order mark, a header of column keys (with vi: the
 * columns' Vietnamese labels), one row per unit, then the total; counts as
 * integers, rates as percentages with 2 decimals. Appends to b; 0, or -1
 * when out of memory. */
int saola__report_csv(const json_t *rep, int vi, saola__buf *b);

/* A report as aligned text tables with unit names and a legend, for a
 * terminal. */
int saola__report_table(const json_t *rep, FILE *f);

/* Appends s to b as one CSV field (quoted when it must be); a text that
 * starts with =, +, -, @, a tab or a carriage return gets a ' before it, so
 * that no spreadsheet runs it as a formula. Numbers the server computes
 * are written by the callers directly, never through this. */
int saola__csv_field(saola__buf *b, const char *s);

/* The commands `saola-server report ...` and `saola-server units load ...`
 * (argv from after the command's name): exit codes 0, 1 or 2. */
int saola__cmd_report(int argc, char **argv);
int saola__cmd_units(int argc, char **argv);

/* Loads a file of households listed (listed.c): JSON lines {"year",
 * "commune", "households"} or CSV year,commune,households (a header line
 * is allowed), each commune a commune unit valid that year, each count a
 * whole number >= 0, no (year, commune) twice; replaces what an earlier
 * load gave for a (year, commune); all or nothing, in one transaction.
 * *count gets how many. 0, or -1 with e: SAOLA_INVALID for a line that
 * is not right ("FILE:LINE: what"), SAOLA_IO, SAOLA_NOMEM, or SAOLA_ERROR
 * (the database's message). */
int saola__listed_load(saola__db *db, const char *path, int *count, saola__err *e);

/* The commands `saola-server listed load|list` (listed.c) and
 * `saola-server lists` (lists.c). */
int saola__cmd_listed(int argc, char **argv);
int saola__cmd_lists(int argc, char **argv);

#endif
