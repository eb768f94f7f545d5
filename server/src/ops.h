/* ops.h: the commands of a server's operator (docs/operations.md):
 * backup and restore (backup.c), doctor (doctor.c), restored (epoch.c). Each takes the
 * arguments after its name and returns the process's exit code: 0, 1 for
 * a failure (stderr says what), 2 for bad usage. */
#ifndef SAOLA_OPS_H
#define SAOLA_OPS_H

int saola__cmd_backup(int argc, char **argv);
int saola__cmd_restore(int argc, char **argv);
int saola__cmd_doctor(int argc, char **argv);
/* saola-server restored: marks a database restored (epoch.c). */
int saola__cmd_restored(int argc, char **argv);

#endif
