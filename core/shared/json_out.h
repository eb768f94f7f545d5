/* json_out.h: a fast compact JSON writer. */
#ifndef SAOLA_JSON_OUT_H
#define SAOLA_JSON_OUT_H

#include <stddef.h>
#include <jansson.h>

/* Compact JSON text of v, malloc()ed (free()), NUL-terminated; *len (may be
 * NULL) gets its length. NULL when out of memory. */
char *saola__json_dump(const json_t *v, size_t *len);

/* The same, indented by indent spaces a level as json_dumps with
 * JSON_INDENT(indent) would give (indent 0: compact). */
char *saola__json_dump_indent(const json_t *v, int indent, size_t *len);

#define SAOLA__JSON_REAL_MAX 40

/* The shortest text of d that reads back to d (%.15g, else %.16g, else
 * %.17g), with ".0" added when it would read back as an integer: 98.6 is
 * "98.6", 0.1 + 0.2 is "0.30000000000000004", 1e300 "1e+300", 2.0 "2.0".
 * Returns the length. d must be finite. */
size_t saola__json_real_text(double d, char out[SAOLA__JSON_REAL_MAX]);

#endif
