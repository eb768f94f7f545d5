/* fuzz_http.c: fuzz target of the server's request handling. The server
 * runs in this process (saola_server_start, once, on 127.0.0.1 with a free
 * port and a database of its own); each input is one HTTP request, sent
 * over a socket, and its answer read to the end. This reaches everything a
 * hostile client reaches (libmicrohttpd's parsing of the request line,
 * headers and query arguments, the routes, authentication, body limits,
 * decoding and the sync itself, reports) with no change to the server's
 * code, at a few hundred to a few thousand requests a second.
 *
 * The input is the request's head, a blank line, then its body. Two things
 * are fixed up so that every input is a request that ends (the fuzzer's
 * time goes into the server, not into waiting for bytes that never come):
 * Content-Length, Transfer-Encoding, Connection and Expect headers are
 * dropped and replaced by the body's true length and "Connection: close";
 * and "@TOKEN@" and "@ADMIN@" in the head become the tokens of a commune
 * user (area 14404) and of an admin, so that seeds get past authentication.
 * A finding: a crash or sanitizer report, no answer within 60 seconds, or
 * an answer 500 (bad input must get a 4xx, never the server's failure). */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "fuzz.h"
#include "saola/server.h"
#include "permissions.h"
#include "store.h"
#include "users.h"

#define ANSWER_WAIT_MS 60000

static saola_server *server;
static int port;
static char token[SAOLA__TOKEN_HEX + 1], admin_token[SAOLA__TOKEN_HEX + 1];

static void stop_server(void)
{
	saola_server_stop(server);
	server = NULL;
}

static void setup(void)
{
	saola_server_opts so;
	saola__store *s = NULL;
	saola__err e;
	char err[512];

	if (server)
		return;
	if (saola__store_sqlite_open(fz_path("http-server.db"), SAOLA_FUZZ_SCHEMAS, 1, &s, err,
	                             sizeof err) != SAOLA_OK)
		fz_die("server store: %s", err);
	/* the admin pulls too: it needs the permission "personal" */
	if (saola__user_create(s, "surveyor", "commune", "14404", token, &e) != 0 ||
	    saola__user_create(s, "admin", "admin", "", admin_token, &e) != 0 ||
	    saola__user_permit(s, "admin", "personal", 1, NULL, &e) != 0)
		fz_die("server users: %s", e.message);
	saola__store_close(s);
	memset(&so, 0, sizeof so);
	so.db_path = fz_path("http-server.db");
	so.listen = "127.0.0.1:0";
	so.schemas = SAOLA_FUZZ_SCHEMAS;
	so.max_body = 256 << 10;
	so.max_inflated = 4 << 20;
	so.threads = 2;
	/* Every input comes from 127.0.0.1, and most carry a bad token: with
	 * the limit of failed authentications, the fuzzer would soon meet
	 * only 429s. */
	so.auth_failures = -1;
	if (saola_server_start(&so, &server) != SAOLA_OK)
		fz_die("server: %s", saola_server_errmsg(server));
	port = saola_server_port(server);
	atexit(stop_server); /* runs before fz_dir()'s cleanup */
}

typedef struct buf {
	char *p;
	size_t len, cap;
} buf;

static void add(buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t want = b->cap ? b->cap * 2 : 4096;
		while (want < b->len + n + 1)
			want *= 2;
		if (!(b->p = realloc(b->p, want)))
			fz_die("out of memory");
		b->cap = want;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* 1 when the header line of n bytes at p is one the harness sets itself. */
static int framing_header(const char *p, size_t n)
{
	static const char *const names[] = {"content-length:", "transfer-encoding:",
	                                    "connection:", "expect:"};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (n >= strlen(names[i]) && strncasecmp(p, names[i], strlen(names[i])) == 0)
			return 1;
	return 0;
}

/* Adds a head line with the tokens put in. */
static void add_line(buf *b, const char *p, size_t n)
{
	static const struct { const char *mark; const char *value; } subst[] = {
		{"@TOKEN@", token}, {"@ADMIN@", admin_token}};
	size_t i = 0, k;

	while (i < n) {
		for (k = 0; k < 2; k++) {
			size_t m = strlen(subst[k].mark);
			if (n - i >= m && memcmp(p + i, subst[k].mark, m) == 0) {
				add(b, subst[k].value, strlen(subst[k].value));
				i += m;
				break;
			}
		}
		if (k == 2)
			add(b, p + i++, 1);
	}
	add(b, "\r\n", 2);
}

/* The request to send for an input. */
static void make_request(const uint8_t *data, size_t size, buf *req)
{
	const char *d = (const char *)data, *end = NULL, *body = NULL, *p, *nl;
	size_t i, headlen, bodylen;
	char cl[64];

	for (i = 0; i + 1 < size && !end; i++) {
		if (d[i] == '\n' && d[i + 1] == '\n')
			end = d + i, body = d + i + 2;
		else if (i + 3 < size && memcmp(d + i, "\r\n\r\n", 4) == 0)
			end = d + i, body = d + i + 4;
	}
	if (!end)
		end = d + size, body = d + size;
	headlen = (size_t)(end - d);
	bodylen = size - (size_t)(body - d);
	for (p = d; p < d + headlen; p = nl + 1) {
		size_t n;
		nl = memchr(p, '\n', (size_t)(d + headlen - p));
		if (!nl)
			nl = d + headlen;
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (p == d || !framing_header(p, n))
			add_line(req, p, n);
		if (nl == d + headlen)
			break;
	}
	if (bodylen > 0) {
		snprintf(cl, sizeof cl, "Content-Length: %zu\r\n", bodylen);
		add(req, cl, strlen(cl));
	}
	add(req, "Connection: close\r\n\r\n", 21);
	if (bodylen > 0)
		add(req, body, bodylen);
}

/* Sends the request and reads the answer to its end into ans. */
static void exchange(const buf *req, buf *ans)
{
	struct sockaddr_in sa;
	struct pollfd pfd;
	size_t sent = 0;
	char chunk[16384];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		fz_die("socket: %s", strerror(errno));
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		/* libFuzzer's timer signal may interrupt it: the connection goes
		 * on being made; wait for it. */
		int soerr = 0;
		socklen_t len = sizeof soerr;
		if (errno != EINTR)
			fz_die("connect to the server: %s", strerror(errno));
		pfd.fd = fd;
		pfd.events = POLLOUT;
		while (poll(&pfd, 1, ANSWER_WAIT_MS) < 0 && errno == EINTR)
			;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr != 0)
			fz_die("connect to the server: %s", strerror(soerr ? soerr : errno));
	}
	while (sent < req->len) {
		ssize_t n = send(fd, req->p + sent, req->len - sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* the server closed early (it answered already) */
		sent += (size_t)n;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		ssize_t n;
		int r = poll(&pfd, 1, ANSWER_WAIT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			fz_die("the server did not answer within %d s (a hang); request:\n%.2000s",
			       ANSWER_WAIT_MS / 1000, req->p);
		n = recv(fd, chunk, sizeof chunk, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* the end, or a reset after an early answer */
		add(ans, chunk, (size_t)n);
	}
	close(fd);
}

SAOLA_FUZZ_TARGET(http)
{
	buf req = {NULL, 0, 0}, ans = {NULL, 0, 0};

	setup();
	make_request(data, size, &req);
	exchange(&req, &ans);
	if (ans.len >= 12 && strncmp(ans.p, "HTTP/1.", 7) == 0 && strncmp(ans.p + 9, "500", 3) == 0)
		fz_die("the server failed (500) on a request:\n%.2000s\nanswer:\n%.2000s", req.p,
		       ans.p);
	free(req.p);
	free(ans.p);
	return 0;
}
