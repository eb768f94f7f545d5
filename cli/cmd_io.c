/* cmd_io.c: importing records from JSON Lines (all or nothing) and
 * exporting them as CSV (one row per record; repeat items in a second file). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_import(int argc, char **argv)
{
	const char *form = NULL, *pos[1];
	const cli_opt opts[] = {{"--form", &form, NULL}, {NULL, NULL, NULL}};
	const char *usage = "saola import --form ID FILE.jsonl [--db PATH]  (FILE - reads stdin)";
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0, count = 0;
	FILE *in;
	saola *db;
	int n, rc;

	if ((rc = cli_parse(argc, argv, opts, pos, 1, &n, usage)))
		return rc;
	if (!form || n != 1) {
		fprintf(stderr, "saola import: --form and a file are required\nusage: %s\n", usage);
		return EXIT_USAGE;
	}
	in = strcmp(pos[0], "-") == 0 ? stdin : fopen(pos[0], "r");
	if (!in) {
		fprintf(stderr, "saola import: %s: cannot open: %s\n", pos[0], strerror(errno));
		return 1;
	}
	if (!(db = cli_open(0))) {
		if (in != stdin)
			fclose(in);
		return 1;
	}
	rc = saola_begin(db);
	while (rc == SAOLA_OK && (len = getline(&line, &cap, in)) >= 0) {
		json_error_t jerr;
		json_t *rec;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (strspn(line, " \t") == (size_t)len)
			continue; /* a blank line */
		rec = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
		if (!rec) {
			fprintf(stderr, "saola import: %s: line %ld, column %d: %s\n",
			        pos[0], lineno, jerr.column, jerr.text);
			rc = SAOLA_INVALID;
			break;
		}
		if (!json_is_object(rec)) {
			fprintf(stderr, "saola import: %s: line %ld: expected a JSON object\n",
			        pos[0], lineno);
			json_decref(rec);
			rc = SAOLA_INVALID;
			break;
		}
		rc = saola_put(db, form, NULL, rec, NULL);
		json_decref(rec);
		if (rc != SAOLA_OK) {
			fprintf(stderr, "saola import: %s: line %ld: %s\n", pos[0], lineno,
			        saola_errmsg(db));
			break;
		}
		count++;
	}
	if (rc == SAOLA_OK && ferror(in)) {
		fprintf(stderr, "saola import: %s: read error\n", pos[0]);
		rc = SAOLA_IO;
	}
	if (rc == SAOLA_OK) {
		if ((rc = saola_commit(db)) != SAOLA_OK)
			cli_fail(db, "import");
	} else if (lineno == 0 || rc == SAOLA_BUSY || rc == SAOLA_READONLY) {
		cli_fail(db, "import");
	}
	if (rc != SAOLA_OK) {
		saola_rollback(db);
		fprintf(stderr, "saola import: nothing imported\n");
	} else {
		printf("imported %ld record%s of form %s\n", count, count == 1 ? "" : "s", form);
	}
	free(line);
	if (in != stdin)
		fclose(in);
	saola_close(db);
	return rc == SAOLA_OK ? 0 : 1;
}

/* ---- CSV export ---- */

typedef struct columns {
	json_t *top;     /* array of field names, in form order */
	json_t *repeats; /* {repeat name: array of its field names} */
} columns;

static void collect(json_t *fields, json_t *into, json_t *repeats)
{
	json_t *fd;
	size_t i;

	json_array_foreach(fields, i, fd) {
		const char *type = json_string_value(json_object_get(fd, "type"));
		const char *name = json_string_value(json_object_get(fd, "name"));
		if (!type)
			continue;
		if (strcmp(type, "group") == 0) {
			collect(json_object_get(fd, "fields"), into, repeats);
		} else if (strcmp(type, "repeat") == 0 && name) {
			json_t *sub = json_array();
			collect(json_object_get(fd, "fields"), sub, repeats);
			json_object_set_new(repeats, name, sub);
		} else if (strcmp(type, "note") != 0 && name) {
			json_array_append_new(into, json_string(name));
		}
	}
}

static void csv_cell(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_value(FILE *f, json_t *v)
{
	char buf[64];
	size_t i;
	json_t *it;

	if (!v)
		return; /* unanswered: an empty cell */
	switch (json_typeof(v)) {
	case JSON_STRING: csv_cell(f, json_string_value(v)); break;
	case JSON_INTEGER:
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, sizeof buf, "%.15g", json_real_value(v));
		fputs(buf, f);
		break;
	case JSON_TRUE: fputs("1", f); break;
	case JSON_FALSE: fputs("0", f); break;
	case JSON_ARRAY: {
		/* select_multiple: values joined by spaces, as ODK exports them */
		size_t need = 1;
		char *joined, *p;
		json_array_foreach(v, i, it)
			need += strlen(json_string_value(it) ? json_string_value(it) : "") + 1;
		if (!(joined = p = calloc(1, need)))
			break;
		json_array_foreach(v, i, it) {
			const char *s = json_string_value(it) ? json_string_value(it) : "";
			if (i)
				*p++ = ' ';
			strcpy(p, s);
			p += strlen(s);
		}
		csv_cell(f, joined);
		free(joined);
		break;
	}
	default: break;
	}
}

static void csv_header(FILE *f, int bom, const char *first, json_t *names,
                       const char *last)
{
	json_t *n;
	size_t i;

	if (bom)
		fputs("\xEF\xBB\xBF", f);
	fputs(first, f);
	json_array_foreach(names, i, n) {
		fputc(',', f);
		csv_cell(f, json_string_value(n));
	}
	if (last)
		fprintf(f, ",%s", last);
	fputs("\r\n", f);
}

typedef struct export_ctx {
	columns cols;
	FILE *main;
	FILE *rep[16];
	const char *repname[16];
	int nrep;
	long rows;
} export_ctx;

static int export_row(void *vctx, json_t *rec)
{
	export_ctx *x = vctx;
	json_t *data = json_object_get(rec, "data"), *n;
	const char *id = json_string_value(json_object_get(rec, "id"));
	size_t i;
	int r;

	csv_cell(x->main, id);
	json_array_foreach(x->cols.top, i, n) {
		fputc(',', x->main);
		csv_value(x->main, json_object_get(data, json_string_value(n)));
	}
	fputc(',', x->main);
	csv_cell(x->main, json_string_value(json_object_get(rec, "state")));
	fputc(',', x->main);
	csv_cell(x->main, json_string_value(json_object_get(json_object_get(rec, "meta"),
	                                                     "updated_at")));
	fputs("\r\n", x->main);
	for (r = 0; r < x->nrep; r++) {
		json_t *items = json_object_get(data, x->repname[r]), *item;
		json_t *names = json_object_get(x->cols.repeats, x->repname[r]);
		size_t j;
		json_array_foreach(items, j, item) {
			csv_cell(x->rep[r], id);
			fprintf(x->rep[r], ",%zu,", j + 1);
			csv_value(x->rep[r], json_object_get(item, "_id"));
			json_array_foreach(names, i, n) {
				fputc(',', x->rep[r]);
				csv_value(x->rep[r], json_object_get(item, json_string_value(n)));
			}
			fputs("\r\n", x->rep[r]);
		}
	}
	x->rows++;
	return 0;
}

int cmd_export(int argc, char **argv)
{
	const char *form = NULL, *format = "csv", *out = NULL;
	int nobom = 0, rc = 1, r;
	const cli_opt opts[] = {{"--form", &form, NULL}, {"--format", &format, NULL},
	                        {"--out", &out, NULL}, {"--no-bom", NULL, &nobom},
	                        {NULL, NULL, NULL}};
	const char *usage = "saola export --form ID --format csv [--out BASE|-] [--no-bom] [--db PATH]\n"
	                    "  writes BASE.csv (one row per record) and BASE-REPEAT.csv per repeat;\n"
	                    "  BASE defaults to the form id; --out - writes the records to stdout";
	export_ctx x;
	saola_list_opts lo;
	json_t *def = NULL;
	const char *name;
	json_t *names;
	char path[4096];
	saola *db;

	memset(&x, 0, sizeof x);
	if ((r = cli_parse(argc, argv, opts, NULL, 0, NULL, usage)))
		return r;
	if (!form || strcmp(format, "csv") != 0) {
		fprintf(stderr, "saola export: --form is required and --format must be csv\nusage: %s\n",
		        usage);
		return EXIT_USAGE;
	}
	if (!out)
		out = form;
	if (!(db = cli_open(SAOLA_OPEN_READONLY)))
		return 1;
	if (saola_form_get(db, form, &def) != SAOLA_OK) {
		rc = cli_fail(db, "export");
		goto out;
	}
	x.cols.top = json_array();
	x.cols.repeats = json_object();
	collect(json_object_get(def, "fields"), x.cols.top, x.cols.repeats);
	if (strcmp(out, "-") == 0) {
		x.main = stdout;
	} else {
		snprintf(path, sizeof path, "%s.csv", out);
		if (!(x.main = fopen(path, "w"))) {
			fprintf(stderr, "saola export: %s: cannot write: %s\n", path, strerror(errno));
			goto out;
		}
		json_object_foreach(x.cols.repeats, name, names) {
			if (x.nrep == 16)
				break;
			snprintf(path, sizeof path, "%s-%s.csv", out, name);
			if (!(x.rep[x.nrep] = fopen(path, "w"))) {
				fprintf(stderr, "saola export: %s: cannot write: %s\n", path, strerror(errno));
				goto out;
			}
			x.repname[x.nrep] = name;
			csv_header(x.rep[x.nrep], !nobom, "record_id,position,item_id", names, NULL);
			x.nrep++;
		}
	}
	csv_header(x.main, !nobom, "id", x.cols.top, "state,updated_at");
	lo.form_id = form;
	lo.include_deleted = 0;
	lo.with_data = 1;
	if (saola_list(db, &lo, export_row, &x) != SAOLA_OK) {
		rc = cli_fail(db, "export");
		goto out;
	}
	rc = 0;
	if (x.main != stdout) {
		fprintf(stderr, "exported %ld record%s to %s.csv", x.rows, x.rows == 1 ? "" : "s", out);
		for (r = 0; r < x.nrep; r++)
			fprintf(stderr, ", %s-%s.csv", out, x.repname[r]);
		fputc('\n', stderr);
	}
out:
	if (x.main && x.main != stdout && fclose(x.main) != 0)
		rc = 1;
	for (r = 0; r < x.nrep; r++)
		if (fclose(x.rep[r]) != 0)
			rc = 1;
	json_decref(x.cols.top);
	json_decref(x.cols.repeats);
	json_decref(def);
	saola_close(db);
	return rc;
}
