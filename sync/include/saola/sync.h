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
	int progress;          /* 1: a progress line on stderr */
	const char *ca_file;   /* extra CA for TLS; NULL: the system's */
	int insecure_http;     /* allow http:// to a non-loopback host */
} saola_sync_opts;

typedef struct saola_sync_stats {
	long requests;         /* HTTP requests made, retries included */
	long retries;
	long long bytes_up;    /* on the wire, headers included */
	long long bytes_down;
	long records_up;       /* changes sent */
	long records_down;     /* records received and merged */
	long conflicts;        /* concurrent values that lost, as the server said */
	double seconds;
} saola_sync_stats;

/* Saves the server and token in the database and fetches the forms and
 * standards from the server (GET /v1/forms). */
int saola_enrol(saola *db, const char *server, const char *token,
                const saola_sync_opts *opts);

/* Pushes every queued change and pulls every record of the user's area
 * not yet seen, resuming where a cut left off, retrying with backoff.
 * stats (may be NULL) gets the figures. */
int saola_sync(saola *db, const saola_sync_opts *opts, saola_sync_stats *stats);

/* Writes every queued change to a push bundle at path (the changes stay
 * queued until the server confirms them). */
int saola_sync_to_file(saola *db, const char *path, saola_sync_stats *stats);

/* Applies a pull bundle written by the server for this device's user. */
int saola_sync_from_file(saola *db, const char *path, saola_sync_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
