/* test_store.c: the device store: records, versions, the outbox, batches,
 * migrations and failure paths. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "testutil.h"
#include "saola_int.h"
#include "schema.h"
#include "versions.h"

typedef struct fixture {
	char dir[512];
	char path[1024];
	saola *db;
} fixture;

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);

	snprintf(fx->dir, sizeof fx->dir, "%s", tu_tmpdir("store"));
	snprintf(fx->path, sizeof fx->path, "%s/device.db", fx->dir);
	fx->db = tu_open(fx->path, 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;

	saola_close(fx->db);
	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* Puts JSON text as a new record of form survey; returns its id (static). */
static const char *put_new(saola *db, const char *text)
{
	static char id[37];
	json_t *data = tu_json(text);
	int rc = saola_put(db, "survey", NULL, data, id);

	json_decref(data);
	if (rc != SAOLA_OK)
		fail_msg("put %s: %s", text, saola_errmsg(db));
	return id;
}

static int put_id(saola *db, const char *id, const char *text)
{
	json_t *data = tu_json(text);
	int rc = saola_put(db, "survey", id, data, NULL);

	json_decref(data);
	return rc;
}

static json_t *get_data(saola *db, const char *id)
{
	json_t *rec = NULL;

	if (saola_get(db, id, &rec) != SAOLA_OK)
		fail_msg("get %s: %s", id, saola_errmsg(db));
	return rec;
}

static json_t *outbox(saola *db)
{
	json_t *ob = NULL;

	assert_int_equal(saola_outbox_read(db, 0, 0, &ob), SAOLA_OK);
	return ob;
}

static void test_open_missing(void **state)
{
	saola *db = NULL;
	const char *dir = tu_tmpdir("missing");
	const char *p = tu_path(dir, "nope.db");
	struct stat sb;

	(void)state;
	assert_int_equal(saola_open(p, 0, &db), SAOLA_NOTFOUND);
	assert_non_null(strstr(saola_errmsg(db), "nope.db"));
	saola_close(db);
	assert_int_equal(saola_open(p, SAOLA_OPEN_READONLY, &db), SAOLA_NOTFOUND);
	saola_close(db);
	assert_int_not_equal(stat(p, &sb), 0); /* nothing was created */
	saola_close(NULL);
	tu_rmtree(dir);
}

static void test_open_not_saola(void **state)
{
	const char *dir = tu_tmpdir("notsaola");
	const char *p = tu_path(dir, "other.db"), *g = tu_path(dir, "garbage.db");
	saola *db = NULL;
	sqlite3 *s;
	FILE *f;

	(void)state;
	assert_int_equal(sqlite3_open(p, &s), SQLITE_OK);
	assert_int_equal(sqlite3_exec(s, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	assert_int_equal(saola_open(p, SAOLA_OPEN_CREATE, &db), SAOLA_CORRUPT);
	assert_non_null(strstr(saola_errmsg(db), "not a saola database"));
	saola_close(db);
	f = fopen(g, "w");
	assert_non_null(f);
	fputs("this is not a database, only some text that is long enough to read\n", f);
	fclose(f);
	assert_int_equal(saola_open(g, SAOLA_OPEN_CREATE, &db), SAOLA_CORRUPT);
	saola_close(db);
	tu_rmtree(dir);
}

static void test_origin_and_reopen(void **state)
{
	fixture *fx = *state;
	char origin[32];
	saola *db = NULL;
	json_t *rec, *v;
	const char *id;

	snprintf(origin, sizeof origin, "%s", saola_origin(fx->db));
	assert_int_equal(strlen(origin), 16);
	assert_int_equal(saola_schema_version(fx->db), saola__schema_latest());
	id = put_new(fx->db, "{\"name\":\"An\"}");
	saola_close(fx->db);
	fx->db = NULL;
	assert_int_equal(saola_open(fx->path, 0, &db), SAOLA_OK);
	fx->db = db;
	assert_string_equal(saola_origin(db), origin);
	/* The clock goes on from where it was. */
	assert_int_equal(put_id(db, id, "{\"age\":3}"), SAOLA_OK);
	rec = get_data(db, id);
	v = json_object_get(json_object_get(rec, "meta"), "version");
	assert_int_equal(json_integer_value(json_array_get(v, 0)), 2);
	assert_string_equal(json_string_value(json_array_get(v, 1)), origin);
	json_decref(rec);
}

static void test_put_get(void **state)
{
	fixture *fx = *state;
	const char *id;
	json_t *rec, *data;

	assert_int_equal(saola_set_actor(fx->db, "surveyor-7"), SAOLA_OK);
	id = put_new(fx->db, "{\"name\":\"Đinh Văn Hùng\",\"age\":54,\"height\":1.62,"
	                     "\"happy\":true,\"colour\":\"red\",\"pets\":[\"cat\",\"fish\"],"
	                     "\"kids\":[{\"kid_name\":\"Mai\",\"kid_age\":9}]}");
	assert_int_equal(strlen(id), 36);
	assert_int_equal(id[14], '4'); /* a version 4 UUID */
	rec = get_data(fx->db, id);
	data = json_object_get(rec, "data");
	assert_string_equal(json_string_value(json_object_get(rec, "form")), "survey");
	assert_string_equal(json_string_value(json_object_get(rec, "state")), "draft");
	assert_false(json_is_true(json_object_get(rec, "deleted")));
	assert_string_equal(json_string_value(json_object_get(data, "name")), "Đinh Văn Hùng");
	assert_int_equal(json_integer_value(json_object_get(data, "age")), 54);
	assert_int_equal(json_array_size(json_object_get(data, "pets")), 2);
	/* computed with the record */
	assert_int_equal(json_integer_value(json_object_get(data, "kid_count")), 1);
	/* repeat items get an identity */
	assert_true(json_is_string(json_object_get(
		json_array_get(json_object_get(data, "kids"), 0), "_id")));
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(rec, "meta"), "created_by")), "surveyor-7");
	json_decref(rec);
	assert_int_equal(saola_get(fx->db, "no-such-record", &rec), SAOLA_NOTFOUND);
	assert_null(rec);
}

static void test_update_partial(void **state)
{
	fixture *fx = *state;
	char id[37];
	json_t *rec, *data, *ob, *e, *changes, *base;
	const char *k;
	json_t *v;

	snprintf(id, sizeof id, "%s", put_new(fx->db, "{\"name\":\"A\",\"age\":30,\"colour\":\"red\"}"));
	assert_int_equal(put_id(fx->db, id, "{\"age\":31,\"colour\":null}"), SAOLA_OK);
	rec = get_data(fx->db, id);
	data = json_object_get(rec, "data");
	assert_string_equal(json_string_value(json_object_get(data, "name")), "A");
	assert_int_equal(json_integer_value(json_object_get(data, "age")), 31);
	assert_null(json_object_get(data, "colour"));
	json_decref(rec);

	ob = outbox(fx->db);
	assert_int_equal(json_array_size(ob), 2);
	e = json_array_get(ob, 0);
	assert_string_equal(json_string_value(json_object_get(e, "op")), "put");
	assert_true(json_is_null(json_object_get(e, "base")) || !json_object_get(e, "base"));
	e = json_array_get(ob, 1);
	changes = json_object_get(e, "changes");
	/* only what changed travels */
	assert_int_equal(json_object_size(changes), 2);
	assert_int_equal(json_integer_value(json_object_get(changes, "age")), 31);
	assert_true(json_is_null(json_object_get(changes, "colour")));
	base = json_object_get(e, "base");
	json_object_foreach(base, k, v)
		assert_int_equal(json_integer_value(json_array_get(v, 0)), 1);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(e, "version"), 0)), 2);
	json_decref(ob);

	/* the same answers again: nothing is queued */
	assert_int_equal(put_id(fx->db, id, "{\"age\":31}"), SAOLA_OK);
	ob = outbox(fx->db);
	assert_int_equal(json_array_size(ob), 2);
	json_decref(ob);
}

static void test_put_with_new_id(void **state)
{
	fixture *fx = *state;
	json_t *rec;

	assert_int_equal(put_id(fx->db, "hh-0001", "{\"name\":\"B\"}"), SAOLA_OK);
	rec = get_data(fx->db, "hh-0001");
	assert_string_equal(json_string_value(json_object_get(rec, "id")), "hh-0001");
	json_decref(rec);
	assert_int_equal(put_id(fx->db, "bad id with spaces", "{\"name\":\"B\"}"), SAOLA_INVALID);
	assert_int_equal(put_id(fx->db, "0123456789012345678901234567890123456789", "{}"),
	                 SAOLA_INVALID);
}

static void test_repeat_items(void **state)
{
	fixture *fx = *state;
	char id[37], kid0[16], kid1[16], buf[256];
	json_t *rec, *kids, *ob, *changes;

	snprintf(id, sizeof id, "%s", put_new(fx->db,
	         "{\"name\":\"H\",\"kids\":[{\"kid_name\":\"X\",\"kid_age\":3},"
	         "{\"kid_name\":\"Y\",\"kid_age\":5}]}"));
	rec = get_data(fx->db, id);
	kids = json_object_get(json_object_get(rec, "data"), "kids");
	snprintf(kid0, sizeof kid0, "%s", json_string_value(json_object_get(json_array_get(kids, 0), "_id")));
	snprintf(kid1, sizeof kid1, "%s", json_string_value(json_object_get(json_array_get(kids, 1), "_id")));
	assert_string_not_equal(kid0, kid1);
	json_decref(rec);
	assert_int_equal(saola_outbox_ack(fx->db, 1000), SAOLA_OK);

	/* edit one kid's age by identity, remove the other, add a third */
	snprintf(buf, sizeof buf, "{\"kids\":[{\"_id\":\"%s\",\"kid_age\":4},"
	         "{\"_id\":\"%s\",\"_remove\":true},{\"kid_name\":\"Z\"}]}", kid0, kid1);
	assert_int_equal(put_id(fx->db, id, buf), SAOLA_OK);
	rec = get_data(fx->db, id);
	kids = json_object_get(json_object_get(rec, "data"), "kids");
	assert_int_equal(json_array_size(kids), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(kids, 0), "kid_name")), "X");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(kids, 0), "kid_age")), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(kids, 1), "kid_name")), "Z");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(rec, "data"), "kid_count")), 2);
	json_decref(rec);

	ob = outbox(fx->db);
	assert_int_equal(json_array_size(ob), 1);
	changes = json_object_get(json_array_get(ob, 0), "changes");
	snprintf(buf, sizeof buf, "kids.%s.kid_age", kid0);
	assert_int_equal(json_integer_value(json_object_get(changes, buf)), 4);
	snprintf(buf, sizeof buf, "kids.%s", kid1);
	assert_true(json_is_null(json_object_get(changes, buf)));
	/* the removed item's fields go with it, not one by one */
	snprintf(buf, sizeof buf, "kids.%s.kid_name", kid1);
	assert_null(json_object_get(changes, buf));
	/* computed fields are never queued */
	assert_null(json_object_get(changes, "kid_count"));
	json_decref(ob);

	/* items the edit does not name stay as they were */
	assert_int_equal(put_id(fx->db, id, "{\"kids\":[{\"kid_name\":\"W\"}]}"), SAOLA_OK);
	rec = get_data(fx->db, id);
	kids = json_object_get(json_object_get(rec, "data"), "kids");
	assert_int_equal(json_array_size(kids), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(kids, 0), "kid_name")), "X");
	assert_string_equal(json_string_value(json_object_get(json_array_get(kids, 2), "kid_name")), "W");
	json_decref(rec);
	/* removing an item that is not there is refused */
	assert_int_equal(put_id(fx->db, id, "{\"kids\":[{\"_id\":\"nope\",\"_remove\":true}]}"),
	                 SAOLA_INVALID);
}

static void test_bad_input_changes_nothing(void **state)
{
	static const struct { const char *json; const char *needle; int rc; } cases[] = {
		{"{\"age\":\"abc\"}", "age", SAOLA_INVALID},
		{"{\"age\":1.5}", "age", SAOLA_INVALID},
		{"{\"happy\":\"yes\"}", "happy", SAOLA_INVALID},
		{"{\"colour\":\"blue\"}", "colour", SAOLA_INVALID},
		{"{\"pets\":[\"cat\",\"cow\"]}", "pets", SAOLA_INVALID},
		{"{\"nosuchfield\":1}", "nosuchfield", SAOLA_INVALID},
		{"{\"kids\":[{\"kid_age\":\"x\"}]}", "kids[0].kid_age", SAOLA_INVALID},
		{"{\"kids\":{}}", "kids", SAOLA_INVALID},
		{"{\"kids\":[1]}", "kids[0]", SAOLA_INVALID},
	};
	fixture *fx = *state;
	char id[37];
	uint64_t before;
	size_t i;

	snprintf(id, sizeof id, "%s", put_new(fx->db, "{\"name\":\"A\",\"age\":3}"));
	before = tu_content_hash(fx->path);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *data = tu_json(cases[i].json);
		int rc = saola_put(fx->db, "survey", NULL, data, NULL);
		assert_int_equal(rc, cases[i].rc);
		if (!strstr(saola_errmsg(fx->db), cases[i].needle))
			fail_msg("case %zu: message \"%s\" does not name %s", i,
			         saola_errmsg(fx->db), cases[i].needle);
		rc = saola_put(fx->db, "survey", id, data, NULL);
		assert_int_equal(rc, cases[i].rc);
		json_decref(data);
		assert_true(tu_content_hash(fx->path) == before);
	}
	{
		json_t *data = tu_json("{\"name\":\"x\"}");
		assert_int_equal(saola_put(fx->db, "nosuchform", NULL, data, NULL), SAOLA_NOFORM);
		assert_non_null(strstr(saola_errmsg(fx->db), "nosuchform"));
		assert_int_equal(saola_put(fx->db, "survey", NULL, NULL, NULL), SAOLA_MISUSE);
		json_decref(data);
	}
	assert_true(tu_content_hash(fx->path) == before);
}

static void test_delete(void **state)
{
	fixture *fx = *state;
	char id[37];
	json_t *rec, *ob, *e;
	long n;

	snprintf(id, sizeof id, "%s", put_new(fx->db, "{\"name\":\"D\"}"));
	assert_int_equal(saola_delete(fx->db, id), SAOLA_OK);
	rec = get_data(fx->db, id);
	assert_true(json_is_true(json_object_get(rec, "deleted")));
	json_decref(rec);
	/* a tombstone, never a missing row */
	n = tu_count(fx->path, "SELECT count(*) FROM records WHERE deleted = 1");
	assert_int_equal(n, 1);
	ob = outbox(fx->db);
	e = json_array_get(ob, 1);
	assert_string_equal(json_string_value(json_object_get(e, "op")), "delete");
	assert_int_equal(json_integer_value(json_array_get(json_object_get(e, "version"), 0)), 2);
	json_decref(ob);
	assert_int_equal(saola_delete(fx->db, id), SAOLA_DELETED);
	assert_int_equal(put_id(fx->db, id, "{\"name\":\"E\"}"), SAOLA_DELETED);
	assert_int_equal(saola_delete(fx->db, "nope"), SAOLA_NOTFOUND);
}

typedef struct counter { int n, deleted; } counter;

static int count_cb(void *ctx, json_t *rec)
{
	counter *c = ctx;

	c->n++;
	if (json_is_true(json_object_get(rec, "deleted")))
		c->deleted++;
	return 0;
}

static int stop_cb(void *ctx, json_t *rec)
{
	(void)rec;
	return ++*(int *)ctx == 2 ? 42 : 0;
}

static void test_list(void **state)
{
	fixture *fx = *state;
	saola_list_opts o = {NULL, 0, 1};
	counter c = {0, 0};
	int stops = 0;
	char id[37];

	put_new(fx->db, "{\"name\":\"1\"}");
	put_new(fx->db, "{\"name\":\"2\"}");
	snprintf(id, sizeof id, "%s", put_new(fx->db, "{\"name\":\"3\"}"));
	assert_int_equal(saola_delete(fx->db, id), SAOLA_OK);
	assert_int_equal(saola_list(fx->db, &o, count_cb, &c), SAOLA_OK);
	assert_int_equal(c.n, 2);
	o.include_deleted = 1;
	c.n = c.deleted = 0;
	assert_int_equal(saola_list(fx->db, &o, count_cb, &c), SAOLA_OK);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.deleted, 1);
	o.form_id = "otherform";
	c.n = 0;
	assert_int_equal(saola_list(fx->db, &o, count_cb, &c), SAOLA_OK);
	assert_int_equal(c.n, 0);
	assert_int_equal(saola_list(fx->db, NULL, stop_cb, &stops), 42);
}

static void test_batch(void **state)
{
	fixture *fx = *state;
	uint64_t before = tu_content_hash(fx->path);
	json_t *bad = tu_json("{\"age\":\"x\"}");
	int64_t n;

	assert_int_equal(saola_begin(fx->db), SAOLA_OK);
	assert_int_equal(saola_begin(fx->db), SAOLA_MISUSE);
	put_new(fx->db, "{\"name\":\"1\"}");
	put_new(fx->db, "{\"name\":\"2\"}");
	assert_int_equal(saola_rollback(fx->db), SAOLA_OK);
	assert_true(tu_content_hash(fx->path) == before);
	assert_int_equal(saola_commit(fx->db), SAOLA_MISUSE);

	/* a failed put inside a batch leaves the rest of the batch intact */
	assert_int_equal(saola_begin(fx->db), SAOLA_OK);
	put_new(fx->db, "{\"name\":\"1\"}");
	assert_int_equal(saola_put(fx->db, "survey", NULL, bad, NULL), SAOLA_INVALID);
	put_new(fx->db, "{\"name\":\"2\"}");
	assert_int_equal(saola_commit(fx->db), SAOLA_OK);
	assert_int_equal(saola_outbox_count(fx->db, &n), SAOLA_OK);
	assert_int_equal(n, 2);
	assert_int_equal(tu_count(fx->path, "SELECT count(*) FROM records"), 2);
	/* versions: counters 1 and 2, the rolled-back ticks were not kept */
	assert_int_equal(tu_count(fx->path, "SELECT max(json_extract(version, '$[0]')) FROM outbox"), 2);
	json_decref(bad);
}

static void test_outbox_read_ack(void **state)
{
	fixture *fx = *state;
	json_t *ob;
	int64_t n, seq2;
	int i;

	for (i = 0; i < 5; i++)
		put_new(fx->db, "{\"name\":\"x\"}");
	assert_int_equal(saola_outbox_read(fx->db, 0, 2, &ob), SAOLA_OK);
	assert_int_equal(json_array_size(ob), 2);
	seq2 = json_integer_value(json_object_get(json_array_get(ob, 1), "seq"));
	json_decref(ob);
	assert_int_equal(saola_outbox_read(fx->db, seq2, 100, &ob), SAOLA_OK);
	assert_int_equal(json_array_size(ob), 3);
	json_decref(ob);
	assert_int_equal(saola_outbox_ack(fx->db, seq2), SAOLA_OK);
	assert_int_equal(saola_outbox_count(fx->db, &n), SAOLA_OK);
	assert_int_equal(n, 3);
	/* acknowledging again, or beyond, is harmless */
	assert_int_equal(saola_outbox_ack(fx->db, seq2), SAOLA_OK);
	assert_int_equal(saola_outbox_ack(fx->db, 1000000), SAOLA_OK);
	assert_int_equal(saola_outbox_count(fx->db, &n), SAOLA_OK);
	assert_int_equal(n, 0);
	/* the records stay */
	assert_int_equal(tu_count(fx->path, "SELECT count(*) FROM records"), 5);
	/* a creation read after an edit carries every answer, the required
	 * one edited since included; the edit follows with its own version */
	{
		json_t *d = tu_json("{\"budget\":10}"), *c, *e;
		char id[37];
		assert_int_equal(saola_put(fx->db, "budget", NULL, d, id), SAOLA_OK);
		json_decref(d);
		d = tu_json("{\"budget\":12,\"spent\":3}");
		assert_int_equal(saola_put(fx->db, "budget", id, d, NULL), SAOLA_OK);
		json_decref(d);
		assert_int_equal(saola_outbox_read(fx->db, 0, 0, &ob), SAOLA_OK);
		assert_int_equal(json_array_size(ob), 2);
		c = json_object_get(json_array_get(ob, 0), "changes");
		e = json_object_get(json_array_get(ob, 1), "changes");
		assert_int_equal(json_integer_value(json_object_get(c, "budget")), 12);
		assert_int_equal(json_integer_value(json_object_get(c, "spent")), 3);
		assert_int_equal(json_integer_value(json_object_get(e, "budget")), 12);
		assert_true(saola__version_cmp(json_object_get(json_array_get(ob, 0), "version"),
		                               json_object_get(json_array_get(ob, 1), "version")) < 0);
		json_decref(ob);
	}
}

static void test_state(void **state)
{
	fixture *fx = *state;
	char *v;

	assert_int_equal(saola_state_get(fx->db, "cursor", &v), SAOLA_OK);
	assert_null(v);
	assert_int_equal(saola_state_set(fx->db, "cursor", "1234"), SAOLA_OK);
	assert_int_equal(saola_state_get(fx->db, "cursor", &v), SAOLA_OK);
	assert_string_equal(v, "1234");
	saola_free(v);
	assert_int_equal(saola_state_set(fx->db, "cursor", NULL), SAOLA_OK);
	assert_int_equal(saola_state_get(fx->db, "cursor", &v), SAOLA_OK);
	assert_null(v);
}

static void test_readonly(void **state)
{
	fixture *fx = *state;
	saola *ro = NULL;
	json_t *data = tu_json("{\"name\":\"x\"}"), *rec;
	char id[37];

	snprintf(id, sizeof id, "%s", put_new(fx->db, "{\"name\":\"r\"}"));
	assert_int_equal(saola_open(fx->path, SAOLA_OPEN_READONLY, &ro), SAOLA_OK);
	assert_int_equal(saola_put(ro, "survey", NULL, data, NULL), SAOLA_READONLY);
	assert_int_equal(saola_delete(ro, id), SAOLA_READONLY);
	assert_int_equal(saola_begin(ro), SAOLA_READONLY);
	assert_int_equal(saola_get(ro, id, &rec), SAOLA_OK);
	json_decref(rec);
	saola_close(ro);
	json_decref(data);
}

static void test_form_load_errors(void **state)
{
	fixture *fx = *state;
	uint64_t before = tu_content_hash(fx->path);
	char *id = NULL;

	assert_int_equal(saola_form_load(fx->db, "{not json", &id), SAOLA_INVALID);
	assert_null(id);
	assert_non_null(strstr(saola_errmsg(fx->db), "line 1"));
	assert_int_equal(saola_form_load(fx->db, "[1,2]", NULL), SAOLA_INVALID);
	assert_int_equal(saola_form_load(fx->db,
	        "{\"id\":\"f\",\"version\":\"1\",\"fields\":[{\"name\":\"a\",\"type\":\"txt\"}]}",
	        NULL), SAOLA_INVALID);
	assert_non_null(strstr(saola_errmsg(fx->db), "fields[0]"));
	assert_true(tu_content_hash(fx->path) == before);
	assert_int_equal(saola_forms_load_dir(fx->db, "/nonexistent/schemas", NULL), SAOLA_NOTFOUND);
	/* a good one loads and becomes current */
	assert_int_equal(saola_form_load(fx->db,
	        "{\"id\":\"f\",\"version\":\"2\",\"fields\":[{\"name\":\"a\",\"type\":\"text\"}]}",
	        &id), SAOLA_OK);
	assert_string_equal(id, "f");
	saola_free(id);
}

/* A database made by the first release (schema 1) opens in this build. */
static void test_migration_from_v1(void **state)
{
	const char *dir = tu_tmpdir("migrate");
	const char *p = tu_path(dir, "old.db");
	saola *db = NULL;
	sqlite3 *s;
	json_t *rec;

	(void)state;
	assert_int_equal(sqlite3_open(p, &s), SQLITE_OK);
	assert_int_equal(sqlite3_exec(s, saola__schema_step(1), NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(s,
	        "INSERT INTO meta VALUES ('app','saola'), ('origin','00112233aabbccdd'), ('clock', 7);"
	        "INSERT INTO forms VALUES ('survey','1','{\"id\":\"survey\",\"version\":\"1\","
	        "\"fields\":[{\"name\":\"name\",\"type\":\"text\"}]}','2025-01-01T00:00:00Z',1);"
	        "INSERT INTO records(id, form_id, form_version, data, versions, created_at,"
	        " updated_at, origin) VALUES ('old-1','survey','1','{\"name\":\"Cũ\"}',"
	        " '{\"_\":[7,\"00112233aabbccdd\"]}','2025-01-01T00:00:00Z','2025-01-01T00:00:00Z',"
	        " '00112233aabbccdd');"
	        "PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);

	assert_int_equal(saola_open(p, SAOLA_OPEN_READONLY, &db), SAOLA_READONLY);
	saola_close(db);
	assert_int_equal(saola_open(p, 0, &db), SAOLA_OK);
	assert_int_equal(saola_schema_version(db), saola__schema_latest());
	assert_string_equal(saola_origin(db), "00112233aabbccdd");
	assert_int_equal(saola_get(db, "old-1", &rec), SAOLA_OK);
	assert_string_equal(json_string_value(json_object_get(rec, "state")), "draft");
	assert_string_equal(json_string_value(json_object_get(json_object_get(rec, "data"), "name")), "Cũ");
	json_decref(rec);
	/* the old clock carries on, past the change sequence the upgrade gave
	 * the old record (rowid 1 + clock 7 = 8) */
	assert_int_equal(tu_count(p, "SELECT seq FROM records WHERE id = 'old-1'"), 8);
	assert_int_equal(put_id(db, "old-1", "{\"name\":\"Mới\"}"), SAOLA_OK);
	assert_int_equal(tu_count(p, "SELECT json_extract(version, '$[0]') FROM outbox"), 9);
	saola_close(db);

	/* a database from a newer build is refused, not damaged */
	assert_int_equal(sqlite3_open(p, &s), SQLITE_OK);
	assert_int_equal(sqlite3_exec(s, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	assert_int_equal(saola_open(p, 0, &db), SAOLA_TOONEW);
	assert_non_null(strstr(saola_errmsg(db), "newer"));
	saola_close(db);
	tu_rmtree(dir);
}

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(saola_strerror(SAOLA_OK), "ok");
	assert_string_equal(saola_strerror(SAOLA_NOTFOUND), "not found");
	assert_string_equal(saola_strerror(9999), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_missing),
		cmocka_unit_test(test_open_not_saola),
		cmocka_unit_test_setup_teardown(test_origin_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_partial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_with_new_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repeat_items, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_read_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_load_errors, setup, teardown),
		cmocka_unit_test(test_migration_from_v1),
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
