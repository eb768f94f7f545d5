/* sync_handler.h: one sync request (docs/protocol.md, POST /v1/sync) run
 * against a store, whatever carried it (HTTP or a bundle file). */
#ifndef SAOLA_SYNC_HANDLER_H
#define SAOLA_SYNC_HANDLER_H

#include <pthread.h>
#include <jansson.h>

#include "server_int.h"
#include "store.h"

typedef struct saola__sync_env {
	saola__store *store;
	pthread_mutex_t *write_lock;  /* serialises this process's writers, so
	                               * that they queue here rather than spin on
	                               * SQLite's busy handler; NULL: none */
	size_t max_values;            /* the most values a request's changes in
	                               * columns (protocol 2) may make; 0: the
	                               * default limit of a body */
	int sync_protocol;            /* the newest spoken: 1 or 2 (0: 2) */
	struct saola__pool *pool;     /* where an idle connection may help
	                               * prepare a batch (NULL: none) */
} saola__sync_env;

/* Runs the sync request req for user u: applies its changes in one
 * transaction, all or nothing (a batch seen before from the same user is
 * not applied again), then answers the pull part, unless push_only. On
 * success returns 0 and *out is the response object (a new reference); on
 * failure returns -1 and e has the status, code and message, and nothing
 * was applied. A request that pulls (pull_limit above 0, not push_only)
 * from a role above the commune without the permission "personal" is
 * refused so, with 403 (privacy.h). */
int saola__sync_run(const saola__sync_env *env, const saola__user *u, json_t *req,
                    int push_only, json_t **out, saola__err *e);

/* As saola__sync_run, push only, for a push bundle imported from a file:
 * the audit log says "bundle" rather than "sync" of its changes. */
int saola__sync_run_bundle(const saola__sync_env *env, const saola__user *u, json_t *req,
                           json_t **out, saola__err *e);

#endif
