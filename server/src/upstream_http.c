/* upstream_http.c: a district's sync with its upstream server over HTTP,
 * with the device client's transport (sync/src/client_http.c): push the
 * records changed here, then pull the area's records changed there; and
 * the thread that does it on an interval while the district serves. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client_int.h"
#include "store_sql.h"
#include "upstream.h"
#include "wire.h"

#define PUSH_RECORDS 500     /* records per push request */
#define PULL_RECORDS 1000    /* records per pull page */
#define ATTEMPTS 5           /* per request, before giving up until next time */

/* The store's forms engine: a core handle, where the client's transport
 * (client_http.c) tells its failures and forms are checked. */
static saola *engine(saola__store *s)
{
	return saola__store_forms_engine(s);
}

/* A failure told on the engine's handle as e, with result code rc:
 * SAOLA_NETWORK when the upstream server was not reached or answered
 * wrong (its status is in the message). */
static int fail_db(saola *db, int rc, saola__err *e)
{
	return saola__err_set(e, rc, "%s", db ? saola_errmsg(db) : "no forms engine");
}

/* Runs a write of the district's sync state under the lock, in one
 * transaction: sql first (NULL: none), then k1 := v1 and (k2 not NULL)
 * k2 := v2 (a NULL value removes the key). */
static int state_write_after(saola__store *s, pthread_mutex_t *lock, const char *sql,
                             const char *k1, const char *v1, const char *k2, const char *v2)
{
	int rc;

	if (lock)
		pthread_mutex_lock(lock);
	if ((rc = s->ops->write_begin(s, 1)) == SAOLA_OK) {
		rc = sql ? saola__db_exec(s->db, sql) : SAOLA_OK;
		if (rc == SAOLA_OK)
			rc = s->ops->state_set(s, k1, v1);
		if (rc == SAOLA_OK && k2)
			rc = s->ops->state_set(s, k2, v2);
		if (s->ops->end(s, rc == SAOLA_OK) != SAOLA_OK && rc == SAOLA_OK)
			rc = SAOLA_ERROR;
	}
	if (lock)
		pthread_mutex_unlock(lock);
	return rc;
}

static int state_write(saola__store *s, pthread_mutex_t *lock, const char *k1,
                       const char *v1, const char *k2, const char *v2)
{
	return state_write_after(s, lock, NULL, k1, v1, k2, v2);
}

/* The upstream URL and token: the ones given (saved for next time), else
 * the saved ones. *url and *token are new strings (free). */
static int endpoint(saola__store *s, pthread_mutex_t *lock, const char *url_in,
                    const char *token_in, char **url, char **token, saola__err *e)
{
	int rc = SAOLA_OK;

	*url = *token = NULL;
	if (url_in && *url_in) {
		if (!token_in || !*token_in)
			return saola__err_set(e, SAOLA_PROTOCOL, "upstream %s: a token is needed"
			                      " (--token: a district user's token on that server)",
			                      url_in);
		rc = state_write(s, lock, SAOLA__UP_URL, url_in, SAOLA__UP_TOKEN, token_in);
		if (rc != SAOLA_OK)
			return saola__err_set(e, SAOLA_ERROR, "upstream: saving the upstream: %s",
			                      s->ops->errmsg(s));
	}
	if ((rc = s->ops->state_get(s, SAOLA__UP_URL, url)) == SAOLA_OK)
		rc = s->ops->state_get(s, SAOLA__UP_TOKEN, token);
	if (rc != SAOLA_OK) {
		free(*url);
		*url = NULL;
		return saola__err_set(e, SAOLA_ERROR, "upstream: %s", s->ops->errmsg(s));
	}
	if (!*url || !*token) {
		free(*url);
		free(*token);
		*url = *token = NULL;
		return saola__err_set(e, SAOLA_PROTOCOL, "no upstream server: give --upstream URL"
		                      " --token T once (they are saved in the database)");
	}
	return 0;
}

/* Adds the lineage to req: the token last accepted upstream and the one
 * proposed, made and saved first when there is none (so that a resend
 * carries the same one). *next gets the proposed token (free). */
static int lineage_add(saola__store *s, pthread_mutex_t *lock, json_t *req, char **next,
                       saola__err *e)
{
	char *prev = NULL, made[SAOLA__LINEAGE_LEN + 1];
	json_t *l;
	int rc;

	*next = NULL;
	if ((rc = s->ops->state_get(s, SAOLA__UP_LINEAGE, &prev)) == SAOLA_OK)
		rc = s->ops->state_get(s, SAOLA__UP_LINEAGE_NEXT, next);
	if (rc == SAOLA_OK && !*next) {
		if (saola__random_hex(made, SAOLA__LINEAGE_LEN) != 0)
			rc = SAOLA_IO;
		else if ((rc = state_write(s, lock, SAOLA__UP_LINEAGE_NEXT, made, NULL, NULL)) ==
		         SAOLA_OK)
			rc = s->ops->state_get(s, SAOLA__UP_LINEAGE_NEXT, next);
	}
	if (rc == SAOLA_OK && (!*next || !(l = json_pack("{s:s?, s:s}", "prev", prev, "next",
	                                                   *next)) ||
	                       json_object_set_new(req, "lineage", l) != 0))
		rc = SAOLA_NOMEM;
	free(prev);
	if (rc != SAOLA_OK) {
		free(*next);
		*next = NULL;
		return saola__err_set(e, SAOLA_ERROR, "upstream: lineage: %s", rc == SAOLA_NOMEM
		                      ? "out of memory" : s->ops->errmsg(s));
	}
	return 0;
}

/* The failure of a refused request; a 409 device_copied says what the
 * district's operator must do. */
static int refused(saola *db, const char *origin, const char *url, const saola__resp *r,
                   saola__err *e)
{
	json_t *doc = r->body ? json_loadb((const char *)r->body, r->len, 0, NULL) : NULL;
	const char *code = json_string_value(json_object_get(json_object_get(doc, "error"),
	                                                     "code"));
	int copied = r->status == 409 && code && strcmp(code, "device_copied") == 0;
	int restored = r->status == 409 && code && strcmp(code, "epoch_changed") == 0;

	json_decref(doc);
	if (restored)
		return saola__err_set(e, SAOLA__E_EPOCH_CHANGED, "upstream: %s: its database was"
		                      " restored from a backup", url);
	if (copied)
		return saola__err_set(e, SAOLA__E_DEVICE_COPIED, "upstream: %s: this district's"
		                      " database is a copy of another district server's (both use"
		                      " origin %s): nothing was applied. Give one of the two"
		                      " servers a database of its own (a new database synced down"
		                      " from upstream), or stop the other; do not sync both copies",
		                      url, origin);
	saola__resp_error(db, "upstream", url, r);
	return fail_db(db, SAOLA_NETWORK, e);
}

static int post(saola__store *s, pthread_mutex_t *lock, saola__http *h, json_t *req,
                json_t **out, saola__err *e);

/* Adds the upstream's epoch last seen to req (none: nothing). */
static int epoch_add(saola__store *s, json_t *req, saola__err *e)
{
	char *v = NULL;
	int rc;

	if (s->ops->state_get(s, SAOLA__UP_EPOCH, &v) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "upstream: epoch: %s", s->ops->errmsg(s));
	rc = v && json_object_set_new(req, "epoch", json_string(v)) != 0 ? -1 : 0;
	free(v);
	return rc ? saola__err_set(e, SAOLA_NOMEM, "upstream: out of memory") : 0;
}

/* Keeps the epoch of an answer, when it is new here. */
static int epoch_keep(saola__store *s, pthread_mutex_t *lock, json_t *out, saola__err *e)
{
	const char *epoch = json_string_value(json_object_get(out, "epoch"));
	char *had = NULL;
	int same;

	if (!epoch)
		return 0;
	if (s->ops->state_get(s, SAOLA__UP_EPOCH, &had) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "upstream: epoch: %s", s->ops->errmsg(s));
	same = had && strcmp(had, epoch) == 0;
	free(had);
	if (!same && state_write(s, lock, SAOLA__UP_EPOCH, epoch, NULL, NULL) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "upstream: epoch: %s", s->ops->errmsg(s));
	return 0;
}

/* The upstream was restored from a backup: it lacks what this district
 * sent after the backup. Every record's exchange state is forgotten (so
 * every record goes up again, whole; merging is idempotent), and the
 * cursor and the epoch too (the upstream's change sequence numbers other
 * changes now), in one transaction. */
static int upstream_restored(saola__store *s, pthread_mutex_t *lock, saola__err *e)
{
	if (state_write_after(s, lock, "DELETE FROM upstream_records", SAOLA__UP_CURSOR, NULL,
	                      SAOLA__UP_EPOCH, NULL) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "upstream: restored: %s", s->ops->errmsg(s));
	return 0;
}

/* When a proposed lineage token is still pending (its request got no 200),
 * settles it with a request without changes before changes go: under that
 * token the upstream takes only the same batch again, or none (as a
 * device's client does; docs/protocol.md, "Copied databases"). */
static int probe(saola__store *s, pthread_mutex_t *lock, saola__http *h, saola__err *e)
{
	char *pending = NULL;
	json_t *req, *out = NULL;
	int rc;

	if (s->ops->state_get(s, SAOLA__UP_LINEAGE_NEXT, &pending) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "upstream: lineage: %s", s->ops->errmsg(s));
	if (!pending)
		return 0;
	free(pending);
	if (!(req = json_pack("{s:i, s:s, s:i, s:[]}", "protocol", 1, "device",
	                      s->ops->origin(s), "pull_limit", 0, "changes")))
		return saola__err_set(e, SAOLA_NOMEM, "upstream: out of memory");
	rc = post(s, lock, h, req, &out, e);
	json_decref(req);
	json_decref(out);
	return rc;
}

/* POSTs req to /v1/sync with the district's lineage, retrying a failure
 * that may mend; *out gets the answer; on a 200 the lineage moves on. 0,
 * or -1 with e. */
static int post(saola__store *s, pthread_mutex_t *lock, saola__http *h, json_t *req,
                json_t **out, saola__err *e)
{
	char *text, url[300], err[160] = "", *next = NULL;
	unsigned char *gz = NULL;
	size_t gzlen = 0;
	saola__resp r;
	int attempt, rc;

	*out = NULL;
	if (json_array_size(json_object_get(req, "changes")) > 0 && probe(s, lock, h, e) != 0)
		return -1;
	if (lineage_add(s, lock, req, &next, e) != 0 || epoch_add(s, req, e) != 0) {
		free(next);
		return -1;
	}
	text = json_dumps(req, JSON_COMPACT);
	if (!text || saola__gzip(text, strlen(text), &gz, &gzlen) != SAOLA_OK) {
		free(text);
		free(next);
		return saola__err_set(e, SAOLA_NOMEM, "upstream: out of memory");
	}
	free(text);
	snprintf(url, sizeof url, "POST %.200s/v1/sync", h->base);
	for (attempt = 1;; attempt++) {
		rc = saola__http_once(h, "POST", "/v1/sync", gz, gzlen, 1, &r);
		if (rc == SAOLA_OK && r.status == 200)
			break;
		if ((rc != SAOLA_OK && rc != SAOLA_NETWORK) || !saola__resp_retryable(&r) ||
		    attempt >= h->max_attempts) {
			if (rc == SAOLA_OK || rc == SAOLA_NETWORK)
				rc = refused(h->db, s->ops->origin(s), url, &r, e);
			else
				rc = fail_db(h->db, SAOLA_ERROR, e);
			saola__resp_free(&r);
			free(gz);
			free(next);
			return rc;
		}
		saola__resp_free(&r);
		saola__backoff(h, attempt, r.retry_after);
	}
	free(gz);
	/* Accepted: the proposed token is the upstream's now. */
	rc = state_write(s, lock, SAOLA__UP_LINEAGE, next, SAOLA__UP_LINEAGE_NEXT, NULL);
	free(next);
	*out = saola__json_parse((const char *)r.body, r.len, err, sizeof err);
	saola__resp_free(&r);
	if (rc != SAOLA_OK) {
		json_decref(*out);
		*out = NULL;
		return saola__err_set(e, SAOLA_ERROR, "upstream: saving the lineage: %s",
		                      s->ops->errmsg(s));
	}
	if (!json_is_object(*out) || !json_is_integer(json_object_get(*out, "cursor"))) {
		json_decref(*out);
		*out = NULL;
		return saola__err_set(e, SAOLA_NETWORK, "upstream: %s: not a sync answer%s%s", url,
		                      err[0] ? ": " : "", err);
	}
	return epoch_keep(s, lock, *out, e);
}

/* Marks done exchanged, in a write transaction of its own. */
static int mark(saola__store *s, pthread_mutex_t *lock, json_t *done, saola__err *e)
{
	int rc;

	if (json_array_size(done) == 0)
		return 0;
	if (lock)
		pthread_mutex_lock(lock);
	if (s->ops->write_begin(s, 1) != SAOLA_OK) {
		rc = saola__err_set(e, SAOLA_ERROR, "upstream: %s", s->ops->errmsg(s));
	} else {
		rc = saola__upstream_mark(s, done, e);
		if (s->ops->end(s, rc == 0) != SAOLA_OK && rc == 0)
			rc = saola__err_set(e, SAOLA_ERROR, "upstream: %s", s->ops->errmsg(s));
	}
	if (lock)
		pthread_mutex_unlock(lock);
	return rc;
}

static int push(saola__store *s, pthread_mutex_t *lock, saola__http *h, int64_t cursor,
                saola__upstream_stats *st, saola__err *e)
{
	json_t *changes = NULL, *done = NULL, *req = NULL, *ans = NULL;
	int rc = 0;

	for (;;) {
		if (s->ops->read_begin(s) != SAOLA_OK)
			return saola__err_set(e, SAOLA_ERROR, "upstream: %s", s->ops->errmsg(s));
		rc = saola__upstream_changes(s, PUSH_RECORDS, &changes, &done, e);
		s->ops->end(s, 1);
		if (rc != 0 || json_array_size(done) == 0)
			break;
		if (json_array_size(changes) > 0) {
			if (!(req = saola__upstream_request(s, changes, cursor, 0))) {
				rc = saola__err_set(e, SAOLA_NOMEM, "upstream: out of memory");
				break;
			}
			if ((rc = post(s, lock, h, req, &ans, e)) != 0)
				break;
			st->pushed += (long)json_array_size(changes);
			st->conflicts += (long)json_integer_value(json_object_get(ans, "conflicts"));
		}
		if ((rc = mark(s, lock, done, e)) != 0)
			break;
		json_decref(changes);
		json_decref(done);
		json_decref(req);
		json_decref(ans);
		changes = done = req = ans = NULL;
	}
	json_decref(changes);
	json_decref(done);
	json_decref(req);
	json_decref(ans);
	return rc;
}

/* The upstream's forms and standards, when it names versions that this
 * server does not hold (the province loaded a new form): fetched and made
 * current here before any record of theirs is merged, and then offered to
 * this district's devices at their next sync. */
static int refresh_forms(saola__store *s, pthread_mutex_t *lock, saola__http *h,
                         const json_t *forms, saola__upstream_stats *st, saola__err *e)
{
	saola *db = engine(s);
	json_t *doc = NULL;
	int rc, n = 0;

	if (!db || saola__forms_known(db, forms))
		return 0;
	if (saola__http_get_json(h, "/v1/forms", &doc) != SAOLA_OK)
		return fail_db(db, SAOLA_NETWORK, e);
	if (lock)
		pthread_mutex_lock(lock);
	if ((rc = s->ops->write_begin(s, 1)) == SAOLA_OK) {
		rc = s->ops->forms_load_doc(s, doc, &n);
		if (s->ops->end(s, rc == SAOLA_OK) != SAOLA_OK && rc == SAOLA_OK)
			rc = SAOLA_ERROR;
	}
	if (lock)
		pthread_mutex_unlock(lock);
	json_decref(doc);
	if (rc != SAOLA_OK)
		return saola__err_set(e, SAOLA_NETWORK, "upstream: loading its forms: %s",
		                      s->ops->errmsg(s));
	st->forms += n;
	return 0;
}

static int pull(saola__store *s, pthread_mutex_t *lock, saola__http *h, int64_t cursor,
                saola__upstream_stats *st, saola__err *e)
{
	json_t *req, *ans = NULL;
	int rc = 0, more = 1, first = 1;

	while (rc == 0 && more) {
		req = json_pack("{s:i, s:s, s:I, s:i, s:[]}", "protocol", SAOLA__PROTOCOL,
		                "device", s->ops->origin(s), "cursor", (json_int_t)cursor,
		                "pull_limit", PULL_RECORDS, "changes");
		if (!req)
			return saola__err_set(e, SAOLA_NOMEM, "upstream: out of memory");
		rc = post(s, lock, h, req, &ans, e);
		json_decref(req);
		if (rc != 0)
			break;
		cursor = json_integer_value(json_object_get(ans, "cursor"));
		more = json_is_true(json_object_get(ans, "more"));
		if (first && (rc = refresh_forms(s, lock, h, json_object_get(ans, "forms"), st, e)) != 0)
			break;
		first = 0;
		rc = saola__upstream_merge(s, lock, json_object_get(ans, "records"), cursor, e);
		if (rc == 0)
			st->pulled += (long)json_array_size(json_object_get(ans, "records"));
		json_decref(ans);
		ans = NULL;
	}
	return rc;
}

int saola__upstream_sync(saola__store *s, pthread_mutex_t *write_lock, const char *url,
                         const char *token, saola__upstream_stats *st, saola__err *e)
{
	saola *db = engine(s);
	saola__upstream_stats local;
	saola_sync_stats ss;
	saola_sync_opts o;
	saola__http h;
	char *u = NULL, *t = NULL, *cur = NULL, now[21];
	int64_t cursor = 0;
	int rc;

	if (!st)
		st = &local;
	memset(st, 0, sizeof *st);
	memset(&ss, 0, sizeof ss);
	if (!db)
		return saola__err_set(e, SAOLA_ERROR, "upstream: %s", s->ops->errmsg(s));
	if (endpoint(s, write_lock, url, token, &u, &t, e) != 0)
		return -1;
	memset(&o, 0, sizeof o);
	o.server = u;
	o.token = t;
	o.max_attempts = ATTEMPTS;
	if (saola__http_open(&h, db, &o, &ss) != SAOLA_OK) {
		rc = saola__err_set(e, SAOLA_PROTOCOL, "%s", saola_errmsg(db));
		goto out;
	}
	if (s->ops->state_get(s, SAOLA__UP_CURSOR, &cur) == SAOLA_OK && cur)
		cursor = strtoll(cur, NULL, 10);
	rc = push(s, write_lock, &h, cursor, st, e);
	if (rc == 0)
		rc = pull(s, write_lock, &h, cursor, st, e);
	if (rc != 0 && e->rc == SAOLA__E_EPOCH_CHANGED) {
		/* Once: everything goes up again, and the pull starts over. */
		cursor = 0;
		rc = upstream_restored(s, write_lock, e);
		if (rc == 0)
			rc = push(s, write_lock, &h, cursor, st, e);
		if (rc == 0)
			rc = pull(s, write_lock, &h, cursor, st, e);
	}
	if (rc == 0) {
		saola__now(now);
		if (write_lock)
			pthread_mutex_lock(write_lock);
		if (s->ops->write_begin(s, 0) == SAOLA_OK) /* a note; not vital */
			s->ops->end(s, s->ops->state_set(s, SAOLA__UP_LAST_SYNC, now) == SAOLA_OK);
		if (write_lock)
			pthread_mutex_unlock(write_lock);
	}
	saola__http_close(&h);
out:
	st->requests = ss.requests;
	free(u);
	free(t);
	free(cur);
	return rc;
}

/* ------------------------------------------------------------------ */
/* On an interval, while serving                                       */

struct saola__upstream_loop {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;
	saola__store *store;
	pthread_mutex_t *write_lock;
	char *url, *token;
	int interval;
};

static void *loop_main(void *arg)
{
	saola__upstream_loop *l = arg;
	struct timespec until;
	saola__upstream_stats st;
	saola__err e;

	/* The first sync runs whatever happens next, so that a server stopped
	 * at once has still synced once. */
	pthread_mutex_lock(&l->lock);
	do {
		pthread_mutex_unlock(&l->lock);
		if (saola__upstream_sync(l->store, l->write_lock, l->url, l->token, &st, &e) != 0)
			fprintf(stderr, "saola-server: upstream: %s (trying again in %d s)\n", e.message,
			        l->interval);
		else if (st.pushed || st.pulled)
			fprintf(stderr, "saola-server: upstream: %ld records sent, %ld received, %ld"
			        " conflicts logged there\n", st.pushed, st.pulled, st.conflicts);
		/* The URL and token were saved by the first sync. */
		free(l->url);
		free(l->token);
		l->url = l->token = NULL;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += l->interval;
		pthread_mutex_lock(&l->lock);
		while (!l->stop && pthread_cond_timedwait(&l->cond, &l->lock, &until) != ETIMEDOUT)
			;
	} while (!l->stop);
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

saola__upstream_loop *saola__upstream_loop_start(const char *db_path,
                                                 pthread_mutex_t *write_lock,
                                                 const char *url, const char *token,
                                                 int interval, saola__err *e)
{
	saola__upstream_loop *l = calloc(1, sizeof *l);
	pthread_condattr_t ca;
	char *saved = NULL, why[SAOLA__ERR_MAX];
	int rc;

	if (!l) {
		saola__err_set(e, SAOLA_NOMEM, "upstream: out of memory");
		return NULL;
	}
	l->write_lock = write_lock;
	l->interval = interval > 0 ? interval : 300;
	if (url && *url && (!(l->url = strdup(url)) || !(l->token = strdup(token ? token : "")))) {
		saola__err_set(e, SAOLA_NOMEM, "upstream: out of memory");
		goto fail;
	}
	/* The store's open still says why in a buffer (store.h). */
	if ((rc = saola__store_open(db_path, NULL, 0, &l->store, why, sizeof why)) != SAOLA_OK) {
		saola__err_set(e, rc, "%s", why);
		goto fail;
	}
	if (!l->url && (l->store->ops->state_get(l->store, SAOLA__UP_URL, &saved) != SAOLA_OK ||
	                !saved)) {
		saola__err_set(e, SAOLA_INVALID, "upstream: no upstream server saved in %s: give"
		               " --upstream URL --token T", db_path);
		goto fail;
	}
	free(saved);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&l->lock, NULL);
	if (pthread_create(&l->thread, NULL, loop_main, l) != 0) {
		saola__err_set(e, SAOLA_ERROR, "upstream: cannot start a thread");
		pthread_cond_destroy(&l->cond);
		pthread_mutex_destroy(&l->lock);
		goto fail;
	}
	return l;
fail:
	saola__store_close(l->store);
	free(l->url);
	free(l->token);
	free(l);
	return NULL;
}

void saola__upstream_loop_stop(saola__upstream_loop *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->lock);
	l->stop = 1;
	pthread_cond_signal(&l->cond);
	pthread_mutex_unlock(&l->lock);
	pthread_join(l->thread, NULL);
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->lock);
	saola__store_close(l->store);
	free(l->url);
	free(l->token);
	free(l);
}
