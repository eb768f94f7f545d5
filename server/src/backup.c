/* backup.c: online backups of a server's SQLite database and their restore
 * (backup.h; the file format and the rules: docs/backup.md): the copy of
 * the live database, the temporary files and their placing, the restore's
 * checks of the new database, and the backup and restore commands. The
 * backup file's own format is backup_file.c's. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "backup_int.h"
#include "cmd_args.h"
#include "epoch.h"
#include "ops.h"
#include "saola_util.h"
#include "store.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

#define BUSY_MS 10000                 /* how long a read waits on a WAL restart */

/* The URI is not repeated: it may hold a password. */
#define PG_BACKUP "--db names a PostgreSQL database: back it up with pg_dump" \
	" (docs/backup.md, \"PostgreSQL\")"
#define PG_RESTORE "--db names a PostgreSQL database: restore a pg_dump into it with" \
	" pg_restore (docs/backup.md, \"PostgreSQL\")"

/* Set by on_signal(), read by the long loops (backup_int.h). */
volatile sig_atomic_t saola__backup_stopping;

/* SQLite's progress handler: non-zero interrupts the statement. */
static int stop_check(void *unused)
{
	(void)unused;
	return saola__backup_stopping != 0;
}

/* ------------------------------------------------------------------ */
/* Files                                                               */

static int exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

/* path + suffix into out (PATH_MAX bytes); 0, or -1 when too long. */
static int with_suffix(char *out, const char *path, const char *suffix)
{
	int n = snprintf(out, PATH_MAX, "%s%s", path, suffix);

	return n < 0 || n >= PATH_MAX ? -1 : 0;
}

/* Whether a database is at path: the file, or the journal a database
 * left there (SQLite would replay it into a new file of that name). */
static int db_exists(const char *path)
{
	static const char *const sfx[] = {"-wal", "-journal"};
	char p[PATH_MAX];
	size_t i;

	if (exists(path))
		return 1;
	for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++)
		if (with_suffix(p, path, sfx[i]) == 0 && exists(p))
			return 1;
	return 0;
}

/* Removes the journals beside a database path (not the file itself). */
static void remove_journals(const char *path)
{
	static const char *const sfx[] = {"-wal", "-shm", "-journal"};
	char p[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++)
		if (with_suffix(p, path, sfx[i]) == 0)
			unlink(p);
}

/* A new empty file beside path, named path.tag-XXXXXX (mode 0600: what it
 * holds is personal data), on the same file system so that it can be
 * renamed into place. *fd gets it open; out (PATH_MAX bytes) its name. */
static int make_temp(const char *path, const char *tag, char *out, int *fd, saola__err *e)
{
	int n = snprintf(out, PATH_MAX, "%s.%s-XXXXXX", path, tag);

	if (n < 0 || n >= PATH_MAX)
		return saola__err_set(e, SAOLA_MISUSE, "%s: path too long", path);
	if ((*fd = mkstemp(out)) < 0) {
		out[0] = '\0';
		return saola__err_set(e, SAOLA_IO, "%s: cannot make a file beside it: %s", path,
		                      strerror(errno));
	}
	return 0;
}

/* Flushes the folder of path, so that a rename into it survives a power
 * cut. */
static int sync_dir(const char *path, saola__err *e)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else
		snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) < 0)
		return saola__err_set(e, SAOLA_IO, "%s: cannot open its folder: %s", path,
		                      strerror(errno));
	rc = fsync(fd);
	close(fd);
	if (rc != 0)
		return saola__err_set(e, SAOLA_IO, "%s: cannot flush its folder: %s", path,
		                      strerror(errno));
	return 0;
}

/* Flushes the file at path to the disk. */
static int sync_file(const char *path, saola__err *e)
{
	int fd = open(path, O_RDONLY), rc;

	if (fd < 0)
		return saola__err_set(e, SAOLA_IO, "%s: %s", path, strerror(errno));
	rc = fsync(fd);
	close(fd);
	if (rc != 0)
		return saola__err_set(e, SAOLA_IO, "%s: cannot flush it: %s", path, strerror(errno));
	return 0;
}

/* Moves the complete file tmp to path. Without replace, a file that
 * appeared at path since it was checked is kept: link() fails on it where
 * rename() would overwrite it (rename() only where the file system has no
 * links). */
static int place(const char *tmp, const char *path, int replace, saola__err *e)
{
	if (!replace && link(tmp, path) == 0) {
		unlink(tmp);
		return 0;
	}
	if (!replace && errno == EEXIST)
		return saola__err_set(e, SAOLA_CONFLICT, "%s exists", path);
	if (!replace && errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP)
		return saola__err_set(e, SAOLA_IO, "%s: %s", path, strerror(errno));
	if (!replace && exists(path))
		return saola__err_set(e, SAOLA_CONFLICT, "%s exists", path);
	if (rename(tmp, path) != 0)
		return saola__err_set(e, SAOLA_IO, "%s: %s", path, strerror(errno));
	return 0;
}

/* Puts prefix before e's message and suffix after it; returns -1. */
static int reword(saola__err *e, const char *prefix, const char *suffix)
{
	char m[SAOLA__ERR_MAX];

	memcpy(m, e->message, sizeof m);
	m[sizeof m - 1] = '\0';
	return saola__err_set(e, e->rc, "%s%s%s", prefix, m, suffix);
}

/* ------------------------------------------------------------------ */
/* Backup                                                              */

/* A failure of SQLite's connection c doing what, into e. */
static int sql_fail(sqlite3 *c, const char *path, const char *what, saola__err *e)
{
	int code = sqlite3_errcode(c);

	return saola__err_set(e, code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? SAOLA_CORRUPT
	                      : code == SQLITE_BUSY ? SAOLA_BUSY : SAOLA_ERROR,
	                      "%s: %s: %s", path, what, sqlite3_errmsg(c));
}

/* Refuses a database that no saola-server made: its meta table names the
 * server's schema. */
static int check_server_db(sqlite3 *c, const char *path, saola__err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(c, "SELECT value FROM meta WHERE key = 'server_schema'", -1,
	                       &st, NULL) != SQLITE_OK) {
		rc = sqlite3_errcode(c) == SQLITE_ERROR
		     ? saola__err_set(e, SAOLA_INVALID, "%s: not a saola-server database (%s)", path,
		                      sqlite3_errmsg(c))
		     : sql_fail(c, path, "reading it", e);
		sqlite3_finalize(st);
		return rc;
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return saola__err_set(e, SAOLA_INVALID, "%s: not a saola-server database (a device's?"
		                      " it has no server schema)", path);
	return sql_fail(c, path, "reading it", e);
}

/* Copies the database at db into the empty file copy with VACUUM INTO:
 * one statement that reads one snapshot, so the copy is consistent while
 * the server writes (WAL: it never waits for the writer, nor the writer
 * for it), where the backup API copies in steps and starts again when
 * another process writes between them. The copy is compact (no free
 * pages, which also hold stale bytes of rewritten records) and in rollback
 * mode: one file, nothing beside it. The source is opened read-only:
 * backing up never writes to the live database. */
static int copy_db(const char *db, const char *copy, saola__err *e)
{
	sqlite3 *c = NULL;
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (!exists(db))
		return saola__err_set(e, SAOLA_NOTFOUND, "%s: no such file", db);
	if (sqlite3_open_v2(db, &c, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sql_fail(c, db, "cannot open it", e);
		goto out;
	}
	sqlite3_busy_timeout(c, BUSY_MS);
	sqlite3_progress_handler(c, 1000, stop_check, NULL);
	if (check_server_db(c, db, e) != 0)
		goto out;
	if (sqlite3_prepare_v2(c, "VACUUM INTO ?1", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, copy, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		sql_fail(c, db, "copying it", e);
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(c);
	return rc;
}

/* The first column of sql's row on c (bound to arg when not NULL) as text
 * into out (NULL or no row: ""). */
static int query_text(sqlite3 *c, const char *sql, const char *arg, char *out, size_t cap)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *v;
	int rc;

	out[0] = '\0';
	if (sqlite3_prepare_v2(c, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && (v = sqlite3_column_text(st, 0)))
		snprintf(out, cap, "%s", (const char *)v);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* The copy's epoch and latest change sequence, read as the store reads
 * them (store_state.c, store_pull.c), from the copy itself: the header
 * then says what the file holds, and reading it changes none of its
 * bytes. A database made before epochs has none: "". */
static int read_state(const char *copy, saola__backup_info *info, saola__err *e)
{
	sqlite3 *c = NULL;
	char seq[32];
	int rc = -1;

	if (sqlite3_open_v2(copy, &c, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    query_text(c, "SELECT value FROM sync_state WHERE key = ?1", SAOLA__EPOCH_KEY,
	               info->epoch, sizeof info->epoch) != 0 ||
	    query_text(c, "SELECT coalesce(max(seq), 0) FROM records", NULL, seq,
	               sizeof seq) != 0) {
		sql_fail(c, copy, "reading the copy", e);
		goto out;
	}
	if (*info->epoch && !saola__backup_is_hex(info->epoch, SAOLA__EPOCH_LEN))
		info->epoch[0] = '\0';
	info->latest_seq = strtoll(seq, NULL, 10);
	rc = 0;
out:
	sqlite3_close(c);
	return rc;
}

/* The backup: a copy beside to, read and compressed into a temporary file
 * renamed to to. */
static int backup(const char *db, const char *to, saola__backup_info *info, saola__err *e)
{
	char copy[PATH_MAX] = "", tmp[PATH_MAX] = "";
	const char *slash = strrchr(db, '/');
	unsigned char *buf = NULL;
	int fd = -1, rc = -1;

	if (exists(to))
		return saola__err_set(e, SAOLA_CONFLICT, "%s exists: a backup never replaces a file;"
		                      " choose another name", to);
	if (!(buf = malloc(2 * SAOLA__BACKUP_CHUNK)))
		return saola__err_set(e, SAOLA_NOMEM, "out of memory");
	saola__now(info->created);
	if (make_temp(to, "copy", copy, &fd, e) != 0)
		goto out;
	close(fd);
	if (copy_db(db, copy, e) != 0 || read_state(copy, info, e) != 0 ||
	    saola__backup_hash_db(copy, buf, info, e) != 0 ||
	    make_temp(to, "tmp", tmp, &fd, e) != 0)
		goto out;
	if (saola__backup_write_file(fd, tmp, copy, slash ? slash + 1 : db, info, buf, e) != 0 ||
	    place(tmp, to, 0, e) != 0 || sync_dir(to, e) != 0)
		goto out;
	rc = 0;
out:
	if (*copy) {
		unlink(copy);
		remove_journals(copy);
	}
	if (*tmp && rc != 0)
		unlink(tmp);
	free(buf);
	return rc;
}

int saola__backup_write(const char *db, const char *to, saola__backup_info *info,
                        saola__err *e)
{
	saola__backup_info tmp;

	if (!info)
		info = &tmp;
	memset(info, 0, sizeof *info);
	if (saola__store_is_uri(db))
		return saola__err_set(e, SAOLA_MISUSE, "backup: %s", PG_BACKUP);
	if (backup(db, to, info, e) != 0)
		return reword(e, "backup: ", "");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Restore                                                             */

/* SQLite's own check of every page and index of the new database. */
static int check_integrity(const char *db, const char *path, saola__err *e)
{
	sqlite3 *c = NULL;
	char res[200];
	int rc = -1, opened = sqlite3_open_v2(db, &c, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK;

	if (opened)
		sqlite3_progress_handler(c, 1000, stop_check, NULL);
	if (!opened || query_text(c, "PRAGMA integrity_check", NULL, res, sizeof res) != 0)
		saola__err_set(e, SAOLA_CORRUPT, "%s: the database does not open: %s", path,
		               c ? sqlite3_errmsg(c) : "out of memory");
	else if (strcmp(res, "ok") != 0)
		saola__err_set(e, SAOLA_CORRUPT, "%s: the database fails SQLite's integrity check"
		               " (%s): the backup was made of a damaged database", path, res);
	else
		rc = 0;
	sqlite3_close(c);
	return rc;
}

/* Checks the database's epoch and latest sequence against the header's
 * (so that an edited header is found), then gives it a new epoch and
 * forgets the devices' lineages (epoch.h), in one write transaction. */
static int restored_state(saola__store *s, const char *path, const saola__backup_info *info,
                          saola__err *e)
{
	char *epoch = NULL;
	int64_t seq = 0;
	int same;

	if (s->ops->state_get(s, SAOLA__EPOCH_KEY, &epoch) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "%s: %s", path, s->ops->errmsg(s));
	/* As the backup read it: a malformed one was written as none. */
	same = strcmp(epoch && saola__backup_is_hex(epoch, SAOLA__EPOCH_LEN) ? epoch : "",
	              info->epoch) == 0;
	free(epoch);
	if (!same)
		return saola__err_set(e, SAOLA_CORRUPT, "%s: the database's epoch is not the"
		                      " header's: the header was edited", path);
	if (s->ops->latest_seq(s, &seq) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "%s: %s", path, s->ops->errmsg(s));
	if (seq != info->latest_seq)
		return saola__err_set(e, SAOLA_CORRUPT, "%s: the database's latest change is %lld,"
		                      " the header says %lld: the header was edited", path,
		                      (long long)seq, (long long)info->latest_seq);
	return saola__epoch_restored(s, e);
}

/* Refuses a database whose last connection left its WAL beside it (then
 * the file alone is not the whole database): SQLite moves the WAL into the
 * file and deletes it when the last connection closes. */
static int complete(const char *db, saola__err *e)
{
	char wal[PATH_MAX];

	if (with_suffix(wal, db, "-wal") != 0 || exists(wal))
		return saola__err_set(e, SAOLA_IO, "%s: SQLite left the database's WAL beside it", db);
	return 0;
}

/* Opens the new database with the store, which upgrades one made by an
 * older saola-server and refuses one made by a newer, and marks it
 * restored. */
static int mark_restored(const char *db, const char *path, const saola__backup_info *info,
                         saola__err *e)
{
	saola__store *s = NULL;
	char err[SAOLA__ERR_MAX];
	int rc, ok;

	if ((rc = saola__store_open(db, NULL, 0, &s, err, sizeof err)) != SAOLA_OK)
		return saola__err_set(e, rc, rc == SAOLA_TOONEW ? "%s: made by a newer saola-server"
		                      " than this one: restore it with that version or a later one"
		                      " (%.300s)" : "%s: the store does not open the database: %.300s",
		                      path, err);
	if (s->ops->write_begin(s, 1) != SAOLA_OK) {
		saola__err_set(e, SAOLA_ERROR, "%s: %s", path, s->ops->errmsg(s));
		saola__store_close(s);
		return -1;
	}
	ok = restored_state(s, path, info, e) == 0;
	if ((rc = s->ops->end(s, ok)) != SAOLA_OK && ok) {
		saola__err_set(e, rc, "%s: %s", path, s->ops->errmsg(s));
		ok = 0;
	}
	saola__store_close(s);
	return ok ? complete(db, e) : -1;
}

/* Whether a process has the database at db open: every SQLite connection
 * to a database in WAL mode holds a shared lock on its file for as long as
 * it is open, so an exclusive lock (locking_mode EXCLUSIVE, then a
 * transaction) is refused while a server serves it, even idle, and
 * granted once none does. A file SQLite cannot read is in no one's use. */
static int in_use(const char *db, int *used, saola__err *e)
{
	sqlite3 *c = NULL;
	int rc;

	*used = 0;
	if (sqlite3_open_v2(db, &c, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		rc = saola__err_set(e, SAOLA_IO, "%s: cannot open it to see whether a server uses"
		                    " it: %s", db, c ? sqlite3_errmsg(c) : "out of memory");
		sqlite3_close(c);
		return rc;
	}
	sqlite3_busy_timeout(c, 0);
	rc = sqlite3_exec(c, "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT", NULL,
	                  NULL, NULL);
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		*used = 1;
	else if (rc != SQLITE_OK && rc != SQLITE_NOTADB && rc != SQLITE_CORRUPT)
		saola__err_set(e, SAOLA_IO, "%s: cannot tell whether a server uses it: %s", db,
		               sqlite3_errmsg(c));
	sqlite3_close(c);
	return rc == SQLITE_OK || *used || rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT ? 0 : -1;
}

static int refuse_in_use(const char *db, saola__err *e)
{
	int used;

	if (in_use(db, &used, e) != 0)
		return -1;
	if (used)
		return saola__err_set(e, SAOLA_BUSY, "%s is in use (a saola-server serves it?):"
		                      " stop the server first", db);
	return 0;
}

/* Puts the complete new database tmp at db: over the one there (replace:
 * refused while in use; its mode kept, and run as root its owner, as
 * SQLite gives its journals the database's owner, so that the server's
 * user can still open it; its journals removed first so that SQLite never
 * replays them into the new file), or where none is. */
static int install(const char *tmp, const char *db, int replace, saola__err *e)
{
	struct stat sb;

	if (replace && stat(db, &sb) == 0 &&
	    (chmod(tmp, sb.st_mode & 07777) != 0 ||
	     (geteuid() == 0 && chown(tmp, sb.st_uid, sb.st_gid) != 0)))
		return saola__err_set(e, SAOLA_IO, "%s: %s", tmp, strerror(errno));
	if (replace && exists(db) && refuse_in_use(db, e) != 0)
		return -1;
	if (replace)
		remove_journals(db);
	if (place(tmp, db, replace, e) != 0)
		return -1;
	return sync_dir(db, e);
}

/* The restore: the header, then the database into db.tmp-XXXXXX (checked
 * as it comes), SQLite's check, the store's, the new epoch, then into
 * place. Without db, the backup is only checked. */
static int restore(const char *path, const char *db, int replace, saola__backup_info *info,
                   saola__err *e)
{
	char tmp[PATH_MAX] = "";
	FILE *in = NULL;
	int fd = -1, rc = -1;

	if (db && !replace && db_exists(db))
		return saola__err_set(e, SAOLA_CONFLICT, "%s exists: restore into a new path, or"
		                      " replace it with --force once no server serves it", db);
	if (db && replace && exists(db) && refuse_in_use(db, e) != 0)
		return -1;
	if (!(in = fopen(path, "rb")))
		return saola__err_set(e, errno == ENOENT ? SAOLA_NOTFOUND : SAOLA_IO, "%s: %s", path,
		                      strerror(errno));
	if (saola__backup_read_header(in, path, info, e) != 0 ||
	    (db && make_temp(db, "tmp", tmp, &fd, e) != 0))
		goto out;
	if (saola__backup_unpack(in, path, info, fd, e) != 0)
		goto out;
	if (fd >= 0 && close(fd) != 0) {
		fd = -1;
		saola__err_set(e, SAOLA_IO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	/* Flushed once the store wrote the new epoch, before it is renamed. */
	if (db && (check_integrity(tmp, path, e) != 0 || mark_restored(tmp, path, info, e) != 0 ||
	           sync_file(tmp, e) != 0 || install(tmp, db, replace, e) != 0))
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (*tmp) {
		remove_journals(tmp);
		if (rc != 0)
			unlink(tmp);
	}
	fclose(in);
	return rc;
}

static int restore_public(const char *path, const char *db, int replace,
                          saola__backup_info *info, saola__err *e)
{
	saola__backup_info tmp;

	if (!info)
		info = &tmp;
	memset(info, 0, sizeof *info);
	if (db && saola__store_is_uri(db))
		return saola__err_set(e, SAOLA_MISUSE, "restore: %s", PG_RESTORE);
	if (restore(path, db, replace, info, e) != 0)
		return reword(e, "restore: ", db ? "; nothing was restored" : "");
	return 0;
}

int saola__backup_restore(const char *path, const char *db, saola__backup_info *info,
                          saola__err *e)
{
	return restore_public(path, db, 0, info, e);
}

int saola__backup_replace(const char *path, const char *db, saola__backup_info *info,
                          saola__err *e)
{
	return restore_public(path, db, 1, info, e);
}

/* ------------------------------------------------------------------ */
/* The commands                                                        */

#define BACKUP_USAGE "saola-server backup --db PATH --to FILE\n" \
	"Backs up the SQLite database at PATH while the server serves: a consistent copy,\n" \
	"compressed, with its SHA-256, written to FILE (never replaced) (docs/backup.md)."

#define RESTORE_USAGE "saola-server restore --from FILE --db NEW [--force]\n" \
	"       saola-server restore --from FILE --check\n" \
	"Checks the backup FILE (its header, size, checksum, SQLite's integrity check) and\n" \
	"restores it as the new database NEW, with a new epoch: the devices send again what\n" \
	"they sent since the backup. NEW must not exist; --force replaces it once no server\n" \
	"serves it. --check checks FILE's header, size and checksum, and restores nothing\n" \
	"(docs/backup.md)."

/* A second signal ends the process at once. */
static void on_signal(int sig)
{
	if (saola__backup_stopping) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	saola__backup_stopping = 1;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* The first 12 hex digits of a checksum, enough to tell backups apart. */
#define SHA_SHOWN 12

static long long file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

int saola__cmd_backup(int argc, char **argv)
{
	static const char *const valued[] = {"--db", "--to", NULL};
	const char *db, *to;
	saola__backup_info info;
	saola__args a;
	saola__err e;

	if (saola__args_help(argc, argv)) {
		printf("usage: %s\n", BACKUP_USAGE);
		return 0;
	}
	if (saola__args_parse(argc, argv, valued, NULL, 0, "backup", &a) != 0 ||
	    !(db = saola__args_get(&a, "--db")) || !(to = saola__args_get(&a, "--to")) ||
	    !*db || !*to) {
		fprintf(stderr, "usage: %s\n", BACKUP_USAGE);
		return EXIT_USAGE;
	}
	catch_signals();
	if (saola__backup_write(db, to, &info, &e) != 0) {
		fprintf(stderr, "%s\n", e.message);
		return EXIT_FAIL;
	}
	printf("backup: %s: %lld bytes (database %lld bytes), sha256 %.*s..., latest seq %lld\n",
	       to, file_size(to), (long long)info.db_bytes, SHA_SHOWN, info.sha256,
	       (long long)info.latest_seq);
	return 0;
}

int saola__cmd_restore(int argc, char **argv)
{
	static const char *const valued[] = {"--from", "--db", NULL};
	static const char *const flags[] = {"--force", "--check", NULL};
	const char *from, *db;
	saola__backup_info info;
	saola__args a;
	saola__err e;
	int check, rc;

	if (saola__args_help(argc, argv)) {
		printf("usage: %s\n", RESTORE_USAGE);
		return 0;
	}
	if (saola__args_parse(argc, argv, valued, flags, 0, "restore", &a) != 0)
		goto usage;
	from = saola__args_get(&a, "--from");
	db = saola__args_get(&a, "--db");
	check = saola__args_get(&a, "--check") != NULL;
	if (!from || !*from || (check ? db != NULL || saola__args_get(&a, "--force") : !db || !*db))
		goto usage;
	catch_signals();
	rc = check ? saola__backup_restore(from, NULL, &info, &e)
	     : saola__args_get(&a, "--force") ? saola__backup_replace(from, db, &info, &e)
	     : saola__backup_restore(from, db, &info, &e);
	if (rc != 0) {
		fprintf(stderr, "%s\n", e.message);
		return EXIT_FAIL;
	}
	printf("restore: %s: %s (backed up %s: database %lld bytes, sha256 %.*s..., latest seq"
	       " %lld)%s\n", check ? from : db, check ? "intact: its size and checksum match its"
	       " header" : "restored",
	       info.created, (long long)info.db_bytes, SHA_SHOWN, info.sha256,
	       (long long)info.latest_seq, check ? "" : "; a new epoch: devices send again what"
	       " they sent since");
	return 0;
usage:
	fprintf(stderr, "usage: %s\n", RESTORE_USAGE);
	return EXIT_USAGE;
}
