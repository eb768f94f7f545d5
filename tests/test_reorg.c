/* test_reorg.c: reports and areas across the reorganisation of units of
 * 1 July 2025, over the fixture of support/unitsfx.c: an old commune's
 * 2024 households meet their 2025 selves in the new commune in the
 * transitions; every partial mapping is reported partial; 2025 has no
 * districts (--by district refused, commune by default) while 2024 keeps
 * its districts; the plan's area followed through the mapping; a district
 * user's area across the reform. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report.h"
#include "rules.h"
#include "store.h"
#include "testutil.h"
#include "unitsfx.h"

static struct {
	const char *schemas;
	saola__store *store;
	sqlite3 *db;
} F;

/* The store's SQL connection (db.h). */
static saola__db *conn(void)
{
	return saola__store_db(F.store);
}

/* id, year, district (NULL none), commune, household, class. */
static const struct hh {
	const char *id;
	int year;
	const char *district, *commune, *household, *cls;
} households[] = {
	{"r01", 2024, "372", "14404", "H1", "poor"},
	{"r02", 2024, "372", "14407", "H2", "poor"},
	{"r03", 2024, "375", "14563", "H3", "near_poor"},
	{"r04", 2024, "375", "14563", "H4", "poor"},
	{"r05", 2024, "372", "14410", "H5", "poor"},
	{"r06", 2024, "372", "14404", "H7", "poor"},
	{"r11", 2025, NULL, "20001", "H1", "not_poor"},   /* escaped */
	{"r12", 2025, NULL, "20001", "H2", "poor"},       /* still poor */
	{"r13", 2025, NULL, "20004", "H3", "near_poor"},  /* still near-poor, split 14563 */
	{"r14", 2025, NULL, "20003", "H4", "not_poor"},   /* escaped, split 14563 */
	{"r16", 2025, NULL, "20002", "H6", "poor"},       /* newly poor */
	{"r17", 2025, NULL, "20003", "H7", "poor"},       /* not 14404's: another household */
	{"r18", 2025, NULL, "20005", "H8", "poor"},       /* old Hà Nam: not the plan's area */
};

static int setup(void **state)
{
	size_t i;

	(void)state;
	F.schemas = ux_schemas();
	F.store = ux_store(F.schemas, &F.db);
	for (i = 0; i < sizeof households / sizeof households[0]; i++) {
		const struct hh *h = &households[i];
		ux_household(F.db, h->id, h->year, "37", h->district, h->commune, h->household, h->cls);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	saola__store_close(F.store);
	ux_cleanup();
	return 0;
}

static int run(const char *name, int by, int year, const char *area, const char *scope,
               json_t **rep, saola__err *e)
{
	saola__report_req rq;

	memset(&rq, 0, sizeof rq);
	rq.reports = saola__report_bit(name);
	rq.by = by;
	rq.year = year;
	rq.area = area;
	rq.scope = scope;
	rq.schemas = F.schemas;
	*rep = NULL;
	return saola__report_run(saola__store_db(F.store), &rq, rep, e);
}

static json_t *report(const char *name, int by, int year, const char *area)
{
	json_t *rep;
	saola__err e;

	if (run(name, by, year, area, NULL, &rep, &e) != 0)
		fail_msg("report %s: %s", name, e.message);
	return rep;
}

static json_t *row_of(json_t *rep, const char *code)
{
	json_t *row;
	size_t i;

	json_array_foreach(json_object_get(rep, "rows"), i, row)
		if (strcmp(json_string_value(json_object_get(json_object_get(row, "unit"), "code")),
		           code) == 0)
			return row;
	return NULL;
}

static void test_transitions_through_mapping(void **state)
{
	static const struct {
		const char *code, *key;
		json_int_t want;
	} cells[] = {
		{"20001", "from_poor", 3}, {"20001", "escaped_poverty_out", 1},
		{"20001", "stayed_poor", 1}, {"20001", "poor_not_surveyed", 1},
		{"20001", "matched", 2}, {"20001", "households_before", 3},
		{"20002", "poor_not_surveyed", 1}, {"20002", "newly_poor", 1},
		{"20002", "households_before", 1}, {"20002", "matched", 0},
		{"20003", "escaped_poverty_out", 1}, {"20003", "newly_poor", 1},
		{"20003", "matched", 1},
		{"20004", "stayed_near_poor", 1}, {"20004", "matched", 1},
		{"20005", "newly_poor", 1},
	};
	json_t *rep = report("transitions", -1, 2025, "37"), *row;
	size_t i;

	(void)state;
	assert_string_equal(json_string_value(json_object_get(rep, "by")), "commune");
	for (i = 0; i < sizeof cells / sizeof cells[0]; i++) {
		row = row_of(rep, cells[i].code);
		if (!row || json_integer_value(json_object_get(row, cells[i].key)) != cells[i].want)
			fail_msg("%s %s: %lld, expected %lld", cells[i].code, cells[i].key,
			         row ? (long long)json_integer_value(json_object_get(row, cells[i].key))
			         : -1LL, (long long)cells[i].want);
	}
	/* Rows by new unit only: the old communes are folded into them. */
	json_array_foreach(json_object_get(rep, "rows"), i, row) {
		const char *code = json_string_value(json_object_get(json_object_get(row, "unit"),
		                                                     "code"));
		if (!code || strlen(code) != 5 || code[0] != '2')
			fail_msg("a row of an old unit in 2025: %s", code ? code : "(none)");
	}
	assert_int_equal(json_integer_value(json_object_get(json_object_get(rep, "total"),
	                                                    "households_before")), 6);
	json_decref(rep);
}

/* Every partial mapping is reported partial, exact ones exact; the total
 * too when any row is partial; the note names the old unit split. */
static void test_partial_reported(void **state)
{
	static const struct {
		const char *code, *mapping;
	} want[] = {
		{"20001", "exact"}, {"20002", "exact"}, {"20003", "partial"}, {"20004", "partial"},
	};
	json_t *rep = report("transitions", SAOLA__BY_COMMUNE, 2025, "37"), *row, *total;
	const char *en;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		row = row_of(rep, want[i].code);
		assert_non_null(row);
		assert_string_equal(json_string_value(json_object_get(row, "mapping")), want[i].mapping);
		en = json_string_value(json_object_get(json_object_get(row, "note"), "en"));
		if (strcmp(want[i].mapping, "partial") == 0) {
			assert_non_null(en);
			assert_non_null(strstr(en, "14563 Xã Khánh Cư went partly into 20003 and 20004"));
			assert_non_null(strstr(en, "matched by code across"));
		} else {
			assert_null(en);
		}
	}
	total = json_object_get(rep, "total");
	assert_string_equal(json_string_value(json_object_get(total, "mapping")), "partial");
	json_decref(rep);
	/* By province: the one row holds the partial units. */
	rep = report("transitions", SAOLA__BY_PROVINCE, 2025, "37");
	assert_string_equal(json_string_value(json_object_get(row_of(rep, "37"), "mapping")),
	                    "partial");
	json_decref(rep);
}

static void test_no_districts_after_reform(void **state)
{
	json_t *rep;
	saola__err e;

	(void)state;
	assert_int_equal(run("summary", SAOLA__BY_DISTRICT, 2025, "37", NULL, &rep, &e), -1);
	assert_null(rep);
	assert_int_equal(saola__err_status(&e), 400);
	assert_string_equal(e.message, "2025 has no districts (units reorganised 2025-07-01):"
	                    " use --by commune or --by province");
	/* An old district as the area (a district officer's own scope) is no
	 * unit in 2025: refused, naming the units formed wholly from it (20001
	 * and 20002, not the split 20004), not a report of nothing. */
	assert_int_equal(run("summary", -1, 2025, NULL, "372", &rep, &e), -1);
	assert_int_equal(saola__err_status(&e), 400);
	assert_string_equal(e.message, "district 372 Huyện Nho Quan is not a unit in 2025 (units"
	                    " reorganised): report on the province, or on a unit formed wholly from"
	                    " it (20001, 20002)");
	assert_int_equal(run("summary", -1, 2025, "20001", "372", &rep, &e), 0);
	json_decref(rep);
	assert_int_equal(run("summary", -1, 2024, NULL, "372", &rep, &e), 0);
	json_decref(rep);
	/* The default for a province in 2025 is the commune. */
	rep = report("summary", -1, 2025, "37");
	assert_string_equal(json_string_value(json_object_get(rep, "by")), "commune");
	assert_non_null(row_of(rep, "20001"));
	json_decref(rep);
	/* 2024 keeps its districts and its old units; old records keep their codes. */
	rep = report("summary", -1, 2024, "37");
	assert_string_equal(json_string_value(json_object_get(rep, "by")), "district");
	assert_int_equal(json_integer_value(json_object_get(row_of(rep, "372"), "households")), 4);
	assert_int_equal(json_integer_value(json_object_get(row_of(rep, "375"), "households")), 2);
	json_decref(rep);
}

static void test_target_through_mapping(void **state)
{
	json_t *rep = report("progress", -1, 2025, "37"), *total, *ta, *u;
	char codes[128] = "";
	size_t i;

	(void)state;
	total = json_object_get(rep, "total");
	ta = json_object_get(total, "target_area");
	assert_non_null(ta);
	assert_string_equal(json_string_value(json_object_get(ta, "code")), "37");
	assert_int_equal(json_integer_value(json_object_get(ta, "as_of")), 2021);
	assert_string_equal(json_string_value(json_object_get(ta, "mapping")), "partial");
	json_array_foreach(json_object_get(ta, "units"), i, u)
		snprintf(codes + strlen(codes), sizeof codes - strlen(codes), "%s%s%s", i ? " " : "",
		         json_string_value(json_object_get(u, "code")),
		         json_is_true(json_object_get(u, "inside")) ? "" : "*");
	assert_string_equal(codes, "20001 20002 20003 20004*");
	/* Counted over those units: 20005 (old Hà Nam) is not the plan's. */
	assert_int_equal(json_integer_value(json_object_get(total, "households")), 6);
	assert_int_equal(json_integer_value(json_object_get(total, "poor")), 3);
	/* Its coverage too: the 4 units followed, not the 5 of the new province. */
	assert_string_equal(json_string_value(json_object_get(total, "status")), "not_enough_data");
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(total,
	                "status_text"), "en")), " of 4 communes"));
	json_decref(rep);
	/* Before the reform the plan's province is itself. */
	rep = report("progress", -1, 2024, "37");
	assert_null(json_object_get(json_object_get(rep, "total"), "target_area"));
	json_decref(rep);
}

/* A district user's area in 2025: the new units formed only from their
 * old district; a province user's: all of the new province. */
static void test_district_user_across_reform(void **state)
{
	static const struct {
		const char *role, *area, *district, *commune;
		int year, allowed;
	} cases[] = {
		{"district", "372", NULL, "20001", 2025, 1},
		{"district", "372", NULL, "20002", 2025, 1},
		{"district", "372", NULL, "20003", 2025, 0},
		{"district", "375", NULL, "20003", 2025, 1},
		{"district", "375", NULL, "20004", 2025, 0},   /* takes in part of old 35 */
		{"district", "375", NULL, "20001", 2025, 0},
		{"district", "372", "372", "14404", 2024, 1},   /* old records: old units */
		{"district", "372", NULL, "14404", 2024, 0},
		{"province", "37", NULL, "20004", 2025, 1},
		{"province", "37", NULL, "20005", 2025, 1},
		{"commune", "14404", NULL, "20001", 2025, 0},   /* 20001 is more than 14404 */
		{"commune", "14410", NULL, "20002", 2025, 1},   /* 20002 is 14410 alone */
		{"commune", "14410", NULL, "20002", 2024, 0},   /* not before the reform */
		{"commune", "14563", NULL, "20003", 2025, 0},   /* split: more than 14563 */
		{"surveyor", "20001", NULL, "20001", 2025, 1},
		{"surveyor", "20001", NULL, "20002", 2025, 0},
	};
	saola__rules r;
	saola__user u;
	saola__units units;
	saola__err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc;
		memset(&u, 0, sizeof u);
		snprintf(u.role, sizeof u.role, "%s", cases[i].role);
		snprintf(u.area, sizeof u.area, "%s", cases[i].area);
		saola__units_set(&units, "37", cases[i].district, cases[i].commune);
		saola__rules_init(&r, conn());
		rc = saola__rules_chain(&r, &units, cases[i].year, "test", &e);
		if (rc != 0)
			fail_msg("case %zu: chain: %s", i, e.message);
		rc = saola__rules_area(&r, &u, &units, cases[i].year, "test", &e);
		if ((rc == 0) != cases[i].allowed)
			fail_msg("case %zu: %s %s, commune %s in %d: %s", i, cases[i].role, cases[i].area,
			         cases[i].commune, cases[i].year, rc == 0 ? "allowed" : e.message);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transitions_through_mapping),
		cmocka_unit_test(test_partial_reported),
		cmocka_unit_test(test_no_districts_after_reform),
		cmocka_unit_test(test_target_through_mapping),
		cmocka_unit_test(test_district_user_across_reform),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
