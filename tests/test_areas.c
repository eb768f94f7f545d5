/* test_areas.c: one area rule on every path across the reorganisation of
 * 1 July 2025 (docs/security.md, "Areas across the reorganisation of
 * 2025"), over the fixture of support/unitsfx.c: a district officer of old
 * 372 pulls, exports, lists, reports on and downloads the 2025 households
 * of the new communes formed wholly from 372 (20001, 20002), not those of
 * 20003 (of old 375) or 20004 (split, part of old 35); a commune officer
 * of 14410 holds 20002 (formed from 14410 alone) and one of 14404 does not
 * hold 20001 (more than 14404); and every read answers as the write rule
 * (saola__rules_area) does, record by record. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bundle.h"
#include "lists.h"
#include "officer.h"
#include "permissions.h"
#include "report.h"
#include "rules.h"
#include "servertest.h"
#include "store.h"
#include "testutil.h"
#include "unitsfx.h"
#include "users.h"

static struct {
	const char *schemas;
	saola__store *store;
	sqlite3 *db;
} F;

/* The store's SQL connection (db.h). */
static saola__db *conn(void)
{
	return saola__store_db(F.store);
}

/* id, year, district (NULL none), commune, household. */
static const struct hh {
	const char *id;
	int year;
	const char *district, *commune, *household;
} households[] = {
	{"r01", 2024, "372", "14404", "H1"},
	{"r02", 2024, "372", "14407", "H2"},
	{"r03", 2024, "375", "14563", "H3"},
	{"r04", 2024, "375", "14560", "H4"},
	{"r05", 2024, "372", "14410", "H5"},
	{"r11", 2025, NULL, "20001", "H1"},   /* wholly of 372 */
	{"r12", 2026, NULL, "20001", "H2"},   /* a later year reads the latest units */
	{"r13", 2025, NULL, "20004", "H3"},   /* part of 375 and of old 35 */
	{"r14", 2025, NULL, "20003", "H4"},   /* of 375 only, 14563 split */
	{"r16", 2025, NULL, "20002", "H6"},   /* of 14410 alone */
	{"r18", 2025, NULL, "20005", "H8"},   /* of old 35 */
	{"r19", 2031, NULL, "20002", "H9"},   /* years past every unit's change */
};
#define N_HH (sizeof households / sizeof households[0])

/* Each area and the records it holds (ids, space-separated, in order). */
static const struct {
	const char *area, *ids;
} areas[] = {
	{"372", "r01 r02 r05 r11 r12 r16 r19"},
	{"375", "r03 r04 r14"},
	{"14410", "r05 r16 r19"},
	{"14404", "r01"},
	{"14563", "r03"},
	{"20001", "r11 r12"},
	{"20004", "r13"},
	{"37", "r01 r02 r03 r04 r05 r11 r12 r13 r14 r16 r18 r19"},
	{"35", ""},
};
#define N_AREAS (sizeof areas / sizeof areas[0])

static int setup(void **state)
{
	size_t i;

	(void)state;
	F.schemas = ux_schemas();
	F.store = ux_store(F.schemas, &F.db);
	for (i = 0; i < N_HH; i++) {
		const struct hh *h = &households[i];
		ux_household(F.db, h->id, h->year, "37", h->district, h->commune, h->household,
		             "poor");
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	saola__store_close(F.store);
	ux_cleanup();
	return 0;
}

/* The role of an area by its length. */
static const char *role_of(const char *area)
{
	size_t n = strlen(area);

	return n == 2 ? "province" : n == 3 ? "district" : "commune";
}

/* The ids of an array of objects with key, space-separated, sorted. */
static void ids_of(json_t *arr, const char *key, char *buf, size_t len)
{
	const char *v[64];
	size_t n = 0, i, j, off = 0;
	json_t *o;

	json_array_foreach(arr, i, o)
		if (n < 64)
			v[n++] = json_string_value(json_object_get(o, key));
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			const char *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s", i ? " " : "", v[i]);
}

/* A sync's pull and a pull bundle use the store's pull: by area. */
static void test_pull_by_area(void **state)
{
	char got[512];
	size_t i;

	(void)state;
	for (i = 0; i < N_AREAS; i++) {
		json_t *recs = json_array();
		int64_t next;
		int more;
		assert_int_equal(F.store->ops->read_begin(F.store), SAOLA_OK);
		assert_int_equal(F.store->ops->pull(F.store, areas[i].area, NULL, 0, 100, 1 << 20, recs,
		                                    &next, &more), SAOLA_OK);
		F.store->ops->end(F.store, 1);
		ids_of(recs, "r", got, sizeof got);
		if (strcmp(got, areas[i].ids) != 0)
			fail_msg("pull of %s: got \"%s\", expected \"%s\"", areas[i].area, got,
			         areas[i].ids);
		json_decref(recs);
	}
}

/* The read's answer is the write rule's, record by record. */
static void test_reads_follow_write_rule(void **state)
{
	saola__rules r;
	saola__user u;
	saola__units units;
	saola__err e;
	size_t i, k;

	(void)state;
	for (i = 0; i < N_AREAS; i++)
		for (k = 0; k < N_HH; k++) {
			const struct hh *h = &households[k];
			int writes, reads;
			char id[8];
			memset(&u, 0, sizeof u);
			snprintf(u.role, sizeof u.role, "%s", role_of(areas[i].area));
			snprintf(u.area, sizeof u.area, "%s", areas[i].area);
			saola__units_set(&units, "37", h->district, h->commune);
			saola__rules_init(&r, conn());
			writes = saola__rules_area(&r, &u, &units, h->year, "test", &e) == 0;
			snprintf(id, sizeof id, "%s", h->id);
			reads = strstr(areas[i].ids, id) != NULL;
			if (writes != reads)
				fail_msg("%s %s, record %s (%d, commune %s): writes %s, reads %s", u.role,
				         u.area, h->id, h->year, h->commune, writes ? "yes" : "no",
				         reads ? "yes" : "no");
		}
}

/* A unit asked for (a report's, a list's area) as the rule says. */
static void test_area_within(void **state)
{
	static const struct {
		const char *code, *area;
		int year, within;
	} cases[] = {
		{"20001", "372", 2025, 1}, {"20002", "372", 2025, 1}, {"20003", "372", 2025, 0},
		{"20004", "375", 2025, 0}, {"20003", "375", 2025, 1}, {"20001", "372", 0, 1},
		{"20002", "14410", 2025, 1}, {"20001", "14404", 2025, 0}, {"14404", "372", 2024, 1},
		{"14404", "375", 2024, 0}, {"20005", "35", 2025, 0}, {"20001", "372", 2024, 0},
	};
	size_t i;
	int within;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(saola__area_within(conn(), cases[i].code, cases[i].area, cases[i].year,
		                                    &within), 0);
		if (within != cases[i].within)
			fail_msg("%s in %s (%d): %d, expected %d", cases[i].code, cases[i].area,
			         cases[i].year, within, cases[i].within);
	}
}

/* Reports and lists: the scope check. */
static void test_report_and_lists_scope(void **state)
{
	static const struct {
		const char *scope, *area;
		int status;       /* 0: allowed; else the error's status */
	} cases[] = {
		{"372", "20001", 0}, {"372", "20002", 0}, {"372", "20003", 403}, {"372", "20004", 403},
		{"375", "20001", 403}, {"14410", "20002", 0}, {"14404", "20001", 403},
		{"20001", "20002", 403},
	};
	saola__report_req rq;
	saola__lists_req lq;
	saola__err e;
	json_t *out;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&rq, 0, sizeof rq);
		rq.area = cases[i].area;
		rq.scope = cases[i].scope;
		rq.year = 2025;
		rq.by = -1;
		rq.schemas = F.schemas;
		out = NULL;
		rc = saola__report_run(saola__store_db(F.store), &rq, &out, &e);
		if (rc != 0 ? saola__err_status(&e) != cases[i].status : cases[i].status != 0)
			fail_msg("report of %s for %s: %s", cases[i].area, cases[i].scope,
			         rc ? e.message : "allowed");
		json_decref(out);
		memset(&lq, 0, sizeof lq);
		lq.commune = cases[i].area;
		lq.scope = cases[i].scope;
		lq.year = 2025;
		out = NULL;
		rc = saola__lists_run(saola__store_db(F.store), &lq, &out, &e);
		if (rc != 0 ? saola__err_status(&e) != cases[i].status : cases[i].status != 0)
			fail_msg("lists of %s for %s: %s", cases[i].area, cases[i].scope,
			         rc ? e.message : "allowed");
		json_decref(out);
	}
}

/* Conflicts on r01 r11 r13 r14 r16. */
static void add_conflicts(void)
{
	static const char *const on[] = {"r01", "r11", "r13", "r14", "r16"};
	char sql[256];
	size_t i;

	for (i = 0; i < sizeof on / sizeof on[0]; i++) {
		snprintf(sql, sizeof sql, "INSERT INTO conflicts(record_id, path, lost_version,"
		         " kept_version, stored_lost, at) VALUES ('%s', 'village', '[1,\"a\"]',"
		         " '[2,\"b\"]', 0, '2025-10-02T00:00:00Z')", on[i]);
		assert_int_equal(sqlite3_exec(F.db, sql, NULL, NULL, NULL), SQLITE_OK);
	}
}

/* The ids of the records an area filter keeps, space-separated, in id
 * order: by the condition's SQL over the year in the record's JSON (in
 * SQLite's own SQL, as only a test may), or, with in_c, by
 * saola__area_q_match() over every record with the year read in C. */
static void area_q_ids(const saola__area_q *q, int in_c, char *buf, size_t len)
{
	saola__db *db = conn();
	saola__dbstmt *st = NULL;
	char cond[512], sql[700];
	size_t off = 0;
	json_t *data;
	int step, keep;

	saola__area_q_cond(q, "r", in_c ? NULL : "json_extract(r.data, '$.survey_year')", cond,
	                   sizeof cond);
	snprintf(sql, sizeof sql, "SELECT r.id, r.province, r.district, r.commune, r.data"
	         " FROM records r WHERE %s ORDER BY r.id", in_c ? "1 = 1" : cond);
	assert_int_equal(saola__db_prepare(db, sql, &st), SAOLA_OK);
	if (!in_c)
		saola__area_q_cond_bind(q, st, 1);
	buf[0] = '\0';
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW) {
		data = json_loads(saola__db_column_text(st, 4), 0, NULL);
		keep = !in_c || saola__area_q_match(q, saola__db_column_text(st, !q->level ? 1
		                                    : strcmp(q->level, "province") == 0 ? 1
		                                    : strcmp(q->level, "district") == 0 ? 2 : 3),
		                                    saola__db_column_text(st, 2),
		                                    saola__db_column_text(st, 3),
		                                    json_object_get(data, "survey_year"));
		if (keep)
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s",
			                        off ? " " : "", saola__db_column_text(st, 0));
		json_decref(data);
	}
	assert_int_equal(step, SAOLA__DB_DONE);
	saola__db_finalize(st);
}

/* The area filter of reads, in portable SQL and in C: the records each
 * area holds, across the reorganisation (a gone district's keys). */
static void test_area_q_portable(void **state)
{
	saola__area_q q;
	char got[256];
	size_t i;
	int in_c;

	(void)state;
	for (i = 0; i < N_AREAS; i++)
		for (in_c = 0; in_c <= 1; in_c++) {
			assert_int_equal(saola__area_q_init(&q, conn(), areas[i].area),
			                 0);
			area_q_ids(&q, in_c, got, sizeof got);
			saola__area_q_free(&q);
			if (strcmp(got, areas[i].ids) != 0)
				fail_msg("area %s (%s): got \"%s\", expected \"%s\"", areas[i].area,
				         in_c ? "in C" : "in SQL", got, areas[i].ids);
		}
}

/* The conflicts of an area (the officers' command). */
static void test_conflicts_by_area(void **state)
{
	/* limit: the newest first (0: all); a gone district's keep in C. */
	static const struct {
		const char *area;
		long limit;
		const char *ids;
	} cases[] = {
		{"372", 0, "r01 r11 r16"}, {"375", 0, "r14"}, {"14410", 0, "r16"},
		{"20004", 0, "r13"}, {"37", 0, "r01 r11 r13 r14 r16"},
		{"372", 2, "r11 r16"}, {"372", 1, "r16"}, {"37", 2, "r14 r16"}, {"375", 5, "r14"},
	};
	saola__err e;
	json_t *list;
	char got[256];
	size_t i;

	(void)state;
	add_conflicts();
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (saola__conflict_list(F.store, "all", cases[i].area, cases[i].limit, &list, &e) != 0)
			fail_msg("conflicts of %s: %s", cases[i].area, e.message);
		ids_of(list, "record_id", got, sizeof got);
		if (strcmp(got, cases[i].ids) != 0)
			fail_msg("conflicts of %s (limit %ld): got \"%s\", expected \"%s\"",
			         cases[i].area, cases[i].limit, got, cases[i].ids);
		json_decref(list);
	}
	assert_int_equal(sqlite3_exec(F.db, "DELETE FROM conflicts", NULL, NULL, NULL), SQLITE_OK);
}

/* A user of role and area, with the permission "personal" above the
 * commune (a pull makes a replica). */
static void user(const char *name, const char *role, const char *area,
                 char token[SAOLA__TOKEN_HEX + 1])
{
	saola__err e;

	if (saola__user_create(F.store, name, role, area, token, &e) != 0)
		fail_msg("user %s: %s", name, e.message);
	if (strlen(area) < 5 && saola__user_permit(F.store, name, "personal", 1, NULL, &e) != 0)
		fail_msg("permit %s: %s", name, e.message);
}

/* The users of the HTTP paths and what each is to get. */
static const struct pcase {
	const char *name, *role, *area, *ids, *csv_2025, *conflicts, *devices, *years;
} pcases[] = {
	{"d372", "district", "372", "r01 r02 r05 r11 r12 r16 r19", "r11 r16", "r01 r11 r16",
	 "dev-c14410 dev-d372 dev-s14404 dev-s20001", "[2024]"},
	{"d375", "district", "375", "r03 r04 r14", "r14", "r14", "dev-d375", "[2024]"},
	{"c14410", "commune", "14410", "r05 r16 r19", "r16", "r16", "dev-c14410", "[2024]"},
	{"s20001", "surveyor", "20001", "r11 r12", "r11", NULL, NULL, NULL},
	{"s14404", "surveyor", "14404", "r01", "", NULL, NULL, NULL},
};
#define N_PCASES (sizeof pcases / sizeof pcases[0])

/* GETs path (or POSTs body) as token; the ids (key) of the answer's array
 * arr must be want. */
static void expect_ids(const char *url, const char *path, const char *token, const char *body,
                       const char *arr, const char *key, const char *want)
{
	sv_resp r = sv_http(url, body ? "POST" : "GET", path, token, NULL, body,
	                    body ? strlen(body) : 0, 0);
	char got[256];

	if (r.status != 200 || !r.json)
		fail_msg("%s: %ld %s", path, r.status, r.body);
	ids_of(json_object_get(r.json, arr), key, got, sizeof got);
	if (strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", expected \"%s\"", path, got, want);
	sv_resp_free(&r);
}

/* A sync's pull from device dev-<name>: the records of the area. */
static void expect_sync(const char *url, const struct pcase *c, const char *token)
{
	char device[32], *body;
	json_t *req;

	snprintf(device, sizeof device, "dev-%s", c->name);
	req = sv_request(NULL, device, 0, 100, NULL);
	body = json_dumps(req, JSON_COMPACT);
	expect_ids(url, "/v1/sync", token, body, "records", "r", c->ids);
	free(body);
	json_decref(req);
}

/* households.csv of 2025: every 2025 record of the area, no other. */
static void expect_csv(const char *url, const struct pcase *c, const char *token)
{
	sv_resp r = sv_http(url, "GET", "/v1/households.csv?year=2025", token, NULL, NULL, 0, 0);
	char want[16];
	size_t k;

	if (r.status != 200)
		fail_msg("households.csv of %s: %ld %s", c->area, r.status, r.body);
	for (k = 0; k < N_HH; k++) {
		snprintf(want, sizeof want, "\n%s,", households[k].id);
		if ((strstr(r.body, want) != NULL) !=
		    (households[k].year == 2025 && strstr(c->csv_2025, households[k].id) != NULL))
			fail_msg("households.csv of %s, %s: %s", c->area, households[k].id, r.body);
	}
	sv_resp_free(&r);
}

/* The dashboard's years of the area (GET /v1/reports). */
static void expect_years(const char *url, const struct pcase *c, const char *token)
{
	sv_resp r = sv_http(url, "GET", "/v1/reports", token, NULL, NULL, 0, 0);
	char *ys;

	assert_int_equal(r.status, 200);
	ys = json_dumps(json_object_get(r.json, "years"), JSON_COMPACT);
	if (!ys || strcmp(ys, c->years) != 0)
		fail_msg("years of %s: %s, expected %s", c->area, ys, c->years);
	free(ys);
	sv_resp_free(&r);
}

/* The dashboard of a province user: every year after the reorganisation
 * is said to have no districts (the page then offers the commune), and the
 * server agrees: by commune 200, by district 400. */
static void expect_no_district_years(const char *url, const char *token)
{
	sv_resp r = sv_http(url, "GET", "/v1/reports", token, NULL, NULL, 0, 0);
	json_t *ys = json_object_get(r.json, "years"), *nd = json_object_get(r.json,
	                                                                      "no_district_years");
	json_t *y, *z;
	size_t i, j;
	char path[96];
	sv_resp d;

	assert_int_equal(r.status, 200);
	assert_true(json_array_size(ys) >= 2);
	json_array_foreach(ys, i, y) {
		int listed = 0, year = (int)json_integer_value(y);
		json_array_foreach(nd, j, z)
			listed |= json_integer_value(z) == year;
		if (listed != (year >= 2025))
			fail_msg("no_district_years: %d %s", year, listed ? "listed" : "missing");
		snprintf(path, sizeof path, "/v1/reports/summary?by=district&year=%d", year);
		d = sv_http(url, "GET", path, token, NULL, NULL, 0, 0);
		assert_int_equal(d.status, year >= 2025 ? 400 : 200);
		sv_resp_free(&d);
	}
	sv_resp_free(&r);
	r = sv_http(url, "GET", "/v1/reports/summary?by=commune&year=2025", token, NULL, NULL, 0,
	            0);
	assert_int_equal(r.status, 200);
	sv_resp_free(&r);
}

/* The paths over HTTP and the bundle: sync, households.csv, conflicts,
 * the years, devices, a pull bundle. */
static void test_paths_for_a_district(void **state)
{
	char token[N_PCASES][SAOLA__TOKEN_HEX + 1], ptoken[SAOLA__TOKEN_HEX + 1], url[64];
	char db[700], path[800];
	saola_server *srv;
	saola__err e;
	size_t i, count;

	(void)state;
	snprintf(db, sizeof db, "%s/../server.db", F.schemas);
	add_conflicts();
	for (i = 0; i < N_PCASES; i++)
		user(pcases[i].name, pcases[i].role, pcases[i].area, token[i]);
	srv = sv_start(db, 2, url, sizeof url);
	for (i = 0; i < N_PCASES; i++)
		expect_sync(url, &pcases[i], token[i]);
	/* The officers' routes, once every device has synced. */
	for (i = 0; i < N_PCASES && pcases[i].devices; i++) {
		expect_csv(url, &pcases[i], token[i]);
		expect_ids(url, "/v1/conflicts?status=all", token[i], NULL, "conflicts", "record_id",
		           pcases[i].conflicts);
		expect_years(url, &pcases[i], token[i]);
		expect_ids(url, "/v1/devices", token[i], NULL, "devices", "device", pcases[i].devices);
	}
	user("p37", "province", "37", ptoken);
	expect_no_district_years(url, ptoken);
	saola_server_stop(srv);
	/* A pull bundle: as many records as the sync. */
	for (i = 0; i < N_PCASES; i++) {
		snprintf(path, sizeof path, "%s/../%s.bundle", F.schemas, pcases[i].name);
		if (saola__bundle_export(F.store, path, pcases[i].name, &count, &e) != 0)
			fail_msg("bundle of %s: %s", pcases[i].area, e.message);
		assert_int_equal(count, (strlen(pcases[i].ids) + 1) / 4);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pull_by_area),
		cmocka_unit_test(test_reads_follow_write_rule),
		cmocka_unit_test(test_area_within),
		cmocka_unit_test(test_report_and_lists_scope),
		cmocka_unit_test(test_area_q_portable),
		cmocka_unit_test(test_conflicts_by_area),
		cmocka_unit_test(test_paths_for_a_district),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
