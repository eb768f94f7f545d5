/* wire_cols.c: a batch of JSON objects as columns, and back (wire_cols.h;
 * the format is in docs/protocol.md, "Version 2: changes as columns"). */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"
#include "saola/core.h"
#include "wire_cols.h"

#define TOP_WIDTH (SAOLA__COLS_WIDTH * 4)
#define HEX_MAX 15 /* digits: a hex value and its differences fit an int64 */

typedef saola__text buf;

static int buf_put(buf *b, const void *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t want = b->cap ? b->cap * 2 : 64;
		char *grown;
		while (want < b->n + n + 1)
			want *= 2;
		if (!(grown = realloc(b->p, want)))
			return -1;
		b->p = grown;
		b->cap = want;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

int saola__text_put(void *text, const char *s, size_t n)
{
	return buf_put(text, s, n) == 0 ? SAOLA_OK : SAOLA_NOMEM;
}

static int buf_ch(buf *b, char c)
{
	return buf_put(b, &c, 1);
}

static int buf_fill(buf *b, char c, size_t n)
{
	for (; n > 0; n--)
		if (buf_ch(b, c) != 0)
			return -1;
	return 0;
}

typedef struct node node;

/* One key's values across the rows of its node, each in the stream of
 * its kind: 'v' verbatim JSON, 'o' objects split again, 'a' arrays of
 * objects (lengths, then the items split), 'u' UUIDs as 16 bytes, 'h'
 * fixed-width hex as differences. */
typedef struct col {
	char *key;
	buf pres;        /* '1' or '0' for each row of the node */
	size_t present;
	buf kinds;       /* the kind of each present value */
	char kind0;
	int mixed;
	buf v;
	size_t nv;
	node *o;
	node *a;
	buf alen;
	size_t na;
	buf u;
	size_t nu;
	char strkind;    /* how its strings go: 0 undecided, 'u', 'h' or 'v' */
	buf h;
	size_t nh;
	size_t hw;
	uint64_t hprev;
	char hfirst[HEX_MAX + 1];
} col;

struct node {
	col *cols;
	size_t ncols, cap, width;
	size_t rows;
	int depth;
};

struct saola__cols {
	node top;
	int broken;
};

static void node_clear(node *nd);

static void col_clear(col *c)
{
	free(c->key);
	free(c->pres.p);
	free(c->kinds.p);
	free(c->v.p);
	free(c->alen.p);
	free(c->u.p);
	free(c->h.p);
	if (c->o)
		node_clear(c->o);
	if (c->a)
		node_clear(c->a);
	free(c->o);
	free(c->a);
}

static void node_clear(node *nd)
{
	size_t i;

	for (i = 0; i < nd->ncols; i++)
		col_clear(&nd->cols[i]);
	free(nd->cols);
	memset(nd, 0, sizeof *nd);
}

static col *node_find(node *nd, const char *key)
{
	size_t i;

	for (i = 0; i < nd->ncols; i++)
		if (strcmp(nd->cols[i].key, key) == 0)
			return &nd->cols[i];
	return NULL;
}

/* 1 when the keys that nd has no column for, of obj (an object) or of
 * each object of obj (an array of them), fit in the columns nd may still
 * add. */
static int node_fits(node *nd, const json_t *obj)
{
	const char *fresh[TOP_WIDTH];
	size_t nfresh = 0, room = nd->width - nd->ncols, i, j, n;
	const char *k;
	json_t *v, *item;

	n = json_is_array(obj) ? json_array_size(obj) : 1;
	for (i = 0; i < n; i++) {
		item = json_is_array(obj) ? json_array_get(obj, i) : (json_t *)obj;
		json_object_foreach(item, k, v) {
			if (node_find(nd, k))
				continue;
			for (j = 0; j < nfresh && strcmp(fresh[j], k) != 0; j++)
				;
			if (j < nfresh)
				continue;
			if (nfresh == room)
				return 0;
			fresh[nfresh++] = k;
		}
	}
	return 1;
}

static node *node_new(int depth)
{
	node *nd = calloc(1, sizeof *nd);

	if (nd) {
		nd->depth = depth;
		nd->width = SAOLA__COLS_WIDTH;
	}
	return nd;
}

static int node_add(node *nd, const json_t *obj);

int saola__cols_is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return n > 0;
}

/* 1 when s is a UUID as saola writes them: 8-4-4-4-12 lowercase hex. */
static int is_uuid(const char *s, size_t n)
{
	static const size_t dash[4] = {8, 13, 18, 23};
	size_t i, d = 0;

	if (n != 36)
		return 0;
	for (i = 0; i < n; i++) {
		if (d < 4 && i == dash[d]) {
			if (s[i] != '-')
				return 0;
			d++;
		} else if (!saola__cols_is_hex(s + i, 1)) {
			return 0;
		}
	}
	return 1;
}

static int hex_val(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

uint64_t saola__cols_hex(const char *s, size_t n)
{
	uint64_t x = 0;
	size_t i;

	for (i = 0; i < n; i++)
		x = x << 4 | (uint64_t)hex_val(s[i]);
	return x;
}

static char string_kind(col *c, const json_t *v)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);

	if (!c->strkind)
		c->strkind = is_uuid(s, n) ? 'u' : n <= HEX_MAX && saola__cols_is_hex(s, n) ? 'h' : 'v';
	if (c->strkind == 'u' && is_uuid(s, n))
		return 'u';
	if (c->strkind == 'h' && n == (c->nh ? c->hw : n) && n <= HEX_MAX && saola__cols_is_hex(s, n))
		return 'h';
	return 'v';
}

/* 1 when v is an array of objects that c's item columns can take. */
static int items_fit(col *c, const json_t *v, int depth)
{
	size_t i, n = json_array_size(v);
	json_t *e;

	if (n == 0 || depth + 1 >= SAOLA__COLS_DEPTH)
		return 0;
	json_array_foreach(v, i, e)
		if (!json_is_object(e))
			return 0;
	if (!c->a && !(c->a = node_new(depth + 1)))
		return -1;
	return node_fits(c->a, v);
}

static char value_kind(col *c, const json_t *v, int depth)
{
	if (json_is_object(v) && depth + 1 < SAOLA__COLS_DEPTH) {
		if (!c->o && !(c->o = node_new(depth + 1)))
			return 0;
		return node_fits(c->o, v) ? 'o' : 'v';
	}
	if (json_is_array(v)) {
		int fit = items_fit(c, v, depth);
		return fit < 0 ? 0 : fit ? 'a' : 'v';
	}
	if (json_is_string(v))
		return string_kind(c, v);
	return 'v';
}

static int put_verbatim(col *c, const json_t *v)
{
	size_t len;
	char *text = saola__json_dump(v, &len);
	int rc = text ? 0 : -1;

	if (rc == 0 && c->nv > 0)
		rc = buf_ch(&c->v, ',');
	if (rc == 0)
		rc = buf_put(&c->v, text, len);
	free(text);
	c->nv++;
	return rc;
}

static int put_uuid(col *c, const char *s)
{
	unsigned char b[16];
	size_t i, j = 0;

	for (i = 0; i < 36; i++) {
		if (s[i] == '-')
			continue;
		if (j % 2 == 0)
			b[j / 2] = (unsigned char)(hex_val(s[i]) << 4);
		else
			b[j / 2] |= (unsigned char)hex_val(s[i]);
		j++;
	}
	c->nu++;
	return buf_put(&c->u, b, 16);
}

static int put_hex(col *c, const char *s, size_t n)
{
	uint64_t x = saola__cols_hex(s, n);
	char text[32];
	int len;

	if (c->nh++ == 0) {
		memcpy(c->hfirst, s, n);
		c->hfirst[n] = '\0';
		c->hw = n;
		c->hprev = x;
		return 0;
	}
	len = snprintf(text, sizeof text, ",%" PRId64, (int64_t)(x - c->hprev));
	c->hprev = x;
	return buf_put(&c->h, text, (size_t)len);
}

static int put_items(col *c, const json_t *v)
{
	char text[24];
	size_t i;
	json_t *e;
	int len = snprintf(text, sizeof text, "%s%zu", c->na ? "," : "", json_array_size(v));

	c->na++;
	if (buf_put(&c->alen, text, (size_t)len) != 0)
		return -1;
	json_array_foreach(v, i, e)
		if (node_add(c->a, e) != 0)
			return -1;
	return 0;
}

static int col_add(col *c, const json_t *v, int depth)
{
	char kind = value_kind(c, v, depth);

	if (!kind)
		return -1;
	if (c->present == 0)
		c->kind0 = kind;
	else if (kind != c->kind0)
		c->mixed = 1;
	c->present++;
	if (buf_ch(&c->kinds, kind) != 0)
		return -1;
	switch (kind) {
	case 'o':
		return node_add(c->o, v);
	case 'a':
		return put_items(c, v);
	case 'u':
		return put_uuid(c, json_string_value(v));
	case 'h':
		return put_hex(c, json_string_value(v), json_string_length(v));
	default:
		return put_verbatim(c, v);
	}
}

static col *node_column(node *nd, const char *key)
{
	col *c;

	if (nd->ncols == nd->cap) {
		size_t want = nd->cap ? nd->cap * 2 : 8;
		col *grown = realloc(nd->cols, want * sizeof *grown);
		if (!grown)
			return NULL;
		nd->cols = grown;
		nd->cap = want;
	}
	c = &nd->cols[nd->ncols];
	memset(c, 0, sizeof *c);
	if (!(c->key = strdup(key)) || buf_fill(&c->pres, '0', nd->rows) != 0) {
		col_clear(c);
		return NULL;
	}
	nd->ncols++;
	return c;
}

/* Adds obj as nd's next row; node_fits() said its keys fit. */
static int node_add(node *nd, const json_t *obj)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)obj, k, v)
		if (!node_find(nd, k) && !node_column(nd, k))
			return -1;
	for (i = 0; i < nd->ncols; i++) {
		col *c = &nd->cols[i];
		v = json_object_get(obj, c->key);
		if (buf_ch(&c->pres, v ? '1' : '0') != 0 || (v && col_add(c, v, nd->depth) != 0))
			return -1;
	}
	nd->rows++;
	return 0;
}

saola__cols *saola__cols_new(void)
{
	saola__cols *c = calloc(1, sizeof *c);

	if (c)
		c->top.width = TOP_WIDTH;
	return c;
}

void saola__cols_free(saola__cols *c)
{
	if (!c)
		return;
	node_clear(&c->top);
	free(c);
}

int saola__cols_add(saola__cols *c, const json_t *obj)
{
	if (!c || c->broken || !json_is_object(obj) ||
	    !node_fits(&c->top, obj))
		return SAOLA_MISUSE;
	if (node_add(&c->top, obj) != 0) {
		c->broken = 1;
		return SAOLA_NOMEM;
	}
	return SAOLA_OK;
}

size_t saola__cols_rows(const saola__cols *c)
{
	return c ? c->top.rows : 0;
}

/* The writer: put's result is kept in rc, and nothing more is written
 * once it is not 0. */
typedef struct writer {
	saola__cols_put put;
	void *ctx;
	int rc;
} writer;

static void emit(writer *o, const char *s, size_t n)
{
	if (o->rc == 0 && n > 0)
		o->rc = o->put(o->ctx, s, n);
}

static void emits(writer *o, const char *s)
{
	emit(o, s, strlen(s));
}

static void emit_key(writer *o, const char *key)
{
	json_t *k = json_string(key);
	size_t n;
	char *text = k ? saola__json_dump(k, &n) : NULL;

	json_decref(k);
	if (!text) {
		if (o->rc == 0)
			o->rc = SAOLA_NOMEM;
		return;
	}
	emit(o, text, n);
	emit(o, ":", 1);
	free(text);
}

static void emit_base64url(writer *o, const unsigned char *b, size_t n)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char chunk[4];
	size_t i;

	for (i = 0; i < n; i += 3) {
		uint32_t w = (uint32_t)b[i] << 16 | (i + 1 < n ? (uint32_t)b[i + 1] << 8 : 0) |
		             (i + 2 < n ? b[i + 2] : 0);
		size_t k = n - i >= 3 ? 4 : n - i + 1;
		chunk[0] = abc[w >> 18 & 63];
		chunk[1] = abc[w >> 12 & 63];
		chunk[2] = abc[w >> 6 & 63];
		chunk[3] = abc[w & 63];
		emit(o, chunk, k);
	}
}

static void emit_node(writer *o, const node *nd);

/* Starts a member of a column's object: a ',' before every member but the
 * first, then name (its name and what opens its value). */
static void member(writer *o, int *first, const char *name)
{
	if (!*first)
		emits(o, ",");
	*first = 0;
	emits(o, name);
}

static void emit_col(writer *o, const col *c, size_t rows)
{
	int first = 1;

	emit_key(o, c->key);
	emit(o, "{", 1);
	if (c->present < rows) {
		member(o, &first, "\"p\":\"");
		emit(o, c->pres.p, c->pres.n);
		emits(o, "\"");
	}
	if (c->mixed) {
		member(o, &first, "\"t\":\"");
		emit(o, c->kinds.p, c->kinds.n);
		emits(o, "\"");
	}
	if (c->nv) {
		member(o, &first, "\"v\":[");
		emit(o, c->v.p, c->v.n);
		emits(o, "]");
	}
	if (c->o && c->o->rows) {
		member(o, &first, "\"o\":");
		emit_node(o, c->o);
	}
	if (c->na) {
		member(o, &first, "\"a\":{\"n\":[");
		emit(o, c->alen.p, c->alen.n);
		emits(o, "],\"c\":");
		emit_node(o, c->a);
		emits(o, "}");
	}
	if (c->nu) {
		member(o, &first, "\"u\":\"");
		emit_base64url(o, (const unsigned char *)c->u.p, c->u.n);
		emits(o, "\"");
	}
	if (c->nh) {
		member(o, &first, "\"h\":[\"");
		emits(o, c->hfirst);
		emits(o, "\"");
		emit(o, c->h.p, c->h.n);
		emits(o, "]");
	}
	emits(o, "}");
}

static void emit_node(writer *o, const node *nd)
{
	size_t i;

	emits(o, "{");
	for (i = 0; i < nd->ncols; i++) {
		if (i > 0)
			emits(o, ",");
		emit_col(o, &nd->cols[i], nd->rows);
	}
	emits(o, "}");
}

int saola__cols_write(saola__cols *c, saola__cols_put put, void *ctx)
{
	writer o = {put, ctx, 0};
	char head[40];

	if (!c || c->broken)
		return SAOLA_MISUSE;
	snprintf(head, sizeof head, "{\"n\":%zu,\"c\":", c->top.rows);
	emits(&o, head);
	emit_node(&o, &c->top);
	emits(&o, "}");
	return o.rc;
}
