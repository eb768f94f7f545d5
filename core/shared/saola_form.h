/* saola_form.h: what the server uses of core's form engine (form.h)
 * beyond saola_shared.h: field types and personal data, and the compiled
 * forms of a core handle (the server's forms engine). No SQLite here.
 * Internal to the project (not installed). */
#ifndef SAOLA_FORM_SHARED_H
#define SAOLA_FORM_SHARED_H

#include "saola/core.h"
#include "saola_shared.h"

/* Field types. */
typedef enum saola__ftype {
	SAOLA__F_TEXT, SAOLA__F_INTEGER, SAOLA__F_DECIMAL, SAOLA__F_BOOLEAN,
	SAOLA__F_SELECT_ONE, SAOLA__F_SELECT_MULTIPLE, SAOLA__F_DATE,
	SAOLA__F_NOTE, SAOLA__F_CALCULATE, SAOLA__F_GROUP, SAOLA__F_REPEAT
} saola__ftype;

/* The type of a top-level field (a group's fields count as top-level), or
 * -1 when the form has no such field. */
int saola__form_field_type(const saola__form *f, const char *name);

/* 1 when field name (any depth) holds personal data: it is marked
 * "personal": true, or lies in a group or repeat that is; else 0 (an
 * unknown name too). */
int saola__form_is_personal(const saola__form *f, const char *name);

/* 1 when the value at a record path (docs/protocol.md: "field",
 * "repeat.item" for an item's position, "repeat.item.field") is personal
 * data as saola__form_is_personal says of its field; "repeat.item" is
 * when the repeat itself is. 0 for other paths ("_state", unknown
 * names). */
int saola__form_path_personal(const saola__form *f, const char *path);

/* SAOLA_OK when the text s (n bytes) fits the maximum of path
 * (saola__form_text_max; a path without one always fits), else
 * SAOLA_INVALID with err "head_name: text of 7340032 characters is longer
 * than the form's maximum of 500" (the path as given). */
int saola__form_check_text(const saola__form *f, const char *path, const char *s,
                           size_t n, char *err, size_t errlen);

/* The compiled current form form_id (owned by the handle's cache). */
int saola__form_lookup(saola *db, const char *form_id, saola__form **out);

/* The params source that reads standards from this database. */
void saola__params_source(saola *db, saola__params_src *src);

#endif
