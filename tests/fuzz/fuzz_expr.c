/* fuzz_expr.c: fuzz target of the form expression language: the input is
 * an expression's source; it is parsed, its references and parameters
 * listed, and it is evaluated (as a value and as a boolean) against a fixed
 * record, repeat and standard, as the form engine would. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "fuzz.h"
#include "expr.h"

static json_t *fields, *nodesets, *params, *dot_num, *dot_list;

static json_t *load(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, 0, &jerr);

	if (!v)
		fz_die("fixture: %s", jerr.text);
	return v;
}

static void setup(void)
{
	if (fields)
		return;
	fields = load("{\"age\": 34, \"age_str\": \"34\", \"sex\": \"male\","
	              " \"name\": \"\xc4\x90inh V\xc4\x83n An\", \"empty\": null,"
	              " \"income\": 1500000.5, \"has_house\": true, \"has_car\": false,"
	              " \"water\": [\"tap\", \"well\"], \"water_none\": [],"
	              " \"water_source\": \"well\", \"dob\": \"1990-05-17\", \"zero\": 0,"
	              " \"big\": 9007199254740993, \"neg\": -9223372036854775807,"
	              " \"tiny\": 1e-300, \"huge\": 1e308, \"note\": \"\"}");
	nodesets = load("{\"members\": [{\"_id\": \"a\", \"age\": 3}, {\"_id\": \"b\"}, {}],"
	                " \"member_age\": [34, 30, 12, null, 70],"
	                " \"member_sex\": [\"male\", \"female\", \"\"],"
	                " \"member_income\": [100, 200.5, 1e308, 1e308],"
	                " \"member_water\": [[\"well\", \"river\"], [\"tap\"], []],"
	                " \"nobody\": []}");
	params = load("{\"working_age_min\": 15, \"clean_water_sources\": [\"tap\", \"well\"],"
	              " \"income_line_rural\": 1500000, \"region\": \"north\","
	              " \"strict\": true, \"ratio\": 0.5, \"none\": []}");
	dot_num = json_integer(34);
	dot_list = load("[\"tap\", \"well\"]");
}

struct ctx {
	json_t *dot;
};

static json_t *resolve(void *c, const char *name, int *nodeset)
{
	struct ctx *x = c;
	json_t *v;

	if (strcmp(name, ".") == 0)
		return json_incref(x->dot);
	if ((v = json_object_get(nodesets, name))) {
		*nodeset = 1;
		return json_incref(v);
	}
	return json_incref(json_object_get(fields, name));
}

static json_t *param(void *c, const char *name)
{
	(void)c;
	return json_incref(json_object_get(params, name));
}

static int count_ref(void *c, const char *name)
{
	(void)name;
	(*(int *)c)++;
	return 0;
}

SAOLA_FUZZ_TARGET(expr)
{
	char *src, err[256];
	saola__expr *e = NULL;
	json_t *out = NULL;
	struct ctx x;
	saola__expr_env env;
	int n = 0, b = 0;

	setup();
	src = fz_cstr(data, size);
	if (saola__expr_parse(src, &e, err, sizeof err) != 0) {
		free(src);
		return 0;
	}
	saola__expr_refs(e, count_ref, &n);
	saola__expr_params(e, count_ref, &n);
	env.resolve = resolve;
	env.param = param;
	env.ctx = &x;
	env.today = "2025-03-15";
	x.dot = dot_num;
	if (saola__expr_eval(e, &env, &out, err, sizeof err) == 0)
		json_decref(out);
	x.dot = dot_list;
	saola__expr_eval_bool(e, &env, &b, err, sizeof err);
	saola__expr_free(e);
	free(src);
	return 0;
}
