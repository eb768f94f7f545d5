/* officer_http.c: the officers' actions over HTTP, handlers of the route
 * table (routes.c): resolving a conflict (POST /v1/conflicts/ID/resolve
 * {"choice","value","comment"}) and reviewing a record (POST
 * /v1/records/ID/review {"action","comment"}), for roles commune and above
 * (checked by the table), within their area; the resolved conflict
 * answered with its personal fields by privacy.h's rule (?personal=1). */
#include <stdlib.h>
#include <string.h>

#include "dashboard.h"
#include "officer.h"
#include "privacy.h"
#include "reply.h"
#include "routes.h"

/* The officer acting in call, or -1 with e when the body is not an
 * object. */
static int officer_of(const saola__call *call, saola__officer *o, saola__err *e)
{
	if (!json_is_object(call->body))
		return saola__err_set(e, SAOLA_PROTOCOL, "expected a JSON object");
	memset(o, 0, sizeof *o);
	o->write_lock = call->web->write_lock;
	o->by = call->user->name;
	o->user = call->user;
	o->store = call->store;
	return 0;
}

enum MHD_Result saola__serve_resolve(const saola__call *call)
{
	json_t *req = call->body, *comment = json_object_get(req, "comment"), *out = NULL;
	const char *choice = json_string_value(json_object_get(req, "choice"));
	char *end;
	long long n = strtoll(call->id, &end, 10);
	saola__officer o;
	saola__err e;
	enum MHD_Result ret;
	int show;

	if (officer_of(call, &o, &e) != 0)
		return saola__reply_error(call->c, &e);
	/* Decided before anything is written. */
	if (saola__privacy_show(o.user, saola__web_arg(call->c, "personal"), &show, &e) != 0)
		return saola__reply_error(call->c, &e);
	if (*end || n <= 0) {
		saola__err_set(&e, SAOLA_NOTFOUND, "no conflict %.40s", call->id);
		return saola__reply_error(call->c, &e);
	}
	if (!choice || (comment && !json_is_null(comment) && !json_is_string(comment))) {
		saola__err_set(&e, SAOLA_PROTOCOL, "expected {\"choice\":"
		               " \"keep\"|\"lost\"|\"value\", \"value\": ..., \"comment\":"
		               " \"...\"}");
		return saola__reply_error(call->c, &e);
	}
	if (saola__conflict_resolve(&o, n, choice, json_object_get(req, "value"),
	                            json_string_value(comment), &out, &e) != 0)
		return saola__reply_error(call->c, &e);
	if (!show && saola__conflict_mask(o.store, out, NULL) != 0) {
		json_decref(out);
		saola__err_set(&e, SAOLA_NOMEM, "conflict: out of memory");
		return saola__reply_error(call->c, &e);
	}
	ret = saola__reply_json(call->c, 200, out);
	json_decref(out);
	return ret;
}

enum MHD_Result saola__serve_review(const saola__call *call)
{
	json_t *req = call->body, *comment = json_object_get(req, "comment"), *out = NULL;
	const char *action = json_string_value(json_object_get(req, "action"));
	saola__officer o;
	saola__err e;
	enum MHD_Result ret;

	if (officer_of(call, &o, &e) != 0)
		return saola__reply_error(call->c, &e);
	if (!action || (comment && !json_is_null(comment) && !json_is_string(comment))) {
		saola__err_set(&e, SAOLA_PROTOCOL, "expected {\"action\": \"return\"|\"approve\","
		               " \"comment\": \"...\"}");
		return saola__reply_error(call->c, &e);
	}
	if (saola__review_record(&o, call->id, action, json_string_value(comment), &out, &e) != 0)
		return saola__reply_error(call->c, &e);
	ret = saola__reply_json(call->c, 200, out);
	json_decref(out);
	return ret;
}
