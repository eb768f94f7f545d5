/* area_q_sqlite.c: transitional: the area filter of reads (rules.h) in
 * SQLite's own SQL (json_each, typeof, min) and bound on a statement of
 * the SQLite store's own handle, for the callers not yet on db.h (the
 * store's pull, report_http.c, dashboard_api.c). To go once they use
 * saola__area_q_cond(). */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "rules.h"

void saola__area_q_bind(const saola__area_q *q, void *stmt, int p)
{
	sqlite3_stmt *st = stmt;

	if (!q->level)
		return;
	sqlite3_bind_text(st, p, q->area, -1, SQLITE_STATIC);
	if (q->keys) {
		sqlite3_bind_text(st, p + 1, q->keys, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, p + 2, q->last);
	}
}

void saola__area_q_sql(const saola__area_q *q, const char *t, const char *year_sql, int p,
                       char *buf, size_t len)
{
	char none[48] = "";

	if (!q->level) {
		snprintf(buf, len, "1");
		return;
	}
	if (!q->keys) {
		snprintf(buf, len, "%s.%s = ?%d", t, q->level, p);
		return;
	}
	/* A district's records of the new units name no district. */
	if (strlen(q->area) == 3)   /* a district */
		snprintf(none, sizeof none, "coalesce(%s.district, '') = '' AND ", t);
	snprintf(buf, len, "(%s.%s = ?%d OR (%s%s.commune || '@' || CASE WHEN typeof(%s) ="
	         " 'integer' AND %s BETWEEN 1 AND 9999 THEN min(%s, ?%d) END IN (SELECT value"
	         " FROM json_each(?%d))))", t, q->level, p, none, t, year_sql, year_sql, year_sql,
	         p + 2, p + 1);
}
