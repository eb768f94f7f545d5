/* doctor_db.c: saola-server doctor's checks of the database (doctor.h):
 * it opens, is whole, has the schema this build expects, and holds users
 * and forms in working order. Nothing is written: a SQLite file is opened
 * read-only, and the store (which would create and upgrade) is not used. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor.h"
#include "db_pg.h"
#include "db_sqlite.h"
#include "schema_pg.h"
#include "server_int.h"
#include "store.h"

#define DR_TOKEN_DAYS 30  /* a token's renewal is said this early */

/* The schema versions of a database: core's (PRAGMA user_version; none
 * on PostgreSQL) and the server's tables' (meta 'server_schema'). */
typedef struct dr_schema {
	int64_t core, server;
} dr_schema;

/* A URI that opens the SQLite file at path read-only. When no -wal file
 * is beside it no server has it open, and it is opened immutable: SQLite
 * then makes no -wal or -shm file, which a doctor run as root would leave
 * behind owned by root, where the server could not open them. */
static void sqlite_uri(const char *path, char *out, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char wal[SAOLA__DR_PATH_MAX + 8];
	size_t k = (size_t)snprintf(out, n, "file:");
	const unsigned char *p;

	for (p = (const unsigned char *)path; *p && k + 4 < n; p++) {
		if (*p == '%' || *p == '?' || *p == '#' || *p <= ' ' || *p >= 0x7f) {
			out[k++] = '%';
			out[k++] = hex[*p >> 4];
			out[k++] = hex[*p & 15];
		} else {
			out[k++] = (char)*p;
		}
	}
	out[k] = '\0';
	snprintf(wal, sizeof wal, "%s-wal", path);
	snprintf(out + k, n - k, access(wal, F_OK) == 0 ? "?mode=ro" : "?mode=ro&immutable=1");
}

/* Opens the SQLite file d->db read-only into d->sql. SQLite opens a file
 * lazily: a first read says whether it is a database at all. */
static int open_sqlite(saola__doctor *d, char *err, size_t n)
{
	char uri[3 * SAOLA__DR_PATH_MAX];
	sqlite3_stmt *st = NULL;
	int src;

	sqlite_uri(d->db, uri, sizeof uri);
	src = sqlite3_open_v2(uri, &d->sql, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	if (src == SQLITE_OK)
		src = sqlite3_prepare_v2(d->sql, "SELECT count(*) FROM sqlite_schema", -1, &st,
		                         NULL);
	if (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW)
		src = SQLITE_OK;
	if (src != SQLITE_OK)
		snprintf(err, n, "%s", d->sql ? sqlite3_errmsg(d->sql) : "out of memory");
	sqlite3_finalize(st);
	if (src == SQLITE_OK && !(d->conn = saola__db_sqlite_wrap(d->sql))) {
		snprintf(err, n, "out of memory");
		src = SQLITE_NOMEM;
	}
	return src == SQLITE_OK ? 0 : -1;
}

/* Connects to the PostgreSQL database d->db into d->conn, its
 * transactions read-only: what doctor runs cannot write by mistake. -1
 * with err. */
static int open_pg(saola__doctor *d, char *err, size_t n)
{
	if (saola__db_pg_open(d->db, &d->conn, err, n) != SAOLA_OK)
		return -1;
	if (saola__db_exec(d->conn, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY") !=
	    SAOLA_OK) {
		snprintf(err, n, "%s", saola__db_errmsg(d->conn));
		saola__db_close(d->conn);
		d->conn = NULL;
		return -1;
	}
	return 0;
}

void saola__dr_check_database(saola__doctor *d)
{
	char err[SAOLA__ERR_MAX], size[32];
	struct stat sb;

	if (d->pg) {
		if (open_pg(d, err, sizeof err) != 0)
			saola__dr_report(d, SAOLA__DR_FAIL, "database", "cannot connect to"
			                 " PostgreSQL: %s: check that it runs and that the URI's"
			                 " user, password and database are right", err);
		else
			saola__dr_report(d, SAOLA__DR_OK, "database", "connected to PostgreSQL");
		return;
	}
	if (stat(d->db, &sb) != 0) {
		saola__dr_report(d, SAOLA__DR_FAIL, "database", "no database at %s (%s): give the"
		                 " path the server runs with (SAOLA_DB in " SAOLA__DR_CONFIG ");"
		                 " doctor never creates one", d->db, strerror(errno));
		return;
	}
	if (!S_ISREG(sb.st_mode)) {
		saola__dr_report(d, SAOLA__DR_FAIL, "database", "%s is not a file: give the"
		                 " database file's path", d->db);
		return;
	}
	if (open_sqlite(d, err, sizeof err) != 0) {
		saola__dr_report(d, SAOLA__DR_FAIL, "database", "%s does not open as a SQLite"
		                 " database: %s: restore the newest backup (saola-server"
		                 " restore --from FILE --db NEW)", d->db, err);
		return;
	}
	saola__dr_report(d, SAOLA__DR_OK, "database", "%s opened read-only (%s, SQLite)", d->db,
	                 saola__dr_size((double)sb.st_size, size));
}

/* Counts the faults of one row of PRAGMA integrity_check (lines; those
 * that name the database, "*** in database main ***", are not faults) and
 * keeps the first in first. */
static int integrity_faults(const char *row, char first[512])
{
	const char *line, *end;
	int n = 0;

	for (line = row; line && *line; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		if (end == line || strncmp(line, "*** ", 4) == 0 || strncmp(line, "ok", 2) == 0)
			continue;
		if (!n++ && !*first)
			snprintf(first, 512, "%.*s", (int)(end - line), line);
	}
	return n;
}

/* PRAGMA integrity_check reads every page of the database: its time grows
 * with the database (a minute or so for some GiB), as an operator's
 * command may. It stops at 10 faults. */
void saola__dr_check_integrity(saola__doctor *d)
{
	sqlite3_stmt *st = NULL;
	char first[512] = "";
	int src, faults = 0;

	if (d->pg) {
		saola__dr_report(d, SAOLA__DR_OK, "integrity", "PostgreSQL: not checked here; the"
		                 " database server checks its own pages (for a deeper check,"
		                 " pg_amcheck)");
		return;
	}
	src = sqlite3_prepare_v2(d->sql, "PRAGMA integrity_check(10)", -1, &st, NULL);
	while (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
		faults += integrity_faults((const char *)sqlite3_column_text(st, 0), first);
		src = SQLITE_OK;
	}
	if (src != SQLITE_DONE && !faults++)
		snprintf(first, sizeof first, "%s", sqlite3_errmsg(d->sql));
	sqlite3_finalize(st);
	if (!faults) {
		saola__dr_report(d, SAOLA__DR_OK, "integrity", "PRAGMA integrity_check found no"
		                 " fault (it reads the whole database)");
		return;
	}
	saola__dr_report(d, SAOLA__DR_FAIL, "integrity", "the database is damaged (PRAGMA"
	                 " integrity_check: %s%s): stop saola-server, keep a copy of the file,"
	                 " and restore the newest backup (saola-server restore --from FILE"
	                 " --db NEW)", first, faults > 1 ? ", and more faults" : "");
}

/* One integer that sql gives in its first row (0 for no row) into *out.
 * A SQLite code: SQLITE_OK, or the failure (message on db). */
static int sqlite_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int src;

	*out = 0;
	if ((src = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) == SQLITE_OK &&
	    (src = sqlite3_step(st)) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return src == SQLITE_ROW || src == SQLITE_DONE ? SQLITE_OK : src;
}

/* The schema versions of the SQLite database sql. -1 with err when they
 * cannot be read; a database without the server's tables (no meta table,
 * or no server_schema in it) has server 0. */
static int sqlite_schema(sqlite3 *sql, dr_schema *v, char *err, size_t n)
{
	int64_t meta = 0;
	int src;

	v->core = v->server = 0;
	if ((src = sqlite_int(sql, "PRAGMA user_version", &v->core)) == SQLITE_OK &&
	    (src = sqlite_int(sql, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
	                      " AND name = 'meta'", &meta)) == SQLITE_OK && meta)
		src = sqlite_int(sql, "SELECT value FROM meta WHERE key = 'server_schema'",
		                 &v->server);
	if (src != SQLITE_OK) {
		snprintf(err, n, "%s", sqlite3_errmsg(sql));
		return -1;
	}
	return 0;
}

/* The schema versions this build's SQLite store writes, read from a new
 * database that it makes in a folder of its own under $TMPDIR: the store
 * keeps its latest version to itself (store_sqlite.c), and what it makes
 * is the truth. -1 with err. */
static int sqlite_schema_expected(dr_schema *v, char *err, size_t n)
{
	const char *tmp = getenv("TMPDIR");
	char dir[SAOLA__DR_PATH_MAX], path[SAOLA__DR_PATH_MAX + 32];
	saola__store *s = NULL;
	sqlite3 *sql = NULL;
	int rc = -1;

	snprintf(dir, sizeof dir, "%s/saola-doctor-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		snprintf(err, n, "cannot make a folder in %s: %s", tmp && *tmp ? tmp : "/tmp",
		         strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "%s/scratch.db", dir);
	if (saola__store_sqlite_open(path, NULL, 1, &s, err, n) == SAOLA_OK) {
		saola__store_close(s);
		if (sqlite3_open_v2(path, &sql, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
			snprintf(err, n, "%s", sql ? sqlite3_errmsg(sql) : "out of memory");
		else
			rc = sqlite_schema(sql, v, err, n);
	}
	sqlite3_close(sql);
	unlink(path);
	snprintf(path, sizeof path, "%s/scratch.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/scratch.db-shm", dir);
	unlink(path);
	rmdir(dir);
	return rc;
}

/* Whether table is missing from the PostgreSQL database, into *missing.
 * A saola code. */
static int pg_missing(saola__doctor *d, const char *table, int *missing)
{
	saola__dbstmt *st = NULL;
	int rc, step;

	if ((rc = saola__db_prepare(d->conn, "SELECT to_regclass(?) IS NULL", &st)) == SAOLA_OK &&
	    (rc = saola__db_bind_text(st, 1, table, -1)) == SAOLA_OK) {
		step = saola__db_step(st);
		*missing = step == SAOLA__DB_ROW && saola__db_column_int(st, 0) != 0;
		rc = step == SAOLA__DB_ROW ? SAOLA_OK : step;
	}
	saola__db_finalize(st);
	return rc;
}

/* The PostgreSQL database's server schema (0: none), and the first of the
 * server's main tables that is missing (""). -1 with err. */
static int pg_schema(saola__doctor *d, dr_schema *v, char missing[32], char *err, size_t n)
{
	static const char *const tables[] = {"meta", "users", "devices", "forms", "records",
		"batches", "conflicts", "audit", "facts", "units", NULL};
	saola__dbstmt *st = NULL;
	int i, gone = 0, rc = SAOLA_OK, step;

	v->core = v->server = 0;
	*missing = '\0';
	for (i = 0; tables[i] && !gone && rc == SAOLA_OK; i++)
		if ((rc = pg_missing(d, tables[i], &gone)) == SAOLA_OK && gone)
			snprintf(missing, 32, "%s", tables[i]);
	if (rc == SAOLA_OK && strcmp(missing, "meta") != 0 &&
	    (rc = saola__db_prepare(d->conn, "SELECT value FROM meta WHERE key = 'server_schema'",
	                            &st)) == SAOLA_OK) {
		if ((step = saola__db_step(st)) == SAOLA__DB_ROW)
			v->server = strtoll(saola__db_column_text(st, 0), NULL, 10);
		else if (step != SAOLA__DB_DONE)
			rc = step;
	}
	saola__db_finalize(st);
	if (rc != SAOLA_OK) {
		snprintf(err, n, "%s", saola__db_errmsg(d->conn));
		return -1;
	}
	return 0;
}

/* The versions as words: "core schema 6, server schema 10". */
static const char *schema_text(const saola__doctor *d, const dr_schema *v, char buf[64])
{
	if (d->pg)
		snprintf(buf, 64, "server schema %lld", (long long)v->server);
	else
		snprintf(buf, 64, "core schema %lld, server schema %lld", (long long)v->core,
		         (long long)v->server);
	return buf;
}

/* Compares the database's versions with this build's. */
static void judge_schema(saola__doctor *d, const dr_schema *have, const dr_schema *want)
{
	char h[64], w[64];

	schema_text(d, have, h);
	schema_text(d, want, w);
	if (have->core > want->core || have->server > want->server) {
		saola__dr_report(d, SAOLA__DR_FAIL, "schema", "the database's %s was written by a"
		                 " newer saola-server (this one expects %s) and will not open"
		                 " here: run the newer saola-server, or restore a backup made"
		                 " before it", h, w);
	} else if (have->core < want->core || have->server < want->server) {
		saola__dr_report(d, SAOLA__DR_WARN, "schema", "the database's %s, this"
		                 " saola-server expects %s: it upgrades the database when it"
		                 " opens it: back it up, then restart saola-server (systemctl"
		                 " restart saola-server)", h, w);
	} else {
		saola__dr_report(d, SAOLA__DR_OK, "schema", "%s, as this saola-server expects",
		                 h);
	}
	d->readable = have->core <= want->core && have->server <= want->server;
}

void saola__dr_check_schema(saola__doctor *d)
{
	char err[SAOLA__ERR_MAX], missing[32] = "", text[64];
	dr_schema have, want;

	if (d->pg ? pg_schema(d, &have, missing, err, sizeof err) != 0
	          : sqlite_schema(d->sql, &have, err, sizeof err) != 0) {
		saola__dr_report(d, SAOLA__DR_FAIL, "schema", "cannot read the schema's version:"
		                 " %s", err);
		return;
	}
	if (have.server == 0) {
		saola__dr_report(d, SAOLA__DR_FAIL, "schema", "%s is not a saola-server database"
		                 " (%s): give the server's --db", d->shown, d->pg ? "no server"
		                 " schema: an empty database?" : "no server schema: a device's"
		                 " database?");
		return;
	}
	if (*missing) {
		saola__dr_report(d, SAOLA__DR_FAIL, "schema", "the server's table %s is missing"
		                 " (server schema %lld): the database is incomplete or damaged:"
		                 " restore the newest pg_dump", missing, (long long)have.server);
		return;
	}
	want.core = 0;
	want.server = saola__pg_schema_latest();
	if (!d->pg && sqlite_schema_expected(&want, err, sizeof err) != 0) {
		saola__dr_report(d, SAOLA__DR_WARN, "schema", "the database's %s; which this"
		                 " saola-server expects is unknown (a new database to compare:"
		                 " %s)", schema_text(d, &have, text), err);
		d->readable = 1;
		return;
	}
	judge_schema(d, &have, &want);
}

/* What the users check gathers, one row at a time. */
typedef struct dr_users {
	saola__dr_names soon, expired, revoked;
	char one_revoked[SAOLA__NAME_MAX + 1], one_expired[SAOLA__NAME_MAX + 1];
	int64_t one_devices;
	int total, admins;
} dr_users;

static void user_row(saola__doctor *d, dr_users *u, saola__dbstmt *st, const char *soon)
{
	const char *name = saola__db_column_text(st, 0), *role = saola__db_column_text(st, 1);
	const char *revoked = saola__db_column_text(st, 2);
	const char *expires = saola__db_column_text(st, 3);
	int64_t devices = saola__db_column_int(st, 4);
	int expired = expires && *expires && strcmp(expires, d->now_s) <= 0;

	u->total++;
	if (revoked && devices) {
		snprintf(u->one_revoked, sizeof u->one_revoked, "%s", name);
		u->one_devices = devices;
		saola__dr_names_add(&u->revoked, "%s (%lld)", name, (long long)devices);
	} else if (!revoked && expired && devices) {
		snprintf(u->one_expired, sizeof u->one_expired, "%s", name);
		saola__dr_names_add(&u->expired, "%s (%lld device%s, expired %s)", name,
		                    (long long)devices, devices == 1 ? "" : "s", expires);
	} else if (!revoked && !expired && expires && *expires && strcmp(expires, soon) <= 0) {
		saola__dr_names_add(&u->soon, "%s (%s)", name, expires);
	}
	if (!revoked && !expired && strcmp(role, "admin") == 0)
		u->admins++;
}

/* What a device of a revoked user holds: its origin is bound to that user
 * (docs/security.md, "Devices are untrusted"), whose token is refused, and
 * so is a bundle imported as that user. */
#define DR_REVOKED_ADVICE "what it had not synced cannot reach the server (a revoked" \
	" token is refused, and so is a bundle imported as its user; no other user may" \
	" send for its device): if a device is in hand, have its households entered" \
	" again on another device by another user (saola-server user add); if it was" \
	" lost or stolen, there is nothing more to do"

/* Says what the rows gathered. */
static void judge_users(saola__doctor *d, dr_users *u)
{
	if (u->soon.n)
		saola__dr_report(d, SAOLA__DR_WARN, "users", "%d token%s expire%s within %d days:"
		                 " %s: renew each before then: saola-server user renew --db %s"
		                 " --name NAME [--days N]", u->soon.n, u->soon.n == 1 ? "" : "s",
		                 u->soon.n == 1 ? "s" : "", DR_TOKEN_DAYS,
		                 saola__dr_names_text(&u->soon), d->shown);
	if (u->expired.n)
		saola__dr_report(d, SAOLA__DR_WARN, "users", "expired tokens still own devices:"
		                 " %s: those devices cannot sync and keep what they collected:"
		                 " for a surveyor still at work, renew the token (saola-server"
		                 " user renew --db %s --name %s); for one who has left, import"
		                 " the devices' push bundles (saola-server bundle import --db %s"
		                 " --user NAME FILE) before revoking the user",
		                 saola__dr_names_text(&u->expired), d->shown, u->one_expired,
		                 d->shown);
	if (u->revoked.n == 1)
		saola__dr_report(d, SAOLA__DR_WARN, "users", "user %s is revoked but still owns"
		                 " %lld device%s: " DR_REVOKED_ADVICE, u->one_revoked,
		                 (long long)u->one_devices, u->one_devices == 1 ? "" : "s");
	else if (u->revoked.n)
		saola__dr_report(d, SAOLA__DR_WARN, "users", "%d revoked users still own devices"
		                 " (how many): %s: for each device, " DR_REVOKED_ADVICE,
		                 u->revoked.n, saola__dr_names_text(&u->revoked));
	if (!u->admins)
		saola__dr_report(d, SAOLA__DR_WARN, "users", "no admin user with a valid token:"
		                 " add one: saola-server user add --db %s --name NAME --role"
		                 " admin", d->shown);
	if (!u->soon.n && !u->expired.n && !u->revoked.n && u->admins)
		saola__dr_report(d, SAOLA__DR_OK, "users", "%d user%s, %d admin%s; no token"
		                 " expires within %d days", u->total, u->total == 1 ? "" : "s",
		                 u->admins, u->admins == 1 ? "" : "s", DR_TOKEN_DAYS);
}

void saola__dr_check_users(saola__doctor *d)
{
	saola__dbstmt *st = NULL;
	char soon[21];
	dr_users u;
	int step;

	memset(&u, 0, sizeof u);
	saola__dr_utc(d->now + DR_TOKEN_DAYS * 86400, soon);
	if (saola__db_prepare(d->conn, "SELECT u.name, u.role, u.revoked_at, u.expires_at,"
	                      " count(d.origin) FROM users u LEFT JOIN devices d ON d.user_id ="
	                      " u.id GROUP BY u.id, u.name, u.role, u.revoked_at, u.expires_at"
	                      " ORDER BY u.expires_at, u.name", &st) != SAOLA_OK) {
		saola__dr_report(d, SAOLA__DR_FAIL, "users", "cannot read the users: %s",
		                 saola__db_errmsg(d->conn));
		return;
	}
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW)
		user_row(d, &u, st, soon);
	if (step != SAOLA__DB_DONE)
		saola__dr_report(d, SAOLA__DR_FAIL, "users", "cannot read the users: %s",
		                 saola__db_errmsg(d->conn));
	else
		judge_users(d, &u);
	saola__db_finalize(st);
}

void saola__dr_check_forms(saola__doctor *d)
{
	saola__dbstmt *st = NULL;
	saola__dr_names forms;
	int step;

	memset(&forms, 0, sizeof forms);
	if ((step = saola__db_prepare(d->conn, "SELECT id, version FROM forms WHERE current <> 0"
	                              " ORDER BY id", &st)) == SAOLA_OK)
		while ((step = saola__db_step(st)) == SAOLA__DB_ROW)
			saola__dr_names_add(&forms, "%s %s", saola__db_column_text(st, 0),
			                    saola__db_column_text(st, 1));
	saola__db_finalize(st);
	if (step != SAOLA__DB_DONE)
		saola__dr_report(d, SAOLA__DR_FAIL, "forms", "cannot read the forms: %s",
		                 saola__db_errmsg(d->conn));
	else if (!forms.n)
		saola__dr_report(d, SAOLA__DR_FAIL, "forms", "no form is loaded: devices have"
		                 " nothing to fill in: load them: saola-server forms load --db"
		                 " %s", d->shown);
	else
		saola__dr_report(d, SAOLA__DR_OK, "forms", "%d form%s loaded: %s", forms.n,
		                 forms.n == 1 ? "" : "s", saola__dr_names_text(&forms));
}

