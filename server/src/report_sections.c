/* report_sections.c: the yearly figures by unit, aggregated with SQL over
 * the facts table: households and classes (summary), deprivation on each
 * of the 12 indicators, causes of poverty, and policy coverage of poor and
 * near-poor households. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "report_labels.h"

#define SQL_MAX 4096
#define EXPR_MAX 40
#define MAX_AGGS 16

int rep_fill(rep_ctx *c, json_t *map, const char *what, int year, const char *const *aggs,
             const char *where, const char *const *keys, int nkeys)
{
	const char *village = c->by == SAOLA__BY_VILLAGE ? ", village" : "";
	char sql[SQL_MAX], area[64];
	saola__dbstmt *st = NULL;
	size_t len;
	int k = rep_key_count(c->by), step, i, rc = 0;

	/* Grouped by commune (and village) in the order of the facts_year
	 * index, which holds every column read: no table reads, no sort of
	 * the whole year; then rolled up to the level asked. A commune's
	 * district and province are those its records give. */
	rep_area_sql(c, area, sizeof area);
	len = (size_t)snprintf(sql, sizeof sql, "SELECT %s", rep_key_sql(c->by));
	for (i = 0; i < nkeys && len < sizeof sql; i++)
		len += (size_t)snprintf(sql + len, sizeof sql - len, ", sum(a%d)", i);
	if (len < sizeof sql)
		len += (size_t)snprintf(sql + len, sizeof sql - len, " FROM (SELECT max(province) AS"
		                        " province, max(district) AS district, commune%s", village);
	for (i = 0; i < nkeys && len < sizeof sql; i++)
		len += (size_t)snprintf(sql + len, sizeof sql - len, ", %s AS a%d", aggs[i], i);
	if (len < sizeof sql)
		len += (size_t)snprintf(sql + len, sizeof sql - len, " FROM facts WHERE year = ?%s%s"
		                        " GROUP BY commune%s) AS t GROUP BY %s", where, area, village,
		                        rep_key_sql(c->by));
	if (len >= sizeof sql)
		return saola__err_set(c->e, SAOLA_ERROR, "report: %s: query too long", what);
	if (saola__db_prepare(c->db, sql, &st) != SAOLA_OK)
		return rep_sql_fail(c, what);
	saola__db_bind_int(st, 1, year);
	rep_area_bind(c, st, 2);
	while (rc == 0 && (step = saola__db_step(st)) == SAOLA__DB_ROW) {
		json_t *row = rep_row(c, map, st);
		if (!row) {
			rc = -1;
			break;
		}
		for (i = 0; i < nkeys; i++)
			if (json_object_set_new(row, keys[i],
			                        json_integer(saola__db_column_int(st, k + i))) != 0)
				rc = rep_oom(c);
	}
	if (rc == 0 && step != SAOLA__DB_DONE)
		rc = rep_sql_fail(c, what);
	saola__db_finalize(st);
	return rc;
}

static const char *const base_keys[] = {
	"households", "poor", "near_poor", "average", "not_poor", "unclassified",
};

int rep_base(rep_ctx *c)
{
	static const char *const aggs[] = {"count(*)", "sum(CASE WHEN class = 1 THEN 1 ELSE 0 END)",
		"sum(CASE WHEN class = 2 THEN 1 ELSE 0 END)", "sum(CASE WHEN class = 3 THEN 1 ELSE 0 END)",
		"sum(CASE WHEN class = 4 THEN 1 ELSE 0 END)", "sum(CASE WHEN class = 5 THEN 1 ELSE 0 END)"};

	return rep_fill(c, c->base, "households", c->year, aggs, "", base_keys, 6);
}

/* A new map of the base rows: each unit with the base figures named. */
static json_t *from_base(rep_ctx *c, const char *const *keys, int n)
{
	json_t *map = json_object(), *row, *copy;
	const char *k;
	int i;

	if (!map) {
		rep_oom(c);
		return NULL;
	}
	json_object_foreach(c->base, k, row) {
		if (!(copy = json_pack("{s:O}", "unit", json_object_get(row, "unit"))) ||
		    json_object_set_new(map, k, copy) != 0)
			goto fail;
		for (i = 0; i < n; i++)
			if (json_object_set(copy, keys[i], json_object_get(row, keys[i])) != 0)
				goto fail;
	}
	return map;
fail:
	json_decref(map);
	rep_oom(c);
	return NULL;
}

/* Rows of map with their rates, and the total: the report. */
static json_t *finish(rep_ctx *c, const char *name, json_t *cols, json_t *map)
{
	json_t *rows = NULL, *total = NULL, *row, *col;
	size_t i;
	int listed = 0;

	json_array_foreach(cols, i, col)
		listed |= strcmp(json_string_value(json_object_get(col, "key")), "listed") == 0;
	if (!(rows = rep_rows_sorted(map)))
		goto fail;
	json_array_foreach(rows, i, row) {
		size_t j;
		/* A unit the query found nothing for has none of it. */
		json_array_foreach(cols, j, col) {
			const char *key = json_string_value(json_object_get(col, "key"));
			if (strcmp(json_string_value(json_object_get(col, "type")), REP_COUNT) == 0 &&
			    !json_object_get(row, key) &&
			    json_object_set_new(row, key, json_integer(0)) != 0)
				goto fail;
		}
	}
	/* Rates over the households listed need them first. */
	if (listed && rep_listed(c, rows, NULL) != 0)
		goto failed;
	json_array_foreach(rows, i, row)
		if (rep_rates(cols, row) != 0)
			goto fail;
	if (!(total = rep_total(c, cols, rows)))
		goto fail;
	if (listed && (rep_listed(c, NULL, total) != 0 || rep_rates(cols, total) != 0))
		goto failed;
	json_decref(map);
	return rep_report(c, name, cols, rows, total);
fail:
	rep_oom(c);
failed:
	json_decref(rows);
	json_decref(map);
	json_decref(cols);
	return NULL;
}

/* A class's count and its two rates: over the households listed (the
 * official rate) and over the households surveyed. */
static int class_columns(json_t *cols, const char *key, const char *const *names,
                         const char *shortname, const char *shortrate)
{
	const char *vi = names[1], *en = names[3];
	char rate[48], rate_sv[64], vi_l[160], en_l[160], vi_s[160], en_s[160], sh[24];

	snprintf(rate, sizeof rate, "%s_rate", key);
	snprintf(rate_sv, sizeof rate_sv, "%s_rate_surveyed", key);
	snprintf(vi_l, sizeof vi_l, "Tỷ lệ %s (trên tổng số hộ)", vi);
	snprintf(en_l, sizeof en_l, "%s rate (of all households listed)", en);
	snprintf(vi_s, sizeof vi_s, "Tỷ lệ %s (trên số hộ rà soát)", vi);
	snprintf(en_s, sizeof en_s, "%s rate (of households surveyed)", en);
	snprintf(sh, sizeof sh, "%ssv", shortrate);
	return rep_col(cols, key, names[0], names[2], shortname, REP_COUNT, NULL, NULL) ||
	       rep_col(cols, rate, vi_l, en_l, shortrate, REP_RATE, key, "listed") ||
	       rep_col(cols, rate_sv, vi_s, en_s, sh, REP_RATE, key, "households");
}

json_t *rep_summary(rep_ctx *c)
{
	static const char *const aggs[] = {"count(*)"}, *const keys[] = {"in_progress"};
	static const char *const poor[] = {"Hộ nghèo", "hộ nghèo", "Poor", "Poverty"};
	static const char *const near[] = {"Hộ cận nghèo", "hộ cận nghèo", "Near-poor",
		"Near-poverty"};
	static const char *const average[] = {"Hộ có mức sống trung bình",
		"hộ có mức sống trung bình", "Average living standard", "Average living standard"};
	json_t *cols = json_array(), *map = NULL;
	int rc;

	if (!cols ||
	    rep_col(cols, "households", "Số hộ rà soát", "Households surveyed", "Households",
	            REP_COUNT, NULL, NULL) ||
	    rep_col(cols, "listed", "Tổng số hộ (danh sách hộ của xã)",
	            "Households listed (the communes' lists)", "Listed", REP_NUMBER, NULL, NULL) ||
	    class_columns(cols, "poor", poor, "Poor", "Poor %") ||
	    class_columns(cols, "near_poor", near, "Near-poor", "Near %") ||
	    class_columns(cols, "average", average, "Average", "Avg %") ||
	    rep_col(cols, "not_poor", "Hộ không thuộc các diện trên", "None of these", "Other",
	            REP_COUNT, NULL, NULL) ||
	    rep_col(cols, "unclassified", "Hộ chưa phân loại", "Not classified", "No class",
	            REP_COUNT, NULL, NULL) ||
	    rep_col(cols, "in_progress", "Hộ đang rà soát (chưa được duyệt, chưa tính)",
	            "In progress (not approved, not counted)", "In prog.", REP_COUNT, NULL,
	            NULL)) {
		json_decref(cols);
		rep_oom(c);
		return NULL;
	}
	if (!(map = from_base(c, base_keys, 6))) {
		json_decref(cols);
		return NULL;
	}
	/* Households of the area in the states not counted. */
	c->uncounted = 1;
	rc = rep_fill(c, map, "in progress", c->year, aggs, "", keys, 1);
	c->uncounted = 0;
	if (rc != 0) {
		json_decref(map);
		json_decref(cols);
		return NULL;
	}
	return finish(c, "summary", cols, map);
}

/* Columns and aggregates of a list of bits: a count and a rate (of of)
 * per code, the counts from sum((<field> >> i) & 1) into exprs. */
static int bit_columns(json_t *cols, const saola__label *list, int n, const char *field,
                       const char *of, const char *prefix, char (*exprs)[EXPR_MAX],
                       const char **aggs, const char **keys)
{
	char rate[64], shortname[16], shortrate[16];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(rate, sizeof rate, "%s_rate", list[i].code);
		/* Tables show the counts, or for supports the shares (one of the
		 * two keeps them narrow enough for a terminal). */
		snprintf(shortname, sizeof shortname, "%s%d", prefix, i + 1);
		snprintf(shortrate, sizeof shortrate, "%s%d", prefix, i + 1);
		if (*prefix == 'S')
			shortname[0] = '\0';
		else
			shortrate[0] = '\0';
		if (rep_col(cols, list[i].code, list[i].vi, list[i].en, shortname, REP_COUNT, NULL,
		            NULL) ||
		    rep_col(cols, rate, list[i].vi, list[i].en, shortrate, REP_RATE, list[i].code, of))
			return -1;
		snprintf(exprs[i], EXPR_MAX, "sum((%s >> %d) & 1)", field, i);
		aggs[i] = exprs[i];
		keys[i] = list[i].code;
	}
	return 0;
}

json_t *rep_indicators(rep_ctx *c)
{
	static const char *const base[] = {"households"};
	const char *keys[MAX_AGGS], *aggs[MAX_AGGS];
	char exprs[MAX_AGGS][EXPR_MAX];
	json_t *cols = json_array(), *map = NULL;

	if (!cols || rep_col(cols, "households", "Số hộ rà soát", "Households surveyed",
	                     "Households", REP_COUNT, NULL, NULL) ||
	    bit_columns(cols, saola__indicators, SAOLA__N_INDICATORS, "ind", "households", "I",
	                exprs, aggs, keys)) {
		json_decref(cols);
		rep_oom(c);
		return NULL;
	}
	if (!(map = from_base(c, base, 1)) ||
	    rep_fill(c, map, "indicators", c->year, aggs, "", keys, SAOLA__N_INDICATORS) != 0) {
		json_decref(map);
		json_decref(cols);
		return NULL;
	}
	return finish(c, "indicators", cols, map);
}

json_t *rep_causes(rep_ctx *c)
{
	static const char *const base[] = {"poor"};
	const char *keys[MAX_AGGS], *aggs[MAX_AGGS];
	char exprs[MAX_AGGS][EXPR_MAX];
	json_t *cols = json_array(), *map = NULL;

	if (!cols || rep_col(cols, "poor", "Hộ nghèo", "Poor households", "Poor", REP_COUNT, NULL,
	                     NULL) ||
	    bit_columns(cols, saola__causes, SAOLA__N_CAUSES, "causes", "poor", "C", exprs, aggs,
	                keys) ||
	    rep_col(cols, "no_cause", "Không ghi nguyên nhân", "No cause given", "None", REP_COUNT,
	            NULL, NULL)) {
		json_decref(cols);
		rep_oom(c);
		return NULL;
	}
	aggs[SAOLA__N_CAUSES] = "sum(CASE WHEN causes = 0 THEN 1 ELSE 0 END)";
	keys[SAOLA__N_CAUSES] = "no_cause";
	if (!(map = from_base(c, base, 1)) ||
	    rep_fill(c, map, "causes", c->year, aggs, " AND class = 1", keys,
	             SAOLA__N_CAUSES + 1) != 0) {
		json_decref(map);
		json_decref(cols);
		return NULL;
	}
	return finish(c, "causes", cols, map);
}

json_t *rep_coverage(rep_ctx *c)
{
	static const char *const base[] = {"poor", "near_poor"};
	const char *keys[MAX_AGGS], *aggs[MAX_AGGS];
	char exprs[MAX_AGGS][EXPR_MAX];
	json_t *cols = json_array(), *map = NULL, *row, *rep;
	double target;
	const char *k;

	if (!cols || rep_col(cols, "eligible", "Hộ nghèo và cận nghèo", "Poor and near-poor",
	                     "Eligible", REP_COUNT, NULL, NULL) ||
	    rep_col(cols, "poor", "Hộ nghèo", "Poor", "Poor", REP_COUNT, NULL, NULL) ||
	    rep_col(cols, "near_poor", "Hộ cận nghèo", "Near-poor", "Near-poor", REP_COUNT, NULL,
	            NULL) ||
	    bit_columns(cols, saola__supports, SAOLA__N_SUPPORTS, "support", "eligible", "S", exprs,
	                aggs, keys) ||
	    rep_col(cols, "any", "Được hưởng ít nhất một chính sách", "Receiving any support",
	            "Any", REP_COUNT, NULL, NULL) ||
	    rep_col(cols, "any_rate", "Tỷ lệ được hưởng chính sách", "Share receiving any support",
	            "Any %", REP_RATE, "any", "eligible") ||
	    rep_col(cols, "none", "Chưa được hưởng chính sách nào", "Receiving none", "None",
	            REP_COUNT, NULL, NULL)) {
		json_decref(cols);
		rep_oom(c);
		return NULL;
	}
	aggs[SAOLA__N_SUPPORTS] = "sum(CASE WHEN support <> 0 THEN 1 ELSE 0 END)";
	aggs[SAOLA__N_SUPPORTS + 1] = "sum(CASE WHEN support = 0 THEN 1 ELSE 0 END)";
	keys[SAOLA__N_SUPPORTS] = "any";
	keys[SAOLA__N_SUPPORTS + 1] = "none";
	if (!(map = from_base(c, base, 2)) ||
	    rep_fill(c, map, "coverage", c->year, aggs, " AND class IN (1, 2)", keys,
	             SAOLA__N_SUPPORTS + 2)) {
		json_decref(map);
		json_decref(cols);
		return NULL;
	}
	json_object_foreach(map, k, row) {
		json_int_t e = json_integer_value(json_object_get(row, "poor")) +
		               json_integer_value(json_object_get(row, "near_poor"));
		if (json_object_set_new(row, "eligible", json_integer(e)) != 0) {
			json_decref(map);
			json_decref(cols);
			rep_oom(c);
			return NULL;
		}
	}
	if (!(rep = finish(c, "coverage", cols, map)))
		return NULL;
	if (rep_coverage_target(c, &target) != 0) {
		json_decref(rep);
		return NULL;
	}
	if (json_object_set_new(rep, "target_rate", json_real(target)) != 0) {
		json_decref(rep);
		rep_oom(c);
		return NULL;
	}
	return rep;
}
