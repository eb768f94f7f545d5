/* interview_save.c: the end of an interview (what changed, the record
 * saved) and drafts: the answers of an interview not finished, kept in the
 * device's drafts table and never synced. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interview.h"
#include "json_out.h"

/* ------------------------------------------------------------------ */
/* What saola_put gets                                                 */

/* Adds the answer now (null when there is none, which clears it) under
 * name when it differs from the answer as stored. */
static int put_changed(json_t *o, const char *name, json_t *now, json_t *was)
{
	if (json_equal(now ? now : json_null(), was ? was : json_null()))
		return 0;
	return json_object_set(o, name, now ? now : json_null());
}

/* The item of items whose _id is id, or NULL. */
static json_t *item_by_id(json_t *items, json_t *id)
{
	json_t *item;
	size_t k;

	json_array_foreach(items, k, item)
		if (id && json_equal(json_object_get(item, "_id"), id))
			return item;
	return NULL;
}

/* The changed answers of one item (by its _id), or the whole of a new one;
 * NULL (and *same 1) for a stored item as it was. */
static json_t *item_edit(const saola_interview *iv, int r, json_t *item, json_t *was,
                         int *same)
{
	json_t *id = json_object_get(item, "_id"), *old = item_by_id(was, id);
	json_t *o = json_object();
	int j;

	*same = 0;
	if (!o || (id && json_object_set(o, "_id", id)))
		goto nomem;
	for (j = r + 1; j < iv->f[r].fi.end; j++)
		if (iv_entered(&iv->f[j]) &&
		    put_changed(o, iv->f[j].fi.name, json_object_get(item, iv->f[j].fi.name),
		                json_object_get(old, iv->f[j].fi.name)))
			goto nomem;
	if (old && json_object_size(o) == 1) {
		*same = 1;
		json_decref(o);
		return NULL;
	}
	return o;
nomem:
	json_decref(o);
	return NULL;
}

/* The edit of repeat r: changed items, new items whole, "_remove" for the
 * stored items that are gone. Added to put only when it has something. */
static int put_items(const saola_interview *iv, int r, json_t *put)
{
	json_t *arr = json_array(), *was = json_object_get(iv->original, iv->f[r].fi.name);
	json_t *item, *o, *id;
	size_t k;
	int same;

	if (!arr)
		return -1;
	json_array_foreach(iv_items(iv, r), k, item) {
		o = item_edit(iv, r, item, was, &same);
		if (!same && (!o || json_array_append_new(arr, o)))
			goto nomem;
	}
	json_array_foreach(was, k, item) {
		id = json_object_get(item, "_id");
		if (id && !item_by_id(iv_items(iv, r), id) &&
		    json_array_append_new(arr, json_pack("{s:O,s:b}", "_id", id, "_remove", 1)))
			goto nomem;
	}
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		return 0;
	}
	return json_object_set_new(put, iv->f[r].fi.name, arr);
nomem:
	json_decref(arr);
	return -1;
}

/* The answers that differ from the stored ones (all of them for a new
 * record), so that an edit merged in from elsewhere while the interview
 * went on is not overwritten with what it replaced. */
static json_t *put_data(const saola_interview *iv)
{
	json_t *put = json_object();
	int i;

	for (i = 0; put && i < iv->nf; i++) {
		const iv_field *f = &iv->f[i];

		if (f->fi.repeat >= 0)
			continue;
		if ((f->fi.type == SAOLA__F_REPEAT && put_items(iv, i, put)) ||
		    (iv_entered(f) && put_changed(put, f->fi.name,
		                                  json_object_get(iv->answers, f->fi.name),
		                                  json_object_get(iv->original, f->fi.name)))) {
			json_decref(put);
			return NULL;
		}
	}
	return put;
}

int saola_interview_changed(saola_interview *iv)
{
	json_t *put = put_data(iv);
	int changed = !put || json_object_size(put) > 0;

	json_decref(put);
	return changed;
}

/* ------------------------------------------------------------------ */
/* Drafts                                                              */

static int draft_delete(saola *db, const char *id, int *found)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*found = 0;
	if (sqlite3_prepare_v2(db->sql, "DELETE FROM drafts WHERE id = ?1", -1, &st, NULL))
		return saola__sql_error(db, "drafts");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? SAOLA_OK : saola__sql_error(db, "drafts");
	*found = sqlite3_changes(db->sql) > 0;
	sqlite3_finalize(st);
	return rc;
}

/* The innermost place answered ("14404"), or the form's id. */
static const char *code_prefix(const saola_interview *iv)
{
	const char *best = NULL, *s;
	int i;

	for (i = 0; i < iv->nf; i++)
		if (iv->f[i].pub.unit && iv->f[i].fi.repeat < 0 &&
		    (s = json_string_value(json_object_get(iv->answers, iv->f[i].fi.name))) && *s)
			best = s;
	return best ? best : saola__form_id(iv->form);
}

/* A new record's codes: each relevant top-level text field marked
 * "generated": true and left empty gets "<place>-<8 hex digits>" (the
 * innermost place answered), kept from then on like a typed answer. */
static int generate_codes(saola_interview *iv)
{
	char hex[9], code[64];
	int i, j, rc;

	for (i = 0; i < iv->nf; i++) {
		const iv_field *f = &iv->f[i];
		json_t *v;

		if (f->fi.repeat >= 0 || f->fi.type != SAOLA__F_TEXT ||
		    !json_is_true(json_object_get(f->fi.def, "generated")) ||
		    json_object_get(iv->answers, f->fi.name))
			continue;
		if (saola__random_hex(hex, 8) != 0)
			return iv_fail(iv, SAOLA_IO, "no random numbers for %s", f->fi.name);
		for (j = 0; hex[j]; j++)
			hex[j] = (char)(hex[j] >= 'a' ? hex[j] - 'a' + 'A' : hex[j]);
		snprintf(code, sizeof code, "%s-%s", code_prefix(iv), hex);
		if (!(v = json_string(code)))
			return iv_fail(iv, SAOLA_NOMEM, "out of memory");
		rc = saola_interview_set(iv, i, 0, v);
		json_decref(v);
		if (rc != SAOLA_OK)
			return rc;
	}
	return SAOLA_OK;
}

/* The save's transaction: the caller's, as a savepoint, or its own (so
 * that saola_put inside it nests as a savepoint). */
static int txn_begin(saola *db, int *own)
{
	*own = !db->in_txn;
	return *own ? saola_begin(db) : saola__write_begin(db, "interview");
}

static int txn_end(saola *db, int own, int ok)
{
	if (!own)
		return saola__write_end(db, "interview", ok);
	if (ok)
		return saola_commit(db);
	saola_rollback(db);
	return SAOLA_OK;
}

int saola_interview_save(saola_interview *iv, char record_id[37])
{
	char id[37];
	json_t *put;
	int rc, found, end, own;

	if (record_id)
		record_id[0] = '\0';
	if (!iv->record_id && (rc = generate_codes(iv)) != SAOLA_OK)
		return rc;
	if ((rc = saola_interview_check(iv, NULL, NULL)) != SAOLA_OK)
		return rc;
	if (!(put = put_data(iv)))
		return iv_fail(iv, SAOLA_NOMEM, "out of memory");
	if ((rc = txn_begin(iv->db, &own)) != SAOLA_OK) {
		json_decref(put);
		return iv_db_fail(iv, rc);
	}
	rc = saola_put(iv->db, saola__form_id(iv->form), iv->record_id, put, id);
	json_decref(put);
	if (rc == SAOLA_OK && iv->draft_id)
		rc = draft_delete(iv->db, iv->draft_id, &found);
	end = txn_end(iv->db, own, rc == SAOLA_OK);
	if (rc == SAOLA_OK)
		rc = end;
	if (rc != SAOLA_OK)
		return iv_db_fail(iv, rc);
	free(iv->draft_id);
	iv->draft_id = NULL;
	if (!iv->record_id && !(iv->record_id = strdup(id)))
		return iv_fail(iv, SAOLA_NOMEM, "out of memory");
	if (record_id)
		memcpy(record_id, id, 37);
	return iv_ok(iv);
}

/* The first text answer at the top level, for a list of drafts. */
static const char *draft_title(const saola_interview *iv)
{
	const char *s;
	int i;

	for (i = 0; i < iv->nf; i++)
		if (iv->f[i].fi.repeat < 0 && iv->f[i].fi.type == SAOLA__F_TEXT &&
		    !iv->f[i].pub.unit && iv_entered(&iv->f[i]) &&
		    (s = json_string_value(json_object_get(iv->answers, iv->f[i].fi.name))) && *s)
			return s;
	return "";
}

static int draft_write(saola_interview *iv, const char *answers, const char *original,
                       int field, int item)
{
	sqlite3_stmt *st = NULL;
	char now[21];
	int rc;

	saola__now(now);
	if (sqlite3_prepare_v2(iv->db->sql,
	        "INSERT INTO drafts(id, form_id, form_version, record_id, lang, answers,"
	        " original, at_field, at_item, title, updated_at)"
	        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
	        " ON CONFLICT(id) DO UPDATE SET answers = excluded.answers,"
	        " at_field = excluded.at_field, at_item = excluded.at_item,"
	        " title = excluded.title, lang = excluded.lang,"
	        " updated_at = excluded.updated_at", -1, &st, NULL))
		return saola__sql_error(iv->db, "drafts");
	sqlite3_bind_text(st, 1, iv->draft_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, saola__form_id(iv->form), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, saola__form_version(iv->form), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, iv->record_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, iv->lang, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, answers, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, original, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 8, field);
	sqlite3_bind_int(st, 9, item);
	sqlite3_bind_text(st, 10, draft_title(iv), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? SAOLA_OK : saola__sql_error(iv->db, "drafts");
	sqlite3_finalize(st);
	return rc;
}

int saola_interview_save_draft(saola_interview *iv, int field, int item)
{
	char id[37], *answers = NULL, *original = NULL;
	int rc, end;

	if (!iv->draft_id) {
		if (saola__uuid(id) != 0)
			return iv_fail(iv, SAOLA_IO, "drafts: no random numbers");
		if (!(iv->draft_id = strdup(id)))
			return iv_fail(iv, SAOLA_NOMEM, "out of memory");
	}
	if (!(answers = saola__json_dump(iv->answers, NULL)) ||
	    (iv->original && !(original = saola__json_dump(iv->original, NULL)))) {
		free(answers);
		return iv_fail(iv, SAOLA_NOMEM, "out of memory");
	}
	if ((rc = saola__write_begin(iv->db, "draft")) == SAOLA_OK) {
		rc = draft_write(iv, answers, original, field, item);
		end = saola__write_end(iv->db, "draft", rc == SAOLA_OK);
		if (rc == SAOLA_OK)
			rc = end;
	}
	free(answers);
	free(original);
	return rc == SAOLA_OK ? iv_ok(iv) : iv_db_fail(iv, rc);
}

const char *saola_interview_draft_id(const saola_interview *iv)
{
	return iv->draft_id;
}

/* A draft's row: its texts, for resuming. */
typedef struct draft_row {
	char *form, *record, *lang, *answers, *original;
	int field, item;
} draft_row;

static void row_free(draft_row *d)
{
	free(d->form);
	free(d->record);
	free(d->lang);
	free(d->answers);
	free(d->original);
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? strdup(s) : NULL;
}

static int draft_read(saola *db, const char *id, draft_row *d)
{
	sqlite3_stmt *st = NULL;
	int rc = SAOLA_OK, step;

	memset(d, 0, sizeof *d);
	if (sqlite3_prepare_v2(db->sql, "SELECT form_id, record_id, lang, answers, original,"
	                       " at_field, at_item FROM drafts WHERE id = ?1", -1, &st, NULL))
		return saola__sql_error(db, "drafts");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		d->form = col_dup(st, 0);
		d->record = col_dup(st, 1);
		d->lang = col_dup(st, 2);
		d->answers = col_dup(st, 3);
		d->original = col_dup(st, 4);
		d->field = sqlite3_column_int(st, 5);
		d->item = sqlite3_column_int(st, 6);
		if (!d->form || !d->lang || !d->answers)
			rc = saola__error(db, SAOLA_NOMEM, "drafts: out of memory");
	} else {
		rc = step == SQLITE_DONE ? saola__error(db, SAOLA_NOTFOUND, "no draft %s", id)
		                         : saola__sql_error(db, "drafts");
	}
	sqlite3_finalize(st);
	return rc;
}

/* The draft's answers (and original) in place of iv's. */
static int draft_load(saola_interview *iv, const draft_row *d, const char *id)
{
	json_error_t je;

	json_decref(iv->answers);
	if (!(iv->answers = json_loads(d->answers, 0, &je)) || !json_is_object(iv->answers) ||
	    (d->original && !(iv->original = json_loads(d->original, 0, &je))))
		return iv_fail(iv, SAOLA_CORRUPT, "draft %s: %s", id, je.text);
	if (d->record && !(iv->record_id = strdup(d->record)))
		return iv_fail(iv, SAOLA_NOMEM, "out of memory");
	if (!(iv->draft_id = strdup(id)))
		return iv_fail(iv, SAOLA_NOMEM, "out of memory");
	return iv_setup(iv);
}

int saola_interview_resume(saola *db, const char *draft_id, const char *lang, int *field,
                           int *item, saola_interview **out)
{
	saola_interview *iv = NULL;
	draft_row d;
	int rc;

	*out = NULL;
	if (!db || !draft_id)
		return SAOLA_MISUSE;
	if ((rc = draft_read(db, draft_id, &d)) != SAOLA_OK)
		return rc;
	if ((rc = iv_new(db, d.form, lang ? lang : d.lang, &iv)) == SAOLA_OK &&
	    draft_load(iv, &d, draft_id) != SAOLA_OK) {
		rc = iv->rc;
		saola__error(db, rc, "interview: %s", iv->err);
		saola_interview_close(iv);
		iv = NULL;
	}
	if (iv && field)
		*field = d.field;
	if (iv && item)
		*item = d.item;
	row_free(&d);
	if (!iv)
		return rc;
	*out = iv;
	return saola__ok(db);
}

static int list_row(sqlite3_stmt *st, json_t *out)
{
	const char *rec = (const char *)sqlite3_column_text(st, 3);

	return json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s?,s:s,s:s}",
	        "id", sqlite3_column_text(st, 0), "form", sqlite3_column_text(st, 1),
	        "form_version", sqlite3_column_text(st, 2), "record", rec,
	        "updated", sqlite3_column_text(st, 4), "title", sqlite3_column_text(st, 5)));
}

int saola_drafts_list(saola *db, json_t **out)
{
	sqlite3_stmt *st = NULL;
	json_t *a = json_array();
	int step, rc = SAOLA_OK;

	*out = NULL;
	if (!a)
		return saola__error(db, SAOLA_NOMEM, "drafts: out of memory");
	if (sqlite3_prepare_v2(db->sql, "SELECT id, form_id, form_version, record_id,"
	                       " updated_at, title FROM drafts"
	                       " ORDER BY updated_at DESC, rowid DESC", -1, &st, NULL)) {
		json_decref(a);
		return saola__sql_error(db, "drafts");
	}
	while (rc == SAOLA_OK && (step = sqlite3_step(st)) == SQLITE_ROW)
		if (list_row(st, a))
			rc = saola__error(db, SAOLA_NOMEM, "drafts: out of memory");
	if (rc == SAOLA_OK && step != SQLITE_DONE)
		rc = saola__sql_error(db, "drafts");
	sqlite3_finalize(st);
	if (rc != SAOLA_OK) {
		json_decref(a);
		return rc;
	}
	*out = a;
	return saola__ok(db);
}

int saola_draft_delete(saola *db, const char *draft_id)
{
	int rc, found, end;

	if (!db || !draft_id)
		return SAOLA_MISUSE;
	if ((rc = saola__write_begin(db, "draft")) != SAOLA_OK)
		return rc;
	rc = draft_delete(db, draft_id, &found);
	if (rc == SAOLA_OK && !found)
		rc = saola__error(db, SAOLA_NOTFOUND, "no draft %s", draft_id);
	end = saola__write_end(db, "draft", rc == SAOLA_OK);
	if (rc == SAOLA_OK)
		rc = end;
	return rc == SAOLA_OK ? saola__ok(db) : rc;
}
