/* backup_int.h: what backup.c (the copy, the restore, the commands) and
 * backup_file.c (the backup file's format) share; no other file includes
 * it. */
#ifndef SAOLA_BACKUP_INT_H
#define SAOLA_BACKUP_INT_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "backup.h"

/* Bytes read or written at a time. The buffers passed below hold two
 * chunks: one read, one compressed or decompressed. */
#define SAOLA__BACKUP_CHUNK ((size_t)64 << 10)

/* Set by the commands' signal handler (backup.c): the long loops (the
 * copy, the compression, the decompression, SQLite's check) stop at their
 * next step, and the failure path removes the temporary files, which a
 * backup stopped by systemd at shutdown would otherwise leave, as big as
 * the database. */
extern volatile sig_atomic_t saola__backup_stopping;

/* 1 when s is exactly n lowercase hex digits. */
int saola__backup_is_hex(const char *s, size_t n);

/* The size and SHA-256 of the database file at path into info's db_bytes
 * and sha256, read a chunk at a time into buf (2 chunks). 0, or -1 with
 * e. */
int saola__backup_hash_db(const char *path, unsigned char *buf, saola__backup_info *info,
                          saola__err *e);

/* Writes the header (of info, naming source) and the database file copy,
 * compressed as one gzip stream, to the open file fd (named tmp, for the
 * messages), and flushes it to the disk. fd is closed in every case. buf
 * holds 2 chunks. 0, or -1 with e. */
int saola__backup_write_file(int fd, const char *tmp, const char *copy, const char *source,
                             const saola__backup_info *info, unsigned char *buf,
                             saola__err *e);

/* Reads and checks the header from f into info (zeroed first), leaving f
 * at the compressed database. 0, or -1 with e saying what is wrong with
 * the file at path. */
int saola__backup_read_header(FILE *f, const char *path, saola__backup_info *info,
                              saola__err *e);

/* Decompresses the database that follows the header in into the open
 * file out (-1: a check only), and checks its size and SHA-256 against
 * info's, the header's. Memory stays bounded whatever the size. 0, or -1
 * with e. */
int saola__backup_unpack(FILE *in, const char *path, const saola__backup_info *info, int out,
                         saola__err *e);

#endif
