/* epoch.c: a server database's epoch (epoch.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_args.h"
#include "epoch.h"
#include "ops.h"
#include "saola_util.h"

static int make_epoch(saola__store *s, char out[SAOLA__EPOCH_LEN + 1], saola__err *e)
{
	if (saola__random_hex(out, SAOLA__EPOCH_LEN) != 0)
		return saola__err_set(e, SAOLA_ERROR, "epoch: no random numbers");
	if (s->ops->state_set(s, SAOLA__EPOCH_KEY, out) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "epoch: %s", s->ops->errmsg(s));
	return 0;
}

int saola__epoch_get(saola__store *s, char out[SAOLA__EPOCH_LEN + 1], saola__err *e)
{
	char *v = NULL;

	out[0] = '\0';
	if (s->ops->state_get(s, SAOLA__EPOCH_KEY, &v) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "epoch: %s", s->ops->errmsg(s));
	if (v && strlen(v) == SAOLA__EPOCH_LEN) {
		memcpy(out, v, SAOLA__EPOCH_LEN + 1);
		free(v);
		return 0;
	}
	free(v);
	return make_epoch(s, out, e);
}

/* The clock's leap at a restore: past every counter this server may have
 * given its own edits between the backup and the loss (an officer's, which
 * a device may hold and send back), so that no new edit of this server
 * takes a version one of those has; below the 2^32 that a replica takes
 * ahead of its own clock (docs/security.md). */
#define RESTORE_CLOCK_LEAP "2147483648"

static int clock_leap(saola__db *db)
{
	return saola__db_exec(db, saola__db_kind(db) == SAOLA__DB_POSTGRES
	        ? "SELECT setval('clock_seq', (SELECT last_value FROM clock_seq) + "
	          RESTORE_CLOCK_LEAP ")"
	        : "UPDATE meta SET value = CAST(value AS INTEGER) + " RESTORE_CLOCK_LEAP
	          " WHERE key = 'clock'");
}

int saola__epoch_restored(saola__store *s, saola__err *e)
{
	char epoch[SAOLA__EPOCH_LEN + 1];

	if (make_epoch(s, epoch, e) != 0)
		return -1;
	if (clock_leap(saola__store_db(s)) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "epoch: clock: %s",
		                      saola__db_errmsg(saola__store_db(s)));
	if (saola__db_exec(saola__store_db(s),
	                   "UPDATE devices SET lineage = NULL, lineage_batch = NULL") != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "epoch: devices: %s",
		                      saola__db_errmsg(saola__store_db(s)));
	return 0;
}

#define RESTORED_USAGE \
	"usage: saola-server restored --db DB\n\n" \
	"Marks the database DB as restored from a backup: a new epoch, and every\n" \
	"device's lineage forgotten, so that devices that synced after the backup\n" \
	"send again what it lacks (docs/protocol.md, \"Epoch\"). saola-server restore\n" \
	"does this itself; run it after restoring a PostgreSQL database with\n" \
	"pg_restore (docs/operations.md, \"Backups\"), before the server serves it.\n"

/* Opens db, marks it restored and prints the new epoch. */
static int mark_restored(const char *db)
{
	char err[SAOLA__ERR_MAX], epoch[SAOLA__EPOCH_LEN + 1];
	saola__store *s = NULL;
	saola__err e;
	int ok;

	if (saola__store_open(db, NULL, 0, &s, err, sizeof err) != SAOLA_OK) {
		fprintf(stderr, "saola-server restored: %s\n", err);
		return 1;
	}
	if (s->ops->write_begin(s, 1) != SAOLA_OK) {
		fprintf(stderr, "saola-server restored: %s\n", s->ops->errmsg(s));
		saola__store_close(s);
		return 1;
	}
	ok = saola__epoch_restored(s, &e) == 0 && saola__epoch_get(s, epoch, &e) == 0;
	if (s->ops->end(s, ok) != SAOLA_OK && ok) {
		ok = 0;
		saola__err_set(&e, SAOLA_ERROR, "%s", s->ops->errmsg(s));
	}
	saola__store_close(s);
	if (!ok) {
		fprintf(stderr, "saola-server restored: %s: nothing changed\n", e.message);
		return 1;
	}
	/* Not the db's name: a PostgreSQL URI may hold a password. */
	printf("marked the database restored: epoch %s; its clock moved ahead; every device's"
	       " lineage forgotten\n", epoch);
	return 0;
}

int saola__cmd_restored(int argc, char **argv)
{
	static const char *const valued[] = {"--db", NULL};
	saola__args a;

	if (saola__args_help(argc, argv)) {
		fputs(RESTORED_USAGE, stdout);
		return 0;
	}
	if (saola__args_parse(argc, argv, valued, NULL, 0, "saola-server restored", &a) != 0)
		return 2;
	if (!saola__args_get(&a, "--db")) {
		fputs(RESTORED_USAGE, stderr);
		return 2;
	}
	return mark_restored(saola__args_get(&a, "--db"));
}
