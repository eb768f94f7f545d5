/* backup.h: online backups of a server's SQLite database (docs/backup.md):
 * a consistent copy made with SQLite's VACUUM INTO while the server serves,
 * compressed, with a checksum; and its restore into a new database. A
 * PostgreSQL store is backed up with pg_dump instead. */
#ifndef SAOLA_BACKUP_H
#define SAOLA_BACKUP_H

#include <stdint.h>

#include "server_int.h"

#define SAOLA__BACKUP_SUFFIX ".saola-backup"  /* the files a schedule keeps */

/* What a backup file's header says about it. */
typedef struct saola__backup_info {
	char created[21];     /* "YYYY-MM-DDTHH:MM:SSZ" (UTC) */
	char epoch[33];       /* the backed-up server's epoch (epoch.h) */
	char sha256[65];      /* of the database file, lowercase hex */
	int64_t db_bytes;     /* the database file's size */
	int64_t latest_seq;   /* the highest change sequence it holds */
} saola__backup_info;

/* Writes a backup of the SQLite database at db to the file to, which must
 * not exist (written beside it and renamed into place: a failed backup
 * leaves no file). 0, or -1 with e; info (may be NULL) gets what its
 * header says. */
int saola__backup_write(const char *db, const char *to, saola__backup_info *info,
                        saola__err *e);

/* Reads and checks a backup's header alone (quick: no checksum). 0, or -1
 * with e saying what is wrong with the file. */
int saola__backup_header(const char *path, saola__backup_info *info, saola__err *e);

/* Checks the whole backup at path (its header, its compressed stream, its
 * size and checksum), and when db is not NULL restores it there as a new
 * database with a new epoch (epoch.h), after SQLite's integrity check; db
 * must not exist. Memory stays bounded whatever the database's size. 0,
 * or -1 with e (then nothing is left at db, nor beside it). info (may be
 * NULL) gets what the header says. */
int saola__backup_restore(const char *path, const char *db, saola__backup_info *info,
                          saola__err *e);

/* saola__backup_restore that replaces the database at db when there is one
 * (restore --force), refused while a process has it open (a server serving
 * it); its -wal and -shm files go with it. */
int saola__backup_replace(const char *path, const char *db, saola__backup_info *info,
                          saola__err *e);

#endif
