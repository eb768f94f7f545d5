/* xlsform_read.c: saola_xlsform_read, an XLSForm made into a form
 * definition: the workbook read (xlsx.h), its sheets made into the
 * definition in the shipped forms' key order, and the definition
 * compiled so that what the compiler refuses is named by its cell
 * (docs/forms.md, "XLSForm"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json_out.h"
#include "saola/xlsform.h"
#include "saola_shared.h"
#include "xlsform_read_int.h"

/* The largest file read: far above any form (the household form's is
 * about 60 kB), far below what would strain a device. */
#define FILE_MAX ((long long)64 << 20)

/* ------------------------------------------------------------------ */
/* Compile errors, named by their cell */

/* The field a compile error's path names ("fields[3]", "fields[1]
 * (hh).fields[2]") in fields, or NULL; *rest is the text after the path. */
static json_t *field_of_path(json_t *fields, const char *msg, const char **rest)
{
	json_t *cur = NULL, *arr = fields;
	const char *p = msg, *name;
	char *end;
	unsigned long idx;
	size_t n;

	while (strncmp(p, "fields[", 7) == 0) {
		errno = 0;
		idx = strtoul(p + 7, &end, 10);
		if (end == p + 7 || *end != ']' || errno)
			break;
		if (!(cur = json_array_get(arr, idx)))
			return NULL;
		p = end + 1;
		/* A group's or a repeat's path goes on: " (hh).fields[2]". */
		name = json_string_value(json_object_get(cur, "name"));
		n = name ? strlen(name) : 0;
		if (!name || strncmp(p, " (", 2) != 0 || strncmp(p + 2, name, n) != 0 ||
		    strncmp(p + 2 + n, ").fields[", 9) != 0)
			break;
		p += 2 + n + 2;
		arr = json_object_get(cur, "fields");
	}
	*rest = p;
	return cur;
}

/* The row field was read from, or -1. */
static int row_of(const saola__xr *r, const json_t *field)
{
	size_t i;

	for (i = 0; i < r->norigins; i++)
		if (r->origins[i].field == field)
			return r->origins[i].row;
	return -1;
}

/* The sheet column of kind filled on row (a translated kind's first
 * language there), or -1. */
static int filled_col(const saola__xr *r, int kind, int row)
{
	const saola__xr_sheet *s = &r->survey;
	int i;

	for (i = 0; i < s->ncols; i++)
		if (s->cols[i].kind == kind &&
		    !saola__xr_blank(saola__xlsx_cell(r->x, s->sheet, row, s->cols[i].col)))
			return s->cols[i].col;
	return -1;
}

/* The column a compile error points at: its property's (".relevant:"),
 * else the name's for an error about the name, else the type's. */
static int error_col(const saola__xr *r, const char *rest, int row)
{
	char prop[40];
	size_t n;
	int kind, col;

	if (*rest == '.') {
		n = strcspn(rest + 1, ".:[ ");
		if (n < sizeof prop) {
			memcpy(prop, rest + 1, n);
			prop[n] = '\0';
			kind = saola__xr_survey_kind(strcmp(prop, "choices") == 0 ||
			                             strcmp(prop, "fields") == 0 ? "type" : prop);
			if (kind >= 0 && (col = filled_col(r, kind, row)) >= 0)
				return col;
		}
	} else if (strstr(rest, "name")) {
		if ((col = filled_col(r, SAOLA__XR_S_NAME, row)) >= 0)
			return col;
	}
	col = filled_col(r, SAOLA__XR_S_TYPE, row);
	return col >= 0 ? col : 0;
}

int saola__xr_compile(saola__xr *r, json_t *def)
{
	saola__form *f = NULL;
	char msg[1024], ref[300];
	const char *rest;
	json_t *field;
	int rc, row;

	rc = saola__form_compile(def, &f, msg, sizeof msg);
	saola__form_free(f);
	if (rc == SAOLA_OK)
		return SAOLA_OK;
	field = field_of_path(json_object_get(def, "fields"), msg, &rest);
	row = field ? row_of(r, field) : -1;
	if (row < 0)
		return saola__xr_fail(r, rc, "%s", msg);
	return saola__xr_fail(r, rc, "%s: %s",
	                      saola__xr_ref(&r->survey, row, error_col(r, rest, row), ref), msg);
}

/* ------------------------------------------------------------------ */
/* The definition */

/* Moves key from settings to def (when there), in the order called. */
static int move(json_t *def, json_t *settings, const char *key)
{
	json_t *v = json_object_get(settings, key);

	return v ? json_object_set(def, key, v) : 0;
}

/* The definition in the shipped forms' key order: id, version, title,
 * default_language, standard, standard_year_field, notes, choices,
 * fields. The default language is there when the settings give it, or
 * when a text was put in the one inferred (xlsform_read_int.h). */
static json_t *assemble(saola__xr *r, json_t *settings, json_t *notes, json_t *fields)
{
	json_t *def = json_object();
	int bad = !def;

	bad = bad || move(def, settings, "id") || move(def, settings, "version") ||
	      move(def, settings, "title");
	if (!bad && r->deflang && (r->deflang_given || r->deflang_used))
		bad = json_object_set_new(def, "default_language", json_string(r->deflang));
	bad = bad || move(def, settings, "standard") ||
	      move(def, settings, "standard_year_field");
	if (!bad && notes)
		bad = json_object_set(def, "notes", notes);
	if (!bad && json_object_size(r->lists))
		bad = json_object_set(def, "choices", r->lists);
	if (!bad)
		bad = json_object_set(def, "fields", fields);
	if (bad) {
		json_decref(def);
		return NULL;
	}
	return def;
}

/* Reads every sheet into *def. */
static int read_sheets(saola__xr *r, json_t **def)
{
	json_t *settings = json_object(), *notes = NULL, *fields = NULL;
	int rc;

	*def = NULL;
	if (!settings)
		return saola__xr_fail(r, SAOLA_NOMEM, "settings: out of memory");
	/* Settings first: the default language places texts; choices
	 * before the survey: a select's list must be there. */
	if ((rc = saola__xr_survey_open(r)) == SAOLA_OK &&
	    (rc = saola__xr_others_open(r)) == SAOLA_OK &&
	    (rc = saola__xr_settings(r, settings)) == SAOLA_OK &&
	    (rc = saola__xr_choices(r)) == SAOLA_OK &&
	    (rc = saola__xr_survey(r, &fields)) == SAOLA_OK &&
	    (rc = saola__xr_notes(r, &notes)) == SAOLA_OK &&
	    !(*def = assemble(r, settings, notes, fields)))
		rc = saola__xr_fail(r, SAOLA_NOMEM, "definition: out of memory");
	json_decref(settings);
	json_decref(notes);
	json_decref(fields);
	return rc;
}

static void release(saola__xr *r)
{
	saola__xr_sheet_close(&r->survey);
	saola__xr_sheet_close(&r->choices);
	saola__xr_sheet_close(&r->settings);
	saola__xr_sheet_close(&r->notes);
	free(r->deflang);
	json_decref(r->lists);
	free(r->origins);
	saola__xlsx_free(r->x);
}

/* saola_xlsform_read_mem, with default_id (may be NULL) the form's id
 * when settings gives none. */
static int read_mem(const void *data, size_t len, const char *default_id, char **definition,
                    char *err, size_t errlen)
{
	saola__xr r;
	json_t *def = NULL;
	int rc;

	memset(&r, 0, sizeof r);
	r.default_id = default_id;
	r.err = err;
	r.errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	if (definition)
		*definition = NULL;
	if (!definition || (!data && len))
		return saola__xr_fail(&r, SAOLA_MISUSE, "xlsform read: data and definition "
		                      "are required");
	rc = saola__xlsx_read(data ? data : "", len, &r.x, err, errlen);
	if (rc == SAOLA_OK && (rc = read_sheets(&r, &def)) == SAOLA_OK &&
	    (rc = saola__xr_compile(&r, def)) == SAOLA_OK &&
	    !(*definition = saola__json_dump_indent(def, 1, NULL)))
		rc = saola__xr_fail(&r, SAOLA_NOMEM, "definition: out of memory");
	json_decref(def);
	release(&r);
	return rc;
}

int saola_xlsform_read_mem(const void *data, size_t len, char **definition, char *err,
                           size_t errlen)
{
	return read_mem(data, len, NULL, definition, err, errlen);
}

/* A form's id from the file's name, as ODK's tools make it: the name
 * without its folder and extension, each character that is not a letter,
 * a digit or _ made _ ("field-list.xlsx": field_list), at most 64. */
static void id_of_path(const char *path, char *id, size_t len)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	const char *dot = strrchr(base, '.');
	size_t n = dot && dot > base ? (size_t)(dot - base) : strlen(base), i;

	if (n >= len)
		n = len - 1;
	for (i = 0; i < n; i++) {
		char c = base[i];

		id[i] = (char)(((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		                (c >= '0' && c <= '9') || c == '_') ? c : '_');
	}
	id[n] = '\0';
}

/* The whole file at path into *data (malloc'd), refused past FILE_MAX
 * before it is read. */
static int read_file(const char *path, char **data, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	FILE *f = fopen(path, "rb");
	int rc = SAOLA_OK;

	*data = NULL;
	if (!f) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return SAOLA_IO;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: not a file", path);
		rc = SAOLA_IO;
	} else if ((long long)st.st_size > FILE_MAX) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %lld bytes, more than an XLSForm may have "
			         "(%lld)", path, (long long)st.st_size, FILE_MAX);
		rc = SAOLA_LIMIT;
	} else if (!(*data = malloc((size_t)st.st_size + 1))) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		rc = SAOLA_NOMEM;
	} else if ((*len = fread(*data, 1, (size_t)st.st_size, f)) != (size_t)st.st_size ||
	           ferror(f)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot read", path);
		rc = SAOLA_IO;
	}
	fclose(f);
	if (rc != SAOLA_OK) {
		free(*data);
		*data = NULL;
	}
	return rc;
}

int saola_xlsform_read(const char *path, char **definition, char *err, size_t errlen)
{
	char id[65], *data;
	size_t len = 0;
	int rc;

	if (definition)
		*definition = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!path || !definition) {
		if (err && errlen)
			snprintf(err, errlen, "xlsform read: path and definition are required");
		return SAOLA_MISUSE;
	}
	if ((rc = read_file(path, &data, &len, err, errlen)) != SAOLA_OK)
		return rc;
	id_of_path(path, id, sizeof id);
	rc = read_mem(data, len, id[0] ? id : NULL, definition, err, errlen);
	free(data);
	return rc;
}
