/* cmd_store.c: the subcommands that set up a device and read or write
 * single records: init, forms, put, get, list, delete, status. */
#include <stdlib.h>
#include <string.h>

#include <saola/sync.h>

#include "cli.h"
#include "json_out.h"

int cmd_init(int argc, char **argv)
{
	const char *schemas = NULL, *server = NULL, *token = NULL, *ca_file = NULL;
	int insecure = 0;
	const cli_opt opts[] = {
		{"--schemas", &schemas, NULL}, {"--server", &server, NULL},
		{"--token", &token, NULL}, {"--ca-file", &ca_file, NULL},
		{"--insecure-http", NULL, &insecure}, {NULL, NULL, NULL}};
	const char *usage = "saola init [--db PATH] [--schemas DIR] [--server URL --token T "
	                    "[--ca-file F] [--insecure-http]]";
	saola_sync_opts so;
	saola *db;
	int rc, n = 0;

	if ((rc = cli_parse(argc, argv, opts, NULL, 0, NULL, usage)))
		return rc;
	if ((server == NULL) != (token == NULL)) {
		fprintf(stderr, "saola init: --server and --token go together\nusage: %s\n", usage);
		return EXIT_USAGE;
	}
	if (!server && (ca_file || insecure)) {
		fprintf(stderr, "saola init: --ca-file and --insecure-http go with --server\n"
		        "usage: %s\n", usage);
		return EXIT_USAGE;
	}
	if (!(db = cli_open(SAOLA_OPEN_CREATE)))
		return 1;
	schemas = cli_schemas_dir(schemas);
	rc = saola_begin(db);
	if (rc == SAOLA_OK)
		rc = saola_forms_load_dir(db, schemas, &n);
	if (rc == SAOLA_OK)
		rc = saola_commit(db);
	if (rc != SAOLA_OK) {
		fprintf(stderr, "saola init: %s\n", saola_errmsg(db));
		saola_close(db);
		return 1;
	}
	printf("%s: device %s, %d form%s loaded from %s\n", cli_db_path(),
	       saola_origin(db), n, n == 1 ? "" : "s", schemas);
	if (server) {
		char was[40];
		snprintf(was, sizeof was, "%s", saola_origin(db));
		memset(&so, 0, sizeof so);
		so.ca_file = ca_file;
		so.insecure_http = insecure;
		if (saola_enrol(db, server, token, &so) != SAOLA_OK) {
			fprintf(stderr, "saola init: %s\n(the database is ready with the forms of %s; "
			        "run this again, or 'saola sync' once the server is reachable)\n",
			        saola_errmsg(db), schemas);
			saola_close(db);
			return 1;
		}
		if (strcmp(was, saola_origin(db)) != 0)
			printf("this database was enrolled before with another server or token: "
			       "device %s now has an origin of its own, %s (a device id belongs to "
			       "one enrolment); every queued change is kept\n", was, saola_origin(db));
		printf("enrolled with %s; 'saola sync' sends and receives\n", server);
	}
	saola_close(db);
	return 0;
}

int cmd_forms(int argc, char **argv)
{
	int json = 0;
	const cli_opt opts[] = {{"--json", NULL, &json}, {NULL, NULL, NULL}};
	saola *db;
	json_t *list = NULL, *f;
	size_t i;
	int rc;

	if (argc > 1 && (strcmp(argv[1], "import") == 0 || strcmp(argv[1], "export") == 0))
		return cmd_forms_xlsx(argc - 1, argv + 1);
	if ((rc = cli_parse(argc, argv, opts, NULL, 0, NULL,
	                    "saola forms [--db PATH] [--json]\n"
	                    "       saola forms import [--db PATH] FILE.xlsx\n"
	                    "       saola forms export [--db PATH] ID --out FILE.xlsx")))
		return rc;
	if (!(db = cli_open(SAOLA_OPEN_READONLY)))
		return 1;
	if (saola_forms_list(db, &list) != SAOLA_OK) {
		rc = cli_fail(db, "forms");
		saola_close(db);
		return rc;
	}
	if (json) {
		cli_print_json(stdout, list);
	} else {
		json_array_foreach(list, i, f) {
			if (!json_is_true(json_object_get(f, "current")))
				continue;
			const char *title = cli_label(json_object_get(f, "title"), getenv("SAOLA_LANG"));
			printf("%-12s %-10s %s\n", json_string_value(json_object_get(f, "id")),
			       json_string_value(json_object_get(f, "version")), title ? title : "");
		}
	}
	json_decref(list);
	saola_close(db);
	return 0;
}

int cmd_put(int argc, char **argv)
{
	const char *form = NULL, *id = NULL;
	const cli_opt opts[] = {{"--form", &form, NULL}, {"--id", &id, NULL},
	                        {NULL, NULL, NULL}};
	const char *usage = "saola put --form ID [--id RID] [--db PATH] < record.json";
	json_error_t jerr;
	json_t *data;
	char *text, out_id[37];
	saola *db;
	int rc;

	if ((rc = cli_parse(argc, argv, opts, NULL, 0, NULL, usage)))
		return rc;
	if (!form) {
		fprintf(stderr, "saola put: --form is required\nusage: %s\n", usage);
		return EXIT_USAGE;
	}
	if (!(text = cli_read_all(stdin, NULL))) {
		fprintf(stderr, "saola put: cannot read standard input\n");
		return 1;
	}
	data = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (!data) {
		fprintf(stderr, "saola put: stdin: line %d, column %d: %s\n",
		        jerr.line, jerr.column, jerr.text);
		return 1;
	}
	if (!json_is_object(data)) {
		fprintf(stderr, "saola put: stdin: expected a JSON object\n");
		json_decref(data);
		return 1;
	}
	if (!(db = cli_open(0))) {
		json_decref(data);
		return 1;
	}
	rc = saola_put(db, form, id, data, out_id);
	json_decref(data);
	if (rc != SAOLA_OK) {
		rc = cli_fail(db, "put");
		saola_close(db);
		return rc;
	}
	printf("%s\n", out_id);
	saola_close(db);
	return 0;
}

int cmd_get(int argc, char **argv)
{
	const char *pos[1];
	int n, rc;
	saola *db;
	json_t *rec;

	if ((rc = cli_parse(argc, argv, NULL, pos, 1, &n, "saola get ID [--db PATH]")))
		return rc;
	if (n != 1) {
		fprintf(stderr, "saola get: which record?\nusage: saola get ID [--db PATH]\n");
		return EXIT_USAGE;
	}
	if (!(db = cli_open(SAOLA_OPEN_READONLY)))
		return 1;
	if (saola_get(db, pos[0], &rec) != SAOLA_OK) {
		rc = cli_fail(db, "get");
		saola_close(db);
		return rc;
	}
	cli_print_json(stdout, rec);
	json_decref(rec);
	saola_close(db);
	return 0;
}

typedef struct list_ctx {
	int json;
	long count;
} list_ctx;

static int print_row(void *ctx, json_t *rec)
{
	list_ctx *lc = ctx;
	json_t *data = json_object_get(rec, "data");
	const char *head = json_string_value(json_object_get(data, "head_name"));
	const char *cls = json_string_value(json_object_get(data, "classification"));
	const char *commune = json_string_value(json_object_get(data, "commune"));

	lc->count++;
	if (lc->json) {
		char *text = saola__json_dump(rec, NULL);
		if (!text)
			return SAOLA_NOMEM;
		puts(text);
		free(text);
		return 0;
	}
	printf("%s  %-10s %-9s %s %-5s %-10s %s%s\n",
	       json_string_value(json_object_get(rec, "id")),
	       json_string_value(json_object_get(rec, "form")),
	       json_string_value(json_object_get(rec, "state")),
	       json_string_value(json_object_get(json_object_get(rec, "meta"), "updated_at")),
	       commune ? commune : "-", cls ? cls : "-", head ? head : "",
	       json_is_true(json_object_get(rec, "deleted")) ? " (deleted)" : "");
	return 0;
}

int cmd_list(int argc, char **argv)
{
	const char *form = NULL;
	int deleted = 0, rc;
	list_ctx lc = {0, 0};
	const cli_opt opts[] = {{"--form", &form, NULL}, {"--deleted", NULL, &deleted},
	                        {"--json", NULL, &lc.json}, {NULL, NULL, NULL}};
	saola_list_opts lo;
	saola *db;

	if ((rc = cli_parse(argc, argv, opts, NULL, 0, NULL,
	                    "saola list [--db PATH] [--form ID] [--deleted] [--json]")))
		return rc;
	if (!(db = cli_open(SAOLA_OPEN_READONLY)))
		return 1;
	lo.form_id = form;
	lo.include_deleted = deleted;
	lo.with_data = 1;
	if (saola_list(db, &lo, print_row, &lc) != SAOLA_OK) {
		rc = cli_fail(db, "list");
		saola_close(db);
		return rc;
	}
	if (!lc.json)
		fprintf(stderr, "%ld record%s\n", lc.count, lc.count == 1 ? "" : "s");
	saola_close(db);
	return 0;
}

int cmd_delete(int argc, char **argv)
{
	const char *pos[1];
	int n, rc;
	saola *db;

	if ((rc = cli_parse(argc, argv, NULL, pos, 1, &n, "saola delete ID [--db PATH]")))
		return rc;
	if (n != 1) {
		fprintf(stderr, "saola delete: which record?\nusage: saola delete ID [--db PATH]\n");
		return EXIT_USAGE;
	}
	if (!(db = cli_open(0)))
		return 1;
	if (saola_delete(db, pos[0]) != SAOLA_OK) {
		rc = cli_fail(db, "delete");
		saola_close(db);
		return rc;
	}
	printf("deleted %s\n", pos[0]);
	saola_close(db);
	return 0;
}

/* The last re-origin, saved as "OLD NEW when". */
static void print_reorigin(const char *v)
{
	char old[40] = "", fresh[40] = "", when[40] = "";

	if (sscanf(v, "%39s %39s %39s", old, fresh, when) == 3)
		printf("re-origin:  %s: device %s took origin %s (a copied database or a new "
		       "enrolment; every queued change kept)\n", when, old, fresh);
}

int cmd_status(int argc, char **argv)
{
	int json = 0, rc;
	const cli_opt opts[] = {{"--json", NULL, &json}, {NULL, NULL, NULL}};
	saola *db;
	json_t *st, *sync, *states;
	const char *server, *last, *conflicts, *conflicted, *reorigined;

	if ((rc = cli_parse(argc, argv, opts, NULL, 0, NULL, "saola status [--db PATH] [--json]")))
		return rc;
	if (!(db = cli_open(SAOLA_OPEN_READONLY)))
		return 1;
	if (saola_status(db, &st) != SAOLA_OK) {
		rc = cli_fail(db, "status");
		saola_close(db);
		return rc;
	}
	if (json) {
		cli_print_json(stdout, st);
	} else {
		sync = json_object_get(st, "sync");
		server = json_string_value(json_object_get(sync, "server"));
		last = json_string_value(json_object_get(sync, "last_sync"));
		conflicts = json_string_value(json_object_get(sync, "last_conflicts"));
		conflicted = json_string_value(json_object_get(sync, "last_conflicted"));
		states = json_object_get(st, "states");
		printf("database:   %s (device %s, schema %d)\n", cli_db_path(),
		       saola_origin(db), saola_schema_version(db));
		printf("records:    %lld (%lld deleted)\n",
		       (long long)json_integer_value(json_object_get(st, "records")),
		       (long long)json_integer_value(json_object_get(st, "deleted")));
		printf("queued:     %lld change%s to %lld record%s, not yet sent\n",
		       (long long)json_integer_value(json_object_get(st, "outbox")),
		       json_integer_value(json_object_get(st, "outbox")) == 1 ? "" : "s",
		       (long long)json_integer_value(json_object_get(st, "outbox_records")),
		       json_integer_value(json_object_get(st, "outbox_records")) == 1 ? "" : "s");
		if (json_integer_value(json_object_get(st, "issues")) > 0)
			printf("to mend:    %lld record%s that a merge left failing the form"
			       " (saola get ID shows why)\n",
			       (long long)json_integer_value(json_object_get(st, "issues")),
			       json_integer_value(json_object_get(st, "issues")) == 1 ? "" : "s");
		printf("forms:      %lld\n",
		       (long long)json_integer_value(json_object_get(st, "forms")));
		printf("server:     %s\n", server ? server : "none (not enrolled)");
		printf("last sync:  %s\n", last ? last : "never");
		if (json_object_get(sync, "lineage_next"))
			printf("unfinished: the last sync was cut before the server answered (the"
			       " next one settles it first)\n");
		if ((reorigined = json_string_value(json_object_get(sync, "reorigined"))))
			print_reorigin(reorigined);
		if (conflicted)
			printf("conflicts:  %s value%s in %s record%s at the last sync\n", conflicts,
			       conflicts && strcmp(conflicts, "1") == 0 ? "" : "s", conflicted,
			       strcmp(conflicted, "1") == 0 ? "" : "s");
		else
			printf("conflicts:  %s at the last sync\n", conflicts ? conflicts : "none");
		printf("review:     %lld draft, %lld submitted, %lld returned for re-survey,"
		       " %lld approved\n",
		       (long long)json_integer_value(json_object_get(states, "draft")),
		       (long long)json_integer_value(json_object_get(states, "submitted")),
		       (long long)json_integer_value(json_object_get(states, "returned")),
		       (long long)json_integer_value(json_object_get(states, "approved")));
	}
	json_decref(st);
	saola_close(db);
	return 0;
}
