/* reportdata.c: the reports test's data set: generated households of two
 * survey years checked and computed by the core's form engine and written
 * straight into a server database by two processes, then a few deleted
 * and a record of another form added; cached in the build folder. */
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

#include "form.h"
#include "gen.h"
#include "reportdata.h"
#include "saola_int.h"
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
/* The data set, written straight into the server database: each household
 * checked and computed by the core's form engine (what saola_put does),
 * then stored as a record of one version. Two processes share the work
 * (a commune each in turn); each computes a batch of households, then
 * writes it in one short transaction. */

typedef struct loader {
	saola *core;
	saola__form *form;
	saola__params_src params;
	sqlite3 *db;
	json_t *batch;          /* computed records waiting to be written */
	int part;
	long n;
} loader;

/* A failure in a loading process: said, and the process ends (no cmocka
 * here: its jumps belong to the parent). */
#define LOAD_CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "load: " __VA_ARGS__); \
	fputc('\n', stderr); _exit(1); } } while (0)

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
	sqlite3_stmt *ins = NULL, *max = NULL;
	json_t *doc;
	int64_t seq = 0;
	size_t i;
	int k;

	LOAD_CHECK(sqlite3_exec(L->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK, "begin: %s",
	           sqlite3_errmsg(L->db));
	LOAD_CHECK(sqlite3_prepare_v2(L->db, "SELECT coalesce(max(seq), 0) FROM records", -1, &max,
	                              NULL) == SQLITE_OK && sqlite3_step(max) == SQLITE_ROW, "seq");
	seq = sqlite3_column_int64(max, 0);
	sqlite3_finalize(max);
	LOAD_CHECK(sqlite3_prepare_v2(L->db, "INSERT INTO records(id, form_id, form_version,"
	        " data, versions, province, district, commune, created_at, updated_at, origin, seq)"
	        " VALUES (?1, 'household', ?2, ?3, ?4, ?5, ?6, ?7, '2025-10-01T00:00:00Z',"
	        " '2025-10-01T00:00:00Z', 'loader', ?8)", -1, &ins, NULL) == SQLITE_OK, "prepare");
	json_array_foreach(L->batch, i, doc) {
		char id[48], version[64];
		seq++;
		snprintf(id, sizeof id, "%08lx-000%d-4000-8000-%012llx", L->n++, L->part,
		         (unsigned long long)seq);
		snprintf(version, sizeof version, "{\"_\":[%lld,\"loader\"]}", (long long)seq);
		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 2, saola__form_version(L->form), -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, json_string_value(json_object_get(doc, "data")), -1,
		                  SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, version, -1, SQLITE_TRANSIENT);
		for (k = 0; k < 3; k++)
			sqlite3_bind_text(ins, 5 + k, json_string_value(json_object_get(doc,
			                  k == 0 ? "province" : k == 1 ? "district" : "commune")), -1,
			                  SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins, 8, seq);
		LOAD_CHECK(sqlite3_step(ins) == SQLITE_DONE, "store: %s", sqlite3_errmsg(L->db));
	}
	sqlite3_finalize(ins);
	LOAD_CHECK(sqlite3_exec(L->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK, "commit: %s",
	           sqlite3_errmsg(L->db));
	json_array_clear(L->batch);
}

/* One process's share: the communes c with c % 2 == part. Households of
 * Y0, most surveyed again in Y1 (a few not: moved, died or merged), a few
 * new in Y1, some without household_id, a few with two records in Y1. */
static void load_part(const char *path, int part, int per_commune)
{
	loader L;
	long hh = 0;
	int c, i;

	memset(&L, 0, sizeof L);
	L.part = part;
	LOAD_CHECK(saola_open(path, 0, &L.core) == SAOLA_OK, "open");
	LOAD_CHECK(saola__form_lookup(L.core, "household", &L.form) == SAOLA_OK, "form");
	saola__params_source(L.core, &L.params);
	LOAD_CHECK(sqlite3_open(path, &L.db) == SQLITE_OK, "open");
	sqlite3_busy_timeout(L.db, 120000);
	/* Test data in a temporary folder: no flush to disk on each commit. */
	sqlite3_exec(L.db, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
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
	sqlite3_close(L.db);
	saola_close(L.core);
}

/* Loads the data set with two processes, then deletes 1% (by the core)
 * and adds a record of another form. No connection is open across the
 * fork. */
static void load(const char *path, int per_commune)
{
	pid_t pid[2];
	sqlite3_stmt *st;
	sqlite3 *db;
	saola *core = NULL;
	int k, status;

	fflush(stderr);
	for (k = 0; k < 2; k++) {
		assert_true((pid[k] = fork()) >= 0);
		if (pid[k] == 0) {
			load_part(path, k, per_commune);
			_exit(0);
		}
	}
	for (k = 0; k < 2; k++) {
		assert_int_equal(waitpid(pid[k], &status, 0), pid[k]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	/* Every stored change ticks the clock. */
	assert_int_equal(sqlite3_exec(db, "INSERT OR REPLACE INTO meta(key, value) SELECT 'clock',"
	                              " max(seq) FROM records", NULL, NULL, NULL), SQLITE_OK);
	/* 1% deleted: never counted. */
	assert_int_equal(saola_open(path, 0, &core), SAOLA_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id FROM records WHERE rowid % 100 = 7",
	                                    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(saola_begin(core), SAOLA_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		assert_int_equal(saola_delete(core, (const char *)sqlite3_column_text(st, 0)), SAOLA_OK);
	sqlite3_finalize(st);
	assert_int_equal(saola_commit(core), SAOLA_OK);
	saola_close(core);
	/* A record of another form: not a household. It takes the next tick of
	 * the clock, as every stored change does. */
	assert_int_equal(sqlite3_exec(db, "UPDATE meta SET value = value + 1 WHERE key = 'clock';"
	        "INSERT INTO records(id, form_id, form_version, data, versions, province, district,"
	        " commune, created_at, updated_at, origin, seq)"
	        " SELECT 'not-a-household', 'quick_id', '2025.1', data, versions, province, district,"
	        " commune, created_at, updated_at, origin, (SELECT value FROM meta WHERE key = 'clock')"
	        " FROM records WHERE deleted = 0 LIMIT 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* The data set's cache: a key that changes with the generator, the forms
 * and the size (the first households of two communes, computed), and the
 * file under the build folder that holds a loaded copy. */
static void cache_path(const char *db, int per_commune, char *out, size_t len)
{
	saola *core = NULL;
	saola__form *form = NULL;
	saola__params_src params;
	uint64_t h = 14695981039346656037ULL ^ (uint64_t)per_commune;
	int c;

	assert_int_equal(saola_open(db, 0, &core), SAOLA_OK);
	assert_int_equal(saola__form_lookup(core, "household", &form), SAOLA_OK);
	saola__params_source(core, &params);
	for (c = 0; c < NCOMMUNES; c += NCOMMUNES - 1) {
		saola_gen *g = saola_gen_new(20250901 + (uint64_t)c);
		saola_gen_opts o = {NULL, NULL, communes[c], Y0};
		json_t *hh, *doc = NULL;
		char err[256], *text, *p;
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
	saola_close(core);
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

int rd_dataset(const char *db, int per_commune, long *records)
{
	char cache[1024], tmp[1100], wal[1100];
	int cached;

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
	*records = tu_count(db, "SELECT count(*) FROM records");
	return cached;
}
