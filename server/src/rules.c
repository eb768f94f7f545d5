/* rules.c: who may make which review move, and where a record may lie,
 * checked the same way on every path that writes records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "officer.h"
#include "rules.h"
#include "units.h"
#include "units_map.h"

enum { PROVINCE, DISTRICT, COMMUNE, LEVELS };

static const char *const level_names[LEVELS] = {"province", "district", "commune"};

/* The code units name at a level ("" when none). */
static const char *unit_at(const saola__units *u, int level)
{
	return level == PROVINCE ? u->province : level == DISTRICT ? u->district : u->commune;
}

/* The level of an area code by its length, or -1. */
static int area_level(const char *area)
{
	size_t n = strlen(area);

	return n == 2 ? PROVINCE : n == 3 ? DISTRICT : n == 5 ? COMMUNE : -1;
}

/* ------------------------------------------------------------------ */
/* Review moves                                                        */

/* Says what a surveyor's change does to the review paths that is not a
 * submission, into buf; "" when it only submits (or leaves them alone).
 * A submission may carry a note in _comment (`saola submit --comment`):
 * the device sends both in one change. */
static void not_a_submission(const json_t *change, char *buf, size_t len)
{
	json_t *d = json_object_get(change, "d"), *vs = json_object_get(change, "vs");
	json_t *state = json_object_get(d, "_state");
	int comment = json_object_get(d, "_comment") || json_object_get(vs, "_comment");

	buf[0] = '\0';
	if (!state && json_object_get(vs, "_state"))
		snprintf(buf, len, "removing _state, back to draft, is not a surveyor's move");
	else if (json_is_string(state) && strcmp(json_string_value(state), "submitted") != 0)
		snprintf(buf, len, "_state \"%.20s\" is a commune officer's move",
		         json_string_value(state));
	else if (state && !json_is_string(state))
		snprintf(buf, len, "_state: expected \"submitted\"");
	else if (comment && !state)
		snprintf(buf, len, "_comment without a submission is a commune officer's to write");
}

int saola__rules_review(const saola__user *u, const json_t *change, const char *where,
                        saola__err *e)
{
	const char *form = json_string_value(json_object_get(change, "f"));
	char why[96];

	if (saola__officer_role(u->role))
		return 0;
	not_a_submission(change, why, sizeof why);
	if (!why[0])
		return 0;
	return saola__err_set(e, SAOLA_AUTH, "%s: a %s may only submit a %s (%s)", where, u->role,
	                      form && strcmp(form, "household") == 0 ? "household" : "record", why);
}

int saola__rules_year(int64_t y)
{
	return y > 0 && y < 10000 ? (int)y : 0;
}

/* ------------------------------------------------------------------ */
/* Units                                                               */

void saola__rules_init(saola__rules *r, saola__db *db)
{
	memset(r, 0, sizeof *r);
	r->db = db;
	r->empty = -1;
}

/* Looks code up for year, from the memo or the units table: 1 found, 0
 * unknown, -1 with e. */
static int lookup(saola__rules *r, const char *code, int year, saola__unit *out,
                  const char *where, saola__err *e)
{
	int i, found = 0;

	memset(out, 0, sizeof *out);
	if (!r->db || strlen(code) > SAOLA__UNIT_CODE_MAX)
		return 0; /* no table; or longer than any code */
	for (i = 0; i < r->n; i++)
		if (r->memo[i].year == year && strcmp(r->memo[i].code, code) == 0) {
			*out = r->memo[i].unit;
			return r->memo[i].found;
		}
	if (saola__unit_get(r->db, code, year, out, &found) != 0)
		return saola__err_set(e, SAOLA_ERROR, "%s: units: %s", where,
		                      saola__db_errmsg(r->db));
	i = r->n < SAOLA__RULES_MEMO ? r->n++ : r->next++ % SAOLA__RULES_MEMO;
	snprintf(r->memo[i].code, sizeof r->memo[i].code, "%s", code);
	r->memo[i].year = year;
	r->memo[i].found = found;
	r->memo[i].unit = *out;
	return found;
}

/* 1 when the units table holds no unit (or there is none), 0 when it
 * does, -1 with e. */
static int units_empty(saola__rules *r, const char *where, saola__err *e)
{
	saola__dbstmt *st = NULL;
	int step;

	if (!r->db)
		return 1;
	if (r->empty >= 0)
		return r->empty;
	if (saola__db_prepare(r->db, "SELECT 1 FROM units LIMIT 1", &st) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "%s: units: %s", where,
		                      saola__db_errmsg(r->db));
	step = saola__db_step(st);
	saola__db_finalize(st);
	if (step != SAOLA__DB_ROW && step != SAOLA__DB_DONE)
		return saola__err_set(e, SAOLA_ERROR, "%s: units: %s", where,
		                      saola__db_errmsg(r->db));
	return r->empty = step == SAOLA__DB_DONE;
}

/* The parent of each level a record gives (or implies: a commune given
 * without its district implies its parent), into parent[]; the codes it
 * gives are checked to be units of their own level. 1 when they are, 0
 * when the units table is empty (nothing can be checked), -1 with e. */
static int read_chain(saola__rules *r, const saola__units *units, int year,
                      char parent[LEVELS][SAOLA__UNIT_CODE_MAX + 1], const char *where,
                      saola__err *e)
{
	saola__unit u;
	int level, found;

	for (level = PROVINCE; level < LEVELS; level++) {
		const char *code = unit_at(units, level);
		parent[level][0] = '\0';
		if (!*code)
			continue;
		if ((found = lookup(r, code, year, &u, where, e)) < 0)
			return -1;
		if (found == 0) {
			if ((found = units_empty(r, where, e)) != 0)
				return found < 0 ? -1 : 0;
			return saola__err_set(e, SAOLA_INVALID, "%s: %s %s%s is not a unit of the"
			                      " units table (schemas/units)", where,
			                      level_names[level], code, units->bad ? "..." : "");
		}
		if (strcmp(u.level, level_names[level]) != 0)
			return saola__err_set(e, SAOLA_INVALID, "%s: %s %s is a %s, not a %s",
			                      where, level_names[level], code, u.level,
			                      level_names[level]);
		memcpy(parent[level], u.parent, sizeof parent[level]);
	}
	return 1;
}

int saola__rules_chain(saola__rules *r, const saola__units *units, int year, const char *where,
                       saola__err *e)
{
	char parent[LEVELS][SAOLA__UNIT_CODE_MAX + 1], implied[SAOLA__UNIT_CODE_MAX + 1];
	saola__unit u;
	int found;

	if (!r->db)
		return 0;
	if ((found = read_chain(r, units, year, parent, where, e)) <= 0)
		return found;
	/* A commune of a year without districts lies in its province. */
	if (*units->commune && *units->district && saola__unit_level(parent[COMMUNE]) &&
	    strcmp(saola__unit_level(parent[COMMUNE]), "province") == 0)
		return saola__err_set(e, SAOLA_INVALID, "%s: commune %s lies directly in province"
		                      " %s (units without districts, after the reorganisation of"
		                      " 2025): give no district, not %s", where, units->commune,
		                      parent[COMMUNE], units->district);
	if (*units->commune && *units->district && strcmp(parent[COMMUNE], units->district) != 0)
		return saola__err_set(e, SAOLA_INVALID, "%s: commune %s lies in district %s, not"
		                      " %s", where, units->commune, parent[COMMUNE],
		                      units->district);
	if (*units->district && *units->province && strcmp(parent[DISTRICT], units->province) != 0)
		return saola__err_set(e, SAOLA_INVALID, "%s: district %s lies in province %s, not"
		                      " %s", where, units->district, parent[DISTRICT],
		                      units->province);
	/* A commune given without its district: its district's province. */
	if (*units->commune && !*units->district && *units->province) {
		memcpy(implied, parent[COMMUNE], sizeof implied);
		if ((found = lookup(r, implied, year, &u, where, e)) < 0)
			return -1;
		/* Or the province itself, when the commune has no district. */
		if (found == 1 && strcmp(u.level, "province") == 0)
			memcpy(u.parent, implied, sizeof u.parent);
		if (found == 0 || strcmp(u.parent, units->province) != 0)
			return saola__err_set(e, SAOLA_INVALID, "%s: commune %s lies in province"
			                      " %s, not %s", where, units->commune,
			                      found ? u.parent : "(unknown)", units->province);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Areas                                                               */

/* The area's own unit and the ones above it, by level, into chain[] (""
 * where the units table does not say). */
static int area_chain(saola__rules *r, const char *area, int level, int year,
                      char chain[LEVELS][SAOLA__UNIT_CODE_MAX + 1], const char *where,
                      saola__err *e)
{
	saola__unit u;
	int found;

	memset(chain, 0, LEVELS * sizeof chain[0]);
	snprintf(chain[level], sizeof chain[level], "%s", area);
	for (; level > PROVINCE; level--) {
		if (!chain[level][0])
			break;
		if ((found = lookup(r, chain[level], year, &u, where, e)) < 0)
			return -1;
		if (found == 1)
			memcpy(chain[level - 1], u.parent, sizeof chain[level - 1]);
	}
	return 0;
}

/* Sets *inside when code, a unit at a level below the area's, lies in the
 * area (its parents, walked up to the area's level, reach it); *known 0
 * when the units table does not place it. 0, or -1 with e. */
static int lies_in(saola__rules *r, const char *code, int level, const char *area,
                   int area_lv, int year, int *inside, int *known, const char *where,
                   saola__err *e)
{
	char cur[SAOLA__UNIT_CODE_MAX + 1];
	saola__unit u;
	int found;

	*inside = 0;
	*known = 0;
	snprintf(cur, sizeof cur, "%s", code);
	for (; level > area_lv; level--) {
		/* Reached the area's level early: a commune without district. */
		if (area_level(cur) == area_lv)
			break;
		if ((found = lookup(r, cur, year, &u, where, e)) < 0)
			return -1;
		if (found == 0)
			return 0;
		memcpy(cur, u.parent, sizeof cur);
	}
	*known = 1;
	*inside = strcmp(cur, area) == 0;
	return 0;
}

/* Checks the levels below the area's: each given lies inside the area. */
static int check_below(saola__rules *r, const saola__user *u, const saola__units *units,
                       int year, int area_lv, const char *where, saola__err *e)
{
	int level, inside, known, empty;

	for (level = area_lv + 1; r->db && level < LEVELS; level++) {
		const char *code = unit_at(units, level);
		if (!*code)
			continue;
		if (lies_in(r, code, level, u->area, area_lv, year, &inside, &known, where, e) != 0)
			return -1;
		if (known && !inside)
			return saola__err_set(e, SAOLA_AUTH, "%s: %s %s is outside your area %s",
			                      where, level_names[level], code, u->area);
		if (!known) {
			if ((empty = units_empty(r, where, e)) < 0)
				return -1;
			if (!empty)
				return saola__err_set(e, SAOLA_AUTH, "%s: %s %s is not a unit of"
				                      " the units table, so it is not known to lie"
				                      " in your area %s", where, level_names[level],
				                      code, u->area);
		}
	}
	return 0;
}

int saola__area_reorg(saola__db *db, const char *area, const char *commune, int year,
                      int *inside)
{
	char date[SAOLA__DATE_MAX + 1];
	int lv = area ? area_level(area) : -1, valid;

	*inside = 0;
	if (!db || lv <= PROVINCE || !commune || !*commune || year <= 0)
		return 0;
	snprintf(date, sizeof date, "%04u-12-31", (unsigned)year % 10000u);
	if ((valid = saola__units_valid_on(db, area, date)) != 0)
		return valid < 0 ? -1 : 0;   /* still a unit that year */
	return saola__units_inside(db, commune, area, NULL, date, inside);
}

/* 1 when u's area is a unit that no longer exists in year (none of its
 * versions valid on 31 December) and the record's commune was formed only
 * from units of that area: the area's households, in the new units
 * (docs/security.md, "Areas across the reorganisation"). A district's
 * record names no district then. 0 when not, -1 with e. */
static int reorg_area(saola__rules *r, const saola__user *u, const saola__units *units,
                      int year, int area_lv, const char *where, saola__err *e)
{
	int inside = 0;

	if (area_lv == DISTRICT && *units->district)
		return 0;
	if (r->reorg.known && r->reorg.year == year && strcmp(r->reorg.area, u->area) == 0 &&
	    strcmp(r->reorg.commune, units->commune) == 0)
		return r->reorg.inside;
	if (saola__area_reorg(r->db, u->area, units->commune, year, &inside) != 0)
		return saola__err_set(e, SAOLA_ERROR, "%s: units: %s", where,
		                      saola__db_errmsg(r->db));
	if (strlen(u->area) < sizeof r->reorg.area &&
	    strlen(units->commune) < sizeof r->reorg.commune) {
		strcpy(r->reorg.area, u->area);
		strcpy(r->reorg.commune, units->commune);
		r->reorg.year = year;
		r->reorg.inside = inside;
		r->reorg.known = 1;
	}
	return inside;
}

int saola__rules_area(saola__rules *r, const saola__user *u, const saola__units *units,
                      int year, const char *where, saola__err *e)
{
	char chain[LEVELS][SAOLA__UNIT_CODE_MAX + 1], why[160];
	int area_lv, level, covered;

	if (!u || strcmp(u->role, "admin") == 0)
		return 0;
	area_lv = area_level(u->area);
	if (area_lv >= 0 && (covered = reorg_area(r, u, units, year, area_lv, where, e)) != 0)
		return covered < 0 ? -1 : 0;
	/* The area's own level, as every path has always checked it. */
	if (!saola__area_contains(u, units)) {
		saola__area_explain(u, units, why, sizeof why);
		return saola__err_set(e, SAOLA_AUTH, "%s: %s", where, why);
	}
	if ((area_lv = area_level(u->area)) < 0)
		return saola__err_set(e, SAOLA_AUTH, "%s: your area %s is not a unit code", where,
		                      u->area);
	if (area_chain(r, u->area, area_lv, year, chain, where, e) != 0)
		return -1;
	for (level = PROVINCE; level < area_lv; level++) {
		const char *code = unit_at(units, level);
		if (*code && chain[level][0] && strcmp(code, chain[level]) != 0)
			return saola__err_set(e, SAOLA_AUTH, "%s: %s %s is outside your area %s"
			                      " (which lies in %s %s)", where, level_names[level],
			                      code, u->area, level_names[level], chain[level]);
	}
	return check_below(r, u, units, year, area_lv, where, e);
}

/* 1 when two places differ. */
static int moved(const saola__units *a, int ayear, const saola__units *b, int byear)
{
	return ayear != byear || strcmp(a->province, b->province) != 0 ||
	       strcmp(a->district, b->district) != 0 || strcmp(a->commune, b->commune) != 0;
}

int saola__rules_place(saola__rules *r, const saola__user *u, const saola__change_result *res,
                       const char *where, saola__err *e)
{
	/* The chain first: a record that names units that do not fit is wrong
	 * whoever sends it, and the message says which. A stored record left
	 * where it was is not checked again, so that an edit of one answer of
	 * a record stored before this rule is not refused for its old units. */
	if ((!res->existed || moved(&res->before, res->before_year, &res->after,
	                            res->after_year)) &&
	    saola__rules_chain(r, &res->after, res->after_year, where, e) != 0)
		return -1;
	if (res->existed &&
	    saola__rules_area(r, u, &res->before, res->before_year, where, e) != 0)
		return -1;
	return saola__rules_area(r, u, &res->after, res->after_year, where, e);
}

int saola__rules_change(saola__rules *r, const saola__user *u, const json_t *change,
                        const saola__change_result *res, const char *where, saola__err *e)
{
	if (saola__rules_review(u, change, where, e) != 0)
		return -1;
	return saola__rules_place(r, u, res, where, e);
}

int saola__rules_record(saola__db *db, const char *id, saola__units *units, int *year,
                        int *found)
{
	saola__dbstmt *st = NULL;
	json_t *data, *y;
	int step;

	*found = 0;
	*year = 0;
	memset(units, 0, sizeof *units);
	if (saola__db_prepare(db, "SELECT province, district, commune, data FROM records"
	                      " WHERE id = ?", &st) != SAOLA_OK)
		return -1;
	saola__db_bind_text(st, 1, id, -1);
	step = saola__db_step(st);
	if (step == SAOLA__DB_ROW) {
		*found = 1;
		saola__units_set(units, saola__db_column_text(st, 0),
		                 saola__db_column_text(st, 1),
		                 saola__db_column_text(st, 2));
		/* The survey year when it is an integer (the record's JSON). */
		data = json_loads(saola__db_column_text(st, 3) ? saola__db_column_text(st, 3) : "",
		                  JSON_DECODE_ANY, NULL);
		y = json_object_get(data, "survey_year");
		if (json_is_integer(y))
			*year = saola__rules_year(json_integer_value(y));
		json_decref(data);
	}
	saola__db_finalize(st);
	return step == SAOLA__DB_ROW || step == SAOLA__DB_DONE ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Reads: the same rule over a unit asked for and over many records     */

int saola__area_within(saola__db *db, const char *code, const char *area, int year, int *within)
{
	const char *lv = saola__unit_level(code);

	if (saola__unit_within(db, code, area, within) != 0)
		return -1;
	if (*within || !lv || strcmp(lv, "commune") != 0)
		return 0;
	/* A commune of a year the area no longer exists in (year 0: the
	 * latest units) lies in it when it was formed from it alone. */
	return saola__area_reorg(db, area, code, year > 0 ? year : 9999, within);
}

/* The years whose 31 December the area may be gone on: from the year of
 * its last day (the next when that is 31 December) to the year after the
 * last any unit begins or ends in (later years read the same units);
 * *first 0 when the area is still a unit or not one at all. 0, or -1. */
static int gone_years(saola__db *db, const char *area, int *first, int *last)
{
	/* The whole table is read only for an area that ended. */
	static const char sql[] =
		"SELECT e, CASE WHEN e IS NULL THEN NULL ELSE (SELECT max(valid_from) FROM units) END,"
		" CASE WHEN e IS NULL THEN NULL ELSE (SELECT coalesce(max(valid_to), '') FROM units)"
		" END FROM (SELECT CASE WHEN count(*) = 0 OR count(valid_to) < count(*) THEN NULL"
		" ELSE max(valid_to) END AS e FROM units WHERE code = ?) AS x";
	saola__dbstmt *st = NULL;
	const char *end, *top, *top_to;
	int step;

	*first = *last = 0;
	if (saola__db_prepare(db, sql, &st) != SAOLA_OK)
		return -1;
	saola__db_bind_text(st, 1, area, -1);
	if ((step = saola__db_step(st)) == SAOLA__DB_ROW &&
	    (end = saola__db_column_text(st, 0)) && strlen(end) >= 10 &&
	    (top = saola__db_column_text(st, 1)) && (top_to = saola__db_column_text(st, 2))) {
		if (strcmp(top_to, top) > 0)
			top = top_to;   /* the later of the last begin and the last end */
		*first = atoi(end) + (strcmp(end + 4, "-12-31") == 0);
		*last = atoi(top) + 1;   /* a unit may end on 31 December of top */
		if (*last < *first)
			*last = *first;
	}
	saola__db_finalize(st);
	return step == SAOLA__DB_ROW ? 0 : -1;
}

/* 1 when no unit begins or ends between 31 December of year - 1 and of
 * year (the same units on both days), 0 when one does, -1 when it fails. */
static int same_units(saola__db *db, int year)
{
	static const char sql[] =
		"SELECT CASE WHEN EXISTS (SELECT 1 FROM units WHERE (valid_from > ? AND"
		" valid_from <= ?) OR (valid_to >= ? AND valid_to < ?)) THEN 0 ELSE 1 END";
	char d1[SAOLA__DATE_MAX + 1], d2[SAOLA__DATE_MAX + 1];
	saola__dbstmt *st = NULL;
	int same = -1;

	snprintf(d1, sizeof d1, "%04u-12-31", (unsigned)(year - 1) % 10000u);
	snprintf(d2, sizeof d2, "%04u-12-31", (unsigned)year % 10000u);
	if (saola__db_prepare(db, sql, &st) != SAOLA_OK)
		return -1;
	saola__db_bind_text(st, 1, d1, -1);
	saola__db_bind_text(st, 2, d2, -1);
	saola__db_bind_text(st, 3, d1, -1);
	saola__db_bind_text(st, 4, d2, -1);
	if (saola__db_step(st) == SAOLA__DB_ROW)
		same = (int)saola__db_column_int(st, 0);
	saola__db_finalize(st);
	return same;
}

/* The communes of year inside area into in (those of the year before, in
 * already, when the units are the same), and "commune@year" to keys for
 * each. 0, or -1. */
static int year_keys(saola__db *db, const char *area, int year, int first, json_t *in,
                     json_t *keys)
{
	char date[SAOLA__DATE_MAX + 1], key[SAOLA__UNIT_CODE_MAX + 16];
	const char *c;
	json_t *v;
	int same = 0, valid;

	snprintf(date, sizeof date, "%04u-12-31", (unsigned)year % 10000u);
	if (year > first && (same = same_units(db, year)) < 0)
		return -1;
	if (!same) {
		json_object_clear(in);
		if ((valid = saola__units_valid_on(db, area, date)) < 0 ||
		    (!valid && saola__units_inside_all(db, area, date, in) != 0))
			return -1;
	}
	json_object_foreach(in, c, v) {
		snprintf(key, sizeof key, "%.8s@%04u", c, (unsigned)year % 10000u);
		if (json_array_append_new(keys, json_string(key)) != 0)
			return -1;
	}
	return 0;
}

/* keys (an array of "commune@year") as ",commune@year,...,": a new
 * string for saola__area_q_cond's LIKE, NULL when out of memory. */
static char *key_list(const json_t *keys)
{
	size_t i, n = 2, len;
	json_t *k;
	char *out, *p;

	json_array_foreach(keys, i, k)
		n += strlen(json_string_value(k)) + 1;
	if (!(p = out = malloc(n)))
		return NULL;
	*p++ = ',';
	json_array_foreach(keys, i, k) {
		len = strlen(json_string_value(k));
		memcpy(p, json_string_value(k), len);
		p += len;
		*p++ = ',';
	}
	*p = '\0';
	return out;
}

int saola__area_q_init(saola__area_q *q, saola__db *db, const char *area)
{
	json_t *keys = NULL, *in = NULL;
	int first, last, y, rc = -1;

	memset(q, 0, sizeof *q);
	q->area = area;
	q->level = area ? saola__unit_level(area) : NULL;
	if (!db || !q->level || area_level(area) == PROVINCE)
		return 0;
	if (gone_years(db, area, &first, &last) != 0)
		return -1;
	if (!first || last - first >= SAOLA__AREA_YEARS_MAX)
		return 0;   /* still a unit (or beyond the bound: nothing, never more) */
	if (!(keys = json_array()) || !(in = json_object()))
		goto out;
	for (y = first; y <= last; y++)
		if (year_keys(db, area, y, first, in, keys) != 0)
			goto out;
	q->last = last;
	rc = 0;
	if (json_array_size(keys) > 0 && (!(q->keys = json_dumps(keys, JSON_COMPACT)) ||
	                                  !(q->list = key_list(keys))))
		rc = -1;
out:
	json_decref(in);
	json_decref(keys);
	return rc;
}

void saola__area_q_free(saola__area_q *q)
{
	if (q) {
		free(q->keys);
		free(q->list);
		q->keys = q->list = NULL;
	}
}

void saola__area_q_cond(const saola__area_q *q, const char *t, const char *year_sql,
                        char *buf, size_t len)
{
	char none[48] = "", year[256] = "'%'";

	if (!q->level) {
		snprintf(buf, len, "1 = 1");
		return;
	}
	if (!q->list) {
		snprintf(buf, len, "%s.%s = ?", t, q->level);
		return;
	}
	/* A district's records of the new units name no district. The keys
	 * are digits, '@' and ','; a commune holding ',' or LIKE's own
	 * characters is none of them. The survey year counts from 1 to 9999,
	 * a later year as the last of the keys. */
	if (area_level(q->area) == DISTRICT)
		snprintf(none, sizeof none, "coalesce(%s.district, '') = '' AND ", t);
	if (year_sql)
		snprintf(year, sizeof year, "CASE WHEN %s BETWEEN 1 AND 9999 THEN CASE WHEN %s < %d"
		         " THEN %s ELSE %d END END || ','", year_sql, year_sql, q->last, year_sql,
		         q->last);
	snprintf(buf, len, "(%s.%s = ? OR (%s%s.commune NOT LIKE '%%!%%%%' ESCAPE '!' AND"
	         " %s.commune NOT LIKE '%%!_%%' ESCAPE '!' AND %s.commune NOT LIKE '%%,%%' AND"
	         " ? LIKE '%%,' || %s.commune || '@' || %s || '%%'))", t, q->level, none, t, t, t,
	         t, year);
}

int saola__area_q_match(const saola__area_q *q, const char *code, const char *district,
                        const char *commune, const json_t *year)
{
	char key[SAOLA__UNIT_CODE_MAX + 32];
	json_int_t y = json_integer_value(year);
	size_t i;

	if (!q->level || (code && strcmp(code, q->area) == 0))
		return 1;
	if (!q->list || (area_level(q->area) == DISTRICT && district && *district) ||
	    !commune || !*commune || strlen(commune) > SAOLA__UNIT_CODE_MAX ||
	    !json_is_integer(year) || y < 1 || y > 9999)
		return 0;
	for (i = 0; commune[i]; i++)
		if (commune[i] < '0' || commune[i] > '9')
			return 0;   /* keys are digits */
	snprintf(key, sizeof key, ",%s@%d,", commune, (int)(y < q->last ? y : q->last));
	return strstr(q->list, key) != NULL;
}

int saola__area_q_cond_bind(const saola__area_q *q, saola__dbstmt *st, int p)
{
	if (!q->level)
		return p;
	saola__db_bind_text(st, p++, q->area, -1);
	if (q->list)
		saola__db_bind_text(st, p++, q->list, -1);
	return p;
}
