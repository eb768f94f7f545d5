/* areacheck.c: what replicas hold, read from their database files: ids,
 * households by their own identity, and a device's area against a
 * server's (read through its store), record by record (tierworld's
 * snapshots). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "areacheck.h"
#include "tierworld.h"

/* Calls fn(ctx, row) for each row of sql on the database file path. */
static void each_row(const char *path, const char *sql, const char *arg,
                     void (*fn)(void *ctx, sqlite3_stmt *row), void *ctx)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", path, sqlite3_errmsg(db));
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(ctx, st);
	if (rc != SQLITE_DONE)
		fail_msg("%s: %s", path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static const char *col(sqlite3_stmt *row, int i)
{
	const char *s = (const char *)sqlite3_column_text(row, i);

	return s ? s : "";
}

static void add_first(void *ctx, sqlite3_stmt *row)
{
	json_array_append_new(ctx, json_string(col(row, 0)));
}

json_t *ar_column(const char *path, const char *sql, const char *arg)
{
	json_t *out = json_array();

	each_row(path, sql, arg, add_first, out);
	return out;
}

static void add_household(void *ctx, sqlite3_stmt *row)
{
	json_t *ids = json_object_get(ctx, col(row, 0));

	if (!ids)
		json_object_set_new(ctx, col(row, 0), ids = json_array());
	json_array_append_new(ids, json_string(col(row, 1)));
}

json_t *ar_households(const char *path, int live_only)
{
	json_t *out = json_object();

	each_row(path, live_only ? "SELECT json_extract(data, '$.household_id'), id FROM records"
	                           " WHERE form_id = 'household' AND deleted = 0"
	                         : "SELECT json_extract(data, '$.household_id'), id FROM records"
	                           " WHERE form_id = 'household'", NULL, add_household, out);
	return out;
}

static void say_differs(const char *label, const char *id, json_t *a, json_t *b)
{
	char *ta = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	char *tb = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);

	fprintf(stderr, "%s: record %s differs:\n device %.600s\n server %.600s\n", label, id,
	        ta ? ta : "(none)", tb ? tb : "(none)");
	free(ta);
	free(tb);
}

void ar_compare_area(const char *device_path, saola__store *srv, const char *commune,
                     const char *label, ar_diff *out)
{
	/* both sorted bytewise (SQLite's ORDER BY; tw_area_ids sorts) */
	json_t *mine = ar_column(device_path, "SELECT id FROM records ORDER BY id", NULL);
	json_t *theirs = tw_area_ids(srv, commune);
	saola *db = NULL;
	size_t a = 0, b = 0;

	memset(out, 0, sizeof *out);
	if (saola_open(device_path, SAOLA_OPEN_READONLY, &db) != SAOLA_OK)
		fail_msg("%s: open: %s", device_path, db ? saola_errmsg(db) : "out of memory");
	while (a < json_array_size(mine) || b < json_array_size(theirs)) {
		const char *x = json_string_value(json_array_get(mine, a));
		const char *y = json_string_value(json_array_get(theirs, b));
		int cmp = !x ? 1 : !y ? -1 : strcmp(x, y);
		json_t *sx, *sy;
		if (cmp != 0) {
			if (cmp < 0)
				out->only_device++, a++;
			else
				out->only_server++, b++;
			continue;
		}
		sx = tw_snapshot(db, x);
		sy = tw_store_snapshot(srv, y);
		if (!sx || !sy || !json_equal(sx, sy)) {
			if (!out->differ || getenv("SAOLA_TEST_VERBOSE"))
				say_differs(label, x, sx, sy);
			out->differ++;
		}
		json_decref(sx);
		json_decref(sy);
		a++, b++;
	}
	saola_close(db);
	json_decref(mine);
	json_decref(theirs);
}
