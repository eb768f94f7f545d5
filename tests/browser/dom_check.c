/* dom_check.c: checks the figures a browser showed on the dashboard (the
 * DOM chromium dumped after the page's scripts ran) against the JSON the
 * server answered. Exit 0 when every figure matches, 1 otherwise.
 *
 *   dom_check [--contract] [--villages] REPORT.json CONFLICTS.json DEVICES.json DOM.html
 *   dom_check --lists LISTS.json DOM.html
 *
 * The dashboard: every figure, and the coverage panel and progress statuses
 * when the report has them (--contract: it must have them); --villages: the
 * villages of a commune in their natural order. --lists: the printable
 * lists page against the /v1/lists JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dom_checks.h"
#include "dom_util.h"

static const char *unit_key(const json_t *unit)
{
	static char key[256];
	const char *code = json_string_value(json_object_get(unit, "code"));
	const char *village = json_string_value(json_object_get(unit, "village"));

	if (strcmp(json_string_value(json_object_get(unit, "level")), "village") == 0)
		snprintf(key, sizeof key, "%s/%s", code ? code : "-", village ? village : "");
	else
		snprintf(key, sizeof key, "%s", code ? code : "-");
	return key;
}

static int lists_main(const char *lists_path, const char *dom_path)
{
	json_t *lists = load(lists_path);

	dom = slurp(dom_path);
	check_lists(lists);
	json_decref(lists);
	free(dom);
	if (failures) {
		fprintf(stderr, "dom_check: %d of %d checks of the lists page fail\n", failures, checked);
		return 1;
	}
	printf("dom_check: the lists page matches the lists (%d checks)\n", checked);
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const summary_keys[] = {"households", "poor", "near_poor", "average"};
	static const char *const transition_keys[] = {"from_poor", "escaped_poverty_to_near_poor",
		"escaped_poverty_out", "poor_not_surveyed", "newly_poor", "newly_near_poor",
		"not_surveyed", "new_households"};
	json_t *rep, *reps, *conflicts, *devices, *row, *col;
	char fig[300], loaded[64];
	size_t i, k;
	int contract = 0, villages = 0;

	if (argc == 4 && strcmp(argv[1], "--lists") == 0)
		return lists_main(argv[2], argv[3]);
	for (; argc > 1 && strncmp(argv[1], "--", 2) == 0; argc--, argv++) {
		if (strcmp(argv[1], "--contract") == 0)
			contract = 1;
		else if (strcmp(argv[1], "--villages") == 0)
			villages = 1;
		else
			break;
	}
	if (argc != 5) {
		fprintf(stderr, "usage: dom_check [--contract] [--villages] REPORT.json CONFLICTS.json"
		        " DEVICES.json DOM.html\n       dom_check --lists LISTS.json DOM.html\n");
		return 2;
	}
	rep = load(argv[1]);
	conflicts = load(argv[2]);
	devices = load(argv[3]);
	dom = slurp(argv[4]);
	reps = json_object_get(rep, "reports");
	snprintf(loaded, sizeof loaded, "data-loaded=\"%lld\"",
	         (long long)json_integer_value(json_object_get(rep, "year")));
	if (!strstr(dom, loaded)) {
		fprintf(stderr, "dom_check: the page did not finish loading the report of %lld\n",
		        (long long)json_integer_value(json_object_get(rep, "year")));
		return 1;
	}

	/* The headline figures. */
	for (k = 0; k < 4; k++) {
		snprintf(fig, sizeof fig, "total:%s", summary_keys[k]);
		expect_count(fig, json_integer_value(json_object_get(json_object_get(
		             json_object_get(reps, "summary"), "total"), summary_keys[k])));
	}
	expect_count("conflicts:count", json_integer_value(json_object_get(conflicts, "count")));
	expect_count("devices:count", json_integer_value(json_object_get(devices, "count")));
	/* The summary table and the bars by unit: every unit. */
	json_array_foreach(json_object_get(json_object_get(reps, "summary"), "rows"), i, row) {
		const char *key = unit_key(json_object_get(row, "unit"));
		for (k = 0; k < 4; k++) {
			snprintf(fig, sizeof fig, "summary:%s:%s", key, summary_keys[k]);
			expect_count(fig, json_integer_value(json_object_get(row, summary_keys[k])));
		}
		snprintf(fig, sizeof fig, "units:%s:poor", key);
		expect_count(fig, json_integer_value(json_object_get(row, "poor")));
	}
	/* The indicator and cause bars (the area's totals). */
	json_array_foreach(json_object_get(json_object_get(reps, "indicators"), "columns"), i, col) {
		const char *key = json_string_value(json_object_get(col, "key"));
		if (strcmp(json_string_value(json_object_get(col, "type")), "count") != 0 ||
		    strcmp(key, "households") == 0)
			continue;
		snprintf(fig, sizeof fig, "indicators:%s", key);
		expect_count(fig, json_integer_value(json_object_get(json_object_get(
		             json_object_get(reps, "indicators"), "total"), key)));
	}
	json_array_foreach(json_object_get(json_object_get(reps, "causes"), "columns"), i, col) {
		const char *key = json_string_value(json_object_get(col, "key"));
		if (strcmp(json_string_value(json_object_get(col, "type")), "count") != 0 ||
		    strcmp(key, "poor") == 0 || strcmp(key, "no_cause") == 0)
			continue;
		snprintf(fig, sizeof fig, "causes:%s", key);
		expect_count(fig, json_integer_value(json_object_get(json_object_get(
		             json_object_get(reps, "causes"), "total"), key)));
	}
	/* The transitions table, and the trend by year. */
	json_array_foreach(json_object_get(json_object_get(reps, "transitions"), "rows"), i, row) {
		const char *key = unit_key(json_object_get(row, "unit"));
		for (k = 0; k < sizeof transition_keys / sizeof transition_keys[0]; k++) {
			snprintf(fig, sizeof fig, "transitions:%s:%s", key, transition_keys[k]);
			expect_count(fig, json_integer_value(json_object_get(row, transition_keys[k])));
		}
	}
	json_array_foreach(json_object_get(json_object_get(reps, "progress"), "series"), i, row) {
		snprintf(fig, sizeof fig, "trend:%lld",
		         (long long)json_integer_value(json_object_get(row, "year")));
		expect_count(fig, json_integer_value(json_object_get(row, "poor")));
	}
	/* The coverage panel and the progress as the server judged it. */
	if (contract || completeness_of(rep))
		check_completeness(rep);
	if (contract || json_object_get(json_object_get(json_object_get(reps, "progress"), "total"),
	                                "status"))
		check_progress(rep, unit_key);
	if (villages)
		check_village_order(rep);
	json_decref(rep);
	json_decref(conflicts);
	json_decref(devices);
	free(dom);
	if (failures) {
		fprintf(stderr, "dom_check: %d of %d figures differ\n", failures, checked);
		return 1;
	}
	printf("dom_check: %d figures on the page match the report\n", checked);
	return 0;
}
