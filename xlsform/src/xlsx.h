/* xlsx.h: an .xlsx workbook read whole into memory with minizip and expat,
 * as text cells by sheet: what the XLSForm reader needs, no more. Internal
 * to xlsform/.
 *
 * What is read: xl/workbook.xml (the sheets' names and order) and its
 * relationships (xl/_rels/workbook.xml.rels: each sheet's part), the
 * shared strings (the part the relationships name, else
 * xl/sharedStrings.xml; rich text runs joined, phonetic runs left out,
 * at most SAOLA__XLSX_CELLS_MAX of them), and each
 * sheet's cells: shared strings (t="s"), inline strings (t="inlineStr",
 * runs joined), strings of formulas (t="str": the cached value), booleans
 * (t="b": "TRUE"/"FALSE"), numbers (no t or t="n": as text, an integral
 * value without a fraction, so "1.0" and "1E0" read "1"; else the
 * shortest %g text that reads back the same double: "0.1", "1e+20"),
 * errors (t="e": the error text, "#N/A") and dates (t="d": the ISO text as
 * written). Text is kept as written, blanks included (xml:space). A cell
 * without a value (<v> or <is>) is no cell. Styles, formats, formulas
 * themselves, comments and everything else are ignored. A cell's place
 * comes from its r attribute ("H12"), or follows the cell before it in
 * its row when r is missing (a <row> without r follows the row before),
 * as Excel and other writers do; a place written twice keeps the last
 * (a damaged file: Excel writes none). The main namespace may be the
 * default one or have a prefix ("x:"): names are compared by their local
 * part. A DOCTYPE is refused (an xlsx has none: no entity expansion).
 *
 * Bounds (memory and time, whatever the file): each part read at most
 * SAOLA__XLSX_PART_MAX bytes uncompressed, at most SAOLA__XLSX_CELLS_MAX
 * cells in all, rows up to 1,048,576 and columns up to 16,384 (Excel's),
 * a cell's text at most SAOLA__XLSX_TEXT_MAX bytes, at most
 * SAOLA__XLSX_SHEETS_MAX sheets, and all the parts read (workbook,
 * relationships, shared strings, sheets) at most SAOLA__XLSX_TOTAL_MAX
 * bytes together (so that 256 sheets of 32 MiB each, a few MiB zipped,
 * are not 8 GiB to parse). Past one: SAOLA_LIMIT, saying which. A part's
 * size is checked against what its zip header declares and again against
 * the bytes actually inflated; parts are inflated a chunk at a time into
 * the XML parser, never held whole. */
#ifndef SAOLA_XLSX_H
#define SAOLA_XLSX_H

#include <stddef.h>

#define SAOLA__XLSX_PART_MAX ((size_t)32 << 20)
#define SAOLA__XLSX_CELLS_MAX 1000000
#define SAOLA__XLSX_TEXT_MAX 32767
#define SAOLA__XLSX_SHEETS_MAX 256
#define SAOLA__XLSX_TOTAL_MAX ((size_t)128 << 20)

typedef struct saola__xlsx saola__xlsx;

/* Reads the workbook at data (len bytes; not kept). SAOLA_OK and *out,
 * which saola__xlsx_free frees; else the code (SAOLA_INVALID: not a zip,
 * not an xlsx, XML that does not parse, naming the part and line, a cell
 * that is not what its type says, naming the sheet and cell; SAOLA_LIMIT;
 * SAOLA_NOMEM), err (may be NULL) saying what and where, *out NULL:
 * "xl/worksheets/sheet2.xml: line 14: not well-formed (invalid token)",
 * "sheet 'survey': cell XFD1048577: row past 1048576". */
int saola__xlsx_read(const void *data, size_t len, saola__xlsx **out, char *err, size_t errlen);
/* Frees x and every text it lent; NULL does nothing. */
void saola__xlsx_free(saola__xlsx *x);

/* The sheets, in the workbook's order, and their names (NULL for a sheet
 * that is not there). */
int saola__xlsx_nsheets(const saola__xlsx *x);
const char *saola__xlsx_sheet_name(const saola__xlsx *x, int sheet);
/* The sheet named name, case aside (ASCII), or -1. */
int saola__xlsx_find_sheet(const saola__xlsx *x, const char *name);

/* One past the last row and column that hold a cell (0 for an empty
 * sheet). Rows and columns count from 0: "A1" is row 0, column 0. */
int saola__xlsx_nrows(const saola__xlsx *x, int sheet);
int saola__xlsx_ncols(const saola__xlsx *x, int sheet);

/* The text of the cell at row, col of sheet, or NULL when there is none
 * (a cell with an empty string is ""). Borrowed until saola__xlsx_free.
 * Quick: a lookup, not a scan. */
const char *saola__xlsx_cell(const saola__xlsx *x, int sheet, int row, int col);

/* The first cell of sheet at or after *row, *col in reading order (row
 * by row, left to right): 1 with *row, *col moved to it, 0 when there is
 * none. A lookup, not a scan: a caller visits the cells there are, not
 * every place of a sparse sheet. */
int saola__xlsx_next(const saola__xlsx *x, int sheet, int *row, int *col);

/* The cell's name as Excel writes it: "H12" for row 11, column 7; "?"
 * for a negative row or column or one past ZZZ. buf holds at least 16
 * bytes; returns buf. */
const char *saola__xlsx_ref(int row, int col, char *buf);

#endif
