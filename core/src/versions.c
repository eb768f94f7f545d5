/* versions.c: Lamport versions, and the flattening of a record into paths
 * (one per field, one per repeat item and item field) that versions, the
 * change queue and merges are kept on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saola_int.h"
#include "versions.h"

json_t *saola__version_new(json_int_t counter, const char *origin)
{
	return json_pack("[I, s]", counter, origin);
}

int saola__version_cmp(const json_t *a, const json_t *b)
{
	json_int_t ca, cb;
	const char *oa, *ob;
	int ra = json_is_array(a) && json_array_size(a) == 2;
	int rb = json_is_array(b) && json_array_size(b) == 2;

	if (!ra || !rb)
		return ra - rb;
	ca = json_integer_value(json_array_get(a, 0));
	cb = json_integer_value(json_array_get(b, 0));
	if (ca != cb)
		return ca < cb ? -1 : 1;
	oa = json_string_value(json_array_get(a, 1));
	ob = json_string_value(json_array_get(b, 1));
	return strcmp(oa ? oa : "", ob ? ob : "");
}

json_t *saola__version_of(const json_t *versions, const char *path)
{
	json_t *v = json_object_get(versions, path);

	return v ? v : json_object_get(versions, "_");
}

json_t *saola__version_max(const json_t *versions)
{
	const char *k;
	json_t *v, *best = NULL;

	json_object_foreach((json_t *)versions, k, v)
		if (saola__version_cmp(v, best) > 0)
			best = v;
	return best;
}

json_t *saola__entered(const saola__form *f, const json_t *doc)
{
	json_t *out = json_object();
	const char *k;
	json_t *v;

	if (!out)
		return NULL;
	json_object_foreach((json_t *)doc, k, v) {
		if (saola__form_is_computed(f, k))
			continue;
		if (saola__form_field_type(f, k) == SAOLA__F_REPEAT && json_is_array(v)) {
			json_t *items = json_array(), *item;
			size_t i;
			json_array_foreach(v, i, item) {
				json_t *copy = json_object();
				const char *ik;
				json_t *iv;
				json_object_foreach(item, ik, iv)
					if (!saola__form_is_computed(f, ik))
						json_object_set(copy, ik, iv);
				json_array_append_new(items, copy);
			}
			json_object_set_new(out, k, items);
		} else {
			json_object_set(out, k, v);
		}
	}
	return out;
}

json_t *saola__flatten(const saola__form *f, const json_t *entered)
{
	json_t *flat = json_object();
	const char *k;
	json_t *v;
	char path[512];

	if (!flat)
		return NULL;
	json_object_foreach((json_t *)entered, k, v) {
		if (saola__form_field_type(f, k) == SAOLA__F_REPEAT && json_is_array(v)) {
			size_t klen = strlen(k), i;
			json_t *item;
			json_array_foreach(v, i, item) {
				const char *id = json_string_value(json_object_get(item, "_id"));
				const char *ik;
				json_t *iv;
				size_t idlen, prefix;
				if (!id || klen + (idlen = strlen(id)) + 3 > sizeof path)
					continue;
				/* "repeat.id" then "repeat.id.field", built in place */
				memcpy(path, k, klen);
				path[klen] = '.';
				memcpy(path + klen + 1, id, idlen);
				prefix = klen + 1 + idlen;
				path[prefix] = '\0';
				json_object_set_new(flat, path, json_true());
				path[prefix] = '.';
				json_object_foreach(item, ik, iv) {
					size_t iklen = strlen(ik);
					if (strcmp(ik, "_id") == 0 || prefix + 1 + iklen + 1 > sizeof path)
						continue;
					memcpy(path + prefix + 1, ik, iklen + 1);
					json_object_set(flat, path, iv);
				}
			}
		} else {
			json_object_set(flat, k, v);
		}
	}
	return flat;
}

/* The item of array items whose _id is id, or NULL. */
static json_t *find_item(json_t *items, const char *id, size_t idlen)
{
	json_t *item;
	size_t i;

	json_array_foreach(items, i, item) {
		const char *iid = json_string_value(json_object_get(item, "_id"));
		if (iid && strlen(iid) == idlen && memcmp(iid, id, idlen) == 0)
			return item;
	}
	return NULL;
}

static json_t *unflatten(const json_t *base, const json_t *flat, int make_items);

json_t *saola__unflatten_onto(const saola__form *f, const json_t *base,
                              const json_t *flat)
{
	(void)f;
	return unflatten(base, flat, 0);
}

json_t *saola__unflatten_patch(const json_t *flat)
{
	return unflatten(NULL, flat, 1);
}

static json_t *unflatten(const json_t *base, const json_t *flat, int make_items)
{
	json_t *out = base ? json_deep_copy(base) : json_object();
	const char *path;
	json_t *v;

	if (!out)
		return NULL;
	/* Items first (existence), then fields, so an item's fields find it. */
	json_object_foreach((json_t *)flat, path, v) {
		const char *dot = strchr(path, '.');
		json_t *items;
		char name[256];
		size_t nlen;

		if (!dot) {
			if (json_is_null(v))
				json_object_del(out, path);
			else
				json_object_set(out, path, v);
			continue;
		}
		if (strchr(dot + 1, '.'))
			continue; /* an item field: below */
		nlen = (size_t)(dot - path);
		if (nlen >= sizeof name)
			continue;
		memcpy(name, path, nlen);
		name[nlen] = '\0';
		items = json_object_get(out, name);
		if (!json_is_array(items)) {
			items = json_array();
			json_object_set_new(out, name, items);
		}
		if (json_is_null(v)) {
			size_t i;
			json_t *item;
			json_array_foreach(items, i, item) {
				const char *iid = json_string_value(json_object_get(item, "_id"));
				if (iid && strcmp(iid, dot + 1) == 0) {
					json_array_remove(items, i);
					break;
				}
			}
		} else if (!find_item(items, dot + 1, strlen(dot + 1))) {
			json_array_append_new(items, json_pack("{s:s}", "_id", dot + 1));
		}
	}
	json_object_foreach((json_t *)flat, path, v) {
		const char *dot = strchr(path, '.'), *dot2;
		json_t *items, *item;
		char name[256];
		size_t nlen;

		if (!dot || !(dot2 = strchr(dot + 1, '.')))
			continue;
		nlen = (size_t)(dot - path);
		if (nlen >= sizeof name)
			continue;
		memcpy(name, path, nlen);
		name[nlen] = '\0';
		items = json_object_get(out, name);
		item = items ? find_item(items, dot + 1, (size_t)(dot2 - dot - 1)) : NULL;
		if (!item && make_items) {
			if (!items) {
				items = json_array();
				json_object_set_new(out, name, items);
			}
			item = json_pack("{s:s%}", "_id", dot + 1, (size_t)(dot2 - dot - 1));
			json_array_append_new(items, item);
		}
		if (!item)
			continue; /* the item was removed: its fields go with it */
		if (json_is_null(v))
			json_object_del(item, dot2 + 1);
		else
			json_object_set(item, dot2 + 1, v);
	}
	return out;
}

json_t *saola__flat_diff(const json_t *old_flat, const json_t *new_flat)
{
	json_t *diff = json_object();
	const char *k;
	json_t *v;

	if (!diff)
		return NULL;
	json_object_foreach((json_t *)new_flat, k, v) {
		json_t *o = json_object_get(old_flat, k);
		if (!o || !json_equal(o, v))
			json_object_set(diff, k, v);
	}
	json_object_foreach((json_t *)old_flat, k, v) {
		const char *dot = strchr(k, '.'), *dot2;
		if (json_object_get(new_flat, k))
			continue;
		/* A removed item takes its fields with it: its own path says so. */
		if (dot && (dot2 = strchr(dot + 1, '.'))) {
			char item[512];
			size_t n = (size_t)(dot2 - k);
			if (n < sizeof item) {
				memcpy(item, k, n);
				item[n] = '\0';
				if (json_object_get(old_flat, item) && !json_object_get(new_flat, item))
					continue;
			}
		}
		json_object_set_new(diff, k, json_null());
	}
	return diff;
}

/* Orders two items by the version that created them, then by id. */
typedef struct item_key {
	json_t *item;
	json_t *version;
	const char *id;
} item_key;

static int cmp_items(const void *a, const void *b)
{
	const item_key *x = a, *y = b;
	int c = saola__version_cmp(x->version, y->version);

	return c ? c : strcmp(x->id, y->id);
}

void saola__drop_items_after(const saola__form *f, json_t *doc, const json_t *versions,
                             const json_t *version)
{
	const char *k;
	json_t *items;
	char path[512];
	size_t i;

	json_object_foreach(doc, k, items) {
		if (saola__form_field_type(f, k) != SAOLA__F_REPEAT || !json_is_array(items))
			continue;
		for (i = json_array_size(items); i-- > 0;) {
			const char *id = json_string_value(json_object_get(json_array_get(items, i),
			                                                   "_id"));
			snprintf(path, sizeof path, "%s.%s", k, id ? id : "");
			if (saola__version_cmp(saola__version_of(versions, path), version) > 0)
				json_array_remove(items, i);
		}
	}
}

void saola__sort_items(const saola__form *f, json_t *doc, const json_t *versions)
{
	const char *k;
	json_t *items;
	char path[512];

	json_object_foreach(doc, k, items) {
		item_key *keys;
		size_t i, n;

		if (saola__form_field_type(f, k) != SAOLA__F_REPEAT || !json_is_array(items))
			continue;
		n = json_array_size(items);
		if (n < 2 || !(keys = calloc(n, sizeof *keys)))
			continue;
		for (i = 0; i < n; i++) {
			json_t *item = json_array_get(items, i);
			const char *id = json_string_value(json_object_get(item, "_id"));
			keys[i].item = json_incref(item);
			keys[i].id = id ? id : "";
			snprintf(path, sizeof path, "%s.%s", k, keys[i].id);
			keys[i].version = saola__version_of(versions, path);
		}
		qsort(keys, n, sizeof *keys, cmp_items);
		json_array_clear(items);
		for (i = 0; i < n; i++)
			json_array_append_new(items, keys[i].item);
		free(keys);
	}
}
