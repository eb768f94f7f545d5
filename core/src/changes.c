/* changes.c: what one write changed in a record (saola_shared.h's
 * saola__changes), as the server's audit log reads it. */
#include "saola_shared.h"

const json_t *saola__changes_version(const saola__changes *c, const char *path)
{
	const json_t *v = json_object_get(c->versions, path), *value;

	if (v)
		return v;
	value = json_object_get(c->values, path);
	return value && !json_is_null(value) ? json_object_get(c->versions, "_") : NULL;
}
