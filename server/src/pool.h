/* pool.h: a small pool of store connections for the HTTP worker threads
 * (a store handle is not thread-safe: each request borrows one). */
#ifndef SAOLA_POOL_H
#define SAOLA_POOL_H

#include <stddef.h>

#include "server_int.h"
#include "store.h"

typedef struct saola__pool saola__pool;

/* A pool of at most size connections to the database at path; first (may
 * be NULL) is an open connection it takes over. NULL when out of memory. */
saola__pool *saola__pool_new(const char *path, int size, saola__store *first);

/* Borrows a connection, opening one when none is idle, waiting when size
 * are lent. NULL when one does not open, with e (SAOLA_ERROR, "database:
 * why"). */
saola__store *saola__pool_get(saola__pool *p, saola__err *e);

/* As saola__pool_get, but NULL instead of waiting when size are lent
 * (or when one does not open). */
saola__store *saola__pool_try(saola__pool *p);

/* Gives a connection back. */
void saola__pool_put(saola__pool *p, saola__store *s);

/* Closes every connection (none may be lent) and frees the pool. NULL is a
 * no-op. */
void saola__pool_free(saola__pool *p);

#endif
