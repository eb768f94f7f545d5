/* reqlog.h: the request log: one line a request, written once it is
 * over, as text or JSON (docs/server.md, "The request log"). A line says
 * who called what and how it went; never a body, a token, a header's
 * value or a query string (docs/security.md). */
#ifndef SAOLA_REQLOG_H
#define SAOLA_REQLOG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The most bytes of a request's path a line keeps. */
#define SAOLA__REQLOG_PATH_MAX 100
/* Room enough for any line (every field at its longest, escaped). */
#define SAOLA__REQLOG_LINE_MAX 2048

/* One request as the log tells it. Strings may be NULL or "" for none. */
typedef struct saola__reqlog_entry {
	struct timespec at;      /* when it came (CLOCK_REALTIME) */
	const char *addr;        /* the client's address as text */
	const char *user;        /* the token's user */
	const char *device;      /* the device origin its sync body named */
	const char *method;      /* as sent */
	const char *route;       /* the route's pattern (routes.c) */
	const char *path;        /* the URL's path as received, without its query */
	int status;              /* 0: no answer was sent */
	uint64_t bytes_in;       /* the body received, as sent */
	uint64_t bytes_out;      /* the answer's body, as sent */
	int64_t ms;              /* from its headers in to its end */
} saola__reqlog_entry;

/* The line of en in format (SAOLA_LOG_TEXT or SAOLA_LOG_JSON, saola/server.h)
 * into out (cap bytes: SAOLA__REQLOG_LINE_MAX is enough), ending in a
 * newline; its length. Every string is kept to printable ASCII: any other
 * byte, a space, '%', '"' and '\' become %XX, as in a URL, so that a field
 * is one word of the text and a JSON string needs no other escape. */
size_t saola__reqlog_line(int format, const saola__reqlog_entry *en, char *out, size_t cap);

/* Writes the line of en to fd in one write(), so that the lines of
 * requests ending at once on other threads do not mix. A failed write is
 * dropped: the log never stops a request. */
void saola__reqlog_write(int fd, int format, const saola__reqlog_entry *en);

#endif
