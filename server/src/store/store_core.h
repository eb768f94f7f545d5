/* store_core.h: for now, the SQLite store's core database (core's saola
 * handle: records, forms, standards), its audit log and its forms cache,
 * for the server's modules that still call core's record functions
 * (upstream sync: saola__apply_remote, the outbox...) directly; the
 * officer's modules read and write through the store (store_own.c).
 * Their SQL goes through saola__store_db(); these calls are to move
 * behind the store (saola issue 13). A store without a core database
 * (PostgreSQL) gives NULL, and those modules answer that they cannot. */
#ifndef SAOLA_STORE_CORE_H
#define SAOLA_STORE_CORE_H

#include "store.h"

struct saola;
struct saola__audit;

/* s's core database; NULL for a store that has none (or s NULL). */
struct saola *saola__store_core(saola__store *s);

/* s's audit log (audit.h), hooked to its core database; NULL for none. */
struct saola__audit *saola__store_audit(saola__store *s);

/* Says, inside a write transaction, that forms were loaded into s's core
 * database by other means than forms_load (an upstream pull): every
 * connection recompiles. SAOLA_OK, or a code with s's errmsg;
 * SAOLA_MISUSE for a store without a core database. */
int saola__store_core_forms_changed(saola__store *s);

#endif
