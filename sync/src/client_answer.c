/* client_answer.c: reading a sync answer or a pull bundle without holding
 * its records as JSON trees: the members other than "records" are parsed
 * whole, and the records are found as spans of text, parsed one at a time
 * when they are merged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_int.h"
#include "wire.h"

#define skip_ws saola__json_skip_ws
#define value_end saola__json_value_end

static int scan_fail(char *err, size_t errlen, size_t at, const char *what)
{
	snprintf(err, errlen, "byte %zu: %s", at, what);
	return SAOLA_PROTOCOL;
}

/* Finds the elements of the array at *i, appending their spans. */
static int scan_records(const char *t, size_t n, size_t *i, saola__answer *a, char *err,
                        size_t errlen)
{
	size_t p = skip_ws(t, n, *i + 1), e;

	if (p < n && t[p] == ']') {
		*i = p + 1;
		return SAOLA_OK;
	}
	for (;;) {
		if (!(e = value_end(t, n, p)) || t[p] != '{')
			return scan_fail(err, errlen, p, "records: expected an object");
		if (a->count == a->cap) {
			size_t want = a->cap ? a->cap * 2 : 256;
			saola__span *grown = realloc(a->spans, want * sizeof *grown);
			if (!grown)
				return SAOLA_NOMEM;
			a->spans = grown;
			a->cap = want;
		}
		a->spans[a->count].off = p;
		a->spans[a->count].len = e - p;
		a->count++;
		p = skip_ws(t, n, e);
		if (p < n && t[p] == ']') {
			*i = p + 1;
			return SAOLA_OK;
		}
		if (p >= n || t[p] != ',')
			return scan_fail(err, errlen, p, "records: expected ',' or ']'");
		p = skip_ws(t, n, p + 1);
	}
}

/* Protocol 2's records in columns at *i: left as text, read (checked,
 * then one record at a time) when they are merged. */
static int scan_columns(const char *t, size_t n, size_t *i, saola__answer *a, char *err,
                        size_t errlen)
{
	size_t e = value_end(t, n, *i);

	if (!e)
		return scan_fail(err, errlen, *i, "records: the text ends too soon");
	a->cols.off = *i;
	a->cols.len = e - *i;
	a->in_columns = 1;
	*i = e;
	return SAOLA_OK;
}

int saola__answer_scan(const char *t, size_t n, saola__answer *a, char *err, size_t errlen)
{
	json_error_t jerr;
	size_t i, e;
	int rc = SAOLA_OK;

	memset(a, 0, sizeof *a);
	a->text = t;
	if (!(a->head = json_object()))
		return SAOLA_NOMEM;
	i = skip_ws(t, n, 0);
	if (i >= n || t[i] != '{') {
		rc = scan_fail(err, errlen, i, "expected a JSON object");
		goto fail;
	}
	i = skip_ws(t, n, i + 1);
	if (i < n && t[i] == '}')
		goto end;
	for (;;) {
		json_t *key, *val;
		const char *k;
		if (i >= n || t[i] != '"' || !(e = value_end(t, n, i))) {
			rc = scan_fail(err, errlen, i, "expected a member name");
			goto fail;
		}
		if (!(key = json_loadb(t + i, e - i, JSON_DECODE_ANY, &jerr))) {
			rc = scan_fail(err, errlen, i, jerr.text);
			goto fail;
		}
		k = json_string_value(key);
		i = skip_ws(t, n, e);
		if (i >= n || t[i] != ':') {
			json_decref(key);
			rc = scan_fail(err, errlen, i, "expected ':'");
			goto fail;
		}
		i = skip_ws(t, n, i + 1);
		if (json_object_get(a->head, k) || (a->has_records && strcmp(k, "records") == 0)) {
			rc = scan_fail(err, errlen, i, "a member named twice");
			json_decref(key);
			goto fail;
		}
		if (strcmp(k, "records") == 0) {
			json_decref(key);
			if (i < n && t[i] == '{') {
				a->has_records = 1;
				if ((rc = scan_columns(t, n, &i, a, err, errlen)) != SAOLA_OK)
					goto fail;
			} else if (i >= n || t[i] != '[') {
				rc = scan_fail(err, errlen, i, "records: expected an array or columns");
				goto fail;
			} else {
				a->has_records = 1;
				if ((rc = scan_records(t, n, &i, a, err, errlen)) != SAOLA_OK)
					goto fail;
			}
		} else {
			if (!(e = value_end(t, n, i)) ||
			    !(val = json_loadb(t + i, e - i, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
			                       &jerr))) {
				rc = scan_fail(err, errlen, i, e ? jerr.text : "the text ends too soon");
				json_decref(key);
				goto fail;
			}
			json_object_set_new(a->head, k, val);
			json_decref(key);
			i = e;
		}
		i = skip_ws(t, n, i);
		if (i < n && t[i] == '}')
			break;
		if (i >= n || t[i] != ',') {
			rc = scan_fail(err, errlen, i, "expected ',' or '}'");
			goto fail;
		}
		i = skip_ws(t, n, i + 1);
	}
end:
	if (skip_ws(t, n, i + 1) != n) {
		rc = scan_fail(err, errlen, i + 1, "text after the JSON object");
		goto fail;
	}
	return SAOLA_OK;
fail:
	saola__answer_free(a);
	return rc;
}

void saola__answer_free(saola__answer *a)
{
	json_decref(a->head);
	free(a->spans);
	memset(a, 0, sizeof *a);
}

/* The records of a page in columns, each made and merged in turn. */
static int merge_columns(saola *db, saola__answer *a, const char *what)
{
	char err[SAOLA__ERRMSG_MAX - 64];
	saola__cols_reader *rd = saola__cols_open_text(a->text + a->cols.off, a->cols.len,
	                                               "records", SAOLA__COLS_MAX_VALUES, NULL,
	                                               err, sizeof err);
	json_t *rec;
	size_t i = 0;
	int rc = SAOLA_OK;

	if (!rd)
		return saola__error(db, SAOLA_PROTOCOL, "%s: %s", what, err);
	a->count = saola__cols_count(rd);
	for (i = 0; rc == SAOLA_OK && i < saola__cols_count(rd); i++) {
		if (!(rec = saola__cols_next(rd))) {
			rc = saola__error(db, SAOLA_PROTOCOL, "%s: records[%zu]: %s", what, i,
			                  saola__cols_error(rd));
			break;
		}
		rc = saola__merge_record(db, rec, i, what);
		json_decref(rec);
	}
	saola__cols_close(rd);
	return rc;
}

int saola__answer_merge(saola *db, saola__answer *a, const char *what)
{
	json_error_t jerr;
	size_t i;
	int rc;

	if (a->in_columns)
		return merge_columns(db, a, what);
	for (i = 0; i < a->count; i++) {
		json_t *rec = json_loadb(a->text + a->spans[i].off, a->spans[i].len,
		                         JSON_REJECT_DUPLICATES, &jerr);
		if (!rec)
			return saola__error(db, SAOLA_PROTOCOL, "%s: records[%zu]: line %d, column %d: "
			                    "%s", what, i, jerr.line, jerr.column, jerr.text);
		rc = saola__merge_record(db, rec, i, what);
		json_decref(rec);
		if (rc != SAOLA_OK)
			return rc;
	}
	return SAOLA_OK;
}
