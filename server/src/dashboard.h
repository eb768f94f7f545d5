/* dashboard.h: the officers' side of the HTTP server: the dashboard's
 * files at GET / (embedded in the binary), the reports under /v1/reports/,
 * the households CSV, the official lists, and the conflicts and devices of
 * the caller's area. Their routes are in routes.c. */
#ifndef SAOLA_DASHBOARD_H
#define SAOLA_DASHBOARD_H

#include <stddef.h>

#include <microhttpd.h>
#include <jansson.h>

#include "reply.h"
#include "routes.h"
#include "server_int.h"
#include "store.h"

/* An embedded file of server/web/ (web_assets.c, made at build time). */
typedef struct saola__asset {
	const char *path;              /* "/app.js" */
	const char *type;              /* Content-Type */
	const unsigned char *data;
	size_t len;
} saola__asset;

extern const saola__asset saola__assets[];
extern const size_t saola__n_assets;

/* 1 when url is one of the dashboard's files ("/" is /index.html). */
int saola__web_asset(const char *url);

/* The handlers (report_http.c, dashboard_api.c), called through the route
 * table's (saola__serve_reports() ...) with the caller authenticated as an
 * officer and a store borrowed from the pool. */
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

/* A query argument, or NULL. */
const char *saola__web_arg(struct MHD_Connection *c, const char *name);

#endif
