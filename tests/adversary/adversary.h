/* adversary.h: the groups of test_adversary, one per file of this folder:
 * each runs its cmocka group and returns the number of tests that failed. */
#ifndef SAOLA_ADVERSARY_H
#define SAOLA_ADVERSARY_H

int adversary_trust(void);   /* trust.c: origins, copies, roles, places, echo */
int adversary_client(void);  /* client.c: queues cleared by confirmation only */
int adversary_limits(void);  /* limits.c: memory, connections, deadlines */
int adversary_ops(void);     /* ops.c: ports, read-only databases, headers */
int adversary_forms(void);   /* forms.c: lengths and plausible ranges */

#endif
