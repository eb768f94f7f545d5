/* saola/server.h: the public API of saola-server, to run the sync server in
 * a process of one's own (tests, an embedding program).
 *
 * Conventions (see STYLE.md): result codes are those of saola/core.h
 * (SAOLA_OK is 0); handles are opaque; saola_server_stop(NULL) does
 * nothing. */
#ifndef SAOLA_SERVER_H
#define SAOLA_SERVER_H

#include <stddef.h>
#include <saola/core.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct saola_server saola_server;

/* The formats of the request log (saola_server_opts.log_format). */
enum {
	SAOLA_LOG_NONE = 0,      /* no log */
	SAOLA_LOG_TEXT = 1,      /* one line of fields separated by spaces */
	SAOLA_LOG_JSON = 2       /* one JSON object a line */
};

typedef struct saola_server_opts {
	const char *db_path;     /* the server database; created when missing */
	const char *listen;      /* "HOST:PORT"; port 0 picks a free port */
	const char *schemas;     /* forms loaded into a new database; NULL: the
	                          * installed schemas, else the source tree's */
	size_t max_body;         /* request body limit in bytes, as sent
	                          * (0: 8 MiB) */
	size_t max_inflated;     /* request body limit once decompressed
	                          * (0: 16 MiB) */
	size_t max_values;       /* JSON values in a request body, keys not
	                          * counted, checked before it is parsed
	                          * (0: 600000) */
	int max_depth;           /* nesting of a request body (0: 32; at most
	                          * 255) */
	int threads;             /* HTTP worker threads (0: 4) */
	const char *tls_cert;    /* PEM certificate (chain) file: serve HTTPS;
	                          * with tls_key; NULL: plain HTTP */
	const char *tls_key;     /* PEM private key file of tls_cert */
	const char *upstream;    /* a district's upstream (province) server, synced
	                          * with on an interval as its client: a URL, or
	                          * "" for the one saved in the database; NULL:
	                          * none */
	const char *upstream_token; /* the district's token there (with a URL) */
	int sync_interval;       /* seconds between syncs with upstream (0: 300) */
	int auth_failures;       /* failed authentications one client address
	                          * may make in a burst before its requests
	                          * with a token are refused for a while (429)
	                          * (0: 10; -1: no limit; at most 100000);
	                          * docs/security.md */
	int max_connections;     /* connections at once, in total (0: 2000) */
	int max_per_address;     /* connections at once from one client address
	                          * (0: 64) */
	int header_timeout;      /* seconds a request's headers may take, from
	                          * the connection (or the previous answer on
	                          * it) (0: 20) */
	int body_timeout;        /* seconds a request's body may take, plus one
	                          * for each KiB received (0: 60) */
	int user_requests;       /* one user's requests at once; more get 429
	                          * too_many_requests (0: 3) */
	int sync_protocol;       /* the newest sync protocol spoken (0: 2); 1
	                          * answers as a server of protocol 1 did
	                          * (protocol 2 and xz bodies refused), so that
	                          * protocol 2 can be ruled out */
	int log_format;          /* the request log: a line per request once it
	                          * is over (docs/server.md, "The request log"):
	                          * SAOLA_LOG_TEXT, SAOLA_LOG_JSON, or
	                          * SAOLA_LOG_NONE (0, the default here, so that
	                          * an embedding program or a test is not
	                          * flooded; `saola-server serve` logs text
	                          * unless told otherwise) */
	int log_fd;              /* where the log goes: a descriptor open for
	                          * writing, kept open by the caller until the
	                          * server is stopped (0: stderr) */
} saola_server_opts;

/* Opens (creating if needed) the database and starts serving HTTP in
 * background threads. On success *out is a running server. On failure *out
 * is still a handle (unless out of memory) whose saola_server_errmsg() says
 * why; release it with saola_server_stop(). */
int saola_server_start(const saola_server_opts *opts, saola_server **out);

/* The TCP port the server listens on (the one picked, for port 0); 0 when
 * the server is not running. */
int saola_server_port(const saola_server *s);

/* What the last failure was, owned by the handle; "ok" when none. */
const char *saola_server_errmsg(const saola_server *s);

/* Stops syncing with upstream (after the sync in progress), stops
 * accepting connections, lets requests in progress finish (up to 30
 * seconds), stops the threads and frees the handle. NULL is a no-op. */
void saola_server_stop(saola_server *s);

#ifdef __cplusplus
}
#endif
#endif /* SAOLA_SERVER_H */
