/* lists.c: a commune's official lists of a year (poor, near-poor, escaped
 * poverty, newly poor households), from the facts and the records' own
 * answers (head, members, income), matched across years by household_id
 * within the commune as the transitions report matches; as JSON and CSV. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola/core.h"
#include "facts.h"
#include "lists.h"
#include "report_labels.h"
#include "rules.h"
#include "units.h"
#include "units_map.h"

static const char *const list_names[4] = {"poor", "near_poor", "escaped", "newly_poor"};
static const char *const list_vi[4] = {"Hộ nghèo", "Hộ cận nghèo", "Hộ thoát nghèo",
	"Hộ nghèo phát sinh"};

int saola__natural_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			const char *x = a, *y = b;
			size_t nx, ny;
			int c;
			while (*x == '0')
				x++;
			while (*y == '0')
				y++;
			for (nx = 0; isdigit((unsigned char)x[nx]); nx++)
				;
			for (ny = 0; isdigit((unsigned char)y[ny]); ny++)
				;
			if (nx != ny)
				return nx < ny ? -1 : 1;
			if ((c = memcmp(x, y, nx)) != 0)
				return c;
			a = x + nx;
			b = y + ny;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

static const char *sv(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* Village (natural), then head name when shown, then record id. */
static int row_cmp(const json_t *a, const json_t *b, int by_name)
{
	int c = saola__natural_cmp(sv(a, "village"), sv(b, "village"));

	if (c == 0 && by_name)
		c = strcmp(sv(a, "head_name"), sv(b, "head_name"));
	return c ? c : strcmp(sv(a, "record_id"), sv(b, "record_id"));
}

/* A stable merge sort of v (n rows) with tmp as room. */
static void sort_rows(json_t **v, json_t **tmp, size_t n, int by_name)
{
	size_t m = n / 2, i = 0, j = m, k = 0;

	if (n < 2)
		return;
	sort_rows(v, tmp, m, by_name);
	sort_rows(v + m, tmp, n - m, by_name);
	while (i < m && j < n)
		tmp[k++] = row_cmp(v[j], v[i], by_name) < 0 ? v[j++] : v[i++];
	while (i < m)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof *v);
}

static int sort_list(json_t *list, int by_name)
{
	size_t n = json_array_size(list), i;
	json_t **v = malloc((n ? n : 1) * sizeof *v), **tmp = malloc((n ? n : 1) * sizeof *tmp);
	int rc = -1;

	if (!v || !tmp)
		goto out;
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(list, i));
	sort_rows(v, tmp, n, by_name);
	json_array_clear(list);
	for (i = 0, rc = 0; i < n; i++)
		rc |= json_array_append_new(list, v[i]);
out:
	free(v);
	free(tmp);
	return rc;
}

/* The latest year with records in the commune (any state); 0 when none. */
static int latest(saola__db *db, const char *commune)
{
	saola__dbstmt *st = NULL;
	int y = 0;

	if (saola__db_prepare(db, "SELECT max(year) FROM facts WHERE commune = ?", &st) != SAOLA_OK)
		return 0;
	saola__db_bind_text(st, 1, commune, -1);
	if (saola__db_step(st) == SAOLA__DB_ROW)
		y = (int)saola__db_column_int(st, 0);
	saola__db_finalize(st);
	return y;
}

/* A figure of the record's answers: a whole number as it is, a fraction
 * rounded, true and false as 1 and 0; null for anything else or none. */
static json_t *number_or_null(const json_t *v)
{
	if (json_is_integer(v))
		return json_integer(json_integer_value(v));
	if (json_is_real(v))
		return json_integer((json_int_t)(json_real_value(v) + 0.5));
	if (json_is_boolean(v))
		return json_integer(json_is_true(v));
	return json_null();
}

/* The head's name among the answers: a text, or a number written as one;
 * NULL otherwise. buf holds the number's text. */
static const char *name_of(const json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.15g", json_real_value(v));
	else
		return NULL;
	return buf;
}

/* The number of members: the size of the members array, 0 for members
 * that are not an array, null when there are none. */
static json_t *members_of(const json_t *v)
{
	if (!v)
		return json_null();
	return json_integer(json_is_array(v) ? (json_int_t)json_array_size(v) : 0);
}

/* The output row of the current statement's record; its answers (column
 * 5, the record's data) are read here. */
static json_t *make_row(saola__dbstmt *st, int personal)
{
	int cls = (int)saola__db_column_int(st, 4);
	const char *text = saola__db_column_text(st, 5);
	json_t *data = text ? json_loads(text, 0, NULL) : NULL, *row;
	char num[64];

	row = json_pack("{s:s, s:s?, s:s?, s:s?, s:o, s:o, s:o, s:s?, s:i}", "record_id",
	                saola__db_column_text(st, 0), "household_id",
	                saola__db_column_text(st, 1), "village",
	                saola__db_column_text(st, 2), "head_name",
	                personal ? name_of(json_object_get(data, "head_name"), num, sizeof num)
	                : NULL, "members", members_of(json_object_get(data, "members")),
	                "income_per_capita", number_or_null(json_object_get(data,
	                "income_per_capita")), "deprivation_count",
	                number_or_null(json_object_get(data, "deprivation_count")),
	                "classification", cls >= 1 && cls <= 4 ? saola__classes[cls - 1].code
	                : NULL, "_class", cls);
	json_decref(data);
	return row;
}

typedef struct gather {
	json_t *now;        /* this year's rows */
	json_t *before;     /* household_id -> lowest class last year */
	json_t *house;      /* household_id -> this year's row of lowest class */
	json_int_t without_id;
	json_int_t last_year; /* records of last year counted */
	json_t *communes;   /* last year's communes: an array of codes */
	int partial;        /* one of them went only partly into the commune */
} gather;

/* The communes whose records of year - 1 this year's households are
 * matched with: the commune itself and the units it was formed from
 * (docs/reports.md, "Reorganisation of 2025"), as an array of codes into
 * g->communes; g->partial when one of them went only partly into it. */
static int before_communes(saola__db *db, const char *commune, int year, gather *g)
{
	char date[SAOLA__DATE_MAX + 1];
	json_t *pred = NULL, *codes = json_array(), *p;
	size_t i;

	saola__review_date(saola__schemas_dir(NULL), year, date, NULL);
	if (codes && json_array_append_new(codes, json_string(commune)) == 0 &&
	    saola__units_predecessors(db, commune, date, &pred) == 0) {
		json_array_foreach(pred, i, p) {
			json_array_append(codes, json_object_get(p, "code"));
			g->partial |= !json_is_true(json_object_get(p, "whole"));
		}
		g->communes = json_incref(codes);
	}
	json_decref(pred);
	json_decref(codes);
	return g->communes ? 0 : -1;
}

/* Reads the commune's records of both years into g. */
/* Prepares read_rows()'s query into *st: this year's records of the
 * commune, last year's of g's communes (an IN list), with the records'
 * data for make_row(). SAOLA_OK or a code. */
static int rows_query(saola__db *db, const saola__lists_req *rq, int year, unsigned mask,
                      const gather *g, saola__dbstmt **st)
{
	char states[64], *in = saola__sql_list(json_array_size(g->communes), "?");
	saola__buf sql = {NULL, 0, 0, 0};
	json_t *code;
	size_t i;
	int rc;

	saola__state_sql(mask, "f.state", 0, states, sizeof states);
	if (!in || saola__buf_printf(&sql, "SELECT f.record_id, f.household_id, f.village, f.year,"
	                             " f.class, r.data FROM facts f JOIN records r ON"
	                             " r.id = f.record_id WHERE (f.commune = ? AND f.year = ? OR"
	                             " f.year = ? AND f.commune IN (%s))%s ORDER BY f.record_id",
	                             in, states) != 0) {
		free(in);
		saola__buf_free(&sql);
		return saola__db_fail(db, SAOLA_NOMEM, "out of memory");
	}
	free(in);
	rc = saola__db_prepare(db, sql.p, st);
	saola__buf_free(&sql);
	if (rc != SAOLA_OK)
		return rc;
	saola__db_bind_text(*st, 1, rq->commune, -1);
	saola__db_bind_int(*st, 2, year);
	saola__db_bind_int(*st, 3, year - 1);
	json_array_foreach(g->communes, i, code)
		saola__db_bind_text(*st, 4 + (int)i, json_string_value(code), -1);
	return SAOLA_OK;
}

static int read_rows(saola__db *db, const saola__lists_req *rq, int year, unsigned mask,
                     gather *g, saola__err *e)
{
	saola__dbstmt *st = NULL;
	int step, rc = 0;

	if (rows_query(db, rq, year, mask, g, &st) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "lists: %s", saola__db_errmsg(db));
	while (rc == 0 && (step = saola__db_step(st)) == SAOLA__DB_ROW) {
		const char *hid = saola__db_column_text(st, 1);
		int cls = (int)saola__db_column_int(st, 4);
		json_t *row, *had;

		if (saola__db_column_int(st, 3) != year) {
			g->last_year++;
			had = hid ? json_object_get(g->before, hid) : NULL;
			if (hid && (!had || json_integer_value(had) > cls))
				rc = json_object_set_new(g->before, hid, json_integer(cls));
			continue;
		}
		if (!(row = make_row(st, rq->personal)) || json_array_append_new(g->now, row)) {
			rc = -1;
			break;
		}
		if (!hid) {
			g->without_id++;
			continue;
		}
		had = json_object_get(g->house, hid);
		/* Rows come in record id order: the first of the lowest class. */
		if (!had || json_integer_value(json_object_get(had, "_class")) > cls)
			rc = json_object_set(g->house, hid, row);
	}
	saola__db_finalize(st);
	if (rc != 0)
		return saola__err_set(e, SAOLA_NOMEM, "lists: out of memory");
	if (step != SAOLA__DB_DONE)
		return saola__err_set(e, SAOLA_ERROR, "lists: %s", saola__db_errmsg(db));
	return 0;
}

/* Sorts the rows of g into the four lists. */
static int split(gather *g, json_t *lists)
{
	json_t *row, *l[4];
	const char *hid;
	size_t i;
	int rc = 0, k;

	for (k = 0; k < 4; k++)
		l[k] = json_object_get(lists, list_names[k]);
	json_array_foreach(g->now, i, row) {
		json_int_t cls = json_integer_value(json_object_get(row, "_class"));
		if (cls == SAOLA__CLASS_POOR || cls == SAOLA__CLASS_NEAR_POOR)
			rc |= json_array_append(l[cls - 1], row);
	}
	json_object_foreach(g->house, hid, row) {
		json_int_t cls = json_integer_value(json_object_get(row, "_class"));
		json_t *was = json_object_get(g->before, hid);
		json_int_t b = json_integer_value(was);
		if (was && b <= SAOLA__CLASS_NEAR_POOR && cls > SAOLA__CLASS_NEAR_POOR)
			rc |= json_array_append(l[2], row);
		if (cls == SAOLA__CLASS_POOR && (!was || b != SAOLA__CLASS_POOR))
			rc |= json_array_append(l[3], row);
	}
	return rc;
}

/* Takes the working keys out of the rows, and orders each list. */
static int tidy(json_t *lists, gather *g, int by_name)
{
	json_t *row;
	size_t i;
	int k, rc = 0;

	json_array_foreach(g->now, i, row)
		json_object_del(row, "_class");
	for (k = 0; k < 4; k++)
		rc |= sort_list(json_object_get(lists, list_names[k]), by_name);
	return rc;
}

static int check(saola__db *db, const saola__lists_req *rq, saola__err *e)
{
	int within = 1;

	if (!rq->commune || !saola__unit_level(rq->commune) ||
	    strcmp(saola__unit_level(rq->commune), "commune") != 0)
		return saola__err_set(e, SAOLA_PROTOCOL, "commune \"%.20s\": expected a commune"
		                      " code (5 digits)", rq->commune ? rq->commune : "");
	if (rq->year && (rq->year < 1901 || rq->year > 2200))
		return saola__err_set(e, SAOLA_PROTOCOL, "year %d: expected a year 1901-2200",
		                      rq->year);
	if (rq->scope && *rq->scope) {
		if (saola__area_within(db, rq->commune, rq->scope, rq->year, &within) != 0)
			return saola__err_set(e, SAOLA_ERROR, "lists: %s", saola__db_errmsg(db));
		if (!within)
			return saola__err_set(e, SAOLA_AUTH, "commune %s is outside your area %s",
			                      rq->commune, rq->scope);
	}
	return 0;
}

/* The head of the answer: the commune, year, state; the lists empty. */
static json_t *head(saola__db *db, const saola__lists_req *rq, int year, const char *state)
{
	saola__unit u;
	int found = 0;

	if (saola__unit_get(db, rq->commune, year, &u, &found) != 0)
		found = 0;
	return json_pack("{s:{s:s, s:s?}, s:i, s:s, s:b, s:{s:[], s:[], s:[], s:[]}}", "commune",
	                 "code", rq->commune, "name", found ? u.name : NULL, "year", year, "state",
	                 state, "personal", rq->personal, "lists", "poor", "near_poor", "escaped",
	                 "newly_poor");
}

/* The notes on how the lists were matched: by household_id with last
 * year's records of the commune and of the units it was formed from; none
 * of last year's (escaped and newly poor then null: not known); a unit
 * that went only partly into the commune. */
static int notes(json_t *v, const gather *g, int year)
{
	json_t *n = json_pack("[{s:s, s:s}]", "vi", "Hộ thoát nghèo và hộ nghèo phát sinh được"
	        " đối chiếu với năm trước theo mã hộ (household_id) trong xã và các đơn vị đã hợp"
	        " thành xã; phiếu không có mã hộ không có trong hai danh sách này.", "en", "Escaped"
	        " and newly poor households are matched with last year by household_id within the"
	        " commune and the units it was formed from; records without household_id are not in"
	        " those two lists.");
	char vi[256], en[256];

	if (n && !g->last_year) {
		snprintf(vi, sizeof vi, "Không có phiếu năm %d của xã: chưa xác định được hộ thoát"
		         " nghèo và hộ nghèo phát sinh.", year - 1);
		snprintf(en, sizeof en, "No records of %d for this commune: escaped and newly poor"
		         " households cannot be told.", year - 1);
		json_array_append_new(n, json_pack("{s:s, s:s}", "vi", vi, "en", en));
	}
	if (n && g->partial)
		json_array_append_new(n, json_pack("{s:s, s:s}", "vi", "Xã được hợp thành từ một phần"
		        " của đơn vị cũ: hộ của phần còn lại không có trong đối chiếu.", "en", "The"
		        " commune was formed from part of an old unit: households of the part that went"
		        " elsewhere are not in the comparison."));
	return n ? json_object_set_new(v, "notes", n) : -1;
}

int saola__lists_run(saola__db *db, const saola__lists_req *rq, json_t **out, saola__err *e)
{
	char state[64];
	gather g = {json_array(), json_object(), json_object(), 0, 0, NULL, 0};
	json_t *v = NULL;
	unsigned mask;
	int year, rc = -1, k;

	*out = NULL;
	if (!g.now || !g.before || !g.house) {
		saola__err_set(e, SAOLA_NOMEM, "lists: out of memory");
		goto out;
	}
	if (saola__state_mask(rq->state, &mask, state, sizeof state) != 0) {
		saola__err_set(e, SAOLA_PROTOCOL, "state \"%.40s\": expected approved, submitted,"
		               " draft, returned, all, or a comma list of them", rq->state);
		goto out;
	}
	if (check(db, rq, e) != 0)
		goto out;
	if (saola__facts_refresh(db, rq->write_lock, NULL, e) != 0)
		goto out;
	if (saola__db_begin_read(db) != SAOLA_OK) {
		saola__err_set(e, SAOLA_ERROR, "lists: %s", saola__db_errmsg(db));
		goto out;
	}
	year = rq->year ? rq->year : latest(db, rq->commune);
	if (!year) {
		saola__db_end(db, 1);
		saola__err_set(e, SAOLA_NOTFOUND, "commune %s: no household records", rq->commune);
		goto out;
	}
	rc = before_communes(db, rq->commune, year, &g) != 0
	   ? saola__err_set(e, SAOLA_ERROR, "lists: units: %s", saola__db_errmsg(db))
	   : read_rows(db, rq, year, mask, &g, e);
	saola__db_end(db, 1);
	if (rc != 0)
		goto out;
	rc = -1;
	if (!(v = head(db, rq, year, state)) || split(&g, json_object_get(v, "lists")) != 0 ||
	    tidy(json_object_get(v, "lists"), &g, rq->personal) != 0 ||
	    json_object_set_new(v, "counts", json_object()) != 0) {
		saola__err_set(e, SAOLA_NOMEM, "lists: out of memory");
		goto out;
	}
	if (!g.last_year && (json_object_set_new(json_object_get(v, "lists"), "escaped",
	                                         json_null()) ||
	                     json_object_set_new(json_object_get(v, "lists"), "newly_poor",
	                                         json_null()))) {
		saola__err_set(e, SAOLA_NOMEM, "lists: out of memory");
		goto out;
	}
	for (k = 0; k < 4; k++) {
		json_t *l = json_object_get(json_object_get(v, "lists"), list_names[k]);
		json_object_set_new(json_object_get(v, "counts"), list_names[k], json_is_array(l)
		                    ? json_integer((json_int_t)json_array_size(l)) : json_null());
	}
	json_object_set_new(json_object_get(v, "counts"), "without_household_id",
	                    json_integer(g.without_id));
	if (notes(v, &g, year) != 0) {
		saola__err_set(e, SAOLA_NOMEM, "lists: out of memory");
		goto out;
	}
	*out = v;
	v = NULL;
	rc = 0;
out:
	json_decref(v);
	json_decref(g.now);
	json_decref(g.before);
	json_decref(g.house);
	json_decref(g.communes);
	return rc;
}

/* ------------------------------------------------------------------ */
/* CSV. */

static const char *const csv_keys[] = {"record_id", "household_id", "village", "head_name",
	"members", "income_per_capita", "deprivation_count", "classification"};
static const char *const csv_vi[] = {"Mã phiếu", "Mã hộ", "Thôn", "Họ tên chủ hộ",
	"Số nhân khẩu", "Thu nhập bình quân (đồng/người/tháng)", "Số chỉ số thiếu hụt",
	"Phân loại"};
#define NCSV 8

static const char *class_vi(const char *code)
{
	int i;

	for (i = 0; code && i < 4; i++)
		if (strcmp(saola__classes[i].code, code) == 0)
			return saola__classes[i].vi;
	return code;
}

static int csv_row(saola__buf *b, const json_t *v, int list, const json_t *row, int vi,
                   int personal)
{
	const json_t *commune = json_object_get(v, "commune");
	int k, rc;

	rc = saola__csv_field(b, vi ? list_vi[list] : list_names[list]) || saola__buf_add(b, ",", 1) ||
	     saola__csv_field(b, sv(commune, "code")) || saola__buf_add(b, ",", 1) ||
	     saola__csv_field(b, sv(commune, "name"));
	for (k = 0; k < NCSV && !rc; k++) {
		json_t *x = json_object_get(row, csv_keys[k]);
		if (k == 3 && !personal)
			continue;
		rc |= saola__buf_add(b, ",", 1);
		/* Numbers the server read as numbers; every text through the guard. */
		if (json_is_integer(x))
			rc |= saola__buf_printf(b, "%lld", (long long)json_integer_value(x));
		else if (k == 7 && vi)
			rc |= saola__csv_field(b, class_vi(json_string_value(x)));
		else
			rc |= saola__csv_field(b, json_string_value(x));
	}
	return rc || saola__buf_add(b, "\r\n", 2);
}

int saola__lists_csv(const json_t *v, int vi, saola__buf *b)
{
	int personal = json_is_true(json_object_get(v, "personal")), k;
	json_t *row;
	size_t i;

	if (saola__buf_add(b, "\xef\xbb\xbf", 3) ||
	    saola__buf_printf(b, "%s", vi ? "Danh sách,Mã xã,Tên xã" : "list,commune,commune_name"))
		return -1;
	for (k = 0; k < NCSV; k++)
		if ((k != 3 || personal) &&
		    (saola__buf_add(b, ",", 1) || saola__csv_field(b, vi ? csv_vi[k] : csv_keys[k])))
			return -1;
	if (saola__buf_add(b, "\r\n", 2))
		return -1;
	for (k = 0; k < 4; k++)
		json_array_foreach(json_object_get(json_object_get(v, "lists"), list_names[k]), i, row)
			if (csv_row(b, v, k, row, vi, personal))
				return -1;
	return b->oom ? -1 : 0;
}
