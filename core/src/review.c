/* review.c: a record's review state (draft, submitted, returned, approved)
 * and the officer's comment, kept as the versioned paths "_state" and
 * "_comment" so that they sync and merge like answers, and the rules of
 * who may move a record from one state to another. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola_int.h"
#include "versions.h"

int saola__state_valid(const char *s)
{
	return s && (strcmp(s, "draft") == 0 || strcmp(s, "submitted") == 0 ||
	             strcmp(s, "returned") == 0 || strcmp(s, "approved") == 0);
}

int saola__flat_add_review(json_t *flat, const char *state, const char *comment)
{
	if (state && strcmp(state, "draft") != 0 &&
	    json_object_set_new(flat, SAOLA__P_STATE, json_string(state)) != 0)
		return -1;
	if (comment && json_object_set_new(flat, SAOLA__P_COMMENT, json_string(comment)) != 0)
		return -1;
	return 0;
}

/* The version the stored row holds at a review path: its own entry, else
 * the record's default when the path has a value; NULL when it never had
 * one. */
static json_t *review_version(const saola__row *row, const char *path, int has_value)
{
	json_t *v = json_object_get(row->versions, path);

	return v ? v : has_value ? json_object_get(row->versions, "_") : NULL;
}

static int same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The write of saola__review_write on a row already read. */
static int write_row(saola *db, const char *id, saola__row *row, const char *state,
                     const char *comment)
{
	saola__form *f;
	json_t *versions = NULL, *version = NULL, *base = NULL, *changes = NULL;
	const char *new_state = state ? state : row->state;
	const char *new_comment = comment ? (*comment ? comment : NULL) : row->comment;
	char now[21], msg[160];
	int64_t counter;
	int rc, fail = 0;

	if (same_text(new_state, row->state) && same_text(new_comment, row->comment))
		return SAOLA_OK; /* nothing changes: nothing to queue */
	if ((rc = saola__form_lookup(db, row->form_id, &f)) != SAOLA_OK)
		return rc;
	if (new_comment && !same_text(new_comment, row->comment) &&
	    saola__form_check_text(f, SAOLA__P_COMMENT, new_comment, strlen(new_comment), msg,
	                           sizeof msg) != SAOLA_OK)
		return saola__error(db, SAOLA_LIMIT, "review: record %s: %s", id, msg);
	if ((rc = saola__tick(db, &counter)) != SAOLA_OK)
		return rc;
	version = saola__version_new(counter, db->origin);
	versions = json_copy(row->versions);
	base = json_object();
	changes = json_object();
	if (!version || !versions || !base || !changes) {
		rc = saola__error(db, SAOLA_NOMEM, "review: out of memory");
		goto out;
	}
	if (!same_text(new_state, row->state)) {
		json_t *was = review_version(row, SAOLA__P_STATE, strcmp(row->state, "draft") != 0);
		fail |= json_object_set(base, SAOLA__P_STATE, was ? was : json_null());
		fail |= json_object_set_new(changes, SAOLA__P_STATE, strcmp(new_state, "draft") != 0
		                            ? json_string(new_state) : json_null());
		fail |= json_object_set(versions, SAOLA__P_STATE, version);
	}
	if (!same_text(new_comment, row->comment)) {
		json_t *was = review_version(row, SAOLA__P_COMMENT, row->comment != NULL);
		fail |= json_object_set(base, SAOLA__P_COMMENT, was ? was : json_null());
		fail |= json_object_set_new(changes, SAOLA__P_COMMENT,
		                            new_comment ? json_string(new_comment) : json_null());
		fail |= json_object_set(versions, SAOLA__P_COMMENT, version);
	}
	if (fail) {
		rc = saola__error(db, SAOLA_NOMEM, "review: out of memory");
		goto out;
	}
	saola__now(now);
	rc = saola__row_write(db, 0, id, f, row->doc, versions, row->deleted, counter, now,
	                      new_state, new_comment, row->issues);
	if (rc == SAOLA_OK)
		rc = saola__outbox_add(db, id, f, "put", changes, version, base, now);
out:
	json_decref(version);
	json_decref(versions);
	json_decref(base);
	json_decref(changes);
	return rc;
}

int saola__review_write(saola *db, const char *id, const char *state, const char *comment)
{
	saola__row row;
	int rc;

	if ((rc = saola__row_read(db, id, &row)) != SAOLA_OK)
		return rc;
	if (!row.found)
		rc = saola__error(db, SAOLA_NOTFOUND, "review: no record %s", id);
	else if (row.deleted)
		rc = saola__error(db, SAOLA_DELETED, "review: record %s is deleted", id);
	else
		rc = write_row(db, id, &row, state, comment);
	saola__row_free(&row);
	return rc;
}

/* Checks that the process allows moving row from its state to state here. */
static int check_move(saola *db, const char *id, const saola__row *row, const char *state,
                      const char *comment)
{
	const char *from = row->state;

	if (strcmp(state, "submitted") == 0) {
		if (strcmp(from, "draft") != 0 && strcmp(from, "returned") != 0)
			return saola__error(db, SAOLA_INVALID, "submit: record %s is %s: only a draft"
			                    " or a returned record can be submitted", id, from);
		return SAOLA_OK;
	}
	if (!db->server)
		return saola__error(db, SAOLA_AUTH, "%s: record %s: %s a record is a commune"
		                    " officer's, on the server", strcmp(state, "returned") == 0
		                    ? "return" : "approve", id, strcmp(state, "returned") == 0
		                    ? "returning" : "approving");
	if (strcmp(state, "approved") == 0 && strcmp(from, "submitted") != 0)
		return saola__error(db, SAOLA_INVALID, "approve: record %s is %s: only a submitted"
		                    " record can be approved", id, from);
	/* An approved record found wrong later goes back for re-survey too. */
	if (strcmp(state, "returned") == 0 && strcmp(from, "submitted") != 0 &&
	    strcmp(from, "approved") != 0)
		return saola__error(db, SAOLA_INVALID, "return: record %s is %s: only a submitted or"
		                    " an approved record can be returned", id, from);
	if (strcmp(state, "returned") == 0 && (!comment || !*comment))
		return saola__error(db, SAOLA_INVALID, "return: record %s: a comment is required"
		                    " (what to survey again, and why)", id);
	return SAOLA_OK;
}

int saola_set_state(saola *db, const char *record_id, const char *state, const char *comment)
{
	saola__row row;
	int rc, end;

	if (!record_id || !state)
		return saola__error(db, SAOLA_MISUSE, "set state: a record id and a state are needed");
	if (!saola__state_valid(state) || strcmp(state, "draft") == 0)
		return saola__error(db, SAOLA_INVALID, "set state: \"%s\": expected submitted,"
		                    " returned or approved", state);
	if ((rc = saola__write_begin(db, "review")) != SAOLA_OK)
		return rc;
	if ((rc = saola__row_read(db, record_id, &row)) == SAOLA_OK) {
		if (!row.found)
			rc = saola__error(db, SAOLA_NOTFOUND, "set state: no record %s", record_id);
		else if (row.deleted)
			rc = saola__error(db, SAOLA_DELETED, "set state: record %s is deleted",
			                  record_id);
		else if ((rc = check_move(db, record_id, &row, state, comment)) == SAOLA_OK)
			rc = write_row(db, record_id, &row, state, comment);
		saola__row_free(&row);
	}
	end = saola__write_end(db, "review", rc == SAOLA_OK);
	if (rc == SAOLA_OK)
		rc = end;
	return rc == SAOLA_OK ? saola__ok(db) : rc;
}
