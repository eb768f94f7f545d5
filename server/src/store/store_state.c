/* store_state.c: the server's own sync state (the upstream server, its
 * cursor and lineage: upstream.h), a key and a value in the table
 * sync_state, written once over db.h for every backend. On SQLite it is
 * core's table of the same name (saola_state_get reads the same rows). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola/core.h"
#include "store_sql.h"

static const char get_sql[] = "SELECT value FROM sync_state WHERE key = ?";
static const char set_sql[] = "INSERT INTO sync_state(key, value) VALUES (?, ?)"
                              " ON CONFLICT(key) DO UPDATE SET value = excluded.value";
static const char del_sql[] = "DELETE FROM sync_state WHERE key = ?";

/* The connection's failure on key, "sync state KEY: why"; returns rc. */
static int state_fail(saola__store *s, const char *key)
{
	char why[512];

	snprintf(why, sizeof why, "%s", saola__db_errmsg(s->db));
	return saola__db_fail(s->db, SAOLA_ERROR, "sync state %s: %s", key, why);
}

int saola__state_get(saola__store *s, const char *key, char **out)
{
	saola__dbstmt *st = saola__store_stmt(s, SAOLA__SS_STATE_GET, get_sql);
	const char *v;
	int step, rc = SAOLA_OK;

	*out = NULL;
	if (!st)
		return SAOLA_ERROR;
	saola__db_bind_text(st, 1, key, -1);
	step = saola__db_step(st);
	if (step == SAOLA__DB_ROW && (v = saola__db_column_text(st, 0)) && !(*out = strdup(v)))
		rc = saola__db_fail(s->db, SAOLA_NOMEM, "sync state: out of memory");
	else if (step != SAOLA__DB_ROW && step != SAOLA__DB_DONE)
		rc = state_fail(s, key);
	saola__db_reset(st);
	return rc;
}

int saola__state_set(saola__store *s, const char *key, const char *value)
{
	saola__dbstmt *st = value ? saola__store_stmt(s, SAOLA__SS_STATE_SET, set_sql)
	                          : saola__store_stmt(s, SAOLA__SS_STATE_DEL, del_sql);
	int step;

	if (!st)
		return SAOLA_ERROR;
	saola__db_bind_text(st, 1, key, -1);
	if (value)
		saola__db_bind_text(st, 2, value, -1);
	step = saola__db_step(st);
	saola__db_reset(st);
	return step == SAOLA__DB_DONE ? SAOLA_OK : state_fail(s, key);
}
