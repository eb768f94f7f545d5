/* tierops.c: what a random run does to the world of tierworld.h: the
 * edits of devices and officers, recorded path by path with the version
 * each was made over, for the oracle. */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"
#include "synctest.h"
#include "tierworld.h"
#include "merge.h"
#include "saola_int.h"
#include "saola/sync.h"
#include "bundle.h"
#include "audit.h"
#include "officer.h"
#include "store_sql.h"
#include "upstream.h"
#include "users.h"
#include "versions.h"
#include "wire.h"

/* ------------------------------------------------------------------ */
/* A record's state by path, and the edits a local write makes         */

/* The item path of an item's field path, into item; 0 for other paths. */
static int item_of(const char *path, char *item, size_t len)
{
	const char *dot = strchr(path, '.'), *dot2 = dot ? strchr(dot + 1, '.') : NULL;

	if (!dot2 || (size_t)(dot2 - path) >= len)
		return 0;
	memcpy(item, path, (size_t)(dot2 - path));
	item[dot2 - path] = '\0';
	return 1;
}

/* {"val": {path: value}, "ver": {path: version}, "deleted": bool} of a
 * record's state (core's saola__record_state, or the store's
 * saola__records_state: the same shape): every path with a value (its
 * version) and every removal, the entries an answer of a removed member
 * left behind excepted. Takes the reference to state. */
static json_t *snapshot_of(json_t *state)
{
	json_t *vals, *vers, *ver = json_object(), *v, *out;
	const char *k;
	char item[512];

	vals = json_object_get(state, "values");
	vers = json_object_get(state, "versions");
	json_object_foreach(vals, k, v)
		json_object_set(ver, k, saola__version_of(vers, k));
	json_object_foreach(vers, k, v)
		if (strcmp(k, "_") != 0 && !json_object_get(ver, k) &&
		    !(item_of(k, item, sizeof item) && !json_object_get(vals, item)))
			json_object_set(ver, k, v);
	out = json_pack("{s:O, s:o, s:O}", "val", vals, "ver", ver, "deleted",
	                json_object_get(state, "deleted"));
	json_decref(state);
	return out;
}

json_t *tw_snapshot(saola *db, const char *id)
{
	json_t *state = NULL;

	return saola__record_state(db, id, &state) == SAOLA_OK ? snapshot_of(state) : NULL;
}

json_t *tw_store_snapshot(saola__store *s, const char *id)
{
	json_t *state = NULL;
	int rc = saola__records_state(s, id, 0, &state);

	if (rc != SAOLA_OK && rc != SAOLA_NOTFOUND)
		fail_msg("record %s: %s", id, saola__db_errmsg(saola__store_db(s)));
	return rc == SAOLA_OK ? snapshot_of(state) : NULL;
}

void tw_seen_key(char *buf, size_t len, const char *id, const char *path, json_t *v)
{
	snprintf(buf, len, "%s|%s|%" JSON_INTEGER_FORMAT "|%s", id, path,
	         json_integer_value(json_array_get(v, 0)), json_string_value(json_array_get(v, 1)));
}

/* Records the edits between two snapshots of record id on one replica:
 * each path whose version changed is an edit made over the version it had
 * (which the edit has thus seen); a member removed has seen the answers it
 * had there. */
void tw_record_edits(tw_world *w, const char *who, const char *id, json_t *before,
                         json_t *after)
{
	json_t *bv = json_object_get(before, "ver"), *av = json_object_get(after, "ver"), *v;
	const char *path;
	char key[700];

	json_object_foreach(av, path, v) {
		json_t *was = json_object_get(bv, path);
		if (was && saola__version_cmp(was, v) == 0)
			continue;
		json_t *val = json_object_get(json_object_get(after, "val"), path);
		json_array_append_new(w->events, json_pack("[s, s, O, s, O?, O?]", id, path, v, who, was,
		                                           val));
		if (was) {
			tw_seen_key(key, sizeof key, id, path, was);
			json_object_set_new(w->seen, key, json_true());
		}
		if (strchr(path, '.') && !strchr(strchr(path, '.') + 1, '.') &&
		    !json_object_get(json_object_get(after, "val"), path)) {
			const char *p;
			json_t *pv;
			size_t n = strlen(path);
			json_object_foreach(bv, p, pv)
				if (strncmp(p, path, n) == 0 && p[n] == '.') {
					tw_seen_key(key, sizeof key, id, p, pv);
					json_object_set_new(w->seen, key, json_true());
				}
		}
	}
}

/* ------------------------------------------------------------------ */
/* Operations                                                          */

typedef struct ids_ctx {
	json_t *ids;
	const char *state;     /* only records in this state; NULL: any */
} ids_ctx;

static int collect_id(void *ctx, json_t *rec)
{
	ids_ctx *c = ctx;

	if (!c->state || strcmp(json_string_value(json_object_get(rec, "state")), c->state) == 0)
		json_array_append(c->ids, json_object_get(rec, "id"));
	return 0;
}

/* The live records of a device (in a state), as an array of ids. */
json_t *tw_device_ids(saola *db, const char *state)
{
	ids_ctx c = {json_array(), state};
	saola_list_opts o;

	memset(&o, 0, sizeof o);
	assert_int_equal(saola_list(db, &o, collect_id, &c), SAOLA_OK);
	return c.ids;
}

/* The live records of a server's store (in a state). */
json_t *tw_server_ids(saola__store *s, const char *state)
{
	saola__db *db = saola__store_db(s);
	saola__dbstmt *st = NULL;
	json_t *ids = json_array();
	int rc;

	assert_int_equal(saola__db_prepare(db, "SELECT id FROM records WHERE deleted = 0"
	                                   " AND (CAST(? AS TEXT) IS NULL OR state = ?)", &st),
	                 SAOLA_OK);
	assert_int_equal(saola__db_bind_text(st, 1, state, -1), SAOLA_OK);
	assert_int_equal(saola__db_bind_text(st, 2, state, -1), SAOLA_OK);
	while ((rc = saola__db_step(st)) == SAOLA__DB_ROW)
		json_array_append_new(ids, json_string(saola__db_column_text(st, 0)));
	if (rc != SAOLA__DB_DONE)
		fail_msg("records: %s", saola__db_errmsg(db));
	saola__db_finalize(st);
	/* bytewise, whatever the database's collation: a seed picks the same */
	{
		size_t n = json_array_size(ids), i, j;
		for (i = 1; i < n; i++)
			for (j = i; j > 0 && strcmp(json_string_value(json_array_get(ids, j - 1)),
			                            json_string_value(json_array_get(ids, j))) > 0; j--) {
				json_t *t = json_incref(json_array_get(ids, j));
				json_array_set(ids, j, json_array_get(ids, j - 1));
				json_array_set_new(ids, j - 1, t);
			}
	}
	return ids;
}

static const char *pick(tw_world *w, json_t *ids)
{
	size_t n = json_array_size(ids);

	return n ? json_string_value(json_array_get(ids, (size_t)tw_below(w, (int)n))) : NULL;
}

/* Gives the members of a new household ids of the seed's own, so that a
 * seed replays the same members in the same order. The ids rise with the
 * members (their place, then the seed's draw), as the store's own do:
 * items are stored by the version that added them, then by id, and member
 * 1 is the head (household form 2026.2). */
static void name_members(tw_world *w, json_t *h)
{
	json_t *m;
	size_t i;
	char id[16];

	json_array_foreach(json_object_get(h, "members"), i, m) {
		snprintf(id, sizeof id, "%02x%06x", (unsigned)i & 0xffu,
		         (unsigned)(tw_next(w) & 0xffffffu));
		json_object_set_new(m, "_id", json_string(id));
	}
}

/* A random edit of a record's answers (data for saola_put), given its
 * current data; NULL when there is none to make. */
static json_t *random_edit(tw_world *w, json_t *data, int officer)
{
	static const char *const names[] = {"Đinh Văn Hùng", "Phạm Thị Hoa", "Nguyễn Văn An",
		"Lê Thị Thu", "Trần Văn Bình", "Hoàng Thị Mai"};
	static const char *const villages[] = {"Thôn 1", "Thôn 2", "Xóm Bãi", "Thôn Đông"};
	json_t *members = json_object_get(data, "members"), *m;
	int kind = tw_below(w, officer ? 3 : 8);
	size_t n = json_array_size(members);

	switch (kind) {
	case 0: /* the head's name: member 1's, which head_name is computed from */
		return n ? json_pack("{s:[{s:O, s:s}]}", "members", "_id",
		                     json_object_get(json_array_get(members, 0), "_id"), "name",
		                     names[tw_below(w, 6)])
		         : NULL;
	case 1:
		return json_pack("{s:i}", "income_per_capita", 800000 + 50000 * tw_below(w, 30));
	case 2:
		return json_pack("{s:s}", "village", villages[tw_below(w, 4)]);
	case 3: case 4:
		if (!n)
			return NULL;
		m = json_array_get(members, (size_t)tw_below(w, (int)n));
		return tw_below(w, 2)
		       ? json_pack("{s:[{s:O, s:s}]}", "members", "_id", json_object_get(m, "_id"),
		                   "name", names[tw_below(w, 6)])
		       : json_pack("{s:[{s:O, s:b}]}", "members", "_id", json_object_get(m, "_id"),
		                   "health_insurance", tw_below(w, 2));
	case 5:
		/* a member added: one of a household made for the purpose */
		{
			saola_gen_opts o;
			json_t *h, *add = NULL;
			memset(&o, 0, sizeof o);
			o.commune = json_string_value(json_object_get(data, "commune"));
			h = saola_gen_household(w->gen, &o);
			if (h && json_array_size(json_object_get(h, "members")) > 0) {
				name_members(w, h);
				add = json_pack("{s:[O]}", "members",
				                json_array_get(json_object_get(h, "members"), 0));
				/* the head of the household drawn joins this one as a
				 * relative: it has one head, member 1 */
				json_object_set_new(json_array_get(json_object_get(add, "members"), 0),
				                    "relation", json_string("other"));
			}
			json_decref(h);
			return add;
		}
	case 6:
		/* a member removed, never the first one (the same on every
		 * replica): removals made concurrently never leave none */
		if (n < 2)
			return NULL;
		m = json_array_get(members, 1 + (size_t)tw_below(w, (int)n - 1));
		return json_pack("{s:[{s:O, s:b}]}", "members", "_id", json_object_get(m, "_id"),
		                 "_remove", 1);
	default: /* an income and the head's name */
		{
			int income = 900000 + 10000 * tw_below(w, 50);
			const char *name = names[tw_below(w, 6)];

			return n ? json_pack("{s:i, s:[{s:O, s:s}]}", "income_per_capita", income,
			                     "members", "_id",
			                     json_object_get(json_array_get(members, 0), "_id"),
			                     "name", name)
			         : json_pack("{s:i}", "income_per_capita", income);
		}
	}
}

/* Runs a write on record id of a device's db and records the edits it
 * made. */
int tw_tracked(tw_world *w, const char *who, saola *db, const char *id, tw_write_fn fn,
               void *arg)
{
	json_t *before = tw_snapshot(db, id), *after;
	int rc;

	rc = fn(w, db, id, arg);
	if (rc == SAOLA_OK && (after = tw_snapshot(db, id))) {
		json_t *empty = json_object();
		tw_record_edits(w, who, id, before ? before : empty, after);
		json_decref(after);
		json_decref(empty);
	}
	json_decref(before);
	return rc;
}

/* Records the edits of record id on store s between before (may be NULL)
 * and now. */
static void store_edits(tw_world *w, const char *who, saola__store *s, const char *id,
                        json_t *before)
{
	json_t *after = tw_store_snapshot(s, id), *empty = json_object();

	if (after)
		tw_record_edits(w, who, id, before ? before : empty, after);
	json_decref(after);
	json_decref(empty);
}

int tw_officer_put(tw_world *w, const char *who, saola__store *s, const char *id,
                   const json_t *changes)
{
	json_t *before = tw_store_snapshot(s, id);
	saola__audit_who aw;
	int rc;

	memset(&aw, 0, sizeof aw);
	aw.source = "officer";
	aw.user_name = who;
	TW_CHECK(s->ops->write_begin(s, 1) == SAOLA_OK, "write: %s", s->ops->errmsg(s));
	rc = saola__records_write_own(s, id, changes, who, &aw, NULL);
	if (rc == SAOLA_OK)
		TW_CHECK(s->ops->end(s, 1) == SAOLA_OK, "commit: %s", s->ops->errmsg(s));
	else
		s->ops->end(s, 0);      /* refused: rolled back */
	if (rc == SAOLA_OK)
		store_edits(w, who, s, id, before);
	json_decref(before);
	return rc;
}

int tw_officer_review(tw_world *w, const char *who, saola__store *s, const char *id,
                      const char *action, const char *comment)
{
	json_t *before = tw_store_snapshot(s, id);
	saola__officer o;
	saola__err e;
	int rc;

	memset(&o, 0, sizeof o);
	memset(&e, 0, sizeof e);
	o.store = s;
	o.by = who;
	rc = saola__review_record(&o, id, action, comment, NULL, &e);
	if (rc == 0)
		store_edits(w, who, s, id, before);
	json_decref(before);
	return rc == 0 ? 0 : saola__err_status(&e);
}

int tw_do_put(tw_world *w, saola *db, const char *id, void *arg)
{
	(void)w;
	return saola_put(db, "household", id, arg, NULL);
}

static int do_delete(tw_world *w, saola *db, const char *id, void *arg)
{
	(void)w;
	(void)arg;
	return saola_delete(db, id);
}

static int do_state(tw_world *w, saola *db, const char *id, void *arg)
{
	const char *const *sc = arg;

	(void)w;
	return saola_set_state(db, id, sc[0], sc[1]);
}

/* An edit that the form or the rules refuse is no failure of the test:
 * the operation just does not happen. */
static int acceptable(int rc)
{
	return rc == SAOLA_OK || rc == SAOLA_AUTH || rc == SAOLA_INVALID || rc == SAOLA_DELETED;
}

void tw_op_create(tw_world *w, int i)
{
	json_t *ids = tw_device_ids(w->dev[i], NULL), *h;
	saola_gen_opts o;
	char id[37];

	if (json_array_size(ids) < MAX_RECORDS) {
		memset(&o, 0, sizeof o);
		o.commune = tw_dev_commune[i];
		h = saola_gen_household(w->gen, &o);
		assert_non_null(h);
		name_members(w, h);
		snprintf(id, sizeof id, "r%016" PRIx64, tw_next(w));
		TW_CHECK(saola_put(w->dev[i], "household", id, h, NULL) == SAOLA_OK, "create: %s",
		      saola_errmsg(w->dev[i]));
		json_decref(h);
		{
			json_t *after = tw_snapshot(w->dev[i], id), *empty = json_object();
			tw_record_edits(w, w->devname[i], id, empty, after);
			json_decref(after);
			json_decref(empty);
		}
	}
	json_decref(ids);
}

void tw_op_device_edit(tw_world *w, int i, int what)
{
	json_t *ids = tw_device_ids(w->dev[i], NULL), *rec = NULL, *edit;
	const char *id = pick(w, ids);
	int rc;

	if (id && saola_get(w->dev[i], id, &rec) == SAOLA_OK) {
		if (what == 1) {
			rc = tw_tracked(w, w->devname[i], w->dev[i], id, do_delete, NULL);
		} else if (what == 2) {
			const char *sc[2] = {"submitted", tw_below(w, 3) ? NULL : "đã sửa"};
			rc = tw_tracked(w, w->devname[i], w->dev[i], id, do_state, (void *)sc);
		} else if ((edit = random_edit(w, json_object_get(rec, "data"), 0))) {
			rc = tw_tracked(w, w->devname[i], w->dev[i], id, tw_do_put, edit);
			json_decref(edit);
		} else {
			rc = SAOLA_OK;
		}
		TW_CHECK(acceptable(rc), "device %d: %s", i, saola_errmsg(w->dev[i]));
	}
	json_decref(rec);
	json_decref(ids);
}

/* An officer's edit, review or resolution on a server (0: central), made
 * as the server's officers make them: through its store. */
void tw_op_officer(tw_world *w, int tier, int what)
{
	saola__store *s = tier == 0 ? w->cstore : w->dstore[tier - 1];
	const char *who = tier ? tw_district_code[tier - 1] : "central";
	json_t *ids = tw_server_ids(s, what == 1 ? "submitted" : NULL), *state = NULL, *edit;
	const char *id = pick(w, ids);
	int rc;

	if (what == 2) {
		/* resolve an open conflict of this tier */
		json_t *list = NULL, *c;
		saola__officer o;
		saola__err e;
		if (saola__conflict_list(s, "open", NULL, 0, &list, &e) == 0 &&
		    (c = json_array_get(list, (size_t)tw_below(w, (int)json_array_size(list) + 1)))) {
			const char *rid = json_string_value(json_object_get(c, "record_id"));
			json_t *before = tw_store_snapshot(s, rid);
			memset(&o, 0, sizeof o);
			o.store = s;
			o.by = "officer";
			if (saola__conflict_resolve(&o, json_integer_value(json_object_get(c, "id")),
			                            tw_below(w, 2) ? "keep" : "lost", NULL, NULL, NULL,
			                            &e) == 0)
				store_edits(w, who, s, rid, before);
			json_decref(before);
		}
		json_decref(list);
	} else if (id && what == 1) {
		/* a move the review process does not allow is no failure */
		rc = tw_officer_review(w, who, s, id, tw_below(w, 2) ? "approve" : "return",
		                       "kiểm tra lại");
		TW_CHECK(rc == 0 || rc == 409, "officer %d: review %s: %d", tier, id, rc);
	} else if (id && saola__records_state(s, id, 0, &state) == SAOLA_OK &&
	           (edit = random_edit(w, json_object_get(state, "values"), 1))) {
		rc = tw_officer_put(w, who, s, id, edit);
		json_decref(edit);
		TW_CHECK(acceptable(rc), "officer %d: %s", tier, s->ops->errmsg(s));
	}
	json_decref(state);
	json_decref(ids);
}
