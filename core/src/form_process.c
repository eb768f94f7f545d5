/* form_process.c: validates one record against a compiled form and computes
 * its calculated fields: types and choices, relevance (clearing), calculate
 * in form order, then required and constraints (docs/forms.md). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola/core.h"
#include "form_int.h"

/* The run's state (form_int.h), by its short names here. */
typedef saola__rstate rstate;
typedef saola__proc proc;

static int fail(proc *p, int rc, const char *fmt, ...)
{
	va_list ap;

	if (p->err && p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Writes the record path of field fd (in item k when inside a repeat). */
static void field_path(const proc *p, const saola__fdef *fd, size_t k,
                       char *buf, size_t len)
{
	if (fd->repeat < 0)
		snprintf(buf, len, "%s", fd->name);
	else
		snprintf(buf, len, "%s[%zu].%s", p->f->fields[fd->repeat].name, k,
		         fd->name);
}

/* A short description of a JSON value for messages; no allocation. */
static void describe(const json_t *v, char *buf, size_t len)
{
	const char *s;
	size_t n;

	if (!v) {
		snprintf(buf, len, "nothing");
		return;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		s = json_string_value(v);
		n = json_string_length(v);
		if (n > 40) {
			n = 40;
			while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
				n--;
			snprintf(buf, len, "\"%.*s...\"", (int)n, s);
		} else {
			snprintf(buf, len, "\"%s\"", s);
		}
		break;
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, len, "%.15g", json_real_value(v));
		break;
	case JSON_TRUE:
		snprintf(buf, len, "true");
		break;
	case JSON_FALSE:
		snprintf(buf, len, "false");
		break;
	case JSON_NULL:
		snprintf(buf, len, "null");
		break;
	case JSON_ARRAY:
		snprintf(buf, len, "an array");
		break;
	default:
		snprintf(buf, len, "an object");
		break;
	}
}

static int valid_date(const char *s)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int i, y, m, d;

	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return 0;
	if (s[10] != '\0')
		return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + s[3] - '0';
	m = (s[5] - '0') * 10 + s[6] - '0';
	d = (s[8] - '0') * 10 + s[9] - '0';
	if (m < 1 || m > 12 || d < 1)
		return 0;
	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return d <= 29;
	return d <= mdays[m - 1];
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int is_choice(const saola__clist *cl, const char *v)
{
	return bsearch(&v, cl->values, cl->n, sizeof *cl->values, cmp_str) != NULL;
}

/* Checks an entered answer v of field fd against its type and choices; on
 * success *out is a new reference to the value to keep (an integral real
 * becomes an integer). */
static int check_value(proc *p, const saola__fdef *fd, size_t k, json_t *v,
                       json_t **out)
{
	char path[160], got[64];
	const char *expected = NULL;
	json_t *e;
	size_t i, j;
	double d;

	switch (fd->type) {
	case SAOLA__F_TEXT:
		if (!json_is_string(v)) {
			expected = "text";
			break;
		}
		if ((size_t)json_string_length(v) > fd->max_length &&
		    (i = saola__utf8_chars(json_string_value(v),
		                           json_string_length(v))) > fd->max_length) {
			field_path(p, fd, k, path, sizeof path);
			return fail(p, SAOLA_INVALID, "%s: text of %zu characters is "
			            "longer than the form's maximum of %zu", path, i,
			            fd->max_length);
		}
		break;
	case SAOLA__F_DATE:
		if (!json_is_string(v) || !valid_date(json_string_value(v)))
			expected = "date YYYY-MM-DD";
		break;
	case SAOLA__F_INTEGER:
		if (json_is_real(v)) {
			d = json_real_value(v);
			if (d == floor(d) && fabs(d) < 9007199254740992.0) {
				*out = json_integer((json_int_t)d);
				return *out ? SAOLA_OK : fail(p, SAOLA_NOMEM,
				                              "record: out of memory");
			}
		}
		if (!json_is_integer(v))
			expected = "integer";
		break;
	case SAOLA__F_DECIMAL:
		if (!json_is_number(v))
			expected = "number";
		break;
	case SAOLA__F_BOOLEAN:
		if (!json_is_boolean(v))
			expected = "true or false";
		break;
	case SAOLA__F_SELECT_ONE:
		if (!json_is_string(v)) {
			expected = "text";
			break;
		}
		if (!is_choice(fd->choices, json_string_value(v))) {
			field_path(p, fd, k, path, sizeof path);
			return fail(p, SAOLA_INVALID, "%s: \"%s\" is not a choice of "
			            "list %s", path, json_string_value(v),
			            fd->choices->name);
		}
		break;
	case SAOLA__F_SELECT_MULTIPLE:
		if (!json_is_array(v)) {
			expected = "an array of choices";
			break;
		}
		json_array_foreach(v, i, e) {
			if (!json_is_string(e)) {
				field_path(p, fd, k, path, sizeof path);
				describe(e, got, sizeof got);
				return fail(p, SAOLA_INVALID, "%s[%zu]: expected text, "
				            "got %s", path, i, got);
			}
			if (!is_choice(fd->choices, json_string_value(e))) {
				field_path(p, fd, k, path, sizeof path);
				return fail(p, SAOLA_INVALID, "%s: \"%s\" is not a choice "
				            "of list %s", path, json_string_value(e),
				            fd->choices->name);
			}
			for (j = 0; j < i; j++)
				if (json_equal(json_array_get(v, j), e)) {
					field_path(p, fd, k, path, sizeof path);
					return fail(p, SAOLA_INVALID, "%s: \"%s\" is selected "
					            "twice", path, json_string_value(e));
				}
		}
		break;
	default:
		break;
	}
	if (expected) {
		field_path(p, fd, k, path, sizeof path);
		describe(v, got, sizeof got);
		return fail(p, SAOLA_INVALID, "%s: expected %s, got %s", path,
		            expected, got);
	}
	*out = json_incref(v);
	return SAOLA_OK;
}

static json_t **slot_of(proc *p, const saola__fdef *fd, size_t k)
{
	const saola__fdef *r;

	if (fd->repeat < 0)
		return &p->top[fd->slot];
	r = &p->f->fields[fd->repeat];
	return &p->reps[r->rix].vals[k * (size_t)r->nslots + (size_t)fd->slot];
}

static unsigned char *rel_of(proc *p, const saola__fdef *fd, size_t k)
{
	const saola__fdef *r;

	if (fd->repeat < 0)
		return &p->trel[fd->slot];
	r = &p->f->fields[fd->repeat];
	return &p->reps[r->rix].rel[k * (size_t)r->nslots + (size_t)fd->slot];
}

static json_t *value_ref(json_t *v)
{
	return v ? json_incref(v) : json_null();
}

/* Builds the nodeset of field fd (inside a repeat): one value per item. */
static json_t *nodeset_of(proc *p, const saola__fdef *fd)
{
	const saola__fdef *r = &p->f->fields[fd->repeat];
	rstate *rs = &p->reps[r->rix];
	json_t *a;
	size_t k;
	int idx = (int)(fd - p->f->fields);

	if (rs->done && p->ncache[idx])
		return json_incref(p->ncache[idx]);
	a = json_array();
	if (!a)
		return NULL;
	for (k = 0; k < rs->n; k++)
		if (json_array_append_new(a, value_ref(*slot_of(p, fd, k))) != 0) {
			json_decref(a);
			return NULL;
		}
	if (rs->done)
		p->ncache[idx] = json_incref(a);
	return a;
}

/* The nodeset of a repeat's items: the item objects as given. */
static json_t *items_of(proc *p, const saola__fdef *fd)
{
	rstate *rs = &p->reps[fd->rix];
	size_t k;

	if (!rs->nodes) {
		rs->nodes = json_array();
		if (!rs->nodes)
			return NULL;
		for (k = 0; k < rs->n; k++)
			if (json_array_append(rs->nodes, json_array_get(rs->src, k))) {
				json_decref(rs->nodes);
				rs->nodes = NULL;
				return NULL;
			}
	}
	return json_incref(rs->nodes);
}

static json_t *resolve_cb(void *ctx, const char *name, int *nodeset)
{
	proc *p = ctx;
	const saola__fdef *fd;
	json_t *v;
	int i;

	*nodeset = 0;
	if (name[0] == '.' && name[1] == '\0')
		i = p->cur_field;
	else
		i = saola__form_find(p->f, name);
	if (i < 0)
		return NULL;
	fd = &p->f->fields[i];
	if (fd->repeat < 0 && fd->type != SAOLA__F_REPEAT)
		return value_ref(p->top[fd->slot]);
	if (fd->repeat >= 0 && fd->repeat == p->cur_rep)
		return value_ref(*slot_of(p, fd, p->cur_item));
	*nodeset = 1;
	v = fd->type == SAOLA__F_REPEAT ? items_of(p, fd) : nodeset_of(p, fd);
	if (!v)
		p->oom = 1;
	return v;
}

/* resolve_ix of a bound reference (expr.h): resolve_cb's value, borrowed
 * from the slots, or a new nodeset when one has to be built. */
static json_t *resolve_ix_cb(void *ctx, int ix, int *nodeset, int *owned)
{
	proc *p = ctx;
	const saola__fdef *fd;
	json_t *v;

	*nodeset = *owned = 0;
	if (ix == SAOLA__EXPR_CUR)
		ix = p->cur_field;
	if (ix < 0 || ix >= p->f->nfields)
		return NULL;
	fd = &p->f->fields[ix];
	if (fd->repeat < 0 && fd->type != SAOLA__F_REPEAT)
		v = p->top[fd->slot];
	else if (fd->repeat >= 0 && fd->repeat == p->cur_rep)
		v = *slot_of(p, fd, p->cur_item);
	else {
		*nodeset = *owned = 1;
		if (!(v = fd->type == SAOLA__F_REPEAT ? items_of(p, fd)
		                                      : nodeset_of(p, fd)))
			p->oom = 1;
		return v;
	}
	return v ? v : json_null();
}

/* position(..): the current repeat item's number, 0 outside one. */
static size_t position_cb(void *ctx)
{
	proc *p = ctx;

	return p->cur_rep >= 0 ? p->cur_item + 1 : 0;
}

/* indexed-repeat() by index (expr.h): the value of field in item n of
 * repeat as it is now (a later item's calculate is not computed yet),
 * borrowed from its slot; JSON null when there is no item n. */
static json_t *indexed_ix_cb(void *ctx, int field, int repeat, size_t n)
{
	proc *p = ctx;
	const saola__fdef *fd, *r;
	json_t *v;

	if (field < 0 || field >= p->f->nfields || repeat < 0 || repeat >= p->f->nfields)
		return NULL;
	fd = &p->f->fields[field];
	r = &p->f->fields[repeat];
	if (r->type != SAOLA__F_REPEAT || fd->repeat != repeat || fd->type == SAOLA__F_GROUP)
		return NULL;
	if (n < 1 || n > p->reps[r->rix].n)
		return json_null();
	v = *slot_of(p, fd, n - 1);
	return v ? v : json_null();
}

/* indexed-repeat() by name (expr.h): a new reference. */
static json_t *indexed_cb(void *ctx, const char *field, const char *repeat, size_t n)
{
	proc *p = ctx;

	return json_incref(indexed_ix_cb(p, saola__form_find(p->f, field),
	                                 saola__form_find(p->f, repeat), n));
}

/* Finds the params of the standard in force for the record, once. */
static void load_params(proc *p)
{
	const saola__form *f = p->f;
	json_t *year;

	if (!f->standard) {
		p->prc = SAOLA_INVALID;
		snprintf(p->perr, sizeof p->perr, "param(): form %s names no "
		         "standard", f->id);
		return;
	}
	year = p->top[f->fields[f->year_idx].slot];
	if (!json_is_integer(year)) {
		p->prc = SAOLA_NOTFOUND;
		snprintf(p->perr, sizeof p->perr, "%s: no answer, so no standard "
		         "%s can be picked", f->year_field, f->standard);
		return;
	}
	if (p->src && p->src->lookup)
		p->params = p->src->lookup(p->src->ctx, f->standard,
		                           json_integer_value(year));
	if (!json_is_object(p->params)) {
		p->params = NULL;
		p->prc = SAOLA_NOTFOUND;
		snprintf(p->perr, sizeof p->perr, "%s: no standard %s covers %"
		         JSON_INTEGER_FORMAT, f->year_field, f->standard,
		         json_integer_value(year));
	}
}

/* The parameter called name of the standard in force, borrowed; NULL with
 * p->prc and p->perr set when there is none. */
static json_t *param_get(proc *p, const char *name)
{
	json_t *v;

	if (p->prc != SAOLA_OK)
		return NULL;
	if (!p->params) {
		load_params(p);
		if (p->prc != SAOLA_OK)
			return NULL;
	}
	v = json_object_get(p->params, name);
	if (!v) {
		p->prc = SAOLA_NOTFOUND;
		snprintf(p->perr, sizeof p->perr, "param('%s'): not a parameter of "
		         "the standard %s in force", name, p->f->standard);
		return NULL;
	}
	return v;
}

static json_t *param_cb(void *ctx, const char *name)
{
	return json_incref(param_get(ctx, name));
}

/* param_ix of a bound name (expr.h): looked up once per run. */
static json_t *param_ix_cb(void *ctx, int ix)
{
	proc *p = ctx;

	if (!p->pvals[ix])
		p->pvals[ix] = param_get(p, p->f->pnames[ix]);
	return p->pvals[ix];
}

/* Turns a failed evaluation (rc from the engine) into the call's error:
 * out of memory, a param() failure saying why the standard is missing, or
 * else the field and property that failed. */
static int eval_failed(proc *p, const saola__fdef *fd, size_t k,
                       const char *prop, int rc, const char *msg)
{
	char path[160];

	if (rc == SAOLA_NOMEM || p->oom)
		return fail(p, SAOLA_NOMEM, "record: out of memory");
	if (p->prc != SAOLA_OK)
		return fail(p, p->prc, "%s", p->perr);
	field_path(p, fd, k, path, sizeof path);
	return fail(p, SAOLA_INVALID, "%s: %s: %s", path, prop, msg);
}

static int eval_bool(proc *p, const saola__fdef *fd, size_t k,
                     const saola__expr *e, const char *prop, int *out)
{
	char msg[160];
	int rc = saola__expr_eval_bool_b(e, &p->env, &p->bound, out, msg, sizeof msg);

	return rc == SAOLA_OK ? SAOLA_OK : eval_failed(p, fd, k, prop, rc, msg);
}

/* Evaluates fd's calculate into its slot: integral numbers as integers,
 * an empty result (null, NaN, "") as unanswered. */
static int compute(proc *p, const saola__fdef *fd, size_t k, json_t **slot)
{
	char msg[160];
	json_t *v = NULL;
	double d;
	int rc = saola__expr_eval_b(fd->calculate, &p->env, &p->bound, &v, msg,
	                            sizeof msg);

	if (rc != SAOLA_OK)
		return eval_failed(p, fd, k, "calculate", rc, msg);
	if (json_is_real(v)) {
		d = json_real_value(v);
		if (d == floor(d) && fabs(d) < 9007199254740992.0) {
			json_decref(v);
			v = d >= 0 && d < SAOLA__FORM_NINTS ? json_incref(p->f->ints[(int)d])
			                                    : json_integer((json_int_t)d);
			if (!v)
				return fail(p, SAOLA_NOMEM, "record: out of memory");
		}
	}
	if (json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0)) {
		json_decref(v);
		v = NULL;
	}
	json_decref(*slot);
	*slot = v;
	return SAOLA_OK;
}

static int answered(const json_t *v)
{
	return v && !(json_is_string(v) && json_string_length(v) == 0);
}

int saola__proc_warning(proc *p, int i, size_t k, int *holds)
{
	const saola__fdef *fd = &p->f->fields[i];
	int prc = p->prc, b, rc;

	*holds = 1;
	if (!fd->warning || !*rel_of(p, fd, k) || !answered(*slot_of(p, fd, k)))
		return SAOLA_OK;
	p->cur_field = i;
	rc = eval_bool(p, fd, k, fd->warning, "warning", &b);
	if (rc != SAOLA_OK) {
		/* A warning is soft: what it could not read (a parameter the
		 * standard lacks) leaves no failure for the run to report. */
		if (prc == SAOLA_OK && rc != SAOLA_NOMEM)
			p->prc = SAOLA_OK;
		return rc;
	}
	*holds = b != 0;
	return SAOLA_OK;
}

/* Keeps the first failure a tolerant pass goes on past. */
static void tolerated(proc *p)
{
	if (p->nnotes++ == 0)
		snprintf(p->note, sizeof p->note, "%s", p->err ? p->err : "");
}

/* Pass 1 for one field: relevance (clearing what is not relevant), then its
 * calculate. parent_rel is the relevance of the enclosing group. */
static int relevance_calc(proc *p, int i, size_t k)
{
	const saola__fdef *fd = &p->f->fields[i];
	json_t **slot = slot_of(p, fd, k);
	unsigned char *rel = rel_of(p, fd, k);
	int r = 1, rc;

	if (fd->parent >= 0 && p->f->fields[fd->parent].type == SAOLA__F_GROUP)
		r = *rel_of(p, &p->f->fields[fd->parent], k);
	p->cur_field = i;
	if (r && fd->relevant &&
	    (rc = eval_bool(p, fd, k, fd->relevant, "relevant", &r)) != SAOLA_OK) {
		if (!p->tolerant || rc == SAOLA_NOMEM)
			return rc;
		r = 2; /* a data-entry walk asks what it cannot rule out */
		tolerated(p);
	}
	if (r && fd->confirms >= 0) {
		/* A warning's confirmation is asked, and kept, exactly while the
		 * warning stands (the compiler gave the field no relevant of its
		 * own, and put it after the warned field, in the same group or
		 * repeat). A warning that cannot be evaluated holds. */
		int holds, rw = *rel_of(p, &p->f->fields[fd->confirms], k);

		rc = saola__proc_warning(p, fd->confirms, k, &holds);
		p->cur_field = i;
		if (rc == SAOLA_NOMEM)
			return rc;
		if (rc != SAOLA_OK && p->err && p->errlen)
			p->err[0] = '\0';
		r = holds ? 0 : rw;
	}
	*rel = (unsigned char)r;
	if (!r) {
		json_decref(*slot);
		*slot = NULL;
		return SAOLA_OK;
	}
	if (fd->computed && (rc = compute(p, fd, k, slot)) != SAOLA_OK) {
		if (!p->tolerant || rc == SAOLA_NOMEM)
			return rc;
		tolerated(p); /* the value stays empty */
	}
	return SAOLA_OK;
}

/* fd's constraint on its answer, when it has one; a repeat's answer is its
 * list of items ("count(.) <= 30"). */
static int check_constraint(proc *p, int i, size_t k)
{
	const saola__fdef *fd = &p->f->fields[i];
	char path[160];
	int b, rc;

	if (!fd->constraint)
		return SAOLA_OK;
	p->cur_field = i;
	if ((rc = eval_bool(p, fd, k, fd->constraint, "constraint", &b)) != SAOLA_OK)
		return rc;
	if (b)
		return SAOLA_OK;
	field_path(p, fd, k, path, sizeof path);
	if (fd->cmsg)
		return fail(p, SAOLA_INVALID, "%s: constraint failed: %s", path,
		            fd->cmsg);
	return fail(p, SAOLA_INVALID, "%s: constraint failed", path);
}

/* Pass 2 for one field: required and constraint, when relevant. */
static int check_field(proc *p, int i, size_t k)
{
	const saola__fdef *fd = &p->f->fields[i];
	json_t *v;
	char path[160];
	int b, rc;

	if (!*rel_of(p, fd, k) || fd->type == SAOLA__F_GROUP ||
	    fd->type == SAOLA__F_NOTE)
		return SAOLA_OK;
	p->cur_field = i;
	if (fd->type == SAOLA__F_REPEAT)
		v = p->reps[fd->rix].n ? p->reps[fd->rix].src : NULL;
	else
		v = *slot_of(p, fd, k);
	if (answered(v))
		return check_constraint(p, i, k);
	b = fd->required;
	if (!b && fd->required_x && !fd->computed &&
	    (rc = eval_bool(p, fd, k, fd->required_x, "required", &b)) != SAOLA_OK)
		return rc;
	if (b && !fd->computed) {
		field_path(p, fd, k, path, sizeof path);
		return fail(p, SAOLA_INVALID, "%s: required", path);
	}
	return SAOLA_OK;
}

/* check_field, going on past a refusal in a lenient pass. */
static int checked(proc *p, int i, size_t k)
{
	int rc = check_field(p, i, k);

	if (rc != SAOLA_INVALID || !p->lenient)
		return rc;
	tolerated(p);
	return SAOLA_OK;
}

/* Runs fn over every field in form order, each repeat's fields once per
 * item. Pass 1 also settles each repeat: not relevant means no items. */
int saola__proc_walk(proc *p, int pass)
{
	const saola__form *f = p->f;
	int i, j, rc;
	size_t k;

	for (i = 0; i < f->nfields; ) {
		const saola__fdef *fd = &f->fields[i];
		rstate *rs;

		p->cur_rep = -1;
		p->at_field = i;
		p->at_item = 0;
		rc = pass == 1 ? relevance_calc(p, i, 0) : checked(p, i, 0);
		if (rc != SAOLA_OK)
			return rc;
		if (fd->type != SAOLA__F_REPEAT) {
			i++;
			continue;
		}
		rs = &p->reps[fd->rix];
		if (pass == 1 && !p->trel[fd->slot]) {
			for (k = 0; k < rs->n * (size_t)fd->nslots; k++) {
				json_decref(rs->vals[k]);
				rs->vals[k] = NULL;
			}
			rs->n = 0;
			json_decref(rs->nodes); /* a ${repeat} seen before is stale */
			rs->nodes = NULL;
		}
		for (k = 0; k < rs->n; k++) {
			p->cur_rep = i;
			p->cur_item = k;
			for (j = i + 1; j < fd->end; j++) {
				p->at_field = j;
				p->at_item = k;
				rc = pass == 1 ? relevance_calc(p, j, k) : checked(p, j, k);
				if (rc != SAOLA_OK)
					return rc;
			}
		}
		rs->done = 1;
		i = fd->end;
	}
	p->cur_rep = -1;
	return SAOLA_OK;
}

/* Checks one repeat item's answers into its slots. */
static int load_item(proc *p, const saola__fdef *r, size_t k, json_t *item)
{
	rstate *rs = &p->reps[r->rix];
	const char *key;
	json_t *v;
	char got[64];
	int i, rc;

	if (!json_is_object(item)) {
		describe(item, got, sizeof got);
		return fail(p, SAOLA_INVALID, "%s[%zu]: expected object, got %s",
		            r->name, k, got);
	}
	json_object_foreach(item, key, v) {
		const saola__fdef *fd;

		if (strcmp(key, "_id") == 0) {
			if (!json_is_string(v)) {
				describe(v, got, sizeof got);
				return fail(p, SAOLA_INVALID, "%s[%zu]._id: expected text, "
				            "got %s", r->name, k, got);
			}
			rs->ids[k] = v;
			continue;
		}
		i = saola__form_find(p->f, key);
		fd = i >= 0 ? &p->f->fields[i] : NULL;
		if (!fd || fd->repeat != (int)(r - p->f->fields) ||
		    fd->type == SAOLA__F_GROUP)
			return fail(p, SAOLA_INVALID, "%s[%zu].%s: unknown field",
			            r->name, k, key);
		if (fd->computed || fd->type == SAOLA__F_NOTE || json_is_null(v))
			continue;
		if ((rc = check_value(p, fd, k, v, slot_of(p, fd, k))) != SAOLA_OK)
			return rc;
	}
	return SAOLA_OK;
}

/* Checks the record's answers into the slots: unknown fields, types, choices. */
static int load(proc *p, json_t *data)
{
	const char *key;
	json_t *v;
	size_t k;
	int i, rc;

	json_object_foreach(data, key, v) {
		const saola__fdef *fd;

		i = saola__form_find(p->f, key);
		fd = i >= 0 ? &p->f->fields[i] : NULL;
		if (!fd || fd->repeat >= 0 || fd->type == SAOLA__F_GROUP)
			return fail(p, SAOLA_INVALID, "%s: unknown field", key);
		if (fd->computed || fd->type == SAOLA__F_NOTE || json_is_null(v))
			continue;
		if (fd->type == SAOLA__F_REPEAT) {
			for (k = 0; k < p->reps[fd->rix].n; k++) {
				rc = load_item(p, fd, k, json_array_get(v, k));
				if (rc != SAOLA_OK)
					return rc;
			}
			continue;
		}
		if ((rc = check_value(p, fd, 0, v, &p->top[fd->slot])) != SAOLA_OK)
			return rc;
	}
	return SAOLA_OK;
}

/* Moves the kept values into a new record object, in form order. */
static int build(proc *p, json_t **out)
{
	const saola__form *f = p->f;
	json_t *o, *arr = NULL, *item = NULL;
	int i, j;
	size_t k;

	o = json_object();
	if (!o)
		goto nomem;
	for (i = 0; i < f->nfields; ) {
		const saola__fdef *fd = &f->fields[i];
		rstate *rs;

		if (fd->type != SAOLA__F_REPEAT) {
			json_t *v = p->top[fd->slot];

			/* set_new takes the reference even when it fails */
			p->top[fd->slot] = NULL;
			if (v && json_object_set_new_nocheck(o, fd->name, v))
				goto nomem;
			i++;
			continue;
		}
		rs = &p->reps[fd->rix];
		if (rs->src && p->trel[fd->slot]) {
			if (!(arr = json_array()) || json_object_set_new_nocheck(o, fd->name, arr))
				goto nomem;
			for (k = 0; k < rs->n; k++) {
				if (!(item = json_object()) || json_array_append_new(arr, item))
					goto nomem;
				if (rs->ids[k] && json_object_set_nocheck(item, "_id", rs->ids[k]))
					goto nomem;
				for (j = i + 1; j < fd->end; j++) {
					json_t **s = slot_of(p, &f->fields[j], k);
					json_t *v = *s;

					*s = NULL;
					if (v && json_object_set_new_nocheck(item, f->fields[j].name, v))
						goto nomem;
				}
			}
		}
		i = fd->end;
	}
	*out = o;
	return SAOLA_OK;
nomem:
	json_decref(o);
	return fail(p, SAOLA_NOMEM, "record: out of memory");
}

int saola__proc_open(proc *p, const saola__form *f, json_t *data,
                     const saola__params_src *params, const char *today,
                     char *err, size_t errlen)
{
	rstate *reps;
	size_t nvals = (size_t)f->ntop, off, bytes;
	unsigned char *relbuf;
	int i;
	char got[64];

	memset(p, 0, sizeof *p);
	p->f = f;
	p->err = err;
	p->errlen = errlen;
	p->src = params;
	p->data = data;
	p->cur_rep = -1;
	p->env.resolve = resolve_cb;
	p->env.param = param_cb;
	p->bound.resolve_ix = resolve_ix_cb;
	p->bound.param_ix = param_ix_cb;
	p->bound.indexed_ix = indexed_ix_cb;
	p->env.position = position_cb;
	p->env.indexed = indexed_cb;
	p->bound.ints = f->ints;
	p->bound.nints = SAOLA__FORM_NINTS;
	p->env.unit = saola__proc_unit_fn;
	p->env.ctx = p;
	p->env.today = today;
	if (err && errlen)
		err[0] = '\0';
	if (!json_is_object(data)) {
		describe(data, got, sizeof got);
		return fail(p, SAOLA_INVALID, "record: expected object, got %s", got);
	}

	reps = p->small;
	if (f->nrepeats > (int)(sizeof p->small / sizeof *p->small)) {
		reps = saola__form_zalloc((size_t)f->nrepeats * sizeof *reps);
		if (!reps)
			return fail(p, SAOLA_NOMEM, "record: out of memory");
	}
	p->reps = reps;
	for (i = 0; i < f->nrepeats; i++) {
		const saola__fdef *r = &f->fields[f->repeats[i]];
		json_t *src = json_object_get(data, r->name);

		if (src && !json_is_null(src)) {
			if (!json_is_array(src)) {
				describe(src, got, sizeof got);
				return fail(p, SAOLA_INVALID, "%s: expected an array of "
				            "items, got %s", r->name, got);
			}
			reps[i].src = src;
			reps[i].n = reps[i].given = json_array_size(src);
		}
		nvals += reps[i].n * (size_t)(r->nslots + 1);  /* + the _id */
	}
	nvals += (size_t)f->nfields;  /* the nodeset cache */
	/* One block for every slot, parameter, relevance flag and cache of
	 * this call; the slots come first, the borrowed parameters next. */
	bytes = (nvals + (size_t)f->nparams) * sizeof(json_t *) + nvals;
	if (bytes <= sizeof p->inline_block) {
		p->block = p->inline_block;
		memset(p->block, 0, bytes);
	} else if (!(p->block = saola__form_zalloc(bytes))) {
		return fail(p, SAOLA_NOMEM, "record: out of memory");
	}
	p->nvals = nvals;
	p->pvals = (json_t **)p->block + nvals;
	relbuf = (unsigned char *)(p->pvals + f->nparams);
	p->top = p->block;
	p->trel = relbuf;
	off = (size_t)f->ntop;
	p->ncache = p->top + off;
	off += (size_t)f->nfields;
	for (i = 0; i < f->nrepeats; i++) {
		size_t n = reps[i].n * (size_t)f->fields[f->repeats[i]].nslots;

		reps[i].vals = p->top + off;
		reps[i].rel = relbuf + off;
		off += n;
		reps[i].ids = p->top + off;
		off += reps[i].n;
	}
	return load(p, data);
}

void saola__proc_close(proc *p)
{
	size_t k;
	int i;

	/* ids are borrowed; every other slot holds a reference. */
	if (p->reps)
		for (i = 0; i < p->f->nrepeats; i++) {
			if (p->reps[i].ids)
				memset(p->reps[i].ids, 0,
				       p->reps[i].given * sizeof *p->reps[i].ids);
			json_decref(p->reps[i].nodes);
		}
	if (p->block)
		for (k = 0; k < p->nvals; k++)
			json_decref(p->top[k]);
	if (p->block != p->inline_block)
		saola__form_mfree(p->block);
	if (p->reps != p->small)
		saola__form_mfree(p->reps);
	p->block = NULL;
	p->reps = NULL;
}

json_t **saola__proc_slot(proc *p, const saola__fdef *fd, size_t k)
{
	return slot_of(p, fd, k);
}

unsigned char *saola__proc_rel(proc *p, const saola__fdef *fd, size_t k)
{
	return rel_of(p, fd, k);
}

int saola__proc_eval_bool(proc *p, const saola__fdef *fd, size_t k,
                          const saola__expr *e, const char *prop, int *out)
{
	return eval_bool(p, fd, k, e, prop, out);
}

static int process(const saola__form *f, json_t *data, const saola__params_src *params,
                   const char *today, json_t **out, char **issues, char *err, size_t errlen)
{
	proc p;
	int rc;

	*out = NULL;
	if ((rc = saola__proc_open(&p, f, data, params, today, err, errlen)) != SAOLA_OK)
		goto out;
	p.lenient = issues != NULL;
	/* A year out of its own bounds is that, rather than a year no standard
	 * covers: check it before anything looks the standard up. */
	if (f->year_idx >= 0 && answered(p.top[f->fields[f->year_idx].slot]) &&
	    (rc = check_constraint(&p, f->year_idx, 0)) != SAOLA_OK)
		goto out;
	/* A param() failure that an expression swallowed still fails. */
	if ((rc = saola__proc_walk(&p, 1)) != SAOLA_OK ||
	    (p.prc != SAOLA_OK && (rc = fail(&p, p.prc, "%s", p.perr))))
		goto out;
	if ((rc = saola__proc_walk(&p, 2)) != SAOLA_OK ||
	    (p.prc != SAOLA_OK && (rc = fail(&p, p.prc, "%s", p.perr))))
		goto out;
	if ((rc = saola__proc_check_units(&p)) != SAOLA_OK)
		goto out;
	rc = build(&p, out);
	if (rc == SAOLA_OK && issues && p.nnotes > 0) {
		char more[48] = "";
		size_t n;
		if (p.nnotes > 1)
			snprintf(more, sizeof more, " (and %d more)", p.nnotes - 1);
		n = strlen(p.note) + strlen(more) + 1;
		if ((*issues = malloc(n)) != NULL) {
			snprintf(*issues, n, "%s%s", p.note, more);
		} else {
			json_decref(*out);
			*out = NULL;
			rc = fail(&p, SAOLA_NOMEM, "record: out of memory");
		}
	}
out:
	saola__proc_close(&p);
	return rc;
}

int saola__form_process(const saola__form *f, json_t *data,
                        const saola__params_src *params, const char *today,
                        json_t **out, char *err, size_t errlen)
{
	return process(f, data, params, today, out, NULL, err, errlen);
}

int saola__form_process_merged(const saola__form *f, json_t *data,
                               const saola__params_src *params, json_t **out,
                               char **issues, char *err, size_t errlen)
{
	*issues = NULL;
	return process(f, data, params, NULL, out, issues, err, errlen);
}
