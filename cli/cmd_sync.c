/* cmd_sync.c: the sync subcommand: push the queued changes and pull the
 * area's records over HTTP, or carry them by bundle file. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <saola/sync.h>

#include "cli.h"

static const char sync_usage[] =
	"saola sync [--db PATH] [--stats] [--batch N] [--timeout S] [--protocol 1|2]\n"
	"                  [--to-file F | --from-file F] [--server URL] [--token T]\n"
	"                  [--insecure-http] [--ca-file F]";

/* A positive integer option; 0 when malformed. */
static int positive(const char *s, int max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > max)
		return 0;
	return (int)v;
}

static void print_stats(const saola_sync_stats *st)
{
	long recs_up = st->records_up, recs_down = st->records_down;

	printf("requests:      %ld (%ld retr%s)\n", st->requests, st->retries,
	       st->retries == 1 ? "y" : "ies");
	printf("bytes up:      %lld\n", st->bytes_up);
	printf("bytes down:    %lld\n", st->bytes_down);
	printf("records up:    %ld\n", recs_up);
	printf("records down:  %ld\n", recs_down);
	printf("conflicts:     %ld\n", st->conflicts);
	printf("seconds:       %.3f\n", st->seconds);
	printf("bytes/record:  up %s", recs_up ? "" : "-");
	if (recs_up)
		printf("%.1f", (double)st->bytes_up / (double)recs_up);
	printf(", down %s", recs_down ? "" : "-");
	if (recs_down)
		printf("%.1f", (double)st->bytes_down / (double)recs_down);
	printf("\n");
}

int cmd_sync(int argc, char **argv)
{
	const char *batch = NULL, *timeout = NULL, *to_file = NULL, *from_file = NULL;
	const char *server = NULL, *token = NULL, *ca_file = NULL, *protocol = NULL;
	int stats = 0, insecure = 0, rc;
	const cli_opt opts[] = {
		{"--stats", NULL, &stats}, {"--batch", &batch, NULL},
		{"--timeout", &timeout, NULL}, {"--to-file", &to_file, NULL},
		{"--from-file", &from_file, NULL}, {"--server", &server, NULL},
		{"--token", &token, NULL}, {"--insecure-http", NULL, &insecure},
		{"--ca-file", &ca_file, NULL}, {"--protocol", &protocol, NULL},
		{NULL, NULL, NULL}};
	saola_sync_opts so;
	saola_sync_stats st;
	saola *db;

	if ((rc = cli_parse(argc, argv, opts, NULL, 0, NULL, sync_usage)))
		return rc;
	memset(&so, 0, sizeof so);
	memset(&st, 0, sizeof st);
	if (to_file && from_file) {
		fprintf(stderr, "saola sync: --to-file and --from-file go one at a time\n"
		        "usage: %s\n", sync_usage);
		return EXIT_USAGE;
	}
	if ((to_file || from_file) &&
	    (batch || timeout || server || token || insecure || ca_file || protocol)) {
		fprintf(stderr, "saola sync: --%s-file works without a server: drop the network "
		        "options\nusage: %s\n", to_file ? "to" : "from", sync_usage);
		return EXIT_USAGE;
	}
	if (batch && !(so.batch = positive(batch, 100000))) {
		fprintf(stderr, "saola sync: --batch: expected a number of changes from 1 to 100000, "
		        "got \"%s\"\n", batch);
		return EXIT_USAGE;
	}
	if (timeout && !(so.timeout_s = positive(timeout, 86400))) {
		fprintf(stderr, "saola sync: --timeout: expected seconds from 1 to 86400, got \"%s\"\n",
		        timeout);
		return EXIT_USAGE;
	}
	/* 2 (the default) falls back to 1 by itself with a server of 1; 1
	 * rules protocol 2 out (docs/protocol.md, "Version 2"). */
	if (protocol && !(so.protocol = positive(protocol, 2))) {
		fprintf(stderr, "saola sync: --protocol: expected 1 or 2, got \"%s\"\n", protocol);
		return EXIT_USAGE;
	}
	so.server = server;
	so.token = token;
	so.ca_file = ca_file;
	so.insecure_http = insecure;
	so.progress = 1; /* shown only when stderr is a terminal */
	if (!(db = cli_open(0)))
		return 1;
	if (to_file)
		rc = saola_sync_to_file(db, to_file, &st);
	else if (from_file)
		rc = saola_sync_from_file(db, from_file, &st);
	else
		rc = saola_sync(db, &so, &st);
	if (st.note[0]) /* said even when the run failed later */
		fprintf(stderr, "%s\n", st.note);
	if (rc != SAOLA_OK) {
		rc = cli_fail(db, "sync");
		saola_close(db);
		return rc;
	}
	if (to_file)
		printf("%s: %ld queued change%s written; they stay queued until the server "
		       "confirms them\n", to_file, st.records_up, st.records_up == 1 ? "" : "s");
	else if (from_file)
		printf("%s: %ld record%s merged\n", from_file, st.records_down,
		       st.records_down == 1 ? "" : "s");
	else
		printf("synced: %ld change%s sent, %ld record%s received, %ld conflict%s\n",
		       st.records_up, st.records_up == 1 ? "" : "s", st.records_down,
		       st.records_down == 1 ? "" : "s", st.conflicts, st.conflicts == 1 ? "" : "s");
	if (stats)
		print_stats(&st);
	saola_close(db);
	return 0;
}
