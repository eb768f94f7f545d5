/* report_transitions.c: year over year movements of households, matched by
 * household_id within their commune: who escaped poverty or near-poverty,
 * who fell into it, who is newly poor, and last year's households that were
 * not surveyed again (moved, died or merged). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

#define SQL_MAX 4096

/* b: the class last year, c: this year (NULL: not surveyed that year);
 * 1 poor, 2 near-poor, 3 average, 4 none of these, 5 not classified. A
 * household with two records in a year counts once, by its lowest class. */
static const struct tcol {
	const char *key, *vi, *en, *shortname, *expr;
} tcols[] = {
	{"from_poor", "Hộ nghèo năm trước", "Poor last year", "Poor-1", "b = 1"},
	{"escaped_poverty_to_near_poor", "Thoát nghèo, thành hộ cận nghèo",
	 "Escaped poverty, now near-poor", "P>NP", "b = 1 AND c = 2"},
	{"escaped_poverty_out", "Thoát nghèo và thoát cận nghèo",
	 "Escaped poverty and near-poverty", "P>out", "b = 1 AND c IN (3, 4, 5)"},
	{"poor_not_surveyed", "Hộ nghèo không còn trong danh sách (chuyển đi, chết, nhập hộ)",
	 "Poor, not surveyed this year (moved, died, merged)", "P>gone", "b = 1 AND c IS NULL"},
	{"stayed_poor", "Vẫn là hộ nghèo", "Still poor", "P>P", "b = 1 AND c = 1"},
	{"from_near_poor", "Hộ cận nghèo năm trước", "Near-poor last year", "NP-1", "b = 2"},
	{"escaped_near_poverty_out", "Thoát cận nghèo", "Escaped near-poverty", "NP>out",
	 "b = 2 AND c IN (3, 4, 5)"},
	{"near_poor_fell_into_poverty", "Hộ cận nghèo rơi vào nghèo",
	 "Near-poor fell into poverty", "NP>P", "b = 2 AND c = 1"},
	{"near_poor_not_surveyed", "Hộ cận nghèo không còn trong danh sách",
	 "Near-poor, not surveyed this year (moved, died, merged)", "NP>gone",
	 "b = 2 AND c IS NULL"},
	{"stayed_near_poor", "Vẫn là hộ cận nghèo", "Still near-poor", "NP>NP", "b = 2 AND c = 2"},
	{"newly_poor", "Hộ nghèo phát sinh", "Newly poor", "New P",
	 "c = 1 AND (b IS NULL OR b IN (3, 4, 5))"},
	{"newly_near_poor", "Hộ cận nghèo phát sinh", "Newly near-poor", "New NP",
	 "c = 2 AND (b IS NULL OR b IN (3, 4, 5))"},
	{"not_surveyed", "Hộ năm trước không còn rà soát (chuyển đi, chết, nhập hộ)",
	 "Last year's households not surveyed (moved, died, merged)", "Gone",
	 "b IS NOT NULL AND c IS NULL"},
	{"new_households", "Hộ mới rà soát năm nay", "Households new this year", "New",
	 "b IS NULL AND c IS NOT NULL"},
	{"matched", "Hộ có trong cả hai năm", "Households in both years", "Both",
	 "b IS NOT NULL AND c IS NOT NULL"},
};
#define NT ((int)(sizeof tcols / sizeof tcols[0]))

/* Runs the query of the household pairs and adds its counts to map. */
static int pairs(rep_ctx *c, json_t *map)
{
	char sql[SQL_MAX], area[64];
	sqlite3_stmt *st = NULL;
	size_t len;
	int k = rep_key_count(c->by), step, i, rc = 0;

	rep_area_sql(c, 3, area, sizeof area);
	len = (size_t)snprintf(sql, sizeof sql,
	        "WITH p AS (SELECT max(province) AS province, max(district) AS district, commune,"
	        " coalesce(max(CASE WHEN year = ?1 THEN village END),"
	        "  max(CASE WHEN year = ?2 THEN village END)) AS village,"
	        " min(CASE WHEN year = ?2 THEN class END) AS b,"
	        " min(CASE WHEN year = ?1 THEN class END) AS c"
	        " FROM facts WHERE year IN (?1, ?2) AND household_id IS NOT NULL%s"
	        " GROUP BY commune, household_id) SELECT %s", area, rep_key_sql(c->by));
	for (i = 0; i < NT && len < sizeof sql; i++)
		len += (size_t)snprintf(sql + len, sizeof sql - len, ", sum(%s)", tcols[i].expr);
	if (len < sizeof sql)
		len += (size_t)snprintf(sql + len, sizeof sql - len, " FROM p GROUP BY %s",
		                        rep_key_sql(c->by));
	if (len >= sizeof sql)
		return saola__fail(c->e, 500, "internal", "report: transitions: query too long");
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return rep_sql_fail(c, "transitions");
	sqlite3_bind_int(st, 1, c->year);
	sqlite3_bind_int(st, 2, c->from_year);
	if (c->area_col)
		sqlite3_bind_text(st, 3, c->area, -1, SQLITE_STATIC);
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = rep_row(c, map, st);
		if (!row) {
			rc = -1;
			break;
		}
		for (i = 0; i < NT; i++)
			if (json_object_set_new(row, tcols[i].key,
			                        json_integer(sqlite3_column_int64(st, k + i))) != 0)
				rc = rep_oom(c);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = rep_sql_fail(c, "transitions");
	sqlite3_finalize(st);
	return rc;
}

/* Counts the records without household_id of both years into map. */
static int without_id(rep_ctx *c, json_t *map, json_int_t *now, json_int_t *before)
{
	char sql[SQL_MAX], area[64];
	sqlite3_stmt *st = NULL;
	int k = rep_key_count(c->by), step, rc = 0;

	rep_area_sql(c, 3, area, sizeof area);
	snprintf(sql, sizeof sql, "SELECT %s, sum(year = ?1), sum(year = ?2) FROM facts"
	         " WHERE year IN (?1, ?2) AND household_id IS NULL%s GROUP BY %s",
	         rep_key_sql(c->by), area, rep_key_sql(c->by));
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return rep_sql_fail(c, "transitions");
	sqlite3_bind_int(st, 1, c->year);
	sqlite3_bind_int(st, 2, c->from_year);
	if (c->area_col)
		sqlite3_bind_text(st, 3, c->area, -1, SQLITE_STATIC);
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = rep_row(c, map, st);
		if (!row) {
			rc = -1;
			break;
		}
		*now += sqlite3_column_int64(st, k);
		*before += sqlite3_column_int64(st, k + 1);
		if (json_object_set_new(row, "without_id", json_integer(sqlite3_column_int64(st, k))) ||
		    json_object_set_new(row, "without_id_before",
		                        json_integer(sqlite3_column_int64(st, k + 1))))
			rc = rep_oom(c);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = rep_sql_fail(c, "transitions");
	sqlite3_finalize(st);
	return rc;
}

static int columns(json_t *cols)
{
	int i;

	for (i = 0; i < NT; i++)
		if (rep_col(cols, tcols[i].key, tcols[i].vi, tcols[i].en, tcols[i].shortname,
		            REP_COUNT, NULL, NULL))
			return -1;
	return rep_col(cols, "without_id", "Phiếu năm nay không có mã hộ",
	               "Records of this year without household_id", "No id", REP_COUNT, NULL,
	               NULL) ||
	       rep_col(cols, "without_id_before", "Phiếu năm trước không có mã hộ",
	               "Records of last year without household_id", "No id-1", REP_COUNT, NULL,
	               NULL);
}

json_t *rep_transitions(rep_ctx *c)
{
	json_t *cols = json_array(), *map = json_object(), *rows = NULL, *total = NULL, *row, *rep;
	json_int_t now = 0, before = 0;
	char vi[512], en[512];
	size_t i;

	if (!cols || !map || columns(cols) != 0) {
		rep_oom(c);
		goto fail;
	}
	if (pairs(c, map) != 0 || without_id(c, map, &now, &before) != 0)
		goto fail;
	if (!(rows = rep_rows_sorted(map)))
		goto oom;
	json_array_foreach(rows, i, row) {
		json_t *col;
		size_t j;
		json_array_foreach(cols, j, col) {
			const char *key = json_string_value(json_object_get(col, "key"));
			if (!json_object_get(row, key) && json_object_set_new(row, key, json_integer(0)))
				goto oom;
		}
	}
	if (!(total = rep_total(c, cols, rows)))
		goto oom;
	snprintf(vi, sizeof vi, "Hộ được đối chiếu giữa năm %d và năm %d theo mã hộ (household_id)"
	         " trong cùng xã. Phiếu không có mã hộ (%lld phiếu năm %d, %lld phiếu năm %d) vẫn"
	         " được tính trong số liệu từng năm nhưng không được tính trong biến động.",
	         c->from_year, c->year, (long long)now, c->year, (long long)before, c->from_year);
	snprintf(en, sizeof en, "Households are matched from %d to %d by household_id within"
	         " their commune. Records without household_id (%lld in %d, %lld in %d) are"
	         " counted in each year's figures but not in these transitions.", c->from_year,
	         c->year, (long long)now, c->year, (long long)before, c->from_year);
	if (rep_note(c, vi, en) != 0)
		goto fail;
	json_decref(map);
	map = NULL;
	if (!(rep = rep_report(c, "transitions", cols, rows, total)))
		return NULL;
	if (json_object_set_new(rep, "from_year", json_integer(c->from_year)) != 0) {
		json_decref(rep);
		rep_oom(c);
		return NULL;
	}
	return rep;
oom:
	rep_oom(c);
fail:
	json_decref(cols);
	json_decref(map);
	json_decref(rows);
	json_decref(total);
	return NULL;
}
