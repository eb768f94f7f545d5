/* audit.c: the append-only audit log (table audit, server schema 5): the
 * paths of a record that a write on the server changed (a new record in
 * one row, every other path in a row of its own), written by the store's
 * write of a record (store_records.c) inside its transaction, as who the
 * write names; and the history read back, path by path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "saola_form.h"
#include "saola_shared.h"
#include "saola_util.h"
#include "store_sql.h"
#include "versions.h"


#define ADD_SQL                                                              \
	"INSERT INTO audit(at, user_id, user_name, device, batch, source,"     \
	" record_id, action, path, value, version, state, detail)"             \
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

/* The action of a row: the one the writer names (a resolution), else what
 * the path says. */
static const char *action_of(const saola__audit_who *w, const saola__changes *c,
                             const char *path)
{
	if (w && w->action)
		return w->action;
	if (!path)
		return "create";
	if (strcmp(path, "_deleted") == 0)
		return "delete";
	if (strcmp(path, SAOLA__P_STATE) == 0 || strcmp(path, SAOLA__P_COMMENT) == 0)
		return "state";
	return c->created ? "create" : "edit";
}

/* 1 when path is the answer of a field marked personal: a top-level field
 * or an item's field ("members.<id>.name"); an item's own path is not. */
static int personal_path(const saola__form *f, const char *path)
{
	const char *dot = strchr(path, '.'), *dot2 = dot ? strchr(dot + 1, '.') : NULL;

	if (dot && !dot2)
		return 0;
	return f && saola__form_is_personal(f, dot2 ? dot2 + 1 : path);
}

/* Joins the row's remarks ("; " between) into buf; NULL when none. */
static const char *remarks(char *buf, size_t len, const char *a, const char *b, const char *c)
{
	const char *parts[3] = {a, b, c};
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < 3; i++)
		if (parts[i] && n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "; " : "", parts[i]);
	return buf[0] ? buf : NULL;
}

/* One row of a record's write, as text: what saola__audit_who does not
 * say. */
typedef struct row_text {
	char *action, *path, *value, *version, *state, *detail;  /* NULL: none */
} row_text;

/* Rows made ahead of their write (saola__audit_rows_make). */
struct saola__audit_rows {
	row_text *rows;
	size_t n, cap;
};

/* Where rows go: a prepared ADD_SQL on a connection, or kept in rows (for
 * a write later), and who they are written as (NULL: nobody said). */
typedef struct sink {
	saola__db *sql;
	saola__dbstmt *st;
	saola__audit_rows *keep;   /* not NULL: keep rows here, write nothing */
	const saola__audit_who *who;
} sink;

/* Out of memory, said on k's connection when it writes. */
static int nomem(sink *k)
{
	return k->sql ? saola__db_fail(k->sql, SAOLA_NOMEM, "audit log: out of memory")
	              : SAOLA_NOMEM;
}

/* Writes one row of record_id; any text may be NULL. */
static int put_row(saola__db *sql, saola__dbstmt *st, const saola__audit_who *w,
                   const char *record_id, const row_text *t)
{
	char now[21], why[512];
	int step;

	saola__db_reset(st);
	if (!w || !w->now)
		saola__now(now);
	saola__db_bind_text(st, 1, w && w->now ? w->now : now, -1);
	if (w && w->user_id > 0)
		saola__db_bind_int(st, 2, w->user_id);
	saola__db_bind_text(st, 3, w ? w->user_name : NULL, -1);
	saola__db_bind_text(st, 4, w ? w->device : NULL, -1);
	saola__db_bind_text(st, 5, w ? w->batch : NULL, -1);
	saola__db_bind_text(st, 6, w && w->source ? w->source : "server", -1);
	saola__db_bind_text(st, 7, record_id, -1);
	saola__db_bind_text(st, 8, t->action, -1);
	saola__db_bind_text(st, 9, t->path, -1);
	saola__db_bind_text(st, 10, t->value, -1);
	saola__db_bind_text(st, 11, t->version, -1);
	saola__db_bind_text(st, 12, t->state, -1);
	saola__db_bind_text(st, 13, t->detail, -1);
	step = saola__db_step(st);
	saola__db_reset(st);
	if (step != SAOLA__DB_DONE) {
		snprintf(why, sizeof why, "%s", saola__db_errmsg(sql));
		return saola__db_fail(sql, step, "audit log: %s", why);
	}
	return SAOLA_OK;
}

static void row_text_free(row_text *t)
{
	free(t->action);
	free(t->path);
	free(t->value);
	free(t->version);
	free(t->state);
	free(t->detail);
}

/* t's texts copied into k's kept rows; -1 when out of memory. */
static int keep_row(saola__audit_rows *k, const row_text *t)
{
	row_text *r;

	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 4;
		row_text *rows = realloc(k->rows, cap * sizeof *rows);

		if (!rows)
			return -1;
		k->rows = rows, k->cap = cap;
	}
	r = &k->rows[k->n];
	memset(r, 0, sizeof *r);
	if ((t->action && !(r->action = strdup(t->action))) ||
	    (t->path && !(r->path = strdup(t->path))) ||
	    (t->state && !(r->state = strdup(t->state))) ||
	    (t->detail && !(r->detail = strdup(t->detail)))) {
		row_text_free(r);
		return -1;
	}
	r->value = t->value, r->version = t->version;   /* taken */
	k->n++;
	return 0;
}

/* JSON v as text (NULL for v NULL); *fail set when out of memory. */
static char *json_text(const json_t *v, int *fail)
{
	char *text;

	if (!v)
		return NULL;
	if (!(text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)))
		*fail = 1;
	return text;
}

/* Writes one row (or keeps it); value and version may be NULL. */
static int add_row(sink *k, const char *record_id, const char *action,
                   const char *path, const json_t *value, const json_t *version,
                   const char *state, const char *detail)
{
	row_text t;
	int fail = 0, rc;

	t.action = (char *)action, t.path = (char *)path;
	t.state = (char *)state, t.detail = (char *)detail;
	t.value = json_text(value, &fail);
	t.version = json_text(version, &fail);
	if (!fail && k->keep)
		fail = keep_row(k->keep, &t) != 0;
	if (fail || k->keep) {
		if (fail) {
			free(t.value);
			free(t.version);
		}
		return fail ? nomem(k)
		            : SAOLA_OK;
	}
	rc = put_row(k->sql, k->st, k->who, record_id, &t);
	free(t.value);
	free(t.version);
	return rc;
}

/* The row of one changed path. */
static int path_row(sink *a, const saola__changes *c, const char *path,
                    const json_t *value)
{
	int review = path[0] == '_' && strcmp(path, "_deleted") != 0;
	int personal = personal_path(c->form, path);
	char buf[256];
	const char *detail;

	/* A personal answer is not copied here: the log says it changed, and
	 * when and by whom, but the value stays in the record only. */
	detail = remarks(buf, sizeof buf, a->who ? a->who->detail : NULL,
	                 personal ? "personal" : NULL,
	                 c->deleted && strcmp(path, "_deleted") != 0 ? "record deleted" : NULL);
	return add_row(a, c->record_id, action_of(a->who, c, path), path,
	               personal ? NULL : value, saola__changes_version(c, path),
	               review ? c->state : NULL, detail);
}

/* The answer or item at path of a new record goes in its row unless it
 * has a row of its own (a version of its own); a personal answer goes
 * there as null. 0 to leave it out, 1 to copy it, 2 for null. */
static int creation_entry(const saola__changes *c, const char *path, int item, int *personal)
{
	if (json_object_get(c->values, path))
		return 0;
	if (!item && personal_path(c->form, path)) {
		*personal = 1;
		return 2;
	}
	return 1;
}

/* A new record's answers for its row: c->answers without the answers
 * that have rows of their own, personal ones as null. New reference, or
 * NULL when out of memory. */
static json_t *creation(const saola__changes *c, int *personal)
{
	json_t *out = json_object(), *v;
	const char *k;
	char path[600];
	int fail = !out;

	*personal = 0;
	json_object_foreach((json_t *)c->answers, k, v) {
		json_t *items, *item;
		size_t i;
		if (fail)
			break;
		if (saola__form_field_type(c->form, k) != SAOLA__F_REPEAT || !json_is_array(v)) {
			int e = creation_entry(c, k, 0, personal);
			if (e)
				fail |= json_object_set(out, k, e == 2 ? json_null() : v) != 0;
			continue;
		}
		fail |= !(items = json_array()) || json_object_set_new(out, k, items) != 0;
		json_array_foreach(v, i, item) {
			const char *id = json_string_value(json_object_get(item, "_id")), *ik;
			json_t *copy, *iv;
			int plen;
			if (fail || !id)
				continue;
			plen = snprintf(path, sizeof path, "%s.%s", k, id);
			if (plen < 0 || (size_t)plen > sizeof path - 2)
				plen = (int)sizeof path - 2;   /* cut, as snprintf cuts */
			if (!creation_entry(c, path, 1, personal))
				continue;
			fail |= !(copy = json_object()) || json_array_append_new(items, copy) != 0;
			json_object_foreach(item, ik, iv) {
				size_t iklen = strlen(ik);
				int e;
				if (fail)
					break;
				/* "k.id." then the field: one snprintf an item, not one a
				 * field (they were 2% of a push's instructions). */
				if (iklen >= sizeof path - (size_t)plen - 1)
					iklen = sizeof path - (size_t)plen - 2;
				path[plen] = '.';
				memcpy(path + plen + 1, ik, iklen);
				path[plen + 1 + iklen] = '\0';
				e = strcmp(ik, "_id") == 0 ? 1
				  : creation_entry(c, path, 0, personal);
				if (e)
					fail |= json_object_set(copy, ik, e == 2 ? json_null() : iv) != 0;
			}
		}
	}
	if (fail) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* The rows of one write of a record. A new record is one row: path NULL, its answers as the
 * record holds them (personal ones null) in value, at its default
 * version; so that the log of a collection day is one row per household,
 * not one per answer. Every other path (an edit, a removal, the review, a
 * new record's answers edited before it reached the server) has a row of
 * its own. */
static int write_changes(sink *a, const saola__changes *c)
{
	json_t *answers = NULL, *v;
	const char *path;
	char buf[256];
	int rc = SAOLA_OK, personal = 0;

	if (c->created) {
		if (!(answers = creation(c, &personal)))
			return nomem(a);
		rc = add_row(a, c->record_id, action_of(a->who, c, NULL), NULL, answers,
		             json_object_get(c->versions, "_"), NULL,
		             remarks(buf, sizeof buf, a->who ? a->who->detail : NULL,
		                     personal ? "personal" : NULL, NULL));
		json_decref(answers);
	}
	json_object_foreach((json_t *)c->values, path, v)
		if (rc == SAOLA_OK)
			rc = path_row(a, c, path, v);
	return rc;
}

int saola__audit_changes(saola__store *s, const saola__audit_who *who,
                         const saola__changes *c)
{
	sink k;

	if (!c->answers && json_object_size(c->values) == 0)
		return SAOLA_OK;   /* it changed nothing */
	if (!(k.st = saola__store_stmt(s, SAOLA__SS_AUDIT_ADD, ADD_SQL)))
		return SAOLA_ERROR;
	k.sql = saola__store_db(s), k.who = who, k.keep = NULL;
	return write_changes(&k, c);
}

saola__audit_rows *saola__audit_rows_make(const saola__audit_who *who,
                                          const struct saola__changes *c)
{
	saola__audit_rows *r = calloc(1, sizeof *r);
	sink k;

	if (!r)
		return NULL;
	memset(&k, 0, sizeof k);
	k.keep = r, k.who = who;
	if ((c->answers || json_object_size(c->values) > 0) && write_changes(&k, c) != SAOLA_OK) {
		saola__audit_rows_free(r);
		return NULL;
	}
	return r;
}

int saola__audit_rows_write(saola__store *s, const saola__audit_who *who,
                            const char *record_id, const saola__audit_rows *r)
{
	saola__dbstmt *st;
	size_t i;
	int rc = SAOLA_OK;

	if (r->n == 0)
		return SAOLA_OK;
	if (!(st = saola__store_stmt(s, SAOLA__SS_AUDIT_ADD, ADD_SQL)))
		return SAOLA_ERROR;
	for (i = 0; i < r->n && rc == SAOLA_OK; i++)
		rc = put_row(saola__store_db(s), st, who, record_id, &r->rows[i]);
	return rc;
}

void saola__audit_rows_free(saola__audit_rows *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		row_text_free(&r->rows[i]);
	free(r->rows);
	free(r);
}

int saola__audit_note(saola__store *s, const saola__audit_who *who, const char *record_id,
                      const char *path, const char *detail)
{
	char buf[256];
	sink k;

	if (!(k.st = saola__store_stmt(s, SAOLA__SS_AUDIT_ADD, ADD_SQL)))
		return SAOLA_ERROR;
	k.sql = saola__store_db(s), k.who = who, k.keep = NULL;
	return add_row(&k, record_id, who && who->action ? who->action : "note", path, NULL, NULL,
	               NULL, remarks(buf, sizeof buf, who ? who->detail : NULL, detail, NULL));
}

/* ------------------------------------------------------------------ */
/* Reading it back                                                     */

/* 1 when s is "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ". */
static int valid_time(const char *s)
{
	static const char full[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t n = strlen(s), i;

	if (n != 10 && n != sizeof full - 1)
		return 0;
	for (i = 0; i < n; i++)
		if (full[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != full[i])
			return 0;
	return 1;
}

static int set_text(json_t *o, const char *key, saola__dbstmt *st, int i)
{
	const char *v = saola__db_column_text(st, i);

	return v ? json_object_set_new(o, key, json_string(v)) : 0;
}

static int set_json(json_t *o, const char *key, saola__dbstmt *st, int i)
{
	const char *v = saola__db_column_text(st, i);
	json_t *j;

	if (!v)
		return 0;
	/* A row written by this code always parses; say so if one does not. */
	j = json_loads(v, JSON_DECODE_ANY, NULL);
	return json_object_set_new(o, key, j ? j : json_string(v));
}

/* 1 when word is one of the "; "-separated remarks of detail. */
static int has_remark(const char *detail, const char *word)
{
	size_t n = strlen(word);
	const char *p = detail;

	while (p && *p) {
		const char *end = strstr(p, "; ");
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && strncmp(p, word, n) == 0)
			return 1;
		p = end ? end + 2 : NULL;
	}
	return 0;
}

static json_t *row_json(saola__dbstmt *st)
{
	json_t *o = json_object();
	const char *detail = saola__db_column_text(st, 13);
	int fail;

	if (!o)
		return NULL;
	fail = json_object_set_new(o, "id", json_integer(saola__db_column_int(st, 0)));
	fail |= set_text(o, "at", st, 1);
	if (saola__db_column_type(st, 2) != SAOLA__DB_NULL)
		fail |= json_object_set_new(o, "user_id", json_integer(saola__db_column_int(st, 2)));
	fail |= set_text(o, "user", st, 3);
	fail |= set_text(o, "device", st, 4);
	fail |= set_text(o, "batch", st, 5);
	fail |= set_text(o, "source", st, 6);
	fail |= set_text(o, "record", st, 7);
	fail |= set_text(o, "action", st, 8);
	fail |= set_text(o, "path", st, 9);
	fail |= set_json(o, "value", st, 10);
	fail |= json_object_set_new(o, "personal", json_boolean(has_remark(detail, "personal")));
	fail |= set_json(o, "version", st, 11);
	fail |= set_text(o, "state", st, 12);
	fail |= set_text(o, "detail", st, 13);
	if (fail) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Appends to rows a copy of row for path: value v, or "personal" true
 * when v is null (a new record's personal answer). -1 when out of memory. */
static int append_entry(json_t *rows, json_t *row, const char *path, json_t *v)
{
	json_t *entry = json_copy(row);
	int fail = !entry;

	if (!fail) {
		fail |= json_object_set_new(entry, "path", json_string(path)) != 0;
		fail |= json_object_set_new(entry, "personal", json_boolean(json_is_null(v))) != 0;
		if (!json_is_null(v))
			fail |= json_object_set(entry, "value", v) != 0;
	}
	fail |= json_array_append_new(rows, entry) != 0;
	return fail ? -1 : 0;
}

/* 1 when v is a repeat's items as a record holds them: a non-empty array
 * of objects with an "_id" (a select_multiple's answer is of strings). */
static int is_items(json_t *v)
{
	json_t *item;
	size_t i;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return 0;
	json_array_foreach(v, i, item)
		if (!json_is_string(json_object_get(item, "_id")))
			return 0;
	return 1;
}

/* Appends row to rows, taking it: a new record's row as one entry per
 * path of its answers (an item "members.<id>", true, and each of its
 * answers), like the rows of the paths changed later. -1 when out of
 * memory. */
static int append_row(json_t *rows, json_t *row)
{
	json_t *answers = json_object_get(row, "value"), *v, *item, *iv;
	const char *k, *ik, *action = json_string_value(json_object_get(row, "action"));
	char path[600];
	size_t i;
	int fail = 0;

	if (!action || strcmp(action, "create") != 0 || json_object_get(row, "path") ||
	    !json_is_object(answers))
		return json_array_append_new(rows, row);
	json_incref(answers);
	json_object_del(row, "value");
	if (json_is_string(json_object_get(row, "detail")) &&
	    strcmp(json_string_value(json_object_get(row, "detail")), "personal") == 0)
		json_object_del(row, "detail");
	if (json_object_size(answers) == 0) {
		/* a record created with no answer: the row says so */
		json_decref(answers);
		return json_array_append_new(rows, row);
	}
	json_object_foreach(answers, k, v) {
		if (!is_items(v)) {
			fail |= append_entry(rows, row, k, v);
			continue;
		}
		json_array_foreach(v, i, item) {
			const char *id = json_string_value(json_object_get(item, "_id"));
			snprintf(path, sizeof path, "%s.%s", k, id);
			fail |= append_entry(rows, row, path, json_true());
			json_object_foreach(item, ik, iv) {
				if (strcmp(ik, "_id") == 0)
					continue;
				snprintf(path, sizeof path, "%s.%s.%s", k, id, ik);
				fail |= append_entry(rows, row, path, iv);
			}
		}
	}
	json_decref(answers);
	json_decref(row);
	return fail ? -1 : 0;
}

/* 1 when the database holds record id (a tombstone too). */
static int record_known(saola__db *sql, const char *id, int *known)
{
	saola__dbstmt *st = NULL;
	int step;

	*known = 0;
	if (saola__db_prepare(sql, "SELECT 1 FROM records WHERE id = ? UNION ALL"
	                      " SELECT 1 FROM audit WHERE record_id = ? LIMIT 1", &st) != SAOLA_OK)
		return -1;
	saola__db_bind_text(st, 1, id, -1);
	saola__db_bind_text(st, 2, id, -1);
	step = saola__db_step(st);
	*known = step == SAOLA__DB_ROW;
	saola__db_finalize(st);
	return step == SAOLA__DB_ROW || step == SAOLA__DB_DONE ? 0 : -1;
}

#define HISTORY_SQL(where)                                                   \
	"SELECT id, at, user_id, user_name, device, batch, source, record_id,"  \
	" action, path, value, version, state, detail FROM audit WHERE " where  \
	" AND (CAST(? AS TEXT) IS NULL OR user_name = ?)"                       \
	" AND (CAST(? AS TEXT) IS NULL OR at >= ?)"                             \
	" ORDER BY id"

int saola__audit_history(saola__store *s, const char *record_id, const char *user,
                         const char *since, json_t **out, saola__err *e)
{
	saola__db *sql = s ? saola__store_db(s) : NULL;
	saola__dbstmt *st = NULL;
	json_t *rows = NULL, *row;
	int step, known, rc = -1;

	*out = NULL;
	if (!sql)
		return saola__err_set(e, SAOLA_ERROR, "audit: no database");
	if (!record_id && !user)
		return saola__err_set(e, SAOLA_PROTOCOL, "audit: a record or a user is needed");
	if (since && !valid_time(since))
		return saola__err_set(e, SAOLA_PROTOCOL, "audit: since \"%s\": expected"
		                      " YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ", since);
	if (s->ops->read_begin(s) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "audit: %s", s->ops->errmsg(s));
	if (record_id && record_known(sql, record_id, &known) != 0) {
		saola__err_set(e, SAOLA_ERROR, "audit: %s", saola__db_errmsg(sql));
		goto out;
	}
	if (record_id && !known) {
		saola__err_set(e, SAOLA_NOTFOUND, "audit: no record %s in this database",
		               record_id);
		goto out;
	}
	/* By record, the index (record_id, id) gives the rows in order; by
	 * user alone, the table is read in id order. */
	if (saola__db_prepare(sql, record_id ? HISTORY_SQL("record_id = ?")
	                                     : HISTORY_SQL("CAST(? AS TEXT) IS NULL"), &st)
	    != SAOLA_OK) {
		saola__err_set(e, SAOLA_ERROR, "audit: %s", saola__db_errmsg(sql));
		goto out;
	}
	saola__db_bind_text(st, 1, record_id, -1);
	saola__db_bind_text(st, 2, user, -1);
	saola__db_bind_text(st, 3, user, -1);
	saola__db_bind_text(st, 4, since, -1);
	saola__db_bind_text(st, 5, since, -1);
	if (!(rows = json_array())) {
		saola__err_set(e, SAOLA_NOMEM, "audit: out of memory");
		goto out;
	}
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW)
		if (!(row = row_json(st)) || append_row(rows, row) != 0) {
			saola__err_set(e, SAOLA_NOMEM, "audit: out of memory");
			goto out;
		}
	if (step != SAOLA__DB_DONE) {
		saola__err_set(e, SAOLA_ERROR, "audit: %s", saola__db_errmsg(sql));
		goto out;
	}
	*out = rows;
	rows = NULL;
	rc = 0;
out:
	saola__db_finalize(st);
	s->ops->end(s, 1);
	json_decref(rows);
	return rc;
}
