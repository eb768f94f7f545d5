/* merge.c: merging another replica's view of a record into the stored one,
 * path by path: the higher version wins, on every replica alike, so that
 * replicas that have seen the same changes hold the same record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola_int.h"
#include "merge.h"
#include "versions.h"

/* The version of path on one side: its own entry, else the side's default
 * "_" when the side has a value there; NULL when the side never had one. */
static json_t *side_version(json_t *versions, json_t *flat, const char *path)
{
	json_t *v = json_object_get(versions, path);

	if (v)
		return v;
	return json_object_get(flat, path) ? json_object_get(versions, "_") : NULL;
}

static json_t *value_or_null(json_t *flat, const char *path)
{
	json_t *v = json_object_get(flat, path);

	return v ? v : json_null();
}

/* 1 when path belongs to an item that is removed in flat (its own path is
 * there with null), so its fields are gone whatever their versions say. */
static int item_removed(json_t *flat, json_t *versions, const char *path)
{
	const char *dot = strchr(path, '.'), *dot2;
	char item[512];
	size_t n;

	if (!dot || !(dot2 = strchr(dot + 1, '.')))
		return 0;
	n = (size_t)(dot2 - path);
	if (n >= sizeof item)
		return 0;
	memcpy(item, path, n);
	item[n] = '\0';
	return !json_object_get(flat, item) && json_object_get(versions, item);
}

/* The item path ("repeat.id") of an item field path, into item[512]; 0 when
 * path is not an item's field. */
static int item_of(const char *path, char item[512])
{
	const char *dot = strchr(path, '.'), *dot2;
	size_t n;

	if (!dot || !(dot2 = strchr(dot + 1, '.')) || (n = (size_t)(dot2 - path)) >= 512)
		return 0;
	memcpy(item, path, n);
	item[n] = '\0';
	return 1;
}

typedef struct merge_state {
	saola *db;
	const saola__remote *r;
	json_t *local_flat, *local_versions;
	json_t *out_flat, *out_versions;
	saola__loser_fn fn;
	void *ctx;
	int changed;
} merge_state;

static int merge_path(merge_state *m, const char *path)
{
	json_t *lv = side_version(m->local_versions, m->local_flat, path);
	json_t *rv = side_version(m->r->versions, m->r->values, path);
	json_t *lval = value_or_null(m->local_flat, path);
	json_t *rval = value_or_null(m->r->values, path);
	int cmp = saola__version_cmp(rv, lv);
	saola__loser l;

	if (cmp > 0) {
		if (!json_equal(lval, rval) || !lv) {
			if (json_is_null(rval))
				json_object_del(m->out_flat, path);
			else
				json_object_set(m->out_flat, path, rval);
			m->changed = 1;
		}
		/* A value at the record's default version needs no entry of its
		 * own (a removal always has one, and so does a review path, whose
		 * value lives outside the answers). */
		if (!json_is_null(rval) && path[0] != '_' &&
		    saola__version_cmp(json_object_get(m->out_versions, "_"), rv) == 0) {
			if (json_object_get(m->out_versions, path)) {
				json_object_del(m->out_versions, path);
				m->changed = 1;
			}
		} else if (saola__version_cmp(json_object_get(m->out_versions, path), rv) != 0) {
			json_object_set(m->out_versions, path, rv);
			m->changed = 1;
		}
	}
	if (!m->fn || !m->r->base || cmp == 0 || !lv || !rv || json_equal(lval, rval))
		return 0;
	/* A concurrent edit: the stored value was not the one the sender edited
	 * over. (Over it, the sender's edit simply supersedes it.) */
	if (saola__version_cmp(json_object_get(m->r->base, path), lv) == 0)
		return 0;
	/* Nor when the sender's value is the base itself: a state that did not
	 * change there since (a district's pull from its upstream server gives
	 * as base the state last exchanged). */
	if (saola__version_cmp(json_object_get(m->r->base, path), rv) == 0)
		return 0;
	if (!json_object_get(m->r->values, path) && !json_object_get(m->r->base, path) &&
	    !json_object_get(m->r->versions, path))
		return 0; /* the sender did not touch this path */
	memset(&l, 0, sizeof l);
	l.record_id = m->r->record_id;
	l.path = path;
	l.base = json_object_get(m->r->base, path);
	if (cmp > 0) {
		l.value = lval, l.version = lv, l.winner = rval, l.winner_version = rv;
		l.stored_lost = 1;
	} else {
		l.value = rval, l.version = rv, l.winner = lval, l.winner_version = lv;
	}
	return m->fn(m->ctx, &l);
}

static int report(merge_state *m, const char *path, json_t *value, json_t *version,
                  json_t *winner, json_t *winner_version, int stored_lost)
{
	saola__loser l;

	memset(&l, 0, sizeof l);
	l.record_id = m->r->record_id;
	l.path = path;
	l.base = json_object_get(m->r->base, path);
	l.value = value, l.version = version;
	l.winner = winner, l.winner_version = winner_version;
	l.stored_lost = stored_lost;
	return m->fn(m->ctx, &l);
}

/* Answers that a removal of their item (a member) swept away while they
 * were being edited elsewhere: an incoming edit to a member that stays
 * removed, and a stored edit to a member the sender removed without having
 * seen that edit. The removal stands; the answers go to the log. */
static int report_removed_items(merge_state *m)
{
	const char *path;
	json_t *v;
	char item[512];
	int rc;

	json_object_foreach(m->r->values, path, v) {
		json_t *rv;
		if (json_is_null(v) || !item_of(path, item) ||
		    !item_removed(m->out_flat, m->out_versions, path))
			continue;
		rv = side_version(m->r->versions, m->r->values, path);
		if (json_is_null(json_object_get(m->r->values, item)))
			continue; /* the sender removed it itself */
		if (saola__version_cmp(json_object_get(m->r->base, path), rv) == 0)
			continue; /* an answer the remover here had seen */
		rc = report(m, path, v, rv, json_null(), json_object_get(m->out_versions, item), 0);
		if (rc)
			return rc;
	}
	json_object_foreach(m->local_flat, path, v) {
		json_t *lv, *seen;
		if (!item_of(path, item) || !item_removed(m->out_flat, m->out_versions, path) ||
		    !json_object_get(m->local_flat, item) ||
		    !json_is_null(json_object_get(m->r->values, item)))
			continue; /* not an item that this merge removed */
		lv = side_version(m->local_versions, m->local_flat, path);
		seen = json_object_get(m->r->base, path);
		if (seen && saola__version_cmp(seen, lv) == 0)
			continue; /* the sender saw this answer when it removed the item */
		rc = report(m, path, v, lv, json_null(), json_object_get(m->out_versions, item), 1);
		if (rc)
			return rc;
	}
	return 0;
}

/* A delete and an edit that did not see each other: the delete stands (the
 * record's answers are kept with the tombstone); the log says so. */
static int report_delete(merge_state *m, json_t *rdel, json_t *ldel)
{
	json_t *seen = json_object_get(m->r->base, "_deleted");
	json_t *lmax = saola__version_max(m->local_versions);
	json_t *t = json_true(), *f = json_false();
	int rc = 0;

	if (rdel && !ldel && lmax && saola__version_cmp(lmax, seen) > 0)
		/* deleted there while edited here */
		rc = report(m, "_deleted", f, lmax, t, rdel, 1);
	else if (ldel && !rdel && json_object_size(m->r->values) > 0 &&
	         (!seen || saola__version_cmp(saola__version_max(m->r->versions), seen) > 0))
		/* edited there while deleted here */
		rc = report(m, "_deleted", f, saola__version_max(m->r->versions), t, ldel, 0);
	json_decref(t);
	json_decref(f);
	return rc;
}

/* Every path either side knows of, own versions included ("_" excepted). */
static json_t *all_paths(const saola__remote *r, json_t *lflat, json_t *lvers)
{
	json_t *set = json_object(), *objs[4];
	const char *k;
	json_t *v;
	int i;

	objs[0] = lflat, objs[1] = lvers, objs[2] = r->values, objs[3] = r->versions;
	for (i = 0; i < 4 && set; i++)
		json_object_foreach(objs[i], k, v)
			if (strcmp(k, "_") != 0 && strcmp(k, "_deleted") != 0)
				json_object_set(set, k, json_true());
	return set;
}

/* One path for changed_paths: when its value or its version differs
 * between the stored record and the merged one (stored: the answers after
 * the form's processing), its value now into changes and its version now
 * (if any) into vers. -1 when out of memory. */
static int changed_path(merge_state *m, json_t *flat, const char *path, json_t *changes,
                        json_t *vers)
{
	json_t *before = side_version(m->local_versions, m->local_flat, path);
	json_t *after = side_version(m->out_versions, flat, path);
	json_t *was = json_object_get(m->local_flat, path), *now = json_object_get(flat, path);

	if (item_removed(flat, m->out_versions, path))
		return 0; /* it went with its item */
	if (saola__version_cmp(after, before) == 0 &&
	    ((!was && !now) || (was && now && json_equal(was, now))))
		return 0;
	if (json_object_set(changes, path, now ? now : json_null()) != 0 ||
	    (after && json_object_set(vers, path, after) != 0))
		return -1;
	return 0;
}

/* What a merge into a stored record changed in it, for the change hook:
 * *changes {path: value now (null: removed)} and *vers {path: version now}
 * (a path the form cleared, as not relevant any more, may have none) with
 * the record's default "_", and "_deleted" when the merge deleted the
 * record. doc is the record as the form processed it, state and comment
 * its review columns. The fields of a removed item are not among them:
 * they went with it (an edit of one lost to the removal, and is in the
 * conflict log). */
static int changed_paths(merge_state *m, const saola__form *f, json_t *paths, json_t *doc,
                         const char *state, const char *comment, json_t *rdel, json_t *ldel,
                         json_t **changes, json_t **vers)
{
	json_t *entered = saola__entered(f, doc), *v;
	json_t *flat = entered ? saola__flatten(f, entered) : NULL;
	const char *path;
	int fail = !flat || saola__flat_add_review(flat, state, comment) != 0;

	*changes = json_object();
	*vers = json_object();
	fail |= !*changes || !*vers;
	if (!fail)
		json_object_foreach(paths, path, v)
			fail |= changed_path(m, flat, path, *changes, *vers);
	if (!fail)
		json_object_foreach(flat, path, v)
			if (!json_object_get(paths, path))
				fail |= changed_path(m, flat, path, *changes, *vers);
	if (!fail && saola__version_cmp(rdel, ldel) > 0)
		fail |= json_object_set_new(*changes, "_deleted", json_true()) ||
		        json_object_set(*vers, "_deleted", rdel);
	if (!fail && (v = json_object_get(m->out_versions, "_")))
		fail |= json_object_set(*vers, "_", v);
	json_decref(entered);
	json_decref(flat);
	if (fail) {
		json_decref(*changes);
		json_decref(*vers);
		*changes = *vers = NULL;
		return saola__error(m->db, SAOLA_NOMEM, "merge: out of memory");
	}
	return SAOLA_OK;
}

/* What a merge that created the record stored, for the change hook: its
 * answers as stored (*answers), and the paths that carry versions of their
 * own, their values in *changes and versions in *vers (with the default
 * "_"): answers edited before the record reached here, the review paths,
 * the tombstone. Cheaper than changed_paths: the answers are not
 * flattened unless some answer has a version of its own. */
static int created_paths(merge_state *m, const saola__form *f, json_t *doc, const char *state,
                         const char *comment, json_t *rdel, json_t **answers,
                         json_t **changes, json_t **vers)
{
	json_t *flat = NULL, *v, *now;
	const char *path;
	int fail;

	*answers = saola__entered(f, doc);
	*changes = json_object();
	*vers = json_object();
	fail = !*answers || !*changes || !*vers;
	json_object_foreach(m->out_versions, path, v) {
		if (fail)
			break;
		if (strcmp(path, "_") == 0 || strcmp(path, "_deleted") == 0)
			continue;
		if (strcmp(path, SAOLA__P_STATE) == 0) {
			now = strcmp(state, "draft") != 0 ? json_string(state) : json_null();
		} else if (strcmp(path, SAOLA__P_COMMENT) == 0) {
			now = comment ? json_string(comment) : json_null();
		} else {
			if (!flat && !(flat = saola__flatten(f, *answers))) {
				fail = 1;
				break;
			}
			if (item_removed(flat, m->out_versions, path))
				continue; /* it went with its item */
			now = json_object_get(flat, path);
			now = now ? json_incref(now) : json_null();
		}
		fail |= !now || json_object_set_new(*changes, path, now) != 0 ||
		        json_object_set(*vers, path, v) != 0;
	}
	if (!fail && rdel)
		fail |= json_object_set_new(*changes, "_deleted", json_true()) != 0 ||
		        json_object_set(*vers, "_deleted", rdel) != 0;
	if (!fail && (v = json_object_get(m->out_versions, "_")))
		fail |= json_object_set(*vers, "_", v) != 0;
	json_decref(flat);
	if (fail) {
		json_decref(*answers);
		json_decref(*changes);
		json_decref(*vers);
		*answers = *changes = *vers = NULL;
		return saola__error(m->db, SAOLA_NOMEM, "merge: out of memory");
	}
	return SAOLA_OK;
}

/* Takes the merged review paths out of flat: the state into state (draft
 * when there is none) and the comment into *comment (malloc()ed, NULL when
 * none). SAOLA_INVALID for a state or a comment of the wrong kind. */
static int take_review(saola *db, const char *id, json_t *flat, char *state,
                       size_t statelen, char **comment)
{
	json_t *st = json_object_get(flat, SAOLA__P_STATE);
	json_t *cm = json_object_get(flat, SAOLA__P_COMMENT);

	*comment = NULL;
	if (st && !saola__state_valid(json_string_value(st)))
		return saola__error(db, SAOLA_INVALID, "record %s: _state: expected draft,"
		                    " submitted, returned or approved", id);
	if (cm && !json_is_string(cm))
		return saola__error(db, SAOLA_INVALID, "record %s: _comment: expected text", id);
	snprintf(state, statelen, "%s", st ? json_string_value(st) : "draft");
	if (cm && !(*comment = strdup(json_string_value(cm))))
		return saola__error(db, SAOLA_NOMEM, "merge: out of memory");
	json_object_del(flat, SAOLA__P_STATE);
	json_object_del(flat, SAOLA__P_COMMENT);
	return SAOLA_OK;
}

/* Refuses a change that brings text longer than the form allows, answer or
 * review comment, whether or not it would win: a value that loses would
 * still be kept in the conflict log and sent on. A device's change (a
 * sender's own) must also keep each answer inside its field's own range:
 * that no combination of edits can break, so unlike a constraint that
 * reads other answers it is refused rather than kept as an issue. */
static int check_values(saola *db, const saola__form *f, const saola__remote *r)
{
	const char *path;
	json_t *v;
	char msg[256];

	json_object_foreach(r->values, path, v)
		if ((json_is_string(v) &&
		     saola__form_check_text(f, path, json_string_value(v), json_string_length(v),
		                            msg, sizeof msg) != SAOLA_OK) ||
		    (r->own_creation &&
		     saola__form_check_value(f, path, v, msg, sizeof msg) != SAOLA_OK))
			return saola__error(db, SAOLA_INVALID, "record %s: %s", r->record_id, msg);
	return SAOLA_OK;
}

int saola__apply_remote(saola *db, const saola__remote *r, saola__loser_fn fn,
                        void *ctx, int *changed)
{
	saola__row old;
	saola__form *f = NULL;
	saola__params_src params;
	merge_state m;
	json_t *paths = NULL, *entered = NULL, *merged = NULL, *doc = NULL;
	json_t *report = NULL, *report_vers = NULL, *answers = NULL;
	json_t *rdel, *ldel;
	const char *path;
	json_t *v;
	char err[SAOLA__ERRMSG_MAX - 64], now[21], state[16];
	char *comment = NULL, *issues = NULL;
	int64_t seq;
	int rc, deleted;

	memset(&m, 0, sizeof m);
	if (changed)
		*changed = 0;
	if ((rc = saola__write_begin(db, "merge")) != SAOLA_OK)
		return rc;
	if ((rc = saola__row_read(db, r->record_id, &old)) != SAOLA_OK)
		goto out;
	rc = saola__form_lookup(db, old.found ? old.form_id : r->form_id, &f);
	if (rc != SAOLA_OK || (rc = check_values(db, f, r)) != SAOLA_OK)
		goto out;
	m.db = db, m.r = r, m.fn = fn, m.ctx = ctx;
	entered = old.found ? saola__entered(f, old.doc) : json_object();
	m.local_flat = entered ? saola__flatten(f, entered) : NULL;
	if (m.local_flat && old.found &&
	    saola__flat_add_review(m.local_flat, old.state, old.comment) != 0) {
		json_decref(m.local_flat);
		m.local_flat = NULL;
	}
	m.local_versions = old.found ? json_incref(old.versions) : json_object();
	m.out_flat = m.local_flat ? json_copy(m.local_flat) : NULL;
	m.out_versions = json_copy(m.local_versions);
	paths = all_paths(r, m.local_flat, m.local_versions);
	if (!entered || !m.local_flat || !m.out_flat || !m.out_versions || !paths) {
		rc = saola__error(db, SAOLA_NOMEM, "merge: out of memory");
		goto out;
	}
	if (!old.found) {
		/* Paths with no version of their own take the sender's default. */
		json_t *def = json_object_get(r->versions, "_");
		if (def)
			json_object_set(m.out_versions, "_", def);
		m.changed = 1;
	}
	json_object_foreach(paths, path, v)
		if ((rc = merge_path(&m, path)) != SAOLA_OK)
			goto out;
	/* Fields of a removed item go with it. */
	{
		void *tmp;
		json_object_foreach_safe(m.out_flat, tmp, path, v)
			if (item_removed(m.out_flat, m.out_versions, path))
				json_object_del(m.out_flat, path);
	}
	/* A tombstone on either side deletes; the higher tombstone is kept. */
	rdel = json_object_get(r->versions, "_deleted");
	ldel = json_object_get(m.local_versions, "_deleted");
	if (fn && r->base && old.found &&
	    ((rc = report_removed_items(&m)) != 0 || (rc = report_delete(&m, rdel, ldel)) != 0))
		goto out;
	if (saola__version_cmp(rdel, ldel) > 0) {
		json_object_set(m.out_versions, "_deleted", rdel);
		m.changed = 1;
	}
	deleted = json_object_get(m.out_versions, "_deleted") != NULL;
	if (old.found && !m.changed) {
		rc = SAOLA_OK;
		goto out;
	}
	/* The review paths go to their columns; the form never sees them. */
	if ((rc = take_review(db, r->record_id, m.out_flat, state, sizeof state,
	                      &comment)) != SAOLA_OK)
		goto out;
	/* Rebuild the record from its merged paths, then check and compute. */
	if (!(merged = saola__unflatten_onto(f, NULL, m.out_flat))) {
		rc = saola__error(db, SAOLA_NOMEM, "merge: out of memory");
		goto out;
	}
	saola__params_source(db, &params);
	/* A merge of edits each checked where it was made is kept even when
	 * their combination fails the form (refusing it would stop the sync
	 * that carries it for good); a sender's own new record must pass. */
	if (r->own_creation && !old.found)
		rc = saola__form_process(f, merged, &params, NULL, &doc, err, sizeof err);
	else
		rc = saola__form_process_merged(f, merged, &params, &doc, &issues, err,
		                                sizeof err);
	if (rc != SAOLA_OK) {
		rc = saola__error(db, rc, "record %s: %s", r->record_id, err);
		goto out;
	}
	if (db->on_change &&
	    (rc = old.found ? changed_paths(&m, f, paths, doc, state, comment, rdel, ldel, &report,
	                                    &report_vers)
	                    : created_paths(&m, f, doc, state, comment, rdel, &answers, &report,
	                                    &report_vers)) != SAOLA_OK)
		goto out;
	{
		/* The clock moves past every version seen, so that a later local
		 * edit wins over them; the tick orders this change for pulls. */
		json_t *max = saola__version_max(m.out_versions);
		if (max && (rc = saola__observe(db, json_integer_value(json_array_get(max, 0)))) != SAOLA_OK)
			goto out;
		if ((rc = saola__tick(db, &seq)) != SAOLA_OK)
			goto out;
	}
	saola__sort_items(f, doc, m.out_versions);
	saola__now(now);
	rc = saola__row_write(db, !old.found, r->record_id, f, doc, m.out_versions, deleted, seq, now,
	                      state, comment, issues);
	if (rc == SAOLA_OK && report)
		rc = saola__changes_report(db, r->record_id, f, answers, deleted, state, report,
		                           report_vers);
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
	free(comment);
	free(issues);
	json_decref(paths);
	json_decref(report);
	json_decref(report_vers);
	json_decref(answers);
	json_decref(entered);
	json_decref(merged);
	json_decref(doc);
	json_decref(m.local_flat);
	json_decref(m.local_versions);
	json_decref(m.out_flat);
	json_decref(m.out_versions);
	return rc;
}

int saola__record_state(saola *db, const char *record_id, json_t **out)
{
	saola__row row;
	saola__form *f;
	json_t *entered = NULL, *flat = NULL;
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
	entered = saola__entered(f, row.doc);
	flat = entered ? saola__flatten(f, entered) : NULL;
	if (flat && saola__flat_add_review(flat, row.state, row.comment) != 0) {
		json_decref(flat);
		flat = NULL;
	}
	*out = flat ? json_pack("{s:s, s:s, s:O, s:O, s:b}", "form", row.form_id,
	                        "form_version", saola__form_version(f), "values", flat,
	                        "versions", row.versions, "deleted", row.deleted)
	            : NULL;
	if (!*out)
		rc = saola__error(db, SAOLA_NOMEM, "record state: out of memory");
out:
	json_decref(entered);
	json_decref(flat);
	saola__row_free(&row);
	return rc;
}
