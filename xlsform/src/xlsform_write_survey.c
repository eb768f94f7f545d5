/* xlsform_write_survey.c: the survey sheet of the XLSForm writer: each
 * field's properties checked and mapped to columns (docs/forms.md,
 * "XLSForm", "survey"), then one row per field in form order, a group or
 * a repeat between its begin and end rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola/core.h"
#include "xlsform_write_int.h"

/* How a property's value is checked and written. */
enum value_kind {
	V_TYPE,         /* the type, with "choices" for a select */
	V_STRING,       /* a string as it is (a name, an expression) */
	V_TEXTS,        /* a string or an object by language: translated */
	V_YES_OR_EXPR,  /* true: "yes"; false: empty; or an expression */
	V_YES,          /* true: "yes"; false: empty */
	V_INTEGER,      /* a whole number, as its text */
	V_DEFAULT,      /* a value of the field's type */
	V_DERIVED       /* no property: made from others (read_only) */
};

/* The survey's columns in the order written (saola__xw_kind), with the
 * property each holds and a width a person can read it in. */
static const struct {
	const char *column;
	const char *key;
	enum value_kind value;
	double width;
} kinds[SAOLA__XW_NKINDS] = {
	[SAOLA__XW_TYPE] = {"type", "type", V_TYPE, 22},
	[SAOLA__XW_NAME] = {"name", "name", V_STRING, 24},
	[SAOLA__XW_LABEL] = {"label", "label", V_TEXTS, 40},
	[SAOLA__XW_HINT] = {"hint", "hint", V_TEXTS, 40},
	[SAOLA__XW_REQUIRED] = {"required", "required", V_YES_OR_EXPR, 12},
	[SAOLA__XW_RELEVANT] = {"relevant", "relevant", V_STRING, 30},
	[SAOLA__XW_CONSTRAINT] = {"constraint", "constraint", V_STRING, 30},
	[SAOLA__XW_CONSTRAINT_MESSAGE] = {"constraint_message", "constraint_message", V_TEXTS, 40},
	[SAOLA__XW_CALCULATION] = {"calculation", "calculate", V_STRING, 30},
	[SAOLA__XW_DEFAULT] = {"default", "default", V_DEFAULT, 12},
	[SAOLA__XW_APPEARANCE] = {"appearance", "appearance", V_STRING, 14},
	[SAOLA__XW_READ_ONLY] = {"read_only", NULL, V_DERIVED, 10},
	[SAOLA__XW_PERSONAL] = {"saola_personal", "personal", V_YES, 15},
	[SAOLA__XW_MAX_LENGTH] = {"saola_max_length", "max_length", V_INTEGER, 17},
	[SAOLA__XW_UNIT] = {"saola_unit", "unit", V_STRING, 12},
	[SAOLA__XW_GENERATED] = {"saola_generated", "generated", V_YES, 16},
	[SAOLA__XW_WARNING] = {"saola_warning", "warning", V_STRING, 30},
	[SAOLA__XW_WARNING_MESSAGE] = {"saola_warning_message", "warning_message", V_TEXTS, 40},
	[SAOLA__XW_WARNING_CONFIRM] = {"saola_warning_confirm", "warning_confirm", V_STRING, 22},
	[SAOLA__XW_NOTES] = {"saola_notes", "notes", V_STRING, 40},
};

/* The definition's types; none has a space, so "select_one LIST" splits. */
static const char *const type_names[] = {
	"text", "integer", "decimal", "boolean", "select_one", "select_multiple",
	"date", "note", "calculate", "group", "repeat",
};

/* One column of the sheet: a kind, and for a translated one its language
 * (-1: the column without "::"). */
typedef struct column {
	int kind;
	int lang;
} column;

#define MAX_COLUMNS (SAOLA__XW_NKINDS * (SAOLA__XW_LANGS_MAX + 1))

static const char *type_of(json_t *fj)
{
	const char *t = json_string_value(json_object_get(fj, "type"));

	return t ? t : "";
}

static int is_select(const char *type)
{
	return strcmp(type, "select_one") == 0 || strcmp(type, "select_multiple") == 0;
}

static int is_container(const char *type)
{
	return strcmp(type, "group") == 0 || strcmp(type, "repeat") == 0;
}

/* The kind whose property key is, or -1. */
static int kind_of_key(const char *key)
{
	int k;

	for (k = 0; k < SAOLA__XW_NKINDS; k++)
		if (kinds[k].key && strcmp(kinds[k].key, key) == 0)
			return k;
	return -1;
}

/* A decimal as the shortest text that reads back the same double, with
 * ".0" on a whole one so that it stays a decimal ("2.5", "3.0", "1e+20"). */
static const char *real_text(saola__xw *w, double d)
{
	char *buf = saola__xw_scratch(w, 40);
	int p;

	if (!buf)
		return NULL;
	for (p = 1; p <= 17; p++) {
		snprintf(buf, 40, "%.*g", p, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (!strpbrk(buf, ".eEn"))
		strcat(buf, ".0");
	return buf;
}

static const char *integer_text(saola__xw *w, json_int_t i)
{
	char *buf = saola__xw_scratch(w, 32);

	if (buf)
		snprintf(buf, 32, "%" JSON_INTEGER_FORMAT, i);
	return buf;
}

/* A select_multiple's default, its values separated by spaces as XLSForm
 * writes them (the scan refused values with a space). */
static const char *values_text(saola__xw *w, json_t *arr)
{
	size_t i, n = 1;
	json_t *v;
	char *buf;

	json_array_foreach(arr, i, v)
		n += json_string_length(v) + 1;
	if (!(buf = saola__xw_scratch(w, n)))
		return NULL;
	buf[0] = '\0';
	json_array_foreach(arr, i, v) {
		if (i)
			strcat(buf, " ");
		strcat(buf, json_string_value(v));
	}
	return buf;
}

static const char *default_text(saola__xw *w, json_t *v)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		return integer_text(w, json_integer_value(v));
	if (json_is_real(v))
		return real_text(w, json_real_value(v));
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	if (json_is_array(v))
		return values_text(w, v);
	return "";
}

static const char *type_text(saola__xw *w, json_t *fj)
{
	const char *type = type_of(fj), *list;
	char *buf;
	size_t n;

	if (strcmp(type, "group") == 0)
		return "begin group";
	if (strcmp(type, "repeat") == 0)
		return "begin repeat";
	/* XLSForm has no boolean: a select of saola's own yes/no list. */
	if (strcmp(type, "boolean") == 0)
		return "select_one saola_boolean";
	if (!is_select(type))
		return type;
	list = json_string_value(json_object_get(fj, "choices"));
	n = strlen(type) + 1 + strlen(list) + 1;
	if ((buf = saola__xw_scratch(w, n)))
		snprintf(buf, n, "%s %s", type, list);
	return buf;
}

/* The cell of field fj in a column of kind k that is not translated: ""
 * when it has none, NULL when out of memory. */
static const char *field_cell(saola__xw *w, json_t *fj, int k)
{
	json_t *v = kinds[k].key ? json_object_get(fj, kinds[k].key) : NULL;

	switch (kinds[k].value) {
	case V_TYPE:
		return type_text(w, fj);
	case V_STRING:
		return json_is_string(v) ? json_string_value(v) : "";
	case V_YES_OR_EXPR:
		return json_is_string(v) ? json_string_value(v) : json_is_true(v) ? "yes" : "";
	case V_YES:
		return json_is_true(v) ? "yes" : "";
	case V_INTEGER:
		return json_is_integer(v) ? integer_text(w, json_integer_value(v)) : "";
	case V_DEFAULT:
		return default_text(w, v);
	case V_DERIVED:
		/* read_only: a computed field of an entered type is never typed
		 * in; ODK-family tools show it so. saola needs no more than the
		 * calculation. */
		return json_object_get(fj, "calculate") &&
		       strcmp(type_of(fj), "calculate") != 0 ? "yes" : "";
	default:
		return "";
	}
}

static int check_default(saola__xw *w, json_t *v, const char *path)
{
	json_t *e;
	size_t i;

	if (json_is_null(v) || json_is_string(v) || json_is_number(v) || json_is_boolean(v))
		return SAOLA_OK;
	if (!json_is_array(v))
		return saola__xw_fail(w, SAOLA_INVALID, "%s.default: expected a value "
		                      "of the field's type", path);
	json_array_foreach(v, i, e)
		if (!json_is_string(e) || json_string_length(e) == 0 ||
		    strpbrk(json_string_value(e), " \t\r\n"))
			return saola__xw_fail(w, SAOLA_INVALID, "%s.default[%zu]: expected "
			                      "a choice's value without spaces (XLSForm "
			                      "separates them by spaces)", path, i);
	return SAOLA_OK;
}

/* Checks property key (kind k) of the field at path; a translated one's
 * languages are noted. */
static int check_value(saola__xw *w, int k, json_t *v, const char *path)
{
	char where[600];

	snprintf(where, sizeof where, "%s.%s", path, kinds[k].key);
	switch (kinds[k].value) {
	case V_TYPE:
	case V_STRING:
		if (!json_is_string(v))
			return saola__xw_fail(w, SAOLA_INVALID, "%s: expected a string", where);
		return SAOLA_OK;
	case V_TEXTS:
		return saola__xw_scan_texts(w, v, &w->texts[k], where);
	case V_YES_OR_EXPR:
		if (!json_is_boolean(v) && !json_is_string(v))
			return saola__xw_fail(w, SAOLA_INVALID, "%s: expected true, false "
			                      "or an expression", where);
		return SAOLA_OK;
	case V_YES:
		if (!json_is_boolean(v))
			return saola__xw_fail(w, SAOLA_INVALID, "%s: expected true or false",
			                      where);
		return SAOLA_OK;
	case V_INTEGER:
		if (!json_is_integer(v))
			return saola__xw_fail(w, SAOLA_INVALID, "%s: expected a whole number",
			                      where);
		return SAOLA_OK;
	case V_DEFAULT:
		return check_default(w, v, path);
	default:
		return SAOLA_OK;
	}
}

/* The type, with what it needs ("choices" for a select, "fields" for a
 * group or a repeat) and nothing it cannot have. */
static int check_type(saola__xw *w, json_t *fj, const char *path)
{
	const char *type = type_of(fj);
	size_t i;

	for (i = 0; i < sizeof type_names / sizeof *type_names; i++)
		if (strcmp(type, type_names[i]) == 0)
			break;
	if (i == sizeof type_names / sizeof *type_names)
		return saola__xw_fail(w, SAOLA_INVALID, "%s.type: unknown type \"%s\"",
		                      path, type);
	if (strcmp(type, "boolean") == 0)
		w->has_boolean = 1;
	if (is_select(type) && !json_is_string(json_object_get(fj, "choices")))
		return saola__xw_fail(w, SAOLA_INVALID, "%s.choices: expected the name "
		                      "of a choice list (%s needs one)", path, type);
	if (!is_select(type) && json_object_get(fj, "choices"))
		return saola__xw_fail(w, SAOLA_INVALID, "%s.choices: only a select_one "
		                      "or a select_multiple has a choice list", path);
	if (is_container(type) && !json_is_array(json_object_get(fj, "fields")))
		return saola__xw_fail(w, SAOLA_INVALID, "%s.fields: expected an array "
		                      "(a %s needs its fields)", path, type);
	if (!is_container(type) && json_object_get(fj, "fields"))
		return saola__xw_fail(w, SAOLA_INVALID, "%s.fields: only a group or a "
		                      "repeat has fields", path);
	return SAOLA_OK;
}

/* Notes the columns field fj fills (a translated one's in its texts). */
static int note_columns(saola__xw *w, json_t *fj, const char *path)
{
	const char *cell;
	int k;

	for (k = 0; k < SAOLA__XW_NKINDS; k++) {
		if (kinds[k].value == V_TEXTS)
			continue;
		if (!(cell = field_cell(w, fj, k)))
			return saola__xw_fail(w, SAOLA_NOMEM, "%s: out of memory", path);
		if (*cell)
			w->used[k] = 1;
	}
	return SAOLA_OK;
}

static int scan_field(saola__xw *w, json_t *fj, const char *path)
{
	const char *key;
	json_t *v;
	int k, rc;

	json_object_foreach(fj, key, v) {
		if (strcmp(key, "choices") == 0 || strcmp(key, "fields") == 0)
			continue; /* checked with the type */
		if ((k = kind_of_key(key)) < 0)
			return saola__xw_fail(w, SAOLA_INVALID, "%s.%s: unknown property: "
			                      "no XLSForm column holds it", path, key);
		if ((rc = check_value(w, k, v, path)) != SAOLA_OK)
			return rc;
	}
	if (!json_object_get(fj, "type"))
		return saola__xw_fail(w, SAOLA_INVALID, "%s: missing \"type\"", path);
	if ((rc = check_type(w, fj, path)) != SAOLA_OK)
		return rc;
	if ((rc = note_columns(w, fj, path)) != SAOLA_OK)
		return rc;
	if (is_container(type_of(fj)))
		return saola__xw_survey_scan(w, json_object_get(fj, "fields"), path);
	return SAOLA_OK;
}

int saola__xw_survey_scan(saola__xw *w, json_t *fields, const char *prefix)
{
	char path[512];
	const char *name;
	json_t *fj;
	size_t i;
	int rc;

	json_array_foreach(fields, i, fj) {
		if (!json_is_object(fj))
			return saola__xw_fail(w, SAOLA_INVALID, "%s%sfields[%zu]: expected "
			                      "an object", prefix, *prefix ? "." : "", i);
		name = json_string_value(json_object_get(fj, "name"));
		if (!name)
			return saola__xw_fail(w, SAOLA_INVALID, "%s%sfields[%zu]: missing "
			                      "\"name\"", prefix, *prefix ? "." : "", i);
		/* "fields[1] (household_info).fields[2] (income)", as the
		 * form's compiler names a field. */
		if (snprintf(path, sizeof path, "%s%sfields[%zu] (%s)", prefix,
		             *prefix ? "." : "", i, name) >= (int)sizeof path)
			return saola__xw_fail(w, SAOLA_INVALID, "%s: nested too deep", prefix);
		if ((rc = scan_field(w, fj, path)) != SAOLA_OK)
			return rc;
	}
	return SAOLA_OK;
}

/* ------------------------------------------------------------------ */
/* Writing */

/* The columns in order: the untranslated ones some field fills, each
 * translated one once for each of its languages. */
static int survey_columns(saola__xw *w, column *cols)
{
	int langs[SAOLA__XW_LANGS_MAX + 1];
	int k, i, nl, n = 0;

	for (k = 0; k < SAOLA__XW_NKINDS; k++) {
		if (kinds[k].value != V_TEXTS) {
			if (w->used[k] || k == SAOLA__XW_TYPE || k == SAOLA__XW_NAME)
				cols[n++] = (column){k, -1};
			continue;
		}
		nl = saola__xw_columns(w, &w->texts[k], langs);
		for (i = 0; i < nl; i++)
			cols[n++] = (column){k, langs[i]};
	}
	return n;
}

static int write_header(saola__xw *w, lxw_worksheet *ws, const column *cols, int n)
{
	int c, rc;

	for (c = 0; c < n; c++) {
		rc = saola__xw_header(w, ws, "survey", c,
		                      saola__xw_header_name(w, kinds[cols[c].kind].column,
		                                            cols[c].lang),
		                      kinds[cols[c].kind].width);
		if (rc != SAOLA_OK)
			return rc;
	}
	return SAOLA_OK;
}

static int write_row(saola__xw *w, lxw_worksheet *ws, const column *cols, int n,
                     json_t *fj, int row)
{
	const char *text;
	int c, k, rc;

	for (c = 0; c < n; c++) {
		k = cols[c].kind;
		if (kinds[k].value == V_TEXTS)
			text = saola__xw_text(w, &w->texts[k], json_object_get(fj, kinds[k].key),
			                      cols[c].lang);
		else
			text = field_cell(w, fj, k);
		if ((rc = saola__xw_put(w, ws, "survey", row, c, text)) != SAOLA_OK)
			return rc;
	}
	return SAOLA_OK;
}

/* The rows of fields from *row on; *row is left past the last. A group
 * or a repeat is its begin row (its properties), its fields, and an end
 * row with nothing but the type. */
static int write_fields(saola__xw *w, lxw_worksheet *ws, const column *cols, int n,
                        json_t *fields, int *row)
{
	const char *type;
	json_t *fj;
	size_t i;
	int rc;

	json_array_foreach(fields, i, fj) {
		if ((rc = write_row(w, ws, cols, n, fj, (*row)++)) != SAOLA_OK)
			return rc;
		type = type_of(fj);
		if (!is_container(type))
			continue;
		rc = write_fields(w, ws, cols, n, json_object_get(fj, "fields"), row);
		if (rc != SAOLA_OK)
			return rc;
		rc = saola__xw_put(w, ws, "survey", (*row)++, 0,
		                   strcmp(type, "group") == 0 ? "end group" : "end repeat");
		if (rc != SAOLA_OK)
			return rc;
	}
	return SAOLA_OK;
}

int saola__xw_survey_write(saola__xw *w)
{
	lxw_worksheet *ws = saola__xw_sheet(w, "survey");
	column *cols;
	int n, row = 1, rc;

	if (!ws)
		return SAOLA_NOMEM;
	/* About 10 kB: on the heap rather than the stack. */
	if (!(cols = malloc(MAX_COLUMNS * sizeof *cols)))
		return saola__xw_fail(w, SAOLA_NOMEM, "survey: out of memory");
	n = survey_columns(w, cols);
	rc = write_header(w, ws, cols, n);
	if (rc == SAOLA_OK)
		rc = write_fields(w, ws, cols, n, json_object_get(w->def, "fields"), &row);
	free(cols);
	return rc;
}
