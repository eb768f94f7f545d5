/* wire_cols.h: a batch of JSON objects as columns (docs/protocol.md,
 * "Version 2: changes and records as columns"). The values of one key
 * across the batch travel side by side, so that the compressor sees like
 * next to like: a village's 300 households compress to about 86 bytes
 * each with gzip (66 with xz), against 119 as an array of objects.
 * Lossless for any array of objects (the order of an object's keys
 * aside). Shared by the device and the server, each of which writes
 * (wire_cols.c) and reads (wire_cols_read.c). */
#ifndef SAOLA_WIRE_COLS_H
#define SAOLA_WIRE_COLS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* The most columns one level of the batch holds, and how deep objects are
 * split: a wider or deeper object travels whole, as its JSON. */
#define SAOLA__COLS_WIDTH 64
#define SAOLA__COLS_DEPTH 6

/* The encoder: objects are added one at a time (nothing of them is kept
 * but their values' text in their columns), then written once. */
typedef struct saola__cols saola__cols;

saola__cols *saola__cols_new(void);
void saola__cols_free(saola__cols *c);

/* Appends obj (a JSON object) as the batch's next row. SAOLA_OK,
 * SAOLA_NOMEM, or SAOLA_MISUSE for something other than an object or one
 * whose keys would take the batch past SAOLA__COLS_WIDTH * 4 columns at
 * the top (nothing added: the encoder goes on). After SAOLA_NOMEM the
 * encoder is unusable. */
int saola__cols_add(saola__cols *c, const json_t *obj);

/* The rows added so far. */
size_t saola__cols_rows(const saola__cols *c);

/* Writes the batch, {"n": rows, "c": {...}}, through put (which returns
 * nonzero to stop: the result). SAOLA_OK, SAOLA_NOMEM or put's result. */
typedef int (*saola__cols_put)(void *ctx, const char *text, size_t len);
int saola__cols_write(saola__cols *c, saola__cols_put put, void *ctx);

/* A growing text ({NULL, 0, 0} at first; free() p; NUL-terminated once
 * anything is in it), and a saola__cols_put that appends to it (ctx a
 * saola__text *): SAOLA_OK or SAOLA_NOMEM. */
typedef struct saola__text {
	char *p;
	size_t n, cap;
} saola__text;

int saola__text_put(void *text, const char *s, size_t n);

/* The batch v ({"n", "c"}) as a new JSON array of its objects, or NULL
 * with err naming where and what ("changes.c.d.o.members.a.c.name: \"p\"
 * has 12 marks, expected 40"): what names v. Values given verbatim are
 * shared with v (referenced, not copied). At most max_values values are
 * made (objects, arrays and strings rebuilt; a batch that would make more
 * is refused, *too_big set), so that a few bytes cannot ask for millions
 * of empty objects. */
json_t *saola__cols_decode(const json_t *v, const char *what, size_t max_values,
                           int *too_big, char *err, size_t errlen);

/* The batch v read one object at a time (wire_cols_read.c): every count
 * is checked, and the values it would make counted against max_values,
 * before anything is made (NULL with err and *too_big as for
 * saola__cols_decode); then saola__cols_next() makes the next object (a
 * new reference), NULL after the last or on failure. */
typedef struct saola__cols_reader saola__cols_reader;

saola__cols_reader *saola__cols_open(const json_t *v, const char *what, size_t max_values,
                                   int *too_big, char *err, size_t errlen);
/* The same over the batch's JSON text (which must outlive the reader):
 * nothing of it is parsed whole, and each verbatim value is parsed when
 * its object is made. */
saola__cols_reader *saola__cols_open_text(const char *text, size_t len, const char *what,
                                          size_t max_values, int *too_big, char *err,
                                          size_t errlen);
size_t saola__cols_count(const saola__cols_reader *it);
json_t *saola__cols_next(saola__cols_reader *it);
/* Why saola__cols_next() gave NULL before the last: a value's text that
 * is not JSON (only from text), or out of memory. */
const char *saola__cols_error(const saola__cols_reader *it);
void saola__cols_close(saola__cols_reader *it);

/* Within the codec: 1 when the n bytes at s are lowercase hex digits (at
 * least one); their value (n at most 16). */
int saola__cols_is_hex(const char *s, size_t n);
uint64_t saola__cols_hex(const char *s, size_t n);

#endif
