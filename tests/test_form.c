/* test_form.c: the form engine (compile errors, validation, relevance,
 * computed fields) and the shipped household form scored at every boundary
 * of the poverty standard, with expectations derived by hand from
 * shared/domain/poverty-review.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "saola/core.h"
#include "expr.h"
#include "form.h"
#include "saola_int.h"
#include "testutil.h"

#ifndef SAOLA_TEST_SCHEMAS
#error "the build defines SAOLA_TEST_SCHEMAS, the schemas folder"
#endif

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

/* JSON text written with ' for " and ` for ' (so the tables stay
 * readable): a new reference, or the test fails. */
static json_t *J(const char *text)
{
	char *s = strdup(text), *p;
	json_error_t e;
	json_t *v;

	assert_non_null(s);
	for (p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
		else if (*p == '`')
			*p = '\'';
	v = json_loads(s, JSON_DECODE_ANY, &e);
	if (!v)
		fail_msg("bad test JSON: %s: %s", e.text, text);
	free(s);
	return v;
}

static json_t *load_file(const char *dir, const char *name)
{
	char path[512];
	json_error_t e;
	json_t *v;

	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
		fail_msg("%s/%s: path too long", dir, name);
	v = json_load_file(path, 0, &e);
	if (!v)
		fail_msg("%s: line %d: %s", path, e.line, e.text);
	return v;
}

/* Every standard of schemas/standards, as the test's own params source. */
static json_t *standards;

static void load_standards(void)
{
	char dir[512];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof dir, "%s/standards", SAOLA_TEST_SCHEMAS);
	standards = json_array();
	assert_non_null(standards);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n > 5 && strcmp(de->d_name + n - 5, ".json") == 0)
			json_array_append_new(standards, load_file(dir, de->d_name));
	}
	closedir(d);
	assert_true(json_array_size(standards) >= 2);
}

/* Picks the standard of family whose years include year. */
static json_t *lookup(void *ctx, const char *family, json_int_t year)
{
	json_t *s;
	size_t i;

	(void)ctx;
	json_array_foreach(standards, i, s) {
		const char *fam = json_string_value(json_object_get(s, "family"));
		json_int_t from = json_integer_value(json_object_get(s, "valid_from_year"));
		json_int_t to = json_integer_value(json_object_get(s, "valid_to_year"));

		if (fam && strcmp(fam, family) == 0 && year >= from && year <= to)
			return json_object_get(s, "params");
	}
	return NULL;
}

/* The standards alone, without units: places are not checked. */
static const saola__params_src bare = {lookup, NULL, NULL, NULL};

/* The standards and the test units (tests/data/units) of a database, as a
 * device's store gives them: set up by setup(). */
static saola__params_src params;
static saola *units_db;
static char units_dir[512];

static saola__form *compile_file(const char *name)
{
	char dir[512], err[256];
	saola__form *f = NULL;
	json_t *def;
	int rc;

	snprintf(dir, sizeof dir, "%s/forms", SAOLA_TEST_SCHEMAS);
	def = load_file(dir, name);
	rc = saola__form_compile(def, &f, err, sizeof err);
	json_decref(def);
	if (rc != SAOLA_OK)
		fail_msg("%s: %s", name, err);
	return f;
}

static saola__form *compile_text(const char *text)
{
	char err[256];
	saola__form *f = NULL;
	json_t *def = J(text);

	if (saola__form_compile(def, &f, err, sizeof err) != SAOLA_OK)
		fail_msg("compile: %s", err);
	json_decref(def);
	return f;
}

/* Checks that out has every key of expect with an equal value; a null in
 * expect means the key must be absent. "members.2.in_school" names a field
 * of a repeat item. */
static void check_subset(const char *why, json_t *out, json_t *expect)
{
	const char *key;
	json_t *want, *got;

	json_object_foreach(expect, key, want) {
		char rep[64], *dot;
		size_t k;

		if (strchr(key, '.')) {
			snprintf(rep, sizeof rep, "%s", key);
			dot = strchr(rep, '.');
			*dot = '\0';
			k = strtoul(dot + 1, &dot, 10);
			got = json_object_get(json_array_get(json_object_get(out, rep), k),
			                      dot + 1);
		} else {
			got = json_object_get(out, key);
		}
		if (json_is_null(want) ? got != NULL : !json_equal(got, want)) {
			char *g = got ? json_dumps(got, JSON_ENCODE_ANY) : NULL;
			char *w = json_dumps(want, JSON_ENCODE_ANY);

			print_error("%s: %s: expected %s, got %s\n", why, key, w,
			            g ? g : "(absent)");
			free(g);
			free(w);
			fail();
		}
	}
}

typedef struct state {
	saola__form *household;
	saola__form *quick_id;
} state;

static int setup(void **st)
{
	static state s;

	load_standards();
	snprintf(units_dir, sizeof units_dir, "%s", tu_tmpdir("form"));
	units_db = tu_open_fixture(tu_path(units_dir, "units.db"));
	saola__params_source(units_db, &params);
	s.household = compile_file("household.json");
	s.quick_id = compile_file("quick_id.json");
	*st = &s;
	return 0;
}

static int teardown(void **st)
{
	state *s = *st;

	saola__form_free(s->household);
	saola__form_free(s->quick_id);
	json_decref(standards);
	saola_close(units_db);
	tu_rmtree(units_dir);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Compile errors                                                      */

static const struct {
	const char *def;
	const char *err;
} compile_cases[] = {
	{"[]", "form: expected object"},
	{"{'fields':[{'name':'a','type':'text'}]}", "id: expected a non-empty string"},
	{"{'id':'t'}", "fields: expected a non-empty array"},
	{"{'id':'t','fields':[{'name':'a','type':'txt'}]}",
	 "fields[0]: unknown type \"txt\""},
	{"{'id':'t','fields':[{'name':'g','type':'group','fields':["
	 "{'name':'a','type':'text'},{'name':'b','type':'txt'}]}]}",
	 "fields[0] (g).fields[1]: unknown type \"txt\""},
	{"{'id':'t','fields':[{'name':'a','type':'text'},{'name':'r','type':'repeat',"
	 "'fields':[{'name':'g','type':'group','fields':[{'name':'x','type':'bool'}]}]}]}",
	 "fields[1] (r).fields[0] (g).fields[0]: unknown type \"bool\""},
	{"{'id':'t','fields':[{'type':'text'}]}", "fields[0]: missing \"name\""},
	{"{'id':'t','fields':[{'name':'a'}]}", "fields[0]: missing \"type\""},
	{"{'id':'t','fields':[{'name':'1a','type':'text'}]}",
	 "fields[0]: invalid name \"1a\""},
	{"{'id':'t','fields':[{'name':'a-b','type':'text'}]}",
	 "fields[0]: invalid name \"a-b\""},
	{"{'id':'t','fields':[{'name':'a','type':'text','relevent':'1'}]}",
	 "fields[0]: unknown property \"relevent\""},
	{"{'id':'t','fields':[{'name':'a','type':'text'},{'name':'a','type':'integer'}]}",
	 "fields[1]: duplicate name \"a\""},
	{"{'id':'t','fields':[{'name':'a','type':'text'},{'name':'r','type':'repeat',"
	 "'fields':[{'name':'a','type':'text'}]}]}",
	 "fields[1] (r).fields[0]: duplicate name \"a\""},
	{"{'id':'t','fields':[{'name':'a','type':'select_one','choices':'nope'}]}",
	 "fields[0]: unknown choice list \"nope\""},
	{"{'id':'t','choices':{'yn':[{'value':'y'}]},"
	 "'fields':[{'name':'a','type':'select_multiple'}]}",
	 "fields[0]: select_multiple needs \"choices\""},
	{"{'id':'t','choices':{'yn':[{'value':'y'},{'value':'n'},{'value':'y'}]},"
	 "'fields':[{'name':'a','type':'text'}]}",
	 "choices.yn: duplicate value \"y\""},
	{"{'id':'t','choices':{'yn':[{'label':'y'}]},'fields':[{'name':'a','type':'text'}]}",
	 "choices.yn[0]: expected {\"value\": string, ...}"},
	{"{'id':'t','choices':{'yn':[]},'fields':[{'name':'a','type':'text'}]}",
	 "choices.yn: expected a non-empty array"},
	{"{'id':'t','fields':[{'name':'a','type':'text'},"
	 "{'name':'b','type':'text','relevant':'${nope} = 1'}]}",
	 "fields[1].relevant: unknown field ${nope}"},
	{"{'id':'t','fields':[{'name':'r','type':'repeat','fields':["
	 "{'name':'x','type':'integer','constraint':'. < ${y}'}]}]}",
	 "fields[0] (r).fields[0].constraint: unknown field ${y}"},
	{"{'id':'t','fields':[{'name':'g','type':'group','fields':[{'name':'a','type':'text'}]},"
	 "{'name':'c','type':'calculate','calculate':'${g}'}]}",
	 "fields[1].calculate: a group has no value: ${g}"},
	{"{'id':'t','fields':[{'name':'c','type':'calculate'}]}",
	 "fields[0]: calculate needs \"calculate\""},
	{"{'id':'t','fields':[{'name':'g','type':'group','fields':[]}]}",
	 "fields[0]: group needs a non-empty \"fields\" array"},
	{"{'id':'t','fields':[{'name':'r','type':'repeat','fields':["
	 "{'name':'s','type':'repeat','fields':[{'name':'x','type':'text'}]}]}]}",
	 "fields[0] (r).fields[0]: a repeat inside a repeat is not supported"},
	{"{'id':'t','fields':[{'name':'a','type':'integer','default':'5'}]}",
	 "fields[0].default: not a value of the field's type"},
	{"{'id':'t','fields':[{'name':'a','type':'integer','required':1}]}",
	 "fields[0].required: expected true, false or an expression"},
	{"{'id':'t','fields':[{'name':'a','type':'integer','constraint':5}]}",
	 "fields[0].constraint: expected an expression string"},
	{"{'id':'t','fields':[{'name':'g','type':'group','fields':["
	 "{'name':'a','type':'text','personal':'yes'}]}]}",
	 "fields[0] (g).fields[0].personal: expected true or false"},
	{"{'id':'t','fields':[{'name':'a','type':'text','generated':'yes'}]}",
	 "fields[0].generated: expected true or false, and true only on a top-level text "
	 "field that is asked"},
	{"{'id':'t','fields':[{'name':'a','type':'integer','generated':true}]}",
	 "fields[0].generated: expected true or false, and true only on a top-level text "
	 "field that is asked"},
	{"{'id':'t','fields':[{'name':'r','type':'repeat','fields':["
	 "{'name':'a','type':'text','generated':true}]}]}",
	 "fields[0] (r).fields[0].generated: expected true or false, and true only on a "
	 "top-level text field that is asked"},
	{"{'id':'t','fields':[{'name':'a','type':'text','calculate':'`x`','generated':true}]}",
	 "fields[0].generated: expected true or false, and true only on a top-level text "
	 "field that is asked"},
	{"{'id':'t','standard':'vn-poverty','fields':[{'name':'a','type':'integer'}]}",
	 "standard_year_field: \"survey_year\" is not an entered top-level integer field"},
	{"{'id':'t','standard':'vn-poverty','standard_year_field':'y',"
	 "'fields':[{'name':'y','type':'text'}]}",
	 "standard_year_field: \"y\" is not an entered top-level integer field"},
	/* maximum lengths: a whole number of characters, 1 to 100,000, and
	 * only on an entered text field */
	{"{'id':'t','text_max_length':0,'fields':[{'name':'a','type':'text'}]}",
	 "text_max_length: expected a whole number of characters from 1 to 100000"},
	{"{'id':'t','text_max_length':100001,'fields':[{'name':'a','type':'text'}]}",
	 "text_max_length: expected a whole number of characters from 1 to 100000"},
	{"{'id':'t','comment_max_length':'2000','fields':[{'name':'a','type':'text'}]}",
	 "comment_max_length: expected a whole number of characters from 1 to 100000"},
	{"{'id':'t','comment_max_length':20.5,'fields':[{'name':'a','type':'text'}]}",
	 "comment_max_length: expected a whole number of characters from 1 to 100000"},
	{"{'id':'t','fields':[{'name':'a','type':'text','max_length':-1}]}",
	 "fields[0].max_length: expected a whole number of characters from 1 to 100000"},
	{"{'id':'t','fields':[{'name':'r','type':'repeat','fields':["
	 "{'name':'a','type':'text','max_length':true}]}]}",
	 "fields[0] (r).fields[0].max_length: expected a whole number of characters from 1 "
	 "to 100000"},
	{"{'id':'t','fields':[{'name':'a','type':'integer','max_length':5}]}",
	 "fields[0].max_length: only an entered text field has a maximum length"},
	{"{'id':'t','fields':[{'name':'a','type':'text','calculate':'`x`','max_length':5}]}",
	 "fields[0].max_length: only an entered text field has a maximum length"},
	/* position(..) is the current item's number: only in a repeat's items;
	 * indexed-repeat() reads a field of the repeat it names */
	{"{'id':'t','fields':[{'name':'a','type':'integer','constraint':'position(..) = 1'}]}",
	 "fields[0].constraint: position(..) is only in the fields of a repeat"},
	{"{'id':'t','fields':[{'name':'r','type':'repeat','constraint':'position(..) = 1',"
	 "'fields':[{'name':'x','type':'integer'}]}]}",
	 "fields[0].constraint: position(..) is only in the fields of a repeat"},
	{"{'id':'t','fields':[{'name':'a','type':'integer'},{'name':'r','type':'repeat',"
	 "'fields':[{'name':'x','type':'integer'}]},"
	 "{'name':'c','type':'calculate','calculate':'indexed-repeat(${a}, ${r}, 1)'}]}",
	 "fields[2].calculate: indexed-repeat(): ${a} is not a field of the repeat ${r}"},
	{"{'id':'t','fields':[{'name':'a','type':'integer'},{'name':'r','type':'repeat',"
	 "'fields':[{'name':'x','type':'integer'}]},"
	 "{'name':'c','type':'calculate','calculate':'indexed-repeat(${x}, ${a}, 1)'}]}",
	 "fields[2].calculate: indexed-repeat(): ${a} is not a repeat"},
	{"{'id':'t','fields':[{'name':'r','type':'repeat','fields':[{'name':'x','type':'integer'}]},"
	 "{'name':'c','type':'calculate','calculate':'indexed-repeat(${x}, ${nope}, 1)'}]}",
	 "fields[1].calculate: unknown field ${nope}"},
	/* warnings: an entered field's, confirmed by a boolean that follows it
	 * in the same group or repeat, which the engine alone makes relevant */
	{"{'id':'t','fields':[{'name':'g','type':'group','warning':'1',"
	 "'fields':[{'name':'a','type':'text'}]}]}",
	 "fields[0].warning: only an entered field has a warning"},
	{"{'id':'t','fields':[{'name':'c','type':'calculate','calculate':'1','warning':'. < 2'}]}",
	 "fields[0].warning: only an entered field has a warning"},
	{"{'id':'t','fields':[{'name':'a','type':'integer','warning':'. <'}]}",
	 "fields[0].warning: column 4: expected a value after '<'"},
	{"{'id':'t','fields':[{'name':'a','type':'integer','warning':'. < ${b}'}]}",
	 "fields[0].warning: unknown field ${b}"},
	{"{'id':'t','fields':[{'name':'a','type':'integer','warning':5}]}",
	 "fields[0].warning: expected an expression string"},
	{"{'id':'t','fields':[{'name':'a','type':'integer','warning_message':'big'}]}",
	 "fields[0].warning_message: the field has no \"warning\""},
	{"{'id':'t','fields':[{'name':'a','type':'integer','warning':'. < 9','warning_message':5}]}",
	 "fields[0].warning_message: expected text or an object of texts by language"},
	{"{'id':'t','fields':[{'name':'a','type':'integer','warning_confirm':'ok'},"
	 "{'name':'ok','type':'boolean'}]}",
	 "fields[0].warning_confirm: the field has no \"warning\""},
	{"{'id':'t','fields':[{'name':'a','type':'integer','warning':'. < 9','warning_confirm':true}]}",
	 "fields[0].warning_confirm: expected the name of a boolean field"},
	{"{'id':'t','fields':[{'name':'a','type':'integer','warning':'. < 9',"
	 "'warning_confirm':'ok'}]}",
	 "fields[0].warning_confirm: unknown field \"ok\""},
	{"{'id':'t','fields':[{'name':'a','type':'integer','warning':'. < 9',"
	 "'warning_confirm':'ok'},{'name':'ok','type':'text'}]}",
	 "fields[0].warning_confirm: \"ok\" is not an entered boolean field"},
	{"{'id':'t','fields':[{'name':'a','type':'integer','warning':'. < 9',"
	 "'warning_confirm':'ok'},{'name':'ok','type':'boolean','calculate':'true()'}]}",
	 "fields[0].warning_confirm: \"ok\" is not an entered boolean field"},
	{"{'id':'t','fields':[{'name':'g','type':'group','fields':[{'name':'a','type':'integer',"
	 "'warning':'. < 9','warning_confirm':'ok'}]},{'name':'ok','type':'boolean'}]}",
	 "fields[0] (g).fields[0].warning_confirm: \"ok\" is not in the same group or repeat "
	 "as this field"},
	{"{'id':'t','fields':[{'name':'r','type':'repeat','fields':[{'name':'a','type':'integer',"
	 "'warning':'. < 9','warning_confirm':'ok'}]},{'name':'ok','type':'boolean'}]}",
	 "fields[0] (r).fields[0].warning_confirm: \"ok\" is not in the same group or repeat "
	 "as this field"},
	{"{'id':'t','fields':[{'name':'ok','type':'boolean'},{'name':'a','type':'integer',"
	 "'warning':'. < 9','warning_confirm':'ok'}]}",
	 "fields[1].warning_confirm: \"ok\" is not after this field (a confirmation follows "
	 "its warning)"},
	{"{'id':'t','fields':[{'name':'ok','type':'boolean','warning':'.','warning_confirm':'ok'}]}",
	 "fields[0].warning_confirm: \"ok\" is not after this field (a confirmation follows "
	 "its warning)"},
	{"{'id':'t','fields':[{'name':'a','type':'integer','warning':'. < 9',"
	 "'warning_confirm':'ok'},{'name':'ok','type':'boolean','relevant':'${a} > 9'}]}",
	 "fields[0].warning_confirm: \"ok\" has a \"relevant\" of its own (it is relevant "
	 "exactly while the warning stands)"},
	{"{'id':'t','fields':[{'name':'a','type':'integer','warning':'. < 9',"
	 "'warning_confirm':'ok'},{'name':'ok','type':'boolean','required':true}]}",
	 "fields[0].warning_confirm: \"ok\" is required (a warning is soft: its confirmation "
	 "is never required)"},
	{"{'id':'t','fields':[{'name':'a','type':'integer','warning':'. < 9',"
	 "'warning_confirm':'ok'},{'name':'ok','type':'boolean','required':'${a} > 0'}]}",
	 "fields[0].warning_confirm: \"ok\" is required (a warning is soft: its confirmation "
	 "is never required)"},
	{"{'id':'t','fields':[{'name':'a','type':'integer','warning':'. < 9',"
	 "'warning_confirm':'ok'},{'name':'ok','type':'boolean','warning':'.',"
	 "'warning_confirm':'ok2'},{'name':'ok2','type':'boolean'}]}",
	 "fields[0].warning_confirm: \"ok\" has a warning of its own"},
	{"{'id':'t','fields':[{'name':'a','type':'integer','warning':'. < 9',"
	 "'warning_confirm':'ok'},{'name':'b','type':'integer','warning':'. < 9',"
	 "'warning_confirm':'ok'},{'name':'ok','type':'boolean'}]}",
	 "fields[1].warning_confirm: \"ok\" already confirms the warning of \"a\""},
};

static void test_compile_errors(void **st)
{
	size_t i;

	(void)st;
	for (i = 0; i < sizeof compile_cases / sizeof *compile_cases; i++) {
		char err[256];
		saola__form *f = (saola__form *)&err; /* must become NULL */
		json_t *def = J(compile_cases[i].def);
		int rc = saola__form_compile(def, &f, err, sizeof err);

		if (rc != SAOLA_INVALID || strcmp(err, compile_cases[i].err) != 0)
			fail_msg("case %zu: rc %d, err \"%s\", expected \"%s\"", i, rc,
			         err, compile_cases[i].err);
		assert_null(f);
		json_decref(def);
	}
}

/* A bad expression: the error names the property and starts with the
 * column the parser reports (1-based). */
static void test_compile_bad_expression(void **st)
{
	static const struct {
		const char *expr;
		int column;
	} cases[] = {
		{". >= (1", 8},  /* the ')' that never comes: just past the end */
		{"1 + + ", 5},   /* a value expected where the 2nd '+' is */
		{"if(1, 2", 8},  /* the call's ')' never comes */
		{"1 2", 3},      /* a value where an operator should be */
	};
	size_t i;

	(void)st;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		char err[256], want[64], pe[200];
		saola__form *f = NULL;
		saola__expr *e = NULL;
		json_t *def = json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "id", "t",
		                        "fields", "name", "a", "type", "integer",
		                        "constraint", cases[i].expr);

		assert_int_equal(saola__form_compile(def, &f, err, sizeof err),
		                 SAOLA_INVALID);
		assert_null(f);
		/* the form passes the parser's message on, after the path */
		assert_int_equal(saola__expr_parse(cases[i].expr, &e, pe, sizeof pe),
		                 SAOLA_INVALID);
		snprintf(want, sizeof want, "fields[0].constraint: column %d: ",
		         cases[i].column);
		if (strncmp(err, want, strlen(want)) != 0 ||
		    strcmp(err + strlen("fields[0].constraint: "), pe) != 0)
			fail_msg("\"%s\": got \"%s\", expected \"%s...\"", cases[i].expr,
			         err, want);
		json_decref(def);
	}
}

static void test_accessors(void **st)
{
	state *s = *st;
	saola__form *f = s->household;

	assert_string_equal(saola__form_id(f), "household");
	assert_string_equal(saola__form_version(f), "2026.2");
	assert_string_equal(saola__form_standard(f), "vn-poverty");
	assert_string_equal(saola__form_standard_year_field(f), "survey_year");
	assert_non_null(saola__form_def(f));
	assert_int_equal(saola__form_field_type(f, "area"), SAOLA__F_SELECT_ONE);
	assert_int_equal(saola__form_field_type(f, "members"), SAOLA__F_REPEAT);
	assert_int_equal(saola__form_field_type(f, "house_area_m2"), SAOLA__F_DECIMAL);
	assert_int_equal(saola__form_field_type(f, "classification"), SAOLA__F_CALCULATE);
	assert_int_equal(saola__form_field_type(f, "birth_year"), -1); /* in a repeat */
	assert_int_equal(saola__form_field_type(f, "nope"), -1);
	assert_int_equal(saola__form_is_computed(f, "d_water"), 1);
	assert_int_equal(saola__form_is_computed(f, "age"), 1);
	assert_int_equal(saola__form_is_computed(f, "birth_year"), 0);
	assert_int_equal(saola__form_is_computed(f, "head_name"), 1); /* member 1's name */
	assert_int_equal(saola__form_is_computed(f, "nope"), 0);
	assert_string_equal(saola__form_id(s->quick_id), "quick_id");
	saola__form_free(NULL);
}

/* Personal data as the forms mark it ("personal": true), by field and by
 * record path; a mark on a group or a repeat covers what is inside. */
static void test_personal(void **st)
{
	static const struct {
		const char *path;
		int personal;
	} household[] = {
		{"head_name", 1}, {"members.a1b2.name", 1}, {"members.a1b2", 0},
		{"members.a1b2.birth_year", 0}, {"members", 0}, {"income_per_capita", 0},
		{"village", 0}, {"_state", 0}, {"_deleted", 0}, {"nope", 0},
		{"head_name.x.name", 0}, {"nope.a1b2.name", 0}, {"members.a1b2.nope", 0},
	};
	state *s = *st;
	saola__field_info fi;
	saola__form *f = NULL;
	json_t *def;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof household / sizeof *household; i++)
		if (saola__form_path_personal(s->household, household[i].path) !=
		    household[i].personal)
			fail_msg("household: %s: expected %d", household[i].path,
			         household[i].personal);
	assert_int_equal(saola__form_is_personal(s->household, "head_name"), 1);
	assert_int_equal(saola__form_is_personal(s->household, "name"), 1);
	assert_int_equal(saola__form_is_personal(s->household, "sex"), 0);
	assert_int_equal(saola__form_is_personal(s->quick_id, "head_name"), 1);
	assert_int_equal(saola__form_is_personal(s->quick_id, "household_size"), 0);
	assert_int_equal(saola__form_field_info(s->household,
	                 saola__form_field_index(s->household, "head_name"), &fi), SAOLA_OK);
	assert_int_equal(fi.personal, 1);

	def = J("{'id':'t','fields':["
	        " {'name':'contact','type':'group','personal':true,'fields':["
	        "  {'name':'phone','type':'text'},{'name':'email','type':'text'}]},"
	        " {'name':'kids','type':'repeat','personal':true,'fields':["
	        "  {'name':'age','type':'integer'}]},"
	        " {'name':'pets','type':'repeat','fields':["
	        "  {'name':'pet_name','type':'text','personal':true},"
	        "  {'name':'kind','type':'text','personal':false}]},"
	        " {'name':'note','type':'text'}]}");
	if (saola__form_compile(def, &f, err, sizeof err) != SAOLA_OK)
		fail_msg("compile: %s", err);
	assert_int_equal(saola__form_path_personal(f, "phone"), 1);
	assert_int_equal(saola__form_path_personal(f, "email"), 1);
	assert_int_equal(saola__form_path_personal(f, "contact"), 1);
	assert_int_equal(saola__form_path_personal(f, "kids.k1"), 1);
	assert_int_equal(saola__form_path_personal(f, "kids.k1.age"), 1);
	assert_int_equal(saola__form_path_personal(f, "pets.p1"), 0);
	assert_int_equal(saola__form_path_personal(f, "pets.p1.pet_name"), 1);
	assert_int_equal(saola__form_path_personal(f, "pets.p1.kind"), 0);
	assert_int_equal(saola__form_path_personal(f, "note"), 0);
	saola__form_free(f);
	json_decref(def);
}

/* ------------------------------------------------------------------ */
/* Validation on a small form                                          */

static const char small_form[] =
	"{'id':'t','version':'1','default_language':'vi',"
	" 'choices':{'yn':[{'value':'yes'},{'value':'no'}],"
	"            'fruit':[{'value':'apple'},{'value':'pear'},{'value':'fig'}]},"
	" 'fields':["
	"  {'name':'name','type':'text','required':true},"
	"  {'name':'visit','type':'date'},"
	"  {'name':'weight','type':'decimal','constraint':'. > 0',"
	"   'constraint_message':{'vi':'phải dương','en':'must be positive'}},"
	"  {'name':'count','type':'integer','constraint':'. <= 10',"
	"   'constraint_message':{'vi':'tối đa 10'}},"
	"  {'name':'likes','type':'select_one','choices':'yn','required':true},"
	"  {'name':'fruits','type':'select_multiple','choices':'fruit',"
	"   'relevant':'${likes} = `yes`','required':true},"
	"  {'name':'g','type':'group','relevant':'${likes} = `yes`','fields':["
	"    {'name':'why','type':'text','required':'${count} > 5'},"
	"    {'name':'why_len','type':'calculate','calculate':'string-length(${why})'}]},"
	"  {'name':'kids','type':'repeat','relevant':'${likes} = `yes`','fields':["
	"    {'name':'kid','type':'text','required':true},"
	"    {'name':'kid_age','type':'integer','constraint':'. < ${count}',"
	"     'constraint_message':'younger than count'},"
	"    {'name':'kid_double','type':'calculate','calculate':'${kid_age} * 2'},"
	"    {'name':'kid_toy','type':'text','relevant':'${kid_age} < 6'}]},"
	"  {'name':'n_kids','type':'calculate','calculate':'count(${kids})'},"
	"  {'name':'sum_double','type':'calculate','calculate':'sum(${kid_double})'},"
	"  {'name':'half','type':'calculate','calculate':'${weight} div 2'},"
	"  {'name':'flag','type':'boolean'},"
	"  {'name':'info','type':'note'}]}";

static const struct {
	const char *rec;
	int rc;
	const char *err;  /* SAOLA_INVALID: the exact message */
	const char *out;  /* SAOLA_OK: the exact record */
} small_cases[] = {
	/* the least: n_kids counts no items, a sum over none is 0, half of an
	 * unanswered weight is NaN, so absent */
	{"{'name':'A','likes':'no'}", SAOLA_OK, NULL,
	 "{'name':'A','likes':'no','n_kids':0,'sum_double':0}"},
	/* not relevant: fruits, the group's why and the whole repeat cleared */
	{"{'name':'A','likes':'no','fruits':['fig'],'why':'x',"
	 " 'kids':[{'_id':'k1','kid':'k','kid_age':3},{'_id':'k2','kid':'l'}]}",
	 SAOLA_OK, NULL, "{'name':'A','likes':'no','n_kids':0,'sum_double':0}"},
	/* relevant: an empty select_multiple is an answer; the group is
	 * relevant, and string-length of an unanswered why is 0 */
	{"{'name':'A','likes':'yes','fruits':[]}", SAOLA_OK, NULL,
	 "{'name':'A','likes':'yes','fruits':[],'why_len':0,'n_kids':0,'sum_double':0}"},
	{"{'name':'A','likes':'yes'}", SAOLA_INVALID, "fruits: required", NULL},
	{"{'likes':'no'}", SAOLA_INVALID, "name: required", NULL},
	{"{'name':'','likes':'no'}", SAOLA_INVALID, "name: required", NULL},
	{"{'name':null,'likes':'no'}", SAOLA_INVALID, "name: required", NULL},
	/* required as an expression: why is needed when count > 5 */
	{"{'name':'A','likes':'yes','fruits':['fig'],'count':6}", SAOLA_INVALID,
	 "why: required", NULL},
	{"{'name':'A','likes':'yes','fruits':['fig'],'count':5}", SAOLA_OK, NULL,
	 "{'name':'A','count':5,'likes':'yes','fruits':['fig'],'why_len':0,'n_kids':0,"
	 " 'sum_double':0}"},
	{"{'name':'A','likes':'yes','fruits':['fig'],'count':6,'why':'abc'}", SAOLA_OK, NULL,
	 "{'name':'A','count':6,'likes':'yes','fruits':['fig'],'why':'abc','why_len':3,"
	 " 'n_kids':0,'sum_double':0}"},
	/* constraints: English message preferred, else the default language */
	{"{'name':'A','likes':'no','weight':0}", SAOLA_INVALID,
	 "weight: constraint failed: must be positive", NULL},
	{"{'name':'A','likes':'no','count':11}", SAOLA_INVALID,
	 "count: constraint failed: tối đa 10", NULL},
	/* types */
	{"{'name':'A','likes':'no','weight':'3'}", SAOLA_INVALID,
	 "weight: expected number, got \"3\"", NULL},
	{"{'name':'A','likes':'no','count':2.5}", SAOLA_INVALID,
	 "count: expected integer, got 2.5", NULL},
	{"{'name':'A','likes':'no','count':'abc'}", SAOLA_INVALID,
	 "count: expected integer, got \"abc\"", NULL},
	{"{'name':'A','likes':'no','flag':1}", SAOLA_INVALID,
	 "flag: expected true or false, got 1", NULL},
	{"{'name':5,'likes':'no'}", SAOLA_INVALID, "name: expected text, got 5", NULL},
	{"{'name':'A','likes':'maybe'}", SAOLA_INVALID,
	 "likes: \"maybe\" is not a choice of list yn", NULL},
	{"{'name':'A','likes':'yes','fruits':'apple'}", SAOLA_INVALID,
	 "fruits: expected an array of choices, got \"apple\"", NULL},
	{"{'name':'A','likes':'yes','fruits':['apple','kiwi']}", SAOLA_INVALID,
	 "fruits: \"kiwi\" is not a choice of list fruit", NULL},
	{"{'name':'A','likes':'yes','fruits':['apple','pear','apple']}", SAOLA_INVALID,
	 "fruits: \"apple\" is selected twice", NULL},
	{"{'name':'A','likes':'yes','fruits':['apple',3]}", SAOLA_INVALID,
	 "fruits[1]: expected text, got 3", NULL},
	{"{'name':'A','likes':'no','visit':'2025-02-29'}", SAOLA_INVALID,
	 "visit: expected date YYYY-MM-DD, got \"2025-02-29\"", NULL},
	{"{'name':'A','likes':'no','visit':'2025-9-01'}", SAOLA_INVALID,
	 "visit: expected date YYYY-MM-DD, got \"2025-9-01\"", NULL},
	{"{'name':'A','likes':'no','visit':'2024-02-29','count':3.0,'weight':4}", SAOLA_OK, NULL,
	 "{'name':'A','visit':'2024-02-29','weight':4,'count':3,'likes':'no','n_kids':0,"
	 " 'sum_double':0,'half':2}"},
	{"{'name':'A','likes':'no','weight':5}", SAOLA_OK, NULL,
	 "{'name':'A','weight':5,'likes':'no','n_kids':0,'sum_double':0,'half':2.5}"},
	/* unknown fields; values sent for computed fields and notes ignored */
	{"{'name':'A','likes':'no','zzz':1}", SAOLA_INVALID, "zzz: unknown field", NULL},
	{"{'name':'A','likes':'no','g':{}}", SAOLA_INVALID, "g: unknown field", NULL},
	{"{'name':'A','likes':'no','kid':'x'}", SAOLA_INVALID, "kid: unknown field", NULL},
	{"{'name':'A','likes':'no','n_kids':99,'half':1,'info':'x'}", SAOLA_OK, NULL,
	 "{'name':'A','likes':'no','n_kids':0,'sum_double':0}"},
	{"[1]", SAOLA_INVALID, "record: expected object, got an array", NULL},
	/* repeats: items computed one by one, ${kid_age} is the item's own,
	 * ${count} the top-level answer; kid_toy cleared for the 9-year-old */
	{"{'name':'A','likes':'yes','fruits':[],'count':10,'why':'x','kids':["
	 " {'_id':'k1','kid':'a','kid_age':4,'kid_toy':'ball'},"
	 " {'kid':'b','kid_age':9,'kid_toy':'bike','kid_double':1}]}", SAOLA_OK, NULL,
	 "{'name':'A','count':10,'likes':'yes','fruits':[],'why':'x','why_len':1,"
	 " 'kids':[{'_id':'k1','kid':'a','kid_age':4,'kid_double':8,'kid_toy':'ball'},"
	 "         {'kid':'b','kid_age':9,'kid_double':18}],"
	 " 'n_kids':2,'sum_double':26}"},
	{"{'name':'A','likes':'yes','fruits':[],'kids':{}}", SAOLA_INVALID,
	 "kids: expected an array of items, got an object", NULL},
	{"{'name':'A','likes':'yes','fruits':[],'kids':[1]}", SAOLA_INVALID,
	 "kids[0]: expected object, got 1", NULL},
	{"{'name':'A','likes':'yes','fruits':[],'kids':[{'kid':'a'},{'kid_age':1}]}",
	 SAOLA_INVALID, "kids[1].kid: required", NULL},
	{"{'name':'A','likes':'yes','fruits':[],'kids':[{'kid':'a','kid_age':'x'}]}",
	 SAOLA_INVALID, "kids[0].kid_age: expected integer, got \"x\"", NULL},
	{"{'name':'A','likes':'yes','fruits':[],'kids':[{'kid':'a','_id':5}]}",
	 SAOLA_INVALID, "kids[0]._id: expected text, got 5", NULL},
	{"{'name':'A','likes':'yes','fruits':[],'kids':[{'kid':'a','name':'x'}]}",
	 SAOLA_INVALID, "kids[0].name: unknown field", NULL},
	{"{'name':'A','likes':'yes','fruits':[],'count':3,'kids':[{'kid':'a'},"
	 " {'kid':'b','kid_age':3}]}", SAOLA_INVALID,
	 "kids[1].kid_age: constraint failed: younger than count", NULL},
};

static void test_validate(void **st)
{
	saola__form *f = compile_text(small_form);
	json_t *item;
	size_t i, k;

	(void)st;
	for (i = 0; i < sizeof small_cases / sizeof *small_cases; i++) {
		char err[256];
		json_t *rec = J(small_cases[i].rec), *out = (json_t *)&err, *want;
		int rc = saola__form_process(f, rec, NULL, NULL, &out, err, sizeof err);

		if (rc != small_cases[i].rc)
			fail_msg("case %zu: rc %d (%s), expected %d", i, rc, err,
			         small_cases[i].rc);
		if (rc != SAOLA_OK) {
			assert_null(out);
			if (strcmp(err, small_cases[i].err) != 0)
				fail_msg("case %zu: \"%s\", expected \"%s\"", i, err,
				         small_cases[i].err);
		} else {
			want = J(small_cases[i].out);
			if (!json_equal(out, want)) {
				char *g = json_dumps(out, JSON_COMPACT);

				fail_msg("case %zu: got %s", i, g);
			}
			json_decref(want);
			json_decref(out);
		}
		/* the record is borrowed: its values keep their references */
		json_array_foreach(json_object_get(rec, "kids"), k, item)
			if (json_object_get(item, "_id"))
				assert_int_equal(json_object_get(item, "_id")->refcount, 1);
		json_decref(rec);
	}
	saola__form_free(f);
}

/* ------------------------------------------------------------------ */
/* Maximum lengths of text                                             */

/* A form that sets every maximum, and one that sets none (the defaults:
 * 500 characters a text answer, 2000 a comment). */
static const char length_form[] =
	"{'id':'l','text_max_length':8,'comment_max_length':12,'fields':["
	" {'name':'code','type':'text','max_length':3},"
	" {'name':'note','type':'text'},"
	" {'name':'n','type':'integer'},"
	" {'name':'when','type':'date'},"
	" {'name':'kids','type':'repeat','fields':["
	"  {'name':'kid','type':'text','max_length':4},"
	"  {'name':'toy','type':'text'}]}]}";
static const char default_form[] =
	"{'id':'d','fields':[{'name':'note','type':'text'},"
	" {'name':'kids','type':'repeat','fields':[{'name':'kid','type':'text'}]}]}";

/* A string of count copies of unit; free() it. */
static char *repeated(const char *unit, size_t count)
{
	size_t n = strlen(unit), i;
	char *s = malloc(n * count + 1);

	assert_non_null(s);
	for (i = 0; i < count; i++)
		memcpy(s + i * n, unit, n);
	s[n * count] = '\0';
	return s;
}

/* Each row answers field (of kids' first item when in_kid) with count
 * copies of unit: a length is counted in characters (UTF-8 code points),
 * not bytes, and both processing and the check of a merge refuse what is
 * too long, with the path and both numbers. */
static void test_max_length(void **st)
{
	static const struct {
		const char *form;
		const char *field;
		int in_kid;
		const char *unit;
		size_t count;
		const char *err;   /* NULL: accepted */
	} cases[] = {
		{length_form, "code", 0, "a", 3, NULL},
		{length_form, "code", 0, "a", 4,
		 "code: text of 4 characters is longer than the form's maximum of 3"},
		{length_form, "code", 0, "\xe1\xbb\x85", 3, NULL},   /* "ễ": 3 bytes, 1 character */
		{length_form, "code", 0, "\xe1\xbb\x85", 4,
		 "code: text of 4 characters is longer than the form's maximum of 3"},
		{length_form, "note", 0, "x", 8, NULL},           /* the form's text_max_length */
		{length_form, "note", 0, "x", 9,
		 "note: text of 9 characters is longer than the form's maximum of 8"},
		{length_form, "kid", 1, "k", 4, NULL},
		{length_form, "kid", 1, "k", 5,
		 "kids[0].kid: text of 5 characters is longer than the form's maximum of 4"},
		{length_form, "toy", 1, "t", 9,
		 "kids[0].toy: text of 9 characters is longer than the form's maximum of 8"},
		{default_form, "note", 0, "x", 500, NULL},        /* the built-in default */
		{default_form, "note", 0, "x", 501,
		 "note: text of 501 characters is longer than the form's maximum of 500"},
		{default_form, "note", 0, "\xc4\x91", 500, NULL},  /* "đ": 1,000 bytes */
		{default_form, "kid", 1, "k", 7340032,
		 "kids[0].kid: text of 7340032 characters is longer than the form's maximum of 500"},
	};
	size_t i;
	int merged;

	(void)st;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		saola__form *f = compile_text(cases[i].form);
		char *text = repeated(cases[i].unit, cases[i].count);
		json_t *rec = json_object(), *out;

		if (cases[i].in_kid)
			json_object_set_new(rec, "kids", json_pack("[{s:s}]", cases[i].field, text));
		else
			json_object_set_new(rec, cases[i].field, json_string(text));
		for (merged = 0; merged < 2; merged++) {
			char err[256] = "", *issues = NULL;
			int rc = merged ? saola__form_process_merged(f, rec, NULL, &out, &issues, err,
			                                             sizeof err)
			                : saola__form_process(f, rec, NULL, NULL, &out, err, sizeof err);

			if (cases[i].err ? rc != SAOLA_INVALID || strcmp(err, cases[i].err) != 0
			                 : rc != SAOLA_OK)
				fail_msg("case %zu (%s): rc %d \"%s\", expected \"%s\"", i,
				         merged ? "merged" : "processed", rc, err,
				         cases[i].err ? cases[i].err : "accepted");
			if (rc == SAOLA_OK)
				assert_string_equal(json_string_value(cases[i].in_kid
				        ? json_object_get(json_array_get(json_object_get(out, "kids"), 0),
				                          cases[i].field)
				        : json_object_get(out, cases[i].field)), text);
			else
				assert_null(out);
			json_decref(out);
			free(issues);
		}
		json_decref(rec);
		free(text);
		saola__form_free(f);
	}
}

/* The maximum of each record path (docs/protocol.md), as a merge and the
 * review check them: an answer's, the comment's, none elsewhere. */
static void test_max_length_paths(void **st)
{
	static const struct {
		const char *form;
		const char *path;
		size_t max;
	} cases[] = {
		{length_form, "code", 3},
		{length_form, "note", 8},
		{length_form, "_comment", 12},
		{length_form, "kids.k1.kid", 4},
		{length_form, "kids.k1.toy", 8},
		{length_form, "kids.a.b.kid", 4},   /* an item id with a dot */
		{length_form, "kids.k1", 0},        /* an item: no text */
		{length_form, "kid", 0},            /* an item's field at the top level */
		{length_form, "note.k1.kid", 0},    /* under another name than its repeat */
		{length_form, "code.x.code", 0},
		{length_form, "n", 0},
		{length_form, "when", 0},
		{length_form, "_state", 0},
		{length_form, "nope", 0},
		{default_form, "note", 500},
		{default_form, "kids.k1.kid", 500},
		{default_form, "_comment", 2000},
	};
	size_t i;

	(void)st;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		saola__form *f = compile_text(cases[i].form);
		char err[256] = "", *text;
		size_t max = saola__form_text_max(f, cases[i].path);

		if (max != cases[i].max)
			fail_msg("case %zu: %s: max %zu, expected %zu", i, cases[i].path, max,
			         cases[i].max);
		if (max) {
			char want[256];

			text = repeated("\xe1\xbb\x85", max);
			assert_int_equal(saola__form_check_text(f, cases[i].path, text, strlen(text),
			                                        err, sizeof err), SAOLA_OK);
			free(text);
			text = repeated("\xe1\xbb\x85", max + 1);
			assert_int_equal(saola__form_check_text(f, cases[i].path, text, strlen(text),
			                                        err, sizeof err), SAOLA_INVALID);
			snprintf(want, sizeof want, "%s: text of %zu characters is longer than the "
			         "form's maximum of %zu", cases[i].path, max + 1, max);
			assert_string_equal(err, want);
			free(text);
		} else {
			/* no maximum: any length passes */
			text = repeated("x", 100001);
			assert_int_equal(saola__form_check_text(f, cases[i].path, text, strlen(text),
			                                        err, sizeof err), SAOLA_OK);
			free(text);
		}
		saola__form_free(f);
	}
}

/* A constraint on a repeat is checked on its list of items: "." is the
 * items, so count(.) bounds them. Required means at least one. */
static void test_repeat_constraint(void **st)
{
	static const struct {
		size_t items;
		const char *err;   /* NULL: accepted */
	} cases[] = {
		{0, "kids: required"},
		{1, NULL},
		{3, NULL},
		{4, "kids: constraint failed: must have 1 to 3 kids"},
	};
	saola__form *f = compile_text(
		"{'id':'r','fields':[{'name':'kids','type':'repeat','required':true,"
		" 'constraint':'count(.) >= 1 and count(.) <= 3',"
		" 'constraint_message':{'vi':'từ 1 đến 3','en':'must have 1 to 3 kids'},"
		" 'fields':[{'name':'kid','type':'text'}]}]}");
	size_t i, k;

	(void)st;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		json_t *rec = json_pack("{s:[]}", "kids"), *out = NULL;
		char err[256] = "";
		int rc;

		for (k = 0; k < cases[i].items; k++)
			json_array_append_new(json_object_get(rec, "kids"), json_pack("{s:s}", "kid", "a"));
		rc = saola__form_process(f, rec, NULL, NULL, &out, err, sizeof err);
		if (cases[i].err ? rc != SAOLA_INVALID || strcmp(err, cases[i].err) != 0
		                 : rc != SAOLA_OK)
			fail_msg("case %zu: rc %d \"%s\"", i, rc, err);
		json_decref(out);
		json_decref(rec);
	}
	saola__form_free(f);
}

/* param(): the standard of the record's year, found through the source. */
static void test_params(void **st)
{
	saola__form *f = compile_text(
		"{'id':'p','standard':'vn-poverty','standard_year_field':'year',"
		" 'fields':[{'name':'year','type':'integer'},"
		"  {'name':'line','type':'calculate','calculate':'param(`income_line_rural`)'},"
		"  {'name':'bad','type':'calculate','relevant':'${year} = 2024',"
		"   'calculate':'param(`no_such_param`)'}]}");
	saola__form *g = compile_text(
		"{'id':'q','fields':[{'name':'x','type':'calculate','calculate':'param(`a`)'}]}");
	static const struct {
		const char *rec;
		int rc;
		const char *err;
		json_int_t line;
	} cases[] = {
		{"{'year':2022}", SAOLA_OK, NULL, 1500000},
		{"{'year':2025}", SAOLA_OK, NULL, 1500000},
		{"{'year':2026}", SAOLA_OK, NULL, 2200000},
		{"{'year':2030}", SAOLA_OK, NULL, 2200000},
		{"{'year':2031}", SAOLA_NOTFOUND, "year: no standard vn-poverty covers 2031", 0},
		/* 2021's review was made under the 2022-2025 standard (its data) */
		{"{'year':2021}", SAOLA_OK, NULL, 1500000},
		{"{'year':2020}", SAOLA_NOTFOUND, "year: no standard vn-poverty covers 2020", 0},
		{"{}", SAOLA_NOTFOUND, "year: no answer, so no standard vn-poverty can be picked", 0},
		{"{'year':2024}", SAOLA_NOTFOUND,
		 "param('no_such_param'): not a parameter of the standard vn-poverty in force", 0},
	};
	size_t i;
	char err[256];
	json_t *rec, *out;

	(void)st;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		int rc;

		rec = J(cases[i].rec);
		rc = saola__form_process(f, rec, &params, NULL, &out, err, sizeof err);
		if (rc != cases[i].rc)
			fail_msg("case %zu: rc %d (%s)", i, rc, err);
		if (rc == SAOLA_OK) {
			assert_int_equal(json_integer_value(json_object_get(out, "line")),
			                 cases[i].line);
			json_decref(out);
		} else {
			assert_string_equal(err, cases[i].err);
		}
		json_decref(rec);
	}
	/* no params source at all */
	rec = J("{'year':2025}");
	assert_int_equal(saola__form_process(f, rec, NULL, NULL, &out, err, sizeof err),
	                 SAOLA_NOTFOUND);
	assert_string_equal(err, "year: no standard vn-poverty covers 2025");
	json_decref(rec);
	/* param() in a form that names no standard: the form is wrong */
	rec = J("{}");
	assert_int_equal(saola__form_process(g, rec, &params, NULL, &out, err, sizeof err),
	                 SAOLA_INVALID);
	assert_string_equal(err, "param(): form q names no standard");
	json_decref(rec);
	saola__form_free(f);
	saola__form_free(g);
}

/* ------------------------------------------------------------------ */
/* Warnings: soft checks, confirmed (docs/forms.md, "Warnings")         */

/* x is warned when above ten times n, confirmed by x_ok; each kid's age
 * above 99, confirmed by age_ok; p's warning reads a param() that this
 * form, naming no standard, cannot have: it never stands. */
static const char warn_form[] =
	"{'id':'w','fields':["
	" {'name':'n','type':'integer'},"
	" {'name':'x','type':'integer','relevant':'${n} > 0','warning':'. <= 10 * ${n}',"
	"  'warning_message':{'vi':'lớn hơn 10 lần n','en':'more than ten times n'},"
	"  'warning_confirm':'x_ok'},"
	" {'name':'x_ok','type':'boolean'},"
	" {'name':'kids','type':'repeat','fields':["
	"  {'name':'age','type':'integer','warning':'. < 100','warning_confirm':'age_ok'},"
	"  {'name':'age_ok','type':'boolean'}]},"
	" {'name':'p','type':'integer','warning':'. < param(`top`)','warning_confirm':'p_ok'},"
	" {'name':'p_ok','type':'boolean'}]}";

/* The confirmation is kept exactly while its warning stands, cleared as any
 * answer that is not relevant; a record without it is accepted (the check
 * is soft), as a new record and as a merge's result. */
static void test_warnings(void **st)
{
	static const struct {
		const char *rec;
		const char *expect;  /* fields of the result; null: absent */
		const char *err;     /* refused with this, or NULL */
	} cases[] = {
		{"{'n':1,'x':50}", "{'x':50,'x_ok':null}", NULL},          /* no confirmation */
		{"{'n':1,'x':50,'x_ok':true}", "{'x':50,'x_ok':true}", NULL},
		{"{'n':1,'x':50,'x_ok':false}", "{'x_ok':false}", NULL},   /* an answer as any */
		{"{'n':1,'x':10,'x_ok':true}", "{'x':10,'x_ok':null}", NULL}, /* now plausible */
		{"{'n':1,'x_ok':true}", "{'x_ok':null}", NULL},           /* nothing to warn of */
		{"{'n':0,'x':50,'x_ok':true}", "{'x':null,'x_ok':null}", NULL}, /* x not asked */
		{"{'x_ok':'yes'}", NULL, "x_ok: expected true or false, got \"yes\""},
		{"{'kids':[{'age':30,'age_ok':true},{'age':120,'age_ok':true},{'age':130}]}",
		 "{'kids.0.age_ok':null,'kids.1.age_ok':true,'kids.2.age':130,'kids.2.age_ok':null}",
		 NULL},
		{"{'p':5,'p_ok':true}", "{'p':5,'p_ok':null}", NULL},    /* cannot be evaluated */
	};
	saola__form *f;
	size_t i;
	int merged;

	(void)st;
	f = compile_text(warn_form);
	for (i = 0; i < sizeof cases / sizeof *cases; i++)
		for (merged = 0; merged < 2; merged++) {
			json_t *rec = J(cases[i].rec), *out = NULL, *want;
			char err[256] = "", *issues = NULL;
			int rc = merged ? saola__form_process_merged(f, rec, &bare, &out, &issues,
			                                            err, sizeof err)
			                : saola__form_process(f, rec, &bare, NULL, &out, err,
			                                      sizeof err);

			if (cases[i].err) {
				if (rc != SAOLA_INVALID || strcmp(err, cases[i].err) != 0)
					fail_msg("case %zu: rc %d \"%s\", expected \"%s\"", i, rc, err,
					         cases[i].err);
				assert_null(out);
			} else {
				if (rc != SAOLA_OK)
					fail_msg("case %zu: rc %d: %s", i, rc, err);
				assert_null(issues);
				want = J(cases[i].expect);
				check_subset(cases[i].rec, out, want);
				json_decref(want);
			}
			json_decref(out);
			json_decref(rec);
		}
	saola__form_free(f);
}

/* What a data-entry screen reads: the field table links a warned field
 * and its confirm field; the confirm field's relevance follows the
 * warning; saola__walk_warning says whether it stands, and why it could
 * not be evaluated. */
static void test_warning_walk(void **st)
{
	static const struct {
		const char *rec;
		const char *field;
		size_t item;
		int holds;      /* saola__walk_warning of field */
		int rc;         /* its return */
		int confirm;    /* relevance of the confirm field */
	} cases[] = {
		{"{'n':1,'x':50}", "x", 0, 0, SAOLA_OK, 1},
		{"{'n':1,'x':50,'x_ok':true}", "x", 0, 0, SAOLA_OK, 1},
		{"{'n':1,'x':10,'x_ok':true}", "x", 0, 1, SAOLA_OK, 0},
		{"{'n':1}", "x", 0, 1, SAOLA_OK, 0},                   /* no answer yet */
		{"{'n':0,'x':50}", "x", 0, 1, SAOLA_OK, 0},            /* not relevant */
		{"{'x':50}", "x", 0, 1, SAOLA_OK, 0},                  /* n unanswered */
		{"{'kids':[{'age':30},{'age':120}]}", "age", 1, 0, SAOLA_OK, 1},
		{"{'kids':[{'age':30},{'age':120}]}", "age", 0, 1, SAOLA_OK, 0},
		{"{'kids':[{'age':30},{'age':120}]}", "age", 2, 1, SAOLA_OK, 0}, /* no item 2 */
		{"{'p':5}", "p", 0, 1, SAOLA_INVALID, 0},
		{"{'n':1,'x':50}", "n", 0, 1, SAOLA_OK, -1},           /* no warning */
	};
	saola__form *f = compile_text(warn_form);
	saola__field_info fi, ci;
	size_t i;

	(void)st;
	assert_int_equal(saola__form_field_info(f, saola__form_field_index(f, "x"), &fi),
	                 SAOLA_OK);
	assert_int_equal(fi.warned, 1);
	assert_int_equal(fi.confirm, saola__form_field_index(f, "x_ok"));
	assert_int_equal(fi.confirms, -1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(fi.def,
	                    "warning_message"), "en")), "more than ten times n");
	assert_int_equal(saola__form_field_info(f, fi.confirm, &ci), SAOLA_OK);
	assert_int_equal(ci.warned, 0);
	assert_int_equal(ci.confirm, -1);
	assert_int_equal(ci.confirms, saola__form_field_index(f, "x"));
	assert_int_equal(saola__form_field_info(f, saola__form_field_index(f, "n"), &fi),
	                 SAOLA_OK);
	assert_int_equal(fi.warned + fi.confirm + fi.confirms, -2);
	assert_int_equal(saola__form_field_info(f, 99, &fi), SAOLA_NOTFOUND);
	assert_int_equal(fi.confirm, -1);
	assert_int_equal(fi.confirms, -1);

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		json_t *rec = J(cases[i].rec);
		saola__walk *w = NULL;
		char err[256] = "";
		int ix = saola__form_field_index(f, cases[i].field), holds = -1, rc;
		size_t at;

		assert_int_equal(saola__form_walk(f, rec, &bare, NULL, &w, err, sizeof err),
		                 SAOLA_OK);
		rc = saola__walk_warning(w, ix, cases[i].item, &holds, err, sizeof err);
		if (rc != cases[i].rc || holds != cases[i].holds)
			fail_msg("case %zu: rc %d holds %d (%s), expected %d %d", i, rc, holds, err,
			         cases[i].rc, cases[i].holds);
		if (rc != SAOLA_OK)
			assert_string_equal(err, "param(): form w names no standard");
		assert_int_equal(saola__form_field_info(f, ix, &fi), SAOLA_OK);
		if (cases[i].confirm >= 0 &&
		    saola__walk_relevant(w, fi.confirm, cases[i].item) != cases[i].confirm)
			fail_msg("case %zu: the confirm field's relevance is %d", i,
			         saola__walk_relevant(w, fi.confirm, cases[i].item));
		/* a warning that failed leaves no failure behind for the record */
		assert_int_equal(saola__walk_validate(w, &ix, &at, err, sizeof err), SAOLA_OK);
		saola__walk_free(w);
		json_decref(rec);
	}
	saola__form_free(f);
}

/* ------------------------------------------------------------------ */
/* The household form                                                  */

/* A household deprived on nothing and well above both lines: rural (its
 * commune is a xã), 3,000,000 VND a month, not farming, a durable 100 m2
 * house, piped water, a septic tank, internet and a TV. The members come
 * from each case; household() gives the places valid for the year. */
static const char base_household[] =
	"{'village':'Tổ 1','head_name':'Nguyễn Văn An',"
	" 'agri_household':false,'income_per_capita':3000000,'has_house':true,"
	" 'walls_durable':true,'frame_durable':true,'roof_durable':true,"
	" 'house_area_m2':100,'water_source':'piped','latrine':'septic',"
	" 'internet_use':true,'info_devices':['tv'],'support_received':[],"
	" 'poverty_causes':[]}";

/* One member: in_school and undernourished -1 when not given. */
typedef struct mspec {
	const char *sex;
	int age;            /* in 2025: birth_year = 2025 - age */
	const char *employment;
	const char *education;
	int insured, in_school, disability, undernourished;
} mspec;

/* Two adults deprived on nothing: working age, contract, upper secondary,
 * insured; in_school and undernourished are not asked at their ages. */
#define HEAD   {"male", 45, "contract", "upper_secondary", 1, -1, 0, -1}
#define SPOUSE {"female", 43, "contract", "upper_secondary", 1, -1, 0, -1}
/* A child at school, insured, not undernourished. */
#define CHILD(a) {"female", a, "not_working", "primary", 1, 1, 0, 0}

static json_t *member(const mspec *m, int year)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:b, s:s, s:s, s:b}",
	                      "name", "Thành viên", "sex", m->sex,
	                      "birth_year", (json_int_t)(year - m->age),
	                      "relation", "other", "health_insurance", m->insured,
	                      "employment", m->employment, "education", m->education,
	                      "disability", m->disability);

	assert_non_null(o);
	if (m->in_school >= 0)
		json_object_set_new(o, "in_school", json_boolean(m->in_school));
	if (m->undernourished >= 0)
		json_object_set_new(o, "undernourished", json_boolean(m->undernourished));
	return o;
}

static json_t *household(const char *patch, const mspec *ms, size_t n, int year)
{
	json_t *h = J(base_household), *arr = json_array();
	size_t i;

	json_object_set_new(h, "survey_year", json_integer(year));
	/* Xã Cúc Phương (rural): in district 372 until 2025-06-30, then in the
	 * province, which has no districts (tests/data/units). */
	json_object_set_new(h, "province", json_string("37"));
	json_object_set_new(h, "commune", json_string("14404"));
	if (year <= 2024)
		json_object_set_new(h, "district", json_string("372"));
	if (patch) {
		json_t *p = J(patch);

		json_object_update(h, p);
		json_decref(p);
	}
	/* Member 1 is the head, and only member 1 (form 2026.2). */
	for (i = 0; i < n && ms[i].sex; i++) {
		json_t *m = member(&ms[i], year);

		if (i == 0)
			json_object_set_new(m, "relation", json_string("head"));
		json_array_append_new(arr, m);
	}
	json_object_set_new(h, "members", arr);
	return h;
}

static const struct hcase {
	const char *why;    /* the reasoning from the domain page */
	const char *patch;  /* laid over base_household */
	mspec m[6];         /* the members, ended by {NULL} */
	const char *expect; /* fields of the result; null: absent */
} hcases[] = {
	/* 4 health insurance: "at least one member aged 6 or over has none" */
	{"hi: an uninsured child of 5 is under 6: not deprived", NULL,
	 {HEAD, SPOUSE, {"female", 5, "not_working", "none", 0, 1, 0, 0}},
	 "{'d_health_insurance':0,'deprivation_count':0,'classification':'not_poor'}"},
	{"hi: an uninsured child of 6 is 6 or over: deprived", NULL,
	 {HEAD, SPOUSE, {"female", 6, "not_working", "none", 0, 1, 0, 0}},
	 "{'d_health_insurance':1,'deprivation_count':1,'classification':'not_poor'}"},
	{"hi: an uninsured adult: deprived", NULL,
	 {HEAD, {"female", 43, "contract", "upper_secondary", 0, -1, 0, -1}},
	 "{'d_health_insurance':1,'deprivation_count':1}"},

	/* 5 adult education: 16-17 need lower secondary or studying, 18-30
	 * upper secondary or vocational/college/university, or studying */
	{"ae: 15 is below 16, not counted; but 15 < 16 out of school is child "
	 "schooling", NULL,
	 {HEAD, SPOUSE, {"male", 15, "not_working", "primary", 1, 0, 0, 0}},
	 "{'d_adult_education':0,'d_child_school':1,'deprivation_count':1}"},
	{"ae: 16 with primary only, not studying: deprived; 16 is not a child "
	 "for schooling, and undernourished is not asked at 16", NULL,
	 {HEAD, SPOUSE, {"male", 16, "not_working", "primary", 1, 0, 0, -1}},
	 "{'d_adult_education':1,'d_child_school':0,'deprivation_count':1,"
	 " 'members.2.in_school':false,'members.2.undernourished':null}"},
	{"ae: 16 with primary, studying: not deprived; education is asked from 16", NULL,
	 {HEAD, SPOUSE, {"male", 16, "not_working", "primary", 1, 1, 0, -1}},
	 "{'d_adult_education':0,'deprivation_count':0,'members.2.education':'primary'}"},
	{"ae: 17 with lower secondary: has the certificate for 16-17", NULL,
	 {HEAD, SPOUSE, {"male", 17, "not_working", "lower_secondary", 1, 0, 0, -1}},
	 "{'d_adult_education':0,'deprivation_count':0}"},
	{"ae: 18 with lower secondary only, not studying: 18-30 needs upper "
	 "secondary: deprived", NULL,
	 {HEAD, SPOUSE, {"male", 18, "contract", "lower_secondary", 1, 0, 0, -1}},
	 "{'d_adult_education':1,'deprivation_count':1}"},
	{"ae: 18 with a vocational qualification: satisfies 18-30", NULL,
	 {HEAD, SPOUSE, {"male", 18, "contract", "vocational", 1, 0, 0, -1}},
	 "{'d_adult_education':0,'deprivation_count':0}"},
	{"ae: 30 with primary, not studying: 30 is in 18-30: deprived", NULL,
	 {HEAD, SPOUSE, {"male", 30, "contract", "primary", 1, 0, 0, -1}},
	 "{'d_adult_education':1,'deprivation_count':1}"},
	{"ae: 31 with primary: past 30, not counted; in_school is not asked at 31 "
	 "and its answer is cleared", NULL,
	 {HEAD, SPOUSE, {"male", 31, "contract", "primary", 1, 0, 0, -1}},
	 "{'d_adult_education':0,'deprivation_count':0,'members.2.in_school':null}"},

	/* 6 children's schooling: 3 <= age < 16 not attending school */
	{"cs: 2 is under 3: not counted; in_school cleared", NULL,
	 {HEAD, SPOUSE, {"female", 2, "not_working", "none", 1, 0, 0, 0}},
	 "{'d_child_school':0,'deprivation_count':0,'members.2.in_school':null,"
	 " 'members.2.undernourished':false}"},
	{"cs: 3 not at school: deprived", NULL,
	 {HEAD, SPOUSE, {"female", 3, "not_working", "none", 1, 0, 0, 0}},
	 "{'d_child_school':1,'deprivation_count':1}"},
	{"cs: 15 at school: not deprived", NULL,
	 {HEAD, SPOUSE, {"female", 15, "not_working", "primary", 1, 1, 0, 0}},
	 "{'d_child_school':0,'deprivation_count':0}"},
	{"cs: 16 not at school with lower secondary: 16 is not < 16, and lower "
	 "secondary satisfies 16-17", NULL,
	 {HEAD, SPOUSE, {"female", 16, "not_working", "lower_secondary", 1, 0, 0, -1}},
	 "{'d_child_school':0,'d_adult_education':0,'deprivation_count':0}"},

	/* 1 employment: a working-age member unemployed or without a contract;
	 * working age 15..60 men, 15..55 women, both ends included */
	{"emp: 14 unemployed is under working age; employment is not asked under 15 "
	 "(working_age_min) nor education under 16: both answers are cleared", NULL,
	 {HEAD, SPOUSE, {"male", 14, "unemployed", "primary", 1, 1, 0, 0}},
	 "{'d_employment':0,'deprivation_count':0,'members.2.employment':null,"
	 " 'members.2.education':null,'members.0.employment':'contract'}"},
	{"emp: 15 unemployed is of working age: deprived; education is still not asked",
	 NULL, {HEAD, SPOUSE, {"male", 15, "unemployed", "primary", 1, 1, 0, 0}},
	 "{'d_employment':1,'deprivation_count':1,'members.2.working_age':1,"
	 " 'members.2.employment':'unemployed','members.2.education':null}"},
	{"emp: a man of 60 without a contract is of working age: deprived", NULL,
	 {HEAD, SPOUSE, {"male", 60, "no_contract", "upper_secondary", 1, -1, 0, -1}},
	 "{'d_employment':1,'d_dependants':0,'deprivation_count':1}"},
	{"emp: a man of 61 is past working age; he is a dependant, 1 of 3 is not "
	 "more than half", NULL,
	 {HEAD, SPOUSE, {"male", 61, "no_contract", "upper_secondary", 1, -1, 0, -1}},
	 "{'d_employment':0,'d_dependants':0,'dependant_count':1,'deprivation_count':0,"
	 " 'members.2.working_age':0,'members.2.dependant':1}"},
	{"emp: a woman of 55 unemployed is of working age: deprived", NULL,
	 {HEAD, SPOUSE, {"female", 55, "unemployed", "upper_secondary", 1, -1, 0, -1}},
	 "{'d_employment':1,'deprivation_count':1}"},
	{"emp: a woman of 56 is past working age", NULL,
	 {HEAD, SPOUSE, {"female", 56, "unemployed", "upper_secondary", 1, -1, 0, -1}},
	 "{'d_employment':0,'deprivation_count':0,'members.2.dependant':1}"},
	{"emp: self-employed and not working are not deprivations", NULL,
	 {{"male", 45, "self_employed", "upper_secondary", 1, -1, 0, -1},
	  {"female", 43, "not_working", "upper_secondary", 1, -1, 0, -1}},
	 "{'d_employment':0,'deprivation_count':0}"},

	/* 2 dependants: more than 50% of members */
	{"dep: 2 children of 4 members is exactly half, not more", NULL,
	 {HEAD, SPOUSE, CHILD(5), CHILD(8)},
	 "{'d_dependants':0,'dependant_count':2,'member_count':4,'deprivation_count':0}"},
	{"dep: 3 children of 5 members is more than half", NULL,
	 {HEAD, SPOUSE, CHILD(5), CHILD(8), CHILD(12)},
	 "{'d_dependants':1,'dependant_count':3,'deprivation_count':1}"},
	{"dep: a severely disabled adult counts: 2 of 3", NULL,
	 {HEAD, {"female", 43, "not_working", "upper_secondary", 1, -1, 1, -1}, CHILD(8)},
	 "{'d_dependants':1,'dependant_count':2,'deprivation_count':1}"},
	{"dep: a woman of 56, a man of 61 and a child are 3 of 5", NULL,
	 {HEAD, SPOUSE, {"female", 56, "not_working", "primary", 1, -1, 0, -1},
	  {"male", 61, "not_working", "primary", 1, -1, 0, -1}, CHILD(8)},
	 "{'d_dependants':1,'dependant_count':3,'deprivation_count':1}"},

	/* 8 housing area: area / members < 8 */
	{"area: 15.99 m2 for 2 is 7.995 per person, under 8: deprived",
	 "{'house_area_m2':15.99}", {HEAD, SPOUSE},
	 "{'d_housing_area':1,'area_per_person':7.995,'deprivation_count':1}"},
	{"area: 16 m2 for 2 is exactly 8: not deprived",
	 "{'house_area_m2':16}", {HEAD, SPOUSE},
	 "{'d_housing_area':0,'area_per_person':8,'deprivation_count':0}"},

	/* 7 housing quality: no house, or at least 2 of 3 structures not durable */
	{"hq: 1 of 3 not durable: not deprived", "{'walls_durable':false}",
	 {HEAD, SPOUSE}, "{'d_housing_quality':0,'deprivation_count':0}"},
	{"hq: 2 of 3 not durable: deprived",
	 "{'walls_durable':false,'roof_durable':false}",
	 {HEAD, SPOUSE}, "{'d_housing_quality':1,'deprivation_count':1}"},
	{"hq: no house: deprived; the structure and area answers are cleared, "
	 "and no house counts as under 8 m2 per person (UNCONFIRMED)",
	 "{'has_house':false,'house_area_m2':-5}", {HEAD, SPOUSE},
	 "{'d_housing_quality':1,'d_housing_area':1,'deprivation_count':2,"
	 " 'walls_durable':null,'house_area_m2':null}"},

	/* 9-12 water, latrine, telecom, devices */
	{"water: rainwater is clean", "{'water_source':'rainwater'}", {HEAD, SPOUSE},
	 "{'d_water':0,'deprivation_count':0}"},
	{"water: a protected dug well is clean", "{'water_source':'protected_dug_well'}",
	 {HEAD, SPOUSE}, "{'d_water':0}"},
	{"water: an unprotected well is not", "{'water_source':'unprotected_well'}",
	 {HEAD, SPOUSE}, "{'d_water':1,'deprivation_count':1}"},
	{"latrine: a ventilated improved pit is hygienic", "{'latrine':'ventilated_pit'}",
	 {HEAD, SPOUSE}, "{'d_latrine':0}"},
	{"latrine: a simple pit is not", "{'latrine':'simple_pit'}", {HEAD, SPOUSE},
	 "{'d_latrine':1,'deprivation_count':1}"},
	{"latrine: none", "{'latrine':'none'}", {HEAD, SPOUSE}, "{'d_latrine':1}"},
	{"telecom: nobody uses internet", "{'internet_use':false}", {HEAD, SPOUSE},
	 "{'d_telecom':1,'deprivation_count':1}"},
	{"devices: none of them", "{'info_devices':[]}", {HEAD, SPOUSE},
	 "{'d_info_devices':1,'deprivation_count':1}"},
	{"devices: a smartphone is enough", "{'info_devices':['smartphone']}",
	 {HEAD, SPOUSE}, "{'d_info_devices':0}"},

	/* 3 nutrition: a child under 16 stunted or underweight */
	{"nut: an undernourished child of 15: deprived", NULL,
	 {HEAD, SPOUSE, {"female", 15, "not_working", "lower_secondary", 1, 1, 0, 1}},
	 "{'d_nutrition':1,'deprivation_count':1}"},
	{"nut: 16 is not a child: the answer is cleared, not deprived", NULL,
	 {HEAD, SPOUSE, {"female", 16, "not_working", "lower_secondary", 1, 1, 0, 1}},
	 "{'d_nutrition':0,'deprivation_count':0,'members.2.undernourished':null}"},

	/* classification: income <= line: poor with >= 3 deprivations, else
	 * near-poor; line < income <= upper bound: average for farming
	 * households only; otherwise not poor */
	{"cls: rural exactly at 1,500,000 is under the line; 0 deprivations: near-poor",
	 "{'income_per_capita':1500000}", {HEAD, SPOUSE},
	 "{'income_line':1500000,'classification':'near_poor'}"},
	{"cls: rural one dong above the line, not farming: not poor",
	 "{'income_per_capita':1500001}", {HEAD, SPOUSE},
	 "{'classification':'not_poor'}"},
	{"cls: rural one dong above the line, farming: average",
	 "{'income_per_capita':1500001,'agri_household':true}", {HEAD, SPOUSE},
	 "{'classification':'average'}"},
	{"cls: urban exactly at 2,000,000: near-poor",
	 "{'commune':'14329','income_per_capita':2000000}", {HEAD, SPOUSE},
	 "{'income_line':2000000,'classification':'near_poor'}"},
	{"cls: urban one dong above, not farming: not poor",
	 "{'commune':'14329','income_per_capita':2000001}", {HEAD, SPOUSE},
	 "{'classification':'not_poor'}"},
	{"cls: urban one dong above, farming: average",
	 "{'commune':'14329','income_per_capita':2000001,'agri_household':true}",
	 {HEAD, SPOUSE}, "{'classification':'average'}"},
	{"cls: urban at the line and farming is still near-poor, not average",
	 "{'commune':'14329','income_per_capita':2000000,'agri_household':true}",
	 {HEAD, SPOUSE}, "{'classification':'near_poor'}"},
	{"cls: 1,500,001 is above the rural line but under the urban 2,000,000: "
	 "urban near-poor",
	 "{'commune':'14329','income_per_capita':1500001}", {HEAD, SPOUSE},
	 "{'classification':'near_poor'}"},
	{"cls: 2 deprivations (latrine, telecom) under the line: near-poor",
	 "{'income_per_capita':1500000,'latrine':'simple_pit','internet_use':false}",
	 {HEAD, SPOUSE}, "{'deprivation_count':2,'classification':'near_poor'}"},
	{"cls: 3 deprivations (+ water) under the line: poor",
	 "{'income_per_capita':1500000,'latrine':'simple_pit','internet_use':false,"
	 " 'water_source':'surface_water'}",
	 {HEAD, SPOUSE}, "{'deprivation_count':3,'classification':'poor'}"},
	{"cls: urban, 3 deprivations at 2,000,000: poor",
	 "{'commune':'14329','income_per_capita':2000000,'latrine':'simple_pit',"
	 " 'internet_use':false,'water_source':'surface_water'}",
	 {HEAD, SPOUSE}, "{'deprivation_count':3,'classification':'poor'}"},
	{"cls: 3 deprivations above the line are not poverty: not poor",
	 "{'income_per_capita':2000000,'latrine':'simple_pit','internet_use':false,"
	 " 'water_source':'surface_water'}",
	 {HEAD, SPOUSE}, "{'deprivation_count':3,'classification':'not_poor'}"},
	{"avg: rural farming at the upper bound 2,250,000: average",
	 "{'income_per_capita':2250000,'agri_household':true}", {HEAD, SPOUSE},
	 "{'average_upper':2250000,'classification':'average'}"},
	{"avg: rural farming one dong above 2,250,000: not poor",
	 "{'income_per_capita':2250001,'agri_household':true}", {HEAD, SPOUSE},
	 "{'classification':'not_poor'}"},
	{"avg: rural non-farming at 2,250,000: average is for farming only",
	 "{'income_per_capita':2250000}", {HEAD, SPOUSE},
	 "{'classification':'not_poor'}"},
	{"avg: urban farming at the upper bound 3,000,000: average",
	 "{'commune':'14329','income_per_capita':3000000,'agri_household':true}",
	 {HEAD, SPOUSE}, "{'average_upper':3000000,'classification':'average'}"},
	{"avg: urban farming one dong above 3,000,000: not poor",
	 "{'commune':'14329','income_per_capita':3000001,'agri_household':true}",
	 {HEAD, SPOUSE}, "{'classification':'not_poor'}"},
	{"avg: urban non-farming at 3,000,000: not poor",
	 "{'commune':'14329','income_per_capita':3000000}", {HEAD, SPOUSE},
	 "{'classification':'not_poor'}"},

	/* the head is member 1: head_name is computed from its name */
	{"head: head_name is member 1's name, not what was sent", NULL, {HEAD, SPOUSE},
	 "{'head_name':'Thành viên','members.0.relation':'head'}"},

	/* causes of poverty: asked of poor and near-poor households only */
	{"causes: a poor household's are kept",
	 "{'income_per_capita':1500000,'latrine':'simple_pit','internet_use':false,"
	 " 'water_source':'surface_water','poverty_causes':['no_capital','illness']}",
	 {HEAD, SPOUSE}, "{'classification':'poor','poverty_causes':['no_capital','illness']}"},
	{"causes: a near-poor household's are kept",
	 "{'income_per_capita':1500000,'poverty_causes':['illness']}", {HEAD, SPOUSE},
	 "{'classification':'near_poor','poverty_causes':['illness']}"},
	{"causes: an average household is not asked: cleared",
	 "{'income_per_capita':1500001,'agri_household':true,'poverty_causes':['no_land']}",
	 {HEAD, SPOUSE}, "{'classification':'average','poverty_causes':null}"},
	{"causes: a household not poor is not asked: cleared; support is asked of all",
	 "{'poverty_causes':['illness'],'support_received':['credit']}", {HEAD, SPOUSE},
	 "{'classification':'not_poor','poverty_causes':null,'support_received':['credit']}"},

	/* warnings: income above ten times the area's line, floor area above
	 * 500 m2 a member; the confirmation is kept while the warning stands,
	 * and never required */
	{"warn: rural 15,000,001 is above ten times 1,500,000: confirmed",
	 "{'income_per_capita':15000001,'income_confirmed':true}", {HEAD, SPOUSE},
	 "{'income_confirmed':true,'classification':'not_poor'}"},
	{"warn: rural 15,000,000 is ten times the line, no more: the confirmation is cleared",
	 "{'income_per_capita':15000000,'income_confirmed':true}", {HEAD, SPOUSE},
	 "{'income_per_capita':15000000,'income_confirmed':null}"},
	{"warn: urban 20,000,000 is ten times its line: cleared",
	 "{'commune':'14329','income_per_capita':20000000,'income_confirmed':true}",
	 {HEAD, SPOUSE}, "{'income_line':2000000,'income_confirmed':null}"},
	{"warn: urban 20,000,001: confirmed",
	 "{'commune':'14329','income_per_capita':20000001,'income_confirmed':false}",
	 {HEAD, SPOUSE}, "{'income_confirmed':false}"},
	{"warn: soft: 50,000,000 without a confirmation is accepted",
	 "{'income_per_capita':50000000}", {HEAD, SPOUSE},
	 "{'income_per_capita':50000000,'income_confirmed':null}"},
	{"warn: 1,000 m2 for 2 members is 500 each: cleared",
	 "{'house_area_m2':1000,'house_area_confirmed':true}", {HEAD, SPOUSE},
	 "{'house_area_m2':1000,'house_area_confirmed':null}"},
	{"warn: 501 m2 for 1 member: confirmed",
	 "{'house_area_m2':501,'house_area_confirmed':true}", {HEAD},
	 "{'house_area_m2':501,'house_area_confirmed':true,'member_count':1}"},
	{"warn: no house: the area and its confirmation are cleared",
	 "{'has_house':false,'house_area_m2':900,'house_area_confirmed':true}", {HEAD},
	 "{'house_area_m2':null,'house_area_confirmed':null}"},
};

static void test_household_boundaries(void **st)
{
	state *s = *st;
	size_t i;

	for (i = 0; i < sizeof hcases / sizeof *hcases; i++) {
		const struct hcase *c = &hcases[i];
		char err[256];
		json_t *h = household(c->patch, c->m, 6, 2025), *out = NULL, *want;
		int rc = saola__form_process(s->household, h, &params, NULL, &out,
		                             err, sizeof err);

		if (rc != SAOLA_OK)
			fail_msg("%s: rc %d: %s", c->why, rc, err);
		want = J(c->expect);
		check_subset(c->why, out, want);
		json_decref(want);
		json_decref(out);
		json_decref(h);
	}
}

/* The example of shared/domain/household-record.md, without its district
 * 372: from 1 July 2025 there are no districts, and the 2025 review names
 * the new units; area follows the commune (a xã: rural). */
static const char example[] =
	"{'province':'37','commune':'14404','village':'Thôn Đồng Tâm',"
	" 'survey_year':2025,'head_name':'Đinh Văn Hùng',"
	" 'agri_household':true,'income_per_capita':1350000,'has_house':true,"
	" 'walls_durable':true,'frame_durable':false,'roof_durable':false,"
	" 'house_area_m2':30,'water_source':'protected_dug_well','latrine':'simple_pit',"
	" 'internet_use':false,'info_devices':['radio'],'support_received':['health_insurance'],"
	" 'poverty_causes':['no_capital','illness'],"
	" 'members':["
	"  {'name':'Đinh Văn Hùng','sex':'male','birth_year':1971,'relation':'head','health_insurance':true,'employment':'self_employed','education':'lower_secondary','in_school':false,'disability':false,'undernourished':false},"
	"  {'name':'Bùi Thị Lan','sex':'female','birth_year':1975,'relation':'spouse','health_insurance':false,'employment':'no_contract','education':'primary','in_school':false,'disability':false,'undernourished':false},"
	"  {'name':'Đinh Thị Mai','sex':'female','birth_year':2015,'relation':'child','health_insurance':true,'employment':'not_working','education':'primary','in_school':true,'disability':false,'undernourished':true}]}";

/* Housing quality (frame and roof not durable: 2 of 3), latrine (simple
 * pit), telecom (no internet), health insurance (the spouse, 50), employment
 * (the spouse, 50 <= 55, no contract), nutrition (the child, 10, stunted):
 * 6. Not: dependants (the child only, 1 of 3), adult education (nobody is
 * 16-30), schooling (the child is at school), area (30 / 3 = 10 m2), water
 * (a protected dug well), devices (a radio). Income 1,350,000 <= 1,500,000
 * and 6 >= 3: poor. The head (54) and spouse (50) are not asked in_school
 * or undernourished, nor the child (10) employment (from 15) or education
 * (from 16): those answers are cleared. A poor household is asked its
 * causes: kept. head_name is member 1's name. */
static void test_household_example(void **st)
{
	state *s = *st;
	char err[256];
	json_t *h = J(example), *out = NULL, *want;
	int rc = saola__form_process(s->household, h, &params, NULL, &out, err,
	                             sizeof err);

	if (rc != SAOLA_OK)
		fail_msg("example: %s", err);
	want = J("{'d_employment':1,'d_dependants':0,'d_nutrition':1,"
	         " 'd_health_insurance':1,'d_adult_education':0,'d_child_school':0,"
	         " 'd_housing_quality':1,'d_housing_area':0,'d_water':0,'d_latrine':1,"
	         " 'd_telecom':1,'d_info_devices':0,'deprivation_count':6,"
	         " 'classification':'poor','area_per_person':10,'member_count':3,"
	         " 'members.0.age':54,'members.1.age':50,'members.2.age':10,"
	         " 'members.0.in_school':null,'members.0.undernourished':null,"
	         " 'members.1.in_school':null,'members.2.in_school':true,"
	         " 'members.2.undernourished':true,'members.1.m_employment':1,"
	         " 'members.1.m_health_insurance':1,'head_name':'Đinh Văn Hùng',"
	         " 'members.0.name':'Đinh Văn Hùng','survey_year':2025,"
	         " 'members.2.employment':null,'members.2.education':null,"
	         " 'members.1.employment':'no_contract','members.1.education':'primary',"
	         " 'poverty_causes':['no_capital','illness'],'income_confirmed':null}");
	check_subset("example", out, want);
	json_decref(want);
	assert_int_equal(json_array_size(json_object_get(out, "members")), 3);
	json_decref(out);
	json_decref(h);
}

/* The standard is data: the same household, surveyed in 2026, falls under
 * the draft's 2,200,000 rural line. 1,800,000 in 2025 is above 1,500,000 and
 * within the farming band (<= 2,250,000): average; in 2026 it is under the
 * line with 3 deprivations (water, latrine, telecom): poor. The members are
 * 45 and 43 in both years, so nothing else moves. */
static void test_standard_switch(void **st)
{
	state *s = *st;
	static const mspec ms[] = {HEAD, SPOUSE, {NULL}};
	static const struct {
		int year;
		int rc;
		const char *cls;
	} cases[] = {
		{2025, SAOLA_OK, "average"},
		{2026, SAOLA_OK, "poor"},
		{2030, SAOLA_OK, "poor"},
		{2031, SAOLA_NOTFOUND, NULL},
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		char err[256];
		json_t *h = household("{'income_per_capita':1800000,'agri_household':true,"
		                      " 'water_source':'surface_water','latrine':'none',"
		                      " 'internet_use':false}", ms, 2, cases[i].year);
		json_t *out = NULL;
		int rc = saola__form_process(s->household, h, &params, NULL, &out,
		                             err, sizeof err);

		assert_int_equal(rc, cases[i].rc);
		if (rc == SAOLA_OK) {
			assert_int_equal(json_integer_value(json_object_get(out, "deprivation_count")), 3);
			assert_string_equal(json_string_value(json_object_get(out, "classification")),
			                    cases[i].cls);
			json_decref(out);
		} else {
			assert_string_equal(err, "survey_year: no standard vn-poverty covers 2031");
		}
		json_decref(h);
	}
}

/* Refusals on the household form, with the exact path. */
static void test_household_errors(void **st)
{
	state *s = *st;
	static const mspec two[] = {HEAD, SPOUSE, {NULL}};
	static const struct {
		const char *patch;
		const char *members;   /* replaces the members when set */
		int rc;
		const char *err;
	} cases[] = {
		{"{'survey_year':1999}", NULL, SAOLA_INVALID,
		 "survey_year: constraint failed: must be between 2000 and 2100"},
		{"{'income_per_capita':-1}", NULL, SAOLA_INVALID,
		 "income_per_capita: constraint failed: must be between 0 and 100,000,000 VND "
		 "per person per month"},
		{"{'income_per_capita':null}", NULL, SAOLA_INVALID, "income_per_capita: required"},
		{"{'house_area_m2':0}", NULL, SAOLA_INVALID,
		 "house_area_m2: constraint failed: must be between 1 and 1,000 m²"},
		{"{'walls_durable':null}", NULL, SAOLA_INVALID, "walls_durable: required"},
		{"{'commune':'99999'}", NULL, SAOLA_INVALID,
		 "unit.commune: 99999 is not a commune valid in 2025 (schemas/units)"},
		{"{'district':'372'}", NULL, SAOLA_INVALID,
		 "unit.district: 2025 has no districts: leave district empty"},
		{"{'foo':1}", NULL, SAOLA_INVALID, "foo: unknown field"},
		{"{'info_devices':['tv','tv']}", NULL, SAOLA_INVALID,
		 "info_devices: \"tv\" is selected twice"},
		{"{'survey_year':2025.5}", NULL, SAOLA_INVALID,
		 "survey_year: expected integer, got 2025.5"},
		{"{'survey_year':null}", NULL, SAOLA_NOTFOUND,
		 "survey_year: no answer, so no standard vn-poverty can be picked"},
		{NULL, "[]", SAOLA_INVALID, "members: required"},
		{NULL, "[{'name':'A','sex':'male','birth_year':1980,'relation':'head',"
		 "'health_insurance':true,'employment':'contract','education':'primary',"
		 "'disability':false},{'name':'B','sex':'male','birth_year':1980,"
		 "'relation':'head','health_insurance':true,'employment':'contract',"
		 "'education':'primary','disability':false},{'name':'C','sex':'male',"
		 "'birth_year':'abc'}]", SAOLA_INVALID,
		 "members[2].birth_year: expected integer, got \"abc\""},
		{NULL, "[{'name':'A','sex':'male','birth_year':2026,'relation':'head',"
		 "'health_insurance':true,'employment':'contract','education':'primary',"
		 "'disability':false}]", SAOLA_INVALID,
		 "members[0].birth_year: constraint failed: must be at most the survey "
		 "year and at least 120 years before it"},
		{NULL, "[{'name':'A','sex':'male','birth_year':1904,'relation':'head',"
		 "'health_insurance':true,'employment':'contract','education':'primary',"
		 "'disability':false}]", SAOLA_INVALID,
		 "members[0].birth_year: constraint failed: must be at most the survey "
		 "year and at least 120 years before it"},
		{NULL, "[{'name':'A','sex':'male','birth_year':1980,'relation':'head',"
		 "'health_insurance':true,'employment':'contract','education':'primary',"
		 "'disability':false},{'name':'K','sex':'female','birth_year':2018,"
		 "'relation':'child','health_insurance':true,'employment':'not_working',"
		 "'education':'none','disability':false,'undernourished':false}]",
		 SAOLA_INVALID, "members[1].in_school: required"},
		{NULL, "[{'name':'A','sex':'male','birth_year':1980,'relation':'spouse',"
		 "'health_insurance':true,'employment':'contract','education':'primary',"
		 "'disability':false},{'name':'B','sex':'female','birth_year':1980,"
		 "'relation':'head','health_insurance':true,'employment':'contract',"
		 "'education':'primary','disability':false}]", SAOLA_INVALID,
		 "members[0].relation: constraint failed: member 1 is the head; a household "
		 "has exactly one head"},
		{NULL, "[{'name':'A','sex':'male','birth_year':1980,'relation':'head',"
		 "'health_insurance':true,'employment':'contract','education':'primary',"
		 "'disability':false},{'name':'B','sex':'female','birth_year':1980,"
		 "'relation':'head','health_insurance':true,'employment':'contract',"
		 "'education':'primary','disability':false}]", SAOLA_INVALID,
		 "members[1].relation: constraint failed: member 1 is the head; a household "
		 "has exactly one head"},
		{NULL, "[{'name':'A','sex':'male','birth_year':1980,'relation':'boss',"
		 "'health_insurance':true,'employment':'contract','education':'primary',"
		 "'disability':false}]", SAOLA_INVALID,
		 "members[0].relation: \"boss\" is not a choice of list relation"},
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		char err[256];
		json_t *h = household(cases[i].patch, two, 2, 2025), *out = NULL;
		int rc;

		if (cases[i].members)
			json_object_set_new(h, "members", J(cases[i].members));
		rc = saola__form_process(s->household, h, &params, NULL, &out, err,
		                         sizeof err);
		if (rc != cases[i].rc || strcmp(err, cases[i].err) != 0)
			fail_msg("case %zu: rc %d \"%s\", expected %d \"%s\"", i, rc, err,
			         cases[i].rc, cases[i].err);
		assert_null(out);
		json_decref(h);
	}
}

/* Places: the codes are units of their level valid for the survey year
 * (its review day, 11-01), each inside the one above; a year without
 * districts takes none; area follows the commune (tests/data/units). */
static void test_household_places(void **st)
{
	state *s = *st;
	static const mspec two[] = {HEAD, SPOUSE, {NULL}};
	static const struct {
		int year;
		const char *patch;
		const char *area;  /* NULL: refused with err */
		const char *err;
	} cases[] = {
		{2024, "{}", "rural", NULL},
		{2021, "{}", "rural", NULL},
		{2024, "{'commune':'14401'}", "urban", NULL},
		{2024, "{'district':'369','commune':'14320'}", "urban", NULL},
		{2024, "{'commune':'14320'}", NULL,
		 "unit.commune: 14320 Phường Đông Thành lies in district 369 Thành phố Ninh Bình,"
		 " not 372"},
		{2024, "{'commune':'14329'}", NULL,
		 "unit.commune: 14329 is not a commune valid in 2024 (schemas/units)"},
		{2024, "{'commune':'372'}", NULL,
		 "unit.commune: 372 is not a commune valid in 2024 (schemas/units)"},
		{2024, "{'district':'375'}", NULL,
		 "unit.district: 375 is not a district valid in 2024 (schemas/units)"},
		{2024, "{'province':'36'}", NULL,
		 "unit.province: 36 is not a province valid in 2024 (schemas/units)"},
		{2024, "{'district':null}", NULL, "district: required"},
		{2025, "{}", "rural", NULL},
		{2026, "{'commune':'14329'}", "urban", NULL},
		{2025, "{'commune':'14320'}", NULL,
		 "unit.commune: 14320 is not a commune valid in 2025 (schemas/units)"},
		{2025, "{'district':'369'}", NULL,
		 "unit.district: 2025 has no districts: leave district empty"},
		{2025, "{'area':'urban'}", "rural", NULL}, /* computed: an answer is ignored */
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		char err[256] = "";
		json_t *h = household(cases[i].patch, two, 2, cases[i].year), *out = NULL;
		int rc = saola__form_process(s->household, h, &params, NULL, &out, err,
		                             sizeof err);

		if (cases[i].area) {
			if (rc != SAOLA_OK)
				fail_msg("case %zu: %s", i, err);
			assert_string_equal(json_string_value(json_object_get(out, "area")),
			                    cases[i].area);
			assert_int_equal(json_object_get(out, "district") != NULL,
			                 cases[i].year <= 2024);
		} else if (rc != SAOLA_INVALID || strcmp(err, cases[i].err) != 0) {
			fail_msg("case %zu: rc %d \"%s\", expected \"%s\"", i, rc, err, cases[i].err);
		}
		json_decref(out);
		json_decref(h);
	}
}

/* Without units (an old database) nothing is checked, a district is asked
 * in every year, and area cannot be computed. */
static void test_household_places_unknown(void **st)
{
	state *s = *st;
	static const mspec two[] = {HEAD, SPOUSE, {NULL}};
	json_t *h = household("{'commune':'99999','district':'999'}", two, 2, 2025), *out = NULL;
	char err[256];

	if (saola__form_process(s->household, h, &bare, NULL, &out, err, sizeof err) != SAOLA_OK)
		fail_msg("no units: %s", err);
	assert_string_equal(json_string_value(json_object_get(out, "district")), "999");
	assert_null(json_object_get(out, "area"));
	json_decref(out);
	json_object_del(h, "district");
	assert_int_equal(saola__form_process(s->household, h, &bare, NULL, &out, err, sizeof err),
	                 SAOLA_INVALID);
	assert_string_equal(err, "district: required");
	json_decref(h);
}

/* Numbers and identities: 2025.0 is stored as an integer, a member's _id
 * is kept, values sent for computed fields are replaced. */
static void test_household_values(void **st)
{
	state *s = *st;
	static const mspec two[] = {HEAD, SPOUSE, {NULL}};
	json_t *h = household("{'d_water':1,'classification':'poor'}", two, 2, 2025);
	json_t *out = NULL, *m0;
	char err[256];

	json_object_set_new(h, "survey_year", json_real(2025.0));
	m0 = json_array_get(json_object_get(h, "members"), 0);
	json_object_set_new(m0, "_id", json_string("a1b2"));
	json_object_set_new(m0, "age", json_integer(99));
	assert_int_equal(saola__form_process(s->household, h, &params, "2025-10-01",
	                                     &out, err, sizeof err), SAOLA_OK);
	assert_true(json_is_integer(json_object_get(out, "survey_year")));
	assert_int_equal(json_integer_value(json_object_get(out, "d_water")), 0);
	assert_string_equal(json_string_value(json_object_get(out, "classification")),
	                    "not_poor");
	m0 = json_array_get(json_object_get(out, "members"), 0);
	assert_string_equal(json_string_value(json_object_get(m0, "_id")), "a1b2");
	assert_int_equal(json_integer_value(json_object_get(m0, "age")), 45);
	json_decref(out);
	json_decref(h);
}

/* Every param() the shipped forms use is a parameter of every standard of
 * their family, and each standard says what it is. */
static int collect_param(void *ctx, const char *name)
{
	json_t *set = ctx;

	json_object_set_new(set, name, json_true());
	return 0;
}

static void collect_params(json_t *fields, json_t *set)
{
	static const char *const props[] = {"relevant", "constraint", "calculate",
	                                    "required", "warning"};
	json_t *fj;
	size_t i, k;

	json_array_foreach(fields, i, fj) {
		for (k = 0; k < sizeof props / sizeof *props; k++) {
			const char *src = json_string_value(json_object_get(fj, props[k]));
			saola__expr *e = NULL;
			char err[128];

			if (!src)
				continue;
			assert_int_equal(saola__expr_parse(src, &e, err, sizeof err), SAOLA_OK);
			saola__expr_params(e, collect_param, set);
			saola__expr_free(e);
		}
		if (json_object_get(fj, "fields"))
			collect_params(json_object_get(fj, "fields"), set);
	}
}

static void test_forms_params_exist(void **st)
{
	state *s = *st;
	saola__form *forms[] = {s->household, s->quick_id};
	size_t i, j;

	for (i = 0; i < 2; i++) {
		json_t *set = json_object(), *std;
		const char *name;
		json_t *v;

		collect_params(json_object_get(saola__form_def(forms[i]), "fields"), set);
		assert_true(json_object_size(set) > 0);
		json_array_foreach(standards, j, std) {
			assert_string_equal(json_string_value(json_object_get(std, "family")),
			                    saola__form_standard(forms[i]));
			assert_true(json_is_string(json_object_get(std, "id")));
			assert_true(json_is_string(json_object_get(std, "title")));
			assert_true(json_is_string(json_object_get(std, "source")));
			json_object_foreach(set, name, v)
				if (!json_object_get(json_object_get(std, "params"), name))
					fail_msg("%s: param('%s') is not in %s", saola__form_id(forms[i]),
					         name, json_string_value(json_object_get(std, "id")));
		}
		json_decref(set);
	}
}

/* The quick identification: any exclusion criterion rules the full survey
 * out. Salaries of 9,000,000 for 5 people are 1,800,000 each, above the
 * 1,500,000 rural line; 7,000,000 is 1,400,000 each, not above. */
static void test_quick_id(void **st)
{
	state *s = *st;
	static const struct {
		const char *patch;
		int needs;
	} cases[] = {
		{"{}", 1},
		{"{'salary_pension_total':7000000}", 1},
		{"{'salary_pension_total':7500000}", 1},  /* exactly the line: not above */
		{"{'salary_pension_total':7500005}", 0},
		{"{'has_car':true}", 0},
		{"{'house_durable':true,'house_area_m2':149}", 1}, /* 29.8 m2 each */
		{"{'house_durable':true,'house_area_m2':150}", 0}, /* 30 m2 each */
		{"{'house_durable':false,'house_area_m2':500}", 1}, /* not asked */
		{"{'high_value_assets':true}", 0},
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		char err[256];
		json_t *h = J("{'province':'37','district':'369','commune':'14347',"
		              " 'village':'Tổ 1','survey_year':2024,"
		              " 'head_name':'Trần Thị Bình','household_size':5,"
		              " 'listed_as':'request','salary_pension_total':0,"
		              " 'has_car':false,'house_durable':false,"
		              " 'high_value_assets':false}");
		json_t *p = J(cases[i].patch), *out = NULL;

		json_object_update(h, p);
		if (saola__form_process(s->quick_id, h, &params, NULL, &out, err,
		                        sizeof err) != SAOLA_OK)
			fail_msg("case %zu: %s", i, err);
		if (json_is_true(json_object_get(out, "needs_full_survey")) != cases[i].needs)
			fail_msg("case %zu: needs_full_survey is not %d", i, cases[i].needs);
		json_decref(out);
		json_decref(p);
		json_decref(h);
	}
}

/* Out of memory at every allocation in turn, through jansson's allocator
 * (which the engine uses for everything): compile and process either
 * succeed or say SAOLA_NOMEM, never anything else, and free what they took
 * (the sanitizers and valgrind check the leaks). */
static long alloc_budget = -1;

static void *failing_malloc(size_t size)
{
	if (alloc_budget == 0)
		return NULL;
	if (alloc_budget > 0)
		alloc_budget--;
	return malloc(size);
}

static void test_out_of_memory(void **st)
{
	char dir[512];
	json_t *def, *rec = J(example);
	long n;

	(void)st;
	snprintf(dir, sizeof dir, "%s/forms", SAOLA_TEST_SCHEMAS);
	def = load_file(dir, "household.json");
	for (n = 0; n < 100000; n++) {
		saola__form *f = NULL;
		json_t *out = NULL;
		char err[256] = "";
		int rc;

		alloc_budget = n;
		json_set_alloc_funcs(failing_malloc, free);
		rc = saola__form_compile(def, &f, err, sizeof err);
		if (rc == SAOLA_OK)
			rc = saola__form_process(f, rec, &params, NULL, &out, err, sizeof err);
		json_set_alloc_funcs(malloc, free);
		alloc_budget = -1;
		if (rc != SAOLA_OK && rc != SAOLA_NOMEM)
			fail_msg("after %ld allocations: rc %d: %s", n, rc, err);
		if (rc == SAOLA_NOMEM)
			assert_null(out);
		saola__form_free(f);
		if (rc == SAOLA_OK) {
			assert_string_equal(json_string_value(json_object_get(out, "classification")),
			                    "poor");
			json_decref(out);
			break;
		}
	}
	assert_true(n > 100); /* it did fail many times before succeeding */
	json_decref(def);
	json_decref(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_compile_bad_expression),
		cmocka_unit_test(test_accessors),
		cmocka_unit_test(test_personal),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_max_length),
		cmocka_unit_test(test_max_length_paths),
		cmocka_unit_test(test_repeat_constraint),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_warning_walk),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_household_boundaries),
		cmocka_unit_test(test_household_example),
		cmocka_unit_test(test_standard_switch),
		cmocka_unit_test(test_household_errors),
		cmocka_unit_test(test_household_places),
		cmocka_unit_test(test_household_places_unknown),
		cmocka_unit_test(test_household_values),
		cmocka_unit_test(test_forms_params_exist),
		cmocka_unit_test(test_quick_id),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
