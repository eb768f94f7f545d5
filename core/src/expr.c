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
#include "expr.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <saola/core.h>

#if defined(__GNUC__)
#define EXPR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define EXPR_PRINTF(f, a)
#endif

#define NUMBUF 32 /* the longest number text, "-0.0000012345678901234567" */

static void *xmalloc(size_t size)
{
	json_malloc_t m;
	json_free_t f;

	json_get_alloc_funcs(&m, &f);
	return m(size);
}

static void xfree(void *ptr)
{
	json_malloc_t m;
	json_free_t f;

	if (!ptr)
		return;
	json_get_alloc_funcs(&m, &f);
	f(ptr);
}

/* ------------------------------------------------------------------ */
/* The parsed form                                                     */

enum op {
	OP_NUM, OP_STR, OP_REF, OP_CUR, OP_NEG, OP_CALL,
	OP_OR, OP_AND,                            /* n-ary, short-circuit */
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, /* binary */
	OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD    /* n-ary left folds */
};

static const char *const op_text[] = {
	[OP_OR] = "or", [OP_AND] = "and", [OP_EQ] = "=", [OP_NE] = "!=",
	[OP_LT] = "<", [OP_LE] = "<=", [OP_GT] = ">", [OP_GE] = ">=",
	[OP_ADD] = "+", [OP_SUB] = "-", [OP_MUL] = "*", [OP_DIV] = "div",
	[OP_MOD] = "mod"
};

enum fn {
	F_NOT, F_IF, F_SELECTED, F_COUNT_SELECTED, F_COUNT, F_SUM, F_MIN, F_MAX,
	F_ROUND, F_INT, F_NUMBER, F_STRING, F_STRING_LENGTH, F_CONCAT,
	F_COALESCE, F_TODAY, F_TRUE, F_FALSE, F_BOOLEAN, F_FLOOR, F_CEILING,
	F_ABS, F_CONTAINS, F_STARTS_WITH, F_SUBSTR, F_PARAM
};

static const struct fninfo {
	const char *name;
	int min, max; /* argument count; max -1: any */
} fns[] = {
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
	[F_SUBSTR] = {"substr", 2, 3}, [F_PARAM] = {"param", 1, 1}
};

/* One node; operands are a list: kid is the first, next the following. */
typedef struct node {
	uint8_t op;    /* enum op */
	uint8_t fn;    /* OP_CALL: enum fn */
	uint16_t col;  /* 1-based column in the source */
	int32_t kid;   /* first operand, -1 for none */
	int32_t next;  /* next operand of the parent, -1 for none */
	uint16_t n;    /* number of operands */
	uint16_t h;    /* height: 0 for a leaf */
	union {
		double num;                          /* OP_NUM */
		struct { uint32_t off, len; } s;     /* OP_STR, OP_REF: in pool */
	} u;
} node;

struct saola__expr {
	const char *pool; /* string literals and names, each NUL-terminated */
	int32_t root;
	int32_t nnodes;
	node nodes[];
};

/* ------------------------------------------------------------------ */
/* Text and numbers                                                    */

static int is_space(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static int is_digit(int ch) { return ch >= '0' && ch <= '9'; }

static int is_name_start(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
}

static int is_name_char(int ch)
{
	return is_name_start(ch) || is_digit(ch) || ch == '-' || ch == '.';
}

/* The offset of the first byte of s that is not valid UTF-8, or len. */
static size_t utf8_check(const unsigned char *s, size_t len)
{
	size_t i = 0, k, n;
	unsigned long c, min;

	while (i < len) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0)
			n = 1, min = 0x80, c &= 0x1F;
		else if ((c & 0xF0) == 0xE0)
			n = 2, min = 0x800, c &= 0x0F;
		else if ((c & 0xF8) == 0xF0)
			n = 3, min = 0x10000, c &= 0x07;
		else
			return i;
		if (len - i <= n)
			return i;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return i;
			c = c << 6 | (s[i + k] & 0x3F);
		}
		if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return i;
		i += n + 1;
	}
	return len;
}

/* Characters (code points) in valid UTF-8. */
static size_t utf8_count(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

/* The byte offset of character k (at most the count) of valid UTF-8. */
static size_t utf8_offset(const char *s, size_t len, size_t k)
{
	size_t i = 0;

	for (; k > 0 && i < len; k--)
		for (i++; i < len && ((unsigned char)s[i] & 0xC0) == 0x80; i++)
			;
	return i;
}

static const double p10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/* The value of n bytes of digits with at most one '.'. Locale-independent:
 * exact in the common case, strtod (no decimal point) otherwise. */
static double dec_value(const char *s, size_t n)
{
	uint64_t m = 0;
	int sig = 0, e10 = 0, frac = 0;
	size_t i;
	char buf[48];

	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			frac = 1;
		} else if (sig < 19) {
			m = m * 10 + (uint64_t)(s[i] - '0');
			sig += m != 0;
			e10 -= frac;
		} else {
			e10 += !frac;
		}
	}
	if (m <= (UINT64_C(1) << 53) && e10 >= -22 && e10 <= 22)
		return e10 < 0 ? (double)m / p10[-e10] : (double)m * p10[e10];
	snprintf(buf, sizeof buf, "%llue%d", (unsigned long long)m, e10);
	return strtod(buf, NULL);
}

static int days_in_month(long y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return d[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's). */
static long days_from_civil(long y, int m, int d)
{
	long era, yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153L * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* Reads exactly "YYYY-MM-DD" (10 bytes) into *days; 0 if it is not one. */
static int date_days(const char *s, long *days)
{
	long y = 0;
	int i, m, d;

	for (i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? s[i] != '-' : !is_digit(s[i]))
			return 0;
	for (i = 0; i < 4; i++)
		y = y * 10 + (s[i] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return 0;
	*days = days_from_civil(y, m, d);
	return 1;
}

/* XPath's number() of a string, with ODK's dates. */
static double str_num(const char *s, size_t n)
{
	size_t i;
	int digits = 0, dots = 0, neg = 0;
	long days;
	double x;

	for (; n && is_space((unsigned char)*s); s++, n--)
		;
	for (; n && is_space((unsigned char)s[n - 1]); n--)
		;
	if (n == 10 && date_days(s, &days))
		return (double)days;
	if (n && *s == '-') {
		neg = 1;
		s++, n--;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '.' && !dots)
			dots = 1;
		else if (is_digit(s[i]))
			digits++;
		else
			return NAN;
	}
	if (!digits)
		return NAN;
	x = dec_value(s, n);
	return neg ? -x : x;
}

/* The shortest decimal digits that read back as x (finite, > 0): writes
 * them to dig, returns their count, and sets *point so that x is
 * 0.dig * 10^point. 15 digits always read back when a shorter form does
 * (DBL_DIG), so at most three tries. */
static int shortest(double x, char dig[20], int *point)
{
	char buf[48];
	const char *c;
	int p, k = 0, e = 0, neg;

	for (p = 15;; p++) {
		snprintf(buf, sizeof buf, "%.*e", p - 1, x);
		if (p == 17 || strtod(buf, NULL) == x)
			break;
	}
	/* the decimal point is the locale's: take the digits around it */
	for (c = buf; *c && *c != 'e'; c++)
		if (is_digit(*c))
			dig[k++] = *c;
	neg = c[1] == '-';
	for (c += 2; is_digit(*c); c++)
		e = e * 10 + (*c - '0');
	while (k > 1 && dig[k - 1] == '0')
		k--;
	dig[k] = '\0';
	*point = (neg ? -e : e) + 1;
	return k;
}

/* Writes x as ECMAScript's Number::toString does; returns the length. */
static size_t fmt_num(double x, char nb[NUMBUF])
{
	char dig[20];
	int k, n, i;
	size_t o = 0;

	if (isnan(x))
		return (size_t)snprintf(nb, NUMBUF, "NaN");
	if (isinf(x))
		return (size_t)snprintf(nb, NUMBUF, x > 0 ? "Infinity" : "-Infinity");
	if (fabs(x) < 9007199254740992.0 && x == trunc(x))
		return (size_t)snprintf(nb, NUMBUF, "%lld", (long long)x);
	if (x < 0) {
		nb[o++] = '-';
		x = -x;
	}
	k = shortest(x, dig, &n);
	if (k <= n && n <= 21) {
		for (i = 0; i < n; i++)
			nb[o++] = i < k ? dig[i] : '0';
	} else if (n > 0 && n <= 21) {
		for (i = 0; i < k; i++) {
			if (i == n)
				nb[o++] = '.';
			nb[o++] = dig[i];
		}
	} else if (n > -6 && n <= 0) {
		nb[o++] = '0';
		nb[o++] = '.';
		for (i = 0; i < -n; i++)
			nb[o++] = '0';
		for (i = 0; i < k; i++)
			nb[o++] = dig[i];
	} else {
		nb[o++] = dig[0];
		if (k > 1)
			nb[o++] = '.';
		for (i = 1; i < k; i++)
			nb[o++] = dig[i];
		o += (size_t)snprintf(nb + o, NUMBUF - o, "e%c%d",
		                      n - 1 < 0 ? '-' : '+', abs(n - 1));
	}
	nb[o] = '\0';
	return o;
}

/* x rounded to `places` decimals (negative: tens, hundreds...), halves
 * toward +infinity, on x's shortest decimal form so that round(1.005, 2)
 * is 1.01 as the surveyor reads it. */
static double round_places(double x, double places)
{
	char dig[20];
	int k, n, keep, i, up;
	long d;
	uint64_t m = 0;
	double r;

	if (isnan(places))
		return NAN;
	if (isnan(x) || isinf(x) || x == 0)
		return x;
	d = places > 400 ? 400 : places < -400 ? -400 : (long)places;
	k = shortest(fabs(x), dig, &n);
	if (n + d >= k)
		return x;
	if (n + d < 0)
		return x < 0 ? -0.0 : 0.0;
	keep = (int)(n + d);
	for (i = 0; i < keep; i++)
		m = m * 10 + (uint64_t)(dig[i] - '0');
	/* k has no trailing zeros: any digit after keep makes it over half */
	if (dig[keep] != '5')
		up = dig[keep] > '5';
	else
		up = x > 0 || keep + 1 < k;
	m += (uint64_t)up;
	if (d >= 0)
		r = (double)m / (d <= 22 ? p10[d] : pow(10, (double)d));
	else
		r = (double)m * (-d <= 22 ? p10[-d] : pow(10, (double)-d));
	return x < 0 ? -r : r;
}

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

	if (is_name_char(s[i]))
		while (i < p->len && is_name_char(s[i]) && i - at < 40)
			i++;
	else
		for (i++; i < p->len && (s[i] & 0xC0) == 0x80; i++)
			;
	return (int)(i - at);
}

static void skip_ws(parser *p)
{
	while (is_space((unsigned char)p->src[p->pos]))
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
	n->col = (uint16_t)(at + 1);
	n->kid = n->next = -1;
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
	return strncmp(s, w, n) == 0 && !is_name_start((unsigned char)s[n]) &&
	       !is_digit(s[n]);
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

	while (is_digit(p->src[p->pos]))
		p->pos++;
	if (p->src[p->pos] == '.')
		for (p->pos++; is_digit(p->src[p->pos]); p->pos++)
			;
	if ((i = mknode(p, OP_NUM, at)) >= 0)
		p->nodes[i].u.num = dec_value(p->src + at, p->pos - at);
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
	if (!is_name_start((unsigned char)s[i]))
		return perr(p, i, "a name in ${} starts with a letter or '_', "
		            "got '%.*s'", tok_len(p, i), s + i);
	while (is_name_char((unsigned char)s[i]))
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

static void arity_text(const struct fninfo *f, char *buf, size_t size)
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

static int32_t parse_call(parser *p)
{
	const char *s = p->src;
	size_t at = p->pos, nlen, f;
	int32_t k, first = -1, last = -1, tall = -1, i;
	int nargs = 0;
	char want[40];

	while (is_name_char((unsigned char)s[p->pos]))
		p->pos++;
	nlen = p->pos - at;
	for (f = 0; f < sizeof fns / sizeof fns[0]; f++)
		if (strlen(fns[f].name) == nlen && !memcmp(fns[f].name, s + at, nlen))
			break;
	skip_ws(p);
	if (s[p->pos] != '(') {
		if (f < sizeof fns / sizeof fns[0])
			return perr(p, at, "expected '(' after %s", fns[f].name);
		return perr(p, at, "unexpected name '%.*s' (a field is ${%.*s})",
		            (int)nlen, s + at, (int)nlen, s + at);
	}
	if (f == sizeof fns / sizeof fns[0])
		return perr(p, at, "unknown function %.*s()", (int)nlen, s + at);
	if (++p->depth > SAOLA__EXPR_MAX_DEPTH)
		return too_deep(p, p->pos);
	p->pos++;
	skip_ws(p);
	if (s[p->pos] == ')')
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
				return perr(p, p->pos, "expected ')' after arguments of %s()",
				            fns[f].name);
			return perr(p, p->pos, "expected ',' or ')' in arguments of "
			            "%s(), got '%.*s'", fns[f].name, tok_len(p, p->pos),
			            s + p->pos);
		}
	p->depth--;
	if (nargs < fns[f].min || (fns[f].max >= 0 && nargs > fns[f].max)) {
		arity_text(&fns[f], want, sizeof want);
		return perr(p, at, "%s() takes %s, got %d", fns[f].name, want, nargs);
	}
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
	if (is_digit(c) || (c == '.' && is_digit(s[at + 1])))
		return parse_number(p);
	if (c == '.') {
		if (s[at + 1] == '.')
			return perr(p, at, "'..' is not supported (a field is ${name})");
		p->pos++;
		return mknode(p, OP_CUR, at);
	}
	if (c == '$')
		return parse_ref(p);
	if (is_name_start(c))
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
	if ((bad = utf8_check((const unsigned char *)src, p.len)) < p.len) {
		perr(&p, bad, "invalid utf-8");
		goto out;
	}
	p.cap = (int32_t)p.len + 1;
	p.nodes = xmalloc((size_t)p.cap * sizeof *p.nodes);
	p.pool = xmalloc(p.len + 1);
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
	e = xmalloc(sizeof *e + (size_t)p.nn * sizeof(node) + p.np);
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
	xfree(p.nodes);
	xfree(p.pool);
	return p.rc;
}

void saola__expr_free(saola__expr *e)
{
	xfree(e);
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

#include "expr_eval.c"
