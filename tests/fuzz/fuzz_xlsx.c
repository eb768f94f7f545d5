/* fuzz_xlsx.c: fuzz target of the xlsx reader (xlsform/src/xlsx.h), the
 * first reader of an XLSForm upload. The input is read as a workbook (a
 * zip archive: the seeds store their parts uncompressed, so that the
 * fuzzer's changes reach the XML). A refusal must say why; a workbook
 * that opens is walked whole: every sheet found again by its name, every
 * cell kept looked up by its place, within its sheet's extent and the
 * bound of a cell's text, the cells in order, one per place. A broken
 * promise aborts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "xlsx_int.h"

#define PLACE(key) ((key) >> SAOLA__XLSX_SEQ_BITS)

static void walk_sheet(const saola__xlsx *x, int s)
{
	const saola__xlsx_sheet *sh = &x->sheets[s];
	const char *name = saola__xlsx_sheet_name(x, s);
	int nrows = saola__xlsx_nrows(x, s), ncols = saola__xlsx_ncols(x, s);
	int found;
	size_t i;

	/* The first sheet of that name, case aside: this one or one before. */
	found = name ? saola__xlsx_find_sheet(x, name) : -1;
	if (found < 0 || found > s)
		abort();
	if (nrows < 0 || nrows > SAOLA__XLSX_ROWS || ncols < 0 || ncols > SAOLA__XLSX_COLS ||
	    (sh->ncells == 0) != (nrows == 0))
		abort();
	for (i = 0; i < sh->ncells; i++) {
		uint64_t key = sh->cells[i].key;
		int row = (int)(key >> (SAOLA__XLSX_COL_BITS + SAOLA__XLSX_SEQ_BITS));
		int col = (int)(PLACE(key) & (SAOLA__XLSX_COLS - 1));
		const char *text = saola__xlsx_cell(x, s, row, col);
		char ref[16];

		if (i && PLACE(sh->cells[i - 1].key) >= PLACE(key))
			abort();
		if (row >= nrows || col >= ncols || text != sh->cells[i].text ||
		    strlen(text) > SAOLA__XLSX_TEXT_MAX)
			abort();
		if (!*saola__xlsx_ref(row, col, ref) || strlen(ref) > 10)
			abort();
	}
	/* Places without a cell read as none. */
	if (nrows && saola__xlsx_cell(x, s, nrows, 0))
		abort();
}

SAOLA_FUZZ_TARGET(xlsx)
{
	saola__xlsx *x = NULL;
	char err[512];
	int s, rc = saola__xlsx_read(data, size, &x, err, sizeof err);

	if (rc != SAOLA_OK) {
		if (x || !err[0] || (rc != SAOLA_INVALID && rc != SAOLA_LIMIT && rc != SAOLA_NOMEM)) {
			fprintf(stderr, "fuzz_xlsx: refused with %d, no reason or a workbook: %s\n", rc, err);
			abort();
		}
		return 0;
	}
	if (saola__xlsx_nsheets(x) > SAOLA__XLSX_SHEETS_MAX || x->ncells > SAOLA__XLSX_CELLS_MAX)
		abort();
	for (s = 0; s < saola__xlsx_nsheets(x); s++)
		walk_sheet(x, s);
	saola__xlsx_free(x);
	return 0;
}
