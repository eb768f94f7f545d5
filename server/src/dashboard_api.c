/* dashboard_api.c: what the dashboard shows besides reports: the conflicts
 * of the caller's area (GET /v1/conflicts) and the devices that sync in it
 * (GET /v1/devices). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola/core.h"
#include "auth.h"
#include "dashboard.h"
#include "officer.h"
#include "privacy.h"
#include "report.h"
#include "rules.h"
#include "units.h"

#define LIMIT_DEFAULT 20
#define LIMIT_MAX 500

static const char *text(saola__dbstmt *st, int i)
{
	return saola__db_column_text(st, i);
}

/* A JSON value stored as text (a conflict's values), parsed; the text
 * itself when it does not parse; null for NULL. */
static json_t *stored_json(saola__dbstmt *st, int i)
{
	json_t *v;

	if (saola__db_column_type(st, i) == SAOLA__DB_NULL)
		return json_null();
	v = json_loads(text(st, i), JSON_DECODE_ANY, NULL);
	return v ? v : json_string(text(st, i));
}

static enum MHD_Result fail(struct MHD_Connection *c, saola__db *db, const char *what)
{
	saola__err e;

	saola__err_set(&e, SAOLA_ERROR, "%s: %s", what, db ? saola__db_errmsg(db) : "no database");
	return saola__reply_error(c, &e);
}

/* The columns of the conflicts' query (read_conflicts). */
enum { C_PROVINCE = 12, C_DATA = 15, C_FORM = 16 };

/* The conflict of the current row as the dashboard shows it; data is its
 * record's answers (village, head_name), NULL when unread. New reference,
 * NULL when out of memory. */
static json_t *conflict_item(saola__dbstmt *st, const json_t *data)
{
	return json_pack("{s:I, s:s?, s:s?, s:o, s:o, s:o, s:o, s:s?, s:s?, s:s?, s:s?,"
	                 " s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}",
	        "id", (json_int_t)saola__db_column_int(st, 0), "record_id", text(st, 1),
	        "path", text(st, 2), "lost_value", stored_json(st, 3),
	        "lost_version", stored_json(st, 4), "kept_value", stored_json(st, 5),
	        "kept_version", stored_json(st, 6), "device", text(st, 7), "user", text(st, 8),
	        "at", text(st, 9), "resolved_at", text(st, 10), "resolved_by", text(st, 11),
	        "province", text(st, 12), "district", text(st, 13), "commune", text(st, 14),
	        "village", json_string_value(json_object_get(data, "village")),
	        "head_name", json_string_value(json_object_get(data, "head_name")),
	        "form", text(st, C_FORM));
}

/* Whether the current row's record lies in q's area. The survey year is in
 * the record's answers, which SQL does not read: *data gets them parsed
 * when the rule needs it (the caller frees). */
static int in_area(const saola__area_q *q, saola__dbstmt *st, json_t **data)
{
	int at = strcmp(q->level ? q->level : "", "province") == 0 ? 0
	       : strcmp(q->level ? q->level : "", "district") == 0 ? 1 : 2;

	if (q->list && !*data && text(st, C_DATA))
		*data = json_loads(text(st, C_DATA), 0, NULL);
	return saola__area_q_match(q, text(st, C_PROVINCE + at), text(st, C_PROVINCE + 1),
	                           text(st, C_PROVINCE + 2),
	                           json_object_get(*data, "survey_year"));
}

/* The conflicts of status where (SQL) in area, newest first, at most
 * limit, into list, their count into *count; personal fields masked
 * unless show. The area's rule reads the survey year in the record's
 * answers (rules.h): rows are kept and counted here, not by SQL. 0, or -1
 * (the database's message says why, or out of memory). */
static int read_conflicts(saola__store *s, saola__db *db, const char *where, const char *area,
                          long limit, int show, json_t *list, json_int_t *count)
{
	static const char list_sql[] =
		"SELECT c.id, c.record_id, c.path, c.lost_value, c.lost_version, c.kept_value,"
		" c.kept_version, c.device, us.name, c.at, c.resolved_at, c.resolved_by,"
		" r.province, r.district, r.commune, r.data, r.form_id"
		" FROM conflicts c JOIN records r ON r.id = c.record_id"
		" LEFT JOIN users us ON us.id = c.user_id WHERE %s AND %s ORDER BY c.id DESC";
	char sql[sizeof list_sql + 640], cond[512];
	saola__dbstmt *st = NULL;
	saola__area_q q;
	int step, rc = 0;

	*count = 0;
	/* The area by the rule of every path (rules.h). */
	if (saola__area_q_init(&q, db, area) != 0) {
		saola__area_q_free(&q);
		return -1;
	}
	saola__area_q_cond(&q, "r", NULL, cond, sizeof cond);
	snprintf(sql, sizeof sql, list_sql, where, cond);
	if (saola__db_prepare(db, sql, &st) != SAOLA_OK) {
		saola__area_q_free(&q);
		return -1;
	}
	saola__area_q_cond_bind(&q, st, 1);
	while (rc == 0 && (step = saola__db_step(st)) == SAOLA__DB_ROW) {
		json_t *data = NULL, *item;
		if (!in_area(&q, st, &data)) {
			json_decref(data);
			continue;
		}
		if ((*count)++ >= limit) {
			json_decref(data);
			continue;
		}
		if (!data && text(st, C_DATA))
			data = json_loads(text(st, C_DATA), 0, NULL);
		item = conflict_item(st, data);
		json_decref(data);
		if (!item || (!show && saola__conflict_mask(s, item, NULL) != 0) ||
		    json_array_append(list, item) != 0)
			rc = -1;
		json_decref(item);
	}
	saola__db_finalize(st);
	saola__area_q_free(&q);
	return rc == 0 && step == SAOLA__DB_DONE ? 0 : -1;
}

enum MHD_Result saola__web_conflicts(struct MHD_Connection *c, saola__store *s,
                                     const saola__user *u)
{
	saola__db *db = saola__store_db(s);
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
	      : strcmp(status, "all") == 0 ? "1 = 1" : NULL;
	if (limit_arg && *limit_arg) {
		char *end;
		limit = strtol(limit_arg, &end, 10);
		if (*end || limit < 1 || limit > LIMIT_MAX)
			where = NULL;
	}
	if (!where || !list) {
		json_decref(list);
		saola__err_set(&e, SAOLA_PROTOCOL, "expected status=open|resolved|all and"
		               " limit=1-%d", LIMIT_MAX);
		return saola__reply_error(c, &e);
	}
	/* One snapshot, with the forms (their personal marks) as they stand. */
	if (!db || s->ops->read_begin(s) != SAOLA_OK) {
		json_decref(list);
		return fail(c, db, "conflicts");
	}
	if ((rc = read_conflicts(s, db, where, area, limit, show, list, &count)) != 0)
		saola__err_set(&e, SAOLA_ERROR, "conflicts: %s", saola__db_errmsg(db));
	s->ops->end(s, 1);
	if (rc != 0) {
		json_decref(list);
		return saola__reply_error(c, &e);
	}
	if (!(out = json_pack("{s:s, s:I, s:o}", "status", status, "count", count, "conflicts",
	                      list))) {
		saola__err_set(&e, SAOLA_NOMEM, "conflicts: out of memory");
		return saola__reply_error(c, &e);
	}
	ret = saola__reply_json(c, 200, out);
	json_decref(out);
	return ret;
}

enum MHD_Result saola__web_devices(struct MHD_Connection *c, saola__store *s,
                                   const saola__user *u)
{
	saola__db *db = saola__store_db(s);
	const char *scope = saola__user_area(u);
	saola__dbstmt *st = NULL;
	json_t *list = json_array(), *out;
	saola__err e;
	enum MHD_Result ret;
	int step, within;

	if (!db || !list || saola__db_prepare(db,
	        "SELECT d.origin, us.name, us.role, us.area, d.first_seen, d.last_sync"
	        " FROM devices d JOIN users us ON us.id = d.user_id ORDER BY d.last_sync DESC",
	        &st) != SAOLA_OK) {
		json_decref(list);
		return fail(c, db, "devices");
	}
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW) {
		const char *area = text(st, 3);
		/* A device is seen by those whose area holds its user's area. */
		if (scope && (!area || !*area || saola__area_within(db, area, scope, 0, &within) != 0 ||
		              !within))
			continue;
		if (json_array_append_new(list, json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}",
		        "device", text(st, 0), "user", text(st, 1), "role", text(st, 2),
		        "area", text(st, 3), "first_seen", text(st, 4), "last_sync", text(st, 5)))
		    != 0)
			break;
	}
	saola__db_finalize(st);
	if (step != SAOLA__DB_DONE) {
		json_decref(list);
		return fail(c, db, "devices");
	}
	if (!(out = json_pack("{s:I, s:o}", "count", (json_int_t)json_array_size(list), "devices",
	                      list))) {
		saola__err_set(&e, SAOLA_NOMEM, "devices: out of memory");
		return saola__reply_error(c, &e);
	}
	ret = saola__reply_json(c, 200, out);
	json_decref(out);
	return ret;
}
