/* report_labels.h: the code lists that reports count by (the 12
 * indicators, household classes, poverty causes, support received), in the
 * order of household-record.md, with Vietnamese and English labels. */
#ifndef SAOLA_REPORT_LABELS_H
#define SAOLA_REPORT_LABELS_H

typedef struct saola__label {
	const char *code;   /* the answer's code ("no_capital"), or the indicator's
	                     * name without its d_ prefix ("employment") */
	const char *vi, *en;
} saola__label;

#define SAOLA__N_INDICATORS 12
#define SAOLA__N_CAUSES 9
#define SAOLA__N_SUPPORTS 10

/* Household classes as the facts table stores them. */
enum {
	SAOLA__CLASS_POOR = 1,
	SAOLA__CLASS_NEAR_POOR = 2,
	SAOLA__CLASS_AVERAGE = 3,
	SAOLA__CLASS_NOT_POOR = 4,
	SAOLA__CLASS_NONE = 5     /* no classification computed */
};

extern const saola__label saola__indicators[SAOLA__N_INDICATORS];
extern const saola__label saola__causes[SAOLA__N_CAUSES];
extern const saola__label saola__supports[SAOLA__N_SUPPORTS];
/* The classes, in the order of SAOLA__CLASS_POOR ... SAOLA__CLASS_NOT_POOR. */
extern const saola__label saola__classes[4];

/* The class of a classification code (SAOLA__CLASS_NONE for another). */
int saola__class_of(const char *code, int len);

/* Index of code (len bytes) in a list of n labels, or -1. */
int saola__label_index(const saola__label *list, int n, const char *code, int len);

#endif
