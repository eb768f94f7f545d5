/* reportdata.h: the reports test's data set: about 100,000 generated
 * household records of two survey years in eight communes of two
 * districts, written into a server database (SQLite or PostgreSQL), and
 * on SQLite kept in the build folder for the next run. */
#ifndef SAOLA_REPORTDATA_H
#define SAOLA_REPORTDATA_H

/* Years before the reorganisation of 2025, in the units of the time. */
#define RD_Y0 2023
#define RD_Y1 2024
#define RD_NCOMMUNES 8

/* The communes: four of Nho Quan (372), four of Yên Khánh (375). */
extern const char *const rd_communes[RD_NCOMMUNES];

/* Fills db, a new server database (forms and units loaded, no connection
 * open): a SQLite file's path, or a PostgreSQL URI (pgt_db), with the data
 * set of per_commune households a commune, written through the store's
 * connection (db.h). On SQLite, a copy of the one an earlier run left in
 * the build folder when the generator, the forms and the size are the
 * same, else made (and kept); on PostgreSQL made each time. *records gets
 * how many records it holds. Returns 1 when it was copied, 0 when made;
 * fails the test on any failure. */
int rd_dataset(const char *db, int per_commune, long *records);

#endif
