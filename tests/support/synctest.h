/* synctest.h: helpers of the sync tests: a saola-server process started and
 * stopped by the test, users made with its command, generated households
 * put on devices, and comparing what two replicas hold. */
#ifndef SAOLA_SYNCTEST_H
#define SAOLA_SYNCTEST_H

#include <sys/types.h>
#include <jansson.h>
#include <saola/core.h>

/* A saola-server process ("serve"), its output drained by a thread. */
typedef struct st_server st_server;

/* Starts `saola-server serve --db db --listen 127.0.0.1:port` (port 0: a
 * free one) with extra environment entries env (NAME=VALUE, NULL-ended; may
 * be NULL) and waits for its "listening on http://127.0.0.1:PORT" line.
 * NULL (with the reason on stderr) when it does not come up. */
st_server *st_server_spawn(const char *db, int port, const char *const *env);
int st_server_port(const st_server *s);
pid_t st_server_pid(const st_server *s);
/* Waits for the process to end; returns its wait status. */
int st_server_wait(st_server *s);
/* Stops it (SIGTERM, then waits) and frees s. NULL is a no-op. */
void st_server_stop(st_server *s);

/* `saola-server user add` on the server database db: returns the token (a
 * new string, free()) or fails the test. */
char *st_user_add(const char *db, const char *name, const char *role, const char *area);
/* The same with `--allow allow` (permission words; NULL: none), as a user
 * above the commune needs "personal" to pull records (a replica). */
char *st_user_add_allow(const char *db, const char *name, const char *role, const char *area,
                        const char *allow);

/* The saola-server binary of this build, or $SAOLA_TEST_SERVER when set (a
 * cross-build's tests use a native one: tests/CMakeLists.txt). */
const char *st_server_bin(void);

/* Puts n generated households of commune (seeded) on db, in one
 * transaction; appends their ids to ids (an array; may be NULL). */
void st_put_households(saola *db, uint64_t seed, const char *commune, int n, json_t *ids);

/* The household head's name is member 1's name (household form 2026.2:
 * head_name is computed from it). Into buf, the record path of that answer
 * on db's record id ("members.<_id>.name"); returns buf. Fails the test
 * when db has no such record or member. */
const char *st_head_path(saola *db, const char *id, char *buf, size_t len);
/* The edit (data for saola_put) that renames the head of db's record id:
 * member 1's name. New reference. */
json_t *st_head_edit(saola *db, const char *id, const char *name);

/* The ids of the records db holds (tombstones too), as a sorted array. */
json_t *st_record_ids(saola *db);

/* 1 when a and b hold record id with the same answers and versions (a
 * path's own version equal to the default "_" counts as the default). */
int st_same_record(saola *a, saola *b, const char *id);

/* 1 when db holds record id as the wire record wire says (a server's
 * pull: {"r","f","fv","d","vs"}), compared as st_same_record compares. */
int st_same_as_wire(saola *db, const char *id, const json_t *wire);

/* A device database at path with the shipped forms, its state pointing at
 * server url with token (no network used). */
saola *st_device(const char *path, const char *url, const char *token);

#endif
