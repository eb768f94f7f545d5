/* roles.c: test_adversary's roles group (see adversary.h). */
#include "testutil.h"
#include "adversary.h"

static void placeholder(void **state)
{
	(void)state;
	skip();
}

int adversary_roles(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(placeholder),
	};
	return cmocka_run_group_tests_name("roles", tests, NULL, NULL);
}
