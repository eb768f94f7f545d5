/* officer.c: the conflict log for officers (list, show with the field's
 * label and the household, resolve as an ordinary edit with the server's
 * origin) and the review of records (return, approve). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "officer.h"
#include "privacy.h"
#include "rules.h"
#include "store_sql.h"
#include "units.h"

#define CONFLICT_COLUMNS                                                         \
	"SELECT c.id, c.record_id, c.path, c.lost_value, c.lost_version, c.kept_value," \
	" c.kept_version, c.stored_lost, c.device, us.name, c.batch, c.at,"            \
	" c.resolved_at, c.resolved_by, c.resolution, c.base, r.form_id, r.province,"  \
	" r.district, r.commune, r.data"                                               \
	" FROM conflicts c LEFT JOIN records r ON r.id = c.record_id"                  \
	" LEFT JOIN users us ON us.id = c.user_id"

enum { C_ID, C_RECORD, C_PATH, C_LOST, C_LOST_V, C_KEPT, C_KEPT_V, C_STORED_LOST,
       C_DEVICE, C_USER, C_BATCH, C_AT, C_RES_AT, C_RES_BY, C_RESOLUTION, C_BASE,
       C_FORM, C_PROVINCE, C_DISTRICT, C_COMMUNE, C_DATA };

static const char *text(saola__dbstmt *st, int i)
{
	return saola__db_column_text(st, i);
}

/* A JSON value stored as text; JSON null for NULL. */
static json_t *stored_json(saola__dbstmt *st, int i)
{
	json_t *v;

	if (saola__db_column_type(st, i) == SAOLA__DB_NULL)
		return json_null();
	v = json_loads(text(st, i), JSON_DECODE_ANY, NULL);
	return v ? v : json_string(text(st, i));
}

int saola__officer_role(const char *role)
{
	return role && (strcmp(role, "commune") == 0 || strcmp(role, "district") == 0 ||
	                strcmp(role, "province") == 0 || strcmp(role, "admin") == 0);
}

/* A label in lang from a label value: a string, or {"vi": .., "en": ..}. */
static const char *label_in(json_t *label, const char *lang, const char *fallback)
{
	const char *k;
	json_t *v;

	if (json_is_string(label))
		return json_string_value(label);
	if (!json_is_object(label))
		return fallback;
	if (lang && json_is_string(json_object_get(label, lang)))
		return json_string_value(json_object_get(label, lang));
	json_object_foreach(label, k, v)
		if (json_is_string(v))
			return json_string_value(v);
	return fallback;
}

/* The definition of field name among fields (and inside groups), or NULL. */
static json_t *find_field(json_t *fields, const char *name, size_t len)
{
	json_t *f, *found;
	size_t i;

	json_array_foreach(fields, i, f) {
		const char *n = json_string_value(json_object_get(f, "name"));
		const char *type = json_string_value(json_object_get(f, "type"));
		if (n && strlen(n) == len && strncmp(n, name, len) == 0)
			return f;
		if (type && strcmp(type, "group") == 0 &&
		    (found = find_field(json_object_get(f, "fields"), name, len)))
			return found;
	}
	return NULL;
}

/* The name a member is known by: its "name" answer in values, else its id
 * (and "removed" when values no longer hold it). */
static void member_name(json_t *values, const char *path, size_t itemlen, char *buf,
                        size_t len)
{
	char key[600];
	const char *name, *id = strchr(path, '.') + 1;
	int idlen = (int)(itemlen - (size_t)(id - path));

	snprintf(key, sizeof key, "%.*s.name", (int)itemlen, path);
	name = json_string_value(json_object_get(values, key));
	snprintf(key, sizeof key, "%.*s", (int)itemlen, path);
	if (name)
		snprintf(buf, len, "%s", name);
	else if (values && !json_object_get(values, key))
		snprintf(buf, len, "%.*s (removed)", idlen, id);
	else
		snprintf(buf, len, "%.*s", idlen, id);
}

/* The record's answer at key of data (its JSON) as SQL would read it
 * into text: a string as it is, a number or boolean as its digits, an
 * object or array as compact JSON, into buf; NULL when absent or null. */
static const char *answer_text(const json_t *data, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(data, key);
	char *dump;

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.15g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%d", json_is_true(v));
	else if (v && !json_is_null(v) && (dump = json_dumps(v, JSON_COMPACT))) {
		snprintf(buf, len, "%s", dump);
		free(dump);
	} else
		return NULL;
	return buf;
}

/* The record's data of the conflict row st (NULL when none or not JSON).
 * New reference. */
static json_t *row_data(saola__dbstmt *st)
{
	const char *data = text(st, C_DATA);

	return data ? json_loads(data, 0, NULL) : NULL;
}

/* Who made a version: the user whose device has its origin, or this
 * server; NULL when unknown. New reference. */
static json_t *made_by(saola__store *s, saola__db *db, json_t *version)
{
	const char *origin = json_string_value(json_array_get(version, 1));
	saola__dbstmt *st = NULL;
	json_t *who = NULL;

	if (!origin)
		return NULL;
	if (s->ops->origin(s) && strcmp(origin, s->ops->origin(s)) == 0)
		return json_string("this server");
	if (saola__db_prepare(db, "SELECT u.name FROM devices d JOIN users u ON"
	                      " u.id = d.user_id WHERE d.origin = ?", &st) != SAOLA_OK)
		return NULL;
	saola__db_bind_text(st, 1, origin, -1);
	if (saola__db_step(st) == SAOLA__DB_ROW)
		who = json_string(saola__db_column_text(st, 0));
	saola__db_finalize(st);
	return who;
}

/* The label of a record path for officers: "Year of birth" for a field,
 * "Household members › Đinh Văn Hùng › Year of birth" for a member's; db
 * the store's forms engine (NULL: the path itself). */
static void path_label(saola *db, const char *form_id, const char *path, json_t *values,
                       const char *lang, char *buf, size_t len)
{
	json_t *def = NULL, *field, *inner;
	const char *dot = strchr(path, '.'), *dot2 = dot ? strchr(dot + 1, '.') : NULL;
	char who[160];

	if (strcmp(path, "_state") == 0 || strcmp(path, "_comment") == 0 ||
	    strcmp(path, "_deleted") == 0) {
		snprintf(buf, len, "%s", strcmp(path, "_state") == 0 ? "review state"
		         : strcmp(path, "_comment") == 0 ? "review comment" : "record deleted");
		return;
	}
	snprintf(buf, len, "%s", path);
	if (!db || !form_id || saola_form_get(db, form_id, &def) != SAOLA_OK)
		return;
	if (!lang || !*lang)
		lang = json_string_value(json_object_get(def, "default_language"));
	field = find_field(json_object_get(def, "fields"), path,
	                   dot ? (size_t)(dot - path) : strlen(path));
	if (field && !dot) {
		snprintf(buf, len, "%s", label_in(json_object_get(field, "label"), lang, path));
	} else if (field) {
		const char *rl = label_in(json_object_get(field, "label"), lang, "");
		member_name(values, path, dot2 ? (size_t)(dot2 - path) : strlen(path), who,
		            sizeof who);
		inner = dot2 ? find_field(json_object_get(field, "fields"), dot2 + 1,
		                          strlen(dot2 + 1)) : NULL;
		if (dot2)
			snprintf(buf, len, "%s › %s › %s", rl, who,
			         inner ? label_in(json_object_get(inner, "label"), lang, dot2 + 1)
			               : dot2 + 1);
		else
			snprintf(buf, len, "%s › %s", rl, who);
	}
	json_decref(def);
}

/* The record's current value and version at path. */
static json_t *current_at(saola__store *s, const char *record_id, const char *path,
                          json_t **values)
{
	json_t *state = NULL, *vals, *vers, *val, *ver, *out;
	int deleted;

	*values = NULL;
	if (saola__records_state(s, record_id, 0, &state) != SAOLA_OK)
		return json_pack("{s:n, s:n, s:b}", "value", "version", "deleted", 0);
	vals = json_object_get(state, "values");
	vers = json_object_get(state, "versions");
	deleted = json_is_true(json_object_get(state, "deleted"));
	if (strcmp(path, "_deleted") == 0) {
		val = json_boolean(deleted);
		ver = json_object_get(vers, "_deleted");
	} else {
		const char *dot = strchr(path, '.'), *dot2 = dot ? strchr(dot + 1, '.') : NULL;
		char item[512];
		val = json_incref(json_object_get(vals, path));
		ver = json_object_get(vers, path);
		if (!ver && val)
			ver = json_object_get(vers, "_");
		/* an answer of a member removed since: the removal's version */
		if (!val && dot2 && (size_t)(dot2 - path) < sizeof item) {
			snprintf(item, sizeof item, "%.*s", (int)(dot2 - path), path);
			if (!json_object_get(vals, item) && json_object_get(vers, item))
				ver = json_object_get(vers, item);
		}
	}
	out = json_pack("{s:o?, s:O?, s:b}", "value", val ? val : json_null(), "version", ver,
	                "deleted", deleted);
	*values = json_incref(vals);
	json_decref(state);
	return out;
}

/* A conflict row as an officer sees it, data its record's data (may be
 * NULL), its labels from forms (the store's forms engine; NULL: the paths
 * themselves); with the record's current value when with_current. */
static json_t *conflict_json(saola__store *s, saola *forms, saola__db *db, saola__dbstmt *st,
                             const json_t *data, const char *lang, int with_current)
{
	json_t *values = NULL, *current = NULL, *o;
	char label[512], commune_name[SAOLA__UNIT_NAME_MAX + 16] = "", village[256], head[256];
	const char *commune = text(st, C_COMMUNE), *resolved = text(st, C_RES_AT);

	if (with_current)
		current = current_at(s, text(st, C_RECORD), text(st, C_PATH), &values);
	path_label(forms, text(st, C_FORM), text(st, C_PATH), values, lang, label, sizeof label);
	if (commune) {
		saola__unit u;
		int found = 0;
		if (saola__unit_get(db, commune, 0, &u, &found) == 0 && found)
			snprintf(commune_name, sizeof commune_name, "%s", u.name);
	}
	o = json_pack("{s:I, s:s, s:s?, s:s?, s:s?, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?,"
	              " s:{s:o, s:o}, s:{s:o, s:o}, s:b, s:o, s:s?, s:s?, s:s?, s:s?, s:s?,"
	              " s:s?, s:o}",
	        "id", (json_int_t)saola__db_column_int(st, C_ID),
	        "status", resolved ? "resolved" : "open",
	        "record_id", text(st, C_RECORD), "form", text(st, C_FORM),
	        "path", text(st, C_PATH), "label", label,
	        "head_name", answer_text(data, "head_name", head, sizeof head),
	        "village", answer_text(data, "village", village, sizeof village),
	        "commune", commune, "commune_name", *commune_name ? commune_name : NULL,
	        "district", text(st, C_DISTRICT), "province", text(st, C_PROVINCE),
	        "lost", "value", stored_json(st, C_LOST), "version", stored_json(st, C_LOST_V),
	        "kept", "value", stored_json(st, C_KEPT), "version", stored_json(st, C_KEPT_V),
	        "stored_lost", (int)saola__db_column_int(st, C_STORED_LOST),
	        "base", stored_json(st, C_BASE),
	        "device", text(st, C_DEVICE), "user", text(st, C_USER),
	        "batch", text(st, C_BATCH), "at", text(st, C_AT),
	        "resolved_at", resolved, "resolved_by", text(st, C_RES_BY),
	        "resolution", stored_json(st, C_RESOLUTION));
	if (o) {
		/* who made each side, when this server knows the origin */
		json_t *side, *who;
		side = json_object_get(o, "lost");
		if ((who = made_by(s, db, json_object_get(side, "version"))))
			json_object_set_new(side, "by", who);
		side = json_object_get(o, "kept");
		if ((who = made_by(s, db, json_object_get(side, "version"))))
			json_object_set_new(side, "by", who);
	}
	if (o && current)
		json_object_set(o, "current", current);
	json_decref(current);
	json_decref(values);
	return o;
}

/* The level column of the conflict row st for area q (NULL: none). */
static const char *row_unit(const saola__area_q *q, saola__dbstmt *st)
{
	if (!q->level)
		return NULL;
	return text(st, strcmp(q->level, "province") == 0 ? C_PROVINCE
	                : strcmp(q->level, "district") == 0 ? C_DISTRICT : C_COMMUNE);
}

/* Appends the conflicts of statement st (area q's rows, newest first) to
 * list, at most limit (0: no limit). 0, or -1 with e. */
static int list_rows(saola__store *s, saola__db *db, saola__dbstmt *st, const saola__area_q *q,
                     long limit, json_t *list, saola__err *e)
{
	saola *forms = saola__store_forms_engine(s);   /* once: it may ask the database */
	json_t *data, *c;
	int step = SAOLA__DB_DONE, keep;

	while ((limit <= 0 || (long)json_array_size(list) < limit) &&
	       (step = saola__db_step(st)) == SAOLA__DB_ROW) {
		data = row_data(st);
		/* The survey year is in the record's JSON: SQL took a key's
		 * commune in any year. */
		keep = saola__area_q_match(q, row_unit(q, st), text(st, C_DISTRICT),
		                           text(st, C_COMMUNE), json_object_get(data, "survey_year"));
		c = keep ? conflict_json(s, forms, db, st, data, NULL, 0) : NULL;
		json_decref(data);
		if (keep && (!c || json_array_append_new(list, c) != 0))
			return saola__err_set(e, SAOLA_NOMEM, "conflicts: out of memory");
	}
	if (limit > 0 && (long)json_array_size(list) >= limit)
		return 0;
	return step == SAOLA__DB_DONE ? 0
	       : saola__err_set(e, SAOLA_ERROR, "conflicts: %s", saola__db_errmsg(db));
}

int saola__conflict_list(saola__store *s, const char *status, const char *area, long limit,
                         json_t **out, saola__err *e)
{
	saola__db *db = s ? saola__store_db(s) : NULL;
	const char *where, *level = area && *area ? saola__unit_level(area) : NULL;
	char sql[sizeof CONFLICT_COLUMNS + 640], cond[512];
	saola__dbstmt *st = NULL;
	saola__area_q q;
	json_t *list;
	int rc = 0;

	*out = NULL;
	if (!status)
		status = "open";
	where = strcmp(status, "open") == 0 ? "c.resolved_at IS NULL"
	      : strcmp(status, "resolved") == 0 ? "c.resolved_at IS NOT NULL"
	      : strcmp(status, "all") == 0 ? "1 = 1" : NULL;
	if (!where)
		return saola__err_set(e, SAOLA_PROTOCOL, "status \"%s\": expected open, resolved"
		                      " or all", status);
	if (area && *area && !level)
		return saola__err_set(e, SAOLA_PROTOCOL, "area \"%s\": expected a unit code of 2, 3"
		                      " or 5 digits", area);
	if (!db || !(list = json_array()))
		return saola__err_set(e, SAOLA_NOMEM, "conflicts: out of memory");
	/* The area by the rule of every path (rules.h). */
	if (saola__area_q_init(&q, db, area) != 0) {
		saola__area_q_free(&q);
		json_decref(list);
		return saola__err_set(e, SAOLA_ERROR, "conflicts: %s", saola__db_errmsg(db));
	}
	saola__area_q_cond(&q, "r", NULL, cond, sizeof cond);
	/* With keys, rows are kept in C (list_rows): no LIMIT in SQL then. */
	snprintf(sql, sizeof sql, CONFLICT_COLUMNS " WHERE %s AND %s ORDER BY c.id DESC%s",
	         where, cond, limit > 0 && !q.list ? " LIMIT ?" : "");
	if (saola__db_prepare(db, sql, &st) != SAOLA_OK) {
		saola__area_q_free(&q);
		json_decref(list);
		return saola__err_set(e, SAOLA_ERROR, "conflicts: %s", saola__db_errmsg(db));
	}
	if (limit > 0 && !q.list)
		saola__db_bind_int(st, saola__area_q_cond_bind(&q, st, 1), limit);
	else
		saola__area_q_cond_bind(&q, st, 1);
	rc = list_rows(s, db, st, &q, limit, list, e);
	saola__db_finalize(st);
	saola__area_q_free(&q);
	if (rc != 0) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return 0;
}

/* Sets key of o to null when o has it; -1 out of memory. */
static int null_if_set(json_t *o, const char *key)
{
	return json_is_object(o) && json_object_get(o, key) ?
	       json_object_set_new(o, key, json_null()) : 0;
}

int saola__conflict_mask(saola__store *s, json_t *c, const char *lang)
{
	static const char *const flat[] = {"lost_value", "kept_value"};
	static const char *const sides[] = {"lost", "kept", "current", "resolution"};
	saola *db = saola__store_forms_engine(s);
	const char *form = json_string_value(json_object_get(c, "form"));
	const char *path = json_string_value(json_object_get(c, "path"));
	const char *dot, *dot2;
	char label[512], name[600];
	size_t i, itemlen;

	if (!path)
		return 0;
	if (saola__privacy_path(db, form, path)) {
		for (i = 0; i < sizeof flat / sizeof flat[0]; i++)
			if (null_if_set(c, flat[i]) != 0)
				return -1;
		for (i = 0; i < sizeof sides / sizeof sides[0]; i++)
			if (null_if_set(json_object_get(c, sides[i]), "value") != 0)
				return -1;
		if (json_object_set_new(c, "personal", json_true()) != 0)
			return -1;
	}
	if (saola__privacy_path(db, form, "head_name") && null_if_set(c, "head_name") != 0)
		return -1;
	/* path_label names a member by its "name" answer */
	dot = strchr(path, '.');
	if (!dot || !json_object_get(c, "label"))
		return 0;
	dot2 = strchr(dot + 1, '.');
	itemlen = dot2 ? (size_t)(dot2 - path) : strlen(path);
	snprintf(name, sizeof name, "%.*s.name", (int)(itemlen < 500 ? itemlen : 500), path);
	if (!saola__privacy_path(db, form, name))
		return 0;
	path_label(db, form, path, NULL, lang, label, sizeof label);
	return json_object_set_new(c, "label", json_string(label));
}

int saola__officer_may_act(saola__db *db, const saola__user *u, const char *id,
                           const char *what, saola__err *e)
{
	saola__units units;
	saola__rules rules;
	char where[160];
	int found, year;

	if (saola__rules_record(db, id, &units, &year, &found) != 0)
		return saola__err_set(e, SAOLA_ERROR, "%s: %s", what, saola__db_errmsg(db));
	if (!found)
		return saola__err_set(e, SAOLA_NOTFOUND, "%s: no record %s", what, id);
	if (!u)
		return 0;
	if (!saola__officer_role(u->role))
		return saola__err_set(e, SAOLA_AUTH, "%s: a %s may not do this (commune officers"
		                      " and above may)", what, u->role);
	/* Every level of the record inside the area (rules.h). */
	snprintf(where, sizeof where, "%s: record %s", what, id);
	saola__rules_init(&rules, db);
	return saola__rules_area(&rules, u, &units, year, where, e);
}

/* Reads conflict id into a prepared statement on its row (*st, to finalize). */
static int conflict_row(saola__db *db, int64_t id, saola__dbstmt **st, saola__err *e)
{
	*st = NULL;
	if (saola__db_prepare(db, CONFLICT_COLUMNS " WHERE c.id = ?", st) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "conflict: %s", saola__db_errmsg(db));
	saola__db_bind_int(*st, 1, id);
	switch (saola__db_step(*st)) {
	case SAOLA__DB_ROW:
		return 0;
	case SAOLA__DB_DONE:
		saola__db_finalize(*st);
		*st = NULL;
		return saola__err_set(e, SAOLA_NOTFOUND, "no conflict %lld", (long long)id);
	default:
		saola__err_set(e, SAOLA_ERROR, "conflict: %s", saola__db_errmsg(db));
		saola__db_finalize(*st);
		*st = NULL;
		return -1;
	}
}

int saola__conflict_show(saola__store *s, int64_t id, const char *lang,
                         const saola__user *u, json_t **out, saola__err *e)
{
	saola__db *db = s ? saola__store_db(s) : NULL;
	saola__dbstmt *st = NULL;
	json_t *data;
	int rc;

	*out = NULL;
	if (!db)
		return saola__err_set(e, SAOLA_ERROR, "conflict: no database");
	if (s->ops->read_begin(s) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "conflict: %s", s->ops->errmsg(s));
	if ((rc = conflict_row(db, id, &st, e)) == 0 &&
	    (rc = saola__officer_may_act(db, u, text(st, C_RECORD), "conflict", e)) == 0) {
		data = row_data(st);
		if (!(*out = conflict_json(s, saola__store_forms_engine(s), db, st, data, lang, 1)))
			rc = saola__err_set(e, SAOLA_NOMEM, "conflict: out of memory");
		json_decref(data);
	}
	saola__db_finalize(st);
	s->ops->end(s, 1);
	return rc;
}
