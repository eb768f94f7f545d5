/* sha256.c: a small SHA-256 (FIPS 180-4) so that the server needs no crypto
 * library; used for token hashes and batch digests. */
#include <string.h>

#include "sha256.h"

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define S0(x) (ROR(x, 2) ^ ROR(x, 13) ^ ROR(x, 22))
#define S1(x) (ROR(x, 6) ^ ROR(x, 11) ^ ROR(x, 25))
#define G0(x) (ROR(x, 7) ^ ROR(x, 18) ^ ((x) >> 3))
#define G1(x) (ROR(x, 17) ^ ROR(x, 19) ^ ((x) >> 10))

/* One round; the eight working variables rotate by renaming, not by
 * moving, and the message schedule lives in 16 words. */
#define ROUND(a, b, c, d, e, f, g, h, i) do {                                  \
		uint32_t wi = (i) < 16 ? w[(i)]                                         \
		            : (w[(i) & 15] += G1(w[((i) - 2) & 15]) + w[((i) - 7) & 15] + \
		                              G0(w[((i) - 15) & 15]));                  \
		uint32_t t1 = (h) + S1(e) + (((e) & (f)) ^ (~(e) & (g))) + K[i] + wi;   \
		(d) += t1;                                                              \
		(h) = t1 + S0(a) + (((a) & (b)) ^ ((a) & (c)) ^ ((b) & (c)));           \
	} while (0)

static void block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[16], a, b, c, d, e, f, g, k;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
	for (i = 0; i < 64; i += 8) {
		ROUND(a, b, c, d, e, f, g, k, i);
		ROUND(k, a, b, c, d, e, f, g, i + 1);
		ROUND(g, k, a, b, c, d, e, f, i + 2);
		ROUND(f, g, k, a, b, c, d, e, i + 3);
		ROUND(e, f, g, k, a, b, c, d, i + 4);
		ROUND(d, e, f, g, k, a, b, c, i + 5);
		ROUND(c, d, e, f, g, k, a, b, i + 6);
		ROUND(b, c, d, e, f, g, k, a, i + 7);
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d;
	h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

void saola__sha256_init(saola__sha256_ctx *c)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(c->h, iv, sizeof iv);
	c->total = 0;
	c->used = 0;
}

void saola__sha256_update(saola__sha256_ctx *c, const void *data, size_t len)
{
	const unsigned char *p = data;

	c->total += len;
	if (c->used) {
		size_t take = 64 - c->used < len ? 64 - c->used : len;
		memcpy(c->buf + c->used, p, take);
		c->used += take, p += take, len -= take;
		if (c->used < 64)
			return;
		block(c->h, c->buf);
		c->used = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		block(c->h, p);
	memcpy(c->buf, p, len);
	c->used = len;
}

void saola__sha256_final(saola__sha256_ctx *c, unsigned char out[SAOLA__SHA256_LEN])
{
	uint64_t bits = c->total * 8;
	int i;

	c->buf[c->used++] = 0x80;
	if (c->used > 56) {
		memset(c->buf + c->used, 0, 64 - c->used);
		block(c->h, c->buf);
		c->used = 0;
	}
	memset(c->buf + c->used, 0, 56 - c->used);
	for (i = 0; i < 8; i++)
		c->buf[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
	block(c->h, c->buf);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(c->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)c->h[i];
	}
	memset(c, 0, sizeof *c);
}

void saola__sha256(const void *data, size_t len, unsigned char out[SAOLA__SHA256_LEN])
{
	saola__sha256_ctx c;

	saola__sha256_init(&c);
	saola__sha256_update(&c, data, len);
	saola__sha256_final(&c, out);
}

void saola__hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                        unsigned char out[SAOLA__SHA256_LEN])
{
	unsigned char k[64], pad[64], inner[SAOLA__SHA256_LEN];
	saola__sha256_ctx c;
	size_t i;

	/* A key longer than a block is hashed first (RFC 2104). */
	memset(k, 0, sizeof k);
	if (keylen > sizeof k)
		saola__sha256(key, keylen, k);
	else if (keylen > 0)
		memcpy(k, key, keylen);
	for (i = 0; i < sizeof pad; i++)
		pad[i] = (unsigned char)(k[i] ^ 0x36);
	saola__sha256_init(&c);
	saola__sha256_update(&c, pad, sizeof pad);
	saola__sha256_update(&c, data, len);
	saola__sha256_final(&c, inner);
	for (i = 0; i < sizeof pad; i++)
		pad[i] = (unsigned char)(k[i] ^ 0x5c);
	saola__sha256_init(&c);
	saola__sha256_update(&c, pad, sizeof pad);
	saola__sha256_update(&c, inner, sizeof inner);
	saola__sha256_final(&c, out);
}

void saola__hex(const unsigned char *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = '\0';
}

int saola__ct_compare(const unsigned char *a, const unsigned char *b, size_t n)
{
	volatile unsigned char diff = 0;
	size_t i;

	for (i = 0; i < n; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff != 0;
}
