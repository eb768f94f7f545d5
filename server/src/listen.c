/* listen.c: the listening socket and the descriptor limit. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listen.h"

/* "HOST:PORT" (HOST may be "[v6]") to a socket address. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sslen,
                        int *ipv6, saola__err *e)
{
	const char *colon = listen ? strrchr(listen, ':') : NULL;
	struct addrinfo hints, *res = NULL;
	char host[256], port[16];
	size_t hlen;
	int rc;

	if (!colon || colon == listen || strlen(colon + 1) == 0 ||
	    strlen(colon + 1) >= sizeof port || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    atol(colon + 1) > 65535) {
		return saola__err_set(e, SAOLA_INVALID, "listen address \"%s\": expected HOST:PORT,"
		                      " as 127.0.0.1:8080 (port 0 picks a free one)",
		                      listen ? listen : "");
	}
	hlen = (size_t)(colon - listen);
	if (hlen >= 2 && listen[0] == '[' && listen[hlen - 1] == ']')
		listen++, hlen -= 2;
	if (hlen >= sizeof host)
		return saola__err_set(e, SAOLA_INVALID, "listen address: host name too long");
	memcpy(host, listen, hlen);
	host[hlen] = '\0';
	snprintf(port, sizeof port, "%s", colon + 1);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
		return saola__err_set(e, SAOLA_NETWORK, "listen address %s: %s", host,
		                      gai_strerror(rc));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	*ipv6 = res->ai_family == AF_INET6;
	freeaddrinfo(res);
	return 0;
}

int saola__listen_open(const char *where, int *fd, int *port, int *ipv6, saola__err *e)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	int s = -1, on = 1;

	*fd = -1;
	*port = 0;
	if (parse_listen(where, &ss, &sslen, ipv6, e) != 0)
		return -1;
	if ((s = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return saola__err_set(e, SAOLA_NETWORK, "listen %s: socket: %s", where,
		                      strerror(errno));
	/* SO_REUSEADDR lets a restarted server bind past the old one's
	 * connections in TIME_WAIT; unlike SO_REUSEPORT it never lets two
	 * listeners share the port. */
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
	    (*ipv6 && setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0)) {
		saola__err_set(e, SAOLA_NETWORK, "listen %s: setsockopt: %s", where,
		               strerror(errno));
		goto fail;
	}
	if (bind(s, (struct sockaddr *)&ss, sslen) != 0) {
		int why = errno;
		saola__err_set(e, SAOLA_NETWORK, "listen %s: %s%s", where, strerror(why),
		               why == EADDRINUSE ? " (another saola-server, or another program,"
		               " listens there: stop it or choose another port)" : "");
		goto fail;
	}
	if (listen(s, SOMAXCONN) != 0) {
		saola__err_set(e, SAOLA_NETWORK, "listen %s: %s", where, strerror(errno));
		goto fail;
	}
	sslen = sizeof ss;
	if (getsockname(s, (struct sockaddr *)&ss, &sslen) == 0)
		*port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
		                                       : ((struct sockaddr_in *)&ss)->sin_port);
	*fd = s;
	return 0;
fail:
	close(s);
	return -1;
}

long saola__fd_limit_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && getrlimit(RLIMIT_NOFILE, &rl) != 0)
			return -1;
	}
	return rl.rlim_cur == RLIM_INFINITY ? -1 : (long)rl.rlim_cur;
}
