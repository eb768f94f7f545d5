/* form_compat.c: a new version of a form is refused when stored records
 * still answer a field whose type it changes or a choice it removes
 * (form_compat.h); counted in the database's records, or through the
 * counter a store sets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola_int.h"
#include "form_compat.h"

/* A field as the check sees it; strings borrowed from the definition. */
typedef struct cfield {
	const char *name;
	const char *type;      /* the definition's own word: "integer", "repeat"... */
	const char *repeat;    /* the enclosing repeat, or NULL */
	int computed;          /* type calculate, or a "calculate" expression */
	json_t *choices;       /* select types: the list's array, else NULL */
} cfield;

typedef struct cfields {
	cfield *v;
	size_t n, cap;
} cfields;

/* What one check gathers: the refusals' text, and how many. */
typedef struct refusals {
	char *msg;
	size_t len, cap;
	int n;
} refusals;

void saola__set_record_counter(saola *db, saola__probe_fn fn, void *ctx)
{
	db->count_fn = fn;
	db->count_ctx = ctx;
}

static int add_field(cfields *fs, const cfield *f)
{
	if (fs->n == fs->cap) {
		size_t cap = fs->cap ? fs->cap * 2 : 32;
		cfield *grown = realloc(fs->v, cap * sizeof *grown);
		if (!grown)
			return SAOLA_NOMEM;
		fs->v = grown;
		fs->cap = cap;
	}
	fs->v[fs->n++] = *f;
	return SAOLA_OK;
}

/* Gathers the fields of arr (groups add no place: their fields are top
 * level, or in the repeat around them). */
static int gather(json_t *def, json_t *arr, const char *repeat, cfields *fs)
{
	json_t *fj;
	size_t i;
	int rc;

	json_array_foreach(arr, i, fj) {
		cfield f;
		const char *list = json_string_value(json_object_get(fj, "choices"));

		memset(&f, 0, sizeof f);
		f.name = json_string_value(json_object_get(fj, "name"));
		f.type = json_string_value(json_object_get(fj, "type"));
		if (!f.name || !f.type)
			continue;
		f.repeat = repeat;
		f.computed = strcmp(f.type, "calculate") == 0 ||
		             json_object_get(fj, "calculate") != NULL;
		if (list)
			f.choices = json_object_get(json_object_get(def, "choices"), list);
		if ((rc = add_field(fs, &f)) != SAOLA_OK)
			return rc;
		if (strcmp(f.type, "group") == 0 || strcmp(f.type, "repeat") == 0) {
			rc = gather(def, json_object_get(fj, "fields"),
			            strcmp(f.type, "repeat") == 0 ? f.name : repeat, fs);
			if (rc != SAOLA_OK)
				return rc;
		}
	}
	return SAOLA_OK;
}

static int same_place(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static const cfield *find(const cfields *fs, const cfield *like)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (strcmp(fs->v[i].name, like->name) == 0 && same_place(fs->v[i].repeat, like->repeat))
			return &fs->v[i];
	return NULL;
}

static int has_choice(json_t *list, const char *value)
{
	json_t *c;
	size_t i;

	json_array_foreach(list, i, c) {
		const char *v = json_string_value(json_object_get(c, "value"));
		if (v && strcmp(v, value) == 0)
			return 1;
	}
	return 0;
}

/* A type change that every stored answer survives: an integer is a
 * decimal. */
static int widens(const char *from, const char *to)
{
	return strcmp(from, "integer") == 0 && strcmp(to, "decimal") == 0;
}

/* n with thousands separated by commas: "1,234". */
static void thousands(int64_t n, char out[32])
{
	char digits[24];
	int len, i, o = 0;

	len = snprintf(digits, sizeof digits, "%lld", (long long)n);
	for (i = 0; i < len; i++) {
		if (i > 0 && digits[i - 1] != '-' && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

/* Appends one refusal to r: "field PLACE: WHAT, but N stored records
 * WHY". */
static void refuse(refusals *r, const cfield *f, const char *what, int64_t n,
                   const char *why_one, const char *why_many)
{
	char count[32];
	int w;

	r->n++;
	if (r->len >= r->cap)
		return;
	thousands(n, count);
	w = snprintf(r->msg + r->len, r->cap - r->len, "%sfield %s%s%s: %s, but %s stored %s",
	             r->n > 1 ? "; " : "", f->repeat ? f->repeat : "", f->repeat ? "[*]." : "",
	             f->name, what, count, n == 1 ? why_one : why_many);
	r->len = w < 0 ? r->cap : r->len + (size_t)w;
}

/* Counts in db's own records table (a device's, or a SQLite server's). */
static int count_own(saola *db, const saola__probe *p, int64_t *count, char *err,
                     size_t errlen)
{
	/* Indexed by [kind/multiple][top level or repeat]. */
	static const char *const where[3][2] = {
		{"json_extract(data, ?2) IS NOT NULL",
		 "json_type(data, ?2) = 'array' AND EXISTS (SELECT 1 FROM json_each(data, ?2) AS item"
		 " WHERE item.type = 'object' AND json_extract(item.value, ?3) IS NOT NULL)"},
		{"json_extract(data, ?2) = ?4",
		 "json_type(data, ?2) = 'array' AND EXISTS (SELECT 1 FROM json_each(data, ?2) AS item"
		 " WHERE item.type = 'object' AND json_extract(item.value, ?3) = ?4)"},
		{"json_type(data, ?2) = 'array' AND EXISTS (SELECT 1 FROM json_each(data, ?2) AS c"
		 " WHERE c.value = ?4)",
		 "json_type(data, ?2) = 'array' AND EXISTS (SELECT 1 FROM json_each(data, ?2) AS item,"
		 " json_each(item.value, ?3) AS c WHERE item.type = 'object' AND c.value = ?4)"}};
	int kind = p->kind == SAOLA__PROBE_ANSWERED ? 0 : p->multiple ? 2 : 1;
	char sql[512], outer[80], inner[80];
	sqlite3_stmt *st = NULL;
	int rc;

	*count = 0;
	/* Names are letters, digits and '_' (the compiler checks): safe
	 * inside a quoted JSON path. */
	snprintf(outer, sizeof outer, "$.\"%s\"", p->repeat ? p->repeat : p->field);
	snprintf(inner, sizeof inner, "$.\"%s\"", p->field);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM records WHERE form_id = ?1 AND deleted = 0"
	         " AND %s", where[kind][p->repeat != NULL]);
	if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "counting records: %s", sqlite3_errmsg(db->sql));
		return SAOLA_ERROR;
	}
	sqlite3_bind_text(st, 1, p->form_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, outer, -1, SQLITE_STATIC);
	if (p->repeat)
		sqlite3_bind_text(st, 3, inner, -1, SQLITE_STATIC);
	if (p->value)
		sqlite3_bind_text(st, 4, p->value, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*count = sqlite3_column_int64(st, 0);
		rc = SAOLA_OK;
	} else {
		snprintf(err, errlen, "counting records: %s", sqlite3_errmsg(db->sql));
		rc = SAOLA_ERROR;
	}
	sqlite3_finalize(st);
	return rc;
}

static int count(saola *db, const saola__probe *p, int64_t *n, char *err, size_t errlen)
{
	return db->count_fn ? db->count_fn(db->count_ctx, p, n, err, errlen)
	                    : count_own(db, p, n, err, errlen);
}

/* The refusals one field of the old version gives against its new self. */
static int check_field(saola *db, const char *form_id, const cfield *was, const cfield *now,
                       refusals *r, char *err, size_t errlen)
{
	saola__probe p = {form_id, was->repeat, was->name, SAOLA__PROBE_ANSWERED, 0, NULL};
	char what[160];
	int64_t n = 0;
	json_t *c;
	size_t i;
	int rc;

	/* A computed field is recomputed from the answers, whatever it was;
	 * groups and notes hold no answers. */
	if (now->computed || strcmp(was->type, "group") == 0 || strcmp(was->type, "note") == 0)
		return SAOLA_OK;
	if (strcmp(was->type, now->type) != 0 && !widens(was->type, now->type)) {
		if ((rc = count(db, &p, &n, err, errlen)) != SAOLA_OK)
			return rc;
		snprintf(what, sizeof what, "type %s \xe2\x86\x92 %s", was->type, now->type);
		if (n > 0)
			refuse(r, was, what, n, "record has answers to it", "records have answers to it");
		return SAOLA_OK;
	}
	p.kind = SAOLA__PROBE_CHOICE;
	p.multiple = strcmp(was->type, "select_multiple") == 0;
	json_array_foreach(was->choices, i, c) {
		p.value = json_string_value(json_object_get(c, "value"));
		if (!p.value || has_choice(now->choices, p.value))
			continue;
		if ((rc = count(db, &p, &n, err, errlen)) != SAOLA_OK)
			return rc;
		snprintf(what, sizeof what, "choice '%.100s' is gone", p.value);
		if (n > 0)
			refuse(r, was, what, n, "record answers it", "records answer it");
	}
	return SAOLA_OK;
}

int saola__form_compat_check(saola *db, json_t *old_def, json_t *new_def, char *msg,
                             size_t msglen)
{
	const char *id = json_string_value(json_object_get(new_def, "id"));
	const char *version = json_string_value(json_object_get(new_def, "version"));
	cfields was = {0}, now = {0};
	refusals r = {0};
	char list[SAOLA__ERRMSG_MAX - 128];
	size_t i;
	int rc;

	*msg = '\0';
	r.msg = list;
	r.cap = sizeof list;
	list[0] = '\0';
	if ((rc = gather(old_def, json_object_get(old_def, "fields"), NULL, &was)) != SAOLA_OK ||
	    (rc = gather(new_def, json_object_get(new_def, "fields"), NULL, &now)) != SAOLA_OK) {
		snprintf(msg, msglen, "form %s: out of memory", id ? id : "");
		goto out;
	}
	for (i = 0; i < was.n && rc == SAOLA_OK; i++) {
		const cfield *f = find(&now, &was.v[i]);
		if (f)
			rc = check_field(db, id ? id : "", &was.v[i], f, &r, msg, msglen);
	}
	if (rc == SAOLA_OK && r.n > 0) {
		/* A list cut short says so rather than ending mid-word. */
		snprintf(msg, msglen, "form %s%s%s: %s%s", id ? id : "", version ? " " : "",
		         version ? version : "", list, r.len >= r.cap ? "..." : "");
		rc = SAOLA_CONFLICT;
	}
out:
	free(was.v);
	free(now.v);
	return rc;
}
