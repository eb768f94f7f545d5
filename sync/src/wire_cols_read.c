/* wire_cols_read.c: reading a batch in columns (wire_cols.h) one object
 * at a time: every count is checked and the values it will make counted
 * first, without building anything; then each object is made when it is
 * asked for, so that a page of records in columns costs its own tree and
 * one record, not a second tree of every record. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola/core.h"
#include "wire_cols.h"

#define HEX_MAX 15
#define PATH_MAX_LEN 300

typedef struct inode inode;

/* A column being read: where each of its streams stands. */
typedef struct icol {
	const char *key;
	const char *pres;      /* NULL: present in every row */
	const char *kinds;     /* NULL: every value of the stream sole */
	char sole;
	size_t row, j;         /* the next row, and the next present value */
	const json_t *v;
	size_t iv;
	inode *o;
	const json_t *alen;
	size_t ia;
	inode *a;
	const char *u;         /* base64url, read a bit at a time */
	size_t upos;
	uint32_t acc;
	int bits;
	const json_t *h;
	size_t ih;
	uint64_t hx;
	int hw;
} icol;

struct inode {
	icol *cols;
	size_t n;
};

struct saola__cols_reader {
	inode top;
	size_t rows, next;
	int failed;
};

typedef struct chk {
	size_t budget;
	int too_big;
	char *err;
	size_t errlen;
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

static int kind_ix(char k)
{
	const char *p = k ? strchr(KINDS, k) : NULL;

	return p ? (int)(p - KINDS) : -1;
}

static int is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return n > 0;
}

static uint64_t hex_parse(const char *s, size_t n)
{
	uint64_t x = 0;
	size_t i;

	for (i = 0; i < n; i++)
		x = x << 4 | (uint64_t)(s[i] <= '9' ? s[i] - '0' : s[i] - 'a' + 10);
	return x;
}

static int b64_val(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26
	     : c >= '0' && c <= '9' ? c - '0' + 52 : c == '-' ? 62 : c == '_' ? 63 : -1;
}

static void node_free(inode *nd)
{
	size_t i;

	for (i = 0; i < nd->n; i++) {
		if (nd->cols[i].o) {
			node_free(nd->cols[i].o);
			free(nd->cols[i].o);
		}
		if (nd->cols[i].a) {
			node_free(nd->cols[i].a);
			free(nd->cols[i].a);
		}
	}
	free(nd->cols);
	memset(nd, 0, sizeof *nd);
}

static int check_node(chk *c, const json_t *cols, size_t rows, const char *path, int depth,
                      inode *nd);

/* How many values of each kind the column's marks ask for: "t" gives each
 * value's kind; without it the one stream present has them all. */
static int count_kinds(chk *c, const json_t *col, size_t present, size_t want[5],
                       icol *ic, const char *path)
{
	const json_t *t = json_object_get(col, "t");
	const char *marks = json_string_value(t);
	size_t i, nstreams = 0;
	int sole = -1;

	if (t) {
		if (!marks || json_string_length(t) != present)
			return fail(c, path, "\"t\": expected a string of %zu kinds", present);
		for (i = 0; i < present; i++) {
			int k = kind_ix(marks[i]);
			if (k < 0)
				return fail(c, path, "\"t\": character %zu is not one of \"%s\"", i + 1,
				            KINDS);
			want[k]++;
		}
		ic->kinds = marks;
	}
	for (i = 0; i < 5; i++) {
		char key[2] = {KINDS[i], '\0'};
		if (json_object_get(col, key)) {
			nstreams++;
			sole = (int)i;
		} else if (want[i]) {
			return fail(c, path, "\"%s\": missing (\"t\" names %zu such values)", key,
			            want[i]);
		}
	}
	if (!t && nstreams > 1)
		return fail(c, path, "several kinds of values and no \"t\" to say which is which");
	if (!t && sole < 0 && present > 0)
		return fail(c, path, "%zu values present and none given", present);
	if (!t && sole >= 0) {
		want[sole] = present;
		ic->sole = KINDS[sole];
	}
	return 0;
}

static int check_uuids(chk *c, const json_t *u, size_t want, const char *path, icol *ic)
{
	const char *s = json_string_value(u);
	size_t n = json_string_length(u), i, chars = (want * 16 * 8 + 5) / 6;

	if (!s)
		return fail(c, path, "\"u\": expected a string (base64url)");
	if (n != chars)
		return fail(c, path, "\"u\": %zu characters, expected %zu (%zu UUIDs)", n, chars,
		            want);
	for (i = 0; i < n; i++)
		if (b64_val(s[i]) < 0)
			return fail(c, path, "\"u\": character %zu is not base64url", i + 1);
	/* The bits past the last byte are zero. */
	if (n > 0 && (want * 16 * 8) % 6 != 0 &&
	    (b64_val(s[n - 1]) & ((1 << (6 - (want * 16 * 8) % 6)) - 1)) != 0)
		return fail(c, path, "\"u\": the last character has bits past the end set");
	ic->u = s;
	return spend(c, path, want);
}

static int check_hex(chk *c, const json_t *h, size_t want, const char *path, icol *ic)
{
	const char *first = json_string_value(json_array_get(h, 0));
	size_t w = first ? strlen(first) : 0, i;
	uint64_t x, top;

	if (!json_is_array(h) || !first || w > HEX_MAX || !is_hex(first, w))
		return fail(c, path, "\"h\": expected [first value (1-%d lowercase hex digits),"
		            " differences...]", HEX_MAX);
	if (json_array_size(h) != want)
		return fail(c, path, "\"h\": %zu values, expected %zu", json_array_size(h), want);
	x = hex_parse(first, w);
	top = (uint64_t)1 << (4 * w);
	for (i = 1; i < want; i++) {
		json_t *dx = json_array_get(h, i);
		if (!json_is_integer(dx))
			return fail(c, path, "\"h\"[%zu]: expected an integer difference", i);
		x += (uint64_t)json_integer_value(dx);
		if (x >= top)
			return fail(c, path, "\"h\"[%zu]: the value leaves %zu hex digits", i, w);
	}
	ic->h = h;
	ic->hw = (int)w;
	return spend(c, path, want);
}

/* A column's "a": {"n": [lengths], "c": the items}. */
static int check_items(chk *c, const json_t *a, size_t want, const char *path, int depth,
                       icol *ic)
{
	const json_t *n = json_object_get(a, "n"), *cols = json_object_get(a, "c"), *len;
	size_t i, total = 0;
	char sub[PATH_MAX_LEN];

	if (!json_is_object(a) || !json_is_array(n) || !cols || json_object_size(a) != 2)
		return fail(c, path, "\"a\": expected {\"n\": [lengths], \"c\": columns}");
	if (json_array_size(n) != want)
		return fail(c, path, "\"a\": %zu lengths, expected %zu", json_array_size(n), want);
	json_array_foreach(n, i, len) {
		if (!json_is_integer(len) || json_integer_value(len) < 0)
			return fail(c, path, "\"a\".n[%zu]: expected a length >= 0", i);
		if ((uint64_t)json_integer_value(len) > c->budget - total) {
			c->too_big = 1;
			return fail(c, path, "the batch makes more values than allowed");
		}
		total += (size_t)json_integer_value(len);
	}
	snprintf(sub, sizeof sub, "%.280s.a.c", path);
	if (spend(c, path, want) != 0 || spend(c, sub, total) != 0)
		return -1;
	ic->alen = n;
	if (!(ic->a = calloc(1, sizeof *ic->a)))
		return fail(c, path, "out of memory");
	return check_node(c, cols, total, sub, depth + 1, ic->a);
}

static int check_streams(chk *c, const json_t *col, const size_t want[5], const char *path,
                         int depth, icol *ic)
{
	const json_t *v = json_object_get(col, "v");
	char sub[PATH_MAX_LEN];

	if (v && !json_is_array(v))
		return fail(c, path, "\"v\": expected an array of values");
	if (v && json_array_size(v) != want[0])
		return fail(c, path, "\"v\": %zu values, expected %zu", json_array_size(v), want[0]);
	ic->v = v;
	if ((v = json_object_get(col, "o"))) {
		snprintf(sub, sizeof sub, "%.290s.o", path);
		if (spend(c, sub, want[1]) != 0)
			return -1;
		if (!(ic->o = calloc(1, sizeof *ic->o)))
			return fail(c, path, "out of memory");
		if (check_node(c, v, want[1], sub, depth + 1, ic->o) != 0)
			return -1;
	}
	if ((v = json_object_get(col, "a")) && check_items(c, v, want[2], path, depth, ic) != 0)
		return -1;
	if ((v = json_object_get(col, "u")) && check_uuids(c, v, want[3], path, ic) != 0)
		return -1;
	if ((v = json_object_get(col, "h")) && check_hex(c, v, want[4], path, ic) != 0)
		return -1;
	return 0;
}

static int check_col(chk *c, const char *key, const json_t *col, size_t rows,
                     const char *parent, int depth, icol *ic)
{
	const json_t *p = json_object_get(col, "p");
	const char *pres = json_string_value(p), *k;
	size_t present = rows, want[5] = {0}, i;
	char path[PATH_MAX_LEN];
	json_t *v;

	snprintf(path, sizeof path, "%.200s.%.90s", parent, key);
	ic->key = key;
	if (!json_is_object(col))
		return fail(c, path, "expected a column (an object)");
	json_object_foreach((json_t *)col, k, v)
		if (strlen(k) != 1 || !strchr("ptvoauh", k[0]))
			return fail(c, path, "unknown member \"%.40s\"", k);
	if (p) {
		if (!pres || json_string_length(p) != rows)
			return fail(c, path, "\"p\": expected a string of %zu marks ('1' present, "
			            "'0' absent)", rows);
		for (i = 0, present = 0; i < rows; i++) {
			if (pres[i] != '0' && pres[i] != '1')
				return fail(c, path, "\"p\": mark %zu is not '0' or '1'", i + 1);
			present += pres[i] == '1';
		}
		ic->pres = pres;
	}
	if (count_kinds(c, col, present, want, ic, path) != 0)
		return -1;
	return check_streams(c, col, want, path, depth, ic);
}

static int check_node(chk *c, const json_t *cols, size_t rows, const char *path, int depth,
                      inode *nd)
{
	const char *k;
	json_t *col;

	if (!json_is_object(cols))
		return fail(c, path, "expected an object of columns");
	if (depth > SAOLA__COLS_DEPTH)
		return fail(c, path, "columns nested deeper than %d levels", SAOLA__COLS_DEPTH);
	if (json_object_size(cols) > 0 &&
	    !(nd->cols = calloc(json_object_size(cols), sizeof *nd->cols)))
		return fail(c, path, "out of memory");
	json_object_foreach((json_t *)cols, k, col)
		if (check_col(c, k, col, rows, path, depth, &nd->cols[nd->n++]) != 0)
			return -1;
	return 0;
}

saola__cols_reader *saola__cols_open(const json_t *v, const char *what, size_t max_values,
                                   int *too_big, char *err, size_t errlen)
{
	chk c = {max_values, 0, err, errlen};
	const json_t *n = json_object_get(v, "n"), *cols = json_object_get(v, "c");
	saola__cols_reader *it;
	char path[120];

	snprintf(path, sizeof path, "%.100s", what);
	if (too_big)
		*too_big = 0;
	if (!json_is_object(v) || !json_is_integer(n) || json_integer_value(n) < 0 || !cols ||
	    json_object_size(v) != 2) {
		fail(&c, path, "expected {\"n\": the number of objects, \"c\": their columns}");
		return NULL;
	}
	snprintf(path, sizeof path, "%.100s.c", what);
	if ((uint64_t)json_integer_value(n) > max_values) {
		if (too_big)
			*too_big = 1;
		fail(&c, path, "%" JSON_INTEGER_FORMAT " objects, more than allowed (%zu)",
		     json_integer_value(n), max_values);
		return NULL;
	}
	if (!(it = calloc(1, sizeof *it))) {
		fail(&c, path, "out of memory");
		return NULL;
	}
	it->rows = (size_t)json_integer_value(n);
	if (spend(&c, path, it->rows) != 0 ||
	    check_node(&c, cols, it->rows, path, 0, &it->top) != 0) {
		if (too_big)
			*too_big = c.too_big;
		saola__cols_close(it);
		return NULL;
	}
	return it;
}

size_t saola__cols_count(const saola__cols_reader *it)
{
	return it ? it->rows : 0;
}

static json_t *next_object(inode *nd);

static json_t *take_uuid(icol *ic)
{
	unsigned char b[16];
	char text[37];
	int nb = 0;

	while (nb < 16) {
		if (ic->bits < 8) {
			ic->acc = ic->acc << 6 | (uint32_t)b64_val(ic->u[ic->upos++]);
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
	char text[HEX_MAX + 1];

	if (ic->ih == 0) {
		const char *first = json_string_value(json_array_get(ic->h, 0));
		ic->hx = hex_parse(first, strlen(first));
	} else {
		ic->hx += (uint64_t)json_integer_value(json_array_get(ic->h, ic->ih));
	}
	ic->ih++;
	snprintf(text, sizeof text, "%0*" PRIx64, ic->hw, ic->hx);
	return json_string(text);
}

static json_t *take_items(icol *ic)
{
	json_int_t n = json_integer_value(json_array_get(ic->alen, ic->ia++)), i;
	json_t *arr = json_array();

	for (i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, next_object(ic->a)) != 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

static json_t *take(icol *ic, char kind)
{
	switch (kind) {
	case 'v':
		return json_incref(json_array_get(ic->v, ic->iv++));
	case 'o':
		return next_object(ic->o);
	case 'a':
		return take_items(ic);
	case 'u':
		return take_uuid(ic);
	default:
		return take_hex(ic);
	}
}

static json_t *next_object(inode *nd)
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
		if (json_object_set_new_nocheck(obj, ic->key, take(ic, kind)) != 0) {
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
	if (!(obj = next_object(&it->top)))
		it->failed = 1;
	return obj;
}

void saola__cols_close(saola__cols_reader *it)
{
	if (!it)
		return;
	node_free(&it->top);
	free(it);
}
