/* interview.h: the interview behind saola/form.h, shared by interview.c
 * (questions, walking, answers, repeats, checks), interview_text.c (typed
 * answers and the messages of both languages) and interview_save.c
 * (saving, drafts). Internal. */
#ifndef SAOLA_INTERVIEW_H
#define SAOLA_INTERVIEW_H

#include "saola/form.h"
#include "saola_int.h"
#include "form.h"

/* One field: the engine's view and the screen's. */
typedef struct iv_field {
	saola__field_info fi;
	saola_field pub;
	json_t *choices;          /* select types: the list (borrowed), or NULL */
} iv_field;

struct saola_interview {
	saola *db;
	saola__form *form;        /* compiled for the interview (owned) */
	saola__params_src params;
	json_t *def;              /* the form's definition (a reference) */
	char lang[8];
	iv_field *f;
	int nf;
	json_t *answers;          /* the entered answers, items with or without _id */
	json_t *original;         /* editing: the entered answers as stored */
	json_t *stored;           /* editing: the record's data as stored */
	char *record_id;          /* editing, or once saved */
	char *draft_id;
	saola__walk *w;           /* the walk of answers, kept current */
	int rc;
	char err[512];
	char title[256];          /* the last item title asked for */
	char unchecked[256];      /* why the last answer set could not be checked */
};

/* The interview's messages, each in Vietnamese and English. */
typedef enum iv_msg {
	IVM_NOT_INT, IVM_NOT_NUM, IVM_NOT_DATE, IVM_NOT_YESNO, IVM_NOT_CHOICE,
	IVM_ONE_ONLY, IVM_TWICE, IVM_BAD_TEXT, IVM_TOO_LONG, IVM_REQUIRED,
	IVM_CONSTRAINT, IVM_PLACE, IVM_NO_STANDARD, IVM_NEED_ITEM, IVM_NOT_ASKED,
	IVM_NO_WARNING, IVM_NOT_PLACE, IVM_NO_YEAR, IVM_FIX, IVM__COUNT
} iv_msg;

/* The text of message m in the interview's language (a printf format for
 * those that take arguments). */
const char *iv_text(const saola_interview *iv, iv_msg m);

/* Records rc and a formatted message on iv; returns rc. */
int iv_fail(saola_interview *iv, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Clears iv's error; returns SAOLA_OK. */
int iv_ok(saola_interview *iv);
/* Passes db's failure (rc) on to iv. */
int iv_db_fail(saola_interview *iv, int rc);

/* The label of obj ({"vi": ..., "en": ...} or a string) in lang, else in
 * Vietnamese, else English, else NULL. */
const char *iv_label(json_t *obj, const char *lang);

/* A field whose answer is entered: not a group, repeat, note or computed. */
int iv_entered(const iv_field *f);

/* The object that holds field i's answer in item k (the record, or the
 * item), or NULL when item k does not exist. */
json_t *iv_scope(const saola_interview *iv, int i, int k);
/* The items of repeat r (borrowed), or NULL. */
json_t *iv_items(const saola_interview *iv, int r);

/* Walks the answers again after a change. */
int iv_rewalk(saola_interview *iv);

/* Checks that value fits field f's type, choices and length (messages in
 * the interview's language). */
int iv_check_type(saola_interview *iv, const iv_field *f, json_t *value);

/* Builds the interview's fields and walks the answers (after answers are
 * set). */
int iv_setup(saola_interview *iv);

/* A new interview of db's form form_id in lang (NULL: the form's default),
 * with no answers yet. */
int iv_new(saola *db, const char *form_id, const char *lang, saola_interview **out);

/* The entered answers of a stored record's data, repeat items with _id
 * (a new reference, or NULL when out of memory). */
json_t *iv_entered_answers(const saola_interview *iv, json_t *data);

#endif
