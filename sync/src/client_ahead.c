/* client_ahead.c: the next batch of a push encoded while the request
 * before it is in flight (docs/protocol.md, "The client overlaps its
 * work"). Reading the outbox and the records, making the wire changes and
 * their columns take about as long as the server's answer to a batch.
 * Done a few changes at a time between curl's turns (client_http.c,
 * saola__http.idle), on the same thread and the same handle, they no
 * longer add to it: nothing else uses the handle while the request is in
 * flight, and the batch waits in memory until that answer is merged. */
#include <stdlib.h>
#include <string.h>

#include "client_int.h"

/* Changes encoded in one step: a few milliseconds between curl's turns. */
#define STEP 32

void saola__ahead_start(saola__ahead *a, int64_t after, int64_t upto, long want)
{
	saola__ahead_drop(a);
	if (want <= 0 || !(a->cols = saola__cols_new()))
		return;
	a->after = a->at = after, a->upto = upto, a->want = want;
}

int saola__ahead_step(saola *db, saola__ahead *a)
{
	int64_t last = 0;
	long n = 0;
	int rc;

	if (!a->cols || a->stopped)
		return 0;
	rc = saola__encode_changes(db, NULL, a->cols, a->at, a->upto, STEP, &n, NULL, &last);
	if (rc == SAOLA_OK && n > 0) {
		a->n += n;
		a->at = last;
	}
	if (rc == SAOLA_OK && n == STEP && a->at < a->upto)
		return 1;
	/* Done, or failed: the columns as text, for the request to come. */
	if (rc == SAOLA_OK && a->n == a->want)
		rc = saola__cols_write(a->cols, saola__text_put, &a->text);
	a->ready = rc == SAOLA_OK && a->n == a->want;
	a->stopped = !a->ready;
	saola__cols_free(a->cols);
	a->cols = NULL;
	if (rc != SAOLA_OK)
		saola__ok(db);   /* the batch will be encoded when due, and fail then */
	return 0;
}

void saola__ahead_drop(saola__ahead *a)
{
	saola__cols_free(a->cols);
	free(a->text.p);
	memset(a, 0, sizeof *a);
}
