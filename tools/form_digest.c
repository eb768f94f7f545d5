/* form_digest.c: prints what the form engine makes of generated households,
 * one line per case, so that two builds of the engine can be compared with
 * diff (scripts/evaluators-agree): every computed field, the class and the
 * deprivation flags (the whole record, keys sorted), or the refusal's code
 * and message; each case both as a new record and as a merge's result.
 *
 *   form-digest SCHEMAS DB N [SEED]
 *
 * DB is a device database to make, with the forms, standards and units of
 * the folder SCHEMAS (the shipped schemas/). Each household
 * is also spoiled in one of several ways (a birth after the survey, a choice
 * the list lacks, a year out of bounds, ...) to bring out the messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "saola/core.h"
#include "form.h"
#include "gen.h"

/* One way to spoil a household (NULL: as generated). */
typedef void (*spoil_fn)(json_t *h);

static json_t *member(json_t *h, size_t k)
{
	return json_array_get(json_object_get(h, "members"), k);
}

static void born_after(json_t *h)
{
	json_object_set_new(member(h, 0), "birth_year", json_integer(2031));
}

static void income_negative(json_t *h)
{
	json_object_set_new(h, "income_per_capita", json_integer(-1));
}

static void tiny_house(json_t *h)
{
	json_object_set_new(h, "has_house", json_true());
	json_object_set_new(h, "house_area_m2", json_real(0.5));
}

static void bad_choice(json_t *h)
{
	json_object_set_new(member(h, 0), "sex", json_string("x"));
}

static void no_members(json_t *h)
{
	json_object_set_new(h, "members", json_array());
}

static void year_out(json_t *h)
{
	json_object_set_new(h, "survey_year", json_integer(1999));
}

static void unknown_field(json_t *h)
{
	json_object_set_new(h, "zzz", json_integer(1));
}

static void text_year(json_t *h)
{
	json_object_set_new(member(h, 0), "birth_year", json_string("abc"));
}

static void no_year(json_t *h)
{
	json_object_del(h, "survey_year");
}

static void old_member(json_t *h)
{
	json_object_set_new(member(h, 0), "birth_year", json_integer(1880));
}

static void all_young(json_t *h)
{
	size_t k;

	for (k = 0; member(h, k); k++)
		json_object_set_new(member(h, k), "birth_year", json_integer(2020));
}

static const spoil_fn spoils[] = {
	NULL, born_after, income_negative, tiny_house, bad_choice, NULL,
	no_members, year_out, unknown_field, text_year, no_year, old_member,
	all_young, NULL,
};

/* Prints the case's line: "ok" and the record, or the code and message. */
static void print_case(long i, const char *how, int rc, json_t *out,
                       const char *msg, const char *issues)
{
	char *text = NULL;

	if (rc == SAOLA_OK) {
		text = json_dumps(out, JSON_SORT_KEYS | JSON_COMPACT);
		printf("%ld %s ok %s%s%s\n", i, how, text ? text : "?",
		       issues ? " issues: " : "", issues ? issues : "");
		free(text);
	} else {
		printf("%ld %s rc %d %s\n", i, how, rc, msg);
	}
}

static void run_case(const saola__form *f, const saola__params_src *params, long i,
                     json_t *h)
{
	char err[512];
	char *issues = NULL;
	json_t *out = NULL;
	int rc;

	rc = saola__form_process(f, h, params, "2025-10-01", &out, err, sizeof err);
	print_case(i, "new", rc, out, err, NULL);
	json_decref(out);
	out = NULL;
	rc = saola__form_process_merged(f, h, params, &out, &issues, err, sizeof err);
	print_case(i, "merged", rc, out, err, issues);
	json_decref(out);
	free(issues);
}

int main(int argc, char **argv)
{
	const size_t nspoils = sizeof spoils / sizeof *spoils;
	saola__params_src params;
	const saola__form *f = NULL;
	saola_gen *gen;
	saola *db = NULL;
	long i, n;

	if (argc < 4 || (n = atol(argv[3])) < 1) {
		fprintf(stderr, "usage: form-digest SCHEMAS DB N [SEED]\n");
		return 2;
	}
	gen = saola_gen_new(argc > 4 ? strtoull(argv[4], NULL, 10) : 2025);
	if (!gen || saola_open(argv[2], SAOLA_OPEN_CREATE, &db) != SAOLA_OK ||
	    saola_forms_load_dir(db, argv[1], NULL) != SAOLA_OK ||
	    saola__form_open_db(db, "household", &f, &params) != SAOLA_OK) {
		fprintf(stderr, "form-digest: %s: %s\n", argv[2],
		        db ? saola_errmsg(db) : "out of memory");
		saola_close(db);
		saola_gen_free(gen);
		return 1;
	}
	for (i = 0; i < n; i++) {
		json_t *h = saola_gen_household(gen, NULL);

		if (!h) {
			fprintf(stderr, "form-digest: out of memory\n");
			break;
		}
		if (spoils[(size_t)i % nspoils])
			spoils[(size_t)i % nspoils](h);
		run_case(f, &params, i, h);
		json_decref(h);
	}
	saola_close(db);
	saola_gen_free(gen);
	return i == n ? 0 : 1;
}
