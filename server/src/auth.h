/* auth.h: tokens (random, stored as SHA-256 hashes), authenticating a
 * request's bearer token, roles, and the area rule: who may read and write
 * which records. */
#ifndef SAOLA_AUTH_H
#define SAOLA_AUTH_H

#include <stddef.h>

#include "server_int.h"
#include "store.h"

#define SAOLA__TOKEN_HEX 64  /* 32 random bytes as hex */

/* A new token from the OS's random source into token (65 bytes). */
int saola__token_new(char token[SAOLA__TOKEN_HEX + 1]);

/* The hash that the store keeps of a token. */
void saola__token_hash(const char *token, size_t len, unsigned char out[SAOLA__SHA256_LEN]);

/* Finds the user of an "Authorization: Bearer <token>" header value (may
 * be NULL). 0 with *u filled, or -1 with e set: 401 unauthorized for no,
 * a malformed, an unknown, a revoked or an expired token (the messages
 * name the user of the last two), 500 when the store fails. */
int saola__authenticate(saola__store *s, const char *header, saola__user *u, saola__err *e);

/* 1 when role is one of surveyor, commune, district, province, admin. */
int saola__role_valid(const char *role);
/* 1 when area is a unit code: 2 (province), 3 (district) or 5 (commune)
 * digits. */
int saola__area_valid(const char *area);

/* 1 when a record in units lies inside the user's area (an admin's area is
 * everything). */
int saola__area_contains(const saola__user *u, const saola__units *units);

/* The area a user pulls from: NULL (everything) for an admin. */
const char *saola__user_area(const saola__user *u);

/* Says why units lie outside u's area, into buf:
 * "commune 14383 is outside your area 14404". */
void saola__area_explain(const saola__user *u, const saola__units *units, char *buf,
                         size_t len);

#endif
