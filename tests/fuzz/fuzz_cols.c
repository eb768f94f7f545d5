/* fuzz_cols.c: fuzz target of the batch as columns (sync/src/wire_cols.c,
 * protocol 2's changes). The input is JSON text. Read as a batch in
 * columns, it is decoded as the server would, with a budget of 100,000
 * values; what decodes is encoded again and decoded again, and must come
 * back the same. Read as an array of objects, it is encoded and decoded,
 * and must come back as it was. Either way the encoder must take every
 * object but those with more keys at the top than a batch allows, write
 * JSON that decodes, and write the same text again for what it decoded
 * (the format has one text for a batch). The raw text is also read as a
 * device reads a page (saola__cols_open_text). A difference aborts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "fuzz.h"
#include "wire_cols.h"

#define BUDGET 100000
#define FLAGS (JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES)

static void show(const char *what, const json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	fprintf(stderr, "  %s: %.4000s\n", what, s ? s : "(none)");
	free(s);
}

/* 1 when the rows of batch (an array of objects) have more distinct keys
 * than the encoder's top level takes: the one reason it may refuse them. */
static int too_wide(const json_t *batch)
{
	json_t *keys = json_object(), *row, *v;
	const char *k;
	size_t i, n;

	if (!keys)
		fz_die("out of memory");
	json_array_foreach(batch, i, row)
		json_object_foreach(row, k, v)
			json_object_set(keys, k, json_null());
	n = json_object_size(keys);
	json_decref(keys);
	return n > SAOLA__COLS_WIDTH * 4;
}

/* batch (an array of objects) encoded, its text read back and decoded:
 * the batch that came back (new), its text in *out (malloc()ed), or NULL
 * when the encoder refused the batch as too wide. Aborts when the encoder
 * fails otherwise, writes bad JSON, or writes what does not decode. */
static json_t *encode_decode(const json_t *batch, char **out)
{
	saola__cols *c = saola__cols_new();
	saola__text t = {NULL, 0, 0};
	json_t *row, *v, *back;
	json_error_t jerr;
	char err[512];
	size_t i;
	int rc = SAOLA_OK, too_big = 0;

	*out = NULL;
	if (!c)
		fz_die("out of memory");
	json_array_foreach(batch, i, row)
		if ((rc = saola__cols_add(c, row)) != SAOLA_OK)
			break;
	if (rc == SAOLA_MISUSE && too_wide(batch)) {
		saola__cols_free(c);
		return NULL;
	}
	if (rc != SAOLA_OK) {
		fprintf(stderr, "fuzz_cols: saola__cols_add refused row %zu: %d\n", i, rc);
		show("batch", batch);
		abort();
	}
	if ((rc = saola__cols_write(c, saola__text_put, &t)) != SAOLA_OK)
		fz_die("saola__cols_write: %d", rc);
	saola__cols_free(c);
	if (!(v = json_loadb(t.p, t.n, FLAGS, &jerr))) {
		fprintf(stderr, "fuzz_cols: the encoder wrote bad JSON (%s): %.4000s\n", jerr.text,
		        t.p);
		abort();
	}
	if (!(back = saola__cols_decode(v, "changes", (size_t)-1, &too_big, err, sizeof err))) {
		fprintf(stderr, "fuzz_cols: what the encoder wrote does not decode: %s\n  text: %.4000s\n",
		        err, t.p);
		abort();
	}
	json_decref(v);
	*out = t.p;
	return back;
}

/* Encodes batch twice over: what comes back must be want, and the second
 * text the first. */
static void check_round(const json_t *batch, const json_t *want, const char *what)
{
	char *text1, *text2 = NULL;
	json_t *back = encode_decode(batch, &text1), *again;

	if (!back)
		return;
	if (!json_equal(back, want)) {
		fprintf(stderr, "fuzz_cols: %s came back different\n", what);
		show("sent", want);
		show("back", back);
		fprintf(stderr, "  text: %.4000s\n", text1);
		abort();
	}
	if (!(again = encode_decode(back, &text2)) || strcmp(text1, text2) != 0) {
		fprintf(stderr, "fuzz_cols: %s: its batch written again differs\n  first:  %.4000s\n"
		        "  second: %.4000s\n", what, text1, text2 ? text2 : "(refused)");
		abort();
	}
	json_decref(again);
	json_decref(back);
	free(text1);
	free(text2);
}

/* The input as a batch in columns, decoded as the server would. */
static void as_columns(const json_t *v)
{
	char err[512];
	int too_big = -1;
	json_t *rows;

	err[0] = '\0';
	rows = saola__cols_decode(v, "changes", BUDGET, &too_big, err, sizeof err);
	if (!rows) {
		/* a refusal says where, and whether it was for size */
		if (strncmp(err, "changes", 7) != 0 || (too_big != 0 && too_big != 1)) {
			fprintf(stderr, "fuzz_cols: a refusal: too_big %d, err \"%s\"\n", too_big, err);
			abort();
		}
		return;
	}
	if (too_big != 0 || !json_is_array(rows) ||
	    json_array_size(rows) != (size_t)json_integer_value(json_object_get(v, "n"))) {
		fprintf(stderr, "fuzz_cols: decoded with too_big %d\n", too_big);
		show("rows", rows);
		abort();
	}
	check_round(rows, rows, "a decoded batch");
	json_decref(rows);
}

/* 1 when v is an array of objects. */
static int is_batch(const json_t *v)
{
	json_t *row;
	size_t i;

	if (!json_is_array(v))
		return 0;
	json_array_foreach(v, i, row)
		if (!json_is_object(row))
			return 0;
	return 1;
}

/* The input as raw text, as a device reads a page of records in columns
 * (saola__cols_open_text): whatever it is, the reader refuses it or makes
 * its objects, never more than it counted, and must not crash. When the
 * text is also JSON that decodes from its tree, both make the same. */
static void as_text(const uint8_t *data, size_t size, const json_t *v)
{
	char err[256];
	saola__cols_reader *rd = saola__cols_open_text((const char *)data, size, "records",
	                                               BUDGET, NULL, err, sizeof err);
	json_t *got = rd ? json_array() : NULL, *obj, *tree;
	size_t n = 0;

	if (!rd)
		return;
	while ((obj = saola__cols_next(rd))) {
		if (++n > saola__cols_count(rd))
			fz_die("the reader made more objects than it counted");
		json_array_append_new(got, obj);
	}
	tree = v && json_is_object(v) ? saola__cols_decode(v, "records", BUDGET, NULL, err,
	                                                   sizeof err) : NULL;
	if (tree && n == saola__cols_count(rd) && !json_equal(tree, got)) {
		show("from the text", got);
		show("from the tree", tree);
		fz_die("the text and the tree read differently");
	}
	json_decref(tree);
	json_decref(got);
	saola__cols_close(rd);
}

SAOLA_FUZZ_TARGET(cols)
{
	json_t *v = json_loadb((const char *)data, size, FLAGS, NULL);

	as_text(data, size, v);
	if (!v)
		return 0;
	if (json_is_object(v))
		as_columns(v);
	else if (is_batch(v))
		check_round(v, v, "a batch");
	json_decref(v);
	return 0;
}
