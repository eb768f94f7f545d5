/* test_merge.c: the merge of records between replicas, path by path by
 * version: different fields, the same field, ties, repeat items added,
 * edited and removed, deletes against edits, the conflict log, and merges
 * whose combination fails the form. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "saola_int.h"
#include "merge.h"
#include "wire.h"

typedef struct pair {
	char dir[512];
	saola *a, *b;
	json_t *log; /* the losers reported: [{path, value, winner, stored_lost}] */
} pair;

static int setup(void **state)
{
	pair *p = calloc(1, sizeof *p);

	snprintf(p->dir, sizeof p->dir, "%s", tu_tmpdir("merge"));
	p->a = tu_open(tu_path(p->dir, "a.db"), 0);
	p->b = tu_open(tu_path(p->dir, "b.db"), 0);
	p->log = json_array();
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	pair *p = *state;

	saola_close(p->a);
	saola_close(p->b);
	json_decref(p->log);
	tu_rmtree(p->dir);
	free(p);
	return 0;
}

static int log_loser(void *ctx, const saola__loser *l)
{
	pair *p = ctx;

	json_array_append_new(p->log, json_pack("{s:s, s:O, s:O, s:b}", "path", l->path,
	                                        "value", l->value, "winner", l->winner,
	                                        "stored_lost", l->stored_lost));
	return 0;
}

/* Sends from's whole state of record id to `to` (as a pull does). */
static void send_state(saola *from, saola *to, const char *id)
{
	json_t *wire = NULL;
	saola__remote r;
	char err[256];

	assert_int_equal(saola__wire_record(from, id, &wire), SAOLA_OK);
	if (saola__wire_decode(to, wire, NULL, &r, err, sizeof err) != SAOLA_OK)
		fail_msg("decode: %s", err);
	if (saola__apply_remote(to, &r, NULL, NULL, NULL) != SAOLA_OK)
		fail_msg("apply: %s", saola_errmsg(to));
	saola__wire_remote_free(&r);
	json_decref(wire);
}

/* Sends from's queued changes to `to` (as a push does), logging losers,
 * then acknowledges them. */
static void send_changes(pair *p, saola *from, saola *to)
{
	json_t *ob = NULL, *e;
	size_t i;

	assert_int_equal(saola_outbox_read(from, 0, 0, &ob), SAOLA_OK);
	json_array_foreach(ob, i, e) {
		json_t *wire = saola__wire_from_outbox(e, saola_origin(from));
		saola__remote r;
		char err[256];
		if (saola__wire_decode(to, wire, saola_origin(from), &r, err, sizeof err) != SAOLA_OK)
			fail_msg("decode: %s", err);
		if (saola__apply_remote(to, &r, log_loser, p, NULL) != SAOLA_OK)
			fail_msg("apply: %s", saola_errmsg(to));
		saola__wire_remote_free(&r);
		json_decref(wire);
	}
	json_decref(ob);
	assert_int_equal(saola_outbox_ack(from, 1 << 30), SAOLA_OK);
}

static const char *create(saola *db, const char *text)
{
	static char id[37];
	json_t *d = tu_json(text);

	if (saola_put(db, "survey", NULL, d, id) != SAOLA_OK)
		fail_msg("put: %s", saola_errmsg(db));
	json_decref(d);
	return id;
}

static void edit(saola *db, const char *id, const char *text)
{
	json_t *d = tu_json(text);

	if (saola_put(db, "survey", id, d, NULL) != SAOLA_OK)
		fail_msg("edit: %s", saola_errmsg(db));
	json_decref(d);
}

static json_t *data_of(saola *db, const char *id)
{
	json_t *rec = NULL, *d;

	assert_int_equal(saola_get(db, id, &rec), SAOLA_OK);
	d = json_incref(json_object_get(rec, "data"));
	json_object_set_new(d, "_deleted", json_boolean(json_is_true(json_object_get(rec, "deleted"))));
	json_decref(rec);
	return d;
}

/* Both replicas hold the same record. */
static void assert_converged(pair *p, const char *id)
{
	json_t *a = data_of(p->a, id), *b = data_of(p->b, id);

	if (!json_equal(a, b)) {
		char *sa = json_dumps(a, JSON_SORT_KEYS), *sb = json_dumps(b, JSON_SORT_KEYS);
		fail_msg("replicas differ:\n a: %s\n b: %s", sa, sb);
	}
	json_decref(a);
	json_decref(b);
}

/* A record made on A and copied to B, queues emptied: a common start. */
static const char *shared_record(pair *p, const char *text)
{
	static char id[37];

	snprintf(id, sizeof id, "%s", create(p->a, text));
	send_changes(p, p->a, p->b);
	return id;
}

static void test_different_fields(void **state)
{
	pair *p = *state;
	const char *id = shared_record(p, "{\"name\":\"Lan\",\"age\":30,\"colour\":\"red\"}");
	json_t *d;

	edit(p->a, id, "{\"age\":31}");
	edit(p->b, id, "{\"colour\":\"green\"}");
	send_changes(p, p->a, p->b);
	send_changes(p, p->b, p->a);
	assert_converged(p, id);
	d = data_of(p->a, id);
	assert_int_equal(json_integer_value(json_object_get(d, "age")), 31);
	assert_string_equal(json_string_value(json_object_get(d, "colour")), "green");
	json_decref(d);
	assert_int_equal(json_array_size(p->log), 0); /* no conflict */
}

static void test_same_field(void **state)
{
	pair *p = *state;
	const char *id = shared_record(p, "{\"name\":\"Lan\",\"age\":30}");
	json_t *d, *l;

	edit(p->a, id, "{\"age\":31}");          /* counter 2 on A */
	edit(p->b, id, "{\"name\":\"x\"}");      /* B's clock moves on */
	edit(p->b, id, "{\"age\":40}");          /* a higher counter on B */
	send_changes(p, p->a, p->b);
	send_changes(p, p->b, p->a);
	assert_converged(p, id);
	d = data_of(p->b, id);
	assert_int_equal(json_integer_value(json_object_get(d, "age")), 40);
	json_decref(d);
	/* the losing 31 is in the log, once on each side of the exchange */
	assert_true(json_array_size(p->log) >= 1);
	l = json_array_get(p->log, 0);
	assert_string_equal(json_string_value(json_object_get(l, "path")), "age");
	assert_int_equal(json_integer_value(json_object_get(l, "value")), 31);
	assert_int_equal(json_integer_value(json_object_get(l, "winner")), 40);
}

/* Equal counters: the origin decides, the same way on both sides. */
static void test_tie_broken_by_origin(void **state)
{
	pair *p = *state;
	const char *id = shared_record(p, "{\"name\":\"Lan\"}");
	saola__remote ra, rb;
	json_t *d;

	memset(&ra, 0, sizeof ra);
	ra.record_id = id;
	ra.form_id = "survey";
	ra.values = tu_json("{\"name\":\"from-aaaa\"}");
	ra.versions = tu_json("{\"name\":[100,\"aaaa\"]}");
	rb = ra;
	rb.values = tu_json("{\"name\":\"from-zzzz\"}");
	rb.versions = tu_json("{\"name\":[100,\"zzzz\"]}");
	/* A sees a then z, B sees z then a */
	assert_int_equal(saola__apply_remote(p->a, &ra, NULL, NULL, NULL), SAOLA_OK);
	assert_int_equal(saola__apply_remote(p->a, &rb, NULL, NULL, NULL), SAOLA_OK);
	assert_int_equal(saola__apply_remote(p->b, &rb, NULL, NULL, NULL), SAOLA_OK);
	assert_int_equal(saola__apply_remote(p->b, &ra, NULL, NULL, NULL), SAOLA_OK);
	assert_converged(p, id);
	d = data_of(p->a, id);
	assert_string_equal(json_string_value(json_object_get(d, "name")), "from-zzzz");
	json_decref(d);
	json_decref(ra.values);
	json_decref(ra.versions);
	json_decref(rb.values);
	json_decref(rb.versions);
}

static json_t *kid(json_t *d, int i)
{
	return json_array_get(json_object_get(d, "kids"), (size_t)i);
}

static void test_repeat_add_and_edit(void **state)
{
	pair *p = *state;
	const char *id = shared_record(p, "{\"name\":\"H\",\"kids\":[{\"kid_name\":\"X\",\"kid_age\":3}]}");
	json_t *d = data_of(p->a, id);
	char buf[256];

	snprintf(buf, sizeof buf, "{\"kids\":[{\"_id\":\"%s\",\"kid_age\":4}]}",
	         json_string_value(json_object_get(kid(d, 0), "_id")));
	json_decref(d);
	edit(p->a, id, "{\"kids\":[{\"kid_name\":\"Y\",\"kid_age\":1}]}"); /* a member added */
	edit(p->b, id, buf);                                              /* the first edited */
	send_changes(p, p->a, p->b);
	send_changes(p, p->b, p->a);
	assert_converged(p, id);
	d = data_of(p->a, id);
	assert_int_equal(json_array_size(json_object_get(d, "kids")), 2);
	assert_int_equal(json_integer_value(json_object_get(kid(d, 0), "kid_age")), 4);
	assert_string_equal(json_string_value(json_object_get(kid(d, 1), "kid_name")), "Y");
	/* computed after the merge, never merged */
	assert_int_equal(json_integer_value(json_object_get(d, "kid_count")), 2);
	json_decref(d);
	assert_int_equal(json_array_size(p->log), 0);
}

static void test_repeat_remove_against_edit(void **state)
{
	pair *p = *state;
	const char *id = shared_record(p, "{\"name\":\"H\",\"kids\":[{\"kid_name\":\"X\",\"kid_age\":3},"
	                                  "{\"kid_name\":\"Z\",\"kid_age\":7}]}");
	json_t *d = data_of(p->a, id), *l;
	char rm[256], ed[256];
	const char *kx = json_string_value(json_object_get(kid(d, 0), "_id"));

	snprintf(rm, sizeof rm, "{\"kids\":[{\"_id\":\"%s\",\"_remove\":true}]}", kx);
	snprintf(ed, sizeof ed, "{\"kids\":[{\"_id\":\"%s\",\"kid_age\":5}]}", kx);
	json_decref(d);
	edit(p->a, id, rm); /* A removes the member */
	edit(p->b, id, ed); /* B, offline, corrects the member's age */
	send_changes(p, p->b, p->a); /* B's edit reaches A, where the member is gone */
	send_changes(p, p->a, p->b); /* A's removal reaches B, which edited it */
	assert_converged(p, id);
	d = data_of(p->b, id);
	assert_int_equal(json_array_size(json_object_get(d, "kids")), 1);
	assert_string_equal(json_string_value(json_object_get(kid(d, 0), "kid_name")), "Z");
	json_decref(d);
	/* the removal stands; the edit is not lost: it is in the log, both ways */
	assert_int_equal(json_array_size(p->log), 2);
	l = json_array_get(p->log, 0);
	assert_non_null(strstr(json_string_value(json_object_get(l, "path")), ".kid_age"));
	assert_int_equal(json_integer_value(json_object_get(l, "value")), 5);
	assert_false(json_is_true(json_object_get(l, "stored_lost")));
	l = json_array_get(p->log, 1);
	assert_int_equal(json_integer_value(json_object_get(l, "value")), 5);
	assert_true(json_is_true(json_object_get(l, "stored_lost")));
}

static void test_delete_against_edit(void **state)
{
	pair *p = *state;
	const char *id = shared_record(p, "{\"name\":\"Lan\",\"age\":30}");
	json_t *d, *l;

	assert_int_equal(saola_delete(p->a, id), SAOLA_OK);
	edit(p->b, id, "{\"age\":31}");
	send_changes(p, p->b, p->a); /* the edit reaches the deleted record */
	send_changes(p, p->a, p->b); /* the delete reaches the edited record */
	assert_converged(p, id);
	d = data_of(p->b, id);
	assert_true(json_is_true(json_object_get(d, "_deleted")));
	/* the tombstone keeps the merged answers */
	assert_int_equal(json_integer_value(json_object_get(d, "age")), 31);
	json_decref(d);
	assert_int_equal(json_array_size(p->log), 2);
	l = json_array_get(p->log, 0);
	assert_string_equal(json_string_value(json_object_get(l, "path")), "_deleted");
	assert_false(json_is_true(json_object_get(l, "stored_lost")));
	l = json_array_get(p->log, 1);
	assert_string_equal(json_string_value(json_object_get(l, "path")), "_deleted");
	assert_true(json_is_true(json_object_get(l, "stored_lost")));
}

/* Whole states applied in either order, twice: the same record. */
static void test_state_exchange_converges(void **state)
{
	pair *p = *state;
	const char *id = shared_record(p, "{\"name\":\"Lan\",\"age\":30,\"pets\":[\"cat\"]}");
	json_t *before;

	edit(p->a, id, "{\"age\":31,\"pets\":[\"cat\",\"dog\"]}");
	edit(p->b, id, "{\"name\":\"Lân\",\"age\":null}");
	send_state(p->a, p->b, id);
	send_state(p->b, p->a, id);
	assert_converged(p, id);
	before = data_of(p->a, id);
	send_state(p->a, p->b, id); /* again: nothing changes */
	send_state(p->b, p->a, id);
	assert_converged(p, id);
	{
		json_t *after = data_of(p->a, id);
		assert_true(json_equal(before, after));
		json_decref(after);
	}
	json_decref(before);
}

static const char *issues_of(saola *db, const char *id, json_t **rec)
{
	assert_int_equal(saola_get(db, id, rec), SAOLA_OK);
	return json_string_value(json_object_get(*rec, "issues"));
}

/* Two edits, each valid where it was made, whose combination fails the
 * form's constraint: the merge is kept on both sides (refusing it would
 * stop every later sync of the sender), with the failure as the record's
 * issues, the same on both; the next local edit must mend it. */
static void test_merge_breaks_constraint(void **state)
{
	pair *p = *state;
	json_t *d = tu_json("{\"budget\":10,\"spent\":5}"), *ra = NULL, *rb = NULL;
	char id[37];
	const char *ia, *ib;

	assert_int_equal(saola_put(p->a, "budget", NULL, d, id), SAOLA_OK);
	json_decref(d);
	send_changes(p, p->a, p->b);
	d = tu_json("{\"budget\":6}");
	assert_int_equal(saola_put(p->a, "budget", id, d, NULL), SAOLA_OK);
	json_decref(d);
	d = tu_json("{\"spent\":8}");
	assert_int_equal(saola_put(p->b, "budget", id, d, NULL), SAOLA_OK);
	json_decref(d);
	send_changes(p, p->a, p->b);
	send_changes(p, p->b, p->a);
	assert_converged(p, id);
	ia = issues_of(p->a, id, &ra);
	ib = issues_of(p->b, id, &rb);
	assert_non_null(ia);
	assert_non_null(strstr(ia, "spent: constraint failed: more than the budget"));
	assert_string_equal(ia, ib);
	json_decref(ra);
	json_decref(rb);

	/* An edit that leaves it broken is refused; one that mends it clears it. */
	d = tu_json("{\"note\":\"x\"}");
	assert_int_equal(saola_put(p->a, "budget", id, d, NULL), SAOLA_INVALID);
	json_decref(d);
	d = tu_json("{\"budget\":9}");
	assert_int_equal(saola_put(p->a, "budget", id, d, NULL), SAOLA_OK);
	json_decref(d);
	assert_null(issues_of(p->a, id, &ra));
	json_decref(ra);
	send_changes(p, p->a, p->b);
	assert_null(issues_of(p->b, id, &rb));
	json_decref(rb);
	assert_converged(p, id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_different_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_field, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tie_broken_by_origin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repeat_add_and_edit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repeat_remove_against_edit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_against_edit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_exchange_converges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_breaks_constraint, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
