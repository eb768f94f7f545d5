/* limits_memory.c: the memory test of test_adversary's limits group
 * (limits.c): a saola-server process, its peak resident memory read from
 * /proc while it is sent the tester's body and, every worker at once,
 * large but legal ones. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <curl/curl.h>

#include "testutil.h"
#include "synctest.h"
#include "limits_int.h"
#include "server_int.h"

#define BOMB_OBJECTS 20000000   /* the tester's body: 20 million {} */

/* ------------------------------------------------------------------ */
/* A saola-server process, for its peak memory                         */

typedef struct child {
	pid_t pid;
	int port;
	char log[1100];
} child;

/* The server binary the memory test measures: $SAOLA_TEST_MEMORY_SERVER
 * (say, a Release build's), else this build's. */
static const char *memory_server_bin(void)
{
	const char *bin = getenv("SAOLA_TEST_MEMORY_SERVER");

	return bin && *bin ? bin : st_server_bin();
}

/* 1 when the server binary is this build's and this build has ASan. */
static int measured_with_asan(void)
{
#if defined(__SANITIZE_ADDRESS__)
	const char *bin = getenv("SAOLA_TEST_MEMORY_SERVER");
	return !bin || !*bin;
#else
	return 0;
#endif
}

/* Starts `saola-server serve` on db, its output in dir/server.log, and
 * waits (10 s at most) for the port it says it listens on. */
static void child_start(child *ch, const char *dir, const char *db)
{
	int i;

	memset(ch, 0, sizeof *ch);
	snprintf(ch->log, sizeof ch->log, "%s/server.log", dir);
	ch->pid = fork();
	assert_true(ch->pid >= 0);
	if (ch->pid == 0) {
		int fd = open(ch->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		/* A test that fails before it stops the server leaves no server
		 * behind it: the server ends with the test program. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd < 0)
			_exit(127);
		dup2(fd, 1);
		dup2(fd, 2);
		/* ASan gives freed memory back late (its quarantine): keep it
		 * small, so that the peak is the server's, not the checker's. */
		setenv("ASAN_OPTIONS", "detect_leaks=0:quarantine_size_mb=16:"
		       "malloc_context_size=4", 1);
		execl(memory_server_bin(), "saola-server", "serve", "--db", db, "--listen",
		      "127.0.0.1:0", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 1000 && !ch->port; i++) {
		char text[4096] = "";
		const char *p;
		FILE *f = fopen(ch->log, "r");
		if (f) {
			text[fread(text, 1, sizeof text - 1, f)] = '\0';
			fclose(f);
		}
		if ((p = strstr(text, "listening on http://127.0.0.1:")))
			ch->port = atoi(p + strlen("listening on http://127.0.0.1:"));
		else
			usleep(10000);
	}
	if (!ch->port) {
		kill(ch->pid, SIGKILL);
		waitpid(ch->pid, NULL, 0);
		fail_msg("%s did not start (see %s)", memory_server_bin(), ch->log);
	}
}

static void child_stop(child *ch)
{
	int status;

	kill(ch->pid, SIGTERM);
	assert_int_equal(waitpid(ch->pid, &status, 0), ch->pid);
}

/* A memory figure of pid's /proc status, in bytes: "VmHWM" (the peak
 * resident memory) or "VmRSS" (now). */
static size_t proc_memory(pid_t pid, const char *what)
{
	char path[64], line[256], format[32];
	size_t kb = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	snprintf(format, sizeof format, "%s: %%zu kB", what);
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof line, f))
		if (sscanf(line, format, &kb) == 1)
			break;
	fclose(f);
	assert_true(kb > 0);
	return kb * 1024;
}

static size_t peak_rss(pid_t pid)
{
	return proc_memory(pid, "VmHWM");
}

typedef struct post {
	const char *url, *token;
	const unsigned char *body;
	size_t len, sent;
	pthread_barrier_t *last;   /* waited on before the body's last byte */
	long status;
	char message[256];
} post;

static size_t post_read(char *buf, size_t size, size_t n, void *arg)
{
	post *p = arg;
	size_t k = p->len - p->sent;

	if (k > 1 && k - 1 < size * n)
		k = k - 1;            /* all but the last byte */
	else if (k > size * n)
		k = size * n;
	else if (k == 1 && p->last)
		pthread_barrier_wait(p->last);
	memcpy(buf, p->body + p->sent, k);
	p->sent += k;
	return k;
}

static size_t post_answer(char *data, size_t size, size_t n, void *arg)
{
	post *p = arg;
	size_t have = strlen(p->message), k = size * n;

	if (k > sizeof p->message - 1 - have)
		k = sizeof p->message - 1 - have;
	memcpy(p->message + have, data, k);
	p->message[have + k] = '\0';
	return size * n;
}

/* POSTs p's gzip body to /v1/sync; with p->last, the body's last byte
 * waits for the other posts' (so that the server decodes them at once). */
static void *post_thread(void *arg)
{
	post *p = arg;
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char url[128], line[128];

	snprintf(url, sizeof url, "%s/v1/sync", p->url);
	snprintf(line, sizeof line, "Authorization: Bearer %s", p->token);
	h = curl_slist_append(h, line);
	h = curl_slist_append(h, "Content-Encoding: gzip");
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)p->len);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, post_read);
	curl_easy_setopt(c, CURLOPT_READDATA, p);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, post_answer);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, p);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &p->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return NULL;
}

/* Posts body with each of n tokens at once (their last bytes together):
 * 1 when each gets status (and an answer that says says), else 0 with why
 * in why (whylen bytes). */
/* POSTs bodies[i] (lens[i] bytes) with tokens[i], i < n, all at once. */
static int post_all(const char *url, char **tokens, int n, unsigned char **bodies,
                    const size_t *lens, long status, const char *says, char *why, size_t whylen)
{
	post p[SAOLA__THREADS_DEFAULT];
	pthread_t th[SAOLA__THREADS_DEFAULT];
	pthread_barrier_t last;
	int i;

	assert_true(n <= SAOLA__THREADS_DEFAULT);
	assert_int_equal(pthread_barrier_init(&last, NULL, (unsigned)n), 0);
	for (i = 0; i < n; i++) {
		memset(&p[i], 0, sizeof p[i]);
		p[i].url = url, p[i].token = tokens[i], p[i].body = bodies[i], p[i].len = lens[i];
		p[i].last = &last;
		assert_int_equal(pthread_create(&th[i], NULL, post_thread, &p[i]), 0);
	}
	for (i = 0; i < n; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	pthread_barrier_destroy(&last);
	for (i = 0; i < n; i++) {
		if (p[i].status != status || (says && !strstr(p[i].message, says))) {
			snprintf(why, whylen, "expected %ld %s, got %ld: %.300s", status,
			         says ? says : "", p[i].status, p[i].message);
			return 0;
		}
	}
	return 1;
}

/* The targets: 300 MiB under any single request, 1 GiB with every
 * worker busy, for the server as shipped (a Release build).
 *
 * Under ASan (this build's server, when SAOLA_TEST_MEMORY_SERVER names no
 * other) every allocation carries redzones and a header, and jansson's
 * values are small allocations: measured on this machine, the same server
 * peaks at 1.6 to 2.5 times the Release figure for the same requests
 * (Release: 25 MiB for the tester's body, 144 MiB for a body at the cap,
 * 154-413 MiB for 4 at once; ASan: 64, 233, 392-840 MiB; docs/security.md,
 * "Limits"). Under ASan the targets are then doubled, which still fails the
 * server before the caps by far (the tester's body alone took 4.5 GB in a
 * Release build, more under ASan) and passes it after with a margin. Memory
 * given back (malloc_trim) is checked on a Release server only: ASan's
 * allocator keeps freed memory as it sees fit. Run with
 * SAOLA_TEST_MEMORY_SERVER=$PWD/build-rel/server/saola-server to hold a
 * Release build to the targets themselves. */
#define ASAN_FACTOR 2

void limits_test_memory_bounded(void **state)
{
	const char *dir = tu_tmpdir("limits-mem");
	char db[1024], url[64], *token[SAOLA__THREADS_DEFAULT], name[16];
	size_t bomb_len, legal_len[SAOLA__THREADS_DEFAULT], start, bomb_peak, one_peak, busy_peak;
	size_t after;
	size_t factor = measured_with_asan() ? ASAN_FACTOR : 1;
	unsigned char *bomb, *legal[SAOLA__THREADS_DEFAULT];
	char why[3][400];
	child ch;
	int i, ok[3];

	(void)state;
	snprintf(db, sizeof db, "%s/server.db", dir);
	/* One user each: one user's requests at once are limited below that. */
	for (i = 0; i < SAOLA__THREADS_DEFAULT; i++) {
		snprintf(name, sizeof name, "user%d", i);
		token[i] = st_user_add(db, name, "surveyor", "14404");
	}
	child_start(&ch, dir, db);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", ch.port);
	start = peak_rss(ch.pid);

	/* The tester's body: refused, and the server's peak stays low. */
	bomb = limits_junk_body("dev-mem-0", BOMB_OBJECTS, "{}", &bomb_len);
	ok[0] = post_all(url, token, 1, &bomb, &bomb_len, 413, "too_large", why[0], sizeof why[0]);
	free(bomb);
	bomb_peak = peak_rss(ch.pid);

	/* A body just under the caps, of the dearest values there are (empty
	 * objects): served, alone and then by every worker at once (each
	 * user's own device: an origin belongs to one user). */
	for (i = 0; i < SAOLA__THREADS_DEFAULT; i++) {
		char device[32];
		snprintf(device, sizeof device, "dev-mem-%d", i);
		legal[i] = limits_junk_body(device, SAOLA__MAX_VALUES_DEFAULT - 100, "{}",
		                            &legal_len[i]);
	}
	ok[1] = post_all(url, token, 1, legal, legal_len, 200, NULL, why[1], sizeof why[1]);
	one_peak = peak_rss(ch.pid);
	ok[2] = post_all(url, token, SAOLA__THREADS_DEFAULT, legal, legal_len, 200, NULL, why[2],
	                 sizeof why[2]);
	busy_peak = peak_rss(ch.pid);
	/* What the requests took is given back (malloc_trim after a big
	 * body): wait for it, 5 s at most. */
	for (i = 0; i < 50 && (after = proc_memory(ch.pid, "VmRSS")) > start + 64 * MIB; i++)
		usleep(100000);
	for (i = 0; i < SAOLA__THREADS_DEFAULT; i++)
		free(legal[i]);
	child_stop(&ch);
	for (i = 0; i < SAOLA__THREADS_DEFAULT; i++)
		free(token[i]);
	tu_rmtree(dir);

	print_message("memory (%s%s): peak at start %zu MiB; after 20 million {} (%zu KB of"
	              " gzip) %zu MiB; after %zu {} %zu MiB; after %d of them at once"
	              " %zu MiB, resident after them %zu MiB\n", memory_server_bin(),
	              factor > 1 ? ", ASan" : "", start / MIB,
	              bomb_len / 1000, bomb_peak / MIB, (size_t)SAOLA__MAX_VALUES_DEFAULT - 100,
	              one_peak / MIB, SAOLA__THREADS_DEFAULT, busy_peak / MIB, after / MIB);
	for (i = 0; i < 3; i++)
		if (!ok[i])
			fail_msg("%s", why[i]);
	assert_true(bomb_peak < 300 * MIB * factor);
	assert_true(one_peak < 300 * MIB * factor);
	assert_true(busy_peak < 1024 * MIB * factor);
	/* malloc_trim gives the trees back; ASan's allocator keeps freed
	 * memory as it sees fit, so this holds a Release server only. */
	if (factor == 1)
		assert_true(after <= start + 64 * MIB);
}
