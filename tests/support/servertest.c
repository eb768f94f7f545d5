/* servertest.c: HTTP with libcurl and hand-built sync requests for the
 * server tests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <zlib.h>

#include "saola_int.h"
#include "servertest.h"
#include "pgtest.h"
#include "units.h"

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	sv_resp *r = arg;
	char *grown = realloc(r->body, r->len + size * n + 1);

	if (!grown)
		return 0;
	r->body = grown;
	memcpy(r->body + r->len, p, size * n);
	r->len += size * n;
	r->body[r->len] = '\0';
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	sv_resp *r = arg;

	if (size * n >= 22 && strncasecmp(p, "Content-Encoding: gzip", 22) == 0)
		r->gzipped = 1;
	if (size * n >= 5 && strncasecmp(p, "Date:", 5) == 0)
		r->has_date = 1;
	if (size * n >= 12 && strncasecmp(p, "Retry-After:", 12) == 0)
		r->retry_after = strtol(p + 12, NULL, 10);
	return size * n;
}

/* A chunked body of n bytes of spaces, read by curl piece by piece. */
typedef struct chunked {
	size_t left;
} chunked;

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
	chunked *c = arg;
	size_t k = size * n < c->left ? size * n : c->left;

	memset(buf, ' ', k);
	c->left -= k;
	return k;
}

sv_resp sv_http(const char *base_url, const char *method, const char *path,
                const char *token, const char *encoding, const void *body, size_t len,
                size_t chunked_len)
{
	return sv_http_from(NULL, base_url, method, path, token, encoding, body, len, chunked_len);
}

sv_resp sv_http_from(const char *source, const char *base_url, const char *method,
                     const char *path, const char *token, const char *encoding,
                     const void *body, size_t len, size_t chunked_len)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char url[256], line[200];
	chunked ck;
	sv_resp r;
	CURLcode cc;

	memset(&r, 0, sizeof r);
	r.retry_after = -1;
	assert_non_null(c);
	if (source)
		curl_easy_setopt(c, CURLOPT_INTERFACE, source);
	snprintf(url, sizeof url, "%s%s", base_url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	if (token) {
		snprintf(line, sizeof line, "Authorization: Bearer %s", token);
		h = curl_slist_append(h, line);
	}
	if (encoding) {
		snprintf(line, sizeof line, "Content-Encoding: %s", encoding);
		h = curl_slist_append(h, line);
	}
	if (strcmp(method, "POST") == 0) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		if (chunked_len) {
			ck.left = chunked_len;
			h = curl_slist_append(h, "Transfer-Encoding: chunked");
			curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(c, CURLOPT_READDATA, &ck);
		} else {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		}
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK)
		fail_msg("%s %s: %s", method, path, curl_easy_strerror(cc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (r.body)
		r.json = json_loadb(r.body, r.len, 0, NULL);
	return r;
}

void sv_resp_free(sv_resp *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof *r);
}

const char *sv_error_code(const sv_resp *r)
{
	return json_string_value(json_object_get(json_object_get(r->json, "error"), "code"));
}

json_int_t sv_jint(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

json_t *sv_household(saola_gen *g, const char *commune, char id[37])
{
	saola_gen_opts go;
	json_t *h, *m;
	size_t i;

	memset(&go, 0, sizeof go);
	go.commune = commune;
	assert_non_null(h = saola_gen_household(g, &go));
	json_array_foreach(json_object_get(h, "members"), i, m) {
		char mid[24];
		snprintf(mid, sizeof mid, "%08zx", i + 1);
		json_object_set_new(m, "_id", json_string(mid));
	}
	assert_int_equal(saola__uuid(id), 0);
	return json_pack("{s:s, s:s, s:s, s:o, s:{s:i}}", "r", id, "f", "household",
	                 "fv", "2025.1", "d", h, "vs", "_", 1);
}

json_t *sv_request(const char *batch, const char *device, json_int_t cursor,
                   int pull_limit, json_t *changes)
{
	json_t *r = json_pack("{s:i, s:s?, s:s, s:I, s:i, s:o}", "protocol", 1, "batch", batch,
	                      "device", device, "cursor", cursor, "pull_limit", pull_limit,
	                      "changes", changes ? changes : json_array());
	assert_non_null(r);
	return r;
}

json_t *sv_request_lineage(const char *batch, const char *device, json_int_t cursor,
                           int pull_limit, json_t *changes, const char *prev,
                           const char *next)
{
	json_t *r = sv_request(batch, device, cursor, pull_limit, changes);

	if (next)
		assert_int_equal(json_object_set_new(r, "lineage", json_pack("{s:s?, s:s}", "prev",
		                                     prev, "next", next)), 0);
	return r;
}

json_t *sv_edit(const char *id, const char *field, const char *value, int counter,
                    int base_counter, const char *base_origin)
{
	return json_pack("{s:s, s:s, s:s, s:{s:s}, s:{s:i}, s:{s:[i, s]}}", "r", id,
	                 "f", "household", "fv", "2025.1", "d", field, value, "vs", field,
	                 counter, "b", field, base_counter, base_origin);
}

json_t *sv_head_edit(const char *id, const char *value, int counter, int base_counter,
                     const char *base_origin)
{
	json_t *c = json_pack("{s:s, s:s, s:s, s:{s:[{s:s, s:b, s:s}]}, s:{s:i}, s:{s:[i, s]}}",
	                      "r", id, "f", "household", "fv", "2025.1", "d", "members", "_id",
	                      "00000001", "_ref", 1, "name", value, "vs", SV_HEAD_PATH, counter,
	                      "b", SV_HEAD_PATH, base_counter, base_origin);

	assert_non_null(c);
	return c;
}

unsigned char *sv_zero_bomb(size_t n, size_t *len)
{
	static unsigned char zeros[1 << 16];
	size_t cap = n / 500 + 4096;
	unsigned char *out = malloc(cap);
	z_stream z;

	assert_non_null(out);
	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	while (n > 0) {
		size_t k = n < sizeof zeros ? n : sizeof zeros;
		z.next_in = zeros;
		z.avail_in = (uInt)k;
		n -= k;
		assert_int_equal(deflate(&z, n ? Z_NO_FLUSH : Z_FINISH), n ? Z_OK : Z_STREAM_END);
		assert_true(z.avail_out > 0);
	}
	*len = z.total_out;
	deflateEnd(&z);
	return out;
}

saola_server *sv_start(const char *db, int threads, char *url, size_t urllen)
{
	saola_server_opts o;
	saola_server *srv = NULL;

	memset(&o, 0, sizeof o);
	o.db_path = pgt_db(db);
	o.listen = "127.0.0.1:0";
	o.schemas = SAOLA_TEST_SCHEMAS;
	o.threads = threads;
	if (saola_server_start(&o, &srv) != SAOLA_OK)
		fail_msg("server start: %s", saola_server_errmsg(srv));
	snprintf(url, urllen, "http://127.0.0.1:%d", saola_server_port(srv));
	return srv;
}

saola__store *sv_store(const char *db)
{
	saola__store *st = NULL;
	char err[512];

	if (saola__store_open(pgt_db(db), NULL, 0, &st, err, sizeof err) != SAOLA_OK)
		fail_msg("store open: %s", err);
	return st;
}

saola__store *sv_store_new(const char *db)
{
	saola__store *s = NULL;
	char err[512];
	int n = 0;

	if (saola__store_open(db, SAOLA_TEST_SCHEMAS, 1, &s, err, sizeof err) != SAOLA_OK)
		fail_msg("store open %s: %s", db, err);
	if (s->ops->forms_load(s, SAOLA_TEST_SCHEMAS, &n) != SAOLA_OK)
		fail_msg("forms load: %s", s->ops->errmsg(s));
	assert_int_equal(saola__db_begin_write(saola__store_db(s)), SAOLA_OK);
	if (saola__units_ensure(saola__store_db(s), SAOLA_TEST_SCHEMAS, err, sizeof err) != 0)
		fail_msg("units: %s", err);
	assert_int_equal(saola__db_end(saola__store_db(s), 1), SAOLA_OK);
	return s;
}

void sv_store_user(saola__store *s, const char *name, const char *role, const char *area,
                   saola__user *u)
{
	unsigned char hash[32];

	memset(u, 0, sizeof *u);
	memset(hash, name[0] + name[1], sizeof hash);
	snprintf(u->name, sizeof u->name, "%s", name);
	snprintf(u->role, sizeof u->role, "%s", role);
	snprintf(u->area, sizeof u->area, "%s", area);
	assert_int_equal(s->ops->write_begin(s, 1), SAOLA_OK);
	if (s->ops->user_add(s, u, hash, "2026-01-01T00:00:00Z") != SAOLA_OK)
		fail_msg("user add: %s", s->ops->errmsg(s));
	assert_int_equal(s->ops->end(s, 1), SAOLA_OK);
}

long sv_store_count(saola__store *s, const char *sql)
{
	saola__dbstmt *st = NULL;
	long n = -1;

	if (saola__db_prepare(saola__store_db(s), sql, &st) == SAOLA_OK &&
	    saola__db_step(st) == SAOLA__DB_ROW)
		n = (long)saola__db_column_int(st, 0);
	saola__db_finalize(st);
	return n;
}

long sv_count(const char *db, const char *sql)
{
	saola__store *s = sv_store(db);
	long n = sv_store_count(s, sql);

	saola__store_close(s);
	return n;
}
