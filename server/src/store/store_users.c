/* store_users.c: users, devices and batches, written once over db.h for
 * every backend of the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola/core.h"
#include "permissions.h"
#include "store_sql.h"

_Static_assert(SAOLA__SS_COUNT <= sizeof ((saola__store *)0)->stmts /
                                   sizeof ((saola__store *)0)->stmts[0],
               "saola__store's statement cache is too small");

/* The columns read_user() reads, in its order. */
#define USER_COLUMNS(u) u "id, " u "name, " u "role, " u "area, CASE WHEN " u \
	"revoked_at IS NULL THEN 0 ELSE 1 END, " u "expires_at, " u "permissions"

static const char *const stmt_sql[SAOLA__SS_COUNT] = {
	[SAOLA__SS_USER_BY_HASH] =
		"SELECT " USER_COLUMNS("") ", token_hash FROM users WHERE token_hash = ?",
	[SAOLA__SS_USER_BY_NAME] = "SELECT " USER_COLUMNS("") " FROM users WHERE name = ?",
	[SAOLA__SS_DEVICE_GET] =
		"SELECT user_id, lineage, lineage_batch FROM devices WHERE origin = ?",
	/* The owner is set once, by the insert: a sync never changes it. The
	 * lineage and its batch change only when a lineage is given. */
	[SAOLA__SS_DEVICE_SYNC] =
		"INSERT INTO devices(origin, user_id, first_seen, last_sync, lineage, lineage_batch)"
		" VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(origin) DO UPDATE SET"
		" last_sync = excluded.last_sync,"
		" lineage_batch = CASE WHEN excluded.lineage IS NULL THEN devices.lineage_batch"
		" ELSE excluded.lineage_batch END,"
		" lineage = coalesce(excluded.lineage, devices.lineage)",
	[SAOLA__SS_DEVICE_USER] =
		"SELECT " USER_COLUMNS("u.") " FROM devices d JOIN users u ON u.id = d.user_id"
		" WHERE d.origin = ?",
	[SAOLA__SS_USER_DEVICES] = "SELECT origin FROM devices WHERE user_id = ? ORDER BY origin",
	/* Bundles, and batches from before sources were kept (NULL). */
	[SAOLA__SS_DEVICE_BUNDLES] =
		"SELECT batch FROM batches WHERE device = ? AND user_id = ?"
		" AND (source IS NULL OR source = 'bundle') ORDER BY at DESC, batch DESC LIMIT ?",
	[SAOLA__SS_BATCH_GET] =
		"SELECT digest, accepted, applied, conflicts, conflicted FROM batches"
		" WHERE user_id = ? AND batch = ?",
	[SAOLA__SS_BATCH_PUT] =
		"INSERT INTO batches(user_id, batch, device, digest, accepted, applied,"
		" conflicts, conflicted, at, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
};

saola__dbstmt *saola__store_stmt(saola__store *s, saola__store_stmt_id id, const char *sql)
{
	if (s->stmts[id]) {
		saola__db_reset(s->stmts[id]);
		return s->stmts[id];
	}
	return saola__db_prepare(s->db, sql, &s->stmts[id]) == SAOLA_OK ? s->stmts[id] : NULL;
}

void saola__store_stmts_free(saola__store *s)
{
	size_t i;

	for (i = 0; i < sizeof s->stmts / sizeof s->stmts[0]; i++) {
		saola__db_finalize(s->stmts[i]);
		s->stmts[i] = NULL;
	}
}

static saola__dbstmt *stmt(saola__store *s, saola__store_stmt_id id)
{
	return saola__store_stmt(s, id, stmt_sql[id]);
}

/* Records the connection's failure of a step, "what: why"; returns its code. */
static int step_fail(saola__store *s, int rc, const char *what)
{
	char why[512];

	snprintf(why, sizeof why, "%s", saola__db_errmsg(s->db));
	return saola__db_fail(s->db, rc, "%s: %s", what, why);
}

static void copy_text(char *dst, size_t cap, saola__dbstmt *st, int col)
{
	const char *v = saola__db_column_text(st, col);

	snprintf(dst, cap, "%s", v ? v : "");
}

/* Fills u from USER_COLUMNS. */
static void read_user(saola__dbstmt *st, saola__user *u)
{
	memset(u, 0, sizeof *u);
	u->id = saola__db_column_int(st, 0);
	copy_text(u->name, sizeof u->name, st, 1);
	copy_text(u->role, sizeof u->role, st, 2);
	copy_text(u->area, sizeof u->area, st, 3);
	u->revoked = (int)saola__db_column_int(st, 4);
	copy_text(u->expires, sizeof u->expires, st, 5);
	u->permissions = saola__perms_read(saola__db_column_text(st, 6));
}

/* Runs a statement that returns one user, or none: *found says which. */
static int one_user(saola__store *s, saola__dbstmt *st, saola__user *out, int *found,
                    const char *what)
{
	int step = saola__db_step(st);

	if (step == SAOLA__DB_ROW) {
		read_user(st, out);
		*found = 1;
	}
	saola__db_reset(st);
	return step == SAOLA__DB_ROW || step == SAOLA__DB_DONE ? SAOLA_OK : step_fail(s, step, what);
}

int saola__users_add(saola__store *s, saola__user *u, const unsigned char *hash,
                     const char *now)
{
	saola__dbstmt *st = NULL;
	saola__user other;
	int rc, step, found = 0;

	/* The name is checked first: after a failed statement PostgreSQL
	 * answers nothing more in the transaction. The unique index still
	 * guards against a name taken meanwhile by another process. */
	if ((rc = saola__users_by_name(s, u->name, &other, &found)) != SAOLA_OK)
		return rc;
	if (found)
		return saola__db_fail(s->db, SAOLA_CONFLICT, "a user named \"%s\" exists already",
		                      u->name);
	if ((rc = saola__db_prepare(s->db, "INSERT INTO users(name, role, area, token_hash,"
	                            " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)"
	                            " RETURNING id", &st)) != SAOLA_OK)
		return step_fail(s, rc, "users table");
	saola__db_bind_text(st, 1, u->name, -1);
	saola__db_bind_text(st, 2, u->role, -1);
	saola__db_bind_text(st, 3, u->area, -1);
	saola__db_bind_blob(st, 4, hash, SAOLA__SHA256_LEN);
	saola__db_bind_text(st, 5, now, -1);
	saola__db_bind_text(st, 6, u->expires[0] ? u->expires : NULL, -1);
	step = saola__db_step(st);
	if (step == SAOLA__DB_ROW) {
		u->id = saola__db_column_int(st, 0);
		rc = SAOLA_OK;
	} else {
		rc = step_fail(s, step == SAOLA__DB_DONE ? SAOLA_ERROR : step, "users table");
	}
	saola__db_finalize(st);
	return rc;
}

int saola__users_by_hash(saola__store *s, const unsigned char *hash, saola__user *out,
                         unsigned char *stored, int *found)
{
	saola__dbstmt *st = stmt(s, SAOLA__SS_USER_BY_HASH);
	size_t len = 0;
	const void *h;
	int step;

	*found = 0;
	memset(out, 0, sizeof *out);
	if (!st)
		return step_fail(s, SAOLA_ERROR, "authenticate");
	saola__db_bind_blob(st, 1, hash, SAOLA__SHA256_LEN);
	step = saola__db_step(st);
	if (step == SAOLA__DB_ROW && (h = saola__db_column_blob(st, 7, &len)) &&
	    len == SAOLA__SHA256_LEN) {
		read_user(st, out);
		memcpy(stored, h, SAOLA__SHA256_LEN);
		*found = 1;
	}
	saola__db_reset(st);
	if (step != SAOLA__DB_ROW && step != SAOLA__DB_DONE)
		return step_fail(s, step, "authenticate");
	return SAOLA_OK;
}

int saola__users_by_name(saola__store *s, const char *name, saola__user *out, int *found)
{
	saola__dbstmt *st = stmt(s, SAOLA__SS_USER_BY_NAME);

	*found = 0;
	memset(out, 0, sizeof *out);
	if (!st)
		return step_fail(s, SAOLA_ERROR, "user");
	saola__db_bind_text(st, 1, name, -1);
	return one_user(s, st, out, found, "user");
}

/* Runs sql, an UPDATE of users with the first parameter text (NULL binds
 * NULL) and the second the user's id. */
static int update_user(saola__store *s, const char *sql, const char *text, int64_t user_id)
{
	saola__dbstmt *st = NULL;
	int rc;

	if ((rc = saola__db_prepare(s->db, sql, &st)) != SAOLA_OK)
		return step_fail(s, rc, "users table");
	saola__db_bind_text(st, 1, text, -1);
	saola__db_bind_int(st, 2, user_id);
	rc = saola__db_step(st);
	rc = rc == SAOLA__DB_DONE ? SAOLA_OK : step_fail(s, rc, "users table");
	saola__db_finalize(st);
	return rc;
}

int saola__users_revoke(saola__store *s, int64_t user_id, const char *now)
{
	return update_user(s, "UPDATE users SET revoked_at = coalesce(revoked_at, ?)"
	                   " WHERE id = ?", now, user_id);
}

int saola__users_expiry(saola__store *s, int64_t user_id, const char *expires)
{
	return update_user(s, "UPDATE users SET expires_at = ? WHERE id = ?",
	                   expires && *expires ? expires : NULL, user_id);
}

int saola__users_permissions(saola__store *s, int64_t user_id, const char *words)
{
	return update_user(s, "UPDATE users SET permissions = ? WHERE id = ?",
	                   words ? words : "", user_id);
}

/* One row of users_list's query as an object. */
static json_t *user_row(saola__dbstmt *st)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:I, s:s?, s:s}",
	                 "name", saola__db_column_text(st, 0),
	                 "role", saola__db_column_text(st, 1),
	                 "area", saola__db_column_text(st, 2),
	                 "created", saola__db_column_text(st, 3),
	                 "revoked", saola__db_column_text(st, 4),
	                 "last_sync", saola__db_column_text(st, 5),
	                 "devices", (json_int_t)saola__db_column_int(st, 6),
	                 "expires", saola__db_column_text(st, 7),
	                 "permissions", saola__db_column_text(st, 8));
}

int saola__users_list(saola__store *s, json_t **out)
{
	saola__dbstmt *st = NULL;
	json_t *arr = json_array(), *u;
	int step, rc;

	*out = NULL;
	if (!arr)
		return saola__db_fail(s->db, SAOLA_NOMEM, "users: out of memory");
	if ((rc = saola__db_prepare(s->db,
	        "SELECT u.name, u.role, u.area, u.created_at, u.revoked_at,"
	        " max(d.last_sync), count(d.origin), u.expires_at, u.permissions"
	        " FROM users u LEFT JOIN devices d ON d.user_id = u.id"
	        " GROUP BY u.id ORDER BY u.name", &st)) != SAOLA_OK) {
		json_decref(arr);
		return step_fail(s, rc, "users table");
	}
	rc = SAOLA_OK;
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW)
		if (!(u = user_row(st)) || json_array_append_new(arr, u) != 0) {
			rc = saola__db_fail(s->db, SAOLA_NOMEM, "users: out of memory");
			break;
		}
	if (rc == SAOLA_OK && step != SAOLA__DB_DONE)
		rc = step_fail(s, step, "users table");
	saola__db_finalize(st);
	if (rc != SAOLA_OK) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return SAOLA_OK;
}

int saola__users_token_hash(saola__store *s, int64_t user_id,
                            unsigned char hash[SAOLA__SHA256_LEN], int *found)
{
	saola__dbstmt *st = NULL;
	const void *h;
	size_t len = 0;
	int step, rc;

	*found = 0;
	memset(hash, 0, SAOLA__SHA256_LEN);
	if ((rc = saola__db_prepare(s->db, "SELECT token_hash FROM users WHERE id = ?", &st)) !=
	    SAOLA_OK)
		return step_fail(s, rc, "user");
	saola__db_bind_int(st, 1, user_id);
	step = saola__db_step(st);
	rc = SAOLA_OK;
	if (step == SAOLA__DB_ROW && (h = saola__db_column_blob(st, 0, &len)) &&
	    len == SAOLA__SHA256_LEN) {
		memcpy(hash, h, SAOLA__SHA256_LEN);
		*found = 1;
	} else if (step == SAOLA__DB_ROW) {
		rc = saola__db_fail(s->db, SAOLA_CORRUPT, "user %lld: the stored token hash is not"
		                    " 32 bytes", (long long)user_id);
	} else if (step != SAOLA__DB_DONE) {
		rc = step_fail(s, step, "user");
	}
	saola__db_finalize(st);
	return rc;
}

int saola__devices_get(saola__store *s, const char *device, saola__device *out)
{
	saola__dbstmt *st = stmt(s, SAOLA__SS_DEVICE_GET);
	int step;

	memset(out, 0, sizeof *out);
	if (!st)
		return step_fail(s, SAOLA_ERROR, "device");
	saola__db_bind_text(st, 1, device, -1);
	step = saola__db_step(st);
	if (step == SAOLA__DB_ROW) {
		out->found = 1;
		out->owner = saola__db_column_int(st, 0);
		copy_text(out->lineage, sizeof out->lineage, st, 1);
		copy_text(out->lineage_batch, sizeof out->lineage_batch, st, 2);
	}
	saola__db_reset(st);
	if (step != SAOLA__DB_ROW && step != SAOLA__DB_DONE)
		return step_fail(s, step, "device");
	return SAOLA_OK;
}

int saola__devices_sync(saola__store *s, const char *device, int64_t user_id,
                        const char *lineage, const char *batch, const char *now)
{
	saola__dbstmt *st = stmt(s, SAOLA__SS_DEVICE_SYNC);
	int step;

	if (!st)
		return step_fail(s, SAOLA_ERROR, "device");
	saola__db_bind_text(st, 1, device, -1);
	saola__db_bind_int(st, 2, user_id);
	saola__db_bind_text(st, 3, now, -1);
	saola__db_bind_text(st, 4, now, -1);
	saola__db_bind_text(st, 5, lineage, -1);
	saola__db_bind_text(st, 6, lineage ? batch : NULL, -1);
	step = saola__db_step(st);
	saola__db_reset(st);
	return step == SAOLA__DB_DONE ? SAOLA_OK : step_fail(s, step, "device");
}

int saola__devices_user(saola__store *s, const char *device, saola__user *out, int *found)
{
	saola__dbstmt *st = stmt(s, SAOLA__SS_DEVICE_USER);

	*found = 0;
	memset(out, 0, sizeof *out);
	if (!st)
		return step_fail(s, SAOLA_ERROR, "device");
	saola__db_bind_text(st, 1, device, -1);
	return one_user(s, st, out, found, "device");
}

/* The bundle batch ids of one device of user_id into an array. */
static int device_bundles(saola__store *s, const char *device, int64_t user_id, int limit,
                          json_t *ids)
{
	saola__dbstmt *st = stmt(s, SAOLA__SS_DEVICE_BUNDLES);
	int step;

	if (!st)
		return step_fail(s, SAOLA_ERROR, "devices");
	saola__db_bind_text(st, 1, device, -1);
	saola__db_bind_int(st, 2, user_id);
	saola__db_bind_int(st, 3, limit);
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW)
		if (json_array_append_new(ids, json_string(saola__db_column_text(st, 0))) != 0) {
			saola__db_reset(st);
			return saola__db_fail(s->db, SAOLA_NOMEM, "devices: out of memory");
		}
	saola__db_reset(st);
	return step == SAOLA__DB_DONE ? SAOLA_OK : step_fail(s, step, "devices");
}

/* The origins of user_id's devices: a new array, in *out. */
static int user_devices(saola__store *s, int64_t user_id, json_t **out)
{
	saola__dbstmt *st = stmt(s, SAOLA__SS_USER_DEVICES);
	json_t *origins = json_array();
	int step;

	*out = NULL;
	if (!st || !origins) {
		json_decref(origins);
		return st ? saola__db_fail(s->db, SAOLA_NOMEM, "devices: out of memory")
		          : step_fail(s, SAOLA_ERROR, "devices");
	}
	saola__db_bind_int(st, 1, user_id);
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW)
		if (json_array_append_new(origins, json_string(saola__db_column_text(st, 0))) != 0) {
			saola__db_reset(st);
			json_decref(origins);
			return saola__db_fail(s->db, SAOLA_NOMEM, "devices: out of memory");
		}
	saola__db_reset(st);
	if (step != SAOLA__DB_DONE) {
		json_decref(origins);
		return step_fail(s, step, "devices");
	}
	*out = origins;
	return SAOLA_OK;
}

int saola__devices_confirmed(saola__store *s, int64_t user_id, int per_device, json_t **out)
{
	json_t *res = json_object(), *origins = NULL, *ids, *o;
	size_t i;
	int rc;

	*out = NULL;
	if (!res)
		return saola__db_fail(s->db, SAOLA_NOMEM, "devices: out of memory");
	/* The origins first: one statement's rows are read to their end before
	 * the next runs, as PostgreSQL's protocol wants. */
	rc = user_devices(s, user_id, &origins);
	json_array_foreach(origins, i, o) {
		if (rc != SAOLA_OK)
			break;
		if (!(ids = json_array()) || json_object_set_new(res, json_string_value(o), ids) != 0)
			rc = saola__db_fail(s->db, SAOLA_NOMEM, "devices: out of memory");
		else
			rc = device_bundles(s, json_string_value(o), user_id, per_device, ids);
	}
	json_decref(origins);
	if (rc != SAOLA_OK) {
		json_decref(res);
		return rc;
	}
	*out = res;
	return SAOLA_OK;
}

int saola__batches_get(saola__store *s, int64_t user_id, const char *batch,
                       saola__batch_rec *out)
{
	saola__dbstmt *st = stmt(s, SAOLA__SS_BATCH_GET);
	const void *d;
	size_t len = 0;
	int step;

	memset(out, 0, sizeof *out);
	if (!st)
		return step_fail(s, SAOLA_ERROR, "batch");
	saola__db_bind_int(st, 1, user_id);
	saola__db_bind_text(st, 2, batch, -1);
	step = saola__db_step(st);
	if (step != SAOLA__DB_ROW) {
		saola__db_reset(st);
		return step == SAOLA__DB_DONE ? SAOLA_OK : step_fail(s, step, "batch");
	}
	out->found = 1;
	if ((d = saola__db_column_blob(st, 0, &len)) && len == SAOLA__SHA256_LEN)
		memcpy(out->digest, d, SAOLA__SHA256_LEN);
	out->accepted = saola__db_column_int(st, 1);
	out->applied = saola__db_column_int(st, 2);
	out->conflicts = saola__db_column_int(st, 3);
	out->conflicted = json_loads(saola__db_column_text(st, 4), 0, NULL);
	saola__db_reset(st);
	if (!json_is_array(out->conflicted)) {
		json_decref(out->conflicted);
		out->conflicted = NULL;
		return saola__db_fail(s->db, SAOLA_CORRUPT, "batch %s: stored record list is"
		                      " unreadable", batch);
	}
	return SAOLA_OK;
}

int saola__batches_put(saola__store *s, int64_t user_id, const char *batch,
                       const char *device, const char *source, const saola__batch_rec *b,
                       const char *now)
{
	saola__dbstmt *st = stmt(s, SAOLA__SS_BATCH_PUT);
	char *conflicted;
	int step;

	if (!st)
		return step_fail(s, SAOLA_ERROR, "batch");
	if (!(conflicted = json_dumps(b->conflicted, JSON_COMPACT)))
		return saola__db_fail(s->db, SAOLA_NOMEM, "batch: out of memory");
	saola__db_bind_int(st, 1, user_id);
	saola__db_bind_text(st, 2, batch, -1);
	saola__db_bind_text(st, 3, device, -1);
	saola__db_bind_blob(st, 4, b->digest, SAOLA__SHA256_LEN);
	saola__db_bind_int(st, 5, b->accepted);
	saola__db_bind_int(st, 6, b->applied);
	saola__db_bind_int(st, 7, b->conflicts);
	saola__db_bind_text(st, 8, conflicted, -1);
	saola__db_bind_text(st, 9, now, -1);
	saola__db_bind_text(st, 10, source, -1);
	free(conflicted);
	step = saola__db_step(st);
	saola__db_reset(st);
	return step == SAOLA__DB_DONE ? SAOLA_OK : step_fail(s, step, "batch");
}
