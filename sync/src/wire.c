/* wire.c: encoding and decoding the sync protocol's records and changes,
 * zlib compression with a limit, and bundle files (docs/protocol.md). */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "merge.h"
#include "saola_int.h"
#include "sha256.h"
#include "versions.h"
#include "wire.h"

/* A version as it travels: a bare counter when the origin is the sender's. */
static json_t *wire_version(const json_t *v, const char *device)
{
	const char *o = json_string_value(json_array_get(v, 1));

	if (device && o && strcmp(o, device) == 0)
		return json_incref(json_array_get(v, 0));
	return json_incref((json_t *)v);
}

void saola__wire_mark_references(json_t *d, const json_t *changes)
{
	const char *k;
	json_t *items, *item;
	size_t i;
	char path[512];

	json_object_foreach(d, k, items) {
		if (!json_is_array(items))
			continue;
		json_array_foreach(items, i, item) {
			const char *id = json_string_value(json_object_get(item, "_id"));
			if (!id)
				continue;
			snprintf(path, sizeof path, "%s.%s", k, id);
			if (!json_object_get(changes, path))
				json_object_set_new(item, "_ref", json_true());
		}
	}
}

json_t *saola__wire_from_outbox(const json_t *entry, const char *device)
{
	json_t *changes = json_object_get(entry, "changes");
	json_t *version = json_object_get(entry, "version");
	json_t *base = json_object_get(entry, "base");
	json_t *present = json_object(), *vs = json_object(), *out = NULL, *d = NULL;
	const char *op = json_string_value(json_object_get(entry, "op"));
	const char *k;
	json_t *v;

	if (!present || !vs)
		goto out;
	json_object_set_new(vs, "_", wire_version(version, device));
	if (op && strcmp(op, "delete") == 0) {
		json_object_set_new(vs, "_deleted", wire_version(version, device));
	} else {
		json_object_foreach(changes, k, v) {
			if (json_is_null(v))
				json_object_set_new(vs, k, wire_version(version, device));
			else
				json_object_set(present, k, v);
		}
	}
	if (!(d = saola__unflatten_patch(present)))
		goto out;
	saola__wire_mark_references(d, changes);
	out = json_pack("{s:O, s:O, s:O, s:O, s:O}", "r", json_object_get(entry, "record"),
	                "f", json_object_get(entry, "form"),
	                "fv", json_object_get(entry, "form_version"), "d", d, "vs", vs);
	if (out && json_is_object(base) && json_object_size(base) > 0) {
		json_t *b = json_object();
		json_object_foreach(base, k, v)
			json_object_set_new(b, k, json_is_null(v) ? json_null() : wire_version(v, device));
		json_object_set_new(out, "b", b);
	}
out:
	json_decref(present);
	json_decref(vs);
	json_decref(d);
	return out;
}

/* The effective version of path in versions: its own, else "_"'s. */
static const json_t *version_at(const json_t *versions, const char *path)
{
	const json_t *v = json_object_get(versions, path);

	return v ? v : json_object_get(versions, "_");
}

/* A review path ("_state", "_comment") set by another replica (an
 * officer's): a device sends only the review moves of its own. */
static int foreign_review(const json_t *versions, const char *path, const char *device)
{
	const char *o = json_string_value(json_array_get(version_at(versions, path), 1));

	return path[0] == '_' && strcmp(path, "_deleted") != 0 && strcmp(path, "_") != 0 &&
	       (!o || strcmp(o, device) != 0);
}

/* A resend (core/src/resend.c): the record as it stands, every answer at
 * its own version (the server keeps what it holds at those versions and
 * takes back what it lost), without a base: nothing was edited. */
static json_t *wire_resend(saola *db, const json_t *entry, const char *device)
{
	const char *id = json_string_value(json_object_get(entry, "record"));
	json_t *state = NULL, *values, *versions, *vs, *d = NULL, *out = NULL, *v;
	const char *path;
	void *tmp;

	if (saola__record_state(db, id, &state) != SAOLA_OK)
		return NULL;
	values = json_object_get(state, "values");
	versions = json_object_get(state, "versions");
	if (!(vs = json_object()))
		goto out;
	json_object_foreach_safe(values, tmp, path, v)
		if (foreign_review(versions, path, device))
			json_object_del(values, path);
	json_object_foreach(versions, path, v)
		if (!foreign_review(versions, path, device))
			json_object_set_new(vs, path, wire_version(v, device));
	if ((d = saola__unflatten_patch(values)))
		out = json_pack("{s:s, s:O, s:O, s:O, s:O}", "r", id,
		                "f", json_object_get(state, "form"),
		                "fv", json_object_get(state, "form_version"), "d", d, "vs", vs);
	if (!out)
		saola__error(db, SAOLA_NOMEM, "sync: out of memory encoding %s", id);
out:
	json_decref(vs);
	json_decref(d);
	json_decref(state);
	return out;
}

json_t *saola__wire_from_outbox_db(saola *db, const json_t *entry, const char *device)
{
	const char *id = json_string_value(json_object_get(entry, "record"));
	json_t *version = json_object_get(entry, "version");
	json_t *out = NULL, *d = NULL;
	saola__row row;
	saola__form *f;

	if (strcmp(json_string_value(json_object_get(entry, "op")), "resend") == 0)
		return wire_resend(db, entry, device);
	if (!json_is_null(json_object_get(entry, "changes")) ||
	    strcmp(json_string_value(json_object_get(entry, "op")), "put") != 0)
		return saola__wire_from_outbox(entry, device);
	if (saola__row_read(db, id, &row) != SAOLA_OK)
		return NULL;
	if (!row.found) {
		saola__error(db, SAOLA_CORRUPT, "outbox: record %s is missing", id);
		goto out;
	}
	if (saola__form_lookup(db, row.form_id, &f) == SAOLA_OK) {
		/* The record is the change. Answers edited since it was made go
		 * with it at the creating version (their own queued changes follow
		 * and supersede them): the creation alone, without them, would be
		 * refused by the receiver when one of them is required. Counters
		 * above the creating one travel only in those later changes, and
		 * so do repeat items added since (versions.h). */
		d = saola__entered(f, row.doc);
		if (d)
			saola__drop_items_after(f, d, row.versions, version);
		out = d ? json_pack("{s:O, s:O, s:O, s:O, s:{s:o}}", "r", json_object_get(entry, "record"),
		                    "f", json_object_get(entry, "form"),
		                    "fv", json_object_get(entry, "form_version"), "d", d,
		                    "vs", "_", wire_version(version, device))
		        : NULL;
	}
	if (!out && saola_errcode(db) == SAOLA_OK)
		saola__error(db, SAOLA_NOMEM, "sync: out of memory encoding %s", id);
out:
	json_decref(d);
	saola__row_free(&row);
	return out;
}

int saola__wire_record(saola *db, const char *record_id, json_t **out)
{
	json_t *state = NULL, *d = NULL;
	int rc;

	*out = NULL;
	if ((rc = saola__record_state(db, record_id, &state)) != SAOLA_OK)
		return rc;
	d = saola__unflatten_patch(json_object_get(state, "values"));
	*out = d ? json_pack("{s:s, s:O, s:O, s:O, s:O}", "r", record_id,
	                     "f", json_object_get(state, "form"),
	                     "fv", json_object_get(state, "form_version"), "d", d,
	                     "vs", json_object_get(state, "versions"))
	         : NULL;
	json_decref(d);
	json_decref(state);
	return *out ? SAOLA_OK : saola__error(db, SAOLA_NOMEM, "sync: out of memory");
}

static int valid_record_id(const char *id)
{
	size_t n = id ? strlen(id) : 0, i;

	if (n == 0 || n > 36)
		return 0;
	for (i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'z') ||
		      (id[i] >= 'A' && id[i] <= 'Z') || id[i] == '-' || id[i] == '_'))
			return 0;
	return 1;
}

/* How far ahead of the receiver's clock a sender's counter may be. A device
 * is ahead of the server by its own edits since it last synced, never by
 * billions; a counter from the far future (a broken or hostile client)
 * would drag every replica's clock along with it, up to where it can no
 * longer tick (tests/fuzz/regressions/wire/push-clock-overflow.json). */
#define COUNTER_AHEAD_MAX ((int64_t)1 << 32)

/* A wire version to [counter, origin]; NULL when malformed. */
static json_t *expand_version(json_t *v, const char *sender)
{
	if (json_is_integer(v) && json_integer_value(v) > 0 && sender)
		return json_pack("[I, s]", json_integer_value(v), sender);
	if (json_is_array(v) && json_array_size(v) == 2 &&
	    json_is_integer(json_array_get(v, 0)) && json_integer_value(json_array_get(v, 0)) > 0 &&
	    json_is_string(json_array_get(v, 1)) &&
	    json_string_length(json_array_get(v, 1)) > 0 &&
	    json_string_length(json_array_get(v, 1)) <= 64)
		return json_incref(v);
	return NULL;
}

/* Expands the versions of in; counters above max are refused. */
static int expand_versions(json_t *in, const char *sender, int allow_null, int64_t max,
                           const char *what, json_t **out, char *err, size_t errlen)
{
	json_t *res = json_object();
	const char *k;
	json_t *v;

	*out = NULL;
	if (!res)
		return SAOLA_NOMEM;
	if (!json_is_object(in)) {
		snprintf(err, errlen, "%s: expected an object of versions", what);
		json_decref(res);
		return SAOLA_INVALID;
	}
	json_object_foreach(in, k, v) {
		json_t *e;
		if (allow_null && json_is_null(v)) {
			json_object_set_new(res, k, json_null());
			continue;
		}
		if (!(e = expand_version(v, sender))) {
			snprintf(err, errlen, "%s.%s: expected [counter, origin]%s", what, k,
			         sender ? " or a counter" : "");
			json_decref(res);
			return SAOLA_INVALID;
		}
		if (json_integer_value(json_array_get(e, 0)) > max) {
			snprintf(err, errlen, "%s.%s: counter %" JSON_INTEGER_FORMAT " is too far ahead"
			         " of this replica's clock (%" PRId64 ")", what, k,
			         json_integer_value(json_array_get(e, 0)), max - COUNTER_AHEAD_MAX);
			json_decref(e);
			json_decref(res);
			return SAOLA_INVALID;
		}
		json_object_set_new(res, k, e);
	}
	*out = res;
	return SAOLA_OK;
}

int saola__wire_decode(saola *db, const json_t *change, const char *sender,
                       saola__remote *r, char *err, size_t errlen)
{
	saola__form *f;
	json_t *d, *vs, *b, *flat = NULL;
	const char *k;
	json_t *v;
	int64_t max;
	int rc;

	memset(r, 0, sizeof *r);
	if (!json_is_object(change)) {
		snprintf(err, errlen, "expected an object");
		return SAOLA_INVALID;
	}
	r->record_id = json_string_value(json_object_get(change, "r"));
	r->form_id = json_string_value(json_object_get(change, "f"));
	d = json_object_get(change, "d");
	vs = json_object_get(change, "vs");
	b = json_object_get(change, "b");
	if (!valid_record_id(r->record_id)) {
		snprintf(err, errlen, "r: expected a record id of 1-36 letters, digits, '-' or '_'");
		return SAOLA_INVALID;
	}
	if (!r->form_id) {
		snprintf(err, errlen, "record %s: f: expected a form id", r->record_id);
		return SAOLA_INVALID;
	}
	if (d && !json_is_object(d)) {
		snprintf(err, errlen, "record %s: d: expected an object", r->record_id);
		return SAOLA_INVALID;
	}
	if ((rc = saola__form_lookup(db, r->form_id, &f)) != SAOLA_OK) {
		snprintf(err, errlen, "record %s: unknown form \"%s\"", r->record_id, r->form_id);
		return rc;
	}
	/* A sender's changes may be ahead of this replica by what it edited
	 * since; whole records received (no sender) are a server's state. */
	max = !sender ? INT64_MAX
	    : db->clock > INT64_MAX - COUNTER_AHEAD_MAX ? INT64_MAX : db->clock + COUNTER_AHEAD_MAX;
	rc = expand_versions(vs, sender, 0, max, "vs", &r->versions, err, errlen);
	if (rc == SAOLA_OK && b)
		rc = expand_versions(b, sender, 1, max, "b", &r->base, err, errlen);
	if (rc != SAOLA_OK)
		goto fail;
	if (!(flat = saola__flatten(f, d ? d : json_object_get(change, "__none__")))) {
		rc = SAOLA_NOMEM;
		goto fail;
	}
	/* Items marked "_ref" carry answers, not their own creation. */
	if (d) {
		const char *rk;
		json_t *items, *item;
		size_t i;
		char path[512];
		json_object_foreach(d, rk, items) {
			if (!json_is_array(items))
				continue;
			json_array_foreach(items, i, item) {
				const char *id = json_string_value(json_object_get(item, "_id"));
				json_t *ref = json_object_get(item, "_ref");
				if (!ref || !id)
					continue;
				snprintf(path, sizeof path, "%s.%s._ref", rk, id);
				json_object_del(flat, path);
				path[strlen(path) - 5] = '\0';
				json_object_del(flat, path);
			}
		}
	}
	/* A path with a version and no value is a removal. */
	json_object_foreach(r->versions, k, v)
		if (strcmp(k, "_") != 0 && strcmp(k, "_deleted") != 0 && !json_object_get(flat, k))
			json_object_set_new(flat, k, json_null());
	/* Every value needs a version: its own or the default. */
	if (!json_object_get(r->versions, "_")) {
		json_object_foreach(flat, k, v)
			if (!json_is_null(v) && !json_object_get(r->versions, k)) {
				snprintf(err, errlen, "record %s: vs: no version for %s and no \"_\"",
				         r->record_id, k);
				rc = SAOLA_INVALID;
				goto fail;
			}
	}
	r->values = flat;
	return SAOLA_OK;
fail:
	json_decref(flat);
	saola__wire_remote_free(r);
	return rc;
}

void saola__wire_remote_free(saola__remote *r)
{
	json_decref(r->values);
	json_decref(r->versions);
	json_decref(r->base);
	r->values = r->versions = r->base = NULL;
}

int saola__gzip(const void *in, size_t n, unsigned char **out, size_t *outlen)
{
	z_stream z;
	unsigned char *buf;
	uLong cap;
	int rc;

	*out = NULL;
	*outlen = 0;
	memset(&z, 0, sizeof z);
	/* 15 + 16: a gzip wrapper; 9: the most memory for the best ratio. */
	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9,
	                 Z_DEFAULT_STRATEGY) != Z_OK)
		return SAOLA_NOMEM;
	cap = deflateBound(&z, (uLong)n) + 32;
	if (!(buf = malloc(cap))) {
		deflateEnd(&z);
		return SAOLA_NOMEM;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = buf;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	*outlen = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(buf);
		return SAOLA_ERROR;
	}
	*out = buf;
	return SAOLA_OK;
}

int saola__out_grow(unsigned char **buf, size_t *cap, size_t used, size_t first,
                    size_t limit)
{
	size_t want = *cap ? *cap * 2 : (first > 4096 ? first : 4096);
	unsigned char *grown;

	if (want > limit + 1)
		want = limit + 1;
	if (want <= used + 1)
		return SAOLA_LIMIT;
	if (!(grown = realloc(*buf, want)))
		return SAOLA_NOMEM;
	*buf = grown;
	*cap = want;
	return SAOLA_OK;
}

int saola__gunzip(const void *in, size_t n, size_t limit, unsigned char **out,
                  size_t *outlen)
{
	z_stream z;
	unsigned char *buf = NULL;
	size_t cap = 0;
	int rc = SAOLA_OK, zr;

	if (saola__is_xz(in, n))
		return saola__unxz(in, n, limit, out, outlen);
	*out = NULL;
	*outlen = 0;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 15 + 32) != Z_OK) /* 32: gzip or zlib, by header */
		return SAOLA_NOMEM;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	do {
		if (z.total_out + 1 >= cap &&
		    (rc = saola__out_grow(&buf, &cap, z.total_out, n * 4, limit)) != SAOLA_OK)
			break;
		z.next_out = buf + z.total_out;
		z.avail_out = (uInt)(cap - 1 - z.total_out);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_MEM_ERROR) {
			rc = SAOLA_NOMEM;
			break;
		}
		if (zr != Z_OK && !(zr == Z_BUF_ERROR && z.avail_out == 0)) {
			rc = SAOLA_INVALID; /* corrupt, or truncated (no more input) */
			break;
		}
		if (zr == Z_OK && z.avail_in == 0 && z.avail_out > 0) {
			rc = SAOLA_INVALID; /* the input ended before the stream did */
			break;
		}
	} while (1);
	if (rc == SAOLA_OK && z.avail_in != 0)
		rc = SAOLA_INVALID; /* trailing garbage */
	if (rc == SAOLA_OK) {
		buf[z.total_out] = '\0';
		*out = buf;
		*outlen = z.total_out;
	} else {
		free(buf);
	}
	inflateEnd(&z);
	return rc;
}

json_t *saola__json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);

	if (!v)
		snprintf(err, errlen, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
	return v;
}

int saola__bundle_write(const char *path, const char *kind, const json_t *payload,
                        char *err, size_t errlen)
{
	return saola__bundle_write_signed(path, kind, payload, NULL, err, errlen);
}

int saola__bundle_write_signed(const char *path, const char *kind, const json_t *payload,
                               const unsigned char *key, char *err, size_t errlen)
{
	char *text = json_dumps(payload, JSON_COMPACT);
	unsigned char *gz = NULL, mac[SAOLA__SHA256_LEN];
	char tmp[4200], mac_field[2 * SAOLA__SHA256_LEN + 2] = "";
	size_t gzlen = 0;
	FILE *f = NULL;
	int rc = SAOLA_OK;

	if (!text)
		return SAOLA_NOMEM;
	if ((rc = saola__gzip(text, strlen(text), &gz, &gzlen)) != SAOLA_OK)
		goto out;
	if (key) {
		mac_field[0] = ' ';
		saola__hmac_sha256(key, SAOLA__SHA256_LEN, gz, gzlen, mac);
		saola__hex(mac, sizeof mac, mac_field + 1);
	}
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (!(f = fopen(tmp, "wb"))) {
		snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
		rc = SAOLA_IO;
		goto out;
	}
	if (fprintf(f, "saola-bundle %d %s %08lx %zu%s\n", SAOLA__PROTOCOL, kind,
	            crc32(0L, gz, (uInt)gzlen), gzlen, mac_field) < 0 ||
	    fwrite(gz, 1, gzlen, f) != gzlen || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
		rc = SAOLA_IO;
	}
	if (fclose(f) != 0 && rc == SAOLA_OK) {
		snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
		rc = SAOLA_IO;
	}
	if (rc == SAOLA_OK && rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: cannot rename into place: %s", path, strerror(errno));
		rc = SAOLA_IO;
	}
	if (rc != SAOLA_OK)
		unlink(tmp);
out:
	free(text);
	free(gz);
	return rc;
}

int saola__bundle_read(const char *path, char kind[8], json_t **payload,
                       size_t limit, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char line[128];
	unsigned long crc;
	size_t len;
	int version;
	unsigned char *gz = NULL, *text = NULL;
	size_t textlen;
	int rc = SAOLA_INVALID, c;

	*payload = NULL;
	kind[0] = '\0';
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return SAOLA_IO;
	}
	if (!fgets(line, sizeof line, f) ||
	    sscanf(line, "saola-bundle %d %7s %lx %zu", &version, kind, &crc, &len) != 4) {
		snprintf(err, errlen, "%s: not a saola bundle (bad header line)", path);
		goto out;
	}
	if (version != SAOLA__PROTOCOL || (strcmp(kind, "push") && strcmp(kind, "pull"))) {
		snprintf(err, errlen, "%s: bundle version %d kind %s is not supported", path,
		         version, kind);
		goto out;
	}
	if (len > limit) {
		snprintf(err, errlen, "%s: bundle of %zu bytes is over the limit", path, len);
		rc = SAOLA_LIMIT;
		goto out;
	}
	if (!(gz = malloc(len ? len : 1))) {
		rc = SAOLA_NOMEM;
		goto out;
	}
	if (fread(gz, 1, len, f) != len || (c = fgetc(f)) != EOF) {
		snprintf(err, errlen, "%s: bundle is %s (expected %zu bytes of data)", path,
		         feof(f) ? "truncated" : "longer than its header says", len);
		goto out;
	}
	if (crc32(0L, gz, (uInt)len) != crc) {
		snprintf(err, errlen, "%s: bundle is damaged (checksum mismatch)", path);
		goto out;
	}
	if ((rc = saola__gunzip(gz, len, limit, &text, &textlen)) != SAOLA_OK) {
		snprintf(err, errlen, "%s: bundle data %s", path,
		         rc == SAOLA_LIMIT ? "decompresses past the limit" : "is damaged");
		goto out;
	}
	if (!(*payload = saola__json_parse((const char *)text, textlen, err, errlen))) {
		char why[256];
		snprintf(why, sizeof why, "%s", err);
		snprintf(err, errlen, "%s: bundle JSON: %s", path, why);
		rc = SAOLA_INVALID;
		goto out;
	}
	rc = SAOLA_OK;
out:
	fclose(f);
	free(gz);
	free(text);
	return rc;
}
