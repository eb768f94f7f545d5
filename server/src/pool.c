/* pool.c: the pool of store connections that HTTP worker threads borrow. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"
#include "saola/core.h"

struct saola__pool {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	char *path;
	int size;         /* the most connections */
	int opened;       /* connections made (idle or lent) */
	int nidle;
	saola__store **idle;
};

saola__pool *saola__pool_new(const char *path, int size, saola__store *first)
{
	saola__pool *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	if (size < 1)
		size = 1;
	p->size = size;
	if (!(p->path = strdup(path)) || !(p->idle = calloc((size_t)size, sizeof *p->idle))) {
		free(p->path);
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->freed, NULL);
	if (first) {
		p->idle[p->nidle++] = first;
		p->opened = 1;
	}
	return p;
}

/* An idle connection, else a new one while fewer than size are open,
 * else (wait: waits for one given back; not wait: NULL). NULL when one
 * does not open, with e (SAOLA_ERROR, "database: why"). */
static saola__store *take(saola__pool *p, int wait, saola__err *e)
{
	saola__store *s = NULL;
	char why[SAOLA__ERR_MAX - 32];
	int rc;

	pthread_mutex_lock(&p->lock);
	while (wait && p->nidle == 0 && p->opened >= p->size)
		pthread_cond_wait(&p->freed, &p->lock);
	if (p->nidle > 0 || p->opened >= p->size) {
		s = p->nidle > 0 ? p->idle[--p->nidle] : NULL;
		pthread_mutex_unlock(&p->lock);
		if (!s)
			saola__err_set(e, SAOLA_BUSY, "database: every connection is lent");
		return s;
	}
	p->opened++; /* reserve the slot, open outside the lock */
	pthread_mutex_unlock(&p->lock);
	/* The store's open still says why in a buffer (store.h). Whatever it
	 * was, the server failed: 500, however the store names it. */
	rc = saola__store_open(p->path, NULL, 0, &s, why, sizeof why);
	if (rc != SAOLA_OK) {
		saola__err_set(e, SAOLA_ERROR, "database: %s", why);
		pthread_mutex_lock(&p->lock);
		p->opened--;
		pthread_cond_signal(&p->freed);
		pthread_mutex_unlock(&p->lock);
		return NULL;
	}
	return s;
}

saola__store *saola__pool_get(saola__pool *p, saola__err *e)
{
	return take(p, 1, e);
}

saola__store *saola__pool_try(saola__pool *p)
{
	saola__err e;

	return take(p, 0, &e);
}

void saola__pool_put(saola__pool *p, saola__store *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&p->lock);
	p->idle[p->nidle++] = s;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

void saola__pool_free(saola__pool *p)
{
	int i;

	if (!p)
		return;
	for (i = 0; i < p->nidle; i++)
		saola__store_close(p->idle[i]);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->freed);
	free(p->idle);
	free(p->path);
	free(p);
}
