/* report.c: running reports: the request (area, level, year) checked and
 * resolved against the caller's scope, the facts refreshed, the sections
 * computed, and the rows, totals and rates they share. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "facts.h"
#include "report_int.h"
#include "report_reorg.h"
#include "rules.h"

const char *const saola__report_names[SAOLA__N_REPORTS] = {
	"summary", "indicators", "causes", "coverage", "transitions", "progress",
};
const char *const saola__by_names[4] = {"province", "district", "commune", "village"};

unsigned saola__report_bit(const char *name)
{
	int i;

	if (name && strcmp(name, "all") == 0)
		return SAOLA__R_ALL;
	for (i = 0; name && i < SAOLA__N_REPORTS; i++)
		if (strcmp(name, saola__report_names[i]) == 0)
			return 1u << i;
	return 0;
}

int saola__report_by(const char *name)
{
	int i;

	for (i = 0; name && i < 4; i++)
		if (strcmp(name, saola__by_names[i]) == 0)
			return i;
	return -1;
}

const char *rep_key_sql(int by)
{
	static const char *const keys[4] = {
		"province", "province, district", "province, district, commune",
		"province, district, commune, village",
	};
	return keys[by];
}

int rep_key_count(int by)
{
	return by + 1;
}

void rep_place_sql(const rep_ctx *c, char *buf, size_t len)
{
	if (c->area_col)
		snprintf(buf, len, " AND %s = ?", c->area_col);
	else
		buf[0] = '\0';
}

void rep_area_sql(const rep_ctx *c, char *buf, size_t len)
{
	size_t n;

	rep_place_sql(c, buf, len);
	n = strlen(buf);
	saola__state_sql(c->state_mask, "state", c->uncounted, buf + n, len - n);
}

int rep_area_bind(const rep_ctx *c, saola__dbstmt *st, int i)
{
	if (!c->area_col)
		return i;
	saola__db_bind_text(st, i, c->area, -1);
	return i + 1;
}

char *saola__sql_list(size_t n, const char *one)
{
	size_t len = strlen(one), i, at = 0;
	char *out;

	if (n == 0)
		return strdup("NULL");
	if (n > (SIZE_MAX - 1) / (len + 2) || !(out = malloc(n * (len + 2) + 1)))
		return NULL;
	for (i = 0; i < n; i++) {
		if (i) {
			memcpy(out + at, ", ", 2);
			at += 2;
		}
		memcpy(out + at, one, len);
		at += len;
	}
	out[at] = '\0';
	return out;
}

double rep_fraction(double num, double of)
{
	return of > 0 ? round(num / of * 1e6) / 1e6 : 0;
}

int rep_sql_fail(rep_ctx *c, const char *what)
{
	return saola__err_set(c->e, SAOLA_ERROR, "report: %s: %s", what, saola__db_errmsg(c->db));
}

int rep_oom(rep_ctx *c)
{
	return saola__err_set(c->e, SAOLA_NOMEM, "report: out of memory");
}

int rep_note(rep_ctx *c, const char *vi, const char *en)
{
	if (json_array_append_new(c->notes, json_pack("{s:s, s:s}", "vi", vi, "en", en)) != 0)
		return rep_oom(c);
	return 0;
}

int rep_col(json_t *cols, const char *key, const char *vi, const char *en, const char *shortname,
            const char *type, const char *num, const char *of)
{
	json_t *col = json_pack("{s:s, s:s, s:s, s:s, s:s}", "key", key, "vi", vi, "en", en,
	                        "short", shortname, "type", type);

	if (!col)
		return -1;
	if ((num && json_object_set_new(col, "num", json_string(num)) != 0) ||
	    (of && json_object_set_new(col, "of", json_string(of)) != 0)) {
		json_decref(col);
		return -1;
	}
	return json_array_append_new(cols, col);
}

static int set_rate(json_t *row, const char *key, const json_t *num, const json_t *of)
{
	double d = json_number_value(of);

	return json_object_set_new(row, key, json_is_number(num) && d > 0
	                           ? json_real(rep_fraction(json_number_value(num), d))
	                           : json_null());
}

int rep_rates(json_t *cols, json_t *row)
{
	json_t *col;
	size_t i;

	json_array_foreach(cols, i, col) {
		const char *type = json_string_value(json_object_get(col, "type"));
		json_t *num, *of;

		if (strcmp(type, REP_RATE) != 0)
			continue;
		num = json_object_get(row, json_string_value(json_object_get(col, "num")));
		of = json_object_get(row, json_string_value(json_object_get(col, "of")));
		if (set_rate(row, json_string_value(json_object_get(col, "key")), num, of) != 0)
			return -1;
	}
	return 0;
}

json_t *rep_total(rep_ctx *c, json_t *cols, json_t *rows)
{
	json_t *total = json_object(), *col, *row;
	size_t i, j;

	if (!total || json_object_set(total, "unit", c->area_unit) != 0)
		goto fail;
	json_array_foreach(cols, i, col) {
		const char *key = json_string_value(json_object_get(col, "key"));
		json_int_t sum = 0;
		int any = 0;

		if (strcmp(json_string_value(json_object_get(col, "type")), REP_COUNT) != 0)
			continue;
		json_array_foreach(rows, j, row) {
			json_t *v = json_object_get(row, key);
			if (json_is_integer(v)) {
				sum += json_integer_value(v);
				any = 1;
			}
		}
		if (json_object_set_new(total, key, any || json_array_size(rows) == 0
		                        ? json_integer(sum) : json_null()) != 0)
			goto fail;
	}
	if (rep_rates(cols, total) != 0)
		goto fail;
	return total;
fail:
	json_decref(total);
	return NULL;
}

json_t *rep_report(rep_ctx *c, const char *name, json_t *cols, json_t *rows, json_t *total)
{
	json_t *rep = json_pack("{s:s, s:s, s:i, s:s, s:O, s:o, s:o, s:o, s:[]}", "report", name,
	                        "by", saola__by_names[c->by], "year", c->year, "state",
	                        c->state_name, "area", c->area_unit, "columns", cols, "rows", rows,
	                        "total", total, "notes");

	if (!rep)
		rep_oom(c);
	return rep;
}

/* ------------------------------------------------------------------ */
/* Units and rows. */

static const char *col_text(saola__dbstmt *st, int i)
{
	return saola__db_column_text(st, i);
}

/* The unit object of a code at a level (cached), or of the whole scope. */
static json_t *unit_obj(rep_ctx *c, const char *level, const char *code)
{
	saola__unit u;
	char label[SAOLA__UNIT_NAME_MAX + 32];
	json_t *obj;
	int found = 0;

	if (code && (obj = json_object_get(c->names, code)))
		return obj;
	if (code && saola__unit_get(c->db, code, c->year, &u, &found) != 0) {
		rep_sql_fail(c, "units");
		return NULL;
	}
	if (!code) {
		obj = json_pack("{s:s, s:n, s:s, s:s}", "level", level, "code", "name",
		                "(không rõ / unknown)", "label", "- (không rõ / unknown)");
		return obj && json_object_set_new(c->names, "", obj) == 0 ? obj : NULL;
	}
	saola__unit_label(found ? &u : NULL, code, label, sizeof label);
	obj = json_pack("{s:s, s:s, s:s, s:s}", "level", level, "code", code, "name",
	                found ? u.name : code, "label", label);
	if (obj && found && u.parent[0])
		json_object_set_new(obj, "parent", json_string(u.parent));
	if (!obj || json_object_set_new(c->names, code, obj) != 0) {
		rep_oom(c);
		return NULL;
	}
	return obj;
}

/* The row key of a unit: its code, and for a village its name after a
 * separator; a missing code sorts last. A new string, NULL when out of
 * memory. */
static char *row_key(const char *code, const char *village, int by)
{
	size_t n = (code ? strlen(code) : 1) + (village ? strlen(village) : 1) + 3;
	char *key = malloc(n);

	if (key)
		snprintf(key, n, "%s%s%s", code ? code : "\x7f", by == SAOLA__BY_VILLAGE ? "\x1f" : "",
		         by != SAOLA__BY_VILLAGE ? "" : village ? village : "\x7f");
	return key;
}

json_t *rep_row_for(rep_ctx *c, json_t *map, const char *const *cols)
{
	int level = c->by == SAOLA__BY_VILLAGE ? SAOLA__BY_COMMUNE : c->by;
	char *key = row_key(cols[level], cols[3], c->by);
	json_t *row, *unit;

	if (!key) {
		rep_oom(c);
		return NULL;
	}
	if ((row = json_object_get(map, key))) {
		free(key);
		return row;
	}
	unit = unit_obj(c, saola__by_names[level], cols[level]);
	if (!unit) {
		free(key);
		return NULL;
	}
	if (c->by == SAOLA__BY_VILLAGE) {
		const char *village = cols[3];
		char label[512];
		snprintf(label, sizeof label, "%s / %s", json_string_value(json_object_get(unit, "label")),
		         village ? village : "(không rõ / unknown)");
		unit = json_deep_copy(unit);
		if (!unit || json_object_set_new(unit, "level", json_string("village")) ||
		    json_object_set_new(unit, "village", village ? json_string(village) : json_null()) ||
		    json_object_set_new(unit, "label", json_string(label))) {
			json_decref(unit);
			free(key);
			rep_oom(c);
			return NULL;
		}
	} else {
		json_incref(unit);
	}
	row = json_pack("{s:o}", "unit", unit);
	if (!row || json_object_set_new(map, key, row) != 0) {
		free(key);
		rep_oom(c);
		return NULL;
	}
	free(key);
	return row;
}

json_t *rep_row(rep_ctx *c, json_t *map, saola__dbstmt *st)
{
	const char *cols[4] = {NULL, NULL, NULL, NULL};
	int i;

	for (i = 0; i < rep_key_count(c->by); i++)
		cols[i] = col_text(st, i);
	return rep_row_for(c, map, cols);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *rep_rows_sorted(json_t *map)
{
	size_t n = json_object_size(map), i = 0;
	const char **keys = malloc((n ? n : 1) * sizeof *keys), *k;
	json_t *rows = json_array(), *v;

	if (!keys || !rows) {
		free(keys);
		json_decref(rows);
		return NULL;
	}
	json_object_foreach(map, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof *keys, cmp_str);
	for (i = 0; i < n; i++)
		if (json_array_append(rows, json_object_get(map, keys[i])) != 0) {
			json_decref(rows);
			rows = NULL;
			break;
		}
	free(keys);
	return rows;
}

/* ------------------------------------------------------------------ */
/* The request. */

/* The latest year with records in the area; 0 when none. */
static int latest_year(rep_ctx *c, int *year)
{
	char sql[256], area[64];
	saola__dbstmt *st = NULL;
	int step;

	rep_place_sql(c, area, sizeof area);
	/* Backwards along the facts_year index, to the first of the area (in
	 * any review state: the year under review shows even before approval). */
	snprintf(sql, sizeof sql, "SELECT year FROM facts WHERE year IS NOT NULL%s"
	         " ORDER BY year DESC LIMIT 1", area);
	*year = 0;
	if (saola__db_prepare(c->db, sql, &st) != SAOLA_OK)
		return rep_sql_fail(c, "latest year");
	rep_area_bind(c, st, 1);
	step = saola__db_step(st);
	if (step == SAOLA__DB_ROW)
		*year = (int)saola__db_column_int(st, 0);
	saola__db_finalize(st);
	return step == SAOLA__DB_ROW || step == SAOLA__DB_DONE ? 0 : rep_sql_fail(c, "latest year");
}

/* Checks the area against the scope, picks the level and the year. */
static int resolve(rep_ctx *c)
{
	const saola__report_req *rq = c->rq;
	const char *area = rq->area && *rq->area ? rq->area : rq->scope && *rq->scope ? rq->scope : "";
	const char *level = saola__unit_level(area);
	int area_by = -1, within = 0;

	if (*area && !level)
		return saola__err_set(c->e, SAOLA_PROTOCOL, "area \"%.20s\": expected a unit code"
		                      " of 2 (province), 3 (district) or 5 (commune) digits", area);
	if (rq->scope && *rq->scope && *area) {
		if (saola__area_within(c->db, area, rq->scope, rq->year, &within) != 0)
			return rep_sql_fail(c, "area");
		if (!within)
			return saola__err_set(c->e, SAOLA_AUTH, "area %s is outside your area %s",
			                      area, rq->scope);
	}
	snprintf(c->area, sizeof c->area, "%s", area);
	if (level) {
		area_by = saola__report_by(level);
		c->area_col = level;
	}
	c->by = rq->by >= 0 ? rq->by : area_by < 0 ? SAOLA__BY_PROVINCE
	      : area_by < SAOLA__BY_VILLAGE ? area_by + 1 : SAOLA__BY_VILLAGE;
	if (c->by < area_by)
		c->by = area_by;   /* coarser than the area: the area itself */
	if (saola__state_mask(rq->state, &c->state_mask, c->state_name, sizeof c->state_name) != 0)
		return saola__err_set(c->e, SAOLA_PROTOCOL, "state \"%.40s\": expected approved,"
		                      " submitted, draft, returned, all, or a comma list of them",
		                      rq->state);
	if (rq->year && (rq->year < 1900 || rq->year > 2200))
		return saola__err_set(c->e, SAOLA_PROTOCOL, "year %d: expected a year 1900-2200",
		                      rq->year);
	c->year = rq->year;
	if (!c->year && latest_year(c, &c->year) != 0)
		return -1;
	if (!c->year) {
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		c->year = tm.tm_year + 1900;
	}
	/* A year without districts (after the reorganisation of 2025). */
	if (rep_reorg_by(c) != 0 || rep_reorg_area(c, area) != 0)
		return -1;
	c->from_year = rq->from_year ? rq->from_year : c->year - 1;
	if (c->from_year >= c->year || c->from_year < 1900)
		return saola__err_set(c->e, SAOLA_PROTOCOL, "from year %d: expected a year before"
		                      " %d", c->from_year, c->year);
	if (!*area) {
		c->area_unit = json_pack("{s:s, s:n, s:s, s:s}", "level", "all", "code", "name",
		                         "Toàn bộ / All", "label", "Toàn bộ / All");
		return c->area_unit ? 0 : rep_oom(c);
	}
	if (!(c->area_unit = unit_obj(c, level, area)))
		return -1;
	json_incref(c->area_unit);
	return 0;
}

static json_t *section(rep_ctx *c, unsigned bit)
{
	switch (bit) {
	case SAOLA__R_SUMMARY: return rep_summary(c);
	case SAOLA__R_INDICATORS: return rep_indicators(c);
	case SAOLA__R_CAUSES: return rep_causes(c);
	case SAOLA__R_COVERAGE: return rep_coverage(c);
	case SAOLA__R_TRANSITIONS: return rep_transitions(c);
	case SAOLA__R_PROGRESS: return rep_progress(c);
	}
	return NULL;
}

int saola__report_run(saola__db *db, const saola__report_req *rq, json_t **out, saola__err *e)
{
	unsigned want = rq->reports ? rq->reports : SAOLA__R_ALL;
	int single = (want & (want - 1)) == 0;
	saola__facts_stats fs;
	rep_ctx c;
	json_t *all = NULL, *one = NULL, *complete = NULL;
	int i, rc = -1;

	*out = NULL;
	memset(&c, 0, sizeof c);
	c.db = db;
	c.rq = rq;
	c.e = e;
	if (!(c.names = json_object()) || !(c.base = json_object()) || !(c.notes = json_array()) ||
	    !(c.covers = json_object())) {
		rep_oom(&c);
		goto out;
	}
	if (saola__facts_refresh(db, rq->write_lock, &fs, e) != 0)
		goto out;
	/* One read snapshot for every query of the report. */
	if (saola__db_begin_read(db) != SAOLA_OK) {
		rep_sql_fail(&c, "begin");
		goto out;
	}
	if (resolve(&c) != 0 || rep_base(&c) != 0)
		goto end;
	if (!(complete = rep_completeness(&c)))
		goto end;
	if (!single && !(all = json_pack("{s:s, s:s, s:i, s:s, s:O, s:O, s:{}}", "report", "all",
	                                 "by", saola__by_names[c.by], "year", c.year, "state",
	                                 c.state_name, "area", c.area_unit, "completeness",
	                                 complete, "reports"))) {
		rep_oom(&c);
		goto end;
	}
	for (i = 0; i < SAOLA__N_REPORTS; i++) {
		if (!(want & (1u << i)))
			continue;
		if (!(one = section(&c, 1u << i)))
			goto end;
		/* Each report carries the notes its section made, and what its
		 * figures stand on. */
		if (json_object_set(one, "completeness", complete) != 0 ||
		    json_object_set_new(one, "notes", c.notes) != 0 || !(c.notes = json_array())) {
			c.notes = NULL;
			rep_oom(&c);
			goto end;
		}
		if (all) {
			if (json_object_set_new(json_object_get(all, "reports"), saola__report_names[i],
			                        one) != 0) {
				one = NULL;
				rep_oom(&c);
				goto end;
			}
			one = NULL;
		}
	}
	rc = 0;
end:
	saola__db_end(db, 1);
	if (rc == 0) {
		*out = all ? all : one;
		all = one = NULL;
	}
out:
	json_decref(all);
	json_decref(one);
	json_decref(c.names);
	json_decref(c.base);
	json_decref(c.notes);
	json_decref(c.covers);
	json_decref(complete);
	json_decref(c.area_unit);
	json_decref(c.targets);
	return rc;
}
