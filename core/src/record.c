/* record.c: putting, reading, deleting and listing records; every change is
 * written with its outbox entry in one transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola_int.h"
#include "versions.h"
#include "json_out.h"

#define ITEM_ID_LEN 8 /* hex digits of a repeat item's _id */

void saola__row_free(saola__row *r)
{
	free(r->form_id);
	free(r->state);
	free(r->comment);
	free(r->issues);
	json_decref(r->doc);
	json_decref(r->versions);
	memset(r, 0, sizeof *r);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

int saola__row_read(saola *db, const char *id, saola__row *r)
{
	sqlite3_stmt *st = saola__stmt(db, SAOLA__ST_REC_GET);
	int step, has_comment, has_issues;

	memset(r, 0, sizeof *r);
	if (!st)
		return db->rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_DONE)
		return SAOLA_OK;
	if (step != SQLITE_ROW)
		return saola__sql_error(db, "read record");
	r->found = 1;
	r->deleted = sqlite3_column_int(st, 4);
	r->form_id = strdup(col_text(st, 0));
	r->doc = json_loads(col_text(st, 2), 0, NULL);
	r->versions = json_loads(col_text(st, 3), 0, NULL);
	r->state = strdup(col_text(st, 10) ? col_text(st, 10) : "draft");
	has_comment = col_text(st, 11) != NULL;
	if (has_comment)
		r->comment = strdup(col_text(st, 11));
	has_issues = col_text(st, 12) != NULL;
	if (has_issues)
		r->issues = strdup(col_text(st, 12));
	sqlite3_reset(st);
	if (!r->form_id || !r->doc || !r->versions || !r->state ||
	    (has_comment && !r->comment) || (has_issues && !r->issues)) {
		saola__row_free(r);
		return saola__error(db, SAOLA_CORRUPT, "record %s: stored data is unreadable", id);
	}
	return SAOLA_OK;
}

/* A new item id: ids made in one edit increase, so that the canonical order
 * (by creating version, then id) keeps the order in which they were given. */
static int next_item_id(uint32_t *seq, char out[ITEM_ID_LEN + 1])
{
	if (*seq == 0) {
		if (saola__random(seq, sizeof *seq) != 0)
			return -1;
		*seq = (*seq & 0x7fffffffu) | 1u; /* room to count up */
	}
	snprintf(out, ITEM_ID_LEN + 1, "%08x", (unsigned)(*seq)++);
	return 0;
}

/* The index of the item with _id id in items, or -1. */
static long item_index(json_t *items, json_t *id)
{
	json_t *o;
	size_t j;

	json_array_foreach(items, j, o)
		if (json_equal(json_object_get(o, "_id"), id))
			return (long)j;
	return -1;
}

/* Applies an edit of a repeat to its stored items: an item with the _id of
 * a stored one changes only the answers it gives (null clears one); an item
 * with "_remove": true removes that item; an item without _id is a new one,
 * added at the end. Items the edit does not name stay as they were. */
static int merge_items(saola *db, const char *name, json_t *old_items,
                       json_t *new_items, uint32_t *idseq, json_t **out)
{
	json_t *res = json_is_array(old_items) ? json_deep_copy(old_items) : json_array();
	json_t *item;
	size_t i;
	int rc = SAOLA_OK;

	*out = NULL;
	if (!res)
		return saola__error(db, SAOLA_NOMEM, "put: out of memory");
	json_array_foreach(new_items, i, item) {
		json_t *id = json_object_get(item, "_id"), *rm = json_object_get(item, "_remove");
		json_t *target;
		long at;
		const char *k;
		json_t *v;

		if (!json_is_object(item)) {
			rc = saola__error(db, SAOLA_INVALID, "%s[%zu]: expected an object", name, i);
			break;
		}
		if (id && !json_is_string(id)) {
			rc = saola__error(db, SAOLA_INVALID, "%s[%zu]._id: expected a string", name, i);
			break;
		}
		at = id ? item_index(res, id) : -1;
		if (rm) {
			if (!json_is_true(rm) || !id || at < 0) {
				rc = saola__error(db, SAOLA_INVALID,
				                  "%s[%zu]._remove: expected true, with the _id of a stored item",
				                  name, i);
				break;
			}
			json_array_remove(res, (size_t)at);
			continue;
		}
		if (at >= 0) {
			target = json_array_get(res, (size_t)at);
		} else {
			target = json_object();
			if (!target || json_array_append_new(res, target) != 0) {
				rc = saola__error(db, SAOLA_NOMEM, "put: out of memory");
				break;
			}
			if (!id) {
				char hex[ITEM_ID_LEN + 1];
				if (next_item_id(idseq, hex) != 0) {
					rc = saola__error(db, SAOLA_IO, "put: no random source");
					break;
				}
				json_object_set_new(target, "_id", json_string(hex));
			}
		}
		json_object_foreach(item, k, v) {
			if (json_is_null(v))
				json_object_del(target, k); /* a null clears that answer */
			else
				json_object_set(target, k, v);
		}
	}
	if (rc != SAOLA_OK) {
		json_decref(res);
		return rc;
	}
	*out = res;
	return SAOLA_OK;
}

/* The stored entered answers with the edit in data laid over them. */
static int apply_edit(saola *db, const saola__form *f, json_t *old_entered,
                      json_t *data, json_t **out)
{
	json_t *merged = json_copy(old_entered);
	const char *k;
	json_t *v;
	uint32_t idseq = 0;
	int rc;

	*out = NULL;
	if (!merged)
		return saola__error(db, SAOLA_NOMEM, "put: out of memory");
	json_object_foreach(data, k, v) {
		if (json_is_null(v)) {
			json_object_del(merged, k);
		} else if (saola__form_field_type(f, k) == SAOLA__F_REPEAT) {
			json_t *items;
			if (!json_is_array(v)) {
				json_decref(merged);
				return saola__error(db, SAOLA_INVALID, "%s: expected an array of items", k);
			}
			rc = merge_items(db, k, json_object_get(old_entered, k), v, &idseq, &items);
			if (rc != SAOLA_OK) {
				json_decref(merged);
				return rc;
			}
			json_object_set_new(merged, k, items);
		} else {
			json_object_set(merged, k, v);
		}
	}
	*out = merged;
	return SAOLA_OK;
}

static void bind_area(sqlite3_stmt *st, const json_t *doc)
{
	static const char *const keys[] = {"province", "district", "commune"};
	int i;

	for (i = 0; i < 3; i++) {
		const char *s = json_string_value(json_object_get(doc, keys[i]));
		if (s)
			sqlite3_bind_text(st, 7 + i, s, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, 7 + i);
	}
}

static int bind_json(sqlite3_stmt *st, int i, const json_t *v)
{
	char *s;

	if (!v)
		return sqlite3_bind_null(st, i) == SQLITE_OK ? 0 : -1;
	s = saola__json_dump(v, NULL);
	if (!s)
		return -1;
	return sqlite3_bind_text(st, i, s, -1, free) == SQLITE_OK ? 0 : -1;
}

int saola__outbox_add(saola *db, const char *id, const saola__form *f,
                      const char *op, json_t *changes, json_t *version,
                      json_t *base, const char *now)
{
	sqlite3_stmt *st = saola__stmt(db, SAOLA__ST_OUTBOX_INSERT);

	if (!st)
		return db->rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, saola__form_id(f), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, saola__form_version(f), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, op, -1, SQLITE_STATIC);
	if (bind_json(st, 5, changes) || bind_json(st, 6, version) ||
	    bind_json(st, 7, base))
		return saola__error(db, SAOLA_NOMEM, "queue: out of memory");
	sqlite3_bind_text(st, 8, now, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		return saola__sql_error(db, "queue change");
	return SAOLA_OK;
}

int saola__row_write(saola *db, int insert, const char *id,
                     const saola__form *f, const json_t *doc,
                     const json_t *versions, int deleted, int64_t seq,
                     const char *now, const char *state, const char *comment,
                     const char *issues)
{
	sqlite3_stmt *st = saola__stmt(db, insert ? SAOLA__ST_REC_INSERT
	                                          : SAOLA__ST_REC_UPDATE);

	if (!st)
		return db->rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, saola__form_id(f), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, saola__form_version(f), -1, SQLITE_TRANSIENT);
	if (bind_json(st, 4, doc) || bind_json(st, 5, versions))
		return saola__error(db, SAOLA_NOMEM, "store: out of memory");
	sqlite3_bind_int(st, 6, deleted);
	bind_area(st, doc);
	sqlite3_bind_text(st, 10, now, -1, SQLITE_TRANSIENT);
	if (db->actor)
		sqlite3_bind_text(st, 11, db->actor, -1, SQLITE_TRANSIENT);
	if (insert)
		sqlite3_bind_text(st, 12, db->origin, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 13, seq);
	sqlite3_bind_text(st, 14, state ? state : "draft", -1, SQLITE_TRANSIENT);
	if (comment)
		sqlite3_bind_text(st, 15, comment, -1, SQLITE_TRANSIENT);
	if (issues)
		sqlite3_bind_text(st, 16, issues, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		return saola__sql_error(db, "store record");
	return SAOLA_OK;
}

static int valid_id(const char *id)
{
	size_t n = strlen(id), i;

	if (n == 0 || n > 36)
		return 0;
	for (i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/* Puts the items of merged in the order they will be stored in (by the
 * version that created them, then by id): an item already stored keeps
 * its place, a new one goes after them, new ones by id. The form then
 * sees the members as every replica will (position(..), indexed-repeat():
 * the household form's member 1 is the head), and a record it accepts
 * here is not refused by the server in its stored order. */
static int canonical_order(const saola__form *f, const saola__row *old,
                           const json_t *old_entered, json_t *merged)
{
	json_t *versions = old->found ? json_copy(old->versions) : json_object();
	json_t *later = saola__version_new((json_int_t)INT64_MAX, "");
	const char *k;
	json_t *items, *item;
	char path[512];
	size_t i;
	int rc = versions && later ? 0 : -1;

	json_object_foreach(merged, k, items) {
		if (rc || saola__form_field_type(f, k) != SAOLA__F_REPEAT || !json_is_array(items))
			continue;
		json_array_foreach(items, i, item) {
			json_t *id = json_object_get(item, "_id");

			if (!json_is_string(id) || item_index(json_object_get(old_entered, k), id) >= 0)
				continue;
			snprintf(path, sizeof path, "%s.%s", k, json_string_value(id));
			if (json_object_set(versions, path, later) != 0)
				rc = -1;
		}
	}
	if (rc == 0)
		saola__sort_items(f, merged, versions);
	json_decref(versions);
	json_decref(later);
	return rc;
}

/* The work of saola_put inside its transaction. */
static int put_in_txn(saola *db, saola__form *f, const char *id,
                      json_t *data, int *changed)
{
	saola__row old;
	json_t *old_entered = NULL, *merged = NULL, *doc = NULL, *entered = NULL;
	json_t *old_flat = NULL, *new_flat = NULL, *diff = NULL, *versions = NULL;
	json_t *version = NULL, *base = NULL;
	saola__params_src params;
	char err[SAOLA__ERRMSG_MAX - 32], now[21];
	const char *path;
	json_t *v;
	int64_t counter;
	int rc;

	*changed = 0;
	if ((rc = saola__row_read(db, id, &old)) != SAOLA_OK)
		return rc;
	if (old.found && old.deleted) {
		rc = saola__error(db, SAOLA_DELETED, "put: record %s is deleted", id);
		goto out;
	}
	if (old.found && !db->server && strcmp(old.state, "approved") == 0) {
		rc = saola__error(db, SAOLA_AUTH, "put: record %s is approved: approved records"
		                  " are read-only on devices (a commune officer can return it for"
		                  " re-survey)", id);
		goto out;
	}
	if (old.found && strcmp(old.form_id, saola__form_id(f)) != 0) {
		rc = saola__error(db, SAOLA_INVALID, "put: record %s is of form %s, not %s",
		                  id, old.form_id, saola__form_id(f));
		goto out;
	}
	old_entered = old.found ? saola__entered(f, old.doc) : json_object();
	if (!old_entered) {
		rc = saola__error(db, SAOLA_NOMEM, "put: out of memory");
		goto out;
	}
	if ((rc = apply_edit(db, f, old_entered, data, &merged)) != SAOLA_OK)
		goto out;
	if (canonical_order(f, &old, old_entered, merged) != 0) {
		rc = saola__error(db, SAOLA_NOMEM, "put: out of memory");
		goto out;
	}
	saola__params_source(db, &params);
	rc = saola__form_process(f, merged, &params, NULL, &doc, err, sizeof err);
	if (rc != SAOLA_OK) {
		rc = saola__error(db, rc, "%s", err);
		goto out;
	}
	if (old.found) {
		/* An edit queues only the paths it changed (a new record's change
		 * is the whole record, read back by the outbox). */
		entered = saola__entered(f, doc);
		old_flat = saola__flatten(f, old_entered);
		new_flat = entered ? saola__flatten(f, entered) : NULL;
		diff = old_flat && new_flat ? saola__flat_diff(old_flat, new_flat) : NULL;
		if (!diff) {
			rc = saola__error(db, SAOLA_NOMEM, "put: out of memory");
			goto out;
		}
		if (json_object_size(diff) == 0) {
			rc = SAOLA_OK; /* nothing changed: nothing to queue */
			goto out;
		}
	}
	if ((rc = saola__tick(db, &counter)) != SAOLA_OK)
		goto out;
	version = saola__version_new(counter, db->origin);
	if (old.found) {
		versions = json_copy(old.versions);
		base = json_object();
		json_object_foreach(diff, path, v) {
			/* The version the edit was made over: null for a path that
			 * never had a value here. */
			json_t *prev = json_object_get(old.versions, path);
			if (!prev && json_object_get(old_flat, path))
				prev = json_object_get(old.versions, "_");
			json_object_set(base, path, prev ? prev : json_null());
			json_object_set(versions, path, version);
		}
		/* A removed item: the versions of the answers it had, so that a
		 * receiver can tell an edit of that member it did not see. */
		json_object_foreach(diff, path, v) {
			const char *k;
			json_t *x;
			size_t plen = strlen(path);
			if (!json_is_null(v) || !strchr(path, '.') || strchr(strchr(path, '.') + 1, '.'))
				continue;
			json_object_foreach(old_flat, k, x)
				if (strncmp(k, path, plen) == 0 && k[plen] == '.')
					json_object_set(base, k, saola__version_of(old.versions, k));
		}
	} else {
		versions = json_pack("{s:O}", "_", version);
	}
	if (!version || !versions || (old.found && !base)) {
		rc = saola__error(db, SAOLA_NOMEM, "put: out of memory");
		goto out;
	}
	saola__sort_items(f, doc, versions);
	saola__now(now);
	rc = saola__row_write(db, !old.found, id, f, doc, versions, 0, counter, now,
	                      old.state, old.comment, NULL);
	/* A new record's change is the record itself: the outbox reads it back
	 * (saola_outbox_read), which spares a second copy of every household. */
	if (rc == SAOLA_OK)
		rc = saola__outbox_add(db, id, f, "put", old.found ? diff : NULL, version, base, now);
	if (rc == SAOLA_OK)
		*changed = 1;
out:
	saola__row_free(&old);
	json_decref(old_entered);
	json_decref(merged);
	json_decref(doc);
	json_decref(entered);
	json_decref(old_flat);
	json_decref(new_flat);
	json_decref(diff);
	json_decref(versions);
	json_decref(version);
	json_decref(base);
	return rc;
}

int saola_put(saola *db, const char *form_id, const char *record_id,
              json_t *data, char out_id[37])
{
	saola__form *f;
	char id[37];
	int rc, end, changed = 0;

	if (out_id)
		out_id[0] = '\0';
	if (!form_id || !json_is_object(data))
		return saola__error(db, SAOLA_MISUSE, "put: expected a form id and a JSON object");
	if (record_id && !valid_id(record_id))
		return saola__error(db, SAOLA_INVALID,
		                    "put: record id \"%s\": expected 1-36 letters, digits, '-' or '_'",
		                    record_id);
	if ((rc = saola__form_lookup(db, form_id, &f)) != SAOLA_OK)
		return rc;
	if (record_id) {
		snprintf(id, sizeof id, "%s", record_id);
	} else if (saola__uuid(id) != 0) {
		return saola__error(db, SAOLA_IO, "put: no random source for a record id");
	}
	if ((rc = saola__write_begin(db, "put")) != SAOLA_OK)
		return rc;
	rc = put_in_txn(db, f, id, data, &changed);
	end = saola__write_end(db, "put", rc == SAOLA_OK);
	if (rc == SAOLA_OK)
		rc = end;
	if (rc != SAOLA_OK)
		return rc;
	if (out_id)
		snprintf(out_id, 37, "%s", id);
	return saola__ok(db);
}

static int delete_in_txn(saola *db, const char *id)
{
	saola__row old;
	saola__form *f;
	json_t *versions = NULL, *version = NULL, *base = NULL;
	char now[21];
	int64_t counter;
	int rc;

	if ((rc = saola__row_read(db, id, &old)) != SAOLA_OK)
		return rc;
	if (!old.found) {
		rc = saola__error(db, SAOLA_NOTFOUND, "delete: no record %s", id);
		goto out;
	}
	if (old.deleted) {
		rc = saola__error(db, SAOLA_DELETED, "delete: record %s is already deleted", id);
		goto out;
	}
	if (!db->server && strcmp(old.state, "approved") == 0) {
		rc = saola__error(db, SAOLA_AUTH, "delete: record %s is approved: approved records"
		                  " are read-only on devices", id);
		goto out;
	}
	if ((rc = saola__form_lookup(db, old.form_id, &f)) != SAOLA_OK)
		goto out;
	if ((rc = saola__tick(db, &counter)) != SAOLA_OK)
		goto out;
	version = saola__version_new(counter, db->origin);
	versions = json_copy(old.versions);
	base = json_pack("{s:O?}", "_deleted", saola__version_max(old.versions));
	if (!version || !versions || !base) {
		rc = saola__error(db, SAOLA_NOMEM, "delete: out of memory");
		goto out;
	}
	json_object_set(versions, "_deleted", version);
	saola__now(now);
	rc = saola__row_write(db, 0, id, f, old.doc, versions, 1, counter, now, old.state,
	                      old.comment, old.issues);
	if (rc == SAOLA_OK)
		rc = saola__outbox_add(db, id, f, "delete", NULL, version, base, now);
out:
	saola__row_free(&old);
	json_decref(versions);
	json_decref(version);
	json_decref(base);
	return rc;
}

int saola_delete(saola *db, const char *record_id)
{
	int rc, end;

	if (!record_id)
		return saola__error(db, SAOLA_MISUSE, "delete: no record id");
	if ((rc = saola__write_begin(db, "del")) != SAOLA_OK)
		return rc;
	rc = delete_in_txn(db, record_id);
	end = saola__write_end(db, "del", rc == SAOLA_OK);
	if (rc == SAOLA_OK)
		rc = end;
	if (rc != SAOLA_OK)
		return rc;
	return saola__ok(db);
}

/* Builds the public shape of a record from a row of the records table,
 * columns as in SAOLA__ST_REC_GET preceded by the id. */
static json_t *record_json(sqlite3_stmt *st, int with_data)
{
	json_t *versions = json_loads(col_text(st, 4), 0, NULL);
	json_t *data = with_data ? json_loads(col_text(st, 3), 0, NULL) : NULL;
	json_t *max = versions ? saola__version_max(versions) : NULL;
	json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s?, s:s?}",
	        "id", col_text(st, 0), "form", col_text(st, 1),
	        "form_version", col_text(st, 2), "state", col_text(st, 11),
	        "deleted", sqlite3_column_int(st, 5),
	        "comment", col_text(st, 12), "issues", col_text(st, 13));
	json_t *meta = json_pack("{s:s, s:s?, s:s, s:s?, s:s, s:O?}",
	        "created_at", col_text(st, 6), "created_by", col_text(st, 7),
	        "updated_at", col_text(st, 8), "updated_by", col_text(st, 9),
	        "origin", col_text(st, 10), "version", max);

	if (!rec || !meta || (with_data && !data)) {
		json_decref(rec);
		json_decref(meta);
		json_decref(data);
		json_decref(versions);
		return NULL;
	}
	if (with_data)
		json_object_set_new(rec, "data", data);
	json_object_set_new(rec, "meta", meta);
	json_decref(versions);
	return rec;
}

#define RECORD_COLUMNS \
	"id, form_id, form_version, data, versions, deleted, created_at," \
	" created_by, updated_at, updated_by, origin, state, state_comment, issues"

int saola_get(saola *db, const char *record_id, json_t **out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	if (sqlite3_prepare_v2(db->sql, "SELECT " RECORD_COLUMNS
	                       " FROM records WHERE id = ?1", -1, &st, NULL))
		return saola__sql_error(db, "get");
	sqlite3_bind_text(st, 1, record_id, -1, SQLITE_STATIC);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		*out = record_json(st, 1);
		rc = *out ? SAOLA_OK : saola__error(db, SAOLA_CORRUPT,
		                                    "get: record %s is unreadable", record_id);
		break;
	case SQLITE_DONE:
		rc = saola__error(db, SAOLA_NOTFOUND, "get: no record %s", record_id);
		break;
	default:
		rc = saola__sql_error(db, "get");
	}
	sqlite3_finalize(st);
	return rc == SAOLA_OK ? saola__ok(db) : rc;
}

int saola_list(saola *db, const saola_list_opts *opts, saola_list_cb cb, void *ctx)
{
	static const saola_list_opts none = {0};
	sqlite3_stmt *st = NULL;
	int rc = SAOLA_OK, step;

	if (!opts)
		opts = &none;
	if (sqlite3_prepare_v2(db->sql, "SELECT " RECORD_COLUMNS " FROM records"
	        " WHERE (?1 IS NULL OR form_id = ?1) AND (?2 OR deleted = 0)"
	        " ORDER BY rowid", -1, &st, NULL))
		return saola__sql_error(db, "list");
	if (opts->form_id)
		sqlite3_bind_text(st, 1, opts->form_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, opts->include_deleted != 0);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *rec = record_json(st, opts->with_data);
		if (!rec) {
			rc = saola__error(db, SAOLA_CORRUPT, "list: record %s is unreadable",
			                  col_text(st, 0));
			break;
		}
		rc = cb(ctx, rec);
		json_decref(rec);
		if (rc != 0)
			break;
	}
	if (rc == SAOLA_OK && step != SQLITE_DONE)
		rc = saola__sql_error(db, "list");
	sqlite3_finalize(st);
	return rc;
}

static int count_of(saola *db, const char *sql, json_int_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc = SAOLA_OK;

	*n = 0;
	if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL))
		return saola__sql_error(db, "status");
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	else
		rc = saola__sql_error(db, "status");
	sqlite3_finalize(st);
	return rc;
}

/* {"states": {state: live records in it}} into res. */
static int state_counts(saola *db, json_t *res)
{
	sqlite3_stmt *st = NULL;
	json_t *states = json_object();
	int rc = SAOLA_OK, step;

	if (!states || json_object_set_new(res, "states", states) != 0)
		return saola__error(db, SAOLA_NOMEM, "status: out of memory");
	if (sqlite3_prepare_v2(db->sql, "SELECT state, count(*) FROM records WHERE deleted = 0"
	                       " GROUP BY state ORDER BY state", -1, &st, NULL))
		return saola__sql_error(db, "status");
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		if (json_object_set_new(states, col_text(st, 0) ? col_text(st, 0) : "draft",
		                        json_integer(sqlite3_column_int64(st, 1))) != 0) {
			rc = saola__error(db, SAOLA_NOMEM, "status: out of memory");
			break;
		}
	if (rc == SAOLA_OK && step != SQLITE_DONE)
		rc = saola__sql_error(db, "status");
	sqlite3_finalize(st);
	return rc;
}

int saola_status(saola *db, json_t **out)
{
	static const struct { const char *key, *sql; } counts[] = {
		{"records", "SELECT count(*) FROM records WHERE deleted = 0"},
		{"deleted", "SELECT count(*) FROM records WHERE deleted = 1"},
		{"issues", "SELECT count(*) FROM records WHERE deleted = 0 AND issues IS NOT NULL"},
		{"outbox", "SELECT count(*) FROM outbox"},
		{"outbox_records", "SELECT count(DISTINCT record_id) FROM outbox"},
		{"forms", "SELECT count(*) FROM forms WHERE current = 1"},
		{"standards", "SELECT count(*) FROM standards"},
	};
	sqlite3_stmt *st = NULL;
	json_t *res = json_object(), *sync = json_object();
	size_t i;
	int rc = SAOLA_OK;

	*out = NULL;
	if (!res || !sync) {
		json_decref(res);
		json_decref(sync);
		return saola__error(db, SAOLA_NOMEM, "status: out of memory");
	}
	for (i = 0; i < sizeof counts / sizeof counts[0] && rc == SAOLA_OK; i++) {
		json_int_t n;
		if ((rc = count_of(db, counts[i].sql, &n)) == SAOLA_OK)
			json_object_set_new(res, counts[i].key, json_integer(n));
	}
	if (rc == SAOLA_OK &&
	    sqlite3_prepare_v2(db->sql, "SELECT key, value FROM sync_state ORDER BY key",
	                       -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW)
			if (strcmp(col_text(st, 0), "token") != 0) /* a secret */
				json_object_set_new(sync, col_text(st, 0),
				                    json_string(col_text(st, 1) ? col_text(st, 1) : ""));
		sqlite3_finalize(st);
	}
	if (rc == SAOLA_OK)
		rc = state_counts(db, res);
	json_object_set_new(res, "origin", json_string(db->origin));
	json_object_set_new(res, "schema_version", json_integer(db->schema_version));
	json_object_set_new(res, "clock", json_integer(db->clock));
	json_object_set_new(res, "sync", sync);
	if (rc != SAOLA_OK) {
		json_decref(res);
		return rc;
	}
	*out = res;
	return saola__ok(db);
}
