/* cmd_forms_xlsx.c: saola forms import and saola forms export: a form from
 * an XLSForm tried offline on this device, and a form written out as one
 * (docs/forms.md, "XLSForm"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#ifdef SAOLA_HAVE_XLSFORM
#include "saola/xlsform.h"
#include "saola_int.h" /* forms_strict: an author's import is checked */
#endif

#define IMPORT_USAGE "saola forms import [--db PATH] FILE.xlsx"
#define EXPORT_USAGE "saola forms export [--db PATH] ID --out FILE.xlsx"

#ifdef SAOLA_HAVE_XLSFORM
/* Reads the workbook first, so that a bad file leaves the database alone;
 * then loads it as saola_form_load loads any form: compiled, checked, and
 * refused when it would break the records stored under its form. */
static int forms_import(int argc, char **argv)
{
	const cli_opt opts[] = {{NULL, NULL, NULL}};
	const char *file = NULL;
	char err[512], *text = NULL, *id = NULL;
	json_t *def = NULL;
	const char *version;
	saola *db = NULL;
	int n = 0, rc;

	if ((rc = cli_parse(argc, argv, opts, &file, 1, &n, IMPORT_USAGE)))
		return rc;
	if (n != 1) {
		fprintf(stderr, "usage: %s\n", IMPORT_USAGE);
		return EXIT_USAGE;
	}
	rc = 1;
	if (saola_xlsform_read(file, &text, err, sizeof err) != SAOLA_OK) {
		fprintf(stderr, "saola forms import: %s: %s\n", file, err);
		return 1;
	}
	if (!(db = cli_open(SAOLA_OPEN_CREATE)))
		goto out;
	db->forms_strict = 1; /* a version must not break the records stored here */
	if (saola_form_load(db, text, &id) != SAOLA_OK) {
		fprintf(stderr, "saola forms import: %s: %s\n", file, saola_errmsg(db));
		goto out;
	}
	def = json_loads(text, 0, NULL);
	version = json_string_value(json_object_get(def, "version")); /* a form may have none */
	printf("imported form %s%s%s from %s\n", id, version ? " version " : "",
	       version ? version : "", file);
	rc = 0;
out:
	json_decref(def);
	saola_free(id);
	saola_free(text);
	saola_close(db);
	return rc;
}

static int forms_export(int argc, char **argv)
{
	const char *out = NULL, *id = NULL;
	const cli_opt opts[] = {{"--out", &out, NULL}, {NULL, NULL, NULL}};
	char err[512], *text = NULL;
	json_t *def = NULL;
	saola *db;
	int n = 0, rc;

	if ((rc = cli_parse(argc, argv, opts, &id, 1, &n, EXPORT_USAGE)))
		return rc;
	if (n != 1 || !out) {
		fprintf(stderr, "usage: %s\n", EXPORT_USAGE);
		return EXIT_USAGE;
	}
	if (!(db = cli_open(SAOLA_OPEN_READONLY)))
		return 1;
	if (saola_form_get(db, id, &def) != SAOLA_OK) {
		rc = cli_fail(db, "forms export");
		saola_close(db);
		return rc;
	}
	saola_close(db);
	rc = 1;
	if (!(text = json_dumps(def, JSON_COMPACT)))
		fprintf(stderr, "saola forms export: out of memory\n");
	else if (saola_xlsform_write(text, out, err, sizeof err) != SAOLA_OK)
		fprintf(stderr, "saola forms export: %s: %s\n", id, err);
	else
		rc = 0;
	if (rc == 0)
		printf("exported form %s version %s to %s\n", id,
		       json_string_value(json_object_get(def, "version")), out);
	free(text);
	json_decref(def);
	return rc;
}
#endif

int cmd_forms_xlsx(int argc, char **argv)
{
	/* The subcommand's messages name it whole: "saola forms import: ...". */
	const char *sub = argv[0];
	char name[32];

	snprintf(name, sizeof name, "forms %s", sub);
	argv[0] = name;
#ifdef SAOLA_HAVE_XLSFORM
	return strcmp(sub, "import") == 0 ? forms_import(argc, argv) : forms_export(argc, argv);
#else
	(void)argc;
	fprintf(stderr, "saola %s: this saola was built without XLSForm (SAOLA_XLSFORM)\n", name);
	return 1;
#endif
}
