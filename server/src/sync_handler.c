/* sync_handler.c: a sync request: checking its shape, applying its batch
 * of changes in one transaction (idempotent by batch id, inside the user's
 * area), and answering the next page of the area's records. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "epoch.h"
#include "pool.h"
#include "privacy.h"
#include "report.h"
#include "rules.h"
#include "saola_util.h"
#include "sync_handler.h"
#include "wire_cols.h"

#define ID_MAX 64  /* batch and device ids */

typedef struct sync_req {
	const char *batch;     /* NULL when the request has no changes and no id */
	const char *device;
	const char *prev;      /* lineage: the token last accepted (NULL: none) */
	const char *next;      /* ... the one proposed (NULL: no lineage) */
	int64_t cursor;
	int pull_limit;
	json_t *changes;       /* borrowed; an array (protocol 2's columns made one) */
	int protocol;
	const char *epoch;     /* the epoch the device last saw (NULL: none) */
	char *epoch_now;       /* this database's epoch, filled in by the push
	                        * (SAOLA__EPOCH_LEN + 1 bytes) */
} sync_req;

/* 1 when s is an id of 1-64 letters, digits, '-', '_' or '.'. */
static int valid_id(const char *s)
{
	size_t n = s ? strlen(s) : 0, i;

	if (n == 0 || n > ID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

/* 1 when s is a lineage token: 32 lowercase hex digits. */
static int valid_token(const char *s)
{
	size_t i;

	if (!s || strlen(s) != SAOLA__LINEAGE_LEN)
		return 0;
	for (i = 0; i < SAOLA__LINEAGE_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* "lineage": {"prev": token or null, "next": token}, nothing else. */
static int parse_lineage(json_t *v, sync_req *r, saola__err *e)
{
	json_t *prev = json_object_get(v, "prev");

	if (!json_is_object(v) || !prev || json_object_size(v) != 2 ||
	    !(json_is_null(prev) || valid_token(json_string_value(prev))) ||
	    !valid_token(json_string_value(json_object_get(v, "next"))))
		return saola__err_set(e, SAOLA_PROTOCOL, "lineage: expected {\"prev\": 32 hex"
		                      " digits or null, \"next\": 32 hex digits}");
	r->prev = json_string_value(prev);
	r->next = json_string_value(json_object_get(v, "next"));
	return 0;
}

/* Protocol 2's changes, in columns (docs/protocol.md, "Version 2"), made
 * an array in the request, so that every later step reads them as in 1. */
static int decode_columns(json_t *req, size_t max_values, saola__err *e)
{
	char err[SAOLA__ERR_MAX - 16];
	int too_big = 0;
	json_t *arr = saola__cols_decode(json_object_get(req, "changes"), "changes",
	                                 max_values ? max_values : SAOLA__MAX_VALUES_DEFAULT,
	                                 &too_big, err, sizeof err);

	if (!arr)
		return saola__err_set(e, too_big ? SAOLA_LIMIT : SAOLA_PROTOCOL, "%s", err);
	if (json_object_set_new(req, "changes", arr) != 0)
		return saola__err_set(e, SAOLA_NOMEM, "sync: out of memory");
	return 0;
}

static int parse_request(json_t *req, const saola__sync_env *env, sync_req *r, saola__err *e)
{
	json_t *v;

	memset(r, 0, sizeof *r);
	if (!json_is_object(req))
		return saola__err_set(e, SAOLA_PROTOCOL, "expected a JSON object (a sync request)");
	v = json_object_get(req, "protocol");
	if (env->sync_protocol == 1 && (!json_is_integer(v) || json_integer_value(v) != 1))
		return saola__err_set(e, SAOLA_PROTOCOL,
		                      "protocol: expected 1 (this server speaks sync protocol 1)");
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 2)
		return saola__err_set(e, SAOLA_PROTOCOL, "protocol: expected 2 or 1 (this server "
		                      "speaks sync protocols 1 and 2)");
	r->protocol = (int)json_integer_value(v);
	if (r->protocol == 2 && decode_columns(req, env->max_values, e) != 0)
		return -1;
	r->device = json_string_value(json_object_get(req, "device"));
	if (!valid_id(r->device))
		return saola__err_set(e, SAOLA_PROTOCOL,
		                      "device: expected the device's origin id (1-%d letters,"
		                      " digits, '-', '_' or '.')", ID_MAX);
	r->changes = json_object_get(req, "changes");
	if (!json_is_array(r->changes))
		return saola__err_set(e, SAOLA_PROTOCOL, "changes: expected an array");
	v = json_object_get(req, "batch");
	if (v && !json_is_null(v)) {
		r->batch = json_string_value(v);
		if (!valid_id(r->batch))
			return saola__err_set(e, SAOLA_PROTOCOL,
			                      "batch: expected a batch id (1-%d letters, digits,"
			                      " '-', '_' or '.')", ID_MAX);
	} else if (json_array_size(r->changes) > 0) {
		return saola__err_set(e, SAOLA_PROTOCOL, "batch: missing (a batch of changes needs"
		                      " an id, the idempotency key)");
	}
	v = json_object_get(req, "lineage");
	if (v && parse_lineage(v, r, e) != 0)
		return -1;
	v = json_object_get(req, "epoch");
	if (v && !json_is_null(v)) {
		r->epoch = json_string_value(v);
		if (!r->epoch || strlen(r->epoch) != SAOLA__EPOCH_LEN ||
		    strspn(r->epoch, "0123456789abcdef") != SAOLA__EPOCH_LEN)
			return saola__err_set(e, SAOLA_PROTOCOL, "epoch: expected the %d lowercase hex"
			                      " digits of a sync answer's epoch", SAOLA__EPOCH_LEN);
	}
	v = json_object_get(req, "cursor");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 0))
		return saola__err_set(e, SAOLA_PROTOCOL, "cursor: expected an integer >= 0");
	r->cursor = v ? json_integer_value(v) : 0;
	v = json_object_get(req, "pull_limit");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 0))
		return saola__err_set(e, SAOLA_PROTOCOL, "pull_limit: expected an integer >= 0");
	r->pull_limit = !v ? SAOLA__PULL_LIMIT_DEFAULT
	              : json_integer_value(v) > SAOLA__PULL_LIMIT_MAX ? SAOLA__PULL_LIMIT_MAX
	              : (int)json_integer_value(v);
	return 0;
}

/* Feeds a canonical form of v to the hash: a type tag, then the value;
 * strings length-prefixed; object keys in sorted order. Two requests that
 * carry the same changes hash alike however they were serialised, and no
 * text is built on the way. */
static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A tag and a count (a length, or a number of members) as a varint. */
static void hash_head(saola__sha256_ctx *c, char tag, size_t n)
{
	unsigned char head[12];
	size_t k = 0;

	head[k++] = (unsigned char)tag;
	do {
		head[k++] = (unsigned char)((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
		n >>= 7;
	} while (n);
	saola__sha256_update(c, head, k);
}

static void hash_bytes(saola__sha256_ctx *c, char tag, const void *p, size_t n)
{
	hash_head(c, tag, n);
	saola__sha256_update(c, p, n);
}

static int hash_json(saola__sha256_ctx *c, const json_t *v, int depth)
{
	char num[40];
	size_t i;

	if (depth > 64)
		return -1;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *stack[64], **keys = stack, *k;
		size_t n = json_object_size(v);
		json_t *val;
		int rc = 0;

		if (n > 64 && !(keys = malloc(n * sizeof *keys)))
			return -1;
		i = 0;
		json_object_foreach((json_t *)v, k, val)
			keys[i++] = k;
		qsort(keys, n, sizeof *keys, cmp_keys);
		hash_head(c, '{', n);
		for (i = 0; i < n && rc == 0; i++) {
			hash_bytes(c, 'k', keys[i], strlen(keys[i]));
			rc = hash_json(c, json_object_get(v, keys[i]), depth + 1);
		}
		if (keys != stack)
			free(keys);
		return rc;
	}
	case JSON_ARRAY:
		hash_head(c, '[', json_array_size(v));
		for (i = 0; i < json_array_size(v); i++)
			if (hash_json(c, json_array_get(v, i), depth + 1) != 0)
				return -1;
		return 0;
	case JSON_STRING:
		hash_bytes(c, 's', json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER:
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		hash_bytes(c, 'i', num, strlen(num));
		return 0;
	case JSON_REAL:
		snprintf(num, sizeof num, "%.17g", json_real_value(v));
		hash_bytes(c, 'r', num, strlen(num));
		return 0;
	case JSON_TRUE:
		hash_head(c, 't', 0);
		return 0;
	case JSON_FALSE:
		hash_head(c, 'f', 0);
		return 0;
	default:
		hash_head(c, 'n', 0);
		return 0;
	}
}

/* The digest of what a batch asks: its device and its changes. */
static int batch_digest(const sync_req *r, unsigned char out[SAOLA__SHA256_LEN])
{
	saola__sha256_ctx c;
	int rc;

	saola__sha256_init(&c);
	hash_bytes(&c, 'd', r->device, strlen(r->device));
	rc = hash_json(&c, r->changes, 0);
	saola__sha256_final(&c, out);
	return rc;
}

/* The result code of a store's failure (src): the server failed (500),
 * but a busy database stays SAOLA_BUSY and a row another process inserted
 * first (SAOLA_CONFLICT) becomes SAOLA__E_RACE, so that push() can tell a
 * batch worth running again. */
static int store_rc(int src)
{
	if (src == SAOLA_CONFLICT)
		return SAOLA__E_RACE;
	return src == SAOLA_BUSY ? SAOLA_BUSY : SAOLA_ERROR;
}

/* A failed store call (its code src, store_rc()). Returns -1. */
static int store_fail(saola__store *s, int src, saola__err *e)
{
	return saola__err_set(e, store_rc(src), "sync: %s", s->ops->errmsg(s));
}

/* The error for a failed change, naming it: the request's or record's
 * fault as such, else the store's (store_rc()). */
static int change_fail(saola__store *s, int rc, size_t i, saola__err *e)
{
	const char *why = s->ops->errmsg(s);

	switch (rc) {
	case SAOLA_PROTOCOL:
	case SAOLA_INVALID:
		return saola__err_set(e, rc, "changes[%zu]: %s", i, why);
	case SAOLA_BUSY:
		return saola__err_set(e, rc, "changes[%zu]: the database is busy: %s", i, why);
	default:
		return saola__err_set(e, store_rc(rc), "changes[%zu]: %s", i, why);
	}
}

/* Test hook (tests/test_sync_faults.c): with SAOLA_TEST_KILL_AFTER_CHANGES=N
 * in its environment the server kills itself with SIGKILL once it has
 * applied N changes of a batch, before the commit, so that a test can show
 * that a server dying mid-batch applies none of it. Never set in use. */
static void test_kill_hook(size_t applied)
{
	const char *n = getenv("SAOLA_TEST_KILL_AFTER_CHANGES");

	if (n && *n && applied == (size_t)strtoul(n, NULL, 10))
		raise(SIGKILL);
}

/* The context of r's changes, from user u, through source, at now. */
static void ctx_of(const saola__user *u, const sync_req *r, const char *source,
                   const char *now, saola__apply_ctx *ctx)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->device = r->device, ctx->user = u, ctx->batch = r->batch;
	ctx->cursor = r->cursor, ctx->now = now, ctx->source = source;
}

/* Applies every change of a new batch inside the open transaction, with
 * what was made of each ahead (pre: NULL, or one entry per change). */
static int apply_changes(saola__store *s, const saola__user *u, const sync_req *r,
                         const char *source, const char *now, saola__apply_pre **pre,
                         saola__batch_rec *b, saola__err *e)
{
	saola__apply_ctx ctx;
	saola__rules rules;
	json_t *changed = json_object(), *conflicted = json_object(), *change;
	const char *k;
	json_t *v;
	char where[80];
	size_t i;
	int rc = 0;

	if (!changed || !conflicted || !(b->conflicted = json_array())) {
		rc = saola__err_set(e, SAOLA_NOMEM, "sync: out of memory");
		goto out;
	}
	ctx_of(u, r, source, now, &ctx);
	saola__rules_init(&rules, saola__store_db(s));
	json_array_foreach(r->changes, i, change) {
		saola__change_result res;
		int src = s->ops->apply(s, change, &ctx, pre ? pre[i] : NULL, &res);

		if (src != SAOLA_OK) {
			rc = change_fail(s, src, i, e);
			goto out;
		}
		/* The role's review moves; a consistent chain of units; the old
		 * and the new units inside the area at every level: nobody moves
		 * a record in or out of sight (rules.h). */
		snprintf(where, sizeof where, "changes[%zu]: record %s", i, res.record_id);
		if ((rc = saola__rules_change(&rules, u, change, &res, where, e)) != 0)
			goto out;
		if (res.changed && json_object_set_new(changed, res.record_id, json_true()) != 0)
			rc = -2;
		if (res.conflicts > 0 &&
		    json_object_set_new(conflicted, res.record_id, json_true()) != 0)
			rc = -2;
		if (rc == -2) {
			rc = saola__err_set(e, SAOLA_NOMEM, "sync: out of memory");
			goto out;
		}
		b->conflicts += res.conflicts;
		test_kill_hook(i + 1);
	}
	b->accepted = (int64_t)json_array_size(r->changes);
	b->applied = (int64_t)json_object_size(changed);
	json_object_foreach(conflicted, k, v)
		if (json_array_append_new(b->conflicted, json_string(k)) != 0) {
			rc = saola__err_set(e, SAOLA_NOMEM, "sync: out of memory");
			goto out;
		}
out:
	json_decref(changed);
	json_decref(conflicted);
	return rc;
}

/* The checks of a request's device, in the push transaction, before any
 * change is applied (docs/protocol.md, "Devices and lineage"): its origin
 * is not this server's, belongs to this user's enrolment, and (over HTTP)
 * is not a copy of another device's database. *store gets the lineage to
 * keep (NULL: leave it as it is). */
static int check_device(saola__store *s, const saola__user *u, const sync_req *r,
                        int bundle, const char **store, saola__err *e)
{
	const char *own = s->ops->origin(s);
	saola__device d;

	*store = NULL;
	if (own && strcmp(r->device, own) == 0)
		return saola__err_set(e, SAOLA_AUTH, "device %s: that is this server's own origin",
		                      r->device);
	if (s->ops->device_get(s, r->device, &d) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "sync: %s", s->ops->errmsg(s));
	if (d.found && d.owner != u->id)
		return saola__err_set(e, SAOLA_AUTH, "device %s belongs to another user's"
		                      " enrolment: a device id belongs to one enrolment (enrol this"
		                      " device again with saola init --server URL --token T to give"
		                      " it an origin of its own)", r->device);
	/* A bundle carries no lineage: it may be imported after later syncs. */
	if (bundle)
		return 0;
	if (!d.found || !r->next) {
		if (d.found && d.lineage[0])
			return saola__err_set(e, SAOLA_PROTOCOL, "lineage: missing (device %s"
			                      " synced with a lineage before)", r->device);
		*store = r->next;
		return 0;
	}
	if (!d.lineage[0] || (r->prev && strcmp(d.lineage, r->prev) == 0)) {
		*store = r->next;
		return 0;
	}
	/* A resend whose answer was lost: the same batch, or no changes (a
	 * device probes so before it sends a new batch under that token).
	 * Other changes under it come from a copy made before the answer. */
	if (strcmp(d.lineage, r->next) == 0 &&
	    (json_array_size(r->changes) == 0 || (r->batch && strcmp(r->batch, d.lineage_batch) == 0)))
		return 0;
	return saola__err_set(e, SAOLA__E_DEVICE_COPIED, "device %s: this database is a copy of"
	                      " another device's (both use origin %s): nothing was applied; the"
	                      " device takes an origin of its own and syncs again", r->device,
	                      r->device);
}

/* The epoch the device last saw against this database's (docs/protocol.md,
 * "Epoch"): another one means the database was restored from a backup
 * since, and lacks what the device sent after it; its cursor numbers
 * changes of the lost line. Push bundles are not refused: their changes
 * are merged like any (merging is idempotent), and the device resends at
 * its next sync by HTTP. */
static int check_epoch(saola__store *s, const sync_req *r, int bundle, saola__err *e)
{
	if (saola__epoch_get(s, r->epoch_now, e) != 0)
		return -1;
	if (!r->epoch || bundle || strcmp(r->epoch, r->epoch_now) == 0)
		return 0;
	return saola__err_set(e, SAOLA__E_EPOCH_CHANGED, "epoch: this server's database was"
	                      " restored from a backup since the device last synced (epoch %s,"
	                      " now %s): nothing was applied; the device sends again the records"
	                      " it has edits in and pulls its area from the start", r->epoch,
	                      r->epoch_now);
}

/* A cursor names a change this server made: one beyond the latest would
 * mark records as held by the device that it never received. */
static int check_cursor(saola__store *s, const sync_req *r, saola__err *e)
{
	int64_t latest = 0;

	if (s->ops->latest_seq(s, &latest) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "sync: %s", s->ops->errmsg(s));
	if (r->cursor > latest)
		return saola__err_set(e, SAOLA_PROTOCOL, "cursor: %lld is beyond this server's"
		                      " latest change (%lld)", (long long)r->cursor,
		                      (long long)latest);
	return 0;
}

/* What push() works out before the write: the batch's digest, and its
 * changes read and merged ahead (pre: NULL, or one entry per change). */
typedef struct push_ahead {
	unsigned char digest[SAOLA__SHA256_LEN];
	saola__apply_pre **pre;
	size_t npre;
} push_ahead;

/* A new batch applied and kept, or a replayed one recognised. */
static int push_batch(saola__store *s, const saola__user *u, const sync_req *r,
                      const char *source, const char *now, const push_ahead *ah,
                      saola__batch_rec *b, int *duplicate, saola__err *e)
{
	const unsigned char *digest = ah->digest;
	int rc;

	if ((rc = s->ops->batch_get(s, u->id, r->batch, b)) != SAOLA_OK)
		return store_fail(s, rc, e);
	if (b->found && memcmp(b->digest, digest, SAOLA__SHA256_LEN) != 0)
		return saola__err_set(e, SAOLA__E_BATCH_MISMATCH, "batch %s: this id was used"
		                      " before for other changes; give new changes a new batch id",
		                      r->batch);
	if (b->found) {
		*duplicate = 1;
		return 0;
	}
	if ((rc = s->ops->records_lock(s, r->changes)) != SAOLA_OK)
		return store_fail(s, rc, e);
	if ((rc = apply_changes(s, u, r, source, now, ah->pre, b, e)) != 0)
		return rc;
	memcpy(b->digest, digest, SAOLA__SHA256_LEN);
	/* The same batch sent to another process at the same time: this
	 * insert waits for its transaction, then fails (SAOLA_CONFLICT); the
	 * retry finds the batch stored and answers it as a duplicate. */
	if ((rc = s->ops->batch_put(s, u->id, r->batch, r->device, source, b, now)) != SAOLA_OK)
		return store_fail(s, rc, e);
	return 0;
}

/* The push part, in one transaction: the device's checks, then a new
 * batch applied whole (a replayed one not at all), then the device's last
 * sync and lineage. */
static int push_once(const saola__sync_env *env, const saola__user *u, const sync_req *r,
                     const char *source, const push_ahead *ah, saola__batch_rec *b,
                     int *duplicate, saola__err *e)
{
	saola__store *s = env->store;
	const char *lineage = NULL;
	char now[21];
	int rc = 0, src;

	*duplicate = 0;
	saola__now(now);
	if (env->write_lock)
		pthread_mutex_lock(env->write_lock);
	/* A request without changes or lineage writes only the device's last
	 * sync: that need not wait for the disk. A lineage must: a device that
	 * got its 200 goes on from it, and a server that lost it would take
	 * the device's next request for a copy's. */
	if ((src = s->ops->write_begin(s, r->batch != NULL || r->next != NULL)) != SAOLA_OK) {
		rc = store_fail(s, src, e);
		goto unlock;
	}
	rc = check_epoch(s, r, strcmp(source, "bundle") == 0, e);
	if (rc == 0)
		rc = check_device(s, u, r, strcmp(source, "bundle") == 0, &lineage, e);
	if (rc == 0)
		rc = check_cursor(s, r, e);
	if (rc == 0 && r->batch)
		rc = push_batch(s, u, r, source, now, ah, b, duplicate, e);
	if (rc == 0 && (src = s->ops->device_sync(s, r->device, u->id, lineage,
	                                          json_array_size(r->changes) > 0 ? r->batch : NULL,
	                                          now)) != SAOLA_OK)
		rc = store_fail(s, src, e);
	src = s->ops->end(s, rc == 0);
	if (rc == 0 && src != SAOLA_OK)
		rc = store_fail(s, src, e);
unlock:
	if (env->write_lock)
		pthread_mutex_unlock(env->write_lock);
	return rc;
}

/* Tries of a batch on PostgreSQL before the device is told to come back. */
#define PUSH_TRIES 5

/* A failed push that may pass when run again: on PostgreSQL, a
 * serialization failure or deadlock (SAOLA_BUSY), or a row another
 * process inserted first (SAOLA__E_RACE: the same batch or device). Its
 * transaction was rolled back whole. */
static int retryable(saola__store *s, const saola__err *e)
{
	return saola__db_kind(saola__store_db(s)) == SAOLA__DB_POSTGRES &&
	       (e->rc == SAOLA_BUSY || e->rc == SAOLA__E_RACE);
}

/* A short randomized wait before try number n + 1: up to 10 ms << n. */
static void backoff(int n)
{
	struct timespec now, wait;
	long max_ns = 10000000L << n;

	clock_gettime(CLOCK_MONOTONIC, &now);
	wait.tv_sec = 0;
	wait.tv_nsec = (now.tv_nsec ^ (long)(uintptr_t)&now) % max_ns;
	if (wait.tv_nsec < 0)
		wait.tv_nsec = -wait.tv_nsec;
	if (wait.tv_nsec >= 1000000000L)
		wait.tv_nsec = 999999999L;
	nanosleep(&wait, NULL);
}

/* Changes prepared in one read snapshot. */
#define PREPARE_SNAPSHOT 16
/* A batch at least this long is prepared by two threads, when the pool
 * has a connection idle. */
#define PREPARE_SPLIT 64

/* A share of a batch's changes to prepare: [from, to) of r's, on s. */
typedef struct prep_part {
	saola__store *s;
	const saola__apply_ctx *ctx;
	const sync_req *r;
	saola__apply_pre **pre;
	size_t from, to;
} prep_part;

/* Prepares a part's changes, a few to a read snapshot: one held for a
 * whole batch would keep SQLite from checkpointing its log while many
 * batches are read at once. */
static void *prepare_part(void *arg)
{
	prep_part *p = arg;
	saola__store *s = p->s;
	size_t i;

	for (i = p->from; i < p->to; i++) {
		if ((i - p->from) % PREPARE_SNAPSHOT == 0) {
			if (i > p->from)
				s->ops->end(s, 1);
			if (s->ops->read_begin(s) != SAOLA_OK)
				return NULL;
		}
		p->pre[i] = s->ops->prepare(s, json_array_get(p->r->changes, i), p->ctx);
	}
	if (p->to > p->from)
		s->ops->end(s, 1);
	return NULL;
}

/* The batch's changes read and merged ahead, outside the write
 * (docs/scale.md, "Work outside the write"), the second half on another
 * thread with an idle connection of env's pool when there is one: ah->pre
 * stays NULL for a batch stored before (a replay) or when out of memory,
 * and an entry stays NULL for a change that apply will refuse. */
static void prepare_changes(const saola__sync_env *env, const saola__user *u,
                            const sync_req *r, const char *source, push_ahead *ah)
{
	saola__store *s = env->store, *helper = NULL;
	saola__apply_ctx ctx;
	saola__batch_rec b;
	prep_part mine, theirs;
	pthread_t thread;
	int fresh, split = 0;

	ah->npre = json_array_size(r->changes);
	if (ah->npre == 0 || !(ah->pre = calloc(ah->npre, sizeof *ah->pre)))
		return;
	if (s->ops->read_begin(s) != SAOLA_OK)
		return;
	memset(&b, 0, sizeof b);
	fresh = s->ops->batch_get(s, u->id, r->batch, &b) == SAOLA_OK && !b.found;
	json_decref(b.conflicted);
	s->ops->end(s, 1);
	if (!fresh)
		return;
	ctx_of(u, r, source, NULL, &ctx);
	mine.s = s, mine.ctx = &ctx, mine.r = r, mine.pre = ah->pre;
	mine.from = 0, mine.to = ah->npre;
	theirs = mine;
	if (env->pool && ah->npre >= PREPARE_SPLIT && (helper = saola__pool_try(env->pool))) {
		theirs.s = helper;
		theirs.from = mine.to = ah->npre / 2;
		split = pthread_create(&thread, NULL, prepare_part, &theirs) == 0;
		if (!split)
			mine.to = ah->npre;
	}
	prepare_part(&mine);
	if (split)
		pthread_join(thread, NULL);
	if (helper)
		saola__pool_put(env->pool, helper);
}

static void push_ahead_free(push_ahead *ah)
{
	size_t i;

	for (i = 0; ah->pre && i < ah->npre; i++)
		saola__apply_pre_free(ah->pre[i]);
	free(ah->pre);
}

/* The push, run again from the start when another process got in its
 * way (docs/scale.md); after PUSH_TRIES, 503 with a Retry-After. */
static int push(const saola__sync_env *env, const saola__user *u, const sync_req *r,
                const char *source, saola__batch_rec *b, int *duplicate, saola__err *e)
{
	char why[SAOLA__ERR_MAX];
	push_ahead ah;
	int n, rc;

	memset(&ah, 0, sizeof ah);
	if (r->batch && batch_digest(r, ah.digest) != 0)
		return saola__err_set(e, SAOLA_PROTOCOL,
		                      "changes: nested too deep, or out of memory");
	if (r->batch)
		prepare_changes(env, u, r, source, &ah);
	for (n = 1;; n++) {
		if ((rc = push_once(env, u, r, source, &ah, b, duplicate, e)) == 0 ||
		    !retryable(env->store, e))
			break;
		json_decref(b->conflicted);
		memset(b, 0, sizeof *b);
		snprintf(why, sizeof why, "%s", e->message);
		if (n == PUSH_TRIES) {
			saola__err_set(e, SAOLA__E_TRY_AGAIN, "sync: the database stayed busy (%s):"
			               " nothing was applied; try again", why);
			e->retry_after = 1;
			rc = -1;
			break;
		}
		backoff(n);
	}
	push_ahead_free(&ah);
	return rc;
}

/* The pull part and the current forms, from one snapshot. */
static int pull(saola__store *s, const saola__user *u, const sync_req *r, int push_only,
                json_t *records, int64_t *next, int *more, json_t **forms, saola__err *e)
{
	int rc = SAOLA_OK;

	*next = r->cursor;
	*more = 0;
	if ((rc = s->ops->read_begin(s)) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "sync: %s", s->ops->errmsg(s));
	if (!push_only && r->pull_limit > 0)
		rc = s->ops->pull(s, saola__user_area(u), r->device, r->cursor, r->pull_limit,
		                  SAOLA__PULL_PAGE_BYTES, records, next, more);
	if (rc == SAOLA_OK)
		rc = s->ops->forms_current(s, forms);
	s->ops->end(s, 1);
	if (rc != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "sync: pull: %s", s->ops->errmsg(s));
	return 0;
}

/* A push bundle's cursor beyond this server's latest change: the device
 * made the bundle before it learnt that the server was restored from a
 * backup (docs/protocol.md, "Epoch"). A bundle pulls nothing, and its
 * cursor only marks which records the device holds (echoes), so it counts
 * as 0 rather than refusing what the device brings back. The latest
 * change only grows: a cursor within it now stays within it. */
static int bundle_cursor(saola__store *s, sync_req *r, saola__err *e)
{
	int64_t latest = 0;
	int rc;

	if (r->cursor == 0)
		return 0;
	if ((rc = s->ops->read_begin(s)) == SAOLA_OK) {
		rc = s->ops->latest_seq(s, &latest);
		s->ops->end(s, 1);
	}
	if (rc != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "sync: %s", s->ops->errmsg(s));
	if (r->cursor > latest)
		r->cursor = 0;
	return 0;
}

static int run(const saola__sync_env *env, const saola__user *u, json_t *req, int push_only,
               const char *source, json_t **out, saola__err *e)
{
	sync_req r;
	saola__batch_rec b;
	json_t *records = NULL, *forms = NULL;
	char epoch[SAOLA__EPOCH_LEN + 1] = "";
	int64_t next = 0;
	int duplicate = 0, more = 0, rc;

	*out = NULL;
	memset(&b, 0, sizeof b);
	if ((rc = parse_request(req, env, &r, e)) != 0)
		return rc;
	r.epoch_now = epoch;
	if (strcmp(source, "bundle") == 0 && bundle_cursor(env->store, &r, e) != 0)
		return -1;
	/* Refused before anything is applied: a pull makes a replica. */
	if (!push_only && r.pull_limit > 0 && saola__privacy_may_pull(u, "sync", e) != 0)
		return -1;
	if ((rc = push(env, u, &r, source, &b, &duplicate, e)) != 0)
		goto out;
	if (!b.conflicted)
		b.conflicted = json_array();
	if (!(records = json_array()) || !b.conflicted) {
		rc = saola__err_set(e, SAOLA_NOMEM, "sync: out of memory");
		goto out;
	}
	if ((rc = pull(env->store, u, &r, push_only, records, &next, &more, &forms, e)) != 0)
		goto out;
	*out = json_pack("{s:i, s:s?, s:s, s:b, s:I, s:I, s:I, s:O, s:I, s:b, s:O, s:O}",
	                 "protocol", r.protocol, "batch", r.batch, "epoch", epoch,
	                 "duplicate", duplicate,
	                 "accepted", (json_int_t)b.accepted, "applied", (json_int_t)b.applied,
	                 "conflicts", (json_int_t)b.conflicts,
	                 "conflicted", b.conflicted,
	                 "cursor", (json_int_t)next, "more", more,
	                 "records", records, "forms", forms);
	if (!*out)
		rc = saola__err_set(e, SAOLA_NOMEM, "sync: out of memory");
out:
	json_decref(b.conflicted);
	json_decref(records);
	json_decref(forms);
	return rc;
}

int saola__sync_run(const saola__sync_env *env, const saola__user *u, json_t *req,
                    int push_only, json_t **out, saola__err *e)
{
	return run(env, u, req, push_only, "sync", out, e);
}

int saola__sync_run_bundle(const saola__sync_env *env, const saola__user *u, json_t *req,
                           json_t **out, saola__err *e)
{
	return run(env, u, req, 1, "bundle", out, e);
}
