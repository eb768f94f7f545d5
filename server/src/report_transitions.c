/* report_transitions.c: year over year movements of households, matched by
 * household_id within their commune: who escaped poverty or near-poverty,
 * who fell into it, who is newly poor, and last year's households that were
 * not surveyed again (moved, died or merged). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "report_int.h"
#include "report_reorg.h"

/* b: a household's class last year, c: this year (0: not surveyed that
 * year); 1 poor, 2 near-poor, 3 average, 4 none of these, 5 not
 * classified. A household with two records in a year counts once, by its
 * lowest class. */
static const struct tcol {
	const char *key, *vi, *en, *shortname;
} tcols[] = {
	{"from_poor", "Hộ nghèo năm trước", "Poor last year", "Poor-1"},
	{"escaped_poverty_to_near_poor", "Thoát nghèo, thành hộ cận nghèo",
	 "Escaped poverty, now near-poor", "P>NP"},
	{"escaped_poverty_out", "Thoát nghèo và thoát cận nghèo",
	 "Escaped poverty and near-poverty", "P>out"},
	{"poor_not_surveyed", "Hộ nghèo không còn trong danh sách (chuyển đi, chết, nhập hộ)",
	 "Poor, not surveyed this year (moved, died, merged)", "P>gone"},
	{"stayed_poor", "Vẫn là hộ nghèo", "Still poor", "P>P"},
	{"from_near_poor", "Hộ cận nghèo năm trước", "Near-poor last year", "NP-1"},
	{"escaped_near_poverty_out", "Thoát cận nghèo", "Escaped near-poverty", "NP>out"},
	{"near_poor_fell_into_poverty", "Hộ cận nghèo rơi vào nghèo",
	 "Near-poor fell into poverty", "NP>P"},
	{"near_poor_not_surveyed", "Hộ cận nghèo không còn trong danh sách",
	 "Near-poor, not surveyed this year (moved, died, merged)", "NP>gone"},
	{"stayed_near_poor", "Vẫn là hộ cận nghèo", "Still near-poor", "NP>NP"},
	{"newly_poor", "Hộ nghèo phát sinh", "Newly poor", "New P"},
	{"newly_near_poor", "Hộ cận nghèo phát sinh", "Newly near-poor", "New NP"},
	{"not_surveyed", "Hộ năm trước không còn rà soát (chuyển đi, chết, nhập hộ)",
	 "Last year's households not surveyed (moved, died, merged)", "Gone"},
	{"new_households", "Hộ mới rà soát năm nay", "Households new this year", "New"},
	{"matched", "Hộ có trong cả hai năm", "Households in both years", "Both"},
};
#define NT ((int)(sizeof tcols / sizeof tcols[0]))

/* Whether a household that went from class b to class c counts in
 * column i of tcols. */
static int counts_in(int i, int b, int c)
{
	int out_b = b >= 3, out_c = c >= 3;   /* neither poor nor near-poor */

	switch (i) {
	case 0: return b == 1;
	case 1: return b == 1 && c == 2;
	case 2: return b == 1 && out_c;
	case 3: return b == 1 && c == 0;
	case 4: return b == 1 && c == 1;
	case 5: return b == 2;
	case 6: return b == 2 && out_c;
	case 7: return b == 2 && c == 1;
	case 8: return b == 2 && c == 0;
	case 9: return b == 2 && c == 2;
	case 10: return c == 1 && (b == 0 || out_b);
	case 11: return c == 2 && (b == 0 || out_b);
	case 12: return b != 0 && c == 0;
	case 13: return b == 0 && c != 0;
	case 14: return b != 0 && c != 0;
	}
	return 0;
}

static int add(json_t *row, const char *key, json_int_t n)
{
	return json_object_set_new(row, key, json_integer(json_integer_value(json_object_get(row,
	                           key)) + n));
}

/* Adds the counts of one unit (acc) to its row. */
static int flush(rep_ctx *c, json_t *row, json_int_t *acc)
{
	int i;

	for (i = 0; row && i < NT + 2; i++) {
		if (add(row, i < NT ? tcols[i].key : i == NT ? "with_id" : "with_id_before", acc[i]))
			return rep_oom(c);
		acc[i] = 0;
	}
	return 0;
}

/* One household across the two years, and the unit it is counted in. */
typedef struct pair {
	char id[SAOLA__HOUSEHOLD_ID_MAX + 1];
	char grp[SAOLA__VILLAGE_MAX + 1];      /* the commune, or its group across the reform */
	char old[4][SAOLA__VILLAGE_MAX + 1];   /* the unit of its record of last year */
	int old_null[4];
	char unit[4][SAOLA__VILLAGE_MAX + 1];  /* province, district, commune, village */
	int null[4];
	int b, c;          /* lowest class last year, this year; 0: none */
	int nb, nc;        /* its records last year, this year */
} pair;

static void take_unit(pair *h, saola__dbstmt *st)
{
	int i;

	for (i = 0; i < 4; i++) {
		const char *v = saola__db_column_text(st, i);
		h->null[i] = !v;
		snprintf(h->unit[i], sizeof h->unit[i], "%s", v ? v : "");
	}
}

static void take_old(pair *h, saola__dbstmt *st)
{
	int i;

	for (i = 0; i < 4; i++) {
		const char *v = saola__db_column_text(st, i);
		h->old_null[i] = !v;
		snprintf(h->old[i], sizeof h->old[i], "%s", v ? v : "");
	}
}

/* A household of last year only, across the reform: counted in the new
 * unit its old commune went into (the first, when it was split). */
static void into_new_unit(rep_ctx *c, const rep_reorg_map *m, pair *h)
{
	const char *now = h->nc ? NULL : rep_reorg_first(m, h->unit[2]);
	saola__unit u;
	int found = 0;

	if (!now)
		return;
	if (saola__unit_get(c->db, now, c->year, &u, &found) == 0 && found && u.parent[0]) {
		snprintf(h->unit[0], sizeof h->unit[0], "%s", u.parent);
		h->null[0] = 0;
	}
	snprintf(h->unit[2], sizeof h->unit[2], "%s", now);
	h->unit[1][0] = '\0';
	h->null[1] = 1;
}

static int count_one(rep_ctx *c, json_t *map, pair *h, json_t **row, char *last, size_t len,
                     json_int_t *acc);

/* Adds a household that has ended to the counts of its unit's row; across
 * the reform, its records of the two years are one household's only when
 * this year's commune is a successor of last year's. */
static int count_pair(rep_ctx *c, const rep_reorg_map *m, json_t *map, pair *h, json_t **row,
                      char *last, size_t len, json_int_t *acc)
{
	pair *was;
	int rc;

	if (!m->active)
		return count_one(c, map, h, row, last, len, acc);
	if (!h->nc || !h->nb || rep_reorg_matches(m, h->old[2], h->unit[2])) {
		if (!h->nc) {
			memcpy(h->unit, h->old, sizeof h->unit);
			memcpy(h->null, h->old_null, sizeof h->null);
			into_new_unit(c, m, h);
		}
		return count_one(c, map, h, row, last, len, acc);
	}
	/* Two households that share a code: each counted on its own. */
	if (!(was = malloc(sizeof *was)))
		return rep_oom(c);
	*was = *h;
	was->nc = was->c = 0;
	memcpy(was->unit, was->old, sizeof was->unit);
	memcpy(was->null, was->old_null, sizeof was->null);
	into_new_unit(c, m, was);
	h->nb = h->b = 0;
	rc = count_one(c, map, h, row, last, len, acc);
	if (rc == 0)
		rc = count_one(c, map, was, row, last, len, acc);
	free(was);
	return rc;
}

static int count_one(rep_ctx *c, json_t *map, pair *h, json_t **row, char *last, size_t len,
                     json_int_t *acc)
{
	const char *cols[4];
	char key[sizeof h->unit[2] + sizeof h->unit[3] + 2];
	int i;

	for (i = 0; i < 4; i++)
		cols[i] = h->null[i] ? NULL : h->unit[i];
	snprintf(key, sizeof key, "%s\x1f%s", h->unit[c->by == SAOLA__BY_VILLAGE ? 2 : c->by],
	         c->by == SAOLA__BY_VILLAGE ? h->unit[3] : "");
	if (!*row || strcmp(key, last) != 0) {
		if (flush(c, *row, acc) != 0 || !(*row = rep_row_for(c, map, cols)))
			return -1;
		snprintf(last, len, "%s", key);
	}
	for (i = 0; i < NT; i++)
		acc[i] += counts_in(i, h->b, h->c);
	acc[NT] += h->nc;
	acc[NT + 1] += h->nb;
	return 0;
}

/* Counts the households by unit into map, from their classes of both
 * years, with the records that have a household_id (with_id,
 * with_id_before). The facts_household index hands the records over in
 * (commune, household_id, year) order with every column needed (+year
 * keeps the planner off the year index): a household's records come one
 * after the other, so it is matched here as they pass, with no sort and no
 * aggregate state per household. Its unit is that of its record of this
 * year, else of last year. */
/* The query of pairs() into sql: across the reform, a household is looked
 * for in its commune's group (old communes and the new ones they went
 * into), the groups given as rows of VALUES (code, group), bound first.
 * 0, or -1 when out of memory. */
static int pairs_sql(const rep_ctx *c, const rep_reorg_map *m, saola__buf *sql)
{
	char area[64], *rows;
	int rc;

	rep_area_sql(c, area, sizeof area);
	if (!m->active)
		return saola__buf_printf(sql, "SELECT province, district, commune, village,"
		                         " household_id, year, class, commune FROM facts WHERE"
		                         " household_id IS NOT NULL AND +year IN (?, ?)%s"
		                         " ORDER BY commune, household_id", area);
	if (!(rows = saola__sql_list(json_object_size(m->flat), "(?, ?)")))
		return -1;
	rc = saola__buf_printf(sql, "WITH g(gcode, ggrp) AS (VALUES %s) SELECT province,"
	                       " district, commune, village, household_id, year, class,"
	                       " coalesce(g.ggrp, commune) AS grp FROM facts LEFT JOIN g ON"
	                       " g.gcode = commune WHERE household_id IS NOT NULL AND"
	                       " +year IN (?, ?)%s ORDER BY grp, household_id", rows, area);
	free(rows);
	return rc;
}

/* Binds pairs_sql()'s parameters. */
static void pairs_bind(const rep_ctx *c, const rep_reorg_map *m, saola__dbstmt *st)
{
	const char *k;
	json_t *v;
	int i = 1;

	if (m->active) {
		json_object_foreach(m->flat, k, v) {
			saola__db_bind_text(st, i++, k, -1);
			saola__db_bind_text(st, i++, json_string_value(v), -1);
		}
	}
	saola__db_bind_int(st, i++, c->year);
	saola__db_bind_int(st, i++, c->from_year);
	rep_area_bind(c, st, i);
}

static int pairs(rep_ctx *c, const rep_reorg_map *m, json_t *map)
{
	char last[2 * SAOLA__VILLAGE_MAX + 4] = "";
	saola__buf sql = {NULL, 0, 0, 0};
	saola__dbstmt *st = NULL;
	json_t *row = NULL;
	json_int_t acc[NT + 2] = {0};
	pair *h = calloc(1, sizeof *h);
	int step, rc = 0, have = 0;

	if (!h || pairs_sql(c, m, &sql) != 0) {
		free(h);
		saola__buf_free(&sql);
		return rep_oom(c);
	}
	rc = saola__db_prepare(c->db, sql.p, &st);
	saola__buf_free(&sql);
	if (rc != SAOLA_OK) {
		free(h);
		return rep_sql_fail(c, "transitions");
	}
	pairs_bind(c, m, st);
	for (;;) {
		const char *commune = NULL, *id = NULL;
		int year = 0, cls = 0;

		step = saola__db_step(st);
		if (step == SAOLA__DB_ROW) {
			commune = saola__db_column_text(st, 7);
			id = saola__db_column_text(st, 4);
			year = (int)saola__db_column_int(st, 5);
			cls = (int)saola__db_column_int(st, 6);
		}
		/* A household ends where the next begins (or the rows end). */
		if (have && (step != SAOLA__DB_ROW || strcmp(h->id, id) != 0 ||
		             strcmp(h->grp, commune ? commune : "") != 0)) {
			if (count_pair(c, m, map, h, &row, last, sizeof last, acc) != 0) {
				rc = -1;
				break;
			}
			have = 0;
		}
		if (step != SAOLA__DB_ROW)
			break;
		if (!have) {
			memset(h, 0, sizeof *h);
			snprintf(h->id, sizeof h->id, "%s", id);
			snprintf(h->grp, sizeof h->grp, "%s", commune ? commune : "");
			take_unit(h, st);
			have = 1;
		}
		if (year == c->year) {
			if (!h->nc++)
				take_unit(h, st);
			h->c = h->c && h->c < cls ? h->c : cls;
		} else {
			if (!h->nb)
				take_old(h, st);
			h->nb++;
			h->b = h->b && h->b < cls ? h->b : cls;
		}
	}
	if (rc == 0)
		rc = flush(c, row, acc);
	if (rc == 0 && step != SAOLA__DB_DONE && step != SAOLA__DB_ROW)
		rc = rep_sql_fail(c, "transitions");
	saola__db_finalize(st);
	free(h);
	return rc;
}

/* The households of both years, and from them the records without a
 * household_id: those not in the pairs. Sums into *now and *before. */
static int without_id(rep_ctx *c, const rep_reorg_map *m, json_t *map, json_int_t *now,
                      json_int_t *before)
{
	static const char *const aggs[] = {"count(*)"};
	static const char *const before_key[] = {"households_before"};
	const char *k;
	json_t *row, *base;

	/* This year's households are the base's; last year's are counted. */
	json_object_foreach(c->base, k, base) {
		row = json_object_get(map, k);
		if (!row && (!(row = json_pack("{s:O}", "unit", json_object_get(base, "unit"))) ||
		             json_object_set_new(map, k, row) != 0))
			return rep_oom(c);
		if (json_object_set(row, "households", json_object_get(base, "households")) != 0)
			return rep_oom(c);
	}
	if (rep_fill(c, map, "transitions", c->from_year, aggs, "", before_key, 1) != 0 ||
	    rep_reorg_fold(c, m, map) != 0)
		return -1;
	json_object_foreach(map, k, row) {
		json_int_t a = json_integer_value(json_object_get(row, "households")) -
		               json_integer_value(json_object_get(row, "with_id"));
		json_int_t b = json_integer_value(json_object_get(row, "households_before")) -
		               json_integer_value(json_object_get(row, "with_id_before"));
		*now += a;
		*before += b;
		if (json_object_set_new(row, "without_id", json_integer(a)) ||
		    json_object_set_new(row, "without_id_before", json_integer(b)))
			return rep_oom(c);
		json_object_del(row, "with_id");
		json_object_del(row, "with_id_before");
	}
	return 0;
}

static int columns(json_t *cols)
{
	int i;

	if (rep_col(cols, "households", "Số hộ rà soát năm nay", "Households surveyed this year",
	            "Now", REP_COUNT, NULL, NULL) ||
	    rep_col(cols, "households_before", "Số hộ rà soát năm trước",
	            "Households surveyed last year", "Before", REP_COUNT, NULL, NULL))
		return -1;
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
	rep_reorg_map m;
	size_t i;

	memset(&m, 0, sizeof m);
	if (!cols || !map || columns(cols) != 0) {
		rep_oom(c);
		goto fail;
	}
	if (rep_reorg_map_make(c, &m) != 0 || pairs(c, &m, map) != 0 ||
	    without_id(c, &m, map, &now, &before) != 0)
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
	if (rep_reorg_mark(c, &m, rows, total) != 0)
		goto fail;
	rep_reorg_map_free(&m);
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
	rep_reorg_map_free(&m);
	json_decref(cols);
	json_decref(map);
	json_decref(rows);
	json_decref(total);
	return NULL;
}
