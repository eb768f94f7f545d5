/* conns.h: the HTTP server's connections, followed from libmicrohttpd's
 * notifications: deadlines for a request's headers and body that a slow
 * trickle cannot extend (MHD's own timeout is reset by every byte), kept by
 * a reaper thread that shuts late connections down; and how many requests
 * each user has in progress. Thread-safe. */
#ifndef SAOLA_CONNS_H
#define SAOLA_CONNS_H

#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

typedef struct saola__conns saola__conns;
typedef struct saola__conn saola__conn;   /* one connection: MHD's socket context */

/* Connections whose headers must be in within header_s seconds of the
 * connection (or of the previous answer on it), and whose body within
 * body_s seconds plus one for each SAOLA__BODY_MIN_RATE bytes received;
 * at most user_requests requests of one user at once. Starts the reaper
 * thread. NULL when out of memory or threads. Free with saola__conns_free()
 * once the daemon is stopped (NULL is a no-op). */
saola__conns *saola__conns_new(int header_s, int body_s, int user_requests);
void saola__conns_free(saola__conns *cs);

/* MHD_OPTION_NOTIFY_CONNECTION's callback, with cs as its closure: follows
 * a connection from its start to its close. MHD calls it with CLOSED before
 * it closes the socket, and the reaper shuts sockets down under the lock
 * that this takes: a descriptor is never reused under the reaper. */
void saola__conns_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                         enum MHD_ConnectionNotificationCode code);

/* The connection of c, or NULL when it is not followed. */
saola__conn *saola__conns_of(struct MHD_Connection *c);

/* A request's stages on its connection (conn may be NULL): its headers are
 * in (the body's deadline starts), n more bytes of its body came, the body
 * is all in (no deadline while it is served), it is answered (the next
 * request's headers' deadline starts). */
void saola__conn_headers_in(saola__conns *cs, saola__conn *conn);
void saola__conn_received(saola__conns *cs, saola__conn *conn, size_t n);
void saola__conn_busy(saola__conns *cs, saola__conn *conn);
void saola__conn_done(saola__conns *cs, saola__conn *conn);

/* Counts a request of user being served (its body in): 0, or -1 when the
 * user has user_requests being served already (the request is not
 * counted). Each 0 is matched by one saola__conns_user_leave(). Requests
 * still receiving their bodies are not counted here: a client cut off
 * mid-body may go unnoticed until the body's deadline, and would hold its
 * user's count meanwhile; their cost is their buffers, counted below. */
int saola__conns_user_enter(saola__conns *cs, int64_t user);
void saola__conns_user_leave(saola__conns *cs, int64_t user);

/* Counts n more bytes of user's bodies being received: 0; -1 when that
 * would take the user past budget bytes, -2 when it would take every
 * user's together past total (nothing counted then). Given back with
 * saola__conns_user_unbytes(). */
int saola__conns_user_bytes(saola__conns *cs, int64_t user, size_t n, size_t budget,
                            size_t total);
void saola__conns_user_unbytes(saola__conns *cs, int64_t user, size_t n);

/* Every user's body bytes counted now. */
size_t saola__conns_bytes(saola__conns *cs);

#endif
