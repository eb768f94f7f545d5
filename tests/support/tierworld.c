/* tierworld.c: the world of the tier and convergence tests (tierworld.h):
 * servers, users and devices, the syncs between them, the content of each
 * replica and the checks. */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"
#include "audit.h"
#include "auditcheck.h"
#include "pgtest.h"
#include "synctest.h"
#include "tierworld.h"
#include "saola_int.h"
#include "saola/sync.h"
#include "bundle.h"
#include "officer.h"
#include "permissions.h"
#include "store_sql.h"
#include "upstream.h"
#include "users.h"
#include "versions.h"
#include "wire.h"

#define BUNDLE_LIMIT ((size_t)1 << 28)

const char *const tw_dev_commune[NDEV] = {"14404", "14404", "14383", "14464", "14464", "14467"};
const char *const tw_district_code[2] = {"372", "373"};
int tw_seed;

int tw_dev_district(int i)
{
	return i < 3 ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* The world: servers, stores, devices                                */


uint64_t tw_next(tw_world *w)
{
	uint64_t z = (w->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int tw_below(tw_world *w, int n)
{
	return (int)(tw_next(w) % (uint64_t)n);
}

/* Sets the origin id of the database a statement runs on (meta's
 * 'origin', core's on SQLite, the PostgreSQL store's own), so that a seed
 * replays the same ties between versions. */
static void set_origin(saola__db *db, const char *origin)
{
	saola__dbstmt *st = NULL;

	assert_int_equal(saola__db_prepare(db, "UPDATE meta SET value = ? WHERE key = 'origin'",
	                                   &st), SAOLA_OK);
	assert_int_equal(saola__db_bind_text(st, 1, origin, -1), SAOLA_OK);
	if (saola__db_step(st) != SAOLA__DB_DONE || saola__db_changes(db) != 1)
		fail_msg("origin: %s", saola__db_errmsg(db));
	saola__db_finalize(st);
}

/* Creates the device database at path (core, SQLite) with the origin id
 * origin. */
static void make_device_db(const char *path, const char *origin)
{
	saola *db = NULL;
	sqlite3 *sql = NULL;
	char stmt[128];

	assert_int_equal(saola_open(path, SAOLA_OPEN_CREATE, &db), SAOLA_OK);
	saola_close(db);
	assert_int_equal(sqlite3_open(path, &sql), SQLITE_OK);
	snprintf(stmt, sizeof stmt, "UPDATE meta SET value = '%s' WHERE key = 'origin'", origin);
	assert_int_equal(sqlite3_exec(sql, stmt, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(sql);
}

/* Creates the server database db (a path, or a PostgreSQL URI: pgt_db)
 * through its store, with the shipped forms and the origin id origin. */
static void make_server_db(const char *db, const char *origin)
{
	saola__store *s = NULL;
	char err[512];

	if (saola__store_open(db, SAOLA_TEST_SCHEMAS, 1, &s, err, sizeof err) != SAOLA_OK)
		fail_msg("store %s: %s", db, err);
	set_origin(saola__store_db(s), origin);
	saola__store_close(s);
}

static saola_server *start_server(const char *db, const char *origin)
{
	saola_server_opts so;
	saola_server *s = NULL;

	make_server_db(db, origin);
	memset(&so, 0, sizeof so);
	so.db_path = db;
	so.listen = "127.0.0.1:0";
	so.schemas = SAOLA_TEST_SCHEMAS;
	so.threads = 2;
	if (saola_server_start(&so, &s) != SAOLA_OK)
		fail_msg("server start: %s", saola_server_errmsg(s));
	return s;
}

/* Starts a server again on an existing database (its port changes: the
 * devices of the tests that use it do not sync after this). */
saola_server *tw_start_server_again(const char *db)
{
	saola_server_opts so;
	saola_server *s = NULL;

	memset(&so, 0, sizeof so);
	so.db_path = db;
	so.listen = "127.0.0.1:0";
	if (saola_server_start(&so, &s) != SAOLA_OK)
		fail_msg("server start: %s", saola_server_errmsg(s));
	return s;
}

static saola__store *open_store(const char *db)
{
	saola__store *s = NULL;
	char err[512];

	if (saola__store_open(db, NULL, 0, &s, err, sizeof err) != SAOLA_OK)
		fail_msg("store %s: %s", db, err);
	return s;
}

const char *tw_origin(saola__store *s)
{
	return s->ops->origin(s);
}

/* A user of the server behind store s with the permissions allow (NULL:
 * none); returns its token (free()). */
static char *add_user(saola__store *s, const char *name, const char *role, const char *area,
                      const char *allow)
{
	char token[SAOLA__TOKEN_HEX + 1], *t;
	saola__err e;

	if (saola__user_create(s, name, role, area, token, &e) != 0 ||
	    (allow && saola__user_permit(s, name, allow, 1, NULL, &e) != 0))
		fail_msg("user %s: %s", name, e.message);
	t = strdup(token);
	assert_non_null(t);
	return t;
}

void tw_world_open(tw_world *w, uint64_t seed, const char *tag)
{
	char name[64], path[700];
	int d, i;

	memset(w, 0, sizeof *w);
	w->rng = seed * 0x2545f4914f6cdd1dULL + 1;
	snprintf(w->dir, sizeof w->dir, "%s", tu_tmpdir(tag));
	/* the servers' databases: files, or PostgreSQL databases (pgt_db) */
	snprintf(w->cdb, sizeof w->cdb, "%s", pgt_db(tu_path(w->dir, "central.db")));
	w->central = start_server(w->cdb, "c000000000000000");
	snprintf(w->curl_, sizeof w->curl_, "http://127.0.0.1:%d", saola_server_port(w->central));
	w->cstore = open_store(w->cdb);
	for (d = 0; d < 2; d++) {
		snprintf(path, sizeof path, "%s/district%s.db", w->dir, tw_district_code[d]);
		snprintf(w->ddb[d], sizeof w->ddb[d], "%s", pgt_db(path));
		snprintf(name, sizeof name, "d%s00000000000000", tw_district_code[d]);
		name[16] = '\0';
		w->dist[d] = start_server(w->ddb[d], name);
		snprintf(w->durl[d], sizeof w->durl[d], "http://127.0.0.1:%d",
		         saola_server_port(w->dist[d]));
		snprintf(name, sizeof name, "district%s", tw_district_code[d]);
		/* a district server is a replica of its district, names and all */
		w->dtok[d] = add_user(w->cstore, name, "district", tw_district_code[d], "personal");
		w->dstore[d] = open_store(w->ddb[d]);
	}
	for (i = 0; i < NDEV; i++) {
		snprintf(w->devname[i], sizeof w->devname[i], "surveyor%d", i);
		w->devtok[i] = add_user(w->dstore[tw_dev_district(i)], w->devname[i], "surveyor",
		                        tw_dev_commune[i], NULL);
		snprintf(name, sizeof name, "e%d%014d", i, (int)(seed % 100000));
		snprintf(path, sizeof path, "%s/device%d.db", w->dir, i);
		make_device_db(path, name);
		w->dev[i] = st_device(path, w->durl[tw_dev_district(i)], w->devtok[i]);
	}
	w->gen = saola_gen_new(seed);
	w->events = json_array();
	w->seen = json_object();
	assert_non_null(w->gen);
}

void tw_world_close(tw_world *w)
{
	int i;

	for (i = 0; i < NDEV; i++) {
		saola_close(w->dev[i]);
		free(w->devtok[i]);
	}
	for (i = 0; i < 2; i++) {
		saola__store_close(w->dstore[i]);
		saola_server_stop(w->dist[i]);
		free(w->dtok[i]);
	}
	saola__store_close(w->cstore);
	saola_server_stop(w->central);
	saola_gen_free(w->gen);
	json_decref(w->events);
	json_decref(w->seen);
	tu_rmtree(w->dir);
}

void tw_device_sync(tw_world *w, int i)
{
	saola_sync_opts o;

	memset(&o, 0, sizeof o);
	TW_CHECK(saola_sync(w->dev[i], &o, NULL) == SAOLA_OK, "device %d sync: %s", i,
	      saola_errmsg(w->dev[i]));
	w->nsync++;
}

/* A device's push carried as a bundle to its district; sometimes the
 * district's pull bundle carried back. */
void tw_device_bundle(tw_world *w, int i, int back)
{
	char push[700], pullf[700];
	json_t *res = NULL;
	saola__err e;
	size_t n;
	int d = tw_dev_district(i);

	snprintf(push, sizeof push, "%s/push%d.bundle", w->dir, i);
	snprintf(pullf, sizeof pullf, "%s/pull%d.bundle", w->dir, i);
	TW_CHECK(saola_sync_to_file(w->dev[i], push, NULL) == SAOLA_OK, "to file: %s",
	      saola_errmsg(w->dev[i]));
	TW_CHECK(saola__bundle_import(w->dstore[d], push, w->devname[i], BUNDLE_LIMIT, &res, &e) == 0,
	      "import: %s", e.message);
	json_decref(res);
	if (back) {
		TW_CHECK(saola__bundle_export(w->dstore[d], pullf, w->devname[i], &n, &e) == 0,
		      "export: %s", e.message);
		TW_CHECK(saola_sync_from_file(w->dev[i], pullf, NULL) == SAOLA_OK, "from file: %s",
		      saola_errmsg(w->dev[i]));
	}
	w->nsync++;
}

void tw_district_sync(tw_world *w, int d)
{
	saola__upstream_stats st;
	saola__err e;
	int first = !w->upstream_saved[d];

	TW_CHECK(saola__upstream_sync(w->dstore[d], NULL, first ? w->curl_ : NULL,
	                           first ? w->dtok[d] : NULL, &st, &e) == 0,
	      "district %s sync: %s", tw_district_code[d], e.message);
	w->upstream_saved[d] = 1;
	w->nsync++;
}

/* A district's push carried to the central server as a bundle, and the
 * central server's pull bundle carried back. */
void tw_district_bundle(tw_world *w, int d)
{
	char push[700], pullf[700], user[32];
	saola__upstream_stats st;
	json_t *res = NULL;
	saola__err e;
	size_t n;

	snprintf(push, sizeof push, "%s/up%d.bundle", w->dir, d);
	snprintf(pullf, sizeof pullf, "%s/down%d.bundle", w->dir, d);
	snprintf(user, sizeof user, "district%s", tw_district_code[d]);
	TW_CHECK(saola__upstream_to_file(w->dstore[d], push, &st, &e) == 0, "to file: %s", e.message);
	TW_CHECK(saola__bundle_import(w->cstore, push, user, BUNDLE_LIMIT, &res, &e) == 0,
	      "central import: %s", e.message);
	json_decref(res);
	TW_CHECK(saola__bundle_export(w->cstore, pullf, user, &n, &e) == 0, "export: %s", e.message);
	TW_CHECK(saola__upstream_from_file(w->dstore[d], NULL, pullf, &st, &e) == 0, "from file: %s",
	      e.message);
	w->nsync++;
}

/* ------------------------------------------------------------------ */
/* Checking                                                            */

static int by_text(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
	              json_string_value(*(json_t *const *)b));
}

/* Sorts an array of strings bytewise: SQLite's order, whatever the
 * collation of a PostgreSQL database. */
static void sort_ids(json_t *ids)
{
	size_t n = json_array_size(ids), i;
	json_t **v = calloc(n ? n : 1, sizeof *v);

	assert_non_null(v);
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(ids, i));
	qsort(v, n, sizeof *v, by_text);
	json_array_clear(ids);
	for (i = 0; i < n; i++)
		json_array_append_new(ids, v[i]);
	free(v);
}

/* The SQL of the ids of an area (a district's or a commune's code, bound
 * once; NULL: all). */
static const char *area_sql(const char *area)
{
	return !area ? "SELECT id FROM records"
	     : strlen(area) == 3 ? "SELECT id FROM records WHERE district = ?"
	     : "SELECT id FROM records WHERE commune = ?";
}

/* Folds a record's snapshot (its id set in it) into the hash h. */
static uint64_t hash_snapshot(uint64_t h, const char *id, json_t *snap)
{
	const unsigned char *p;
	char *text;

	assert_non_null(snap);
	json_object_set_new(snap, "id", json_string(id));
	text = json_dumps(snap, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(text);
	for (p = (const unsigned char *)text; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	h = (h ^ '\n') * 1099511628211ULL;
	free(text);
	json_decref(snap);
	return h;
}

/* The ids of the records a device holds in an area, sorted bytewise. */
static json_t *device_area_ids(saola *db, const char *area)
{
	sqlite3_stmt *st = NULL;
	json_t *ids = json_array();

	assert_int_equal(sqlite3_prepare_v2(db->sql, area_sql(area), -1, &st, NULL), SQLITE_OK);
	if (area)
		sqlite3_bind_text(st, 1, area, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(ids, json_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_finalize(st);
	sort_ids(ids);
	return ids;
}

json_t *tw_area_ids(saola__store *s, const char *area)
{
	saola__db *db = saola__store_db(s);
	saola__dbstmt *st = NULL;
	json_t *ids = json_array();
	int rc;

	assert_int_equal(saola__db_prepare(db, area_sql(area), &st), SAOLA_OK);
	if (area)
		assert_int_equal(saola__db_bind_text(st, 1, area, -1), SAOLA_OK);
	while ((rc = saola__db_step(st)) == SAOLA__DB_ROW)
		json_array_append_new(ids, json_string(saola__db_column_text(st, 0)));
	if (rc != SAOLA__DB_DONE)
		fail_msg("records: %s", saola__db_errmsg(db));
	saola__db_finalize(st);
	sort_ids(ids);
	return ids;
}

/* A hash of the records a device holds in an area (a district's or a
 * commune's code; NULL: all): for each, its id, whether deleted, and every
 * path's value and version. */
static uint64_t device_hash(saola *db, const char *area, long *count)
{
	json_t *ids = device_area_ids(db, area), *id;
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	json_array_foreach(ids, i, id)
		h = hash_snapshot(h, json_string_value(id), tw_snapshot(db, json_string_value(id)));
	*count = (long)json_array_size(ids);
	json_decref(ids);
	return h;
}

/* The same hash of what a server's store holds, read in one snapshot. */
static uint64_t store_hash(saola__store *s, const char *area, long *count)
{
	uint64_t h = 1469598103934665603ULL;
	json_t *ids, *id;
	size_t i;

	assert_int_equal(saola__db_begin_read(saola__store_db(s)), SAOLA_OK);
	ids = tw_area_ids(s, area);
	json_array_foreach(ids, i, id)
		h = hash_snapshot(h, json_string_value(id),
		                  tw_store_snapshot(s, json_string_value(id)));
	saola__db_end(saola__store_db(s), 1);
	*count = (long)json_array_size(ids);
	json_decref(ids);
	return h;
}

/* 1 when every replica holds what the central server holds of its area. */
int tw_converged(tw_world *w, int verbose)
{
	long n, m;
	int d, i, ok = 1;

	for (d = 0; d < 2; d++)
		if (store_hash(w->dstore[d], tw_district_code[d], &n) !=
		    store_hash(w->cstore, tw_district_code[d], &m) || n != m) {
			if (verbose)
				fprintf(stderr, "district %s differs (%ld records, central %ld)\n",
				        tw_district_code[d], n, m);
			ok = 0;
		}
	for (i = 0; i < NDEV; i++)
		if (device_hash(w->dev[i], tw_dev_commune[i], &n) !=
		    store_hash(w->cstore, tw_dev_commune[i], &m) || n != m) {
			if (verbose)
				fprintf(stderr, "device %d differs (%ld records, central %ld)\n", i, n, m);
			ok = 0;
		}
	return ok;
}

/* Devices -> districts -> central -> districts -> devices, until quiet. */
int tw_full_sync(tw_world *w)
{
	int round, i, d;

	for (round = 1; round <= 6; round++) {
		for (i = 0; i < NDEV; i++) {
			w->offline[i] = 0;
			tw_device_sync(w, i);
		}
		for (d = 0; d < 2; d++)
			tw_district_sync(w, d);
		for (d = 0; d < 2; d++)
			tw_district_sync(w, d);
		for (i = 0; i < NDEV; i++)
			tw_device_sync(w, i);
		if (tw_converged(w, 0))
			return round;
	}
	tw_converged(w, 1);
	return 0;
}

/* The lost versions of every tier's conflict log: {"record|path|c|o": 1}. */
static void logged(saola__store *s, json_t *out, long *count)
{
	saola__db *db = saola__store_db(s);
	saola__dbstmt *st = NULL;
	char key[800];
	int rc;

	assert_int_equal(saola__db_prepare(db, "SELECT record_id, path, lost_version FROM"
	                                   " conflicts", &st), SAOLA_OK);
	while ((rc = saola__db_step(st)) == SAOLA__DB_ROW) {
		json_t *v = json_loads(saola__db_column_text(st, 2), 0, NULL);
		tw_seen_key(key, sizeof key, saola__db_column_text(st, 0),
		            saola__db_column_text(st, 1), v);
		json_object_set_new(out, key, json_true());
		json_decref(v);
		(*count)++;
	}
	if (rc != SAOLA__DB_DONE)
		fail_msg("conflicts: %s", saola__db_errmsg(db));
	saola__db_finalize(st);
}

/* The oracle: every edit either stands at the end, or was seen by a later
 * edit that replaced it knowingly, or is in some tier's conflict log. */
/* Folds into same ({"record|path|value": highest version}) the moves a
 * server made on its own, which no tracked edit stands for: a record an
 * edit reached approved, sent back to submitted (its audit rows). An edit
 * that such a move overwrote with the same value lost nothing. */
static void server_moves(saola__store *s, json_t *same)
{
	saola__db *db = saola__store_db(s);
	saola__dbstmt *st = NULL;
	char key[800];
	int rc;

	assert_int_equal(saola__db_prepare(db, "SELECT record_id, path, value, version"
	                                   " FROM audit WHERE source = 'server' AND detail = ?",
	                                   &st), SAOLA_OK);
	assert_int_equal(saola__db_bind_text(st, 1, SAOLA__REOPEN_DETAIL, -1), SAOLA_OK);
	while ((rc = saola__db_step(st)) == SAOLA__DB_ROW) {
		json_t *val = json_loads(saola__db_column_text(st, 2), JSON_DECODE_ANY, NULL);
		json_t *ver = json_loads(saola__db_column_text(st, 3), 0, NULL);
		char *text = json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(key, sizeof key, "%s|%s|%s", saola__db_column_text(st, 0),
		         saola__db_column_text(st, 1), text ? text : "");
		if (ver && saola__version_cmp(ver, json_object_get(same, key)) > 0)
			json_object_set(same, key, ver);
		free(text);
		json_decref(val);
		json_decref(ver);
	}
	if (rc != SAOLA__DB_DONE)
		fail_msg("audit: %s", saola__db_errmsg(db));
	saola__db_finalize(st);
}

void tw_check_edits(tw_world *w)
{
	json_t *logs = json_object(), *e, *cache = json_object(), *same = json_object();
	char key[800];
	size_t i;
	long missing = 0, nlog = 0;

	/* The highest version that wrote each value: an edit that lost to the
	 * same value written concurrently lost nothing (and is not logged). */
	json_array_foreach(w->events, i, e) {
		char *val = json_dumps(json_array_get(e, 5), JSON_COMPACT | JSON_ENCODE_ANY);
		json_t *best;
		snprintf(key, sizeof key, "%s|%s|%s", json_string_value(json_array_get(e, 0)),
		         json_string_value(json_array_get(e, 1)), val ? val : "");
		free(val);
		best = json_object_get(same, key);
		if (saola__version_cmp(json_array_get(e, 2), best) > 0)
			json_object_set(same, key, json_array_get(e, 2));
	}
	server_moves(w->cstore, same);
	server_moves(w->dstore[0], same);
	server_moves(w->dstore[1], same);
	logged(w->cstore, logs, &nlog);
	logged(w->dstore[0], logs, &nlog);
	logged(w->dstore[1], logs, &nlog);
	w->nconflicts = nlog;
	json_array_foreach(w->events, i, e) {
		const char *id = json_string_value(json_array_get(e, 0));
		const char *path = json_string_value(json_array_get(e, 1));
		json_t *v = json_array_get(e, 2), *snap = json_object_get(cache, id);
		if (!snap) {
			snap = tw_store_snapshot(w->cstore, id);
			TW_CHECK(snap != NULL, "record %s is not on the central server", id);
			json_object_set_new(cache, id, snap);
		}
		if (saola__version_cmp(json_object_get(json_object_get(snap, "ver"), path), v) == 0)
			continue; /* it stands */
		if (!strchr(path, '.') && !json_object_get(json_object_get(snap, "val"), path) &&
		    !json_object_get(json_object_get(snap, "ver"), path))
			continue; /* no edit replaced it: the form cleared it, its question
			           * no longer asked of the merged household (poverty_causes
			           * once a concurrent income makes it neither poor nor
			           * near-poor) */
		{
			json_t *fin = json_object_get(json_object_get(snap, "val"), path);
			json_t *mine = json_array_get(e, 5);
			char *val = json_dumps(mine, JSON_COMPACT | JSON_ENCODE_ANY);
			if ((!fin && json_is_null(mine)) || (fin && json_equal(fin, mine))) {
				free(val);
				continue; /* its value stands (the same value, made twice) */
			}
			snprintf(key, sizeof key, "%s|%s|%s", id, path, val ? val : "");
			free(val);
			if (saola__version_cmp(json_object_get(same, key), v) > 0)
				continue; /* a later edit wrote the same value */
		}
		tw_seen_key(key, sizeof key, id, path, v);
		if (json_object_get(w->seen, key) || json_object_get(logs, key))
			continue;
		if (missing++ < 5) {
			char *t = json_dumps(e, JSON_COMPACT);
			fprintf(stderr, "an overwritten edit is in no conflict log: %s (at the end: %s)\n",
			        t, key);
			free(t);
			t = json_dumps(json_object_get(json_object_get(snap, "ver"), path), JSON_ENCODE_ANY);
			fprintf(stderr, "  final version %s; the edits of that path:\n", t);
			free(t);
			{
				json_t *o;
				size_t j;
				json_array_foreach(w->events, j, o)
					if (strcmp(json_string_value(json_array_get(o, 0)), id) == 0 &&
					    strcmp(json_string_value(json_array_get(o, 1)), path) == 0) {
						t = json_dumps(o, JSON_COMPACT);
						fprintf(stderr, "    %s\n", t);
						free(t);
					}
			}
		}
	}
	json_decref(cache);
	json_decref(logs);
	json_decref(same);
	TW_CHECK(missing == 0, "%ld overwritten concurrent edits are in no log", missing);
	/* And every path version a server holds came with a change its audit
	 * log names. */
	{
		saola__store *stores[3];
		int k;
		stores[0] = w->cstore, stores[1] = w->dstore[0], stores[2] = w->dstore[1];
		for (k = 0; k < 3; k++) {
			json_t *un = ac_unaudited(stores[k]);
			char *t = json_array_size(un) ? json_dumps(un, JSON_COMPACT) : NULL;
			TW_CHECK(json_array_size(un) == 0, "%s: %zu path versions have no audit row:"
			         " %.400s", k ? tw_district_code[k - 1] : "central",
			         json_array_size(un), t ? t : "");
			free(t);
			json_decref(un);
		}
	}
}
