/* places.c: administrative units as versioned data in the database's units
 * table (the same table a server's reports read), loaded from units files,
 * read once per handle into memory, and looked up by code and date. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola_int.h"
#include "places.h"

#define LEVEL_MEMO 4 /* answers of saola__places_level_exists kept */

struct saola__places_mem {
	saola__place *v;  /* sorted by code, then from */
	size_t n;
	struct {          /* recent level_exists answers, which scan every unit */
		char level[16], date[16];
		int exists;
	} memo[LEVEL_MEMO];
	unsigned nmemo;   /* answers ever kept; the next goes to nmemo % LEVEL_MEMO */
};

int saola__places_is_doc(const json_t *doc)
{
	return json_is_array(json_object_get(doc, "units")) &&
	       !json_object_get(doc, "fields") && !json_object_get(doc, "params");
}

int saola__places_is_code(const char *s)
{
	size_t n = s ? strlen(s) : 0, i;

	if (n == 0 || n > SAOLA__PLACE_CODE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* "YYYY-MM-DD" (digits and dashes in place; not a calendar check). */
static int is_date(const char *s)
{
	int i;

	if (!s || strlen(s) != 10)
		return 0;
	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

const char *saola__places_unit_problem(const json_t *u)
{
	const char *code = json_string_value(json_object_get(u, "code"));
	const char *name = json_string_value(json_object_get(u, "name"));
	const char *level = json_string_value(json_object_get(u, "level"));
	json_t *parent = json_object_get(u, "parent"), *urban = json_object_get(u, "urban");
	const char *from = json_string_value(json_object_get(u, "valid_from"));
	json_t *to = json_object_get(u, "valid_to");

	if (!json_is_object(u))
		return "expected an object";
	if (!saola__places_is_code(code))
		return "code: expected a unit code of 1 to 8 digits";
	if (!name || !*name || strlen(name) > SAOLA__PLACE_NAME_MAX)
		return "name: expected a name of 1 to 160 bytes";
	if (!level || (strcmp(level, "province") && strcmp(level, "district") &&
	               strcmp(level, "commune")))
		return "level: expected province, district or commune";
	if (parent && !json_is_null(parent) && !saola__places_is_code(json_string_value(parent)))
		return "parent: expected a unit code or null";
	if (urban && !json_is_boolean(urban))
		return "urban: expected true or false";
	if (!is_date(from))
		return "valid_from: expected a date YYYY-MM-DD";
	if (to && !json_is_null(to) && !is_date(json_string_value(to)))
		return "valid_to: expected a date YYYY-MM-DD or null";
	if (to && !json_is_null(to) && strcmp(json_string_value(to), from) < 0)
		return "valid_to: before valid_from";
	return NULL;
}

static void bind_opt(sqlite3_stmt *st, int i, json_t *v)
{
	if (json_is_string(v))
		sqlite3_bind_text(st, i, json_string_value(v), -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static int insert_unit(saola *db, sqlite3_stmt *ins, const char *source, json_t *u)
{
	sqlite3_reset(ins);
	sqlite3_bind_text(ins, 1, json_string_value(json_object_get(u, "code")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(ins, 2, json_string_value(json_object_get(u, "valid_from")), -1,
	                  SQLITE_STATIC);
	bind_opt(ins, 3, json_object_get(u, "valid_to"));
	sqlite3_bind_text(ins, 4, json_string_value(json_object_get(u, "name")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(ins, 5, json_string_value(json_object_get(u, "level")), -1,
	                  SQLITE_STATIC);
	bind_opt(ins, 6, json_object_get(u, "parent"));
	sqlite3_bind_int(ins, 7, json_is_true(json_object_get(u, "urban")));
	sqlite3_bind_text(ins, 8, source, -1, SQLITE_STATIC);
	return sqlite3_step(ins) == SQLITE_DONE ? SAOLA_OK : saola__sql_error(db, "units");
}

int saola__places_load_doc(saola *db, const json_t *doc, const char *where)
{
	const char *source = json_string_value(json_object_get(doc, "id"));
	json_t *units = json_object_get(doc, "units"), *u;
	sqlite3_stmt *del = NULL, *ins = NULL;
	const char *why;
	size_t i;
	int rc = SAOLA_OK;

	if (!source || !*source)
		return saola__error(db, SAOLA_INVALID, "%s: id: expected a non-empty string", where);
	if (!json_is_array(units))
		return saola__error(db, SAOLA_INVALID, "%s: units: expected an array", where);
	json_array_foreach(units, i, u)
		if ((why = saola__places_unit_problem(u)) != NULL)
			return saola__error(db, SAOLA_INVALID, "%s: units[%zu]: %s", where, i, why);
	if (sqlite3_prepare_v2(db->sql, "DELETE FROM units WHERE source = ?1", -1, &del, NULL) ||
	    sqlite3_prepare_v2(db->sql, "INSERT OR REPLACE INTO units(code, valid_from,"
	                       " valid_to, name, level, parent, urban, source)"
	                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1, &ins, NULL)) {
		rc = saola__sql_error(db, "units");
		goto out;
	}
	sqlite3_bind_text(del, 1, source, -1, SQLITE_STATIC);
	if (sqlite3_step(del) != SQLITE_DONE) {
		rc = saola__sql_error(db, "units");
		goto out;
	}
	json_array_foreach(units, i, u)
		if ((rc = insert_unit(db, ins, source, u)) != SAOLA_OK)
			break;
out:
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	saola__places_forget(db);
	return rc;
}

/* One row of the units table as a units file's entry. */
static json_t *row_unit(sqlite3_stmt *st)
{
	const char *to = (const char *)sqlite3_column_text(st, 2);
	const char *parent = (const char *)sqlite3_column_text(st, 5);

	return json_pack("{s:s, s:s, s:s, s:o, s:b, s:s, s:o}",
	                 "code", (const char *)sqlite3_column_text(st, 0),
	                 "name", (const char *)sqlite3_column_text(st, 3),
	                 "level", (const char *)sqlite3_column_text(st, 4),
	                 "parent", parent ? json_string(parent) : json_null(),
	                 "urban", sqlite3_column_int(st, 6),
	                 "valid_from", (const char *)sqlite3_column_text(st, 1),
	                 "valid_to", to ? json_string(to) : json_null());
}

int saola__places_export(saola *db, json_t **out)
{
	sqlite3_stmt *st = NULL;
	json_t *files = json_array(), *cur = NULL;
	const char *last = "";
	int step, rc = SAOLA_OK;

	*out = NULL;
	if (!files)
		return saola__error(db, SAOLA_NOMEM, "units: out of memory");
	if (sqlite3_prepare_v2(db->sql, "SELECT code, valid_from, valid_to, name, level,"
	                       " parent, urban, source FROM units ORDER BY source, code,"
	                       " valid_from", -1, &st, NULL)) {
		json_decref(files);
		return saola__sql_error(db, "units");
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *source = (const char *)sqlite3_column_text(st, 7);
		json_t *u = row_unit(st);
		if (!cur || strcmp(source, last) != 0) {
			cur = json_pack("{s:s, s:[]}", "id", source, "units");
			if (!cur || json_array_append_new(files, cur)) {
				json_decref(u);
				rc = saola__error(db, SAOLA_NOMEM, "units: out of memory");
				break;
			}
			last = json_string_value(json_object_get(cur, "id"));
		}
		if (!u || json_array_append_new(json_object_get(cur, "units"), u)) {
			rc = saola__error(db, SAOLA_NOMEM, "units: out of memory");
			break;
		}
	}
	if (rc == SAOLA_OK && step != SQLITE_DONE)
		rc = saola__sql_error(db, "units");
	sqlite3_finalize(st);
	if (rc != SAOLA_OK) {
		json_decref(files);
		return rc;
	}
	*out = files;
	return SAOLA_OK;
}

void saola__places_forget(saola *db)
{
	if (!db->places)
		return;
	free(db->places->v);
	free(db->places);
	db->places = NULL;
}

static void copy_col(char *dst, size_t cap, sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	snprintf(dst, cap, "%s", v ? v : "");
}

static int read_row(struct saola__places_mem *m, size_t *cap, sqlite3_stmt *st)
{
	saola__place *p;

	if (m->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		saola__place *grown = realloc(m->v, ncap * sizeof *grown);
		if (!grown)
			return SAOLA_NOMEM;
		m->v = grown;
		*cap = ncap;
	}
	p = &m->v[m->n++];
	copy_col(p->code, sizeof p->code, st, 0);
	copy_col(p->from, sizeof p->from, st, 1);
	copy_col(p->to, sizeof p->to, st, 2);
	copy_col(p->name, sizeof p->name, st, 3);
	copy_col(p->level, sizeof p->level, st, 4);
	copy_col(p->parent, sizeof p->parent, st, 5);
	p->urban = sqlite3_column_int(st, 6);
	return SAOLA_OK;
}

/* Reads every unit once per handle (a few thousand at most). */
static int places_read(saola *db)
{
	struct saola__places_mem *m;
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int step, rc = SAOLA_OK;

	if (db->places)
		return SAOLA_OK;
	if (!(m = calloc(1, sizeof *m)))
		return saola__error(db, SAOLA_NOMEM, "units: out of memory");
	if (sqlite3_prepare_v2(db->sql, "SELECT code, valid_from, valid_to, name, level,"
	                       " parent, urban FROM units ORDER BY code, valid_from",
	                       -1, &st, NULL)) {
		free(m);
		return saola__sql_error(db, "units");
	}
	while (rc == SAOLA_OK && (step = sqlite3_step(st)) == SQLITE_ROW)
		if (read_row(m, &cap, st) != SAOLA_OK)
			rc = saola__error(db, SAOLA_NOMEM, "units: out of memory");
	if (rc == SAOLA_OK && step != SQLITE_DONE)
		rc = saola__sql_error(db, "units");
	sqlite3_finalize(st);
	if (rc != SAOLA_OK) {
		free(m->v);
		free(m);
		return rc;
	}
	db->places = m;
	return SAOLA_OK;
}

long saola__places_count(saola *db)
{
	return places_read(db) == SAOLA_OK ? (long)db->places->n : -1;
}

const saola__place *saola__places_at(saola *db, size_t i)
{
	if (places_read(db) != SAOLA_OK || i >= db->places->n)
		return NULL;
	return &db->places->v[i];
}

static int valid_on(const saola__place *p, const char *date)
{
	return strcmp(p->from, date) <= 0 && (!p->to[0] || strcmp(date, p->to) <= 0);
}

const saola__place *saola__places_find(saola *db, const char *code, const char *date)
{
	size_t lo = 0, hi, mid;
	const saola__place *v;

	if (!code || !*code || places_read(db) != SAOLA_OK)
		return NULL;
	v = db->places->v;
	hi = db->places->n;
	while (lo < hi) { /* the first version of code */
		mid = lo + (hi - lo) / 2;
		if (strcmp(v[mid].code, code) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < db->places->n && strcmp(v[lo].code, code) == 0; lo++)
		if (valid_on(&v[lo], date))
			return &v[lo];
	return NULL;
}

static int level_scan(const struct saola__places_mem *m, const char *level,
                      const char *date)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->v[i].level, level) == 0 && valid_on(&m->v[i], date))
			return 1;
	return 0;
}

/* Asked for every record (the household form's relevance of district):
 * the answer of a recent (level, date) is kept rather than scanned again. */
int saola__places_level_exists(saola *db, const char *level, const char *date)
{
	struct saola__places_mem *m;
	unsigned i, k;

	if (places_read(db) != SAOLA_OK)
		return 0;
	m = db->places;
	if (strlen(level) >= sizeof m->memo[0].level || strlen(date) >= sizeof m->memo[0].date)
		return level_scan(m, level, date);
	for (i = 0; i < LEVEL_MEMO && i < m->nmemo; i++)
		if (strcmp(m->memo[i].level, level) == 0 && strcmp(m->memo[i].date, date) == 0)
			return m->memo[i].exists;
	k = m->nmemo++ % LEVEL_MEMO;
	strcpy(m->memo[k].level, level);
	strcpy(m->memo[k].date, date);
	m->memo[k].exists = level_scan(m, level, date);
	return m->memo[k].exists;
}
