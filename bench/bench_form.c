/* bench_form.c: prints the time the form engine takes to validate and
 * compute one household of five members with the shipped household form
 * (target: under 50 microseconds): a fixed household, then a mix of
 * generated ones (tools/gen.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "saola/core.h"
#include "../core/src/form.h"
#include "gen.h"

#ifndef SAOLA_BENCH_SCHEMAS
#define SAOLA_BENCH_SCHEMAS "schemas"
#endif

#define TARGET_US 50.0
#define NGEN 1000 /* generated households of five */

/* A fixed household of five: two working adults (one without a labour
 * contract), a grandmother past working age, a child at school and a child
 * of four; rural, farming, under the line with 4 deprivations. */
static const char household[] =
	"{\"province\":\"37\",\"district\":\"372\",\"commune\":\"14404\","
	"\"village\":\"Thôn Đồng Tâm\",\"area\":\"rural\",\"survey_year\":2025,"
	"\"head_name\":\"Đinh Văn Hùng\",\"agri_household\":true,"
	"\"income_per_capita\":1350000,\"has_house\":true,\"walls_durable\":true,"
	"\"frame_durable\":false,\"roof_durable\":false,\"house_area_m2\":42.5,"
	"\"water_source\":\"drilled_well\",\"latrine\":\"simple_pit\","
	"\"internet_use\":true,\"info_devices\":[\"tv\",\"smartphone\"],"
	"\"support_received\":[\"health_insurance\",\"credit\"],"
	"\"poverty_causes\":[\"no_capital\"],\"members\":["
	"{\"_id\":\"m1\",\"name\":\"Đinh Văn Hùng\",\"sex\":\"male\",\"birth_year\":1981,"
	"\"relation\":\"head\",\"health_insurance\":true,\"employment\":\"self_employed\","
	"\"education\":\"lower_secondary\",\"disability\":false},"
	"{\"_id\":\"m2\",\"name\":\"Bùi Thị Lan\",\"sex\":\"female\",\"birth_year\":1984,"
	"\"relation\":\"spouse\",\"health_insurance\":false,\"employment\":\"no_contract\","
	"\"education\":\"primary\",\"disability\":false},"
	"{\"_id\":\"m3\",\"name\":\"Bùi Thị Nở\",\"sex\":\"female\",\"birth_year\":1955,"
	"\"relation\":\"parent\",\"health_insurance\":true,\"employment\":\"not_working\","
	"\"education\":\"none\",\"disability\":true},"
	"{\"_id\":\"m4\",\"name\":\"Đinh Văn Nam\",\"sex\":\"male\",\"birth_year\":2012,"
	"\"relation\":\"child\",\"health_insurance\":true,\"employment\":\"not_working\","
	"\"education\":\"primary\",\"in_school\":true,\"disability\":false,"
	"\"undernourished\":false},"
	"{\"_id\":\"m5\",\"name\":\"Đinh Thị Mai\",\"sex\":\"female\",\"birth_year\":2021,"
	"\"relation\":\"child\",\"health_insurance\":true,\"employment\":\"not_working\","
	"\"education\":\"none\",\"in_school\":true,\"disability\":false,"
	"\"undernourished\":true}]}";

static json_t *standards[8];
static int nstandards;

static json_t *lookup(void *ctx, const char *family, json_int_t year)
{
	int i;

	(void)ctx;
	for (i = 0; i < nstandards; i++) {
		json_t *s = standards[i];
		const char *fam = json_string_value(json_object_get(s, "family"));

		if (fam && strcmp(fam, family) == 0 &&
		    year >= json_integer_value(json_object_get(s, "valid_from_year")) &&
		    year <= json_integer_value(json_object_get(s, "valid_to_year")))
			return json_object_get(s, "params");
	}
	return NULL;
}

static json_t *load(const char *rel)
{
	char path[512];
	json_error_t e;
	json_t *v;

	snprintf(path, sizeof path, "%s/%s", SAOLA_BENCH_SCHEMAS, rel);
	v = json_load_file(path, 0, &e);
	if (!v)
		fprintf(stderr, "bench_form: %s: line %d: %s\n", path, e.line, e.text);
	return v;
}

static double now_us(void);

/* Times runs calls over the n records (round robin), in 10 batches: *mean
 * is the mean over all, *best the mean of the fastest batch (the one least
 * disturbed by other work on the machine). Returns -1 when a record is
 * refused. */
static int time_runs(const saola__form *form, const saola__params_src *params,
                     json_t **recs, long n, long runs, double *mean,
                     double *best)
{
	char err[256];
	json_t *out;
	double t0, t1, total = 0;
	long i, b, per = runs / 10 > 0 ? runs / 10 : 1;

	for (i = 0; i < 1000 || i < n; i++) { /* warm-up, and a validity check */
		if (saola__form_process(form, recs[i % n], params, "2025-10-01", &out,
		                        err, sizeof err) != SAOLA_OK) {
			fprintf(stderr, "bench_form: process: %s\n", err);
			return -1;
		}
		json_decref(out);
	}
	*best = -1;
	for (b = 0; b < 10; b++) {
		t0 = now_us();
		for (i = 0; i < per; i++) {
			saola__form_process(form, recs[(b * per + i) % n], params,
			                    "2025-10-01", &out, err, sizeof err);
			json_decref(out);
		}
		t1 = now_us() - t0;
		total += t1;
		if (*best < 0 || t1 / (double)per < *best)
			*best = t1 / (double)per;
	}
	*mean = total / (double)(10 * per);
	return 0;
}

static void report(const char *what, double mean, double best, long runs)
{
	printf("form: validate + compute one household of 5 members (%s): "
	       "%.2f us mean of %ld runs, %.2f us best batch (CPU time; "
	       "target < %.0f us: %s)\n", what, mean, runs, best, TARGET_US,
	       mean < TARGET_US ? "ok" : "MISSED");
}

static double now_us(void)
{
	struct timespec ts;

	/* CPU time: on a busy machine wall time counts other processes too */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	saola__params_src params = {lookup, NULL, NULL, NULL};
	saola__form *form = NULL;
	saola_gen *gen = NULL;
	json_t *def = NULL, *rec = NULL, *gens[NGEN] = {NULL};
	long runs = argc > 1 ? atol(argv[1]) : 100000, i, n = 0;
	double mean, best;
	char err[256];
	int rc = 1;

	if (runs < 1)
		runs = 1;
	standards[0] = load("standards/vn-poverty-2022-2025.json");
	standards[1] = load("standards/vn-poverty-2026-2030.json");
	nstandards = 2;
	def = load("forms/household.json");
	rec = json_loads(household, 0, NULL);
	if (!standards[0] || !standards[1] || !def || !rec)
		goto out;
	if (saola__form_compile(def, &form, err, sizeof err) != SAOLA_OK) {
		fprintf(stderr, "bench_form: compile: %s\n", err);
		goto out;
	}
	if (time_runs(form, &params, &rec, 1, runs, &mean, &best) != 0)
		goto out;
	report("fixed", mean, best, runs);

	/* generated households, keeping those of exactly five members */
	gen = saola_gen_new(2025);
	for (i = 0; gen && n < NGEN && i < 100 * NGEN; i++) {
		json_t *h = saola_gen_household(gen, NULL);

		if (h && json_array_size(json_object_get(h, "members")) == 5)
			gens[n++] = h;
		else
			json_decref(h);
	}
	if (n > 0) {
		if (time_runs(form, &params, gens, n, runs, &mean, &best) != 0)
			goto out;
		report("generated", mean, best, runs);
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		json_decref(gens[i]);
	saola_gen_free(gen);
	saola__form_free(form);
	json_decref(def);
	json_decref(rec);
	for (i = 0; i < nstandards; i++)
		json_decref(standards[i]);
	return rc;
}
