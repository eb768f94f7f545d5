/* area_q_sqlite.c: transitional: binds saola__area_q_sql()'s parameters
 * (rules.h) on a statement of the SQLite store's own handle, for the
 * callers not yet on db.h. To go once they use saola__area_q_cond(). */
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
