/* interview.c: the interview API (saola/form.h): a form's questions in a
 * language, a partial record walked in form order (relevance, computed
 * values), answers set and checked one at a time, repeat items, warnings.
 * The engine's walk (form_walk.c) does the evaluating; this file keeps the
 * answers and speaks to the screen. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interview.h"

/* ------------------------------------------------------------------ */
/* Errors                                                              */

int iv_fail(saola_interview *iv, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(iv->err, sizeof iv->err, fmt, ap);
	va_end(ap);
	iv->rc = rc;
	return rc;
}

int iv_ok(saola_interview *iv)
{
	iv->err[0] = '\0';
	iv->rc = SAOLA_OK;
	return SAOLA_OK;
}

int iv_db_fail(saola_interview *iv, int rc)
{
	return iv_fail(iv, rc, "%s", saola_errmsg(iv->db));
}

const char *saola_interview_errmsg(const saola_interview *iv)
{
	return iv ? iv->err : "no interview";
}

int saola_interview_errcode(const saola_interview *iv)
{
	return iv ? iv->rc : SAOLA_MISUSE;
}

/* ------------------------------------------------------------------ */
/* Opening                                                             */

const char *iv_label(json_t *obj, const char *lang)
{
	const char *s;
	const char *key;
	void *it;

	if (json_is_string(obj))
		return json_string_value(obj);
	if ((s = json_string_value(json_object_get(obj, lang ? lang : "vi"))) ||
	    (s = json_string_value(json_object_get(obj, "vi"))) ||
	    (s = json_string_value(json_object_get(obj, "en"))))
		return s;
	it = json_object_iter(obj);
	key = it ? json_object_iter_key(it) : NULL;
	return key ? json_string_value(json_object_iter_value(it)) : NULL;
}

int iv_entered(const iv_field *f)
{
	return f->fi.type != SAOLA__F_GROUP && f->fi.type != SAOLA__F_REPEAT &&
	       f->fi.type != SAOLA__F_NOTE && !f->fi.computed;
}

static saola_field_kind kind_of(const iv_field *f)
{
	if (f->fi.type == SAOLA__F_GROUP)
		return SAOLA_FIELD_GROUP;
	if (f->fi.type == SAOLA__F_REPEAT)
		return SAOLA_FIELD_REPEAT;
	if (f->fi.type == SAOLA__F_NOTE)
		return SAOLA_FIELD_NOTE;
	if (f->fi.computed)
		return SAOLA_FIELD_COMPUTED;
	return f->fi.confirms >= 0 ? SAOLA_FIELD_CONFIRM : SAOLA_FIELD_QUESTION;
}

/* Field i's screen view, in the interview's language. */
static void describe(saola_interview *iv, int i, json_t *lists)
{
	iv_field *f = &iv->f[i];
	json_t *def = f->fi.def;
	const char *dl = json_string_value(json_object_get(iv->def, "default_language"));
	const char *lang = iv->lang[0] ? iv->lang : dl;

	f->pub.name = f->fi.name;
	f->pub.type = json_string_value(json_object_get(def, "type"));
	f->pub.kind = kind_of(f);
	f->pub.label = iv_label(json_object_get(def, "label"), lang);
	if (!f->pub.label)
		f->pub.label = f->fi.name;
	f->pub.hint = iv_label(json_object_get(def, "hint"), lang);
	f->pub.constraint_message = iv_label(json_object_get(def, "constraint_message"), lang);
	f->pub.warning_message = iv_label(json_object_get(def, "warning_message"), lang);
	f->pub.unit = json_string_value(json_object_get(def, "unit"));
	f->pub.default_value = json_object_get(def, "default");
	if (json_is_null(f->pub.default_value))
		f->pub.default_value = NULL;
	f->pub.parent = f->fi.parent;
	f->pub.repeat = f->fi.repeat;
	f->pub.end = f->fi.end;
	f->pub.confirm = f->fi.confirm;
	f->pub.confirms = f->fi.confirms;
	f->pub.personal = f->fi.personal;
	f->choices = json_object_get(lists, json_string_value(json_object_get(def, "choices")));
	f->pub.nchoices = (int)json_array_size(f->choices);
}

int iv_setup(saola_interview *iv)
{
	json_t *lists = json_object_get(iv->def, "choices");
	int i;

	iv->nf = saola__form_nfields(iv->form);
	if (!(iv->f = calloc((size_t)iv->nf + 1, sizeof *iv->f)))
		return iv_fail(iv, SAOLA_NOMEM, "interview: out of memory");
	for (i = 0; i < iv->nf; i++)
		saola__form_field_info(iv->form, i, &iv->f[i].fi);
	for (i = 0; i < iv->nf; i++)
		describe(iv, i, lists);
	return iv_rewalk(iv);
}

/* Whether the form has labels in lang (its default language, or a label
 * of some field in it). */
static int has_lang(json_t *def, const char *lang)
{
	const char *dl = json_string_value(json_object_get(def, "default_language"));
	json_t *title = json_object_get(def, "title");

	return (dl && strcmp(dl, lang) == 0) || json_object_get(title, lang) ||
	       strcmp(lang, "vi") == 0 || strcmp(lang, "en") == 0;
}

int iv_new(saola *db, const char *form_id, const char *lang, saola_interview **out)
{
	saola_interview *iv;
	char err[256];
	int rc;

	*out = NULL;
	if (!db || !form_id)
		return SAOLA_MISUSE;
	if (!(iv = calloc(1, sizeof *iv)))
		return saola__error(db, SAOLA_NOMEM, "interview: out of memory");
	iv->db = db;
	if ((rc = saola_form_get(db, form_id, &iv->def)) != SAOLA_OK)
		goto fail;
	if (lang && (strlen(lang) >= sizeof iv->lang || !has_lang(iv->def, lang))) {
		rc = saola__error(db, SAOLA_INVALID, "interview: form %s has no labels in \"%s\"",
		                  form_id, lang);
		goto fail;
	}
	snprintf(iv->lang, sizeof iv->lang, "%s", lang ? lang :
	         json_string_value(json_object_get(iv->def, "default_language")) ?
	         json_string_value(json_object_get(iv->def, "default_language")) : "vi");
	if (saola__form_compile(iv->def, &iv->form, err, sizeof err) != SAOLA_OK) {
		rc = saola__error(db, SAOLA_INVALID, "interview: form %s: %s", form_id, err);
		goto fail;
	}
	saola__params_source(db, &iv->params);
	if (!(iv->answers = json_object())) {
		rc = saola__error(db, SAOLA_NOMEM, "interview: out of memory");
		goto fail;
	}
	*out = iv;
	return SAOLA_OK;
fail:
	saola_interview_close(iv);
	return rc;
}

/* Moves iv's failure onto db, closes iv, returns its code. */
static int setup_failed(saola_interview *iv)
{
	int rc = iv->rc ? iv->rc : SAOLA_ERROR;

	saola__error(iv->db, rc, "interview: %s", iv->err);
	saola_interview_close(iv);
	return rc;
}

int saola_interview_open(saola *db, const char *form_id, const char *lang,
                         saola_interview **out)
{
	saola_interview *iv;
	int rc;

	*out = NULL;
	if ((rc = iv_new(db, form_id, lang, &iv)) != SAOLA_OK)
		return rc;
	if (iv_setup(iv) != SAOLA_OK)
		return setup_failed(iv);
	*out = iv;
	return saola__ok(db);
}

json_t *iv_entered_answers(const saola_interview *iv, json_t *data)
{
	json_t *a = json_object(), *arr, *item, *o, *v;
	size_t k;
	int i, j;

	for (i = 0; a && i < iv->nf; i++) {
		const iv_field *f = &iv->f[i];

		if (f->fi.repeat >= 0)
			continue;
		if (iv_entered(f) && (v = json_object_get(data, f->fi.name)) &&
		    json_object_set(a, f->fi.name, v))
			goto nomem;
		if (f->fi.type != SAOLA__F_REPEAT || !json_is_array(json_object_get(data, f->fi.name)))
			continue;
		if (!(arr = json_array()) || json_object_set_new(a, f->fi.name, arr))
			goto nomem;
		json_array_foreach(json_object_get(data, f->fi.name), k, item) {
			if (!(o = json_object()) || json_array_append_new(arr, o) ||
			    ((v = json_object_get(item, "_id")) && json_object_set(o, "_id", v)))
				goto nomem;
			for (j = i + 1; j < f->fi.end; j++)
				if (iv_entered(&iv->f[j]) && (v = json_object_get(item, iv->f[j].fi.name)) &&
				    json_object_set(o, iv->f[j].fi.name, v))
					goto nomem;
		}
	}
	return a;
nomem:
	json_decref(a);
	return NULL;
}

int saola_interview_edit(saola *db, const char *record_id, const char *lang,
                         saola_interview **out)
{
	saola_interview *iv;
	json_t *rec = NULL;
	const char *form_id;
	int rc;

	*out = NULL;
	if (!db || !record_id)
		return SAOLA_MISUSE;
	if ((rc = saola_get(db, record_id, &rec)) != SAOLA_OK)
		return rc;
	if (json_is_true(json_object_get(rec, "deleted"))) {
		json_decref(rec);
		return saola__error(db, SAOLA_DELETED, "interview: record %s is deleted", record_id);
	}
	form_id = json_string_value(json_object_get(rec, "form"));
	if ((rc = iv_new(db, form_id, lang, &iv)) != SAOLA_OK) {
		json_decref(rec);
		return rc;
	}
	iv->stored = json_incref(json_object_get(rec, "data"));
	json_decref(rec);
	if (!(iv->record_id = strdup(record_id)) || iv_setup(iv) != SAOLA_OK ||
	    !(iv->original = iv_entered_answers(iv, iv->stored))) {
		if (!iv->rc)
			iv_fail(iv, SAOLA_NOMEM, "out of memory");
		return setup_failed(iv);
	}
	json_decref(iv->answers);
	if (!(iv->answers = json_deep_copy(iv->original)) || iv_rewalk(iv) != SAOLA_OK) {
		if (!iv->rc)
			iv_fail(iv, SAOLA_NOMEM, "out of memory");
		return setup_failed(iv);
	}
	*out = iv;
	return saola__ok(db);
}

void saola_interview_close(saola_interview *iv)
{
	if (!iv)
		return;
	saola__walk_free(iv->w);
	saola__form_free(iv->form);
	json_decref(iv->def);
	json_decref(iv->answers);
	json_decref(iv->original);
	json_decref(iv->stored);
	free(iv->record_id);
	free(iv->draft_id);
	free(iv->f);
	free(iv);
}

const char *saola_interview_form_id(const saola_interview *iv)
{
	return saola__form_id(iv->form);
}

const char *saola_interview_form_version(const saola_interview *iv)
{
	return saola__form_version(iv->form);
}

const char *saola_interview_title(const saola_interview *iv)
{
	const char *t = iv_label(json_object_get(iv->def, "title"), iv->lang);

	return t ? t : saola__form_id(iv->form);
}

const char *saola_interview_lang(const saola_interview *iv)
{
	return iv->lang;
}

const char *saola_interview_record_id(const saola_interview *iv)
{
	return iv->record_id;
}

/* ------------------------------------------------------------------ */
/* Fields                                                              */

int saola_interview_nfields(const saola_interview *iv)
{
	return iv->nf;
}

int saola_interview_field(saola_interview *iv, int i, saola_field *out)
{
	memset(out, 0, sizeof *out);
	if (i < 0 || i >= iv->nf)
		return iv_fail(iv, SAOLA_NOTFOUND, "no field %d", i);
	*out = iv->f[i].pub;
	return iv_ok(iv);
}

int saola_interview_find(const saola_interview *iv, const char *name)
{
	return name ? saola__form_field_index(iv->form, name) : -1;
}

int saola_interview_choice(saola_interview *iv, int i, int c, const char **value,
                           const char **label)
{
	json_t *ch;

	*value = *label = NULL;
	if (i < 0 || i >= iv->nf || c < 0 || !(ch = json_array_get(iv->f[i].choices, (size_t)c)))
		return iv_fail(iv, SAOLA_NOTFOUND, "no choice %d of field %d", c, i);
	*value = json_string_value(json_object_get(ch, "value"));
	*label = iv_label(json_object_get(ch, "label"), iv->lang);
	if (!*label)
		*label = *value;
	return iv_ok(iv);
}

/* ------------------------------------------------------------------ */
/* The walk                                                            */

json_t *iv_items(const saola_interview *iv, int r)
{
	return json_object_get(iv->answers, iv->f[r].fi.name);
}

json_t *iv_scope(const saola_interview *iv, int i, int k)
{
	int r = iv->f[i].fi.repeat;

	if (r < 0)
		return iv->answers;
	return k < 0 ? NULL : json_array_get(iv_items(iv, r), (size_t)k);
}

int iv_rewalk(saola_interview *iv)
{
	char err[256];
	int rc;

	saola__walk_free(iv->w);
	iv->w = NULL;
	rc = saola__form_walk(iv->form, iv->answers, &iv->params, NULL, &iv->w, err, sizeof err);
	return rc == SAOLA_OK ? SAOLA_OK : iv_fail(iv, rc, "%s", err);
}

static int valid_field(const saola_interview *iv, int i)
{
	return i >= 0 && i < iv->nf;
}

int saola_interview_relevant(saola_interview *iv, int i, int k)
{
	if (!valid_field(iv, i) || k < 0)
		return 0;
	return saola__walk_relevant(iv->w, i, (size_t)k);
}

int saola_interview_required(saola_interview *iv, int i, int k, int *required)
{
	char err[256];

	*required = 0;
	if (!valid_field(iv, i) || k < 0)
		return iv_fail(iv, SAOLA_NOTFOUND, "no field %d", i);
	if (saola__walk_required(iv->w, i, (size_t)k, required, err, sizeof err) != SAOLA_OK)
		*required = 0; /* cannot tell yet: the check at the end will */
	return iv_ok(iv);
}

/* The step for field `to` in the item of a step in field from's scope:
 * past the end of a repeat's fields, its prompt before the next item. */
static saola_step step_to(const saola_interview *iv, int from, int item, int to)
{
	int r = iv->f[from].fi.repeat;
	saola_step s = {SAOLA_STEP_QUESTION, to, r < 0 ? 0 : item};

	if (r >= 0 && to >= iv->f[r].fi.end)
		s = (saola_step){SAOLA_STEP_ITEM, r, item + 1};
	return s;
}

/* The first step from s on that is shown: skips what is not relevant and
 * what is computed. */
static saola_step first_from(saola_interview *iv, saola_step s)
{
	while (s.field >= 0 && s.field < iv->nf) {
		const iv_field *f = &iv->f[s.field];
		int rel;

		if (s.kind == SAOLA_STEP_ITEM) {
			if (saola__walk_relevant(iv->w, s.field, 0) &&
			    (size_t)s.item <= json_array_size(iv_items(iv, s.field)))
				return s;
			s = (saola_step){SAOLA_STEP_QUESTION, f->fi.end, 0};
			continue;
		}
		rel = saola__walk_relevant(iv->w, s.field, (size_t)s.item);
		if (f->fi.type == SAOLA__F_REPEAT)
			s = rel ? (saola_step){SAOLA_STEP_ITEM, s.field, 0}
			        : (saola_step){SAOLA_STEP_QUESTION, f->fi.end, 0};
		else if (f->fi.type == SAOLA__F_GROUP)
			s = step_to(iv, s.field, s.item, rel ? s.field + 1 : f->fi.end);
		else if (rel && (iv_entered(f) || f->fi.type == SAOLA__F_NOTE))
			return (saola_step){f->fi.type == SAOLA__F_NOTE ? SAOLA_STEP_NOTE
			                                                : SAOLA_STEP_QUESTION,
			                    s.field, s.item};
		else
			s = step_to(iv, s.field, s.item, s.field + 1);
	}
	return (saola_step){SAOLA_STEP_END, -1, 0};
}

int saola_interview_first(saola_interview *iv, saola_step *step)
{
	*step = first_from(iv, (saola_step){SAOLA_STEP_QUESTION, 0, 0});
	return iv_ok(iv);
}

int saola_interview_at(saola_interview *iv, int i, int k, saola_step *step)
{
	saola_step s = {SAOLA_STEP_QUESTION, i, k};

	if (!valid_field(iv, i) || k < 0) {
		*step = (saola_step){SAOLA_STEP_END, -1, 0};
		return iv_ok(iv);
	}
	if (iv->f[i].fi.type == SAOLA__F_REPEAT)
		s.kind = SAOLA_STEP_ITEM;
	*step = first_from(iv, s);
	return iv_ok(iv);
}

int saola_interview_next(saola_interview *iv, const saola_step *from, saola_step *step)
{
	saola_step s = *from;

	if (s.kind == SAOLA_STEP_END || !valid_field(iv, s.field) || s.item < 0) {
		*step = (saola_step){SAOLA_STEP_END, -1, 0};
		return iv_ok(iv);
	}
	if (s.kind != SAOLA_STEP_ITEM)
		s = step_to(iv, s.field, s.item, s.field + 1);
	else if ((size_t)s.item < json_array_size(iv_items(iv, s.field)))
		s = (saola_step){SAOLA_STEP_QUESTION, s.field + 1, s.item};
	else
		s = (saola_step){SAOLA_STEP_QUESTION, iv->f[s.field].fi.end, 0};
	*step = first_from(iv, s);
	return iv_ok(iv);
}

/* ------------------------------------------------------------------ */
/* Answers                                                             */

int saola_interview_get(saola_interview *iv, int i, int k, json_t **value)
{
	*value = NULL;
	if (!valid_field(iv, i) || k < 0)
		return iv_fail(iv, SAOLA_NOTFOUND, "no field %d", i);
	if (iv_entered(&iv->f[i]))
		*value = json_incref(json_object_get(iv_scope(iv, i, k), iv->f[i].fi.name));
	else
		*value = json_incref(saola__walk_value(iv->w, i, (size_t)k));
	return iv_ok(iv);
}

/* Sets (v borrowed) or clears (v NULL or null) the answer name in scope. */
static int put(json_t *scope, const char *name, json_t *v)
{
	if (!v || json_is_null(v)) {
		json_object_del(scope, name);
		return 0;
	}
	return json_object_set(scope, name, v);
}

/* The checks of an answer now in place: constraint, standard, places. */
static int check_set(saola_interview *iv, int i, int k)
{
	const iv_field *f = &iv->f[i];
	const char *year = saola__form_standard_year_field(iv->form);
	char err[256];
	int holds;

	iv->unchecked[0] = '\0';
	if (saola__walk_constraint(iv->w, i, (size_t)k, &holds, err, sizeof err) != SAOLA_OK)
		snprintf(iv->unchecked, sizeof iv->unchecked, "%s", err);
	else if (!holds)
		return iv_fail(iv, SAOLA_INVALID, "%s", f->pub.constraint_message
		               ? f->pub.constraint_message : iv_text(iv, IVM_CONSTRAINT));
	if (year && f->fi.repeat < 0 && strcmp(f->fi.name, year) == 0 &&
	    saola__walk_standard(iv->w, err, sizeof err) != SAOLA_OK)
		return iv_fail(iv, SAOLA_INVALID, iv_text(iv, IVM_NO_STANDARD), err);
	if (f->pub.unit && saola__walk_units(iv->w, err, sizeof err) != SAOLA_OK)
		return iv_fail(iv, SAOLA_INVALID, iv_text(iv, IVM_PLACE), err);
	return SAOLA_OK;
}

int saola_interview_set(saola_interview *iv, int i, int k, json_t *value)
{
	json_t *scope, *old;
	int rc;

	if (!valid_field(iv, i) || !(scope = iv_scope(iv, i, k)))
		return iv_fail(iv, SAOLA_NOTFOUND, "no field %d in item %d", i, k);
	if (!iv_entered(&iv->f[i]))
		return iv_fail(iv, SAOLA_INVALID, iv_text(iv, IVM_NOT_ASKED), iv->f[i].pub.label);
	if (value && !json_is_null(value) && (rc = iv_check_type(iv, &iv->f[i], value)))
		return rc;
	old = json_incref(json_object_get(scope, iv->f[i].fi.name));
	if (put(scope, iv->f[i].fi.name, value) || iv_rewalk(iv) != SAOLA_OK) {
		json_decref(old);
		return iv->rc ? iv->rc : iv_fail(iv, SAOLA_NOMEM, "out of memory");
	}
	if ((rc = check_set(iv, i, k)) == SAOLA_OK) {
		json_decref(old);
		return iv_ok(iv);
	}
	put(scope, iv->f[i].fi.name, old); /* a key there before: no allocation */
	json_decref(old);
	if (iv_rewalk(iv) != SAOLA_OK)
		return iv->rc;
	iv->rc = rc; /* the refusal's message stays */
	return rc;
}

int saola_interview_warning(saola_interview *iv, int i, int k, const char **message)
{
	const iv_field *f;
	json_t *yes;
	char err[256];
	int holds = 1;

	*message = NULL;
	if (!valid_field(iv, i) || k < 0 || !iv->f[i].fi.warned)
		return 0;
	f = &iv->f[i];
	if (saola__walk_warning(iv->w, i, (size_t)k, &holds, err, sizeof err) != SAOLA_OK ||
	    holds)
		return 0;
	yes = f->fi.confirm >= 0 ? json_object_get(iv_scope(iv, f->fi.confirm, k),
	                                            iv->f[f->fi.confirm].fi.name) : NULL;
	if (json_is_true(yes))
		return 0;
	*message = f->pub.warning_message ? f->pub.warning_message : f->pub.label;
	return 1;
}

int saola_interview_confirm(saola_interview *iv, int i, int k, int yes)
{
	char err[256];
	int holds = 1, c;

	if (!valid_field(iv, i) || !iv_scope(iv, i, k))
		return iv_fail(iv, SAOLA_NOTFOUND, "no field %d in item %d", i, k);
	c = iv->f[i].fi.confirm;
	if (c < 0 || saola__walk_warning(iv->w, i, (size_t)k, &holds, err, sizeof err) ||
	    holds)
		return iv_fail(iv, SAOLA_INVALID, iv_text(iv, IVM_NO_WARNING), iv->f[i].pub.label);
	return saola_interview_set(iv, c, k, yes ? json_true() : json_false());
}

const char *saola_interview_unchecked(const saola_interview *iv)
{
	return iv->unchecked[0] ? iv->unchecked : NULL;
}

/* ------------------------------------------------------------------ */
/* Repeats                                                             */

static int valid_repeat(const saola_interview *iv, int r)
{
	return valid_field(iv, r) && iv->f[r].fi.type == SAOLA__F_REPEAT &&
	       iv->f[r].fi.repeat < 0;
}

int saola_interview_items(saola_interview *iv, int r)
{
	return valid_repeat(iv, r) ? (int)json_array_size(iv_items(iv, r)) : 0;
}

#define ITEMS_MAX 1000 /* items a screen may add to one repeat */

int saola_interview_add_item(saola_interview *iv, int r, int *item)
{
	json_t *items;

	if (item)
		*item = -1;
	if (!valid_repeat(iv, r))
		return iv_fail(iv, SAOLA_NOTFOUND, "no repeat %d", r);
	if (!(items = iv_items(iv, r))) {
		if (!(items = json_array()) ||
		    json_object_set_new(iv->answers, iv->f[r].fi.name, items))
			return iv_fail(iv, SAOLA_NOMEM, "out of memory");
	}
	if (json_array_size(items) >= ITEMS_MAX)
		return iv_fail(iv, SAOLA_LIMIT, "%s: at most %d items", iv->f[r].fi.name, ITEMS_MAX);
	if (json_array_append_new(items, json_object()) || iv_rewalk(iv) != SAOLA_OK)
		return iv->rc ? iv->rc : iv_fail(iv, SAOLA_NOMEM, "out of memory");
	if (item)
		*item = (int)json_array_size(items) - 1;
	return iv_ok(iv);
}

int saola_interview_remove_item(saola_interview *iv, int r, int k)
{
	if (!valid_repeat(iv, r) || k < 0 || (size_t)k >= json_array_size(iv_items(iv, r)))
		return iv_fail(iv, SAOLA_NOTFOUND, "no item %d of repeat %d", k, r);
	if (json_array_remove(iv_items(iv, r), (size_t)k) || iv_rewalk(iv) != SAOLA_OK)
		return iv->rc ? iv->rc : iv_fail(iv, SAOLA_NOMEM, "out of memory");
	return iv_ok(iv);
}

int saola_interview_goto(saola_interview *iv, int r, int k, saola_step *step)
{
	if (!valid_repeat(iv, r) || k < 0 || (size_t)k >= json_array_size(iv_items(iv, r)))
		return iv_fail(iv, SAOLA_NOTFOUND, "no item %d of repeat %d", k, r);
	*step = first_from(iv, (saola_step){SAOLA_STEP_QUESTION, r + 1, k});
	return iv_ok(iv);
}

const char *saola_interview_item_title(saola_interview *iv, int r, int k)
{
	json_t *item;
	const char *s;
	int j;

	if (!valid_repeat(iv, r) || !(item = json_array_get(iv_items(iv, r), (size_t)k)))
		return NULL;
	for (j = r + 1; j < iv->f[r].fi.end; j++)
		if (iv->f[j].fi.type == SAOLA__F_TEXT &&
		    (s = json_string_value(json_object_get(item, iv->f[j].fi.name))) && *s) {
			snprintf(iv->title, sizeof iv->title, "%s", s);
			return iv->title;
		}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Places                                                              */

/* The answer of the place question one level above field i, or NULL. */
static const char *parent_place(const saola_interview *iv, int i)
{
	static const char *const levels[] = {"province", "district", "commune"};
	const char *s;
	int l, j;

	for (l = 0; l < 3 && strcmp(levels[l], iv->f[i].pub.unit) != 0; l++)
		;
	while (--l >= 0)
		for (j = 0; j < iv->nf; j++)
			if (iv->f[j].pub.unit && strcmp(iv->f[j].pub.unit, levels[l]) == 0 &&
			    saola__walk_relevant(iv->w, j, 0) &&
			    (s = json_string_value(json_object_get(iv->answers, iv->f[j].fi.name))))
				return s;
	return NULL;
}

int saola_interview_places(saola_interview *iv, int i, const char *query, json_t **out)
{
	const char *yf = saola__form_standard_year_field(iv->form);
	json_t *year = yf ? json_object_get(iv->answers, yf) : NULL;
	int rc;

	*out = NULL;
	if (!valid_field(iv, i) || !iv->f[i].pub.unit || iv->f[i].fi.repeat >= 0)
		return iv_fail(iv, SAOLA_INVALID, iv_text(iv, IVM_NOT_PLACE), i);
	if (!json_is_integer(year))
		return iv_fail(iv, SAOLA_INVALID, "%s", iv_text(iv, IVM_NO_YEAR));
	rc = saola__units_match(iv->db, saola__form_standard(iv->form), json_integer_value(year),
	                        iv->f[i].pub.unit, parent_place(iv, i), query ? query : "", out);
	return rc == SAOLA_OK ? iv_ok(iv) : iv_db_fail(iv, rc);
}

/* ------------------------------------------------------------------ */
/* The end                                                             */

int saola_interview_check(saola_interview *iv, int *field, int *item)
{
	char err[512], why[256];
	size_t at;
	int f = -1, rc, holds = 1;

	if (field)
		*field = -1;
	if (item)
		*item = 0;
	rc = saola__walk_validate(iv->w, &f, &at, err, sizeof err);
	if (rc == SAOLA_OK && (rc = saola__walk_units(iv->w, err, sizeof err)) == SAOLA_OK)
		return iv_ok(iv);
	if (rc == SAOLA_INVALID && f < 0) /* a place: asked again from the first */
		for (f = 0; f < iv->nf && !iv->f[f].pub.unit; f++)
			;
	if (f >= iv->nf)
		f = -1;
	if (field)
		*field = f;
	if (item)
		*item = (int)at;
	if (f < 0 || rc != SAOLA_INVALID || iv->f[f].pub.unit ||
	    (!iv_entered(&iv->f[f]) && iv->f[f].fi.type != SAOLA__F_REPEAT))
		return iv_fail(iv, rc, "%s", err);
	if (iv->f[f].fi.type == SAOLA__F_REPEAT && !json_array_size(iv_items(iv, f)))
		return iv_fail(iv, SAOLA_INVALID, iv_text(iv, IVM_NEED_ITEM), iv->f[f].pub.label);
	if (iv_entered(&iv->f[f]) && !json_object_get(iv_scope(iv, f, (int)at), iv->f[f].fi.name))
		return iv_fail(iv, SAOLA_INVALID, "%s: %s", iv->f[f].pub.label,
		               iv_text(iv, IVM_REQUIRED));
	/* an expression that cannot be evaluated: the engine's words */
	if (saola__walk_constraint(iv->w, f, at, &holds, why, sizeof why) != SAOLA_OK || holds)
		return iv_fail(iv, rc, "%s", err);
	return iv_fail(iv, SAOLA_INVALID, "%s: %s", iv->f[f].pub.label,
	               iv->f[f].pub.constraint_message ? iv->f[f].pub.constraint_message
	                                               : iv_text(iv, IVM_CONSTRAINT));
}
