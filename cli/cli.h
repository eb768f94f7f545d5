/* cli.h: shared helpers of the saola device command. */
#ifndef SAOLA_CLI_H
#define SAOLA_CLI_H

#include <stdio.h>
#include <saola/core.h>

#define EXIT_USAGE 2

/* One option of a subcommand: "--name" with a value, or a flag. */
typedef struct cli_opt {
	const char *name;
	const char **value; /* set for options that take a value */
	int *flag;          /* set for flags */
} cli_opt;

/* Parses argv[1..] (argv[0] is the subcommand) against opts, accepting
 * "--name value" and "--name=value"; positionals go to pos (at most maxpos).
 * "--db PATH" is accepted by every subcommand. Returns 0, or EXIT_USAGE after
 * printing what is wrong and the usage line. */
int cli_parse(int argc, char **argv, const cli_opt *opts, const char **pos,
              int maxpos, int *npos, const char *usage);

/* The database path: --db, else $SAOLA_DB, else "saola.db". */
const char *cli_db_path(void);

/* Opens the database; prints the error and returns NULL on failure. */
saola *cli_open(unsigned flags);

/* Prints "saola CMD: message" for the handle's last error; returns 1. */
int cli_fail(saola *db, const char *cmd);

/* Reads all of f into a new NUL-terminated buffer (free()); NULL on error. */
char *cli_read_all(FILE *f, size_t *len);

/* The folder of the shipped forms and standards: --schemas, $SAOLA_SCHEMAS,
 * the installed copy, or the source tree's. */
const char *cli_schemas_dir(const char *given);

/* Prints a JSON value, indented, followed by a newline. */
void cli_print_json(FILE *f, json_t *v);

/* A label in the language wanted: obj may be a string or {"vi":..,"en":..}. */
const char *cli_label(json_t *obj, const char *lang);

int cmd_init(int argc, char **argv);
int cmd_forms(int argc, char **argv);
/* saola forms import|export (argv[0] is "import" or "export"). */
int cmd_forms_xlsx(int argc, char **argv);
int cmd_put(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_submit(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_fill(int argc, char **argv);
int cmd_sync(int argc, char **argv);

#endif
