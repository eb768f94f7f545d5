/* http_int.h: what the HTTP server's two files share: the server's handle
 * (struct saola_server) and the callbacks of http.c (the requests) that
 * http_start.c (the daemon's start and stop) starts libmicrohttpd with; no
 * other file includes it. */
#ifndef SAOLA_HTTP_INT_H
#define SAOLA_HTTP_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "saola/server.h"
#include "body.h"
#include "conns.h"
#include "metrics.h"
#include "pool.h"
#include "ratelimit.h"
#include "routes.h"
#include "server_int.h"
#include "tls.h"
#include "upstream.h"

/* The server (saola/server.h's handle): made by saola_server_start()
 * (http_start.c), shared by every request's calls (http.c). */
struct saola_server {
	struct MHD_Daemon *daemon;
	saola__pool *pool;
	pthread_mutex_t write_lock;   /* one writer at a time (sync_handler.h) */
	pthread_mutex_t lock;         /* guards active */
	pthread_cond_t idle;
	int active;                   /* requests begun and not completed */
	int locks_made;
	size_t max_body;
	saola__body_limits limits;    /* of a request body's JSON (body.h) */
	saola__body_limits officer_limits; /* of an officer's action's */
	saola__conns *conns;          /* deadlines, requests per user (conns.h) */
	int user_requests;            /* one user's requests at once */
	int port;
	saola__web web;               /* what handlers share (routes.h) */
	saola__tls tls;               /* HTTPS, when a certificate is given (tls.h) */
	saola__upstream_loop *upstream; /* a district's syncs up (upstream.h) */
	saola__rl *limiter;           /* failed authentications by address, or
	                               * NULL: no limit (ratelimit.h) */
	int64_t (*clock_ms)(void);    /* the limiter's clock: monotonic_ms()
	                               * (http_start.c) */
	saola__metrics *metrics;      /* what GET /metrics gives (metrics.h) */
	int log_format;               /* the request log's SAOLA_LOG_* */
	int log_fd;                   /* ... and where it goes */
	char errmsg[SAOLA__ERR_MAX];
};

/* MHD_AccessHandlerCallback, with the server as its closure: each call of
 * a request, from its headers to its answer (http.c). */
enum MHD_Result saola__on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size,
                                  void **req_cls);

/* MHD_OPTION_NOTIFY_COMPLETED's callback, with the server as its closure:
 * the request is over; logs it and frees its state (http.c). */
void saola__on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe);

#endif
