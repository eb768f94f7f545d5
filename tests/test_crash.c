/* test_crash.c: a child process importing 10,000 records is killed with
 * SIGKILL at random moments; after each kill the database must open, pass
 * PRAGMA integrity_check, hold an outbox entry for every record and a record
 * for every outbox entry, and every import must be wholly there or absent.
 * SAOLA_CRASH_SEED=N replays a run; SAOLA_CRASH_ROUNDS=N changes its length. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include "testutil.h"

#define IMPORT_SIZE 10000

/* The child: one import of IMPORT_SIZE records tagged "import-R" in one
 * transaction, as 'saola import' does; reports its progress on fd. */
static void child_import(const char *path, int round, int fd)
{
	saola *db = NULL;
	char tag[32], rec[256];
	int i;

	snprintf(tag, sizeof tag, "import-%d", round);
	if (saola_open(path, 0, &db) != SAOLA_OK || saola_begin(db) != SAOLA_OK)
		_exit(3);
	for (i = 0; i < IMPORT_SIZE; i++) {
		json_t *h;
		int n = i + 1;
		/* the test form: the store's atomicity is under test here, not the
		 * household form (test_form covers it), and a small form keeps 24
		 * imports of 10,000 quick under the sanitizers */
		snprintf(rec, sizeof rec,
		         "{\"name\":\"Hộ %d\",\"age\":%d,\"happy\":%s,\"colour\":\"%s\","
		         "\"pets\":[\"cat\"],\"province\":\"37\",\"commune\":\"%s\","
		         "\"kids\":[{\"kid_name\":\"Mai\",\"kid_age\":%d}]}",
		         i, i % 90, i % 2 ? "true" : "false", i % 3 ? "red" : "green", tag, i % 15);
		h = json_loads(rec, 0, NULL);
		if (!h || saola_put(db, "survey", NULL, h, NULL) != SAOLA_OK) {
			fprintf(stderr, "child put: %s\n", saola_errmsg(db));
			_exit(4);
		}
		json_decref(h);
		if (n % 100 == 0 && write(fd, &n, sizeof n) != sizeof n)
			_exit(5);
	}
	i = -1; /* committing */
	if (write(fd, &i, sizeof i) != sizeof i)
		_exit(5);
	if (saola_commit(db) != SAOLA_OK)
		_exit(6);
	saola_close(db);
	_exit(0);
}

static void check_database(const char *path, int rounds, int *complete)
{
	sqlite3 *s;
	sqlite3_stmt *st;
	int r;

	assert_int_equal(sqlite3_open_v2(path, &s, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(s, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	sqlite3_close(s);

	assert_int_equal(tu_count(path, "SELECT count(*) FROM records r WHERE NOT EXISTS"
	                                " (SELECT 1 FROM outbox o WHERE o.record_id = r.id)"), 0);
	assert_int_equal(tu_count(path, "SELECT count(*) FROM outbox o WHERE NOT EXISTS"
	                                " (SELECT 1 FROM records r WHERE r.id = o.record_id)"), 0);
	assert_int_equal(tu_count(path, "SELECT count(*) FROM outbox"),
	                 tu_count(path, "SELECT count(*) FROM records"));
	/* each import is wholly there or absent: one pass over the records */
	*complete = 0;
	assert_int_equal(sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(s,
	        "SELECT json_extract(data, '$.commune'), count(*) FROM records GROUP BY 1",
	        -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *tag = (const char *)sqlite3_column_text(st, 0);
		long n = (long)sqlite3_column_int64(st, 1);
		if (!tag || sscanf(tag, "import-%d", &r) != 1 || r < 0 || r >= rounds)
			fail_msg("a record of no import: commune %s", tag ? tag : "(none)");
		if (n != IMPORT_SIZE)
			fail_msg("import %d is partly there: %ld of %d records", r, n, IMPORT_SIZE);
		(*complete)++;
	}
	sqlite3_finalize(st);
	sqlite3_close(s);
}

static void test_kill_during_import(void **state)
{
	const char *env_seed = getenv("SAOLA_CRASH_SEED");
	const char *env_rounds = getenv("SAOLA_CRASH_ROUNDS");
	unsigned seed = env_seed ? (unsigned)strtoul(env_seed, NULL, 10) : (unsigned)time(NULL);
	int rounds = env_rounds ? atoi(env_rounds) : 24;
	const char *dir = tu_tmpdir("crash");
	char path[1024];
	saola *db;
	int r, kills = 0, complete = 0, expect_complete = 0;

	(void)state;
	printf("crash test: seed %u, %d rounds (replay with SAOLA_CRASH_SEED=%u)\n",
	       seed, rounds, seed);
	srand(seed);
	snprintf(path, sizeof path, "%s/device.db", dir);
	db = tu_open(path, 0);
	saola_close(db);

	for (r = 0; r < rounds; r++) {
		int fds[2], status, progress = 0, target;
		pid_t pid;

		/* where to kill: after a random number of records (a certain
		 * kill), just as the commit starts, or never */
		switch (r % 12) {
		case 11: target = -1; break;
		case 5: target = IMPORT_SIZE + 1; break;
		default: target = 100 * (1 + rand() % (IMPORT_SIZE / 100 - 1)); break;
		}
		assert_int_equal(pipe(fds), 0);
		fflush(NULL);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			child_import(path, r, fds[1]);
		}
		close(fds[1]);
		while (read(fds[0], &progress, sizeof progress) == sizeof progress) {
			if ((target == -1 && progress == -1) ||
			    (target > 0 && progress >= target)) {
				kill(pid, SIGKILL);
				break;
			}
		}
		close(fds[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (WIFSIGNALED(status)) {
			assert_int_equal(WTERMSIG(status), SIGKILL);
			kills++;
		} else {
			if (WEXITSTATUS(status) != 0)
				fail_msg("round %d: the import failed by itself (exit %d), seed %u",
				         r, WEXITSTATUS(status), seed);
			expect_complete++;
		}
		check_database(path, r + 1, &complete);
		/* a killed commit may or may not have reached the disk; a finished
		 * import must be there */
		assert_true(complete >= expect_complete);
		/* and the next writer opens it normally */
		assert_int_equal(saola_open(path, 0, &db), SAOLA_OK);
		saola_close(db);
	}
	printf("crash test: %d kills, %d imports complete of %d rounds\n", kills, complete, rounds);
	/* every round but those of r % 12 == 5 or 11 kills for certain: 20 of
	 * 24, 10 of 12 (a cross-build's run under qemu: tests/CMakeLists.txt) */
	assert_true(kills >= rounds * 5 / 6);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_during_import),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
