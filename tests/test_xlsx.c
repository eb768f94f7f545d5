/* test_xlsx.c: the xlsx reader (xlsform/src/xlsx.h) on workbooks made two
 * ways: by libxlsxwriter, as a real writer makes them (shared and inline
 * strings, numbers, booleans, formulas, rich text, sheets in any order),
 * and by hand with minizip's zip.h, for what a writer would not make:
 * cells without r, prefixed namespaces, absolute targets, damaged
 * archives and XML, sizes that lie, and every bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <minizip/zip.h>
#include <xlsxwriter.h>
#include <zlib.h>

#include "testutil.h"
#include "xlsx.h"

#define MAIN_NS "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define REL_NS "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define PKG_NS "http://schemas.openxmlformats.org/package/2006/relationships"

#define CONTENT_TYPES                                                                          \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                             \
	"<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>"
#define WORKBOOK_ONE                                                                           \
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"                          \
	"<workbook xmlns=\"" MAIN_NS "\" xmlns:r=\"" REL_NS "\">\n"                                \
	"<sheets><sheet name=\"survey\" sheetId=\"1\" r:id=\"rId1\"/></sheets>\n</workbook>"
#define RELS_ONE                                                                               \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                             \
	"<Relationships xmlns=\"" PKG_NS "\">"                                                     \
	"<Relationship Id=\"rId1\" Type=\"" REL_NS "/worksheet\" Target=\"worksheets/sheet1.xml\"/>" \
	"<Relationship Id=\"rId2\" Type=\"" REL_NS "/sharedStrings\" Target=\"sharedStrings.xml\"/>" \
	"</Relationships>"
/* The sheet's cells start on line 3. */
#define SHEET_HEAD                                                                             \
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"                          \
	"<worksheet xmlns=\"" MAIN_NS "\" xmlns:r=\"" REL_NS "\"><dimension ref=\"A1\"/>\n"        \
	"<sheetData>"
#define SHEET_TAIL "</sheetData>\n</worksheet>"

static struct {
	char dir[512];
} F;

static int setup(void **state)
{
	(void)state;
	snprintf(F.dir, sizeof F.dir, "%s", tu_tmpdir("xlsx"));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmtree(F.dir);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Making workbooks. */

static char *strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* printf into new memory (free()). */
static char *strf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* One part of a hand-made archive. A raw part is written as given
 * (already deflated: raw_deflate) and declares size and crc, true or not. */
typedef struct part {
	const char *name;
	const char *text; /* NULL: no such part */
	size_t len;       /* 0: strlen(text) */
	int raw;
	uLong size, crc;
} part;

static void zip_add(zipFile z, const part *p)
{
	size_t len = p->len ? p->len : strlen(p->text);

	assert_int_equal(zipOpenNewFileInZip2(z, p->name, NULL, NULL, 0, NULL, 0, NULL, Z_DEFLATED,
	                                      Z_BEST_SPEED, p->raw),
	                 ZIP_OK);
	assert_int_equal(zipWriteInFileInZip(z, p->text, (unsigned)len), ZIP_OK);
	if (p->raw)
		assert_int_equal(zipCloseFileInZipRaw(z, p->size, p->crc), ZIP_OK);
	else
		assert_int_equal(zipCloseFileInZip(z), ZIP_OK);
}

/* An archive of the parts, read back into memory (free()). */
static unsigned char *zip_of(const part *parts, size_t n, size_t *len)
{
	const char *path = tu_path(F.dir, "hand.xlsx");
	zipFile z = zipOpen64(path, APPEND_STATUS_CREATE);
	size_t i;

	assert_non_null(z);
	for (i = 0; i < n; i++)
		if (parts[i].text)
			zip_add(z, &parts[i]);
	assert_int_equal(zipClose(z, NULL), ZIP_OK);
	return (unsigned char *)tu_read_file(path, len);
}

/* A one-sheet workbook ("survey") of the cells sheet_data (the inside of
 * <sheetData>) and the shared strings sst (the <si>s; NULL: no part). */
static unsigned char *book(const char *sheet_data, const char *sst, size_t *len)
{
	char *sheet = strf(SHEET_HEAD "%s" SHEET_TAIL, sheet_data);
	char *strings = sst ? strf("<sst xmlns=\"" MAIN_NS "\">%s</sst>", sst) : NULL;
	part parts[] = {
		{"[Content_Types].xml", CONTENT_TYPES, 0, 0, 0, 0},
		{"xl/workbook.xml", WORKBOOK_ONE, 0, 0, 0, 0},
		{"xl/_rels/workbook.xml.rels", RELS_ONE, 0, 0, 0, 0},
		{"xl/worksheets/sheet1.xml", sheet, 0, 0, 0, 0},
		{"xl/sharedStrings.xml", strings, 0, 0, 0, 0},
	};
	unsigned char *data = zip_of(parts, sizeof parts / sizeof parts[0], len);

	free(sheet);
	free(strings);
	return data;
}

/* text deflated raw (as a zip entry holds it), in new memory. */
static unsigned char *raw_deflate(const void *text, size_t len, size_t *out)
{
	z_stream s;
	unsigned char *buf;
	uLong cap;

	memset(&s, 0, sizeof s);
	assert_int_equal(deflateInit2(&s, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY),
	                 Z_OK);
	cap = deflateBound(&s, (uLong)len);
	buf = malloc(cap);
	assert_non_null(buf);
	s.next_in = (Bytef *)(uintptr_t)text;
	s.avail_in = (uInt)len;
	s.next_out = buf;
	s.avail_out = (uInt)cap;
	assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
	*out = s.total_out;
	deflateEnd(&s);
	return buf;
}

/* The workbook libxlsxwriter wrote at path, in memory (free()). */
static unsigned char *written(lxw_workbook *wb, const char *path, size_t *len)
{
	assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
	return (unsigned char *)tu_read_file(path, len);
}

/* ------------------------------------------------------------------ */
/* Reading them. */

static saola__xlsx *read_ok(const unsigned char *data, size_t len)
{
	saola__xlsx *x = NULL;
	char err[512];
	int rc = saola__xlsx_read(data, len, &x, err, sizeof err);

	if (rc != SAOLA_OK)
		fail_msg("expected the workbook to read, got %d: %s", rc, err);
	assert_non_null(x);
	return x;
}

/* Reads data expecting rc and, when message is not NULL, that message. */
static void read_fails(const unsigned char *data, size_t len, int rc, const char *message)
{
	saola__xlsx *x = (saola__xlsx *)&x;
	char err[512];
	int got = saola__xlsx_read(data, len, &x, err, sizeof err);

	if (got != rc)
		fail_msg("expected %d, got %d: %s", rc, got, got ? err : "(read)");
	assert_null(x);
	assert_true(err[0] != '\0');
	if (message && strcmp(err, message) != 0)
		fail_msg("expected \"%s\", got \"%s\"", message, err);
}

/* "B3" to row 2, column 1 (test's own parser, capitals only). */
static void parse_ref(const char *ref, int *row, int *col)
{
	int c = 0, r = 0;

	for (; *ref >= 'A' && *ref <= 'Z'; ref++)
		c = c * 26 + (*ref - 'A' + 1);
	for (; *ref >= '0' && *ref <= '9'; ref++)
		r = r * 10 + (*ref - '0');
	*row = r - 1;
	*col = c - 1;
}

static const char *at(const saola__xlsx *x, int sheet, const char *ref)
{
	int row, col;

	parse_ref(ref, &row, &col);
	return saola__xlsx_cell(x, sheet, row, col);
}

/* expect: "B3=text" (the cell reads text) or "B3" (no cell there). */
static void expect_cell(const saola__xlsx *x, int sheet, const char *expect)
{
	char ref[16];
	const char *eq = strchr(expect, '='), *got;
	size_t n = eq ? (size_t)(eq - expect) : strlen(expect);

	assert_true(n < sizeof ref);
	memcpy(ref, expect, n);
	ref[n] = '\0';
	got = at(x, sheet, ref);
	if (!eq && got)
		fail_msg("%s: expected no cell, got \"%s\"", ref, got);
	if (eq && !got)
		fail_msg("%s: expected \"%s\", got no cell", ref, eq + 1);
	if (eq && strcmp(got, eq + 1) != 0)
		fail_msg("%s: expected \"%s\", got \"%s\"", ref, eq + 1, got);
}

/* ------------------------------------------------------------------ */
/* Cells, hand-written: what each kind of cell reads as. */

struct cells_case {
	const char *what;
	const char *sheet_data;
	const char *sst;        /* the <si>s; NULL: no shared strings part */
	const char *cells[10];  /* "B3=text", or "B3": none there */
	int nrows, ncols;
};

static const struct cells_case cells_cases[] = {
	{"inline string runs joined, blanks kept",
	 "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><r><t>ab</t></r><r><rPr><b/></rPr>"
	 "<t xml:space=\"preserve\"> cd </t></r></is></c>"
	 "<c r=\"B1\" t=\"inlineStr\"><is><t xml:space=\"preserve\">  x\ny  </t></is></c></row>",
	 NULL, {"A1=ab cd ", "B1=  x\ny  "}, 1, 2},
	{"phonetic runs left out",
	 "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>\xe6\xbc\xa2\xe5\xad\x97</t>"
	 "<rPh sb=\"0\" eb=\"2\"><t>\xe3\x81\x8b\xe3\x82\x93</t></rPh>"
	 "<phoneticPr fontId=\"1\"/></is></c></row>",
	 NULL, {"A1=\xe6\xbc\xa2\xe5\xad\x97"}, 1, 1},
	{"shared strings: plain, rich, empty, phonetic",
	 "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c>"
	 "<c r=\"C1\" t=\"s\"><v>2</v></c><c r=\"D1\" t=\"s\"><v>3</v></c></row>",
	 "<si><t>zero</t></si><si><r><t>o</t></r><r><rPr><b/></rPr><t>ne</t></r></si><si><t/></si>"
	 "<si><t>Ti\xe1\xba\xbfng</t><rPh sb=\"0\" eb=\"1\"><t>x</t></rPh></si>",
	 {"A1=zero", "B1=one", "C1=", "D1=Ti\xe1\xba\xbfng"}, 1, 4},
	{"cells and rows without r follow the one before",
	 "<row><c t=\"inlineStr\"><is><t>a</t></is></c><c><v>2</v></c></row>"
	 "<row><c t=\"str\"><v>x</v></c></row>"
	 "<row r=\"5\"><c r=\"C5\"><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>",
	 NULL, {"A1=a", "B1=2", "A2=x", "C5=1", "D5=2", "A6=3", "A5", "B2"}, 6, 4},
	{"numbers: integral as integers, else shortest",
	 "<row r=\"1\"><c r=\"A1\"><v>1.0</v></c><c r=\"B1\"><v>1E0</v></c><c r=\"C1\"><v>1.000</v></c>"
	 "<c r=\"D1\" t=\"n\"><v>0.5</v></c><c r=\"E1\"><v>0.1</v></c><c r=\"F1\"><v>-7.25</v></c>"
	 "<c r=\"G1\"><v>1e20</v></c><c r=\"H1\"><v>0.30000000000000004</v></c>"
	 "<c r=\"I1\"><v>-0</v></c><c r=\"J1\"><v> 42 </v></c></row>",
	 NULL,
	 {"A1=1", "B1=1", "C1=1", "D1=0.5", "E1=0.1", "F1=-7.25", "G1=1e+20",
	  "H1=0.30000000000000004", "I1=0", "J1=42"},
	 1, 10},
	{"numbers at 2^53 and past",
	 "<row r=\"1\"><c r=\"A1\"><v>9007199254740992</v></c><c r=\"B1\"><v>-9007199254740992</v></c>"
	 "<c r=\"C1\"><v>18014398509481984</v></c><c r=\"D1\"><v>1E-7</v></c>"
	 "<c r=\"E1\"><v>12345678901234567890</v></c><c r=\"F1\"><v>3.14159</v></c></row>",
	 NULL,
	 {"A1=9007199254740992", "B1=-9007199254740992", "C1=18014398509481984",
	  "D1=1e-07", "E1=1.2345678901234567e+19", "F1=3.14159"},
	 1, 6},
	{"numbers: fixed and exponent forms",
	 "<row r=\"1\"><c r=\"A1\"><v>123456.5</v></c><c r=\"B1\"><v>1e10</v></c>"
	 "<c r=\"C1\"><v>0.000123</v></c><c r=\"D1\"><v>1.5e300</v></c><c r=\"E1\"><v>2.5E-5</v></c>"
	 "<c r=\"F1\"><v>100000000000000000000</v></c><c r=\"G1\"><v>0.1e1</v></c>"
	 "<c r=\"H1\"><v>+3</v></c><c r=\"I1\"><v>0.1234567890123456789</v></c>"
	 "<c r=\"J1\"><v>4.9406564584124654E-324</v></c><c r=\"K1\"><v>2.2250738585072014e-308</v></c>"
	 "</row>",
	 NULL,
	 {"A1=123456.5", "B1=10000000000", "C1=0.000123", "D1=1.5e+300", "E1=2.5e-05",
	  "F1=1e+20", "G1=1", "H1=3", "I1=0.12345678901234568", "J1=5e-324"},
	 1, 11},
	{"booleans, errors, dates, formulas' cached values",
	 "<row r=\"1\"><c r=\"A1\" t=\"b\"><v>1</v></c><c r=\"B1\" t=\"b\"><v>0</v></c>"
	 "<c r=\"C1\" t=\"e\"><v>#N/A</v></c><c r=\"D1\" t=\"d\"><v>2025-03-15T00:00:00</v></c>"
	 "<c r=\"E1\" t=\"str\"><f>A2&amp;\"x\"</f><v>hi x</v></c>"
	 "<c r=\"F1\"><f>1+1</f><v>2</v></c><c r=\"G1\" t=\"e\"><f>1/0</f><v>#DIV/0!</v></c></row>",
	 NULL,
	 {"A1=TRUE", "B1=FALSE", "C1=#N/A", "D1=2025-03-15T00:00:00", "E1=hi x", "F1=2",
	  "G1=#DIV/0!"},
	 1, 7},
	{"cells without a value are no cells",
	 "<row r=\"1\"><c r=\"A1\" s=\"1\"/><c r=\"B1\"><v></v></c><c r=\"C1\"><f>A1</f></c></row>"
	 "<row r=\"2\" spans=\"1:3\"/><row r=\"3\"><c r=\"B3\" t=\"inlineStr\"><is/></c></row>",
	 NULL, {"A1", "B1", "C1", "B3="}, 3, 2},
	{"rows out of order, a place written twice: the last one",
	 "<row r=\"5\"><c r=\"B5\"><v>5</v></c></row><row r=\"2\"><c r=\"A2\"><v>2</v></c></row>"
	 "<row r=\"7\"><c r=\"A7\" t=\"inlineStr\"><is><t>first</t></is></c>"
	 "<c r=\"A7\" t=\"inlineStr\"><is><t>second</t></is></c></row>"
	 "<row r=\"2\"><c r=\"A2\"><v>3</v></c></row>",
	 NULL, {"B5=5", "A2=3", "A7=second"}, 7, 2},
	{"entities and character references",
	 "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>&lt;b&gt; &amp; &quot;&#x1F600;&#233;</t></is>"
	 "</c></row>",
	 NULL, {"A1=<b> & \"\xf0\x9f\x98\x80\xc3\xa9"}, 1, 1},
	{"the last row and column there are",
	 "<row r=\"1048576\"><c r=\"XFD1048576\"><v>7</v></c></row>",
	 NULL, {"XFD1048576=7", "A1"}, 1048576, 16384},
	{"other elements and extensions ignored",
	 "<row r=\"1\"><c r=\"A1\"><v>1</v><extLst><ext><v>9</v></ext></extLst></c></row>",
	 NULL, {"A1=1"}, 1, 1},
	{"an empty sheet", "", NULL, {"A1"}, 0, 0},
};

static void test_cells(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof cells_cases / sizeof cells_cases[0]; i++) {
		const struct cells_case *c = &cells_cases[i];
		size_t len;
		unsigned char *data = book(c->sheet_data, c->sst, &len);
		saola__xlsx *x;

		print_message("cells: %s\n", c->what);
		x = read_ok(data, len);
		assert_int_equal(saola__xlsx_nsheets(x), 1);
		assert_string_equal(saola__xlsx_sheet_name(x, 0), "survey");
		for (j = 0; j < sizeof c->cells / sizeof c->cells[0] && c->cells[j]; j++)
			expect_cell(x, 0, c->cells[j]);
		assert_int_equal(saola__xlsx_nrows(x, 0), c->nrows);
		assert_int_equal(saola__xlsx_ncols(x, 0), c->ncols);
		saola__xlsx_free(x);
		free(data);
	}
}

/* ------------------------------------------------------------------ */
/* Cells and XML that are refused, with what and where. */

struct refused_case {
	const char *what;
	const char *sheet_data;
	const char *sst;
	int rc;
	const char *message;
};

static const struct refused_case refused_cases[] = {
	{"shared string index out of range",
	 "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B2\" t=\"s\"><v>1</v></c></row>",
	 "<si><t>only</t></si>", SAOLA_INVALID,
	 "sheet 'survey': cell B2: shared string 1 out of range (1 strings)"},
	{"shared string without the part",
	 "<row r=\"1\"><c r=\"C1\" t=\"s\"><v>0</v></c></row>", NULL, SAOLA_INVALID,
	 "sheet 'survey': cell C1: shared string 0 out of range (0 strings)"},
	{"shared string index not a number",
	 "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>-1</v></c></row>", "<si><t>x</t></si>", SAOLA_INVALID,
	 "sheet 'survey': cell A1: shared string -1 out of range (1 strings)"},
	{"a huge shared string index",
	 "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>99999999999999999999999999</v></c></row>",
	 "<si><t>x</t></si>", SAOLA_INVALID, NULL},
	{"not well-formed",
	 "<row r=\"1\"><c r=\"A1\"><v>1</v></row>", NULL, SAOLA_INVALID,
	 "xl/worksheets/sheet1.xml: line 3: mismatched tag"},
	{"an invalid token",
	 "\n<row r=\"1\"><c r=\"A1\"<v>1</v></c></row>", NULL, SAOLA_INVALID,
	 "xl/worksheets/sheet1.xml: line 4: not well-formed (invalid token)"},
	{"an unbound prefix",
	 "<row r=\"1\"><x:c r=\"A1\"><v>1</v></x:c></row>", NULL, SAOLA_INVALID,
	 "xl/worksheets/sheet1.xml: line 3: unbound prefix"},
	{"not a cell reference", "<row r=\"1\"><c r=\"A0\"><v>1</v></c></row>", NULL, SAOLA_INVALID,
	 "sheet 'survey': \"A0\": not a cell reference"},
	{"a reference without a row", "<row r=\"1\"><c r=\"AB\"><v>1</v></c></row>", NULL,
	 SAOLA_INVALID, "sheet 'survey': \"AB\": not a cell reference"},
	{"a reference with a sign", "<row r=\"1\"><c r=\"$A$1\"><v>1</v></c></row>", NULL,
	 SAOLA_INVALID, "sheet 'survey': \"$A$1\": not a cell reference"},
	{"a row past the last", "<row r=\"1\"><c r=\"XFD1048577\"><v>1</v></c></row>", NULL,
	 SAOLA_LIMIT, "sheet 'survey': cell XFD1048577: row past 1048576"},
	{"a row past the last, many digits",
	 "<row r=\"1\"><c r=\"A99999999999999999999999\"><v>1</v></c></row>", NULL, SAOLA_LIMIT,
	 "sheet 'survey': cell A99999999999999999999999: row past 1048576"},
	{"a column past the last", "<row r=\"1\"><c r=\"XFE1\"><v>1</v></c></row>", NULL, SAOLA_LIMIT,
	 "sheet 'survey': cell XFE1: column past XFD"},
	{"a column of many letters",
	 "<row r=\"1\"><c r=\"ABCDEFGHIJKLMNOPQRSTUVWXYZ1\"><v>1</v></c></row>", NULL, SAOLA_LIMIT,
	 "sheet 'survey': cell ABCDEFGHIJKLMNOPQRSTUVWXYZ1: column past XFD"},
	{"a <row> past the last", "<row r=\"1048577\"><c><v>1</v></c></row>", NULL, SAOLA_LIMIT,
	 "sheet 'survey': row 1048577: row past 1048576"},
	{"a <row> without r past the last", "<row r=\"1048576\"/><row><c><v>1</v></c></row>", NULL,
	 SAOLA_LIMIT, "sheet 'survey': row 1048577: row past 1048576"},
	{"a <row> that is no number", "<row r=\"x1\"/>", NULL, SAOLA_INVALID,
	 "sheet 'survey': row \"x1\": not a row number"},
	{"a cell without r past the last column",
	 "<row r=\"3\"><c r=\"XFD3\"><v>1</v></c><c><v>2</v></c></row>", NULL, SAOLA_LIMIT,
	 "sheet 'survey': row 3: cell after XFD: column past XFD"},
	{"an unknown type", "<row r=\"1\"><c r=\"B1\" t=\"zz\"><v>1</v></c></row>", NULL,
	 SAOLA_INVALID, "sheet 'survey': cell B1: unknown type \"zz\""},
	{"not a number", "<row r=\"2\"><c r=\"C2\"><v>1,5</v></c></row>", NULL, SAOLA_INVALID,
	 "sheet 'survey': cell C2: not a number"},
	{"a number out of range", "<row r=\"2\"><c r=\"C2\"><v>1e999</v></c></row>", NULL,
	 SAOLA_INVALID, "sheet 'survey': cell C2: not a number"},
	{"nan is no number", "<row r=\"2\"><c r=\"C2\"><v>nan</v></c></row>", NULL, SAOLA_INVALID,
	 "sheet 'survey': cell C2: not a number"},
	{"not a boolean", "<row r=\"1\"><c r=\"A1\" t=\"b\"><v>2</v></c></row>", NULL, SAOLA_INVALID,
	 "sheet 'survey': cell A1: not a boolean"},
	{"shared strings that do not parse", "",
	 "<si><t>x</si>", SAOLA_INVALID, "xl/sharedStrings.xml: line 1: mismatched tag"},
};

static void test_refused(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof refused_cases / sizeof refused_cases[0]; i++) {
		const struct refused_case *c = &refused_cases[i];
		size_t len;
		unsigned char *data = book(c->sheet_data, c->sst, &len);

		print_message("refused: %s\n", c->what);
		read_fails(data, len, c->rc, c->message);
		free(data);
	}
}

/* A DOCTYPE (and so any entity of one: a billion laughs) is refused
 * before it is expanded. */
static void test_doctype(void **state)
{
	const char *laughs =
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;\">"
		"<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>\n"
		"<worksheet xmlns=\"" MAIN_NS "\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\">"
		"<is><t>&lol3;</t></is></c></row></sheetData></worksheet>";
	part parts[] = {
		{"xl/workbook.xml", WORKBOOK_ONE, 0, 0, 0, 0},
		{"xl/_rels/workbook.xml.rels", RELS_ONE, 0, 0, 0, 0},
		{"xl/worksheets/sheet1.xml", laughs, 0, 0, 0, 0},
	};
	size_t len;
	unsigned char *data = zip_of(parts, 3, &len);

	(void)state;
	read_fails(data, len, SAOLA_INVALID, "xl/worksheets/sheet1.xml: line 2: a DOCTYPE is not allowed");
	free(data);
}

/* A cell's text and a shared string: 32,767 bytes read, one more is
 * refused; the text of a cell counts its bytes, entities expanded. */
static void test_text_bound(void **state)
{
	char *big = malloc(SAOLA__XLSX_TEXT_MAX + 2);
	char *cells;
	unsigned char *data;
	saola__xlsx *x;
	size_t len;

	(void)state;
	assert_non_null(big);
	memset(big, 'a', SAOLA__XLSX_TEXT_MAX);
	big[SAOLA__XLSX_TEXT_MAX] = '\0';

	cells = strf("<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>%s</t></is></c>"
	             "<c r=\"B1\" t=\"s\"><v>0</v></c></row>", big);
	{
		char *sst = strf("<si><t>%s</t></si>", big);
		data = book(cells, sst, &len);
		free(sst);
	}
	x = read_ok(data, len);
	assert_int_equal(strlen(at(x, 0, "A1")), SAOLA__XLSX_TEXT_MAX);
	assert_int_equal(strlen(at(x, 0, "B1")), SAOLA__XLSX_TEXT_MAX);
	saola__xlsx_free(x);
	free(data);
	free(cells);

	/* One byte more, as an entity: counted once expanded. */
	cells = strf("<row r=\"4\"><c r=\"C4\" t=\"inlineStr\"><is><r><t>%s</t></r><r><t>&amp;</t></r>"
	             "</is></c></row>", big);
	data = book(cells, NULL, &len);
	read_fails(data, len, SAOLA_LIMIT, "sheet 'survey': cell C4: more than 32767 bytes");
	free(data);
	free(cells);

	cells = strf("<row r=\"1\"><c r=\"A1\" t=\"str\"><v>%sb</v></c></row>", big);
	data = book(cells, NULL, &len);
	read_fails(data, len, SAOLA_LIMIT, "sheet 'survey': cell A1: more than 32767 bytes");
	free(data);
	free(cells);

	{
		char *sst = strf("<si><t>x</t></si><si><r><t>%s</t></r><r><t>b</t></r></si>", big);
		data = book("", sst, &len);
		free(sst);
	}
	read_fails(data, len, SAOLA_LIMIT, "xl/sharedStrings.xml: more than 32767 bytes in string 1");
	free(data);
	free(big);
}

/* ------------------------------------------------------------------ */
/* Workbooks libxlsxwriter makes. */

static void test_xlsxwriter(void **state)
{
	const char *path = tu_path(F.dir, "writer.xlsx");
	lxw_workbook *wb = workbook_new(path);
	lxw_worksheet *settings, *survey, *choices;
	lxw_format *bold;
	lxw_rich_string_tuple f1, f2, f3;
	lxw_rich_string_tuple *rich[4];
	unsigned char *data;
	saola__xlsx *x;
	size_t len;
	int s;

	(void)state;
	assert_non_null(wb);
	/* Sheets in an unusual order and case. */
	settings = workbook_add_worksheet(wb, "settings");
	survey = workbook_add_worksheet(wb, "Survey");
	choices = workbook_add_worksheet(wb, "CHOICES");
	assert_non_null(settings);
	assert_non_null(survey);
	assert_non_null(choices);
	bold = workbook_add_format(wb);
	format_set_bold(bold);

	worksheet_write_string(survey, 0, 0, "type", NULL);
	worksheet_write_string(survey, 0, 1, "name", NULL);
	worksheet_write_string(survey, 0, 2, "label::Ti\xe1\xba\xbfng Vi\xe1\xbb\x87t (vi)", bold);
	worksheet_write_string(survey, 1, 0, "integer", NULL);
	worksheet_write_string(survey, 1, 1, "  spaced  ", NULL);
	worksheet_write_number(survey, 1, 3, 1.0, NULL);
	worksheet_write_number(survey, 1, 4, 0.1, NULL);
	worksheet_write_number(survey, 1, 5, -7.5, NULL);
	worksheet_write_number(survey, 1, 6, 1e20, NULL);
	worksheet_write_number(survey, 1, 7, 123456789012.0, NULL);
	worksheet_write_boolean(survey, 2, 0, 1, NULL);
	worksheet_write_boolean(survey, 2, 1, 0, NULL);
	worksheet_write_formula_num(survey, 2, 2, "=1+1", NULL, 2);
	worksheet_write_formula_str(survey, 2, 3, "=A2&\"x\"", NULL, "integerx");
	f1 = (lxw_rich_string_tuple){NULL, "plain "};
	f2 = (lxw_rich_string_tuple){bold, "bold"};
	f3 = (lxw_rich_string_tuple){NULL, " tail"};
	rich[0] = &f1;
	rich[1] = &f2;
	rich[2] = &f3;
	rich[3] = NULL;
	assert_int_equal(worksheet_write_rich_string(survey, 2, 4, rich, NULL), LXW_NO_ERROR);
	/* Rows 4 to 8 empty (a blank cell is formatting, not a value). */
	worksheet_write_blank(survey, 5, 0, bold);
	worksheet_write_string(survey, 9, 2, "after the gap", NULL);
	worksheet_write_string(choices, 0, 0, "list_name", NULL);
	worksheet_write_string(choices, 1, 0, "type", NULL); /* shared with survey's A1 */
	worksheet_write_string(settings, 0, 0, "form_id", NULL);
	worksheet_write_number(settings, 1, 0, 2025, NULL);
	data = written(wb, path, &len);

	x = read_ok(data, len);
	assert_int_equal(saola__xlsx_nsheets(x), 3);
	assert_string_equal(saola__xlsx_sheet_name(x, 0), "settings");
	assert_string_equal(saola__xlsx_sheet_name(x, 1), "Survey");
	assert_string_equal(saola__xlsx_sheet_name(x, 2), "CHOICES");
	assert_int_equal(saola__xlsx_find_sheet(x, "survey"), 1);
	assert_int_equal(saola__xlsx_find_sheet(x, "Choices"), 2);
	assert_int_equal(saola__xlsx_find_sheet(x, "SETTINGS"), 0);
	assert_int_equal(saola__xlsx_find_sheet(x, "external_choices"), -1);

	s = saola__xlsx_find_sheet(x, "survey");
	expect_cell(x, s, "A1=type");
	expect_cell(x, s, "C1=label::Ti\xe1\xba\xbfng Vi\xe1\xbb\x87t (vi)");
	expect_cell(x, s, "B2=  spaced  ");
	expect_cell(x, s, "C2");
	expect_cell(x, s, "D2=1");
	expect_cell(x, s, "E2=0.1");
	expect_cell(x, s, "F2=-7.5");
	expect_cell(x, s, "G2=1e+20");
	expect_cell(x, s, "H2=123456789012");
	expect_cell(x, s, "A3=TRUE");
	expect_cell(x, s, "B3=FALSE");
	expect_cell(x, s, "C3=2");
	expect_cell(x, s, "D3=integerx");
	expect_cell(x, s, "E3=plain bold tail");
	expect_cell(x, s, "A6");
	expect_cell(x, s, "C10=after the gap");
	assert_int_equal(saola__xlsx_nrows(x, s), 10);
	assert_int_equal(saola__xlsx_ncols(x, s), 8);

	expect_cell(x, 2, "A2=type");
	assert_int_equal(saola__xlsx_nrows(x, 2), 2);
	assert_int_equal(saola__xlsx_ncols(x, 2), 1);
	expect_cell(x, 0, "A2=2025");
	saola__xlsx_free(x);
	free(data);
}

/* constant_memory: libxlsxwriter writes rows as they come, with inline
 * strings (rich ones as runs) instead of shared ones. */
static void test_xlsxwriter_constant_memory(void **state)
{
	const char *path = tu_path(F.dir, "constant.xlsx");
	lxw_workbook_options opt = {LXW_TRUE, (char *)F.dir, LXW_FALSE};
	lxw_workbook *wb = workbook_new_opt(path, &opt);
	lxw_worksheet *ws;
	lxw_format *italic;
	lxw_rich_string_tuple f1, f2;
	lxw_rich_string_tuple *rich[3];
	unsigned char *data;
	saola__xlsx *x;
	size_t len;
	int row;

	(void)state;
	assert_non_null(wb);
	ws = workbook_add_worksheet(wb, "big");
	italic = workbook_add_format(wb);
	format_set_italic(italic);
	f1 = (lxw_rich_string_tuple){italic, "rich"};
	f2 = (lxw_rich_string_tuple){NULL, " text"};
	rich[0] = &f1;
	rich[1] = &f2;
	rich[2] = NULL;
	for (row = 0; row < 2000; row++) {
		char text[32];
		snprintf(text, sizeof text, "row %d & <more>", row);
		worksheet_write_string(ws, (lxw_row_t)row, 0, text, NULL);
		worksheet_write_number(ws, (lxw_row_t)row, 1, row + 0.5, NULL);
		if (row % 100 == 0)
			worksheet_write_rich_string(ws, (lxw_row_t)row, 2, rich, NULL);
	}
	data = written(wb, path, &len);
	/* Inline strings indeed: no shared strings part, "inlineStr" cells. */
	x = read_ok(data, len);
	assert_int_equal(saola__xlsx_nsheets(x), 1);
	assert_int_equal(saola__xlsx_nrows(x, 0), 2000);
	assert_int_equal(saola__xlsx_ncols(x, 0), 3);
	expect_cell(x, 0, "A1=row 0 & <more>");
	expect_cell(x, 0, "B1=0.5");
	expect_cell(x, 0, "C1=rich text");
	expect_cell(x, 0, "A2000=row 1999 & <more>");
	expect_cell(x, 0, "B2000=1999.5");
	expect_cell(x, 0, "C1901=rich text");
	expect_cell(x, 0, "C1902");
	saola__xlsx_free(x);
	free(data);
}

/* ------------------------------------------------------------------ */
/* Workbooks other writers make: namespaces with prefixes, targets from
 * the root, parts named otherwise. */

static void test_prefixed_and_absolute(void **state)
{
	const char *workbook =
		"<x:workbook xmlns:x=\"" MAIN_NS "\" xmlns:rel=\"" REL_NS "\"><x:sheets>"
		"<x:sheet name=\"Choices\" sheetId=\"2\" rel:id=\"R2\"/>"
		"<x:sheet name=\"survey\" sheetId=\"1\" rel:id=\"R1\" state=\"hidden\"/>"
		"<x:sheet name=\"notes\" sheetId=\"3\" rel:id=\"R3\"/>"
		"</x:sheets><x:definedNames/></x:workbook>";
	const char *rels =
		"<p:Relationships xmlns:p=\"" PKG_NS "\">"
		"<p:Relationship Id=\"R1\" Type=\"" REL_NS "/worksheet\" Target=\"/xl/worksheets/one.xml\"/>"
		"<p:Relationship Id=\"R2\" Type=\"" REL_NS "/worksheet\""
		" Target=\"./sheets/../worksheets/two.xml\"/>"
		"<p:Relationship Id=\"R3\" Type=\"" REL_NS "/worksheet\" Target=\"/xl/worksheets/three.xml\"/>"
		"<p:Relationship Id=\"R9\" Type=\"" REL_NS "/sharedStrings\" Target=\"/xl/strings/Sst.xml\"/>"
		"</p:Relationships>";
	const char *one =
		"<x:worksheet xmlns:x=\"" MAIN_NS "\"><x:sheetData>"
		"<x:row r=\"1\"><x:c r=\"A1\" t=\"s\"><x:v>1</x:v></x:c>"
		"<x:c r=\"B1\" t=\"inlineStr\"><x:is><x:r><x:t>in</x:t></x:r>"
		"<x:r><x:t>line</x:t></x:r></x:is></x:c>"
		"</x:row></x:sheetData></x:worksheet>";
	const char *two =
		"<worksheet xmlns=\"" MAIN_NS "\"><sheetData><row><c t=\"s\"><v>0</v></c></row></sheetData>"
		"</worksheet>";
	const char *three = "<worksheet xmlns=\"" MAIN_NS "\"><sheetData/></worksheet>";
	const char *sst =
		"<s:sst xmlns:s=\"" MAIN_NS "\" count=\"2\" uniqueCount=\"2\"><s:si><s:t>list_name</s:t></s:si>"
		"<s:si><s:r><s:t>ty</s:t></s:r><s:r><s:t>pe</s:t></s:r></s:si></s:sst>";
	/* The directory's names in another case: OPC compares them so. */
	part parts[] = {
		{"XL/Workbook.xml", workbook, 0, 0, 0, 0},
		{"xl/_rels/workbook.xml.rels", rels, 0, 0, 0, 0},
		{"xl/worksheets/one.xml", one, 0, 0, 0, 0},
		{"xl/worksheets/two.xml", two, 0, 0, 0, 0},
		{"xl/worksheets/three.xml", three, 0, 0, 0, 0},
		{"xl/strings/sst.xml", sst, 0, 0, 0, 0},
	};
	size_t len;
	unsigned char *data = zip_of(parts, sizeof parts / sizeof parts[0], &len);
	saola__xlsx *x;

	(void)state;
	x = read_ok(data, len);
	assert_int_equal(saola__xlsx_nsheets(x), 3);
	assert_string_equal(saola__xlsx_sheet_name(x, 0), "Choices");
	assert_string_equal(saola__xlsx_sheet_name(x, 1), "survey");
	assert_string_equal(saola__xlsx_sheet_name(x, 2), "notes");
	expect_cell(x, 1, "A1=type");
	expect_cell(x, 1, "B1=inline");
	expect_cell(x, 0, "A1=list_name");
	assert_int_equal(saola__xlsx_nrows(x, 2), 0);
	assert_int_equal(saola__xlsx_ncols(x, 2), 0);
	assert_null(saola__xlsx_cell(x, 2, 0, 0));
	saola__xlsx_free(x);
	free(data);
}

/* ------------------------------------------------------------------ */
/* Archives that are no workbook, or a damaged one. */

struct archive_case {
	const char *what;
	part parts[4];
	const char *message;
};

static const struct archive_case archive_cases[] = {
	{"no workbook",
	 {{"xl/_rels/workbook.xml.rels", RELS_ONE, 0, 0, 0, 0},
	  {"xl/worksheets/sheet1.xml", SHEET_HEAD SHEET_TAIL, 0, 0, 0, 0}},
	 "xl/workbook.xml: missing (not an xlsx workbook)"},
	{"no relationships",
	 {{"xl/workbook.xml", WORKBOOK_ONE, 0, 0, 0, 0}},
	 "xl/_rels/workbook.xml.rels: missing (not an xlsx workbook)"},
	{"no sheet part",
	 {{"xl/workbook.xml", WORKBOOK_ONE, 0, 0, 0, 0},
	  {"xl/_rels/workbook.xml.rels", RELS_ONE, 0, 0, 0, 0}},
	 "sheet 'survey': xl/worksheets/sheet1.xml: missing"},
	{"a sheet without its relationship",
	 {{"xl/workbook.xml",
	   "<workbook xmlns=\"" MAIN_NS "\" xmlns:r=\"" REL_NS "\"><sheets>"
	   "<sheet name=\"a\" sheetId=\"1\" r:id=\"rId7\"/></sheets></workbook>", 0, 0, 0, 0},
	  {"xl/_rels/workbook.xml.rels", RELS_ONE, 0, 0, 0, 0}},
	 "xl/workbook.xml: sheet 'a': no relationship rId7 in xl/_rels/workbook.xml.rels"},
	{"a sheet without r:id",
	 {{"xl/workbook.xml",
	   "<workbook xmlns=\"" MAIN_NS "\">\n<sheets>\n<sheet name=\"a\" sheetId=\"1\" id=\"rId1\"/>"
	   "</sheets></workbook>", 0, 0, 0, 0},
	  {"xl/_rels/workbook.xml.rels", RELS_ONE, 0, 0, 0, 0}},
	 "xl/workbook.xml: line 3: sheet 'a' has no r:id"},
	{"a target out of the archive",
	 {{"xl/workbook.xml", WORKBOOK_ONE, 0, 0, 0, 0},
	  {"xl/_rels/workbook.xml.rels",
	   "<Relationships xmlns=\"" PKG_NS "\"><Relationship Id=\"rId1\" Target=\"../../x.xml\"/>"
	   "</Relationships>", 0, 0, 0, 0}},
	 "xl/_rels/workbook.xml.rels: sheet 'survey': bad target \"../../x.xml\""},
	{"an external target",
	 {{"xl/workbook.xml", WORKBOOK_ONE, 0, 0, 0, 0},
	  {"xl/_rels/workbook.xml.rels",
	   "<Relationships xmlns=\"" PKG_NS "\"><Relationship Id=\"rId1\" TargetMode=\"External\""
	   " Target=\"worksheets/sheet1.xml\"/></Relationships>", 0, 0, 0, 0},
	  {"xl/worksheets/sheet1.xml", SHEET_HEAD SHEET_TAIL, 0, 0, 0, 0}},
	 "xl/_rels/workbook.xml.rels: sheet 'survey': bad target \"worksheets/sheet1.xml\""},
	{"an empty workbook part",
	 {{"xl/workbook.xml", "", 0, 0, 0, 0}},
	 "xl/workbook.xml: line 1: no element found"},
	{"a workbook that is no XML",
	 {{"xl/workbook.xml", "PK\x03\x04 binary", 0, 0, 0, 0}},
	 "xl/workbook.xml: line 1: not well-formed (invalid token)"},
};

static void test_archives(void **state)
{
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof archive_cases / sizeof archive_cases[0]; i++) {
		const struct archive_case *c = &archive_cases[i];
		unsigned char *data;
		size_t len;

		print_message("archive: %s\n", c->what);
		for (n = 0; n < 4 && c->parts[n].name; n++)
			;
		data = zip_of(c->parts, n, &len);
		read_fails(data, len, SAOLA_INVALID, c->message);
		free(data);
	}
}

static void test_not_zip(void **state)
{
	static const unsigned char junk[] = "PK\x05\x06 not quite";
	const char *csv = "type,name\ninteger,age\n";
	char err[256];
	saola__xlsx *x = NULL;

	(void)state;
	read_fails((const unsigned char *)csv, strlen(csv), SAOLA_INVALID,
	           "not an xlsx file (not a zip archive)");
	read_fails(junk, sizeof junk - 1, SAOLA_INVALID, "not an xlsx file (not a zip archive)");
	read_fails((const unsigned char *)"", 0, SAOLA_INVALID, "not an xlsx file (not a zip archive)");
	read_fails(NULL, 0, SAOLA_INVALID, "not an xlsx file (not a zip archive)");
	/* A zip without a single entry (its end record alone) is none to
	 * minizip; one with other entries is a zip, but no workbook. */
	{
		part none[] = {{"x", NULL, 0, 0, 0, 0}};
		part other[] = {{"word/document.xml", "<w/>", 0, 0, 0, 0}};
		size_t len;
		unsigned char *data = zip_of(none, 1, &len);
		read_fails(data, len, SAOLA_INVALID, "not an xlsx file (not a zip archive)");
		free(data);
		data = zip_of(other, 1, &len);
		read_fails(data, len, SAOLA_INVALID, "xl/workbook.xml: missing (not an xlsx workbook)");
		free(data);
	}
	/* The message is cut to the buffer, never overrun. */
	assert_int_equal(saola__xlsx_read(csv, strlen(csv), &x, err, 8), SAOLA_INVALID);
	assert_string_equal(err, "not an ");
	assert_int_equal(saola__xlsx_read(csv, strlen(csv), &x, NULL, 0), SAOLA_INVALID);
	assert_null(x);
}

/* A real workbook cut short anywhere, or with bytes changed: refused
 * (or, for a change that touches nothing read, read), never a crash. */
static void test_damaged(void **state)
{
	const char *path = tu_path(F.dir, "damaged.xlsx");
	lxw_workbook *wb = workbook_new(path);
	lxw_worksheet *ws = workbook_add_worksheet(wb, "survey");
	unsigned char *data, *copy;
	size_t len, cut, i;
	saola__xlsx *x;
	char err[256];

	(void)state;
	worksheet_write_string(ws, 0, 0, "type", NULL);
	worksheet_write_number(ws, 1, 1, 3, NULL);
	data = written(wb, path, &len);
	copy = malloc(len);
	assert_non_null(copy);

	for (cut = 0; cut < len; cut += cut < 64 ? 1 : 97) {
		memcpy(copy, data, cut);
		read_fails(copy, cut, SAOLA_INVALID, NULL);
	}
	for (i = 0; i < len; i += 7) {
		int rc;
		memcpy(copy, data, len);
		copy[i] ^= 0x5a;
		rc = saola__xlsx_read(copy, len, &x, err, sizeof err);
		assert_true(rc == SAOLA_OK || rc == SAOLA_INVALID || rc == SAOLA_LIMIT);
		if (rc == SAOLA_OK)
			saola__xlsx_free(x);
		else
			assert_null(x);
	}
	free(copy);
	free(data);
}

/* ------------------------------------------------------------------ */
/* Sizes that lie, and parts past the bound. */

#define SHEET_MINIMAL SHEET_HEAD "<row r=\"1\"><c r=\"A1\"><v>5</v></c></row>" SHEET_TAIL

/* The workbook of one sheet whose part is given (raw or not). */
static unsigned char *book_with_sheet(const part *sheet, size_t *len)
{
	part parts[] = {
		{"xl/workbook.xml", WORKBOOK_ONE, 0, 0, 0, 0},
		{"xl/_rels/workbook.xml.rels", RELS_ONE, 0, 0, 0, 0},
		*sheet,
	};
	return zip_of(parts, 3, len);
}

static void test_lying_sizes(void **state)
{
	const char *text = SHEET_MINIMAL;
	size_t n = strlen(text), dlen, len;
	unsigned char *deflated = raw_deflate(text, n, &dlen);
	uLong crc = crc32(0, (const Bytef *)text, (uInt)n);
	unsigned char *data;
	saola__xlsx *x;
	part sheet = {"xl/worksheets/sheet1.xml", (const char *)deflated, dlen, 1, 0, 0};

	(void)state;
	/* True size and CRC: read. */
	sheet.size = n;
	sheet.crc = crc;
	data = book_with_sheet(&sheet, &len);
	x = read_ok(data, len);
	expect_cell(x, 0, "A1=5");
	saola__xlsx_free(x);
	free(data);

	/* Smaller than it is: what is past the size is never inflated, and
	 * the part is cut. */
	sheet.size = n / 2;
	data = book_with_sheet(&sheet, &len);
	read_fails(data, len, SAOLA_INVALID, NULL);
	free(data);

	/* A wrong CRC. */
	sheet.size = n;
	sheet.crc = crc ^ 1;
	data = book_with_sheet(&sheet, &len);
	read_fails(data, len, SAOLA_INVALID, "xl/worksheets/sheet1.xml: damaged zip entry (CRC mismatch)");
	free(data);

	/* Declared past the bound: refused before a byte is inflated. */
	sheet.size = (uLong)SAOLA__XLSX_PART_MAX + 1;
	sheet.crc = crc;
	data = book_with_sheet(&sheet, &len);
	read_fails(data, len, SAOLA_LIMIT,
	           "xl/worksheets/sheet1.xml: more than 33554432 bytes uncompressed (33554433)");
	free(data);
	free(deflated);
}

/* A sheet of 32 MiB and a bit of blanks zips to some 32 KB: refused by
 * its size, as it is inflated; and the same part read as five sheets is
 * past the bound of all parts together. */
static void test_part_bounds(void **state)
{
	const char *path = tu_path(F.dir, "big.xlsx");
	size_t chunk = (size_t)1 << 20, i, len;
	char *blanks = malloc(chunk);
	zipFile z = zipOpen64(path, APPEND_STATUS_CREATE);
	unsigned char *data;
	const char *head = SHEET_HEAD, *tail = SHEET_TAIL;
	const char *five =
		"<workbook xmlns=\"" MAIN_NS "\" xmlns:r=\"" REL_NS "\"><sheets>"
		"<sheet name=\"a\" r:id=\"rId1\"/><sheet name=\"b\" r:id=\"rId1\"/>"
		"<sheet name=\"c\" r:id=\"rId1\"/><sheet name=\"d\" r:id=\"rId1\"/>"
		"<sheet name=\"e\" r:id=\"rId1\"/></sheets></workbook>";

	(void)state;
	assert_non_null(blanks);
	assert_non_null(z);
	memset(blanks, ' ', chunk);
	zip_add(z, &(part){"xl/workbook.xml", WORKBOOK_ONE, 0, 0, 0, 0});
	zip_add(z, &(part){"xl/_rels/workbook.xml.rels", RELS_ONE, 0, 0, 0, 0});
	assert_int_equal(zipOpenNewFileInZip64(z, "xl/worksheets/sheet1.xml", NULL, NULL, 0, NULL, 0,
	                                       NULL, Z_DEFLATED, Z_BEST_SPEED, 1),
	                 ZIP_OK);
	zipWriteInFileInZip(z, head, (unsigned)strlen(head));
	for (i = 0; i < SAOLA__XLSX_PART_MAX / chunk; i++)
		assert_int_equal(zipWriteInFileInZip(z, blanks, (unsigned)chunk), ZIP_OK);
	zipWriteInFileInZip(z, tail, (unsigned)strlen(tail));
	assert_int_equal(zipCloseFileInZip(z), ZIP_OK);
	assert_int_equal(zipClose(z, NULL), ZIP_OK);
	data = (unsigned char *)tu_read_file(path, &len);
	assert_true(len < 200000);
	{
		char err[256];
		saola__xlsx *x;
		assert_int_equal(saola__xlsx_read(data, len, &x, err, sizeof err), SAOLA_LIMIT);
		assert_non_null(strstr(err, "xl/worksheets/sheet1.xml: more than 33554432 bytes"));
	}
	free(data);

	/* 30 MiB, five times over. */
	z = zipOpen64(path, APPEND_STATUS_CREATE);
	assert_non_null(z);
	zip_add(z, &(part){"xl/workbook.xml", five, 0, 0, 0, 0});
	zip_add(z, &(part){"xl/_rels/workbook.xml.rels", RELS_ONE, 0, 0, 0, 0});
	assert_int_equal(zipOpenNewFileInZip64(z, "xl/worksheets/sheet1.xml", NULL, NULL, 0, NULL, 0,
	                                       NULL, Z_DEFLATED, Z_BEST_SPEED, 1),
	                 ZIP_OK);
	zipWriteInFileInZip(z, head, (unsigned)strlen(head));
	for (i = 0; i < 30; i++)
		assert_int_equal(zipWriteInFileInZip(z, blanks, (unsigned)chunk), ZIP_OK);
	zipWriteInFileInZip(z, tail, (unsigned)strlen(tail));
	assert_int_equal(zipCloseFileInZip(z), ZIP_OK);
	assert_int_equal(zipClose(z, NULL), ZIP_OK);
	data = (unsigned char *)tu_read_file(path, &len);
	read_fails(data, len, SAOLA_LIMIT,
	           "xl/worksheets/sheet1.xml: the parts read come to more than 134217728 bytes");
	free(data);
	free(blanks);
}

/* 256 sheets read; 257 are refused. Every sheet is the same small part. */
static void test_sheets_bound(void **state)
{
	int count;

	(void)state;
	for (count = 256; count <= 257; count++) {
		size_t cap = 64 + (size_t)count * 64, len, used;
		char *wbx = malloc(cap);
		unsigned char *data;
		int i;

		assert_non_null(wbx);
		used = (size_t)snprintf(wbx, cap,
		                        "<workbook xmlns=\"" MAIN_NS "\" xmlns:r=\"" REL_NS "\"><sheets>");
		for (i = 0; i < count; i++)
			used += (size_t)snprintf(wbx + used, cap - used, "<sheet name=\"s%d\" r:id=\"rId1\"/>", i);
		snprintf(wbx + used, cap - used, "</sheets></workbook>");
		{
			part parts[] = {
				{"xl/workbook.xml", wbx, 0, 0, 0, 0},
				{"xl/_rels/workbook.xml.rels", RELS_ONE, 0, 0, 0, 0},
				{"xl/worksheets/sheet1.xml", SHEET_MINIMAL, 0, 0, 0, 0},
			};
			data = zip_of(parts, 3, &len);
		}
		if (count == 256) {
			saola__xlsx *x = read_ok(data, len);
			assert_int_equal(saola__xlsx_nsheets(x), 256);
			assert_string_equal(saola__xlsx_sheet_name(x, 255), "s255");
			expect_cell(x, 255, "A1=5");
			saola__xlsx_free(x);
		} else {
			read_fails(data, len, SAOLA_LIMIT, "xl/workbook.xml: more than 256 sheets");
		}
		free(data);
		free(wbx);
	}
}

/* 1,000,000 cells in all read; one more is refused, wherever it is: here
 * four sheets of the same part of 250,001 cells (each "<c><v>1</v></c>"). */
static void test_cells_bound(void **state)
{
	const int per = SAOLA__XLSX_CELLS_MAX / 4;
	const char *four =
		"<workbook xmlns=\"" MAIN_NS "\" xmlns:r=\"" REL_NS "\"><sheets>"
		"<sheet name=\"a\" r:id=\"rId1\"/><sheet name=\"b\" r:id=\"rId1\"/>"
		"<sheet name=\"c\" r:id=\"rId1\"/><sheet name=\"d\" r:id=\"rId1\"/></sheets></workbook>";
	size_t cap = (size_t)(per + 1) * 20 + 1024, used, len;
	char *sheet = malloc(cap);
	unsigned char *data;
	int extra, i;

	(void)state;
	assert_non_null(sheet);
	for (extra = 0; extra <= 1; extra++) {
		used = (size_t)snprintf(sheet, cap, SHEET_HEAD);
		/* Rows of 1,000 cells without r. */
		for (i = 0; i < per + extra; i++)
			used += (size_t)snprintf(sheet + used, cap - used, "%s<c><v>%d</v></c>%s",
			                         i % 1000 == 0 ? "<row>" : "", i % 10,
			                         i % 1000 == 999 || i == per + extra - 1 ? "</row>" : "");
		snprintf(sheet + used, cap - used, SHEET_TAIL);
		{
			part parts[] = {
				{"xl/workbook.xml", four, 0, 0, 0, 0},
				{"xl/_rels/workbook.xml.rels", RELS_ONE, 0, 0, 0, 0},
				{"xl/worksheets/sheet1.xml", sheet, 0, 0, 0, 0},
			};
			data = zip_of(parts, 3, &len);
		}
		if (!extra) {
			saola__xlsx *x = read_ok(data, len);
			assert_int_equal(saola__xlsx_nrows(x, 3), per / 1000);
			assert_int_equal(saola__xlsx_ncols(x, 3), 1000);
			expect_cell(x, 3, "A1=0");
			expect_cell(x, 3, "ALL250=9");
			saola__xlsx_free(x);
		} else {
			read_fails(data, len, SAOLA_LIMIT, "sheet 'd': more than 1000000 cells in the workbook");
		}
		free(data);
	}
	free(sheet);
}

/* The shared strings are bounded as the cells are. */
static void test_strings_bound(void **state)
{
	size_t n = SAOLA__XLSX_CELLS_MAX + 1, len, i;
	char *sst = malloc(n * 5 + 1);
	unsigned char *data;

	(void)state;
	assert_non_null(sst);
	for (i = 0; i < n; i++)
		memcpy(sst + i * 5, "<si/>", 5);
	sst[n * 5] = '\0';
	data = book("", sst, &len);
	read_fails(data, len, SAOLA_LIMIT, "xl/sharedStrings.xml: more than 1000000 strings");
	free(data);
	free(sst);
}

/* ------------------------------------------------------------------ */
/* The small functions. */

static void test_ref(void **state)
{
	static const struct {
		int row, col;
		const char *ref;
	} refs[] = {
		{0, 0, "A1"},       {11, 7, "H12"},   {0, 25, "Z1"},      {0, 26, "AA1"},
		{1, 51, "AZ2"},     {0, 701, "ZZ1"},  {0, 702, "AAA1"},   {0, 16383, "XFD1"},
		{1048575, 16383, "XFD1048576"}, {0, 18277, "ZZZ1"}, {2147483646, 18277, "ZZZ2147483647"},
		{-1, 0, "?"},       {0, -1, "?"},     {0, 18278, "?"},
	};
	char buf[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof refs / sizeof refs[0]; i++)
		assert_string_equal(saola__xlsx_ref(refs[i].row, refs[i].col, buf), refs[i].ref);
	assert_string_equal(saola__xlsx_ref(2147483647, 0, buf), "A2147483648");
}

static void test_lookups_out_of_range(void **state)
{
	size_t len;
	unsigned char *data = book("<row r=\"2\"><c r=\"B2\"><v>1</v></c></row>", NULL, &len);
	saola__xlsx *x = read_ok(data, len);

	(void)state;
	assert_null(saola__xlsx_cell(x, 0, -1, 0));
	assert_null(saola__xlsx_cell(x, 0, 0, -1));
	assert_null(saola__xlsx_cell(x, 0, 1048576, 0));
	assert_null(saola__xlsx_cell(x, 0, 1, 16384));
	assert_null(saola__xlsx_cell(x, 1, 1, 1));
	assert_null(saola__xlsx_cell(x, -1, 1, 1));
	assert_string_equal(saola__xlsx_cell(x, 0, 1, 1), "1");
	assert_null(saola__xlsx_sheet_name(x, 1));
	assert_int_equal(saola__xlsx_nrows(x, 5), 0);
	assert_int_equal(saola__xlsx_ncols(x, -1), 0);
	assert_int_equal(saola__xlsx_find_sheet(x, NULL), -1);
	assert_int_equal(saola__xlsx_find_sheet(x, "surve"), -1);
	assert_int_equal(saola__xlsx_find_sheet(x, "SURVEY"), 0);
	assert_int_equal(saola__xlsx_nsheets(NULL), 0);
	assert_null(saola__xlsx_cell(NULL, 0, 0, 0));
	saola__xlsx_free(NULL);
	saola__xlsx_free(x);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cells),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_doctype),
		cmocka_unit_test(test_text_bound),
		cmocka_unit_test(test_xlsxwriter),
		cmocka_unit_test(test_xlsxwriter_constant_memory),
		cmocka_unit_test(test_prefixed_and_absolute),
		cmocka_unit_test(test_archives),
		cmocka_unit_test(test_not_zip),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_lying_sizes),
		cmocka_unit_test(test_part_bounds),
		cmocka_unit_test(test_sheets_bound),
		cmocka_unit_test(test_cells_bound),
		cmocka_unit_test(test_strings_bound),
		cmocka_unit_test(test_ref),
		cmocka_unit_test(test_lookups_out_of_range),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
