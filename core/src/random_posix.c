/* random_posix.c: the OS's random source, UUIDs and the clock (POSIX). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

#include "saola_int.h"

int saola__random(void *buf, size_t len)
{
	unsigned char *p = buf;
	int fd;

#if defined(__linux__)
	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break; /* fall back to the device */
		}
		p += n;
		len -= (size_t)n;
	}
	if (len == 0)
		return 0;
#endif
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	close(fd);
	return 0;
}

int saola__uuid(char out[37])
{
	unsigned char b[16];

	if (saola__random(b, sizeof b) != 0)
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, 37,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	         "%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
	         b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

int saola__random_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[64];
	size_t i;

	if (n > 2 * sizeof b || saola__random(b, (n + 1) / 2) != 0)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = hex[(b[i / 2] >> ((i % 2) ? 0 : 4)) & 0xf];
	out[n] = '\0';
	return 0;
}

void saola__now(char out[21])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
