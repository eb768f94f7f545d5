/* users.h: managing the server's users: add (with a new token), revoke,
 * list. */
#ifndef SAOLA_USERS_H
#define SAOLA_USERS_H

#include <jansson.h>

#include "auth.h"

/* Adds a user of role in area (NULL or "" allowed for an admin only) and
 * writes its new token to token; the store keeps only its hash. 0, or -1
 * with e saying why (a bad name, role or area; a name taken). */
int saola__user_create(saola__store *s, const char *name, const char *role,
                       const char *area, char token[SAOLA__TOKEN_HEX + 1], saola__err *e);

/* Revokes a user's token; *already is set when it was revoked before. */
int saola__user_revoke_name(saola__store *s, const char *name, int *already, saola__err *e);

/* Every user: a new array of {"name","role","area","created","revoked",
 * "last_sync","devices","permissions" (words, space-separated)}. */
int saola__user_list_all(saola__store *s, json_t **out, saola__err *e);

#endif
