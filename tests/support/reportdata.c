/* reportdata.c: the reports test's data set: generated households of two
 * survey years checked and computed by the store's forms engine and
 * written straight into a server database (SQLite or PostgreSQL) through
 * its store's connection by two processes, then a record of another form
 * added and a few deleted; on SQLite cached in the build folder. */
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "audit.h"
#include "form.h"
#include "gen.h"
#include "reportdata.h"
#include "saola_int.h"
#include "store_sql.h"
#include "testutil.h"

#define Y0 RD_Y0
#define Y1 RD_Y1
#define NCOMMUNES RD_NCOMMUNES
#define BATCH 2000           /* households a transaction */
#define communes rd_communes

const char *const rd_communes[RD_NCOMMUNES] = {
	"14383", "14404", "14407", "14410",   /* Nho Quan (372) */
	"14560", "14563", "14566", "14569",   /* Yên Khánh (375) */
};

/* ------------------------------------------------------------------ */
/* The data set, written straight into the server database through its
 * store's connection (db.h), so that it loads alike into SQLite and
 * PostgreSQL: each household checked and computed by the store's forms
 * engine (what a merge does), then stored as a record of one version. Two
 * processes share the work (a commune each in turn); each computes a batch
 * of households, then inserts it in one short write transaction. A record's
 * change sequence is given here, 2n + part + 1 for a part's nth record, so
 * that the two writers never take the same one. */

typedef struct loader {
	saola__store *s;
	saola__form *form;
	saola__params_src params;
	saola__dbstmt *ins;
	json_t *batch;          /* computed records waiting to be written */
	int part;
	long n;
} loader;

/* A failure in a loading process: said, and the process ends (no cmocka
 * here: its jumps belong to the parent). */
#define LOAD_CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "load: " __VA_ARGS__); \
	fputc('\n', stderr); _exit(1); } } while (0)

static const char insert_sql[] =
	"INSERT INTO records(id, form_id, form_version, data, versions, province, district,"
	" commune, created_at, updated_at, origin, seq) VALUES (?, 'household', ?, ?, ?, ?, ?, ?,"
	" '2025-10-01T00:00:00Z', '2025-10-01T00:00:00Z', 'loader', ?)";

static void put(loader *L, json_t *h)
{
	char err[256], *text;
	json_t *m, *doc = NULL;
	size_t i;

	json_array_foreach(json_object_get(h, "members"), i, m) {
		char mid[32];
		snprintf(mid, sizeof mid, "m%zu", i);
		json_object_set_new(m, "_id", json_string(mid));
	}
	LOAD_CHECK(saola__form_process(L->form, h, &L->params, NULL, &doc, err, sizeof err) ==
	           SAOLA_OK, "form: %s", err);
	/* Written out now, so that the transaction only inserts. */
	LOAD_CHECK((text = json_dumps(doc, JSON_COMPACT)) != NULL, "out of memory");
	LOAD_CHECK(json_array_append_new(L->batch, json_pack("{s:s, s:s?, s:s?, s:s?}", "data", text,
	           "province", json_string_value(json_object_get(doc, "province")),
	           "district", json_string_value(json_object_get(doc, "district")),
	           "commune", json_string_value(json_object_get(doc, "commune")))) == 0,
	           "out of memory");
	free(text);
	json_decref(doc);
}

static void flush(loader *L)
{
	saola__db *db = saola__store_db(L->s);
	json_t *doc;
	size_t i;
	int k;

	/* Not durable: test data in a temporary database. */
	LOAD_CHECK(L->s->ops->write_begin(L->s, 0) == SAOLA_OK, "begin: %s", saola__db_errmsg(db));
	json_array_foreach(L->batch, i, doc) {
		char id[48], version[64];
		int64_t seq = 2 * (int64_t)L->n + L->part + 1;
		snprintf(id, sizeof id, "%08lx-000%d-4000-8000-%012llx", L->n++, L->part,
		         (unsigned long long)seq);
		snprintf(version, sizeof version, "{\"_\":[%lld,\"loader\"]}", (long long)seq);
		saola__db_reset(L->ins);
		saola__db_bind_text(L->ins, 1, id, -1);
		saola__db_bind_text(L->ins, 2, saola__form_version(L->form), -1);
		saola__db_bind_text(L->ins, 3, json_string_value(json_object_get(doc, "data")), -1);
		saola__db_bind_text(L->ins, 4, version, -1);
		for (k = 0; k < 3; k++)
			saola__db_bind_text(L->ins, 5 + k, json_string_value(json_object_get(doc,
			                    k == 0 ? "province" : k == 1 ? "district" : "commune")), -1);
		saola__db_bind_int(L->ins, 8, seq);
		LOAD_CHECK(saola__db_step(L->ins) == SAOLA__DB_DONE, "store: %s", saola__db_errmsg(db));
	}
	LOAD_CHECK(L->s->ops->end(L->s, 1) == SAOLA_OK, "commit: %s", saola__db_errmsg(db));
	json_array_clear(L->batch);
}

/* One process's share: the communes c with c % 2 == part. Households of
 * Y0, most surveyed again in Y1 (a few not: moved, died or merged), a few
 * new in Y1, some without household_id, a few with two records in Y1. */
static void load_part(const char *db, int part, int per_commune)
{
	loader L;
	long hh = 0;
	int c, i;

	char err[512];
	saola *engine;

	memset(&L, 0, sizeof L);
	L.part = part;
	LOAD_CHECK(saola__store_open(db, NULL, 0, &L.s, err, sizeof err) == SAOLA_OK, "open: %s",
	           err);
	LOAD_CHECK((engine = saola__store_forms_engine(L.s)) != NULL, "no forms engine");
	LOAD_CHECK(saola__form_lookup(engine, "household", &L.form) == SAOLA_OK, "form");
	saola__params_source(engine, &L.params);
	LOAD_CHECK(saola__db_prepare(saola__store_db(L.s), insert_sql, &L.ins) == SAOLA_OK,
	           "prepare: %s", saola__db_errmsg(saola__store_db(L.s)));
	LOAD_CHECK((L.batch = json_array()) != NULL, "out of memory");
	for (c = part; c < NCOMMUNES; c += 2) {
		saola_gen_opts o0 = {NULL, NULL, communes[c], Y0}, o1 = {NULL, NULL, communes[c], Y1};
		saola_gen *g = saola_gen_new(20250901 + (uint64_t)c);
		LOAD_CHECK(g, "out of memory");
		saola_gen_set_household_ids(g, 1);
		for (i = 0; i < per_commune; i++) {
			json_t *h0 = saola_gen_household(g, &o0), *h1 = NULL;
			LOAD_CHECK(h0, "generator");
			if (saola_gen_below(g, 1000) >= 30)
				LOAD_CHECK(h1 = saola_gen_next_year(g, h0), "generator");
			if (saola_gen_below(g, 1000) < 20)
				json_object_del(h0, "household_id");
			if (h1 && saola_gen_below(g, 1000) < 20)
				json_object_del(h1, "household_id");
			put(&L, h0);
			if (h1) {
				put(&L, h1);
				if (saola_gen_below(g, 1000) < 5) {   /* a second record, poorer */
					json_object_set_new(h1, "income_per_capita", json_integer(400000));
					put(&L, h1);
				}
			}
			if (saola_gen_below(g, 1000) < 30) {
				json_t *h = saola_gen_household(g, &o1);
				put(&L, h);
				json_decref(h);
			}
			json_decref(h0);
			json_decref(h1);
			if (++hh % BATCH == 0)
				flush(&L);
		}
		saola_gen_free(g);
	}
	flush(&L);
	json_decref(L.batch);
	saola__db_finalize(L.ins);
	saola__store_close(L.s);
}

/* The first column of sql's first row on s's connection (a count). */
static int64_t first_int(saola__store *s, const char *sql)
{
	saola__dbstmt *st = NULL;
	int64_t v;

	if (saola__db_prepare(saola__store_db(s), sql, &st) != SAOLA_OK ||
	    saola__db_step(st) != SAOLA__DB_ROW)
		fail_msg("%s: %s", sql, saola__db_errmsg(saola__store_db(s)));
	v = saola__db_column_int(st, 0);
	saola__db_finalize(st);
	return v;
}

/* Moves the server's clock up to top, the highest change sequence given,
 * as if it had merged every loaded version: its own edits after this (the
 * deletions below, the test's) must win over them. Core's clock on SQLite
 * (the store's forms engine is its database), the sequence clock_seq on
 * PostgreSQL (store_records.c, clock_observe). */
static void observe(saola__store *s, int64_t top)
{
	saola__dbstmt *st = NULL;
	saola__db *db = saola__store_db(s);

	if (saola__db_kind(db) != SAOLA__DB_POSTGRES) {
		assert_int_equal(saola__observe(saola__store_forms_engine(s), top), SAOLA_OK);
		return;
	}
	assert_int_equal(saola__db_prepare(db, "SELECT setval('clock_seq', ?)", &st), SAOLA_OK);
	saola__db_bind_int(st, 1, top);
	if (saola__db_step(st) != SAOLA__DB_ROW)
		fail_msg("clock: %s", saola__db_errmsg(db));
	saola__db_finalize(st);
}

/* Loads the data set with two processes, then adds a record of another
 * form and deletes 1% (as the server's own edits). No connection is open
 * across the fork. */
static void load(const char *db, int per_commune)
{
	json_t *del = json_pack("{s:b}", "_deleted", 1);
	saola__audit_who who = {"officer", 0, "loader", NULL, NULL, NULL, NULL, NULL};
	saola__dbstmt *st = NULL;
	saola__store *s = NULL;
	char err[512], **ids = NULL;
	size_t n = 0, cap = 0, i;
	int64_t top;
	pid_t pid[2];
	int k, status;

	fflush(stderr);
	for (k = 0; k < 2; k++) {
		assert_true((pid[k] = fork()) >= 0);
		if (pid[k] == 0) {
			load_part(db, k, per_commune);
			_exit(0);
		}
	}
	for (k = 0; k < 2; k++) {
		assert_int_equal(waitpid(pid[k], &status, 0), pid[k]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	if (saola__store_open(db, NULL, 0, &s, err, sizeof err) != SAOLA_OK)
		fail_msg("store: %s", err);
	assert_int_equal(s->ops->write_begin(s, 0), SAOLA_OK);
	/* A record of another form: not a household. It takes the next change
	 * sequence. */
	top = first_int(s, "SELECT coalesce(max(seq), 0) FROM records") + 1;
	assert_int_equal(saola__db_prepare(saola__store_db(s), "INSERT INTO records(id, form_id,"
	        " form_version, data, versions, province, district, commune, created_at,"
	        " updated_at, origin, seq) SELECT 'not-a-household', 'quick_id', '2025.1', data,"
	        " versions, province, district, commune, created_at, updated_at, origin, ?"
	        " FROM records WHERE deleted = 0 ORDER BY id LIMIT 1", &st), SAOLA_OK);
	saola__db_bind_int(st, 1, top);
	if (saola__db_step(st) != SAOLA__DB_DONE)
		fail_msg("insert: %s", saola__db_errmsg(saola__store_db(s)));
	saola__db_finalize(st);
	observe(s, top);
	/* 1% deleted (one household record in a hundred, by id): never
	 * counted. */
	assert_int_equal(saola__db_prepare(saola__store_db(s), "SELECT id FROM records"
	                                   " WHERE form_id = 'household' ORDER BY id", &st),
	                 SAOLA_OK);
	for (i = 0; saola__db_step(st) == SAOLA__DB_ROW; i++) {
		if (i % 100 != 7)
			continue;
		if (n == cap)
			assert_non_null(ids = realloc(ids, (cap = cap ? cap * 2 : 1024) * sizeof *ids));
		assert_non_null(ids[n++] = strdup(saola__db_column_text(st, 0)));
	}
	saola__db_finalize(st);
	assert_non_null(del);
	for (i = 0; i < n; i++) {
		if (saola__records_write_own(s, ids[i], del, "loader", &who, NULL) != SAOLA_OK)
			fail_msg("delete %s: %s", ids[i], saola__db_errmsg(saola__store_db(s)));
		free(ids[i]);
	}
	free(ids);
	json_decref(del);
	assert_int_equal(s->ops->end(s, 1), SAOLA_OK);
	saola__store_close(s);
}

/* The data set's cache: a key that changes with the generator, the forms
 * and the size (the first households of two communes, computed), and the
 * file under the build folder that holds a loaded copy. */
static void cache_path(const char *db, int per_commune, char *out, size_t len)
{
	saola__store *s = NULL;
	saola__form *form = NULL;
	saola__params_src params;
	/* "2": the data set loaded through the store (db.h), its deletions
	 * the server's own edits. */
	uint64_t h = (14695981039346656037ULL ^ (uint64_t)per_commune) * 1099511628211ULL ^ '2';
	char err[512];
	int c;

	if (saola__store_open(db, NULL, 0, &s, err, sizeof err) != SAOLA_OK)
		fail_msg("store: %s", err);
	assert_int_equal(saola__form_lookup(saola__store_forms_engine(s), "household", &form),
	                 SAOLA_OK);
	saola__params_source(saola__store_forms_engine(s), &params);
	for (c = 0; c < NCOMMUNES; c += NCOMMUNES - 1) {
		saola_gen *g = saola_gen_new(20250901 + (uint64_t)c);
		saola_gen_opts o = {NULL, NULL, communes[c], Y0};
		json_t *hh, *doc = NULL;
		char *text, *p;
		saola_gen_set_household_ids(g, 1);
		hh = saola_gen_household(g, &o);
		json_object_set_new(json_array_get(json_object_get(hh, "members"), 0), "_id",
		                    json_string("m0"));
		assert_int_equal(saola__form_process(form, hh, &params, NULL, &doc, err, sizeof err),
		                 SAOLA_OK);
		assert_non_null(text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS));
		for (p = text; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		free(text);
		json_decref(doc);
		json_decref(hh);
		saola_gen_free(g);
	}
	saola__store_close(s);
	snprintf(out, len, "%s/tests/reports-data-%016llx.db", SAOLA_TEST_BINDIR,
	         (unsigned long long)h);
}

static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
	static char buf[1 << 16];
	size_t n;
	int rc = in && out ? 0 : -1;

	while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	if (in && ferror(in))
		rc = -1;
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		rc = -1;
	return rc;
}

/* Removes the copies of older data sets (another generator, form or size). */
static void remove_stale_caches(void)
{
	char dir[700], path[1400];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof dir, "%s/tests", SAOLA_TEST_BINDIR);
	if (!(d = opendir(dir)))
		return;
	while ((e = readdir(d)))
		if (strncmp(e->d_name, "reports-data-", 13) == 0) {
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			unlink(path);
		}
	closedir(d);
}

/* Folds the write-ahead log into the database file, so that the file
 * alone holds it all. */
static void checkpoint(const char *path)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
}

/* The records db holds, counted through its store. */
static long count_records(const char *db)
{
	saola__store *s = NULL;
	char err[512];
	long n;

	if (saola__store_open(db, NULL, 0, &s, err, sizeof err) != SAOLA_OK)
		fail_msg("store: %s", err);
	n = (long)first_int(s, "SELECT count(*) FROM records");
	saola__store_close(s);
	return n;
}

int rd_dataset(const char *db, int per_commune, long *records)
{
	char cache[1024], tmp[1100], wal[1100];
	int cached = 0;

	/* PostgreSQL: loaded each time (a fresh database per program). */
	if (saola__store_is_uri(db)) {
		load(db, per_commune);
		*records = count_records(db);
		return 0;
	}
	cache_path(db, per_commune, cache, sizeof cache);
	cached = access(cache, R_OK) == 0;
	if (cached) {
		snprintf(wal, sizeof wal, "%s-wal", db);
		unlink(wal);
		assert_int_equal(copy_file(cache, db), 0);
	} else {
		remove_stale_caches();
		load(db, per_commune);
		checkpoint(db);
		snprintf(tmp, sizeof tmp, "%s.%ld", cache, (long)getpid());
		if (copy_file(db, tmp) == 0)
			rename(tmp, cache);
		unlink(tmp);
	}
	*records = count_records(db);
	return cached;
}
