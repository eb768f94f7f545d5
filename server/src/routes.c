/* routes.c: every URL the server answers (docs/protocol.md, "Routes"): the
 * one table http.c dispatches by, how a path is matched, and who may call
 * the operator's routes. */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "dashboard.h"
#include "routes.h"

const saola__route saola__routes[] = {
	/* The devices' protocol (docs/protocol.md). */
	{"GET",  "/healthz",                SAOLA__EXACT,  SAOLA__OPEN,    SAOLA__NO_BODY,
	 saola__serve_healthz},
	{"GET",  "/v1/forms",               SAOLA__EXACT,  SAOLA__TOKEN,   SAOLA__NO_BODY,
	 saola__serve_forms},
	{"POST", "/v1/sync",                SAOLA__EXACT,  SAOLA__TOKEN,   SAOLA__SYNC_BODY,
	 saola__serve_sync},
	/* The operator's monitoring (docs/server.md, "Monitoring"). */
	{"GET",  "/metrics",                SAOLA__EXACT,  SAOLA__LOCAL_OR_ADMIN, SAOLA__NO_BODY,
	 saola__serve_metrics},
	/* The officers' dashboard: its files, then its data (docs/reports.md). */
	{"GET",  "/",                       SAOLA__FILES,  SAOLA__OPEN,    SAOLA__NO_BODY,
	 saola__serve_file},
	{"GET",  "/v1/reports",             SAOLA__EXACT,  SAOLA__OFFICER, SAOLA__NO_BODY,
	 saola__serve_reports},
	{"GET",  "/v1/reports/",            SAOLA__PREFIX, SAOLA__OFFICER, SAOLA__NO_BODY,
	 saola__serve_reports},
	{"GET",  "/v1/households.csv",      SAOLA__EXACT,  SAOLA__OFFICER, SAOLA__NO_BODY,
	 saola__serve_households},
	{"GET",  "/v1/lists/",              SAOLA__PREFIX, SAOLA__OFFICER, SAOLA__NO_BODY,
	 saola__serve_lists},
	{"GET",  "/v1/conflicts",           SAOLA__EXACT,  SAOLA__OFFICER, SAOLA__NO_BODY,
	 saola__serve_conflicts},
	{"GET",  "/v1/devices",             SAOLA__EXACT,  SAOLA__OFFICER, SAOLA__NO_BODY,
	 saola__serve_devices},
	/* The officers' actions (docs/protocol.md, "Officers"). */
	{"POST", "/v1/conflicts/*/resolve", SAOLA__ID,     SAOLA__OFFICER, SAOLA__OFFICER_BODY,
	 saola__serve_resolve},
	{"POST", "/v1/records/*/review",    SAOLA__ID,     SAOLA__OFFICER, SAOLA__OFFICER_BODY,
	 saola__serve_review},
};

const size_t saola__n_routes = sizeof saola__routes / sizeof saola__routes[0];

static int id_char(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       ch == '-' || ch == '_';
}

/* url against pattern (one '*' standing for an id), the id into id. */
static int match_id(const char *pattern, const char *url, char *id, size_t idlen)
{
	const char *star = strchr(pattern, '*');
	size_t pl = (size_t)(star - pattern), sl = strlen(star + 1), n = strlen(url), i;

	if (n <= pl + sl || n - pl - sl >= idlen || strncmp(url, pattern, pl) != 0 ||
	    strcmp(url + n - sl, star + 1) != 0)
		return 0;
	for (i = pl; i < n - sl; i++)
		if (!id_char(url[i]))
			return 0;
	memcpy(id, url + pl, n - pl - sl);
	id[n - pl - sl] = '\0';
	return 1;
}

int saola__route_matches(const saola__route *r, const char *url, char *id, size_t idlen)
{
	id[0] = '\0';
	switch (r->match) {
	case SAOLA__EXACT:
		return strcmp(url, r->path) == 0;
	case SAOLA__PREFIX:
		return strncmp(url, r->path, strlen(r->path)) == 0;
	case SAOLA__ID:
		return match_id(r->path, url, id, idlen);
	case SAOLA__FILES:
		return saola__web_asset(url);
	}
	return 0;
}

const saola__route *saola__route_find(const char *method, const char *url, char *id,
                                      size_t idlen, const char **allow)
{
	size_t i;

	/* One method per path today: a second would need its Allow joined. */
	*allow = NULL;
	for (i = 0; i < saola__n_routes; i++) {
		if (!saola__route_matches(&saola__routes[i], url, id, idlen))
			continue;
		if (strcmp(method, saola__routes[i].method) == 0)
			return &saola__routes[i];
		if (!*allow)
			*allow = saola__routes[i].method;
	}
	id[0] = '\0';
	return NULL;
}

int saola__is_loopback(const struct sockaddr *addr)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;

	if (!addr)
		return 0;
	if (addr->sa_family == AF_INET) {
		memcpy(&v4, addr, sizeof v4);
		return (ntohl(v4.sin_addr.s_addr) >> 24) == 127;
	}
	if (addr->sa_family != AF_INET6)
		return 0;
	memcpy(&v6, addr, sizeof v6);
	if (IN6_IS_ADDR_LOOPBACK(&v6.sin6_addr))
		return 1;
	return memcmp(v6.sin6_addr.s6_addr, mapped, sizeof mapped) == 0 &&
	       v6.sin6_addr.s6_addr[12] == 127;
}

int saola__local_or_admin(const struct sockaddr *addr, const saola__user *u, saola__err *e)
{
	if (saola__is_loopback(addr))
		return 0;
	/* From elsewhere the figures are the operator's: they say how many
	 * devices work and how the server fares, which is nobody else's. */
	if (!u || u->id == 0)
		return saola__err_set(e, SAOLA__E_UNAUTHORIZED, "this is for the operator: call"
		                      " it from the server itself, or with an admin's token");
	if (strcmp(u->role, "admin") != 0)
		return saola__err_set(e, SAOLA_AUTH, "user %s is a %s: this is for the operator"
		                      " (an admin, or a call from the server itself)", u->name,
		                      u->role);
	return 0;
}
