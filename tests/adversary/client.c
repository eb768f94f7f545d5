/* client.c: test_adversary's client group (see adversary.h). */
#include "testutil.h"
#include "adversary.h"

static void placeholder(void **state)
{
	(void)state;
	skip();
}

int adversary_client(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(placeholder),
	};
	return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
