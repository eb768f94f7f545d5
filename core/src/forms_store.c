/* forms_store.c: form definitions and poverty standards kept in the device
 * database, and the cache of compiled forms. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola_int.h"
#include "form_compat.h"
#include "places.h"

void saola__forms_forget(saola *db)
{
	saola__form_cache *c = db->forms, *next;

	for (; c; c = next) {
		next = c->next;
		saola__form_free(c->form);
		free(c->id);
		free(c);
	}
	db->forms = NULL;
	json_decref(db->standards);
	db->standards = NULL;
	saola__places_forget(db);
}

static int is_standard(json_t *def)
{
	return json_is_object(json_object_get(def, "params")) &&
	       json_is_string(json_object_get(def, "family"));
}

static int load_standard(saola *db, json_t *def, const char *text, const char *where)
{
	const char *id = json_string_value(json_object_get(def, "id"));
	const char *family = json_string_value(json_object_get(def, "family"));
	json_t *from = json_object_get(def, "valid_from_year");
	json_t *to = json_object_get(def, "valid_to_year");
	sqlite3_stmt *st = NULL;
	char now[21];
	int rc;

	if (!id || !*id)
		return saola__error(db, SAOLA_INVALID, "%s: id: expected a non-empty string", where);
	if (!json_is_integer(from) || !json_is_integer(to) ||
	    json_integer_value(from) > json_integer_value(to))
		return saola__error(db, SAOLA_INVALID,
		                    "%s: valid_from_year, valid_to_year: expected two years, from <= to",
		                    where);
	if (sqlite3_prepare_v2(db->sql,
	        "INSERT OR REPLACE INTO standards(id, family, valid_from, valid_to,"
	        " definition, loaded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	        -1, &st, NULL))
		return saola__sql_error(db, "form load");
	saola__now(now);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, family, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, json_integer_value(from));
	sqlite3_bind_int64(st, 4, json_integer_value(to));
	sqlite3_bind_text(st, 5, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? SAOLA_OK : saola__sql_error(db, "form load");
	sqlite3_finalize(st);
	return rc;
}

/* The current definition of form id, parsed, into *out (NULL when the
 * form has none yet). */
static int current_def(saola *db, const char *id, json_t **out)
{
	sqlite3_stmt *st = NULL;
	int step;

	*out = NULL;
	if (sqlite3_prepare_v2(db->sql, "SELECT definition FROM forms WHERE id = ?1 AND current = 1",
	                       -1, &st, NULL))
		return saola__sql_error(db, "form load");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW && !(*out = json_loads((const char *)sqlite3_column_text(st, 0), 0,
	                                               NULL))) {
		sqlite3_finalize(st);
		return saola__error(db, SAOLA_CORRUPT, "form %s: stored definition is not JSON", id);
	}
	sqlite3_finalize(st);
	return step == SQLITE_ROW || step == SQLITE_DONE ? SAOLA_OK
	                                                 : saola__sql_error(db, "form load");
}

/* Refuses def when it would break records stored under the current
 * version of its form (form_compat.h). A message names where only when
 * it is a file's path: saola_form_load's "form" says nothing more. */
static int check_compat(saola *db, json_t *def, const char *id, const char *where)
{
	char msg[SAOLA__ERRMSG_MAX - 64];
	json_t *was = NULL;
	int rc;

	if (!db->forms_strict)
		return SAOLA_OK;
	if ((rc = current_def(db, id, &was)) != SAOLA_OK || !was)
		return rc;
	rc = saola__form_compat_check(db, was, def, msg, sizeof msg);
	json_decref(was);
	if (rc == SAOLA_OK)
		return SAOLA_OK;
	return strcmp(where, "form") == 0 ? saola__error(db, rc, "%s", msg)
	                                  : saola__error(db, rc, "%s: %s", where, msg);
}

static int load_form(saola *db, json_t *def, const char *text, const char *where)
{
	saola__form *f = NULL;
	sqlite3_stmt *st = NULL;
	char err[SAOLA__ERRMSG_MAX - 64], now[21];
	int rc;

	rc = saola__form_compile(def, &f, err, sizeof err);
	if (rc != SAOLA_OK)
		return saola__error(db, rc, "%s: %s", where, err);
	if ((rc = check_compat(db, def, saola__form_id(f), where)) != SAOLA_OK) {
		saola__form_free(f);
		return rc;
	}
	if (sqlite3_prepare_v2(db->sql,
	        "UPDATE forms SET current = 0 WHERE id = ?1", -1, &st, NULL))
		goto sqlfail;
	sqlite3_bind_text(st, 1, saola__form_id(f), -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto sqlfail;
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db->sql,
	        "INSERT OR REPLACE INTO forms(id, version, definition, loaded_at, current)"
	        " VALUES (?1, ?2, ?3, ?4, 1)", -1, &st, NULL))
		goto sqlfail;
	saola__now(now);
	sqlite3_bind_text(st, 1, saola__form_id(f), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, saola__form_version(f), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto sqlfail;
	rc = SAOLA_OK;
	goto out;
sqlfail:
	rc = saola__sql_error(db, "form load");
out:
	sqlite3_finalize(st);
	saola__form_free(f);
	return rc;
}

/* Loads one definition inside the caller's transaction. */
static int load_one(saola *db, const char *text, const char *where, char **form_id)
{
	json_error_t jerr;
	json_t *def;
	int rc;

	def = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!def)
		return saola__error(db, SAOLA_INVALID, "%s: line %d, column %d: %s",
		                    where, jerr.line, jerr.column, jerr.text);
	if (!json_is_object(def)) {
		json_decref(def);
		return saola__error(db, SAOLA_INVALID, "%s: expected a JSON object", where);
	}
	rc = is_standard(def) ? load_standard(db, def, text, where)
	   : saola__places_is_doc(def) ? saola__places_load_doc(db, def, where)
	   : load_form(db, def, text, where);
	if (rc == SAOLA_OK && form_id) {
		const char *id = json_string_value(json_object_get(def, "id"));
		if (!(*form_id = strdup(id ? id : "")))
			rc = saola__error(db, SAOLA_NOMEM, "form load: out of memory");
	}
	json_decref(def);
	return rc;
}

int saola_form_load(saola *db, const char *json_text, char **form_id)
{
	int rc, end;

	if (form_id)
		*form_id = NULL;
	if ((rc = saola__write_begin(db, "form_load")) != SAOLA_OK)
		return rc;
	rc = load_one(db, json_text, "form", form_id);
	end = saola__write_end(db, "form_load", rc == SAOLA_OK);
	if (rc == SAOLA_OK)
		rc = end;
	saola__forms_forget(db);
	if (rc != SAOLA_OK && form_id) {
		free(*form_id);
		*form_id = NULL;
	}
	return rc == SAOLA_OK ? saola__ok(db) : rc;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			if (len)
				*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads every *.json of dir/sub in name order; standards and units first,
 * as forms may name them. */
static int load_sub(saola *db, const char *dir, const char *sub, int *count)
{
	char path[4096];
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	DIR *d;
	struct dirent *e;
	int rc = SAOLA_OK;

	snprintf(path, sizeof path, "%s/%s", dir, sub);
	if (!(d = opendir(path)))
		return SAOLA_OK; /* a schemas folder may lack standards */
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0 || e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **grown = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof *names);
			if (!grown) {
				rc = saola__error(db, SAOLA_NOMEM, "forms: out of memory");
				goto out;
			}
			names = grown;
		}
		if (!(names[n] = strdup(e->d_name))) {
			rc = saola__error(db, SAOLA_NOMEM, "forms: out of memory");
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof *names, cmp_str);
	for (i = 0; i < n && rc == SAOLA_OK; i++) {
		char *text;
		snprintf(path, sizeof path, "%s/%s/%s", dir, sub, names[i]);
		if (!(text = read_file(path, NULL))) {
			rc = saola__error(db, SAOLA_IO, "forms: %s: cannot read", path);
			break;
		}
		rc = load_one(db, text, path, NULL);
		free(text);
		if (rc == SAOLA_OK && count && strcmp(sub, "forms") == 0)
			(*count)++;
	}
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

int saola_forms_load_dir(saola *db, const char *dir, int *count)
{
	char path[4096];
	DIR *d;
	int rc, end, n = 0;

	if (count)
		*count = 0;
	snprintf(path, sizeof path, "%s/forms", dir);
	if (!(d = opendir(path)))
		return saola__error(db, SAOLA_NOTFOUND, "forms: %s: no such folder", path);
	closedir(d);
	if ((rc = saola__write_begin(db, "forms_dir")) != SAOLA_OK)
		return rc;
	rc = load_sub(db, dir, "standards", NULL);
	if (rc == SAOLA_OK)
		rc = load_sub(db, dir, "units", NULL);
	if (rc == SAOLA_OK)
		rc = load_sub(db, dir, "forms", &n);
	end = saola__write_end(db, "forms_dir", rc == SAOLA_OK);
	if (rc == SAOLA_OK)
		rc = end;
	saola__forms_forget(db);
	if (rc == SAOLA_OK && count)
		*count = n;
	return rc == SAOLA_OK ? saola__ok(db) : rc;
}

int saola_forms_list(saola *db, json_t **out)
{
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array();
	int rc = SAOLA_OK, step;

	*out = NULL;
	if (!arr)
		return saola__error(db, SAOLA_NOMEM, "forms: out of memory");
	if (sqlite3_prepare_v2(db->sql,
	        "SELECT id, version, json_extract(definition, '$.title'), current,"
	        " loaded_at FROM forms ORDER BY id, loaded_at, version", -1, &st, NULL)) {
		json_decref(arr);
		return saola__sql_error(db, "forms");
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *title = (const char *)sqlite3_column_text(st, 2);
		json_t *t = title ? json_loads(title, JSON_DECODE_ANY, NULL) : NULL;
		json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:b, s:s}",
		        "id", (const char *)sqlite3_column_text(st, 0),
		        "version", (const char *)sqlite3_column_text(st, 1),
		        "title", t ? t : json_null(),
		        "current", sqlite3_column_int(st, 3),
		        "loaded_at", (const char *)sqlite3_column_text(st, 4)));
	}
	if (step != SQLITE_DONE)
		rc = saola__sql_error(db, "forms");
	sqlite3_finalize(st);
	if (rc != SAOLA_OK) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return saola__ok(db);
}

int saola_form_get(saola *db, const char *form_id, json_t **out)
{
	saola__form *f;
	int rc;

	*out = NULL;
	if ((rc = saola__form_lookup(db, form_id, &f)) != SAOLA_OK)
		return rc;
	*out = json_incref(saola__form_def(f));
	return saola__ok(db);
}

int saola__form_lookup(saola *db, const char *form_id, saola__form **out)
{
	saola__form_cache *c;
	sqlite3_stmt *st = NULL;
	json_t *def = NULL;
	json_error_t jerr;
	char err[SAOLA__ERRMSG_MAX - 64];
	int rc;

	*out = NULL;
	for (c = db->forms; c; c = c->next)
		if (strcmp(c->id, form_id) == 0) {
			*out = c->form;
			return SAOLA_OK;
		}
	if (sqlite3_prepare_v2(db->sql,
	        "SELECT definition FROM forms WHERE id = ?1 AND current = 1",
	        -1, &st, NULL))
		return saola__sql_error(db, "form");
	sqlite3_bind_text(st, 1, form_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return saola__error(db, SAOLA_NOFORM,
		                    "unknown form \"%s\" (see 'saola forms')", form_id);
	}
	def = json_loads((const char *)sqlite3_column_text(st, 0), 0, &jerr);
	sqlite3_finalize(st);
	if (!def)
		return saola__error(db, SAOLA_CORRUPT, "form %s: stored definition is not JSON",
		                    form_id);
	if (!(c = calloc(1, sizeof *c)) || !(c->id = strdup(form_id))) {
		free(c);
		json_decref(def);
		return saola__error(db, SAOLA_NOMEM, "form: out of memory");
	}
	rc = saola__form_compile(def, &c->form, err, sizeof err);
	json_decref(def);
	if (rc != SAOLA_OK) {
		free(c->id);
		free(c);
		return saola__error(db, rc, "form %s: %s", form_id, err);
	}
	c->next = db->forms;
	db->forms = c;
	*out = c->form;
	return SAOLA_OK;
}

/* Reads every standard once per handle into {family: [def, ...]}. */
static int load_standards(saola *db)
{
	sqlite3_stmt *st = NULL;
	json_t *all;
	int step;

	if (db->standards)
		return SAOLA_OK;
	if (!(all = json_object()))
		return SAOLA_NOMEM;
	if (sqlite3_prepare_v2(db->sql,
	        "SELECT family, definition FROM standards ORDER BY valid_from",
	        -1, &st, NULL)) {
		json_decref(all);
		return saola__sql_error(db, "standards");
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *family = (const char *)sqlite3_column_text(st, 0);
		json_t *def = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
		json_t *list = json_object_get(all, family);
		if (!def)
			continue;
		if (!list) {
			list = json_array();
			json_object_set_new(all, family, list);
		}
		json_array_append_new(list, def);
	}
	sqlite3_finalize(st);
	db->standards = all;
	return step == SQLITE_DONE ? SAOLA_OK : saola__sql_error(db, "standards");
}

static json_t *params_lookup(void *ctx, const char *family, json_int_t year)
{
	saola *db = ctx;
	json_t *list, *def;
	size_t i;

	if (load_standards(db) != SAOLA_OK)
		return NULL;
	list = json_object_get(db->standards, family);
	json_array_foreach(list, i, def) {
		json_int_t from = json_integer_value(json_object_get(def, "valid_from_year"));
		json_int_t to = json_integer_value(json_object_get(def, "valid_to_year"));
		if (year >= from && year <= to)
			return json_object_get(def, "params");
	}
	return NULL;
}

/* The day the units of year's review are taken on, "YYYY-MM-DD": the
 * param review_day ("MM-DD") of the standard of family in force that year,
 * else the year's last day. */
static void review_date(saola *db, const char *family, json_int_t year, char out[16])
{
	json_t *params = family ? params_lookup(db, family, year) : NULL;
	const char *day = json_string_value(json_object_get(params, "review_day"));

	if (!day || strlen(day) != 5 || day[2] != '-')
		day = "12-31";
	snprintf(out, 16, "%04d-%.5s", (int)(year % 10000), day);
}

static int unit_lookup(void *ctx, const char *family, json_int_t year, const char *code,
                       saola__unit_ref *out)
{
	saola *db = ctx;
	const saola__place *u;
	char date[16];

	memset(out, 0, sizeof *out);
	if (saola__places_count(db) <= 0)
		return -1;
	review_date(db, family, year, date);
	if (!(u = saola__places_find(db, code, date)))
		return 0;
	out->code = u->code;
	out->name = u->name;
	out->level = u->level;
	out->parent = u->parent;
	out->urban = u->urban;
	return 1;
}

static int level_lookup(void *ctx, const char *family, json_int_t year, const char *level)
{
	saola *db = ctx;
	char date[16];

	if (saola__places_count(db) <= 0)
		return -1;
	review_date(db, family, year, date);
	return saola__places_level_exists(db, level, date);
}

int saola__units_match(saola *db, const char *family, json_int_t year, const char *level,
                       const char *parent, const char *query, json_t **out)
{
	char date[16];

	review_date(db, family, year, date);
	return saola__places_match(db, level, parent, date, query, out);
}

void saola__params_source(saola *db, saola__params_src *src)
{
	src->lookup = params_lookup;
	src->ctx = db;
	src->unit = unit_lookup;
	src->level_exists = level_lookup;
}
