/* store_records_int.h: what the store's apply (store_records.c) shares
 * with the server's own edits (store_own.c): the stored row, the run of one
 * write, the clock and the write of a merge's result, so that an officer's
 * edit is stored exactly as a device's change is. Internal to the shared
 * store files. */
#ifndef SAOLA_STORE_RECORDS_INT_H
#define SAOLA_STORE_RECORDS_INT_H

#include "audit.h"
#include "saola_form.h"
#include "rules.h"
#include "saola_shared.h"
#include "saola_util.h"
#include "versions.h"
#include "store_sql.h"

/* A stored record as the merge needs it, with its sequence, units and
 * echo row. */
typedef struct saola__rec_row {
	int found;
	char *form_id;
	json_t *doc;           /* answers and computed fields */
	json_t *versions;
	int deleted;
	char *state;           /* "draft" for none */
	char *comment;         /* NULL: none */
	int has_issues;        /* it breaks its form (a merge kept it so) */
	int64_t seq;
	saola__units units;
	int year;              /* its survey year (0: none) */
	int echo_is_device;    /* the echo row names this device ... */
	int64_t echo_seq;      /* ... at this sequence */
	char *raw;             /* what a merge reads of it, as stored (the form,
	                        * data, versions, state and comment texts): two
	                        * reads of the same raw merge alike */
} saola__rec_row;

/* What one apply works with. */
typedef struct saola__rec_run {
	saola__store *s;
	struct saola *engine;
	const saola__apply_ctx *ctx;
	const saola__form *f;
	int64_t conflicts;     /* rows written to the conflict log */
	/* The merge to store's data and versions as text, and its audit rows,
	 * when made ahead (NULL: made by saola__rec_store_result, which clears
	 * all three once it has stored them). */
	const char *doc_text, *versions_text;
	const saola__audit_rows *audit_rows;
} saola__rec_run;

/* Reads record id (b->found 0 when there is none; device: the sender,
 * for the echo row, "" for none); on PostgreSQL, when lock, the row stays
 * locked until the transaction ends. Free b with saola__rec_row_free. */
int saola__rec_row_read(saola__store *s, const char *id, const char *device, int lock,
                        saola__rec_row *b);
void saola__rec_row_free(saola__rec_row *b);

/* Copies a failure of the forms engine to s's connection; returns rc. */
int saola__rec_engine_fail(saola__store *s, struct saola *engine, int rc);

/* The next counter of the server's own edits (core's clock on SQLite,
 * nextval('clock_seq') on PostgreSQL). */
int saola__rec_clock_tick(saola__store *s, struct saola *engine, int64_t *counter);

/* Writes merge o's result over (or as) record id: the clock past every
 * version seen, the next change sequence number (*seq), the row, the audit
 * rows as who. */
int saola__rec_store_result(saola__rec_run *a, const char *id, const saola__merge_out *o,
                            const saola__audit_who *who, int64_t *seq);

/* An edit of this server's own of record id (store_own.c): changes merged
 * into the stored row with a version of the server's clock (*version, a
 * new reference) and stored as a device's change is; o: the merge, for
 * the caller to free. SAOLA_OK or a code with the message on a->s. */
int saola__rec_own_edit(saola__rec_run *a, const char *id, const json_t *changes,
                        const saola__audit_who *who, json_t **version, saola__merge_out *o);

#endif
