/* util.c: small helpers the server's files share: errors, the schemas
 * folder, sizes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "server_int.h"

#ifndef SAOLA_SCHEMAS_INSTALLED
#define SAOLA_SCHEMAS_INSTALLED "/usr/local/share/saola/schemas"
#endif
#ifndef SAOLA_SCHEMAS_SOURCE
#define SAOLA_SCHEMAS_SOURCE "schemas"
#endif

int saola__err_set(saola__err *e, int rc, const char *fmt, ...)
{
	va_list ap;

	e->rc = rc;
	e->retry_after = 0;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
	return -1;
}

const char *saola__schemas_dir(const char *dir)
{
	struct stat sb;

	if (dir && *dir)
		return dir;
	if (stat(SAOLA_SCHEMAS_INSTALLED "/forms", &sb) == 0 && S_ISDIR(sb.st_mode))
		return SAOLA_SCHEMAS_INSTALLED;
	return SAOLA_SCHEMAS_SOURCE;
}

int saola__parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	if (!s || *s < '0' || *s > '9')
		return -1;
	v = strtoull(s, &end, 10);
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if ((*end == 'i' || *end == 'B') && shift)
		end += *end == 'i' && end[1] == 'B' ? 2 : 1;
	if (*end != '\0' || v == 0 || v > ((unsigned long long)SIZE_MAX >> shift))
		return -1;
	*out = (size_t)(v << shift);
	return 0;
}
