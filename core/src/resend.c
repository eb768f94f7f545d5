/* resend.c: queueing again what a restored server lost (docs/store.md,
 * "Resend"). A server restored from a backup lacks what devices sent it
 * after the backup, and they dropped those changes from their queues when
 * it confirmed them. So a device that learns of the restore queues every
 * record it has an edit in, as the record stands, each answer at its own
 * version: merging is idempotent, so what the server still holds changes
 * nothing, and what it lost comes back. */
#include "saola_int.h"

/* One entry per record that holds an answer of this device's origin, in
 * the records' change order; its version is the record's highest of this
 * origin (only reorigin.c reads it: the wire change is made from the
 * record when it is sent, sync/src/wire.c). */
static const char resend_sql[] =
	"INSERT INTO outbox(record_id, form_id, form_version, op, changes, version, base, at)"
	" SELECT r.id, r.form_id, r.form_version, 'resend', NULL,"
	"  json_array(m.counter, ?1), NULL, ?2"
	" FROM records r JOIN (SELECT rr.id AS id,"
	"   max(json_extract(v.value, '$[0]')) AS counter"
	"   FROM records rr, json_each(rr.versions) v"
	"   WHERE json_extract(v.value, '$[1]') = ?1 GROUP BY rr.id) m ON m.id = r.id"
	" ORDER BY r.seq";

/* The entries queued before go after the resends, in their order: a
 * record the server lost must arrive whole before an edit of it. */
static const char move_sql[] =
	"INSERT INTO outbox(record_id, form_id, form_version, op, changes, version, base, at)"
	" SELECT record_id, form_id, form_version, op, changes, version, base, at"
	" FROM outbox WHERE seq <= ?1 ORDER BY seq";

static int step(saola *db, const char *sql, int64_t n, const char *now, int64_t *changes)
{
	sqlite3_stmt *st = NULL;
	int rc = SAOLA_OK;

	if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
		return saola__sql_error(db, "resend");
	if (now) {
		sqlite3_bind_text(st, 1, saola_origin(db), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_int64(st, 1, n);
	}
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = saola__sql_error(db, "resend");
	else if (changes)
		*changes = sqlite3_changes64(db->sql);
	sqlite3_finalize(st);
	return rc;
}

/* The sync client's state that names places in the queue: the batch in
 * flight ("<uuid> <last seq>") and the push bundle's ("<uuid> <first>
 * <last> <count>"); the queue's entries move, so both are forgotten (the
 * client names them in sync/src/client_int.h; core writes them here only
 * to forget them, as reorigin.c does). A push bundle already written and
 * imported later is merged like any changes; its confirmation then drops
 * nothing, and the entries go again: merging is idempotent. */
static const char forget_sql[] =
	"DELETE FROM sync_state WHERE key IN ('batch', 'bundle_batch')";

int saola__outbox_resend_all(saola *db, int64_t *queued)
{
	sqlite3_stmt *st = NULL;
	int64_t last = 0;
	char now[21];
	int rc;

	*queued = 0;
	if (sqlite3_prepare_v2(db->sql, "SELECT coalesce(max(seq), 0) FROM outbox", -1, &st,
	                       NULL) != SQLITE_OK)
		return saola__sql_error(db, "resend");
	if (sqlite3_step(st) == SQLITE_ROW)
		last = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	saola__now(now);
	if ((rc = step(db, resend_sql, 0, now, queued)) != SAOLA_OK)
		return rc;
	if (last > 0 && (rc = step(db, move_sql, last, NULL, NULL)) == SAOLA_OK)
		rc = step(db, "DELETE FROM outbox WHERE seq <= ?1", last, NULL, NULL);
	if (rc == SAOLA_OK && sqlite3_exec(db->sql, forget_sql, NULL, NULL, NULL) != SQLITE_OK)
		rc = saola__sql_error(db, "resend: sync state");
	return rc;
}
