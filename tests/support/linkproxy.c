/* linkproxy.c: a TCP proxy that holds each direction of a connection to a
 * bandwidth cap and a one-way latency (linkproxy.h). One thread polls every
 * socket; each direction (a lane) keeps the bytes it read in a ring and
 * their schedule in segments, and delivers each byte when the link's model
 * (tu_link_schedule) says it arrives: no sleeps, only poll's timeout to the
 * next delivery. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "linkproxy.h"

#define MAX_PAIRS 32
#define MAX_SEGS 256
#define SEG_MERGE_MAX (1L << 20)   /* a segment's bytes, so its times fit */
#define NS 1000000000LL

/* Bytes read together or back to back: byte i (0-based) of the segment
 * finishes serialising at start + ser_ns(i + 1). */
typedef struct seg {
	long long start;
	long len, done;            /* done: delivered */
} seg;

/* One direction: from in to out. */
typedef struct lane {
	tu_link link;
	int in, out;
	char *buf;                 /* ring of TU_LINK_BUFFER bytes */
	size_t head, len;
	seg segs[MAX_SEGS];        /* ring */
	int seg_head, seg_n;
	long long busy;            /* when the last byte read finishes serialising */
	int eof, shut;             /* in ended; out's writes shut after it */
	int blocked;               /* out's socket full: wait for POLLOUT */
} lane;

typedef struct pair {
	int cfd, sfd;              /* -1 when unused */
	lane up, down;
} pair;

struct tu_linkproxy {
	int lfd, port, target;
	int wake[2];               /* 'x' stops the thread, 'c' cuts */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cut_cond;
	long cut_req, cut_done;
	tu_link up, down;
	tu_link_counts counts;
	pair pairs[MAX_PAIRS];
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * NS + ts.tv_nsec;
}

/* Nanoseconds to serialise n bytes (n <= 2 * SEG_MERGE_MAX), rounded up. */
static long long ser_ns(const tu_link *l, long n)
{
	if (l->bits_per_s <= 0)
		return 0;
	return ((long long)n * 8 * NS + l->bits_per_s - 1) / l->bits_per_s;
}

long long tu_link_schedule(const tu_link *l, long long *busy_ns, long long arrive_ns, long n)
{
	long long start = arrive_ns > *busy_ns ? arrive_ns : *busy_ns;

	*busy_ns = start + ser_ns(l, n);
	return *busy_ns + (long long)l->latency_ms * 1000000;
}

/* How many of s's bytes have arrived at the far end by now. */
static long seg_arrived(const tu_link *l, const seg *s, long long now)
{
	long long t = now - (long long)l->latency_ms * 1000000 - s->start;

	if (t < 0)
		return 0;
	if (t >= ser_ns(l, s->len))
		return s->len;
	return (long)(t * l->bits_per_s / (8 * NS)); /* t < ser_ns(len): no overflow */
}

/* When the lane next has bytes to deliver (10 ms of the cap at a time, or
 * the head segment's end); -1 if nothing is queued, or if out is full
 * (then POLLOUT wakes the thread). */
static long long lane_wake(const lane *ln)
{
	const seg *s = &ln->segs[ln->seg_head];
	long step = ln->link.bits_per_s > 0 ? (long)(ln->link.bits_per_s / 800) : s->len;
	long m;

	if (ln->seg_n == 0 || ln->blocked)
		return -1;
	m = s->done + (step > 0 ? step : 1);
	if (m > s->len)
		m = s->len;
	return s->start + ser_ns(&ln->link, m) + (long long)ln->link.latency_ms * 1000000;
}

static void lane_init(lane *ln, tu_link link, int in, int out)
{
	memset(ln, 0, sizeof *ln);
	ln->link = link;
	ln->in = in;
	ln->out = out;
	ln->buf = malloc(TU_LINK_BUFFER);
}

static int lane_wants_in(const lane *ln)
{
	return !ln->eof && ln->len < TU_LINK_BUFFER && ln->seg_n < MAX_SEGS;
}

/* Schedules n bytes just read at now: they join the last segment when
 * they leave right after it, else make one of their own. */
static void lane_queue(lane *ln, long n, long long now)
{
	seg *last = &ln->segs[(ln->seg_head + ln->seg_n + MAX_SEGS - 1) % MAX_SEGS];
	long long busy = ln->busy;

	tu_link_schedule(&ln->link, &busy, now, n);
	if (ln->seg_n > 0 && now <= ln->busy && last->len + n <= SEG_MERGE_MAX) {
		last->len += n;
		ln->busy = last->start + ser_ns(&ln->link, last->len);
		return;
	}
	last = &ln->segs[(ln->seg_head + ln->seg_n) % MAX_SEGS];
	last->start = now > ln->busy ? now : ln->busy;
	last->len = n;
	last->done = 0;
	ln->seg_n++;
	ln->busy = busy;
}

/* Reads what fits into the ring; -1 when the connection failed. */
static int lane_read(lane *ln, long long now)
{
	size_t tail = (ln->head + ln->len) % TU_LINK_BUFFER;
	size_t room = TU_LINK_BUFFER - ln->len;
	ssize_t n;

	if (room > TU_LINK_BUFFER - tail)
		room = TU_LINK_BUFFER - tail;
	n = recv(ln->in, ln->buf + tail, room, 0);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	if (n == 0)
		ln->eof = 1;
	else {
		ln->len += (size_t)n;
		lane_queue(ln, (long)n, now);
	}
	return 0;
}

/* Writes up to n bytes from the ring's head: the bytes written, -1 when
 * the connection failed. */
static long lane_write(lane *ln, long n)
{
	long sent = 0;

	while (sent < n) {
		size_t piece = (size_t)(n - sent);
		ssize_t w;

		if (piece > TU_LINK_BUFFER - ln->head)
			piece = TU_LINK_BUFFER - ln->head;
		w = send(ln->out, ln->buf + ln->head, piece, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ln->blocked = 1;
			break;
		}
		if (w <= 0)
			return -1;
		ln->head = (ln->head + (size_t)w) % TU_LINK_BUFFER;
		ln->len -= (size_t)w;
		sent += w;
	}
	return sent;
}

/* Delivers every byte that has arrived by now; when the sender ended and
 * all is delivered, shuts out's writes. Adds what it delivered to *carried;
 * -1 when the connection failed. */
static int lane_deliver(lane *ln, long long now, long long *carried)
{
	ln->blocked = 0;
	while (ln->seg_n > 0 && !ln->blocked) {
		seg *s = &ln->segs[ln->seg_head];
		long ready = seg_arrived(&ln->link, s, now) - s->done, w;

		if (ready <= 0)
			break;
		if ((w = lane_write(ln, ready)) < 0)
			return -1;
		s->done += w;
		*carried += w;
		if (s->done == s->len) {
			ln->seg_head = (ln->seg_head + 1) % MAX_SEGS;
			ln->seg_n--;
		}
	}
	if (ln->eof && ln->seg_n == 0 && !ln->shut) {
		shutdown(ln->out, SHUT_WR);
		ln->shut = 1;
	}
	return 0;
}

static void pair_close(pair *p)
{
	if (p->cfd < 0)
		return;
	close(p->cfd);
	close(p->sfd);
	free(p->up.buf);
	free(p->down.buf);
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

/* Non-blocking, and no Nagle: the proxy alone decides when bytes leave. */
static void sock_setup(int fd)
{
	int one = 1;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void accept_one(tu_linkproxy *px)
{
	int cfd = accept(px->lfd, NULL, NULL), sfd = -1, i;
	pair *p = NULL;

	if (cfd < 0)
		return;
	for (i = 0; i < MAX_PAIRS && !p; i++)
		if (px->pairs[i].cfd < 0)
			p = &px->pairs[i];
	if (!p || (sfd = connect_to(px->target)) < 0) {
		close(cfd);
		return;
	}
	sock_setup(cfd);
	sock_setup(sfd);
	p->cfd = cfd;
	p->sfd = sfd;
	lane_init(&p->up, px->up, cfd, sfd);
	lane_init(&p->down, px->down, sfd, cfd);
	/* TCP's handshake: the SYN up, the SYN-ACK down, before a byte leaves. */
	p->up.busy = now_ns() + ((long long)px->up.latency_ms + px->down.latency_ms) * 1000000;
	if (!p->up.buf || !p->down.buf)
		pair_close(p);
	pthread_mutex_lock(&px->lock);
	px->counts.connections++;
	pthread_mutex_unlock(&px->lock);
}

/* Delivers what is due on every connection; closes those that failed or
 * ended both ways. Returns the poll timeout (ms) to the next delivery.
 * The counts are added under the lock before a lane shuts its out, so
 * that a peer that saw the end reads them whole. */
static int deliver_all(tu_linkproxy *px)
{
	long long now = now_ns(), next = -1;
	int i;

	pthread_mutex_lock(&px->lock);
	for (i = 0; i < MAX_PAIRS; i++) {
		pair *p = &px->pairs[i];
		long long w1, w2;

		if (p->cfd < 0)
			continue;
		if (lane_deliver(&p->up, now, &px->counts.up) != 0 ||
		    lane_deliver(&p->down, now, &px->counts.down) != 0 ||
		    (p->up.shut && p->down.shut)) {
			pair_close(p);
			continue;
		}
		w1 = lane_wake(&p->up);
		w2 = lane_wake(&p->down);
		if (w1 >= 0 && (next < 0 || w1 < next))
			next = w1;
		if (w2 >= 0 && (next < 0 || w2 < next))
			next = w2;
	}
	pthread_mutex_unlock(&px->lock);
	if (next < 0)
		return -1;
	return next <= now ? 0 : (int)((next - now + 999999) / 1000000);
}

/* A pollfd's events for a socket that is one lane's in and another's out. */
static short sock_events(const lane *reads, const lane *writes)
{
	return (short)((lane_wants_in(reads) ? POLLIN : 0) | (writes->blocked ? POLLOUT : 0));
}

/* Fills fds: the wake pipe, the listener, then each pair's client and
 * server sockets (fd -1, ignored, when nothing is wanted of one). */
static int poll_set(tu_linkproxy *px, struct pollfd *fds)
{
	int i, n = 2;

	fds[0].fd = px->wake[0], fds[0].events = POLLIN;
	fds[1].fd = px->lfd, fds[1].events = POLLIN;
	for (i = 0; i < MAX_PAIRS; i++, n += 2) {
		pair *p = &px->pairs[i];
		fds[n].events = p->cfd < 0 ? 0 : sock_events(&p->up, &p->down);
		fds[n + 1].events = p->cfd < 0 ? 0 : sock_events(&p->down, &p->up);
		fds[n].fd = fds[n].events ? p->cfd : -1;
		fds[n + 1].fd = fds[n + 1].events ? p->sfd : -1;
	}
	return n;
}

/* Reads what poll says is readable; a socket in error closes its pair. */
static void read_ready(tu_linkproxy *px, const struct pollfd *fds)
{
	long long now = now_ns();
	int i;

	for (i = 0; i < MAX_PAIRS; i++) {
		pair *p = &px->pairs[i];
		short rc = fds[2 + 2 * i].revents, rs = fds[3 + 2 * i].revents;

		if (p->cfd < 0)
			continue;
		if (((rc & POLLERR) && !(fds[2 + 2 * i].events & POLLIN)) ||
		    ((rs & POLLERR) && !(fds[3 + 2 * i].events & POLLIN)) ||
		    ((rc & ~POLLOUT) && lane_wants_in(&p->up) && lane_read(&p->up, now) != 0) ||
		    ((rs & ~POLLOUT) && lane_wants_in(&p->down) && lane_read(&p->down, now) != 0))
			pair_close(p);
	}
}

/* Handles the wake pipe's bytes: 1 when told to stop. */
static int woken(tu_linkproxy *px)
{
	char c[16];
	ssize_t n = read(px->wake[0], c, sizeof c), i;
	long req;
	int j;

	for (i = 0; i < n; i++)
		if (c[i] == 'x')
			return 1;
	pthread_mutex_lock(&px->lock);
	req = px->cut_req;
	pthread_mutex_unlock(&px->lock);
	for (j = 0; j < MAX_PAIRS; j++)
		pair_close(&px->pairs[j]);
	pthread_mutex_lock(&px->lock);
	px->cut_done = req;
	pthread_cond_broadcast(&px->cut_cond);
	pthread_mutex_unlock(&px->lock);
	return 0;
}

static void *run(void *arg)
{
	tu_linkproxy *px = arg;
	struct pollfd fds[2 + 2 * MAX_PAIRS];
	int i, n, timeout;

	for (;;) {
		timeout = deliver_all(px);
		n = poll_set(px, fds);
		if (poll(fds, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((fds[0].revents & POLLIN) && woken(px))
			break;
		read_ready(px, fds);
		if (fds[1].revents & POLLIN)
			accept_one(px);
	}
	for (i = 0; i < MAX_PAIRS; i++)
		pair_close(&px->pairs[i]);
	return NULL;
}

/* The listening socket on 127.0.0.1, a free port: its fd, or -1. */
static int listen_local(int *port)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

tu_linkproxy *tu_linkproxy_start(int target_port, tu_link up, tu_link down)
{
	tu_linkproxy *px = calloc(1, sizeof *px);
	int i;

	if (!px)
		return NULL;
	px->target = target_port;
	px->up = up;
	px->down = down;
	px->wake[0] = px->wake[1] = -1;
	for (i = 0; i < MAX_PAIRS; i++)
		px->pairs[i].cfd = px->pairs[i].sfd = -1;
	pthread_mutex_init(&px->lock, NULL);
	pthread_cond_init(&px->cut_cond, NULL);
	if ((px->lfd = listen_local(&px->port)) < 0 || pipe(px->wake) != 0 ||
	    pthread_create(&px->thread, NULL, run, px) != 0)
		goto fail;
	return px;
fail:
	if (px->lfd >= 0)
		close(px->lfd);
	if (px->wake[0] >= 0) {
		close(px->wake[0]);
		close(px->wake[1]);
	}
	pthread_cond_destroy(&px->cut_cond);
	pthread_mutex_destroy(&px->lock);
	free(px);
	return NULL;
}

int tu_linkproxy_port(const tu_linkproxy *p)
{
	return p->port;
}

void tu_linkproxy_counts(tu_linkproxy *p, tu_link_counts *c)
{
	pthread_mutex_lock(&p->lock);
	*c = p->counts;
	pthread_mutex_unlock(&p->lock);
}

void tu_linkproxy_cut(tu_linkproxy *p)
{
	char c = 'c';
	long req;

	pthread_mutex_lock(&p->lock);
	req = ++p->cut_req;
	pthread_mutex_unlock(&p->lock);
	if (write(p->wake[1], &c, 1) != 1)
		return;
	pthread_mutex_lock(&p->lock);
	while (p->cut_done < req)
		pthread_cond_wait(&p->cut_cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

void tu_linkproxy_stop(tu_linkproxy *p)
{
	char c = 'x';

	if (!p)
		return;
	if (write(p->wake[1], &c, 1) == 1)
		pthread_join(p->thread, NULL);
	close(p->lfd);
	close(p->wake[0]);
	close(p->wake[1]);
	pthread_cond_destroy(&p->cut_cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
