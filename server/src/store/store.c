/* store.c: opening a store: a connection URI (postgresql://...) selects
 * PostgreSQL, anything else is the path of a SQLite file, the embedded
 * default. */
#include <stdio.h>
#include <string.h>

#include "saola/core.h"
#include "epoch.h"
#include "store.h"

#ifdef SAOLA_HAVE_POSTGRES
#include "store_pg.h"
#endif

int saola__store_is_uri(const char *db)
{
	return db && (strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0);
}

static int open_kind(const char *db, const char *schemas, int create, saola__store **out,
                     char *err, size_t errlen)
{
	if (!saola__store_is_uri(db))
		return saola__store_sqlite_open(db, schemas, create, out, err, errlen);
#ifdef SAOLA_HAVE_POSTGRES
	return saola__store_pg_open(db, schemas, create, out, err, errlen);
#else
	snprintf(err, errlen, "%.40s...: this saola-server was built without PostgreSQL", db);
	return SAOLA_MISUSE;
#endif
}

/* The database's epoch (epoch.h) made, durably, when it has none: a sync
 * would make it lazily, in a write that may skip the flush, and an epoch
 * lost in a power cut would send every device's records again. */
static int ensure_epoch(saola__store *s, char *err, size_t errlen)
{
	char epoch[SAOLA__EPOCH_LEN + 1];
	saola__err e;
	int rc, ok;

	if ((rc = s->ops->write_begin(s, 1)) != SAOLA_OK) {
		snprintf(err, errlen, "epoch: %s", s->ops->errmsg(s));
		return rc;
	}
	ok = saola__epoch_get(s, epoch, &e) == 0;
	if ((rc = s->ops->end(s, ok)) != SAOLA_OK || !ok) {
		snprintf(err, errlen, "%s", ok ? s->ops->errmsg(s) : e.message);
		return ok ? rc : e.rc;
	}
	return SAOLA_OK;
}

int saola__store_open(const char *db, const char *schemas, int create, saola__store **out,
                      char *err, size_t errlen)
{
	int rc;

	*out = NULL;
	if ((rc = open_kind(db, schemas, create, out, err, errlen)) != SAOLA_OK || !create)
		return rc;
	if ((rc = ensure_epoch(*out, err, errlen)) != SAOLA_OK) {
		saola__store_close(*out);
		*out = NULL;
	}
	return rc;
}
