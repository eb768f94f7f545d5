/* permissions.h: what a user may do beyond their role and area: words kept
 * in users.permissions, space-separated. One so far: "personal", the
 * personal fields of records for a role above the commune (privacy.h). */
#ifndef SAOLA_PERMISSIONS_H
#define SAOLA_PERMISSIONS_H

#include <stddef.h>

#include "server_int.h"
#include "store.h"

#define SAOLA__PERM_PERSONAL 0x1u
#define SAOLA__PERMS_TEXT_MAX 64  /* every word, space-separated, and a NUL */

/* Parses permission words separated by spaces or commas (NULL or "" is
 * none) into *bits. 0; or -1 with e (400 bad_request) when a word is not a
 * permission: "permission \"x\": unknown (known: personal)"; *bits is 0
 * then. */
int saola__perms_parse(const char *words, unsigned *bits, saola__err *e);

/* The bits of the words that this build knows, the others ignored: for
 * what the store keeps (a newer build may have written more). */
unsigned saola__perms_read(const char *words);

/* The words of bits, space-separated, into buf ("" for none). */
void saola__perms_text(unsigned bits, char *buf, size_t len);

/* 1 when u holds every permission of bits. */
int saola__user_may(const saola__user *u, unsigned bits);

/* Grants (grant non-zero) or withdraws the permissions that words names
 * (saola__perms_parse) of user name, in one write transaction. *now (may
 * be NULL) gets the user's permissions after. 0; or -1 with e: 400 (an
 * unknown word, or none), 404 (no such user), 500 (the store). */
int saola__user_permit(saola__store *s, const char *name, const char *words, int grant,
                       unsigned *now, saola__err *e);

#endif
