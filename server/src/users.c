/* users.c: adding, renewing, expiring, revoking and listing the server's
 * users. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "saola_util.h"
#include "users.h"

static int valid_name(const char *name)
{
	size_t n = name ? strlen(name) : 0, i;

	if (n == 0 || n > SAOLA__NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-' || c == '@'))
			return 0;
	}
	return 1;
}

/* 1 when s has the shape of pat, where '0' stands for a digit. */
static int shaped(const char *s, const char *pat)
{
	for (; *pat; s++, pat++)
		if (*pat == '0' ? !(*s >= '0' && *s <= '9') : *s != *pat)
			return 0;
	return *s == '\0';
}

static int digits(const char *s, int n)
{
	int v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

/* Seconds since the epoch of "YYYY-MM-DD" (its first second) or
 * "YYYY-MM-DDTHH:MM:SSZ", UTC; -1 when s is neither or no real time (a
 * 30 February, a 25th hour). */
static time_t parse_time(const char *s)
{
	int full = shaped(s, "0000-00-00T00:00:00Z");
	struct tm tm, norm;
	time_t t;

	if (!full && !shaped(s, "0000-00-00"))
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = digits(s, 4) - 1900;
	tm.tm_mon = digits(s + 5, 2) - 1;
	tm.tm_mday = digits(s + 8, 2);
	if (full) {
		tm.tm_hour = digits(s + 11, 2);
		tm.tm_min = digits(s + 14, 2);
		tm.tm_sec = digits(s + 17, 2);
	}
	/* timegm() normalizes 30 February to 2 March: such a date does not
	 * come back the same. */
	norm = tm;
	if (tm.tm_year < 70 || (t = timegm(&norm)) == (time_t)-1 ||
	    norm.tm_year != tm.tm_year || norm.tm_mon != tm.tm_mon ||
	    norm.tm_mday != tm.tm_mday || norm.tm_hour != tm.tm_hour ||
	    norm.tm_min != tm.tm_min || norm.tm_sec != tm.tm_sec)
		return -1;
	return t;
}

static void format_time(time_t t, char out[21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The number of days that --days gives, or -1. */
static long parse_days(const char *s)
{
	char *end;
	long n;

	if (!s || !(*s >= '0' && *s <= '9'))
		return -1;
	n = strtol(s, &end, 10);
	return *end || n < 1 || n > SAOLA__EXPIRY_DAYS_MAX ? -1 : n;
}

int saola__expiry_parse(const char *expires, const char *days, time_t now, char out[21],
                        saola__err *e)
{
	char now_s[21];
	time_t t;
	long n;

	out[0] = '\0';
	if (expires && days)
		return saola__err_set(e, SAOLA_PROTOCOL, "--expires and --days: give one of them");
	if (expires && strcmp(expires, "never") == 0)
		return 0;
	if (expires) {
		if ((t = parse_time(expires)) < 0)
			return saola__err_set(e, SAOLA_PROTOCOL, "--expires \"%.40s\": expected a"
			                      " date YYYY-MM-DD, a time YYYY-MM-DDTHH:MM:SSZ (UTC)"
			                      " or never", expires);
		format_time(t, out);
		if (t <= now) {
			format_time(now, now_s);
			saola__err_set(e, SAOLA_PROTOCOL, "--expires %s: the token would be"
			               " refused from %s, which is past (it is %s now): give a"
			               " later date", expires, out, now_s);
			out[0] = '\0';
			return -1;
		}
		return 0;
	}
	if ((n = days ? parse_days(days) : SAOLA__EXPIRY_DAYS_DEFAULT) < 0)
		return saola__err_set(e, SAOLA_PROTOCOL, "--days \"%.40s\": expected a number of"
		                      " days from 1 to %d (or --expires never)", days,
		                      SAOLA__EXPIRY_DAYS_MAX);
	format_time(now + (time_t)n * 86400, out);
	return 0;
}

/* 1 when stamp is a time as saola__expiry_parse() gives (or ""). */
static int valid_expiry(const char *stamp)
{
	return !stamp || !*stamp || (shaped(stamp, "0000-00-00T00:00:00Z") && parse_time(stamp) >= 0);
}

int saola__user_create(saola__store *s, const char *name, const char *role,
                       const char *area, char token[SAOLA__TOKEN_HEX + 1], saola__err *e)
{
	return saola__user_create_until(s, name, role, area, NULL, token, e);
}

int saola__user_create_until(saola__store *s, const char *name, const char *role,
                             const char *area, const char *expires,
                             char token[SAOLA__TOKEN_HEX + 1], saola__err *e)
{
	unsigned char hash[SAOLA__SHA256_LEN];
	saola__user u;
	char now[21];
	int rc, end;

	token[0] = '\0';
	if (!valid_name(name))
		return saola__err_set(e, SAOLA_PROTOCOL,
		                      "name \"%s\": expected 1-%d letters, digits, '.', '_',"
		                      " '-' or '@'", name ? name : "", SAOLA__NAME_MAX);
	if (!saola__role_valid(role))
		return saola__err_set(e, SAOLA_PROTOCOL,
		                      "role \"%s\": expected surveyor, commune, district,"
		                      " province or admin", role ? role : "");
	if (!area)
		area = "";
	if (!(strcmp(role, "admin") == 0 && !*area) && !saola__area_valid(area))
		return saola__err_set(e, SAOLA_PROTOCOL,
		                      "area \"%s\": expected a unit code of 2 (province),"
		                      " 3 (district) or 5 (commune) digits", area);
	if (!valid_expiry(expires))
		return saola__err_set(e, SAOLA_PROTOCOL, "expiry \"%.40s\": expected a time"
		                      " YYYY-MM-DDTHH:MM:SSZ (UTC)", expires);
	memset(&u, 0, sizeof u);
	snprintf(u.name, sizeof u.name, "%s", name);
	snprintf(u.role, sizeof u.role, "%s", role);
	snprintf(u.area, sizeof u.area, "%s", area);
	snprintf(u.expires, sizeof u.expires, "%s", expires ? expires : "");
	if (saola__token_new(token) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "no random source for a token");
	saola__token_hash(token, SAOLA__TOKEN_HEX, hash);
	saola__now(now);
	if ((rc = s->ops->write_begin(s, 1)) == SAOLA_OK) {
		rc = s->ops->user_add(s, &u, hash, now);
		end = s->ops->end(s, rc == SAOLA_OK);
		if (rc == SAOLA_OK)
			rc = end;
	}
	if (rc != SAOLA_OK) {
		memset(token, 0, SAOLA__TOKEN_HEX + 1);
		return saola__err_set(e, rc == SAOLA_CONFLICT ? SAOLA_CONFLICT : SAOLA_ERROR, "%s",
		                      s->ops->errmsg(s));
	}
	return 0;
}

/* A change to one user (u as stored), made in change_user()'s
 * transaction: a store code; SAOLA_CONFLICT to refuse, writing nothing. */
typedef int (*user_change)(saola__store *s, const saola__user *u, const char *arg);

/* Finds the user named name in a write transaction, runs fn on it and
 * commits (rolls back when fn fails). *u is the user as found, before fn.
 * 0; 1 when fn refused; -1 with e for no such user (404) or a store
 * failure (500). */
static int change_user(saola__store *s, const char *name, user_change fn, const char *arg,
                       saola__user *u, saola__err *e)
{
	int rc, end, found = 0;

	if ((rc = s->ops->write_begin(s, 1)) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "%s", s->ops->errmsg(s));
	rc = s->ops->user_by_name(s, name, u, &found);
	if (rc == SAOLA_OK && found)
		rc = fn(s, u, arg);
	end = s->ops->end(s, rc == SAOLA_OK);
	if (rc == SAOLA_CONFLICT)
		return 1;
	if (rc == SAOLA_OK)
		rc = end;
	if (rc != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "%s", s->ops->errmsg(s));
	if (!found)
		return saola__err_set(e, SAOLA_NOTFOUND, "no user named \"%s\"", name);
	return 0;
}

static int revoke(saola__store *s, const saola__user *u, const char *now)
{
	return u->revoked ? SAOLA_OK : s->ops->user_revoke(s, u->id, now);
}

static int renew(saola__store *s, const saola__user *u, const char *expires)
{
	return u->revoked ? SAOLA_CONFLICT : s->ops->user_expiry(s, u->id, expires);
}

/* 1 when u's token is expired at now. */
static int expired(const saola__user *u, const char *now)
{
	return u->expires[0] && strcmp(u->expires, now) <= 0;
}

static int expire(saola__store *s, const saola__user *u, const char *now)
{
	return expired(u, now) ? SAOLA_OK : s->ops->user_expiry(s, u->id, now);
}

/* Stores the hash of the new token (arg, hex) as u's. */
static int rotate(saola__store *s, const saola__user *u, const char *token)
{
	unsigned char hash[SAOLA__SHA256_LEN];
	saola__dbstmt *st = NULL;
	int rc;

	if (u->revoked)
		return SAOLA_CONFLICT;
	saola__token_hash(token, SAOLA__TOKEN_HEX, hash);
	if ((rc = saola__db_prepare(saola__store_db(s), "UPDATE users SET token_hash = ?"
	                            " WHERE id = ?", &st)) != SAOLA_OK)
		return rc;
	saola__db_bind_blob(st, 1, hash, sizeof hash);
	saola__db_bind_int(st, 2, u->id);
	rc = saola__db_step(st) == SAOLA__DB_DONE ? SAOLA_OK : SAOLA_ERROR;
	saola__db_finalize(st);
	return rc;
}

int saola__user_rotate_name(saola__store *s, const char *name,
                            char token[SAOLA__TOKEN_HEX + 1], saola__err *e)
{
	saola__user u;
	int rc;

	if (saola__token_new(token) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "no random source for a token");
	if ((rc = change_user(s, name, rotate, token, &u, e)) == 1)
		saola__err_set(e, SAOLA_CONFLICT, "user %s is revoked, and a revoked token stays"
		               " revoked: add a new user for a new token", u.name);
	if (rc != 0) {
		memset(token, 0, SAOLA__TOKEN_HEX + 1);
		return -1;
	}
	return 0;
}

int saola__user_revoke_name(saola__store *s, const char *name, int *already, saola__err *e)
{
	saola__user u;
	char now[21];

	*already = 0;
	saola__now(now);
	if (change_user(s, name, revoke, now, &u, e) != 0)
		return -1;
	*already = u.revoked;
	return 0;
}

int saola__user_renew_name(saola__store *s, const char *name, const char *expires,
                           saola__err *e)
{
	saola__user u;
	int rc;

	if (!valid_expiry(expires))
		return saola__err_set(e, SAOLA_PROTOCOL, "expiry \"%.40s\": expected a time"
		                      " YYYY-MM-DDTHH:MM:SSZ (UTC)", expires);
	if ((rc = change_user(s, name, renew, expires ? expires : "", &u, e)) == 1)
		return saola__err_set(e, SAOLA_CONFLICT, "user %s is revoked, and a revoked token"
		                      " stays revoked: add a new user for a new token", u.name);
	return rc;
}

int saola__user_expire_name(saola__store *s, const char *name, char at[21], int *already,
                            saola__err *e)
{
	saola__user u;
	char now[21];

	*already = 0;
	at[0] = '\0';
	saola__now(now);
	if (change_user(s, name, expire, now, &u, e) != 0)
		return -1;
	*already = expired(&u, now);
	snprintf(at, 21, "%s", *already ? u.expires : now);
	return 0;
}

int saola__user_list_all(saola__store *s, json_t **out, saola__err *e)
{
	int rc;

	*out = NULL;
	if ((rc = s->ops->read_begin(s)) == SAOLA_OK) {
		rc = s->ops->user_list(s, out);
		s->ops->end(s, 1);
	}
	if (rc != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "%s", s->ops->errmsg(s));
	return 0;
}
