/* auditcheck.h: the audit log's invariant, for the tests: every path
 * version that a server's records hold came with a change that the audit
 * log names (record, path and version). */
#ifndef SAOLA_AUDITCHECK_H
#define SAOLA_AUDITCHECK_H

#include <jansson.h>

#include "store.h"

/* The path versions of the records of s (a server's store, read through
 * its connection in one read snapshot) that no audit row names: a new array of "record|path|version" strings, empty
 * when every one is audited. The paths are those of the record's state:
 * each answer at its own version or the record's default, each removal,
 * the review paths and the tombstone; the answers of a removed member went
 * with it and are not counted. */
json_t *ac_unaudited(saola__store *s);

/* The answers of a new record's row (path NULL, its answers as the record
 * holds them in value) as {path: value}, paths as the store names them.
 * New reference. */
json_t *ac_creation_paths(const json_t *answers);

/* The number of rows of the audit log of the server database db (a path,
 * or a URI: read through its store, sv_store). */
long ac_rows(const char *db);
/* The number of its entries as `saola-server audit` lists them (a new
 * record's row counts an entry per answer) among the rows matching where
 * (SQL on the columns of audit). */
long ac_entries(const char *db, const char *where);

#endif
