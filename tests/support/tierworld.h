/* tierworld.h: the world of the tier and convergence tests: a central
 * server, two district servers syncing up to it (in-process, on 127.0.0.1),
 * six devices of communes of both districts; the operations a random run
 * makes on them, the edits each operation makes (for the oracle), full
 * syncs and the checks: every replica holds the same records, and every
 * overwritten concurrent value is in some tier's conflict log. */
#ifndef SAOLA_TIERWORLD_H
#define SAOLA_TIERWORLD_H

#include <stdint.h>
#include <stdio.h>
#include <jansson.h>
#include <saola/core.h>
#include <saola/server.h>

#include "gen.h"
#include "store.h"

#define NDEV 6
#define MAX_RECORDS 5            /* live records a device creates up to */

/* Devices 0-2 are surveyors of communes of district 372, 3-5 of 373. */
extern const char *const tw_dev_commune[NDEV];
extern const char *const tw_district_code[2];
int tw_dev_district(int i);

/* The seed being run (0: none), named when a check fails. */
extern int tw_seed;

#define TW_CHECK(cond, ...)                                                      \
	do {                                                                      \
		if (!(cond)) {                                                    \
			if (tw_seed)                                              \
				fprintf(stderr, "seed %d failed: replay with "    \
				        "SAOLA_CONVERGENCE_SEED=%d\n", tw_seed, tw_seed); \
			fail_msg(__VA_ARGS__);                                    \
		}                                                                 \
	} while (0)

typedef struct tw_world {
	char dir[512];
	char cdb[600], ddb[2][600];
	char curl_[64], durl[2][64];
	saola_server *central, *dist[2];
	saola__store *cstore, *dstore[2];
	char *dtok[2];                 /* the districts' users at the central server */
	char *devtok[NDEV];
	char devname[NDEV][16];
	saola *dev[NDEV];
	int offline[NDEV];
	int upstream_saved[2];
	uint64_t rng;
	saola_gen *gen;
	json_t *events;                /* [[record, path, version, who, base, value]] */
	json_t *seen;                  /* {"record|path|counter|origin": true} */
	long nops, nsync, nconflicts;
} tw_world;

/* Opens a world in a new folder (tag names it): the servers started on
 * free ports with origins of their own (so that a seed replays the same
 * ties), users, devices. Close with tw_world_close (which removes it). */
void tw_world_open(tw_world *w, uint64_t seed, const char *tag);
void tw_world_close(tw_world *w);

/* The seed's random numbers: 64 bits, and one below n. */
uint64_t tw_next(tw_world *w);
int tw_below(tw_world *w, int n);

/* This server's origin id, as its store knows it. */
const char *tw_origin(saola__store *s);
/* Starts a server again on an existing database. */
saola_server *tw_start_server_again(const char *db);

/* A record's state by path: {"val", "ver", "deleted"} (NULL: no record),
 * on a device's database or through a server's store (the same shape). */
json_t *tw_snapshot(saola *db, const char *id);
json_t *tw_store_snapshot(saola__store *s, const char *id);
/* "record|path|counter|origin" into buf. */
void tw_seen_key(char *buf, size_t len, const char *id, const char *path, json_t *v);
/* Records the edits a write made (who made it) between two snapshots. */
void tw_record_edits(tw_world *w, const char *who, const char *id, json_t *before,
                     json_t *after);
/* The live records of a device / a server's store (in a state; NULL:
 * any), as a new array of ids; a server's sorted bytewise. */
json_t *tw_device_ids(saola *db, const char *state);
json_t *tw_server_ids(saola__store *s, const char *state);
/* The ids of every record a server's store holds in an area (a district's
 * or a commune's code; NULL: all), sorted bytewise; a new array. */
json_t *tw_area_ids(saola__store *s, const char *area);

/* A write on record id of a device's db, tracked: its edits recorded. */
typedef int (*tw_write_fn)(tw_world *w, saola *db, const char *id, void *arg);
int tw_tracked(tw_world *w, const char *who, saola *db, const char *id, tw_write_fn fn,
               void *arg);
/* saola_put of the JSON object arg. */
int tw_do_put(tw_world *w, saola *db, const char *id, void *arg);
/* An officer's edit on a server, tracked: changes ({path: value}, flat)
 * written on record id through the store as the server's own edit
 * (saola__records_write_own, audited as the officer who), in a write
 * transaction of its own. A saola code. */
int tw_officer_put(tw_world *w, const char *who, saola__store *s, const char *id,
                   const json_t *changes);
/* An officer's review of record id on a server, tracked: action "return"
 * or "approve" (saola__review_record, by who). 0, or the refusal's HTTP
 * status (409: a move the review process does not allow). */
int tw_officer_review(tw_world *w, const char *who, saola__store *s, const char *id,
                      const char *action, const char *comment);

/* Operations: a device creates a household; edits one (what 0), deletes
 * one (1) or submits one (2); an officer of tier (0 central, 1 and 2 the
 * districts) edits one (what 0), returns or approves one (1), resolves a
 * conflict (2). */
void tw_op_create(tw_world *w, int i);
void tw_op_device_edit(tw_world *w, int i, int what);
void tw_op_officer(tw_world *w, int tier, int what);

/* Syncs: a device with its district by HTTP, or by bundle files (back:
 * the district's pull bundle too); a district with the central server by
 * HTTP, or by bundle files both ways. */
void tw_device_sync(tw_world *w, int i);
void tw_device_bundle(tw_world *w, int i, int back);
void tw_district_sync(tw_world *w, int d);
void tw_district_bundle(tw_world *w, int d);

/* 1 when every replica holds what the central server holds of its area
 * (verbose: say which differ). */
int tw_converged(tw_world *w, int verbose);
/* Devices -> districts -> central -> districts -> devices until the
 * replicas agree: the number of rounds, 0 when they never did. */
int tw_full_sync(tw_world *w);
/* The oracle: every edit stands at the end, or was seen by a later edit
 * that replaced it, or lost to the same value, or is in some tier's
 * conflict log; and every path version that a server holds has its row in
 * that server's audit log. */
void tw_check_edits(tw_world *w);

#endif
