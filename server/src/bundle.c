/* bundle.c: sync by file: a push bundle imported as the POST it stands for,
 * a pull bundle exported with every record of a user's area, signed for
 * that user. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "body.h"
#include "bundle.h"
#include "epoch.h"
#include "privacy.h"
#include "sync_handler.h"
#include "wire.h"

/* The user a bundle is imported as: the one named, or else the owner of
 * the bundle's device (named in *as). A device owned by another user than
 * the one named is refused by the sync itself, as over HTTP. */
static int import_user(saola__store *s, const char *user_name, const json_t *payload,
                       saola__user *u, saola__bundle_as *as, saola__err *e)
{
	const char *device = json_string_value(json_object_get(payload, "device"));
	int found = 0, rc;

	if (user_name) {
		if (s->ops->user_by_name(s, user_name, u, &found) != SAOLA_OK)
			return saola__err_set(e, SAOLA_ERROR, "bundle: %s", s->ops->errmsg(s));
		if (!found)
			return saola__err_set(e, SAOLA_NOTFOUND, "bundle: no user named \"%s\"",
			                      user_name);
	} else {
		if (!device)
			return saola__err_set(e, SAOLA_PROTOCOL,
			                      "bundle: device: expected the device's origin id");
		if ((rc = s->ops->read_begin(s)) == SAOLA_OK) {
			rc = s->ops->device_user(s, device, u, &found);
			s->ops->end(s, 1);
		}
		if (rc != SAOLA_OK)
			return saola__err_set(e, SAOLA_ERROR, "bundle: %s", s->ops->errmsg(s));
		if (!found)
			return saola__err_set(e, SAOLA_NOTFOUND, "device %.64s is not"
			                      " enrolled here: name the user with --user", device);
		if (as) {
			as->by_owner = 1;
			snprintf(as->user, sizeof as->user, "%s", u->name);
			snprintf(as->device, sizeof as->device, "%.64s", device);
		}
	}
	if (u->revoked)
		return saola__err_set(e, SAOLA_AUTH, "bundle: user %s is revoked", u->name);
	return 0;
}

int saola__bundle_import_as(saola__store *s, const char *path, const char *user_name,
                            size_t limit, json_t **summary, saola__bundle_as *as,
                            saola__err *e)
{
	char kind[8], err[SAOLA__ERR_MAX - 32];
	json_t *payload = NULL;
	saola__sync_env env;
	saola__user u;
	int rc;

	*summary = NULL;
	if (as)
		memset(as, 0, sizeof *as);
	if (saola__bundle_check(path, &(saola__body_limits){limit, SAOLA__BUNDLE_MAX_VALUES,
	                        SAOLA__MAX_DEPTH_DEFAULT}, e) != 0)
		return -1;
	rc = saola__bundle_read(path, kind, &payload, limit, err, sizeof err);
	if (rc != SAOLA_OK)
		return saola__err_set(e, rc == SAOLA_LIMIT ? SAOLA_LIMIT : SAOLA_PROTOCOL, "%s",
		                      err);
	if (strcmp(kind, "push") != 0) {
		json_decref(payload);
		return saola__err_set(e, SAOLA_PROTOCOL, "%s: a %s bundle, not a push bundle: a"
		                      " server imports what devices push", path, kind);
	}
	if (import_user(s, user_name, payload, &u, as, e) != 0) {
		json_decref(payload);
		return -1;
	}
	env.store = s;
	env.write_lock = NULL;
	env.pool = NULL;
	env.max_values = SAOLA__BUNDLE_MAX_VALUES;
	env.sync_protocol = 2;
	rc = saola__sync_run_bundle(&env, &u, payload, summary, e);
	json_decref(payload);
	return rc;
}

int saola__bundle_import(saola__store *s, const char *path, const char *user_name,
                         size_t limit, json_t **summary, saola__err *e)
{
	return saola__bundle_import_as(s, path, user_name, limit, summary, NULL, e);
}

int saola__bundle_export(saola__store *s, const char *path, const char *user_name,
                         size_t *count, saola__err *e)
{
	char err[SAOLA__ERR_MAX - 32];
	json_t *records = json_array(), *forms = NULL, *payload = NULL, *confirmed = NULL;
	unsigned char key[SAOLA__SHA256_LEN];
	char *epoch = NULL;
	saola__user u;
	int64_t cursor = 0, next = 0;
	int found = 0, more = 1, rc;

	*count = 0;
	if (!records)
		return saola__err_set(e, SAOLA_NOMEM, "bundle: out of memory");
	if (s->ops->user_by_name(s, user_name, &u, &found) != SAOLA_OK) {
		rc = saola__err_set(e, SAOLA_ERROR, "bundle: %s", s->ops->errmsg(s));
		goto out;
	}
	if (!found) {
		rc = saola__err_set(e, SAOLA_NOTFOUND, "bundle: no user named \"%s\"", user_name);
		goto out;
	}
	if ((rc = saola__privacy_may_pull(&u, "bundle", e)) != 0)
		goto out;
	/* One snapshot for every page, so that the cursor covers exactly what
	 * the bundle holds. */
	if (s->ops->read_begin(s) != SAOLA_OK) {
		rc = saola__err_set(e, SAOLA_ERROR, "bundle: %s", s->ops->errmsg(s));
		goto out;
	}
	rc = SAOLA_OK;
	while (rc == SAOLA_OK && more) {
		rc = s->ops->pull(s, saola__user_area(&u), NULL, cursor, SAOLA__PULL_LIMIT_MAX,
		                  SAOLA__PULL_PAGE_BYTES, records, &next, &more);
		cursor = next;
	}
	if (rc == SAOLA_OK)
		rc = s->ops->user_confirmed(s, u.id, SAOLA__CONFIRMED_MAX, &confirmed);
	if (rc == SAOLA_OK)
		rc = s->ops->user_token_hash(s, u.id, key, &found);
	if (rc == SAOLA_OK)
		rc = s->ops->forms_current(s, &forms);
	/* The database's epoch (epoch.h; none in one never served: left out),
	 * so that a device that syncs only by bundle learns of a restore. */
	if (rc == SAOLA_OK)
		rc = s->ops->state_get(s, SAOLA__EPOCH_KEY, &epoch);
	s->ops->end(s, 1);
	if (rc != SAOLA_OK) {
		rc = saola__err_set(e, SAOLA_ERROR, "bundle: %s", s->ops->errmsg(s));
		goto out;
	}
	/* A device drops queued changes only for a bundle batch confirmed
	 * here under its own origin, and only when the HMAC verifies under its
	 * own token: no counter, and nobody else's bundle, can empty a queue. */
	payload = json_pack("{s:i, s:b, s:i, s:i, s:i, s:[], s:O, s:I, s:b, s:O, s:O}",
	                    "protocol", 1, "duplicate", 0, "accepted", 0, "applied", 0,
	                    "conflicts", 0, "conflicted", "confirmed", confirmed,
	                    "cursor", (json_int_t)cursor, "more", 0, "records", records,
	                    "forms", forms);
	if (!payload || (epoch && json_object_set_new(payload, "epoch", json_string(epoch)))) {
		rc = saola__err_set(e, SAOLA_NOMEM, "bundle: out of memory");
		goto out;
	}
	rc = saola__bundle_write_signed(path, "pull", payload, key, err, sizeof err);
	if (rc != SAOLA_OK) {
		rc = saola__err_set(e, SAOLA_ERROR, "%s", err);
		goto out;
	}
	*count = json_array_size(records);
	rc = 0;
out:
	json_decref(records);
	json_decref(forms);
	free(epoch);
	json_decref(confirmed);
	json_decref(payload);
	return rc;
}
