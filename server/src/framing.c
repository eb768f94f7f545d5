/* framing.c: where a request's body ends must be unambiguous: two
 * different Content-Lengths, or a Content-Length with Transfer-Encoding,
 * are refused (request smuggling behind a proxy). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "framing.h"

/* Where a request's body ends, as its headers say, counted over every
 * header line (MHD reads the first Content-Length and prefers
 * Transfer-Encoding: a proxy in front might read them otherwise). */
typedef struct framing {
	int clen, te;
	const char *first_clen, *te_value;
	int clen_differ;
} framing;

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
	framing *f = cls;

	(void)kind;
	if (!key || !value)
		return MHD_YES;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (f->clen++ == 0)
			f->first_clen = value;
		else if (strcmp(value, f->first_clen) != 0)
			f->clen_differ = 1;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f->te++;
		f->te_value = value;
	}
	return MHD_YES;
}

int saola__framing_check(struct MHD_Connection *c, saola__err *e)
{
	framing f;

	memset(&f, 0, sizeof f);
	MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, &f);
	if (f.clen_differ)
		return saola__err_set(e, SAOLA_PROTOCOL, "headers: Content-Length is given twice"
		                      " with different values: where the body ends is ambiguous");
	if (f.te && f.clen)
		return saola__err_set(e, SAOLA_PROTOCOL, "headers: both Content-Length and"
		                      " Transfer-Encoding: where the body ends is ambiguous"
		                      " (send one)");
	if (f.te > 1 || (f.te && strcasecmp(f.te_value, "chunked") != 0))
		return saola__err_set(e, SAOLA_PROTOCOL, "headers: Transfer-Encoding %.40s is not"
		                      " supported (send chunked, or a Content-Length)", f.te_value);
	return 0;
}
