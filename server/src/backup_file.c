/* backup_file.c: the backup file's format (docs/backup.md, "The file"): its
 * header (the magic line, then one line of JSON), the database compressed
 * as one gzip stream behind it, and its reading back, with the size and
 * SHA-256 the header names checked as the database comes out. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>
#include <zlib.h>

#include "backup_int.h"
#include "epoch.h"
#include "sha256.h"

#define MAGIC "saola-backup"
#define FORMAT 1                      /* the format this build writes and reads */
#define HEADER_MAX 4096               /* the JSON line's most bytes */
#define CHUNK SAOLA__BACKUP_CHUNK     /* bytes read or written at a time */
#define LEVEL 6                       /* deflate's level: gzip's default */

#define DAMAGED "the file is damaged"
#define STOPPED "stopped by a signal"

/* ------------------------------------------------------------------ */
/* The header                                                          */

int saola__backup_is_hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

/* The header's text: the magic line, then one line of JSON (jansson
 * escapes any newline inside a value). New string (free()), NULL when out
 * of memory. */
static char *header_text(const saola__backup_info *info, const char *source)
{
	json_t *h = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s}",
	                      "created", info->created, "source", source,
	                      "epoch", info->epoch, "latest_seq", (json_int_t)info->latest_seq,
	                      "db_bytes", (json_int_t)info->db_bytes, "sha256", info->sha256,
	                      "sqlite", sqlite3_libversion(), "saola_server", SAOLA_VERSION);
	char *json = h ? json_dumps(h, JSON_COMPACT) : NULL, *text = NULL;
	size_t n = json ? strlen(MAGIC) + strlen(json) + 16 : 0;

	json_decref(h);
	if (json && strlen(json) < HEADER_MAX && (text = malloc(n)))
		snprintf(text, n, "%s %d\n%s\n", MAGIC, FORMAT, json);
	free(json);
	return text;
}

/* Reads a line of at most cap - 1 bytes into buf, without its newline.
 * 1, 0 when the file ends before the newline (buf holds what came), -1
 * when the line is longer. */
static int read_line(FILE *f, char *buf, size_t cap, size_t *len)
{
	int c;

	*len = 0;
	while ((c = getc(f)) != EOF && c != '\n') {
		if (*len + 1 >= cap)
			return -1;
		buf[(*len)++] = (char)c;
	}
	buf[*len] = '\0';
	return c == '\n';
}

/* Whether the n bytes at line could start the magic line. */
static int magic_prefix(const char *line, size_t n)
{
	static const char magic[] = MAGIC " ";

	return strncmp(line, magic, n < sizeof magic - 1 ? n : sizeof magic - 1) == 0;
}

/* The first line: "saola-backup N" with N this build's format. */
static int read_magic(FILE *f, const char *path, saola__err *e)
{
	char line[64];
	const char *v = line + sizeof MAGIC;   /* after "saola-backup " */
	size_t len;
	int rc = read_line(f, line, sizeof line, &len);

	if (rc == 0 && len == 0 && !ferror(f))
		return saola__err_set(e, SAOLA_CORRUPT, "%s: an empty file, not a saola backup", path);
	if (rc < 0 || !magic_prefix(line, len))
		return saola__err_set(e, SAOLA_CORRUPT, "%s: not a saola backup (it does not start"
		                      " with \"%s\")", path, MAGIC);
	if (rc == 0)
		return saola__err_set(e, SAOLA_CORRUPT, "%s: truncated: the file ends inside its"
		                      " header", path);
	if (len <= sizeof MAGIC || len - sizeof MAGIC > 9 ||
	    strspn(v, "0123456789") != len - sizeof MAGIC)
		return saola__err_set(e, SAOLA_CORRUPT, "%s: not a saola backup (its first line is"
		                      " \"%.40s\")", path, line);
	if (atoi(v) != FORMAT)
		return saola__err_set(e, SAOLA_TOONEW, "%s: backup format %d: this saola-server"
		                      " reads format %d (a newer saola-server wrote it: restore it"
		                      " with that one)", path, atoi(v), FORMAT);
	return 0;
}

/* The header's fields into info. */
static int header_fields(json_t *h, const char *path, saola__backup_info *info,
                         saola__err *e)
{
	const char *created = json_string_value(json_object_get(h, "created"));
	const char *epoch = json_string_value(json_object_get(h, "epoch"));
	const char *sha = json_string_value(json_object_get(h, "sha256"));
	json_t *bytes = json_object_get(h, "db_bytes"), *seq = json_object_get(h, "latest_seq");

	if (!created || strlen(created) >= sizeof info->created)
		return saola__err_set(e, SAOLA_CORRUPT, "%s: header: created: expected a UTC time"
		                      " (YYYY-MM-DDTHH:MM:SSZ)", path);
	if (!epoch || (*epoch && !saola__backup_is_hex(epoch, SAOLA__EPOCH_LEN)))
		return saola__err_set(e, SAOLA_CORRUPT, "%s: header: epoch: expected %d lowercase"
		                      " hex digits", path, SAOLA__EPOCH_LEN);
	if (!sha || !saola__backup_is_hex(sha, 64))
		return saola__err_set(e, SAOLA_CORRUPT, "%s: header: sha256: expected 64 lowercase"
		                      " hex digits", path);
	if (!json_is_integer(bytes) || json_integer_value(bytes) <= 0)
		return saola__err_set(e, SAOLA_CORRUPT, "%s: header: db_bytes: expected a number"
		                      " of bytes above 0", path);
	if (!json_is_integer(seq) || json_integer_value(seq) < 0)
		return saola__err_set(e, SAOLA_CORRUPT, "%s: header: latest_seq: expected an"
		                      " integer >= 0", path);
	snprintf(info->created, sizeof info->created, "%s", created);
	snprintf(info->epoch, sizeof info->epoch, "%s", epoch);
	snprintf(info->sha256, sizeof info->sha256, "%s", sha);
	info->db_bytes = json_integer_value(bytes);
	info->latest_seq = json_integer_value(seq);
	return 0;
}

int saola__backup_read_header(FILE *f, const char *path, saola__backup_info *info,
                              saola__err *e)
{
	char *line;
	size_t len;
	json_error_t je;
	json_t *h;
	int rc;

	memset(info, 0, sizeof *info);
	if (read_magic(f, path, e) != 0)
		return -1;
	if (!(line = malloc(HEADER_MAX)))
		return saola__err_set(e, SAOLA_NOMEM, "%s: out of memory", path);
	rc = read_line(f, line, HEADER_MAX, &len);
	if (rc <= 0) {
		free(line);
		return saola__err_set(e, SAOLA_CORRUPT, rc < 0 ? "%s: header: longer than %d"
		                      " bytes: not a saola backup's" : "%s: truncated: the file ends"
		                      " inside its header", path, HEADER_MAX);
	}
	h = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	free(line);
	if (!json_is_object(h)) {
		json_decref(h);
		return saola__err_set(e, SAOLA_CORRUPT, "%s: header: line 2, column %d: not a JSON"
		                      " object (%s)", path, je.column, h ? "another value" : je.text);
	}
	rc = header_fields(h, path, info, e);
	json_decref(h);
	return rc;
}

int saola__backup_header(const char *path, saola__backup_info *info, saola__err *e)
{
	saola__backup_info tmp;
	FILE *f = fopen(path, "rb");
	int rc;

	if (!info)
		info = &tmp;
	if (!f)
		return saola__err_set(e, errno == ENOENT ? SAOLA_NOTFOUND : SAOLA_IO, "%s: %s", path,
		                      strerror(errno));
	rc = saola__backup_read_header(f, path, info, e);
	fclose(f);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */

int saola__backup_hash_db(const char *path, unsigned char *buf, saola__backup_info *info,
                          saola__err *e)
{
	saola__sha256_ctx c;
	unsigned char d[SAOLA__SHA256_LEN];
	int fd = open(path, O_RDONLY);
	ssize_t n = 0;

	if (fd < 0)
		return saola__err_set(e, SAOLA_IO, "%s: %s", path, strerror(errno));
	saola__sha256_init(&c);
	info->db_bytes = 0;
	while (!saola__backup_stopping && (n = read(fd, buf, CHUNK)) > 0) {
		saola__sha256_update(&c, buf, (size_t)n);
		info->db_bytes += n;
	}
	close(fd);
	if (saola__backup_stopping)
		return saola__err_set(e, SAOLA_ERROR, STOPPED);
	if (n < 0)
		return saola__err_set(e, SAOLA_IO, "%s: %s", path, strerror(errno));
	saola__sha256_final(&c, d);
	saola__hex(d, sizeof d, info->sha256);
	return 0;
}

/* Writes what deflate made of the input so far (flush: Z_NO_FLUSH, or
 * Z_FINISH at the end) to out. */
static int deflate_out(z_stream *z, int flush, unsigned char *buf, FILE *out)
{
	int zrc;

	do {
		z->next_out = buf;
		z->avail_out = (uInt)CHUNK;
		zrc = deflate(z, flush);
		if (zrc == Z_STREAM_ERROR)
			return -1;
		if (fwrite(buf, 1, CHUNK - z->avail_out, out) != CHUNK - z->avail_out)
			return -1;
	} while (z->avail_out == 0);
	return 0;
}

/* Compresses the file at path onto out as one gzip stream, a chunk at a
 * time. Its header carries a CRC of its own (FHCRC), so that a damaged
 * byte anywhere in the stream is found, not only in the data. */
static int compress_file(const char *path, FILE *out, unsigned char *buf, saola__err *e)
{
	z_stream z;
	gz_header gh;
	unsigned char *obuf = buf + CHUNK;
	int fd, rc = -1, zrc;
	ssize_t n;

	memset(&z, 0, sizeof z);
	memset(&gh, 0, sizeof gh);
	gh.hcrc = 1;
	gh.os = 3;  /* Unix */
	if ((fd = open(path, O_RDONLY)) < 0)
		return saola__err_set(e, SAOLA_IO, "%s: %s", path, strerror(errno));
	if ((zrc = deflateInit2(&z, LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY)) != Z_OK ||
	    deflateSetHeader(&z, &gh) != Z_OK) {
		close(fd);
		if (zrc == Z_OK)
			deflateEnd(&z);
		return saola__err_set(e, SAOLA_NOMEM, "compressing: out of memory");
	}
	do {
		if (saola__backup_stopping) {
			saola__err_set(e, SAOLA_ERROR, STOPPED);
			goto out;
		}
		if ((n = read(fd, buf, CHUNK)) < 0) {
			saola__err_set(e, SAOLA_IO, "%s: %s", path, strerror(errno));
			goto out;
		}
		z.next_in = buf;
		z.avail_in = (uInt)n;
		if (deflate_out(&z, n == 0 ? Z_FINISH : Z_NO_FLUSH, obuf, out) != 0) {
			saola__err_set(e, SAOLA_IO, "writing: %s", ferror(out) ? strerror(errno)
			               : "zlib refused the stream");
			goto out;
		}
	} while (n > 0);
	rc = 0;
out:
	deflateEnd(&z);
	close(fd);
	return rc;
}

int saola__backup_write_file(int fd, const char *tmp, const char *copy, const char *source,
                             const saola__backup_info *info, unsigned char *buf,
                             saola__err *e)
{
	FILE *out = fdopen(fd, "wb");
	char *head = header_text(info, source);
	int rc = -1;

	if (!out || !head) {
		saola__err_set(e, SAOLA_NOMEM, "out of memory");
		if (!out)
			close(fd);
		goto out;
	}
	if (fputs(head, out) == EOF) {
		saola__err_set(e, SAOLA_IO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (compress_file(copy, out, buf, e) != 0)
		goto out;
	if (fflush(out) != 0 || fsync(fileno(out)) != 0) {
		saola__err_set(e, SAOLA_IO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (out && fclose(out) != 0 && rc == 0)
		rc = saola__err_set(e, SAOLA_IO, "%s: %s", tmp, strerror(errno));
	free(head);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */

/* Where a restore's decompression stands. */
typedef struct unpack {
	const char *path;             /* the backup */
	const saola__backup_info *info;
	int out;                      /* the new database (-1: a check only) */
	saola__sha256_ctx sha;
	int64_t bytes;                /* decompressed so far */
} unpack;

/* Hashes and writes n decompressed bytes, refusing more than the header's
 * size as soon as they come (a damaged stream could be endless). */
static int unpack_put(unpack *u, const unsigned char *p, size_t n, saola__err *e)
{
	if (u->bytes + (int64_t)n > u->info->db_bytes)
		return saola__err_set(e, SAOLA_CORRUPT, "%s: the database is longer than the"
		                      " header's %lld bytes: " DAMAGED, u->path,
		                      (long long)u->info->db_bytes);
	u->bytes += (int64_t)n;
	saola__sha256_update(&u->sha, p, n);
	while (u->out >= 0 && n > 0) {
		ssize_t w = write(u->out, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return saola__err_set(e, SAOLA_IO, "writing the database: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Decompresses the rest of in into u, a chunk at a time. */
static int unpack_stream(FILE *in, unpack *u, unsigned char *buf, saola__err *e)
{
	unsigned char *obuf = buf + CHUNK;
	z_stream z;
	int zrc = Z_OK, rc = -1;

	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return saola__err_set(e, SAOLA_NOMEM, "decompressing: out of memory");
	while (zrc != Z_STREAM_END) {
		if (saola__backup_stopping) {
			saola__err_set(e, SAOLA_ERROR, STOPPED);
			goto out;
		}
		if (z.avail_in == 0) {
			z.next_in = buf;
			z.avail_in = (uInt)fread(buf, 1, CHUNK, in);
			if (z.avail_in == 0) {
				if (ferror(in))
					saola__err_set(e, SAOLA_IO, "%s: %s", u->path, strerror(errno));
				else
					saola__err_set(e, SAOLA_CORRUPT, "%s: truncated: the file ends before"
					               " its compressed database does (%lld of %lld bytes came"
					               " out): " DAMAGED, u->path, (long long)u->bytes,
					               (long long)u->info->db_bytes);
				goto out;
			}
		}
		z.next_out = obuf;
		z.avail_out = (uInt)CHUNK;
		zrc = inflate(&z, Z_NO_FLUSH);
		if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
			saola__err_set(e, zrc == Z_MEM_ERROR ? SAOLA_NOMEM : SAOLA_CORRUPT,
			               "%s: the compressed database does not decompress (%s): " DAMAGED,
			               u->path, z.msg ? z.msg : "zlib error");
			goto out;
		}
		if (unpack_put(u, obuf, CHUNK - z.avail_out, e) != 0)
			goto out;
	}
	if (z.avail_in > 0 || fgetc(in) != EOF)
		saola__err_set(e, SAOLA_CORRUPT, "%s: bytes after the compressed database: " DAMAGED,
		               u->path);
	else
		rc = 0;
out:
	inflateEnd(&z);
	return rc;
}

int saola__backup_unpack(FILE *in, const char *path, const saola__backup_info *info, int out,
                         saola__err *e)
{
	unsigned char d[SAOLA__SHA256_LEN];
	char hex[2 * SAOLA__SHA256_LEN + 1];
	unsigned char *buf = malloc(2 * CHUNK);
	unpack u;
	int rc;

	if (!buf)
		return saola__err_set(e, SAOLA_NOMEM, "out of memory");
	memset(&u, 0, sizeof u);
	u.path = path;
	u.info = info;
	u.out = out;
	saola__sha256_init(&u.sha);
	rc = unpack_stream(in, &u, buf, e);
	free(buf);
	if (rc != 0)
		return -1;
	if (u.bytes != info->db_bytes)
		return saola__err_set(e, SAOLA_CORRUPT, "%s: the database has %lld bytes, the"
		                      " header says %lld: " DAMAGED, path, (long long)u.bytes,
		                      (long long)info->db_bytes);
	saola__sha256_final(&u.sha, d);
	saola__hex(d, sizeof d, hex);
	if (strcmp(hex, info->sha256) != 0)
		return saola__err_set(e, SAOLA_CORRUPT, "%s: the database's checksum does not match"
		                      " the header's: " DAMAGED, path);
	return 0;
}
