/* bench_form.c: prints the time the form engine takes to validate and
 * compute one household of five members with the shipped household form
 * (target: under 50 microseconds): a fixed household, then a mix of
 * generated ones (tools/gen.h). Every run is checked (each household
 * processed, NGEN generated ones found): the figures are printed only when
 * both phases passed; else the failure is said on stderr, and it exits 1
 * with no figures. */
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

/* The figures of the phases, printed only once both have passed. */
static char figures[2][400];
static int nfigures;

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

/* Times about runs calls over the n records (round robin), in 10 batches:
 * *done is the number of calls timed, *mean the mean over all, *best the
 * mean of the fastest batch (the one least disturbed by other work on the
 * machine). Returns -1 when a record is refused, in the warm-up or a timed
 * run (said on stderr, naming the phase what). */
static int time_runs(const char *what, const saola__form *form,
                     const saola__params_src *params, json_t **recs, long n,
                     long runs, long *done, double *mean, double *best)
{
	char err[256];
	json_t *out;
	double t0, t1, total = 0;
	long i, b, per = runs / 10 > 0 ? runs / 10 : 1;

	for (i = 0; i < 1000 || i < n; i++) { /* warm-up, and a validity check */
		if (saola__form_process(form, recs[i % n], params, "2025-10-01", &out,
		                        err, sizeof err) != SAOLA_OK) {
			fprintf(stderr, "bench_form: %s: warm-up, record %ld: %s\n", what,
			        i % n, err);
			return -1;
		}
		json_decref(out);
	}
	*best = -1;
	for (b = 0; b < 10; b++) {
		t0 = now_us();
		for (i = 0; i < per; i++) {
			/* The same records passed the warm-up: a refusal here means
			 * the engine is not what was measured there. */
			if (saola__form_process(form, recs[(b * per + i) % n], params,
			                        "2025-10-01", &out, err, sizeof err) != SAOLA_OK) {
				fprintf(stderr, "bench_form: %s: timed run %ld, record %ld: %s\n",
				        what, b * per + i, (b * per + i) % n, err);
				return -1;
			}
			json_decref(out);
		}
		t1 = now_us() - t0;
		total += t1;
		if (*best < 0 || t1 / (double)per < *best)
			*best = t1 / (double)per;
	}
	*done = 10 * per;
	*mean = total / (double)*done;
	return 0;
}

/* Keeps a phase's line of figures for the end. */
static void report(const char *what, double mean, double best, long runs)
{
	snprintf(figures[nfigures++], sizeof figures[0],
	         "form: validate + compute one household of 5 members (%s): "
	         "%.2f us mean of %ld runs, %.2f us best batch (CPU time; "
	         "target < %.0f us: %s)", what, mean, runs, best, TARGET_US,
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
	long runs = 100000, done, i, n = 0;
	double mean, best;
	char err[256], *end;
	int rc = 1;

	if (argc > 1) {
		runs = strtol(argv[1], &end, 10);
		if (argc > 2 || end == argv[1] || *end || runs < 1) {
			fprintf(stderr, "usage: bench_form [RUNS] (default 100000)\n");
			return 2;
		}
	}
	standards[0] = load("standards/vn-poverty-2022-2025.json");
	standards[1] = load("standards/vn-poverty-2026-2030.json");
	nstandards = 2;
	def = load("forms/household.json");
	if (!(rec = json_loads(household, 0, NULL)))
		fprintf(stderr, "bench_form: the fixed household does not parse\n");
	if (!standards[0] || !standards[1] || !def || !rec)
		goto out;
	if (saola__form_compile(def, &form, err, sizeof err) != SAOLA_OK) {
		fprintf(stderr, "bench_form: compile: %s\n", err);
		goto out;
	}
	if (time_runs("fixed", form, &params, &rec, 1, runs, &done, &mean, &best) != 0)
		goto out;
	report("fixed", mean, best, done);

	/* generated households, keeping those of exactly five members */
	if (!(gen = saola_gen_new(2025))) {
		fprintf(stderr, "bench_form: generated: no memory\n");
		goto out;
	}
	for (i = 0; n < NGEN && i < 100 * NGEN; i++) {
		json_t *h = saola_gen_household(gen, NULL);

		if (h && json_array_size(json_object_get(h, "members")) == 5)
			gens[n++] = h;
		else
			json_decref(h);
	}
	/* Fewer would time another mix than the figure says. */
	if (n != NGEN) {
		fprintf(stderr, "bench_form: generated: %ld households of five in %d, not %d\n",
		        n, 100 * NGEN, NGEN);
		goto out;
	}
	if (time_runs("generated", form, &params, gens, n, runs, &done, &mean, &best) != 0)
		goto out;
	report("generated", mean, best, done);
	for (i = 0; i < nfigures; i++)
		printf("%s\n", figures[i]);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "bench_form: a phase failed: no figures\n");
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
