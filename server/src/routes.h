/* routes.h: every URL the server answers, in one table (routes.c): its
 * method, who may call it, the body it takes and the handler that answers
 * it. http.c looks a request up here once, checks what the route asks
 * (token, role, body limits) and calls the handler; handlers answer
 * through reply.h. */
#ifndef SAOLA_ROUTES_H
#define SAOLA_ROUTES_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <jansson.h>
#include <microhttpd.h>

#include "auth.h"
#include "pool.h"
#include "store.h"

/* How a route's path is matched against a request's. */
typedef enum saola__match {
	SAOLA__EXACT,         /* the path itself */
	SAOLA__PREFIX,        /* the path and anything after it */
	SAOLA__ID,            /* the path with its '*' standing for an id: 1 to 63
	                       * of [A-Za-z0-9_-] (saola__call.id) */
	SAOLA__FILES          /* one of the dashboard's embedded files; "/" is
	                       * /index.html (dashboard.h, saola__assets) */
} saola__match;

/* Who may call a route. */
typedef enum saola__access {
	SAOLA__OPEN,          /* anyone, no token */
	SAOLA__TOKEN,         /* a user's token: 401 without a valid one (auth.h),
	                       * 429 from an address that failed too often */
	SAOLA__OFFICER,       /* a token of role commune, district, province or
	                       * admin: 403 for a surveyor */
	SAOLA__LOCAL_OR_ADMIN /* the operator's: no token from a loopback address
	                       * (127.0.0.0/8, ::1), else an admin's token: 401
	                       * without a valid one, 403 for another role
	                       * (saola__local_or_admin()) */
} saola__access;

/* The body a route takes. A body over the server's limit (max_body) is
 * refused 413 too_large, at once when its Content-Length says so; one in
 * an unknown Content-Encoding 400 bad_encoding before it is read. */
typedef enum saola__body_kind {
	SAOLA__NO_BODY,       /* whatever is sent is read and dropped */
	SAOLA__SYNC_BODY,     /* JSON within the server's limits (max_inflated,
	                       * max_values, max_depth: saola/server.h) */
	SAOLA__OFFICER_BODY   /* JSON within an officer's action's limits
	                       * (SAOLA__OFFICER_MAX_*, server_int.h) */
} saola__body_kind;

/* What handlers need of the server. */
typedef struct saola__web {
	saola__pool *pool;
	pthread_mutex_t *write_lock;   /* one writer at a time (sync_handler.h) */
	char *schemas;                 /* the schemas folder (targets), or NULL */
	int sync_protocol;             /* the newest spoken: 1 or 2 */
	size_t max_values;             /* a sync body's limit of JSON values, which
	                                * its columns (protocol 2) may make too */
	struct saola__metrics *metrics; /* the counters GET /metrics gives
	                                * (metrics.h) */
} saola__web;

/* What a handler says of its call beside its answer, for the request log
 * and the metrics (http.c): never a value of a record. */
typedef struct saola__outcome {
	char device[65];              /* the device origin a sync body names, or "" */
	int synced;                   /* a sync ran to its answer: the counts below
	                               * hold (0 for a replayed batch) */
	int64_t received;             /* changes in a new batch */
	int64_t applied;              /* records those changes changed */
	int64_t conflicts;            /* values that lost a merge */
} saola__outcome;

/* One request, as its handler gets it: everything the route asks for is
 * checked by then. */
typedef struct saola__call {
	struct MHD_Connection *c;
	const char *url;
	const char *id;               /* what a SAOLA__ID route's '*' matched, or "" */
	const saola__user *user;      /* the caller; zeroed on a SAOLA__OPEN route */
	saola__store *store;          /* borrowed from the pool for the call on a route
	                               * with a token, else NULL */
	json_t *body;                 /* the body decoded (a JSON value) on a route
	                               * that takes one, else NULL; the handler may
	                               * keep a reference */
	const saola__web *web;
	saola__outcome *out;          /* the handler's report (zeroed before) */
} saola__call;

/* Answers the call through reply.h. */
typedef enum MHD_Result (*saola__handler)(const saola__call *call);

typedef struct saola__route {
	const char *method;           /* "GET" or "POST" */
	const char *path;
	saola__match match;
	saola__access access;
	saola__body_kind body;
	saola__handler handler;
} saola__route;

/* The table, in the order it is searched. */
extern const saola__route saola__routes[];
extern const size_t saola__n_routes;

/* The route of method on url, with the id a SAOLA__ID route matched into
 * id (idlen bytes; "" otherwise). NULL when none: then *allow is the
 * method of the route whose path matches (answer 405 with it in Allow),
 * or NULL for no such path (404). */
const saola__route *saola__route_find(const char *method, const char *url, char *id,
                                      size_t idlen, const char **allow);

/* 1 when url is the path of route r (id as in saola__route_find()). */
int saola__route_matches(const saola__route *r, const char *url, char *id, size_t idlen);

/* Whether a caller from addr (NULL: unknown), authenticated as u (NULL:
 * no token, or none looked up), may call a SAOLA__LOCAL_OR_ADMIN route: 0,
 * or -1 with e: SAOLA__E_UNAUTHORIZED (401) for no user from an address
 * that is not loopback, SAOLA_AUTH (403) for a user who is not an admin. */
int saola__local_or_admin(const struct sockaddr *addr, const saola__user *u, saola__err *e);

/* 1 when addr is a loopback address: 127.0.0.0/8, ::1, or 127.0.0.0/8
 * mapped into IPv6 (::ffff:127.x.y.z, a dual-stack listener's). */
int saola__is_loopback(const struct sockaddr *addr);

/* The handlers of the table (device_http.c, dashboard.c, officer_http.c,
 * metrics.c). */
enum MHD_Result saola__serve_healthz(const saola__call *call);
enum MHD_Result saola__serve_forms(const saola__call *call);
enum MHD_Result saola__serve_sync(const saola__call *call);
enum MHD_Result saola__serve_file(const saola__call *call);
enum MHD_Result saola__serve_reports(const saola__call *call);
enum MHD_Result saola__serve_households(const saola__call *call);
enum MHD_Result saola__serve_lists(const saola__call *call);
enum MHD_Result saola__serve_conflicts(const saola__call *call);
enum MHD_Result saola__serve_devices(const saola__call *call);
enum MHD_Result saola__serve_resolve(const saola__call *call);
enum MHD_Result saola__serve_review(const saola__call *call);
enum MHD_Result saola__serve_metrics(const saola__call *call);

#endif
