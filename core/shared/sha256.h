/* sha256.h: SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), for hashing
 * tokens and batch contents and for authenticating pull bundles. */
#ifndef SAOLA_SHA256_H
#define SAOLA_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SAOLA__SHA256_LEN 32

typedef struct saola__sha256_ctx {
	uint32_t h[8];
	uint64_t total;          /* bytes hashed so far */
	unsigned char buf[64];
	size_t used;             /* bytes waiting in buf */
} saola__sha256_ctx;

void saola__sha256_init(saola__sha256_ctx *c);
void saola__sha256_update(saola__sha256_ctx *c, const void *data, size_t len);
void saola__sha256_final(saola__sha256_ctx *c, unsigned char out[SAOLA__SHA256_LEN]);

/* The digest of len bytes at data, in one call. */
void saola__sha256(const void *data, size_t len, unsigned char out[SAOLA__SHA256_LEN]);

/* HMAC-SHA-256 of len bytes at data under a key of keylen bytes. */
void saola__hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                        unsigned char out[SAOLA__SHA256_LEN]);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void saola__hex(const unsigned char *bytes, size_t n, char *out);

/* Compares n bytes in time that does not depend on where they differ:
 * 0 when equal. */
int saola__ct_compare(const unsigned char *a, const unsigned char *b, size_t n);

#endif
