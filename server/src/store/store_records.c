/* store_records.c: the store's apply, written once over db.h for every
 * backend (saola issue 13): a pushed change is read off the wire, the
 * stored row read (and locked, on PostgreSQL), both states merged in
 * memory (saola__merge_states, core/shared), and the result written with
 * its conflict log, audit rows and echo state, all in the caller's write
 * transaction. The form and the standards' parameters come from the
 * store's forms engine (saola__store_forms_engine). The rows written are
 * those core's saola__apply_remote writes (core/src/merge.c), so that core
 * functions reading records on the SQLite store see what they always saw.
 * docs/store.md, "Merges". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "json_out.h"
#include "rules.h"
#include "store_records_int.h"
#include "versions.h"
#include "wire.h"

/* The key of the transaction-level advisory lock under which a PostgreSQL
 * write takes its change sequence numbers ("saola" in ASCII): held until
 * commit, so that numbers are taken in commit order (docs/scale.md,
 * "Change sequences follow commit order"). */
#define SEQ_LOCK_KEY 0x73616f6c61LL

/* The stored row; PostgreSQL locks it for the rest of the transaction
 * (FOR UPDATE OF r: the echo row may be missing). */
#define REC_READ_SQL                                                         \
	"SELECT r.form_id, r.data, r.versions, r.deleted, r.state, r.state_comment,"\
	" r.seq, r.province, r.district, r.commune, e.device, e.seq, r.issues"  \
	" FROM records r LEFT JOIN record_echo e ON e.record_id = r.id"         \
	" WHERE r.id = ?"

/* core's saola__row_write, insert or update in one: created_at,
 * created_by and origin are a new row's only. */
static const char rec_write_sql[] =
	"INSERT INTO records(id, form_id, form_version, data, versions, deleted,"
	" province, district, commune, created_at, created_by, updated_at, updated_by,"
	" origin, seq, state, state_comment, issues)"
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	" ON CONFLICT(id) DO UPDATE SET form_id = excluded.form_id,"
	" form_version = excluded.form_version, data = excluded.data,"
	" versions = excluded.versions, deleted = excluded.deleted,"
	" province = excluded.province, district = excluded.district,"
	" commune = excluded.commune, updated_at = excluded.updated_at,"
	" updated_by = excluded.updated_by, seq = excluded.seq, state = excluded.state,"
	" state_comment = excluded.state_comment, issues = excluded.issues";

static const char next_seq_sql[] = "SELECT coalesce(max(seq), 0) + 1 FROM records";

static const char echo_set_sql[] =
	"INSERT INTO record_echo(record_id, device, seq) VALUES (?, ?, ?)"
	" ON CONFLICT(record_id) DO UPDATE SET device = excluded.device,"
	" seq = excluded.seq";

static const char conflict_add_sql[] =
	"INSERT INTO conflicts(record_id, path, lost_value, lost_version,"
	" kept_value, kept_version, stored_lost, device, user_id, batch, at, base)"
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/* Records the connection's failure of a step, "what: why"; returns rc. */
static int step_fail(saola__store *s, int rc, const char *what)
{
	char why[512];

	snprintf(why, sizeof why, "%s", saola__db_errmsg(s->db));
	return saola__db_fail(s->db, rc, "%s: %s", what, why);
}

/* Copies a failure of the forms engine to s's connection; returns rc. */
int saola__rec_engine_fail(saola__store *s, struct saola *engine, int rc)
{
	return saola__db_fail(s->db, rc, "%s", saola_errmsg(engine));
}

/* Runs st (bound) to its end; SAOLA_OK or a code with "what: why". */
static int run(saola__store *s, saola__dbstmt *st, const char *what)
{
	int step;

	if (!st)
		return SAOLA_ERROR;
	step = saola__db_step(st);
	saola__db_reset(st);   /* the bound texts go now */
	return step == SAOLA__DB_DONE ? SAOLA_OK : step_fail(s, step, what);
}

/* Binds JSON v as text in the conflict log's form (NULL or JSON null: a
 * NULL column). 0, or -1 when out of memory. */
static int bind_json(saola__dbstmt *st, int i, const json_t *v)
{
	char *text;
	int rc;

	if (!v || json_is_null(v))
		return saola__db_bind_null(st, i) == SAOLA_OK ? 0 : -1;
	if (!(text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)))
		return -1;
	rc = saola__db_bind_text(st, i, text, -1);   /* copied */
	free(text);
	return rc == SAOLA_OK ? 0 : -1;
}

/* Binds JSON v as core stores it (saola__json_dump; NULL: a NULL column). */
static int bind_core_json(saola__dbstmt *st, int i, const json_t *v)
{
	char *text;
	int rc;

	if (!v)
		return saola__db_bind_null(st, i) == SAOLA_OK ? 0 : -1;
	if (!(text = saola__json_dump(v, NULL)))
		return -1;
	rc = saola__db_bind_text(st, i, text, -1);
	free(text);
	return rc == SAOLA_OK ? 0 : -1;
}

/* The survey year of a stored record's data, as the store's SQL once read
 * it (json_extract(data, '$.survey_year') as an integer), ruled
 * (saola__rules_year). */
static int year_of(const json_t *doc)
{
	json_t *y = json_object_get(doc, "survey_year");
	int64_t v = json_is_integer(y) ? (int64_t)json_integer_value(y)
	          : json_is_real(y) ? (int64_t)json_real_value(y)
	          : json_is_string(y) ? strtoll(json_string_value(y), NULL, 10)
	          : json_is_true(y) ? 1 : 0;

	return saola__rules_year(v);
}

/* The units a record's data names (its province, district, commune). */
static void units_of(const json_t *doc, saola__units *u)
{
	const char *p = json_string_value(json_object_get(doc, "province"));
	const char *d = json_string_value(json_object_get(doc, "district"));
	const char *c = json_string_value(json_object_get(doc, "commune"));

	saola__units_set(u, p ? p : "", d ? d : "", c ? c : "");
}

/* ------------------------------------------------------------------ */
/* The stored row                                                      */


void saola__rec_row_free(saola__rec_row *b)
{
	free(b->form_id);
	free(b->state);
	free(b->comment);
	free(b->raw);
	json_decref(b->doc);
	json_decref(b->versions);
	memset(b, 0, sizeof *b);
}

static char *dup_col(saola__dbstmt *st, int i, const char *dflt)
{
	const char *v = saola__db_column_text(st, i);

	return v ? strdup(v) : dflt ? strdup(dflt) : NULL;
}

static const char *col(saola__dbstmt *st, int i)
{
	const char *v = saola__db_column_text(st, i);

	return v ? v : "";
}

/* The texts of st's row (REC_READ_SQL) that a merge reads, joined: the
 * form, data, versions, state and comment, each ended by a unit separator
 * (a record separator for NULL). NULL when out of memory. */
static char *row_raw(saola__dbstmt *st)
{
	static const int cols[5] = {0, 1, 2, 4, 5};
	const char *v[5];
	size_t lens[5], len = 1, at = 0, n, i;
	char *raw;

	for (i = 0; i < 5; i++) {
		v[i] = saola__db_column_text(st, cols[i]);
		len += (lens[i] = v[i] ? strlen(v[i]) : 0) + 1;
	}
	if (!(raw = malloc(len)))
		return NULL;
	for (i = 0; i < 5; i++) {
		n = lens[i];
		memcpy(raw + at, v[i] ? v[i] : "", n);
		at += n;
		raw[at++] = v[i] ? '\x1f' : '\x1e';
	}
	raw[at] = '\0';
	return raw;
}

/* Takes the current row of st (REC_READ_SQL) into b. */
static int row_take(saola__store *s, saola__dbstmt *st, const char *id, const char *device,
                    saola__rec_row *b)
{
	const char *comment = saola__db_column_text(st, 5);

	b->found = 1;
	b->form_id = dup_col(st, 0, NULL);
	b->doc = json_loads(col(st, 1), 0, NULL);
	b->versions = json_loads(col(st, 2), 0, NULL);
	b->deleted = (int)saola__db_column_int(st, 3);
	b->state = dup_col(st, 4, "draft");
	b->comment = dup_col(st, 5, NULL);
	b->seq = saola__db_column_int(st, 6);
	saola__units_set(&b->units, col(st, 7), col(st, 8), col(st, 9));
	b->echo_is_device = saola__db_column_type(st, 10) != SAOLA__DB_NULL &&
	                    strcmp(col(st, 10), device) == 0;
	b->echo_seq = saola__db_column_int(st, 11);
	b->has_issues = saola__db_column_type(st, 12) != SAOLA__DB_NULL;
	b->raw = row_raw(st);
	if (!b->form_id || !b->doc || !b->versions || !b->state || (comment && !b->comment) ||
	    !b->raw)
		return saola__db_fail(s->db, SAOLA_CORRUPT, "record %s: stored data is unreadable",
		                      id);
	b->year = year_of(b->doc);
	return SAOLA_OK;
}

/* Reads record id (b->found 0 when there is none); on PostgreSQL, when
 * lock (a write), the row stays locked until the transaction ends, so that
 * concurrent merges of one record take turns (a read-only transaction
 * reads without: it may not lock). */
int saola__rec_row_read(saola__store *s, const char *id, const char *device, int lock,
                       saola__rec_row *b)
{
	int pg = saola__db_kind(s->db) == SAOLA__DB_POSTGRES;
	saola__dbstmt *st = lock ? saola__store_stmt(s, SAOLA__SS_REC_READ, pg ? REC_READ_SQL
	                                             " FOR UPDATE OF r" : REC_READ_SQL)
	                         : saola__store_stmt(s, SAOLA__SS_REC_PEEK, REC_READ_SQL);
	int step, rc = SAOLA_OK;

	memset(b, 0, sizeof *b);
	if (!st)
		return SAOLA_ERROR;
	saola__db_bind_text(st, 1, id, -1);
	step = saola__db_step(st);
	if (step == SAOLA__DB_ROW)
		rc = row_take(s, st, id, device, b);
	else if (step != SAOLA__DB_DONE)
		rc = step_fail(s, step, "read record");
	saola__db_reset(st);
	return rc;
}

/* Reads record id for a write (saola__rec_row_read, locked). */
static int row_read(saola__store *s, const char *id, const char *device, saola__rec_row *b)
{
	return saola__rec_row_read(s, id, device, 1, b);
}

/* ------------------------------------------------------------------ */
/* Sequence and clock                                                  */

/* The next number of the change sequence. On SQLite, whose writers are
 * serialised, the next number itself. On PostgreSQL a provisional one,
 * negative (-1, -2, ... in the open write: no other transaction sees its
 * rows), so that concurrent batches merge in parallel;
 * saola__records_number gives the real numbers, in commit order, just
 * before the write commits (docs/scale.md). */
static int next_seq(saola__store *s, int64_t *seq)
{
	saola__dbstmt *st;
	int step, rc;

	if (saola__db_kind(s->db) == SAOLA__DB_POSTGRES) {
		*seq = -++s->seq_pending;
		return SAOLA_OK;
	}
	if (!(st = saola__store_stmt(s, SAOLA__SS_REC_NEXT_SEQ, next_seq_sql)))
		return SAOLA_ERROR;
	step = saola__db_step(st);
	if (step == SAOLA__DB_ROW)
		*seq = saola__db_column_int(st, 0);
	rc = step == SAOLA__DB_ROW ? SAOLA_OK : step_fail(s, step, "change sequence");
	saola__db_reset(st);
	return rc;
}

/* The records of the open write still numbered provisionally (visible to
 * it alone: no other write commits one) get the numbers after the highest
 * ever given (meta 'records_seq_top': the highest committed row may be one
 * of those renumbered now, so max(seq) alone could give a number again),
 * the earliest written (the highest provisional) first; the echo and
 * upstream rows of those records that named their last provisional number
 * follow; one naming an earlier one (the record was written again since,
 * in the same write) gets 0, which no record has: the device does not hold
 * that later state, the upstream has not been sent it. */
static const char number_sql[] =
	"WITH top AS (SELECT greatest((SELECT coalesce(max(seq), 0) FROM records"
	" WHERE seq > 0), (SELECT coalesce(max(value::bigint), 0) FROM meta"
	" WHERE key = 'records_seq_top')) AS n),"
	" p AS (SELECT id, seq AS old, (SELECT n FROM top) + row_number() OVER"
	" (ORDER BY seq DESC) AS new FROM records WHERE seq < 0),"
	" r AS (UPDATE records SET seq = p.new FROM p WHERE records.id = p.id"
	" RETURNING p.id, p.old, p.new),"
	" e AS (UPDATE record_echo SET seq = CASE WHEN record_echo.seq = r.old THEN r.new"
	" ELSE 0 END FROM r WHERE record_echo.record_id = r.id AND record_echo.seq < 0"
	" RETURNING 1),"
	" u AS (UPDATE upstream_records SET seq = CASE WHEN upstream_records.seq = r.old"
	" THEN r.new ELSE 0 END FROM r WHERE upstream_records.record_id = r.id"
	" AND upstream_records.seq < 0 RETURNING 1),"
	" m AS (INSERT INTO meta(key, value) SELECT 'records_seq_top',"
	" ((SELECT n FROM top) + (SELECT count(*) FROM p))::text"
	" ON CONFLICT(key) DO UPDATE SET value = excluded.value RETURNING 1)"
	" SELECT (SELECT count(*) FROM r), (SELECT count(*) FROM e), (SELECT count(*) FROM u),"
	" (SELECT count(*) FROM m)";

int saola__records_number(saola__store *s)
{
	saola__dbstmt *st;
	int step;

	if (!s->seq_pending)
		return SAOLA_OK;
	s->seq_pending = 0;
	if (!(st = saola__store_stmt(s, SAOLA__SS_SEQ_LOCK, "SELECT pg_advisory_xact_lock(?)")))
		return SAOLA_ERROR;
	saola__db_bind_int(st, 1, SEQ_LOCK_KEY);
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW)
		;
	saola__db_reset(st);
	if (step != SAOLA__DB_DONE)
		return step_fail(s, step, "change sequence");
	if (!(st = saola__store_stmt(s, SAOLA__SS_SEQ_NUMBER, number_sql)))
		return SAOLA_ERROR;
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW)
		;
	saola__db_reset(st);
	return step == SAOLA__DB_DONE ? SAOLA_OK : step_fail(s, step, "change sequence");
}

/* Moves the server's Lamport clock up to counter, if it is higher: its own
 * later edits (an officer's review) must win over every version it has
 * merged, and on SQLite the clock also stays above the change sequence,
 * which core's own writes number with it. On SQLite the clock is core's
 * meta value, cached by the core handle (the forms engine is that
 * database): moved through it. On PostgreSQL it is the sequence clock_seq
 * (docs/scale.md): `SELECT setval('clock_seq', ?) WHERE ? > (SELECT
 * last_value FROM clock_seq)`, there under the same advisory lock. */
static int clock_observe(saola__store *s, struct saola *engine, int64_t counter)
{
	saola__dbstmt *st;
	int step;

	if (saola__db_kind(s->db) != SAOLA__DB_POSTGRES) {
		int rc = saola__observe(engine, counter);
		return rc == SAOLA_OK ? rc : saola__rec_engine_fail(s, engine, rc);
	}
	/* clock_seq never goes down, and setval is not undone by a rollback. */
	if (counter <= s->clock_known)
		return SAOLA_OK;
	if (!(st = saola__store_stmt(s, SAOLA__SS_CLOCK_OBSERVE, "SELECT setval('clock_seq', ?)"
	                             " WHERE ? > (SELECT last_value FROM clock_seq)")))
		return SAOLA_ERROR;
	saola__db_bind_int(st, 1, counter);
	saola__db_bind_int(st, 2, counter);
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW)
		;
	saola__db_reset(st);
	if (step != SAOLA__DB_DONE)
		return step_fail(s, step, "clock");
	s->clock_known = counter;
	return SAOLA_OK;
}

/* The next counter of the server's own edits (core's saola__tick on
 * SQLite; nextval('clock_seq') on PostgreSQL). */
int saola__rec_clock_tick(saola__store *s, struct saola *engine, int64_t *counter)
{
	saola__dbstmt *st;
	int step, rc;

	if (saola__db_kind(s->db) != SAOLA__DB_POSTGRES) {
		rc = saola__tick(engine, counter);
		return rc == SAOLA_OK ? rc : saola__rec_engine_fail(s, engine, rc);
	}
	if (!(st = saola__store_stmt(s, SAOLA__SS_CLOCK_TICK, "SELECT nextval('clock_seq')")))
		return SAOLA_ERROR;
	step = saola__db_step(st);
	if (step == SAOLA__DB_ROW)
		*counter = saola__db_column_int(st, 0);
	rc = step == SAOLA__DB_ROW ? SAOLA_OK : step_fail(s, step, "clock");
	saola__db_reset(st);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */


/* Writes one losing value to the conflict log. */
static int log_loser(saola__rec_run *a, const saola__loser *l)
{
	saola__dbstmt *st = saola__store_stmt(a->s, SAOLA__SS_CONFLICT_ADD, conflict_add_sql);
	const saola__apply_ctx *ctx = a->ctx;
	int rc;

	if (!st)
		return SAOLA_ERROR;
	saola__db_bind_text(st, 1, l->record_id, -1);
	saola__db_bind_text(st, 2, l->path, -1);
	if (bind_json(st, 3, l->value) || bind_json(st, 4, l->version) ||
	    bind_json(st, 5, l->winner) || bind_json(st, 6, l->winner_version) ||
	    bind_json(st, 12, l->base)) {
		saola__db_reset(st);
		return saola__db_fail(a->s->db, SAOLA_NOMEM, "conflict log: out of memory");
	}
	saola__db_bind_int(st, 7, l->stored_lost);
	saola__db_bind_text(st, 8, ctx->user ? ctx->device : "upstream", -1);
	if (ctx->user)
		saola__db_bind_int(st, 9, ctx->user->id);
	else
		saola__db_bind_null(st, 9);
	saola__db_bind_text(st, 10, ctx->batch, -1);
	saola__db_bind_text(st, 11, ctx->now, -1);
	if ((rc = run(a->s, st, "conflict log")) == SAOLA_OK)
		a->conflicts++;
	return rc;
}

/* The values of a record row as core's saola__row_write stores them. */
typedef struct row_values {
	const char *id;
	const json_t *doc, *versions;
	int deleted;
	int64_t seq;
	const char *state, *comment, *issues;
} row_values;

/* Binds the area columns (7-9) from the record's data. */
static void bind_area(saola__dbstmt *st, const json_t *doc)
{
	static const char *const keys[] = {"province", "district", "commune"};
	int i;

	for (i = 0; i < 3; i++)
		saola__db_bind_text(st, 7 + i, json_string_value(json_object_get(doc, keys[i])), -1);
}

/* Inserts or updates record row v, written by the apply's user. */
static int row_write(saola__rec_run *a, const row_values *v)
{
	saola__dbstmt *st = saola__store_stmt(a->s, SAOLA__SS_REC_WRITE, rec_write_sql);
	const char *by = a->ctx->user ? a->ctx->user->name : "upstream", *origin = a->s->ops->origin(a->s);
	char now[21];

	if (!st)
		return SAOLA_ERROR;
	saola__now(now);
	saola__db_bind_text(st, 1, v->id, -1);
	saola__db_bind_text(st, 2, saola__form_id(a->f), -1);
	saola__db_bind_text(st, 3, saola__form_version(a->f), -1);
	if (a->doc_text && a->versions_text) {
		saola__db_bind_text(st, 4, a->doc_text, -1);
		saola__db_bind_text(st, 5, a->versions_text, -1);
	} else if (bind_core_json(st, 4, v->doc) || bind_core_json(st, 5, v->versions)) {
		saola__db_reset(st);
		return saola__db_fail(a->s->db, SAOLA_NOMEM, "store: out of memory");
	}
	saola__db_bind_int(st, 6, v->deleted);
	bind_area(st, v->doc);
	saola__db_bind_text(st, 10, now, -1);
	saola__db_bind_text(st, 11, by, -1);
	saola__db_bind_text(st, 12, now, -1);
	saola__db_bind_text(st, 13, by, -1);
	saola__db_bind_text(st, 14, origin ? origin : "", -1);
	saola__db_bind_int(st, 15, v->seq);
	saola__db_bind_text(st, 16, v->state ? v->state : "draft", -1);
	saola__db_bind_text(st, 17, v->comment, -1);
	saola__db_bind_text(st, 18, v->issues, -1);
	return run(a->s, st, "store record");
}

static int echo_set(saola__store *s, const char *id, const char *device, int64_t seq)
{
	saola__dbstmt *st = saola__store_stmt(s, SAOLA__SS_ECHO_SET, echo_set_sql);

	if (!st)
		return SAOLA_ERROR;
	saola__db_bind_text(st, 1, id, -1);
	saola__db_bind_text(st, 2, device, -1);
	saola__db_bind_int(st, 3, seq);
	return run(s, st, "echo state");
}

/* What merge o changed in record id of form f, for the audit log. */
static void changes_of(const char *id, const saola__form *f, const saola__merge_out *o,
                       saola__changes *c)
{
	memset(c, 0, sizeof *c);
	c->record_id = id, c->form = f, c->answers = o->answers, c->values = o->changes;
	c->versions = o->change_versions, c->created = o->answers != NULL;
	c->deleted = o->deleted, c->state = o->state;
}

/* Writes a merge's result over (or as) record id, as core's saola__rec_store_result
 * did: the clock moves past every version seen, so that a later edit of
 * this server's wins over them; the change sequence orders it for pulls;
 * the audit log hears the paths that changed, as who. *seq: the number
 * the record took. */
int saola__rec_store_result(saola__rec_run *a, const char *id, const saola__merge_out *o,
                        const saola__audit_who *who, int64_t *seq)
{
	json_t *max = saola__version_max(o->versions);
	const saola__audit_rows *rows;
	saola__changes c;
	row_values v;
	int rc;

	if (max && (rc = clock_observe(a->s, a->engine,
	                               json_integer_value(json_array_get(max, 0)))) != SAOLA_OK)
		return rc;
	if ((rc = next_seq(a->s, seq)) != SAOLA_OK)
		return rc;
	/* core's own writes (an officer's review) number the sequence with
	 * the clock: it stays at or above every number taken here. */
	if (saola__db_kind(a->s->db) != SAOLA__DB_POSTGRES &&
	    (rc = clock_observe(a->s, a->engine, *seq)) != SAOLA_OK)
		return rc;
	memset(&v, 0, sizeof v);
	v.id = id, v.doc = o->doc, v.versions = o->versions, v.deleted = o->deleted;
	v.seq = *seq, v.state = o->state, v.comment = o->comment, v.issues = o->issues;
	rc = row_write(a, &v);
	rows = a->audit_rows;
	a->doc_text = a->versions_text = NULL, a->audit_rows = NULL;   /* o's alone */
	if (rc != SAOLA_OK || !o->changes)
		return rc;
	if (rows)
		return saola__audit_rows_write(a->s, who, id, rows);
	changes_of(id, a->f, o, &c);
	return saola__audit_changes(a->s, who, &c);
}

/* 1 when an answer (not a review path) of r now holds r's version there. */
static int answers_taken(const saola__remote *r, const json_t *versions)
{
	const char *path;
	json_t *v;

	json_object_foreach(r->values, path, v)
		if (path[0] != '_' && saola__version_cmp(saola__version_of(r->versions, path),
		                                         saola__version_of(versions, path)) == 0)
			return 1;
	return 0;
}

/* A device's edit of answers that reached an approved record (made before
 * the device had seen the approval) sends the record back for review, since
 * what was approved has changed: a move to submitted, an edit of this
 * server's like an officer's (saola__rec_own_edit), with the approval it undoes in the
 * conflict log and the move in the audit log as who. o: the merge just
 * stored. The officer's comment stays: the move says nothing over it (and
 * would otherwise overwrite a comment without a trace); the conflict log
 * and the audit log say why. */
static int reopen_if_approved(saola__rec_run *a, const saola__remote *r, const saola__merge_out *o,
                              const saola__audit_who *who)
{
	json_t *version = NULL, *was_version, *changes, *was = NULL, *now = NULL;
	saola__merge_out moved;
	saola__loser l;
	int rc;

	if (strcmp(o->state, "approved") != 0 || o->deleted || !answers_taken(r, o->versions))
		return SAOLA_OK;
	memset(&moved, 0, sizeof moved);
	was_version = json_incref(saola__version_of(o->versions, SAOLA__P_STATE));
	changes = json_pack("{s:s}", SAOLA__P_STATE, "submitted");
	was = json_string("approved"), now = json_string("submitted");
	if (!changes || !was || !now) {
		rc = saola__db_fail(a->s->db, SAOLA_NOMEM, "review: out of memory");
		goto out;
	}
	if ((rc = saola__rec_own_edit(a, r->record_id, changes, who, &version, &moved)) != SAOLA_OK)
		goto out;
	memset(&l, 0, sizeof l);
	l.record_id = r->record_id;
	l.path = SAOLA__P_STATE;
	l.value = was;
	l.version = was_version;
	l.winner = now;
	l.winner_version = version;
	l.stored_lost = 1;
	rc = log_loser(a, &l);
out:
	saola__merge_out_free(&moved);
	json_decref(version);
	json_decref(was_version);
	json_decref(changes);
	json_decref(was);
	json_decref(now);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Apply                                                               */

/* Reads the wire change into r with the forms engine; a code and err as
 * apply answers (SAOLA_PROTOCOL: its shape; SAOLA_INVALID: an unknown
 * form). */
static int decode(struct saola *engine, const json_t *change, const char *device,
                  saola__remote *r, char *err, size_t errlen)
{
	int rc = saola__wire_decode(engine, change, device, r, err, errlen);

	if (rc == SAOLA_INVALID)
		return SAOLA_PROTOCOL; /* the change's shape: err says where */
	if (rc == SAOLA_NOFORM)
		return SAOLA_INVALID;
	if (rc != SAOLA_OK)
		snprintf(err, errlen, "%s", saola_errmsg(engine));
	return rc;
}

/* Merges r into the stored row b in memory; on a refusal err says why and
 * the code is apply's (SAOLA_INVALID: the form said no, or no standard
 * covers the record's year). */
static int merge(saola__rec_run *a, const saola__remote *r, const saola__rec_row *b,
                 saola__merge_out *o, char *err, size_t errlen)
{
	saola__form *f = NULL;
	saola__params_src params;
	saola__rec_state stored, in;
	unsigned flags;
	int rc;

	memset(&stored, 0, sizeof stored);
	if ((rc = saola__form_lookup(a->engine, b->found ? b->form_id : r->form_id, &f)) != SAOLA_OK) {
		snprintf(err, errlen, "%s", saola_errmsg(a->engine));
		return rc == SAOLA_NOTFOUND || rc == SAOLA_NOFORM ? SAOLA_INVALID : rc;
	}
	a->f = f;
	if (b->found) {
		stored.record_id = r->record_id;
		stored.form_id = b->form_id, stored.form_version = saola__form_version(f);
		stored.versions = b->versions;
		if (!(stored.values = saola__state_values(f, b->doc, b->state, b->comment))) {
			snprintf(err, errlen, "merge: out of memory");
			return SAOLA_NOMEM;
		}
	}
	memset(&in, 0, sizeof in);
	in.record_id = r->record_id, in.form_id = r->form_id;
	in.values = r->values, in.versions = r->versions;
	saola__params_source(a->engine, &params);
	/* The audit log hears what changed. */
	flags = (r->own_creation ? SAOLA__MERGE_OWN_CREATION : 0u) | SAOLA__MERGE_CHANGES;
	rc = saola__merge_states(f, &params, b->found ? &stored : NULL, &in, r->base, flags, o,
	                         err, errlen);
	json_decref(stored.values);
	if (rc == SAOLA_INVALID || rc == SAOLA_NOTFOUND || rc == SAOLA_NOFORM)
		rc = SAOLA_INVALID;
	return rc;
}

/* The audit's who of a change of ctx's. */
static void who_of(const saola__apply_ctx *ctx, saola__audit_who *who)
{
	memset(who, 0, sizeof *who);
	who->source = ctx->source ? ctx->source : "sync";
	who->now = ctx->now;
	/* From upstream, no user or device is named: the changes were
	 * accepted there, and each version names the replica that made it. */
	if (!ctx->user)
		return;
	who->user_id = ctx->user->id, who->user_name = ctx->user->name;
	who->device = ctx->device, who->batch = ctx->batch;
}

/* The writes of an accepted merge: the losers, and when it changed the
 * record, the row, the echo state and a reopening. */
static int write_merge(saola__rec_run *a, const saola__remote *r, const saola__rec_row *b,
                       const saola__merge_out *o, saola__change_result *res)
{
	saola__audit_who who;
	int64_t seq = 0;
	size_t i;
	int rc;

	/* From upstream, a record not changed here since the last exchange
	 * takes what arrives; what loses there was logged there. */
	for (i = 0; i < o->nlosers && (a->ctx->user || a->ctx->base); i++)
		if ((rc = log_loser(a, &o->losers[i])) != SAOLA_OK)
			return rc;
	res->changed = o->changed;
	if (!o->changed) {
		res->after = b->units;
		res->after_year = b->year;
		return SAOLA_OK;
	}
	who_of(a->ctx, &who);
	if ((rc = saola__rec_store_result(a, r->record_id, o, &who, &seq)) != SAOLA_OK)
		return rc;
	units_of(o->doc, &res->after);
	res->after_year = year_of(o->doc);
	/* The device holds the new state when it had the state this change
	 * merged into: it made the record, or had pulled it (seq within its
	 * cursor), or had itself brought it there. */
	/* (A provisional, negative number: a write of this same transaction,
	 * which the device's cursor cannot cover.) */
	if (a->ctx->user && (!b->found || (b->seq > 0 && b->seq <= a->ctx->cursor) ||
	                     (b->echo_is_device && b->echo_seq == b->seq)))
		if ((rc = echo_set(a->s, r->record_id, a->ctx->device, seq)) != SAOLA_OK)
			return rc;
	if (!r->own_creation || !b->found)
		return SAOLA_OK;
	/* Audited as this server's move, made because of this batch. */
	who.source = "server";
	who.detail = SAOLA__REOPEN_DETAIL;
	return reopen_if_approved(a, r, o, &who);
}

/* apply's refusal: err (what decode or merge said) becomes the store's
 * message, as every store failure's is. Returns rc. */
static int refused(saola__store *s, int rc, const char *err)
{
	return saola__db_fail(s->db, rc, "%s", err);
}

/* ------------------------------------------------------------------ */
/* Merges made ahead                                                   */

struct saola__apply_pre {
	saola__remote r;             /* the change read (decoded: 1) */
	int decoded;
	int merged;                  /* the merge below was made */
	int found;                   /* ... with the row found, */
	char *raw;                   /* ... its raw texts (saola__rec_row) */
	const saola__form *f;        /* ... and this form */
	int merge_rc;                /* its result: SAOLA_OK, or a refusal */
	char err[480];               /* ... saying why */
	saola__merge_out o;
	char *doc_text, *versions_text;   /* o's, as stored (changed) */
	saola__audit_rows *audit_rows;    /* o's, as written (changed) */
};

void saola__apply_pre_free(saola__apply_pre *p)
{
	if (!p)
		return;
	saola__wire_remote_free(&p->r);
	saola__merge_out_free(&p->o);
	free(p->raw);
	free(p->doc_text);
	free(p->versions_text);
	saola__audit_rows_free(p->audit_rows);
	free(p);
}

/* Reads change into r for ctx (SAOLA_OK, or a code and err as apply
 * answers): the upstream's base over the change's own, and whether the
 * sender's records must pass the form as its own creations. */
static int read_change(struct saola *engine, const json_t *change, const saola__apply_ctx *ctx,
                       saola__remote *r, char *err, size_t errlen)
{
	int rc = decode(engine, change, ctx->device, r, err, errlen);

	if (rc != SAOLA_OK)
		return rc;
	if (ctx->base) {
		json_decref(r->base);
		r->base = json_incref((json_t *)ctx->base);
	}
	/* A device (not a district server) can only send a record new here
	 * that it made itself, so that record must pass the form. */
	r->own_creation = ctx->user && (strcmp(ctx->user->role, "surveyor") == 0 ||
	                                strcmp(ctx->user->role, "commune") == 0);
	return SAOLA_OK;
}

/* What the write of p's merge would make of it, made now: the data and
 * versions as text, and the audit rows as write_merge's who would write
 * them. 0, or -1 when out of memory. */
static int store_ahead(saola__apply_pre *p, const saola__apply_ctx *ctx)
{
	saola__audit_who who;
	saola__changes c;

	if (!(p->doc_text = saola__json_dump(p->o.doc, NULL)) ||
	    !(p->versions_text = saola__json_dump(p->o.versions, NULL)))
		return -1;
	if (!p->o.changes)
		return 0;
	who_of(ctx, &who);
	changes_of(p->r.record_id, p->f, &p->o, &c);
	return (p->audit_rows = saola__audit_rows_make(&who, &c)) ? 0 : -1;
}

saola__apply_pre *saola__records_prepare(saola__store *s, const json_t *change,
                                         const saola__apply_ctx *ctx)
{
	saola__apply_pre *p;
	saola__rec_run a;
	saola__rec_row b;

	memset(&a, 0, sizeof a);
	a.s = s, a.ctx = ctx, a.engine = saola__store_forms_engine(s);
	if (!a.engine || !(p = calloc(1, sizeof *p)))
		return NULL;
	if (read_change(a.engine, change, ctx, &p->r, p->err, sizeof p->err) != SAOLA_OK) {
		saola__apply_pre_free(p);
		return NULL;
	}
	p->decoded = 1;
	if (saola__rec_row_read(s, p->r.record_id, "", 0, &b) != SAOLA_OK)
		return p;
	p->merge_rc = merge(&a, &p->r, &b, &p->o, p->err, sizeof p->err);
	p->f = a.f;
	p->found = b.found;
	p->raw = b.raw, b.raw = NULL;
	p->merged = p->f != NULL && (p->raw || !p->found) && p->merge_rc != SAOLA_NOMEM;
	if (p->merged && p->merge_rc == SAOLA_OK && p->o.changed && store_ahead(p, ctx) != 0)
		p->merged = 0;
	saola__rec_row_free(&b);
	return p;
}

/* 1 when pre's merge is the one apply would make now of r and the row b
 * just read: the same row, as text, and the same form. */
static int pre_fits(saola__rec_run *a, const saola__apply_pre *pre, const saola__remote *r,
                    const saola__rec_row *b, saola__form **f)
{
	*f = NULL;
	if (!pre || !pre->merged || pre->found != b->found ||
	    (b->found && strcmp(pre->raw, b->raw) != 0))
		return 0;
	if (saola__form_lookup(a->engine, b->found ? b->form_id : r->form_id, f) != SAOLA_OK)
		return 0;
	/* Prepared on another connection, with that one's compile of it. */
	return *f == pre->f || (strcmp(saola__form_id(*f), saola__form_id(pre->f)) == 0 &&
	                        strcmp(saola__form_version(*f), saola__form_version(pre->f)) == 0);
}

/* Merges r into b (merge()), or takes pre's merge when it fits; on a
 * refusal the store's message says why. */
static int merge_now(saola__rec_run *a, const saola__remote *r, const saola__rec_row *b,
                     saola__apply_pre *pre, saola__merge_out *o)
{
	char err[480];               /* within the connection's message (db.h) */
	saola__form *f;
	int rc;

	if (!pre_fits(a, pre, r, b, &f)) {
		if ((rc = merge(a, r, b, o, err, sizeof err)) != SAOLA_OK)
			refused(a->s, rc, err);
		return rc;
	}
	a->f = f;
	if (pre->merge_rc != SAOLA_OK)
		return refused(a->s, pre->merge_rc, pre->err);
	*o = pre->o;
	memset(&pre->o, 0, sizeof pre->o);
	o->form_id = saola__form_id(f), o->form_version = saola__form_version(f);
	pre->merged = 0;             /* taken */
	a->doc_text = pre->doc_text, a->versions_text = pre->versions_text;
	a->audit_rows = pre->audit_rows;
	return SAOLA_OK;
}

int saola__records_apply(saola__store *s, const json_t *change, const saola__apply_ctx *ctx,
                         saola__apply_pre *pre, saola__change_result *res)
{
	char err[480];               /* within the connection's message (db.h) */
	saola__rec_run a;
	saola__remote r;
	saola__merge_out o;
	saola__rec_row before;
	int rc;

	memset(res, 0, sizeof *res);
	memset(&o, 0, sizeof o);
	memset(&before, 0, sizeof before);
	memset(&a, 0, sizeof a);
	memset(&r, 0, sizeof r);
	a.s = s, a.ctx = ctx, a.engine = saola__store_forms_engine(s);
	if (!a.engine)
		return saola__db_fail(s->db, SAOLA_MISUSE, "merging changes: not available yet"
		                      " on the %s store (it has no forms engine)", s->ops->name);
	if (pre && pre->decoded) {
		r = pre->r;              /* taken: pre frees it no more */
		memset(&pre->r, 0, sizeof pre->r);
		pre->decoded = 0;
	} else if ((rc = read_change(a.engine, change, ctx, &r, err, sizeof err)) != SAOLA_OK) {
		return refused(s, rc, err);
	}
	res->record_id = r.record_id;
	if ((rc = row_read(s, r.record_id, ctx->device ? ctx->device : "", &before)) != SAOLA_OK)
		goto out;
	res->existed = before.found;
	res->before = before.units;
	res->before_year = before.year;
	if ((rc = merge_now(&a, &r, &before, pre, &o)) != SAOLA_OK)
		goto out;
	if ((rc = write_merge(&a, &r, &before, &o, res)) != SAOLA_OK)
		goto out;
	res->conflicts = a.conflicts;
out:
	saola__rec_row_free(&before);
	saola__merge_out_free(&o);
	saola__wire_remote_free(&r);
	return rc;
}

/* ------------------------------------------------------------------ */
/* A batch's record locks                                              */

/* One advisory lock per record id of the batch (two keys: 29537, "sa",
 * then the id's hash; apart from the change sequence's one-key lock), taken in the order of
 * their keys, in one statement; held until commit. An advisory lock on the
 * id (not FOR UPDATE on the row) also orders two batches that both create
 * the same new record. */
static const char rec_lock_sql[] =
	"SELECT count(pg_advisory_xact_lock(29537, k)) FROM"
	" (SELECT DISTINCT hashtext(x) AS k FROM"
	" unnest(string_to_array(?, chr(31))) x ORDER BY k) q";

/* The record ids of changes joined by chr(31) (NULL: out of memory). */
static char *joined_ids(const json_t *changes)
{
	size_t i, len = 1, at = 0;
	const json_t *c;
	char *out;

	json_array_foreach(changes, i, c) {
		const char *id = json_string_value(json_object_get(c, "r"));
		len += id ? strlen(id) + 1 : 0;
	}
	if (!(out = malloc(len)))
		return NULL;
	json_array_foreach(changes, i, c) {
		const char *id = json_string_value(json_object_get(c, "r"));
		size_t n = id ? strlen(id) : 0;

		if (!id)
			continue;
		if (at > 0)
			out[at++] = 31;
		memcpy(out + at, id, n);
		at += n;
	}
	out[at] = '\0';
	return out;
}

int saola__records_lock(saola__store *s, const json_t *changes)
{
	saola__dbstmt *st;
	char *ids;
	int step;

	if (saola__db_kind(s->db) != SAOLA__DB_POSTGRES || json_array_size(changes) == 0)
		return SAOLA_OK;
	if (!(ids = joined_ids(changes)))
		return saola__db_fail(s->db, SAOLA_NOMEM, "locking records: out of memory");
	if ((step = saola__db_prepare(s->db, rec_lock_sql, &st)) != SAOLA_OK) {
		free(ids);
		return step;
	}
	saola__db_bind_text(st, 1, ids, -1);
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW)
		;
	saola__db_finalize(st);
	free(ids);
	return step == SAOLA__DB_DONE ? SAOLA_OK : step_fail(s, step, "locking records");
}
