/* form_compile.c: compiles a form definition (docs/forms.md) once into the
 * flattened field table, name index, choice lists and parsed expressions that
 * form_process.c runs per record. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola/core.h"
#include "form_int.h"

#define PATH_MAX_LEN 256

/* The work of one compilation: the form being built, the definition path of
 * each field (for errors) and the error buffer. */
typedef struct compiler {
	saola__form *f;
	int cap;
	char **paths;
	json_t **defs;          /* each field's definition object (borrowed) */
	char *err;
	size_t errlen;
	int rc;
} compiler;

static int fail(compiler *c, int rc, const char *fmt, ...)
{
	va_list ap;

	if (c->err && c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	c->rc = rc;
	return rc;
}

void *saola__form_zalloc(size_t size)
{
	json_malloc_t m;
	json_free_t f;
	void *p;

	json_get_alloc_funcs(&m, &f);
	p = m(size ? size : 1);
	if (p)
		memset(p, 0, size);
	return p;
}

void saola__form_mfree(void *ptr)
{
	json_malloc_t m;
	json_free_t f;

	if (!ptr)
		return;
	json_get_alloc_funcs(&m, &f);
	f(ptr);
}

/* Grows *arr of n elements of size each to cap elements. */
static int grow_array(void **arr, size_t n, size_t cap, size_t size)
{
	void *p = saola__form_zalloc(cap * size);

	if (!p)
		return -1;
	if (*arr)
		memcpy(p, *arr, n * size);
	saola__form_mfree(*arr);
	*arr = p;
	return 0;
}

static unsigned hash_name(const char *s)
{
	unsigned h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

int saola__form_find(const saola__form *f, const char *name)
{
	unsigned i;
	int v;

	if (!f->hash)
		return -1;
	for (i = hash_name(name) & f->hmask; (v = f->hash[i]) != 0;
	     i = (i + 1) & f->hmask)
		if (strcmp(f->fields[v - 1].name, name) == 0)
			return v - 1;
	return -1;
}

static const struct {
	const char *name;
	saola__ftype type;
} type_names[] = {
	{"text", SAOLA__F_TEXT}, {"integer", SAOLA__F_INTEGER},
	{"decimal", SAOLA__F_DECIMAL}, {"boolean", SAOLA__F_BOOLEAN},
	{"select_one", SAOLA__F_SELECT_ONE},
	{"select_multiple", SAOLA__F_SELECT_MULTIPLE}, {"date", SAOLA__F_DATE},
	{"note", SAOLA__F_NOTE}, {"calculate", SAOLA__F_CALCULATE},
	{"group", SAOLA__F_GROUP}, {"repeat", SAOLA__F_REPEAT},
};

static const char *const field_keys[] = {
	"name", "type", "label", "hint", "required", "relevant", "constraint",
	"constraint_message", "calculate", "default", "choices", "personal",
	"fields", "appearance", "notes", "max_length", "unit", "warning",
	"warning_message", "warning_confirm", "generated",
};

static int valid_name(const char *s)
{
	const char *p;

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return 0;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return p - s <= 64 && strcmp(s, "_id") != 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Compiles the "choices" object into sorted value lists. */
static int compile_choices(compiler *c, json_t *choices)
{
	saola__form *f = c->f;
	const char *key;
	json_t *list, *item, *v;
	size_t i, n;

	if (!choices)
		return SAOLA_OK;
	if (!json_is_object(choices))
		return fail(c, SAOLA_INVALID, "choices: expected object");
	n = json_object_size(choices);
	if (n == 0)
		return SAOLA_OK;
	f->lists = saola__form_zalloc(n * sizeof *f->lists);
	if (!f->lists)
		return fail(c, SAOLA_NOMEM, "choices: out of memory");
	json_object_foreach(choices, key, list) {
		saola__clist *cl = &f->lists[f->nlists];

		if (!json_is_array(list) || json_array_size(list) == 0)
			return fail(c, SAOLA_INVALID,
			            "choices.%s: expected a non-empty array", key);
		cl->name = key;
		cl->values = saola__form_zalloc(json_array_size(list) * sizeof *cl->values);
		if (!cl->values)
			return fail(c, SAOLA_NOMEM, "choices: out of memory");
		f->nlists++;
		json_array_foreach(list, i, item) {
			v = json_object_get(item, "value");
			if (!json_is_string(v))
				return fail(c, SAOLA_INVALID, "choices.%s[%zu]: "
				            "expected {\"value\": string, ...}", key, i);
			if (json_string_length(v) == 0)
				return fail(c, SAOLA_INVALID,
				            "choices.%s[%zu]: empty value", key, i);
			cl->values[cl->n++] = json_string_value(v);
		}
		qsort(cl->values, cl->n, sizeof *cl->values, cmp_str);
		for (i = 1; i < cl->n; i++)
			if (strcmp(cl->values[i - 1], cl->values[i]) == 0)
				return fail(c, SAOLA_INVALID,
				            "choices.%s: duplicate value \"%s\"", key,
				            cl->values[i]);
	}
	return SAOLA_OK;
}

static const saola__clist *find_list(const saola__form *f, const char *name)
{
	int i;

	for (i = 0; i < f->nlists; i++)
		if (strcmp(f->lists[i].name, name) == 0)
			return &f->lists[i];
	return NULL;
}

static int choice_ok(const saola__clist *cl, const char *v)
{
	return bsearch(&v, cl->values, cl->n, sizeof *cl->values, cmp_str) != NULL;
}

/* Checks a field's "default" against its type. */
static int check_default(const saola__fdef *fd, json_t *d)
{
	size_t i;
	json_t *e;

	switch (fd->type) {
	case SAOLA__F_TEXT:
	case SAOLA__F_DATE:
		return json_is_string(d);
	case SAOLA__F_INTEGER:
		return json_is_integer(d);
	case SAOLA__F_DECIMAL:
		return json_is_number(d);
	case SAOLA__F_BOOLEAN:
		return json_is_boolean(d);
	case SAOLA__F_SELECT_ONE:
		return json_is_string(d) && choice_ok(fd->choices, json_string_value(d));
	case SAOLA__F_SELECT_MULTIPLE:
		if (!json_is_array(d))
			return 0;
		json_array_foreach(d, i, e)
			if (!json_is_string(e) || !choice_ok(fd->choices, json_string_value(e)))
				return 0;
		return 1;
	default:
		return 0;
	}
}

static int grow(compiler *c)
{
	saola__form *f = c->f;
	size_t n = (size_t)f->nfields, cap = c->cap ? (size_t)c->cap * 2 : 64;

	if (grow_array((void **)&f->fields, n, cap, sizeof *f->fields) ||
	    grow_array((void **)&c->paths, n, cap, sizeof *c->paths) ||
	    grow_array((void **)&c->defs, n, cap, sizeof *c->defs))
		return fail(c, SAOLA_NOMEM, "fields: out of memory");
	c->cap = (int)cap;
	return SAOLA_OK;
}

/* Pass A: flattens the fields array arr (at definition path prefix) into the
 * field table, checking each field's own properties. */
static int add_fields(compiler *c, json_t *arr, const char *prefix, int parent,
                      int repeat)
{
	saola__form *f = c->f;
	char path[PATH_MAX_LEN], sub[PATH_MAX_LEN];
	json_t *fj, *v;
	const char *key, *tname;
	size_t i, k;
	int idx, rc;

	json_array_foreach(arr, i, fj) {
		saola__fdef *fd;

		snprintf(path, sizeof path, "%sfields[%zu]", prefix, i);
		if (!json_is_object(fj))
			return fail(c, SAOLA_INVALID, "%s: expected object", path);
		json_object_foreach(fj, key, v) {
			for (k = 0; k < sizeof field_keys / sizeof *field_keys; k++)
				if (strcmp(key, field_keys[k]) == 0)
					break;
			if (k == sizeof field_keys / sizeof *field_keys)
				return fail(c, SAOLA_INVALID,
				            "%s: unknown property \"%s\"", path, key);
		}
		v = json_object_get(fj, "name");
		if (!json_is_string(v))
			return fail(c, SAOLA_INVALID, "%s: missing \"name\"", path);
		if (!valid_name(json_string_value(v)))
			return fail(c, SAOLA_INVALID, "%s: invalid name \"%s\"", path,
			            json_string_value(v));
		if (f->nfields == c->cap && (rc = grow(c)) != SAOLA_OK)
			return rc;
		idx = f->nfields;
		fd = &f->fields[idx];
		memset(fd, 0, sizeof *fd);
		fd->name = json_string_value(v);
		fd->parent = parent;
		fd->repeat = repeat;
		fd->rix = -1;
		fd->confirm = fd->confirms = -1;
		c->defs[idx] = fj;
		c->paths[idx] = saola__form_zalloc(strlen(path) + 1);
		if (c->paths[idx])
			memcpy(c->paths[idx], path, strlen(path) + 1);
		else
			return fail(c, SAOLA_NOMEM, "%s: out of memory", path);
		f->nfields++;

		v = json_object_get(fj, "type");
		tname = json_string_value(v);
		if (!tname)
			return fail(c, SAOLA_INVALID, "%s: missing \"type\"", path);
		for (k = 0; k < sizeof type_names / sizeof *type_names; k++)
			if (strcmp(tname, type_names[k].name) == 0)
				break;
		if (k == sizeof type_names / sizeof *type_names)
			return fail(c, SAOLA_INVALID, "%s: unknown type \"%s\"", path,
			            tname);
		fd->type = type_names[k].type;
		fd->slot = repeat < 0 ? f->ntop++ : f->fields[repeat].nslots++;

		if (fd->type == SAOLA__F_SELECT_ONE ||
		    fd->type == SAOLA__F_SELECT_MULTIPLE) {
			v = json_object_get(fj, "choices");
			if (!json_is_string(v))
				return fail(c, SAOLA_INVALID, "%s: %s needs \"choices\"",
				            path, tname);
			fd->choices = find_list(f, json_string_value(v));
			if (!fd->choices)
				return fail(c, SAOLA_INVALID,
				            "%s: unknown choice list \"%s\"", path,
				            json_string_value(v));
		}
		v = json_object_get(fj, "fields");
		if (fd->type == SAOLA__F_GROUP || fd->type == SAOLA__F_REPEAT) {
			if (!json_is_array(v) || json_array_size(v) == 0)
				return fail(c, SAOLA_INVALID,
				            "%s: %s needs a non-empty \"fields\" array",
				            path, tname);
			if (fd->type == SAOLA__F_REPEAT && repeat >= 0)
				return fail(c, SAOLA_INVALID,
				            "%s: a repeat inside a repeat is not supported",
				            path);
			if (snprintf(sub, sizeof sub, "%s (%s).", path,
			             fd->name) >= (int)sizeof sub)
				return fail(c, SAOLA_INVALID, "%s: nested too deep", path);
			rc = add_fields(c, v, sub, idx,
			                fd->type == SAOLA__F_REPEAT ? idx : repeat);
			if (rc != SAOLA_OK)
				return rc;
		} else if (v) {
			return fail(c, SAOLA_INVALID, "%s: only a group or a repeat "
			            "has \"fields\"", path);
		}
		f->fields[idx].end = f->nfields;
	}
	return SAOLA_OK;
}

/* Builds the name index; reports the second of two equal names. */
static int build_index(compiler *c)
{
	saola__form *f = c->f;
	unsigned size = 16, h;
	int i, v;

	while (size < (unsigned)f->nfields * 2)
		size *= 2;
	f->hash = saola__form_zalloc(size * sizeof *f->hash);
	if (!f->hash)
		return fail(c, SAOLA_NOMEM, "fields: out of memory");
	f->hmask = size - 1;
	for (i = 0; i < f->nfields; i++) {
		for (h = hash_name(f->fields[i].name) & f->hmask;
		     (v = f->hash[h]) != 0; h = (h + 1) & f->hmask)
			if (strcmp(f->fields[v - 1].name, f->fields[i].name) == 0)
				return fail(c, SAOLA_INVALID,
				            "%s: duplicate name \"%s\"", c->paths[i],
				            f->fields[i].name);
		f->hash[h] = i + 1;
	}
	return SAOLA_OK;
}

/* The ${name} check, called for each reference of an expression of a
 * field in repeat (-1: at the top level). */
typedef struct refcheck {
	const saola__form *f;
	int repeat;
	const char *bad;
	const char *why;
	const char *rep;        /* indexed-repeat(): the repeat named */
} refcheck;

static int check_ref(void *ctx, const char *name)
{
	refcheck *r = ctx;
	int i;

	if (strcmp(name, ".") == 0)
		return 0;
	if (strcmp(name, "..") == 0) { /* position(..) */
		if (r->repeat >= 0)
			return 0;
		r->bad = name;
		r->why = "position(..) is only in the fields of a repeat";
		return 1;
	}
	i = saola__form_find(r->f, name);
	if (i < 0) {
		r->bad = name;
		r->why = "unknown field";
		return 1;
	}
	if (r->f->fields[i].type == SAOLA__F_GROUP) {
		r->bad = name;
		r->why = "a group has no value:";
		return 1;
	}
	return 0;
}

/* saola__expr_indexed: field is a field of the repeat named. */
static int check_indexed(void *ctx, const char *field, const char *repeat)
{
	refcheck *r = ctx;
	int fi = saola__form_find(r->f, field), ri = saola__form_find(r->f, repeat);

	if (ri < 0 || r->f->fields[ri].type != SAOLA__F_REPEAT) {
		r->bad = repeat;
		r->why = "is not a repeat";
		return 1;
	}
	if (fi < 0 || r->f->fields[fi].repeat != ri) {
		r->bad = field;
		r->why = "is not a field of the repeat";
		r->rep = repeat;
		return 1;
	}
	return 0;
}

/* saola__expr_bind: a reference is bound to its field's index. */
static int bind_ref(void *ctx, const char *name, int *ix)
{
	*ix = saola__form_find(ctx, name);
	return SAOLA_OK;
}

/* saola__expr_bind: a parameter name to its index in f->pnames, added
 * the first time it is seen. */
static int bind_param(void *ctx, const char *name, int *ix)
{
	saola__form *f = ctx;
	int i;

	for (i = 0; i < f->nparams; i++)
		if (strcmp(f->pnames[i], name) == 0)
			break;
	if (i == f->nparams) {
		if (f->nparams == f->pcap) {
			if (grow_array((void **)&f->pnames, (size_t)f->nparams,
			               (size_t)(f->pcap ? 2 * f->pcap : 16),
			               sizeof *f->pnames) != 0)
				return SAOLA_NOMEM;
			f->pcap = f->pcap ? 2 * f->pcap : 16;
		}
		f->pnames[f->nparams++] = name;
	}
	*ix = i;
	return SAOLA_OK;
}

/* Parses the expression in property prop of field i (if present) into *out,
 * checks its references and binds them (saola__expr_bind). */
static int parse_prop(compiler *c, int i, const char *prop, saola__expr **out)
{
	json_t *v = json_object_get(c->defs[i], prop);
	char msg[192];
	refcheck r = {c->f, c->f->fields[i].repeat, NULL, NULL, NULL};
	int rc;

	if (!v)
		return SAOLA_OK;
	if (!json_is_string(v))
		return fail(c, SAOLA_INVALID, "%s.%s: expected an expression string",
		            c->paths[i], prop);
	rc = saola__expr_parse(json_string_value(v), out, msg, sizeof msg);
	if (rc != SAOLA_OK) {
		*out = NULL;
		return fail(c, rc == SAOLA_NOMEM ? SAOLA_NOMEM : SAOLA_INVALID,
		            "%s.%s: %s", c->paths[i], prop, msg);
	}
	if (saola__expr_refs(*out, check_ref, &r) != 0) {
		if (strcmp(r.bad, "..") == 0)
			return fail(c, SAOLA_INVALID, "%s.%s: %s", c->paths[i], prop, r.why);
		return fail(c, SAOLA_INVALID, "%s.%s: %s ${%s}", c->paths[i], prop,
		            r.why, r.bad);
	}
	if (saola__expr_indexed(*out, check_indexed, &r) != 0)
		return fail(c, SAOLA_INVALID, "%s.%s: indexed-repeat(): ${%s} %s%s%s%s",
		            c->paths[i], prop, r.bad, r.why, r.rep ? " ${" : "",
		            r.rep ? r.rep : "", r.rep ? "}" : "");
	if (saola__expr_bind(*out, bind_ref, bind_param, c->f) != SAOLA_OK)
		return fail(c, SAOLA_NOMEM, "form: out of memory");
	return SAOLA_OK;
}

/* The message text of a label-like value: a string, or the "en" entry of a
 * language object, else the default language's, else the first. */
static const char *pick_text(json_t *v, const char *deflang)
{
	const char *key;
	json_t *t;

	if (json_is_string(v))
		return json_string_value(v);
	if (!json_is_object(v))
		return NULL;
	if ((t = json_object_get(v, "en")) && json_is_string(t))
		return json_string_value(t);
	if (deflang && (t = json_object_get(v, deflang)) && json_is_string(t))
		return json_string_value(t);
	json_object_foreach(v, key, t)
		if (json_is_string(t))
			return json_string_value(t);
	return NULL;
}

/* Reads a maximum length (property where) into *out: a whole number of
 * characters from 1 to SAOLA__TEXT_MAX_LIMIT. */
static int length_prop(compiler *c, json_t *v, const char *where, size_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > SAOLA__TEXT_MAX_LIMIT)
		return fail(c, SAOLA_INVALID, "%s: expected a whole number of "
		            "characters from 1 to %d", where, SAOLA__TEXT_MAX_LIMIT);
	*out = (size_t)json_integer_value(v);
	return SAOLA_OK;
}

/* A text field's maximum length: its own "max_length", else the form's. */
static int field_max_length(compiler *c, int i)
{
	saola__fdef *fd = &c->f->fields[i];
	json_t *v = json_object_get(c->defs[i], "max_length");
	char where[PATH_MAX_LEN + 16];

	if (!v) {
		fd->max_length = fd->type == SAOLA__F_TEXT && !fd->computed ?
		                 c->f->text_max : 0;
		return SAOLA_OK;
	}
	if (fd->type != SAOLA__F_TEXT || fd->computed)
		return fail(c, SAOLA_INVALID, "%s.max_length: only an entered text "
		            "field has a maximum length", c->paths[i]);
	snprintf(where, sizeof where, "%s.max_length", c->paths[i]);
	return length_prop(c, v, where, &fd->max_length);
}

/* Pass B: a field's expressions, required, default and messages. */
/* saola__expr_refs: non-zero for a reference to anything but ".". */
static int not_self(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, ".") != 0;
}

/* A field's warning (docs/forms.md, "Warnings"): the expression, its
 * message and the name of its confirm field, linked by link_warnings. */
static int finish_warning(compiler *c, int i, const char *deflang)
{
	saola__fdef *fd = &c->f->fields[i];
	json_t *fj = c->defs[i], *v;
	int rc;

	if ((rc = parse_prop(c, i, "warning", &fd->warning)) != SAOLA_OK)
		return rc;
	if (fd->warning && (fd->computed || fd->type == SAOLA__F_GROUP ||
	                    fd->type == SAOLA__F_REPEAT || fd->type == SAOLA__F_NOTE))
		return fail(c, SAOLA_INVALID, "%s.warning: only an entered field has "
		            "a warning", c->paths[i]);
	v = json_object_get(fj, "warning_message");
	if (v && !fd->warning)
		return fail(c, SAOLA_INVALID, "%s.warning_message: the field has no "
		            "\"warning\"", c->paths[i]);
	if (v && !pick_text(v, deflang))
		return fail(c, SAOLA_INVALID, "%s.warning_message: expected text "
		            "or an object of texts by language", c->paths[i]);
	v = json_object_get(fj, "warning_confirm");
	if (v && !fd->warning)
		return fail(c, SAOLA_INVALID, "%s.warning_confirm: the field has no "
		            "\"warning\"", c->paths[i]);
	if (v && !json_is_string(v))
		return fail(c, SAOLA_INVALID, "%s.warning_confirm: expected the name "
		            "of a boolean field", c->paths[i]);
	return SAOLA_OK;
}

/* Links each warned field to its warning_confirm field, once every field
 * is finished: an entered boolean of the same group or repeat, later in
 * the form, with no relevant or required of its own (the engine makes it
 * relevant exactly while the warning stands, and a warning is soft),
 * confirming one warning only. */
static int link_warnings(compiler *c)
{
	saola__form *f = c->f;
	const char *name;
	saola__fdef *w, *cf;
	int i, j;

	for (i = 0; i < f->nfields; i++) {
		w = &f->fields[i];
		name = json_string_value(json_object_get(c->defs[i], "warning_confirm"));
		if (!name)
			continue;
		j = saola__form_find(f, name);
		if (j < 0)
			return fail(c, SAOLA_INVALID, "%s.warning_confirm: unknown field "
			            "\"%s\"", c->paths[i], name);
		cf = &f->fields[j];
		if (cf->type != SAOLA__F_BOOLEAN || cf->computed)
			return fail(c, SAOLA_INVALID, "%s.warning_confirm: \"%s\" is not "
			            "an entered boolean field", c->paths[i], name);
		if (cf->parent != w->parent)
			return fail(c, SAOLA_INVALID, "%s.warning_confirm: \"%s\" is not "
			            "in the same group or repeat as this field",
			            c->paths[i], name);
		if (j <= i)
			return fail(c, SAOLA_INVALID, "%s.warning_confirm: \"%s\" is not "
			            "after this field (a confirmation follows its warning)",
			            c->paths[i], name);
		if (cf->relevant)
			return fail(c, SAOLA_INVALID, "%s.warning_confirm: \"%s\" has a "
			            "\"relevant\" of its own (it is relevant exactly while "
			            "the warning stands)", c->paths[i], name);
		if (cf->required || cf->required_x)
			return fail(c, SAOLA_INVALID, "%s.warning_confirm: \"%s\" is "
			            "required (a warning is soft: its confirmation is never "
			            "required)", c->paths[i], name);
		if (cf->warning)
			return fail(c, SAOLA_INVALID, "%s.warning_confirm: \"%s\" has a "
			            "warning of its own", c->paths[i], name);
		if (cf->confirms >= 0)
			return fail(c, SAOLA_INVALID, "%s.warning_confirm: \"%s\" already "
			            "confirms the warning of \"%s\"", c->paths[i], name,
			            f->fields[cf->confirms].name);
		w->confirm = j;
		cf->confirms = i;
	}
	return SAOLA_OK;
}

static int finish_field(compiler *c, int i, const char *deflang)
{
	saola__fdef *fd = &c->f->fields[i];
	json_t *fj = c->defs[i], *v, *g;
	int rc, entered;

	entered = fd->type != SAOLA__F_GROUP && fd->type != SAOLA__F_REPEAT &&
	          fd->type != SAOLA__F_NOTE;
	if ((rc = parse_prop(c, i, "relevant", &fd->relevant)) != SAOLA_OK)
		return rc;
	if ((rc = parse_prop(c, i, "constraint", &fd->constraint)) != SAOLA_OK)
		return rc;
	if ((rc = parse_prop(c, i, "calculate", &fd->calculate)) != SAOLA_OK)
		return rc;
	fd->self_constraint = fd->constraint &&
	                      saola__expr_refs(fd->constraint, not_self, NULL) == 0;
	if (fd->calculate && !entered)
		return fail(c, SAOLA_INVALID, "%s: a %s has no \"calculate\"",
		            c->paths[i], fd->type == SAOLA__F_NOTE ? "note" :
		            fd->type == SAOLA__F_GROUP ? "group" : "repeat");
	if (fd->type == SAOLA__F_CALCULATE && !fd->calculate)
		return fail(c, SAOLA_INVALID, "%s: calculate needs \"calculate\"",
		            c->paths[i]);
	fd->computed = fd->calculate != NULL;
	if ((rc = field_max_length(c, i)) != SAOLA_OK)
		return rc;

	v = json_object_get(fj, "required");
	if (json_is_boolean(v)) {
		fd->required = json_is_true(v);
	} else if (json_is_string(v)) {
		if ((rc = parse_prop(c, i, "required", &fd->required_x)) != SAOLA_OK)
			return rc;
	} else if (v) {
		return fail(c, SAOLA_INVALID, "%s.required: expected true, false or "
		            "an expression", c->paths[i]);
	}

	v = json_object_get(fj, "constraint_message");
	if (v && !(fd->cmsg = pick_text(v, deflang)))
		return fail(c, SAOLA_INVALID, "%s.constraint_message: expected text "
		            "or an object of texts by language", c->paths[i]);
	if ((rc = finish_warning(c, i, deflang)) != SAOLA_OK)
		return rc;
	v = json_object_get(fj, "personal");
	if (v && !json_is_boolean(v))
		return fail(c, SAOLA_INVALID, "%s.personal: expected true or false",
		            c->paths[i]);
	/* "generated": a code the interview makes when the field is left
	 * empty (docs/forms.md): a top-level text field only. */
	g = json_object_get(fj, "generated");
	if (g && (!json_is_boolean(g) || (json_is_true(g) &&
	          (fd->type != SAOLA__F_TEXT || fd->repeat >= 0 || fd->computed))))
		return fail(c, SAOLA_INVALID, "%s.generated: expected true or false, "
		            "and true only on a top-level text field that is asked",
		            c->paths[i]);
	/* Pre-order: the enclosing group or repeat is finished before. */
	fd->personal = json_is_true(v) ||
	               (fd->parent >= 0 && c->f->fields[fd->parent].personal);
	v = json_object_get(fj, "default");
	if (v && !json_is_null(v) && (!entered || fd->computed || !check_default(fd, v)))
		return fail(c, SAOLA_INVALID, "%s.default: not a value of the "
		            "field's type", c->paths[i]);
	return SAOLA_OK;
}

static int compile_header(compiler *c, json_t *def)
{
	saola__form *f = c->f;
	json_t *v;

	if (!json_is_object(def))
		return fail(c, SAOLA_INVALID, "form: expected object");
	v = json_object_get(def, "id");
	if (!json_is_string(v) || json_string_length(v) == 0)
		return fail(c, SAOLA_INVALID, "id: expected a non-empty string");
	f->id = json_string_value(v);
	v = json_object_get(def, "version");
	if (v && !json_is_string(v))
		return fail(c, SAOLA_INVALID, "version: expected string");
	f->version = v ? json_string_value(v) : "";
	v = json_object_get(def, "standard");
	if (v && !json_is_string(v))
		return fail(c, SAOLA_INVALID, "standard: expected string");
	f->standard = json_string_value(v);
	v = json_object_get(def, "standard_year_field");
	if (v && !json_is_string(v))
		return fail(c, SAOLA_INVALID, "standard_year_field: expected string");
	if (f->standard)
		f->year_field = v ? json_string_value(v) : "survey_year";
	v = json_object_get(def, "default_language");
	if (v && !json_is_string(v))
		return fail(c, SAOLA_INVALID, "default_language: expected string");
	f->text_max = SAOLA__TEXT_MAX_DEFAULT;
	f->comment_max = SAOLA__COMMENT_MAX_DEFAULT;
	if ((v = json_object_get(def, "text_max_length")) &&
	    length_prop(c, v, "text_max_length", &f->text_max) != SAOLA_OK)
		return c->rc;
	if ((v = json_object_get(def, "comment_max_length")) &&
	    length_prop(c, v, "comment_max_length", &f->comment_max) != SAOLA_OK)
		return c->rc;
	return SAOLA_OK;
}

int saola__form_compile(json_t *def, saola__form **out, char *err,
                        size_t errlen)
{
	compiler c = {0};
	saola__form *f;
	json_t *fields;
	int i, rc, r;

	*out = NULL;
	c.err = err;
	c.errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	f = saola__form_zalloc(sizeof *f);
	if (!f)
		return fail(&c, SAOLA_NOMEM, "form: out of memory");
	c.f = f;
	f->def = json_incref(def);
	f->year_idx = -1;
	f->unit_idx[0] = f->unit_idx[1] = f->unit_idx[2] = -1;
	for (i = 0; i < SAOLA__FORM_NINTS; i++)
		if (!(f->ints[i] = json_integer(i))) {
			rc = fail(&c, SAOLA_NOMEM, "form: out of memory");
			goto out;
		}

	if ((rc = compile_header(&c, def)) != SAOLA_OK)
		goto out;
	if ((rc = compile_choices(&c, json_object_get(def, "choices"))) != SAOLA_OK)
		goto out;
	fields = json_object_get(def, "fields");
	if (!json_is_array(fields) || json_array_size(fields) == 0) {
		rc = fail(&c, SAOLA_INVALID, "fields: expected a non-empty array");
		goto out;
	}
	if ((rc = add_fields(&c, fields, "", -1, -1)) != SAOLA_OK)
		goto out;
	if ((rc = build_index(&c)) != SAOLA_OK)
		goto out;
	for (i = 0; i < f->nfields; i++) {
		rc = finish_field(&c, i, json_string_value(
		                  json_object_get(def, "default_language")));
		if (rc != SAOLA_OK)
			goto out;
		if (f->fields[i].type == SAOLA__F_REPEAT)
			f->nrepeats++;
	}
	if ((rc = link_warnings(&c)) != SAOLA_OK)
		goto out;
	if (f->nrepeats) {
		f->repeats = saola__form_zalloc((size_t)f->nrepeats * sizeof *f->repeats);
		if (!f->repeats) {
			rc = fail(&c, SAOLA_NOMEM, "form: out of memory");
			goto out;
		}
		for (i = 0, r = 0; i < f->nfields; i++)
			if (f->fields[i].type == SAOLA__F_REPEAT) {
				f->fields[i].rix = r;
				f->repeats[r++] = i;
			}
	}
	if (f->year_field) {
		i = saola__form_find(f, f->year_field);
		if (i < 0 || f->fields[i].repeat >= 0 ||
		    f->fields[i].type != SAOLA__F_INTEGER || f->fields[i].computed) {
			rc = fail(&c, SAOLA_INVALID, "standard_year_field: \"%s\" is not "
			          "an entered top-level integer field", f->year_field);
			goto out;
		}
		f->year_idx = i;
	}
	rc = saola__form_units_compile(f, c.defs, c.paths, err, errlen);
out:
	if (c.paths)
		for (i = 0; i < f->nfields; i++)
			saola__form_mfree(c.paths[i]);
	saola__form_mfree(c.paths);
	saola__form_mfree(c.defs);
	if (rc != SAOLA_OK) {
		saola__form_free(f);
		return rc;
	}
	*out = f;
	return SAOLA_OK;
}

void saola__form_free(saola__form *f)
{
	int i;

	if (!f)
		return;
	for (i = 0; i < f->nfields; i++) {
		saola__expr_free(f->fields[i].relevant);
		saola__expr_free(f->fields[i].required_x);
		saola__expr_free(f->fields[i].constraint);
		saola__expr_free(f->fields[i].calculate);
		saola__expr_free(f->fields[i].warning);
	}
	for (i = 0; i < f->nlists; i++)
		saola__form_mfree(f->lists[i].values);
	saola__form_mfree(f->lists);
	saola__form_mfree(f->fields);
	saola__form_mfree(f->hash);
	saola__form_mfree(f->repeats);
	saola__form_mfree(f->pnames);
	for (i = 0; i < SAOLA__FORM_NINTS; i++)
		json_decref(f->ints[i]);
	json_decref(f->def);
	saola__form_mfree(f);
}

const char *saola__form_id(const saola__form *f)
{
	return f->id;
}

const char *saola__form_version(const saola__form *f)
{
	return f->version;
}

json_t *saola__form_def(const saola__form *f)
{
	return f->def;
}

const char *saola__form_standard(const saola__form *f)
{
	return f->standard;
}

const char *saola__form_standard_year_field(const saola__form *f)
{
	return f->year_field;
}

int saola__form_field_type(const saola__form *f, const char *name)
{
	int i = saola__form_find(f, name);

	if (i < 0 || f->fields[i].repeat >= 0)
		return -1;
	return (int)f->fields[i].type;
}

int saola__form_is_computed(const saola__form *f, const char *name)
{
	int i = saola__form_find(f, name);

	return i >= 0 && f->fields[i].computed;
}

int saola__form_is_personal(const saola__form *f, const char *name)
{
	int i = saola__form_find(f, name);

	return i >= 0 && f->fields[i].personal;
}

int saola__form_path_personal(const saola__form *f, const char *path)
{
	const char *dot = strchr(path, '.'), *dot2;
	char name[128];
	int i;

	if (!dot)
		return saola__form_is_personal(f, path);
	/* "repeat.item" or "repeat.item.field" */
	if ((size_t)(dot - path) >= sizeof name)
		return 0;
	memcpy(name, path, (size_t)(dot - path));
	name[dot - path] = '\0';
	i = saola__form_find(f, name);
	if (i < 0 || f->fields[i].type != SAOLA__F_REPEAT)
		return 0;
	if (f->fields[i].personal)
		return 1;
	dot2 = strchr(dot + 1, '.');
	return dot2 && saola__form_is_personal(f, dot2 + 1);
}

/* The field that answers at path, "field" or "repeat.item.field"; -1 for
 * any other path ("repeat.item", review paths, unknown names). */
static int field_at(const saola__form *f, const char *path)
{
	const char *dot = strchr(path, '.'), *field, *rname;
	int i;

	/* A name has no dot, so the field is after the last one whatever the
	 * item's id holds. */
	field = dot ? strrchr(path, '.') + 1 : path;
	if (dot && field == dot + 1)
		return -1; /* "repeat.item": an item */
	i = saola__form_find(f, field);
	if (i < 0 || (dot != NULL) != (f->fields[i].repeat >= 0))
		return -1;
	if (dot) {
		rname = f->fields[f->fields[i].repeat].name;
		if (strlen(rname) != (size_t)(dot - path) ||
		    strncmp(rname, path, (size_t)(dot - path)) != 0)
			return -1;
	}
	return i;
}

int saola__form_path_computed(const saola__form *f, const char *path)
{
	int i = field_at(f, path);

	return i >= 0 && f->fields[i].computed;
}

size_t saola__form_text_max(const saola__form *f, const char *path)
{
	int i;

	if (strcmp(path, "_comment") == 0)
		return f->comment_max;
	i = field_at(f, path);
	return i < 0 ? 0 : f->fields[i].max_length;
}

/* An environment where "." is one answer and nothing else resolves. */
static json_t *resolve_self(void *ctx, const char *name, int *nodeset)
{
	*nodeset = 0;
	return strcmp(name, ".") == 0 ? json_incref((json_t *)ctx) : NULL;
}

int saola__form_check_value(const saola__form *f, const char *path, json_t *value,
                            char *err, size_t errlen)
{
	saola__expr_env env;
	const saola__fdef *fd;
	char msg[160];
	int i = json_is_null(value) ? -1 : field_at(f, path), ok = 1;

	if (i < 0 || !(fd = &f->fields[i])->self_constraint || fd->type == SAOLA__F_REPEAT)
		return SAOLA_OK;
	memset(&env, 0, sizeof env);
	env.resolve = resolve_self;
	env.ctx = value;
	/* An answer the constraint cannot read (a wrong type) is the form
	 * check's to refuse, with its own message. */
	if (saola__expr_eval_bool(fd->constraint, &env, &ok, msg, sizeof msg) != SAOLA_OK || ok)
		return SAOLA_OK;
	if (err && errlen)
		snprintf(err, errlen, "%s: constraint failed%s%s", path, fd->cmsg ? ": " : "",
		         fd->cmsg ? fd->cmsg : "");
	return SAOLA_INVALID;
}

size_t saola__utf8_chars(const char *s, size_t n)
{
	size_t i, chars = 0;

	/* Every character has exactly one byte that is not a continuation
	 * byte (10xxxxxx). */
	for (i = 0; i < n; i++)
		chars += ((unsigned char)s[i] & 0xC0) != 0x80;
	return chars;
}

int saola__form_check_text(const saola__form *f, const char *path, const char *s,
                           size_t n, char *err, size_t errlen)
{
	size_t max = saola__form_text_max(f, path), chars;

	/* A character takes at least one byte: short text needs no count. */
	if (!max || n <= max || (chars = saola__utf8_chars(s, n)) <= max)
		return SAOLA_OK;
	if (err && errlen)
		snprintf(err, errlen, "%s: text of %zu characters is longer than the "
		         "form's maximum of %zu", path, chars, max);
	return SAOLA_INVALID;
}
