/* reqlog.c: the request log's lines (reqlog.h): text or JSON, each field
 * kept to printable ASCII. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "saola/server.h"
#include "reqlog.h"

/* Room of one field escaped: its longest source (a path) three times. */
#define FIELD_MAX (3 * SAOLA__REQLOG_PATH_MAX + 1)

/* s (at most max bytes of it) into out, bytes outside printable ASCII, a
 * space, '%', '"' and '\' as %XX; "" for NULL. A client sends the path and
 * method: no byte of theirs reaches a terminal or a log parser as itself
 * unless it is harmless. */
static const char *clean(const char *s, size_t max, char out[FIELD_MAX])
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, k = 0;

	for (i = 0; s && s[i] && i < max && k + 4 <= FIELD_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch > 0x20 && ch < 0x7f && ch != '%' && ch != '"' && ch != '\\') {
			out[k++] = (char)ch;
		} else {
			out[k++] = '%';
			out[k++] = hex[ch >> 4];
			out[k++] = hex[ch & 15];
		}
	}
	out[k] = '\0';
	return out;
}

/* The time as UTC ISO 8601 with milliseconds: 2025-03-15T08:02:11.123Z. */
static void iso_ms(const struct timespec *at, char out[32])
{
	struct tm tm;
	time_t t = at->tv_sec;
	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03ldZ", (long)(at->tv_nsec / 1000000));
}

/* A JSON member whose value is a string of clean()'s (NULL or "": null). */
static const char *json_str(const char *clean_text, char out[FIELD_MAX + 2])
{
	if (!clean_text[0])
		return "null";
	snprintf(out, FIELD_MAX + 2, "\"%s\"", clean_text);
	return out;
}

size_t saola__reqlog_line(int format, const saola__reqlog_entry *en, char *out, size_t cap)
{
	char when[32], addr[FIELD_MAX], user[FIELD_MAX], device[FIELD_MAX], method[FIELD_MAX],
	     route[FIELD_MAX], path[FIELD_MAX];
	char q[6][FIELD_MAX + 2];
	int n;

	iso_ms(&en->at, when);
	clean(en->addr, 64, addr);
	clean(en->user, 100, user);
	clean(en->device, 100, device);
	clean(en->method, 16, method);
	clean(en->route, 100, route);
	clean(en->path, SAOLA__REQLOG_PATH_MAX, path);
	if (format == SAOLA_LOG_JSON)
		n = snprintf(out, cap, "{\"time\":\"%s\",\"addr\":%s,\"user\":%s,\"device\":%s,"
		             "\"method\":%s,\"route\":%s,\"path\":%s,\"status\":%d,"
		             "\"bytes_in\":%llu,\"bytes_out\":%llu,\"ms\":%lld}\n", when,
		             json_str(addr, q[0]), json_str(user, q[1]), json_str(device, q[2]),
		             json_str(method, q[3]), json_str(route, q[4]), json_str(path, q[5]),
		             en->status, (unsigned long long)en->bytes_in,
		             (unsigned long long)en->bytes_out, (long long)en->ms);
	else
		n = snprintf(out, cap, "%s %s %s %s %s %s %s %d %llu %llu %lld\n", when,
		             addr[0] ? addr : "-", user[0] ? user : "-", device[0] ? device : "-",
		             method[0] ? method : "-", route[0] ? route : "-", path[0] ? path : "-",
		             en->status, (unsigned long long)en->bytes_in,
		             (unsigned long long)en->bytes_out, (long long)en->ms);
	if (n < 0 || cap < 2)
		return 0;
	if ((size_t)n >= cap) {
		/* Cut short (a buffer below SAOLA__REQLOG_LINE_MAX): still a line. */
		out[cap - 2] = '\n';
		return cap - 1;
	}
	return (size_t)n;
}

void saola__reqlog_write(int fd, int format, const saola__reqlog_entry *en)
{
	char line[SAOLA__REQLOG_LINE_MAX];
	size_t n = saola__reqlog_line(format, en, line, sizeof line), done = 0;
	ssize_t k;

	while (done < n) {
		k = write(fd, line + done, n - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		done += (size_t)k;
	}
}
