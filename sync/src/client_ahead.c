/* client_ahead.c: the next batch of a push encoded while the request
 * before it is in flight (docs/protocol.md, "The client overlaps its
 * work"). Reading the outbox and the records, making the wire changes,
 * their columns and xz take about as long as the server's answer to a
 * batch; on a thread of their own, through a second handle on the
 * database, they no longer add to it. The main thread does not touch
 * that handle, and the thread does not touch the main one: the two share
 * only the file, which nothing writes while the thread reads (the main
 * thread waits for the answer, then joins the thread before it writes). */
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "client_int.h"

/* Opens a's reader on db's file, once a run; 0 when it is open. */
static int reader_open(saola__ahead *a, saola *db)
{
	const char *path = sqlite3_db_filename(db->sql, "main");

	if (a->reader)
		return 0;
	if (a->no_reader || !path || !*path ||
	    saola_open(path, SAOLA_OPEN_READONLY, &a->reader) != SAOLA_OK) {
		saola_close(a->reader);
		a->reader = NULL;
		a->no_reader = 1;
		return -1;
	}
	/* A small page cache: it reads each batch's rows once. */
	sqlite3_exec(a->reader->sql, "PRAGMA cache_size=-512", NULL, NULL, NULL);
	return 0;
}

/* The thread: the changes as columns, after '{"changes":', in xz. */
static void *encode(void *arg)
{
	saola__ahead *a = arg;
	saola__cols *cols = saola__cols_new();
	int rc = cols ? SAOLA_OK : SAOLA_NOMEM;

	a->n = 0;
	if (rc == SAOLA_OK)
		rc = saola__encode_changes(a->reader, NULL, cols, a->after, a->upto, &a->n, NULL,
		                           NULL);
	if (rc == SAOLA_OK)
		rc = saola__zbuf_init_xz(&a->zb, a->preset);
	if (rc == SAOLA_OK)
		rc = saola__zbuf_puts(&a->zb, "{\"changes\":");
	if (rc == SAOLA_OK)
		rc = saola__cols_write(cols, saola__zbuf_sink, &a->zb);
	saola__cols_free(cols);
	a->rc = rc;
	return NULL;
}

void saola__ahead_start(saola__ahead *a, saola *db, int64_t after, int64_t upto, long want,
                        uint32_t preset)
{
	saola__ahead_join(a);
	saola__ahead_drop(a);
	if (want <= 0 || reader_open(a, db) != 0)
		return;
	a->after = after, a->upto = upto, a->want = want, a->preset = preset;
	a->rc = SAOLA_ERROR;
	a->running = pthread_create(&a->thread, NULL, encode, a) == 0;
}

void saola__ahead_join(saola__ahead *a)
{
	if (!a->running)
		return;
	pthread_join(a->thread, NULL);
	a->running = 0;
	a->ready = a->rc == SAOLA_OK && a->n == a->want;
	if (!a->ready)
		saola__zbuf_free(&a->zb);
}

void saola__ahead_drop(saola__ahead *a)
{
	if (a->running)
		return;
	if (a->ready)
		saola__zbuf_free(&a->zb);
	a->ready = 0;
}

void saola__ahead_free(saola__ahead *a)
{
	saola__ahead_join(a);
	saola__ahead_drop(a);
	saola_close(a->reader);
	a->reader = NULL;
}
