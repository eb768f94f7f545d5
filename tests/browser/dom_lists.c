/* dom_lists.c: the printable lists page against the /v1/lists JSON
 * (dom_checks.h). */
#include <stdio.h>
#include <string.h>

#include "dom_checks.h"
#include "dom_util.h"

static void expect_text(const char *fig, const char *want)
{
	const char *text = shown(fig);

	checked++;
	if (!text || strcmp(text, want) != 0)
		fail("%s: the page shows \"%s\", the lists say \"%s\"", fig, text ? text : "(nothing)",
		     want);
}

static void expect_in_dom(const char *what, const char *needle)
{
	checked++;
	if (!strstr(dom, needle))
		fail("lists page: %s: \"%s\" is not on the page", what, needle);
}

static void check_list(const char *key, const json_t *rows, int personal)
{
	char needle[300];
	const json_t *row;
	size_t i;

	if (json_is_null(rows)) {   /* not known: said so, no table of none */
		snprintf(needle, sizeof needle, "lists:%s:unknown", key);
		expect_in_dom("a list that cannot be told", needle);
		snprintf(needle, sizeof needle, "data-list=\"%s\"", key);
		checked++;
		if (strstr(dom, needle))
			fail("lists page: %s cannot be told, yet the page shows a table", key);
		return;
	}
	snprintf(needle, sizeof needle, "data-list=\"%s\"", key);
	expect_in_dom("a list's table", needle);
	snprintf(needle, sizeof needle, "lists:%s:count", key);
	expect_count(needle, (json_int_t)json_array_size(rows));
	json_array_foreach(rows, i, row) {
		const char *name = json_string_value(json_object_get(row, "head_name"));
		snprintf(needle, sizeof needle, "data-household=\"%s\"",
		         json_string_value(json_object_get(row, "household_id")));
		expect_in_dom(key, needle);
		if (personal && name) {
			snprintf(needle, sizeof needle, "<td>%s</td>", name);
			expect_in_dom("a head's name", needle);
		}
	}
}

void check_lists(const json_t *lists)
{
	static const char *const keys[] = {"poor", "near_poor", "escaped", "newly_poor"};
	const json_t *commune = json_object_get(lists, "commune");
	int personal = json_is_true(json_object_get(lists, "personal"));
	const char *state = attr_in(tag_of("lists:state"), "data-state");
	char needle[300];
	size_t k;

	expect_in_dom("loaded", "data-loaded=\"lists\"");
	expect_text("lists:commune", json_string_value(json_object_get(commune, "name")));
	snprintf(needle, sizeof needle, "%lld",
	         (long long)json_integer_value(json_object_get(lists, "year")));
	expect_text("lists:year", needle);
	checked++;
	if (!state || strcmp(state, json_string_value(json_object_get(lists, "state"))) != 0)
		fail("lists:state: the page shows \"%s\", the lists say \"%s\"", state ? state : "",
		     json_string_value(json_object_get(lists, "state")));
	for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
		check_list(keys[k], json_object_get(json_object_get(lists, "lists"), keys[k]), personal);
	snprintf(needle, sizeof needle, "href=\"/v1/lists/%s.csv?year=%lld\"",
	         json_string_value(json_object_get(commune, "code")),
	         (long long)json_integer_value(json_object_get(lists, "year")));
	expect_in_dom("the CSV link", needle);
	expect_in_dom("the signature block", "Người lập biểu");
	expect_in_dom("the signature block", "Chủ tịch UBND xã");
	checked++;
	if ((strstr(dom, "Họ và tên chủ hộ") != NULL) != personal)
		fail("lists page: the head's name column is %s, the lists say personal %s",
		     personal ? "missing" : "shown", personal ? "true" : "false");
	if (!personal)
		expect_in_dom("the note on names left out", "<p class=\"note\" id=\"personal-note\">");
}
