/* client_http.c: the sync client's HTTP transport over libcurl: one request
 * at a time, gzip bodies, wire byte counts, retries with backoff, and the
 * rule that plain http:// goes only to the loopback. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "client_int.h"
#include "wire.h"

/* ------------------------------------------------------------------ */
/* Streaming gzip                                                      */

int saola__zbuf_init(saola__zbuf *zb)
{
	memset(zb, 0, sizeof *zb);
	/* 15 + 16: a gzip wrapper; level 9 and memLevel 9: JSON of many
	 * similar households compresses best with the largest window. */
	if (deflateInit2(&zb->z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9,
	                 Z_DEFAULT_STRATEGY) != Z_OK)
		return SAOLA_NOMEM;
	zb->ready = 1;
	zb->crc = crc32(0L, Z_NULL, 0);
	return SAOLA_OK;
}

int saola__zbuf_init_xz(saola__zbuf *zb, uint32_t preset)
{
	lzma_stream init = LZMA_STREAM_INIT;
	int rc;

	memset(zb, 0, sizeof *zb);
	zb->x = init;
	if ((rc = saola__xz_encoder(&zb->x, preset)) != SAOLA_OK)
		return rc;
	zb->xz = 1;
	zb->ready = 1;
	return SAOLA_OK;
}

/* Room for at least 4 KiB more output after the used bytes. */
static int zbuf_room(saola__zbuf *zb, size_t used)
{
	if (zb->cap - used < 4096) {
		size_t want = zb->cap ? zb->cap * 2 : 16384;
		unsigned char *grown = realloc(zb->out, want);
		if (!grown)
			return SAOLA_NOMEM;
		zb->out = grown;
		zb->cap = want;
	}
	return SAOLA_OK;
}

static int xbuf_run(saola__zbuf *zb, const void *p, size_t n, lzma_action action)
{
	lzma_ret xr;

	zb->x.next_in = p;
	zb->x.avail_in = n;
	do {
		if (zbuf_room(zb, (size_t)zb->x.total_out) != SAOLA_OK)
			return SAOLA_NOMEM;
		zb->x.next_out = zb->out + zb->x.total_out;
		zb->x.avail_out = zb->cap - (size_t)zb->x.total_out;
		xr = lzma_code(&zb->x, action);
		if (xr != LZMA_OK && xr != LZMA_STREAM_END)
			return xr == LZMA_MEM_ERROR ? SAOLA_NOMEM : SAOLA_ERROR;
	} while (zb->x.avail_in > 0 || zb->x.avail_out == 0 ||
	         (action == LZMA_FINISH && xr != LZMA_STREAM_END));
	zb->z.total_out = (uLong)zb->x.total_out;
	return SAOLA_OK;
}

static int zbuf_run(saola__zbuf *zb, int flush)
{
	int zr;

	do {
		if (zbuf_room(zb, zb->z.total_out) != SAOLA_OK)
			return SAOLA_NOMEM;
		zb->z.next_out = zb->out + zb->z.total_out;
		zb->z.avail_out = (uInt)(zb->cap - zb->z.total_out);
		zr = deflate(&zb->z, flush);
		if (zr == Z_STREAM_ERROR)
			return SAOLA_ERROR;
	} while (zb->z.avail_in > 0 || zb->z.avail_out == 0 ||
	         (flush == Z_FINISH && zr != Z_STREAM_END));
	return SAOLA_OK;
}

int saola__zbuf_write(saola__zbuf *zb, const void *p, size_t n)
{
	if (zb->xz)
		return n ? xbuf_run(zb, p, n, LZMA_RUN) : SAOLA_OK;
	zb->z.next_in = (Bytef *)p;
	zb->z.avail_in = (uInt)n;
	return n ? zbuf_run(zb, Z_NO_FLUSH) : SAOLA_OK;
}

int saola__zbuf_puts(saola__zbuf *zb, const char *s)
{
	return saola__zbuf_write(zb, s, strlen(s));
}

int saola__zbuf_sink(void *zb, const char *text, size_t len)
{
	return saola__zbuf_write(zb, text, len);
}

int saola__zbuf_finish(saola__zbuf *zb)
{
	int rc;

	if (zb->xz)
		return xbuf_run(zb, NULL, 0, LZMA_FINISH);
	zb->z.next_in = NULL;
	zb->z.avail_in = 0;
	if ((rc = zbuf_run(zb, Z_FINISH)) != SAOLA_OK)
		return rc;
	zb->crc = crc32(0L, zb->out, (uInt)zb->z.total_out);
	return SAOLA_OK;
}

void saola__zbuf_free(saola__zbuf *zb)
{
	if (zb->ready && zb->xz)
		lzma_end(&zb->x);
	else if (zb->ready)
		deflateEnd(&zb->z);
	free(zb->out);
	memset(zb, 0, sizeof *zb);
}

/* ------------------------------------------------------------------ */
/* Opening the transport                                               */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_OK;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* 1 when host is a loopback address (127.0.0.0/8, ::1) or "localhost"
 * (which libcurl resolves to the loopback itself). A name that merely
 * starts with "127." ("127.example.org") is a name like any other. */
static int is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char h[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof h) {
		memcpy(h, host + 1, n - 2);
		h[n - 2] = '\0';
		host = h;
	}
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* Checks the URL's scheme and, for http://, its host. */
static int check_url(saola *db, const char *url, int insecure_http)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int rc = SAOLA_OK;

	if (!u)
		return saola__error(db, SAOLA_NOMEM, "sync: out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		rc = saola__error(db, SAOLA_INVALID,
		                  "sync: server \"%s\": not a URL (expected https://HOST[:PORT])", url);
	} else if (strcasecmp(scheme, "https") != 0 && strcasecmp(scheme, "http") != 0) {
		rc = saola__error(db, SAOLA_INVALID,
		                  "sync: server \"%s\": scheme %s is not supported (use https)",
		                  url, scheme);
	} else if (strcasecmp(scheme, "http") == 0 && !is_loopback(host) && !insecure_http) {
		rc = saola__error(db, SAOLA_INVALID,
		                  "sync: server \"%s\": plain http to %s would send the token and "
		                  "households unencrypted; use https, or --insecure-http on a "
		                  "trusted network", url, host);
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

static char *state_or(saola *db, const char *given, const char *key, int *rc)
{
	char *v = NULL;

	if (given) {
		if (!(v = strdup(given)))
			*rc = saola__error(db, SAOLA_NOMEM, "sync: out of memory");
		return v;
	}
	if ((*rc = saola_state_get(db, key, &v)) != SAOLA_OK)
		return NULL;
	return v;
}

int saola__http_open(saola__http *h, saola *db, const saola_sync_opts *opts,
                     saola_sync_stats *stats)
{
	static const saola_sync_opts defaults;
	const char *env = getenv("SAOLA_SYNC_BACKOFF_MS");
	char *insecure = NULL;
	size_t n;
	int rc = SAOLA_OK;

	memset(h, 0, sizeof *h);
	if (!opts)
		opts = &defaults;
	h->db = db;
	h->stats = stats;
	h->timeout_s = opts->timeout_s > 0 ? opts->timeout_s : 60;
	h->max_attempts = opts->max_attempts > 0 ? opts->max_attempts : 8;
	h->backoff_ms = env && *env ? strtol(env, NULL, 10) : 1000;
	if (h->backoff_ms < 0)
		h->backoff_ms = 0;
	/* A test hook, like the backoff's: a small limit lets a test make a
	 * page too big for the device without megabytes of records. */
	env = getenv("SAOLA_SYNC_BODY_LIMIT");
	h->body_limit = env && *env ? (size_t)strtoull(env, NULL, 10) : 0;
	if (h->body_limit == 0 || h->body_limit > SAOLA__BODY_LIMIT)
		h->body_limit = SAOLA__BODY_LIMIT;
	if (!(h->base = state_or(db, opts->server, SAOLA__K_SERVER, &rc)) && rc == SAOLA_OK)
		rc = saola__error(db, SAOLA_MISUSE,
		                  "sync: no server: enrol first (saola init --server URL --token T) "
		                  "or give --server");
	if (rc == SAOLA_OK && !(h->token = state_or(db, opts->token, SAOLA__K_TOKEN, &rc)) &&
	    rc == SAOLA_OK)
		rc = saola__error(db, SAOLA_AUTH, "sync: no token: enrol first or give --token");
	if (rc == SAOLA_OK)
		h->ca_file = state_or(db, opts->ca_file, SAOLA__K_CA_FILE, &rc);
	if (rc == SAOLA_OK && !opts->insecure_http)
		rc = saola_state_get(db, SAOLA__K_INSECURE, &insecure);
	if (rc != SAOLA_OK)
		goto fail;
	n = strlen(h->base);
	while (n > 0 && h->base[n - 1] == '/')
		h->base[--n] = '\0';
	rc = check_url(db, h->base, opts->insecure_http || (insecure && strcmp(insecure, "1") == 0));
	saola_free(insecure);
	if (rc != SAOLA_OK)
		goto fail;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK || !(h->curl = curl_easy_init())) {
		rc = saola__error(db, SAOLA_NOMEM, "sync: cannot start libcurl");
		goto fail;
	}
	return SAOLA_OK;
fail:
	saola__http_close(h);
	return rc;
}

void saola__http_close(saola__http *h)
{
	if (h->curl)
		curl_easy_cleanup(h->curl);
	if (h->multi)
		curl_multi_cleanup(h->multi);
	free(h->base);
	free(h->token);
	free(h->ca_file);
	memset(h, 0, sizeof *h);
}

/* ------------------------------------------------------------------ */
/* One request                                                         */

typedef struct sink {
	saola__resp *r;
	size_t limit;
	size_t cap;
	long long sent;       /* bytes handed to the connection: headers, body */
} sink;

static size_t on_body(char *p, size_t size, size_t nmemb, void *ctx)
{
	sink *s = ctx;
	saola__resp *r = s->r;
	size_t n = size * nmemb;

	if (r->len + n + 1 > s->limit) {
		r->too_big = 1;
		return 0;
	}
	if (r->len + n + 1 > s->cap) {
		size_t want = s->cap ? s->cap * 2 : 16384;
		unsigned char *grown;
		while (want < r->len + n + 1)
			want *= 2;
		if (!(grown = realloc(r->body, want)))
			return 0;
		r->body = grown;
		s->cap = want;
	}
	memcpy(r->body + r->len, p, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ctx)
{
	saola__resp *r = ((sink *)ctx)->r;
	size_t n = size * nmemb;
	char line[256];

	if (n >= sizeof line)
		return n;
	memcpy(line, p, n);
	line[n] = '\0';
	if (strncmp(line, "HTTP/", 5) == 0) {
		/* A new response (after a 100 Continue): forget the last one's. */
		r->gzip = 0;
		r->retry_after = 0;
	} else if (strncasecmp(line, "content-encoding:", 17) == 0) {
		r->gzip = strstr(line + 17, "gzip") || strstr(line + 17, "deflate") ||
		          strstr(line + 17, "xz");
	} else if (strncasecmp(line, "retry-after:", 12) == 0) {
		r->retry_after = strtol(line + 12, NULL, 10);
	}
	return n;
}

/* Counts what goes out. CURLINFO_REQUEST_SIZE would do for the headers,
 * but libcurl counts there the part of a small body (under 64 KiB) that it
 * sends in the same write as the headers, which CURLINFO_SIZE_UPLOAD counts
 * again; the debug callback sees headers and body apart. */
static int on_debug(CURL *c, curl_infotype type, char *p, size_t n, void *ctx)
{
	(void)c;
	(void)p;
	if (type == CURLINFO_HEADER_OUT || type == CURLINFO_DATA_OUT)
		((sink *)ctx)->sent += (long long)n;
	return 0;
}

static void count_bytes(saola__http *h, const sink *s)
{
	curl_off_t down = 0;
	long hdr = 0;

	if (!h->stats)
		return;
	curl_easy_getinfo(h->curl, CURLINFO_HEADER_SIZE, &hdr);
	curl_easy_getinfo(h->curl, CURLINFO_SIZE_DOWNLOAD_T, &down);
	h->stats->requests++;
	h->stats->bytes_up += s->sent;
	h->stats->bytes_down += hdr + down;
}

/* Runs the request set on h->curl; with idle work, through a multi
 * handle, doing that work between curl's turns until it is done, then
 * waiting on the sockets. */
static CURLcode perform(saola__http *h)
{
	CURLcode cc = CURLE_OK;
	CURLMsg *msg;
	int running = 1, work = 1, left;

	if (!h->idle || (!h->multi && !(h->multi = curl_multi_init())) ||
	    curl_multi_add_handle(h->multi, h->curl) != CURLM_OK)
		return curl_easy_perform(h->curl);
	while (running) {
		if (curl_multi_perform(h->multi, &running) != CURLM_OK) {
			cc = CURLE_OUT_OF_MEMORY;
			break;
		}
		if (!running)
			break;
		if (work)
			work = h->idle(h->idle_ctx);
		else if (curl_multi_poll(h->multi, NULL, 0, 1000, NULL) != CURLM_OK)
			cc = CURLE_OUT_OF_MEMORY, running = 0;
	}
	while ((msg = curl_multi_info_read(h->multi, &left)))
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == h->curl)
			cc = msg->data.result;
	curl_multi_remove_handle(h->multi, h->curl);
	return cc;
}

int saola__http_once(saola__http *h, const char *method, const char *path,
                     const void *body, size_t len, int gzipped, saola__resp *r)
{
	struct curl_slist *hdrs = NULL, *more;
	char *url = NULL, *auth = NULL;
	const char *lines[6];
	sink s;
	CURLcode cc;
	size_t i;
	int rc = SAOLA_OK;

	memset(r, 0, sizeof *r);
	s.r = r;
	s.limit = h->body_limit ? h->body_limit : SAOLA__BODY_LIMIT;
	s.cap = 0;
	s.sent = 0;
	url = malloc(strlen(h->base) + strlen(path) + 1);
	auth = malloc(strlen(h->token) + 32);
	if (!url || !auth) {
		rc = saola__error(h->db, SAOLA_NOMEM, "sync: out of memory");
		goto out;
	}
	sprintf(url, "%s%s", h->base, path);
	sprintf(auth, "Authorization: Bearer %s", h->token);
	/* Expect: off, or curl waits a round trip for 100 Continue on a large
	 * body; Accept: off, as every header costs bytes on a 2G link. */
	lines[0] = auth;
	lines[1] = h->accept_xz ? "Accept-Encoding: xz, gzip" : "Accept-Encoding: gzip";
	lines[2] = "Expect:";
	lines[3] = "Accept:";
	lines[4] = body ? "Content-Type: application/json" : NULL;
	lines[5] = !body || !gzipped ? NULL : saola__is_xz(body, len) ? "Content-Encoding: xz"
	         : "Content-Encoding: gzip";
	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		if (!lines[i])
			continue;
		if (!(more = curl_slist_append(hdrs, lines[i]))) {
			rc = saola__error(h->db, SAOLA_NOMEM, "sync: out of memory");
			goto out;
		}
		hdrs = more;
	}
	curl_easy_reset(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "saola/" SAOLA_VERSION);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, h->timeout_s);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT, h->timeout_s < 30 ? h->timeout_s : 30L);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->curl_err);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, &s);
	curl_easy_setopt(h->curl, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(h->curl, CURLOPT_DEBUGDATA, &s);
	curl_easy_setopt(h->curl, CURLOPT_VERBOSE, 1L); /* for on_debug only */
	if (h->ca_file)
		curl_easy_setopt(h->curl, CURLOPT_CAINFO, h->ca_file);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	h->curl_err[0] = '\0';
	cc = perform(h);
	count_bytes(h, &s);
	if (r->too_big) {
		rc = saola__error(h->db, SAOLA_LIMIT, "sync: %s %s: the response is over %zu bytes, "
		                  "the most this device takes", method, url, h->body_limit);
		goto out;
	}
	if (cc != CURLE_OK) {
		r->status = 0;
		r->timed_out = cc == CURLE_OPERATION_TIMEDOUT;
		r->fatal = cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
		           cc == CURLE_SSL_CERTPROBLEM || cc == CURLE_URL_MALFORMAT ||
		           cc == CURLE_UNSUPPORTED_PROTOCOL;
		snprintf(r->why, sizeof r->why, "%.140s%s",
		         h->curl_err[0] ? h->curl_err : curl_easy_strerror(cc),
		         cc == CURLE_PEER_FAILED_VERIFICATION && !h->ca_file
		             ? " (a server with a district's own certificate authority needs "
		               "--ca-file)" : "");
		rc = saola__error(h->db, SAOLA_NETWORK, "sync: %s %s: %s", method, url, r->why);
		goto out;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->gzip && r->len > 0) {
		unsigned char *plain = NULL;
		size_t plen = 0;
		int zr = saola__gunzip(r->body, r->len, h->body_limit, &plain, &plen);
		if (zr != SAOLA_OK) {
			/* A body cut short on the way is a network failure: try again. */
			snprintf(r->why, sizeof r->why, "the compressed response %s",
			         zr == SAOLA_LIMIT ? "decompresses past the limit" : "is damaged");
			r->status = 0;
			rc = saola__error(h->db, zr == SAOLA_LIMIT ? SAOLA_LIMIT : SAOLA_NETWORK,
			                  "sync: %s %s: %s", method, url, r->why);
			goto out;
		}
		free(r->body);
		r->body = plain;
		r->len = plen;
	}
out:
	curl_slist_free_all(hdrs);
	free(url);
	free(auth);
	return rc;
}

void saola__resp_free(saola__resp *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

int saola__resp_retryable(const saola__resp *r)
{
	return (r->status == 0 && !r->fatal) || r->status == 429 || r->status >= 500;
}

int saola__resp_error(saola *db, const char *what, const char *url, const saola__resp *r)
{
	char err[128];
	json_t *doc, *e;
	const char *code = NULL, *msg = NULL;
	int rc;

	if (r->status == 0)
		return saola__error(db, SAOLA_NETWORK, "%s: %s: %s", what, url, r->why);
	doc = r->body ? saola__json_parse((const char *)r->body, r->len, err, sizeof err) : NULL;
	e = json_object_get(doc, "error");
	code = json_string_value(json_object_get(e, "code"));
	msg = json_string_value(json_object_get(e, "message"));
	switch (r->status) {
	case 401: case 403: rc = SAOLA_AUTH; break;
	case 413: rc = SAOLA_LIMIT; break;
	case 409: rc = SAOLA_CONFLICT; break;
	default: rc = r->status >= 500 || r->status == 429 ? SAOLA_NETWORK : SAOLA_PROTOCOL;
	}
	if (msg)
		saola__error(db, rc, "%s: the server refused (%ld %s): %s", what, r->status,
		             code ? code : "error", msg);
	else
		saola__error(db, rc, "%s: the server answered HTTP %ld%s%.200s", what, r->status,
		             r->len ? ": " : "", r->len ? (const char *)r->body : "");
	json_decref(doc);
	return rc;
}

void saola__backoff(const saola__http *h, int attempt, long retry_after)
{
	double ms = (double)h->backoff_ms, cap = 60.0 * (double)h->backoff_ms;
	unsigned short rnd = 0;
	struct timespec ts;
	int i;

	for (i = 1; i < attempt && ms < cap; i++)
		ms *= 2;
	if (ms > cap)
		ms = cap;
	saola__random(&rnd, sizeof rnd);
	ms *= 0.5 + (double)rnd / 65535.0;
	if (retry_after > 0 && ms < retry_after * 1000.0)
		ms = retry_after * 1000.0;
	ts.tv_sec = (time_t)(ms / 1000.0);
	ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000.0) * 1e6);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int saola__http_get_json(saola__http *h, const char *path, json_t **out)
{
	saola__resp r;
	char url[256], err[160];
	int attempt, rc = SAOLA_OK;

	*out = NULL;
	snprintf(url, sizeof url, "GET %.200s%s", h->base, path);
	for (attempt = 1;; attempt++) {
		rc = saola__http_once(h, "GET", path, NULL, 0, 0, &r);
		if (rc != SAOLA_OK && rc != SAOLA_NETWORK)
			break;
		if (rc == SAOLA_OK && r.status == 200)
			break;
		if (!saola__resp_retryable(&r) || attempt >= h->max_attempts) {
			rc = saola__resp_error(h->db, "sync", url, &r);
			if (saola__resp_retryable(&r)) {
				char why[SAOLA__ERRMSG_MAX];
				snprintf(why, sizeof why, "%s", saola_errmsg(h->db));
				saola__error(h->db, rc, "%.400s (gave up after %d attempts)", why, attempt);
			}
			saola__resp_free(&r);
			return rc;
		}
		if (h->stats)
			h->stats->retries++;
		saola__resp_free(&r);
		saola__backoff(h, attempt, r.retry_after);
	}
	if (rc == SAOLA_OK &&
	    !(*out = saola__json_parse((const char *)r.body, r.len, err, sizeof err)))
		rc = saola__error(h->db, SAOLA_PROTOCOL, "sync: %s: the answer is not JSON: %s", url,
		                  err);
	saola__resp_free(&r);
	return rc;
}
