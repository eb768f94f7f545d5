/* pgtest.c: fresh PostgreSQL databases per test program (pgtest.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "pgtest.h"

/* A database made for a name, dropped at exit. */
typedef struct pgt_made {
	char *name;            /* the name a test gave it */
	char db[64];           /* the database's name on the server */
	char uri[1024];
	struct pgt_made *next;
} pgt_made;

static pgt_made *pgt_list;
static int pgt_hooked;

int pgt_available(void)
{
	const char *v = getenv("SAOLA_TEST_PG");

	return v && *v;
}

void pgt_require(void)
{
	if (pgt_available())
		return;
	fprintf(stderr, "skipped: SAOLA_TEST_PG is not set (./run-tests starts a private"
	        " PostgreSQL: scripts/pg.sh)\n");
	exit(PGT_SKIP);
}

int pgt_store_pg(void)
{
	const char *v = getenv("SAOLA_TEST_STORE");

	return v && !strcmp(v, "pg");
}

/* Runs one command on SAOLA_TEST_PG's database; 0 when it succeeded. */
static int admin(const char *sql)
{
	PGconn *c = PQconnectdb(getenv("SAOLA_TEST_PG"));
	PGresult *r = NULL;
	int rc = -1;

	if (PQstatus(c) == CONNECTION_OK) {
		r = PQexec(c, sql);
		rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
	}
	if (rc)
		fprintf(stderr, "pgtest: %s: %s", sql, r ? PQresultErrorMessage(r) : PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return rc;
}

static void drop_at_exit(void)
{
	char sql[128];
	pgt_made *m;

	while ((m = pgt_list)) {
		pgt_list = m->next;
		/* FORCE: a failed test may have left a connection open */
		snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", m->db);
		admin(sql);
		free(m->name);
		free(m);
	}
}

/* SAOLA_TEST_PG's URI with its database replaced by name, into out. */
static int uri_with(const char *name, char *out, size_t outlen)
{
	PQconninfoOption *opts = PQconninfoParse(getenv("SAOLA_TEST_PG"), NULL), *o;
	const char *user = "", *host = "127.0.0.1", *port = "5432";

	if (!opts)
		return -1;
	for (o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		if (!strcmp(o->keyword, "user"))
			user = o->val;
		else if (!strcmp(o->keyword, "host"))
			host = o->val;
		else if (!strcmp(o->keyword, "port"))
			port = o->val;
	}
	snprintf(out, outlen, "postgresql://%s%s%s:%s/%s", user, *user ? "@" : "", host, port,
	         name);
	PQconninfoFree(opts);
	return 0;
}

/* A random database name: parallel programs, and a rerun after a crash
 * that left its databases behind, never meet. */
static void random_name(char *out, size_t outlen)
{
	static unsigned seq;
	unsigned r = (unsigned)getpid();
	FILE *f;

	if ((f = fopen("/dev/urandom", "rb"))) {
		if (fread(&r, sizeof r, 1, f) != 1)
			r ^= (unsigned)getpid();
		fclose(f);
	}
	snprintf(out, outlen, "t_%d_%u_%08x", (int)getpid(), seq++, r);
}

const char *pgt_uri_for(const char *name)
{
	char sql[128];
	pgt_made *m;

	for (m = pgt_list; m; m = m->next)
		if (!strcmp(m->name, name))
			return m->uri;
	if (!pgt_available()) {
		fprintf(stderr, "pgtest: SAOLA_TEST_PG is not set\n");
		return NULL;
	}
	if (!(m = calloc(1, sizeof *m)) || !(m->name = strdup(name))) {
		free(m);
		return NULL;
	}
	random_name(m->db, sizeof m->db);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", m->db);
	if (admin(sql) || uri_with(m->db, m->uri, sizeof m->uri)) {
		free(m->name);
		free(m);
		return NULL;
	}
	if (!pgt_hooked) {
		atexit(drop_at_exit);
		pgt_hooked = 1;
	}
	m->next = pgt_list;
	pgt_list = m;
	return m->uri;
}

const char *pgt_uri(void)
{
	return pgt_uri_for("");
}

const char *pgt_db(const char *db)
{
	const char *uri;

	if (!pgt_store_pg() || !strncmp(db, "postgres", 8))
		return db;      /* SQLite, or a name already mapped */
	pgt_require();
	if (!(uri = pgt_uri_for(db))) {
		fprintf(stderr, "pgtest: no database for %s\n", db);
		exit(1);
	}
	return uri;
}
