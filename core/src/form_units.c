/* form_units.c: the places a record names (fields with a "unit" property)
 * checked against the administrative units valid for its survey year, and
 * the expression functions that read units (unit_urban, unit_name,
 * unit_level_exists). Format: docs/forms.md, "Places". */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "saola/core.h"
#include "form_int.h"

enum { PROVINCE, DISTRICT, COMMUNE, LEVELS };

#define LABEL_MAX 192 /* "14404 Xã Cúc Phương" */

static const char *const level_names[LEVELS] = {"province", "district", "commune"};

static int cfail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int cfail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return SAOLA_INVALID;
}

int saola__form_units_compile(saola__form *f, json_t *const *defs, char *const *paths,
                              char *err, size_t errlen)
{
	int i, l;

	for (l = 0; l < LEVELS; l++)
		f->unit_idx[l] = -1;
	for (i = 0; i < f->nfields; i++) {
		json_t *v = json_object_get(defs[i], "unit");
		const char *s = json_string_value(v);
		if (!v)
			continue;
		for (l = 0; l < LEVELS && (!s || strcmp(s, level_names[l]) != 0); l++)
			;
		if (l == LEVELS)
			return cfail(err, errlen, "%s.unit: expected \"province\", \"district\" or"
			             " \"commune\"", paths[i]);
		if (f->fields[i].type != SAOLA__F_TEXT || f->fields[i].repeat >= 0 ||
		    f->fields[i].computed)
			return cfail(err, errlen, "%s.unit: only an entered top-level text field"
			             " names a unit", paths[i]);
		if (f->unit_idx[l] >= 0)
			return cfail(err, errlen, "%s.unit: a second %s field", paths[i], s);
		if (f->year_idx < 0)
			return cfail(err, errlen, "%s.unit: the form names no standard, so no year"
			             " picks the units", paths[i]);
		f->unit_idx[l] = i;
	}
	return SAOLA_OK;
}

/* The answer of the unit field of level l ("" when none). */
static const char *answer(const saola__proc *p, int l)
{
	int i = p->f->unit_idx[l];
	const char *s;

	if (i < 0 || !p->trel[p->f->fields[i].slot])
		return "";
	s = json_string_value(p->top[p->f->fields[i].slot]);
	return s ? s : "";
}

/* The answer given for the unit field of level l, even when the field is
 * not relevant (processing clears it then): "" when none. */
static const char *given(const saola__proc *p, int l)
{
	int i = p->f->unit_idx[l];
	const char *s = i < 0 ? NULL : json_string_value(json_object_get(p->data,
	                                                 p->f->fields[i].name));

	return s ? s : "";
}

/* The record's year, or 0 when it is not answered. */
static json_int_t year_of(const saola__proc *p)
{
	json_t *y;

	if (p->f->year_idx < 0)
		return 0;
	y = p->top[p->f->fields[p->f->year_idx].slot];
	return json_is_integer(y) ? json_integer_value(y) : 0;
}

static int find(const saola__proc *p, json_int_t year, const char *code, saola__unit_ref *u)
{
	memset(u, 0, sizeof *u);
	if (!p->src || !p->src->unit || !code || !*code)
		return -1;
	return p->src->unit(p->src->ctx, p->f->standard, year, code, u);
}

/* "372 Huyện Nho Quan" into buf (the code alone when unknown). */
static void label(const saola__proc *p, json_int_t year, const char *code, char *buf,
                  size_t len)
{
	saola__unit_ref u;

	if (find(p, year, code, &u) == 1)
		snprintf(buf, len, "%s %s", u.code, u.name);
	else
		snprintf(buf, len, "%s", code);
}

/* A failure of the record's places: kept as an issue in a lenient run when
 * soft (a parent that disagrees: each edit may have been right where it was
 * made), else the run's error. */
static int place_fail(saola__proc *p, int soft, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int place_fail(saola__proc *p, int soft, const char *fmt, ...)
{
	va_list ap;

	if (p->err && p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	if (!soft || !p->lenient)
		return SAOLA_INVALID;
	if (p->nnotes++ == 0)
		snprintf(p->note, sizeof p->note, "%s", p->err ? p->err : "");
	return SAOLA_OK;
}

/* Each code given is a unit of its level valid for the year. */
static int check_codes(saola__proc *p, json_int_t year, saola__unit_ref u[LEVELS])
{
	int l, r;

	for (l = 0; l < LEVELS; l++) {
		const char *code = l == DISTRICT ? given(p, l) : answer(p, l);
		if (!*code)
			continue;
		r = find(p, year, code, &u[l]);
		if (r == 1 && strcmp(u[l].level, level_names[l]) == 0)
			continue;
		if (l == DISTRICT && p->src->level_exists &&
		    p->src->level_exists(p->src->ctx, p->f->standard, year, "district") == 0)
			return place_fail(p, 1, "unit.district: %" JSON_INTEGER_FORMAT " has no"
			                  " districts: leave district empty", year);
		return place_fail(p, 0, "unit.%s: %s is not a %s valid in %" JSON_INTEGER_FORMAT
		                  " (schemas/units)", level_names[l], code, level_names[l], year);
	}
	return SAOLA_OK;
}

/* unit (of level l) lies in parent code want, else the failure. */
static int check_parent(saola__proc *p, json_int_t year, int l, const saola__unit_ref *u,
                        const char *above, const char *want)
{
	char is[LABEL_MAX], in[LABEL_MAX];

	if (strcmp(u->parent, want) == 0)
		return SAOLA_OK;
	label(p, year, u->parent, in, sizeof in);
	snprintf(is, sizeof is, "%s %s", u->code, u->name);
	return place_fail(p, 1, "unit.%s: %s lies in %s %s, not %s", level_names[l], is,
	                  above, *u->parent ? in : "no unit", want);
}

int saola__proc_check_units(saola__proc *p)
{
	saola__unit_ref u[LEVELS], up;
	json_int_t year = year_of(p);
	const char *prov = answer(p, PROVINCE), *dist = answer(p, DISTRICT);
	int rc;

	if (!year || !p->src || !p->src->unit || find(p, year, "0", &up) < 0)
		return SAOLA_OK; /* no year yet, or no units loaded: nothing to check */
	memset(u, 0, sizeof u);
	if ((rc = check_codes(p, year, u)) != SAOLA_OK || p->nnotes)
		return rc;
	if (*dist && *prov && (rc = check_parent(p, year, DISTRICT, &u[DISTRICT], "province",
	                                        prov)) != SAOLA_OK)
		return rc;
	if (!u[COMMUNE].code)
		return SAOLA_OK;
	if (*dist)
		return check_parent(p, year, COMMUNE, &u[COMMUNE], "district", dist);
	if (!*prov)
		return SAOLA_OK;
	/* No district given: the commune's province, through its district. */
	if (find(p, year, u[COMMUNE].parent, &up) == 1 && strcmp(up.level, "district") == 0)
		return check_parent(p, year, DISTRICT, &up, "province", prov);
	return check_parent(p, year, COMMUNE, &u[COMMUNE], "province", prov);
}

int saola__proc_unit_fn(void *ctx, const char *fn, const char *arg, json_int_t year,
                        json_t **out)
{
	saola__proc *p = ctx;
	saola__unit_ref u;
	int r;

	*out = NULL;
	if (strcmp(fn, "level_exists") == 0) {
		r = p->src && p->src->level_exists
		    ? p->src->level_exists(p->src->ctx, p->f->standard, year, arg) : -1;
		/* Without units every level is taken to exist (nothing is hidden). */
		*out = json_integer(r != 0);
	} else if (find(p, year, arg, &u) != 1) {
		return SAOLA_OK;
	} else {
		*out = strcmp(fn, "urban") == 0 ? json_integer(u.urban != 0) : json_string(u.name);
	}
	if (*out)
		return SAOLA_OK;
	p->oom = 1;
	return SAOLA_NOMEM;
}
