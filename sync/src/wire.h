/* wire.h: the sync protocol's payloads (docs/protocol.md): records and
 * changes on the wire, compression with limits, and bundle files. Shared by
 * the device's sync client and the server. Internal; it declares nothing
 * from core's private headers (saola__remote is in saola_shared.h), so that
 * what includes it needs only core's public and shared headers. */
#ifndef SAOLA_WIRE_H
#define SAOLA_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <lzma.h>
#include "saola/core.h"
#include "saola_shared.h"

#define SAOLA__PROTOCOL 1

/* A queued change (one entry of saola_outbox_read) as a wire change:
 * {"r","f","fv","d","vs","b"}. device is the sender's origin: versions of
 * its own are written as bare counters. New reference, NULL on no memory. */
json_t *saola__wire_from_outbox(const json_t *entry, const char *device);

/* In a change's answers d, marks "_ref": true each repeat item that is
 * there only to carry edits of its answers: one whose "repeat.itemid" is
 * not among the paths of changes (an item the change does not add), so
 * that the receiver does not take it for the item's creation. */
void saola__wire_mark_references(json_t *d, const json_t *changes);

/* Like saola__wire_from_outbox for an entry of saola__outbox_read_raw: a
 * new record's entry (no "changes") is encoded straight from the stored
 * record when it has not been edited since, without flattening it. New
 * reference, NULL on failure (db's error says why). */
json_t *saola__wire_from_outbox_db(saola *db, const json_t *entry, const char *device);

/* A stored record's whole state as a wire record {"r","f","fv","d","vs"}.
 * New reference in *out; SAOLA_NOTFOUND if there is no such record. */
int saola__wire_record(saola *db, const char *record_id, json_t **out);

/* Decodes a wire change or record into r (r->values, versions and base are
 * new references: free with saola__wire_remote_free). sender is the origin
 * that bare counters stand for. On bad shape returns SAOLA_INVALID with err
 * naming the key ("changes[3].vs.head_name: expected [counter, origin]");
 * SAOLA_NOFORM for an unknown form. The form is looked up in db, so that
 * repeats are known. */
int saola__wire_decode(saola *db, const json_t *change, const char *sender,
                       saola__remote *r, char *err, size_t errlen);
void saola__wire_remote_free(saola__remote *r);

/* Compresses with zlib in gzip format. *out is malloc()ed (free()). */
int saola__gzip(const void *in, size_t n, unsigned char **out, size_t *outlen);

/* Decompresses gzip, zlib (deflate) or xz data, detected by its header, into a
 * malloc()ed, NUL-terminated buffer. Stops with SAOLA_LIMIT as soon as the
 * output would pass limit bytes (a bomb costs at most limit), and returns
 * SAOLA_INVALID for corrupt or truncated data. */
int saola__gunzip(const void *in, size_t n, size_t limit, unsigned char **out,
                  size_t *outlen);

/* A decompressor's output buffer, grown for more than used bytes (and a
 * NUL): to first bytes at first (at least 4 KiB), then doubled, never past
 * limit + 1. SAOLA_OK, SAOLA_LIMIT when it would pass limit, SAOLA_NOMEM. */
int saola__out_grow(unsigned char **buf, size_t *cap, size_t used, size_t first,
                    size_t limit);

/* xz: the most memory its decoder may take (a stream asking for a larger
 * dictionary is refused as invalid); saola's own use a dictionary of
 * SAOLA__XZ_DICT. */
#define SAOLA__XZ_MEMLIMIT ((uint64_t)8 << 20)
#define SAOLA__XZ_DICT ((uint32_t)64 << 10)

/* 1 when the n bytes at in begin as an xz stream does. */
int saola__is_xz(const void *in, size_t n);

/* Starts xz compression into z (LZMA_STREAM_INIT) at preset 0-9 with a
 * dictionary of SAOLA__XZ_DICT and a CRC-32 check: about 2 MiB. */
int saola__xz_encoder(lzma_stream *z, uint32_t preset);

/* Compresses in with xz; *out is malloc()ed (free()). */
int saola__xz(const void *in, size_t n, uint32_t preset, unsigned char **out, size_t *outlen);

/* saola__gunzip for xz data (saola__gunzip calls it for data that begins
 * as xz does). */
int saola__unxz(const void *in, size_t n, size_t limit, unsigned char **out, size_t *outlen);

/* Scanning JSON text without parsing it (wire_cols_read.c): the index of
 * the first byte at or after i that is not white space; and one past the
 * end of the value that begins at i (strings and nesting followed, the
 * value itself not checked), or 0 when the text ends first. */
size_t saola__json_skip_ws(const char *t, size_t n, size_t i);
size_t saola__json_value_end(const char *t, size_t n, size_t i);

/* Strict JSON: parses text (UTF-8 checked by jansson), rejecting duplicate
 * keys; err gets "line L, column C: what". New reference or NULL. */
json_t *saola__json_parse(const char *text, size_t len, char *err, size_t errlen);

/* Writes payload to path as a bundle of kind "push" or "pull" (a header
 * line with CRC-32 and length, then gzip), through a temporary file renamed
 * into place, so that a cut leaves either the old file or the whole new one. */
int saola__bundle_write(const char *path, const char *kind, const json_t *payload,
                        char *err, size_t errlen);

/* saola__bundle_write with a 6th header field when key (32 bytes) is given:
 * the HMAC-SHA-256 of the gzip bytes under key, in hex (a pull bundle
 * signed for its user: docs/protocol.md, "Bundles"). */
int saola__bundle_write_signed(const char *path, const char *kind, const json_t *payload,
                               const unsigned char *key, char *err, size_t errlen);

/* Reads a bundle: checks the header, length and CRC-32, decompresses (at
 * most limit bytes) and parses. kind gets "push" or "pull". */
int saola__bundle_read(const char *path, char kind[8], json_t **payload,
                       size_t limit, char *err, size_t errlen);

#endif
