/* device_http.c: the devices' endpoints, handlers of the route table
 * (routes.c): GET /healthz, GET /v1/forms and POST /v1/sync
 * (docs/protocol.md). */
#include <stdlib.h>
#include <string.h>

#include "json_out.h"
#include "reply.h"
#include "routes.h"
#include "sync_handler.h"
#include "wire_cols.h"

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

/* Protocol 2's answer (docs/protocol.md, "Version 2"): its records in
 * columns, after its other members. res loses its "records". */
static enum MHD_Result reply_columns(struct MHD_Connection *c, json_t *res)
{
	json_t *records = json_incref(json_object_get(res, "records")), *rec;
	saola__cols *cols = saola__cols_new();
	saola__text t = {NULL, 0, 0};
	size_t i, hlen = 0;
	char *head;
	int rc = cols ? SAOLA_OK : SAOLA_NOMEM;
	enum MHD_Result ret = MHD_NO;

	json_array_foreach(records, i, rec)
		if (rc == SAOLA_OK)
			rc = saola__cols_add(cols, rec);
	json_object_del(res, "records");
	head = saola__json_dump(res, &hlen);
	if (rc == SAOLA_OK && head && hlen > 2)
		rc = saola__text_put(&t, head, hlen - 1);
	if (rc == SAOLA_OK)
		rc = saola__text_put(&t, ",\"records\":", 11);
	if (rc == SAOLA_OK)
		rc = saola__cols_write(cols, saola__text_put, &t);
	if (rc == SAOLA_OK)
		rc = saola__text_put(&t, "}", 1);
	if (rc == SAOLA_OK && head)
		ret = saola__reply_body(c, MHD_HTTP_OK, "application/json; charset=utf-8", t.p, t.n,
		                        NULL);
	free(head);
	free(t.p);
	saola__cols_free(cols);
	json_decref(records);
	return ret;
}

/* The device origin body names, into o when it is an id (1-64 letters,
 * digits, '-', '_', '.'; the sync checks it again): the request log's. */
static void note_device(const json_t *body, saola__outcome *o)
{
	static const char id_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                               "0123456789-_.";
	const char *d = json_string_value(json_object_get(body, "device"));
	size_t n = d ? strlen(d) : 0;

	if (n > 0 && n < sizeof o->device && strspn(d, id_chars) == n)
		memcpy(o->device, d, n + 1);
}

/* What a sync's answer res says it did, into o for the metrics: a
 * replayed batch did nothing (res repeats its first answer's figures). */
static void note_sync(const json_t *res, saola__outcome *o)
{
	o->synced = 1;
	if (json_is_true(json_object_get(res, "duplicate")))
		return;
	o->received = json_integer_value(json_object_get(res, "accepted"));
	o->applied = json_integer_value(json_object_get(res, "applied"));
	o->conflicts = json_integer_value(json_object_get(res, "conflicts"));
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
	env.pool = call->web->pool;
	note_device(call->body, call->out);
	if (saola__sync_run(&env, call->user, call->body, 0, &res, &e) != 0)
		return saola__reply_error(call->c, &e);
	note_sync(res, call->out);
	ret = json_integer_value(json_object_get(res, "protocol")) == 2
	    ? reply_columns(call->c, res) : saola__reply_json(call->c, MHD_HTTP_OK, res);
	json_decref(res);
	return ret;
}
