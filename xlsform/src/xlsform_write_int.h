/* xlsform_write_int.h: what the files of the XLSForm writer share
 * (saola_xlsform_write; internal to xlsform/): its state, the form's
 * languages and where each translated text goes, and the cell helpers.
 * docs/forms.md, "XLSForm", gives the sheets and columns.
 *
 * The writer works in two steps: a scan of the whole definition that
 * checks every key and value it will write (refusing, never dropping, one
 * it has no column for) and notes which columns and languages are used;
 * then the workbook, written from what the scan found. */
#ifndef SAOLA_XLSFORM_WRITE_INT_H
#define SAOLA_XLSFORM_WRITE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <xlsxwriter.h>

/* The most languages a form may have (a bit each in xw_texts.langs). */
#define SAOLA__XW_LANGS_MAX 64
/* The most bytes of text in a cell: Excel's bound (32,767 characters),
 * counted in bytes as the reader counts it (xlsx.h), so that whatever is
 * written reads back. */
#define SAOLA__XW_CELL_MAX 32767

/* The survey's columns, in the order they are written. */
typedef enum saola__xw_kind {
	SAOLA__XW_TYPE,
	SAOLA__XW_NAME,
	SAOLA__XW_LABEL,
	SAOLA__XW_HINT,
	SAOLA__XW_REQUIRED,
	SAOLA__XW_RELEVANT,
	SAOLA__XW_CONSTRAINT,
	SAOLA__XW_CONSTRAINT_MESSAGE,
	SAOLA__XW_CALCULATION,
	SAOLA__XW_DEFAULT,
	SAOLA__XW_APPEARANCE,
	SAOLA__XW_READ_ONLY,
	SAOLA__XW_PERSONAL,
	SAOLA__XW_MAX_LENGTH,
	SAOLA__XW_UNIT,
	SAOLA__XW_GENERATED,
	SAOLA__XW_WARNING,
	SAOLA__XW_WARNING_MESSAGE,
	SAOLA__XW_WARNING_CONFIRM,
	SAOLA__XW_NOTES,
	SAOLA__XW_NKINDS
} saola__xw_kind;

/* The texts of one translated thing (a survey column such as label, the
 * choices' labels, the form's title): what the definition gives, then
 * (saola__xw_resolve) which columns they go in. */
typedef struct saola__xw_texts {
	int plain;          /* some text is a plain string */
	uint64_t langs;     /* the languages objects give (bits: xw.langs) */
	/* After saola__xw_resolve: */
	int plain_col;      /* a column without "::" holds the plain strings */
	int plain_lang;     /* or the column of this language does (-1: none) */
} saola__xw_texts;

typedef struct saola__xw {
	json_t *def;
	const char *deflang;                      /* default_language or NULL */
	const char *langs[SAOLA__XW_LANGS_MAX];   /* borrowed from def */
	int nlangs;
	int deflang_idx;                          /* -1 without a default */
	uint64_t object_langs;                    /* languages any object gives */
	int used[SAOLA__XW_NKINDS];               /* survey columns with a cell */
	saola__xw_texts texts[SAOLA__XW_NKINDS];  /* the translated ones' */
	saola__xw_texts choice_labels;
	saola__xw_texts title;
	int has_boolean;                          /* some field is a boolean */
	lxw_workbook *wb;
	lxw_format *bold;
	char *scratch;                            /* cell texts made here */
	size_t scratch_cap;
	char *err;
	size_t errlen;
} saola__xw;

/* Formats the error into w->err (when not NULL) and returns rc. */
int saola__xw_fail(saola__xw *w, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A buffer of at least n bytes, owned by w (valid until the next call). */
char *saola__xw_scratch(saola__xw *w, size_t n);

/* Registers language code, found at where (for the error): *idx its
 * index in w->langs. SAOLA_INVALID for a code that cannot be part of a
 * header, SAOLA_LIMIT past SAOLA__XW_LANGS_MAX languages. */
int saola__xw_lang(saola__xw *w, const char *code, const char *where, int *idx);

/* Notes the text v at where (a string, or an object of strings by
 * language) in t. SAOLA_OK, or SAOLA_INVALID/SAOLA_LIMIT naming where. */
int saola__xw_scan_texts(saola__xw *w, json_t *v, saola__xw_texts *t, const char *where);

/* Decides t's columns: plain strings go in a column without "::", unless
 * objects give languages too and the form has a default_language, when
 * they go in that language's column (a reader puts a column without "::"
 * in the default language anyway; one column per language reads better). */
void saola__xw_resolve(const saola__xw *w, saola__xw_texts *t);

/* The columns of t in order into cols (SAOLA__XW_LANGS_MAX + 1 entries):
 * -1 for the plain column, else a language index (the default language
 * first, then the others by code). Returns how many. */
int saola__xw_columns(const saola__xw *w, const saola__xw_texts *t, int *cols);

/* The text of v (a string or an object by language, or NULL) for the
 * column lang of t (-1: the plain one); "" when it has none there. */
const char *saola__xw_text(const saola__xw *w, const saola__xw_texts *t, json_t *v, int lang);

/* The header base + "::" + the language's name ("label::English (en)"),
 * or base alone for lang -1; in w's scratch buffer. NULL: out of memory. */
const char *saola__xw_header_name(saola__xw *w, const char *base, int lang);

/* Adds a sheet named name with a frozen bold header row; NULL after
 * saola__xw_fail. */
lxw_worksheet *saola__xw_sheet(saola__xw *w, const char *name);

/* Writes header text in row 0 of column col, width wide (characters). */
int saola__xw_header(saola__xw *w, lxw_worksheet *ws, const char *sheet, int col,
                     const char *text, double width);

/* Writes text as a string cell (never a number: the reader gets back the
 * text as it was); an empty text leaves the cell empty. SAOLA_LIMIT for a
 * text longer than a cell holds, naming the cell ("survey!C12"). */
int saola__xw_put(saola__xw *w, lxw_worksheet *ws, const char *sheet, int row, int col,
                  const char *text);

/* The survey sheet: saola__xw_survey_scan checks the fields (recursively,
 * prefix "" at the top) and notes their columns; saola__xw_survey_write
 * writes them. */
int saola__xw_survey_scan(saola__xw *w, json_t *fields, const char *prefix);
int saola__xw_survey_write(saola__xw *w);

/* The choices sheet: saola__xw_choices_scan checks the lists (and refuses
 * one named saola_boolean); saola__xw_choices_boolean, after every scan,
 * gives the choices the languages of saola_boolean's labels when a field
 * is a boolean; saola__xw_choices_write writes the lists, then
 * saola_boolean. */
int saola__xw_choices_scan(saola__xw *w, json_t *choices);
void saola__xw_choices_boolean(saola__xw *w);
int saola__xw_choices_write(saola__xw *w);

/* The settings sheet: a header and one row. */
int saola__xw_settings_write(saola__xw *w);

/* The saola_notes sheet of the form's "notes" (none without). */
int saola__xw_notes_scan(saola__xw *w, json_t *notes);
int saola__xw_notes_write(saola__xw *w);

#endif /* SAOLA_XLSFORM_WRITE_INT_H */
