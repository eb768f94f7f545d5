/* users.h: managing the server's users: add (with a new token and its
 * expiry), renew, expire, revoke, list. */
#ifndef SAOLA_USERS_H
#define SAOLA_USERS_H

#include <time.h>
#include <jansson.h>

#include "auth.h"

#define SAOLA__EXPIRY_DAYS_DEFAULT 365   /* user add and renew without --expires */
#define SAOLA__EXPIRY_DAYS_MAX     3650  /* --days; longer: --expires never */

/* Adds a user of role in area (NULL or "" allowed for an admin only) and
 * writes its new token to token; the store keeps only its hash. The token
 * is refused from expires on (a time as saola__expiry_parse() gives; NULL
 * or "": never). 0, or -1 with e saying why (a bad name, role, area or
 * expiry; a name taken). */
int saola__user_create_until(saola__store *s, const char *name, const char *role,
                             const char *area, const char *expires,
                             char token[SAOLA__TOKEN_HEX + 1], saola__err *e);

/* saola__user_create_until() with a token that never expires. */
int saola__user_create(saola__store *s, const char *name, const char *role,
                       const char *area, char token[SAOLA__TOKEN_HEX + 1], saola__err *e);

/* The expiry of the options --expires ARG and --days N (at most one given;
 * neither: SAOLA__EXPIRY_DAYS_DEFAULT days) as of now, into out:
 * "YYYY-MM-DDTHH:MM:SSZ", or "" for "--expires never". ARG is a date
 * YYYY-MM-DD (the token is refused from 00:00:00 UTC that day) or a time
 * YYYY-MM-DDTHH:MM:SSZ. 0, or -1 with e (400 bad_request) when a value is
 * malformed, in the past, or both are given. */
int saola__expiry_parse(const char *expires, const char *days, time_t now, char out[21],
                        saola__err *e);

/* Sets the expiry of user name's token to expires (as above; "": never),
 * bringing back an expired one. 0, or -1 with e: 404 for no such user,
 * 409 when the user is revoked (revocation is for good). */
int saola__user_renew_name(saola__store *s, const char *name, const char *expires,
                           saola__err *e);

/* Ends user name's token now: its expiry becomes now, unless it is earlier
 * already (then *already is set). at gets the expiry in force. Unlike a
 * revoked token, an expired one can be renewed. 0, or -1 with e (404). */
int saola__user_expire_name(saola__store *s, const char *name, char at[21], int *already,
                            saola__err *e);

/* Gives user name a new token (into token; the old one is refused from
 * the commit on), keeping its expiry, devices and permissions. 0, or -1
 * with e: 404 for no such user, 409 when the user is revoked. */
int saola__user_rotate_name(saola__store *s, const char *name,
                            char token[SAOLA__TOKEN_HEX + 1], saola__err *e);

/* Revokes a user's token; *already is set when it was revoked before. */
int saola__user_revoke_name(saola__store *s, const char *name, int *already, saola__err *e);

/* Every user: a new array of {"name","role","area","created","revoked",
 * "expires","last_sync","devices","permissions" (words, space-separated)}
 * ("revoked", "expires" and "last_sync" left out when null). */
int saola__user_list_all(saola__store *s, json_t **out, saola__err *e);

#endif
