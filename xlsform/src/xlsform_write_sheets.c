/* xlsform_write_sheets.c: the XLSForm writer's other sheets: choices
 * (with saola's yes/no list for booleans), settings and saola_notes
 * (docs/forms.md, "XLSForm"). */
#include <stdio.h>
#include <string.h>

#include "saola/core.h"
#include "xlsform_write_int.h"

/* The list a boolean is written as a select_one of. */
#define BOOLEAN_LIST "saola_boolean"

/* ------------------------------------------------------------------ */
/* choices */

/* A list name goes in a type cell after a space ("select_one area"),
 * which the reader splits at spaces. */
static int valid_list_name(const char *name)
{
	return *name && !strpbrk(name, " \t\r\n");
}

static int scan_choice(saola__xw *w, json_t *item, const char *list, size_t i)
{
	char where[512];
	const char *key;
	json_t *v;
	int rc;

	snprintf(where, sizeof where, "choices.%s[%zu]", list, i);
	if (!json_is_object(item))
		return saola__xw_fail(w, SAOLA_INVALID, "%s: expected an object", where);
	if (!json_is_string(json_object_get(item, "value")))
		return saola__xw_fail(w, SAOLA_INVALID, "%s.value: expected a string", where);
	json_object_foreach(item, key, v) {
		if (strcmp(key, "value") == 0)
			continue;
		if (strcmp(key, "label") != 0)
			return saola__xw_fail(w, SAOLA_INVALID, "%s.%s: unknown property: "
			                      "no XLSForm column holds it", where, key);
		snprintf(where + strlen(where), sizeof where - strlen(where), ".label");
		if ((rc = saola__xw_scan_texts(w, v, &w->choice_labels, where)) != SAOLA_OK)
			return rc;
	}
	return SAOLA_OK;
}

int saola__xw_choices_scan(saola__xw *w, json_t *choices)
{
	const char *name;
	json_t *list, *item;
	size_t i;
	int rc;

	if (!choices)
		return SAOLA_OK;
	if (!json_is_object(choices))
		return saola__xw_fail(w, SAOLA_INVALID, "choices: expected an object of lists");
	json_object_foreach(choices, name, list) {
		/* The reader turns every select_one of this list into a boolean. */
		if (strcmp(name, BOOLEAN_LIST) == 0)
			return saola__xw_fail(w, SAOLA_INVALID, "choices.%s: the name is "
			                      "saola's own list for booleans in an XLSForm; "
			                      "rename the list", name);
		if (!valid_list_name(name))
			return saola__xw_fail(w, SAOLA_INVALID, "choices.\"%s\": a list "
			                      "name cannot be empty or have spaces (the type "
			                      "column reads \"select_one LIST\")", name);
		if (!json_is_array(list))
			return saola__xw_fail(w, SAOLA_INVALID, "choices.%s: expected an array",
			                      name);
		json_array_foreach(list, i, item)
			if ((rc = scan_choice(w, item, name, i)) != SAOLA_OK)
				return rc;
	}
	return SAOLA_OK;
}

void saola__xw_choices_boolean(saola__xw *w)
{
	if (!w->has_boolean)
		return;
	/* Its labels in every language the form has; a form of plain strings
	 * gets plain ones. */
	if (w->object_langs)
		w->choice_labels.langs |= w->object_langs;
	else
		w->choice_labels.plain = 1;
}

/* "Yes"/"No" in language code (English for one saola has no words in). */
static const char *yes_no(const char *code, int yes)
{
	if (code && strcmp(code, "vi") == 0)
		return yes ? "Có" : "Không";
	return yes ? "Yes" : "No";
}

static int write_boolean_list(saola__xw *w, lxw_worksheet *ws, const int *langs, int nl,
                              int row)
{
	const char *label;
	int yes, i, rc;

	for (yes = 1; yes >= 0; yes--, row++) {
		if ((rc = saola__xw_put(w, ws, "choices", row, 0, BOOLEAN_LIST)) != SAOLA_OK ||
		    (rc = saola__xw_put(w, ws, "choices", row, 1, yes ? "true" : "false")) != SAOLA_OK)
			return rc;
		for (i = 0; i < nl; i++) {
			label = yes_no(langs[i] < 0 ? w->deflang : w->langs[langs[i]], yes);
			if ((rc = saola__xw_put(w, ws, "choices", row, 2 + i, label)) != SAOLA_OK)
				return rc;
		}
	}
	return SAOLA_OK;
}

static int write_choice(saola__xw *w, lxw_worksheet *ws, const int *langs, int nl,
                        const char *list, json_t *item, int row)
{
	json_t *label = json_object_get(item, "label");
	int i, rc;

	if ((rc = saola__xw_put(w, ws, "choices", row, 0, list)) != SAOLA_OK ||
	    (rc = saola__xw_put(w, ws, "choices", row, 1,
	                        json_string_value(json_object_get(item, "value")))) != SAOLA_OK)
		return rc;
	for (i = 0; i < nl; i++) {
		rc = saola__xw_put(w, ws, "choices", row, 2 + i,
		                   saola__xw_text(w, &w->choice_labels, label, langs[i]));
		if (rc != SAOLA_OK)
			return rc;
	}
	return SAOLA_OK;
}

int saola__xw_choices_write(saola__xw *w)
{
	lxw_worksheet *ws = saola__xw_sheet(w, "choices");
	int langs[SAOLA__XW_LANGS_MAX + 1];
	const char *name;
	json_t *list, *item;
	size_t j;
	int nl, i, row = 1, rc;

	if (!ws)
		return SAOLA_NOMEM;
	nl = saola__xw_columns(w, &w->choice_labels, langs);
	if ((rc = saola__xw_header(w, ws, "choices", 0, "list_name", 20)) != SAOLA_OK ||
	    (rc = saola__xw_header(w, ws, "choices", 1, "name", 24)) != SAOLA_OK)
		return rc;
	for (i = 0; i < nl; i++)
		if ((rc = saola__xw_header(w, ws, "choices", 2 + i,
		                           saola__xw_header_name(w, "label", langs[i]), 40)) != SAOLA_OK)
			return rc;
	json_object_foreach(json_object_get(w->def, "choices"), name, list)
		json_array_foreach(list, j, item)
			if ((rc = write_choice(w, ws, langs, nl, name, item, row++)) != SAOLA_OK)
				return rc;
	return w->has_boolean ? write_boolean_list(w, ws, langs, nl, row) : SAOLA_OK;
}

/* ------------------------------------------------------------------ */
/* settings */

/* Writes one setting (header and value) in column *col, if value is a
 * string; *col moves past it. */
static int put_setting(saola__xw *w, lxw_worksheet *ws, int *col, const char *header,
                       json_t *value, double width)
{
	int rc;

	if (!json_is_string(value))
		return SAOLA_OK;
	if ((rc = saola__xw_header(w, ws, "settings", *col, header, width)) != SAOLA_OK)
		return rc;
	return saola__xw_put(w, ws, "settings", 1, (*col)++, json_string_value(value));
}

/* form_title: ODK-family tools show the column without "::", so it holds
 * the default language's title; the others are form_title::LANG (a title
 * object without the default language has only those). */
static int put_title(saola__xw *w, lxw_worksheet *ws, int *col)
{
	json_t *title = json_object_get(w->def, "title");
	saola__xw_texts t = {0};
	int langs[SAOLA__XW_LANGS_MAX + 1];
	const char *header;
	int i, n, rc;

	if (!json_is_object(title))
		return put_setting(w, ws, col, "form_title", title, 40);
	t.langs = w->title.langs;
	n = saola__xw_columns(w, &t, langs);
	for (i = 0; i < n; i++) {
		header = langs[i] == w->deflang_idx ? "form_title" :
		         saola__xw_header_name(w, "form_title", langs[i]);
		rc = put_setting(w, ws, col, header,
		                 json_object_get(title, w->langs[langs[i]]), 40);
		if (rc != SAOLA_OK)
			return rc;
	}
	return SAOLA_OK;
}

int saola__xw_settings_write(saola__xw *w)
{
	lxw_worksheet *ws = saola__xw_sheet(w, "settings");
	json_t *d = w->def;
	int col = 0, rc;

	if (!ws)
		return SAOLA_NOMEM;
	if ((rc = put_setting(w, ws, &col, "form_id", json_object_get(d, "id"), 20)) != SAOLA_OK ||
	    (rc = put_setting(w, ws, &col, "version", json_object_get(d, "version"), 12)) != SAOLA_OK ||
	    (rc = put_title(w, ws, &col)) != SAOLA_OK ||
	    (rc = put_setting(w, ws, &col, "default_language",
	                      json_object_get(d, "default_language"), 18)) != SAOLA_OK ||
	    (rc = put_setting(w, ws, &col, "saola_standard",
	                      json_object_get(d, "standard"), 18)) != SAOLA_OK)
		return rc;
	return put_setting(w, ws, &col, "saola_standard_year_field",
	                   json_object_get(d, "standard_year_field"), 26);
}

/* ------------------------------------------------------------------ */
/* saola_notes */

int saola__xw_notes_scan(saola__xw *w, json_t *notes)
{
	const char *name;
	json_t *text;

	if (!notes)
		return SAOLA_OK;
	if (!json_is_object(notes))
		return saola__xw_fail(w, SAOLA_INVALID, "notes: expected an object of "
		                      "texts by name (the saola_notes sheet)");
	json_object_foreach(notes, name, text)
		if (!json_is_string(text))
			return saola__xw_fail(w, SAOLA_INVALID, "notes.%s: expected a string",
			                      name);
	return SAOLA_OK;
}

int saola__xw_notes_write(saola__xw *w)
{
	json_t *notes = json_object_get(w->def, "notes"), *text;
	lxw_worksheet *ws;
	const char *name;
	int row = 1, rc;

	if (json_object_size(notes) == 0)
		return SAOLA_OK;
	if (!(ws = saola__xw_sheet(w, "saola_notes")))
		return SAOLA_NOMEM;
	if ((rc = saola__xw_header(w, ws, "saola_notes", 0, "name", 24)) != SAOLA_OK ||
	    (rc = saola__xw_header(w, ws, "saola_notes", 1, "note", 100)) != SAOLA_OK)
		return rc;
	json_object_foreach(notes, name, text) {
		if ((rc = saola__xw_put(w, ws, "saola_notes", row, 0, name)) != SAOLA_OK ||
		    (rc = saola__xw_put(w, ws, "saola_notes", row, 1, json_string_value(text))) != SAOLA_OK)
			return rc;
		row++;
	}
	return SAOLA_OK;
}
