/* bundle.h: sync by file: importing a device's push bundle, exporting a
 * user's pull bundle (docs/protocol.md, "Bundles"). */
#ifndef SAOLA_BUNDLE_H
#define SAOLA_BUNDLE_H

#include <stddef.h>
#include <jansson.h>

#include "server_int.h"
#include "store.h"

/* Who a bundle was imported as when no user was named. */
typedef struct saola__bundle_as {
	int by_owner;                       /* the device's owner was taken */
	char user[SAOLA__NAME_MAX + 1];
	char device[SAOLA__DEVICE_MAX + 1];
} saola__bundle_as;

/* Applies the push bundle at path exactly as a POST of its payload by user
 * user_name, exactly once (its batch id), all or nothing. The bundle's
 * device must be owned by that user, or unknown here (it is then bound to
 * that user); 403 otherwise. Without user_name the device's owner is used
 * (*as, when not NULL, names it); an unknown device is then an error (404).
 * limit bounds the decompressed payload. On success *summary is the sync
 * answer (its "duplicate", "accepted", "applied", "conflicts"). 0 or -1
 * with e. */
int saola__bundle_import_as(saola__store *s, const char *path, const char *user_name,
                            size_t limit, json_t **summary, saola__bundle_as *as,
                            saola__err *e);
/* The same, without telling who. */
int saola__bundle_import(saola__store *s, const char *path, const char *user_name,
                         size_t limit, json_t **summary, saola__err *e);

/* Writes to path a pull bundle for user_name: every record of the user's
 * area (cursor 0, all pages in one payload), "confirmed" (per device the
 * user owns, the ids of the batches it brought by bundle, newest first, at
 * most SAOLA__CONFIRMED_MAX), and the current forms; its header's sixth
 * field is the HMAC-SHA-256 of its gzip bytes keyed with the user's stored
 * token hash (docs/protocol.md, "Bundles"). *count gets the number of
 * records. 0 or -1 with e (403 for a role above the commune without the
 * permission "personal", as a sync's pull: privacy.h). */
int saola__bundle_export(saola__store *s, const char *path, const char *user_name,
                         size_t *count, saola__err *e);

#endif
