/* rolesfx.h: the fixture of test_adversary's roles group (roles.c): one
 * saola-server in process on 127.0.0.1, loaded with the shipped schemas
 * (and so the units of province 37), a user of each role and one more of
 * each with the permission "personal", each with its own device; and the
 * requests the group makes of it. */
#ifndef SAOLA_ROLESFX_H
#define SAOLA_ROLESFX_H

#include <stddef.h>
#include <jansson.h>

#include "servertest.h"
#include "gen.h"
#include "saola/server.h"
#include "auth.h"
#include "store.h"

#define TOK (SAOLA__TOKEN_HEX + 1)
#define COMMUNE "14404"        /* Cúc Phương, in district 372 (Nho Quan) of province 37 */
#define COMMUNE_NEXT "14383"   /* Nho Quan township: district 372 too */
#define DISTRICT_NEXT "373"    /* Gia Viễn, and one of its communes */
#define COMMUNE_373 "14464"
#define COMMUNE_369 "14320"    /* in district 369 (Ninh Bình city) */

enum { SURVEYOR, COMMUNE_OFFICER, DISTRICT, PROVINCE, ADMIN, NROLES };

typedef struct rf_role {
	const char *name, *role, *area;
} rf_role;

/* The user of each role (its name, role and area). */
extern const rf_role rf_roles[NROLES];

typedef struct roles_fixture {
	char dir[512], db[600], url[64];
	saola_server *srv;
	saola__store *st;             /* a second connection: users, bundles */
	saola_gen *gen;
	char token[NROLES][2][TOK];   /* [role][0]: no permission; [1]: "personal" */
	int counter;                  /* the tests' edits' versions, ever higher */
	int batch;
} roles_fixture;

/* The group's fixture, between rf_setup and rf_teardown. */
extern roles_fixture *RF;

/* cmocka's group setup and teardown: the server, its users, their devices
 * each synced once. */
int rf_setup(void **state);
int rf_teardown(void **state);

/* The device of a role's user (perm: the user with "personal"); static
 * storage, one of 4 rotating. */
const char *rf_device_of(int role, int perm);

/* POSTs body as JSON to path with token. */
sv_resp rf_post(const char *path, const char *token, const json_t *body);
/* Pushes changes (taken) as a new batch of role's user and device. */
sv_resp rf_push(int role, json_t *changes);
/* rf_push's status. */
long rf_push_status(int role, json_t *changes);

/* A new household of commune (consistent units, survey year 2025). */
json_t *rf_household(const char *commune, char id[37]);
/* A new array of one change (taken). */
json_t *rf_one(json_t *change);
/* A household of commune that the admin pushes (versions [1, its device]). */
void rf_stored_household(const char *commune, char id[37]);
/* An edit of household id: fields (taken: {path: value}; a null value is
 * a removal) at a new version of the sender, made over the admin's first
 * version (answers) or no version (the review paths). */
json_t *rf_edit(const char *id, json_t *fields);

/* The text column col of record id in the server's database, into buf
 * ("" for NULL or no record). */
const char *rf_column(const char *id, const char *col, char *buf, size_t len);
/* 1 when record id is stored. */
int rf_stored(const char *id);
/* Fails unless column col of record id is want. */
void rf_assert_column(const char *id, const char *col, const char *want);
/* Expects an error answer of status and code whose message is message
 * (NULL: any); frees r. */
void rf_assert_error(sv_resp *r, long status, const char *code, const char *message);

/* A push bundle of changes (taken) from role's device, imported as its
 * user: 200 when it applies, else the refusal's status (e says why). */
long rf_bundle_status(int role, json_t *changes, saola__err *e);
/* A conflict on path of a new household of COMMUNE: two admins' devices
 * edit path over the same base, to lost and then kept (which wins). Its
 * id in the log; the household's id into id. */
long long rf_make_conflict(const char *path, const char *lost, const char *kept, char id[37]);
/* POST /v1/records/ID/review {"action": move, "comment": ...} with token:
 * the status. */
long rf_review_status(const char *token, const char *id, const char *move);

#endif
