/* fuzzutil.c: the fuzz targets' scratch folder, input copies and device
 * databases (fuzz.h). */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static char scratch[512];
static struct {
	char name[32];
	saola *db;
} devices[4];

void fz_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz harness: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* Removes a folder and everything in it. */
static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[1024];
	struct stat sb;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
			remove_tree(path);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static void cleanup(void)
{
	size_t i;

	for (i = 0; i < sizeof devices / sizeof devices[0]; i++) {
		saola_close(devices[i].db);
		devices[i].db = NULL;
	}
	if (scratch[0])
		remove_tree(scratch);
	scratch[0] = '\0';
}

const char *fz_dir(void)
{
	const char *base = getenv("SAOLA_FUZZ_TMP");
	struct stat sb;

	if (scratch[0])
		return scratch;
	if (!base || !*base)
		base = stat("/dev/shm", &sb) == 0 && access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NULL;
	if (!base && !(base = getenv("TMPDIR")))
		base = "/tmp";
	snprintf(scratch, sizeof scratch, "%s/saola-fuzz-%ld-XXXXXX", base, (long)getpid());
	if (!mkdtemp(scratch))
		fz_die("cannot make a scratch folder in %s", base);
	atexit(cleanup);
	return scratch;
}

const char *fz_path(const char *name)
{
	static char bufs[4][1024];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof bufs[0], "%s/%s", fz_dir(), name);
	return b;
}

char *fz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		fz_die("out of memory");
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

void fz_write(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
		fz_die("cannot write %s", path);
}

saola *fz_device(const char *name)
{
	size_t i;
	saola *db = NULL;

	for (i = 0; i < sizeof devices / sizeof devices[0] && devices[i].db; i++)
		if (strcmp(devices[i].name, name) == 0)
			return devices[i].db;
	if (i == sizeof devices / sizeof devices[0])
		fz_die("too many device databases");
	if (saola_open(fz_path(name), SAOLA_OPEN_CREATE, &db) != SAOLA_OK ||
	    saola_forms_load_dir(db, SAOLA_FUZZ_SCHEMAS, NULL) != SAOLA_OK ||
	    saola_set_actor(db, "fuzz") != SAOLA_OK)
		fz_die("device %s: %s", name, db ? saola_errmsg(db) : "out of memory");
	snprintf(devices[i].name, sizeof devices[i].name, "%s", name);
	devices[i].db = db;
	return db;
}
