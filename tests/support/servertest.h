/* servertest.h: helpers of the server tests: HTTP requests with libcurl,
 * sync requests and wire changes built by hand, and a gzip bomb. */
#ifndef SAOLA_SERVERTEST_H
#define SAOLA_SERVERTEST_H

#include <stddef.h>
#include <jansson.h>

#include "gen.h"
#include "saola/server.h"
#include "store.h"

/* An HTTP answer. */
typedef struct sv_resp {
	long status;
	char *body;            /* NUL-terminated, decompressed */
	size_t len;
	json_t *json;          /* the body parsed, or NULL */
	int gzipped;           /* it came with Content-Encoding: gzip */
	int has_date;          /* it had a Date header */
	long retry_after;      /* its Retry-After header, or -1 */
} sv_resp;

/* Sends method ("GET" or "POST") to base_url + path, accepting gzip.
 * token and encoding (Content-Encoding) may be NULL. With chunked_len > 0
 * the body is that many spaces, sent chunked, instead of body. Fails the
 * test when no answer comes. Free with sv_resp_free(). */
sv_resp sv_http(const char *base_url, const char *method, const char *path,
                const char *token, const char *encoding, const void *body, size_t len,
                size_t chunked_len);
/* sv_http() from the local address source ("127.0.0.2": any of 127/8 on
 * Linux; NULL: the system's choice). */
sv_resp sv_http_from(const char *source, const char *base_url, const char *method,
                     const char *path, const char *token, const char *encoding,
                     const void *body, size_t len, size_t chunked_len);
void sv_resp_free(sv_resp *r);

/* The "error"."code" of an error answer, or NULL. */
const char *sv_error_code(const sv_resp *r);
/* An integer member of o (0 when missing). */
json_int_t sv_jint(const json_t *o, const char *key);

/* A new household of commune (NULL: any) as a wire change: version
 * counter 1 of the sender, every member with an _id. New reference; id
 * gets the record id. */
json_t *sv_household(saola_gen *g, const char *commune, char id[37]);

/* A sync request; takes the reference to changes (NULL: none). batch may
 * be NULL. New reference. */
json_t *sv_request(const char *batch, const char *device, json_int_t cursor, int pull_limit,
                   json_t *changes);

/* sv_request with a lineage {"prev": prev (NULL: null), "next": next}
 * (docs/protocol.md, "Devices and lineage"); next NULL: none. */
json_t *sv_request_lineage(const char *batch, const char *device, json_int_t cursor,
                           int pull_limit, json_t *changes, const char *prev,
                           const char *next);

/* An edit of one answer of household id to value, version counter of the
 * sender, made over [base_counter, base_origin]. New reference. */
json_t *sv_edit(const char *id, const char *field, const char *value, int counter,
                int base_counter, const char *base_origin);

/* The record path of the head's name in a household made by
 * sv_household: member 1's name, which the household form computes
 * head_name from (form 2026.2). */
#define SV_HEAD_PATH "members.00000001.name"

/* sv_edit of the head's name (SV_HEAD_PATH) of a household made by
 * sv_household. New reference. */
json_t *sv_head_edit(const char *id, const char *value, int counter, int base_counter,
                     const char *base_origin);

/* n zero bytes compressed with gzip, made in a stream (never all in
 * memory). *len gets the size; free() the result. */
unsigned char *sv_zero_bomb(size_t n, size_t *len);

/* Starts a server in this process on the database db (made with the
 * shipped schemas when new), on 127.0.0.1 at a free port, with threads
 * workers (0: the default); url (urllen bytes) gets its base URL. Fails the
 * test when it does not start. Stop it with saola_server_stop(). */
saola_server *sv_start(const char *db, int threads, char *url, size_t urllen);

/* Opens the store of the server database db (pgt_db: its SQLite file, or
 * its PostgreSQL database with SAOLA_TEST_STORE=pg), for users and checks
 * beside a running server, or fails the test. Close with
 * saola__store_close(). */
saola__store *sv_store(const char *db);

/* A new store at db (a path or a URI, as saola__store_open takes it) with
 * the test schemas' forms and units, or fails the test. Close with
 * saola__store_close(). */
saola__store *sv_store_new(const char *db);

/* Adds user name of role and area to store s (its token hash made of its
 * name); u gets the user as stored, or the test fails. */
void sv_store_user(saola__store *s, const char *name, const char *role, const char *area,
                   saola__user *u);

/* The first column of sql's first row (a count) read from the server
 * database db through its store (sv_store), as tu_count() reads a
 * device's SQLite file; -1 when the query fails or gives no row. */
long sv_count(const char *db, const char *sql);
/* The same through the open store s. */
long sv_store_count(saola__store *s, const char *sql);

#endif
