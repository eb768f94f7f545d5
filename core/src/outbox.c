/* outbox.c: reading and acknowledging the queue of local changes. */
#include <string.h>

#include "saola_int.h"
#include "merge.h"
#include "versions.h"

/* 1 when path lies in a repeat item ("members.<id>" or below) that was
 * added after version, the record's creation. */
static int item_added_later(const json_t *versions, const char *path, const json_t *version)
{
	const char *dot = strchr(path, '.'), *dot2;
	char item[512];
	size_t n;

	if (!dot)
		return 0;
	dot2 = strchr(dot + 1, '.');
	n = dot2 ? (size_t)(dot2 - path) : strlen(path);
	if (n >= sizeof item)
		return 0;
	memcpy(item, path, n);
	item[n] = '\0';
	return saola__version_cmp(saola__version_of(versions, item), version) > 0;
}

/* The changes of a record's creation: every answer it holds now (as the
 * sync does: answers edited since go with it at the creating version, and
 * their own queued changes follow and supersede them; without them the
 * creation alone would be refused where one of them is required), and the
 * review paths that still have the creating version. Repeat items added
 * since are left to their own queued changes: at the creating version
 * they would be ordered among the first items by id alone, not after
 * them (items are ordered by the version that added them, then by id),
 * and the form reads that order (the household form's member 1 is the
 * head: a creation whose later member sorted first would be refused). */
static json_t *creation_changes(saola *db, const char *record_id, json_t *version)
{
	json_t *state = NULL, *out, *values, *versions;
	const char *path;
	json_t *v;

	if (saola__record_state(db, record_id, &state) != SAOLA_OK)
		return NULL;
	values = json_object_get(state, "values");
	versions = json_object_get(state, "versions");
	if ((out = json_object()))
		json_object_foreach(values, path, v)
			if (path[0] != '_' ?
			    !item_added_later(versions, path, version) :
			    saola__version_cmp(saola__version_of(versions, path), version) == 0)
				json_object_set(out, path, v);
	json_decref(state);
	return out;
}

static int outbox_read(saola *db, int64_t after_seq, int limit, int raw, json_t **out);

int saola_outbox_read(saola *db, int64_t after_seq, int limit, json_t **out)
{
	return outbox_read(db, after_seq, limit, 0, out);
}

int saola__outbox_read_raw(saola *db, int64_t after_seq, int limit, json_t **out)
{
	return outbox_read(db, after_seq, limit, 1, out);
}

static int outbox_read(saola *db, int64_t after_seq, int limit, int raw, json_t **out)
{
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array();
	int rc = SAOLA_OK, step;

	*out = NULL;
	if (!arr)
		return saola__error(db, SAOLA_NOMEM, "outbox: out of memory");
	if (sqlite3_prepare_v2(db->sql,
	        "SELECT seq, record_id, form_id, form_version, op, changes, version,"
	        " base, at FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2",
	        -1, &st, NULL)) {
		json_decref(arr);
		return saola__sql_error(db, "outbox");
	}
	sqlite3_bind_int64(st, 1, after_seq);
	sqlite3_bind_int(st, 2, limit > 0 ? limit : -1);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *changes = (const char *)sqlite3_column_text(st, 5);
		const char *base = (const char *)sqlite3_column_text(st, 7);
		json_t *e = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o?, s:o, s:o?, s:s}",
		        "seq", (json_int_t)sqlite3_column_int64(st, 0),
		        "record", (const char *)sqlite3_column_text(st, 1),
		        "form", (const char *)sqlite3_column_text(st, 2),
		        "form_version", (const char *)sqlite3_column_text(st, 3),
		        "op", (const char *)sqlite3_column_text(st, 4),
		        "changes", changes ? json_loads(changes, 0, NULL) : NULL,
		        "version", json_loads((const char *)sqlite3_column_text(st, 6), 0, NULL),
		        "base", base ? json_loads(base, 0, NULL) : NULL,
		        "at", (const char *)sqlite3_column_text(st, 8));
		if (e && !raw && !changes &&
		    strcmp(json_string_value(json_object_get(e, "op")), "put") == 0)
			json_object_set_new(e, "changes",
			        creation_changes(db, json_string_value(json_object_get(e, "record")),
			                         json_object_get(e, "version")));
		if (!e || (!raw && !changes && !json_object_get(e, "changes") &&
		           strcmp(json_string_value(json_object_get(e, "op")), "put") == 0)) {
			json_decref(e);
			rc = saola__error(db, SAOLA_CORRUPT, "outbox: entry %lld is unreadable",
			                  (long long)sqlite3_column_int64(st, 0));
			break;
		}
		json_array_append_new(arr, e);
	}
	if (rc == SAOLA_OK && step != SQLITE_DONE)
		rc = saola__sql_error(db, "outbox");
	sqlite3_finalize(st);
	if (rc != SAOLA_OK) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return saola__ok(db);
}

int saola_outbox_ack(saola *db, int64_t upto_seq)
{
	sqlite3_stmt *st = NULL;
	int rc, end;

	if ((rc = saola__write_begin(db, "ack")) != SAOLA_OK)
		return rc;
	if (sqlite3_prepare_v2(db->sql, "DELETE FROM outbox WHERE seq <= ?1",
	                       -1, &st, NULL) != SQLITE_OK) {
		rc = saola__sql_error(db, "outbox ack");
	} else {
		sqlite3_bind_int64(st, 1, upto_seq);
		rc = sqlite3_step(st) == SQLITE_DONE ? SAOLA_OK
		                                     : saola__sql_error(db, "outbox ack");
	}
	sqlite3_finalize(st);
	end = saola__write_end(db, "ack", rc == SAOLA_OK);
	if (rc == SAOLA_OK)
		rc = end;
	return rc == SAOLA_OK ? saola__ok(db) : rc;
}

int saola_outbox_count(saola *db, int64_t *count)
{
	sqlite3_stmt *st = NULL;
	int rc = SAOLA_OK;

	*count = 0;
	if (sqlite3_prepare_v2(db->sql, "SELECT count(*) FROM outbox", -1, &st, NULL))
		return saola__sql_error(db, "outbox");
	if (sqlite3_step(st) == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	else
		rc = saola__sql_error(db, "outbox");
	sqlite3_finalize(st);
	return rc == SAOLA_OK ? saola__ok(db) : rc;
}
