/* backup.c: online backups and their restore (backup.h). Being written. */
#include <stdio.h>

#include "backup.h"
#include "ops.h"

int saola__backup_write(const char *db, const char *to, saola__backup_info *info,
                        saola__err *e)
{
	(void)db; (void)to; (void)info;
	return saola__err_set(e, SAOLA_ERROR, "backup: not built yet");
}

int saola__backup_header(const char *path, saola__backup_info *info, saola__err *e)
{
	(void)path; (void)info;
	return saola__err_set(e, SAOLA_ERROR, "backup: not built yet");
}

int saola__backup_restore(const char *path, const char *db, saola__backup_info *info,
                          saola__err *e)
{
	(void)path; (void)db; (void)info;
	return saola__err_set(e, SAOLA_ERROR, "backup: not built yet");
}

int saola__cmd_backup(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "saola-server backup: not built yet\n");
	return 1;
}

int saola__cmd_restore(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "saola-server restore: not built yet\n");
	return 1;
}
