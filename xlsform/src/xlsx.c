/* xlsx.c: the reader's entry points (xlsx.h): the workbook's sheets and
 * their parts (xl/workbook.xml and its relationships), the order of the
 * reading, the text arena, and the lookups of a cell. The archive is
 * xlsx_zip.c's, the cells xlsx_sheet.c's. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <saola/core.h>

#include "xlsx_int.h"

#define WORKBOOK "xl/workbook.xml"
#define WORKBOOK_RELS "xl/_rels/workbook.xml.rels"
#define SHARED_STRINGS "xl/sharedStrings.xml"
/* The longest part name a relationship may give. */
#define PART_NAME_MAX 1024
/* Text blocks: most strings share one; a long one gets its own. */
#define BLOCK_SIZE ((size_t)64 << 10)

struct saola__xlsx_block {
	saola__xlsx_block *next;
	size_t used, cap;
	char data[];
};

/* ------------------------------------------------------------------ */
/* Shared helpers (xlsx_int.h). */

static int vfail(saola__xlsx_reader *r, int rc, const char *fmt, va_list ap)
{
	if (r->rc != SAOLA_OK)
		return r->rc;
	r->rc = rc;
	if (r->err && r->errlen)
		vsnprintf(r->err, r->errlen, fmt, ap);
	return rc;
}

int saola__xlsx_fail(saola__xlsx_reader *r, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = vfail(r, rc, fmt, ap);
	va_end(ap);
	return rc;
}

void saola__xlsx_stop(saola__xlsx_ctx *ctx, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(ctx->r, rc, fmt, ap);
	va_end(ap);
	XML_StopParser(ctx->p, XML_FALSE);
}

const char *saola__xlsx_local(const char *name)
{
	const char *sep = strrchr(name, SAOLA__XLSX_NS_SEP);
	return sep ? sep + 1 : name;
}

int saola__xlsx_has_ns(const char *name)
{
	return strchr(name, SAOLA__XLSX_NS_SEP) != NULL;
}

const char *saola__xlsx_attr(const char **atts, const char *local, int ns)
{
	size_t i;

	for (i = 0; atts[i]; i += 2)
		if (saola__xlsx_has_ns(atts[i]) == ns && strcmp(saola__xlsx_local(atts[i]), local) == 0)
			return atts[i + 1];
	return NULL;
}

int saola__xlsx_casecmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = (unsigned char)*a, cb = (unsigned char)*b;
		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb || !ca)
			return ca - cb;
	}
}

const char *saola__xlsx_keep(saola__xlsx *x, const char *s, size_t n)
{
	saola__xlsx_block *b = x->blocks;
	char *p;

	if (!b || b->cap - b->used < n + 1) {
		size_t cap = n + 1 > BLOCK_SIZE / 4 ? n + 1 : BLOCK_SIZE;
		saola__xlsx_block *nb = malloc(sizeof *nb + cap);
		if (!nb)
			return NULL;
		nb->used = 0;
		nb->cap = cap;
		/* A long string's own block goes behind the current one, whose
		 * room is still there for the short strings after it. */
		if (b && cap != BLOCK_SIZE) {
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			x->blocks = nb;
		}
		b = nb;
	}
	p = b->data + b->used;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	b->used += n + 1;
	return p;
}

/* ------------------------------------------------------------------ */
/* xl/workbook.xml: <workbook><sheets><sheet name="survey" sheetId="1"
 * r:id="rId1"/>...</sheets></workbook>, the sheets in their order. */

typedef struct workbook_state {
	saola__xlsx_ctx c; /* first: the parser's user data */
	saola__xlsx *x;
	char *rids[SAOLA__XLSX_SHEETS_MAX]; /* each sheet's relationship */
	int in_sheets;
} workbook_state;

static void add_sheet(workbook_state *st, const XML_Char **atts)
{
	const char *name = saola__xlsx_attr(atts, "name", 0);
	const char *rid = saola__xlsx_attr(atts, "id", 1);
	saola__xlsx *x = st->x;

	if (x->nsheets >= SAOLA__XLSX_SHEETS_MAX) {
		saola__xlsx_stop(&st->c, SAOLA_LIMIT, "%s: more than %d sheets", st->c.part,
		                 SAOLA__XLSX_SHEETS_MAX);
		return;
	}
	if (!name) {
		saola__xlsx_stop(&st->c, SAOLA_INVALID, "%s: line %lu: sheet %d has no name", st->c.part,
		                 (unsigned long)XML_GetCurrentLineNumber(st->c.p), x->nsheets + 1);
		return;
	}
	if (!rid) {
		saola__xlsx_stop(&st->c, SAOLA_INVALID, "%s: line %lu: sheet '%s' has no r:id", st->c.part,
		                 (unsigned long)XML_GetCurrentLineNumber(st->c.p), name);
		return;
	}
	if (!(x->sheets[x->nsheets].name = strdup(name)) || !(st->rids[x->nsheets] = strdup(rid))) {
		/* The name is freed with the workbook. */
		x->nsheets++;
		saola__xlsx_stop(&st->c, SAOLA_NOMEM, "%s: out of memory", st->c.part);
		return;
	}
	x->nsheets++;
}

static void XMLCALL workbook_start(void *user, const XML_Char *name, const XML_Char **atts)
{
	workbook_state *st = user;
	const char *local = saola__xlsx_local(name);

	if (st->c.r->rc != SAOLA_OK)
		return;
	if (strcmp(local, "sheets") == 0)
		st->in_sheets = 1;
	else if (st->in_sheets && strcmp(local, "sheet") == 0)
		add_sheet(st, atts);
}

static void XMLCALL workbook_end(void *user, const XML_Char *name)
{
	workbook_state *st = user;

	if (strcmp(saola__xlsx_local(name), "sheets") == 0)
		st->in_sheets = 0;
}

static int read_workbook(saola__xlsx_reader *r, workbook_state *st)
{
	XML_Parser p;

	if (!(p = saola__xlsx_parser(r, &st->c, WORKBOOK)))
		return r->rc;
	XML_SetElementHandler(p, workbook_start, workbook_end);
	saola__xlsx_zip_parse(r, WORKBOOK, p);
	XML_ParserFree(p);
	return r->rc;
}

/* ------------------------------------------------------------------ */
/* xl/_rels/workbook.xml.rels: <Relationships><Relationship Id="rId1"
 * Type=".../worksheet" Target="worksheets/sheet1.xml"/>...: where each
 * sheet's part is, and the shared strings'. */

typedef struct rel {
	char *id, *target;
	int external;
} rel;

typedef struct rels_state {
	saola__xlsx_ctx c; /* first: the parser's user data */
	rel *rels;
	size_t n, cap;
	char *strings; /* the shared strings' target, or NULL */
} rels_state;

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	return n >= t && strcmp(s + n - t, tail) == 0;
}

static int push_rel(rels_state *st, const char *id, const char *target, const char *mode)
{
	rel *e;

	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 16;
		if (!(e = realloc(st->rels, cap * sizeof *e)))
			return -1;
		st->rels = e;
		st->cap = cap;
	}
	e = &st->rels[st->n];
	e->external = mode && strcmp(mode, "External") == 0;
	e->id = strdup(id);
	e->target = strdup(target);
	st->n++;
	return e->id && e->target ? 0 : -1;
}

static void XMLCALL rels_start(void *user, const XML_Char *name, const XML_Char **atts)
{
	rels_state *st = user;
	const char *id, *target, *type;

	if (st->c.r->rc != SAOLA_OK || strcmp(saola__xlsx_local(name), "Relationship") != 0)
		return;
	id = saola__xlsx_attr(atts, "Id", 0);
	target = saola__xlsx_attr(atts, "Target", 0);
	type = saola__xlsx_attr(atts, "Type", 0);
	/* One without an Id or a Target names nothing a sheet can use. */
	if (!id || !target)
		return;
	if (push_rel(st, id, target, saola__xlsx_attr(atts, "TargetMode", 0)) != 0) {
		saola__xlsx_stop(&st->c, SAOLA_NOMEM, "%s: out of memory", st->c.part);
		return;
	}
	if (type && ends_with(type, "/sharedStrings") && !st->strings &&
	    !(st->strings = strdup(target)))
		saola__xlsx_stop(&st->c, SAOLA_NOMEM, "%s: out of memory", st->c.part);
}

static int cmp_rel(const void *a, const void *b)
{
	return strcmp(((const rel *)a)->id, ((const rel *)b)->id);
}

static int read_rels(saola__xlsx_reader *r, rels_state *st)
{
	XML_Parser p;

	if (!(p = saola__xlsx_parser(r, &st->c, WORKBOOK_RELS)))
		return r->rc;
	XML_SetStartElementHandler(p, rels_start);
	saola__xlsx_zip_parse(r, WORKBOOK_RELS, p);
	XML_ParserFree(p);
	/* Found by a search for each sheet: a file may hold many. */
	if (r->rc == SAOLA_OK && st->n)
		qsort(st->rels, st->n, sizeof *st->rels, cmp_rel);
	return r->rc;
}

static void free_rels(rels_state *st)
{
	size_t i;

	for (i = 0; i < st->n; i++) {
		free(st->rels[i].id);
		free(st->rels[i].target);
	}
	free(st->rels);
	free(st->strings);
}

/* The part a relationship of the workbook names, in out: a target is
 * relative to xl/ ("worksheets/sheet1.xml") or, starting with '/', to the
 * archive's root ("/xl/worksheets/sheet1.xml"); "." and ".." are
 * resolved. -1 when it leaves the archive or is too long. */
static int resolve_target(const char *target, char *out, size_t len)
{
	char path[PART_NAME_MAX];
	size_t n = 0;
	char *seg, *save = NULL;
	int w;

	w = target[0] == '/' ? snprintf(path, sizeof path, "%s", target + 1)
	                     : snprintf(path, sizeof path, "xl/%s", target);
	if (w < 0 || (size_t)w >= sizeof path || len < sizeof path)
		return -1;
	out[0] = '\0';
	for (seg = strtok_r(path, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
		if (strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0) {
			char *slash;
			if (!n)
				return -1;
			slash = strrchr(out, '/');
			n = slash ? (size_t)(slash - out) : 0;
			out[n] = '\0';
			continue;
		}
		/* No overflow: out holds as much as path. */
		n += (size_t)sprintf(out + n, "%s%s", n ? "/" : "", seg);
	}
	return n ? 0 : -1;
}

/* Reads the sheets' cells, each from the part its relationship names. */
static int read_sheets(saola__xlsx_reader *r, saola__xlsx *x, workbook_state *wb,
                       const rels_state *rels)
{
	char part[PART_NAME_MAX];
	int i;

	for (i = 0; i < x->nsheets && r->rc == SAOLA_OK; i++) {
		rel key = {wb->rids[i], NULL, 0};
		const rel *e = rels->n ? bsearch(&key, rels->rels, rels->n, sizeof key, cmp_rel) : NULL;
		const char *name = x->sheets[i].name;
		if (!e)
			return saola__xlsx_fail(r, SAOLA_INVALID, "%s: sheet '%s': no relationship %s in %s",
			                        WORKBOOK, name, wb->rids[i], WORKBOOK_RELS);
		if (e->external || resolve_target(e->target, part, sizeof part) != 0)
			return saola__xlsx_fail(r, SAOLA_INVALID, "%s: sheet '%s': bad target \"%.200s\"",
			                        WORKBOOK_RELS, name, e->target);
		if (!saola__xlsx_zip_has(r, part))
			return saola__xlsx_fail(r, SAOLA_INVALID, "sheet '%s': %s: missing", name, part);
		saola__xlsx_read_sheet(r, x, i, part);
	}
	return r->rc;
}

/* The shared strings: the part the relationships name, else
 * xl/sharedStrings.xml when there is one; a workbook without (numbers
 * only, or inline strings) has none. */
static int read_shared_strings(saola__xlsx_reader *r, saola__xlsx *x, const rels_state *rels)
{
	char part[PART_NAME_MAX];

	if (rels->strings) {
		if (resolve_target(rels->strings, part, sizeof part) != 0)
			return saola__xlsx_fail(r, SAOLA_INVALID, "%s: shared strings: bad target \"%.200s\"",
			                        WORKBOOK_RELS, rels->strings);
	} else {
		snprintf(part, sizeof part, "%s", SHARED_STRINGS);
	}
	if (!saola__xlsx_zip_has(r, part))
		return SAOLA_OK;
	return saola__xlsx_read_strings(r, x, part);
}

/* ------------------------------------------------------------------ */
/* Entry points. */

int saola__xlsx_read(const void *data, size_t len, saola__xlsx **out, char *err, size_t errlen)
{
	saola__xlsx_reader r;
	workbook_state wb;
	rels_state rels;
	saola__xlsx *x;
	int i;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	memset(&r, 0, sizeof r);
	memset(&wb, 0, sizeof wb);
	memset(&rels, 0, sizeof rels);
	r.err = err;
	r.errlen = errlen;
	if (!(x = calloc(1, sizeof *x)) ||
	    !(x->sheets = calloc(SAOLA__XLSX_SHEETS_MAX, sizeof *x->sheets))) {
		saola__xlsx_fail(&r, SAOLA_NOMEM, "out of memory");
		goto out;
	}
	wb.x = x;
	if (saola__xlsx_zip_open(&r, data, len) != SAOLA_OK || read_workbook(&r, &wb) != SAOLA_OK ||
	    read_rels(&r, &rels) != SAOLA_OK || read_shared_strings(&r, x, &rels) != SAOLA_OK)
		goto out;
	read_sheets(&r, x, &wb, &rels);
out:
	saola__xlsx_zip_close(&r);
	for (i = 0; i < SAOLA__XLSX_SHEETS_MAX; i++)
		free(wb.rids[i]);
	free_rels(&rels);
	if (r.rc != SAOLA_OK) {
		saola__xlsx_free(x);
		return r.rc;
	}
	*out = x;
	return SAOLA_OK;
}

void saola__xlsx_free(saola__xlsx *x)
{
	saola__xlsx_block *b, *next;
	int i;

	if (!x)
		return;
	for (i = 0; x->sheets && i < x->nsheets; i++) {
		free(x->sheets[i].name);
		free(x->sheets[i].cells);
	}
	free(x->sheets);
	free(x->strings);
	for (b = x->blocks; b; b = next) {
		next = b->next;
		free(b);
	}
	free(x);
}

static const saola__xlsx_sheet *sheet_at(const saola__xlsx *x, int sheet)
{
	return x && sheet >= 0 && sheet < x->nsheets ? &x->sheets[sheet] : NULL;
}

int saola__xlsx_nsheets(const saola__xlsx *x)
{
	return x ? x->nsheets : 0;
}

const char *saola__xlsx_sheet_name(const saola__xlsx *x, int sheet)
{
	const saola__xlsx_sheet *sh = sheet_at(x, sheet);
	return sh ? sh->name : NULL;
}

int saola__xlsx_find_sheet(const saola__xlsx *x, const char *name)
{
	int i;

	for (i = 0; x && name && i < x->nsheets; i++)
		if (saola__xlsx_casecmp(x->sheets[i].name, name) == 0)
			return i;
	return -1;
}

int saola__xlsx_nrows(const saola__xlsx *x, int sheet)
{
	const saola__xlsx_sheet *sh = sheet_at(x, sheet);
	return sh ? sh->nrows : 0;
}

int saola__xlsx_ncols(const saola__xlsx *x, int sheet)
{
	const saola__xlsx_sheet *sh = sheet_at(x, sheet);
	return sh ? sh->ncols : 0;
}

const char *saola__xlsx_cell(const saola__xlsx *x, int sheet, int row, int col)
{
	const saola__xlsx_sheet *sh = sheet_at(x, sheet);
	uint64_t place;
	size_t lo = 0, hi;

	if (!sh || row < 0 || col < 0 || row >= SAOLA__XLSX_ROWS || col >= SAOLA__XLSX_COLS)
		return NULL;
	place = (uint64_t)row << SAOLA__XLSX_COL_BITS | (uint64_t)col;
	hi = sh->ncells;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t at = sh->cells[mid].key >> SAOLA__XLSX_SEQ_BITS;
		if (at == place)
			return sh->cells[mid].text;
		if (at < place)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int saola__xlsx_next(const saola__xlsx *x, int sheet, int *row, int *col)
{
	const saola__xlsx_sheet *sh = sheet_at(x, sheet);
	uint64_t place;
	size_t lo = 0, hi, mid;

	if (!sh || *row >= SAOLA__XLSX_ROWS)
		return 0;
	if (*row < 0)
		*row = 0, *col = 0;
	if (*col < 0)
		*col = 0;
	/* A column past the last moves on to the next row. */
	place = *col >= SAOLA__XLSX_COLS ? (uint64_t)(*row + 1) << SAOLA__XLSX_COL_BITS :
	        (uint64_t)*row << SAOLA__XLSX_COL_BITS | (uint64_t)*col;
	hi = sh->ncells;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sh->cells[mid].key >> SAOLA__XLSX_SEQ_BITS < place)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == sh->ncells)
		return 0;
	place = sh->cells[lo].key >> SAOLA__XLSX_SEQ_BITS;
	*row = (int)(place >> SAOLA__XLSX_COL_BITS);
	*col = (int)(place & (SAOLA__XLSX_COLS - 1));
	return 1;
}

const char *saola__xlsx_ref(int row, int col, char *buf)
{
	char letters[4];
	int n = 0, i;

	/* Three letters at most (ZZZ, past Excel's XFD) and a row of ten
	 * digits fit in 16 bytes. */
	if (row < 0 || col < 0 || col >= 26 + 26 * 26 + 26 * 26 * 26) {
		snprintf(buf, 16, "?");
		return buf;
	}
	for (col++; col > 0; col = (col - 1) / 26)
		letters[n++] = (char)('A' + (col - 1) % 26);
	for (i = 0; i < n; i++)
		buf[i] = letters[n - 1 - i];
	snprintf(buf + n, 16 - (size_t)n, "%ld", (long)row + 1);
	return buf;
}
