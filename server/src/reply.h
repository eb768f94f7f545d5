/* reply.h: every answer of the HTTP server goes out here: JSON, CSV, the
 * dashboard's files and errors, with one gzip rule and one set of headers
 * (docs/protocol.md, "Answers"), and the one table that turns a saola
 * result code into an HTTP status and a protocol error code. */
#ifndef SAOLA_REPLY_H
#define SAOLA_REPLY_H

#include <stddef.h>

#include <jansson.h>
#include <microhttpd.h>

#include "server_int.h"

/* A body of at least this many bytes is compressed with gzip when the
 * client takes it (Accept-Encoding) and compression saves more than the
 * Content-Encoding header costs; a shorter one goes as it is (below it,
 * gzip's own 18 bytes and the header line leave little to save, on a link
 * where every byte counts: a sync answer of one page's cursor is ~190
 * bytes). Such a body is answered with "Vary: Accept-Encoding", a shorter
 * one without. */
#define SAOLA__GZIP_MIN 128

/* One answer. Strings are not copied past the call. */
typedef struct saola__reply {
	int status;
	const char *type;          /* Content-Type, with its charset for text */
	const void *body;          /* copied (or compressed) by the call */
	size_t len;
	const char *filename;      /* Content-Disposition: attachment, or NULL */
	const char *allow;         /* the Allow header of a 405, or NULL */
	int retry_after;           /* seconds of Retry-After, when > 0 */
	int close;                 /* "Connection: close": nothing more is read */
} saola__reply;

/* What was queued on a request: its status and the bytes of its body as
 * sent (compressed, when it was); for the request log and the metrics.
 * status 0: nothing queued. */
typedef struct saola__reply_note {
	int status;
	size_t bytes;
} saola__reply_note;

/* Notes the answers this thread queues from now on in *n (NULL: stops).
 * An answer is queued by the thread that runs the request's call, within
 * the call: http.c watches each call, so that no handler has to tell. */
void saola__reply_watch(saola__reply_note *n);

/* Queues r on c with the common headers: Content-Type,
 * X-Content-Type-Options: nosniff, Cache-Control (no-cache for HTML, whose
 * page revalidates; no-store for everything else: data of an area),
 * Content-Security-Policy for HTML, Vary and Content-Encoding by the gzip
 * rule above. MHD_NO when it cannot (out of memory). */
enum MHD_Result saola__reply_send(struct MHD_Connection *c, const saola__reply *r);

/* A JSON answer: compact, reals with 17 significant digits (a double read
 * back is the same double: a replica's values go through unchanged),
 * "application/json; charset=utf-8". */
enum MHD_Result saola__reply_json(struct MHD_Connection *c, int status, const json_t *v);

/* Any body of type (a CSV, a dashboard file), with filename (may be NULL)
 * as an attachment's name. */
enum MHD_Result saola__reply_body(struct MHD_Connection *c, int status, const char *type,
                                  const void *body, size_t len, const char *filename);

/* An error as the protocol's {"error": {"code", "message"}}: the status
 * and code e's result code maps to (saola__err_http()), with e's
 * Retry-After. A server's failure (5xx) is logged on stderr; a client's
 * mistake is only answered. */
enum MHD_Result saola__reply_error(struct MHD_Connection *c, const saola__err *e);

/* saola__reply_error() with an Allow header (allow not NULL: a 405) and,
 * when close is set, "Connection: close" (the rest of what the client sent
 * cannot be read as a request). */
enum MHD_Result saola__reply_refusal(struct MHD_Connection *c, const saola__err *e,
                                     const char *allow, int close);

/* The HTTP status and protocol error code of a result code (core's
 * SAOLA_*, saola/core.h, or the server's SAOLA__E_*, server_int.h), from
 * the one table in reply.c: SAOLA_NOTFOUND 404 not_found, SAOLA_AUTH 403
 * forbidden, SAOLA__E_WRONG_STATE 409 wrong_state, ...; an unknown code
 * is 500 internal. code is a static string. */
void saola__err_http(int rc, int *status, const char **code);

#endif
