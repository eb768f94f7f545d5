/* expr_eval.c: evaluates a parsed expression against one record, without
 * allocating for numbers and booleans (semantics: see expr.c). */
#define SAOLA__EXPR_PRIVATE
#include "expr.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <saola/core.h>

#if defined(__GNUC__)
#define EXPR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define EXPR_PRINTF(f, a)
#endif

#define NUMBUF SAOLA__EXPR_NUMBUF

typedef saola__expr_node node;

enum { T_NUM, T_BOOL, T_STR, T_LIST, T_NODES };

/* A value during evaluation. Numbers and booleans own nothing; a string
 * may point into the source, a JSON value it holds, memory it owns, or a
 * short-lived buffer (scratch: copied before it outlives the call). */
typedef struct val {
	int t;
	int scratch;     /* s points into a short-lived buffer (see keep_str) */
	double n;        /* T_NUM; T_BOOL: 0 or 1 */
	const char *s;   /* T_STR, not NUL-terminated */
	size_t len;
	json_t *a;       /* T_LIST, T_NODES: the array (kept alive by hold) */
	json_t *hold;    /* a reference this value owns */
	char *own;       /* memory this value owns */
	json_t *j;       /* T_STR: the JSON string whose text s is, if any */
} val;

static const val VAL0 = {T_STR, 0, 0, "", 0, NULL, NULL, NULL, NULL};

struct ectx {
	const saola__expr *e;
	const saola__expr_env *env;
	const saola__expr_bound *b; /* NULL: every name is looked up */
	char *err;
	size_t errlen;
};

static int eerr(struct ectx *c, const char *fmt, ...) EXPR_PRINTF(2, 3);

static int eerr(struct ectx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err && c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return SAOLA_INVALID;
}

static void val_drop(val *v)
{
	if (v->own) /* rare: skip the call in the common case */
		saola__expr_mfree(v->own);
	json_decref(v->hold);
	*v = VAL0;
}

static void set_num(val *v, double x)
{
	*v = VAL0;
	v->t = T_NUM;
	v->n = x;
}

static void set_bool(val *v, int b)
{
	*v = VAL0;
	v->t = T_BOOL;
	v->n = b != 0;
}

/* A value borrowing from j (the caller keeps j alive). */
static void val_json(val *v, json_t *j)
{
	*v = VAL0;
	switch (json_typeof(j)) {
	case JSON_STRING:
		v->s = json_string_value(j);
		v->len = json_string_length(j);
		v->j = j;
		break;
	case JSON_INTEGER:
		set_num(v, (double)json_integer_value(j));
		break;
	case JSON_REAL:
		set_num(v, json_real_value(j));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		set_bool(v, json_is_true(j));
		break;
	case JSON_ARRAY:
		v->t = T_LIST;
		v->a = j;
		break;
	default: /* null (unanswered) and objects: the empty string */
		break;
	}
}

static const char *type_name(const val *v)
{
	static const char *const names[] = {"a number", "a boolean", "a string",
	                                    "a list", "a nodeset"};
	return names[v->t];
}

/* ------------------------------------------------------------------ */
/* Conversions (XPath's number(), boolean(), string())                 */

static double val_num(const val *v)
{
	val item;

	switch (v->t) {
	case T_NUM:
	case T_BOOL:
		return v->n;
	case T_STR:
		return saola__expr_str_num(v->s, v->len);
	case T_LIST: /* "a b" is not a number; "a" may be */
		if (json_array_size(v->a) != 1)
			return NAN;
		break;
	default:
		if (!json_array_size(v->a))
			return NAN;
		break;
	}
	val_json(&item, json_array_get(v->a, 0));
	return val_num(&item);
}

static int val_bool(const val *v)
{
	switch (v->t) {
	case T_NUM:
		return v->n != 0 && !isnan(v->n);
	case T_BOOL:
		return v->n != 0;
	case T_STR:
		return v->len > 0;
	default:
		return json_array_size(v->a) > 0;
	}
}

/* Turns v into its string value, in place (v keeps what it held). A
 * number's text goes to nb. On failure v is dropped. */
static int to_str(val *v, char nb[NUMBUF])
{
	json_t *item = v->a && json_array_size(v->a) ? json_array_get(v->a, 0)
	                                             : NULL;
	json_t *list = v->t == T_LIST ? v->a : item;
	int rc;

	switch (v->t) {
	case T_STR:
		return SAOLA_OK;
	case T_NUM:
		v->len = saola__expr_fmt_num(v->n, nb);
		v->s = nb;
		v->scratch = 1;
		break;
	case T_BOOL:
		v->s = v->n ? "true" : "false";
		v->len = strlen(v->s);
		break;
	default:
		if (json_is_array(list)) { /* a list, or a nodeset of lists */
			if ((rc = saola__expr_join(list, &v->own, &v->len))) {
				val_drop(v);
				return rc;
			}
			v->s = v->own ? v->own : "";
		} else if (item) {
			v->len = saola__expr_scalar_text(item, nb, &v->s);
			v->scratch = v->s == nb;
		} else {
			v->s = "";
			v->len = 0;
		}
		break;
	}
	v->t = T_STR;
	return SAOLA_OK;
}

/* Copies a string that points into a number buffer into memory v owns. */
static int keep_str(val *v)
{
	char *p;

	if (!v->scratch)
		return SAOLA_OK;
	if (!(p = saola__expr_malloc(v->len + 1))) {
		val_drop(v);
		return SAOLA_NOMEM;
	}
	memcpy(p, v->s, v->len);
	p[v->len] = '\0';
	saola__expr_mfree(v->own);
	v->own = p;
	v->s = p;
	v->scratch = 0;
	return SAOLA_OK;
}

/* Whether the string values of a and b are equal. */
static int str_equal(const val *a, const val *b, int *eq)
{
	val x = *a, y = *b;
	char nx[NUMBUF], ny[NUMBUF];
	int rc;

	x.own = y.own = NULL; /* borrowed copies: only what to_str makes */
	x.hold = y.hold = NULL;
	if ((rc = to_str(&x, nx)))
		return rc;
	if ((rc = to_str(&y, ny))) {
		val_drop(&x);
		return rc;
	}
	*eq = x.len == y.len && memcmp(x.s, y.s, x.len) == 0;
	val_drop(&x);
	val_drop(&y);
	return SAOLA_OK;
}

/* Compares two values that are not nodesets. */
static int cmp_scalar(int op, const val *a, const val *b, int *res)
{
	double x, y;
	int eq, rc;

	if (op == OP_EQ || op == OP_NE) {
		if (a->t == T_BOOL || b->t == T_BOOL)
			eq = val_bool(a) == val_bool(b);
		else if (a->t == T_NUM || b->t == T_NUM)
			eq = val_num(a) == val_num(b);
		else if ((rc = str_equal(a, b, &eq)))
			return rc;
		*res = op == OP_EQ ? eq : !eq;
		return SAOLA_OK;
	}
	x = val_num(a);
	y = val_num(b);
	*res = op == OP_LT ? x < y : op == OP_LE ? x <= y
	     : op == OP_GT ? x > y : x >= y;
	return SAOLA_OK;
}

/* XPath's comparison: existential over nodesets. */
static int compare(int op, const val *a, const val *b, int *res)
{
	size_t i, j, na, nb;
	val x, y, ba, bb;
	int rc;

	if (a->t != T_NODES && b->t != T_NODES)
		return cmp_scalar(op, a, b, res);
	if (a->t == T_BOOL || b->t == T_BOOL) {
		set_bool(&ba, val_bool(a));
		set_bool(&bb, val_bool(b));
		return cmp_scalar(op, &ba, &bb, res);
	}
	na = a->t == T_NODES ? json_array_size(a->a) : 1;
	nb = b->t == T_NODES ? json_array_size(b->a) : 1;
	*res = 0;
	for (i = 0; i < na; i++) {
		if (a->t == T_NODES)
			val_json(&x, json_array_get(a->a, i));
		else
			x = *a;
		for (j = 0; j < nb; j++) {
			if (b->t == T_NODES)
				val_json(&y, json_array_get(b->a, j));
			else
				y = *b;
			if ((rc = cmp_scalar(op, &x, &y, res)) || *res)
				return rc;
		}
	}
	return SAOLA_OK;
}

/* ------------------------------------------------------------------ */
/* Evaluation                                                          */

static int ev(struct ectx *c, int32_t i, val *out);

static int ev_num(struct ectx *c, int32_t i, double *x)
{
	val v;
	int rc;

	if ((rc = ev(c, i, &v)))
		return rc;
	*x = val_num(&v);
	val_drop(&v);
	return SAOLA_OK;
}

static int ev_bool(struct ectx *c, int32_t i, int *b)
{
	val v;
	int rc;

	if ((rc = ev(c, i, &v)))
		return rc;
	*b = val_bool(&v);
	val_drop(&v);
	return SAOLA_OK;
}

/* Evaluates node i to a string in v; a number's text goes to nb. */
static int ev_str(struct ectx *c, int32_t i, val *v, char nb[NUMBUF])
{
	int rc = ev(c, i, v);

	return rc ? rc : to_str(v, nb);
}

/* A bound reference (ix: a field's index, or SAOLA__EXPR_CUR): the value
 * is borrowed unless the environment says it made a new one. */
static int get_ref_ix(struct ectx *c, int ix, const char *name, val *out)
{
	int nodeset = 0, owned = 0;
	json_t *r = c->b->resolve_ix(c->env->ctx, ix, &nodeset, &owned);

	if (!r)
		return ix == SAOLA__EXPR_CUR ? eerr(c, "'.': no current value here")
		                             : eerr(c, "${%s}: unknown field", name);
	if (nodeset && json_is_array(r)) {
		*out = VAL0;
		out->t = T_NODES;
		out->a = r;
	} else {
		val_json(out, r);
	}
	out->hold = owned ? r : NULL;
	return SAOLA_OK;
}

static int get_ref(struct ectx *c, const char *name, val *out)
{
	int nodeset = 0;
	json_t *r = NULL;

	if (c->env->resolve)
		r = c->env->resolve(c->env->ctx, name, &nodeset);
	if (!r)
		return strcmp(name, ".") ? eerr(c, "${%s}: unknown field", name)
		                         : eerr(c, "'.': no current value here");
	if (nodeset && json_is_array(r)) {
		*out = VAL0;
		out->t = T_NODES;
		out->a = r;
	} else {
		val_json(out, r);
	}
	out->hold = r;
	return SAOLA_OK;
}

/* param(name); bound (call->ix) when the name is a literal. */
static int fn_param(struct ectx *c, const node *call, val *out)
{
	int32_t arg = call->kid;
	const node *n = &c->e->nodes[arg];
	char nb[NUMBUF], *tmp = NULL;
	const char *name;
	json_t *r = NULL;
	val v;
	int rc = SAOLA_OK;

	if (call->ix >= 0 && c->b && c->b->param_ix) {
		name = c->e->pool + n->u.s.off;
		if (!(r = c->b->param_ix(c->env->ctx, call->ix)))
			return eerr(c, "param('%s'): unknown parameter", name);
		val_json(out, r);
		return SAOLA_OK;
	}
	if (n->op == OP_STR) {
		name = c->e->pool + n->u.s.off;
	} else { /* a computed name: make it a C string */
		if ((rc = ev_str(c, arg, &v, nb)))
			return rc;
		tmp = saola__expr_malloc(v.len + 1);
		if (tmp) {
			memcpy(tmp, v.s, v.len);
			tmp[v.len] = '\0';
		}
		val_drop(&v);
		if (!tmp)
			return SAOLA_NOMEM;
		name = tmp;
	}
	if (c->env->param)
		r = c->env->param(c->env->ctx, name);
	if (!r) {
		rc = eerr(c, "param('%s'): unknown parameter", name);
		goto out;
	}
	val_json(out, r);
	out->hold = r;
out:
	saola__expr_mfree(tmp);
	return rc;
}

/* unit_urban(code, year), unit_name(code, year), unit_level_exists(level,
 * year): the empty string when the year or the code is empty, or when the
 * environment knows no units. */
static int fn_unit(struct ectx *c, int fn, int32_t a0, val *out)
{
	static const char *const what[] = {"urban", "name", "level_exists"};
	char nb[NUMBUF], arg[64];
	json_t *r = NULL;
	double year;
	val v;
	int rc;

	if ((rc = ev_str(c, a0, &v, nb)))
		return rc;
	snprintf(arg, sizeof arg, "%.*s", (int)(v.len < sizeof arg ? v.len : sizeof arg - 1),
	         v.s);
	val_drop(&v);
	if ((rc = ev_num(c, c->e->nodes[a0].next, &year)))
		return rc;
	*out = VAL0;
	if (!arg[0] || year != year || year < 1 || year > 9999 || !c->env->unit)
		return SAOLA_OK;
	if ((rc = c->env->unit(c->env->ctx, what[fn - F_UNIT_URBAN], arg, (json_int_t)year, &r)))
		return rc;
	if (r) {
		val_json(out, r);
		out->hold = r;
	}
	return SAOLA_OK;
}

/* position(..): the current repeat item's number, from 1. */
static int fn_position(struct ectx *c, val *out)
{
	size_t k = c->env->position ? c->env->position(c->env->ctx) : 0;

	if (!k)
		return eerr(c, "position(..): not in a repeat item");
	set_num(out, (double)k);
	return SAOLA_OK;
}

/* indexed-repeat(${field}, ${repeat}, n): field's value in item n of
 * repeat, bound (the references' indexes) when the form bound them; the
 * empty string when n is no whole number from 1 to the items. */
static int fn_indexed(struct ectx *c, int32_t a0, val *out)
{
	const node *field = &c->e->nodes[a0];
	const node *rep = &c->e->nodes[field->next];
	const char *fname = c->e->pool + field->u.s.off;
	const char *rname = c->e->pool + rep->u.s.off;
	int bound = c->b && c->b->indexed_ix && field->ix >= 0 && rep->ix >= 0;
	json_t *r = NULL;
	double n;
	int rc;

	if ((rc = ev_num(c, rep->next, &n)))
		return rc;
	if (!bound && !c->env->indexed)
		return eerr(c, "indexed-repeat(): no repeats here");
	/* Item 0 exists in no repeat: it asks whether field is one of
	 * repeat's, so that a bad pair fails whatever n is. */
	if (!(n >= 1 && n <= 1e15 && n == floor(n)))
		n = 0;
	if (bound)
		r = c->b->indexed_ix(c->env->ctx, field->ix, rep->ix, (size_t)n);
	else
		r = c->env->indexed(c->env->ctx, fname, rname, (size_t)n);
	if (!r)
		return eerr(c, "indexed-repeat(): ${%s} is not a field of the repeat ${%s}",
		            fname, rname);
	val_json(out, r);
	out->hold = bound ? NULL : r;
	return SAOLA_OK;
}

static int fn_concat(struct ectx *c, int32_t k, val *out)
{
	char nb[NUMBUF], *p = NULL, *q;
	size_t len = 0, cap = 0;
	val v;
	int rc;

	for (; k >= 0; k = c->e->nodes[k].next) {
		if ((rc = ev_str(c, k, &v, nb)))
			goto fail;
		if (len + v.len + 1 > cap) {
			for (cap = cap ? cap : 64; cap < len + v.len + 1; cap *= 2)
				;
			if (!(q = saola__expr_malloc(cap))) {
				val_drop(&v);
				rc = SAOLA_NOMEM;
				goto fail;
			}
			memcpy(q, p ? p : "", len);
			saola__expr_mfree(p);
			p = q;
		}
		memcpy(p + len, v.s, v.len);
		len += v.len;
		p[len] = '\0';
		val_drop(&v);
	}
	*out = VAL0;
	out->own = p;
	out->s = p ? p : "";
	out->len = len;
	return SAOLA_OK;
fail:
	saola__expr_mfree(p);
	return rc;
}

/* contains(), starts-with(). */
static int fn_contains(struct ectx *c, int fn, int32_t a0, val *out)
{
	char ns[NUMBUF], nt[NUMBUF];
	val s, t;
	size_t i;
	int rc, found = 0;

	if ((rc = ev_str(c, a0, &s, ns)))
		return rc;
	if ((rc = ev_str(c, c->e->nodes[a0].next, &t, nt))) {
		val_drop(&s);
		return rc;
	}
	for (i = 0; !found && t.len <= s.len && i <= s.len - t.len; i++) {
		found = memcmp(s.s + i, t.s, t.len) == 0;
		if (fn == F_STARTS_WITH)
			break;
	}
	val_drop(&s);
	val_drop(&t);
	set_bool(out, found);
	return SAOLA_OK;
}

/* A character position: truncated, clamped to [0, count]; NaN is 0. */
static size_t char_pos(double x, size_t count)
{
	if (!(x > 0))
		return 0;
	return x >= (double)count ? count : (size_t)x;
}

/* substr(s, start[, end]): the result is a slice of s, no copy. */
static int fn_substr(struct ectx *c, int32_t a0, val *out)
{
	const node *nd = c->e->nodes;
	int32_t a1 = nd[a0].next, a2 = nd[a1].next;
	char nb[NUMBUF];
	size_t count, from, to, b0, b1;
	double x, y;
	int rc;

	if ((rc = ev_str(c, a0, out, nb)))
		return rc;
	count = saola__expr_utf8_count(out->s, out->len);
	y = (double)count;
	if ((rc = ev_num(c, a1, &x)) || (a2 >= 0 && (rc = ev_num(c, a2, &y)))) {
		val_drop(out);
		return rc;
	}
	from = char_pos(x, count);
	to = char_pos(y, count);
	if (to < from)
		to = from;
	b0 = saola__expr_utf8_offset(out->s, out->len, from);
	b1 = b0 + saola__expr_utf8_offset(out->s + b0, out->len - b0,
	                                  to - from);
	out->s += b0;
	out->len = b1 - b0;
	return keep_str(out);
}

/* Whether the string value of v is empty (coalesce()). */
static int is_empty(const val *v)
{
	char nb[NUMBUF];
	const char *s;
	json_t *item;

	switch (v->t) {
	case T_STR:
		return v->len == 0;
	case T_LIST:
		return json_array_size(v->a) == 0;
	case T_NODES:
		if (!(item = json_array_get(v->a, 0)))
			return 1;
		if (json_is_array(item))
			return json_array_size(item) == 0;
		return saola__expr_scalar_text(item, nb, &s) == 0;
	default:
		return 0;
	}
}

/* selected(list, value) and count-selected(list): list is a JSON list (or
 * a nodeset whose first item is one), else a space-separated string. */
static int fn_selected(struct ectx *c, int fn, int32_t a0, val *out)
{
	char nl[NUMBUF], nv[NUMBUF], ne[NUMBUF];
	val l, v = VAL0;
	json_t *list = NULL;
	const char *s, *tok;
	size_t i, n, count = 0;
	int rc, found = 0;

	if ((rc = ev(c, a0, &l)))
		return rc;
	if (fn == F_SELECTED) {
		if ((rc = ev_str(c, c->e->nodes[a0].next, &v, nv))) {
			val_drop(&l);
			return rc;
		}
		for (; v.len && saola__expr_is_space((unsigned char)*v.s); v.len--)
			v.s++;
		for (; v.len && saola__expr_is_space((unsigned char)v.s[v.len - 1]);)
			v.len--;
	}
	if (l.t == T_LIST)
		list = l.a;
	else if (l.t == T_NODES && json_is_array(json_array_get(l.a, 0)))
		list = json_array_get(l.a, 0);
	if (list) {
		for (i = 0; i < json_array_size(list) && !found; i++, count++) {
			n = saola__expr_scalar_text(json_array_get(list, i), ne,
			                            &s);
			found = n == v.len && memcmp(s, v.s, n) == 0;
		}
	} else if (!(rc = to_str(&l, nl))) {
		for (s = l.s, i = 0; i < l.len && !found;) {
			for (; i < l.len && saola__expr_is_space((unsigned char)s[i]); i++)
				;
			for (tok = s + i; i < l.len &&
			     !saola__expr_is_space((unsigned char)s[i]); i++)
				;
			if (s + i > tok) {
				count++;
				found = (size_t)(s + i - tok) == v.len &&
				        memcmp(tok, v.s, v.len) == 0;
			}
		}
	}
	val_drop(&l);
	val_drop(&v);
	if (rc)
		return rc;
	if (fn == F_SELECTED)
		set_bool(out, found);
	else
		set_num(out, (double)count);
	return SAOLA_OK;
}

/* count(), sum(), min(), max(). */
static int fn_aggregate(struct ectx *c, const node *n, val *out)
{
	const char *name = saola__expr_fns[n->fn].name;
	int32_t k;
	size_t i, count = 0;
	double acc = n->fn == F_SUM ? 0 : NAN, x;
	int rc;
	val v, item;

	for (k = n->kid; k >= 0; k = c->e->nodes[k].next) {
		if ((rc = ev(c, k, &v)))
			return rc;
		if (v.t != T_NODES && (n->fn == F_COUNT || n->fn == F_SUM) &&
		    c->e->nodes[k].op != OP_REF && c->e->nodes[k].op != OP_CUR) {
			rc = eerr(c, "%s(): expected a repeat or a field, got %s", name,
			          type_name(&v));
			val_drop(&v);
			return rc;
		}
		for (i = 0; i < (v.t == T_NODES ? json_array_size(v.a) : 1); i++) {
			count++;
			if (v.t == T_NODES)
				val_json(&item, json_array_get(v.a, i));
			else
				item = v;
			x = val_num(&item);
			if (n->fn == F_SUM)
				acc += x;
			else if (count == 1 || (!isnan(acc) && (isnan(x) ||
			         (n->fn == F_MIN ? x < acc : x > acc))))
				acc = x; /* once NaN, stays NaN */
		}
		val_drop(&v);
	}
	set_num(out, n->fn == F_COUNT ? (double)count : acc);
	return SAOLA_OK;
}

static int fn_today(struct ectx *c, val *out)
{
	char buf[48];
	struct tm tm;
	time_t now;

	*out = VAL0;
	if (c->env->today) {
		out->s = c->env->today;
		out->len = strlen(out->s);
		return SAOLA_OK;
	}
	now = time(NULL);
	if (!localtime_r(&now, &tm))
		return eerr(c, "today(): no local date");
	out->len = (size_t)snprintf(buf, sizeof buf, "%04d-%02d-%02d",
	                            tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	out->s = buf;
	out->scratch = 1;
	return keep_str(out);
}

static int call(struct ectx *c, const node *n, val *out)
{
	const node *nd = c->e->nodes;
	int32_t a0 = n->kid, a1 = a0 >= 0 ? nd[a0].next : -1;
	char nb[NUMBUF];
	double x, y = 0;
	int b, rc;

	switch (n->fn) {
	case F_TRUE:
	case F_FALSE:
		set_bool(out, n->fn == F_TRUE);
		return SAOLA_OK;
	case F_NOT:
	case F_BOOLEAN:
		if ((rc = ev_bool(c, a0, &b)))
			return rc;
		set_bool(out, n->fn == F_NOT ? !b : b);
		return SAOLA_OK;
	case F_IF:
		if ((rc = ev_bool(c, a0, &b)))
			return rc;
		return ev(c, b ? a1 : nd[a1].next, out);
	case F_NUMBER:
	case F_INT:
	case F_FLOOR:
	case F_CEILING:
	case F_ABS:
	case F_ROUND:
		if ((rc = ev_num(c, a0, &x)) || (a1 >= 0 && (rc = ev_num(c, a1, &y))))
			return rc;
		x = n->fn == F_INT ? trunc(x) : n->fn == F_FLOOR ? floor(x)
		  : n->fn == F_CEILING ? ceil(x) : n->fn == F_ABS ? fabs(x)
		  : n->fn == F_ROUND ? saola__expr_round(x, y) : x;
		set_num(out, x);
		return SAOLA_OK;
	case F_STRING:
		if ((rc = ev_str(c, a0, out, nb)))
			return rc;
		return keep_str(out);
	case F_STRING_LENGTH:
		if ((rc = ev_str(c, a0, out, nb)))
			return rc;
		x = (double)saola__expr_utf8_count(out->s, out->len);
		val_drop(out);
		set_num(out, x);
		return SAOLA_OK;
	case F_CONCAT:
		return fn_concat(c, a0, out);
	case F_CONTAINS:
	case F_STARTS_WITH:
		return fn_contains(c, n->fn, a0, out);
	case F_SUBSTR:
		return fn_substr(c, a0, out);
	case F_COALESCE:
		if ((rc = ev(c, a0, out)) || !is_empty(out))
			return rc;
		val_drop(out);
		return ev(c, a1, out);
	case F_SELECTED:
	case F_COUNT_SELECTED:
		return fn_selected(c, n->fn, a0, out);
	case F_COUNT:
	case F_SUM:
	case F_MIN:
	case F_MAX:
		return fn_aggregate(c, n, out);
	case F_TODAY:
		return fn_today(c, out);
	case F_UNIT_URBAN:
	case F_UNIT_NAME:
	case F_UNIT_LEVEL_EXISTS:
		return fn_unit(c, n->fn, a0, out);
	case F_POSITION:
		return fn_position(c, out);
	case F_INDEXED_REPEAT:
		return fn_indexed(c, a0, out);
	default:
		return fn_param(c, n, out);
	}
}

/* Evaluates node i into out; on failure out holds nothing. Recursion is
 * bounded by the height the parser allowed (SAOLA__EXPR_MAX_DEPTH). */
static int ev(struct ectx *c, int32_t i, val *out)
{
	const node *n = &c->e->nodes[i];
	int32_t k;
	double acc, x;
	val a, b;
	int rc, r;

	*out = VAL0;
	switch (n->op) {
	case OP_NUM:
		set_num(out, n->u.num);
		return SAOLA_OK;
	case OP_STR:
		out->s = c->e->pool + n->u.s.off;
		out->len = n->u.s.len;
		return SAOLA_OK;
	case OP_REF:
		if (n->ix >= 0 && c->b && c->b->resolve_ix)
			return get_ref_ix(c, n->ix, c->e->pool + n->u.s.off, out);
		return get_ref(c, c->e->pool + n->u.s.off, out);
	case OP_CUR:
		if (c->b && c->b->resolve_ix)
			return get_ref_ix(c, SAOLA__EXPR_CUR, ".", out);
		return get_ref(c, ".", out);
	case OP_NEG:
		if ((rc = ev_num(c, n->kid, &x)))
			return rc;
		set_num(out, -x);
		return SAOLA_OK;
	case OP_CALL:
		return call(c, n, out);
	case OP_OR:
	case OP_AND: /* stops at the first operand that decides */
		for (k = n->kid; k >= 0; k = c->e->nodes[k].next) {
			if ((rc = ev_bool(c, k, &r)))
				return rc;
			if (r == (n->op == OP_OR))
				break;
		}
		set_bool(out, k >= 0 ? n->op == OP_OR : n->op == OP_AND);
		return SAOLA_OK;
	case OP_EQ:
	case OP_NE:
	case OP_LT:
	case OP_LE:
	case OP_GT:
	case OP_GE:
		if ((rc = ev(c, n->kid, &a)))
			return rc;
		if ((rc = ev(c, c->e->nodes[n->kid].next, &b))) {
			val_drop(&a);
			return rc;
		}
		rc = compare(n->op, &a, &b, &r);
		val_drop(&a);
		val_drop(&b);
		if (!rc)
			set_bool(out, r);
		return rc;
	default: /* + - * div mod, folded left */
		if ((rc = ev_num(c, n->kid, &acc)))
			return rc;
		for (k = c->e->nodes[n->kid].next; k >= 0; k = c->e->nodes[k].next) {
			if ((rc = ev_num(c, k, &x)))
				return rc;
			acc = n->op == OP_ADD ? acc + x : n->op == OP_SUB ? acc - x
			    : n->op == OP_MUL ? acc * x : n->op == OP_DIV ? acc / x
			    : fmod(acc, x);
		}
		set_num(out, acc);
		return SAOLA_OK;
	}
}

/* ------------------------------------------------------------------ */
/* Results                                                             */

static json_t *num_json(const saola__expr_bound *b, double x)
{
	if (isnan(x) || isinf(x))
		return json_null();
	if (b && x >= 0 && x < b->nints && x == trunc(x))
		return json_incref(b->ints[(int)x]);
	if (x == trunc(x) && x >= -9223372036854775808.0 &&
	    x < 9223372036854775808.0)
		return json_integer((json_int_t)x);
	return json_real(x);
}

static int to_json(const saola__expr_bound *b, const val *v, json_t **out)
{
	char nb[NUMBUF];
	json_t *j;
	val t;
	int rc;

	switch (v->t) {
	case T_NUM:
		j = num_json(b, v->n);
		break;
	case T_BOOL:
		j = json_boolean(v->n != 0);
		break;
	case T_STR:
		if (!v->len)
			j = json_null();
		else if (v->j && v->s == json_string_value(v->j) &&
		         v->len == json_string_length(v->j))
			j = json_incref(v->j); /* ${name} as it is */
		else
			j = json_stringn(v->s, v->len);
		break;
	case T_LIST:
		t = *v;
		t.hold = NULL;
		if ((rc = to_str(&t, nb)))
			return rc;
		rc = to_json(b, &t, out);
		val_drop(&t);
		return rc;
	default:
		if (!json_array_size(v->a))
			return (*out = json_null()) ? SAOLA_OK : SAOLA_NOMEM;
		val_json(&t, json_array_get(v->a, 0));
		return to_json(b, &t, out);
	}
	*out = j;
	return j ? SAOLA_OK : SAOLA_NOMEM;
}

static const saola__expr_env noenv;

static int eval(const saola__expr *e, const saola__expr_env *env,
                const saola__expr_bound *b, val *v, char *err, size_t errlen)
{
	struct ectx c;
	int rc;

	c.e = e;
	c.env = env ? env : &noenv;
	c.b = b;
	c.err = err;
	c.errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	rc = ev(&c, e->root, v);
	if (rc == SAOLA_NOMEM && err && errlen)
		snprintf(err, errlen, "out of memory");
	return rc;
}

int saola__expr_eval_b(const saola__expr *e, const saola__expr_env *env,
                       const saola__expr_bound *b, json_t **out, char *err,
                       size_t errlen)
{
	val v;
	int rc;

	if (out)
		*out = NULL;
	if (!e || !out)
		return SAOLA_MISUSE;
	if ((rc = eval(e, env, b, &v, err, errlen)))
		return rc;
	rc = to_json(b, &v, out);
	val_drop(&v);
	if (rc) {
		*out = NULL;
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
	}
	return rc;
}

int saola__expr_eval_bool_b(const saola__expr *e, const saola__expr_env *env,
                            const saola__expr_bound *b, int *out, char *err,
                            size_t errlen)
{
	val v;
	int rc;

	if (out)
		*out = 0;
	if (!e || !out)
		return SAOLA_MISUSE;
	if ((rc = eval(e, env, b, &v, err, errlen)))
		return rc;
	*out = val_bool(&v);
	val_drop(&v);
	return SAOLA_OK;
}

int saola__expr_eval(const saola__expr *e, const saola__expr_env *env,
                     json_t **out, char *err, size_t errlen)
{
	return saola__expr_eval_b(e, env, NULL, out, err, errlen);
}

int saola__expr_eval_bool(const saola__expr *e, const saola__expr_env *env,
                          int *out, char *err, size_t errlen)
{
	return saola__expr_eval_bool_b(e, env, NULL, out, err, errlen);
}
