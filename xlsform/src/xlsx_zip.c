/* xlsx_zip.c: the workbook's zip archive, read from memory with minizip
 * (Debian's has no memory io of its own: a small one is here), and each
 * part inflated a chunk at a time straight into expat, so that a part is
 * never held whole and its bounds hold whatever its header claims. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <minizip/unzip.h>

#include <saola/core.h>

#include "xlsx_int.h"

/* Bytes inflated at a time. */
#define CHUNK ((unsigned)64 << 10)
/* Longest part name kept from the directory: longer ones are no part of a
 * workbook the reader looks for. */
#define NAME_MAX_XLSX 1024

struct saola__xlsx_entry {
	char *name;
	unz64_file_pos pos;
};

/* The archive's bytes and where minizip reads. */
typedef struct memfile {
	const unsigned char *data;
	size_t len, pos;
} memfile;

static voidpf ZCALLBACK mem_open(voidpf opaque, const void *name, int mode)
{
	memfile *m = opaque;

	(void)name;
	if (mode & ZLIB_FILEFUNC_MODE_WRITE)
		return NULL;
	m->pos = 0;
	return m;
}

static uLong ZCALLBACK mem_read(voidpf opaque, voidpf stream, void *buf, uLong size)
{
	memfile *m = stream;
	size_t n = m->len - m->pos;

	(void)opaque;
	if (n > size)
		n = size;
	if (n)
		memcpy(buf, m->data + m->pos, n);
	m->pos += n;
	return (uLong)n;
}

static uLong ZCALLBACK mem_write(voidpf opaque, voidpf stream, const void *buf, uLong size)
{
	(void)opaque;
	(void)stream;
	(void)buf;
	(void)size;
	return 0;
}

static ZPOS64_T ZCALLBACK mem_tell(voidpf opaque, voidpf stream)
{
	(void)opaque;
	return ((memfile *)stream)->pos;
}

/* Offsets past the end are refused: minizip takes that as a damaged
 * archive, which it is. */
static long ZCALLBACK mem_seek(voidpf opaque, voidpf stream, ZPOS64_T offset, int origin)
{
	memfile *m = stream;
	size_t base;

	(void)opaque;
	switch (origin) {
	case ZLIB_FILEFUNC_SEEK_SET: base = 0; break;
	case ZLIB_FILEFUNC_SEEK_CUR: base = m->pos; break;
	case ZLIB_FILEFUNC_SEEK_END: base = m->len; break;
	default: return -1;
	}
	if (offset > m->len - base)
		return -1;
	m->pos = base + (size_t)offset;
	return 0;
}

static int ZCALLBACK mem_close(voidpf opaque, voidpf stream)
{
	(void)opaque;
	(void)stream;
	return 0;
}

static int ZCALLBACK mem_error(voidpf opaque, voidpf stream)
{
	(void)opaque;
	(void)stream;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const saola__xlsx_entry *ea = a, *eb = b;
	/* Part names are compared case aside (OPC). */
	return saola__xlsx_casecmp(ea->name, eb->name);
}

static int add_entry(saola__xlsx_reader *r, const char *name, size_t *cap)
{
	saola__xlsx_entry *e;

	if (r->nentries == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		if (!(e = realloc(r->entries, ncap * sizeof *e)))
			return saola__xlsx_fail(r, SAOLA_NOMEM, "out of memory");
		r->entries = e;
		*cap = ncap;
	}
	e = &r->entries[r->nentries];
	if (unzGetFilePos64(r->zip, &e->pos) != UNZ_OK)
		return saola__xlsx_fail(r, SAOLA_INVALID, "not an xlsx file (damaged zip directory)");
	if (!(e->name = strdup(name)))
		return saola__xlsx_fail(r, SAOLA_NOMEM, "out of memory");
	r->nentries++;
	return SAOLA_OK;
}

/* One walk of the directory into a sorted table: finding a part is then a
 * search, where unzLocateFile would walk the directory for every sheet. */
static int read_directory(saola__xlsx_reader *r)
{
	char name[NAME_MAX_XLSX];
	unz_file_info64 info;
	size_t cap = 0;
	int zr = unzGoToFirstFile(r->zip);

	while (zr == UNZ_OK) {
		if (unzGetCurrentFileInfo64(r->zip, &info, name, sizeof name, NULL, 0, NULL, 0) != UNZ_OK)
			break;
		/* A longer name came back cut, without its NUL. */
		if (info.size_filename < sizeof name && add_entry(r, name, &cap) != SAOLA_OK)
			return r->rc;
		zr = unzGoToNextFile(r->zip);
	}
	if (zr != UNZ_END_OF_LIST_OF_FILE)
		return saola__xlsx_fail(r, SAOLA_INVALID, "not an xlsx file (damaged zip directory)");
	if (r->nentries)
		qsort(r->entries, r->nentries, sizeof *r->entries, cmp_entry);
	return SAOLA_OK;
}

int saola__xlsx_zip_open(saola__xlsx_reader *r, const void *data, size_t len)
{
	zlib_filefunc64_def io = {mem_open, mem_read, mem_write, mem_tell,
	                          mem_seek, mem_close, mem_error, NULL};
	memfile *m;

	if (!(r->chunk = malloc(CHUNK)) || !(m = malloc(sizeof *m)))
		return saola__xlsx_fail(r, SAOLA_NOMEM, "out of memory");
	m->data = data;
	m->len = data ? len : 0;
	m->pos = 0;
	r->mem = m;
	io.opaque = m;
	if (!(r->zip = unzOpen2_64("", &io)))
		return saola__xlsx_fail(r, SAOLA_INVALID, "not an xlsx file (not a zip archive)");
	return read_directory(r);
}

void saola__xlsx_zip_close(saola__xlsx_reader *r)
{
	size_t i;

	if (r->zip)
		unzClose(r->zip);
	for (i = 0; i < r->nentries; i++)
		free(r->entries[i].name);
	free(r->entries);
	free(r->mem);
	free(r->chunk);
	r->zip = NULL;
	r->entries = NULL;
	r->nentries = 0;
	r->mem = NULL;
	r->chunk = NULL;
}

static const saola__xlsx_entry *find_entry(const saola__xlsx_reader *r, const char *part)
{
	saola__xlsx_entry key;

	if (!r->nentries)
		return NULL;
	key.name = (char *)part;
	return bsearch(&key, r->entries, r->nentries, sizeof key, cmp_entry);
}

int saola__xlsx_zip_has(const saola__xlsx_reader *r, const char *part)
{
	return find_entry(r, part) != NULL;
}

/* Makes the part's entry the current one and opens it, its declared size
 * within the bound. */
static int open_part(saola__xlsx_reader *r, const char *part)
{
	const saola__xlsx_entry *e = find_entry(r, part);
	unz_file_info64 info;

	if (!e)
		return saola__xlsx_fail(r, SAOLA_INVALID, "%s: missing (not an xlsx workbook)", part);
	if (unzGoToFilePos64(r->zip, &e->pos) != UNZ_OK ||
	    unzGetCurrentFileInfo64(r->zip, &info, NULL, 0, NULL, 0, NULL, 0) != UNZ_OK)
		return saola__xlsx_fail(r, SAOLA_INVALID, "%s: damaged zip entry", part);
	if (info.flag & 1)
		return saola__xlsx_fail(r, SAOLA_INVALID, "%s: encrypted (not read)", part);
	if (info.uncompressed_size > SAOLA__XLSX_PART_MAX)
		return saola__xlsx_fail(r, SAOLA_LIMIT, "%s: more than %zu bytes uncompressed (%llu)",
		                        part, SAOLA__XLSX_PART_MAX,
		                        (unsigned long long)info.uncompressed_size);
	if (unzOpenCurrentFile(r->zip) != UNZ_OK)
		return saola__xlsx_fail(r, SAOLA_INVALID, "%s: damaged zip entry (cannot be opened)", part);
	return SAOLA_OK;
}

/* An error of expat's, or the handler's own that stopped it. */
static int xml_error(saola__xlsx_reader *r, const char *part, XML_Parser p)
{
	if (r->rc != SAOLA_OK)
		return r->rc;
	if (XML_GetErrorCode(p) == XML_ERROR_NO_MEMORY)
		return saola__xlsx_fail(r, SAOLA_NOMEM, "%s: out of memory", part);
	return saola__xlsx_fail(r, SAOLA_INVALID, "%s: line %lu: %s", part,
	                        (unsigned long)XML_GetCurrentLineNumber(p),
	                        XML_ErrorString(XML_GetErrorCode(p)));
}

/* The bytes are counted as they come, not taken from the header: minizip
 * stops at the declared size, but the bound must not rest on that. */
static int count_bytes(saola__xlsx_reader *r, const char *part, size_t *read, size_t n)
{
	*read += n;
	r->total += n;
	if (*read > SAOLA__XLSX_PART_MAX)
		return saola__xlsx_fail(r, SAOLA_LIMIT, "%s: more than %zu bytes uncompressed", part,
		                        SAOLA__XLSX_PART_MAX);
	if (r->total > SAOLA__XLSX_TOTAL_MAX)
		return saola__xlsx_fail(r, SAOLA_LIMIT, "%s: the parts read come to more than %zu bytes",
		                        part, SAOLA__XLSX_TOTAL_MAX);
	return SAOLA_OK;
}

int saola__xlsx_zip_parse(saola__xlsx_reader *r, const char *part, XML_Parser p)
{
	size_t read = 0;
	int n, closed;

	if (open_part(r, part) != SAOLA_OK)
		return r->rc;
	do {
		n = unzReadCurrentFile(r->zip, r->chunk, CHUNK);
		if (n < 0) {
			saola__xlsx_fail(r, SAOLA_INVALID, "%s: damaged zip entry (error %d)", part, n);
			break;
		}
		if (count_bytes(r, part, &read, (size_t)n) != SAOLA_OK)
			break;
		if (XML_Parse(p, r->chunk, n, n == 0) != XML_STATUS_OK) {
			xml_error(r, part, p);
			break;
		}
	} while (n > 0 && r->rc == SAOLA_OK);
	/* The CRC is checked here, once the whole entry was read. */
	closed = unzCloseCurrentFile(r->zip);
	if (r->rc == SAOLA_OK && closed == UNZ_CRCERROR)
		saola__xlsx_fail(r, SAOLA_INVALID, "%s: damaged zip entry (CRC mismatch)", part);
	return r->rc;
}

static void XMLCALL refuse_doctype(void *user, const XML_Char *name, const XML_Char *sysid,
                                   const XML_Char *pubid, int has_internal_subset)
{
	saola__xlsx_ctx *ctx = user;

	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	saola__xlsx_stop(ctx, SAOLA_INVALID, "%s: line %lu: a DOCTYPE is not allowed", ctx->part,
	                 (unsigned long)XML_GetCurrentLineNumber(ctx->p));
}

XML_Parser saola__xlsx_parser(saola__xlsx_reader *r, saola__xlsx_ctx *ctx, const char *part)
{
	XML_Parser p = XML_ParserCreateNS(NULL, SAOLA__XLSX_NS_SEP);

	if (!p) {
		saola__xlsx_fail(r, SAOLA_NOMEM, "%s: out of memory", part);
		return NULL;
	}
	ctx->r = r;
	ctx->p = p;
	ctx->part = part;
	XML_SetUserData(p, ctx);
	XML_SetStartDoctypeDeclHandler(p, refuse_doctype);
	return p;
}
