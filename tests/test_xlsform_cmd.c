/* test_xlsform_cmd.c: saola-server forms import and export, and saola forms
 * import, with XLSForms that saola_xlsform_write makes: a form in, out and
 * in again unchanged; a bad workbook, a type change and a removed choice
 * refused while stored records answer them, leaving the store as it was;
 * a compatible version loaded. On PostgreSQL too (test_xlsform_cmd_pg:
 * SAOLA_TEST_STORE=pg). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#include "testutil.h"
#include "pgtest.h"
#include "servertest.h"
#include "store.h"
#include "saola/xlsform.h"

/* Version 1 of a small form: an integer, a select_one, and a repeat with
 * a select_one inside. */
static const char *const TINY_V1 =
	"{\"id\": \"tiny\", \"version\": \"1\", \"title\": \"Tiny\","
	" \"choices\": {"
	"  \"water\": [{\"value\": \"tap\", \"label\": \"Tap\"}, {\"value\": \"well\", \"label\": \"Well\"},"
	"             {\"value\": \"bottled\", \"label\": \"Bottled\"}],"
	"  \"rel\": [{\"value\": \"head\", \"label\": \"Head\"}, {\"value\": \"other\", \"label\": \"Other\"}]},"
	" \"fields\": ["
	"  {\"name\": \"size\", \"type\": \"integer\", \"label\": \"Size\"},"
	"  {\"name\": \"remark\", \"type\": \"text\", \"label\": \"Remark\"},"
	"  {\"name\": \"water\", \"type\": \"select_one\", \"choices\": \"water\", \"label\": \"Water\"},"
	"  {\"name\": \"members\", \"type\": \"repeat\", \"label\": \"Members\", \"fields\": ["
	"    {\"name\": \"relation\", \"type\": \"select_one\", \"choices\": \"rel\", \"label\": \"Relation\"},"
	"    {\"name\": \"age\", \"type\": \"integer\", \"label\": \"Age\"}]}]}";

static char dir[1024];

static const char *server_bin(void)
{
	static char path[1024];

	snprintf(path, sizeof path, "%s/server/saola-server", SAOLA_TEST_BINDIR);
	return path;
}

/* TINY_V1 as version 2, changed by edit. New reference. */
static json_t *tiny_v2(void (*edit)(json_t *def))
{
	json_t *def = tu_json(TINY_V1);

	json_object_set_new(def, "version", json_string("2"));
	if (edit)
		edit(def);
	return def;
}

/* The field name among fields (the repeat's included). */
static json_t *field(json_t *def, const char *name)
{
	json_t *f, *g;
	size_t i, k;

	json_array_foreach(json_object_get(def, "fields"), i, f) {
		if (strcmp(json_string_value(json_object_get(f, "name")), name) == 0)
			return f;
		json_array_foreach(json_object_get(f, "fields"), k, g)
			if (strcmp(json_string_value(json_object_get(g, "name")), name) == 0)
				return g;
	}
	fail_msg("no field %s", name);
	return NULL;
}

/* Removes the choice value from list. */
static void drop_choice(json_t *def, const char *list, const char *value)
{
	json_t *arr = json_object_get(json_object_get(def, "choices"), list), *c;
	size_t i;

	json_array_foreach(arr, i, c)
		if (strcmp(json_string_value(json_object_get(c, "value")), value) == 0) {
			json_array_remove(arr, i);
			return;
		}
	fail_msg("no choice %s in %s", value, list);
}

static void size_as_text(json_t *def)
{
	json_object_set_new(field(def, "size"), "type", json_string("text"));
}

static void no_bottled(json_t *def)
{
	drop_choice(def, "water", "bottled");
}

static void no_other(json_t *def)
{
	drop_choice(def, "rel", "other");
}

static void age_as_text(json_t *def)
{
	json_object_set_new(field(def, "age"), "type", json_string("text"));
}

/* Compatible: a field added, an unused choice removed, a type changed
 * that no record answers, an integer made a decimal. */
static void compatible(json_t *def)
{
	json_array_append_new(json_object_get(def, "fields"),
	                      json_pack("{s:s, s:s, s:s}", "name", "phone", "type", "text",
	                                "label", "Phone"));
	drop_choice(def, "water", "well");
	json_object_set_new(field(def, "remark"), "type", json_string("integer"));
	json_object_set_new(field(def, "size"), "type", json_string("decimal"));
}

/* Writes def as an XLSForm at dir/name; the path. */
static const char *xlsx_of(const json_t *def, const char *name)
{
	char *text = json_dumps(def, JSON_COMPACT), err[512];
	const char *path = tu_path(dir, name);

	if (saola_xlsform_write(text, path, err, sizeof err) != SAOLA_OK)
		fail_msg("write %s: %s", name, err);
	free(text);
	return path;
}

/* A workbook whose survey has a type saola lacks, on row 2. */
static const char *bad_xlsx(void)
{
	const char *path = tu_path(dir, "bad.xlsx");
	lxw_workbook *wb = workbook_new(path);
	lxw_worksheet *survey = workbook_add_worksheet(wb, "survey");
	lxw_worksheet *settings = workbook_add_worksheet(wb, "settings");

	worksheet_write_string(survey, 0, 0, "type", NULL);
	worksheet_write_string(survey, 0, 1, "name", NULL);
	worksheet_write_string(survey, 0, 2, "label", NULL);
	worksheet_write_string(survey, 1, 0, "geopoint", NULL);
	worksheet_write_string(survey, 1, 1, "where", NULL);
	worksheet_write_string(survey, 1, 2, "Where", NULL);
	worksheet_write_string(settings, 0, 0, "form_id", NULL);
	worksheet_write_string(settings, 1, 0, "tiny", NULL);
	assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
	return path;
}

/* The current definition of tiny as forms export --format json gives it.
 * New reference. */
static json_t *exported(const char *db)
{
	static char out[65536], err[4096];
	int rc = tu_runf(out, sizeof out, err, sizeof err, "%s forms export --db '%s' tiny"
	                 " --format json", server_bin(), db);

	if (rc != 0)
		fail_msg("forms export: %d: %s", rc, err);
	return tu_json(out);
}

/* Stores a record of tiny through the store, as an upstream server's. */
static void store_record(const char *db, const char *id, json_t *data)
{
	saola__store *s = sv_store(db);
	saola__change_result res;
	saola__apply_ctx ctx;
	json_t *vs = json_object(), *change;
	const char *path;
	json_t *v;

	/* Every answer at version 1 of one device, a repeat item's position
	 * and answers too (docs/protocol.md, "Paths"). */
	json_object_foreach(data, path, v) {
		json_t *item, *answer;
		const char *name;
		char at[128];
		size_t i;

		json_object_set_new(vs, path, json_pack("[i, s]", 1, "0123456789abcdef"));
		json_array_foreach(v, i, item) {
			const char *iid = json_string_value(json_object_get(item, "_id"));
			json_object_del(vs, path);
			snprintf(at, sizeof at, "%s.%s", path, iid);
			json_object_set_new(vs, at, json_pack("[i, s]", 1, "0123456789abcdef"));
			json_object_foreach(item, name, answer) {
				if (strcmp(name, "_id") == 0)
					continue;
				snprintf(at, sizeof at, "%s.%s.%s", path, iid, name);
				json_object_set_new(vs, at, json_pack("[i, s]", 1, "0123456789abcdef"));
			}
		}
	}
	change = json_pack("{s:s, s:s, s:s, s:o, s:o}", "r", id, "f", "tiny", "fv", "1",
	                   "d", data, "vs", vs);
	memset(&ctx, 0, sizeof ctx);
	ctx.now = "2026-01-02T00:00:00Z";
	ctx.source = "upstream";
	assert_int_equal(s->ops->write_begin(s, 1), SAOLA_OK);
	if (s->ops->apply(s, change, &ctx, NULL, &res) != SAOLA_OK)
		fail_msg("apply: %s", s->ops->errmsg(s));
	assert_int_equal(s->ops->end(s, 1), SAOLA_OK);
	json_decref(change);
	saola__store_close(s);
}

static void test_server_import_export(void **state)
{
	static char out[4096], err[4096];
	json_t *v1 = tu_json(TINY_V1), *got, *again;
	const char *db;
	int rc;

	(void)state;
	snprintf(dir, sizeof dir, "%s", tu_tmpdir("xlsform_cmd"));
	db = pgt_db(tu_path(dir, "server.db"));
	saola__store_close(sv_store_new(db));

	rc = tu_runf(out, sizeof out, err, sizeof err, "%s forms import --db '%s' '%s'",
	             server_bin(), db, xlsx_of(v1, "tiny.xlsx"));
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "imported form tiny version 1 from "));
	got = exported(db);
	assert_true(json_equal(got, v1));

	/* Out as an XLSForm and in again: the same definition. */
	rc = tu_runf(out, sizeof out, err, sizeof err, "%s forms export --db '%s' tiny --format xlsx"
	             " --out '%s'", server_bin(), db, tu_path(dir, "out.xlsx"));
	assert_int_equal(rc, 0);
	rc = tu_runf(out, sizeof out, err, sizeof err, "%s forms import --db '%s' '%s'",
	             server_bin(), db, tu_path(dir, "out.xlsx"));
	assert_int_equal(rc, 0);
	again = exported(db);
	assert_true(json_equal(again, v1));

	rc = tu_runf(out, sizeof out, err, sizeof err, "%s forms export --db '%s' nobody"
	             " --format json", server_bin(), db);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(err, "forms export: no form nobody"));
	rc = tu_runf(out, sizeof out, err, sizeof err, "%s forms export --db '%s' tiny --format xlsx",
	             server_bin(), db);
	assert_int_equal(rc, 2);
	rc = tu_runf(out, sizeof out, err, sizeof err, "%s forms import --db '%s'", server_bin(), db);
	assert_int_equal(rc, 2);
	json_decref(got);
	json_decref(again);
	json_decref(v1);
}

static void test_server_refusals(void **state)
{
	static const struct {
		const char *name;
		void (*edit)(json_t *def);
		int bad_workbook;
		int exit;
		const char *message;    /* in stderr */
	} cases[] = {
		{"bad workbook", NULL, 1, 1, "forms import: "},
		{"type changed", size_as_text, 0, 1,
		 "form tiny 2: field size: type integer \xe2\x86\x92 text, but 2 stored records have"
		 " answers to it"},
		{"choice gone", no_bottled, 0, 1,
		 "form tiny 2: field water: choice 'bottled' is gone, but 1 stored record answers it"},
		{"repeat choice gone", no_other, 0, 1,
		 "field members[*].relation: choice 'other' is gone, but 1 stored record answers it"},
		{"repeat type changed", age_as_text, 0, 1,
		 "field members[*].age: type integer \xe2\x86\x92 text, but 1 stored record has"},
		{"compatible", compatible, 0, 0, "imported form tiny version 2"},
	};
	static char out[4096], err[4096];
	json_t *v1 = tu_json(TINY_V1);
	const char *db = pgt_db(tu_path(dir, "server.db"));
	size_t i;

	(void)state;
	store_record(db, "00000000-0000-4000-8000-000000000001",
	             json_pack("{s:i, s:s, s:[{s:s, s:s, s:i}]}", "size", 3, "water", "bottled",
	                       "members", "_id", "00000001", "relation", "other", "age", 40));
	store_record(db, "00000000-0000-4000-8000-000000000002",
	             json_pack("{s:i, s:s}", "size", 2, "water", "tap"));
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *def = tiny_v2(cases[i].edit), *now;
		const char *file = cases[i].bad_workbook ? bad_xlsx() : xlsx_of(def, "v2.xlsx");
		int rc = tu_runf(out, sizeof out, err, sizeof err, "%s forms import --db '%s' '%s'",
		                 server_bin(), db, file);

		if (rc != cases[i].exit || !strstr(cases[i].exit ? err : out, cases[i].message))
			fail_msg("%s: exit %d: %s%s", cases[i].name, rc, out, err);
		if (cases[i].bad_workbook)
			assert_non_null(strstr(err, "survey!A2"));
		now = exported(db);
		/* A refusal changes nothing; the compatible version is current. */
		assert_true(json_equal(now, cases[i].exit ? v1 : def));
		json_decref(now);
		json_decref(def);
	}
	json_decref(v1);
}

/* The device: saola forms import into a database, then a version its
 * stored record would break refused there too. */
static void test_device_import(void **state)
{
	static char out[4096], err[4096];
	json_t *v1 = tu_json(TINY_V1), *v2 = tiny_v2(no_bottled);
	const char *dev = tu_path(dir, "device.db");
	int rc;

	(void)state;
	rc = tu_runf(out, sizeof out, err, sizeof err, "%s forms import --db '%s' '%s'",
	             tu_bin("saola"), dev, xlsx_of(v1, "tiny.xlsx"));
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "imported form tiny version 1"));
	rc = tu_runf(out, sizeof out, err, sizeof err, "%s forms --db '%s'", tu_bin("saola"), dev);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "tiny"));
	rc = tu_runf(out, sizeof out, err, sizeof err, "echo '{\"water\": \"bottled\"}' | %s put"
	             " --db '%s' --form tiny", tu_bin("saola"), dev);
	assert_int_equal(rc, 0);
	rc = tu_runf(out, sizeof out, err, sizeof err, "%s forms import --db '%s' '%s'",
	             tu_bin("saola"), dev, xlsx_of(v2, "v2.xlsx"));
	assert_int_equal(rc, 1);
	assert_non_null(strstr(err, "field water: choice 'bottled' is gone, but 1 stored record"
	                            " answers it"));
	rc = tu_runf(out, sizeof out, err, sizeof err, "%s forms --db '%s'", tu_bin("saola"), dev);
	assert_non_null(strstr(out, "tiny         1 "));
	rc = tu_runf(out, sizeof out, err, sizeof err, "%s forms export --db '%s' tiny --out '%s'",
	             tu_bin("saola"), dev, tu_path(dir, "dev.xlsx"));
	assert_int_equal(rc, 0);
	json_decref(v1);
	json_decref(v2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_import_export),
		cmocka_unit_test(test_server_refusals),
		cmocka_unit_test(test_device_import),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	tu_rmtree(dir);
	return rc;
}
