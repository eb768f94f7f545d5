/* upstream.c: what a district exchanges with its upstream server: per
 * record, the sequence and the versions of the last exchange
 * (upstream_records), the records changed here since (sent as the paths
 * that changed, with the versions last exchanged as their base, so that
 * the upstream server logs what a concurrent edit there overwrote), and
 * the merge of the records received. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "merge.h"
#include "saola_int.h"
#include "store_core.h"
#include "upstream.h"
#include "versions.h"
#include "wire.h"

/* A merge's databases: the store's core database (core's record calls,
 * and where their errors are told) and the store's SQL connection. */
typedef struct up_db {
	saola *core;
	saola__db *sql;
	saola__dbstmt *conflict_add;   /* prepared on the first loser */
} up_db;

static saola *core(saola__store *s)
{
	return saola__store_core(s);
}

/* The item path ("members.id") of an item's field path into item; 0 when
 * path is not an item's field. */
static int item_of(const char *path, char *item, size_t len)
{
	const char *dot = strchr(path, '.'), *dot2 = dot ? strchr(dot + 1, '.') : NULL;

	if (!dot2 || (size_t)(dot2 - path) >= len)
		return 0;
	memcpy(item, path, (size_t)(dot2 - path));
	item[dot2 - path] = '\0';
	return 1;
}

/* The versions of a record state by path: each value's own version or the
 * default "_", each removal's own entry, and "_deleted"; the entries left
 * behind by the answers of a removed member are not part of the state. A
 * null value is no value (a decoded removal). New reference. */
static json_t *expand(json_t *values, json_t *versions)
{
	json_t *out = json_object(), *def = json_object_get(versions, "_"), *v;
	const char *k;
	char item[512];

	if (!out)
		return NULL;
	json_object_foreach(values, k, v) {
		json_t *ver = json_object_get(versions, k);
		if (json_is_null(v))
			continue;
		if (!ver)
			ver = def;
		if (ver && json_object_set(out, k, ver) != 0)
			goto nomem;
	}
	json_object_foreach(versions, k, v) {
		json_t *item_value;
		if (strcmp(k, "_") == 0 || json_object_get(out, k))
			continue;
		if (item_of(k, item, sizeof item) &&
		    (!(item_value = json_object_get(values, item)) || json_is_null(item_value)))
			continue;
		if (json_object_set(out, k, v) != 0)
			goto nomem;
	}
	return out;
nomem:
	json_decref(out);
	return NULL;
}

/* The change of a record exchanged before: the paths whose version is not
 * the one last exchanged (up), with those versions as the base. NULL with
 * *empty set when nothing changed. */
static json_t *delta(const char *id, json_t *state, json_t *cur, json_t *up, int *empty)
{
	json_t *values = json_object_get(state, "values"), *changed = json_object();
	json_t *present = json_object(), *vs = json_object(), *b = json_object();
	json_t *d = NULL, *out = NULL, *v;
	const char *k;
	char prefix[600];
	int fail = 0;

	*empty = 0;
	if (!changed || !present || !vs || !b)
		goto out;
	json_object_foreach(cur, k, v)
		if (saola__version_cmp(v, json_object_get(up, k)) != 0)
			fail |= json_object_set(changed, k, v);
	if (!fail && json_object_size(changed) == 0) {
		*empty = 1;
		goto out;
	}
	json_object_foreach(changed, k, v) {
		json_t *was = json_object_get(up, k), *val = json_object_get(values, k);
		fail |= json_object_set(vs, k, v);
		fail |= json_object_set(b, k, was ? was : json_null());
		if (val && !json_is_null(val) && strcmp(k, "_deleted") != 0)
			fail |= json_object_set(present, k, val);
	}
	/* A delete was made over every version seen there; a member removed,
	 * over the answers it had there. */
	if (json_object_get(changed, "_deleted") && !json_object_get(up, "_deleted")) {
		json_t *max = saola__version_max(up);
		fail |= json_object_set(b, "_deleted", max ? max : json_null());
	}
	json_object_foreach(changed, k, v) {
		const char *dot = strchr(k, '.'), *p;
		json_t *pv;
		size_t n;
		if (!dot || strchr(dot + 1, '.') || json_object_get(values, k))
			continue;
		n = (size_t)snprintf(prefix, sizeof prefix, "%s.", k);
		json_object_foreach(up, p, pv)
			if (strncmp(p, prefix, n) == 0 && !json_object_get(b, p))
				fail |= json_object_set(b, p, pv);
	}
	if (fail || !(d = saola__unflatten_patch(present)))
		goto out;
	saola__wire_mark_references(d, changed);
	out = json_pack("{s:s, s:O, s:O, s:O, s:O, s:O}", "r", id,
	                "f", json_object_get(state, "form"),
	                "fv", json_object_get(state, "form_version"), "d", d, "vs", vs, "b", b);
out:
	json_decref(changed);
	json_decref(present);
	json_decref(vs);
	json_decref(b);
	json_decref(d);
	return out;
}

/* One record's change (NULL with *empty when there is nothing to send)
 * and its [id, seq, expanded versions] for marking it exchanged. */
static int record_change(saola *db, const char *id, int64_t seq, const char *up_text,
                         json_t **change, json_t **done, int *empty)
{
	json_t *state = NULL, *cur = NULL, *up = NULL;
	int rc;

	*change = *done = NULL;
	*empty = 0;
	if ((rc = saola__record_state(db, id, &state)) != SAOLA_OK)
		return rc;
	cur = expand(json_object_get(state, "values"), json_object_get(state, "versions"));
	if (!cur) {
		rc = saola__error(db, SAOLA_NOMEM, "upstream: out of memory");
		goto out;
	}
	if (!up_text) {
		/* Never exchanged: made below this server; it goes whole. */
		rc = saola__wire_record(db, id, change);
	} else if (!(up = json_loads(up_text, 0, NULL))) {
		rc = saola__error(db, SAOLA_CORRUPT, "upstream: record %s: the versions last"
		                  " exchanged are unreadable", id);
	} else {
		*change = delta(id, state, cur, up, empty);
		if (!*change && !*empty)
			rc = saola__error(db, SAOLA_NOMEM, "upstream: out of memory");
	}
	if (rc == SAOLA_OK && !(*done = json_pack("[s, I, O]", id, (json_int_t)seq, cur)))
		rc = saola__error(db, SAOLA_NOMEM, "upstream: out of memory");
out:
	if (rc != SAOLA_OK) {
		json_decref(*change);
		*change = NULL;
	}
	json_decref(state);
	json_decref(cur);
	json_decref(up);
	return rc;
}

/* The records changed here since their last exchange, oldest change first. */
#define CHANGED_SQL                                                            \
	"SELECT r.id, r.seq, u.versions FROM records r"                          \
	" LEFT JOIN upstream_records u ON u.record_id = r.id"                    \
	" WHERE u.record_id IS NULL OR r.seq > u.seq ORDER BY r.seq"

int saola__upstream_changes(saola__store *s, long limit, json_t **changes, json_t **done,
                            saola__err *e)
{
	saola *db = core(s);
	saola__db *sql = s ? saola__store_db(s) : NULL;
	saola__dbstmt *st = NULL;
	json_t *ch = json_array(), *dn = json_array();
	int step, rc = SAOLA_OK;

	*changes = NULL;
	if (done)
		*done = NULL;
	if (!db || !ch || !dn) {
		json_decref(ch);
		json_decref(dn);
		return saola__fail(e, 500, "internal", "upstream: out of memory");
	}
	if (saola__db_prepare(sql, limit > 0 ? CHANGED_SQL " LIMIT ?" : CHANGED_SQL, &st)
	    != SAOLA_OK) {
		rc = saola__error(db, SAOLA_ERROR, "upstream: %s", saola__db_errmsg(sql));
		goto out;
	}
	if (limit > 0)
		saola__db_bind_int(st, 1, limit);
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW) {
		json_t *change = NULL, *d = NULL;
		int empty = 0;
		rc = record_change(db, saola__db_column_text(st, 0),
		                   saola__db_column_int(st, 1),
		                   saola__db_column_text(st, 2), &change, &d, &empty);
		if (rc == SAOLA_OK && change && json_array_append_new(ch, change) != 0)
			rc = saola__error(db, SAOLA_NOMEM, "upstream: out of memory");
		if (rc == SAOLA_OK && json_array_append_new(dn, d) != 0)
			rc = saola__error(db, SAOLA_NOMEM, "upstream: out of memory");
		if (rc != SAOLA_OK)
			break;
	}
	if (rc == SAOLA_OK && step != SAOLA__DB_DONE)
		rc = saola__error(db, SAOLA_ERROR, "upstream: %s", saola__db_errmsg(sql));
out:
	saola__db_finalize(st);
	if (rc != SAOLA_OK) {
		json_decref(ch);
		json_decref(dn);
		return saola__fail(e, 500, "internal", "%s", saola_errmsg(db));
	}
	*changes = ch;
	if (done)
		*done = dn;
	else
		json_decref(dn);
	return 0;
}

json_t *saola__upstream_request(saola__store *s, json_t *changes, int64_t cursor,
                                int pull_limit)
{
	saola *db = core(s);
	unsigned char digest[SAOLA__SHA256_LEN];
	char hex[2 * SAOLA__SHA256_LEN + 1], batch[40];
	saola__sha256_ctx c;
	char *text;

	if (!db || !(text = json_dumps(changes, JSON_COMPACT | JSON_SORT_KEYS)))
		return NULL;
	saola__sha256_init(&c);
	saola__sha256_update(&c, saola_origin(db), strlen(saola_origin(db)));
	saola__sha256_update(&c, text, strlen(text));
	saola__sha256_final(&c, digest);
	free(text);
	saola__hex(digest, sizeof digest, hex);
	snprintf(batch, sizeof batch, "up-%.32s", hex);
	return json_pack("{s:i, s:s, s:s, s:I, s:i, s:O}", "protocol", SAOLA__PROTOCOL,
	                 "batch", batch, "device", saola_origin(db), "cursor", (json_int_t)cursor,
	                 "pull_limit", pull_limit, "changes", changes);
}

/* Keeps a record's exchange state. */
static int keep_exchange(const up_db *d, const char *id, int64_t seq, json_t *versions)
{
	saola *db = d->core;
	saola__dbstmt *st = NULL;
	char *text = json_dumps(versions, JSON_COMPACT);
	int rc;

	if (!text)
		return saola__error(db, SAOLA_NOMEM, "upstream: out of memory");
	if (saola__db_prepare(d->sql, "INSERT INTO upstream_records(record_id, seq, versions)"
	                      " VALUES (?, ?, ?) ON CONFLICT(record_id) DO UPDATE SET"
	                      " seq = excluded.seq, versions = excluded.versions", &st) != SAOLA_OK) {
		free(text);
		return saola__error(db, SAOLA_ERROR, "upstream: %s", saola__db_errmsg(d->sql));
	}
	saola__db_bind_text(st, 1, id, -1);
	saola__db_bind_int(st, 2, seq);
	saola__db_bind_text(st, 3, text, -1);   /* copied */
	free(text);
	rc = saola__db_step(st) == SAOLA__DB_DONE ? SAOLA_OK
	   : saola__error(db, SAOLA_ERROR, "upstream: %s", saola__db_errmsg(d->sql));
	saola__db_finalize(st);
	return rc;
}

int saola__upstream_mark(saola__store *s, json_t *done, saola__err *e)
{
	up_db db = {core(s), s ? saola__store_db(s) : NULL, NULL};
	json_t *d;
	size_t i;

	if (!db.core)
		return saola__fail(e, 500, "internal", "upstream: no database");
	json_array_foreach(done, i, d)
		if (keep_exchange(&db, json_string_value(json_array_get(d, 0)),
		                  json_integer_value(json_array_get(d, 1)), json_array_get(d, 2)) !=
		    SAOLA_OK)
			return saola__fail(e, 500, "internal", "%s", saola_errmsg(db.core));
	return 0;
}

/* The record's sequence and its exchange state: *up_seq -1 when it was
 * never exchanged. */
static int exchange_of(const up_db *d, const char *id, int64_t *seq, int64_t *up_seq)
{
	saola *db = d->core;
	saola__dbstmt *st = NULL;
	int step;

	*seq = 0;
	*up_seq = -1;
	if (saola__db_prepare(d->sql, "SELECT r.seq, u.seq FROM records r LEFT JOIN"
	                      " upstream_records u ON u.record_id = r.id WHERE r.id = ?",
	                      &st) != SAOLA_OK)
		return saola__error(db, SAOLA_ERROR, "upstream: %s", saola__db_errmsg(d->sql));
	saola__db_bind_text(st, 1, id, -1);
	if ((step = saola__db_step(st)) == SAOLA__DB_ROW) {
		*seq = saola__db_column_int(st, 0);
		if (saola__db_column_type(st, 1) != SAOLA__DB_NULL)
			*up_seq = saola__db_column_int(st, 1);
	}
	saola__db_finalize(st);
	return step == SAOLA__DB_ROW || step == SAOLA__DB_DONE ? SAOLA_OK
	       : saola__error(db, SAOLA_ERROR, "upstream: %s", saola__db_errmsg(d->sql));
}

/* A row of the conflict log (as the store writes one). */
#define CONFLICT_ADD_SQL                                                       \
	"INSERT INTO conflicts(record_id, path, lost_value, lost_version,"       \
	" kept_value, kept_version, stored_lost, device, user_id, batch, at, base)" \
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

/* Logs a value that lost in a pull: a change made here since the last
 * exchange that a concurrent change there overwrote, or the other way. */
static int log_pull_loser(void *ctx, const saola__loser *l)
{
	up_db *d = ctx;
	saola__dbstmt *st = d->conflict_add;
	char *t[5] = {NULL, NULL, NULL, NULL, NULL}, now[21];
	json_t *v[5];
	int i, step;

	if (!st && saola__db_prepare(d->sql, CONFLICT_ADD_SQL, &d->conflict_add) != SAOLA_OK)
		return saola__error(d->core, SAOLA_ERROR, "conflict log: %s",
		                    saola__db_errmsg(d->sql));
	st = d->conflict_add;
	saola__db_reset(st);
	v[0] = l->value, v[1] = l->version, v[2] = l->winner, v[3] = l->winner_version;
	v[4] = l->base;
	for (i = 0; i < 5; i++)
		if (v[i] && !json_is_null(v[i]) &&
		    !(t[i] = json_dumps(v[i], JSON_COMPACT | JSON_ENCODE_ANY)))
			break;
	saola__now(now);
	saola__db_bind_text(st, 1, l->record_id, -1);
	saola__db_bind_text(st, 2, l->path, -1);
	saola__db_bind_text(st, 3, t[0], -1);
	saola__db_bind_text(st, 4, t[1] ? t[1] : "null", -1);
	saola__db_bind_text(st, 5, t[2], -1);
	saola__db_bind_text(st, 6, t[3] ? t[3] : "null", -1);
	saola__db_bind_int(st, 7, l->stored_lost);
	saola__db_bind_text(st, 8, "upstream", -1);
	saola__db_bind_text(st, 11, now, -1);
	saola__db_bind_text(st, 12, t[4], -1);
	step = i == 5 ? saola__db_step(st) : SAOLA_NOMEM;
	saola__db_reset(st);   /* its bindings cleared too */
	for (i = 0; i < 5; i++)
		free(t[i]);
	if (step != SAOLA__DB_DONE)
		return saola__error(d->core, step == SAOLA_NOMEM ? SAOLA_NOMEM : SAOLA_ERROR,
		                    "conflict log: %s", step == SAOLA_NOMEM ? "out of memory"
		                    : saola__db_errmsg(d->sql));
	return SAOLA_OK;
}

/* The exchange state of a record: the versions last exchanged (a new
 * reference; NULL when never) and whether it changed here since. */
static int exchange_state(const up_db *d, const char *id, json_t **up, int *pending)
{
	saola *db = d->core;
	saola__dbstmt *st = NULL;
	int step, rc = SAOLA_OK;

	*up = NULL;
	*pending = 0;
	if (saola__db_prepare(d->sql, "SELECT CASE WHEN r.seq > u.seq THEN 1 ELSE 0 END,"
	                      " u.versions FROM records r JOIN upstream_records u"
	                      " ON u.record_id = r.id WHERE r.id = ?", &st) != SAOLA_OK)
		return saola__error(db, SAOLA_ERROR, "upstream: %s", saola__db_errmsg(d->sql));
	saola__db_bind_text(st, 1, id, -1);
	if ((step = saola__db_step(st)) == SAOLA__DB_ROW) {
		*pending = (int)saola__db_column_int(st, 0);
		if (!(*up = json_loads(saola__db_column_text(st, 1), 0, NULL)))
			rc = saola__error(db, SAOLA_CORRUPT, "upstream: record %s: the versions last"
			                  " exchanged are unreadable", id);
	} else if (step != SAOLA__DB_DONE) {
		rc = saola__error(db, SAOLA_ERROR, "upstream: %s", saola__db_errmsg(d->sql));
	}
	saola__db_finalize(st);
	return rc;
}

/* Merges one received record and keeps what was exchanged: the record is
 * in step with upstream when the merge left it as received; otherwise it
 * holds changes of its own, still to send (its exchange sequence stays).
 * A record changed here since the last exchange merges with that exchange
 * as the base, so that a concurrent value that loses here is logged here
 * (it will never reach upstream). */
static int merge_one(up_db *d, json_t *rec, size_t i)
{
	saola *db = d->core;
	char err[SAOLA__ERRMSG_MAX - 64];
	saola__remote r;
	json_t *state = NULL, *cur = NULL, *recv = NULL, *up = NULL;
	int64_t up_seq, now_seq;
	int rc, pending = 0;

	if ((rc = saola__wire_decode(db, rec, NULL, &r, err, sizeof err)) != SAOLA_OK)
		return saola__error(db, rc == SAOLA_NOMEM ? rc : SAOLA_PROTOCOL,
		                    "upstream: records[%zu]: %s", i, err);
	if ((rc = exchange_state(d, r.record_id, &up, &pending)) == SAOLA_OK && pending) {
		if (!json_object_get(up, "_deleted")) {
			json_t *max = saola__version_max(up);
			json_object_set(up, "_deleted", max ? max : json_null());
		}
		r.base = json_incref(up);
	}
	if (rc == SAOLA_OK &&
	    (rc = saola__apply_remote(db, &r, pending ? log_pull_loser : NULL, d, NULL)) == SAOLA_OK &&
	    (rc = saola__record_state(db, r.record_id, &state)) == SAOLA_OK &&
	    (rc = exchange_of(d, r.record_id, &now_seq, &up_seq)) == SAOLA_OK) {
		cur = expand(json_object_get(state, "values"), json_object_get(state, "versions"));
		recv = expand(r.values, r.versions);
		if (!cur || !recv)
			rc = saola__error(db, SAOLA_NOMEM, "upstream: out of memory");
		else
			rc = keep_exchange(d, r.record_id, json_equal(cur, recv) ? now_seq
			                   : up_seq > 0 ? up_seq : 0, recv);
	}
	json_decref(state);
	json_decref(cur);
	json_decref(recv);
	json_decref(up);
	saola__wire_remote_free(&r);
	return rc;
}

int saola__upstream_merge(saola__store *s, pthread_mutex_t *write_lock, json_t *records,
                          int64_t cursor, saola__err *e)
{
	saola *db = core(s);
	up_db d = {db, s ? saola__store_db(s) : NULL, NULL};
	saola__audit_who who;
	json_t *rec;
	char n[32], now[21];
	size_t i;
	int rc = SAOLA_OK;

	if (!db)
		return saola__fail(e, 500, "internal", "upstream: no database");
	if (write_lock)
		pthread_mutex_lock(write_lock);
	if (s->ops->write_begin(s, 1) != SAOLA_OK) {
		saola__fail(e, 500, "internal", "upstream: %s", s->ops->errmsg(s));
		if (write_lock)
			pthread_mutex_unlock(write_lock);
		return -1;
	}
	saola_set_actor(db, "upstream");
	/* The audit log names no user or device: the changes were accepted
	 * upstream, and each version names the replica that made it. */
	memset(&who, 0, sizeof who);
	saola__now(now);
	who.source = "upstream", who.now = now;
	saola__audit_set(s, &who);
	json_array_foreach(records, i, rec)
		if ((rc = merge_one(&d, rec, i)) != SAOLA_OK)
			break;
	saola__audit_set(s, NULL);
	saola__db_finalize(d.conflict_add);
	if (rc == SAOLA_OK && cursor > 0) {
		snprintf(n, sizeof n, "%lld", (long long)cursor);
		rc = saola_state_set(db, SAOLA__UP_CURSOR, n);
	}
	if (rc != SAOLA_OK)
		saola__fail(e, rc == SAOLA_PROTOCOL || rc == SAOLA_INVALID ? 502 : 500,
		            rc == SAOLA_PROTOCOL || rc == SAOLA_INVALID ? "bad_gateway" : "internal",
		            "%s", saola_errmsg(db));
	if (s->ops->end(s, rc == SAOLA_OK) != SAOLA_OK && rc == SAOLA_OK) {
		saola__fail(e, 500, "internal", "upstream: commit: %s", s->ops->errmsg(s));
		rc = SAOLA_ERROR;
	}
	if (write_lock)
		pthread_mutex_unlock(write_lock);
	return rc == SAOLA_OK ? 0 : -1;
}
