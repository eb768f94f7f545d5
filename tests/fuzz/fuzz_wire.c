/* fuzz_wire.c: fuzz target of sync bodies. The input is a POST /v1/sync
 * body (gzip, zlib or plain, told apart by its first bytes as a
 * Content-Encoding header would say). The server's side: saola__body_decode
 * (decompression with a limit, strict UTF-8 and JSON), then every change of
 * "changes" applied (saola__wire_decode, the merge, the form, the area
 * rule) in a write transaction of a server store, and the records they
 * made pulled back as the server would answer them, before the transaction
 * is rolled back. The device's side, which has a parser of its own for
 * answers: the same bytes decompressed, and the server's answer, each read
 * as a sync answer (saola__answer_scan), its records merged into a device
 * database, and a new household put after them (a device goes on working
 * with the versions it merged), in a transaction rolled back. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "fuzz.h"
#include "gen.h"
#include "body.h"
#include "client_int.h"
#include "store.h"
#include "users.h"
#include "wire.h"

#define LIMIT ((size_t)1 << 20)

static saola__store *store;
static saola__user admin, commune;
static json_t *household;

static void setup(void)
{
	char err[512], token[SAOLA__TOKEN_HEX + 1];
	saola__err e;
	saola_gen *g;
	int found = 0;

	if (store)
		return;
	if (saola__store_sqlite_open(fz_path("wire-server.db"), SAOLA_FUZZ_SCHEMAS, 1, &store, err,
	                             sizeof err) != SAOLA_OK)
		fz_die("server store: %s", err);
	if (saola__user_create(store, "admin", "admin", "", token, &e) != 0 ||
	    store->ops->user_by_name(store, "admin", &admin, &found) != SAOLA_OK || !found)
		fz_die("server user: %s", e.message);
	if (!(g = saola_gen_new(5)) || !(household = saola_gen_household(g, NULL)))
		fz_die("generator: out of memory");
	saola_gen_free(g);
	commune = admin;
	snprintf(commune.role, sizeof commune.role, "commune");
	snprintf(commune.area, sizeof commune.area, "14404");
}

/* The encoding a client would name for these bytes. */
static const char *encoding(const uint8_t *d, size_t n)
{
	if (n >= 2 && d[0] == 0x1f && d[1] == 0x8b)
		return "gzip";
	if (n >= 2 && (d[0] & 0x0f) == 8 && ((unsigned)d[0] << 8 | d[1]) % 31 == 0)
		return "deflate";
	return NULL;
}

/* Applies the body's changes and pulls back what they made; the answer's
 * text (malloc()ed) or NULL. */
static char *server_side(const uint8_t *data, size_t size)
{
	json_t *req = NULL, *changes, *change, *records = NULL;
	const char *device;
	saola__apply_ctx ctx;
	saola__apply_pre **pre = NULL;
	saola__err e;
	char err[512], *answer = NULL;
	int64_t next = 0;
	int more = 0;
	size_t i;
	saola__body_limits lim = {LIMIT, SAOLA__MAX_VALUES_DEFAULT, SAOLA__MAX_DEPTH_DEFAULT};

	if (saola__body_decode(encoding(data, size), data, size, &lim, &req, NULL, &e) != 0)
		return NULL;
	changes = json_object_get(req, "changes");
	device = json_string_value(json_object_get(req, "device"));
	memset(&ctx, 0, sizeof ctx);
	ctx.device = device && *device ? device : "fuzzdevice";
	ctx.user = &admin;
	ctx.batch = "fuzzbatch";
	ctx.now = "2025-03-15T00:00:00Z";
	if (json_is_array(changes) && json_array_size(changes) > 0) {
		if (store->ops->write_begin(store, 0) != SAOLA_OK)
			fz_die("write_begin: %s", store->ops->errmsg(store));
		/* Every change is merged ahead first, as the server does before
		 * its write: a record named twice finds its row changed since. */
		pre = calloc(json_array_size(changes), sizeof *pre);
		json_array_foreach(changes, i, change)
			if (pre)
				pre[i] = store->ops->prepare(store, change, &ctx);
		json_array_foreach(changes, i, change) {
			saola__change_result res;
			if (store->ops->apply(store, change, &ctx, pre ? pre[i] : NULL, &res) != SAOLA_OK)
				break;
			if (!saola__area_contains(&commune, &res.after))
				saola__area_explain(&commune, &res.after, err, sizeof err);
		}
		/* Every record is rolled back after each input: cursor 0 pulls
		 * what this one made. */
		if ((records = json_array()) &&
		    store->ops->pull(store, NULL, "another-device", 0, 100, SAOLA__PULL_PAGE_BYTES, records,
		                     &next, &more) == SAOLA_OK && json_array_size(records) > 0) {
			json_t *ans = json_pack("{s:i, s:I, s:b, s:O}", "protocol", 1, "cursor",
			                        (json_int_t)next, "more", more, "records", records);
			answer = ans ? json_dumps(ans, JSON_COMPACT) : NULL;
			json_decref(ans);
		}
		json_decref(records);
		store->ops->end(store, 0);
		json_array_foreach(changes, i, change)
			if (pre)
				saola__apply_pre_free(pre[i]);
		free(pre);
	}
	json_decref(req);
	return answer;
}

static void device_merge(const char *text, size_t len)
{
	saola *db = fz_device("wire-device.db");
	saola__answer a;
	char err[256];

	if (saola__answer_scan(text, len, &a, err, sizeof err) != SAOLA_OK)
		return;
	if (saola_begin(db) != SAOLA_OK)
		fz_die("begin: %s", saola_errmsg(db));
	if (saola__answer_merge(db, &a, "sync") == SAOLA_OK)
		saola_put(db, "household", NULL, household, NULL);
	saola_rollback(db);
	saola__answer_free(&a);
}

static void device_side(const uint8_t *data, size_t size)
{
	unsigned char *plain = NULL;
	size_t len = size;

	if (!encoding(data, size)) {
		device_merge((const char *)data, size);
		return;
	}
	if (saola__gunzip(data, size, LIMIT, &plain, &len) == SAOLA_OK)
		device_merge((const char *)plain, len);
	free(plain);
}

SAOLA_FUZZ_TARGET(wire)
{
	char *answer;

	setup();
	answer = server_side(data, size);
	device_side(data, size);
	if (answer)
		device_merge(answer, strlen(answer));
	free(answer);
	return 0;
}
