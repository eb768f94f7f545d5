/* test_doctor.c: saola-server doctor on a healthy installation made here
 * (a server database with the shipped forms and an admin, a fresh backup
 * made with saola-server backup, a certificate and key made with GnuTLS)
 * and on broken copies of it, one case each: the lines it must print
 * (status, check, what was found), how many FAIL and warn lines in all,
 * and the exit code; after every run the SQLite file is byte for byte as
 * it was, with no -wal or -shm file left beside it (doctor writes nothing,
 * upgrades nothing). --format json parses with jansson. */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sqlite3.h>

#include "testutil.h"
#include "db_pg.h"
#include "pgtest.h"
#include "store.h"

#define DAY 86400L

/* The healthy installation every case starts from. */
static struct {
	char dir[512];
	char db[1024];        /* forms loaded, one admin */
	char backups[600];    /* one fresh backup */
	char backup[1024];    /* that backup */
	char cert[1024], key[1024];  /* valid for a year */
} fx;

/* One case's installation: what setup made, and doctor's options. */
typedef struct dr_run {
	char dir[512];        /* the case's own folder */
	char db[1024];        /* its SQLite file ("" when none is checked) */
	char args[4096];
} dr_run;

typedef struct dr_case {
	const char *name;
	void (*setup)(dr_run *r);
	int exit_code;
	int fails, warns;           /* FAIL and warn lines in all */
	const char *lines[4];       /* "STATUS check:|text": a line that starts with
	                             * the part before | and holds the rest */
	void (*after)(const dr_run *r);  /* more checks, or NULL */
} dr_case;

static char out[1 << 16], err[1 << 14];

/* This process's user, as doctor's --user: the files the test makes are
 * its own, whatever service user the machine has. */
static const char *me(void)
{
	struct passwd *pw = getpwuid(geteuid());

	assert_non_null(pw);
	return pw->pw_name;
}

static const char *server_bin(void)
{
	static char path[1024];

	snprintf(path, sizeof path, "%s/server/saola-server", SAOLA_TEST_BINDIR);
	return path;
}

/* Runs saola-server with the arguments fmt makes, or fails the test. */
static void server_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void server_ok(const char *fmt, ...)
{
	char args[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	rc = tu_runf(out, sizeof out, err, sizeof err, "%s %s", server_bin(), args);
	if (rc != 0)
		fail_msg("saola-server %s: exit %d\n%s%s", args, rc, out, err);
}

static int exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

static void copy_file(const char *from, const char *to)
{
	size_t len;
	char *data = tu_read_file(from, &len);
	FILE *f = fopen(to, "wb");

	assert_non_null(data);
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(data);
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* FNV-1a of the file's bytes (0 when there is no file). */
static uint64_t file_hash(const char *path)
{
	uint64_t h = 14695981039346656037ULL;
	size_t len, i;
	char *data = tu_read_file(path, &len);

	if (!data)
		return 0;
	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)data[i]) * 1099511628211ULL;
	free(data);
	return h;
}

/* Which of db's -wal (1) and -shm (2) files there are. */
static int journals(const char *db)
{
	char wal[1100], shm[1100];

	snprintf(wal, sizeof wal, "%s-wal", db);
	snprintf(shm, sizeof shm, "%s-shm", db);
	return exists(wal) | exists(shm) << 1;
}

/* Runs SQL on the SQLite file at path, or fails the test. */
static void sql_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s: %s", path, sql, msg);
	sqlite3_close(db);
}

/* One integer that sql gives on the SQLite file at path. */
static int64_t sql_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* A self-signed P-256 certificate valid from `from` to `until` seconds
 * from now, at cert, and its key at key (mode 0600). */
static void make_cert(const char *cert, const char *key, long from, long until)
{
	static const unsigned char serial[] = {0x01, 0x23, 0x45, 0x67};
	gnutls_x509_privkey_t k;
	gnutls_x509_crt_t c;
	gnutls_datum_t d;
	time_t now = time(NULL);

	assert_true(gnutls_x509_privkey_init(&k) >= 0);
	assert_true(gnutls_x509_privkey_generate(k, GNUTLS_PK_ECDSA,
	            GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) >= 0);
	assert_true(gnutls_x509_crt_init(&c) >= 0);
	assert_true(gnutls_x509_crt_set_version(c, 3) >= 0);
	assert_true(gnutls_x509_crt_set_serial(c, serial, sizeof serial) >= 0);
	assert_true(gnutls_x509_crt_set_dn(c, "CN=doctor.test", NULL) >= 0);
	assert_true(gnutls_x509_crt_set_activation_time(c, now + from) >= 0);
	assert_true(gnutls_x509_crt_set_expiration_time(c, now + until) >= 0);
	assert_true(gnutls_x509_crt_set_key(c, k) >= 0);
	assert_true(gnutls_x509_crt_sign2(c, c, k, GNUTLS_DIG_SHA256, 0) >= 0);
	assert_true(gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_PEM, &d) >= 0);
	write_file(cert, d.data, d.size, 0644);
	gnutls_free(d.data);
	assert_true(gnutls_x509_privkey_export2(k, GNUTLS_X509_FMT_PEM, &d) >= 0);
	write_file(key, d.data, d.size, 0600);
	gnutls_free(d.data);
	gnutls_x509_crt_deinit(c);
	gnutls_x509_privkey_deinit(k);
}

/* A device of user's in the store at db, as its first sync makes it. */
static void add_device(const char *db, const char *user, const char *origin)
{
	saola__store *s = NULL;
	saola__user u;
	char e[512];
	int found = 0;

	if (saola__store_open(db, NULL, 0, &s, e, sizeof e) != SAOLA_OK)
		fail_msg("%s: %s", db, e);
	assert_int_equal(s->ops->user_by_name(s, user, &u, &found), SAOLA_OK);
	assert_true(found);
	assert_int_equal(s->ops->write_begin(s, 1), SAOLA_OK);
	assert_int_equal(s->ops->device_sync(s, origin, u.id, NULL, NULL, "2026-01-01T00:00:00Z"),
	                 SAOLA_OK);
	assert_int_equal(s->ops->end(s, 1), SAOLA_OK);
	saola__store_close(s);
}

/* ---- the cases' setups ---- */

/* The case's folder, and the healthy installation's options. */
static void healthy_args(dr_run *r, const char *db, const char *backups)
{
	snprintf(r->args, sizeof r->args, "--db '%s' --backups '%s' --min-free 0 --user %s", db,
	         backups, me());
}

/* A copy of the healthy database in the case's folder, checked with the
 * healthy backups. */
static void copied_db(dr_run *r)
{
	snprintf(r->db, sizeof r->db, "%s/server.db", r->dir);
	copy_file(fx.db, r->db);
	healthy_args(r, r->db, fx.backups);
}

static void setup_healthy(dr_run *r)
{
	snprintf(r->db, sizeof r->db, "%s", fx.db);
	healthy_args(r, fx.db, fx.backups);
	snprintf(r->args + strlen(r->args), sizeof r->args - strlen(r->args),
	         " --tls-cert '%s' --tls-key '%s'", fx.cert, fx.key);
}

static void setup_missing_db(dr_run *r)
{
	healthy_args(r, tu_path(r->dir, "nothing.db"), fx.backups);
}

static void after_missing_db(const dr_run *r)
{
	assert_false(exists(tu_path(r->dir, "nothing.db")));
}

static void setup_not_sqlite(dr_run *r)
{
	static const char text[] = "households, but not a database\n";

	snprintf(r->db, sizeof r->db, "%s/server.db", r->dir);
	write_file(r->db, text, sizeof text - 1, 0644);
	healthy_args(r, r->db, fx.backups);
}

/* Garbage over the root page of the units table: PRAGMA integrity_check
 * finds it, while the schema, users and forms read as before. */
static void setup_corrupt(dr_run *r)
{
	int64_t page = 0, size = 0;
	char junk[65536];
	FILE *f;

	copied_db(r);
	page = sql_int(r->db, "SELECT rootpage FROM sqlite_schema WHERE name = 'units'");
	size = sql_int(r->db, "PRAGMA page_size");
	assert_true(page > 1 && size > 0 && size <= (int64_t)sizeof junk);
	memset(junk, 0xa5, sizeof junk);
	assert_non_null(f = fopen(r->db, "r+b"));
	assert_int_equal(fseek(f, (long)((page - 1) * size), SEEK_SET), 0);
	assert_int_equal(fwrite(junk, 1, (size_t)size, f), (size_t)size);
	assert_int_equal(fclose(f), 0);
}

static void setup_device_db(dr_run *r)
{
	snprintf(r->db, sizeof r->db, "%s/device.db", r->dir);
	sql_exec(r->db, "CREATE TABLE records(id TEXT PRIMARY KEY, data TEXT)");
	healthy_args(r, r->db, fx.backups);
}

static void setup_older_schema(dr_run *r)
{
	copied_db(r);
	sql_exec(r->db, "UPDATE meta SET value = 9 WHERE key = 'server_schema'");
}

static void after_older_schema(const dr_run *r)
{
	assert_int_equal(sql_int(r->db, "SELECT value FROM meta WHERE key = 'server_schema'"), 9);
}

static void setup_newer_schema(dr_run *r)
{
	copied_db(r);
	sql_exec(r->db, "UPDATE meta SET value = 99 WHERE key = 'server_schema'");
}

static void setup_disk_full(dr_run *r)
{
	setup_healthy(r);
	/* 1 PiB: more than any test machine has free. */
	snprintf(r->args + strlen(r->args), sizeof r->args - strlen(r->args),
	         " --min-free 1073741824");
}

/* The case's own backups folder. */
static const char *backups_dir(dr_run *r)
{
	const char *dir = tu_path(r->dir, "backups");

	assert_int_equal(mkdir(dir, 0755), 0);
	return dir;
}

static void setup_no_backup(dr_run *r)
{
	snprintf(r->db, sizeof r->db, "%s", fx.db);
	healthy_args(r, fx.db, backups_dir(r));
}

/* The healthy backup, its header's date made 2020's: the age comes from
 * the header, not from the file's time (which is now). */
static void setup_old_backup(dr_run *r)
{
	const char *dir = backups_dir(r);
	const char *to = tu_path(dir, "server-20200101-000000.saola-backup");
	size_t len;
	char *data = tu_read_file(fx.backup, &len), *at;

	assert_non_null(data);
	assert_non_null(at = strstr(data, "\"created\":\""));
	memcpy(at + 11, "2020-01-01T00:00:00Z", 20);
	write_file(to, data, len, 0640);
	free(data);
	snprintf(r->db, sizeof r->db, "%s", fx.db);
	healthy_args(r, fx.db, dir);
}

/* Sets the file's times to now + ahead seconds. */
static void touch(const char *path, long ahead)
{
	struct timeval tv[2];

	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec += ahead;
	tv[1] = tv[0];
	assert_int_equal(utimes(path, tv), 0);
}

/* A good backup, and a newer file that is not one. */
static void setup_damaged_backup(dr_run *r)
{
	static const char junk[] = "saola-backup 1\n{\"created\": 12}\n";
	const char *dir = backups_dir(r);
	const char *bad = tu_path(dir, "server-29990101-000000.saola-backup");

	copy_file(fx.backup, tu_path(dir, "server-20260101-000000.saola-backup"));
	write_file(bad, junk, sizeof junk - 1, 0640);
	touch(bad, 60);
	snprintf(r->db, sizeof r->db, "%s", fx.db);
	healthy_args(r, fx.db, dir);
}

/* A good backup, and a newer one that backup-rotate is still writing. */
static void setup_incomplete_backup(dr_run *r)
{
	const char *dir = backups_dir(r);
	const char *part = tu_path(dir, ".incomplete-server-29990101-000000.saola-backup");

	copy_file(fx.backup, tu_path(dir, "server-20260101-000000.saola-backup"));
	write_file(part, "saola-backup 1\n", 15, 0640);
	touch(part, 60);
	snprintf(r->db, sizeof r->db, "%s", fx.db);
	healthy_args(r, fx.db, dir);
}

/* The healthy installation with the certificate and key made by make. */
static void with_cert(dr_run *r, long from, long until, const char *key_from)
{
	char cert[1024], key[1024];

	snprintf(cert, sizeof cert, "%s/server.crt", r->dir);
	snprintf(key, sizeof key, "%s/server.key", r->dir);
	make_cert(cert, key, from, until);
	if (key_from)
		copy_file(key_from, key);
	snprintf(r->db, sizeof r->db, "%s", fx.db);
	healthy_args(r, fx.db, fx.backups);
	snprintf(r->args + strlen(r->args), sizeof r->args - strlen(r->args),
	         " --tls-cert '%s' --tls-key '%s'", cert, key);
}

static void setup_cert_expired(dr_run *r)
{
	with_cert(r, -30 * DAY, -10 * DAY, NULL);
}

static void setup_cert_expiring(dr_run *r)
{
	with_cert(r, -DAY, 5 * DAY, NULL);
}

static void setup_key_mismatch(dr_run *r)
{
	with_cert(r, -DAY, 365 * DAY, fx.key);
}

static void setup_key_open(dr_run *r)
{
	with_cert(r, -DAY, 365 * DAY, NULL);
	assert_int_equal(chmod(tu_path(r->dir, "server.key"), 0644), 0);
}

/* The service user is another one, who may not write the database nor
 * its folder, nor read the key (mode 0600). */
static void setup_other_user(dr_run *r)
{
	char cert[1024], key[1024];

	snprintf(cert, sizeof cert, "%s/server.crt", r->dir);
	snprintf(key, sizeof key, "%s/server.key", r->dir);
	make_cert(cert, key, -DAY, 365 * DAY);
	snprintf(r->db, sizeof r->db, "%s/server.db", r->dir);
	copy_file(fx.db, r->db);
	snprintf(r->args, sizeof r->args, "--db '%s' --backups '%s' --min-free 0 --tls-cert '%s'"
	         " --tls-key '%s' --user nobody", r->db, fx.backups, cert, key);
}

static void setup_user_expiring(dr_run *r)
{
	copied_db(r);
	server_ok("user add --db '%s' --name soon --role surveyor --area 14404 --days 10", r->db);
}

/* A surveyor who owns device, then `user then` (revoke, expire). */
static void user_with_device(dr_run *r, const char *name, const char *device, const char *then)
{
	copied_db(r);
	server_ok("user add --db '%s' --name %s --role surveyor --area 14404", r->db, name);
	add_device(r->db, name, device);
	server_ok("user %s --db '%s' --name %s", then, r->db, name);
}

static void setup_user_revoked(dr_run *r)
{
	user_with_device(r, "gone", "0123456789abcdef", "revoke");
}

static void setup_user_expired(dr_run *r)
{
	user_with_device(r, "late", "fedcba9876543210", "expire");
}

static void setup_no_admin(dr_run *r)
{
	copied_db(r);
	server_ok("user revoke --db '%s' --name admin", r->db);
}

static void setup_no_forms(dr_run *r)
{
	copied_db(r);
	sql_exec(r->db, "UPDATE forms SET current = 0");
}

/* The package's settings file names the database, the backups and the
 * certificate (quoted, as systemd reads it); no other option is given. */
static void setup_config(dr_run *r)
{
	char text[8192], path[1100];

	snprintf(path, sizeof path, "%s/saola-server.default", r->dir);
	snprintf(text, sizeof text, "# settings\nSAOLA_DB=%s\nSAOLA_LISTEN=127.0.0.1:8080\n"
	         "SAOLA_OPTS=\"--threads 2 --tls-cert %s --tls-key=%s\"\n"
	         "SAOLA_BACKUP_DIR=%s\nSAOLA_BACKUP_KEEP=14\n", fx.db, fx.cert, fx.key,
	         fx.backups);
	write_file(path, text, strlen(text), 0640);
	snprintf(r->db, sizeof r->db, "%s", fx.db);
	snprintf(r->args, sizeof r->args, "--config '%s' --min-free 0 --user %s", path, me());
}

static void setup_usage_format(dr_run *r)
{
	snprintf(r->args, sizeof r->args, "--db '%s' --format xml", fx.db);
}

static void setup_usage_tls(dr_run *r)
{
	snprintf(r->args, sizeof r->args, "--db '%s' --tls-cert '%s'", fx.db, fx.cert);
}

static void setup_usage_age(dr_run *r)
{
	snprintf(r->args, sizeof r->args, "--db '%s' --max-backup-age -1", fx.db);
}

static void setup_usage_config(dr_run *r)
{
	snprintf(r->args, sizeof r->args, "--config '%s'", tu_path(r->dir, "none"));
}

static const dr_case cases[] = {
	{"healthy", setup_healthy, 0, 0, 0,
	 {"ok   schema:|as this saola-server expects", "ok   backup:|minutes old",
	  "ok   files:|may write the database and its folder, and read the certificate",
	  "ok   forms:|household 2026.2"}, NULL},
	{"missing database", setup_missing_db, 1, 1, 0,
	 {"FAIL database:|no database at", NULL}, after_missing_db},
	{"not a database", setup_not_sqlite, 1, 1, 0,
	 {"FAIL database:|does not open as a SQLite database", NULL}, NULL},
	{"corrupted database", setup_corrupt, 1, 1, 0,
	 {"FAIL integrity:|damaged (PRAGMA integrity_check: Page ", "ok   users:",
	  "ok   forms:"}, NULL},
	{"a device's database", setup_device_db, 1, 1, 0,
	 {"FAIL schema:|is not a saola-server database", NULL}, NULL},
	{"older schema", setup_older_schema, 0, 0, 1,
	 {"warn schema:|server schema 9, this saola-server expects", NULL}, after_older_schema},
	{"newer schema", setup_newer_schema, 1, 1, 0,
	 {"FAIL schema:|written by a newer saola-server", NULL}, NULL},
	{"disk full", setup_disk_full, 1, 1, 0, {"FAIL disk:|under --min-free", NULL}, NULL},
	{"no backup", setup_no_backup, 1, 1, 0, {"FAIL backup:|no backup in", NULL}, NULL},
	{"old backup", setup_old_backup, 1, 1, 0,
	 {"FAIL backup:|made 2020-01-01T00:00:00Z), older than --max-backup-age 36 hours",
	  NULL}, NULL},
	{"damaged backup", setup_damaged_backup, 1, 1, 0,
	 {"FAIL backup:|server-29990101-000000.saola-backup, is damaged (header: created:",
	  NULL}, NULL},
	{"backup being written", setup_incomplete_backup, 0, 0, 0,
	 {"ok   backup:|(server-20260101-000000.saola-backup", NULL}, NULL},
	{"expired certificate", setup_cert_expired, 1, 1, 0,
	 {"FAIL tls:|expired on", "ok   tls:|is the certificate's", NULL}, NULL},
	{"certificate expiring", setup_cert_expiring, 0, 0, 1,
	 {"warn tls:|expires in", NULL}, NULL},
	{"key of another certificate", setup_key_mismatch, 1, 1, 0,
	 {"FAIL tls:|is not the certificate's", NULL}, NULL},
	{"key readable by all", setup_key_open, 0, 0, 1,
	 {"warn tls:|readable by every user (mode 0644)", NULL}, NULL},
	{"the server's user", setup_other_user, 1, 3, 0,
	 {"FAIL files:|user nobody cannot write the database ",
	  "FAIL files:|user nobody cannot write the database's folder",
	  "FAIL files:|user nobody cannot read the key", NULL}, NULL},
	{"token expiring", setup_user_expiring, 0, 0, 1,
	 {"warn users:|1 token expires within 30 days: soon (", NULL}, NULL},
	{"revoked user owns a device", setup_user_revoked, 0, 0, 1,
	 {"warn users:|user gone is revoked but still owns 1 device:", NULL}, NULL},
	{"expired user owns a device", setup_user_expired, 0, 0, 1,
	 {"warn users:|expired tokens still own devices: late (1 device,", NULL}, NULL},
	{"no admin", setup_no_admin, 0, 0, 1, {"warn users:|no admin user", NULL}, NULL},
	{"no forms", setup_no_forms, 1, 1, 0, {"FAIL forms:|no form is loaded", NULL}, NULL},
	{"settings file", setup_config, 0, 0, 0,
	 {"ok   tls:|is the certificate's", "ok   backup:|minutes old", NULL}, NULL},
	{"usage: format", setup_usage_format, 2, 0, 0, {NULL}, NULL},
	{"usage: cert without key", setup_usage_tls, 2, 0, 0, {NULL}, NULL},
	{"usage: negative age", setup_usage_age, 2, 0, 0, {NULL}, NULL},
	{"usage: no settings file", setup_usage_config, 2, 0, 0, {NULL}, NULL},
};

/* How many lines of out start with prefix. */
static int count_lines(const char *prefix)
{
	const char *p = out;
	int n = 0;

	for (; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

/* Whether a line of out starts with the part of want before '|' and holds
 * the rest. */
static int has_line(const char *want)
{
	const char *bar = strchr(want, '|'), *p = out;
	size_t plen = bar ? (size_t)(bar - want) : strlen(want);
	char line[8192];

	for (; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		size_t len = strchr(p, '\n') ? (size_t)(strchr(p, '\n') - p) : strlen(p);
		snprintf(line, sizeof line, "%.*s", (int)len, p);
		if (strncmp(line, want, plen) == 0 && (!bar || strstr(line, bar + 1)))
			return 1;
	}
	return 0;
}

static void run_case(const dr_case *c, int i)
{
	char tag[32];
	uint64_t before;
	dr_run r;
	int rc, k, had;

	memset(&r, 0, sizeof r);
	snprintf(tag, sizeof tag, "case%02d", i);
	snprintf(r.dir, sizeof r.dir, "%s", tu_path(fx.dir, tag));
	assert_int_equal(mkdir(r.dir, 0755), 0);
	c->setup(&r);
	before = *r.db ? file_hash(r.db) : 0;
	had = *r.db ? journals(r.db) : 0;
	rc = tu_runf(out, sizeof out, err, sizeof err, "%s doctor %s", server_bin(), r.args);
	if (getenv("DOCTOR_SHOW"))  /* to read what each case prints */
		printf("== %s (exit %d)\n%s%s", c->name, rc, out, err);
	if (rc != c->exit_code || count_lines("FAIL ") != c->fails ||
	    count_lines("warn ") != c->warns)
		fail_msg("%s: exit %d (expected %d), %d FAIL (%d), %d warn (%d):\n%s%s", c->name,
		         rc, c->exit_code, count_lines("FAIL "), c->fails, count_lines("warn "),
		         c->warns, out, err);
	if (rc != 2 && count_lines("ok   ") + count_lines("warn ") + count_lines("FAIL ") !=
	               count_lines(""))
		fail_msg("%s: a line that is not a check's:\n%s", c->name, out);
	for (k = 0; k < 4 && c->lines[k]; k++)
		if (!has_line(c->lines[k]))
			fail_msg("%s: no line \"%s\" in:\n%s%s", c->name, c->lines[k], out, err);
	if (rc == 2 && !strstr(err, "usage: saola-server doctor"))
		fail_msg("%s: no usage on stderr:\n%s", c->name, err);
	/* doctor writes nothing: not the file, nor a journal beside it. */
	if (*r.db) {
		if (file_hash(r.db) != before || journals(r.db) != had)
			fail_msg("%s: doctor changed %s, or left a -wal or -shm file", c->name,
			         r.db);
	}
	if (c->after)
		c->after(&r);
}

static void test_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		run_case(&cases[i], (int)i);
}

/* Without --backups, the package's folder when it exists; else a warning. */
static void test_default_backups(void **state)
{
	int rc;

	(void)state;
	if (exists("/var/backups/saola"))
		skip();
	rc = tu_runf(out, sizeof out, err, sizeof err, "%s doctor --db '%s' --min-free 0"
	             " --user %s", server_bin(), fx.db, me());
	assert_int_equal(rc, 0);
	assert_true(has_line("warn backup:|no backups folder (/var/backups/saola does not"
	                     " exist)"));
}

/* --format json: an array of {check, status, message}, every check of the
 * healthy installation ok, and none missing. */
static void test_json(void **state)
{
	static const char *const checks[] = {"database", "integrity", "schema", "disk", "backup",
		"tls", "files", "users", "forms", NULL};
	json_t *doc, *e;
	size_t i;
	int rc, k;

	(void)state;
	rc = tu_runf(out, sizeof out, err, sizeof err, "%s doctor --db '%s' --backups '%s'"
	             " --min-free 0 --tls-cert '%s' --tls-key '%s' --user %s --format json",
	             server_bin(), fx.db, fx.backups, fx.cert, fx.key, me());
	assert_int_equal(rc, 0);
	doc = tu_json(out);
	assert_true(json_is_array(doc));
	json_array_foreach(doc, i, e) {
		assert_true(json_is_string(json_object_get(e, "check")));
		assert_true(json_is_string(json_object_get(e, "message")));
		assert_string_equal(json_string_value(json_object_get(e, "status")), "ok");
	}
	for (k = 0; checks[k]; k++) {
		int seen = 0;
		json_array_foreach(doc, i, e)
			seen |= strcmp(json_string_value(json_object_get(e, "check")),
			               checks[k]) == 0;
		if (!seen)
			fail_msg("no check %s in:\n%s", checks[k], out);
	}
	json_decref(doc);
	/* A FAIL is "fail", with the exit code of the text. */
	rc = tu_runf(out, sizeof out, err, sizeof err, "%s doctor --db '%s' --format json",
	             server_bin(), tu_path(fx.dir, "nothing.db"));
	assert_int_equal(rc, 1);
	doc = tu_json(out);
	assert_string_equal(json_string_value(json_object_get(json_array_get(doc, 0), "status")),
	                    "fail");
	json_decref(doc);
}

/* PostgreSQL (with SAOLA_TEST_PG): connected, its schema read without an
 * upgrade, integrity and backups left to PostgreSQL's tools; a server it
 * cannot reach is a FAIL that does not repeat the URI. */
static void test_postgres(void **state)
{
	const char *uri;
	saola__db *db = NULL;
	char e[512];
	int rc;

	(void)state;
	if (!pgt_available() || !(uri = pgt_uri()))
		skip();
	server_ok("user add --db '%s' --name admin --role admin", uri);
	rc = tu_runf(out, sizeof out, err, sizeof err, "%s doctor --db '%s' --min-free 0",
	             server_bin(), uri);
	if (rc != 0 || count_lines("ok   ") != count_lines(""))
		fail_msg("exit %d:\n%s%s", rc, out, err);
	assert_true(has_line("ok   database:|connected to PostgreSQL"));
	assert_true(has_line("ok   integrity:|pg_amcheck"));
	assert_true(has_line("ok   schema:|as this saola-server expects"));
	assert_true(has_line("ok   backup:|pg_dump"));
	assert_true(has_line("ok   users:|1 user, 1 admin"));
	assert_true(has_line("ok   forms:|household 2026.2"));
	/* An older schema is said, and left as it was. */
	assert_int_equal(saola__db_pg_open(uri, &db, e, sizeof e), SAOLA_OK);
	assert_int_equal(saola__db_exec(db, "UPDATE meta SET value = '1' WHERE key ="
	                                " 'server_schema'"), SAOLA_OK);
	rc = tu_runf(out, sizeof out, err, sizeof err, "%s doctor --db '%s' --min-free 0",
	             server_bin(), uri);
	if (rc != 0 || !has_line("warn schema:|the database's server schema 1, this saola-server"
	                          " expects"))
		fail_msg("exit %d:\n%s%s", rc, out, err);
	assert_true(has_line("ok   users:"));
	rc = tu_runf(out, sizeof out, err, sizeof err, "%s doctor --db '%s' --min-free 0"
	             " --format json", server_bin(), uri);
	assert_int_equal(rc, 0);
	/* A table gone: the database is damaged. */
	assert_int_equal(saola__db_exec(db, "DROP TABLE facts"), SAOLA_OK);
	rc = tu_runf(out, sizeof out, err, sizeof err, "%s doctor --db '%s' --min-free 0",
	             server_bin(), uri);
	if (rc != 1 || !has_line("FAIL schema:|the server's table facts is missing"))
		fail_msg("exit %d:\n%s%s", rc, out, err);
	saola__db_close(db);
	rc = tu_runf(out, sizeof out, err, sizeof err, "%s doctor --db"
	             " 'postgresql://saola:secret@127.0.0.1:1/none' --min-free 0", server_bin());
	assert_int_equal(rc, 1);
	assert_true(has_line("FAIL database:|cannot connect to PostgreSQL"));
	assert_null(strstr(out, "secret"));
}

static int setup(void **state)
{
	(void)state;
	snprintf(fx.dir, sizeof fx.dir, "%s", tu_tmpdir("doctor"));
	snprintf(fx.db, sizeof fx.db, "%s/server.db", fx.dir);
	snprintf(fx.backups, sizeof fx.backups, "%s/backups", fx.dir);
	snprintf(fx.backup, sizeof fx.backup, "%s/server-20260101-000000.saola-backup",
	         fx.backups);
	snprintf(fx.cert, sizeof fx.cert, "%s/server.crt", fx.dir);
	snprintf(fx.key, sizeof fx.key, "%s/server.key", fx.dir);
	assert_int_equal(mkdir(fx.backups, 0750), 0);
	server_ok("user add --db '%s' --name admin --role admin", fx.db);
	server_ok("backup --db '%s' --to '%s'", fx.db, fx.backup);
	make_cert(fx.cert, fx.key, -DAY, 365 * DAY);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmtree(fx.dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_default_backups),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_postgres),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
