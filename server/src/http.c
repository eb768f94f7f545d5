/* http.c: the HTTP server's requests (GNU libmicrohttpd, a pool of worker
 * threads; the daemon is started and stopped by http_start.c): a request
 * looked up once in the route table (routes.c), honest headers,
 * authentication before the body is read, body limits, the handler called
 * with what its route asks checked, each request counted (metrics.h) and
 * logged (reqlog.h) once it is over. Answers go out through reply.h. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "saola/server.h"
#include "auth.h"
#include "body.h"
#include "conns.h"
#include "framing.h"
#include "http_int.h"
#include "metrics.h"
#include "officer.h"
#include "pool.h"
#include "ratelimit.h"
#include "reply.h"
#include "reqlog.h"
#include "routes.h"

#define DRAIN_FACTOR 4   /* a body past the limit is read and dropped up to
                          * this many times the limit, then cut */
#define TRIM_AFTER ((size_t)1 << 20) /* a body this big (decompressed) leaves
                          * a tree of megabytes freed: give the memory back */
#define BUSY_RETRY_S 2   /* Retry-After of a user with too many requests */
#define USER_BODY_FACTOR 2 /* one user's bodies being received: at most this
                          * many times the body limit */
#define ALL_BODIES_FACTOR 32 /* every user's bodies being received: at most
                              * this many times the body limit (256 MiB by
                              * default), whatever the number of users */

/* One request's state, from its first call to its completion. */
typedef struct request {
	const saola__route *route; /* its route (routes.c), or NULL */
	char id[64];            /* what a SAOLA__ID route's '*' matched */
	saola__user user;
	saola__err err;         /* decided before the body was read */
	int failed;             /* answer err once the body is in */
	const char *allow;      /* the Allow header of a 405 */
	saola__conn *conn;      /* its connection (conns.h), or NULL */
	size_t text;            /* the body's size decompressed */
	int authed;             /* user authenticated */
	int counted;            /* user counted in saola__conns_user_enter() */
	size_t reserved;        /* body bytes counted in saola__conns_user_bytes() */
	int too_large;          /* the body grew past the limit */
	unsigned char *body;
	size_t len, cap, drained;
	int begun;              /* its first call is made */
	/* For the log and the metrics (reqlog.h, metrics.h). */
	struct timespec at;     /* when it came */
	int64_t began_us;       /* ... on the monotonic clock */
	char addr[INET6_ADDRSTRLEN]; /* the client's address, or "" */
	int loopback;           /* ... is a loopback address */
	char method[16];        /* as sent (cut) */
	char path[SAOLA__REQLOG_PATH_MAX + 1]; /* the URL's path (cut) */
	uint64_t in;            /* body bytes received, as sent */
	saola__reply_note sent; /* what was answered (reply.h) */
	int metered;            /* counted in the metrics, with... */
	uint64_t in_metered;    /* ... this many body bytes */
	saola__outcome outcome; /* what its handler said of it (routes.h) */
} request;

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* 1 when the request came through a proxy that says so (Forwarded,
 * X-Forwarded-For, X-Real-IP): a proxy on this machine connects from
 * loopback for callers that are elsewhere. */
static int forwarded(struct MHD_Connection *c)
{
	return header(c, "Forwarded") || header(c, "X-Forwarded-For") ||
	       header(c, "X-Real-IP");
}

/* The same clock in microseconds. */
static int64_t monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The address a request comes from, or NULL. */
static const struct sockaddr *client_addr(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	return ci ? ci->client_addr : NULL;
}

/* addr as text into text; "" when unknown. */
static void addr_text(const struct sockaddr *addr, char text[INET6_ADDRSTRLEN])
{
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;

	text[0] = '\0';
	if (addr && addr->sa_family == AF_INET) {
		memcpy(&v4, addr, sizeof v4);
		inet_ntop(AF_INET, &v4.sin_addr, text, INET6_ADDRSTRLEN);
	} else if (addr && addr->sa_family == AF_INET6) {
		memcpy(&v6, addr, sizeof v6);
		inet_ntop(AF_INET6, &v6.sin6_addr, text, INET6_ADDRSTRLEN);
	}
}

/* Says on stderr that addr is blocked, for the operator (and fail2ban). */
static void log_block(const struct sockaddr *addr)
{
	char text[INET6_ADDRSTRLEN];

	addr_text(addr, text);
	fprintf(stderr, "saola-server: %s: too many failed authentications: its requests with"
	        " a token are refused for a while (429)\n", text[0] ? text : "?");
}

/* Authenticates the request with a pooled connection; 0 or -1 with e. The
 * token is looked up first: a valid one is never refused for what others
 * did from its address. A token refused (401) counts as a failure of its
 * address, and from an address blocked for its failures it is answered 429
 * instead. A request without a token counts nothing: it guesses nothing. */
static int authenticate(saola_server *srv, struct MHD_Connection *c, saola__user *u,
                        saola__err *e)
{
	const char *token = header(c, MHD_HTTP_HEADER_AUTHORIZATION);
	const struct sockaddr *addr = client_addr(c);
	saola__store *s;
	int rc, wait_s;

	memset(u, 0, sizeof *u);
	if (!(s = saola__pool_get(srv->pool, e)))
		return -1;
	rc = saola__authenticate(s, token, u, e);
	saola__pool_put(srv->pool, s);
	if (rc == 0 || !token || e->rc != SAOLA__E_UNAUTHORIZED)
		return rc;
	if (saola__rl_check(srv->limiter, addr, srv->clock_ms(), &wait_s)) {
		saola__err_set(e, SAOLA__E_TOO_MANY_FAILURES, "too many failed authentications"
		               " from this address: try again in %d s", wait_s);
		e->retry_after = wait_s;
		return -1;
	}
	if (saola__rl_fail(srv->limiter, addr, srv->clock_ms()))
		log_block(addr);
	return -1;
}

/* Authenticates the request: 0, or -1 with rq->err. */
static int authorize(saola_server *srv, struct MHD_Connection *c, request *rq)
{
	if (authenticate(srv, c, &rq->user, &rq->err) != 0)
		return -1;
	rq->authed = 1;
	return 0;
}

/* Fails rq with 429 too_many_requests, saying why (a printf format with
 * one %s for the user's name); -1. */
static int too_many(request *rq, const char *why, ...) __attribute__((format(printf, 2, 3)));
static int too_many(request *rq, const char *why, ...)
{
	char text[SAOLA__ERR_MAX - 64];
	va_list ap;

	va_start(ap, why);
	vsnprintf(text, sizeof text, why, ap);
	va_end(ap);
	rq->failed = 1;
	saola__err_set(&rq->err, SAOLA__E_TOO_MANY_REQUESTS, "%s: try again in %d s", text,
	               BUSY_RETRY_S);
	rq->err.retry_after = BUSY_RETRY_S;
	return -1;
}

/* Counts an authenticated request, its body in, among its user's requests
 * being served: 0, or -1 with rq failed (429). */
static int count_user(saola_server *srv, request *rq)
{
	if (!rq->authed || rq->counted || rq->failed)
		return 0;
	if (saola__conns_user_enter(srv->conns, rq->user.id) != 0)
		return too_many(rq, "user %s has %d requests being served already (the most at"
		                " once)", rq->user.name, srv->user_requests);
	rq->counted = 1;
	return 0;
}

/* The refusals of a body route (routes.h, saola__body_kind) that its
 * headers decide: a Content-Length over the limit is answered at once (the
 * client, waiting on "Expect: 100-continue", sends nothing); an unknown
 * Content-Encoding fails rq. 1 when answered now. */
static int body_refused(saola_server *srv, struct MHD_Connection *c, request *rq,
                        enum MHD_Result *ret)
{
	const char *clen = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *enc = header(c, MHD_HTTP_HEADER_CONTENT_ENCODING);
	saola__err e;

	if (clen && strtoull(clen, NULL, 10) > srv->max_body) {
		saola__err_set(&e, SAOLA_LIMIT, "body: %.30s bytes is over the limit of %zu bytes",
		               clen, srv->max_body);
		*ret = saola__reply_error(c, &e);
		return 1;
	}
	if (!saola__encoding_known(enc)) {
		rq->failed = 1;
		saola__err_set(&rq->err, SAOLA__E_BAD_ENCODING,
		               "content-encoding %.100s is not supported (send gzip, deflate or"
		               " none)", enc);
	}
	return 0;
}

/* 1 when rq's route asks for a token: the operator's routes do not from
 * the server itself (routes.h, SAOLA__LOCAL_OR_ADMIN). */
static int needs_token(const request *rq)
{
	return rq->route->access != SAOLA__OPEN &&
	       !(rq->route->access == SAOLA__LOCAL_OR_ADMIN && rq->loopback);
}

/* The first call of a request, headers read and no body yet: finds its
 * route and checks what the headers decide (method, body headers, token).
 * Only a body announced over the limit is refused at once; other refusals
 * wait until the body is read and dropped, since a client still sending
 * might not see an answer sent over it, and since an answer queued now
 * closes the connection. */
static enum MHD_Result begin(saola_server *srv, struct MHD_Connection *c, const char *url,
                             const char *method, request *rq)
{
	enum MHD_Result ret;

	if (!(rq->route = saola__route_find(method, url, rq->id, sizeof rq->id, &rq->allow))) {
		rq->failed = 1;
		if (rq->allow)
			saola__err_set(&rq->err, SAOLA__E_METHOD, "%.200s: use %s", url, rq->allow);
		else
			saola__err_set(&rq->err, SAOLA_NOTFOUND, "%.200s: no such endpoint (see"
			               " docs/protocol.md)", url);
		return MHD_YES;
	}
	if (rq->route->body != SAOLA__NO_BODY && body_refused(srv, c, rq, &ret))
		return ret;
	if (!rq->failed && needs_token(rq) && authorize(srv, c, rq) != 0)
		rq->failed = 1;
	return MHD_YES;
}

/* Takes a piece of the body; past the limit, drops it (and cuts the
 * connection when the sender goes on far past it). */
static enum MHD_Result take(saola_server *srv, request *rq, const char *data, size_t n)
{
	int busy;

	saola__conn_received(srv->conns, rq->conn, n);
	rq->in += n;
	if (!rq->route || rq->route->body == SAOLA__NO_BODY || rq->failed || rq->too_large) {
		rq->drained += n;
		return rq->drained > DRAIN_FACTOR * srv->max_body ? MHD_NO : MHD_YES;
	}
	if (rq->authed && (busy = saola__conns_user_bytes(srv->conns, rq->user.id, n,
	                                                  USER_BODY_FACTOR * srv->max_body,
	                                                  ALL_BODIES_FACTOR * srv->max_body))) {
		/* The user's other bodies take its share, or everyone's take the
		 * server's: this one is dropped. */
		if (busy == -1)
			too_many(rq, "user %s is sending %d bodies' worth (%zu bytes) already",
			         rq->user.name, USER_BODY_FACTOR, USER_BODY_FACTOR * srv->max_body);
		else
			too_many(rq, "the server is receiving %d bodies' worth (%zu bytes) already",
			         ALL_BODIES_FACTOR, ALL_BODIES_FACTOR * srv->max_body);
		free(rq->body);
		rq->body = NULL;
		rq->drained = rq->len + n;
		rq->len = rq->cap = 0;
		return MHD_YES;
	}
	rq->reserved += n;
	if (n > srv->max_body - rq->len) {
		rq->too_large = 1;
		free(rq->body);
		rq->body = NULL;
		rq->drained = rq->len + n;
		rq->len = rq->cap = 0;
		return MHD_YES;
	}
	if (rq->len + n > rq->cap) {
		size_t want = rq->cap ? rq->cap * 2 : 64 * 1024;
		unsigned char *grown;
		while (want < rq->len + n)
			want *= 2;
		if (want > srv->max_body)
			want = srv->max_body;
		if (!(grown = realloc(rq->body, want)))
			return MHD_NO;
		rq->body = grown;
		rq->cap = want;
	}
	memcpy(rq->body + rq->len, data, n);
	rq->len += n;
	return MHD_YES;
}

/* The whole body is in: decodes it within its route's limits into *body
 * (a new reference). 0, or -1 with e. */
static int decode_body(saola_server *srv, struct MHD_Connection *c, request *rq,
                       json_t **body, saola__err *e)
{
	const saola__body_limits *lim = rq->route->body == SAOLA__SYNC_BODY ? &srv->limits
	                                                                   : &srv->officer_limits;
	const char *enc = header(c, MHD_HTTP_HEADER_CONTENT_ENCODING);
	int rc;

	if (rq->too_large)
		return saola__err_set(e, SAOLA_LIMIT, "body: over the limit of %zu bytes",
		                      srv->max_body);
	/* As a server of protocol 1 answered: xz came with protocol 2. */
	if (srv->web.sync_protocol == 1 && enc && strcasecmp(enc, "xz") == 0)
		return saola__err_set(e, SAOLA__E_BAD_ENCODING, "content-encoding xz is not "
		                      "supported (send gzip, deflate or none)");
	rc = saola__body_decode(enc, rq->body ? rq->body : (const unsigned char *)"", rq->len,
	                        lim, body, &rq->text, e);
	/* The text is a tree now: its bytes go before the handler runs. */
	free(rq->body);
	rq->body = NULL;
	return rc;
}

/* Checks what the route asks that needs the body in (an officer's role,
 * the body itself), borrows a store for an authenticated route, and calls
 * the route's handler. */
static enum MHD_Result dispatch(saola_server *srv, struct MHD_Connection *c, const char *url,
                                request *rq)
{
	const saola__route *rt = rq->route;
	saola__call call = {c, url, rq->id, &rq->user, NULL, NULL, &srv->web, &rq->outcome};
	enum MHD_Result ret;
	saola__err e;

	if (rt->access == SAOLA__OFFICER && !saola__officer_role(rq->user.role)) {
		/* Officers' data and acts: a surveyor's device syncs, it does not
		 * consolidate. */
		saola__err_set(&e, SAOLA_AUTH, "%.60s: user %s is a %s: this is for officers"
		               " (commune, district, province, admin)", url, rq->user.name,
		               rq->user.role);
		return saola__reply_error(c, &e);
	}
	if (rt->access == SAOLA__LOCAL_OR_ADMIN &&
	    saola__local_or_admin(rq->loopback ? client_addr(c) : NULL,
	                          rq->authed ? &rq->user : NULL, &e) != 0)
		return saola__reply_error(c, &e);
	if (rt->body != SAOLA__NO_BODY && decode_body(srv, c, rq, &call.body, &e) != 0)
		return saola__reply_error(c, &e);
	if (rt->access != SAOLA__OPEN && !(call.store = saola__pool_get(srv->pool, &e))) {
		json_decref(call.body);
		return saola__reply_error(c, &e);
	}
	ret = rt->handler(&call);
	if (call.store)
		saola__pool_put(srv->pool, call.store);
	json_decref(call.body);
	return ret;
}

/* A new request's state, counted among those being served; what the log
 * tells of it taken now (the URL's path without its query, cut). NULL when
 * out of memory. */
static request *request_new(saola_server *srv, struct MHD_Connection *c, const char *url,
                            const char *method)
{
	const struct sockaddr *addr = client_addr(c);
	request *rq = calloc(1, sizeof *rq);
	size_t n;

	if (!rq)
		return NULL;
	clock_gettime(CLOCK_REALTIME, &rq->at);
	rq->began_us = monotonic_us();
	addr_text(addr, rq->addr);
	rq->loopback = saola__is_loopback(addr) && !forwarded(c);
	snprintf(rq->method, sizeof rq->method, "%s", method ? method : "");
	n = url ? strcspn(url, "?") : 0;
	if (n > SAOLA__REQLOG_PATH_MAX)
		n = SAOLA__REQLOG_PATH_MAX;
	memcpy(rq->path, url ? url : "", n);
	rq->path[n] = '\0';
	pthread_mutex_lock(&srv->lock);
	srv->active++;
	pthread_mutex_unlock(&srv->lock);
	return rq;
}

/* The dispatch of a request, timed for the sync histogram (metrics.h). */
static enum MHD_Result dispatch_timed(saola_server *srv, struct MHD_Connection *c,
                                      const char *url, request *rq)
{
	int64_t t0 = monotonic_us();
	enum MHD_Result ret = dispatch(srv, c, url, rq);

	if (rq->route->handler == saola__serve_sync)
		saola__metrics_sync(srv->metrics, monotonic_us() - t0, &rq->outcome);
	return ret;
}

/* One call of a request's (saola__on_request). */
static enum MHD_Result request_step(saola_server *srv, struct MHD_Connection *c,
                                    const char *url, const char *method,
                                    const char *upload_data, size_t *upload_size,
                                    request *rq)
{
	enum MHD_Result ret;

	if (!rq->begun) {
		rq->begun = 1;
		if (saola__framing_check(c, &rq->err) != 0)
			return saola__reply_refusal(c, &rq->err, NULL, 1);
		rq->conn = saola__conns_of(c);
		saola__conn_headers_in(srv->conns, rq->conn);
		return begin(srv, c, url, method, rq);
	}
	if (*upload_size > 0) {
		ret = take(srv, rq, upload_data, *upload_size);
		*upload_size = 0;
		return ret;
	}
	saola__conn_busy(srv->conns, rq->conn);
	count_user(srv, rq);
	if (rq->failed)
		return saola__reply_refusal(c, &rq->err, rq->allow, 0);
	ret = dispatch_timed(srv, c, url, rq);
	/* Its answer is made (the store is back in the pool): the request no
	 * longer counts among its user's being served, even while its bytes
	 * are still on their way; a client that sends its next request as soon
	 * as it has the answer must not find its slot still taken. */
	if (rq->counted) {
		saola__conns_user_leave(srv->conns, rq->user.id);
		rq->counted = 0;
	}
	return ret;
}

/* Counts rq in the metrics once: when its answer is queued, so that a
 * client that has it finds it counted in its next scrape, or when it ends
 * without one. */
static void meter(saola_server *srv, request *rq)
{
	rq->metered = 1;
	rq->in_metered = rq->in;
	saola__metrics_request(srv->metrics, rq->route, rq->method, rq->sent.status);
	saola__metrics_bytes(srv->metrics, rq->in, rq->sent.bytes);
}

enum MHD_Result saola__on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size,
                                  void **req_cls)
{
	saola_server *srv = cls;
	request *rq = *req_cls;
	enum MHD_Result ret;

	(void)version;
	if (!rq) {
		if (!(rq = request_new(srv, c, url, method)))
			return MHD_NO;
		*req_cls = rq;
	}
	/* Whatever answer this call queues is noted in the request's state,
	 * for its log line and its count, whichever step queued it. */
	saola__reply_watch(&rq->sent);
	ret = request_step(srv, c, url, method, upload_data, upload_size, rq);
	saola__reply_watch(NULL);
	if (rq->sent.status && !rq->metered)
		meter(srv, rq);
	return ret;
}

/* Writes rq's log line, and counts what the metrics have not: a request
 * that ended without an answer, the bytes of a body read and dropped after
 * its early answer. */
static void request_done(saola_server *srv, request *rq)
{
	saola__reqlog_entry en;

	if (!rq->metered)
		meter(srv, rq);
	else if (rq->in > rq->in_metered)
		saola__metrics_bytes(srv->metrics, rq->in - rq->in_metered, 0);
	if (srv->log_format == SAOLA_LOG_NONE)
		return;
	memset(&en, 0, sizeof en);
	en.at = rq->at;
	en.addr = rq->addr;
	en.user = rq->authed ? rq->user.name : NULL;
	en.device = rq->outcome.device;
	en.method = rq->method;
	en.route = rq->route ? rq->route->path : NULL;
	en.path = rq->path;
	en.status = rq->sent.status;
	en.bytes_in = rq->in;
	en.bytes_out = rq->sent.bytes;
	en.ms = (monotonic_us() - rq->began_us) / 1000;
	saola__reqlog_write(srv->log_fd, srv->log_format, &en);
}

void saola__on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
	saola_server *srv = cls;
	request *rq = *req_cls;
	size_t got;

	(void)c;
	(void)toe;
	if (!rq)
		return;
	request_done(srv, rq);
	if (rq->counted)
		saola__conns_user_leave(srv->conns, rq->user.id);
	if (rq->reserved)
		saola__conns_user_unbytes(srv->conns, rq->user.id, rq->reserved);
	saola__conn_done(srv->conns, rq->conn);
	got = rq->text;
	free(rq->body);
	free(rq);
	*req_cls = NULL;
	pthread_mutex_lock(&srv->lock);
	if (--srv->active == 0)
		pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->lock);
#ifdef __GLIBC__
	/* The tree of a big body is freed by now, in many small pieces that
	 * glibc keeps; give them back to the system. */
	if (got > TRIM_AFTER)
		malloc_trim(0);
#else
	(void)got;
#endif
}
