/* audit.c: the append-only audit log (table audit, server schema 5): one
 * row per path of a record that a write on the server changed, written by
 * the core's change hook inside the write's transaction, with who the
 * store was told the change comes from; and the history read back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "store_sqlite.h"

struct saola__audit {
	saola *db;
	sqlite3_stmt *add;             /* prepared on first use */
	const saola__audit_who *who;   /* borrowed; NULL: nobody set */
};

#define ADD_SQL                                                              \
	"INSERT INTO audit(at, user_id, user_name, device, batch, source,"     \
	" record_id, action, path, value, version, state, detail)"             \
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"

/* The action of a change: the one the writer names (a resolution), else
 * what the path says. */
static const char *action_of(const saola__audit_who *w, const saola__change *c)
{
	if (w && w->action)
		return w->action;
	if (strcmp(c->path, "_deleted") == 0)
		return "delete";
	if (strcmp(c->path, SAOLA__P_STATE) == 0 || strcmp(c->path, SAOLA__P_COMMENT) == 0)
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

static sqlite3_stmt *add_stmt(saola__audit *a)
{
	if (!a->add && sqlite3_prepare_v3(a->db->sql, ADD_SQL, -1, SQLITE_PREPARE_PERSISTENT,
	                                  &a->add, NULL) != SQLITE_OK) {
		saola__sql_error(a->db, "audit log");
		return NULL;
	}
	sqlite3_reset(a->add);
	sqlite3_clear_bindings(a->add);
	return a->add;
}

/* Binds JSON v as text (NULL column for v NULL). */
static int bind_json(sqlite3_stmt *st, int i, const json_t *v)
{
	char *text;

	if (!v)
		return sqlite3_bind_null(st, i) == SQLITE_OK ? 0 : -1;
	if (!(text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)))
		return -1;
	return sqlite3_bind_text(st, i, text, -1, free) == SQLITE_OK ? 0 : -1;
}

/* Writes one row; value and version may be NULL. */
static int add_row(saola__audit *a, const char *record_id, const char *action,
                   const char *path, const json_t *value, const json_t *version,
                   const char *state, const char *detail)
{
	const saola__audit_who *w = a->who;
	sqlite3_stmt *st = add_stmt(a);
	char now[21];
	int step;

	if (!st)
		return a->db->rc;
	if (!w || !w->now)
		saola__now(now);
	sqlite3_bind_text(st, 1, w && w->now ? w->now : now, -1, SQLITE_TRANSIENT);
	if (w && w->user_id > 0)
		sqlite3_bind_int64(st, 2, w->user_id);
	sqlite3_bind_text(st, 3, w ? w->user_name : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, w ? w->device : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, w ? w->batch : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, w && w->source ? w->source : "server", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, record_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 13, detail, -1, SQLITE_TRANSIENT);
	if (bind_json(st, 10, value) != 0 || bind_json(st, 11, version) != 0) {
		sqlite3_clear_bindings(st);
		return saola__error(a->db, SAOLA_NOMEM, "audit log: out of memory");
	}
	step = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);  /* the JSON texts go now */
	if (step != SQLITE_DONE)
		return saola__sql_error(a->db, "audit log");
	return SAOLA_OK;
}

/* The change hook: a row for one changed path. */
static int on_change(void *ctx, const saola__change *c)
{
	saola__audit *a = ctx;
	const char *action = action_of(a->who, c);
	int review = c->path[0] == '_' && strcmp(c->path, "_deleted") != 0;
	int personal = personal_path(c->form, c->path);
	char buf[256];
	const char *detail;

	/* A personal answer is not copied here: the log says it changed, and
	 * when and by whom, but the value stays in the record only. */
	detail = remarks(buf, sizeof buf, a->who ? a->who->detail : NULL,
	                 personal ? "personal" : NULL,
	                 c->deleted && strcmp(c->path, "_deleted") != 0 ? "record deleted" : NULL);
	return add_row(a, c->record_id, action, c->path, personal ? NULL : c->value, c->version,
	               review ? c->state : NULL, detail);
}

saola__audit *saola__audit_new(saola *db)
{
	saola__audit *a = calloc(1, sizeof *a);

	if (!a)
		return NULL;
	a->db = db;
	saola__set_change_hook(db, on_change, a);
	return a;
}

void saola__audit_free(saola__audit *a)
{
	if (!a)
		return;
	if (a->db->on_change_ctx == a)
		saola__set_change_hook(a->db, NULL, NULL);
	sqlite3_finalize(a->add);
	free(a);
}

static saola__audit *audit_of(saola__store *s)
{
	return s && strcmp(s->ops->name, "sqlite") == 0 ? ((sq_store *)s)->audit : NULL;
}

void saola__audit_set(saola__store *s, const saola__audit_who *who)
{
	saola__audit *a = audit_of(s);

	if (a)
		a->who = who;
}

int saola__audit_note(saola__store *s, const char *record_id, const char *path,
                      const char *detail)
{
	saola__audit *a = audit_of(s);
	char buf[256];

	if (!a)
		return SAOLA_OK;
	return add_row(a, record_id, a->who && a->who->action ? a->who->action : "note", path, NULL,
	               NULL, NULL, remarks(buf, sizeof buf, a->who ? a->who->detail : NULL,
	                                   detail, NULL));
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

static int set_text(json_t *o, const char *key, sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	return v ? json_object_set_new(o, key, json_string(v)) : 0;
}

static int set_json(json_t *o, const char *key, sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);
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

static json_t *row_json(sqlite3_stmt *st)
{
	json_t *o = json_object();
	const char *detail = (const char *)sqlite3_column_text(st, 13);
	int fail;

	if (!o)
		return NULL;
	fail = json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	fail |= set_text(o, "at", st, 1);
	if (sqlite3_column_type(st, 2) != SQLITE_NULL)
		fail |= json_object_set_new(o, "user_id", json_integer(sqlite3_column_int64(st, 2)));
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

/* 1 when the database holds record id (a tombstone too). */
static int record_known(sqlite3 *sql, const char *id, int *known)
{
	sqlite3_stmt *st = NULL;
	int step;

	*known = 0;
	if (sqlite3_prepare_v2(sql, "SELECT 1 FROM records WHERE id = ?1 UNION ALL"
	                       " SELECT 1 FROM audit WHERE record_id = ?1 LIMIT 1", -1, &st,
	                       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	*known = step == SQLITE_ROW;
	sqlite3_finalize(st);
	return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
}

#define HISTORY_SQL(where)                                                   \
	"SELECT id, at, user_id, user_name, device, batch, source, record_id,"  \
	" action, path, value, version, state, detail FROM audit WHERE " where  \
	" AND (?2 IS NULL OR user_name = ?2) AND (?3 IS NULL OR at >= ?3)"      \
	" ORDER BY id"

int saola__audit_history(saola__store *s, const char *record_id, const char *user,
                         const char *since, json_t **out, saola__err *e)
{
	sqlite3 *sql = s && strcmp(s->ops->name, "sqlite") == 0 ? ((sq_store *)s)->db->sql : NULL;
	sqlite3_stmt *st = NULL;
	json_t *rows = NULL, *row;
	int step, known, rc = -1;

	*out = NULL;
	if (!sql)
		return saola__fail(e, 500, "internal", "audit: no database");
	if (!record_id && !user)
		return saola__fail(e, 400, "bad_request", "audit: a record or a user is needed");
	if (since && !valid_time(since))
		return saola__fail(e, 400, "bad_request", "audit: since \"%s\": expected"
		                   " YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ", since);
	if (s->ops->read_begin(s) != SAOLA_OK)
		return saola__fail(e, 500, "internal", "audit: %s", s->ops->errmsg(s));
	if (record_id && record_known(sql, record_id, &known) != 0) {
		saola__fail(e, 500, "internal", "audit: %s", sqlite3_errmsg(sql));
		goto out;
	}
	if (record_id && !known) {
		saola__fail(e, 404, "not_found", "audit: no record %s in this database", record_id);
		goto out;
	}
	/* By record, the index (record_id, id) gives the rows in order; by
	 * user alone, the table is read in id order. */
	if (sqlite3_prepare_v2(sql, record_id ? HISTORY_SQL("record_id = ?1")
	                                      : HISTORY_SQL("?1 IS NULL"), -1, &st, NULL) != SQLITE_OK) {
		saola__fail(e, 500, "internal", "audit: %s", sqlite3_errmsg(sql));
		goto out;
	}
	sqlite3_bind_text(st, 1, record_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, since, -1, SQLITE_STATIC);
	if (!(rows = json_array())) {
		saola__fail(e, 500, "internal", "audit: out of memory");
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		if (!(row = row_json(st)) || json_array_append_new(rows, row) != 0) {
			saola__fail(e, 500, "internal", "audit: out of memory");
			goto out;
		}
	if (step != SQLITE_DONE) {
		saola__fail(e, 500, "internal", "audit: %s", sqlite3_errmsg(sql));
		goto out;
	}
	*out = rows;
	rows = NULL;
	rc = 0;
out:
	sqlite3_finalize(st);
	s->ops->end(s, 1);
	json_decref(rows);
	return rc;
}
