/* body.c: request bodies: decompression with a limit, strict UTF-8, JSON
 * with its values and depth counted before it is parsed, and what a
 * client accepts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "body.h"
#include "wire.h"

int saola__encoding_known(const char *enc)
{
	return !enc || !*enc || strcasecmp(enc, "identity") == 0 ||
	       strcasecmp(enc, "gzip") == 0 || strcasecmp(enc, "x-gzip") == 0 ||
	       strcasecmp(enc, "deflate") == 0 || strcasecmp(enc, "xz") == 0;
}

int saola__utf8_valid(const unsigned char *s, size_t n, size_t *bad)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t need, k;
		unsigned long cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, cp = c & 0x07;
		else
			goto fail;
		if (n - i <= need) /* cut short */
			goto fail;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				goto fail;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			goto fail;
		i += need + 1;
	}
	return 1;
fail:
	*bad = i;
	return 0;
}

/* Line and column (1-based) of byte offset at in s. */
static void position(const unsigned char *s, size_t at, size_t *line, size_t *column)
{
	size_t i, start = 0;

	*line = 1;
	for (i = 0; i < at; i++)
		if (s[i] == '\n')
			(*line)++, start = i + 1;
	*column = at - start + 1;
}

saola__body_limits saola__body_limits_default(void)
{
	saola__body_limits lim = {SAOLA__MAX_INFLATED_DEFAULT, SAOLA__MAX_VALUES_DEFAULT,
	                          SAOLA__MAX_DEPTH_DEFAULT};
	return lim;
}

/* A byte that ends a token: after one, the next other byte starts a value. */
static int structural(unsigned char c)
{
	return c == 0 || c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':';
}

int saola__json_check(const unsigned char *text, size_t len, const saola__body_limits *lim,
                      const char *what, saola__err *e)
{
	unsigned char object[SAOLA__MAX_DEPTH_MAX + 1]; /* per level: 1 in an object */
	size_t depth = 0, values = 0, i, line, column;
	size_t max_depth = lim->max_depth < SAOLA__MAX_DEPTH_MAX ? lim->max_depth
	                                                         : SAOLA__MAX_DEPTH_MAX;
	unsigned char prev = 0;
	int in_string = 0, escaped = 0;

	object[0] = 0;
	for (i = 0; i < len; i++) {
		unsigned char c = text[i];

		if (in_string) {
			if (escaped)
				escaped = 0;
			else if (c == '\\')
				escaped = 1;
			else if (c == '"')
				in_string = 0;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c == '{' || c == '[') {
			values++;
			if (++depth > max_depth)
				goto too_deep;
			object[depth] = c == '{';
		} else if (c == '}' || c == ']') {
			if (depth > 0)
				depth--;
		} else if (c == '"') {
			/* A key is the string that opens an object or follows its
			 * comma: its cost goes with its value's. */
			in_string = 1;
			if (!(object[depth] && (prev == '{' || prev == ',')))
				values++;
		} else if (!structural(c) && structural(prev)) {
			values++;   /* a number, true, false or null begins */
		}
		if (values > lim->max_values)
			goto too_many;
		prev = c;
	}
	return 0;
too_deep:
	position(text, i, &line, &column);
	return saola__err_set(e, SAOLA_LIMIT, "%s: nested deeper than %zu levels (the limit),"
	                      " at line %zu, column %zu", what, max_depth, line, column);
too_many:
	position(text, i, &line, &column);
	return saola__err_set(e, SAOLA_LIMIT, "%s: more than %zu JSON values (the limit), at"
	                      " line %zu, column %zu", what, lim->max_values, line, column);
}

int saola__json_decode(const unsigned char *text, size_t len, const saola__body_limits *lim,
                       const char *what, json_t **out, saola__err *e)
{
	char err[256];

	*out = NULL;
	if (saola__json_check(text, len, lim, what, e) != 0)
		return -1;
	if (!(*out = saola__json_parse((const char *)text, len, err, sizeof err)))
		return saola__err_set(e, SAOLA__E_BAD_JSON, "%s: %s", what, err);
	return 0;
}

int saola__body_decode(const char *enc, const unsigned char *body, size_t len,
                       const saola__body_limits *lim, json_t **out, size_t *textsize,
                       saola__err *e)
{
	unsigned char *inflated = NULL;
	const unsigned char *text = body;
	size_t textlen = len, bad, line, column;
	int rc;

	*out = NULL;
	if (textsize)
		*textsize = 0;
	if (len == 0)
		return saola__err_set(e, SAOLA__E_BAD_JSON,
		                      "body: empty (expected a sync request)");
	if (!saola__encoding_known(enc))
		return saola__err_set(e, SAOLA__E_BAD_ENCODING,
		                      "content-encoding %s is not supported (send xz, gzip,"
		                      " deflate or none)", enc);
	if (enc && *enc && strcasecmp(enc, "identity") != 0) {
		rc = saola__gunzip(body, len, lim->max_inflated, &inflated, &textlen);
		if (rc == SAOLA_LIMIT)
			return saola__err_set(e, SAOLA_LIMIT,
			                      "body: decompresses past the limit of %zu bytes",
			                      lim->max_inflated);
		if (rc == SAOLA_NOMEM)
			return saola__err_set(e, SAOLA_NOMEM, "body: out of memory");
		if (rc != SAOLA_OK)
			return saola__err_set(e, SAOLA__E_BAD_ENCODING,
			                      "body: the %s data does not decompress (truncated or"
			                      " corrupt)", enc);
		text = inflated;
	}
	if (textsize)
		*textsize = textlen;
	if (!saola__utf8_valid(text, textlen, &bad)) {
		position(text, bad, &line, &column);
		rc = saola__err_set(e, SAOLA__E_BAD_UTF8,
		                    "body: line %zu, column %zu: byte 0x%02x is not valid UTF-8",
		                    line, column, text[bad]);
	} else {
		rc = saola__json_decode(text, textlen, lim, "body", out, e);
	}
	free(inflated);
	return rc;
}

/* The most a bundle's header line takes (saola__bundle_write's). */
#define BUNDLE_LINE_MAX 512

int saola__bundle_check(const char *path, const saola__body_limits *lim, saola__err *e)
{
	FILE *f = fopen(path, "rb");
	unsigned char *gz = NULL, *text = NULL;
	size_t len = 0, textlen = 0, cap = 64 * 1024;
	char line[BUNDLE_LINE_MAX];
	int rc = 0;

	/* Whatever is not a readable bundle is left to saola__bundle_read,
	 * which says why in its words. */
	if (!f)
		return 0;
	if (!fgets(line, sizeof line, f) || !strchr(line, '\n'))
		goto out;
	while (!feof(f) && len <= lim->max_inflated) {
		unsigned char *grown;
		if (len == cap || !gz) {
			cap = gz ? cap * 2 : cap;
			if (!(grown = realloc(gz, cap)))
				goto out;
			gz = grown;
		}
		len += fread(gz + len, 1, cap - len, f);
		if (ferror(f))
			goto out;
	}
	if (len > lim->max_inflated ||
	    saola__gunzip(gz, len, lim->max_inflated, &text, &textlen) != SAOLA_OK)
		goto out;
	rc = saola__json_check(text, textlen, lim, path, e);
out:
	fclose(f);
	free(gz);
	free(text);
	return rc;
}

/* 1 when accept (may be NULL) takes coding: each comma-separated coding,
 * "gzip", "gzip;q=0.5"; q=0 refuses; "*" stands for any when star. */
static int accepts(const char *accept, const char *coding, int star)
{
	const char *p = accept;
	size_t len = strlen(coding);

	while (p && *p) {
		const char *end = strchr(p, ','), *semi;
		size_t n, k;

		while (*p == ' ' || *p == '\t')
			p++;
		n = end ? (size_t)(end - p) : strlen(p);
		semi = memchr(p, ';', n);
		k = *p == '*' && star ? 1 : strncasecmp(p, coding, len) == 0 ? len : 0;
		if (k > 0 && (p[k] == ';' || p[k] == ' ' || k == n)) {
			const char *q = semi ? strstr(semi, "q=") : NULL;
			if (!q || q >= p + n || strtod(q + 2, NULL) > 0.0)
				return 1;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

int saola__accepts_gzip(const char *accept)
{
	return accepts(accept, "gzip", 1);
}

int saola__accepts_xz(const char *accept)
{
	return accepts(accept, "xz", 0);
}
