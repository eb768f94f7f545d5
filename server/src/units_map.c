/* units_map.c: following units through the reorganisation (the links of
 * unit_links): successors, predecessors, covers of old areas, the levels
 * of a year and its review day. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola/core.h"
#include "units_map.h"

#define DEPTH_MAX 6    /* generations of units followed through links */
#define VALID_ON(d) "valid_from <= " d " AND (valid_to IS NULL OR valid_to >= " d ")"

/* ------------------------------------------------------------------ */
/* The review day and the levels of a year. */

/* "MM-DD" with digits in place. */
static int is_day(const char *s)
{
	return s && strlen(s) == 5 && s[2] == '-' && s[0] >= '0' && s[0] <= '1' &&
	       s[1] >= '0' && s[1] <= '9' && s[3] >= '0' && s[3] <= '3' && s[4] >= '0' &&
	       s[4] <= '9';
}

/* The review_day of one standard's file, NULL when none; *covers set when
 * the standard's years include year. A new string. */
static char *standard_day(const char *path, int year, int *covers)
{
	json_t *doc = json_load_file(path, 0, NULL), *params;
	const char *day;
	char *out = NULL;

	*covers = 0;
	if (!doc)
		return NULL;
	params = json_object_get(doc, "params");
	day = json_string_value(json_object_get(params, "review_day"));
	if (!day)
		day = json_string_value(json_object_get(doc, "review_day"));
	*covers = json_integer_value(json_object_get(doc, "valid_from_year")) <= year &&
	          year <= json_integer_value(json_object_get(doc, "valid_to_year"));
	if (is_day(day))
		out = strdup(day);
	json_decref(doc);
	return out;
}

void saola__review_date(const char *schemas_dir, int year, char date[SAOLA__DATE_MAX + 1],
                        int *from_data)
{
	char dir[1024], path[1400], *day, *any = NULL, *best = NULL;
	struct dirent *de;
	DIR *d;
	int covers;

	snprintf(dir, sizeof dir, "%s/standards", schemas_dir ? schemas_dir : ".");
	if ((d = opendir(dir))) {
		while (!best && (de = readdir(d))) {
			size_t len = strlen(de->d_name);
			if (len < 6 || de->d_name[0] == '.' || strcmp(de->d_name + len - 5, ".json"))
				continue;
			snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
			if (!(day = standard_day(path, year, &covers)))
				continue;
			if (covers)
				best = day;
			else if (!any)
				any = day;
			else
				free(day);
		}
		closedir(d);
	}
	day = best ? best : any;
	if (from_data)
		*from_data = day != NULL;
	day = day ? day : SAOLA__REVIEW_DAY;
	year = year < 0 ? 0 : year % 10000;
	snprintf(date, SAOLA__DATE_MAX + 1, "%04d-%.5s", year, day);
	free(best);
	free(any);
}

int saola__units_levels(saola__db *db, const char *date, unsigned *levels)
{
	saola__dbstmt *st = NULL;
	int step;

	*levels = 0;
	if (saola__db_prepare(db, "SELECT DISTINCT level FROM units WHERE " VALID_ON("?"),
	                       &st) != SAOLA_OK)
		return -1;
	saola__db_bind_text(st, 1, date, -1);
	saola__db_bind_text(st, 2, date, -1);
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW) {
		const char *lv = saola__db_column_text(st, 0);
		*levels |= strcmp(lv, "province") == 0 ? SAOLA__LV_PROVINCE
		         : strcmp(lv, "district") == 0 ? SAOLA__LV_DISTRICT
		         : strcmp(lv, "commune") == 0 ? SAOLA__LV_COMMUNE : 0;
	}
	saola__db_finalize(st);
	return step == SAOLA__DB_DONE ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Versions and links. */

/* The valid_from of code's version valid on date (date NULL or none valid
 * then: of its latest version, when latest is set) into from; "" when
 * none. 0, or -1. */
static int version_of(saola__db *db, const char *code, const char *date, int latest,
                      char from[SAOLA__DATE_MAX + 1])
{
	static const char sql[] =
		"SELECT valid_from FROM units WHERE code = ? AND (? <> 0 OR (" VALID_ON("?") "))"
		" ORDER BY CASE WHEN " VALID_ON("?") " THEN 1 ELSE 0 END DESC,"
		" valid_from DESC LIMIT 1";
	int i;
	saola__dbstmt *st = NULL;
	int step;

	from[0] = '\0';
	if (saola__db_prepare(db, sql, &st) != SAOLA_OK)
		return -1;
	/* A NULL date is valid on no version. */
	saola__db_bind_text(st, 1, code, -1);
	saola__db_bind_int(st, 2, latest != 0);
	for (i = 3; i <= 6; i++)
		saola__db_bind_text(st, i, date, -1);
	step = saola__db_step(st);
	if (step == SAOLA__DB_ROW)
		snprintf(from, SAOLA__DATE_MAX + 1, "%s", saola__db_column_text(st, 0));
	saola__db_finalize(st);
	return step == SAOLA__DB_ROW || step == SAOLA__DB_DONE ? 0 : -1;
}

/* The links of one side: old units of (code, from) when back, else the
 * units formed from code after from: a new array of [code, from, whole]. */
static json_t *links(saola__db *db, const char *code, const char *from, int back)
{
	const char *sql = back
	        ? "SELECT old_code, (SELECT max(valid_from) FROM units WHERE code = old_code"
	          " AND valid_from < ?), whole FROM unit_links"
	          " WHERE new_code = ? AND new_from = ? ORDER BY old_code"
	        : "SELECT new_code, new_from, whole FROM unit_links WHERE old_code = ?"
	          " AND new_from > ? ORDER BY new_code, new_from";
	saola__dbstmt *st = NULL;
	json_t *out = json_array();
	int step;

	if (!out || saola__db_prepare(db, sql, &st) != SAOLA_OK) {
		json_decref(out);
		return NULL;
	}
	if (back) {
		saola__db_bind_text(st, 1, from, -1);
		saola__db_bind_text(st, 2, code, -1);
		saola__db_bind_text(st, 3, from, -1);
	} else {
		saola__db_bind_text(st, 1, code, -1);
		saola__db_bind_text(st, 2, from, -1);
	}
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW) {
		const char *f = saola__db_column_text(st, 1);
		if (json_array_append_new(out, json_pack("[s, s, b]", saola__db_column_text(st, 0),
		                                         f ? f : "", (int)saola__db_column_int(st, 2))))
			break;
	}
	saola__db_finalize(st);
	if (step != SAOLA__DB_DONE) {
		json_decref(out);
		return NULL;
	}
	return out;
}

int saola__units_valid_on(saola__db *db, const char *code, const char *date)
{
	char v[SAOLA__DATE_MAX + 1];

	if (version_of(db, code, date, 0, v) != 0)
		return -1;
	return v[0] != '\0';
}

/* 1 when (code, the version from) is valid on date. -1 when it fails. */
static int valid_on(saola__db *db, const char *code, const char *from, const char *date)
{
	char v[SAOLA__DATE_MAX + 1];

	if (version_of(db, code, date, 0, v) != 0)
		return -1;
	return v[0] && strcmp(v, from) >= 0;
}

/* Follows code's links forward from its version from into out (code ->
 * whole), whole so far. 0, or -1. */
static int walk_forward(saola__db *db, const char *code, const char *from, int whole,
                        const char *date, json_t *out, int depth)
{
	json_t *next, *l, *had;
	size_t i;
	int rc = 0, v;

	if ((v = valid_on(db, code, from, date)) != 0) {
		if (v < 0)
			return -1;
		had = json_object_get(out, code);
		return json_object_set_new(out, code, json_boolean(whole && (!had ||
		                           json_is_true(had))));
	}
	if (depth >= DEPTH_MAX)
		return 0;
	if (!(next = links(db, code, from, 0)))
		return -1;
	json_array_foreach(next, i, l)
		if (rc == 0)
			rc = walk_forward(db, json_string_value(json_array_get(l, 0)),
			                  json_string_value(json_array_get(l, 1)),
			                  whole && json_is_true(json_array_get(l, 2)), date, out, depth + 1);
	json_decref(next);
	return rc;
}

/* A map code -> whole as a sorted array of {"code", "whole"}. */
static json_t *as_array(json_t *map)
{
	json_t *out = json_array(), *v;
	const char *k;

	json_object_foreach(map, k, v)
		if (!out || json_array_append_new(out, json_pack("{s:s, s:O}", "code", k, "whole", v))) {
			json_decref(out);
			return NULL;
		}
	return out;
}

int saola__units_successors(saola__db *db, const char *old, const char *date, json_t **out)
{
	json_t *map = json_object(), *self;
	char v[SAOLA__DATE_MAX + 1];
	int rc = -1;

	*out = NULL;
	if (!map || version_of(db, old, date, 0, v) != 0)
		goto out;
	/* Still valid on date, and not formed anew from itself: itself. */
	if (v[0]) {
		if (!(self = links(db, old, v, 1)))
			goto out;
		rc = json_array_size(self) == 0 ? json_object_set_new(map, old, json_true()) : 1;
		json_decref(self);
		if (rc < 0)
			goto out;
	}
	if (!v[0] || rc == 1) {
		if (walk_forward(db, old, "", 1, date, map, 0) != 0) {
			rc = -1;
			goto out;
		}
	}
	rc = (*out = as_array(map)) ? 0 : -1;
out:
	json_decref(map);
	return rc;
}

int saola__units_predecessors(saola__db *db, const char *code, const char *date, json_t **out)
{
	char v[SAOLA__DATE_MAX + 1];
	json_t *l, *back, *map = json_object();
	size_t i;
	int rc = -1;

	*out = NULL;
	if (!map || version_of(db, code, date, 1, v) != 0 || !(back = links(db, code, v, 1)))
		goto out;
	json_array_foreach(back, i, l)
		json_object_set(map, json_string_value(json_array_get(l, 0)), json_array_get(l, 2));
	json_decref(back);
	rc = (*out = as_array(map)) ? 0 : -1;
out:
	json_decref(map);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Areas. */

/* The codes of area and every unit below it on adate (NULL: the last day
 * of its latest version, written back into adate_buf) into set (code ->
 * level). 0, or -1. */
static int area_set(saola__db *db, const char *area, const char *adate,
                    char adate_buf[SAOLA__DATE_MAX + 1], json_t *set)
{
	static const char last[] = "SELECT coalesce(valid_to, valid_from) FROM units WHERE code = ?"
	                           " ORDER BY valid_from DESC LIMIT 1";
	static const char down[] =
		"WITH RECURSIVE d(code, level) AS (SELECT CAST(? AS TEXT), CAST(NULL AS TEXT) UNION"
		" SELECT u.code, u.level FROM units u JOIN d ON u.parent = d.code WHERE "
		VALID_ON("?") ") SELECT code,"
		" coalesce(level, (SELECT level FROM units WHERE code = ? LIMIT 1)) FROM d";
	saola__dbstmt *st = NULL;
	int step = SAOLA__DB_DONE;

	adate_buf[0] = '\0';
	if (adate) {
		snprintf(adate_buf, SAOLA__DATE_MAX + 1, "%s", adate);
	} else {
		if (saola__db_prepare(db, last, &st) != SAOLA_OK)
			return -1;
		saola__db_bind_text(st, 1, area, -1);
		if ((step = saola__db_step(st)) == SAOLA__DB_ROW)
			snprintf(adate_buf, SAOLA__DATE_MAX + 1, "%s", saola__db_column_text(st, 0));
		saola__db_finalize(st);
		if (step != SAOLA__DB_ROW && step != SAOLA__DB_DONE)
			return -1;
	}
	if (saola__db_prepare(db, down, &st) != SAOLA_OK)
		return -1;
	saola__db_bind_text(st, 1, area, -1);
	saola__db_bind_text(st, 2, adate_buf, -1);
	saola__db_bind_text(st, 3, adate_buf, -1);
	saola__db_bind_text(st, 4, area, -1);
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW) {
		const char *lv = saola__db_column_text(st, 1);
		json_object_set_new(set, saola__db_column_text(st, 0),
		                    json_string(lv ? lv : ""));
	}
	saola__db_finalize(st);
	return step == SAOLA__DB_DONE ? 0 : -1;
}

/* Walks code's (version from) links back to set: *inside 0 when one leads
 * out of it, *split 1 when one takes part of a unit. 0, or -1. */
static int walk_back(saola__db *db, const char *code, const char *from, const json_t *set,
                     int *inside, int *split, int depth)
{
	json_t *back, *l;
	size_t i;
	int rc = 0;

	if (!(back = from && *from ? links(db, code, from, 1) : json_array()))
		return -1;
	if (json_array_size(back) == 0 || depth >= DEPTH_MAX) {
		if (!json_object_get(set, code))
			*inside = 0;
	}
	json_array_foreach(back, i, l) {
		const char *old = json_string_value(json_array_get(l, 0));
		if (!json_is_true(json_array_get(l, 2)))
			*split = 1;
		if (json_object_get(set, old) || depth >= DEPTH_MAX) {
			*inside = *inside && json_object_get(set, old) != NULL;
			continue;
		}
		if (rc == 0)
			rc = walk_back(db, old, json_string_value(json_array_get(l, 1)), set, inside,
			               split, depth + 1);
	}
	json_decref(back);
	return rc;
}

/* Whether code (its version valid on date) comes only from set. */
static int from_set(saola__db *db, const char *code, const char *date, const json_t *set,
                    int *inside, int *split)
{
	char v[SAOLA__DATE_MAX + 1];

	*inside = 1;
	*split = 0;
	if (json_object_get(set, code))
		return 0;     /* one of the area's own units */
	if (version_of(db, code, date, 1, v) != 0)
		return -1;
	return walk_back(db, code, v, set, inside, split, 0);
}

int saola__units_inside(saola__db *db, const char *code, const char *area, const char *area_date,
                        const char *date, int *inside)
{
	char adate[SAOLA__DATE_MAX + 1];
	json_t *set = json_object();
	int split, rc = -1;

	*inside = 0;
	/* An area still valid on date: the units below it then. */
	if (!area_date && version_of(db, area, date, 0, adate) == 0 && adate[0])
		area_date = date;
	if (set && area_set(db, area, area_date, adate, set) == 0)
		rc = from_set(db, code, date, set, inside, &split);
	json_decref(set);
	return rc;
}

/* The successors of every commune of set into cover (code -> whole, all
 * of them); *exact 0 when one went partly, or nowhere. 0, or -1. */
static int cover_forward(saola__db *db, const json_t *set, const char *date, json_t *cover,
                         int *exact)
{
	const char *k;
	json_t *lv, *succ, *s;
	size_t i;

	json_object_foreach((json_t *)set, k, lv) {
		if (strcmp(json_string_value(lv), "commune") != 0)
			continue;
		if (saola__units_successors(db, k, date, &succ) != 0)
			return -1;
		if (json_array_size(succ) == 0)
			*exact = 0;
		json_array_foreach(succ, i, s) {
			if (!json_is_true(json_object_get(s, "whole")))
				*exact = 0;
			json_object_set_new(cover, json_string_value(json_object_get(s, "code")),
			                    json_true());
		}
		json_decref(succ);
	}
	return 0;
}

static int cmp_code(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "code")),
	              json_string_value(json_object_get(*(json_t *const *)b, "code")));
}

/* arr sorted by "code": a new array, NULL when out of memory. */
static json_t *sorted(json_t *arr)
{
	size_t n = json_array_size(arr), i;
	json_t **v = malloc((n ? n : 1) * sizeof *v), *out = json_array();

	if (!v || !out) {
		free(v);
		json_decref(out);
		return NULL;
	}
	for (i = 0; i < n; i++)
		v[i] = json_array_get(arr, i);
	qsort(v, n, sizeof *v, cmp_code);
	for (i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

int saola__units_cover(saola__db *db, const char *area, const char *area_date, const char *date,
                       json_t **units, int *exact)
{
	char adate[SAOLA__DATE_MAX + 1], va[SAOLA__DATE_MAX + 1], vd[SAOLA__DATE_MAX + 1];
	json_t *set = json_object(), *cover = json_object(), *v, *out = json_array();
	const char *k;
	int inside, split, rc = -1;

	*units = NULL;
	*exact = 1;
	if (!set || !cover || !out || area_set(db, area, area_date, adate, set) != 0 ||
	    version_of(db, area, adate, 0, va) != 0 || version_of(db, area, date, 0, vd) != 0)
		goto out;
	if (va[0] && strcmp(va, vd) == 0) {
		/* The same version on both days: the area covers itself. */
		if (json_array_append_new(out, json_pack("{s:s, s:b, s:b}", "code", area, "inside", 1,
		                                         "split", 0)) != 0)
			goto out;
	} else {
		if (cover_forward(db, set, date, cover, exact) != 0)
			goto out;
		json_object_foreach(cover, k, v) {
			if (from_set(db, k, date, set, &inside, &split) != 0)
				goto out;
			if (!inside || split)
				*exact = 0;
			if (json_array_append_new(out, json_pack("{s:s, s:b, s:b}", "code", k, "inside",
			                                         inside, "split", split)) != 0)
				goto out;
		}
	}
	rc = (*units = sorted(out)) ? 0 : -1;
out:
	json_decref(set);
	json_decref(cover);
	json_decref(out);
	return rc;
}

int saola__units_inside_all(saola__db *db, const char *area, const char *date, json_t *out)
{
	char adate[SAOLA__DATE_MAX + 1];
	json_t *set = json_object(), *succ, *s, *lv;
	const char *k, *c;
	size_t i;
	int inside, split, rc = -1;

	if (!set || area_set(db, area, NULL, adate, set) != 0)
		goto out;
	rc = 0;
	/* Only a successor of one of the area's units can come from it. */
	json_object_foreach(set, k, lv) {
		if (rc != 0 || saola__units_successors(db, k, date, &succ) != 0) {
			rc = -1;
			break;
		}
		json_array_foreach(succ, i, s) {
			c = json_string_value(json_object_get(s, "code"));
			if (rc != 0 || !c || strlen(c) != 5 || json_object_get(out, c))
				continue;
			if (from_set(db, c, date, set, &inside, &split) != 0 ||
			    (inside && json_object_set_new(out, c, json_true()) != 0))
				rc = -1;
		}
		json_decref(succ);
	}
out:
	json_decref(set);
	return rc;
}
