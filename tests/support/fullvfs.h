/* fullvfs.h: a full disk for tests, as a SQLite VFS (fullvfs.c). */
#ifndef SAOLA_FULLVFS_H
#define SAOLA_FULLVFS_H

/* Makes the full-disk VFS the default for databases opened from now on
 * (tu_fullvfs_remove() puts the real one back); fails the test if it
 * cannot. Not thread-safe: install before opening, remove after closing. */
void tu_fullvfs_install(void);
void tu_fullvfs_remove(void);

/* While full is 1, writes to write-ahead logs and rollback journals of
 * databases opened through the VFS fail with SQLITE_FULL ("database or
 * disk is full"). */
void tu_fullvfs_set(int full);

#endif
