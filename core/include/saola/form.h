/* saola/form.h: the interview API of libsaola, for any screen that fills a
 * form question by question (a terminal, an Android app through JNI, a web
 * view): the questions in order with their relevance, labels, hints and
 * choices in a language, each answer checked as it is given with a message
 * in that language, repeat items added, removed and gone to, the computed
 * fields as the answers stand, warnings confirmed, drafts saved and taken
 * up again, and the record saved. docs/forms.md, "A screen", shows a
 * minimal screen loop.
 *
 * Conventions, as in saola/core.h:
 *  - Every function that can fail returns a result code, SAOLA_OK (0) on
 *    success; saola_interview_errmsg() then says what failed, in the
 *    interview's language where the message is for the person answering.
 *  - The handle is opaque; saola_interview_close(NULL) does nothing. An
 *    interview uses its database handle, which must stay open until the
 *    interview is closed, from one thread at a time.
 *  - Strings returned as const char * are borrowed from the interview and
 *    stay valid until it is closed. A json_t passed in is borrowed (the
 *    interview copies what it keeps); a json_t returned through an
 *    out-parameter is a new reference the caller json_decref()s.
 *  - Fields are numbered 0 .. saola_interview_nfields() - 1 in form order,
 *    pre-order: a group or repeat comes before its fields. Items of a
 *    repeat are numbered from 0; item is ignored at the top level.
 */
#ifndef SAOLA_FORM_API_H
#define SAOLA_FORM_API_H

#include "saola/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct saola_interview saola_interview;

/* ------------------------------------------------------------------ */
/* Opening and closing                                                 */

/* A new, empty interview of the current version of form_id, in language
 * lang ("vi", "en"; NULL: the form's default_language). Errors:
 * SAOLA_NOFORM, SAOLA_INVALID (a language the form has no labels in),
 * SAOLA_NOMEM; saola_errmsg(db) says why, *out is NULL. */
SAOLA_API int saola_interview_open(saola *db, const char *form_id, const char *lang,
                                   saola_interview **out);

/* An interview that edits stored record record_id (its current form
 * version). Saving it sends only the answers changed, so that an edit
 * merged in from elsewhere meanwhile is kept. Errors as
 * saola_interview_open, and SAOLA_NOTFOUND, SAOLA_DELETED. */
SAOLA_API int saola_interview_edit(saola *db, const char *record_id, const char *lang,
                                   saola_interview **out);

/* Takes up draft draft_id (saola_interview_save_draft) where it was left:
 * its answers, the record it edits if any, and its place (*field, *item,
 * either may be NULL). lang NULL: the draft's language. Errors as
 * saola_interview_open, and SAOLA_NOTFOUND (no such draft). */
SAOLA_API int saola_interview_resume(saola *db, const char *draft_id, const char *lang,
                                     int *field, int *item, saola_interview **out);

/* Frees the interview. Drafts it saved stay. */
SAOLA_API void saola_interview_close(saola_interview *iv);

/* What the last failing call on iv said (in the interview's language when
 * it is about an answer), or "" after a success. Never NULL. */
SAOLA_API const char *saola_interview_errmsg(const saola_interview *iv);
/* The last failing call's code, SAOLA_OK after a success. */
SAOLA_API int saola_interview_errcode(const saola_interview *iv);

/* The form's id, version and title in the interview's language. */
SAOLA_API const char *saola_interview_form_id(const saola_interview *iv);
SAOLA_API const char *saola_interview_form_version(const saola_interview *iv);
SAOLA_API const char *saola_interview_title(const saola_interview *iv);
/* The interview's language. */
SAOLA_API const char *saola_interview_lang(const saola_interview *iv);
/* The record edited (or saved), or NULL for a new one not saved yet. */
SAOLA_API const char *saola_interview_record_id(const saola_interview *iv);

/* ------------------------------------------------------------------ */
/* The questions                                                       */

/* What a field is, for a screen. */
typedef enum saola_field_kind {
	SAOLA_FIELD_QUESTION = 0, /* an answer is entered */
	SAOLA_FIELD_CONFIRM  = 1, /* the confirmation of a warning (boolean):
	                           * asked only while the warning stands */
	SAOLA_FIELD_GROUP    = 2,
	SAOLA_FIELD_REPEAT   = 3,
	SAOLA_FIELD_NOTE     = 4, /* shown, never answered */
	SAOLA_FIELD_COMPUTED = 5  /* calculated from the answers */
} saola_field_kind;

/* One field, in the interview's language. Strings are borrowed (NULL when
 * the form gives none). */
typedef struct saola_field {
	const char *name;
	const char *type;          /* the form's type: "integer", "select_one"... */
	saola_field_kind kind;
	const char *label;         /* the name when the form gives no label */
	const char *hint;
	const char *constraint_message;
	const char *warning_message;
	const char *unit;          /* a place: "province", "district", "commune" */
	json_t *default_value;     /* the form's "default" (borrowed), or NULL */
	int parent;                /* the enclosing group or repeat, or -1 */
	int repeat;                /* the enclosing repeat, or -1 */
	int end;                   /* one past the field's last descendant */
	int confirm;               /* a warned field: its confirmation, or -1 */
	int confirms;              /* a confirmation: the field it confirms, or -1 */
	int nchoices;              /* select types: the choices */
	int personal;              /* personal data */
} saola_field;

/* The number of fields (groups, repeats, notes and computed ones
 * included). */
SAOLA_API int saola_interview_nfields(const saola_interview *iv);

/* Fills *out for field i. SAOLA_NOTFOUND when there is no field i. */
SAOLA_API int saola_interview_field(saola_interview *iv, int i, saola_field *out);

/* The number of field name (any depth), or -1. */
SAOLA_API int saola_interview_find(const saola_interview *iv, const char *name);

/* Choice c (0 .. nchoices - 1) of field i: its value and its label in the
 * interview's language. SAOLA_NOTFOUND when there is none. */
SAOLA_API int saola_interview_choice(saola_interview *iv, int i, int c,
                                     const char **value, const char **label);

/* ------------------------------------------------------------------ */
/* Walking the form                                                    */

/* The places of an interview: a question (field, item), the prompt of a
 * repeat before its item `item` ("keep this item?" for an item there is,
 * "add one?" past the last), or the end of the form. */
typedef enum saola_step_kind {
	SAOLA_STEP_QUESTION = 0,
	SAOLA_STEP_ITEM     = 1,
	SAOLA_STEP_NOTE     = 2,
	SAOLA_STEP_END      = 3
} saola_step_kind;

typedef struct saola_step {
	saola_step_kind kind;
	int field;                 /* the question, note or repeat; -1 at the end */
	int item;                  /* its item, or the repeat's item to come */
} saola_step;

/* The first place of the form (*step kind SAOLA_STEP_END for a form with
 * nothing to ask). */
SAOLA_API int saola_interview_first(saola_interview *iv, saola_step *step);

/* The place after `from` as the answers now stand: the next relevant
 * question or note in form order, a repeat's prompt before each of its
 * items and past its last, then the end. After a repeat's prompt for an
 * item that exists, next goes into that item; past the last item, it
 * leaves the repeat. from may be any place (a screen that jumps). */
SAOLA_API int saola_interview_next(saola_interview *iv, const saola_step *from,
                                   saola_step *step);

/* The place at field i, item k (a repeat's field: its prompt before item
 * k), or the first place after it that is shown as the answers stand: how
 * a screen takes up a draft where it was left. */
SAOLA_API int saola_interview_at(saola_interview *iv, int i, int k, saola_step *step);

/* Whether field i in item k is asked as the answers stand: 0 no, 1 yes, 2
 * yes because its relevance cannot be evaluated yet (an expression reads
 * an answer not given). */
SAOLA_API int saola_interview_relevant(saola_interview *iv, int i, int k);

/* *required = 1 when field i in item k must be answered (or a repeat must
 * have an item), else 0. */
SAOLA_API int saola_interview_required(saola_interview *iv, int i, int k, int *required);

/* ------------------------------------------------------------------ */
/* Answers                                                             */

/* *value = a new reference to field i's value in item k: the answer given
 * (or kept from the stored record), or a computed field's value as the
 * answers stand; NULL when there is none. */
SAOLA_API int saola_interview_get(saola_interview *iv, int i, int k, json_t **value);

/* Sets field i's answer in item k (value borrowed; NULL or JSON null
 * clears it) and checks it: its type and choices, its constraint, a
 * standard for the survey year, a place valid for the year and inside the
 * place above it. SAOLA_INVALID when it fails, with the message in the
 * interview's language (the form's constraint_message); the answer is not
 * kept then. A warning does not refuse the answer: see
 * saola_interview_warning. */
SAOLA_API int saola_interview_set(saola_interview *iv, int i, int k, json_t *value);

/* After a successful saola_interview_set: why its constraint could not
 * be checked (an expression of the form that fails, in the engine's
 * words), or NULL when it was. The answer is kept; saving checks again. */
SAOLA_API const char *saola_interview_unchecked(const saola_interview *iv);

/* Sets field i's answer from text as a person types it: a number, a date
 * YYYY-MM-DD, c/k/y/n/1/0 for a boolean, a choice by its value or its
 * number (1 ..), several choices separated by spaces or commas; "-" or ""
 * clears the answer, except that for a select_multiple they choose none.
 * NULL clears. Then as saola_interview_set. */
SAOLA_API int saola_interview_set_text(saola_interview *iv, int i, int k, const char *text);

/* The places a place question (field i, with a unit) may take as the
 * answers stand: the units of its level valid for the survey year, inside
 * the place answered above it, whose code is query or whose name contains
 * it, marks and case aside ("cuc phuong" finds "Xã Cúc Phương"; "" lists
 * them all): *out a new array of {"code","name"}, at most 50. A screen
 * lets the surveyor pick one, then sets its code. SAOLA_INVALID when field
 * i is not a place or the survey year is not answered yet. */
SAOLA_API int saola_interview_places(saola_interview *iv, int i, const char *query,
                                     json_t **out);

/* 1 when text is a yes as the interview reads one ("c", "có", "y",
 * "yes", "1"...), 0 a no ("k", "không", "n", "no", "0"...), -1 neither. */
SAOLA_API int saola_yes_no(const char *text);

/* Returns 1 and *message (the form's warning_message in the interview's
 * language) when field i's answer in item k is outside its warning and
 * not confirmed yet; else 0. */
SAOLA_API int saola_interview_warning(saola_interview *iv, int i, int k,
                                      const char **message);

/* Confirms (yes 1) or withdraws the confirmation of field i's warning in
 * item k: its confirmation field is set, and kept with the record.
 * SAOLA_INVALID when field i has no warning or its warning holds. */
SAOLA_API int saola_interview_confirm(saola_interview *iv, int i, int k, int yes);

/* ------------------------------------------------------------------ */
/* Repeats                                                             */

/* The items repeat r has now. */
SAOLA_API int saola_interview_items(saola_interview *iv, int r);
/* Appends an empty item to repeat r; *item (may be NULL) is its number.
 * SAOLA_LIMIT past the form's maximum. */
SAOLA_API int saola_interview_add_item(saola_interview *iv, int r, int *item);
/* Removes item k of repeat r (a stored item is removed when saved). */
SAOLA_API int saola_interview_remove_item(saola_interview *iv, int r, int k);
/* *step = the first relevant question of item k of repeat r. */
SAOLA_API int saola_interview_goto(saola_interview *iv, int r, int k, saola_step *step);
/* A short title of item k of repeat r (its first text answer), or NULL. */
SAOLA_API const char *saola_interview_item_title(saola_interview *iv, int r, int k);

/* ------------------------------------------------------------------ */
/* The end                                                             */

/* Checks every relevant answer (required, constraints, places) as saving
 * will. SAOLA_OK when the record can be saved; else SAOLA_INVALID with
 * the message in the interview's language and *field, *item (may be NULL)
 * the place to fix (-1 when no question can fix it). */
SAOLA_API int saola_interview_check(saola_interview *iv, int *field, int *item);

/* 1 when the answers differ from the record as stored (always 1 for a
 * new record with an answer), else 0. */
SAOLA_API int saola_interview_changed(saola_interview *iv);

/* Checks (saola_interview_check) and saves the record, queued like any
 * change. A new record's empty code fields (text fields marked
 * "generated": true, docs/forms.md) get a new code first, "<place>-<8 hex
 * digits>" with the innermost place answered ("14404-3F9A2C1B"); the draft it was resumed from or saved to is deleted in the same
 * transaction. record_id (may be NULL) receives the record's id (37
 * bytes). */
SAOLA_API int saola_interview_save(saola_interview *iv, char record_id[37]);

/* ------------------------------------------------------------------ */
/* Drafts: an interview not finished, kept on the device only          */

/* Saves the answers so far as a draft, with the place (field, item) to
 * take it up at; the first save gives the interview a draft id, later
 * saves replace that draft. One small transaction. */
SAOLA_API int saola_interview_save_draft(saola_interview *iv, int field, int item);

/* The interview's draft id, or NULL when it has none. */
SAOLA_API const char *saola_interview_draft_id(const saola_interview *iv);

/* The drafts of db, newest first: a new array of
 * {"id","form","form_version","record"|null,"updated","title"} where title
 * is the first text answer at the top level ("" when none). */
SAOLA_API int saola_drafts_list(saola *db, json_t **out);

/* Deletes draft draft_id (SAOLA_NOTFOUND when there is none). */
SAOLA_API int saola_draft_delete(saola *db, const char *draft_id);

#ifdef __cplusplus
}
#endif
#endif /* SAOLA_FORM_API_H */
