/* fuzz_bundle.c: fuzz target of bundle files (sync by USB stick). An input
 * that starts with "saola-bundle" is written as the file, as it is (header,
 * length, CRC-32 and gzip data all fuzzed). Any other input is a payload:
 * its first byte picks the kind (push or pull) and whether the rest is
 * already compressed; the target gzips it when not and writes it under a
 * correct header, so that the payload's JSON is reached. The file is read
 * as the server reads it (saola__bundle_read) and as a device applies a
 * pull bundle (saola_sync_from_file, which has a reader of its own). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <jansson.h>

#include "fuzz.h"
#include "wire.h"
#include "saola/sync.h"

#define LIMIT ((size_t)1 << 20)

static saola *device;

/* A fresh device: the template's copy (forms and standards loaded). */
static void reset_device(void)
{
	static unsigned char *tmpl;
	static size_t tmpl_len;
	const char *path = fz_path("bundle-device.db");
	char side[1100];

	if (!tmpl) {
		saola *db = NULL;
		FILE *f;
		long n = -1;
		if (saola_open(fz_path("bundle-template.db"), SAOLA_OPEN_CREATE, &db) != SAOLA_OK ||
		    saola_forms_load_dir(db, SAOLA_FUZZ_SCHEMAS, NULL) != SAOLA_OK)
			fz_die("template: %s", db ? saola_errmsg(db) : "out of memory");
		saola_close(db); /* a whole file: no -wal left behind */
		if (!(f = fopen(fz_path("bundle-template.db"), "rb")) || fseek(f, 0, SEEK_END) != 0 ||
		    (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0 ||
		    !(tmpl = malloc((size_t)n)) || fread(tmpl, 1, (size_t)n, f) != (size_t)n)
			fz_die("template: cannot read it back");
		tmpl_len = (size_t)n;
		fclose(f);
	}
	saola_close(device);
	device = NULL;
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
	fz_write(path, tmpl, tmpl_len);
	if (saola_open(path, 0, &device) != SAOLA_OK)
		fz_die("device: %s", device ? saola_errmsg(device) : "out of memory");
}

/* Writes the input as a bundle file at path. */
static void write_bundle(const char *path, const uint8_t *data, size_t size)
{
	static const char magic[] = "saola-bundle";
	unsigned char *gz = NULL;
	size_t gzlen;
	char head[96];
	FILE *f;
	int n;

	if (size >= sizeof magic - 1 && memcmp(data, magic, sizeof magic - 1) == 0) {
		fz_write(path, data, size);
		return;
	}
	if (size == 0) {
		fz_write(path, "", 0);
		return;
	}
	if (data[0] & 2) {
		gzlen = size - 1;
		if (!(gz = malloc(gzlen ? gzlen : 1)))
			fz_die("out of memory");
		memcpy(gz, data + 1, gzlen);
	} else if (saola__gzip(data + 1, size - 1, &gz, &gzlen) != SAOLA_OK) {
		fz_die("gzip failed");
	}
	n = snprintf(head, sizeof head, "saola-bundle 1 %s %08lx %zu\n",
	             data[0] & 1 ? "push" : "pull", crc32(0L, gz, (uInt)gzlen), gzlen);
	if (!(f = fopen(path, "wb")) || fwrite(head, 1, (size_t)n, f) != (size_t)n ||
	    (gzlen && fwrite(gz, 1, gzlen, f) != gzlen) || fclose(f) != 0)
		fz_die("cannot write %s", path);
	free(gz);
}

SAOLA_FUZZ_TARGET(bundle)
{
	const char *path = fz_path("input.bundle");
	json_t *payload = NULL;
	char kind[8], err[512];

	if (!device)
		reset_device();
	write_bundle(path, data, size);
	if (saola__bundle_read(path, kind, &payload, LIMIT, err, sizeof err) == SAOLA_OK)
		json_decref(payload);
	/* A pull bundle that applies changes the device: start the next input
	 * from a fresh one, so that each input runs alike. */
	if (saola_sync_from_file(device, path, NULL) == SAOLA_OK)
		reset_device();
	return 0;
}
