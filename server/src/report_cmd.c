/* report_cmd.c: the saola-server commands `report` (reports by unit and
 * year as a table, CSV or JSON) and `units load` (administrative units
 * into the database). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lists.h"
#include "report.h"
#include "store.h"
#include "units.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define MAX_OPTS 12

#define REPORT_USAGE \
	"saola-server report --db PATH [--by province|district|commune|village] [--year Y]\n" \
	"       [--from Y] [--area CODE] [--format table|csv|json] [--report NAME]\n" \
	"       [--targets FILE] [--schemas DIR] [--labels vi]\n" \
	"       [--state approved|submitted|draft|returned|all|LIST]\n" \
	"reports: summary, indicators, causes, coverage, transitions, progress, all (default);\n" \
	"--state: the review states counted (default approved: the official figures);\n" \
	"--by defaults to one level below the area; --year to the latest with records;\n" \
	"--from (transitions) to the year before; --targets to schemas/targets/ (see\n" \
	"docs/reports.md)"

#define UNITS_USAGE "saola-server units load --db PATH [--file FILE] [--schemas DIR]"

typedef struct args {
	const char *name[MAX_OPTS], *value[MAX_OPTS];
	int n;
} args;

static const char *arg(const args *a, const char *name)
{
	int i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->name[i], name) == 0)
			return a->value[i];
	return NULL;
}

/* "--name VALUE" or "--name=VALUE", names from allowed; 0, or -1 after
 * saying why. */
static int parse(int argc, char **argv, const char *const *allowed, const char *cmd, args *a)
{
	static char names[MAX_OPTS][32];
	int i, k;

	a->n = 0;
	for (i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		size_t len = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
		int ok = 0;

		for (k = 0; allowed[k]; k++)
			ok |= strlen(allowed[k]) == len && strncmp(argv[i], allowed[k], len) == 0;
		if (!ok) {
			fprintf(stderr, "%s: unknown argument \"%s\"\n", cmd, argv[i]);
			return -1;
		}
		if (a->n == MAX_OPTS || len >= sizeof names[0]) {
			fprintf(stderr, "%s: too many options\n", cmd);
			return -1;
		}
		if (!eq && i + 1 >= argc) {
			fprintf(stderr, "%s: option %s needs a value\n", cmd, argv[i]);
			return -1;
		}
		memcpy(names[a->n], argv[i], len);
		names[a->n][len] = '\0';
		a->name[a->n] = names[a->n];
		a->value[a->n++] = eq ? eq + 1 : argv[++i];
	}
	return 0;
}

static int is_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

static int usage(const char *text)
{
	fprintf(stderr, "usage: %s\n", text);
	return EXIT_USAGE;
}

/* A year option: 0 when absent, -1 when not a year. */
static int year_arg(const args *a, const char *name)
{
	const char *v = arg(a, name);
	char *end;
	long y;

	if (!v)
		return 0;
	y = strtol(v, &end, 10);
	return *end || y < 1900 || y > 2200 ? -1 : (int)y;
}

static int print(const json_t *rep, const char *format, int vi)
{
	saola__buf b = {NULL, 0, 0, 0};
	char *text;
	int rc = 0;

	if (strcmp(format, "table") == 0)
		return saola__report_table(rep, stdout);
	if (strcmp(format, "csv") == 0) {
		if (saola__report_csv(rep, vi, &b) != 0)
			rc = -1;
		else if (fwrite(b.p, 1, b.len, stdout) != b.len)
			rc = -1;
		saola__buf_free(&b);
		return rc;
	}
	if (!(text = json_dumps(rep, JSON_INDENT(1) | JSON_REAL_PRECISION(15))))
		return -1;
	if (fputs(text, stdout) == EOF || fputc('\n', stdout) == EOF)
		rc = -1;
	free(text);
	return rc;
}

int saola__cmd_report(int argc, char **argv)
{
	static const char *const allowed[] = {"--db", "--by", "--year", "--from", "--area",
		"--format", "--report", "--targets", "--schemas", "--state", "--labels", NULL};
	const char *format, *by, *labels;
	char err[SAOLA__ERR_MAX], state[64];
	saola__report_req rq;
	unsigned mask;
	saola__store *s = NULL;
	json_t *rep = NULL;
	saola__err e;
	args a;
	int rc;

	if (is_help(argc, argv)) {
		printf("usage: %s\n", REPORT_USAGE);
		return 0;
	}
	if (parse(argc, argv, allowed, "report", &a) != 0 || !arg(&a, "--db"))
		return usage(REPORT_USAGE);
	memset(&rq, 0, sizeof rq);
	format = arg(&a, "--format") ? arg(&a, "--format") : "table";
	by = arg(&a, "--by");
	labels = arg(&a, "--labels");
	rq.by = by ? saola__report_by(by) : -1;
	rq.year = year_arg(&a, "--year");
	rq.from_year = year_arg(&a, "--from");
	rq.area = arg(&a, "--area");
	rq.targets = arg(&a, "--targets");
	rq.schemas = arg(&a, "--schemas");
	rq.state = arg(&a, "--state");
	rq.reports = saola__report_bit(arg(&a, "--report") ? arg(&a, "--report") : "all");
	if (strcmp(format, "table") && strcmp(format, "csv") && strcmp(format, "json")) {
		fprintf(stderr, "report: --format %s: expected table, csv or json\n", format);
		return usage(REPORT_USAGE);
	}
	if (rq.state && saola__state_mask(rq.state, &mask, state, sizeof state) != 0) {
		fprintf(stderr, "report: --state %s: expected approved, submitted, draft, returned,"
		        " all, or a comma list of them\n", rq.state);
		return usage(REPORT_USAGE);
	}
	if (labels && strcmp(labels, "vi") != 0) {
		fprintf(stderr, "report: --labels %s: expected vi\n", labels);
		return usage(REPORT_USAGE);
	}
	if ((by && rq.by < 0) || rq.year < 0 || rq.from_year < 0 || !rq.reports) {
		fprintf(stderr, "report: %s\n", by && rq.by < 0 ? "--by: expected province, district,"
		        " commune or village" : !rq.reports ? "--report: expected summary, indicators,"
		        " causes, coverage, transitions, progress or all"
		        : "--year, --from: expected a year 1900-2200");
		return usage(REPORT_USAGE);
	}
	if (rq.area && *rq.area && !saola__unit_level(rq.area)) {
		fprintf(stderr, "report: --area %s: expected a unit code of 2 (province), 3 (district)"
		        " or 5 (commune) digits\n", rq.area);
		return usage(REPORT_USAGE);
	}
	if (saola__store_open(arg(&a, "--db"), NULL, 0, &s, err, sizeof err) != SAOLA_OK) {
		fprintf(stderr, "report: %s\n", err);
		return EXIT_FAIL;
	}
	rc = saola__report_run(saola__store_db(s), &rq, &rep, &e);
	saola__store_close(s);
	if (rc != 0) {
		fprintf(stderr, "report: %s\n", e.message);
		/* 400: the request itself */
		return saola__err_status(&e) == 400 ? EXIT_USAGE : EXIT_FAIL;
	}
	rc = print(rep, format, labels != NULL);
	json_decref(rep);
	if (rc != 0 || fflush(stdout) != 0) {
		fprintf(stderr, "report: writing the report failed\n");
		return EXIT_FAIL;
	}
	return 0;
}

int saola__cmd_units(int argc, char **argv)
{
	static const char *const allowed[] = {"--db", "--file", "--schemas", NULL};
	const char *dir;
	char err[SAOLA__ERR_MAX];
	saola__store *s = NULL;
	args a;
	int n = 0, rc;

	if (is_help(argc, argv)) {
		printf("usage: %s\n", UNITS_USAGE);
		return 0;
	}
	if (argc < 1 || strcmp(argv[0], "load") != 0 ||
	    parse(argc - 1, argv + 1, allowed, "units load", &a) != 0 || !arg(&a, "--db"))
		return usage(UNITS_USAGE);
	dir = saola__schemas_dir(arg(&a, "--schemas"));
	if (saola__store_open(arg(&a, "--db"), dir, 1, &s, err, sizeof err) != SAOLA_OK) {
		fprintf(stderr, "units load: %s\n", err);
		return EXIT_FAIL;
	}
	/* One write transaction: the load's savepoint needs one on
	 * PostgreSQL, and a failure leaves the units as they were. */
	if (saola__db_begin_write(saola__store_db(s)) != SAOLA_OK) {
		snprintf(err, sizeof err, "%s", saola__db_errmsg(saola__store_db(s)));
		rc = -1;
	} else {
		if (arg(&a, "--file"))
			rc = saola__units_load_file(saola__store_db(s), arg(&a, "--file"), &n, err,
			                            sizeof err);
		else
			rc = saola__units_load_dir(saola__store_db(s), dir, &n, err, sizeof err);
		if (saola__db_end(saola__store_db(s), rc == 0) != SAOLA_OK && rc == 0) {
			snprintf(err, sizeof err, "commit: %s", saola__db_errmsg(saola__store_db(s)));
			rc = -1;
		}
	}
	saola__store_close(s);
	if (rc != 0) {
		fprintf(stderr, "units load: %s\n", err);
		return EXIT_FAIL;
	}
	printf("loaded %d unit%s from %s\n", n, n == 1 ? "" : "s",
	       arg(&a, "--file") ? arg(&a, "--file") : dir);
	return 0;
}

#define LISTS_USAGE \
	"saola-server lists --db PATH --commune CODE [--year Y] [--format csv|json]\n" \
	"       [--labels vi] [--state approved|submitted|draft|returned|all|LIST] [--personal]\n" \
	"the commune's poor, near-poor, escaped-poverty and newly poor households (default csv,\n" \
	"approved); --personal shows the heads' names (docs/reports.md, \"Official lists\")"

int saola__cmd_lists(int argc, char **argv)
{
	static const char *const allowed[] = {"--db", "--commune", "--year", "--format", "--labels",
		"--state", NULL};
	const char *format, *labels;
	char err[SAOLA__ERR_MAX];
	saola__lists_req rq;
	saola__buf b = {NULL, 0, 0, 0};
	saola__store *s = NULL;
	json_t *v = NULL;
	saola__err e;
	args a;
	char *text = NULL;
	int rc, i, n = 0;

	if (is_help(argc, argv)) {
		printf("usage: %s\n", LISTS_USAGE);
		return 0;
	}
	memset(&rq, 0, sizeof rq);
	/* --personal takes no value: taken out before the options. */
	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "--personal") == 0)
			rq.personal = 1;
		else
			argv[n++] = argv[i];
	if (parse(n, argv, allowed, "lists", &a) != 0 || !arg(&a, "--db") || !arg(&a, "--commune"))
		return usage(LISTS_USAGE);
	format = arg(&a, "--format") ? arg(&a, "--format") : "csv";
	labels = arg(&a, "--labels");
	rq.commune = arg(&a, "--commune");
	rq.year = year_arg(&a, "--year");
	rq.state = arg(&a, "--state");
	if ((strcmp(format, "csv") && strcmp(format, "json")) || (labels && strcmp(labels, "vi")) ||
	    rq.year < 0) {
		fprintf(stderr, "lists: %s\n", rq.year < 0 ? "--year: expected a year 1900-2200"
		        : labels && strcmp(labels, "vi") ? "--labels: expected vi"
		        : "--format: expected csv or json");
		return usage(LISTS_USAGE);
	}
	if (saola__store_open(arg(&a, "--db"), NULL, 0, &s, err, sizeof err) != SAOLA_OK) {
		fprintf(stderr, "lists: %s\n", err);
		return EXIT_FAIL;
	}
	rc = saola__lists_run(saola__store_db(s), &rq, &v, &e);
	saola__store_close(s);
	if (rc != 0) {
		fprintf(stderr, "lists: %s\n", e.message);
		return saola__err_status(&e) == 400 ? EXIT_USAGE : EXIT_FAIL;
	}
	if (strcmp(format, "json") == 0)
		rc = !(text = json_dumps(v, JSON_INDENT(1) | JSON_REAL_PRECISION(15))) ||
		     fputs(text, stdout) == EOF || fputc('\n', stdout) == EOF;
	else
		rc = saola__lists_csv(v, labels != NULL, &b) != 0 ||
		     fwrite(b.p, 1, b.len, stdout) != b.len;
	free(text);
	saola__buf_free(&b);
	json_decref(v);
	if (rc != 0 || fflush(stdout) != 0) {
		fprintf(stderr, "lists: writing the lists failed\n");
		return EXIT_FAIL;
	}
	return 0;
}
