/* device_http.c: the devices' endpoints, handlers of the route table
 * (routes.c): GET /healthz, GET /v1/forms and POST /v1/sync
 * (docs/protocol.md). */
#include "reply.h"
#include "routes.h"
#include "sync_handler.h"

enum MHD_Result saola__serve_healthz(const saola__call *call)
{
	json_t *v = json_pack("{s:b, s:s}", "ok", 1, "version", SAOLA_VERSION);
	enum MHD_Result ret;

	if (!v)
		return MHD_NO;
	ret = saola__reply_json(call->c, MHD_HTTP_OK, v);
	json_decref(v);
	return ret;
}

enum MHD_Result saola__serve_forms(const saola__call *call)
{
	saola__store *s = call->store;
	json_t *forms = NULL;
	enum MHD_Result ret;
	saola__err e;
	int rc;

	if ((rc = s->ops->read_begin(s)) == SAOLA_OK) {
		rc = s->ops->forms_all(s, &forms);
		s->ops->end(s, 1);
	}
	if (rc != SAOLA_OK) {
		saola__err_set(&e, rc, "forms: %s", s->ops->errmsg(s));
		return saola__reply_error(call->c, &e);
	}
	ret = saola__reply_json(call->c, MHD_HTTP_OK, forms);
	json_decref(forms);
	return ret;
}

enum MHD_Result saola__serve_sync(const saola__call *call)
{
	saola__sync_env env;
	json_t *res = NULL;
	saola__err e;
	enum MHD_Result ret;

	env.write_lock = call->web->write_lock;
	env.store = call->store;
	env.max_values = call->web->max_values;
	env.sync_protocol = call->web->sync_protocol;
	if (saola__sync_run(&env, call->user, call->body, 0, &res, &e) != 0)
		return saola__reply_error(call->c, &e);
	ret = saola__reply_json(call->c, MHD_HTTP_OK, res);
	json_decref(res);
	return ret;
}
