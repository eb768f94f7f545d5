/* store_sql.h: what the store's shared files (written once, in the SQL
 * both engines speak, over db.h) offer the backends: cached statements,
 * and the users, devices and batches that every backend keeps alike. For
 * the store's own files only. */
#ifndef SAOLA_STORE_SQL_H
#define SAOLA_STORE_SQL_H

#include "store.h"

/* Statements that the shared files keep prepared for the life of the
 * store's connection, by id. */
typedef enum saola__store_stmt_id {
	SAOLA__SS_USER_BY_HASH,
	SAOLA__SS_USER_BY_NAME,
	SAOLA__SS_DEVICE_GET,
	SAOLA__SS_DEVICE_SYNC,
	SAOLA__SS_DEVICE_USER,
	SAOLA__SS_USER_DEVICES,
	SAOLA__SS_DEVICE_BUNDLES,
	SAOLA__SS_BATCH_GET,
	SAOLA__SS_BATCH_PUT,
	/* store_records.c and audit.c */
	SAOLA__SS_REC_READ,
	SAOLA__SS_REC_PEEK,
	SAOLA__SS_REC_WRITE,
	SAOLA__SS_REC_NEXT_SEQ,
	SAOLA__SS_SEQ_LOCK,
	SAOLA__SS_CLOCK_OBSERVE,
	SAOLA__SS_CLOCK_TICK,
	SAOLA__SS_ECHO_SET,
	SAOLA__SS_CONFLICT_ADD,
	SAOLA__SS_AUDIT_ADD,
	/* store_state.c */
	SAOLA__SS_STATE_GET,
	SAOLA__SS_STATE_SET,
	SAOLA__SS_STATE_DEL,
	SAOLA__SS_SEQ_NUMBER,
	SAOLA__SS_COUNT
} saola__store_stmt_id;

_Static_assert(SAOLA__SS_COUNT <= sizeof ((saola__store *)0)->stmts /
               sizeof ((saola__store *)0)->stmts[0], "saola__store's stmts is too short");

/* s's statement id, prepared from sql at its first use and reset (its
 * bindings cleared) at each; NULL on failure (message in s's connection). */
saola__dbstmt *saola__store_stmt(saola__store *s, saola__store_stmt_id id, const char *sql);

/* Frees the cached statements (before the connection closes). */
void saola__store_stmts_free(saola__store *s);

/* Users, devices and batches (store_users.c): the store_ops of the same
 * names (store.h), for every backend. */
int saola__users_add(saola__store *s, saola__user *u, const unsigned char *hash,
                     const char *now);
int saola__users_by_hash(saola__store *s, const unsigned char *hash, saola__user *out,
                         unsigned char *stored, int *found);
int saola__users_by_name(saola__store *s, const char *name, saola__user *out, int *found);
int saola__users_revoke(saola__store *s, int64_t user_id, const char *now);
int saola__users_expiry(saola__store *s, int64_t user_id, const char *expires);
int saola__users_permissions(saola__store *s, int64_t user_id, const char *words);
int saola__users_list(saola__store *s, json_t **out);
int saola__users_token_hash(saola__store *s, int64_t user_id,
                            unsigned char hash[SAOLA__SHA256_LEN], int *found);
int saola__devices_get(saola__store *s, const char *device, saola__device *out);
int saola__devices_sync(saola__store *s, const char *device, int64_t user_id,
                        const char *lineage, const char *batch, const char *now);
int saola__devices_user(saola__store *s, const char *device, saola__user *out, int *found);
int saola__devices_confirmed(saola__store *s, int64_t user_id, int per_device, json_t **out);
int saola__batches_get(saola__store *s, int64_t user_id, const char *batch,
                       saola__batch_rec *out);
int saola__batches_put(saola__store *s, int64_t user_id, const char *batch,
                       const char *device, const char *source, const saola__batch_rec *b,
                       const char *now);

/* The forms engine of s: a core database (core's saola handle) holding
 * the forms, standards and units that merges check records with: its
 * saola__form_lookup() compiles a form, its saola__params_source() gives
 * the standards' parameters and the units. On SQLite it is the store's own
 * core database (so its clock is the server's too: store_records.c); the
 * PostgreSQL store is to give an in-memory one, loaded with its forms.
 * NULL: the store has none yet (it cannot merge). */
struct saola;
struct saola *saola__store_forms_engine(saola__store *s);

/* Records (store_records.c): the store_op apply (store.h), for every
 * backend: the stored row is read and written with the SQL both engines
 * speak, the two states merged in memory (saola__merge_states). */
int saola__records_apply(saola__store *s, const json_t *change, const saola__apply_ctx *ctx,
                         saola__apply_pre *pre, saola__change_result *res);
/* The store op prepare (store.h), for every backend. */
saola__apply_pre *saola__records_prepare(saola__store *s, const json_t *change,
                                         const saola__apply_ctx *ctx);

/* An edit of this server's own (an officer's resolution or review): the
 * paths of changes ({path: value}, flat as versions.h names them;
 * "_deleted" true deletes) written on record id as one change of the
 * server's origin, with a version of its clock (above every version it has
 * merged), merged with the stored row as a device's change is, stored with
 * the next change sequence (devices pull it; no outbox), updated_by by, and
 * audited as who. Inside the caller's write transaction. *version (may be
 * NULL): the version taken, a new reference. SAOLA_OK; SAOLA_NOTFOUND (no
 * such record), SAOLA_INVALID or SAOLA_LIMIT (the form refuses it), or
 * another code; the message on s's connection. store_own.c. */
struct saola__audit_who;
int saola__records_write_own(saola__store *s, const char *id, const json_t *changes,
                             const char *by, const struct saola__audit_who *who,
                             json_t **version);

/* A stored record's state as core's saola__record_state gives it:
 * {"form", "form_version", "values" (flat, review paths included),
 * "versions", "deleted"}, a new reference in *out; for_write: inside a
 * write transaction that is to change it (PostgreSQL locks the row until
 * the transaction ends). SAOLA_NOTFOUND for no such record; the message on
 * s's connection. store_own.c. */
int saola__records_state(saola__store *s, const char *id, int for_write, json_t **out);

/* Locks the records that changes (a batch) name until the transaction
 * ends, in one order, so that concurrent batches over the same records
 * wait for each other instead of deadlocking (PostgreSQL; nothing on
 * SQLite, whose writers are serialised). docs/scale.md. */
int saola__records_lock(saola__store *s, const json_t *changes);

/* The store ops (store.h) that every backend takes from the shared files:
 * a backend's ops table lists this, then only what is its own. */
#define SAOLA__STORE_SHARED_OPS                        \
	.user_add = saola__users_add,                      \
	.user_by_hash = saola__users_by_hash,              \
	.user_by_name = saola__users_by_name,              \
	.user_revoke = saola__users_revoke,                \
	.user_expiry = saola__users_expiry,                \
	.user_permissions = saola__users_permissions,      \
	.user_list = saola__users_list,                    \
	.user_token_hash = saola__users_token_hash,        \
	.device_get = saola__devices_get,                  \
	.device_sync = saola__devices_sync,                \
	.device_user = saola__devices_user,                \
	.user_confirmed = saola__devices_confirmed,        \
	.latest_seq = saola__records_latest_seq,           \
	.batch_get = saola__batches_get,                   \
	.batch_put = saola__batches_put,                   \
	.records_lock = saola__records_lock,               \
	.state_get = saola__state_get,                     \
	.state_set = saola__state_set,                     \
	.apply = saola__records_apply,                     \
	.prepare = saola__records_prepare

/* The server's sync state (store_state.c): the store ops state_get and
 * state_set (store.h). */
int saola__state_get(saola__store *s, const char *key, char **out);
int saola__state_set(saola__store *s, const char *key, const char *value);

/* PostgreSQL: numbers the records that the open write stored with
 * provisional sequence numbers (s->seq_pending) after every number
 * committed, in the order they were written, under the change sequence's
 * advisory lock (held until commit), with their echo and upstream rows;
 * called by the backend's end just before it commits. store_records.c. */
int saola__records_number(saola__store *s);

/* The highest change sequence stored (0: none): store_pull.c. */
int saola__records_latest_seq(saola__store *s, int64_t *out);

/* Forms (store_forms.c): the current versions {id: version}, and every
 * current definition with the standards and the units of engine (the
 * store's forms engine, a core database): {"forms", "standards",
 * "units"}. New references in *out. */
int saola__forms_current(saola__store *s, json_t **out);
int saola__forms_all(saola__store *s, struct saola *engine, json_t **out);
/* The current definition of form id: a new reference in *out, NULL when
 * the store has no such form (SAOLA_OK all the same). In the caller's
 * transaction. */
int saola__form_current_def(saola__store *s, const char *id, json_t **out);

/* A pull's page (store_pull.c): the store's pull op (store.h), with
 * engine the store's forms engine (a core database) for the wire form of
 * each record. */
int saola__records_pull(saola__store *s, struct saola *engine, const char *area,
                        const char *device, int64_t cursor, int limit, size_t max_bytes,
                        json_t *records, int64_t *next, int *more);

#endif
