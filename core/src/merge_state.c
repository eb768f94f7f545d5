/* merge_state.c: the merge of two states of a record, in memory, path by
 * path: the higher version wins, on every replica alike, so that replicas
 * that have seen the same changes hold the same record. Every store calls
 * it (saola__apply_remote for SQLite); nothing here touches a database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola/core.h"
#include "form.h"
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
	const saola__rec_state *r;   /* the incoming state */
	const json_t *base;       /* what the sender edited over, or NULL */
	json_t *local_flat, *local_versions;
	json_t *out_flat, *out_versions;
	saola__merge_out *out;    /* where the losers go */
	int changed;
} merge_state;

/* Keeps one loser in m->out (its values referenced, its path copied).
 * -1 when out of memory. */
static int report(merge_state *m, const char *path, json_t *value, json_t *version,
                  json_t *winner, json_t *winner_version, int stored_lost)
{
	saola__merge_out *o = m->out;
	saola__loser *l, *grown;

	if ((o->nlosers & (o->nlosers - 1)) == 0) { /* 0, 1, 2, 4...: full */
		grown = realloc(o->losers, (o->nlosers ? 2 * o->nlosers : 1) * sizeof *grown);
		if (!grown)
			return -1;
		o->losers = grown;
	}
	l = &o->losers[o->nlosers];
	memset(l, 0, sizeof *l);
	if (!(l->path = strdup(path)))
		return -1;
	o->nlosers++;
	l->record_id = m->r->record_id;
	l->base = json_incref(json_object_get(m->base, path));
	l->value = json_incref(value), l->version = json_incref(version);
	l->winner = json_incref(winner), l->winner_version = json_incref(winner_version);
	l->stored_lost = stored_lost;
	return 0;
}

/* Merges one path into out_flat and out_versions; a concurrent value that
 * loses either way is reported. -1 when out of memory. */
static int merge_path(merge_state *m, const char *path)
{
	json_t *lv = side_version(m->local_versions, m->local_flat, path);
	json_t *rv = side_version(m->r->versions, m->r->values, path);
	json_t *lval = value_or_null(m->local_flat, path);
	json_t *rval = value_or_null(m->r->values, path);
	int cmp = saola__version_cmp(rv, lv);

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
	if (!m->base || cmp == 0 || !lv || !rv || json_equal(lval, rval))
		return 0;
	/* A concurrent edit: the stored value was not the one the sender edited
	 * over. (Over it, the sender's edit simply supersedes it.) */
	if (saola__version_cmp(json_object_get(m->base, path), lv) == 0)
		return 0;
	/* Nor when the sender's value is the base itself: a state that did not
	 * change there since (a district's pull from its upstream server gives
	 * as base the state last exchanged). */
	if (saola__version_cmp(json_object_get(m->base, path), rv) == 0)
		return 0;
	if (!json_object_get(m->r->values, path) && !json_object_get(m->base, path) &&
	    !json_object_get(m->r->versions, path))
		return 0; /* the sender did not touch this path */
	if (cmp > 0)
		return report(m, path, lval, lv, rval, rv, 1);
	return report(m, path, rval, rv, lval, lv, 0);
}

/* Answers that a removal of their item (a member) swept away while they
 * were being edited elsewhere: an incoming edit to a member that stays
 * removed, and a stored edit to a member the sender removed without having
 * seen that edit. The removal stands; the answers are reported. */
static int report_removed_items(merge_state *m)
{
	const char *path;
	json_t *v;
	char item[512];

	json_object_foreach(m->r->values, path, v) {
		json_t *rv;
		if (json_is_null(v) || !item_of(path, item) ||
		    !item_removed(m->out_flat, m->out_versions, path))
			continue;
		rv = side_version(m->r->versions, m->r->values, path);
		if (json_is_null(json_object_get(m->r->values, item)))
			continue; /* the sender removed it itself */
		if (saola__version_cmp(json_object_get(m->base, path), rv) == 0)
			continue; /* an answer the remover here had seen */
		if (report(m, path, v, rv, json_null(), json_object_get(m->out_versions, item), 0))
			return -1;
	}
	json_object_foreach(m->local_flat, path, v) {
		json_t *lv, *seen;
		if (!item_of(path, item) || !item_removed(m->out_flat, m->out_versions, path) ||
		    !json_object_get(m->local_flat, item) ||
		    !json_is_null(json_object_get(m->r->values, item)))
			continue; /* not an item that this merge removed */
		lv = side_version(m->local_versions, m->local_flat, path);
		seen = json_object_get(m->base, path);
		if (seen && saola__version_cmp(seen, lv) == 0)
			continue; /* the sender saw this answer when it removed the item */
		if (report(m, path, v, lv, json_null(), json_object_get(m->out_versions, item), 1))
			return -1;
	}
	return 0;
}

/* A delete and an edit that did not see each other: the delete stands (the
 * record's answers are kept with the tombstone); the loser says so, path
 * "_deleted". */
static int report_delete(merge_state *m, json_t *rdel, json_t *ldel)
{
	json_t *seen = json_object_get(m->base, "_deleted");
	json_t *lmax = saola__version_max(m->local_versions);

	if (rdel && !ldel && lmax && saola__version_cmp(lmax, seen) > 0)
		/* deleted there while edited here */
		return report(m, "_deleted", json_false(), lmax, json_true(), rdel, 1);
	if (ldel && !rdel && json_object_size(m->r->values) > 0 &&
	    (!seen || saola__version_cmp(saola__version_max(m->r->versions), seen) > 0))
		/* edited there while deleted here */
		return report(m, "_deleted", json_false(), saola__version_max(m->r->versions),
		              json_true(), ldel, 0);
	return 0;
}

/* Every path either side knows of, own versions included ("_" excepted). */
static json_t *all_paths(const saola__form *f, const saola__rec_state *r, json_t *lflat,
                         json_t *lvers)
{
	json_t *set = json_object(), *objs[4];
	const char *k;
	json_t *v;
	int i;

	objs[0] = lflat, objs[1] = lvers, objs[2] = r->values, objs[3] = r->versions;
	for (i = 0; i < 4 && set; i++)
		json_object_foreach(objs[i], k, v)
			/* A computed field's path is no answer: a sender whose form
			 * entered it (household head_name before 2026.2) has it
			 * dropped, neither merged nor kept in the conflict log. */
			if (strcmp(k, "_") != 0 && strcmp(k, "_deleted") != 0 &&
			    !saola__form_path_computed(f, k))
				json_object_set(set, k, json_true());
	return set;
}

/* Merges every path, drops the fields of removed items, reports the
 * concurrent losers and merges the tombstones. -1 when out of memory. */
static int merge_paths(merge_state *m, json_t *paths, int stored)
{
	json_t *rdel = json_object_get(m->r->versions, "_deleted");
	json_t *ldel = json_object_get(m->local_versions, "_deleted");
	const char *path;
	json_t *v;
	void *tmp;

	json_object_foreach(paths, path, v)
		if (merge_path(m, path))
			return -1;
	/* Fields of a removed item go with it. */
	json_object_foreach_safe(m->out_flat, tmp, path, v)
		if (item_removed(m->out_flat, m->out_versions, path))
			json_object_del(m->out_flat, path);
	if (m->base && stored && (report_removed_items(m) || report_delete(m, rdel, ldel)))
		return -1;
	/* A tombstone on either side deletes; the higher tombstone is kept. */
	if (saola__version_cmp(rdel, ldel) > 0) {
		json_object_set(m->out_versions, "_deleted", rdel);
		m->changed = 1;
	}
	return 0;
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

/* What a merge into a stored record changed in it, for an audit log:
 * o->changes {path: value now (null: removed)} and o->change_versions
 * {path: version now} (a path the form cleared, as not relevant any more,
 * may have none) with the record's default "_", and "_deleted" when the
 * merge deleted the record. The fields of a removed item are not among
 * them: they went with it (an edit of one lost to the removal, and is
 * among the losers). -1 when out of memory. */
static int changed_paths(merge_state *m, const saola__form *f, json_t *paths,
                         saola__merge_out *o)
{
	json_t *rdel = json_object_get(m->r->versions, "_deleted");
	json_t *ldel = json_object_get(m->local_versions, "_deleted");
	json_t *entered = saola__entered(f, o->doc), *v;
	json_t *flat = entered ? saola__flatten(f, entered) : NULL;
	const char *path;
	int fail = !flat || saola__flat_add_review(flat, o->state, o->comment) != 0;

	o->changes = json_object();
	o->change_versions = json_object();
	fail |= !o->changes || !o->change_versions;
	if (!fail)
		json_object_foreach(paths, path, v)
			fail |= changed_path(m, flat, path, o->changes, o->change_versions);
	if (!fail)
		json_object_foreach(flat, path, v)
			if (!json_object_get(paths, path))
				fail |= changed_path(m, flat, path, o->changes, o->change_versions);
	if (!fail && saola__version_cmp(rdel, ldel) > 0)
		fail |= json_object_set_new(o->changes, "_deleted", json_true()) ||
		        json_object_set(o->change_versions, "_deleted", rdel);
	if (!fail && (v = json_object_get(m->out_versions, "_")))
		fail |= json_object_set(o->change_versions, "_", v);
	json_decref(entered);
	json_decref(flat);
	return fail ? -1 : 0;
}

/* What a merge that created the record stored, for an audit log: its
 * answers as stored (o->answers), and the paths that carry versions of
 * their own, their values in o->changes and versions in o->change_versions
 * (with the default "_"): answers edited before the record reached here,
 * the review paths, the tombstone. Cheaper than changed_paths: the answers
 * are not flattened unless some answer has a version of its own. -1 when
 * out of memory. */
static int created_paths(merge_state *m, const saola__form *f, saola__merge_out *o)
{
	json_t *rdel = json_object_get(m->r->versions, "_deleted");
	json_t *flat = NULL, *v, *now;
	const char *path;
	int fail;

	o->answers = saola__entered(f, o->doc);
	o->changes = json_object();
	o->change_versions = json_object();
	fail = !o->answers || !o->changes || !o->change_versions;
	json_object_foreach(m->out_versions, path, v) {
		if (fail)
			break;
		if (strcmp(path, "_") == 0 || strcmp(path, "_deleted") == 0)
			continue;
		if (strcmp(path, SAOLA__P_STATE) == 0) {
			now = strcmp(o->state, "draft") != 0 ? json_string(o->state) : json_null();
		} else if (strcmp(path, SAOLA__P_COMMENT) == 0) {
			now = o->comment ? json_string(o->comment) : json_null();
		} else {
			if (!flat && !(flat = saola__flatten(f, o->answers))) {
				fail = 1;
				break;
			}
			if (item_removed(flat, m->out_versions, path))
				continue; /* it went with its item */
			now = json_object_get(flat, path);
			now = now ? json_incref(now) : json_null();
		}
		fail |= !now || json_object_set_new(o->changes, path, now) != 0 ||
		        json_object_set(o->change_versions, path, v) != 0;
	}
	if (!fail && rdel)
		fail |= json_object_set_new(o->changes, "_deleted", json_true()) != 0 ||
		        json_object_set(o->change_versions, "_deleted", rdel) != 0;
	if (!fail && (v = json_object_get(m->out_versions, "_")))
		fail |= json_object_set(o->change_versions, "_", v) != 0;
	json_decref(flat);
	return fail ? -1 : 0;
}

/* Takes the merged review paths out of flat, for the form never sees them:
 * the state into o->state (draft when there is none), the comment into
 * o->comment (malloc()ed, NULL when none), their values into *st and *cm
 * (new references, NULL when absent) to put back. SAOLA_INVALID for a
 * state or a comment of the wrong kind. */
static int take_review(const char *id, json_t *flat, saola__merge_out *o, json_t **st,
                       json_t **cm, char *err, size_t errlen)
{
	*st = json_incref(json_object_get(flat, SAOLA__P_STATE));
	*cm = json_incref(json_object_get(flat, SAOLA__P_COMMENT));
	if (*st && !saola__state_valid(json_string_value(*st))) {
		snprintf(err, errlen, "record %s: _state: expected draft, submitted, returned or"
		         " approved", id);
		return SAOLA_INVALID;
	}
	if (*cm && !json_is_string(*cm)) {
		snprintf(err, errlen, "record %s: _comment: expected text", id);
		return SAOLA_INVALID;
	}
	snprintf(o->state, sizeof o->state, "%s", *st ? json_string_value(*st) : "draft");
	if (*cm && !(o->comment = strdup(json_string_value(*cm))))
		return SAOLA_NOMEM;
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
static int check_values(const saola__form *f, const saola__rec_state *r, int own, char *err,
                        size_t errlen)
{
	const char *path;
	json_t *v;
	char msg[256];

	json_object_foreach(r->values, path, v)
		if ((json_is_string(v) &&
		     saola__form_check_text(f, path, json_string_value(v), json_string_length(v),
		                            msg, sizeof msg) != SAOLA_OK) ||
		    (own && saola__form_check_value(f, path, v, msg, sizeof msg) != SAOLA_OK)) {
			snprintf(err, errlen, "record %s: %s", r->record_id, msg);
			return SAOLA_INVALID;
		}
	return SAOLA_OK;
}

/* Rebuilds the merged record from m->out_flat, checks and computes it with
 * the form into o->doc (o->issues what the combination breaks), and what
 * changed when flags ask. */
static int process(merge_state *m, const saola__form *f, const saola__params_src *params,
                   json_t *paths, unsigned flags, saola__merge_out *o, char *err,
                   size_t errlen)
{
	json_t *merged = NULL, *st = NULL, *cm = NULL;
	char why[448]; /* the room saola__apply_remote always gave the form */
	int rc;

	/* The review paths go to their columns; the form never sees them. */
	if ((rc = take_review(m->r->record_id, m->out_flat, o, &st, &cm, err, errlen)) !=
	    SAOLA_OK)
		goto out;
	merged = saola__unflatten_onto(f, NULL, m->out_flat);
	if ((st && json_object_set(m->out_flat, SAOLA__P_STATE, st) != 0) ||
	    (cm && json_object_set(m->out_flat, SAOLA__P_COMMENT, cm) != 0) || !merged) {
		rc = SAOLA_NOMEM;
		goto out;
	}
	/* The form sees the items in the order they are stored in (by the
	 * version that created them, then by id), as on every replica:
	 * position(..) and indexed-repeat() read it. */
	saola__sort_items(f, merged, m->out_versions);
	/* A merge of edits each checked where they were made is kept even when
	 * their combination fails the form (refusing it would stop the sync
	 * that carries it for good); a sender's own new record must pass. */
	if ((flags & SAOLA__MERGE_OWN_CREATION) && o->created)
		rc = saola__form_process(f, merged, params, NULL, &o->doc, why, sizeof why);
	else
		rc = saola__form_process_merged(f, merged, params, &o->doc, &o->issues, why,
		                                sizeof why);
	if (rc != SAOLA_OK) {
		snprintf(err, errlen, "record %s: %s", m->r->record_id, why);
		goto out;
	}
	if ((flags & SAOLA__MERGE_CHANGES) &&
	    (o->created ? created_paths(m, f, o) : changed_paths(m, f, paths, o)) != 0)
		rc = SAOLA_NOMEM;
	else
		saola__sort_items(f, o->doc, m->out_versions);
out:
	json_decref(merged);
	json_decref(st);
	json_decref(cm);
	return rc;
}

int saola__merge_states(const saola__form *f, const saola__params_src *params,
                        const saola__rec_state *stored, const saola__rec_state *incoming,
                        const json_t *base, unsigned flags, saola__merge_out *out,
                        char *err, size_t errlen)
{
	merge_state m;
	json_t *paths = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	memset(&m, 0, sizeof m);
	err[0] = '\0';
	rc = check_values(f, incoming, (flags & SAOLA__MERGE_OWN_CREATION) != 0, err, errlen);
	if (rc != SAOLA_OK)
		goto out;
	m.r = incoming, m.base = base, m.out = out;
	m.local_flat = stored && stored->values ? json_incref(stored->values) : json_object();
	m.local_versions = stored && stored->versions ? json_incref(stored->versions)
	                                              : json_object();
	m.out_flat = json_copy(m.local_flat);
	m.out_versions = json_copy(m.local_versions);
	paths = all_paths(f, incoming, m.local_flat, m.local_versions);
	rc = SAOLA_NOMEM;
	if (!m.local_flat || !m.local_versions || !m.out_flat || !m.out_versions || !paths)
		goto out;
	out->created = !stored;
	out->form_id = saola__form_id(f), out->form_version = saola__form_version(f);
	if (!stored) {
		/* Paths with no version of their own take the sender's default. */
		json_t *def = json_object_get(incoming->versions, "_");
		if (def && json_object_set(m.out_versions, "_", def) != 0)
			goto out;
		m.changed = 1;
	}
	if (merge_paths(&m, paths, stored != NULL))
		goto out;
	out->changed = m.changed;
	out->deleted = json_object_get(m.out_versions, "_deleted") != NULL;
	out->values = json_incref(m.out_flat);
	out->versions = json_incref(m.out_versions);
	rc = m.changed ? process(&m, f, params, paths, flags, out, err, errlen) : SAOLA_OK;
out:
	if (rc == SAOLA_NOMEM)
		snprintf(err, errlen, "merge: out of memory");
	if (rc != SAOLA_OK)
		saola__merge_out_free(out);
	json_decref(paths);
	json_decref(m.local_flat);
	json_decref(m.local_versions);
	json_decref(m.out_flat);
	json_decref(m.out_versions);
	return rc;
}

void saola__merge_out_free(saola__merge_out *out)
{
	size_t i;

	for (i = 0; i < out->nlosers; i++) {
		saola__loser *l = &out->losers[i];
		free((char *)l->path);
		json_decref(l->value);
		json_decref(l->version);
		json_decref(l->winner);
		json_decref(l->winner_version);
		json_decref(l->base);
	}
	free(out->losers);
	json_decref(out->values);
	json_decref(out->versions);
	json_decref(out->doc);
	free(out->comment);
	free(out->issues);
	json_decref(out->changes);
	json_decref(out->change_versions);
	json_decref(out->answers);
	memset(out, 0, sizeof *out);
}

json_t *saola__state_values(const saola__form *f, const json_t *doc, const char *state,
                            const char *comment)
{
	json_t *entered = saola__entered(f, doc);
	json_t *flat = entered ? saola__flatten(f, entered) : NULL;

	json_decref(entered);
	if (flat && saola__flat_add_review(flat, state, comment) != 0) {
		json_decref(flat);
		flat = NULL;
	}
	return flat;
}
