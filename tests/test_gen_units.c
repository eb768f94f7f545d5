/* test_gen_units.c: saola-gen's households live in the units of their year
 * as the schemas folder has them, and move on as the units' links say. The
 * oracle is the server's units table (loaded from the same files by
 * saola__store_sqlite_open) and its walk of the links,
 * saola__units_successors (units_map.c), not the generator's own code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "gen.h"
#include "db_sqlite.h"
#include "report.h"
#include "store.h"
#include "testutil.h"
#include "units_map.h"
#include "unitsfx.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct fx {
	char dir[512];
	saola__store *store;
	sqlite3 *db;
	saola_gen *g;
};

static struct fx F;

static int setup(void **state)
{
	char path[1024], err[512];

	(void)state;
	snprintf(F.dir, sizeof F.dir, "%s", tu_tmpdir("genunits"));
	snprintf(path, sizeof path, "%s/server.db", F.dir);
	if (saola__store_sqlite_open(path, SAOLA_TEST_SCHEMAS, 1, &F.store, err, sizeof err) != 0) {
		fprintf(stderr, "server store: %s\n", err);
		return -1;
	}
	F.db = saola__db_sqlite(saola__store_db(F.store));
	F.g = saola_gen_new_schemas(17, SAOLA_TEST_SCHEMAS, err, sizeof err);
	if (!F.g)
		fprintf(stderr, "generator: %s\n", err);
	return F.g ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	saola_gen_free(F.g);
	if (F.store)
		saola__store_close(F.store);
	tu_rmtree(F.dir);
	return 0;
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* The unit code valid on date in the server's table: its level, parent and
 * urban; 0 when found, -1 when no version is valid that day. */
struct unit_row {
	char level[16], parent[16];
	int urban;
};

static int unit_on(const char *code, const char *date, struct unit_row *out)
{
	sqlite3_stmt *st = NULL;
	int found;

	assert_int_equal(sqlite3_prepare_v2(F.db, "SELECT level, coalesce(parent, ''), urban"
	                 " FROM units WHERE code = ?1 AND valid_from <= ?2"
	                 " AND (valid_to IS NULL OR valid_to >= ?2)", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, date, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	if (found) {
		snprintf(out->level, sizeof out->level, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(out->parent, sizeof out->parent, "%s", (const char *)sqlite3_column_text(st, 1));
		out->urban = sqlite3_column_int(st, 2);
	}
	sqlite3_finalize(st);
	return found ? 0 : -1;
}

static void review_date(int year, char date[SAOLA__DATE_MAX + 1])
{
	saola__review_date(SAOLA_TEST_SCHEMAS, year, date, NULL);
}

/* h's places are units valid on its year's review day: the province a
 * province; the commune a commune whose parent is the district when the
 * year has districts (and the district's the province), else the province
 * itself, with no district field; the area the commune's urban. */
static void check_places(const json_t *h)
{
	char date[SAOLA__DATE_MAX + 1];
	struct unit_row p, d, c;
	const char *district = json_string_value(json_object_get(h, "district"));
	unsigned levels = 0;

	review_date((int)json_integer_value(json_object_get(h, "survey_year")), date);
	assert_int_equal(saola__units_levels(saola__store_db(F.store), date, &levels), 0);
	if (unit_on(str(h, "province"), date, &p) != 0 || strcmp(p.level, "province") != 0)
		fail_msg("%s: province %s is not a province on %s", date, str(h, "province"), date);
	if (unit_on(str(h, "commune"), date, &c) != 0 || strcmp(c.level, "commune") != 0)
		fail_msg("%s: commune %s is not a commune", date, str(h, "commune"));
	if (levels & SAOLA__LV_DISTRICT) {
		assert_non_null(district);
		if (unit_on(district, date, &d) != 0 || strcmp(d.level, "district") != 0)
			fail_msg("%s: district %s is not a district", date, district);
		assert_string_equal(d.parent, str(h, "province"));
		assert_string_equal(c.parent, district);
	} else {
		if (district)
			fail_msg("%s: district %s in units without districts", date, district);
		assert_string_equal(c.parent, str(h, "province"));
	}
	assert_string_equal(str(h, "area"), c.urban ? "urban" : "rural");
}

/* Households drawn with the options of each row, and moved on year by
 * year to 2026: every one's places are valid for its year. */
static void test_places_of_year(void **state)
{
	static const struct { int year; const char *district, *commune; int n; } rows[] = {
		{ 2022, NULL, NULL, 150 },   { 2023, NULL, NULL, 150 },  { 2024, NULL, NULL, 300 },
		{ 2024, "372", NULL, 100 },  { 2024, "374", NULL, 100 }, { 2024, NULL, "14383", 20 },
		{ 2025, NULL, NULL, 300 },   { 2025, NULL, "14428", 20 }, { 2026, NULL, NULL, 150 },
	};
	size_t r;
	int i;

	(void)state;
	for (r = 0; r < COUNT(rows); r++)
		for (i = 0; i < rows[r].n; i++) {
			saola_gen_opts o = { NULL, rows[r].district, rows[r].commune, rows[r].year };
			json_t *h = saola_gen_household(F.g, &o), *next;

			if (!h)
				fail_msg("row %zu: no household", r);
			while (h) {
				check_places(h);
				if (rows[r].district &&
				    json_integer_value(json_object_get(h, "survey_year")) == rows[r].year)
					assert_string_equal(str(h, "district"), rows[r].district);
				if (json_integer_value(json_object_get(h, "survey_year")) == 2026)
					break;
				next = saola_gen_next_year(F.g, h);
				assert_non_null(next);
				json_decref(h);
				h = next;
			}
			json_decref(h);
		}
}

/* The commune the server's walk of the links says old (valid on date0)
 * went into by date1: a whole successor before a partial one, then the
 * lowest code; "" when the links lead nowhere. */
static void oracle(const char *old, const char *date1, char out[16])
{
	json_t *succ = NULL, *s;
	size_t i;
	int whole = 0;

	out[0] = '\0';
	assert_int_equal(saola__units_successors(saola__store_db(F.store), old, date1, &succ), 0);
	json_array_foreach(succ, i, s) {
		const char *code = str(s, "code");
		int w = json_is_true(json_object_get(s, "whole"));

		if (!out[0] || (w && !whole) || (w == whole && strcmp(code, out) < 0)) {
			snprintf(out, 16, "%s", code);
			whole = w;
		}
	}
	json_decref(succ);
}

/* The communes valid on date in province (through their district), by
 * code, with their district, into a new JSON array of [code, district]. */
static json_t *communes_of(const char *province, const char *date)
{
	sqlite3_stmt *st = NULL;
	json_t *out = json_array();

	assert_int_equal(sqlite3_prepare_v2(F.db, "SELECT c.code, c.parent FROM units c"
	                 " JOIN units d ON d.code = c.parent AND d.valid_from <= ?2"
	                 " AND (d.valid_to IS NULL OR d.valid_to >= ?2)"
	                 " WHERE c.level = 'commune' AND d.parent = ?1 AND c.valid_from <= ?2"
	                 " AND (c.valid_to IS NULL OR c.valid_to >= ?2) ORDER BY c.code",
	                 -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, province, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, date, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(out, json_pack("[s,s]", sqlite3_column_text(st, 0),
		                                     sqlite3_column_text(st, 1)));
	sqlite3_finalize(st);
	return out;
}

/* Where the generator must put old commune k of list (the oracle's answer;
 * for a commune no link names, that of the nearest commune of its district
 * before it that has one, else after it: --help's fallback). */
static void expected_of(json_t *list, size_t k, const char *date1, char out[16])
{
	const char *district = json_string_value(json_array_get(json_array_get(list, k), 1));
	size_t j, n = json_array_size(list);

	oracle(json_string_value(json_array_get(json_array_get(list, k), 0)), date1, out);
	for (j = k; !out[0] && j-- > 0;)
		if (!strcmp(district, json_string_value(json_array_get(json_array_get(list, j), 1))))
			oracle(json_string_value(json_array_get(json_array_get(list, j), 0)), date1, out);
	for (j = k + 1; !out[0] && j < n; j++)
		if (!strcmp(district, json_string_value(json_array_get(json_array_get(list, j), 1))))
			oracle(json_string_value(json_array_get(json_array_get(list, j), 0)), date1, out);
}

/* Every commune of 2024 (province 37): a household of it moved into 2025
 * is in the commune the links lead to (through the interim units of
 * 2025-01-01 where they are, e.g. the three the old table got wrong), and
 * most communes are placed by a link, not by the fallback. */
static void test_years_follow_links(void **state)
{
	char date0[SAOLA__DATE_MAX + 1], date1[SAOLA__DATE_MAX + 1], want[16];
	json_t *list;
	size_t k, linked = 0;

	(void)state;
	review_date(2024, date0);
	review_date(2025, date1);
	list = communes_of("37", date0);
	assert_true(json_array_size(list) > 100);
	for (k = 0; k < json_array_size(list); k++) {
		const char *code = json_string_value(json_array_get(json_array_get(list, k), 0));
		saola_gen_opts o = { NULL, NULL, code, 2024 };
		json_t *h = saola_gen_household(F.g, &o), *next;

		assert_non_null(h);
		next = saola_gen_next_year(F.g, h);
		assert_non_null(next);
		oracle(code, date1, want);
		linked += want[0] != '\0';
		expected_of(list, k, date1, want);
		if (!want[0] || strcmp(want, str(next, "commune")) != 0)
			fail_msg("%s in 2025: the generator says %s, the links %s", code,
			         str(next, "commune"), want[0] ? want : "nowhere");
		assert_string_equal(str(next, "household_id"), str(h, "household_id"));
		check_places(next);
		json_decref(h);
		json_decref(next);
	}
	assert_true(linked * 10 >= json_array_size(list) * 8);
	json_decref(list);
}

/* A schemas folder the generator cannot use is an error at start, which
 * says what and where. */
static void test_bad_schemas(void **state)
{
	static const struct { const char *units; const char *says; } rows[] = {
		{ NULL, "units" },    /* no units folder */
		{ "{\"id\":\"x\",\"units\":[{\"code\":\"38\",\"name\":\"T\",\"level\":\"province\","
		  "\"parent\":null,\"urban\":false,\"valid_from\":\"2020-01-01\",\"valid_to\":null}]}",
		  "37" },             /* the default province is not in the data */
		{ "{\"id\":\"x\",\"units\":[{\"code\":\"37\",\"level\":\"village\"}]}", "units[0]: level" },
		{ "{\"id\":\"x\",\"units\":[", "x.json" },
	};
	char dir[512], err[512];
	size_t r;

	(void)state;
	for (r = 0; r < COUNT(rows); r++) {
		snprintf(dir, sizeof dir, "%s", tu_tmpdir("genbad"));
		if (rows[r].units) {
			char sub[600];

			snprintf(sub, sizeof sub, "%s/units", dir);
			assert_int_equal(mkdir(sub, 0700), 0);
			ux_write(sub, "x.json", rows[r].units);
		}
		err[0] = '\0';
		assert_null(saola_gen_new_schemas(1, dir, err, sizeof err));
		if (!strstr(err, rows[r].says))
			fail_msg("row %zu: \"%s\" does not say %s", r, err, rows[r].says);
		tu_rmtree(dir);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_places_of_year),
		cmocka_unit_test(test_years_follow_links),
		cmocka_unit_test(test_bad_schemas),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
