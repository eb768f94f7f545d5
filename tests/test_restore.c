/* test_restore.c: a server restored from a backup carries on with every
 * device (issue 17): ten devices sync while the backup is taken and go on
 * after it; the server is restored from it into a new database and a new
 * server; the devices, pointed at it, sync again and send what it lost
 * (docs/protocol.md, "Epoch"). Every household is then there exactly
 * once, on the server and on every device, and the restored database
 * passes integrity_check. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <sqlite3.h>

#include "testutil.h"
#include "synctest.h"
#include "servertest.h"
#include "backup.h"
#include "saola/sync.h"
#include "saola/server.h"

#define DEVICES 10
#define FIRST 4      /* households each device makes and syncs before */
#define ROUNDS 4     /* rounds of one household, an edit and a sync after */
#define BACKUP_AT 10 /* the backup starts once this many rounds synced */

static const char commune[] = "14404";

typedef struct world {
	char dir[512];
	char url[64];
	saola_server *srv;
	saola *dev[DEVICES];
	json_t *made[DEVICES];     /* ids each device made */
	pthread_mutex_t lock;
	pthread_cond_t moved;
	int synced;                /* rounds synced (all devices) */
	int backed_up;             /* the backup is written */
} world;

typedef struct worker {
	world *w;
	int i;
	int failed;
	char why[512];
} worker;

static int sync_dev(saola *db, saola_sync_stats *st)
{
	saola_sync_opts o;

	memset(&o, 0, sizeof o);
	return saola_sync(db, &o, st);
}

/* Rounds 0 and 1 run while the backup is taken; rounds 2.. wait for it,
 * so that the server surely holds changes the backup lacks. */
static void *work(void *arg)
{
	worker *k = arg;
	world *w = k->w;
	saola_sync_stats st;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		const char *first = json_string_value(json_array_get(w->made[k->i], (size_t)r));
		json_t *edit;
		char name[64];

		pthread_mutex_lock(&w->lock);
		while (r >= 2 && !w->backed_up)
			pthread_cond_wait(&w->moved, &w->lock);
		pthread_mutex_unlock(&w->lock);
		st_put_households(w->dev[k->i], 1000 + (uint64_t)(k->i * ROUNDS + r), commune, 1,
		                  w->made[k->i]);
		snprintf(name, sizeof name, "Renamed %d-%d", k->i, r);
		edit = st_head_edit(w->dev[k->i], first, name);
		if (saola_put(w->dev[k->i], "household", first, edit, NULL) != SAOLA_OK ||
		    sync_dev(w->dev[k->i], &st) != SAOLA_OK) {
			snprintf(k->why, sizeof k->why, "device %d round %d: %s", k->i, r,
			         saola_errmsg(w->dev[k->i]));
			k->failed = 1;
			json_decref(edit);
			break;
		}
		json_decref(edit);
		pthread_mutex_lock(&w->lock);
		w->synced++;
		pthread_cond_broadcast(&w->moved);
		pthread_mutex_unlock(&w->lock);
	}
	if (k->failed) { /* let the main thread's wait end */
		pthread_mutex_lock(&w->lock);
		w->synced += ROUNDS;
		pthread_cond_broadcast(&w->moved);
		pthread_mutex_unlock(&w->lock);
	}
	return NULL;
}

/* The households every device made, sorted. */
static json_t *all_made(world *w)
{
	json_t *all = json_array();
	int i;

	for (i = 0; i < DEVICES; i++)
		json_array_extend(all, w->made[i]);
	return all;
}

static long integrity_ok(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long ok = 0;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL),
	                 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ok;
}

/* Phase 1: every device makes FIRST households and syncs them. */
static void first_households(world *w, char *const *tok)
{
	saola_sync_stats st;
	char name[32];
	int i;

	for (i = 0; i < DEVICES; i++) {
		snprintf(name, sizeof name, "dev%d.db", i);
		w->dev[i] = st_device(tu_path(w->dir, name), w->url, tok[i]);
		w->made[i] = json_array();
		st_put_households(w->dev[i], 100 + (uint64_t)i, commune, FIRST, w->made[i]);
		if (sync_dev(w->dev[i], &st) != SAOLA_OK)
			fail_msg("device %d: %s", i, saola_errmsg(w->dev[i]));
	}
}

/* Phase 2: the devices' rounds, with the backup taken among them. */
static void rounds_and_backup(world *w, const char *srvdb, const char *file,
                              saola__backup_info *info)
{
	pthread_t th[DEVICES];
	worker k[DEVICES];
	saola__err e;
	int i, rc;

	for (i = 0; i < DEVICES; i++) {
		memset(&k[i], 0, sizeof k[i]);
		k[i].w = w;
		k[i].i = i;
		assert_int_equal(pthread_create(&th[i], NULL, work, &k[i]), 0);
	}
	pthread_mutex_lock(&w->lock);
	while (w->synced < BACKUP_AT)
		pthread_cond_wait(&w->moved, &w->lock);
	pthread_mutex_unlock(&w->lock);
	rc = saola__backup_write(srvdb, file, info, &e);
	pthread_mutex_lock(&w->lock);
	w->backed_up = 1;
	pthread_cond_broadcast(&w->moved);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < DEVICES; i++)
		pthread_join(th[i], NULL);
	if (rc != 0)
		fail_msg("backup: %s", e.message);
	for (i = 0; i < DEVICES; i++)
		if (k[i].failed)
			fail_msg("%s", k[i].why);
}

/* Every device holds what device 0 holds, record by record, and that is
 * every household made. */
static void assert_converged(world *w, saola *fresh)
{
	json_t *all = all_made(w), *ids0 = st_record_ids(w->dev[0]), *id;
	size_t j;
	int i;

	assert_int_equal(json_array_size(ids0), json_array_size(all));
	json_array_foreach(all, j, id) {
		const char *rid = json_string_value(id);
		for (i = 1; i < DEVICES; i++)
			if (!st_same_record(w->dev[0], w->dev[i], rid))
				fail_msg("record %s differs between devices 0 and %d", rid, i);
		if (!st_same_record(w->dev[0], fresh, rid))
			fail_msg("record %s: the restored server's differs from device 0's", rid);
	}
	json_decref(all);
	json_decref(ids0);
}

static void test_restore_resend(void **state)
{
	world w;
	char *tok[DEVICES], *fresh_tok, name[32], srvdb[1024], newdb[1024], file[1024];
	saola__backup_info info;
	saola_sync_stats st;
	saola__err e;
	saola *fresh;
	long resent = 0, before, total = DEVICES * (FIRST + ROUNDS);
	int i;

	(void)state;
	memset(&w, 0, sizeof w);
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.moved, NULL);
	snprintf(w.dir, sizeof w.dir, "%s", tu_tmpdir("restore"));
	snprintf(srvdb, sizeof srvdb, "%s", tu_path(w.dir, "server.db"));
	snprintf(newdb, sizeof newdb, "%s", tu_path(w.dir, "restored.db"));
	snprintf(file, sizeof file, "%s", tu_path(w.dir, "server" SAOLA__BACKUP_SUFFIX));
	w.srv = sv_start(srvdb, 0, w.url, sizeof w.url);
	for (i = 0; i < DEVICES; i++) {
		snprintf(name, sizeof name, "surveyor%d", i);
		tok[i] = st_user_add(srvdb, name, "surveyor", commune);
	}
	fresh_tok = st_user_add(srvdb, "newcomer", "surveyor", commune);
	first_households(&w, tok);
	rounds_and_backup(&w, srvdb, file, &info);
	assert_int_equal(tu_count(srvdb, "SELECT count(*) FROM records"), total);
	saola_server_stop(w.srv);

	/* The restored server lacks what came after the backup. */
	if (saola__backup_restore(file, newdb, NULL, &e) != 0)
		fail_msg("restore: %s", e.message);
	before = tu_count(newdb, "SELECT count(*) FROM records");
	assert_true(before >= DEVICES * FIRST && before < total);
	w.srv = sv_start(newdb, 0, w.url, sizeof w.url);
	for (i = 0; i < DEVICES; i++) {
		assert_int_equal(saola_state_set(w.dev[i], "server", w.url), SAOLA_OK);
		if (sync_dev(w.dev[i], &st) != SAOLA_OK)
			fail_msg("device %d after the restore: %s", i, saola_errmsg(w.dev[i]));
		resent += st.resent;
	}
	/* Each device learnt of the restore once; a second sync pulls what
	 * the others sent again. */
	assert_true(resent >= total);
	for (i = 0; i < DEVICES; i++) {
		if (sync_dev(w.dev[i], &st) != SAOLA_OK)
			fail_msg("device %d: %s", i, saola_errmsg(w.dev[i]));
		assert_int_equal(st.resent, 0);
	}
	assert_int_equal(tu_count(newdb, "SELECT count(*) FROM records"), total);
	assert_int_equal(tu_count(newdb, "SELECT count(DISTINCT id) FROM records"), total);
	fresh = st_device(tu_path(w.dir, "fresh.db"), w.url, fresh_tok);
	if (sync_dev(fresh, &st) != SAOLA_OK)
		fail_msg("a new device: %s", saola_errmsg(fresh));
	assert_converged(&w, fresh);
	saola_server_stop(w.srv);
	assert_true(integrity_ok(newdb));

	saola_close(fresh);
	for (i = 0; i < DEVICES; i++) {
		saola_close(w.dev[i]);
		json_decref(w.made[i]);
		free(tok[i]);
	}
	free(fresh_tok);
	tu_rmtree(w.dir);
}

/* The epoch of the server database at path (its sync state). */
static char *epoch_of(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *out = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT value FROM sync_state WHERE key = 'epoch'",
	                                    -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		out = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_non_null(out);
	return out;
}

/* `saola-server restored` (after pg_restore; here on a SQLite copy made
 * with the server stopped): a new epoch, the lineages forgotten, and a
 * device that synced after the copy was made sends again what it lacks. */
static void test_restored_command(void **state)
{
	char dir[512], srvdb[1024], copy[1024], url[64], out[4096], err[4096], *tok, *e1, *e2;
	saola_server *srv;
	saola_sync_stats st;
	saola *dev;
	json_t *ids = json_array();
	long clock0;
	int rc;

	(void)state;
	snprintf(dir, sizeof dir, "%s", tu_tmpdir("restored"));
	snprintf(srvdb, sizeof srvdb, "%s", tu_path(dir, "server.db"));
	snprintf(copy, sizeof copy, "%s", tu_path(dir, "copy.db"));
	srv = sv_start(srvdb, 0, url, sizeof url);
	tok = st_user_add(srvdb, "lan", "surveyor", commune);
	dev = st_device(tu_path(dir, "dev.db"), url, tok);
	st_put_households(dev, 7, commune, 3, ids);
	assert_int_equal(sync_dev(dev, &st), SAOLA_OK);
	saola_server_stop(srv);
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "cp '%s' '%s'", srvdb, copy), 0);
	srv = sv_start(srvdb, 0, url, sizeof url);
	assert_int_equal(saola_state_set(dev, "server", url), SAOLA_OK);
	st_put_households(dev, 8, commune, 2, ids);
	assert_int_equal(sync_dev(dev, &st), SAOLA_OK);
	saola_server_stop(srv);

	clock0 = tu_count(copy, "SELECT value FROM meta WHERE key = 'clock'");
	e1 = epoch_of(copy);
	rc = tu_runf(out, sizeof out, err, sizeof err, "%s restored --db '%s'",
	             st_server_bin(), copy);
	if (rc != 0)
		fail_msg("restored: %d: %s", rc, err);
	e2 = epoch_of(copy);
	assert_string_not_equal(e1, e2);
	/* The clock leapt past any edit the server made after the copy. */
	assert_true(tu_count(copy, "SELECT value FROM meta WHERE key = 'clock'") >=
	            clock0 + 2147483648L);
	assert_non_null(strstr(out, e2));
	assert_int_equal(tu_count(copy, "SELECT count(*) FROM devices WHERE lineage IS NOT NULL"),
	                 0);
	assert_int_equal(tu_count(copy, "SELECT count(*) FROM records"), 3);
	/* Bad usage: 2; no such database: 1, nothing made. */
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "%s restored",
	                         st_server_bin()), 2);
	assert_int_equal(tu_runf(out, sizeof out, err, sizeof err, "%s restored --db '%s'",
	                         st_server_bin(), tu_path(dir, "none.db")), 1);

	srv = sv_start(copy, 0, url, sizeof url);
	assert_int_equal(saola_state_set(dev, "server", url), SAOLA_OK);
	assert_int_equal(sync_dev(dev, &st), SAOLA_OK);
	assert_int_equal(st.resent, 5);
	assert_int_equal(tu_count(copy, "SELECT count(*) FROM records"), 5);
	saola_server_stop(srv);
	saola_close(dev);
	json_decref(ids);
	free(tok);
	free(e1);
	free(e2);
	tu_rmtree(dir);
}

/* One saola-server bundle command (import or export) on db as user lan. */
static void bundle_cmd(const char *sub, const char *db, const char *file)
{
	char out[4096], err[4096];
	int rc = tu_runf(out, sizeof out, err, sizeof err, "%s bundle %s --db '%s' --user lan '%s'",
	                 st_server_bin(), sub, db, file);

	if (rc != 0)
		fail_msg("bundle %s: %d: %s", sub, rc, err);
}

/* A device's push bundle taken to the server, and the server's pull
 * bundle back (which confirms it). */
static void bundle_round(saola *dev, const char *db, const char *dir, saola_sync_stats *st)
{
	char push[1024], pull[1024];

	snprintf(push, sizeof push, "%s", tu_path(dir, "push.bundle"));
	snprintf(pull, sizeof pull, "%s", tu_path(dir, "pull.bundle"));
	assert_int_equal(saola_sync_to_file(dev, push, NULL), SAOLA_OK);
	bundle_cmd("import", db, push);
	bundle_cmd("export", db, pull);
	if (saola_sync_from_file(dev, pull, st) != SAOLA_OK)
		fail_msg("pull bundle: %s", saola_errmsg(dev));
}

/* A device that syncs only by bundle learns of the restore from the pull
 * bundle's epoch, queues its records again, and its next push bundle
 * brings the restored server what it lost. */
static void test_bundle_only_device(void **state)
{
	char dir[512], srvdb[1024], newdb[1024], file[1024], *tok;
	saola__backup_info info;
	saola_sync_stats st;
	saola__err e;
	saola *dev;
	int64_t queued = -1;

	(void)state;
	snprintf(dir, sizeof dir, "%s", tu_tmpdir("bundlerestore"));
	snprintf(srvdb, sizeof srvdb, "%s", tu_path(dir, "server.db"));
	snprintf(newdb, sizeof newdb, "%s", tu_path(dir, "restored.db"));
	snprintf(file, sizeof file, "%s", tu_path(dir, "server" SAOLA__BACKUP_SUFFIX));
	saola_server_stop(sv_start(srvdb, 0, file, sizeof file)); /* a served database */
	snprintf(file, sizeof file, "%s", tu_path(dir, "server" SAOLA__BACKUP_SUFFIX));
	tok = st_user_add(srvdb, "lan", "surveyor", commune);
	dev = st_device(tu_path(dir, "dev.db"), "http://127.0.0.1:1", tok);
	st_put_households(dev, 21, commune, 3, NULL);
	bundle_round(dev, srvdb, dir, &st);
	assert_int_equal(saola_outbox_count(dev, &queued), SAOLA_OK);
	assert_int_equal(queued, 0);
	if (saola__backup_write(srvdb, file, &info, &e) != 0)
		fail_msg("backup: %s", e.message);
	st_put_households(dev, 22, commune, 2, NULL);
	bundle_round(dev, srvdb, dir, &st);
	assert_int_equal(st.resent, 0);
	assert_int_equal(tu_count(srvdb, "SELECT count(*) FROM records"), 5);

	if (saola__backup_restore(file, newdb, NULL, &e) != 0)
		fail_msg("restore: %s", e.message);
	assert_int_equal(tu_count(newdb, "SELECT count(*) FROM records"), 3);
	bundle_round(dev, newdb, dir, &st);   /* the pull tells of the restore */
	assert_int_equal(st.resent, 5);
	assert_non_null(strstr(st.note, "restored from a backup"));
	bundle_round(dev, newdb, dir, &st);   /* the resends go */
	assert_int_equal(st.resent, 0);
	assert_int_equal(tu_count(newdb, "SELECT count(*) FROM records"), 5);
	assert_int_equal(saola_outbox_count(dev, &queued), SAOLA_OK);
	assert_int_equal(queued, 0);
	saola_close(dev);
	free(tok);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restore_resend),
		cmocka_unit_test(test_restored_command),
		cmocka_unit_test(test_bundle_only_device),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
