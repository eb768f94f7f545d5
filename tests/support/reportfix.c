/* reportfix.c: hand-made data sets for the official-figures tests:
 * records written straight into a server database with a chosen class and
 * review state (test_official.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "reportfix.h"
#include "testutil.h"

const char *rf_schemas(const char *dir)
{
	static char path[700];
	char out[256], err[1024];

	snprintf(path, sizeof path, "%s/schemas", dir);
	if (tu_runf(out, sizeof out, err, sizeof err, "mkdir -p %s/units && cp -r %s/forms %s/standards"
	            " %s/targets %s/ && cp %s/units/ninh-binh.json %s/units/", path, SAOLA_TEST_SCHEMAS,
	            SAOLA_TEST_SCHEMAS, SAOLA_TEST_SCHEMAS, path, SAOLA_TEST_SCHEMAS, path) != 0)
		fail_msg("schemas: %s", err);
	return path;
}

static void exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

void rf_reset(sqlite3 *db)
{
	exec(db, "DELETE FROM records; DELETE FROM facts; DELETE FROM listed;"
	         " DELETE FROM meta WHERE key IN ('facts_seq', 'facts_version')");
}

void rf_listed(sqlite3 *db, int year, const char *commune, long households)
{
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO listed(year, commune,"
	                 " households, source, loaded_at) VALUES (?1, ?2, ?3, 'test',"
	                 " '2025-01-01T00:00:00Z')", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int(st, 1, year);
	sqlite3_bind_text(st, 2, commune, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, households);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

void rf_add(sqlite3 *db, const rf_rec *r)
{
	static const char sql[] =
		"INSERT INTO records(id, form_id, form_version, data, versions, province, district,"
		" commune, created_at, updated_at, origin, seq, state)"
		" SELECT ?1, 'household', (SELECT version FROM forms WHERE id = 'household'"
		"  AND current = 1), ?2, json_object('_', json_array(c.value + 1, 'test')), '37',"
		" (SELECT parent FROM units WHERE code = ?3 LIMIT 1), ?3, '2025-10-01T00:00:00Z',"
		" '2025-10-01T00:00:00Z', 'test', c.value + 1, ?4"
		" FROM (SELECT coalesce((SELECT value FROM meta WHERE key = 'clock'), 0) AS value) c";
	json_t *d = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s?, s:s, s:i, s:i, s:[{s:s}, {s:s}]}",
	                      "province", "37", "commune", r->commune, "village", r->village,
	                      "survey_year", r->year, "head_name", r->head_name, "household_id",
	                      r->household_id, "classification", r->cls, "income_per_capita",
	                      1200000, "deprivation_count", strcmp(r->cls, "poor") == 0 ? 4 : 1,
	                      "members", "name", r->head_name, "name", "B");
	char *text = json_dumps(d, JSON_COMPACT);
	sqlite3_stmt *st = NULL;

	assert_non_null(text);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->commune, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->state, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		fail_msg("record %s: %s", r->id, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	exec(db, "INSERT OR REPLACE INTO meta(key, value) SELECT 'clock', max(seq) FROM records");
	free(text);
	json_decref(d);
}

void rf_communes(const char *date, char (*codes)[8], int cap, int *n)
{
	char path[700];
	json_error_t je;
	json_t *f, *u;
	size_t i;

	snprintf(path, sizeof path, "%s/units/ninh-binh.json", SAOLA_TEST_SCHEMAS);
	if (!(f = json_load_file(path, 0, &je)))
		fail_msg("%s: %s", path, je.text);
	*n = 0;
	json_array_foreach(json_object_get(f, "units"), i, u) {
		const char *from = json_string_value(json_object_get(u, "valid_from"));
		const char *to = json_string_value(json_object_get(u, "valid_to"));
		if (strcmp(json_string_value(json_object_get(u, "level")), "commune") != 0 ||
		    strcmp(from, date) > 0 || (to && strcmp(to, date) < 0) || *n == cap)
			continue;
		snprintf(codes[(*n)++], 8, "%s", json_string_value(json_object_get(u, "code")));
	}
	json_decref(f);
}
