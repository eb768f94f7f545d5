/* saola/sync.h: the device's sync client: push the change queue and pull
 * the area's records, over HTTP or by bundle file (docs/protocol.md). */
#ifndef SAOLA_SYNC_H
#define SAOLA_SYNC_H

#include <saola/core.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct saola_sync_opts {
	const char *server;    /* base URL, e.g. "http://127.0.0.1:8080"; NULL:
	                        * the one saved by saola_enrol() */
	const char *token;     /* NULL: the saved one */
	int batch;             /* changes per request; 0: adaptive */
	int timeout_s;         /* per request; 0: 60 */
	int max_attempts;      /* per request before giving up; 0: 8 */
	int progress;          /* 1: a progress line on stderr, when it is a
	                        * terminal */
	const char *ca_file;   /* extra CA for TLS; NULL: the system's */
	int insecure_http;     /* allow http:// to a non-loopback host */
	int protocol;          /* 0: protocol 2 (changes as columns), falling
	                        * back to 1 for the run when the server speaks
	                        * only 1; 1: always 1 */
} saola_sync_opts;

typedef struct saola_sync_stats {
	long requests;         /* HTTP requests made, retries included */
	long retries;
	long long bytes_up;    /* on the wire, HTTP headers included (not TCP/IP
	                        * or TLS overhead) */
	long long bytes_down;
	long records_up;       /* changes sent */
	long records_down;     /* records received and merged */
	long conflicts;        /* concurrent values that lost, as the server said */
	long batches_ahead;    /* batches whose changes were encoded while the
	                        * request before them was in flight */
	double seconds;
	int reorigined;        /* 1: the server found this database a copy of
	                        * another device's, and it took an origin of its
	                        * own (every queued change kept) */
	int unconfirmed;       /* 1: a pull bundle not signed for this device's
	                        * token: its records were merged, but no queued
	                        * change was dropped */
	long resent;           /* records queued again because the server's
	                        * database was restored from a backup (its
	                        * epoch changed: docs/protocol.md, "Epoch") */
	char note[384];        /* what the caller should tell the user (any of
	                        * the above), or "" */
} saola_sync_stats;

/* Enrols the device: checks the URL (plain http:// only to the loopback
 * unless opts->insecure_http), saves server and token in the sync state
 * (with opts->ca_file and insecure_http, for later syncs; saved even when
 * the server cannot be reached, so that a device enrolled offline syncs
 * later), checks GET /healthz and loads every form and standard of
 * GET /v1/forms in one transaction. A database enrolled before with
 * another server or token takes an origin of its own (a device id belongs
 * to one enrolment; every queued change is kept); the same server and
 * token keep it. opts may be NULL. Returns SAOLA_OK,
 * SAOLA_INVALID (a bad URL), SAOLA_NETWORK (no answer after
 * opts->max_attempts, 3 by default), SAOLA_AUTH (token refused),
 * SAOLA_PROTOCOL; saola_errmsg() says what and why. */
int saola_enrol(saola *db, const char *server, const char *token,
                const saola_sync_opts *opts);

/* Pushes every queued change and pulls every record of the user's area
 * not yet seen (docs/protocol.md, "The client's loop"): batches of 250
 * changes doubling to 4000 on a fast link, each batch's id saved before it
 * is sent so that a resend after a cut or a crash carries the same id;
 * retries after a network error, timeout, 429 or 5xx with exponential
 * backoff and jitter (from 1 s, or $SAOLA_SYNC_BACKOFF_MS milliseconds,
 * up to 60 times that); received records merged a page at a time, with the
 * cursor, the dropping of the batch that answer confirms (no counter drops
 * a queued change) and the lineage accepted, in one transaction. A page
 * too big for the device halves pull_limit (down to 1). A 409
 * device_copied (this database is a copy of another device's) gives it an
 * origin of its own and syncs again, once per run (stats->reorigined,
 * stats->note). Saves
 * "last_sync", "last_conflicts" (values of this device's changes or of
 * others' that lost on the server) and "last_conflicted" (the records they
 * were in) in the sync state. opts and stats may
 * be NULL; stats gets the figures even on failure. Returns SAOLA_OK;
 * SAOLA_AUTH (401, 403), SAOLA_LIMIT (a record too big for the device even
 * one a page), SAOLA_CONFLICT (409), SAOLA_PROTOCOL (400, a bad answer):
 * stopped at once with the server's message; SAOLA_NETWORK: gave
 * up after opts->max_attempts (the next call resumes); SAOLA_MISUSE: not
 * enrolled, or a transaction is open. */
int saola_sync(saola *db, const saola_sync_opts *opts, saola_sync_stats *stats);

/* Writes every queued change to a push bundle at path (written whole or
 * not at all). The changes stay queued until the server confirms them (a
 * sync's answer to their batch, or a signed pull bundle listing this
 * bundle's batch id); written again with the queue
 * unchanged, the bundle carries the same batch id, so that the server
 * applies it once. stats (may be NULL) gets records_up and bytes_up. */
int saola_sync_to_file(saola *db, const char *path, saola_sync_stats *stats);

/* Applies a pull bundle written by the server for this device's user: its
 * records merged, its cursor kept if higher than the saved one, and, only
 * when its HMAC verifies under this device's token and its "confirmed"
 * lists this device's saved push-bundle batch under its own origin, that
 * batch's queued changes dropped, all in one transaction. An unsigned
 * bundle drops nothing (stats->unconfirmed, stats->note). A damaged or
 * truncated bundle, or a push bundle, is refused whole (SAOLA_INVALID). */
int saola_sync_from_file(saola *db, const char *path, saola_sync_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
