/* client_int.h: the internals of the sync client shared between its files:
 * the HTTP transport, streaming compression and the sync state keys. */
#ifndef SAOLA_CLIENT_INT_H
#define SAOLA_CLIENT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>
#include <lzma.h>
#include <curl/curl.h>

#include "saola/sync.h"
#include "saola_int.h"
#include "wire_cols.h"

/* Keys of the sync state (saola_state_get/set). */
#define SAOLA__K_SERVER      "server"
#define SAOLA__K_TOKEN       "token"
#define SAOLA__K_CA_FILE     "ca_file"
#define SAOLA__K_INSECURE    "insecure_http"
#define SAOLA__K_CURSOR      "cursor"
#define SAOLA__K_BATCH       "batch"        /* "<uuid> <last seq>": in flight */
#define SAOLA__K_BUNDLE      "bundle_batch" /* "<uuid> <first> <last> <count>" */
#define SAOLA__K_LAST_SYNC   "last_sync"
#define SAOLA__K_CONFLICTS   "last_conflicts"
#define SAOLA__K_CONFLICTED  "last_conflicted" /* records with conflicts */
#define SAOLA__K_LINEAGE     "lineage"      /* the token the server last accepted */
#define SAOLA__K_LINEAGE_NEXT "lineage_next" /* the token proposed: saved before
                                              * sending, reused for resends */
#define SAOLA__K_EPOCH       "epoch"        /* the server database's epoch last seen */
#define SAOLA__K_REORIGINED  "reorigined"   /* "OLD NEW when": the last re-origin */

/* Most a response body may take, compressed or not (a bomb costs at most
 * this much memory). Tests lower it with $SAOLA_SYNC_BODY_LIMIT (bytes). */
#define SAOLA__BODY_LIMIT ((size_t)64 << 20)

/* The most values a page of records in columns may make (protocol 2): a
 * household makes about 100, and a page asks for at most 2000 records. */
#define SAOLA__COLS_MAX_VALUES ((size_t)2000000)

/* ------------------------------------------------------------------ */
/* Streaming gzip into a growing buffer.                               */

typedef struct saola__zbuf {
	z_stream z;          /* z.total_out: the bytes written, also for xz */
	lzma_stream x;
	int xz;              /* 1: xz (saola__zbuf_init_xz), not gzip */
	int ready;
	unsigned char *out;  /* malloc()ed; owned until taken */
	size_t cap;
	uLong crc;           /* CRC-32 of the compressed bytes, for bundles */
} saola__zbuf;

int saola__zbuf_init(saola__zbuf *zb);
/* The same in xz (protocol 2), at preset 0-9 with a dictionary of
 * SAOLA__XZ_DICT (the encoder takes about 2 MiB at preset 3 or 6). */
int saola__zbuf_init_xz(saola__zbuf *zb, uint32_t preset);
/* Compresses n more bytes; SAOLA_NOMEM when the buffer cannot grow. */
int saola__zbuf_write(saola__zbuf *zb, const void *p, size_t n);
int saola__zbuf_puts(saola__zbuf *zb, const char *s);
/* Ends the stream: the compressed bytes are zb->out[0 .. zb->z.total_out). */
int saola__zbuf_finish(saola__zbuf *zb);
void saola__zbuf_free(saola__zbuf *zb);

/* ------------------------------------------------------------------ */
/* The HTTP transport                                                  */

typedef struct saola__http {
	saola *db;
	CURL *curl;
	char *base;             /* server URL without a trailing '/' */
	char *token;
	char *ca_file;
	long timeout_s;
	int max_attempts;
	long backoff_ms;        /* the first retry's delay: 1000, or
	                         * $SAOLA_SYNC_BACKOFF_MS for tests */
	size_t body_limit;      /* SAOLA__BODY_LIMIT, or $SAOLA_SYNC_BODY_LIMIT
	                         * for tests */
	int accept_xz;          /* 1: answers may come in xz (protocol 2) */
	/* Work to do while a request is in flight, a little at a time:
	 * called between curl's turns until it returns 0 (NULL: none). */
	int (*idle)(void *ctx);
	void *idle_ctx;
	CURLM *multi;           /* made at the first request with idle work */
	saola_sync_stats *stats;
	char curl_err[CURL_ERROR_SIZE];
} saola__http;

/* One response: the status and the body, decompressed. */
typedef struct saola__resp {
	long status;             /* 0: no response (a network failure) */
	int timed_out;
	int fatal;               /* a failure that trying again cannot mend (a
	                          * certificate refused, a malformed URL) */
	int gzip;                /* Content-Encoding: gzip or deflate */
	long retry_after;        /* seconds, from Retry-After; 0 when absent */
	unsigned char *body;     /* NUL-terminated; free() */
	size_t len;
	int too_big;
	char why[256];           /* a network failure: what curl said */
} saola__resp;

/* Opens the transport for the server and token in opts, else the ones saved
 * in the database. Refuses http:// to a host other than the loopback unless
 * opts->insecure_http (or it was allowed at enrolment). Errors are set on db. */
int saola__http_open(saola__http *h, saola *db, const saola_sync_opts *opts,
                     saola_sync_stats *stats);
void saola__http_close(saola__http *h);

/* One attempt: method "GET" or "POST" to base + path, with body (already
 * compressed when gzipped: gzip, or xz when it begins as xz does).
 * Returns SAOLA_OK when a response came (whatever its status),
 * SAOLA_NETWORK when none did (r->why says why), SAOLA_LIMIT for a body
 * over h->body_limit, SAOLA_NOMEM. Counts the request and its bytes in
 * h->stats. Free r with saola__resp_free(). */
int saola__http_once(saola__http *h, const char *method, const char *path,
                     const void *body, size_t len, int gzipped, saola__resp *r);
void saola__resp_free(saola__resp *r);

/* 1 when the response may succeed if tried again: no response, 429, 5xx. */
int saola__resp_retryable(const saola__resp *r);

/* Sets on db an error for a response that is not a success: "what: url:
 * why" when none came, else the status and the server's
 * {"error":{"code","message"}}. Returns the saola code:
 * SAOLA_AUTH for 401/403, SAOLA_LIMIT for 413, SAOLA_CONFLICT for 409,
 * SAOLA_NETWORK when there was no response, else SAOLA_PROTOCOL. */
int saola__resp_error(saola *db, const char *what, const char *url,
                      const saola__resp *r);

/* Waits before retry number attempt (1, 2, ...): backoff_ms * 2^(attempt-1),
 * at most 60 times backoff_ms, times a random 0.5-1.5; at least
 * retry_after seconds when the server asked for that. */
void saola__backoff(const saola__http *h, int attempt, long retry_after);

/* GET path with retries; a 200 response's body parsed as JSON (*out, a new
 * reference). Errors are set on db. */
int saola__http_get_json(saola__http *h, const char *path, json_t **out);

/* ------------------------------------------------------------------ */
/* Shared steps                                                        */

/* Fetches GET /v1/forms and loads every standard and form in it, in one
 * transaction. *count (may be NULL) gets the number of forms. */
int saola__fetch_forms(saola__http *h, int *count);

/* Loads the standards, then the forms, of a GET /v1/forms answer doc into
 * db, inside the caller's transaction. *count (may be NULL) gets the
 * number of forms. */
int saola__forms_load_doc(saola *db, const json_t *doc, int *count);

/* 1 when every form version that forms ({"id": "version"}) names is stored
 * on the device, else 0. */
int saola__forms_known(saola *db, const json_t *forms);

/* Merges one record received (a wire record, a full state: no sender, no
 * loser reported) into the store; i and what name it in errors. */
int saola__merge_record(saola *db, const json_t *rec, size_t i, const char *what);

/* ------------------------------------------------------------------ */
/* Answers read a record at a time (client_answer.c)                   */

typedef struct saola__span {
	size_t off, len;
} saola__span;

typedef struct saola__answer {
	const char *text;      /* borrowed: the answer's text */
	json_t *head;          /* every member but "records" (a new object) */
	int has_records;
	saola__span *spans;    /* where each record's text is */
	size_t count, cap;
	saola__span cols;      /* protocol 2: where the records in columns are
	                        * (each record is made when it is merged) */
	int in_columns;
} saola__answer;

/* Scans a sync answer or pull payload of n bytes: a JSON object whose
 * "records" are left as text spans (in protocol 2, columns: parsed, and
 * count is their number of records). SAOLA_PROTOCOL (err says where) when it
 * is not one, SAOLA_NOMEM. Free with saola__answer_free(). */
int saola__answer_scan(const char *text, size_t n, saola__answer *a, char *err,
                       size_t errlen);
void saola__answer_free(saola__answer *a);

/* Parses and merges the answer's records one at a time, inside the
 * caller's transaction (records in columns: a->count is set then). */
int saola__answer_merge(saola *db, saola__answer *a, const char *what);

/* The saved in-flight batch: id[37] ("" when none) and its last seq. */
int saola__batch_get(saola *db, char id[37], int64_t *last_seq);

/* Reads an integer state value (0 when unset). */
int saola__state_int(saola *db, const char *key, int64_t *out);
int saola__state_set_int(saola *db, const char *key, int64_t v);

/* Writes the changes with seq above after and up to upto (0: all), at
 * most max of them (0: all), as wire changes, comma separated, into zb, a
 * chunk at a time; or, when cols is not NULL, adds each to cols as a row
 * (protocol 2) and writes nothing to zb. *n gets how many; *first_seq and
 * *last_seq (may be NULL) the seqs seen. */
int saola__encode_changes(saola *db, saola__zbuf *zb, saola__cols *cols, int64_t after,
                          int64_t upto, long max, long *n, int64_t *first_seq,
                          int64_t *last_seq);

/* zb as the sink of saola__cols_write: saola__zbuf_write. */
int saola__zbuf_sink(void *zb, const char *text, size_t len);

/* ------------------------------------------------------------------ */
/* The next batch, encoded while the request before it is in flight     */

/* A batch of protocol 2 encoded a few changes at a time between curl's
 * turns while the request before it is in flight (client_ahead.c): its
 * changes as the text of their columns. The request around them (its
 * batch id, cursor, lineage) and xz follow once that answer is in. */
typedef struct saola__ahead {
	saola__cols *cols;      /* being filled; NULL once done */
	int64_t after, upto;    /* its changes: seq in (after, upto] */
	int64_t at;             /* encoded up to this seq */
	long want, n;           /* the changes in that range, and encoded */
	int ready;              /* text holds the columns of all of them */
	int stopped;            /* a step failed: nothing more is done */
	saola__text text;
} saola__ahead;

/* Sets a to encode the want changes of the outbox in (after, upto]. */
void saola__ahead_start(saola__ahead *a, int64_t after, int64_t upto, long want);
/* Encodes a few more of a's changes from db; 1 while some remain. A
 * failure stops a (not ready), leaving db's error as it was. */
int saola__ahead_step(saola *db, saola__ahead *a);
/* Forgets a's batch. */
void saola__ahead_drop(saola__ahead *a);

#endif
