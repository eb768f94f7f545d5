/* bench_form.c: prints the time the form engine takes to validate and
 * compute one household of five members with the shipped household form
 * (target: under 50 microseconds). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "saola/core.h"
#include "../core/src/form.h"

#ifndef SAOLA_BENCH_SCHEMAS
#define SAOLA_BENCH_SCHEMAS "schemas"
#endif

#define TARGET_US 50.0

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

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	saola__params_src params = {lookup, NULL};
	saola__form *form = NULL;
	json_t *def = NULL, *rec = NULL, *out;
	long runs = argc > 1 ? atol(argv[1]) : 100000, i;
	double t0, mean;
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
	/* warm-up, and a check that the household is valid */
	for (i = 0; i < 1000; i++) {
		if (saola__form_process(form, rec, &params, "2025-10-01", &out, err,
		                        sizeof err) != SAOLA_OK) {
			fprintf(stderr, "bench_form: process: %s\n", err);
			goto out;
		}
		json_decref(out);
	}
	t0 = now_us();
	for (i = 0; i < runs; i++) {
		saola__form_process(form, rec, &params, "2025-10-01", &out, err,
		                    sizeof err);
		json_decref(out);
	}
	mean = (now_us() - t0) / (double)runs;
	printf("form: validate + compute one household of 5 members: %.2f us "
	       "(mean of %ld runs; target < %.0f us: %s)\n", mean, runs, TARGET_US,
	       mean < TARGET_US ? "ok" : "MISSED");
	rc = 0;
out:
	saola__form_free(form);
	json_decref(def);
	json_decref(rec);
	for (i = 0; i < nstandards; i++)
		json_decref(standards[i]);
	return rc;
}
