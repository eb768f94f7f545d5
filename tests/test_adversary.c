/* test_adversary.c: what a hostile tester and a careless IT officer found
 * (issue 11), one test per defect, each of which failed before its fix:
 * devices that lie about themselves, copied databases, rules that held on
 * one path only, resources a request could exhaust, and dishonest
 * operations. The groups live in tests/adversary/. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "adversary.h"

/* SAOLA_TEST_FILTER (a cmocka pattern, e.g. "test_user_*") runs only
 * the tests it names, for chasing one failure. */
int main(void)
{
	int failed = 0;
	const char *filter = getenv("SAOLA_TEST_FILTER");

	if (filter)
		cmocka_set_test_filter(filter);

	failed += adversary_trust();
	failed += adversary_client();
	failed += adversary_limits();
	failed += adversary_roles();
	failed += adversary_forms();
	return failed;
}
