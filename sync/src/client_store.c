/* client_store.c: what the sync client reads from and writes to the device
 * store: its state values, the in-flight batch, queued changes encoded for
 * the wire, merging received records, and loading the server's forms. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_int.h"
#include "wire.h"
#include "json_out.h"
#include "merge.h"

int saola__state_int(saola *db, const char *key, int64_t *out)
{
	char *v = NULL, *end;
	int rc;

	*out = 0;
	if ((rc = saola_state_get(db, key, &v)) != SAOLA_OK || !v)
		return rc;
	*out = strtoll(v, &end, 10);
	if (end == v || *end) {
		rc = saola__error(db, SAOLA_CORRUPT, "sync: state %s: expected an integer, got \"%.40s\"",
		                  key, v);
		*out = 0;
	}
	saola_free(v);
	return rc;
}

int saola__state_set_int(saola *db, const char *key, int64_t v)
{
	char text[32];

	snprintf(text, sizeof text, "%" PRId64, v);
	return saola_state_set(db, key, text);
}

int saola__batch_get(saola *db, char id[37], int64_t *last_seq)
{
	char *v = NULL;
	long long seq = 0;
	int rc;

	id[0] = '\0';
	*last_seq = 0;
	if ((rc = saola_state_get(db, SAOLA__K_BATCH, &v)) != SAOLA_OK || !v)
		return rc;
	if (sscanf(v, "%36s %lld", id, &seq) != 2 || strlen(id) != 36 || seq <= 0) {
		id[0] = '\0';
		rc = saola__error(db, SAOLA_CORRUPT, "sync: state batch: unreadable (\"%.60s\")", v);
	} else {
		*last_seq = seq;
	}
	saola_free(v);
	return rc;
}

int saola__encode_changes(saola *db, saola__zbuf *zb, saola__cols *cols, int64_t after,
                          int64_t upto, long max, long *n, int64_t *first_seq,
                          int64_t *last_seq)
{
	/* A chunk at a time, so that a batch of thousands of households never
	 * sits in memory as JSON trees. */
	const int chunk = max > 0 && max < 128 ? (int)max : 128;
	json_t *arr = NULL, *e;
	size_t i;
	int rc = SAOLA_OK, done = 0;

	*n = 0;
	if (first_seq)
		*first_seq = 0;
	if (last_seq)
		*last_seq = 0;
	while (!done) {
		if ((rc = saola__outbox_read_raw(db, after, chunk, &arr)) != SAOLA_OK)
			return rc;
		if (json_array_size(arr) < (size_t)chunk)
			done = 1;
		json_array_foreach(arr, i, e) {
			int64_t seq = json_integer_value(json_object_get(e, "seq"));
			json_t *w;
			char *text;
			if ((upto > 0 && seq > upto) || (max > 0 && *n >= max)) {
				done = 1;
				break;
			}
			w = saola__wire_from_outbox_db(db, e, saola_origin(db));
			text = w && !cols ? saola__json_dump(w, NULL) : NULL;
			if (!w || (!cols && !text)) {
				json_decref(w);
				rc = saola__error(db, SAOLA_NOMEM, "sync: out of memory encoding changes");
				goto out;
			}
			if (cols)
				rc = saola__cols_add(cols, w);
			else if (*n > 0)
				rc = saola__zbuf_write(zb, ",", 1);
			if (rc == SAOLA_OK && !cols)
				rc = saola__zbuf_puts(zb, text);
			json_decref(w);
			free(text);
			if (rc != SAOLA_OK) {
				rc = saola__error(db, rc, "sync: out of memory compressing changes");
				goto out;
			}
			if (first_seq && *n == 0)
				*first_seq = seq;
			if (last_seq)
				*last_seq = seq;
			(*n)++;
			after = seq;
		}
		json_decref(arr);
		arr = NULL;
	}
out:
	json_decref(arr);
	return rc;
}

int saola__merge_record(saola *db, const json_t *rec, size_t i, const char *what)
{
	char err[SAOLA__ERRMSG_MAX - 128], why[SAOLA__ERRMSG_MAX];
	saola__remote r;
	int rc;

	/* Pulled records are whole states with full versions: no sender
	 * stands behind bare counters, and no loser is a new conflict here
	 * (the server logged it). */
	rc = saola__wire_decode(db, rec, NULL, &r, err, sizeof err);
	if (rc == SAOLA_NOFORM)
		return saola__error(db, rc, "%s: records[%zu]: %s (the server's forms are newer: "
		                    "sync online or enrol again)", what, i, err);
	if (rc != SAOLA_OK)
		return saola__error(db, rc == SAOLA_NOMEM ? rc : SAOLA_PROTOCOL,
		                    "%s: records[%zu]: %s", what, i, err);
	rc = saola__apply_remote(db, &r, NULL, NULL, NULL);
	saola__wire_remote_free(&r);
	if (rc != SAOLA_OK) {
		snprintf(why, sizeof why, "%s", saola_errmsg(db));
		return saola__error(db, rc, "%s: records[%zu]: %.400s", what, i, why);
	}
	return SAOLA_OK;
}

int saola__forms_known(saola *db, const json_t *forms)
{
	json_t *list = NULL, *f;
	const char *id;
	json_t *ver;
	size_t i;
	int known = 1;

	if (!json_is_object(forms) || json_object_size(forms) == 0)
		return 1;
	if (saola_forms_list(db, &list) != SAOLA_OK)
		return 1; /* not knowing is no reason to fail the sync */
	json_object_foreach((json_t *)forms, id, ver) {
		int found = 0;
		json_array_foreach(list, i, f) {
			const char *fid = json_string_value(json_object_get(f, "id"));
			if (fid && strcmp(fid, id) == 0 && json_equal(json_object_get(f, "version"), ver))
				found = 1;
		}
		if (!found)
			known = 0;
	}
	json_decref(list);
	return known;
}

static int load_defs(saola *db, const json_t *defs, const char *key, int *count)
{
	json_t *def;
	size_t i;
	int rc;

	if (defs && !json_is_array(defs))
		return saola__error(db, SAOLA_PROTOCOL, "enrol: GET /v1/forms: %s: expected an array",
		                    key);
	json_array_foreach(defs, i, def) {
		char *text = json_dumps(def, JSON_COMPACT);
		if (!text)
			return saola__error(db, SAOLA_NOMEM, "enrol: out of memory");
		rc = saola_form_load(db, text, NULL);
		free(text);
		if (rc != SAOLA_OK) {
			char why[SAOLA__ERRMSG_MAX];
			snprintf(why, sizeof why, "%s", saola_errmsg(db));
			return saola__error(db, rc, "GET /v1/forms: %s[%zu]: %.400s", key, i, why);
		}
		if (count)
			(*count)++;
	}
	return SAOLA_OK;
}

int saola__forms_load_doc(saola *db, const json_t *doc, int *count)
{
	int rc;

	if (count)
		*count = 0;
	if (!json_is_array(json_object_get(doc, "forms")))
		return saola__error(db, SAOLA_PROTOCOL,
		                    "GET /v1/forms: expected {\"forms\": [...], \"standards\": [...]}");
	/* Standards first: a form names the standard its calculations use. */
	rc = load_defs(db, json_object_get(doc, "standards"), "standards", NULL);
	if (rc == SAOLA_OK) /* units: a form's places are checked against them */
		rc = load_defs(db, json_object_get(doc, "units"), "units", NULL);
	if (rc == SAOLA_OK)
		rc = load_defs(db, json_object_get(doc, "forms"), "forms", count);
	return rc;
}

int saola__fetch_forms(saola__http *h, int *count)
{
	json_t *doc = NULL;
	int n = 0, rc;

	if (count)
		*count = 0;
	if ((rc = saola__http_get_json(h, "/v1/forms", &doc)) != SAOLA_OK)
		return rc;
	if ((rc = saola_begin(h->db)) != SAOLA_OK) {
		json_decref(doc);
		return rc;
	}
	rc = saola__forms_load_doc(h->db, doc, &n);
	if (rc == SAOLA_OK)
		rc = saola_commit(h->db);
	else
		saola_rollback(h->db);
	json_decref(doc);
	if (rc == SAOLA_OK && count)
		*count = n;
	return rc;
}
