/* cmd_review.c: the submit subcommand: a surveyor submits a record (a
 * draft, or one returned for re-survey) for the commune's review; the
 * change is queued and syncs like any other. */
#include <string.h>

#include "cli.h"

int cmd_submit(int argc, char **argv)
{
	const char *comment = NULL;
	const cli_opt opts[] = {{"--comment", &comment, NULL}, {NULL, NULL, NULL}};
	const char *usage = "saola submit ID [--db PATH] [--comment TEXT]";
	const char *pos[1];
	saola *db;
	int n, rc;

	if ((rc = cli_parse(argc, argv, opts, pos, 1, &n, usage)))
		return rc;
	if (n != 1) {
		fprintf(stderr, "saola submit: which record?\nusage: %s\n", usage);
		return EXIT_USAGE;
	}
	if (!(db = cli_open(0)))
		return 1;
	if (saola_set_state(db, pos[0], "submitted", comment) != SAOLA_OK) {
		rc = cli_fail(db, "submit");
		saola_close(db);
		return rc;
	}
	printf("submitted %s; it goes to the commune at the next sync\n", pos[0]);
	saola_close(db);
	return 0;
}
