/* changes.c: the change hook: every write that stores a record (an edit, a
 * delete, a review, a merge) tells it which paths it changed, with their
 * new values and versions, inside the write's transaction. The server
 * keeps its audit log with it. */
#include <string.h>

#include "saola_int.h"

void saola__set_change_hook(saola *db, saola__change_fn fn, void *ctx)
{
	db->on_change = fn;
	db->on_change_ctx = fn ? ctx : NULL;
}

int saola__changes_report(saola *db, const char *id, const saola__form *f,
                          const json_t *answers, int deleted, const char *state,
                          const json_t *values, const json_t *versions)
{
	saola__changes c;

	if (!db->on_change || (!answers && json_object_size(values) == 0))
		return SAOLA_OK;
	memset(&c, 0, sizeof c);
	c.record_id = id;
	c.form = f;
	c.answers = answers;
	c.values = values;
	c.versions = versions;
	c.created = answers != NULL;
	c.deleted = deleted;
	c.state = state ? state : "draft";
	return db->on_change(db->on_change_ctx, &c);
}

const json_t *saola__changes_version(const saola__changes *c, const char *path)
{
	const json_t *v = json_object_get(c->versions, path), *value;

	if (v)
		return v;
	value = json_object_get(c->values, path);
	return value && !json_is_null(value) ? json_object_get(c->versions, "_") : NULL;
}
