/* doctor.h: what the files of saola-server doctor share (doctor.c: the
 * command, disk, backups and TLS; doctor_db.c: the database's checks): the
 * run's state and the one way a check says its outcome. */
#ifndef SAOLA_DOCTOR_H
#define SAOLA_DOCTOR_H

#include <time.h>
#include <jansson.h>
#include <sqlite3.h>

#include "db.h"

#define SAOLA__DR_CONFIG "/etc/default/saola-server"  /* the Debian package's */
#define SAOLA__DR_PATH_MAX 4096
#define SAOLA__DR_NAMES_MAX 8  /* names in one line, then "and N more" */

typedef enum saola__dr_status { SAOLA__DR_OK, SAOLA__DR_WARN, SAOLA__DR_FAIL } saola__dr_status;

/* One run of the command. */
typedef struct saola__doctor {
	const char *db, *backups, *cert, *key;  /* what to check */
	const char *user;   /* the user saola-server runs as (NULL: none known) */
	const char *shown;  /* the database in messages: its path, or "URI" for
	                     * PostgreSQL's (which may hold a password) */
	int backups_given;  /* --backups was given */
	int json, pg;
	long max_age_h, min_free_mb;
	char cfg_db[SAOLA__DR_PATH_MAX];        /* what --config gave */
	char cfg_backups[SAOLA__DR_PATH_MAX];
	char cfg_cert[SAOLA__DR_PATH_MAX], cfg_key[SAOLA__DR_PATH_MAX];
	sqlite3 *sql;       /* a read-only connection to a SQLite database */
	saola__db *conn;    /* db.h over sql, or the PostgreSQL connection;
	                     * NULL when the database did not open */
	int readable;       /* the server's tables are there to read */
	time_t now;
	char now_s[21];     /* now, "YYYY-MM-DDTHH:MM:SSZ" */
	json_t *lines;      /* --format json: what was said */
	int fails;
} saola__doctor;

/* A list of names for one line: the first SAOLA__DR_NAMES_MAX, and how
 * many were added. Zero it to start. */
typedef struct saola__dr_names {
	char text[1024];
	int n;
} saola__dr_names;

/* Says one check's outcome: a line "STATUS CHECK: MESSAGE" now, or, with
 * --format json, an entry of the array printed at the end. A FAIL counts
 * in d->fails. */
void saola__dr_report(saola__doctor *d, saola__dr_status st, const char *check,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

void saola__dr_names_add(saola__dr_names *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The list's text, with "and N more" when some were left out. */
const char *saola__dr_names_text(saola__dr_names *l);

/* t as "YYYY-MM-DDTHH:MM:SSZ". */
void saola__dr_utc(time_t t, char out[21]);

/* A size in bytes for people: "12 KiB", "512 MiB", "12.3 GiB". */
const char *saola__dr_size(double bytes, char buf[32]);

/* The database's checks (doctor_db.c), in this order. database opens
 * d->conn (and d->sql on SQLite) or says why not; the others need it
 * (users and forms also need d->readable, which schema sets). */
void saola__dr_check_database(saola__doctor *d);
void saola__dr_check_integrity(saola__doctor *d);
void saola__dr_check_schema(saola__doctor *d);
void saola__dr_check_users(saola__doctor *d);
void saola__dr_check_forms(saola__doctor *d);

#endif
