/* gen_place.c: the communes saola-gen draws households from and moves
 * them to, from the units read from the schemas folder (gen_units.c); what
 * the units files do not hold is a generator parameter here, keyed by code
 * and checked against the units when a generator is made (a code the units
 * do not know is an error, not silently used). */
#include "gen_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The province drawn from when the options name none: Ninh Bình. */
static const char gen_province[] = "37";
/* The district of the hill communes, which have fewer households: Nho Quan. */
static const char gen_hill_district[] = "372";

uint32_t saola__gen_fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* A plausible, made-up household count for a commune (no official count is
 * in the data): wards and townships 1,800-4,500, communes 1,200-3,000, the
 * hill communes of Nho Quan 900-2,500: 323,000 in all (the province had
 * about 314,000 households in 2021). */
static uint32_t commune_households(const struct gen_commune *c)
{
	uint32_t h = saola__gen_fnv1a(c->code);

	if (c->urban)
		return 1800 + h % 2700;
	if (strcmp(c->district, gen_hill_district) == 0)
		return 900 + h % 1600;
	return 1200 + h % 1800;
}

static int cmp_communes(const void *a, const void *b)
{
	return strcmp(((const struct gen_commune *)a)->code, ((const struct gen_commune *)b)->code);
}

/* c as the generator works with it: its district (none when its parent is
 * not one) and province on date. */
static void commune_view(const saola_gen *g, const struct saola__gen_unit *u, const char *date,
                         struct gen_commune *c)
{
	const struct saola__gen_unit *p = saola__gen_unit_on(&g->units, u->parent, date);

	memset(c, 0, sizeof(*c));
	snprintf(c->code, sizeof(c->code), "%s", u->code);
	if (p && p->level == 'd')
		snprintf(c->district, sizeof(c->district), "%s", p->code);
	snprintf(c->province, sizeof(c->province), "%s", saola__gen_province_of(&g->units, u, date));
	c->urban = u->urban;
}

/* Fills y with the communes of province valid on date. 0 or -1. */
static int year_fill(const saola_gen *g, struct gen_year *y, const char *date, const char *province)
{
	uint32_t sum = 0;
	size_t i;
	int k;

	free(y->c);
	free(y->cum);
	memset(y, 0, sizeof(*y));
	y->c = calloc(g->units.n + 1, sizeof(*y->c));
	y->cum = calloc(g->units.n + 1, sizeof(*y->cum));
	if (!y->c || !y->cum)
		return -1;
	for (i = 0; i < g->units.n; i++) {
		const struct saola__gen_unit *u = &g->units.u[i];

		if (u->level != 'c' || strcmp(u->from, date) > 0 || (u->to[0] && strcmp(date, u->to) > 0))
			continue;
		commune_view(g, u, date, &y->c[y->n]);
		if (strcmp(y->c[y->n].province, province) == 0)
			y->n++;
	}
	qsort(y->c, (size_t)y->n, sizeof(*y->c), cmp_communes);
	for (k = 0; k < y->n; k++)
		y->cum[k] = sum += commune_households(&y->c[k]);
	snprintf(y->date, sizeof(y->date), "%s", date);
	snprintf(y->province, sizeof(y->province), "%s", province);
	return 0;
}

/* The communes of province on the review day of year (cached), NULL when
 * out of memory. */
static const struct gen_year *year_units(saola_gen *g, int year, const char *province)
{
	char date[SAOLA__GEN_DATE_MAX + 1];
	struct gen_year *y;
	int i;

	saola__gen_review_date(&g->units, year, date);
	for (i = 0; i < GEN_YEARS_CACHED; i++)
		if (g->years[i].c && strcmp(g->years[i].date, date) == 0 &&
		    strcmp(g->years[i].province, province) == 0)
			return &g->years[i];
	y = &g->years[g->next_slot];
	g->next_slot = (g->next_slot + 1) % GEN_YEARS_CACHED;
	return year_fill(g, y, date, province) == 0 ? y : NULL;
}

const struct gen_commune *saola__gen_pick_commune(saola_gen *g, int year, const saola_gen_opts *o)
{
	const struct gen_year *y = year_units(g, year, o->province ? o->province : gen_province);
	uint32_t total = 0, r, w;
	int i;

	if (!y)
		return NULL;
	for (i = 0; i < y->n; i++) {
		w = y->cum[i] - (i ? y->cum[i - 1] : 0);
		if (o->commune && strcmp(o->commune, y->c[i].code) == 0)
			return o->district && strcmp(o->district, y->c[i].district) ? NULL : &y->c[i];
		if (!o->district || strcmp(o->district, y->c[i].district) == 0)
			total += w;
	}
	if (o->commune || total == 0)
		return NULL;
	r = (uint32_t)saola_gen_below(g, total);
	for (i = 0; i < y->n; i++) {
		if (o->district && strcmp(o->district, y->c[i].district) != 0)
			continue;
		w = y->cum[i] - (i ? y->cum[i - 1] : 0);
		if (r < w)
			return &y->c[i];
		r -= w;
	}
	return NULL;
}

/* The commune (valid on date1) that the households of v (valid on date0)
 * are in: the unit its formed_from links lead to (saola__gen_successor);
 * for a commune that no link names, the one of the nearest commune of the
 * same parent before it (by code) that has one, else after it: a stated
 * fallback, since the data does not say where it went. NULL when none. */
static const struct saola__gen_unit *successor_of(const saola_gen *g,
                                                  const struct saola__gen_unit *v,
                                                  const char *date0, const char *date1)
{
	const struct saola__gen_unit *to = saola__gen_successor(&g->units, v, date1, NULL), *best = NULL;
	const struct saola__gen_unit *u, *t;
	size_t i;
	int after = 0;

	for (i = 0; !to && i < g->units.n; i++) {
		u = &g->units.u[i];
		if (u == v || u->level != 'c' || strcmp(u->parent, v->parent) ||
		    saola__gen_unit_on(&g->units, u->code, date0) != u ||
		    !(t = saola__gen_successor(&g->units, u, date1, NULL)))
			continue;
		if (strcmp(u->code, v->code) < 0) {
			if (!best || after || strcmp(u->code, best->code) > 0)
				best = u, after = 0;
		} else if (!best || (after && strcmp(u->code, best->code) < 0)) {
			best = u, after = 1;
		}
	}
	return to ? to : best ? saola__gen_successor(&g->units, best, date1, NULL) : NULL;
}

int saola__gen_move_commune(const saola_gen *g, int year, const char *commune,
                            struct gen_commune *out)
{
	char date0[SAOLA__GEN_DATE_MAX + 1], date1[SAOLA__GEN_DATE_MAX + 1];
	const struct saola__gen_unit *v, *to;

	saola__gen_review_date(&g->units, year - 1, date0);
	saola__gen_review_date(&g->units, year, date1);
	if (!(v = saola__gen_unit_on(&g->units, commune, date0)) || v->level != 'c' ||
	    !(to = successor_of(g, v, date0, date1)))
		return -1;
	commune_view(g, to, date1, out);
	return 0;
}

void saola__gen_years_free(saola_gen *g)
{
	int i;

	for (i = 0; i < GEN_YEARS_CACHED; i++) {
		free(g->years[i].c);
		free(g->years[i].cum);
	}
}

/* The default province is a province, the hill district a district. */
int saola__gen_check_params(const saola__gen_units *us, char *err, size_t errlen)
{
	static const struct { const char *code; char level; const char *what; } params[] = {
		{ gen_province, 'p', "the default province" },
		{ gen_hill_district, 'd', "the district of the hill communes" },
	};
	size_t i, k;

	for (k = 0; k < sizeof(params) / sizeof(params[0]); k++) {
		for (i = 0; i < us->n; i++)
			if (strcmp(us->u[i].code, params[k].code) == 0 && us->u[i].level == params[k].level)
				break;
		if (i == us->n) {
			if (err && errlen)
				snprintf(err, errlen, "saola-gen's parameters: %s, %s, is not a %s of the units",
				         params[k].what, params[k].code,
				         params[k].level == 'p' ? "province" : "district");
			return -1;
		}
	}
	return 0;
}
