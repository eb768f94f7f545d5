/* util.c: option parsing, opening the database, and output helpers of the
 * saola command. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "json_out.h"

static const char *db_path;

const char *cli_db_path(void)
{
	const char *env = getenv("SAOLA_DB");

	if (db_path)
		return db_path;
	return env && *env ? env : "saola.db";
}

int cli_parse(int argc, char **argv, const cli_opt *opts, const char **pos,
              int maxpos, int *npos, const char *usage)
{
	int i, n = 0;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *eq, *val = NULL;
		size_t len;
		const cli_opt *o;

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			printf("usage: %s\n", usage);
			exit(0);
		}
		if (strncmp(arg, "--", 2) != 0 || strcmp(arg, "-") == 0) {
			if (n >= maxpos) {
				fprintf(stderr, "saola %s: unexpected argument \"%s\"\nusage: %s\n",
				        argv[0], arg, usage);
				return EXIT_USAGE;
			}
			pos[n++] = arg;
			continue;
		}
		eq = strchr(arg, '=');
		len = eq ? (size_t)(eq - arg) : strlen(arg);
		if (len == 4 && strncmp(arg, "--db", 4) == 0) {
			o = NULL;
		} else {
			for (o = opts; o && o->name; o++)
				if (strlen(o->name) == len && strncmp(o->name, arg, len) == 0)
					break;
			if (!o || !o->name) {
				fprintf(stderr, "saola %s: unknown option \"%.*s\"\nusage: %s\n",
				        argv[0], (int)len, arg, usage);
				return EXIT_USAGE;
			}
			if (o->flag) {
				if (eq) {
					fprintf(stderr, "saola %s: %s takes no value\n", argv[0], o->name);
					return EXIT_USAGE;
				}
				*o->flag = 1;
				continue;
			}
		}
		if (eq) {
			val = eq + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			fprintf(stderr, "saola %s: %.*s needs a value\nusage: %s\n",
			        argv[0], (int)len, arg, usage);
			return EXIT_USAGE;
		}
		if (o)
			*o->value = val;
		else
			db_path = val;
	}
	if (npos)
		*npos = n;
	return 0;
}

saola *cli_open(unsigned flags)
{
	saola *db = NULL;
	int rc = saola_open(cli_db_path(), flags, &db);

	if (rc != SAOLA_OK) {
		fprintf(stderr, "saola: %s\n", saola_errmsg(db));
		saola_close(db);
		return NULL;
	}
	saola_set_actor(db, getenv("SAOLA_USER"));
	return db;
}

int cli_fail(saola *db, const char *cmd)
{
	const char *msg = saola_errmsg(db);
	size_t n = strlen(cmd);

	/* The library's message may already name the operation. */
	if (strncmp(msg, cmd, n) == 0 && msg[n] == ':')
		msg += n + 2;
	fprintf(stderr, "saola %s: %s\n", cmd, msg);
	return 1;
}

char *cli_read_all(FILE *f, size_t *len)
{
	size_t cap = 65536, n = 0, got;
	char *buf = malloc(cap), *grown;

	if (!buf)
		return NULL;
	while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (cap - n - 1 == 0) {
			if (!(grown = realloc(buf, cap * 2))) {
				free(buf);
				return NULL;
			}
			buf = grown;
			cap *= 2;
		}
	}
	if (ferror(f)) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static int is_dir(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

const char *cli_schemas_dir(const char *given)
{
	const char *env = getenv("SAOLA_SCHEMAS");

	if (given)
		return given;
	if (env && *env)
		return env;
	if (is_dir(SAOLA_SCHEMAS_INSTALLED "/forms"))
		return SAOLA_SCHEMAS_INSTALLED;
	return SAOLA_SCHEMAS_SOURCE;
}

void cli_print_json(FILE *f, json_t *v)
{
	/* Reals as entered (98.6, not 98.599999999999994): the core's writer. */
	char *text = saola__json_dump_indent(v, 2, NULL);

	if (text)
		fputs(text, f);
	else
		json_dumpf(v, f, JSON_INDENT(2) | JSON_ENCODE_ANY);
	fputc('\n', f);
	free(text);
}

const char *cli_label(json_t *obj, const char *lang)
{
	const char *s;

	if (json_is_string(obj))
		return json_string_value(obj);
	if ((s = json_string_value(json_object_get(obj, lang ? lang : "vi"))))
		return s;
	if ((s = json_string_value(json_object_get(obj, "vi"))))
		return s;
	return json_string_value(json_object_get(obj, "en"));
}
