/* doctor.c: saola-server doctor (ops.h, docs/doctor.md): checks an
 * installation without changing anything, and says for each check what it
 * found and what to do. Here: the command and its options, disk, backups,
 * TLS files and what the server's user may do to its files; the database's
 * checks are doctor_db.c's. */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "backup.h"
#include "cmd_args.h"
#include "doctor.h"
#include "ops.h"
#include "store.h"
#include "tls.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

#define DR_BACKUPS "/var/backups/saola"  /* where the package's timer keeps backups */
#define DR_TIMER "saola-server-backup.timer"
#define DR_BACKUP_NOW "systemctl start saola-server-backup.service, or saola-server backup" \
	" --db DB --to FILE" SAOLA__BACKUP_SUFFIX
#define DR_BACKUP_AGE_H 36    /* a daily backup, and half a day's slack */
#define DR_MIN_FREE_MB 1024
#define DR_CERT_DAYS 21       /* a certificate's renewal is said this early */
#define DR_USER "saola"       /* the package's service user */
#define DR_MSG_MAX 2048

#define DOCTOR_USAGE \
	"saola-server doctor --db PATH [--backups DIR] [--tls-cert FILE --tls-key FILE]\n" \
	"                    [--max-backup-age HOURS (36)] [--min-free MB (1024)]\n" \
	"                    [--format text|json] [--config FILE] [--user NAME]\n" \
	"Checks an installation and says what to fix, one line a check: ok, warn or\n" \
	"FAIL. It changes nothing: the database is read, never created or upgraded.\n" \
	"--config FILE: SAOLA_DB, SAOLA_BACKUP_DIR and SAOLA_OPTS's --tls-cert and\n" \
	"--tls-key from the server's settings (" SAOLA__DR_CONFIG ", read\n" \
	"when neither --db nor --config is given); options given here win.\n" \
	"--backups: the backups folder (" DR_BACKUPS " when it exists).\n" \
	"--user: the user saola-server runs as (" DR_USER ", when there is one): it must\n" \
	"write the database and its folder, and read the certificate and key.\n" \
	"Exit 0: no FAIL (warnings allowed); 1: some FAIL; 2: bad usage.\n" \
	"docs/doctor.md says what each check means and what to do."

/* An entry {check, status, message} of the JSON report. A message that
 * is not UTF-8 (a path in another encoding) keeps its ASCII. */
static json_t *json_line(const char *check, const char *status, char *msg)
{
	json_t *line = json_pack("{s:s, s:s, s:s}", "check", check, "status", status,
	                         "message", msg);
	char *p;

	if (line)
		return line;
	for (p = msg; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	return json_pack("{s:s, s:s, s:s}", "check", check, "status", status, "message", msg);
}

void saola__dr_report(saola__doctor *d, saola__dr_status st, const char *check,
                      const char *fmt, ...)
{
	static const char *const text[] = {"ok", "warn", "FAIL"};
	static const char *const word[] = {"ok", "warn", "fail"};
	char msg[DR_MSG_MAX], *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* One line a check, whatever a message quoted. */
	for (p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (st == SAOLA__DR_FAIL)
		d->fails++;
	if (d->lines)
		json_array_append_new(d->lines, json_line(check, word[st], msg));
	else
		printf("%-4s %s: %s\n", text[st], check, msg);
}

void saola__dr_names_add(saola__dr_names *l, const char *fmt, ...)
{
	size_t used = strlen(l->text);
	va_list ap;

	if (l->n++ >= SAOLA__DR_NAMES_MAX)
		return;
	if (used)
		used += (size_t)snprintf(l->text + used, sizeof l->text - used, ", ");
	va_start(ap, fmt);
	if (used < sizeof l->text)
		vsnprintf(l->text + used, sizeof l->text - used, fmt, ap);
	va_end(ap);
}

const char *saola__dr_names_text(saola__dr_names *l)
{
	size_t used = strlen(l->text);

	if (l->n > SAOLA__DR_NAMES_MAX && used < sizeof l->text)
		snprintf(l->text + used, sizeof l->text - used, " and %d more",
		         l->n - SAOLA__DR_NAMES_MAX);
	return l->text;
}

const char *saola__dr_size(double bytes, char buf[32])
{
	if (bytes < 1024.0 * 1024)
		snprintf(buf, 32, "%.0f KiB", bytes / 1024);
	else if (bytes >= 1024.0 * 1024 * 1024)
		snprintf(buf, 32, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
	else
		snprintf(buf, 32, "%.0f MiB", bytes / (1024.0 * 1024));
	return buf;
}

/* "YYYY-MM-DDTHH:MM:SSZ" as a time, or -1. */
static time_t parse_utc(const char *s)
{
	struct tm tm;
	char z;

	memset(&tm, 0, sizeof tm);
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	                 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 || z != 'Z')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

void saola__dr_utc(time_t t, char out[21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* An age in words: "40 minutes", "5 hours", "3 days". */
static const char *age_text(double seconds, char buf[32])
{
	if (seconds < 2 * 3600)
		snprintf(buf, 32, "%.0f minutes", seconds / 60);
	else if (seconds < 2 * 86400)
		snprintf(buf, 32, "%.0f hours", seconds / 3600);
	else
		snprintf(buf, 32, "%.0f days", seconds / 86400);
	return buf;
}

/* ---- options and the package's defaults file ---- */

/* value unquoted (one pair of " or ' around it) into out. */
static void unquote(const char *value, char *out, size_t n)
{
	size_t len = strlen(value);

	while (len && (value[len - 1] == '\n' || value[len - 1] == '\r' || value[len - 1] == ' '))
		len--;
	if (len >= 2 && (value[0] == '"' || value[0] == '\'') && value[len - 1] == value[0]) {
		value++;
		len -= 2;
	}
	snprintf(out, n, "%.*s", (int)len, value);
}

/* The value of serve's option name ("--tls-cert") when word w, or w and
 * next, give it (into out); the words it took, 0 when it is not there. */
static int take_opt(const char *name, const char *w, const char *next, char *out)
{
	size_t len = strlen(name);

	if (strncmp(w, name, len) != 0)
		return 0;
	if (w[len] == '=') {
		snprintf(out, SAOLA__DR_PATH_MAX, "%s", w + len + 1);
		return 1;
	}
	if (w[len] || !next)
		return 0;
	snprintf(out, SAOLA__DR_PATH_MAX, "%s", next);
	return 2;
}

/* The --tls-cert and --tls-key of serve's options in opts (SAOLA_OPTS,
 * words split at blanks, as the unit's shell splits them). */
static void config_opts(saola__doctor *d, char *opts)
{
	char *words[64], *save = NULL, *w;
	int n = 0, i, took;

	for (w = strtok_r(opts, " \t", &save); w && n < 64; w = strtok_r(NULL, " \t", &save))
		words[n++] = w;
	for (i = 0; i < n; i += took ? took : 1) {
		const char *next = i + 1 < n ? words[i + 1] : NULL;
		if (!(took = take_opt("--tls-cert", words[i], next, d->cfg_cert)))
			took = take_opt("--tls-key", words[i], next, d->cfg_key);
	}
}

/* Reads SAOLA_DB, SAOLA_BACKUP_DIR and SAOLA_OPTS from the defaults file
 * at path (packaging/default/saola-server: lines KEY=VALUE, # comments).
 * 0, or -1 after saying why. */
static int read_config(saola__doctor *d, const char *path)
{
	char line[SAOLA__DR_PATH_MAX + 64], value[SAOLA__DR_PATH_MAX + 64];
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "doctor: --config %s: cannot read: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		const char *p = line + strspn(line, " \t");
		if (strncmp(p, "export ", 7) == 0)
			p += 7;
		if (strncmp(p, "SAOLA_DB=", 9) == 0) {
			unquote(p + 9, d->cfg_db, sizeof d->cfg_db);
		} else if (strncmp(p, "SAOLA_BACKUP_DIR=", 17) == 0) {
			unquote(p + 17, d->cfg_backups, sizeof d->cfg_backups);
		} else if (strncmp(p, "SAOLA_OPTS=", 11) == 0) {
			unquote(p + 11, value, sizeof value);
			config_opts(d, value);
		}
	}
	fclose(f);
	return 0;
}

/* A whole number from 0 to max for option name into *out (unset: left
 * alone); -1 after saying why. */
static int number_opt(const saola__args *a, const char *name, long max, long *out)
{
	const char *v = saola__args_get(a, name);
	char *end;
	long n;

	if (!v)
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (!*v || *end || errno || n < 0 || n > max) {
		fprintf(stderr, "doctor: %s \"%s\": expected a whole number from 0 to %ld\n",
		        name, v, max);
		return -1;
	}
	*out = n;
	return 0;
}

/* The options into d, the defaults file's under them. 0, or -1 after
 * saying why (bad usage). */
static int parse_opts(saola__doctor *d, int argc, char **argv)
{
	static const char *const valued[] = {"--db", "--backups", "--tls-cert", "--tls-key",
		"--max-backup-age", "--min-free", "--format", "--config", "--user", NULL};
	const char *config, *format;
	saola__args a;

	d->max_age_h = DR_BACKUP_AGE_H;
	d->min_free_mb = DR_MIN_FREE_MB;
	if (saola__args_parse(argc, argv, valued, NULL, 0, "doctor", &a) != 0 ||
	    number_opt(&a, "--max-backup-age", 100L * 365 * 24, &d->max_age_h) != 0 ||
	    number_opt(&a, "--min-free", 1L << 30, &d->min_free_mb) != 0)
		return -1;
	format = saola__args_get(&a, "--format");
	if (format && strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
		fprintf(stderr, "doctor: --format \"%s\": expected text or json\n", format);
		return -1;
	}
	d->json = format && strcmp(format, "json") == 0;
	config = saola__args_get(&a, "--config");
	/* Without --db, the installed server's own settings, when there. */
	if (!config && !saola__args_get(&a, "--db") && access(SAOLA__DR_CONFIG, F_OK) == 0)
		config = SAOLA__DR_CONFIG;
	if (config && read_config(d, config) != 0)
		return -1;
	d->db = saola__args_get(&a, "--db") ? saola__args_get(&a, "--db")
	      : *d->cfg_db ? d->cfg_db : NULL;
	d->cert = saola__args_get(&a, "--tls-cert") ? saola__args_get(&a, "--tls-cert")
	        : *d->cfg_cert ? d->cfg_cert : NULL;
	d->key = saola__args_get(&a, "--tls-key") ? saola__args_get(&a, "--tls-key")
	       : *d->cfg_key ? d->cfg_key : NULL;
	/* The settings file names a backups folder even for PostgreSQL, whose
	 * backups are pg_dump's: only --backups asks to look at it then. */
	d->backups_given = saola__args_get(&a, "--backups") != NULL;
	d->backups = d->backups_given ? saola__args_get(&a, "--backups")
	           : *d->cfg_backups ? d->cfg_backups : NULL;
	if (!d->db) {
		fprintf(stderr, "doctor: which database? (--db PATH, or --config FILE with"
		        " SAOLA_DB)\n");
		return -1;
	}
	if (!d->cert != !d->key) {
		fprintf(stderr, "doctor: --tls-cert and --tls-key go together\n");
		return -1;
	}
	d->user = saola__args_get(&a, "--user");
	if (d->user && !getpwnam(d->user)) {
		fprintf(stderr, "doctor: --user %s: no such user\n", d->user);
		return -1;
	}
	if (!d->user && getpwnam(DR_USER))
		d->user = DR_USER;
	return 0;
}

/* ---- disk and backups ---- */

/* Free space where dir lies: FAIL under --min-free, warn under twice it. */
static void check_disk_at(saola__doctor *d, const char *what, const char *dir)
{
	double need = (double)d->min_free_mb * 1024 * 1024, free_b;
	char have[32], min[32], twice[32];
	struct statvfs vfs;

	if (statvfs(dir, &vfs) != 0) {
		saola__dr_report(d, SAOLA__DR_WARN, "disk", "cannot tell the free space of %s"
		                 " (%s): %s", what, dir, strerror(errno));
		return;
	}
	free_b = (double)vfs.f_bavail * (double)vfs.f_frsize;
	saola__dr_size(free_b, have);
	if (free_b < need)
		saola__dr_report(d, SAOLA__DR_FAIL, "disk", "%s free where %s is (%s), under"
		                 " --min-free %s: free space (old backups, logs) or grow the"
		                 " filesystem: a full disk stops every sync", have, what, dir,
		                 saola__dr_size(need, min));
	else if (free_b < 2 * need)
		saola__dr_report(d, SAOLA__DR_WARN, "disk", "%s free where %s is (%s), under"
		                 " twice --min-free (%s): free space before it runs out", have,
		                 what, dir, saola__dr_size(2 * need, twice));
	else
		saola__dr_report(d, SAOLA__DR_OK, "disk", "%s free where %s is (%s)", have, what,
		                 dir);
}

/* The folder of the file at path into dir. */
static void folder_of(const char *path, char dir[SAOLA__DR_PATH_MAX])
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, SAOLA__DR_PATH_MAX, ".");
	else
		snprintf(dir, SAOLA__DR_PATH_MAX, "%.*s", slash == path ? 1 : (int)(slash - path),
		         path);
}

static void check_disk(saola__doctor *d)
{
	char dir[SAOLA__DR_PATH_MAX];
	struct stat a, b;

	if (!d->pg) {
		folder_of(d->db, dir);
		check_disk_at(d, "the database", dir);
	}
	if (!d->backups || stat(d->backups, &b) != 0)
		return;
	/* One filesystem, one line. */
	if (!d->pg && stat(dir, &a) == 0 && a.st_dev == b.st_dev)
		return;
	check_disk_at(d, "the backups", d->backups);
}

/* The newest (by modification time) regular file ending in
 * SAOLA__BACKUP_SUFFIX in dir, into name (empty when none); *count gets
 * how many there are. Hidden files are left out: backup-rotate writes
 * ".incomplete-NAME" until the backup is whole. -1 with errno when dir
 * cannot be read. */
static int newest_backup(const char *dir, char *name, size_t n, int *count)
{
	size_t suffix = strlen(SAOLA__BACKUP_SUFFIX);
	char path[SAOLA__DR_PATH_MAX + 256];
	time_t best = 0;
	struct dirent *e;
	struct stat sb;
	DIR *dp = opendir(dir);

	*name = '\0';
	*count = 0;
	if (!dp)
		return -1;
	while ((e = readdir(dp))) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len <= suffix ||
		    strcmp(e->d_name + len - suffix, SAOLA__BACKUP_SUFFIX) != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		++*count;
		/* Newest first; at the same second, the later name. */
		if (!*name || sb.st_mtime > best ||
		    (sb.st_mtime == best && strcmp(e->d_name, name) > 0)) {
			best = sb.st_mtime;
			snprintf(name, n, "%s", e->d_name);
		}
	}
	closedir(dp);
	return 0;
}

/* Judges the newest backup, name in d->backups, by its header's date. */
static void judge_backup(saola__doctor *d, const char *name, int count)
{
	char path[SAOLA__DR_PATH_MAX + 256], age[32];
	saola__backup_info info;
	saola__err e;
	time_t made = -1;

	snprintf(path, sizeof path, "%s/%s", d->backups, name);
	if (saola__backup_header(path, &info, &e) == 0 && (made = parse_utc(info.created)) < 0)
		snprintf(e.message, sizeof e.message, "its header's date \"%s\" is not a date",
		         info.created);
	if (made < 0) {
		/* The backup module's message starts with the path, said here already. */
		size_t n = strlen(path);
		const char *why = strncmp(e.message, path, n) == 0 && e.message[n] == ':' &&
		                  e.message[n + 1] == ' ' ? e.message + n + 2 : e.message;
		saola__dr_report(d, SAOLA__DR_FAIL, "backup", "the newest backup in %s, %s, is"
		                 " damaged (%s): make a new one now (" DR_BACKUP_NOW ") and"
		                 " check the disk it is on", d->backups, name, why);
		return;
	}
	age_text(difftime(d->now, made), age);
	if (difftime(d->now, made) > (double)d->max_age_h * 3600)
		saola__dr_report(d, SAOLA__DR_FAIL, "backup", "the newest backup in %s is %s old"
		                 " (%s, made %s), older than --max-backup-age %ld hours: check"
		                 " the timer: systemctl status " DR_TIMER " (the last run:"
		                 " journalctl -u saola-server-backup.service)", d->backups, age,
		                 name, info.created, d->max_age_h);
	else
		saola__dr_report(d, SAOLA__DR_OK, "backup", "the newest backup in %s is %s old"
		                 " (%s, made %s; %d backup%s there)", d->backups, age, name,
		                 info.created, count, count == 1 ? "" : "s");
}

static void check_backups(saola__doctor *d)
{
	char name[256];
	int count;

	if (d->pg && !d->backups_given) {
		saola__dr_report(d, SAOLA__DR_OK, "backup", "PostgreSQL: not checked here; back"
		                 " it up with pg_dump");
		return;
	}
	if (!d->backups) {
		saola__dr_report(d, SAOLA__DR_WARN, "backup", "no backups folder (" DR_BACKUPS
		                 " does not exist): give --backups DIR, or schedule backups:"
		                 " systemctl enable --now " DR_TIMER);
		return;
	}
	if (newest_backup(d->backups, name, sizeof name, &count) != 0) {
		saola__dr_report(d, SAOLA__DR_FAIL, "backup", "cannot read the backups folder %s:"
		                 " %s", d->backups, strerror(errno));
		return;
	}
	if (!count) {
		saola__dr_report(d, SAOLA__DR_FAIL, "backup", "no backup in %s (no *"
		                 SAOLA__BACKUP_SUFFIX " file): make one now (" DR_BACKUP_NOW ")"
		                 " and check the timer: systemctl status " DR_TIMER, d->backups);
		return;
	}
	judge_backup(d, name, count);
}

/* ---- TLS ---- */

/* The certificate's expiry: FAIL once past, warn within DR_CERT_DAYS. */
static void check_cert_expiry(saola__doctor *d)
{
	char when[21], left[32];
	saola__err e;
	time_t until;

	if (saola__tls_cert_expiry(d->cert, &until, &e) != 0) {
		saola__dr_report(d, SAOLA__DR_FAIL, "tls", "%s: the server will not start with"
		                 " it", e.message);
		return;
	}
	saola__dr_utc(until, when);
	age_text(difftime(until, d->now), left);
	if (until <= d->now)
		saola__dr_report(d, SAOLA__DR_FAIL, "tls", "the certificate %s expired on %s:"
		                 " devices refuse the server: renew it (certbot renew, or your"
		                 " certificate authority) and restart saola-server", d->cert,
		                 when);
	else if (difftime(until, d->now) < DR_CERT_DAYS * 86400.0)
		saola__dr_report(d, SAOLA__DR_WARN, "tls", "the certificate %s expires in %s, on"
		                 " %s: renew it now (certbot renew, or your certificate"
		                 " authority) and restart saola-server", d->cert, left, when);
	else
		saola__dr_report(d, SAOLA__DR_OK, "tls", "the certificate %s is valid until %s",
		                 d->cert, when);
}

/* The key is the certificate's: GnuTLS refuses a pair that does not
 * match, as the server would at start. */
static void check_key_match(saola__doctor *d)
{
	gnutls_certificate_credentials_t cred;
	int r;

	if (gnutls_certificate_allocate_credentials(&cred) < 0) {
		saola__dr_report(d, SAOLA__DR_WARN, "tls", "cannot tell whether the key is the"
		                 " certificate's: out of memory");
		return;
	}
	r = gnutls_certificate_set_x509_key_file(cred, d->cert, d->key, GNUTLS_X509_FMT_PEM);
	gnutls_certificate_free_credentials(cred);
	if (r == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
		saola__dr_report(d, SAOLA__DR_FAIL, "tls", "the key %s is not the certificate's"
		                 " (%s): the server will not start: give the key the certificate"
		                 " was made for", d->key, d->cert);
	else if (r < 0)
		saola__dr_report(d, SAOLA__DR_FAIL, "tls", "the certificate %s and key %s do not"
		                 " load: %s", d->cert, d->key, gnutls_strerror(r));
	else
		saola__dr_report(d, SAOLA__DR_OK, "tls", "the key %s is the certificate's",
		                 d->key);
}

/* A key others may read is a key others may copy; group access is the
 * usual way to give it to the server's user, and is said, not warned. */
static void check_key_mode(saola__doctor *d)
{
	struct stat sb;

	if (stat(d->key, &sb) != 0)
		return;  /* check_key_match said it */
	if (sb.st_mode & 007)
		saola__dr_report(d, SAOLA__DR_WARN, "tls", "the key %s is readable by every user"
		                 " (mode %04o): chmod 600 it (or 640, in the group saola-server"
		                 " runs in)", d->key, (unsigned)(sb.st_mode & 07777));
	else if (sb.st_mode & 070)
		saola__dr_report(d, SAOLA__DR_OK, "tls", "the key %s is readable by its owner and"
		                 " group only (mode %04o)", d->key,
		                 (unsigned)(sb.st_mode & 07777));
	else
		saola__dr_report(d, SAOLA__DR_OK, "tls", "the key %s is readable by its owner"
		                 " only (mode %04o)", d->key, (unsigned)(sb.st_mode & 07777));
}

static void check_tls(saola__doctor *d)
{
	const char *const files[2] = {d->cert, d->key};
	int i, bad = 0;

	if (!d->cert)
		return;  /* plain HTTP, or TLS ended by a proxy in front */
	for (i = 0; i < 2; i++)
		if (access(files[i], R_OK) != 0) {
			saola__dr_report(d, SAOLA__DR_FAIL, "tls", "cannot read the %s %s: %s",
			                 i ? "key" : "certificate", files[i], strerror(errno));
			bad = 1;
		}
	if (bad)
		return;
	check_cert_expiry(d);
	check_key_match(d);
	check_key_mode(d);
}

/* ---- what the server's user may do ---- */

/* Whether the user pw may do what bit (S_IRUSR or S_IWUSR) says to the
 * file sb, by its mode as the kernel reads it: the owner's bits for its
 * owner, else the group's for a member, else the others'. The folders
 * above are not looked at. */
static int user_may(const struct passwd *pw, const struct stat *sb, mode_t bit)
{
	gid_t groups[64];
	int n = 64, i;

	if (pw->pw_uid == 0)
		return 1;
	if (sb->st_uid == pw->pw_uid)
		return (sb->st_mode & bit) != 0;
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0) {
		groups[0] = pw->pw_gid;  /* in over 64 groups: its primary one */
		n = 1;
	}
	for (i = 0; i < n; i++)
		if (groups[i] == sb->st_gid)
			return (sb->st_mode & (bit >> 3)) != 0;
	return (sb->st_mode & (bit >> 6)) != 0;
}

/* Says when the server's user may not do bit to path (one FAIL line, with
 * the command that lets it); 1 when it may, or path cannot be looked at
 * (another check says so). */
static int user_check(saola__doctor *d, const struct passwd *pw, const char *what,
                      const char *path, mode_t bit)
{
	struct group *gr = getgrgid(pw->pw_gid);
	struct stat sb;
	char fix[SAOLA__DR_PATH_MAX + 128];

	if (stat(path, &sb) != 0 || user_may(pw, &sb, bit))
		return 1;
	if (bit == S_IWUSR)
		snprintf(fix, sizeof fix, "chown %s '%s' (SQLite writes the database, and its"
		         " -wal and -shm files in its folder)", pw->pw_name, path);
	else
		snprintf(fix, sizeof fix, "chgrp %s '%s' && chmod g+r '%s'",
		         gr ? gr->gr_name : pw->pw_name, path, path);
	saola__dr_report(d, SAOLA__DR_FAIL, "files", "saola-server's user %s cannot %s %s %s"
	                 " (owner uid %u, group gid %u, mode %04o): %s", pw->pw_name,
	                 bit == S_IWUSR ? "write" : "read", what, path, (unsigned)sb.st_uid,
	                 (unsigned)sb.st_gid, (unsigned)(sb.st_mode & 07777), fix);
	return 0;
}

/* The server's user writes the database and its folder, and reads the
 * certificate and key; doctor, run as root, would read anything. */
static void check_files(saola__doctor *d)
{
	struct passwd *pw = d->user ? getpwnam(d->user) : NULL;
	char dir[SAOLA__DR_PATH_MAX];
	int ok = 1;

	if (!pw || (d->pg && !d->cert))
		return;  /* no service user (not the package's installation), or no file */
	if (!d->pg) {
		folder_of(d->db, dir);
		ok &= user_check(d, pw, "the database", d->db, S_IWUSR);
		ok &= user_check(d, pw, "the database's folder", dir, S_IWUSR);
	}
	if (d->cert) {
		ok &= user_check(d, pw, "the certificate", d->cert, S_IRUSR);
		ok &= user_check(d, pw, "the key", d->key, S_IRUSR);
	}
	if (ok)
		saola__dr_report(d, SAOLA__DR_OK, "files", "saola-server's user %s may %s%s",
		                 pw->pw_name, d->pg ? "" : "write the database and its folder",
		                 !d->cert ? "" : d->pg ? "read the certificate and key"
		                                       : ", and read the certificate and key");
}

/* ---- the command ---- */

static void run_checks(saola__doctor *d)
{
	struct stat sb;

	saola__dr_check_database(d);
	if (d->conn) {
		saola__dr_check_integrity(d);
		saola__dr_check_schema(d);
	}
	if (!d->backups && stat(DR_BACKUPS, &sb) == 0 && S_ISDIR(sb.st_mode))
		d->backups = DR_BACKUPS;
	check_disk(d);
	check_backups(d);
	check_tls(d);
	check_files(d);
	if (d->conn && d->readable) {
		saola__dr_check_users(d);
		saola__dr_check_forms(d);
	}
}

int saola__cmd_doctor(int argc, char **argv)
{
	saola__doctor d;
	int rc;

	if (saola__args_help(argc, argv)) {
		printf("usage: %s\n", DOCTOR_USAGE);
		return 0;
	}
	memset(&d, 0, sizeof d);
	if (parse_opts(&d, argc, argv) != 0) {
		fprintf(stderr, "usage: %s\n", DOCTOR_USAGE);
		return EXIT_USAGE;
	}
	d.pg = saola__store_is_uri(d.db);
	d.shown = d.pg ? "URI" : d.db;
	d.now = time(NULL);
	saola__dr_utc(d.now, d.now_s);
	if (d.json && !(d.lines = json_array())) {
		fprintf(stderr, "doctor: out of memory\n");
		return EXIT_FAIL;
	}
	run_checks(&d);
	rc = d.fails ? EXIT_FAIL : 0;
	if (d.lines && (json_dumpf(d.lines, stdout, JSON_INDENT(2)) != 0 || puts("") == EOF)) {
		fprintf(stderr, "doctor: cannot write the report\n");
		rc = EXIT_FAIL;
	}
	json_decref(d.lines);
	saola__db_close(d.conn);
	sqlite3_close(d.sql);
	return rc;
}
