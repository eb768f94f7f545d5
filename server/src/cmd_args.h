/* cmd_args.h: the argument parser of the saola-server commands that take
 * flags as well as "--name VALUE" options (conflicts, review, sync). */
#ifndef SAOLA_CMD_ARGS_H
#define SAOLA_CMD_ARGS_H

#define SAOLA__ARGS_MAX 16

typedef struct saola__args {
	const char *name[SAOLA__ARGS_MAX];   /* as allowed: "--db", "--keep" */
	const char *value[SAOLA__ARGS_MAX];  /* NULL for a flag */
	int n;
	const char *pos[4];                  /* positional arguments, in order */
	int npos;
} saola__args;

/* Parses argv: "--name VALUE" or "--name=VALUE" for the names of valued,
 * "--name" alone for those of flags (NULL-terminated lists; flags may be
 * NULL), and at most maxpos (up to 4) positional arguments, anywhere.
 * 0, or -1 after printing "cmd: what is wrong" on stderr. */
int saola__args_parse(int argc, char **argv, const char *const *valued,
                      const char *const *flags, int maxpos, const char *cmd,
                      saola__args *a);

/* The value of option name (NULL when absent); for a flag, "" when given. */
const char *saola__args_get(const saola__args *a, const char *name);

/* 1 when argv holds --help or -h. */
int saola__args_help(int argc, char **argv);

#endif
