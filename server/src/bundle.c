/* bundle.c: sync by file: a push bundle imported as the POST it stands for,
 * a pull bundle exported with every record of a user's area. */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "body.h"
#include "bundle.h"
#include "privacy.h"
#include "sync_handler.h"
#include "wire.h"

/* The user a bundle is imported as. */
static int import_user(saola__store *s, const char *user_name, const json_t *payload,
                       saola__user *u, saola__err *e)
{
	const char *device = json_string_value(json_object_get(payload, "device"));
	int found = 0, rc;

	if (user_name) {
		if (s->ops->user_by_name(s, user_name, u, &found) != SAOLA_OK)
			return saola__fail(e, 500, "internal", "bundle: %s", s->ops->errmsg(s));
		if (!found)
			return saola__fail(e, 404, "not_found", "bundle: no user named \"%s\"",
			                   user_name);
	} else {
		if (!device)
			return saola__fail(e, 400, "bad_request", "bundle: device: expected the device's"
			                   " origin id");
		if ((rc = s->ops->read_begin(s)) == SAOLA_OK) {
			rc = s->ops->device_user(s, device, u, &found);
			s->ops->end(s, 1);
		}
		if (rc != SAOLA_OK)
			return saola__fail(e, 500, "internal", "bundle: %s", s->ops->errmsg(s));
		if (!found)
			return saola__fail(e, 404, "not_found",
			                   "bundle: device %s has never synced here, so its user is"
			                   " unknown: name one with --user", device);
	}
	if (u->revoked)
		return saola__fail(e, 403, "forbidden", "bundle: user %s is revoked", u->name);
	return 0;
}

int saola__bundle_import(saola__store *s, const char *path, const char *user_name,
                         size_t limit, json_t **summary, saola__err *e)
{
	char kind[8], err[SAOLA__ERR_MAX - 32];
	json_t *payload = NULL;
	saola__sync_env env;
	saola__user u;
	int rc;

	*summary = NULL;
	if (saola__bundle_check(path, &(saola__body_limits){limit, SAOLA__BUNDLE_MAX_VALUES,
	                        SAOLA__MAX_DEPTH_DEFAULT}, e) != 0)
		return -1;
	rc = saola__bundle_read(path, kind, &payload, limit, err, sizeof err);
	if (rc != SAOLA_OK)
		return saola__fail(e, rc == SAOLA_LIMIT ? 413 : 400,
		                   rc == SAOLA_LIMIT ? "too_large" : "bad_request", "%s", err);
	if (strcmp(kind, "push") != 0) {
		json_decref(payload);
		return saola__fail(e, 400, "bad_request", "%s: a %s bundle, not a push bundle: a"
		                   " server imports what devices push", path, kind);
	}
	if (import_user(s, user_name, payload, &u, e) != 0) {
		json_decref(payload);
		return -1;
	}
	env.store = s;
	env.write_lock = NULL;
	rc = saola__sync_run_bundle(&env, &u, payload, summary, e);
	json_decref(payload);
	return rc;
}

int saola__bundle_export(saola__store *s, const char *path, const char *user_name,
                         size_t *count, saola__err *e)
{
	char err[SAOLA__ERR_MAX - 32];
	json_t *records = json_array(), *forms = NULL, *payload = NULL, *by_device = NULL, *v;
	saola__user u;
	int64_t cursor = 0, next = 0, acked = 0;
	const char *k;
	int found = 0, more = 1, rc;

	*count = 0;
	if (!records)
		return saola__fail(e, 500, "internal", "bundle: out of memory");
	if (s->ops->user_by_name(s, user_name, &u, &found) != SAOLA_OK) {
		rc = saola__fail(e, 500, "internal", "bundle: %s", s->ops->errmsg(s));
		goto out;
	}
	if (!found) {
		rc = saola__fail(e, 404, "not_found", "bundle: no user named \"%s\"", user_name);
		goto out;
	}
	if ((rc = saola__privacy_may_pull(&u, "bundle", e)) != 0)
		goto out;
	/* One snapshot for every page, so that the cursor covers exactly what
	 * the bundle holds. */
	if (s->ops->read_begin(s) != SAOLA_OK) {
		rc = saola__fail(e, 500, "internal", "bundle: %s", s->ops->errmsg(s));
		goto out;
	}
	rc = SAOLA_OK;
	while (rc == SAOLA_OK && more) {
		rc = s->ops->pull(s, saola__user_area(&u), NULL, cursor, SAOLA__PULL_LIMIT_MAX,
		                  records, &next, &more);
		cursor = next;
	}
	if (rc == SAOLA_OK)
		rc = s->ops->user_acked(s, u.id, &by_device);
	if (rc == SAOLA_OK)
		rc = s->ops->forms_current(s, &forms);
	s->ops->end(s, 1);
	if (rc != SAOLA_OK) {
		rc = saola__fail(e, 500, "internal", "bundle: %s", s->ops->errmsg(s));
		goto out;
	}
	/* "acked" is a number in every answer; a bundle made for a user has one
	 * per device too, which is what a device should go by. */
	json_object_foreach(by_device, k, v)
		if (json_integer_value(v) > acked)
			acked = json_integer_value(v);
	payload = json_pack("{s:i, s:b, s:i, s:i, s:i, s:[], s:I, s:O, s:I, s:b, s:O, s:O}",
	                    "protocol", 1, "duplicate", 0, "accepted", 0, "applied", 0,
	                    "conflicts", 0, "conflicted", "acked", (json_int_t)acked,
	                    "acked_by_device", by_device, "cursor", (json_int_t)cursor,
	                    "more", 0, "records", records, "forms", forms);
	if (!payload) {
		rc = saola__fail(e, 500, "internal", "bundle: out of memory");
		goto out;
	}
	if ((rc = saola__bundle_write(path, "pull", payload, err, sizeof err)) != SAOLA_OK) {
		rc = saola__fail(e, 500, "internal", "%s", err);
		goto out;
	}
	*count = json_array_size(records);
	rc = 0;
out:
	json_decref(records);
	json_decref(forms);
	json_decref(by_device);
	json_decref(payload);
	return rc;
}
