/* json_out.c: a fast compact JSON writer for stored records (jansson's
 * dumper escapes through a callback per character and was a third of the
 * cost of a put). Output is what json_dumps(v, JSON_COMPACT) would give
 * (or JSON_INDENT(n)), but for reals, printed as entered: the shortest text
 * that reads back to the same double (98.6, not 98.599999999999994). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola_int.h"
#include "json_out.h"

typedef struct buf {
	char *p;
	size_t len, cap;
	int oom;
	int indent;   /* spaces per level; 0: compact */
	int depth;
} buf;

static int grow(buf *b, size_t need)
{
	size_t cap;
	char *p;

	if (b->oom)
		return -1;
	if (b->len + need + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 1024;
	while (cap < b->len + need + 1)
		cap *= 2;
	if (!(p = realloc(b->p, cap))) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

static void put(buf *b, const char *s, size_t n)
{
	if (grow(b, n) == 0) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
	}
}

static void put_string(buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	if (grow(b, n + 2) != 0)
		return;
	b->p[b->len++] = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		size_t elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue; /* copied in runs below */
		put(b, s + run, i - run);
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			esc[1] = 'u', esc[2] = '0', esc[3] = '0';
			esc[4] = hex[c >> 4], esc[5] = hex[c & 15];
			elen = 6;
		}
		put(b, esc, elen);
	}
	put(b, s + run, n - run);
	put(b, "\"", 1);
}

size_t saola__json_real_text(double d, char out[SAOLA__JSON_REAL_MAX])
{
	static const char *const fmts[] = {"%.15g", "%.16g", "%.17g"};
	size_t i;
	int n = 0;

	for (i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
		n = snprintf(out, SAOLA__JSON_REAL_MAX, fmts[i], d);
		if (strtod(out, NULL) == d)
			break;
	}
	/* a real stays a real when read back */
	if (!strpbrk(out, ".eEn") && n + 2 < SAOLA__JSON_REAL_MAX) {
		out[n++] = '.';
		out[n++] = '0';
		out[n] = '\0';
	}
	return (size_t)n;
}

/* A new line and the indentation of the current depth (indented output). */
static void newline(buf *b)
{
	int i;

	if (!b->indent)
		return;
	put(b, "\n", 1);
	for (i = 0; i < b->indent * b->depth; i++)
		put(b, " ", 1);
}

static void put_value(buf *b, const json_t *v)
{
	char num[40];
	int n;

	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *x;
		int first = 1;
		put(b, "{", 1);
		b->depth++;
		json_object_foreach((json_t *)v, k, x) {
			if (!first)
				put(b, ",", 1);
			first = 0;
			newline(b);
			put_string(b, k, strlen(k));
			put(b, ": ", b->indent ? 2 : 1);
			put_value(b, x);
		}
		b->depth--;
		if (!first)
			newline(b);
		put(b, "}", 1);
		break;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *x;
		put(b, "[", 1);
		b->depth++;
		json_array_foreach(v, i, x) {
			if (i)
				put(b, ",", 1);
			newline(b);
			put_value(b, x);
		}
		b->depth--;
		if (json_array_size(v))
			newline(b);
		put(b, "]", 1);
		break;
	}
	case JSON_STRING:
		put_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER: {
		/* by hand: snprintf was a tenth of a put */
		json_int_t x = json_integer_value(v);
		unsigned long long u = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
		char *e = num + sizeof num, *p = e;
		do {
			*--p = (char)('0' + u % 10);
			u /= 10;
		} while (u);
		if (x < 0)
			*--p = '-';
		put(b, p, (size_t)(e - p));
		break;
	}
	case JSON_REAL: {
		double d = json_real_value(v);
		if (!isfinite(d)) {
			put(b, "null", 4);
			break;
		}
		n = (int)saola__json_real_text(d, num);
		put(b, num, (size_t)n);
		break;
	}
	case JSON_TRUE: put(b, "true", 4); break;
	case JSON_FALSE: put(b, "false", 5); break;
	default: put(b, "null", 4); break;
	}
}

char *saola__json_dump(const json_t *v, size_t *len)
{
	return saola__json_dump_indent(v, 0, len);
}

char *saola__json_dump_indent(const json_t *v, int indent, size_t *len)
{
	buf b = {NULL, 0, 0, 0, indent > 0 ? indent : 0, 0};

	put_value(&b, v);
	if (b.oom || grow(&b, 0) != 0) {
		free(b.p);
		return NULL;
	}
	b.p[b.len] = '\0';
	if (len)
		*len = b.len;
	return b.p;
}
