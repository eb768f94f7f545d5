/* test_officer_pg.c: an officer's resolution and review do on PostgreSQL
 * what they do on SQLite. The same story runs on a SQLite store and on a
 * PostgreSQL store, through the store (no HTTP): two devices push
 * conflicting head names, the conflict is listed and resolved with the
 * value that lost (an edit of the server's own, above both versions), the
 * record is submitted, approved, edited by a device that had not seen the
 * approval (back to submitted), returned with a comment; each step's
 * outcome is asserted on both. Skipped (77) without SAOLA_TEST_PG
 * (scripts/pg.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "saola/core.h"
#include "officer.h"
#include "pgtest.h"
#include "gen.h"
#include "servertest.h"
#include "store.h"
#include "store_sql.h"
#include "testutil.h"
#include "units.h"

#define D1 "0123456789abcdef"
#define D2 "fedcba9876543210"
#define COMMUNE "14404"

typedef struct world {
	saola__store *s;
	saola__user s1, s2, officer;
	char id[37];
	int batch;
} world;

/* Applies change (taken) from device as u in a batch of its own; returns
 * the conflicts it logged. */
static int64_t push(world *w, const saola__user *u, const char *device, json_t *change)
{
	saola__change_result res;
	saola__apply_ctx ctx;
	char batch[32];

	assert_non_null(change);
	snprintf(batch, sizeof batch, "batch-%d", ++w->batch);
	memset(&ctx, 0, sizeof ctx);
	ctx.device = device, ctx.user = u, ctx.batch = batch, ctx.now = "2026-01-02T00:00:00Z";
	assert_int_equal(w->s->ops->write_begin(w->s, 1), SAOLA_OK);
	if (w->s->ops->apply(w->s, change, &ctx, NULL, &res) != SAOLA_OK)
		fail_msg("apply: %s", w->s->ops->errmsg(w->s));
	assert_int_equal(w->s->ops->end(w->s, 1), SAOLA_OK);
	json_decref(change);
	return res.conflicts;
}

/* A device's submission of record id at version counter (its first move:
 * no base). New reference. */
static json_t *submit(const char *id, int counter)
{
	return json_pack("{s:s, s:s, s:s, s:{s:s}, s:{s:i}}", "r", id, "f", "household", "fv",
	                 "2025.1", "d", "_state", "submitted", "vs", "_state", counter);
}

/* The record's flat state (saola__records_state). New reference. */
static json_t *state_of(world *w)
{
	json_t *st = NULL;

	assert_int_equal(w->s->ops->read_begin(w->s), SAOLA_OK);
	if (saola__records_state(w->s, w->id, 0, &st) != SAOLA_OK)
		fail_msg("record state: %s", w->s->ops->errmsg(w->s));
	w->s->ops->end(w->s, 1);
	return st;
}

static const char *value_at(json_t *st, const char *path)
{
	return json_string_value(json_object_get(json_object_get(st, "values"), path));
}

static long count(world *w, const char *sql)
{
	long n = sv_store_count(w->s, sql);

	assert_true(n >= 0);
	return n;
}

/* The story, on the store at db. */
static void story(const char *db)
{
	saola__officer o;
	saola_gen *g = saola_gen_new(7);
	json_t *list = NULL, *out = NULL, *st, *version;
	const char *origin;
	saola__err e;
	int64_t cid;
	world w;

	memset(&w, 0, sizeof w);
	assert_non_null(g);
	w.s = sv_store_new(db);
	origin = w.s->ops->origin(w.s);
	sv_store_user(w.s, "lan", "surveyor", COMMUNE, &w.s1);
	sv_store_user(w.s, "hung", "surveyor", COMMUNE, &w.s2);
	sv_store_user(w.s, "thu", "commune", COMMUNE, &w.officer);
	memset(&o, 0, sizeof o);
	o.store = w.s, o.by = "thu", o.user = &w.officer;

	/* Two devices edit the head's name (member 1's) over the same version. */
	assert_int_equal(push(&w, &w.s1, D1, sv_household(g, COMMUNE, w.id)), 0);
	assert_int_equal(push(&w, &w.s1, D1, sv_head_edit(w.id, "Nguyễn Văn A", 2, 1, D1)), 0);
	assert_int_equal(push(&w, &w.s2, D2, sv_head_edit(w.id, "Trần Thị B", 2, 1, D1)), 1);
	memset(&e, 0, sizeof e);
	assert_int_equal(saola__conflict_list(w.s, "open", COMMUNE, 0, &list, &e), 0);
	assert_int_equal(json_array_size(list), 1);
	cid = sv_jint(json_array_get(list, 0), "id");
	json_decref(list);

	/* Taking the value that lost: an edit of this server's, above both. */
	assert_int_equal(saola__conflict_resolve(&o, cid, "lost", NULL, "called the head", &out,
	                                         &e), 0);
	assert_string_equal(json_string_value(json_object_get(out, "status")), "resolved");
	version = json_object_get(json_object_get(out, "resolution"), "version");
	assert_string_equal(json_string_value(json_array_get(version, 1)), origin);
	assert_true(json_integer_value(json_array_get(version, 0)) > 2);
	json_decref(out);
	st = state_of(&w);
	assert_string_equal(value_at(st, SV_HEAD_PATH), "Nguyễn Văn A");
	json_decref(st);
	memset(&e, 0, sizeof e);
	assert_int_equal(saola__conflict_resolve(&o, cid, "keep", NULL, NULL, NULL, &e), -1);
	assert_int_equal(e.rc, SAOLA__E_ALREADY_RESOLVED);

	/* Review: a draft cannot be approved; a submitted one can, once. */
	memset(&e, 0, sizeof e);
	assert_int_equal(saola__review_record(&o, w.id, "approve", NULL, NULL, &e), -1);
	assert_int_equal(saola__err_status(&e), 409);
	assert_int_equal(e.rc, SAOLA__E_WRONG_STATE);
	assert_int_equal(push(&w, &w.s1, D1, submit(w.id, 90)), 0);
	assert_int_equal(saola__review_record(&o, w.id, "approve", NULL, &out, &e), 0);
	assert_string_equal(json_string_value(json_object_get(out, "state")), "approved");
	json_decref(out);
	assert_int_equal(saola__review_record(&o, w.id, "approve", NULL, NULL, &e), -1);
	assert_int_equal(e.rc, SAOLA__E_WRONG_STATE);

	/* A device's edit made before it saw the approval sends it back. */
	assert_int_equal(push(&w, &w.s2, D2, sv_edit(w.id, "village", "Xóm 9", 200, 1, D1)), 1);
	st = state_of(&w);
	assert_string_equal(value_at(st, "_state"), "submitted");
	assert_string_equal(value_at(st, "village"), "Xóm 9");
	json_decref(st);

	/* Returned with a comment, which devices pull. */
	assert_int_equal(saola__review_record(&o, w.id, "return", "count the members again", &out,
	                                      &e), 0);
	assert_string_equal(json_string_value(json_object_get(out, "comment")),
	                    "count the members again");
	json_decref(out);
	st = state_of(&w);
	assert_string_equal(value_at(st, "_state"), "returned");
	assert_string_equal(value_at(st, "_comment"), "count the members again");
	json_decref(st);

	/* The audit log names the officer for the resolution and both moves. */
	assert_int_equal(count(&w, "SELECT count(*) FROM audit WHERE source = 'officer'"
	                       " AND user_name = 'thu'"), 4);
	assert_int_equal(count(&w, "SELECT count(*) FROM audit WHERE action = 'resolve'"), 1);
	saola__store_close(w.s);
	saola_gen_free(g);
}

static void test_story_sqlite(void **state)
{
	char path[1024];
	const char *dir = tu_tmpdir("officer_pg");

	(void)state;
	snprintf(path, sizeof path, "%s/server.db", dir);
	story(path);
	tu_rmtree(dir);
}

static void test_story_pg(void **state)
{
	(void)state;
	story(pgt_uri());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_story_sqlite),
		cmocka_unit_test(test_story_pg),
	};

	pgt_require();
	if (!pgt_uri())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
