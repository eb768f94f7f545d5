/* test_reports_pg.c: reports, official lists and households listed give on
 * PostgreSQL what they give on SQLite. One dataset (units and their links
 * from the test schemas, households of 2023-2025 across the reorganisation
 * of 2025) is written through db.h into a SQLite store and a PostgreSQL
 * store; each request of a table runs on both, and the JSON must be the
 * same. Skipped (77) without SAOLA_TEST_PG (scripts/pg.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "saola/core.h"
#include "lists.h"
#include "pgtest.h"
#include "report.h"
#include "report_labels.h"
#include "store.h"
#include "testutil.h"
#include "units.h"

#define N_HOUSEHOLDS 400

static struct {
	saola__store *lite, *pg;
	char dir[1024];
	char listed[1100];
} F;

/* Copies the rows of table's columns (cols, n of them) from one store's
 * connection to the other's, each value as its type; a row there already
 * is kept. */
static void copy_table(saola__db *from, saola__db *to, const char *table, const char *cols,
                       int n)
{
	char sql[512], marks[128] = "";
	saola__dbstmt *get = NULL, *put = NULL;
	int i, step;

	for (i = 0; i < n; i++)
		strcat(marks, i ? ", ?" : "?");
	snprintf(sql, sizeof sql, "SELECT %s FROM %s", cols, table);
	assert_int_equal(saola__db_prepare(from, sql, &get), SAOLA_OK);
	/* What the store loaded itself from the schemas stays. */
	snprintf(sql, sizeof sql, "INSERT INTO %s(%s) VALUES (%s) ON CONFLICT DO NOTHING", table,
	         cols, marks);
	assert_int_equal(saola__db_prepare(to, sql, &put), SAOLA_OK);
	while ((step = saola__db_step(get)) == SAOLA__DB_ROW) {
		saola__db_reset(put);
		for (i = 0; i < n; i++) {
			if (saola__db_column_type(get, i) == SAOLA__DB_INT)
				saola__db_bind_int(put, i + 1, saola__db_column_int(get, i));
			else
				saola__db_bind_text(put, i + 1, saola__db_column_text(get, i), -1);
		}
		if (saola__db_step(put) != SAOLA__DB_DONE)
			fail_msg("%s: %s", table, saola__db_errmsg(to));
	}
	assert_int_equal(step, SAOLA__DB_DONE);
	saola__db_finalize(get);
	saola__db_finalize(put);
}

/* Where household i lives in year: before the reorganisation in district
 * 372's communes 14386, 14389, 14392 (one commune of 2025: 14389) or in
 * 14404 (still a commune in 2025, under the province). */
static void place_of(int i, int year, const char **district, const char **commune)
{
	static const char *const old[] = {"14386", "14389", "14392", "14404"};

	*commune = old[i % 4];
	*district = "372";
	if (year == 2025) {
		*district = NULL;
		*commune = i % 4 == 3 ? "14404" : "14389";
	}
}

/* The answers of household i in year, as JSON text into buf. */
static void answers(int i, int year, const char *district, const char *commune, char *buf,
                    size_t len)
{
	unsigned r = (unsigned)(i * 2654435761u + (unsigned)year * 40503u);
	size_t n;
	int k;

	n = (size_t)snprintf(buf, len, "{\"province\":\"37\",%s%s%s\"commune\":\"%s\","
	                     "\"village\":\"Thôn %u\",\"survey_year\":%d,\"classification\":\"%s\","
	                     "\"area\":\"%s\",\"head_name\":\"Nguyễn Văn %d\","
	                     "\"income_per_capita\":%u,\"deprivation_count\":%u,"
	                     "\"members\":[{},{}]", district ? "\"district\":\"" : "",
	                     district ? district : "", district ? "\"," : "", commune, r % 3 + 1,
	                     year, saola__classes[(r >> 4) % 4].code, r % 5 ? "rural" : "urban", i,
	                     900000 + r % 1000 * 1000, (r >> 8) % 6);
	/* Every tenth has no household_id: counted apart in transitions. */
	if (i % 10)
		n += (size_t)snprintf(buf + n, len - n, ",\"household_id\":\"H%04d\"", i);
	for (k = 0; k < SAOLA__N_INDICATORS; k++)
		if ((r >> k) & 1)
			n += (size_t)snprintf(buf + n, len - n, ",\"d_%s\":true",
			                      saola__indicators[k].code);
	n += (size_t)snprintf(buf + n, len - n, ",\"poverty_causes\":[\"%s\"]",
	                      saola__causes[(r >> 3) % SAOLA__N_CAUSES].code);
	n += (size_t)snprintf(buf + n, len - n, ",\"support_received\":[%s%s%s]",
	                      r % 3 ? "\"" : "", r % 3 ? saola__supports[(r >> 5) %
	                      SAOLA__N_SUPPORTS].code : "", r % 3 ? "\"" : "");
	snprintf(buf + n, len - n, "}");
}

/* Writes the households of 2023-2025 into db; the review states vary. */
static void households(saola__db *db)
{
	static const char *const states[] = {"approved", "approved", "submitted", "draft",
	                                     "returned", "approved"};
	saola__dbstmt *st = NULL;
	char data[2048], id[32];
	int i, year, seq = 0;

	assert_int_equal(saola__db_prepare(db, "INSERT INTO records(id, form_id, form_version,"
	        " data, versions, province, district, commune, created_at, updated_at, origin,"
	        " seq, state) VALUES (?, 'household', '1', ?, '{}', '37', ?, ?,"
	        " '2025-10-01T00:00:00Z', '2025-10-01T00:00:00Z', 'fixture', ?, ?)", &st),
	        SAOLA_OK);
	for (year = 2023; year <= 2025; year++)
		for (i = 0; i < N_HOUSEHOLDS; i++) {
			const char *district, *commune;
			/* Some leave, some come: a fifth of each year is new. */
			if ((i + year) % 5 == 0)
				continue;
			place_of(i, year, &district, &commune);
			answers(i, year, district, commune, data, sizeof data);
			snprintf(id, sizeof id, "r-%d-%04d", year, i);
			saola__db_reset(st);
			saola__db_bind_text(st, 1, id, -1);
			saola__db_bind_text(st, 2, data, -1);
			saola__db_bind_text(st, 3, district, -1);
			saola__db_bind_text(st, 4, commune, -1);
			saola__db_bind_int(st, 5, ++seq);
			saola__db_bind_text(st, 6, states[(i + year) % 6], -1);
			if (saola__db_step(st) != SAOLA__DB_DONE)
				fail_msg("household %s: %s", id, saola__db_errmsg(db));
		}
	saola__db_finalize(st);
}

static int setup(void **state)
{
	const char *dir;
	char err[512];
	saola__err e;
	FILE *f;
	int n = 0;

	(void)state;
	snprintf(F.dir, sizeof F.dir, "%s", tu_tmpdir("reports-pg"));
	dir = F.dir;
	if (saola__store_sqlite_open(tu_path(dir, "server.db"), SAOLA_TEST_SCHEMAS, 1, &F.lite, err,
	                             sizeof err) != SAOLA_OK)
		fail_msg("sqlite: %s", err);
	if (saola__store_open(pgt_uri(), SAOLA_TEST_SCHEMAS, 1, &F.pg, err, sizeof err) != SAOLA_OK)
		fail_msg("postgresql: %s", err);
	if (saola__units_load_dir(saola__store_db(F.lite), SAOLA_TEST_SCHEMAS, &n, err,
	                          sizeof err) != 0)
		fail_msg("units: %s", err);
	copy_table(saola__store_db(F.lite), saola__store_db(F.pg), "units",
	           "code, valid_from, valid_to, name, level, parent, urban, source", 8);
	copy_table(saola__store_db(F.lite), saola__store_db(F.pg), "unit_links",
	           "new_code, new_from, old_code, whole, source", 5);
	households(saola__store_db(F.lite));
	households(saola__store_db(F.pg));
	snprintf(F.listed, sizeof F.listed, "%s", tu_path(dir, "listed.csv"));
	assert_non_null(f = fopen(F.listed, "w"));
	fputs("year,commune,households\n2024,14386,120\n2024,14389,110\n2024,14392,100\n"
	      "2024,14404,130\n2025,14389,330\n", f);
	fclose(f);
	if (saola__listed_load(saola__store_db(F.lite), F.listed, &n, &e) != 0 ||
	    saola__listed_load(saola__store_db(F.pg), F.listed, &n, &e) != 0 ||
	    /* Loaded again: replaced, not added. */
	    saola__listed_load(saola__store_db(F.pg), F.listed, &n, &e) != 0)
		fail_msg("listed: %s", e.message);
	assert_int_equal(n, 5);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	saola__store_close(F.lite);
	saola__store_close(F.pg);
	tu_rmtree(F.dir);
	return 0;
}

/* Fails unless a and b are the same JSON (keys in any order). Takes both. */
static void same(const char *what, json_t *a, json_t *b)
{
	char *x = json_dumps(a, JSON_SORT_KEYS | JSON_COMPACT);
	char *y = json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT);

	assert_non_null(x);
	assert_non_null(y);
	if (strcmp(x, y) != 0)
		fail_msg("%s: SQLite and PostgreSQL differ:\n%.1500s\n---\n%.1500s", what, x, y);
	free(x);
	free(y);
	json_decref(a);
	json_decref(b);
}

static const struct report_case {
	const char *name, *area, *state;
	int by, year;
	unsigned reports;        /* 0: all; transitions: also from 2023 when the
	                          * name says so */
} report_cases[] = {
	{"everything, latest year", NULL, NULL, -1, 0, 0},
	{"2024 by commune", NULL, NULL, SAOLA__BY_COMMUNE, 2024, 0},
	{"2024 by village, every state", NULL, "all", SAOLA__BY_VILLAGE, 2024, 0},
	{"district 372 in 2024", "372", NULL, -1, 2024, 0},
	{"commune 14404 by village", "14404", "submitted,draft", SAOLA__BY_VILLAGE, 2024, 0},
	{"2025 across the reorganisation", NULL, NULL, -1, 2025, 0},
	{"2025 province 37 by commune", "37", "all", SAOLA__BY_COMMUNE, 2025, 0},
	{"2025 transitions across the reform", "37", "all", SAOLA__BY_COMMUNE, 2025,
	 SAOLA__R_TRANSITIONS},
	{"2025 transitions from 2023", "14389", NULL, -1, 2025, SAOLA__R_TRANSITIONS},
	{"old district 372 in 2025 (refused)", "372", NULL, -1, 2025, 0},
	{"2025 by district (refused)", NULL, NULL, SAOLA__BY_DISTRICT, 2025, 0},
};

/* Runs case k on s: the report, or the error's status and message. */
static json_t *report_on(saola__store *s, const struct report_case *k, int from)
{
	saola__report_req rq;
	saola__err e;
	json_t *out = NULL;

	memset(&rq, 0, sizeof rq);
	memset(&e, 0, sizeof e);
	rq.area = k->area;
	rq.state = k->state;
	rq.by = k->by;
	rq.year = k->year;
	rq.from_year = from;
	rq.reports = k->reports;
	rq.schemas = SAOLA_TEST_SCHEMAS;
	if (saola__report_run(saola__store_db(s), &rq, &out, &e) != 0)
		return json_pack("{s:i, s:s}", "status", saola__err_status(&e), "message", e.message);
	return out;
}

static void test_reports(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof report_cases / sizeof report_cases[0]; i++) {
		const struct report_case *k = &report_cases[i];
		int from = strstr(k->name, "from 2023") ? 2023 : 0;
		json_t *a = report_on(F.lite, k, from), *b = report_on(F.pg, k, from);
		assert_non_null(a);
		assert_non_null(b);
		/* Across the reform, households are matched through the units'
		 * links (the groups' query). */
		if (strstr(k->name, "reform"))
			assert_true(json_integer_value(json_object_get(json_object_get(a, "total"),
			                                               "matched")) > 0);
		same(k->name, a, b);
	}
}

static const struct lists_case {
	const char *commune, *state, *scope;
	int year, personal;
} lists_cases[] = {
	{"14404", NULL, NULL, 2024, 0},
	{"14389", "all", NULL, 2025, 1},   /* matched with 14386, 14392 of 2024 */
	{"14392", NULL, "372", 2024, 1},
	{"14404", NULL, "372", 2025, 0},   /* outside the scope in 2025 */
	{"14389", NULL, NULL, 0, 0},
};

static json_t *lists_on(saola__store *s, const struct lists_case *k)
{
	saola__lists_req rq;
	saola__err e;
	json_t *out = NULL;

	memset(&rq, 0, sizeof rq);
	memset(&e, 0, sizeof e);
	rq.commune = k->commune;
	rq.state = k->state;
	rq.scope = k->scope;
	rq.year = k->year;
	rq.personal = k->personal;
	if (saola__lists_run(saola__store_db(s), &rq, &out, &e) != 0)
		return json_pack("{s:i, s:s}", "status", saola__err_status(&e), "message", e.message);
	return out;
}

static void test_lists(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof lists_cases / sizeof lists_cases[0]; i++) {
		char what[64];
		json_t *a = lists_on(F.lite, &lists_cases[i]), *b = lists_on(F.pg, &lists_cases[i]);
		snprintf(what, sizeof what, "lists %s %d", lists_cases[i].commune,
		         lists_cases[i].year);
		assert_non_null(a);
		assert_non_null(b);
		same(what, a, b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reports),
		cmocka_unit_test(test_lists),
	};

	pgt_require();
	if (!pgt_uri())
		return PGT_SKIP;
	return cmocka_run_group_tests(tests, setup, teardown);
}
