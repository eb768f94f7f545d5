/* test_gen.c: the household generator is deterministic, writes well-formed, coherent records and agrees with schemas/units/ninh-binh.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gen.h"
#include "testutil.h"

#ifndef SAOLA_TEST_SCHEMAS
#error "SAOLA_TEST_SCHEMAS must name the schemas folder"
#endif

#define UNITS_FILE SAOLA_TEST_SCHEMAS "/units/ninh-binh.json"

/* ------------------------------------------------------------------ */
/* The entered fields of household-record.md, in order, with their types
 * and code lists. */

enum kind { TEXT, INTEGER, BOOLEAN, DECIMAL, ONE, MANY, REPEAT };

struct field {
	const char *name;
	enum kind kind;
	const char *const *codes;
};

static const char *const area_codes[] = { "rural", "urban", NULL };
static const char *const water_codes[] = {
	"piped", "drilled_well", "protected_dug_well", "protected_spring", "rainwater", "bottled",
	"unprotected_well", "unprotected_spring", "surface_water", "other", NULL,
};
static const char *const latrine_codes[] = {
	"septic", "semi_septic", "pour_flush", "double_vault", "ventilated_pit", "simple_pit", "other", "none", NULL,
};
static const char *const device_codes[] = { "tv", "radio", "computer", "smartphone", "tablet", NULL };
static const char *const support_codes[] = {
	"health_insurance", "education", "housing", "credit", "vocational_training", "job_placement",
	"labour_export", "water_sanitation", "information", "production", NULL,
};
static const char *const cause_codes[] = {
	"no_capital", "no_land", "no_labour", "no_skills", "illness", "disability", "many_dependants",
	"disaster", "other", NULL,
};
static const char *const sex_codes[] = { "male", "female", NULL };
static const char *const relation_codes[] = { "head", "spouse", "child", "parent", "grandchild", "other", NULL };
static const char *const employment_codes[] = {
	"contract", "no_contract", "self_employed", "unemployed", "not_working", NULL,
};
static const char *const education_codes[] = {
	"none", "primary", "lower_secondary", "upper_secondary", "vocational", "college", "university", NULL,
};

static const struct field household_fields[] = {
	{ "province", TEXT, NULL },
	{ "district", TEXT, NULL },
	{ "commune", TEXT, NULL },
	{ "village", TEXT, NULL },
	{ "area", ONE, area_codes },
	{ "survey_year", INTEGER, NULL },
	{ "head_name", TEXT, NULL },
	{ "agri_household", BOOLEAN, NULL },
	{ "income_per_capita", INTEGER, NULL },
	{ "has_house", BOOLEAN, NULL },
	{ "walls_durable", BOOLEAN, NULL },
	{ "frame_durable", BOOLEAN, NULL },
	{ "roof_durable", BOOLEAN, NULL },
	{ "house_area_m2", DECIMAL, NULL },
	{ "water_source", ONE, water_codes },
	{ "latrine", ONE, latrine_codes },
	{ "internet_use", BOOLEAN, NULL },
	{ "info_devices", MANY, device_codes },
	{ "support_received", MANY, support_codes },
	{ "poverty_causes", MANY, cause_codes },
	{ "members", REPEAT, NULL },
};

static const struct field member_fields[] = {
	{ "name", TEXT, NULL },
	{ "sex", ONE, sex_codes },
	{ "birth_year", INTEGER, NULL },
	{ "relation", ONE, relation_codes },
	{ "health_insurance", BOOLEAN, NULL },
	{ "employment", ONE, employment_codes },
	{ "education", ONE, education_codes },
	{ "in_school", BOOLEAN, NULL },
	{ "disability", BOOLEAN, NULL },
	{ "undernourished", BOOLEAN, NULL },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int code_index(const char *const *codes, const char *s)
{
	int i;

	for (i = 0; s && codes[i]; i++)
		if (strcmp(codes[i], s) == 0)
			return i;
	return -1;
}

/* Exactly these fields, in this order, each of its type, from its list. */
static void check_fields(const json_t *o, const struct field *fields, size_t n, const char *what)
{
	const char *key;
	json_t *v;
	size_t i = 0;

	assert_true(json_is_object(o));
	assert_int_equal(json_object_size(o), n);
	json_object_foreach((json_t *)o, key, v) {
		const struct field *f = &fields[i++];

		if (strcmp(key, f->name) != 0)
			fail_msg("%s: field %zu is \"%s\", expected \"%s\"", what, i - 1, key, f->name);
		switch (f->kind) {
		case TEXT:
			assert_true(json_is_string(v));
			assert_true(json_string_length(v) > 0);
			break;
		case INTEGER:
			assert_true(json_is_integer(v));
			break;
		case BOOLEAN:
			assert_true(json_is_boolean(v));
			break;
		case DECIMAL:
			assert_true(json_is_number(v));
			assert_true(json_number_value(v) >= 0);
			break;
		case ONE:
			if (code_index(f->codes, json_string_value(v)) < 0)
				fail_msg("%s.%s: %s is not in its list", what, key,
				         json_is_string(v) ? json_string_value(v) : "(not a string)");
			break;
		case MANY: {
			size_t j;
			json_t *c;
			int last = -1;

			assert_true(json_is_array(v));
			json_array_foreach(v, j, c) {
				int k = code_index(f->codes, json_string_value(c));

				assert_true(k > last); /* known, no repeats, in list order */
				last = k;
			}
			break;
		}
		case REPEAT:
			assert_true(json_is_array(v));
			break;
		}
	}
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long num(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static int flag(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

/* Entered fields and types, then who is who: one head named in head_name,
 * a spouse of the other sex, children and grandchildren younger than the
 * head and the spouse, parents older; fields that depend on age. */
static void check_household(const json_t *h)
{
	json_t *members = json_object_get(h, "members"), *m;
	const json_t *head = NULL, *spouse = NULL;
	long long year;
	size_t i;
	int heads = 0, spouses = 0;

	struct field fields[COUNT(household_fields)];
	size_t n = 0;

	/* From 2025 (the units after the reorganisation) there is no district. */
	year = num(h, "survey_year");
	for (i = 0; i < COUNT(household_fields); i++)
		if (year < 2025 || strcmp(household_fields[i].name, "district") != 0)
			fields[n++] = household_fields[i];
	check_fields(h, fields, n, "household");
	assert_true(json_array_size(members) >= 1 && json_array_size(members) <= 8);
	assert_true(num(h, "income_per_capita") > 0);
	json_array_foreach(members, i, m) {
		check_fields(m, member_fields, COUNT(member_fields), "member");
		if (strcmp(str(m, "relation"), "head") == 0) {
			head = m;
			heads++;
		} else if (strcmp(str(m, "relation"), "spouse") == 0) {
			spouse = m;
			spouses++;
		}
	}
	assert_int_equal(heads, 1);
	assert_true(spouses <= 1);
	assert_string_equal(str(h, "head_name"), str(head, "name"));
	if (spouse)
		assert_string_not_equal(str(spouse, "sex"), str(head, "sex"));
	json_array_foreach(members, i, m) {
		const char *rel = str(m, "relation");
		long long by = num(m, "birth_year"), age = year - by;

		assert_true(age >= 0 && age <= 105);
		if (strcmp(rel, "child") == 0) {
			assert_true(by >= num(head, "birth_year") + 15);
			if (spouse)
				assert_true(by >= num(spouse, "birth_year") + 15);
		} else if (strcmp(rel, "grandchild") == 0) {
			assert_true(by >= num(head, "birth_year") + 30);
		} else if (strcmp(rel, "parent") == 0) {
			assert_true(by <= num(head, "birth_year") - 15);
		}
		if (flag(m, "undernourished"))
			assert_true(age < 16);
		if (age < 3)
			assert_false(flag(m, "in_school"));
		if (age < 6)
			assert_string_equal(str(m, "education"), "none");
		if (age < 15)
			assert_string_equal(str(m, "employment"), "not_working");
	}
}

static char *dump(const json_t *h)
{
	char *s = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);

	assert_non_null(s);
	return s;
}

/* ------------------------------------------------------------------ */

static void test_same_seed_same_output(void **state)
{
	saola_gen *a = saola_gen_new(42), *b = saola_gen_new(42);
	int i;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	for (i = 0; i < 300; i++) {
		json_t *ha = saola_gen_household(a, NULL), *hb = saola_gen_household(b, NULL);
		json_t *na = saola_gen_next_year(a, ha), *nb = saola_gen_next_year(b, hb);
		char *sa = dump(ha), *sb = dump(hb), *ta = dump(na), *tb = dump(nb);

		assert_string_equal(sa, sb);
		assert_string_equal(ta, tb);
		free(sa);
		free(sb);
		free(ta);
		free(tb);
		json_decref(ha);
		json_decref(hb);
		json_decref(na);
		json_decref(nb);
	}
	saola_gen_free(a);
	saola_gen_free(b);
}

static void test_different_seeds_differ(void **state)
{
	saola_gen *a = saola_gen_new(1), *b = saola_gen_new(2);
	int i, same = 0;

	(void)state;
	for (i = 0; i < 50; i++) {
		json_t *ha = saola_gen_household(a, NULL), *hb = saola_gen_household(b, NULL);
		char *sa = dump(ha), *sb = dump(hb);

		same += strcmp(sa, sb) == 0;
		free(sa);
		free(sb);
		json_decref(ha);
		json_decref(hb);
	}
	assert_int_equal(same, 0);
	saola_gen_free(a);
	saola_gen_free(b);
}

/* Well-formed and coherent, and plausible over many households. */
static void test_records(void **state)
{
	saola_gen *g = saola_gen_new(7);
	const int n = 5000;
	long members = 0, insured = 0, disabled = 0, decimals = 0, with_causes = 0, low_with_causes = 0,
	     low = 0;
	int i;

	(void)state;
	for (i = 0; i < n; i++) {
		json_t *h = saola_gen_household(g, NULL), *next, *m;
		size_t j;
		double area;

		assert_non_null(h);
		check_household(h);
		assert_int_equal(num(h, "survey_year"), 2024); /* the default since the reorganisation */
		area = json_number_value(json_object_get(h, "house_area_m2"));
		decimals += area != (double)(long long)area;
		json_array_foreach(json_object_get(h, "members"), j, m) {
			members++;
			insured += flag(m, "health_insurance");
			disabled += flag(m, "disability");
		}
		if (num(h, "income_per_capita") <= 1500000) {
			low++;
			low_with_causes += json_array_size(json_object_get(h, "poverty_causes")) > 0;
		} else {
			with_causes += json_array_size(json_object_get(h, "poverty_causes")) > 0;
		}
		next = saola_gen_next_year(g, h);
		assert_non_null(next);
		check_household(next);
		json_decref(next);
		json_decref(h);
	}
	/* Mean household size about 3.6; insurance common, disability rare;
	 * area mostly whole square metres; causes mostly for low incomes. */
	assert_true(members > 3.3 * n && members < 3.9 * n);
	assert_true(insured > members * 8 / 10);
	assert_true(disabled < members * 5 / 100);
	assert_true(decimals > 0 && decimals < n / 4);
	assert_true(low_with_causes > low * 8 / 10);
	assert_true(with_causes < (n - low) / 10);
	saola_gen_free(g);
}

/* About the share of households at or below the rural line. */
static void test_income_share(void **state)
{
	saola_gen *g = saola_gen_new(2025);
	const int n = 10000;
	int i, low = 0;

	(void)state;
	for (i = 0; i < n; i++) {
		json_t *h = saola_gen_household(g, NULL);

		assert_non_null(h);
		low += num(h, "income_per_capita") <= 1500000;
		json_decref(h);
	}
	assert_true(low >= n * 3 / 100 && low <= n * 25 / 100);
	saola_gen_free(g);
}

static void test_next_year(void **state)
{
	saola_gen *g = saola_gen_new(99);
	saola_gen_opts opts = { NULL, NULL, NULL, 2023 };
	json_t *bad;
	int i, year;

	(void)state;
	for (i = 0; i < 500; i++) {
		json_t *h = saola_gen_household(g, &opts);

		for (year = 2024; year <= 2026; year++) {
			json_t *next = saola_gen_next_year(g, h);
			static const char *const kept[] = { "province", "district", "commune", "head_name" };
			size_t k;

			assert_non_null(next);
			check_household(next);
			assert_int_equal(num(next, "survey_year"), year);
			/* into 2025 the commune formed from the old one, no district */
			for (k = 0; k < COUNT(kept); k++)
				if (year < 2025 || k == 0 || k == 3)
					assert_string_equal(str(next, kept[k]), str(h, kept[k]));
			if (year == 2025)
				assert_null(json_object_get(next, "district"));
			json_decref(h);
			h = next;
		}
		json_decref(h);
	}
	/* Not a household record: no answer. */
	assert_null(saola_gen_next_year(g, NULL));
	bad = json_pack("{s:s}", "province", "37");
	assert_non_null(bad);
	assert_null(saola_gen_next_year(g, bad));
	json_decref(bad);
	saola_gen_free(g);
}

/* Every generated household's places are valid for its year in the
 * shipped units (schemas/units): the store takes each one, in 2024 with
 * districts, moved on into 2025, and made in 2025 and 2026 without. */
static void test_places_valid(void **state)
{
	char dir[512];
	saola *db;
	saola_gen *g = saola_gen_new(12);
	int i, rc;

	(void)state;
	snprintf(dir, sizeof dir, "%s", tu_tmpdir("genplaces"));
	db = tu_open(tu_path(dir, "d.db"), 1);
	assert_int_equal(saola_begin(db), SAOLA_OK);
	for (i = 0; i < 400; i++) {
		saola_gen_opts opts = { NULL, NULL, NULL, i % 4 == 2 ? 2025 : i % 4 == 3 ? 2026 : 2024 };
		json_t *h = saola_gen_household(g, &opts), *next = NULL;

		assert_non_null(h);
		if ((rc = saola_put(db, "household", NULL, h, NULL)) != SAOLA_OK)
			fail_msg("household %d (%s): %s", i, str(h, "commune"), saola_errmsg(db));
		if (i % 4 == 1) {
			next = saola_gen_next_year(g, h);
			if ((rc = saola_put(db, "household", NULL, next, NULL)) != SAOLA_OK)
				fail_msg("household %d in 2025 (%s): %s", i, str(next, "commune"),
				         saola_errmsg(db));
		}
		json_decref(next);
		json_decref(h);
	}
	assert_int_equal(saola_commit(db), SAOLA_OK);
	saola_close(db);
	tu_rmtree(dir);
	saola_gen_free(g);
}

/* ------------------------------------------------------------------ */
/* The units: the file is what the domain page says, and the generator,
 * which reads the units from the schemas folder, agrees with it (its places
 * year by year and its moves along the links: test_gen_units.c). */

static json_t *units;

static int load_units(void **state)
{
	json_error_t err;

	(void)state;
	units = json_load_file(UNITS_FILE, 0, &err);
	if (!units) {
		fprintf(stderr, "%s:%d:%d: %s\n", UNITS_FILE, err.line, err.column, err.text);
		return -1;
	}
	return 0;
}

static int free_units(void **state)
{
	(void)state;
	json_decref(units);
	units = NULL;
	return 0;
}

static const json_t *find_unit(const char *code)
{
	size_t i;
	json_t *u;

	json_array_foreach(json_object_get(units, "units"), i, u)
		if (strcmp(str(u, "code"), code) == 0)
			return u;
	return NULL;
}

static void test_units_file(void **state)
{
	static const char *const districts[] = { "369", "370", "372", "373", "374", "375", "376", "377" };
	static const int per_district[] = { 14, 9, 27, 21, 11, 19, 25, 17 };
	static const char *const keys[] = { "code", "name", "level", "parent", "urban", "valid_from", "valid_to" };
	int counts[8] = { 0 }, communes = 0;
	size_t i, k;
	json_t *u;

	(void)state;
	assert_string_equal(str(units, "id"), "vn-units-37");
	assert_true(json_is_string(json_object_get(units, "version")));
	assert_true(json_is_string(json_object_get(units, "note")));
	json_array_foreach(json_object_get(units, "units"), i, u) {
		const char *level = str(u, "level");

		for (k = 0; k < COUNT(keys); k++)
			assert_non_null(json_object_get(u, keys[k]));
		assert_true(json_is_boolean(json_object_get(u, "urban")));
		if (strcmp(level, "province") == 0) {
			assert_string_equal(str(u, "code"), "37");
			assert_true(json_is_null(json_object_get(u, "parent")));
		} else if (strcmp(level, "district") == 0) {
			assert_string_equal(str(u, "parent"), "37");
		} else {
			const char *code = str(u, "code"), *name = str(u, "name");

			assert_string_equal(level, "commune");
			assert_true(strcmp(code, "14320") >= 0 && strcmp(code, "14752") <= 0);
			assert_int_equal(json_is_true(json_object_get(u, "urban")), strncmp(name, "Xã ", 4) != 0);
			for (k = 0; k < COUNT(districts); k++)
				if (strcmp(str(u, "parent"), districts[k]) == 0)
					counts[k]++;
			communes++;
		}
	}
	assert_int_equal(communes, 143);
	for (k = 0; k < COUNT(districts); k++) {
		assert_non_null(find_unit(districts[k]));
		assert_int_equal(counts[k], per_district[k]);
	}
}

/* A commune or district option gives that unit; the area follows the
 * commune's urban flag in the file. */
static void test_unit_options(void **state)
{
	saola_gen *g = saola_gen_new(3);
	size_t i;
	json_t *u;

	(void)state;
	json_array_foreach(json_object_get(units, "units"), i, u) {
		const char *code = str(u, "code"), *level = str(u, "level");
		saola_gen_opts opts = { "37", NULL, NULL, 0 };
		json_t *h;
		int k;

		if (strcmp(level, "commune") == 0) {
			opts.commune = code;
			h = saola_gen_household(g, &opts);
			assert_non_null(h);
			assert_string_equal(str(h, "province"), "37");
			assert_string_equal(str(h, "commune"), code);
			assert_string_equal(str(h, "district"), str(u, "parent"));
			assert_string_equal(str(h, "area"), json_is_true(json_object_get(u, "urban")) ? "urban" : "rural");
			json_decref(h);
			opts.district = str(u, "parent");
			h = saola_gen_household(g, &opts);
			assert_non_null(h);
			assert_string_equal(str(h, "commune"), code);
			json_decref(h);
		} else if (strcmp(level, "district") == 0) {
			opts.district = code;
			for (k = 0; k < 20; k++) {
				const json_t *c;

				h = saola_gen_household(g, &opts);
				assert_non_null(h);
				assert_string_equal(str(h, "district"), code);
				c = find_unit(str(h, "commune"));
				assert_non_null(c);
				assert_string_equal(str(c, "parent"), code);
				json_decref(h);
			}
		}
	}
	saola_gen_free(g);
}

static void test_unknown_units(void **state)
{
	static const saola_gen_opts bad[] = {
		{ "38", NULL, NULL, 0 },          /* another province */
		{ NULL, "371", NULL, 0 },         /* no such district */
		{ NULL, NULL, "14321", 0 },       /* no such commune */
		{ NULL, "369", "14404", 0 },      /* Cúc Phương is in Nho Quan */
	};
	saola_gen *g = saola_gen_new(3);
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(bad); i++)
		assert_null(saola_gen_household(g, &bad[i]));
	assert_null(saola_gen_household(NULL, NULL));
	saola_gen_free(g);
}

/* Drawn without options, households of 2024 land in every commune of the
 * file and in no other. */
static void test_table_matches_file(void **state)
{
	saola_gen *g = saola_gen_new(11);
	char seen[143][6];
	int n_seen = 0, i, k;
	size_t j;
	json_t *u;

	(void)state;
	for (i = 0; i < 20000; i++) {
		json_t *h = saola_gen_household(g, NULL);
		const json_t *c = find_unit(str(h, "commune"));

		if (!c)
			fail_msg("commune %s is not in %s", str(h, "commune"), UNITS_FILE);
		assert_string_equal(str(c, "level"), "commune");
		assert_string_equal(str(h, "district"), str(c, "parent"));
		assert_string_equal(str(h, "area"), json_is_true(json_object_get(c, "urban")) ? "urban" : "rural");
		for (k = 0; k < n_seen && strcmp(seen[k], str(h, "commune")) != 0; k++)
			;
		if (k == n_seen) {
			assert_true(n_seen < 143);
			snprintf(seen[n_seen++], sizeof(seen[0]), "%s", str(h, "commune"));
		}
		json_decref(h);
	}
	json_array_foreach(json_object_get(units, "units"), j, u)
		if (strcmp(str(u, "level"), "commune") == 0) {
			for (k = 0; k < n_seen && strcmp(seen[k], str(u, "code")) != 0; k++)
				;
			if (k == n_seen)
				fail_msg("no household drawn in commune %s", str(u, "code"));
		}
	assert_int_equal(n_seen, 143);
	saola_gen_free(g);
}

static void test_below(void **state)
{
	saola_gen *g = saola_gen_new(0);
	int hits[7] = { 0 }, i;

	(void)state;
	assert_int_equal(saola_gen_below(g, 0), 0);
	assert_int_equal(saola_gen_below(g, 1), 0);
	for (i = 0; i < 7000; i++) {
		uint64_t r = saola_gen_below(g, 7);

		assert_true(r < 7);
		hits[r]++;
	}
	for (i = 0; i < 7; i++)
		assert_true(hits[i] > 800 && hits[i] < 1200);
	saola_gen_free(g);
	saola_gen_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_same_output),
		cmocka_unit_test(test_different_seeds_differ),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_income_share),
		cmocka_unit_test(test_next_year),
		cmocka_unit_test(test_places_valid),
		cmocka_unit_test(test_units_file),
		cmocka_unit_test(test_unit_options),
		cmocka_unit_test(test_unknown_units),
		cmocka_unit_test(test_table_matches_file),
		cmocka_unit_test(test_below),
	};

	return cmocka_run_group_tests(tests, load_units, free_units);
}
