/* cmd_args.c: the argument parser of the saola-server commands that take
 * flags as well as options with values. */
#include <stdio.h>
#include <string.h>

#include "cmd_args.h"

/* The entry of list equal to the first len bytes of s, or NULL. */
static const char *match(const char *const *list, const char *s, size_t len)
{
	int i;

	for (i = 0; list && list[i]; i++)
		if (strlen(list[i]) == len && strncmp(list[i], s, len) == 0)
			return list[i];
	return NULL;
}

int saola__args_parse(int argc, char **argv, const char *const *valued,
                      const char *const *flags, int maxpos, const char *cmd,
                      saola__args *a)
{
	int i;

	memset(a, 0, sizeof *a);
	for (i = 0; i < argc; i++) {
		const char *s = argv[i], *eq, *name;
		size_t len;

		if (strncmp(s, "--", 2) != 0 || strcmp(s, "--") == 0) {
			if (a->npos >= maxpos || a->npos >= 4) {
				fprintf(stderr, "%s: unexpected argument \"%s\"\n", cmd, s);
				return -1;
			}
			a->pos[a->npos++] = s;
			continue;
		}
		eq = strchr(s, '=');
		len = eq ? (size_t)(eq - s) : strlen(s);
		if (a->n == SAOLA__ARGS_MAX) {
			fprintf(stderr, "%s: too many options\n", cmd);
			return -1;
		}
		if ((name = match(flags, s, len))) {
			if (eq) {
				fprintf(stderr, "%s: option %s takes no value\n", cmd, name);
				return -1;
			}
			a->name[a->n] = name;
			a->value[a->n++] = "";
			continue;
		}
		if (!(name = match(valued, s, len))) {
			fprintf(stderr, "%s: unknown option %.*s\n", cmd, (int)len, s);
			return -1;
		}
		if (!eq && i + 1 >= argc) {
			fprintf(stderr, "%s: option %s needs a value\n", cmd, name);
			return -1;
		}
		a->name[a->n] = name;
		a->value[a->n++] = eq ? eq + 1 : argv[++i];
	}
	return 0;
}

const char *saola__args_get(const saola__args *a, const char *name)
{
	int i;

	for (i = a->n - 1; i >= 0; i--)
		if (strcmp(a->name[i], name) == 0)
			return a->value[i];
	return NULL;
}

int saola__args_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}
