/* synctest.c: helpers of the sync tests: saola-server processes, users,
 * generated households on devices, and comparing replicas. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "synctest.h"
#include "gen.h"
#include "wire.h"
#include "saola_int.h"
#include "versions.h"

struct st_server {
	pid_t pid;
	int fd;                 /* the read end of the process's stdout+stderr */
	int port;
	int eof;
	int waited, status;
	char tail[2048];        /* the last output, for failures */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

const char *st_server_bin(void)
{
	static char path[1024];
	const char *env = getenv("SAOLA_TEST_SERVER");

	snprintf(path, sizeof path, "%s/server/saola-server", SAOLA_TEST_BINDIR);
	return env && *env ? env : path;
}

static void keep_tail(st_server *s, const char *line)
{
	size_t have = strlen(s->tail), n = strlen(line);

	if (n >= sizeof s->tail)
		line += n - (sizeof s->tail - 1), n = sizeof s->tail - 1;
	if (have + n >= sizeof s->tail) {
		size_t drop = have + n - (sizeof s->tail - 1);
		memmove(s->tail, s->tail + drop, have - drop + 1);
		have -= drop;
	}
	memcpy(s->tail + have, line, n + 1);
}

/* Drains the server's output (so that it never blocks on a full pipe) and
 * signals the line that says it listens. */
static void *drain(void *arg)
{
	st_server *s = arg;
	FILE *f = fdopen(s->fd, "r");
	char line[1024];
	const char *mark = "listening on http://127.0.0.1:", *p;

	while (f && fgets(line, sizeof line, f)) {
		pthread_mutex_lock(&s->lock);
		keep_tail(s, line);
		if (!s->port && (p = strstr(line, mark)))
			s->port = atoi(p + strlen(mark));
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->lock);
		if (getenv("SAOLA_TEST_VERBOSE"))
			fprintf(stderr, "[server %d] %s", (int)s->pid, line);
	}
	if (f)
		fclose(f);
	pthread_mutex_lock(&s->lock);
	s->eof = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

st_server *st_server_spawn(const char *db, int port, const char *const *env)
{
	st_server *s = calloc(1, sizeof *s);
	char listen[64];
	int pfd[2];

	if (!s || pipe(pfd) != 0) {
		free(s);
		return NULL;
	}
	snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->pid = fork();
	if (s->pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		for (; env && *env; env++)
			putenv((char *)*env);
		execl(st_server_bin(), "saola-server", "serve", "--db", db, "--listen", listen,
		      (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", st_server_bin(), strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	s->fd = pfd[0];
	if (s->pid < 0 || pthread_create(&s->thread, NULL, drain, s) != 0) {
		close(s->fd);
		free(s);
		return NULL;
	}
	pthread_mutex_lock(&s->lock);
	while (!s->port && !s->eof)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
	if (!s->port) {
		fprintf(stderr, "saola-server did not start:\n%s\n", s->tail);
		st_server_stop(s);
		return NULL;
	}
	return s;
}

int st_server_port(const st_server *s)
{
	return s->port;
}

pid_t st_server_pid(const st_server *s)
{
	return s->pid;
}

int st_server_wait(st_server *s)
{
	if (!s->waited) {
		while (waitpid(s->pid, &s->status, 0) < 0 && errno == EINTR)
			;
		s->waited = 1;
		pthread_join(s->thread, NULL);
	}
	return s->status;
}

void st_server_stop(st_server *s)
{
	if (!s)
		return;
	if (!s->waited) {
		kill(s->pid, SIGTERM);
		st_server_wait(s);
	}
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}

char *st_user_add(const char *db, const char *name, const char *role, const char *area)
{
	return st_user_add_allow(db, name, role, area, NULL);
}

char *st_user_add_allow(const char *db, const char *name, const char *role, const char *area,
                        const char *allow)
{
	char cmd[2048], out[1024], err[1024], *tok, *end;
	int rc;

	snprintf(cmd, sizeof cmd, "'%s' user add --db '%s' --name '%s' --role %s --area %s%s%s",
	         st_server_bin(), db, name, role, area, allow ? " --allow " : "",
	         allow ? allow : "");
	rc = tu_run(cmd, out, sizeof out, err, sizeof err);
	if (rc != 0)
		fail_msg("%s: exit %d: %s", cmd, rc, err);
	/* The token is the last word printed. */
	end = out + strlen(out);
	while (end > out && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\r'))
		*--end = '\0';
	tok = strrchr(out, ' ');
	tok = tok ? tok + 1 : out;
	if (strrchr(tok, '\n'))
		tok = strrchr(tok, '\n') + 1;
	if (!*tok)
		fail_msg("%s: printed no token", cmd);
	tok = strdup(tok);
	assert_non_null(tok);
	return tok;
}

void st_put_households(saola *db, uint64_t seed, const char *commune, int n, json_t *ids)
{
	saola_gen *g = saola_gen_new(seed);
	saola_gen_opts o;
	char id[37];
	int i;

	assert_non_null(g);
	memset(&o, 0, sizeof o);
	o.commune = commune;
	assert_int_equal(saola_begin(db), SAOLA_OK);
	for (i = 0; i < n; i++) {
		json_t *h = saola_gen_household(g, &o);
		assert_non_null(h);
		if (saola_put(db, "household", NULL, h, id) != SAOLA_OK)
			fail_msg("put household: %s", saola_errmsg(db));
		json_decref(h);
		if (ids)
			json_array_append_new(ids, json_string(id));
	}
	assert_int_equal(saola_commit(db), SAOLA_OK);
	saola_gen_free(g);
}

static int add_id(void *ctx, json_t *rec)
{
	json_array_append(ctx, json_object_get(rec, "id"));
	return 0;
}

static int cmp_ids(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
	              json_string_value(*(json_t *const *)b));
}

/* The _id of member 1 of db's record id, borrowed from *rec (which the
 * caller frees). */
static const char *head_id(saola *db, const char *id, json_t **rec)
{
	const char *mid;

	*rec = NULL;
	if (saola_get(db, id, rec) != SAOLA_OK)
		fail_msg("st_head: no record %s: %s", id, saola_errmsg(db));
	mid = json_string_value(json_object_get(json_array_get(json_object_get(
	          json_object_get(*rec, "data"), "members"), 0), "_id"));
	if (!mid)
		fail_msg("st_head: record %s has no member 1", id);
	return mid;
}

const char *st_head_path(saola *db, const char *id, char *buf, size_t len)
{
	json_t *rec;

	snprintf(buf, len, "members.%s.name", head_id(db, id, &rec));
	json_decref(rec);
	return buf;
}

json_t *st_head_edit(saola *db, const char *id, const char *name)
{
	json_t *rec, *edit;

	edit = json_pack("{s:[{s:s, s:s}]}", "members", "_id", head_id(db, id, &rec), "name", name);
	json_decref(rec);
	assert_non_null(edit);
	return edit;
}

json_t *st_record_ids(saola *db)
{
	json_t *ids = json_array(), *sorted, **v;
	saola_list_opts o;
	size_t i, n;

	memset(&o, 0, sizeof o);
	o.include_deleted = 1;
	assert_int_equal(saola_list(db, &o, add_id, ids), SAOLA_OK);
	n = json_array_size(ids);
	v = calloc(n + 1, sizeof *v);
	assert_non_null(v);
	for (i = 0; i < n; i++)
		v[i] = json_array_get(ids, i);
	qsort(v, n, sizeof *v, cmp_ids);
	sorted = json_array();
	for (i = 0; i < n; i++)
		json_array_append(sorted, v[i]);
	free(v);
	json_decref(ids);
	return sorted;
}

/* Drops the version entries of paths that have a value and the same
 * version as the default "_": they say nothing more, and a merged copy may
 * spell them out where the original did not. */
static void compact_versions(saola *db, json_t *rec)
{
	json_t *vs = json_object_get(rec, "vs"), *def = json_object_get(vs, "_"), *flat, *v;
	saola__form *f = NULL;
	const char *k;
	void *tmp;

	if (!def || saola__form_lookup(db, json_string_value(json_object_get(rec, "f")), &f) != SAOLA_OK)
		return;
	if (!(flat = saola__flatten(f, json_object_get(rec, "d"))))
		return;
	json_object_foreach_safe(vs, tmp, k, v)
		if (strcmp(k, "_") != 0 && strcmp(k, "_deleted") != 0 && json_object_get(flat, k) &&
		    json_equal(v, def))
			json_object_del(vs, k);
	json_decref(flat);
}

/* 1 when the wire records ra (of a) and rb (of b) say the same, compacted
 * with each one's form; takes both references. */
static int same_wire(saola *a, json_t *ra, saola *b, json_t *rb, const char *id)
{
	int same;

	compact_versions(a, ra);
	compact_versions(b, rb);
	same = json_equal(ra, rb);
	if (!same && getenv("SAOLA_TEST_VERBOSE")) {
		char *ta = json_dumps(ra, JSON_SORT_KEYS), *tb = json_dumps(rb, JSON_SORT_KEYS);
		fprintf(stderr, "record %s differs:\n %s\n %s\n", id, ta, tb);
		free(ta);
		free(tb);
	}
	json_decref(ra);
	json_decref(rb);
	return same;
}

int st_same_record(saola *a, saola *b, const char *id)
{
	json_t *ra = NULL, *rb = NULL;

	if (saola__wire_record(a, id, &ra) != SAOLA_OK || saola__wire_record(b, id, &rb) != SAOLA_OK) {
		json_decref(ra);
		return 0;
	}
	return same_wire(a, ra, b, rb, id);
}

int st_same_as_wire(saola *db, const char *id, const json_t *wire)
{
	json_t *ra = NULL, *rb = json_deep_copy(wire);

	if (!rb || saola__wire_record(db, id, &ra) != SAOLA_OK) {
		json_decref(rb);
		return 0;
	}
	return same_wire(db, ra, db, rb, id);
}

saola *st_device(const char *path, const char *url, const char *token)
{
	saola *db = tu_open(path, 1);

	if (url)
		assert_int_equal(saola_state_set(db, "server", url), SAOLA_OK);
	if (token)
		assert_int_equal(saola_state_set(db, "token", token), SAOLA_OK);
	return db;
}
