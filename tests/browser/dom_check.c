/* dom_check.c: checks the figures a browser showed on the dashboard (the
 * DOM chromium dumped after the page's scripts ran) against the JSON the
 * server answered: usage: dom_check REPORT.json CONFLICTS.json
 * DEVICES.json DOM.html; exit 0 when every figure matches, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static char *dom;
static int failures, checked;

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    !(buf = malloc((size_t)n + 1)) || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "dom_check: %s: cannot read it\n", path);
		exit(1);
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static json_t *load(const char *path)
{
	json_error_t e;
	json_t *v = json_load_file(path, 0, &e);

	if (!v) {
		fprintf(stderr, "dom_check: %s: line %d: %s\n", path, e.line, e.text);
		exit(1);
	}
	return v;
}

/* The text of the element with data-fig="fig" (up to its first tag), or
 * NULL when the page has none. Static storage. */
static const char *shown(const char *fig)
{
	static char text[256];
	char attr[300];
	const char *p, *end;
	size_t n;

	snprintf(attr, sizeof attr, "data-fig=\"%s\"", fig);
	if (!(p = strstr(dom, attr)) || !(p = strchr(p, '>')))
		return NULL;
	p++;
	end = strchr(p, '<');
	n = end ? (size_t)(end - p) : strlen(p);
	if (n >= sizeof text)
		n = sizeof text - 1;
	memcpy(text, p, n);
	text[n] = '\0';
	return text;
}

/* The leading number of a shown text, its thousands separators (".")
 * dropped: "7.912 (2,5%)" is 7912. -1 when it holds none. */
static long long leading(const char *s)
{
	long long v = 0;
	int any = 0;

	for (; *s == ' '; s++)
		;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9') {
			v = v * 10 + (*s - '0');
			any = 1;
		} else if (*s != '.') {
			break;
		}
	}
	return any ? v : -1;
}

static void expect_count(const char *fig, json_int_t want)
{
	const char *text = shown(fig);

	checked++;
	if (!text) {
		fprintf(stderr, "dom_check: %s: not on the page\n", fig);
		failures++;
	} else if (leading(text) != want) {
		fprintf(stderr, "dom_check: %s: the page shows \"%s\", the report says %lld\n", fig, text,
		        (long long)want);
		failures++;
	}
}

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

int main(int argc, char **argv)
{
	static const char *const summary_keys[] = {"households", "poor", "near_poor", "average"};
	static const char *const transition_keys[] = {"from_poor", "escaped_poverty_to_near_poor",
		"escaped_poverty_out", "poor_not_surveyed", "newly_poor", "newly_near_poor",
		"not_surveyed", "new_households"};
	json_t *rep, *reps, *conflicts, *devices, *row, *col;
	char fig[300], loaded[64];
	size_t i, k;

	if (argc != 5) {
		fprintf(stderr, "usage: dom_check REPORT.json CONFLICTS.json DEVICES.json DOM.html\n");
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
	if (failures) {
		fprintf(stderr, "dom_check: %d of %d figures differ\n", failures, checked);
		return 1;
	}
	printf("dom_check: %d figures on the page match the report\n", checked);
	json_decref(rep);
	json_decref(conflicts);
	json_decref(devices);
	free(dom);
	return 0;
}
