/* dashboard_fixture.c: the dashboard test's data, written through the
 * server's store so that it lands alike in a SQLite file or a PostgreSQL
 * database: households pushed by the district officer's device (the
 * store's apply; not a surveyor's, whose new records must pass every
 * constraint: the generator's need not, as with `saola import`), then two
 * surveyors' devices and a few conflicts, as syncs would have left them
 * (the page shows them; how they came does not matter here).
 *
 * Usage: dashboard_fixture DB HOUSEHOLDS.jsonl
 * DB is what saola-server's --db takes (a path or a postgresql:// URI);
 * its users officer-372, surveyor-14404 and surveyor-14383 must exist. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "saola/core.h"
#include "saola_form.h"
#include "saola_util.h"
#include "store_sql.h"

/* The device that pushes the households (not one of the two listed). */
#define IMPORT_DEVICE "5a0f1c2d3e4b5a69"

static const char devices_conflicts_sql[] =
	"INSERT INTO devices(origin, user_id, first_seen, last_sync, acked)"
	"  SELECT 'a1b2c3d4e5f60718', id, '2025-09-02T01:10:00Z', '2025-10-06T09:41:00Z', 212"
	"  FROM users WHERE name = 'surveyor-14404';"
	"INSERT INTO devices(origin, user_id, first_seen, last_sync, acked)"
	"  SELECT '0f1e2d3c4b5a6978', id, '2025-09-03T02:00:00Z', '2025-10-05T16:05:00Z', 180"
	"  FROM users WHERE name = 'surveyor-14383';"
	"INSERT INTO conflicts(record_id, path, lost_value, lost_version, kept_value, kept_version,"
	"  stored_lost, device, user_id, at)"
	"  SELECT id, 'income_per_capita', '1350000', '[14,\"a1b2c3d4e5f60718\"]', '1600000',"
	"  '[15,\"0f1e2d3c4b5a6978\"]', 0, 'a1b2c3d4e5f60718',"
	"  (SELECT id FROM users WHERE name = 'surveyor-14404'), '2025-10-06T09:41:00Z'"
	"  FROM records WHERE commune = '14404' AND deleted = 0 ORDER BY records.id LIMIT 3";

/* Pushes every household of the JSON Lines file path as a new record of
 * u's device, in one write transaction. Returns how many, or -1 (said). */
static long push(saola__store *s, const saola__user *u, const char *path)
{
	static char line[1 << 20];
	saola__change_result res;
	saola__apply_ctx ctx;
	saola__form *form = NULL;
	json_error_t je;
	long n = 0;
	FILE *f;

	if (!(f = fopen(path, "r"))) {
		perror(path);
		return -1;
	}
	if (!saola__store_forms_engine(s) ||
	    saola__form_lookup(saola__store_forms_engine(s), "household", &form) != SAOLA_OK) {
		fprintf(stderr, "dashboard_fixture: no household form\n");
		fclose(f);
		return -1;
	}
	memset(&ctx, 0, sizeof ctx);
	ctx.device = IMPORT_DEVICE, ctx.user = u, ctx.batch = "dashboard-fixture";
	ctx.now = "2025-10-01T00:00:00Z";
	if (s->ops->write_begin(s, 1) != SAOLA_OK) {
		fprintf(stderr, "dashboard_fixture: begin: %s\n", s->ops->errmsg(s));
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		json_t *h = json_loads(line, 0, &je), *m, *change = NULL;
		char id[37], mid[24];
		size_t i;
		if (!h) {
			fprintf(stderr, "dashboard_fixture: %s: line %ld: %s\n", path, n + 1, je.text);
			n = -1;
			break;
		}
		json_array_foreach(json_object_get(h, "members"), i, m) {
			snprintf(mid, sizeof mid, "%08zx", i + 1);
			json_object_set_new(m, "_id", json_string(mid));
		}
		if (saola__uuid(id) != 0 ||
		    !(change = json_pack("{s:s, s:s, s:s, s:o, s:{s:i}}", "r", id, "f", "household",
		                         "fv", saola__form_version(form), "d", h, "vs", "_", 1)) ||
		    s->ops->apply(s, change, &ctx, NULL, &res) != SAOLA_OK) {
			fprintf(stderr, "dashboard_fixture: %s: line %ld: %s\n", path, n + 1,
			        change ? s->ops->errmsg(s) : "out of memory");
			json_decref(change);
			n = -1;
			break;
		}
		json_decref(change);
		n++;
	}
	fclose(f);
	if (s->ops->end(s, n >= 0) != SAOLA_OK && n >= 0) {
		fprintf(stderr, "dashboard_fixture: commit: %s\n", s->ops->errmsg(s));
		n = -1;
	}
	return n;
}

int main(int argc, char **argv)
{
	saola__store *s = NULL;
	saola__user u;
	char err[512];
	int found = 0, rc = 1;
	long n;

	if (argc != 3) {
		fprintf(stderr, "usage: dashboard_fixture DB HOUSEHOLDS.jsonl\n");
		return 2;
	}
	if (saola__store_open(argv[1], NULL, 0, &s, err, sizeof err) != SAOLA_OK) {
		fprintf(stderr, "dashboard_fixture: %s\n", err);
		return 1;
	}
	if (s->ops->user_by_name(s, "officer-372", &u, &found) != SAOLA_OK || !found) {
		fprintf(stderr, "dashboard_fixture: no user officer-372\n");
		goto out;
	}
	if ((n = push(s, &u, argv[2])) < 0)
		goto out;
	if (saola__db_exec(saola__store_db(s), devices_conflicts_sql) != SAOLA_OK) {
		fprintf(stderr, "dashboard_fixture: devices and conflicts: %s\n",
		        saola__db_errmsg(saola__store_db(s)));
		goto out;
	}
	printf("dashboard_fixture: %ld households, 2 devices, 3 conflicts\n", n);
	rc = 0;
out:
	saola__store_close(s);
	return rc;
}
