/* merge.h: merging a change or a state from another replica into a stored
 * record, field by field, by version. The same code runs on every replica. */
#ifndef SAOLA_MERGE_H
#define SAOLA_MERGE_H

#include <jansson.h>

#include "saola_shared.h"

struct saola;

/* saola__loser, a value that lost to another by version, and the merge in
 * memory that this one wraps are in saola_shared.h. */

/* saola__loser_fn and saola__remote, what another replica says of a
 * record, are in saola_shared.h (the server and sync decode changes into
 * them). */

/* Merges r into the stored record (creating it when missing): reads the
 * row, merges with saola__merge_states (saola_shared.h: each path keeps the
 * value with the higher version; a tombstone on either side deletes the
 * record, its data kept and merged too; the result validated and its
 * computed fields recomputed with the form), calls fn for each loser (when
 * r->base is given; non-zero stops the merge and is returned) and writes
 * the row. Nothing is queued in the outbox. *changed
 * (may be NULL) says whether the stored record changed. Runs in its own
 * savepoint. */
int saola__apply_remote(struct saola *db, const saola__remote *r,
                        saola__loser_fn fn, void *ctx, int *changed);

/* A record's stored state as a remote would send it: a new object
 * {"form","form_version","values":{flat},"versions":{...},"deleted":bool},
 * the flat values with the review paths ("_state", "_comment") beside the
 * answers.
 * SAOLA_NOTFOUND when there is no such record. */
int saola__record_state(struct saola *db, const char *record_id, json_t **out);

#endif
