/* test_audit.c: the append-only audit log: every change the server accepts
 * (devices' syncs, bundles, an officer's resolutions and reviews over HTTP
 * and the command line, a district's push and its pull from upstream) has
 * its row, with the right user, device, batch, record and path, in the
 * same transaction as the change; a replayed or a refused batch adds
 * nothing; values that lost are not in it, nor personal answers; rows
 * cannot be changed or deleted; `saola-server audit` prints a history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "testutil.h"
#include "auditcheck.h"
#include "servertest.h"
#include "synctest.h"
#include "tierworld.h"
#include "saola_int.h"
#include "saola/server.h"
#include "saola/sync.h"
#include "merge.h"
#include "officer.h"
#include "pgtest.h"
#include "store_sql.h"
#include "upstream.h"
#include "wire.h"

typedef struct fixture {
	char dir[512];
	char srvdb[1024];      /* the server's database: a path, or a URI (pgt_db) */
	char url[64];
	saola_server *srv;
	saola__store *check;   /* a connection of the test's own, for reading */
	char *lan, *hung;      /* surveyors of commune 14404 */
	char *officer;         /* its commune officer */
} fixture;

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	saola_server_opts so;
	char err[512];

	assert_non_null(fx);
	snprintf(fx->dir, sizeof fx->dir, "%s", tu_tmpdir("audit"));
	snprintf(fx->srvdb, sizeof fx->srvdb, "%s", pgt_db(tu_path(fx->dir, "server.db")));
	memset(&so, 0, sizeof so);
	so.db_path = fx->srvdb;
	so.listen = "127.0.0.1:0";
	so.schemas = SAOLA_TEST_SCHEMAS;
	if (saola_server_start(&so, &fx->srv) != SAOLA_OK)
		fail_msg("server start: %s", saola_server_errmsg(fx->srv));
	snprintf(fx->url, sizeof fx->url, "http://127.0.0.1:%d", saola_server_port(fx->srv));
	fx->lan = st_user_add(fx->srvdb, "lan", "surveyor", "14404");
	fx->hung = st_user_add(fx->srvdb, "hung", "surveyor", "14404");
	fx->officer = st_user_add(fx->srvdb, "officer", "commune", "14404");
	if (saola__store_open(fx->srvdb, NULL, 0, &fx->check, err, sizeof err) != SAOLA_OK)
		fail_msg("store: %s", err);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;

	saola__store_close(fx->check);
	saola_server_stop(fx->srv);
	free(fx->lan);
	free(fx->hung);
	free(fx->officer);
	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

static void sync_ok(saola *db)
{
	saola_sync_opts o;

	memset(&o, 0, sizeof o);
	if (saola_sync(db, &o, NULL) != SAOLA_OK)
		fail_msg("sync: %s", saola_errmsg(db));
}

/* Every path version of the records of store s is audited. */
static void assert_all_audited(saola__store *s, const char *where)
{
	json_t *missing = ac_unaudited(s);

	if (json_array_size(missing) > 0) {
		char *t = json_dumps(missing, JSON_COMPACT);
		fail_msg("%s: %zu path versions have no audit row: %.600s", where,
		         json_array_size(missing), t);
	}
	json_decref(missing);
}

/* Counts rows: the SQL built from fmt. */
static long count(const char *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static long count(const char *db, const char *fmt, ...)
{
	char sql[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	return sv_count(db, sql);
}

/* The columns of audit, as both stores make it. */
static const char *const audit_cols[] = {"id", "at", "user_id", "user_name", "device",
	"batch", "source", "record_id", "action", "path", "value", "version", "state", "detail"};
#define NAUDIT_COLS (sizeof audit_cols / sizeof audit_cols[0])

/* The audit rows matching where, oldest first: objects of their non-NULL
 * columns, read through the server's store. New reference. */
static json_t *audit_rows(const char *db, const char *where)
{
	saola__store *s = sv_store(db);
	saola__dbstmt *st = NULL;
	json_t *rows = json_array();
	char q[1024];
	size_t i;
	int rc;

	snprintf(q, sizeof q, "SELECT id, at, user_id, user_name, device, batch, source,"
	         " record_id, action, path, value, version, state, detail FROM audit WHERE %s"
	         " ORDER BY id", where);
	if (saola__db_prepare(saola__store_db(s), q, &st) != SAOLA_OK)
		fail_msg("%s: %s", q, saola__db_errmsg(saola__store_db(s)));
	while ((rc = saola__db_step(st)) == SAOLA__DB_ROW) {
		json_t *row = json_object();
		for (i = 0; i < NAUDIT_COLS; i++) {
			saola__db_type t = saola__db_column_type(st, (int)i);
			if (t == SAOLA__DB_INT)
				json_object_set_new(row, audit_cols[i],
				                    json_integer(saola__db_column_int(st, (int)i)));
			else if (t != SAOLA__DB_NULL)
				json_object_set_new(row, audit_cols[i],
				                    json_string(saola__db_column_text(st, (int)i)));
		}
		json_array_append_new(rows, row);
	}
	if (rc != SAOLA__DB_DONE)
		fail_msg("%s: %s", q, saola__db_errmsg(saola__store_db(s)));
	saola__db_finalize(st);
	saola__store_close(s);
	return rows;
}

/* The answers of record id's creation row (path NULL), parsed; fails the
 * test unless there is exactly one. New reference. */
static json_t *created(const char *db, const char *id)
{
	char where[256];
	json_t *rows, *v;

	snprintf(where, sizeof where, "record_id = '%s' AND path IS NULL", id);
	rows = audit_rows(db, where);
	assert_int_equal(json_array_size(rows), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "action")),
	                    "create");
	v = json_loads(json_string_value(json_object_get(json_array_get(rows, 0), "value")), 0,
	               NULL);
	assert_true(json_is_object(v));
	json_decref(rows);
	return v;
}

static const char *col(json_t *row, const char *name)
{
	return json_string_value(json_object_get(row, name));
}

static int64_t user_id(const char *db, const char *name)
{
	char sql[256];

	snprintf(sql, sizeof sql, "SELECT id FROM users WHERE name = '%s'", name);
	return sv_count(db, sql);
}

/* The answer name of record id on db (a new reference). */
static json_t *answer(saola *db, const char *id, const char *name)
{
	json_t *rec = NULL, *v;

	assert_int_equal(saola_get(db, id, &rec), SAOLA_OK);
	v = json_incref(json_object_get(json_object_get(rec, "data"), name));
	json_decref(rec);
	return v;
}

/* The number of paths of record id's state on a server's store s: each
 * value, and each version of its own without a value (removals, the
 * tombstone). */
static size_t state_paths(saola__store *s, const char *id)
{
	json_t *state = NULL, *vs, *v;
	const char *k;
	size_t n;

	assert_int_equal(saola__records_state(s, id, 0, &state), SAOLA_OK);
	n = json_object_size(json_object_get(state, "values"));
	vs = json_object_get(state, "versions");
	json_object_foreach(vs, k, v)
		if (strcmp(k, "_") != 0 && !json_object_get(json_object_get(state, "values"), k))
			n++;
	json_decref(state);
	return n;
}

static sv_resp post(fixture *fx, const char *path, const char *token, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	sv_resp r;

	assert_non_null(text);
	r = sv_http(fx->url, "POST", path, token, NULL, text, strlen(text), 0);
	free(text);
	return r;
}

/* ------------------------------------------------------------------ */

/* Two surveyors create, edit, delete and submit households and sync; one
 * pushes by bundle; the commune officer resolves conflicts (HTTP and the
 * command line) and reviews records (HTTP and the command line). Every
 * change the server accepted has its row, with who made it; a value that
 * lost has none (it is in the conflict log). */
static void test_every_change_audited(void **state)
{
	fixture *fx = *state;
	saola__store *db = fx->check;
	saola *d1 = st_device(tu_path(fx->dir, "d1.db"), fx->url, fx->lan);
	saola *d2 = st_device(tu_path(fx->dir, "d2.db"), fx->url, fx->hung);
	const char *o1 = saola_origin(d1), *o2 = saola_origin(d2);
	json_t *ids = json_array(), *v, *rows, *row, *rec = NULL;
	char id[3][37], where[512], member[128], out[16384], err[4096], bundle[700], head[128];
	int64_t lan = user_id(fx->srvdb, "lan"), hung = user_id(fx->srvdb, "hung");
	int64_t officer = user_id(fx->srvdb, "officer");
	long before, cid, stored_lost;
	size_t i;
	sv_resp r;

	/* three households made on d1 reach the server: a row each, with every
	 * answer */
	st_put_households(d1, 31, "14404", 3, ids);
	for (i = 0; i < 3; i++)
		snprintf(id[i], sizeof id[i], "%s", json_string_value(json_array_get(ids, i)));
	sync_ok(d1);
	assert_all_audited(db, "after d1's first sync");
	for (i = 0; i < 3; i++) {
		const char *k;
		assert_int_equal(count(fx->srvdb, "SELECT count(*) FROM audit WHERE record_id = '%s'",
		                       id[i]), 1);
		rec = created(fx->srvdb, id[i]);
		v = ac_creation_paths(rec);
		json_decref(rec);
		assert_int_equal(json_object_size(v), state_paths(db, id[i]));
		/* the answers are there, the personal ones are not */
		json_object_foreach(v, k, row) {
			const char *dot = strrchr(k, '.');
			int personal = dot && strcmp(dot, ".name") == 0;
			if (personal)
				assert_true(json_is_null(row));
			else
				assert_false(json_is_null(row));
		}
		if (i == 0) {
			json_t *want = answer(d1, id[0], "income_per_capita");
			assert_true(json_equal(json_object_get(v, "income_per_capita"), want));
			json_decref(want);
			/* computed from member 1's name: no path of its own */
			assert_null(json_object_get(v, "head_name"));
			assert_true(json_is_null(json_object_get(v, st_head_path(d1, id[0], head,
			                                                       sizeof head))));
		}
		json_decref(v);
	}
	assert_int_equal(count(fx->srvdb, "SELECT count(*) FROM audit WHERE detail IS NULL OR"
	                       " detail <> 'personal'"), 0);
	/* each names lan, d1 and a batch that d1 sent as lan */
	assert_int_equal(count(fx->srvdb, "SELECT count(*) FROM audit a WHERE NOT (user_id = %lld"
	                       " AND user_name = 'lan' AND device = '%s' AND source = 'sync' AND"
	                       " action = 'create' AND EXISTS (SELECT 1 FROM batches b WHERE"
	                       " b.batch = a.batch AND b.device = a.device AND b.user_id ="
	                       " a.user_id))", (long long)lan, o1), 0);

	/* d2 takes them, then both edit offline: d2 an income and a member's
	 * removal, d1 a deletion; both the head's name of the first (member
	 * 1's, head_name's source) */
	sync_ok(d2);
	assert_int_equal(saola_get(d2, id[1], &rec), SAOLA_OK);
	snprintf(member, sizeof member, "members.%s", json_string_value(json_object_get(
	         json_array_get(json_object_get(json_object_get(rec, "data"), "members"), 1), "_id")));
	v = json_pack("{s:[{s:s, s:b}]}", "members", "_id", strchr(member, '.') + 1, "_remove", 1);
	assert_int_equal(saola_put(d2, "household", id[1], v, NULL), SAOLA_OK);
	json_decref(v);
	json_decref(rec);
	v = json_pack("{s:i}", "income_per_capita", 1234000);
	assert_int_equal(saola_put(d2, "household", id[0], v, NULL), SAOLA_OK);
	json_decref(v);
	v = st_head_edit(d2, id[0], "Đinh Văn Hưng");
	assert_int_equal(saola_put(d2, "household", id[0], v, NULL), SAOLA_OK);
	json_decref(v);
	v = st_head_edit(d1, id[0], "Đinh Văn Hùng");
	assert_int_equal(saola_put(d1, "household", id[0], v, NULL), SAOLA_OK);
	json_decref(v);
	assert_int_equal(saola_delete(d1, id[2]), SAOLA_OK);
	sync_ok(d1);
	sync_ok(d2);
	assert_all_audited(db, "after the edits");
	/* a personal answer changed: its row without the value */
	assert_int_equal(count(fx->srvdb, "SELECT count(*) FROM audit WHERE path = '%s' AND"
	                       " (value IS NOT NULL OR detail IS NULL OR detail <> 'personal')", head),
	                 0);
	assert_true(count(fx->srvdb, "SELECT count(*) FROM audit WHERE path = '%s'", head) >= 1);
	/* hung's income, as an edit */
	snprintf(where, sizeof where, "record_id = '%s' AND path = 'income_per_capita' AND action ="
	         " 'edit'", id[0]);
	rows = audit_rows(fx->srvdb, where);
	assert_int_equal(json_array_size(rows), 1);
	row = json_array_get(rows, 0);
	assert_string_equal(col(row, "user_name"), "hung");
	assert_int_equal(json_integer_value(json_object_get(row, "user_id")), hung);
	assert_string_equal(col(row, "device"), o2);
	assert_string_equal(col(row, "source"), "sync");
	assert_string_equal(col(row, "value"), "1234000");
	assert_non_null(strstr(col(row, "version"), o2));
	json_decref(rows);
	/* the member's removal: its own path, null; its answers go with it */
	snprintf(where, sizeof where, "record_id = '%s' AND action = 'edit'", id[1]);
	rows = audit_rows(fx->srvdb, where);
	assert_int_equal(json_array_size(rows), 1);
	assert_string_equal(col(json_array_get(rows, 0), "path"), member);
	assert_string_equal(col(json_array_get(rows, 0), "value"), "null");
	json_decref(rows);
	/* lan's deletion */
	snprintf(where, sizeof where, "record_id = '%s' AND action = 'delete'", id[2]);
	rows = audit_rows(fx->srvdb, where);
	assert_int_equal(json_array_size(rows), 1);
	assert_string_equal(col(json_array_get(rows, 0), "path"), "_deleted");
	assert_string_equal(col(json_array_get(rows, 0), "user_name"), "lan");
	assert_string_equal(col(json_array_get(rows, 0), "device"), o1);
	json_decref(rows);
	/* the head's name: lan's came first; hung's is audited only if it won
	 * (else it is in the conflict log, not here) */
	assert_int_equal(count(fx->srvdb, "SELECT count(*) FROM conflicts WHERE path = '%s'", head),
	                 1);
	stored_lost = count(fx->srvdb, "SELECT stored_lost FROM conflicts WHERE path = '%s'", head);
	assert_int_equal(count(fx->srvdb, "SELECT count(*) FROM audit WHERE record_id = '%s' AND"
	                       " path = '%s' AND action = 'edit' AND user_name = 'lan'", id[0], head),
	                 1);
	assert_int_equal(count(fx->srvdb, "SELECT count(*) FROM audit WHERE record_id = '%s' AND"
	                       " path = '%s' AND action = 'edit' AND user_name = 'hung'",
	                       id[0], head), stored_lost);

	/* a push by bundle: the rows say so, with the bundle's batch */
	v = json_pack("{s:i}", "income_per_capita", 999000);
	assert_int_equal(saola_put(d1, "household", id[1], v, NULL), SAOLA_OK);
	json_decref(v);
	snprintf(bundle, sizeof bundle, "%s", tu_path(fx->dir, "d1.bundle"));
	assert_int_equal(saola_sync_to_file(d1, bundle, NULL), SAOLA_OK);
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' bundle import --db '%s' '%s'",
	                     st_server_bin(), fx->srvdb, bundle), 0);
	{
		json_t *payload = NULL;
		char kind[8], berr[256];
		assert_int_equal(saola__bundle_read(bundle, kind, &payload, 1 << 26, berr, sizeof berr),
		                 SAOLA_OK);
		snprintf(where, sizeof where, "record_id = '%s' AND path = 'income_per_capita' AND"
		         " source = 'bundle'", id[1]);
		rows = audit_rows(fx->srvdb, where);
		assert_int_equal(json_array_size(rows), 1);
		row = json_array_get(rows, 0);
		assert_string_equal(col(row, "batch"),
		                    json_string_value(json_object_get(payload, "batch")));
		assert_string_equal(col(row, "user_name"), "lan");
		assert_string_equal(col(row, "device"), o1);
		assert_string_equal(col(row, "value"), "999000");
		json_decref(rows);
		json_decref(payload);
	}
	/* imported again: nothing more */
	before = ac_rows(fx->srvdb);
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' bundle import --db '%s' '%s'",
	                     st_server_bin(), fx->srvdb, bundle), 0);
	assert_non_null(strstr(out, "imported before"));
	assert_int_equal(ac_rows(fx->srvdb), before);
	sync_ok(d1);
	sync_ok(d2);

	/* the officer resolves the head's name over HTTP: the value that
	 * lost comes back as a resolution */
	cid = count(fx->srvdb, "SELECT id FROM conflicts WHERE path = '%s'", head);
	snprintf(where, sizeof where, "/v1/conflicts/%ld/resolve", cid);
	v = json_pack("{s:s}", "choice", "lost");
	r = post(fx, where, fx->officer, v);
	json_decref(v);
	assert_int_equal(r.status, 200);
	snprintf(where, sizeof where, "record_id = '%s' AND action = 'resolve'", id[0]);
	rows = audit_rows(fx->srvdb, where);
	assert_int_equal(json_array_size(rows), 1);
	row = json_array_get(rows, 0);
	assert_string_equal(col(row, "source"), "officer");
	assert_string_equal(col(row, "user_name"), "officer");
	assert_int_equal(json_integer_value(json_object_get(row, "user_id")), officer);
	assert_string_equal(col(row, "path"), head);
	assert_null(json_object_get(row, "value"));    /* personal */
	assert_null(json_object_get(row, "device"));
	assert_null(json_object_get(row, "batch"));
	{
		char want[64];
		char *ver = json_dumps(json_object_get(json_object_get(r.json, "resolution"), "version"),
		                       JSON_COMPACT);
		assert_string_equal(col(row, "version"), ver);
		free(ver);
		snprintf(want, sizeof want, "conflict %ld: lost; personal", cid);
		assert_string_equal(col(row, "detail"), want);
	}
	json_decref(rows);
	sv_resp_free(&r);
	/* a conflict kept from the command line: the kept value stands, so
	 * nothing is written; the row says who closed it */
	sync_ok(d1);
	sync_ok(d2);
	v = json_pack("{s:i}", "income_per_capita", 1400000);
	assert_int_equal(saola_put(d1, "household", id[0], v, NULL), SAOLA_OK);
	json_decref(v);
	v = json_pack("{s:i}", "income_per_capita", 1650000);
	assert_int_equal(saola_put(d2, "household", id[0], v, NULL), SAOLA_OK);
	json_decref(v);
	sync_ok(d1);
	sync_ok(d2);
	cid = count(fx->srvdb, "SELECT id FROM conflicts WHERE resolved_at IS NULL");
	assert_true(cid > 0);
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' conflicts resolve --db '%s'"
	                     " --keep --by 'Lê Thu' %ld", st_server_bin(), fx->srvdb, cid), 0);
	snprintf(where, sizeof where, "record_id = '%s' AND action = 'resolve' AND path ="
	         " 'income_per_capita'", id[0]);
	rows = audit_rows(fx->srvdb, where);
	assert_int_equal(json_array_size(rows), 1);
	row = json_array_get(rows, 0);
	assert_string_equal(col(row, "user_name"), "Lê Thu");
	assert_null(json_object_get(row, "user_id"));
	assert_null(json_object_get(row, "version"));
	assert_non_null(strstr(col(row, "detail"), "nothing written"));
	json_decref(rows);

	/* review: submitted on the device, returned over HTTP, submitted
	 * again, approved from the command line */
	sync_ok(d1);
	assert_int_equal(saola_set_state(d1, id[0], "submitted", NULL), SAOLA_OK);
	sync_ok(d1);
	snprintf(where, sizeof where, "/v1/records/%s/review", id[0]);
	v = json_pack("{s:s, s:s}", "action", "return", "comment", "hỏi lại thu nhập");
	r = post(fx, where, fx->officer, v);
	json_decref(v);
	assert_int_equal(r.status, 200);
	sv_resp_free(&r);
	sync_ok(d1);
	assert_int_equal(saola_set_state(d1, id[0], "submitted", NULL), SAOLA_OK);
	sync_ok(d1);
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' review --db '%s' approve %s"
	                     " --by 'Lê Thu'", st_server_bin(), fx->srvdb, id[0]), 0);
	snprintf(where, sizeof where, "record_id = '%s' AND action = 'state'", id[0]);
	rows = audit_rows(fx->srvdb, where);
	assert_int_equal(json_array_size(rows), 5);
	{
		static const char *const want[5][5] = {
			{"_state", "\"submitted\"", "submitted", "lan", "sync"},
			{"_state", "\"returned\"", "returned", "officer", "officer"},
			{"_comment", "\"hỏi lại thu nhập\"", "returned", "officer", "officer"},
			{"_state", "\"submitted\"", "submitted", "lan", "sync"},
			{"_state", "\"approved\"", "approved", "Lê Thu", "officer"},
		};
		for (i = 0; i < 5; i++) {
			/* the officer's two paths came in one change, in either order */
			size_t k = i == 1 || i == 2 ? (strcmp(col(json_array_get(rows, 1), "path"),
			                                      want[i][0]) == 0 ? 1 : 2) : i;
			row = json_array_get(rows, k);
			assert_string_equal(col(row, "path"), want[i][0]);
			assert_string_equal(col(row, "value"), want[i][1]);
			assert_string_equal(col(row, "state"), want[i][2]);
			assert_string_equal(col(row, "user_name"), want[i][3]);
			assert_string_equal(col(row, "source"), want[i][4]);
		}
	}
	json_decref(rows);
	assert_all_audited(db, "at the end");
	json_decref(ids);
	saola_close(d1);
	saola_close(d2);
}

/* A batch sent twice is audited once; a batch refused (a change the form
 * does not take) leaves no row; and when the audit row cannot be written,
 * the change is refused with it (one transaction). */
static void test_replay_and_refusal(void **state)
{
	fixture *fx = *state;
	saola_gen *g = saola_gen_new(5);
	json_t *req, *changes, *rows;
	char rid[37], rid2[37];
	long n, total;
	sv_resp r;
	saola__db *db = saola__store_db(fx->check);
	int pg = saola__db_kind(db) == SAOLA__DB_POSTGRES;

	changes = json_pack("[o]", sv_household(g, "14404", rid));
	req = sv_request("raw-1", "rawdevice01", 0, 0, changes);
	r = post(fx, "/v1/sync", fx->lan, req);
	assert_int_equal(r.status, 200);
	assert_false(json_is_true(json_object_get(r.json, "duplicate")));
	sv_resp_free(&r);
	n = count(fx->srvdb, "SELECT count(*) FROM audit WHERE record_id = '%s' AND batch = 'raw-1'"
	          " AND device = 'rawdevice01' AND user_name = 'lan' AND action = 'create' AND"
	          " version = '[1,\"rawdevice01\"]'", rid);
	assert_int_equal(n, 1);
	{
		json_t *answers = created(fx->srvdb, rid), *flat = ac_creation_paths(answers);
		assert_int_equal(json_object_size(flat), state_paths(fx->check, rid));
		json_decref(flat);
		json_decref(answers);
	}
	total = ac_rows(fx->srvdb);
	/* the same batch again */
	r = post(fx, "/v1/sync", fx->lan, req);
	assert_int_equal(r.status, 200);
	assert_true(json_is_true(json_object_get(r.json, "duplicate")));
	sv_resp_free(&r);
	json_decref(req);
	assert_int_equal(ac_rows(fx->srvdb), total);
	/* a batch with a good change and a bad one: nothing of it */
	changes = json_pack("[o, o]", sv_household(g, "14404", rid2),
	                    sv_edit(rid, "no_such_field", "x", 2, 1, "rawdevice01"));
	req = sv_request("raw-2", "rawdevice01", 0, 0, changes);
	r = post(fx, "/v1/sync", fx->lan, req);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "changes[1]"));
	sv_resp_free(&r);
	json_decref(req);
	assert_int_equal(ac_rows(fx->srvdb), total);
	assert_int_equal(count(fx->srvdb, "SELECT count(*) FROM audit WHERE batch = 'raw-2'"), 0);
	/* a change whose audit row fails is not made: the batch fails whole */
	if (saola__db_exec(db, pg ? "CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE"
	                   " plpgsql AS $$BEGIN RAISE EXCEPTION 'refused by the test'; END$$;"
	                   "CREATE TRIGGER test_refuse BEFORE INSERT ON audit FOR EACH ROW"
	                   " EXECUTE FUNCTION test_refuse()"
	                   : "CREATE TRIGGER test_refuse BEFORE INSERT ON audit"
	                   " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END") != SAOLA_OK)
		fail_msg("trigger: %s", saola__db_errmsg(db));
	changes = json_pack("[o]", sv_edit(rid, "village", "Thôn Mới", 2, 1, "rawdevice01"));
	req = sv_request("raw-3", "rawdevice01", 0, 0, changes);
	r = post(fx, "/v1/sync", fx->lan, req);
	assert_int_equal(r.status, 500);
	assert_non_null(strstr(r.body, "audit log"));
	sv_resp_free(&r);
	{
		json_t *st = NULL, *want = json_string("Thôn Mới");
		assert_int_equal(saola__records_state(fx->check, rid, 0, &st), SAOLA_OK);
		assert_false(json_equal(json_object_get(json_object_get(st, "values"), "village"),
		                        want));
		json_decref(want);
		json_decref(st);
	}
	assert_int_equal(ac_rows(fx->srvdb), total);
	if (saola__db_exec(db, pg ? "DROP TRIGGER test_refuse ON audit; DROP FUNCTION test_refuse()"
	                   : "DROP TRIGGER test_refuse") != SAOLA_OK)
		fail_msg("trigger: %s", saola__db_errmsg(db));
	/* once the log takes rows again, the same batch goes through */
	r = post(fx, "/v1/sync", fx->lan, req);
	assert_int_equal(r.status, 200);
	sv_resp_free(&r);
	json_decref(req);
	rows = audit_rows(fx->srvdb, "batch = 'raw-3'");
	assert_int_equal(json_array_size(rows), 1);
	assert_string_equal(col(json_array_get(rows, 0), "path"), "village");
	assert_string_equal(col(json_array_get(rows, 0), "value"), "\"Thôn Mới\"");
	assert_string_equal(col(json_array_get(rows, 0), "version"), "[2,\"rawdevice01\"]");
	json_decref(rows);
	/* a new record with an answer at a version of its own (edited before
	 * it was sent): the record's row without it, and a row for it */
	{
		json_t *change = sv_household(g, "14404", rid2), *answers;
		json_object_set_new(json_object_get(change, "vs"), "income_per_capita",
		                    json_integer(3));
		req = sv_request("raw-4", "rawdevice01", 0, 0, json_pack("[o]", change));
		r = post(fx, "/v1/sync", fx->lan, req);
		assert_int_equal(r.status, 200);
		sv_resp_free(&r);
		json_decref(req);
		answers = created(fx->srvdb, rid2);
		assert_null(json_object_get(answers, "income_per_capita"));
		assert_non_null(json_object_get(answers, "survey_year"));
		json_decref(answers);
		rows = audit_rows(fx->srvdb, "batch = 'raw-4' AND path IS NOT NULL");
		assert_int_equal(json_array_size(rows), 1);
		assert_string_equal(col(json_array_get(rows, 0), "path"), "income_per_capita");
		assert_string_equal(col(json_array_get(rows, 0), "action"), "create");
		assert_string_equal(col(json_array_get(rows, 0), "version"), "[3,\"rawdevice01\"]");
		json_decref(rows);
	}
	assert_all_audited(fx->check, "raw batches");
	saola_gen_free(g);
}

/* Rows cannot be changed or deleted through SQL: the database's triggers
 * refuse (audit_no_update and audit_no_delete on SQLite, audit_no_change
 * on PostgreSQL). */
static void test_append_only(void **state)
{
	static const char *const refused[] = {"UPDATE audit SET value = '1' WHERE id = 1",
		"UPDATE audit SET user_name = 'nobody'", "DELETE FROM audit WHERE id = 1",
		"DELETE FROM audit"};
	fixture *fx = *state;
	saola *d = st_device(tu_path(fx->dir, "d.db"), fx->url, fx->lan);
	saola__db *db = saola__store_db(fx->check);
	long total;
	size_t i;

	st_put_households(d, 41, "14404", 1, NULL);
	sync_ok(d);
	total = ac_rows(fx->srvdb);
	assert_true(total > 0);
	for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		assert_int_not_equal(saola__db_exec(db, refused[i]), SAOLA_OK);
		if (!strstr(saola__db_errmsg(db), "append-only"))
			fail_msg("%s: %s", refused[i], saola__db_errmsg(db));
	}
	assert_int_equal(ac_rows(fx->srvdb), total);
	assert_int_equal(count(fx->srvdb, "SELECT count(*) FROM audit WHERE user_name = 'nobody'"),
	                 0);
	saola_close(d);
}

/* `saola-server audit`: a record's history as a table and as JSON,
 * filters, and the refusals. */
static void test_command(void **state)
{
	fixture *fx = *state;
	saola *d = st_device(tu_path(fx->dir, "d.db"), fx->url, fx->lan);
	json_t *ids = json_array(), *doc, *changes, *c, *v;
	char id[37], out[65536], err[4096], head[128];
	const char *bin = st_server_bin();
	size_t i;
	long n;

	st_put_households(d, 43, "14404", 2, ids);
	snprintf(id, sizeof id, "%s", json_string_value(json_array_get(ids, 0)));
	sync_ok(d);
	v = json_pack("{s:i}", "income_per_capita", 777000);
	assert_int_equal(saola_put(d, "household", id, v, NULL), SAOLA_OK);
	json_decref(v);
	assert_int_equal(saola_set_state(d, id, "submitted", NULL), SAOLA_OK);
	sync_ok(d);
	snprintf(head, sizeof head, "record_id = '%s'", id);
	n = ac_entries(fx->srvdb, head);
	/* the table: each change headed by when, what and who, oldest first,
	 * with its paths below */
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' audit --db '%s' --record %s",
	                     bin, fx->srvdb, id), 0);
	snprintf(head, sizeof head, " create by lan on device %s (sync, batch ", saola_origin(d));
	assert_non_null(strstr(out, head));
	assert_true(strstr(out, head) < out + 24);
	assert_non_null(strstr(out, st_head_path(d, id, head, sizeof head)));
	assert_non_null(strstr(out, "(personal)"));
	assert_non_null(strstr(out, "\n    income_per_capita "));
	assert_non_null(strstr(out, "777000"));
	assert_non_null(strstr(out, "\"submitted\""));
	assert_non_null(strstr(out, " edit by lan"));
	assert_non_null(strstr(out, " state by lan"));
	assert_true(strstr(out, " create by") < strstr(out, " edit by"));
	assert_true(strstr(out, " edit by") < strstr(out, " state by"));
	/* one head per change: the creation, the edit, the submission */
	{
		size_t heads = 0;
		const char *p;
		for (p = out; (p = strstr(p, " by lan on device ")) != NULL; p++)
			heads++;
		assert_int_equal(heads, 3);
	}
	/* JSON: every row, parsed */
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' audit --db '%s' --record %s"
	                     " --format json", bin, fx->srvdb, id), 0);
	doc = tu_json(out);
	assert_string_equal(json_string_value(json_object_get(doc, "record")), id);
	changes = json_object_get(doc, "changes");
	assert_int_equal((long)json_array_size(changes), n);
	json_array_foreach(changes, i, c) {
		assert_string_equal(json_string_value(json_object_get(c, "record")), id);
		assert_string_equal(json_string_value(json_object_get(c, "user")), "lan");
		assert_string_equal(json_string_value(json_object_get(c, "device")), saola_origin(d));
		assert_true(json_is_array(json_object_get(c, "version")));
		/* oldest first (a new record's answers share its row's id) */
		if (i > 0)
			assert_true(json_integer_value(json_object_get(c, "id")) >=
			            json_integer_value(json_object_get(json_array_get(changes, i - 1),
			                                               "id")));
		if (json_is_true(json_object_get(c, "personal")))
			assert_null(json_object_get(c, "value"));
		else
			assert_non_null(json_object_get(c, "value"));
		if (strcmp(json_string_value(json_object_get(c, "path")), "income_per_capita") == 0 &&
		    strcmp(json_string_value(json_object_get(c, "action")), "edit") == 0)
			assert_int_equal(json_integer_value(json_object_get(c, "value")), 777000);
	}
	json_decref(doc);
	/* filters */
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' audit --db '%s' --user lan"
	                     " --format json", bin, fx->srvdb), 0);
	doc = tu_json(out);
	assert_int_equal((long)json_array_size(json_object_get(doc, "changes")),
	                 ac_entries(fx->srvdb, "1 = 1"));
	json_decref(doc);
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' audit --db '%s' --user hung",
	                     bin, fx->srvdb), 0);
	assert_non_null(strstr(out, "no audited changes"));
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' audit --db '%s' --record %s"
	                     " --since 2999-01-01", bin, fx->srvdb, id), 0);
	assert_non_null(strstr(out, "no audited changes"));
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' audit --db '%s' --record %s"
	                     " --since 2000-01-01T00:00:00Z --format json", bin, fx->srvdb, id), 0);
	doc = tu_json(out);
	assert_int_equal((long)json_array_size(json_object_get(doc, "changes")), n);
	json_decref(doc);
	/* refusals */
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' audit --db '%s' --record"
	                     " no-such-record", bin, fx->srvdb), 1);
	assert_non_null(strstr(err, "no record no-such-record"));
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' audit --db '%s'", bin,
	                     fx->srvdb), 2);
	assert_non_null(strstr(err, "--record ID, or --user NAME"));
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' audit --db '%s' --record %s"
	                     " --format xml", bin, fx->srvdb, id), 2);
	assert_non_null(strstr(err, "expected table or json"));
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' audit --db '%s' --record %s"
	                     " --since 2024-13", bin, fx->srvdb, id), 2);
	assert_non_null(strstr(err, "expected YYYY-MM-DD"));
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' audit --record %s", bin, id), 2);
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' audit --db '%s' --record %s",
	                     bin, tu_path(fx->dir, "missing.db"), id), 1);
	assert_non_null(strstr(err, "no such file"));
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "'%s' audit --help", bin), 0);
	assert_non_null(strstr(out, "usage: saola-server audit"));
	json_decref(ids);
	saola_close(d);
}

/* Tiers: a district's push is audited at the province as the district's
 * user and server; what the district pulls from the province is audited
 * there as "upstream"; a district's bundle as "bundle". Every server's
 * records are audited whole. */
static void test_tiers(void **state)
{
	tw_world w;
	saola__upstream_stats st;
	saola__officer o;
	saola__err e;
	json_t *ids, *rows;
	char rid[64], where[256];
	const char *dorigin;

	(void)state;
	tw_world_open(&w, 17, "audit-tiers");
	dorigin = tw_origin(w.dstore[0]);
	tw_op_create(&w, 0);
	tw_op_create(&w, 1);
	ids = tw_device_ids(w.dev[0], NULL);
	snprintf(rid, sizeof rid, "%s", json_string_value(json_array_get(ids, 0)));
	json_decref(ids);
	assert_int_equal(saola_set_state(w.dev[0], rid, "submitted", NULL), SAOLA_OK);
	tw_device_sync(&w, 0);
	tw_device_sync(&w, 1);
	assert_int_equal(saola__upstream_sync(w.dstore[0], NULL, w.curl_, w.dtok[0], &st, &e), 0);
	w.upstream_saved[0] = 1;
	/* at the province, the district's push: its user, its server, its batch */
	snprintf(where, sizeof where, "record_id = '%s'", rid);
	assert_int_equal(count(w.cdb, "SELECT count(*) FROM audit WHERE record_id = '%s' AND NOT"
	                       " (user_name = 'district372' AND device = '%s' AND source = 'sync'"
	                       " AND batch LIKE 'up-%%')", rid, dorigin), 0);
	assert_true(count(w.cdb, "SELECT count(*) FROM audit WHERE record_id = '%s'", rid) > 0);
	/* and at the district, the surveyor's */
	assert_int_equal(count(w.ddb[0], "SELECT count(*) FROM audit WHERE record_id = '%s' AND"
	                       " NOT (user_name = 'surveyor0' AND device = '%s')", rid,
	                       saola_origin(w.dev[0])), 0);
	/* the province returns it; the district pulls the return */
	memset(&o, 0, sizeof o);
	o.store = w.cstore;
	o.by = "province officer";
	assert_int_equal(saola__review_record(&o, rid, "return", "kiểm tra lại", NULL, &e), 0);
	assert_int_equal(saola__upstream_sync(w.dstore[0], NULL, NULL, NULL, &st, &e), 0);
	assert_int_equal(st.pulled, 1);
	snprintf(where, sizeof where, "record_id = '%s' AND source = 'upstream'", rid);
	rows = audit_rows(w.ddb[0], where);
	assert_int_equal(json_array_size(rows), 2);
	{
		json_t *row;
		size_t i;
		json_array_foreach(rows, i, row) {
			const char *path = col(row, "path");
			assert_true(strcmp(path, "_state") == 0 || strcmp(path, "_comment") == 0);
			assert_string_equal(col(row, "value"), strcmp(path, "_state") == 0
			                    ? "\"returned\"" : "\"kiểm tra lại\"");
			assert_string_equal(col(row, "state"), "returned");
			assert_string_equal(col(row, "action"), "state");
			assert_null(json_object_get(row, "user_name"));
			assert_null(json_object_get(row, "device"));
			assert_null(json_object_get(row, "batch"));
			assert_non_null(strstr(col(row, "version"), tw_origin(w.cstore)));
		}
	}
	json_decref(rows);
	/* at the province, the review: the officer of the command line */
	assert_int_equal(count(w.cdb, "SELECT count(*) FROM audit WHERE record_id = '%s' AND"
	                       " source = 'officer' AND user_name = 'province officer' AND action ="
	                       " 'state' AND user_id IS NULL", rid), 2);
	/* the other district by bundle */
	tw_op_create(&w, 3);
	tw_device_sync(&w, 3);
	tw_district_bundle(&w, 1);
	assert_true(count(w.cdb, "SELECT count(*) FROM audit WHERE source = 'bundle' AND user_name ="
	                  " 'district373' AND device = '%s'", tw_origin(w.dstore[1])) > 0);
	assert_int_equal(count(w.cdb, "SELECT count(*) FROM audit WHERE source = 'bundle' AND"
	                       " (user_name IS NULL OR user_name <> 'district373')"), 0);
	assert_true(count(w.ddb[1], "SELECT count(*) FROM audit WHERE source = 'upstream'") == 0);
	assert_all_audited(w.cstore, "province");
	assert_all_audited(w.dstore[0], "district 372");
	assert_all_audited(w.dstore[1], "district 373");
	tw_world_close(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_change_audited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_and_refusal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command, setup, teardown),
		cmocka_unit_test(test_tiers),
	};

	setenv("SAOLA_SYNC_BACKOFF_MS", "5", 1);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
