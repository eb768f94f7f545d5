/* changes.c: the change hook: every write that stores a record (an edit, a
 * delete, a review, a merge) tells it which paths it changed, with their
 * new values and versions, inside the write's transaction. The server
 * keeps its audit log with it. */
#include <string.h>

#include "saola_int.h"
#include "versions.h"

void saola__set_change_hook(saola *db, saola__change_fn fn, void *ctx)
{
	db->on_change = fn;
	db->on_change_ctx = fn ? ctx : NULL;
}

int saola__changes_report(saola *db, const char *id, const saola__form *f, int created,
                          int deleted, const char *state, const json_t *changes,
                          const json_t *versions)
{
	saola__change c;
	const char *path;
	json_t *v;
	int rc;

	if (!db->on_change)
		return SAOLA_OK;
	memset(&c, 0, sizeof c);
	c.record_id = id;
	c.form = f;
	c.created = created;
	c.deleted = deleted;
	c.state = state ? state : "draft";
	json_object_foreach((json_t *)changes, path, v) {
		c.path = path;
		c.value = v;
		c.version = saola__version_of(versions, path);
		if ((rc = db->on_change(db->on_change_ctx, &c)) != SAOLA_OK)
			return rc;
	}
	return SAOLA_OK;
}
