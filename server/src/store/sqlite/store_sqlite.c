/* store_sqlite.c: the SQLite store: a core database (records, forms,
 * standards) plus the server's own tables, created by the server's own
 * migration steps keyed on the meta value 'server_schema'; transactions and
 * forms. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "server_int.h"
#include "store_sqlite.h"
#include "client_int.h" /* saola__forms_load_doc: a GET /v1/forms answer */
#include "db_sqlite.h"
#include "store_sql.h"
#include "saola_int.h" /* the store is a core database: its sqlite3 handle, clock, txn */
#include "saola_places.h"
#include "units.h"

/* Step N takes the server's tables from server_schema N-1 to N. Steps are
 * never edited once released, only added. */
static const char *const migrations[] = {
	/* 1: users, devices, batches, the conflict log, echo suppression, and
	 * indexes for pulls by area. */
	"CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	"  role TEXT NOT NULL, area TEXT NOT NULL, token_hash BLOB NOT NULL UNIQUE,"
	"  created_at TEXT NOT NULL, revoked_at TEXT);"
	"CREATE TABLE devices(origin TEXT PRIMARY KEY NOT NULL,"
	"  user_id INTEGER NOT NULL REFERENCES users(id), first_seen TEXT NOT NULL,"
	"  last_sync TEXT NOT NULL, acked INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE INDEX devices_user ON devices(user_id);"
	"CREATE TABLE batches(user_id INTEGER NOT NULL, batch TEXT NOT NULL,"
	"  device TEXT NOT NULL, digest BLOB NOT NULL, accepted INTEGER NOT NULL,"
	"  applied INTEGER NOT NULL, conflicts INTEGER NOT NULL,"
	"  conflicted TEXT NOT NULL, at TEXT NOT NULL,"
	"  PRIMARY KEY(user_id, batch)) WITHOUT ROWID;"
	"CREATE TABLE conflicts(id INTEGER PRIMARY KEY, record_id TEXT NOT NULL,"
	"  path TEXT NOT NULL, lost_value TEXT, lost_version TEXT NOT NULL,"
	"  kept_value TEXT, kept_version TEXT NOT NULL,"
	"  stored_lost INTEGER NOT NULL, device TEXT, user_id INTEGER, batch TEXT,"
	"  at TEXT NOT NULL, resolved_at TEXT, resolved_by TEXT, resolution TEXT);"
	"CREATE INDEX conflicts_record ON conflicts(record_id);"
	"CREATE TABLE record_echo(record_id TEXT PRIMARY KEY NOT NULL,"
	"  device TEXT NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX records_province_seq ON records(province, seq);"
	"CREATE INDEX records_district_seq ON records(district, seq);"
	"CREATE INDEX records_commune_seq ON records(commune, seq);",

	/* 2: consolidation: administrative units as versioned data, and the
	 * facts that reports aggregate, one row per live household record
	 * (facts.c keeps them up to date from records.seq). The units table may
	 * be there already: the core's schema step 5 makes the same one. */
	"CREATE TABLE IF NOT EXISTS units(code TEXT NOT NULL, valid_from TEXT NOT NULL,"
	"  valid_to TEXT, name TEXT NOT NULL, level TEXT NOT NULL, parent TEXT,"
	"  urban INTEGER NOT NULL DEFAULT 0, source TEXT NOT NULL,"
	"  PRIMARY KEY(code, valid_from)) WITHOUT ROWID;"
	"CREATE INDEX units_parent ON units(parent);"
	"CREATE TABLE facts(record_id TEXT PRIMARY KEY NOT NULL, year INTEGER,"
	"  province TEXT, district TEXT, commune TEXT, village TEXT,"
	"  household_id TEXT, class INTEGER NOT NULL, ind INTEGER NOT NULL,"
	"  causes INTEGER NOT NULL, support INTEGER NOT NULL, urban INTEGER);"
	"CREATE INDEX facts_year_commune ON facts(year, commune);"
	"CREATE INDEX facts_year_district ON facts(year, district);"
	"CREATE INDEX facts_household ON facts(commune, household_id, year)"
	"  WHERE household_id IS NOT NULL;",

	/* 3: conflicts keep the base the incoming edit was made over; a
	 * district's exchange with its upstream server (upstream.c): per record
	 * the sequence and the versions of the last exchange. */
	"ALTER TABLE conflicts ADD COLUMN base TEXT;"
	"CREATE INDEX conflicts_open ON conflicts(resolved_at, id);"
	"CREATE TABLE upstream_records(record_id TEXT PRIMARY KEY NOT NULL,"
	"  seq INTEGER NOT NULL, versions TEXT NOT NULL) WITHOUT ROWID;",

	/* 4: the facts' indexes as the reports read them: each holds every
	 * column its queries need, so that a report reads no table rows (a
	 * year's facts in commune order; households across years in
	 * (commune, household_id) order). */
	"DROP INDEX IF EXISTS facts_year_commune;"
	"DROP INDEX IF EXISTS facts_year_district;"
	"DROP INDEX IF EXISTS facts_household;"
	"DROP INDEX IF EXISTS facts_year;"
	"CREATE INDEX facts_year ON facts(year, commune, village, class, ind,"
	"  causes, support, district, province);"
	"CREATE INDEX facts_household ON facts(commune, household_id, year, class,"
	"  village, district, province) WHERE household_id IS NOT NULL;",

	/* 5: hardening: a token's expiry (NULL: none) and a user's permissions
	 * (space-separated words, such as "personal"); the audit log, one row
	 * per accepted change of a field or of a review state (audit.c),
	 * append-only: triggers refuse to update or delete its rows. */
	"ALTER TABLE users ADD COLUMN expires_at TEXT;"
	"ALTER TABLE users ADD COLUMN permissions TEXT NOT NULL DEFAULT '';"
	"CREATE TABLE audit(id INTEGER PRIMARY KEY, at TEXT NOT NULL,"
	"  user_id INTEGER, user_name TEXT, device TEXT, batch TEXT,"
	"  source TEXT NOT NULL, record_id TEXT NOT NULL, action TEXT NOT NULL,"
	"  path TEXT, value TEXT, version TEXT, state TEXT, detail TEXT);"
	"CREATE INDEX audit_record ON audit(record_id, id);"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",

	/* 6: devices are untrusted (docs/security.md): a device's user_id is
	 * now its owner, the user who enrolled it, which no request changes;
	 * its lineage is the last token it was given, to tell copies of one
	 * database apart (docs/protocol.md, "Lineage"); "acked" is no longer
	 * used. A batch says what carried it ("sync", "bundle"; NULL before
	 * this step), so that a pull bundle can confirm a device's bundles. */
	"ALTER TABLE devices ADD COLUMN lineage TEXT;"
	"ALTER TABLE batches ADD COLUMN source TEXT;"
	"CREATE INDEX batches_device ON batches(device, at);",

	/* 7: the batch that moved a device's lineage to its last token (NULL:
	 * a request without changes): a resend under that token must be that
	 * batch, so that a copy made while the answer was lost cannot pass its
	 * own changes for the resend (docs/protocol.md, "Copied databases"). */
	"ALTER TABLE devices ADD COLUMN lineage_batch TEXT;",

	/* 8: the reorganisation of units (units.h): each new unit's links to
	 * the old units it was formed from, wholly or in part. IF NOT EXISTS,
	 * so that the step may run again under another number after a merge. */
	"CREATE TABLE IF NOT EXISTS unit_links(new_code TEXT NOT NULL,"
	"  new_from TEXT NOT NULL, old_code TEXT NOT NULL, whole INTEGER NOT NULL,"
	"  source TEXT NOT NULL, PRIMARY KEY(new_code, new_from, old_code)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS unit_links_old ON unit_links(old_code, new_from);",

	/* 9: official figures (docs/reports.md): each fact keeps its record's
	 * review state (1 draft, 2 submitted, 3 returned, 4 approved; facts.c
	 * rebuilds them), in the facts' covering indexes; the households each
	 * commune listed in a year (the denominator of official rates), loaded
	 * by `saola-server listed load`. */
	"ALTER TABLE facts ADD COLUMN state INTEGER NOT NULL DEFAULT 1;"
	"DROP INDEX IF EXISTS facts_year;"
	"DROP INDEX IF EXISTS facts_household;"
	"CREATE INDEX facts_year ON facts(year, commune, village, state, class, ind,"
	"  causes, support, district, province);"
	"CREATE INDEX facts_household ON facts(commune, household_id, year, state, class,"
	"  village, district, province) WHERE household_id IS NOT NULL;"
	"CREATE TABLE listed(year INTEGER NOT NULL, commune TEXT NOT NULL,"
	"  households INTEGER NOT NULL, source TEXT NOT NULL, loaded_at TEXT NOT NULL,"
	"  PRIMARY KEY(year, commune)) WITHOUT ROWID;",

	/* 10: the facts' provinces in order, so that a national report finds
	 * the lowest and the highest in one step each (report_progress.c),
	 * not by reading every fact. */
	"CREATE INDEX IF NOT EXISTS facts_province ON facts(province);",
};

#define SERVER_SCHEMA_LATEST ((int64_t)(sizeof migrations / sizeof migrations[0]))

static const char *const stmt_sql[SQ_COUNT] = {
	[SQ_META_GET] = "SELECT value FROM meta WHERE key = ?1",
};

int saola__sq_fail(sq_store *s, int rc, const char *fmt, ...)
{
	va_list ap;

	/* One message per store: its connection's, once it has one. */
	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof s->errmsg, fmt, ap);
	va_end(ap);
	if (s->base.db)
		saola__db_fail(s->base.db, rc, "%s", s->errmsg);
	return rc;
}

int saola__sq_sql_fail(sq_store *s, const char *what)
{
	int code = sqlite3_errcode(s->db->sql) & 0xff;
	int rc = code == SQLITE_BUSY || code == SQLITE_LOCKED ? SAOLA_BUSY
	       : code == SQLITE_NOMEM ? SAOLA_NOMEM
	       : code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? SAOLA_CORRUPT
	       : code == SQLITE_READONLY ? SAOLA_READONLY
	       : code == SQLITE_IOERR || code == SQLITE_FULL ? SAOLA_IO
	       : SAOLA_ERROR;

	return saola__sq_fail(s, rc, "%s: %s", what, sqlite3_errmsg(s->db->sql));
}

/* Copies the core's message after a failed core call; returns rc. */
static int core_fail(sq_store *s, int rc)
{
	return saola__sq_fail(s, rc, "%s", saola_errmsg(s->db));
}

sqlite3_stmt *saola__sq_stmt(sq_store *s, sq_stmt_id id)
{
	sqlite3_stmt *st = s->stmt[id];

	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return st;
	}
	if (sqlite3_prepare_v3(s->db->sql, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
	                       &st, NULL) != SQLITE_OK) {
		saola__sq_sql_fail(s, "store: prepare");
		return NULL;
	}
	s->stmt[id] = st;
	return st;
}

static int meta_int(sq_store *s, const char *key, int64_t *out)
{
	sqlite3_stmt *st = saola__sq_stmt(s, SQ_META_GET);
	int step;

	*out = 0;
	if (!st)
		return SAOLA_ERROR;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return saola__sq_sql_fail(s, "store: meta");
	return SAOLA_OK;
}

static int meta_set_int(sq_store *s, const char *key, int64_t value)
{
	if (saola__meta_set_int(s->db, key, value) != SAOLA_OK)
		return core_fail(s, saola_errcode(s->db));
	return SAOLA_OK;
}

/* Forgets compiled forms when another connection (or process) has loaded
 * forms since this one compiled them. */
static int forms_check(sq_store *s)
{
	int64_t gen;
	int rc = meta_int(s, "server_forms_gen", &gen);

	if (rc == SAOLA_OK && gen != s->forms_gen) {
		saola__forms_forget(s->db);
		s->forms_gen = gen;
	}
	return rc;
}

/* Sets how hard commits flush: FULL (a confirmed batch survives a power
 * cut) or, for writes that may be lost, NORMAL (no flush in WAL mode). */
static void set_durable(sq_store *s, int durable)
{
	sqlite3_exec(s->db->sql, durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
	             NULL, NULL, NULL);
	s->relaxed = !durable;
}

static int sq_write_begin(saola__store *base, int durable)
{
	sq_store *s = (sq_store *)base;
	int rc;

	if (s->txn)
		return saola__sq_fail(s, SAOLA_MISUSE, "store: a transaction is already open");
	if (!durable)
		set_durable(s, 0);
	if ((rc = saola_begin(s->db)) != SAOLA_OK) {
		if (s->relaxed)
			set_durable(s, 1);
		return core_fail(s, rc);
	}
	s->txn = 1;
	/* The handle caches the Lamport clock, which also numbers the change
	 * sequence; another connection may have moved it since. */
	if ((rc = saola__meta_get_int(s->db, "clock", &s->db->clock)) != SAOLA_OK)
		rc = core_fail(s, rc);
	if (rc == SAOLA_OK)
		rc = forms_check(s);
	if (rc != SAOLA_OK) {
		saola_rollback(s->db);
		s->txn = 0;
		if (s->relaxed)
			set_durable(s, 1);
	}
	return rc;
}

static int sq_read_begin(saola__store *base)
{
	sq_store *s = (sq_store *)base;
	int rc;

	if (s->txn)
		return saola__sq_fail(s, SAOLA_MISUSE, "store: a transaction is already open");
	if (sqlite3_exec(s->db->sql, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return saola__sq_sql_fail(s, "store: begin");
	s->txn = 2;
	/* The first read starts the snapshot that the whole pull sees. */
	if ((rc = forms_check(s)) != SAOLA_OK) {
		sqlite3_exec(s->db->sql, "ROLLBACK", NULL, NULL, NULL);
		s->txn = 0;
	}
	return rc;
}

static int sq_end(saola__store *base, int ok)
{
	sq_store *s = (sq_store *)base;
	int txn = s->txn, rc = SAOLA_OK;

	s->txn = 0;
	if (txn == 1) {
		/* The commit is made here rather than by saola_commit, so that
		 * SQLite's own message ("database or disk is full") is read
		 * before the rollback clears it. */
		if (ok && sqlite3_exec(s->db->sql, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) {
			s->db->in_txn = 0;
		} else if (ok) {
			rc = saola__sq_sql_fail(s, "commit");
			saola_rollback(s->db);
		} else {
			saola_rollback(s->db);
		}
		if (s->relaxed)
			set_durable(s, 1);
	} else if (txn == 2) {
		sqlite3_exec(s->db->sql, ok ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	}
	return rc;
}

int saola__sq_forms_changed(sq_store *s)
{
	int64_t gen = 0;
	int rc;

	if (s->txn != 1)
		return saola__sq_fail(s, SAOLA_MISUSE, "forms: no write transaction is open");
	if ((rc = meta_int(s, "server_forms_gen", &gen)) == SAOLA_OK)
		rc = meta_set_int(s, "server_forms_gen", gen + 1);
	saola__forms_forget(s->db);
	return rc;
}

/* Loads a schemas folder and bumps the forms generation in the same
 * transaction, so that every connection recompiles its forms. */
static int sq_forms_load(saola__store *base, const char *dir, int *count)
{
	sq_store *s = (sq_store *)base;
	int64_t gen = 0;
	int rc, own = !s->txn;

	if (own && (rc = sq_write_begin(base, 1)) != SAOLA_OK)
		return rc;
	s->db->forms_strict = base->forms_strict;
	if ((rc = saola_forms_load_dir(s->db, dir, count)) != SAOLA_OK)
		rc = core_fail(s, rc);
	s->db->forms_strict = 0;
	/* The core loaded the units for its checks; the server's loader loads
	 * them again with their links to the old units (formed_from). */
	if (rc == SAOLA_OK && saola__units_load_dir(s->base.db, dir, NULL, s->errmsg,
	                                            sizeof s->errmsg) != 0)
		rc = saola__sq_fail(s, SAOLA_INVALID, "%s", s->errmsg);
	if (rc == SAOLA_OK && (rc = meta_int(s, "server_forms_gen", &gen)) == SAOLA_OK)
		rc = meta_set_int(s, "server_forms_gen", gen + 1);
	if (own) {
		int end = sq_end(base, rc == SAOLA_OK);
		if (rc == SAOLA_OK)
			rc = end;
	}
	saola__forms_forget(s->db);
	return rc;
}

/* Loads a GET /v1/forms answer (an upstream server's) inside the
 * caller's write transaction, and bumps the forms generation. */
static int sq_forms_load_doc(saola__store *base, const json_t *doc, int *count)
{
	sq_store *s = (sq_store *)base;
	int rc;

	s->db->forms_strict = base->forms_strict;
	rc = saola__forms_load_doc(s->db, doc, count);
	s->db->forms_strict = 0;
	if (rc != SAOLA_OK)
		return core_fail(s, rc);
	return saola__sq_forms_changed(s);
}

static int sq_forms_current(saola__store *base, json_t **out)
{
	return saola__forms_current(base, out);
}

static int sq_forms_all(saola__store *base, json_t **out)
{
	return saola__forms_all(base, ((sq_store *)base)->db, out);
}

static const char *sq_errmsg(const saola__store *base)
{
	const sq_store *s = (const sq_store *)base;

	return s->base.db ? saola__db_errmsg(s->base.db) : s->errmsg;
}

static const char *sq_origin(saola__store *base)
{
	return saola_origin(((sq_store *)base)->db);
}

static void sq_close(saola__store *base)
{
	sq_store *s = (sq_store *)base;
	int i;

	if (!s)
		return;
	if (s->txn)
		sq_end(base, 0);
	for (i = 0; i < SQ_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	saola__store_stmts_free(&s->base);
	saola__db_close(s->base.db);
	saola_close(s->db);
	free(s);
}

static const saola__store_ops sq_ops = {
	.name = "sqlite",
	.close = sq_close,
	.errmsg = sq_errmsg,
	.write_begin = sq_write_begin,
	.read_begin = sq_read_begin,
	.end = sq_end,
	.forms_load = sq_forms_load,
	.forms_load_doc = sq_forms_load_doc,
	.forms_current = sq_forms_current,
	.forms_all = sq_forms_all,
	SAOLA__STORE_SHARED_OPS,
	.origin = sq_origin,
	.pull = saola__sq_pull,
};

/* Brings the server's tables up to date, one step per transaction; the
 * version is read again inside the transaction, so that two processes
 * opening a new database at once do not both run a step. Sets *fresh when
 * the first step ran here. */
static int migrate(sq_store *s, int *fresh)
{
	int64_t v;
	int rc;

	*fresh = 0;
	for (;;) {
		if ((rc = meta_int(s, "server_schema", &v)) != SAOLA_OK)
			return rc;
		if (v > SERVER_SCHEMA_LATEST)
			return saola__sq_fail(s, SAOLA_TOONEW,
			        "the database was made by a newer saola-server (server schema %lld;"
			        " this build knows up to %lld): update saola-server",
			        (long long)v, (long long)SERVER_SCHEMA_LATEST);
		if (v == SERVER_SCHEMA_LATEST)
			return SAOLA_OK;
		if ((rc = saola_begin(s->db)) != SAOLA_OK)
			return core_fail(s, rc);
		rc = meta_int(s, "server_schema", &v);
		if (rc == SAOLA_OK && v < SERVER_SCHEMA_LATEST) {
			if (sqlite3_exec(s->db->sql, migrations[v], NULL, NULL, NULL) != SQLITE_OK)
				rc = saola__sq_sql_fail(s, "server schema upgrade");
			if (rc == SAOLA_OK)
				rc = meta_set_int(s, "server_schema", v + 1);
			if (rc == SAOLA_OK && v == 0)
				*fresh = 1;
		}
		if (rc != SAOLA_OK) {
			saola_rollback(s->db);
			return rc;
		}
		if ((rc = saola_commit(s->db)) != SAOLA_OK)
			return core_fail(s, rc);
	}
}

static int forms_count(sq_store *s, int64_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc = SAOLA_OK;

	*n = 0;
	if (sqlite3_prepare_v2(s->db->sql, "SELECT count(*) FROM forms", -1, &st, NULL) ||
	    sqlite3_step(st) != SQLITE_ROW)
		rc = saola__sq_sql_fail(s, "forms");
	else
		*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

/* Refuses a database the server could only read: every sync writes, so a
 * server on it would start and then fail every request. The file and its
 * folder (where SQLite makes the -wal and -shm files) must be writable;
 * access() also says so for a read-only mount. */
static int check_writable(const char *path, char *err, size_t errlen)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');

	if (access(path, W_OK) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "database %s is read-only (%s): saola-server writes to its"
		         " database; make the file writable for this user, or copy it somewhere"
		         " writable", path, strerror(errno));
		return SAOLA_READONLY;
	}
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else
		snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (access(dir, W_OK) != 0) {
		snprintf(err, errlen, "database %s: its folder %s is read-only (%s): SQLite keeps"
		         " the database's -wal and -shm files beside it; make the folder writable"
		         " for this user", path, dir, strerror(errno));
		return SAOLA_READONLY;
	}
	return SAOLA_OK;
}

int saola__store_sqlite_open(const char *path, const char *schemas, int create,
                             saola__store **out, char *err, size_t errlen)
{
	sq_store *s;
	struct stat sb;
	int64_t nforms;
	int rc, fresh = 0;

	*out = NULL;
	if (!path || !*path) {
		snprintf(err, errlen, "no database path (--db PATH)");
		return SAOLA_MISUSE;
	}
	if (!create && stat(path, &sb) != 0) {
		snprintf(err, errlen, "database %s: no such file (create it with 'saola-server"
		         " serve' or 'saola-server user add')", path);
		return SAOLA_NOTFOUND;
	}
	if ((rc = check_writable(path, err, errlen)) != SAOLA_OK)
		return rc;
	if (!(s = calloc(1, sizeof *s))) {
		snprintf(err, errlen, "out of memory");
		return SAOLA_NOMEM;
	}
	s->base.ops = &sq_ops;
	if ((rc = saola_open(path, SAOLA_OPEN_CREATE | SAOLA_OPEN_SERVER, &s->db)) != SAOLA_OK) {
		snprintf(err, errlen, "database: %s", s->db ? saola_errmsg(s->db) : "out of memory");
		goto fail;
	}
	if (!(s->base.db = saola__db_sqlite_wrap(s->db->sql))) {
		snprintf(err, errlen, "out of memory");
		rc = SAOLA_NOMEM;
		goto fail;
	}
	/* SQLite opens a file it may not write read-only, without a word. */
	if (sqlite3_db_readonly(s->db->sql, "main") == 1) {
		snprintf(err, errlen, "database %s is read-only: saola-server writes to its"
		         " database; make it writable for this user", path);
		rc = SAOLA_READONLY;
		goto fail;
	}
	/* A big page cache, so that a batch of thousands of households does not
	 * spill pages to the WAL before it commits. */
	sqlite3_exec(s->db->sql, "PRAGMA cache_size = -32768", NULL, NULL, NULL);
	if ((rc = migrate(s, &fresh)) != SAOLA_OK ||
	    (rc = forms_count(s, &nforms)) != SAOLA_OK) {
		snprintf(err, errlen, "database %s: %s", path, sq_errmsg(&s->base));
		goto fail;
	}
	if (fresh && nforms == 0) {
		const char *dir = saola__schemas_dir(schemas);
		if ((rc = sq_forms_load(&s->base, dir, NULL)) != SAOLA_OK) {
			snprintf(err, errlen, "database %s: loading forms from %s: %s", path, dir,
			         sq_errmsg(&s->base));
			goto fail;
		}
	}
	if ((rc = meta_int(s, "server_forms_gen", &s->forms_gen)) != SAOLA_OK) {
		snprintf(err, errlen, "database %s: %s", path, sq_errmsg(&s->base));
		goto fail;
	}
	/* Administrative units, for a new database or one made before them. */
	if (saola__units_ensure(s->base.db, saola__schemas_dir(schemas), s->errmsg,
	                        sizeof s->errmsg) != 0) {
		snprintf(err, errlen, "database %s: %s", path, s->errmsg);
		rc = SAOLA_ERROR;
		goto fail;
	}
	*out = &s->base;
	return SAOLA_OK;
fail:
	sq_close(&s->base);
	return rc;
}

void saola__store_close(saola__store *s)
{
	if (s)
		s->ops->close(s);
}

void saola__units_set(saola__units *u, const char *province, const char *district,
                      const char *commune)
{
	const char *src[3] = {province, district, commune};
	char *dst[3] = {u->province, u->district, u->commune};
	int i;

	u->bad = 0;
	for (i = 0; i < 3; i++) {
		size_t n = src[i] ? strlen(src[i]) : 0;
		if (n > SAOLA__AREA_MAX) {
			u->bad = 1;
			n = SAOLA__AREA_MAX;
		}
		memcpy(dst[i], src[i] ? src[i] : "", n);
		dst[i][n] = '\0';
	}
}
