/* reorigin.c: giving a device database an origin of its own (a copied
 * database, or one enrolled again): the queued changes move to the new
 * origin, nothing else changes (docs/store.md, "Re-origin"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola_int.h"

/* The sync client's state that belongs to one origin: the batch in flight,
 * the push bundle's batch and the lineage (sync/src/client_int.h names
 * them; core writes them here only to forget them). */
static const char *const origin_state[] = {
	"batch", "bundle_batch", "lineage", "lineage_next",
};

static int run(saola *db, const char *sql, const char *old, const char *new_origin)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
		return saola__sql_error(db, "reorigin");
	if (old)
		sqlite3_bind_text(st, 1, old, -1, SQLITE_STATIC);
	if (new_origin)
		sqlite3_bind_text(st, 2, new_origin, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? SAOLA_OK : saola__sql_error(db, "reorigin");
	sqlite3_finalize(st);
	return rc;
}

/* In one record's versions, renames [c, old] to [c, new] for each counter
 * c that the record has queued under old (so that a version the server
 * already holds keeps its origin). Returns 1 when something changed. */
static int rename_versions(json_t *versions, const json_t *queued, const char *old,
                           const char *new_origin)
{
	const char *path;
	json_t *v, *c;
	size_t i;
	int changed = 0;

	json_object_foreach(versions, path, v) {
		const char *o = json_string_value(json_array_get(v, 1));
		if (!json_is_integer(json_array_get(v, 0)) || !o || strcmp(o, old) != 0)
			continue;
		json_array_foreach(queued, i, c)
			if (json_integer_value(c) == json_integer_value(json_array_get(v, 0))) {
				json_array_set_new(v, 1, json_string(new_origin));
				changed = 1;
				break;
			}
	}
	return changed;
}

/* Renames the queued versions inside the records that have queued changes
 * (before the queue itself is renamed: its old versions say which). */
static int rename_records(saola *db, const char *old, const char *new_origin)
{
	sqlite3_stmt *st = NULL, *up = NULL;
	int rc = SAOLA_OK, step;

	if (sqlite3_prepare_v2(db->sql,
	        "SELECT r.id, r.versions, json_group_array(json_extract(o.version, '$[0]'))"
	        " FROM records r JOIN outbox o ON o.record_id = r.id"
	        " WHERE json_extract(o.version, '$[1]') = ?1 GROUP BY r.id", -1, &st, NULL) ||
	    sqlite3_prepare_v2(db->sql, "UPDATE records SET versions = ?2 WHERE id = ?1",
	                       -1, &up, NULL)) {
		rc = saola__sql_error(db, "reorigin: records");
		goto out;
	}
	sqlite3_bind_text(st, 1, old, -1, SQLITE_STATIC);
	while (rc == SAOLA_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		json_t *versions = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
		json_t *queued = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
		char *text = NULL;

		if (!json_is_object(versions) || !json_is_array(queued))
			rc = saola__error(db, SAOLA_CORRUPT, "reorigin: record %.40s: its versions "
			                  "are unreadable", id ? id : "?");
		else if (rename_versions(versions, queued, old, new_origin) &&
		         !(text = json_dumps(versions, JSON_COMPACT)))
			rc = saola__error(db, SAOLA_NOMEM, "reorigin: out of memory");
		if (text) {
			sqlite3_reset(up);
			sqlite3_bind_text(up, 1, id, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(up, 2, text, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(up) != SQLITE_DONE)
				rc = saola__sql_error(db, "reorigin: records");
		}
		free(text);
		json_decref(versions);
		json_decref(queued);
		if (rc != SAOLA_OK)
			goto out;
	}
	if (step != SQLITE_DONE)
		rc = saola__sql_error(db, "reorigin: records");
out:
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	return rc;
}

static int reorigin(saola *db, const char *old, const char *new_origin)
{
	size_t i;
	int rc;

	if ((rc = rename_records(db, old, new_origin)) != SAOLA_OK)
		return rc;
	if ((rc = run(db, "UPDATE outbox SET version = json_array(json_extract(version, '$[0]'),"
	              " ?2) WHERE json_extract(version, '$[1]') = ?1", old, new_origin)) != SAOLA_OK)
		return rc;
	if ((rc = run(db, "UPDATE meta SET value = ?2 WHERE key = 'origin' AND value = ?1",
	              old, new_origin)) != SAOLA_OK)
		return rc;
	if (sqlite3_changes(db->sql) != 1)
		return saola__error(db, SAOLA_CORRUPT, "reorigin: the database's origin is not %s",
		                    old);
	/* What was said to a server under the old origin: a batch id, a
	 * bundle's, a lineage. The content changed, so none of it may be sent
	 * again under the new one. */
	for (i = 0; i < sizeof origin_state / sizeof origin_state[0]; i++) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(db->sql, "DELETE FROM sync_state WHERE key = ?1", -1, &st,
		                       NULL) != SQLITE_OK)
			return saola__sql_error(db, "reorigin: sync state");
		sqlite3_bind_text(st, 1, origin_state[i], -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? SAOLA_OK
		                                     : saola__sql_error(db, "reorigin: sync state");
		sqlite3_finalize(st);
		if (rc != SAOLA_OK)
			return rc;
	}
	return SAOLA_OK;
}

int saola__reorigin(saola *db, char old_out[SAOLA__ORIGIN_LEN + 1])
{
	char old[SAOLA__ORIGIN_LEN + 1], fresh[SAOLA__ORIGIN_LEN + 1];
	int rc, end;

	old_out[0] = '\0';
	snprintf(old, sizeof old, "%s", db->origin);
	if (saola__random_hex(fresh, SAOLA__ORIGIN_LEN) != 0)
		return saola__error(db, SAOLA_IO, "reorigin: no random source");
	if ((rc = saola__write_begin(db, "reorigin")) != SAOLA_OK)
		return rc;
	rc = reorigin(db, old, fresh);
	end = saola__write_end(db, "reorigin", rc == SAOLA_OK);
	if (rc == SAOLA_OK)
		rc = end;
	if (rc != SAOLA_OK)
		return rc;
	/* Inside a caller's transaction that rolls back, saola_rollback reads
	 * the origin again. */
	memcpy(db->origin, fresh, sizeof db->origin);
	memcpy(old_out, old, sizeof old);
	return saola__ok(db);
}
