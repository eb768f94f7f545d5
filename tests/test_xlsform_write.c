/* test_xlsform_write.c: saola_xlsform_write: the shipped forms and small
 * definitions written as XLSForms and read back cell by cell with the
 * xlsx reader (xlsform/src/xlsx.h): the sheets and their order, headers,
 * one row per field, languages, saola_boolean, settings and notes; and the
 * refusals, each of which leaves no file behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "saola/xlsform.h"
#include "testutil.h"
#include "xlsx.h"

#ifndef SAOLA_TEST_SCHEMAS
#error "SAOLA_TEST_SCHEMAS must name the schemas folder"
#endif

static struct {
	char dir[4096];
} F;

static int setup(void **state)
{
	(void)state;
	snprintf(F.dir, sizeof F.dir, "%s", tu_tmpdir("xlsform_write"));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmtree(F.dir);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Helpers */

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Writes definition text to name in the test folder, or fails the test;
 * the workbook read back (free with saola__xlsx_free). */
static saola__xlsx *write_read(const char *definition, const char *name)
{
	const char *path = tu_path(F.dir, name);
	char err[512], tmp[4200];
	saola__xlsx *x = NULL;
	size_t len;
	char *data;
	int rc;

	rc = saola_xlsform_write(definition, path, err, sizeof err);
	if (rc != SAOLA_OK)
		fail_msg("saola_xlsform_write: %d: %s", rc, err);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	assert_false(exists(tmp));
	data = tu_read_file(path, &len);
	assert_non_null(data);
	rc = saola__xlsx_read(data, len, &x, err, sizeof err);
	if (rc != SAOLA_OK)
		fail_msg("saola__xlsx_read: %d: %s", rc, err);
	free(data);
	return x;
}

static saola__xlsx *write_read_file(const char *form_file, const char *name)
{
	size_t len;
	char *text = tu_read_file(form_file, &len);
	saola__xlsx *x;

	assert_non_null(text);
	x = write_read(text, name);
	free(text);
	return x;
}

static int sheet_of(const saola__xlsx *x, const char *name)
{
	int s = saola__xlsx_find_sheet(x, name);

	if (s < 0)
		fail_msg("no sheet %s", name);
	return s;
}

/* The cell's text, NULL for none (an empty one too: the writer leaves
 * empty cells out). */
static const char *cell(const saola__xlsx *x, const char *sheet, int row, int col)
{
	const char *t = saola__xlsx_cell(x, sheet_of(x, sheet), row, col);

	return t && *t ? t : NULL;
}

static void assert_cell_is(const saola__xlsx *x, const char *sheet, int row, int col,
                           const char *want)
{
	const char *got = cell(x, sheet, row, col);
	char ref[16];

	if (want == got || (want && got && strcmp(want, got) == 0))
		return;
	fail_msg("%s!%s: expected \"%s\", got \"%s\"", sheet,
	         saola__xlsx_ref(row, col, ref), want ? want : "(none)", got ? got : "(none)");
}

/* Row row of sheet is exactly want (n cells, NULL: none), nothing after. */
static void assert_row(const saola__xlsx *x, const char *sheet, int row,
                       const char *const *want, int n)
{
	int c, ncols = saola__xlsx_ncols(x, sheet_of(x, sheet));

	for (c = 0; c < n || c < ncols; c++)
		assert_cell_is(x, sheet, row, c, c < n ? want[c] : NULL);
}

/* The column whose header is name, or -1. */
static int col_of(const saola__xlsx *x, const char *sheet, const char *name)
{
	int c, s = sheet_of(x, sheet), n = saola__xlsx_ncols(x, s);

	for (c = 0; c < n; c++)
		if (cell(x, sheet, 0, c) && strcmp(cell(x, sheet, 0, c), name) == 0)
			return c;
	return -1;
}

/* The first row whose cell in column col is text, or -1. */
static int row_of(const saola__xlsx *x, const char *sheet, int col, const char *text)
{
	int r, n = saola__xlsx_nrows(x, sheet_of(x, sheet));

	for (r = 1; r < n; r++)
		if (cell(x, sheet, r, col) && strcmp(cell(x, sheet, r, col), text) == 0)
			return r;
	return -1;
}

#define ROW(...) (const char *const[]){__VA_ARGS__}, \
	(int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* ------------------------------------------------------------------ */
/* An oracle for the shipped forms: what each survey cell must hold, read
 * from the definition by the header's name, apart from the writer's
 * tables. */

/* Splits "label::Tiếng Việt (vi)" into base "label" and language "vi"
 * ("" without "::"). */
static void split_header(const char *h, char *base, char *lang)
{
	const char *sep = strstr(h, "::"), *open, *close;

	if (!sep) {
		strcpy(base, h);
		lang[0] = '\0';
		return;
	}
	memcpy(base, h, (size_t)(sep - h));
	base[sep - h] = '\0';
	open = strchr(sep, '(');
	close = open ? strchr(open, ')') : NULL;
	if (open && close) {
		memcpy(lang, open + 1, (size_t)(close - open - 1));
		lang[close - open - 1] = '\0';
	} else {
		strcpy(lang, sep + 2);
	}
}

/* The definition's key of a survey column. */
static const char *key_of(const char *base)
{
	if (strcmp(base, "calculation") == 0)
		return "calculate";
	if (strncmp(base, "saola_", 6) == 0)
		return base + 6;
	return base;
}

static const char *expect_type(json_t *fj, char *buf, size_t n)
{
	const char *t = json_string_value(json_object_get(fj, "type"));

	if (strcmp(t, "group") == 0 || strcmp(t, "repeat") == 0) {
		snprintf(buf, n, "begin %s", t);
		return buf;
	}
	if (strcmp(t, "boolean") == 0)
		return "select_one saola_boolean";
	if (strncmp(t, "select_", 7) == 0) {
		snprintf(buf, n, "%s %s", t, json_string_value(json_object_get(fj, "choices")));
		return buf;
	}
	return t;
}

static const char *expect_cell(json_t *fj, const char *header, const char *deflang,
                               char *buf, size_t n)
{
	char base[128], lang[64];
	json_t *v;

	split_header(header, base, lang);
	if (strcmp(base, "type") == 0)
		return expect_type(fj, buf, n);
	if (strcmp(base, "read_only") == 0)
		return json_object_get(fj, "calculate") &&
		       strcmp(json_string_value(json_object_get(fj, "type")), "calculate") != 0 ?
		       "yes" : NULL;
	v = json_object_get(fj, key_of(base));
	if (json_is_object(v))
		return json_string_value(json_object_get(v, lang));
	if (json_is_string(v))
		return !*lang || strcmp(lang, deflang) == 0 ? json_string_value(v) : NULL;
	if (json_is_true(v))
		return "yes";
	if (json_is_integer(v)) {
		snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	return NULL;
}

/* Every row of the survey from *row on against fields, pre-order, with
 * each group's and repeat's end row; returns the fields seen. */
static int check_rows(const saola__xlsx *x, json_t *fields, const char *deflang, int *row)
{
	int ncols = saola__xlsx_ncols(x, sheet_of(x, "survey")), c, seen = 0;
	char buf[256];
	const char *type;
	json_t *fj;
	size_t i;

	json_array_foreach(fields, i, fj) {
		for (c = 0; c < ncols; c++)
			assert_cell_is(x, "survey", *row, c,
			               expect_cell(fj, cell(x, "survey", 0, c), deflang, buf, sizeof buf));
		(*row)++;
		seen++;
		type = json_string_value(json_object_get(fj, "type"));
		if (strcmp(type, "group") != 0 && strcmp(type, "repeat") != 0)
			continue;
		seen += check_rows(x, json_object_get(fj, "fields"), deflang, row);
		snprintf(buf, sizeof buf, "end %s", type);
		assert_cell_is(x, "survey", *row, 0, buf);
		for (c = 1; c < ncols; c++)
			assert_cell_is(x, "survey", *row, c, NULL);
		(*row)++;
	}
	return seen;
}

/* The choices sheet against the definition's lists, row by row. */
static int check_choices(const saola__xlsx *x, json_t *def)
{
	int vi = col_of(x, "choices", "label::Tiếng Việt (vi)");
	int en = col_of(x, "choices", "label::English (en)");
	const char *list;
	json_t *items, *item;
	int row = 1;
	size_t i;

	json_object_foreach(json_object_get(def, "choices"), list, items)
		json_array_foreach(items, i, item) {
			json_t *label = json_object_get(item, "label");

			assert_cell_is(x, "choices", row, 0, list);
			assert_cell_is(x, "choices", row, 1,
			               json_string_value(json_object_get(item, "value")));
			assert_cell_is(x, "choices", row, vi,
			               json_string_value(json_object_get(label, "vi")));
			assert_cell_is(x, "choices", row, en,
			               json_string_value(json_object_get(label, "en")));
			row++;
		}
	return row;
}

/* The settings row of a shipped form (titles in vi and en). */
static void check_settings(const saola__xlsx *x, json_t *def)
{
	json_t *title = json_object_get(def, "title");
	const char *year = json_string_value(json_object_get(def, "standard_year_field"));

	assert_cell_is(x, "settings", 1, col_of(x, "settings", "form_id"),
	               json_string_value(json_object_get(def, "id")));
	assert_cell_is(x, "settings", 1, col_of(x, "settings", "version"),
	               json_string_value(json_object_get(def, "version")));
	assert_cell_is(x, "settings", 1, col_of(x, "settings", "form_title"),
	               json_string_value(json_object_get(title, "vi")));
	assert_cell_is(x, "settings", 1, col_of(x, "settings", "form_title::English (en)"),
	               json_string_value(json_object_get(title, "en")));
	assert_cell_is(x, "settings", 1, col_of(x, "settings", "default_language"), "vi");
	assert_cell_is(x, "settings", 1, col_of(x, "settings", "saola_standard"), "vn-poverty");
	assert_int_equal(col_of(x, "settings", "saola_standard_year_field") >= 0, year != NULL);
	if (year)
		assert_cell_is(x, "settings", 1, col_of(x, "settings", "saola_standard_year_field"),
		               year);
}

/* The saola_notes sheet: one row a note, in order. */
static void check_notes(const saola__xlsx *x, json_t *def)
{
	const char *name;
	json_t *text;
	int row = 1;

	assert_row(x, "saola_notes", 0, ROW("name", "note"));
	json_object_foreach(json_object_get(def, "notes"), name, text) {
		assert_row(x, "saola_notes", row, ROW(name, json_string_value(text)));
		row++;
	}
	assert_int_equal(saola__xlsx_nrows(x, sheet_of(x, "saola_notes")), row);
}

static int has_boolean(json_t *fields)
{
	json_t *fj;
	size_t i;

	json_array_foreach(fields, i, fj) {
		if (strcmp(json_string_value(json_object_get(fj, "type")), "boolean") == 0 ||
		    has_boolean(json_object_get(fj, "fields")))
			return 1;
	}
	return 0;
}

/* A shipped form written: four sheets in order, every survey cell as the
 * definition says, the lists, saola_boolean when it has booleans, the
 * settings and the notes. */
static void check_shipped(const char *file, const char *name)
{
	char path[4096];
	json_t *def;
	saola__xlsx *x;
	int row = 1, nrows;

	snprintf(path, sizeof path, "%s/forms/%s", SAOLA_TEST_SCHEMAS, file);
	def = json_load_file(path, 0, NULL);
	assert_non_null(def);
	x = write_read_file(path, name);
	assert_int_equal(saola__xlsx_nsheets(x), 4);
	assert_string_equal(saola__xlsx_sheet_name(x, 0), "survey");
	assert_string_equal(saola__xlsx_sheet_name(x, 1), "choices");
	assert_string_equal(saola__xlsx_sheet_name(x, 2), "settings");
	assert_string_equal(saola__xlsx_sheet_name(x, 3), "saola_notes");

	assert_cell_is(x, "survey", 0, 0, "type");
	assert_cell_is(x, "survey", 0, 1, "name");
	assert_cell_is(x, "survey", 0, 2, "label::Tiếng Việt (vi)");
	assert_cell_is(x, "survey", 0, 3, "label::English (en)");
	check_rows(x, json_object_get(def, "fields"), "vi", &row);
	assert_int_equal(saola__xlsx_nrows(x, sheet_of(x, "survey")), row);

	row = check_choices(x, def);
	nrows = saola__xlsx_nrows(x, sheet_of(x, "choices"));
	if (has_boolean(json_object_get(def, "fields"))) {
		assert_row(x, "choices", row, ROW("saola_boolean", "true", "Có", "Yes"));
		assert_row(x, "choices", row + 1, ROW("saola_boolean", "false", "Không", "No"));
		row += 2;
	}
	assert_int_equal(nrows, row);
	check_settings(x, def);
	check_notes(x, def);
	saola__xlsx_free(x);
	json_decref(def);
}

/* ------------------------------------------------------------------ */
/* The shipped forms */

static void test_household(void **state)
{
	saola__xlsx *x;

	(void)state;
	check_shipped("household.json", "household.xlsx");
	/* The household form's columns, exactly, in the writer's order. */
	x = write_read_file(SAOLA_TEST_SCHEMAS "/forms/household.json", "household2.xlsx");
	assert_row(x, "survey", 0, ROW("type", "name", "label::Tiếng Việt (vi)",
	           "label::English (en)", "hint::Tiếng Việt (vi)", "hint::English (en)",
	           "required", "relevant", "constraint", "constraint_message::Tiếng Việt (vi)",
	           "constraint_message::English (en)", "calculation", "read_only",
	           "saola_personal", "saola_max_length", "saola_unit", "saola_generated",
	           "saola_warning", "saola_warning_message::Tiếng Việt (vi)",
	           "saola_warning_message::English (en)", "saola_warning_confirm"));
	/* A computed field of another type is read_only. */
	assert_cell_is(x, "survey", row_of(x, "survey", 1, "head_name"),
	               col_of(x, "survey", "read_only"), "yes");
	assert_cell_is(x, "survey", row_of(x, "survey", 1, "income_per_capita"),
	               col_of(x, "survey", "saola_warning_confirm"), "income_confirmed");
	assert_cell_is(x, "survey", row_of(x, "survey", 1, "income_confirmed"), 0,
	               "select_one saola_boolean");
	saola__xlsx_free(x);
}

static void test_quick_id(void **state)
{
	(void)state;
	check_shipped("quick_id.json", "quick_id.xlsx");
}

/* ------------------------------------------------------------------ */
/* Every column and type */

static const char every_column[] =
	"{\"id\": \"every\", \"version\": \"1\", \"title\": \"Every column\","
	" \"default_language\": \"vi\", \"standard\": \"vn-poverty\","
	" \"standard_year_field\": \"year\","
	" \"choices\": {\"colour\": [{\"value\": \"red\", \"label\": {\"vi\": \"Đỏ\", \"en\": \"Red\", \"fr\": \"Rouge\"}},"
	"                          {\"value\": \"blue\", \"label\": {\"en\": \"Blue\"}}]},"
	" \"fields\": ["
	"  {\"name\": \"year\", \"type\": \"integer\", \"required\": true, \"default\": 2026,"
	"   \"label\": {\"fr\": \"Année\", \"en\": \"Year\", \"vi\": \"Năm\"},"
	"   \"hint\": \"four digits\", \"constraint\": \". >= 2000\","
	"   \"constraint_message\": \"từ 2000\"},"
	"  {\"name\": \"code\", \"type\": \"text\", \"generated\": true, \"max_length\": 40,"
	"   \"appearance\": \"minimal\", \"notes\": \"why: a code\"},"
	"  {\"name\": \"commune\", \"type\": \"text\", \"unit\": \"commune\", \"personal\": false,"
	"   \"constraint_message\": {\"en\": \"a commune\"}, \"constraint\": \"string-length(.) = 5\"},"
	"  {\"name\": \"hh\", \"type\": \"group\", \"relevant\": \"${year} > 2000\","
	"   \"label\": {\"vi\": \"Hộ\"}, \"fields\": ["
	"    {\"name\": \"ratio\", \"type\": \"decimal\", \"default\": 2.5},"
	"    {\"name\": \"whole\", \"type\": \"decimal\", \"default\": 3.0},"
	"    {\"name\": \"born\", \"type\": \"date\", \"default\": \"2000-01-31\"},"
	"    {\"name\": \"colours\", \"type\": \"select_multiple\", \"choices\": \"colour\","
	"     \"default\": [\"red\", \"blue\"]},"
	"    {\"name\": \"fav\", \"type\": \"select_one\", \"choices\": \"colour\","
	"     \"required\": \"${year} > 2010\"},"
	"    {\"name\": \"income\", \"type\": \"integer\", \"warning\": \". < 100\","
	"     \"warning_message\": {\"vi\": \"cao\", \"en\": \"high\"}, \"warning_confirm\": \"ok\"},"
	"    {\"name\": \"ok\", \"type\": \"boolean\", \"default\": false}]},"
	"  {\"name\": \"people\", \"type\": \"repeat\", \"constraint\": \"count(.) <= 30\","
	"   \"personal\": true, \"fields\": ["
	"    {\"name\": \"who\", \"type\": \"text\"},"
	"    {\"name\": \"info\", \"type\": \"note\", \"label\": \"a note\"}]},"
	"  {\"name\": \"twice\", \"type\": \"calculate\", \"calculate\": \"${year} * 2\"},"
	"  {\"name\": \"area\", \"type\": \"select_one\", \"choices\": \"colour\","
	"   \"calculate\": \"'red'\"}"
	" ]}";

static void test_every_column(void **state)
{
	saola__xlsx *x;

	(void)state;
	x = write_read(every_column, "every.xlsx");
	assert_int_equal(saola__xlsx_nsheets(x), 3); /* no notes: no saola_notes */
	/* Languages: the default (vi) first, then by code; a plain hint alone
	 * keeps its column without "::", plain constraint messages mixed with
	 * objects are in the default language's column; label has a plain
	 * string (the note's) mixed in too. */
	assert_row(x, "survey", 0, ROW("type", "name", "label::Tiếng Việt (vi)",
	           "label::English (en)", "label::fr", "hint", "required", "relevant",
	           "constraint", "constraint_message::Tiếng Việt (vi)",
	           "constraint_message::English (en)", "calculation", "default",
	           "appearance", "read_only", "saola_personal", "saola_max_length",
	           "saola_unit", "saola_generated", "saola_warning",
	           "saola_warning_message::Tiếng Việt (vi)",
	           "saola_warning_message::English (en)", "saola_warning_confirm",
	           "saola_notes"));
#define N NULL
	/*            type name label vi en fr hint req rel cons cmvi cmen calc def app ro pers len unit gen warn wvi wen wconf notes */
	assert_row(x, "survey", 1, ROW("integer", "year", "Năm", "Year", "Année", "four digits",
	           "yes", N, ". >= 2000", "từ 2000", N, N, "2026"));
	assert_row(x, "survey", 2, ROW("text", "code", N, N, N, N, N, N, N, N, N, N, N,
	           "minimal", N, N, "40", N, "yes", N, N, N, N, "why: a code"));
	assert_row(x, "survey", 3, ROW("text", "commune", N, N, N, N, N, N,
	           "string-length(.) = 5", N, "a commune", N, N, N, N, N, N, "commune"));
	assert_row(x, "survey", 4, ROW("begin group", "hh", "Hộ", N, N, N, N, "${year} > 2000"));
	assert_row(x, "survey", 5, ROW("decimal", "ratio", N, N, N, N, N, N, N, N, N, N, "2.5"));
	assert_row(x, "survey", 6, ROW("decimal", "whole", N, N, N, N, N, N, N, N, N, N, "3.0"));
	assert_row(x, "survey", 7, ROW("date", "born", N, N, N, N, N, N, N, N, N, N, "2000-01-31"));
	assert_row(x, "survey", 8, ROW("select_multiple colour", "colours", N, N, N, N, N, N, N,
	           N, N, N, "red blue"));
	assert_row(x, "survey", 9, ROW("select_one colour", "fav", N, N, N, N, "${year} > 2010"));
	assert_row(x, "survey", 10, ROW("integer", "income", N, N, N, N, N, N, N, N, N, N, N, N,
	           N, N, N, N, N, ". < 100", "cao", "high", "ok"));
	assert_row(x, "survey", 11, ROW("select_one saola_boolean", "ok", N, N, N, N, N, N, N,
	           N, N, N, "false"));
	assert_row(x, "survey", 12, ROW("end group"));
	assert_row(x, "survey", 13, ROW("begin repeat", "people", N, N, N, N, N, N,
	           "count(.) <= 30", N, N, N, N, N, N, "yes"));
	assert_row(x, "survey", 14, ROW("text", "who"));
	assert_row(x, "survey", 15, ROW("note", "info", "a note"));
	assert_row(x, "survey", 16, ROW("end repeat"));
	assert_row(x, "survey", 17, ROW("calculate", "twice", N, N, N, N, N, N, N, N, N,
	           "${year} * 2"));
	assert_row(x, "survey", 18, ROW("select_one colour", "area", N, N, N, N, N, N, N, N, N,
	           "'red'", N, N, "yes"));
	assert_int_equal(saola__xlsx_nrows(x, sheet_of(x, "survey")), 19);

	/* The lists, then saola_boolean labelled in every language. */
	assert_row(x, "choices", 0, ROW("list_name", "name", "label::Tiếng Việt (vi)",
	           "label::English (en)", "label::fr"));
	assert_row(x, "choices", 1, ROW("colour", "red", "Đỏ", "Red", "Rouge"));
	assert_row(x, "choices", 2, ROW("colour", "blue", N, "Blue"));
	assert_row(x, "choices", 3, ROW("saola_boolean", "true", "Có", "Yes", "Yes"));
	assert_row(x, "choices", 4, ROW("saola_boolean", "false", "Không", "No", "No"));
	assert_int_equal(saola__xlsx_nrows(x, sheet_of(x, "choices")), 5);

	/* A plain title is form_title alone. */
	assert_row(x, "settings", 0, ROW("form_id", "version", "form_title", "default_language",
	           "saola_standard", "saola_standard_year_field"));
	assert_row(x, "settings", 1, ROW("every", "1", "Every column", "vi", "vn-poverty", "year"));
	assert_int_equal(saola__xlsx_nrows(x, sheet_of(x, "settings")), 2);
#undef N
	saola__xlsx_free(x);
}

/* A form of plain strings in one language: columns without "::", and
 * saola_boolean's labels plain too, in the default language; a title by
 * language without the default one is all form_title::LANG. */
static void test_plain_form(void **state)
{
	saola__xlsx *x;

	(void)state;
	x = write_read("{\"id\": \"plain\", \"title\": {\"en\": \"Plain\", \"es\": \"Llano\"},"
	               " \"default_language\": \"vi\","
	               " \"choices\": {\"yn\": [{\"value\": \"y\", \"label\": \"Có\"}]},"
	               " \"fields\": [{\"name\": \"q\", \"type\": \"boolean\", \"label\": \"Hỏi\"},"
	               "  {\"name\": \"p\", \"type\": \"select_one\", \"choices\": \"yn\"}]}",
	               "plain.xlsx");
	assert_row(x, "survey", 0, ROW("type", "name", "label"));
	assert_row(x, "survey", 1, ROW("select_one saola_boolean", "q", "Hỏi"));
	assert_row(x, "survey", 2, ROW("select_one yn", "p"));
	/* The title's languages make the form's: the lists' plain labels go
	 * in the default language's column beside saola_boolean's. */
	assert_row(x, "choices", 0, ROW("list_name", "name", "label::Tiếng Việt (vi)",
	           "label::English (en)", "label::es"));
	assert_row(x, "choices", 1, ROW("yn", "y", "Có"));
	assert_row(x, "choices", 2, ROW("saola_boolean", "true", "Có", "Yes", "Yes"));
	assert_row(x, "choices", 3, ROW("saola_boolean", "false", "Không", "No", "No"));
	assert_row(x, "settings", 0, ROW("form_id", "form_title::English (en)", "form_title::es",
	           "default_language"));
	assert_row(x, "settings", 1, ROW("plain", "Plain", "Llano", "vi"));
	saola__xlsx_free(x);

	/* No language anywhere: plain "Yes"/"No". */
	x = write_read("{\"id\": \"bare\", \"fields\": [{\"name\": \"q\", \"type\": \"boolean\","
	               " \"label\": \"Q\", \"required\": false, \"generated\": false}]}",
	               "bare.xlsx");
	assert_row(x, "survey", 0, ROW("type", "name", "label"));
	assert_row(x, "survey", 1, ROW("select_one saola_boolean", "q", "Q"));
	assert_row(x, "choices", 0, ROW("list_name", "name", "label"));
	assert_row(x, "choices", 1, ROW("saola_boolean", "true", "Yes"));
	assert_row(x, "choices", 2, ROW("saola_boolean", "false", "No"));
	assert_row(x, "settings", 0, ROW("form_id"));
	assert_row(x, "settings", 1, ROW("bare"));
	saola__xlsx_free(x);
}

/* Writing over a file replaces it whole. */
static void test_overwrite(void **state)
{
	const char *path = tu_path(F.dir, "again.xlsx");
	saola__xlsx *x;

	(void)state;
	x = write_read("{\"id\": \"a\", \"fields\": [{\"name\": \"q1\", \"type\": \"text\"}]}",
	               "again.xlsx");
	saola__xlsx_free(x);
	x = write_read("{\"id\": \"b\", \"fields\": [{\"name\": \"q2\", \"type\": \"text\"}]}",
	               "again.xlsx");
	assert_row(x, "survey", 1, ROW("text", "q2"));
	assert_row(x, "settings", 1, ROW("b"));
	saola__xlsx_free(x);
	assert_true(exists(path));
}

/* ------------------------------------------------------------------ */
/* Refusals: the code, the place in the message, and nothing written (an
 * old file at the path is left as it was). */

static const struct refusal {
	const char *definition;
	int rc;
	const char *err;
} refusals[] = {
	{"{\"id\": ", SAOLA_INVALID, "definition: line 1"},
	{"[1, 2]", SAOLA_INVALID, "definition: expected a JSON object"},
	{"{\"id\": \"f\", \"fields\": [{\"name\": \"g\", \"type\": \"group\", \"fields\": ["
	 "{\"name\": \"x\", \"type\": \"text\", \"colour\": \"red\"}]}]}",
	 SAOLA_INVALID, "fields[0] (g).fields[0] (x).colour: unknown property"},
	{"{\"id\": \"f\", \"text_max_length\": 100, \"fields\": [{\"name\": \"x\", \"type\": \"text\"}]}",
	 SAOLA_INVALID, "text_max_length: unknown property"},
	{"{\"id\": \"f\", \"choices\": {\"saola_boolean\": [{\"value\": \"true\"}]},"
	 " \"fields\": [{\"name\": \"x\", \"type\": \"text\"}]}",
	 SAOLA_INVALID, "choices.saola_boolean: the name is saola's own"},
	{"{\"id\": \"f\", \"choices\": {\"a b\": [{\"value\": \"x\"}]},"
	 " \"fields\": [{\"name\": \"x\", \"type\": \"text\"}]}",
	 SAOLA_INVALID, "choices.\"a b\": a list name cannot"},
	{"{\"id\": \"f\", \"choices\": {\"l\": [{\"value\": \"x\", \"image\": \"x.png\"}]},"
	 " \"fields\": [{\"name\": \"x\", \"type\": \"select_one\", \"choices\": \"l\"}]}",
	 SAOLA_INVALID, "choices.l[0].image: unknown property"},
	{"{\"id\": \"f\", \"fields\": [{\"name\": \"x\", \"type\": \"text\"},"
	 " {\"name\": \"income\", \"type\": \"geopoint\"}]}",
	 SAOLA_INVALID, "fields[1] (income).type: unknown type \"geopoint\""},
	{"{\"id\": \"f\", \"fields\": [{\"name\": \"x\", \"type\": \"text\", \"choices\": \"l\"}]}",
	 SAOLA_INVALID, "fields[0] (x).choices: only a select_one"},
	{"{\"id\": \"f\", \"fields\": [{\"name\": \"x\", \"type\": \"text\","
	 " \"label\": {\"en (GB)\": \"x\"}}]}",
	 SAOLA_INVALID, "fields[0] (x).label: language \"en (GB)\" cannot name a column"},
	{"{\"id\": \"f\", \"fields\": [{\"name\": \"x\", \"type\": \"text\", \"label\": 5}]}",
	 SAOLA_INVALID, "fields[0] (x).label: expected a string or an object"},
	{"{\"id\": \"f\", \"choices\": {\"l\": [{\"value\": \"a b\"}]}, \"fields\": [{\"name\": \"x\","
	 " \"type\": \"select_multiple\", \"choices\": \"l\", \"default\": [\"a b\"]}]}",
	 SAOLA_INVALID, "fields[0] (x).default[0]: expected a choice's value without spaces"},
	{"{\"id\": \"f\", \"notes\": \"a note\", \"fields\": [{\"name\": \"x\", \"type\": \"text\"}]}",
	 SAOLA_INVALID, "notes: expected an object"},
	{"{\"fields\": [{\"name\": \"x\", \"type\": \"text\"}]}", SAOLA_INVALID,
	 "id: expected a non-empty string"},
	{"{\"id\": \"f\", \"fields\": []}", SAOLA_INVALID, "fields: expected a non-empty array"},
	/* What the form's compiler refuses is not written either. */
	{"{\"id\": \"f\", \"fields\": [{\"name\": \"x\", \"type\": \"select_one\","
	 " \"choices\": \"nowhere\"}]}", SAOLA_INVALID, "unknown choice list \"nowhere\""},
	{"{\"id\": \"f\", \"fields\": [{\"name\": \"x\", \"type\": \"text\"},"
	 " {\"name\": \"x\", \"type\": \"text\"}]}", SAOLA_INVALID, "duplicate name \"x\""},
};

static void test_refusals(void **state)
{
	const char *path = tu_path(F.dir, "refused.xlsx");
	char err[512], tmp[4200];
	size_t i, len;
	char *old;
	FILE *f;
	int rc;

	(void)state;
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("old", f);
	fclose(f);
	for (i = 0; i < sizeof refusals / sizeof *refusals; i++) {
		rc = saola_xlsform_write(refusals[i].definition, path, err, sizeof err);
		if (rc != refusals[i].rc || !strstr(err, refusals[i].err))
			fail_msg("refusal %zu: expected %d \"%s\", got %d \"%s\"", i,
			         refusals[i].rc, refusals[i].err, rc, err);
		old = tu_read_file(path, &len);
		assert_non_null(old);
		assert_string_equal(old, "old");
		free(old);
		assert_false(exists(tmp));
		/* err may be NULL. */
		assert_int_equal(saola_xlsform_write(refusals[i].definition, path, NULL, 0),
		                 refusals[i].rc);
	}
}

/* A text longer than a cell holds: SAOLA_LIMIT naming the cell. */
static void test_cell_too_long(void **state)
{
	const char *path = tu_path(F.dir, "long.xlsx");
	char err[512], tmp[4200];
	json_t *def;
	char *text, *note;
	int rc;

	(void)state;
	note = malloc(40001);
	assert_non_null(note);
	memset(note, 'a', 40000);
	note[40000] = '\0';
	def = json_pack("{s:s, s:{s:s}, s:[{s:s, s:s}]}", "id", "f", "notes", "long", note,
	                "fields", "name", "x", "type", "text");
	text = json_dumps(def, 0);
	rc = saola_xlsform_write(text, path, err, sizeof err);
	assert_int_equal(rc, SAOLA_LIMIT);
	assert_non_null(strstr(err, "saola_notes!B2: a text of 40000 bytes"));
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	assert_false(exists(path));
	assert_false(exists(tmp));
	free(text);
	free(note);
	json_decref(def);
}

/* A folder that is not there, and a path that is a folder: SAOLA_IO, and
 * nothing left. */
static void test_unwritable(void **state)
{
	const char *def = "{\"id\": \"f\", \"fields\": [{\"name\": \"x\", \"type\": \"text\"}]}";
	const char *missing = tu_path(F.dir, "no/such/folder/f.xlsx");
	const char *folder = tu_path(F.dir, "folder.xlsx");
	char err[512], tmp[4200];

	(void)state;
	assert_int_equal(saola_xlsform_write(def, missing, err, sizeof err), SAOLA_IO);
	assert_non_null(strstr(err, "f.xlsx: cannot write"));
	assert_false(exists(missing));

	assert_int_equal(mkdir(folder, 0700), 0);
	assert_int_equal(saola_xlsform_write(def, folder, err, sizeof err), SAOLA_IO);
	assert_non_null(strstr(err, "folder.xlsx"));
	snprintf(tmp, sizeof tmp, "%s.tmp", folder);
	assert_false(exists(tmp));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_household),
		cmocka_unit_test(test_quick_id),
		cmocka_unit_test(test_every_column),
		cmocka_unit_test(test_plain_form),
		cmocka_unit_test(test_overwrite),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_cell_too_long),
		cmocka_unit_test(test_unwritable),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
