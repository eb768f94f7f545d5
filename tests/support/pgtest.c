/* pgtest.c: a fresh PostgreSQL database per test program (pgtest.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "pgtest.h"

static char pgt_name[64];      /* the database made, "" until then */
static char pgt_buf[1024];     /* its URI */

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

	if (!pgt_name[0])
		return;
	/* FORCE: a failed test may have left a connection open */
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", pgt_name);
	admin(sql);
	pgt_name[0] = '\0';
}

/* SAOLA_TEST_PG's URI with its database replaced by name. */
static int uri_for(const char *name)
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
	snprintf(pgt_buf, sizeof pgt_buf, "postgresql://%s%s%s:%s/%s", user, *user ? "@" : "",
	         host, port, name);
	PQconninfoFree(opts);
	return 0;
}

const char *pgt_uri(void)
{
	char sql[128], name[64];
	unsigned r;
	FILE *f;

	if (pgt_name[0])
		return pgt_buf;
	if (!pgt_available()) {
		fprintf(stderr, "pgtest: SAOLA_TEST_PG is not set\n");
		return NULL;
	}
	/* a random name: parallel programs, and a rerun after a crash that
	 * left its database behind, never meet */
	r = (unsigned)getpid();
	if ((f = fopen("/dev/urandom", "rb"))) {
		if (fread(&r, sizeof r, 1, f) != 1)
			r ^= (unsigned)getpid();
		fclose(f);
	}
	snprintf(name, sizeof name, "t_%d_%08x", (int)getpid(), r);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	if (admin(sql) || uri_for(name))
		return NULL;
	snprintf(pgt_name, sizeof pgt_name, "%s", name);
	atexit(drop_at_exit);
	return pgt_buf;
}
