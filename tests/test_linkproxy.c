/* test_linkproxy.c: the shaping proxy of tests/support/linkproxy.c: its
 * model's schedule, bytes carried intact and in order both ways (none, one,
 * more than its buffer) over shaped and unshaped links and counted, and a
 * cut or a stop in the middle of a transfer that leaves nobody waiting.
 * No timing here: the benchmarks measure (bench_sync's 2G phase). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"
#include "linkproxy.h"

#define MS 1000000LL
#define NONE {0, 0}

/* The byte at offset i of a stream: seeded per direction, so that a byte
 * lost, doubled or moved is seen. */
static unsigned char pattern(long i, int seed)
{
	return (unsigned char)((i * 131 + i / 251 + seed) & 0xff);
}

/* ---- the model ---- */

typedef struct step {
	long arrive_ms, n;
	long long deliver_ms, busy_ms;
} step;

static const struct {
	const char *name;
	tu_link link;
	step steps[4];
	int n;
} model_cases[] = {
	/* 64 kbit/s: 8 bytes a millisecond. */
	{"2G: queued behind the previous bytes, then idle", {64000, 300},
	 {{0, 8000, 1300, 1000}, {500, 4000, 1800, 1500}, {2000, 8, 2301, 2001},
	  {2001, 0, 2301, 2001}}, 4},
	{"no cap: latency only", {0, 300}, {{5, 1000000, 305, 5}, {5, 1, 305, 5}}, 2},
	{"no cap, no latency: delivered as it arrives", NONE, {{7, 4096, 7, 7}}, 1},
	{"8 Mbit/s: a megabyte in a second", {8000000, 20}, {{0, 1000000, 1020, 1000}}, 1},
};

static void test_model(void **state)
{
	size_t c;
	int i;

	for (c = 0; c < sizeof model_cases / sizeof model_cases[0]; c++) {
		long long busy = 0;
		for (i = 0; i < model_cases[c].n; i++) {
			const step *s = &model_cases[c].steps[i];
			long long at = tu_link_schedule(&model_cases[c].link, &busy, s->arrive_ms * MS, s->n);
			if (at != s->deliver_ms * MS || busy != s->busy_ms * MS)
				fail_msg("%s: step %d: delivered at %lld ns, busy to %lld ns; expected %lld ms, "
				         "%lld ms", model_cases[c].name, i, at, busy, s->deliver_ms, s->busy_ms);
		}
	}
}

/* A request and its answer: two latencies plus both transfers. */
static void test_model_round_trip(void **state)
{
	tu_link up = {64000, 300}, down = {64000, 300};
	long long busy_up = 0, busy_down = 0, at;

	at = tu_link_schedule(&up, &busy_up, 0, 8000);
	at = tu_link_schedule(&down, &busy_down, at, 16000);
	assert_int_equal(at, (2 * 300 + 1000 + 2000) * MS);
}

/* ---- a server behind the proxy ---- */

/* Reads the whole request (to the client's end), checking it, then
 * answers down bytes and closes. first: set once a byte came in. */
typedef struct server {
	int lfd, port;
	long down;
	long got;
	int intact;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int first;
	pthread_t thread;
} server;

static int send_all(int fd, long n, int seed, long *sent)
{
	unsigned char buf[8192];

	*sent = 0;
	while (*sent < n) {
		long k = n - *sent < (long)sizeof buf ? n - *sent : (long)sizeof buf, i;
		ssize_t w;
		for (i = 0; i < k; i++)
			buf[i] = pattern(*sent + i, seed);
		w = send(fd, buf, (size_t)k, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		*sent += w;
	}
	return 0;
}

/* Reads to the end: the bytes read; *intact 0 if one is not the pattern's. */
static long recv_all(int fd, int seed, int *intact, server *first)
{
	unsigned char buf[8192];
	long got = 0;
	ssize_t n, i;

	*intact = 1;
	while ((n = recv(fd, buf, sizeof buf, 0)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (i = 0; i < n; i++)
			if (buf[i] != pattern(got + i, seed))
				*intact = 0;
		if (got == 0 && first) {
			pthread_mutex_lock(&first->lock);
			first->first = 1;
			pthread_cond_signal(&first->cond);
			pthread_mutex_unlock(&first->lock);
		}
		got += n;
	}
	return got;
}

static void *server_run(void *arg)
{
	server *s = arg;
	int fd = accept(s->lfd, NULL, NULL), intact;
	long sent;

	if (fd < 0)
		return NULL;
	s->got = recv_all(fd, 1, &intact, s);
	s->intact = intact;
	send_all(fd, s->down, 2, &sent);
	close(fd);
	return NULL;
}

static void server_start(server *s, long down)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof a;

	memset(s, 0, sizeof *s);
	s->down = down;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(s->lfd, 4), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &alen), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, server_run, s), 0);
}

static void server_join(server *s)
{
	pthread_join(s->thread, NULL);
	close(s->lfd);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
}

static int connect_port(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- bytes through the proxy ---- */

static const struct {
	const char *name;
	long up, down;
	tu_link link_up, link_down;
} carry_cases[] = {
	{"nothing either way", 0, 0, NONE, NONE},
	{"one byte up, nothing down", 1, 0, NONE, NONE},
	{"nothing up, a page down", 0, 4096, {64000, 30}, {64000, 30}},
	{"a 2G request and answer", 2000, 700, {64000, 100}, {64000, 100}},
	{"a small request, a large answer", 300, 3L << 20, NONE, NONE},
	{"more than the buffer both ways, capped", 2L << 20, 2L << 20,
	 {400000000, 5}, {200000000, 10}},
	{"more than the buffer, latency only", 1L << 20, 1L << 20, {0, 10}, {0, 20}},
	{"asymmetric caps", 50000, 200000, {1000000, 1}, {16000000, 1}},
};

static void carry(size_t c)
{
	tu_linkproxy *px;
	tu_link_counts n;
	server s;
	long sent;
	int fd, intact;

	server_start(&s, carry_cases[c].down);
	px = tu_linkproxy_start(s.port, carry_cases[c].link_up, carry_cases[c].link_down);
	assert_non_null(px);
	fd = connect_port(tu_linkproxy_port(px));
	assert_true(fd >= 0);
	assert_int_equal(send_all(fd, carry_cases[c].up, 1, &sent), 0);
	shutdown(fd, SHUT_WR);
	sent = recv_all(fd, 2, &intact, NULL); /* the answer, to the server's end */
	close(fd);
	server_join(&s);
	tu_linkproxy_counts(px, &n);
	tu_linkproxy_stop(px);
	if (s.got != carry_cases[c].up || !s.intact || sent != carry_cases[c].down || !intact ||
	    n.up != carry_cases[c].up || n.down != carry_cases[c].down || n.connections != 1)
		fail_msg("%s: the server got %ld bytes (%s), the client %ld (%s); the proxy counted "
		         "%lld up, %lld down, %d connections", carry_cases[c].name, s.got,
		         s.intact ? "intact" : "changed", sent, intact ? "intact" : "changed", n.up,
		         n.down, n.connections);
}

static void test_carry(void **state)
{
	size_t c;

	for (c = 0; c < sizeof carry_cases / sizeof carry_cases[0]; c++)
		carry(c);
}

/* ---- a cut or a stop in the middle ---- */

typedef struct writer {
	int fd;
	long n, sent;
	int rc;
} writer;

static void *writer_run(void *arg)
{
	writer *w = arg;

	w->rc = send_all(w->fd, w->n, 1, &w->sent);
	return NULL;
}

/* Waits until the server has a first byte: the transfer is under way. */
static void wait_first(server *s)
{
	pthread_mutex_lock(&s->lock);
	while (!s->first)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

/* 16 MiB at 80 kbit/s would take half an hour: every party must see the
 * end as soon as the proxy cuts or stops. */
static void interrupt(int stop)
{
	tu_link slow = {80000, 50};
	tu_linkproxy *px;
	writer w;
	pthread_t t;
	server s;
	int intact;
	long got;

	server_start(&s, 0);
	px = tu_linkproxy_start(s.port, slow, slow);
	assert_non_null(px);
	memset(&w, 0, sizeof w);
	w.n = 16L << 20;
	w.fd = connect_port(tu_linkproxy_port(px));
	assert_true(w.fd >= 0);
	assert_int_equal(pthread_create(&t, NULL, writer_run, &w), 0);
	wait_first(&s);
	if (stop)
		tu_linkproxy_stop(px);
	else
		tu_linkproxy_cut(px);
	pthread_join(t, NULL);
	got = recv_all(w.fd, 2, &intact, NULL);
	close(w.fd);
	server_join(&s);
	assert_int_equal(w.rc, -1);
	assert_true(w.sent < w.n);
	assert_int_equal(got, 0);
	assert_true(s.got > 0 && s.got < w.n && s.intact);
	if (!stop) {
		tu_link_counts n;
		tu_linkproxy_counts(px, &n);
		assert_int_equal(n.up, s.got);
		tu_linkproxy_stop(px);
	}
}

static void test_cut_midway(void **state)
{
	interrupt(0);
}

static void test_stop_midway(void **state)
{
	interrupt(1);
}

/* After a cut the proxy still carries new connections. */
static void test_after_cut(void **state)
{
	tu_linkproxy *px;
	tu_link_counts n;
	server s;
	long sent;
	int fd, intact;

	server_start(&s, 1000);
	px = tu_linkproxy_start(s.port, (tu_link)NONE, (tu_link)NONE);
	assert_non_null(px);
	tu_linkproxy_cut(px);
	fd = connect_port(tu_linkproxy_port(px));
	assert_true(fd >= 0);
	assert_int_equal(send_all(fd, 5000, 1, &sent), 0);
	shutdown(fd, SHUT_WR);
	assert_int_equal(recv_all(fd, 2, &intact, NULL), 1000);
	assert_true(intact);
	close(fd);
	server_join(&s);
	assert_int_equal(s.got, 5000);
	tu_linkproxy_counts(px, &n);
	assert_int_equal(n.up, 5000);
	assert_int_equal(n.down, 1000);
	tu_linkproxy_stop(px);
	tu_linkproxy_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_model_round_trip),
		cmocka_unit_test(test_carry),
		cmocka_unit_test(test_cut_midway),
		cmocka_unit_test(test_stop_midway),
		cmocka_unit_test(test_after_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
