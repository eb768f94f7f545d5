/* client_file.c: sync by file (docs/protocol.md, "Bundles"): a push bundle
 * of every queued change for the district to import, and a pull bundle
 * from the server applied to the device. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client_int.h"
#include "sha256.h"
#include "wire.h"

/* The most a pull bundle may take, compressed or not. */
#define BUNDLE_LIMIT ((size_t)512 << 20)

/* The queue's first and last seq and its length: the signature of what a
 * push bundle holds. */
static int queue_sig(saola *db, int64_t *first, int64_t *last, int64_t *count)
{
	sqlite3_stmt *st = NULL;
	int rc = SAOLA_OK;

	*first = *last = *count = 0;
	if (sqlite3_prepare_v2(db->sql, "SELECT coalesce(min(seq), 0), coalesce(max(seq), 0),"
	                       " count(*) FROM outbox", -1, &st, NULL))
		return saola__sql_error(db, "sync: outbox");
	if (sqlite3_step(st) == SQLITE_ROW) {
		*first = sqlite3_column_int64(st, 0);
		*last = sqlite3_column_int64(st, 1);
		*count = sqlite3_column_int64(st, 2);
	} else {
		rc = saola__sql_error(db, "sync: outbox");
	}
	sqlite3_finalize(st);
	return rc;
}

/* The bundle's batch id: the saved one when the queue is as it was when
 * that bundle was written (so that writing twice carries one id, and the
 * server applies it once), else a new one, saved. */
static int bundle_id(saola *db, char id[37])
{
	int64_t first, last, count;
	char *saved = NULL, sig[96], value[160];
	int rc;

	if ((rc = queue_sig(db, &first, &last, &count)) != SAOLA_OK)
		return rc;
	snprintf(sig, sizeof sig, "%" PRId64 " %" PRId64 " %" PRId64, first, last, count);
	if ((rc = saola_state_get(db, SAOLA__K_BUNDLE, &saved)) != SAOLA_OK)
		return rc;
	if (saved && strlen(saved) > 37 && saved[36] == ' ' && strcmp(saved + 37, sig) == 0) {
		memcpy(id, saved, 36);
		id[36] = '\0';
		saola_free(saved);
		return SAOLA_OK;
	}
	saola_free(saved);
	if (saola__uuid(id) != 0)
		return saola__error(db, SAOLA_IO, "sync: no random source for a batch id");
	snprintf(value, sizeof value, "%s %s", id, sig);
	return saola_state_set(db, SAOLA__K_BUNDLE, value);
}

/* Writes the compressed payload as a bundle: a header line, then the gzip
 * data, through a temporary file renamed into place (the format of
 * saola__bundle_write, which needs the whole payload as one JSON tree). */
static int write_bundle(saola *db, const char *path, const char *kind,
                        const saola__zbuf *zb, long long *bytes)
{
	size_t n = zb->z.total_out, plen = strlen(path);
	char *tmp = malloc(plen + 5);
	FILE *f;
	int rc = SAOLA_OK, len;

	*bytes = 0;
	if (!tmp)
		return saola__error(db, SAOLA_NOMEM, "sync: out of memory");
	sprintf(tmp, "%s.tmp", path);
	if (!(f = fopen(tmp, "wb"))) {
		rc = saola__error(db, SAOLA_IO, "sync: %s: cannot write: %s", tmp,
		                  strerror(errno));
		goto out;
	}
	len = fprintf(f, "saola-bundle %d %s %08lx %zu\n", SAOLA__PROTOCOL, kind,
	              (unsigned long)zb->crc, n);
	if (len < 0 || fwrite(zb->out, 1, n, f) != n || fflush(f) != 0 || fsync(fileno(f)) != 0)
		rc = saola__error(db, SAOLA_IO, "sync: %s: cannot write: %s", tmp,
		                  strerror(errno));
	if (fclose(f) != 0 && rc == SAOLA_OK)
		rc = saola__error(db, SAOLA_IO, "sync: %s: cannot write: %s", tmp,
		                  strerror(errno));
	if (rc == SAOLA_OK && rename(tmp, path) != 0)
		rc = saola__error(db, SAOLA_IO, "sync: %s: cannot rename into place: %s",
		                  path, strerror(errno));
	if (rc != SAOLA_OK)
		unlink(tmp);
	else
		*bytes = (long long)n + len;
out:
	free(tmp);
	return rc;
}

int saola_sync_to_file(saola *db, const char *path, saola_sync_stats *stats)
{
	saola_sync_stats local;
	saola__zbuf zb;
	int64_t cursor = 0;
	char id[37], head[256];
	long n = 0;
	int rc;

	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof *stats);
	if (!db)
		return SAOLA_MISUSE;
	if (!path || !*path)
		return saola__error(db, SAOLA_MISUSE, "sync: which file?");
	if (db->in_txn)
		return saola__error(db, SAOLA_MISUSE, "sync: a transaction is open");
	if ((rc = bundle_id(db, id)) != SAOLA_OK)
		return rc;
	if ((rc = saola__state_int(db, SAOLA__K_CURSOR, &cursor)) != SAOLA_OK)
		return rc;
	if (saola__zbuf_init(&zb) != SAOLA_OK)
		return saola__error(db, SAOLA_NOMEM, "sync: out of memory");
	/* pull_limit 0: a bundle travels one way; the district answers with a
	 * pull bundle of its own. */
	snprintf(head, sizeof head,
	         "{\"protocol\":%d,\"batch\":\"%s\",\"device\":\"%s\",\"cursor\":%" PRId64
	         ",\"pull_limit\":0,\"changes\":[", SAOLA__PROTOCOL, id, saola_origin(db), cursor);
	if ((rc = saola__zbuf_puts(&zb, head)) != SAOLA_OK)
		rc = saola__error(db, rc, "sync: out of memory");
	if (rc == SAOLA_OK)
		rc = saola__encode_changes(db, &zb, NULL, 0, 0, 0, &n, NULL, NULL);
	if (rc == SAOLA_OK && (saola__zbuf_puts(&zb, "]}") != SAOLA_OK ||
	                       saola__zbuf_finish(&zb) != SAOLA_OK))
		rc = saola__error(db, SAOLA_NOMEM, "sync: out of memory");
	if (rc == SAOLA_OK)
		rc = write_bundle(db, path, "push", &zb, &stats->bytes_up);
	saola__zbuf_free(&zb);
	if (rc == SAOLA_OK)
		stats->records_up = n;
	return rc == SAOLA_OK ? saola__ok(db) : rc;
}

/* 1 when hmac (the header's 6th field) is the HMAC-SHA-256 of the n bytes
 * at gz under the SHA-256 of this device's saved token: the server made
 * the bundle for this device's user. */
static int signed_for_me(saola *db, const char *hmac, const unsigned char *gz, size_t n)
{
	unsigned char key[SAOLA__SHA256_LEN], mac[SAOLA__SHA256_LEN];
	char hex[2 * SAOLA__SHA256_LEN + 1];
	char *token = NULL;
	int ok;

	if (strlen(hmac) != 2 * SAOLA__SHA256_LEN ||
	    saola_state_get(db, SAOLA__K_TOKEN, &token) != SAOLA_OK || !token)
		return 0;
	saola__sha256(token, strlen(token), key);
	saola_free(token);
	saola__hmac_sha256(key, sizeof key, gz, n, mac);
	saola__hex(mac, sizeof mac, hex);
	ok = saola__ct_compare((const unsigned char *)hex, (const unsigned char *)hmac,
	                       sizeof hex - 1) == 0;
	memset(key, 0, sizeof key);
	return ok;
}

/* Reads a bundle's header and data, checks its length and CRC-32 and
 * decompresses it (the checks of saola__bundle_read, keeping the payload
 * as text so that its records are parsed one at a time). *text is
 * malloc()ed. *is_signed (may be NULL) gets 1 when the header's HMAC
 * (a pull bundle's 6th field) verifies under this device's token; a bundle
 * of 5 fields is read as well, unsigned. */
static int read_bundle(saola *db, const char *path, char kind[8], unsigned char **text,
                       size_t *len, int *is_signed)
{
	FILE *f = fopen(path, "rb");
	char line[192], hmac[72] = "";
	unsigned long crc;
	unsigned char *gz = NULL;
	size_t n = 0;
	int version, fields, rc = SAOLA_INVALID;

	*text = NULL;
	*len = 0;
	kind[0] = '\0';
	if (is_signed)
		*is_signed = 0;
	if (!f)
		return saola__error(db, SAOLA_IO, "sync: %s: cannot open: %s", path, strerror(errno));
	if (!fgets(line, sizeof line, f) ||
	    (fields = sscanf(line, "saola-bundle %d %7s %lx %zu %71s", &version, kind, &crc, &n,
	                     hmac)) < 4) {
		rc = saola__error(db, rc, "sync: %s: not a saola bundle (bad header line)", path);
		goto out;
	}
	if (version != SAOLA__PROTOCOL || (strcmp(kind, "push") != 0 && strcmp(kind, "pull") != 0)) {
		rc = saola__error(db, rc, "sync: %s: bundle version %d kind %s is not supported",
		                  path, version, kind);
		goto out;
	}
	if (n > BUNDLE_LIMIT) {
		rc = saola__error(db, SAOLA_LIMIT, "sync: %s: bundle of %zu bytes is over the limit",
		                  path, n);
		goto out;
	}
	if (!(gz = malloc(n ? n : 1))) {
		rc = saola__error(db, SAOLA_NOMEM, "sync: out of memory reading %s", path);
		goto out;
	}
	if (fread(gz, 1, n, f) != n || fgetc(f) != EOF) {
		rc = saola__error(db, rc, "sync: %s: bundle is %s (expected %zu bytes of data)", path,
		                  feof(f) ? "truncated" : "longer than its header says", n);
		goto out;
	}
	if (crc32(0L, gz, (uInt)n) != crc) {
		rc = saola__error(db, rc, "sync: %s: bundle is damaged (checksum mismatch)", path);
		goto out;
	}
	if (is_signed && fields == 5)
		*is_signed = signed_for_me(db, hmac, gz, n);
	if ((rc = saola__gunzip(gz, n, BUNDLE_LIMIT, text, len)) != SAOLA_OK)
		rc = saola__error(db, rc == SAOLA_NOMEM ? rc : SAOLA_INVALID, "sync: %s: bundle data %s",
		                  path, rc == SAOLA_NOMEM ? "does not fit in memory"
		                        : rc == SAOLA_LIMIT ? "decompresses past the limit"
		                        : "is damaged");
out:
	fclose(f);
	free(gz);
	return rc;
}

/* 1 when list (a JSON array of batch ids) holds id. */
static int listed(const json_t *list, const char *id)
{
	const json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), id) == 0)
			return 1;
	return 0;
}

/* Drops the queued changes of this device's saved push-bundle batch when
 * confirmed (a signed pull bundle's {"origin": [batch ids]}) lists its id
 * under this device's own origin: the server holds them. A batch in flight
 * stays whole, to be resent as it was (its 200 drops it). Inside the
 * caller's transaction. */
static int drop_confirmed(saola *db, const json_t *confirmed, int64_t keep_upto,
                          long *dropped)
{
	char *saved = NULL, id[37];
	long long first = 0, last = 0, count = 0;
	sqlite3_stmt *st = NULL;
	int rc;

	*dropped = 0;
	if ((rc = saola_state_get(db, SAOLA__K_BUNDLE, &saved)) != SAOLA_OK || !saved)
		return rc;
	if (sscanf(saved, "%36s %lld %lld %lld", id, &first, &last, &count) != 4 ||
	    strlen(id) != 36) {
		rc = saola__error(db, SAOLA_CORRUPT, "sync: state bundle_batch: unreadable "
		                  "(\"%.60s\")", saved);
		goto out;
	}
	if (!listed(json_object_get(confirmed, saola_origin(db)), id))
		goto out;
	if (sqlite3_prepare_v2(db->sql, "DELETE FROM outbox WHERE seq >= ?1 AND seq <= ?2"
	                       " AND seq > ?3", -1, &st, NULL) != SQLITE_OK) {
		rc = saola__sql_error(db, "sync: dropping confirmed changes");
		goto out;
	}
	sqlite3_bind_int64(st, 1, first);
	sqlite3_bind_int64(st, 2, last);
	sqlite3_bind_int64(st, 3, keep_upto);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = saola__sql_error(db, "sync: dropping confirmed changes");
	else
		*dropped = (long)sqlite3_changes(db->sql);
out:
	sqlite3_finalize(st);
	saola_free(saved);
	return rc;
}

/* A signed pull bundle's epoch (docs/protocol.md, "Epoch"), inside the
 * import's transaction: kept the first time; another one than kept means
 * the server's database was restored from a backup since, so every record
 * this device has an edit in is queued again (core/src/resend.c) and the
 * cursor is the bundle's (its records are the whole area, in the restored
 * database's sequence). A bundle without one changes nothing. */
static int bundle_epoch(saola *db, const json_t *epoch, int64_t cursor,
                        saola_sync_stats *stats)
{
	const char *now = json_string_value(epoch);
	char *had = NULL;
	int64_t queued = 0;
	int rc, same;

	if (!now || strlen(now) != 32 || strspn(now, "0123456789abcdef") != 32)
		return SAOLA_OK;
	if ((rc = saola_state_get(db, SAOLA__K_EPOCH, &had)) != SAOLA_OK)
		return rc;
	same = had && strcmp(had, now) == 0;
	if (had && !same) {
		rc = saola__outbox_resend_all(db, &queued);
		if (rc == SAOLA_OK)
			rc = saola__state_set_int(db, SAOLA__K_CURSOR, cursor);
		stats->resent = (long)queued;
		snprintf(stats->note, sizeof stats->note, "saola sync: the server was restored from"
		         " a backup: %lld records this device has edits in are queued again for the"
		         " next push bundle or sync", (long long)queued);
	}
	saola_free(had);
	if (rc == SAOLA_OK && !same)
		rc = saola_state_set(db, SAOLA__K_EPOCH, now);
	return rc;
}

int saola_sync_from_file(saola *db, const char *path, saola_sync_stats *stats)
{
	saola_sync_stats local;
	saola__answer a;
	json_t *doc, *cursor, *confirmed;
	char kind[8], err[200], in_flight[37], now[21], what[224];
	unsigned char *text = NULL;
	size_t len = 0;
	int64_t saved_cursor = 0, batch_seq = 0;
	long dropped = 0;
	int rc, is_signed = 0;

	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof *stats);
	memset(&a, 0, sizeof a);
	if (!db)
		return SAOLA_MISUSE;
	if (!path || !*path)
		return saola__error(db, SAOLA_MISUSE, "sync: which file?");
	if (db->in_txn)
		return saola__error(db, SAOLA_MISUSE, "sync: a transaction is open");
	if ((rc = read_bundle(db, path, kind, &text, &len, &is_signed)) != SAOLA_OK)
		return rc;
	if (strcmp(kind, "pull") != 0) {
		rc = saola__error(db, SAOLA_INVALID, "sync: %s: a %s bundle, not a pull "
		                  "bundle (a push bundle goes to the server)", path, kind);
		goto out;
	}
	if ((rc = saola__answer_scan((const char *)text, len, &a, err, sizeof err)) != SAOLA_OK) {
		rc = saola__error(db, rc == SAOLA_NOMEM ? rc : SAOLA_INVALID,
		                  "sync: %s: bundle JSON: %s", path, err);
		goto out;
	}
	doc = a.head;
	cursor = json_object_get(doc, "cursor");
	confirmed = json_object_get(doc, "confirmed");
	if (json_integer_value(json_object_get(doc, "protocol")) != SAOLA__PROTOCOL ||
	    (cursor && !json_is_integer(cursor)) || (confirmed && !json_is_object(confirmed))) {
		rc = saola__error(db, SAOLA_INVALID, "sync: %s: not a pull payload of protocol %d "
		                  "(expected records, cursor, confirmed)", path, SAOLA__PROTOCOL);
		goto out;
	}
	if ((rc = saola__state_int(db, SAOLA__K_CURSOR, &saved_cursor)) != SAOLA_OK ||
	    (rc = saola__batch_get(db, in_flight, &batch_seq)) != SAOLA_OK)
		goto out;
	if ((rc = saola_begin(db)) != SAOLA_OK)
		goto out;
	snprintf(what, sizeof what, "sync: %.200s", path);
	rc = saola__answer_merge(db, &a, what);
	/* Only the server, for this device's user, says what it holds and
	 * where the pull stands: a bundle anyone could have written (unsigned,
	 * or signed under another token) drops nothing and moves no cursor
	 * (a cursor raised would hide the records below it from later pulls).
	 * No counter is read at all. */
	if (rc == SAOLA_OK && is_signed && json_integer_value(cursor) > saved_cursor)
		rc = saola__state_set_int(db, SAOLA__K_CURSOR, json_integer_value(cursor));
	if (rc == SAOLA_OK && is_signed && confirmed)
		rc = drop_confirmed(db, confirmed, batch_seq, &dropped);
	if (rc == SAOLA_OK && is_signed)
		rc = bundle_epoch(db, json_object_get(doc, "epoch"), json_integer_value(cursor),
		                  stats);
	if (rc == SAOLA_OK) {
		saola__now(now);
		rc = saola_state_set(db, SAOLA__K_LAST_SYNC, now);
	}
	if (rc == SAOLA_OK)
		rc = saola_commit(db);
	else
		saola_rollback(db);
	if (rc == SAOLA_OK) {
		struct stat sb;
		stats->records_down = (long)a.count;
		stats->bytes_down = stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
		if (!is_signed) {
			stats->unconfirmed = 1;
			snprintf(stats->note, sizeof stats->note, "saola sync: %.200s: the pull bundle "
			         "is not signed for this device's token: queued changes kept (and the pull "
			         "cursor: the next sync pulls its records again)", path);
		}
	}
out:
	saola__answer_free(&a);
	free(text);
	return rc == SAOLA_OK ? saola__ok(db) : rc;
}
