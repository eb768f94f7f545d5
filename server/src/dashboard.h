/* dashboard.h: the officers' side of the HTTP server: the dashboard's
 * files at GET / (embedded in the binary), the reports under /v1/reports/,
 * the households CSV, and the conflicts and devices of the caller's area. */
#ifndef SAOLA_DASHBOARD_H
#define SAOLA_DASHBOARD_H

#include <pthread.h>
#include <stddef.h>

#include <microhttpd.h>
#include <jansson.h>

#include "pool.h"
#include "server_int.h"
#include "store.h"

/* What the handlers need of the server. */
typedef struct saola__web {
	saola__pool *pool;
	pthread_mutex_t *write_lock;   /* held while the facts are refreshed */
	char *schemas;                 /* the schemas folder (targets), or NULL */
} saola__web;

/* An embedded file of server/web/ (web_assets.c, made at build time). */
typedef struct saola__asset {
	const char *path;              /* "/app.js" */
	const char *type;              /* Content-Type */
	const unsigned char *data;
	size_t len;
} saola__asset;

extern const saola__asset saola__assets[];
extern const size_t saola__n_assets;

/* 1 when url is one of these routes (GET only). */
int saola__web_route(const char *url);

/* 1 when url is one of the dashboard's files, which need no token (the
 * other routes do). */
int saola__web_asset(const char *url);

/* Answers a request for a route of saola__web_route(), from user u (the
 * caller authenticated it; ignored for a file). */
enum MHD_Result saola__web_serve(const saola__web *w, struct MHD_Connection *c,
                                 const char *url, const saola__user *u);

/* The handlers (report_http.c, dashboard_api.c), called with the caller
 * authenticated and a store borrowed from the pool. */
enum MHD_Result saola__web_reports(const saola__web *w, struct MHD_Connection *c,
                                   const char *url, saola__store *s, const saola__user *u);
/* GET /v1/lists/<commune>[.csv]: the commune's official lists (lists.h),
 * for a commune inside the caller's area; names by privacy.h's rule. */
enum MHD_Result saola__web_lists(const saola__web *w, struct MHD_Connection *c,
                                 const char *url, saola__store *s, const saola__user *u);
enum MHD_Result saola__web_households(const saola__web *w, struct MHD_Connection *c,
                                      saola__store *s, const saola__user *u);
enum MHD_Result saola__web_conflicts(struct MHD_Connection *c, saola__store *s,
                                     const saola__user *u);
enum MHD_Result saola__web_devices(struct MHD_Connection *c, saola__store *s,
                                   const saola__user *u);

/* Answers: JSON (REAL_PRECISION 12, gzip when the client takes it), any
 * body (copied), an error as the protocol's {"error": {code, message}}. */
enum MHD_Result saola__web_json(struct MHD_Connection *c, int status, const json_t *v);
enum MHD_Result saola__web_body(struct MHD_Connection *c, int status, const char *type,
                                const void *body, size_t len, const char *filename);
enum MHD_Result saola__web_error(struct MHD_Connection *c, const saola__err *e);

/* A query argument, or NULL. */
const char *saola__web_arg(struct MHD_Connection *c, const char *name);

#endif
