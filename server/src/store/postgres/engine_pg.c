/* engine_pg.c: the PostgreSQL store's forms engine: an in-memory core
 * database holding copies of the forms, standards and units kept in
 * PostgreSQL, so that the core's form engine (compile, validate, compute,
 * check places) runs on them exactly as on a SQLite server. Records never
 * go there. A load of a schemas folder goes through it first, so that its
 * checks are the core's, then its rows go to PostgreSQL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola_int.h"
#include "form_compat.h"
#include "saola_places.h"
#include "client_int.h" /* saola__forms_load_doc: a GET /v1/forms answer */
#include "db_sqlite.h"
#include "engine_pg.h"
#include "units.h"

/* The tables copied, with their columns in both databases. */
static const struct table {
	const char *name;
	const char *columns;
	int ncolumns;
} tables[] = {
	{"forms", "id, version, definition, loaded_at, current", 5},
	{"standards", "id, family, valid_from, valid_to, definition, loaded_at", 6},
	{"units", "code, valid_from, valid_to, name, level, parent, urban, source", 8},
};

/* Binds column i of from's row to parameter i + 1 of to, by its type. */
static int bind_column(saola__dbstmt *from, saola__dbstmt *to, int i)
{
	switch (saola__db_column_type(from, i)) {
	case SAOLA__DB_NULL:
		return saola__db_bind_null(to, i + 1);
	case SAOLA__DB_INT:
		return saola__db_bind_int(to, i + 1, saola__db_column_int(from, i));
	case SAOLA__DB_REAL:
		return saola__db_bind_double(to, i + 1, saola__db_column_double(from, i));
	default:
		return saola__db_bind_text(to, i + 1, saola__db_column_text(from, i), -1);
	}
}

/* Copies every row of t from src to dst: dst's table is emptied first,
 * or, when add, keeps its rows and takes only the new ones. A failure's
 * message is put on dst. */
static int copy_table(saola__db *src, saola__db *dst, const struct table *t, int add)
{
	saola__dbstmt *rd = NULL, *wr = NULL;
	char sql[512], marks[64] = "";
	int i, rc, step;

	for (i = 0; i < t->ncolumns; i++)
		strcat(marks, i ? ", ?" : "?");
	snprintf(sql, sizeof sql, "DELETE FROM %s", t->name);
	if (!add && (rc = saola__db_exec(dst, sql)) != SAOLA_OK)
		return rc;
	snprintf(sql, sizeof sql, "SELECT %s FROM %s", t->columns, t->name);
	if ((rc = saola__db_prepare(src, sql, &rd)) != SAOLA_OK)
		return saola__db_fail(dst, rc, "%s: %s", t->name, saola__db_errmsg(src));
	snprintf(sql, sizeof sql, "INSERT INTO %s(%s) VALUES (%s)%s", t->name, t->columns, marks,
	         add ? " ON CONFLICT DO NOTHING" : "");
	if ((rc = saola__db_prepare(dst, sql, &wr)) != SAOLA_OK)
		goto out;
	while ((step = saola__db_step(rd)) == SAOLA__DB_ROW) {
		saola__db_reset(wr);
		for (i = 0; i < t->ncolumns; i++)
			if ((rc = bind_column(rd, wr, i)) != SAOLA_OK)
				goto out;
		if ((rc = saola__db_step(wr)) != SAOLA__DB_DONE)
			goto out;
	}
	rc = step == SAOLA__DB_DONE ? SAOLA_OK
	                            : saola__db_fail(dst, step, "%s: %s", t->name,
	                                             saola__db_errmsg(src));
out:
	saola__db_finalize(rd);
	saola__db_finalize(wr);
	return rc;
}

/* Copies the first n of the tables (forms, standards, units) from src to
 * dst. */
static int copy_tables(saola__db *src, saola__db *dst, size_t n)
{
	size_t i;
	int rc;

	for (i = 0; i < n && i < sizeof tables / sizeof tables[0]; i++)
		if ((rc = copy_table(src, dst, &tables[i], 0)) != SAOLA_OK)
			return rc;
	return SAOLA_OK;
}

void saola__engine_close(saola__engine *e)
{
	if (!e)
		return;
	saola__db_close(e->sql);
	saola_close(e->core);
	memset(e, 0, sizeof *e);
}

/* A new, empty engine. */
static int engine_open(saola__engine *e, char *err, size_t errlen)
{
	int rc;

	memset(e, 0, sizeof *e);
	if ((rc = saola_open(":memory:", SAOLA_OPEN_CREATE | SAOLA_OPEN_SERVER, &e->core)) !=
	    SAOLA_OK) {
		snprintf(err, errlen, "forms engine: %s", e->core ? saola_errmsg(e->core)
		                                                 : "out of memory");
		saola_close(e->core);
		e->core = NULL;
		return rc;
	}
	if (!(e->sql = saola__db_sqlite_wrap(e->core->sql))) {
		snprintf(err, errlen, "forms engine: out of memory");
		saola__engine_close(e);
		return SAOLA_NOMEM;
	}
	return SAOLA_OK;
}

int saola__engine_build(saola__engine *e, saola__db *pg, int64_t gen, char *err,
                        size_t errlen)
{
	int rc;

	saola__engine_close(e);
	if ((rc = engine_open(e, err, errlen)) != SAOLA_OK)
		return rc;
	if ((rc = copy_tables(pg, e->sql, 3)) != SAOLA_OK) {
		snprintf(err, errlen, "forms engine: %s", saola__db_errmsg(e->sql));
		saola__engine_close(e);
		return rc;
	}
	saola__forms_forget(e->core);
	saola__places_forget(e->core);
	e->gen = gen;
	return SAOLA_OK;
}

/* The live records' answers a new version would break, counted in
 * PostgreSQL (form_compat.h): the engine holds no records. ctx is the
 * PostgreSQL connection. */
static int count_pg(void *ctx, const saola__probe *p, int64_t *count, char *err,
                    size_t errlen)
{
	/* The repeat's items, or none when it holds no array. */
#define ITEMS "jsonb_array_elements(CASE WHEN jsonb_typeof(data::jsonb -> CAST(? AS TEXT))" \
	" = 'array' THEN data::jsonb -> CAST(? AS TEXT) ELSE '[]'::jsonb END) AS item"
	/* Indexed by [kind/multiple][top level or repeat]; the parameters:
	 * the form, the field or repeat (twice in a repeat), the item's field,
	 * the value. */
	static const char *const where[3][2] = {
		{"jsonb_typeof(data::jsonb -> CAST(? AS TEXT)) <> 'null'",
		 "EXISTS (SELECT 1 FROM " ITEMS " WHERE jsonb_typeof(item -> CAST(? AS TEXT)) <> 'null')"},
		{"data::jsonb ->> CAST(? AS TEXT) = CAST(? AS TEXT)",
		 "EXISTS (SELECT 1 FROM " ITEMS " WHERE item ->> CAST(? AS TEXT) = CAST(? AS TEXT))"},
		{"data::jsonb -> CAST(? AS TEXT) @> jsonb_build_array(CAST(? AS TEXT))",
		 "EXISTS (SELECT 1 FROM " ITEMS " WHERE item -> CAST(? AS TEXT)"
		 " @> jsonb_build_array(CAST(? AS TEXT)))"}};
#undef ITEMS
	int kind = p->kind == SAOLA__PROBE_ANSWERED ? 0 : p->multiple ? 2 : 1;
	saola__db *pg = ctx;
	saola__dbstmt *st = NULL;
	char sql[640];
	int rc, step, i = 1;

	*count = 0;
	snprintf(sql, sizeof sql, "SELECT count(*) FROM records WHERE form_id = ? AND deleted = 0"
	         " AND %s", where[kind][p->repeat != NULL]);
	if ((rc = saola__db_prepare(pg, sql, &st)) != SAOLA_OK) {
		snprintf(err, errlen, "counting records: %s", saola__db_errmsg(pg));
		return rc;
	}
	saola__db_bind_text(st, i++, p->form_id, -1);
	if (p->repeat) {
		saola__db_bind_text(st, i++, p->repeat, -1);
		saola__db_bind_text(st, i++, p->repeat, -1);
	}
	saola__db_bind_text(st, i++, p->field, -1);
	if (p->kind == SAOLA__PROBE_CHOICE)
		saola__db_bind_text(st, i++, p->value, -1);
	if ((step = saola__db_step(st)) == SAOLA__DB_ROW)
		*count = saola__db_column_int(st, 0);
	else
		snprintf(err, errlen, "counting records: %s", saola__db_errmsg(pg));
	saola__db_finalize(st);
	return step == SAOLA__DB_ROW ? SAOLA_OK : step;
}

/* Loads the schemas folder dir, or else the GET /v1/forms answer doc,
 * into the engine's core database, the records a new version would break
 * counted in PostgreSQL (count_pg) when strict; the core's message on pg
 * when it fails. */
static int core_load(saola__engine *e, saola__db *pg, const char *dir, const json_t *doc,
                     int strict, int *count)
{
	int rc;

	saola__set_record_counter(e->core, count_pg, pg);
	e->core->forms_strict = strict;
	rc = dir ? saola_forms_load_dir(e->core, dir, count)
	         : saola__forms_load_doc(e->core, doc, count);
	e->core->forms_strict = 0;
	saola__set_record_counter(e->core, NULL, NULL);
	return rc == SAOLA_OK ? SAOLA_OK : saola__db_fail(pg, rc, "%s", saola_errmsg(e->core));
}

int saola__engine_load_dir(saola__engine *e, saola__db *pg, const char *dir, int strict,
                           int *count)
{
	char why[SAOLA__ERRMSG_MAX];
	int rc;

	/* The core checks and stores the folder in the engine... */
	if ((rc = core_load(e, pg, dir, NULL, strict, count)) != SAOLA_OK)
		return rc;
	/* ...then its forms and standards go to PostgreSQL, and the units by
	 * the server's loader, with their links to the old units (formed_from). */
	if ((rc = copy_tables(e->sql, pg, 2)) != SAOLA_OK)
		return rc;
	if (saola__units_load_dir(pg, dir, NULL, why, sizeof why) != 0)
		return saola__db_fail(pg, SAOLA_INVALID, "%s", why);
	saola__forms_forget(e->core);
	saola__places_forget(e->core);
	return SAOLA_OK;
}

int saola__engine_load_doc(saola__engine *e, saola__db *pg, const json_t *doc, int strict,
                           int *count)
{
	int rc;

	/* The core checks and stores the answer in the engine (its standards,
	 * units and forms)... */
	if ((rc = core_load(e, pg, NULL, doc, strict, count)) != SAOLA_OK)
		return rc;
	/* ...then its forms and standards go to PostgreSQL, and the units it
	 * names that PostgreSQL does not hold yet. */
	if ((rc = copy_tables(e->sql, pg, 2)) != SAOLA_OK ||
	    (rc = copy_table(e->sql, pg, &tables[2], 1)) != SAOLA_OK)
		return rc;
	saola__forms_forget(e->core);
	saola__places_forget(e->core);
	return SAOLA_OK;
}
