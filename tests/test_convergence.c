/* test_convergence.c: seeded random runs over a central server, two
 * district servers syncing up to it and six devices (tierworld.h): create,
 * edit the same or different answers, members, delete, submit, officers'
 * edits, reviews and resolutions at every tier, devices going offline,
 * syncs in random order, pushes carried as bundles; then a full sync, after
 * which every replica holds the same records (a content hash of each
 * replica's area) and every overwritten concurrent value is in some tier's
 * conflict log. SAOLA_CONVERGENCE_SEEDS=N runs seeds 1..N (20) and
 * SAOLA_CONVERGENCE_SEEDS=A-B seeds A..B (ctest runs 1-5, 6-10, 11-15 and
 * 16-20 as four tests, side by side); SAOLA_CONVERGENCE_SEED=S replays one
 * seed; SAOLA_CONVERGENCE_OPS is the number of operations per seed (2,000:
 * about 10 s a seed with the sanitizers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "testutil.h"
#include "tierworld.h"

static void one_op(tw_world *w)
{
	int r = tw_below(w, 100), i = tw_below(w, NDEV), d = tw_below(w, 2);

	if (r < 8)
		tw_op_create(w, i);
	else if (r < 50)
		tw_op_device_edit(w, i, 0);
	else if (r < 52)
		tw_op_device_edit(w, i, 1);
	else if (r < 56)
		tw_op_device_edit(w, i, 2);
	else if (r < 60)
		tw_op_officer(w, tw_below(w, 3), 0);
	else if (r < 62)
		tw_op_officer(w, tw_below(w, 3), 1);
	else if (r < 64)
		tw_op_officer(w, tw_below(w, 3), 2);
	else if (r < 68)
		w->offline[i] = !w->offline[i];
	else if (r < 84) {
		if (!w->offline[i])
			tw_device_sync(w, i);
	} else if (r < 88)
		tw_device_bundle(w, i, tw_below(w, 2));
	else if (r < 98)
		tw_district_sync(w, d);
	else
		tw_district_bundle(w, d);
	w->nops++;
}

static long env_long(const char *name, long dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 10) : dflt;
}

/* SAOLA_CONVERGENCE_SEEDS: "N" for 1..N or "A-B" for A..B. */
static void seed_range(long *first, long *last)
{
	const char *v = getenv("SAOLA_CONVERGENCE_SEEDS");
	char *end;
	long a;

	if (!v || !*v)
		return;
	a = strtol(v, &end, 10);
	if (*end == '-') {
		*first = a;
		*last = strtol(end + 1, &end, 10);
	} else {
		*last = a;
	}
	if (*end != '\0' || *first < 1 || *last < *first) {
		fprintf(stderr, "SAOLA_CONVERGENCE_SEEDS=%s: expected N or A-B, 1 <= A <= B\n", v);
		exit(2);
	}
}

static void run_seed(int seed, long nops)
{
	tw_world w;
	struct timespec t0, t1;
	int rounds;
	long i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	tw_seed = seed;
	tw_world_open(&w, (uint64_t)seed, "conv");
	for (i = 0; i < nops; i++)
		one_op(&w);
	rounds = tw_full_sync(&w);
	TW_CHECK(rounds > 0, "the replicas did not converge after 6 full syncs");
	tw_check_edits(&w);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "seed %d: %ld operations (%ld syncs), %zu edits, %ld conflicts logged,"
	        " converged in %d full sync%s, %.1f s\n", seed, w.nops, w.nsync,
	        json_array_size(w.events), w.nconflicts, rounds, rounds == 1 ? "" : "s",
	        (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	tw_world_close(&w);
	tw_seed = 0;
}

static void test_random_convergence(void **state)
{
	long one = env_long("SAOLA_CONVERGENCE_SEED", 0);
	long nops = env_long("SAOLA_CONVERGENCE_OPS", 2000);
	long first = 1, last = 20, s;

	(void)state;
	if (one > 0) {
		run_seed((int)one, nops);
		return;
	}
	seed_range(&first, &last);
	for (s = first; s <= last; s++)
		run_seed((int)s, nops);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_convergence),
	};

	setenv("SAOLA_SYNC_BACKOFF_MS", "5", 1);
	/* Thousands of small commits: in memory when the machine has it. */
	if (!getenv("TMPDIR") && access("/dev/shm", W_OK) == 0)
		setenv("TMPDIR", "/dev/shm", 1);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
