/* xlsform_write_util.c: the XLSForm writer's helpers: errors, the form's
 * languages and translated columns, and cells (xlsform_write_int.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola/core.h"
#include "xlsform_write_int.h"

int saola__xw_fail(saola__xw *w, int rc, const char *fmt, ...)
{
	va_list ap;

	if (w->err && w->errlen) {
		va_start(ap, fmt);
		vsnprintf(w->err, w->errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

char *saola__xw_scratch(saola__xw *w, size_t n)
{
	char *p;

	if (n <= w->scratch_cap)
		return w->scratch;
	p = realloc(w->scratch, n);
	if (!p)
		return NULL;
	w->scratch = p;
	w->scratch_cap = n;
	return p;
}

/* A language code becomes part of a header ("label::fr"), which the
 * reader splits at "::" and at parentheses: letters, digits, - and _
 * ("vi", "en", "zh-Hans") keep it whole. */
static int valid_lang(const char *code)
{
	const char *p;

	for (p = code; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return 0;
	return p > code && p - code <= 35;
}

int saola__xw_lang(saola__xw *w, const char *code, const char *where, int *idx)
{
	int i;

	for (i = 0; i < w->nlangs; i++)
		if (strcmp(w->langs[i], code) == 0) {
			*idx = i;
			return SAOLA_OK;
		}
	if (!valid_lang(code))
		return saola__xw_fail(w, SAOLA_INVALID, "%s: language \"%s\" cannot "
		                      "name a column (letters, digits, - and _)", where, code);
	if (w->nlangs == SAOLA__XW_LANGS_MAX)
		return saola__xw_fail(w, SAOLA_LIMIT, "%s: language \"%s\": more than "
		                      "%d languages", where, code, SAOLA__XW_LANGS_MAX);
	w->langs[w->nlangs] = code;
	*idx = w->nlangs++;
	return SAOLA_OK;
}

int saola__xw_scan_texts(saola__xw *w, json_t *v, saola__xw_texts *t, const char *where)
{
	const char *code;
	json_t *text;
	int i, rc;

	if (json_is_string(v)) {
		t->plain = 1;
		return SAOLA_OK;
	}
	if (!json_is_object(v))
		return saola__xw_fail(w, SAOLA_INVALID, "%s: expected a string or an "
		                      "object of strings by language", where);
	json_object_foreach(v, code, text) {
		if (!json_is_string(text))
			return saola__xw_fail(w, SAOLA_INVALID, "%s.%s: expected a string",
			                      where, code);
		if ((rc = saola__xw_lang(w, code, where, &i)) != SAOLA_OK)
			return rc;
		t->langs |= (uint64_t)1 << i;
		w->object_langs |= (uint64_t)1 << i;
	}
	return SAOLA_OK;
}

void saola__xw_resolve(const saola__xw *w, saola__xw_texts *t)
{
	t->plain_col = 0;
	t->plain_lang = -1;
	if (!t->plain)
		return;
	if (t->langs && w->deflang_idx >= 0) {
		/* Mixed: the plain strings are in the default language. */
		t->plain_lang = w->deflang_idx;
		t->langs |= (uint64_t)1 << w->deflang_idx;
	} else {
		t->plain_col = 1;
	}
}

/* The language indexes in header order: the default language first, then
 * the others by code. */
static int lang_order(const saola__xw *w, int *order)
{
	int i, j, n = 0;

	if (w->deflang_idx >= 0)
		order[n++] = w->deflang_idx;
	for (i = 0; i < w->nlangs; i++) {
		if (i == w->deflang_idx)
			continue;
		/* Insertion sort: a form has a handful of languages. */
		for (j = n; j > 0 && order[j - 1] != w->deflang_idx &&
		            strcmp(w->langs[order[j - 1]], w->langs[i]) > 0; j--)
			order[j] = order[j - 1];
		order[j] = i;
		n++;
	}
	return n;
}

int saola__xw_columns(const saola__xw *w, const saola__xw_texts *t, int *cols)
{
	int order[SAOLA__XW_LANGS_MAX];
	int i, n = 0, nl = lang_order(w, order);

	if (t->plain_col)
		cols[n++] = -1;
	for (i = 0; i < nl; i++)
		if (t->langs & ((uint64_t)1 << order[i]))
			cols[n++] = order[i];
	return n;
}

const char *saola__xw_text(const saola__xw *w, const saola__xw_texts *t, json_t *v, int lang)
{
	const char *s;

	if (json_is_string(v))
		return (lang < 0 ? t->plain_col : lang == t->plain_lang) ?
		       json_string_value(v) : "";
	if (lang < 0 || !json_is_object(v))
		return "";
	s = json_string_value(json_object_get(v, w->langs[lang]));
	return s ? s : "";
}

/* The name a language has in a header: the reader takes the code in
 * parentheses, a person reads the name. */
static const char *lang_name(const char *code)
{
	if (strcmp(code, "vi") == 0)
		return "Tiếng Việt (vi)";
	if (strcmp(code, "en") == 0)
		return "English (en)";
	return code;
}

const char *saola__xw_header_name(saola__xw *w, const char *base, int lang)
{
	const char *name;
	char *buf;
	size_t n;

	if (lang < 0)
		return base;
	name = lang_name(w->langs[lang]);
	n = strlen(base) + 2 + strlen(name) + 1;
	if (!(buf = saola__xw_scratch(w, n)))
		return NULL;
	snprintf(buf, n, "%s::%s", base, name);
	return buf;
}

lxw_worksheet *saola__xw_sheet(saola__xw *w, const char *name)
{
	lxw_worksheet *ws = workbook_add_worksheet(w->wb, name);

	if (!ws) {
		saola__xw_fail(w, SAOLA_NOMEM, "%s: cannot add the sheet: out of memory", name);
		return NULL;
	}
	/* The header stays in sight while a long survey scrolls. */
	worksheet_freeze_panes(ws, 1, 0);
	return ws;
}

/* A cell's error from libxlsxwriter, mapped to saola's codes. */
static int cell_error(saola__xw *w, const char *sheet, int row, int col, lxw_error e)
{
	char ref[32];

	lxw_rowcol_to_cell(ref, (lxw_row_t)row, (lxw_col_t)col);
	if (e == LXW_ERROR_MEMORY_MALLOC_FAILED)
		return saola__xw_fail(w, SAOLA_NOMEM, "%s!%s: out of memory", sheet, ref);
	if (e == LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE)
		return saola__xw_fail(w, SAOLA_LIMIT, "%s!%s: past the last row or "
		                      "column a sheet has", sheet, ref);
	return saola__xw_fail(w, SAOLA_IO, "%s!%s: %s", sheet, ref, lxw_strerror(e));
}

int saola__xw_header(saola__xw *w, lxw_worksheet *ws, const char *sheet, int col,
                     const char *text, double width)
{
	lxw_error e;

	if (!text)
		return saola__xw_fail(w, SAOLA_NOMEM, "%s: out of memory", sheet);
	e = worksheet_write_string(ws, 0, (lxw_col_t)col, text, w->bold);
	if (e == LXW_NO_ERROR)
		e = worksheet_set_column(ws, (lxw_col_t)col, (lxw_col_t)col, width, NULL);
	return e == LXW_NO_ERROR ? SAOLA_OK : cell_error(w, sheet, 0, col, e);
}

int saola__xw_put(saola__xw *w, lxw_worksheet *ws, const char *sheet, int row, int col,
                  const char *text)
{
	char ref[32];
	size_t n;
	lxw_error e;

	if (!text)
		return saola__xw_fail(w, SAOLA_NOMEM, "%s: out of memory", sheet);
	if (!*text)
		return SAOLA_OK;
	n = strlen(text);
	if (n > SAOLA__XW_CELL_MAX) {
		lxw_rowcol_to_cell(ref, (lxw_row_t)row, (lxw_col_t)col);
		return saola__xw_fail(w, SAOLA_LIMIT, "%s!%s: a text of %zu bytes is "
		                      "longer than a cell holds (%d)", sheet, ref, n,
		                      SAOLA__XW_CELL_MAX);
	}
	e = worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, text, NULL);
	return e == LXW_NO_ERROR ? SAOLA_OK : cell_error(w, sheet, row, col, e);
}
