/* cutproxy.c: a TCP proxy for tests that closes connections after a chosen
 * number of request or response bytes, to cut a sync at any byte. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cutproxy.h"

#define MAX_PAIRS 32

typedef struct pair {
	int cfd, sfd;             /* client side, server side; -1 when unused */
	long req_n, resp_n;       /* bytes forwarded each way */
	long req_cut, resp_cut;   /* -1: no cut */
} pair;

struct tu_cutproxy {
	int lfd, port, target;
	int wake[2];              /* a byte here stops the thread */
	pthread_t thread;
	pthread_mutex_t lock;
	tu_cut_fn fn;
	void *ctx;
	int armed;                /* tu_cutproxy_arm: the next connection's cuts */
	long arm_req, arm_resp;
	int conns, cuts;
	pair pairs[MAX_PAIRS];
};

static void pair_close(pair *p)
{
	if (p->cfd >= 0)
		close(p->cfd);
	if (p->sfd >= 0)
		close(p->sfd);
	p->cfd = p->sfd = -1;
}

static int connect_to(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

static void accept_one(tu_cutproxy *px)
{
	int fd = accept(px->lfd, NULL, NULL), i, target;
	pair *p = NULL;

	if (fd < 0)
		return;
	for (i = 0; i < MAX_PAIRS; i++)
		if (px->pairs[i].cfd < 0) {
			p = &px->pairs[i];
			break;
		}
	if (!p) {
		close(fd);
		return;
	}
	p->cfd = fd;
	p->req_n = p->resp_n = 0;
	p->req_cut = p->resp_cut = -1;
	pthread_mutex_lock(&px->lock);
	if (px->fn)
		px->fn(px->ctx, px->conns, &p->req_cut, &p->resp_cut);
	if (px->armed) {
		p->req_cut = px->arm_req;
		p->resp_cut = px->arm_resp;
		px->armed = 0;
	}
	px->conns++;
	target = px->target;
	pthread_mutex_unlock(&px->lock);
	if (getenv("SAOLA_TEST_VERBOSE"))
		fprintf(stderr, "cutproxy: connection %d: cut request at %ld, answer at %ld\n",
		        px->conns - 1, p->req_cut, p->resp_cut);
	if (p->req_cut == 0) {
		pthread_mutex_lock(&px->lock);
		px->cuts++;
		pthread_mutex_unlock(&px->lock);
		pair_close(p);
		return;
	}
	if ((p->sfd = connect_to(target)) < 0)
		pair_close(p);
}

/* Forwards what is readable on one side; returns 0 to keep the pair. */
static int forward(tu_cutproxy *px, pair *p, int from_client)
{
	char buf[16384];
	int in = from_client ? p->cfd : p->sfd, out = from_client ? p->sfd : p->cfd;
	long *done = from_client ? &p->req_n : &p->resp_n;
	long cut = from_client ? p->req_cut : p->resp_cut;
	ssize_t n = recv(in, buf, sizeof buf, 0);
	size_t give;

	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0)
		return -1;
	if (!from_client && cut == TU_CUT_STALL)
		return 0; /* swallowed: the client hears nothing */
	give = (size_t)n;
	if (cut >= 0 && *done + (long)give >= cut)
		give = (size_t)(cut - *done);
	if (give > 0 && write_all(out, buf, give) != 0)
		return -1;
	*done += (long)give;
	if (cut >= 0 && *done >= cut) {
		pthread_mutex_lock(&px->lock);
		px->cuts++;
		pthread_mutex_unlock(&px->lock);
		return -1;
	}
	return 0;
}

static void *run(void *arg)
{
	tu_cutproxy *px = arg;
	struct pollfd fds[2 + 2 * MAX_PAIRS];
	int idx[2 + 2 * MAX_PAIRS], n, i;

	for (;;) {
		n = 0;
		fds[n].fd = px->wake[0], fds[n].events = POLLIN, idx[n++] = -1;
		fds[n].fd = px->lfd, fds[n].events = POLLIN, idx[n++] = -1;
		for (i = 0; i < MAX_PAIRS; i++) {
			if (px->pairs[i].cfd < 0)
				continue;
			fds[n].fd = px->pairs[i].cfd, fds[n].events = POLLIN, idx[n++] = 2 * i;
			fds[n].fd = px->pairs[i].sfd, fds[n].events = POLLIN, idx[n++] = 2 * i + 1;
		}
		if (poll(fds, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[0].revents)
			break;
		for (i = 2; i < n; i++) {
			pair *p = &px->pairs[idx[i] / 2];
			if (!fds[i].revents || p->cfd < 0)
				continue;
			if (forward(px, p, idx[i] % 2 == 0) != 0)
				pair_close(p);
		}
		if (fds[1].revents & POLLIN)
			accept_one(px);
	}
	for (i = 0; i < MAX_PAIRS; i++)
		pair_close(&px->pairs[i]);
	return NULL;
}

tu_cutproxy *tu_cutproxy_start(int target_port, tu_cut_fn fn, void *ctx)
{
	tu_cutproxy *px = calloc(1, sizeof *px);
	struct sockaddr_in a;
	socklen_t alen = sizeof a;
	int i, one = 1;

	if (!px)
		return NULL;
	px->target = target_port;
	px->fn = fn;
	px->ctx = ctx;
	px->wake[0] = px->wake[1] = -1;
	for (i = 0; i < MAX_PAIRS; i++)
		px->pairs[i].cfd = px->pairs[i].sfd = -1;
	pthread_mutex_init(&px->lock, NULL);
	if ((px->lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		goto fail;
	setsockopt(px->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(px->lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(px->lfd, 16) != 0 ||
	    getsockname(px->lfd, (struct sockaddr *)&a, &alen) != 0 || pipe(px->wake) != 0)
		goto fail;
	px->port = ntohs(a.sin_port);
	if (pthread_create(&px->thread, NULL, run, px) != 0)
		goto fail;
	return px;
fail:
	if (px->lfd >= 0)
		close(px->lfd);
	if (px->wake[0] >= 0) {
		close(px->wake[0]);
		close(px->wake[1]);
	}
	pthread_mutex_destroy(&px->lock);
	free(px);
	return NULL;
}

int tu_cutproxy_port(const tu_cutproxy *p)
{
	return p->port;
}

int tu_cutproxy_connections(tu_cutproxy *p)
{
	int n;

	pthread_mutex_lock(&p->lock);
	n = p->conns;
	pthread_mutex_unlock(&p->lock);
	return n;
}

int tu_cutproxy_cuts(tu_cutproxy *p)
{
	int n;

	pthread_mutex_lock(&p->lock);
	n = p->cuts;
	pthread_mutex_unlock(&p->lock);
	return n;
}

void tu_cutproxy_arm(tu_cutproxy *p, long req_cut, long resp_cut)
{
	pthread_mutex_lock(&p->lock);
	p->armed = 1;
	p->arm_req = req_cut;
	p->arm_resp = resp_cut;
	pthread_mutex_unlock(&p->lock);
}

void tu_cutproxy_retarget(tu_cutproxy *p, int target_port)
{
	pthread_mutex_lock(&p->lock);
	p->target = target_port;
	pthread_mutex_unlock(&p->lock);
}

void tu_cutproxy_stop(tu_cutproxy *p)
{
	char c = 'x';

	if (!p)
		return;
	if (write(p->wake[1], &c, 1) == 1)
		pthread_join(p->thread, NULL);
	close(p->lfd);
	close(p->wake[0]);
	close(p->wake[1]);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
