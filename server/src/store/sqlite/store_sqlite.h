/* store_sqlite.h: the SQLite store's connection, shared by its files. */
#ifndef SAOLA_STORE_SQLITE_H
#define SAOLA_STORE_SQLITE_H

#include <sqlite3.h>

#include "saola_int.h"
#include "store.h"

/* Prepared statements kept for the life of the connection. */
typedef enum sq_stmt_id {
	SQ_META_GET,
	SQ_USER_BY_HASH,
	SQ_USER_BY_NAME,
	SQ_DEVICE_GET,
	SQ_DEVICE_SYNC,
	SQ_DEVICE_USER,
	SQ_USER_DEVICES,
	SQ_DEVICE_BUNDLES,
	SQ_BATCH_GET,
	SQ_BATCH_PUT,
	SQ_REC_BEFORE,
	SQ_REC_AFTER,
	SQ_MAX_SEQ,
	SQ_ECHO_SET,
	SQ_CONFLICT_ADD,
	SQ_PULL_ALL,
	SQ_PULL_PROVINCE,
	SQ_PULL_DISTRICT,
	SQ_PULL_COMMUNE,
	SQ_COUNT
} sq_stmt_id;

typedef struct sq_store {
	saola__store base;
	saola *db;               /* a core database: records, forms, standards */
	sqlite3_stmt *stmt[SQ_COUNT];
	int64_t forms_gen;       /* the forms generation the cache was built at */
	int txn;                 /* 0 none, 1 write, 2 read */
	int relaxed;             /* this write runs with synchronous=NORMAL */
	struct saola__audit *audit;  /* the audit log, hooked to db (audit.h) */
	char errmsg[SAOLA__ERRMSG_MAX];
} sq_store;

/* A cached statement, reset, bindings cleared; NULL on failure (errmsg). */
sqlite3_stmt *saola__sq_stmt(sq_store *s, sq_stmt_id id);

/* Records a failure with a formatted message; returns rc. */
int saola__sq_fail(sq_store *s, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Records a SQLite failure: "what: sqlite's message"; returns a saola code. */
int saola__sq_sql_fail(sq_store *s, const char *what);

/* The record operations (store_sqlite_records.c). */
/* Says, inside a write transaction, that forms were loaded into s's core
 * database by other means than forms_load: every connection recompiles. */
int saola__sq_forms_changed(sq_store *s);

int saola__sq_apply(saola__store *base, const json_t *change, const saola__apply_ctx *ctx,
                    saola__change_result *res, char *err, size_t errlen);
int saola__sq_pull(saola__store *base, const char *area, const char *device,
                   int64_t cursor, int limit, size_t max_bytes, json_t *records,
                   int64_t *next, int *more);

/* Users, devices and batches (store_sqlite_users.c). */
int saola__sq_user_add(saola__store *base, saola__user *u, const unsigned char *hash,
                       const char *now);
int saola__sq_user_by_hash(saola__store *base, const unsigned char *hash, saola__user *out,
                           unsigned char *stored, int *found);
int saola__sq_user_by_name(saola__store *base, const char *name, saola__user *out,
                           int *found);
int saola__sq_user_revoke(saola__store *base, int64_t user_id, const char *now);
int saola__sq_user_expiry(saola__store *base, int64_t user_id, const char *expires);
int saola__sq_user_permissions(saola__store *base, int64_t user_id, const char *words);
int saola__sq_user_list(saola__store *base, json_t **out);
int saola__sq_user_token_hash(saola__store *base, int64_t user_id,
                              unsigned char hash[SAOLA__SHA256_LEN], int *found);
int saola__sq_device_get(saola__store *base, const char *device, saola__device *out);
int saola__sq_device_sync(saola__store *base, const char *device, int64_t user_id,
                          const char *lineage, const char *batch, const char *now);
int saola__sq_device_user(saola__store *base, const char *device, saola__user *out,
                          int *found);
int saola__sq_user_confirmed(saola__store *base, int64_t user_id, int per_device,
                             json_t **out);
int saola__sq_batch_get(saola__store *base, int64_t user_id, const char *batch,
                        saola__batch_rec *out);
int saola__sq_batch_put(saola__store *base, int64_t user_id, const char *batch,
                        const char *device, const char *source, const saola__batch_rec *b,
                        const char *now);

#endif
