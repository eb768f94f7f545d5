/* dashboard.c: routes the officers' requests (the dashboard's embedded
 * files, reports, households, conflicts, devices; http.c authenticates
 * them), and writes their answers (JSON, CSV, files; gzip when the client
 * takes it). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "auth.h"
#include "body.h"
#include "dashboard.h"

#define GZIP_MIN 512   /* smaller bodies go as they are */

static int prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static const saola__asset *asset(const char *url)
{
	size_t i;

	if (strcmp(url, "/") == 0)
		url = "/index.html";
	for (i = 0; i < saola__n_assets; i++)
		if (strcmp(saola__assets[i].path, url) == 0)
			return &saola__assets[i];
	return NULL;
}

int saola__web_asset(const char *url)
{
	return asset(url) != NULL;
}

int saola__web_route(const char *url)
{
	return asset(url) || strcmp(url, "/v1/reports") == 0 || prefix(url, "/v1/reports/") ||
	       strcmp(url, "/v1/households.csv") == 0 || strcmp(url, "/v1/conflicts") == 0 ||
	       prefix(url, "/v1/lists/") ||
	       strcmp(url, "/v1/devices") == 0;
}

const char *saola__web_arg(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

/* body compressed with gzip into *out (malloc()ed); -1 when it fails. */
static int gzip(const void *body, size_t len, unsigned char **out, size_t *outlen)
{
	z_stream z;
	uLong cap;
	int rc;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	                 Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	cap = deflateBound(&z, (uLong)len);
	if (!(*out = malloc(cap))) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)(uintptr_t)body;
	z.avail_in = (uInt)len;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

enum MHD_Result saola__web_body(struct MHD_Connection *c, int status, const char *type,
                                const void *body, size_t len, const char *filename)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                                 MHD_HTTP_HEADER_ACCEPT_ENCODING);
	struct MHD_Response *r;
	unsigned char *packed = NULL;
	size_t plen = 0;
	int gz = len >= GZIP_MIN && saola__accepts_gzip(accept) && gzip(body, len, &packed, &plen) == 0
	         && plen < len;
	enum MHD_Result ret;
	char disposition[256];

	r = gz ? MHD_create_response_from_buffer(plen, packed, MHD_RESPMEM_MUST_FREE)
	       : MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
	                                         MHD_RESPMEM_MUST_COPY);
	if (!gz)
		free(packed);
	if (!r) {
		if (gz)
			free(packed);
		return MHD_NO;
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
	    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") != MHD_YES ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding") != MHD_YES ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
	                            prefix(type, "text/html") ? "no-cache" : "no-store") != MHD_YES ||
	    (gz && MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip") != MHD_YES))
		goto fail;
	if (prefix(type, "text/html") &&
	    MHD_add_response_header(r, "Content-Security-Policy",
	                            "default-src 'self'; img-src 'self' data:; style-src 'self';"
	                            " script-src 'self'; connect-src 'self'; base-uri 'none';"
	                            " form-action 'self'; frame-ancestors 'none'") != MHD_YES)
		goto fail;
	if (filename) {
		snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", filename);
		if (MHD_add_response_header(r, "Content-Disposition", disposition) != MHD_YES)
			goto fail;
	}
	ret = MHD_queue_response(c, (unsigned int)status, r);
	MHD_destroy_response(r);
	return ret;
fail:
	MHD_destroy_response(r);
	return MHD_NO;
}

enum MHD_Result saola__web_json(struct MHD_Connection *c, int status, const json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(15));
	enum MHD_Result ret;

	if (!text)
		return MHD_NO;
	ret = saola__web_body(c, status, "application/json; charset=utf-8", text, strlen(text),
	                      NULL);
	free(text);
	return ret;
}

enum MHD_Result saola__web_error(struct MHD_Connection *c, const saola__err *e)
{
	json_t *v = json_pack("{s:{s:s, s:s}}", "error", "code", e->code ? e->code : "internal",
	                      "message", e->message);
	enum MHD_Result ret;

	if (!v)
		return MHD_NO;
	ret = saola__web_json(c, e->status ? e->status : 500, v);
	json_decref(v);
	return ret;
}

enum MHD_Result saola__web_serve(const saola__web *w, struct MHD_Connection *c,
                                 const char *url, const saola__user *u)
{
	const saola__asset *a = asset(url);
	char err[SAOLA__ERR_MAX - 32];
	saola__store *s;
	saola__err e;
	enum MHD_Result ret;

	if (a)
		return saola__web_body(c, 200, a->type, a->data, a->len, NULL);
	if (!(s = saola__pool_get(w->pool, err, sizeof err))) {
		saola__fail(&e, 500, "internal", "database: %s", err);
		return saola__web_error(c, &e);
	}
	if (strcmp(u->role, "surveyor") == 0) {
		/* Officers' data: a surveyor's device syncs, it does not consolidate. */
		saola__fail(&e, 403, "forbidden", "%.60s: user %s is a surveyor: reports, conflicts and"
		            " devices are for officers (commune, district, province, admin)", url,
		            u->name);
		ret = saola__web_error(c, &e);
	} else if (strcmp(url, "/v1/households.csv") == 0)
		ret = saola__web_households(w, c, s, u);
	else if (strcmp(url, "/v1/conflicts") == 0)
		ret = saola__web_conflicts(c, s, u);
	else if (prefix(url, "/v1/lists/"))
		ret = saola__web_lists(w, c, url, s, u);
	else if (strcmp(url, "/v1/devices") == 0)
		ret = saola__web_devices(c, s, u);
	else
		ret = saola__web_reports(w, c, url, s, u);
	saola__pool_put(w->pool, s);
	return ret;
}
