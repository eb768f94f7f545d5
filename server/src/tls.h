/* tls.h: HTTPS for saola-server: the certificate and key read for
 * libmicrohttpd (built with GnuTLS), and why the daemon would not start. */
#ifndef SAOLA_TLS_H
#define SAOLA_TLS_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>
#include <microhttpd.h>

#include "server_int.h"

typedef struct saola__tls {
	char *cert;            /* PEM text, NUL-terminated; NULL: plain HTTP */
	char *key;
	pthread_mutex_t lock;  /* guards why and started (worker threads log) */
	char why[256];         /* libmicrohttpd's first complaint while starting */
	int started;           /* the daemon runs: complaints are not kept */
} saola__tls;

/* Reads the PEM certificate (chain) at cert_path and the PEM private key at
 * key_path into t. Both NULL: plain HTTP (t stays empty). 0, or -1 with e:
 * SAOLA_INVALID for one of the two missing or a file that is not PEM of the
 * right kind, SAOLA_IO for a file that cannot be read, SAOLA_NOMEM, or
 * SAOLA_ERROR for a libmicrohttpd without TLS support. */
int saola__tls_load(saola__tls *t, const char *cert_path, const char *key_path,
                    saola__err *e);

/* The daemon flags and options (an MHD_OPTION_ARRAY of at least 4 items,
 * to be given first: its logger must come before any other option) that
 * serve t: none for plain HTTP. */
unsigned int saola__tls_flags(const saola__tls *t);
void saola__tls_options(saola__tls *t, struct MHD_OptionItem items[4]);

/* The daemon has started: later complaints (a client's failed handshake)
 * are the client's business, and are dropped. */
void saola__tls_started(saola__tls *t);

/* When the first certificate of the PEM file at path stops being valid
 * (its notAfter), into *expires. 0, or -1 with e saying why (a file that
 * cannot be read, or holds no certificate GnuTLS can parse). */
int saola__tls_cert_expiry(const char *path, time_t *expires, saola__err *e);

/* Frees what saola__tls_load read. A t that saola__tls_load left empty (or
 * a zeroed one) is a no-op. */
void saola__tls_free(saola__tls *t);

#endif
