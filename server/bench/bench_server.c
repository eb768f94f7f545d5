/* bench_server.c: sync server throughput: N devices push generated
 * households at once over HTTP (gzip), then one device pushes alone; prints
 * households per second and bytes per household each way. Asserts nothing.
 *
 *   bench_server [DEVICES [HOUSEHOLDS_EACH [BATCH [THREADS]]]]
 *   (default 50 devices x 1000 households, batches of 500, 4 threads) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "gen.h"
#include "saola/server.h"
#include "permissions.h"
#include "saola_util.h"
#include "store.h"
#include "users.h"
#include "wire.h"

typedef struct body {
	unsigned char *gz;
	size_t len;
} body;

typedef struct device {
	char name[32];
	char token[SAOLA__TOKEN_HEX + 1];
	body *bodies;
	int nbodies;
	int port;
	size_t up, down;      /* body bytes sent and received */
	size_t headers_down;
	int failed;
	pthread_t thread;
} device;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t count_body(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	((device *)arg)->down += size * n;
	return size * n;
}

static size_t count_header(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	((device *)arg)->headers_down += size * n;
	return size * n;
}

typedef struct pull_page {
	unsigned char *buf;
	size_t len;
} pull_page;

static size_t keep_body(char *p, size_t size, size_t n, void *arg)
{
	pull_page *pg = arg;
	unsigned char *grown = realloc(pg->buf, pg->len + size * n);

	if (!grown)
		return 0;
	memcpy(grown + pg->len, p, size * n);
	pg->buf = grown;
	pg->len += size * n;
	return size * n;
}

/* Reads a gzip answer: its cursor, more, and how many records. */
static int page_parse(pull_page *pg, long long *cursor, int *more, int *n)
{
	unsigned char *text = NULL;
	size_t len;
	json_t *v;

	if (saola__gunzip(pg->buf, pg->len, (size_t)1 << 30, &text, &len) != SAOLA_OK)
		return -1;
	v = json_loadb((const char *)text, len, 0, NULL);
	free(text);
	if (!v)
		return -1;
	*cursor = json_integer_value(json_object_get(v, "cursor"));
	*more = json_is_true(json_object_get(v, "more"));
	*n += (int)json_array_size(json_object_get(v, "records"));
	json_decref(v);
	return 0;
}

static void *run_device(void *arg)
{
	device *d = arg;
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char line[128], url[64];
	int i;

	if (!c) {
		d->failed = 1;
		return NULL;
	}
	snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/sync", d->port);
	snprintf(line, sizeof line, "Authorization: Bearer %s", d->token);
	h = curl_slist_append(h, line);
	h = curl_slist_append(h, "Content-Encoding: gzip");
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip");
	curl_easy_setopt(c, CURLOPT_HTTP_CONTENT_DECODING, 0L); /* count the wire bytes */
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, count_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, d);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, count_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, d);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 600L);
	for (i = 0; i < d->nbodies; i++) {
		long status = 0;
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, d->bodies[i].gz);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)d->bodies[i].len);
		if (curl_easy_perform(c) != CURLE_OK ||
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
		    status != 200) {
			fprintf(stderr, "bench_server: %s: request %d: status %ld\n", d->name, i, status);
			d->failed = 1;
			break;
		}
		d->up += d->bodies[i].len;
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return NULL;
}

/* Builds a device's requests: n households of one commune in batches. */
static int prepare(device *d, saola_gen *g, int n, int batch, const char *commune)
{
	saola_gen_opts go;
	int i, b;

	memset(&go, 0, sizeof go);
	go.commune = commune;
	d->nbodies = (n + batch - 1) / batch;
	if (!(d->bodies = calloc((size_t)d->nbodies, sizeof *d->bodies)))
		return -1;
	for (b = 0; b < d->nbodies; b++) {
		json_t *changes = json_array(), *req;
		char id[37], bid[64], *text;
		for (i = b * batch; i < n && i < (b + 1) * batch; i++) {
			json_t *hh = saola_gen_household(g, &go), *m;
			size_t k;
			if (!hh)
				return -1;
			json_array_foreach(json_object_get(hh, "members"), k, m) {
				char mid[24];
				snprintf(mid, sizeof mid, "%08zx", k + 1);
				json_object_set_new(m, "_id", json_string(mid));
			}
			saola__uuid(id);
			json_array_append_new(changes, json_pack("{s:s, s:s, s:s, s:o, s:{s:i}}",
			        "r", id, "f", "household", "fv", "2025.1", "d", hh, "vs", "_", i + 1));
		}
		snprintf(bid, sizeof bid, "%s-%d", d->name, b);
		req = json_pack("{s:i, s:s, s:s, s:i, s:i, s:o}", "protocol", 1, "batch", bid,
		                "device", d->name, "cursor", 0, "pull_limit", 0, "changes", changes);
		text = req ? json_dumps(req, JSON_COMPACT) : NULL;
		json_decref(req);
		if (!text || saola__gzip(text, strlen(text), &d->bodies[b].gz, &d->bodies[b].len))
			return -1;
		free(text);
	}
	return 0;
}

/* An admin's device pulls every record, 2000 a page: time and bytes. */
static int pull_everything(saola__store *st, int port, int expected)
{
	char token[SAOLA__TOKEN_HEX + 1], url[64], line[128], req[256];
	struct curl_slist *h = NULL;
	long long cursor = 0;
	device d;
	saola__err e;
	CURL *c;
	double t0;
	int more = 1, pages = 0, n = 0;

	/* an admin's pull needs the permission "personal" (docs/security.md) */
	if (saola__user_create(st, "puller", "admin", NULL, token, &e) != 0 ||
	    saola__user_permit(st, "puller", "personal", 1, NULL, &e) != 0 ||
	    !(c = curl_easy_init()))
		return -1;
	memset(&d, 0, sizeof d);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/sync", port);
	snprintf(line, sizeof line, "Authorization: Bearer %s", token);
	h = curl_slist_append(h, line);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip");
	curl_easy_setopt(c, CURLOPT_HTTP_CONTENT_DECODING, 0L);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, count_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &d);
	t0 = now();
	while (more) {
		pull_page pg;
		memset(&pg, 0, sizeof pg);
		snprintf(req, sizeof req, "{\"protocol\":1,\"device\":\"puller\",\"cursor\":%lld,"
		         "\"pull_limit\":2000,\"changes\":[]}", cursor);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &pg);
		if (curl_easy_perform(c) != CURLE_OK || page_parse(&pg, &cursor, &more, &n) != 0) {
			free(pg.buf);
			return -1;
		}
		d.down += pg.len;
		free(pg.buf);
		pages++;
	}
	printf("  %-34s %6d households in %6.2f s = %7.0f households/s (%d pages)\n",
	       "one device pulls everything:", n, now() - t0, n / (now() - t0), pages);
	printf("  %-34s down %.1f B/household (gzip body %.1f + headers %.1f)\n", "",
	       (double)(d.down + d.headers_down) / n, (double)d.down / n,
	       (double)d.headers_down / n);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return n == expected ? 0 : -1;
}

/* Runs the devices at once; returns households per second, or -1. */
static double run(device *devs, int ndev, int per_device, const char *what)
{
	size_t up = 0, down = 0, hdr = 0;
	double t0 = now(), t;
	int i, failed = 0;

	for (i = 0; i < ndev; i++)
		pthread_create(&devs[i].thread, NULL, run_device, &devs[i]);
	for (i = 0; i < ndev; i++) {
		pthread_join(devs[i].thread, NULL);
		failed |= devs[i].failed;
		up += devs[i].up, down += devs[i].down, hdr += devs[i].headers_down;
	}
	t = now() - t0;
	if (failed)
		return -1;
	printf("  %-34s %6d households in %6.2f s = %7.0f households/s\n", what,
	       ndev * per_device, t, ndev * per_device / t);
	printf("  %-34s up %.1f B/household (gzip body), down %.1f B/household"
	       " (body %.1f + headers %.1f)\n", "", (double)up / (ndev * per_device),
	       (double)(down + hdr) / (ndev * per_device), (double)down / (ndev * per_device),
	       (double)hdr / (ndev * per_device));
	return ndev * per_device / t;
}

int main(int argc, char **argv)
{
	int ndev = argc > 1 ? atoi(argv[1]) : 50;
	int each = argc > 2 ? atoi(argv[2]) : 1000;
	int batch = argc > 3 ? atoi(argv[3]) : 500;
	int threads = argc > 4 ? atoi(argv[4]) : 4;
	char dir[] = "/tmp/saola-bench-server-XXXXXX", path[256], err[512];
	saola_server_opts o;
	saola_server *srv = NULL;
	saola__store *st = NULL;
	saola_gen *g = saola_gen_new(42);
	device *devs, solo;
	double many, one;
	int i;

	if (ndev <= 0 || each <= 0 || batch <= 0 || !g || !mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/server.db", dir);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	memset(&o, 0, sizeof o);
	o.db_path = path;
	o.listen = "127.0.0.1:0";
	o.schemas = SAOLA_BENCH_SCHEMAS;
	o.threads = threads;
	if (saola_server_start(&o, &srv) != SAOLA_OK) {
		fprintf(stderr, "bench_server: %s\n", saola_server_errmsg(srv));
		return 1;
	}
	if (saola__store_sqlite_open(path, NULL, 0, &st, err, sizeof err) != SAOLA_OK) {
		fprintf(stderr, "bench_server: %s\n", err);
		return 1;
	}
	if (!(devs = calloc((size_t)ndev + 1, sizeof *devs)))
		return 1;
	printf("server benchmark: %d devices x %d households, batches of %d, %d HTTP threads,"
	       " SQLite WAL synchronous=FULL\n", ndev, each, batch, threads);
	for (i = 0; i <= ndev; i++) {
		device *d = i < ndev ? &devs[i] : &solo;
		json_t *probe = saola_gen_household(g, NULL);
		char commune[16];
		saola__err e;
		memset(d, 0, sizeof *d);
		snprintf(commune, sizeof commune, "%s",
		         json_string_value(json_object_get(probe, "commune")));
		json_decref(probe);
		snprintf(d->name, sizeof d->name, "dev%04d", i);
		d->port = saola_server_port(srv);
		if (saola__user_create(st, d->name, "surveyor", commune, d->token, &e) != 0 ||
		    prepare(d, g, i < ndev ? each : 5 * each, i < ndev ? batch : 1000, commune) != 0) {
			fprintf(stderr, "bench_server: preparing %s failed\n", d->name);
			return 1;
		}
	}
	many = run(devs, ndev, each, "concurrent devices:");
	one = run(&solo, 1, 5 * each, "one device, batches of 1000:");
	if (pull_everything(st, saola_server_port(srv), ndev * each + 5 * each) != 0)
		many = -1;
	printf("  target: >= 10000 households/s with 50 concurrent devices (%s)\n",
	       many >= 10000 ? "met" : "MISSED");
	saola__store_close(st);
	saola_server_stop(srv);
	for (i = 0; i < ndev; i++) {
		int b;
		for (b = 0; b < devs[i].nbodies; b++)
			free(devs[i].bodies[b].gz);
		free(devs[i].bodies);
	}
	free(devs);
	saola_gen_free(g);
	curl_global_cleanup();
	snprintf(err, sizeof err, "rm -rf %s", dir);
	if (system(err) != 0)
		fprintf(stderr, "bench_server: could not remove %s\n", dir);
	return many < 0 || one < 0;
}
