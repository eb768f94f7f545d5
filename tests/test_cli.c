/* test_cli.c: the saola command as a person uses it: init, put, get, list,
 * delete, import (all or nothing), export CSV, status, and its exit codes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define EXAMPLE \
	"{\"province\":\"37\",\"commune\":\"14404\",\"village\":\"Thôn Đồng Tâm\"," \
	"\"area\":\"rural\",\"survey_year\":2025,\"head_name\":\"Đinh Văn Hùng\"," \
	"\"agri_household\":true,\"income_per_capita\":1350000,\"has_house\":true," \
	"\"walls_durable\":true,\"frame_durable\":false,\"roof_durable\":false," \
	"\"house_area_m2\":30,\"water_source\":\"protected_dug_well\",\"latrine\":\"simple_pit\"," \
	"\"internet_use\":false,\"info_devices\":[\"radio\"],\"support_received\":[\"health_insurance\"]," \
	"\"poverty_causes\":[\"no_capital\",\"illness\"],\"members\":[" \
	"{\"name\":\"Đinh Văn Hùng\",\"sex\":\"male\",\"birth_year\":1971,\"relation\":\"head\",\"health_insurance\":true,\"employment\":\"self_employed\",\"education\":\"lower_secondary\",\"in_school\":false,\"disability\":false,\"undernourished\":false}," \
	"{\"name\":\"Bùi Thị Lan\",\"sex\":\"female\",\"birth_year\":1975,\"relation\":\"spouse\",\"health_insurance\":false,\"employment\":\"no_contract\",\"education\":\"primary\",\"in_school\":false,\"disability\":false,\"undernourished\":false}," \
	"{\"name\":\"Đinh Thị Mai\",\"sex\":\"female\",\"birth_year\":2015,\"relation\":\"child\",\"health_insurance\":true,\"employment\":\"not_working\",\"education\":\"primary\",\"in_school\":true,\"disability\":false,\"undernourished\":true}]}"

typedef struct fixture {
	char dir[512];
	char db[1024];
	char out[1 << 16];
	char err[1 << 14];
} fixture;

static fixture *fx_;

/* Runs "saola ARGS --db DB" with a shell; returns the exit code. */
static int run_saola(const char *fmt, ...)
{
	char args[4096], cmd[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof cmd, "cd '%s' && SAOLA_DB='%s' SAOLA_SCHEMAS='%s' '%s' %s",
	         fx_->dir, fx_->db, SAOLA_TEST_SCHEMAS, tu_bin("saola"), args);
	return tu_run(cmd, fx_->out, sizeof fx_->out, fx_->err, sizeof fx_->err);
}

static void write_file(const char *name, const char *text)
{
	FILE *f = fopen(tu_path(fx_->dir, name), "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	fx_ = calloc(1, sizeof *fx_);
	snprintf(fx_->dir, sizeof fx_->dir, "%s", tu_tmpdir("cli"));
	snprintf(fx_->db, sizeof fx_->db, "%s/device.db", fx_->dir);
	*state = fx_;
	return 0;
}

static int teardown(void **state)
{
	tu_rmtree(fx_->dir);
	free(fx_);
	(void)state;
	return 0;
}

static void test_usage_and_missing_db(void **state)
{
	(void)state;
	assert_int_equal(run_saola("frobnicate"), 2);
	assert_non_null(strstr(fx_->err, "unknown command"));
	assert_int_equal(run_saola("put"), 2);             /* no --form */
	assert_int_equal(run_saola("get"), 2);             /* no id */
	assert_int_equal(run_saola("list --bogus"), 2);
	assert_int_equal(run_saola("--help"), 0);
	assert_non_null(strstr(fx_->out, "import"));
	/* no database yet: a clear error, nothing created */
	assert_int_equal(run_saola("list"), 1);
	assert_non_null(strstr(fx_->err, "saola init"));
	assert_int_equal(tu_count(fx_->db, "SELECT 1"), -1);
}

static void test_put_get_list_delete(void **state)
{
	char id[64];

	(void)state;
	assert_int_equal(run_saola("init"), 0);
	assert_int_equal(run_saola("forms"), 0);
	assert_non_null(strstr(fx_->out, "household"));
	assert_non_null(strstr(fx_->out, "quick_id"));
	write_file("hh.json", EXAMPLE);
	assert_int_equal(run_saola("put --form household < hh.json"), 0);
	assert_int_equal(sscanf(fx_->out, "%63s", id), 1);
	assert_int_equal(strlen(id), 36);
	assert_int_equal(run_saola("get %s", id), 0);
	assert_non_null(strstr(fx_->out, "\"classification\": \"poor\""));
	assert_non_null(strstr(fx_->out, "\"deprivation_count\": 6"));
	assert_int_equal(run_saola("list"), 0);
	assert_non_null(strstr(fx_->out, id));
	assert_non_null(strstr(fx_->out, "Đinh Văn Hùng"));
	/* an update with only what changes */
	write_file("upd.json", "{\"income_per_capita\":1600000}");
	assert_int_equal(run_saola("put --form household --id %s < upd.json", id), 0);
	assert_int_equal(run_saola("get %s", id), 0);
	assert_non_null(strstr(fx_->out, "\"income_per_capita\": 1600000"));
	assert_non_null(strstr(fx_->out, "\"head_name\": \"Đinh Văn Hùng\""));
	/* above the rural line, and a farming household: average living standard */
	assert_non_null(strstr(fx_->out, "\"classification\": \"average\""));
	/* bad JSON on stdin names where */
	write_file("bad.json", "{\"income_per_capita\": }");
	assert_int_equal(run_saola("put --form household < bad.json"), 1);
	assert_non_null(strstr(fx_->err, "line 1"));
	assert_int_equal(run_saola("get nosuchid"), 1);
	assert_int_equal(run_saola("delete %s", id), 0);
	assert_int_equal(run_saola("delete %s", id), 1);
	assert_non_null(strstr(fx_->err, "already deleted"));
	assert_int_equal(run_saola("list"), 0);
	assert_null(strstr(fx_->out, id));
	assert_int_equal(run_saola("list --deleted"), 0);
	assert_non_null(strstr(fx_->out, id));
	assert_int_equal(run_saola("status"), 0);
	assert_non_null(strstr(fx_->out, "queued:     3 changes"));
}

static void test_import_all_or_nothing(void **state)
{
	uint64_t before;
	char cmd[2048];

	(void)state;
	assert_int_equal(run_saola("init"), 0);
	snprintf(cmd, sizeof cmd, "'%s' --count 200 --seed 5 --commune 14404 > '%s/v.jsonl'",
	         tu_bin("saola-gen"), fx_->dir);
	assert_int_equal(tu_run(cmd, NULL, 0, NULL, 0), 0);
	assert_int_equal(run_saola("import --form household v.jsonl"), 0);
	assert_non_null(strstr(fx_->out, "imported 200 records"));
	assert_int_equal(tu_count(fx_->db, "SELECT count(*) FROM records"), 200);
	assert_int_equal(tu_count(fx_->db, "SELECT count(*) FROM outbox"), 200);

	/* a bad line anywhere: nothing imported, the database as it was */
	before = tu_content_hash(fx_->db);
	snprintf(cmd, sizeof cmd, "cd '%s' && head -50 v.jsonl > bad.jsonl && "
	         "echo '{\"province\":\"37\",\"members\":[{\"birth_year\":\"abc\"}]}' >> bad.jsonl && "
	         "tail -20 v.jsonl >> bad.jsonl", fx_->dir);
	assert_int_equal(tu_run(cmd, NULL, 0, NULL, 0), 0);
	assert_int_equal(run_saola("import --form household bad.jsonl"), 1);
	assert_non_null(strstr(fx_->err, "line 51"));
	assert_non_null(strstr(fx_->err, "members[0].birth_year"));
	assert_true(tu_content_hash(fx_->db) == before);
	snprintf(cmd, sizeof cmd, "cd '%s' && head -1 v.jsonl > broken.jsonl && "
	         "echo '{not json' >> broken.jsonl", fx_->dir);
	assert_int_equal(tu_run(cmd, NULL, 0, NULL, 0), 0);
	assert_int_equal(run_saola("import --form household broken.jsonl"), 1);
	assert_non_null(strstr(fx_->err, "line 2"));
	assert_int_equal(run_saola("import --form nosuchform v.jsonl"), 1);
	assert_non_null(strstr(fx_->err, "nosuchform"));
	assert_int_equal(run_saola("import --form household missing.jsonl"), 1);
	assert_true(tu_content_hash(fx_->db) == before);
}

/* `saola submit --all`: every draft or returned household at once, in one
 * transaction; approved and submitted ones are left alone. */
static void test_submit_all(void **state)
{
	char cmd[2048];

	(void)state;
	assert_int_equal(run_saola("init"), 0);
	snprintf(cmd, sizeof cmd, "'%s' --count 6 --seed 9 --commune 14404 > '%s/v.jsonl'",
	         tu_bin("saola-gen"), fx_->dir);
	assert_int_equal(tu_run(cmd, NULL, 0, NULL, 0), 0);
	assert_int_equal(run_saola("import --form household v.jsonl"), 0);
	assert_int_equal(run_saola("submit --all some-id"), 2);
	assert_int_equal(run_saola("submit --form household"), 2);
	assert_int_equal(run_saola("submit --all --form nosuchform"), 0);
	assert_non_null(strstr(fx_->out, "submitted 0 records"));
	assert_int_equal(run_saola("submit --all --form household"), 0);
	assert_non_null(strstr(fx_->out, "submitted 6 records"));
	assert_int_equal(tu_count(fx_->db, "SELECT count(*) FROM records WHERE state = 'submitted'"),
	                 6);
	assert_int_equal(tu_count(fx_->db, "SELECT count(*) FROM outbox"), 12);
	assert_int_equal(run_saola("submit --all"), 0);
	assert_non_null(strstr(fx_->out, "submitted 0 records"));
}

static long count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	long n = 0;
	int c;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static void test_export_csv(void **state)
{
	char id[64], line[8192];
	FILE *f;

	(void)state;
	assert_int_equal(run_saola("init"), 0);
	write_file("hh.json", EXAMPLE);
	assert_int_equal(run_saola("put --form household < hh.json"), 0);
	assert_int_equal(sscanf(fx_->out, "%63s", id), 1);
	write_file("hh2.json", "{\"province\":\"37\",\"commune\":\"14404\","
	           "\"village\":\"Thôn 2, \\\"Bãi\\\"\",\"area\":\"rural\",\"survey_year\":2025,"
	           "\"head_name\":\"Lò Văn A\",\"agri_household\":false,\"income_per_capita\":5000000,"
	           "\"has_house\":false,\"water_source\":\"piped\",\"latrine\":\"septic\","
	           "\"internet_use\":true,\"info_devices\":[],\"support_received\":[],"
	           "\"poverty_causes\":[],\"members\":[{\"name\":\"Lò Văn A\",\"sex\":\"male\","
	           "\"birth_year\":1990,\"relation\":\"head\",\"health_insurance\":true,"
	           "\"employment\":\"contract\",\"education\":\"university\",\"in_school\":false,"
	           "\"disability\":false}]}");
	assert_int_equal(run_saola("put --form household < hh2.json"), 0);
	assert_int_equal(run_saola("export --form household --format csv --out hh"), 0);
	assert_int_equal(count_lines(tu_path(fx_->dir, "hh.csv")), 3);
	assert_int_equal(count_lines(tu_path(fx_->dir, "hh-members.csv")), 5);
	f = fopen(tu_path(fx_->dir, "hh.csv"), "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof line, f));
	assert_memory_equal(line, "\xEF\xBB\xBFid,survey_year,province,", 27); /* BOM; the year first (2026.1) */
	assert_non_null(strstr(line, "classification"));
	assert_non_null(fgets(line, sizeof line, f));
	assert_memory_equal(line, id, 36);
	assert_non_null(strstr(line, ",radio,"));
	assert_non_null(strstr(line, ",poor,"));
	assert_non_null(fgets(line, sizeof line, f));
	/* a cell with a comma and quotes is quoted, RFC 4180 */
	assert_non_null(strstr(line, "\"Thôn 2, \"\"Bãi\"\"\""));
	fclose(f);
	assert_int_equal(run_saola("export --form household --format csv --out - --no-bom"), 0);
	assert_memory_equal(fx_->out, "id,survey_year,province,", 24);
	assert_int_equal(run_saola("export --form household --format xml"), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_usage_and_missing_db, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_get_list_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_csv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_submit_all, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
