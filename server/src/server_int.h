/* server_int.h: what the server's files share: limits, the error that
 * becomes an HTTP error body, and the environment a sync runs in. */
#ifndef SAOLA_SERVER_INT_H
#define SAOLA_SERVER_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "saola/core.h"

#define SAOLA__MAX_BODY_DEFAULT     ((size_t)8 << 20)
#define SAOLA__MAX_INFLATED_DEFAULT ((size_t)16 << 20)
/* JSON values (keys not counted) and nesting of one request body, checked
 * before a tree is built: the largest batch the client sends (4000 new
 * households, ~300,000 values, 7 levels) fits twice, and a tree of that many
 * values costs at most ~150 MB (240 bytes for an empty object, the worst). */
#define SAOLA__MAX_VALUES_DEFAULT   ((size_t)600000)
#define SAOLA__MAX_DEPTH_DEFAULT    32
#define SAOLA__MAX_DEPTH_MAX        255
/* A push bundle holds a device's whole queue: more values allowed. */
#define SAOLA__BUNDLE_MAX_VALUES    ((size_t)2000000)
#define SAOLA__BUNDLE_MAX_INFLATED  ((size_t)64 << 20)
/* An officer's action is a few keys and one answer's value. */
#define SAOLA__OFFICER_MAX_INFLATED ((size_t)1 << 20)
#define SAOLA__OFFICER_MAX_VALUES   ((size_t)100000)
#define SAOLA__MAX_CONNECTIONS_DEFAULT  2000
#define SAOLA__MAX_PER_ADDRESS_DEFAULT  64
#define SAOLA__HEADER_TIMEOUT_DEFAULT   20    /* seconds for a request's headers */
#define SAOLA__BODY_TIMEOUT_DEFAULT     60    /* seconds for a body, plus one a KiB */
#define SAOLA__BODY_MIN_RATE            1024  /* bytes a second a body must keep to */
#define SAOLA__USER_REQUESTS_DEFAULT    3     /* one user's requests at once */
#define SAOLA__THREADS_DEFAULT      4
#define SAOLA__PULL_LIMIT_DEFAULT   1000  /* when a request names none */
#define SAOLA__PULL_LIMIT_MAX       5000  /* the most records in one answer */
#define SAOLA__ERR_MAX              512

/* The server's own result codes, beside core's SAOLA_* (saola/core.h): the
 * protocol's answers that core has no code for. Numbered from 1000, well
 * clear of core's, so that the two never meet. Each has one row in
 * reply.c's table (saola__err_http()), which gives its HTTP status and
 * protocol error code (docs/protocol.md, "Errors"). */
enum {
	SAOLA__E_UNAUTHORIZED = 1000, /* no token, or one unknown, revoked or expired */
	SAOLA__E_BAD_JSON,            /* a body that is not JSON */
	SAOLA__E_BAD_UTF8,            /* text that is not UTF-8 */
	SAOLA__E_BAD_ENCODING,        /* a body that does not decompress, or an unknown
	                               * Content-Encoding */
	SAOLA__E_METHOD,              /* a method the route does not take */
	SAOLA__E_WRONG_STATE,         /* (officers) a review move the process refuses */
	SAOLA__E_ALREADY_RESOLVED,    /* (officers) a conflict resolved before */
	SAOLA__E_MEMBER_REMOVED,      /* (officers) a value of a removed member */
	SAOLA__E_DEVICE_COPIED,       /* a database that is a copy of another's */
	SAOLA__E_BATCH_MISMATCH,      /* a batch id reused with other content */
	SAOLA__E_TOO_MANY_FAILURES,   /* failed authentications from an address */
	SAOLA__E_TOO_MANY_REQUESTS,   /* a user's requests or bodies over the limit */
	SAOLA__E_TRY_AGAIN,           /* the database stayed busy: nothing applied */
	SAOLA__E_EPOCH_CHANGED,       /* a device that synced with the database
	                               * before it was restored from a backup */
	SAOLA__E_RACE                 /* another process's write got in the way
	                               * (PostgreSQL: a row it inserted first): the
	                               * server failed, but a push runs again first
	                               * (sync_handler.c) */
};

/* A failure: a result code (core's SAOLA_*, saola/core.h, or the
 * server's SAOLA__E_* above) and a lowercase message saying what and why.
 * Only the HTTP edge (reply.h) turns the code into a status and protocol
 * code, through its one table; the CLI prints just the message. */
typedef struct saola__err {
	int rc;
	char message[SAOLA__ERR_MAX];
	int retry_after;             /* seconds, sent as Retry-After when > 0 */
} saola__err;

/* The HTTP status e is answered with (saola__err_http()): for a command's
 * exit code, and for tests. */
int saola__err_status(const saola__err *e);

/* Fills e with a result code rc (SAOLA_* or SAOLA__E_*), a message and no
 * Retry-After, and returns -1 (so that callers can
 * `return saola__err_set(...)`). docs/server.md, "Errors". */
int saola__err_set(saola__err *e, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The schemas folder to load into a new database: dir when given, else the
 * installed one when it exists, else the source tree's. Static storage. */
const char *saola__schemas_dir(const char *dir);

/* Parses a size with an optional K, M or G suffix (powers of 1024);
 * 0 on success. */
int saola__parse_size(const char *s, size_t *out);

/* For tests: a clock (milliseconds that never go back) for srv's limit on
 * failed authentications, in place of CLOCK_MONOTONIC, so that a test
 * moves time itself. Set it before the first request. */
struct saola_server;
void saola__server_set_clock(struct saola_server *srv, int64_t (*clock_ms)(void));

/* For tests: the bytes of bodies srv is receiving now, counted against
 * the limits on them (every user's together), so that a test waits for
 * what the server holds rather than for a while. */
size_t saola__server_bytes_receiving(struct saola_server *srv);

#endif
