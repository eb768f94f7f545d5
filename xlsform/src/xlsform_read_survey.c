/* xlsform_read_survey.c: the survey sheet of the XLSForm import: each
 * row's type and columns made into a field of the definition, groups and
 * repeats nested on a stack between their begin and end rows, and every
 * expression parsed so that an error names its cell (docs/forms.md,
 * "XLSForm", "survey"). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "saola/core.h"
#include "xlsform_read_int.h"

/* The list a boolean is written as a select_one of (the writer's). */
#define BOOLEAN_LIST "saola_boolean"

/* The columns, with the definition's property each fills (NULL: none;
 * aliases after the names the writer writes). */
static const saola__xr_known survey_known[] = {
	{"type", SAOLA__XR_S_TYPE, 0},
	{"name", SAOLA__XR_S_NAME, 0},
	{"label", SAOLA__XR_S_LABEL, 1},
	{"hint", SAOLA__XR_S_HINT, 1},
	{"required", SAOLA__XR_S_REQUIRED, 0},
	{"relevant", SAOLA__XR_S_RELEVANT, 0},
	{"constraint", SAOLA__XR_S_CONSTRAINT, 0},
	{"constraint_message", SAOLA__XR_S_CONSTRAINT_MESSAGE, 1},
	{"calculation", SAOLA__XR_S_CALCULATION, 0},
	{"default", SAOLA__XR_S_DEFAULT, 0},
	{"appearance", SAOLA__XR_S_APPEARANCE, 0},
	{"read_only", SAOLA__XR_S_READ_ONLY, 0},
	{"saola_personal", SAOLA__XR_S_PERSONAL, 0},
	{"saola_max_length", SAOLA__XR_S_MAX_LENGTH, 0},
	{"saola_unit", SAOLA__XR_S_UNIT, 0},
	{"saola_generated", SAOLA__XR_S_GENERATED, 0},
	{"saola_warning", SAOLA__XR_S_WARNING, 0},
	{"saola_warning_message", SAOLA__XR_S_WARNING_MESSAGE, 1},
	{"saola_warning_confirm", SAOLA__XR_S_WARNING_CONFIRM, 0},
	{"saola_notes", SAOLA__XR_S_NOTES, 0},
	{"jr:constraintmsg", SAOLA__XR_S_CONSTRAINT_MESSAGE, 1},
};

/* The definition's property of each kind (NULL: none). */
static const char *const kind_keys[SAOLA__XR_S_NKINDS] = {
	[SAOLA__XR_S_TYPE] = "type",
	[SAOLA__XR_S_NAME] = "name",
	[SAOLA__XR_S_LABEL] = "label",
	[SAOLA__XR_S_HINT] = "hint",
	[SAOLA__XR_S_REQUIRED] = "required",
	[SAOLA__XR_S_RELEVANT] = "relevant",
	[SAOLA__XR_S_CONSTRAINT] = "constraint",
	[SAOLA__XR_S_CONSTRAINT_MESSAGE] = "constraint_message",
	[SAOLA__XR_S_CALCULATION] = "calculate",
	[SAOLA__XR_S_DEFAULT] = "default",
	[SAOLA__XR_S_APPEARANCE] = "appearance",
	[SAOLA__XR_S_READ_ONLY] = NULL,
	[SAOLA__XR_S_PERSONAL] = "personal",
	[SAOLA__XR_S_MAX_LENGTH] = "max_length",
	[SAOLA__XR_S_UNIT] = "unit",
	[SAOLA__XR_S_GENERATED] = "generated",
	[SAOLA__XR_S_WARNING] = "warning",
	[SAOLA__XR_S_WARNING_MESSAGE] = "warning_message",
	[SAOLA__XR_S_WARNING_CONFIRM] = "warning_confirm",
	[SAOLA__XR_S_NOTES] = "notes",
};

int saola__xr_survey_kind(const char *key)
{
	int k;

	for (k = 0; k < SAOLA__XR_S_NKINDS; k++)
		if (kind_keys[k] && strcmp(kind_keys[k], key) == 0)
			return k;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Types */

/* A row's type as read: the definition's type (NULL on an end row), its
 * list for a select, and whether it begins or ends a group or repeat. */
typedef struct row_type {
	const char *type;
	char list[128];
	int begin;      /* 1: begins a group or a repeat */
	int end;        /* 1: "end group", 2: "end repeat" */
} row_type;

/* XLSForm's metadata types: saola keeps who and when with every record. */
static const char *const metadata_types[] = {
	"start", "end", "today", "deviceid", "username", "email", "phonenumber",
	"simserial", "subscriberid", "audit",
};

static const char *const plain_types[] = {
	"text", "integer", "decimal", "date", "note", "calculate",
};

/* Splits text at blanks into at most n words (lowercased when lower),
 * each at most 127 bytes; returns how many, or -1 past n or a word too
 * long. */
static int split_words(const char *text, char words[][128], int n)
{
	int count = 0;
	size_t len;

	for (;;) {
		while (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n')
			text++;
		if (!*text)
			return count;
		len = strcspn(text, " \t\r\n");
		if (count == n || len >= 128)
			return -1;
		memcpy(words[count], text, len);
		words[count++][len] = '\0';
		text += len;
	}
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static int is_one_of(const char *word, const char *const *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(word, set[i]) == 0)
			return 1;
	return 0;
}

/* Whether words are "WHAT KIND" or "WHAT_KIND" ("begin group",
 * "begin_group"). */
static int is_words(char words[][128], int n, const char *what, const char *kind)
{
	size_t w = strlen(what);

	if (n == 2)
		return strcmp(words[0], what) == 0 && strcmp(words[1], kind) == 0;
	return n == 1 && strncmp(words[0], what, w) == 0 && words[0][w] == '_' &&
	       strcmp(words[0] + w + 1, kind) == 0;
}

/* "begin group", "begin_group", "end repeat"...: *t set, 1; else 0. */
static int container_type(char words[][128], int n, row_type *t)
{
	if (is_words(words, n, "begin", "group") || is_words(words, n, "begin", "repeat")) {
		t->type = is_words(words, n, "begin", "group") ? "group" : "repeat";
		t->begin = 1;
		return 1;
	}
	if (is_words(words, n, "end", "group") || is_words(words, n, "end", "repeat")) {
		t->end = is_words(words, n, "end", "group") ? 1 : 2;
		return 1;
	}
	return 0;
}

static int unsupported_type(saola__xr *r, saola__xr_sheet *s, const char *text,
                            const char *first)
{
	int ci = saola__xr_col_of(s, SAOLA__XR_S_TYPE);

	if (is_one_of(first, metadata_types, sizeof metadata_types / sizeof *metadata_types))
		return saola__xr_fail_at(r, s, ci, SAOLA_INVALID, "type \"%s\" is not "
		                         "supported: saola records who made and changed a "
		                         "record, and when, itself; the row may be removed",
		                         text);
	return saola__xr_fail_at(r, s, ci, SAOLA_INVALID, "type \"%s\" is not supported",
	                         text);
}

/* The spellings of the select types, as words: XLSForm's and the older
 * ones ODK's tools still read ("select one from", "select all that
 * apply"). */
static const struct {
	const char *words[5];
	const char *type;
} select_spellings[] = {
	{{"select_one"}, "select_one"},
	{{"select1"}, "select_one"},
	{{"select", "one", "from"}, "select_one"},
	{{"select", "one"}, "select_one"},
	{{"select_multiple"}, "select_multiple"},
	{{"select", "all", "that", "apply", "from"}, "select_multiple"},
	{{"select", "all", "that", "apply"}, "select_multiple"},
	{{"select", "multiple", "from"}, "select_multiple"},
	{{"select", "multiple"}, "select_multiple"},
};

/* The select type the first words (lowercase) spell, and how many words
 * that takes (*used); NULL when they spell none. */
static const char *select_spelling(char lowered[][128], int n, int *used)
{
	size_t i;
	int k;

	for (i = 0; i < sizeof select_spellings / sizeof *select_spellings; i++) {
		for (k = 0; k < 5 && select_spellings[i].words[k]; k++)
			if (k >= n || strcmp(lowered[k], select_spellings[i].words[k]) != 0)
				break;
		if (k < 5 && select_spellings[i].words[k])
			continue;
		*used = k;
		return select_spellings[i].type;
	}
	return NULL;
}

/* "or_other" or "or specify other" after the list's name. */
static int is_or_other(char lowered[][128], int from, int n)
{
	return (n - from == 1 && strcmp(lowered[from], "or_other") == 0) ||
	       (n - from == 3 && strcmp(lowered[from], "or") == 0 &&
	        strcmp(lowered[from + 1], "specify") == 0 && strcmp(lowered[from + 2], "other") == 0);
}

/* A select of type (select_one, select_multiple) whose list is words[at]
 * (its case kept): saola_boolean makes a boolean; another must be in the
 * choices (read before the survey). */
static int select_type(saola__xr *r, saola__xr_sheet *s, const char *type, char words[][128],
                       char lowered[][128], int at, int n, const char *text, row_type *t)
{
	int ci = saola__xr_col_of(s, SAOLA__XR_S_TYPE);

	if (n > at + 1 && is_or_other(lowered, at + 1, n))
		return saola__xr_fail_at(r, s, ci, SAOLA_INVALID, "\"%s\": or_other is not "
		                         "supported: add an \"other\" choice, and a text "
		                         "question relevant when it is chosen", text);
	if (n != at + 1)
		return saola__xr_fail_at(r, s, ci, SAOLA_INVALID, "\"%s\": expected %s and "
		                         "the name of a choice list", text, type);
	snprintf(t->list, sizeof t->list, "%s", words[at]);
	t->type = type;
	if (strcmp(t->list, BOOLEAN_LIST) == 0) {
		if (strcmp(t->type, "select_one") != 0)
			return saola__xr_fail_at(r, s, ci, SAOLA_INVALID, "\"%s\": %s is saola's "
			                         "list for a boolean, a select_one", text,
			                         BOOLEAN_LIST);
		t->type = "boolean";
		if (!r->has_boolean_list)
			return saola__xr_fail_at(r, s, ci, SAOLA_INVALID, "\"%s\": no list "
			                         "\"%s\" in choices (its values are true and "
			                         "false)", text, BOOLEAN_LIST);
		return SAOLA_OK;
	}
	if (!json_object_get(r->lists, t->list))
		return saola__xr_fail_at(r, s, ci, SAOLA_INVALID, "\"%s\": no list \"%s\" in "
		                         "choices", text, t->list);
	return SAOLA_OK;
}

static int read_type(saola__xr *r, saola__xr_sheet *s, row_type *t)
{
	const char *text = saola__xr_val(s, SAOLA__XR_S_TYPE), *select;
	int ci = saola__xr_col_of(s, SAOLA__XR_S_TYPE), n, k, used;
	char words[10][128], lowered[10][128];
	size_t i;

	memset(t, 0, sizeof *t);
	if (!text)
		return saola__xr_fail_at(r, s, ci, SAOLA_INVALID, "the row has no type");
	if ((n = split_words(text, words, 10)) <= 0)
		return saola__xr_fail_at(r, s, ci, SAOLA_INVALID, "type \"%.200s\" is not "
		                         "supported", text);
	for (k = 0; k < n; k++) {
		memcpy(lowered[k], words[k], sizeof words[k]);
		lower(lowered[k]);
	}
	if (container_type(lowered, n, t))
		return SAOLA_OK;
	if ((select = select_spelling(lowered, n, &used)) != NULL)
		return select_type(r, s, select, words, lowered, used, n, text, t);
	for (i = 0; n == 1 && i < sizeof plain_types / sizeof *plain_types; i++)
		if (strcmp(lowered[0], plain_types[i]) == 0) {
			t->type = plain_types[i];
			return SAOLA_OK;
		}
	return unsupported_type(r, s, text, lowered[0]);
}

/* ------------------------------------------------------------------ */
/* Values */

static int nomem(saola__xr *r)
{
	return saola__xr_fail(r, SAOLA_NOMEM, "survey: out of memory");
}

/* Sets obj[key] to v (a new reference, NULL: out of memory). */
static int put(saola__xr *r, json_t *obj, const char *key, json_t *v)
{
	if (!v || json_object_set_new(obj, key, v) != 0)
		return nomem(r);
	return SAOLA_OK;
}

/* The cell of kind as a string, as written. */
static int put_string(saola__xr *r, saola__xr_sheet *s, json_t *obj, int kind)
{
	const char *text = saola__xr_val(s, kind);

	return text ? put(r, obj, kind_keys[kind], json_string(text)) : SAOLA_OK;
}

/* The cell of kind trimmed: a name, a unit. */
static int put_word(saola__xr *r, saola__xr_sheet *s, json_t *obj, int kind)
{
	char *text;
	int rc = saola__xr_trimmed(r, s, kind, &text);

	if (rc == SAOLA_OK && text)
		rc = put(r, obj, kind_keys[kind], json_string(text));
	free(text);
	return rc;
}

static int put_texts(saola__xr *r, saola__xr_sheet *s, json_t *obj, int kind)
{
	json_t *v;
	int rc = saola__xr_texts(r, s, kind, &v);

	return rc == SAOLA_OK && v ? put(r, obj, kind_keys[kind], v) : rc;
}

/* An expression, parsed here so that an error names its cell and the
 * column in it: "survey!H12: column 5: expected ')'". */
static int check_expr(saola__xr *r, saola__xr_sheet *s, int kind, const char *text)
{
	saola__expr *e = NULL;
	char msg[256];
	int rc = saola__expr_parse(text, &e, msg, sizeof msg);

	saola__expr_free(e);
	if (rc == SAOLA_OK)
		return SAOLA_OK;
	return saola__xr_fail_at(r, s, saola__xr_col_of(s, kind),
	                         rc == SAOLA_NOMEM ? SAOLA_NOMEM : SAOLA_INVALID, "%s", msg);
}

static int put_expr(saola__xr *r, saola__xr_sheet *s, json_t *obj, int kind)
{
	const char *text = saola__xr_val(s, kind);
	int rc;

	if (!text)
		return SAOLA_OK;
	if ((rc = check_expr(r, s, kind, text)) != SAOLA_OK)
		return rc;
	return put(r, obj, kind_keys[kind], json_string(text));
}

/* required: yes is true, no (or nothing) leaves it out, anything else is
 * an expression. */
static int put_required(saola__xr *r, saola__xr_sheet *s, json_t *obj)
{
	const char *text = saola__xr_val(s, SAOLA__XR_S_REQUIRED);
	int yes = saola__xr_yes(text);

	if (yes == 1)
		return put(r, obj, "required", json_true());
	return yes == 0 ? SAOLA_OK : put_expr(r, s, obj, SAOLA__XR_S_REQUIRED);
}

/* A yes/no column: yes is true; no, or nothing, leaves it out. */
static int put_yes(saola__xr *r, saola__xr_sheet *s, json_t *obj, int kind)
{
	const char *text = saola__xr_val(s, kind);
	int yes = saola__xr_yes(text);

	if (yes < 0)
		return saola__xr_fail_at(r, s, saola__xr_col_of(s, kind), SAOLA_INVALID,
		                         "expected yes or no, got \"%.200s\"", text);
	return yes ? put(r, obj, kind_keys[kind], json_true()) : SAOLA_OK;
}

/* A whole number: the text, blanks aside, is one ("5", "-3"; a float
 * typed whole, "5.0", too). 1 and *out, or 0. */
static int whole_number(const char *text, json_int_t *out)
{
	char *end;
	long long ll;
	double d;

	errno = 0;
	ll = strtoll(text, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (end != text && !*end && errno == 0) {
		*out = (json_int_t)ll;
		return 1;
	}
	d = strtod(text, &end);
	while (*end == ' ' || *end == '\t')
		end++;
	if (end == text || *end || !isfinite(d) || d != floor(d) || fabs(d) > 9007199254740992.0)
		return 0;
	*out = (json_int_t)d;
	return 1;
}

static int put_max_length(saola__xr *r, saola__xr_sheet *s, json_t *obj)
{
	const char *text = saola__xr_val(s, SAOLA__XR_S_MAX_LENGTH);
	json_int_t n;

	if (!text)
		return SAOLA_OK;
	if (!whole_number(text, &n))
		return saola__xr_fail_at(r, s, saola__xr_col_of(s, SAOLA__XR_S_MAX_LENGTH),
		                         SAOLA_INVALID, "expected a whole number of "
		                         "characters, got \"%.200s\"", text);
	return put(r, obj, "max_length", json_integer(n));
}

/* A decimal's default: a number, whole ("3") or not ("2.5", "3.0": the
 * writer gives a decimal a fraction so that it reads back a decimal). */
static json_t *decimal_value(const char *text)
{
	json_int_t i;
	char *end;
	double d;

	if (!strpbrk(text, ".eE") && whole_number(text, &i))
		return json_integer(i);
	d = strtod(text, &end);
	while (*end == ' ' || *end == '\t')
		end++;
	if (end == text || *end || !isfinite(d))
		return NULL;
	return json_real(d);
}

/* A select_multiple's default: its values separated by blanks. */
static json_t *values_value(const char *text)
{
	json_t *arr = json_array();
	size_t len;
	char *v;

	while (arr) {
		text += strspn(text, " \t\r\n");
		if (!*text)
			break;
		len = strcspn(text, " \t\r\n");
		v = malloc(len + 1);
		if (!v || (memcpy(v, text, len), v[len] = '\0', json_array_append_new(arr, json_string(v)))) {
			free(v);
			json_decref(arr);
			return NULL;
		}
		free(v);
		text += len;
	}
	return arr;
}

/* default: a value of the field's type (docs/forms.md, "default"). */
static int put_default(saola__xr *r, saola__xr_sheet *s, json_t *obj, const char *type)
{
	const char *text = saola__xr_val(s, SAOLA__XR_S_DEFAULT);
	int ci = saola__xr_col_of(s, SAOLA__XR_S_DEFAULT), yes;
	json_int_t i;
	json_t *v;

	if (!text)
		return SAOLA_OK;
	if (strcmp(type, "integer") == 0) {
		if (!whole_number(text, &i))
			return saola__xr_fail_at(r, s, ci, SAOLA_INVALID, "default \"%.200s\" "
			                         "is not a whole number", text);
		return put(r, obj, "default", json_integer(i));
	}
	if (strcmp(type, "decimal") == 0) {
		if (!(v = decimal_value(text)))
			return saola__xr_fail_at(r, s, ci, SAOLA_INVALID, "default \"%.200s\" "
			                         "is not a number", text);
		return put(r, obj, "default", v);
	}
	if (strcmp(type, "boolean") == 0) {
		if ((yes = saola__xr_yes(text)) < 0)
			return saola__xr_fail_at(r, s, ci, SAOLA_INVALID, "default \"%.200s\" "
			                         "is not true or false", text);
		return put(r, obj, "default", json_boolean(yes));
	}
	if (strcmp(type, "select_multiple") == 0)
		return put(r, obj, "default", values_value(text));
	return put(r, obj, "default", json_string(text));
}

/* read_only is what a calculation makes a field already: yes is kept
 * only beside one (an entered field is never read-only in saola). */
static int check_read_only(saola__xr *r, saola__xr_sheet *s)
{
	const char *text = saola__xr_val(s, SAOLA__XR_S_READ_ONLY);
	int ci = saola__xr_col_of(s, SAOLA__XR_S_READ_ONLY), yes = saola__xr_yes(text);

	if (yes < 0)
		return saola__xr_fail_at(r, s, ci, SAOLA_INVALID, "read_only: expected yes "
		                         "or no, got \"%.200s\"", text);
	if (yes && !saola__xr_val(s, SAOLA__XR_S_CALCULATION))
		return saola__xr_fail_at(r, s, ci, SAOLA_INVALID, "read_only without a "
		                         "calculation is not supported: a question saola "
		                         "asks is entered, a computed one has a calculation");
	return SAOLA_OK;
}

/* The row's field, its properties in the definition's usual order. */
static int make_field(saola__xr *r, saola__xr_sheet *s, const row_type *t, json_t *f)
{
	int rc;

	if ((rc = put_word(r, s, f, SAOLA__XR_S_NAME)) != SAOLA_OK ||
	    (rc = put(r, f, "type", json_string(t->type))) != SAOLA_OK ||
	    (rc = put_texts(r, s, f, SAOLA__XR_S_LABEL)) != SAOLA_OK ||
	    (rc = put_texts(r, s, f, SAOLA__XR_S_HINT)) != SAOLA_OK)
		return rc;
	if (*t->list && strcmp(t->type, "boolean") != 0 &&
	    (rc = put(r, f, "choices", json_string(t->list))) != SAOLA_OK)
		return rc;
	if ((rc = put_required(r, s, f)) != SAOLA_OK ||
	    (rc = put_expr(r, s, f, SAOLA__XR_S_RELEVANT)) != SAOLA_OK ||
	    (rc = put_expr(r, s, f, SAOLA__XR_S_CONSTRAINT)) != SAOLA_OK ||
	    (rc = put_texts(r, s, f, SAOLA__XR_S_CONSTRAINT_MESSAGE)) != SAOLA_OK ||
	    (rc = put_expr(r, s, f, SAOLA__XR_S_CALCULATION)) != SAOLA_OK ||
	    (rc = put_default(r, s, f, t->type)) != SAOLA_OK ||
	    (rc = put_string(r, s, f, SAOLA__XR_S_APPEARANCE)) != SAOLA_OK ||
	    (rc = check_read_only(r, s)) != SAOLA_OK ||
	    (rc = put_yes(r, s, f, SAOLA__XR_S_PERSONAL)) != SAOLA_OK ||
	    (rc = put_max_length(r, s, f)) != SAOLA_OK ||
	    (rc = put_word(r, s, f, SAOLA__XR_S_UNIT)) != SAOLA_OK ||
	    (rc = put_yes(r, s, f, SAOLA__XR_S_GENERATED)) != SAOLA_OK ||
	    (rc = put_expr(r, s, f, SAOLA__XR_S_WARNING)) != SAOLA_OK ||
	    (rc = put_texts(r, s, f, SAOLA__XR_S_WARNING_MESSAGE)) != SAOLA_OK ||
	    (rc = put_word(r, s, f, SAOLA__XR_S_WARNING_CONFIRM)) != SAOLA_OK ||
	    (rc = put_string(r, s, f, SAOLA__XR_S_NOTES)) != SAOLA_OK)
		return rc;
	return t->begin ? put(r, f, "fields", json_array()) : SAOLA_OK;
}

/* ------------------------------------------------------------------ */
/* Rows and nesting */

/* An open group or repeat: the array its rows go in, and its begin row. */
typedef struct level {
	json_t *fields;
	int row;
	int repeat;
} level;

typedef struct nest {
	level levels[SAOLA__XR_DEPTH_MAX + 1];
	int depth;          /* levels[0] is the survey's own fields */
} nest;

/* Notes where field came from, for compile errors (saola__xr_compile). */
static int add_origin(saola__xr *r, json_t *field, int row)
{
	saola__xr_origin *o;
	size_t cap;

	if (r->norigins == SAOLA__XR_FIELDS_MAX)
		return saola__xr_fail(r, SAOLA_LIMIT, "survey: more than %d questions",
		                      SAOLA__XR_FIELDS_MAX);
	if (r->norigins == r->origins_cap) {
		cap = r->origins_cap ? r->origins_cap * 2 : 64;
		if (!(o = realloc(r->origins, cap * sizeof *o)))
			return nomem(r);
		r->origins = o;
		r->origins_cap = cap;
	}
	r->origins[r->norigins].field = field;
	r->origins[r->norigins++].row = row;
	return SAOLA_OK;
}

/* The type cell of row (of the survey), for a message about another row
 * than the current one. */
static const char *type_ref(saola__xr_sheet *s, int row, char *buf)
{
	int ci = saola__xr_col_of(s, SAOLA__XR_S_TYPE);

	return saola__xr_ref(s, row, ci >= 0 ? s->cols[ci].col : 0, buf);
}

static int end_row(saola__xr *r, saola__xr_sheet *s, nest *n, int end)
{
	int ci = saola__xr_col_of(s, SAOLA__XR_S_TYPE);
	const char *what = end == 2 ? "repeat" : "group";
	char ref[300];

	if (n->depth == 0)
		return saola__xr_fail_at(r, s, ci, SAOLA_INVALID, "end %s without its begin %s",
		                         what, what);
	if ((end == 2) != n->levels[n->depth].repeat)
		return saola__xr_fail_at(r, s, ci, SAOLA_INVALID, "end %s closes the begin %s "
		                         "of %s", what, n->levels[n->depth].repeat ? "repeat" :
		                         "group", type_ref(s, n->levels[n->depth].row, ref));
	n->depth--;
	return SAOLA_OK;
}

/* One row: its field made and put where the nesting says. */
static int survey_row(saola__xr *r, saola__xr_sheet *s, nest *n)
{
	char *name = NULL;
	json_t *f;
	row_type t;
	int rc, has_name;

	if ((rc = read_type(r, s, &t)) != SAOLA_OK)
		return rc;
	/* An end row's other cells mean nothing, in XLSForm as here. */
	if (t.end)
		return end_row(r, s, n, t.end);
	if ((rc = saola__xr_trimmed(r, s, SAOLA__XR_S_NAME, &name)) != SAOLA_OK)
		return rc;
	has_name = name != NULL;
	free(name);
	if (!has_name)
		return saola__xr_fail_at(r, s, saola__xr_col_of(s, SAOLA__XR_S_NAME),
		                         SAOLA_INVALID, "a %s row needs a name", t.type);
	if (t.begin && n->depth == SAOLA__XR_DEPTH_MAX)
		return saola__xr_fail_at(r, s, saola__xr_col_of(s, SAOLA__XR_S_TYPE),
		                         SAOLA_LIMIT, "groups and repeats nested deeper "
		                         "than %d", SAOLA__XR_DEPTH_MAX);
	if (!(f = json_object()))
		return nomem(r);
	if (json_array_append_new(n->levels[n->depth].fields, f) != 0)
		return nomem(r);
	if ((rc = add_origin(r, f, s->row)) != SAOLA_OK ||
	    (rc = make_field(r, s, &t, f)) != SAOLA_OK)
		return rc;
	if (t.begin) {
		n->depth++;
		n->levels[n->depth].fields = json_object_get(f, "fields");
		n->levels[n->depth].row = s->row;
		n->levels[n->depth].repeat = strcmp(t.type, "repeat") == 0;
	}
	return SAOLA_OK;
}

static int check_header(saola__xr *r, saola__xr_sheet *s)
{
	if (s->sheet < 0)
		return saola__xr_fail(r, SAOLA_INVALID, "survey: the workbook has no survey "
		                      "sheet (an XLSForm's questions)");
	return saola__xr_require_cols(r, s, "survey", SAOLA__XR_S_TYPE, "type", SAOLA__XR_S_NAME,
	                              "name");
}

int saola__xr_survey_open(saola__xr *r)
{
	return saola__xr_sheet_open(r, &r->survey, "survey", survey_known,
	                            (int)(sizeof survey_known / sizeof *survey_known));
}

int saola__xr_survey(saola__xr *r, json_t **fields)
{
	saola__xr_sheet *s = &r->survey;
	char ref[300];
	nest n;
	int more, rc;

	*fields = NULL;
	if ((rc = check_header(r, s)) != SAOLA_OK)
		return rc;
	memset(&n, 0, sizeof n);
	if (!(n.levels[0].fields = json_array()))
		return nomem(r);
	while ((more = saola__xr_next_row(r, s)) == 1)
		if ((rc = survey_row(r, s, &n)) != SAOLA_OK)
			goto fail;
	rc = more < 0 ? SAOLA_INVALID : SAOLA_OK;
	if (rc == SAOLA_OK && n.depth > 0)
		rc = saola__xr_fail(r, SAOLA_INVALID, "%s: begin %s without its end %s",
		                    type_ref(s, n.levels[n.depth].row, ref),
		                    n.levels[n.depth].repeat ? "repeat" : "group",
		                    n.levels[n.depth].repeat ? "repeat" : "group");
	if (rc == SAOLA_OK && json_array_size(n.levels[0].fields) == 0)
		rc = saola__xr_fail(r, SAOLA_INVALID, "survey: no questions");
	if (rc != SAOLA_OK)
		goto fail;
	*fields = n.levels[0].fields;
	return SAOLA_OK;
fail:
	json_decref(n.levels[0].fields);
	r->norigins = 0;
	return rc;
}
