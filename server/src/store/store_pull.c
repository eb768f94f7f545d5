/* store_pull.c: a pull's page of records, written once over db.h for every
 * backend: the records of an area after a cursor, in change-sequence order,
 * as the wire protocol sends them (docs/protocol.md, "Pull"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "saola_form.h"
#include "store_sql.h"
#include "versions.h"

/* The columns a page reads, in this order. */
#define PULL_COLUMNS "r.id, r.seq, r.form_id, r.data, r.versions, r.state," \
	" r.state_comment, r.province, r.district, r.commune"
enum { C_ID, C_SEQ, C_FORM, C_DATA, C_VERSIONS, C_STATE, C_COMMENT, C_PROVINCE,
       C_DISTRICT, C_COMMUNE };

/* 1 when the answers d of a wire record hold path: a field, a repeat item
 * ("members.<_id>") or an item's field ("members.<_id>.<field>"). */
static int has_path(json_t *d, const char *path)
{
	const char *dot = strchr(path, '.'), *id, *dot2;
	json_t *items, *item;
	char name[128];
	size_t i, n, idlen;

	if (!dot)
		return json_object_get(d, path) != NULL;
	n = (size_t)(dot - path);
	if (n >= sizeof name)
		return 0;
	memcpy(name, path, n);
	name[n] = '\0';
	id = dot + 1;
	dot2 = strchr(id, '.');
	idlen = dot2 ? (size_t)(dot2 - id) : strlen(id);
	items = json_object_get(d, name);
	json_array_foreach(items, i, item) {
		const char *iid = json_string_value(json_object_get(item, "_id"));
		if (iid && strlen(iid) == idlen && memcmp(iid, id, idlen) == 0)
			return dot2 ? json_object_get(item, dot2 + 1) != NULL : 1;
	}
	return 0;
}

/* Drops the versions of paths that equal the record's default "_": the
 * protocol reads a path with a value and no version of its own as "_", so
 * the record means the same in fewer bytes. A removal (a version with no
 * value) keeps its own. */
static void compact_versions(json_t *rec)
{
	json_t *vs = json_object_get(rec, "vs"), *d = json_object_get(rec, "d");
	json_t *def = json_object_get(vs, "_"), *v;
	const char *k;
	void *tmp;

	if (!def)
		return;
	json_object_foreach_safe(vs, tmp, k, v)
		if (strcmp(k, "_") != 0 && strcmp(k, "_deleted") != 0 &&
		    saola__version_cmp(v, def) == 0 && has_path(d, k))
			json_object_del(vs, k);
}

/* The wire record of the current row: {"r","f","fv","d","vs"}, its answers
 * flattened and rebuilt with the form of engine (the form's current
 * version), the review paths beside them. A new reference in *out. */
static int wire_row(saola__store *s, struct saola *engine, saola__dbstmt *st, json_t *doc,
                    json_t **out)
{
	const char *id = saola__db_column_text(st, C_ID);
	saola__form *f = NULL;
	json_t *versions = NULL, *flat = NULL, *d = NULL;
	int rc;

	*out = NULL;
	if ((rc = saola__form_lookup(engine, saola__db_column_text(st, C_FORM), &f)) != SAOLA_OK)
		return saola__db_fail(s->db, rc, "pull: record %s: %s", id, saola_errmsg(engine));
	if (!(versions = json_loads(saola__db_column_text(st, C_VERSIONS), 0, NULL)))
		return saola__db_fail(s->db, SAOLA_CORRUPT, "pull: record %s: its versions are not"
		                      " JSON", id);
	if ((flat = saola__state_values(f, doc, saola__db_column_text(st, C_STATE),
	                                saola__db_column_text(st, C_COMMENT))) &&
	    (d = saola__unflatten_patch(flat)))
		*out = json_pack("{s:s, s:s, s:s, s:O, s:O}", "r", id,
		                 "f", saola__db_column_text(st, C_FORM),
		                 "fv", saola__form_version(f), "d", d, "vs", versions);
	json_decref(versions);
	json_decref(flat);
	json_decref(d);
	if (!*out)
		return saola__db_fail(s->db, SAOLA_NOMEM, "pull: out of memory");
	compact_versions(*out);
	return SAOLA_OK;
}

/* The page's statement: the records of q's area after the cursor, leaving
 * out device's own echoes. An area gone in the new units is filtered again
 * in C (its SQL takes a superset), so its rows are not limited in SQL. */
static int pull_prepare(saola__store *s, const saola__area_q *q, const char *device,
                        int64_t cursor, int limit, saola__dbstmt **out)
{
	char cond[1024], sql[1600];
	int rc, p;

	saola__area_q_cond(q, "r", NULL, cond, sizeof cond);
	snprintf(sql, sizeof sql, "SELECT " PULL_COLUMNS " FROM records r WHERE %s AND r.seq > ?"
	         " AND (CAST(? AS TEXT) IS NULL OR NOT EXISTS (SELECT 1 FROM record_echo e"
	         "  WHERE e.record_id = r.id AND e.device = ? AND e.seq = r.seq))"
	         " ORDER BY r.seq%s", cond, q->list ? "" : " LIMIT ?");
	if ((rc = saola__db_prepare(s->db, sql, out)) != SAOLA_OK)
		return rc;
	p = saola__area_q_cond_bind(q, *out, 1);
	saola__db_bind_int(*out, p++, cursor);
	saola__db_bind_text(*out, p++, device, -1);
	saola__db_bind_text(*out, p++, device, -1);
	if (!q->list)
		saola__db_bind_int(*out, p, (int64_t)limit + 1);
	return SAOLA_OK;
}

/* 1 when the current row lies in q's area (always, but for an area gone
 * in the new units: saola__area_q_match on its units and survey year). */
static int in_area(const saola__area_q *q, saola__dbstmt *st, const json_t *doc)
{
	const char *code;

	if (!q->list)
		return 1;
	code = saola__db_column_text(st, strcmp(q->level, "province") == 0 ? C_PROVINCE
	                                 : strcmp(q->level, "district") == 0 ? C_DISTRICT
	                                 : C_COMMUNE);
	return saola__area_q_match(q, code ? code : "", saola__db_column_text(st, C_DISTRICT),
	                           saola__db_column_text(st, C_COMMUNE),
	                           json_object_get(doc, "survey_year"));
}

/* Takes one page of st's rows into records: at most limit records, and
 * no more once their JSON passes max_bytes (a page holds at least one). */
static int pull_page(saola__store *s, struct saola *engine, const saola__area_q *q,
                     saola__dbstmt *st, int limit, size_t max_bytes, json_t *records,
                     int64_t *last, int *more)
{
	size_t bytes = 0, size;
	int step, n = 0, rc = SAOLA_OK;
	json_t *doc, *rec;

	while ((step = saola__db_step(st)) == SAOLA__DB_ROW) {
		if (!(doc = json_loads(saola__db_column_text(st, C_DATA), 0, NULL)))
			return saola__db_fail(s->db, SAOLA_CORRUPT, "pull: record %s: its data is"
			                      " not JSON", saola__db_column_text(st, C_ID));
		if (!in_area(q, st, doc)) {
			json_decref(doc);
			continue;
		}
		if (n == limit) {
			json_decref(doc);
			*more = 1;
			return SAOLA_OK;
		}
		rc = wire_row(s, engine, st, doc, &rec);
		json_decref(doc);
		if (rc != SAOLA_OK)
			return rc;
		size = json_dumpb(rec, NULL, 0, JSON_COMPACT) + 1;
		if (n > 0 && bytes + size > max_bytes) {
			json_decref(rec);
			*more = 1;
			return SAOLA_OK;
		}
		bytes += size;
		if (json_array_append_new(records, rec) != 0)
			return saola__db_fail(s->db, SAOLA_NOMEM, "pull: out of memory");
		*last = saola__db_column_int(st, C_SEQ);
		n++;
	}
	return step == SAOLA__DB_DONE ? SAOLA_OK : step;
}

int saola__records_latest_seq(saola__store *s, int64_t *out)
{
	saola__dbstmt *st = NULL;
	int rc, step;

	*out = 0;
	if ((rc = saola__db_prepare(s->db, "SELECT coalesce(max(seq), 0) FROM records", &st)) !=
	    SAOLA_OK)
		return rc;
	if ((step = saola__db_step(st)) == SAOLA__DB_ROW)
		*out = saola__db_column_int(st, 0);
	saola__db_finalize(st);
	return step == SAOLA__DB_ROW ? SAOLA_OK : step;
}

int saola__records_pull(saola__store *s, struct saola *engine, const char *area,
                        const char *device, int64_t cursor, int limit, size_t max_bytes,
                        json_t *records, int64_t *next, int *more)
{
	saola__area_q q;
	saola__dbstmt *st = NULL;
	int64_t last = cursor;
	size_t alen = area ? strlen(area) : 0;
	int rc = SAOLA_OK;

	*next = cursor;
	*more = 0;
	/* An area that is no unit code matches no record. */
	if (area && alen != 2 && alen != 3 && alen != 5)
		return saola__records_latest_seq(s, next);
	if (saola__area_q_init(&q, s->db, area) != 0) {
		saola__area_q_free(&q);
		return saola__db_fail(s->db, SAOLA_ERROR, "pull: units: %s", saola__db_errmsg(s->db));
	}
	if ((rc = pull_prepare(s, &q, device, cursor, limit, &st)) == SAOLA_OK)
		rc = pull_page(s, engine, &q, st, limit, max_bytes, records, &last, more);
	saola__db_finalize(st);
	saola__area_q_free(&q);
	if (rc != SAOLA_OK)
		return rc;
	if (*more) {
		*next = last;
		return SAOLA_OK;
	}
	/* Nothing more: the cursor moves past everything, the records of other
	 * areas and this device's own echoes included. */
	return saola__records_latest_seq(s, next);
}
