/* test_official.c: figures an officer can sign (issue 12): official
 * figures count approved households and show the rest in progress; rates
 * over households listed beside rates over surveyed; the completeness of
 * an area; progress only when coverage reaches the plan's threshold; the
 * baseline from records only when the baseline year is complete; the
 * households listed loaded all or nothing; the official lists with names
 * by the privacy rule; the CSV formula guard. Each over small hand-made
 * data sets (support/reportfix.c) whose expected figures the test counts
 * itself. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <saola/core.h>
#include <saola/server.h>
#include "lists.h"
#include "report.h"
#include "reportfix.h"
#include "servertest.h"
#include "db_sqlite.h"
#include "store.h"
#include "store_sqlite.h"
#include "testutil.h"
#include "users.h"

#define YEAR 2024
#define REVIEW_DAY "2024-11-01"   /* no standard gives one: units_map.h */
#define MAXC 200

static struct {
	char dir[512], db[600], url[64], targets[700];
	const char *schemas;
	saola__store *store;
	sqlite3 *sql;
	saola_server *srv;
	char tok_commune[65], tok_district[65], tok_other[65], tok_surveyor[65];
	char communes[MAXC][8];
	int ncommunes;
} F;

static int setup(void **state)
{
	saola_server_opts so;
	char err[512];
	saola__err e;

	(void)state;
	snprintf(F.dir, sizeof F.dir, "%s", tu_tmpdir("official"));
	snprintf(F.db, sizeof F.db, "%s/server.db", F.dir);
	F.schemas = rf_schemas(F.dir);
	if (saola__store_sqlite_open(F.db, F.schemas, 1, &F.store, err, sizeof err))
		fail_msg("open: %s", err);
	F.sql = saola__db_sqlite(saola__store_db(F.store));
	rf_communes(REVIEW_DAY, F.communes, MAXC, &F.ncommunes);
	assert_int_equal(saola__user_create(F.store, "cuc-phuong", "commune", "14404",
	                                    F.tok_commune, &e), 0);
	assert_int_equal(saola__user_create(F.store, "nho-quan", "district", "372",
	                                    F.tok_district, &e), 0);
	assert_int_equal(saola__user_create(F.store, "yen-khanh", "district", "375",
	                                    F.tok_other, &e), 0);
	assert_int_equal(saola__user_create(F.store, "surveyor", "surveyor", "14404",
	                                    F.tok_surveyor, &e), 0);
	memset(&so, 0, sizeof so);
	so.db_path = F.db;
	so.listen = "127.0.0.1:0";
	so.schemas = F.schemas;
	if (saola_server_start(&so, &F.srv) != SAOLA_OK)
		fail_msg("server: %s", saola_server_errmsg(F.srv));
	snprintf(F.url, sizeof F.url, "http://127.0.0.1:%d", saola_server_port(F.srv));
	snprintf(F.targets, sizeof F.targets, "%s/targets.json", F.dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	saola_server_stop(F.srv);
	saola__store_close(F.store);
	tu_rmtree(F.dir);
	return 0;
}

/* A targets file: baseline of the province, completeness as the plan's. */
static void targets(long baseline)
{
	FILE *f = fopen(F.targets, "w");

	assert_non_null(f);
	fprintf(f, "{\"id\": \"t\", \"province\": \"37\", \"baseline_year\": 2021,"
	        " \"target_year\": 2025, \"poor_reduction\": \"2/3\","
	        " \"completeness\": {\"households\": 0.95, \"communes\": 1.0},"
	        " \"baseline\": {\"37\": {\"poor\": %ld}}}", baseline);
	fclose(f);
}

static json_t *run(const char *name, int by, const char *area, const char *state)
{
	saola__report_req rq;
	json_t *rep = NULL;
	saola__err e;

	memset(&rq, 0, sizeof rq);
	rq.reports = saola__report_bit(name);
	rq.by = by;
	rq.year = YEAR;
	rq.area = area;
	rq.state = state;
	rq.targets = F.targets;
	rq.schemas = F.schemas;
	if (saola__report_run(saola__store_db(F.store), &rq, &rep, &e) != 0)
		fail_msg("report %s: %s", name, e.message);
	return rep;
}

static json_int_t jint(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void add(const char *id, int year, const char *commune, const char *village,
                const char *hid, const char *cls, const char *state, const char *name)
{
	rf_rec r = {id, year, commune, village, hid, cls, state, name};
	rf_add(F.sql, &r);
}

/* ------------------------------------------------------------------ */

/* The demo's case: 3 communes of the province surveyed, every commune's
 * households listed: completeness says so, rates are over listed
 * households, and progress is not computed. */
static void test_partial(void **state)
{
	static const char *const three[] = {"14404", "14407", "14410"};
	long listed = 0, surveyed = 0, poor404 = 0, hh404 = 0;
	char id[32], want[160];
	json_t *rep, *t, *row, *comp;
	size_t i;
	int c, k;

	(void)state;
	rf_reset(F.sql);
	targets(7912);
	for (c = 0; c < F.ncommunes; c++, listed += 100)
		rf_listed(F.sql, YEAR, F.communes[c], 100);
	for (c = 0; c < 3; c++)
		for (k = 0; k < 30; k++, surveyed++) {
			snprintf(id, sizeof id, "p-%d-%d", c, k);
			add(id, YEAR, three[c], "Thôn 1", NULL, k % 5 == 0 ? "poor" : "not_poor",
			    "approved", "A");
			if (c == 0) {
				poor404 += k % 5 == 0;
				hh404++;
			}
		}
	rep = run("all", SAOLA__BY_COMMUNE, "37", NULL);
	comp = json_object_get(rep, "completeness");
	assert_int_equal(jint(comp, "communes"), F.ncommunes);
	assert_int_equal(jint(comp, "communes_reported"), 3);
	assert_int_equal(jint(comp, "communes_complete"), 0);
	assert_int_equal(jint(comp, "households_listed"), listed);
	assert_int_equal(jint(comp, "households_surveyed"), surveyed);
	assert_true(fabs(json_real_value(json_object_get(comp, "share")) -
	                 (double)surveyed / (double)listed) < 1e-6);
	assert_int_equal(json_array_size(json_object_get(comp, "reported")), 3);
	assert_int_equal(json_array_size(json_object_get(comp, "not_reported")), F.ncommunes - 3);
	assert_non_null(jstr(json_array_get(json_object_get(comp, "not_reported"), 0), "name"));

	/* Rates over listed households, and over surveyed, side by side. */
	row = json_array_get(json_object_get(json_object_get(json_object_get(rep, "reports"),
	                                     "summary"), "rows"), 0);
	assert_string_equal(jstr(json_object_get(row, "unit"), "code"), "14404");
	assert_int_equal(jint(row, "listed"), 100);
	assert_true(fabs(json_real_value(json_object_get(row, "poor_rate")) - poor404 / 100.0) < 1e-6);
	assert_true(fabs(json_real_value(json_object_get(row, "poor_rate_surveyed")) -
	                 (double)poor404 / (double)hh404) < 1e-6);

	/* Progress: not enough data, never met. */
	t = json_object_get(json_object_get(json_object_get(rep, "reports"), "progress"), "total");
	assert_string_equal(jstr(t, "status"), "not_enough_data");
	snprintf(want, sizeof want, "not enough data: 3 of %d communes, %.1f%% of households",
	         F.ncommunes, 100.0 * (double)surveyed / (double)listed);
	assert_string_equal(jstr(json_object_get(t, "status_text"), "en"), want);
	assert_non_null(strstr(jstr(json_object_get(t, "status_text"), "vi"), "chưa đủ dữ liệu: 3/"));
	assert_true(json_is_null(json_object_get(t, "on_target")));
	assert_true(json_is_null(json_object_get(t, "progress")));
	assert_int_equal(jint(t, "baseline_poor"), 7912);
	json_array_foreach(json_object_get(json_object_get(json_object_get(rep, "reports"),
	                                   "progress"), "rows"), i, row)
		assert_string_not_equal(jstr(row, "status"), "met");
	json_decref(rep);
}

/* Every commune complete: the true progress, met or not met, as the test
 * counts it from the figures it made. */
static void test_complete(void **state)
{
	static const struct { long baseline; const char *status; } cases[] = {
		{2000, "met"}, {10, "not_met"},
	};
	long poor = 0;
	char id[32];
	json_t *rep, *t;
	size_t i;
	int c, k;

	(void)state;
	rf_reset(F.sql);
	for (c = 0; c < F.ncommunes; c++) {
		rf_listed(F.sql, YEAR, F.communes[c], 3);
		for (k = 0; k < 3; k++) {
			int is_poor = k == 0 && c % 4 == 0;
			snprintf(id, sizeof id, "c-%d-%d", c, k);
			add(id, YEAR, F.communes[c], "Thôn 1", NULL, is_poor ? "poor" : "not_poor",
			    "approved", "A");
			poor += is_poor;
		}
	}
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		long target = (long)floor(cases[i].baseline / 3.0 + 1e-9);
		targets(cases[i].baseline);
		rep = run("progress", SAOLA__BY_DISTRICT, "37", NULL);
		t = json_object_get(rep, "total");
		assert_int_equal(jint(json_object_get(rep, "completeness"), "communes_complete"),
		                 F.ncommunes);
		assert_int_equal(jint(t, "poor"), poor);
		assert_string_equal(jstr(t, "status"), (poor <= target) ? "met" : "not_met");
		assert_string_equal(jstr(t, "status"), cases[i].status);
		assert_int_equal(jint(t, "target_max_poor"), target);
		assert_true(json_is_true(json_object_get(t, "on_target")) == (poor <= target));
		assert_true(fabs(json_real_value(json_object_get(t, "progress")) -
		                 (double)(cases[i].baseline - poor) /
		                 (double)(cases[i].baseline - target)) < 1e-5);
		json_decref(rep);
	}
}

/* Drafts, submitted and returned households are in progress, not in the
 * official figures; --state chooses; a review move is seen at once. */
static void test_states(void **state)
{
	static const struct { const char *state; long households, poor, in_progress; } cases[] = {
		{NULL, 5, 2, 6}, {"approved", 5, 2, 6}, {"all", 11, 5, 0},
		{"draft,submitted", 5, 3, 6}, {"returned", 1, 0, 10},
	};
	static const struct { const char *id, *cls, *state; } recs[] = {
		{"s1", "poor", "approved"}, {"s2", "poor", "approved"}, {"s3", "not_poor", "approved"},
		{"s4", "near_poor", "approved"}, {"s5", "not_poor", "approved"},
		{"s6", "poor", "draft"}, {"s7", "poor", "draft"}, {"s8", "not_poor", "draft"},
		{"s9", "poor", "submitted"}, {"s10", "not_poor", "submitted"},
		{"s11", "not_poor", "returned"},
	};
	saola__report_req rq;
	saola__err e;
	saola *core = NULL;
	json_t *rep, *row;
	size_t i;

	(void)state;
	rf_reset(F.sql);
	for (i = 0; i < sizeof recs / sizeof recs[0]; i++)
		add(recs[i].id, YEAR, "14404", "Thôn 1", NULL, recs[i].cls, recs[i].state, "A");
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rep = run("summary", SAOLA__BY_COMMUNE, "14404", cases[i].state);
		row = json_object_get(rep, "total");
		assert_string_equal(jstr(rep, "state"), cases[i].state ? cases[i].state : "approved");
		assert_int_equal(jint(row, "households"), cases[i].households);
		assert_int_equal(jint(row, "poor"), cases[i].poor);
		assert_int_equal(jint(row, "in_progress"), cases[i].in_progress);
		json_decref(rep);
	}
	memset(&rq, 0, sizeof rq);
	rq.state = "final";
	rq.reports = SAOLA__R_SUMMARY;
	rq.by = -1;
	assert_int_equal(saola__report_run(saola__store_db(F.store), &rq, &rep, &e), -1);
	assert_int_equal(saola__err_status(&e), 400);

	/* The commune approves s9 (submitted, poor): official at once. */
	assert_int_equal(saola_open(F.db, SAOLA_OPEN_SERVER, &core), SAOLA_OK);
	assert_int_equal(saola_set_state(core, "s9", "approved", NULL), SAOLA_OK);
	saola_close(core);
	rep = run("summary", SAOLA__BY_COMMUNE, "14404", NULL);
	assert_int_equal(jint(json_object_get(rep, "total"), "households"), 6);
	assert_int_equal(jint(json_object_get(rep, "total"), "poor"), 3);
	json_decref(rep);
}

/* One record of the baseline year does not replace the plan's baseline; a
 * complete baseline year does. */
static void test_baseline(void **state)
{
	char id[32];
	json_t *rep, *t;
	long poor = 0;
	int c;

	(void)state;
	rf_reset(F.sql);
	targets(500);
	add("b-one", 2021, "14404", "Thôn 1", NULL, "poor", "approved", "A");
	rep = run("progress", SAOLA__BY_DISTRICT, "37", NULL);
	t = json_object_get(rep, "total");
	assert_int_equal(jint(t, "baseline_poor"), 500);
	assert_string_equal(jstr(t, "baseline_source"), "targets");
	json_decref(rep);

	for (c = 0; c < F.ncommunes; c++) {
		rf_listed(F.sql, 2021, F.communes[c], 1);
		if (strcmp(F.communes[c], "14404") == 0)
			continue;   /* b-one is its household */
		snprintf(id, sizeof id, "b-%d", c);
		add(id, 2021, F.communes[c], "Thôn 1", NULL, c % 3 == 0 ? "poor" : "not_poor",
		    "approved", "A");
		poor += c % 3 == 0;
	}
	rep = run("progress", SAOLA__BY_DISTRICT, "37", NULL);
	t = json_object_get(rep, "total");
	assert_string_equal(jstr(t, "baseline_source"), "records");
	assert_int_equal(jint(t, "baseline_poor"), poor + 1);
	json_decref(rep);
}

/* saola__csv_field: a cell a spreadsheet would run as a formula gets a '
 * first; the rest as RFC 4180. */
static void test_csv_guard(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{"=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""},
		{"+1", "'+1"}, {"-2", "'-2"}, {"@SUM(A1)", "'@SUM(A1)"}, {"\tx", "'\tx"},
		{"\rx", "\"'\rx\""}, {"=a,b", "\"'=a,b\""}, {"Thôn 3", "Thôn 3"}, {"a,b", "\"a,b\""},
		{"1-2", "1-2"},
	};
	saola__lists_req rq;
	saola__buf b = {NULL, 0, 0, 0};
	json_t *v;
	saola__err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		saola__buf_free(&b);
		assert_int_equal(saola__csv_field(&b, cases[i].in), 0);
		assert_string_equal(b.p, cases[i].out);
	}
	saola__buf_free(&b);
	/* Through the lists and a report by village. */
	rf_reset(F.sql);
	add("g1", YEAR, "14404", "=HYPERLINK(\"http://x\")", "h1", "poor", "approved", "-Nam");
	memset(&rq, 0, sizeof rq);
	rq.commune = "14404";
	rq.year = YEAR;
	rq.personal = 1;
	assert_int_equal(saola__lists_run(saola__store_db(F.store), &rq, &v, &e), 0);
	assert_int_equal(saola__lists_csv(v, 1, &b), 0);
	assert_non_null(strstr(b.p, ",\"'=HYPERLINK(\"\"http://x\"\")\","));
	assert_non_null(strstr(b.p, ",'-Nam,"));
	assert_null(strstr(b.p, ",=HYPERLINK"));
	json_decref(v);
	saola__buf_free(&b);
	v = run("summary", SAOLA__BY_VILLAGE, "14404", NULL);
	assert_int_equal(saola__report_csv(v, 0, &b), 0);
	assert_non_null(strstr(b.p, "\"'=HYPERLINK("));
	json_decref(v);
	saola__buf_free(&b);
}

/* Bad files of households listed: each refused with its file and line,
 * and nothing changes. */
static void test_listed_load(void **state)
{
	static const struct { const char *text, *line, *what; } bad[] = {
		{"2024,14404,10\n2024,99999,5\n", ":2: ", "commune 99999: no unit"},
		{"2024,14404,10\n2024,372,5\n", ":2: ", "not a commune"},
		{"year,commune,households\n2024,14404,-3\n", ":2: ", "households \"-3\""},
		{"2024,14404,abc\n", ":1: ", "households \"abc\""},
		{"2024,14404\n", ":1: ", "expected 3 fields"},
		{"2024,14404,1\n2024,14404,2\n", ":2: ", "given twice"},
		{"1800,14404,1\n", ":1: ", "year \"1800\""},
		{"{\"year\":2024,\"commune\":\"14404\",\"households\":1.5}\n", ":1: ", "households:"},
		{"{\"year\":2024,\"commune\":\"14404\",\"households\":3,\"x\":1}\n", ":1: ", "x: unexpected"},
		{"{\"year\":2024,\"commune\":14404,\"households\":3}\n", ":1: ", "commune: expected"},
		{"{\"year\":2026,\"commune\":\"14404\",\"households\":3}\n", ":1: ", "not a commune on"},
	};
	char path[700], want[800];
	saola__err e;
	FILE *f;
	size_t i;
	int n;

	(void)state;
	rf_reset(F.sql);
	snprintf(path, sizeof path, "%s/listed.csv", F.dir);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_non_null(f = fopen(path, "w"));
		fputs("2024,14407,70\n", f);
		fclose(f);
		assert_int_equal(saola__listed_load(saola__store_db(F.store), path, &n, &e), 0);
		assert_non_null(f = fopen(path, "w"));
		fputs(bad[i].text, f);
		fclose(f);
		assert_int_equal(saola__listed_load(saola__store_db(F.store), path, &n, &e), -1);
		snprintf(want, sizeof want, "%s%s", path, bad[i].line);
		if (strncmp(e.message, want, strlen(want)) != 0 ||
		    !strstr(e.message, bad[i].what) || e.rc != SAOLA_INVALID)
			fail_msg("case %zu: %d \"%s\": expected %s... %s", i, e.rc, e.message, want,
			         bad[i].what);
		assert_int_equal(tu_count(F.db, "SELECT count(*) FROM listed"), 1);
		assert_int_equal(tu_count(F.db, "SELECT households FROM listed WHERE commune = '14407'"),
		                 70);
	}
	/* A good file: JSON lines; a reload replaces. */
	assert_non_null(f = fopen(path, "w"));
	fputs("{\"year\":2024,\"commune\":\"14404\",\"households\":812}\n\n"
	      "{\"year\":2024,\"commune\":\"14407\",\"households\":71}\n", f);
	fclose(f);
	assert_int_equal(saola__listed_load(saola__store_db(F.store), path, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(tu_count(F.db, "SELECT households FROM listed WHERE commune = '14407'"), 71);
	assert_int_equal(tu_count(F.db, "SELECT households FROM listed WHERE commune = '14404'"), 812);
}

/* The lists: the right households in each, villages in natural order,
 * names only for those allowed to see them. */
static void test_lists(void **state)
{
	static const struct {
		const char *hid, *before, *now, *village, *state;
		int poor, near, escaped, newly;   /* expected in each list */
	} hh[] = {
		{"h1", "poor", "near_poor", "Thôn 2", "approved", 0, 1, 0, 0},
		{"h2", "poor", "not_poor", "Thôn 10", "approved", 0, 0, 1, 0},
		{"h3", "near_poor", "average", "Thôn 1", "approved", 0, 0, 1, 0},
		{"h4", "near_poor", "poor", "Thôn 10", "approved", 1, 0, 0, 1},
		{"h5", NULL, "poor", "Thôn 2", "approved", 1, 0, 0, 1},
		{"h6", "poor", "poor", "Thôn 1", "approved", 1, 0, 0, 0},
		{"h7", "not_poor", "poor", "Thôn 3", "draft", 0, 0, 0, 0},
		{NULL, NULL, "poor", "Thôn 9", "approved", 1, 0, 0, 0},
	};
	static const char *const names[] = {"poor", "near_poor", "escaped", "newly_poor"};
	char id[32], name[32], path[64];
	json_t *v, *row;
	saola__lists_req rq;
	saola__err e;
	sv_resp r;
	size_t i, k, j;

	(void)state;
	rf_reset(F.sql);
	for (i = 0; i < sizeof hh / sizeof hh[0]; i++) {
		snprintf(name, sizeof name, "Head %zu", i);
		if (hh[i].before) {
			snprintf(id, sizeof id, "l-%zu-0", i);
			add(id, YEAR - 1, "14404", hh[i].village, hh[i].hid, hh[i].before, "approved", name);
		}
		snprintf(id, sizeof id, "l-%zu-1", i);
		add(id, YEAR, "14404", hh[i].village, hh[i].hid, hh[i].now, hh[i].state, name);
	}
	memset(&rq, 0, sizeof rq);
	rq.commune = "14404";
	rq.year = YEAR;
	assert_int_equal(saola__lists_run(saola__store_db(F.store), &rq, &v, &e), 0);
	for (k = 0; k < 4; k++) {
		json_t *list = json_object_get(json_object_get(v, "lists"), names[k]);
		size_t want = 0;
		const char *last = "";
		for (i = 0; i < sizeof hh / sizeof hh[0]; i++) {
			int in = k == 0 ? hh[i].poor : k == 1 ? hh[i].near : k == 2 ? hh[i].escaped
			       : hh[i].newly;
			int found = 0;
			snprintf(id, sizeof id, "l-%zu-1", i);
			json_array_foreach(list, j, row)
				found |= strcmp(jstr(row, "record_id"), id) == 0;
			if (found != in)
				fail_msg("list %s: record %s: %s", names[k], id, in ? "missing" : "not expected");
			want += (size_t)in;
		}
		assert_int_equal(json_array_size(list), want);
		json_array_foreach(list, j, row) {   /* Thôn 2 before Thôn 10 */
			assert_true(saola__natural_cmp(last, jstr(row, "village")) <= 0);
			assert_true(json_is_null(json_object_get(row, "head_name")));
			last = jstr(row, "village");
		}
	}
	assert_int_equal(saola__natural_cmp("Thôn 2", "Thôn 10"), -1);
	json_decref(v);

	/* Over HTTP: names for the commune, not for a district without the
	 * permission; a commune outside the area is refused. */
	snprintf(path, sizeof path, "/v1/lists/14404?year=%d", YEAR);
	r = sv_http(F.url, "GET", path, F.tok_commune, NULL, NULL, 0, 0);
	assert_int_equal(r.status, 200);
	assert_true(json_is_true(json_object_get(r.json, "personal")));
	row = json_array_get(json_object_get(json_object_get(r.json, "lists"), "poor"), 0);
	assert_non_null(jstr(row, "head_name"));
	assert_string_equal(jstr(json_object_get(r.json, "commune"), "name"), "Xã Cúc Phương");
	sv_resp_free(&r);
	r = sv_http(F.url, "GET", path, F.tok_district, NULL, NULL, 0, 0);
	assert_int_equal(r.status, 200);
	assert_false(json_is_true(json_object_get(r.json, "personal")));
	json_array_foreach(json_object_get(json_object_get(r.json, "lists"), "poor"), j, row)
		assert_true(json_is_null(json_object_get(row, "head_name")));
	sv_resp_free(&r);
	snprintf(path, sizeof path, "/v1/lists/14404?year=%d&personal=1", YEAR);
	r = sv_http(F.url, "GET", path, F.tok_district, NULL, NULL, 0, 0);
	assert_int_equal(r.status, 403);
	sv_resp_free(&r);
	snprintf(path, sizeof path, "/v1/lists/14404?year=%d", YEAR);
	r = sv_http(F.url, "GET", path, F.tok_other, NULL, NULL, 0, 0);
	assert_int_equal(r.status, 403);
	sv_resp_free(&r);
	r = sv_http(F.url, "GET", path, F.tok_surveyor, NULL, NULL, 0, 0);
	assert_int_equal(r.status, 403);
	sv_resp_free(&r);
	snprintf(path, sizeof path, "/v1/lists/14404.csv?year=%d&labels=vi", YEAR);
	r = sv_http(F.url, "GET", path, F.tok_commune, NULL, NULL, 0, 0);
	assert_int_equal(r.status, 200);
	assert_memory_equal(r.body, "\xef\xbb\xbf" "Danh sách,Mã xã,Tên xã,", 28);
	assert_non_null(strstr(r.body, "\r\nHộ nghèo,14404,Xã Cúc Phương,"));
	sv_resp_free(&r);
}

/* A commune with no records of last year: who escaped poverty and who is
 * newly poor cannot be told, so those lists are null with a note saying
 * why, not empty (which would say nobody). */
static void test_lists_no_last_year(void **state)
{
	json_t *v, *notes, *n;
	saola__lists_req rq;
	saola__err e;
	size_t i;
	int said = 0;

	(void)state;
	rf_reset(F.sql);
	add("n-1", YEAR, "14404", "Thôn 1", "h1", "poor", "approved", "Head 1");
	add("n-2", YEAR, "14404", "Thôn 2", "h2", "near_poor", "approved", "Head 2");
	add("n-3", YEAR - 1, "14407", "Thôn 1", "h1", "not_poor", "approved", "Head 1");
	memset(&rq, 0, sizeof rq);
	rq.commune = "14404";
	rq.year = YEAR;
	assert_int_equal(saola__lists_run(saola__store_db(F.store), &rq, &v, &e), 0);
	assert_int_equal(json_array_size(json_object_get(json_object_get(v, "lists"), "poor")), 1);
	assert_int_equal(json_array_size(json_object_get(json_object_get(v, "lists"), "near_poor")),
	                 1);
	assert_true(json_is_null(json_object_get(json_object_get(v, "lists"), "escaped")));
	assert_true(json_is_null(json_object_get(json_object_get(v, "lists"), "newly_poor")));
	assert_true(json_is_null(json_object_get(json_object_get(v, "counts"), "newly_poor")));
	notes = json_object_get(v, "notes");
	json_array_foreach(notes, i, n)
		said |= strstr(jstr(n, "en"), "cannot be told") != NULL;
	assert_true(said);
	json_decref(v);
	/* with last year's records the lists are there again */
	add("n-4", YEAR - 1, "14404", "Thôn 1", "h1", "near_poor", "approved", "Head 1");
	assert_int_equal(saola__lists_run(saola__store_db(F.store), &rq, &v, &e), 0);
	assert_int_equal(json_array_size(json_object_get(json_object_get(v, "lists"), "newly_poor")),
	                 1);
	assert_true(json_is_array(json_object_get(json_object_get(v, "lists"), "escaped")));
	json_decref(v);
}

/* GET /v1/households.csv: a state column, every state by default (a
 * working list), ?state= as the reports take it; a bad one is 400 naming
 * it and the state words. */
static void test_household_states(void **state)
{
	static const struct { const char *id, *state; } recs[] = {
		{"w1", "draft"}, {"w2", "draft"}, {"w3", "submitted"}, {"w4", "returned"},
		{"w5", "approved"}, {"w6", "approved"}, {"w7", "approved"},
	};
	static const struct { const char *query; int draft, submitted, returned, approved; } cases[] = {
		{"", 2, 1, 1, 3}, {"&state=", 2, 1, 1, 3}, {"&state=all", 2, 1, 1, 3},
		{"&state=approved", 0, 0, 0, 3}, {"&state=draft", 2, 0, 0, 0},
		{"&state=submitted", 0, 1, 0, 0}, {"&state=returned", 0, 0, 1, 0},
		{"&state=draft,submitted", 2, 1, 0, 0},
	};
	static const char *const bad[] = {"final", "approved,final", ",", "APPROVED"};
	static const char *const words[] = {"draft", "submitted", "returned", "approved"};
	char path[128], cell[32];
	const char *msg;
	size_t i, k;
	sv_resp r;

	(void)state;
	rf_reset(F.sql);
	for (i = 0; i < sizeof recs / sizeof recs[0]; i++)
		add(recs[i].id, YEAR, "14404", "Thôn 1", NULL, "poor", recs[i].state, "A");
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const int want[4] = {cases[i].draft, cases[i].submitted, cases[i].returned,
		                     cases[i].approved};
		int got[4] = {0, 0, 0, 0}, lines = 0, col = -1, c;
		const char *p, *line;

		snprintf(path, sizeof path, "/v1/households.csv?year=%d%s", YEAR, cases[i].query);
		r = sv_http(F.url, "GET", path, F.tok_commune, NULL, NULL, 0, 0);
		if (r.status != 200)
			fail_msg("%s: status %ld: %s", path, r.status, r.body ? r.body : "");
		/* the state column's place in the header, then each row's cell */
		for (p = r.body + 3, c = 0; *p != '\r'; p += strcspn(p, ",\r") + (p[strcspn(p, ",\r")] == ','), c++)
			if (strncmp(p, "state", 5) == 0 && (p[5] == ',' || p[5] == '\r'))
				col = c;
		assert_true(col >= 0);
		for (line = strstr(r.body, "\r\n"); line && line[2]; line = strstr(line + 2, "\r\n")) {
			for (p = line + 2, c = 0; c < col; c++)
				p += strcspn(p, ",") + 1;
			snprintf(cell, sizeof cell, "%.*s", (int)strcspn(p, ",\r"), p);
			for (k = 0; k < 4 && strcmp(cell, words[k]) != 0; k++)
				;
			if (k == 4)
				fail_msg("%s: state cell \"%s\"", path, cell);
			got[k]++;
			lines++;
		}
		for (k = 0; k < 4; k++)
			if (got[k] != want[k])
				fail_msg("%s: %d %s rows, expected %d", path, got[k], words[k], want[k]);
		assert_int_equal(lines, want[0] + want[1] + want[2] + want[3]);
		sv_resp_free(&r);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(path, sizeof path, "/v1/households.csv?year=%d&state=%s", YEAR, bad[i]);
		r = sv_http(F.url, "GET", path, F.tok_commune, NULL, NULL, 0, 0);
		assert_int_equal(r.status, 400);
		assert_string_equal(sv_error_code(&r), "bad_request");
		msg = json_string_value(json_object_get(json_object_get(r.json, "error"), "message"));
		snprintf(cell, sizeof cell, "state \"%s\"", bad[i]);
		assert_non_null(msg);
		assert_non_null(strstr(msg, cell));
		assert_non_null(strstr(msg, "approved, submitted, draft, returned, all"));
		sv_resp_free(&r);
	}
}

/* The header cells of a CSV (after the byte order mark), each as written;
 * n gets how many. */
static void csv_heads(const char *csv, char (*cells)[400], int cap, int *n)
{
	const char *p = csv + 3;
	int quoted;
	size_t k;

	for (*n = 0; *n < cap && *p && *p != '\r'; (*n)++) {
		quoted = *p == '"';
		for (k = 0, p += quoted; *p && (quoted ? !(p[0] == '"' && p[1] != '"')
		                                       : *p != ',' && *p != '\r'); p++) {
			if (quoted && p[0] == '"')
				p++;   /* "" is one " */
			if (k < 399)
				cells[*n][k++] = *p;
		}
		cells[*n][k] = '\0';
		p += quoted;
		p += *p == ',';
	}
}

/* The "all" CSV puts the reports side by side: no two of its header cells
 * are the same, in codes or in Vietnamese (each prefixed by its report);
 * a single report's CSV keeps its plain headers. */
static void test_all_csv_heads(void **state)
{
	static char cells[600][400];
	saola__buf b = {NULL, 0, 0, 0};
	json_t *rep;
	int vi, n, i, j, found;
	sv_resp r;

	(void)state;
	rf_reset(F.sql);
	targets(500);
	add("a1", YEAR - 1, "14404", "Thôn 1", "h1", "poor", "approved", "A");
	add("a2", YEAR, "14404", "Thôn 1", "h1", "near_poor", "approved", "A");
	rep = run("all", SAOLA__BY_COMMUNE, "372", NULL);
	for (vi = 0; vi <= 1; vi++) {
		assert_int_equal(saola__report_csv(rep, vi, &b), 0);
		csv_heads(b.p, cells, 600, &n);
		assert_true(n > 100);   /* the six reports' columns */
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				if (strcmp(cells[i], cells[j]) == 0)
					fail_msg("labels %s: columns %d and %d both \"%s\"", vi ? "vi" : "codes",
					         i + 1, j + 1, cells[i]);
		for (i = 0, found = 0; i < n; i++) {
			found |= strcmp(cells[i], vi ? "Tổng hợp: Số hộ rà soát" : "summary.households") == 0;
			if (strchr("=+-@\t\r", cells[i][0]) && cells[i][0])
				fail_msg("column %d \"%s\": a formula", i + 1, cells[i]);
		}
		assert_true(found);
		saola__buf_free(&b);
	}
	json_decref(rep);
	/* over HTTP, as the dashboard's download asks for it */
	r = sv_http(F.url, "GET", "/v1/reports/all.csv?year=2024&area=372&labels=vi", F.tok_district,
	            NULL, NULL, 0, 0);
	assert_int_equal(r.status, 200);
	csv_heads(r.body, cells, 600, &n);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (strcmp(cells[i], cells[j]) == 0)
				fail_msg("all.csv?labels=vi: columns %d and %d both \"%s\"", i + 1, j + 1,
				         cells[i]);
	assert_non_null(strstr(r.body, ",Chỉ số: Số hộ rà soát,"));
	sv_resp_free(&r);
	/* one report alone: its labels, no prefix */
	rep = run("summary", SAOLA__BY_COMMUNE, "372", NULL);
	assert_int_equal(saola__report_csv(rep, 1, &b), 0);
	csv_heads(b.p, cells, 600, &n);
	for (i = 0, found = 0; i < n; i++) {
		assert_null(strstr(cells[i], "Tổng hợp: "));
		found |= strcmp(cells[i], "Số hộ rà soát") == 0;
	}
	assert_true(found);
	saola__buf_free(&b);
	json_decref(rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_complete),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_baseline),
		cmocka_unit_test(test_csv_guard),
		cmocka_unit_test(test_listed_load),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_lists_no_last_year),
		cmocka_unit_test(test_household_states),
		cmocka_unit_test(test_all_csv_heads),
	};

	return cmocka_run_group_tests_name("official", tests, setup, teardown);
}
