/* facts.h: the facts table that reports aggregate: one row per live
 * household record (its units, village, year, household_id, class, the 12
 * indicator bits, cause and support bitmasks, area), kept up to date from
 * the records' change sequence. */
#ifndef SAOLA_FACTS_H
#define SAOLA_FACTS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "server_int.h"

#define SAOLA__FACTS_FORM "household"  /* the form whose records are facts */
#define SAOLA__VILLAGE_MAX 200
#define SAOLA__HOUSEHOLD_ID_MAX 120

/* What one household record says, as reports count it. */
typedef struct saola__fact {
	int year;                     /* survey_year; 0 when missing */
	char village[SAOLA__VILLAGE_MAX + 1];            /* "" when missing */
	char household_id[SAOLA__HOUSEHOLD_ID_MAX + 1];  /* "" when missing */
	int cls;                      /* SAOLA__CLASS_* (report_labels.h) */
	unsigned ind;                 /* bit i: deprived on indicator i */
	unsigned causes, support;     /* bit i: code i of its list */
	int urban;                    /* 1 urban, 0 rural, -1 not given */
} saola__fact;

/* Review states as the facts table stores them (facts.state). */
enum {
	SAOLA__STATE_DRAFT = 1,
	SAOLA__STATE_SUBMITTED = 2,
	SAOLA__STATE_RETURNED = 3,
	SAOLA__STATE_APPROVED = 4
};

/* The SAOLA__STATE_* of a record's state ("approved" ...); a draft for
 * NULL or another text. */
int saola__state_code(const char *state);

/* Reads the fields reports need from a record's data (the JSON object of
 * answers and computed fields, len bytes), skipping everything else
 * (members) without building it. 0, or -1 when the text is not a JSON
 * object. */
int saola__facts_scan(const char *json, size_t len, saola__fact *f);

typedef struct saola__facts_stats {
	int rebuilt;          /* the table was built from scratch */
	int64_t upserted;     /* rows written */
	int64_t removed;      /* rows dropped (deleted or no longer households) */
	int64_t unreadable;   /* records whose data could not be read */
	int64_t seq;          /* the change sequence the facts now reflect */
} saola__facts_stats;

/* Brings the facts up to date: the records changed since the last refresh
 * (records.seq above the one kept in meta 'facts_seq') are read again, in
 * one transaction; the first time, or when this build counts differently
 * from the one that built them, the table is built from scratch. Returns at
 * once when nothing changed. lock (may be NULL) is held while writing, so
 * that this process's writers queue. st may be NULL. 0, or -1 with e
 * (SAOLA_ERROR with the database's message, or SAOLA_NOMEM). */
int saola__facts_refresh(saola__db *db, pthread_mutex_t *lock, saola__facts_stats *st,
                         saola__err *e);

#endif
