/* body.h: request bodies: content encodings with limits, strict UTF-8 and
 * JSON, and what a client accepts (answers are written by reply.h). */
#ifndef SAOLA_BODY_H
#define SAOLA_BODY_H

#include <stddef.h>
#include <jansson.h>

#include "server_int.h"

/* 1 when a Content-Encoding value (NULL: none) is one the server reads:
 * identity, gzip, x-gzip, deflate or xz. */
int saola__encoding_known(const char *enc);

/* What one body may cost: its decompressed bytes, and the JSON values
 * (object keys not counted) and levels of nesting of its text, checked
 * before jansson builds a tree, so that a tree's memory is bounded by
 * design (an empty object, the dearest value, costs jansson ~240 bytes). */
typedef struct saola__body_limits {
	size_t max_inflated;
	size_t max_values;
	size_t max_depth;        /* at most SAOLA__MAX_DEPTH_MAX */
} saola__body_limits;

/* The server's defaults (server_int.h). */
saola__body_limits saola__body_limits_default(void);

/* Decodes a request body sent with Content-Encoding enc: decompresses it
 * (never past lim->max_inflated bytes: a bomb costs at most that), checks
 * that it is UTF-8 and parses it with saola__json_decode(). 0 with *out a
 * new reference, or -1 with e: 400 bad_encoding, 413 too_large, 400
 * bad_utf8, 400 bad_json. *textlen (textlen may be NULL) gets the size of
 * the text decompressed, or 0. */
int saola__body_decode(const char *enc, const unsigned char *body, size_t len,
                       const saola__body_limits *lim, json_t **out, size_t *textlen,
                       saola__err *e);

/* Checks that the JSON text has at most lim->max_values values and
 * lim->max_depth levels (counted outside strings, without building
 * anything): 0, or -1 with e 413 too_large, whose message names the limit
 * and where it was passed ("what: more than 600000 JSON values (the limit),
 * at line 1, column 1800007"). what names the text ("body"). */
int saola__json_check(const unsigned char *text, size_t len, const saola__body_limits *lim,
                      const char *what, saola__err *e);

/* saola__json_check(), then strict JSON (no duplicate keys): 0 with *out
 * a new reference, or -1 with e (413 too_large, 400 bad_json). */
int saola__json_decode(const unsigned char *text, size_t len, const saola__body_limits *lim,
                       const char *what, json_t **out, saola__err *e);

/* Checks a bundle file's JSON against the limits of a bundle import
 * (lim->max_inflated as the bundle's limit) before saola__bundle_read()
 * builds its tree: 0, or -1 with e 413 too_large. A file that is not a
 * bundle, or does not decompress, passes: saola__bundle_read() says why. */
int saola__bundle_check(const char *path, const saola__body_limits *lim, saola__err *e);

/* 1 when the n bytes at s are UTF-8 (no overlong forms, surrogates or code
 * points past U+10FFFF); else 0 and *bad is the offset of the first bad
 * byte. */
int saola__utf8_valid(const unsigned char *s, size_t n, size_t *bad);

/* 1 when an Accept-Encoding value (may be NULL) accepts gzip. */
int saola__accepts_gzip(const char *accept);

/* 1 when it names xz (a "*" does not: only saola's clients read it). */
int saola__accepts_xz(const char *accept);

#endif
