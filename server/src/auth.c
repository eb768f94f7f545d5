/* auth.c: tokens, bearer authentication, roles and the area rule. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "saola_util.h"

int saola__token_new(char token[SAOLA__TOKEN_HEX + 1])
{
	unsigned char raw[SAOLA__TOKEN_HEX / 2];

	if (saola__random(raw, sizeof raw) != 0)
		return SAOLA_IO;
	saola__hex(raw, sizeof raw, token);
	memset(raw, 0, sizeof raw);
	return SAOLA_OK;
}

void saola__token_hash(const char *token, size_t len, unsigned char out[SAOLA__SHA256_LEN])
{
	saola__sha256(token, len, out);
}

static int is_token(const char *t, size_t n)
{
	size_t i;

	if (n != SAOLA__TOKEN_HEX)
		return 0;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)t[i]))
			return 0;
	return 1;
}

int saola__authenticate(saola__store *s, const char *header, saola__user *u, saola__err *e)
{
	unsigned char hash[SAOLA__SHA256_LEN], stored[SAOLA__SHA256_LEN];
	char now[21];
	const char *t;
	size_t n;
	int found = 0;

	memset(u, 0, sizeof *u);
	if (!header || strncasecmp(header, "Bearer ", 7) != 0)
		return saola__err_set(e, SAOLA__E_UNAUTHORIZED,
		                      "no token: send the header Authorization: Bearer <token>");
	for (t = header + 7; *t == ' '; t++)
		;
	n = strlen(t);
	while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
		n--;
	if (!is_token(t, n))
		return saola__err_set(e, SAOLA__E_UNAUTHORIZED, "unknown token");
	saola__token_hash(t, n, hash);
	/* The lookup goes by hash, so any timing it shows is of a hash, which
	 * tells nothing of a token; the match itself is checked in constant
	 * time. */
	if (s->ops->user_by_hash(s, hash, u, stored, &found) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "authenticate: %s", s->ops->errmsg(s));
	if (!found || saola__ct_compare(hash, stored, sizeof hash) != 0) {
		memset(u, 0, sizeof *u);
		return saola__err_set(e, SAOLA__E_UNAUTHORIZED, "unknown token");
	}
	if (u->revoked)
		return saola__err_set(e, SAOLA__E_UNAUTHORIZED, "the token of user %s is revoked",
		                      u->name);
	/* Checked on every request, so that an expiry (or "user expire")
	 * takes effect at once. */
	saola__now(now);
	if (u->expires[0] && strcmp(now, u->expires) >= 0)
		return saola__err_set(e, SAOLA__E_UNAUTHORIZED, "the token of user %s expired at"
		                      " %s: an administrator can renew it (saola-server user"
		                      " renew)", u->name, u->expires);
	return 0;
}

static const char *const roles[] = {"surveyor", "commune", "district", "province", "admin"};

int saola__role_valid(const char *role)
{
	size_t i;

	for (i = 0; role && i < sizeof roles / sizeof roles[0]; i++)
		if (strcmp(role, roles[i]) == 0)
			return 1;
	return 0;
}

int saola__area_valid(const char *area)
{
	size_t n = area ? strlen(area) : 0, i;

	if (n != 2 && n != 3 && n != 5)
		return 0;
	for (i = 0; i < n; i++)
		if (area[i] < '0' || area[i] > '9')
			return 0;
	return 1;
}

static int is_admin(const saola__user *u)
{
	return strcmp(u->role, "admin") == 0;
}

/* The unit of a record at the level of the user's area, and its name. */
static const char *unit_at_level(const saola__user *u, const saola__units *units,
                                 const char **level)
{
	switch (strlen(u->area)) {
	case 2: *level = "province"; return units->province;
	case 3: *level = "district"; return units->district;
	case 5: *level = "commune"; return units->commune;
	}
	*level = "unit";
	return NULL;
}

int saola__area_contains(const saola__user *u, const saola__units *units)
{
	const char *level, *unit;

	if (is_admin(u))
		return 1;
	if (units->bad)
		return 0;
	unit = unit_at_level(u, units, &level);
	return unit && *unit && strcmp(unit, u->area) == 0;
}

const char *saola__user_area(const saola__user *u)
{
	return is_admin(u) ? NULL : u->area;
}

void saola__area_explain(const saola__user *u, const saola__units *units, char *buf,
                         size_t len)
{
	const char *level, *unit = unit_at_level(u, units, &level);

	if (!unit || !*unit)
		snprintf(buf, len, "no %s is given, so it is outside your area %s", level, u->area);
	else
		snprintf(buf, len, "%s %s%s is outside your area %s", level, unit,
		         units->bad ? "..." : "", u->area);
}
