/* cmd_review.c: the submit subcommand: a surveyor submits a record (a
 * draft, or one returned for re-survey) for the commune's review, or with
 * --all every such household of the device at once; the change is queued
 * and syncs like any other. */
#include <string.h>

#include "cli.h"

/* Collects the ids of the records a surveyor may submit (draft or
 * returned, not deleted) into the array ctx. */
static int collect_open(void *ctx, json_t *rec)
{
	const char *state = json_string_value(json_object_get(rec, "state"));

	if (!state || strcmp(state, "draft") == 0 || strcmp(state, "returned") == 0)
		return json_array_append(ctx, json_object_get(rec, "id"));
	return 0;
}

/* Submits every draft or returned record of form (NULL: every form), all
 * or nothing. */
static int submit_all(saola *db, const char *form, const char *comment)
{
	saola_list_opts lo = {form, 0, 0};
	json_t *ids = json_array(), *id;
	size_t i;
	int rc;

	if (!ids || saola_list(db, &lo, collect_open, ids) != SAOLA_OK ||
	    saola_begin(db) != SAOLA_OK) {
		json_decref(ids);
		return cli_fail(db, "submit");
	}
	json_array_foreach(ids, i, id)
		if (saola_set_state(db, json_string_value(id), "submitted", comment) != SAOLA_OK) {
			rc = cli_fail(db, "submit");
			saola_rollback(db);
			json_decref(ids);
			return rc;
		}
	if (saola_commit(db) != SAOLA_OK) {
		json_decref(ids);
		return cli_fail(db, "submit");
	}
	printf("submitted %zu record%s; they go to the commune at the next sync\n",
	       json_array_size(ids), json_array_size(ids) == 1 ? "" : "s");
	json_decref(ids);
	return 0;
}

int cmd_submit(int argc, char **argv)
{
	const char *comment = NULL, *form = NULL;
	int all = 0;
	const cli_opt opts[] = {{"--comment", &comment, NULL}, {"--form", &form, NULL},
	                        {"--all", NULL, &all}, {NULL, NULL, NULL}};
	const char *usage = "saola submit (ID | --all [--form ID]) [--db PATH] [--comment TEXT]";
	const char *pos[1];
	saola *db;
	int n, rc;

	if ((rc = cli_parse(argc, argv, opts, pos, 1, &n, usage)))
		return rc;
	if (n != !all || (form && !all)) {
		fprintf(stderr, "saola submit: %s\nusage: %s\n",
		        all ? "--all takes no record id" : "which record?", usage);
		return EXIT_USAGE;
	}
	if (!(db = cli_open(0)))
		return 1;
	if (all) {
		rc = submit_all(db, form, comment);
		saola_close(db);
		return rc;
	}
	if (saola_set_state(db, pos[0], "submitted", comment) != SAOLA_OK) {
		rc = cli_fail(db, "submit");
		saola_close(db);
		return rc;
	}
	printf("submitted %s; it goes to the commune at the next sync\n", pos[0]);
	saola_close(db);
	return 0;
}
