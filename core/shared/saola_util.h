/* saola_util.h: core's small helpers that the server and sync share beyond
 * the public API (saola/core.h): the OS's random source, identifiers, the
 * time, and the sizes of core's messages and origins. No SQLite here.
 * Internal to the project (not installed). */
#ifndef SAOLA_UTIL_H
#define SAOLA_UTIL_H

#include <stddef.h>

#define SAOLA__ERRMSG_MAX 512
#define SAOLA__ORIGIN_LEN 16

/* The OS's random source: fills buf; 0 on success. */
int saola__random(void *buf, size_t len);
/* A version 4 UUID, lowercase, into out[37]. */
int saola__uuid(char out[37]);
/* n random hex digits into out (n+1 bytes). */
int saola__random_hex(char *out, size_t n);
/* The current UTC time as "YYYY-MM-DDTHH:MM:SSZ" into out[21]. */
void saola__now(char out[21]);

#endif
