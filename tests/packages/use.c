/* use.c: a program of libsaola-dev's user (tests/packages/run.sh): opens a
 * database, loads a schemas folder, prints the library's version and how
 * many forms it loaded. usage: use DB SCHEMAS */
#include <stdio.h>
#include <saola/form.h>

int main(int argc, char **argv)
{
	saola *db = NULL;
	int n = 0, rc;

	if (argc != 3) {
		fprintf(stderr, "usage: use DB SCHEMAS\n");
		return 2;
	}
	rc = saola_open(argv[1], SAOLA_OPEN_CREATE, &db);
	if (rc == SAOLA_OK)
		rc = saola_forms_load_dir(db, argv[2], &n);
	if (rc != SAOLA_OK) {
		fprintf(stderr, "use: %s\n", db ? saola_errmsg(db) : saola_strerror(rc));
		saola_close(db);
		return 1;
	}
	printf("libsaola %s: %d forms\n", SAOLA_VERSION, n);
	saola_close(db);
	return 0;
}
