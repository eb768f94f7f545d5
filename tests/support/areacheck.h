/* areacheck.h: what replicas hold, read from their database files for the
 * end-state checks of the process-level tests: ids by SQL, households by
 * their own identity, and a device's records against a server's of its
 * area, value for value and version for version. */
#ifndef SAOLA_AREACHECK_H
#define SAOLA_AREACHECK_H

#include <jansson.h>
#include <saola/core.h>

#include "store.h"

/* The first column of sql's rows on the database file path (opened
 * read-only; arg, when not NULL, bound to ?1), as a new array of strings.
 * Fails the test on an SQL error. */
json_t *ar_column(const char *path, const char *sql, const char *arg);

/* The household records of the database file path by household_id, as a
 * new object {household_id: [record ids]} (live records only with
 * live_only set). */
json_t *ar_households(const char *path, int live_only);

/* How a device's records differ from a server's of one commune. */
typedef struct ar_diff {
	long only_device;   /* ids the device holds and the server does not */
	long only_server;   /* ids of the commune the server holds, the device not */
	long differ;        /* held by both, with other answers or versions */
} ar_diff;

/* Compares every record of the device database device_path with the
 * records of commune that srv (a server's store, opened) holds: ids,
 * answers, versions and deletions. The first record that differs (every
 * one with $SAOLA_TEST_VERBOSE) is printed on stderr, named by label. */
void ar_compare_area(const char *device_path, saola__store *srv, const char *commune,
                     const char *label, ar_diff *out);

#endif
