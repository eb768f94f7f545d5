/* framing.h: refusing requests whose headers leave the body's end
 * ambiguous. */
#ifndef SAOLA_FRAMING_H
#define SAOLA_FRAMING_H

#include <microhttpd.h>

#include "server_int.h"

/* 0 when the request's headers frame its body one way only, else -1 with e
 * (400 bad_request): Content-Length given twice with different values,
 * Content-Length with Transfer-Encoding, or a Transfer-Encoding other than
 * chunked. Every header line is counted (libmicrohttpd reads the first
 * Content-Length and prefers Transfer-Encoding; a proxy in front might
 * read them otherwise). The caller answers e with "Connection: close"
 * (saola__reply_refusal()): what follows cannot be read as a request. */
int saola__framing_check(struct MHD_Connection *c, saola__err *e);

#endif
