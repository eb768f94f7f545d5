/* body.h: request and response bodies: content encodings with limits,
 * strict UTF-8 and JSON, and compressing answers. */
#ifndef SAOLA_BODY_H
#define SAOLA_BODY_H

#include <stddef.h>
#include <jansson.h>

#include "server_int.h"

/* 1 when a Content-Encoding value (NULL: none) is one the server reads:
 * identity, gzip, x-gzip or deflate. */
int saola__encoding_known(const char *enc);

/* Decodes a request body sent with Content-Encoding enc: decompresses it
 * (never past limit bytes: a bomb costs at most limit), checks that it is
 * UTF-8 and parses it as strict JSON (no duplicate keys). 0 with *out a new
 * reference, or -1 with e: 400 bad_encoding, 413 too_large, 400 bad_utf8,
 * 400 bad_json. */
int saola__body_decode(const char *enc, const unsigned char *body, size_t len,
                       size_t limit, json_t **out, saola__err *e);

/* 1 when the n bytes at s are UTF-8 (no overlong forms, surrogates or code
 * points past U+10FFFF); else 0 and *bad is the offset of the first bad
 * byte. */
int saola__utf8_valid(const unsigned char *s, size_t n, size_t *bad);

/* 1 when an Accept-Encoding value (may be NULL) accepts gzip. */
int saola__accepts_gzip(const char *accept);

/* Serialises v compactly and, when gzip is set and it saves bytes,
 * compresses it; *gzipped says which. *out is malloc()ed (free()). */
int saola__body_encode(const json_t *v, int gzip, unsigned char **out, size_t *len,
                       int *gzipped);

#endif
