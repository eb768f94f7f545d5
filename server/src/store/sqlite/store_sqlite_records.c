/* store_sqlite_records.c: the SQLite store's records: merging a pushed
 * change with the core's merge (conflict log, echo state) and paging pulls
 * by area and change sequence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "rules.h"
#include "store_sqlite.h"
#include "store_sql.h"
#include "merge.h"
#include "versions.h"
#include "wire.h"

/* A column as text, "" for NULL. */
static const char *col(sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	return v ? v : "";
}

typedef struct loser_ctx {
	sq_store *s;
	const saola__apply_ctx *ctx;
	int64_t count;
	int failed;            /* writing the log failed (not the merge) */
} loser_ctx;

static int bind_json(sqlite3_stmt *st, int i, const json_t *v)
{
	char *text;

	if (!v || json_is_null(v))
		return sqlite3_bind_null(st, i) == SQLITE_OK ? 0 : -1;
	if (!(text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)))
		return -1;
	return sqlite3_bind_text(st, i, text, -1, free) == SQLITE_OK ? 0 : -1;
}

/* Writes one losing value to the conflict log. */
static int log_loser(void *arg, const saola__loser *l)
{
	loser_ctx *lc = arg;
	sq_store *s = lc->s;
	sqlite3_stmt *st = saola__sq_stmt(s, SQ_CONFLICT_ADD);
	int step;

	lc->failed = 1;
	if (!st)
		return SAOLA_ERROR;
	sqlite3_bind_text(st, 1, l->record_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, l->path, -1, SQLITE_STATIC);
	if (bind_json(st, 3, l->value) || bind_json(st, 4, l->version) ||
	    bind_json(st, 5, l->winner) || bind_json(st, 6, l->winner_version) ||
	    bind_json(st, 12, l->base)) {
		sqlite3_clear_bindings(st);
		return saola__sq_fail(s, SAOLA_NOMEM, "conflict log: out of memory");
	}
	sqlite3_bind_int(st, 7, l->stored_lost);
	sqlite3_bind_text(st, 8, lc->ctx->device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, lc->ctx->user->id);
	sqlite3_bind_text(st, 10, lc->ctx->batch, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, lc->ctx->now, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);  /* the JSON texts go now */
	if (step != SQLITE_DONE)
		return saola__sq_sql_fail(s, "conflict log");
	lc->count++;
	lc->failed = 0;
	return SAOLA_OK;
}

/* The stored record's sequence and units, and its echo row. */
typedef struct before_row {
	int found;
	int64_t seq;
	saola__units units;
	int year;              /* its survey year (0: none) */
	int echo_is_device;    /* the echo row names this device ... */
	int64_t echo_seq;      /* ... at this sequence */
} before_row;

static int read_before(sq_store *s, const char *id, const char *device, before_row *b)
{
	sqlite3_stmt *st = saola__sq_stmt(s, SQ_REC_BEFORE);
	int step;

	memset(b, 0, sizeof *b);
	if (!st)
		return SAOLA_ERROR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		b->found = 1;
		b->seq = sqlite3_column_int64(st, 0);
		saola__units_set(&b->units, col(st, 1), col(st, 2), col(st, 3));
		b->echo_is_device = sqlite3_column_type(st, 4) != SQLITE_NULL &&
		                    strcmp(col(st, 4), device) == 0;
		b->echo_seq = sqlite3_column_int64(st, 5);
		b->year = saola__rules_year(sqlite3_column_int64(st, 6));
	}
	sqlite3_reset(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return saola__sq_sql_fail(s, "read record");
	return SAOLA_OK;
}

static int read_after(sq_store *s, const char *id, int64_t *seq, saola__units *u, int *year)
{
	sqlite3_stmt *st = saola__sq_stmt(s, SQ_REC_AFTER);
	int step;

	if (!st)
		return SAOLA_ERROR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		saola__units_set(u, col(st, 1), col(st, 2), col(st, 3));
		*year = saola__rules_year(sqlite3_column_int64(st, 4));
	}
	sqlite3_reset(st);
	if (step != SQLITE_ROW)
		return step == SQLITE_DONE
		       ? saola__sq_fail(s, SAOLA_ERROR, "record %s: missing after the merge", id)
		       : saola__sq_sql_fail(s, "read record");
	return SAOLA_OK;
}

static int echo_set(sq_store *s, const char *id, const char *device, int64_t seq)
{
	sqlite3_stmt *st = saola__sq_stmt(s, SQ_ECHO_SET);
	int step;

	if (!st)
		return SAOLA_ERROR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, seq);
	step = sqlite3_step(st);
	sqlite3_reset(st);
	if (step != SQLITE_DONE)
		return saola__sq_sql_fail(s, "echo state");
	return SAOLA_OK;
}

/* 1 when an answer (not a review path) of r now holds r's version there. */
static int answers_taken(const saola__remote *r, json_t *versions)
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
 * server's like an officer's, with the approval it undoes in the conflict
 * log (and the move in the audit log, under the device's batch). */
static int reopen_if_approved(sq_store *s, const saola__remote *r, loser_ctx *lc)
{
	json_t *was = NULL, *now = NULL;
	const char *state;
	saola__loser l;
	int rc;

	if ((rc = saola__record_state(s->db, r->record_id, &was)) != SAOLA_OK)
		return saola__sq_fail(s, rc, "%s", saola_errmsg(s->db));
	state = json_string_value(json_object_get(json_object_get(was, "values"), SAOLA__P_STATE));
	if (!state || strcmp(state, "approved") != 0 || json_is_true(json_object_get(was, "deleted")) ||
	    !answers_taken(r, json_object_get(was, "versions"))) {
		json_decref(was);
		return SAOLA_OK;
	}
	/* The officer's comment stays: the move says nothing over it (and
	 * would otherwise overwrite a comment without a trace); the conflict
	 * log and the audit log say why. */
	if ((rc = saola__review_write(s->db, r->record_id, "submitted", NULL)) != SAOLA_OK ||
	    (rc = saola__record_state(s->db, r->record_id, &now)) != SAOLA_OK) {
		json_decref(was);
		return saola__sq_fail(s, rc, "%s", saola_errmsg(s->db));
	}
	memset(&l, 0, sizeof l);
	l.record_id = r->record_id;
	l.path = SAOLA__P_STATE;
	l.value = json_object_get(json_object_get(was, "values"), SAOLA__P_STATE);
	l.version = saola__version_of(json_object_get(was, "versions"), SAOLA__P_STATE);
	l.winner = json_object_get(json_object_get(now, "values"), SAOLA__P_STATE);
	l.winner_version = saola__version_of(json_object_get(now, "versions"), SAOLA__P_STATE);
	l.stored_lost = 1;
	rc = log_loser(lc, &l);
	json_decref(was);
	json_decref(now);
	return rc;
}

int saola__sq_apply(saola__store *base, const json_t *change, const saola__apply_ctx *ctx,
                    saola__change_result *res, char *err, size_t errlen)
{
	sq_store *s = (sq_store *)base;
	saola__remote r;
	saola__audit_who who;
	before_row before;
	loser_ctx lc;
	int64_t seq = 0;
	int rc, changed = 0;

	memset(res, 0, sizeof *res);
	err[0] = '\0';
	if (s->txn != 1)
		return saola__sq_fail(s, SAOLA_MISUSE, "apply: no write transaction is open");
	rc = saola__wire_decode(s->db, change, ctx->device, &r, err, errlen);
	if (rc == SAOLA_INVALID)
		return SAOLA_PROTOCOL; /* the change's shape: err says where */
	if (rc == SAOLA_NOFORM)
		return SAOLA_INVALID;
	if (rc != SAOLA_OK) {
		snprintf(err, errlen, "%s", saola_errmsg(s->db));
		return rc;
	}
	res->record_id = r.record_id;
	if ((rc = read_before(s, r.record_id, ctx->device, &before)) != SAOLA_OK)
		goto store_fail;
	res->existed = before.found;
	res->before = before.units;
	res->before_year = before.year;
	if (!s->db->actor || strcmp(s->db->actor, ctx->user->name) != 0)
		saola_set_actor(s->db, ctx->user->name); /* updated_by; not vital */
	lc.s = s, lc.ctx = ctx, lc.count = 0, lc.failed = 0;
	/* A device (not a district server) can only send a record new here
	 * that it made itself, so that record must pass the form. */
	r.own_creation = strcmp(ctx->user->role, "surveyor") == 0 ||
	                 strcmp(ctx->user->role, "commune") == 0;
	memset(&who, 0, sizeof who);
	who.source = ctx->source ? ctx->source : "sync";
	who.user_id = ctx->user->id, who.user_name = ctx->user->name;
	who.device = ctx->device, who.batch = ctx->batch, who.now = ctx->now;
	saola__audit_set(base, &who);
	rc = saola__apply_remote(s->db, &r, log_loser, &lc, &changed);
	saola__audit_set(base, NULL);
	if (rc != SAOLA_OK) {
		if (lc.failed)
			goto store_fail;
		snprintf(err, errlen, "%s", saola_errmsg(s->db));
		/* The form said no (or no standard covers the record's year). */
		if (rc == SAOLA_INVALID || rc == SAOLA_NOTFOUND || rc == SAOLA_NOFORM)
			rc = SAOLA_INVALID;
		goto out;
	}
	res->conflicts = lc.count;
	res->changed = changed;
	if (!changed) {
		res->after = before.units;
		res->after_year = before.year;
		goto out;
	}
	if ((rc = read_after(s, r.record_id, &seq, &res->after, &res->after_year)) != SAOLA_OK)
		goto store_fail;
	/* The device holds the new state when it had the state this change
	 * merged into: it made the record, or had pulled it (seq within its
	 * cursor), or had itself brought it there. */
	if (!before.found || before.seq <= ctx->cursor ||
	    (before.echo_is_device && before.echo_seq == before.seq))
		if ((rc = echo_set(s, r.record_id, ctx->device, seq)) != SAOLA_OK)
			goto store_fail;
	if (r.own_creation && before.found) {
		/* Audited as this server's move, made because of this batch. */
		who.source = "server";
		who.detail = SAOLA__REOPEN_DETAIL;
		saola__audit_set(base, &who);
		rc = reopen_if_approved(s, &r, &lc);
		saola__audit_set(base, NULL);
		if (rc != SAOLA_OK)
			goto store_fail;
		res->conflicts = lc.count;
	}
	goto out;
store_fail:
	snprintf(err, errlen, "%s", base->ops->errmsg(base));
out:
	saola__wire_remote_free(&r);
	return rc;
}

int saola__sq_pull(saola__store *base, const char *area, const char *device,
                   int64_t cursor, int limit, size_t max_bytes, json_t *records,
                   int64_t *next, int *more)
{
	return saola__records_pull(base, ((sq_store *)base)->db, area, device, cursor, limit,
	                           max_bytes, records, next, more);
}
