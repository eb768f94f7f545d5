/* dom_checks.h: what dom_check checks besides the dashboard's figures:
 * the coverage panel, the progress statuses, the natural order of villages
 * (dom_coverage.c) and the printable lists page (dom_lists.c). Each
 * reports what differs through fail() (dom_util.h). */
#ifndef DOM_CHECKS_H
#define DOM_CHECKS_H

#include <jansson.h>

/* The report's "completeness": top level, else in reports.summary or
 * reports.progress; NULL when it has none. */
const json_t *completeness_of(const json_t *rep);
/* Not every commune reported and complete, or the share unknown or < 1. */
int completeness_partial(const json_t *c);
/* The coverage panel shows the completeness figures of rep. */
void check_completeness(const json_t *rep);
/* Every progress status shown is the report's; green "met" exactly where
 * the report says met, and never for the area on partial data. */
void check_progress(const json_t *rep, const char *(*key_of)(const json_t *unit));
/* Villages "<name> N" of a commune in the summary table: in the order of
 * N (Thôn 2 before Thôn 10). */
void check_village_order(const json_t *rep);
/* The lists page shows the lists of lists.json. */
void check_lists(const json_t *lists);

#endif
