/* units.c: loading administrative units (versioned data) into the server
 * database, and looking up their names and parents. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "units.h"

#define MAX_FILES 64

const char *saola__unit_level(const char *code)
{
	size_t n = code ? strlen(code) : 0, i;

	for (i = 0; i < n; i++)
		if (code[i] < '0' || code[i] > '9')
			return NULL;
	return n == 2 ? "province" : n == 3 ? "district" : n == 5 ? "commune" : NULL;
}

static int is_code(const char *s)
{
	size_t n = s ? strlen(s) : 0, i;

	if (n == 0 || n > SAOLA__UNIT_CODE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* A date "YYYY-MM-DD" (digits and dashes in place; not a calendar check). */
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

/* Checks units[i] and inserts it. 0, or -1 with err. */
static int load_unit(sqlite3_stmt *ins, const char *path, const char *source, size_t i,
                     json_t *u, char *err, size_t errlen)
{
	const char *code = json_string_value(json_object_get(u, "code"));
	const char *name = json_string_value(json_object_get(u, "name"));
	const char *level = json_string_value(json_object_get(u, "level"));
	json_t *parent = json_object_get(u, "parent"), *urban = json_object_get(u, "urban");
	const char *from = json_string_value(json_object_get(u, "valid_from"));
	json_t *to = json_object_get(u, "valid_to");
	const char *what = NULL;

	if (!json_is_object(u))
		what = "expected an object";
	else if (!is_code(code))
		what = "code: expected a unit code of 1 to 8 digits";
	else if (!name || !*name || strlen(name) > SAOLA__UNIT_NAME_MAX)
		what = "name: expected a name of 1 to 160 bytes";
	else if (!level || (strcmp(level, "province") && strcmp(level, "district") &&
	                    strcmp(level, "commune")))
		what = "level: expected province, district or commune";
	else if (parent && !json_is_null(parent) && !is_code(json_string_value(parent)))
		what = "parent: expected a unit code or null";
	else if (urban && !json_is_boolean(urban))
		what = "urban: expected true or false";
	else if (!is_date(from))
		what = "valid_from: expected a date YYYY-MM-DD";
	else if (to && !json_is_null(to) && !is_date(json_string_value(to)))
		what = "valid_to: expected a date YYYY-MM-DD or null";
	else if (to && !json_is_null(to) && strcmp(json_string_value(to), from) < 0)
		what = "valid_to: before valid_from";
	if (what) {
		snprintf(err, errlen, "units %s: units[%zu]: %s", path, i, what);
		return -1;
	}
	sqlite3_reset(ins);
	sqlite3_bind_text(ins, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 2, from, -1, SQLITE_STATIC);
	if (to && !json_is_null(to))
		sqlite3_bind_text(ins, 3, json_string_value(to), -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(ins, 3);
	sqlite3_bind_text(ins, 4, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 5, level, -1, SQLITE_STATIC);
	if (parent && json_is_string(parent))
		sqlite3_bind_text(ins, 6, json_string_value(parent), -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(ins, 6);
	sqlite3_bind_int(ins, 7, json_is_true(urban));
	sqlite3_bind_text(ins, 8, source, -1, SQLITE_STATIC);
	if (sqlite3_step(ins) != SQLITE_DONE) {
		snprintf(err, errlen, "units %s: units[%zu]: %s", path, i,
		         sqlite3_errmsg(sqlite3_db_handle(ins)));
		return -1;
	}
	return 0;
}

int saola__units_load_file(sqlite3 *db, const char *path, int *count, char *err,
                           size_t errlen)
{
	json_error_t je;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je), *units, *u;
	sqlite3_stmt *del = NULL, *ins = NULL;
	const char *source;
	size_t i;
	int rc = -1;

	if (count)
		*count = 0;
	if (!doc) {
		snprintf(err, errlen, "units %s: line %d, column %d: %s", path, je.line, je.column,
		         je.text);
		return -1;
	}
	source = json_string_value(json_object_get(doc, "id"));
	units = json_object_get(doc, "units");
	if (!source || !*source) {
		snprintf(err, errlen, "units %s: id: expected a non-empty string", path);
		goto out;
	}
	if (!json_is_array(units)) {
		snprintf(err, errlen, "units %s: units: expected an array", path);
		goto out;
	}
	if (sqlite3_exec(db, "SAVEPOINT units_load", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "units %s: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	if (sqlite3_prepare_v2(db, "DELETE FROM units WHERE source = ?1", -1, &del, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO units(code, valid_from, valid_to,"
	                       " name, level, parent, urban, source)"
	                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1, &ins, NULL)) {
		snprintf(err, errlen, "units %s: %s", path, sqlite3_errmsg(db));
		goto rollback;
	}
	sqlite3_bind_text(del, 1, source, -1, SQLITE_STATIC);
	if (sqlite3_step(del) != SQLITE_DONE) {
		snprintf(err, errlen, "units %s: %s", path, sqlite3_errmsg(db));
		goto rollback;
	}
	json_array_foreach(units, i, u)
		if (load_unit(ins, path, source, i, u, err, errlen) != 0)
			goto rollback;
	if (sqlite3_exec(db, "RELEASE units_load", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "units %s: %s", path, sqlite3_errmsg(db));
		goto rollback;
	}
	if (count)
		*count = (int)json_array_size(units);
	rc = 0;
	goto out;
rollback:
	sqlite3_exec(db, "ROLLBACK TO units_load; RELEASE units_load", NULL, NULL, NULL);
out:
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	json_decref(doc);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int saola__units_load_dir(sqlite3 *db, const char *dir, int *count, char *err, size_t errlen)
{
	char path[4096], *names[MAX_FILES];
	struct dirent *e;
	DIR *d;
	int n = 0, i, rc = 0, total = 0, one;

	if (count)
		*count = 0;
	snprintf(path, sizeof path, "%s/units", dir);
	if (!(d = opendir(path)))
		return 0;
	while ((e = readdir(d)) && rc == 0) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0 || e->d_name[0] == '.')
			continue;
		if (n == MAX_FILES) {
			snprintf(err, errlen, "units %s: more than %d files", path, MAX_FILES);
			rc = -1;
		} else if (!(names[n] = strdup(e->d_name))) {
			snprintf(err, errlen, "units %s: out of memory", path);
			rc = -1;
		} else {
			n++;
		}
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof names[0], cmp_names);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/units/%s", dir, names[i]);
		if (rc == 0 && (rc = saola__units_load_file(db, path, &one, err, errlen)) == 0)
			total += one;
		free(names[i]);
	}
	if (count)
		*count = total;
	return rc;
}

int saola__units_ensure(sqlite3 *db, const char *dir, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int step;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM units LIMIT 1", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "units: %s", sqlite3_errmsg(db));
		return -1;
	}
	step = sqlite3_step(st);
	sqlite3_finalize(st);
	if (step == SQLITE_ROW)
		return 0;
	if (step != SQLITE_DONE) {
		snprintf(err, errlen, "units: %s", sqlite3_errmsg(db));
		return -1;
	}
	return saola__units_load_dir(db, dir, NULL, err, errlen);
}

static void copy_col(char *dst, size_t cap, sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	snprintf(dst, cap, "%s", v ? v : "");
}

int saola__unit_get(sqlite3 *db, const char *code, int year, saola__unit *out, int *found)
{
	/* The version valid in the year first, then the latest. */
	static const char sql[] =
		"SELECT code, name, level, parent, urban FROM units WHERE code = ?1"
		" ORDER BY (?2 > 0 AND valid_from <= printf('%04d-12-31', ?2) AND"
		" (valid_to IS NULL OR valid_to >= printf('%04d-01-01', ?2))) DESC,"
		" valid_from DESC LIMIT 1";
	sqlite3_stmt *st = NULL;
	int step;

	memset(out, 0, sizeof *out);
	*found = 0;
	if (!code || !*code)
		return 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, year);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		copy_col(out->code, sizeof out->code, st, 0);
		copy_col(out->name, sizeof out->name, st, 1);
		copy_col(out->level, sizeof out->level, st, 2);
		copy_col(out->parent, sizeof out->parent, st, 3);
		out->urban = sqlite3_column_int(st, 4);
		*found = 1;
	}
	sqlite3_finalize(st);
	return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
}

/* The unit a record names above code (its district, else its province),
 * for codes the units table does not know; "" when no record names it. */
static int parent_by_records(sqlite3 *db, const char *code, char *parent, size_t cap)
{
	const char *level = saola__unit_level(code);
	const char *sql = level && strcmp(level, "commune") == 0
	        ? "SELECT coalesce(district, province) FROM records WHERE commune = ?1 LIMIT 1"
	        : level && strcmp(level, "district") == 0
	        ? "SELECT province FROM records WHERE district = ?1 LIMIT 1" : NULL;
	sqlite3_stmt *st = NULL;
	int step;

	parent[0] = '\0';
	if (!sql)
		return 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		copy_col(parent, cap, st, 0);
	sqlite3_finalize(st);
	return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
}

int saola__unit_within(sqlite3 *db, const char *code, const char *ancestor, int *within)
{
	static const char sql[] =
		"WITH RECURSIVE up(c) AS (SELECT ?1 UNION SELECT u.parent FROM units u"
		" JOIN up ON u.code = up.c WHERE u.parent IS NOT NULL)"
		" SELECT max(c = ?2), (SELECT count(*) FROM units WHERE code = ?1) FROM up";
	sqlite3_stmt *st = NULL;
	char parent[SAOLA__UNIT_CODE_MAX + 1], cur[SAOLA__UNIT_CODE_MAX + 1];
	int step, known = 0, depth;

	*within = 0;
	if (!ancestor || !*ancestor) {
		*within = 1;
		return 0;
	}
	if (!code || strlen(code) > SAOLA__UNIT_CODE_MAX)
		return 0;
	snprintf(cur, sizeof cur, "%s", code);
	code = cur;
	for (depth = 0; depth < 4 && *code; depth++) {
		if (strcmp(code, ancestor) == 0) {
			*within = 1;
			return 0;
		}
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			return -1;
		sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, ancestor, -1, SQLITE_STATIC);
		step = sqlite3_step(st);
		if (step == SQLITE_ROW) {
			*within = sqlite3_column_int(st, 0);
			known = sqlite3_column_int(st, 1) > 0;
		}
		sqlite3_finalize(st);
		if (step != SQLITE_ROW)
			return -1;
		if (*within || known)
			return 0;
		/* Not in the units table: go up by what the records say. */
		if (parent_by_records(db, code, parent, sizeof parent) != 0)
			return -1;
		if (!parent[0] || strcmp(parent, code) == 0)
			return 0;
		memcpy(cur, parent, sizeof cur);
	}
	return 0;
}

void saola__unit_label(const saola__unit *u, const char *code, char *buf, size_t len)
{
	if (u && u->name[0])
		snprintf(buf, len, "%s %s", u->code, u->name);
	else
		snprintf(buf, len, "%s", code && *code ? code : "-");
}
