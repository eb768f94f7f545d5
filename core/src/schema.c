/* schema.c: the device database's schema and its migrations, keyed on
 * PRAGMA user_version, so that a database an older build made opens in a
 * newer one. Each step runs in its own transaction; steps are never edited
 * once released, only added. */
#include <string.h>

#include "saola_int.h"
#include "schema.h"

/* Step N takes a database from user_version N-1 to N. */
static const char *const migrations[] = {
	/* 1: the first release: records, outbox, forms, sync state. */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
	"CREATE TABLE forms(id TEXT NOT NULL, version TEXT NOT NULL,"
	"  definition TEXT NOT NULL, loaded_at TEXT NOT NULL,"
	"  current INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(id, version));"
	"CREATE TABLE records(id TEXT PRIMARY KEY NOT NULL,"
	"  form_id TEXT NOT NULL, form_version TEXT NOT NULL,"
	"  data TEXT NOT NULL, versions TEXT NOT NULL,"
	"  deleted INTEGER NOT NULL DEFAULT 0,"
	"  province TEXT, district TEXT, commune TEXT,"
	"  created_at TEXT NOT NULL, created_by TEXT,"
	"  updated_at TEXT NOT NULL, updated_by TEXT, origin TEXT NOT NULL);"
	"CREATE TABLE outbox(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  record_id TEXT NOT NULL, form_id TEXT NOT NULL,"
	"  form_version TEXT NOT NULL, op TEXT NOT NULL, changes TEXT,"
	"  version TEXT NOT NULL, base TEXT, at TEXT NOT NULL);"
	"CREATE TABLE sync_state(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;",

	/* 2: review states, standards for the form engine, area indexes. */
	"ALTER TABLE records ADD COLUMN state TEXT NOT NULL DEFAULT 'draft';"
	"ALTER TABLE records ADD COLUMN state_comment TEXT;"
	"CREATE INDEX records_form ON records(form_id);"
	"CREATE INDEX records_area ON records(province, district, commune);"
	"CREATE INDEX outbox_record ON outbox(record_id);"
	"CREATE TABLE standards(id TEXT PRIMARY KEY NOT NULL,"
	"  family TEXT NOT NULL, valid_from INTEGER NOT NULL,"
	"  valid_to INTEGER NOT NULL, definition TEXT NOT NULL,"
	"  loaded_at TEXT NOT NULL);",

	/* 3: a change sequence over records, for incremental pulls: each
	 * stored change takes the Lamport counter it ticked. */
	"ALTER TABLE records ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;"
	"UPDATE records SET seq = rowid + coalesce("
	"  (SELECT value FROM meta WHERE key = 'clock'), 0);"
	"INSERT OR REPLACE INTO meta(key, value) SELECT 'clock', max("
	"  coalesce((SELECT max(seq) FROM records), 0),"
	"  coalesce((SELECT value FROM meta WHERE key = 'clock'), 0));"
	"CREATE INDEX records_seq ON records(seq);",

	/* 4: what a merge left wrong (a required answer missing, a constraint
	 * failing) in a record whose edits were each valid where they were
	 * made; NULL when the record passes its form. */
	"ALTER TABLE records ADD COLUMN issues TEXT;",

	/* 5: administrative units (schemas/units), versioned by valid_from, so
	 * that a device checks places offline. A server's database has the same
	 * table already (its step 2, same columns): kept as it is. */
	"CREATE TABLE IF NOT EXISTS units(code TEXT NOT NULL, valid_from TEXT NOT NULL,"
	"  valid_to TEXT, name TEXT NOT NULL, level TEXT NOT NULL, parent TEXT,"
	"  urban INTEGER NOT NULL DEFAULT 0, source TEXT NOT NULL,"
	"  PRIMARY KEY(code, valid_from)) WITHOUT ROWID;",

	/* 6: drafts of interviews not finished (saola/form.h), kept on the
	 * device only: never queued, never synced. */
	"CREATE TABLE drafts(id TEXT PRIMARY KEY NOT NULL, form_id TEXT NOT NULL,"
	"  form_version TEXT NOT NULL, record_id TEXT, lang TEXT NOT NULL,"
	"  answers TEXT NOT NULL, original TEXT, at_field INTEGER NOT NULL DEFAULT 0,"
	"  at_item INTEGER NOT NULL DEFAULT 0, title TEXT NOT NULL DEFAULT '',"
	"  updated_at TEXT NOT NULL);",
};

#define SCHEMA_LATEST ((int)(sizeof migrations / sizeof migrations[0]))

int saola__schema_latest(void)
{
	return SCHEMA_LATEST;
}

const char *saola__schema_step(int version)
{
	if (version < 1 || version > SCHEMA_LATEST)
		return NULL;
	return migrations[version - 1];
}

static int user_version(saola *db, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = 0;
	if (sqlite3_prepare_v2(db->sql, "PRAGMA user_version", -1, &st, NULL))
		return saola__sql_error(db, "open: reading schema version");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return saola__sql_error(db, "open: reading schema version");
	return SAOLA_OK;
}

/* 1 when the file has tables (it is some SQLite database), else 0. */
static int has_tables(saola *db)
{
	sqlite3_stmt *st = NULL;
	int n = 0;

	if (sqlite3_prepare_v2(db->sql, "SELECT count(*) FROM sqlite_master",
	                       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n > 0;
}

static int is_saola(saola *db)
{
	sqlite3_stmt *st = NULL;
	int ok = 0;

	if (sqlite3_prepare_v2(db->sql,
	                       "SELECT value FROM meta WHERE key = 'app'", -1,
	                       &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		ok = v && strcmp(v, "saola") == 0;
	}
	sqlite3_finalize(st);
	return ok;
}

int saola__schema_upgrade(saola *db, int target)
{
	int v, rc;
	char sql[64];

	if ((rc = user_version(db, &v)) != SAOLA_OK)
		return rc;
	if (v == 0 && has_tables(db))
		return saola__error(db, SAOLA_CORRUPT,
		                    "open: not a saola database (it has other tables)");
	if (v > 0 && !is_saola(db))
		return saola__error(db, SAOLA_CORRUPT, "open: not a saola database");
	if (v > SCHEMA_LATEST)
		return saola__error(db, SAOLA_TOONEW,
		                    "open: the database was made by a newer saola (schema %d; "
		                    "this build knows up to %d): update saola", v, SCHEMA_LATEST);
	if (target <= 0 || target > SCHEMA_LATEST)
		target = SCHEMA_LATEST;
	if (v < target && db->readonly)
		return saola__error(db, SAOLA_READONLY,
		                    "open: the database has schema %d and needs upgrading to %d: "
		                    "open it writable once", v, target);
	while (v < target) {
		if (sqlite3_exec(db->sql, "BEGIN IMMEDIATE", NULL, NULL, NULL))
			return saola__sql_error(db, "open: upgrade");
		if (sqlite3_exec(db->sql, migrations[v], NULL, NULL, NULL))
			goto fail;
		if (v == 0 && sqlite3_exec(db->sql,
		        "INSERT INTO meta(key, value) VALUES ('app', 'saola')",
		        NULL, NULL, NULL))
			goto fail;
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(db->sql, sql, NULL, NULL, NULL))
			goto fail;
		if (sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL))
			goto fail;
		v++;
	}
	db->schema_version = v;
	return SAOLA_OK;
fail:
	rc = saola__sql_error(db, "open: upgrade");
	sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}
