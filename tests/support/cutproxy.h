/* cutproxy.h: a TCP proxy for tests that cuts connections: it listens on
 * 127.0.0.1 (a free port), forwards to a target port, and closes both sides
 * once a connection has carried a chosen number of request or response
 * bytes. */
#ifndef SAOLA_CUTPROXY_H
#define SAOLA_CUTPROXY_H

typedef struct tu_cutproxy tu_cutproxy;

/* Chooses the cuts of connection number conn (0, 1, ... in accept order):
 * after *req_cut bytes from the client, or *resp_cut bytes from the server,
 * both sides are closed; -1 (the default) forwards everything.
 * *resp_cut = TU_CUT_STALL forwards the request but none of the answer,
 * holding the connection open until the client gives up. */
#define TU_CUT_STALL (-2L)
typedef void (*tu_cut_fn)(void *ctx, int conn, long *req_cut, long *resp_cut);

/* Starts the proxy in a thread of its own (fn may be NULL: no cuts but
 * the armed ones); NULL on failure. */
tu_cutproxy *tu_cutproxy_start(int target_port, tu_cut_fn fn, void *ctx);

/* Cuts the next connection the proxy accepts as tu_cut_fn's cuts say
 * (over what fn chose), once. */
void tu_cutproxy_arm(tu_cutproxy *p, long req_cut, long resp_cut);

/* The port the proxy listens on. */
int tu_cutproxy_port(const tu_cutproxy *p);

/* Connections accepted so far, and how many of them the proxy cut. */
int tu_cutproxy_connections(tu_cutproxy *p);
int tu_cutproxy_cuts(tu_cutproxy *p);

/* Points the proxy at another target port (a restarted server). */
void tu_cutproxy_retarget(tu_cutproxy *p, int target_port);

/* Stops the thread, closes every socket and frees p. NULL is a no-op. */
void tu_cutproxy_stop(tu_cutproxy *p);

#endif
