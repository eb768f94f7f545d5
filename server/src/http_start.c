/* http_start.c: the HTTP server's daemon (GNU libmicrohttpd) started with
 * its options checked, its limits, its monitoring and its database pool,
 * and stopped with a grace for the requests in progress: the public
 * start/port/errmsg/stop API of saola/server.h. The requests themselves
 * are http.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "saola/server.h"
#include "body.h"
#include "conns.h"
#include "http_int.h"
#include "listen.h"
#include "metrics.h"
#include "pool.h"
#include "ratelimit.h"
#include "tls.h"
#include "upstream.h"

#define STOP_GRACE_SECONDS 30
#define FD_RESERVE 64    /* descriptors kept for the database, logs, upstream */

/* Milliseconds of a clock that only goes forward. */
static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The limiter of failed authentications that burst (0: the default; -1:
 * none) asks for. */
static int start_limiter(saola_server *srv, int burst)
{
	if (burst < -1 || burst > SAOLA__RL_BURST_MAX) {
		snprintf(srv->errmsg, sizeof srv->errmsg, "start: auth_failures %d: expected 1 to %d,"
		         " 0 for the default (%d) or -1 for no limit", burst, SAOLA__RL_BURST_MAX,
		         SAOLA__RL_BURST_DEFAULT);
		return SAOLA_INVALID;
	}
	if (burst == -1)
		return SAOLA_OK;
	if (!(srv->limiter = saola__rl_new(burst ? burst : SAOLA__RL_BURST_DEFAULT))) {
		snprintf(srv->errmsg, sizeof srv->errmsg, "start: out of memory");
		return SAOLA_NOMEM;
	}
	return SAOLA_OK;
}

/* An option's value: v when set (above 0), else the default; -1 with
 * srv->errmsg when v is below 0 or above max. */
static int opt_int(saola_server *srv, const char *name, int v, int def, int max)
{
	if (v < 0 || v > max) {
		snprintf(srv->errmsg, sizeof srv->errmsg, "start: %s %d: expected 1 to %d, or 0 for"
		         " the default (%d)", name, v, max, def);
		return -1;
	}
	return v ? v : def;
}

/* The limits of the options, or -1 with srv->errmsg. */
static int start_limits(saola_server *srv, const saola_server_opts *opts, int *conns,
                        int *per_address)
{
	int depth, header_s, body_s;

	srv->max_body = opts->max_body ? opts->max_body : SAOLA__MAX_BODY_DEFAULT;
	srv->limits = saola__body_limits_default();
	if (opts->max_inflated)
		srv->limits.max_inflated = opts->max_inflated;
	if (opts->max_values)
		srv->limits.max_values = opts->max_values;
	if ((depth = opt_int(srv, "max_depth", opts->max_depth, SAOLA__MAX_DEPTH_DEFAULT,
	                     SAOLA__MAX_DEPTH_MAX)) < 0 ||
	    (*conns = opt_int(srv, "max_connections", opts->max_connections,
	                      SAOLA__MAX_CONNECTIONS_DEFAULT, 1000000)) < 0 ||
	    (*per_address = opt_int(srv, "max_per_address", opts->max_per_address,
	                            SAOLA__MAX_PER_ADDRESS_DEFAULT, 1000000)) < 0 ||
	    (header_s = opt_int(srv, "header_timeout", opts->header_timeout,
	                        SAOLA__HEADER_TIMEOUT_DEFAULT, 3600)) < 0 ||
	    (body_s = opt_int(srv, "body_timeout", opts->body_timeout,
	                      SAOLA__BODY_TIMEOUT_DEFAULT, 86400)) < 0 ||
	    (srv->user_requests = opt_int(srv, "user_requests", opts->user_requests,
	                                  SAOLA__USER_REQUESTS_DEFAULT, 100000)) < 0)
		return -1;
	srv->limits.max_depth = (size_t)depth;
	srv->officer_limits = srv->limits;
	if (srv->officer_limits.max_inflated > SAOLA__OFFICER_MAX_INFLATED)
		srv->officer_limits.max_inflated = SAOLA__OFFICER_MAX_INFLATED;
	if (srv->officer_limits.max_values > SAOLA__OFFICER_MAX_VALUES)
		srv->officer_limits.max_values = SAOLA__OFFICER_MAX_VALUES;
	if (!(srv->conns = saola__conns_new(header_s, body_s, srv->user_requests))) {
		snprintf(srv->errmsg, sizeof srv->errmsg, "start: out of memory");
		return -1;
	}
	return 0;
}

/* The connections the process can hold: the soft descriptor limit, raised
 * to the hard one, less a reserve; and with select() (no epoll or poll in
 * this libmicrohttpd), FD_SETSIZE's. Says so on stderr when that is below
 * what was asked. */
static int reachable_connections(int want)
{
	long fds = saola__fd_limit_raise();
	long most = fds < 0 ? want : fds - FD_RESERVE;

	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) != MHD_YES &&
	    MHD_is_feature_supported(MHD_FEATURE_POLL) != MHD_YES && most > FD_SETSIZE - FD_RESERVE)
		most = FD_SETSIZE - FD_RESERVE;
	if (most < 1)
		most = 1;
	if (most < want) {
		fprintf(stderr, "saola-server: %ld open files allowed (ulimit -n): at most %ld"
		        " connections at once, not %d\n", fds, most, want);
		return (int)most;
	}
	return want;
}

/* The request log and the metrics of the options: SAOLA_OK, or a code
 * with srv->errmsg. */
static int start_monitoring(saola_server *srv, const saola_server_opts *opts)
{
	time_t expires;
	saola__err e;

	if (opts->log_format < SAOLA_LOG_NONE || opts->log_format > SAOLA_LOG_JSON ||
	    opts->log_fd < 0) {
		snprintf(srv->errmsg, sizeof srv->errmsg, "start: log_format %d, log_fd %d:"
		         " expected SAOLA_LOG_NONE, _TEXT or _JSON, and a descriptor (0: stderr)",
		         opts->log_format, opts->log_fd);
		return SAOLA_INVALID;
	}
	srv->log_format = opts->log_format;
	srv->log_fd = opts->log_fd ? opts->log_fd : STDERR_FILENO;
	if (!(srv->metrics = saola__metrics_new(time(NULL)))) {
		snprintf(srv->errmsg, sizeof srv->errmsg, "start: out of memory");
		return SAOLA_NOMEM;
	}
	/* Read once: a renewed certificate is served after a restart only
	 * (docs/security.md), and so is its new date. */
	if (opts->tls_cert) {
		if (saola__tls_cert_expiry(opts->tls_cert, &expires, &e) == 0)
			saola__metrics_set_cert_expiry(srv->metrics, expires);
		else
			fprintf(stderr, "saola-server: metrics: %s\n", e.message);
	}
	srv->web.metrics = srv->metrics;
	return SAOLA_OK;
}

/* A step of start that failed with e: its message on the handle, its
 * code returned. */
static int start_fail(saola_server *srv, const saola__err *e)
{
	snprintf(srv->errmsg, sizeof srv->errmsg, "%s", e->message);
	return e->rc;
}

int saola_server_start(const saola_server_opts *opts, saola_server **out)
{
	saola_server *srv;
	saola__store *first = NULL;
	struct MHD_OptionItem tls_opts[4];
	saola__err e;
	int ipv6 = 0, threads, rc, fd = -1, conns, per_address;
	unsigned int flags;

	*out = NULL;
	if (!(srv = calloc(1, sizeof *srv)))
		return SAOLA_NOMEM;
	*out = srv;
	snprintf(srv->errmsg, sizeof srv->errmsg, "ok");
	if (!opts || !opts->db_path || !opts->listen) {
		snprintf(srv->errmsg, sizeof srv->errmsg, "start: a database path and a listen"
		         " address are needed");
		return SAOLA_MISUSE;
	}
	pthread_mutex_init(&srv->write_lock, NULL);
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->idle, NULL);
	srv->locks_made = 1;
	threads = opts->threads > 0 ? opts->threads : SAOLA__THREADS_DEFAULT;
	srv->clock_ms = monotonic_ms;
	if (start_limits(srv, opts, &conns, &per_address) != 0)
		return SAOLA_INVALID;
	if ((rc = start_limiter(srv, opts->auth_failures)) != SAOLA_OK)
		return rc;
	if (saola__tls_load(&srv->tls, opts->tls_cert, opts->tls_key, &e) != 0)
		return start_fail(srv, &e);
	if ((rc = start_monitoring(srv, opts)) != SAOLA_OK)
		return rc;
	/* The first connection creates or upgrades the database before any
	 * request comes. */
	rc = saola__store_open(opts->db_path, opts->schemas, 1, &first, srv->errmsg,
	                              sizeof srv->errmsg);
	if (rc != SAOLA_OK)
		return rc;
	if (!(srv->pool = saola__pool_new(opts->db_path, threads, first))) {
		saola__store_close(first);
		snprintf(srv->errmsg, sizeof srv->errmsg, "start: out of memory");
		return SAOLA_NOMEM;
	}
	srv->web.pool = srv->pool;
	srv->web.write_lock = &srv->write_lock;
	srv->web.max_values = srv->limits.max_values;
	srv->web.sync_protocol = opts->sync_protocol == 1 ? 1 : 2;
	if (opts->schemas && !(srv->web.schemas = strdup(opts->schemas))) {
		snprintf(srv->errmsg, sizeof srv->errmsg, "start: out of memory");
		return SAOLA_NOMEM;
	}
	if (saola__listen_open(opts->listen, &fd, &srv->port, &ipv6, &e) != 0)
		return start_fail(srv, &e);
	conns = reachable_connections(conns);
	/* MHD_USE_AUTO picks epoll on Linux (poll elsewhere): select() would
	 * stop at FD_SETSIZE (1024) descriptors, whatever the limits say. */
	flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_SUPPRESS_DATE_NO_CLOCK |
	        (ipv6 ? MHD_USE_IPv6 : 0) | saola__tls_flags(&srv->tls);
	saola__tls_options(&srv->tls, tls_opts);
	srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, saola__on_request, srv,
	        MHD_OPTION_ARRAY, tls_opts,
	        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)threads,
	        MHD_OPTION_NOTIFY_COMPLETED, saola__on_completed, srv,
	        MHD_OPTION_NOTIFY_CONNECTION, saola__conns_notify, srv->conns,
	        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)conns,
	        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)per_address,
	        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
	        MHD_OPTION_END);
	if (!srv->daemon) {
		close(fd);
		if (srv->tls.why[0])
			snprintf(srv->errmsg, sizeof srv->errmsg, "listen %s: cannot start the HTTPS"
			         " server: %s", opts->listen, srv->tls.why);
		else
			snprintf(srv->errmsg, sizeof srv->errmsg, "listen %s: cannot start the HTTP"
			         " server", opts->listen);
		return SAOLA_NETWORK;
	}
	saola__tls_started(&srv->tls);
	if (opts->upstream && !(srv->upstream = saola__upstream_loop_start(opts->db_path,
	        &srv->write_lock, opts->upstream, opts->upstream_token, opts->sync_interval, &e)))
		return start_fail(srv, &e);
	return SAOLA_OK;
}

void saola__server_set_clock(saola_server *srv, int64_t (*clock_ms)(void))
{
	if (srv && clock_ms)
		srv->clock_ms = clock_ms;
}

size_t saola__server_bytes_receiving(saola_server *srv)
{
	return saola__conns_bytes(srv->conns);
}

int saola_server_port(const saola_server *s)
{
	return s && s->daemon ? s->port : 0;
}

const char *saola_server_errmsg(const saola_server *s)
{
	return s ? s->errmsg : "out of memory";
}

void saola_server_stop(saola_server *s)
{
	if (!s)
		return;
	saola__upstream_loop_stop(s->upstream);
	if (s->daemon) {
		struct timespec until;
		MHD_socket fd = MHD_quiesce_daemon(s->daemon);

		if (fd != MHD_INVALID_SOCKET)
			close(fd);
		/* Requests in progress finish; new connections are refused. */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += STOP_GRACE_SECONDS;
		pthread_mutex_lock(&s->lock);
		while (s->active > 0)
			if (pthread_cond_timedwait(&s->idle, &s->lock, &until) == ETIMEDOUT)
				break;
		pthread_mutex_unlock(&s->lock);
		MHD_stop_daemon(s->daemon);
	}
	saola__conns_free(s->conns);
	saola__tls_free(&s->tls);
	saola__rl_free(s->limiter);
	saola__metrics_free(s->metrics);
	saola__pool_free(s->pool);
	free(s->web.schemas);
	if (s->locks_made) {
		pthread_mutex_destroy(&s->write_lock);
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->idle);
	}
	free(s);
}
