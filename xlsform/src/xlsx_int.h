/* xlsx_int.h: what the files of the xlsx reader share (internal to
 * xlsform/): the workbook's storage, the reading context with its first
 * error, and the steps each file does. xlsx.c has the entry points, the
 * workbook and its relationships and the lookups; xlsx_zip.c the archive
 * in memory and the streaming of a part into expat; xlsx_sheet.c the
 * shared strings and the cells. */
#ifndef SAOLA_XLSX_INT_H
#define SAOLA_XLSX_INT_H

#include <stddef.h>
#include <stdint.h>

#include <expat.h>

#include "xlsx.h"

/* Bits of a cell's key: row (20 bits, < 1,048,576), column (14 bits,
 * < 16,384) and, lowest, its order in the sheet (20 bits: a sheet has at
 * most SAOLA__XLSX_CELLS_MAX < 2^20 cells). Sorting the keys sorts the
 * cells by place and, for a place written twice, by order: the last one
 * is kept. */
#define SAOLA__XLSX_SEQ_BITS 20
#define SAOLA__XLSX_COL_BITS 14
#define SAOLA__XLSX_ROWS 1048576
#define SAOLA__XLSX_COLS 16384

/* Expat's separator between a name's namespace and its local part: a
 * character no namespace name can hold. */
#define SAOLA__XLSX_NS_SEP '\x01'

typedef struct saola__xlsx_cellrec {
	uint64_t key;     /* row, column, order: see above */
	const char *text; /* in the workbook's arena, or static */
} saola__xlsx_cellrec;

typedef struct saola__xlsx_sheet {
	char *name;
	saola__xlsx_cellrec *cells; /* sorted by key, one per place */
	size_t ncells, cap;
	int nrows, ncols;
} saola__xlsx_sheet;

/* Text is kept in blocks that never move, so that a cell's text is a
 * plain pointer, and a shared string is stored once however many cells
 * show it. */
typedef struct saola__xlsx_block saola__xlsx_block;

struct saola__xlsx {
	saola__xlsx_sheet *sheets;
	int nsheets;
	const char **strings; /* the shared strings, in the arena */
	size_t nstrings, strings_cap;
	size_t ncells;        /* all sheets, against SAOLA__XLSX_CELLS_MAX */
	saola__xlsx_block *blocks;
};

/* A zip entry found in the archive's directory. */
typedef struct saola__xlsx_entry saola__xlsx_entry;

/* One reading: the archive, the bytes read so far, the first error. */
typedef struct saola__xlsx_reader {
	void *zip; /* unzFile */
	void *mem; /* the bytes minizip reads (xlsx_zip.c) */
	saola__xlsx_entry *entries; /* sorted by name, case aside */
	size_t nentries;
	size_t total;               /* bytes inflated, all parts */
	char *chunk;                /* inflate buffer */
	int rc;                     /* SAOLA_OK until the first error */
	char *err;
	size_t errlen;
} saola__xlsx_reader;

/* Records the first error (rc, the message made with printf's format)
 * and returns rc; later errors are dropped. */
int saola__xlsx_fail(saola__xlsx_reader *r, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A copy of s[0..n) with a NUL after it, kept in x's arena until
 * saola__xlsx_free; NULL when out of memory. */
const char *saola__xlsx_keep(saola__xlsx *x, const char *s, size_t n);

/* The local part of a name expat reported (the namespace, then
 * SAOLA__XLSX_NS_SEP, then "sheetData" -> "sheetData"), and whether it
 * had a namespace. */
const char *saola__xlsx_local(const char *name);
int saola__xlsx_has_ns(const char *name);

/* strcmp, ASCII letters case aside (whatever the locale). */
int saola__xlsx_casecmp(const char *a, const char *b);

/* The value of attribute local of expat's atts, namespaced or not as ns
 * says, or NULL. */
const char *saola__xlsx_attr(const char **atts, const char *local, int ns);

/* Opens the archive of data (len bytes) and reads its directory; SAOLA_OK
 * or the error recorded. saola__xlsx_zip_close frees what it holds. */
int saola__xlsx_zip_open(saola__xlsx_reader *r, const void *data, size_t len);
void saola__xlsx_zip_close(saola__xlsx_reader *r);

/* Whether the archive has the part, its name compared case aside (OPC). */
int saola__xlsx_zip_has(const saola__xlsx_reader *r, const char *part);

/* Inflates the part and feeds it to parser p as it comes, within the
 * bounds; SAOLA_OK, or the error recorded (a handler's own, recorded
 * with saola__xlsx_stop as it stopped the parser, comes first).
 * "part: missing (not an xlsx workbook)" when it is not there. */
int saola__xlsx_zip_parse(saola__xlsx_reader *r, const char *part, XML_Parser p);

/* What every part's handlers start their state with: the reading and
 * the parser, so that a handler can record an error and stop. */
typedef struct saola__xlsx_ctx {
	saola__xlsx_reader *r;
	XML_Parser p;
	const char *part; /* for messages */
} saola__xlsx_ctx;

/* A namespace-aware expat parser whose user data is ctx (the first member
 * of the handlers' state), refusing a DOCTYPE (an xlsx has none; refusing
 * it rules out entity expansion); NULL when out of memory (recorded).
 * XML_ParserFree frees it. */
XML_Parser saola__xlsx_parser(saola__xlsx_reader *r, saola__xlsx_ctx *ctx, const char *part);

/* saola__xlsx_fail, then stops ctx's parser: for handlers. */
void saola__xlsx_stop(saola__xlsx_ctx *ctx, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reads the shared strings of part into x->strings. */
int saola__xlsx_read_strings(saola__xlsx_reader *r, saola__xlsx *x, const char *part);

/* Reads the cells of sheet (x->sheets[sheet], its name set) from part,
 * sorted and counted. */
int saola__xlsx_read_sheet(saola__xlsx_reader *r, saola__xlsx *x, int sheet, const char *part);

#endif
