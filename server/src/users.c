/* users.c: adding, revoking and listing the server's users. */
#include <stdio.h>
#include <string.h>

#include "saola_int.h"
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

int saola__user_create(saola__store *s, const char *name, const char *role,
                       const char *area, char token[SAOLA__TOKEN_HEX + 1], saola__err *e)
{
	unsigned char hash[SAOLA__SHA256_LEN];
	saola__user u;
	char now[21];
	int rc, end;

	token[0] = '\0';
	if (!valid_name(name))
		return saola__fail(e, 400, "bad_request",
		                   "name \"%s\": expected 1-%d letters, digits, '.', '_',"
		                   " '-' or '@'", name ? name : "", SAOLA__NAME_MAX);
	if (!saola__role_valid(role))
		return saola__fail(e, 400, "bad_request",
		                   "role \"%s\": expected surveyor, commune, district,"
		                   " province or admin", role ? role : "");
	if (!area)
		area = "";
	if (!(strcmp(role, "admin") == 0 && !*area) && !saola__area_valid(area))
		return saola__fail(e, 400, "bad_request",
		                   "area \"%s\": expected a unit code of 2 (province),"
		                   " 3 (district) or 5 (commune) digits", area);
	memset(&u, 0, sizeof u);
	snprintf(u.name, sizeof u.name, "%s", name);
	snprintf(u.role, sizeof u.role, "%s", role);
	snprintf(u.area, sizeof u.area, "%s", area);
	if (saola__token_new(token) != SAOLA_OK)
		return saola__fail(e, 500, "internal", "no random source for a token");
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
		return saola__fail(e, rc == SAOLA_CONFLICT ? 409 : 500,
		                   rc == SAOLA_CONFLICT ? "conflict" : "internal", "%s",
		                   s->ops->errmsg(s));
	}
	return 0;
}

int saola__user_revoke_name(saola__store *s, const char *name, int *already, saola__err *e)
{
	saola__user u;
	char now[21];
	int rc, end, found = 0;

	*already = 0;
	if ((rc = s->ops->write_begin(s, 1)) != SAOLA_OK)
		return saola__fail(e, 500, "internal", "%s", s->ops->errmsg(s));
	rc = s->ops->user_by_name(s, name, &u, &found);
	if (rc == SAOLA_OK && found && !u.revoked) {
		saola__now(now);
		rc = s->ops->user_revoke(s, u.id, now);
	}
	end = s->ops->end(s, rc == SAOLA_OK);
	if (rc == SAOLA_OK)
		rc = end;
	if (rc != SAOLA_OK)
		return saola__fail(e, 500, "internal", "%s", s->ops->errmsg(s));
	if (!found)
		return saola__fail(e, 404, "not_found", "no user named \"%s\"", name);
	*already = u.revoked;
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
		return saola__fail(e, 500, "internal", "%s", s->ops->errmsg(s));
	return 0;
}
