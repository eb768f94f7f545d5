/* fuzz_expr.c: fuzz target of the form expression language: the input is
 * an expression's source; it is parsed, its references and parameters
 * listed, and it is evaluated (as a value and as a boolean) against a fixed
 * record, repeat and standard, as the form engine would: first by name,
 * then bound (saola__expr_bind, saola__expr_eval_b), and the two must agree
 * (the same code, message and value, an integer being no real). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "fuzz.h"
#include "expr.h"

#define NINTS 16 /* the bound evaluation's interned integers, 0 to 15 */

static json_t *fields, *nodesets, *params, *dot_num, *dot_list;
static json_t *ints[NINTS];

/* What binding gives an index: every field and nodeset of the fixture,
 * and a name bound to nothing ("gone", a field the form lost), which the
 * by-name lookup does not know either. */
static struct ref {
	const char *name;
	json_t *v; /* NULL: "gone" */
	int nodeset;
} refs[64];
static int nrefs;

/* The params bound, "retired" to nothing. */
static const char *pnames[32];
static int nparams;

static json_t *load(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, 0, &jerr);

	if (!v)
		fz_die("fixture: %s", jerr.text);
	return v;
}

static void add_refs(json_t *obj, int nodeset)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		if (nrefs == (int)(sizeof refs / sizeof *refs))
			fz_die("fixture: too many fields");
		refs[nrefs].name = key;
		refs[nrefs].v = v;
		refs[nrefs++].nodeset = nodeset;
	}
}

static void setup(void)
{
	const char *key;
	json_t *v;
	int i;

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
	for (i = 0; i < NINTS; i++)
		if (!(ints[i] = json_integer(i)))
			fz_die("out of memory");
	add_refs(fields, 0);
	add_refs(nodesets, 1);
	refs[nrefs++].name = "gone";
	json_object_foreach(params, key, v)
		pnames[nparams++] = key;
	pnames[nparams++] = "retired";
}

struct ctx {
	json_t *dot;
	int own_fields;   /* resolve_ix makes a new value for a field... */
	int own_nodesets; /* ...for a nodeset */
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

/* saola__expr_bind's callbacks: a name the fixture knows to its index,
 * any other to -1 (left to the lookup by name). */
static int bind_ref(void *c, const char *name, int *ix)
{
	int i;

	(void)c;
	*ix = -1;
	for (i = 0; i < nrefs; i++)
		if (strcmp(refs[i].name, name) == 0)
			*ix = i;
	return SAOLA_OK;
}

static int bind_param(void *c, const char *name, int *ix)
{
	int i;

	(void)c;
	*ix = -1;
	for (i = 0; i < nparams; i++)
		if (strcmp(pnames[i], name) == 0)
			*ix = i;
	return SAOLA_OK;
}

/* The value resolve gives, borrowed, or a copy the engine owns (deep, so
 * that a copy released too soon or never shows as a use after free or a
 * leak). */
static json_t *resolve_ix(void *c, int ix, int *nodeset, int *owned)
{
	struct ctx *x = c;
	json_t *v;

	*nodeset = *owned = 0;
	if (ix == SAOLA__EXPR_CUR)
		return x->dot;
	if (ix < 0 || ix >= nrefs)
		fz_die("resolve_ix: index %d was never bound", ix);
	if (!(v = refs[ix].v))
		return NULL;
	*nodeset = refs[ix].nodeset;
	if (!(*nodeset ? x->own_nodesets : x->own_fields))
		return v;
	*owned = 1;
	if (!(v = json_deep_copy(v)))
		fz_die("out of memory");
	return v;
}

static json_t *param_ix(void *c, int ix)
{
	(void)c;
	if (ix < 0 || ix >= nparams)
		fz_die("param_ix: index %d was never bound", ix);
	return json_object_get(params, pnames[ix]);
}

static void dump(const char *how, int rc, const char *err, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;

	fprintf(stderr, "  %-8s rc %d, err \"%s\", %s\n", how, rc, err,
	        s ? s : "no value");
	free(s);
}

/* Aborts, so that the fuzzer reports the input, when the bound evaluation
 * did not give what the one by name gave. */
static void check_same(const char *src, const char *what, int rc, const char *err,
                       json_t *v, int brc, const char *berr, json_t *bv)
{
	if (rc == brc && strcmp(err, berr) == 0 &&
	    (rc != SAOLA_OK || (v && bv && json_typeof(v) == json_typeof(bv) &&
	                        json_equal(v, bv))))
		return;
	fprintf(stderr, "fuzz_expr: %s: by name and bound differ for: %s\n", what, src);
	dump("by name:", rc, err, v);
	dump("bound:", brc, berr, bv);
	abort();
}

/* Aborts when a value of the fixture has lost or kept a reference: a
 * bound evaluation borrows them and must leave each as it found it. */
static void check_refs(json_t *v, const char *where)
{
	size_t i;
	const char *key;
	json_t *item;

	if (json_is_null(v) || json_is_boolean(v)) /* jansson's singletons */
		return;
	if (v->refcount != 1) {
		fprintf(stderr, "fuzz_expr: %s: a value has %zu references, not 1\n",
		        where, (size_t)v->refcount);
		abort();
	}
	if (json_is_array(v))
		json_array_foreach(v, i, item)
			check_refs(item, where);
	else if (json_is_object(v))
		json_object_foreach(v, key, item)
			check_refs(item, where);
}

SAOLA_FUZZ_TARGET(expr)
{
	char *src, err[256], berr[256];
	saola__expr *e = NULL;
	json_t *out = NULL, *bout = NULL;
	struct ctx x;
	saola__expr_env env;
	saola__expr_bound bound;
	int n = 0, b = 0, bb = 0, rc, brc, i;

	setup();
	src = fz_cstr(data, size);
	if (saola__expr_parse(src, &e, err, sizeof err) != 0) {
		free(src);
		return 0;
	}
	saola__expr_refs(e, count_ref, &n);
	saola__expr_params(e, count_ref, &n);
	memset(&env, 0, sizeof env);
	env.resolve = resolve;
	env.param = param;
	env.ctx = &x;
	env.today = "2025-03-15";
	memset(&x, 0, sizeof x);
	memset(&bound, 0, sizeof bound);
	bound.resolve_ix = resolve_ix;
	bound.param_ix = param_ix;
	bound.ints = ints;
	bound.nints = NINTS;

	/* By name, as the expression was parsed. */
	x.dot = dot_num;
	rc = saola__expr_eval(e, &env, &out, err, sizeof err);

	/* Bound: as the form engine does, a field borrowed and a nodeset
	 * made for the call; for the boolean, the other way round. */
	if (saola__expr_bind(e, bind_ref, bind_param, NULL) != SAOLA_OK)
		fz_die("saola__expr_bind failed with callbacks that cannot");
	x.own_nodesets = 1;
	brc = saola__expr_eval_b(e, &env, &bound, &bout, berr, sizeof berr);
	check_same(src, "eval", rc, err, out, brc, berr, bout);
	/* An integer 0 to 15 is the interned one. */
	if (json_is_integer(bout) && json_integer_value(bout) >= 0 &&
	    json_integer_value(bout) < NINTS &&
	    bout != ints[json_integer_value(bout)]) {
		fprintf(stderr, "fuzz_expr: eval: %s: %" JSON_INTEGER_FORMAT
		        " is not the interned integer\n", src, json_integer_value(bout));
		abort();
	}
	json_decref(out);
	json_decref(bout);

	x.dot = dot_list;
	x.own_nodesets = 0;
	x.own_fields = 1;
	rc = saola__expr_eval_bool(e, &env, &b, err, sizeof err);
	brc = saola__expr_eval_bool_b(e, &env, &bound, &bb, berr, sizeof berr);
	check_same(src, "eval_bool", rc, err, json_boolean(b), brc, berr, json_boolean(bb));

	check_refs(fields, "fields");
	check_refs(nodesets, "nodesets");
	check_refs(params, "params");
	check_refs(dot_num, "'.'");
	check_refs(dot_list, "'.'");
	for (i = 0; i < NINTS; i++)
		check_refs(ints[i], "ints");
	saola__expr_free(e);
	free(src);
	return 0;
}
