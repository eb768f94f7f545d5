/* audit_cmd.c: the saola-server command `audit`: a record's history from
 * the audit log (or a user's changes), oldest first, as a table or JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cmd_args.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

#define AUDIT_USAGE \
	"saola-server audit --db PATH --record ID [--user NAME] [--since DATE]\n" \
	"                  [--format table|json]\n" \
	"       saola-server audit --db PATH --user NAME [--since DATE] [--format table|json]\n" \
	"what the server accepted, oldest first: when, who (user, device), from where\n" \
	"(sync, bundle, officer, upstream), which batch, and each field's new value or\n" \
	"review state (the values of personal fields are not kept in the log); DATE is\n" \
	"YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)"

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

/* Prints s in width characters (UTF-8 counted by characters), cut with
 * "~" when longer, then two spaces. */
static void pad(const char *s, int width)
{
	const char *p = s;
	int n = 0;

	while (*p && n < width) {
		const char *q = p + 1;
		while ((*q & 0xc0) == 0x80)
			q++;
		if (n == width - 1 && *q) {
			putchar('~');
			p = q + strlen(q);
			n++;
			break;
		}
		fwrite(p, 1, (size_t)(q - p), stdout);
		p = q;
		n++;
	}
	for (; n < width; n++)
		putchar(' ');
	fputs("  ", stdout);
}

/* 1 when rows a and b came with one change (one merge, one officer's
 * action): the same time, record, people, batch and action. */
static int same_change(json_t *a, json_t *b)
{
	static const char *const keys[] = {"at", "record", "user", "device", "source", "batch",
	                                   "action"};
	size_t i;

	if (!a || !b)
		return 0;
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!json_equal(json_object_get(a, keys[i]), json_object_get(b, keys[i])) &&
		    (json_object_get(a, keys[i]) || json_object_get(b, keys[i])))
			return 0;
	return 1;
}

/* The line that heads a change: when, what, who, from where:
 * "2025-03-15T08:00:00Z  edit by lan on device 1a2b3c (sync, batch b-17)". */
static void print_head(json_t *row, int with_record)
{
	const char *user = json_string_value(json_object_get(row, "user"));
	const char *device = json_string_value(json_object_get(row, "device"));
	const char *batch = json_string_value(json_object_get(row, "batch"));

	printf("%s  %s", str(row, "at"), str(row, "action"));
	if (with_record)
		printf(" of record %s", str(row, "record"));
	if (user)
		printf(" by %s", user);
	if (device)
		printf(" on device %s", device);
	printf(" (%s%s%s)\n", str(row, "source"), batch ? ", batch " : "", batch ? batch : "");
}

/* A path and its new value: the value as JSON, "(personal)" for a personal
 * answer, "-" for none (a note); the row's remarks after it. */
static void print_path(json_t *row)
{
	json_t *v = json_object_get(row, "value");
	const char *detail = json_string_value(json_object_get(row, "detail"));
	char *text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	fputs("    ", stdout);
	pad(str(row, "path"), 38);
	if (json_is_true(json_object_get(row, "personal")))
		fputs("(personal)", stdout);
	else
		fputs(text ? text : "-", stdout);
	if (detail && strcmp(detail, "personal") != 0)
		printf("  [%s]", detail);
	putchar('\n');
	free(text);
}

/* The rows as changes, each headed by when, what and who, with its paths
 * below. */
static void print_table(json_t *rows, const char *record_id)
{
	json_t *row, *prev = NULL;
	size_t i;

	json_array_foreach(rows, i, row) {
		if (!same_change(prev, row))
			print_head(row, !record_id);
		print_path(row);
		prev = row;
	}
}

int saola__cmd_audit(int argc, char **argv)
{
	static const char *const valued[] = {"--db", "--record", "--user", "--since", "--format",
	                                     NULL};
	const char *record_id, *user, *format;
	saola__args a;
	saola__store *s = NULL;
	saola__err e;
	json_t *rows = NULL;
	char err[SAOLA__ERR_MAX];
	int rc;

	if (saola__args_help(argc, argv)) {
		printf("usage: %s\n", AUDIT_USAGE);
		return 0;
	}
	if (saola__args_parse(argc, argv, valued, NULL, 0, "audit", &a) != 0 ||
	    !saola__args_get(&a, "--db"))
		goto usage;
	record_id = saola__args_get(&a, "--record");
	user = saola__args_get(&a, "--user");
	format = saola__args_get(&a, "--format") ? saola__args_get(&a, "--format") : "table";
	if (!record_id && !user) {
		fprintf(stderr, "audit: whose history? (--record ID, or --user NAME)\n");
		goto usage;
	}
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0) {
		fprintf(stderr, "audit: --format \"%s\": expected table or json\n", format);
		goto usage;
	}
	if (saola__store_open(saola__args_get(&a, "--db"), NULL, 0, &s, err,
	                             sizeof err) != SAOLA_OK) {
		fprintf(stderr, "audit: %s\n", err);
		return EXIT_FAIL;
	}
	rc = saola__audit_history(s, record_id, user, saola__args_get(&a, "--since"), &rows, &e);
	saola__store_close(s);
	if (rc != 0) {
		fprintf(stderr, "%s\n", e.message);
		return saola__err_status(&e) == 400 ? EXIT_USAGE : EXIT_FAIL;
	}
	if (strcmp(format, "json") == 0) {
		json_t *doc = json_pack("{s:s?, s:s?, s:s?, s:O}", "record", record_id, "user", user,
		                        "since", saola__args_get(&a, "--since"), "changes", rows);
		if (!doc || json_dumpf(doc, stdout, JSON_INDENT(2)) != 0) {
			fprintf(stderr, "audit: out of memory\n");
			json_decref(doc);
			json_decref(rows);
			return EXIT_FAIL;
		}
		fputc('\n', stdout);
		json_decref(doc);
	} else if (json_array_size(rows) == 0) {
		printf("%s%s%s%s: no audited changes%s\n", record_id ? "record " : "",
		       record_id ? record_id : "", record_id && user ? " by " : user ? "user " : "",
		       user ? user : "", record_id && !user && !saola__args_get(&a, "--since")
		       ? " (changes made before the audit log existed, server schema 5, are not in"
		       " it)" : "");
	} else {
		print_table(rows, record_id);
	}
	json_decref(rows);
	return 0;
usage:
	fprintf(stderr, "usage: %s\n", AUDIT_USAGE);
	return EXIT_USAGE;
}
