/* test_expr.c: the form expression engine, one table row per expression,
 * then the interface (refs, params), the limits, and out-of-memory paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <saola/core.h>
#include "expr.h"

/* ------------------------------------------------------------------ */
/* The record, repeat and standard every case is evaluated against     */

static const char *const fields_json =
	"{\"age\": 34, \"age_str\": \"34\", \"sex\": \"male\","
	" \"name\": \"\xc4\x90inh V\xc4\x83n An\", \"empty\": null,"
	" \"income\": 1500000.5, \"has_house\": true, \"has_car\": false,"
	" \"water\": [\"tap\", \"well\"], \"water_none\": [],"
	" \"water_str\": \"tap  well\", \"water_source\": \"well\","
	" \"dob\": \"1990-05-17\", \"zero\": 0, \"hh_size\": 5, \"note\": \"\","
	" \"pi\": 3.14159}";

/* fields inside the repeat seen from outside it: one value per item */
static const char *const nodesets_json =
	"{\"members\": [{\"_id\": \"a\"}, {\"_id\": \"b\"}, {\"_id\": \"c\"},"
	"               {\"_id\": \"d\"}, {\"_id\": \"e\"}],"
	" \"member_age\": [34, 30, 12, 8, 70],"
	" \"member_sex\": [\"male\", \"female\", \"female\", \"male\", \"female\"],"
	" \"member_income\": [100, 200.5, 34],"
	" \"member_income_gap\": [100, null, 50],"
	" \"member_water\": [[\"well\", \"river\"], [\"tap\"]],"
	" \"nobody\": []}";

static const char *const params_json =
	"{\"working_age_min\": 15, \"working_age_max_male\": 60,"
	" \"working_age_max_female\": 55,"
	" \"clean_water_sources\": [\"tap\", \"well\", \"bottled\"],"
	" \"income_line_rural\": 1500000, \"region\": \"north\","
	" \"strict\": true}";

struct fixture {
	json_t *fields, *nodesets, *params;
	json_t *dot; /* the current value, or NULL for none */
};

static struct fixture fx;

static json_t *resolve(void *ctx, const char *name, int *nodeset)
{
	struct fixture *f = ctx;
	json_t *v;

	if (!strcmp(name, "."))
		return f->dot ? json_incref(f->dot) : NULL;
	if ((v = json_object_get(f->nodesets, name))) {
		*nodeset = 1;
		return json_incref(v);
	}
	return json_incref(json_object_get(f->fields, name));
}

static json_t *param(void *ctx, const char *name)
{
	struct fixture *f = ctx;

	return json_incref(json_object_get(f->params, name));
}

/* Units for unit_*(): two communes valid up to 2024, districts up to 2024. */
static int unit(void *ctx, const char *fn, const char *arg, json_int_t year, json_t **out)
{
	static const struct { const char *code, *name; int urban; } units[] = {
		{"14404", "Xã Cúc Phương", 0},
		{"14320", "Phường Đông Thành", 1},
	};
	size_t i;

	(void)ctx;
	*out = NULL;
	if (strcmp(fn, "level_exists") == 0)
		*out = json_integer(strcmp(arg, "district") != 0 || year <= 2024);
	for (i = 0; !*out && i < sizeof units / sizeof units[0]; i++)
		if (strcmp(arg, units[i].code) == 0 && year <= 2024)
			*out = strcmp(fn, "urban") == 0 ? json_integer(units[i].urban)
			                                : json_string(units[i].name);
	return SAOLA_OK;
}

/* position(..): the current item is the third member. */
static size_t position(void *ctx)
{
	(void)ctx;
	return 3;
}

/* indexed-repeat(): the fields of members are the nodesets "member_*", one
 * value per item. */
static json_t *indexed(void *ctx, const char *field, const char *repeat, size_t n)
{
	struct fixture *f = ctx;
	json_t *items = json_object_get(f->nodesets, field);

	if (strcmp(repeat, "members") != 0 || strncmp(field, "member_", 7) != 0 || !items)
		return NULL;
	return json_incref(n >= 1 && n <= json_array_size(items) ? json_array_get(items, n - 1)
	                                                         : json_null());
}

static const saola__expr_env env = {resolve, param, unit, &fx, "2025-03-15", position,
                                    indexed};

static json_t *load(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);

	if (!j)
		fail_msg("fixture: %s: %s", text, jerr.text);
	return j;
}

static int setup(void **state)
{
	(void)state;
	fx.fields = load(fields_json);
	fx.nodesets = load(nodesets_json);
	fx.params = load(params_json);
	fx.dot = json_integer(15);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	json_decref(fx.fields);
	json_decref(fx.nodesets);
	json_decref(fx.params);
	json_decref(fx.dot);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The table                                                           */

enum want { W_INT, W_REAL, W_STR, W_TRUE, W_FALSE, W_NULL, W_PARSE, W_EVAL };

struct ecase {
	const char *src;
	enum want want;
	double num;       /* W_INT, W_REAL */
	const char *text; /* W_STR: the string; W_PARSE: the exact message;
	                     W_EVAL: a part of the message */
	const char *dot;  /* JSON of the current value "." (default 15) */
};

#define INT(s, n)    {s, W_INT, n, NULL, NULL}
#define REAL(s, x)   {s, W_REAL, x, NULL, NULL}
#define STR(s, t)    {s, W_STR, 0, t, NULL}
#define YES(s)       {s, W_TRUE, 0, NULL, NULL}
#define NO(s)        {s, W_FALSE, 0, NULL, NULL}
#define NUL(s)       {s, W_NULL, 0, NULL, NULL}
#define PERR(s, msg) {s, W_PARSE, 0, msg, NULL}
#define EERR(s, msg) {s, W_EVAL, 0, msg, NULL}
#define DOT(s, dot, w, n) {s, w, n, NULL, dot}

#define DINH "\xc4\x90inh"             /* Đinh */
#define NAME DINH " V\xc4\x83n An"      /* Đinh Văn An */

static const struct ecase cases[] = {
	/* units */
	INT("unit_urban('14320', 2024)", 1),
	INT("unit_urban('14404', 2024)", 0),
	NUL("unit_urban('14404', 2025)"),
	NUL("unit_urban('99999', 2024)"),
	NUL("unit_urban('', 2024)"),
	NUL("unit_urban('14404', '')"),
	STR("if(unit_urban('14320', 2024), 'urban', 'rural')", "urban"),
	STR("if(unit_urban('14404', 2024) = 0, 'rural', '')", "rural"),
	STR("unit_name('14404', 2024)", "Xã Cúc Phương"),
	NUL("unit_name('14404', 2030)"),
	INT("unit_level_exists('district', 2024)", 1),
	INT("unit_level_exists('district', 2025)", 0),
	INT("unit_level_exists('commune', 2025)", 1),
	PERR("unit_urban('14404')", "column 1: unit_urban() takes 2 arguments, got 1"),
	/* literals */
	INT("42", 42),
	REAL("3.25", 3.25),
	REAL(".5", 0.5),
	INT("5.", 5),
	INT("007", 7),
	STR("'hello'", "hello"),
	STR("\"double\"", "double"),
	STR("\"it's\"", "it's"),
	NUL("''"),
	STR("'" NAME "'", NAME),
	INT("  7  ", 7),
	INT("\t1\n+\r2", 3),

	/* arithmetic */
	INT("1 + 2 * 3", 7),
	INT("(1 + 2) * 3", 9),
	INT("10 - 4 - 3", 3),
	INT("2 * 3 + 4 * 5", 26),
	REAL("7 div 2", 3.5),
	INT("7 mod 3", 1),
	INT("-7 mod 3", -1),
	INT("7 mod -3", 1),
	REAL("5.5 mod 2", 1.5),
	INT("100 div 10 div 5", 2),
	INT("-3", -3),
	INT("- 3 * 2", -6),
	INT("--3", 3),
	INT("3 - -2", 5),
	INT("-(2 + 3)", -5),
	INT("-${age}", -34),
	INT("${age} + 1", 35),
	INT("${age}-4", 30),
	INT("${age_str} * 2", 68),
	INT("1 - 2 + 3", 2),
	INT("2 * 3 mod 4", 2),
	INT("1+2+3+4+5+6+7+8+9+10", 55),
	INT("true() + true()", 2),
	INT("${has_house} + 1", 2),
	REAL("0.1 + 0.2", 0.30000000000000004),
	INT("2.5 * 4", 10),
	INT("${income} * 2", 3000001),
	REAL("${pi} * 2", 6.28318),

	/* division by zero and NaN, per XPath */
	NUL("1 div 0"),
	NUL("0 div 0"),
	NUL("5 mod 0"),
	YES("1 div 0 > 1000000000"),
	YES("-1 div 0 < 0"),
	STR("string(1 div 0)", "Infinity"),
	STR("string(-1 div 0)", "-Infinity"),
	STR("string(0 div 0)", "NaN"),
	YES("0 div 0 != 0 div 0"),
	NO("0 div 0 = 0 div 0"),
	NUL("${empty} + 1"),
	NUL("'abc' * 2"),
	NUL("${sex} - 1"),

	/* comparisons, with XPath's mixed types */
	YES("1 < 2"),
	NO("2 <= 1"),
	YES("2 >= 2"),
	YES("3 > 2.5"),
	YES("${sex} = 'male'"),
	NO("${sex} != 'male'"),
	YES("${age} = '34'"),
	YES("${age} = '34.0'"),
	NO("'34' = '34.0'"),
	YES("${age_str} = 34"),
	YES("${has_house} = 'false'"),   /* boolean('false') is true */
	NO("${has_car} = 'false'"),
	YES("${has_car} = ''"),
	YES("true() = 2"),               /* booleans before numbers */
	NO("false() = 2"),
	YES("${has_house} = 1"),
	YES("${empty} = ''"),
	NO("${empty} = 0"),
	YES("${empty} != 0"),
	NO("${empty} < 1"),
	NO("${empty} >= 0"),
	NO("'abc' < 'abd'"),             /* relations compare numbers */
	YES("'10' > '9'"),
	YES("${dob} < today()"),         /* ODK dates as days */
	NO("${dob} > '2000-01-01'"),
	YES("'2025-03-15' = today()"),
	YES("${note} = ${empty}"),
	YES("${water} = 'tap well'"),
	YES("1 = 1 = 1"),
	NO("3 > 2 > 1"),

	/* a nodeset against a value: true when some item matches */
	YES("${member_age} > 65"),
	NO("${member_age} > 70"),
	YES("${member_age} = 12"),
	YES("12 = ${member_age}"),
	YES("${member_sex} = 'female'"),
	YES("${member_sex} != 'female'"),
	NO("${nobody} = 0"),
	NO("${nobody} != 0"),
	YES("${member_age} = true()"),
	YES("${nobody} = false()"),
	YES("${member_age} = ${member_income}"),
	NO("${member_age} = ${nobody}"),
	YES("${member_water} = 'tap'"),

	/* and, or, not, with short-circuit */
	YES("1 and 'x'"),
	NO("1 and ''"),
	YES("0 or 2"),
	NO("0 or ''"),
	YES("not(0)"),
	NO("not(${has_house})"),
	NO("false() and ${nope}"),
	YES("true() or ${nope}"),
	EERR("true() and ${nope}", "${nope}: unknown field"),
	YES("1 = 1 and 2 = 2 or 0"),
	YES("0 and 0 or 1"),
	NO("0 and (0 or 1)"),
	YES("1 or 0 and 0"),
	YES("${age} >= 15 and ${age} <= 60"),
	NO("not(${water})"),
	YES("not(${water_none})"),
	YES("true()"),
	NO("false()"),
	YES("boolean(${member_age})"),
	NO("boolean(${nobody})"),
	NO("boolean(0 div 0)"),
	YES("boolean('false')"),
	NO("boolean(${empty})"),
	NO("boolean(0)"),

	/* if() */
	STR("if(${sex} = 'male', 'm', 'f')", "m"),
	INT("if(${age} > 60, 1, 0)", 0),
	INT("if(${empty}, 1, 2)", 2),
	INT("if(true(), 1, ${nope})", 1),
	EERR("if(false(), 1, ${nope})", "${nope}: unknown field"),
	INT("if(1, if(0, 1, 2), 3)", 2),
	YES("if(${sex}='male', ${age} >= param('working_age_min') and ${age} <= "
	    "param('working_age_max_male'), ${age} >= param('working_age_min') "
	    "and ${age} <= param('working_age_max_female'))"),

	/* selected(), count-selected() */
	YES("selected(${water}, 'well')"),
	NO("selected(${water}, 'river')"),
	YES("selected(${water_str}, 'well')"),
	YES("selected('a b c', 'b')"),
	NO("selected('abc', 'b')"),
	YES("selected(param('clean_water_sources'), 'bottled')"),
	NO("selected(${water_none}, 'tap')"),
	YES("selected(${water}, ' tap ')"),
	NO("selected(${empty}, '')"),
	YES("selected(${member_water}, 'river')"),
	INT("count-selected(${water})", 2),
	INT("count-selected(${water_str})", 2),
	INT("count-selected(${water_none})", 0),
	INT("count-selected('  a  b   c ')", 3),
	INT("count-selected(${empty})", 0),
	INT("if(selected(param('clean_water_sources'), ${water_source}), 0, 1)",
	    0),

	/* count(), sum(), min(), max() over a repeat */
	INT("count(${members})", 5),
	INT("count(${nobody})", 0),
	INT("count(${member_age})", 5),
	INT("sum(${member_age})", 154),
	REAL("sum(${member_income})", 334.5),
	INT("sum(${nobody})", 0),
	NUL("sum(${member_income_gap})"),
	INT("max(${member_age})", 70),
	INT("min(${member_age})", 8),
	INT("max(${member_age}, 100)", 100),
	INT("min(3, 1, 2)", 1),
	NUL("max(${nobody})"),
	NUL("min(${member_income_gap})"),
	NUL("max(${member_income_gap}, 1000)"),
	INT("count(${age})", 1),
	INT("sum(${age})", 34),
	YES("count(${members}) = ${hh_size}"),
	REAL("sum(${member_age}) div count(${member_age})", 30.8),
	EERR("count(5)", "count(): expected a repeat or a field, got a number"),
	EERR("sum('a')", "sum(): expected a repeat or a field, got a string"),
	EERR("sum(1 + 1)", "sum(): expected a repeat or a field, got a number"),

	/* round(), int(), floor(), ceiling(), abs(), number() */
	INT("round(2.5)", 3),
	INT("round(-2.5)", -2),
	INT("round(2.4)", 2),
	INT("round(-2.6)", -3),
	INT("round(0.49999999999999994)", 0),
	REAL("round(1.005, 2)", 1.01),
	REAL("round(3.14159, 3)", 3.142),
	INT("round(1234.5678, -2)", 1200),
	INT("round(1250, -2)", 1300),
	INT("round(9.99, 1)", 10),
	REAL("round(${income} div 3, 1)", 500000.2),
	INT("round(5, 2)", 5),
	NUL("round(${empty})"),
	NUL("round(1.5, 'x')"),
	INT("int(3.9)", 3),
	INT("int(-3.9)", -3),
	INT("int('12.7')", 12),
	NUL("int(${empty})"),
	INT("floor(-1.5)", -2),
	INT("ceiling(-1.5)", -1),
	INT("ceiling(1.2)", 2),
	INT("abs(-4)", 4),
	REAL("abs(-0.25)", 0.25),
	INT("number('  -12 ')", -12),
	REAL("number('-.5')", -0.5),
	NUL("number('1e3')"),
	NUL("number('')"),
	NUL("number('12abc')"),
	NUL("number('+5')"),
	NUL("number('1.2.3')"),
	INT("number(true())", 1),
	INT("number('2025-01-01')", 20089),
	NUL("number('2025-02-30')"),

	/* string(), string-length(), concat(), coalesce() */
	STR("string(42)", "42"),
	STR("string(3.5)", "3.5"),
	STR("string(-0.5)", "-0.5"),
	STR("string(true())", "true"),
	STR("string(1 div 3)", "0.3333333333333333"),
	STR("string(0.000001)", "0.000001"),
	STR("string(0.0000001)", "1e-7"),
	STR("string(1000000 * 1000000 * 1000000 * 1000)", "1e+21"),
	STR("string(123456789 * 1000000000)", "123456789000000000"),
	STR("string(${water})", "tap well"),
	STR("string(${member_age})", "34"),
	STR("string(${member_water})", "well river"),
	STR("string(${income})", "1500000.5"),
	NUL("string(${empty})"),
	INT("string-length('" DINH "')", 4),
	INT("string-length(${name})", 11),
	INT("string-length('')", 0),
	INT("string-length(${age})", 2),
	INT("string-length(${water})", 8),
	INT("string-length('\xe6\x97\xa5\xe6\x9c\xac')", 2),
	STR("concat('a', 'b', 'c')", "abc"),
	STR("concat(${name}, ' (', ${age}, ')')", NAME " (34)"),
	NUL("concat()"),
	STR("concat(1.5, true(), ${empty}, 'x')", "1.5truex"),
	STR("concat(${water}, '/', ${member_sex})", "tap well/male"),
	STR("coalesce(${empty}, 'none')", "none"),
	INT("coalesce(${age}, 0)", 34),
	STR("coalesce(${note}, ${sex})", "male"),
	INT("coalesce(${water_none}, 7)", 7),
	INT("coalesce(${nobody}, 3)", 3),
	STR("coalesce('x', ${nope})", "x"),

	/* contains(), starts-with(), substr() */
	YES("contains(${name}, 'V\xc4\x83n')"),
	NO("contains(${name}, 'van')"),
	YES("contains('abc', '')"),
	NO("contains('', 'a')"),
	YES("starts-with(${name}, '" DINH "')"),
	NO("starts-with('ab', 'abc')"),
	NO("starts-with('abc', 'bc')"),
	YES("starts-with(${age}, 3)"),
	STR("substr('hello', 1, 3)", "el"),
	STR("substr('hello', 2)", "llo"),
	STR("substr(${name}, 0, 4)", DINH),
	STR("substr(${name}, 5, 8)", "V\xc4\x83n"),
	NUL("substr('abc', 5)"),
	STR("substr('abc', -1, 2)", "ab"),
	NUL("substr('abc', 2, 1)"),
	STR("substr(12345, 1, 3)", "23"),
	STR("substr(1.25, 1)", ".25"),
	STR("substr('abc', 1.9)", "bc"),

	/* today(), param() */
	STR("today()", "2025-03-15"),
	INT("today() - ${dob}", 12721),
	YES("today() > '2025-01-01'"),
	INT("int((today() - ${dob}) div 365.25)", 34),
	INT("param('working_age_min')", 15),
	STR("param('region')", "north"),
	YES("param('strict')"),
	STR("param('clean_water_sources')", "tap well bottled"),
	YES("${age} >= param('working_age_min')"),
	INT("param(concat('working_age_', 'min'))", 15),
	EERR("param('nope')", "param('nope'): unknown parameter"),
	EERR("concat('a', param(${sex}))", "param('male'): unknown parameter"),

	/* "." the answer being checked */
	INT(".", 15),
	YES(". >= 0 and . <= 120"),
	INT(". * 2", 30),
	DOT(". = 'yes'", "\"yes\"", W_TRUE, 0),
	DOT("string-length(.) <= 3", "\"abcd\"", W_FALSE, 0),
	DOT(". + 1", "null", W_NULL, 0),
	DOT("selected(., 'b')", "[\"a\", \"b\"]", W_TRUE, 0),
	DOT(". < today()", "\"2030-01-01\"", W_FALSE, 0),
	DOT("count(.)", "true", W_INT, 1),

	/* ${} nested inside functions */
	INT("round(sum(${member_income}) div count(${members}), 0)", 67),
	STR("concat(substr(${name}, 0, 1), '.', string-length(${sex}))",
	    "\xc4\x90.4"),
	INT("max(count(${members}), ${hh_size} + 1, sum(${nobody}))", 6),
	YES("not(selected(${water}, substr(${sex}, 0, 1)))"),

	/* result types */
	INT("${age}", 34),
	REAL("${income}", 1500000.5),
	STR("${sex}", "male"),
	NUL("${empty}"),
	NUL("${note}"),
	YES("${has_house}"),
	NO("${has_car}"),
	STR("${water}", "tap well"),
	NUL("${water_none}"),
	INT("${member_age}", 34),
	NUL("${nobody}"),
	INT("${pi} * 0 + 2.0", 2),

	/* position(..) and indexed-repeat(): the current item is the third */
	INT("position(..)", 3),
	INT("position( .. ) + 1", 4),
	YES("position(..) = 3 and position(..) != 1"),
	INT("indexed-repeat(${member_age}, ${members}, 1)", 34),
	INT("indexed-repeat(${member_age}, ${members}, 5)", 70),
	INT("indexed-repeat(${member_age}, ${members}, position(..) - 1)", 30),
	INT("indexed-repeat(${member_age}, ${members}, '2')", 30),
	NUL("indexed-repeat(${member_age}, ${members}, 6)"),
	NUL("indexed-repeat(${member_age}, ${members}, 0)"),
	NUL("indexed-repeat(${member_age}, ${members}, -1)"),
	NUL("indexed-repeat(${member_age}, ${members}, 1.5)"),
	NUL("indexed-repeat(${member_age}, ${members}, ${empty})"),
	NUL("indexed-repeat(${member_age}, ${members}, 1 div 0)"),
	NUL("indexed-repeat(${member_income_gap}, ${members}, 2)"),
	STR("indexed-repeat(${member_sex}, ${members}, 2)", "female"),
	STR("indexed-repeat(${member_water}, ${members}, 1)", "well river"),
	YES("selected(indexed-repeat(${member_water}, ${members}, 1), 'river')"),
	YES("indexed-repeat(${member_sex}, ${members}, position(..)) = 'female'"),
	PERR("position()", "column 10: position() takes '..' (the current repeat item): "
	     "position(..)"),
	PERR("position(.)", "column 10: position() takes '..' (the current repeat item): "
	     "position(..)"),
	PERR("position(${a})", "column 10: position() takes '..' (the current repeat "
	     "item): position(..)"),
	PERR("position(..", "column 12: expected ')' after position(.."),
	PERR("position(.., 1)", "column 12: expected ')' after position(.."),
	PERR("position", "column 1: expected '(' after position"),
	PERR("1 + indexed-repeat('a', ${members}, 1)", "column 5: indexed-repeat(): the "
	     "first argument is ${field}, a field of the repeat"),
	PERR("indexed-repeat(${member_age}, 1, 1)", "column 1: indexed-repeat(): the "
	     "second argument is ${repeat}, the repeat"),
	INT("indexed-repeat((${member_age}), ${members}, 1)", 34),
	PERR("indexed-repeat(${member_age}, ${members})",
	     "column 1: indexed-repeat() takes 3 arguments, got 2"),
	EERR("indexed-repeat(${age}, ${members}, 1)",
	     "indexed-repeat(): ${age} is not a field of the repeat ${members}"),
	EERR("indexed-repeat(${member_age}, ${nobody}, 1)",
	     "indexed-repeat(): ${member_age} is not a field of the repeat ${nobody}"),
	EERR("indexed-repeat(${member_age}, ${members}, ${nope})", "${nope}: unknown field"),

	/* parse errors: where and why */
	PERR("'abc", "column 1: unterminated string"),
	PERR("concat('a', \"b)", "column 13: unterminated string"),
	PERR("if(1, 2, 3", "column 11: expected ')' after arguments of if()"),
	PERR("if(1 = 1 2, 3)",
	     "column 10: expected ',' or ')' in arguments of if(), got '2'"),
	PERR("(1 + 2", "column 7: expected ')' to match the '(' at column 1"),
	PERR("foo(1)", "column 1: unknown function foo()"),
	PERR("1 + bar(2)", "column 5: unknown function bar()"),
	PERR("if(1, 2)", "column 1: if() takes 3 arguments, got 2"),
	PERR("not()", "column 1: not() takes 1 argument, got 0"),
	PERR("round(1, 2, 3)", "column 1: round() takes 1 or 2 arguments, got 3"),
	PERR("today(1)", "column 1: today() takes no arguments, got 1"),
	PERR("min()", "column 1: min() takes at least 1 argument, got 0"),
	PERR("1 + substr('a')", "column 5: substr() takes 2 or 3 arguments, got 1"),
	PERR("selected(${a}, 'x', 'y')",
	     "column 1: selected() takes 2 arguments, got 3"),
	PERR("${}", "column 1: empty ${}"),
	PERR("${1abc}",
	     "column 3: a name in ${} starts with a letter or '_', got '1abc'"),
	PERR("${a b}", "column 4: unexpected ' ' in ${a}"),
	PERR("${abc", "column 1: expected '}' to close '${'"),
	PERR("$abc", "column 1: expected '{' after '$' (a field is ${name})"),
	PERR("1 + ${", "column 5: expected a name and '}' after '${'"),
	PERR("1 2", "column 3: unexpected '2'"),
	PERR("${a} ${b}", "column 6: unexpected '$'"),
	PERR("1 + 2)", "column 6: unexpected ')'"),
	PERR("1 +", "column 4: expected a value after '+'"),
	PERR("* 2", "column 1: expected a value, got '*'"),
	PERR("1 and", "column 6: expected a value after 'and'"),
	PERR("1 = = 2", "column 5: expected a value after '=', got '='"),
	PERR("1 == 2", "column 4: expected a value after '=', got '='"),
	PERR("if(, 1, 2)", "column 4: expected a value after '(', got ','"),
	PERR("concat('a',)", "column 12: expected a value after ',', got ')'"),
	PERR("-", "column 2: expected a value after '-'"),
	PERR("", "column 1: empty expression"),
	PERR("   ", "column 1: empty expression"),
	PERR("age > 5", "column 1: unexpected name 'age' (a field is ${age})"),
	PERR("true", "column 1: expected '(' after true"),
	PERR("5 div2", "column 3: unexpected 'div2'"),
	PERR("../x", "column 1: '..' is not supported (a field is ${name})"),
	PERR("1 ! 2", "column 3: unexpected '!'"),
	PERR("'a' " DINH, "column 5: unexpected '\xc4\x90'"),
	PERR("'\xff'", "column 2: invalid utf-8"),
	PERR("'a\xc3\x28'", "column 3: invalid utf-8"),
	PERR("'\xc0\xaf'", "column 2: invalid utf-8"),
	PERR("'\xed\xa0\x80'", "column 2: invalid utf-8"),

	/* evaluation errors */
	EERR("${nope}", "${nope}: unknown field"),
	EERR("${nope} + 1", "${nope}: unknown field"),
	EERR("count(${nope})", "${nope}: unknown field"),
	EERR("string-length(${no_such.field-1})",
	     "${no_such.field-1}: unknown field"),
	EERR("count('a')", "count(): expected a repeat or a field, got a string"),
};

#define NCASES (sizeof cases / sizeof cases[0])

static const char *want_name(enum want w)
{
	static const char *const names[] = {"integer", "real", "string", "true",
	                                    "false", "null", "parse error",
	                                    "evaluation error"};
	return names[w];
}

static void check_value(const struct ecase *c, json_t *out)
{
	char *dump = json_dumps(out, JSON_ENCODE_ANY);
	int ok = 0;
	double x;

	switch (c->want) {
	case W_INT:
		ok = json_is_integer(out) && json_integer_value(out) == (json_int_t)c->num;
		break;
	case W_REAL:
		x = json_is_real(out) ? json_real_value(out) : NAN;
		ok = fabs(x - c->num) <= 1e-9 * fmax(1, fabs(c->num));
		break;
	case W_STR:
		ok = json_is_string(out) && !strcmp(json_string_value(out), c->text);
		break;
	case W_TRUE:
		ok = json_is_true(out);
		break;
	case W_FALSE:
		ok = json_is_false(out);
		break;
	case W_NULL:
		ok = json_is_null(out);
		break;
	default:
		break;
	}
	if (!ok) {
		print_error("%s: expected %s %g %s, got %s\n", c->src,
		            want_name(c->want), c->num, c->text ? c->text : "",
		            dump ? dump : "?");
		free(dump);
		fail();
	}
	free(dump);
}

static void run_case(void **state)
{
	const struct ecase *c = *state;
	saola__expr *e = NULL;
	json_t *out = NULL, *saved = fx.dot;
	char err[256];
	int rc, b, round;

	rc = saola__expr_parse(c->src, &e, err, sizeof err);
	if (c->want == W_PARSE) {
		if (rc != SAOLA_INVALID || strcmp(err, c->text))
			print_error("%s: expected \"%s\", got rc %d \"%s\"\n", c->src,
			            c->text, rc, err);
		assert_int_equal(rc, SAOLA_INVALID);
		assert_null(e);
		assert_string_equal(err, c->text);
		return;
	}
	if (rc != SAOLA_OK)
		print_error("%s: %s\n", c->src, err);
	assert_int_equal(rc, SAOLA_OK);
	assert_non_null(e);
	if (c->dot)
		fx.dot = load(c->dot);
	/* twice: evaluation must leave nothing behind in the parsed form */
	for (round = 0; round < 2; round++) {
		rc = saola__expr_eval(e, &env, &out, err, sizeof err);
		if (c->want == W_EVAL) {
			if (rc != SAOLA_INVALID || !strstr(err, c->text))
				print_error("%s: expected \"%s\", got rc %d \"%s\"\n",
				            c->src, c->text, rc, err);
			assert_int_equal(rc, SAOLA_INVALID);
			assert_null(out);
			assert_non_null(strstr(err, c->text));
			rc = saola__expr_eval_bool(e, &env, &b, err, sizeof err);
			assert_int_equal(rc, SAOLA_INVALID);
			assert_int_equal(b, 0);
			continue;
		}
		if (rc != SAOLA_OK)
			print_error("%s: %s\n", c->src, err);
		assert_int_equal(rc, SAOLA_OK);
		check_value(c, out);
		json_decref(out);
		rc = saola__expr_eval_bool(e, &env, &b, err, sizeof err);
		assert_int_equal(rc, SAOLA_OK);
		if (c->want == W_TRUE || c->want == W_FALSE)
			assert_int_equal(b, c->want == W_TRUE);
	}
	if (c->dot) {
		json_decref(fx.dot);
		fx.dot = saved;
	}
	saola__expr_free(e);
}

/* ------------------------------------------------------------------ */
/* The interface                                                       */

struct names {
	char buf[256];
	int calls, stop_at;
};

static int collect(void *ctx, const char *name)
{
	struct names *n = ctx;

	if (n->buf[0])
		strcat(n->buf, ",");
	strcat(n->buf, name);
	return ++n->calls == n->stop_at ? 42 : 0;
}

static saola__expr *must_parse(const char *src)
{
	saola__expr *e = NULL;
	char err[256];

	if (saola__expr_parse(src, &e, err, sizeof err) != SAOLA_OK)
		fail_msg("%s: %s", src, err);
	return e;
}

static void test_refs(void **state)
{
	saola__expr *e = must_parse(
		"if(${a} = ., ${b}, concat(${c.d-e}, param('p'), ${a}))");
	struct names n = {"", 0, 0};

	(void)state;
	assert_int_equal(saola__expr_refs(e, collect, &n), 0);
	assert_string_equal(n.buf, "a,.,b,c.d-e,a");
	memset(&n, 0, sizeof n);
	n.stop_at = 2;
	assert_int_equal(saola__expr_refs(e, collect, &n), 42);
	assert_string_equal(n.buf, "a,.");
	saola__expr_free(e);

	e = must_parse("1 + 2");
	memset(&n, 0, sizeof n);
	assert_int_equal(saola__expr_refs(e, collect, &n), 0);
	assert_int_equal(n.calls, 0);
	saola__expr_free(e);
}

/* position(..) is a reference to the current item, "..": a form accepts
 * it only in a repeat's fields; indexed-repeat() names its field and
 * repeat, which the form checks. */
static int collect_pair(void *ctx, const char *field, const char *repeat)
{
	struct names *n = ctx;

	if (n->buf[0])
		strcat(n->buf, ",");
	strcat(n->buf, field);
	strcat(n->buf, "@");
	strcat(n->buf, repeat);
	return ++n->calls == n->stop_at ? 42 : 0;
}

static void test_repeat_refs(void **state)
{
	saola__expr *e = must_parse("if(position(..) = 1, indexed-repeat(${x}, ${r}, 2), "
	                            "indexed-repeat(${y}, ${s}, position(..)))");
	struct names n = {"", 0, 0};

	(void)state;
	assert_int_equal(saola__expr_refs(e, collect, &n), 0);
	assert_string_equal(n.buf, "..,x,r,y,s,..");
	memset(&n, 0, sizeof n);
	assert_int_equal(saola__expr_indexed(e, collect_pair, &n), 0);
	assert_string_equal(n.buf, "x@r,y@s");
	memset(&n, 0, sizeof n);
	n.stop_at = 1;
	assert_int_equal(saola__expr_indexed(e, collect_pair, &n), 42);
	assert_string_equal(n.buf, "x@r");
	saola__expr_free(e);
}

/* Bound, as the form engine evaluates: indexed-repeat() asks by the
 * indexes of its field and repeat and borrows the value; position(..)
 * is the environment's. Unbound names still go by name. */
static const char *const bound_names[] = {"members", "member_age", "member_sex", "age"};

static int bind_name(void *ctx, const char *name, int *ix)
{
	size_t i;

	(void)ctx;
	*ix = -1;
	for (i = 0; i < sizeof bound_names / sizeof *bound_names; i++)
		if (strcmp(name, bound_names[i]) == 0)
			*ix = (int)i;
	return SAOLA_OK;
}

static json_t *bound_resolve(void *ctx, int ix, int *nodeset, int *owned)
{
	json_t *v = resolve(ctx, ix == SAOLA__EXPR_CUR ? "." : bound_names[ix], nodeset);

	*owned = 1;
	return v;
}

static int indexed_calls;

static json_t *bound_indexed(void *ctx, int field, int repeat, size_t n)
{
	json_t *items = json_object_get(((struct fixture *)ctx)->nodesets, bound_names[field]);

	indexed_calls++;
	if (repeat != 0 || field == 0 || field == 3)
		return NULL;
	return n >= 1 && n <= json_array_size(items) ? json_array_get(items, n - 1) : json_null();
}

static void test_indexed_bound(void **state)
{
	static const struct { const char *src; const char *want; int calls; } rows[] = {
		{"indexed-repeat(${member_age}, ${members}, position(..))", "12", 1},
		{"indexed-repeat(${member_sex}, ${members}, 1)", "\"male\"", 1},
		{"indexed-repeat(${member_sex}, ${members}, 9)", "null", 1},
		{"indexed-repeat(${member_income}, ${members}, 2)", "200.5", 0}, /* by name */
		{"indexed-repeat(${age}, ${members}, 1)", NULL, 1},
	};
	saola__expr_bound b = {bound_resolve, NULL, bound_indexed, NULL, 0};
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof *rows; i++) {
		saola__expr *e = must_parse(rows[i].src);
		json_t *out = NULL;
		char *text;
		int rc;

		assert_int_equal(saola__expr_bind(e, bind_name, NULL, NULL), SAOLA_OK);
		indexed_calls = 0;
		rc = saola__expr_eval_b(e, &env, &b, &out, err, sizeof err);
		assert_int_equal(indexed_calls, rows[i].calls);
		if (!rows[i].want) {
			assert_int_equal(rc, SAOLA_INVALID);
			assert_string_equal(err, "indexed-repeat(): ${age} is not a field of the "
			                    "repeat ${members}");
		} else {
			assert_int_equal(rc, SAOLA_OK);
			text = json_dumps(out, JSON_ENCODE_ANY);
			assert_string_equal(text, rows[i].want);
			free(text);
		}
		json_decref(out);
		saola__expr_free(e);
	}
}

static void test_params(void **state)
{
	saola__expr *e = must_parse("param('x') + param(concat('y', ${z})) + "
	                            "if(param('w'), 1, param('x'))");
	struct names n = {"", 0, 0};

	(void)state;
	assert_int_equal(saola__expr_params(e, collect, &n), 0);
	assert_string_equal(n.buf, "x,w,x"); /* literal names only */
	memset(&n, 0, sizeof n);
	n.stop_at = 1;
	assert_int_equal(saola__expr_params(e, collect, &n), 42);
	assert_string_equal(n.buf, "x");
	saola__expr_free(e);
}

static void test_misuse(void **state)
{
	saola__expr *e = (saola__expr *)1;
	json_t *out = (json_t *)1;
	char err[8];
	int b = 1;

	(void)state;
	assert_int_equal(saola__expr_parse(NULL, &e, err, sizeof err),
	                 SAOLA_MISUSE);
	assert_null(e);
	assert_int_equal(saola__expr_parse("1", NULL, NULL, 0), SAOLA_MISUSE);
	assert_int_equal(saola__expr_eval(NULL, &env, &out, NULL, 0),
	                 SAOLA_MISUSE);
	assert_null(out);
	assert_int_equal(saola__expr_eval_bool(NULL, &env, &b, NULL, 0),
	                 SAOLA_MISUSE);
	assert_int_equal(b, 0);
	saola__expr_free(NULL);
	/* no room for the message, or little: still an error, no overflow */
	assert_int_equal(saola__expr_parse("'abc", &e, NULL, 0), SAOLA_INVALID);
	assert_int_equal(saola__expr_parse("'abc", &e, err, sizeof err),
	                 SAOLA_INVALID);
	assert_string_equal(err, "column ");
	e = must_parse("${nope}");
	assert_int_equal(saola__expr_eval(e, &env, &out, err, sizeof err),
	                 SAOLA_INVALID);
	assert_string_equal(err, "${nope}");
	saola__expr_free(e);
}

static void test_no_env(void **state)
{
	saola__expr_env bare = {NULL, NULL, NULL, NULL, NULL, NULL, NULL};
	saola__expr *e;
	json_t *out;
	char err[256], today[16];
	time_t now = time(NULL);
	struct tm tm;

	(void)state;
	e = must_parse("1 + 1");
	assert_int_equal(saola__expr_eval(e, NULL, &out, err, sizeof err),
	                 SAOLA_OK);
	assert_int_equal(json_integer_value(out), 2);
	json_decref(out);
	saola__expr_free(e);

	e = must_parse("${a}");
	assert_int_equal(saola__expr_eval(e, &bare, &out, err, sizeof err),
	                 SAOLA_INVALID);
	assert_string_equal(err, "${a}: unknown field");
	saola__expr_free(e);

	e = must_parse(". > 1");
	assert_int_equal(saola__expr_eval(e, NULL, &out, err, sizeof err),
	                 SAOLA_INVALID);
	assert_string_equal(err, "'.': no current value here");
	saola__expr_free(e);

	e = must_parse("param('a')");
	assert_int_equal(saola__expr_eval(e, &bare, &out, err, sizeof err),
	                 SAOLA_INVALID);
	assert_string_equal(err, "param('a'): unknown parameter");
	saola__expr_free(e);

	/* position(..) and indexed-repeat() need a repeat */
	e = must_parse("position(..)");
	assert_int_equal(saola__expr_eval(e, &bare, &out, err, sizeof err),
	                 SAOLA_INVALID);
	assert_string_equal(err, "position(..): not in a repeat item");
	saola__expr_free(e);
	e = must_parse("indexed-repeat(${a}, ${r}, 1)");
	assert_int_equal(saola__expr_eval(e, &bare, &out, err, sizeof err),
	                 SAOLA_INVALID);
	assert_string_equal(err, "indexed-repeat(): no repeats here");
	saola__expr_free(e);

	/* today() without env.today: the local date */
	e = must_parse("today()");
	assert_int_equal(saola__expr_eval(e, &bare, &out, err, sizeof err),
	                 SAOLA_OK);
	localtime_r(&now, &tm);
	strftime(today, sizeof today, "%Y-%m-%d", &tm);
	assert_string_equal(json_string_value(out), today);
	json_decref(out);
	saola__expr_free(e);
}

/* A record changes between evaluations of one parsed expression. */
static void test_reuse(void **state)
{
	saola__expr *e = must_parse("if(${sex}='male', ${age} >= "
		"param('working_age_min') and ${age} <= "
		"param('working_age_max_male'), ${age} >= param('working_age_min') "
		"and ${age} <= param('working_age_max_female'))");
	static const struct { const char *sex; int age, want; } rows[] = {
		{"male", 34, 1}, {"male", 58, 1}, {"female", 58, 0},
		{"female", 14, 0}, {"female", 55, 1}, {"male", 61, 0}
	};
	json_t *saved_sex = json_incref(json_object_get(fx.fields, "sex"));
	json_t *saved_age = json_incref(json_object_get(fx.fields, "age"));
	char err[256];
	size_t i;
	int b;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		json_object_set_new(fx.fields, "sex", json_string(rows[i].sex));
		json_object_set_new(fx.fields, "age", json_integer(rows[i].age));
		assert_int_equal(saola__expr_eval_bool(e, &env, &b, err, sizeof err),
		                 SAOLA_OK);
		assert_int_equal(b, rows[i].want);
	}
	json_object_set_new(fx.fields, "sex", saved_sex);
	json_object_set_new(fx.fields, "age", saved_age);
	saola__expr_free(e);
}

/* ------------------------------------------------------------------ */
/* Limits: nothing can crash, hang or recurse without bound            */

/* prefix repeated n times, then middle, then suffix n times */
static char *nest(const char *prefix, int n, const char *middle,
                  const char *suffix)
{
	size_t lp = strlen(prefix), ls = strlen(suffix), lm = strlen(middle);
	char *s = malloc(lp * (size_t)n + lm + ls * (size_t)n + 1), *p = s;
	int i;

	assert_non_null(s);
	for (i = 0; i < n; i++, p += lp)
		memcpy(p, prefix, lp);
	memcpy(p, middle, lm);
	p += lm;
	for (i = 0; i < n; i++, p += ls)
		memcpy(p, suffix, ls);
	*p = '\0';
	return s;
}

/* Parses src: 0 when it parses, else checks the message starts "column N: "
 * and contains what. */
static int parse_fails(char *src, const char *what)
{
	saola__expr *e = NULL;
	char err[256];
	int rc = saola__expr_parse(src, &e, err, sizeof err);

	if (rc == SAOLA_OK) {
		json_t *out;

		assert_int_equal(saola__expr_eval(e, &env, &out, err, sizeof err),
		                 SAOLA_OK);
		json_decref(out);
		saola__expr_free(e);
	} else {
		assert_int_equal(rc, SAOLA_INVALID);
		assert_null(e);
		assert_memory_equal(err, "column ", 7);
		if (!strstr(err, what))
			fail_msg("%.60s...: %s", src, err);
	}
	free(src);
	return rc != SAOLA_OK;
}

static void test_limits(void **state)
{
	const char *deep = "nests deeper than 64 levels";
	saola__expr *e;
	char err[256];
	char *s;

	(void)state;
	/* parentheses, calls, unary minus: 64 levels parse, 65 do not */
	assert_false(parse_fails(nest("(", 64, "1", ")"), deep));
	assert_true(parse_fails(nest("(", 65, "1", ")"), deep));
	assert_true(parse_fails(nest("(", 100, "1", ")"), deep));
	assert_true(parse_fails(nest("(", 2000, "1", ")"), deep));
	assert_true(parse_fails(nest("(", 4000, "", ""), deep));
	assert_false(parse_fails(nest("not(", 64, "1", ")"), deep));
	assert_true(parse_fails(nest("not(", 65, "1", ")"), deep));
	assert_true(parse_fails(nest("not(", 100, "1", ")"), deep));
	assert_true(parse_fails(nest("not(", 1000, "1", ""), deep));
	assert_false(parse_fails(nest("-", 64, "${age}", ""), deep));
	assert_true(parse_fails(nest("-", 65, "${age}", ""), deep));
	assert_true(parse_fails(nest("- ", 2000, "1", ""), deep));
	assert_true(parse_fails(nest("if(1,", 100, "1", ",0)"), deep));
	assert_true(parse_fails(nest("concat(", 100, "'a'", ")"), deep));
	/* operators nest too, but a run of one operator stays flat */
	assert_false(parse_fails(nest("1+", 2000, "1", ""), deep));
	assert_false(parse_fails(nest("1 and ", 600, "1", ""), deep));
	assert_false(parse_fails(nest("1-1+", 32, "1", ""), deep));
	assert_true(parse_fails(nest("1-1+", 33, "1", ""), deep));
	assert_true(parse_fails(nest("1=", 65, "1", ""), deep));
	assert_true(parse_fails(nest("1<", 1000, "1", ""), deep));
	assert_true(parse_fails(nest("(1+", 100, "1", ")"), deep));

	/* a long sum evaluates */
	s = nest("1+", 2000, "1", "");
	e = must_parse(s);
	free(s);
	{
		json_t *out;

		assert_int_equal(saola__expr_eval(e, &env, &out, err, sizeof err),
		                 SAOLA_OK);
		assert_int_equal(json_integer_value(out), 2001);
		json_decref(out);
	}
	saola__expr_free(e);

	/* length: 4096 bytes parse, 4097 do not */
	s = nest(" ", SAOLA__EXPR_MAX_LEN - 1, "1", "");
	assert_false(parse_fails(s, ""));
	s = nest(" ", SAOLA__EXPR_MAX_LEN, "1", "");
	assert_true(parse_fails(s, "column 4097: expression longer than 4096 "
	                           "bytes"));
	s = nest("'", 1, "", "");
	s = realloc(s, 100000);
	memset(s + 1, 'a', 99998);
	s[99999] = '\0';
	assert_true(parse_fails(s, "expression longer than"));

	/* unterminated things at the end of long input */
	assert_true(parse_fails(nest("concat(", 60, "'x", ""), "unterminated"));
	assert_true(parse_fails(nest("${", 1, "a", ""), "'}'"));
}

/* ------------------------------------------------------------------ */
/* Out of memory: every allocation fails in turn, and nothing leaks    */

static long alloc_count, fail_at = -1;

static void *failing_malloc(size_t size)
{
	if (fail_at >= 0 && alloc_count++ == fail_at)
		return NULL;
	return malloc(size);
}

static void test_nomem(void **state)
{
	static const char *const srcs[] = {
		"concat(${name}, ' ', substr(${name}, 0, 4), string(1.5), ${water})",
		"string(${member_age})",
		"string(${member_water})",
		"${member_water} = 'well river'",
		"param(concat('working_age_', 'min'))",
		"round(${income} div 3, 1)",
		"substr(12345, 1, 3)",
		"count-selected(${water_str}) + selected(${water}, 'tap')",
		"string(${income})",
		"${sex}",
		"${water} = 'tap well'",
		"coalesce(${empty}, concat('a', 'b'))",
	};
	size_t i;
	long n;
	int rc, b, failures;
	saola__expr *e;
	json_t *out;
	char err[256];

	(void)state;
	json_set_alloc_funcs(failing_malloc, free);
	for (i = 0; i < sizeof srcs / sizeof srcs[0]; i++) {
		/* parsing */
		for (n = 0, failures = 0;; n++) {
			alloc_count = 0;
			fail_at = n;
			e = (saola__expr *)1;
			rc = saola__expr_parse(srcs[i], &e, err, sizeof err);
			fail_at = -1;
			if (rc == SAOLA_OK)
				break;
			assert_int_equal(rc, SAOLA_NOMEM);
			assert_null(e);
			assert_string_equal(err, "out of memory");
			failures++;
		}
		assert_true(failures > 0);
		/* evaluating */
		for (n = 0;; n++) {
			alloc_count = 0;
			fail_at = n;
			out = (json_t *)1;
			rc = saola__expr_eval(e, &env, &out, err, sizeof err);
			if (rc == SAOLA_OK) {
				fail_at = -1;
				json_decref(out);
				break;
			}
			assert_int_equal(rc, SAOLA_NOMEM);
			assert_null(out);
			assert_string_equal(err, "out of memory");
			rc = saola__expr_eval_bool(e, &env, &b, err, sizeof err);
			fail_at = -1;
			assert_true(rc == SAOLA_NOMEM || rc == SAOLA_OK);
		}
		saola__expr_free(e);
	}
	json_set_alloc_funcs(malloc, free);
}

/* Numbers and booleans do not allocate when evaluated. */
static void test_no_alloc(void **state)
{
	saola__expr *e = must_parse("if(${sex}='male', ${age} >= "
		"param('working_age_min') and ${age} <= "
		"param('working_age_max_male'), sum(${member_age}) > 100 and "
		"selected(${water}, 'tap') and count(${members}) = 5)");
	char err[256];
	int b;

	(void)state;
	json_set_alloc_funcs(failing_malloc, free);
	alloc_count = 0;
	fail_at = 0;
	assert_int_equal(saola__expr_eval_bool(e, &env, &b, err, sizeof err),
	                 SAOLA_OK);
	fail_at = -1;
	json_set_alloc_funcs(malloc, free);
	assert_int_equal(alloc_count, 0);
	assert_true(b);
	saola__expr_free(e);
}

int main(void)
{
	static struct CMUnitTest table[NCASES];
	static char names[NCASES][72];
	static const struct CMUnitTest api[] = {
		cmocka_unit_test(test_refs),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_repeat_refs),
		cmocka_unit_test(test_indexed_bound),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_no_env),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_nomem),
		cmocka_unit_test(test_no_alloc),
	};
	size_t i, j;
	int failed;

	for (i = 0; i < NCASES; i++) {
		/* the source as the name, on one line, shortened */
		snprintf(names[i], sizeof names[i], "%s",
		         cases[i].src[0] ? cases[i].src : "(empty)");
		for (j = 0; names[i][j]; j++)
			if ((unsigned char)names[i][j] < ' ')
				names[i][j] = ' ';
		table[i].name = names[i];
		table[i].test_func = run_case;
		table[i].setup_func = NULL;
		table[i].teardown_func = NULL;
		table[i].initial_state = (void *)&cases[i];
	}
	failed = cmocka_run_group_tests_name("expr cases", table, setup, teardown);
	failed += cmocka_run_group_tests_name("expr interface", api, setup,
	                                      teardown);
	return failed ? 1 : 0;
}
