/* tls.c: HTTPS for saola-server (tls.h): reading the certificate and key,
 * and the libmicrohttpd flags and options that serve them. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/x509.h>

#include "tls.h"

#define PEM_MAX ((long)1 << 20)

/* The whole file at path, NUL-terminated (free()), or NULL with e. */
static char *read_pem(const char *what, const char *path, const char *marker, saola__err *e)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	long n;

	if (!f) {
		saola__err_set(e, SAOLA_IO, "tls: %s %s: cannot open: %s", what, path,
		               strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		saola__err_set(e, SAOLA_IO, "tls: %s %s: cannot read: %s", what, path,
		               strerror(errno));
		goto fail;
	}
	if (n > PEM_MAX) {
		saola__err_set(e, SAOLA_INVALID, "tls: %s %s: over %ld bytes, not a PEM file", what,
		               path, PEM_MAX);
		goto fail;
	}
	if (!(text = malloc((size_t)n + 1))) {
		saola__err_set(e, SAOLA_NOMEM, "tls: %s %s: out of memory", what, path);
		goto fail;
	}
	if (fread(text, 1, (size_t)n, f) != (size_t)n) {
		saola__err_set(e, SAOLA_IO, "tls: %s %s: cannot read: %s", what, path,
		               strerror(errno));
		goto fail;
	}
	text[n] = '\0';
	if ((long)strlen(text) != n || !strstr(text, marker)) {
		saola__err_set(e, SAOLA_INVALID, "tls: %s %s: not a PEM %s (no \"%s\" line)", what,
		               path, what, marker);
		goto fail;
	}
	fclose(f);
	return text;
fail:
	free(text);
	fclose(f);
	return NULL;
}

int saola__tls_load(saola__tls *t, const char *cert_path, const char *key_path,
                    saola__err *e)
{
	memset(t, 0, sizeof *t);
	if (!cert_path && !key_path)
		return 0;
	if (!cert_path || !key_path)
		return saola__err_set(e, SAOLA_INVALID, "tls: a certificate and its private key go"
		                      " together (--tls-cert and --tls-key)");
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return saola__err_set(e, SAOLA_ERROR, "tls: this libmicrohttpd was built without"
		                      " TLS (GnuTLS); serve plain HTTP behind a TLS proxy, or"
		                      " install one built with it");
	if (!(t->cert = read_pem("certificate", cert_path, "-----BEGIN CERTIFICATE-----", e)) ||
	    !(t->key = read_pem("key", key_path, "PRIVATE KEY-----", e))) {
		free(t->cert);
		t->cert = NULL;
		return -1;
	}
	pthread_mutex_init(&t->lock, NULL);
	return 0;
}

/* libmicrohttpd's messages: the first one while starting says why the
 * daemon did not start (a key that does not match the certificate, say);
 * once it runs, a client's failed handshake is the client's business. */
static void on_log(void *cls, const char *fmt, va_list ap)
{
	saola__tls *t = cls;
	size_t n;

	pthread_mutex_lock(&t->lock);
	if (!t->started && !t->why[0]) {
		vsnprintf(t->why, sizeof t->why, fmt, ap);
		n = strlen(t->why);
		while (n > 0 && (t->why[n - 1] == '\n' || t->why[n - 1] == '.'))
			t->why[--n] = '\0';
	}
	pthread_mutex_unlock(&t->lock);
}

void saola__tls_started(saola__tls *t)
{
	if (!t->cert)
		return;
	pthread_mutex_lock(&t->lock);
	t->started = 1;
	pthread_mutex_unlock(&t->lock);
}

unsigned int saola__tls_flags(const saola__tls *t)
{
	return t->cert ? MHD_USE_TLS | MHD_USE_ERROR_LOG : 0;
}

void saola__tls_options(saola__tls *t, struct MHD_OptionItem items[4])
{
	int n = 0;

	if (t->cert) {
		/* The logger first, so that it hears every complaint; an option
		 * of two arguments takes the first as an intptr_t. */
		items[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER,
		                                     (intptr_t)on_log, t};
		items[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, t->cert};
		items[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, t->key};
	}
	items[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
}

void saola__tls_free(saola__tls *t)
{
	if (!t->cert)
		return;
	free(t->cert);
	if (t->key) {
		volatile char *k = t->key; /* the private key does not outlive its use */
		while (*k)
			*k++ = '\0';
	}
	free(t->key);
	pthread_mutex_destroy(&t->lock);
	t->cert = t->key = NULL;
}

int saola__tls_cert_expiry(const char *path, time_t *expires, saola__err *e)
{
	char *pem = read_pem("certificate", path, "-----BEGIN CERTIFICATE-----", e);
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t d;
	int rc = -1;

	if (!pem)
		return -1;
	d.data = (unsigned char *)pem;
	d.size = (unsigned)strlen(pem);
	if (gnutls_x509_crt_init(&crt) < 0) {
		saola__err_set(e, SAOLA_NOMEM, "tls: certificate %s: out of memory", path);
	} else if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0) {
		saola__err_set(e, SAOLA_INVALID, "tls: certificate %s: not a certificate GnuTLS"
		               " can read", path);
	} else if ((*expires = gnutls_x509_crt_get_expiration_time(crt)) == (time_t)-1) {
		saola__err_set(e, SAOLA_INVALID, "tls: certificate %s: no expiry date", path);
	} else {
		rc = 0;
	}
	if (crt)
		gnutls_x509_crt_deinit(crt);
	free(pem);
	return rc;
}
