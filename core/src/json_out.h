/* json_out.h: a fast compact JSON writer. */
#ifndef SAOLA_JSON_OUT_H
#define SAOLA_JSON_OUT_H

#include <stddef.h>
#include <jansson.h>

/* Compact JSON text of v, malloc()ed (free()), NUL-terminated; *len (may be
 * NULL) gets its length. NULL when out of memory. */
char *saola__json_dump(const json_t *v, size_t *len);

#endif
