/* test_slowconn.c: the tester's slow connections (issue 11): 1,100
 * connections, from addresses spread over 127.0.0.2-127.0.0.250, each
 * sending a byte of its headers every 3 s and never finishing them, held
 * for 30 s against a server in this process. Meanwhile a device syncs from
 * 127.0.0.1: it must succeed; and every trickling connection must have
 * been cut by the server at the headers' deadline (20 s), which the
 * trickle does not extend. ctest label "slow": it takes about 30 s. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "synctest.h"
#include "saola/server.h"
#include "saola/sync.h"
#include "server_int.h"
#include "store.h"
#include "users.h"
#include "auth.h"

#define CONNS 1100
#define HOLD_MS 30000
#define TRICKLE_MS 3000
#define SLACK_MS 5000      /* the reaper's round and a loaded machine */

static const char trickle_text[] = "GET /healthz HTTP/1.1\r\nHost: saola\r\nX-Slow: aaaaaaaa";

typedef struct conn {
	int fd;
	int64_t opened, closed;   /* ms; closed 0: still open at the end */
	size_t sent;
} conn;

typedef struct fixture {
	char dir[512], db[1024], url[64];
	saola_server *srv;
	char token[SAOLA__TOKEN_HEX + 1];
	conn conns[CONNS];
	int64_t start;
} fixture;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Opens connection i from 127.0.0.(2 + i % 249). */
static void open_conn(fixture *fx, int i)
{
	struct sockaddr_in a;
	char source[32];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	snprintf(source, sizeof source, "127.0.0.%d", 2 + i % 249);
	assert_int_equal(inet_pton(AF_INET, source, &a.sin_addr), 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	a.sin_port = htons((unsigned short)saola_server_port(fx->srv));
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &a.sin_addr), 1);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
		fail_msg("connection %d from %s: %s", i, source, strerror(errno));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fx->conns[i].fd = fd;
	fx->conns[i].opened = now_ms();
}

/* Notes which connections the server closed (it read as the end). */
static void watch(fixture *fx, struct pollfd *pfd, int timeout_ms)
{
	int i;
	char buf[512];

	for (i = 0; i < CONNS; i++) {
		pfd[i].fd = fx->conns[i].closed ? -1 : fx->conns[i].fd;
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
	if (poll(pfd, CONNS, timeout_ms) <= 0)
		return;
	for (i = 0; i < CONNS; i++) {
		ssize_t got;
		if (!pfd[i].revents)
			continue;
		got = recv(fx->conns[i].fd, buf, sizeof buf, 0);
		if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
			fx->conns[i].closed = now_ms();
		}
	}
}

/* Every TRICKLE_MS, a byte of each open connection's headers; HOLD_MS in
 * all. */
static void *trickle(void *arg)
{
	fixture *fx = arg;
	struct pollfd *pfd = calloc(CONNS, sizeof *pfd);
	int64_t next = 0, end;
	int i;

	if (!pfd)
		return NULL;
	end = fx->start + HOLD_MS;
	while (now_ms() < end) {
		if (now_ms() >= next) {
			for (i = 0; i < CONNS; i++) {
				conn *c = &fx->conns[i];
				if (c->closed || c->sent + 1 >= sizeof trickle_text)
					continue;
				if (send(c->fd, trickle_text + c->sent, 1, MSG_NOSIGNAL) == 1)
					c->sent++;
			}
			next = now_ms() + TRICKLE_MS;
		}
		watch(fx, pfd, 200);
	}
	free(pfd);
	return NULL;
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	saola_server_opts o;
	saola__store *st = NULL;
	char err[512];
	saola__err e;

	assert_non_null(fx);
	snprintf(fx->dir, sizeof fx->dir, "%s", tu_tmpdir("slowconn"));
	snprintf(fx->db, sizeof fx->db, "%s/server.db", fx->dir);
	memset(&o, 0, sizeof o);
	o.db_path = fx->db;
	o.listen = "127.0.0.1:0";
	o.schemas = SAOLA_TEST_SCHEMAS;
	if (saola_server_start(&o, &fx->srv) != SAOLA_OK)
		fail_msg("server start: %s", saola_server_errmsg(fx->srv));
	snprintf(fx->url, sizeof fx->url, "http://127.0.0.1:%d", saola_server_port(fx->srv));
	if (saola__store_sqlite_open(fx->db, NULL, 0, &st, err, sizeof err) != SAOLA_OK)
		fail_msg("store open: %s", err);
	if (saola__user_create(st, "lan", "surveyor", "14404", fx->token, &e) != 0)
		fail_msg("user: %s", e.message);
	saola__store_close(st);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	int i;

	for (i = 0; i < CONNS; i++)
		if (fx->conns[i].fd > 0)
			close(fx->conns[i].fd);
	saola_server_stop(fx->srv);
	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

static void test_trickle_cut_while_device_syncs(void **state)
{
	fixture *fx = *state;
	saola_sync_opts so;
	saola_sync_stats stats;
	pthread_t th;
	saola *dev;
	int i, rc, early = 0, late = 0, open = 0;
	int64_t deadline = (int64_t)SAOLA__HEADER_TIMEOUT_DEFAULT * 1000, synced_at;

	dev = st_device(tu_path(fx->dir, "device.db"), fx->url, fx->token);
	st_put_households(dev, 7, "14404", 20, NULL);
	fx->start = now_ms();
	for (i = 0; i < CONNS; i++)
		open_conn(fx, i);
	assert_int_equal(pthread_create(&th, NULL, trickle, fx), 0);

	/* Every trickling connection is open: the device syncs. */
	memset(&so, 0, sizeof so);
	so.timeout_s = 10;
	so.max_attempts = 2;
	rc = saola_sync(dev, &so, &stats);
	synced_at = now_ms() - fx->start;
	if (rc != SAOLA_OK)
		fail_msg("sync while %d connections trickle: %s", CONNS, saola_errmsg(dev));
	assert_int_equal(stats.records_up, 20);
	saola_close(dev);
	assert_int_equal(pthread_join(th, NULL), 0);

	for (i = 0; i < CONNS; i++) {
		const conn *c = &fx->conns[i];
		if (!c->closed)
			open++;
		else if (c->closed - c->opened < deadline - 1000)
			early++;
		else if (c->closed - c->opened > deadline + SLACK_MS)
			late++;
	}
	print_message("%d connections: synced after %lld ms; cut by the deadline: %d, still"
	              " open after %d s: %d, cut early: %d, late: %d\n", CONNS,
	              (long long)synced_at, CONNS - open - early - late, HOLD_MS / 1000, open,
	              early, late);
	assert_int_equal(open, 0);
	assert_int_equal(early, 0);
	assert_int_equal(late, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_trickle_cut_while_device_syncs, setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
