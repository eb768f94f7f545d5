/* xlsform_read_sheet.c: the XLSForm import's sheets: headers found by
 * name (case and blanks aside), rows read one at a time visiting only the
 * cells there are, translated columns made into texts by language, and
 * errors that name the cell (xlsform_read_int.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "saola/core.h"
#include "xlsform_read_int.h"

int saola__xr_fail(saola__xr *r, int rc, const char *fmt, ...)
{
	va_list ap;

	if (r->err && r->errlen) {
		va_start(ap, fmt);
		vsnprintf(r->err, r->errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

const char *saola__xr_ref(const saola__xr_sheet *s, int row, int col, char *buf)
{
	char cell[16];

	snprintf(buf, 300, "%s!%s", s->name, saola__xlsx_ref(row, col, cell));
	return buf;
}

int saola__xr_fail_at(saola__xr *r, const saola__xr_sheet *s, int ci, int rc,
                      const char *fmt, ...)
{
	char ref[300];
	size_t n;
	va_list ap;
	int col = ci >= 0 && ci < s->ncols ? s->cols[ci].col :
	          s->ntouched ? s->cols[s->touched[0]].col : 0;

	if (!r->err || !r->errlen)
		return rc;
	snprintf(r->err, r->errlen, "%s: ", saola__xr_ref(s, s->row, col, ref));
	n = strlen(r->err);
	va_start(ap, fmt);
	vsnprintf(r->err + n, r->errlen - n, fmt, ap);
	va_end(ap);
	return rc;
}

static int is_blank_char(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int saola__xr_blank(const char *text)
{
	if (!text)
		return 1;
	while (is_blank_char(*text))
		text++;
	return *text == '\0';
}

/* A copy of text[0..n) without the blanks around it; NULL when out of
 * memory. */
static char *trim_copy(const char *text, size_t n)
{
	char *out;

	while (n && is_blank_char(*text))
		text++, n--;
	while (n && is_blank_char(text[n - 1]))
		n--;
	if (!(out = malloc(n + 1)))
		return NULL;
	memcpy(out, text, n);
	out[n] = '\0';
	return out;
}

char *saola__xr_lang(const char *text)
{
	char *t = trim_copy(text, strlen(text)), *open, *code;
	size_t n = t ? strlen(t) : 0;

	if (!t)
		return NULL;
	/* "English (en)": the code in parentheses; "en": the whole text. */
	if (n && t[n - 1] == ')' && (open = strrchr(t, '('))) {
		code = trim_copy(open + 1, (size_t)(t + n - 1 - (open + 1)));
		free(t);
		return code;
	}
	return t;
}

int saola__xr_yes(const char *text)
{
	static const char *const yes[] = {"yes", "true", "true()", "1"};
	static const char *const no[] = {"no", "false", "false()", "0"};
	char word[16];
	size_t i, n;

	if (saola__xr_blank(text))
		return 0;
	while (is_blank_char(*text))
		text++;
	for (n = 0; text[n] && n < sizeof word - 1; n++)
		word[n] = (char)(text[n] >= 'A' && text[n] <= 'Z' ? text[n] - 'A' + 'a' : text[n]);
	if (text[n] && !saola__xr_blank(text + n))
		return -1;
	while (n && is_blank_char(word[n - 1]))
		n--;
	word[n] = '\0';
	for (i = 0; i < sizeof yes / sizeof *yes; i++) {
		if (strcmp(word, yes[i]) == 0)
			return 1;
		if (strcmp(word, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Headers */

/* Where the language of header text starts: after "::", or after the
 * single ":" of older XLSForms ("label:English") when what comes before
 * it is a translated column's name (a ":" is part of other names:
 * jr:constraintMsg). NULL when the header has no language. */
static const char *language_sep(const char *text, size_t *seplen)
{
	static const char *const translated[] = {
		"label", "hint", "constraint_message", "required_message", "guidance_hint",
		"form_title", "saola_warning_message", "media", "image", "audio", "video",
	};
	const char *sep = strstr(text, "::"), *colon = strchr(text, ':');
	size_t i, k;

	*seplen = 2;
	if (sep || !colon)
		return sep;
	while (*text == ' ' || *text == '\t')
		text++;
	for (i = 0; i < sizeof translated / sizeof *translated; i++) {
		k = strlen(translated[i]);
		if ((size_t)(colon - text) == k && strncasecmp(text, translated[i], k) == 0) {
			*seplen = 1;
			return colon;
		}
	}
	return NULL;
}

/* The base of header text (before its language), lowercase, trimmed,
 * inner blanks as "_" ("List Name" -> "list_name"), into buf (n bytes);
 * *rest the language's text or NULL. 0 when the base does not fit. */
static int header_base(const char *text, char *buf, size_t n, const char **rest)
{
	size_t seplen;
	const char *sep = language_sep(text, &seplen);
	char *t = trim_copy(text, sep ? (size_t)(sep - text) : strlen(text));
	size_t i, len;
	int ok;

	*rest = sep ? sep + seplen : NULL;
	if (!t)
		return 0;
	len = strlen(t);
	if ((ok = len < n)) {
		for (i = 0; i < len; i++)
			buf[i] = (char)(t[i] >= 'A' && t[i] <= 'Z' ? t[i] - 'A' + 'a' :
			                is_blank_char(t[i]) ? '_' : t[i]);
		buf[len] = '\0';
	}
	free(t);
	return ok;
}

/* The kind and translation of base in known, or SAOLA__XR_UNKNOWN. */
static const saola__xr_known *find_known(const char *base, const saola__xr_known *known, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(base, known[i].name) == 0)
			return &known[i];
	return NULL;
}

/* A second column of the same kind and language is refused: which one
 * holds the text would be a guess. */
static int check_twice(saola__xr *r, saola__xr_sheet *s, const saola__xr_col *c)
{
	char ref[300], first[300];
	int i, nlangs = 0;

	if (c->kind == SAOLA__XR_UNKNOWN)
		return SAOLA_OK;
	for (i = 0; i < s->ncols; i++) {
		if (s->cols[i].kind != c->kind)
			continue;
		if (s->cols[i].lang)
			nlangs++;
		if ((s->cols[i].lang == NULL) != (c->lang == NULL) ||
		    (c->lang && strcmp(s->cols[i].lang, c->lang) != 0))
			continue;
		return saola__xr_fail(r, SAOLA_INVALID, "%s: \"%s\" is a second column of "
		                      "the same kind%s%s%s as %s (\"%s\")",
		                      saola__xr_ref(s, 0, c->col, ref), c->header,
		                      c->lang ? " and language (" : "", c->lang ? c->lang : "",
		                      c->lang ? ")" : "",
		                      saola__xr_ref(s, 0, s->cols[i].col, first), s->cols[i].header);
	}
	if (c->lang && nlangs >= SAOLA__XR_LANGS_MAX)
		return saola__xr_fail(r, SAOLA_LIMIT, "%s: \"%s\": more than %d languages",
		                      saola__xr_ref(s, 0, c->col, ref), c->header,
		                      SAOLA__XR_LANGS_MAX);
	return SAOLA_OK;
}

/* Makes column c of header text (at sheet column col); *skip when the
 * column is not one to read (a bookkeeping column of Kobo's, "$kuid"). */
static int make_col(saola__xr *r, saola__xr_sheet *s, int col, const char *text,
                    const saola__xr_known *known, int n, saola__xr_col *c, int *skip)
{
	char base[64], ref[300];
	const saola__xr_known *k;
	const char *rest;

	*skip = 0;
	memset(c, 0, sizeof *c);
	c->col = col;
	c->header = text;
	c->kind = SAOLA__XR_UNKNOWN;
	while (is_blank_char(*text))
		text++;
	if (*text == '$') {
		/* Kobo's own columns ($kuid, $autoname...): what its form
		 * builder keeps for itself, no part of the form. */
		*skip = 1;
		return SAOLA_OK;
	}
	if (!header_base(text, base, sizeof base, &rest))
		return SAOLA_OK; /* too long to be a known name */
	k = find_known(base, known, n);
	if (!k || (rest && !k->translated))
		return SAOLA_OK;
	c->kind = k->kind;
	if (!rest)
		return SAOLA_OK;
	if (!(c->lang = saola__xr_lang(rest)))
		return saola__xr_fail(r, SAOLA_NOMEM, "%s: out of memory", s->name);
	if (!*c->lang)
		return saola__xr_fail(r, SAOLA_INVALID, "%s: \"%s\" names no language",
		                      saola__xr_ref(s, 0, col, ref), c->header);
	return SAOLA_OK;
}

/* Reads row 0: one entry in s->cols for each column with a header. */
static int read_header(saola__xr *r, saola__xr_sheet *s, const saola__xr_known *known, int n)
{
	const char *text;
	int row = 0, col = 0, skip, rc;

	while (saola__xlsx_next(r->x, s->sheet, &row, &col) && row == 0) {
		text = saola__xlsx_cell(r->x, s->sheet, row, col);
		if (!saola__xr_blank(text) && col < s->width) {
			saola__xr_col *c = &s->cols[s->ncols];

			rc = make_col(r, s, col, text, known, n, c, &skip);
			if (rc == SAOLA_OK && !skip)
				rc = check_twice(r, s, c);
			if (rc != SAOLA_OK) {
				free(c->lang);
				return rc;
			}
			if (!skip)
				s->by_col[col] = s->ncols++;
		}
		col++;
	}
	return SAOLA_OK;
}

int saola__xr_sheet_open(saola__xr *r, saola__xr_sheet *s, const char *name,
                         const saola__xr_known *known, int n)
{
	int i;

	memset(s, 0, sizeof *s);
	s->name = name;
	s->row = 0;
	s->sheet = saola__xlsx_find_sheet(r->x, name);
	if (s->sheet < 0)
		return SAOLA_OK;
	s->width = saola__xlsx_ncols(r->x, s->sheet);
	if (s->width <= 0)
		return SAOLA_OK;
	/* One of each per column of the sheet: a few hundred kB at most. */
	s->by_col = malloc((size_t)s->width * sizeof *s->by_col);
	s->cols = calloc((size_t)s->width, sizeof *s->cols);
	s->vals = calloc((size_t)s->width, sizeof *s->vals);
	s->touched = malloc((size_t)s->width * sizeof *s->touched);
	if (!s->by_col || !s->cols || !s->vals || !s->touched)
		return saola__xr_fail(r, SAOLA_NOMEM, "%s: out of memory", name);
	for (i = 0; i < s->width; i++)
		s->by_col[i] = -1;
	return read_header(r, s, known, n);
}

void saola__xr_sheet_close(saola__xr_sheet *s)
{
	int i;

	for (i = 0; i < s->ncols; i++)
		free(s->cols[i].lang);
	free(s->cols);
	free(s->by_col);
	free(s->vals);
	free(s->touched);
	memset(s, 0, sizeof *s);
	s->sheet = -1;
}

/* ------------------------------------------------------------------ */
/* Rows */

/* Loads row's cells in named columns that hold text. */
static void load_row(saola__xr *r, saola__xr_sheet *s, int row)
{
	const char *text;
	int col = 0, at = row, ci;

	s->row = row;
	while (saola__xlsx_next(r->x, s->sheet, &at, &col) && at == row) {
		ci = col < s->width ? s->by_col[col] : -1;
		text = saola__xlsx_cell(r->x, s->sheet, at, col);
		if (ci >= 0 && !saola__xr_blank(text)) {
			s->vals[ci] = text;
			s->touched[s->ntouched++] = ci;
		}
		col++;
	}
}

int saola__xr_next_row(saola__xr *r, saola__xr_sheet *s)
{
	int i, row, col;

	if (s->sheet < 0 || s->ncols == 0)
		return 0;
	for (i = 0; i < s->ntouched; i++)
		s->vals[s->touched[i]] = NULL;
	s->ntouched = 0;
	row = s->row + 1;
	col = 0;
	while (s->ntouched == 0) {
		if (!saola__xlsx_next(r->x, s->sheet, &row, &col))
			return 0;
		load_row(r, s, row);
		row++;
		col = 0;
	}
	/* Never dropped: a column saola has no place for is refused where it
	 * is used, and only there (an empty column is no feature). */
	for (i = 0; i < s->ntouched; i++)
		if (s->cols[s->touched[i]].kind == SAOLA__XR_UNKNOWN) {
			saola__xr_fail_at(r, s, s->touched[i], SAOLA_INVALID, "%s is not supported",
			                  s->cols[s->touched[i]].header);
			return -1;
		}
	return 1;
}

int saola__xr_col_of(const saola__xr_sheet *s, int kind)
{
	int i;

	for (i = 0; i < s->ncols; i++)
		if (s->cols[i].kind == kind && !s->cols[i].lang)
			return i;
	return -1;
}

int saola__xr_require_cols(saola__xr *r, const saola__xr_sheet *s, const char *sheet,
                           int kind1, const char *name1, int kind2, const char *name2)
{
	const char *missing = saola__xr_col_of(s, kind1) < 0 ? name1
	                      : saola__xr_col_of(s, kind2) < 0 ? name2 : NULL;

	if (!missing)
		return SAOLA_OK;
	return saola__xr_fail(r, SAOLA_INVALID, "%s: no \"%s\" column in the header (row 1)",
	                      sheet, missing);
}

const char *saola__xr_val(const saola__xr_sheet *s, int kind)
{
	int i = saola__xr_col_of(s, kind);

	return i < 0 ? NULL : s->vals[i];
}

int saola__xr_trimmed(saola__xr *r, const saola__xr_sheet *s, int kind, char **out)
{
	const char *text = saola__xr_val(s, kind);

	*out = NULL;
	if (!text)
		return SAOLA_OK;
	if (!(*out = trim_copy(text, strlen(text))))
		return saola__xr_fail(r, SAOLA_NOMEM, "%s: out of memory", s->name);
	return SAOLA_OK;
}

/* The text of the column without a language joins the object under the
 * default language; the same text in that language's column too is
 * fine, another is refused (which one is meant would be a guess). */
static int put_plain(saola__xr *r, saola__xr_sheet *s, int ci, json_t *obj)
{
	json_t *have, *text;

	if (!r->deflang)
		return saola__xr_fail_at(r, s, ci, SAOLA_INVALID, "%s beside columns by "
		                         "language: settings need a default_language",
		                         s->cols[ci].header);
	if (!r->deflang_given)
		r->deflang_used = 1;
	have = json_object_get(obj, r->deflang);
	if (have) {
		if (strcmp(json_string_value(have), s->vals[ci]) == 0)
			return SAOLA_OK;
		return saola__xr_fail_at(r, s, ci, SAOLA_INVALID, "%s gives the default "
		                         "language's (%s) text, and its column gives another",
		                         s->cols[ci].header, r->deflang);
	}
	if (!(text = json_string(s->vals[ci])) || json_object_set_new(obj, r->deflang, text))
		return saola__xr_fail(r, SAOLA_NOMEM, "%s: out of memory", s->name);
	return SAOLA_OK;
}

int saola__xr_texts(saola__xr *r, saola__xr_sheet *s, int kind, json_t **out)
{
	int i, ci, plain = -1, rc = SAOLA_OK;
	json_t *obj = NULL;

	*out = NULL;
	for (i = 0; i < s->ntouched; i++) {
		ci = s->touched[i];
		if (s->cols[ci].kind != kind)
			continue;
		if (!s->cols[ci].lang) {
			plain = ci;
			continue;
		}
		if (!obj && !(obj = json_object()))
			return saola__xr_fail(r, SAOLA_NOMEM, "%s: out of memory", s->name);
		if (json_object_set_new(obj, s->cols[ci].lang, json_string(s->vals[ci]))) {
			json_decref(obj);
			return saola__xr_fail(r, SAOLA_NOMEM, "%s: out of memory", s->name);
		}
	}
	/* Only the column without a language: a plain string, as the writer
	 * writes a text that is not by language. */
	if (!obj) {
		if (plain >= 0 && !(*out = json_string(s->vals[plain])))
			return saola__xr_fail(r, SAOLA_NOMEM, "%s: out of memory", s->name);
		return SAOLA_OK;
	}
	if (plain >= 0)
		rc = put_plain(r, s, plain, obj);
	if (rc != SAOLA_OK) {
		json_decref(obj);
		return rc;
	}
	*out = obj;
	return SAOLA_OK;
}
