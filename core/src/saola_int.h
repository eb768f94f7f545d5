/* saola_int.h: the internals of libsaola shared between its files. */
#ifndef SAOLA_INT_H
#define SAOLA_INT_H

#include <stdarg.h>
#include <stdint.h>
#include <sqlite3.h>
#include <jansson.h>

#include "saola/core.h"
#include "form.h"
#include "saola_util.h" /* SAOLA__ERRMSG_MAX, SAOLA__ORIGIN_LEN, random, now */

/* saola__changes (what one write changed in a record) and
 * saola__changes_version are in saola_shared.h. */

/* Prepared statements kept for the life of the handle (hot paths). */
typedef enum saola__stmt_id {
	SAOLA__ST_REC_GET,
	SAOLA__ST_REC_INSERT,
	SAOLA__ST_REC_UPDATE,
	SAOLA__ST_OUTBOX_INSERT,
	SAOLA__ST_META_GET,
	SAOLA__ST_META_SET,
	SAOLA__ST_COUNT
} saola__stmt_id;

typedef struct saola__form_cache {
	char *id;
	saola__form *form;
	struct saola__form_cache *next;
} saola__form_cache;

struct saola__probe; /* form_compat.h */

struct saola {
	sqlite3 *sql;
	int readonly;
	int server;          /* opened with SAOLA_OPEN_SERVER (an officer's) */
	int in_txn;          /* an explicit saola_begin() is open */
	int rc;              /* code of the last failure */
	char errmsg[SAOLA__ERRMSG_MAX];
	char origin[SAOLA__ORIGIN_LEN + 1];
	char *actor;
	int64_t clock;       /* the highest Lamport counter seen */
	int schema_version;
	sqlite3_stmt *stmt[SAOLA__ST_COUNT];
	struct {
		char *sql;
		sqlite3_stmt *st;
	} txn[12];                 /* transaction statements, prepared once */
	saola__form_cache *forms;  /* compiled forms, current versions */
	json_t *standards;         /* {family: [standard objects]}, loaded lazily */
	struct saola__places_mem *places; /* the units table, read lazily (places.c) */
	/* Where a form load counts the stored records a new version would
	 * break (form_compat.h); NULL: this database's records table. */
	int (*count_fn)(void *ctx, const struct saola__probe *p, int64_t *count, char *err,
	                size_t errlen);
	void *count_ctx;
	/* Form loads refuse a new version that would break stored records
	 * (form_compat.h): set by the commands that author forms (forms load,
	 * forms import). Forms that come from a server (a device's sync, a
	 * district's upstream) are the server's decision and always load. */
	int forms_strict;
};

/* Records rc and a formatted message on db; returns rc. */
int saola__error(saola *db, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Maps a SQLite failure to a saola code with "what: sqlite message". */
int saola__sql_error(saola *db, const char *what);
/* Clears the last error; returns SAOLA_OK. */
int saola__ok(saola *db);

/* saola__random, saola__uuid, saola__random_hex and saola__now are in
 * saola_util.h (core/shared/). */

/* A cached prepared statement, reset and with bindings cleared. */
sqlite3_stmt *saola__stmt(saola *db, saola__stmt_id id);

/* Internal write transactions: a savepoint inside an explicit transaction,
 * else BEGIN IMMEDIATE. End with saola__write_end(db, ok). */
int saola__write_begin(saola *db, const char *name);
int saola__write_end(saola *db, const char *name, int ok);

/* Meta values (origin, clock). */
int saola__meta_get_int(saola *db, const char *key, int64_t *out);
int saola__meta_set_int(saola *db, const char *key, int64_t value);

/* Gives db a new random origin and moves every queued change to it: each
 * outbox entry's version [c, old] becomes [c, new] (same counter), and so
 * does every record path version equal to one of them (so that the records
 * say what the queue will send); bases are left as they are, and versions
 * the server holds already keep the old origin, so that replicas agree.
 * The in-flight batch, the bundle batch, lineage and lineage_next are
 * forgotten (the content changed; a new origin starts a new lineage). One
 * transaction (or a savepoint inside the caller's). old_out gets the old
 * origin. Errors are set on db; nothing changes on failure. */
int saola__reorigin(saola *db, char old_out[SAOLA__ORIGIN_LEN + 1]);

/* saola__tick and saola__observe (the handle's Lamport clock) are in
 * saola_shared.h. */

/* saola__form_lookup and saola__params_source are in saola_form.h
 * (core/shared/). */
/* The units of level valid for year's review (the review_day of family's
 * standard in force that year), inside parent (NULL: any), found by code
 * or name as saola__places_match does. */
int saola__units_match(saola *db, const char *family, json_int_t year, const char *level,
                       const char *parent, const char *query, json_t **out);
/* Forgets compiled forms and standards (after forms change or a rollback). */
void saola__forms_forget(saola *db);

/* A stored record row. */
typedef struct saola__row {
	int found;
	int deleted;
	char *form_id;
	json_t *doc;       /* answers and computed fields */
	json_t *versions;  /* {path: [counter, origin]}, "_" the default */
	char *state;       /* review state: draft, submitted, returned, approved */
	char *comment;     /* the review comment, or NULL */
	char *issues;      /* what a merge left wrong (schema step 4), or NULL */
} saola__row;

/* Reads record id; r->found is 0 when there is none. Free with
 * saola__row_free(). */
int saola__row_read(saola *db, const char *id, saola__row *r);
void saola__row_free(saola__row *r);
/* Inserts or updates a record row. seq is the record's place in the
 * database's change sequence: the Lamport counter ticked for this write
 * (every stored change, local or merged, ticks; pulls page on it). state
 * (NULL: "draft") and comment (may be NULL) are the review columns. */
int saola__row_write(saola *db, int insert, const char *id,
                     const saola__form *f, const json_t *doc,
                     const json_t *versions, int deleted, int64_t seq,
                     const char *now, const char *state, const char *comment,
                     const char *issues);

/* Queues one change: op "put" or "delete", changes {path: value} (NULL
 * for a new record, read back from it), its version and the base. */
int saola__outbox_add(saola *db, const char *id, const saola__form *f,
                      const char *op, json_t *changes, json_t *version,
                      json_t *base, const char *now);

/* A restored server (resend.c): queues every record that holds an answer
 * of this device's origin, whole (op "resend"), ahead of the changes
 * queued before, which follow in their order; forgets the batch in flight
 * and the push bundle's batch (they name places in the queue). *queued:
 * how many records. Inside a write transaction. */
int saola__outbox_resend_all(saola *db, int64_t *queued);

/* Review states (review.c): SAOLA__P_STATE, SAOLA__P_COMMENT,
 * saola__state_valid and saola__flat_add_review are in saola_shared.h. */
/* Writes the review paths of record id, queued like any change: state
 * (NULL: unchanged) and comment (NULL: unchanged, "": cleared). No rules
 * checked (saola_set_state checks them). Inside a write transaction. */
int saola__review_write(saola *db, const char *id, const char *state,
                        const char *comment);

/* As saola_outbox_read, but a new record's entry comes without "changes"
 * (the record itself is the change: see saola__wire_from_outbox_db). */
int saola__outbox_read_raw(saola *db, int64_t after_seq, int limit, json_t **out);


/* Exec SQL with no results; maps errors. */
int saola__exec(saola *db, const char *sql);

#endif /* SAOLA_INT_H */
