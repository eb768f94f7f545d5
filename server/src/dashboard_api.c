/* dashboard_api.c: what the dashboard shows besides reports: the conflicts
 * of the caller's area (GET /v1/conflicts) and the devices that sync in it
 * (GET /v1/devices). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "dashboard.h"
#include "officer.h"
#include "privacy.h"
#include "report.h"
#include "rules.h"
#include "units.h"

#define LIMIT_DEFAULT 20
#define LIMIT_MAX 500

static const char *text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* A JSON value stored as text (a conflict's values), parsed; the text
 * itself when it does not parse; null for NULL. */
static json_t *stored_json(sqlite3_stmt *st, int i)
{
	json_t *v;

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return json_null();
	v = json_loads(text(st, i), JSON_DECODE_ANY, NULL);
	return v ? v : json_string(text(st, i));
}

static enum MHD_Result fail(struct MHD_Connection *c, sqlite3 *db, const char *what)
{
	saola__err e;

	saola__fail(&e, 500, "internal", "%s: %s", what, db ? sqlite3_errmsg(db) : "no database");
	return saola__reply_error(c, &e);
}

/* The conflicts of status where (SQL) in area, newest first, at most
 * limit, into list, their count into *count; personal fields masked
 * unless show. 0, or -1 (the database's message says why, or out of
 * memory). */
static int read_conflicts(saola__store *s, sqlite3 *db, const char *where, const char *area,
                          long limit, int show, json_t *list, json_int_t *count)
{
	static const char list_sql[] =
		"SELECT c.id, c.record_id, c.path, c.lost_value, c.lost_version, c.kept_value,"
		" c.kept_version, c.device, us.name, c.at, c.resolved_at, c.resolved_by,"
		" r.province, r.district, r.commune, json_extract(r.data, '$.village'),"
		" json_extract(r.data, '$.head_name'), r.form_id"
		" FROM conflicts c JOIN records r ON r.id = c.record_id"
		" LEFT JOIN users us ON us.id = c.user_id WHERE %s%s ORDER BY c.id DESC LIMIT ?2";
	static const char count_sql[] =
		"SELECT count(*) FROM conflicts c JOIN records r ON r.id = c.record_id WHERE %s%s";
	char sql[sizeof list_sql + 640], area_sql[520], cond[512];
	sqlite3_stmt *st = NULL;
	saola__area_q q;
	int step;

	*count = 0;
	/* The area by the rule of every path (rules.h). */
	if (saola__area_q_init(&q, saola__store_db(s), area) != 0) {
		saola__area_q_free(&q);
		return -1;
	}
	saola__area_q_sql(&q, "r", "json_extract(r.data, '$.survey_year')", 3, cond, sizeof cond);
	snprintf(area_sql, sizeof area_sql, " AND %s", cond);
	snprintf(sql, sizeof sql, count_sql, where, area_sql);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		saola__area_q_free(&q);
		return -1;
	}
	saola__area_q_bind(&q, st, 3);
	if (sqlite3_step(st) == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	snprintf(sql, sizeof sql, list_sql, where, area_sql);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		saola__area_q_free(&q);
		return -1;
	}
	saola__area_q_bind(&q, st, 3);
	sqlite3_bind_int64(st, 2, limit);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *item = json_pack("{s:I, s:s?, s:s?, s:o, s:o, s:o, s:o, s:s?, s:s?, s:s?, s:s?,"
		                         " s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}",
		        "id", (json_int_t)sqlite3_column_int64(st, 0), "record_id", text(st, 1),
		        "path", text(st, 2), "lost_value", stored_json(st, 3),
		        "lost_version", stored_json(st, 4), "kept_value", stored_json(st, 5),
		        "kept_version", stored_json(st, 6), "device", text(st, 7), "user", text(st, 8),
		        "at", text(st, 9), "resolved_at", text(st, 10), "resolved_by", text(st, 11),
		        "province", text(st, 12), "district", text(st, 13), "commune", text(st, 14),
		        "village", text(st, 15), "head_name", text(st, 16), "form", text(st, 17));
		if (!show && item && saola__conflict_mask(s, item, NULL) != 0) {
			json_decref(item);
			break;
		}
		if (json_array_append_new(list, item) != 0)
			break;
	}
	sqlite3_finalize(st);
	saola__area_q_free(&q);
	return step == SQLITE_DONE ? 0 : -1;
}

enum MHD_Result saola__web_conflicts(struct MHD_Connection *c, saola__store *s,
                                     const saola__user *u)
{
	sqlite3 *db = saola__report_db(s);
	const char *status = saola__web_arg(c, "status"), *limit_arg = saola__web_arg(c, "limit");
	const char *area = saola__user_area(u);
	const char *where;
	json_t *list = json_array(), *out;
	json_int_t count = 0;
	long limit = LIMIT_DEFAULT;
	saola__err e;
	enum MHD_Result ret;
	int show, rc;

	if (saola__privacy_show(u, saola__web_arg(c, "personal"), &show, &e) != 0) {
		json_decref(list);
		return saola__reply_error(c, &e);
	}
	if (!status || !*status)
		status = "open";
	where = strcmp(status, "open") == 0 ? "c.resolved_at IS NULL"
	      : strcmp(status, "resolved") == 0 ? "c.resolved_at IS NOT NULL"
	      : strcmp(status, "all") == 0 ? "1" : NULL;
	if (limit_arg && *limit_arg) {
		char *end;
		limit = strtol(limit_arg, &end, 10);
		if (*end || limit < 1 || limit > LIMIT_MAX)
			where = NULL;
	}
	if (!where || !list) {
		json_decref(list);
		saola__fail(&e, 400, "bad_request", "expected status=open|resolved|all and"
		            " limit=1-%d", LIMIT_MAX);
		return saola__reply_error(c, &e);
	}
	/* One snapshot, with the forms (their personal marks) as they stand. */
	if (!db || s->ops->read_begin(s) != SAOLA_OK) {
		json_decref(list);
		return fail(c, db, "conflicts");
	}
	if ((rc = read_conflicts(s, db, where, area, limit, show, list, &count)) != 0)
		saola__fail(&e, 500, "internal", "conflicts: %s", sqlite3_errmsg(db));
	s->ops->end(s, 1);
	if (rc != 0) {
		json_decref(list);
		return saola__reply_error(c, &e);
	}
	if (!(out = json_pack("{s:s, s:I, s:o}", "status", status, "count", count, "conflicts",
	                      list))) {
		saola__fail(&e, 500, "internal", "conflicts: out of memory");
		return saola__reply_error(c, &e);
	}
	ret = saola__reply_json(c, 200, out);
	json_decref(out);
	return ret;
}

enum MHD_Result saola__web_devices(struct MHD_Connection *c, saola__store *s,
                                   const saola__user *u)
{
	sqlite3 *db = saola__report_db(s);
	const char *scope = saola__user_area(u);
	sqlite3_stmt *st = NULL;
	json_t *list = json_array(), *out;
	saola__err e;
	enum MHD_Result ret;
	int step, within;

	if (!db || !list || sqlite3_prepare_v2(db,
	        "SELECT d.origin, us.name, us.role, us.area, d.first_seen, d.last_sync"
	        " FROM devices d JOIN users us ON us.id = d.user_id ORDER BY d.last_sync DESC",
	        -1, &st, NULL) != SQLITE_OK) {
		json_decref(list);
		return fail(c, db, "devices");
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *area = text(st, 3);
		/* A device is seen by those whose area holds its user's area. */
		if (scope && (!area || !*area || saola__area_within(saola__store_db(s), area, scope, 0, &within) != 0 ||
		              !within))
			continue;
		if (json_array_append_new(list, json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}",
		        "device", text(st, 0), "user", text(st, 1), "role", text(st, 2),
		        "area", text(st, 3), "first_seen", text(st, 4), "last_sync", text(st, 5)))
		    != 0)
			break;
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
		json_decref(list);
		return fail(c, db, "devices");
	}
	if (!(out = json_pack("{s:I, s:o}", "count", (json_int_t)json_array_size(list), "devices",
	                      list))) {
		saola__fail(&e, 500, "internal", "devices: out of memory");
		return saola__reply_error(c, &e);
	}
	ret = saola__reply_json(c, 200, out);
	json_decref(out);
	return ret;
}
