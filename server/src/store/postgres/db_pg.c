/* db_pg.c: db.h over PostgreSQL (libpq).
 *
 * Statements. A statement's `?` become $1..$n when it is prepared
 * (saola__db_pg_rewrite); nothing is sent then. The types of a run's
 * parameters are those of what was bound: bigint, double precision, bytea
 * (sent in binary), and "unknown" for texts and NULLs, which PostgreSQL
 * then reads the way it reads a quoted literal, its type taken from where
 * it stands (a text bound into an INTEGER column or compared with one
 * works, as on SQLite). Since the types are only known at bind time, the
 * connection keeps its server-side prepared statements by SQL text and
 * parameter types together (the statement cache, below): a run whose pair
 * is known is one PQsendQueryPrepared, with nothing parsed or planned
 * again; a new pair is prepared first (PQprepare, one round trip, once a
 * connection). Parsing and planning were most of PostgreSQL's work for a
 * pushed household's five small statements. The cache holds at most
 * PG_CACHE_MAX pairs, never evicted (a DEALLOCATE would be another round
 * trip); past that a run is the unnamed statement, parsed and planned
 * each time, as every run was before. A syntax error shows at the first
 * step, not at prepare.
 *
 * Rows. A run is read in single-row mode (PQsetSingleRowMode): one row in
 * memory at a time, so that a report may read millions. The connection is
 * then busy until the rows are read; when another statement (or exec, or a
 * transaction's begin or end) needs it before, the rest of the running
 * statement's rows are read into its queue first, and it carries on from
 * there: SQLite's freedom to interleave statements is kept, at the cost of
 * memory in that case only. Resetting or finalizing a statement whose rows
 * are still coming reads them to the end (and drops them).
 *
 * Errors map from SQLSTATE (code_of); a step's message is PostgreSQL's
 * primary message alone (the caller says what ran), others are
 * "what: message". */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "saola/core.h"
#include "db_pg.h"
#include "db_int.h"

/* The type OIDs of pg_type.h (stable across releases). */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700

/* The statement cache's size: pairs of SQL text and parameter types a
 * connection prepares (the server's own statements are about 200; report
 * variants and officers' lists add some). Open addressing, a power of 2,
 * filled at most to PG_CACHE_MAX. */
#define PG_CACHE_SLOTS 1024
#define PG_CACHE_MAX 768

typedef struct pg_stmt pg_stmt;

/* One statement prepared on the server, "s<id>". */
typedef struct pg_cached {
	uint64_t hash;
	char *sql;                 /* NULL: the slot is free */
	Oid *types;
	int nparams;
	int id;
} pg_cached;

typedef struct pg_db {
	saola__db base;            /* first: a saola__db * is a pg_db * */
	PGconn *conn;
	pg_stmt *active;           /* the statement whose rows are coming, or NULL */
	int64_t changes;
	pg_cached *cache;          /* PG_CACHE_SLOTS slots, NULL until the first run */
	int cached;                /* slots in use */
} pg_db;

struct pg_stmt {
	saola__dbstmt base;        /* first: a saola__dbstmt * is a pg_stmt * */
	char *sql;                 /* with $1..$n */
	int nparams;
	Oid *types;                /* per parameter: what was bound (0: text, NULL) */
	char **values;             /* owned copies; NULL for SQL NULL */
	int *lengths;
	int *formats;              /* 1 (binary) for blobs, else 0 (text) */
	int running;               /* sent, not yet at its end */
	int lost;                  /* rows dropped for want of memory (detach) */
	PGresult *cur;             /* the result holding the current row */
	int row;                   /* its index in cur */
	PGresult **queue;          /* results read ahead (see the top) */
	size_t qhead, qlen, qcap;
	unsigned char **blobs;     /* the current row's decoded bytea, per column */
	size_t *bloblens;
	int nblobs;
};

#define PGDB(db) ((pg_db *)(db))
#define PGST(st) ((pg_stmt *)(st))

static const saola__db_backend pg_backend;

/* ---- `?` to $n ---- */

static int is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

/* Past the literal or identifier opened by the quote at p; '' (or "")
 * inside is the quote itself, and with backslash (E'...') so is \'. */
static const char *skip_quoted(const char *p, int backslash)
{
	char q = *p;

	for (p++; *p; p++) {
		if (backslash && *p == '\\' && p[1])
			p++;
		else if (*p == q && p[1] == q)
			p++;
		else if (*p == q)
			return p + 1;
	}
	return p;
}

/* Past the comment at p (-- to the line's end, or nested slash-star). */
static const char *skip_comment(const char *p)
{
	int depth = 0;

	if (p[0] == '-') {
		while (*p && *p != '\n')
			p++;
		return p;
	}
	for (; *p; p++) {
		if (p[0] == '/' && p[1] == '*') {
			depth++;
			p++;
		} else if (p[0] == '*' && p[1] == '/') {
			p++;
			if (--depth == 0)
				return p + 1;
		}
	}
	return p;
}

/* Past the dollar-quoted string at p ($tag$...$tag$), or p + 1 when p
 * starts none ($1 is a parameter, not a tag). */
static const char *skip_dollar(const char *p)
{
	const char *t = p + 1, *close;
	char tag[64];
	size_t n;

	if (isdigit((unsigned char)*t))
		return p + 1;
	while (is_ident(*t))
		t++;
	if (*t != '$' || (size_t)(t - p) + 1 >= sizeof tag)
		return p + 1;
	n = (size_t)(t - p) + 1;
	memcpy(tag, p, n);
	tag[n] = '\0';
	close = strstr(t + 1, tag);
	return close ? close + n : p + strlen(p);
}

/* Past the token at p: a literal, quoted identifier, comment or dollar
 * quote whole, else one character. start is the statement's start. */
static const char *skip_token(const char *p, const char *start)
{
	int prev_ident = p > start && is_ident(p[-1]);

	if (*p == '\'') {
		/* E'...' (not fooE'...', which is no escape string) */
		int e = p > start && (p[-1] == 'E' || p[-1] == 'e') &&
		        !(p - 1 > start && is_ident(p[-2]));
		return skip_quoted(p, e);
	}
	if (*p == '"')
		return skip_quoted(p, 0);
	if ((p[0] == '-' && p[1] == '-') || (p[0] == '/' && p[1] == '*'))
		return skip_comment(p);
	if (*p == '$' && !prev_ident)
		return skip_dollar(p);
	return p + 1;
}

char *saola__db_pg_rewrite(const char *sql, int *nparams)
{
	size_t len = strlen(sql);
	/* "$" and at most 5 digits (PostgreSQL takes 65535 parameters) per `?` */
	char *out = malloc(len * 6 + 1), *o = out;
	const char *p = sql, *end;
	int n = 0;

	*nparams = 0;
	if (!out)
		return NULL;
	while (*p) {
		end = skip_token(p, sql);
		if (*p == '?' && isdigit((unsigned char)p[1])) {
			free(out);           /* ?N: not portable (db.h) */
			*nparams = -1;
			return NULL;
		}
		if (*p == '?' && end == p + 1) {
			o += sprintf(o, "$%d", ++n);
		} else {
			memcpy(o, p, (size_t)(end - p));
			o += end - p;
		}
		p = end;
	}
	*o = '\0';
	*nparams = n;
	return out;
}

/* ---- errors ---- */

/* A saola code for a failed result (NULL: the connection's own failure). */
static int code_of(const PGresult *res, PGconn *conn)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (!state)
		return PQstatus(conn) == CONNECTION_BAD ? SAOLA_IO : SAOLA_ERROR;
	if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03"))
		return SAOLA_BUSY;
	if (!strncmp(state, "23", 2))
		return SAOLA_CONFLICT;
	if (!strcmp(state, "25006"))
		return SAOLA_READONLY;
	if (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3))
		return SAOLA_IO;
	if (!strcmp(state, "53100") || !strcmp(state, "53200"))
		return SAOLA_NOMEM;
	if (!strncmp(state, "XX", 2))
		return SAOLA_CORRUPT;
	return SAOLA_ERROR;
}

/* Records the failure of res (or of the connection) on db; what is NULL
 * for a step's, whose message is PostgreSQL's alone. Returns the code. */
static int pg_fail(saola__db *db, const PGresult *res, const char *what)
{
	PGconn *conn = PGDB(db)->conn;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	int rc = code_of(res, conn), n;

	if (!msg)
		msg = PQerrorMessage(conn);
	n = (int)strcspn(msg, "\n");  /* libpq's own messages end in a newline */
	if (!n)
		msg = "no message", n = 10;
	if (what)
		return saola__db_fail(db, rc, "%s: %.*s", what, n, msg);
	return saola__db_fail(db, rc, "%.*s", n, msg);
}

/* ---- the connection's rows ---- */

/* Keeps the affected-row count of a finished INSERT, UPDATE or DELETE. */
static void note_changes(pg_db *d, const PGresult *res)
{
	const char *cmd = PQcmdStatus((PGresult *)res);

	if (!strncmp(cmd, "INSERT", 6) || !strncmp(cmd, "UPDATE", 6) ||
	    !strncmp(cmd, "DELETE", 6) || !strncmp(cmd, "MERGE", 5))
		d->changes = strtoll(PQcmdTuples((PGresult *)res), NULL, 10);
}

static int queue_push(pg_stmt *st, PGresult *res)
{
	PGresult **q;

	if (st->qhead + st->qlen == st->qcap) {
		if (st->qhead) {
			memmove(st->queue, st->queue + st->qhead, st->qlen * sizeof *q);
			st->qhead = 0;
		} else {
			size_t cap = st->qcap ? st->qcap * 2 : 64;

			if (!(q = realloc(st->queue, cap * sizeof *q)))
				return SAOLA_NOMEM;
			st->queue = q;
			st->qcap = cap;
		}
	}
	st->queue[st->qhead + st->qlen++] = res;
	return SAOLA_OK;
}

/* Frees the results read ahead. */
static void queue_clear(pg_stmt *st)
{
	while (st->qlen) {
		PQclear(st->queue[st->qhead++]);
		st->qlen--;
	}
	st->qhead = 0;
}

/* Frees the current row's decoded blobs. */
static void blobs_clear(pg_stmt *st)
{
	int i;

	for (i = 0; i < st->nblobs; i++) {
		free(st->blobs[i]);
		st->blobs[i] = NULL;
	}
}

/* Frees the current row (and its decoded blobs). */
static void row_clear(pg_stmt *st)
{
	blobs_clear(st);
	PQclear(st->cur);
	st->cur = NULL;
	st->row = 0;
}

/* Frees the connection for another command: the running statement's rows
 * are read into its queue (or dropped, when keep is 0 or memory runs out:
 * that statement then fails at its next step). */
static void detach(pg_db *d, int keep)
{
	pg_stmt *st = d->active;
	PGresult *res;
	int lost = 0;

	if (!st)
		return;
	while ((res = PQgetResult(d->conn))) {
		if (keep && !lost && queue_push(st, res) == SAOLA_OK)
			continue;
		lost = keep;
		PQclear(res);
	}
	if (lost) {
		queue_clear(st);
		st->lost = 1;
	}
	d->active = NULL;
}

/* The statement's next result: read ahead, from the connection, or NULL
 * at its end. */
static PGresult *next_result(pg_stmt *st)
{
	pg_db *d = PGDB(st->base.db);
	PGresult *res;

	if (st->qlen) {
		st->qlen--;
		return st->queue[st->qhead++];
	}
	if (d->active != st)
		return NULL;
	if (!(res = PQgetResult(d->conn)))
		d->active = NULL;
	return res;
}

/* Ends the statement's run: its remaining results dropped. */
static void finish(pg_stmt *st)
{
	pg_db *d = PGDB(st->base.db);

	if (d->active == st)
		detach(d, 0);
	queue_clear(st);
	row_clear(st);
	st->running = 0;
	st->lost = 0;
}

/* ---- the statement cache ---- */

/* FNV-1a over the SQL text and the parameter types. */
static uint64_t cache_hash(const pg_stmt *st)
{
	uint64_t h = 14695981039346656037u;
	const unsigned char *p;
	int i;

	for (p = (const unsigned char *)st->sql; *p; p++)
		h = (h ^ *p) * 1099511628211u;
	for (i = 0; i < st->nparams; i++)
		h = (h ^ st->types[i]) * 1099511628211u;
	return h;
}

/* The slot of st's pair: the one holding it, or the free one it would
 * take; NULL when the cache cannot be had (out of memory). */
static pg_cached *cache_slot(pg_db *d, const pg_stmt *st, uint64_t h)
{
	size_t i;
	pg_cached *c;

	if (!d->cache && !(d->cache = calloc(PG_CACHE_SLOTS, sizeof *d->cache)))
		return NULL;
	for (i = h & (PG_CACHE_SLOTS - 1);; i = (i + 1) & (PG_CACHE_SLOTS - 1)) {
		c = &d->cache[i];
		if (!c->sql)
			return c;
		if (c->hash == h && c->nparams == st->nparams && !strcmp(c->sql, st->sql) &&
		    !memcmp(c->types, st->types, (size_t)st->nparams * sizeof *st->types))
			return c;
	}
}

/* Prepares st's pair on the server as slot c, "s<id>". SAOLA_OK; a
 * failure of PostgreSQL's (a syntax error) is the step's; out of memory
 * leaves c free (the run goes unnamed). */
static int cache_add(pg_db *d, pg_stmt *st, pg_cached *c, uint64_t h, const char *name)
{
	size_t tn = (size_t)(st->nparams ? st->nparams : 1) * sizeof *st->types;
	PGresult *res;
	int rc = SAOLA_OK;

	if (!(c->types = malloc(tn)) || !(c->sql = strdup(st->sql))) {
		free(c->types);
		c->types = NULL;
		return SAOLA_OK;
	}
	res = PQprepare(d->conn, name, st->sql, st->nparams, st->types);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = pg_fail(&d->base, res, NULL);
		free(c->sql);
		free(c->types);
		c->sql = NULL;
		c->types = NULL;
	} else {
		memcpy(c->types, st->types, (size_t)st->nparams * sizeof *st->types);
		c->hash = h;
		c->nparams = st->nparams;
		c->id = d->cached++;
	}
	PQclear(res);
	return rc;
}

/* The server-side name of st's pair as bound now, in name (prepared first
 * when new), or "" for the unnamed statement (the cache is full, or out of
 * memory). SAOLA_OK, or the prepare's failure. */
static int cache_name(pg_db *d, pg_stmt *st, char name[16])
{
	uint64_t h = cache_hash(st);
	pg_cached *c = cache_slot(d, st, h);
	int rc;

	name[0] = '\0';
	if (!c || (!c->sql && d->cached >= PG_CACHE_MAX))
		return SAOLA_OK;
	if (!c->sql) {
		snprintf(name, 16, "s%d", d->cached);
		if ((rc = cache_add(d, st, c, h, name)) != SAOLA_OK || !c->sql) {
			name[0] = '\0';
			return rc;
		}
	}
	snprintf(name, 16, "s%d", c->id);
	return SAOLA_OK;
}

static void cache_free(pg_db *d)
{
	size_t i;

	for (i = 0; d->cache && i < PG_CACHE_SLOTS; i++) {
		free(d->cache[i].sql);
		free(d->cache[i].types);
	}
	free(d->cache);
}

/* ---- connection ---- */

static void no_notices(void *arg, const char *msg)
{
	/* NOTICEs ("relation exists, skipping") are no failure: not printed. */
	(void)arg;
	(void)msg;
}

int saola__db_pg_open(const char *uri, saola__db **out, char *err, size_t errlen)
{
	PGresult *res;
	pg_db *d;
	const char *msg;
	int rc;

	*out = NULL;
	if (!(d = calloc(1, sizeof *d))) {
		snprintf(err, errlen, "postgresql: out of memory");
		return SAOLA_NOMEM;
	}
	d->base.backend = &pg_backend;
	d->base.kind = SAOLA__DB_POSTGRES;
	d->conn = PQconnectdb(uri);
	d->base.impl = d->conn;
	if (!d->conn || PQstatus(d->conn) != CONNECTION_OK ||
	    PQsetClientEncoding(d->conn, "UTF8") != 0) {
		msg = d->conn ? PQerrorMessage(d->conn) : "out of memory";
		rc = d->conn ? SAOLA_IO : SAOLA_NOMEM;
		snprintf(err, errlen, "postgresql: %.*s", (int)strcspn(msg, "\n"), msg);
		PQfinish(d->conn);
		free(d);
		return rc;
	}
	PQsetNoticeProcessor(d->conn, no_notices, NULL);
	/* PostgreSQL's JIT compiles a query's expressions once its estimated
	 * cost is high: a report's aggregate over millions of facts. Measured
	 * on 2,700,000 households (docs/scale.md), the compiling cost more than
	 * it saved, ~0.3 s a query: off for saola's connections (an error,
	 * from a server that has no such setting, changes nothing). */
	res = PQexec(d->conn, "SET jit = off");
	PQclear(res);
	*out = &d->base;
	return SAOLA_OK;
}

static void pg_close(saola__db *db)
{
	pg_db *d = PGDB(db);

	if (d->active)
		detach(d, 0);
	PQfinish(d->conn);
	cache_free(d);
	free(d);
}

static int pg_exec(saola__db *db, const char *sql)
{
	pg_db *d = PGDB(db);
	PGresult *res;
	int rc = SAOLA_OK;

	detach(d, 1);
	res = PQexec(d->conn, sql);
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
		note_changes(d, res);
		break;
	default:
		rc = pg_fail(db, res, "exec");
	}
	PQclear(res);
	return rc;
}

/* ---- statements ---- */

static int pg_prepare(saola__db *db, const char *sql, saola__dbstmt **out)
{
	pg_stmt *st;
	int n;

	*out = NULL;
	if (!(st = calloc(1, sizeof *st)))
		goto nomem;
	st->base.db = db;
	if (!(st->sql = saola__db_pg_rewrite(sql, &st->nparams))) {
		if (st->nparams >= 0)
			goto nomem;
		st->nparams = 0;
		db->backend->finalize(&st->base);
		return saola__db_fail(db, SAOLA_MISUSE, "prepare \"%.40s\": ?N is not portable:"
		                      " bind the value again", sql);
	}
	n = st->nparams ? st->nparams : 1;
	st->types = calloc((size_t)n, sizeof *st->types);
	st->values = calloc((size_t)n, sizeof *st->values);
	st->lengths = calloc((size_t)n, sizeof *st->lengths);
	st->formats = calloc((size_t)n, sizeof *st->formats);
	if (!st->types || !st->values || !st->lengths || !st->formats)
		goto nomem;
	*out = &st->base;
	return SAOLA_OK;
nomem:
	if (st)
		db->backend->finalize(&st->base);
	return saola__db_fail(db, SAOLA_NOMEM, "prepare \"%.40s\": out of memory", sql);
}

/* Sets parameter i (from 1) to len bytes of v (copied, NUL added), NULL
 * for SQL NULL. */
static int bind(saola__dbstmt *base, int i, Oid type, const void *v, size_t len, int binary)
{
	pg_stmt *st = PGST(base);
	char *copy = NULL;

	if (i < 1 || i > st->nparams)
		return saola__db_fail(base->db, SAOLA_MISUSE, "bind: parameter %d of %d", i,
		                      st->nparams);
	if (len > INT32_MAX)
		return saola__db_fail(base->db, SAOLA_LIMIT, "bind: parameter %d: too long", i);
	if (v) {
		if (!(copy = malloc(len + 1)))
			return saola__db_fail(base->db, SAOLA_NOMEM, "bind: out of memory");
		memcpy(copy, v, len);
		copy[len] = '\0';
	}
	i--;
	free(st->values[i]);
	st->values[i] = copy;
	st->types[i] = type;
	st->lengths[i] = (int)len;
	st->formats[i] = binary;
	return SAOLA_OK;
}

static int pg_bind_int(saola__dbstmt *st, int i, int64_t v)
{
	char buf[24];

	return bind(st, i, OID_INT8, buf, (size_t)snprintf(buf, sizeof buf, "%" PRId64, v), 0);
}

static int pg_bind_double(saola__dbstmt *st, int i, double v)
{
	char buf[32];

	return bind(st, i, OID_FLOAT8, buf, (size_t)snprintf(buf, sizeof buf, "%.17g", v), 0);
}

static int pg_bind_text(saola__dbstmt *st, int i, const char *v, int len)
{
	return bind(st, i, 0, v, v ? (len < 0 ? strlen(v) : (size_t)len) : 0, 0);
}

static int pg_bind_blob(saola__dbstmt *st, int i, const void *v, size_t len)
{
	return bind(st, i, OID_BYTEA, v ? v : "", len, 1);
}

static int pg_bind_null(saola__dbstmt *st, int i)
{
	return bind(st, i, 0, NULL, 0, 0);
}

/* ---- runs ---- */

/* Sends the statement with its bindings, rows to come one by one. */
static int start(pg_stmt *st)
{
	saola__db *db = st->base.db;
	pg_db *d = PGDB(db);
	const char *const *values = (const char *const *)st->values;
	char name[16];
	int rc, sent;

	detach(d, 1);
	if ((rc = cache_name(d, st, name)) != SAOLA_OK)
		return rc;
	if (name[0])
		sent = PQsendQueryPrepared(d->conn, name, st->nparams, values, st->lengths,
		                           st->formats, 0);
	else
		sent = PQsendQueryParams(d->conn, st->sql, st->nparams, st->types, values,
		                         st->lengths, st->formats, 0);
	if (!sent)
		return pg_fail(db, NULL, NULL);
	/* Fails only when the query was not sent just before: it was. */
	PQsetSingleRowMode(d->conn);
	d->active = st;
	st->running = 1;
	return SAOLA_OK;
}

static int pg_step(saola__dbstmt *base)
{
	pg_stmt *st = PGST(base);
	PGresult *res;
	int rc;

	/* not running: never run, or at its end, when a step runs it again
	 * (as SQLite does), bindings kept */
	if (!st->running && (rc = start(st)) != SAOLA_OK)
		return rc;
	if (st->cur && ++st->row < PQntuples(st->cur)) {
		blobs_clear(st);
		return SAOLA__DB_ROW;
	}
	row_clear(st);
	if (st->lost) {
		finish(st);
		return saola__db_fail(base->db, SAOLA_NOMEM, "out of memory reading rows ahead");
	}
	while ((res = next_result(st))) {
		switch (PQresultStatus(res)) {
		case PGRES_TUPLES_OK:
			note_changes(PGDB(base->db), res);
			/* fallthrough */
		case PGRES_SINGLE_TUPLE:
			if (PQntuples(res) > 0) {
				st->cur = res;
				return SAOLA__DB_ROW;
			}
			break;
		case PGRES_COMMAND_OK:
		case PGRES_EMPTY_QUERY:
			note_changes(PGDB(base->db), res);
			break;
		default:
			rc = pg_fail(base->db, res, NULL);
			PQclear(res);
			finish(st);
			return rc;
		}
		PQclear(res);
	}
	finish(st);
	return SAOLA__DB_DONE;
}

static void pg_reset(saola__dbstmt *base)
{
	pg_stmt *st = PGST(base);
	int i;

	finish(st);
	for (i = 0; i < st->nparams; i++) {
		free(st->values[i]);
		st->values[i] = NULL;
		st->types[i] = 0;
		st->lengths[i] = 0;
		st->formats[i] = 0;
	}
}

static void pg_finalize(saola__dbstmt *base)
{
	pg_stmt *st = PGST(base);
	int i;

	finish(st);
	for (i = 0; st->values && i < st->nparams; i++)
		free(st->values[i]);
	free(st->queue);
	free(st->blobs);
	free(st->bloblens);
	free(st->types);
	free(st->values);
	free(st->lengths);
	free(st->formats);
	free(st->sql);
	free(st);
}

/* ---- columns ---- */

static int pg_column_count(saola__dbstmt *base)
{
	pg_stmt *st = PGST(base);

	return st->cur ? PQnfields(st->cur) : 0;
}

/* Whether column i of the current row holds a value (in range, not NULL). */
static int has_value(pg_stmt *st, int i)
{
	return st->cur && i >= 0 && i < PQnfields(st->cur) && !PQgetisnull(st->cur, st->row, i);
}

static saola__db_type pg_column_type(saola__dbstmt *base, int i)
{
	pg_stmt *st = PGST(base);

	if (!has_value(st, i))
		return SAOLA__DB_NULL;
	switch (PQftype(st->cur, i)) {
	case OID_INT2: case OID_INT4: case OID_INT8: case OID_BOOL:
		return SAOLA__DB_INT;
	case OID_FLOAT4: case OID_FLOAT8: case OID_NUMERIC:
		return SAOLA__DB_REAL;
	case OID_BYTEA:
		return SAOLA__DB_BLOB;
	default:
		return SAOLA__DB_TEXT;
	}
}

/* Column i's bytea, decoded once per row, a NUL after its bytes (so that
 * column_text may return it); NULL when out of memory. */
static const unsigned char *blob_of(pg_stmt *st, int i, size_t *len)
{
	int n = PQnfields(st->cur), k;

	if (st->nblobs < n) {
		unsigned char **b = realloc(st->blobs, (size_t)n * sizeof *b);
		size_t *l;

		if (!b)
			return NULL;
		st->blobs = b;
		if (!(l = realloc(st->bloblens, (size_t)n * sizeof *l)))
			return NULL;
		st->bloblens = l;
		for (k = st->nblobs; k < n; k++)
			st->blobs[k] = NULL;
		st->nblobs = n;
	}
	if (!st->blobs[i]) {
		unsigned char *raw = PQunescapeBytea(
			(const unsigned char *)PQgetvalue(st->cur, st->row, i), &st->bloblens[i]);

		if (raw && (st->blobs[i] = malloc(st->bloblens[i] + 1))) {
			memcpy(st->blobs[i], raw, st->bloblens[i]);
			st->blobs[i][st->bloblens[i]] = '\0';
		}
		PQfreemem(raw);
	}
	*len = st->blobs[i] ? st->bloblens[i] : 0;
	return st->blobs[i];
}

static const char *pg_column_text(saola__dbstmt *base, int i)
{
	pg_stmt *st = PGST(base);
	const char *v;
	size_t len;

	if (!has_value(st, i))
		return NULL;
	v = PQgetvalue(st->cur, st->row, i);
	switch (PQftype(st->cur, i)) {
	case OID_BOOL:
		return *v == 't' ? "1" : "0";  /* booleans read as SQLite's 0/1 */
	case OID_BYTEA:
		/* the bytes themselves, NUL-terminated, as on SQLite */
		v = (const char *)blob_of(st, i, &len);
		return v ? v : "";
	default:
		return v;
	}
}

static int64_t pg_column_int(saola__dbstmt *base, int i)
{
	pg_stmt *st = PGST(base);
	const char *v;

	if (!has_value(st, i))
		return 0;
	v = PQgetvalue(st->cur, st->row, i);
	switch (PQftype(st->cur, i)) {
	case OID_BOOL:
		return *v == 't';
	case OID_FLOAT4: case OID_FLOAT8: case OID_NUMERIC:
		return (int64_t)strtod(v, NULL);
	default:
		return strtoll(v, NULL, 10);
	}
}

static double pg_column_double(saola__dbstmt *base, int i)
{
	pg_stmt *st = PGST(base);
	const char *v;

	if (!has_value(st, i))
		return 0.0;
	v = PQgetvalue(st->cur, st->row, i);
	if (PQftype(st->cur, i) == OID_BOOL)
		return *v == 't';
	return strtod(v, NULL);
}

static const void *pg_column_blob(saola__dbstmt *base, int i, size_t *len)
{
	pg_stmt *st = PGST(base);

	*len = 0;
	if (!has_value(st, i))
		return NULL;
	if (PQftype(st->cur, i) == OID_BYTEA)
		return blob_of(st, i, len);
	*len = (size_t)PQgetlength(st->cur, st->row, i);
	return PQgetvalue(st->cur, st->row, i);
}

static size_t pg_column_bytes(saola__dbstmt *base, int i)
{
	size_t len;

	pg_column_blob(base, i, &len);
	return len;
}

/* ---- changes and transactions ---- */

static int64_t pg_changes(saola__db *db)
{
	return PGDB(db)->changes;
}

/* Whether db is in a transaction (a failed one included). */
static int in_transaction(pg_db *d)
{
	detach(d, 1);
	return PQtransactionStatus(d->conn) != PQTRANS_IDLE &&
	       PQtransactionStatus(d->conn) != PQTRANS_UNKNOWN;
}

/* PostgreSQL only warns of a BEGIN in a transaction: refused, as SQLite
 * refuses it. */
static int begin(saola__db *db, const char *sql)
{
	if (in_transaction(PGDB(db)))
		return saola__db_fail(db, SAOLA_MISUSE, "begin: a transaction is already open");
	return pg_exec(db, sql);
}

static int pg_begin_write(saola__db *db)
{
	return begin(db, "BEGIN ISOLATION LEVEL READ COMMITTED");
}

/* One snapshot for the whole read, and no write by mistake. */
static int pg_begin_read(saola__db *db)
{
	return begin(db, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
}

static int pg_end(saola__db *db, int ok)
{
	pg_db *d = PGDB(db);
	PGresult *res;
	int rc = SAOLA_OK;

	/* a commit without a transaction is refused (PostgreSQL would only
	 * warn), as on SQLite; a rollback without one does nothing */
	if (!in_transaction(d))
		return ok ? saola__db_fail(db, SAOLA_MISUSE, "commit: no transaction is open")
		          : SAOLA_OK;
	res = PQexec(d->conn, ok ? "COMMIT" : "ROLLBACK");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = pg_fail(db, res, ok ? "commit" : "rollback");
	else if (ok && strcmp(PQcmdStatus(res), "COMMIT") != 0)
		/* COMMIT of a transaction an earlier error aborted rolls back */
		rc = saola__db_fail(db, SAOLA_ERROR, "commit: the transaction was rolled back"
		                    " after an earlier error");
	PQclear(res);
	/* a failed COMMIT ends the transaction too; a failed ROLLBACK is a
	 * lost connection, which has none left either */
	return ok ? rc : SAOLA_OK;
}

static const saola__db_backend pg_backend = {
	"postgresql",
	pg_close, pg_exec, pg_prepare,
	pg_bind_int, pg_bind_double, pg_bind_text, pg_bind_blob, pg_bind_null,
	pg_step, pg_reset, pg_finalize,
	pg_column_count, pg_column_type, pg_column_int, pg_column_double, pg_column_text,
	pg_column_blob, pg_column_bytes,
	pg_changes, pg_begin_write, pg_begin_read, pg_end,
};
