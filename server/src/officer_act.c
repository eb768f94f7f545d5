/* officer_act.c: what officers change on the server: a conflict resolved
 * by writing the chosen value as an ordinary edit of the record (the
 * server's origin, a version above both sides, pulled by every device of
 * the area at its next sync), and a record returned or approved. Each is
 * one write transaction of the store, on SQLite or PostgreSQL alike: the
 * record read and written through the store (saola__records_state,
 * saola__records_write_own), the audit's who passed along. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "officer.h"
#include "rules.h"
#include "saola_shared.h"
#include "saola_util.h"
#include "store_sql.h"

/* Opens the officer's write: the server's writers' lock, then a store
 * write transaction (which reloads the clock other writers moved). */
static int begin(const saola__officer *o, const char *what, saola__err *e)
{
	if (o->write_lock)
		pthread_mutex_lock(o->write_lock);
	if (o->store->ops->write_begin(o->store, 1) != SAOLA_OK) {
		saola__err_set(e, SAOLA_ERROR, "%s: %s", what, o->store->ops->errmsg(o->store));
		if (o->write_lock)
			pthread_mutex_unlock(o->write_lock);
		return -1;
	}
	return 0;
}

/* The audit's who of the officer's changes (action NULL: as each change
 * says; detail may be NULL). */
static void audit_as(const saola__officer *o, saola__audit_who *who, const char *action,
                     const char *detail)
{
	memset(who, 0, sizeof *who);
	who->source = "officer";
	who->user_id = o->user ? o->user->id : 0;
	who->user_name = o->user ? o->user->name : o->by ? o->by : "server";
	who->action = action;
	who->detail = detail;
}

/* Ends it: commits when ok. (The officer's edits queue nothing for
 * upstream: a server's changes travel by the change sequence.) */
static int end(const saola__officer *o, int ok, const char *what, saola__err *e)
{
	int rc = 0;

	if (o->store->ops->end(o->store, ok) != SAOLA_OK && ok)
		rc = saola__err_set(e, SAOLA_ERROR, "%s: commit: %s", what,
		                    o->store->ops->errmsg(o->store));
	if (o->write_lock)
		pthread_mutex_unlock(o->write_lock);
	return rc;
}

/* A failed store call as an answer (the message on s): the store's code
 * where it is the officer's or the record's fault, else the server's. */
static int store_fail(saola__store *s, int rc, const char *what, saola__err *e)
{
	switch (rc) {
	case SAOLA_NOTFOUND: case SAOLA_DELETED: case SAOLA_INVALID: case SAOLA_NOFORM:
	case SAOLA_AUTH:
		break;
	case SAOLA_LIMIT:       /* the record refused (400), not a body too large */
		rc = SAOLA_INVALID;
		break;
	default:
		rc = SAOLA_ERROR;
	}
	return saola__err_set(e, rc, "%s: %s", what, s->ops->errmsg(s));
}

typedef struct conflict {
	char record_id[40];
	char path[512];
	json_t *lost, *kept;
	int resolved;
} conflict;

static json_t *column_json(saola__dbstmt *st, int i)
{
	json_t *v;

	if (saola__db_column_type(st, i) == SAOLA__DB_NULL)
		return json_null();
	v = json_loads(saola__db_column_text(st, i), JSON_DECODE_ANY, NULL);
	return v ? v : json_null();
}

static int read_conflict(saola__db *db, int64_t id, conflict *c, saola__err *e)
{
	saola__dbstmt *st = NULL;
	int step, rc = 0;

	memset(c, 0, sizeof *c);
	if (saola__db_prepare(db, "SELECT record_id, path, lost_value, kept_value, CASE WHEN"
	                      " resolved_at IS NULL THEN 0 ELSE 1 END FROM conflicts WHERE id = ?",
	                      &st) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "conflict: %s", saola__db_errmsg(db));
	saola__db_bind_int(st, 1, id);
	step = saola__db_step(st);
	if (step == SAOLA__DB_ROW) {
		snprintf(c->record_id, sizeof c->record_id, "%s", saola__db_column_text(st, 0));
		snprintf(c->path, sizeof c->path, "%s", saola__db_column_text(st, 1));
		c->lost = column_json(st, 2);
		c->kept = column_json(st, 3);
		c->resolved = (int)saola__db_column_int(st, 4);
	} else if (step == SAOLA__DB_DONE) {
		rc = saola__err_set(e, SAOLA_NOTFOUND, "no conflict %lld", (long long)id);
	} else {
		rc = saola__err_set(e, SAOLA_ERROR, "conflict: %s", saola__db_errmsg(db));
	}
	saola__db_finalize(st);
	return rc;
}

/* Whether value may be written at an answer path, whose edit is
 * {path: value}: a field's answer, a member's answer
 * {"members.id.field": value}, or a member's removal {"members.id": null}
 * (versions.h). values: the record's flat answers. 0, or -1 with e. */
static int answer_check(const char *path, const json_t *value, json_t *values,
                        const char *what, saola__err *e)
{
	const char *dot = strchr(path, '.'), *dot2 = dot ? strchr(dot + 1, '.') : NULL;
	char item[512];

	if (!dot)
		return 0;
	snprintf(item, sizeof item, "%.*s", (int)(dot2 ? dot2 - path : (long)strlen(path)), path);
	if (!json_object_get(values, item))
		return saola__err_set(e, SAOLA__E_MEMBER_REMOVED, "%s: %s was removed since: a"
		                      " removed member cannot be brought back from the log (add"
		                      " the member again)", what, item);
	if (!dot2 && !json_is_null(value))
		return saola__err_set(e, SAOLA_PROTOCOL, "%s: %s: a member's own path takes only"
		                      " null (remove the member)", what, path);
	return 0;
}

/* The edit of a review path (_state, _comment) as flat changes: "draft"
 * and an empty comment are no value (saola_shared.h); {} when it is what
 * the record holds (values) already. */
static json_t *review_change(const char *path, const json_t *value, json_t *values)
{
	const char *v = json_string_value(value);
	int is_state = path[1] == 's';
	json_t *flat = (!v || (is_state ? strcmp(v, "draft") == 0 : !*v)) ? json_null()
	             : json_string(v);
	json_t *now = json_object_get(values, path);

	if (!flat)
		return NULL;
	if (json_equal(flat, now ? now : json_null())) {
		json_decref(flat);
		return json_object();
	}
	return json_pack("{s:o}", path, flat);
}

/* The edit of value at path of a record (values: its flat answers now) as
 * flat changes for saola__records_write_own. NULL with e. */
static json_t *edit_of(const char *id, const char *path, const json_t *value, json_t *values,
                       int deleted, const char *what, saola__err *e)
{
	json_t *c;

	if (strcmp(path, "_deleted") == 0) {
		if (!json_is_boolean(value))
			return saola__err_set(e, SAOLA_PROTOCOL, "%s: _deleted: expected true or"
			                      " false", what), NULL;
		if (json_is_false(value))
			return saola__err_set(e, SAOLA_DELETED, "%s: record %s stays deleted: a"
			                      " deleted record cannot be restored (its answers are"
			                      " kept with it; enter the household again)", what,
			                      id), NULL;
		c = deleted ? json_object() : json_pack("{s:b}", "_deleted", 1);
	} else if (deleted) {
		return saola__err_set(e, SAOLA_DELETED, "%s: record %s is deleted", what, id),
		       NULL;
	} else if (strcmp(path, "_state") == 0 || strcmp(path, "_comment") == 0) {
		if (!json_is_null(value) && !json_is_string(value))
			return saola__err_set(e, SAOLA_PROTOCOL, "%s: %s: expected text or null",
			                      what, path), NULL;
		if (path[1] == 's' && !json_is_null(value) &&
		    !saola__state_valid(json_string_value(value)))
			return saola__err_set(e, SAOLA_PROTOCOL, "%s: _state: expected draft,"
			                      " submitted, returned or approved", what), NULL;
		c = review_change(path, value, values);
	} else if (path[0] == '_') {
		return saola__err_set(e, SAOLA_PROTOCOL, "%s: %s is not a path an officer writes",
		                      what, path), NULL;
	} else if (answer_check(path, value, values, what, e) != 0) {
		return NULL;
	} else {
		c = json_pack("{s:O}", path, value);
	}
	if (!c)
		saola__err_set(e, SAOLA_NOMEM, "%s: out of memory", what);
	return c;
}

/* Writes value at path of record id (values: its flat answers now) as an
 * edit of the server's own, as who; *version: the version it took (JSON
 * null when nothing needed writing). 0, or -1 with e. */
static int write_value(const saola__officer *o, const char *id, const char *path,
                       const json_t *value, json_t *values, int deleted,
                       const saola__audit_who *who, json_t **version, const char *what,
                       saola__err *e)
{
	json_t *c = edit_of(id, path, value, values, deleted, what, e);
	int rc;

	*version = NULL;
	if (!c)
		return -1;
	rc = json_object_size(c) == 0 ? SAOLA_OK
	   : saola__records_write_own(o->store, id, c, o->by, who, version);
	json_decref(c);
	if (rc != SAOLA_OK)
		return store_fail(o->store, rc, what, e);
	if (!*version)
		*version = json_null();
	return 0;
}

/* After a resolution's write: a record it moved (a resolved province,
 * district or commune) must name units that fit, inside the officer's
 * area (rules.h). 0, or -1 with e. */
static int check_place(const saola__officer *o, const char *id, const saola__units *before,
                       int before_year, const char *what, saola__err *e)
{
	saola__db *db = saola__store_db(o->store);
	saola__change_result res;
	saola__rules rules;
	char where[160];
	int found;

	saola__rules_init(&rules, db);
	memset(&res, 0, sizeof res);
	res.existed = 1;
	res.before = *before;
	res.before_year = before_year;
	if (saola__rules_record(db, id, &res.after, &res.after_year, &found) != 0)
		return saola__err_set(e, SAOLA_ERROR, "%s: %s", what, saola__db_errmsg(db));
	snprintf(where, sizeof where, "%s: record %s", what, id);
	return saola__rules_place(&rules, o->user, &res, where, e);
}

static int resolve_in_txn(const saola__officer *o, int64_t id, const conflict *c,
                          const json_t *chosen, const char *choice, const char *comment,
                          const saola__audit_who *who, const char *what, saola__err *e)
{
	saola__db *sql = saola__store_db(o->store);
	json_t *state = NULL, *values, *now_value, *version = NULL, *res = NULL;
	saola__dbstmt *st = NULL;
	saola__units place;
	char now[21], *text;
	int deleted, rc, year, found;

	if ((rc = saola__officer_may_act(sql, o->user, c->record_id, what, e)) != 0)
		return rc;
	if (saola__rules_record(sql, c->record_id, &place, &year, &found) != 0)
		return saola__err_set(e, SAOLA_ERROR, "%s: %s", what, saola__db_errmsg(sql));
	if (c->resolved)
		return saola__err_set(e, SAOLA__E_ALREADY_RESOLVED, "%s: resolved already", what);
	if ((rc = saola__records_state(o->store, c->record_id, 1, &state)) != SAOLA_OK)
		return store_fail(o->store, rc, what, e);
	values = json_object_get(state, "values");
	deleted = json_is_true(json_object_get(state, "deleted"));
	now_value = strcmp(c->path, "_deleted") == 0 ? json_boolean(deleted)
	          : json_incref(json_object_get(values, c->path));
	if (!now_value)
		now_value = json_null();
	/* The chosen value already stands: nothing to write, only to close. */
	if (!json_equal(now_value, (json_t *)chosen)) {
		rc = write_value(o, c->record_id, c->path, chosen, values, deleted, who, &version,
		                 what, e);
		if (rc == 0)
			rc = check_place(o, c->record_id, &place, year, what, e);
	} else {
		version = json_null();
		/* Nothing changes in the record; the log still says who closed it. */
		if ((rc = saola__audit_note(o->store, who, c->record_id, c->path, "the value stood:"
		                            " nothing written")) != SAOLA_OK)
			rc = store_fail(o->store, rc, what, e);
	}
	json_decref(now_value);
	json_decref(state);
	if (rc != 0) {
		json_decref(version);
		return rc;
	}
	res = json_pack("{s:s, s:O, s:o, s:s?}", "choice", choice, "value", chosen,
	                "version", version ? version : json_null(), "comment", comment);
	if (!res)
		return saola__err_set(e, SAOLA_NOMEM, "%s: out of memory", what);
	saola__now(now);
	if (saola__db_prepare(sql, "UPDATE conflicts SET resolved_at = ?, resolved_by = ?,"
	                      " resolution = ? WHERE id = ? AND resolved_at IS NULL", &st) != SAOLA_OK) {
		json_decref(res);
		return saola__err_set(e, SAOLA_ERROR, "%s: %s", what, saola__db_errmsg(sql));
	}
	saola__db_bind_text(st, 1, now, -1);
	saola__db_bind_text(st, 2, o->by ? o->by : "server", -1);
	text = json_dumps(res, JSON_COMPACT | JSON_ENCODE_ANY);
	saola__db_bind_text(st, 3, text, -1);   /* copied */
	free(text);
	saola__db_bind_int(st, 4, id);
	rc = saola__db_step(st) == SAOLA__DB_DONE && saola__db_changes(sql) == 1 ? 0
	   : saola__err_set(e, SAOLA_ERROR, "%s: %s", what, saola__db_errmsg(sql));
	saola__db_finalize(st);
	json_decref(res);
	return rc;
}

int saola__conflict_resolve(const saola__officer *o, int64_t id, const char *choice,
                            const json_t *value, const char *comment, json_t **out,
                            saola__err *e)
{
	char what[64], detail[64];
	saola__audit_who who;
	conflict c;
	const json_t *chosen;
	int rc;

	if (out)
		*out = NULL;
	snprintf(what, sizeof what, "conflict %lld", (long long)id);
	if (!choice || (strcmp(choice, "keep") && strcmp(choice, "lost") && strcmp(choice, "value")))
		return saola__err_set(e, SAOLA_PROTOCOL, "%s: choice: expected keep, lost or value",
		                      what);
	if (strcmp(choice, "value") == 0 && !value)
		return saola__err_set(e, SAOLA_PROTOCOL, "%s: choice value needs a value", what);
	if (begin(o, what, e) != 0)
		return -1;
	snprintf(detail, sizeof detail, "conflict %lld: %s", (long long)id, choice);
	audit_as(o, &who, "resolve", detail);
	if ((rc = read_conflict(saola__store_db(o->store), id, &c, e)) == 0) {
		chosen = strcmp(choice, "keep") == 0 ? c.kept : strcmp(choice, "lost") == 0 ? c.lost
		       : value;
		rc = resolve_in_txn(o, id, &c, chosen, choice, comment, &who, what, e);
	}
	json_decref(c.lost);
	json_decref(c.kept);
	if (end(o, rc == 0, what, e) != 0)
		rc = -1;
	if (rc == 0 && out)
		return saola__conflict_show(o->store, id, NULL, NULL, out, e);
	return rc;
}

/* The move of a record from its state (values' "_state", absent: draft)
 * to state that an officer may make on the server, as core's saola_set_state
 * allows it (docs/conflicts.md, "Review"); 0, or -1 with e (409). */
static int check_move(const char *id, json_t *values, const char *state,
                      const char *comment, saola__err *e)
{
	const char *from = json_string_value(json_object_get(values, "_state"));

	if (!from)
		from = "draft";
	if (strcmp(state, "approved") == 0 && strcmp(from, "submitted") != 0)
		return saola__err_set(e, SAOLA__E_WRONG_STATE, "approve: record %s is %s: only a"
		                      " submitted record can be approved", id, from);
	/* An approved record found wrong later goes back for re-survey too. */
	if (strcmp(state, "returned") == 0 && strcmp(from, "submitted") != 0 &&
	    strcmp(from, "approved") != 0)
		return saola__err_set(e, SAOLA__E_WRONG_STATE, "return: record %s is %s: only a"
		                      " submitted or an approved record can be returned", id, from);
	if (strcmp(state, "returned") == 0 && (!comment || !*comment))
		return saola__err_set(e, SAOLA__E_WRONG_STATE, "return: record %s: a comment is"
		                      " required (what to survey again, and why)", id);
	return 0;
}

/* Moves record id to state with comment (NULL: the comment stays, "":
 * none) as an edit of the server's own, as who; *rec: its state after. */
static int review_in_txn(const saola__officer *o, const char *id, const char *state,
                         const char *comment, const saola__audit_who *who, json_t **rec,
                         const char *what, saola__err *e)
{
	json_t *values, *changes = NULL, *c;
	int rc;

	if ((rc = saola__officer_may_act(saola__store_db(o->store), o->user, id, what, e)) != 0)
		return rc;
	if ((rc = saola__records_state(o->store, id, 1, rec)) != SAOLA_OK)
		return store_fail(o->store, rc, what, e);
	values = json_object_get(*rec, "values");
	if (json_is_true(json_object_get(*rec, "deleted")))
		return saola__err_set(e, SAOLA_DELETED, "%s: set state: record %s is deleted",
		                      what, id);
	if (check_move(id, values, state, comment, e) != 0)
		return -1;
	c = json_string(state);
	changes = c ? review_change("_state", c, values) : NULL;
	json_decref(c);
	if (!changes)
		return saola__err_set(e, SAOLA_NOMEM, "%s: out of memory", what);
	if (comment) {
		json_t *v = json_string(comment);
		c = v ? review_change("_comment", v, values) : NULL;
		json_decref(v);
		if (!c || json_object_update(changes, c) != 0) {
			json_decref(c);
			json_decref(changes);
			return saola__err_set(e, SAOLA_NOMEM, "%s: out of memory", what);
		}
		json_decref(c);
	}
	rc = saola__records_write_own(o->store, id, changes, o->by, who, NULL);
	json_decref(changes);
	json_decref(*rec);
	*rec = NULL;
	if (rc == SAOLA_OK)
		rc = saola__records_state(o->store, id, 1, rec);
	return rc == SAOLA_OK ? 0 : store_fail(o->store, rc, what, e);
}

int saola__review_record(const saola__officer *o, const char *record_id, const char *action,
                         const char *comment, json_t **out, saola__err *e)
{
	const char *state = !action ? NULL : strcmp(action, "return") == 0 ? "returned"
	                  : strcmp(action, "approve") == 0 ? "approved" : NULL;
	char what[96];
	saola__audit_who who;
	json_t *rec = NULL, *values;
	int rc;

	if (out)
		*out = NULL;
	snprintf(what, sizeof what, "review %.40s", record_id ? record_id : "");
	if (!state)
		return saola__err_set(e, SAOLA_PROTOCOL, "%s: action: expected return or approve",
		                      what);
	if (strcmp(state, "returned") == 0 && (!comment || !*comment))
		return saola__err_set(e, SAOLA_PROTOCOL, "%s: returning a record needs a comment"
		                      " (what to survey again, and why)", what);
	if (begin(o, what, e) != 0)
		return -1;
	audit_as(o, &who, NULL, NULL);
	rc = review_in_txn(o, record_id, state, comment, &who, &rec, what, e);
	if (end(o, rc == 0, what, e) != 0)
		rc = -1;
	values = json_object_get(rec, "values");
	if (rc == 0 && out &&
	    !(*out = json_pack("{s:s, s:s, s:O?}", "id", record_id, "state", state, "comment",
	                       json_object_get(values, "_comment"))))
		rc = saola__err_set(e, SAOLA_NOMEM, "%s: out of memory", what);
	json_decref(rec);
	return rc;
}
