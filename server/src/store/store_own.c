/* store_own.c: the server's own edits of records (an officer's resolution
 * or review, and the move back to submitted when a device's edit reaches
 * an approved record), written once over db.h for every backend: a change
 * of this server's origin, versioned by its clock, merged with the stored
 * row as a device's change is (saola__merge_states) and stored by the
 * apply's own writes (store_records.c). Devices pull it. Also the officer's
 * read of a record's state. docs/store.md, "Merges". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_records_int.h"
#include "versions.h"

/* The incoming state of an own edit: changes' paths ("_deleted" true: a
 * tombstone, no value) each at version. SAOLA_OK, or SAOLA_NOMEM. */
static int own_state(const json_t *changes, json_t *version, json_t *values, json_t *versions)
{
	const char *path;
	json_t *v;
	int fail = 0;

	json_object_foreach((json_t *)changes, path, v) {
		if (strcmp(path, "_deleted") != 0)
			fail |= json_object_set(values, path, v);
		fail |= json_object_set(versions, path, version);
	}
	return fail ? SAOLA_NOMEM : SAOLA_OK;
}

/* Checks an own edit's review comment against the form's limit on text. */
static int own_check(saola__rec_run *a, const char *id, const json_t *changes)
{
	const char *comment = json_string_value(json_object_get(changes, SAOLA__P_COMMENT));
	char msg[160];

	if (comment && saola__form_check_text(a->f, SAOLA__P_COMMENT, comment, strlen(comment),
	                                      msg, sizeof msg) != SAOLA_OK)
		return saola__db_fail(a->s->db, SAOLA_LIMIT, "review: record %s: %s", id, msg);
	return SAOLA_OK;
}

/* The merge's refusal err without its "record ID: ": the caller names
 * the record already, as it did when core's saola_put refused the edit. */
static const char *own_why(const char *err, const char *id)
{
	size_t n = strlen(id);

	return strncmp(err, "record ", 7) == 0 && strncmp(err + 7, id, n) == 0 &&
	       strncmp(err + 7 + n, ": ", 2) == 0 ? err + 9 + n : err;
}

/* An edit of this server's own of record id (an officer's, or a move the
 * server makes itself): changes ({path: value}, flat as versions.h names
 * paths, "_deleted" true for a deletion) take a version of the server's
 * clock, above every version it has merged, and merge with the stored row
 * exactly as a device's change does; the result is stored with the next
 * change sequence and audited as who. Devices get it by pulling (no
 * outbox: docs/conflicts.md). *version: the version taken (new
 * reference, NULL on failure); o: the merge (the caller frees it).
 * SAOLA_NOTFOUND for no such record; SAOLA_INVALID or SAOLA_LIMIT when the
 * form refuses it; the message on s's connection. */
int saola__rec_own_edit(saola__rec_run *a, const char *id, const json_t *changes,
                    const saola__audit_who *who, json_t **version, saola__merge_out *o)
{
	json_t *values = json_object(), *versions = json_object();
	saola__rec_state stored, in;
	saola__params_src params;
	saola__form *f = NULL;
	saola__rec_row b;
	int64_t counter, seq;
	char err[512];
	int rc;

	*version = NULL;
	memset(&stored, 0, sizeof stored);
	if ((rc = saola__rec_row_read(a->s, id, "", 1, &b)) != SAOLA_OK)
		goto out;
	if (!b.found) {
		rc = saola__db_fail(a->s->db, SAOLA_NOTFOUND, "no record %s", id);
		goto out;
	}
	if ((rc = saola__form_lookup(a->engine, b.form_id, &f)) != SAOLA_OK) {
		rc = saola__rec_engine_fail(a->s, a->engine, rc);
		goto out;
	}
	a->f = f;
	if ((rc = own_check(a, id, changes)) != SAOLA_OK ||
	    (rc = saola__rec_clock_tick(a->s, a->engine, &counter)) != SAOLA_OK)
		goto out;
	stored.record_id = id, stored.form_id = b.form_id;
	stored.form_version = saola__form_version(f), stored.versions = b.versions;
	stored.values = saola__state_values(f, b.doc, b.state, b.comment);
	*version = saola__version_new(counter, a->s->ops->origin(a->s));
	if (!values || !versions || !stored.values || !*version ||
	    own_state(changes, *version, values, versions) != SAOLA_OK) {
		rc = saola__db_fail(a->s->db, SAOLA_NOMEM, "edit: out of memory");
		goto out;
	}
	memset(&in, 0, sizeof in);
	in.record_id = id, in.form_id = b.form_id, in.values = values, in.versions = versions;
	saola__params_source(a->engine, &params);
	rc = saola__merge_states(f, &params, &stored, &in, NULL, SAOLA__MERGE_CHANGES, o, err,
	                         sizeof err);
	if (rc != SAOLA_OK)
		rc = saola__db_fail(a->s->db, rc == SAOLA_NOMEM ? rc : SAOLA_INVALID, "%s",
		                    own_why(err, id));
	/* Edits made here pass the form, as a device's own edits do where
	 * they are made: only a record that already broke it (a merge kept
	 * it so) may still break it after. */
	else if (o->changed && o->issues && !b.has_issues)
		rc = saola__db_fail(a->s->db, SAOLA_INVALID, "%s", o->issues);
	else if (o->changed)
		rc = saola__rec_store_result(a, id, o, who, &seq);
out:
	if (rc != SAOLA_OK) {
		json_decref(*version);
		*version = NULL;
	}
	json_decref(stored.values);
	json_decref(values);
	json_decref(versions);
	saola__rec_row_free(&b);
	return rc;
}

int saola__records_write_own(saola__store *s, const char *id, const json_t *changes,
                             const char *by, const saola__audit_who *who, json_t **version)
{
	saola__apply_ctx ctx;
	saola__merge_out o;
	saola__user user;
	saola__rec_run a;
	json_t *v = NULL;
	int rc;

	memset(&user, 0, sizeof user);
	snprintf(user.name, sizeof user.name, "%s", by ? by : "server");
	memset(&ctx, 0, sizeof ctx);
	ctx.device = "", ctx.user = &user;
	memset(&a, 0, sizeof a);
	a.s = s, a.ctx = &ctx, a.engine = saola__store_forms_engine(s);
	if (version)
		*version = NULL;
	if (!a.engine)
		return saola__db_fail(s->db, SAOLA_MISUSE, "edit: the %s store has no forms engine",
		                      s->ops->name);
	memset(&o, 0, sizeof o);
	rc = saola__rec_own_edit(&a, id, changes, who, &v, &o);
	saola__merge_out_free(&o);
	if (version)
		*version = v;
	else
		json_decref(v);
	return rc;
}

int saola__records_state(saola__store *s, const char *id, int for_write, json_t **out)
{
	struct saola *engine = saola__store_forms_engine(s);
	saola__form *f = NULL;
	json_t *flat = NULL;
	saola__rec_row b;
	int rc;

	*out = NULL;
	if (!engine)
		return saola__db_fail(s->db, SAOLA_MISUSE, "record: the %s store has no forms engine",
		                      s->ops->name);
	if ((rc = saola__rec_row_read(s, id, "", for_write, &b)) != SAOLA_OK)
		return rc;
	if (!b.found)
		rc = saola__db_fail(s->db, SAOLA_NOTFOUND, "no record %s", id);
	else if ((rc = saola__form_lookup(engine, b.form_id, &f)) != SAOLA_OK)
		rc = saola__rec_engine_fail(s, engine, rc);
	else if (!(flat = saola__state_values(f, b.doc, b.state, b.comment)) ||
	         !(*out = json_pack("{s:s, s:s, s:O, s:O, s:b}", "form", b.form_id,
	                            "form_version", saola__form_version(f), "values", flat,
	                            "versions", b.versions, "deleted", b.deleted)))
		rc = saola__db_fail(s->db, SAOLA_NOMEM, "record state: out of memory");
	json_decref(flat);
	saola__rec_row_free(&b);
	return rc;
}
