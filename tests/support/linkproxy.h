/* linkproxy.h: a TCP proxy that shapes a link, for tests and benchmarks:
 * it listens on 127.0.0.1 (a free port), forwards to a target port, and
 * holds each direction to a bandwidth cap and a one-way latency, like a
 * 2G link (64 kbit/s, 300 ms one way). */
#ifndef SAOLA_LINKPROXY_H
#define SAOLA_LINKPROXY_H

/* One direction of the link. A byte arriving at the proxy at time a is
 * delivered at max(a, when the byte before it finished serialising) + its
 * serialisation time (8 / bits_per_s) + latency; so a request and its
 * answer cost two latencies plus both transfer times. A new connection
 * costs a round trip more, TCP's handshake: the client's first byte
 * leaves no sooner than up's latency plus down's after the proxy accepted
 * it (the kernel completes the real handshake at once on loopback). */
typedef struct tu_link {
	long long bits_per_s;     /* the cap; 0: none */
	long latency_ms;          /* one way; 0: none */
} tu_link;

/* The bytes the proxy holds per direction of a connection, read but not
 * yet delivered (queued or in flight): when full it stops reading, and the
 * sender's socket fills. It bounds the bandwidth-delay product: 256 KiB
 * in 300 ms is 7 Mbit/s. */
#define TU_LINK_BUFFER (256 * 1024)

/* What the proxy carried: bytes delivered each way (headers and all, as on
 * the wire), connections accepted. */
typedef struct tu_link_counts {
	long long up, down;       /* client to server, server to client */
	int connections;
} tu_link_counts;

typedef struct tu_linkproxy tu_linkproxy;

/* Starts the proxy in a thread of its own, up shaping what the client
 * sends and down what the server answers; NULL on failure. */
tu_linkproxy *tu_linkproxy_start(int target_port, tu_link up, tu_link down);

/* The port the proxy listens on. */
int tu_linkproxy_port(const tu_linkproxy *p);

/* What the proxy has carried so far, into *c. */
void tu_linkproxy_counts(tu_linkproxy *p, tu_link_counts *c);

/* Closes every open connection, both sides, dropping what it held (the
 * link cut); new connections are still accepted. Returns once done. */
void tu_linkproxy_cut(tu_linkproxy *p);

/* Stops the thread, closes every socket and frees p. NULL is a no-op. */
void tu_linkproxy_stop(tu_linkproxy *p);

/* The link's model, on its own (the proxy schedules every byte with it):
 * n bytes arriving at arrive_ns on link l, whose previous byte finished
 * serialising at *busy_ns; sets *busy_ns to when the last of them finishes
 * and returns when it is delivered (ns, the clock of arrive_ns). */
long long tu_link_schedule(const tu_link *l, long long *busy_ns, long long arrive_ns, long n);

#endif
