/* bundle.h: sync by file: importing a device's push bundle, exporting a
 * user's pull bundle (docs/protocol.md, "Bundles"). */
#ifndef SAOLA_BUNDLE_H
#define SAOLA_BUNDLE_H

#include <stddef.h>
#include <jansson.h>

#include "server_int.h"
#include "store.h"

/* Applies the push bundle at path exactly as a POST of its payload by user
 * user_name (NULL: the user its device last synced as; an error when the
 * device is unknown), exactly once (its batch id), all or nothing. limit
 * bounds the decompressed payload. On success *summary is the sync answer
 * (its "duplicate", "accepted", "applied", "conflicts"). 0 or -1 with e. */
int saola__bundle_import(saola__store *s, const char *path, const char *user_name,
                         size_t limit, json_t **summary, saola__err *e);

/* Writes to path a pull bundle for user_name: every record of the user's
 * area (cursor 0, all pages in one payload), "acked" the highest of the
 * user's devices and "acked_by_device" each one's, and the current forms. *count gets the number of
 * records. 0 or -1 with e (403 for a role above the commune without the
 * permission "personal", as a sync's pull: privacy.h). */
int saola__bundle_export(saola__store *s, const char *path, const char *user_name,
                         size_t *count, saola__err *e);

#endif
