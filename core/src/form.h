/* form.h: the form engine (compile a definition, validate answers, skip
 * logic, computed fields), internal. Format: docs/forms.md. */
#ifndef SAOLA_FORM_H
#define SAOLA_FORM_H

#include <stddef.h>
#include <jansson.h>

#include "saola_shared.h"
/* saola__ftype, saola__form_field_type, saola__form_is_personal and
 * saola__form_path_personal are in saola_form.h (core/shared/: the server
 * reads them). */
#include "saola_form.h"

/* Maximum lengths of text, in characters (UTF-8 code points, not bytes):
 * a text answer's and a review comment's when the form does not say
 * ("text_max_length", "comment_max_length", a field's "max_length"), and
 * the most a form may allow, so that no form lifts the bound on what one
 * answer costs the server to merge, store and send. */
#define SAOLA__TEXT_MAX_DEFAULT    500
#define SAOLA__COMMENT_MAX_DEFAULT 2000
#define SAOLA__TEXT_MAX_LIMIT      100000

/* saola__form_compile, saola__form_free, saola__form_id and
 * saola__form_version are in saola_shared.h (a store compiles the form it
 * merges with). */
/* The definition (borrowed). */
json_t *saola__form_def(const saola__form *f);
/* The standard family the form reads param() from, or NULL. */
const char *saola__form_standard(const saola__form *f);
/* The field whose value picks the standard's period ("survey_year" by
 * default when the form names a standard), or NULL. */
const char *saola__form_standard_year_field(const saola__form *f);

/* 1 when name is a computed field (type calculate) at the top level or
 * inside a repeat, else 0. Computed fields are never versioned or merged. */
int saola__form_is_computed(const saola__form *f, const char *name);

/* 1 when the record path ("field" or "repeat.item.field") is a computed
 * field's: no answer travels there (a value a change brings for it is
 * dropped, as processing drops it, and never merged or logged); else 0. */
int saola__form_path_computed(const saola__form *f, const char *path);

/* The most characters the value at a record path may have: a text
 * field's maximum for "field" or "repeat.item.field" (docs/protocol.md),
 * the form's comment maximum for "_comment", 0 for any other path (no
 * text there, or no such field). */
size_t saola__form_text_max(const saola__form *f, const char *path);

/* The number of characters (code points) of the UTF-8 text s of n bytes. */
size_t saola__utf8_chars(const char *s, size_t n);

/* SAOLA_OK unless value, the answer at a record path ("field" or
 * "repeat.item.field"), fails its field's constraint where that
 * constraint reads the answer alone (a plausible range: ". >= 1 and . <=
 * 1000"); then SAOLA_INVALID with err "house_area_m2: constraint failed:
 * <the form's message>". A constraint that reads other answers is not
 * checked here (a merge may combine answers that were each valid where
 * they were made), nor is null or any other path. */
int saola__form_check_value(const saola__form *f, const char *path, json_t *value,
                            char *err, size_t errlen);

/* saola__unit_ref and saola__params_src, what the form engine reads of
 * standards and units, are in saola_shared.h (the merge needs them too). */

/* Validates the answers in data (borrowed: a whole record's entered fields,
 * repeat items with their "_id") and computes every calculated field, in
 * form order. On success *out is a new object: the relevant entered answers
 * (answers to questions that are not relevant are cleared), plus every
 * computed field (inside repeat items too). Values sent for computed fields
 * are ignored. today is "YYYY-MM-DD" or NULL for the system date.
 * On failure returns SAOLA_INVALID with err naming the path:
 *   "members[2].birth_year: expected integer, got \"abc\""
 *   "area: \"town\" is not a choice of list area"
 *   "income_per_capita: required"
 *   "house_area_m2: constraint failed: must be positive"
 *   "foo: unknown field"
 *   "head_name: text of 7340032 characters is longer than the form's
 *    maximum of 500"
 * and SAOLA_NOTFOUND when the form names a standard and none covers the
 * record's year ("survey_year: no standard vn-poverty covers 2031"). */
int saola__form_process(const saola__form *f, json_t *data,
                        const saola__params_src *params, const char *today,
                        json_t **out, char *err, size_t errlen);

/* saola__form_process for the result of a merge, whose edits were each
 * checked where they were made: what only their combination breaks (a
 * required answer missing, a constraint failing) does not refuse it, since
 * refusing would stop the sync that carries it for good. *issues gets a
 * new string naming the first such failure ("age: constraint failed: ...
 * (and 2 more)"), or NULL when the record passes. Unknown fields, types,
 * choices and text longer than its maximum still refuse it. */
int saola__form_process_merged(const saola__form *f, json_t *data,
                               const saola__params_src *params, json_t **out,
                               char **issues, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* Data entry (form_walk.c): what a screen that fills a form question by
 * question needs of the engine, on a record that is not finished yet.     */

struct saola;

/* The compiled current form form_id of db (owned by db's cache, valid until
 * db's forms change or db is closed) and the params source that reads db's
 * standards. Errors as saola_form_get (saola_errmsg(db) says why). */
int saola__form_open_db(struct saola *db, const char *form_id,
                        const saola__form **f, saola__params_src *params);

/* One field of the form's table. Fields are numbered 0..n-1 in form order,
 * pre-order: a group or a repeat is followed by its fields, up to end. */
typedef struct saola__field_info {
	const char *name;
	saola__ftype type;
	int parent;      /* the enclosing group or repeat, or -1 */
	int repeat;      /* the enclosing repeat, or -1 (top level) */
	int end;         /* one past the field's last descendant */
	int computed;    /* has a calculate: never entered */
	int personal;    /* personal data (saola__form_is_personal) */
	int warned;      /* 1 when the field has a warning (docs/forms.md,
	                  * "Warnings"); its message is the definition's
	                  * "warning_message" */
	int confirm;     /* a warned field: the index of its confirm field
	                  * ("warning_confirm"), else -1 */
	int confirms;    /* a confirm field: the index of the field whose
	                  * warning it confirms, else -1. The walk makes it
	                  * relevant exactly while that warning stands */
	json_t *def;     /* the field's definition object (borrowed) */
} saola__field_info;

/* The number of fields, groups and repeats included. */
int saola__form_nfields(const saola__form *f);
/* Fills *out for field i; SAOLA_NOTFOUND when there is no field i. */
int saola__form_field_info(const saola__form *f, int i, saola__field_info *out);
/* The number of the field called name (any depth), or -1. */
int saola__form_field_index(const saola__form *f, const char *name);

typedef struct saola__walk saola__walk;

/* Walks a partial record as processing would (docs/forms.md, steps 1 and
 * 2): data (borrowed) holds the answers given so far, repeat items as
 * objects (with or without "_id"). Types and choices are checked as by
 * saola__form_process; then relevance is evaluated and calculated fields
 * computed in form order, but an expression that cannot be evaluated yet
 * (param() before the year is answered, say) does not fail the walk: its
 * field counts as relevant (saola__walk_relevant returns 2) or its value
 * stays empty, and saola__walk_note says what failed first. Required and
 * constraints are not checked here (see saola__walk_required, _constraint
 * and _validate). On success *out is a new walk (saola__walk_free); data
 * must outlive it. Errors: SAOLA_INVALID (err names the path and why),
 * SAOLA_NOMEM; *out is NULL then. */
int saola__form_walk(const saola__form *f, json_t *data,
                     const saola__params_src *params, const char *today,
                     saola__walk **out, char *err, size_t errlen);

/* Frees a walk. NULL is a no-op. */
void saola__walk_free(saola__walk *w);

/* The items of repeat field r in the walk: 0 when it has none or is not
 * relevant, or when r is not a repeat. */
size_t saola__walk_items(const saola__walk *w, int r);

/* Whether field i (in item k, when inside a repeat; k is ignored at the
 * top level) is asked: 0 skipped (not relevant), 1 relevant, 2 relevant
 * because its relevance (or an enclosing group's) could not be evaluated.
 * 0 for an item that does not exist. */
int saola__walk_relevant(const saola__walk *w, int i, size_t k);

/* Field i's value in item k after the walk: the answer kept or the value
 * computed (borrowed from the walk), or NULL when there is none. */
json_t *saola__walk_value(const saola__walk *w, int i, size_t k);

/* *out = 1 when field i in item k must be answered (relevant, and required
 * is true or its expression is true), else 0. Returns SAOLA_OK, or the
 * failure of the required expression (err says why). */
int saola__walk_required(saola__walk *w, int i, size_t k, int *out,
                         char *err, size_t errlen);

/* *holds = 0 when field i in item k has an answer, is relevant, and its
 * constraint is false; 1 otherwise. Returns SAOLA_OK, or the failure of
 * the constraint expression (err says why). The message to show is the
 * field's constraint_message, in the screen's language. */
int saola__walk_constraint(saola__walk *w, int i, size_t k, int *holds,
                           char *err, size_t errlen);

/* *holds = 0 when field i in item k has an answer, is relevant, and its
 * warning is false; 1 otherwise (no warning, no answer, not relevant).
 * Returns SAOLA_OK, or the failure of the warning expression (err says
 * why; *holds = 1 then: a warning that cannot be evaluated holds, and
 * processing treats it so). The message to show is the field's
 * warning_message, in the screen's language. */
int saola__walk_warning(saola__walk *w, int i, size_t k, int *holds, char *err,
                        size_t errlen);

/* SAOLA_OK when the form names no standard, when its year field is not
 * answered yet, or when a standard of its family covers the year given;
 * else SAOLA_NOTFOUND with err "survey_year: no standard vn-poverty covers
 * 2031". */
int saola__walk_standard(saola__walk *w, char *err, size_t errlen);

/* Checks required and constraints on every relevant field in form order
 * (step 3 of processing). SAOLA_OK when all hold; else the first failure,
 * with err as saola__form_process words it ("members[1].birth_year:
 * constraint failed: ...") and *field, *item where it is. */
int saola__walk_validate(saola__walk *w, int *field, size_t *item,
                         char *err, size_t errlen);

/* Checks the places the walk's answers name against the units valid for
 * its year, as saola__form_process does (docs/forms.md, "Places"): SAOLA_OK
 * when they hold (or cannot be checked yet: no year, no units loaded),
 * else SAOLA_INVALID with err "unit.commune: 99999 is not a commune valid
 * in 2024 (schemas/units)". */
int saola__walk_units(saola__walk *w, char *err, size_t errlen);

/* The unit code valid for year as the walk's source knows it: 1 found
 * (*out set), 0 none, -1 when units are not known. */
int saola__walk_unit(saola__walk *w, const char *code, saola__unit_ref *out);

/* The first expression the walk could not evaluate, as "path: property:
 * why", or NULL when every one could. Owned by the walk. */
const char *saola__walk_note(const saola__walk *w);

#endif /* SAOLA_FORM_H */
