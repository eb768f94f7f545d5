/* upstream.c: what a district exchanges with its upstream server: per
 * record, the sequence and the versions of the last exchange
 * (upstream_records), the records changed here since (sent as the paths
 * that changed, with the versions last exchanged as their base, so that
 * the upstream server logs what a concurrent edit there overwrote), and
 * the merge of the records received. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola_util.h"
#include "store_sql.h"
#include "upstream.h"
#include "versions.h"
#include "wire.h"

/* The connection's failure as "upstream: why"; returns rc. */
static int up_fail(saola__store *s, int rc)
{
	char why[512];

	snprintf(why, sizeof why, "%s", saola__db_errmsg(s->db));
	return saola__db_fail(s->db, rc, "upstream: %s", why);
}

static int no_memory(saola__store *s)
{
	return saola__db_fail(s->db, SAOLA_NOMEM, "upstream: out of memory");
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

/* The wire record of a stored state (the record whole, as a pull sends
 * it): {"r", "f", "fv", "d", "vs"}. NULL when out of memory. */
static json_t *whole(const char *id, json_t *state)
{
	json_t *d = saola__unflatten_patch(json_object_get(state, "values")), *out;

	out = d ? json_pack("{s:s, s:O, s:O, s:O, s:O}", "r", id, "f",
	                    json_object_get(state, "form"), "fv",
	                    json_object_get(state, "form_version"), "d", d, "vs",
	                    json_object_get(state, "versions"))
	        : NULL;
	json_decref(d);
	return out;
}

/* One record's change (NULL with *empty when there is nothing to send)
 * and its [id, seq, expanded versions] for marking it exchanged. */
static int record_change(saola__store *s, const char *id, int64_t seq, const char *up_text,
                         json_t **change, json_t **done, int *empty)
{
	json_t *state = NULL, *cur = NULL, *up = NULL;
	int rc = SAOLA_OK;

	*change = *done = NULL;
	*empty = 0;
	if ((rc = saola__records_state(s, id, 0, &state)) != SAOLA_OK)
		return rc;
	cur = expand(json_object_get(state, "values"), json_object_get(state, "versions"));
	if (!cur) {
		rc = no_memory(s);
	} else if (!up_text) {
		/* Never exchanged: made below this server; it goes whole. */
		if (!(*change = whole(id, state)))
			rc = no_memory(s);
	} else if (!(up = json_loads(up_text, 0, NULL))) {
		rc = saola__db_fail(s->db, SAOLA_CORRUPT, "upstream: record %s: the versions last"
		                    " exchanged are unreadable", id);
	} else {
		*change = delta(id, state, cur, up, empty);
		if (!*change && !*empty)
			rc = no_memory(s);
	}
	if (rc == SAOLA_OK && !(*done = json_pack("[s, I, O]", id, (json_int_t)seq, cur)))
		rc = no_memory(s);
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
	saola__dbstmt *st = NULL;
	json_t *ch = json_array(), *dn = json_array();
	int step, rc = SAOLA_OK;

	*changes = NULL;
	if (done)
		*done = NULL;
	if (!ch || !dn) {
		json_decref(ch);
		json_decref(dn);
		return saola__err_set(e, SAOLA_NOMEM, "upstream: out of memory");
	}
	if (saola__db_prepare(s->db, limit > 0 ? CHANGED_SQL " LIMIT ?" : CHANGED_SQL, &st)
	    != SAOLA_OK) {
		rc = up_fail(s, SAOLA_ERROR);
		goto out;
	}
	if (limit > 0)
		saola__db_bind_int(st, 1, limit);
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW) {
		json_t *change = NULL, *d = NULL;
		int empty = 0;
		rc = record_change(s, saola__db_column_text(st, 0), saola__db_column_int(st, 1),
		                   saola__db_column_text(st, 2), &change, &d, &empty);
		if (rc == SAOLA_OK && change && json_array_append_new(ch, change) != 0)
			rc = no_memory(s);
		if (rc == SAOLA_OK && json_array_append_new(dn, d) != 0)
			rc = no_memory(s);
		if (rc != SAOLA_OK)
			break;
	}
	if (rc == SAOLA_OK && step != SAOLA__DB_DONE)
		rc = up_fail(s, SAOLA_ERROR);
out:
	saola__db_finalize(st);
	if (rc != SAOLA_OK) {
		json_decref(ch);
		json_decref(dn);
		return saola__err_set(e, SAOLA_ERROR, "%s", s->ops->errmsg(s));
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
	const char *origin = s->ops->origin(s);
	unsigned char digest[SAOLA__SHA256_LEN];
	char hex[2 * SAOLA__SHA256_LEN + 1], batch[40];
	saola__sha256_ctx c;
	char *text;

	if (!origin || !(text = json_dumps(changes, JSON_COMPACT | JSON_SORT_KEYS)))
		return NULL;
	saola__sha256_init(&c);
	saola__sha256_update(&c, origin, strlen(origin));
	saola__sha256_update(&c, text, strlen(text));
	saola__sha256_final(&c, digest);
	free(text);
	saola__hex(digest, sizeof digest, hex);
	snprintf(batch, sizeof batch, "up-%.32s", hex);
	return json_pack("{s:i, s:s, s:s, s:I, s:i, s:O}", "protocol", SAOLA__PROTOCOL,
	                 "batch", batch, "device", origin, "cursor", (json_int_t)cursor,
	                 "pull_limit", pull_limit, "changes", changes);
}

/* Keeps a record's exchange state. */
static int keep_exchange(saola__store *s, const char *id, int64_t seq, json_t *versions)
{
	saola__dbstmt *st = NULL;
	char *text = json_dumps(versions, JSON_COMPACT);
	int rc;

	if (!text)
		return no_memory(s);
	if (saola__db_prepare(s->db, "INSERT INTO upstream_records(record_id, seq, versions)"
	                      " VALUES (?, ?, ?) ON CONFLICT(record_id) DO UPDATE SET"
	                      " seq = excluded.seq, versions = excluded.versions", &st) != SAOLA_OK) {
		free(text);
		return up_fail(s, SAOLA_ERROR);
	}
	saola__db_bind_text(st, 1, id, -1);
	saola__db_bind_int(st, 2, seq);
	saola__db_bind_text(st, 3, text, -1);   /* copied */
	free(text);
	rc = saola__db_step(st) == SAOLA__DB_DONE ? SAOLA_OK : up_fail(s, SAOLA_ERROR);
	saola__db_finalize(st);
	return rc;
}

int saola__upstream_mark(saola__store *s, json_t *done, saola__err *e)
{
	json_t *d;
	size_t i;

	json_array_foreach(done, i, d)
		if (keep_exchange(s, json_string_value(json_array_get(d, 0)),
		                  json_integer_value(json_array_get(d, 1)), json_array_get(d, 2)) !=
		    SAOLA_OK)
			return saola__err_set(e, SAOLA_ERROR, "%s", s->ops->errmsg(s));
	return 0;
}

/* The record's sequence and its exchange state: *up_seq -1 when it was
 * never exchanged. */
static int exchange_of(saola__store *s, const char *id, int64_t *seq, int64_t *up_seq)
{
	saola__dbstmt *st = NULL;
	int step;

	*seq = 0;
	*up_seq = -1;
	if (saola__db_prepare(s->db, "SELECT r.seq, u.seq FROM records r LEFT JOIN"
	                      " upstream_records u ON u.record_id = r.id WHERE r.id = ?",
	                      &st) != SAOLA_OK)
		return up_fail(s, SAOLA_ERROR);
	saola__db_bind_text(st, 1, id, -1);
	if ((step = saola__db_step(st)) == SAOLA__DB_ROW) {
		*seq = saola__db_column_int(st, 0);
		if (saola__db_column_type(st, 1) != SAOLA__DB_NULL)
			*up_seq = saola__db_column_int(st, 1);
	}
	saola__db_finalize(st);
	return step == SAOLA__DB_ROW || step == SAOLA__DB_DONE ? SAOLA_OK
	       : up_fail(s, SAOLA_ERROR);
}

/* The exchange state of a record: the versions last exchanged (a new
 * reference; NULL when never) and whether it changed here since. */
static int exchange_state(saola__store *s, const char *id, json_t **up, int *pending)
{
	saola__dbstmt *st = NULL;
	int step, rc = SAOLA_OK;

	*up = NULL;
	*pending = 0;
	if (saola__db_prepare(s->db, "SELECT CASE WHEN r.seq > u.seq THEN 1 ELSE 0 END,"
	                      " u.versions FROM records r JOIN upstream_records u"
	                      " ON u.record_id = r.id WHERE r.id = ?", &st) != SAOLA_OK)
		return up_fail(s, SAOLA_ERROR);
	saola__db_bind_text(st, 1, id, -1);
	if ((step = saola__db_step(st)) == SAOLA__DB_ROW) {
		*pending = (int)saola__db_column_int(st, 0);
		if (!(*up = json_loads(saola__db_column_text(st, 1), 0, NULL)))
			rc = saola__db_fail(s->db, SAOLA_CORRUPT, "upstream: record %s: the versions"
			                    " last exchanged are unreadable", id);
	} else if (step != SAOLA__DB_DONE) {
		rc = up_fail(s, SAOLA_ERROR);
	}
	saola__db_finalize(st);
	return rc;
}

/* Reads the received record's id, values and versions (r, for the caller
 * to free) with the store's forms engine; SAOLA_PROTOCOL when it is not a
 * wire record. */
static int received(saola__store *s, json_t *rec, size_t i, saola__remote *r)
{
	struct saola *engine = saola__store_forms_engine(s);
	char err[SAOLA__ERRMSG_MAX - 64];
	int rc;

	memset(r, 0, sizeof *r);
	if (!engine)
		return saola__db_fail(s->db, SAOLA_MISUSE, "upstream: the %s store has no forms"
		                      " engine", s->ops->name);
	if ((rc = saola__wire_decode(engine, rec, NULL, r, err, sizeof err)) != SAOLA_OK)
		return saola__db_fail(s->db, rc == SAOLA_NOMEM ? rc : SAOLA_PROTOCOL,
		                      "upstream: records[%zu]: %s", i, err);
	return SAOLA_OK;
}

/* Merges one received record and keeps what was exchanged: the record is
 * in step with upstream when the merge left it as received; otherwise it
 * holds changes of its own, still to send (its exchange sequence stays).
 * A record changed here since the last exchange merges with that exchange
 * as the base, so that a concurrent value that loses here is logged here
 * (it will never reach upstream). The store's apply merges, logs and
 * audits it (as source "upstream", no user: the changes were accepted
 * upstream, and each version names the replica that made it). */
static int merge_one(saola__store *s, json_t *rec, size_t i, const char *now)
{
	char err[SAOLA__ERRMSG_MAX - 64];
	saola__apply_ctx ctx;
	saola__change_result res;
	saola__remote r;
	json_t *state = NULL, *cur = NULL, *recv = NULL, *up = NULL;
	int64_t up_seq, now_seq;
	int rc, pending = 0;

	if ((rc = received(s, rec, i, &r)) != SAOLA_OK)
		return rc;
	memset(&ctx, 0, sizeof ctx);
	ctx.now = now, ctx.source = "upstream";
	if ((rc = exchange_state(s, r.record_id, &up, &pending)) == SAOLA_OK && pending) {
		if (!json_object_get(up, "_deleted")) {
			json_t *max = saola__version_max(up);
			json_object_set(up, "_deleted", max ? max : json_null());
		}
		ctx.base = up;
	}
	if (rc == SAOLA_OK &&
	    (rc = s->ops->apply(s, rec, &ctx, NULL, &res)) != SAOLA_OK) {
		snprintf(err, sizeof err, "%s", s->ops->errmsg(s));  /* not written over itself */
		saola__db_fail(s->db, rc, "upstream: records[%zu]: %s", i, err);
	}
	if (rc == SAOLA_OK &&
	    (rc = saola__records_state(s, r.record_id, 0, &state)) == SAOLA_OK &&
	    (rc = exchange_of(s, r.record_id, &now_seq, &up_seq)) == SAOLA_OK) {
		cur = expand(json_object_get(state, "values"), json_object_get(state, "versions"));
		recv = expand(r.values, r.versions);
		if (!cur || !recv)
			rc = no_memory(s);
		else
			rc = keep_exchange(s, r.record_id, json_equal(cur, recv) ? now_seq
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
	json_t *rec;
	char n[32], now[21];
	size_t i;
	int rc = SAOLA_OK;

	if (write_lock)
		pthread_mutex_lock(write_lock);
	if (s->ops->write_begin(s, 1) != SAOLA_OK) {
		saola__err_set(e, SAOLA_ERROR, "upstream: %s", s->ops->errmsg(s));
		if (write_lock)
			pthread_mutex_unlock(write_lock);
		return -1;
	}
	saola__now(now);
	/* In the order a device's batch takes them (PostgreSQL), so that the
	 * two wait for each other rather than deadlock. */
	rc = s->ops->records_lock(s, records);
	json_array_foreach(records, i, rec)
		if (rc != SAOLA_OK || (rc = merge_one(s, rec, i, now)) != SAOLA_OK)
			break;
	if (rc == SAOLA_OK && cursor > 0) {
		snprintf(n, sizeof n, "%lld", (long long)cursor);
		rc = s->ops->state_set(s, SAOLA__UP_CURSOR, n);
	}
	/* A record the upstream sent that does not merge: the upstream's fault. */
	if (rc == SAOLA_PROTOCOL || rc == SAOLA_INVALID)
		saola__err_set(e, SAOLA_NETWORK, "%s", s->ops->errmsg(s));
	else if (rc != SAOLA_OK)
		saola__err_set(e, SAOLA_ERROR, "%s", s->ops->errmsg(s));
	if (s->ops->end(s, rc == SAOLA_OK) != SAOLA_OK && rc == SAOLA_OK) {
		saola__err_set(e, SAOLA_ERROR, "upstream: commit: %s", s->ops->errmsg(s));
		rc = SAOLA_ERROR;
	}
	if (write_lock)
		pthread_mutex_unlock(write_lock);
	return rc == SAOLA_OK ? 0 : -1;
}
