/* reportcount.c: the reports test's own counts, made without the server's
 * code: the records read through db.h and their data parsed with jansson,
 * then counted in plain C, the yearly figures and the year over year
 * transitions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "saola/core.h"
#include "report.h"
#include "report_labels.h"
#include "reportcount.h"

/* ------------------------------------------------------------------ */
/* Independent counts: every live household record's columns and data read
 * once through the store's connection (db.h, on SQLite or PostgreSQL), the
 * data parsed with jansson (not the server's scanner), then counted here. */

typedef struct hrec {
	char id[64];
	char unit[4][128];     /* province, district, commune, village */
	char hid[128];         /* "" when none */
	int year, rank;        /* 1 poor, 2 near-poor, 3 average, 4 not poor, 5 other */
	unsigned ind, causes, support;
} hrec;

static hrec *R;
static size_t NR;

/* The codes of a list found in a JSON array of strings, as bits; a code
 * counts when it is one of the array's strings, whole. */
static unsigned code_bits(const json_t *arr, const saola__label *list, int n)
{
	unsigned bits = 0;
	const json_t *v;
	size_t i;
	int k;

	json_array_foreach(arr, i, v)
		for (k = 0; json_is_string(v) && k < n; k++)
			if (strcmp(json_string_value(v), list[k].code) == 0)
				bits |= 1u << k;
	return bits;
}

/* A value as an integer, as SQL reads a JSON scalar: true 1, a real
 * truncated, anything else 0. */
static long long int_of(const json_t *v)
{
	return json_is_true(v) ? 1 : json_is_integer(v) ? (long long)json_integer_value(v)
	     : json_is_real(v) ? (long long)json_real_value(v) : 0;
}

static const char *text_of(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "";
}

/* The columns a record is read with: id, deleted, form_id, its units,
 * its data. */
static const char snapshot_cols[] =
	"SELECT id, deleted, form_id, province, district, commune, data FROM records WHERE ";

static void read_rec(saola__dbstmt *st, hrec *h)
{
	const char *data = saola__db_column_text(st, 6), *cls;
	json_error_t je;
	json_t *d;
	char key[64];
	int k;

	memset(h, 0, sizeof *h);
	snprintf(h->id, sizeof h->id, "%s", saola__db_column_text(st, 0));
	for (k = 0; k < 3; k++)
		snprintf(h->unit[k], sizeof h->unit[k], "%s", saola__db_column_text(st, 3 + k)
		         ? saola__db_column_text(st, 3 + k) : "");
	if (!(d = json_loads(data ? data : "", 0, &je)))
		fail_msg("record %s: data: %s", h->id, je.text);
	snprintf(h->unit[3], sizeof h->unit[3], "%s", text_of(json_object_get(d, "village")));
	snprintf(h->hid, sizeof h->hid, "%s", text_of(json_object_get(d, "household_id")));
	h->year = (int)int_of(json_object_get(d, "survey_year"));
	cls = json_string_value(json_object_get(d, "classification"));
	h->rank = !cls ? 5 : !strcmp(cls, "poor") ? 1 : !strcmp(cls, "near_poor") ? 2
	        : !strcmp(cls, "average") ? 3 : !strcmp(cls, "not_poor") ? 4 : 5;
	h->causes = code_bits(json_object_get(d, "poverty_causes"), saola__causes,
	                      SAOLA__N_CAUSES);
	h->support = code_bits(json_object_get(d, "support_received"), saola__supports,
	                       SAOLA__N_SUPPORTS);
	for (k = 0; k < SAOLA__N_INDICATORS; k++) {
		snprintf(key, sizeof key, "d_%s", saola__indicators[k].code);
		if (int_of(json_object_get(d, key)))
			h->ind |= 1u << k;
	}
	json_decref(d);
}

static hrec *grow(void)
{
	static size_t cap;

	if (NR == cap || !R)
		assert_non_null(R = realloc(R, (cap = NR ? NR * 2 : 8192) * sizeof *R));
	return &R[NR++];
}

/* Reads every live household record into R. */
void rc_snapshot(saola__db *db)
{
	char sql[512];
	saola__dbstmt *st = NULL;
	int step;

	rc_snapshot_free();
	snprintf(sql, sizeof sql, "%sdeleted = 0 AND form_id = 'household'", snapshot_cols);
	if (saola__db_prepare(db, sql, &st) != SAOLA_OK)
		fail_msg("snapshot: %s", saola__db_errmsg(db));
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW)
		read_rec(st, grow());
	if (step != SAOLA__DB_DONE)
		fail_msg("snapshot: %s", saola__db_errmsg(db));
	saola__db_finalize(st);
}

/* Brings R up to date with the records changed after seq. */
void rc_snapshot_since(saola__db *db, int64_t seq)
{
	char sql[512];
	saola__dbstmt *st = NULL;
	hrec h;
	size_t i;
	int step;

	snprintf(sql, sizeof sql, "%sseq > ?", snapshot_cols);
	if (saola__db_prepare(db, sql, &st) != SAOLA_OK)
		fail_msg("snapshot: %s", saola__db_errmsg(db));
	saola__db_bind_int(st, 1, seq);
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW) {
		int live = !saola__db_column_int(st, 1) &&
		           !strcmp(saola__db_column_text(st, 2), "household");
		read_rec(st, &h);
		for (i = 0; i < NR && strcmp(R[i].id, h.id) != 0; i++)
			;
		if (i < NR && !live)
			R[i] = R[--NR];
		else if (i < NR)
			R[i] = h;
		else if (live)
			*grow() = h;
	}
	if (step != SAOLA__DB_DONE)
		fail_msg("snapshot: %s", saola__db_errmsg(db));
	saola__db_finalize(st);
}

void rc_snapshot_free(void)
{
	free(R);
	R = NULL;
	NR = 0;
}

static int in_area(const hrec *h, const char *area)
{
	return !area || strcmp(h->unit[strlen(area) == 2 ? 0 : strlen(area) == 3 ? 1 : 2], area) == 0;
}

/* How many live households of year (0: any) in area are of rank (0: any). */
json_int_t rc_count(int year, const char *area, int rank)
{
	json_int_t n = 0;
	size_t i;

	for (i = 0; i < NR; i++)
		n += (!year || R[i].year == year) && in_area(&R[i], area) && (!rank || R[i].rank == rank);
	return n;
}

void rc_row_key(char *buf, size_t len, const char *code, const char *village)
{
	snprintf(buf, len, "%s|%s", code && *code ? code : "-", village ? village : "");
}

static void unit_key_of(const hrec *h, int by, char *buf, size_t len)
{
	rc_row_key(buf, len, h->unit[by == SAOLA__BY_VILLAGE ? 2 : by],
	        by == SAOLA__BY_VILLAGE ? h->unit[3] : NULL);
}

static void bump(json_t *row, const char *key, int yes)
{
	json_object_set_new(row, key, json_integer(json_integer_value(json_object_get(row, key)) +
	                                           (yes ? 1 : 0)));
}

/* The expected figures of one section ("summary", "indicators", "causes",
 * "coverage") by unit: {unit key: {key: n}}. */
json_t *rc_expect(const char *section, int by, int year, const char *area)
{
	json_t *out = json_object(), *row;
	char key[300];
	size_t i;
	int k;

	for (i = 0; i < NR; i++) {
		const hrec *h = &R[i];
		if (h->year != year || !in_area(h, area))
			continue;
		if ((!strcmp(section, "causes") && h->rank != 1) ||
		    (!strcmp(section, "coverage") && h->rank > 2))
			continue;
		unit_key_of(h, by, key, sizeof key);
		if (!(row = json_object_get(out, key)))
			json_object_set_new(out, key, row = json_object());
		if (!strcmp(section, "summary")) {
			bump(row, "households", 1);
			bump(row, "poor", h->rank == 1);
			bump(row, "near_poor", h->rank == 2);
			bump(row, "average", h->rank == 3);
			bump(row, "not_poor", h->rank == 4);
		} else if (!strcmp(section, "indicators")) {
			for (k = 0; k < SAOLA__N_INDICATORS; k++)
				bump(row, saola__indicators[k].code, h->ind & (1u << k));
		} else if (!strcmp(section, "causes")) {
			bump(row, "poor", 1);
			for (k = 0; k < SAOLA__N_CAUSES; k++)
				bump(row, saola__causes[k].code, h->causes & (1u << k));
			bump(row, "no_cause", h->causes == 0);
		} else {
			bump(row, "eligible", 1);
			bump(row, "poor", h->rank == 1);
			for (k = 0; k < SAOLA__N_SUPPORTS; k++)
				bump(row, saola__supports[k].code, h->support & (1u << k));
			bump(row, "any", h->support != 0);
		}
	}
	return out;
}

/* ------------------------------------------------------------------ */
/* Independent transitions: the records with a household_id of both
 * years, sorted, and walked household by household. */

static int rec_cmp(const void *a, const void *b)
{
	const hrec *x = *(const hrec *const *)a, *y = *(const hrec *const *)b;
	int d = strcmp(x->unit[2], y->unit[2]);

	if (!d)
		d = strcmp(x->hid, y->hid);
	if (!d)
		d = y->year - x->year;   /* this year first */
	return d ? d : x->rank - y->rank;
}

const char *const rc_trans_keys[] = {
	"from_poor", "escaped_poverty_to_near_poor", "escaped_poverty_out", "poor_not_surveyed",
	"stayed_poor", "from_near_poor", "escaped_near_poverty_out", "near_poor_fell_into_poverty",
	"near_poor_not_surveyed", "stayed_near_poor", "newly_poor", "newly_near_poor",
	"not_surveyed", "new_households", "matched",
};

json_t *rc_expect_transitions(int by, int y0, int y1, const char *area)
{
	const hrec **r = calloc(NR + 1, sizeof *r);
	json_t *out = json_object();
	size_t n = 0, i, j;
	char key[300];

	assert_non_null(r);
	for (i = 0; i < NR; i++)
		if ((R[i].year == y0 || R[i].year == y1) && R[i].hid[0] && in_area(&R[i], area))
			r[n++] = &R[i];
	qsort(r, n, sizeof *r, rec_cmp);
	for (i = 0; i < n; i = j) {
		int last = 0, now = 0;   /* lowest rank of each year; 0: absent */
		json_t *row;
		for (j = i; j < n && !strcmp(r[j]->unit[2], r[i]->unit[2]) &&
		            !strcmp(r[j]->hid, r[i]->hid); j++) {
			int *slot = r[j]->year == y1 ? &now : &last;
			if (!*slot || r[j]->rank < *slot)
				*slot = r[j]->rank;
		}
		/* r[i] is this year's record when there is one (sorted first). */
		unit_key_of(r[i], by, key, sizeof key);
		if (!(row = json_object_get(out, key)))
			json_object_set_new(out, key, row = json_object());
		bump(row, "from_poor", last == 1);
		bump(row, "escaped_poverty_to_near_poor", last == 1 && now == 2);
		bump(row, "escaped_poverty_out", last == 1 && now >= 3);
		bump(row, "poor_not_surveyed", last == 1 && !now);
		bump(row, "stayed_poor", last == 1 && now == 1);
		bump(row, "from_near_poor", last == 2);
		bump(row, "escaped_near_poverty_out", last == 2 && now >= 3);
		bump(row, "near_poor_fell_into_poverty", last == 2 && now == 1);
		bump(row, "near_poor_not_surveyed", last == 2 && !now);
		bump(row, "stayed_near_poor", last == 2 && now == 2);
		bump(row, "newly_poor", now == 1 && (last == 0 || last >= 3));
		bump(row, "newly_near_poor", now == 2 && (last == 0 || last >= 3));
		bump(row, "not_surveyed", last && !now);
		bump(row, "new_households", !last && now);
		bump(row, "matched", last && now);
	}
	free(r);
	return out;
}
