/* fixture_server.c: a stand-in for saola-server in the browser test: serves
 * the dashboard's files (server/web/) and fixed JSON answers from a fixture
 * folder, on 127.0.0.1 at a free port, until SIGTERM or SIGINT.
 *
 * usage: fixture_server FIXTURE_DIR WEB_DIR LOG_FILE
 * Prints "listening on http://127.0.0.1:PORT" once it listens. A request of
 * /v1/<a>/<b> needs "Authorization: Bearer <64 hex digits>" (else 401) and
 * is answered with FIXTURE_DIR/<a>_<b>.<state>.json when ?state= is given
 * and that file exists, else FIXTURE_DIR/<a>_<b>.json (a path ending in .csv:
 * the file of that name), else 404. Every request (path and query) is
 * appended to LOG_FILE, a line each, so the test can tell what the page
 * asked. Any other path is a file of WEB_DIR ("/" is index.html). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

static const char *fixtures, *web, *log_path;

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static const char *type_of(const char *path)
{
	static const char *const types[][2] = {{".html", "text/html; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
		{".svg", "image/svg+xml"}, {".json", "application/json; charset=utf-8"},
		{".csv", "text/csv; charset=utf-8"}};
	size_t n = strlen(path), k, i;

	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		k = strlen(types[i][0]);
		if (n >= k && strcmp(path + n - k, types[i][0]) == 0)
			return types[i][1];
	}
	return "application/octet-stream";
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *type,
                              char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (strncmp(type, "text/html", 9) == 0)
		MHD_add_response_header(r, "Content-Security-Policy",
		                        "default-src 'self'; img-src 'self' data:; style-src 'self';"
		                        " script-src 'self'; connect-src 'self'; base-uri 'none'");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result error(struct MHD_Connection *c, unsigned status, const char *what)
{
	char *body = malloc(256);

	if (!body)
		return MHD_NO;
	snprintf(body, 256, "{\"error\":{\"code\":\"%s\",\"message\":\"fixture_server: %s\"}}",
	         status == 401 ? "unauthorized" : "not_found", what);
	return answer(c, status, "application/json; charset=utf-8", body, strlen(body));
}

/* Appends "key=value&" of each query argument to the log line. */
static enum MHD_Result log_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
	(void)kind;
	fprintf((FILE *)cls, "%s%s=%s", ftell((FILE *)cls) ? "&" : "", key, value ? value : "");
	return MHD_YES;
}

static void log_request(struct MHD_Connection *c, const char *url)
{
	FILE *args = tmpfile(), *out = fopen(log_path, "a");
	char line[1024] = "";
	size_t n = 0;

	if (args) {
		MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, log_arg, args);
		rewind(args);
		n = fread(line, 1, sizeof line - 1, args);
		line[n] = '\0';
		fclose(args);
	}
	if (out) {
		fprintf(out, "%s%s%s\n", url, n ? "?" : "", line);
		fclose(out);
	}
}

static int authorized(struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);

	return h && strncmp(h, "Bearer ", 7) == 0 && strlen(h + 7) == 64 &&
	       strspn(h + 7, "0123456789abcdefABCDEF") == 64;
}

static enum MHD_Result api(struct MHD_Connection *c, const char *url)
{
	const char *state = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "state");
	char name[512], path[1024];
	size_t i, n, len;
	char *body = NULL;

	if (!authorized(c))
		return error(c, 401, "no bearer token");
	snprintf(name, sizeof name, "%s", url + 4);
	for (i = 0; name[i]; i++)
		if (name[i] == '/')
			name[i] = '_';
	if (strstr(name, "..") || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen(name))
		return error(c, 404, "no such fixture");
	n = strlen(name);
	if (n > 4 && strcmp(name + n - 4, ".csv") == 0) {
		snprintf(path, sizeof path, "%s/%s", fixtures, name);
		body = slurp(path, &len);
	} else {
		if (state && strspn(state, "abcdefghijklmnopqrstuvwxyz") == strlen(state)) {
			snprintf(path, sizeof path, "%s/%s.%s.json", fixtures, name, state);
			body = slurp(path, &len);
		}
		if (!body) {
			snprintf(path, sizeof path, "%s/%s.json", fixtures, name);
			body = slurp(path, &len);
		}
	}
	return body ? answer(c, 200, type_of(path), body, len) : error(c, 404, "no such fixture");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_len, void **state)
{
	char path[1024];
	size_t len;
	char *body;

	(void)cls, (void)version, (void)upload, (void)upload_len, (void)state;
	log_request(c, url);
	if (strcmp(method, "GET") != 0)
		return error(c, 404, "GET only");
	if (strncmp(url, "/v1/", 4) == 0)
		return api(c, url);
	if (strcmp(url, "/") == 0)
		url = "/index.html";
	if (strchr(url + 1, '/') || strstr(url, ".."))
		return error(c, 404, "no such file");
	snprintf(path, sizeof path, "%s%s", web, url);
	body = slurp(path, &len);
	return body ? answer(c, 200, type_of(path), body, len) : error(c, 404, "no such file");
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	sigset_t set;
	int sig;

	if (argc != 4) {
		fprintf(stderr, "usage: fixture_server FIXTURE_DIR WEB_DIR LOG_FILE\n");
		return 2;
	}
	fixtures = argv[1], web = argv[2], log_path = argv[3];
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
	                     NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_END);
	if (!d || !(info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT))) {
		fprintf(stderr, "fixture_server: cannot listen on 127.0.0.1\n");
		return 1;
	}
	printf("listening on http://127.0.0.1:%u\n", (unsigned)info->port);
	fflush(stdout);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return 0;
}
