/* saola_gen_main.c: the saola-gen command, which prints generated households as JSON Lines. */
#include "gen.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_YEARS = 16 };

static const char usage_line[] =
	"usage: saola-gen [--count N] [--seed S] [--province P] [--district D] [--commune C]\n"
	"                 [--year Y | --years Y1,Y2,...] [--no-household-id]\n"
	"                 [--listing [--coverage F]] [--schemas DIR]\n";

static const char help_text[] =
	"Prints N generated households of the household survey form as JSON Lines\n"
	"(one compact JSON object a line, UTF-8) on standard output.\n"
	"\n"
	"  --count N     households to print (default 10)\n"
	"  --seed S      seed, decimal or 0x hex (default 1); the same seed prints the same\n"
	"                households on every machine, and household i does not depend on N\n"
	"  --province P  statistics office code of the province (default 37, Ninh Binh; any\n"
	"                province of the units valid on the first year's review day)\n"
	"  --district D  district code (default: any, drawn by household count)\n"
	"  --commune C   commune code (default: any in the district)\n"
	"  --year Y      survey year (default 2024); the households are in the units valid\n"
	"                on the year's review day (the standards' review_day, 11-01): 2024\n"
	"                the units before the reorganisation, with districts; from 2025\n"
	"                the units after 1 July 2025: communes, no district (--district is\n"
	"                refused)\n"
	"  --years LIST  increasing survey years, comma-separated: prints the N households\n"
	"                of the first year, then the same N households, in the same order,\n"
	"                for each later year (moved on with saola_gen_next_year), so line i\n"
	"                of each year's block is the same household; a household whose\n"
	"                commune is gone moves to the commune its formed_from links lead\n"
	"                to (across interim versions; a whole link before a partial one,\n"
	"                then the lowest code); for a commune that no link names, the\n"
	"                one of the nearest commune of the same district before it (by\n"
	"                code) that has links, else after it (a stated fallback)\n"
	"  --no-household-id  leave out household_id (by default each household has one,\n"
	"                a stable code \"<commune>-<10 hex digits>\" kept across --years)\n"
	"  --listing     instead of households, print the listing of households per commune\n"
	"                and year that 'saola-server listed load FILE' reads, one JSON object\n"
	"                a line: {\"year\":Y,\"commune\":\"14404\",\"households\":N}, N the\n"
	"                households generated in the commune divided by the coverage\n"
	"  --coverage F  the share of listed households surveyed, 0 < F <= 1 (default 1.0:\n"
	"                every listed household is surveyed); N rounds up\n"
	"  --schemas DIR the schemas folder whose units/ and standards/ are read (default\n"
	"                $SAOLA_SCHEMAS, else the installed schemas, else the source tree's)\n"
	"  --help        this text\n"
	"\n"
	"Exit status: 0 ok, 1 failure, 2 bad usage.\n";

struct args {
	unsigned long long count, seed;
	saola_gen_opts opts;
	int years[MAX_YEARS];
	int n_years;
	bool no_household_id;
	bool listing;
	double coverage;
	const char *schemas;
	saola_gen *gen; /* the units read once, reseeded for each household */
};

static int bad_usage(const char *fmt, const char *arg)
{
	fputs("saola-gen: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	fputs(usage_line, stderr);
	return 2;
}

static int parse_ull(const char *s, unsigned long long *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

static int parse_year(const char *s, char **end)
{
	long v;

	errno = 0;
	v = strtol(s, end, 10);
	if (errno || *end == s || v < 1900 || v > 2200)
		return -1;
	return (int)v;
}

static int parse_years(const char *s, struct args *a)
{
	char *end;

	a->n_years = 0;
	for (;;) {
		int y = parse_year(s, &end);

		if (y < 0 || a->n_years == MAX_YEARS || (a->n_years && y <= a->years[a->n_years - 1]))
			return -1;
		a->years[a->n_years++] = y;
		if (*end == '\0')
			return 0;
		if (*end != ',')
			return -1;
		s = end + 1;
	}
}

static bool known_option(const char *opt)
{
	static const char *const options[] = {
		"--count", "--seed", "--province", "--district", "--commune", "--year", "--years",
		"--coverage", "--schemas",
	};
	size_t i;

	for (i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (strcmp(opt, options[i]) == 0)
			return true;
	return false;
}

/* 0 to go on, 1 when --help was printed, 2 on bad usage (already said). */
static int parse_args(int argc, char **argv, struct args *a)
{
	int i;
	bool year = false, years = false;

	memset(a, 0, sizeof(*a));
	a->count = 10;
	a->seed = 1;
	a->years[0] = 2024;
	a->coverage = 1.0;
	a->n_years = 1;
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;

		if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
			fputs(usage_line, stdout);
			fputs(help_text, stdout);
			return 1;
		}
		if (strcmp(opt, "--no-household-id") == 0) {
			a->no_household_id = true;
			continue;
		}
		if (strcmp(opt, "--listing") == 0) {
			a->listing = true;
			continue;
		}
		if (!known_option(opt))
			return bad_usage("unknown argument: %s", opt);
		if (!val)
			return bad_usage("%s: expected a value", opt);
		i++;
		if (strcmp(opt, "--count") == 0) {
			if (parse_ull(val, &a->count) != 0)
				return bad_usage("--count: expected a whole number, got \"%s\"", val);
		} else if (strcmp(opt, "--seed") == 0) {
			if (parse_ull(val, &a->seed) != 0)
				return bad_usage("--seed: expected an unsigned 64-bit number, got \"%s\"", val);
		} else if (strcmp(opt, "--province") == 0) {
			a->opts.province = val;
		} else if (strcmp(opt, "--district") == 0) {
			a->opts.district = val;
		} else if (strcmp(opt, "--year") == 0) {
			a->years[0] = parse_year(val, &end);
			if (a->years[0] < 0 || *end)
				return bad_usage("--year: expected a year 1900-2200, got \"%s\"", val);
			year = true;
		} else if (strcmp(opt, "--years") == 0) {
			if (parse_years(val, a) != 0)
				return bad_usage("--years: expected increasing years 1900-2200 separated by commas "
				                 "(at most 16), got \"%s\"", val);
			years = true;
		} else if (strcmp(opt, "--coverage") == 0) {
			a->coverage = strtod(val, &end);
			if (*end || end == val || !(a->coverage > 0 && a->coverage <= 1))
				return bad_usage("--coverage: expected a share 0 < F <= 1, got \"%s\"", val);
		} else if (strcmp(opt, "--schemas") == 0) {
			a->schemas = val;
		} else { /* --commune */
			a->opts.commune = val;
		}
	}
	if (year && years)
		return bad_usage("%s", "--year and --years: give one of them");
	return 0;
}

/* Household i's own seed, so that it does not depend on how many come
 * before it (splitmix64 of seed and index). */
static uint64_t household_seed(uint64_t seed, uint64_t i)
{
	uint64_t z = seed + (i + 1) * 0x9e3779b97f4a7c15u;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Household i in year block k: made in the first year, then moved on year
 * by year. A new object, NULL when out of memory or on an unknown unit. */
static json_t *household_in(const struct args *a, uint64_t i, int k)
{
	saola_gen *g = a->gen;
	saola_gen_opts opts = a->opts;
	json_t *h = NULL;
	int year;

	saola_gen_reseed(g, household_seed(a->seed, i));
	saola_gen_set_household_ids(g, !a->no_household_id);
	opts.survey_year = a->years[0];
	h = saola_gen_household(g, &opts);
	for (year = a->years[0]; h && year < a->years[k]; year++) {
		json_t *next = saola_gen_next_year(g, h);

		json_decref(h);
		h = next;
	}
	return h;
}

static int print_line(const json_t *h)
{
	char *s = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
	int rc = 0;

	if (!s)
		return -1;
	if (fputs(s, stdout) == EOF || putchar('\n') == EOF)
		rc = -1;
	free(s);
	return rc;
}

/* One commune's count in a year's listing. */
struct listed {
	char commune[16];
	unsigned long long n;
};

static int cmp_listed(const void *x, const void *y)
{
	return strcmp(((const struct listed *)x)->commune, ((const struct listed *)y)->commune);
}

/* Prints year block k's listing: households per commune over the coverage. */
static int print_listing(const struct args *a, int k)
{
	struct listed rows[512];
	size_t n = 0, j;
	uint64_t i;

	for (i = 0; i < a->count; i++) {
		json_t *h = household_in(a, i, k);
		const char *c = json_string_value(json_object_get(h, "commune"));
		if (!h || !c) {
			json_decref(h);
			return -1;
		}
		for (j = 0; j < n && strcmp(rows[j].commune, c) != 0; j++)
			;
		if (j == n && n < sizeof rows / sizeof rows[0]) {
			snprintf(rows[n].commune, sizeof rows[n].commune, "%s", c);
			rows[n++].n = 0;
		}
		if (j < n)
			rows[j].n++;
		json_decref(h);
	}
	qsort(rows, n, sizeof rows[0], cmp_listed);
	for (j = 0; j < n; j++) {
		double listed = (double)rows[j].n / a->coverage;
		unsigned long long up = (unsigned long long)listed;
		if ((double)up < listed)
			up++;
		if (printf("{\"year\":%d,\"commune\":\"%s\",\"households\":%llu}\n", a->years[k],
		           rows[j].commune, up) < 0)
			return -1;
	}
	return 0;
}

static int run(struct args *ap)
{
	struct args a = *ap;
	uint64_t i;
	int k, rc;
	json_t *probe;

	/* Check the units once, so that a wrong code is a usage error. */
	probe = household_in(&a, 0, 0);
	if (!probe) {
		struct args plain = a;

		memset(&plain.opts, 0, sizeof(plain.opts));
		probe = household_in(&plain, 0, 0);
		if (!probe) {
			fputs("saola-gen: out of memory\n", stderr);
			return 1;
		}
		json_decref(probe);
		return bad_usage("%s", "--province, --district, --commune: no such unit in the first year,"
		                 " or the commune is not in the district, or a district in a year whose"
		                 " units have none (after 2024)");
	}
	json_decref(probe);

	for (k = 0; a.listing && k < a.n_years; k++)
		if (print_listing(&a, k) != 0) {
			fputs("saola-gen: listing: out of memory or cannot write\n", stderr);
			return 1;
		}
	for (k = 0; !a.listing && k < a.n_years; k++)
		for (i = 0; i < a.count; i++) {
			json_t *h = household_in(&a, i, k);

			if (!h) {
				fprintf(stderr, "saola-gen: household %llu: out of memory, or its commune leads"
				        " to no unit of %d\n", (unsigned long long)i, a.years[k]);
				return 1;
			}
			rc = print_line(h);
			json_decref(h);
			if (rc) {
				fprintf(stderr, "saola-gen: writing: %s\n", strerror(errno));
				return 1;
			}
		}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "saola-gen: writing: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct args a;
	char err[512];
	int rc = parse_args(argc, argv, &a);

	if (rc == 1)
		return 0;
	if (rc)
		return rc;
	if (!(a.gen = saola_gen_new_schemas(0, a.schemas, err, sizeof err))) {
		fprintf(stderr, "saola-gen: %s\n", err);
		return 1;
	}
	rc = run(&a);
	saola_gen_free(a.gen);
	return rc;
}
