/* testutil.c: temporary folders, content hashes and command runners for the
 * test programs. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>
#include "testutil.h"

const char *tu_tmpdir(const char *tag)
{
	static char path[512];
	const char *base = getenv("TMPDIR");

	snprintf(path, sizeof path, "%s/saola-%s-XXXXXX", base && *base ? base : "/tmp", tag);
	assert_non_null(mkdtemp(path));
	return path;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

void tu_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *tu_path(const char *dir, const char *name)
{
	static char bufs[8][1024];
	static int next;
	char *b = bufs[next++ % 8];

	snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
	return b;
}

saola *tu_open(const char *path, int shipped)
{
	saola *db = NULL;
	int rc = saola_open(path, SAOLA_OPEN_CREATE, &db);

	if (rc != SAOLA_OK)
		fail_msg("open %s: %s", path, saola_errmsg(db));
	rc = saola_forms_load_dir(db, shipped ? SAOLA_TEST_SCHEMAS
	                                      : SAOLA_TEST_DATA "/schemas", NULL);
	if (rc != SAOLA_OK)
		fail_msg("load forms: %s", saola_errmsg(db));
	return db;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void tu_load_folder(saola *db, const char *dir)
{
	char *names[64], path[1024];
	struct dirent *e;
	size_t n = 0, i;
	DIR *d = opendir(dir);

	if (!d)
		fail_msg("%s: cannot open", dir);
	while ((e = readdir(d)) && n < 64) {
		size_t l = strlen(e->d_name);
		if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0)
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof names[0], cmp_names);
	for (i = 0; i < n; i++) {
		FILE *f;
		char *text;
		long len;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		f = fopen(path, "rb");
		if (!f)
			fail_msg("%s: cannot read", path);
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		fseek(f, 0, SEEK_SET);
		text = calloc(1, (size_t)len + 1);
		if (!text || fread(text, 1, (size_t)len, f) != (size_t)len)
			fail_msg("%s: cannot read", path);
		fclose(f);
		if (saola_form_load(db, text, NULL) != SAOLA_OK)
			fail_msg("%s: %s", path, saola_errmsg(db));
		free(text);
		free(names[i]);
	}
}

saola *tu_open_fixture(const char *path)
{
	saola *db = NULL;

	if (saola_open(path, SAOLA_OPEN_CREATE, &db) != SAOLA_OK)
		fail_msg("open %s: %s", path, saola_errmsg(db));
	tu_load_folder(db, SAOLA_TEST_SCHEMAS "/standards");
	tu_load_folder(db, SAOLA_TEST_DATA "/units");
	tu_load_folder(db, SAOLA_TEST_SCHEMAS "/forms");
	return db;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--) {
		h ^= *c++;
		h *= 1099511628211ULL;
	}
	return h;
}

uint64_t tu_content_hash(const char *db_path)
{
	static const char *const queries[] = {
		"SELECT id, form_id, form_version, data, versions, deleted, state FROM records ORDER BY id",
		"SELECT seq, record_id, op, changes, version, base FROM outbox ORDER BY seq",
		"SELECT key, value FROM sync_state ORDER BY key",
		"SELECT key, value FROM meta ORDER BY key",
	};
	sqlite3 *db;
	uint64_t h = 14695981039346656037ULL;
	size_t q;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		fail_msg("hash: cannot open %s", db_path);
	for (q = 0; q < sizeof queries / sizeof queries[0]; q++) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, queries[q], -1, &st, NULL) != SQLITE_OK)
			fail_msg("hash: %s", sqlite3_errmsg(db));
		while (sqlite3_step(st) == SQLITE_ROW) {
			int c, n = sqlite3_column_count(st);
			for (c = 0; c < n; c++) {
				const void *b = sqlite3_column_blob(st, c);
				h = fnv(h, b ? b : "", (size_t)sqlite3_column_bytes(st, c));
				h = fnv(h, "|", 1);
			}
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return h;
}

long tu_count(const char *db_path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long n = -1;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(db); /* a failed open still has a handle */
		return -1;
	}
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = (long)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return n;
}

char *tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n = -1;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		fail_msg("%s: cannot find its size", path);
	if (!(p = malloc((size_t)n + 1)))
		fail_msg("%s: out of memory", path);
	if (fread(p, 1, (size_t)n, f) != (size_t)n)
		fail_msg("%s: cannot read it", path);
	fclose(f);
	p[n] = '\0';
	*len = (size_t)n;
	return p;
}

json_t *tu_json(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, 0, &err);

	if (!v)
		fail_msg("bad test JSON: %s: %s", err.text, text);
	return v;
}

static void slurp(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;
	char sink[4096];

	while ((r = read(fd, n + 1 < cap ? buf + n : sink,
	                 n + 1 < cap ? cap - 1 - n : sizeof sink)) > 0 ||
	       (r < 0 && errno == EINTR))
		if (r > 0 && n + 1 < cap)
			n += (size_t)r;
	if (cap)
		buf[n < cap ? n : cap - 1] = '\0';
}

int tu_runf(char *out, size_t outcap, char *err, size_t errcap, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return tu_run(cmd, out, outcap, err, errcap);
}

int tu_run(const char *cmd, char *out, size_t outcap, char *err, size_t errcap)
{
	char ofile[] = "/tmp/saola-out-XXXXXX", efile[] = "/tmp/saola-err-XXXXXX";
	char *full;
	int ofd = mkstemp(ofile), efd = mkstemp(efile), st;
	size_t len = strlen(cmd) + 2 * sizeof ofile + 32;

	assert_true(ofd >= 0 && efd >= 0);
	full = malloc(len);
	assert_non_null(full);
	snprintf(full, len, "(%s) >%s 2>%s", cmd, ofile, efile);
	st = system(full);
	free(full);
	if (out)
		slurp(ofd, out, outcap);
	if (err)
		slurp(efd, err, errcap);
	close(ofd);
	close(efd);
	unlink(ofile);
	unlink(efile);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* A cross-build's tests run its programs under this emulator (ctest's,
 * CMAKE_CROSSCOMPILING_EMULATOR; "": none). */
#ifndef SAOLA_TEST_EMULATOR
#define SAOLA_TEST_EMULATOR ""
#endif

const char *tu_bin(const char *name)
{
	static char path[1024];
	const char *emu = SAOLA_TEST_EMULATOR;

	if (strcmp(name, "saola") == 0)
		snprintf(path, sizeof path, "%s%s%s/cli/saola", emu, *emu ? " " : "",
		         SAOLA_TEST_BINDIR);
	else
		snprintf(path, sizeof path, "%s%s%s/tools/%s", emu, *emu ? " " : "",
		         SAOLA_TEST_BINDIR, name);
	return path;
}
