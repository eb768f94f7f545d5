/* reportcount.c: the reports test's own counts, made without the server's
 * code: the records read with SQLite's JSON functions, then counted in
 * plain C, the yearly figures and the year over year transitions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report.h"
#include "report_labels.h"
#include "reportcount.h"

/* ------------------------------------------------------------------ */
/* Independent counts: every live household record read once with SQLite's
 * own JSON functions (not the server's scanner), then counted here. */

typedef struct hrec {
	char id[64];
	char unit[4][128];     /* province, district, commune, village */
	char hid[128];         /* "" when none */
	int year, rank;        /* 1 poor, 2 near-poor, 3 average, 4 not poor, 5 other */
	unsigned ind, causes, support;
} hrec;

static hrec *R;
static size_t NR;

/* The codes of a list found in a JSON array of strings (as SQLite gives
 * it: ["no_capital","illness"]), as bits; a code counts when it appears
 * quoted, whole. */
static unsigned code_bits(const char *json_list, const saola__label *list, int n)
{
	char quoted[64];
	unsigned bits = 0;
	int k;

	for (k = 0; json_list && k < n; k++) {
		snprintf(quoted, sizeof quoted, "\"%s\"", list[k].code);
		if (strstr(json_list, quoted))
			bits |= 1u << k;
	}
	return bits;
}

/* The columns a record is read with, after id, deleted and form_id. */
static void snapshot_sql(char *sql, size_t cap, const char *where)
{
	size_t len;
	int i;

	len = (size_t)snprintf(sql, cap, "SELECT id, deleted, form_id, province, district, commune,"
	        " json_extract(data, '$.village'), json_extract(data, '$.household_id'),"
	        " json_extract(data, '$.survey_year'), json_extract(data, '$.classification'),"
	        " json_extract(data, '$.poverty_causes'), json_extract(data, '$.support_received')");
	for (i = 0; i < SAOLA__N_INDICATORS; i++)
		len += (size_t)snprintf(sql + len, cap - len, ", json_extract(data, '$.d_%s')",
		                        saola__indicators[i].code);
	snprintf(sql + len, cap - len, " FROM records WHERE %s", where);
}

static void read_rec(sqlite3_stmt *st, hrec *h)
{
	const char *cls = (const char *)sqlite3_column_text(st, 9);
	int k;

	memset(h, 0, sizeof *h);
	snprintf(h->id, sizeof h->id, "%s", (const char *)sqlite3_column_text(st, 0));
	for (k = 0; k < 4; k++)
		snprintf(h->unit[k], sizeof h->unit[k], "%s", sqlite3_column_text(st, 3 + k)
		         ? (const char *)sqlite3_column_text(st, 3 + k) : "");
	snprintf(h->hid, sizeof h->hid, "%s",
	         sqlite3_column_text(st, 7) ? (const char *)sqlite3_column_text(st, 7) : "");
	h->year = sqlite3_column_int(st, 8);
	h->rank = !cls ? 5 : !strcmp(cls, "poor") ? 1 : !strcmp(cls, "near_poor") ? 2
	        : !strcmp(cls, "average") ? 3 : !strcmp(cls, "not_poor") ? 4 : 5;
	h->causes = code_bits((const char *)sqlite3_column_text(st, 10), saola__causes,
	                      SAOLA__N_CAUSES);
	h->support = code_bits((const char *)sqlite3_column_text(st, 11), saola__supports,
	                       SAOLA__N_SUPPORTS);
	for (k = 0; k < SAOLA__N_INDICATORS; k++)
		if (sqlite3_column_int(st, 12 + k))
			h->ind |= 1u << k;
}

static hrec *grow(void)
{
	static size_t cap;

	if (NR == cap || !R)
		assert_non_null(R = realloc(R, (cap = NR ? NR * 2 : 8192) * sizeof *R));
	return &R[NR++];
}

/* Reads every live household record into R. */
void rc_snapshot(sqlite3 *db)
{
	char sql[2048];
	sqlite3_stmt *st;

	rc_snapshot_free();
	snapshot_sql(sql, sizeof sql, "deleted = 0 AND form_id = 'household'");
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		read_rec(st, grow());
	sqlite3_finalize(st);
}

/* Brings R up to date with the records changed after seq. */
void rc_snapshot_since(sqlite3 *db, int64_t seq)
{
	char sql[2048];
	sqlite3_stmt *st;
	hrec h;
	size_t i;

	snapshot_sql(sql, sizeof sql, "seq > ?1");
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, seq);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int live = !sqlite3_column_int(st, 1) &&
		           !strcmp((const char *)sqlite3_column_text(st, 2), "household");
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
	sqlite3_finalize(st);
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
