/* reply.c: the HTTP server's one writer of answers: the gzip rule, the
 * common headers, the error body, and the table of saola result codes to
 * HTTP statuses and protocol error codes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "reply.h"
#include "wire.h"

/* The header line "Content-Encoding: gzip" costs about this much: gzip
 * must save more, or the body goes as it is. */
#define GZIP_HEADER_COST 24
/* The xz preset of answers: 3 has a quick match finder; 6 saves about 10%
 * more of a page in columns for several times the CPU. */
#define XZ_PRESET 3

#define CSP "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';" \
            " connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/* The one mapping of result codes to the protocol's answers
 * (docs/protocol.md, "Errors"): core's, then the server's own
 * (server_int.h). A module that needs another answer than a core code's
 * sets a code of the server's own. */
static const struct {
	int rc;
	int status;
	const char *code;
} err_map[] = {
	{SAOLA_NOTFOUND, 404, "not_found"},
	{SAOLA_INVALID,  400, "invalid_record"},   /* a record the form refuses */
	{SAOLA_NOFORM,   400, "invalid_record"},   /* ... of a form not here */
	{SAOLA_PROTOCOL, 400, "bad_request"},      /* not a request of the protocol */
	{SAOLA_AUTH,     403, "forbidden"},        /* an act the role may not do; a
	                                            * refused token is SAOLA__E_UNAUTHORIZED */
	{SAOLA_DELETED,  409, "record_deleted"},
	{SAOLA_CONFLICT, 409, "conflict"},
	{SAOLA_LIMIT,    413, "too_large"},
	{SAOLA_NETWORK,  502, "bad_gateway"},      /* an upstream server answered wrong */
	/* The server's own codes (server_int.h). */
	{SAOLA__E_UNAUTHORIZED,      401, "unauthorized"},
	{SAOLA__E_BAD_JSON,          400, "bad_json"},
	{SAOLA__E_BAD_UTF8,          400, "bad_utf8"},
	{SAOLA__E_BAD_ENCODING,      400, "bad_encoding"},
	{SAOLA__E_METHOD,            405, "method_not_allowed"},
	{SAOLA__E_WRONG_STATE,       409, "wrong_state"},
	{SAOLA__E_ALREADY_RESOLVED,  409, "already_resolved"},
	{SAOLA__E_MEMBER_REMOVED,    409, "member_removed"},
	{SAOLA__E_DEVICE_COPIED,     409, "device_copied"},
	{SAOLA__E_BATCH_MISMATCH,    409, "batch_mismatch"},
	{SAOLA__E_EPOCH_CHANGED,     409, "epoch_changed"},
	{SAOLA__E_TOO_MANY_FAILURES, 429, "too_many_failures"},
	{SAOLA__E_TOO_MANY_REQUESTS, 429, "too_many_requests"},
	{SAOLA__E_TRY_AGAIN,         503, "busy"},
	{SAOLA__E_RACE,              500, "internal"},
	/* SAOLA_ERROR, NOMEM, IO, CORRUPT, READONLY, BUSY, MISUSE, TOONEW:
	 * the server failed, 500 internal (below). */
};

void saola__err_http(int rc, int *status, const char **code)
{
	size_t i;

	for (i = 0; i < sizeof err_map / sizeof err_map[0]; i++)
		if (err_map[i].rc == rc) {
			*status = err_map[i].status;
			*code = err_map[i].code;
			return;
		}
	*status = 500;
	*code = "internal";
}

int saola__err_status(const saola__err *e)
{
	const char *code;
	int status;

	saola__err_http(e->rc, &status, &code);
	return status;
}

/* Where this thread notes what it queues (saola__reply_watch()), or NULL. */
static _Thread_local saola__reply_note *watched;

void saola__reply_watch(saola__reply_note *n)
{
	watched = n;
}

static int starts(const char *s, const char *p)
{
	return s && strncmp(s, p, strlen(p)) == 0;
}

/* The response of r's body: compressed by the gzip rule (*gz 1), or in
 * xz (*gz 2) for a client that names it (protocol 2's, docs/protocol.md),
 * else copied; *size its bytes. NULL when out of memory. */
static struct MHD_Response *response(struct MHD_Connection *c, const saola__reply *r,
                                     int *gz, size_t *size)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                                 MHD_HTTP_HEADER_ACCEPT_ENCODING);
	struct MHD_Response *res;
	unsigned char *packed = NULL;
	size_t plen = 0;
	int xz = saola__accepts_xz(accept);

	*gz = r->len >= SAOLA__GZIP_MIN && (xz || saola__accepts_gzip(accept)) &&
	      (xz ? saola__xz(r->body, r->len, XZ_PRESET, &packed, &plen)
	          : saola__gzip(r->body, r->len, &packed, &plen)) == SAOLA_OK &&
	      plen + GZIP_HEADER_COST < r->len;
	*gz = *gz ? 1 + xz : 0;
	*size = *gz ? plen : r->len;
	if (!*gz) {
		free(packed);
		return MHD_create_response_from_buffer(r->len, (void *)(uintptr_t)r->body,
		                                       MHD_RESPMEM_MUST_COPY);
	}
	if (!(res = MHD_create_response_from_buffer(plen, packed, MHD_RESPMEM_MUST_FREE)))
		free(packed);
	return res;
}

static int add(struct MHD_Response *res, const char *name, const char *value)
{
	return MHD_add_response_header(res, name, value) == MHD_YES ? 0 : -1;
}

/* The headers of r beside the body's. */
static int headers(struct MHD_Response *res, const saola__reply *r, int gz)
{
	int html = starts(r->type, "text/html");
	char value[256];

	if (add(res, MHD_HTTP_HEADER_CONTENT_TYPE, r->type) != 0 ||
	    add(res, "X-Content-Type-Options", "nosniff") != 0 ||
	    add(res, MHD_HTTP_HEADER_CACHE_CONTROL, html ? "no-cache" : "no-store") != 0 ||
	    (r->len >= SAOLA__GZIP_MIN && add(res, MHD_HTTP_HEADER_VARY, "Accept-Encoding") != 0) ||
	    (gz && add(res, MHD_HTTP_HEADER_CONTENT_ENCODING, gz == 2 ? "xz" : "gzip") != 0) ||
	    (html && add(res, "Content-Security-Policy", CSP) != 0) ||
	    (r->allow && add(res, MHD_HTTP_HEADER_ALLOW, r->allow) != 0) ||
	    (r->close && add(res, MHD_HTTP_HEADER_CONNECTION, "close") != 0))
		return -1;
	if (r->retry_after > 0) {
		snprintf(value, sizeof value, "%d", r->retry_after);
		if (add(res, MHD_HTTP_HEADER_RETRY_AFTER, value) != 0)
			return -1;
	}
	if (r->filename) {
		snprintf(value, sizeof value, "attachment; filename=\"%s\"", r->filename);
		if (add(res, "Content-Disposition", value) != 0)
			return -1;
	}
	return 0;
}

enum MHD_Result saola__reply_send(struct MHD_Connection *c, const saola__reply *r)
{
	struct MHD_Response *res;
	enum MHD_Result ret = MHD_NO;
	size_t size = 0;
	int gz;

	if (!(res = response(c, r, &gz, &size)))
		return MHD_NO;
	if (headers(res, r, gz) == 0)
		ret = MHD_queue_response(c, (unsigned int)r->status, res);
	MHD_destroy_response(res);
	if (ret == MHD_YES && watched) {
		watched->status = r->status;
		watched->bytes = size;
	}
	return ret;
}

/* r's body as JSON text into r (free() r->body after). -1: out of memory. */
static int json_body(saola__reply *r, const json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT);

	if (!text)
		return -1;
	r->type = "application/json; charset=utf-8";
	r->body = text;
	r->len = strlen(text);
	return 0;
}

enum MHD_Result saola__reply_json(struct MHD_Connection *c, int status, const json_t *v)
{
	saola__reply r = {0};
	enum MHD_Result ret;

	r.status = status;
	if (json_body(&r, v) != 0)
		return MHD_NO;
	ret = saola__reply_send(c, &r);
	free((void *)(uintptr_t)r.body);
	return ret;
}

enum MHD_Result saola__reply_body(struct MHD_Connection *c, int status, const char *type,
                                  const void *body, size_t len, const char *filename)
{
	saola__reply r = {0};

	r.status = status;
	r.type = type;
	r.body = body;
	r.len = len;
	r.filename = filename;
	return saola__reply_send(c, &r);
}

enum MHD_Result saola__reply_refusal(struct MHD_Connection *c, const saola__err *e,
                                     const char *allow, int close)
{
	saola__reply r = {0};
	const char *code;
	enum MHD_Result ret;
	json_t *v;

	saola__err_http(e->rc, &r.status, &code);
	if (!(v = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", e->message)))
		return MHD_NO;
	if (r.status >= 500)
		fprintf(stderr, "saola-server: %s\n", e->message);
	r.allow = allow;
	r.close = close;
	r.retry_after = e->retry_after;
	if (json_body(&r, v) != 0) {
		json_decref(v);
		return MHD_NO;
	}
	json_decref(v);
	ret = saola__reply_send(c, &r);
	free((void *)(uintptr_t)r.body);
	return ret;
}

enum MHD_Result saola__reply_error(struct MHD_Connection *c, const saola__err *e)
{
	return saola__reply_refusal(c, e, NULL, 0);
}
