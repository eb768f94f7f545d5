/* listed.c: the households each commune listed in a year (where its review
 * starts: the denominator of official rates), kept in the listed table:
 * loaded from a file (JSON lines or CSV), all or nothing, every line
 * checked; and listed again. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "saola/core.h"
#include "report.h"
#include "units.h"
#include "units_map.h"

#define LISTED_MAX_HOUSEHOLDS 100000000LL
#define LINE_MAX_LEN 4096

typedef struct entry {
	int year;
	char commune[SAOLA__UNIT_CODE_MAX + 1];
	long long households;
} entry;

typedef struct entries {
	entry *v;
	size_t n, cap;
} entries;

/* A failure (rc) at a line of path, as e. Returns -1. */
static int err_at(saola__err *e, int rc, const char *path, int line, const char *what)
{
	return saola__err_set(e, rc, "%s:%d: %s", path, line, what);
}

/* A whole non-negative integer (digits only) within max; -1 if not. */
static long long whole(const char *s, long long max)
{
	long long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s) || v > max / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v <= max ? v : -1;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	if (e - s >= 2 && *s == '"' && e[-1] == '"') {
		e[-1] = '\0';
		s++;
	}
	return s;
}

/* One CSV line "year,commune,households" into *o; 0 or -1 with what. */
static int parse_csv(char *line, entry *o, char *what, size_t len)
{
	char *f[3], *p = line;
	long long y;
	int i;

	for (i = 0; i < 3; i++) {
		char *comma = strchr(p, ',');
		f[i] = p;
		if (i < 2 && !comma) {
			snprintf(what, len, "expected 3 fields: year,commune,households");
			return -1;
		}
		if (comma) {
			if (i == 2) {
				snprintf(what, len, "expected 3 fields: year,commune,households");
				return -1;
			}
			*comma = '\0';
			p = comma + 1;
		}
	}
	for (i = 0; i < 3; i++)
		f[i] = trim(f[i]);
	if ((y = whole(f[0], 9999)) < 1900 || y > 2200) {
		snprintf(what, len, "year \"%.20s\": expected a year 1900-2200", f[0]);
		return -1;
	}
	o->year = (int)y;
	snprintf(o->commune, sizeof o->commune, "%.*s", (int)sizeof o->commune - 1, f[1]);
	if (strlen(f[1]) >= sizeof o->commune || whole(f[1], 99999999) < 0) {
		snprintf(what, len, "commune \"%.20s\": expected a commune code (digits)", f[1]);
		return -1;
	}
	if ((o->households = whole(f[2], LISTED_MAX_HOUSEHOLDS)) < 0) {
		snprintf(what, len, "households \"%.20s\": expected a whole number of households,"
		         " 0 or more", f[2]);
		return -1;
	}
	return 0;
}

/* One JSON line {"year", "commune", "households"} into *o. */
static int parse_json(const char *line, entry *o, char *what, size_t len)
{
	json_error_t je;
	json_t *v = json_loads(line, JSON_REJECT_DUPLICATES, &je), *x;
	const char *key, *c;
	int rc = -1;

	if (!v || !json_is_object(v)) {
		snprintf(what, len, "expected a JSON object {\"year\", \"commune\", \"households\"}%s%s",
		         v ? "" : ": ", v ? "" : je.text);
		goto out;
	}
	json_object_foreach(v, key, x)
		if (strcmp(key, "year") && strcmp(key, "commune") && strcmp(key, "households")) {
			snprintf(what, len, "%.40s: unexpected key (expected year, commune, households)",
			         key);
			goto out;
		}
	x = json_object_get(v, "year");
	if (!json_is_integer(x) || json_integer_value(x) < 1900 || json_integer_value(x) > 2200) {
		snprintf(what, len, "year: expected a year 1900-2200");
		goto out;
	}
	o->year = (int)json_integer_value(x);
	c = json_string_value(json_object_get(v, "commune"));
	if (!c || strlen(c) >= sizeof o->commune || whole(c, 99999999) < 0) {
		snprintf(what, len, "commune: expected a commune code (a string of digits)");
		goto out;
	}
	snprintf(o->commune, sizeof o->commune, "%s", c);
	x = json_object_get(v, "households");
	if (!json_is_integer(x) || json_integer_value(x) < 0 ||
	    json_integer_value(x) > LISTED_MAX_HOUSEHOLDS) {
		snprintf(what, len, "households: expected a whole number of households, 0 or more");
		goto out;
	}
	o->households = (long long)json_integer_value(x);
	rc = 0;
out:
	json_decref(v);
	return rc;
}

/* Whether code is a commune unit valid in year (on its review day: in the
 * year of a reorganisation, the units the review was run in); else what
 * says why. */
/* The review day of the last year asked, so that a listing's lines (all
 * of one year, as a rule) do not each read the standards again. */
typedef struct review_day {
	int year;
	char date[SAOLA__DATE_MAX + 1];
} review_day;

static const char *review_day_of(review_day *rd, int year)
{
	if (rd->year != year) {
		saola__review_date(saola__schemas_dir(NULL), year, rd->date, NULL);
		rd->year = year;
	}
	return rd->date;
}

/* SAOLA_OK when o's commune is a commune unit on its year's review day,
 * else SAOLA_INVALID, or SAOLA_ERROR when the units cannot be read; what
 * says why. */
static int check_commune(saola__db *db, review_day *rd, const entry *o, char *what, size_t len)
{
	/* Parameters: the day twice, then the code. */
	static const char sql[] =
		"SELECT max(CASE WHEN level = 'commune' AND valid_from <= ? AND (valid_to IS NULL OR"
		" valid_to >= ?) THEN 1 ELSE 0 END), max(name), min(valid_from),"
		" max(coalesce(valid_to, '...')), count(*) FROM units WHERE code = ?";
	const char *date = review_day_of(rd, o->year);
	saola__dbstmt *st = NULL;
	int rc = SAOLA_INVALID;

	if (saola__db_prepare(db, sql, &st) != SAOLA_OK) {
		snprintf(what, len, "units: %s", saola__db_errmsg(db));
		return SAOLA_ERROR;
	}
	saola__db_bind_text(st, 1, date, -1);
	saola__db_bind_text(st, 2, date, -1);
	saola__db_bind_text(st, 3, o->commune, -1);
	if (saola__db_step(st) != SAOLA__DB_ROW) {
		snprintf(what, len, "units: %s", saola__db_errmsg(db));
		rc = SAOLA_ERROR;
	} else if (saola__db_column_int(st, 4) == 0)
		snprintf(what, len, "commune %s: no unit has this code (saola-server units load)",
		         o->commune);
	else if (!saola__db_column_int(st, 0))
		snprintf(what, len, "commune %s (%s): not a commune on %s, the review day of %d (its"
		         " versions: %s to %s)", o->commune, saola__db_column_text(st, 1),
		         date, o->year, saola__db_column_text(st, 2), saola__db_column_text(st, 3));
	else
		rc = SAOLA_OK;
	saola__db_finalize(st);
	return rc;
}

/* Adds o to es: SAOLA_OK, SAOLA_INVALID when its (year, commune) is there
 * already, or SAOLA_NOMEM; what says why. */
static int add(entries *es, const entry *o, char *what, size_t len)
{
	size_t i;

	for (i = 0; i < es->n; i++)
		if (es->v[i].year == o->year && strcmp(es->v[i].commune, o->commune) == 0) {
			snprintf(what, len, "commune %s, year %d: given twice", o->commune,
			         o->year);
			return SAOLA_INVALID;
		}
	if (es->n == es->cap) {
		size_t cap = es->cap ? es->cap * 2 : 256;
		entry *v = realloc(es->v, cap * sizeof *v);
		if (!v) {
			snprintf(what, len, "out of memory");
			return SAOLA_NOMEM;
		}
		es->v = v;
		es->cap = cap;
	}
	es->v[es->n++] = *o;
	return 0;
}

/* Reads and checks every line of path into es; 0 or -1 with e
 * (SAOLA_INVALID for a line that is not right, with its number). */
static int read_file(saola__db *db, const char *path, entries *es, saola__err *e)
{
	FILE *f = fopen(path, "r");
	char line[LINE_MAX_LEN], what[400], *p;
	int n = 0, csv = -1, rc = 0, code;
	review_day rd = {0, ""};
	entry o;

	if (!f)
		return saola__err_set(e, SAOLA_IO, "%s: cannot open it", path);
	while (rc == 0 && fgets(line, sizeof line, f)) {
		n++;
		if (!strchr(line, '\n') && !feof(f)) {
			rc = err_at(e, SAOLA_INVALID, path, n, "line too long");
			break;
		}
		line[strcspn(line, "\r\n")] = '\0';
		p = trim(line);
		if (n == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0)
			p += 3;
		if (!*p)
			continue;
		if (csv < 0) {
			csv = *p != '{';
			if (csv && strncmp(p, "year,", 5) == 0 && strstr(p, "households"))
				continue;   /* the CSV header */
		}
		memset(&o, 0, sizeof o);
		if (csv ? parse_csv(p, &o, what, sizeof what) != 0
		        : parse_json(p, &o, what, sizeof what) != 0)
			code = SAOLA_INVALID;
		else if ((code = check_commune(db, &rd, &o, what, sizeof what)) == SAOLA_OK)
			code = add(es, &o, what, sizeof what);
		if (code != SAOLA_OK)
			rc = err_at(e, code, path, n, what);
	}
	if (rc == 0 && ferror(f))
		rc = err_at(e, SAOLA_IO, path, n, "read failed");
	fclose(f);
	return rc;
}

int saola__listed_load(saola__db *db, const char *path, int *count, saola__err *e)
{
	entries es = {NULL, 0, 0};
	saola__dbstmt *ins = NULL;
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	size_t i;
	int rc = -1;

	*count = 0;
	gmtime_r(&t, &tm);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (saola__db_begin_write(db) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "begin: %s", saola__db_errmsg(db));
	if (read_file(db, path, &es, e) != 0)
		goto out;
	if (saola__db_prepare(db, "INSERT INTO listed(year, commune, households, source, loaded_at)"
	                      " VALUES (?, ?, ?, ?, ?) ON CONFLICT (year, commune) DO UPDATE SET"
	                      " households = excluded.households, source = excluded.source,"
	                      " loaded_at = excluded.loaded_at", &ins) != SAOLA_OK) {
		saola__err_set(e, SAOLA_ERROR, "listed: %s", saola__db_errmsg(db));
		goto out;
	}
	for (i = 0; i < es.n; i++) {
		saola__db_reset(ins);
		saola__db_bind_int(ins, 1, es.v[i].year);
		saola__db_bind_text(ins, 2, es.v[i].commune, -1);
		saola__db_bind_int(ins, 3, es.v[i].households);
		saola__db_bind_text(ins, 4, path, -1);
		saola__db_bind_text(ins, 5, now, -1);
		if (saola__db_step(ins) != SAOLA__DB_DONE) {
			saola__err_set(e, SAOLA_ERROR, "listed: %s", saola__db_errmsg(db));
			goto out;
		}
	}
	saola__db_finalize(ins);
	ins = NULL;
	/* A failed commit rolls back. */
	if (saola__db_end(db, 1) != SAOLA_OK) {
		saola__err_set(e, SAOLA_ERROR, "commit: %s", saola__db_errmsg(db));
		free(es.v);
		return -1;
	}
	*count = (int)es.n;
	rc = 0;
out:
	saola__db_finalize(ins);
	if (rc != 0)
		saola__db_end(db, 0);
	free(es.v);
	return rc;
}

/* Prints the listed households of year (0: all) in area (NULL: all). */
static int listed_print(saola__db *db, int year, const char *area, FILE *out, saola__err *e)
{
	saola__dbstmt *st = NULL;
	long long total = 0;
	int n = 0, step, within;

	if (saola__db_prepare(db, "SELECT year, commune, households, source, loaded_at FROM listed"
	                      " WHERE ? = 0 OR year = ? ORDER BY year, commune", &st) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "listed: %s", saola__db_errmsg(db));
	saola__db_bind_int(st, 1, year);
	saola__db_bind_int(st, 2, year);
	fprintf(out, "%-5s  %-40s  %10s  %-20s  %s\n", "year", "commune", "households", "loaded_at",
	        "source");
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW) {
		const char *code = saola__db_column_text(st, 1);
		char label[SAOLA__UNIT_NAME_MAX + 32];
		saola__unit u;
		int found = 0, y = (int)saola__db_column_int(st, 0);

		if (area && *area && (saola__unit_within(db, code, area, &within) != 0 || !within))
			continue;
		if (saola__unit_get(db, code, y, &u, &found) != 0)
			found = 0;
		saola__unit_label(found ? &u : NULL, code, label, sizeof label);
		fprintf(out, "%-5d  %-40s  %10lld  %-20s  %s\n", y, label,
		        (long long)saola__db_column_int(st, 2), saola__db_column_text(st, 4),
		        saola__db_column_text(st, 3));
		total += saola__db_column_int(st, 2);
		n++;
	}
	saola__db_finalize(st);
	if (step != SAOLA__DB_DONE)
		return saola__err_set(e, SAOLA_ERROR, "listed: %s", saola__db_errmsg(db));
	fprintf(out, "%d commune-year%s, %lld households\n", n, n == 1 ? "" : "s", total);
	return 0;
}

#define LISTED_USAGE \
	"saola-server listed load --db PATH FILE\n" \
	"       saola-server listed list --db PATH [--year Y] [--area CODE]\n" \
	"FILE: JSON lines {\"year\":2024,\"commune\":\"14404\",\"households\":812} or CSV\n" \
	"year,commune,households; all or nothing; a (year, commune) loaded again is replaced"

/* The option value after name in argv, or NULL; *file the one bare word. */
static int options(int argc, char **argv, const char **db, const char **year,
                   const char **area, const char **file)
{
	int i;

	*db = *year = *area = *file = NULL;
	for (i = 0; i < argc; i++) {
		const char **slot = strcmp(argv[i], "--db") == 0 ? db : strcmp(argv[i], "--year") == 0
		                    ? year : strcmp(argv[i], "--area") == 0 ? area : NULL;
		if (slot) {
			if (i + 1 >= argc)
				return -1;
			*slot = argv[++i];
		} else if (argv[i][0] == '-' || *file) {
			return -1;
		} else {
			*file = argv[i];
		}
	}
	return *db ? 0 : -1;
}

int saola__cmd_listed(int argc, char **argv)
{
	const char *db, *year, *area, *file;
	char err[SAOLA__ERR_MAX];
	saola__store *s = NULL;
	saola__err e;
	int load, n = 0, rc, y = 0;

	if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
		printf("usage: %s\n", LISTED_USAGE);
		return 0;
	}
	load = argc >= 1 && strcmp(argv[0], "load") == 0;
	if (argc < 1 || (!load && strcmp(argv[0], "list") != 0) ||
	    options(argc - 1, argv + 1, &db, &year, &area, &file) != 0 || (load && !file) ||
	    (!load && file) || (load && (year || area))) {
		fprintf(stderr, "usage: %s\n", LISTED_USAGE);
		return 2;
	}
	if (year && ((y = (int)whole(year, 9999)) < 1900 || y > 2200)) {
		fprintf(stderr, "listed list: --year %s: expected a year 1900-2200\n", year);
		return 2;
	}
	if (saola__store_open(db, NULL, 0, &s, err, sizeof err) != SAOLA_OK) {
		fprintf(stderr, "listed %s: %s\n", argv[0], err);
		return 1;
	}
	rc = load ? saola__listed_load(saola__store_db(s), file, &n, &e)
	          : listed_print(saola__store_db(s), y, area, stdout, &e);
	saola__store_close(s);
	if (rc != 0) {
		fprintf(stderr, "listed %s: %s%s\n", argv[0], e.message, load ? " (nothing loaded)"
		        : "");
		return 1;
	}
	if (load)
		printf("loaded %d commune-year%s of households listed from %s\n", n, n == 1 ? "" : "s",
		       file);
	return 0;
}
