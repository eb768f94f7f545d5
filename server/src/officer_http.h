/* officer_http.h: the officers' actions over HTTP: POST
 * /v1/conflicts/ID/resolve and POST /v1/records/ID/review. */
#ifndef SAOLA_OFFICER_HTTP_H
#define SAOLA_OFFICER_HTTP_H

#include <pthread.h>
#include <stddef.h>

#include <microhttpd.h>

#include "body.h"
#include "pool.h"
#include "store.h"

/* 1 when url is one of these routes (POST only). */
int saola__officer_route(const char *url);

/* Answers such a request from the authenticated user u, its body read
 * (len bytes, sent with Content-Encoding enc, decoded within lim: see
 * body.h). Writes hold write_lock. */
enum MHD_Result saola__officer_serve(saola__pool *pool, pthread_mutex_t *write_lock,
                                     struct MHD_Connection *c, const char *url,
                                     const saola__user *u, const unsigned char *body,
                                     size_t len, const saola__body_limits *lim);

#endif
