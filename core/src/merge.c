/* merge.c: merging another replica's view of a record into the one stored
 * in SQLite: read the stored state, merge in memory (saola__merge_states,
 * merge_state.c, which every store calls), write the result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola_int.h"
#include "merge.h"
#include "versions.h"

/* Writes a merge's result over (or as) record id, after the losers are
 * reported: the clock moves past every version seen, so that a later local
 * edit wins over them; the tick orders this change for pulls. */
static int store_result(saola *db, const char *id, const saola__form *f,
                        const saola__merge_out *o)
{
	json_t *max = saola__version_max(o->versions);
	char now[21];
	int64_t seq;
	int rc;

	if (max && (rc = saola__observe(db, json_integer_value(json_array_get(max, 0)))) != SAOLA_OK)
		return rc;
	if ((rc = saola__tick(db, &seq)) != SAOLA_OK)
		return rc;
	saola__now(now);
	rc = saola__row_write(db, o->created, id, f, o->doc, o->versions, o->deleted, seq, now,
	                      o->state, o->comment, o->issues);
	return rc;
}

int saola__apply_remote(saola *db, const saola__remote *r, saola__loser_fn fn,
                        void *ctx, int *changed)
{
	saola__row old;
	saola__form *f = NULL;
	saola__params_src params;
	saola__rec_state stored, in;
	saola__merge_out o;
	char err[SAOLA__ERRMSG_MAX];
	unsigned flags;
	size_t i;
	int rc;

	memset(&o, 0, sizeof o);
	memset(&stored, 0, sizeof stored);
	if (changed)
		*changed = 0;
	if ((rc = saola__write_begin(db, "merge")) != SAOLA_OK)
		return rc;
	if ((rc = saola__row_read(db, r->record_id, &old)) != SAOLA_OK)
		goto out;
	if ((rc = saola__form_lookup(db, old.found ? old.form_id : r->form_id, &f)) != SAOLA_OK)
		goto out;
	if (old.found) {
		stored.record_id = r->record_id;
		stored.form_id = old.form_id, stored.form_version = saola__form_version(f);
		stored.versions = old.versions;
		if (!(stored.values = saola__state_values(f, old.doc, old.state, old.comment))) {
			rc = saola__error(db, SAOLA_NOMEM, "merge: out of memory");
			goto out;
		}
	}
	memset(&in, 0, sizeof in);
	in.record_id = r->record_id, in.form_id = r->form_id;
	in.values = r->values, in.versions = r->versions;
	saola__params_source(db, &params);
	flags = r->own_creation ? SAOLA__MERGE_OWN_CREATION : 0u;
	rc = saola__merge_states(f, &params, old.found ? &stored : NULL, &in, r->base, flags,
	                         &o, err, sizeof err);
	if (rc != SAOLA_OK) {
		rc = saola__error(db, rc, "%s", err);
		goto out;
	}
	/* Reported inside the savepoint: a callback that logs them commits or
	 * rolls back with the merge. */
	for (i = 0; fn && i < o.nlosers; i++)
		if ((rc = fn(ctx, &o.losers[i])) != 0)
			goto out;
	if (!o.changed)
		goto out;
	rc = store_result(db, r->record_id, f, &o);
	if (rc == SAOLA_OK && changed)
		*changed = 1;
out:
	{
		/* A failed commit is a failed merge (its message is SQLite's). */
		int end = saola__write_end(db, "merge", rc == SAOLA_OK);
		if (rc == SAOLA_OK)
			rc = end;
	}
	saola__row_free(&old);
	saola__merge_out_free(&o);
	json_decref(stored.values);
	return rc;
}

int saola__record_state(saola *db, const char *record_id, json_t **out)
{
	saola__row row;
	saola__form *f;
	json_t *flat = NULL;
	int rc;

	*out = NULL;
	if ((rc = saola__row_read(db, record_id, &row)) != SAOLA_OK)
		return rc;
	if (!row.found) {
		rc = saola__error(db, SAOLA_NOTFOUND, "no record %s", record_id);
		goto out;
	}
	if ((rc = saola__form_lookup(db, row.form_id, &f)) != SAOLA_OK)
		goto out;
	flat = saola__state_values(f, row.doc, row.state, row.comment);
	*out = flat ? json_pack("{s:s, s:s, s:O, s:O, s:b}", "form", row.form_id,
	                        "form_version", saola__form_version(f), "values", flat,
	                        "versions", row.versions, "deleted", row.deleted)
	            : NULL;
	if (!*out)
		rc = saola__error(db, SAOLA_NOMEM, "record state: out of memory");
out:
	json_decref(flat);
	saola__row_free(&row);
	return rc;
}
