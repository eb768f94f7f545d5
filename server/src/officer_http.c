/* officer_http.c: the officers' actions over HTTP: resolving a conflict
 * (POST /v1/conflicts/ID/resolve {"choice","value","comment"}) and
 * reviewing a record (POST /v1/records/ID/review {"action","comment"}),
 * for roles commune and above, within their area; the resolved conflict
 * answered with its personal fields by privacy.h's rule (?personal=1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "dashboard.h"
#include "officer.h"
#include "officer_http.h"
#include "privacy.h"

#define CONFLICTS_PREFIX "/v1/conflicts/"
#define RECORDS_PREFIX "/v1/records/"

/* The id between prefix and suffix of url into id (idlen bytes), or 0. */
static int route_id(const char *url, const char *prefix, const char *suffix, char *id,
                    size_t idlen)
{
	size_t pl = strlen(prefix), sl = strlen(suffix), n = strlen(url), i;

	if (n <= pl + sl || strncmp(url, prefix, pl) != 0 || strcmp(url + n - sl, suffix) != 0 ||
	    n - pl - sl >= idlen)
		return 0;
	for (i = pl; i < n - sl; i++)
		if (!((url[i] >= '0' && url[i] <= '9') || (url[i] >= 'a' && url[i] <= 'z') ||
		      (url[i] >= 'A' && url[i] <= 'Z') || url[i] == '-' || url[i] == '_'))
			return 0;
	memcpy(id, url + pl, n - pl - sl);
	id[n - pl - sl] = '\0';
	return 1;
}

int saola__officer_route(const char *url)
{
	char id[64];

	return route_id(url, CONFLICTS_PREFIX, "/resolve", id, sizeof id) ||
	       route_id(url, RECORDS_PREFIX, "/review", id, sizeof id);
}

static enum MHD_Result resolve(saola__officer *o, struct MHD_Connection *c, const char *id,
                               json_t *req)
{
	const char *choice = json_string_value(json_object_get(req, "choice"));
	json_t *comment = json_object_get(req, "comment"), *out = NULL;
	char *end;
	long long n = strtoll(id, &end, 10);
	saola__err e;
	enum MHD_Result ret;
	int show;

	/* Decided before anything is written. */
	if (saola__privacy_show(o->user, saola__web_arg(c, "personal"), &show, &e) != 0)
		return saola__web_error(c, &e);
	if (*end || n <= 0) {
		saola__fail(&e, 404, "not_found", "no conflict %.40s", id);
		return saola__web_error(c, &e);
	}
	if (!choice || (comment && !json_is_null(comment) && !json_is_string(comment))) {
		saola__fail(&e, 400, "bad_request", "expected {\"choice\": \"keep\"|\"lost\"|\"value\","
		            " \"value\": ..., \"comment\": \"...\"}");
		return saola__web_error(c, &e);
	}
	if (saola__conflict_resolve(o, n, choice, json_object_get(req, "value"),
	                            json_string_value(comment), &out, &e) != 0)
		return saola__web_error(c, &e);
	if (!show && saola__conflict_mask(o->store, out, NULL) != 0) {
		json_decref(out);
		saola__fail(&e, 500, "internal", "conflict: out of memory");
		return saola__web_error(c, &e);
	}
	ret = saola__web_json(c, 200, out);
	json_decref(out);
	return ret;
}

static enum MHD_Result review(saola__officer *o, struct MHD_Connection *c, const char *id,
                              json_t *req)
{
	const char *action = json_string_value(json_object_get(req, "action"));
	json_t *comment = json_object_get(req, "comment"), *out = NULL;
	saola__err e;
	enum MHD_Result ret;

	if (!action || (comment && !json_is_null(comment) && !json_is_string(comment))) {
		saola__fail(&e, 400, "bad_request", "expected {\"action\": \"return\"|\"approve\","
		            " \"comment\": \"...\"}");
		return saola__web_error(c, &e);
	}
	if (saola__review_record(o, id, action, json_string_value(comment), &out, &e) != 0)
		return saola__web_error(c, &e);
	ret = saola__web_json(c, 200, out);
	json_decref(out);
	return ret;
}

enum MHD_Result saola__officer_serve(saola__pool *pool, pthread_mutex_t *write_lock,
                                     struct MHD_Connection *c, const char *url,
                                     const saola__user *u, const unsigned char *body,
                                     size_t len, const saola__body_limits *lim)
{
	const char *enc = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                              MHD_HTTP_HEADER_CONTENT_ENCODING);
	char id[64], err[SAOLA__ERR_MAX - 32];
	saola__officer o;
	json_t *req = NULL;
	saola__err e;
	enum MHD_Result ret;

	if (!saola__officer_role(u->role)) {
		saola__fail(&e, 403, "forbidden", "a %s may not do this (commune officers and above"
		            " may)", u->role);
		return saola__web_error(c, &e);
	}
	if (saola__body_decode(enc, body ? body : (const unsigned char *)"", len, lim, &req,
	                       NULL, &e) != 0)
		return saola__web_error(c, &e);
	if (!json_is_object(req)) {
		json_decref(req);
		saola__fail(&e, 400, "bad_request", "expected a JSON object");
		return saola__web_error(c, &e);
	}
	memset(&o, 0, sizeof o);
	o.write_lock = write_lock;
	o.by = u->name;
	o.user = u;
	if (!(o.store = saola__pool_get(pool, err, sizeof err))) {
		json_decref(req);
		saola__fail(&e, 500, "internal", "database: %s", err);
		return saola__web_error(c, &e);
	}
	if (route_id(url, CONFLICTS_PREFIX, "/resolve", id, sizeof id))
		ret = resolve(&o, c, id, req);
	else if (route_id(url, RECORDS_PREFIX, "/review", id, sizeof id))
		ret = review(&o, c, id, req);
	else {
		saola__fail(&e, 404, "not_found", "%.200s: no such endpoint", url);
		ret = saola__web_error(c, &e);
	}
	saola__pool_put(pool, o.store);
	json_decref(req);
	return ret;
}
