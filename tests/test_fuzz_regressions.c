/* test_fuzz_regressions.c: replays, through the fuzz targets' own entry
 * points (tests/fuzz/fuzz_*.c, built here with the normal compiler and
 * sanitizers), every input that once made a target fail
 * (tests/fuzz/regressions/<target>/) and every seed of its corpus
 * (tests/fuzz/corpus/<target>/). A failure is a crash or a sanitizer
 * report, as under the fuzzer. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fuzz.h"
#include "testutil.h"

typedef int (*entry_fn)(const uint8_t *data, size_t size);

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs fn on every file of SAOLA_FUZZ_DIR/sub/target, in name order;
 * returns how many (0 when the folder does not exist). */
static int replay_dir(const char *sub, const char *target, entry_fn fn)
{
	char dir[1024], path[2048];
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof dir, "%s/%s/%s", SAOLA_FUZZ_DIR, sub, target);
	if (!(d = opendir(dir)))
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, "README.md") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			names = realloc(names, cap * sizeof *names);
			assert_non_null(names);
		}
		names[n] = strdup(e->d_name);
		assert_non_null(names[n]);
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_str);
	for (i = 0; i < n; i++) {
		unsigned char *data;
		size_t len;

		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		data = (unsigned char *)tu_read_file(path, &len);
		assert_non_null(data);
		if (getenv("SAOLA_TEST_VERBOSE"))
			fprintf(stderr, "replaying %s\n", path);
		assert_int_equal(fn(data, len), 0);
		free(data);
		free(names[i]);
	}
	free(names);
	return (int)n;
}

static void replay(const char *target, entry_fn fn)
{
	int seeds = replay_dir("corpus", target, fn);
	int found = replay_dir("regressions", target, fn);

	/* Every target has seeds; an empty corpus would test nothing. */
	assert_true(seeds > 0);
	print_message("%s: %d seeds, %d regression inputs\n", target, seeds, found);
}

static void test_expr(void **state) { (void)state; replay("expr", saola_fuzz_expr); }
static void test_form(void **state) { (void)state; replay("form", saola_fuzz_form); }
static void test_record(void **state) { (void)state; replay("record", saola_fuzz_record); }
static void test_wire(void **state) { (void)state; replay("wire", saola_fuzz_wire); }
static void test_bundle(void **state) { (void)state; replay("bundle", saola_fuzz_bundle); }
static void test_http(void **state) { (void)state; replay("http", saola_fuzz_http); }
static void test_cols(void **state) { (void)state; replay("cols", saola_fuzz_cols); }
#ifdef SAOLA_FUZZ_XLSX
static void test_xlsx(void **state) { (void)state; replay("xlsx", saola_fuzz_xlsx); }
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expr),
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_wire),
		cmocka_unit_test(test_bundle),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_cols),
#ifdef SAOLA_FUZZ_XLSX
		cmocka_unit_test(test_xlsx),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
