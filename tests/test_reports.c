/* test_reports.c: the consolidation reports over a generated data set of
 * two survey years (eight communes of two districts, about 100,000
 * household records: support/reportdata.c), every figure checked against
 * counts made independently (support/reportcount.c: the records read
 * through db.h, their data parsed with jansson and counted in plain C,
 * transitions included); then the same over HTTP (scopes, 403, CSV), the
 * command line, and again after edits (the incremental catch-up). On
 * SQLite, or on PostgreSQL with SAOLA_TEST_STORE=pg (its twin
 * test_reports_pg; pgt_db). */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <saola/core.h>
#include <saola/server.h>
#include "audit.h"
#include "facts.h"
#include "gen.h"
#include "pgtest.h"
#include "report.h"
#include "report_labels.h"
#include "reportcount.h"
#include "reportdata.h"
#include "saola_int.h"
#include "servertest.h"
#include "store_sql.h"
#include "testutil.h"
#include "users.h"

#define Y0 RD_Y0
#define Y1 RD_Y1
#define PER_COMMUNE_DEFAULT 6500   /* x 8 communes x about 2 records */

static struct {
	char dir[512], path[600], url[64];
	const char *db;          /* the server database: path, or its PostgreSQL URI */
	saola__store *store;
	saola__db *sql;          /* the store's connection, for reports and checks */
	saola_server *srv;
	char tok_commune[65], tok_district[65], tok_province[65], tok_admin[65];
	char tok_surveyor[65];
	long records;
} F;

static int setup(void **state)
{
	const char *n = getenv("SAOLA_TEST_REPORTS_PER_COMMUNE");
	int per_commune = n && atoi(n) > 0 ? atoi(n) : PER_COMMUNE_DEFAULT;
	saola_server_opts so;
	char err[512];
	saola__err e;
	struct timespec t0, t1;
	int cached;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	snprintf(F.dir, sizeof F.dir, "%s", tu_tmpdir("reports"));
	snprintf(F.path, sizeof F.path, "%s/server.db", F.dir);
	F.db = pgt_db(F.path);
	/* Made (forms, units) and closed; then filled. */
	if (saola__store_open(F.db, SAOLA_TEST_SCHEMAS, 1, &F.store, err, sizeof err))
		fail_msg("open: %s", err);
	saola__store_close(F.store);
	F.store = NULL;
	cached = rd_dataset(F.db, per_commune, &F.records);
	if (saola__store_open(F.db, SAOLA_TEST_SCHEMAS, 0, &F.store, err, sizeof err))
		fail_msg("open: %s", err);
	F.sql = saola__store_db(F.store);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "%s %ld records in %.1f s\n", cached ? "copied (build folder)" : "made",
	        F.records, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	assert_int_equal(saola__user_create(F.store, "cuc-phuong", "commune", "14404",
	                                    F.tok_commune, &e), 0);
	assert_int_equal(saola__user_create(F.store, "yen-khanh", "district", "375",
	                                    F.tok_district, &e), 0);
	assert_int_equal(saola__user_create(F.store, "ninh-binh", "province", "37",
	                                    F.tok_province, &e), 0);
	assert_int_equal(saola__user_create(F.store, "root", "admin", NULL, F.tok_admin, &e), 0);
	assert_int_equal(saola__user_create(F.store, "surveyor", "surveyor", "14404",
	                                    F.tok_surveyor, &e), 0);
	memset(&so, 0, sizeof so);
	so.db_path = F.db;
	so.listen = "127.0.0.1:0";
	so.schemas = SAOLA_TEST_SCHEMAS;
	if (saola_server_start(&so, &F.srv) != SAOLA_OK)
		fail_msg("server: %s", saola_server_errmsg(F.srv));
	snprintf(F.url, sizeof F.url, "http://127.0.0.1:%d", saola_server_port(F.srv));
	return 0;
}

/* The first column of sql's first row (a count) read through the store's
 * connection, as tu_count() reads a SQLite file; -1 when the query fails or
 * gives no row. */
static long count(const char *sql)
{
	saola__dbstmt *st = NULL;
	long n = -1;

	if (saola__db_prepare(F.sql, sql, &st) == SAOLA_OK && saola__db_step(st) == SAOLA__DB_ROW)
		n = (long)saola__db_column_int(st, 0);
	saola__db_finalize(st);
	return n;
}

static int teardown(void **state)
{
	(void)state;
	saola_server_stop(F.srv);
	saola__store_close(F.store);
	rc_snapshot_free();
	tu_rmtree(F.dir);
	return 0;
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
		rc_row_key(key, sizeof key, json_string_value(json_object_get(unit, "code")),
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
	/* The data set's records are drafts (the loader stores them so), and
	 * the independent counts count every state: the reports count every
	 * state too. test_official checks the official (approved) figures. */
	rq.state = "all";
	if (saola__report_run(saola__store_db(F.store), &rq, &rep, &e) != 0)
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
		want = rc_expect(sections[s], by, year, area);
		check_rows(json_object_get(reps, sections[s]), want, keys, n, what);
		json_decref(want);
	}
	json_array_foreach(json_object_get(json_object_get(reps, "summary"), "rows"), r, row)
		assert_true(fabs(json_real_value(json_object_get(row, "poor_rate_surveyed")) -
		                 (double)json_integer_value(json_object_get(row, "poor")) /
		                 (double)json_integer_value(json_object_get(row, "households"))) < 1e-6);
	json_decref(all);
}


static void check_transitions(int by, const char *area)
{
	json_t *rep = run("transitions", by, Y1, area, NULL, NULL), *want, *row, *t;
	char what[96];
	size_t i;

	snprintf(what, sizeof what, "transitions by %s, area %s", saola__by_names[by],
	         area ? area : "all");
	want = rc_expect_transitions(by, Y0, Y1, area);
	check_rows(rep, want, rc_trans_keys, RC_NTRANS, what);
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
	assert_int_equal(json_integer_value(json_object_get(t, "households")), rc_count(Y1, area, 0));
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
	rc_snapshot(F.sql);
	for (by = SAOLA__BY_PROVINCE; by <= SAOLA__BY_VILLAGE; by++) {
		check_yearly(by, Y0, NULL);
		check_yearly(by, Y1, NULL);
	}
	check_yearly(SAOLA__BY_COMMUNE, Y1, "372");
	check_yearly(SAOLA__BY_VILLAGE, Y1, "14404");
	/* One fact per live household; deleted records and other forms are not
	 * counted. */
	assert_int_equal(count("SELECT count(*) FROM facts"),
	                 count("SELECT count(*) FROM records WHERE deleted = 0 AND"
	                       " form_id = 'household'"));
	assert_int_equal(count("SELECT count(*) FROM facts WHERE record_id IN (SELECT id"
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
	return rc_count(year, area, 1);
}

/* Progress on partial data (no households listed, no record approved):
 * the plan's baseline and target are shown, progress is not computed
 * (test_official checks complete data). */
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
	assert_string_equal(json_string_value(json_object_get(t, "status")), "not_enough_data");
	snprintf(path, sizeof path, "not enough data: 0 of %lld communes, households listed not known",
	         (long long)json_integer_value(json_object_get(json_object_get(rep, "completeness"),
	                                                       "communes")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(t, "status_text"),
	                    "en")), path);
	assert_true(json_is_null(json_object_get(t, "on_target")));
	assert_true(json_is_null(json_object_get(t, "progress")));
	assert_true(json_is_null(json_object_get(t, "reduction")));
	json_array_foreach(json_object_get(rep, "rows"), i, row) {   /* no district baselines */
		assert_true(json_is_null(json_object_get(row, "baseline_poor")));
		assert_string_equal(json_string_value(json_object_get(row, "status")),
		                    "not_enough_data");
	}
	assert_int_equal(json_array_size(json_object_get(rep, "series")), 2);
	row = json_array_get(json_object_get(rep, "series"), 0);
	assert_int_equal(json_integer_value(json_object_get(row, "year")), Y0);
	assert_int_equal(json_integer_value(json_object_get(row, "poor")), poor_count(Y0, "37"));
	json_decref(rep);

	/* A baseline year with records, not complete (no households listed,
	 * none approved): they do not replace the plan's baseline, and this
	 * plan gives none. */
	snprintf(path, sizeof path, "%s/targets.json", F.dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("{\"id\": \"t\", \"province\": \"37\", \"baseline_year\": 2023, \"target_year\": 2024,"
	      " \"poor_reduction\": \"1/2\", \"coverage_target\": 0.9}", f);
	fclose(f);
	rep = run("progress", SAOLA__BY_COMMUNE, Y1, "375", NULL, path);
	assert_int_equal(json_array_size(json_object_get(rep, "rows")), 4);
	json_array_foreach(json_object_get(rep, "rows"), i, row) {
		const char *code = json_string_value(json_object_get(json_object_get(row, "unit"), "code"));
		assert_true(json_is_null(json_object_get(row, "baseline_poor")));
		assert_string_equal(json_string_value(json_object_get(row, "status")),
		                    "not_enough_data");
		assert_int_equal(json_integer_value(json_object_get(row, "poor")), poor_count(Y1, code));
	}
	assert_true(json_is_null(json_object_get(json_object_get(rep, "total"), "baseline_poor")));
	json_decref(rep);
	rep = run("coverage", SAOLA__BY_DISTRICT, Y1, NULL, NULL, path);
	assert_true(fabs(json_real_value(json_object_get(rep, "target_rate")) - 0.9) < 1e-9);
	json_decref(rep);
}

/* How many units the shipped files hold, read from them. */
static int shipped_units(void)
{
	char out[8192], err[256], path[1400], *name, *save = NULL;
	json_error_t je;
	json_t *f;
	int n = 0;

	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "ls %s/units",
	                         SAOLA_TEST_SCHEMAS), 0);
	for (name = strtok_r(out, "\n", &save); name; name = strtok_r(NULL, "\n", &save)) {
		if (!strstr(name, ".json"))
			continue;
		snprintf(path, sizeof path, "%s/units/%s", SAOLA_TEST_SCHEMAS, name);
		assert_non_null(f = json_load_file(path, 0, &je));
		n += (int)json_array_size(json_object_get(f, "units"));
		json_decref(f);
	}
	return n;
}

/* The saola-server command. */
static void test_cli(void **state)
{
	static char out[1 << 21];
	char cmd[2048], err[4096];
	json_t *v;

	(void)state;
#define SERVER SAOLA_TEST_BINDIR "/server/saola-server"
	snprintf(cmd, sizeof cmd, SERVER " report --db '%s' --area 14404 --year %d", F.db, Y1);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 0);
	assert_non_null(strstr(out, "14404 Xã Cúc Phương / "));
	assert_non_null(strstr(out, "Tổng / Total"));
	snprintf(cmd, sizeof cmd, SERVER " report --db '%s' --by commune --report summary --format csv",
	         F.db);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 0);
	assert_memory_equal(out, "\xef\xbb\xbf" "level,code,name,village,households,", 37);
	assert_non_null(strstr(out, "commune,14404,Xã Cúc Phương,,"));
	snprintf(cmd, sizeof cmd, SERVER " report --db '%s' --by district --format json", F.db);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 0);
	v = tu_json(out);
	assert_string_equal(json_string_value(json_object_get(v, "report")), "all");
	assert_int_equal(json_array_size(json_object_get(json_object_get(json_object_get(v,
	                 "reports"), "summary"), "rows")), 2);
	json_decref(v);
	snprintf(cmd, sizeof cmd, SERVER " report --db '%s' --by town", F.db);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 2);
	snprintf(cmd, sizeof cmd, SERVER " report --db '%s' --area 1x", F.db);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 2);
	snprintf(cmd, sizeof cmd, SERVER " report --db '%s' --targets %s/none.json", F.db, F.dir);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 1);
	assert_non_null(strstr(err, "report: targets "));
	snprintf(cmd, sizeof cmd, SERVER " report --db %s/missing.db", F.dir);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 1);
	snprintf(cmd, sizeof cmd, SERVER " units load --db '%s' --schemas %s", F.db, SAOLA_TEST_SCHEMAS);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 0);
	snprintf(cmd, sizeof cmd, "loaded %d units", shipped_units());
	assert_non_null(strstr(out, cmd));
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
	r = get("/v1/reports/summary?by=commune&year=2024&state=all", F.tok_commune);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "rows")), 1);
	row = json_array_get(json_object_get(r.json, "rows"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(row, "unit"), "name")),
	                    "Xã Cúc Phương");
	assert_int_equal(json_integer_value(json_object_get(row, "households")),
	                 rc_count(Y1, "14404", 0));
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
	assert_int_equal(status_of("/v1/reports/summary", F.tok_surveyor), 403);
	assert_int_equal(status_of("/v1/conflicts", F.tok_surveyor), 403);
	assert_int_equal(status_of("/v1/reports/everything", F.tok_admin), 404);
	assert_int_equal(status_of("/v1/reports/summary?by=hamlet", F.tok_admin), 400);
	assert_int_equal(status_of("/v1/reports/summary?year=soon", F.tok_admin), 400);
	r = sv_http(F.url, "POST", "/v1/reports/summary", F.tok_admin, NULL, "{}", 2, 0);
	assert_int_equal(r.status, 405);
	sv_resp_free(&r);

	/* The CSV: a byte order mark, and the numbers of the JSON. */
	r = get("/v1/reports/summary.csv?by=commune&year=2023&state=all", F.tok_province);
	c = get("/v1/reports/summary?by=commune&year=2023&state=all", F.tok_province);
	assert_int_equal(r.status, 200);
	assert_memory_equal(r.body, "\xef\xbb\xbf" "level,code,name,village,households,listed,poor,",
	                    48);
	for (line = strtok_r(r.body + 3, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		char code[16] = "", name[128] = "";
		long households = -1, poor = -1;
		if (lines++ == 0 || strncmp(line, "total,", 6) == 0)
			continue;
		/* No households listed in the data set: listed is empty. */
		assert_int_equal(sscanf(line, "commune,%15[^,],%127[^,],,%ld,,%ld", code, name,
		                        &households, &poor), 4);
		row = json_array_get(json_object_get(c.json, "rows"), (size_t)lines - 2);
		assert_string_equal(json_string_value(json_object_get(json_object_get(row, "unit"),
		                                                      "code")), code);
		assert_int_equal(json_integer_value(json_object_get(row, "households")), households);
		assert_int_equal(json_integer_value(json_object_get(row, "poor")), poor);
	}
	assert_int_equal(lines, RD_NCOMMUNES + 2);
	sv_resp_free(&r);
	sv_resp_free(&c);

	r = get("/v1/households.csv?year=2024", F.tok_commune);
	assert_int_equal(r.status, 200);
	assert_memory_equal(r.body, "\xef\xbb\xbf" "record_id,household_id,", 26);
	for (lines = 0, i = 0; i < r.len; i++)
		lines += r.body[i] == '\n';
	assert_int_equal(lines - 1, rc_count(Y1, "14404", 0));
	sv_resp_free(&r);

	/* Conflicts and devices of the caller's area only: a conflict on one
	 * live record of each of two communes, a device for each user. */
	if (saola__db_exec(F.sql,
	        "INSERT INTO conflicts(record_id, path, lost_value, lost_version, kept_value,"
	        " kept_version, stored_lost, at) SELECT min(id), 'head_name', '\"A\"', '[3, \"d1\"]',"
	        " '\"B\"', '[4, \"d2\"]', 0, '2025-10-01T00:00:00Z' FROM records WHERE deleted = 0"
	        " AND commune IN ('14404', '14563') GROUP BY commune;"
	        "INSERT INTO devices(origin, user_id, first_seen, last_sync) SELECT 'dev-' || name,"
	        " id, '2025-09-01T00:00:00Z', '2025-10-02T00:00:00Z' FROM users") != SAOLA_OK)
		fail_msg("conflicts: %s", saola__db_errmsg(F.sql));
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
	r = get("/v1/devices", F.tok_province);   /* not the admin's: no area */
	assert_int_equal(json_integer_value(json_object_get(r.json, "count")), 4);
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
 * them alone, and its figures are right again. The edits are the server's
 * own (an officer's, through the store); the new records come from a
 * device (the store's apply). */
static void test_incremental(void **state)
{
	saola__audit_who who = {"officer", 0, "officer", NULL, NULL, NULL, NULL, NULL};
	saola__facts_stats st;
	saola__change_result res;
	saola__apply_ctx ctx;
	saola__user user;
	saola__dbstmt *q = NULL;
	saola__form *form = NULL;
	saola_gen *g = saola_gen_new(77);
	saola_gen_opts o = {NULL, NULL, "14566", Y1};
	saola__err e;
	char *ids[90];
	int64_t before = count("SELECT max(seq) FROM records");
	int i, n = 0;

	(void)state;
	assert_int_equal(saola__db_prepare(F.sql, "SELECT id FROM records WHERE deleted = 0"
	        " AND form_id = 'household' AND commune IN ('14404', '14407') ORDER BY id LIMIT 90",
	        &q), SAOLA_OK);
	while (saola__db_step(q) == SAOLA__DB_ROW)
		assert_non_null(ids[n++] = strdup(saola__db_column_text(q, 0)));
	saola__db_finalize(q);
	assert_int_equal(n, 90);
	assert_int_equal(F.store->ops->write_begin(F.store, 1), SAOLA_OK);
	for (i = 0; i < n; i++) {
		json_t *d = i < 50 ? json_pack("{s:i}", "income_per_capita", 100000)
		          : i < 70 ? json_pack("{s:b}", "_deleted", 1)
		          : json_pack("{s:s, s:s}", "commune", "14410", "village", "Thôn Mới");
		if (saola__records_write_own(F.store, ids[i], d, "officer", &who, NULL) != SAOLA_OK)
			fail_msg("edit %s: %s", ids[i], saola__db_errmsg(F.sql));
		json_decref(d);
		free(ids[i]);
	}
	memset(&user, 0, sizeof user);
	user.id = 1;
	snprintf(user.name, sizeof user.name, "surveyor");
	snprintf(user.role, sizeof user.role, "surveyor");
	snprintf(user.area, sizeof user.area, "14566");
	memset(&ctx, 0, sizeof ctx);
	ctx.device = "dev-incremental", ctx.user = &user, ctx.batch = "batch-incremental";
	ctx.now = "2025-10-03T00:00:00Z";
	assert_int_equal(saola__form_lookup(saola__store_forms_engine(F.store), "household", &form),
	                 SAOLA_OK);
	for (i = 0; i < 30; i++) {
		json_t *h = saola_gen_household(g, &o), *m, *change;
		char id[37];
		size_t k;
		assert_non_null(h);
		json_array_foreach(json_object_get(h, "members"), k, m) {
			char mid[24];
			snprintf(mid, sizeof mid, "%08zx", k + 1);
			json_object_set_new(m, "_id", json_string(mid));
		}
		assert_int_equal(saola__uuid(id), 0);
		assert_non_null(change = json_pack("{s:s, s:s, s:s, s:o, s:{s:i}}", "r", id, "f",
		                                   "household", "fv", saola__form_version(form), "d", h, "vs",
		                                   "_", 1));
		if (F.store->ops->apply(F.store, change, &ctx, NULL, &res) != SAOLA_OK)
			fail_msg("apply: %s", F.store->ops->errmsg(F.store));
		json_decref(change);
	}
	assert_int_equal(F.store->ops->end(F.store, 1), SAOLA_OK);
	saola_gen_free(g);

	/* The catch-up reads the records changed since the last report, and
	 * only those. */
	assert_int_equal(saola__facts_refresh(saola__store_db(F.store), NULL, &st, &e), 0);
	assert_int_equal(st.upserted, 50 + 20 + 30);
	assert_int_equal(st.rebuilt, 0);
	assert_int_equal(st.removed, 20);
	rc_snapshot_since(F.sql, before);
	check_yearly(SAOLA__BY_COMMUNE, Y1, NULL);
	check_yearly(SAOLA__BY_VILLAGE, Y1, "372");
	check_yearly(SAOLA__BY_DISTRICT, Y0, NULL);
	check_transitions(SAOLA__BY_COMMUNE, NULL);
	check_transitions(SAOLA__BY_VILLAGE, "14410");
	assert_int_equal(count("SELECT count(*) FROM facts"),
	                 count("SELECT count(*) FROM records WHERE deleted = 0 AND"
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
