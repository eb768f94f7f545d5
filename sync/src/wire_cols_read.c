/* wire_cols_read.c: reading a batch in columns (wire_cols.h) from its text,
 * one object at a time. A first pass checks the structure and every count,
 * and counts the values the batch will make, keeping only where each
 * column's streams begin; then each object is made when it is asked for,
 * its verbatim values parsed from their text then. So a page of records in
 * columns costs its text and one record, never a tree of the page. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"
#include "saola/core.h"
#include "wire.h"
#include "wire_cols.h"

#define HEX_MAX 15
#define PATH_LEN 300

size_t saola__json_skip_ws(const char *t, size_t n, size_t i)
{
	while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
		i++;
	return i;
}

size_t saola__json_value_end(const char *t, size_t n, size_t i)
{
	int depth = 0;

	if (i >= n)
		return 0;
	if (t[i] != '"' && t[i] != '{' && t[i] != '[') {
		while (i < n && t[i] != ',' && t[i] != '}' && t[i] != ']' && t[i] != ' ' &&
		       t[i] != '\t' && t[i] != '\n' && t[i] != '\r')
			i++;
		return i;
	}
	for (; i < n; i++) {
		char c = t[i];
		if (c == '"') {
			for (i++; i < n && t[i] != '"'; i++)
				if (t[i] == '\\')
					i++;
			if (i >= n)
				return 0;
			if (depth == 0)
				return i + 1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (--depth == 0)
				return i + 1;
		}
	}
	return 0;
}

/* A span of the text: [p, p + n). */
typedef struct span {
	const char *p;
	size_t n;
} span;

typedef struct inode inode;

/* A column being read: where each of its streams stands in the text. */
typedef struct icol {
	char *key;
	const char *pres;      /* NULL: present in every row */
	const char *kinds;     /* NULL: every value of the stream sole */
	char sole;
	size_t row, j;         /* the next row, and the next present value */
	span v;                /* the elements of "v", then of "h", "a".n */
	inode *o;
	span alen;
	inode *a;
	const char *u;         /* base64url, read a bit at a time */
	uint32_t acc;
	int bits;
	span h;
	size_t ih;
	uint64_t hx;
	int hw;
} icol;

struct inode {
	icol *cols;
	size_t n, cap;
};

struct saola__cols_reader {
	inode top;
	size_t rows, next;
	char *own;             /* the text, when the reader made it */
	int failed;
	char err[256];
};

typedef struct chk {
	size_t budget;
	int too_big;
	char *err;
	size_t errlen;
	const char *t;         /* the whole text, for byte offsets */
	size_t n;
} chk;

static const char KINDS[] = "voauh";

static int fail(chk *c, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(c->err, c->errlen, "%s: ", path);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < c->errlen)
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int bad_text(chk *c, const char *path, size_t at, const char *what)
{
	return fail(c, path, "%s (byte %zu)", what, at);
}

/* Takes n values out of the budget. */
static int spend(chk *c, const char *path, size_t n)
{
	if (n > c->budget) {
		c->too_big = 1;
		return fail(c, path, "the batch makes more values than allowed");
	}
	c->budget -= n;
	return 0;
}

static int b64_val(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26
	     : c >= '0' && c <= '9' ? c - '0' + 52 : c == '-' ? 62 : c == '_' ? 63 : -1;
}

/* ---- the text's structure ---- */

/* Moves *i past white space and the character ch; -1 when another is
 * there. */
static int expect(chk *c, size_t *i, char ch)
{
	size_t at = saola__json_skip_ws(c->t, c->n, *i);

	if (at >= c->n || c->t[at] != ch)
		return -1;
	*i = at + 1;
	return 0;
}

/* 1 when the next character (after white space) is ch, which *i moves
 * past; else 0, *i unmoved. */
static int accept_ch(chk *c, size_t *i, char ch)
{
	size_t at = saola__json_skip_ws(c->t, c->n, *i);

	if (at >= c->n || c->t[at] != ch)
		return 0;
	*i = at + 1;
	return 1;
}

/* The member name at *i, its JSON string quotes and all; *i moves past
 * its ':'. */
static int member_key(chk *c, size_t *i, span *key)
{
	size_t at = saola__json_skip_ws(c->t, c->n, *i), e;

	if (at >= c->n || c->t[at] != '"' || !(e = saola__json_value_end(c->t, c->n, at)))
		return -1;
	key->p = c->t + at;
	key->n = e - at;
	*i = e;
	return expect(c, i, ':');
}

/* The value at *i, *i moved past it. */
static int value(chk *c, size_t *i, span *v)
{
	size_t at = saola__json_skip_ws(c->t, c->n, *i), e;

	if (at >= c->n || !(e = saola__json_value_end(c->t, c->n, at)) || e == at)
		return -1;
	v->p = c->t + at;
	v->n = e - at;
	*i = e;
	return 0;
}

/* After a member or element: 1 when a ',' says another follows, 0 at
 * close, -1 else. */
static int more(chk *c, size_t *i, char close)
{
	if (accept_ch(c, i, ','))
		return 1;
	return expect(c, i, close) == 0 ? 0 : -1;
}

/* The characters of a span holding a JSON string, without its quotes:
 * marks, kinds, base64url and hex are plain characters, so an escape
 * among them is a character that is not one (and is refused so). */
static int plain_string(span s, span *out)
{
	if (s.n < 2 || s.p[0] != '"')
		return 0;
	out->p = s.p + 1;
	out->n = s.n - 2;
	return 1;
}

/* 1 when the n bytes at p are all digits (the text is not NUL-terminated:
 * never strspn). */
static int all_digits(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

/* An integer of JSON at s: 1 with *out, else 0. */
static int json_int(span s, int64_t *out)
{
	char buf[24], *end;
	size_t k = s.n > 0 && s.p[0] == '-';

	if (s.n == 0 || s.n >= sizeof buf || k == s.n || !all_digits(s.p + k, s.n - k))
		return 0;
	memcpy(buf, s.p, s.n);
	buf[s.n] = '\0';
	*out = strtoll(buf, &end, 10);
	return 1;
}

/* A stream that starts at p and runs to the end of the text (its elements
 * are taken one by one, never past its own end). */
static span from(chk *c, const char *p)
{
	span s = {p, (size_t)(c->t + c->n - p)};

	return s;
}

/* ---- the first pass: one reading of the text ---- */

static int check_node(chk *c, size_t *i, size_t rows, const char *path, int depth,
                      inode *nd);

/* A column's members, in the order the format gives them. */
static const char MEMBERS[] = "ptvoauh";

/* What the first pass knows of a column as it reads it. */
typedef struct colstate {
	size_t present, want[5];
	int kinds_given, streams;
} colstate;

static int check_marks(chk *c, span v, size_t rows, const char *path, icol *ic,
                       colstate *cs)
{
	span s;
	size_t i;

	if (!plain_string(v, &s))
		return fail(c, path, "\"p\": expected a string of %zu marks ('1' present, "
		            "'0' absent)", rows);
	for (i = 0, cs->present = 0; i < s.n && i < rows; i++) {
		if (s.p[i] != '0' && s.p[i] != '1')
			return fail(c, path, "\"p\": mark %zu is not '0' or '1'", i + 1);
		cs->present += s.p[i] == '1';
	}
	if (s.n != rows)
		return fail(c, path, "\"p\": expected a string of %zu marks ('1' present, "
		            "'0' absent)", rows);
	ic->pres = s.p;
	return 0;
}

static int check_kinds(chk *c, span v, const char *path, icol *ic, colstate *cs)
{
	span s;
	size_t i;

	if (!plain_string(v, &s))
		return fail(c, path, "\"t\": expected a string of %zu kinds", cs->present);
	for (i = 0; i < s.n && i < cs->present; i++) {
		const char *k = s.p[i] ? strchr(KINDS, s.p[i]) : NULL;
		if (!k)
			return fail(c, path, "\"t\": character %zu is not one of \"%s\"", i + 1, KINDS);
		cs->want[k - KINDS]++;
	}
	if (s.n != cs->present)
		return fail(c, path, "\"t\": expected a string of %zu kinds", cs->present);
	ic->kinds = s.p;
	cs->kinds_given = 1;
	return 0;
}

/* A stream begins: without "t", the only one, with every present value. */
static int stream_begins(chk *c, int k, const char *path, icol *ic, colstate *cs)
{
	if (cs->kinds_given)
		return 0;
	if (cs->streams++ > 0)
		return fail(c, path, "several kinds of values and no \"t\" to say which is which");
	cs->want[k] = cs->present;
	ic->sole = KINDS[k];
	return 0;
}

static int check_verbatim(chk *c, size_t *i, size_t want, const char *path, icol *ic)
{
	size_t at = saola__json_skip_ws(c->t, c->n, *i), k = 0;
	span e;
	int r = 0;

	if (at >= c->n || c->t[at] != '[')
		return fail(c, path, "\"v\": expected an array of values");
	ic->v = from(c, c->t + at);
	*i = at + 1;
	if (!accept_ch(c, i, ']'))
		do {
			if (value(c, i, &e) != 0)
				return bad_text(c, path, *i, "\"v\": bad JSON");
			k++;
		} while ((r = more(c, i, ']')) == 1);
	if (r < 0)
		return bad_text(c, path, *i, "\"v\": bad JSON");
	if (k != want)
		return fail(c, path, "\"v\": %zu values, expected %zu", k, want);
	return 0;
}

static int check_uuids(chk *c, span u, size_t want, const char *path, icol *ic)
{
	size_t i, chars = (want * 16 * 8 + 5) / 6;
	span s;

	if (!plain_string(u, &s))
		return fail(c, path, "\"u\": expected a string (base64url)");
	for (i = 0; i < s.n && i < chars; i++)
		if (b64_val(s.p[i]) < 0)
			return fail(c, path, "\"u\": character %zu is not base64url", i + 1);
	if (s.n != chars)
		return fail(c, path, "\"u\": %zu characters, expected %zu (%zu UUIDs)", s.n, chars,
		            want);
	/* The bits past the last byte are zero. */
	if (s.n > 0 && (want * 16 * 8) % 6 != 0 &&
	    (b64_val(s.p[s.n - 1]) & ((1 << (6 - (want * 16 * 8) % 6)) - 1)) != 0)
		return fail(c, path, "\"u\": the last character has bits past the end set");
	ic->u = s.p;
	return spend(c, path, want);
}

static int check_hex(chk *c, size_t *i, size_t want, const char *path, icol *ic)
{
	static const char shape[] = "\"h\": expected [first value (1-15 lowercase hex digits),"
	                            " differences...]";
	size_t at = saola__json_skip_ws(c->t, c->n, *i), w = 0, k = 0;
	uint64_t x = 0, top = 0;
	span e, s;
	int r;

	if (at >= c->n || c->t[at] != '[')
		return fail(c, path, "%s", shape);
	ic->h = from(c, c->t + at);
	*i = at + 1;
	if (accept_ch(c, i, ']'))
		return fail(c, path, "%s", shape);
	do {
		int64_t dx;
		if (value(c, i, &e) != 0)
			return bad_text(c, path, *i, "\"h\": bad JSON");
		if (k == 0) {
			if (!plain_string(e, &s) || s.n > HEX_MAX || !saola__cols_is_hex(s.p, s.n))
				return fail(c, path, "%s", shape);
			w = s.n;
			x = saola__cols_hex(s.p, w);
			top = (uint64_t)1 << (4 * w);
		} else if (!json_int(e, &dx)) {
			return fail(c, path, "\"h\"[%zu]: expected an integer difference", k);
		} else if ((x += (uint64_t)dx) >= top) {
			return fail(c, path, "\"h\"[%zu]: the value leaves %zu hex digits", k, w);
		}
		k++;
	} while ((r = more(c, i, ']')) == 1);
	if (r < 0)
		return bad_text(c, path, *i, "\"h\": bad JSON");
	if (k != want)
		return fail(c, path, "\"h\": %zu values, expected %zu", k, want);
	ic->hw = (int)w;
	return spend(c, path, want);
}

/* The lengths of a column's "a"; *total gets their sum. */
static int check_lengths(chk *c, size_t *i, size_t want, const char *path, icol *ic,
                         size_t *total)
{
	size_t at = saola__json_skip_ws(c->t, c->n, *i), k = 0;
	span e;
	int r = 0;

	*total = 0;
	if (at >= c->n || c->t[at] != '[')
		return fail(c, path, "\"a\": expected {\"n\": [lengths], \"c\": columns}");
	ic->alen = from(c, c->t + at);
	*i = at + 1;
	if (!accept_ch(c, i, ']'))
		do {
			int64_t len;
			if (value(c, i, &e) != 0)
				return bad_text(c, path, *i, "\"a\": bad JSON");
			if (!json_int(e, &len) || len < 0)
				return fail(c, path, "\"a\".n[%zu]: expected a length >= 0", k);
			if ((uint64_t)len > c->budget - *total) {
				c->too_big = 1;
				return fail(c, path, "the batch makes more values than allowed");
			}
			*total += (size_t)len;
			k++;
		} while ((r = more(c, i, ']')) == 1);
	if (r < 0)
		return bad_text(c, path, *i, "\"a\": bad JSON");
	if (k != want)
		return fail(c, path, "\"a\": %zu lengths, expected %zu", k, want);
	return 0;
}

/* A column's "a": {"n": [lengths], "c": the items}, in that order. */
static int check_items(chk *c, size_t *i, size_t want, const char *path, int depth, icol *ic)
{
	static const char shape[] = "\"a\": expected {\"n\": [lengths], \"c\": columns}";
	size_t total;
	char sub[PATH_LEN];
	span key;

	if (expect(c, i, '{') != 0 || member_key(c, i, &key) != 0 || key.n != 3 ||
	    key.p[1] != 'n')
		return fail(c, path, "%s", shape);
	if (check_lengths(c, i, want, path, ic, &total) != 0)
		return -1;
	if (expect(c, i, ',') != 0 || member_key(c, i, &key) != 0 || key.n != 3 ||
	    key.p[1] != 'c')
		return fail(c, path, "%s", shape);
	snprintf(sub, sizeof sub, "%.280s.a.c", path);
	if (spend(c, path, want) != 0 || spend(c, sub, total) != 0)
		return -1;
	if (!(ic->a = calloc(1, sizeof *ic->a)))
		return fail(c, path, "out of memory");
	if (check_node(c, i, total, sub, depth + 1, ic->a) != 0)
		return -1;
	return expect(c, i, '}') == 0 ? 0 : fail(c, path, "%s", shape);
}

/* One stream of a column, of kind k ("voauh"), at *i. */
static int check_stream(chk *c, size_t *i, int k, const char *path, int depth, icol *ic,
                        colstate *cs)
{
	char sub[PATH_LEN];
	span v;

	if (stream_begins(c, k, path, ic, cs) != 0)
		return -1;
	switch (KINDS[k]) {
	case 'v':
		return check_verbatim(c, i, cs->want[0], path, ic);
	case 'o':
		snprintf(sub, sizeof sub, "%.290s.o", path);
		if (spend(c, sub, cs->want[1]) != 0)
			return -1;
		if (!(ic->o = calloc(1, sizeof *ic->o)))
			return fail(c, path, "out of memory");
		return check_node(c, i, cs->want[1], sub, depth + 1, ic->o);
	case 'a':
		return check_items(c, i, cs->want[2], path, depth, ic);
	case 'u':
		if (value(c, i, &v) != 0)
			return bad_text(c, path, *i, "\"u\": bad JSON");
		return check_uuids(c, v, cs->want[3], path, ic);
	default:
		return check_hex(c, i, cs->want[4], path, ic);
	}
}

/* What the column's members left unsaid: a stream "t" names and that is
 * not there, or values present and no stream. */
static int check_col_end(chk *c, const char *path, const colstate *cs, unsigned seen)
{
	size_t k;

	for (k = 0; cs->kinds_given && k < 5; k++)
		if (cs->want[k] && !(seen & 1u << (2 + k)))
			return fail(c, path, "\"%c\": missing (\"t\" names %zu such values)", KINDS[k],
			            cs->want[k]);
	if (!cs->kinds_given && !cs->streams && cs->present > 0)
		return fail(c, path, "%zu values present and none given", cs->present);
	return 0;
}

/* A column: its members in the order "ptvoauh", each at most once. */
static int check_col(chk *c, size_t *i, size_t rows, const char *path, int depth, icol *ic)
{
	colstate cs;
	unsigned seen = 0;
	span key, v;
	int last = -1, r = 0;

	memset(&cs, 0, sizeof cs);
	cs.present = rows;
	if (expect(c, i, '{') != 0)
		return fail(c, path, "expected a column (an object)");
	if (!accept_ch(c, i, '}'))
		do {
			const char *at;
			int m;
			if (member_key(c, i, &key) != 0)
				return bad_text(c, path, *i, "bad JSON");
			at = key.n == 3 && key.p[1] ? strchr(MEMBERS, key.p[1]) : NULL;
			if (!at)
				return fail(c, path, "unknown member %.*s", (int)(key.n > 42 ? 42 : key.n),
				            key.p);
			if ((m = (int)(at - MEMBERS)) <= last)
				return fail(c, path, "\"%c\" after \"%c\" (a column's members come in the "
				            "order %s, each once)", *at, MEMBERS[last], MEMBERS);
			last = m;
			seen |= 1u << m;
			if (m < 2 && value(c, i, &v) != 0)
				return bad_text(c, path, *i, "bad JSON");
			if ((m == 0 && check_marks(c, v, rows, path, ic, &cs) != 0) ||
			    (m == 1 && check_kinds(c, v, path, ic, &cs) != 0) ||
			    (m >= 2 && check_stream(c, i, m - 2, path, depth, ic, &cs) != 0))
				return -1;
		} while ((r = more(c, i, '}')) == 1);
	if (r < 0)
		return bad_text(c, path, *i, "bad JSON");
	return check_col_end(c, path, &cs, seen);
}

static icol *node_column(inode *nd)
{
	if (nd->n == nd->cap) {
		size_t want = nd->cap ? nd->cap * 2 : 16;
		icol *grown = realloc(nd->cols, want * sizeof *grown);
		if (!grown)
			return NULL;
		nd->cols = grown;
		nd->cap = want;
	}
	memset(&nd->cols[nd->n], 0, sizeof *nd->cols);
	return &nd->cols[nd->n++];
}

/* The name of a column: its JSON string parsed (escapes and all). */
static char *column_key(span key)
{
	json_t *k = json_loadb(key.p, key.n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	char *s = json_is_string(k) && strlen(json_string_value(k)) == json_string_length(k)
	        ? strdup(json_string_value(k)) : NULL;

	json_decref(k);
	return s;
}

static int check_node(chk *c, size_t *i, size_t rows, const char *path, int depth,
                      inode *nd)
{
	char sub[PATH_LEN];
	span key;
	size_t k;
	int r = 0;

	if (expect(c, i, '{') != 0)
		return fail(c, path, "expected an object of columns");
	if (depth > SAOLA__COLS_DEPTH)
		return fail(c, path, "columns nested deeper than %d levels", SAOLA__COLS_DEPTH);
	if (accept_ch(c, i, '}'))
		return 0;
	do {
		icol *ic = node_column(nd);
		if (!ic)
			return fail(c, path, "out of memory");
		if (member_key(c, i, &key) != 0)
			return bad_text(c, path, *i, "bad JSON");
		if (!(ic->key = column_key(key)))
			return fail(c, path, "a column's name is not a string without NUL");
		for (k = 0; k + 1 < nd->n; k++)
			if (strcmp(nd->cols[k].key, ic->key) == 0)
				return fail(c, path, "column \"%.60s\" given twice", ic->key);
		snprintf(sub, sizeof sub, "%.200s.%.90s", path, ic->key);
		if (check_col(c, i, rows, sub, depth, ic) != 0)
			return -1;
	} while ((r = more(c, i, '}')) == 1);
	return r < 0 ? bad_text(c, path, *i, "bad JSON") : 0;
}

static void node_free(inode *nd)
{
	size_t i;

	for (i = 0; i < nd->n; i++) {
		free(nd->cols[i].key);
		if (nd->cols[i].o)
			node_free(nd->cols[i].o);
		if (nd->cols[i].a)
			node_free(nd->cols[i].a);
		free(nd->cols[i].o);
		free(nd->cols[i].a);
	}
	free(nd->cols);
	memset(nd, 0, sizeof *nd);
}

/* The top: {"n": the number of objects, "c": their columns}, in that
 * order, and nothing after it. */
static int check_top(chk *c, const char *what, saola__cols_reader *it)
{
	size_t i = 0;
	int64_t rows = -1;
	span key, n;
	char path[120];

	snprintf(path, sizeof path, "%.100s", what);
	if (expect(c, &i, '{') != 0 || member_key(c, &i, &key) != 0 || key.n != 3 ||
	    key.p[1] != 'n' || value(c, &i, &n) != 0 || !json_int(n, &rows) || rows < 0 ||
	    expect(c, &i, ',') != 0 || member_key(c, &i, &key) != 0 || key.n != 3 ||
	    key.p[1] != 'c')
		return fail(c, path, "expected {\"n\": the number of objects, \"c\": their columns}");
	snprintf(path, sizeof path, "%.100s.c", what);
	if ((uint64_t)rows > c->budget) {
		c->too_big = 1;
		return fail(c, path, "%" PRId64 " objects, more than allowed (%zu)", rows, c->budget);
	}
	it->rows = (size_t)rows;
	if (spend(c, path, it->rows) != 0 || check_node(c, &i, it->rows, path, 0, &it->top) != 0)
		return -1;
	if (expect(c, &i, '}') != 0) {
		snprintf(path, sizeof path, "%.100s", what);
		return fail(c, path, "expected {\"n\": the number of objects, \"c\": their "
		            "columns}");
	}
	if (saola__json_skip_ws(c->t, c->n, i) != c->n)
		return bad_text(c, what, i, "text after the columns");
	return 0;
}

saola__cols_reader *saola__cols_open_text(const char *text, size_t len, const char *what,
                                          size_t max_values, int *too_big, char *err,
                                          size_t errlen)
{
	chk c = {max_values, 0, err, errlen, text, len};
	saola__cols_reader *it = calloc(1, sizeof *it);

	if (too_big)
		*too_big = 0;
	if (!it) {
		snprintf(err, errlen, "%s: out of memory", what);
		return NULL;
	}
	if (check_top(&c, what, it) != 0) {
		if (too_big)
			*too_big = c.too_big;
		saola__cols_close(it);
		return NULL;
	}
	return it;
}

saola__cols_reader *saola__cols_open(const json_t *v, const char *what, size_t max_values,
                                     int *too_big, char *err, size_t errlen)
{
	size_t len = 0;
	char *text = json_is_object(v) ? saola__json_dump(v, &len) : NULL;
	saola__cols_reader *it;

	if (!text) {
		if (too_big)
			*too_big = 0;
		snprintf(err, errlen, "%s: %s", what, json_is_object(v) ? "out of memory"
		         : "expected {\"n\": the number of objects, \"c\": their columns}");
		return NULL;
	}
	it = saola__cols_open_text(text, len, what, max_values, too_big, err, errlen);
	if (it)
		it->own = text;
	else
		free(text);
	return it;
}

size_t saola__cols_count(const saola__cols_reader *it)
{
	return it ? it->rows : 0;
}

/* ---- making the objects ---- */

/* The next element of a stream's array, moving s past it. */
static span next_element(span *s)
{
	size_t i = saola__json_skip_ws(s->p, s->n, 0), e;
	span out = {NULL, 0};

	if (i < s->n && (s->p[i] == '[' || s->p[i] == ','))
		i = saola__json_skip_ws(s->p, s->n, i + 1);
	if (!(e = saola__json_value_end(s->p, s->n, i)))
		return out;
	out.p = s->p + i;
	out.n = e - i;
	s->p += e;
	s->n -= e;
	return out;
}

static json_t *next_object(saola__cols_reader *it, inode *nd, const char *path);

/* The common values made without the parser, whose setting up costs more
 * than a small value: true, false, null, an integer of up to 18 digits, a
 * string without escapes or control characters (jansson checks its
 * UTF-8). NULL for anything else, which the parser reads. */
static json_t *quick_value(span e)
{
	size_t k, i;

	if (e.n == 4 && memcmp(e.p, "true", 4) == 0)
		return json_true();
	if (e.n == 5 && memcmp(e.p, "false", 5) == 0)
		return json_false();
	if (e.n == 4 && memcmp(e.p, "null", 4) == 0)
		return json_null();
	if (e.n >= 2 && e.p[0] == '"' && e.p[e.n - 1] == '"') {
		for (i = 1; i + 1 < e.n; i++)
			if ((unsigned char)e.p[i] < 0x20 || e.p[i] == '\\' || e.p[i] == '"')
				return NULL;
		return json_stringn(e.p + 1, e.n - 2);
	}
	k = e.n > 0 && e.p[0] == '-';
	if (e.n > k && e.n - k <= 18 && all_digits(e.p + k, e.n - k) &&
	    (e.p[k] != '0' || e.n - k == 1)) {
		int64_t x = 0;
		json_int(e, &x);
		return json_integer((json_int_t)x);
	}
	return NULL;
}

static json_t *take_verbatim(saola__cols_reader *it, icol *ic, const char *path)
{
	json_error_t jerr;
	span e = next_element(&ic->v);
	json_t *v = !e.p ? NULL : quick_value(e);

	if (!v && e.p)
		v = json_loadb(e.p, e.n, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES,
		               &jerr);

	if (!v)
		snprintf(it->err, sizeof it->err, "%.160s.%.40s: \"v\": %.40s", path, ic->key,
		         e.p ? jerr.text : "bad JSON");
	return v;
}

static json_t *take_uuid(icol *ic)
{
	unsigned char b[16];
	char text[37];
	int nb = 0;

	while (nb < 16) {
		if (ic->bits < 8) {
			ic->acc = ic->acc << 6 | (uint32_t)b64_val(*ic->u++);
			ic->bits += 6;
			continue;
		}
		ic->bits -= 8;
		b[nb++] = (unsigned char)(ic->acc >> ic->bits);
		ic->acc &= (1u << ic->bits) - 1;
	}
	snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	         "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
	         b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return json_string(text);
}

static json_t *take_hex(icol *ic)
{
	span e = next_element(&ic->h);
	char text[HEX_MAX + 1];
	int64_t dx = 0;

	if (ic->ih++ == 0)
		ic->hx = saola__cols_hex(e.p + 1, e.n - 2);
	else if (json_int(e, &dx))
		ic->hx += (uint64_t)dx;
	snprintf(text, sizeof text, "%0*" PRIx64, ic->hw, ic->hx);
	return json_string(text);
}

static json_t *take_items(saola__cols_reader *it, icol *ic, const char *path)
{
	int64_t n = 0, i;
	json_t *arr = json_array();

	json_int(next_element(&ic->alen), &n);
	for (i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, next_object(it, ic->a, path)) != 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

static json_t *take(saola__cols_reader *it, icol *ic, char kind, const char *path)
{
	switch (kind) {
	case 'v':
		return take_verbatim(it, ic, path);
	case 'o':
		return next_object(it, ic->o, path);
	case 'a':
		return take_items(it, ic, path);
	case 'u':
		return take_uuid(ic);
	default:
		return take_hex(ic);
	}
}

static json_t *next_object(saola__cols_reader *it, inode *nd, const char *path)
{
	json_t *obj = json_object();
	size_t i;

	for (i = 0; obj && i < nd->n; i++) {
		icol *ic = &nd->cols[i];
		size_t row = ic->row++;
		char kind;
		if (ic->pres && ic->pres[row] == '0')
			continue;
		kind = ic->kinds ? ic->kinds[ic->j] : ic->sole;
		ic->j++;
		if (json_object_set_new_nocheck(obj, ic->key, take(it, ic, kind, path)) != 0) {
			json_decref(obj);
			return NULL;
		}
	}
	return obj;
}

json_t *saola__cols_next(saola__cols_reader *it)
{
	json_t *obj;

	if (!it || it->failed || it->next >= it->rows)
		return NULL;
	it->next++;
	if (!(obj = next_object(it, &it->top, "c")))
		it->failed = 1;
	return obj;
}

const char *saola__cols_error(const saola__cols_reader *it)
{
	return !it ? "no reader" : it->err[0] ? it->err : "out of memory";
}

void saola__cols_close(saola__cols_reader *it)
{
	if (!it)
		return;
	node_free(&it->top);
	free(it->own);
	free(it);
}

json_t *saola__cols_decode(const json_t *v, const char *what, size_t max_values,
                           int *too_big, char *err, size_t errlen)
{
	saola__cols_reader *it = saola__cols_open(v, what, max_values, too_big, err, errlen);
	json_t *arr = it ? json_array() : NULL, *obj;

	while (arr && (obj = saola__cols_next(it)))
		if (json_array_append_new(arr, obj) != 0)
			break;
	if (it && (!arr || json_array_size(arr) < it->rows)) {
		snprintf(err, errlen, "%s: %s", what, saola__cols_error(it));
		json_decref(arr);
		arr = NULL;
	}
	saola__cols_close(it);
	return arr;
}
