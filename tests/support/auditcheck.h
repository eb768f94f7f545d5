/* auditcheck.h: the audit log's invariant, for the tests: every path
 * version that a server's records hold came with a change that the audit
 * log names (record, path and version). */
#ifndef SAOLA_AUDITCHECK_H
#define SAOLA_AUDITCHECK_H

#include <jansson.h>
#include <saola/core.h>

/* The path versions of db's records (a server's core database) that no
 * audit row names: a new array of "record|path|version" strings, empty
 * when every one is audited. The paths are those of the record's state:
 * each answer at its own version or the record's default, each removal,
 * the review paths and the tombstone; the answers of a removed member went
 * with it and are not counted. */
json_t *ac_unaudited(saola *db);

/* The number of rows of the audit log of the database file at path. */
long ac_rows(const char *path);

#endif
