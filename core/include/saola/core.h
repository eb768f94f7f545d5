/* saola/core.h: the public API of libsaola, the device-side store, forms and
 * change queue of saola (offline-first household survey collection).
 *
 * Conventions (see STYLE.md):
 *  - Every function that can fail returns an int result code, SAOLA_OK (0) on
 *    success; saola_errmsg() then says what failed and why.
 *  - Handles are opaque; saola_close(NULL) does nothing.
 *  - Records travel as jansson json_t objects. A json_t returned through an
 *    out-parameter is a new reference: the caller json_decref()s it. A
 *    char * returned through an out-parameter is freed with saola_free().
 *  - Out-parameters are zeroed (NULL) on failure.
 */
#ifndef SAOLA_CORE_H
#define SAOLA_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SAOLA_VERSION "0.1.0"

/* Public functions are exported from the shared library; nothing else is. */
#if defined(__GNUC__)
#define SAOLA_API __attribute__((visibility("default")))
#else
#define SAOLA_API
#endif

/* Result codes, stable across releases. Built from one list. */
#define SAOLA_ERRNO_MAP(X)                                              \
	X(OK,        0, "ok")                                               \
	X(ERROR,     1, "error")                                            \
	X(NOMEM,     2, "out of memory")                                    \
	X(IO,        3, "input/output error")                               \
	X(CORRUPT,   4, "database is corrupt or not a saola database")      \
	X(READONLY,  5, "database is read-only")                            \
	X(NOTFOUND,  6, "not found")                                        \
	X(INVALID,   7, "invalid input")                                    \
	X(NOFORM,    8, "unknown form")                                     \
	X(BUSY,      9, "database is busy")                                 \
	X(MISUSE,   10, "library misuse")                                   \
	X(TOONEW,   11, "database was made by a newer saola")               \
	X(DELETED,  12, "record is deleted")                                \
	X(NETWORK,  13, "network error")                                    \
	X(AUTH,     14, "not authorised")                                   \
	X(PROTOCOL, 15, "protocol error")                                   \
	X(CONFLICT, 16, "conflict")                                         \
	X(LIMIT,    17, "limit exceeded")

typedef enum saola_rc {
#define SAOLA__RC_ENUM(name, code, text) SAOLA_##name = code,
	SAOLA_ERRNO_MAP(SAOLA__RC_ENUM)
#undef SAOLA__RC_ENUM
} saola_rc;

/* Returns a static, lowercase description of a result code. Never NULL. */
SAOLA_API const char *saola_strerror(int rc);

/* Frees memory that the library returned as char * (NULL is a no-op). */
SAOLA_API void saola_free(void *p);

/* ------------------------------------------------------------------ */
/* The database handle                                                 */

typedef struct saola saola;

enum {
	SAOLA_OPEN_READONLY = 0x1, /* never write; fails if the file is missing */
	SAOLA_OPEN_CREATE   = 0x2, /* create the file if it does not exist */
	SAOLA_OPEN_SERVER   = 0x4  /* a server's database, where officers work:
	                            * records may be returned and approved, and
	                            * approved records edited (see
	                            * saola_set_state) */
};

/* Opens (and, with SAOLA_OPEN_CREATE, creates) a device database at path,
 * upgrading its schema if an older build made it. On success *out is a new
 * handle; on failure *out is still a handle (unless out of memory) whose
 * saola_errmsg() says why: close it with saola_close(). */
SAOLA_API int saola_open(const char *path, unsigned flags, saola **out);

/* Closes the handle, rolling back any open transaction. NULL is a no-op. */
SAOLA_API void saola_close(saola *db);

/* The message of the last failure on this handle, owned by the handle and
 * valid until the next call on it. "ok" when nothing failed. */
SAOLA_API const char *saola_errmsg(const saola *db);

/* The code of the last failure on this handle. */
SAOLA_API int saola_errcode(const saola *db);

/* This replica's origin id (made at creation, random, 16 hex digits).
 * Owned by the handle. */
SAOLA_API const char *saola_origin(const saola *db);

/* Sets who is making changes (user name or device label), recorded in each
 * record's metadata. The string is copied. */
SAOLA_API int saola_set_actor(saola *db, const char *actor);

/* The schema version of the open database (PRAGMA user_version). */
SAOLA_API int saola_schema_version(const saola *db);

/* Batch transactions: every call between begin and commit is applied all or
 * nothing. Without an explicit transaction each write is its own. Nested
 * begin is a SAOLA_MISUSE. */
SAOLA_API int saola_begin(saola *db);
SAOLA_API int saola_commit(saola *db);
SAOLA_API int saola_rollback(saola *db);

/* ------------------------------------------------------------------ */
/* Forms                                                               */

/* Loads a form definition (JSON text) into the store, replacing a stored
 * definition of the same id and version, and making it the current version
 * of that form. *form_id (may be NULL) gets the form's id, freed with
 * saola_free(). Errors name the path in the definition that is wrong. */
SAOLA_API int saola_form_load(saola *db, const char *json_text, char **form_id);

/* Loads every *.json file of dir/forms and dir/standards (a schemas folder),
 * all or nothing. *count (may be NULL) gets how many forms were loaded. */
SAOLA_API int saola_forms_load_dir(saola *db, const char *dir, int *count);

/* Lists the stored forms: a new array of {"id","version","title","current"}. */
SAOLA_API int saola_forms_list(saola *db, json_t **out);

/* The current definition of form form_id: a new reference. */
SAOLA_API int saola_form_get(saola *db, const char *form_id, json_t **out);

/* ------------------------------------------------------------------ */
/* Records                                                             */

/* Creates or updates a record of form form_id from the answers in data (an
 * object; not modified). With record_id NULL a new record is made and its id
 * (a UUID) written to out_id. With record_id set, only the fields present in
 * data change and the rest stay as they were (a field set to null is
 * cleared); a record_id that does not exist yet is created with that id.
 * Answers are checked against the form; computed fields are recomputed.
 * The change is queued in the outbox in the same transaction. An approved
 * record is read-only except on a server's database (SAOLA_AUTH).
 * out_id (may be NULL) must hold 37 bytes. */
SAOLA_API int saola_put(saola *db, const char *form_id, const char *record_id,
              json_t *data, char out_id[37]);

/* Reads a record: a new object
 *   {"id","form","form_version","state","comment","deleted","data":{...},
 *    "meta":{"created_at","created_by","updated_at","updated_by",
 *            "origin","version"}}
 * plus "issues" (text) when a merge of edits made apart left the record
 * failing its form (a constraint, a required answer): the next edit must
 * mend it (docs/conflicts.md).
 * where data holds the answers and the computed fields. A deleted record is
 * a tombstone: returned with "deleted":true and its last data (so that an
 * edit made elsewhere before the delete was seen can still be merged).
 * SAOLA_NOTFOUND if there is no such record. */
SAOLA_API int saola_get(saola *db, const char *record_id, json_t **out);

/* Deletes a record: a tombstone with a version, queued like any change.
 * SAOLA_NOTFOUND if there is no such record, SAOLA_DELETED if it is one
 * already, SAOLA_AUTH for an approved record on a device. */
SAOLA_API int saola_delete(saola *db, const char *record_id);

typedef struct saola_list_opts {
	const char *form_id;   /* NULL: every form */
	int include_deleted;   /* 0: skip tombstones */
	int with_data;         /* 0: only the summary columns */
} saola_list_opts;

/* Called once per record, in creation order; a non-zero return stops the
 * listing and is returned by saola_list(). rec is borrowed for the call: it
 * has the shape of saola_get()'s result (data only when with_data). */
typedef int (*saola_list_cb)(void *ctx, json_t *rec);

SAOLA_API int saola_list(saola *db, const saola_list_opts *opts, saola_list_cb cb,
               void *ctx);

/* Counts of what the store holds: a new object {"records","deleted",
 * "issues" (live records a merge left failing their form),
 * "outbox","forms","origin","schema_version","states":{state: count of
 * live records}, ...sync state}. */
SAOLA_API int saola_status(saola *db, json_t **out);

/* ------------------------------------------------------------------ */
/* Review states (docs/conflicts.md, "Review states")                  */

/* Moves record_id to the review state state, queued like any change (the
 * state and the comment are versioned paths of the record, "_state" and
 * "_comment", merged by the same rule as answers):
 *   "submitted": from draft or returned (a surveyor, on the device);
 *   "returned":  from submitted or approved, comment required (re-survey);
 *   "approved":  from submitted.
 * Returning and approving are an officer's: they need a database opened
 * with SAOLA_OPEN_SERVER (SAOLA_AUTH otherwise). comment (may be NULL:
 * unchanged; "": cleared) is stored with the state. Errors: SAOLA_NOTFOUND,
 * SAOLA_DELETED, SAOLA_INVALID (an unknown state, a move the process does
 * not allow, a return without a comment), SAOLA_LIMIT (a comment longer
 * than the form's comment_max_length), SAOLA_AUTH. On a device, an
 * approved record is read-only: saola_put and saola_delete refuse it with
 * SAOLA_AUTH. */
SAOLA_API int saola_set_state(saola *db, const char *record_id, const char *state,
                              const char *comment);

/* ------------------------------------------------------------------ */
/* The outbox (the change queue)                                       */

/* Reads up to limit queued changes with seq > after_seq, oldest first, into
 * a new array of objects:
 *   {"seq","record","form","form_version","op":"put"|"delete",
 *    "changes":{path: value, ...}, "version":[counter, origin],
 *    "base":{path: [counter, origin] | null, ...}, "at"}
 * Field paths are top-level field names; fields of a repeat item are
 * "repeat.itemid.field", and "repeat.itemid" carries the item's position
 * (null when the item was removed). A record's creation carries every
 * answer the record holds when it is read (at the creating version); the
 * edits made since follow in their own entries, with higher versions. */
SAOLA_API int saola_outbox_read(saola *db, int64_t after_seq, int limit, json_t **out);

/* Acknowledges (removes) every queued change with seq <= upto_seq. */
SAOLA_API int saola_outbox_ack(saola *db, int64_t upto_seq);

/* Number of queued changes. */
SAOLA_API int saola_outbox_count(saola *db, int64_t *count);

/* ------------------------------------------------------------------ */
/* Sync state: a small key/value table for the sync client.            */

/* Reads a value: *value is a new string (saola_free) or NULL if unset. */
SAOLA_API int saola_state_get(saola *db, const char *key, char **value);
/* Writes a value (NULL removes the key). */
SAOLA_API int saola_state_set(saola *db, const char *key, const char *value);

#ifdef __cplusplus
}
#endif
#endif /* SAOLA_CORE_H */
