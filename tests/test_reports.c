/* test_reports.c: the consolidation reports over a generated data set of
 * two survey years (eight communes of two districts, about 100,000
 * household records), every figure checked against counts made here
 * independently: SQL with json_extract over the stored records, and a
 * second, plain implementation of the year over year transitions; then the
 * same over HTTP (scopes, 403, CSV), and again after edits (incremental). */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <saola/core.h>
#include <saola/server.h>
#include "facts.h"
#include "form.h"
#include "gen.h"
#include "report.h"
#include "report_labels.h"
#include "saola_int.h"
#include "servertest.h"
#include "store.h"
#include "testutil.h"
#include "users.h"

#define Y0 2024
#define Y1 2025
#define PER_COMMUNE_DEFAULT 6500   /* x 8 communes x about 2 years */
#define BATCH 2000           /* households a transaction */

static const char *const communes[] = {
	"14383", "14404", "14407", "14410",   /* Nho Quan (372) */
	"14560", "14563", "14566", "14569",   /* Yên Khánh (375) */
};
#define NCOMMUNES ((int)(sizeof communes / sizeof communes[0]))

static struct {
	char dir[512], db[600], url[64];
	saola__store *store;
	sqlite3 *sql;            /* the store's handle, for reports and checks */
	saola_server *srv;
	char tok_commune[65], tok_district[65], tok_province[65], tok_admin[65];
	long records;
} F;

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
	F.records = tu_count(path, "SELECT count(*) FROM records");
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

static int setup(void **state)
{
	const char *n = getenv("SAOLA_TEST_REPORTS_PER_COMMUNE");
	int per_commune = n && atoi(n) > 0 ? atoi(n) : PER_COMMUNE_DEFAULT;
	char err[512], cache[1024], tmp[1100];
	saola_server_opts so;
	saola__err e;
	struct timespec t0, t1;
	int cached;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	snprintf(F.dir, sizeof F.dir, "%s", tu_tmpdir("reports"));
	snprintf(F.db, sizeof F.db, "%s/server.db", F.dir);
	/* Made (forms, units) and closed; then loaded, or copied from the
	 * copy an earlier run of the same data set left in the build folder. */
	if (saola__store_sqlite_open(F.db, SAOLA_TEST_SCHEMAS, 1, &F.store, err, sizeof err))
		fail_msg("open: %s", err);
	saola__store_close(F.store);
	cache_path(F.db, per_commune, cache, sizeof cache);
	cached = access(cache, R_OK) == 0;
	if (cached) {
		char wal[700];
		snprintf(wal, sizeof wal, "%s-wal", F.db);
		unlink(wal);
		assert_int_equal(copy_file(cache, F.db), 0);
		F.records = tu_count(F.db, "SELECT count(*) FROM records");
	} else {
		remove_stale_caches();
		load(F.db, per_commune);
		checkpoint(F.db);
		snprintf(tmp, sizeof tmp, "%s.%ld", cache, (long)getpid());
		if (copy_file(F.db, tmp) == 0)
			rename(tmp, cache);
		unlink(tmp);
	}
	if (saola__store_sqlite_open(F.db, SAOLA_TEST_SCHEMAS, 0, &F.store, err, sizeof err))
		fail_msg("open: %s", err);
	F.sql = saola__report_db(F.store);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "%s %ld records in %.1f s (%s)\n", cached ? "copied" : "loaded", F.records,
	        (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, cache);
	assert_int_equal(saola__user_create(F.store, "cuc-phuong", "commune", "14404",
	                                    F.tok_commune, &e), 0);
	assert_int_equal(saola__user_create(F.store, "yen-khanh", "district", "375",
	                                    F.tok_district, &e), 0);
	assert_int_equal(saola__user_create(F.store, "ninh-binh", "province", "37",
	                                    F.tok_province, &e), 0);
	assert_int_equal(saola__user_create(F.store, "root", "admin", NULL, F.tok_admin, &e), 0);
	memset(&so, 0, sizeof so);
	so.db_path = F.db;
	so.listen = "127.0.0.1:0";
	so.schemas = SAOLA_TEST_SCHEMAS;
	if (saola_server_start(&so, &F.srv) != SAOLA_OK)
		fail_msg("server: %s", saola_server_errmsg(F.srv));
	snprintf(F.url, sizeof F.url, "http://127.0.0.1:%d", saola_server_port(F.srv));
	return 0;
}

static void snapshot_free(void);

static int teardown(void **state)
{
	(void)state;
	saola_server_stop(F.srv);
	saola__store_close(F.store);
	snapshot_free();
	tu_rmtree(F.dir);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Independent counts: every live household record read once with SQLite's
 * own JSON functions (not the server's scanner), then counted here. */

typedef struct hrec {
	char id[64];
	char unit[4][128];     /* province, district, commune, village */
	char hid[128];         /* "" when none */
	int year, rank;        /* 1 poor, 2 near-poor, 3 average, 4 not poor, 5 other */
	unsigned ind, causes, support;
} hrec;

static hrec *R;
static size_t NR;

static unsigned code_bits(const char *json_list, const saola__label *list, int n)
{
	json_t *a = json_loads(json_list ? json_list : "[]", 0, NULL), *v;
	unsigned bits = 0;
	size_t i;
	int k;

	json_array_foreach(a, i, v)
		for (k = 0; k < n; k++)
			if (json_is_string(v) && strcmp(json_string_value(v), list[k].code) == 0)
				bits |= 1u << k;
	json_decref(a);
	return bits;
}

/* The columns a record is read with, after id, deleted and form_id. */
static void snapshot_sql(char *sql, size_t cap, const char *where)
{
	size_t len;
	int i;

	len = (size_t)snprintf(sql, cap, "SELECT id, deleted, form_id, province, district, commune,"
	        " json_extract(data, '$.village'), json_extract(data, '$.household_id'),"
	        " json_extract(data, '$.survey_year'), json_extract(data, '$.classification'),"
	        " json_extract(data, '$.poverty_causes'), json_extract(data, '$.support_received')");
	for (i = 0; i < SAOLA__N_INDICATORS; i++)
		len += (size_t)snprintf(sql + len, cap - len, ", json_extract(data, '$.d_%s')",
		                        saola__indicators[i].code);
	snprintf(sql + len, cap - len, " FROM records WHERE %s", where);
}

static void read_rec(sqlite3_stmt *st, hrec *h)
{
	const char *cls = (const char *)sqlite3_column_text(st, 9);
	int k;

	memset(h, 0, sizeof *h);
	snprintf(h->id, sizeof h->id, "%s", (const char *)sqlite3_column_text(st, 0));
	for (k = 0; k < 4; k++)
		snprintf(h->unit[k], sizeof h->unit[k], "%s", sqlite3_column_text(st, 3 + k)
		         ? (const char *)sqlite3_column_text(st, 3 + k) : "");
	snprintf(h->hid, sizeof h->hid, "%s",
	         sqlite3_column_text(st, 7) ? (const char *)sqlite3_column_text(st, 7) : "");
	h->year = sqlite3_column_int(st, 8);
	h->rank = !cls ? 5 : !strcmp(cls, "poor") ? 1 : !strcmp(cls, "near_poor") ? 2
	        : !strcmp(cls, "average") ? 3 : !strcmp(cls, "not_poor") ? 4 : 5;
	h->causes = code_bits((const char *)sqlite3_column_text(st, 10), saola__causes,
	                      SAOLA__N_CAUSES);
	h->support = code_bits((const char *)sqlite3_column_text(st, 11), saola__supports,
	                       SAOLA__N_SUPPORTS);
	for (k = 0; k < SAOLA__N_INDICATORS; k++)
		if (sqlite3_column_int(st, 12 + k))
			h->ind |= 1u << k;
}

static hrec *grow(void)
{
	static size_t cap;

	if (NR == cap || !R)
		assert_non_null(R = realloc(R, (cap = NR ? NR * 2 : 8192) * sizeof *R));
	return &R[NR++];
}

/* Reads every live household record into R. */
static void snapshot(void)
{
	char sql[2048];
	sqlite3_stmt *st;

	snapshot_free();
	snapshot_sql(sql, sizeof sql, "deleted = 0 AND form_id = 'household'");
	assert_int_equal(sqlite3_prepare_v2(F.sql, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		read_rec(st, grow());
	sqlite3_finalize(st);
}

/* Brings R up to date with the records changed after seq. */
static void snapshot_since(int64_t seq)
{
	char sql[2048];
	sqlite3_stmt *st;
	hrec h;
	size_t i;

	snapshot_sql(sql, sizeof sql, "seq > ?1");
	assert_int_equal(sqlite3_prepare_v2(F.sql, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, seq);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int live = !sqlite3_column_int(st, 1) &&
		           !strcmp((const char *)sqlite3_column_text(st, 2), "household");
		read_rec(st, &h);
		for (i = 0; i < NR && strcmp(R[i].id, h.id) != 0; i++)
			;
		if (i < NR && !live)
			R[i] = R[--NR];
		else if (i < NR)
			R[i] = h;
		else if (live)
			*grow() = h;
	}
	sqlite3_finalize(st);
}

static void snapshot_free(void)
{
	free(R);
	R = NULL;
	NR = 0;
}

static int in_area(const hrec *h, const char *area)
{
	return !area || strcmp(h->unit[strlen(area) == 2 ? 0 : strlen(area) == 3 ? 1 : 2], area) == 0;
}

/* How many live households of year (0: any) in area are of rank (0: any). */
static json_int_t count_of(int year, const char *area, int rank)
{
	json_int_t n = 0;
	size_t i;

	for (i = 0; i < NR; i++)
		n += (!year || R[i].year == year) && in_area(&R[i], area) && (!rank || R[i].rank == rank);
	return n;
}

static void row_key(char *buf, size_t len, const char *code, const char *village)
{
	snprintf(buf, len, "%s|%s", code && *code ? code : "-", village ? village : "");
}

static void unit_key_of(const hrec *h, int by, char *buf, size_t len)
{
	row_key(buf, len, h->unit[by == SAOLA__BY_VILLAGE ? 2 : by],
	        by == SAOLA__BY_VILLAGE ? h->unit[3] : NULL);
}

static void bump(json_t *row, const char *key, int yes)
{
	json_object_set_new(row, key, json_integer(json_integer_value(json_object_get(row, key)) +
	                                           (yes ? 1 : 0)));
}

/* The expected figures of one section ("summary", "indicators", "causes",
 * "coverage") by unit: {unit key: {key: n}}. */
static json_t *expect(const char *section, int by, int year, const char *area)
{
	json_t *out = json_object(), *row;
	char key[300];
	size_t i;
	int k;

	for (i = 0; i < NR; i++) {
		const hrec *h = &R[i];
		if (h->year != year || !in_area(h, area))
			continue;
		if ((!strcmp(section, "causes") && h->rank != 1) ||
		    (!strcmp(section, "coverage") && h->rank > 2))
			continue;
		unit_key_of(h, by, key, sizeof key);
		if (!(row = json_object_get(out, key)))
			json_object_set_new(out, key, row = json_object());
		if (!strcmp(section, "summary")) {
			bump(row, "households", 1);
			bump(row, "poor", h->rank == 1);
			bump(row, "near_poor", h->rank == 2);
			bump(row, "average", h->rank == 3);
			bump(row, "not_poor", h->rank == 4);
		} else if (!strcmp(section, "indicators")) {
			for (k = 0; k < SAOLA__N_INDICATORS; k++)
				bump(row, saola__indicators[k].code, h->ind & (1u << k));
		} else if (!strcmp(section, "causes")) {
			bump(row, "poor", 1);
			for (k = 0; k < SAOLA__N_CAUSES; k++)
				bump(row, saola__causes[k].code, h->causes & (1u << k));
			bump(row, "no_cause", h->causes == 0);
		} else {
			bump(row, "eligible", 1);
			bump(row, "poor", h->rank == 1);
			for (k = 0; k < SAOLA__N_SUPPORTS; k++)
				bump(row, saola__supports[k].code, h->support & (1u << k));
			bump(row, "any", h->support != 0);
		}
	}
	return out;
}

/* Every row of the report against want (rows missing from want must be
 * all zero), every row of want in the report, and the total the sum. */
static void check_rows(const json_t *rep, const json_t *want, const char *const *keys, int n,
                       const char *what)
{
	json_t *row, *unit, *w;
	char key[256];
	size_t i, matched = 0;
	int k;

	assert_non_null(rep);
	json_array_foreach(json_object_get(rep, "rows"), i, row) {
		unit = json_object_get(row, "unit");
		row_key(key, sizeof key, json_string_value(json_object_get(unit, "code")),
		        json_string_value(json_object_get(unit, "village")));
		w = json_object_get(want, key);
		matched += w != NULL;
		for (k = 0; k < n; k++) {
			json_int_t got = json_integer_value(json_object_get(row, keys[k]));
			json_int_t exp = w ? json_integer_value(json_object_get(w, keys[k])) : 0;
			if (!json_is_integer(json_object_get(row, keys[k])) || got != exp)
				fail_msg("%s: unit %s: %s is %lld, expected %lld", what, key, keys[k],
				         (long long)got, (long long)exp);
		}
	}
	if (matched != json_object_size(want))
		fail_msg("%s: %zu units in the report, %zu expected", what, matched,
		         json_object_size(want));
	for (k = 0; k < n; k++) {
		json_int_t sum = 0;
		const char *uk;
		json_object_foreach((json_t *)want, uk, w)
			sum += json_integer_value(json_object_get(w, keys[k]));
		if (json_integer_value(json_object_get(json_object_get(rep, "total"), keys[k])) != sum)
			fail_msg("%s: total %s is %lld, expected %lld", what, keys[k],
			         (long long)json_integer_value(json_object_get(json_object_get(rep, "total"),
			                                                       keys[k])), (long long)sum);
	}
}

static json_t *run(const char *name, int by, int year, const char *area, const char *scope,
                   const char *targets)
{
	saola__report_req rq;
	json_t *rep = NULL;
	saola__err e;

	memset(&rq, 0, sizeof rq);
	rq.reports = saola__report_bit(name);
	rq.by = by;
	rq.year = year;
	rq.area = area;
	rq.scope = scope;
	rq.targets = targets;
	rq.schemas = SAOLA_TEST_SCHEMAS;
	if (saola__report_run(F.sql, &rq, &rep, &e) != 0)
		fail_msg("report %s: %s", name, e.message);
	return rep;
}

/* Summary, indicators, causes and coverage of one level, year and area. */
static void check_yearly(int by, int year, const char *area)
{
	static const char *const sections[] = {"summary", "indicators", "causes", "coverage"};
	const char *keys[16];
	json_t *all = run("all", by, year, area, NULL, NULL), *reps = json_object_get(all, "reports");
	json_t *want, *row;
	char what[128];
	size_t r, s;
	int n = 0, k;

	for (s = 0; s < 4; s++) {
		if (s == 0) {
			static const char *const sk[] = {"households", "poor", "near_poor", "average",
				"not_poor"};
			for (n = 0; n < 5; n++)
				keys[n] = sk[n];
		} else if (s == 1) {
			for (n = 0; n < SAOLA__N_INDICATORS; n++)
				keys[n] = saola__indicators[n].code;
		} else if (s == 2) {
			keys[0] = "poor";
			for (k = 0; k < SAOLA__N_CAUSES; k++)
				keys[k + 1] = saola__causes[k].code;
			keys[k + 1] = "no_cause";
			n = k + 2;
		} else {
			keys[0] = "eligible";
			keys[1] = "poor";
			for (k = 0; k < SAOLA__N_SUPPORTS; k++)
				keys[k + 2] = saola__supports[k].code;
			keys[k + 2] = "any";
			n = k + 3;
		}
		snprintf(what, sizeof what, "%s by %s, %d, area %s", sections[s], saola__by_names[by],
		         year, area ? area : "all");
		want = expect(sections[s], by, year, area);
		check_rows(json_object_get(reps, sections[s]), want, keys, n, what);
		json_decref(want);
	}
	json_array_foreach(json_object_get(json_object_get(reps, "summary"), "rows"), r, row)
		assert_true(fabs(json_real_value(json_object_get(row, "poor_rate")) -
		                 (double)json_integer_value(json_object_get(row, "poor")) /
		                 (double)json_integer_value(json_object_get(row, "households"))) < 1e-6);
	json_decref(all);
}

/* ------------------------------------------------------------------ */
/* Independent transitions: the records with a household_id of both
 * years, sorted, and walked household by household. */

static int rec_cmp(const void *a, const void *b)
{
	const hrec *x = *(const hrec *const *)a, *y = *(const hrec *const *)b;
	int d = strcmp(x->unit[2], y->unit[2]);

	if (!d)
		d = strcmp(x->hid, y->hid);
	if (!d)
		d = y->year - x->year;   /* this year first */
	return d ? d : x->rank - y->rank;
}

static const char *const trans_keys[] = {
	"from_poor", "escaped_poverty_to_near_poor", "escaped_poverty_out", "poor_not_surveyed",
	"stayed_poor", "from_near_poor", "escaped_near_poverty_out", "near_poor_fell_into_poverty",
	"near_poor_not_surveyed", "stayed_near_poor", "newly_poor", "newly_near_poor",
	"not_surveyed", "new_households", "matched",
};
#define NTRANS ((int)(sizeof trans_keys / sizeof trans_keys[0]))

static json_t *expect_transitions(int by, const char *area)
{
	const hrec **r = calloc(NR + 1, sizeof *r);
	json_t *out = json_object();
	size_t n = 0, i, j;
	char key[300];

	assert_non_null(r);
	for (i = 0; i < NR; i++)
		if ((R[i].year == Y0 || R[i].year == Y1) && R[i].hid[0] && in_area(&R[i], area))
			r[n++] = &R[i];
	qsort(r, n, sizeof *r, rec_cmp);
	for (i = 0; i < n; i = j) {
		int last = 0, now = 0;   /* lowest rank of each year; 0: absent */
		json_t *row;
		for (j = i; j < n && !strcmp(r[j]->unit[2], r[i]->unit[2]) &&
		            !strcmp(r[j]->hid, r[i]->hid); j++) {
			int *slot = r[j]->year == Y1 ? &now : &last;
			if (!*slot || r[j]->rank < *slot)
				*slot = r[j]->rank;
		}
		/* r[i] is this year's record when there is one (sorted first). */
		unit_key_of(r[i], by, key, sizeof key);
		if (!(row = json_object_get(out, key)))
			json_object_set_new(out, key, row = json_object());
		bump(row, "from_poor", last == 1);
		bump(row, "escaped_poverty_to_near_poor", last == 1 && now == 2);
		bump(row, "escaped_poverty_out", last == 1 && now >= 3);
		bump(row, "poor_not_surveyed", last == 1 && !now);
		bump(row, "stayed_poor", last == 1 && now == 1);
		bump(row, "from_near_poor", last == 2);
		bump(row, "escaped_near_poverty_out", last == 2 && now >= 3);
		bump(row, "near_poor_fell_into_poverty", last == 2 && now == 1);
		bump(row, "near_poor_not_surveyed", last == 2 && !now);
		bump(row, "stayed_near_poor", last == 2 && now == 2);
		bump(row, "newly_poor", now == 1 && (last == 0 || last >= 3));
		bump(row, "newly_near_poor", now == 2 && (last == 0 || last >= 3));
		bump(row, "not_surveyed", last && !now);
		bump(row, "new_households", !last && now);
		bump(row, "matched", last && now);
	}
	free(r);
	return out;
}

static void check_transitions(int by, const char *area)
{
	json_t *rep = run("transitions", by, Y1, area, NULL, NULL), *want, *row, *t;
	char what[96];
	size_t i;

	snprintf(what, sizeof what, "transitions by %s, area %s", saola__by_names[by],
	         area ? area : "all");
	want = expect_transitions(by, area);
	check_rows(rep, want, trans_keys, NTRANS, what);
	json_array_foreach(json_object_get(rep, "rows"), i, row) {
		json_int_t p = json_integer_value(json_object_get(row, "from_poor"));
		assert_int_equal(p, json_integer_value(json_object_get(row, "escaped_poverty_to_near_poor"))
		                 + json_integer_value(json_object_get(row, "escaped_poverty_out"))
		                 + json_integer_value(json_object_get(row, "poor_not_surveyed"))
		                 + json_integer_value(json_object_get(row, "stayed_poor")));
	}
	/* Records without household_id: in the yearly figures, not here. */
	t = json_object_get(rep, "total");
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(
	        json_object_get(rep, "notes"), 0), "en")), "without household_id"));
	assert_int_equal(json_integer_value(json_object_get(t, "households")), count_of(Y1, area, 0));
	assert_true(json_integer_value(json_object_get(t, "without_id")) > 0);
	json_decref(want);
	json_decref(rep);
}

/* ------------------------------------------------------------------ */
/* Tests. */

static void test_scan(void **state)
{
	static const char good[] =
		"{\"members\":[{\"name\":\"a\\\"}]\\\\\",\"x\":[1,{\"y\":\"]{\"}]}],"
		"\"village\":\"Th\\u00f4n 3 \\\"A\\\"\",\"household_id\":\"h-1\","
		"\"survey_year\":2025,\"area\":\"urban\",\"d_water\":1,\"d_employment\":0,"
		"\"d_info_devices\":1.0,\"d_telecom\":true,\"classification\":\"near_poor\","
		"\"poverty_causes\":[\"illness\",\"unknown\",\"other\"],"
		"\"support_received\":[\"credit\"],\"d_other\":1}";
	static const char *const bad[] = {"", "[]", "{\"village\":\"x", "{\"a\":[1,2}",
		"{\"a\" 1}", "{\"a\":1"};
	saola__fact f;
	size_t i;

	(void)state;
	assert_int_equal(saola__facts_scan(good, strlen(good), &f), 0);
	assert_string_equal(f.village, "Thôn 3 \"A\"");
	assert_string_equal(f.household_id, "h-1");
	assert_int_equal(f.year, 2025);
	assert_int_equal(f.urban, 1);
	assert_int_equal(f.cls, SAOLA__CLASS_NEAR_POOR);
	assert_int_equal(f.ind, (1u << 8) | (1u << 10) | (1u << 11));
	assert_int_equal(f.causes, (1u << 4) | (1u << 8));
	assert_int_equal(f.support, 1u << 3);
	assert_int_equal(saola__facts_scan("{}", 2, &f), 0);
	assert_int_equal(f.cls, SAOLA__CLASS_NONE);
	assert_int_equal(f.urban, -1);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (saola__facts_scan(bad[i], strlen(bad[i]), &f) != -1)
			fail_msg("scan accepted %s", bad[i]);
}

static void test_yearly(void **state)
{
	int by;

	(void)state;
	snapshot();
	for (by = SAOLA__BY_PROVINCE; by <= SAOLA__BY_VILLAGE; by++) {
		check_yearly(by, Y0, NULL);
		check_yearly(by, Y1, NULL);
	}
	check_yearly(SAOLA__BY_COMMUNE, Y1, "372");
	check_yearly(SAOLA__BY_VILLAGE, Y1, "14404");
	/* One fact per live household; deleted records and other forms are not
	 * counted. */
	assert_int_equal(tu_count(F.db, "SELECT count(*) FROM facts"),
	                 tu_count(F.db, "SELECT count(*) FROM records WHERE deleted = 0 AND"
	                                " form_id = 'household'"));
	assert_int_equal(tu_count(F.db, "SELECT count(*) FROM facts WHERE record_id IN (SELECT id"
	                                " FROM records WHERE deleted = 1 OR form_id <> 'household')"),
	                 0);
}

static void test_transitions(void **state)
{
	int by;

	(void)state;
	for (by = SAOLA__BY_PROVINCE; by <= SAOLA__BY_VILLAGE; by++)
		check_transitions(by, NULL);
	check_transitions(SAOLA__BY_COMMUNE, "375");
	check_transitions(SAOLA__BY_VILLAGE, "14404");
}

static json_int_t poor_count(int year, const char *area)
{
	return count_of(year, area, 1);
}

static void test_progress(void **state)
{
	json_t *rep = run("progress", SAOLA__BY_DISTRICT, Y1, "37", NULL, NULL), *t, *row;
	json_int_t poor = poor_count(Y1, "37");
	char path[700];
	FILE *f;
	size_t i;

	(void)state;
	t = json_object_get(rep, "total");
	assert_int_equal(json_integer_value(json_object_get(rep, "baseline_year")), 2021);
	assert_int_equal(json_integer_value(json_object_get(t, "baseline_poor")), 7912);
	assert_string_equal(json_string_value(json_object_get(t, "baseline_source")), "targets");
	assert_int_equal(json_integer_value(json_object_get(t, "target_max_poor")), 2637);
	assert_int_equal(json_integer_value(json_object_get(t, "poor")), poor);
	assert_int_equal(json_integer_value(json_object_get(t, "reduction")), 7912 - poor);
	assert_true(json_is_true(json_object_get(t, "on_target")) == (poor <= 2637));
	json_array_foreach(json_object_get(rep, "rows"), i, row)   /* no district baselines */
		assert_true(json_is_null(json_object_get(row, "baseline_poor")));
	assert_int_equal(json_array_size(json_object_get(rep, "series")), 2);
	row = json_array_get(json_object_get(rep, "series"), 0);
	assert_int_equal(json_integer_value(json_object_get(row, "year")), Y0);
	assert_int_equal(json_integer_value(json_object_get(row, "poor")), poor_count(Y0, "37"));
	json_decref(rep);

	/* A baseline year with records: each unit's baseline is counted. */
	snprintf(path, sizeof path, "%s/targets.json", F.dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("{\"id\": \"t\", \"province\": \"37\", \"baseline_year\": 2024, \"target_year\": 2025,"
	      " \"poor_reduction\": \"1/2\", \"coverage_target\": 0.9}", f);
	fclose(f);
	rep = run("progress", SAOLA__BY_COMMUNE, Y1, "375", NULL, path);
	assert_int_equal(json_array_size(json_object_get(rep, "rows")), 4);
	json_array_foreach(json_object_get(rep, "rows"), i, row) {
		const char *code = json_string_value(json_object_get(json_object_get(row, "unit"), "code"));
		json_int_t base = poor_count(Y0, code);
		assert_string_equal(json_string_value(json_object_get(row, "baseline_source")), "records");
		assert_int_equal(json_integer_value(json_object_get(row, "baseline_poor")), base);
		assert_int_equal(json_integer_value(json_object_get(row, "target_max_poor")), base / 2);
		assert_int_equal(json_integer_value(json_object_get(row, "poor")), poor_count(Y1, code));
	}
	assert_int_equal(json_integer_value(json_object_get(json_object_get(rep, "total"),
	                                                    "baseline_poor")), poor_count(Y0, "375"));
	json_decref(rep);
	rep = run("coverage", SAOLA__BY_DISTRICT, Y1, NULL, NULL, path);
	assert_true(fabs(json_real_value(json_object_get(rep, "target_rate")) - 0.9) < 1e-9);
	json_decref(rep);
}

/* The saola-server command. */
static void test_cli(void **state)
{
	char cmd[2048], out[1 << 16], err[4096];
	json_t *v;

	(void)state;
#define SERVER SAOLA_TEST_BINDIR "/server/saola-server"
	snprintf(cmd, sizeof cmd, SERVER " report --db %s --area 14404 --year 2025", F.db);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 0);
	assert_non_null(strstr(out, "14404 Xã Cúc Phương / "));
	assert_non_null(strstr(out, "Tổng / Total"));
	snprintf(cmd, sizeof cmd, SERVER " report --db %s --by commune --report summary --format csv",
	         F.db);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 0);
	assert_memory_equal(out, "\xef\xbb\xbf" "level,code,name,village,households,", 37);
	assert_non_null(strstr(out, "commune,14404,Xã Cúc Phương,,"));
	snprintf(cmd, sizeof cmd, SERVER " report --db %s --by district --format json", F.db);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 0);
	v = tu_json(out);
	assert_string_equal(json_string_value(json_object_get(v, "report")), "all");
	assert_int_equal(json_array_size(json_object_get(json_object_get(json_object_get(v,
	                 "reports"), "summary"), "rows")), 2);
	json_decref(v);
	snprintf(cmd, sizeof cmd, SERVER " report --db %s --by town", F.db);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 2);
	snprintf(cmd, sizeof cmd, SERVER " report --db %s --area 1x", F.db);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 2);
	snprintf(cmd, sizeof cmd, SERVER " report --db %s --targets %s/none.json", F.db, F.dir);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 1);
	assert_non_null(strstr(err, "report: targets "));
	snprintf(cmd, sizeof cmd, SERVER " report --db %s/missing.db", F.dir);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 1);
	snprintf(cmd, sizeof cmd, SERVER " units load --db %s --schemas %s", F.db, SAOLA_TEST_SCHEMAS);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 0);
	assert_non_null(strstr(out, "loaded 152 units"));
}

static sv_resp get(const char *path, const char *token)
{
	return sv_http(F.url, "GET", path, token, NULL, NULL, 0, 0);
}

static long status_of(const char *path, const char *token)
{
	sv_resp r = get(path, token);
	long s = r.status;

	sv_resp_free(&r);
	return s;
}

/* Reports, households, conflicts and devices over HTTP, each scoped to
 * the caller's area. */
static void test_http(void **state)
{
	sv_resp r, c;
	json_t *row;
	char *line, *save = NULL;
	size_t i;
	int lines = 0;

	(void)state;
	r = get("/v1/reports/summary?by=commune&year=2025", F.tok_commune);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "rows")), 1);
	row = json_array_get(json_object_get(r.json, "rows"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(row, "unit"), "name")),
	                    "Xã Cúc Phương");
	assert_int_equal(json_integer_value(json_object_get(row, "households")),
	                 count_of(Y1, "14404", 0));
	sv_resp_free(&r);
	r = get("/v1/reports/all", F.tok_commune);     /* by village, the commune's only */
	assert_int_equal(r.status, 200);
	assert_string_equal(json_string_value(json_object_get(r.json, "by")), "village");
	json_array_foreach(json_object_get(json_object_get(json_object_get(r.json, "reports"),
	                                   "transitions"), "rows"), i, row)
		assert_string_equal(json_string_value(json_object_get(json_object_get(row, "unit"),
		                                                      "code")), "14404");
	sv_resp_free(&r);
	assert_int_equal(status_of("/v1/reports/summary?area=372", F.tok_commune), 403);
	assert_int_equal(status_of("/v1/reports/summary?area=14563", F.tok_commune), 403);
	assert_int_equal(status_of("/v1/reports/summary?area=14404", F.tok_district), 403);
	assert_int_equal(status_of("/v1/households.csv?area=372", F.tok_commune), 403);
	assert_int_equal(status_of("/v1/reports/summary?area=14563", F.tok_district), 200);
	assert_int_equal(status_of("/v1/reports/progress?area=14404", F.tok_province), 200);
	assert_int_equal(status_of("/v1/reports/summary", NULL), 401);
	assert_int_equal(status_of("/v1/reports/everything", F.tok_admin), 404);
	assert_int_equal(status_of("/v1/reports/summary?by=hamlet", F.tok_admin), 400);
	assert_int_equal(status_of("/v1/reports/summary?year=soon", F.tok_admin), 400);
	r = sv_http(F.url, "POST", "/v1/reports/summary", F.tok_admin, NULL, "{}", 2, 0);
	assert_int_equal(r.status, 405);
	sv_resp_free(&r);

	/* The CSV: a byte order mark, and the numbers of the JSON. */
	r = get("/v1/reports/summary.csv?by=commune&year=2024", F.tok_province);
	c = get("/v1/reports/summary?by=commune&year=2024", F.tok_province);
	assert_int_equal(r.status, 200);
	assert_memory_equal(r.body, "\xef\xbb\xbf" "level,code,name,village,households,poor,", 41);
	for (line = strtok_r(r.body + 3, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		char code[16] = "", name[128] = "";
		long households = -1, poor = -1;
		if (lines++ == 0 || strncmp(line, "total,", 6) == 0)
			continue;
		assert_int_equal(sscanf(line, "commune,%15[^,],%127[^,],,%ld,%ld", code, name,
		                        &households, &poor), 4);
		row = json_array_get(json_object_get(c.json, "rows"), (size_t)lines - 2);
		assert_string_equal(json_string_value(json_object_get(json_object_get(row, "unit"),
		                                                      "code")), code);
		assert_int_equal(json_integer_value(json_object_get(row, "households")), households);
		assert_int_equal(json_integer_value(json_object_get(row, "poor")), poor);
	}
	assert_int_equal(lines, NCOMMUNES + 2);
	sv_resp_free(&r);
	sv_resp_free(&c);

	r = get("/v1/households.csv?year=2025", F.tok_commune);
	assert_int_equal(r.status, 200);
	assert_memory_equal(r.body, "\xef\xbb\xbf" "record_id,household_id,", 26);
	for (lines = 0, i = 0; i < r.len; i++)
		lines += r.body[i] == '\n';
	assert_int_equal(lines - 1, count_of(Y1, "14404", 0));
	sv_resp_free(&r);

	/* Conflicts and devices of the caller's area only. */
	assert_int_equal(sqlite3_exec(F.sql,
	        "INSERT INTO conflicts(record_id, path, lost_value, lost_version, kept_value,"
	        " kept_version, stored_lost, at) SELECT id, 'head_name', '\"A\"', '[3, \"d1\"]',"
	        " '\"B\"', '[4, \"d2\"]', 0, '2025-10-01T00:00:00Z' FROM records WHERE deleted = 0"
	        " AND commune IN ('14404', '14563') GROUP BY commune;"
	        "INSERT INTO devices(origin, user_id, first_seen, last_sync) SELECT 'dev-' || name,"
	        " id, '2025-09-01T00:00:00Z', '2025-10-02T00:00:00Z' FROM users", NULL, NULL, NULL),
	        SQLITE_OK);
	r = get("/v1/conflicts?status=open", F.tok_commune);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "count")), 1);
	row = json_array_get(json_object_get(r.json, "conflicts"), 0);
	assert_string_equal(json_string_value(json_object_get(row, "commune")), "14404");
	assert_string_equal(json_string_value(json_object_get(row, "lost_value")), "A");
	sv_resp_free(&r);
	r = get("/v1/conflicts", F.tok_admin);
	assert_int_equal(json_integer_value(json_object_get(r.json, "count")), 2);
	sv_resp_free(&r);
	assert_int_equal(status_of("/v1/conflicts?status=maybe", F.tok_admin), 400);
	r = get("/v1/devices", F.tok_district);
	assert_int_equal(json_integer_value(json_object_get(r.json, "count")), 1);
	sv_resp_free(&r);
	r = get("/v1/devices", F.tok_province);
	assert_int_equal(json_integer_value(json_object_get(r.json, "count")), 3);
	sv_resp_free(&r);

	r = get("/v1/reports", F.tok_commune);
	assert_int_equal(json_array_size(json_object_get(r.json, "years")), 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "area"),
	                                                      "name")), "Xã Cúc Phương");
	sv_resp_free(&r);
	r = get("/", NULL);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "<html"));
	sv_resp_free(&r);
}

/* Edits, deletes, moves and new records: the next report catches up on
 * them alone, and its figures are right again. */
static void test_incremental(void **state)
{
	saola__facts_stats st;
	sqlite3_stmt *q;
	saola *db = NULL;
	saola_gen *g = saola_gen_new(77);
	saola_gen_opts o = {NULL, NULL, "14566", Y1};
	char err[256];
	int64_t before = tu_count(F.db, "SELECT max(seq) FROM records");
	int i, n = 0;

	(void)state;
	assert_int_equal(saola_open(F.db, 0, &db), SAOLA_OK);
	assert_int_equal(saola_begin(db), SAOLA_OK);
	assert_int_equal(sqlite3_prepare_v2(F.sql, "SELECT id, commune FROM records WHERE deleted = 0"
	        " AND form_id = 'household' AND commune IN ('14404', '14407') ORDER BY id LIMIT 90",
	        -1, &q, NULL), SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(q, 0);
		json_t *d = n < 50 ? json_pack("{s:i}", "income_per_capita", 100000)
		          : n < 70 ? NULL
		          : json_pack("{s:s, s:s}", "commune", "14410", "village", "Thôn Mới");
		if (d)
			assert_int_equal(saola_put(db, "household", id, d, NULL), SAOLA_OK);
		else
			assert_int_equal(saola_delete(db, id), SAOLA_OK);
		json_decref(d);
		n++;
	}
	sqlite3_finalize(q);
	for (i = 0; i < 30; i++) {
		json_t *h = saola_gen_household(g, &o);
		assert_int_equal(saola_put(db, "household", NULL, h, NULL), SAOLA_OK);
		json_decref(h);
	}
	assert_int_equal(saola_commit(db), SAOLA_OK);
	saola_close(db);
	saola_gen_free(g);
	assert_int_equal(n, 90);

	/* The catch-up reads the records changed since the last report, and
	 * only those. */
	assert_int_equal(saola__facts_refresh(F.sql, NULL, &st, err, sizeof err), 0);
	assert_int_equal(st.upserted, 50 + 20 + 30);
	assert_int_equal(st.rebuilt, 0);
	assert_int_equal(st.removed, 20);
	snapshot_since(before);
	check_yearly(SAOLA__BY_COMMUNE, Y1, NULL);
	check_yearly(SAOLA__BY_VILLAGE, Y1, "372");
	check_yearly(SAOLA__BY_DISTRICT, Y0, NULL);
	check_transitions(SAOLA__BY_COMMUNE, NULL);
	check_transitions(SAOLA__BY_VILLAGE, "14410");
	assert_int_equal(tu_count(F.db, "SELECT count(*) FROM facts"),
	                 tu_count(F.db, "SELECT count(*) FROM records WHERE deleted = 0 AND"
	                                " form_id = 'household'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_yearly),
		cmocka_unit_test(test_transitions),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_incremental),
	};

	return cmocka_run_group_tests_name("reports", tests, setup, teardown);
}
