/* xlsform_read_int.h: what the files of the XLSForm import share
 * (saola_xlsform_read; internal to xlsform/): its state, the sheets with
 * their headers and current row, and the helpers that name a cell in an
 * error. docs/forms.md, "XLSForm", gives the sheets and columns.
 *
 * The import reads the workbook (xlsx.h), then settings, choices, survey
 * and saola_notes into a definition built in the canonical key order,
 * then compiles it (as saola_form_load will) so that a compile error is
 * given with the cell it comes from. Every cell may be missing, empty or
 * odd: nothing here trusts the workbook. */
#ifndef SAOLA_XLSFORM_READ_INT_H
#define SAOLA_XLSFORM_READ_INT_H

#include <stddef.h>

#include <jansson.h>

#include "xlsx.h"

/* The most languages one translated column may have (the writer's bound). */
#define SAOLA__XR_LANGS_MAX 64
/* The deepest nesting of groups and repeats. */
#define SAOLA__XR_DEPTH_MAX 32
/* The most questions (survey rows that make a field) a form may have. */
#define SAOLA__XR_FIELDS_MAX 20000

/* A column kind no table knows: refused on a row that fills it. */
#define SAOLA__XR_UNKNOWN (-1)

/* The survey's columns (docs/forms.md, "XLSForm", "survey"). */
typedef enum saola__xr_skind {
	SAOLA__XR_S_TYPE,
	SAOLA__XR_S_NAME,
	SAOLA__XR_S_LABEL,
	SAOLA__XR_S_HINT,
	SAOLA__XR_S_REQUIRED,
	SAOLA__XR_S_RELEVANT,
	SAOLA__XR_S_CONSTRAINT,
	SAOLA__XR_S_CONSTRAINT_MESSAGE,
	SAOLA__XR_S_CALCULATION,
	SAOLA__XR_S_DEFAULT,
	SAOLA__XR_S_APPEARANCE,
	SAOLA__XR_S_READ_ONLY,
	SAOLA__XR_S_PERSONAL,
	SAOLA__XR_S_MAX_LENGTH,
	SAOLA__XR_S_UNIT,
	SAOLA__XR_S_GENERATED,
	SAOLA__XR_S_WARNING,
	SAOLA__XR_S_WARNING_MESSAGE,
	SAOLA__XR_S_WARNING_CONFIRM,
	SAOLA__XR_S_NOTES,
	SAOLA__XR_S_NKINDS
} saola__xr_skind;

/* The survey kind whose definition property is key, or -1. */
int saola__xr_survey_kind(const char *key);

/* A column a sheet knows: its header's name (lowercase, spaces as "_"),
 * its kind, and whether it is translated (COLUMN::LANGUAGE). */
typedef struct saola__xr_known {
	const char *name;
	int kind;
	int translated;
} saola__xr_known;

/* One named column of a sheet's header. */
typedef struct saola__xr_col {
	int col;            /* in the sheet, from 0 */
	int kind;           /* a table's kind, or SAOLA__XR_UNKNOWN */
	const char *header; /* as written, for messages (borrowed) */
	char *lang;         /* a translated column's language, NULL for none */
} saola__xr_col;

/* A sheet being read: its header, then one row at a time. */
typedef struct saola__xr_sheet {
	const char *name;       /* "survey", as messages name it */
	int sheet;              /* in the workbook; -1: not there */
	saola__xr_col *cols;    /* the named columns, left to right */
	int ncols;
	int *by_col;            /* a sheet column -> its index in cols, or -1 */
	int width;              /* entries of by_col */
	/* The current row (saola__xr_next_row): */
	int row;
	const char **vals;      /* by index in cols: the cell's text or NULL */
	int *touched;           /* indexes in cols with a cell, left to right */
	int ntouched;
} saola__xr_sheet;

/* A field made from a survey row: where it came from. */
typedef struct saola__xr_origin {
	json_t *field;
	int row;
} saola__xr_origin;

typedef struct saola__xr {
	saola__xlsx *x;
	saola__xr_sheet survey, choices, settings, notes;
	/* The default language: the settings' default_language, else the
	 * first language a column names (deflang_given 0). */
	char *deflang;
	int deflang_given;
	int deflang_used;       /* an inferred default placed some text */
	json_t *lists;          /* the choices' lists, in order (no saola_boolean) */
	json_t *list_rows;      /* a list name -> the row of its first choice */
	int has_boolean_list;
	/* The form's id when settings gives no form_id: the file's name, as
	 * ODK's tools take it (saola_xlsform_read; NULL from memory). */
	const char *default_id;
	saola__xr_origin *origins;
	size_t norigins, origins_cap;
	char *err;
	size_t errlen;
} saola__xr;

/* Formats the error into r->err (when not NULL) and returns rc. */
int saola__xr_fail(saola__xr *r, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* As saola__xr_fail, the message after "sheet!CELL: " of column index ci
 * (in s->cols; -1: the row's first column) of the current row. */
int saola__xr_fail_at(saola__xr *r, const saola__xr_sheet *s, int ci, int rc,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* "survey!H12" for row, col into buf (at least 300 bytes); returns buf. */
const char *saola__xr_ref(const saola__xr_sheet *s, int row, int col, char *buf);

/* Finds the sheet named name (case aside) and reads its header against
 * the table known (n entries). A sheet that is not there has no columns
 * and no rows. SAOLA_OK, or the error (a language column twice, one that
 * names no language, too many languages, out of memory). */
int saola__xr_sheet_open(saola__xr *r, saola__xr_sheet *s, const char *name,
                         const saola__xr_known *known, int n);
void saola__xr_sheet_close(saola__xr_sheet *s);

/* Moves to the next row that has text in a named column (skipping rows
 * whose cells are all empty or blank): 1, 0 past the last, or -1 after
 * saola__xr_fail (a column no table knows filled on that row). */
int saola__xr_next_row(saola__xr *r, saola__xr_sheet *s);

/* The index in s->cols of the untranslated column of kind, or -1. */
int saola__xr_col_of(const saola__xr_sheet *s, int kind);

/* SAOLA_OK when sheet s (named sheet) has columns of both kinds, else
 * the refusal naming the first one missing (its header name). */
int saola__xr_require_cols(saola__xr *r, const saola__xr_sheet *s, const char *sheet,
                           int kind1, const char *name1, int kind2, const char *name2);

/* The current row's text in the untranslated column of kind, or NULL
 * (none, or blank). */
const char *saola__xr_val(const saola__xr_sheet *s, int kind);

/* The same, with blanks around it trimmed, into a new string (free) in
 * *out, NULL for none. SAOLA_OK or SAOLA_NOMEM (after saola__xr_fail). */
int saola__xr_trimmed(saola__xr *r, const saola__xr_sheet *s, int kind, char **out);

/* The current row's texts of translated kind: NULL when it has none, a
 * string when only the column without a language has one, else an
 * object by language (the column without a language giving the default
 * language's). A new reference in *out. SAOLA_OK or the error. */
int saola__xr_texts(saola__xr *r, saola__xr_sheet *s, int kind, json_t **out);

/* A yes/no cell: 1 for yes/true/TRUE()/1, 0 for no/false/FALSE()/0 or
 * blank, -1 for anything else. */
int saola__xr_yes(const char *text);

/* Whether text is NULL or only blanks. */
int saola__xr_blank(const char *text);

/* The language of a header's text after "::" (the code in parentheses
 * when there is one: "English (en)" -> "en"), a new string (free), ""
 * when it names none; NULL when out of memory. */
char *saola__xr_lang(const char *text);

/* Open each sheet and read its header (a sheet not there reads empty). */
int saola__xr_survey_open(saola__xr *r);
int saola__xr_others_open(saola__xr *r);

/* The sheets: settings first (the default language), then choices, then
 * the survey, then saola_notes. */
int saola__xr_settings(saola__xr *r, json_t *def);
int saola__xr_choices(saola__xr *r);
int saola__xr_survey(saola__xr *r, json_t **fields);
int saola__xr_notes(saola__xr *r, json_t **notes);

/* Compiles def; a compile error that names a field is given with the
 * survey cell it comes from. */
int saola__xr_compile(saola__xr *r, json_t *def);

#endif /* SAOLA_XLSFORM_READ_INT_H */
