/* xlsform_write.c: saola_xlsform_write, a form definition written as an
 * XLSForm with libxlsxwriter: the definition checked and scanned, then
 * the survey, choices, settings and saola_notes sheets written to a
 * temporary file renamed into place (docs/forms.md, "XLSForm"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola/xlsform.h"
#include "saola_shared.h"
#include "xlsform_write_int.h"

/* The properties of a form that the workbook has a place for. Any other
 * is refused, never dropped: text_max_length and comment_max_length have
 * no settings column (docs/forms.md, "settings"). */
static const char *const top_keys[] = {
	"id", "version", "title", "default_language", "standard",
	"standard_year_field", "notes", "choices", "fields",
};

static int known_top_key(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof top_keys / sizeof *top_keys; i++)
		if (strcmp(key, top_keys[i]) == 0)
			return 1;
	return 0;
}

/* The settings that are strings when given. */
static int scan_settings(saola__xw *w)
{
	static const char *const names[] = {
		"version", "default_language", "standard", "standard_year_field",
	};
	json_t *id = json_object_get(w->def, "id"), *v;
	size_t i;

	if (!json_is_string(id) || json_string_length(id) == 0)
		return saola__xw_fail(w, SAOLA_INVALID, "id: expected a non-empty string");
	for (i = 0; i < sizeof names / sizeof *names; i++) {
		v = json_object_get(w->def, names[i]);
		if (v && !json_is_string(v))
			return saola__xw_fail(w, SAOLA_INVALID, "%s: expected a string", names[i]);
	}
	w->deflang = json_string_value(json_object_get(w->def, "default_language"));
	w->deflang_idx = -1;
	if (w->deflang)
		return saola__xw_lang(w, w->deflang, "default_language", &w->deflang_idx);
	return SAOLA_OK;
}

/* Checks the whole definition and notes the columns and languages the
 * workbook needs (xlsform_write_int.h). */
static int scan(saola__xw *w)
{
	json_t *fields, *v;
	const char *key;
	int k, rc;

	if (!json_is_object(w->def))
		return saola__xw_fail(w, SAOLA_INVALID, "definition: expected a JSON "
		                      "object (a form)");
	json_object_foreach(w->def, key, v)
		if (!known_top_key(key))
			return saola__xw_fail(w, SAOLA_INVALID, "%s: unknown property: the "
			                      "XLSForm has no place for it", key);
	if ((rc = scan_settings(w)) != SAOLA_OK)
		return rc;
	v = json_object_get(w->def, "title");
	if (v && (rc = saola__xw_scan_texts(w, v, &w->title, "title")) != SAOLA_OK)
		return rc;
	if ((rc = saola__xw_notes_scan(w, json_object_get(w->def, "notes"))) != SAOLA_OK ||
	    (rc = saola__xw_choices_scan(w, json_object_get(w->def, "choices"))) != SAOLA_OK)
		return rc;
	fields = json_object_get(w->def, "fields");
	if (!json_is_array(fields) || json_array_size(fields) == 0)
		return saola__xw_fail(w, SAOLA_INVALID, "fields: expected a non-empty array");
	if ((rc = saola__xw_survey_scan(w, fields, "")) != SAOLA_OK)
		return rc;
	/* Every language is known now: saola_boolean's labels need them all. */
	saola__xw_choices_boolean(w);
	for (k = 0; k < SAOLA__XW_NKINDS; k++)
		saola__xw_resolve(w, &w->texts[k]);
	saola__xw_resolve(w, &w->choice_labels);
	return SAOLA_OK;
}

/* Only a form that loads is written: the XLSForm made of one that does
 * not would fail on its way back in, far from its cause. */
static int compile(saola__xw *w)
{
	saola__form *f = NULL;
	int rc = saola__form_compile(w->def, &f, w->err, w->errlen);

	saola__form_free(f);
	return rc;
}

static int write_sheets(saola__xw *w)
{
	int rc;

	if (!(w->bold = workbook_add_format(w->wb)))
		return saola__xw_fail(w, SAOLA_NOMEM, "workbook: out of memory");
	format_set_bold(w->bold);
	if ((rc = saola__xw_survey_write(w)) != SAOLA_OK ||
	    (rc = saola__xw_choices_write(w)) != SAOLA_OK ||
	    (rc = saola__xw_settings_write(w)) != SAOLA_OK)
		return rc;
	return saola__xw_notes_write(w);
}

/* Writes the workbook to file (path names it in an error). */
static int write_workbook(saola__xw *w, const char *file, const char *path)
{
	lxw_error e;
	int rc;

	if (!(w->wb = workbook_new(file)))
		return saola__xw_fail(w, SAOLA_NOMEM, "%s: out of memory", path);
	rc = write_sheets(w);
	/* workbook_close frees the workbook whatever happened before. */
	e = workbook_close(w->wb);
	w->wb = NULL;
	if (rc == SAOLA_OK && e != LXW_NO_ERROR)
		rc = saola__xw_fail(w, e == LXW_ERROR_MEMORY_MALLOC_FAILED ? SAOLA_NOMEM : SAOLA_IO,
		                    "%s: cannot write the workbook: %s", path, lxw_strerror(e));
	return rc;
}

/* Writes to path + ".tmp", renamed to path once whole, so that a failure
 * leaves neither a partial workbook nor the temporary file. */
static int write_file(saola__xw *w, const char *path)
{
	size_t n = strlen(path) + sizeof ".tmp";
	char *tmp = malloc(n);
	FILE *probe;
	int rc;

	if (!tmp)
		return saola__xw_fail(w, SAOLA_NOMEM, "%s: out of memory", path);
	snprintf(tmp, n, "%s.tmp", path);
	/* libxlsxwriter opens the file only when closing the workbook, and
	 * then prints its complaint to stderr: a folder that is not there or
	 * not writable is found here first, with the system's reason. */
	if (!(probe = fopen(tmp, "wb"))) {
		rc = saola__xw_fail(w, SAOLA_IO, "%s: cannot write: %s", path, strerror(errno));
		goto out;
	}
	fclose(probe);
	rc = write_workbook(w, tmp, path);
	if (rc == SAOLA_OK && rename(tmp, path) != 0)
		rc = saola__xw_fail(w, SAOLA_IO, "%s: cannot rename %s into place: %s",
		                    path, tmp, strerror(errno));
	if (rc != SAOLA_OK)
		remove(tmp);
out:
	free(tmp);
	return rc;
}

int saola_xlsform_write(const char *definition, const char *path, char *err, size_t errlen)
{
	saola__xw w;
	json_error_t jerr;
	int rc;

	memset(&w, 0, sizeof w);
	w.err = err;
	w.errlen = errlen;
	w.deflang_idx = -1;
	if (err && errlen)
		err[0] = '\0';
	if (!definition || !path)
		return saola__xw_fail(&w, SAOLA_MISUSE, "xlsform write: definition and "
		                      "path are required");
	if (!(w.def = json_loads(definition, JSON_REJECT_DUPLICATES, &jerr)))
		return saola__xw_fail(&w, SAOLA_INVALID, "definition: line %d, column %d: %s",
		                      jerr.line, jerr.column, jerr.text);
	if ((rc = scan(&w)) == SAOLA_OK && (rc = compile(&w)) == SAOLA_OK)
		rc = write_file(&w, path);
	json_decref(w.def);
	free(w.scratch);
	return rc;
}
