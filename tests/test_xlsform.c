/* test_xlsform.c: saola_xlsform_read: the writer's workbooks read back
 * into the same definition (the shipped forms, every column and type),
 * foreign workbooks as ODK and Kobo users make them (made here with
 * libxlsxwriter: other sheet and column orders, numbers typed as numbers,
 * languages named "English (en)", empty rows, Kobo's own columns), every
 * refusal with the cell it names, and files that are no XLSForm. Every
 * definition read is loaded into a device database too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <xlsxwriter.h>

#include "saola/xlsform.h"
#include "testutil.h"

#ifndef SAOLA_TEST_SCHEMAS
#error "SAOLA_TEST_SCHEMAS must name the schemas folder"
#endif

static struct {
	char dir[4096];
	int n; /* files made, for unique names */
} F;

static int setup(void **state)
{
	(void)state;
	snprintf(F.dir, sizeof F.dir, "%s", tu_tmpdir("xlsform"));
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

static const char *new_path(const char *ext)
{
	char name[64];

	snprintf(name, sizeof name, "wb%d.%s", F.n++, ext);
	return tu_path(F.dir, name);
}

/* A sheet as text: rows separated by "\n", cells by "|"; a cell "#2024"
 * is written as a number (as Excel keeps one typed), an empty one not at
 * all. */
typedef struct sheet_spec {
	const char *name;
	const char *rows;
} sheet_spec;

static void write_sheet(lxw_workbook *wb, const sheet_spec *sp)
{
	lxw_worksheet *ws = workbook_add_worksheet(wb, sp->name);
	const char *p = sp->rows;
	char cell[4096];
	int row = 0, col = 0;
	size_t n;

	assert_non_null(ws);
	while (*p) {
		n = strcspn(p, "|\n");
		assert_true(n < sizeof cell);
		memcpy(cell, p, n);
		cell[n] = '\0';
		if (cell[0] == '#')
			assert_int_equal(worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)col,
			                                        strtod(cell + 1, NULL), NULL), 0);
		else if (cell[0])
			assert_int_equal(worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col,
			                                        cell, NULL), 0);
		p += n;
		if (*p == '|') {
			col++;
			p++;
		} else if (*p == '\n') {
			row++;
			col = 0;
			p++;
		}
	}
}

/* A workbook of the sheets (up to a NULL name) at a new path. */
static const char *make_workbook(const sheet_spec *sheets)
{
	const char *path = new_path("xlsx");
	lxw_workbook *wb = workbook_new(path);
	int i;

	assert_non_null(wb);
	for (i = 0; sheets[i].name; i++)
		write_sheet(wb, &sheets[i]);
	assert_int_equal(workbook_close(wb), 0);
	return path;
}

/* Reads path, or fails the test with the error; the definition parsed. */
static json_t *read_ok(const char *path)
{
	char err[1024], *text = NULL;
	json_t *def;
	int rc = saola_xlsform_read(path, &text, err, sizeof err);

	if (rc != SAOLA_OK)
		fail_msg("saola_xlsform_read: %d: %s", rc, err);
	def = tu_json(text);
	saola_free(text);
	return def;
}

static void assert_json_equal(json_t *got, json_t *want)
{
	char *g, *w;

	if (json_equal(got, want))
		return;
	g = json_dumps(got, JSON_INDENT(1) | JSON_SORT_KEYS);
	w = json_dumps(want, JSON_INDENT(1) | JSON_SORT_KEYS);
	fail_msg("definitions differ:\ngot:  %s\nwant: %s", g, w);
}

/* The definition loads into a new device database as any form does. */
static void assert_loads(json_t *def)
{
	const char *db_path = new_path("db");
	char *text = json_dumps(def, 0), *id = NULL;
	saola *db = tu_open(db_path, 1);
	int rc = saola_form_load(db, text, &id);

	if (rc != SAOLA_OK)
		fail_msg("saola_form_load: %d: %s", rc, saola_errmsg(db));
	assert_string_equal(id, json_string_value(json_object_get(def, "id")));
	saola_free(id);
	free(text);
	saola_close(db);
}

/* def written by saola_xlsform_write and read back. */
static json_t *round_trip(json_t *def)
{
	const char *path = new_path("xlsx");
	char err[1024], *text = json_dumps(def, 0);
	int rc = saola_xlsform_write(text, path, err, sizeof err);

	free(text);
	if (rc != SAOLA_OK)
		fail_msg("saola_xlsform_write: %d: %s", rc, err);
	return read_ok(path);
}

/* ------------------------------------------------------------------ */
/* Round trips */

static void check_shipped(const char *file)
{
	char path[4096];
	json_t *def, *back;

	snprintf(path, sizeof path, "%s/forms/%s", SAOLA_TEST_SCHEMAS, file);
	def = json_load_file(path, 0, NULL);
	assert_non_null(def);
	back = round_trip(def);
	assert_json_equal(back, def);
	assert_loads(back);
	json_decref(back);
	json_decref(def);
}

static void test_household(void **state)
{
	(void)state;
	check_shipped("household.json");
}

static void test_quick_id(void **state)
{
	(void)state;
	check_shipped("quick_id.json");
}

/* Every column and type, as a definition the workbook holds exactly:
 * languages by object, a plain hint, defaults of every type, a boolean,
 * a computed select, a group, a repeat, notes. */
static const char every[] =
	"{\"id\": \"every\", \"version\": \"1\","
	" \"title\": {\"vi\": \"Mọi cột\", \"en\": \"Every column\"},"
	" \"default_language\": \"vi\", \"standard\": \"vn-poverty\","
	" \"standard_year_field\": \"year\","
	" \"notes\": {\"why\": \"every column\", \"empty\": \"\"},"
	" \"choices\": {\"colour\": [{\"value\": \"red\", \"label\": {\"vi\": \"Đỏ\", \"en\": \"Red\", \"fr\": \"Rouge\"}},"
	"                          {\"value\": \"blue\", \"label\": {\"en\": \"Blue\"}},"
	"                          {\"value\": \"green\"}],"
	"             \"one\": [{\"value\": \"1\", \"label\": {\"vi\": \"Một\"}}]},"
	" \"fields\": ["
	"  {\"name\": \"year\", \"type\": \"integer\", \"required\": true, \"default\": 2026,"
	"   \"label\": {\"fr\": \"Année\", \"en\": \"Year\", \"vi\": \"Năm\"},"
	"   \"hint\": \"four digits\", \"constraint\": \". >= 2000\","
	"   \"constraint_message\": {\"vi\": \"từ 2000\"}},"
	"  {\"name\": \"code\", \"type\": \"text\", \"generated\": true, \"max_length\": 40,"
	"   \"appearance\": \"minimal\", \"notes\": \"why: a code\", \"default\": \"x y\"},"
	"  {\"name\": \"commune\", \"type\": \"text\", \"unit\": \"commune\", \"personal\": true,"
	"   \"constraint_message\": {\"en\": \"a commune\"}, \"constraint\": \"string-length(.) = 5\"},"
	"  {\"name\": \"hh\", \"type\": \"group\", \"relevant\": \"${year} > 2000\","
	"   \"label\": {\"vi\": \"Hộ\"}, \"fields\": ["
	"    {\"name\": \"ratio\", \"type\": \"decimal\", \"default\": 2.5},"
	"    {\"name\": \"whole\", \"type\": \"decimal\", \"default\": 3.0},"
	"    {\"name\": \"int_dec\", \"type\": \"decimal\", \"default\": 3},"
	"    {\"name\": \"big\", \"type\": \"decimal\", \"default\": 1e20},"
	"    {\"name\": \"neg\", \"type\": \"integer\", \"default\": -7},"
	"    {\"name\": \"born\", \"type\": \"date\", \"default\": \"2000-01-31\"},"
	"    {\"name\": \"colours\", \"type\": \"select_multiple\", \"choices\": \"colour\","
	"     \"default\": [\"red\", \"blue\"]},"
	"    {\"name\": \"fav\", \"type\": \"select_one\", \"choices\": \"colour\","
	"     \"required\": \"${year} > 2010\", \"default\": \"green\"},"
	"    {\"name\": \"income\", \"type\": \"integer\", \"warning\": \". < 100\","
	"     \"warning_message\": {\"vi\": \"cao\", \"en\": \"high\"}, \"warning_confirm\": \"ok\"},"
	"    {\"name\": \"ok\", \"type\": \"boolean\"},"
	"    {\"name\": \"yes_no\", \"type\": \"boolean\", \"default\": false},"
	"    {\"name\": \"inner\", \"type\": \"group\", \"fields\": ["
	"      {\"name\": \"deep\", \"type\": \"text\", \"hint\": \"deep down\"}]}]},"
	"  {\"name\": \"people\", \"type\": \"repeat\", \"constraint\": \"count(.) <= 30\","
	"   \"personal\": true, \"fields\": ["
	"    {\"name\": \"who\", \"type\": \"text\", \"required\": true},"
	"    {\"name\": \"nth\", \"type\": \"integer\", \"calculate\": \"position(..)\"},"
	"    {\"name\": \"info\", \"type\": \"note\", \"label\": {\"en\": \"a note\"}}]},"
	"  {\"name\": \"twice\", \"type\": \"calculate\", \"calculate\": \"${year} * 2\"},"
	"  {\"name\": \"first\", \"type\": \"text\", \"calculate\": \"indexed-repeat(${who}, ${people}, 1)\"},"
	"  {\"name\": \"area\", \"type\": \"select_one\", \"choices\": \"colour\","
	"   \"calculate\": \"'red'\"},"
	"  {\"name\": \"uno\", \"type\": \"select_one\", \"choices\": \"one\"}"
	" ]}";

static void test_every_column(void **state)
{
	json_t *def = tu_json(every), *back;

	(void)state;
	back = round_trip(def);
	assert_json_equal(back, def);
	assert_loads(back);
	json_decref(back);
	json_decref(def);
}

/* The writer's own example of every column (test_xlsform_write.c): what
 * the workbook cannot tell apart reads back its one way. false is an
 * empty cell (absent); a plain text in a form whose other texts of the
 * column are by language was written in the default language's column
 * (the writer's choice), so it reads back {"vi": ...}. */
static void test_writer_example(void **state)
{
	json_t *def = tu_json(
		"{\"id\": \"every\", \"version\": \"1\", \"title\": \"Every column\","
		" \"default_language\": \"vi\","
		" \"choices\": {\"colour\": [{\"value\": \"red\", \"label\": {\"vi\": \"Đỏ\"}},"
		"                          {\"value\": \"blue\", \"label\": \"Blue\"}]},"
		" \"fields\": ["
		"  {\"name\": \"commune\", \"type\": \"text\", \"personal\": false, \"required\": false,"
		"   \"generated\": false, \"hint\": \"plain alone\","
		"   \"constraint_message\": {\"en\": \"a commune\"}, \"constraint\": \". != ''\"},"
		"  {\"name\": \"c\", \"type\": \"select_one\", \"choices\": \"colour\","
		"   \"constraint\": \". != ''\", \"constraint_message\": \"từ 2000\"}]}");
	json_t *want = tu_json(
		"{\"id\": \"every\", \"version\": \"1\", \"title\": \"Every column\","
		" \"default_language\": \"vi\","
		" \"choices\": {\"colour\": [{\"value\": \"red\", \"label\": {\"vi\": \"Đỏ\"}},"
		"                          {\"value\": \"blue\", \"label\": {\"vi\": \"Blue\"}}]},"
		" \"fields\": ["
		"  {\"name\": \"commune\", \"type\": \"text\", \"hint\": \"plain alone\","
		"   \"constraint_message\": {\"en\": \"a commune\"}, \"constraint\": \". != ''\"},"
		"  {\"name\": \"c\", \"type\": \"select_one\", \"choices\": \"colour\","
		"   \"constraint\": \". != ''\", \"constraint_message\": {\"vi\": \"từ 2000\"}}]}");
	json_t *back;

	(void)state;
	back = round_trip(def);
	assert_json_equal(back, want);
	json_decref(back);
	json_decref(want);
	json_decref(def);
}

/* Plain strings only, no default language, no version: as they were. */
static void test_plain_round_trip(void **state)
{
	json_t *def = tu_json(
		"{\"id\": \"bare\", \"title\": \"Bare\","
		" \"choices\": {\"yn\": [{\"value\": \"y\", \"label\": \"Yes\"}, {\"value\": \"n\"}]},"
		" \"fields\": [{\"name\": \"q\", \"type\": \"boolean\", \"label\": \"Q\", \"hint\": \"h\"},"
		"  {\"name\": \"p\", \"type\": \"select_one\", \"choices\": \"yn\", \"label\": \"P\"}]}");
	json_t *back = round_trip(def);

	(void)state;
	assert_json_equal(back, def);
	assert_loads(back);
	json_decref(back);
	json_decref(def);
}

/* The text made is the shipped forms' key order, indented. */
static void test_key_order(void **state)
{
	const sheet_spec wb[] = {
		{"survey", "name|type|label\nq|integer|Q"},
		{"settings", "version|form_id\n1|f"},
		{NULL, NULL},
	};
	const char *path = make_workbook(wb);
	char err[512], *text = NULL;

	(void)state;
	assert_int_equal(saola_xlsform_read(path, &text, err, sizeof err), SAOLA_OK);
	assert_string_equal(text, "{\n \"id\": \"f\",\n \"version\": \"1\",\n \"fields\": [\n"
	                    "  {\n   \"name\": \"q\",\n   \"type\": \"integer\",\n"
	                    "   \"label\": \"Q\"\n  }\n ]\n}");
	saola_free(text);
}

/* ------------------------------------------------------------------ */
/* Foreign workbooks */

/* As Kobo's form builder leaves one: settings and choices before the
 * survey, an extra sheet, its "$kuid" column, languages named, "list
 * name", begin_group, required "yes"/TRUE()/"false", the version and
 * choice names typed as numbers, empty rows, columns in another order,
 * columns of features saola lacks that no row fills. */
static void test_kobo(void **state)
{
	const sheet_spec wb[] = {
		{"settings", "Form_Title|form_id|Version|style\n"
		             "Household|hh_kobo|#2024|\n"},
		{"notes about this", "anything|at all\nx|y"},
		{"Choices", "list name|Name|label::English (en)|label::French (fr)|$kuid\n"
		            "yn|#1.0|Yes|Oui|k1\n"
		            "yn|#0|No|Non|k2\n"
		            "\n"
		            "crop|rice|Rice||k3\n"},
		{"SURVEY", " TYPE |$kuid|Name|Label::English (en)|label::French (fr)|"
		           "Required|hint::English (en)|relevant|choice_filter|calculation|"
		           "constraint|constraint_message::English (en)|default|appearance|"
		           "repeat_count|media::image\n"
		           "begin_group|k0|hh|Household|Ménage|||||||||field-list\n"
		           "integer|k1|size|Size|Taille|yes|People||||. > 0|at least one|#1\n"
		           "\n"
		           "select_one   yn |k2|farms|Farms?||TRUE()\n"
		           "select_multiple crop|k3|crops|Crops||||${farms} = '1'\n"
		           "calculate|k4|twice|||||||${size} * 2\n"
		           "note|k5|thanks|Thanks|Merci|false\n"
		           "end_group|k6\n"
		           "text|k7|remark||||||||||||\n"},
		{NULL, NULL},
	};
	json_t *want = tu_json(
		"{\"id\": \"hh_kobo\", \"version\": \"2024\", \"title\": \"Household\","
		" \"choices\": {\"yn\": [{\"value\": \"1\", \"label\": {\"en\": \"Yes\", \"fr\": \"Oui\"}},"
		"                      {\"value\": \"0\", \"label\": {\"en\": \"No\", \"fr\": \"Non\"}}],"
		"             \"crop\": [{\"value\": \"rice\", \"label\": {\"en\": \"Rice\"}}]},"
		" \"fields\": [{\"name\": \"hh\", \"type\": \"group\", \"appearance\": \"field-list\","
		"  \"label\": {\"en\": \"Household\", \"fr\": \"Ménage\"}, \"fields\": ["
		"  {\"name\": \"size\", \"type\": \"integer\", \"required\": true,"
		"   \"label\": {\"en\": \"Size\", \"fr\": \"Taille\"}, \"hint\": {\"en\": \"People\"},"
		"   \"constraint\": \". > 0\", \"constraint_message\": {\"en\": \"at least one\"},"
		"   \"default\": 1},"
		"  {\"name\": \"farms\", \"type\": \"select_one\", \"choices\": \"yn\", \"required\": true,"
		"   \"label\": {\"en\": \"Farms?\"}},"
		"  {\"name\": \"crops\", \"type\": \"select_multiple\", \"choices\": \"crop\","
		"   \"label\": {\"en\": \"Crops\"}, \"relevant\": \"${farms} = '1'\"},"
		"  {\"name\": \"twice\", \"type\": \"calculate\", \"calculate\": \"${size} * 2\"},"
		"  {\"name\": \"thanks\", \"type\": \"note\", \"label\": {\"en\": \"Thanks\", \"fr\": \"Merci\"}}]},"
		"  {\"name\": \"remark\", \"type\": \"text\"}]}");
	json_t *def;

	(void)state;
	def = read_ok(make_workbook(wb));
	assert_json_equal(def, want);
	assert_loads(def);
	json_decref(def);
	json_decref(want);
}

/* The languages of the columns: plain columns give plain strings; a
 * column without a language beside ones with is the default language's,
 * the settings' ("English (en)" -> "en") or else the first a column names
 * (then written into the definition). */
static void test_languages(void **state)
{
	const sheet_spec given[] = {
		{"survey", "type|name|label|label::fr|hint\n"
		           "text|a|Name|Nom|plain hint\n"
		           "text|b|Only plain\n"
		           "text|c||Seulement\n"
		           "text|d|Same|\n"},
		{"settings", "form_id|default_language|form_title|form_title::Français (fr)\n"
		             "f|English (en)|Form|Formulaire"},
		{NULL, NULL},
	};
	const sheet_spec inferred[] = {
		{"survey", "type|name|label::Tiếng Việt (vi)|label::en|label\n"
		           "text|a|Tên|Name|Tên\n"
		           "text|b|||Plain\n"
		           "text|c|||Both|\n"},
		{"choices", "list_name|name|label::en\nl|x|X"},
		{"settings", "form_id\nf"},
		{NULL, NULL},
	};
	json_t *want = tu_json(
		"{\"id\": \"f\", \"title\": {\"en\": \"Form\", \"fr\": \"Formulaire\"},"
		" \"default_language\": \"en\", \"fields\": ["
		" {\"name\": \"a\", \"type\": \"text\", \"label\": {\"en\": \"Name\", \"fr\": \"Nom\"},"
		"  \"hint\": \"plain hint\"},"
		" {\"name\": \"b\", \"type\": \"text\", \"label\": \"Only plain\"},"
		" {\"name\": \"c\", \"type\": \"text\", \"label\": {\"fr\": \"Seulement\"}},"
		" {\"name\": \"d\", \"type\": \"text\", \"label\": \"Same\"}]}");
	json_t *want2 = tu_json(
		"{\"id\": \"f\", \"default_language\": \"vi\","
		" \"choices\": {\"l\": [{\"value\": \"x\", \"label\": {\"en\": \"X\"}}]},"
		" \"fields\": ["
		" {\"name\": \"a\", \"type\": \"text\", \"label\": {\"vi\": \"Tên\", \"en\": \"Name\"}},"
		" {\"name\": \"b\", \"type\": \"text\", \"label\": \"Plain\"},"
		" {\"name\": \"c\", \"type\": \"text\", \"label\": \"Both\"}]}");
	json_t *def;

	(void)state;
	def = read_ok(make_workbook(given));
	assert_json_equal(def, want);
	assert_loads(def);
	json_decref(def);
	def = read_ok(make_workbook(inferred));
	assert_json_equal(def, want2);
	json_decref(def);
	json_decref(want);
	json_decref(want2);
}

/* Every yes and no, and required as an expression; read_only beside a
 * calculation; begin group/repeat spelt both ways. */
static void test_yes_no(void **state)
{
	const sheet_spec wb[] = {
		{"survey", "type|name|required|read_only|calculation|saola_personal\n"
		           "text|a|yes|||Yes\n"
		           "text|b|TRUE\n"
		           "text|c|1\n"
		           "text|d|true()||||no\n"
		           "text|e|NO||||FALSE()\n"
		           "text|f|0\n"
		           "text|g|${a} != ''\n"
		           "begin repeat|r\n"
		           "integer|n||yes|position(..)\n"
		           "End Repeat\n"
		           "begin_group|g2\n"
		           "calculate|k||TRUE|1\n"
		           "end group"},
		{"settings", "form_id\nf"},
		{NULL, NULL},
	};
	json_t *want = tu_json(
		"{\"id\": \"f\", \"fields\": ["
		" {\"name\": \"a\", \"type\": \"text\", \"required\": true, \"personal\": true},"
		" {\"name\": \"b\", \"type\": \"text\", \"required\": true},"
		" {\"name\": \"c\", \"type\": \"text\", \"required\": true},"
		" {\"name\": \"d\", \"type\": \"text\", \"required\": true},"
		" {\"name\": \"e\", \"type\": \"text\"},"
		" {\"name\": \"f\", \"type\": \"text\"},"
		" {\"name\": \"g\", \"type\": \"text\", \"required\": \"${a} != ''\"},"
		" {\"name\": \"r\", \"type\": \"repeat\", \"fields\": ["
		"  {\"name\": \"n\", \"type\": \"integer\", \"calculate\": \"position(..)\"}]},"
		" {\"name\": \"g2\", \"type\": \"group\", \"fields\": ["
		"  {\"name\": \"k\", \"type\": \"calculate\", \"calculate\": \"1\"}]}]}");
	json_t *def;

	(void)state;
	def = read_ok(make_workbook(wb));
	assert_json_equal(def, want);
	assert_loads(def);
	json_decref(def);
	json_decref(want);
}

/* ------------------------------------------------------------------ */
/* Refusals: the code, and the message's beginning (the cell first). */

#define SETTINGS {"settings", "form_id|version\nf|1"}
#define END {NULL, NULL}

static const struct refusal {
	sheet_spec sheets[4];
	int rc;
	const char *err;
} refusals[] = {
	{{{"survey", "type|name|choice_filter\ntext|a\nselect_one l|b|x = 1"},
	  {"choices", "list_name|name\nl|x"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!C3: choice_filter is not supported"},
	{{{"survey", "type|name|repeat_count\nbegin repeat|r|3\ntext|a\nend repeat"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!C2: repeat_count is not supported"},
	{{{"survey", "type|name|media::image::English (en)\ntext|a|a.png"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!C2: media::image::English (en) is not supported"},
	{{{"survey", "type|name|parameters\ntext|a|x=1"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!C2: parameters is not supported"},
	{{{"survey", "type|name|relevant::en\ntext|a|1"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!C2: relevant::en is not supported"},
	{{{"survey", "type|name\ntext|a\ngeopoint|where"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!A3: type \"geopoint\" is not supported"},
	{{{"survey", "type|name\nselect_one_from_file a.csv|w"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!A2: type \"select_one_from_file a.csv\" is not supported"},
	{{{"survey", "type|name\nstart|start\ntext|a"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!A2: type \"start\" is not supported: saola records who"},
	{{{"survey", "type|name\ntext|a\ndeviceid|d"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!A3: type \"deviceid\" is not supported: saola records"},
	{{{"survey", "type|name\nselect_one l or_other|a"},
	  {"choices", "list_name|name\nl|x"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!A2: \"select_one l or_other\": or_other is not supported"},
	{{{"survey", "type|name\nselect_one nowhere|a"},
	  {"choices", "list_name|name\nl|x"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!A2: \"select_one nowhere\": no list \"nowhere\" in choices"},
	{{{"survey", "type|name\nselect_one|a"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!A2: \"select_one\": expected select_one and the name"},
	{{{"survey", "type|name\nselect_multiple saola_boolean|a"},
	  {"choices", "list_name|name\nsaola_boolean|true\nsaola_boolean|false"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!A2: \"select_multiple saola_boolean\": saola_boolean is saola's"},
	{{{"survey", "type|name\nselect_one saola_boolean|a"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!A2: \"select_one saola_boolean\": no list \"saola_boolean\""},
	{{{"survey", "type|name\nselect_one saola_boolean|a"},
	  {"choices", "list_name|name\nsaola_boolean|yes\nsaola_boolean|no"}, SETTINGS, END},
	 SAOLA_INVALID, "choices!B2: saola_boolean: \"yes\": its values are true and false"},
	{{{"survey", "type|name\nselect_one saola_boolean|a"},
	  {"choices", "list_name|name\nsaola_boolean|true"}, SETTINGS, END},
	 SAOLA_INVALID, "choices!A2: saola_boolean: its values are true and false, and it lacks false"},
	{{{"survey", "type|name\nselect_one l|a"},
	  {"choices", "list_name|name|label\nl|x|X\nl||Y"}, SETTINGS, END},
	 SAOLA_INVALID, "choices!B3: a choice of list l without its name"},
	{{{"survey", "type|name\nselect_one l|a"},
	  {"choices", "list_name|name|label\nl|x|X\n|y|Y"}, SETTINGS, END},
	 SAOLA_INVALID, "choices!A3: a choice without its list_name"},
	{{{"survey", "type|name\nselect_one l|a"},
	  {"choices", "list_name|name\nl|x\nl|#2\nl|x"}, SETTINGS, END},
	 SAOLA_INVALID, "choices!B4: list l has \"x\" twice (first at choices!B2)"},
	{{{"survey", "type|name\nselect_one l|a"},
	  {"choices", "list_name|name|image\nl|x|x.png"}, SETTINGS, END},
	 SAOLA_INVALID, "choices!C2: image is not supported"},
	{{{"survey", "type|name\nbegin group|g\ntext|a"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!A2: begin group without its end group"},
	{{{"survey", "type|name\ntext|a\nend group"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!A3: end group without its begin group"},
	{{{"survey", "type|name\nbegin repeat|r\ntext|a\nend group"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!A4: end group closes the begin repeat of survey!A2"},
	{{{"survey", "type|name|label\ntext||Where?"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!B2: a text row needs a name"},
	{{{"survey", "type|name|label\ntext|a\n|b|B"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!A3: the row has no type"},
	{{{"survey", "type|name|relevant\ntext|a\ntext|b|(${a} = 1"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!C3: column 10: expected ')' to match the '(' at column 1"},
	{{{"survey", "type|name|calculation\ncalculate|a|pulldata('x', 'y', 'z', 'w')"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!C2: column 1: unknown function pulldata()"},
	{{{"survey", "type|name|constraint\ntext|a|jr:choice-name(., 'l')"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!C2: column "},
	{{{"survey", "type|name|required\ntext|a|maybe so"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!C2: column "},
	{{{"survey", "type|name|read_only\ntext|a|yes"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!C2: read_only without a calculation is not supported"},
	{{{"survey", "type|name|saola_personal\ntext|a|perhaps"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!C2: expected yes or no, got \"perhaps\""},
	{{{"survey", "type|name|default\ninteger|a|five"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!C2: default \"five\" is not a whole number"},
	{{{"survey", "type|name|default\ndecimal|a|1,5"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!C2: default \"1,5\" is not a number"},
	{{{"survey", "type|name|saola_max_length\ntext|a|long"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!C2: expected a whole number of characters"},
	/* What the compiler refuses, named by the cell it comes from. */
	{{{"survey", "type|name|relevant\ntext|a\nbegin group|g\ntext|b|${nobody} = 1\nend group"},
	  SETTINGS, END},
	 SAOLA_INVALID, "survey!C4: fields[1] (g).fields[0].relevant: unknown field ${nobody}"},
	{{{"survey", "type|name\ntext|a\ntext|a"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!B3: fields[1]: duplicate name \"a\""},
	{{{"survey", "type|name\ntext|a b"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!B2: fields[0]: invalid name \"a b\""},
	{{{"survey", "type|name|default\nselect_one l|a|z"},
	  {"choices", "list_name|name\nl|x"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!C2: fields[0].default: not a value"},
	{{{"survey", "type|name\nbegin group|g\nend group"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!A2: fields[0]: group needs a non-empty"},
	{{{"survey", "type|name\ncalculate|c"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!A2: fields[0]: calculate needs"},
	{{{"survey", "type|name|saola_unit\ntext|a|village"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!C2: fields[0].unit: expected"},
	/* Settings. */
	{{{"survey", "type|name\ntext|a"}, {"settings", "form_id|instance_name\nf|concat('a')"}, END},
	 SAOLA_INVALID, "settings!B2: instance_name is not supported"},
	{{{"survey", "type|name\ntext|a"}, {"settings", "form_id\nf\ng"}, END},
	 SAOLA_INVALID, "settings!A3: a second row of settings"},
	{{{"survey", "type|name\ntext|a"}, {"settings", "form_id|saola_standard|saola_standard_year_field\n"
	  "f|vn-poverty|year"}, END},
	 SAOLA_INVALID, "standard_year_field: \"year\" is not an entered top-level integer"},
	/* Headers. */
	{{{"survey", "type|name|label::en|label::English (en)\ntext|a"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!D1: \"label::English (en)\" is a second column of the same kind"},
	{{{"survey", "type|name|label::\ntext|a"}, SETTINGS, END},
	 SAOLA_INVALID, "survey!C1: \"label::\" names no language"},
	{{{"survey", "type|name|label::fr|label\ntext|a|Un|One"}, {"settings", "form_id\nf"}, END},
	 SAOLA_INVALID, "survey!D2: label gives the default language's (fr) text, and its column"},
	{{{"survey", "type|name\ntext|a"}, {"saola_notes", "name|note\n|why"}, SETTINGS, END},
	 SAOLA_INVALID, "saola_notes!A2: a note without its name"},
	{{{"survey", "type|name\ntext|a"}, {"saola_notes", "name|note\nx|1\nx|2"}, SETTINGS, END},
	 SAOLA_INVALID, "saola_notes!A3: a second note \"x\""},
	/* Sheets that are not there or hold nothing. */
	{{{"Sheet1", "type|name\ntext|a"}, SETTINGS, END},
	 SAOLA_INVALID, "survey: the workbook has no survey sheet"},
	{{{"survey", "type|name"}, SETTINGS, END}, SAOLA_INVALID, "survey: no questions"},
	{{{"survey", ""}, SETTINGS, END}, SAOLA_INVALID, "survey: no \"type\" column"},
	{{{"survey", "kind|name\ntext|a"}, SETTINGS, END}, SAOLA_INVALID, "survey: no \"type\" column"},
	{{{"survey", "type|label\ntext|a"}, SETTINGS, END}, SAOLA_INVALID, "survey: no \"name\" column"},
	{{{"survey", "type|name\nselect_one l|a"}, {"choices", "list|name\nl|x"}, SETTINGS, END},
	 SAOLA_INVALID, "choices: no \"list_name\" column in the header"},
};

static void test_refusals(void **state)
{
	char err[1024], *text;
	const char *path;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof refusals / sizeof *refusals; i++) {
		path = make_workbook(refusals[i].sheets);
		text = (char *)"untouched";
		rc = saola_xlsform_read(path, &text, err, sizeof err);
		if (rc != refusals[i].rc || strncmp(err, refusals[i].err, strlen(refusals[i].err)) != 0)
			fail_msg("refusal %zu: expected %d \"%s\", got %d \"%s\"", i, refusals[i].rc,
			         refusals[i].err, rc, err);
		assert_null(text);
		/* err may be NULL. */
		assert_int_equal(saola_xlsform_read(path, &text, NULL, 0), refusals[i].rc);
	}
}

/* ------------------------------------------------------------------ */
/* Files that are no XLSForm */

/* Without a form_id, a file's form takes its file name as ODK's tools do
 * (what is not a letter, a digit or _ made _); from memory, form_id is
 * required. */
static void test_form_id_from_name(void **state)
{
	static const sheet_spec no_id[] = {{"survey", "type|name\ntext|a"},
	                                   {"settings", "version\n1"}, END};
	const char *made = make_workbook(no_id), *path = tu_path(F.dir, "my-form.v2.xlsx");
	char err[512], *text = NULL, *data;
	json_t *def;
	size_t len;

	(void)state;
	assert_int_equal(rename(made, path), 0);
	def = read_ok(path);
	assert_string_equal(json_string_value(json_object_get(def, "id")), "my_form_v2");
	assert_string_equal(json_string_value(json_object_get(def, "version")), "1");
	json_decref(def);
	assert_non_null(data = tu_read_file(path, &len));
	assert_int_equal(saola_xlsform_read_mem(data, len, &text, err, sizeof err), SAOLA_INVALID);
	assert_null(text);
	assert_non_null(strstr(err, "settings: form_id is required"));
	free(data);
}

static void test_not_a_workbook(void **state)
{
	char err[512], *text = (char *)"untouched";
	const char *path = new_path("xlsx"), *big = new_path("xlsx");
	FILE *f;

	(void)state;
	assert_int_equal(saola_xlsform_read_mem("not a zip at all", 16, &text, err, sizeof err),
	                 SAOLA_INVALID);
	assert_null(text);
	assert_true(strlen(err) > 0);
	assert_int_equal(saola_xlsform_read_mem(NULL, 0, &text, err, sizeof err), SAOLA_INVALID);
	assert_int_equal(saola_xlsform_read_mem(NULL, 5, &text, err, sizeof err), SAOLA_MISUSE);
	assert_int_equal(saola_xlsform_read_mem("x", 1, NULL, err, sizeof err), SAOLA_MISUSE);
	assert_int_equal(saola_xlsform_read(NULL, &text, err, sizeof err), SAOLA_MISUSE);

	/* An empty file, one that is not there, a folder. */
	f = fopen(path, "wb");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(saola_xlsform_read(path, &text, err, sizeof err), SAOLA_INVALID);
	assert_int_equal(saola_xlsform_read(tu_path(F.dir, "none.xlsx"), &text, err, sizeof err),
	                 SAOLA_IO);
	assert_non_null(strstr(err, "none.xlsx: cannot open"));
	assert_int_equal(saola_xlsform_read(F.dir, &text, err, sizeof err), SAOLA_IO);

	/* Past 64 MiB: refused before it is read (a sparse file). */
	f = fopen(big, "wb");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), ((off_t)64 << 20) + 1), 0);
	fclose(f);
	assert_int_equal(saola_xlsform_read(big, &text, err, sizeof err), SAOLA_LIMIT);
	assert_non_null(strstr(err, "more than an XLSForm may have"));
	assert_null(text);
}

/* Groups nested past the bound: refused, not recursed into. */
static void test_deep_nesting(void **state)
{
	char *rows = malloc(64 * 40 + 64), err[512], *text = NULL;
	sheet_spec wb[3] = {{"survey", NULL}, SETTINGS, END};
	size_t n = 0;
	int i;

	(void)state;
	assert_non_null(rows);
	n += (size_t)sprintf(rows + n, "type|name");
	for (i = 0; i < 33; i++)
		n += (size_t)sprintf(rows + n, "\nbegin group|g%d", i);
	wb[0].rows = rows;
	assert_int_equal(saola_xlsform_read(make_workbook(wb), &text, err, sizeof err), SAOLA_LIMIT);
	assert_string_equal(err, "survey!A34: groups and repeats nested deeper than 32");
	free(rows);
}

/* ------------------------------------------------------------------ */
/* Foreign XLSForms: pyxform's examples (tests/data/xlsform/README.md)  */

/* An answer of field f's type (the first choice of a select). */
static json_t *answer_for(const json_t *def, const json_t *f)
{
	const char *type = json_string_value(json_object_get(f, "type"));
	const json_t *list = json_object_get(json_object_get(def, "choices"),
	                                     json_string_value(json_object_get(f, "choices")));
	const char *first = json_string_value(json_object_get(json_array_get(list, 0), "value"));

	if (strcmp(type, "integer") == 0)
		return json_integer(7);
	if (strcmp(type, "decimal") == 0)
		return json_real(2.5);
	if (strcmp(type, "boolean") == 0)
		return json_true();
	if (strcmp(type, "date") == 0)
		return json_string("2025-09-01");
	if (strcmp(type, "select_one") == 0)
		return json_string(first);
	if (strcmp(type, "select_multiple") == 0)
		return json_pack("[s]", first);
	return json_string("Lê Thị Lan");
}

/* A record answering every entered field of fields (groups add no
 * level; a repeat gets one item). */
static void fill_record(const json_t *def, const json_t *fields, json_t *rec)
{
	const json_t *f;
	size_t i;

	json_array_foreach(fields, i, f) {
		const char *type = json_string_value(json_object_get(f, "type"));
		const char *name = json_string_value(json_object_get(f, "name"));

		if (strcmp(type, "group") == 0) {
			fill_record(def, json_object_get(f, "fields"), rec);
		} else if (strcmp(type, "repeat") == 0) {
			json_t *item = json_object();

			fill_record(def, json_object_get(f, "fields"), item);
			json_object_set_new(rec, name, json_pack("[o]", item));
		} else if (strcmp(type, "note") != 0 && strcmp(type, "calculate") != 0 &&
		           !json_object_get(f, "calculate")) {
			json_object_set_new(rec, name, answer_for(def, f));
		}
	}
}

static const struct {
	const char *file;
	const char *refused; /* NULL: imports, loads and takes a record */
} foreign[] = {
	{"text_and_integer.xlsx", NULL},
	{"yes_or_no_question.xlsx", NULL},
	{"field-list.xlsx", NULL},
	{"extra_sheet_names.xlsx", NULL},
	{"pull_data.xlsx", "survey!D2: column 1: unknown function pulldata()"},
	{"specify_other.xlsx", "survey!A2: \"select one from sexes or specify other\": or_other "
	 "is not supported"},
	{"loop.xlsx", "survey!A2: \"select all that apply from toilet_type or specify other\": "
	 "or_other is not supported"},
	{"group.xlsx", "survey!A4: type \"phone number\" is not supported"},
	{"case_insensitivity.xlsx", "survey!D3: CHOICE_FILTER is not supported"},
	{"attribute_columns_test.xlsx", "settings!C2: public_key is not supported"},
	{"include.xlsx", "survey!A3: type \"include\" is not supported"},
	{"survey_no_name.xlsx", "survey: the workbook has no survey sheet"},
	{"duplicate_columns.xlsx", "survey!E1: \"label\" is a second column of the same kind"},
	{"bad_calc.xlsx", "survey!D2: column 1: unexpected name 'because'"},
};

static void test_foreign(void **state)
{
	char path[1024], err[1024], *text, *id;
	saola *db;
	json_t *def, *rec;
	size_t i;
	int rc;

	(void)state;
	db = tu_open(tu_path(F.dir, "foreign.db"), 1);
	for (i = 0; i < sizeof foreign / sizeof *foreign; i++) {
		snprintf(path, sizeof path, "%s/xlsform/%s", SAOLA_TEST_DATA, foreign[i].file);
		text = NULL;
		rc = saola_xlsform_read(path, &text, err, sizeof err);
		if (foreign[i].refused) {
			if (rc != SAOLA_INVALID || strncmp(err, foreign[i].refused,
			                                   strlen(foreign[i].refused)) != 0)
				fail_msg("%s: expected \"%s\", got %d \"%s\"", foreign[i].file,
				         foreign[i].refused, rc, err);
			assert_null(text);
			continue;
		}
		if (rc != SAOLA_OK)
			fail_msg("%s: %s", foreign[i].file, err);
		if (saola_form_load(db, text, &id) != SAOLA_OK)
			fail_msg("%s: load: %s", foreign[i].file, saola_errmsg(db));
		def = tu_json(text);
		rec = json_object();
		fill_record(def, json_object_get(def, "fields"), rec);
		if (saola_put(db, id, NULL, rec, NULL) != SAOLA_OK)
			fail_msg("%s: put: %s", foreign[i].file, saola_errmsg(db));
		json_decref(rec);
		json_decref(def);
		saola_free(id);
		saola_free(text);
	}
	saola_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_household),
		cmocka_unit_test(test_quick_id),
		cmocka_unit_test(test_every_column),
		cmocka_unit_test(test_writer_example),
		cmocka_unit_test(test_plain_round_trip),
		cmocka_unit_test(test_key_order),
		cmocka_unit_test(test_kobo),
		cmocka_unit_test(test_languages),
		cmocka_unit_test(test_yes_no),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_form_id_from_name),
		cmocka_unit_test(test_foreign),
		cmocka_unit_test(test_not_a_workbook),
		cmocka_unit_test(test_deep_nesting),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
