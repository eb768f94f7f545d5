/* auditcheck.c: the audit log's invariant (auditcheck.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auditcheck.h"
#include "servertest.h"
#include "store_sql.h"
#include "versions.h"

/* "record|path|version" into buf, the version as compact JSON. */
static void key_of(char *buf, size_t len, const char *id, const char *path, const json_t *ver)
{
	char *v = json_dumps(ver, JSON_COMPACT | JSON_ENCODE_ANY);

	snprintf(buf, len, "%s|%s|%s", id, path, v ? v : "?");
	free(v);
}

json_t *ac_creation_paths(const json_t *answers)
{
	json_t *flat = json_object(), *v, *item, *iv;
	const char *k, *ik;
	char path[600];
	size_t i;

	assert_true(json_is_object(answers));
	json_object_foreach((json_t *)answers, k, v) {
		int items = json_is_array(v) && json_array_size(v) > 0;
		json_array_foreach(v, i, item)
			items &= json_is_string(json_object_get(item, "_id"));
		if (!items) {
			json_object_set(flat, k, v);
			continue;
		}
		json_array_foreach(v, i, item) {
			const char *id = json_string_value(json_object_get(item, "_id"));
			snprintf(path, sizeof path, "%s.%s", k, id);
			json_object_set_new(flat, path, json_true());
			json_object_foreach(item, ik, iv)
				if (strcmp(ik, "_id") != 0) {
					snprintf(path, sizeof path, "%s.%s.%s", k, id, ik);
					json_object_set(flat, path, iv);
				}
		}
	}
	return flat;
}

/* Every (record, path, version) of the audit log, as a set: a row's path,
 * or each answer of a new record's row (path NULL, its answers in value). */
static json_t *audited(saola__db *db)
{
	json_t *set = json_object();
	saola__dbstmt *st = NULL;
	char key[1024];
	int rc;

	assert_int_equal(saola__db_prepare(db, "SELECT record_id, path, version, value"
	                                   " FROM audit WHERE version IS NOT NULL", &st), SAOLA_OK);
	while ((rc = saola__db_step(st)) == SAOLA__DB_ROW) {
		const char *id = saola__db_column_text(st, 0);
		const char *path = saola__db_column_text(st, 1);
		json_t *v = json_loads(saola__db_column_text(st, 2), 0, NULL), *answers, *a;
		assert_non_null(v);
		if (path) {
			key_of(key, sizeof key, id, path, v);
			json_object_set_new(set, key, json_true());
		} else {
			json_t *flat;
			const char *p;
			answers = json_loads(saola__db_column_text(st, 3), 0, NULL);
			flat = ac_creation_paths(answers);
			json_object_foreach(flat, p, a) {
				key_of(key, sizeof key, id, p, v);
				json_object_set_new(set, key, json_true());
			}
			json_decref(flat);
			json_decref(answers);
		}
		json_decref(v);
	}
	if (rc != SAOLA__DB_DONE)
		fail_msg("audit: %s", saola__db_errmsg(db));
	saola__db_finalize(st);
	return set;
}

/* 1 when path is an item's field ("members.<id>.name") whose item is not
 * in values (removed: its answers went with it). */
static int of_removed_item(json_t *values, const char *path)
{
	const char *dot = strchr(path, '.'), *dot2 = dot ? strchr(dot + 1, '.') : NULL;
	char item[512];

	if (!dot2 || (size_t)(dot2 - path) >= sizeof item)
		return 0;
	memcpy(item, path, (size_t)(dot2 - path));
	item[dot2 - path] = '\0';
	return json_object_get(values, item) == NULL;
}

static void check_record(saola__store *s, const char *id, json_t *set, json_t *missing)
{
	json_t *state = NULL, *values, *versions, *v;
	const char *path;
	char key[1024];

	if (saola__records_state(s, id, 0, &state) != SAOLA_OK)
		fail_msg("record %s: %s", id, saola__db_errmsg(saola__store_db(s)));
	values = json_object_get(state, "values");
	versions = json_object_get(state, "versions");
	json_object_foreach(values, path, v) {
		key_of(key, sizeof key, id, path, saola__version_of(versions, path));
		if (!json_object_get(set, key))
			json_array_append_new(missing, json_string(key));
	}
	json_object_foreach(versions, path, v) {
		if (strcmp(path, "_") == 0 || json_object_get(values, path) ||
		    of_removed_item(values, path))
			continue;
		key_of(key, sizeof key, id, path, v);
		if (!json_object_get(set, key))
			json_array_append_new(missing, json_string(key));
	}
	json_decref(state);
}

json_t *ac_unaudited(saola__store *s)
{
	saola__db *db = saola__store_db(s);
	json_t *set, *ids = json_array(), *missing = json_array(), *id;
	saola__dbstmt *st = NULL;
	size_t i;
	int rc;

	/* one snapshot: the log and the records as of the same moment */
	assert_int_equal(saola__db_begin_read(db), SAOLA_OK);
	set = audited(db);
	assert_int_equal(saola__db_prepare(db, "SELECT id FROM records", &st), SAOLA_OK);
	while ((rc = saola__db_step(st)) == SAOLA__DB_ROW)
		json_array_append_new(ids, json_string(saola__db_column_text(st, 0)));
	if (rc != SAOLA__DB_DONE)
		fail_msg("records: %s", saola__db_errmsg(db));
	saola__db_finalize(st);
	json_array_foreach(ids, i, id)
		check_record(s, json_string_value(id), set, missing);
	saola__db_end(db, 1);
	json_decref(ids);
	json_decref(set);
	return missing;
}

long ac_rows(const char *db)
{
	return sv_count(db, "SELECT count(*) FROM audit");
}

long ac_entries(const char *db, const char *where)
{
	saola__store *s = sv_store(db);
	saola__dbstmt *st = NULL;
	char q[1024];
	long n = 0;
	int rc;

	snprintf(q, sizeof q, "SELECT CASE WHEN path IS NULL AND action = 'create' THEN 1 ELSE 0"
	         " END, value FROM audit WHERE %s", where);
	if (saola__db_prepare(saola__store_db(s), q, &st) != SAOLA_OK)
		fail_msg("%s", saola__db_errmsg(saola__store_db(s)));
	while ((rc = saola__db_step(st)) == SAOLA__DB_ROW) {
		json_t *answers, *flat;
		if (!saola__db_column_int(st, 0)) {
			n++;
			continue;
		}
		answers = json_loads(saola__db_column_text(st, 1), 0, NULL);
		flat = ac_creation_paths(answers);
		n += json_object_size(flat) ? (long)json_object_size(flat) : 1;
		json_decref(flat);
		json_decref(answers);
	}
	if (rc != SAOLA__DB_DONE)
		fail_msg("%s: %s", q, saola__db_errmsg(saola__store_db(s)));
	saola__db_finalize(st);
	saola__store_close(s);
	return n;
}
