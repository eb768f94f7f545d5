/* report_complete.c: what a report's figures stand on: the review states
 * counted (official figures are approved households), and the coverage of
 * an area in a year: its communes valid that year, which have reported,
 * households listed (the listed table) against households surveyed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "report_int.h"
#include "units_map.h"

static const char *const state_names[] = {"draft", "submitted", "returned", "approved"};
#define ALL_STATES (0xfu << 1)

int saola__state_mask(const char *text, unsigned *mask, char *name, size_t len)
{
	const char *p = text && *text ? text : "approved";
	size_t n, k;
	int i, found;

	*mask = 0;
	if (strcmp(p, "all") == 0) {
		*mask = ALL_STATES;
		snprintf(name, len, "all");
		return 0;
	}
	while (*p) {
		n = strcspn(p, ",");
		for (i = 0, found = 0; i < 4; i++)
			if (strlen(state_names[i]) == n && strncmp(p, state_names[i], n) == 0) {
				*mask |= 1u << (i + 1);
				found = 1;
			}
		if (!found)
			return -1;
		p += n + (p[n] == ',');
	}
	if (!*mask)
		return -1;
	name[0] = '\0';
	for (i = 0, k = 0; i < 4 && *mask != ALL_STATES; i++)
		if (*mask & (1u << (i + 1)))
			k += (size_t)snprintf(name + k, k < len ? len - k : 0, "%s%s", k ? "," : "",
			                      state_names[i]);
	if (*mask == ALL_STATES)
		snprintf(name, len, "all");
	return 0;
}

void saola__state_sql(unsigned mask, const char *col, int negate, char *buf, size_t len)
{
	size_t k;
	int i, any = 0;

	if ((!negate && mask == ALL_STATES) || (negate && !mask)) {
		buf[0] = '\0';
		return;
	}
	k = (size_t)snprintf(buf, len, " AND %s IN (", col);
	for (i = 1; i <= 4; i++)
		if (((mask >> i) & 1) != (unsigned)negate && k < len) {
			k += (size_t)snprintf(buf + k, len - k, "%s%d", any ? ", " : "", i);
			any = 1;
		}
	if (!any)
		snprintf(buf, len, " AND 1 = 0");
	else if (k < len)
		snprintf(buf + k, len - k, ")");
}

/* ------------------------------------------------------------------ */
/* Coverage. */

/* The queries below take three values, each bound wherever its `?`
 * stands, in the order their slots string says: c the code ('' for
 * everything), y the year, d the year's review day. Texts compared with a
 * parameter alone are cast, so that PostgreSQL knows its type. */
#define CODE "CAST(? AS TEXT)"

/* A unit version valid on the review day (dd) of the year: in the year of
 * a reorganisation, the units the review was run in. */
#define VALID(u) " " u ".valid_from <= ? AND (" u ".valid_to IS NULL OR " u ".valid_to >= ?)"

/* The communes of the code valid on the review day of the year, with the
 * households listed and surveyed (of the states %s) there. */
#define UNITS_SQL                                                                    \
	"WITH RECURSIVE down(code) AS (SELECT " CODE " WHERE " CODE " <> ''"              \
	" UNION SELECT u.code FROM units u JOIN down d ON u.parent = d.code WHERE" VALID("u") ")" \
	" SELECT u.code, max(u.name), max(l.households), (SELECT count(*) FROM facts f"  \
	"  WHERE f.year = ? AND f.commune = u.code%s)"                                   \
	" FROM units u LEFT JOIN listed l ON l.year = ? AND l.commune = u.code"          \
	" WHERE u.level = 'commune' AND" VALID("u")                                      \
	" AND (" CODE " = '' OR u.code IN (SELECT code FROM down)) GROUP BY u.code ORDER BY u.code"
#define UNITS_SLOTS "ccddyyddcc"

/* For a year without units: the communes its facts name in the code. */
#define FACTS_SQL                                                                    \
	"SELECT f.commune, NULL, (SELECT households FROM listed l WHERE l.year = ?"      \
	"  AND l.commune = f.commune), sum(CASE WHEN 1 = 1%s THEN 1 ELSE 0 END)"         \
	" FROM facts f WHERE f.year = ?"                                                 \
	" AND f.commune IS NOT NULL AND (" CODE " = '' OR f.%s = " CODE ")"               \
	" AND " CODE " IS NOT NULL"                                                      \
	" GROUP BY f.commune"                                                            \
	" ORDER BY f.commune"
#define FACTS_SLOTS "yyccd"

/* The review day of year (the standards' files read once per report). */
static int review_day(rep_ctx *c, int year, char date[SAOLA__DATE_MAX + 1])
{
	char key[32];
	json_t *hit;

	snprintf(key, sizeof key, "day|%d", year);
	if ((hit = json_object_get(c->covers, key))) {
		snprintf(date, SAOLA__DATE_MAX + 1, "%s", json_string_value(hit));
		return 0;
	}
	saola__review_date(saola__schemas_dir(c->rq->schemas), year, date, NULL);
	return json_object_set_new(c->covers, key, json_string(date)) ? rep_oom(c) : 0;
}

/* Adds one commune of a detail to a coverage's figures. */
static void count_in(rep_cover *o, json_int_t surveyed, int known, json_int_t listed)
{
	o->communes++;
	o->reported += surveyed > 0;
	o->complete += known && surveyed >= listed;
	o->surveyed += surveyed;
	if (!known)
		o->listed = -1;
	else if (o->listed >= 0)
		o->listed += listed;
}

/* Binds slots (UNITS_SLOTS, FACTS_SLOTS) from parameter 1: c code, y
 * year, d review day. */
static void bind_slots(saola__dbstmt *st, const char *slots, const char *code, int year,
                       const char *date)
{
	int i;

	for (i = 0; slots[i]; i++) {
		if (slots[i] == 'y')
			saola__db_bind_int(st, i + 1, year);
		else
			saola__db_bind_text(st, i + 1, slots[i] == 'c' ? code : date, -1);
	}
}

/* Runs sql (its parameters as slots says) into the detail array; 0 or -1. */
static int cover_rows(rep_ctx *c, const char *sql, const char *slots, const char *code, int year,
                      rep_cover *o)
{
	char date[SAOLA__DATE_MAX + 1];
	saola__dbstmt *st = NULL;
	int step;

	if (review_day(c, year, date) != 0)
		return -1;
	if (saola__db_prepare(c->db, sql, &st) != SAOLA_OK)
		return rep_sql_fail(c, "coverage");
	bind_slots(st, slots, code, year, date);
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW) {
		const char *cc = saola__db_column_text(st, 0);
		const char *name = saola__db_column_text(st, 1);
		json_int_t surveyed = saola__db_column_int(st, 3);
		int known = saola__db_column_type(st, 2) != SAOLA__DB_NULL;
		json_int_t listed = saola__db_column_int(st, 2);

		if (json_array_append_new(o->detail, json_pack("{s:s, s:s?, s:I, s:o}", "code", cc,
		        "name", name, "surveyed", surveyed, "listed", known ? json_integer(listed)
		        : json_null())) != 0) {
			saola__db_finalize(st);
			return rep_oom(c);
		}
		count_in(o, surveyed, known, listed);
	}
	saola__db_finalize(st);
	return step == SAOLA__DB_DONE ? 0 : rep_sql_fail(c, "coverage");
}

/* Keeps a coverage in the report's cache under key (its detail is there
 * already). */
static int cover_keep(rep_ctx *c, json_t *hit, const rep_cover *o, int from_units)
{
	if (json_object_set_new(hit, "communes", json_integer(o->communes)) ||
	    json_object_set_new(hit, "reported", json_integer(o->reported)) ||
	    json_object_set_new(hit, "complete", json_integer(o->complete)) ||
	    json_object_set_new(hit, "listed", json_integer(o->listed)) ||
	    json_object_set_new(hit, "surveyed", json_integer(o->surveyed)) ||
	    json_object_set_new(hit, "units", json_boolean(from_units)))
		return rep_oom(c);
	return 0;
}

/* The units valid on year's review day: code -> [parent, ...], once per
 * report and year (and "kids|year": the codes that are a parent of one).
 * Borrowed; NULL (e set) on failure. */
static json_t *parents_of(rep_ctx *c, int year)
{
	char key[32], kkey[32], date[SAOLA__DATE_MAX + 1];
	saola__dbstmt *st = NULL;
	json_t *map, *list, *kids;
	int step;

	snprintf(key, sizeof key, "units|%d", year);
	if ((map = json_object_get(c->covers, key)))
		return map;
	if (review_day(c, year, date) != 0)
		return NULL;
	snprintf(kkey, sizeof kkey, "kids|%d", year);
	if (!(map = json_object()) || json_object_set_new(c->covers, key, map) != 0 ||
	    !(kids = json_object()) || json_object_set_new(c->covers, kkey, kids) != 0) {
		rep_oom(c);
		return NULL;
	}
	if (saola__db_prepare(c->db, "SELECT code, parent FROM units WHERE" VALID("units"),
	                      &st) != SAOLA_OK) {
		rep_sql_fail(c, "units");
		return NULL;
	}
	bind_slots(st, "dd", "", year, date);
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW) {
		const char *code = saola__db_column_text(st, 0);
		const char *parent = saola__db_column_text(st, 1);
		if (!(list = json_object_get(map, code)) &&
		    (!(list = json_array()) || json_object_set_new(map, code, list) != 0))
			break;
		if (parent && (json_array_append_new(list, json_string(parent)) != 0 ||
		               json_object_set_new(kids, parent, json_true()) != 0))
			break;
	}
	saola__db_finalize(st);
	if (step != SAOLA__DB_DONE) {
		if (step == SAOLA__DB_ROW)
			rep_oom(c);
		else
			rep_sql_fail(c, "units");
		return NULL;
	}
	return map;
}

/* The units above code on a day, as "/parent/grandparent/.../": the units
 * whose walk down (UNITS_SQL's) reaches code. A unit not valid that day
 * ends the walk, itself included. Borrowed; NULL when out of memory. */
static const char *above(rep_ctx *c, json_t *parents, int year, const char *code)
{
	char key[48], path[1024], item[80], cur[64];
	json_t *hit, *up;
	size_t i, n, len = 1, at = 1;

	snprintf(key, sizeof key, "above|%d|%.30s", year, code);
	if ((hit = json_object_get(c->covers, key)))
		return json_string_value(hit);
	snprintf(path, sizeof path, "/");
	snprintf(cur, sizeof cur, "%s", code);
	/* Breadth first over the path itself: each unit once. */
	for (;;) {
		json_array_foreach(json_object_get(parents, cur), i, up) {
			snprintf(item, sizeof item, "/%s/", json_string_value(up));
			if (!strstr(path, item) && len + strlen(item) < sizeof path)
				len += (size_t)snprintf(path + len, sizeof path - len, "%s", item + 1);
		}
		if (!path[at])
			break;
		n = strcspn(path + at, "/");
		snprintf(cur, sizeof cur, "%.*s", (int)n, path + at);
		at += n + 1;
	}
	if (json_object_set_new(c->covers, key, json_string(path)) != 0)
		return NULL;
	return json_string_value(json_object_get(c->covers, key));
}

/* Whether path ("/a/b/") names code. */
static int names(const char *path, const char *code)
{
	size_t n = strlen(code);
	const char *p;

	for (p = path; (p = strstr(p, code)); p++)
		if (p > path && p[-1] == '/' && p[n] == '/')
			return 1;
	return 0;
}

/* The unit whose coverage code's is summed from: the report's area when
 * code is within it on year's review day, else the topmost unit above
 * code (one query for the communes of an old province, not one per
 * commune); "" when none (or not known: the area's not from the units).
 * 0 or -1. */
static int root_of(rep_ctx *c, json_t *parents, int year, const char *code, char *root,
                   size_t len)
{
	const char *path;
	size_t n;

	root[0] = '\0';
	if (!json_object_get(parents, code))
		return 0;
	if (!(path = above(c, parents, year, code)))
		return rep_oom(c);
	if (!*c->area || names(path, c->area)) {
		snprintf(root, len, "%s", *c->area ? c->area : "");
		return 0;
	}
	/* The last of "/a/b/top/". */
	if ((n = strlen(path)) > 1) {
		const char *p = path + n - 1;
		while (p > path && p[-1] != '/')
			p--;
		snprintf(root, len, "%.*s", (int)(path + n - 1 - p), p);
	}
	return 0;
}

/* The coverage of code summed from its root's (root_of): its communes
 * are those of the root's below it on the review day, with the same
 * figures as code's own query would give. *done 0 when it cannot be told
 * so (code's own query then). */
static int cover_derived(rep_ctx *c, const char *code, int year, unsigned mask, rep_cover *out,
                         int *done)
{
	char key[64], root[SAOLA__UNIT_CODE_MAX + 8];
	json_t *parents, *d;
	const char *path;
	rep_cover top;
	size_t i;

	*done = 0;
	if (!*code || strlen(code) > 30)
		return 0;
	if (!(parents = parents_of(c, year)) ||
	    root_of(c, parents, year, code, root, sizeof root) != 0)
		return -1;
	if (!*root && *c->area)
		return 0;
	if (rep_cover_of(c, root, year, mask, &top) != 0)
		return -1;
	snprintf(key, sizeof key, "%d|%u|%s", year, mask, root);
	if (!json_is_true(json_object_get(json_object_get(c->covers, key), "units")))
		return 0;
	json_array_foreach(top.detail, i, d) {
		const char *cc = json_string_value(json_object_get(d, "code"));
		json_t *listed = json_object_get(d, "listed");
		if (strcmp(cc, code) != 0 &&
		    (!(path = above(c, parents, year, cc)) || !names(path, code)))
			continue;
		if (json_array_append(out->detail, d) != 0)
			return rep_oom(c);
		count_in(out, json_integer_value(json_object_get(d, "surveyed")),
		         !json_is_null(listed), json_integer_value(listed));
	}
	*done = out->communes > 0;
	return 0;
}

/* Whether code has no units below it on year's review day: not valid
 * then, and no unit's parent (UNITS_SQL would find nothing). 1, 0, or -1
 * (e set). */
static int none_below(rep_ctx *c, const char *code, int year)
{
	char key[32];
	json_t *parents;

	if (!*code)
		return 0;
	if (!(parents = parents_of(c, year)))
		return -1;
	snprintf(key, sizeof key, "kids|%d", year);
	return !json_object_get(parents, code) &&
	       !json_object_get(json_object_get(c->covers, key), code);
}

/* rep_cover_of by a query of its own. */
static int cover_query(rep_ctx *c, const char *code, int year, unsigned mask, rep_cover *out)
{
	char key[64], states[64], sql[2048];
	const char *level = saola__unit_level(code);
	json_t *hit, *detail;
	int from_units, none;

	snprintf(key, sizeof key, "%d|%u|%s", year, mask, code);
	if (!(detail = json_array()) || !(hit = json_pack("{s:o}", "detail", detail)) ||
	    json_object_set_new(c->covers, key, hit) != 0)
		return rep_oom(c);
	out->detail = detail;
	saola__state_sql(mask, "f.state", 0, states, sizeof states);
	snprintf(sql, sizeof sql, UNITS_SQL, states);
	if ((none = none_below(c, code, year)) < 0 ||
	    (!none && cover_rows(c, sql, UNITS_SLOTS, code, year, out) != 0))
		return -1;
	from_units = out->communes > 0;
	if (out->communes == 0 && (!*code || level)) {
		/* No units that year: the communes the records name. */
		snprintf(sql, sizeof sql, FACTS_SQL, states, level ? level : "commune");
		if (cover_rows(c, sql, FACTS_SLOTS, code, year, out) != 0)
			return -1;
	}
	return cover_keep(c, hit, out, from_units);
}

int rep_cover_of(rep_ctx *c, const char *code, int year, unsigned mask, rep_cover *out)
{
	char key[64];
	json_t *hit, *detail;
	int done = 0;

	memset(out, 0, sizeof *out);
	snprintf(key, sizeof key, "%d|%u|%s", year, mask, code);
	if ((hit = json_object_get(c->covers, key))) {
		out->communes = (int)json_integer_value(json_object_get(hit, "communes"));
		out->reported = (int)json_integer_value(json_object_get(hit, "reported"));
		out->complete = (int)json_integer_value(json_object_get(hit, "complete"));
		out->listed = json_integer_value(json_object_get(hit, "listed"));
		out->surveyed = json_integer_value(json_object_get(hit, "surveyed"));
		out->detail = json_object_get(hit, "detail");
		return 0;
	}
	if (strcmp(code, c->area) == 0)
		return cover_query(c, code, year, mask, out);
	if (!(detail = json_array()))
		return rep_oom(c);
	out->detail = detail;
	if (cover_derived(c, code, year, mask, out, &done) != 0) {
		json_decref(detail);
		return -1;
	}
	if (!done) {
		json_decref(detail);
		memset(out, 0, sizeof *out);
		return cover_query(c, code, year, mask, out);
	}
	if (!(hit = json_pack("{s:o}", "detail", detail)) || json_object_set_new(c->covers, key, hit))
		return rep_oom(c);
	return cover_keep(c, hit, out, 1);
}

static json_t *listed_value(json_int_t n)
{
	return n >= 0 ? json_integer(n) : json_null();
}

/* The reported and not reported communes of a coverage's detail. */
static int split(const rep_cover *o, json_t *reported, json_t *missing)
{
	json_t *d;
	size_t i;

	json_array_foreach(o->detail, i, d) {
		json_int_t n = json_integer_value(json_object_get(d, "surveyed"));
		json_t *row = n > 0
		        ? json_pack("{s:O, s:O, s:I, s:O}", "code", json_object_get(d, "code"), "name",
		                    json_object_get(d, "name"), "surveyed", n, "listed",
		                    json_object_get(d, "listed"))
		        : json_pack("{s:O, s:O, s:O}", "code", json_object_get(d, "code"), "name",
		                    json_object_get(d, "name"), "listed", json_object_get(d, "listed"));
		if (json_array_append_new(n > 0 ? reported : missing, row) != 0)
			return -1;
	}
	return 0;
}

json_t *rep_completeness(rep_ctx *c)
{
	json_t *out, *reported = json_array(), *missing = json_array();
	rep_cover o;

	if (rep_cover_of(c, c->area, c->year, c->state_mask, &o) != 0) {
		json_decref(reported);
		json_decref(missing);
		return NULL;
	}
	if (!reported || !missing || split(&o, reported, missing) != 0) {
		json_decref(reported);
		json_decref(missing);
		rep_oom(c);
		return NULL;
	}
	out = json_pack("{s:i, s:i, s:i, s:i, s:o, s:I, s:o, s:o, s:o}", "year", c->year,
	                "communes", o.communes, "communes_reported", o.reported,
	                "communes_complete", o.complete, "households_listed",
	                listed_value(o.listed), "households_surveyed", (json_int_t)o.surveyed,
	                "share", o.listed > 0 ? json_real(rep_fraction((double)o.surveyed,
	                (double)o.listed)) : json_null(), "reported", reported,
	                "not_reported", missing);
	if (!out)
		rep_oom(c);
	return out;
}

/* The households listed in a unit (a row's), -1 when unknown. */
static int listed_in(rep_ctx *c, const json_t *unit, json_int_t *n)
{
	const char *level = json_string_value(json_object_get(unit, "level"));
	const char *code = json_string_value(json_object_get(unit, "code"));
	rep_cover o;

	*n = -1;
	if (!code || !level || strcmp(level, "village") == 0)
		return 0;
	if (rep_cover_of(c, code, c->year, c->state_mask, &o) != 0)
		return -1;
	*n = o.communes > 0 ? o.listed : -1;
	return 0;
}

int rep_listed(rep_ctx *c, json_t *rows, json_t *total)
{
	json_t *row;
	json_int_t n;
	rep_cover o;
	size_t i;

	json_array_foreach(rows, i, row) {
		if (listed_in(c, json_object_get(row, "unit"), &n) != 0)
			return -1;
		if (json_object_set_new(row, "listed", listed_value(n)) != 0)
			return rep_oom(c);
	}
	if (!total)
		return 0;
	if (rep_cover_of(c, c->area, c->year, c->state_mask, &o) != 0)
		return -1;
	if (json_object_set_new(total, "listed", listed_value(o.communes > 0 ? o.listed : -1)))
		return rep_oom(c);
	return 0;
}
