/* xlsform_read_sheets.c: the XLSForm import's other sheets: settings
 * (the form's id, version, title, default language and standard),
 * choices (the lists, saola_boolean set apart) and saola_notes
 * (docs/forms.md, "XLSForm"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola/core.h"
#include "xlsform_read_int.h"

/* The list a boolean is written as a select_one of (the writer's). */
#define BOOLEAN_LIST "saola_boolean"

enum { SET_ID, SET_VERSION, SET_TITLE, SET_LANG, SET_STANDARD, SET_YEAR };
enum { CH_LIST, CH_NAME, CH_LABEL };
enum { NOTE_NAME, NOTE_TEXT };

static const saola__xr_known settings_known[] = {
	{"form_id", SET_ID, 0},
	{"version", SET_VERSION, 0},
	{"form_title", SET_TITLE, 1},
	{"default_language", SET_LANG, 0},
	{"saola_standard", SET_STANDARD, 0},
	{"saola_standard_year_field", SET_YEAR, 0},
	{"id_string", SET_ID, 0}, /* pyxform's own name for form_id */
};

static const saola__xr_known choices_known[] = {
	{"list_name", CH_LIST, 0},
	{"name", CH_NAME, 0},
	{"label", CH_LABEL, 1},
	{"value", CH_NAME, 0},
};

static const saola__xr_known notes_known[] = {
	{"name", NOTE_NAME, 0},
	{"note", NOTE_TEXT, 0},
};

#define COUNT(a) ((int)(sizeof a / sizeof *a))

int saola__xr_others_open(saola__xr *r)
{
	int rc;

	if ((rc = saola__xr_sheet_open(r, &r->settings, "settings", settings_known,
	                               COUNT(settings_known))) != SAOLA_OK ||
	    (rc = saola__xr_sheet_open(r, &r->choices, "choices", choices_known,
	                               COUNT(choices_known))) != SAOLA_OK)
		return rc;
	return saola__xr_sheet_open(r, &r->notes, "saola_notes", notes_known, COUNT(notes_known));
}

static int nomem(saola__xr *r, const char *sheet)
{
	return saola__xr_fail(r, SAOLA_NOMEM, "%s: out of memory", sheet);
}

/* ------------------------------------------------------------------ */
/* settings */

/* Without a default_language, the first language a column names is the
 * default (the survey's, then the choices', then the settings'): a text
 * in a column without one, beside columns by language, is in it. */
static int infer_deflang(saola__xr *r)
{
	const saola__xr_sheet *sheets[3] = {&r->survey, &r->choices, &r->settings};
	int i, c;

	for (i = 0; i < 3; i++)
		for (c = 0; c < sheets[i]->ncols; c++)
			if (sheets[i]->cols[c].lang) {
				if (!(r->deflang = strdup(sheets[i]->cols[c].lang)))
					return nomem(r, "settings");
				return SAOLA_OK;
			}
	return SAOLA_OK;
}

/* Sets def[key] to the trimmed cell of kind (a string even when Excel
 * stored a number: version 2024 reads "2024"). */
static int put_setting(saola__xr *r, json_t *def, const char *key, int kind)
{
	char *text;
	int rc = saola__xr_trimmed(r, &r->settings, kind, &text);

	if (rc == SAOLA_OK && text && json_object_set_new(def, key, json_string(text)) != 0)
		rc = nomem(r, "settings");
	free(text);
	return rc;
}

/* The default language, as a code ("English (en)" -> "en"). */
static int read_deflang(saola__xr *r)
{
	const char *text = saola__xr_val(&r->settings, SET_LANG);

	if (!text)
		return infer_deflang(r);
	if (!(r->deflang = saola__xr_lang(text)))
		return nomem(r, "settings");
	r->deflang_given = 1;
	return SAOLA_OK;
}

/* Only the first row under the header is the settings; another is
 * refused rather than ignored. */
static int no_second_row(saola__xr *r)
{
	int more = saola__xr_next_row(r, &r->settings);

	if (more < 0)
		return SAOLA_INVALID;
	if (more)
		return saola__xr_fail_at(r, &r->settings, -1, SAOLA_INVALID, "a second row "
		                         "of settings (the first under the header is the "
		                         "form's)");
	return SAOLA_OK;
}

int saola__xr_settings(saola__xr *r, json_t *def)
{
	int more = saola__xr_next_row(r, &r->settings), rc;
	json_t *title;

	if (more < 0)
		return SAOLA_INVALID;
	if ((rc = read_deflang(r)) != SAOLA_OK)
		return rc;
	if (!more || !saola__xr_val(&r->settings, SET_ID)) {
		if (!r->default_id)
			return saola__xr_fail(r, SAOLA_INVALID, "settings: form_id is required "
			                      "(the form's id, in the first row under the header)");
		if (json_object_set_new(def, "id", json_string(r->default_id)) != 0)
			return nomem(r, "settings");
		if (!more)
			return SAOLA_OK;
	} else if ((rc = put_setting(r, def, "id", SET_ID)) != SAOLA_OK) {
		return rc;
	}
	if ((rc = put_setting(r, def, "version", SET_VERSION)) != SAOLA_OK ||
	    (rc = saola__xr_texts(r, &r->settings, SET_TITLE, &title)) != SAOLA_OK)
		return rc;
	if (title && json_object_set_new(def, "title", title) != 0)
		return nomem(r, "settings");
	if ((rc = put_setting(r, def, "standard", SET_STANDARD)) != SAOLA_OK ||
	    (rc = put_setting(r, def, "standard_year_field", SET_YEAR)) != SAOLA_OK)
		return rc;
	return no_second_row(r);
}

/* ------------------------------------------------------------------ */
/* choices */

/* The saola_boolean list: exactly the values true and false (bits of
 * *seen), each once; its labels are the writer's, not the form's. */
static int boolean_choice(saola__xr *r, saola__xr_sheet *s, const char *value, int *seen)
{
	int bit = strcmp(value, "true") == 0 ? 1 : strcmp(value, "false") == 0 ? 2 : 0;

	if (!bit || (*seen & bit))
		return saola__xr_fail_at(r, s, saola__xr_col_of(s, CH_NAME), SAOLA_INVALID,
		                         "%s: \"%s\"%s: its values are true and false, once "
		                         "each", BOOLEAN_LIST, value, bit ? " again" : "");
	*seen |= bit;
	return SAOLA_OK;
}

/* The list named list (made at its first choice), and the set of its
 * values so far (in seen: list -> {value: row}). */
static int list_of(saola__xr *r, json_t *seen, const char *list, json_t **items,
                   json_t **values)
{
	*items = json_object_get(r->lists, list);
	*values = json_object_get(seen, list);
	if (*items)
		return SAOLA_OK;
	if (json_object_set_new(r->lists, list, json_array()) != 0 ||
	    json_object_set_new(seen, list, json_object()) != 0)
		return nomem(r, "choices");
	*items = json_object_get(r->lists, list);
	*values = json_object_get(seen, list);
	return *items && *values ? SAOLA_OK : nomem(r, "choices");
}

static int add_choice(saola__xr *r, saola__xr_sheet *s, json_t *seen, const char *list,
                      const char *value)
{
	json_t *items, *values, *item, *label, *first;
	char ref[300];
	int rc;

	if ((rc = list_of(r, seen, list, &items, &values)) != SAOLA_OK)
		return rc;
	if ((first = json_object_get(values, value)))
		return saola__xr_fail_at(r, s, saola__xr_col_of(s, CH_NAME), SAOLA_INVALID,
		                         "list %s has \"%s\" twice (first at %s)", list, value,
		                         saola__xr_ref(s, (int)json_integer_value(first),
		                                       s->cols[saola__xr_col_of(s, CH_NAME)].col,
		                                       ref));
	if (json_object_set_new(values, value, json_integer(s->row)) != 0 ||
	    !(item = json_object()) || json_array_append_new(items, item) != 0 ||
	    json_object_set_new(item, "value", json_string(value)) != 0)
		return nomem(r, "choices");
	if ((rc = saola__xr_texts(r, s, CH_LABEL, &label)) != SAOLA_OK)
		return rc;
	if (label && json_object_set_new(item, "label", label) != 0)
		return nomem(r, "choices");
	return SAOLA_OK;
}

/* One row: its list's name and its value, both required. */
static int choice_row(saola__xr *r, saola__xr_sheet *s, json_t *seen, int *boolean_seen)
{
	char *list = NULL, *value = NULL;
	int rc;

	if ((rc = saola__xr_trimmed(r, s, CH_LIST, &list)) != SAOLA_OK ||
	    (rc = saola__xr_trimmed(r, s, CH_NAME, &value)) != SAOLA_OK)
		goto out;
	if (!list)
		rc = saola__xr_fail_at(r, s, saola__xr_col_of(s, CH_LIST), SAOLA_INVALID,
		                       "a choice without its list_name");
	else if (strpbrk(list, " \t\r\n"))
		rc = saola__xr_fail_at(r, s, saola__xr_col_of(s, CH_LIST), SAOLA_INVALID,
		                       "list name \"%s\" has a blank (the survey's type "
		                       "reads \"select_one LIST\")", list);
	else if (!value)
		rc = saola__xr_fail_at(r, s, saola__xr_col_of(s, CH_NAME), SAOLA_INVALID,
		                       "a choice of list %s without its name (value)", list);
	else if (strcmp(list, BOOLEAN_LIST) == 0)
		rc = boolean_choice(r, s, value, boolean_seen);
	else
		rc = add_choice(r, s, seen, list, value);
out:
	free(list);
	free(value);
	return rc;
}

static int check_choices_header(saola__xr *r, saola__xr_sheet *s)
{
	if (s->ncols == 0)
		return SAOLA_OK; /* no lists: a select names one that is not there */
	return saola__xr_require_cols(r, s, "choices", CH_LIST, "list_name", CH_NAME, "name");
}

int saola__xr_choices(saola__xr *r)
{
	saola__xr_sheet *s = &r->choices;
	json_t *seen = json_object();
	int more, rc, boolean_seen = 0, boolean_row = 0;

	if (!seen || !(r->lists = json_object())) {
		json_decref(seen);
		return nomem(r, "choices");
	}
	rc = check_choices_header(r, s);
	while (rc == SAOLA_OK && (more = saola__xr_next_row(r, s)) != 0) {
		if (more < 0) {
			rc = SAOLA_INVALID;
			break;
		}
		if (!boolean_seen)
			boolean_row = s->row;
		rc = choice_row(r, s, seen, &boolean_seen);
	}
	json_decref(seen);
	if (rc != SAOLA_OK)
		return rc;
	if (boolean_seen && boolean_seen != 3) {
		s->row = boolean_row;
		return saola__xr_fail_at(r, s, saola__xr_col_of(s, CH_LIST), SAOLA_INVALID,
		                         "%s: its values are true and false, and it lacks %s",
		                         BOOLEAN_LIST, boolean_seen == 1 ? "false" : "true");
	}
	r->has_boolean_list = boolean_seen == 3;
	return SAOLA_OK;
}

/* ------------------------------------------------------------------ */
/* saola_notes */

static int note_row(saola__xr *r, saola__xr_sheet *s, json_t *notes)
{
	const char *text = saola__xr_val(s, NOTE_TEXT);
	char *name;
	int rc = saola__xr_trimmed(r, s, NOTE_NAME, &name);

	if (rc != SAOLA_OK)
		return rc;
	if (!name)
		rc = saola__xr_fail_at(r, s, saola__xr_col_of(s, NOTE_NAME), SAOLA_INVALID,
		                       "a note without its name");
	else if (json_object_get(notes, name))
		rc = saola__xr_fail_at(r, s, saola__xr_col_of(s, NOTE_NAME), SAOLA_INVALID,
		                       "a second note \"%s\"", name);
	else if (json_object_set_new(notes, name, json_string(text ? text : "")) != 0)
		rc = nomem(r, "saola_notes");
	free(name);
	return rc;
}

int saola__xr_notes(saola__xr *r, json_t **out)
{
	saola__xr_sheet *s = &r->notes;
	json_t *notes;
	int more, rc = SAOLA_OK;

	*out = NULL;
	if (s->ncols && saola__xr_col_of(s, NOTE_NAME) < 0)
		return saola__xr_fail(r, SAOLA_INVALID, "saola_notes: no \"name\" column in "
		                      "the header (row 1)");
	if (!(notes = json_object()))
		return nomem(r, "saola_notes");
	while (rc == SAOLA_OK && (more = saola__xr_next_row(r, s)) != 0)
		rc = more < 0 ? SAOLA_INVALID : note_row(r, s, notes);
	if (rc != SAOLA_OK || json_object_size(notes) == 0) {
		json_decref(notes);
		return rc;
	}
	*out = notes;
	return SAOLA_OK;
}
