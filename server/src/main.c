/* main.c: the saola-server command: serve, forms, users, bundles. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola/server.h"
#ifdef SAOLA_HAVE_XLSFORM
#include "saola/xlsform.h"
#endif
#include "audit.h"
#include "bundle.h"
#include "officer.h"
#include "ops.h"
#include "ratelimit.h"
#include "permissions.h"
#include "report.h"
#include "server_int.h"
#include "store.h"
#include "store_sql.h" /* saola__form_current_def */
#include "upstream.h"
#include "users.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

/* The options a command takes: "--name VALUE" or "--name=VALUE", and at
 * most one positional argument. */
typedef struct opts {
	const char *names[24];   /* as given: "--db" or "--db=..." */
	size_t lens[24];         /* of the name alone */
	const char *values[24];
	int n;
	const char *positional;
} opts;

static const char *opt(const opts *o, const char *name)
{
	int i;

	for (i = 0; i < o->n; i++)
		if (strlen(name) == o->lens[i] && strncmp(o->names[i], name, o->lens[i]) == 0)
			return o->values[i];
	return NULL;
}

/* Parses argv against the allowed option names (a NULL-terminated list);
 * positional says whether one positional argument is allowed. 0, or -1
 * after printing why. */
static int parse(int argc, char **argv, const char *const *allowed, int positional,
                 const char *cmd, opts *o)
{
	int i, k;

	memset(o, 0, sizeof *o);
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *eq, *value;
		size_t len;
		int ok = 0;

		if (strncmp(a, "--", 2) != 0 || strcmp(a, "--") == 0) {
			if (!positional || o->positional) {
				fprintf(stderr, "%s: unexpected argument \"%s\"\n", cmd, a);
				return -1;
			}
			o->positional = a;
			continue;
		}
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a) : strlen(a);
		for (k = 0; allowed[k]; k++)
			if (strlen(allowed[k]) == len && strncmp(a, allowed[k], len) == 0)
				ok = 1;
		if (!ok) {
			fprintf(stderr, "%s: unknown option %.*s\n", cmd, (int)len, a);
			return -1;
		}
		if (eq) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			fprintf(stderr, "%s: option %s needs a value\n", cmd, a);
			return -1;
		}
		if (o->n == 24) {
			fprintf(stderr, "%s: too many options\n", cmd);
			return -1;
		}
		o->names[o->n] = a;
		o->lens[o->n] = len;
		o->values[o->n++] = value;
	}
	return 0;
}

static int is_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

static int usage_fail(const char *usage)
{
	fprintf(stderr, "usage: %s\n", usage);
	return EXIT_USAGE;
}

/* Opens the store or says why. */
static saola__store *open_store(const char *cmd, const char *path, const char *schemas,
                                int create)
{
	saola__store *s = NULL;
	char err[SAOLA__ERR_MAX];

	if (saola__store_open(path, schemas, create, &s, err, sizeof err) != SAOLA_OK) {
		fprintf(stderr, "%s: %s\n", cmd, err);
		return NULL;
	}
	return s;
}

static int size_opt(const char *cmd, const opts *o, const char *name, size_t *out)
{
	const char *v = opt(o, name);

	if (v && saola__parse_size(v, out) != 0) {
		fprintf(stderr, "%s: %s \"%s\": expected a size in bytes (K, M, G suffixes"
		        " allowed)\n", cmd, name, v);
		return -1;
	}
	return 0;
}

#define SERVE_USAGE "saola-server serve --db PATH --listen HOST:PORT [--schemas DIR]" \
	" [--max-body SIZE] [--max-inflated SIZE] [--threads N]" \
	" [--tls-cert FILE --tls-key FILE]\n" \
	"       [--upstream URL --token T] [--sync-interval SECONDS] [--auth-failures N]\n" \
	"--upstream makes this (district) server a client of the province server at URL,\n" \
	"syncing every --sync-interval seconds (300); T is a district user's token there,\n" \
	"a user with the permission personal (user add ... --allow personal).\n" \
	"Both are saved: --sync-interval alone syncs with the saved upstream.\n" \
	"--auth-failures: failed authentications allowed from one address in a burst\n" \
	"before its tokens that fail are refused for a while (10; 0: no limit).\n" \
	"Limits (docs/security.md, \"Limits\"): [--max-values N (600000)] [--max-depth N (32)]\n" \
	"[--max-connections N (2000)] [--max-per-address N (64)] [--header-timeout S (20)]\n" \
	"[--body-timeout S (60, plus a second a KiB)] [--user-requests N (3)]\n" \
	"--sync-protocol 1: speak only sync protocol 1, as servers before protocol 2 did\n" \
	"(devices fall back to it by themselves).\n" \
	"--log-format text|json|none: a line per request on stderr (text; docs/server.md,\n" \
	"\"The request log\"). GET /metrics gives Prometheus's figures to the server's own\n" \
	"address, or to an admin's token (docs/server.md, \"Monitoring\")."

/* A count option above 0 into *out (unset: left alone); -1 after saying
 * why. */
static int count_opt(const opts *o, const char *name, int *out)
{
	const char *v = opt(o, name);
	char *end;
	long n;

	if (!v)
		return 0;
	n = strtol(v, &end, 10);
	if (!*v || *end || n < 1 || n > 1000000) {
		fprintf(stderr, "serve: %s \"%s\": expected a number from 1 to 1000000\n", name, v);
		return -1;
	}
	*out = (int)n;
	return 0;
}

/* The options that bound what connections and requests may take. */
static int limit_opts(const opts *o, saola_server_opts *so)
{
	int values = 0;

	if (count_opt(o, "--max-values", &values) != 0 ||
	    count_opt(o, "--max-depth", &so->max_depth) != 0 ||
	    count_opt(o, "--max-connections", &so->max_connections) != 0 ||
	    count_opt(o, "--max-per-address", &so->max_per_address) != 0 ||
	    count_opt(o, "--header-timeout", &so->header_timeout) != 0 ||
	    count_opt(o, "--body-timeout", &so->body_timeout) != 0 ||
	    count_opt(o, "--user-requests", &so->user_requests) != 0 ||
	    count_opt(o, "--sync-protocol", &so->sync_protocol) != 0)
		return -1;
	if (so->sync_protocol > 2) {
		fprintf(stderr, "serve: --sync-protocol %d: expected 1 or 2\n", so->sync_protocol);
		return -1;
	}
	so->max_values = (size_t)values;
	return 0;
}

/* --auth-failures N: 1 to SAOLA__RL_BURST_MAX, or 0 for no limit. */
static int auth_failures_opt(const char *v, saola_server_opts *so)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (!*v || *end || n < 0 || n > SAOLA__RL_BURST_MAX) {
		fprintf(stderr, "serve: --auth-failures \"%s\": expected a number of failures from 1"
		        " to %d, or 0 for no limit\n", v, SAOLA__RL_BURST_MAX);
		return -1;
	}
	so->auth_failures = n ? (int)n : -1;
	return 0;
}

/* --log-format text|json|none (NULL: text): the operator's server logs
 * its requests unless told not to, where one embedded in a program (or a
 * test) does not unless asked (saola/server.h). -1 after saying why. */
static int log_format_opt(const char *v, saola_server_opts *so)
{
	if (!v || strcmp(v, "text") == 0)
		so->log_format = SAOLA_LOG_TEXT;
	else if (strcmp(v, "json") == 0)
		so->log_format = SAOLA_LOG_JSON;
	else if (strcmp(v, "none") == 0)
		so->log_format = SAOLA_LOG_NONE;
	else {
		fprintf(stderr, "serve: --log-format \"%s\": expected text, json or none\n", v);
		return -1;
	}
	return 0;
}

static int cmd_serve(int argc, char **argv)
{
	static const char *const allowed[] = {"--db", "--listen", "--schemas", "--max-body",
		"--max-inflated", "--threads", "--upstream", "--token",
		"--tls-cert", "--tls-key", "--sync-interval", "--auth-failures", "--max-values",
		"--max-depth", "--max-connections", "--max-per-address", "--header-timeout",
		"--body-timeout", "--user-requests", "--sync-protocol", "--log-format", NULL};
	saola_server_opts so;
	saola_server *srv = NULL;
	sigset_t sigs;
	const char *colon;
	opts o;
	int sig = 0, rc;

	if (is_help(argc, argv)) {
		printf("usage: %s\n", SERVE_USAGE);
		return 0;
	}
	if (parse(argc, argv, allowed, 0, "serve", &o) != 0 || !opt(&o, "--db") ||
	    !opt(&o, "--listen"))
		return usage_fail(SERVE_USAGE);
	if ((opt(&o, "--upstream") != NULL) != (opt(&o, "--token") != NULL)) {
		fprintf(stderr, "serve: --upstream and --token go together\n");
		return EXIT_USAGE;
	}
	memset(&so, 0, sizeof so);
	so.upstream = opt(&o, "--upstream") ? opt(&o, "--upstream")
	            : opt(&o, "--sync-interval") ? "" : NULL;
	so.upstream_token = opt(&o, "--token");
	if (opt(&o, "--sync-interval") && (so.sync_interval = atoi(opt(&o, "--sync-interval"))) <= 0) {
		fprintf(stderr, "serve: --sync-interval: expected seconds above 0\n");
		return EXIT_USAGE;
	}
	so.db_path = opt(&o, "--db");
	so.listen = opt(&o, "--listen");
	so.schemas = opt(&o, "--schemas");
	so.tls_cert = opt(&o, "--tls-cert");
	so.tls_key = opt(&o, "--tls-key");
	if (size_opt("serve", &o, "--max-body", &so.max_body) != 0 ||
	    size_opt("serve", &o, "--max-inflated", &so.max_inflated) != 0)
		return EXIT_USAGE;
	if (opt(&o, "--threads") && (so.threads = atoi(opt(&o, "--threads"))) <= 0) {
		fprintf(stderr, "serve: --threads: expected a number above 0\n");
		return EXIT_USAGE;
	}
	if (opt(&o, "--auth-failures") && auth_failures_opt(opt(&o, "--auth-failures"), &so) != 0)
		return EXIT_USAGE;
	if (limit_opts(&o, &so) != 0)
		return EXIT_USAGE;
	if (log_format_opt(opt(&o, "--log-format"), &so) != 0)
		return EXIT_USAGE;
	/* The worker threads inherit a mask without these; this thread waits
	 * for them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((rc = saola_server_start(&so, &srv)) != SAOLA_OK) {
		fprintf(stderr, "serve: %s\n", saola_server_errmsg(srv));
		saola_server_stop(srv);
		return EXIT_FAIL;
	}
	colon = strrchr(so.listen, ':');
	printf("listening on %s://%.*s:%d\n", so.tls_cert ? "https" : "http",
	       (int)(colon - so.listen), so.listen, saola_server_port(srv));
	fflush(stdout);
	while (sigwait(&sigs, &sig) != 0)
		;
	fprintf(stderr, "serve: %s: stopping\n", sig == SIGINT ? "interrupted" : "terminated");
	saola_server_stop(srv);
	return 0;
}

#define FORMS_USAGE \
	"saola-server forms load --db PATH [--schemas DIR]\n" \
	"       saola-server forms import --db PATH FILE.xlsx\n" \
	"       saola-server forms export --db PATH ID --format xlsx --out FILE.xlsx\n" \
	"       saola-server forms export --db PATH ID --format json [--out FILE.json]\n" \
	"import reads an XLSForm (docs/forms.md, \"XLSForm\") and loads it as the current\n" \
	"version of its form, compiled and checked as the shipped forms are; a version\n" \
	"that changes the type of a field stored records answer, or removes a choice\n" \
	"they use, is refused. export writes the current version of form ID as an\n" \
	"XLSForm, or as its JSON definition (to stdout without --out)."

/* forms load: a schemas folder. */
static int forms_load(int argc, char **argv)
{
	static const char *const allowed[] = {"--db", "--schemas", NULL};
	saola__store *s;
	const char *dir;
	opts o;
	int n = 0, rc;

	if (parse(argc, argv, allowed, 0, "forms load", &o) != 0 || !opt(&o, "--db"))
		return usage_fail(FORMS_USAGE);
	dir = saola__schemas_dir(opt(&o, "--schemas"));
	if (!(s = open_store("forms load", opt(&o, "--db"), dir, 1)))
		return EXIT_FAIL;
	s->forms_strict = 1; /* an author's load: a version must not break records */
	rc = s->ops->forms_load(s, dir, &n);
	if (rc != SAOLA_OK)
		fprintf(stderr, "forms load: %s\n", s->ops->errmsg(s));
	else
		printf("loaded %d form%s from %s\n", n, n == 1 ? "" : "s", dir);
	saola__store_close(s);
	return rc == SAOLA_OK ? 0 : EXIT_FAIL;
}

#ifdef SAOLA_HAVE_XLSFORM
/* A store's message for a form loaded through forms_load_doc, without the
 * place in a GET /v1/forms answer it names: the form came from a file. */
static const char *doc_message(const char *msg)
{
	static const char prefix[] = "GET /v1/forms: forms[0]: ";

	return strncmp(msg, prefix, sizeof prefix - 1) == 0 ? msg + sizeof prefix - 1 : msg;
}

/* Loads one definition into s as the current version of its form, through
 * the path a GET /v1/forms answer takes (compiled, checked against the
 * stored records), in a write of its own. */
static int load_definition(saola__store *s, json_t *def)
{
	json_t *doc = json_pack("{s:[O]}", "forms", def);
	int rc, end;

	if (!doc)
		return SAOLA_NOMEM;
	if ((rc = s->ops->write_begin(s, 1)) == SAOLA_OK) {
		s->forms_strict = 1;
		rc = s->ops->forms_load_doc(s, doc, NULL);
		end = s->ops->end(s, rc == SAOLA_OK);
		if (rc == SAOLA_OK)
			rc = end;
	}
	json_decref(doc);
	return rc;
}

/* forms import FILE.xlsx: the workbook is read before the store is opened,
 * so that a bad file leaves the database as it was. */
static int forms_import(int argc, char **argv)
{
	static const char *const allowed[] = {"--db", NULL};
	char err[SAOLA__ERR_MAX], *text = NULL;
	saola__store *s = NULL;
	json_t *def = NULL;
	const char *version;
	opts o;
	int rc = EXIT_FAIL;

	if (parse(argc, argv, allowed, 1, "forms import", &o) != 0 || !opt(&o, "--db") ||
	    !o.positional)
		return usage_fail(FORMS_USAGE);
	if (saola_xlsform_read(o.positional, &text, err, sizeof err) != SAOLA_OK) {
		fprintf(stderr, "forms import: %s: %s\n", o.positional, err);
		return EXIT_FAIL;
	}
	if (!(def = json_loads(text, 0, NULL))) {
		fprintf(stderr, "forms import: %s: out of memory\n", o.positional);
		goto out;
	}
	if (!(s = open_store("forms import", opt(&o, "--db"), NULL, 0)))
		goto out;
	if (load_definition(s, def) != SAOLA_OK) {
		fprintf(stderr, "forms import: %s: %s\n", o.positional,
		        doc_message(s->ops->errmsg(s)));
		goto out;
	}
	version = json_string_value(json_object_get(def, "version")); /* a form may have none */
	printf("imported form %s%s%s from %s\n", json_string_value(json_object_get(def, "id")),
	       version ? " version " : "", version ? version : "", o.positional);
	rc = 0;
out:
	saola__store_close(s);
	json_decref(def);
	saola_free(text);
	return rc;
}
#endif

/* Writes text to path, or to stdout when path is NULL; -1 after saying
 * why. */
static int write_text(const char *path, const char *text)
{
	FILE *f = path ? fopen(path, "w") : stdout;
	int ok;

	if (!f) {
		fprintf(stderr, "forms export: %s: cannot write\n", path);
		return -1;
	}
	ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
	if (path && fclose(f) != 0)
		ok = 0;
	if (!ok)
		fprintf(stderr, "forms export: %s: cannot write\n", path ? path : "stdout");
	return ok ? 0 : -1;
}

/* Writes the definition def of form id in format: the JSON text, or an
 * XLSForm. */
static int export_definition(const char *id, json_t *def, const char *format, const char *out)
{
	char *text = json_dumps(def, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	int rc = -1;

	if (!text) {
		fprintf(stderr, "forms export: out of memory\n");
		return -1;
	}
	if (strcmp(format, "json") == 0) {
		rc = write_text(out, text);
	} else {
#ifdef SAOLA_HAVE_XLSFORM
		char err[SAOLA__ERR_MAX];
		if (saola_xlsform_write(text, out, err, sizeof err) != SAOLA_OK)
			fprintf(stderr, "forms export: %s: %s\n", id, err);
		else
			rc = 0;
#endif
	}
	if (rc == 0 && out)
		printf("exported form %s version %s to %s\n", id,
		       json_string_value(json_object_get(def, "version")), out);
	free(text);
	return rc;
}

/* forms export ID --format xlsx|json [--out FILE]. */
static int forms_export(int argc, char **argv)
{
	static const char *const allowed[] = {"--db", "--format", "--out", NULL};
	const char *format, *id;
	saola__store *s;
	json_t *def = NULL;
	opts o;
	int rc;

	if (parse(argc, argv, allowed, 1, "forms export", &o) != 0 || !opt(&o, "--db") ||
	    !(id = o.positional) || !(format = opt(&o, "--format")))
		return usage_fail(FORMS_USAGE);
	if (strcmp(format, "json") != 0 && strcmp(format, "xlsx") != 0) {
		fprintf(stderr, "forms export: --format \"%s\": expected xlsx or json\n", format);
		return EXIT_USAGE;
	}
	if (strcmp(format, "xlsx") == 0 && !opt(&o, "--out")) {
		fprintf(stderr, "forms export: --format xlsx needs --out FILE.xlsx\n");
		return EXIT_USAGE;
	}
#ifndef SAOLA_HAVE_XLSFORM
	if (strcmp(format, "xlsx") == 0) {
		fprintf(stderr, "forms export: this saola-server was built without XLSForm"
		        " (SAOLA_XLSFORM)\n");
		return EXIT_FAIL;
	}
#endif
	if (!(s = open_store("forms export", opt(&o, "--db"), NULL, 0)))
		return EXIT_FAIL;
	if ((rc = s->ops->read_begin(s)) == SAOLA_OK) {
		rc = saola__form_current_def(s, id, &def);
		s->ops->end(s, rc == SAOLA_OK);
	}
	if (rc != SAOLA_OK)
		fprintf(stderr, "forms export: %s\n", s->ops->errmsg(s));
	else if (!def)
		fprintf(stderr, "forms export: no form %s\n", id);
	saola__store_close(s);
	rc = def && export_definition(id, def, format, opt(&o, "--out")) == 0 ? 0 : EXIT_FAIL;
	json_decref(def);
	return rc;
}

static int cmd_forms(int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";

	if (is_help(argc, argv)) {
		printf("usage: %s\n", FORMS_USAGE);
		return 0;
	}
	if (strcmp(sub, "load") == 0)
		return forms_load(argc - 1, argv + 1);
	if (strcmp(sub, "export") == 0)
		return forms_export(argc - 1, argv + 1);
	if (strcmp(sub, "import") == 0) {
#ifdef SAOLA_HAVE_XLSFORM
		return forms_import(argc - 1, argv + 1);
#else
		fprintf(stderr, "forms import: this saola-server was built without XLSForm"
		        " (SAOLA_XLSFORM)\n");
		return EXIT_FAIL;
#endif
	}
	return usage_fail(FORMS_USAGE);
}

#define USER_USAGE \
	"saola-server user add --db PATH --name NAME --role ROLE --area CODE\n" \
	"                      [--days N | --expires DATE | --expires never] [--allow PERMS]\n" \
	"       saola-server user renew --db PATH --name NAME [--days N | --expires DATE|never]\n" \
	"       saola-server user rotate --db PATH --name NAME\n" \
	"       saola-server user expire --db PATH --name NAME\n" \
	"       saola-server user revoke --db PATH --name NAME\n" \
	"       saola-server user list --db PATH\n" \
	"       saola-server user grant --db PATH --name NAME --allow PERMS\n" \
	"       saola-server user deny --db PATH --name NAME --deny PERMS\n" \
	"roles: surveyor, commune, district, province, admin; areas: unit codes of\n" \
	"2 (province), 3 (district) or 5 (commune) digits (an admin needs none).\n" \
	"A token expires 365 days after add or renew, or N days (1-3650), or on DATE\n" \
	"(YYYY-MM-DD: refused from 00:00 UTC that day; or YYYY-MM-DDTHH:MM:SSZ);\n" \
	"--expires never is for service accounts, such as a district server's token\n" \
	"at its province. expire ends a token now (renew brings it back); revoke\n" \
	"ends it for good. rotate gives a user a new token (printed) and refuses the old\n" \
	"one from then on; its devices enrol again with it (saola init --server URL\n" \
	"--token T), keeping every queued change.\n" \
	"permissions (words, comma-separated): personal (a district, province or admin\n" \
	"user gets personal fields, names, when asking for them, and may pull records)"

static int user_list(saola__store *s)
{
	json_t *users = NULL, *u;
	saola__err e;
	size_t i;

	if (saola__user_list_all(s, &users, &e) != 0) {
		fprintf(stderr, "user list: %s\n", e.message);
		return EXIT_FAIL;
	}
	printf("%-20s %-9s %-6s %-20s %-20s %-20s %-20s %-7s %s\n", "NAME", "ROLE", "AREA",
	       "CREATED", "EXPIRES", "REVOKED", "LAST SYNC", "DEVICES", "PERMISSIONS");
	json_array_foreach(users, i, u) {
		const char *revoked = json_string_value(json_object_get(u, "revoked"));
		const char *expires = json_string_value(json_object_get(u, "expires"));
		const char *last = json_string_value(json_object_get(u, "last_sync"));
		const char *area = json_string_value(json_object_get(u, "area"));
		const char *perms = json_string_value(json_object_get(u, "permissions"));
		printf("%-20s %-9s %-6s %-20s %-20s %-20s %-20s %-7lld %s\n",
		       json_string_value(json_object_get(u, "name")),
		       json_string_value(json_object_get(u, "role")), area && *area ? area : "-",
		       json_string_value(json_object_get(u, "created")), expires ? expires : "never",
		       revoked ? revoked : "-", last ? last : "never",
		       (long long)json_integer_value(json_object_get(u, "devices")),
		       perms && *perms ? perms : "-");
	}
	json_decref(users);
	return 0;
}

/* The expiry that --expires or --days give, as of now; -1 after saying
 * why. */
static int expiry_opt(const char *cmd, const opts *o, char out[21])
{
	saola__err e;

	if (saola__expiry_parse(opt(o, "--expires"), opt(o, "--days"), time(NULL), out, &e) != 0) {
		fprintf(stderr, "%s: %s\n", cmd, e.message);
		return -1;
	}
	return 0;
}

static int user_add(saola__store *s, const opts *o, const char *expires, saola__err *e)
{
	char token[SAOLA__TOKEN_HEX + 1];

	int rc;

	if (saola__user_create_until(s, opt(o, "--name"), opt(o, "--role"), opt(o, "--area"),
	                             expires, token, e) != 0)
		return -1;
	rc = opt(o, "--allow") ? saola__user_permit(s, opt(o, "--name"), opt(o, "--allow"), 1,
	                                            NULL, e) : 0;
	if (rc != 0)
		fprintf(stderr, "user add: user %s is added, without its permissions (grant them"
		        " with user grant)\n", opt(o, "--name"));
	/* The only time the token is shown: the store keeps its hash. */
	printf("%s\n", token);
	fflush(stdout);
	memset(token, 0, sizeof token);
	return rc;
}

static int user_renew(saola__store *s, const char *name, const char *expires, saola__err *e)
{
	if (saola__user_renew_name(s, name, expires, e) != 0)
		return -1;
	if (*expires)
		printf("user %s: the token is valid until %s\n", name, expires);
	else
		printf("user %s: the token never expires\n", name);
	return 0;
}

static int user_expire(saola__store *s, const char *name, saola__err *e)
{
	char at[21];
	int already;

	if (saola__user_expire_name(s, name, at, &already, e) != 0)
		return -1;
	printf(already ? "user %s: the token had expired already, at %s\n"
	               : "user %s: the token expired at %s (user renew brings it back)\n", name, at);
	return 0;
}

static int user_rotate(saola__store *s, const char *name, saola__err *e)
{
	char token[SAOLA__TOKEN_HEX + 1];

	if (saola__user_rotate_name(s, name, token, e) != 0)
		return -1;
	/* As at user add, the only time the token is shown. */
	printf("%s\n", token);
	fflush(stdout);
	memset(token, 0, sizeof token);
	return 0;
}

static int user_revoke(saola__store *s, const char *name, saola__err *e)
{
	int already;

	if (saola__user_revoke_name(s, name, &already, e) != 0)
		return -1;
	printf("user %s %s\n", name, already ? "was already revoked" : "revoked");
	return 0;
}

/* user grant, user deny: a user's permissions. */
static int user_permit(const char *sub, int argc, char **argv)
{
	static const char *const allowed[] = {"--db", "--name", "--allow", "--deny", NULL};
	int grant = strcmp(sub, "grant") == 0, rc;
	char cmd[32], text[SAOLA__PERMS_TEXT_MAX];
	const char *words;
	saola__store *s;
	saola__err e;
	unsigned now = 0;
	opts o;

	snprintf(cmd, sizeof cmd, "user %s", sub);
	if (parse(argc, argv, allowed, 0, cmd, &o) != 0 || !opt(&o, "--db") ||
	    !opt(&o, "--name") || !(words = opt(&o, grant ? "--allow" : "--deny")) ||
	    opt(&o, grant ? "--deny" : "--allow"))
		return usage_fail(USER_USAGE);
	if (!(s = open_store(cmd, opt(&o, "--db"), NULL, 0)))
		return EXIT_FAIL;
	rc = saola__user_permit(s, opt(&o, "--name"), words, grant, &now, &e);
	if (rc == 0) {
		saola__perms_text(now, text, sizeof text);
		printf("user %s: permissions: %s\n", opt(&o, "--name"), *text ? text : "none");
	} else {
		fprintf(stderr, "%s: %s\n", cmd, e.message);
	}
	saola__store_close(s);
	return rc == 0 ? 0 : EXIT_FAIL;
}

static int cmd_user(int argc, char **argv)
{
	static const char *const allowed[] = {"--db", "--name", "--role", "--area", "--expires",
		"--days", "--allow", NULL};
	const char *sub = argc > 0 ? argv[0] : "", *name;
	char cmd[32], expires[21] = "";
	int add = strcmp(sub, "add") == 0, renew = strcmp(sub, "renew") == 0;
	saola__store *s;
	saola__err e;
	unsigned perms = 0;
	opts o;
	int rc;

	if (is_help(argc, argv)) {
		printf("usage: %s\n", USER_USAGE);
		return 0;
	}
	if (strcmp(sub, "grant") == 0 || strcmp(sub, "deny") == 0)
		return user_permit(sub, argc - 1, argv + 1);
	snprintf(cmd, sizeof cmd, "user %s", sub);
	if ((!add && !renew && strcmp(sub, "list") && strcmp(sub, "revoke") &&
	     strcmp(sub, "expire") && strcmp(sub, "rotate")) ||
	    parse(argc - 1, argv + 1, allowed, 0, cmd, &o) != 0 || !opt(&o, "--db") ||
	    (strcmp(sub, "list") != 0 && !opt(&o, "--name")) || (add && !opt(&o, "--role")))
		return usage_fail(USER_USAGE);
	if (!add && !renew && (opt(&o, "--expires") || opt(&o, "--days"))) {
		fprintf(stderr, "%s: --expires and --days go with user add and user renew\n", cmd);
		return EXIT_USAGE;
	}
	if ((add || renew) && expiry_opt(cmd, &o, expires) != 0)
		return EXIT_USAGE;
	if (!add && opt(&o, "--allow"))
		return usage_fail(USER_USAGE);
	if (opt(&o, "--allow") && saola__perms_parse(opt(&o, "--allow"), &perms, &e) != 0) {
		fprintf(stderr, "%s: %s\n", cmd, e.message);
		return EXIT_FAIL;
	}
	if (!(s = open_store(cmd, opt(&o, "--db"), NULL, add)))
		return EXIT_FAIL;
	name = opt(&o, "--name");
	if (strcmp(sub, "list") == 0) {
		rc = user_list(s);
		saola__store_close(s);
		return rc;
	}
	rc = add ? user_add(s, &o, expires, &e)
	   : renew ? user_renew(s, name, expires, &e)
	   : strcmp(sub, "expire") == 0 ? user_expire(s, name, &e)
	   : strcmp(sub, "rotate") == 0 ? user_rotate(s, name, &e)
	   : user_revoke(s, name, &e);
	if (rc != 0)
		fprintf(stderr, "%s: %s\n", cmd, e.message);
	saola__store_close(s);
	return rc == 0 ? 0 : EXIT_FAIL;
}

#define BUNDLE_USAGE \
	"saola-server bundle import --db PATH [--user NAME] [--max-inflated SIZE] FILE\n" \
	"       saola-server bundle export --db PATH --user NAME FILE"

static int cmd_bundle(int argc, char **argv)
{
	static const char *const allowed[] = {"--db", "--user", "--max-inflated", NULL};
	const char *sub = argc > 0 ? argv[0] : "";
	size_t limit = SAOLA__BUNDLE_MAX_INFLATED, n = 0;
	json_t *res = NULL;
	saola__store *s;
	saola__err e;
	char cmd[32];
	opts o;
	int rc;

	if (is_help(argc, argv)) {
		printf("usage: %s\n", BUNDLE_USAGE);
		return 0;
	}
	snprintf(cmd, sizeof cmd, "bundle %s", sub);
	if ((strcmp(sub, "import") && strcmp(sub, "export")) ||
	    parse(argc - 1, argv + 1, allowed, 1, cmd, &o) != 0 || !opt(&o, "--db") ||
	    !o.positional || (strcmp(sub, "export") == 0 && !opt(&o, "--user")))
		return usage_fail(BUNDLE_USAGE);
	if (size_opt(cmd, &o, "--max-inflated", &limit) != 0)
		return EXIT_USAGE;
	if (!(s = open_store(cmd, opt(&o, "--db"), NULL, 0)))
		return EXIT_FAIL;
	if (strcmp(sub, "import") == 0) {
		saola__bundle_as as;
		rc = saola__bundle_import_as(s, o.positional, opt(&o, "--user"), limit, &res, &as,
		                             &e);
		if (as.by_owner)
			fprintf(stderr, "bundle import: acting as user %s, the owner of device %s\n",
			        as.user, as.device);
		if (rc == 0 && json_is_true(json_object_get(res, "duplicate")))
			printf("%s: imported before: nothing applied now (%lld changes, %lld records"
			       " changed then)\n", o.positional,
			       (long long)json_integer_value(json_object_get(res, "accepted")),
			       (long long)json_integer_value(json_object_get(res, "applied")));
		else if (rc == 0)
			printf("%s: %lld changes, %lld records changed, %lld conflicts logged\n",
			       o.positional,
			       (long long)json_integer_value(json_object_get(res, "accepted")),
			       (long long)json_integer_value(json_object_get(res, "applied")),
			       (long long)json_integer_value(json_object_get(res, "conflicts")));
		json_decref(res);
	} else {
		rc = saola__bundle_export(s, o.positional, opt(&o, "--user"), &n, &e);
		if (rc == 0)
			printf("%s: %zu records for user %s\n", o.positional, n, opt(&o, "--user"));
	}
	if (rc != 0)
		fprintf(stderr, "%s: %s\n", cmd, e.message);
	saola__store_close(s);
	return rc == 0 ? 0 : EXIT_FAIL;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	int skip_name;   /* pass argv from after the command's name */
	const char *help;
} commands[] = {
	{"serve", cmd_serve, 1, "serve the sync API over HTTP"},
	{"forms", cmd_forms, 1, "load forms and standards; import or export a form (XLSForm)"},
	{"user", cmd_user, 1, "add, renew, expire, revoke or list users (tokens)"},
	{"bundle", cmd_bundle, 1, "import a device's push bundle, export a user's pull bundle"},
	{"report", saola__cmd_report, 1, "reports by unit and year: table, CSV or JSON"},
	{"units", saola__cmd_units, 1, "load administrative units into the database"},
	{"listed", saola__cmd_listed, 1, "load or list the households each commune listed"},
	{"lists", saola__cmd_lists, 1, "a commune's official lists: poor, near-poor, escaped, newly poor"},
	{"conflicts", saola__cmd_conflicts, 1, "list, show and resolve conflicts"},
	{"review", saola__cmd_review, 1, "return a record for re-survey, or approve it"},
	{"sync", saola__cmd_sync, 1, "sync a district's server with its upstream server"},
	{"audit", saola__cmd_audit, 1, "a record's history: who changed what, when, from where"},
	{"backup", saola__cmd_backup, 1, "back up the database while the server serves"},
	{"restore", saola__cmd_restore, 1, "check a backup and restore it into a new database"},
	{"restored", saola__cmd_restored, 1, "mark a database restored (after pg_restore): devices resend"},
	{"doctor", saola__cmd_doctor, 1, "check an installation and say what to fix"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: saola-server COMMAND --db PATH [options]\n\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'saola-server COMMAND --help' shows a command's options.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("saola-server %s\n", SAOLA_VERSION);
		return 0;
	}
	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].skip_name ? commands[i].run(argc - 2, argv + 2)
			                             : commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "saola-server: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
