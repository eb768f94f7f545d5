/* epoch.h: a server database's epoch (docs/protocol.md, "Epoch"): a random
 * token made with the database and made again by a restore. Every sync
 * answer carries it; a device that sees it change knows the server may
 * have lost what it sent since the backup, and sends it again. */
#ifndef SAOLA_EPOCH_H
#define SAOLA_EPOCH_H

#include "server_int.h"
#include "store.h"

#define SAOLA__EPOCH_KEY "epoch"   /* its key in the server's state */
#define SAOLA__EPOCH_LEN 32        /* lowercase hex digits */

/* The epoch of s into out, made (and stored) when s has none yet; inside
 * the caller's write transaction, or a read one when s has one. 0, or -1
 * with e. */
int saola__epoch_get(saola__store *s, char out[SAOLA__EPOCH_LEN + 1], saola__err *e);

/* A database restored from a backup: a new epoch; the clock moved 2^31
 * ahead (the server's own edits after the backup, lost here, may come
 * back from devices: no new edit may take one of their versions); every
 * device's lineage forgotten (each device's next request sets it again:
 * the devices went on syncing after the backup, so the lineage it holds
 * is older than theirs). Inside the caller's write transaction. 0, or -1
 * with e. */
int saola__epoch_restored(saola__store *s, saola__err *e);

#endif
