/* expr.c: the form expression language (ODK/XLSForm syntax over XPath 1.0),
 * parsed once into a compact node array and evaluated once per record.
 *
 * Semantics, where XPath 1.0 and ODK leave a choice:
 *  - Values are numbers, booleans, strings, lists (a select_multiple answer,
 *    a JSON array of strings; as a string, its values joined by single
 *    spaces) and nodesets (resolve() with *nodeset set: one value per repeat
 *    item). JSON true/false are booleans.
 *  - An unanswered field (JSON null) is the empty string; as a number it is
 *    NaN, and NaN propagates through arithmetic. 1 div 0 is Infinity, 0 div 0
 *    and x mod 0 are NaN.
 *  - number() of a string accepts XPath's form only ([-]digits[.digits] with
 *    surrounding whitespace), plus ODK's dates: "YYYY-MM-DD" is its number of
 *    days since 1970-01-01, so ${dob} < today() and today() - ${dob} work.
 *  - '=' and '!=': a boolean on either side compares as booleans, else a
 *    number on either side as numbers, else as strings (XPath 1.0, 3.4).
 *    < <= > >= compare numbers. With a nodeset on a side the comparison is
 *    existential, true when some item (some pair) matches, each item keeping
 *    its JSON type; against a boolean it is boolean(nodeset) that compares.
 *    An empty nodeset matches nothing, for '!=' too.
 *  - count() counts the items of a nodeset; sum() adds them, 0 over none,
 *    skipping nothing (an unanswered item makes the sum NaN, as in XPath).
 *    A ${field} or '.' that is not a nodeset is one item; any other value is
 *    an error. min() and max() take nodesets and numbers; over nothing, or
 *    with an item that is not a number, they are NaN.
 *  - round(x, d) rounds the shortest decimal form of x to d places (d may be
 *    negative), halves toward +infinity like XPath's round(); round(x) is
 *    round(x, 0). int() truncates toward zero.
 *  - substr(s, start[, end]) is ODK's: 0-based, end excluded, clamped to the
 *    string, in characters; string-length() counts UTF-8 characters.
 *  - position(..) is ODK's: the number of the current repeat item, from 1
 *    (the only use of '..'). indexed-repeat(${field}, ${repeat}, n) is
 *    field's value in item n of repeat (ODK's, one repeat deep): the empty
 *    string when n is not a whole number from 1 to the number of items.
 *  - Numbers print as ECMAScript prints them: the shortest form that reads
 *    back, an exponent only below 1e-6 or from 1e21; NaN, Infinity.
 *  - Results: a number that is integral and fits json_int_t is an integer,
 *    otherwise a real; NaN and +-Infinity (JSON has neither) are null; an
 *    empty string is null (unanswered); a list is its joined string; a
 *    nodeset is its first item (XPath's string value), null when empty.
 *
 * Every allocation goes through jansson's allocator (json_get_alloc_funcs),
 * so one hook (json_set_alloc_funcs) controls them all, tests included.
 */
#define SAOLA__EXPR_PRIVATE
#include "expr.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <saola/core.h>

#if defined(__GNUC__)
#define EXPR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define EXPR_PRINTF(f, a)
#endif

#define NFNS ((size_t)F__COUNT)

typedef saola__expr_node node;

static const char *const op_text[] = {
	[OP_OR] = "or", [OP_AND] = "and", [OP_EQ] = "=", [OP_NE] = "!=",
	[OP_LT] = "<", [OP_LE] = "<=", [OP_GT] = ">", [OP_GE] = ">=",
	[OP_ADD] = "+", [OP_SUB] = "-", [OP_MUL] = "*", [OP_DIV] = "div",
	[OP_MOD] = "mod"
};

const struct saola__expr_fninfo saola__expr_fns[F__COUNT] = {
	[F_NOT] = {"not", 1, 1}, [F_IF] = {"if", 3, 3},
	[F_SELECTED] = {"selected", 2, 2},
	[F_COUNT_SELECTED] = {"count-selected", 1, 1},
	[F_COUNT] = {"count", 1, 1}, [F_SUM] = {"sum", 1, 1},
	[F_MIN] = {"min", 1, -1}, [F_MAX] = {"max", 1, -1},
	[F_ROUND] = {"round", 1, 2}, [F_INT] = {"int", 1, 1},
	[F_NUMBER] = {"number", 1, 1}, [F_STRING] = {"string", 1, 1},
	[F_STRING_LENGTH] = {"string-length", 1, 1},
	[F_CONCAT] = {"concat", 0, -1}, [F_COALESCE] = {"coalesce", 2, 2},
	[F_TODAY] = {"today", 0, 0}, [F_TRUE] = {"true", 0, 0},
	[F_FALSE] = {"false", 0, 0}, [F_BOOLEAN] = {"boolean", 1, 1},
	[F_FLOOR] = {"floor", 1, 1}, [F_CEILING] = {"ceiling", 1, 1},
	[F_ABS] = {"abs", 1, 1}, [F_CONTAINS] = {"contains", 2, 2},
	[F_STARTS_WITH] = {"starts-with", 2, 2},
	[F_SUBSTR] = {"substr", 2, 3}, [F_PARAM] = {"param", 1, 1},
	[F_UNIT_URBAN] = {"unit_urban", 2, 2}, [F_UNIT_NAME] = {"unit_name", 2, 2},
	[F_UNIT_LEVEL_EXISTS] = {"unit_level_exists", 2, 2},
	[F_POSITION] = {"position", 0, 0},            /* position(..): see parse_call */
	[F_INDEXED_REPEAT] = {"indexed-repeat", 3, 3}
};

/* ------------------------------------------------------------------ */
/* Parsing: recursive descent, one function per precedence level       */

typedef struct parser {
	const char *src;
	size_t pos, len;
	node *nodes;
	int32_t nn, cap;
	char *pool;
	uint32_t np;
	int depth;          /* open parentheses, calls and unary minuses */
	const char *after;  /* the token just read, for "expected a value" */
	char *err;
	size_t errlen;
	int rc;
} parser;

static int32_t perr(parser *p, size_t at, const char *fmt, ...)
	EXPR_PRINTF(3, 4);

/* Records the first error, at byte offset at; returns -1. */
static int32_t perr(parser *p, size_t at, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (p->rc)
		return -1;
	p->rc = SAOLA_INVALID;
	if (!p->err || !p->errlen)
		return -1;
	k = snprintf(p->err, p->errlen, "column %zu: ", at + 1);
	if (k >= 0 && (size_t)k < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + k, p->errlen - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int32_t too_deep(parser *p, size_t at)
{
	return perr(p, at, "expression nests deeper than %d levels",
	            SAOLA__EXPR_MAX_DEPTH);
}

/* Length of the token at `at` to quote in a message: a word or one char. */
static int tok_len(const parser *p, size_t at)
{
	const unsigned char *s = (const unsigned char *)p->src;
	size_t i = at;

	if (saola__expr_is_name_char(s[i]))
		while (i < p->len && saola__expr_is_name_char(s[i]) && i - at < 40)
			i++;
	else
		for (i++; i < p->len && (s[i] & 0xC0) == 0x80; i++)
			;
	return (int)(i - at);
}

static void skip_ws(parser *p)
{
	while (saola__expr_is_space((unsigned char)p->src[p->pos]))
		p->pos++;
}

static int32_t mknode(parser *p, int op, size_t at)
{
	node *n;

	if (p->nn >= p->cap) /* cannot happen: each node uses a source byte */
		return perr(p, at, "internal error: too many nodes");
	n = &p->nodes[p->nn];
	memset(n, 0, sizeof *n);
	n->op = (uint8_t)op;
	n->kid = n->next = n->ix = -1;
	return p->nn++;
}

/* Notes that kid is an operand of parent, checking the nesting limit. */
static int grow(parser *p, int32_t parent, int32_t kid, size_t at)
{
	unsigned h = p->nodes[kid].h + 1u;

	if (h > SAOLA__EXPR_MAX_DEPTH)
		return too_deep(p, at);
	if (h > p->nodes[parent].h)
		p->nodes[parent].h = (uint16_t)h;
	return 0;
}

static uint32_t pool_add(parser *p, const char *s, size_t n)
{
	uint32_t off = p->np;

	memcpy(p->pool + off, s, n);
	p->pool[off + n] = '\0';
	p->np += (uint32_t)n + 1;
	return off;
}

/* A keyword operator: w, not followed by a letter, digit or '_'. */
static int word(const char *s, const char *w, size_t n)
{
	return strncmp(s, w, n) == 0 &&
	       !saola__expr_is_name_start((unsigned char)s[n]) &&
	       !saola__expr_is_digit(s[n]);
}

/* The binary operator of precedence level lv at p->pos, or -1. */
static int peek_op(const parser *p, int lv, size_t *n)
{
	const char *s = p->src + p->pos;

	*n = 1;
	switch (lv) {
	case 0:
		return word(s, "or", 2) ? (*n = 2, OP_OR) : -1;
	case 1:
		return word(s, "and", 3) ? (*n = 3, OP_AND) : -1;
	case 2:
		if (s[0] == '=')
			return OP_EQ;
		return s[0] == '!' && s[1] == '=' ? (*n = 2, OP_NE) : -1;
	case 3:
		if (s[0] != '<' && s[0] != '>')
			return -1;
		*n = s[1] == '=' ? 2 : 1;
		return s[0] == '<' ? (*n == 2 ? OP_LE : OP_LT)
		                   : (*n == 2 ? OP_GE : OP_GT);
	case 4:
		return s[0] == '+' ? OP_ADD : s[0] == '-' ? OP_SUB : -1;
	default:
		if (s[0] == '*')
			return OP_MUL;
		*n = 3;
		return word(s, "div", 3) ? OP_DIV : word(s, "mod", 3) ? OP_MOD : -1;
	}
}

#define NLEVELS 6 /* or, and, equality, relational, additive, multiplicative */

static int32_t parse_level(parser *p, int lv);

static int32_t parse_group(parser *p)
{
	size_t at = p->pos++;
	int32_t k;

	p->after = "(";
	if (++p->depth > SAOLA__EXPR_MAX_DEPTH)
		return too_deep(p, at);
	if ((k = parse_level(p, 0)) < 0)
		return -1;
	p->depth--;
	skip_ws(p);
	if (p->src[p->pos] != ')')
		return perr(p, p->pos, "expected ')' to match the '(' at column %zu",
		            at + 1);
	p->pos++;
	return k;
}

static int32_t parse_string(parser *p)
{
	size_t at = p->pos, n;
	const char *s = p->src + at + 1;
	const char *end = memchr(s, p->src[at], p->len - at - 1);
	int32_t i;

	if (!end)
		return perr(p, at, "unterminated string");
	if ((i = mknode(p, OP_STR, at)) < 0)
		return -1;
	n = (size_t)(end - s);
	p->nodes[i].u.s.off = pool_add(p, s, n);
	p->nodes[i].u.s.len = (uint32_t)n;
	p->pos = at + n + 2;
	return i;
}

static int32_t parse_number(parser *p)
{
	size_t at = p->pos;
	int32_t i;

	while (saola__expr_is_digit(p->src[p->pos]))
		p->pos++;
	if (p->src[p->pos] == '.')
		for (p->pos++; saola__expr_is_digit(p->src[p->pos]); p->pos++)
			;
	if ((i = mknode(p, OP_NUM, at)) >= 0)
		p->nodes[i].u.num = saola__expr_dec(p->src + at, p->pos - at);
	return i;
}

static int32_t parse_ref(parser *p)
{
	const char *s = p->src;
	size_t at = p->pos, i = at + 2;
	int32_t k;

	if (s[at + 1] != '{')
		return perr(p, at, "expected '{' after '$' (a field is ${name})");
	if (s[i] == '}')
		return perr(p, at, "empty ${}");
	if (i == p->len)
		return perr(p, at, "expected a name and '}' after '${'");
	if (!saola__expr_is_name_start((unsigned char)s[i]))
		return perr(p, i, "a name in ${} starts with a letter or '_', "
		            "got '%.*s'", tok_len(p, i), s + i);
	while (saola__expr_is_name_char((unsigned char)s[i]))
		i++;
	if (i == p->len)
		return perr(p, at, "expected '}' to close '${'");
	if (s[i] != '}')
		return perr(p, i, "unexpected '%.*s' in ${%.*s}", tok_len(p, i),
		            s + i, (int)(i - at - 2), s + at + 2);
	if ((k = mknode(p, OP_REF, at)) < 0)
		return -1;
	p->nodes[k].u.s.off = pool_add(p, s + at + 2, i - at - 2);
	p->nodes[k].u.s.len = (uint32_t)(i - at - 2);
	p->pos = i + 1;
	return k;
}

static void arity_text(const struct saola__expr_fninfo *f, char *buf,
                       size_t size)
{
	if (f->max < 0)
		snprintf(buf, size, "at least %d argument%s", f->min,
		         f->min == 1 ? "" : "s");
	else if (f->min == f->max)
		snprintf(buf, size, f->min ? "%d argument%s" : "no arguments",
		         f->min, f->min == 1 ? "" : "s");
	else
		snprintf(buf, size, "%d %s %d arguments", f->min,
		         f->max == f->min + 1 ? "or" : "to", f->max);
}

/* The function named by the n bytes at s, or F__COUNT. */
static size_t find_fn(const char *s, size_t n)
{
	size_t f;

	for (f = 0; f < NFNS; f++)
		if (strlen(saola__expr_fns[f].name) == n &&
		    !memcmp(saola__expr_fns[f].name, s, n))
			break;
	return f;
}

static int32_t parse_call(parser *p)
{
	const char *s = p->src;
	const struct saola__expr_fninfo *fi;
	size_t at = p->pos, nlen, f;
	int32_t k, first = -1, last = -1, tall = -1, i;
	int nargs = 0;
	char want[40];

	while (saola__expr_is_name_char((unsigned char)s[p->pos]))
		p->pos++;
	nlen = p->pos - at;
	f = find_fn(s + at, nlen);
	fi = &saola__expr_fns[f < NFNS ? f : 0];
	skip_ws(p);
	if (s[p->pos] != '(') {
		if (f < NFNS)
			return perr(p, at, "expected '(' after %s", fi->name);
		return perr(p, at, "unexpected name '%.*s' (a field is ${%.*s})",
		            (int)nlen, s + at, (int)nlen, s + at);
	}
	if (f == NFNS)
		return perr(p, at, "unknown function %.*s()", (int)nlen, s + at);
	if (++p->depth > SAOLA__EXPR_MAX_DEPTH)
		return too_deep(p, p->pos);
	p->pos++;
	skip_ws(p);
	if (f == F_POSITION) {
		/* ODK's position(..): the number of the current repeat item; the
		 * only place '..' (the item) is written, so it is no node. */
		if (s[p->pos] != '.' || s[p->pos + 1] != '.')
			return perr(p, p->pos, "position() takes '..' (the current "
			            "repeat item): position(..)");
		p->pos += 2;
		skip_ws(p);
		if (s[p->pos] != ')')
			return perr(p, p->pos, "expected ')' after position(..");
		p->pos++;
	} else if (s[p->pos] == ')')
		p->pos++;
	else
		for (;;) {
			p->after = nargs ? "," : "(";
			if ((k = parse_level(p, 0)) < 0)
				return -1;
			if (last >= 0)
				p->nodes[last].next = k;
			else
				first = k;
			last = k;
			if (tall < 0 || p->nodes[k].h > p->nodes[tall].h)
				tall = k;
			nargs++;
			skip_ws(p);
			if (s[p->pos] == ',' || s[p->pos] == ')') {
				if (s[p->pos++] == ')')
					break;
				continue;
			}
			if (p->pos == p->len)
				return perr(p, p->pos, "expected ')' after arguments of "
				            "%s()", fi->name);
			return perr(p, p->pos, "expected ',' or ')' in arguments of "
			            "%s(), got '%.*s'", fi->name, tok_len(p, p->pos),
			            s + p->pos);
		}
	p->depth--;
	if (nargs < fi->min || (fi->max >= 0 && nargs > fi->max)) {
		arity_text(fi, want, sizeof want);
		return perr(p, at, "%s() takes %s, got %d", fi->name, want, nargs);
	}
	/* indexed-repeat(${field}, ${repeat}, n) names a field and its
	 * repeat, whose values are not what it reads. */
	if (f == F_INDEXED_REPEAT && p->nodes[first].op != OP_REF)
		return perr(p, at, "indexed-repeat(): the first argument is "
		            "${field}, a field of the repeat");
	if (f == F_INDEXED_REPEAT && p->nodes[p->nodes[first].next].op != OP_REF)
		return perr(p, at, "indexed-repeat(): the second argument is "
		            "${repeat}, the repeat");
	if ((i = mknode(p, OP_CALL, at)) < 0)
		return -1;
	p->nodes[i].fn = (uint8_t)f;
	p->nodes[i].kid = first;
	p->nodes[i].n = (uint16_t)nargs;
	if (tall >= 0 && grow(p, i, tall, at))
		return -1;
	return i;
}

static int32_t parse_primary(parser *p)
{
	const char *s = p->src;
	size_t at;
	unsigned char c;

	skip_ws(p);
	at = p->pos;
	c = (unsigned char)s[at];
	if (c == '(')
		return parse_group(p);
	if (c == '\'' || c == '"')
		return parse_string(p);
	if (saola__expr_is_digit(c) || (c == '.' && saola__expr_is_digit(s[at + 1])))
		return parse_number(p);
	if (c == '.') {
		if (s[at + 1] == '.')
			return perr(p, at, "'..' is not supported (a field is ${name})");
		p->pos++;
		return mknode(p, OP_CUR, at);
	}
	if (c == '$')
		return parse_ref(p);
	if (saola__expr_is_name_start(c))
		return parse_call(p);
	if (at == p->len)
		return p->after ? perr(p, at, "expected a value after '%s'", p->after)
		                : perr(p, at, "expected a value");
	if (p->after)
		return perr(p, at, "expected a value after '%s', got '%.*s'",
		            p->after, tok_len(p, at), s + at);
	return perr(p, at, "expected a value, got '%.*s'", tok_len(p, at), s + at);
}

static int32_t parse_unary(parser *p)
{
	size_t at;
	int32_t k, i;

	skip_ws(p);
	if (p->src[p->pos] != '-')
		return parse_primary(p);
	at = p->pos++;
	p->after = "-";
	if (++p->depth > SAOLA__EXPR_MAX_DEPTH)
		return too_deep(p, at);
	if ((k = parse_unary(p)) < 0)
		return -1;
	p->depth--;
	if (p->nodes[k].op == OP_NUM) { /* a negative literal */
		p->nodes[k].u.num = -p->nodes[k].u.num;
		return k;
	}
	if ((i = mknode(p, OP_NEG, at)) < 0)
		return -1;
	p->nodes[i].kid = k;
	p->nodes[i].n = 1;
	return grow(p, i, k, at) ? -1 : i;
}

/* One precedence level; a run of one left-associative operator ("a + b +
 * c", "x and y and z") becomes one n-ary node, so long sums stay shallow. */
static int32_t parse_level(parser *p, int lv)
{
	int32_t left, right, top, fold = -1, last = -1;
	size_t at, n;
	int op;

	if (lv == NLEVELS)
		return parse_unary(p);
	left = parse_level(p, lv + 1);
	while (left >= 0) {
		skip_ws(p);
		at = p->pos;
		if ((op = peek_op(p, lv, &n)) < 0)
			break;
		p->pos += n;
		p->after = op_text[op];
		if ((right = parse_level(p, lv + 1)) < 0)
			return -1;
		if (left == fold && p->nodes[fold].op == op) {
			p->nodes[last].next = right;
			last = right;
			p->nodes[fold].n++;
			if (grow(p, fold, right, at))
				return -1;
			continue;
		}
		if ((top = mknode(p, op, at)) < 0)
			return -1;
		p->nodes[top].kid = left;
		p->nodes[top].n = 2;
		p->nodes[left].next = right;
		if (grow(p, top, left, at) || grow(p, top, right, at))
			return -1;
		if (op < OP_EQ || op > OP_GE) {
			fold = top;
			last = right;
		}
		left = top;
	}
	return left;
}

int saola__expr_parse(const char *src, saola__expr **out, char *err,
                      size_t errlen)
{
	parser p;
	saola__expr *e;
	size_t bad;
	int32_t root;

	memset(&p, 0, sizeof p);
	if (err && errlen)
		err[0] = '\0';
	if (out)
		*out = NULL;
	if (!src || !out)
		return SAOLA_MISUSE;
	p.src = src;
	p.err = err;
	p.errlen = errlen;
	p.len = strnlen(src, SAOLA__EXPR_MAX_LEN + 1);
	if (p.len > SAOLA__EXPR_MAX_LEN) {
		perr(&p, SAOLA__EXPR_MAX_LEN, "expression longer than %d bytes",
		     SAOLA__EXPR_MAX_LEN);
		goto out;
	}
	bad = saola__expr_utf8_check((const unsigned char *)src, p.len);
	if (bad < p.len) {
		perr(&p, bad, "invalid utf-8");
		goto out;
	}
	p.cap = (int32_t)p.len + 1;
	p.nodes = saola__expr_malloc((size_t)p.cap * sizeof *p.nodes);
	p.pool = saola__expr_malloc(p.len + 1);
	if (!p.nodes || !p.pool)
		goto nomem;
	skip_ws(&p);
	if (p.pos == p.len) {
		perr(&p, 0, "empty expression");
		goto out;
	}
	if ((root = parse_level(&p, 0)) < 0)
		goto out;
	skip_ws(&p);
	if (p.pos < p.len) {
		perr(&p, p.pos, "unexpected '%.*s'", tok_len(&p, p.pos),
		     src + p.pos);
		goto out;
	}
	e = saola__expr_malloc(sizeof *e + (size_t)p.nn * sizeof(node) + p.np);
	if (!e)
		goto nomem;
	e->root = root;
	e->nnodes = p.nn;
	memcpy(e->nodes, p.nodes, (size_t)p.nn * sizeof(node));
	memcpy((char *)(e->nodes + p.nn), p.pool, p.np);
	e->pool = (const char *)(e->nodes + p.nn);
	*out = e;
	goto out;
nomem:
	p.rc = SAOLA_NOMEM;
	if (err && errlen)
		snprintf(err, errlen, "out of memory");
out:
	saola__expr_mfree(p.nodes);
	saola__expr_mfree(p.pool);
	return p.rc;
}

void saola__expr_free(saola__expr *e)
{
	saola__expr_mfree(e);
}

int saola__expr_refs(const saola__expr *e,
                     int (*fn)(void *ctx, const char *name), void *ctx)
{
	int32_t i;
	int rc;

	for (i = 0; e && fn && i < e->nnodes; i++) {
		if (e->nodes[i].op == OP_REF)
			rc = fn(ctx, e->pool + e->nodes[i].u.s.off);
		else if (e->nodes[i].op == OP_CUR)
			rc = fn(ctx, ".");
		else if (e->nodes[i].op == OP_CALL && e->nodes[i].fn == F_POSITION)
			rc = fn(ctx, "..");
		else
			continue;
		if (rc)
			return rc;
	}
	return 0;
}

int saola__expr_params(const saola__expr *e,
                       int (*fn)(void *ctx, const char *name), void *ctx)
{
	int32_t i;
	int rc;
	const node *arg;

	for (i = 0; e && fn && i < e->nnodes; i++) {
		if (e->nodes[i].op != OP_CALL || e->nodes[i].fn != F_PARAM)
			continue;
		arg = &e->nodes[e->nodes[i].kid];
		if (arg->op == OP_STR && (rc = fn(ctx, e->pool + arg->u.s.off)))
			return rc;
	}
	return 0;
}

int saola__expr_indexed(const saola__expr *e,
                        int (*fn)(void *ctx, const char *field, const char *repeat),
                        void *ctx)
{
	const node *field;
	int32_t i;
	int rc;

	for (i = 0; e && fn && i < e->nnodes; i++) {
		if (e->nodes[i].op != OP_CALL || e->nodes[i].fn != F_INDEXED_REPEAT)
			continue;
		field = &e->nodes[e->nodes[i].kid];
		rc = fn(ctx, e->pool + field->u.s.off,
		        e->pool + e->nodes[field->next].u.s.off);
		if (rc)
			return rc;
	}
	return 0;
}

int saola__expr_bind(saola__expr *e, int (*ref)(void *ctx, const char *name, int *ix),
                     int (*param)(void *ctx, const char *name, int *ix), void *ctx)
{
	saola__expr_node *n, *arg;
	int32_t i;
	int ix, rc;

	for (i = 0; e && i < e->nnodes; i++) {
		n = &e->nodes[i];
		ix = -1;
		if (n->op == OP_REF && ref)
			rc = ref(ctx, e->pool + n->u.s.off, &ix);
		else if (n->op == OP_CALL && n->fn == F_PARAM && param &&
		         (arg = &e->nodes[n->kid])->op == OP_STR)
			rc = param(ctx, e->pool + arg->u.s.off, &ix);
		else
			continue;
		if (rc != SAOLA_OK)
			return rc;
		n->ix = ix < 0 ? -1 : ix;
	}
	return SAOLA_OK;
}
