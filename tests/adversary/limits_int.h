/* limits_int.h: what the files of test_adversary's limits group share. */
#ifndef SAOLA_LIMITS_INT_H
#define SAOLA_LIMITS_INT_H

#include <stddef.h>

#define MIB ((size_t)1 << 20)

/* A sync request, push and pull nothing, with n copies of item (a JSON
 * value) in an array under the unknown key "junk", gzip-compressed in a
 * stream (the text is never all in memory). free() the result. */
unsigned char *limits_junk_body(size_t n, const char *item, size_t *len);

/* The memory test (limits_memory.c). */
void limits_test_memory_bounded(void **state);

#endif
