/* versions.h: Lamport versions and the flattened view of a record that the
 * change queue and the merge work on: core, sync and the server share them
 * (core/shared/: no SQLite here). */
#ifndef SAOLA_VERSIONS_H
#define SAOLA_VERSIONS_H

#include <jansson.h>
#include "saola_shared.h" /* saola__form */

/* A version is the JSON pair [counter, "origin"]. New reference. */
json_t *saola__version_new(json_int_t counter, const char *origin);
/* Orders two versions: counter first, then origin; <0, 0, >0. A NULL or
 * malformed version is lower than any other. */
int saola__version_cmp(const json_t *a, const json_t *b);
/* The version of path in a record's versions object: the path's own entry,
 * else the record's default "_" (borrowed; NULL if neither). */
json_t *saola__version_of(const json_t *versions, const char *path);
/* The highest version in a versions object (borrowed), or NULL. */
json_t *saola__version_max(const json_t *versions);

/* The entered answers of a stored record: the record without its computed
 * fields (top-level and inside repeat items). New reference. */
json_t *saola__entered(const saola__form *f, const json_t *doc);

/* Flattens entered answers to {path: value}: a top-level field is its name;
 * a repeat item is "repeat.itemid" (true) and its fields
 * "repeat.itemid.field". New reference, NULL when out of memory. */
json_t *saola__flatten(const saola__form *f, const json_t *entered);

/* The inverse of saola__flatten, applied onto base (a new object built from
 * base: top-level paths set or removed when null, items added, updated or
 * removed; new items appended in the order of flat). New reference. */
json_t *saola__unflatten_onto(const saola__form *f, const json_t *base,
                              const json_t *flat);

/* Like saola__unflatten_onto, but a field of an item that flat does not
 * create makes the item (with just its _id): a patch that edits one member's
 * answer names the member without re-creating it. */
json_t *saola__unflatten_patch(const json_t *flat);

/* The paths whose value differs between two flattened records, as
 * {path: new value or null}. New reference. */
json_t *saola__flat_diff(const json_t *old_flat, const json_t *new_flat);

/* Removes from the repeats of doc (a record's answers) the items added
 * after version, the record's creation: those whose own path
 * ("repeat.<_id>") has a version above it. A creation sent with the
 * answers edited since keeps these to their own later changes: at the
 * creating version they would be ordered among the first items by id
 * alone, and the form reads that order (the household form's member 1 is
 * the head). */
void saola__drop_items_after(const saola__form *f, json_t *doc, const json_t *versions,
                             const json_t *version);

/* Puts the items of every repeat of doc in their canonical order: by the
 * version that created each item, then by item id, so that every replica
 * lists a household's members alike. */
void saola__sort_items(const saola__form *f, json_t *doc, const json_t *versions);

#endif
