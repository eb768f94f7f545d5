/* gen_units.c: the units saola-gen draws from, read from the schemas folder
 * (the .json files of units/ and the standards' review_day) at run time, and the walk
 * of their formed_from links from an old commune to the one its households
 * are in later. The core keeps no links (places.c), and the server's walk
 * (units_map.c) needs the server's database, so the files are read here
 * with jansson: code, level, parent, urban, valid_from, valid_to,
 * formed_from, as docs/forms.md describes them. */
#include "gen_units.h"

#include <dirent.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WALK_DEPTH_MAX 8
#define REACHED_MAX 64

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int has_units(const char *dir)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof path, "%s/units", dir);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *saola__gen_schemas_dir(const char *dir)
{
	const char *env = getenv("SAOLA_SCHEMAS");

	if (dir)
		return dir;
	if (env && *env)
		return env;
	if (has_units(SAOLA_SCHEMAS_INSTALLED))
		return SAOLA_SCHEMAS_INSTALLED;
	return SAOLA_SCHEMAS_SOURCE;
}

/* ------------------------------------------------------------------ */
/* Reading. */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json names of dir, sorted, as a new array of new strings. */
static char **json_names(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL, **grown;
	size_t len;

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0 || e->d_name[0] == '.')
			continue;
		if (!(grown = realloc(names, (*n + 1) * sizeof *names)))
			break;
		names = grown;
		if (!(names[*n] = strdup(e->d_name)))
			break;
		(*n)++;
	}
	closedir(d);
	if (names)
		qsort(names, *n, sizeof *names, cmp_names);
	return names;
}

static void free_names(char **names, size_t n)
{
	while (n)
		free(names[--n]);
	free(names);
}

static int copy_code(char *dst, json_t *v, int null_ok)
{
	const char *s = json_string_value(v);

	if (!s && null_ok && (!v || json_is_null(v))) {
		dst[0] = '\0';
		return 0;
	}
	if (!s || !*s || strlen(s) > SAOLA__GEN_CODE_MAX)
		return -1;
	strcpy(dst, s);
	return 0;
}

static int copy_date(char *dst, json_t *v, int null_ok)
{
	const char *s = json_string_value(v);

	if (!s && null_ok && (!v || json_is_null(v))) {
		dst[0] = '\0';
		return 0;
	}
	if (!s || strlen(s) != SAOLA__GEN_DATE_MAX || s[4] != '-' || s[7] != '-')
		return -1;
	strcpy(dst, s);
	return 0;
}

static int add_links(saola__gen_units *us, struct saola__gen_unit *u, json_t *ff)
{
	struct saola__gen_link *grown;
	json_t *l;
	size_t i;

	u->link0 = us->n_links;
	u->n_links = 0;
	if (!ff || json_is_null(ff))
		return 0;
	if (!json_is_array(ff))
		return -1;
	grown = realloc(us->links, (us->n_links + json_array_size(ff) + 1) * sizeof *grown);
	if (!grown)
		return -1;
	us->links = grown;
	json_array_foreach(ff, i, l) {
		struct saola__gen_link *k = &us->links[us->n_links];

		if (copy_code(k->code, json_object_get(l, "code"), 0) != 0 ||
		    !json_is_boolean(json_object_get(l, "whole")))
			return -1;
		k->whole = json_is_true(json_object_get(l, "whole"));
		us->n_links++;
		u->n_links++;
	}
	return 0;
}

/* One unit of a file into us; the name of the field that is wrong, or
 * NULL. */
static const char *add_unit(saola__gen_units *us, json_t *j)
{
	struct saola__gen_unit *u = &us->u[us->n];
	const char *level = json_string_value(json_object_get(j, "level"));

	memset(u, 0, sizeof *u);
	if (copy_code(u->code, json_object_get(j, "code"), 0) != 0)
		return "code";
	if (!level || (strcmp(level, "province") && strcmp(level, "district") &&
	               strcmp(level, "commune")))
		return "level";
	u->level = level[0];
	if (copy_code(u->parent, json_object_get(j, "parent"), 1) != 0)
		return "parent";
	if (!json_is_boolean(json_object_get(j, "urban")))
		return "urban";
	u->urban = json_is_true(json_object_get(j, "urban"));
	if (copy_date(u->from, json_object_get(j, "valid_from"), 0) != 0)
		return "valid_from";
	if (copy_date(u->to, json_object_get(j, "valid_to"), 1) != 0)
		return "valid_to";
	if (add_links(us, u, json_object_get(j, "formed_from")) != 0)
		return "formed_from";
	us->n++;
	return NULL;
}

static int load_units_file(saola__gen_units *us, const char *path, char *err, size_t errlen)
{
	json_error_t je;
	json_t *doc = json_load_file(path, 0, &je), *units, *j;
	struct saola__gen_unit *grown;
	const char *bad;
	size_t i;

	if (!doc)
		return fail(err, errlen, "%s:%d: %s", path, je.line, je.text);
	units = json_object_get(doc, "units");
	if (!json_is_array(units)) {
		json_decref(doc);
		return fail(err, errlen, "%s: units: expected an array", path);
	}
	grown = realloc(us->u, (us->n + json_array_size(units) + 1) * sizeof *grown);
	if (!grown) {
		json_decref(doc);
		return fail(err, errlen, "%s: out of memory", path);
	}
	us->u = grown;
	json_array_foreach(units, i, j)
		if ((bad = add_unit(us, j)) != NULL) {
			json_decref(doc);
			return fail(err, errlen, "%s: units[%zu]: %s: missing or not valid", path, i,
			            bad);
		}
	json_decref(doc);
	return 0;
}

static void load_review_day(saola__gen_units *us, const char *path)
{
	json_t *doc = json_load_file(path, 0, NULL);
	json_t *day = json_object_get(json_object_get(doc, "params"), "review_day");
	const char *s;

	if (!day)
		day = json_object_get(doc, "review_day");
	s = json_string_value(day);
	if (s && strlen(s) == 5 && s[2] == '-' && us->n_review < 16) {
		us->review[us->n_review].from =
		        (int)json_integer_value(json_object_get(doc, "valid_from_year"));
		us->review[us->n_review].to =
		        (int)json_integer_value(json_object_get(doc, "valid_to_year"));
		strcpy(us->review[us->n_review].day, s);
		us->n_review++;
	}
	json_decref(doc);
}

/* Every *.json of dir/sub through one(us, path); 0 or -1. */
static int each_file(saola__gen_units *us, const char *dir, const char *sub, int need,
                     int (*one)(saola__gen_units *, const char *, char *, size_t), char *err,
                     size_t errlen)
{
	char folder[4096], path[4096];
	size_t n, i;
	char **names;
	int rc = 0;

	snprintf(folder, sizeof folder, "%s/%s", dir, sub);
	names = json_names(folder, &n);
	if (need && n == 0) {
		free_names(names, n);
		return fail(err, errlen, "%s: no units files (*.json) to read", folder);
	}
	for (i = 0; i < n && rc == 0; i++) {
		if (snprintf(path, sizeof path, "%s/%s", folder, names[i]) >= (int)sizeof path)
			rc = fail(err, errlen, "%s: path too long", folder);
		else if (one)
			rc = one(us, path, err, errlen);
		else
			load_review_day(us, path);
	}
	free_names(names, n);
	return rc;
}

int saola__gen_units_load(saola__gen_units *us, const char *dir, char *err, size_t errlen)
{
	memset(us, 0, sizeof *us);
	dir = saola__gen_schemas_dir(dir);
	if (each_file(us, dir, "units", 1, load_units_file, err, errlen) != 0)
		return -1;
	return each_file(us, dir, "standards", 0, NULL, err, errlen);
}

void saola__gen_units_free(saola__gen_units *us)
{
	free(us->u);
	free(us->links);
	memset(us, 0, sizeof *us);
}

/* ------------------------------------------------------------------ */
/* Questions. */

void saola__gen_review_date(const saola__gen_units *us, int year,
                            char date[SAOLA__GEN_DATE_MAX + 1])
{
	const char *day = us->n_review ? us->review[0].day : "11-01";
	int i;

	for (i = 0; i < us->n_review; i++)
		if (us->review[i].from <= year && year <= us->review[i].to)
			day = us->review[i].day;
	snprintf(date, 6, "%04d-", (year % 10000 + 10000) % 10000);
	memcpy(date + 5, day, 5);
	date[SAOLA__GEN_DATE_MAX] = '\0';
}

static int valid_on(const struct saola__gen_unit *u, const char *date)
{
	return strcmp(u->from, date) <= 0 && (!u->to[0] || strcmp(date, u->to) <= 0);
}

const struct saola__gen_unit *saola__gen_unit_on(const saola__gen_units *us, const char *code,
                                                 const char *date)
{
	size_t i;

	for (i = 0; i < us->n; i++)
		if (strcmp(us->u[i].code, code) == 0 && valid_on(&us->u[i], date))
			return &us->u[i];
	return NULL;
}

const char *saola__gen_province_of(const saola__gen_units *us, const struct saola__gen_unit *c,
                                   const char *date)
{
	int depth;

	for (depth = 0; c && depth < 4; depth++) {
		if (c->level == 'p')
			return c->code;
		c = saola__gen_unit_on(us, c->parent, date);
	}
	return "";
}

struct reached {
	const struct saola__gen_unit *u[REACHED_MAX];
	unsigned char whole[REACHED_MAX];
	int n;
};

static void reach(struct reached *r, const struct saola__gen_unit *u, int whole)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (r->u[i] == u) {
			r->whole[i] = r->whole[i] && whole;
			return;
		}
	if (r->n < REACHED_MAX) {
		r->u[r->n] = u;
		r->whole[r->n++] = (unsigned char)whole;
	}
}

/* The units of code, from the version from on, valid on date into r. */
static void walk(const saola__gen_units *us, const char *code, const char *from, int whole,
                 const char *date, struct reached *r, int depth)
{
	const struct saola__gen_unit *now = saola__gen_unit_on(us, code, date);
	size_t i, k;

	if (now && strcmp(now->from, from) >= 0) {
		reach(r, now, whole);
		return;
	}
	if (depth >= WALK_DEPTH_MAX)
		return;
	for (i = 0; i < us->n; i++) {
		const struct saola__gen_unit *v = &us->u[i];

		if (strcmp(v->from, from) <= 0)
			continue;
		for (k = v->link0; k < v->link0 + v->n_links; k++)
			if (strcmp(us->links[k].code, code) == 0)
				walk(us, v->code, v->from, whole && us->links[k].whole, date, r,
				     depth + 1);
	}
}

const struct saola__gen_unit *saola__gen_successor(const saola__gen_units *us,
                                                   const struct saola__gen_unit *v,
                                                   const char *date, int *whole)
{
	struct reached r;
	int i, best = -1;

	r.n = 0;
	walk(us, v->code, v->from, 1, date, &r, 0);
	for (i = 0; i < r.n; i++)
		if (best < 0 || (r.whole[i] && !r.whole[best]) ||
		    (r.whole[i] == r.whole[best] && strcmp(r.u[i]->code, r.u[best]->code) < 0))
			best = i;
	if (whole)
		*whole = best >= 0 && r.whole[best];
	return best >= 0 ? r.u[best] : NULL;
}
