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

/* The next element of the array (key NULL) or member of the object whose
 * text begins at *i, *state 1 before the first (on its '[' or '{'), 0
 * after one, -1 after the last. 1 with the element's span (and a member's
 * key: its JSON string, quotes and all), 0 after the last, -1 on bad text.
 * *i moves past what was read. */
static int next_item(chk *c, size_t *i, int *state, span *key, span *val)
{
	const char *t = c->t;
	size_t n = c->n, at = saola__json_skip_ws(t, n, *i), e;
	char close = key ? '}' : ']';
	int comma = 0;

	if (*state < 0)
		return 0;
	if (*state == 1) {
		if (at >= n || t[at] != (key ? '{' : '['))
			return -1;
		at = saola__json_skip_ws(t, n, at + 1);
	} else if (at < n && t[at] == ',') {
		at = saola__json_skip_ws(t, n, at + 1);
		comma = 1;
	} else if (at >= n || t[at] != close) {
		return -1;
	}
	if (at < n && t[at] == close && !comma) {
		*i = at + 1;
		*state = -1;
		return 0;
	}
	*state = 0;
	if (key) {
		if (at >= n || t[at] != '"' || !(e = saola__json_value_end(t, n, at)))
			return -1;
		key->p = t + at;
		key->n = e - at;
		at = saola__json_skip_ws(t, n, e);
		if (at >= n || t[at] != ':')
			return -1;
		at = saola__json_skip_ws(t, n, at + 1);
	}
	if (at >= n || !(e = saola__json_value_end(t, n, at)) || e == at)
		return -1;
	val->p = t + at;
	val->n = e - at;
	*i = e;
	return 1;
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

/* An integer of JSON at s: 1 with *out, else 0. */
static int json_int(span s, int64_t *out)
{
	char buf[24], *end;
	size_t k = s.p[0] == '-';

	if (s.n == 0 || s.n >= sizeof buf || k == s.n || strspn(s.p + k, "0123456789") != s.n - k)
		return 0;
	memcpy(buf, s.p, s.n);
	buf[s.n] = '\0';
	*out = strtoll(buf, &end, 10);
	return 1;
}

static size_t offset(chk *c, const char *p)
{
	return (size_t)(p - c->t);
}

/* ---- the first pass ---- */

static int check_node(chk *c, span cols, size_t rows, const char *path, int depth,
                      inode *nd);

/* Counts the elements of the array at s; -1 on bad text. */
static long count_items(chk *c, span s)
{
	size_t i = offset(c, s.p);
	span v;
	long n = 0;
	int first = 1, r;

	if (s.n == 0 || s.p[0] != '[')
		return -1;
	while ((r = next_item(c, &i, &first, NULL, &v)) == 1)
		n++;
	return r == 0 ? n : -1;
}

static int count_kinds(chk *c, const span m[7], size_t present, size_t want[5], icol *ic,
                       const char *path)
{
	size_t i, nstreams = 0;
	span marks;
	int sole = -1;

	if (m[1].p) {
		if (!plain_string(m[1], &marks))
			return fail(c, path, "\"t\": expected a string of %zu kinds", present);
		for (i = 0; i < marks.n && i < present; i++) {
			const char *k = marks.p[i] ? strchr(KINDS, marks.p[i]) : NULL;
			if (!k)
				return fail(c, path, "\"t\": character %zu is not one of \"%s\"", i + 1,
				            KINDS);
			want[k - KINDS]++;
		}
		if (marks.n != present)
			return fail(c, path, "\"t\": expected a string of %zu kinds", present);
		ic->kinds = marks.p;
	}
	for (i = 0; i < 5; i++) {
		if (m[2 + i].p) {
			nstreams++;
			sole = (int)i;
		} else if (want[i]) {
			return fail(c, path, "\"%c\": missing (\"t\" names %zu such values)", KINDS[i],
			            want[i]);
		}
	}
	if (!m[1].p && nstreams > 1)
		return fail(c, path, "several kinds of values and no \"t\" to say which is which");
	if (!m[1].p && sole < 0 && present > 0)
		return fail(c, path, "%zu values present and none given", present);
	if (!m[1].p && sole >= 0) {
		want[sole] = present;
		ic->sole = KINDS[sole];
	}
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

static int check_hex(chk *c, span h, size_t want, const char *path, icol *ic)
{
	size_t i = offset(c, h.p), w = 0, k = 0;
	uint64_t x = 0, top = 0;
	int first = 1, r;
	span e, s;

	if (h.n == 0 || h.p[0] != '[')
		return fail(c, path, "\"h\": expected [first value (1-%d lowercase hex digits),"
		            " differences...]", HEX_MAX);
	while ((r = next_item(c, &i, &first, NULL, &e)) == 1) {
		int64_t dx;
		if (k == 0) {
			if (!plain_string(e, &s) || s.n > HEX_MAX || !saola__cols_is_hex(s.p, s.n))
				return fail(c, path, "\"h\": expected [first value (1-%d lowercase hex "
				            "digits), differences...]", HEX_MAX);
			w = s.n;
			x = saola__cols_hex(s.p, w);
			top = (uint64_t)1 << (4 * w);
		} else if (!json_int(e, &dx)) {
			return fail(c, path, "\"h\"[%zu]: expected an integer difference", k);
		} else if ((x += (uint64_t)dx) >= top) {
			return fail(c, path, "\"h\"[%zu]: the value leaves %zu hex digits", k, w);
		}
		k++;
	}
	if (r < 0)
		return bad_text(c, path, i, "\"h\": bad JSON");
	if (k == 0)
		return fail(c, path, "\"h\": expected [first value (1-%d lowercase hex digits),"
		            " differences...]", HEX_MAX);
	if (k != want)
		return fail(c, path, "\"h\": %zu values, expected %zu", k, want);
	ic->h = h;
	ic->hw = (int)w;
	return spend(c, path, want);
}

/* A column's "a": {"n": [lengths], "c": the items}. */
static int check_items(chk *c, span a, size_t want, const char *path, int depth, icol *ic)
{
	size_t i = offset(c, a.p), k = 0, total = 0;
	span key, val, n = {NULL, 0}, cols = {NULL, 0}, e;
	char sub[PATH_LEN];
	int first = 1, r = 0, bad = a.n == 0 || a.p[0] != '{';

	while (!bad && (r = next_item(c, &i, &first, &key, &val)) == 1) {
		span *slot = key.n == 3 && key.p[1] == 'n' ? &n : key.n == 3 && key.p[1] == 'c'
		           ? &cols : NULL;
		bad = !slot || slot->p;
		if (slot)
			*slot = val;
	}
	if (bad || r < 0 || !n.p || !cols.p || n.p[0] != '[')
		return fail(c, path, "\"a\": expected {\"n\": [lengths], \"c\": columns}");
	i = offset(c, n.p);
	first = 1;
	while ((r = next_item(c, &i, &first, NULL, &e)) == 1) {
		int64_t len;
		if (!json_int(e, &len) || len < 0)
			return fail(c, path, "\"a\".n[%zu]: expected a length >= 0", k);
		if ((uint64_t)len > c->budget - total) {
			c->too_big = 1;
			return fail(c, path, "the batch makes more values than allowed");
		}
		total += (size_t)len;
		k++;
	}
	if (r < 0)
		return bad_text(c, path, i, "\"a\": bad JSON");
	if (k != want)
		return fail(c, path, "\"a\": %zu lengths, expected %zu", k, want);
	snprintf(sub, sizeof sub, "%.280s.a.c", path);
	if (spend(c, path, want) != 0 || spend(c, sub, total) != 0)
		return -1;
	ic->alen = n;
	if (!(ic->a = calloc(1, sizeof *ic->a)))
		return fail(c, path, "out of memory");
	return check_node(c, cols, total, sub, depth + 1, ic->a);
}

static int check_streams(chk *c, const span m[7], const size_t want[5], const char *path,
                         int depth, icol *ic)
{
	char sub[PATH_LEN];
	long nv;

	if (m[2].p) {
		if ((nv = count_items(c, m[2])) < 0)
			return fail(c, path, "\"v\": expected an array of values");
		if ((size_t)nv != want[0])
			return fail(c, path, "\"v\": %ld values, expected %zu", nv, want[0]);
		ic->v = m[2];
	}
	if (m[3].p) {
		snprintf(sub, sizeof sub, "%.290s.o", path);
		if (spend(c, sub, want[1]) != 0)
			return -1;
		if (!(ic->o = calloc(1, sizeof *ic->o)))
			return fail(c, path, "out of memory");
		if (check_node(c, m[3], want[1], sub, depth + 1, ic->o) != 0)
			return -1;
	}
	if (m[4].p && check_items(c, m[4], want[2], path, depth, ic) != 0)
		return -1;
	if (m[5].p && check_uuids(c, m[5], want[3], path, ic) != 0)
		return -1;
	if (m[6].p && check_hex(c, m[6], want[4], path, ic) != 0)
		return -1;
	return 0;
}

/* The members of a column, by name: p t v o a u h. */
static int column_members(chk *c, span col, span m[7], const char *path)
{
	static const char NAMES[] = "ptvoauh";
	size_t i = offset(c, col.p);
	span key, val;
	int first = 1, r;

	memset(m, 0, 7 * sizeof *m);
	if (col.n == 0 || col.p[0] != '{')
		return fail(c, path, "expected a column (an object)");
	while ((r = next_item(c, &i, &first, &key, &val)) == 1) {
		const char *at = key.n == 3 && key.p[1] ? strchr(NAMES, key.p[1]) : NULL;
		if (!at)
			return fail(c, path, "unknown member %.*s", (int)(key.n > 40 ? 40 : key.n),
			            key.p);
		if (m[at - NAMES].p)
			return fail(c, path, "\"%c\" given twice", *at);
		m[at - NAMES] = val;
	}
	return r < 0 ? bad_text(c, path, i, "bad JSON") : 0;
}

static int check_col(chk *c, span col, size_t rows, const char *path, int depth, icol *ic)
{
	size_t present = rows, want[5] = {0}, i;
	span m[7], pres;

	if (column_members(c, col, m, path) != 0)
		return -1;
	if (m[0].p) {
		if (!plain_string(m[0], &pres))
			return fail(c, path, "\"p\": expected a string of %zu marks ('1' present, "
			            "'0' absent)", rows);
		for (i = 0, present = 0; i < pres.n && i < rows; i++) {
			if (pres.p[i] != '0' && pres.p[i] != '1')
				return fail(c, path, "\"p\": mark %zu is not '0' or '1'", i + 1);
			present += pres.p[i] == '1';
		}
		if (pres.n != rows)
			return fail(c, path, "\"p\": expected a string of %zu marks ('1' present, "
			            "'0' absent)", rows);
		ic->pres = pres.p;
	}
	if (count_kinds(c, m, present, want, ic, path) != 0)
		return -1;
	return check_streams(c, m, want, path, depth, ic);
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

/* The key of a column: its JSON string parsed (escapes and all). */
static char *column_key(span key)
{
	json_t *k = json_loadb(key.p, key.n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	char *s = json_is_string(k) && strlen(json_string_value(k)) == json_string_length(k)
	        ? strdup(json_string_value(k)) : NULL;

	json_decref(k);
	return s;
}

static int check_node(chk *c, span cols, size_t rows, const char *path, int depth,
                      inode *nd)
{
	size_t i = offset(c, cols.p), k;
	char sub[PATH_LEN];
	span key, val;
	int first = 1, r;

	if (cols.n == 0 || cols.p[0] != '{')
		return fail(c, path, "expected an object of columns");
	if (depth > SAOLA__COLS_DEPTH)
		return fail(c, path, "columns nested deeper than %d levels", SAOLA__COLS_DEPTH);
	while ((r = next_item(c, &i, &first, &key, &val)) == 1) {
		icol *ic = node_column(nd);
		if (!ic)
			return fail(c, path, "out of memory");
		if (!(ic->key = column_key(key)))
			return fail(c, path, "a column's name is not a string without NUL");
		for (k = 0; k + 1 < nd->n; k++)
			if (strcmp(nd->cols[k].key, ic->key) == 0)
				return fail(c, path, "column \"%.60s\" given twice", ic->key);
		snprintf(sub, sizeof sub, "%.200s.%.90s", path, ic->key);
		if (check_col(c, val, rows, sub, depth, ic) != 0)
			return -1;
	}
	return r < 0 ? bad_text(c, path, i, "bad JSON") : 0;
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

saola__cols_reader *saola__cols_open_text(const char *text, size_t len, const char *what,
                                          size_t max_values, int *too_big, char *err,
                                          size_t errlen)
{
	chk c = {max_values, 0, err, errlen, text, len};
	saola__cols_reader *it;
	span key, val, n = {NULL, 0}, cols = {NULL, 0};
	size_t i = saola__json_skip_ws(text, len, 0);
	int64_t rows = -1;
	int first = 1, r = 0, bad = i >= len || text[i] != '{';
	char path[120];

	if (too_big)
		*too_big = 0;
	while (!bad && (r = next_item(&c, &i, &first, &key, &val)) == 1) {
		span *slot = key.n == 3 && key.p[1] == 'n' ? &n : key.n == 3 && key.p[1] == 'c'
		           ? &cols : NULL;
		bad = !slot || slot->p;
		if (slot)
			*slot = val;
	}
	snprintf(path, sizeof path, "%.100s", what);
	if (bad || r < 0 || !n.p || !cols.p || !json_int(n, &rows) || rows < 0 ||
	    saola__json_skip_ws(text, len, i) != len) {
		fail(&c, path, "expected {\"n\": the number of objects, \"c\": their columns}");
		return NULL;
	}
	snprintf(path, sizeof path, "%.100s.c", what);
	if ((uint64_t)rows > max_values) {
		if (too_big)
			*too_big = 1;
		fail(&c, path, "%" PRId64 " objects, more than allowed (%zu)", rows, max_values);
		return NULL;
	}
	if (!(it = calloc(1, sizeof *it))) {
		fail(&c, path, "out of memory");
		return NULL;
	}
	it->rows = (size_t)rows;
	if (spend(&c, path, it->rows) != 0 || check_node(&c, cols, it->rows, path, 0, &it->top)) {
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

static json_t *take_verbatim(saola__cols_reader *it, icol *ic, const char *path)
{
	json_error_t jerr;
	span e = next_element(&ic->v);
	json_t *v = e.p ? json_loadb(e.p, e.n, JSON_DECODE_ANY | JSON_ALLOW_NUL |
	                             JSON_REJECT_DUPLICATES, &jerr) : NULL;

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
