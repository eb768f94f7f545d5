/* main.c: the saola device command: dispatch to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{"init", cmd_init, "create the device database and load the forms"},
	{"forms", cmd_forms, "list the forms; import or export one as an XLSForm"},
	{"put", cmd_put, "save one record read as JSON from stdin; prints its id"},
	{"get", cmd_get, "print a record, with its computed fields"},
	{"list", cmd_list, "list the records"},
	{"delete", cmd_delete, "delete a record (a tombstone that syncs)"},
	{"submit", cmd_submit, "submit a record for the commune's review"},
	{"import", cmd_import, "import records from a JSON Lines file, all or nothing"},
	{"export", cmd_export, "export records as CSV"},
	{"status", cmd_status, "queued changes, last sync, conflicts"},
	{"fill", cmd_fill, "fill a form in an interview, question by question"},
	{"sync", cmd_sync, "send queued changes and receive the area's records (or by file)"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: saola COMMAND [--db PATH] [options]\n\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'saola COMMAND --help' shows a command's options.\n"
	           "The database is --db PATH, else $SAOLA_DB, else ./saola.db.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("saola %s\n", SAOLA_VERSION);
		return 0;
	}
	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "saola: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
