/* body.c: request and response bodies: decompression with a limit, strict
 * UTF-8 and JSON, and compressed answers. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "body.h"
#include "wire.h"

int saola__encoding_known(const char *enc)
{
	return !enc || !*enc || strcasecmp(enc, "identity") == 0 ||
	       strcasecmp(enc, "gzip") == 0 || strcasecmp(enc, "x-gzip") == 0 ||
	       strcasecmp(enc, "deflate") == 0;
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

int saola__body_decode(const char *enc, const unsigned char *body, size_t len,
                       size_t limit, json_t **out, saola__err *e)
{
	unsigned char *inflated = NULL;
	const unsigned char *text = body;
	size_t textlen = len, bad, line, column;
	char err[256];
	int rc;

	*out = NULL;
	if (len == 0)
		return saola__fail(e, 400, "bad_json", "body: empty (expected a sync request)");
	if (!saola__encoding_known(enc))
		return saola__fail(e, 400, "bad_encoding",
		                   "content-encoding %s is not supported (send gzip, deflate or"
		                   " none)", enc);
	if (enc && *enc && strcasecmp(enc, "identity") != 0) {
		rc = saola__gunzip(body, len, limit, &inflated, &textlen);
		if (rc == SAOLA_LIMIT)
			return saola__fail(e, 413, "too_large",
			                   "body: decompresses past the limit of %zu bytes", limit);
		if (rc == SAOLA_NOMEM)
			return saola__fail(e, 500, "internal", "body: out of memory");
		if (rc != SAOLA_OK)
			return saola__fail(e, 400, "bad_encoding",
			                   "body: the %s data does not decompress (truncated or"
			                   " corrupt)", enc);
		text = inflated;
	}
	if (!saola__utf8_valid(text, textlen, &bad)) {
		position(text, bad, &line, &column);
		free(inflated);
		return saola__fail(e, 400, "bad_utf8",
		                   "body: line %zu, column %zu: byte 0x%02x is not valid UTF-8",
		                   line, column, text[bad]);
	}
	*out = saola__json_parse((const char *)text, textlen, err, sizeof err);
	free(inflated);
	if (!*out)
		return saola__fail(e, 400, "bad_json", "body: %s", err);
	return 0;
}

int saola__accepts_gzip(const char *accept)
{
	const char *p = accept;

	/* Each comma-separated coding: "gzip", "gzip;q=0.5"; q=0 refuses. */
	while (p && *p) {
		const char *end = strchr(p, ','), *semi;
		size_t n;

		while (*p == ' ' || *p == '\t')
			p++;
		n = end ? (size_t)(end - p) : strlen(p);
		semi = memchr(p, ';', n);
		if ((strncasecmp(p, "gzip", 4) == 0 || strncasecmp(p, "*", 1) == 0) &&
		    (p[*p == '*' ? 1 : 4] == ';' || p[*p == '*' ? 1 : 4] == ' ' ||
		     p + (*p == '*' ? 1 : 4) == p + n)) {
			const char *q = semi ? strstr(semi, "q=") : NULL;
			if (!q || q >= p + n || strtod(q + 2, NULL) > 0.0)
				return 1;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

/* The header line "Content-Encoding: gzip" costs about this much. */
#define GZIP_HEADER_COST 24

int saola__body_encode(const json_t *v, int gzip, unsigned char **out, size_t *len,
                       int *gzipped)
{
	char *text = json_dumps(v, JSON_COMPACT);
	unsigned char *gz = NULL;
	size_t n, gzlen = 0;

	*out = NULL;
	*len = 0;
	*gzipped = 0;
	if (!text)
		return SAOLA_NOMEM;
	n = strlen(text);
	if (gzip && n > 64 && saola__gzip(text, n, &gz, &gzlen) == SAOLA_OK &&
	    gzlen + GZIP_HEADER_COST < n) {
		free(text);
		*out = gz, *len = gzlen, *gzipped = 1;
		return SAOLA_OK;
	}
	free(gz);
	*out = (unsigned char *)text, *len = n;
	return SAOLA_OK;
}
