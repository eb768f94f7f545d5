/* testutil.h: helpers shared by the test programs. */
#ifndef SAOLA_TESTUTIL_H
#define SAOLA_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <saola/core.h>

/* A new empty folder under $TMPDIR (or /tmp); the path is static storage
 * valid until the next call. Removed by tu_rmtree(). */
const char *tu_tmpdir(const char *tag);
void tu_rmtree(const char *path);
/* path = dir + "/" + name into a static buffer (one of 8 rotating). */
const char *tu_path(const char *dir, const char *name);

/* Opens (creating) a database at path and loads the test forms
 * (tests/data/schemas) or, with shipped = 1, the project's schemas/. */
saola *tu_open(const char *path, int shipped);

/* Loads every *.json file of folder dir (forms, standards or units) into
 * db with saola_form_load, in name order, or fails the test. */
void tu_load_folder(saola *db, const char *dir);

/* Opens (creating) a database at path with the project's standards and
 * forms (schemas/) and, instead of the shipped units, the test units of
 * tests/data/units: province 37 with districts 369 and 372 until
 * 2025-06-30, without districts from 2025-07-01. */
saola *tu_open_fixture(const char *path);

/* A hash of a database's content: every record row and outbox entry, and
 * the sync state, in a canonical order (not the file's bytes). */
uint64_t tu_content_hash(const char *db_path);

/* Counts rows: SELECT count(*) ... on the file. -1 on error. */
long tu_count(const char *db_path, const char *sql);

/* The whole file at path, malloc'd and NUL-terminated (*len its bytes,
 * without the NUL), or NULL when it cannot be opened; a read that fails
 * fails the test. */
char *tu_read_file(const char *path, size_t *len);

/* Parses JSON text or fails the test. New reference. */
json_t *tu_json(const char *text);

/* Runs a command line (sh -c) and captures its stdout and stderr (each
 * truncated to cap-1 bytes); returns its exit status (-1 if killed). */
int tu_run(const char *cmd, char *out, size_t outcap, char *err, size_t errcap);

/* tu_run of a command line made with printf's format. */
int tu_runf(char *out, size_t outcap, char *err, size_t errcap, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The command that runs one of the build's programs: "<bindir>/cli/saola",
 * "<bindir>/tools/saola-gen"; in a cross-build, after the emulator
 * ("qemu-aarch64 -L / <bindir>/cli/saola"). For sh. */
const char *tu_bin(const char *name);

#endif
