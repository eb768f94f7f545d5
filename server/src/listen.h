/* listen.h: the HTTP server's listening socket, opened by the server itself
 * (not by libmicrohttpd) so that an address in use is refused with its
 * reason, and the descriptor limit that the connection limit needs. */
#ifndef SAOLA_LISTEN_H
#define SAOLA_LISTEN_H

#include "server_int.h"

/* Binds and listens on "HOST:PORT" (HOST may be "[v6]"; port 0 picks a
 * free one) without SO_REUSEPORT: a port that another process listens on
 * is refused, never shared. 0 with *fd, *port and *ipv6, or -1 with e
 * saying why: SAOLA_INVALID for an address that is not HOST:PORT, else
 * SAOLA_NETWORK ("listen 127.0.0.1:8080: address already in use: ..."). */
int saola__listen_open(const char *listen, int *fd, int *port, int *ipv6, saola__err *e);

/* Raises the soft limit of open descriptors to the hard one, so that the
 * connection limit can be reached; returns the soft limit now (-1: no
 * limit known). */
long saola__fd_limit_raise(void);

#endif
