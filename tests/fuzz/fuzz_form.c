/* fuzz_form.c: fuzz target of form definitions: the input is a form (or
 * standard) definition's JSON text. It is compiled (saola__form_compile)
 * and, when it compiles, run on fixed records: an empty one, a generated
 * household, and one made from the form itself (an answer of the right type
 * for every field, two items in each repeat), by saola__form_process and by
 * a data-entry walk. Then the same text goes through saola_form_load and a
 * saola_put of the made record into a device database, in a transaction
 * that is rolled back. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "fuzz.h"
#include "form.h"
#include "gen.h"
#include "saola_int.h"

static json_t *household;

/* An answer of field fi's type. New reference, or NULL for none. */
static json_t *answer_for(const saola__form *f, const saola__field_info *fi)
{
	json_t *lists = json_object_get(saola__form_def(f), "choices");
	json_t *list = json_object_get(lists, json_string_value(json_object_get(fi->def, "choices")));
	json_t *first = json_object_get(json_array_get(list, 0), "value");

	switch (fi->type) {
	case SAOLA__F_TEXT: return json_string("x");
	case SAOLA__F_INTEGER: return json_integer(2);
	case SAOLA__F_DECIMAL: return json_real(1.5);
	case SAOLA__F_BOOLEAN: return json_true();
	case SAOLA__F_DATE: return json_string("2025-01-31");
	case SAOLA__F_SELECT_ONE: return first ? json_incref(first) : json_string("a");
	case SAOLA__F_SELECT_MULTIPLE:
		return first ? json_pack("[O]", first) : json_array();
	default: return NULL;
	}
}

/* A record with an answer to every entered field of f. New reference. */
static json_t *made_record(const saola__form *f)
{
	json_t *rec = json_object(), *items;
	saola__field_info fi, ri;
	int n = saola__form_nfields(f), i, k;

	for (i = 0; i < n; i++) {
		if (saola__form_field_info(f, i, &fi) != 0 || fi.computed)
			continue;
		if (fi.repeat < 0 && fi.type == SAOLA__F_REPEAT) {
			items = json_array();
			for (k = 0; k < 2; k++) {
				json_t *item = json_object();
				int j;
				for (j = i + 1; j < fi.end; j++)
					if (saola__form_field_info(f, j, &ri) == 0 && !ri.computed &&
					    ri.repeat == i)
						json_object_set_new(item, ri.name, answer_for(f, &ri));
				json_array_append_new(items, item);
			}
			json_object_set_new(rec, fi.name, items);
		} else if (fi.repeat < 0) {
			json_t *v = answer_for(f, &fi);
			if (v)
				json_object_set_new(rec, fi.name, v);
		}
	}
	return rec;
}

static void run(const saola__form *f, json_t *rec, const saola__params_src *params)
{
	char err[512];
	json_t *out = NULL;
	saola__walk *w = NULL;
	int field = 0;
	size_t item = 0;

	if (saola__form_process(f, rec, params, "2025-03-15", &out, err, sizeof err) == 0)
		json_decref(out);
	if (saola__form_walk(f, rec, params, "2025-03-15", &w, err, sizeof err) == 0) {
		saola__walk_validate(w, &field, &item, err, sizeof err);
		saola__walk_standard(w, err, sizeof err);
		saola__walk_free(w);
	}
}

SAOLA_FUZZ_TARGET(form)
{
	saola *db = fz_device("form.db");
	saola__params_src params;
	saola__form *f = NULL;
	json_t *def, *empty, *made = NULL;
	char err[512], *text, *id = NULL;

	if (!household) {
		saola_gen *g = saola_gen_new(1);
		if (!g || !(household = saola_gen_household(g, NULL)))
			fz_die("generator: out of memory");
		saola_gen_free(g);
	}
	saola__params_source(db, &params);
	if (!(def = json_loadb((const char *)data, size, 0, NULL)))
		return 0;
	if (saola__form_compile(def, &f, err, sizeof err) == 0) {
		empty = json_object();
		made = made_record(f);
		run(f, empty, &params);
		run(f, household, &params);
		run(f, made, &params);
		json_decref(empty);
		saola__form_free(f);
	}
	json_decref(def);
	/* The store's loader, standards included. */
	text = fz_cstr(data, size);
	if (saola_begin(db) != SAOLA_OK)
		fz_die("begin: %s", saola_errmsg(db));
	if (saola_form_load(db, text, &id) == SAOLA_OK && made)
		saola_put(db, id, NULL, made, NULL);
	saola_rollback(db);
	saola_free(id);
	json_decref(made);
	free(text);
	return 0;
}
