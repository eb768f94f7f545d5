/* metrics.h: the server's figures for its operator: counters of requests
 * and syncs kept in memory while it runs, and GET /metrics, which gives
 * them with gauges read from the store at each scrape, in Prometheus's
 * text format 0.0.4 (docs/server.md, "Monitoring"). Label sets are bounded
 * by design: a route is its pattern in the table (routes.c), a method one
 * of three, a status one of a fixed list; nothing a client sends becomes a
 * label, so that no client can make the server's memory grow. */
#ifndef SAOLA_METRICS_H
#define SAOLA_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "routes.h"
#include "store.h"

/* The Content-Type of the exposition. */
#define SAOLA__METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct saola__metrics saola__metrics;

/* New counters, all zero, for the route table (saola__routes); started is
 * when the server started (saola_start_time_seconds). NULL when out of
 * memory. Free with saola__metrics_free(). */
saola__metrics *saola__metrics_new(time_t started);

/* NULL is a no-op. */
void saola__metrics_free(saola__metrics *m);

/* The serving certificate's notAfter (saola__tls_cert_expiry()), given
 * once at start: its gauge is written only when set. */
void saola__metrics_set_cert_expiry(saola__metrics *m, time_t expires);

/* Counts one request answered: its route (NULL: none matched), its
 * method as sent and the status answered (0: it ended with none).
 * Counted when the answer is queued, so that a client that has its answer
 * finds it counted in its next scrape. Thread-safe. */
void saola__metrics_request(saola__metrics *m, const saola__route *route, const char *method,
                            int status);

/* Adds body bytes received (as sent) and sent (as sent). Thread-safe. */
void saola__metrics_bytes(saola__metrics *m, uint64_t bytes_in, uint64_t bytes_out);

/* Counts one POST /v1/sync handled (whatever its answer) in micros
 * microseconds, with what its handler said of it (o->synced: changes
 * applied and conflicts counted). Thread-safe. */
void saola__metrics_sync(saola__metrics *m, int64_t micros, const saola__outcome *o);

/* The exposition: the counters, then the gauges read from s (may be NULL:
 * saola_store_up 0 and none of the store's gauges) in a read transaction
 * of a few counts on indexed columns. A new string (free()) of *len
 * bytes, or NULL when out of memory. */
char *saola__metrics_text(saola__metrics *m, saola__store *s, size_t *len);

/* The status codes counted each under its own label (any other is
 * "other"; 0, nothing answered, is "none"): the slot of status. For
 * tests. */
size_t saola__metrics_status_slot(int status);

#endif
