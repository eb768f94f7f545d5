/* test_tls.c: HTTPS end to end. The test makes its own certificate
 * authorities and certificates with the openssl command (scripts/deps.sh):
 * CA 1 signs the server's certificate for 127.0.0.1 and localhost and one
 * for another name; CA 2 signs nothing the server uses. A device enrols and
 * syncs over https with --ca-file (library and saola command); a server
 * certificate from another CA, or for another name, is refused by the
 * client at once with a clear message; plain http to a host that is not
 * the loopback is refused unless --insecure-http; saola-server serve
 * --tls-cert/--tls-key serves https, and refuses a key that is not the
 * certificate's. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <curl/curl.h>

#include "testutil.h"
#include "synctest.h"
#include "saola/sync.h"
#include "saola/server.h"

#define COMMUNE "14404"

typedef struct fixture {
	char dir[512];
	char srvdb[1024];
	char ca1[1024], ca2[1024];          /* CA certificates (PEM) */
	char cert[1024], key[1024];         /* the server's, by CA 1 */
	char other[1024], other_key[1024];  /* CA 1's, for other.example */
	saola_server *tls;                  /* serves cert */
	saola_server *wrong_name;           /* serves other */
	saola_server *plain;                /* plain HTTP */
	char tls_url[64], wrong_url[64];
	int plain_port;
	char *token;
} fixture;

static char command[8192], out[8192], err[8192];

/* Runs a shell command line or fails the test with its output. */
static void run_ok(const char *cmd)
{
	if (tu_run(cmd, out, sizeof out, err, sizeof err) != 0)
		fail_msg("%s:\n%s%s", cmd, out, err);
}

/* A P-256 key and a certificate for subject/SAN, signed by ca (its .pem
 * and .key), or self-signed as a CA when ca is NULL. */
static void make_cert(const char *dir, const char *name, const char *cn, const char *san,
                      const char *ca)
{
	const char *d = dir;

	if (!ca) {
		snprintf(command, sizeof command,
		         "cd '%s' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
		         " -nodes -keyout %s.key -out %s.pem -days 2 -subj '/CN=%s'"
		         " -addext basicConstraints=critical,CA:TRUE"
		         " -addext keyUsage=critical,keyCertSign,cRLSign",
		         d, name, name, cn);
		run_ok(command);
		return;
	}
	snprintf(command, sizeof command,
	         "cd '%s' && printf 'subjectAltName=%s\\nbasicConstraints=CA:FALSE\\n"
	         "keyUsage=critical,digitalSignature\\nextendedKeyUsage=serverAuth\\n' > %s.ext &&"
	         " openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
	         " -keyout %s.key -out %s.csr -subj '/CN=%s' &&"
	         " openssl x509 -req -in %s.csr -CA %s.pem -CAkey %s.key -set_serial 0x%x"
	         " -days 2 -extfile %s.ext -out %s.pem",
	         d, san, name, name, name, cn, name, ca, ca, (unsigned)(rand() & 0x7fffffff) + 1,
	         name, name);
	run_ok(command);
}

static saola_server *start(fixture *fx, const char *cert, const char *key)
{
	saola_server_opts so;
	saola_server *s = NULL;

	memset(&so, 0, sizeof so);
	so.db_path = fx->srvdb;
	so.listen = "127.0.0.1:0";
	so.schemas = SAOLA_TEST_SCHEMAS;
	so.tls_cert = cert;
	so.tls_key = key;
	if (saola_server_start(&so, &s) != SAOLA_OK)
		fail_msg("server start: %s", saola_server_errmsg(s));
	return s;
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);

	assert_non_null(fx);
	srand((unsigned)getpid());
	snprintf(fx->dir, sizeof fx->dir, "%s", tu_tmpdir("tls"));
	snprintf(fx->srvdb, sizeof fx->srvdb, "%s/server.db", fx->dir);
	make_cert(fx->dir, "ca1", "saola test CA 1", NULL, NULL);
	make_cert(fx->dir, "ca2", "saola test CA 2", NULL, NULL);
	make_cert(fx->dir, "server", "127.0.0.1", "IP:127.0.0.1,DNS:localhost", "ca1");
	make_cert(fx->dir, "other", "other.example", "DNS:other.example", "ca1");
	snprintf(fx->ca1, sizeof fx->ca1, "%s/ca1.pem", fx->dir);
	snprintf(fx->ca2, sizeof fx->ca2, "%s/ca2.pem", fx->dir);
	snprintf(fx->cert, sizeof fx->cert, "%s/server.pem", fx->dir);
	snprintf(fx->key, sizeof fx->key, "%s/server.key", fx->dir);
	snprintf(fx->other, sizeof fx->other, "%s/other.pem", fx->dir);
	snprintf(fx->other_key, sizeof fx->other_key, "%s/other.key", fx->dir);
	/* Three servers on one database: the right certificate, another
	 * name's, and none. */
	fx->tls = start(fx, fx->cert, fx->key);
	fx->wrong_name = start(fx, fx->other, fx->other_key);
	fx->plain = start(fx, NULL, NULL);
	snprintf(fx->tls_url, sizeof fx->tls_url, "https://127.0.0.1:%d",
	         saola_server_port(fx->tls));
	snprintf(fx->wrong_url, sizeof fx->wrong_url, "https://127.0.0.1:%d",
	         saola_server_port(fx->wrong_name));
	fx->plain_port = saola_server_port(fx->plain);
	fx->token = st_user_add(fx->srvdb, "surveyor", "surveyor", COMMUNE);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;

	saola_server_stop(fx->tls);
	saola_server_stop(fx->wrong_name);
	saola_server_stop(fx->plain);
	free(fx->token);
	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

static saola *new_device(fixture *fx, const char *name)
{
	saola *db = NULL;

	assert_int_equal(saola_open(tu_path(fx->dir, name), SAOLA_OPEN_CREATE, &db), SAOLA_OK);
	return db;
}

static long server_records(fixture *fx)
{
	return tu_count(fx->srvdb, "SELECT count(*) FROM records");
}

/* A device enrols over https with the district's CA, pushes households and
 * another device pulls them: the CA file given at enrolment is kept for
 * later syncs. */
static void test_sync_over_https(void **state)
{
	fixture *fx = *state;
	saola_sync_opts o;
	saola_sync_stats st;
	saola *a = new_device(fx, "a.db"), *b = new_device(fx, "b.db");
	json_t *ids = json_array(), *got;
	long before = server_records(fx);
	int64_t queued = -1;

	memset(&o, 0, sizeof o);
	o.ca_file = fx->ca1;
	if (saola_enrol(a, fx->tls_url, fx->token, &o) != SAOLA_OK)
		fail_msg("enrol: %s", saola_errmsg(a));
	st_put_households(a, 41, COMMUNE, 5, ids);
	if (saola_sync(a, NULL, &st) != SAOLA_OK)
		fail_msg("sync over https: %s", saola_errmsg(a));
	assert_int_equal(saola_outbox_count(a, &queued), SAOLA_OK);
	assert_int_equal(queued, 0);
	assert_int_equal(st.records_up, 5);
	assert_int_equal(server_records(fx), before + 5);
	if (saola_enrol(b, fx->tls_url, fx->token, &o) != SAOLA_OK ||
	    saola_sync(b, NULL, &st) != SAOLA_OK)
		fail_msg("second device: %s", saola_errmsg(b));
	got = st_record_ids(b);
	assert_true(json_array_size(got) >= 5);
	assert_true(st_same_record(a, b, json_string_value(json_array_get(ids, 0))));
	json_decref(got);
	json_decref(ids);
	saola_close(a);
	saola_close(b);
}

/* The saola command: init with --ca-file, import, sync, status. */
static void test_cli_over_https(void **state)
{
	fixture *fx = *state;
	const char *db = tu_path(fx->dir, "cli.db");
	const char *jsonl = tu_path(fx->dir, "cli.jsonl");

	snprintf(command, sizeof command, "'%s' init --db '%s' --server %s --token %s"
	         " --ca-file '%s'", tu_bin("saola"), db, fx->tls_url, fx->token, fx->ca1);
	run_ok(command);
	snprintf(command, sizeof command, "'%s' --count 3 --seed 42 --commune %s > '%s'",
	         tu_bin("saola-gen"), COMMUNE, jsonl);
	run_ok(command);
	snprintf(command, sizeof command, "'%s' import --db '%s' --form household '%s'",
	         tu_bin("saola"), db, jsonl);
	run_ok(command);
	snprintf(command, sizeof command, "'%s' sync --db '%s' --stats", tu_bin("saola"), db);
	run_ok(command);
	assert_non_null(strstr(out, "records up:    3"));
	assert_int_equal(tu_count(db, "SELECT count(*) FROM outbox"), 0);
}

/* Sync of a device pointed at url (no enrolment: no network until then)
 * with ca_file (NULL: the system's CAs); must fail at once. Returns the
 * message. */
static const char *refused(fixture *fx, const char *name, const char *url, const char *ca_file)
{
	static char msg[1024];
	saola *db = st_device(tu_path(fx->dir, name), url, fx->token);
	saola_sync_opts o;
	saola_sync_stats st;
	int rc;

	memset(&o, 0, sizeof o);
	o.ca_file = ca_file;
	o.max_attempts = 5;
	st_put_households(db, 43, COMMUNE, 1, NULL);
	rc = saola_sync(db, &o, &st);
	snprintf(msg, sizeof msg, "%s", saola_errmsg(db));
	assert_int_equal(rc, SAOLA_NETWORK);
	/* A certificate refused is not retried: trying again cannot mend it. */
	assert_int_equal(st.requests, 1);
	assert_int_equal(st.retries, 0);
	saola_close(db);
	return msg;
}

/* A server certificate that another CA signed. */
static void test_wrong_ca_refused(void **state)
{
	fixture *fx = *state;
	long before = server_records(fx);
	const char *msg = refused(fx, "wrongca.db", fx->tls_url, fx->ca2);

	print_message("another CA: %s\n", msg);
	assert_non_null(strstr(msg, "certificate"));
	assert_non_null(strstr(msg, fx->tls_url));
	assert_int_equal(server_records(fx), before);
}

/* The system's CAs do not know the district's CA: the message says what to
 * do. */
static void test_system_cas_refused(void **state)
{
	fixture *fx = *state;
	const char *msg = refused(fx, "nocafile.db", fx->tls_url, NULL);

	print_message("system CAs: %s\n", msg);
	assert_non_null(strstr(msg, "certificate"));
	assert_non_null(strstr(msg, "--ca-file"));
}

/* A certificate of the right CA for another name. */
static void test_wrong_name_refused(void **state)
{
	fixture *fx = *state;
	const char *msg = refused(fx, "wrongname.db", fx->wrong_url, fx->ca1);

	print_message("another name: %s\n", msg);
	assert_non_null(strstr(msg, "127.0.0.1"));
	assert_non_null(strstr(msg, "name"));
}

/* The same refusals through the saola command: exit 1, the reason on
 * stderr. */
static void test_cli_refusals(void **state)
{
	fixture *fx = *state;
	const char *db = tu_path(fx->dir, "cli-refused.db");

	snprintf(command, sizeof command, "'%s' init --db '%s'", tu_bin("saola"), db);
	run_ok(command);
	snprintf(command, sizeof command, "'%s' sync --db '%s' --server %s --token %s"
	         " --ca-file '%s'", tu_bin("saola"), db, fx->tls_url, fx->token, fx->ca2);
	assert_int_equal(tu_run(command, out, sizeof out, err, sizeof err), 1);
	assert_non_null(strstr(err, "certificate"));
	snprintf(command, sizeof command, "'%s' sync --db '%s' --server %s --token %s"
	         " --ca-file '%s'", tu_bin("saola"), db, fx->wrong_url, fx->token, fx->ca1);
	assert_int_equal(tu_run(command, out, sizeof out, err, sizeof err), 1);
	assert_non_null(strstr(err, "name"));
}

/* Plain http goes only to the loopback, unless --insecure-http. 0.0.0.0
 * reaches this machine's own server on Linux but is not a loopback name,
 * so it stands for a host of the network here; a name that only starts
 * with "127." is a name, not the loopback. */
static void test_plain_http_needs_insecure(void **state)
{
	fixture *fx = *state;
	static const char *const hosts[] = {"0.0.0.0", "192.0.2.10", "127.evil.example",
	                                    "[2001:db8::1]", "example.org"};
	const char *db = tu_path(fx->dir, "plain.db");
	saola *dev;
	saola_sync_opts o;
	char url[128];
	size_t i;

	for (i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
		dev = new_device(fx, "plain-lib.db");
		snprintf(url, sizeof url, "http://%s:%d", hosts[i], fx->plain_port);
		assert_int_equal(saola_enrol(dev, url, fx->token, NULL), SAOLA_INVALID);
		assert_non_null(strstr(saola_errmsg(dev), "plain http"));
		assert_non_null(strstr(saola_errmsg(dev), "--insecure-http"));
		memset(&o, 0, sizeof o);
		o.server = url;
		o.token = fx->token;
		assert_int_equal(saola_sync(dev, &o, NULL), SAOLA_INVALID);
		saola_close(dev);
	}
	/* The command: refused, then allowed with --insecure-http. */
	snprintf(command, sizeof command, "'%s' init --db '%s'", tu_bin("saola"), db);
	run_ok(command);
	snprintf(url, sizeof url, "http://0.0.0.0:%d", fx->plain_port);
	snprintf(command, sizeof command, "'%s' sync --db '%s' --server %s --token %s",
	         tu_bin("saola"), db, url, fx->token);
	assert_int_equal(tu_run(command, out, sizeof out, err, sizeof err), 1);
	assert_non_null(strstr(err, "plain http"));
	snprintf(command, sizeof command, "'%s' sync --db '%s' --server %s --token %s"
	         " --insecure-http", tu_bin("saola"), db, url, fx->token);
	run_ok(command);
	/* The loopback needs no flag. */
	snprintf(command, sizeof command, "'%s' sync --db '%s' --server http://127.0.0.1:%d"
	         " --token %s", tu_bin("saola"), db, fx->plain_port, fx->token);
	run_ok(command);
}

/* saola_server_start refuses TLS files that cannot serve, saying why. */
static void test_server_refuses_bad_tls(void **state)
{
	fixture *fx = *state;
	struct { const char *cert, *key, *says; } cases[] = {
		{fx->cert, NULL, "go together"},
		{NULL, fx->key, "go together"},
		{fx->key, fx->cert, "not a PEM certificate"},
		{fx->cert, fx->ca1, "not a PEM key"},
		{fx->cert, "/nonexistent/server.key", "cannot open"},
		{fx->cert, fx->other_key, "HTTPS"},   /* a key of another certificate */
	};
	saola_server_opts so;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		saola_server *s = NULL;
		memset(&so, 0, sizeof so);
		so.db_path = fx->srvdb;
		so.listen = "127.0.0.1:0";
		so.tls_cert = cases[i].cert;
		so.tls_key = cases[i].key;
		assert_int_not_equal(saola_server_start(&so, &s), SAOLA_OK);
		print_message("refused: %s\n", saola_server_errmsg(s));
		if (!strstr(saola_server_errmsg(s), cases[i].says))
			fail_msg("case %zu: \"%s\" does not say \"%s\"", i, saola_server_errmsg(s),
			         cases[i].says);
		saola_server_stop(s);
	}
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

/* `saola-server serve --tls-cert F --tls-key F` says https and serves it. */
static void test_serve_command(void **state)
{
	fixture *fx = *state;
	const char *mark = "listening on https://127.0.0.1:";
	char line[256] = "", url[128], db[1100];
	int pfd[2], status = 0, port = 0;
	long code = 0;
	FILE *f;
	pid_t pid;
	CURL *c;

	snprintf(db, sizeof db, "%s/serve.db", fx->dir);
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execl(st_server_bin(), "saola-server", "serve", "--db", db, "--listen",
		      "127.0.0.1:0", "--schemas", SAOLA_TEST_SCHEMAS, "--tls-cert", fx->cert,
		      "--tls-key", fx->key, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	assert_non_null(f);
	/* The first line comes once it listens, or EOF if it failed. */
	if (fgets(line, sizeof line, f) && strncmp(line, mark, strlen(mark)) == 0)
		port = atoi(line + strlen(mark));
	if (port > 0) {
		snprintf(url, sizeof url, "https://127.0.0.1:%d/healthz", port);
		c = curl_easy_init();
		assert_non_null(c);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_CAINFO, fx->ca1);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
		if (curl_easy_perform(c) == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_cleanup(c);
	}
	kill(pid, SIGTERM);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	fclose(f);
	if (port <= 0)
		fail_msg("serve --tls-cert: expected \"%s...\", got \"%s\"", mark, line);
	assert_int_equal(code, 200);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sync_over_https),
		cmocka_unit_test(test_cli_over_https),
		cmocka_unit_test(test_wrong_ca_refused),
		cmocka_unit_test(test_system_cas_refused),
		cmocka_unit_test(test_wrong_name_refused),
		cmocka_unit_test(test_cli_refusals),
		cmocka_unit_test(test_plain_http_needs_insecure),
		cmocka_unit_test(test_server_refuses_bad_tls),
		cmocka_unit_test(test_serve_command),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
