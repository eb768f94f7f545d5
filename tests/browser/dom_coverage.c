/* dom_coverage.c: the dashboard's coverage panel, progress statuses and
 * village order, against the report JSON (dom_checks.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dom_checks.h"
#include "dom_util.h"

const json_t *completeness_of(const json_t *rep)
{
	const json_t *reps = json_object_get(rep, "reports"), *c = json_object_get(rep, "completeness");

	if (!c)
		c = json_object_get(json_object_get(reps, "summary"), "completeness");
	if (!c)
		c = json_object_get(json_object_get(reps, "progress"), "completeness");
	return c;
}

int completeness_partial(const json_t *c)
{
	json_int_t communes = json_integer_value(json_object_get(c, "communes"));
	const json_t *share = json_object_get(c, "share");

	return json_integer_value(json_object_get(c, "communes_reported")) < communes ||
	       json_integer_value(json_object_get(c, "communes_complete")) < communes ||
	       !json_is_number(share) || json_number_value(share) < 1.0;
}

void check_completeness(const json_t *rep)
{
	static const char *const counts[] = {"communes", "communes_reported", "communes_complete",
		"households_surveyed"};
	const json_t *c = completeness_of(rep), *row;
	char fig[300];
	size_t i;

	if (!c) {
		fail("the report has no \"completeness\" (top level, or in reports.summary)");
		return;
	}
	for (i = 0; i < sizeof counts / sizeof counts[0]; i++) {
		snprintf(fig, sizeof fig, "completeness:%s", counts[i]);
		expect_count(fig, json_integer_value(json_object_get(c, counts[i])));
	}
	expect_count_or_null("completeness:households_listed", json_object_get(c, "households_listed"));
	expect_share("completeness:share", json_object_get(c, "share"));
	json_array_foreach(json_object_get(c, "reported"), i, row) {
		const char *code = json_string_value(json_object_get(row, "code"));
		snprintf(fig, sizeof fig, "completeness:reported:%s:surveyed", code);
		expect_count(fig, json_integer_value(json_object_get(row, "surveyed")));
		snprintf(fig, sizeof fig, "completeness:reported:%s:listed", code);
		expect_count_or_null(fig, json_object_get(row, "listed"));
		snprintf(fig, sizeof fig, "data-lists=\"%s\"", code);
		if (!strstr(dom, fig))
			fail("reported commune %s: no link to its printable lists", code);
	}
	json_array_foreach(json_object_get(c, "not_reported"), i, row) {
		snprintf(fig, sizeof fig, "completeness:not_reported:%s:listed",
		         json_string_value(json_object_get(row, "code")));
		expect_count_or_null(fig, json_object_get(row, "listed"));
	}
}

/* The badge data-fig="fig" shows status (its data-status), and begins with
 * the Vietnamese status_text when the JSON gives one. */
static void expect_status(const char *fig, const json_t *row)
{
	const char *want = json_string_value(json_object_get(row, "status"));
	const char *vi = json_string_value(json_object_get(json_object_get(row, "status_text"), "vi"));
	const char *tag = tag_of(fig), *got = attr_in(tag, "data-status"), *text;

	checked++;
	if (!tag) {
		fail("%s: not on the page", fig);
	} else if (!got || strcmp(got, want) != 0) {
		fail("%s: the page shows status \"%s\", the report says \"%s\"", fig, got ? got : "", want);
	} else if ((strstr(tag, "st-met") != NULL) != (strcmp(want, "met") == 0)) {
		fail("%s: green \"met\" %s, the report says \"%s\"", fig,
		     strstr(tag, "st-met") ? "shown" : "not shown", want);
	} else if (vi && (!(text = shown(fig)) || strncmp(text, vi, strlen(vi)) != 0)) {
		fail("%s: the page says \"%s\", the report \"%s\"", fig, text ? text : "", vi);
	}
}

void check_progress(const json_t *rep, const char *(*key_of)(const json_t *unit))
{
	const json_t *prog = json_object_get(json_object_get(rep, "reports"), "progress");
	const json_t *total = json_object_get(prog, "total"), *row, *c = completeness_of(rep);
	const char *kpi = strstr(dom, "id=\"kpi-target\"");
	char fig[300];
	size_t i;
	int met = 0;

	if (!json_is_string(json_object_get(total, "status"))) {
		fail("the report's progress has no \"status\"");
		return;
	}
	expect_status("progress:status", total);
	expect_status("progress:total:status", total);
	met += strcmp(json_string_value(json_object_get(total, "status")), "met") == 0 ? 2 : 0;
	json_array_foreach(json_object_get(prog, "rows"), i, row) {
		snprintf(fig, sizeof fig, "data-fig=\"summary:%s:households\"",
		         key_of(json_object_get(row, "unit")));
		if (!strstr(dom, fig))
			continue;   /* a unit the summary has no row for */
		snprintf(fig, sizeof fig, "progress:%s:status", key_of(json_object_get(row, "unit")));
		expect_status(fig, row);
		met += strcmp(json_string_value(json_object_get(row, "status")), "met") == 0;
	}
	/* Green "met" nowhere else, and never for the area on partial data. */
	checked++;
	if (occurrences("st-met") != met)
		fail("%d green \"met\" on the page, the report says \"met\" %d times",
		     occurrences("st-met"), met);
	if (c && completeness_partial(c) &&
	    (strstr(tag_of("progress:status") ? tag_of("progress:status") : "", "st-met") ||
	     (kpi && strstr(kpi - 40 > dom ? kpi - 40 : dom, "class=\"kpi good\" id=\"kpi-target\""))))
		fail("the area's target shows green \"met\" on partial data");
}

/* "<prefix><digits>": the digits' value, and the prefix's length in
 * *plen; -1 when name does not end in digits. */
static long trailing_number(const char *name, size_t *plen)
{
	size_t n = strlen(name), k = n;

	while (k > 0 && name[k - 1] >= '0' && name[k - 1] <= '9')
		k--;
	if (k == n || n - k > 9)
		return -1;
	*plen = k;
	return strtol(name + k, NULL, 10);
}

void check_village_order(const json_t *rep)
{
	const json_t *rows = json_object_get(json_object_get(json_object_get(rep, "reports"),
	                                                     "summary"), "rows");
	const json_t *a, *b;
	size_t i, j, la, lb;
	int pairs = 0, lexical_differs = 0;
	char fa[300], fb[300];

	json_array_foreach(rows, i, a) {
		const json_t *ua = json_object_get(a, "unit");
		const char *va = json_string_value(json_object_get(ua, "village"));
		long na = va ? trailing_number(va, &la) : -1;
		if (na < 0)
			continue;
		json_array_foreach(rows, j, b) {
			const json_t *ub = json_object_get(b, "unit");
			const char *vb = json_string_value(json_object_get(ub, "village"));
			long nb = vb ? trailing_number(vb, &lb) : -1;
			const char *pa, *pb;
			if (nb <= na || la != lb || strncmp(va, vb, la) != 0 ||
			    strcmp(json_string_value(json_object_get(ua, "code")),
			           json_string_value(json_object_get(ub, "code"))) != 0)
				continue;
			/* Same commune, same prefix: the smaller number comes first. */
			snprintf(fa, sizeof fa, "data-fig=\"summary:%s/%s:households\"",
			         json_string_value(json_object_get(ua, "code")), va);
			snprintf(fb, sizeof fb, "data-fig=\"summary:%s/%s:households\"",
			         json_string_value(json_object_get(ub, "code")), vb);
			pa = strstr(dom, fa);
			pb = strstr(dom, fb);
			pairs++;
			lexical_differs += strcmp(va, vb) > 0;
			if (!pa || !pb || pa > pb) {
				fail("villages: \"%s\" is not before \"%s\"", va, vb);
				break;
			}
		}
	}
	checked++;
	if (!lexical_differs)
		fail("villages: the report has no villages whose natural order differs from the"
		     " order of their bytes (\"2\" and \"10\"): the order cannot be checked (%d pairs)",
		     pairs);
}
