/* fill.h: the interview of 'saola fill', shared by cmd_fill.c (the walk
 * through the form, the summary, saving) and fill_ask.c (prompts, commands,
 * answers typed and checked for their type, messages in two languages). */
#ifndef SAOLA_FILL_H
#define SAOLA_FILL_H

#include "cli.h"
#include "form.h"

/* One field of the form as the interview shows it. */
typedef struct fill_q {
	saola__field_info fi;
	const char *label;       /* in the interview's language, else the name */
	const char *hint;        /* or NULL */
	const char *cmsg;        /* constraint message, or NULL */
	json_t *choices;         /* select types: the list's array (borrowed) */
	json_t *dflt;            /* the field's "default", or NULL */
} fill_q;

/* A place in the interview: question field of item (0 at the top level),
 * or with add set, the "add an item?" prompt of repeat field before item.
 * field == nq is the end of the form. */
typedef struct fill_pos {
	int field;
	size_t item;
	int add;
} fill_pos;

typedef struct fill {
	saola *db;
	const saola__form *form;
	saola__params_src params;
	const char *form_id;
	int en;                  /* English, else Vietnamese */
	int tty;                 /* stdin is a terminal; else answers are echoed */
	fill_q *q;
	int nq;
	json_t *answers;         /* the record being filled: its entered answers */
	json_t *stored;          /* with --id: the record's stored data */
	json_t *original;        /* with --id: its entered answers, as loaded */
	const char *record_id;   /* with --id */
	saola__walk *w;          /* the walk of answers, kept current */
	unsigned long changes;   /* answers changed so far */
	unsigned long fix_changes; /* changes when the end last sent us back */
	fill_pos fix;            /* where it sent us, field -1 before */
	fill_pos *hist;          /* the steps answered, in order */
	size_t nhist, caphist;
	int shown_top, shown_inner;  /* the headings last printed */
	size_t shown_item;           /* item heading last printed, + 1 */
	char *line;
	size_t linecap;
} fill;

/* What reading an answer gave. */
enum {
	FILL_ANSWER,             /* an answer (or a kept one) */
	FILL_AGAIN,              /* ask again: help shown, quit declined */
	FILL_BACK,               /* "<": back to the previous question */
	FILL_QUIT,               /* "q", confirmed */
	FILL_EOF,                /* input ended */
	FILL_ERROR               /* out of memory or the store failed */
};

/* The interview's messages, each in Vietnamese and English. */
typedef enum fill_msg {
	M_INTRO, M_EDIT, M_HELP, M_T_INT, M_T_DEC, M_T_DATE, M_T_BOOL, M_T_ONE,
	M_T_MULTI, M_T_MULTI_CUR, M_OPTIONAL, M_NOT_INT, M_NOT_NUM, M_NOT_DATE,
	M_NOT_YESNO, M_NOT_CHOICE, M_ONE_ONLY, M_TWICE, M_BAD_TEXT, M_REQUIRED,
	M_CONSTRAINT, M_PLACE, M_NO_STANDARD, M_UNCERTAIN, M_UNCHECKED, M_FIRST, M_QUIT_ASK,
	M_QUIT_DONE, M_EOF, M_ADD, M_KEEP, M_REMOVE, M_REMOVED, M_NEED_ITEM,
	M_NONAME, M_ITEM, M_RESULT, M_DEPRIVED, M_NONE_DEPRIVED, M_SAVE,
	M_SAVED, M_NOT_SAVED, M_NO_CHANGE, M_FIX, M_SAVE_FAILED, M_NONE,
	M_YES, M_NO, M__COUNT
} fill_msg;

/* The text of message m in the interview's language (a printf format for
 * the messages that take arguments). */
const char *fill_text(const fill *fl, fill_msg m);

/* Prints "  ! " and a message, then a newline. */
void fill_say(const fill *fl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Reads one line after printing prompt (and " [current]" when current is
 * not NULL) and "> ". With commands, handles "<", "?", "q" (after a
 * confirmation) and "\" (take the rest literally). On FILL_ANSWER *text is
 * the line, trimmed, owned by fl until the next read. */
int fill_read(fill *fl, const char *prompt, const char *current, int commands,
              const char **text);

/* Asks a yes/no question; dflt is 1, 0, or -1 for none (an empty line asks
 * again). Returns FILL_ANSWER with *yes set, or what fill_read returned. */
int fill_yesno(fill *fl, const char *question, int dflt, int commands, int *yes);

/* Shows question q (not when again: the same question after a refusal)
 * and reads an answer typed for q's type. cur is the current answer (or the
 * default) shown in [ ], or NULL. On FILL_ANSWER *value is a new reference
 * to the answer, or NULL for no answer (an empty line with no current
 * answer, or "-"); an empty line with a current answer gives it back. */
int fill_ask(fill *fl, const fill_q *q, int required, json_t *cur, int again,
             json_t **value);

/* Writes a short text of value v of question q (a choice's number and
 * label, c/k or y/n, a number) into buf. */
void fill_show_value(const fill *fl, const fill_q *q, json_t *v, char *buf,
                     size_t len);

#endif
