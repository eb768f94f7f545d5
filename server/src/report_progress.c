/* report_progress.c: progress toward the plan's targets: the poor
 * households of the baseline year (from its records, else from the
 * targets file), the reduction target, how far each unit has come, and the
 * trend by year; the targets file (schemas/targets/) is read here. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "report_int.h"
#include "report_reorg.h"

#define REP_SHARE "share"  /* a fraction, not recomputed from the row */
#define REP_FLAG "flag"

/* Parses poor_reduction: a number in (0, 1] or "n/d". -1 when bad. */
static double reduction_of(const json_t *v)
{
	const char *s = json_string_value(v);
	long n, d;
	char *end;

	if (json_is_number(v))
		return json_number_value(v) > 0 && json_number_value(v) <= 1 ? json_number_value(v) : -1;
	if (!s)
		return -1;
	n = strtol(s, &end, 10);
	if (*end != '/' || n <= 0)
		return -1;
	d = strtol(end + 1, &end, 10);
	return *end || d <= 0 || n > d ? -1 : (double)n / (double)d;
}

/* A share of the targets' completeness (1 when not given), -1 when bad. */
static double share_of(const json_t *t, const char *key)
{
	json_t *comp = json_object_get(t, "completeness"), *v = json_object_get(comp, key);

	if (comp && !json_is_object(comp))
		return -1;
	if (!v)
		return 1;
	return json_is_number(v) && json_number_value(v) >= 0 && json_number_value(v) <= 1
	       ? json_number_value(v) : -1;
}

/* Checks a targets document; 0 or -1 with e. */
static int targets_check(rep_ctx *c, json_t *t, const char *path)
{
	json_t *cov = json_object_get(t, "coverage_target"), *base = json_object_get(t, "baseline");
	const char *what = NULL;

	if (!json_is_object(t))
		what = "expected an object";
	else if (!json_is_integer(json_object_get(t, "baseline_year")))
		what = "baseline_year: expected a year";
	else if (!json_is_integer(json_object_get(t, "target_year")))
		what = "target_year: expected a year";
	else if (reduction_of(json_object_get(t, "poor_reduction")) < 0)
		what = "poor_reduction: expected a fraction, as \"2/3\" or 0.6667";
	else if (cov && (!json_is_number(cov) || json_number_value(cov) <= 0 ||
	                 json_number_value(cov) > 1))
		what = "coverage_target: expected a fraction, as 1.0";
	else if (base && !json_is_object(base))
		what = "baseline: expected an object of unit codes";
	else if (json_object_get(t, "completeness") &&
	         (share_of(t, "households") < 0 || share_of(t, "communes") < 0))
		what = "completeness: expected {\"households\": 0.95, \"communes\": 1.0}"
		       " (fractions of 0 to 1)";
	if (what)
		return saola__err_set(c->e, SAOLA_ERROR, "targets %s: %s", path, what);
	return 0;
}

static json_t *targets_file(rep_ctx *c, const char *path)
{
	json_error_t je;
	json_t *t = json_load_file(path, JSON_REJECT_DUPLICATES, &je);

	if (!t) {
		saola__err_set(c->e, SAOLA_ERROR, "targets %s: line %d: %s", path, je.line,
		               je.text);
		return NULL;
	}
	if (targets_check(c, t, path) != 0) {
		json_decref(t);
		return NULL;
	}
	return t;
}

/* The first value of sql's first row into out ("" for none or NULL). */
static int first_text(rep_ctx *c, const char *sql, char *out, size_t cap)
{
	saola__dbstmt *st = NULL;
	const char *v;
	int step;

	out[0] = '\0';
	if (saola__db_prepare(c->db, sql, &st) != SAOLA_OK)
		return rep_sql_fail(c, "province");
	rep_area_bind(c, st, 1);
	step = saola__db_step(st);
	if (step == SAOLA__DB_ROW && (v = saola__db_column_text(st, 0)))
		snprintf(out, cap, "%s", v);
	saola__db_finalize(st);
	return step == SAOLA__DB_ROW || step == SAOLA__DB_DONE ? 0 : rep_sql_fail(c, "province");
}

/* The province the report is about: the area's, or the only one in the
 * facts; "" when it cannot be told. */
static int province_of(rep_ctx *c, char *out, size_t cap)
{
	char sql[256], area[64], last[16];

	rep_place_sql(c, area, sizeof area);
	if (c->area_col) {
		/* Any of the area's facts: a province, a district or a commune
		 * lies in one province. */
		snprintf(sql, sizeof sql, "SELECT province FROM facts WHERE province IS NOT NULL%s"
		         " LIMIT 1", area);
		return first_text(c, sql, out, cap);
	}
	/* The whole country's: the lowest and the highest code, each one step
	 * down the facts_province index (a query with both aggregates would
	 * scan on SQLite). */
	if (first_text(c, "SELECT min(province) FROM facts", out, cap) != 0 ||
	    first_text(c, "SELECT max(province) FROM facts", last, sizeof last) != 0)
		return -1;
	if (strcmp(out, last) != 0)
		out[0] = '\0';
	return 0;
}

/* Finds the targets in force: the file given, else the file of the
 * schemas folder's targets/ whose province is the report's (else the only
 * one). c->targets stays NULL when there is none. */
static int targets_load(rep_ctx *c)
{
	char dir[1024], path[1400], province[16];
	struct dirent *de;
	DIR *d;

	/* Once per report; a failure stays one (c->e says why). */
	if (c->targets_loaded)
		return c->targets_loaded < 0 ? -1 : 0;
	c->targets_loaded = -1;
	if (c->rq->targets) {
		snprintf(c->targets_path, sizeof c->targets_path, "%s", c->rq->targets);
		if (!(c->targets = targets_file(c, c->rq->targets)))
			return -1;
		c->targets_loaded = 1;
		return 0;
	}
	if (province_of(c, province, sizeof province) != 0)
		return -1;
	snprintf(dir, sizeof dir, "%s/targets", saola__schemas_dir(c->rq->schemas));
	c->targets_loaded = 1;
	if (!(d = opendir(dir)))
		return 0;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		const char *p;
		json_t *t;

		if (len < 6 || de->d_name[0] == '.' || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (!(t = targets_file(c, path))) {
			closedir(d);
			c->targets_loaded = -1;
			return -1;
		}
		p = json_string_value(json_object_get(t, "province"));
		if (!c->targets || (p && strcmp(p, province) == 0)) {
			json_decref(c->targets);
			c->targets = t;
			snprintf(c->targets_path, sizeof c->targets_path, "%s", path);
			if (p && strcmp(p, province) == 0)
				break;
		} else {
			json_decref(t);
		}
	}
	closedir(d);
	return 0;
}

int rep_coverage_target(rep_ctx *c, double *target)
{
	json_t *v;

	*target = 1;
	if (targets_load(c) != 0)
		return -1;
	v = json_object_get(c->targets, "coverage_target");
	if (json_is_number(v))
		*target = json_number_value(v);
	return 0;
}

/* The baseline poor count of a unit from the targets file, -1 if none. */
static json_int_t targets_baseline(rep_ctx *c, const char *code)
{
	json_t *u = code ? json_object_get(json_object_get(c->targets, "baseline"), code) : NULL;
	json_t *poor = json_object_get(u, "poor");

	return json_is_integer(poor) ? json_integer_value(poor) : -1;
}

/* Whether a coverage reaches the plan's completeness. */
static int enough(rep_ctx *c, const rep_cover *o)
{
	double h = share_of(c->targets, "households"), k = share_of(c->targets, "communes");

	return o->communes > 0 && (double)o->reported >= k * o->communes - 1e-9 && o->listed > 0 &&
	       (double)o->surveyed >= h * (double)o->listed - 1e-9;
}

/* The approved poor households of year in unit code ("" everything). */
static int poor_of(rep_ctx *c, const char *code, int year, json_int_t *n)
{
	const char *level = saola__unit_level(code);
	char sql[256];
	saola__dbstmt *st = NULL;
	int step;

	snprintf(sql, sizeof sql, "SELECT count(*) FROM facts WHERE year = ? AND class = 1"
	         " AND state = %d%s%s%s", SAOLA__STATE_APPROVED, level ? " AND " : "",
	         level ? level : "", level ? " = ?" : "");
	*n = 0;
	if (saola__db_prepare(c->db, sql, &st) != SAOLA_OK)
		return rep_sql_fail(c, "baseline");
	saola__db_bind_int(st, 1, year);
	if (level)
		saola__db_bind_text(st, 2, code, -1);
	if ((step = saola__db_step(st)) == SAOLA__DB_ROW)
		*n = saola__db_column_int(st, 0);
	saola__db_finalize(st);
	return step == SAOLA__DB_ROW ? 0 : rep_sql_fail(c, "baseline");
}

/* The baseline of a unit: counted from the approved records of the
 * baseline year when they are complete for it, else the plan's figure;
 * *base -1 when neither. */
static int baseline_of(rep_ctx *c, const char *code, json_int_t *base, const char **source)
{
	int year = (int)json_integer_value(json_object_get(c->targets, "baseline_year"));
	rep_cover o;

	*base = -1;
	*source = NULL;
	if (!c->targets || !code)
		return 0;
	if (rep_cover_of(c, code, year, 1u << SAOLA__STATE_APPROVED, &o) != 0)
		return -1;
	if (enough(c, &o)) {
		*source = "records";
		return poor_of(c, code, year, base);
	}
	if ((*base = targets_baseline(c, code)) >= 0)
		*source = "targets";
	return 0;
}

/* "not enough data: 3 of 143 communes, 0.3% of households" in both
 * languages. New reference. */
static json_t *short_text(const rep_cover *o)
{
	char vi[160], en[160], pct[32], *p;

	if (o->listed > 0) {
		snprintf(pct, sizeof pct, "%.1f", 100.0 * (double)o->surveyed / (double)o->listed);
		snprintf(en, sizeof en, "not enough data: %d of %d communes, %s%% of households",
		         o->reported, o->communes, pct);
		if ((p = strchr(pct, '.')))
			*p = ',';
		snprintf(vi, sizeof vi, "chưa đủ dữ liệu: %d/%d xã, %s%% số hộ", o->reported,
		         o->communes, pct);
	} else {
		snprintf(en, sizeof en, "not enough data: %d of %d communes, households listed not"
		         " known", o->reported, o->communes);
		snprintf(vi, sizeof vi, "chưa đủ dữ liệu: %d/%d xã, chưa có tổng số hộ", o->reported,
		         o->communes);
	}
	return json_pack("{s:s, s:s}", "vi", vi, "en", en);
}

static int set_status(json_t *row, const char *status, json_t *text)
{
	return !text || json_object_set_new(row, "status", json_string(status)) ||
	       json_object_set_new(row, "status_text", text);
}

/* Sets the progress figures of a row (or the total), code its unit (NULL:
 * a village): its status, then its baseline and target, and how far it
 * has come only when its coverage reaches the plan's completeness. */
/* The coverage of the units of a followed area (its target_area's units,
 * {"code", ...}) summed, as rep_cover_of gives one unit's. 0 or -1. */
static int cover_of_units(rep_ctx *c, const json_t *units, rep_cover *o)
{
	const json_t *u;
	rep_cover one;
	size_t i;

	memset(o, 0, sizeof *o);
	json_array_foreach(units, i, u) {
		if (rep_cover_of(c, json_string_value(json_object_get(u, "code")), c->year,
		                 1u << SAOLA__STATE_APPROVED, &one) != 0)
			return -1;
		o->communes += one.communes;
		o->reported += one.reported;
		o->complete += one.complete;
		o->surveyed += one.surveyed;
		o->listed = o->listed < 0 || one.listed < 0 ? -1 : o->listed + one.listed;
	}
	return 0;
}

/* A row's progress toward the plan: its coverage (of unit code, or of the
 * units of the row's target_area when the plan's area is followed through
 * the mapping) decides whether it can be judged. */
static int progress_of(rep_ctx *c, json_t *row, const char *code)
{
	static const char *const keys[] = {"baseline_poor", "baseline_source",
		"target_max_poor", "reduction", "reduction_rate", "progress", "on_target"};
	double r = reduction_of(json_object_get(c->targets, "poor_reduction"));
	json_int_t poor = json_integer_value(json_object_get(row, "poor")), base = -1, target = 0;
	const char *source = NULL;
	const json_t *followed;
	rep_cover o;
	size_t i;
	int rc = 0;

	memset(&o, 0, sizeof o);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		rc |= json_object_set_new(row, keys[i], json_null());
	followed = json_object_get(json_object_get(row, "target_area"), "units");
	if (code && (followed ? cover_of_units(c, followed, &o)
	                      : rep_cover_of(c, code, c->year, 1u << SAOLA__STATE_APPROVED, &o)))
		return -1;
	if (baseline_of(c, code, &base, &source) != 0)
		return -1;
	if (base >= 0) {
		/* "At most": 7,912 less two thirds leaves 2,637.3, so 2,637. */
		target = (json_int_t)floor((double)base * (1 - r) + 1e-9);
		rc |= json_object_set_new(row, "baseline_poor", json_integer(base));
		rc |= json_object_set_new(row, "baseline_source", json_string(source));
		rc |= json_object_set_new(row, "target_max_poor", json_integer(target));
	}
	if (!code || !enough(c, &o))
		rc |= set_status(row, "not_enough_data", short_text(&o));
	else if (base < 0)
		rc |= set_status(row, "no_baseline", json_pack("{s:s, s:s}", "vi",
		                 "chưa có số hộ nghèo năm gốc", "en", "no baseline"));
	else {
		rc |= set_status(row, poor <= target ? "met" : "not_met", json_pack("{s:s, s:s}",
		                 "vi", poor <= target ? "đạt mục tiêu" : "chưa đạt mục tiêu", "en",
		                 poor <= target ? "target met" : "target not met"));
		rc |= json_object_set_new(row, "reduction", json_integer(base - poor));
		rc |= json_object_set_new(row, "reduction_rate", base > 0
		        ? json_real(rep_fraction((double)(base - poor), (double)base)) : json_null());
		rc |= json_object_set_new(row, "progress", base > target
		        ? json_real(rep_fraction((double)(base - poor), (double)(base - target)))
		        : json_null());
		rc |= json_object_set_new(row, "on_target", json_boolean(poor <= target));
	}
	return rc ? rep_oom(c) : 0;
}

/* The yearly trend of the area: [{year, households, poor, near_poor,
 * poor_rate}], oldest first. */
static json_t *series(rep_ctx *c)
{
	char sql[512], area[64];
	saola__dbstmt *st = NULL;
	json_t *out = json_array();
	int step;

	if (!out) {
		rep_oom(c);
		return NULL;
	}
	rep_area_sql(c, area, sizeof area);
	snprintf(sql, sizeof sql, "SELECT year, count(*), sum(CASE WHEN class = 1 THEN 1 ELSE 0"
	         " END), sum(CASE WHEN class = 2 THEN 1 ELSE 0 END) FROM facts"
	         " WHERE year IS NOT NULL%s GROUP BY year ORDER BY year", area);
	if (saola__db_prepare(c->db, sql, &st) != SAOLA_OK) {
		json_decref(out);
		rep_sql_fail(c, "trend");
		return NULL;
	}
	rep_area_bind(c, st, 1);
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW) {
		json_int_t n = saola__db_column_int(st, 1), poor = saola__db_column_int(st, 2);
		if (json_array_append_new(out, json_pack("{s:i, s:I, s:I, s:I, s:f}", "year",
		        (int)saola__db_column_int(st, 0), "households", n, "poor", poor, "near_poor",
		        (json_int_t)saola__db_column_int(st, 3),
		        "poor_rate", rep_fraction((double)poor, (double)n))) != 0)
			break;
	}
	saola__db_finalize(st);
	if (step != SAOLA__DB_DONE) {
		json_decref(out);
		if (step == SAOLA__DB_ROW)
			rep_oom(c);
		else
			rep_sql_fail(c, "trend");
		return NULL;
	}
	return out;
}

static int columns(json_t *cols)
{
	return rep_col(cols, "households", "Số hộ rà soát", "Households surveyed", "Households",
	               REP_COUNT, NULL, NULL) ||
	       rep_col(cols, "poor", "Hộ nghèo", "Poor", "Poor", REP_COUNT, NULL, NULL) ||
	       rep_col(cols, "listed", "Tổng số hộ (danh sách hộ của xã)",
	               "Households listed (the communes' lists)", "Listed", REP_NUMBER, NULL, NULL) ||
	       rep_col(cols, "poor_rate", "Tỷ lệ hộ nghèo (trên tổng số hộ)",
	               "Poverty rate (of all households listed)", "Poor %", REP_RATE, "poor",
	               "listed") ||
	       rep_col(cols, "poor_rate_surveyed", "Tỷ lệ hộ nghèo (trên số hộ rà soát)",
	               "Poverty rate (of households surveyed)", "Poor %sv", REP_RATE, "poor",
	               "households") ||
	       rep_col(cols, "status", "Tình trạng", "Status", "Status", REP_TEXT, NULL, NULL) ||
	       rep_col(cols, "baseline_poor", "Hộ nghèo năm gốc", "Poor in the baseline year",
	               "Baseline", REP_NUMBER, NULL, NULL) ||
	       rep_col(cols, "baseline_source", "Nguồn số liệu năm gốc", "Baseline from",
	               "From", REP_TEXT, NULL, NULL) ||
	       rep_col(cols, "target_max_poor", "Mục tiêu: số hộ nghèo tối đa",
	               "Target: at most this many poor", "Target", REP_NUMBER, NULL, NULL) ||
	       rep_col(cols, "reduction", "Số hộ nghèo đã giảm", "Poor households fewer",
	               "Fewer", REP_NUMBER, NULL, NULL) ||
	       rep_col(cols, "reduction_rate", "Tỷ lệ giảm so với năm gốc",
	               "Reduction since the baseline", "Fewer %", REP_SHARE, NULL, NULL) ||
	       rep_col(cols, "progress", "Mức hoàn thành mục tiêu giảm", "Progress toward the target",
	               "Progress", REP_SHARE, NULL, NULL) ||
	       rep_col(cols, "on_target", "Đạt mục tiêu", "Target met", "Met", REP_FLAG, NULL,
	               NULL);
}

json_t *rep_progress(rep_ctx *c)
{
	static const char *const keys[] = {"households", "poor"};
	json_t *cols = json_array(), *map = json_object(), *rows = NULL, *total = NULL, *row;
	json_t *rep = NULL, *trend = NULL;
	const char *k;
	size_t i;
	int followed = 0;

	if (!cols || !map || columns(cols) != 0) {
		rep_oom(c);
		goto fail;
	}
	if (targets_load(c) != 0)
		goto fail;
	json_object_foreach(c->base, k, row)
		if (json_object_set_new(map, k, json_pack("{s:O, s:O, s:O}", "unit",
		        json_object_get(row, "unit"), keys[0], json_object_get(row, keys[0]),
		        keys[1], json_object_get(row, keys[1]))) != 0) {
			rep_oom(c);
			goto fail;
		}
	if (!(rows = rep_rows_sorted(map)))
		goto oom;
	json_array_foreach(rows, i, row)
		if (!json_object_get(row, "households") &&
		    (json_object_set_new(row, "households", json_integer(0)) ||
		     json_object_set_new(row, "poor", json_integer(0))))
			goto oom;
	if (rep_listed(c, rows, NULL) != 0)
		goto fail;
	json_array_foreach(rows, i, row) {
		json_t *unit = json_object_get(row, "unit");
		int village = strcmp(json_string_value(json_object_get(unit, "level")), "village") == 0;
		if (rep_rates(cols, row))
			goto oom;
		if (progress_of(c, row, village ? NULL : json_string_value(json_object_get(unit,
		                                                                           "code"))))
			goto fail;
	}
	if (!(total = rep_total(c, cols, rows)))
		goto oom;
	if (rep_listed(c, NULL, total) != 0 || rep_rates(cols, total) != 0)
		goto fail;
	k = c->area[0] ? c->area : json_string_value(json_object_get(c->targets, "province"));
	/* After the reorganisation: the plan's area through the mapping. */
	if (rep_reorg_target(c, total, &followed) != 0 || (followed && rep_rates(cols, total)))
		goto fail;
	if (followed)
		k = json_string_value(json_object_get(c->targets, "province"));
	if (progress_of(c, total, k ? k : "") != 0 || !(trend = series(c)))
		goto fail;
	json_decref(map);
	map = NULL;
	if (!c->targets && rep_note(c, "Chưa có tệp mục tiêu (schemas/targets/) cho tỉnh này.",
	                            "No targets file (schemas/targets/) for this province.") != 0)
		goto fail;
	if (!(rep = rep_report(c, "progress", cols, rows, total))) {
		cols = rows = total = NULL;
		goto fail;
	}
	cols = rows = total = NULL;
	if (json_object_set_new(rep, "series", trend) != 0) {
		trend = NULL;
		goto oom;
	}
	trend = NULL;
	if (c->targets &&
	    (json_object_set(rep, "baseline_year", json_object_get(c->targets, "baseline_year")) ||
	     json_object_set(rep, "target_year", json_object_get(c->targets, "target_year")) ||
	     json_object_set_new(rep, "poor_reduction", json_real(rep_fraction(reduction_of(
	             json_object_get(c->targets, "poor_reduction")), 1))) ||
	     json_object_set_new(rep, "completeness_required", json_pack("{s:f, s:f}",
	             "households", share_of(c->targets, "households"), "communes",
	             share_of(c->targets, "communes"))) ||
	     json_object_set_new(rep, "targets", json_pack("{s:O?, s:O?, s:s}", "id",
	             json_object_get(c->targets, "id"), "title", json_object_get(c->targets, "title"),
	             "file", c->targets_path))))
		goto oom;
	return rep;
oom:
	rep_oom(c);
fail:
	json_decref(rep);
	json_decref(trend);
	json_decref(cols);
	json_decref(map);
	json_decref(rows);
	json_decref(total);
	return NULL;
}
