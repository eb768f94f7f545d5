/* test_tiers.c: tiers worked through: a district server pushes what its
 * devices sent to the central (province) server and pulls what changed
 * there; a concurrent edit between tiers is logged at the central server
 * and its resolution comes down to the device; a district syncs by bundle
 * file; saola-server sync uses the upstream saved the first time; a
 * district server started with an upstream syncs from its thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <curl/curl.h>

#include "testutil.h"
#include "servertest.h"
#include "synctest.h"
#include "tierworld.h"
#include "saola_int.h"
#include "saola/server.h"
#include "officer.h"
#include "store_sql.h"
#include "upstream.h"
#include "backup.h"

/* The first column of sql's first row (a count) on a server's store. */
static long count_rows(saola__store *s, const char *sql)
{
	saola__db *db = saola__store_db(s);
	saola__dbstmt *st = NULL;
	long n = -1;

	if (saola__db_prepare(db, sql, &st) != SAOLA_OK)
		fail_msg("%s: %s", sql, saola__db_errmsg(db));
	if (saola__db_step(st) == SAOLA__DB_ROW)
		n = (long)saola__db_column_int(st, 0);
	saola__db_finalize(st);
	return n;
}

static json_t *answer(saola *db, const char *id, const char *name)
{
	json_t *rec = NULL, *v;

	assert_int_equal(saola_get(db, id, &rec), SAOLA_OK);
	v = json_incref(json_object_get(json_object_get(rec, "data"), name));
	json_decref(rec);
	return v;
}

/* A district pushes what its devices sent and pulls what changed above; a
 * concurrent edit between the central tier and a device is logged at the
 * central server and its resolution comes down to the device; a district
 * syncs by bundle; saola-server sync uses the saved upstream; a district
 * server started with an upstream syncs from its thread, and stops
 * cleanly. */
static void test_tiers(void **state)
{
	tw_world w;
	saola__upstream_stats st;
	saola__officer o;
	saola__err e;
	json_t *ids, *edit, *list = NULL, *v;
	char rid[64], out[4096], err[4096], cmd[2048], head[128];
	const char *id;
	int rc;

	(void)state;
	tw_world_open(&w, 99, "tiers");
	/* a device's households reach the district, then the central server */
	tw_op_create(&w, 0);
	tw_op_create(&w, 0);
	tw_device_sync(&w, 0);
	assert_int_equal(saola__upstream_sync(w.dstore[0], NULL, w.curl_, w.dtok[0], &st, &e), 0);
	w.upstream_saved[0] = 1;
	assert_int_equal(st.pushed, 2);
	assert_int_equal(count_rows(w.cstore, "SELECT count(*) FROM records"), 2);
	assert_int_equal(count_rows(w.dstore[0], "SELECT count(*) FROM upstream_records"), 2);
	assert_int_equal(saola__upstream_sync(w.dstore[0], NULL, NULL, NULL, &st, &e), 0);
	assert_int_equal(st.pushed, 0);
	assert_int_equal(st.pulled, 0);
	/* the other district sees none of them */
	assert_int_equal(saola__upstream_sync(w.dstore[1], NULL, w.curl_, w.dtok[1], &st, &e), 0);
	w.upstream_saved[1] = 1;
	assert_int_equal(st.pulled, 0);
	/* the central tier and a device change one answer concurrently: the
	 * head's name (member 1's, which head_name is computed from) */
	ids = tw_device_ids(w.dev[0], NULL);
	snprintf(rid, sizeof rid, "%s", json_string_value(json_array_get(ids, 0)));
	json_decref(ids);
	st_head_path(w.dev[0], rid, head, sizeof head);
	edit = json_pack("{s:s}", head, "Bùi Văn Tỉnh"); /* flat paths, as an officer's */
	assert_int_equal(tw_officer_put(&w, "central", w.cstore, rid, edit), 0);
	json_decref(edit);
	edit = st_head_edit(w.dev[0], rid, "Bùi Văn Tính");
	assert_int_equal(tw_tracked(&w, "surveyor0", w.dev[0], rid, tw_do_put, edit), 0);
	json_decref(edit);
	tw_device_sync(&w, 0);
	assert_int_equal(saola__upstream_sync(w.dstore[0], NULL, NULL, NULL, &st, &e), 0);
	assert_int_equal(st.pushed, 1);
	assert_int_equal(st.conflicts, 1);
	assert_int_equal(saola__conflict_list(w.cstore, "open", "372", 0, &list, &e), 0);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "path")),
	                    head);
	/* resolved at the central tier: the value that lost comes down */
	memset(&o, 0, sizeof o);
	o.store = w.cstore;
	o.by = "province officer";
	assert_int_equal(saola__conflict_resolve(&o, json_integer_value(json_object_get(
	        json_array_get(list, 0), "id")), "lost", NULL, "asked the village head", &v, &e), 0);
	json_decref(list);
	assert_int_equal(saola__upstream_sync(w.dstore[0], NULL, NULL, NULL, &st, &e), 0);
	assert_int_equal(st.pulled, 1);
	tw_device_sync(&w, 0);
	{
		json_t *lost = json_object_get(json_object_get(v, "lost"), "value"), *now;
		now = answer(w.dev[0], rid, "head_name");
		assert_true(json_equal(now, lost));
		json_decref(now);
	}
	json_decref(v);
	/* a district syncs by bundle file */
	tw_op_create(&w, 3);
	tw_device_sync(&w, 3);
	tw_district_bundle(&w, 1);
	assert_int_equal(count_rows(w.cstore, "SELECT count(*) FROM records WHERE district"
	                            " = '373'"), 1);
	assert_int_equal(saola__upstream_sync(w.dstore[1], NULL, NULL, NULL, &st, &e), 0);
	assert_int_equal(st.pushed, 0);
	/* the command, with the upstream saved the first time */
	snprintf(cmd, sizeof cmd, "'%s' sync --db '%s'", st_server_bin(), w.ddb[0]);
	rc = tu_run(cmd, out, sizeof out, err, sizeof err);
	if (rc != 0)
		fail_msg("%s: %d: %s", cmd, rc, err);
	assert_non_null(strstr(out, "synced: 0 records sent, 0 received"));
	snprintf(cmd, sizeof cmd, "'%s' sync --db '%s' --upstream %s", st_server_bin(), w.ddb[0],
	         w.curl_);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 2);
	snprintf(cmd, sizeof cmd, "'%s' serve --db '%s' --listen 127.0.0.1:0 --upstream %s",
	         st_server_bin(), w.ddb[0], w.curl_);
	assert_int_equal(tu_run(cmd, out, sizeof out, err, sizeof err), 2);
	assert_non_null(strstr(err, "--upstream and --token go together"));
	/* a district server with an upstream syncs from its thread; stopped at
	 * once, it has synced once, and stops cleanly */
	tw_op_create(&w, 1);
	tw_device_sync(&w, 1);
	ids = tw_device_ids(w.dev[1], NULL);
	saola_server_stop(w.dist[0]);
	{
		saola_server_opts so;
		memset(&so, 0, sizeof so);
		so.db_path = w.ddb[0];     /* a path, or its PostgreSQL URI (pgt_db) */
		so.listen = "127.0.0.1:0";
		so.upstream = "";
		so.sync_interval = 3600;
		w.dist[0] = NULL;
		if (saola_server_start(&so, &w.dist[0]) != SAOLA_OK)
			fail_msg("start: %s", saola_server_errmsg(w.dist[0]));
		saola_server_stop(w.dist[0]);
		w.dist[0] = tw_start_server_again(w.ddb[0]);
	}
	id = json_string_value(json_array_get(ids, json_array_size(ids) - 1));
	snprintf(cmd, sizeof cmd, "SELECT count(*) FROM records WHERE id = '%s'", id);
	assert_int_equal(count_rows(w.cstore, cmd), 1);
	json_decref(ids);
	tw_world_close(&w);
}

/* The central server restored from a backup (docs/protocol.md, "Epoch"):
 * the district's next sync gets 409 epoch_changed, sends every record up
 * again and pulls from the start; the restored server then holds the
 * household it lost. SQLite only: a PostgreSQL central server is
 * restored with pg_restore (docs/backup.md). */
static void test_upstream_restored(void **state)
{
	tw_world w;
	saola__upstream_stats st;
	saola__backup_info info;
	saola__err e;
	saola_server *again;
	char file[700], newdb[700], url[64];

	(void)state;
	tw_world_open(&w, 7, "uprestored");
	if (saola__store_is_uri(w.cdb)) {
		tw_world_close(&w);
		skip();
	}
	tw_op_create(&w, 0);
	tw_op_create(&w, 0);
	tw_device_sync(&w, 0);
	assert_int_equal(saola__upstream_sync(w.dstore[0], NULL, w.curl_, w.dtok[0], &st, &e), 0);
	snprintf(file, sizeof file, "%s/central" SAOLA__BACKUP_SUFFIX, w.dir);
	snprintf(newdb, sizeof newdb, "%s/central-restored.db", w.dir);
	if (saola__backup_write(w.cdb, file, &info, &e) != 0)
		fail_msg("backup: %s", e.message);
	tw_op_create(&w, 0);
	tw_device_sync(&w, 0);
	assert_int_equal(saola__upstream_sync(w.dstore[0], NULL, NULL, NULL, &st, &e), 0);
	assert_int_equal(st.pushed, 1);
	assert_int_equal(count_rows(w.cstore, "SELECT count(*) FROM records"), 3);
	if (saola__backup_restore(file, newdb, NULL, &e) != 0)
		fail_msg("restore: %s", e.message);
	assert_int_equal(tu_count(newdb, "SELECT count(*) FROM records"), 2);
	again = tw_start_server_again(newdb);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", saola_server_port(again));
	if (saola__upstream_sync(w.dstore[0], NULL, url, w.dtok[0], &st, &e) != 0)
		fail_msg("district after the restore: %s", e.message);
	assert_int_equal(st.pushed, 3);
	assert_int_equal(saola__upstream_sync(w.dstore[0], NULL, NULL, NULL, &st, &e), 0);
	assert_int_equal(st.pushed, 0);
	saola_server_stop(again);
	assert_int_equal(tu_count(newdb, "SELECT count(*) FROM records"), 3);
	tw_world_close(&w);
}

/* The version of form id current on a device, as a new string. */
static char *current_version(saola *db, const char *id)
{
	json_t *list = NULL, *f;
	char *ver = NULL;
	size_t i;

	assert_int_equal(saola_forms_list(db, &list), SAOLA_OK);
	json_array_foreach(list, i, f)
		if (strcmp(json_string_value(json_object_get(f, "id")), id) == 0 &&
		    json_is_true(json_object_get(f, "current")))
			ver = strdup(json_string_value(json_object_get(f, "version")));
	json_decref(list);
	assert_non_null(ver);
	return ver;
}

/* The version of form id current on a server's store, as a new string. */
static char *store_current_version(saola__store *s, const char *id)
{
	json_t *cur = NULL;
	char *ver;

	assert_int_equal(s->ops->forms_current(s, &cur), SAOLA_OK);
	assert_true(json_is_string(json_object_get(cur, id)));
	ver = strdup(json_string_value(json_object_get(cur, id)));
	json_decref(cur);
	assert_non_null(ver);
	return ver;
}

/* A new version of the household form loaded at the province reaches a
 * district at its next sync, then the district's devices, which can
 * answer its new question; records of it merge at every tier. */
static void test_forms_from_upstream(void **state)
{
	tw_world w;
	saola__upstream_stats st;
	saola__err e;
	json_t *form, *rec = NULL, *d;
	char dir[700], path[800], id[37], *ver;
	int n = 0;

	(void)state;
	tw_world_open(&w, 7, "tierforms");
	assert_int_equal(saola__upstream_sync(w.dstore[0], NULL, w.curl_, w.dtok[0], &st, &e), 0);
	w.upstream_saved[0] = 1;
	assert_int_equal(st.forms, 0);
	/* the province loads household 2099.1, with one more question */
	form = json_load_file(SAOLA_TEST_SCHEMAS "/forms/household.json", 0, NULL);
	assert_non_null(form);
	json_object_set_new(form, "version", json_string("2099.1"));
	json_array_append_new(json_object_get(form, "fields"),
	                      json_pack("{s:s, s:s, s:s}", "name", "upstream_note", "type", "text",
	                                "label", "note"));
	snprintf(dir, sizeof dir, "%s/newforms", w.dir);
	snprintf(path, sizeof path, "%s/forms", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/forms/household.json", dir);
	assert_int_equal(json_dump_file(form, path, JSON_INDENT(1)), 0);
	json_decref(form);
	assert_int_equal(w.cstore->ops->forms_load(w.cstore, dir, &n), SAOLA_OK);
	assert_int_equal(n, 1);
	/* the district fetches it at its next sync, and only then */
	assert_int_equal(saola__upstream_sync(w.dstore[0], NULL, NULL, NULL, &st, &e), 0);
	assert_true(st.forms >= 1); /* every current form of the province */
	ver = store_current_version(w.dstore[0], "household");
	assert_string_equal(ver, "2099.1");
	free(ver);
	assert_int_equal(saola__upstream_sync(w.dstore[0], NULL, NULL, NULL, &st, &e), 0);
	assert_int_equal(st.forms, 0);
	/* a device of the district gets it from the district and uses it */
	tw_device_sync(&w, 0);
	ver = current_version(w.dev[0], "household");
	assert_string_equal(ver, "2099.1");
	free(ver);
	tw_op_create(&w, 0);
	{
		json_t *ids = tw_device_ids(w.dev[0], NULL);
		snprintf(id, sizeof id, "%s", json_string_value(json_array_get(ids, 0)));
		json_decref(ids);
	}
	d = json_pack("{s:s}", "upstream_note", "hỏi lại trưởng thôn");
	assert_int_equal(saola_put(w.dev[0], "household", id, d, NULL), SAOLA_OK);
	json_decref(d);
	tw_device_sync(&w, 0);
	assert_int_equal(saola__upstream_sync(w.dstore[0], NULL, NULL, NULL, &st, &e), 0);
	assert_int_equal(saola__records_state(w.cstore, id, 0, &rec), SAOLA_OK);
	assert_string_equal(json_string_value(json_object_get(json_object_get(rec, "values"),
	                                                      "upstream_note")), "hỏi lại trưởng thôn");
	json_decref(rec);
	tw_world_close(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tiers),
		cmocka_unit_test(test_forms_from_upstream),
		cmocka_unit_test(test_upstream_restored),
	};

	setenv("SAOLA_SYNC_BACKOFF_MS", "5", 1);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
