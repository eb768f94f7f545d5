/* client.c: the device's sync loop (docs/protocol.md, "The client's loop")
 * and enrolment: push the change queue in batches that adapt to the link,
 * pull the area's records, resume after a cut, retry with backoff. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client_int.h"
#include "wire.h"

#define BATCH_START 250    /* protocol 1; protocol 2's changes take about 40%
                            * fewer bytes, so its first batch takes more for
                            * about the same 30 kB on the wire: */
#define BATCH_START_2 400
#define BATCH_MAX 1600     /* 4000 before: 2.5 MiB more at the peak of a push */
#define BATCH_MIN 10
#define PULL_MAX 1000      /* records per answer: bounds the device's memory */
#define QUICK_S 2.0        /* a round trip under this doubles the batch */
#define XZ_BEST 6          /* xz presets of protocol 2: a slow link, */
#define XZ_QUICK 3         /* and a quick one */

/* The quick round trip, overridable (SAOLA_SYNC_QUICK_S) so that tests of
 * the batch sizes do not depend on the machine's speed. */
static double quick_s(void)
{
	const char *e = getenv("SAOLA_SYNC_QUICK_S");
	double v = e ? atof(e) : 0;

	return v > 0 ? v : QUICK_S;
}

typedef struct sync_run {
	saola *db;
	saola__http h;
	saola_sync_stats *st;
	int n;               /* changes per batch now */
	int fixed;           /* the caller chose the batch size */
	int progress;
	/* The batch in flight: its id is saved with its last seq before it is
	 * sent, so that a resend after a cut or a crash carries the same id. */
	char batch[37];
	int64_t batch_seq;   /* 0: no changes (a pull only) */
	long batch_n;
	unsigned char *body; /* the request, compressed; kept for resends */
	size_t body_len;
	int more;
	int pull_cap;        /* the most records a page may bring: PULL_MAX,
	                      * halved in this run by each page too big */
	int pull_sent;       /* the pull_limit of the request in flight */
	int probe;           /* the request in flight settles a pending lineage
	                      * token only: no changes, no page (see prepare) */
	int reorigined;      /* this run gave the database a new origin */
	int resent;          /* this run queued every record again (a restored
	                      * server: resend_all) */
	int quick;           /* a round trip of this run came back quick */
	int protocol;        /* the sync protocol of this run's requests: 2,
	                      * or 1 once the server has refused 2 */
	long conflicts;
	json_t *conflicted;  /* {record id: true}: records with conflicts */
	saola__ahead ahead;  /* the next batch, encoded while this one is in
	                      * flight (client_ahead.c) */
} sync_run;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress(sync_run *s, int last)
{
	if (!s->progress)
		return;
	fprintf(stderr, "\rsaola sync: %ld change%s sent, %ld record%s received, "
	        "%.1f kB up, %.1f kB down%s", s->st->records_up,
	        s->st->records_up == 1 ? "" : "s", s->st->records_down,
	        s->st->records_down == 1 ? "" : "s", (double)s->st->bytes_up / 1000.0,
	        (double)s->st->bytes_down / 1000.0, last ? "\n" : "  ");
	fflush(stderr);
}

/* How many queued changes the next batch takes and the last one's seq. */
static int next_batch_end(saola *db, int64_t after, int n, int64_t *last_seq, long *count)
{
	sqlite3_stmt *st = NULL;
	int rc = SAOLA_OK;

	*last_seq = 0;
	*count = 0;
	if (sqlite3_prepare_v2(db->sql,
	        "SELECT coalesce(max(seq), 0), count(*) FROM"
	        " (SELECT seq FROM outbox WHERE seq > ?2 ORDER BY seq LIMIT ?1)", -1, &st, NULL))
		return saola__sql_error(db, "sync: outbox");
	sqlite3_bind_int(st, 1, n);
	sqlite3_bind_int64(st, 2, after);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*last_seq = sqlite3_column_int64(st, 0);
		*count = sqlite3_column_int(st, 1);
	} else {
		rc = saola__sql_error(db, "sync: outbox");
	}
	sqlite3_finalize(st);
	return rc;
}

static void forget_body(sync_run *s)
{
	free(s->body);
	s->body = NULL;
	s->body_len = 0;
}

/* 1 when v is a lineage token: 32 lowercase hex digits. */
static int is_token(const char *v)
{
	size_t i;

	for (i = 0; v && i < 32; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
			return 0;
	return v && v[32] == '\0';
}

/* The lineage the next request carries: prev, the token the server last
 * accepted ("" before the first sync), and next, the one proposed, made
 * and saved before it is first sent so that every resend carries it
 * unchanged (docs/protocol.md, "Copied databases"). */
static int lineage_get(sync_run *s, char prev[33], char next[33])
{
	char *p = NULL, *n = NULL;
	int rc;

	prev[0] = next[0] = '\0';
	if ((rc = saola_state_get(s->db, SAOLA__K_LINEAGE, &p)) != SAOLA_OK ||
	    (rc = saola_state_get(s->db, SAOLA__K_LINEAGE_NEXT, &n)) != SAOLA_OK)
		goto out;
	if (p && !is_token(p)) {
		rc = saola__error(s->db, SAOLA_CORRUPT, "sync: state lineage: expected 32 hex "
		                  "digits, got \"%.40s\"", p);
		goto out;
	}
	if (p)
		memcpy(prev, p, 33);
	if (n && is_token(n)) {
		memcpy(next, n, 33);
	} else if (saola__random_hex(next, 32) != 0) {
		rc = saola__error(s->db, SAOLA_IO, "sync: no random source for a lineage token");
	} else {
		rc = saola_state_set(s->db, SAOLA__K_LINEAGE_NEXT, next);
	}
out:
	saola_free(p);
	saola_free(n);
	return rc;
}

/* *pending: 1 when a proposed lineage token is saved (it went, or was
 * about to go, with a request that got no 200). */
static int lineage_pending(sync_run *s, int *pending)
{
	char *n = NULL;
	int rc = saola_state_get(s->db, SAOLA__K_LINEAGE_NEXT, &n);

	*pending = rc == SAOLA_OK && n != NULL;
	saola_free(n);
	return rc;
}

/* The batch's changes: an array (protocol 1), or columns (protocol 2:
 * docs/protocol.md, "Version 2"), which compress to about a third less. */
static int put_changes(sync_run *s, saola__zbuf *zb)
{
	int send = s->batch_seq > 0 && !s->probe, rc = SAOLA_OK;
	saola__cols *cols;

	if (s->protocol < 2) {
		rc = saola__zbuf_puts(zb, "[");
		if (rc == SAOLA_OK && send)
			rc = saola__encode_changes(s->db, zb, NULL, 0, s->batch_seq, 0, &s->batch_n,
			                           NULL, NULL);
		return rc == SAOLA_OK ? saola__zbuf_puts(zb, "]") : rc;
	}
	if (!(cols = saola__cols_new()))
		return SAOLA_NOMEM;
	if (send)
		rc = saola__encode_changes(s->db, NULL, cols, 0, s->batch_seq, 0, &s->batch_n,
		                           NULL, NULL);
	if (rc == SAOLA_OK)
		rc = saola__cols_write(cols, saola__zbuf_sink, zb);
	saola__cols_free(cols);
	return rc;
}

/* 1 when the batch encoded ahead is the next one: the outbox holds
 * nothing at or before its first change (the batch before it was
 * dropped). */
static int ahead_fits(sync_run *s)
{
	sqlite3_stmt *st = NULL;
	int fits = 0;

	if (!s->ahead.ready || s->protocol < 2 ||
	    sqlite3_prepare_v2(s->db->sql, "SELECT count(*) FROM outbox WHERE seq <= ?1", -1, &st,
	                       NULL))
		return 0;
	sqlite3_bind_int64(st, 1, s->ahead.after);
	fits = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) == 0;
	sqlite3_finalize(st);
	return fits;
}

static int ahead_work(void *ctx)
{
	sync_run *s = ctx;

	return saola__ahead_step(s->db, &s->ahead);
}

/* Sets the batch after the one about to go to be encoded while it is in
 * flight, when this one carries changes and more wait (protocol 2 only). */
static void ahead_start(sync_run *s)
{
	int64_t upto = 0;
	long count = 0;

	saola__ahead_drop(&s->ahead);
	s->h.idle = NULL;
	if (s->protocol < 2 || s->probe || s->batch_seq <= 0 ||
	    next_batch_end(s->db, s->batch_seq, s->n, &upto, &count) != SAOLA_OK || count == 0) {
		saola__ok(s->db);
		return;
	}
	saola__ahead_start(&s->ahead, s->batch_seq, upto, count);
	s->h.idle = ahead_work;
	s->h.idle_ctx = s;
}

/* The request's "epoch" member, with its comma, for the epoch of the
 * server's database last seen (docs/protocol.md, "Epoch"), or "". */
static int epoch_field(sync_run *s, char *out, size_t n)
{
	char *v = NULL;
	int rc;

	out[0] = '\0';
	if ((rc = saola_state_get(s->db, SAOLA__K_EPOCH, &v)) != SAOLA_OK)
		return rc;
	if (v && strlen(v) == 32 && strspn(v, "0123456789abcdef") == 32)
		snprintf(out, n, "\"epoch\":\"%s\",", v);
	saola_free(v);
	return SAOLA_OK;
}

/* Makes the request for the batch in flight, or cuts a new batch. */
static int prepare(sync_run *s)
{
	saola__zbuf zb;
	int64_t cursor = 0;
	long count = 0;
	char head[600], value[64], prev[33], next[33], epoch[48];
	int rc, pull, ahead = 0;

	if (s->body)
		return SAOLA_OK;
	if ((rc = saola__batch_get(s->db, s->batch, &s->batch_seq)) != SAOLA_OK)
		return rc;
	if (!s->batch[0]) {
		if ((ahead = ahead_fits(s))) {
			s->batch_seq = s->ahead.upto;
			count = s->ahead.n;
		} else if ((rc = next_batch_end(s->db, 0, s->n, &s->batch_seq, &count)) != SAOLA_OK) {
			return rc;
		}
		if (count > 0) {
			if (saola__uuid(s->batch) != 0)
				return saola__error(s->db, SAOLA_IO, "sync: no random source for a batch id");
			snprintf(value, sizeof value, "%s %" PRId64, s->batch, s->batch_seq);
			if ((rc = saola_state_set(s->db, SAOLA__K_BATCH, value)) != SAOLA_OK)
				return rc;
		}
	}
	/* A token still pending went with a request that got no 200: the
	 * server may hold it, and takes under it only that request again or
	 * one without changes. So changes wait for a probe without any that
	 * settles it (a copy of this database made meanwhile holds the same
	 * token, and could otherwise pass its own changes for the resend). */
	if ((rc = lineage_pending(s, &s->probe)) != SAOLA_OK)
		return rc;
	s->probe = s->probe && s->batch_seq > 0;
	if (!ahead || s->probe)
		saola__ahead_drop(&s->ahead);
	ahead = ahead && !s->probe;
	if ((rc = lineage_get(s, prev, next)) != SAOLA_OK)
		return rc;
	if ((rc = saola__state_int(s->db, SAOLA__K_CURSOR, &cursor)) != SAOLA_OK)
		return rc;
	if ((rc = epoch_field(s, epoch, sizeof epoch)) != SAOLA_OK)
		return rc;
	/* Protocol 2 goes in xz: its best (preset 6) while the link is slow
	 * or not known yet, quicker (3) once a round trip came back quick. */
	rc = s->protocol < 2 ? saola__zbuf_init(&zb)
	   : saola__zbuf_init_xz(&zb, s->quick ? XZ_QUICK : XZ_BEST);
	if (rc != SAOLA_OK)
		return saola__error(s->db, rc, "sync: out of memory");
	/* A page follows the batch size (a slow link gets small pages), within
	 * what this run found the device can take. */
	pull = s->n < PULL_MAX ? s->n : PULL_MAX;
	s->pull_sent = s->probe ? 0 : pull < s->pull_cap ? pull : s->pull_cap;
	/* A request with no changes carries no batch id: there is nothing for
	 * the server to remember. */
	snprintf(head, sizeof head,
	         "{\"protocol\":%d,%s%s%s%s\"device\":\"%s\",\"cursor\":%" PRId64
	         ",\"pull_limit\":%d,\"lineage\":{\"prev\":%s%s%s,\"next\":\"%s\"}"
	         ",\"changes\":", s->protocol,
	         s->batch[0] && !s->probe ? "\"batch\":\"" : "", s->probe ? "" : s->batch,
	         s->batch[0] && !s->probe ? "\"," : "", epoch,
	         saola_origin(s->db), cursor, s->pull_sent, prev[0] ? "\"" : "null", prev,
	         prev[0] ? "\"" : "", next);
	rc = saola__zbuf_puts(&zb, head);
	s->batch_n = 0;
	if (rc == SAOLA_OK && ahead) {
		rc = saola__zbuf_write(&zb, s->ahead.text.p, s->ahead.text.n);
		s->batch_n = count;
		s->st->batches_ahead++;
		saola__ahead_drop(&s->ahead);
	} else if (rc == SAOLA_OK) {
		rc = put_changes(s, &zb);
	}
	if (rc == SAOLA_OK)
		rc = saola__zbuf_puts(&zb, "}");
	if (rc == SAOLA_OK)
		rc = saola__zbuf_finish(&zb);
	if (rc == SAOLA_OK) {
		s->body = zb.out;
		s->body_len = zb.z.total_out;
		zb.out = NULL;
	} else if (rc == SAOLA_NOMEM) {
		saola__error(s->db, rc, "sync: out of memory building a batch");
	}
	saola__zbuf_free(&zb);
	return rc;
}

/* Forgets the batch in flight in memory: its body, id and extent. */
static void forget_batch(sync_run *s)
{
	forget_body(s);
	s->batch[0] = '\0';
	s->batch_seq = 0;
	s->batch_n = 0;
}

/* Ends the transaction of the work that gave rc: commits when it went
 * well, else rolls back; the result. */
static int end_txn(sync_run *s, int rc)
{
	if (rc == SAOLA_OK)
		return saola_commit(s->db);
	saola_rollback(s->db);
	return rc;
}

/* Forgets the batch in flight (after it was applied, refused, or when it
 * is cut smaller under a new id). */
static int drop_batch(sync_run *s)
{
	forget_batch(s);
	return saola_state_set(s->db, SAOLA__K_BATCH, NULL);
}

static int check_answer(sync_run *s, const json_t *doc)
{
	json_t *cursor = json_object_get(doc, "cursor");
	const char *batch = json_string_value(json_object_get(doc, "batch"));

	if (!json_is_integer(cursor) || json_integer_value(cursor) < 0)
		return saola__error(s->db, SAOLA_PROTOCOL, "sync: the answer's cursor: expected an "
		                    "integer >= 0");
	if (batch && s->batch[0] && strcmp(batch, s->batch) != 0)
		return saola__error(s->db, SAOLA_PROTOCOL, "sync: the answer is for batch %.40s, "
		                    "not %s", batch, s->batch);
	return SAOLA_OK;
}

/* A 200: merge the records, store the cursor, drop the batch it answered
 * (and nothing else: no counter drops a queued change) and take the
 * proposed lineage token as the accepted one, all in one transaction. */
static int apply_answer(sync_run *s, saola__answer *a)
{
	const json_t *doc = a->head;
	char prev[33], next[33];
	int rc;

	if ((rc = check_answer(s, doc)) != SAOLA_OK)
		return rc;
	/* Forms first, so that records of a new form version can be merged.
	 * A batch encoded ahead read the forms before: it is encoded again. */
	if (!saola__forms_known(s->db, json_object_get(doc, "forms"))) {
		saola__ahead_drop(&s->ahead);
		if ((rc = saola__fetch_forms(&s->h, NULL)) != SAOLA_OK)
			return rc;
	}
	if ((rc = lineage_get(s, prev, next)) != SAOLA_OK)
		return rc;
	if ((rc = saola_begin(s->db)) != SAOLA_OK)
		return rc;
	rc = saola__answer_merge(s->db, a, "sync");
	if (rc == SAOLA_OK)
		rc = saola__state_set_int(s->db, SAOLA__K_CURSOR,
		                          json_integer_value(json_object_get(doc, "cursor")));
	if (rc == SAOLA_OK && s->batch_seq > 0 && !s->probe)
		rc = saola_outbox_ack(s->db, s->batch_seq);
	if (rc == SAOLA_OK && !s->probe)
		rc = saola_state_set(s->db, SAOLA__K_BATCH, NULL);
	if (rc == SAOLA_OK && json_is_string(json_object_get(doc, "epoch")))
		rc = saola_state_set(s->db, SAOLA__K_EPOCH,
		                     json_string_value(json_object_get(doc, "epoch")));
	if (rc == SAOLA_OK)
		rc = saola_state_set(s->db, SAOLA__K_LINEAGE, next);
	if (rc == SAOLA_OK)
		rc = saola_state_set(s->db, SAOLA__K_LINEAGE_NEXT, NULL);
	if ((rc = end_txn(s, rc)) != SAOLA_OK)
		return rc;
	s->st->records_up += s->batch_n;
	s->st->records_down += (long)a->count;
	s->conflicts += (long)json_integer_value(json_object_get(doc, "conflicts"));
	{
		json_t *id;
		size_t i;
		json_array_foreach(json_object_get(doc, "conflicted"), i, id)
			if (json_is_string(id))
				json_object_set(s->conflicted, json_string_value(id), json_true());
	}
	s->more = json_is_true(json_object_get(doc, "more"));
	forget_body(s);
	if (s->probe) {
		/* The batch goes next, under a token of its own. */
		s->probe = 0;
		return SAOLA_OK;
	}
	s->batch[0] = '\0';
	s->batch_seq = 0;
	return SAOLA_OK;
}

static int finish(sync_run *s)
{
	char now[21], n[32], records[32];
	int rc;

	saola__now(now);
	snprintf(n, sizeof n, "%ld", s->conflicts);
	snprintf(records, sizeof records, "%zu", json_object_size(s->conflicted));
	if ((rc = saola_begin(s->db)) != SAOLA_OK)
		return rc;
	rc = saola_state_set(s->db, SAOLA__K_LAST_SYNC, now);
	if (rc == SAOLA_OK)
		rc = saola_state_set(s->db, SAOLA__K_CONFLICTS, n);
	if (rc == SAOLA_OK)
		rc = saola_state_set(s->db, SAOLA__K_CONFLICTED, records);
	if (rc == SAOLA_OK)
		return saola_commit(s->db);
	saola_rollback(s->db);
	return rc;
}

/* The error code of a refusal ({"error": {"code": ...}}) is code. */
static int resp_code_is(const saola__resp *r, const char *code)
{
	json_t *doc = r->body ? json_loadb((const char *)r->body, r->len, 0, NULL) : NULL;
	const char *c = json_string_value(json_object_get(json_object_get(doc, "error"), "code"));
	int is = c && strcmp(c, code) == 0;

	json_decref(doc);
	return is;
}

/* 1 when a 400 says the server does not speak protocol 2: a server of
 * protocol 1 refuses its xz unread ("content-encoding xz is not
 * supported"), or an xz-reading one its "protocol" ("protocol: expected
 * 1"). */
static int speaks_only_1(const saola__resp *r)
{
	json_t *doc;
	const char *m;
	int only1;

	if (r->status != 400 || !r->body)
		return 0;
	doc = json_loadb((const char *)r->body, r->len, 0, NULL);
	m = json_string_value(json_object_get(json_object_get(doc, "error"), "message"));
	only1 = m && (strncmp(m, "protocol: expected 1 (", 22) == 0 ||
	              strncmp(m, "content-encoding xz is not supported", 36) == 0);
	json_decref(doc);
	return only1;
}

/* A 409 device_copied: the server holds this origin's lineage from
 * another copy of this database. The queued changes move to a new origin
 * of this database's own (nothing is lost), and the run syncs again. */
static int take_own_origin(sync_run *s)
{
	char old[SAOLA__ORIGIN_LEN + 1], now[21], value[96];
	int rc;

	forget_batch(s);
	if ((rc = saola_begin(s->db)) != SAOLA_OK)
		return rc;
	rc = saola__reorigin(s->db, old);
	if (rc == SAOLA_OK) {
		saola__now(now);
		snprintf(value, sizeof value, "%s %s %s", old, saola_origin(s->db), now);
		rc = saola_state_set(s->db, SAOLA__K_REORIGINED, value);
	}
	if ((rc = end_txn(s, rc)) != SAOLA_OK)
		return rc;
	s->reorigined = 1;
	s->st->reorigined = 1;
	snprintf(s->st->note, sizeof s->st->note, "saola sync: this database is a copy of "
	         "another device's (origin %s): it now has an origin of its own (%s); every "
	         "queued change is kept and sent", old, saola_origin(s->db));
	return SAOLA_OK;
}

/* A 409 epoch_changed: the server's database was restored from a backup,
 * and lacks what this device sent since. In one transaction every record
 * this device has an edit in is queued again, whole, ahead of the changes
 * queued before; the cursor goes back to 0 (the server's change sequence
 * numbers other changes now) and the epoch is forgotten, so that the next
 * answer gives the new one. */
static int resend_all(sync_run *s)
{
	int64_t queued = 0;
	int rc;

	forget_batch(s);
	if ((rc = saola_begin(s->db)) != SAOLA_OK)
		return rc;
	rc = saola__outbox_resend_all(s->db, &queued);
	if (rc == SAOLA_OK)
		rc = saola__state_set_int(s->db, SAOLA__K_CURSOR, 0);
	if (rc == SAOLA_OK)
		rc = saola_state_set(s->db, SAOLA__K_EPOCH, NULL);
	if ((rc = end_txn(s, rc)) != SAOLA_OK)
		return rc;
	s->resent = 1;
	s->st->resent = (long)queued;
	snprintf(s->st->note, sizeof s->st->note, "saola sync: the server was restored from a "
	         "backup: %lld records this device has edits in are sent again, and every "
	         "record of its area pulled again", (long long)queued);
	return SAOLA_OK;
}

/* A page too big for this device: the answer over its body limit
 * (limit_rc SAOLA_LIMIT) or a 413. Halves the pull limit (for a 413 the
 * batch too: nothing of it was applied) and carries on; SAOLA_LIMIT with a
 * clear error when even one record per page and per batch is too big. */
static int shrink(sync_run *s, const saola__resp *r, int limit_rc, const char *url)
{
	char why[SAOLA__ERRMSG_MAX];
	int is413 = limit_rc != SAOLA_LIMIT;

	if (s->pull_sent > 1 || (is413 && s->batch_n > 1 && !s->fixed)) {
		s->pull_cap = s->pull_sent / 2 < 1 ? 1 : s->pull_sent / 2;
		s->st->retries++;
		if (is413 && s->batch_n > 1 && !s->fixed) {
			s->n = (int)(s->batch_n / 2 < 1 ? 1 : s->batch_n / 2);
			return drop_batch(s);
		}
		/* The same batch again (the server may hold it: a duplicate),
		 * asking for a smaller page. */
		forget_body(s);
		return SAOLA_OK;
	}
	if (is413)
		saola__resp_error(s->db, "sync", url, r);
	snprintf(why, sizeof why, "%s", saola_errmsg(s->db));
	return saola__error(s->db, SAOLA_LIMIT, "%.380s (even a page of one record is too big "
	                    "for this device: a record of the area is over the limit)", why);
}

static int run_loop(sync_run *s)
{
	saola__resp r;
	int64_t queued;
	int attempt = 0, rc;
	double t0, took;
	char url[256], err[200];
	saola__answer a;
	int scanned;

	snprintf(url, sizeof url, "POST %.200s/v1/sync", s->h.base);
	for (;;) {
		if ((rc = prepare(s)) != SAOLA_OK)
			return rc;
		ahead_start(s);
		t0 = now_s();
		rc = saola__http_once(&s->h, "POST", "/v1/sync", s->body, s->body_len, 1, &r);
		took = now_s() - t0;
		s->h.idle = NULL;
		scanned = 0;
		if (rc == SAOLA_OK && r.status == 200) {
			rc = saola__answer_scan((const char *)r.body, r.len, &a, err, sizeof err);
			if (rc == SAOLA_PROTOCOL) {
				/* A 200 whose body is not whole (a link cut inside the
				 * headers can look like an empty answer): try again. */
				r.status = 0;
				snprintf(r.why, sizeof r.why, "the answer is cut short or not a sync "
				         "answer (%.160s)", err);
				rc = SAOLA_NETWORK;
			} else if (rc != SAOLA_OK) {
				saola__resp_free(&r);
				return saola__error(s->db, rc, "sync: out of memory reading the answer");
			} else {
				scanned = 1;
			}
		}
		if (scanned) {
			long sent = s->batch_n, down = s->st->records_down;
			rc = apply_answer(s, &a);
			/* Records merged may be among those encoded ahead (a record
			 * made here goes as it stands): they are encoded again. */
			if (s->st->records_down != down)
				saola__ahead_drop(&s->ahead);
			saola__answer_free(&a);
			saola__resp_free(&r);
			if (rc != SAOLA_OK)
				return rc;
			attempt = 0;
			progress(s, 0);
			s->quick = took < quick_s();
			if (!s->fixed && took < quick_s() && s->n < BATCH_MAX &&
			    (sent >= s->n || s->more))
				s->n = s->n * 2 > BATCH_MAX ? BATCH_MAX : s->n * 2;
			if ((rc = saola_outbox_count(s->db, &queued)) != SAOLA_OK)
				return rc;
			if (queued == 0 && !s->more)
				return SAOLA_OK;
			continue;
		}
		/* Whatever went wrong, the next request is cut afresh. */
		saola__ahead_drop(&s->ahead);
		if (rc == SAOLA_LIMIT || (rc == SAOLA_OK && r.status == 413)) {
			rc = shrink(s, &r, rc, url);
			saola__resp_free(&r);
			if (rc != SAOLA_OK)
				return rc;
			continue;
		}
		if (rc != SAOLA_OK && rc != SAOLA_NETWORK) {
			saola__resp_free(&r);
			return rc;
		}
		if (r.status == 409 && !s->reorigined && resp_code_is(&r, "device_copied")) {
			/* Once per run: a second copy answer means something else
			 * is wrong, and is reported. */
			saola__resp_free(&r);
			if ((rc = take_own_origin(s)) != SAOLA_OK)
				return rc;
			attempt = 0;
			continue;
		}
		if (r.status == 409 && !s->resent && resp_code_is(&r, "epoch_changed")) {
			/* Once per run, as a copy's answer above. */
			saola__resp_free(&r);
			if ((rc = resend_all(s)) != SAOLA_OK)
				return rc;
			attempt = 0;
			continue;
		}
		if (s->protocol >= 2 && speaks_only_1(&r)) {
			/* A server of protocol 1 refused the request unread: the
			 * same batch goes again as an array, for the rest of the run. */
			saola__resp_free(&r);
			s->protocol = 1;
			s->h.accept_xz = 0;
			forget_body(s);
			continue;
		}
		if (!saola__resp_retryable(&r)) {
			/* Refused: nothing of it was applied, so the batch may go
			 * again later under a new id, cut afresh. */
			rc = saola__resp_error(s->db, "sync", url, &r);
			saola__resp_free(&r);
			if (s->batch_seq > 0) {
				char why[SAOLA__ERRMSG_MAX];
				snprintf(why, sizeof why, "%s", saola_errmsg(s->db));
				drop_batch(s);
				saola__error(s->db, rc, "%s", why);
			}
			return rc;
		}
		if (++attempt >= s->h.max_attempts) {
			rc = saola__resp_error(s->db, "sync", url, &r);
			saola__resp_free(&r);
			{
				char why[SAOLA__ERRMSG_MAX];
				snprintf(why, sizeof why, "%s", saola_errmsg(s->db));
				return saola__error(s->db, rc, "%.420s (gave up after %d attempts; "
				                    "'saola sync' resumes where this stopped)", why, attempt);
			}
		}
		s->st->retries++;
		if (!s->fixed && (r.timed_out || r.status >= 500))
			s->n = s->n / 2 < BATCH_MIN ? BATCH_MIN : s->n / 2;
		/* A batch too big for the link in the time allowed is cut smaller
		 * under a new id: merging is idempotent, so changes the server
		 * may hold already are harmless. */
		if (r.timed_out && s->batch_n > s->n && (rc = drop_batch(s)) != SAOLA_OK) {
			saola__resp_free(&r);
			return rc;
		}
		saola__backoff(&s->h, attempt, r.status == 429 || r.status == 503 ? r.retry_after : 0);
		saola__resp_free(&r);
	}
}

int saola_sync(saola *db, const saola_sync_opts *opts, saola_sync_stats *stats)
{
	static const saola_sync_opts defaults;
	saola_sync_stats local;
	sync_run s;
	double t0 = now_s();
	int rc;

	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof *stats);
	if (!db)
		return SAOLA_MISUSE;
	if (db->in_txn)
		return saola__error(db, SAOLA_MISUSE, "sync: a transaction is open: commit it first");
	if (!opts)
		opts = &defaults;
	memset(&s, 0, sizeof s);
	s.db = db;
	s.st = stats;
	s.fixed = opts->batch > 0;
	s.protocol = opts->protocol == 1 ? 1 : 2;
	s.n = s.fixed ? opts->batch : s.protocol == 2 ? BATCH_START_2 : BATCH_START;
	s.pull_cap = PULL_MAX;
	s.progress = opts->progress && isatty(STDERR_FILENO);
	if (!(s.conflicted = json_object()))
		return saola__error(db, SAOLA_NOMEM, "sync: out of memory");
	if ((rc = saola__http_open(&s.h, db, opts, stats)) != SAOLA_OK) {
		json_decref(s.conflicted);
		return rc;
	}
	s.h.accept_xz = s.protocol == 2;
	rc = run_loop(&s);
	if (rc == SAOLA_OK)
		rc = finish(&s);
	progress(&s, 1);
	stats->conflicts = s.conflicts;
	stats->seconds = now_s() - t0;
	forget_body(&s);
	saola__ahead_drop(&s.ahead);
	saola__http_close(&s.h);
	json_decref(s.conflicted);
	return rc == SAOLA_OK ? saola__ok(db) : rc;
}

/* A device id belongs to one enrolment: a database enrolled before with
 * another server or token takes an origin of its own (its queued changes
 * move to it), so that no two enrolments share one, and pulls from the
 * start (the old cursor counted another server's changes, or another
 * user's area). Inside the caller's transaction. */
static int reorigin_if_new_enrolment(saola *db, const char *server, const char *token)
{
	char *was_server = NULL, *was_token = NULL, old[SAOLA__ORIGIN_LEN + 1], now[21];
	char value[96];
	int rc;

	if ((rc = saola_state_get(db, SAOLA__K_SERVER, &was_server)) != SAOLA_OK ||
	    (rc = saola_state_get(db, SAOLA__K_TOKEN, &was_token)) != SAOLA_OK)
		goto out;
	if ((!was_server && !was_token) ||
	    (was_server && was_token && strcmp(was_server, server) == 0 &&
	     strcmp(was_token, token) == 0))
		goto out;
	if ((rc = saola__reorigin(db, old)) != SAOLA_OK)
		goto out;
	saola__now(now);
	snprintf(value, sizeof value, "%s %s %s", old, saola_origin(db), now);
	if ((rc = saola_state_set(db, SAOLA__K_REORIGINED, value)) == SAOLA_OK)
		rc = saola_state_set(db, SAOLA__K_CURSOR, NULL);
out:
	saola_free(was_server);
	saola_free(was_token);
	return rc;
}

int saola_enrol(saola *db, const char *server, const char *token,
                const saola_sync_opts *opts)
{
	saola_sync_opts o;
	saola__http h;
	json_t *health = NULL;
	int rc, n = 0;

	if (!db)
		return SAOLA_MISUSE;
	if (!server || !*server || !token || !*token)
		return saola__error(db, SAOLA_MISUSE, "enrol: a server URL and a token are needed");
	if (db->in_txn)
		return saola__error(db, SAOLA_MISUSE, "enrol: a transaction is open: commit it first");
	memset(&o, 0, sizeof o);
	if (opts)
		o = *opts;
	o.server = server;
	o.token = token;
	if (o.max_attempts <= 0)
		o.max_attempts = 3; /* enrolment is interactive: fail soon */
	if ((rc = saola__http_open(&h, db, &o, NULL)) != SAOLA_OK) {
		char why[SAOLA__ERRMSG_MAX];
		snprintf(why, sizeof why, "%s", saola_errmsg(db));
		return saola__error(db, rc, "enrol: %.440s",
		                    strncmp(why, "sync: ", 6) == 0 ? why + 6 : why);
	}
	/* Saved first: a device enrolled while offline syncs once a link
	 * appears. */
	rc = saola_begin(db);
	if (rc == SAOLA_OK)
		rc = reorigin_if_new_enrolment(db, h.base, token);
	if (rc == SAOLA_OK)
		rc = saola_state_set(db, SAOLA__K_SERVER, h.base);
	if (rc == SAOLA_OK)
		rc = saola_state_set(db, SAOLA__K_TOKEN, token);
	if (rc == SAOLA_OK)
		rc = saola_state_set(db, SAOLA__K_CA_FILE, o.ca_file);
	if (rc == SAOLA_OK)
		rc = saola_state_set(db, SAOLA__K_INSECURE, o.insecure_http ? "1" : NULL);
	if (rc == SAOLA_OK)
		rc = saola_commit(db);
	else
		saola_rollback(db);
	if (rc == SAOLA_OK && (rc = saola__http_get_json(&h, "/healthz", &health)) == SAOLA_OK &&
	    !json_is_true(json_object_get(health, "ok")))
		rc = saola__error(db, SAOLA_PROTOCOL, "enrol: GET %s/healthz: the server is not "
		                  "healthy (no \"ok\": true)", h.base);
	if (rc == SAOLA_OK)
		rc = saola__fetch_forms(&h, &n);
	if (rc != SAOLA_OK && rc != SAOLA_NOMEM) {
		char why[SAOLA__ERRMSG_MAX];
		snprintf(why, sizeof why, "%s", saola_errmsg(db));
		const char *w = why;
		if (strncmp(w, "enrol: ", 7) == 0 || strncmp(w, "sync: ", 6) == 0)
			w = strchr(w, ' ') + 1;
		saola__error(db, rc, "enrol: %.440s", w);
	}
	json_decref(health);
	saola__http_close(&h);
	return rc == SAOLA_OK ? saola__ok(db) : rc;
}
