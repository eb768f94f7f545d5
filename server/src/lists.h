/* lists.h: a commune's official lists of a year: poor, near-poor,
 * escaped poverty and newly poor households, as JSON and CSV. */
#ifndef SAOLA_LISTS_H
#define SAOLA_LISTS_H

#include <pthread.h>
#include <jansson.h>

#include "report.h"

typedef struct saola__lists_req {
	const char *commune;     /* a commune code */
	int year;                /* 0: the latest with records in the commune */
	const char *state;       /* as saola__report_req.state (NULL: approved) */
	const char *scope;       /* the caller's area (NULL or "": everything);
	                          * a commune outside it is refused (403) */
	int personal;            /* 1: head_name shown; 0: null */
	pthread_mutex_t *write_lock;
} saola__lists_req;

/* Refreshes the facts, then makes the lists: {"commune": {"code", "name"},
 * "year", "state", "personal", "lists": {"poor", "near_poor", "escaped",
 * "newly_poor"}, "counts", "notes"}, each list's rows {"record_id",
 * "household_id", "village", "head_name" (null unless personal),
 * "members", "income_per_capita", "deprivation_count", "classification"}
 * sorted by village in natural order (Thôn 2 before Thôn 10), then head
 * name (record id when names are hidden). Escaped: poor or near-poor last
 * year, neither this year; newly poor: poor this year, not poor last year
 * or not surveyed then; both matched by household_id within the commune
 * and the units it was formed from (records without one are left out of
 * those two lists, counted in "counts"); both null when the commune has
 * no record of last year (they cannot be told; a note says so). 0, or -1 with e (400 bad commune or year or state, 403
 * outside the scope, 500). New reference in *out. */
int saola__lists_run(saola__db *db, const saola__lists_req *rq, json_t **out, saola__err *e);

/* The lists as CSV (a byte order mark, one row per household and list;
 * vi: Vietnamese headers and labels); the commune's code and name on each
 * row; head_name only when the lists are personal. 0, or -1 when out of
 * memory. */
int saola__lists_csv(const json_t *lists, int vi, saola__buf *b);

/* Natural order of two texts: runs of digits compare as numbers. */
int saola__natural_cmp(const char *a, const char *b);

#endif
