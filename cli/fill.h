/* fill.h: the interview of 'saola fill', shared by cmd_fill.c (the walk
 * through the form, the summary, saving) and fill_ask.c (prompts, commands,
 * answers typed and checked for their type, messages in two languages). */
#ifndef SAOLA_FILL_H
#define SAOLA_FILL_H

#include "cli.h"
#include <saola/form.h>

typedef struct fill {
	saola *db;
	saola_interview *iv;
	int en;                  /* English, else Vietnamese */
	int tty;                 /* stdin is a terminal; else answers are echoed */
	int nq;
	unsigned long changes;   /* answers changed so far */
	unsigned long fix_changes; /* changes when the end last sent us back */
	saola_step fix;          /* where it sent us, field -1 before */
	saola_step *hist;        /* the steps answered, in order */
	size_t nhist, caphist;
	int shown_top, shown_inner;  /* the headings last printed */
	int shown_item;              /* item heading last printed, + 1 */
	json_t *places;          /* the places last saved: defaults for the next */
	char *line;
	size_t linecap;
} fill;

/* What reading an answer gave. */
enum {
	FILL_ANSWER,             /* an answer (or a kept one) */
	FILL_AGAIN,              /* ask again: help shown, quit declined */
	FILL_PASS,               /* nothing to ask here (a note shown, a warning
	                          * confirmed already): go on */
	FILL_BACK,               /* "<": back to the previous question */
	FILL_QUIT,               /* "q", confirmed */
	FILL_EOF,                /* input ended */
	FILL_ERROR               /* out of memory or the store failed */
};

/* The interview's messages, each in Vietnamese and English. */
typedef enum fill_msg {
	M_INTRO, M_EDIT, M_HELP, M_T_INT, M_T_DEC, M_T_DATE, M_T_BOOL, M_T_ONE,
	M_T_MULTI, M_T_MULTI_CUR, M_T_PLACE, M_OPTIONAL, M_NOT_YESNO, M_REQUIRED,
	M_UNCERTAIN, M_UNCHECKED, M_FIRST, M_QUIT_ASK, M_QUIT_DONE, M_EOF, M_ADD, M_KEEP,
	M_REMOVE, M_REMOVED, M_NEED_ITEM, M_NONAME, M_ITEM, M_RESULT, M_DEPRIVED,
	M_NONE_DEPRIVED, M_SAVE, M_SAVED, M_NOT_SAVED, M_NO_CHANGE, M_FIX,
	M_SAVE_FAILED, M_NONE, M_YES, M_NO, M_WARNING, M_CONFIRM, M_PLACE_NONE,
	M_PLACE_PICK, M_RESUMED, M_NO_DRAFT, M_DRAFT_KEPT, M_INCOME, M_HOUSEHOLD,
	M_CODE, M__COUNT
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

/* Shows question s (not when again: the same question after a refusal)
 * and reads a line for it. cur is the current answer (or the default)
 * shown in [ ], or NULL. On FILL_ANSWER *text is what was typed, "" for
 * an empty line (keep the current answer, or skip). */
int fill_ask(fill *fl, saola_step s, int required, json_t *cur, int again,
             const char **text);

/* Writes a short text of value v of field i (a choice's number and label,
 * c/k or y/n, a number) into buf. */
void fill_show_value(fill *fl, int i, json_t *v, char *buf, size_t len);
/* The label of choice v of field i in the interview's language (v itself
 * when it is no choice of i; "" when v is NULL). */
const char *fill_choice_label(fill *fl, int i, const char *v);

#endif
