/* xlsx_sheet.c: the shared strings (xl/sharedStrings.xml) and a sheet's
 * cells (<sheetData>), read with expat's callbacks as the part is
 * inflated, each value turned into the text the reader shows. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <saola/core.h>

#include "xlsx_int.h"

/* The text of one string or cell as it comes in pieces, at most
 * SAOLA__XLSX_TEXT_MAX bytes. */
typedef struct textbuf {
	char *p;
	size_t n, cap;
} textbuf;

enum { TEXT_OK, TEXT_LONG, TEXT_NOMEM };

static int text_add(textbuf *b, const char *s, size_t len)
{
	if (len > SAOLA__XLSX_TEXT_MAX - b->n)
		return TEXT_LONG;
	if (b->n + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *p;
		while (cap < b->n + len + 1)
			cap *= 2;
		if (!(p = realloc(b->p, cap)))
			return TEXT_NOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, len);
	b->n += len;
	b->p[b->n] = '\0';
	return TEXT_OK;
}

static void text_reset(textbuf *b)
{
	b->n = 0;
	if (b->p)
		b->p[0] = '\0';
}

static int is_local(const XML_Char *name, const char *local)
{
	return strcmp(saola__xlsx_local(name), local) == 0;
}

/* ------------------------------------------------------------------ */
/* Shared strings: <sst><si><t>text</t></si><si><r><t>rich</t></r>
 * <r><t> text</t></r><rPh><t>phonetic</t></rPh></si>...: a string's
 * runs are joined; phonetic runs (<rPh>) are a reading aid, not text. */

/* Depths of the elements open (0: none): only a <t> right in a <si>, or
 * in one of its runs (<r>), is text, so that a <t> elsewhere (in <rPh>,
 * in an extension) is not. */
typedef struct sst_state {
	saola__xlsx_ctx c; /* first: the parser's user data */
	saola__xlsx *x;
	int depth, si_depth, run_depth, text_depth;
	textbuf text;
} sst_state;

static void XMLCALL sst_start(void *user, const XML_Char *name, const XML_Char **atts)
{
	sst_state *st = user;
	int d;

	(void)atts;
	if (st->c.r->rc != SAOLA_OK)
		return;
	d = ++st->depth;
	if (!st->si_depth) {
		if (!is_local(name, "si"))
			return;
		if (st->x->nstrings >= SAOLA__XLSX_CELLS_MAX) {
			saola__xlsx_stop(&st->c, SAOLA_LIMIT, "%s: more than %d strings", st->c.part,
			                 SAOLA__XLSX_CELLS_MAX);
			return;
		}
		st->si_depth = d;
		text_reset(&st->text);
	} else if (d == st->si_depth + 1) {
		if (is_local(name, "t"))
			st->text_depth = d;
		else if (is_local(name, "r"))
			st->run_depth = d;
	} else if (st->run_depth && d == st->run_depth + 1 && is_local(name, "t")) {
		st->text_depth = d;
	}
}

static void sst_commit(sst_state *st)
{
	saola__xlsx *x = st->x;
	const char *s;

	if (x->nstrings == x->strings_cap) {
		size_t cap = x->strings_cap ? x->strings_cap * 2 : 256;
		const char **p = realloc(x->strings, cap * sizeof *p);
		if (!p) {
			saola__xlsx_stop(&st->c, SAOLA_NOMEM, "%s: out of memory", st->c.part);
			return;
		}
		x->strings = p;
		x->strings_cap = cap;
	}
	if (!(s = saola__xlsx_keep(x, st->text.p ? st->text.p : "", st->text.n))) {
		saola__xlsx_stop(&st->c, SAOLA_NOMEM, "%s: out of memory", st->c.part);
		return;
	}
	x->strings[x->nstrings++] = s;
}

/* An end closes the element opened at the same depth (expat checks the
 * nesting). */
static void XMLCALL sst_end(void *user, const XML_Char *name)
{
	sst_state *st = user;
	int d;

	(void)name;
	if (st->c.r->rc != SAOLA_OK)
		return;
	d = st->depth--;
	if (d == st->text_depth)
		st->text_depth = 0;
	else if (d == st->run_depth)
		st->run_depth = 0;
	else if (d == st->si_depth) {
		st->si_depth = 0;
		sst_commit(st);
	}
}

static void XMLCALL sst_text(void *user, const XML_Char *s, int len)
{
	sst_state *st = user;

	if (st->c.r->rc != SAOLA_OK || !st->text_depth)
		return;
	switch (text_add(&st->text, s, (size_t)len)) {
	case TEXT_LONG:
		saola__xlsx_stop(&st->c, SAOLA_LIMIT, "%s: more than %d bytes in string %zu",
		                 st->c.part, SAOLA__XLSX_TEXT_MAX, st->x->nstrings);
		break;
	case TEXT_NOMEM:
		saola__xlsx_stop(&st->c, SAOLA_NOMEM, "%s: out of memory", st->c.part);
		break;
	}
}

int saola__xlsx_read_strings(saola__xlsx_reader *r, saola__xlsx *x, const char *part)
{
	sst_state st;
	XML_Parser p;

	memset(&st, 0, sizeof st);
	st.x = x;
	if (!(p = saola__xlsx_parser(r, &st.c, part)))
		return r->rc;
	XML_SetElementHandler(p, sst_start, sst_end);
	XML_SetCharacterDataHandler(p, sst_text);
	saola__xlsx_zip_parse(r, part, p);
	XML_ParserFree(p);
	free(st.text.p);
	return r->rc;
}

/* ------------------------------------------------------------------ */
/* A sheet: <sheetData><row r="1"><c r="A1" t="s"><v>0</v></c>
 * <c r="B1" t="inlineStr"><is><t>text</t></is></c></row>...; formulas
 * (<f>) are skipped, their cached value (<v>) kept. */

enum cell_type { T_NUMBER, T_SHARED, T_INLINE, T_STR, T_BOOL, T_ERROR, T_DATE };

/* Depths of the elements open (0: none), as for the shared strings: a
 * <row> right in <sheetData>, a <c> right in a <row>, its <v> or <is>,
 * the <t>s of the <is> or of its runs; anything else (<f>, <rPh>,
 * extensions) is skipped. */
typedef struct sheet_state {
	saola__xlsx_ctx c; /* first: the parser's user data */
	saola__xlsx *x;
	saola__xlsx_sheet *sh;
	int depth, data_depth, row_depth, cell_depth, is_depth, run_depth, text_depth;
	int has_value, sorted;
	long row;           /* this <row>'s, -1 before the first */
	long cell_row;      /* the last cell's place; column -1 for none in the row */
	long cell_col;
	enum cell_type type;
	textbuf text;
} sheet_state;

/* The cell being read, for messages: "B3". */
static const char *cell_name(const sheet_state *st, char *buf)
{
	return saola__xlsx_ref((int)st->cell_row, (int)st->cell_col, buf);
}

/* A <row>'s or cell's r attribute as written, cut and made printable,
 * for a message about it. */
static const char *shown(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

/* Digits to a number, saturating past max so that a long run of digits
 * reads as "too big", never overflows. -1 when s is not all digits. */
static long parse_digits(const char *s, long max)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > max)
			v = max + 1;
	}
	return v;
}

enum { REF_OK, REF_BAD, REF_ROW, REF_COL };

/* "H12" to row 11, column 7. */
static int parse_ref(const char *s, long *row, long *col)
{
	long c = 0, r;

	for (; (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'); s++) {
		c = c * 26 + ((*s | 0x20) - 'a' + 1);
		if (c > SAOLA__XLSX_COLS)
			c = SAOLA__XLSX_COLS + 1;
	}
	if (c == 0 || (r = parse_digits(s, SAOLA__XLSX_ROWS)) <= 0)
		return REF_BAD;
	if (r > SAOLA__XLSX_ROWS)
		return REF_ROW;
	if (c > SAOLA__XLSX_COLS)
		return REF_COL;
	*row = r - 1;
	*col = c - 1;
	return REF_OK;
}

static void row_start(sheet_state *st, const XML_Char **atts)
{
	const char *r = saola__xlsx_attr(atts, "r", 0);
	const char *sheet = st->sh->name;
	char buf[32];
	long n;

	st->cell_col = -1;
	if (!r) {
		/* A row without r follows the one before. */
		n = st->row + 2;
	} else if ((n = parse_digits(r, SAOLA__XLSX_ROWS)) <= 0) {
		saola__xlsx_stop(&st->c, SAOLA_INVALID, "sheet '%s': row \"%s\": not a row number", sheet,
		                 shown(r, buf, sizeof buf));
		return;
	}
	if (n > SAOLA__XLSX_ROWS) {
		if (!r)
			snprintf(buf, sizeof buf, "%ld", n);
		saola__xlsx_stop(&st->c, SAOLA_LIMIT, "sheet '%s': row %s: row past %d", sheet,
		                 r ? shown(r, buf, sizeof buf) : buf, SAOLA__XLSX_ROWS);
		return;
	}
	st->row = n - 1;
	st->cell_row = st->row;
}

static int cell_type(const char *t, enum cell_type *type)
{
	static const struct {
		const char *name;
		enum cell_type type;
	} types[] = {
		{"n", T_NUMBER}, {"s", T_SHARED}, {"inlineStr", T_INLINE}, {"str", T_STR},
		{"b", T_BOOL},   {"e", T_ERROR},  {"d", T_DATE},
	};
	size_t i;

	if (!t) {
		*type = T_NUMBER;
		return 0;
	}
	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(t, types[i].name) == 0) {
			*type = types[i].type;
			return 0;
		}
	return -1;
}

/* The cell's place: its r, or the one after the cell before it. */
static int cell_place(sheet_state *st, const char *r)
{
	const char *sheet = st->sh->name;
	char buf[32];

	if (!r) {
		if (st->cell_col + 1 >= SAOLA__XLSX_COLS) {
			saola__xlsx_stop(&st->c, SAOLA_LIMIT, "sheet '%s': row %ld: cell after XFD: column past XFD",
			                 sheet, st->cell_row + 1);
			return -1;
		}
		st->cell_col++;
		return 0;
	}
	switch (parse_ref(r, &st->cell_row, &st->cell_col)) {
	case REF_OK:
		return 0;
	case REF_ROW:
		saola__xlsx_stop(&st->c, SAOLA_LIMIT, "sheet '%s': cell %s: row past %d", sheet,
		                 shown(r, buf, sizeof buf), SAOLA__XLSX_ROWS);
		return -1;
	case REF_COL:
		saola__xlsx_stop(&st->c, SAOLA_LIMIT, "sheet '%s': cell %s: column past XFD", sheet,
		                 shown(r, buf, sizeof buf));
		return -1;
	default:
		saola__xlsx_stop(&st->c, SAOLA_INVALID, "sheet '%s': \"%s\": not a cell reference", sheet,
		                 shown(r, buf, sizeof buf));
		return -1;
	}
}

static void cell_start(sheet_state *st, const XML_Char **atts)
{
	const char *t = saola__xlsx_attr(atts, "t", 0);
	char buf[16], tbuf[32];

	if (cell_place(st, saola__xlsx_attr(atts, "r", 0)) != 0)
		return;
	if (cell_type(t, &st->type) != 0) {
		saola__xlsx_stop(&st->c, SAOLA_INVALID, "sheet '%s': cell %s: unknown type \"%s\"",
		                 st->sh->name, cell_name(st, buf), shown(t, tbuf, sizeof tbuf));
		return;
	}
	st->has_value = 0;
	text_reset(&st->text);
}

static void XMLCALL sheet_start(void *user, const XML_Char *name, const XML_Char **atts)
{
	sheet_state *st = user;
	const char *local = saola__xlsx_local(name);
	int d;

	if (st->c.r->rc != SAOLA_OK)
		return;
	d = ++st->depth;
	if (!st->data_depth) {
		if (strcmp(local, "sheetData") == 0)
			st->data_depth = d;
	} else if (!st->row_depth) {
		if (d == st->data_depth + 1 && strcmp(local, "row") == 0) {
			st->row_depth = d;
			row_start(st, atts);
		}
	} else if (!st->cell_depth) {
		if (d == st->row_depth + 1 && strcmp(local, "c") == 0) {
			st->cell_depth = d;
			cell_start(st, atts);
		}
	} else if (d == st->cell_depth + 1) {
		if (strcmp(local, "v") == 0 || strcmp(local, "is") == 0) {
			/* The last of them is the value. */
			st->has_value = 1;
			text_reset(&st->text);
			if (*local == 'v')
				st->text_depth = d;
			else
				st->is_depth = d;
		}
	} else if (st->is_depth && d == st->is_depth + 1) {
		if (strcmp(local, "t") == 0)
			st->text_depth = d;
		else if (strcmp(local, "r") == 0)
			st->run_depth = d;
	} else if (st->run_depth && d == st->run_depth + 1 && strcmp(local, "t") == 0) {
		st->text_depth = d;
	}
}

/* A number as Excel stored it (a double's text) as the reader shows it:
 * an integral value within ±2^53 (where every integer is exact) as an
 * integer ("1.0", "1E0" -> "1"), else the shortest %g text that reads
 * back as the same double ("0.1", not "0.10000000000000001"). -1 when s
 * is not a finite number.
 *
 * The search starts at 15 digits (DBL_DIG): when a shorter text reads
 * back, the 15-digit one is that text (%g drops the zeros after it), so
 * at most three tries per cell, not seventeen: a million numeric cells
 * stay quick. Not so for a subnormal, with fewer bits than digits
 * ("5e-324"): those start at 1. */
static int number_text(const char *s, char *out, size_t len)
{
	double d, back;
	char *end;
	int prec;

	if (!*s || strspn(s, "0123456789+-.eE") != strlen(s))
		return -1;
	d = strtod(s, &end);
	if (*end || !isfinite(d))
		return -1;
	if (d == 0) {
		snprintf(out, len, "0");
		return 0;
	}
	if (d >= -9007199254740992.0 && d <= 9007199254740992.0 && d == (double)(long long)d) {
		snprintf(out, len, "%lld", (long long)d);
		return 0;
	}
	for (prec = d > -DBL_MIN && d < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
		snprintf(out, len, "%.*g", prec, d);
		back = strtod(out, NULL);
		if (back == d)
			break;
	}
	return 0;
}

/* The text without the blanks around it, in place. */
static char *trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static int add_cell(sheet_state *st, const char *text)
{
	saola__xlsx_sheet *sh = st->sh;
	saola__xlsx_cellrec *c;
	uint64_t key;

	if (st->x->ncells >= SAOLA__XLSX_CELLS_MAX) {
		saola__xlsx_stop(&st->c, SAOLA_LIMIT, "sheet '%s': more than %d cells in the workbook",
		                 sh->name, SAOLA__XLSX_CELLS_MAX);
		return -1;
	}
	if (sh->ncells == sh->cap) {
		size_t cap = sh->cap ? sh->cap * 2 : 64;
		if (!(c = realloc(sh->cells, cap * sizeof *c))) {
			saola__xlsx_stop(&st->c, SAOLA_NOMEM, "sheet '%s': out of memory", sh->name);
			return -1;
		}
		sh->cells = c;
		sh->cap = cap;
	}
	key = ((uint64_t)st->cell_row << (SAOLA__XLSX_COL_BITS + SAOLA__XLSX_SEQ_BITS)) |
	      ((uint64_t)st->cell_col << SAOLA__XLSX_SEQ_BITS) | (uint64_t)sh->ncells;
	if (sh->ncells && key < sh->cells[sh->ncells - 1].key)
		st->sorted = 0;
	sh->cells[sh->ncells].key = key;
	sh->cells[sh->ncells].text = text;
	sh->ncells++;
	st->x->ncells++;
	return 0;
}

/* A copy of the text in the workbook's arena, or NULL (recorded). */
static const char *keep(sheet_state *st, const char *s, size_t n)
{
	const char *k = saola__xlsx_keep(st->x, s, n);

	if (!k)
		saola__xlsx_stop(&st->c, SAOLA_NOMEM, "sheet '%s': out of memory", st->sh->name);
	return k;
}

/* The text of the cell just closed, by its type, in *text: NULL for a
 * number without digits (no value). 0, or -1 on an error (recorded). */
static int cell_text(sheet_state *st, const char **text)
{
	char *v = st->text.p ? st->text.p : "";
	char buf[16], num[32];
	long i;

	*text = NULL;
	switch (st->type) {
	case T_NUMBER:
		v = trim(v);
		if (!*v)
			return 0;
		if (number_text(v, num, sizeof num) != 0) {
			saola__xlsx_stop(&st->c, SAOLA_INVALID, "sheet '%s': cell %s: not a number",
			                 st->sh->name, cell_name(st, buf));
			return -1;
		}
		*text = keep(st, num, strlen(num));
		break;
	case T_SHARED:
		/* Past the bound of strings is out of range too. */
		i = parse_digits(trim(v), SAOLA__XLSX_CELLS_MAX);
		if (i < 0 || (size_t)i >= st->x->nstrings) {
			saola__xlsx_stop(&st->c, SAOLA_INVALID,
			                 "sheet '%s': cell %s: shared string %s out of range (%zu strings)",
			                 st->sh->name, cell_name(st, buf), shown(v, num, sizeof num),
			                 st->x->nstrings);
			return -1;
		}
		*text = st->x->strings[i];
		break;
	case T_BOOL:
		v = trim(v);
		if (strcmp(v, "1") != 0 && strcmp(v, "0") != 0) {
			saola__xlsx_stop(&st->c, SAOLA_INVALID, "sheet '%s': cell %s: not a boolean",
			                 st->sh->name, cell_name(st, buf));
			return -1;
		}
		*text = *v == '1' ? "TRUE" : "FALSE";
		break;
	default:
		/* Strings, errors and dates as written, blanks and all. */
		*text = keep(st, v, st->text.n);
		break;
	}
	return *text || st->type == T_NUMBER ? 0 : -1;
}

static void cell_end(sheet_state *st)
{
	const char *text;

	if (st->has_value && cell_text(st, &text) == 0 && text)
		add_cell(st, text);
}

/* An end closes the element opened at the same depth (expat checks the
 * nesting). */
static void XMLCALL sheet_end(void *user, const XML_Char *name)
{
	sheet_state *st = user;
	int d;

	(void)name;
	if (st->c.r->rc != SAOLA_OK)
		return;
	d = st->depth--;
	if (d == st->text_depth) {
		st->text_depth = 0;
	} else if (d == st->run_depth) {
		st->run_depth = 0;
	} else if (d == st->is_depth) {
		st->is_depth = 0;
	} else if (d == st->cell_depth) {
		st->cell_depth = 0;
		cell_end(st);
	} else if (d == st->row_depth) {
		st->row_depth = 0;
	} else if (d == st->data_depth) {
		st->data_depth = 0;
	}
}

static void XMLCALL sheet_text(void *user, const XML_Char *s, int len)
{
	sheet_state *st = user;
	char buf[16];

	if (st->c.r->rc != SAOLA_OK || !st->text_depth)
		return;
	switch (text_add(&st->text, s, (size_t)len)) {
	case TEXT_LONG:
		saola__xlsx_stop(&st->c, SAOLA_LIMIT, "sheet '%s': cell %s: more than %d bytes",
		                 st->sh->name, cell_name(st, buf), SAOLA__XLSX_TEXT_MAX);
		break;
	case TEXT_NOMEM:
		saola__xlsx_stop(&st->c, SAOLA_NOMEM, "sheet '%s': out of memory", st->sh->name);
		break;
	}
}

static int cmp_cell(const void *a, const void *b)
{
	uint64_t ka = ((const saola__xlsx_cellrec *)a)->key;
	uint64_t kb = ((const saola__xlsx_cellrec *)b)->key;
	return (ka > kb) - (ka < kb);
}

/* Sorts the cells by place and keeps, of a place written twice, the last
 * (a damaged or odd file: Excel never writes one twice); then the sheet's
 * extent. */
static void finish_sheet(saola__xlsx_sheet *sh, int sorted)
{
	size_t i, n = 0;
	uint64_t place;

	if (!sorted)
		qsort(sh->cells, sh->ncells, sizeof *sh->cells, cmp_cell);
	for (i = 0; i < sh->ncells; i++) {
		place = sh->cells[i].key >> SAOLA__XLSX_SEQ_BITS;
		if (n && sh->cells[n - 1].key >> SAOLA__XLSX_SEQ_BITS == place)
			n--;
		sh->cells[n++] = sh->cells[i];
	}
	sh->ncells = n;
	sh->nrows = sh->ncols = 0;
	for (i = 0; i < n; i++) {
		int row = (int)(sh->cells[i].key >> (SAOLA__XLSX_COL_BITS + SAOLA__XLSX_SEQ_BITS));
		int col = (int)(sh->cells[i].key >> SAOLA__XLSX_SEQ_BITS & (SAOLA__XLSX_COLS - 1));
		if (row + 1 > sh->nrows)
			sh->nrows = row + 1;
		if (col + 1 > sh->ncols)
			sh->ncols = col + 1;
	}
}

int saola__xlsx_read_sheet(saola__xlsx_reader *r, saola__xlsx *x, int sheet, const char *part)
{
	sheet_state st;
	XML_Parser p;

	memset(&st, 0, sizeof st);
	st.x = x;
	st.sh = &x->sheets[sheet];
	st.row = -1;
	st.cell_row = -1;
	st.cell_col = -1;
	st.sorted = 1;
	if (!(p = saola__xlsx_parser(r, &st.c, part)))
		return r->rc;
	XML_SetElementHandler(p, sheet_start, sheet_end);
	XML_SetCharacterDataHandler(p, sheet_text);
	saola__xlsx_zip_parse(r, part, p);
	XML_ParserFree(p);
	free(st.text.p);
	if (r->rc == SAOLA_OK)
		finish_sheet(st.sh, st.sorted);
	return r->rc;
}
