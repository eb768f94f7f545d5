/* report_http.c: the reports over HTTP: GET /v1/reports (what the caller
 * may see), /v1/reports/<name>[.csv] and /v1/households.csv, scoped to the
 * caller's area; the households' personal fields by privacy.h's rule. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "dashboard.h"
#include "facts.h"
#include "lists.h"
#include "privacy.h"
#include "report.h"
#include "report_labels.h"
#include "rules.h"
#include "store_sql.h"
#include "units.h"
#include "units_map.h"

#define PREFIX "/v1/reports/"

/* A year argument: 0 when absent; -1 (with e) when not a year. */
static int year_arg(struct MHD_Connection *c, const char *name, saola__err *e)
{
	const char *v = saola__web_arg(c, name);
	char *end;
	long y;

	if (!v || !*v)
		return 0;
	y = strtol(v, &end, 10);
	if (*end || y < 1900 || y > 2200)
		return saola__err_set(e, SAOLA_PROTOCOL, "%s \"%.20s\": expected a year 1900-2200",
		                      name, v);
	return (int)y;
}

/* ?labels=vi: Vietnamese CSV headers and labels; 0, or -1 with e. */
static int labels_arg(struct MHD_Connection *c, int *vi, saola__err *e)
{
	const char *v = saola__web_arg(c, "labels");

	*vi = v && strcmp(v, "vi") == 0;
	if (v && *v && !*vi)
		return saola__err_set(e, SAOLA_PROTOCOL, "labels \"%.20s\": expected vi", v);
	return 0;
}

/* The years with records in the caller's area, oldest first. */
static json_t *years(saola__db *db, const char *area)
{
	char sql[700], cond[512];
	saola__dbstmt *st = NULL;
	json_t *out = json_array();
	saola__area_q q;

	/* The area by the rule of every path (rules.h). */
	if (saola__area_q_init(&q, db, area) != 0 || !out) {
		saola__area_q_free(&q);
		json_decref(out);
		return NULL;
	}
	saola__area_q_cond(&q, "f", "f.year", cond, sizeof cond);
	snprintf(sql, sizeof sql, "SELECT DISTINCT f.year FROM facts f WHERE f.year IS NOT NULL"
	         " AND %s ORDER BY f.year", cond);
	if (saola__db_prepare(db, sql, &st) != SAOLA_OK) {
		saola__area_q_free(&q);
		json_decref(out);
		return NULL;
	}
	saola__area_q_cond_bind(&q, st, 1);
	while (saola__db_step(st) == SAOLA__DB_ROW)
		if (json_array_append_new(out, json_integer(saola__db_column_int(st, 0))) != 0)
			break;
	saola__db_finalize(st);
	saola__area_q_free(&q);
	return out;
}

/* 1 when a report can be made on area in year: the area is a unit on the
 * year's review day, or the data does not say (no units that day, an
 * unknown code, everything); 0 for an area that had ended (an old district
 * in 2025: its report is refused, report.c rep_reorg_area); -1 on error. */
static int reportable(saola__db *db, const char *area, int year)
{
	char date[SAOLA__DATE_MAX + 1];
	unsigned levels;
	saola__unit u;
	int found = 0, valid;

	if (!*area)
		return 1;
	saola__review_date(saola__schemas_dir(NULL), year, date, NULL);
	if (saola__units_levels(db, date, &levels) != 0 ||
	    (valid = saola__units_valid_on(db, area, date)) < 0 ||
	    saola__unit_get(db, area, year, &u, &found) != 0)
		return -1;
	return !levels || valid || !found;
}

/* The years of the area's records that a report can be made on. */
static json_t *report_years(saola__db *db, const char *area)
{
	json_t *all = years(db, area), *out = json_array(), *y;
	size_t i;
	int ok = all && out ? 1 : -1;

	json_array_foreach(all, i, y) {
		if (ok < 0 || (ok = reportable(db, area, (int)json_integer_value(y))) < 0)
			break;
		if (ok && json_array_append(out, y) != 0)
			ok = -1;
	}
	json_decref(all);
	if (ok < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* The years of ys whose units have no districts (after the reorganisation
 * of 2025): a report by district is refused there, so the dashboard offers
 * province, commune and village. NULL on error. */
static json_t *no_district_years(saola__db *db, const json_t *ys)
{
	char date[SAOLA__DATE_MAX + 1];
	json_t *out = json_array(), *y;
	unsigned levels;
	size_t i;

	json_array_foreach(ys, i, y) {
		saola__review_date(saola__schemas_dir(NULL), (int)json_integer_value(y), date, NULL);
		if (!out || saola__units_levels(db, date, &levels) != 0) {
			json_decref(out);
			return NULL;
		}
		if (levels && !(levels & SAOLA__LV_DISTRICT) && json_array_append(out, y) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* GET /v1/reports: who the caller is, their area, the years and reports. */
static enum MHD_Result index_of(const saola__web *w, struct MHD_Connection *c, saola__db *db,
                                const saola__user *u)
{
	const char *area = saola__user_area(u) ? saola__user_area(u) : "";
	const char *level = saola__unit_level(area);
	char label[SAOLA__UNIT_NAME_MAX + 32];
	json_t *v, *names = json_array(), *ys, *nd;
	saola__unit unit;
	saola__err e;
	int found = 0, i;
	enum MHD_Result ret;

	if (saola__facts_refresh(db, w->write_lock, NULL, &e) != 0) {
		json_decref(names);
		return saola__reply_error(c, &e);
	}
	if (*area && saola__unit_get(db, area, 0, &unit, &found) != 0)
		found = 0;
	saola__unit_label(found ? &unit : NULL, area, label, sizeof label);
	for (i = 0; names && i < SAOLA__N_REPORTS; i++)
		if (json_array_append_new(names, json_string(saola__report_names[i])) != 0) {
			json_decref(names);
			names = NULL;
		}
	ys = report_years(db, area);
	nd = ys ? no_district_years(db, ys) : NULL;
	if (!names || !ys || !nd) {
		json_decref(names);
		json_decref(ys);
		json_decref(nd);
		saola__err_set(&e, SAOLA_NOMEM, "reports: out of memory or the years failed: %s",
		               saola__db_errmsg(db));
		return saola__reply_error(c, &e);
	}
	v = json_pack("{s:{s:s, s:s, s:s}, s:{s:s?, s:s, s:s, s:s}, s:o, s:o, s:o,"
	              " s:[s, s, s, s], s:s}",
	              "user", "name", u->name, "role", u->role, "area", area,
	              "area", "code", *area ? area : NULL, "level", level ? level : "all",
	              "name", found ? unit.name : *area ? area : "Toàn bộ / All",
	              "label", *area ? label : "Toàn bộ / All",
	              "years", ys, "no_district_years", nd, "reports", names,
	              "levels", "province", "district", "commune", "village",
	              "default_by", !level ? "province" : strcmp(level, "province") == 0 ? "district"
	                            : strcmp(level, "district") == 0 ? "commune" : "village");
	if (!v) {
		saola__err_set(&e, SAOLA_NOMEM, "reports: out of memory");
		return saola__reply_error(c, &e);
	}
	ret = saola__reply_json(c, 200, v);
	json_decref(v);
	return ret;
}

enum MHD_Result saola__web_reports(const saola__web *w, struct MHD_Connection *c,
                                   const char *url, saola__store *s, const saola__user *u)
{
	saola__db *db = saola__store_db(s);
	char name[32], filename[96];
	const char *by = saola__web_arg(c, "by");
	saola__report_req rq;
	saola__buf b = {NULL, 0, 0, 0};
	json_t *rep = NULL;
	saola__err e;
	size_t n;
	int csv, labels_vi = 0;
	enum MHD_Result ret;

	if (!db) {
		saola__err_set(&e, SAOLA_ERROR, "reports: this store keeps no facts");
		return saola__reply_error(c, &e);
	}
	if (strcmp(url, "/v1/reports") == 0)
		return index_of(w, c, db, u);
	n = strlen(url + strlen(PREFIX));
	csv = n > 4 && strcmp(url + strlen(PREFIX) + n - 4, ".csv") == 0;
	if (csv)
		n -= 4;
	snprintf(name, sizeof name, "%.*s", n < sizeof name ? (int)n : 0, url + strlen(PREFIX));
	memset(&rq, 0, sizeof rq);
	if (!(rq.reports = saola__report_bit(name))) {
		saola__err_set(&e, SAOLA_NOTFOUND, "%.100s: no such report (summary, indicators,"
		               " causes, coverage, transitions, progress, all; see"
		               " docs/reports.md)", url);
		return saola__reply_error(c, &e);
	}
	rq.by = by && *by ? saola__report_by(by) : -1;
	if (by && *by && rq.by < 0) {
		saola__err_set(&e, SAOLA_PROTOCOL, "by \"%.20s\": expected province, district,"
		               " commune or village", by);
		return saola__reply_error(c, &e);
	}
	if ((rq.year = year_arg(c, "year", &e)) < 0 || (rq.from_year = year_arg(c, "from", &e)) < 0 ||
	    labels_arg(c, &labels_vi, &e) != 0)
		return saola__reply_error(c, &e);
	rq.area = saola__web_arg(c, "area");
	rq.state = saola__web_arg(c, "state");
	rq.scope = saola__user_area(u);
	rq.schemas = w->schemas;
	rq.write_lock = w->write_lock;
	if (saola__report_run(db, &rq, &rep, &e) != 0)
		return saola__reply_error(c, &e);
	if (!csv) {
		ret = saola__reply_json(c, 200, rep);
		json_decref(rep);
		return ret;
	}
	if (saola__report_csv(rep, labels_vi, &b) != 0) {
		json_decref(rep);
		saola__buf_free(&b);
		saola__err_set(&e, SAOLA_NOMEM, "reports: out of memory");
		return saola__reply_error(c, &e);
	}
	snprintf(filename, sizeof filename, "%s-%lld%s%s.csv", name,
	         (long long)json_integer_value(json_object_get(rep, "year")), rq.area ? "-" : "",
	         rq.area && saola__unit_level(rq.area) ? rq.area : "");
	ret = saola__reply_body(c, 200, "text/csv; charset=utf-8", b.p, b.len, filename);
	saola__buf_free(&b);
	json_decref(rep);
	return ret;
}

/* ------------------------------------------------------------------ */
/* GET /v1/households.csv */

/* The columns of households.csv before the classification: the header,
 * the value's SQL, and the record field it is (NULL: none). A column whose
 * field the household form marks personal is left out when personal
 * fields are not shown. */
static const struct hcol {
	const char *name, *sql, *field;
} hcols[] = {
	{"record_id", "f.record_id", NULL},
	{"household_id", "f.household_id", "household_id"},
	{"province", "f.province", "province"},
	{"district", "f.district", "district"},
	{"commune", "f.commune", "commune"},
	{"village", "f.village", "village"},
	{"area", "f.urban", "area"},
	{"survey_year", "f.year", "survey_year"},
	{"state", "f.state", NULL},
	/* From the record's answers (r.data, read in C): sql names the key. */
	{"head_name", "head_name", "head_name"},
	{"income_per_capita", "income_per_capita", "income_per_capita"},
	{"member_count", "member_count", "member_count"},
};

#define N_HCOLS ((int)(sizeof hcols / sizeof hcols[0]))
#define HCOL_AREA 6   /* f.urban: 1, 0 or NULL */
#define HCOL_STATE 8  /* f.state: SAOLA__STATE_* */
#define HCOL_DATA 9   /* the first of the answers' columns */

/* The review state's word of a facts.state. */
static const char *state_word(int code)
{
	static const char *const words[] = {"draft", "submitted", "returned", "approved"};

	return code >= SAOLA__STATE_DRAFT && code <= SAOLA__STATE_APPROVED
	       ? words[code - SAOLA__STATE_DRAFT] : NULL;
}

static int codes_field(saola__buf *b, const saola__label *list, int n, unsigned bits)
{
	int i, first = 1;

	if (saola__buf_add(b, ",", 1))
		return -1;
	for (i = 0; i < n; i++)
		if (bits & (1u << i)) {
			if ((!first && saola__buf_add(b, " ", 1)) ||
			    saola__buf_add(b, list[i].code, strlen(list[i].code)))
				return -1;
			first = 0;
		}
	return 0;
}

/* Writes an answer of the record (v: NULL when none) as one CSV field,
 * as SQLite's json_extract() gave it: a text as it is, a number in
 * figures (a fraction with its point), true 1, false 0, an object or array
 * as compact JSON; nothing for null or none. */
static int answer_field(saola__buf *b, const json_t *v)
{
	char num[64], *big = NULL;
	const char *text = NULL;
	int rc;

	if (json_is_string(v)) {
		text = json_string_value(v);
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		text = num;
	} else if (json_is_real(v)) {
		size_t n = (size_t)snprintf(num, sizeof num, "%.15g", json_real_value(v));
		char *e = strchr(num, 'e');
		if (!strpbrk(num, ".ein") && n + 2 < sizeof num)
			memcpy(num + n, ".0", 3);
		else if (e && !strchr(num, '.') && n + 2 < sizeof num) {
			memmove(e + 2, e, strlen(e) + 1);
			memcpy(e, ".0", 2);
		}
		text = num;
	} else if (json_is_boolean(v)) {
		text = json_is_true(v) ? "1" : "0";
	} else if (json_is_object(v) || json_is_array(v)) {
		text = big = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!big)
			return -1;
	}
	rc = saola__csv_field(b, text);
	free(big);
	return rc;
}

/* The query of households_csv() into sql: the facts' columns (NULL for
 * those omitted), the record's answers when a column of them is shown,
 * then class, ind, causes, support, updated_at. */
static void households_sql(const int *omit, const char *where, const char *states, char *sql,
                           size_t len)
{
	size_t n = (size_t)snprintf(sql, len, "SELECT");
	int k, data = 0;

	for (k = 0; k < HCOL_DATA; k++)
		n += (size_t)snprintf(sql + n, len - n, " %s,", omit[k] ? "NULL" : hcols[k].sql);
	for (k = HCOL_DATA; k < N_HCOLS; k++)
		data |= !omit[k];
	snprintf(sql + n, len - n, " %s, f.class, f.ind, f.causes, f.support, r.updated_at"
	         " FROM facts f JOIN records r ON r.id = f.record_id WHERE f.year = ? AND %s%s"
	         " ORDER BY f.commune, f.village, f.household_id, f.record_id", data ? "r.data"
	         : "NULL", where, states);
}

/* Writes the current row of households_csv()'s query as a line of b. */
static void household_line(saola__buf *b, saola__dbstmt *st, const int *omit)
{
	static const char *const classes[] = {"", "poor", "near_poor", "average", "not_poor", ""};
	const char *text = saola__db_column_text(st, HCOL_DATA);
	json_t *data = text ? json_loads(text, 0, NULL) : NULL;
	int cls = (int)saola__db_column_int(st, HCOL_DATA + 1), i, k, first;

	for (k = 0, first = 1; k < N_HCOLS; k++) {
		const char *v = k < HCOL_DATA ? saola__db_column_text(st, k) : NULL;
		if (omit[k])
			continue;
		if (k == HCOL_AREA)
			v = saola__db_column_type(st, k) == SAOLA__DB_NULL ? NULL
			  : saola__db_column_int(st, k) ? "urban" : "rural";
		else if (k == HCOL_STATE)
			v = state_word((int)saola__db_column_int(st, k));
		if (!first && saola__buf_add(b, ",", 1))
			break;
		if (k >= HCOL_DATA ? answer_field(b, json_object_get(data, hcols[k].sql))
		                   : saola__csv_field(b, v))
			break;
		first = 0;
	}
	json_decref(data);
	saola__buf_printf(b, "%s%s", first ? "" : ",", classes[cls >= 1 && cls <= 5 ? cls : 5]);
	for (i = 0; i < SAOLA__N_INDICATORS; i++)
		saola__buf_printf(b, ",%d", (int)(saola__db_column_int(st, HCOL_DATA + 2) >> i) & 1);
	codes_field(b, saola__causes, SAOLA__N_CAUSES,
	            (unsigned)saola__db_column_int(st, HCOL_DATA + 3));
	codes_field(b, saola__supports, SAOLA__N_SUPPORTS,
	            (unsigned)saola__db_column_int(st, HCOL_DATA + 4));
	saola__buf_add(b, ",", 1);
	saola__csv_field(b, saola__db_column_text(st, HCOL_DATA + 5));
	saola__buf_add(b, "\r\n", 2);
}

/* The households of year in area in the review states of mask
 * (saola__state_mask) as CSV into b; the columns of personal fields only
 * when show (core: the forms engine whose household form says which they
 * are). */
static int households_csv(saola__db *db, saola *core, int year, const char *area, unsigned mask,
                          int show, saola__buf *b, saola__err *e)
{
	char sql[2048], where[512], states[64];
	int omit[N_HCOLS], step, i, k;
	saola__dbstmt *st = NULL;
	saola__area_q q;

	saola__state_sql(mask, "f.state", 0, states, sizeof states);
	/* The area by the rule of every path (rules.h): an area gone in the
	 * new units holds the communes formed from it alone. */
	if (saola__area_q_init(&q, db, area) != 0) {
		saola__area_q_free(&q);
		return saola__err_set(e, SAOLA_ERROR, "households: %s", saola__db_errmsg(db));
	}
	saola__area_q_cond(&q, "f", "f.year", where, sizeof where);
	for (k = 0; k < N_HCOLS; k++)
		omit[k] = !show && hcols[k].field &&
		          saola__privacy_path(core, SAOLA__FACTS_FORM, hcols[k].field);
	households_sql(omit, where, states, sql, sizeof sql);
	if (saola__db_prepare(db, sql, &st) != SAOLA_OK) {
		saola__area_q_free(&q);
		return saola__err_set(e, SAOLA_ERROR, "households: %s", saola__db_errmsg(db));
	}
	saola__db_bind_int(st, 1, year);
	saola__area_q_cond_bind(&q, st, 2);
	saola__buf_printf(b, "%s", "\xef\xbb\xbf");
	for (k = 0; k < N_HCOLS; k++)
		if (!omit[k])
			saola__buf_printf(b, "%s,", hcols[k].name);
	saola__buf_printf(b, "%s", "classification");
	for (i = 0; i < SAOLA__N_INDICATORS; i++)
		saola__buf_printf(b, ",d_%s", saola__indicators[i].code);
	saola__buf_printf(b, "%s", ",poverty_causes,support_received,updated_at\r\n");
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW && !b->oom)
		household_line(b, st, omit);
	saola__db_finalize(st);
	saola__area_q_free(&q);
	if (b->oom)
		return saola__err_set(e, SAOLA_NOMEM, "households: out of memory");
	if (step != SAOLA__DB_DONE)
		return saola__err_set(e, SAOLA_ERROR, "households: %s", saola__db_errmsg(db));
	return 0;
}

enum MHD_Result saola__web_households(const saola__web *w, struct MHD_Connection *c,
                                      saola__store *s, const saola__user *u)
{
	saola__db *db = saola__store_db(s);
	const char *scope = saola__user_area(u), *area = saola__web_arg(c, "area");
	const char *state = saola__web_arg(c, "state");
	char filename[64], states[64];
	saola__buf b = {NULL, 0, 0, 0};
	saola__err e;
	unsigned mask;
	int year, within = 1, show;
	enum MHD_Result ret;

	memset(&e, 0, sizeof e);
	if (!db) {
		saola__err_set(&e, SAOLA_ERROR, "households: this store keeps no facts");
		return saola__reply_error(c, &e);
	}
	if ((year = year_arg(c, "year", &e)) < 0 ||
	    saola__privacy_show(u, saola__web_arg(c, "personal"), &show, &e) != 0)
		return saola__reply_error(c, &e);
	/* A working list: every review state unless asked (the state column
	 * says each row's); the words and their parsing are the reports'. */
	if (saola__state_mask(state && *state ? state : "all", &mask, states, sizeof states) != 0) {
		saola__err_set(&e, SAOLA_PROTOCOL, "state \"%.40s\": expected approved, submitted,"
		               " draft, returned, all, or a comma list of them", state);
		return saola__reply_error(c, &e);
	}
	if (area && *area && !saola__unit_level(area)) {
		saola__err_set(&e, SAOLA_PROTOCOL, "area \"%.20s\": expected a unit code", area);
		return saola__reply_error(c, &e);
	}
	if (!area || !*area)
		area = scope ? scope : "";
	else if (scope && (saola__area_within(db, area, scope, year, &within) != 0 || !within)) {
		saola__err_set(&e, SAOLA_AUTH, "area %s is outside your area %s", area, scope);
		return saola__reply_error(c, &e);
	}
	if (saola__facts_refresh(db, w->write_lock, NULL, &e) != 0)
		return saola__reply_error(c, &e);
	if (!year) {
		json_t *ys = years(db, area);
		year = (int)json_integer_value(json_array_get(ys, json_array_size(ys) - 1));
		json_decref(ys);
	}
	/* The store's read snapshot: the forms (their personal marks) as they
	 * stand now, should another process have loaded new ones. */
	if (s->ops->read_begin(s) != SAOLA_OK) {
		saola__err_set(&e, SAOLA_ERROR, "households: %s", s->ops->errmsg(s));
		return saola__reply_error(c, &e);
	}
	if (households_csv(db, saola__store_forms_engine(s), year, area, mask, show, &b, &e) != 0) {
		s->ops->end(s, 0);
		saola__buf_free(&b);
		return saola__reply_error(c, &e);
	}
	s->ops->end(s, 1);
	snprintf(filename, sizeof filename, "households-%d%s%s.csv", year, *area ? "-" : "", area);
	ret = saola__reply_body(c, 200, "text/csv; charset=utf-8", b.p, b.len, filename);
	saola__buf_free(&b);
	return ret;
}

/* ------------------------------------------------------------------ */
/* GET /v1/lists/<commune>[.csv]?year=&state=&labels=&personal= */

enum MHD_Result saola__web_lists(const saola__web *w, struct MHD_Connection *c,
                                 const char *url, saola__store *s, const saola__user *u)
{
	saola__db *db = saola__store_db(s);
	const char *rest = url + strlen("/v1/lists/");
	char commune[16], filename[64];
	size_t n = strlen(rest);
	saola__lists_req rq;
	saola__buf b = {NULL, 0, 0, 0};
	json_t *v = NULL;
	saola__err e;
	int csv = n > 4 && strcmp(rest + n - 4, ".csv") == 0, vi, show;
	enum MHD_Result ret;

	memset(&e, 0, sizeof e);
	memset(&rq, 0, sizeof rq);
	if (!db) {
		saola__err_set(&e, SAOLA_ERROR, "lists: this store keeps no facts");
		return saola__reply_error(c, &e);
	}
	n -= csv ? 4 : 0;
	snprintf(commune, sizeof commune, "%.*s", n < sizeof commune ? (int)n : 0, rest);
	if ((rq.year = year_arg(c, "year", &e)) < 0 || labels_arg(c, &vi, &e) != 0 ||
	    saola__privacy_show(u, saola__web_arg(c, "personal"), &show, &e) != 0)
		return saola__reply_error(c, &e);
	rq.commune = commune;
	rq.state = saola__web_arg(c, "state");
	rq.scope = saola__user_area(u);
	rq.write_lock = w->write_lock;
	/* Names by the privacy rule (docs/security.md): a personal field only
	 * to whom privacy.c shows it; a field the form does not mark, to all. */
	if (s->ops->read_begin(s) != SAOLA_OK) {
		saola__err_set(&e, SAOLA_ERROR, "lists: %s", s->ops->errmsg(s));
		return saola__reply_error(c, &e);
	}
	rq.personal = show || !saola__privacy_path(saola__store_forms_engine(s), SAOLA__FACTS_FORM,
	                                           "head_name");
	s->ops->end(s, 1);
	if (saola__lists_run(db, &rq, &v, &e) != 0)
		return saola__reply_error(c, &e);
	if (!csv) {
		ret = saola__reply_json(c, 200, v);
		json_decref(v);
		return ret;
	}
	if (saola__lists_csv(v, vi, &b) != 0) {
		json_decref(v);
		saola__buf_free(&b);
		saola__err_set(&e, SAOLA_NOMEM, "lists: out of memory");
		return saola__reply_error(c, &e);
	}
	snprintf(filename, sizeof filename, "lists-%s-%lld.csv", commune,
	         (long long)json_integer_value(json_object_get(v, "year")));
	ret = saola__reply_body(c, 200, "text/csv; charset=utf-8", b.p, b.len, filename);
	saola__buf_free(&b);
	json_decref(v);
	return ret;
}
