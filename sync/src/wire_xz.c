/* wire_xz.c: xz (LZMA2) bodies, protocol 2's compression
 * (docs/protocol.md, "Version 2"): a columnar batch compresses to about
 * 71 bytes a household with xz against 86 with gzip. Decoding is bounded
 * like gzip's: in output (limit) and in the decoder's own memory (a
 * dictionary it is asked for larger than SAOLA__XZ_MEMLIMIT is refused). */
#include <stdlib.h>
#include <string.h>
#include <lzma.h>

#include "saola/core.h"
#include "wire.h"

int saola__is_xz(const void *in, size_t n)
{
	static const unsigned char magic[6] = {0xFD, '7', 'z', 'X', 'Z', 0x00};

	return n >= sizeof magic && memcmp(in, magic, sizeof magic) == 0;
}

int saola__xz_encoder(lzma_stream *z, uint32_t preset)
{
	lzma_options_lzma opt;
	lzma_filter filters[2];

	if (lzma_lzma_preset(&opt, preset))
		return SAOLA_MISUSE;
	opt.dict_size = SAOLA__XZ_DICT;
	filters[0].id = LZMA_FILTER_LZMA2;
	filters[0].options = &opt;
	filters[1].id = LZMA_VLI_UNKNOWN;
	filters[1].options = NULL;
	return lzma_stream_encoder(z, filters, LZMA_CHECK_CRC32) == LZMA_OK ? SAOLA_OK
	                                                                     : SAOLA_NOMEM;
}

int saola__xz(const void *in, size_t n, uint32_t preset, unsigned char **out, size_t *outlen)
{
	lzma_stream z = LZMA_STREAM_INIT;
	size_t cap = n / 4 + 4096;
	lzma_ret zr;
	int rc;

	*out = NULL;
	*outlen = 0;
	if ((rc = saola__xz_encoder(&z, preset)) != SAOLA_OK)
		return rc;
	z.next_in = in;
	z.avail_in = n;
	do {
		if (cap - (size_t)z.total_out < 4096 || !*out) {
			unsigned char *grown;
			cap = *out ? cap * 2 : cap;
			if (!(grown = realloc(*out, cap))) {
				rc = SAOLA_NOMEM;
				break;
			}
			*out = grown;
		}
		z.next_out = *out + z.total_out;
		z.avail_out = cap - (size_t)z.total_out;
		zr = lzma_code(&z, LZMA_FINISH);
		if (zr != LZMA_OK && zr != LZMA_STREAM_END)
			rc = zr == LZMA_MEM_ERROR ? SAOLA_NOMEM : SAOLA_ERROR;
	} while (rc == SAOLA_OK && zr != LZMA_STREAM_END);
	*outlen = (size_t)z.total_out;
	lzma_end(&z);
	if (rc != SAOLA_OK) {
		free(*out);
		*out = NULL;
		*outlen = 0;
	}
	return rc;
}

int saola__unxz(const void *in, size_t n, size_t limit, unsigned char **out, size_t *outlen)
{
	lzma_stream z = LZMA_STREAM_INIT;
	unsigned char *buf = NULL;
	size_t cap = 0;
	lzma_ret zr;
	int rc = SAOLA_OK;

	*out = NULL;
	*outlen = 0;
	if (lzma_stream_decoder(&z, SAOLA__XZ_MEMLIMIT, 0) != LZMA_OK)
		return SAOLA_NOMEM;
	z.next_in = in;
	z.avail_in = n;
	for (;;) {
		if (z.total_out + 1 >= cap &&
		    (rc = saola__out_grow(&buf, &cap, (size_t)z.total_out, n * 8, limit)) != SAOLA_OK)
			break;
		z.next_out = buf + z.total_out;
		z.avail_out = cap - 1 - (size_t)z.total_out;
		zr = lzma_code(&z, LZMA_FINISH);
		if (zr == LZMA_STREAM_END)
			break;
		if (zr == LZMA_MEM_ERROR) {
			rc = SAOLA_NOMEM;
			break;
		}
		if (zr != LZMA_OK && !(zr == LZMA_BUF_ERROR && z.avail_out == 0)) {
			rc = SAOLA_INVALID; /* corrupt, truncated, or a dictionary too big */
			break;
		}
	}
	if (rc == SAOLA_OK && z.avail_in != 0)
		rc = SAOLA_INVALID; /* trailing bytes */
	if (rc == SAOLA_OK) {
		buf[z.total_out] = '\0';
		*out = buf;
		*outlen = (size_t)z.total_out;
	} else {
		free(buf);
	}
	lzma_end(&z);
	return rc;
}
