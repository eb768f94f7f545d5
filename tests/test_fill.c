/* test_fill.c: the data-entry walk of the form engine (relevance, required,
 * constraints and standards on partial records) and 'saola fill', the
 * interview: scripted on stdin, declined, driven through a pseudo-terminal,
 * and editing a stored household with --id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "saola/core.h"
#include "form.h"
#include "testutil.h"

/* The example household of docs/domain household-record.md. */
static const char example[] =
	"{\"province\":\"37\",\"commune\":\"14404\",\"village\":\"Thôn Đồng Tâm\","
	"\"area\":\"rural\",\"survey_year\":2025,\"head_name\":\"Đinh Văn Hùng\","
	"\"agri_household\":true,\"income_per_capita\":1350000,\"has_house\":true,"
	"\"walls_durable\":true,\"frame_durable\":false,\"roof_durable\":false,"
	"\"house_area_m2\":30,\"water_source\":\"protected_dug_well\",\"latrine\":\"simple_pit\","
	"\"internet_use\":false,\"info_devices\":[\"radio\"],\"support_received\":[\"health_insurance\"],"
	"\"poverty_causes\":[\"no_capital\",\"illness\"],"
	"\"members\":["
	"{\"name\":\"Đinh Văn Hùng\",\"sex\":\"male\",\"birth_year\":1971,\"relation\":\"head\","
	"\"health_insurance\":true,\"employment\":\"self_employed\",\"education\":\"lower_secondary\","
	"\"in_school\":false,\"disability\":false,\"undernourished\":false},"
	"{\"name\":\"Bùi Thị Lan\",\"sex\":\"female\",\"birth_year\":1975,\"relation\":\"spouse\","
	"\"health_insurance\":false,\"employment\":\"no_contract\",\"education\":\"primary\","
	"\"in_school\":false,\"disability\":false,\"undernourished\":false},"
	"{\"name\":\"Đinh Thị Mai\",\"sex\":\"female\",\"birth_year\":2015,\"relation\":\"child\","
	"\"health_insurance\":true,\"employment\":\"not_working\",\"education\":\"primary\","
	"\"in_school\":true,\"disability\":false,\"undernourished\":true}]}";

/* The same household typed answer by answer in Vietnamese: the year
 * first, a commune that does not exist, a wrong
 * village corrected by going back ("<" at the next question), a year that
 * is not a number, a negative income, a birth year after the survey year,
 * and the save confirmed. Form 2026.2: the members right after the
 * household (member 1, the head, gives head_name), the child of 10 asked
 * neither employment nor education, and the causes of poverty last, the
 * household being poor. */
static const char *const household_lines[] = {
	"hai nghìn", "2025", "37", "99999", "14404", "Thôn Sai", "<", "Thôn Đồng Tâm",
	"", "c", "-1350000", "1.350.000",
	"c", "Đinh Văn Hùng", "1", "1971", "1", "c", "3", "3", "k",
	"c", "Bùi Thị Lan", "2", "1975", "2", "k", "2", "2", "k",
	"c", "Đinh Thị Mai", "2", "2030", "2015", "3", "c", "c", "k", "c",
	"k",
	"c", "c", "k", "k", "30", "3", "6", "k", "2", "1",
	"1 5", "c", NULL,
};

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static char bin[1024];

/* A device database with the shipped forms, made by 'saola init'. */
static const char *new_device(const char *dir)
{
	static char db[1024];
	char cmd[4096], out[4096], err[4096];

	snprintf(db, sizeof db, "%s/device.db", dir);
	snprintf(cmd, sizeof cmd, "%s init --db %s --schemas %s", bin, db, SAOLA_TEST_SCHEMAS);
	if (tu_run(cmd, out, sizeof out, err, sizeof err) != 0)
		fail_msg("init: %s", err);
	return db;
}

/* Writes the lines (up to a NULL) to dir/name, each with a newline. */
static const char *write_lines(const char *dir, const char *name,
                               const char *const *lines, size_t n)
{
	const char *path = tu_path(dir, name);
	FILE *f = fopen(path, "w");
	size_t i;

	assert_non_null(f);
	for (i = 0; i < n && lines[i]; i++)
		fprintf(f, "%s\n", lines[i]);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* Runs saola fill with args, stdin from the file input. */
static int fill(const char *db, const char *args, const char *input, char *out,
                size_t outcap)
{
	char cmd[4096], err[8192];
	int rc;

	snprintf(cmd, sizeof cmd, "%s fill --db %s %s < %s", bin, db, args, input);
	rc = tu_run(cmd, out, outcap, err, sizeof err);
	if (err[0])
		print_message("stderr: %s\n", err);
	return rc;
}

static void assert_has(const char *text, const char *what)
{
	if (!strstr(text, what))
		fail_msg("expected \"%s\" in:\n%s", what, text);
}

/* The record id after "label: " in the output. */
static void saved_id(const char *out, const char *label, char id[37])
{
	const char *p = strstr(out, label);

	if (!p)
		fail_msg("no \"%s\" in:\n%s", label, out);
	p += strlen(label);
	assert_true(strlen(p) >= 36);
	memcpy(id, p, 36);
	id[36] = '\0';
}

static json_t *get_data(const char *db_path, const char *id)
{
	saola *db = NULL;
	json_t *rec = NULL, *data;

	assert_int_equal(saola_open(db_path, SAOLA_OPEN_READONLY, &db), SAOLA_OK);
	if (saola_get(db, id, &rec) != SAOLA_OK)
		fail_msg("get %s: %s", id, saola_errmsg(db));
	data = json_incref(json_object_get(rec, "data"));
	json_decref(rec);
	saola_close(db);
	return data;
}

/* The example as the store keeps it (put through the library). */
static json_t *example_stored(const char *dir)
{
	const char *path = tu_path(dir, "expected.db");
	json_t *rec = tu_json(example), *data;
	saola *db = tu_open(path, 1);
	char id[37];

	assert_int_equal(saola_put(db, "household", NULL, rec, id), SAOLA_OK);
	saola_close(db);
	json_decref(rec);
	data = get_data(path, id);
	return data;
}

static void drop_item_ids(json_t *data)
{
	json_t *item;
	size_t i;

	json_array_foreach(json_object_get(data, "members"), i, item)
		json_object_del(item, "_id");
}

/* ------------------------------------------------------------------ */
/* The walk of a partial record                                        */

static json_t *standards;

static json_t *lookup(void *ctx, const char *family, json_int_t year)
{
	json_t *s;
	size_t i;

	(void)ctx;
	json_array_foreach(standards, i, s) {
		const char *fam = json_string_value(json_object_get(s, "family"));
		if (fam && strcmp(fam, family) == 0 &&
		    year >= json_integer_value(json_object_get(s, "valid_from_year")) &&
		    year <= json_integer_value(json_object_get(s, "valid_to_year")))
			return json_object_get(s, "params");
	}
	return NULL;
}

static const saola__params_src params = {lookup, NULL, NULL, NULL};

static saola__form *household_form(void)
{
	char path[1024], err[256];
	saola__form *f = NULL;
	json_error_t je;
	json_t *def;
	struct dirent *de;
	DIR *d;

	if (!standards) {
		standards = json_array();
		snprintf(path, sizeof path, "%s/standards", SAOLA_TEST_SCHEMAS);
		assert_non_null(d = opendir(path));
		while ((de = readdir(d)) != NULL)
			if (strstr(de->d_name, ".json")) {
				snprintf(path, sizeof path, "%s/standards/%s", SAOLA_TEST_SCHEMAS, de->d_name);
				json_array_append_new(standards, json_load_file(path, 0, &je));
			}
		closedir(d);
	}
	snprintf(path, sizeof path, "%s/forms/household.json", SAOLA_TEST_SCHEMAS);
	assert_non_null(def = json_load_file(path, 0, &je));
	if (saola__form_compile(def, &f, err, sizeof err) != SAOLA_OK)
		fail_msg("compile: %s", err);
	json_decref(def);
	return f;
}

static void test_walk(void **st)
{
	/* A partial record, a field (item), and what the walk says of it:
	 * relevant, required, the constraint holds. */
	static const struct {
		const char *data, *field;
		size_t item;
		int relevant, required, holds;
	} cases[] = {
		{"{}", "province", 0, 1, 1, 1},
		{"{}", "support_received", 0, 1, 0, 1},
		{"{}", "walls_durable", 0, 0, 0, 1},                  /* has_house unanswered */
		{"{'has_house': true}", "walls_durable", 0, 1, 1, 1},
		{"{'has_house': false, 'walls_durable': true}", "walls_durable", 0, 0, 0, 1},
		{"{'survey_year': 2025, 'members': [{'birth_year': 2015}]}", "in_school", 0, 1, 1, 1},
		{"{'survey_year': 2025, 'members': [{'birth_year': 2015}]}", "undernourished", 0, 1, 1, 1},
		{"{'survey_year': 2025, 'members': [{'birth_year': 1971}]}", "undernourished", 0, 0, 0, 1},
		{"{'survey_year': 2025, 'members': [{}, {'birth_year': 1971}]}", "in_school", 1, 0, 0, 1},
		{"{'survey_year': 2025, 'members': [{'birth_year': 2030}]}", "birth_year", 0, 1, 1, 0},
		{"{'survey_year': 2025, 'members': [{'birth_year': 1905}]}", "birth_year", 0, 1, 1, 1},
		{"{'survey_year': 2025, 'members': [{}]}", "in_school", 3, 0, 0, 1}, /* no item 3 */
		{"{'income_per_capita': -1}", "income_per_capita", 0, 1, 1, 0},
		{"{'survey_year': 1999}", "survey_year", 0, 1, 1, 0},
		/* no year yet: param() cannot be looked up, so in_school is asked */
		{"{'members': [{'birth_year': 2015}]}", "in_school", 0, 2, 1, 1},
	};
	saola__form *f = household_form();
	size_t i;

	(void)st;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		char text[512], err[256], *p;
		saola__walk *w = NULL;
		json_t *data;
		int fi, req, holds;

		snprintf(text, sizeof text, "%s", cases[i].data);
		for (p = text; *p; p++)
			if (*p == '\'')
				*p = '"';
		data = tu_json(text);
		if (saola__form_walk(f, data, &params, NULL, &w, err, sizeof err) != SAOLA_OK)
			fail_msg("case %zu: %s", i, err);
		fi = saola__form_field_index(f, cases[i].field);
		assert_true(fi >= 0);
		if (saola__walk_relevant(w, fi, cases[i].item) != cases[i].relevant)
			fail_msg("case %zu: %s relevant %d", i, cases[i].field,
			         saola__walk_relevant(w, fi, cases[i].item));
		assert_int_equal(saola__walk_required(w, fi, cases[i].item, &req, err, sizeof err),
		                 SAOLA_OK);
		assert_int_equal(req, cases[i].required);
		assert_int_equal(saola__walk_constraint(w, fi, cases[i].item, &holds, err, sizeof err),
		                 SAOLA_OK);
		if (holds != cases[i].holds)
			fail_msg("case %zu: %s holds %d", i, cases[i].field, holds);
		if (cases[i].relevant == 2)
			assert_non_null(saola__walk_note(w));
		saola__walk_free(w);
		json_decref(data);
	}
	saola__form_free(f);
}

static void test_walk_values(void **st)
{
	saola__form *f = household_form();
	saola__walk *w = NULL;
	saola__field_info fi;
	json_t *data = tu_json(example), *bad;
	char err[256];
	int field, age = saola__form_field_index(f, "age");
	size_t item;

	(void)st;
	/* the computed values of a whole record, and a record that passes;
	 * without units (this test's params) a district is asked every year */
	json_object_set_new(data, "district", json_string("372"));
	assert_int_equal(saola__form_walk(f, data, &params, NULL, &w, err, sizeof err), SAOLA_OK);
	assert_int_equal(saola__walk_items(w, saola__form_field_index(f, "members")), 3);
	assert_int_equal(json_integer_value(saola__walk_value(w, age, 2)), 10);
	assert_string_equal(json_string_value(saola__walk_value(w,
	                    saola__form_field_index(f, "classification"), 0)), "poor");
	assert_null(saola__walk_value(w, saola__form_field_index(f, "in_school"), 0)); /* age 54 */
	assert_int_equal(saola__walk_validate(w, &field, &item, err, sizeof err), SAOLA_OK);
	assert_int_equal(saola__walk_standard(w, err, sizeof err), SAOLA_OK);
	saola__walk_free(w);

	/* the first failure in form order, and where */
	json_object_del(json_array_get(json_object_get(data, "members"), 1), "employment");
	assert_int_equal(saola__form_walk(f, data, &params, NULL, &w, err, sizeof err), SAOLA_OK);
	assert_int_equal(saola__walk_validate(w, &field, &item, err, sizeof err), SAOLA_INVALID);
	assert_string_equal(err, "members[1].employment: required");
	assert_int_equal(field, saola__form_field_index(f, "employment"));
	assert_int_equal(item, 1);
	saola__walk_free(w);

	/* a year no standard covers */
	json_object_set_new(data, "survey_year", json_integer(2031));
	assert_int_equal(saola__form_walk(f, data, &params, NULL, &w, err, sizeof err), SAOLA_OK);
	assert_int_equal(saola__walk_standard(w, err, sizeof err), SAOLA_NOTFOUND);
	assert_string_equal(err, "survey_year: no standard vn-poverty covers 2031");
	saola__walk_free(w);

	/* types are checked as processing checks them */
	bad = tu_json("{\"survey_year\": \"2025\"}");
	assert_int_equal(saola__form_walk(f, bad, &params, NULL, &w, err, sizeof err), SAOLA_INVALID);
	assert_null(w);
	assert_string_equal(err, "survey_year: expected integer, got \"2025\"");
	json_decref(bad);

	/* the field table, in form order */
	assert_int_equal(saola__form_field_info(f, age, &fi), SAOLA_OK);
	assert_string_equal(fi.name, "age");
	assert_int_equal(fi.type, SAOLA__F_CALCULATE);
	assert_int_equal(fi.repeat, saola__form_field_index(f, "members"));
	assert_true(fi.computed);
	assert_string_equal(json_string_value(json_object_get(fi.def, "calculate")),
	                    "${survey_year} - ${birth_year}");
	assert_int_equal(saola__form_field_info(f, saola__form_nfields(f), &fi), SAOLA_NOTFOUND);
	json_decref(data);
	saola__form_free(f);
}

/* ------------------------------------------------------------------ */
/* The interview on stdin                                              */

static void test_scripted_household(void **st)
{
	const char *dir = tu_tmpdir("fill"), *db, *input;
	static char out[1 << 17];
	json_t *got, *want;
	char id[37];

	(void)st;
	db = new_device(dir);
	input = write_lines(dir, "household.txt", household_lines, SIZE_MAX);
	assert_int_equal(fill(db, "--form household --lang vi", input, out, sizeof out), 0);
	/* going back shows the answer given, and the village is asked again */
	assert_has(out, "[Thôn Sai] > Thôn Đồng Tâm");
	/* a place is named once typed, and a wrong one refused with the
	 * engine's message (the shipped units: no districts in 2025) */
	assert_has(out, "37 → Tỉnh Ninh Bình");
	assert_has(out, "! Địa bàn không đúng với danh mục đơn vị hành chính của năm rà soát"
	           " (unit.commune: 99999 is not a commune valid in 2025 (schemas/units))");
	assert_has(out, "14404 → Xã Cúc Phương");
	assert_has(out, "Cần một số nguyên");
	assert_has(out, "Thu nhập bình quân phải từ 0 đến 100.000.000 đồng/người/tháng");
	assert_has(out, "Năm sinh phải trong vòng 120 năm trước năm rà soát");
	assert_has(out, "Thêm thành viên? (c/k)");
	assert_has(out, "-- Thành viên 3 --");
	assert_has(out, "  1. Việc làm\n  3. Dinh dưỡng\n  4. Bảo hiểm y tế\n"
	                "  7. Chất lượng nhà ở\n  10. Nhà tiêu hợp vệ sinh\n"
	                "  11. Sử dụng dịch vụ viễn thông\n");
	assert_has(out, "Số chỉ số thiếu hụt: 6\nPhân loại hộ: hộ nghèo\n");
	assert_has(out, "Lưu hộ này? (c/k)");
	/* skip logic: in_school is asked of the child only */
	assert_non_null(strstr(out, "Đang đi học"));
	assert_null(strstr(strstr(out, "Đang đi học") + 1, "Đang đi học"));
	saved_id(out, "Đã lưu hộ: ", id);

	got = get_data(db, id);
	want = example_stored(dir);
	assert_int_equal(json_integer_value(json_object_get(got, "deprivation_count")), 6);
	assert_string_equal(json_string_value(json_object_get(got, "classification")), "poor");
	/* left blank, the household code is made when it is saved: the
	 * commune's code and 8 hex digits */
	{
		const char *code = json_string_value(json_object_get(got, "household_id"));

		assert_non_null(code);
		assert_int_equal(strlen(code), strlen("14404-") + 8);
		assert_int_equal(strncmp(code, "14404-", 6), 0);
		assert_int_equal(strspn(code + 6, "0123456789ABCDEF"), 8);
		json_object_del(got, "household_id");
	}
	drop_item_ids(got);
	drop_item_ids(want);
	if (!json_equal(got, want)) {
		char *a = json_dumps(got, JSON_SORT_KEYS), *b = json_dumps(want, JSON_SORT_KEYS);
		fail_msg("saved:\n%s\nexpected:\n%s", a, b);
	}
	assert_int_equal(tu_count(db, "SELECT count(*) FROM records"), 1);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM outbox"), 1);
	json_decref(got);
	json_decref(want);
	tu_rmtree(dir);
}

static void test_not_saved(void **st)
{
	const char *dir = tu_tmpdir("fill"), *db, *input;
	static char out[1 << 17];
	const char *lines[128], *quit[] = {"2025", "q", "k", "37", "q", "c", NULL};
	uint64_t before;
	size_t n;

	(void)st;
	db = new_device(dir);
	before = tu_content_hash(db);
	for (n = 0; household_lines[n]; n++)
		lines[n] = household_lines[n];

	/* declined at the end */
	lines[n - 1] = "k";
	lines[n] = NULL;
	input = write_lines(dir, "decline.txt", lines, SIZE_MAX);
	assert_int_equal(fill(db, "--form household --lang vi", input, out, sizeof out), 1);
	assert_has(out, "Phân loại hộ: hộ nghèo");
	assert_has(out, "Lưu hộ này? (c/k) > k\nKhông lưu.\n");

	/* input that ends half way */
	input = write_lines(dir, "short.txt", household_lines, 30);
	assert_int_equal(fill(db, "--form household --lang en", input, out, sizeof out), 1);
	assert_has(out, "saola fill: input ended before the interview was finished: nothing saved");

	/* quit, declined once, then confirmed */
	input = write_lines(dir, "quit.txt", quit, SIZE_MAX);
	assert_int_equal(fill(db, "--form household --lang vi", input, out, sizeof out), 1);
	assert_has(out, "Thoát mà không lưu? (c/k) > k\n");
	assert_has(out, "Đã thoát, không lưu gì.");

	assert_int_equal(tu_count(db, "SELECT count(*) FROM records"), 0);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM outbox"), 0);
	assert_true(tu_content_hash(db) == before);

	/* bad usage */
	assert_int_equal(fill(db, "", input, out, sizeof out), 2);
	assert_int_equal(fill(db, "--form household --lang fr", input, out, sizeof out), 2);
	assert_int_equal(fill(db, "--form nosuchform", input, out, sizeof out), 1);
	tu_rmtree(dir);
}

/* A form with what the household form does not use: a note, a default, a
 * date, a required expression, a repeat that is not members, and computed
 * values shown as they are at the end. */
static const char visit_form[] =
	"{\"id\": \"visit\", \"version\": \"1\", \"title\": {\"en\": \"Visit\"},"
	" \"fields\": ["
	"  {\"name\": \"intro\", \"type\": \"note\", \"label\": {\"en\": \"Introduce yourself\"}},"
	"  {\"name\": \"day\", \"type\": \"date\", \"label\": {\"en\": \"Visit date\"}, \"required\": true},"
	"  {\"name\": \"visits\", \"type\": \"integer\", \"label\": {\"en\": \"Visits\"},"
	"   \"default\": 1, \"required\": true, \"constraint\": \". >= count(${kids})\","
	"   \"constraint_message\": {\"en\": \"at least one visit per child\"}},"
	"  {\"name\": \"far\", \"type\": \"boolean\", \"label\": {\"en\": \"Far away\"}},"
	"  {\"name\": \"km\", \"type\": \"decimal\", \"label\": {\"en\": \"Distance (km)\"},"
	"   \"relevant\": \"${far}\", \"required\": \"${visits} > 1\", \"constraint\": \". > 0\","
	"   \"constraint_message\": {\"en\": \"must be positive\"}},"
	"  {\"name\": \"kids\", \"type\": \"repeat\", \"label\": {\"en\": \"Children\"},"
	"   \"fields\": [{\"name\": \"kname\", \"type\": \"text\", \"label\": {\"en\": \"Name\"}}]},"
	"  {\"name\": \"twice\", \"type\": \"calculate\", \"calculate\": \"${visits} * 2\","
	"   \"label\": {\"en\": \"Twice the visits\"}}]}";

/* A constraint that cannot be evaluated: param() in a form with no standard. */
static const char broken_form[] =
	"{\"id\": \"broken\", \"fields\": [{\"name\": \"n\", \"type\": \"integer\","
	" \"label\": \"N\", \"constraint\": \". <= param('max')\"}]}";

static void test_other_form(void **st)
{
	const char *dir = tu_tmpdir("fill"), *db, *input;
	static char out[1 << 16];
	/* ... two children, then sent back to the visits (fewer than the
	 * children) and through the rest again, Enter keeping each answer */
	const char *lines[] = {"2025-13-01", "2025-09-01", "", "y", "-2", "2,5",
	                       "y", "An", "y", "<", "n", "y", "Bình", "n",
	                       "2", "", "", "", "", "", "", "n", "y", NULL};
	const char *broken[] = {"5", "", NULL};
	saola *h = NULL;
	json_t *data;
	char id[37];

	(void)st;
	db = new_device(dir);
	assert_int_equal(saola_open(db, 0, &h), SAOLA_OK);
	if (saola_form_load(h, visit_form, NULL) != SAOLA_OK ||
	    saola_form_load(h, broken_form, NULL) != SAOLA_OK)
		fail_msg("load: %s", saola_errmsg(h));
	saola_close(h);
	input = write_lines(dir, "visit.txt", lines, SIZE_MAX);
	assert_int_equal(fill(db, "--form visit --lang en", input, out, sizeof out), 0);
	assert_has(out, "* Introduce yourself\n");
	assert_has(out, "Visit date (date YYYY-MM-DD)\n> 2025-13-01\n  ! expected a date");
	assert_has(out, "Visits (integer)\n[1] > \n");
	assert_has(out, "Far away (y/n; optional)");
	assert_has(out, "> -2\n  ! must be positive\n> 2,5\n");
	assert_has(out, "Add an item? (y/n) > y\n\n-- Item 1 --");
	/* back from an item's first question: an item with no answers goes
	 * without asking twice */
	assert_has(out, "Item 2 (no name yet): keep? (y/n) [y] > n\nRemoved item 2.\n");
	assert_has(out, "  ! to fix: Visits: at least one visit per child\n"
	                "\nVisits (integer)\n[1] > 2\n");
	assert_has(out, "Name (optional)\n[Bình] > \n");
	assert_has(out, "Twice the visits: 4\n");
	saved_id(out, "Saved: ", id);
	data = get_data(db, id);
	assert_string_equal(json_string_value(json_object_get(data, "day")), "2025-09-01");
	assert_int_equal(json_integer_value(json_object_get(data, "visits")), 2);
	assert_true(json_real_value(json_object_get(data, "km")) == 2.5);
	assert_int_equal(json_array_size(json_object_get(data, "kids")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	                    json_object_get(data, "kids"), 1), "kname")), "Bình");
	assert_int_equal(json_integer_value(json_object_get(data, "twice")), 4);
	json_decref(data);

	/* sent back once; sent back again with nothing changed: not saved */
	input = write_lines(dir, "broken.txt", broken, SIZE_MAX);
	assert_int_equal(fill(db, "--form broken --lang en", input, out, sizeof out), 1);
	assert_has(out, "(could not check the answer: param(): form broken names no standard)");
	assert_has(out, "saola fill: cannot save: param(): form broken names no standard\n");
	assert_int_equal(tu_count(db, "SELECT count(*) FROM records"), 1);
	tu_rmtree(dir);
}

/* ------------------------------------------------------------------ */
/* Through a pseudo-terminal                                           */

typedef struct pty {
	int fd;
	pid_t pid;
	size_t len, pos;
	char buf[1 << 17];
} pty;

static void pty_spawn(pty *p, char *const argv[], const char *lang)
{
	/* Through sh, as tu_run runs commands: argv[0] may be an emulator's
	 * command line in front of the program (tu_bin). */
	char *sh[32] = {"sh", "-c", "exec $0 \"$@\""};
	const char *name;
	int fd, i;

	p->len = p->pos = 0;
	p->fd = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(p->fd >= 0);
	assert_int_equal(grantpt(p->fd), 0);
	assert_int_equal(unlockpt(p->fd), 0);
	assert_non_null(name = ptsname(p->fd));
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		setsid();
		if ((fd = open(name, O_RDWR)) < 0) /* the controlling terminal */
			_exit(126);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
		close(p->fd);
		setenv("SAOLA_LANG", lang, 1);
		for (i = 0; argv[i] && i < 28; i++)
			sh[3 + i] = argv[i];
		execv("/bin/sh", sh);
		_exit(127);
	}
}

/* Reads the screen until text shows after what was already matched; fails
 * when it does not come within 30 seconds or the program ends first. */
static void pty_expect(pty *p, const char *text)
{
	struct pollfd pfd;
	const char *hit;
	ssize_t n;

	for (;;) {
		p->buf[p->len] = '\0';
		if ((hit = strstr(p->buf + p->pos, text)) != NULL) {
			p->pos = (size_t)(hit - p->buf) + strlen(text);
			return;
		}
		pfd.fd = p->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 30000) <= 0)
			fail_msg("no \"%s\" on the screen within 30 s:\n%s", text, p->buf + p->pos);
		n = read(p->fd, p->buf + p->len, sizeof p->buf - 1 - p->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail_msg("the program ended before \"%s\":\n%s", text, p->buf + p->pos);
		p->len += (size_t)n;
		assert_true(p->len < sizeof p->buf - 1);
	}
}

/* Waits for the prompt after text, then types line and Enter. */
static void pty_answer(pty *p, const char *text, const char *line)
{
	pty_expect(p, text);
	pty_expect(p, "> ");
	assert_int_equal(write(p->fd, line, strlen(line)), (ssize_t)strlen(line));
	assert_int_equal(write(p->fd, "\n", 1), 1);
}

/* Reads the rest of the screen and the exit status. */
static int pty_finish(pty *p)
{
	ssize_t n;
	int status;

	while ((n = read(p->fd, p->buf + p->len, sizeof p->buf - 1 - p->len)) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0)
			p->len += (size_t)n;
	p->buf[p->len] = '\0';
	close(p->fd);
	assert_int_equal(waitpid(p->pid, &status, 0), p->pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_pty(void **st)
{
	const char *dir = tu_tmpdir("fill"), *db;
	static pty p;
	char dbarg[1100], id[37];
	char *argv[] = {bin, "fill", "--form", "household", "--db", dbarg, NULL};
	json_t *data, *member;

	(void)st;
	db = new_device(dir);
	snprintf(dbarg, sizeof dbarg, "%s", db);
	pty_spawn(&p, argv, "en");
	pty_expect(&p, "Household survey (multidimensional poverty review)");
	/* the year first, so that the places are named; 2024 has districts */
	pty_answer(&p, "Survey year (integer)", "2024");
	pty_answer(&p, "Province (statistics office code)", "37");
	pty_answer(&p, "District (statistics office code)", "369");
	pty_answer(&p, "Commune, ward or township", "14320");
	pty_expect(&p, "14320 → Phường Đông Thành");
	pty_answer(&p, "Village or residential group", "Tổ 5");
	pty_answer(&p, "Household code (optional)", "");
	pty_answer(&p, "Farming, forestry, fishery or salt household (y/n)", "n");
	pty_answer(&p, "Income per person", "1900000");
	/* the members next: member 1 is the head, whose name head_name is */
	pty_answer(&p, "Add a member? (y/n)", "y");
	pty_answer(&p, "Full name", "Trần Thị Hoa");
	pty_answer(&p, "Sex", "female");
	pty_answer(&p, "Year of birth", "1980");
	pty_answer(&p, "Relation to the head", "1");
	/* back across a question: the answer shows in [ ] and Enter keeps it */
	pty_answer(&p, "Has health insurance (y/n)", "<");
	pty_answer(&p, "Relation to the head", "");
	pty_answer(&p, "Has health insurance (y/n)", "y");
	pty_answer(&p, "Employment", "1");
	pty_answer(&p, "Highest qualification", "4");
	pty_answer(&p, "Severe disability (y/n)", "n");
	pty_answer(&p, "Add a member? (y/n)", "n");
	pty_answer(&p, "The household has a house (y/n)", "n");
	/* walls, frame, roof and floor area are skipped */
	pty_answer(&p, "Main source of drinking and household water", "1");
	pty_answer(&p, "Latrine the household uses", "1");
	pty_answer(&p, "Some member uses internet services (y/n)", "y");
	pty_answer(&p, "Information devices the household has", "4,1");
	pty_answer(&p, "Support the household has received", "");
	/* near-poor: asked its causes, after the result is computed */
	pty_answer(&p, "Causes of poverty", "");
	pty_expect(&p, "Deprived on:\r\n");
	pty_expect(&p, "  7. Housing quality\r\n  8. Housing area\r\n");
	pty_expect(&p, "Deprivations (of 12): 2\r\nClassification: near-poor\r\n");
	pty_answer(&p, "Save this household? (y/n)", "y");
	pty_expect(&p, "Saved: ");
	assert_int_equal(pty_finish(&p), 0);

	assert_null(strstr(p.buf, "Walls of durable materials"));
	assert_null(strstr(p.buf, "Floor area of the dwelling"));
	assert_non_null(strstr(p.buf, "[1. Head] > "));
	assert_null(strstr(p.buf, "Name of the household head"));
	saved_id(p.buf, "Saved: ", id);
	data = get_data(db, id);
	assert_string_equal(json_string_value(json_object_get(data, "head_name")), "Trần Thị Hoa");
	assert_true(json_is_false(json_object_get(data, "has_house")));
	assert_null(json_object_get(data, "walls_durable"));
	assert_null(json_object_get(data, "house_area_m2"));
	assert_int_equal(json_array_size(json_object_get(data, "info_devices")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(data, "info_devices"), 0)),
	                    "tv");
	assert_string_equal(json_string_value(json_array_get(json_object_get(data, "info_devices"), 1)),
	                    "smartphone");
	assert_int_equal(json_array_size(json_object_get(data, "support_received")), 0);
	member = json_array_get(json_object_get(data, "members"), 0);
	assert_string_equal(json_string_value(json_object_get(member, "relation")), "head");
	assert_true(json_is_true(json_object_get(member, "health_insurance")));
	assert_string_equal(json_string_value(json_object_get(data, "classification")), "near_poor");
	json_decref(data);
	tu_rmtree(dir);
}

/* Types each {prompt, answer} in turn. */
static void pty_script(pty *p, const char *const script[][2])
{
	size_t i;

	for (i = 0; script[i][0]; i++)
		pty_answer(p, script[i][0], script[i][1]);
}

/* Places chosen by name, a warning shown, refused once and confirmed, a
 * second head refused, no causes asked of a household that is not poor,
 * and the end screen: income against the line, the code made for it. */
static const char *const places_start[][2] = {
	{"Survey year (integer)", "2025"},
	{"Province (statistics office code) (a code or a name)", "ninh binh"},
	{"37 → Tỉnh Ninh Bình", "cuc phuong"},
	{"14404 → Xã Cúc Phương", "Thôn Đồng Tâm"},
	{"Household code", ""},
	{"Farming, forestry, fishery or salt household (y/n)", "n"},
	{"Income per person", "50000000"},
	{"warning: more than ten times the income line", "n"},
	{"Income per person", "40000000"},
	{"warning: more than ten times the income line", "y"},
	{NULL, NULL},
};

static const char *const places_members[][2] = {
	{"Add a member? (y/n)", "y"}, {"Full name", "Lê Thị Lan"}, {"Sex", "2"},
	{"Year of birth", "1980"}, {"Relation to the head", "1"},
	{"Has health insurance (y/n)", "y"}, {"Employment", "1"},
	{"Highest qualification", "4"}, {"Severe disability (y/n)", "n"},
	{"Add a member? (y/n)", "y"}, {"Full name", "Lê Văn Minh"}, {"Sex", "1"},
	{"Year of birth", "2000"}, {"Relation to the head", "1"},
	{"member 1 is the head; a household has exactly one head", "3"},
	{"Has health insurance (y/n)", "y"}, {"Employment", "1"},
	{"Highest qualification", "4"}, {"Attending school or training", "n"},
	{"Severe disability (y/n)", "n"}, {"Add a member? (y/n)", "n"},
	{"The household has a house (y/n)", "y"}, {"Walls of durable materials", "y"},
	{"Columns (frame) of durable materials", "y"}, {"Roof of durable materials", "y"},
	{"Floor area of the dwelling", "60"}, {"Main source of drinking", "1"},
	{"Latrine the household uses", "1"}, {"Some member uses internet services", "y"},
	{"Information devices the household has", "4"},
	{"Support the household has received", ""},
	{NULL, NULL},
};

static void test_pty_places(void **st)
{
	const char *dir = tu_tmpdir("fill"), *db, *code;
	static pty p;
	char dbarg[1100], id[37];
	char *argv[] = {bin, "fill", "--form", "household", "--db", dbarg, NULL};
	json_t *data, *members;

	(void)st;
	db = new_device(dir);
	snprintf(dbarg, sizeof dbarg, "%s", db);
	pty_spawn(&p, argv, "en");
	pty_script(&p, places_start);
	pty_script(&p, places_members);
	pty_expect(&p, "Income per person: 40,000,000 VND a month; "
	               "the area's poverty line: 1,500,000 (Rural)\r\n");
	pty_expect(&p, "Classification: not poor");
	pty_answer(&p, "Save this household? (y/n)", "y");
	pty_expect(&p, "Household: Lê Thị Lan; household code: 14404-");
	assert_int_equal(pty_finish(&p), 0);
	/* the refused answer re-asked income, its value shown to keep */
	assert_non_null(strstr(p.buf, "[50000000] > "));
	assert_non_null(strstr(p.buf, "Confirm this answer is right? (y/n; n to change it) > "));
	assert_null(strstr(p.buf, "Causes of poverty"));

	saved_id(p.buf, "Saved: ", id);
	data = get_data(db, id);
	assert_string_equal(json_string_value(json_object_get(data, "province")), "37");
	assert_string_equal(json_string_value(json_object_get(data, "commune")), "14404");
	assert_string_equal(json_string_value(json_object_get(data, "area")), "rural");
	assert_int_equal(json_integer_value(json_object_get(data, "income_per_capita")), 40000000);
	assert_true(json_is_true(json_object_get(data, "income_confirmed")));
	code = json_string_value(json_object_get(data, "household_id"));
	assert_non_null(code);
	assert_int_equal(strlen(code), strlen("14404-") + 8);
	assert_non_null(strstr(p.buf, code));
	members = json_object_get(data, "members");
	assert_int_equal(json_array_size(members), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(members, 1), "relation")),
	                    "child");
	assert_null(json_object_get(data, "poverty_causes"));
	json_decref(data);
	tu_rmtree(dir);
}

/* An interview killed (SIGKILL, at a prompt) is taken up by fill --resume
 * where it was, with every answer given before; a poor household is then
 * asked its causes after the result, and the draft goes with the save. */
static const char *const killed_start[][2] = {
	{"Năm rà soát", "2025"}, {"Tỉnh/thành phố", "37"}, {"Xã/phường/thị trấn", "14404"},
	{"Thôn/xóm/tổ dân phố", "Thôn Đồng Tâm"}, {"Mã hộ", ""},
	{"Hộ làm nông nghiệp", "c"}, {"Thu nhập bình quân", "1000000"},
	{"Thêm thành viên? (c/k)", "c"}, {"Họ và tên", "Đinh Văn Hùng"}, {"Giới tính", "1"},
	{"Năm sinh", "1971"}, {"Quan hệ với chủ hộ", "1"}, {"Có thẻ bảo hiểm y tế", "k"},
	{"Tình trạng việc làm", "4"}, {"Bằng cấp cao nhất", "1"}, {"Khuyết tật", "k"},
	{"Thêm thành viên? (c/k)", "c"}, {"Họ và tên", "Bùi Thị Lan"}, {"Giới tính", "2"},
	{"Năm sinh", "1975"},
	{NULL, NULL},
};

static const char *const killed_rest[][2] = {
	{"Quan hệ với chủ hộ", "2"}, {"Có thẻ bảo hiểm y tế", "k"},
	{"Tình trạng việc làm", "4"}, {"Bằng cấp cao nhất", "1"}, {"Khuyết tật", "k"},
	{"Thêm thành viên? (c/k)", "k"}, {"Hộ có nhà ở", "k"},
	{"Nguồn nước sinh hoạt chính", "9"}, {"Loại nhà tiêu", "8"},
	{"Có thành viên sử dụng dịch vụ internet", "k"}, {"Phương tiện tiếp cận thông tin", ""},
	{"Chính sách hộ đã được hỗ trợ", ""}, {"Nguyên nhân nghèo", "1 5"},
	{NULL, NULL},
};

static void test_pty_resume(void **st)
{
	const char *dir = tu_tmpdir("fill"), *db;
	static pty p;
	char dbarg[1100], id[37];
	char *argv[] = {bin, "fill", "--form", "household", "--db", dbarg, NULL};
	char *again[] = {bin, "fill", "--resume", "--db", dbarg, NULL};
	json_t *data, *member;
	size_t pos;

	(void)st;
	db = new_device(dir);
	snprintf(dbarg, sizeof dbarg, "%s", db);
	pty_spawn(&p, argv, "vi");
	pty_script(&p, killed_start);
	/* at the next question, the answers so far are in the draft */
	pty_expect(&p, "Quan hệ với chủ hộ");
	pty_expect(&p, "> ");
	assert_int_equal(kill(p.pid, SIGKILL), 0);
	assert_int_equal(pty_finish(&p), -1);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM drafts"), 1);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM records"), 0);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM outbox"), 0);

	pty_spawn(&p, again, "vi");
	pty_expect(&p, "Tiếp tục phiếu đang làm dở (Thôn Đồng Tâm)");
	pty_expect(&p, "-- Thành viên 2 --");
	pty_script(&p, killed_rest);
	pty_expect(&p, "Phân loại hộ: hộ nghèo");
	pos = p.pos;
	pty_answer(&p, "Lưu hộ này? (c/k)", "c");
	pty_expect(&p, "Đã lưu hộ: ");
	assert_int_equal(pty_finish(&p), 0);
	/* the causes come after the result is known, not before */
	assert_null(strstr(p.buf + pos, "Nguyên nhân nghèo"));
	assert_null(strstr(p.buf, "Năm rà soát"));

	saved_id(p.buf, "Đã lưu hộ: ", id);
	data = get_data(db, id);
	assert_string_equal(json_string_value(json_object_get(data, "head_name")), "Đinh Văn Hùng");
	member = json_array_get(json_object_get(data, "members"), 1);
	assert_string_equal(json_string_value(json_object_get(member, "name")), "Bùi Thị Lan");
	assert_int_equal(json_integer_value(json_object_get(member, "birth_year")), 1975);
	assert_string_equal(json_string_value(json_object_get(member, "relation")), "spouse");
	assert_string_equal(json_string_value(json_object_get(data, "classification")), "poor");
	assert_int_equal(json_array_size(json_object_get(data, "poverty_causes")), 2);
	json_decref(data);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM drafts"), 0);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM records"), 1);
	tu_rmtree(dir);
}

/* ------------------------------------------------------------------ */
/* Editing a stored household                                          */

/* Puts the example into the device; returns its id in id. */
static void put_example(const char *db_path, char id[37])
{
	saola *db = NULL;
	json_t *rec = tu_json(example);

	assert_int_equal(saola_open(db_path, 0, &db), SAOLA_OK);
	assert_int_equal(saola_put(db, "household", NULL, rec, id), SAOLA_OK);
	saola_close(db);
	json_decref(rec);
}

/* Lines to edit the example household: Enter for each of the 7 questions
 * before the members (2025: no district; area is computed; the household
 * code is asked), then for each
 * member the keep prompt and its questions (per_member[m] lines: 9; the
 * child of 10 is asked in_school and undernourished, not employment and
 * education), "n" to adding one, Enter for the 10 questions of the
 * dwelling, water, information and support, and for the causes of
 * poverty when the household is still poor or near-poor (causes), "y" to
 * saving; then each {"line number", "text"} of changes replaces that
 * line. */
static const int example_lines[] = {9, 9, 9};

static const char *edit_input(const char *dir, const int per_member[3], int causes,
                              const char *const changes[][2])
{
	const char *lines[128];
	size_t n = 0, i;
	int m;

	for (i = 0; i < 7; i++)
		lines[n++] = "";
	for (m = 0; m < 3; m++)
		for (i = 0; i < (size_t)per_member[m]; i++)
			lines[n++] = "";
	lines[n++] = "n";
	for (i = 0; i < 10 + (causes != 0); i++)
		lines[n++] = "";
	lines[n++] = "y";
	lines[n] = NULL;
	for (i = 0; changes[i][0]; i++)
		lines[atoi(changes[i][0])] = changes[i][1];
	return write_lines(dir, "edit.txt", lines, SIZE_MAX);
}

static void test_edit(void **st)
{
	const char *dir = tu_tmpdir("fill"), *db, *input;
	static char out[1 << 17];
	const char *const income[][2] = {{"6", "1.600.000"}, {NULL, NULL}};
	char id[37], args[256], *sn;
	json_t *before, *after;
	const char *k;
	json_t *v;

	(void)st;
	db = new_device(dir);
	put_example(db, id);
	before = get_data(db, id);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM outbox"), 1);

	input = edit_input(dir, example_lines, 0, income); /* average: no causes asked */
	snprintf(args, sizeof args, "--id %s --lang en", id);
	assert_int_equal(fill(db, args, input, out, sizeof out), 0);
	assert_has(out, "[1350000] > 1.600.000");
	assert_has(out, "Member 2 (Bùi Thị Lan): keep? (y/n) [y] > ");
	assert_has(out, "[3. Protected dug well] > ");
	assert_has(out, "Classification: average living standard");
	snprintf(args, sizeof args, "Saved: %s", id);
	assert_has(out, args);

	after = get_data(db, id);
	assert_int_equal(json_integer_value(json_object_get(after, "income_per_capita")), 1600000);
	assert_string_equal(json_string_value(json_object_get(after, "classification")), "average");
	/* no longer poor: its causes are no longer asked, and cleared */
	assert_null(json_object_get(after, "poverty_causes"));
	json_object_foreach(before, k, v)
		if (strcmp(k, "income_per_capita") != 0 && strcmp(k, "classification") != 0 &&
		    strcmp(k, "poverty_causes") != 0 && !json_equal(v, json_object_get(after, k))) {
			sn = json_dumps(json_object_get(after, k), JSON_ENCODE_ANY);
			fail_msg("%s changed: %s", k, sn);
		}
	assert_int_equal(json_object_size(before), json_object_size(after) + 1);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM records"), 1);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM outbox"), 2);
	json_decref(before);

	/* nothing changed: nothing saved, nothing queued */
	input = edit_input(dir, example_lines, 0, (const char *const[][2]){{NULL, NULL}});
	snprintf(args, sizeof args, "--id %s --lang vi", id);
	assert_int_equal(fill(db, args, input, out, sizeof out), 0);
	assert_has(out, "Không có thay đổi nào, không cần lưu.");
	assert_int_equal(tu_count(db, "SELECT count(*) FROM outbox"), 2);

	/* removing the spouse: line 16 is her keep prompt, "k" (no), then "c"
	 * to removing her; the others keep their item ids */
	{
		const int per_member[] = {9, 2, 9};
		const char *const remove[][2] = {{"16", "k"}, {"17", "c"}, {NULL, NULL}};
		json_t *items;

		input = edit_input(dir, per_member, 0, remove);
		assert_int_equal(fill(db, args, input, out, sizeof out), 0);
		assert_has(out, "Xoá thành viên 2 (Bùi Thị Lan) cùng các câu trả lời? (c/k) > c");
		before = after;
		after = get_data(db, id);
		items = json_object_get(after, "members");
		assert_int_equal(json_array_size(items), 2);
		assert_true(json_equal(json_object_get(json_array_get(items, 1), "_id"),
		                       json_object_get(json_array_get(json_object_get(before, "members"), 2),
		                                       "_id")));
		assert_string_equal(json_string_value(json_object_get(json_array_get(items, 1), "name")),
		                    "Đinh Thị Mai");
	}
	json_decref(before);
	json_decref(after);
	tu_rmtree(dir);
}

/* A change stored while the interview goes on (as sync merges one) is
 * kept: the edit saves only the answers the surveyor changed. */
static void test_edit_meanwhile(void **st)
{
	const char *dir = tu_tmpdir("fill"), *db;
	static pty p;
	char dbarg[1100], id[37];
	char *argv[] = {bin, "fill", "--db", dbarg, "--id", id, NULL};
	json_t *change = tu_json("{\"village\": \"Thôn Mới\"}"), *data;
	saola *h = NULL;
	int i, n = 7 + 9 + 9 + 9; /* 2025: no district, area computed */

	(void)st;
	db = new_device(dir);
	snprintf(dbarg, sizeof dbarg, "%s", db);
	put_example(db, id);
	pty_spawn(&p, argv, "vi");
	pty_expect(&p, "Năm rà soát (số nguyên)");
	assert_int_equal(saola_open(db, 0, &h), SAOLA_OK);
	assert_int_equal(saola_put(h, "household", id, change, NULL), SAOLA_OK);
	saola_close(h);
	for (i = 0; i < n; i++) {
		pty_expect(&p, "> ");
		assert_int_equal(write(p.fd, i == 6 ? "2000000\n" : "\n", i == 6 ? 8 : 1),
		                 i == 6 ? 8 : 1);
	}
	pty_answer(&p, "Thêm thành viên? (c/k)", "k");
	for (i = 0; i < 10; i++) { /* the dwelling to the support; average: no causes */
		pty_expect(&p, "> ");
		assert_int_equal(write(p.fd, "\n", 1), 1);
	}
	pty_expect(&p, "Phân loại hộ: hộ có mức sống trung bình");
	pty_answer(&p, "Lưu hộ này? (c/k)", "c");
	pty_expect(&p, "Đã lưu hộ: ");
	assert_int_equal(pty_finish(&p), 0);
	data = get_data(db, id);
	assert_string_equal(json_string_value(json_object_get(data, "village")), "Thôn Mới");
	assert_int_equal(json_integer_value(json_object_get(data, "income_per_capita")), 2000000);
	json_decref(data);
	json_decref(change);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_walk_values),
		cmocka_unit_test(test_scripted_household),
		cmocka_unit_test(test_not_saved),
		cmocka_unit_test(test_other_form),
		cmocka_unit_test(test_pty),
		cmocka_unit_test(test_pty_places),
		cmocka_unit_test(test_pty_resume),
		cmocka_unit_test(test_edit),
		cmocka_unit_test(test_edit_meanwhile),
	};

	snprintf(bin, sizeof bin, "%s", tu_bin("saola"));
	unsetenv("SAOLA_LANG");
	unsetenv("SAOLA_DB");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
