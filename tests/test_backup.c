/* test_backup.c: saola-server backup and restore (server/src/backup.c,
 * docs/backup.md): a round trip that keeps every record and gives a new
 * epoch; a backup taken while another process writes is one consistent
 * snapshot; damaged backups of every kind refused, leaving nothing behind;
 * an existing database replaced only with --force and never while a
 * server serves it; the commands' exit codes. */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "testutil.h"
#include "servertest.h"
#include "synctest.h"
#include "auth.h"
#include "backup.h"
#include "epoch.h"
#include "gen.h"
#include "saola_util.h"
#include "sha256.h"
#include "store.h"
#include "users.h"

#define COMMUNE "14404"
#define OUT_MAX 4096

/* A server database with users and synced households, and a backup of it. */
typedef struct world {
	char dir[512];
	char db[1024];
	char token[SAOLA__TOKEN_HEX + 1];   /* alice, surveyor of COMMUNE */
	saola_gen *gen;
	int batches;
} world;

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

/* A new server database at w->db with the test forms and a surveyor. */
static void world_new(world *w, const char *tag)
{
	saola__store *s;
	saola__err e;

	memset(w, 0, sizeof *w);
	snprintf(w->dir, sizeof w->dir, "%s", tu_tmpdir(tag));
	snprintf(w->db, sizeof w->db, "%s/server.db", w->dir);
	s = sv_store_new(w->db);
	if (saola__user_create(s, "alice", "surveyor", COMMUNE, w->token, &e) != 0)
		fail_msg("user add: %s", e.message);
	saola__store_close(s);
	assert_non_null(w->gen = saola_gen_new(17));
}

static void world_free(world *w)
{
	saola_gen_free(w->gen);
	tu_rmtree(w->dir);
}

/* Pushes n new households from device to the server at url, with a
 * lineage token when lineage is set (its first: prev null); 0 when the
 * server took them all. gen and batches are the caller's (one thread). */
static int push(const char *url, const char *token, saola_gen *gen, int *batches,
                const char *device, int n, int lineage)
{
	json_t *changes = json_array(), *req;
	char id[37], batch[48], next[SAOLA__LINEAGE_LEN + 1];
	char *text;
	sv_resp r;
	int i, ok;

	for (i = 0; i < n; i++) {
		json_t *h = sv_household(gen, COMMUNE, id), *d = json_object_get(h, "d");
		json_t *area = json_object_get(d, "house_area_m2");
		/* The form takes 1 to 1,000 m2; the generator draws 0 now and
		 * then. */
		if (area && (json_number_value(area) < 1 || json_number_value(area) > 1000)) {
			json_object_set_new(d, "house_area_m2", json_integer(100));
		}
		json_array_append_new(changes, h);
	}
	snprintf(batch, sizeof batch, "%s-b%d", device, ++*batches);
	assert_int_equal(saola__random_hex(next, SAOLA__LINEAGE_LEN), 0);
	req = sv_request_lineage(batch, device, 0, 0, changes, NULL, lineage ? next : NULL);
	assert_non_null(text = json_dumps(req, JSON_COMPACT));
	r = sv_http(url, "POST", "/v1/sync", token, NULL, text, strlen(text), 0);
	ok = r.status == 200 && sv_jint(r.json, "applied") == n;
	if (!ok)
		fprintf(stderr, "push: %ld %s\n", r.status, r.body ? r.body : "");
	sv_resp_free(&r);
	free(text);
	json_decref(req);
	return ok ? 0 : -1;
}

/* Fills w's database through an in-process server: batches of 20
 * households, each from a device of its own, the first two with a
 * lineage. */
static void world_fill(world *w, int batches)
{
	char url[64], device[32];
	saola_server *srv = sv_start(w->db, 2, url, sizeof url);
	int i;

	for (i = 0; i < batches; i++) {
		snprintf(device, sizeof device, "dev-%d", i);
		assert_int_equal(push(url, w->token, w->gen, &w->batches, device, 20, i < 2), 0);
	}
	saola_server_stop(srv);
}

/* The first column of sql's first row on the SQLite file path, as text
 * into out ("" when none); the test fails on an error. */
static void query(const char *path, const char *sql, char *out, size_t cap)
{
	sqlite3 *c = NULL;
	sqlite3_stmt *st = NULL;

	out[0] = '\0';
	if (sqlite3_open_v2(path, &c, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s: %s", path, sql, sqlite3_errmsg(c));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(c);
}

static long query_long(const char *path, const char *sql)
{
	char v[64];

	query(path, sql, v, sizeof v);
	return strtol(v, NULL, 10);
}

/* A digest of the records of the server database at path whose change
 * sequence is at most max_seq: each one's id, answers, versions,
 * tombstone and review state, in id order. */
static void records_digest(const char *path, long max_seq, char out[65])
{
	sqlite3 *c = NULL;
	sqlite3_stmt *st = NULL;
	saola__sha256_ctx h;
	unsigned char d[SAOLA__SHA256_LEN];
	int i;

	if (sqlite3_open_v2(path, &c, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c, "SELECT id, data, versions, deleted, state FROM records"
	                          " WHERE seq <= ?1 ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: records: %s", path, sqlite3_errmsg(c));
	sqlite3_bind_int64(st, 1, max_seq);
	saola__sha256_init(&h);
	while (sqlite3_step(st) == SQLITE_ROW)
		for (i = 0; i < 5; i++) {
			const unsigned char *v = sqlite3_column_text(st, i);
			saola__sha256_update(&h, v ? (const char *)v : "(null)",
			                     v ? strlen((const char *)v) + 1 : 7);
		}
	sqlite3_finalize(st);
	sqlite3_close(c);
	saola__sha256_final(&h, d);
	saola__hex(d, sizeof d, out);
}

static void assert_integrity_ok(const char *path)
{
	char v[256];

	query(path, "PRAGMA integrity_check", v, sizeof v);
	assert_string_equal(v, "ok");
}

/* The epoch of the server database at path, read through its store. */
static void epoch_of(const char *path, char out[SAOLA__EPOCH_LEN + 1])
{
	saola__store *s = sv_store(path);
	saola__err e;

	assert_int_equal(s->ops->write_begin(s, 1), SAOLA_OK);
	if (saola__epoch_get(s, out, &e) != 0)
		fail_msg("epoch: %s", e.message);
	assert_int_equal(s->ops->end(s, 1), SAOLA_OK);
	saola__store_close(s);
}

/* The number of entries of dir whose name contains part. */
static int count_named(const char *dir, const char *part)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strstr(de->d_name, part))
			n++;
	closedir(d);
	return n;
}

/* Nothing a failed restore into name could have left in dir. */
static void assert_nothing_left(const char *dir, const char *name)
{
	assert_int_equal(count_named(dir, name), 0);
	assert_int_equal(count_named(dir, ".tmp-"), 0);
	assert_int_equal(count_named(dir, ".copy-"), 0);
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* The length of a backup's two header lines in text. */
static size_t header_len(const char *text, size_t len)
{
	const char *nl = memchr(text, '\n', len);

	assert_non_null(nl);
	assert_non_null(nl = memchr(nl + 1, '\n', len - (size_t)(nl + 1 - text)));
	return (size_t)(nl + 1 - text);
}

/* ------------------------------------------------------------------ */
/* A round trip                                                        */

static void test_round_trip(void **state)
{
	world w;
	saola__backup_info info, read;
	saola__err e;
	char file[1024], newdb[1024], a[65], b[65];
	char epoch_a[SAOLA__EPOCH_LEN + 1], epoch_b[SAOLA__EPOCH_LEN + 1];
	long n;

	(void)state;
	world_new(&w, "backup-trip");
	world_fill(&w, 6);
	snprintf(file, sizeof file, "%s/server" SAOLA__BACKUP_SUFFIX, w.dir);
	snprintf(newdb, sizeof newdb, "%s/restored.db", w.dir);
	epoch_of(w.db, epoch_a);   /* made now when the database has none yet */
	if (saola__backup_write(w.db, file, &info, &e) != 0)
		fail_msg("%s", e.message);
	n = query_long(w.db, "SELECT count(*) FROM records");
	assert_int_equal(n, 120);
	assert_int_equal(info.latest_seq, query_long(w.db, "SELECT max(seq) FROM records"));
	assert_true(info.db_bytes > 0);
	assert_string_equal(info.epoch, epoch_a);

	/* The header alone says the same. */
	assert_int_equal(saola__backup_header(file, &read, &e), 0);
	assert_string_equal(read.created, info.created);
	assert_string_equal(read.epoch, info.epoch);
	assert_string_equal(read.sha256, info.sha256);
	assert_int_equal(read.db_bytes, info.db_bytes);
	assert_int_equal(read.latest_seq, info.latest_seq);

	if (saola__backup_restore(file, newdb, &read, &e) != 0)
		fail_msg("%s", e.message);
	/* One file, nothing beside it (the readers below make the WAL's). */
	assert_int_equal(count_named(w.dir, "restored.db"), 1);
	assert_int_equal(count_named(w.dir, ".tmp-"), 0);
	assert_int_equal(count_named(w.dir, ".copy-"), 0);
	assert_int_equal(query_long(newdb, "SELECT count(*) FROM records"), n);
	records_digest(w.db, info.latest_seq, a);
	records_digest(newdb, info.latest_seq, b);
	assert_string_equal(a, b);
	assert_int_equal(query_long(newdb, "SELECT count(*) FROM users"),
	                 query_long(w.db, "SELECT count(*) FROM users"));
	assert_integrity_ok(newdb);

	/* A new epoch, and the devices' lineages forgotten. */
	epoch_of(newdb, epoch_b);
	assert_string_not_equal(epoch_a, epoch_b);
	assert_int_equal(query_long(w.db, "SELECT count(*) FROM devices WHERE lineage IS NOT"
	                                  " NULL"), 2);
	assert_int_equal(query_long(newdb, "SELECT count(*) FROM devices"), 6);
	assert_int_equal(query_long(newdb, "SELECT count(*) FROM devices WHERE lineage IS NOT"
	                                   " NULL"), 0);

	/* A check alone writes nothing. */
	assert_int_equal(saola__backup_restore(file, NULL, &read, &e), 0);
	world_free(&w);
}

/* ------------------------------------------------------------------ */
/* A backup while another process writes                               */

typedef struct writer {
	const char *url, *token;
	saola_gen *gen;
	int batches, pushed, failed;
	volatile int stop;
	pthread_mutex_t lock;
} writer;

static int writer_pushed(writer *wr)
{
	int n;

	pthread_mutex_lock(&wr->lock);
	n = wr->pushed;
	pthread_mutex_unlock(&wr->lock);
	return n;
}

/* Pushes batches of 10 households until told to stop. */
static void *write_loop(void *arg)
{
	writer *wr = arg;

	while (!wr->stop) {
		int rc = push(wr->url, wr->token, wr->gen, &wr->batches, "dev-w", 10, 0);
		pthread_mutex_lock(&wr->lock);
		if (rc == 0)
			wr->pushed++;
		else
			wr->failed++;
		pthread_mutex_unlock(&wr->lock);
	}
	return NULL;
}

/* One backup by the saola-server command while the writer writes; checks
 * that the restored database is the snapshot its header says. */
static void backup_while_writing(world *w, writer *wr, int round)
{
	char file[1024], newdb[1024], out[OUT_MAX], err[OUT_MAX], a[65], b[65];
	saola__backup_info info;
	saola__err e;
	long before, after, restored;
	int start = writer_pushed(wr);

	while (writer_pushed(wr) < start + 2)
		usleep(10000);
	snprintf(file, sizeof file, "%s/live-%d" SAOLA__BACKUP_SUFFIX, w->dir, round);
	snprintf(newdb, sizeof newdb, "%s/live-%d.db", w->dir, round);
	before = query_long(w->db, "SELECT count(*) FROM records");
	if (tu_runf(out, sizeof out, err, sizeof err, "'%s' backup --db '%s' --to '%s'",
	            st_server_bin(), w->db, file) != 0)
		fail_msg("backup: %s", err);
	after = query_long(w->db, "SELECT count(*) FROM records");
	assert_non_null(strstr(out, "latest seq"));
	if (saola__backup_restore(file, newdb, &info, &e) != 0)
		fail_msg("%s", e.message);
	assert_integrity_ok(newdb);
	restored = query_long(newdb, "SELECT count(*) FROM records");
	assert_true(before <= restored && restored <= after);
	assert_int_equal(query_long(newdb, "SELECT coalesce(max(seq), 0) FROM records"),
	                 info.latest_seq);
	/* Households are only added: the snapshot holds exactly the live
	 * database's records up to its latest sequence, each as it is now. */
	records_digest(newdb, info.latest_seq, a);
	records_digest(w->db, info.latest_seq, b);
	assert_string_equal(a, b);
	fprintf(stderr, "backup %d while writing: %ld records before, %ld in it, %ld after\n",
	        round, before, restored, after);
}

static void test_backup_while_writing(void **state)
{
	world w;
	writer wr;
	st_server *srv;
	pthread_t t;
	char url[64];
	int i;

	(void)state;
	world_new(&w, "backup-live");
	assert_non_null(srv = st_server_spawn(w.db, 0, NULL));
	snprintf(url, sizeof url, "http://127.0.0.1:%d", st_server_port(srv));
	memset(&wr, 0, sizeof wr);
	wr.url = url;
	wr.token = w.token;
	wr.gen = w.gen;
	pthread_mutex_init(&wr.lock, NULL);
	assert_int_equal(pthread_create(&t, NULL, write_loop, &wr), 0);
	for (i = 0; i < 3; i++)
		backup_while_writing(&w, &wr, i);
	wr.stop = 1;
	pthread_join(t, NULL);
	assert_int_equal(wr.failed, 0);
	st_server_stop(srv);
	pthread_mutex_destroy(&wr.lock);
	world_free(&w);
}

/* ------------------------------------------------------------------ */
/* Damaged backups                                                     */

/* What a corruption does to a good backup's bytes (text, len), in place;
 * at is its parameter. */
typedef enum damage {
	FLIP,          /* XOR 0xff the stream's byte at (-1: its middle) */
	FLIP_END,      /* XOR 0xff the at-th byte from the end (1: the last) */
	CUT,           /* keep the first at bytes */
	CUT_END,       /* cut the last at bytes */
	EDIT,          /* set header field "field" to the JSON value "value" */
	REPLACE_HEAD,  /* the first line becomes "value" */
	APPEND,        /* "value" added at the end */
	EMPTY,
	HEADER_ONLY,
	SQLITE_FILE    /* a SQLite database given as a backup */
} damage;

typedef struct damaged_case {
	const char *name;
	damage how;
	long at;
	const char *field, *value;
	const char *expect;   /* a fragment of the message */
	int restore_only;     /* found by the restore's checks of the database, not
	                       * by a check of the file alone */
} damaged_case;

static const damaged_case damaged_cases[] = {
	{"a byte flipped mid-stream", FLIP, -1, NULL, NULL, "the file is damaged", 0},
	{"a byte of the gzip header", FLIP, 3, NULL, NULL, "the file is damaged", 0},
	{"the gzip header's first byte", FLIP, 0, NULL, NULL, "does not decompress", 0},
	{"the gzip header's time", FLIP, 5, NULL, NULL, "does not decompress", 0},
	{"the CRC in the gzip trailer", FLIP_END, 6, NULL, NULL, "does not decompress", 0},
	{"the size in the gzip trailer", FLIP_END, 1, NULL, NULL, "does not decompress", 0},
	{"cut inside the first line", CUT, 7, NULL, NULL, "truncated", 0},
	{"cut inside the header", CUT, 40, NULL, NULL, "truncated", 0},
	{"cut mid-stream", CUT_END, 2000, NULL, NULL, "truncated", 0},
	{"cut in the trailer", CUT_END, 3, NULL, NULL, "truncated", 0},
	{"cut one byte short", CUT_END, 1, NULL, NULL, "truncated", 0},
	{"another checksum", EDIT, 0, "sha256",
	 "\"0000000000000000000000000000000000000000000000000000000000000000\"",
	 "checksum does not match the header's", 0},
	{"a checksum not hex", EDIT, 0, "sha256", "\"xyz\"", "sha256: expected 64", 0},
	{"a size too small", EDIT, -1, "db_bytes", NULL, "longer than the header's", 0},
	{"a size too big", EDIT, 1, "db_bytes", NULL, "the header says", 0},
	{"another latest seq", EDIT, 1, "latest_seq", NULL, "the header was edited", 1},
	{"another epoch", EDIT, 0, "epoch", "\"0123456789abcdef0123456789abcdef\"",
	 "the header was edited", 1},
	{"a wrong magic", REPLACE_HEAD, 0, NULL, "saola-backupz 1", "not a saola backup", 0},
	{"another program's file", REPLACE_HEAD, 0, NULL, "PK\x03\x04", "not a saola backup", 0},
	{"a newer format", REPLACE_HEAD, 0, NULL, "saola-backup 2", "backup format 2", 0},
	{"bytes after the stream", APPEND, 0, NULL, "more", "bytes after the compressed", 0},
	{"an empty file", EMPTY, 0, NULL, NULL, "an empty file", 0},
	{"the header only", HEADER_ONLY, 0, NULL, NULL, "truncated", 0},
	{"a SQLite database", SQLITE_FILE, 0, NULL, NULL, "not a saola backup", 0},
};

/* The header line of text (hlen bytes with both lines) with one field
 * changed, then the rest. New buffer; *len its size. */
static char *edit_header(const char *text, size_t len, size_t hlen, const damaged_case *c,
                         size_t *outlen)
{
	size_t first = (size_t)((const char *)memchr(text, '\n', len) - text) + 1;
	json_t *h = json_loadb(text + first, hlen - first - 1, 0, NULL), *v;
	char *json, *out;
	size_t jl;

	assert_non_null(h);
	if (c->value)
		v = json_loads(c->value, JSON_DECODE_ANY, NULL);
	else
		v = json_integer(json_integer_value(json_object_get(h, c->field)) + c->at);
	assert_non_null(v);
	json_object_set_new(h, c->field, v);
	json = json_dumps(h, JSON_COMPACT);
	jl = strlen(json);
	*outlen = first + jl + 1 + (len - hlen);
	out = malloc(*outlen);
	memcpy(out, text, first);
	memcpy(out + first, json, jl);
	out[first + jl] = '\n';
	memcpy(out + first + jl + 1, text + hlen, len - hlen);
	free(json);
	json_decref(h);
	return out;
}

/* A damaged copy of the good backup (text, len) at path. */
static void make_damaged(const damaged_case *c, const char *text, size_t len,
                         const char *good_db, const char *path)
{
	size_t hlen = header_len(text, len), n;
	char *buf = malloc(len + 64);
	long at = c->at;

	assert_non_null(buf);
	memcpy(buf, text, len);
	n = len;
	switch (c->how) {
	case FLIP:
		buf[at < 0 ? hlen + (len - hlen) / 2 : hlen + (size_t)at] ^= (char)0xff;
		break;
	case FLIP_END:
		buf[len - (size_t)at] ^= (char)0xff;
		break;
	case CUT:
		n = (size_t)at;
		break;
	case CUT_END:
		n = len - (size_t)at;
		break;
	case EDIT:
		free(buf);
		buf = edit_header(text, len, hlen, c, &n);
		break;
	case REPLACE_HEAD: {
		size_t first = (size_t)((const char *)memchr(text, '\n', len) - text);
		size_t vl = strlen(c->value);
		free(buf);
		buf = malloc(len + vl);
		memcpy(buf, c->value, vl);
		memcpy(buf + vl, text + first, len - first);
		n = vl + len - first;
		break;
	}
	case APPEND:
		memcpy(buf + len, c->value, strlen(c->value));
		n = len + strlen(c->value);
		break;
	case EMPTY:
		n = 0;
		break;
	case HEADER_ONLY:
		n = hlen;
		break;
	case SQLITE_FILE: {
		size_t dl;
		char *db = tu_read_file(good_db, &dl);
		assert_non_null(db);
		write_file(path, db, dl);
		free(db);
		free(buf);
		return;
	}
	}
	write_file(path, buf, n);
	free(buf);
}

static void test_damaged(void **state)
{
	world w;
	saola__err e;
	char file[1024], bad[1024], newdb[1024], *text;
	size_t len, i;

	(void)state;
	world_new(&w, "backup-damaged");
	world_fill(&w, 3);
	snprintf(file, sizeof file, "%s/good" SAOLA__BACKUP_SUFFIX, w.dir);
	snprintf(bad, sizeof bad, "%s/bad" SAOLA__BACKUP_SUFFIX, w.dir);
	snprintf(newdb, sizeof newdb, "%s/new.db", w.dir);
	if (saola__backup_write(w.db, file, NULL, &e) != 0)
		fail_msg("%s", e.message);
	assert_non_null(text = tu_read_file(file, &len));
	for (i = 0; i < sizeof damaged_cases / sizeof damaged_cases[0]; i++) {
		const damaged_case *c = &damaged_cases[i];
		int rc;

		make_damaged(c, text, len, w.db, bad);
		rc = saola__backup_restore(bad, newdb, NULL, &e);
		if (rc == 0)
			fail_msg("%s: restored", c->name);
		if (!strstr(e.message, c->expect) || !strstr(e.message, "nothing was restored"))
			fail_msg("%s: \"%s\" does not say \"%s\"", c->name, e.message, c->expect);
		assert_nothing_left(w.dir, "new.db");
		/* A check alone says the same. */
		if (c->restore_only)
			continue;
		assert_int_equal(saola__backup_restore(bad, NULL, NULL, &e), -1);
		assert_non_null(strstr(e.message, c->expect));
	}
	/* The good one still restores. */
	if (saola__backup_restore(file, newdb, NULL, &e) != 0)
		fail_msg("%s", e.message);
	free(text);
	world_free(&w);
}

/* A database made by a newer saola-server (a higher server schema) is
 * backed up as it is, and refused by this one's restore. */
static void test_newer_schema(void **state)
{
	world w;
	saola__err e;
	sqlite3 *c;
	char file[1024], newdb[1024];

	(void)state;
	world_new(&w, "backup-newer");
	assert_int_equal(sqlite3_open(w.db, &c), SQLITE_OK);
	assert_int_equal(sqlite3_exec(c, "UPDATE meta SET value = '999' WHERE key ="
	                                 " 'server_schema'", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(c);
	snprintf(file, sizeof file, "%s/newer" SAOLA__BACKUP_SUFFIX, w.dir);
	snprintf(newdb, sizeof newdb, "%s/new.db", w.dir);
	if (saola__backup_write(w.db, file, NULL, &e) != 0)
		fail_msg("%s", e.message);
	assert_int_equal(saola__backup_restore(file, newdb, NULL, &e), -1);
	assert_non_null(strstr(e.message, "made by a newer saola-server"));
	assert_nothing_left(w.dir, "new.db");
	world_free(&w);
}

/* ------------------------------------------------------------------ */
/* An existing database                                                */

static void expect_in_use(const char *file, const char *db)
{
	saola__err e;

	assert_int_equal(saola__backup_replace(file, db, NULL, &e), -1);
	if (!strstr(e.message, "is in use"))
		fail_msg("\"%s\" does not say in use", e.message);
}

static void test_existing(void **state)
{
	world w;
	saola__err e;
	saola__backup_info info;
	char file[1024], other[1024], wal[1100], url[64], a[65], b[65];
	char epoch[SAOLA__EPOCH_LEN + 1];
	saola_server *srv;
	st_server *proc;

	(void)state;
	world_new(&w, "backup-existing");
	world_fill(&w, 2);
	snprintf(file, sizeof file, "%s/b" SAOLA__BACKUP_SUFFIX, w.dir);
	snprintf(other, sizeof other, "%s/other.db", w.dir);
	if (saola__backup_write(w.db, file, &info, &e) != 0)
		fail_msg("%s", e.message);

	/* Without --force, an existing database, or the WAL of one, stays. */
	assert_int_equal(saola__backup_restore(file, w.db, NULL, &e), -1);
	assert_non_null(strstr(e.message, "exists"));
	snprintf(wal, sizeof wal, "%s-wal", other);
	write_file(wal, "x", 1);
	assert_int_equal(saola__backup_restore(file, other, NULL, &e), -1);
	assert_non_null(strstr(e.message, "exists"));
	assert_int_equal(unlink(wal), 0);
	assert_int_equal(count_named(w.dir, ".tmp-"), 0);

	/* Served by a saola-server process, then by one in this process. */
	assert_non_null(proc = st_server_spawn(w.db, 0, NULL));
	expect_in_use(file, w.db);
	st_server_stop(proc);
	srv = sv_start(w.db, 2, url, sizeof url);
	expect_in_use(file, w.db);
	saola_server_stop(srv);
	assert_int_equal(count_named(w.dir, ".tmp-"), 0);

	/* A server killed after writing leaves its WAL: the restore replaces
	 * the database with the backup's, and that WAL is not replayed into
	 * it. */
	assert_non_null(proc = st_server_spawn(w.db, 0, NULL));
	snprintf(url, sizeof url, "http://127.0.0.1:%d", st_server_port(proc));
	assert_int_equal(push(url, w.token, w.gen, &w.batches, "dev-k", 20, 1), 0);
	kill(st_server_pid(proc), SIGKILL);
	st_server_stop(proc);
	assert_int_equal(query_long(w.db, "SELECT count(*) FROM records"), 60);
	if (saola__backup_replace(file, w.db, NULL, &e) != 0)
		fail_msg("%s", e.message);
	assert_integrity_ok(w.db);
	assert_int_equal(query_long(w.db, "SELECT count(*) FROM records"), 40);
	assert_int_equal(query_long(w.db, "SELECT max(seq) FROM records"), info.latest_seq);
	epoch_of(w.db, epoch);
	assert_string_not_equal(info.epoch, epoch);

	/* --force where there is none is a plain restore. */
	if (saola__backup_replace(file, other, NULL, &e) != 0)
		fail_msg("%s", e.message);
	records_digest(other, info.latest_seq, a);
	records_digest(w.db, info.latest_seq, b);
	assert_string_equal(a, b);
	assert_int_equal(count_named(w.dir, ".tmp-"), 0);
	world_free(&w);
}

/* ------------------------------------------------------------------ */
/* The commands                                                        */

typedef struct cli_case {
	const char *args;     /* after the program; %D the database, %F the backup,
	                       * %N a new path, %X a SQLite file no server made */
	int status;
	const char *expect;   /* a fragment of stdout or stderr */
} cli_case;

static const cli_case cli_cases[] = {
	{"backup", 2, "usage: saola-server backup"},
	{"backup --db %D", 2, "usage: saola-server backup"},
	{"backup --to %F", 2, "usage: saola-server backup"},
	{"backup --db %D --to %F --bogus 1", 2, "unknown option --bogus"},
	{"backup --db %D --to", 2, "needs a value"},
	{"backup extra --db %D --to %F", 2, "unexpected argument"},
	{"backup --help", 0, "usage: saola-server backup"},
	{"backup --db %D --to %F", 0, "latest seq 40"},
	{"backup --db %D --to %F", 1, "exists: a backup never replaces a file"},
	{"backup --db %N --to %N.b", 1, "no such file"},
	{"backup --db %X --to %N.b", 1, "not a saola-server database"},
	{"backup --db postgresql://u:secret@h/db --to %N.b", 1, "back it up with pg_dump"},
	{"restore", 2, "usage: saola-server restore"},
	{"restore --from %F", 2, "usage: saola-server restore"},
	{"restore --db %N", 2, "usage: saola-server restore"},
	{"restore --from %F --check --db %N", 2, "usage: saola-server restore"},
	{"restore --from %F --check --force", 2, "usage: saola-server restore"},
	{"restore --from %F --db %N --force=yes", 2, "takes no value"},
	{"restore --help", 0, "--force"},
	{"restore --from %F --check", 0, "intact"},
	{"restore --from %N.b --db %N", 1, "No such file"},
	{"restore --from %X --db %N", 1, "not a saola backup"},
	{"restore --from %F --db postgresql://u:secret@h/db", 1, "pg_restore"},
	{"restore --from %F --db %N", 0, "restored"},
	{"restore --from %F --db %N", 1, "exists"},
	{"restore --from %F --db %N --force", 0, "restored"},
};

/* args with %D, %F, %N and %X replaced, quoted, into out. */
static void expand(const char *args, const world *w, char *out, size_t cap)
{
	size_t n = 0;
	const char *p;

	for (p = args; *p && n + 1100 < cap; p++) {
		const char *name = p[0] != '%' ? NULL : p[1] == 'D' ? "server.db"
		                   : p[1] == 'F' ? "cli" SAOLA__BACKUP_SUFFIX : p[1] == 'N' ? "new.db"
		                   : p[1] == 'X' ? "other.sqlite" : NULL;
		if (name) {
			n += (size_t)snprintf(out + n, cap - n, "'%s/%s'", w->dir, name);
			p++;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	/* '%s/new.db'.b: the quote closes before the suffix, which sh joins. */
}

static void test_cli(void **state)
{
	world w;
	sqlite3 *c;
	char args[4096], out[OUT_MAX], err[OUT_MAX], x[1100];
	size_t i;

	(void)state;
	world_new(&w, "backup-cli");
	world_fill(&w, 2);
	snprintf(x, sizeof x, "%s/other.sqlite", w.dir);
	assert_int_equal(sqlite3_open(x, &c), SQLITE_OK);
	assert_int_equal(sqlite3_exec(c, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(c);
	for (i = 0; i < sizeof cli_cases / sizeof cli_cases[0]; i++) {
		const cli_case *cc = &cli_cases[i];
		int status;

		expand(cc->args, &w, args, sizeof args);
		status = tu_runf(out, sizeof out, err, sizeof err, "'%s' %s", st_server_bin(), args);
		if (status != cc->status || (!strstr(out, cc->expect) && !strstr(err, cc->expect)))
			fail_msg("saola-server %s: exit %d (expected %d), stdout \"%s\", stderr \"%s\""
			         " (expected \"%s\")", cc->args, status, cc->status, out, err,
			         cc->expect);
		assert_null(strstr(err, "secret"));
	}
	assert_int_equal(count_named(w.dir, ".tmp-"), 0);
	assert_int_equal(count_named(w.dir, ".copy-"), 0);
	assert_int_equal(count_named(w.dir, "new.db.b"), 0);
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_backup_while_writing),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_newer_schema),
		cmocka_unit_test(test_existing),
		cmocka_unit_test(test_cli),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
