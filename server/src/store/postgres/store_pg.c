/* store_pg.c: the PostgreSQL store: a connection (db_pg.c), its versioned
 * schema (schema_pg.c), the shared users, devices and batches
 * (store_users.c), forms, merges and pulls (store_forms.c,
 * store_records.c, store_pull.c) with its forms engine (engine_pg.c), and
 * this server's origin, kept in meta so that every process on the
 * database shares it (docs/scale.md says what works on PostgreSQL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola/core.h"
#include "server_int.h"
#include "db_pg.h"
#include "engine_pg.h"
#include "schema_pg.h"
#include "store_sql.h"
#include "store_pg.h"

typedef struct pg_store {
	saola__store base;
	int txn;                 /* 0 none, 1 write, 2 read */
	char origin[64];         /* this server's origin (meta 'origin') */
	saola__engine engine;    /* the forms engine (engine_pg.h) */
	int engine_checked;      /* its generation was checked in the open
	                          * transaction (once a transaction, not once a
	                          * change) */
} pg_store;

static const char *pg_errmsg(const saola__store *base)
{
	return saola__db_errmsg(base->db);
}

static int pg_write_begin(saola__store *base, int durable)
{
	pg_store *s = (pg_store *)base;
	int rc;

	if (s->txn)
		return saola__db_fail(base->db, SAOLA_MISUSE, "store: a transaction is already open");
	/* Every commit is durable on PostgreSQL: synchronous_commit stays the
	 * server's, since other processes may read what this one wrote. */
	(void)durable;
	s->engine_checked = 0;
	if ((rc = saola__db_begin_write(base->db)) == SAOLA_OK)
		s->txn = 1;
	return rc;
}

static int pg_read_begin(saola__store *base)
{
	pg_store *s = (pg_store *)base;
	int rc;

	if (s->txn)
		return saola__db_fail(base->db, SAOLA_MISUSE, "store: a transaction is already open");
	s->engine_checked = 0;
	if ((rc = saola__db_begin_read(base->db)) == SAOLA_OK)
		s->txn = 2;
	return rc;
}

static int pg_end(saola__store *base, int ok)
{
	pg_store *s = (pg_store *)base;

	int rc;

	if (!s->txn)
		return saola__db_fail(base->db, SAOLA_MISUSE, "store: no transaction is open");
	/* The change sequence's numbers, in commit order, at the last moment:
	 * batches merge in parallel and queue only here. */
	if (ok && (rc = saola__records_number(base)) != SAOLA_OK) {
		saola__db_end(base->db, 0);
		s->txn = 0;
		return rc;
	}
	base->seq_pending = 0;
	s->txn = 0;
	s->engine_checked = 0;
	return saola__db_end(base->db, ok);
}

/* The forms generation in meta (0 before any load): each load moves it,
 * so that every process sees when its engine is stale. */
static int forms_gen(saola__db *db, int64_t *out)
{
	saola__dbstmt *st = NULL;
	int rc, step;

	*out = 0;
	if ((rc = saola__db_prepare(db, "SELECT value FROM meta WHERE key = 'server_forms_gen'",
	                            &st)) != SAOLA_OK)
		return rc;
	if ((step = saola__db_step(st)) == SAOLA__DB_ROW)
		*out = strtoll(saola__db_column_text(st, 0), NULL, 10);
	saola__db_finalize(st);
	return step == SAOLA__DB_ROW || step == SAOLA__DB_DONE ? SAOLA_OK : step;
}

/* Brings the engine to the database's forms generation. */
static int engine_fresh(pg_store *s)
{
	char err[512];
	int64_t gen;
	int rc;

	if (s->engine.core && s->engine_checked)
		return SAOLA_OK;
	if ((rc = forms_gen(s->base.db, &gen)) != SAOLA_OK)
		return rc;
	if ((!s->engine.core || s->engine.gen != gen) &&
	    (rc = saola__engine_build(&s->engine, s->base.db, gen, err, sizeof err)) != SAOLA_OK)
		return saola__db_fail(s->base.db, rc, "%s", err);
	s->engine_checked = s->txn != 0;
	return SAOLA_OK;
}

struct saola *saola__store_pg_engine(saola__store *base)
{
	pg_store *s = (pg_store *)base;

	return engine_fresh(s) == SAOLA_OK ? s->engine.core : NULL;
}

/* What a forms load reads: a schemas folder (dir) or a GET /v1/forms
 * answer (doc). */
typedef struct forms_src {
	const char *dir;
	const json_t *doc;
} forms_src;

/* Loads src through the engine into PostgreSQL and moves the forms
 * generation on, in the caller's write transaction or one of its own. */
static int forms_load(pg_store *s, const forms_src *src, int *count)
{
	saola__store *base = &s->base;
	char sql[160];
	int64_t gen = 0;
	int rc, own = !s->txn;

	if (own && (rc = pg_write_begin(base, 1)) != SAOLA_OK)
		return rc;
	/* Under the lock of the generation's row: loads from two processes
	 * run one after the other. */
	rc = saola__db_exec(base->db, "INSERT INTO meta(key, value) VALUES ('server_forms_gen',"
	                    " '0') ON CONFLICT(key) DO NOTHING");
	if (rc == SAOLA_OK)
		rc = saola__db_exec(base->db, "SELECT value FROM meta WHERE key ="
		                    " 'server_forms_gen' FOR UPDATE");
	if (rc == SAOLA_OK && (rc = forms_gen(base->db, &gen)) == SAOLA_OK &&
	    (rc = engine_fresh(s)) == SAOLA_OK &&
	    (rc = src->dir ? saola__engine_load_dir(&s->engine, base->db, src->dir,
	                                            base->forms_strict, count)
	                   : saola__engine_load_doc(&s->engine, base->db, src->doc,
	                                            base->forms_strict, count)) ==
	    SAOLA_OK) {
		snprintf(sql, sizeof sql, "UPDATE meta SET value = '%lld' WHERE key ="
		         " 'server_forms_gen'", (long long)gen + 1);
		rc = saola__db_exec(base->db, sql);
	}
	if (own) {
		int end = pg_end(base, rc == SAOLA_OK);
		if (rc == SAOLA_OK)
			rc = end;
	}
	if (rc == SAOLA_OK)
		s->engine.gen = gen + 1;
	else
		saola__engine_close(&s->engine);  /* rebuilt from the database next time */
	return rc;
}

static int pg_forms_load(saola__store *base, const char *dir, int *count)
{
	forms_src src = {dir, NULL};

	return forms_load((pg_store *)base, &src, count);
}

static int pg_forms_load_doc(saola__store *base, const json_t *doc, int *count)
{
	forms_src src = {NULL, doc};

	return forms_load((pg_store *)base, &src, count);
}

static int pg_forms_current(saola__store *base, json_t **out)
{
	return saola__forms_current(base, out);
}

static int pg_forms_all(saola__store *base, json_t **out)
{
	pg_store *s = (pg_store *)base;
	int rc;

	*out = NULL;
	if ((rc = engine_fresh(s)) != SAOLA_OK)
		return rc;
	return saola__forms_all(base, s->engine.core, out);
}

static int pg_pull(saola__store *base, const char *area, const char *device, int64_t cursor,
                   int limit, size_t max_bytes, json_t *records, int64_t *next, int *more)
{
	pg_store *s = (pg_store *)base;
	int rc;

	*next = cursor;
	*more = 0;
	if ((rc = engine_fresh(s)) != SAOLA_OK)
		return rc;
	return saola__records_pull(base, s->engine.core, area, device, cursor, limit, max_bytes,
	                           records, next, more);
}

static const char *pg_origin(saola__store *base)
{
	return ((pg_store *)base)->origin;
}

static void pg_close(saola__store *base)
{
	pg_store *s = (pg_store *)base;

	if (!s)
		return;
	if (s->txn)
		saola__db_end(base->db, 0);
	saola__store_stmts_free(base);
	saola__engine_close(&s->engine);
	saola__db_close(base->db);
	free(s);
}

static const saola__store_ops pg_ops = {
	.name = "postgresql",
	.close = pg_close,
	.errmsg = pg_errmsg,
	.write_begin = pg_write_begin,
	.read_begin = pg_read_begin,
	.end = pg_end,
	.forms_load = pg_forms_load,
	.forms_load_doc = pg_forms_load_doc,
	.forms_current = pg_forms_current,
	.forms_all = pg_forms_all,
	SAOLA__STORE_SHARED_OPS,
	.origin = pg_origin,
	.pull = pg_pull,
};

/* Reads this server's origin from meta, making it at the first open: a
 * random 16-hex-digit id, inserted once whatever the processes racing. */
static int load_origin(pg_store *s)
{
	saola__db *db = s->base.db;
	saola__dbstmt *st = NULL;
	int rc, step;

	rc = saola__db_exec(db, "INSERT INTO meta(key, value) VALUES ('origin',"
	                    " substr(replace(gen_random_uuid()::text, '-', ''), 1, 16))"
	                    " ON CONFLICT(key) DO NOTHING");
	if (rc == SAOLA_OK)
		rc = saola__db_prepare(db, "SELECT value FROM meta WHERE key = 'origin'", &st);
	if (rc != SAOLA_OK)
		return rc;
	step = saola__db_step(st);
	if (step == SAOLA__DB_ROW)
		snprintf(s->origin, sizeof s->origin, "%s", saola__db_column_text(st, 0));
	saola__db_finalize(st);
	if (step != SAOLA__DB_ROW)
		return step == SAOLA__DB_DONE ? saola__db_fail(db, SAOLA_CORRUPT, "meta: no origin")
		                              : step;
	return SAOLA_OK;
}

int saola__store_pg_open(const char *uri, const char *schemas, int create, saola__store **out,
                         char *err, size_t errlen)
{
	pg_store *s;
	int rc, fresh = 0;

	(void)create;
	*out = NULL;
	if (!(s = calloc(1, sizeof *s))) {
		snprintf(err, errlen, "out of memory");
		return SAOLA_NOMEM;
	}
	s->base.ops = &pg_ops;
	if ((rc = saola__db_pg_open(uri, &s->base.db, err, errlen)) != SAOLA_OK)
		goto fail;
	if ((rc = saola__pg_schema_upgrade(s->base.db, &fresh)) != SAOLA_OK ||
	    (rc = load_origin(s)) != SAOLA_OK) {
		snprintf(err, errlen, "database: %s", saola__db_errmsg(s->base.db));
		goto fail;
	}
	/* A new database gets the shipped forms, standards and units, as a new
	 * SQLite one does. */
	if (fresh && (rc = pg_forms_load(&s->base, saola__schemas_dir(schemas), NULL)) !=
	    SAOLA_OK) {
		snprintf(err, errlen, "database: loading forms from %s: %s",
		         saola__schemas_dir(schemas), saola__db_errmsg(s->base.db));
		goto fail;
	}
	*out = &s->base;
	return SAOLA_OK;
fail:
	pg_close(&s->base);
	return rc;
}
