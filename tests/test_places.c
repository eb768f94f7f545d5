/* test_places.c: administrative units in the device store (places.c):
 * loading and replacing units files, finding a unit by code and date,
 * saola_put checking a record's places for its survey year, units sent to
 * a device as GET /v1/forms gives them; and numbers printed as entered
 * (json_out.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "saola_int.h"
#include "places.h"
#include "json_out.h"

typedef struct fixture {
	char dir[512];
	saola *db;
} fixture;

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);

	snprintf(fx->dir, sizeof fx->dir, "%s", tu_tmpdir("places"));
	fx->db = tu_open_fixture(tu_path(fx->dir, "device.db"));
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;

	saola_close(fx->db);
	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* A household of 2024 or 2025 with the places given (JSON members). */
static json_t *household(const char *places)
{
	json_t *h = tu_json(
		"{\"village\":\"Thôn 1\",\"head_name\":\"Đinh Văn Hùng\","
		"\"agri_household\":true,\"income_per_capita\":1800000,\"has_house\":true,"
		"\"walls_durable\":true,\"frame_durable\":true,\"roof_durable\":true,"
		"\"house_area_m2\":60,\"water_source\":\"piped\",\"latrine\":\"septic\","
		"\"internet_use\":true,\"info_devices\":[\"tv\"],\"support_received\":[],"
		"\"poverty_causes\":[],\"members\":[{\"name\":\"Đinh Văn Hùng\",\"sex\":\"male\","
		"\"birth_year\":1980,\"relation\":\"head\",\"health_insurance\":true,"
		"\"employment\":\"contract\",\"education\":\"upper_secondary\","
		"\"disability\":false}]}");
	json_t *p = tu_json(places);

	json_object_update(h, p);
	json_decref(p);
	return h;
}

/* The unit valid on a date: versions by valid_from, none before the first
 * or after the last. */
static void test_find(void **state)
{
	fixture *fx = *state;
	static const struct {
		const char *code, *date, *parent; /* parent NULL: none valid */
	} cases[] = {
		{"14404", "2024-11-01", "372"},
		{"14404", "2025-06-30", "372"},
		{"14404", "2025-07-01", "37"},
		{"14404", "2019-12-31", NULL},
		{"14320", "2025-11-01", NULL},
		{"14329", "2025-11-01", "37"},
		{"14329", "2024-11-01", NULL},
		{"99999", "2024-11-01", NULL},
		{"", "2024-11-01", NULL},
	};
	size_t i;

	assert_int_equal(saola__places_count(fx->db), 12);
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		const saola__place *p = saola__places_find(fx->db, cases[i].code, cases[i].date);
		if (!cases[i].parent) {
			if (p)
				fail_msg("case %zu: %s on %s: found", i, cases[i].code, cases[i].date);
			continue;
		}
		if (!p)
			fail_msg("case %zu: %s on %s: not found", i, cases[i].code, cases[i].date);
		assert_string_equal(p->parent, cases[i].parent);
	}
	assert_int_equal(saola__places_level_exists(fx->db, "district", "2024-11-01"), 1);
	assert_int_equal(saola__places_level_exists(fx->db, "district", "2025-11-01"), 0);
}

/* saola_put checks the places for the survey year (review day 11-01) and
 * computes area from the commune; a refusal changes nothing. */
static void test_put(void **state)
{
	fixture *fx = *state;
	static const struct {
		const char *places;
		const char *area; /* NULL: refused with err */
		const char *err;
	} cases[] = {
		{"{\"survey_year\":2024,\"province\":\"37\",\"district\":\"372\",\"commune\":\"14404\"}",
		 "rural", NULL},
		{"{\"survey_year\":2024,\"province\":\"37\",\"district\":\"372\",\"commune\":\"14401\"}",
		 "urban", NULL},
		{"{\"survey_year\":2025,\"province\":\"37\",\"commune\":\"14329\"}", "urban", NULL},
		{"{\"survey_year\":2021,\"province\":\"37\",\"district\":\"369\",\"commune\":\"14347\"}",
		 "rural", NULL},
		{"{\"survey_year\":2024,\"province\":\"37\",\"district\":\"369\",\"commune\":\"14404\"}",
		 NULL, "unit.commune: 14404 Xã Cúc Phương lies in district 372 Huyện Nho Quan, not 369"},
		{"{\"survey_year\":2024,\"province\":\"37\",\"district\":\"372\",\"commune\":\"99999\"}",
		 NULL, "unit.commune: 99999 is not a commune valid in 2024 (schemas/units)"},
		{"{\"survey_year\":2025,\"province\":\"37\",\"district\":\"372\",\"commune\":\"14404\"}",
		 NULL, "unit.district: 2025 has no districts: leave district empty"},
	};
	size_t i;
	int64_t before, after;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		json_t *h = household(cases[i].places), *rec = NULL;
		char id[37];
		int rc;

		assert_int_equal(saola_outbox_count(fx->db, &before), SAOLA_OK);
		rc = saola_put(fx->db, "household", NULL, h, id);
		json_decref(h);
		if (!cases[i].area) {
			assert_int_equal(rc, SAOLA_INVALID);
			assert_string_equal(saola_errmsg(fx->db), cases[i].err);
			assert_int_equal(saola_outbox_count(fx->db, &after), SAOLA_OK);
			assert_int_equal(after, before);
			continue;
		}
		if (rc != SAOLA_OK)
			fail_msg("case %zu: %s", i, saola_errmsg(fx->db));
		assert_int_equal(saola_get(fx->db, id, &rec), SAOLA_OK);
		assert_string_equal(json_string_value(json_object_get(json_object_get(rec, "data"),
		                                                      "area")), cases[i].area);
		json_decref(rec);
	}
}

/* Units go to a device as the server's GET /v1/forms sends them (one
 * object per file id), and a new load of a file id replaces its units. */
static void test_export_reload(void **state)
{
	fixture *fx = *state;
	saola *dev = NULL;
	json_t *files = NULL, *f;
	char *text;
	size_t i;

	assert_int_equal(saola__places_export(fx->db, &files), SAOLA_OK);
	assert_int_equal(json_array_size(files), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(files, 0), "id")),
	                    "test-units-37");
	assert_int_equal(saola_open(tu_path(fx->dir, "other.db"), SAOLA_OPEN_CREATE, &dev),
	                 SAOLA_OK);
	json_array_foreach(files, i, f) {
		text = json_dumps(f, JSON_COMPACT);
		assert_int_equal(saola_form_load(dev, text, NULL), SAOLA_OK);
		free(text);
	}
	assert_int_equal(saola__places_count(dev), 12);
	assert_non_null(saola__places_find(dev, "14404", "2025-11-01"));
	/* the same id again, with one unit: replaces the twelve */
	assert_int_equal(saola_form_load(dev, "{\"id\":\"test-units-37\",\"units\":[{\"code\":\"37\","
	                 "\"name\":\"Tỉnh Ninh Bình\",\"level\":\"province\",\"parent\":null,"
	                 "\"urban\":false,\"valid_from\":\"2020-01-01\",\"valid_to\":null}]}", NULL),
	                 SAOLA_OK);
	assert_int_equal(saola__places_count(dev), 1);
	/* a bad unit: refused, with where and why, nothing changed */
	assert_int_equal(saola_form_load(dev, "{\"id\":\"x\",\"units\":[{\"code\":\"3a\"}]}", NULL),
	                 SAOLA_INVALID);
	assert_string_equal(saola_errmsg(dev),
	                    "form: units[0]: code: expected a unit code of 1 to 8 digits");
	assert_int_equal(saola__places_count(dev), 1);
	saola_close(dev);
	json_decref(files);
}

/* Reals are printed as entered: the shortest text that reads back. */
static void test_reals(void **state)
{
	static const struct {
		double d;
		const char *text;
	} cases[] = {
		{98.6, "98.6"}, {0.1, "0.1"}, {0.1 + 0.2, "0.30000000000000004"},
		{2.0, "2.0"}, {-7.25, "-7.25"}, {1e300, "1e+300"}, {123456.789, "123456.789"},
		{1.0 / 3.0, "0.3333333333333333"}, {5e-324, "4.94065645841247e-324"},
		{15.99, "15.99"}, {7.995, "7.995"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		char buf[SAOLA__JSON_REAL_MAX];
		json_t *v = json_pack("{s:f}", "x", cases[i].d), *back;
		char *text = saola__json_dump(v, NULL), want[80];

		saola__json_real_text(cases[i].d, buf);
		assert_string_equal(buf, cases[i].text);
		snprintf(want, sizeof want, "{\"x\":%s}", cases[i].text);
		assert_string_equal(text, want);
		back = json_loads(text, 0, NULL);
		assert_true(json_is_real(json_object_get(back, "x")));
		assert_true(json_real_value(json_object_get(back, "x")) == cases[i].d);
		json_decref(back);
		free(text);
		json_decref(v);
	}
}

/* The indented writer gives what jansson's JSON_INDENT(2) gives, but for
 * reals. */
static void test_indent(void **state)
{
	json_t *v = tu_json("{\"a\":[1,{\"b\":\"c\"},[]],\"d\":{},\"e\":null,\"f\":98.6}");
	char *mine = saola__json_dump_indent(v, 2, NULL);

	(void)state;
	assert_string_equal(mine, "{\n  \"a\": [\n    1,\n    {\n      \"b\": \"c\"\n    },\n"
	                          "    []\n  ],\n  \"d\": {},\n  \"e\": null,\n  \"f\": 98.6\n}");
	free(mine);
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_reload, setup, teardown),
		cmocka_unit_test(test_reals),
		cmocka_unit_test(test_indent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
