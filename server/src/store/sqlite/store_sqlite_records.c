/* store_sqlite_records.c: the SQLite store's pulls: paging records by area
 * and change sequence. (Its merges are every store's: store_records.c.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "store_sqlite.h"
#include "merge.h"
#include "versions.h"
#include "wire.h"

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

/* The pull statement of area: a cached one by the area's own column, or,
 * for an area gone in the new units (rules.h, saola__area_q), one made
 * for this pull (*own set: finalize it). NULL on failure (errmsg). */
static sqlite3_stmt *pull_stmt(sq_store *s, const saola__area_q *q, int *own)
{
	static const char tail[] =
		" r.seq > ?1 AND (?2 IS NULL OR NOT EXISTS (SELECT 1 FROM record_echo e"
		"  WHERE e.record_id = r.id AND e.device = ?2 AND e.seq = r.seq))"
		" ORDER BY r.seq LIMIT ?4";
	size_t alen = q->area ? strlen(q->area) : 0;
	char where[512], sql[sizeof where + sizeof tail + 64];
	sqlite3_stmt *st = NULL;

	*own = 0;
	if (!q->keys)
		return saola__sq_stmt(s, !q->area ? SQ_PULL_ALL
		                      : alen == 2 ? SQ_PULL_PROVINCE
		                      : alen == 3 ? SQ_PULL_DISTRICT : SQ_PULL_COMMUNE);
	/* ?1, ?2 and ?4 as the cached ones; the area's from ?5. */
	saola__area_q_sql(q, "r", "json_extract(r.data, '$.survey_year')", 5, where, sizeof where);
	snprintf(sql, sizeof sql, "SELECT r.id, r.seq FROM records r WHERE %s AND%s", where, tail);
	if (sqlite3_prepare_v2(s->db->sql, sql, -1, &st, NULL) != SQLITE_OK) {
		saola__sq_sql_fail(s, "pull");
		return NULL;
	}
	*own = 1;
	saola__area_q_bind(q, st, 5);
	return st;
}

/* Takes the page of st (bound) into records. */
static int pull_page(sq_store *s, sqlite3_stmt *st, int limit, size_t max_bytes,
                     json_t *records, int64_t *last, int *more)
{
	size_t bytes = 0, size;
	int step, n = 0, rc = SAOLA_OK;

	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *rec = NULL;
		if (n == limit) {
			*more = 1;
			break;
		}
		rc = saola__wire_record(s->db, (const char *)sqlite3_column_text(st, 0), &rec);
		if (rc != SAOLA_OK) {
			rc = saola__sq_fail(s, rc, "pull: %s", saola_errmsg(s->db));
			break;
		}
		compact_versions(rec);
		/* The page's bytes are bounded too: a record that would take
		 * it past max_bytes waits for the next page, unless it is the
		 * first (a page always moves the cursor). */
		size = json_dumpb(rec, NULL, 0, JSON_COMPACT) + 1;
		if (n > 0 && bytes + size > max_bytes) {
			json_decref(rec);
			*more = 1;
			break;
		}
		bytes += size;
		if (json_array_append_new(records, rec) != 0) {
			rc = saola__sq_fail(s, SAOLA_NOMEM, "pull: out of memory");
			break;
		}
		*last = sqlite3_column_int64(st, 1);
		n++;
	}
	if (rc == SAOLA_OK && !*more && step != SQLITE_DONE)
		rc = saola__sq_sql_fail(s, "pull");
	return rc;
}

/* The records of area after cursor: one page (pull_page). */
static int pull_area(sq_store *s, const char *area, const char *device, int64_t cursor,
                     int limit, size_t max_bytes, json_t *records, int64_t *last, int *more)
{
	saola__area_q q;
	sqlite3_stmt *st;
	int own = 0, rc;

	if (saola__area_q_init(&q, s->base.db, area) != 0) {
		saola__area_q_free(&q);
		return saola__sq_sql_fail(s, "pull: units");
	}
	if (!(st = pull_stmt(s, &q, &own))) {
		saola__area_q_free(&q);
		return SAOLA_ERROR;
	}
	sqlite3_bind_int64(st, 1, cursor);
	if (device)
		sqlite3_bind_text(st, 2, device, -1, SQLITE_STATIC);
	if (area && !own)
		sqlite3_bind_text(st, 3, area, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)limit + 1);
	rc = pull_page(s, st, limit, max_bytes, records, last, more);
	if (own)
		sqlite3_finalize(st);
	else
		sqlite3_reset(st);
	saola__area_q_free(&q);
	return rc;
}

int saola__sq_pull(saola__store *base, const char *area, const char *device,
                   int64_t cursor, int limit, size_t max_bytes, json_t *records,
                   int64_t *next, int *more)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st;
	int64_t last = cursor, max_seq = 0;
	size_t alen = area ? strlen(area) : 0;
	int step, rc;

	*next = cursor;
	*more = 0;
	/* An area that is no unit code matches no record. */
	if (!area || alen == 2 || alen == 3 || alen == 5) {
		rc = pull_area(s, area, device, cursor, limit, max_bytes, records, &last, more);
		if (rc != SAOLA_OK)
			return rc;
	}
	if (*more) {
		*next = last;
		return SAOLA_OK;
	}
	/* Nothing more: the cursor moves past everything, the records of other
	 * areas and this device's own echoes included. */
	if (!(st = saola__sq_stmt(s, SQ_MAX_SEQ)))
		return SAOLA_ERROR;
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		max_seq = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (step != SQLITE_ROW)
		return saola__sq_sql_fail(s, "pull");
	*next = max_seq;
	return SAOLA_OK;
}
