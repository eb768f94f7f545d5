/* form_walk.c: the form engine for a data-entry screen: a partial record
 * walked in form order (relevance, computed values, and per question its
 * required, constraint and standard checks), reusing form_process.c's run
 * over the compiled form. */
#include <stdio.h>
#include <string.h>

#include "saola/core.h"
#include "saola_int.h"
#include "form_int.h"

struct saola__walk {
	saola__proc p;
	char err[256];          /* the run's message buffer */
};

/* Copies the run's message to the caller's buffer. */
static int report(const saola__walk *w, int rc, char *err, size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", w->err);
	return rc;
}

int saola__form_open_db(struct saola *db, const char *form_id,
                        const saola__form **f, saola__params_src *params)
{
	saola__form *form = NULL;
	int rc;

	*f = NULL;
	if ((rc = saola__form_lookup(db, form_id, &form)) != SAOLA_OK)
		return rc;
	saola__params_source(db, params);
	*f = form;
	return saola__ok(db);
}

int saola__form_nfields(const saola__form *f)
{
	return f->nfields;
}

int saola__form_field_index(const saola__form *f, const char *name)
{
	return saola__form_find(f, name);
}

/* The definition object of field number target, counting the fields arrays
 * in pre-order as the compiler numbered them. */
static json_t *def_at(json_t *fields, int *n, int target)
{
	json_t *fj, *sub, *found;
	size_t i;

	json_array_foreach(fields, i, fj) {
		if ((*n)++ == target)
			return fj;
		sub = json_object_get(fj, "fields");
		if (json_is_array(sub) && (found = def_at(sub, n, target)) != NULL)
			return found;
	}
	return NULL;
}

int saola__form_field_info(const saola__form *f, int i, saola__field_info *out)
{
	const saola__fdef *fd;
	int n = 0;

	memset(out, 0, sizeof *out);
	out->confirm = out->confirms = -1;
	if (i < 0 || i >= f->nfields)
		return SAOLA_NOTFOUND;
	fd = &f->fields[i];
	out->name = fd->name;
	out->type = fd->type;
	out->parent = fd->parent;
	out->repeat = fd->repeat;
	out->end = fd->end;
	out->computed = fd->computed;
	out->personal = fd->personal;
	out->warned = fd->warning != NULL;
	out->confirm = fd->confirm;
	out->confirms = fd->confirms;
	out->def = def_at(json_object_get(f->def, "fields"), &n, i);
	return SAOLA_OK;
}

int saola__form_walk(const saola__form *f, json_t *data,
                     const saola__params_src *params, const char *today,
                     saola__walk **out, char *err, size_t errlen)
{
	saola__walk *w;
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	w = saola__form_zalloc(sizeof *w);
	if (!w) {
		if (err && errlen)
			snprintf(err, errlen, "record: out of memory");
		return SAOLA_NOMEM;
	}
	rc = saola__proc_open(&w->p, f, data, params, today, w->err, sizeof w->err);
	if (rc == SAOLA_OK) {
		w->p.tolerant = 1;
		rc = saola__proc_walk(&w->p, 1);
	}
	if (rc != SAOLA_OK) {
		report(w, rc, err, errlen);
		saola__walk_free(w);
		return rc;
	}
	*out = w;
	return SAOLA_OK;
}

void saola__walk_free(saola__walk *w)
{
	if (!w)
		return;
	saola__proc_close(&w->p);
	saola__form_mfree(w);
}

/* The repeat state of field fd's repeat, or NULL at the top level. */
static saola__rstate *rstate_of(const saola__walk *w, const saola__fdef *fd)
{
	if (fd->repeat < 0)
		return NULL;
	return &w->p.reps[w->p.f->fields[fd->repeat].rix];
}

/* Field i, when it exists in item k; else NULL. */
static const saola__fdef *field_at(const saola__walk *w, int i, size_t k)
{
	const saola__fdef *fd;
	const saola__rstate *rs;

	if (i < 0 || i >= w->p.f->nfields)
		return NULL;
	fd = &w->p.f->fields[i];
	rs = rstate_of(w, fd);
	if (rs && k >= rs->n)
		return NULL;
	return fd;
}

size_t saola__walk_items(const saola__walk *w, int r)
{
	const saola__fdef *fd = field_at(w, r, 0);

	if (!fd || fd->type != SAOLA__F_REPEAT)
		return 0;
	return w->p.reps[fd->rix].n;
}

int saola__walk_relevant(const saola__walk *w, int i, size_t k)
{
	const saola__fdef *fd = field_at(w, i, k);

	/* The run's accessors take a non-const run; reading changes nothing. */
	return fd ? *saola__proc_rel((saola__proc *)&w->p, fd, k) : 0;
}

json_t *saola__walk_value(const saola__walk *w, int i, size_t k)
{
	const saola__fdef *fd = field_at(w, i, k);

	if (!fd || fd->type == SAOLA__F_GROUP || fd->type == SAOLA__F_NOTE)
		return NULL;
	if (fd->type == SAOLA__F_REPEAT)
		return w->p.reps[fd->rix].n ? w->p.reps[fd->rix].src : NULL;
	return *saola__proc_slot((saola__proc *)&w->p, fd, k);
}

/* Makes field i of item k the current one for its expressions. */
static void set_current(saola__walk *w, int i, size_t k)
{
	w->p.cur_field = i;
	w->p.cur_rep = w->p.f->fields[i].repeat;
	w->p.cur_item = k;
}

int saola__walk_required(saola__walk *w, int i, size_t k, int *out,
                         char *err, size_t errlen)
{
	const saola__fdef *fd = field_at(w, i, k);
	int b, rc;

	*out = 0;
	if (!fd || !saola__walk_relevant(w, i, k) || fd->computed ||
	    fd->type == SAOLA__F_GROUP || fd->type == SAOLA__F_NOTE)
		return SAOLA_OK;
	b = fd->required;
	if (!b && fd->required_x) {
		set_current(w, i, k);
		rc = saola__proc_eval_bool(&w->p, fd, k, fd->required_x, "required", &b);
		if (rc != SAOLA_OK)
			return report(w, rc, err, errlen);
	}
	*out = b != 0;
	return SAOLA_OK;
}

int saola__walk_constraint(saola__walk *w, int i, size_t k, int *holds,
                           char *err, size_t errlen)
{
	const saola__fdef *fd = field_at(w, i, k);
	json_t *v;
	int b, rc;

	*holds = 1;
	if (!fd || !fd->constraint || fd->type == SAOLA__F_REPEAT ||
	    !saola__walk_relevant(w, i, k))
		return SAOLA_OK;
	v = *saola__proc_slot(&w->p, fd, k);
	if (!v || (json_is_string(v) && json_string_length(v) == 0))
		return SAOLA_OK; /* a constraint is not checked on no answer */
	set_current(w, i, k);
	rc = saola__proc_eval_bool(&w->p, fd, k, fd->constraint, "constraint", &b);
	if (rc != SAOLA_OK)
		return report(w, rc, err, errlen);
	*holds = b != 0;
	return SAOLA_OK;
}

int saola__walk_warning(saola__walk *w, int i, size_t k, int *holds, char *err,
                        size_t errlen)
{
	const saola__fdef *fd = field_at(w, i, k);
	int rc;

	*holds = 1;
	if (!fd || !fd->warning)
		return SAOLA_OK;
	set_current(w, i, k);
	rc = saola__proc_warning(&w->p, i, k, holds);
	return rc == SAOLA_OK ? SAOLA_OK : report(w, rc, err, errlen);
}

int saola__walk_standard(saola__walk *w, char *err, size_t errlen)
{
	const saola__form *f = w->p.f;
	const saola__params_src *src = w->p.src;
	json_t *year;

	if (f->year_idx < 0)
		return SAOLA_OK;
	year = w->p.top[f->fields[f->year_idx].slot];
	if (!json_is_integer(year))
		return SAOLA_OK;
	if (src && src->lookup &&
	    json_is_object(src->lookup(src->ctx, f->standard, json_integer_value(year))))
		return SAOLA_OK;
	if (err && errlen)
		snprintf(err, errlen, "%s: no standard %s covers %" JSON_INTEGER_FORMAT,
		         f->year_field, f->standard, json_integer_value(year));
	return SAOLA_NOTFOUND;
}

int saola__walk_validate(saola__walk *w, int *field, size_t *item,
                         char *err, size_t errlen)
{
	int rc = saola__proc_walk(&w->p, 2);

	*field = -1;
	*item = 0;
	if (err && errlen)
		err[0] = '\0';
	if (rc != SAOLA_OK) {
		*field = w->p.at_field;
		*item = w->p.at_item;
		return report(w, rc, err, errlen);
	}
	/* As processing does: a param() failure that an expression swallowed
	 * still fails, and the year is what to change. */
	if (w->p.prc != SAOLA_OK) {
		*field = w->p.f->year_idx;
		if (err && errlen)
			snprintf(err, errlen, "%s", w->p.perr);
		return w->p.prc;
	}
	return SAOLA_OK;
}

const char *saola__walk_note(const saola__walk *w)
{
	return w->p.nnotes ? w->p.note : NULL;
}

int saola__walk_units(saola__walk *w, char *err, size_t errlen)
{
	int rc;

	w->p.lenient = 0;
	rc = saola__proc_check_units(&w->p);
	return rc == SAOLA_OK ? SAOLA_OK : report(w, rc, err, errlen);
}

int saola__walk_unit(saola__walk *w, const char *code, saola__unit_ref *out)
{
	const saola__form *f = w->p.f;
	const saola__params_src *src = w->p.src;
	json_t *year = f->year_idx < 0 ? NULL : w->p.top[f->fields[f->year_idx].slot];

	memset(out, 0, sizeof *out);
	if (!json_is_integer(year) || !src || !src->unit)
		return -1;
	return src->unit(src->ctx, f->standard, json_integer_value(year), code, out);
}
