/* report_reorg.c: reports across the reorganisation of units (1 July
 * 2025): the levels a year has (no districts after it), last year's
 * communes carried into this year's through the links for the
 * transitions, and the plan's area followed through the mapping for the
 * progress. docs/reports.md, "Reorganisation of 2025". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "report_reorg.h"
#include "units_map.h"

/* The review date of a year, from the standards of the report's schemas. */
static void review_date(rep_ctx *c, int year, char date[SAOLA__DATE_MAX + 1])
{
	saola__review_date(saola__schemas_dir(c->rq->schemas), year, date, NULL);
}

/* ------------------------------------------------------------------ */
/* Levels. */

/* The day after date ("YYYY-MM-DD") into out; "" when date is not one. */
static void day_after(const char *date, char out[SAOLA__DATE_MAX + 1])
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d, leap;

	out[0] = '\0';
	if (sscanf(date, "%4d-%2d-%2d", &y, &m, &d) != 3 || y < 0 || y > 9998 || m < 1 ||
	    m > 12 || d < 1 || d > 31)
		return;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d >= days[m - 1] + (m == 2 && leap)) {
		d = 1;
		if (++m > 12) {
			m = 1;
			y++;
		}
	} else {
		d++;
	}
	snprintf(out, SAOLA__DATE_MAX + 1, "%04d-%02d-%02d", y, m, d);
}

/* The day the districts ended before date ("2025-07-01"), "" unknown. */
static void districts_end(rep_ctx *c, const char *date, char out[SAOLA__DATE_MAX + 1])
{
	saola__dbstmt *st = NULL;

	out[0] = '\0';
	if (saola__db_prepare(c->db, "SELECT max(valid_to) FROM units WHERE"
	                      " level = 'district' AND valid_to < ?", &st) != SAOLA_OK)
		return;
	saola__db_bind_text(st, 1, date, -1);
	if (saola__db_step(st) == SAOLA__DB_ROW && saola__db_column_text(st, 0))
		day_after(saola__db_column_text(st, 0), out);
	saola__db_finalize(st);
}

int rep_reorg_by(rep_ctx *c)
{
	char date[SAOLA__DATE_MAX + 1], end[SAOLA__DATE_MAX + 1];
	unsigned levels;

	if (c->by != SAOLA__BY_DISTRICT)
		return 0;
	review_date(c, c->year, date);
	if (saola__units_levels(c->db, date, &levels) != 0)
		return rep_sql_fail(c, "levels");
	/* No unit valid that day: the data does not say, so nothing refused. */
	if (!levels || (levels & SAOLA__LV_DISTRICT))
		return 0;
	if (c->rq->by < 0) {
		c->by = SAOLA__BY_COMMUNE;
		return 0;
	}
	districts_end(c, date, end);
	return saola__err_set(c->e, SAOLA_PROTOCOL, "%d has no districts (units reorganised %s):"
	                      " use --by commune or --by province", c->year,
	                      end[0] ? end : "before");
}

/* The codes of units that lie inside area, of cover (from
 * saola__units_cover), into buf as "14428, 14431, ..." (at most len). */
static void inside_codes(const json_t *cover, char *buf, size_t len)
{
	const json_t *u;
	size_t i, k = 0;

	buf[0] = '\0';
	json_array_foreach(cover, i, u)
		if (json_is_true(json_object_get(u, "inside")) && k + 16 < len)
			k += (size_t)snprintf(buf + k, len - k, "%s%s", k ? ", " : "",
			                      json_string_value(json_object_get(u, "code")));
}

int rep_reorg_area(rep_ctx *c, const char *area)
{
	char date[SAOLA__DATE_MAX + 1], codes[300];
	json_t *cover = NULL;
	saola__unit u;
	unsigned levels;
	int valid, found = 0, exact;

	if (!area || !*area)
		return 0;
	review_date(c, c->year, date);
	if (saola__units_levels(c->db, date, &levels) != 0 ||
	    (valid = saola__units_valid_on(c->db, area, date)) < 0 ||
	    saola__unit_get(c->db, area, c->year, &u, &found) != 0)
		return rep_sql_fail(c, "units");
	/* Valid that day, unknown, or a year the data does not cover: as asked. */
	if (!levels || valid || !found)
		return 0;
	if (saola__units_cover(c->db, area, NULL, date, &cover, &exact) != 0)
		return rep_sql_fail(c, "units");
	inside_codes(cover, codes, sizeof codes);
	json_decref(cover);
	return saola__err_set(c->e, SAOLA_PROTOCOL, "%s %s %s is not a unit in %d (units"
	                      " reorganised): report on the province, or on a unit formed wholly"
	                      " from it (%s)", u.level, u.code, u.name, c->year,
	                      codes[0] ? codes : "none");
}

/* ------------------------------------------------------------------ */
/* Transitions: last year's communes into this year's. */

/* The root of code in the union-find parents (code -> parent code). */
static const char *root_of(json_t *parent, const char *code)
{
	const char *p;
	int depth = 0;

	while ((p = json_string_value(json_object_get(parent, code))) && strcmp(p, code) != 0 &&
	       depth++ < 10000)
		code = p;
	return code;
}

static int join(json_t *parent, const char *a, const char *b)
{
	char ra[SAOLA__UNIT_CODE_MAX + 1], rb[SAOLA__UNIT_CODE_MAX + 1];

	if (!json_object_get(parent, a) && json_object_set_new(parent, a, json_string(a)))
		return -1;
	if (!json_object_get(parent, b) && json_object_set_new(parent, b, json_string(b)))
		return -1;
	snprintf(ra, sizeof ra, "%s", root_of(parent, a));
	snprintf(rb, sizeof rb, "%s", root_of(parent, b));
	if (strcmp(ra, rb) == 0)
		return 0;
	/* The smaller code leads, so that groups come out the same each run. */
	return strcmp(ra, rb) < 0 ? json_object_set_new(parent, rb, json_string(ra))
	                          : json_object_set_new(parent, ra, json_string(rb));
}

/* The communes of from_year's facts in the area. A new array. */
static json_t *old_communes(rep_ctx *c)
{
	char sql[256], area[64];
	saola__dbstmt *st = NULL;
	json_t *out = json_array();
	int step;

	rep_area_sql(c, area, sizeof area);
	snprintf(sql, sizeof sql, "SELECT DISTINCT commune FROM facts WHERE year = ? AND commune"
	         " IS NOT NULL%s", area);
	if (!out || saola__db_prepare(c->db, sql, &st) != SAOLA_OK) {
		json_decref(out);
		return NULL;
	}
	saola__db_bind_int(st, 1, c->from_year);
	rep_area_bind(c, st, 2);
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW)
		json_array_append_new(out, json_string(saola__db_column_text(st, 0)));
	saola__db_finalize(st);
	if (step != SAOLA__DB_DONE) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* Records one old commune's successors in m: the union-find, the first
 * successor (the row of its households not surveyed again), the pairs
 * (old, new) that match, and each new unit's split old units. */
static int map_one(rep_ctx *c, rep_reorg_map *m, const char *old, const json_t *succ)
{
	const json_t *s;
	size_t i;
	int rc = 0;

	json_array_foreach(succ, i, s) {
		const char *code = json_string_value(json_object_get(s, "code"));
		char pair[2 * SAOLA__UNIT_CODE_MAX + 2];
		json_t *splits;
		if (i == 0)
			rc |= json_object_set_new(m->first, old, json_string(code));
		snprintf(pair, sizeof pair, "%s|%s", old, code);
		rc |= json_object_set_new(m->pairs, pair, json_true());
		rc |= join(m->groups, old, code);
		if (json_is_true(json_object_get(s, "whole")))
			continue;
		if (!(splits = json_object_get(m->partial, code))) {
			rc |= json_object_set_new(m->partial, code, json_object());
			splits = json_object_get(m->partial, code);
		}
		rc |= json_object_set(splits, old, (json_t *)succ);
	}
	return rc ? rep_oom(c) : 0;
}

int rep_reorg_map_make(rep_ctx *c, rep_reorg_map *m)
{
	char date[SAOLA__DATE_MAX + 1];
	json_t *olds, *succ, *v;
	const char *k;
	size_t i;
	int rc = 0;

	memset(m, 0, sizeof *m);
	if (!(m->groups = json_object()) || !(m->first = json_object()) ||
	    !(m->pairs = json_object()) || !(m->partial = json_object()))
		return rep_oom(c);
	if (!(olds = old_communes(c)))
		return rep_sql_fail(c, "transitions: communes");
	review_date(c, c->year, date);
	json_array_foreach(olds, i, v) {
		const char *old = json_string_value(v), *only;
		if (saola__units_successors(c->db, old, date, &succ) != 0) {
			rc = rep_sql_fail(c, "transitions: successors");
			break;
		}
		only = json_array_size(succ) == 1
		     ? json_string_value(json_object_get(json_array_get(succ, 0), "code")) : NULL;
		/* Still a unit this year, whole: no mapping for it. */
		if (json_array_size(succ) && !(only && strcmp(only, old) == 0))
			rc = map_one(c, m, old, succ);
		json_decref(succ);
		if (rc)
			break;
	}
	json_decref(olds);
	if (rc)
		return -1;
	m->active = json_object_size(m->pairs) > 0;
	/* The groups flattened to code -> root, as the query reads them. */
	if (!(m->flat = json_object()))
		return rep_oom(c);
	json_object_foreach(m->groups, k, v)
		if (json_object_set_new(m->flat, k, json_string(root_of(m->groups, k))))
			rc = -1;
	return rc ? rep_oom(c) : 0;
}

void rep_reorg_map_free(rep_reorg_map *m)
{
	json_decref(m->groups);
	json_decref(m->first);
	json_decref(m->pairs);
	json_decref(m->partial);
	json_decref(m->flat);
	memset(m, 0, sizeof *m);
}

int rep_reorg_matches(const rep_reorg_map *m, const char *old, const char *now)
{
	char pair[2 * SAOLA__UNIT_CODE_MAX + 2];

	if (!m->active || strcmp(old, now) == 0)
		return 1;
	snprintf(pair, sizeof pair, "%s|%s", old, now);
	return json_object_get(m->pairs, pair) != NULL;
}

const char *rep_reorg_first(const rep_reorg_map *m, const char *old)
{
	return m->active ? json_string_value(json_object_get(m->first, old)) : NULL;
}

/* "14563 Xã Khánh Cư went partly into 20003 and 20004" for one split old
 * unit (its successors succ) into buf. */
static void split_text(rep_ctx *c, const char *old, const json_t *succ, int vi, char *buf,
                       size_t len)
{
	saola__unit u;
	const json_t *s;
	size_t i, n = json_array_size(succ);
	int found = 0;

	saola__unit_get(c->db, old, c->from_year, &u, &found);
	snprintf(buf, len, "%s%s%s %s ", old, found ? " " : "", found ? u.name : "",
	         vi ? "đã được chia một phần vào" : "went partly into");
	json_array_foreach(succ, i, s)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i == 0 ? "" : i + 1 == n
		         ? (vi ? " và " : " and ") : ", ",
		         json_string_value(json_object_get(s, "code")));
}

/* The note of a partial row: its split old units, and how they match. */
static int row_note(rep_ctx *c, json_t *row, const json_t *splits)
{
	char vi[1024] = "", en[1024] = "", one[256];
	const json_t *succ;
	const char *old;

	json_object_foreach((json_t *)splits, old, succ) {
		split_text(c, old, succ, 1, one, sizeof one);
		snprintf(vi + strlen(vi), sizeof vi - strlen(vi), "%s%s", vi[0] ? "; " : "", one);
		split_text(c, old, succ, 0, one, sizeof one);
		snprintf(en + strlen(en), sizeof en - strlen(en), "%s%s", en[0] ? "; " : "", one);
	}
	snprintf(vi + strlen(vi), sizeof vi - strlen(vi), "; hộ được đối chiếu theo mã hộ trên"
	         " tất cả các đơn vị đó");
	snprintf(en + strlen(en), sizeof en - strlen(en), "; households matched by code across"
	         " all of them");
	return json_object_set_new(row, "note", json_pack("{s:s, s:s}", "vi", vi, "en", en));
}

int rep_reorg_mark(rep_ctx *c, const rep_reorg_map *m, json_t *rows, json_t *total)
{
	json_t *row, *splits, *one, *all = json_object();
	const char *k;
	size_t i;
	int rc = 0, any = 0;

	if (!m->active || !all) {
		json_decref(all);
		return all ? 0 : rep_oom(c);
	}
	json_object_foreach(m->partial, k, one)
		rc |= json_object_update(all, one);
	json_array_foreach(rows, i, row) {
		const char *code = json_string_value(json_object_get(json_object_get(row, "unit"),
		                                                     "code"));
		/* A row above the commune holds every partial unit of its area. */
		splits = c->by >= SAOLA__BY_COMMUNE ? json_object_get(m->partial, code ? code : "")
		       : json_object_size(all) ? all : NULL;
		rc |= json_object_set_new(row, "mapping", json_string(splits ? "partial" : "exact"));
		if (splits) {
			any = 1;
			rc |= row_note(c, row, splits);
		}
	}
	rc |= json_object_set_new(total, "mapping", json_string(any ? "partial" : "exact"));
	if (any)
		rc |= row_note(c, total, all);
	json_decref(all);
	if (rc)
		return rep_oom(c);
	return rep_note(c, any ? "Năm nay tính theo đơn vị hành chính mới: hộ của năm trước được"
	                " đối chiếu qua bảng chuyển đổi đơn vị; có đơn vị chuyển đổi một phần"
	                " (mapping: partial), xem ghi chú từng dòng."
	                : "Năm nay tính theo đơn vị hành chính mới: hộ của năm trước được đối"
	                " chiếu qua bảng chuyển đổi đơn vị (mapping: exact).",
	                any ? "This year is in the new units: last year's households are matched"
	                " through the mapping of old units to new; some units are mapped only in"
	                " part (mapping: partial), see each row's note."
	                : "This year is in the new units: last year's households are matched"
	                " through the mapping of old units to new (mapping: exact).");
}

/* ------------------------------------------------------------------ */
/* The plan's area through the mapping. */

int saola__reorg_target_area(saola__db *db, const char *schemas, const char *target_unit,
                             int target_year, int year, json_t **set, json_t **units,
                             int *partial)
{
	char from[SAOLA__DATE_MAX + 1], to[SAOLA__DATE_MAX + 1];
	json_t *cover = NULL, *v;
	size_t i;
	int exact;

	*set = NULL;
	if (units)
		*units = NULL;
	*partial = 0;
	saola__review_date(saola__schemas_dir(schemas), target_year, from, NULL);
	saola__review_date(saola__schemas_dir(schemas), year, to, NULL);
	if (saola__units_cover(db, target_unit, from, to, &cover, &exact) != 0)
		return -1;
	if (!(*set = json_array())) {
		json_decref(cover);
		return -1;
	}
	json_array_foreach(cover, i, v)
		json_array_append(*set, json_object_get(v, "code"));
	*partial = !exact;
	if (units)
		*units = cover;
	else
		json_decref(cover);
	return 0;
}

/* The households and poor of year over the units of set (communes). */
static int count_over(rep_ctx *c, const json_t *set, json_int_t *n, json_int_t *poor)
{
	char *list = saola__sql_list(json_array_size(set), "?");
	saola__buf sql = {NULL, 0, 0, 0};
	saola__dbstmt *st = NULL;
	const json_t *v;
	size_t i;
	int step;

	*n = *poor = 0;
	if (!list || saola__buf_printf(&sql, "SELECT count(*), coalesce(sum(CASE WHEN class = 1"
	                               " THEN 1 ELSE 0 END), 0) FROM facts WHERE year = ? AND"
	                               " commune IN (%s)", list) != 0) {
		free(list);
		saola__buf_free(&sql);
		return rep_oom(c);
	}
	free(list);
	if (saola__db_prepare(c->db, sql.p, &st) != SAOLA_OK) {
		saola__buf_free(&sql);
		return rep_sql_fail(c, "target area");
	}
	saola__buf_free(&sql);
	saola__db_bind_int(st, 1, c->year);
	json_array_foreach(set, i, v)
		saola__db_bind_text(st, 2 + (int)i, json_string_value(v), -1);
	if ((step = saola__db_step(st)) == SAOLA__DB_ROW) {
		*n = saola__db_column_int(st, 0);
		*poor = saola__db_column_int(st, 1);
	}
	saola__db_finalize(st);
	return step == SAOLA__DB_ROW ? 0 : rep_sql_fail(c, "target area");
}

/* Names the units of the cover ({"code", "inside", "split"} + "name"). */
static int name_units(rep_ctx *c, json_t *units)
{
	json_t *v;
	size_t i;

	json_array_foreach(units, i, v) {
		saola__unit u;
		int found = 0;
		if (saola__unit_get(c->db, json_string_value(json_object_get(v, "code")), c->year, &u,
		                    &found) != 0)
			return rep_sql_fail(c, "units");
		if (json_object_set_new(v, "name", found ? json_string(u.name) : json_null()))
			return rep_oom(c);
	}
	return 0;
}

static int target_note(rep_ctx *c, const char *code, int as_of, size_t n, int partial)
{
	char vi[512], en[512];

	snprintf(vi, sizeof vi, "Mục tiêu của kế hoạch áp dụng cho đơn vị %s như năm %d (trước sắp"
	         " xếp đơn vị hành chính); năm %d được theo dõi qua %zu đơn vị mới hình thành từ"
	         " đó (target_area)%s.", code, as_of, c->year, n, partial ? ": chuyển đổi một phần,"
	         " có đơn vị mới gồm cả phần ngoài địa bàn cũ hoặc chỉ một phần của đơn vị cũ" : "");
	snprintf(en, sizeof en, "The plan's target applies to unit %s as it was in %d (before the"
	         " reorganisation); %d is followed over the %zu new units formed from it"
	         " (target_area)%s.", code, as_of, c->year, n, partial ? ": partial, some new unit"
	         " includes parts from outside the old area or only part of an old unit" : "");
	return rep_note(c, vi, en);
}

int rep_reorg_target(rep_ctx *c, json_t *total, int *followed)
{
	const char *code = json_string_value(json_object_get(c->targets, "province"));
	int as_of = (int)json_integer_value(json_object_get(c->targets, "baseline_year"));
	json_t *set = NULL, *units = NULL, *obj;
	json_int_t n, poor;
	int partial, rc;

	*followed = 0;
	/* Only the plan's province itself (or everything) is followed. */
	if (!code || !as_of || (c->area[0] && strcmp(c->area, code) != 0))
		return 0;
	if (saola__reorg_target_area(c->db, c->rq->schemas, code, as_of, c->year, &set, &units,
	                             &partial) != 0)
		return rep_sql_fail(c, "target area");
	if (json_array_size(set) == 1 && strcmp(json_string_value(json_array_get(set, 0)),
	                                        code) == 0) {
		rc = 0;   /* the same unit: nothing to follow */
		goto out;
	}
	if ((rc = count_over(c, set, &n, &poor)) != 0 || (rc = name_units(c, units)) != 0)
		goto out;
	obj = json_pack("{s:s, s:i, s:O, s:s}", "code", code, "as_of", as_of, "units", units,
	                "mapping", partial ? "partial" : "exact");
	if (!obj || json_object_set_new(total, "target_area", obj) ||
	    json_object_set_new(total, "households", json_integer(n)) ||
	    json_object_set_new(total, "poor", json_integer(poor))) {
		rc = rep_oom(c);
		goto out;
	}
	*followed = 1;
	rc = target_note(c, code, as_of, json_array_size(set), partial);
out:
	json_decref(set);
	json_decref(units);
	return rc;
}

/* Adds the counts of row from into row to. */
static int add_counts(json_t *to, json_t *from)
{
	const char *k;
	json_t *v;

	json_object_foreach(from, k, v)
		if (json_is_integer(v) &&
		    json_object_set_new(to, k, json_integer(json_integer_value(json_object_get(to, k)) +
		                                            json_integer_value(v))))
			return -1;
	return 0;
}

int rep_reorg_fold(rep_ctx *c, const rep_reorg_map *m, json_t *map)
{
	json_t *olds = json_array(), *v, *row;
	const char *k;
	size_t i;
	int rc = 0;

	if (!m->active || c->by != SAOLA__BY_COMMUNE) {
		json_decref(olds);
		return olds ? 0 : rep_oom(c);
	}
	if (!olds)
		return rep_oom(c);
	json_object_foreach(map, k, v)
		if (rep_reorg_first(m, k))
			json_array_append_new(olds, json_string(k));
	json_array_foreach(olds, i, v) {
		const char *old = json_string_value(v), *now = rep_reorg_first(m, old);
		const char *cols[4] = {NULL, NULL, now, NULL};
		saola__unit u;
		int found = 0;
		if (saola__unit_get(c->db, now, c->year, &u, &found) == 0 && found)
			cols[0] = u.parent;
		if (!(row = rep_row_for(c, map, cols)) ||
		    add_counts(row, json_object_get(map, old)) != 0) {
			rc = row ? rep_oom(c) : -1;
			break;
		}
		json_object_del(map, old);
	}
	json_decref(olds);
	return rc;
}
