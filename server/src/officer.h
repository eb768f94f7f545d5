/* officer.h: what officers do on the server: list, inspect and resolve the
 * conflict log (a resolution is an ordinary edit made with the server's own
 * origin), and return or approve records (review states). The command line
 * (officer_cmd.c) and HTTP (officer_http.c) share these. */
#ifndef SAOLA_OFFICER_H
#define SAOLA_OFFICER_H

#include <pthread.h>
#include <stdint.h>
#include <jansson.h>

#include "server_int.h"
#include "store.h"

/* Who acts, and with what. */
typedef struct saola__officer {
	saola__store *store;
	pthread_mutex_t *write_lock;  /* the server's writers' lock; NULL: none */
	const char *by;               /* recorded as resolved_by / updated_by */
	const saola__user *user;      /* HTTP: the caller, whose role and area are
	                               * checked; NULL: the command line (the
	                               * database's owner: no limit) */
} saola__officer;

/* The conflicts of status ("open", "resolved" or "all") whose record lies in
 * area (NULL or "": every one), newest first, at most limit (0: no limit):
 * a new array of the objects of saola__conflict_show (without "current").
 * 0, or -1 with e. */
int saola__conflict_list(saola__store *s, const char *status, const char *area, long limit,
                         json_t **out, saola__err *e);

/* One conflict, for an officer: {"id","status","record_id","form","path",
 * "label" (the field's label in lang, NULL: the form's language),
 * "head_name","village","commune","commune_name","district","province",
 * "lost":{"value","version"},"kept":{"value","version"},"stored_lost",
 * "base" (the version the incoming edit was made over),"device","user",
 * "batch","at","resolved_at","resolved_by","resolution","current":{"value",
 * "version","deleted"}}. A new object; 0, or -1 with e (404 when there is
 * no such conflict, 403 when u (may be NULL) may not see its record). */
int saola__conflict_show(saola__store *s, int64_t id, const char *lang,
                         const saola__user *u, json_t **out, saola__err *e);

/* Hides the personal fields (privacy.h) in conflict c, an object of
 * saola__conflict_show or saola__conflict_list or a row of GET
 * /v1/conflicts, for a caller who does not see them: when its path is
 * personal in its record's form, every value it shows ("lost", "kept",
 * "current", the "resolution"'s; "lost_value", "kept_value") becomes null
 * and "personal": true is set; "head_name" becomes null when the form marks
 * it personal; a member's name, when personal, leaves the "label" (its id
 * stands there), in lang as saola__conflict_show. 0, or -1 out of
 * memory. */
int saola__conflict_mask(saola__store *s, json_t *c, const char *lang);

/* Resolves conflict id: choice "keep" (the value kept), "lost" (the value
 * that lost) or "value" (value, a JSON value; null clears the answer). The
 * chosen value is written as an ordinary edit of the record, with the
 * server's origin and a version above both, unless it already stands; the
 * conflict gets resolved_at, resolved_by and the resolution {"choice",
 * "value","version" (the edit's, or null when none was needed),"comment"}.
 * *out (may be NULL) gets the resolved conflict (saola__conflict_show).
 * 0, or -1 with e: 404, 403 (role or area), 409 (resolved already, the
 * record deleted, a removed member), 400 (a value the form refuses). */
int saola__conflict_resolve(const saola__officer *o, int64_t id, const char *choice,
                            const json_t *value, const char *comment, json_t **out,
                            saola__err *e);

/* Reviews record id: action "return" (comment required) or "approve"
 * (comment optional), with the rules of saola_set_state. *out (may be
 * NULL) gets {"id","state","comment"}. 0, or -1 with e: 404, 403, 409 (a
 * move the review process does not allow), 400 (no comment). */
int saola__review_record(const saola__officer *o, const char *record_id, const char *action,
                         const char *comment, json_t **out, saola__err *e);

/* 1 when role may act as an officer (commune, district, province, admin). */
int saola__officer_role(const char *role);

/* Checks that u (NULL: the command line) may act as an officer on record
 * id of db (the store's connection): its role, and the record inside its
 * area at every level (rules.h); what names the action in errors. 0, or
 * -1 with e (403, 404). Shared by the officer*.c files. */
int saola__officer_may_act(saola__db *db, const saola__user *u, const char *id,
                           const char *what, saola__err *e);

/* The saola-server commands `conflicts` and `review` (officer_cmd.c):
 * argv from after the command's name; exit codes 0, 1, 2. */
int saola__cmd_conflicts(int argc, char **argv);
int saola__cmd_review(int argc, char **argv);

#endif
