/* units.c: loading administrative units (versioned data) into the server
 * database, and looking up their names and parents. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "saola_places.h"
#include "saola/core.h"
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
static int load_links(saola__dbstmt *link, const char *path, const char *source, size_t i,
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
		saola__db_reset(link);
		saola__db_bind_text(link, 1, code, -1);
		saola__db_bind_text(link, 2, from, -1);
		saola__db_bind_text(link, 3, old, -1);
		saola__db_bind_int(link, 4, json_is_true(whole));
		saola__db_bind_text(link, 5, source, -1);
		if (saola__db_step(link) != SAOLA__DB_DONE) {
			snprintf(err, errlen, "units %s: units[%zu] (unit %s): formed_from[%zu]: %s", path,
			         i, code, j, saola__db_errmsg(saola__db_of(link)));
			return -1;
		}
	}
	return 0;
}

/* Checks units[i] and inserts it and its links. 0, or -1 with err. */
static int load_unit(saola__dbstmt *ins, saola__dbstmt *link, const char *path,
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
	saola__db_reset(ins);
	saola__db_bind_text(ins, 1, code, -1);
	saola__db_bind_text(ins, 2, from, -1);
	if (to && !json_is_null(to))
		saola__db_bind_text(ins, 3, json_string_value(to), -1);
	else
		saola__db_bind_null(ins, 3);
	saola__db_bind_text(ins, 4, name, -1);
	saola__db_bind_text(ins, 5, level, -1);
	if (parent && json_is_string(parent))
		saola__db_bind_text(ins, 6, json_string_value(parent), -1);
	else
		saola__db_bind_null(ins, 6);
	saola__db_bind_int(ins, 7, json_is_true(urban));
	saola__db_bind_text(ins, 8, source, -1);
	if (saola__db_step(ins) != SAOLA__DB_DONE) {
		snprintf(err, errlen, "units %s: units[%zu]: %s", path, i,
		         saola__db_errmsg(saola__db_of(ins)));
		return -1;
	}
	return load_links(link, path, source, i, code, from, json_object_get(u, "formed_from"),
	                  err, errlen);
}

int saola__units_check_links(saola__db *db, const char *source, const char *path, int strict,
                             char *err, size_t errlen)
{
	/* An old unit must have a version that began before the new one. */
	static const char sql[] =
		"SELECT l.new_code, l.new_from, l.old_code, l.source FROM unit_links l"
		" WHERE (CAST(? AS TEXT) IS NULL OR l.source = ?) AND NOT EXISTS (SELECT 1 FROM units u"
		"  WHERE u.code = l.old_code AND u.valid_from < l.new_from)"
		" ORDER BY l.source, l.new_code, l.old_code LIMIT 1";
	saola__dbstmt *st = NULL;
	int step;

	/* The loaders let every old code through: the shipped file of the new
	 * units names old units of Hà Nam and Nam Định, and old versions of
	 * reused codes, that no file has (they lie outside every loaded area,
	 * so covers that reach them say "partial"). */
	if (!strict)
		return 0;
	if (saola__db_prepare(db, sql, &st) != SAOLA_OK) {
		snprintf(err, errlen, "units %s: links: %s", path ? path : "", saola__db_errmsg(db));
		return -1;
	}
	/* A NULL source binds NULL: every link. */
	saola__db_bind_text(st, 1, source, -1);
	saola__db_bind_text(st, 2, source, -1);
	step = saola__db_step(st);
	if (step == SAOLA__DB_ROW)
		snprintf(err, errlen, "units %s (id %s): unit %s (valid from %s): formed_from: old"
		         " unit %s is not a unit of any units file loaded, valid before %s",
		         path ? path : "", saola__db_column_text(st, 3), saola__db_column_text(st, 0),
		         saola__db_column_text(st, 1), saola__db_column_text(st, 2),
		         saola__db_column_text(st, 1));
	else if (step != SAOLA__DB_DONE)
		snprintf(err, errlen, "units %s: links: %s", path ? path : "", saola__db_errmsg(db));
	saola__db_finalize(st);
	return step == SAOLA__DB_DONE ? 0 : -1;
}

/* Loads one file; its links are checked when check is set (else the
 * caller checks them after the files of a folder). *source gets the
 * file's id (a new string the caller frees; NULL on failure). */
static int load_file(saola__db *db, const char *path, int check, int *count, char **sourcep,
                     char *err, size_t errlen)
{
	json_error_t je;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je), *units, *u;
	saola__dbstmt *del = NULL, *ins = NULL, *dlink = NULL, *link = NULL;
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
	if (saola__db_exec(db, "SAVEPOINT units_load") != SAOLA_OK) {
		snprintf(err, errlen, "units %s: %s", path, saola__db_errmsg(db));
		goto out;
	}
	if (saola__db_prepare(db, "DELETE FROM units WHERE source = ?", &del) ||
	    saola__db_prepare(db, "INSERT INTO units(code, valid_from, valid_to, name,"
	                       " level, parent, urban, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
	                       " ON CONFLICT(code, valid_from) DO UPDATE SET"
	                       " valid_to = excluded.valid_to, name = excluded.name,"
	                       " level = excluded.level, parent = excluded.parent,"
	                       " urban = excluded.urban, source = excluded.source", &ins) ||
	    saola__db_prepare(db, "DELETE FROM unit_links WHERE source = ?", &dlink) ||
	    saola__db_prepare(db, "INSERT INTO unit_links(new_code, new_from, old_code,"
	                       " whole, source) VALUES (?, ?, ?, ?, ?)"
	                       " ON CONFLICT(new_code, new_from, old_code) DO UPDATE SET"
	                       " whole = excluded.whole, source = excluded.source", &link)) {
		snprintf(err, errlen, "units %s: %s", path, saola__db_errmsg(db));
		goto rollback;
	}
	saola__db_bind_text(del, 1, source, -1);
	saola__db_bind_text(dlink, 1, source, -1);
	if (saola__db_step(del) != SAOLA__DB_DONE || saola__db_step(dlink) != SAOLA__DB_DONE) {
		snprintf(err, errlen, "units %s: %s", path, saola__db_errmsg(db));
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
	if (saola__db_exec(db, "RELEASE units_load") != SAOLA_OK) {
		snprintf(err, errlen, "units %s: %s", path, saola__db_errmsg(db));
		goto rollback;
	}
	if (count)
		*count = (int)json_array_size(units);
	rc = 0;
	goto out;
rollback:
	saola__db_exec(db, "ROLLBACK TO units_load; RELEASE units_load");
	if (sourcep) {
		free(*sourcep);
		*sourcep = NULL;
	}
out:
	saola__db_finalize(del);
	saola__db_finalize(ins);
	saola__db_finalize(dlink);
	saola__db_finalize(link);
	json_decref(doc);
	return rc;
}

int saola__units_load_file(saola__db *db, const char *path, int *count, char *err,
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
static int check_dir_links(saola__db *db, const char *dir, char *const *names, char *const *ids,
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

int saola__units_load_dir(saola__db *db, const char *dir, int *count, char *err, size_t errlen)
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
	if (rc == 0 && saola__db_exec(db, "SAVEPOINT units_dir") != SAOLA_OK) {
		snprintf(err, errlen, "units %s: %s", path, saola__db_errmsg(db));
		rc = -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/units/%s", dir, names[i]);
		if (rc == 0 && (rc = load_file(db, path, 0, &one, &ids[i], err, errlen)) == 0)
			total += one;
	}
	if (rc == 0)
		rc = check_dir_links(db, dir, names, ids, n, err, errlen);
	if (rc == 0 && saola__db_exec(db, "RELEASE units_dir") != SAOLA_OK) {
		snprintf(err, errlen, "units %s/units: %s", dir, saola__db_errmsg(db));
		rc = -1;
	}
	if (rc != 0 && n > 0)
		saola__db_exec(db, "ROLLBACK TO units_dir; RELEASE units_dir");
	for (i = 0; i < n; i++) {
		free(names[i]);
		free(ids[i]);
	}
	if (count)
		*count = rc == 0 ? total : 0;
	return rc;
}

int saola__units_ensure(saola__db *db, const char *dir, char *err, size_t errlen)
{
	saola__dbstmt *st = NULL;
	int step;

	if (saola__db_prepare(db, "SELECT 1 FROM units LIMIT 1", &st) != SAOLA_OK) {
		snprintf(err, errlen, "units: %s", saola__db_errmsg(db));
		return -1;
	}
	step = saola__db_step(st);
	saola__db_finalize(st);
	if (step == SAOLA__DB_ROW)
		return 0;
	if (step != SAOLA__DB_DONE) {
		snprintf(err, errlen, "units: %s", saola__db_errmsg(db));
		return -1;
	}
	return saola__units_load_dir(db, dir, NULL, err, errlen);
}

static void copy_col(char *dst, size_t cap, saola__dbstmt *st, int i)
{
	const char *v = saola__db_column_text(st, i);

	snprintf(dst, cap, "%s", v ? v : "");
}

int saola__unit_get(saola__db *db, const char *code, int year, saola__unit *out, int *found)
{
	/* The version valid in the year first, then the latest. */
	static const char sql[] =
		"SELECT code, name, level, parent, urban FROM units WHERE code = ?"
		" ORDER BY CASE WHEN valid_from <= ? AND (valid_to IS NULL OR valid_to >= ?)"
		" THEN 1 ELSE 0 END DESC, valid_from DESC LIMIT 1";
	char last[16], first[16];
	saola__dbstmt *st = NULL;
	int step;

	memset(out, 0, sizeof *out);
	*found = 0;
	if (!code || !*code)
		return 0;
	if (saola__db_prepare(db, sql, &st) != SAOLA_OK)
		return -1;
	saola__db_bind_text(st, 1, code, -1);
	/* Year 0 binds NULL dates: no version is valid then. */
	snprintf(last, sizeof last, "%04d-12-31", year);
	snprintf(first, sizeof first, "%04d-01-01", year);
	saola__db_bind_text(st, 2, year > 0 ? last : NULL, -1);
	saola__db_bind_text(st, 3, year > 0 ? first : NULL, -1);
	step = saola__db_step(st);
	if (step == SAOLA__DB_ROW) {
		copy_col(out->code, sizeof out->code, st, 0);
		copy_col(out->name, sizeof out->name, st, 1);
		copy_col(out->level, sizeof out->level, st, 2);
		copy_col(out->parent, sizeof out->parent, st, 3);
		out->urban = (int)saola__db_column_int(st, 4);
		*found = 1;
	}
	saola__db_finalize(st);
	return step == SAOLA__DB_ROW || step == SAOLA__DB_DONE ? 0 : -1;
}

/* The unit a record names above code (its district, else its province),
 * for codes the units table does not know; "" when no record names it. */
static int parent_by_records(saola__db *db, const char *code, char *parent, size_t cap)
{
	const char *level = saola__unit_level(code);
	const char *sql = level && strcmp(level, "commune") == 0
	        ? "SELECT coalesce(district, province) FROM records WHERE commune = ? LIMIT 1"
	        : level && strcmp(level, "district") == 0
	        ? "SELECT province FROM records WHERE district = ? LIMIT 1" : NULL;
	saola__dbstmt *st = NULL;
	int step;

	parent[0] = '\0';
	if (!sql)
		return 0;
	if (saola__db_prepare(db, sql, &st) != SAOLA_OK)
		return -1;
	saola__db_bind_text(st, 1, code, -1);
	step = saola__db_step(st);
	if (step == SAOLA__DB_ROW)
		copy_col(parent, cap, st, 0);
	saola__db_finalize(st);
	return step == SAOLA__DB_ROW || step == SAOLA__DB_DONE ? 0 : -1;
}

int saola__unit_within(saola__db *db, const char *code, const char *ancestor, int *within)
{
	static const char sql[] =
		"WITH RECURSIVE up(c) AS (SELECT CAST(? AS TEXT) UNION SELECT u.parent FROM units u"
		" JOIN up ON u.code = up.c WHERE u.parent IS NOT NULL)"
		" SELECT max(CASE WHEN c = ? THEN 1 ELSE 0 END),"
		" (SELECT count(*) FROM units WHERE code = ?) FROM up";
	saola__dbstmt *st = NULL;
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
		if (saola__db_prepare(db, sql, &st) != SAOLA_OK)
			return -1;
		saola__db_bind_text(st, 1, code, -1);
		saola__db_bind_text(st, 2, ancestor, -1);
		saola__db_bind_text(st, 3, code, -1);
		step = saola__db_step(st);
		if (step == SAOLA__DB_ROW) {
			*within = (int)saola__db_column_int(st, 0);
			known = (int)saola__db_column_int(st, 1) > 0;
		}
		saola__db_finalize(st);
		if (step != SAOLA__DB_ROW)
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
