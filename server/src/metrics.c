/* metrics.c: the server's counters and GET /metrics (metrics.h): requests
 * by route, method and status, bytes, syncs' durations and what they
 * applied, and the store's gauges read at each scrape, written in
 * Prometheus's text format 0.0.4. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "metrics.h"
#include "reply.h"
#include "upstream.h"

/* The statuses counted each under its own label: every one the server
 * sends (reply.c's table, the handlers' 200), and libmicrohttpd's own. */
static const int statuses[] = {200, 201, 204, 206, 301, 302, 304, 400, 401, 403, 404, 405,
                               406, 408, 409, 411, 413, 414, 415, 416, 417, 422, 429, 431,
                               500, 501, 502, 503, 504, 505};
#define NSTATUS (sizeof statuses / sizeof statuses[0])
#define SLOT_OTHER NSTATUS        /* a status not in the list */
#define SLOT_NONE (NSTATUS + 1)   /* no answer queued (cut, out of memory) */
#define NSLOTS (NSTATUS + 2)

static const char *const methods[] = {"GET", "POST", "other"};
#define NMETHODS 3

/* saola_sync_duration_seconds's buckets: a quick sync on a LAN takes a
 * few milliseconds, a batch of thousands of households seconds, and one
 * waiting on a busy database tens. */
static const char *const bucket_le[] = {"0.01", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
                                        "5", "10", "30"};
static const int64_t bucket_us[] = {10000, 50000, 100000, 250000, 500000, 1000000, 2500000,
                                    5000000, 10000000, 30000000};
#define NBUCKETS (sizeof bucket_us / sizeof bucket_us[0])

/* What the counters hold; copied whole under the lock for a scrape. */
typedef struct counts {
	uint64_t bytes_in, bytes_out;
	uint64_t sync_buckets[NBUCKETS + 1];   /* not cumulative; the last: +Inf */
	uint64_t sync_count, sync_us;
	uint64_t received, applied, conflicts;
} counts;

struct saola__metrics {
	pthread_mutex_t lock;
	size_t nroutes;          /* saola__n_routes; the slot after: no route */
	uint64_t *requests;      /* [route][method][status slot] */
	counts c;
	time_t started;
	time_t cert_expiry;      /* 0: not serving TLS, or unknown */
};

/* ------------------------------------------------------------------ */
/* Counting                                                           */

size_t saola__metrics_status_slot(int status)
{
	size_t i;

	if (status == 0)
		return SLOT_NONE;
	for (i = 0; i < NSTATUS; i++)
		if (statuses[i] == status)
			return i;
	return SLOT_OTHER;
}

static size_t method_slot(const char *method)
{
	if (method && strcmp(method, "GET") == 0)
		return 0;
	if (method && strcmp(method, "POST") == 0)
		return 1;
	return 2;
}

saola__metrics *saola__metrics_new(time_t started)
{
	saola__metrics *m = calloc(1, sizeof *m);

	if (!m)
		return NULL;
	m->nroutes = saola__n_routes;
	if (!(m->requests = calloc((m->nroutes + 1) * NMETHODS * NSLOTS, sizeof *m->requests))) {
		free(m);
		return NULL;
	}
	pthread_mutex_init(&m->lock, NULL);
	m->started = started;
	return m;
}

void saola__metrics_free(saola__metrics *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m->requests);
	free(m);
}

void saola__metrics_set_cert_expiry(saola__metrics *m, time_t expires)
{
	m->cert_expiry = expires;
}

void saola__metrics_request(saola__metrics *m, const saola__route *route, const char *method,
                            int status)
{
	size_t r = route ? (size_t)(route - saola__routes) : m->nroutes;

	if (r > m->nroutes)
		r = m->nroutes;
	pthread_mutex_lock(&m->lock);
	m->requests[(r * NMETHODS + method_slot(method)) * NSLOTS +
	            saola__metrics_status_slot(status)]++;
	pthread_mutex_unlock(&m->lock);
}

void saola__metrics_bytes(saola__metrics *m, uint64_t bytes_in, uint64_t bytes_out)
{
	pthread_mutex_lock(&m->lock);
	m->c.bytes_in += bytes_in;
	m->c.bytes_out += bytes_out;
	pthread_mutex_unlock(&m->lock);
}

void saola__metrics_sync(saola__metrics *m, int64_t micros, const saola__outcome *o)
{
	size_t b = 0;

	while (b < NBUCKETS && micros > bucket_us[b])
		b++;
	pthread_mutex_lock(&m->lock);
	m->c.sync_buckets[b]++;
	m->c.sync_count++;
	m->c.sync_us += micros > 0 ? (uint64_t)micros : 0;
	if (o->synced) {
		m->c.received += o->received > 0 ? (uint64_t)o->received : 0;
		m->c.applied += o->applied > 0 ? (uint64_t)o->applied : 0;
		m->c.conflicts += o->conflicts > 0 ? (uint64_t)o->conflicts : 0;
	}
	pthread_mutex_unlock(&m->lock);
}

/* ------------------------------------------------------------------ */
/* The exposition                                                      */

/* A growing text; oom set once an append failed (the rest is dropped). */
typedef struct buf {
	char *p;
	size_t n, cap;
	int oom;
} buf;

/* Room for more bytes past b->n; -1 (b->oom) when out of memory. */
static int grow(buf *b, size_t more)
{
	size_t want = b->cap * 2 + more;
	char *grown = realloc(b->p, want);

	if (!grown) {
		b->oom = 1;
		return -1;
	}
	b->p = grown;
	b->cap = want;
	return 0;
}

/* Appends printf's text of fmt to b. */
static void put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(buf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if (k < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)k < b->cap - b->n) {
			b->n += (size_t)k;
			return;
		}
		if (grow(b, (size_t)k) != 0)
			return;
	}
}

/* A family's # HELP and # TYPE lines, which come before its samples. */
static void family(buf *b, const char *name, const char *type, const char *help)
{
	put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* v as a label value: \, " and newline escaped. */
static void put_label(buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			put(b, "\\%c", *v);
		else if (*v == '\n')
			put(b, "\\n");
		else
			put(b, "%c", *v);
	}
}

static void requests_text(buf *b, const uint64_t *req, size_t nroutes)
{
	size_t r, m, s;
	uint64_t v;

	family(b, "saola_http_requests_total", "counter", "HTTP requests answered, by the"
	       " route's pattern in the route table ('other': none matched), the method"
	       " ('other': neither GET nor POST) and the status ('none': no answer sent)");
	for (r = 0; r <= nroutes; r++)
		for (m = 0; m < NMETHODS; m++)
			for (s = 0; s < NSLOTS; s++) {
				if (!(v = req[(r * NMETHODS + m) * NSLOTS + s]))
					continue;
				put(b, "saola_http_requests_total{route=\"");
				put_label(b, r < nroutes ? saola__routes[r].path : "other");
				if (s < NSTATUS)
					put(b, "\",method=\"%s\",code=\"%d\"} %llu\n", methods[m],
					    statuses[s], (unsigned long long)v);
				else
					put(b, "\",method=\"%s\",code=\"%s\"} %llu\n", methods[m],
					    s == SLOT_NONE ? "none" : "other", (unsigned long long)v);
			}
}

static void counter(buf *b, const char *name, const char *help, uint64_t v)
{
	family(b, name, "counter", help);
	put(b, "%s %llu\n", name, (unsigned long long)v);
}

static void counters_text(buf *b, const counts *c)
{
	uint64_t cum = 0;
	size_t i;

	counter(b, "saola_http_request_bytes_total", "bytes of request bodies received, as"
	        " sent (compressed when they were)", c->bytes_in);
	counter(b, "saola_http_response_bytes_total", "bytes of response bodies sent, as"
	        " sent (compressed when they were)", c->bytes_out);
	family(b, "saola_sync_duration_seconds", "histogram", "time from a POST /v1/sync's"
	       " body in to its answer queued, whatever the answer");
	for (i = 0; i < NBUCKETS; i++) {
		cum += c->sync_buckets[i];
		put(b, "saola_sync_duration_seconds_bucket{le=\"%s\"} %llu\n", bucket_le[i],
		    (unsigned long long)cum);
	}
	cum += c->sync_buckets[NBUCKETS];
	put(b, "saola_sync_duration_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
	put(b, "saola_sync_duration_seconds_sum %.6f\n", (double)c->sync_us / 1e6);
	put(b, "saola_sync_duration_seconds_count %llu\n", (unsigned long long)c->sync_count);
	counter(b, "saola_sync_changes_received_total", "changes received in new batches"
	        " (a replayed batch counts nothing)", c->received);
	counter(b, "saola_sync_changes_applied_total", "records that new batches' changes"
	        " changed", c->applied);
	counter(b, "saola_sync_conflicts_total", "values that lost a merge and went to the"
	        " conflict log", c->conflicts);
}

/* The store's gauges, read at the scrape. have_* say which were read. */
typedef struct gauges {
	int64_t conflicts_open, devices_1d, db_bytes, disk_free;
	time_t upstream_last;
	int have_disk, have_upstream;
} gauges;

/* The first column of sql's first row (bind: its one text parameter, or
 * NULL) into *out. 0, or -1. */
static int one_int(saola__db *db, const char *sql, const char *bind, int64_t *out)
{
	saola__dbstmt *st = NULL;
	int step;

	*out = 0;
	if (saola__db_prepare(db, sql, &st) != SAOLA_OK)
		return -1;
	if (bind && saola__db_bind_text(st, 1, bind, -1) != SAOLA_OK) {
		saola__db_finalize(st);
		return -1;
	}
	if ((step = saola__db_step(st)) == SAOLA__DB_ROW)
		*out = saola__db_column_int(st, 0);
	saola__db_finalize(st);
	return step == SAOLA__DB_ROW ? 0 : -1;
}

/* SQLite's file, its write-ahead log and the free space where it lies. */
static int sqlite_size(saola__db *db, gauges *g)
{
	saola__dbstmt *st = NULL;
	char file[4096] = "", wal[4200];
	int64_t pages, page_size;
	struct statvfs vfs;
	struct stat sb;
	int step;

	if (one_int(db, "PRAGMA page_count", NULL, &pages) != 0 ||
	    one_int(db, "PRAGMA page_size", NULL, &page_size) != 0 ||
	    saola__db_prepare(db, "PRAGMA database_list", &st) != SAOLA_OK)
		return -1;
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW)
		if (strcmp(saola__db_column_text(st, 1) ? saola__db_column_text(st, 1) : "",
		           "main") == 0 && saola__db_column_text(st, 2))
			snprintf(file, sizeof file, "%s", saola__db_column_text(st, 2));
	saola__db_finalize(st);
	if (step != SAOLA__DB_DONE)
		return -1;
	g->db_bytes = pages * page_size;
	/* "" is a database in memory: no file, no disk. */
	if (!file[0])
		return 0;
	snprintf(wal, sizeof wal, "%s-wal", file);
	if (stat(wal, &sb) == 0)
		g->db_bytes += (int64_t)sb.st_size;
	if (statvfs(file, &vfs) == 0) {
		g->disk_free = (int64_t)vfs.f_bavail * (int64_t)vfs.f_frsize;
		g->have_disk = 1;
	}
	return 0;
}

/* "YYYY-MM-DDTHH:MM:SSZ" as seconds since the epoch; 0 when it is not. */
static time_t utc_seconds(const char *text)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	if (!text || sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon,
	                    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

/* The gauges, inside s's read transaction: counts on indexed columns
 * (conflicts_open) or of a table of one row a device, and the database's
 * size as the engine knows it. 0, or -1. */
static int read_gauges(saola__store *s, gauges *g)
{
	saola__db *db = saola__store_db(s);
	time_t day_ago = time(NULL) - 86400;
	char bound[32], *last = NULL;
	struct tm tm;

	gmtime_r(&day_ago, &tm);
	/* devices.last_sync is text in this form: text compares as time. */
	strftime(bound, sizeof bound, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (one_int(db, "SELECT count(*) FROM conflicts WHERE resolved_at IS NULL", NULL,
	            &g->conflicts_open) != 0 ||
	    one_int(db, "SELECT count(*) FROM devices WHERE last_sync >= ?", bound,
	            &g->devices_1d) != 0)
		return -1;
	if (saola__db_kind(db) == SAOLA__DB_POSTGRES) {
		if (one_int(db, "SELECT pg_database_size(current_database())", NULL,
		            &g->db_bytes) != 0)
			return -1;
	} else if (sqlite_size(db, g) != 0) {
		return -1;
	}
	if (s->ops->state_get(s, SAOLA__UP_LAST_SYNC, &last) != SAOLA_OK)
		return -1;
	if ((g->upstream_last = utc_seconds(last)) > 0)
		g->have_upstream = 1;
	free(last);
	return 0;
}

static void gauge(buf *b, const char *name, const char *help, long long v)
{
	family(b, name, "gauge", help);
	put(b, "%s %lld\n", name, v);
}

static void store_text(buf *b, saola__store *s)
{
	gauges g;
	int ok;

	memset(&g, 0, sizeof g);
	if ((ok = s && s->ops->read_begin(s) == SAOLA_OK)) {
		ok = read_gauges(s, &g) == 0;
		s->ops->end(s, 1);
	}
	gauge(b, "saola_store_up", "1 when the database answered this scrape's queries; 0"
	      " when it failed, and the gauges read from it are left out", ok);
	if (!ok)
		return;
	gauge(b, "saola_conflicts_open", "conflicts in the conflict log not resolved yet",
	      (long long)g.conflicts_open);
	family(b, "saola_devices_seen", "gauge", "devices whose last sync is within the"
	       " window");
	put(b, "saola_devices_seen{window=\"1d\"} %lld\n", (long long)g.devices_1d);
	gauge(b, "saola_database_bytes", "size of the database: SQLite's pages and its"
	      " write-ahead log, or PostgreSQL's pg_database_size", (long long)g.db_bytes);
	if (g.have_disk)
		gauge(b, "saola_disk_free_bytes", "bytes free to unprivileged users on the"
		      " file system of the SQLite database", (long long)g.disk_free);
	if (g.have_upstream)
		gauge(b, "saola_upstream_last_sync_timestamp_seconds", "when this district's"
		      " server last synced with its upstream server, in seconds since the"
		      " epoch", (long long)g.upstream_last);
}

char *saola__metrics_text(saola__metrics *m, saola__store *s, size_t *len)
{
	buf b = {NULL, 0, 8192, 0};
	uint64_t *req;
	size_t nreq = (m->nroutes + 1) * NMETHODS * NSLOTS;
	counts c;

	*len = 0;
	if (!(req = malloc(nreq * sizeof *req)) || !(b.p = malloc(b.cap))) {
		free(req);
		return NULL;
	}
	/* One copy under the lock: a histogram's buckets and count agree. */
	pthread_mutex_lock(&m->lock);
	memcpy(req, m->requests, nreq * sizeof *req);
	c = m->c;
	pthread_mutex_unlock(&m->lock);
	family(&b, "saola_build_info", "gauge", "the server's version, as a label; always 1");
	put(&b, "saola_build_info{version=\"");
	put_label(&b, SAOLA_VERSION);
	put(&b, "\"} 1\n");
	gauge(&b, "saola_start_time_seconds", "when the server started, in seconds since the"
	      " epoch", (long long)m->started);
	if (m->cert_expiry > 0)
		gauge(&b, "saola_tls_certificate_expiry_timestamp_seconds", "when the serving"
		      " certificate (--tls-cert, read at start) stops being valid, in seconds"
		      " since the epoch", (long long)m->cert_expiry);
	requests_text(&b, req, m->nroutes);
	counters_text(&b, &c);
	store_text(&b, s);
	free(req);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.n;
	return b.p;
}

enum MHD_Result saola__serve_metrics(const saola__call *call)
{
	enum MHD_Result ret;
	size_t len;
	char *text = saola__metrics_text(call->web->metrics, call->store, &len);

	if (!text)
		return MHD_NO;
	ret = saola__reply_body(call->c, MHD_HTTP_OK, SAOLA__METRICS_TYPE, text, len, NULL);
	free(text);
	return ret;
}
