/* unitsfx.c: the reorganisation fixture of unitsfx.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "report.h"
#include "db_sqlite.h"
#include "testutil.h"
#include "unitsfx.h"

static char root[512], schemas[600];

#define U(code, name, level, parent, urban, from, to) \
	"{\"code\": \"" code "\", \"name\": \"" name "\", \"level\": \"" level "\", \"parent\": " \
	parent ", \"urban\": " urban ", \"valid_from\": \"" from "\", \"valid_to\": " to

static const char old_file[] =
	"{\"id\": \"fx-old\", \"version\": \"2024\", \"units\": [\n"
	U("37", "Tỉnh Ninh Bình", "province", "null", "false", "2020-01-01", "\"2025-06-30\"") "},\n"
	U("372", "Huyện Nho Quan", "district", "\"37\"", "false", "2020-01-01", "\"2025-06-30\"") "},\n"
	U("375", "Huyện Yên Khánh", "district", "\"37\"", "false", "2020-01-01", "\"2025-06-30\"") "},\n"
	U("14404", "Xã Cúc Phương", "commune", "\"372\"", "false", "2020-01-01", "\"2025-06-30\"") "},\n"
	U("14407", "Xã Phú Sơn", "commune", "\"372\"", "false", "2020-01-01", "\"2025-06-30\"") "},\n"
	U("14410", "Xã Đức Long", "commune", "\"372\"", "false", "2020-01-01", "\"2025-06-30\"") "},\n"
	U("14560", "Xã Khánh An", "commune", "\"375\"", "false", "2020-01-01", "\"2025-06-30\"") "},\n"
	U("14563", "Xã Khánh Cư", "commune", "\"375\"", "false", "2020-01-01", "\"2025-06-30\"") "},\n"
	U("35", "Tỉnh Hà Nam", "province", "null", "false", "2020-01-01", "\"2025-06-30\"") "},\n"
	U("347", "Thành phố Phủ Lý", "district", "\"35\"", "true", "2020-01-01", "\"2025-06-30\"") "},\n"
	U("13000", "Xã Thử", "commune", "\"347\"", "false", "2020-01-01", "\"2025-06-30\"") "},\n"
	U("13003", "Xã Thử Hai", "commune", "\"347\"", "false", "2020-01-01", "\"2025-06-30\"") "}\n"
	"]}\n";

/* Named so that it loads before the old file: its links name units of a
 * later file. */
static const char new_file[] =
	"{\"id\": \"fx-new\", \"version\": \"2025\", \"units\": [\n"
	U("37", "Tỉnh Ninh Bình", "province", "null", "false", "2025-07-01", "null") "},\n"
	U("20001", "Xã Cúc Phương Mới", "commune", "\"37\"", "false", "2025-07-01", "null")
	", \"formed_from\": [{\"code\": \"14404\", \"whole\": true}, {\"code\": \"14407\", \"whole\": true}]},\n"
	U("20002", "Xã Đức Long Mới", "commune", "\"37\"", "false", "2025-07-01", "null")
	", \"formed_from\": [{\"code\": \"14410\", \"whole\": true}]},\n"
	U("20003", "Xã Khánh An Mới", "commune", "\"37\"", "false", "2025-07-01", "null")
	", \"formed_from\": [{\"code\": \"14560\", \"whole\": true}, {\"code\": \"14563\", \"whole\": false}]},\n"
	U("20004", "Phường Phủ Lý Mới", "commune", "\"37\"", "true", "2025-07-01", "null")
	", \"formed_from\": [{\"code\": \"14563\", \"whole\": false}, {\"code\": \"13000\", \"whole\": true}]},\n"
	U("20005", "Xã Hà Nam Mới", "commune", "\"37\"", "false", "2025-07-01", "null")
	", \"formed_from\": [{\"code\": \"13003\", \"whole\": true}]}\n"
	"]}\n";

static const char targets_file[] =
	"{\"id\": \"fx-targets\", \"province\": \"37\", \"title\": {\"vi\": \"Kế hoạch thử\","
	" \"en\": \"A test plan\"}, \"baseline_year\": 2021, \"target_year\": 2025,"
	" \"poor_reduction\": \"2/3\", \"coverage_target\": 1.0,"
	" \"baseline\": {\"37\": {\"poor\": 9}}}\n";

void ux_write(const char *dir, const char *name, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		fail_msg("write %s", path);
	fputs(text, f);
	fclose(f);
}

const char *ux_schemas(void)
{
	char path[700], src[700];
	static const char *const dirs[] = {"units", "targets"};
	static const char *const linked[] = {"forms", "standards"};
	size_t i;

	snprintf(root, sizeof root, "%s", tu_tmpdir("unitsfx"));
	snprintf(schemas, sizeof schemas, "%s/schemas", root);
	assert_int_equal(mkdir(schemas, 0700), 0);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/%s", schemas, dirs[i]);
		assert_int_equal(mkdir(path, 0700), 0);
		snprintf(path, sizeof path, "%s/%s", schemas, linked[i]);
		snprintf(src, sizeof src, "%s/%s", SAOLA_TEST_SCHEMAS, linked[i]);
		assert_int_equal(symlink(src, path), 0);
	}
	snprintf(path, sizeof path, "%s/units", schemas);
	ux_write(path, "a-new.json", new_file);
	ux_write(path, "b-old.json", old_file);
	snprintf(path, sizeof path, "%s/targets", schemas);
	ux_write(path, "fx.json", targets_file);
	return schemas;
}

saola__store *ux_store(const char *dir, sqlite3 **db)
{
	char path[1024], err[512];
	saola__store *s = NULL;

	snprintf(path, sizeof path, "%s/../server.db", dir);
	if (saola__store_sqlite_open(path, dir, 1, &s, err, sizeof err) != 0)
		fail_msg("open: %s", err);
	*db = saola__db_sqlite(saola__store_db(s));
	return s;
}

void ux_household(sqlite3 *db, const char *id, int year, const char *province,
                  const char *district, const char *commune, const char *household_id,
                  const char *cls)
{
	char data[1024];
	sqlite3_stmt *st = NULL;

	snprintf(data, sizeof data, "{\"province\":\"%s\",%s%s%s\"commune\":\"%s\","
	         "\"village\":\"Thôn 1\",\"survey_year\":%d,\"household_id\":\"%s\","
	         "\"classification\":\"%s\",\"_state\":\"approved\"}", province,
	         district ? "\"district\":\"" : "", district ? district : "", district ? "\"," : "",
	         commune, year, household_id, cls);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO records(id, form_id, form_version,"
	        " data, versions, province, district, commune, created_at, updated_at, origin,"
	        " seq, state) VALUES (?1, 'household', '1', ?2, '{}', ?3, ?4, ?5,"
	        " '2025-10-01T00:00:00Z', '2025-10-01T00:00:00Z', 'fixture',"
	        " (SELECT coalesce(max(seq), 0) + 1 FROM records), 'approved')", -1, &st, NULL),
	        SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, data, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, province, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, district, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, commune, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		fail_msg("household %s: %s", id, sqlite3_errmsg(db));
	sqlite3_finalize(st);
}

void ux_cleanup(void)
{
	if (root[0])
		tu_rmtree(root);
	root[0] = '\0';
}
