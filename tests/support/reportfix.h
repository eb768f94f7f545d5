/* reportfix.h: small hand-made data sets for the official-figures tests: a
 * server database over a schemas folder of Ninh Bình's units before the
 * 2025 reorganisation, and household records written straight into it
 * with the class and review state a test chooses. */
#ifndef SAOLA_REPORTFIX_H
#define SAOLA_REPORTFIX_H

#include <sqlite3.h>

/* Copies the source schemas' forms, standards and targets and the 2024
 * units (units/ninh-binh.json) into dir/schemas; returns that path
 * (static). */
const char *rf_schemas(const char *dir);

/* One household record. */
typedef struct rf_rec {
	const char *id;          /* record id */
	int year;
	const char *commune;
	const char *village;
	const char *household_id;  /* NULL: none */
	const char *cls;         /* "poor", "near_poor", "average", "not_poor" */
	const char *state;       /* "draft", "submitted", "returned", "approved" */
	const char *head_name;
} rf_rec;

/* Writes r into db (the province and district from the units), taking
 * the next tick of the database's clock as its change sequence. */
void rf_add(sqlite3 *db, const rf_rec *r);

/* Forgets every record, fact and listed count of db. */
void rf_reset(sqlite3 *db);

/* Sets the households listed of a commune and year, straight into db. */
void rf_listed(sqlite3 *db, int year, const char *commune, long households);

/* The commune codes of units/ninh-binh.json valid on date ("YYYY-MM-DD"),
 * read from the file itself; *n gets how many (at most cap). */
void rf_communes(const char *date, char (*codes)[8], int cap, int *n);

#endif
