/* adversary.h: the groups of test_adversary, one per file of this folder:
 * each runs its cmocka group and returns the number of tests that failed. */
#ifndef SAOLA_ADVERSARY_H
#define SAOLA_ADVERSARY_H

int adversary_trust(void);   /* trust.c: origins, copies, echo, bundles, databases */
int adversary_client(void);  /* client.c: queues cleared by confirmation only */
int adversary_limits(void);  /* limits.c: memory, connections, deadlines, ports, headers */
int adversary_roles(void);   /* roles.c: what each role may do on each path, places */
int adversary_forms(void);   /* forms.c: lengths and plausible ranges */

#endif
