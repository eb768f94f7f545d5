/* conns.c: the HTTP server's connections: deadlines for headers and bodies
 * kept by a reaper thread, and requests in progress per user. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "conns.h"
#include "server_int.h"

#define REAP_EVERY_MS 500

enum stage { HEADERS, BODY, BUSY };

struct saola__conn {
	struct saola__conn *prev, *next;
	int fd;
	enum stage stage;
	int64_t since;          /* when the stage began */
	size_t received;        /* of the body */
	int cut;                /* shut down by the reaper */
};

typedef struct user_count {
	int64_t user;
	int n;                  /* requests being served */
	size_t bytes;           /* of bodies being received */
} user_count;

struct saola__conns {
	pthread_mutex_t lock;   /* guards all below; MHD's CLOSED takes it */
	pthread_cond_t wake;
	pthread_t reaper;
	int stop;
	int64_t header_ms, body_ms;
	int user_requests;
	saola__conn *head;
	user_count *users;      /* users with requests in progress */
	size_t nusers, capusers;
	size_t bytes;           /* of every user's bodies being received */
};

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 when conn is past its stage's deadline at now. */
static int late(const saola__conns *cs, const saola__conn *conn, int64_t now)
{
	switch (conn->stage) {
	case HEADERS:
		return now - conn->since > cs->header_ms;
	case BODY:
		return now - conn->since >
		       cs->body_ms + (int64_t)(conn->received / SAOLA__BODY_MIN_RATE) * 1000;
	default:
		return 0;
	}
}

/* Shuts late connections down (never closes them: the descriptor stays
 * MHD's, which sees the connection end and closes it itself). */
static void *reap(void *arg)
{
	saola__conns *cs = arg;
	struct timespec until;
	saola__conn *conn;
	int64_t now;

	pthread_mutex_lock(&cs->lock);
	while (!cs->stop) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += REAP_EVERY_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&cs->wake, &cs->lock, &until);
		now = monotonic_ms();
		for (conn = cs->head; conn; conn = conn->next) {
			if (conn->cut || !late(cs, conn, now))
				continue;
			shutdown(conn->fd, SHUT_RDWR);
			conn->cut = 1;
		}
	}
	pthread_mutex_unlock(&cs->lock);
	return NULL;
}

saola__conns *saola__conns_new(int header_s, int body_s, int user_requests)
{
	saola__conns *cs = calloc(1, sizeof *cs);
	pthread_condattr_t attr;

	if (!cs)
		return NULL;
	cs->header_ms = (int64_t)header_s * 1000;
	cs->body_ms = (int64_t)body_s * 1000;
	cs->user_requests = user_requests;
	pthread_mutex_init(&cs->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&cs->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&cs->reaper, NULL, reap, cs) != 0) {
		pthread_cond_destroy(&cs->wake);
		pthread_mutex_destroy(&cs->lock);
		free(cs);
		return NULL;
	}
	return cs;
}

void saola__conns_free(saola__conns *cs)
{
	saola__conn *conn, *next;

	if (!cs)
		return;
	pthread_mutex_lock(&cs->lock);
	cs->stop = 1;
	pthread_cond_signal(&cs->wake);
	pthread_mutex_unlock(&cs->lock);
	pthread_join(cs->reaper, NULL);
	for (conn = cs->head; conn; conn = next) {
		next = conn->next;
		free(conn);
	}
	pthread_cond_destroy(&cs->wake);
	pthread_mutex_destroy(&cs->lock);
	free(cs->users);
	free(cs);
}

static void started(saola__conns *cs, struct MHD_Connection *c, void **socket_context)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	saola__conn *conn;

	if (!ci)
		return;
	if (!(conn = calloc(1, sizeof *conn))) {
		/* Not followed means no deadline: refuse it rather. */
		shutdown(ci->connect_fd, SHUT_RDWR);
		return;
	}
	conn->fd = ci->connect_fd;
	conn->stage = HEADERS;
	conn->since = monotonic_ms();
	pthread_mutex_lock(&cs->lock);
	conn->next = cs->head;
	if (cs->head)
		cs->head->prev = conn;
	cs->head = conn;
	pthread_mutex_unlock(&cs->lock);
	*socket_context = conn;
}

void saola__conns_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                         enum MHD_ConnectionNotificationCode code)
{
	saola__conns *cs = cls;
	saola__conn *conn = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		started(cs, c, socket_context);
		return;
	}
	if (!conn)
		return;
	pthread_mutex_lock(&cs->lock);
	if (conn->prev)
		conn->prev->next = conn->next;
	else
		cs->head = conn->next;
	if (conn->next)
		conn->next->prev = conn->prev;
	pthread_mutex_unlock(&cs->lock);
	free(conn);
	*socket_context = NULL;
}

saola__conn *saola__conns_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static void stage(saola__conns *cs, saola__conn *conn, enum stage to)
{
	if (!conn)
		return;
	pthread_mutex_lock(&cs->lock);
	conn->stage = to;
	conn->since = monotonic_ms();
	conn->received = 0;
	pthread_mutex_unlock(&cs->lock);
}

void saola__conn_headers_in(saola__conns *cs, saola__conn *conn)
{
	stage(cs, conn, BODY);
}

void saola__conn_received(saola__conns *cs, saola__conn *conn, size_t n)
{
	if (!conn)
		return;
	pthread_mutex_lock(&cs->lock);
	conn->received += n;
	pthread_mutex_unlock(&cs->lock);
}

void saola__conn_busy(saola__conns *cs, saola__conn *conn)
{
	stage(cs, conn, BUSY);
}

void saola__conn_done(saola__conns *cs, saola__conn *conn)
{
	stage(cs, conn, HEADERS);
}

/* The entry of user, made when missing (NULL when out of memory); under
 * the lock. */
static user_count *user_entry(saola__conns *cs, int64_t user)
{
	size_t i;

	for (i = 0; i < cs->nusers; i++)
		if (cs->users[i].user == user)
			return &cs->users[i];
	if (cs->nusers == cs->capusers) {
		size_t cap = cs->capusers ? cs->capusers * 2 : 16;
		user_count *grown = realloc(cs->users, cap * sizeof *grown);
		if (!grown)
			return NULL;
		cs->users = grown;
		cs->capusers = cap;
	}
	cs->users[cs->nusers].user = user;
	cs->users[cs->nusers].n = 0;
	cs->users[cs->nusers].bytes = 0;
	return &cs->users[cs->nusers++];
}

/* Forgets an entry that counts nothing; under the lock. */
static void user_tidy(saola__conns *cs, user_count *u)
{
	if (u->n == 0 && u->bytes == 0)
		*u = cs->users[--cs->nusers];
}

int saola__conns_user_enter(saola__conns *cs, int64_t user)
{
	user_count *u;
	int rc = -1;   /* out of memory: refused, as a busy user would be */

	pthread_mutex_lock(&cs->lock);
	if ((u = user_entry(cs, user)) && u->n < cs->user_requests) {
		u->n++;
		rc = 0;
	}
	if (u)
		user_tidy(cs, u);
	pthread_mutex_unlock(&cs->lock);
	return rc;
}

void saola__conns_user_leave(saola__conns *cs, int64_t user)
{
	user_count *u;

	pthread_mutex_lock(&cs->lock);
	if ((u = user_entry(cs, user))) {
		if (u->n > 0)
			u->n--;
		user_tidy(cs, u);
	}
	pthread_mutex_unlock(&cs->lock);
}

int saola__conns_user_bytes(saola__conns *cs, int64_t user, size_t n, size_t budget,
                            size_t total)
{
	user_count *u = NULL;
	int rc = -1;

	pthread_mutex_lock(&cs->lock);
	if (n > total - cs->bytes) {
		rc = -2;
	} else if ((u = user_entry(cs, user)) && n <= budget - u->bytes) {
		u->bytes += n;
		cs->bytes += n;
		rc = 0;
	}
	if (rc != -2 && u)
		user_tidy(cs, u);
	pthread_mutex_unlock(&cs->lock);
	return rc;
}

void saola__conns_user_unbytes(saola__conns *cs, int64_t user, size_t n)
{
	user_count *u;

	pthread_mutex_lock(&cs->lock);
	if ((u = user_entry(cs, user))) {
		cs->bytes -= u->bytes > n ? n : u->bytes;
		u->bytes = u->bytes > n ? u->bytes - n : 0;
		user_tidy(cs, u);
	}
	pthread_mutex_unlock(&cs->lock);
}

size_t saola__conns_bytes(saola__conns *cs)
{
	size_t n;

	pthread_mutex_lock(&cs->lock);
	n = cs->bytes;
	pthread_mutex_unlock(&cs->lock);
	return n;
}
