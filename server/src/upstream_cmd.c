/* upstream_cmd.c: a district's sync with its upstream server on demand
 * (saola-server sync), by HTTP or by bundle files carried to the province
 * and back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_args.h"
#include "upstream.h"
#include "wire.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define BUNDLE_LIMIT ((size_t)512 << 20)

#define SYNC_USAGE \
	"saola-server sync --db PATH [--upstream URL --token T]\n" \
	"       saola-server sync --db PATH --to-file F\n" \
	"       saola-server sync --db PATH --from-file F\n" \
	"syncs a district's server with its upstream (province) server: sends the\n" \
	"records changed here, receives those changed there for the district. The URL\n" \
	"and the token (a user of role district, area the district's code, with the\n" \
	"permission personal, on the upstream server: user add ... --allow personal)\n" \
	"are saved the first time. --to-file writes the push as a\n" \
	"bundle for 'saola-server bundle import' there; --from-file merges the pull\n" \
	"bundle that 'saola-server bundle export' wrote there."

/* The upstream cursor saved in the store (0: none). */
static int64_t saved_cursor(saola__store *s)
{
	char *v = NULL;
	int64_t n = 0;

	if (s->ops->state_get(s, SAOLA__UP_CURSOR, &v) == SAOLA_OK && v)
		n = strtoll(v, NULL, 10);
	free(v);
	return n;
}

int saola__upstream_to_file(saola__store *s, const char *path, saola__upstream_stats *st,
                            saola__err *e)
{
	json_t *changes = NULL, *req = NULL;
	char err[SAOLA__ERR_MAX - 32];
	int rc;

	memset(st, 0, sizeof *st);
	if (s->ops->read_begin(s) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "upstream: %s", s->ops->errmsg(s));
	rc = saola__upstream_changes(s, 0, &changes, NULL, e);
	s->ops->end(s, 1);
	if (rc != 0)
		return rc;
	if (!(req = saola__upstream_request(s, changes, saved_cursor(s), 0))) {
		json_decref(changes);
		return saola__err_set(e, SAOLA_NOMEM, "upstream: out of memory");
	}
	if (saola__bundle_write(path, "push", req, err, sizeof err) != SAOLA_OK)
		rc = saola__err_set(e, SAOLA_ERROR, "%s", err);
	else
		st->pushed = (long)json_array_size(changes);
	json_decref(changes);
	json_decref(req);
	return rc;
}

int saola__upstream_from_file(saola__store *s, pthread_mutex_t *write_lock, const char *path,
                              saola__upstream_stats *st, saola__err *e)
{
	json_t *payload = NULL, *records, *cursor;
	char kind[8], err[SAOLA__ERR_MAX - 32];
	int64_t saved;
	int rc;

	memset(st, 0, sizeof *st);
	if ((rc = saola__bundle_read(path, kind, &payload, BUNDLE_LIMIT, err, sizeof err)) !=
	    SAOLA_OK)
		return saola__err_set(e, SAOLA_PROTOCOL, "%s", err);
	records = json_object_get(payload, "records");
	cursor = json_object_get(payload, "cursor");
	if (strcmp(kind, "pull") != 0 || !json_is_array(records) || !json_is_integer(cursor)) {
		json_decref(payload);
		return saola__err_set(e, SAOLA_PROTOCOL, "%s: not a pull bundle (one that"
		                      " 'saola-server bundle export' wrote upstream)", path);
	}
	saved = saved_cursor(s);
	rc = saola__upstream_merge(s, write_lock, records,
	                           json_integer_value(cursor) > saved ? json_integer_value(cursor)
	                                                              : 0, e);
	if (rc == 0)
		st->pulled = (long)json_array_size(records);
	json_decref(payload);
	return rc;
}

int saola__cmd_sync(int argc, char **argv)
{
	static const char *const valued[] = {"--db", "--upstream", "--token", "--to-file",
	                                     "--from-file", NULL};
	const char *url, *token, *to, *from;
	saola__upstream_stats st;
	saola__store *s = NULL;
	saola__args a;
	saola__err e;
	char err[SAOLA__ERR_MAX];
	int rc;

	if (saola__args_help(argc, argv)) {
		printf("usage: %s\n", SYNC_USAGE);
		return 0;
	}
	if (saola__args_parse(argc, argv, valued, NULL, 0, "sync", &a) != 0 ||
	    !saola__args_get(&a, "--db")) {
		fprintf(stderr, "usage: %s\n", SYNC_USAGE);
		return EXIT_USAGE;
	}
	url = saola__args_get(&a, "--upstream");
	token = saola__args_get(&a, "--token");
	to = saola__args_get(&a, "--to-file");
	from = saola__args_get(&a, "--from-file");
	if ((url != NULL) != (token != NULL) || (to && from) || ((to || from) && url)) {
		fprintf(stderr, "sync: --upstream and --token go together, and without --to-file"
		        " or --from-file (one of them at a time)\nusage: %s\n", SYNC_USAGE);
		return EXIT_USAGE;
	}
	if (saola__store_open(saola__args_get(&a, "--db"), NULL, 0, &s, err, sizeof err) !=
	    SAOLA_OK) {
		fprintf(stderr, "sync: %s\n", err);
		return EXIT_FAIL;
	}
	if (to)
		rc = saola__upstream_to_file(s, to, &st, &e);
	else if (from)
		rc = saola__upstream_from_file(s, NULL, from, &st, &e);
	else
		rc = saola__upstream_sync(s, NULL, url, token, &st, &e);
	saola__store_close(s);
	if (rc != 0) {
		fprintf(stderr, "sync: %s\n", e.message);
		return EXIT_FAIL;
	}
	if (to)
		printf("%s: %ld record%s written for the upstream server to import\n", to, st.pushed,
		       st.pushed == 1 ? "" : "s");
	else if (from)
		printf("%s: %ld record%s merged\n", from, st.pulled, st.pulled == 1 ? "" : "s");
	else
		printf("synced: %ld record%s sent, %ld received, %ld conflict%s logged upstream\n",
		       st.pushed, st.pushed == 1 ? "" : "s", st.pulled, st.conflicts,
		       st.conflicts == 1 ? "" : "s");
	if (st.forms)
		printf("forms: the upstream server has newer ones: %ld form%s loaded\n", st.forms,
		       st.forms == 1 ? "" : "s");
	return 0;
}
