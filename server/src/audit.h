/* audit.h: the server's append-only audit log: the paths of a record
 * whose change the server accepted (a device's or a district's push, a
 * bundle, an officer's resolution or review, a pull from the upstream
 * server), written in the same transaction as the change, with who made
 * it and from which batch. docs/security.md, "The audit log". */
#ifndef SAOLA_AUDIT_H
#define SAOLA_AUDIT_H

#include <stdint.h>
#include <jansson.h>

#include "server_int.h"
#include "store.h"

struct saola;

/* Who the changes being made come from. Strings are borrowed. */
/* The detail of the audit rows of a server's own move of a record back to
 * submitted, when a device's edit reached it approved. */
#define SAOLA__REOPEN_DETAIL "a device's edit reached an approved record"

typedef struct saola__audit_who {
	const char *source;     /* "sync", "bundle", "officer", "upstream" */
	int64_t user_id;        /* 0: none (the command line, upstream) */
	const char *user_name;  /* NULL: none */
	const char *device;     /* the sender's origin id, NULL: none */
	const char *batch;      /* NULL: none */
	const char *action;     /* NULL: told by each change (create, edit,
	                         * delete, state); "resolve": every change is
	                         * a conflict's resolution */
	const char *detail;     /* said of every row (a conflict's id), or NULL */
	const char *now;        /* "YYYY-MM-DDTHH:MM:SSZ"; NULL: each row's time */
} saola__audit_who;

/* Writes the rows of one write of a record on store s (c: what changed,
 * as the merge says), as who (NULL: nobody said; rows say source
 * "server"), through s's connection inside the caller's write
 * transaction. SAOLA_OK, or a code with the message on s's connection. */
struct saola__changes;
int saola__audit_changes(saola__store *s, const saola__audit_who *who,
                         const struct saola__changes *c);

/* The rows of saola__audit_changes made ahead of the write, as text, so
 * that the write only binds them (docs/scale.md, "Work outside the
 * write"). make: as who (its action and detail; the rest is bound at the
 * write), NULL when out of memory; write: as who, for record_id, through
 * s's connection inside the caller's write transaction (SAOLA_OK, or a
 * code with the message on s's connection); free: NULL is a no-op. */
typedef struct saola__audit_rows saola__audit_rows;
saola__audit_rows *saola__audit_rows_make(const saola__audit_who *who,
                                          const struct saola__changes *c);
int saola__audit_rows_write(saola__store *s, const saola__audit_who *who,
                            const char *record_id, const saola__audit_rows *r);
void saola__audit_rows_free(saola__audit_rows *r);

/* Writes a row that no change of a record brings (an officer's resolution
 * that found the chosen value standing: nothing was written, but the
 * conflict was closed), as who (NULL: nobody said), through s's
 * connection inside the caller's write transaction. SAOLA_OK, or a code
 * with the message on s's connection. */
int saola__audit_note(saola__store *s, const saola__audit_who *who, const char *record_id,
                      const char *path, const char *detail);

/* A history from the audit log, oldest first: the rows of record_id
 * and/or of user (either may be NULL, not both), at or after since (NULL:
 * all; "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ"), path by path (a new
 * record's row gives an entry per answer, each with the row's id). A new
 * array of objects {"id","at","user","user_id","device","batch","source",
 * "record","action","path","value","personal","version","state","detail"}
 * (members absent when NULL; "value" parsed back to JSON, absent where
 * "personal" is true). 0, or -1 with e (404 when the database holds no
 * record record_id, 400 for a bad since). */
int saola__audit_history(saola__store *s, const char *record_id, const char *user,
                         const char *since, json_t **out, saola__err *e);

/* The saola-server command `audit` (argv from after its name). */
int saola__cmd_audit(int argc, char **argv);

#endif
