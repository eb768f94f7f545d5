/* store_sqlite_users.c: the SQLite store's users, devices and batches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "permissions.h"
#include "store_sqlite.h"

static void copy_text(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
	const char *v = (const char *)sqlite3_column_text(st, col);

	snprintf(dst, cap, "%s", v ? v : "");
}

/* Fills u from columns id, name, role, area, revoked, expires_at, permissions. */
static void read_user(sqlite3_stmt *st, saola__user *u)
{
	memset(u, 0, sizeof *u);
	u->id = sqlite3_column_int64(st, 0);
	copy_text(u->name, sizeof u->name, st, 1);
	copy_text(u->role, sizeof u->role, st, 2);
	copy_text(u->area, sizeof u->area, st, 3);
	u->revoked = sqlite3_column_int(st, 4);
	copy_text(u->expires, sizeof u->expires, st, 5);
	u->permissions = saola__perms_read((const char *)sqlite3_column_text(st, 6));
}

int saola__sq_user_add(saola__store *base, saola__user *u, const unsigned char *hash,
                       const char *now)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db->sql,
	        "INSERT INTO users(name, role, area, token_hash, created_at, expires_at)"
	        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL) != SQLITE_OK)
		return saola__sq_sql_fail(s, "users table");
	sqlite3_bind_text(st, 1, u->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, u->role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, u->area, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, hash, SAOLA__SHA256_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
	if (u->expires[0])
		sqlite3_bind_text(st, 6, u->expires, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		u->id = sqlite3_last_insert_rowid(s->db->sql);
		rc = SAOLA_OK;
	} else if (sqlite3_extended_errcode(s->db->sql) == SQLITE_CONSTRAINT_UNIQUE &&
	           strstr(sqlite3_errmsg(s->db->sql), "users.name")) {
		rc = saola__sq_fail(s, SAOLA_CONFLICT, "a user named \"%s\" exists already",
		                    u->name);
	} else {
		rc = saola__sq_sql_fail(s, "users table");
	}
	sqlite3_finalize(st);
	return rc;
}

int saola__sq_user_by_hash(saola__store *base, const unsigned char *hash, saola__user *out,
                           unsigned char *stored, int *found)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = saola__sq_stmt(s, SQ_USER_BY_HASH);
	int step;

	*found = 0;
	memset(out, 0, sizeof *out);
	if (!st)
		return SAOLA_ERROR;
	sqlite3_bind_blob(st, 1, hash, SAOLA__SHA256_LEN, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW && sqlite3_column_bytes(st, 7) == SAOLA__SHA256_LEN) {
		read_user(st, out);
		memcpy(stored, sqlite3_column_blob(st, 7), SAOLA__SHA256_LEN);
		*found = 1;
	}
	sqlite3_reset(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return saola__sq_sql_fail(s, "authenticate");
	return SAOLA_OK;
}

int saola__sq_user_by_name(saola__store *base, const char *name, saola__user *out,
                           int *found)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = saola__sq_stmt(s, SQ_USER_BY_NAME);
	int step;

	*found = 0;
	memset(out, 0, sizeof *out);
	if (!st)
		return SAOLA_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		read_user(st, out);
		*found = 1;
	}
	sqlite3_reset(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return saola__sq_sql_fail(s, "user");
	return SAOLA_OK;
}

/* Runs sql, an UPDATE of users with ?1 the user's id and ?2 text (NULL
 * binds NULL). */
static int update_user(sq_store *s, const char *sql, int64_t user_id, const char *text)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db->sql, sql, -1, &st, NULL) != SQLITE_OK)
		return saola__sq_sql_fail(s, "users table");
	sqlite3_bind_int64(st, 1, user_id);
	if (text)
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? SAOLA_OK : saola__sq_sql_fail(s, "users table");
	sqlite3_finalize(st);
	return rc;
}

int saola__sq_user_revoke(saola__store *base, int64_t user_id, const char *now)
{
	return update_user((sq_store *)base, "UPDATE users SET revoked_at ="
	                   " coalesce(revoked_at, ?2) WHERE id = ?1", user_id, now);
}

int saola__sq_user_expiry(saola__store *base, int64_t user_id, const char *expires)
{
	return update_user((sq_store *)base, "UPDATE users SET expires_at = ?2 WHERE id = ?1",
	                   user_id, expires && *expires ? expires : NULL);
}

int saola__sq_user_permissions(saola__store *base, int64_t user_id, const char *words)
{
	return update_user((sq_store *)base, "UPDATE users SET permissions = ?2 WHERE id = ?1",
	                   user_id, words ? words : "");
}

int saola__sq_user_list(saola__store *base, json_t **out)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array();
	int step, rc = SAOLA_OK;

	*out = NULL;
	if (!arr)
		return saola__sq_fail(s, SAOLA_NOMEM, "out of memory");
	if (sqlite3_prepare_v2(s->db->sql,
	        "SELECT u.name, u.role, u.area, u.created_at, u.revoked_at,"
	        " max(d.last_sync), count(d.origin), u.expires_at, u.permissions"
	        " FROM users u LEFT JOIN devices d ON d.user_id = u.id"
	        " GROUP BY u.id ORDER BY u.name", -1, &st, NULL) != SQLITE_OK) {
		json_decref(arr);
		return saola__sq_sql_fail(s, "users table");
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *u = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:I, s:s?, s:s}",
		        "name", (const char *)sqlite3_column_text(st, 0),
		        "role", (const char *)sqlite3_column_text(st, 1),
		        "area", (const char *)sqlite3_column_text(st, 2),
		        "created", (const char *)sqlite3_column_text(st, 3),
		        "revoked", (const char *)sqlite3_column_text(st, 4),
		        "last_sync", (const char *)sqlite3_column_text(st, 5),
		        "devices", (json_int_t)sqlite3_column_int64(st, 6),
		        "expires", (const char *)sqlite3_column_text(st, 7),
		        "permissions", (const char *)sqlite3_column_text(st, 8));
		if (!u || json_array_append_new(arr, u) != 0) {
			rc = saola__sq_fail(s, SAOLA_NOMEM, "out of memory");
			break;
		}
	}
	if (rc == SAOLA_OK && step != SQLITE_DONE)
		rc = saola__sq_sql_fail(s, "users table");
	sqlite3_finalize(st);
	if (rc != SAOLA_OK) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return SAOLA_OK;
}

int saola__sq_user_token_hash(saola__store *base, int64_t user_id,
                              unsigned char hash[SAOLA__SHA256_LEN], int *found)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = NULL;
	int step, rc = SAOLA_OK;

	*found = 0;
	memset(hash, 0, SAOLA__SHA256_LEN);
	if (sqlite3_prepare_v2(s->db->sql, "SELECT token_hash FROM users WHERE id = ?1", -1, &st,
	                       NULL) != SQLITE_OK)
		return saola__sq_sql_fail(s, "user");
	sqlite3_bind_int64(st, 1, user_id);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW && sqlite3_column_bytes(st, 0) == SAOLA__SHA256_LEN) {
		memcpy(hash, sqlite3_column_blob(st, 0), SAOLA__SHA256_LEN);
		*found = 1;
	} else if (step == SQLITE_ROW) {
		rc = saola__sq_fail(s, SAOLA_CORRUPT, "user %lld: the stored token hash is not 32"
		                    " bytes", (long long)user_id);
	} else if (step != SQLITE_DONE) {
		rc = saola__sq_sql_fail(s, "user");
	}
	sqlite3_finalize(st);
	return rc;
}

int saola__sq_device_get(saola__store *base, const char *device, saola__device *out)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = saola__sq_stmt(s, SQ_DEVICE_GET);
	int step;

	memset(out, 0, sizeof *out);
	if (!st)
		return SAOLA_ERROR;
	sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		const char *l = (const char *)sqlite3_column_text(st, 1);
		out->found = 1;
		out->owner = sqlite3_column_int64(st, 0);
		snprintf(out->lineage, sizeof out->lineage, "%s", l ? l : "");
		l = (const char *)sqlite3_column_text(st, 2);
		snprintf(out->lineage_batch, sizeof out->lineage_batch, "%s", l ? l : "");
	}
	sqlite3_reset(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return saola__sq_sql_fail(s, "device");
	return SAOLA_OK;
}

int saola__sq_device_sync(saola__store *base, const char *device, int64_t user_id,
                          const char *lineage, const char *batch, const char *now)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = saola__sq_stmt(s, SQ_DEVICE_SYNC);
	int step;

	if (!st)
		return SAOLA_ERROR;
	sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	if (lineage)
		sqlite3_bind_text(st, 4, lineage, -1, SQLITE_STATIC);
	if (lineage && batch)
		sqlite3_bind_text(st, 5, batch, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	sqlite3_reset(st);
	if (step != SQLITE_DONE)
		return saola__sq_sql_fail(s, "device");
	return SAOLA_OK;
}

int saola__sq_device_user(saola__store *base, const char *device, saola__user *out,
                          int *found)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = saola__sq_stmt(s, SQ_DEVICE_USER);
	int step;

	*found = 0;
	memset(out, 0, sizeof *out);
	if (!st)
		return SAOLA_ERROR;
	sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		read_user(st, out);
		*found = 1;
	}
	sqlite3_reset(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return saola__sq_sql_fail(s, "device");
	return SAOLA_OK;
}

/* The bundle batch ids of one device of user_id into an array. */
static int device_bundles(sq_store *s, const char *device, int64_t user_id, int limit,
                          json_t *ids)
{
	sqlite3_stmt *st = saola__sq_stmt(s, SQ_DEVICE_BUNDLES);
	int step, rc = SAOLA_OK;

	if (!st)
		return SAOLA_ERROR;
	sqlite3_bind_text(st, 1, device, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_int(st, 3, limit);
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		if (json_array_append_new(ids, json_string((const char *)
		                                           sqlite3_column_text(st, 0))) != 0) {
			rc = saola__sq_fail(s, SAOLA_NOMEM, "devices: out of memory");
			break;
		}
	if (rc == SAOLA_OK && step != SQLITE_DONE)
		rc = saola__sq_sql_fail(s, "devices");
	sqlite3_reset(st);
	return rc;
}

int saola__sq_user_confirmed(saola__store *base, int64_t user_id, int per_device,
                             json_t **out)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = saola__sq_stmt(s, SQ_USER_DEVICES);
	json_t *res = json_object(), *ids;
	int step = SQLITE_DONE, rc = SAOLA_OK;

	*out = NULL;
	if (!st || !res) {
		json_decref(res);
		return st ? saola__sq_fail(s, SAOLA_NOMEM, "devices: out of memory") : SAOLA_ERROR;
	}
	sqlite3_bind_int64(st, 1, user_id);
	while (rc == SAOLA_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *origin = (const char *)sqlite3_column_text(st, 0);
		if (!(ids = json_array()) || json_object_set_new(res, origin, ids) != 0)
			rc = saola__sq_fail(s, SAOLA_NOMEM, "devices: out of memory");
		else
			rc = device_bundles(s, origin, user_id, per_device, ids);
	}
	if (rc == SAOLA_OK && step != SQLITE_DONE)
		rc = saola__sq_sql_fail(s, "devices");
	sqlite3_reset(st);
	if (rc != SAOLA_OK) {
		json_decref(res);
		return rc;
	}
	*out = res;
	return SAOLA_OK;
}

int saola__sq_batch_get(saola__store *base, int64_t user_id, const char *batch,
                        saola__batch_rec *out)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = saola__sq_stmt(s, SQ_BATCH_GET);
	int step, rc = SAOLA_OK;

	memset(out, 0, sizeof *out);
	if (!st)
		return SAOLA_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, batch, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		const void *d = sqlite3_column_blob(st, 0);
		out->found = 1;
		if (d && sqlite3_column_bytes(st, 0) == SAOLA__SHA256_LEN)
			memcpy(out->digest, d, SAOLA__SHA256_LEN);
		out->accepted = sqlite3_column_int64(st, 1);
		out->applied = sqlite3_column_int64(st, 2);
		out->conflicts = sqlite3_column_int64(st, 3);
		out->conflicted = json_loads((const char *)sqlite3_column_text(st, 4), 0, NULL);
		if (!json_is_array(out->conflicted)) {
			json_decref(out->conflicted);
			out->conflicted = NULL;
			rc = saola__sq_fail(s, SAOLA_CORRUPT, "batch %s: stored record list is unreadable",
			                    batch);
		}
	} else if (step != SQLITE_DONE) {
		rc = saola__sq_sql_fail(s, "batch");
	}
	sqlite3_reset(st);
	return rc;
}

int saola__sq_batch_put(saola__store *base, int64_t user_id, const char *batch,
                        const char *device, const char *source, const saola__batch_rec *b,
                        const char *now)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = saola__sq_stmt(s, SQ_BATCH_PUT);
	char *conflicted;
	int step;

	if (!st)
		return SAOLA_ERROR;
	if (!(conflicted = json_dumps(b->conflicted, JSON_COMPACT)))
		return saola__sq_fail(s, SAOLA_NOMEM, "batch: out of memory");
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, batch, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, device, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, b->digest, SAOLA__SHA256_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, b->accepted);
	sqlite3_bind_int64(st, 6, b->applied);
	sqlite3_bind_int64(st, 7, b->conflicts);
	sqlite3_bind_text(st, 8, conflicted, -1, free);
	sqlite3_bind_text(st, 9, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, source, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (step != SQLITE_DONE)
		return saola__sq_sql_fail(s, "batch");
	return SAOLA_OK;
}
