/* store.h: the server's storage interface: users, devices, batches, records
 * and forms behind a table of functions, so that another store (PostgreSQL
 * for national consolidation) can sit beside the SQLite one. One store
 * handle is one connection: not thread-safe; give each thread its own. */
#ifndef SAOLA_STORE_H
#define SAOLA_STORE_H

#include <stdint.h>
#include <jansson.h>

#include "db.h"
#include "sha256.h"

#define SAOLA__NAME_MAX 64   /* user names */
#define SAOLA__AREA_MAX 8    /* unit codes: 2, 3 or 5 digits */
#define SAOLA__DEVICE_MAX 64 /* device origin ids */
/* A pull page stops taking records once their JSON passes this, so that a
 * few huge records cannot make every page of an area too big to take. */
#define SAOLA__PULL_PAGE_BYTES ((size_t)4 << 20)
/* The most bundle batch ids a pull bundle confirms per device. */
#define SAOLA__CONFIRMED_MAX 64

typedef struct saola__store saola__store;
typedef struct saola__store_ops saola__store_ops;

/* Every store implementation starts with this. db is the store's SQL
 * connection (db.h), through which the server's modules run their
 * portable statements; it belongs to the store. */
struct saola__store {
	const saola__store_ops *ops;
	saola__db *db;
	struct saola__dbstmt *stmts[24];  /* store_sql.h's cached statements */
	int64_t seq_pending;  /* PostgreSQL: how many provisional (negative)
	                       * change sequence numbers the open write gave
	                       * (-1, -2, ...), numbered just before it commits */
	int64_t clock_known;  /* PostgreSQL: a value clock_seq is known to have
	                       * reached (it never goes down) */
	int forms_strict;     /* forms_load(_doc) refuses a version that would
	                       * break stored records (the forms commands) */
};

/* The SQL connection of s. */
#define saola__store_db(s) ((s)->db)

typedef struct saola__user {
	int64_t id;
	char name[SAOLA__NAME_MAX + 1];
	char role[16];
	char area[SAOLA__AREA_MAX + 1];  /* "" for an admin without one */
	int revoked;
	char expires[21];  /* "YYYY-MM-DDTHH:MM:SSZ" (UTC): the token is refused
	                    * from then on; "" when it never expires */
	unsigned permissions;            /* SAOLA__PERM_* bits (permissions.h) */
} saola__user;

/* The administrative units a record lies in (empty: none given). Codes
 * longer than any unit code are kept truncated with `bad` set, so that they
 * match no area. */
typedef struct saola__units {
	char province[SAOLA__AREA_MAX + 1];
	char district[SAOLA__AREA_MAX + 1];
	char commune[SAOLA__AREA_MAX + 1];
	int bad;
} saola__units;

/* A stored batch: what it applied, kept to answer a replay. */
typedef struct saola__batch_rec {
	int found;
	unsigned char digest[SAOLA__SHA256_LEN];
	int64_t accepted, applied, conflicts;
	json_t *conflicted;      /* array of record ids; owned by the caller */
} saola__batch_rec;

/* A change read and merged ahead of its write (ops->prepare), kept for
 * apply: opaque; free with saola__apply_pre_free (NULL: a no-op). */
typedef struct saola__apply_pre saola__apply_pre;
void saola__apply_pre_free(saola__apply_pre *p);

/* The context of one batch's changes. */
typedef struct saola__apply_ctx {
	const char *device;      /* the sender's origin: bare counters stand for it */
	const saola__user *user; /* NULL: a record received from this server's
	                          * upstream server (upstream.c): no user, device
	                          * or batch; no echo state; its values that lose
	                          * are logged only when base is given */
	const char *batch;
	int64_t cursor;          /* the request's pull cursor (echo suppression) */
	const char *now;         /* "YYYY-MM-DDTHH:MM:SSZ" */
	const char *source;      /* for the audit log: "sync" (NULL), "bundle"
	                          * or "upstream" */
	const json_t *base;      /* upstream: the versions last exchanged, the
	                          * base of a record changed here since (NULL:
	                          * the change's own) */
} saola__apply_ctx;

/* What applying one change did. */
typedef struct saola__change_result {
	const char *record_id;   /* borrowed from the change */
	int existed;             /* the record was stored before */
	saola__units before;     /* its units before (when existed) */
	saola__units after;      /* its units after */
	int before_year;         /* its survey year before and after (0: none), */
	int after_year;          /* for the units valid then (rules.h) */
	int changed;             /* the stored record changed */
	int64_t conflicts;       /* values that lost, now in the conflict log */
} saola__change_result;

/* A device as the server knows it: the user it was enrolled by (its owner,
 * set when its origin was first seen and never changed by a request) and
 * the last lineage token it was given (docs/protocol.md, "Lineage"). */
#define SAOLA__LINEAGE_LEN 32    /* hex digits of a lineage token */
typedef struct saola__device {
	int found;
	int64_t owner;
	char lineage[SAOLA__LINEAGE_LEN + 1];  /* "" when none was stored */
	char lineage_batch[SAOLA__DEVICE_MAX + 1]; /* the batch of the request that
	                                            * stored it ("" for none) */
} saola__device;

/* Result codes are saola's. apply returns SAOLA_PROTOCOL for a change of the
 * wrong shape, SAOLA_INVALID for one that fails the form (or names an
 * unknown form), other codes for failures of the store. The message of a
 * failure, a refusal's included, is errmsg()'s until the next failure. */
struct saola__store_ops {
	const char *name;
	void (*close)(saola__store *s);
	const char *(*errmsg)(const saola__store *s);

	/* A write transaction (writers are serialised), a read snapshot, and
	 * their end: commit when ok, else roll back. A write that is not
	 * durable may be lost in a power cut once committed (a last-sync
	 * time), and so costs no flush to disk. */
	int (*write_begin)(saola__store *s, int durable);
	int (*read_begin)(saola__store *s);
	int (*end)(saola__store *s, int ok);

	/* Forms: load a schemas folder (all or nothing); the current versions
	 * {id: version}; every current definition {"forms": [...],
	 * "standards": [...]}. New references. */
	int (*forms_load)(saola__store *s, const char *dir, int *count);
	/* Loads the standards, units and forms of a GET /v1/forms answer (an
	 * upstream server's: upstream_http.c), inside the caller's write
	 * transaction; *count (may be NULL) gets the number of forms. */
	int (*forms_load_doc)(saola__store *s, const json_t *doc, int *count);
	int (*forms_current)(saola__store *s, json_t **out);
	int (*forms_all)(saola__store *s, json_t **out);

	/* Users. user_by_hash finds the user whose token hash is hash (found 0
	 * when none) and copies the stored hash to stored, for the caller to
	 * compare in constant time. user_add stores u->expires too;
	 * user_expiry sets it ("" or NULL: never). user_list: a new array of
	 * objects. */
	int (*user_add)(saola__store *s, saola__user *u, const unsigned char *hash,
	                const char *now);
	int (*user_by_hash)(saola__store *s, const unsigned char *hash, saola__user *out,
	                    unsigned char *stored, int *found);
	int (*user_by_name)(saola__store *s, const char *name, saola__user *out, int *found);
	int (*user_revoke)(saola__store *s, int64_t user_id, const char *now);
	int (*user_expiry)(saola__store *s, int64_t user_id, const char *expires);
	/* Sets a user's permissions: words, space-separated ("" none). */
	int (*user_permissions)(saola__store *s, int64_t user_id, const char *words);
	int (*user_list)(saola__store *s, json_t **out);
	/* The stored SHA-256 of a user's token (found 0: no such user): the
	 * key of the user's pull bundles' HMAC. */
	int (*user_token_hash)(saola__store *s, int64_t user_id,
	                       unsigned char hash[SAOLA__SHA256_LEN], int *found);

	/* Devices. device_get reads a device's row (found 0 when its origin
	 * is unknown). device_sync inserts it owned by user_id, or records a
	 * sync of the existing row: last sync, and the lineage when lineage
	 * is not NULL, with batch, the id of the batch that brought it (NULL:
	 * a request without changes); it never changes the owner. device_user: the owner of
	 * a device (found 0 when the device is unknown). user_confirmed: per
	 * device owned by user_id, the ids of the batches it brought by
	 * bundle, newest first, at most per_device each: a new object
	 * {origin: [batch id, ...]}. origin: this server's own origin. */
	int (*device_get)(saola__store *s, const char *device, saola__device *out);
	int (*device_sync)(saola__store *s, const char *device, int64_t user_id,
	                   const char *lineage, const char *batch, const char *now);
	int (*device_user)(saola__store *s, const char *device, saola__user *out, int *found);
	int (*user_confirmed)(saola__store *s, int64_t user_id, int per_device, json_t **out);
	const char *(*origin)(saola__store *s);

	/* The highest change sequence the store holds (0: none). */
	int (*latest_seq)(saola__store *s, int64_t *out);

	/* Batches, keyed by (user, batch id); source is what carried the
	 * batch: "sync" or "bundle". */
	int (*batch_get)(saola__store *s, int64_t user_id, const char *batch,
	                 saola__batch_rec *out);
	int (*batch_put)(saola__store *s, int64_t user_id, const char *batch,
	                 const char *device, const char *source, const saola__batch_rec *b,
	                 const char *now);

	/* Locks the records a batch's changes name, in one order, until the
	 * transaction ends (store_sql.h). */
	int (*records_lock)(saola__store *s, const json_t *changes);

	/* The server's own sync state by key (upstream.h's SAOLA__UP_*: the
	 * upstream server, its cursor, lineage): state_get gives a new string
	 * (free()) or NULL when unset; state_set with value NULL removes the
	 * key. Inside the caller's transaction (a write one to set). */
	int (*state_get)(saola__store *s, const char *key, char **out);
	int (*state_set)(saola__store *s, const char *key, const char *value);

	/* Merges one wire change (docs/protocol.md) into the stored record,
	 * inside the caller's write transaction: checks and computes it with
	 * the form, logs the values that lose, audits the paths it changes
	 * (as ctx's user, device and batch), keeps the echo state.
	 * pre: NULL, or what prepare made of this change with the same ctx
	 * (apply takes what it reuses of it; the caller still frees it). */
	int (*apply)(saola__store *s, const json_t *change, const saola__apply_ctx *ctx,
	             saola__apply_pre *pre, saola__change_result *res);

	/* The CPU work of apply done ahead, outside the write (docs/scale.md,
	 * "Work outside the write"): reads the change and merges it with the
	 * record as the caller's read snapshot holds it. apply reuses that
	 * merge when it finds the row as it was then (same text, same form),
	 * and does it again otherwise, so the result is apply's alone. NULL
	 * when nothing can be reused (a change apply will refuse, or out of
	 * memory): apply then does all and says why. */
	saola__apply_pre *(*prepare)(saola__store *s, const json_t *change,
	                             const saola__apply_ctx *ctx);

	/* Appends to records (an array) the wire records of area (NULL: every
	 * record) whose change sequence is above cursor, oldest first, at most
	 * limit, and no more once their JSON passes max_bytes (a page holds at
	 * least one record, however big), leaving out those that device (may
	 * be NULL) brought to their current state itself. *next is the cursor
	 * to give back, *more whether records remain. Inside a read snapshot. */
	int (*pull)(saola__store *s, const char *area, const char *device, int64_t cursor,
	            int limit, size_t max_bytes, json_t *records, int64_t *next, int *more);
};

/* Opens the store db names: a connection URI (postgresql://... or
 * postgres://...) opens the PostgreSQL store, anything else the SQLite
 * file at that path (below). On failure returns a code and err says why;
 * *out NULL. */
int saola__store_open(const char *db, const char *schemas, int create, saola__store **out,
                      char *err, size_t errlen);

/* Whether db is a connection URI rather than a file's path. */
int saola__store_is_uri(const char *db);

/* Opens the SQLite store at path, creating the database when create is set
 * (and loading the forms of schemas into a new one), and upgrading the
 * server's tables. A database the server cannot write (a read-only file or
 * folder, a read-only mount) is refused with SAOLA_READONLY. On failure
 * returns a code and err says why; *out NULL. */
int saola__store_sqlite_open(const char *path, const char *schemas, int create,
                             saola__store **out, char *err, size_t errlen);

/* Closes a store; NULL is a no-op. */
void saola__store_close(saola__store *s);

/* The units of a record (its province, district, commune fields). */
void saola__units_set(saola__units *u, const char *province, const char *district,
                      const char *commune);

#endif
