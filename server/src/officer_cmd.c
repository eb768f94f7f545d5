/* officer_cmd.c: the saola-server commands `conflicts` (list, show and
 * resolve the conflict log) and `review` (return or approve a record). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_args.h"
#include "officer.h"
#include "report.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

#define CONFLICTS_USAGE \
	"saola-server conflicts [list] --db PATH [--status open|resolved|all] [--area CODE]\n" \
	"                  [--limit N] [--json]\n" \
	"       saola-server conflicts show --db PATH [--json] ID\n" \
	"       saola-server conflicts resolve --db PATH (--keep | --take-lost | --value JSON)\n" \
	"                  [--by NAME] [--comment TEXT] ID\n" \
	"--keep writes the value kept only if it no longer stands (else just closes the\n" \
	"entry); --take-lost writes the value that lost; --value writes a new one (JSON,\n" \
	"null clears the answer). A resolution is an ordinary edit: it syncs to every\n" \
	"device of the area."

#define REVIEW_USAGE \
	"saola-server review --db PATH return|approve ID [--comment TEXT] [--by NAME]\n" \
	"       saola-server review --db PATH approve --area CODE [--year Y] [--by NAME]\n" \
	"return sends a submitted record back for re-survey (a comment is required);\n" \
	"approve approves a submitted record, or with --area every submitted household\n" \
	"whose province, district or commune is CODE (of survey year Y)."

static int usage(const char *text)
{
	fprintf(stderr, "usage: %s\n", text);
	return EXIT_USAGE;
}

static saola__store *open_store(const char *cmd, const char *path)
{
	saola__store *s = NULL;
	char err[SAOLA__ERR_MAX];

	if (saola__store_open(path, NULL, 0, &s, err, sizeof err) != SAOLA_OK) {
		fprintf(stderr, "%s: %s\n", cmd, err);
		return NULL;
	}
	return s;
}

/* A value short enough for a table: JSON text, cut at max bytes. */
static void brief(json_t *v, char *buf, size_t len, size_t max)
{
	char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	if (!t) {
		snprintf(buf, len, "?");
		return;
	}
	if (strlen(t) > max && max > 3)
		snprintf(buf, len, "%.*s...", (int)(max - 3), t);
	else
		snprintf(buf, len, "%s", t);
	free(t);
}

/* "[12, a0c3f1e2]" for a version, "-" for none. */
static void version_text(json_t *v, char *buf, size_t len)
{
	if (json_is_array(v))
		snprintf(buf, len, "[%lld, %s]", (long long)json_integer_value(json_array_get(v, 0)),
		         json_string_value(json_array_get(v, 1)) ? json_string_value(json_array_get(v, 1))
		                                                 : "?");
	else
		snprintf(buf, len, "-");
}

static int has(json_t *o, const char *key)
{
	return json_is_string(json_object_get(o, key));
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

/* Prints s padded to width characters (UTF-8 counted by characters, not
 * bytes), cut when longer. */
static void cell(const char *s, int width)
{
	int n = 0;
	const char *p = s;

	while (*p && n < width) {
		const char *q = p + 1;
		while ((*q & 0xc0) == 0x80)
			q++;
		fwrite(p, 1, (size_t)(q - p), stdout);
		p = q;
		n++;
	}
	for (; n < width; n++)
		putchar(' ');
	fputs("  ", stdout);
}

static void print_list(json_t *list)
{
	json_t *c;
	size_t i;

	if (json_array_size(list) == 0) {
		printf("no conflicts\n");
		return;
	}
	printf("%5s  ", "ID");
	cell("STATUS", 8);
	cell("LOGGED", 20);
	cell("COMMUNE", 7);
	cell("HOUSEHOLD HEAD", 22);
	cell("FIELD", 36);
	printf("LOST -> KEPT\n");
	json_array_foreach(list, i, c) {
		char lost[64], kept[64];
		brief(json_object_get(json_object_get(c, "lost"), "value"), lost, sizeof lost, 28);
		brief(json_object_get(json_object_get(c, "kept"), "value"), kept, sizeof kept, 28);
		printf("%5lld  ", (long long)json_integer_value(json_object_get(c, "id")));
		cell(str(c, "status"), 8);
		cell(str(c, "at"), 20);
		cell(str(c, "commune"), 7);
		cell(str(c, "head_name"), 22);
		cell(str(c, "label"), 36);
		printf("%s -> %s\n", lost, kept);
	}
}

static void print_side(const char *what, json_t *side)
{
	char val[512], ver[96];

	brief(json_object_get(side, "value"), val, sizeof val, 400);
	version_text(json_object_get(side, "version"), ver, sizeof ver);
	printf("%-10s  %s  (version %s%s%s)\n", what, val, ver, has(side, "by") ? ", by " : "",
	       has(side, "by") ? str(side, "by") : "");
}


static void print_one(json_t *c)
{
	json_t *res = json_object_get(c, "resolution");
	char base[96];

	printf("conflict %lld (%s)\n", (long long)json_integer_value(json_object_get(c, "id")),
	       str(c, "status"));
	printf("%-10s  %s (%s), household head %s\n", "record:", str(c, "record_id"),
	       str(c, "form"), str(c, "head_name"));
	printf("%-10s  village %s, commune %s%s%s, district %s, province %s\n", "unit:",
	       str(c, "village"), str(c, "commune"), has(c, "commune_name") ? " " : "",
	       has(c, "commune_name") ? str(c, "commune_name") : "", str(c, "district"),
	       str(c, "province"));
	printf("%-10s  %s: %s\n", "field:", str(c, "path"), str(c, "label"));
	print_side("lost:", json_object_get(c, "lost"));
	print_side("kept:", json_object_get(c, "kept"));
	if (json_object_get(c, "current"))
		print_side("now:", json_object_get(c, "current"));
	version_text(json_object_get(c, "base"), base, sizeof base);
	printf("%-10s  the %s value came in a change made over version %s\n", "base:",
	       json_is_true(json_object_get(c, "stored_lost")) ? "kept" : "lost", base);
	printf("%-10s  device %s, user %s, batch %s, at %s\n", "sent by:", str(c, "device"),
	       str(c, "user"), str(c, "batch"), str(c, "at"));
	if (json_is_object(res)) {
		char val[256], ver[96];
		brief(json_object_get(res, "value"), val, sizeof val, 200);
		version_text(json_object_get(res, "version"), ver, sizeof ver);
		printf("%-10s  at %s by %s: %s %s (%s)%s%s\n", "resolved:", str(c, "resolved_at"),
		       str(c, "resolved_by"), str(res, "choice"), val,
		       json_is_array(json_object_get(res, "version")) ? ver : "no edit needed",
		       has(res, "comment") ? ": " : "", has(res, "comment") ? str(res, "comment") : "");
	}
}

/* ID as a conflict id; -1 when it is not one. */
static long long conflict_id(const char *s)
{
	char *end;
	long long id;

	if (!s)
		return -1;
	id = strtoll(s, &end, 10);
	return *end || id <= 0 ? -1 : id;
}

static int conflicts_resolve(saola__store *s, const saola__args *a, long long id)
{
	const char *keep = saola__args_get(a, "--keep"), *lost = saola__args_get(a, "--take-lost");
	const char *value = saola__args_get(a, "--value");
	json_t *v = NULL, *out = NULL;
	json_error_t jerr;
	saola__officer o;
	saola__err e;
	int rc;

	if ((keep != NULL) + (lost != NULL) + (value != NULL) != 1)
		return usage(CONFLICTS_USAGE);
	if (value && !(v = json_loads(value, JSON_DECODE_ANY, &jerr))) {
		fprintf(stderr, "conflicts resolve: --value: not JSON (%s); text goes in quotes,"
		        " as '\"Nguyễn Văn A\"'\n", jerr.text);
		return EXIT_USAGE;
	}
	memset(&o, 0, sizeof o);
	o.store = s;
	o.by = saola__args_get(a, "--by") ? saola__args_get(a, "--by") : "saola-server";
	rc = saola__conflict_resolve(&o, id, keep ? "keep" : lost ? "lost" : "value", v,
	                             saola__args_get(a, "--comment"), &out, &e);
	json_decref(v);
	if (rc != 0) {
		fprintf(stderr, "conflicts resolve: %s\n", e.message);
		return EXIT_FAIL;
	}
	print_one(out);
	json_decref(out);
	return 0;
}

int saola__cmd_conflicts(int argc, char **argv)
{
	static const char *const valued[] = {"--db", "--status", "--area", "--limit", "--value",
	                                     "--by", "--comment", NULL};
	static const char *const flags[] = {"--json", "--keep", "--take-lost", NULL};
	const char *sub = argc > 0 && strncmp(argv[0], "--", 2) != 0 ? argv[0] : "list";
	int skip = argc > 0 && strncmp(argv[0], "--", 2) != 0;
	char cmd[32];
	saola__args a;
	saola__store *s;
	saola__err e;
	json_t *out = NULL;
	long long id = 0;
	int rc = 0, json;

	if (saola__args_help(argc, argv)) {
		printf("usage: %s\n", CONFLICTS_USAGE);
		return 0;
	}
	snprintf(cmd, sizeof cmd, "conflicts %.16s", sub);
	if ((strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "resolve")) ||
	    saola__args_parse(argc - skip, argv + skip, valued, flags, strcmp(sub, "list") != 0,
	                      cmd, &a) != 0 || !saola__args_get(&a, "--db"))
		return usage(CONFLICTS_USAGE);
	if (strcmp(sub, "list") != 0 && (id = conflict_id(a.pos[0])) < 0) {
		fprintf(stderr, "%s: which conflict? (an id from 'conflicts list')\n", cmd);
		return EXIT_USAGE;
	}
	json = saola__args_get(&a, "--json") != NULL;
	if (!(s = open_store(cmd, saola__args_get(&a, "--db"))))
		return EXIT_FAIL;
	if (strcmp(sub, "list") == 0) {
		const char *limit = saola__args_get(&a, "--limit");
		rc = saola__conflict_list(s, saola__args_get(&a, "--status"),
		                          saola__args_get(&a, "--area"), limit ? atol(limit) : 0,
		                          &out, &e);
	} else if (strcmp(sub, "show") == 0) {
		rc = saola__conflict_show(s, id, getenv("SAOLA_LANG"), NULL, &out, &e);
	} else {
		rc = conflicts_resolve(s, &a, id);
		saola__store_close(s);
		return rc;
	}
	if (rc != 0) {
		fprintf(stderr, "%s: %s\n", cmd, e.message);
		saola__store_close(s);
		return saola__err_status(&e) == 400 ? EXIT_USAGE : EXIT_FAIL;
	}
	if (json) {
		json_dumpf(out, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else if (strcmp(sub, "list") == 0)
		print_list(out);
	else
		print_one(out);
	json_decref(out);
	saola__store_close(s);
	return 0;
}

/* 1 when a record's data (JSON text) has survey year year (0: any). */
static int of_year(const char *data, int year)
{
	json_t *doc, *y;
	int of;

	if (year == 0)
		return 1;
	doc = data ? json_loads(data, 0, NULL) : NULL;
	y = json_object_get(doc, "survey_year");
	of = json_is_number(y) && json_number_value(y) == (double)year;
	json_decref(doc);
	return of;
}

/* The ids of the submitted records that name area at any level (and are of
 * survey year year, 0: any), oldest first: a new array, NULL when the
 * query fails. */
static json_t *submitted_in(saola__store *s, const char *area, int year)
{
	static const char sql[] =
		"SELECT id, data FROM records WHERE state = 'submitted' AND deleted = 0 AND"
		" (province = ? OR district = ? OR commune = ?) ORDER BY created_at, id";
	saola__db *db = s ? saola__store_db(s) : NULL;
	saola__dbstmt *st = NULL;
	json_t *ids = json_array();
	int step = SAOLA_ERROR, i;

	if (db && ids && saola__db_prepare(db, sql, &st) == SAOLA_OK) {
		for (i = 1; i <= 3; i++)
			saola__db_bind_text(st, i, area, -1);
		/* The survey year is in the record's JSON. */
		while ((step = saola__db_step(st)) == SAOLA__DB_ROW)
			if (of_year(saola__db_column_text(st, 1), year))
				json_array_append_new(ids, json_string(saola__db_column_text(st, 0)));
	}
	saola__db_finalize(st);
	if (step != SAOLA__DB_DONE) {
		json_decref(ids);
		return NULL;
	}
	return ids;
}

/* `review approve --area CODE`: approves each submitted household of the
 * area, one transaction each (a failure stops, the ones before stay). */
static int approve_area(saola__officer *o, const char *area, const char *year)
{
	json_t *ids = submitted_in(o->store, area, year ? atoi(year) : 0), *id;
	saola__err e;
	size_t i, n = 0;

	if (!ids) {
		fprintf(stderr, "review approve: the records of %s cannot be read\n", area);
		return EXIT_FAIL;
	}
	json_array_foreach(ids, i, id) {
		if (saola__review_record(o, json_string_value(id), "approve", NULL, NULL, &e) != 0) {
			fprintf(stderr, "review approve: %s (%zu approved before it)\n", e.message, n);
			json_decref(ids);
			return EXIT_FAIL;
		}
		n++;
	}
	printf("approved %zu submitted household%s of %s\n", n, n == 1 ? "" : "s", area);
	json_decref(ids);
	return 0;
}

int saola__cmd_review(int argc, char **argv)
{
	static const char *const valued[] = {"--db", "--comment", "--by", "--area", "--year", NULL};
	const char *action, *area;
	saola__officer o;
	saola__args a;
	saola__store *s;
	saola__err e;
	json_t *out = NULL;
	char cmd[32];
	int rc;

	if (saola__args_help(argc, argv)) {
		printf("usage: %s\n", REVIEW_USAGE);
		return 0;
	}
	if (saola__args_parse(argc, argv, valued, NULL, 2, "review", &a) != 0 ||
	    !saola__args_get(&a, "--db") || a.npos < 1 ||
	    (strcmp(a.pos[0], "return") && strcmp(a.pos[0], "approve")))
		return usage(REVIEW_USAGE);
	action = a.pos[0];
	area = saola__args_get(&a, "--area");
	if (area ? a.npos != 1 || strcmp(action, "approve") != 0 : a.npos != 2)
		return usage(REVIEW_USAGE);
	snprintf(cmd, sizeof cmd, "review %s", action);
	if (strcmp(action, "return") == 0 && !saola__args_get(&a, "--comment")) {
		fprintf(stderr, "review return: --comment is required (what to survey again, and"
		        " why)\n");
		return EXIT_USAGE;
	}
	if (!(s = open_store(cmd, saola__args_get(&a, "--db"))))
		return EXIT_FAIL;
	memset(&o, 0, sizeof o);
	o.store = s;
	o.by = saola__args_get(&a, "--by") ? saola__args_get(&a, "--by") : "saola-server";
	if (area) {
		rc = approve_area(&o, area, saola__args_get(&a, "--year"));
		saola__store_close(s);
		return rc;
	}
	rc = saola__review_record(&o, a.pos[1], action, saola__args_get(&a, "--comment"),
	                          &out, &e);
	if (rc == 0)
		printf("record %s: %s%s%s\n", a.pos[1], str(out, "state"),
		       has(out, "comment") ? ": " : "", has(out, "comment") ? str(out, "comment") : "");
	else
		fprintf(stderr, "review: %s\n", e.message);
	json_decref(out);
	saola__store_close(s);
	return rc == 0 ? 0 : EXIT_FAIL;
}
