/* test_merge_ahead.c: a merge made ahead of the write (the store op
 * prepare, docs/scale.md "Work outside the write") never changes what is
 * stored. Each row is a sequence of steps on one household: prepare a
 * change on the live store (its read snapshot), or apply a change, on the
 * live store with what was prepared and on a reference store without. The
 * rows make the prepared merge stale in every way a concurrent write can
 * (the record edited, created, or edited twice in one batch since), or
 * leave it as it was. After each apply both stores answered alike; at the
 * end they hold the same record, conflict log and audit log. On
 * PostgreSQL too (the twin test_merge_ahead_pg). */
#define _GNU_SOURCE   /* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "saola/core.h"
#include "saola_int.h"
#include "gen.h"
#include "pgtest.h"
#include "servertest.h"
#include "store.h"
#include "store_sql.h"
#include "testutil.h"

#define DEV_A "aaaaaaaaaaaaaaaa"
#define DEV_B "bbbbbbbbbbbbbbbb"
#define COMMUNE "14404"
#define NCHANGES 6
#define MAX_STEPS 8

/* The changes of one household, by index in a row's steps. */
enum {
	C_MADE,        /* made by A: version 1 of A */
	C_HEAD_B,      /* the head's name (member 1's) by B (2), over A's 1 */
	C_HEAD_A,      /* the head's name by A (3), over its own 1: beats C_HEAD_B */
	C_VILLAGE_B,   /* village by B (4), over A's 1 */
	C_BAD,         /* an answer the form has no field for: refused */
	C_MADE_B       /* the same record id made by B, other answers */
};

typedef struct row {
	const char *name;
	const char *steps;   /* "p1" prepares change 1, "q1" prepares it on a
	                      * second connection (as a helper thread of the
	                      * server does), "a1" applies it; spaced */
} row;

static const row rows[] = {
	{"made, nothing between", "p0 a0"},
	{"edited, nothing between", "a0 p1 a1"},
	{"edited since it was prepared", "a0 p2 a1 a2"},
	{"made by another device since", "p0 a5 a0"},
	{"two edits of one batch, prepared together", "a0 p1 p3 a1 a3"},
	{"refused, nothing between", "a0 p4 a4"},
	{"refused, edited since", "a0 p4 a3 a4"},
	{"a stale merge prepared twice", "a0 p2 p1 a1 a2"},
	{"made, prepared on another connection", "q0 a0"},
	{"edited since, prepared on another connection", "a0 q2 q3 a1 a2 a3"},
};

typedef struct side {
	saola__store *s;
	saola__store *s2;   /* another connection to the same database */
	saola__user a, b;   /* the users of devices A and B */
	saola__apply_pre *pre[NCHANGES];
} side;

static json_t *made(saola_gen *g, const char *id, int counter)
{
	char other[37];
	json_t *c = sv_household(g, COMMUNE, other);

	json_object_set_new(c, "r", json_string(id));
	json_object_set_new(c, "vs", json_pack("{s:i}", "_", counter));
	return c;
}

/* The changes of rows, all of record id. */
static void changes_of(saola_gen *g, const char *id, json_t *c[NCHANGES])
{
	c[C_MADE] = made(g, id, 1);
	c[C_HEAD_B] = sv_head_edit(id, "Trần Thị B", 2, 1, DEV_A);
	c[C_HEAD_A] = sv_head_edit(id, "Nguyễn Văn A", 3, 1, DEV_A);
	c[C_VILLAGE_B] = sv_edit(id, "village", "Xóm 9", 4, 1, DEV_A);
	c[C_BAD] = sv_edit(id, "no_such_field", "x", 5, 1, DEV_A);
	c[C_MADE_B] = made(g, id, 1);
}

static const char *device_of(int change)
{
	return change == C_HEAD_B || change == C_VILLAGE_B || change == C_MADE_B ? DEV_B : DEV_A;
}

static void ctx_for(side *sd, int change, saola__apply_ctx *ctx)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->device = device_of(change);
	ctx->user = strcmp(ctx->device, DEV_A) == 0 ? &sd->a : &sd->b;
	ctx->batch = "batch";
	ctx->now = "2026-01-02T00:00:00Z";
}

/* Prepares change on s, a connection to sd's database. */
static void prepare(side *sd, saola__store *s, int change, json_t *c)
{
	saola__apply_ctx ctx;

	ctx_for(sd, change, &ctx);
	assert_int_equal(s->ops->read_begin(s), SAOLA_OK);
	saola__apply_pre_free(sd->pre[change]);
	sd->pre[change] = s->ops->prepare(s, c, &ctx);
	s->ops->end(s, 1);
}

/* Applies change on sd (with what it prepared); rc and what it says. */
static int apply(side *sd, int change, json_t *c, saola__change_result *res, char *msg,
                 size_t len)
{
	saola__apply_ctx ctx;
	int rc;

	ctx_for(sd, change, &ctx);
	assert_int_equal(sd->s->ops->write_begin(sd->s, 1), SAOLA_OK);
	rc = sd->s->ops->apply(sd->s, c, &ctx, sd->pre[change], res);
	snprintf(msg, len, "%s", rc == SAOLA_OK ? "" : sd->s->ops->errmsg(sd->s));
	assert_int_equal(sd->s->ops->end(sd->s, rc == SAOLA_OK), SAOLA_OK);
	saola__apply_pre_free(sd->pre[change]);
	sd->pre[change] = NULL;
	return rc;
}

/* The rows of table (the columns cols), oldest first, as one text. */
static char *rows_of(side *sd, const char *table, const char *cols, int ncols)
{
	char sql[300], *out = NULL;
	size_t len = 0;
	saola__dbstmt *st = NULL;
	FILE *f = open_memstream(&out, &len);
	int i;

	assert_non_null(f);
	snprintf(sql, sizeof sql, "SELECT %s FROM %s ORDER BY id", cols, table);
	assert_int_equal(saola__db_prepare(saola__store_db(sd->s), sql, &st), SAOLA_OK);
	while (saola__db_step(st) == SAOLA__DB_ROW) {
		for (i = 0; i < ncols; i++) {
			const char *v = saola__db_column_text(st, i);
			fprintf(f, "%s|", v ? v : "(null)");
		}
		fputc('\n', f);
	}
	saola__db_finalize(st);
	fclose(f);
	return out;
}

/* The conflict and audit logs of sd, but for ids and times. */
static char *logs_of(side *sd)
{
	char *c = rows_of(sd, "conflicts", "record_id, path, lost_value, lost_version,"
	                  " kept_value, kept_version, stored_lost, device, base", 9);
	char *a = rows_of(sd, "audit", "user_name, device, batch, source, record_id, action,"
	                  " path, value, version, state, detail", 11);
	char *out = malloc(strlen(c) + strlen(a) + 2);

	assert_non_null(out);
	sprintf(out, "%s\n%s", c, a);
	free(c);
	free(a);
	return out;
}

static json_t *state_of(side *sd, const char *id)
{
	json_t *st = NULL;

	assert_int_equal(sd->s->ops->read_begin(sd->s), SAOLA_OK);
	if (saola__records_state(sd->s, id, 0, &st) != SAOLA_OK)
		fail_msg("record state: %s", sd->s->ops->errmsg(sd->s));
	sd->s->ops->end(sd->s, 1);
	return st;
}

static void open_side(side *sd, const char *db)
{
	memset(sd, 0, sizeof *sd);
	sd->s = sv_store_new(pgt_db(db));
	sd->s2 = sv_store(db);
	sv_store_user(sd->s, "lan", "surveyor", COMMUNE, &sd->a);
	sv_store_user(sd->s, "hung", "surveyor", COMMUNE, &sd->b);
}

static void close_side(side *sd)
{
	int i;

	for (i = 0; i < NCHANGES; i++)
		saola__apply_pre_free(sd->pre[i]);
	saola__store_close(sd->s);
	saola__store_close(sd->s2);
}

/* Runs r's steps on a live store (prepared) and a reference (not), in
 * fresh databases, comparing every answer and the end. */
static void run_row(const row *r, int n)
{
	const char *dir = tu_tmpdir("merge_ahead");
	saola_gen *g = saola_gen_new(11 + (unsigned)n);
	char path[2][1100], id[37], msg[2][600], *logs[2];
	json_t *c[NCHANGES], *st[2];
	const char *p = r->steps;
	side sd[2];
	int i, applied = 0;

	assert_non_null(g);
	assert_int_equal(saola__uuid(id), 0);
	changes_of(g, id, c);
	for (i = 0; i < 2; i++) {
		snprintf(path[i], sizeof path[i], "%s/%s-%d.db", dir, i ? "ref" : "live", n);
		open_side(&sd[i], path[i]);
	}
	while (*p) {
		char op = p[0];
		int k = p[1] - '0', rc[2];
		saola__change_result res[2];

		assert_true(k >= 0 && k < NCHANGES);
		if (op == 'p' || op == 'q') {
			prepare(&sd[0], op == 'p' ? sd[0].s : sd[0].s2, k, c[k]);
		} else {
			for (i = 0; i < 2; i++)
				rc[i] = apply(&sd[i], k, c[k], &res[i], msg[i], sizeof msg[i]);
			if (rc[0] != rc[1] || strcmp(msg[0], msg[1]) != 0)
				fail_msg("%s: change %d: live %d \"%s\", reference %d \"%s\"", r->name, k,
				         rc[0], msg[0], rc[1], msg[1]);
			if (rc[0] == SAOLA_OK) {
				applied++;
				if (res[0].changed != res[1].changed || res[0].conflicts != res[1].conflicts)
					fail_msg("%s: change %d: live changed %d with %lld conflicts,"
					         " reference %d with %lld", r->name, k, res[0].changed,
					         (long long)res[0].conflicts, res[1].changed,
					         (long long)res[1].conflicts);
			}
		}
		p += 2;
		while (*p == ' ')
			p++;
	}
	assert_true(applied > 0);
	for (i = 0; i < 2; i++)
		st[i] = state_of(&sd[i], id);
	if (!json_equal(st[0], st[1])) {
		char *a = json_dumps(st[0], JSON_SORT_KEYS), *b = json_dumps(st[1], JSON_SORT_KEYS);
		fail_msg("%s: the record differs:\nlive      %s\nreference %s", r->name, a, b);
	}
	assert_true(sv_store_count(sd[0].s, "SELECT count(*) FROM audit") > 0);
	logs[0] = logs_of(&sd[0]), logs[1] = logs_of(&sd[1]);
	if (strcmp(logs[0], logs[1]) != 0)
		fail_msg("%s: the logs differ:\nlive\n%s\nreference\n%s", r->name, logs[0], logs[1]);
	free(logs[0]);
	free(logs[1]);
	for (i = 0; i < 2; i++) {
		json_decref(st[i]);
		close_side(&sd[i]);
	}
	for (i = 0; i < NCHANGES; i++)
		json_decref(c[i]);
	saola_gen_free(g);
	tu_rmtree(dir);
}

static void test_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++)
		run_row(&rows[i], (int)i);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
