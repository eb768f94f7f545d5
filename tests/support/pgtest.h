/* pgtest.h: a fresh PostgreSQL database per test program, on the private
 * server that scripts/pg.sh starts for ./run-tests (SAOLA_TEST_PG), so that
 * programs that ctest runs side by side never see each other's data. */
#ifndef SAOLA_PGTEST_H
#define SAOLA_PGTEST_H

/* The exit status that ctest reads as "skipped" (SKIP_RETURN_CODE). */
#define PGT_SKIP 77

/* Whether SAOLA_TEST_PG is set (a PostgreSQL server for the tests). */
int pgt_available(void);

/* Exits with PGT_SKIP, saying why on stderr, when SAOLA_TEST_PG is unset. */
void pgt_require(void);

/* The URI (postgresql://user@host:port/t_...) of a new, empty database on
 * SAOLA_TEST_PG's server, made at the first call and dropped when the
 * program exits (atexit). Static storage; NULL, with the reason on stderr,
 * when SAOLA_TEST_PG is unset or the server refuses. */
const char *pgt_uri(void);

/* Whether the server's tests run on PostgreSQL: SAOLA_TEST_STORE=pg (unset
 * or "sqlite": on SQLite). */
int pgt_store_pg(void);

/* The URI of a new, empty database on SAOLA_TEST_PG's server for name: the
 * same database for the same name all along the program, another one for
 * each other name; made at the first call and dropped when the program
 * exits. Static storage; NULL, with the reason on stderr, when
 * SAOLA_TEST_PG is unset or the server refuses. */
const char *pgt_uri_for(const char *name);

/* The store a test's server database named by the path db is on: db itself
 * on SQLite, pgt_uri_for(db) when pgt_store_pg(). With SAOLA_TEST_STORE=pg
 * and no SAOLA_TEST_PG the program exits PGT_SKIP; when the server refuses
 * it exits 1. A URI (postgres...) is db itself. Static storage (or db). */
const char *pgt_db(const char *db);

#endif
