/* units.c: loading administrative units (versioned data) into the server
 * database, and looking up their names and parents. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "places.h"
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

/* Checks units[i].formed_from ([{"code", "whole"}], may be absent) and
 * inserts its links to the new unit (code, from). 0, or -1 with err. */
static int load_links(sqlite3_stmt *link, const char *path, const char *source, size_t i,
                      const char *code, const char *from, json_t *links, char *err,
                      size_t errlen)
{
	json_t *l;
	size_t j;

	if (!links || json_is_null(links))
		return 0;
	if (!json_is_array(links)) {
		snprintf(err, errlen, "units %s: units[%zu] (unit %s): formed_from: expected an"
		         " array of {\"code\", \"whole\"}", path, i, code);
		return -1;
	}
	json_array_foreach(links, j, l) {
		const char *old = json_string_value(json_object_get(l, "code"));
		json_t *whole = json_object_get(l, "whole");
		const char *what = !json_is_object(l) ? "expected an object {\"code\", \"whole\"}"
		        : !saola__places_is_code(old) ? "code: expected a unit code of 1 to 8 digits"
		        : !json_is_boolean(whole) ? "whole: expected true or false" : NULL;
		if (what) {
			snprintf(err, errlen, "units %s: units[%zu] (unit %s): formed_from[%zu]: %s", path,
			         i, code, j, what);
			return -1;
		}
		sqlite3_reset(link);
		sqlite3_bind_text(link, 1, code, -1, SQLITE_STATIC);
		sqlite3_bind_text(link, 2, from, -1, SQLITE_STATIC);
		sqlite3_bind_text(link, 3, old, -1, SQLITE_STATIC);
		sqlite3_bind_int(link, 4, json_is_true(whole));
		sqlite3_bind_text(link, 5, source, -1, SQLITE_STATIC);
		if (sqlite3_step(link) != SQLITE_DONE) {
			snprintf(err, errlen, "units %s: units[%zu] (unit %s): formed_from[%zu]: %s", path,
			         i, code, j, sqlite3_errmsg(sqlite3_db_handle(link)));
			return -1;
		}
	}
	return 0;
}

/* Checks units[i] and inserts it and its links. 0, or -1 with err. */
static int load_unit(sqlite3_stmt *ins, sqlite3_stmt *link, const char *path,
                     const char *source, size_t i, json_t *u, char *err, size_t errlen)
{
	const char *code = json_string_value(json_object_get(u, "code"));
	const char *name = json_string_value(json_object_get(u, "name"));
	const char *level = json_string_value(json_object_get(u, "level"));
	json_t *parent = json_object_get(u, "parent"), *urban = json_object_get(u, "urban");
	const char *from = json_string_value(json_object_get(u, "valid_from"));
	json_t *to = json_object_get(u, "valid_to");
	const char *what = saola__places_unit_problem(u);

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
	return load_links(link, path, source, i, code, from, json_object_get(u, "formed_from"),
	                  err, errlen);
}

int saola__units_check_links(sqlite3 *db, const char *source, const char *path, int strict,
                             char *err, size_t errlen)
{
	/* An old unit must have a version that began before the new one. */
	static const char sql[] =
		"SELECT l.new_code, l.new_from, l.old_code, l.source FROM unit_links l"
		" WHERE (?1 IS NULL OR l.source = ?1) AND NOT EXISTS (SELECT 1 FROM units u"
		"  WHERE u.code = l.old_code AND u.valid_from < l.new_from)"
		" ORDER BY l.source, l.new_code, l.old_code LIMIT 1";
	sqlite3_stmt *st = NULL;
	int step;

	/* The loaders let every old code through: the shipped file of the new
	 * units names old units of Hà Nam and Nam Định, and old versions of
	 * reused codes, that no file has (they lie outside every loaded area,
	 * so covers that reach them say "partial"). */
	if (!strict)
		return 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "units %s: links: %s", path ? path : "", sqlite3_errmsg(db));
		return -1;
	}
	if (source)
		sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		snprintf(err, errlen, "units %s (id %s): unit %s (valid from %s): formed_from: old"
		         " unit %s is not a unit of any units file loaded, valid before %s",
		         path ? path : "", sqlite3_column_text(st, 3), sqlite3_column_text(st, 0),
		         sqlite3_column_text(st, 1), sqlite3_column_text(st, 2),
		         sqlite3_column_text(st, 1));
	else if (step != SQLITE_DONE)
		snprintf(err, errlen, "units %s: links: %s", path ? path : "", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return step == SQLITE_DONE ? 0 : -1;
}

/* Loads one file; its links are checked when check is set (else the
 * caller checks them after the files of a folder). *source gets the
 * file's id (a new string the caller frees; NULL on failure). */
static int load_file(sqlite3 *db, const char *path, int check, int *count, char **sourcep,
                     char *err, size_t errlen)
{
	json_error_t je;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je), *units, *u;
	sqlite3_stmt *del = NULL, *ins = NULL, *dlink = NULL, *link = NULL;
	const char *source;
	size_t i;
	int rc = -1;

	if (count)
		*count = 0;
	if (sourcep)
		*sourcep = NULL;
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
	                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1, &ins, NULL) ||
	    sqlite3_prepare_v2(db, "DELETE FROM unit_links WHERE source = ?1", -1, &dlink, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO unit_links(new_code, new_from,"
	                       " old_code, whole, source) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &link,
	                       NULL)) {
		snprintf(err, errlen, "units %s: %s", path, sqlite3_errmsg(db));
		goto rollback;
	}
	sqlite3_bind_text(del, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(dlink, 1, source, -1, SQLITE_STATIC);
	if (sqlite3_step(del) != SQLITE_DONE || sqlite3_step(dlink) != SQLITE_DONE) {
		snprintf(err, errlen, "units %s: %s", path, sqlite3_errmsg(db));
		goto rollback;
	}
	json_array_foreach(units, i, u)
		if (load_unit(ins, link, path, source, i, u, err, errlen) != 0)
			goto rollback;
	if (check && saola__units_check_links(db, source, path, 0, err, errlen) != 0)
		goto rollback;
	if (sourcep && !(*sourcep = strdup(source))) {
		snprintf(err, errlen, "units %s: out of memory", path);
		goto rollback;
	}
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
	if (sourcep) {
		free(*sourcep);
		*sourcep = NULL;
	}
out:
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	sqlite3_finalize(dlink);
	sqlite3_finalize(link);
	json_decref(doc);
	return rc;
}

int saola__units_load_file(sqlite3 *db, const char *path, int *count, char *err,
                           size_t errlen)
{
	return load_file(db, path, 1, count, NULL, err, errlen);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Checks the links of every file of a folder once all are loaded; the
 * error names the file by its path. */
static int check_dir_links(sqlite3 *db, const char *dir, char *const *names, char *const *ids,
                           int n, char *err, size_t errlen)
{
	char path[4096];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/units/%s", dir, names[i]);
		if (saola__units_check_links(db, ids[i], path, 0, err, errlen) != 0)
			return -1;
	}
	return 0;
}

int saola__units_load_dir(sqlite3 *db, const char *dir, int *count, char *err, size_t errlen)
{
	char path[4096], *names[MAX_FILES], *ids[MAX_FILES] = {NULL};
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
	/* All the folder or nothing; links may name units of any file, so
	 * they are checked once every file is in. */
	if (rc == 0 && sqlite3_exec(db, "SAVEPOINT units_dir", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "units %s: %s", path, sqlite3_errmsg(db));
		rc = -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/units/%s", dir, names[i]);
		if (rc == 0 && (rc = load_file(db, path, 0, &one, &ids[i], err, errlen)) == 0)
			total += one;
	}
	if (rc == 0)
		rc = check_dir_links(db, dir, names, ids, n, err, errlen);
	if (rc == 0 && sqlite3_exec(db, "RELEASE units_dir", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "units %s/units: %s", dir, sqlite3_errmsg(db));
		rc = -1;
	}
	if (rc != 0 && n > 0)
		sqlite3_exec(db, "ROLLBACK TO units_dir; RELEASE units_dir", NULL, NULL, NULL);
	for (i = 0; i < n; i++) {
		free(names[i]);
		free(ids[i]);
	}
	if (count)
		*count = rc == 0 ? total : 0;
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
