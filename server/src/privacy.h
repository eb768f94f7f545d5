/* privacy.h: personal fields (marked "personal": true in a form: names,
 * phone numbers) in what leaves the server for people. Surveyors and
 * commune officers see them within their area; for roles above the commune
 * (district, province, admin) exports and views leave them out unless the
 * request asks for them (?personal=1) and the user holds the permission
 * "personal"; a replica of such a user (a sync's pull, a pull bundle) holds
 * whole records, so it needs the permission. docs/security.md, "Personal
 * fields". */
#ifndef SAOLA_PRIVACY_H
#define SAOLA_PRIVACY_H

#include "server_int.h"
#include "store.h"

struct saola;

/* 1 when role is above the commune: district, province or admin. */
int saola__role_above_commune(const char *role);

/* Whether an answer to u shows personal fields, given the request's
 * "personal" argument asked (NULL, "" or "0": not asked; "1": asked).
 * 0 with *show set; or -1 with e: 400 for another value, 403 forbidden
 * when a role above the commune asks without the permission (the message
 * names it). */
int saola__privacy_show(const saola__user *u, const char *asked, int *show, saola__err *e);

/* 0 when u may pull whole records (what names the action: "sync",
 * "bundle"); -1 with e (403 forbidden, naming the permission) for a role
 * above the commune without the permission "personal". */
int saola__privacy_may_pull(const saola__user *u, const char *what, saola__err *e);

/* 1 when the value at path (a record path: "head_name",
 * "members.<item>.name") of a record of form form_id is personal, as the
 * current version of the form in db marks it; 1 too when the form cannot
 * be read (kept out rather than shown); else 0. */
int saola__privacy_path(struct saola *db, const char *form_id, const char *path);

#endif
