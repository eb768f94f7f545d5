/* fuzz_record.c: fuzz target of records: the input is a record's JSON text
 * (the answers, as `saola put` reads them) against the shipped household
 * form. It is checked and computed by saola__form_process, then put into a
 * device database as a new record and as an edit of a stored one, and read
 * back (saola_get), in a transaction that is rolled back. */
#include <string.h>
#include <jansson.h>

#include "fuzz.h"
#include "form.h"
#include "gen.h"
#include "saola_int.h"

static char base_id[37];

/* A household stored once, for the input to edit. */
static void setup(saola *db)
{
	saola_gen *g;
	json_t *h;

	if (base_id[0])
		return;
	if (!(g = saola_gen_new(7)) || !(h = saola_gen_household(g, NULL)))
		fz_die("generator: out of memory");
	if (saola_put(db, "household", NULL, h, base_id) != SAOLA_OK)
		fz_die("put: %s", saola_errmsg(db));
	json_decref(h);
	saola_gen_free(g);
}

static void put_and_get(saola *db, const char *id, json_t *rec)
{
	char out_id[37];
	json_t *got = NULL;

	if (saola_put(db, "household", id, rec, out_id) == SAOLA_OK &&
	    saola_get(db, out_id, &got) == SAOLA_OK)
		json_decref(got);
}

SAOLA_FUZZ_TARGET(record)
{
	saola *db = fz_device("record.db");
	const saola__form *f;
	saola__params_src params;
	json_t *rec, *out = NULL;
	char err[512];

	setup(db);
	if (!(rec = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL)))
		return 0;
	if (saola__form_open_db(db, "household", &f, &params) != SAOLA_OK)
		fz_die("household form: %s", saola_errmsg(db));
	if (json_is_object(rec) &&
	    saola__form_process(f, rec, &params, "2025-03-15", &out, err, sizeof err) == 0)
		json_decref(out);
	if (saola_begin(db) != SAOLA_OK)
		fz_die("begin: %s", saola_errmsg(db));
	put_and_get(db, NULL, rec);
	put_and_get(db, base_id, rec);
	saola_rollback(db);
	json_decref(rec);
	return 0;
}
