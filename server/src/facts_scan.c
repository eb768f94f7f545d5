/* facts_scan.c: reads the top-level fields that reports need out of a
 * stored record's JSON text in one pass, skipping the rest (the members
 * repeat, most of the bytes) without building any of it. */
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "report_labels.h"

typedef struct span {
	const char *p;
	size_t n;
	int escaped;   /* holds a backslash escape */
} span;

typedef struct cur {
	const char *p, *end;
} cur;

static void ws(cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t'))
		c->p++;
}

/* At a '"': the string's contents into s (raw), the cursor past it. */
static int string(cur *c, span *s)
{
	const char *p = c->p + 1;

	s->p = p;
	s->escaped = 0;
	while (p < c->end && *p != '"') {
		if (*p == '\\') {
			s->escaped = 1;
			p++;
		}
		p++;
	}
	if (p >= c->end)
		return -1;
	s->n = (size_t)(p - s->p);
	c->p = p + 1;
	return 0;
}

/* The bytes that matter when skipping a container: quotes and brackets. */
static const unsigned char special[256] = {
	['"'] = 1, ['{'] = 1, ['}'] = 1, ['['] = 1, [']'] = 1,
};

/* Skips an object or array (the members repeat is most of a record's
 * bytes): strings are passed with memchr, other bytes by a table. */
static int skip_container(cur *c)
{
	const char *p = c->p, *end = c->end;
	int depth = 0;

	while (p < end) {
		unsigned char ch = (unsigned char)*p;

		if (!special[ch]) {
			p++;
			continue;
		}
		if (ch == '"') {
			const char *q, *b;
			p++;
			for (;;) {
				if (!(q = memchr(p, '"', (size_t)(end - p))))
					return -1;
				/* A quote after an odd run of backslashes is escaped. */
				for (b = q; b > p && b[-1] == '\\'; b--)
					;
				p = q + 1;
				if (((q - b) & 1) == 0)
					break;
			}
			continue;
		}
		if (ch == '{' || ch == '[') {
			depth++;
		} else if (--depth == 0) {
			c->p = p + 1;
			return 0;
		}
		p++;
	}
	return -1;
}

/* Skips one value of any kind. */
static int skip(cur *c)
{
	span s;

	ws(c);
	if (c->p >= c->end)
		return -1;
	if (*c->p == '{' || *c->p == '[')
		return skip_container(c);
	if (*c->p == '"')
		return string(c, &s);
	while (c->p < c->end && *c->p != ',' && *c->p != '}' && *c->p != ']' && *c->p != ' ' &&
	       *c->p != '\n' && *c->p != '\r' && *c->p != '\t')
		c->p++;
	return 0;
}

static unsigned hexval(const char *p)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char ch = p[i];
		v = v * 16 + (unsigned)(ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f'
		                        ? ch - 'a' + 10 : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : 0);
	}
	return v;
}

/* Appends code point u as UTF-8; returns bytes written (0 when no room). */
static size_t put_utf8(char *o, size_t room, unsigned u)
{
	if (u < 0x80 && room >= 1) {
		o[0] = (char)u;
		return 1;
	}
	if (u < 0x800 && room >= 2) {
		o[0] = (char)(0xc0 | u >> 6);
		o[1] = (char)(0x80 | (u & 0x3f));
		return 2;
	}
	if (u < 0x10000 && room >= 3) {
		o[0] = (char)(0xe0 | u >> 12);
		o[1] = (char)(0x80 | (u >> 6 & 0x3f));
		o[2] = (char)(0x80 | (u & 0x3f));
		return 3;
	}
	if (u >= 0x10000 && room >= 4) {
		o[0] = (char)(0xf0 | u >> 18);
		o[1] = (char)(0x80 | (u >> 12 & 0x3f));
		o[2] = (char)(0x80 | (u >> 6 & 0x3f));
		o[3] = (char)(0x80 | (u & 0x3f));
		return 4;
	}
	return 0;
}

/* The string's text, unescaped, into out (cap bytes with the NUL); a text
 * too long is cut at a character boundary. */
static void text(const span *s, char *out, size_t cap)
{
	size_t i = 0, o = 0, k;

	if (!s->escaped) {
		size_t n = s->n < cap - 1 ? s->n : cap - 1;
		while (n > 0 && n < s->n && ((unsigned char)s->p[n] & 0xc0) == 0x80)
			n--;
		memcpy(out, s->p, n);
		out[n] = '\0';
		return;
	}
	while (i < s->n && o < cap - 1) {
		char ch = s->p[i++];
		unsigned u;

		if (ch != '\\') {
			/* Copy a whole UTF-8 sequence or stop. */
			size_t len = ((unsigned char)ch & 0xe0) == 0xc0 ? 2 : ((unsigned char)ch & 0xf0) == 0xe0
			           ? 3 : ((unsigned char)ch & 0xf8) == 0xf0 ? 4 : 1;
			if (o + len > cap - 1 || i - 1 + len > s->n)
				break;
			memcpy(out + o, s->p + i - 1, len);
			o += len;
			i += len - 1;
			continue;
		}
		if (i >= s->n)
			break;
		ch = s->p[i++];
		switch (ch) {
		case 'b': u = '\b'; break;
		case 'f': u = '\f'; break;
		case 'n': u = '\n'; break;
		case 'r': u = '\r'; break;
		case 't': u = '\t'; break;
		case 'u':
			if (i + 4 > s->n)
				goto done;
			u = hexval(s->p + i);
			i += 4;
			if (u >= 0xd800 && u < 0xdc00 && i + 6 <= s->n && s->p[i] == '\\' &&
			    s->p[i + 1] == 'u') {
				unsigned lo = hexval(s->p + i + 2);
				if (lo >= 0xdc00 && lo < 0xe000) {
					u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
					i += 6;
				}
			}
			break;
		default: u = (unsigned char)ch; break;
		}
		if (!(k = put_utf8(out + o, cap - 1 - o, u)))
			break;
		o += k;
	}
done:
	out[o] = '\0';
}

/* A number or true: 1 when it is non-zero or true. */
static int truthy(cur *c)
{
	const char *start = c->p;
	char buf[32];
	size_t n;

	if (skip(c) != 0)
		return -1;
	n = (size_t)(c->p - start);
	if (n == 4 && memcmp(start, "true", 4) == 0)
		return 1;
	if (n == 0 || n >= sizeof buf || !(*start == '-' || (*start >= '0' && *start <= '9')))
		return 0;
	memcpy(buf, start, n);
	buf[n] = '\0';
	return strtod(buf, NULL) != 0;
}

static int integer(cur *c, int *out)
{
	const char *start = c->p;
	char buf[32];
	size_t n;

	if (skip(c) != 0)
		return -1;
	n = (size_t)(c->p - start);
	*out = 0;
	if (n > 0 && n < sizeof buf && (*start == '-' || (*start >= '0' && *start <= '9'))) {
		double v;
		memcpy(buf, start, n);
		buf[n] = '\0';
		v = strtod(buf, NULL);
		if (v > -100000 && v < 100000 && v == (double)(int)v)
			*out = (int)v;
	}
	return 0;
}

/* An array of codes of a list into a bitmask; other values are skipped. */
static int codes(cur *c, const saola__label *list, int n, unsigned *bits)
{
	span s;
	int k;

	*bits = 0;
	ws(c);
	if (c->p >= c->end || *c->p != '[')
		return skip(c);
	c->p++;
	for (;;) {
		ws(c);
		if (c->p >= c->end)
			return -1;
		if (*c->p == ']') {
			c->p++;
			return 0;
		}
		if (*c->p == '"') {
			if (string(c, &s) != 0)
				return -1;
			if (!s.escaped && (k = saola__label_index(list, n, s.p, (int)s.n)) >= 0)
				*bits |= 1u << k;
		} else if (skip(c) != 0) {
			return -1;
		}
		ws(c);
		if (c->p < c->end && *c->p == ',')
			c->p++;
	}
}

static int key_is(const span *k, const char *name)
{
	size_t n = strlen(name);

	return k->n == n && memcmp(k->p, name, n) == 0;
}

/* One value of the object, for key k. */
static int field(cur *c, const span *k, saola__fact *f)
{
	span s;
	int i, v;

	ws(c);
	if (c->p >= c->end)
		return -1;
	if (k->n > 2 && k->p[0] == 'd' && k->p[1] == '_' && !k->escaped) {
		for (i = 0; i < SAOLA__N_INDICATORS; i++)
			if (k->n - 2 == strlen(saola__indicators[i].code) &&
			    memcmp(k->p + 2, saola__indicators[i].code, k->n - 2) == 0) {
				if ((v = truthy(c)) < 0)
					return -1;
				if (v)
					f->ind |= 1u << i;
				return 0;
			}
		return skip(c);
	}
	if (key_is(k, "survey_year"))
		return integer(c, &f->year);
	if (key_is(k, "poverty_causes"))
		return codes(c, saola__causes, SAOLA__N_CAUSES, &f->causes);
	if (key_is(k, "support_received"))
		return codes(c, saola__supports, SAOLA__N_SUPPORTS, &f->support);
	if (*c->p != '"' || !(key_is(k, "village") || key_is(k, "household_id") ||
	                      key_is(k, "area") || key_is(k, "classification")))
		return skip(c);
	if (string(c, &s) != 0)
		return -1;
	if (key_is(k, "village"))
		text(&s, f->village, sizeof f->village);
	else if (key_is(k, "household_id"))
		text(&s, f->household_id, sizeof f->household_id);
	else if (key_is(k, "area"))
		f->urban = key_is(&s, "urban") ? 1 : key_is(&s, "rural") ? 0 : -1;
	else
		f->cls = saola__class_of(s.p, (int)s.n);
	return 0;
}

int saola__facts_scan(const char *json, size_t len, saola__fact *f)
{
	cur c = {json, json + len};
	span k;

	memset(f, 0, sizeof *f);
	f->cls = SAOLA__CLASS_NONE;
	f->urban = -1;
	ws(&c);
	if (c.p >= c.end || *c.p != '{')
		return -1;
	c.p++;
	for (;;) {
		ws(&c);
		if (c.p >= c.end)
			return -1;
		if (*c.p == '}')
			return 0;
		if (*c.p != '"' || string(&c, &k) != 0)
			return -1;
		ws(&c);
		if (c.p >= c.end || *c.p != ':')
			return -1;
		c.p++;
		if (field(&c, &k, f) != 0)
			return -1;
		ws(&c);
		if (c.p < c.end && *c.p == ',')
			c.p++;
		else if (c.p >= c.end || *c.p != '}')
			return -1;
	}
}
