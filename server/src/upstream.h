/* upstream.h: tiers: a district server syncing up to its province (central)
 * server with the same protocol as a device, acting as its client: the
 * records changed here since the last exchange go up as changes with the
 * versions last exchanged as their base (so that the province logs
 * concurrent edits between districts), and what changed there comes down
 * and is merged; by HTTP, by bundle files, or on an interval while
 * serving. */
#ifndef SAOLA_UPSTREAM_H
#define SAOLA_UPSTREAM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "server_int.h"
#include "store.h"

/* Keys of the district database's sync state (saola_state_get/set). */
#define SAOLA__UP_URL       "upstream_url"
#define SAOLA__UP_TOKEN     "upstream_token"
#define SAOLA__UP_CURSOR    "upstream_cursor"
#define SAOLA__UP_LAST_SYNC "upstream_last_sync"
/* The lineage of this district as the upstream's device (docs/protocol.md,
 * "Devices and lineage"): the token the upstream last accepted, and the one
 * proposed, saved before the request that carries it is sent. */
#define SAOLA__UP_LINEAGE      "upstream_lineage"
#define SAOLA__UP_LINEAGE_NEXT "upstream_lineage_next"
/* The epoch of the upstream's database last seen (docs/protocol.md,
 * "Epoch"): sent with every request; a 409 epoch_changed (the upstream was
 * restored from a backup) makes every record go up again and the pull
 * start from 0. */
#define SAOLA__UP_EPOCH        "upstream_epoch"

typedef struct saola__upstream_stats {
	long pushed;        /* records sent up */
	long pulled;        /* records received and merged here */
	long conflicts;     /* values the upstream server logged as lost */
	long requests;      /* HTTP requests, retries included */
	long forms;         /* forms loaded from the upstream (newer there) */
} saola__upstream_stats;

/* Syncs the district database behind store s once with its upstream
 * server: pushes every record changed here since it was last exchanged,
 * then pulls every record of the district's area changed there. url and
 * token (both or neither; NULL: the ones saved) are saved in the database
 * when given. write_lock (may be NULL) is held while writing, so that the
 * server's own writers wait. st (may be NULL) gets the figures. 0, or -1
 * with e (its status: 0 for no answer from the server; else the HTTP
 * status or 500). */
int saola__upstream_sync(saola__store *s, pthread_mutex_t *write_lock, const char *url,
                         const char *token, saola__upstream_stats *st, saola__err *e);

/* Writes the push as a push bundle at path, for the upstream server to
 * import (saola-server bundle import --user <the district's user>): every
 * record changed here since it was last exchanged. Nothing is marked as
 * exchanged: the pull bundle that comes back does that. */
int saola__upstream_to_file(saola__store *s, const char *path, saola__upstream_stats *st,
                            saola__err *e);

/* Merges a pull bundle the upstream server exported for the district's
 * user (saola-server bundle export): its records, and its cursor when
 * higher than the saved one. */
int saola__upstream_from_file(saola__store *s, pthread_mutex_t *write_lock, const char *path,
                              saola__upstream_stats *st, saola__err *e);

/* A background thread that syncs with upstream every interval seconds
 * (the first time at once) while the server runs. */
typedef struct saola__upstream_loop saola__upstream_loop;

/* Starts it on its own connection to db_path; url and token as for
 * saola__upstream_sync ("" or NULL url: the saved ones). NULL, with e,
 * when it cannot start: SAOLA_INVALID when no upstream is saved, the
 * store's code when the database does not open, SAOLA_NOMEM. */
saola__upstream_loop *saola__upstream_loop_start(const char *db_path,
                                                 pthread_mutex_t *write_lock,
                                                 const char *url, const char *token,
                                                 int interval, saola__err *e);

/* Asks the thread to stop, waits for the sync in progress (if any) to end
 * and the thread to finish, and frees l. NULL is a no-op. */
void saola__upstream_loop_stop(saola__upstream_loop *l);

/* The saola-server command `sync` (argv from after its name). */
int saola__cmd_sync(int argc, char **argv);

/* ------------------------------------------------------------------ */
/* Shared by upstream*.c                                               */

/* The push: the wire changes of the records changed since their last
 * exchange, at most limit (0: all), in a new array (*changes); *done
 * (may be NULL) gets, per record, [id, seq, expanded versions] to mark
 * exchanged once the upstream holds them. Inside a read snapshot. */
int saola__upstream_changes(saola__store *s, long limit, json_t **changes, json_t **done,
                            saola__err *e);

/* A push request {"protocol","batch","device","cursor","pull_limit",
 * "changes"}: the batch id is made from the content, so that the same
 * changes sent again (a resend, a bundle written twice) carry the same id
 * and are applied once. New reference. */
json_t *saola__upstream_request(saola__store *s, json_t *changes, int64_t cursor,
                                int pull_limit);

/* Marks the records of done as exchanged. Inside a write transaction. */
int saola__upstream_mark(saola__store *s, json_t *done, saola__err *e);

/* Merges records received from upstream (wire records) and keeps their
 * exchange state; cursor (> 0) is saved with them. Takes write_lock and
 * a write transaction. */
int saola__upstream_merge(saola__store *s, pthread_mutex_t *write_lock, json_t *records,
                          int64_t cursor, saola__err *e);

#endif
