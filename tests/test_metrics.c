/* test_metrics.c: monitoring (docs/server.md, "Monitoring" and "The
 * request log"): GET /metrics read with a strict parser of Prometheus's
 * text format 0.0.4 (tested on bad input first), its counters moving as
 * devices sync through the sync client, who may read it, and the request
 * log: a line per request with who and how, never a token or an answer. */
#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "testutil.h"
#include "pgtest.h"
#include "servertest.h"
#include "synctest.h"
#include "metrics.h"
#include "routes.h"
#include "saola/server.h"
#include "saola/sync.h"
#include "users.h"

/* ------------------------------------------------------------------ */
/* A strict parser of the text format 0.0.4                            */

#define EXPO_MAX_SAMPLES 4096
#define EXPO_MAX_FAMILIES 128

typedef struct sample {
	char name[128];
	char labels[512];      /* canonical: name=value (unescaped), sorted, by ',' */
	char le[32];           /* a histogram bucket's le, else "" */
	double value;
	int family;
} sample;

typedef struct family {
	char name[128];
	char type[16];         /* "" until its # TYPE */
	int help, has_samples, closed;
} family;

typedef struct expo {
	sample s[EXPO_MAX_SAMPLES];
	size_t n;
	family f[EXPO_MAX_FAMILIES];
	size_t nf;
	char err[256];
} expo;

static int fail_at(expo *x, int line, const char *why)
{
	snprintf(x->err, sizeof x->err, "line %d: %s", line, why);
	return -1;
}

/* Length of a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) at p (colons too
 * when colon), 0 when none. */
static size_t name_len(const char *p, int colon)
{
	size_t n = 0;

	if (!(isalpha((unsigned char)p[0]) || p[0] == '_' || (colon && p[0] == ':')))
		return 0;
	while (isalnum((unsigned char)p[n]) || p[n] == '_' || (colon && p[n] == ':'))
		n++;
	return n;
}

static family *family_of(expo *x, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < x->nf; i++)
		if (strlen(x->f[i].name) == len && strncmp(x->f[i].name, name, len) == 0)
			return &x->f[i];
	if (x->nf == EXPO_MAX_FAMILIES || len >= sizeof x->f[0].name)
		return NULL;
	memset(&x->f[x->nf], 0, sizeof x->f[0]);
	memcpy(x->f[x->nf].name, name, len);
	return &x->f[x->nf++];
}

/* # HELP name text, or # TYPE name type. */
static int parse_meta(expo *x, const char *line, int no)
{
	int type = strncmp(line, "# TYPE ", 7) == 0;
	const char *p = line + 7, *q;
	size_t n;
	family *f;

	if (!type && strncmp(line, "# HELP ", 7) != 0)
		return fail_at(x, no, "a comment that is neither # HELP nor # TYPE");
	if (!(n = name_len(p, 1)) || p[n] != ' ' || !(f = family_of(x, p, n)))
		return fail_at(x, no, "a bad metric name after # HELP/# TYPE");
	if (f->has_samples)
		return fail_at(x, no, "# HELP/# TYPE after the family's samples");
	q = p + n + 1;
	if (!type) {
		if (f->help++)
			return fail_at(x, no, "a second # HELP");
		for (; *q; q++)
			if (*q == '\\' && q[1] != '\\' && q[1] != 'n')
				return fail_at(x, no, "a bad escape in # HELP");
			else if (*q == '\\')
				q++;
		return 0;
	}
	if (f->type[0])
		return fail_at(x, no, "a second # TYPE");
	if (strcmp(q, "counter") && strcmp(q, "gauge") && strcmp(q, "histogram") &&
	    strcmp(q, "summary") && strcmp(q, "untyped"))
		return fail_at(x, no, "an unknown type");
	snprintf(f->type, sizeof f->type, "%s", q);
	return 0;
}

static int cmp_label(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* {name="value",...} at *pp into s->labels (canonical) and s->le. */
static int parse_labels(expo *x, const char **pp, sample *s, int no)
{
	char pairs[16][300], *sorted[16];
	const char *p = *pp + 1;
	size_t np = 0, i, n, k;

	while (*p != '}') {
		if (np == 16 || !(n = name_len(p, 0)) || n > 100 || p[n] != '=' || p[n + 1] != '"')
			return fail_at(x, no, "a bad label name");
		memcpy(pairs[np], p, n);
		pairs[np][n] = '=';
		k = n + 1;
		for (p += n + 2; *p != '"'; p++) {
			if (!*p || k + 2 >= sizeof pairs[0])
				return fail_at(x, no, "an unterminated label value");
			if (*p == '\\') {
				p++;
				if (*p != '\\' && *p != '"' && *p != 'n')
					return fail_at(x, no, "a bad escape in a label value");
				pairs[np][k++] = *p == 'n' ? '\n' : *p;
			} else if (*p == '\n') {
				return fail_at(x, no, "a raw newline in a label value");
			} else {
				pairs[np][k++] = *p;
			}
		}
		pairs[np][k] = '\0';
		for (i = 0; i < np; i++)
			if (strncmp(pairs[i], pairs[np], n + 1) == 0)
				return fail_at(x, no, "a label given twice");
		if (strncmp(pairs[np], "le=", 3) == 0)
			snprintf(s->le, sizeof s->le, "%s", pairs[np] + 3);
		sorted[np] = pairs[np];
		np++;
		p++;
		if (*p == ',' && p[1] != '}')
			p++;
		else if (*p != '}')
			return fail_at(x, no, "labels not separated by ','");
	}
	qsort(sorted, np, sizeof sorted[0], cmp_label);
	for (i = 0; i < np; i++) {
		if (strlen(s->labels) + strlen(sorted[i]) + 2 > sizeof s->labels)
			return fail_at(x, no, "labels too long");
		if (i)
			strcat(s->labels, ",");
		strcat(s->labels, sorted[i]);
	}
	*pp = p + 1;
	return 0;
}

/* The family a sample's name belongs to: its own, or a histogram's for
 * _bucket, _sum and _count. */
static family *sample_family(expo *x, const char *name)
{
	static const char *const sfx[] = {"_bucket", "_sum", "_count"};
	size_t i, n = strlen(name), k;

	for (i = 0; i < x->nf; i++)
		if (strcmp(x->f[i].name, name) == 0 && strcmp(x->f[i].type, "histogram") != 0)
			return &x->f[i];
	for (k = 0; k < 3; k++)
		for (i = 0; i < x->nf; i++)
			if (strcmp(x->f[i].type, "histogram") == 0 && n > strlen(sfx[k]) &&
			    strcmp(name + n - strlen(sfx[k]), sfx[k]) == 0 &&
			    strlen(x->f[i].name) == n - strlen(sfx[k]) &&
			    strncmp(x->f[i].name, name, n - strlen(sfx[k])) == 0)
				return &x->f[i];
	return NULL;
}

static int parse_sample(expo *x, const char *line, int no)
{
	sample *s;
	family *f;
	const char *p = line;
	char *end;
	size_t n, i;

	if (x->n == EXPO_MAX_SAMPLES)
		return fail_at(x, no, "too many samples");
	s = &x->s[x->n];
	memset(s, 0, sizeof *s);
	if (!(n = name_len(p, 1)) || n >= sizeof s->name)
		return fail_at(x, no, "a bad metric name");
	memcpy(s->name, p, n);
	p += n;
	if (*p == '{' && parse_labels(x, &p, s, no) != 0)
		return -1;
	if (*p != ' ')
		return fail_at(x, no, "no space before the value");
	p++;
	if (strcmp(p, "+Inf") == 0 || strcmp(p, "-Inf") == 0 || strcmp(p, "NaN") == 0)
		s->value = strcmp(p, "NaN") == 0 ? NAN : p[0] == '+' ? INFINITY : -INFINITY;
	else if (!*p || (s->value = strtod(p, &end), *end))
		return fail_at(x, no, "a value that is not a float (or a timestamp after it)");
	if (!(f = sample_family(x, s->name)) || !f->type[0])
		return fail_at(x, no, "a sample before its family's # TYPE");
	if (f->closed)
		return fail_at(x, no, "a family's samples not in one group");
	for (i = 0; i < x->nf; i++)
		if (&x->f[i] != f && x->f[i].has_samples)
			x->f[i].closed = 1;
	f->has_samples = 1;
	s->family = (int)(f - x->f);
	if (strcmp(f->type, "counter") == 0 && !(s->value >= 0))
		return fail_at(x, no, "a counter below 0");
	for (i = 0; i < x->n; i++)
		if (strcmp(x->s[i].name, s->name) == 0 && strcmp(x->s[i].labels, s->labels) == 0)
			return fail_at(x, no, "a series given twice");
	x->n++;
	return 0;
}

/* labels without its le (a bucket's series), into out. */
static void without_le(const char *labels, char *out, size_t len)
{
	const char *le = strstr(labels, "le=");

	snprintf(out, len, "%s", labels);
	if (le && (le == labels || le[-1] == ','))
		snprintf(out + (le - labels), len - (size_t)(le - labels), "%s",
		         strchr(le, ',') ? strchr(le, ',') + 1 : "");
}

/* Each histogram's buckets: le rising, counts cumulative, the last le
 * "+Inf" and equal to _count; _sum there. */
static int check_histograms(expo *x)
{
	char key[512], other[512], sname[160];
	size_t i, j;

	for (i = 0; i < x->n; i++) {
		const sample *s = &x->s[i];
		const family *f = &x->f[s->family];
		double prev_le = -INFINITY, prev = 0;
		int inf = 0, sum = 0, count = 0;
		double total = -1;

		if (strcmp(f->type, "histogram") != 0 || strcmp(s->name, f->name) == 0)
			continue;
		snprintf(sname, sizeof sname, "%s_bucket", f->name);
		if (strcmp(s->name, sname) != 0)
			continue;
		without_le(s->labels, key, sizeof key);
		for (j = 0; j < x->n; j++) {
			const sample *t = &x->s[j];
			double le;

			if (t->family != s->family)
				continue;
			without_le(t->labels, other, sizeof other);
			if (strcmp(other, key) != 0)
				continue;
			if (strcmp(t->name, sname) == 0) {
				if (!t->le[0])
					return snprintf(x->err, sizeof x->err, "%s: a bucket without le",
					                f->name), -1;
				le = strcmp(t->le, "+Inf") == 0 ? INFINITY : strtod(t->le, NULL);
				if (inf || !(le > prev_le) || t->value < prev)
					return snprintf(x->err, sizeof x->err, "%s: buckets not rising and"
					                " cumulative at le=%s", f->name, t->le), -1;
				inf = isinf(le);
				prev_le = le;
				prev = t->value;
			} else if (strlen(t->name) == strlen(f->name) + 4) {
				sum = 1;
			} else {
				count = 1;
				total = t->value;
			}
		}
		if (!inf || !sum || !count || prev != total)
			return snprintf(x->err, sizeof x->err, "%s: no +Inf bucket equal to _count,"
			                " or no _sum", f->name), -1;
	}
	return 0;
}

/* Parses text into x: 0, or -1 with x->err saying where and why. */
static int expo_parse(const char *text, expo *x)
{
	char line[2048];
	const char *p = text, *nl;
	int no = 0;

	memset(x, 0, sizeof *x);
	while (*p) {
		no++;
		if (!(nl = strchr(p, '\n')))
			return fail_at(x, no, "the last line does not end in a newline");
		if ((size_t)(nl - p) >= sizeof line)
			return fail_at(x, no, "a line too long");
		memcpy(line, p, (size_t)(nl - p));
		line[nl - p] = '\0';
		p = nl + 1;
		if (!line[0])
			return fail_at(x, no, "an empty line");
		if ((line[0] == '#' ? parse_meta(x, line, no) : parse_sample(x, line, no)) != 0)
			return -1;
	}
	return check_histograms(x);
}

/* The value of series name{labels} (canonical, "" for none), or -1 when
 * there is none (a counter not moved yet). */
static double expo_get(const expo *x, const char *name, const char *labels)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		if (strcmp(x->s[i].name, name) == 0 && strcmp(x->s[i].labels, labels) == 0)
			return x->s[i].value;
	return -1;
}

/* expo_get, with 0 for a missing series. */
static double expo_val(const expo *x, const char *name, const char *labels)
{
	double v = expo_get(x, name, labels);

	return v < 0 ? 0 : v;
}

/* The sum and the number of the series of name. */
static double expo_sum(const expo *x, const char *name, int *count)
{
	double sum = 0;
	size_t i;

	*count = 0;
	for (i = 0; i < x->n; i++)
		if (strcmp(x->s[i].name, name) == 0) {
			sum += x->s[i].value;
			(*count)++;
		}
	return sum;
}

/* The parser refuses what the format does not allow, and takes a good
 * exposition. */
static void test_parser(void **state)
{
	static const char good[] =
		"# HELP a_total things, with \\\\ and \\n\n# TYPE a_total counter\n"
		"a_total{x=\"1\",y=\"q\\\"\\\\\\n\"} 3\na_total{x=\"2\"} 0\n"
		"# TYPE h histogram\nh_bucket{le=\"0.1\"} 1\nh_bucket{le=\"1\"} 2\n"
		"h_bucket{le=\"+Inf\"} 2\nh_sum 0.7\nh_count 2\n# TYPE g gauge\ng -1.5e3\n";
	static const struct {
		const char *text;
		const char *why;
	} bad[] = {
		{"a 1\n", "before its family's # TYPE"},
		{"# TYPE a gauge\n# TYPE a gauge\na 1\n", "a second # TYPE"},
		{"# HELP a x\n# HELP a y\n# TYPE a gauge\na 1\n", "a second # HELP"},
		{"# TYPE a gauge\na 1\n# HELP a late\n", "after the family's samples"},
		{"# TYPE 1a gauge\n1a 1\n", "bad metric name"},
		{"# TYPE a gauge\na{1x=\"v\"} 1\n", "bad label name"},
		{"# TYPE a gauge\na{x=\"\\t\"} 1\n", "bad escape"},
		{"# TYPE a gauge\na{x=\"v} 1\n", "unterminated"},
		{"# TYPE a gauge\na{x=\"v\" y=\"w\"} 1\n", "not separated"},
		{"# TYPE a gauge\na{x=\"v\",x=\"w\"} 1\n", "label given twice"},
		{"# TYPE a gauge\na one\n", "not a float"},
		{"# TYPE a gauge\na 1 1700000000\n", "not a float"},
		{"# TYPE a_total counter\na_total -1\n", "counter below 0"},
		{"# TYPE a gauge\na{x=\"v\"} 1\na{x=\"v\"} 2\n", "given twice"},
		{"# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na{x=\"v\"} 1\n", "one group"},
		{"# TYPE a gauge\na 1", "newline"},
		{"# TYPE a gauge\n\na 1\n", "empty line"},
		{"# a comment\n", "neither"},
		{"# TYPE a widget\n", "unknown type"},
		{"# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"0.1\"} 3\n"
		 "h_bucket{le=\"+Inf\"} 3\nh_sum 1\nh_count 3\n", "not rising"},
		{"# TYPE h histogram\nh_bucket{le=\"0.1\"} 2\nh_bucket{le=\"1\"} 1\n"
		 "h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n", "cumulative"},
		{"# TYPE h histogram\nh_bucket{le=\"0.1\"} 1\nh_sum 1\nh_count 1\n", "+Inf"},
		{"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n", "+Inf"},
	};
	expo *x = malloc(sizeof *x);
	size_t i;

	(void)state;
	assert_non_null(x);
	if (expo_parse(good, x) != 0)
		fail_msg("good exposition refused: %s", x->err);
	assert_true(expo_get(x, "a_total", "x=1,y=q\"\\\n") == 3);
	assert_true(expo_get(x, "h_bucket", "le=+Inf") == 2);
	assert_true(expo_get(x, "g", "") == -1500);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (expo_parse(bad[i].text, x) == 0)
			fail_msg("case %zu accepted: %s", i, bad[i].text);
		if (!strstr(x->err, bad[i].why))
			fail_msg("case %zu: %s, expected \"%s\"", i, x->err, bad[i].why);
	}
	free(x);
}

/* ------------------------------------------------------------------ */
/* A server, devices and scrapes                                       */

typedef struct fixture {
	char dir[512];
	char db[1024];
	char url[64];
	char log[1024];        /* the request log's file */
	char cert[1024], key[1024]; /* serve HTTPS with them, when set */
	int log_fd;
	saola_server *srv;
	saola__store *st;
	char admin[SAOLA__TOKEN_HEX + 1];
	char alice[SAOLA__TOKEN_HEX + 1];   /* surveyor of commune 14404 */
	char bob[SAOLA__TOKEN_HEX + 1];     /* another, same commune */
	char district[SAOLA__TOKEN_HEX + 1];
} fixture;

static void start(fixture *fx, int log_format)
{
	saola_server_opts o;

	memset(&o, 0, sizeof o);
	o.db_path = fx->db;
	o.listen = "127.0.0.1:0";
	o.schemas = SAOLA_TEST_SCHEMAS;
	o.log_format = log_format;
	o.log_fd = fx->log_fd;
	o.tls_cert = fx->cert[0] ? fx->cert : NULL;
	o.tls_key = fx->key[0] ? fx->key : NULL;
	if (saola_server_start(&o, &fx->srv) != SAOLA_OK)
		fail_msg("server start: %s", saola_server_errmsg(fx->srv));
	snprintf(fx->url, sizeof fx->url, "%s://127.0.0.1:%d", o.tls_cert ? "https" : "http",
	         saola_server_port(fx->srv));
}

static void add_user(fixture *fx, const char *name, const char *role, const char *area,
                     char token[SAOLA__TOKEN_HEX + 1])
{
	saola__err e;

	if (saola__user_create(fx->st, name, role, area, token, &e) != 0)
		fail_msg("user add %s: %s", name, e.message);
}

/* A server (logging in log_format to a file) with its users; tls: over
 * HTTPS with a new certificate valid for tls days. */
static fixture *fixture_new(int log_format, int tls)
{
	fixture *fx = calloc(1, sizeof *fx);
	char out[4096], err[4096];

	assert_non_null(fx);
	snprintf(fx->dir, sizeof fx->dir, "%s", tu_tmpdir("metrics"));
	if (tls) {
		snprintf(fx->cert, sizeof fx->cert, "%s", tu_path(fx->dir, "cert.pem"));
		snprintf(fx->key, sizeof fx->key, "%s", tu_path(fx->dir, "key.pem"));
		if (tu_runf(out, sizeof out, err, sizeof err, "openssl req -x509 -newkey ec"
		            " -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout '%s' -out '%s'"
		            " -days %d -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1",
		            fx->key, fx->cert, tls) != 0)
			fail_msg("openssl: %s%s", out, err);
	}
	snprintf(fx->db, sizeof fx->db, "%s", pgt_db(tu_path(fx->dir, "server.db")));
	snprintf(fx->log, sizeof fx->log, "%s", tu_path(fx->dir, "requests.log"));
	fx->log_fd = open(fx->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	assert_true(fx->log_fd > 0);
	start(fx, log_format);
	fx->st = sv_store(fx->db);
	add_user(fx, "admin", "admin", NULL, fx->admin);
	add_user(fx, "alice", "surveyor", "14404", fx->alice);
	add_user(fx, "bob", "surveyor", "14404", fx->bob);
	add_user(fx, "district372", "district", "372", fx->district);
	return fx;
}

static int setup(void **state)
{
	*state = fixture_new(SAOLA_LOG_NONE, 0);
	return 0;
}

static int setup_json_log(void **state)
{
	*state = fixture_new(SAOLA_LOG_JSON, 0);
	return 0;
}

static int setup_text_log(void **state)
{
	*state = fixture_new(SAOLA_LOG_TEXT, 0);
	return 0;
}

static int setup_tls(void **state)
{
	*state = fixture_new(SAOLA_LOG_NONE, 30);
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;

	saola_server_stop(fx->srv);
	saola__store_close(fx->st);
	close(fx->log_fd);
	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

typedef struct scraped {
	long status;
	char type[128];
	char *body;
	size_t len;
} scraped;

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	scraped *s = arg;
	char *grown = realloc(s->body, s->len + size * n + 1);

	if (!grown)
		return 0;
	s->body = grown;
	memcpy(s->body + s->len, p, size * n);
	s->len += size * n;
	s->body[s->len] = '\0';
	return size * n;
}

/* method on path with token (NULL: none) and one more header line (NULL:
 * none), its Content-Type kept. */
static scraped call(fixture *fx, const char *method, const char *path, const char *token,
                    const char *header)
{
	struct curl_slist *h = NULL;
	char url[256], auth[128];
	const char *type = NULL;
	scraped s = {0, "", NULL, 0};
	CURL *c = curl_easy_init();

	assert_non_null(c);
	snprintf(url, sizeof url, "%s%s", fx->url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	/* The certificate's own check is test_tls's: here its date counts. */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	if (token) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
	}
	if (header)
		h = curl_slist_append(h, header);
	if (h)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (curl_easy_perform(c) != CURLE_OK)
		fail_msg("%s %s: no answer", method, path);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &s.status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type);
	snprintf(s.type, sizeof s.type, "%s", type ? type : "");
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (!s.body)
		s.body = calloc(1, 1);
	return s;
}

static scraped get(fixture *fx, const char *path, const char *token)
{
	return call(fx, "GET", path, token, NULL);
}

/* Scrapes /metrics (token may be NULL: from loopback) into x, which must
 * parse. */
static void scrape(fixture *fx, const char *token, expo *x)
{
	scraped s = get(fx, "/metrics", token);

	if (s.status != 200)
		fail_msg("GET /metrics: %ld %s", s.status, s.body);
	assert_string_equal(s.type, SAOLA__METRICS_TYPE);
	if (expo_parse(s.body, x) != 0)
		fail_msg("GET /metrics: %s in:\n%s", x->err, s.body);
	free(s.body);
}

static void sync_ok(saola *db, saola_sync_stats *st)
{
	saola_sync_opts o;

	memset(&o, 0, sizeof o);
	memset(st, 0, sizeof *st);
	if (saola_sync(db, &o, st) != SAOLA_OK)
		fail_msg("sync: %s", saola_errmsg(db));
}

#define SYNC_OK "code=200,method=POST,route=/v1/sync"
#define FORMS_OK "code=200,method=GET,route=/v1/forms"

/* /metrics from loopback, without a token, parses and holds every family
 * of docs/server.md on a new server. */
static void test_scrape_from_loopback(void **state)
{
	static const char *const families[] = {
		"saola_build_info", "saola_start_time_seconds", "saola_http_requests_total",
		"saola_http_request_bytes_total", "saola_http_response_bytes_total",
		"saola_sync_duration_seconds", "saola_sync_changes_received_total",
		"saola_sync_changes_applied_total", "saola_sync_conflicts_total", "saola_store_up",
		"saola_conflicts_open", "saola_devices_seen", "saola_database_bytes",
	};
	fixture *fx = *state;
	expo *x = malloc(sizeof *x);
	size_t i, k;
	int n;

	assert_non_null(x);
	scrape(fx, NULL, x);
	for (i = 0; i < sizeof families / sizeof families[0]; i++) {
		for (k = 0; k < x->nf && strcmp(x->f[k].name, families[i]) != 0; k++)
			;
		if (k == x->nf || !x->f[k].help)
			fail_msg("no family %s with its # HELP", families[i]);
	}
	assert_true(expo_get(x, "saola_build_info", "version=" SAOLA_VERSION) == 1);
	assert_true(expo_get(x, "saola_start_time_seconds", "") > 1.7e9);
	assert_true(expo_get(x, "saola_store_up", "") == 1);
	assert_true(expo_get(x, "saola_conflicts_open", "") == 0);
	assert_true(expo_get(x, "saola_devices_seen", "window=1d") == 0);
	assert_true(expo_get(x, "saola_database_bytes", "") > 0);
	if (!pgt_store_pg())
		assert_true(expo_get(x, "saola_disk_free_bytes", "") > 0);
	/* No TLS, no upstream: no such gauge. */
	assert_true(expo_get(x, "saola_tls_certificate_expiry_timestamp_seconds", "") == -1);
	assert_true(expo_get(x, "saola_upstream_last_sync_timestamp_seconds", "") == -1);
	assert_true(expo_get(x, "saola_sync_duration_seconds_count", "") == 0);
	/* The scrape itself is counted once it is over: the second sees it. */
	scrape(fx, NULL, x);
	assert_true(expo_get(x, "saola_http_requests_total",
	                     "code=200,method=GET,route=/metrics") == 1);
	assert_true(expo_sum(x, "saola_http_requests_total", &n) == 1);
	assert_true(expo_get(x, "saola_http_response_bytes_total", "") > 0);
	/* A district that synced with its upstream says when. */
	assert_int_equal(fx->st->ops->write_begin(fx->st, 1), SAOLA_OK);
	assert_int_equal(fx->st->ops->state_set(fx->st, "upstream_last_sync",
	                                        "2026-01-02T03:04:05Z"), SAOLA_OK);
	assert_int_equal(fx->st->ops->end(fx->st, 1), SAOLA_OK);
	scrape(fx, NULL, x);
	assert_true(expo_get(x, "saola_upstream_last_sync_timestamp_seconds", "") == 1767323045);
	free(x);
}

/* A device's sync moves the counters by what it did: requests, changes,
 * the histogram, devices seen; a concurrent edit from a second device
 * moves the conflicts, and the conflict log's open count. */
static void test_counters_move_with_syncs(void **state)
{
	fixture *fx = *state;
	expo *before = malloc(sizeof *before), *after = malloc(sizeof *after);
	json_t *ids = json_array(), *edit;
	saola_sync_stats st;
	saola *a, *b;
	saola_gen *gen;
	json_t *req;
	const char *id;
	char rid[37], *body;
	double syncs, applied;
	int i;

	assert_non_null(before);
	assert_non_null(after);
	a = st_device(tu_path(fx->dir, "a.db"), fx->url, fx->alice);
	b = st_device(tu_path(fx->dir, "b.db"), fx->url, fx->bob);
	st_put_households(a, 11, "14404", 25, ids);
	scrape(fx, NULL, before);
	sync_ok(a, &st);
	assert_int_equal(st.records_up, 25);
	scrape(fx, NULL, after);
	syncs = expo_val(after, "saola_http_requests_total", SYNC_OK) -
	        expo_val(before, "saola_http_requests_total", SYNC_OK);
	assert_true(syncs >= 1);
	assert_true(syncs + expo_val(after, "saola_http_requests_total", FORMS_OK) -
	            expo_val(before, "saola_http_requests_total", FORMS_OK) == st.requests);
	assert_true(expo_val(after, "saola_sync_changes_applied_total", "") -
	            expo_val(before, "saola_sync_changes_applied_total", "") == 25);
	assert_true(expo_val(after, "saola_sync_changes_received_total", "") -
	            expo_val(before, "saola_sync_changes_received_total", "") == 25);
	assert_true(expo_val(after, "saola_sync_duration_seconds_count", "") -
	            expo_val(before, "saola_sync_duration_seconds_count", "") == syncs);
	assert_true(expo_val(after, "saola_sync_duration_seconds_sum", "") > 0);
	assert_true(expo_val(after, "saola_http_request_bytes_total", "") -
	            expo_val(before, "saola_http_request_bytes_total", "") > 0);
	assert_true(expo_get(after, "saola_devices_seen", "window=1d") == 1);
	assert_true(expo_get(after, "saola_sync_conflicts_total", "") == 0);

	/* The same record's head renamed on both devices: one value loses. */
	sync_ok(b, &st);
	id = json_string_value(json_array_get(ids, 3));
	edit = st_head_edit(a, id, "Nguyễn Văn An");
	assert_int_equal(saola_put(a, "household", id, edit, NULL), SAOLA_OK);
	json_decref(edit);
	edit = st_head_edit(b, id, "Trần Thị Bình");
	assert_int_equal(saola_put(b, "household", id, edit, NULL), SAOLA_OK);
	json_decref(edit);
	sync_ok(a, &st);
	sync_ok(b, &st);
	assert_true(st.conflicts >= 1);
	scrape(fx, NULL, before);
	assert_true(expo_get(before, "saola_sync_conflicts_total", "") == st.conflicts);
	assert_true(expo_get(before, "saola_conflicts_open", "") == st.conflicts);
	assert_true(expo_get(before, "saola_devices_seen", "window=1d") == 2);
	/* a's edit changed its record; b's, which met it, may have lost. */
	applied = expo_val(before, "saola_sync_changes_applied_total", "");
	assert_true(applied == 26 || applied == 27);

	/* A batch sent twice counts once: the second answer repeats the
	 * first's figures, as a replay's. */
	assert_non_null(gen = saola_gen_new(5));
	req = sv_request("replayed-1", "device-r", 0, 0,
	                 json_pack("[o]", sv_household(gen, "14404", rid)));
	body = json_dumps(req, JSON_COMPACT);
	for (i = 0; i < 2; i++) {
		sv_resp r = sv_http(fx->url, "POST", "/v1/sync", fx->alice, NULL, body, strlen(body),
		                    0);
		assert_int_equal(r.status, 200);
		assert_int_equal(sv_jint(r.json, "applied"), 1);
		assert_int_equal(json_is_true(json_object_get(r.json, "duplicate")), i == 1);
		sv_resp_free(&r);
	}
	scrape(fx, NULL, after);
	assert_true(expo_val(after, "saola_sync_changes_applied_total", "") == applied + 1);
	assert_true(expo_val(after, "saola_sync_changes_received_total", "") ==
	            expo_val(before, "saola_sync_changes_received_total", "") + 1);
	assert_true(expo_get(after, "saola_devices_seen", "window=1d") == 3);
	free(body);
	json_decref(req);
	saola_gen_free(gen);
	saola_close(a);
	saola_close(b);
	json_decref(ids);
	free(before);
	free(after);
}

/* Serving HTTPS, the certificate's notAfter (read at start) is a gauge. */
static void test_certificate_expiry(void **state)
{
	fixture *fx = *state;
	expo *x = malloc(sizeof *x);
	double expires, now = (double)time(NULL);

	assert_non_null(x);
	assert_non_null(strstr(fx->url, "https://"));
	scrape(fx, NULL, x);
	expires = expo_get(x, "saola_tls_certificate_expiry_timestamp_seconds", "");
	if (expires < now + 29 * 86400.0 || expires > now + 31 * 86400.0)
		fail_msg("certificate expiry %.0f, now %.0f: expected in 30 days", expires, now);
	free(x);
}

/* Who may read /metrics: any caller from loopback, or an admin's token
 * from anywhere; another user from elsewhere is refused 403, no token
 * 401. The server listens on 127.0.0.1 in tests: the decision is tested
 * on addresses of every kind, and over HTTP for what loopback reaches. */
static void test_access(void **state)
{
	static const struct {
		const char *addr;
		int loopback;
	} addrs[] = {
		{"127.0.0.1", 1}, {"127.45.6.7", 1}, {"::1", 1}, {"::ffff:127.0.0.1", 1},
		{"10.0.0.1", 0}, {"128.0.0.1", 0}, {"0.0.0.0", 0}, {"::ffff:10.1.2.3", 0},
		{"2001:db8::1", 0}, {"::", 0}, {"::2", 0},
	};
	static const char *const roles[] = {NULL, "surveyor", "commune", "district", "province",
	                                    "admin"};
	fixture *fx = *state;
	saola__user u;
	saola__err e;
	size_t i, r;
	scraped s;

	for (i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
		struct sockaddr_storage ss;
		struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;

		memset(&ss, 0, sizeof ss);
		if (inet_pton(AF_INET, addrs[i].addr, &v4->sin_addr) == 1)
			v4->sin_family = AF_INET;
		else if (inet_pton(AF_INET6, addrs[i].addr, &v6->sin6_addr) == 1)
			v6->sin6_family = AF_INET6;
		else
			fail_msg("address %s", addrs[i].addr);
		assert_int_equal(saola__is_loopback((struct sockaddr *)&ss), addrs[i].loopback);
		for (r = 0; r < sizeof roles / sizeof roles[0]; r++) {
			int rc;

			memset(&u, 0, sizeof u);
			if (roles[r]) {
				u.id = 7;
				snprintf(u.name, sizeof u.name, "u%zu", r);
				snprintf(u.role, sizeof u.role, "%s", roles[r]);
			}
			rc = saola__local_or_admin((struct sockaddr *)&ss, roles[r] ? &u : NULL, &e);
			if (addrs[i].loopback || (roles[r] && strcmp(roles[r], "admin") == 0)) {
				assert_int_equal(rc, 0);
				continue;
			}
			assert_int_equal(rc, -1);
			assert_int_equal(saola__err_status(&e), roles[r] ? 403 : 401);
		}
	}
	assert_int_equal(saola__local_or_admin(NULL, NULL, &e), -1);
	assert_int_equal(saola__err_status(&e), 401);
	/* Over HTTP, from 127.0.0.1: open, with or without a token, an
	 * admin's or a surveyor's; a token that is no user's is not looked
	 * at either. */
	s = get(fx, "/metrics", fx->admin);
	assert_int_equal(s.status, 200);
	free(s.body);
	s = get(fx, "/metrics", fx->alice);
	assert_int_equal(s.status, 200);
	free(s.body);
	s = get(fx, "/metrics", "0000000000000000000000000000000000000000000000000000000000000000");
	assert_int_equal(s.status, 200);
	free(s.body);
	/* Through a proxy on this machine (a forwarding header): the caller is
	 * elsewhere, and needs an admin's token. */
	{
		static const char *const via[] = {"X-Forwarded-For: 203.0.113.9",
			"Forwarded: for=203.0.113.9", "X-Real-IP: 203.0.113.9"};
		size_t k;

		for (k = 0; k < sizeof via / sizeof via[0]; k++) {
			s = call(fx, "GET", "/metrics", NULL, via[k]);
			assert_int_equal(s.status, 401);
			free(s.body);
			s = call(fx, "GET", "/metrics", fx->alice, via[k]);
			assert_int_equal(s.status, 403);
			free(s.body);
			s = call(fx, "GET", "/metrics", fx->admin, via[k]);
			assert_int_equal(s.status, 200);
			free(s.body);
		}
	}
}

/* Labels are bounded: a flood of paths no route has is one series, and a
 * method that is neither GET nor POST is "other". */
static void test_labels_bounded(void **state)
{
	fixture *fx = *state;
	expo *x = malloc(sizeof *x);
	char path[64];
	int i, n;
	scraped s;
	sv_resp r;

	assert_non_null(x);
	for (i = 0; i < 40; i++) {
		snprintf(path, sizeof path, "/v1/nothing-%d", i);
		r = sv_http(fx->url, "GET", path, NULL, NULL, NULL, 0, 0);
		assert_int_equal(r.status, 404);
		sv_resp_free(&r);
	}
	s = call(fx, "DELETE", "/v1/sync", fx->alice, NULL);
	assert_int_equal(s.status, 405);
	free(s.body);
	r = sv_http(fx->url, "GET", "/v1/conflicts/12/resolve", fx->admin, NULL, NULL, 0, 0);
	assert_int_equal(r.status, 405);
	sv_resp_free(&r);
	r = sv_http(fx->url, "GET", "/v1/reports", fx->alice, NULL, NULL, 0, 0);
	assert_int_equal(r.status, 403);
	sv_resp_free(&r);
	scrape(fx, NULL, x);
	assert_true(expo_get(x, "saola_http_requests_total", "code=404,method=GET,route=other")
	            == 40);
	assert_true(expo_get(x, "saola_http_requests_total", "code=405,method=other,route=other")
	            == 1);
	assert_true(expo_get(x, "saola_http_requests_total", "code=405,method=GET,route=other")
	            == 1);
	assert_true(expo_get(x, "saola_http_requests_total",
	                     "code=403,method=GET,route=/v1/reports") == 1);
	assert_true(expo_sum(x, "saola_http_requests_total", &n) == 43);
	assert_int_equal(n, 4);
	free(x);
	/* Every status the server sends has a slot of its own. */
	assert_int_equal(saola__metrics_status_slot(0), saola__metrics_status_slot(0));
	assert_true(saola__metrics_status_slot(200) != saola__metrics_status_slot(299));
	assert_true(saola__metrics_status_slot(503) != saola__metrics_status_slot(599));
	assert_int_equal(saola__metrics_status_slot(299), saola__metrics_status_slot(599));
	assert_true(saola__metrics_status_slot(0) != saola__metrics_status_slot(599));
}

/* The log file's lines, as a new array of strings. */
static json_t *log_lines(fixture *fx)
{
	size_t len = 0;
	char *text = tu_read_file(fx->log, &len), *p, *nl;
	json_t *lines = json_array();

	assert_non_null(text);
	assert_true(len == 0 || text[len - 1] == '\n');
	for (p = text; (nl = strchr(p, '\n')); p = nl + 1) {
		*nl = '\0';
		json_array_append_new(lines, json_string(p));
	}
	free(text);
	return lines;
}

/* s as the log would escape it (reqlog.h): non-ASCII bytes as %XX. */
static void escaped(const char *s, char *out, size_t len)
{
	size_t k = 0;

	for (; *s && k + 4 < len; s++)
		if ((unsigned char)*s > 0x20 && (unsigned char)*s < 0x7f && *s != '%')
			out[k++] = *s;
		else
			k += (size_t)snprintf(out + k, len - k, "%%%02X", (unsigned char)*s);
	out[k] = '\0';
}

/* The JSON request log: one object a line with every key, each sync's
 * user, device and figures, and never a token, an answer or a query. */
static void test_request_log_json(void **state)
{
	static const char *const keys[] = {"time", "addr", "user", "device", "method", "route",
	                                   "path", "status", "bytes_in", "bytes_out", "ms"};
	fixture *fx = *state;
	json_t *ids = json_array(), *rec = NULL, *lines, *line;
	char head[256], head_esc[768];
	const char *text;
	saola_sync_stats st;
	size_t i, k;
	long syncs = 0, n_lines;
	sv_resp r;
	saola *a;
	int counted;
	expo *x = malloc(sizeof *x);

	assert_non_null(x);
	a = st_device(tu_path(fx->dir, "a.db"), fx->url, fx->alice);
	st_put_households(a, 5, "14404", 6, ids);
	assert_int_equal(saola_get(a, json_string_value(json_array_get(ids, 0)), &rec), SAOLA_OK);
	snprintf(head, sizeof head, "%s", json_string_value(json_object_get(json_array_get(
	         json_object_get(json_object_get(rec, "data"), "members"), 0), "name")));
	assert_true(strlen(head) > 3);
	escaped(head, head_esc, sizeof head_esc);
	sync_ok(a, &st);
	r = sv_http(fx->url, "GET", "/v1/households.csv?personal=1&name=secret", fx->district,
	            NULL, NULL, 0, 0);
	sv_resp_free(&r);
	scrape(fx, NULL, x);
	saola_server_stop(fx->srv);   /* every line written */
	fx->srv = NULL;

	lines = log_lines(fx);
	n_lines = (long)json_array_size(lines);
	/* One line a request: the syncs, the CSV, the scrape (which counted
	 * all but itself). */
	assert_true(expo_sum(x, "saola_http_requests_total", &counted) == n_lines - 1);
	json_array_foreach(lines, i, line) {
		json_error_t err;
		json_t *o;

		text = json_string_value(line);
		if (!(o = json_loads(text, 0, &err)))
			fail_msg("log line %zu is not JSON: %s: %s", i, err.text, text);
		assert_int_equal(json_object_size(o), sizeof keys / sizeof keys[0]);
		for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
			if (!json_object_get(o, keys[k]))
				fail_msg("log line %zu has no %s: %s", i, keys[k], text);
		assert_int_equal(strlen(json_string_value(json_object_get(o, "time"))), 24);
		assert_string_equal(json_string_value(json_object_get(o, "addr")), "127.0.0.1");
		assert_true(json_integer_value(json_object_get(o, "ms")) >= 0);
		if (strcmp(json_string_value(json_object_get(o, "route")), "/v1/sync") == 0) {
			syncs++;
			assert_string_equal(json_string_value(json_object_get(o, "user")), "alice");
			assert_string_equal(json_string_value(json_object_get(o, "device")),
			                    saola_origin(a));
			assert_string_equal(json_string_value(json_object_get(o, "method")), "POST");
			assert_int_equal(json_integer_value(json_object_get(o, "status")), 200);
			assert_true(json_integer_value(json_object_get(o, "bytes_in")) > 0);
			assert_true(json_integer_value(json_object_get(o, "bytes_out")) > 0);
		} else if (strcmp(json_string_value(json_object_get(o, "route")),
		                  "/v1/households.csv") == 0) {
			assert_string_equal(json_string_value(json_object_get(o, "user")),
			                    "district372");
			assert_string_equal(json_string_value(json_object_get(o, "path")),
			                    "/v1/households.csv");
			assert_true(json_is_null(json_object_get(o, "device")));
		} else if (strcmp(json_string_value(json_object_get(o, "route")), "/metrics") == 0) {
			assert_true(json_is_null(json_object_get(o, "user")));
		}
		json_decref(o);
		/* Nothing of a token, an answer or a query string. */
		if (strstr(text, fx->alice) || strstr(text, fx->district) || strstr(text, head) ||
		    strstr(text, head_esc) || strstr(text, "secret") || strstr(text, "personal"))
			fail_msg("log line %zu tells too much: %s", i, text);
	}
	assert_true(syncs >= 1);
	json_decref(lines);
	json_decref(rec);
	json_decref(ids);
	saola_close(a);
	free(x);
}

/* The one line of lines that holds text, or the test fails. */
static const char *line_with(json_t *lines, const char *text)
{
	const char *found = NULL;
	json_t *line;
	size_t i;

	json_array_foreach(lines, i, line)
		if (strstr(json_string_value(line), text)) {
			if (found)
				fail_msg("two lines with %s", text);
			found = json_string_value(line);
		}
	if (!found)
		fail_msg("no line with %s", text);
	return found;
}

/* The text log: eleven fields a line, a client's odd path escaped, its
 * query left out. */
static void test_request_log_text(void **state)
{
	fixture *fx = *state;
	json_t *lines;
	const char *line;
	char f[11][400];
	sv_resp r;
	int n;

	r = sv_http(fx->url, "GET", "/healthz", NULL, NULL, NULL, 0, 0);
	assert_int_equal(r.status, 200);
	sv_resp_free(&r);
	r = sv_http(fx->url, "GET", "/odd%20path%22%0A%1b[31m?q=secret", NULL, NULL, NULL, 0, 0);
	assert_int_equal(r.status, 404);
	sv_resp_free(&r);
	r = sv_http(fx->url, "GET", "/v1/forms", fx->alice, NULL, NULL, 0, 0);
	assert_int_equal(r.status, 200);
	sv_resp_free(&r);
	saola_server_stop(fx->srv);
	fx->srv = NULL;
	lines = log_lines(fx);
	assert_int_equal(json_array_size(lines), 3);

	/* Lines come as requests end, on several threads: found by path. */
	line = line_with(lines, " /healthz ");
	n = sscanf(line, "%399s %399s %399s %399s %399s %399s %399s %399s %399s %399s %399s",
	           f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10]);
	assert_int_equal(n, 11);
	assert_int_equal(strlen(f[0]), 24);
	assert_true(f[0][10] == 'T' && f[0][19] == '.' && f[0][23] == 'Z');
	assert_string_equal(f[1], "127.0.0.1");
	assert_string_equal(f[2], "-");
	assert_string_equal(f[3], "-");
	assert_string_equal(f[4], "GET");
	assert_string_equal(f[5], "/healthz");
	assert_string_equal(f[6], "/healthz");
	assert_string_equal(f[7], "200");
	assert_string_equal(f[8], "0");
	assert_true(atoi(f[9]) > 0);

	line = line_with(lines, " /odd");
	assert_int_equal(sscanf(line, "%*s %*s %*s %*s %*s %399s %399s %399s", f[5], f[6], f[7]),
	                 3);
	assert_string_equal(f[5], "-");
	assert_string_equal(f[6], "/odd%20path%22%0A%1B[31m");
	assert_string_equal(f[7], "404");
	assert_null(strstr(line, "secret"));
	assert_null(strchr(line, '\x1b'));

	line = line_with(lines, " /v1/forms ");
	assert_int_equal(sscanf(line, "%*s %*s %399s %*s %*s %399s", f[2], f[5]), 2);
	assert_string_equal(f[2], "alice");
	assert_string_equal(f[5], "/v1/forms");
	assert_null(strstr(line, fx->alice));
	json_decref(lines);
}

/* `saola-server serve` with format (NULL: its default), stderr into a
 * file: one GET /healthz, then SIGTERM; the file's text into err. */
static void serve_once(const char *dir, const char *format, char *err, size_t errlen)
{
	char db[1100], errfile[1100], line[256], url[64];
	int fds[2], status, port = 0, efd;
	size_t n;
	FILE *out, *f;
	pid_t pid;
	sv_resp r;

	snprintf(db, sizeof db, "%s/served.db", dir);
	snprintf(errfile, sizeof errfile, "%s/served.err", dir);
	assert_int_equal(pipe(fds), 0);
	assert_true((efd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600)) > 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(efd, 2);
		close(fds[0]);
		close(fds[1]);
		if (format)
			execl(st_server_bin(), "saola-server", "serve", "--db", db, "--listen",
			      "127.0.0.1:0", "--schemas", SAOLA_TEST_SCHEMAS, "--log-format", format,
			      (char *)NULL);
		else
			execl(st_server_bin(), "saola-server", "serve", "--db", db, "--listen",
			      "127.0.0.1:0", "--schemas", SAOLA_TEST_SCHEMAS, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	close(efd);
	assert_non_null(out = fdopen(fds[0], "r"));
	if (fgets(line, sizeof line, out) &&
	    sscanf(line, "listening on http://127.0.0.1:%d", &port) == 1) {
		snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
		r = sv_http(url, "GET", "/healthz", NULL, NULL, NULL, 0, 0);
		assert_int_equal(r.status, 200);
		sv_resp_free(&r);
		assert_int_equal(kill(pid, SIGTERM), 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	fclose(out);
	assert_non_null(f = fopen(errfile, "r"));
	n = fread(err, 1, errlen - 1, f);
	err[n] = '\0';
	fclose(f);
	if (!port)
		assert_int_equal(WEXITSTATUS(status), 2);
}

/* The command logs text unless told: json, or none. */
static void test_serve_command_logs(void **state)
{
	const char *dir = tu_tmpdir("metrics-serve");
	char err[4096];

	(void)state;
	serve_once(dir, NULL, err, sizeof err);
	if (!strstr(err, " 127.0.0.1 - - GET /healthz /healthz 200 0 "))
		fail_msg("serve: no text line for GET /healthz in:\n%s", err);
	serve_once(dir, "json", err, sizeof err);
	if (!strstr(err, "\"route\":\"/healthz\",\"path\":\"/healthz\",\"status\":200"))
		fail_msg("serve --log-format json: no line for GET /healthz in:\n%s", err);
	serve_once(dir, "none", err, sizeof err);
	assert_null(strstr(err, "/healthz"));
	serve_once(dir, "yaml", err, sizeof err);
	assert_non_null(strstr(err, "--log-format \"yaml\": expected text, json or none"));
	tu_rmtree(dir);
}

/* A log format the server does not know is refused at start. */
static void test_log_options_checked(void **state)
{
	saola_server_opts o;
	saola_server *srv = NULL;
	const char *dir = tu_tmpdir("metrics-opts");

	(void)state;
	memset(&o, 0, sizeof o);
	o.db_path = tu_path(dir, "server.db");
	o.listen = "127.0.0.1:0";
	o.schemas = SAOLA_TEST_SCHEMAS;
	o.log_format = 3;
	assert_int_equal(saola_server_start(&o, &srv), SAOLA_INVALID);
	assert_non_null(strstr(saola_server_errmsg(srv), "log_format 3"));
	saola_server_stop(srv);
	srv = NULL;
	o.log_format = SAOLA_LOG_TEXT;
	o.log_fd = -1;
	assert_int_equal(saola_server_start(&o, &srv), SAOLA_INVALID);
	saola_server_stop(srv);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parser),
		cmocka_unit_test_setup_teardown(test_scrape_from_loopback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters_move_with_syncs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_certificate_expiry, setup_tls, teardown),
		cmocka_unit_test_setup_teardown(test_access, setup, teardown),
		cmocka_unit_test_setup_teardown(test_labels_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_log_json, setup_json_log, teardown),
		cmocka_unit_test_setup_teardown(test_request_log_text, setup_text_log, teardown),
		cmocka_unit_test(test_log_options_checked),
		cmocka_unit_test(test_serve_command_logs),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
