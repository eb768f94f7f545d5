/* forms.c: test_adversary's forms group (see adversary.h). */
#include "testutil.h"
#include "adversary.h"

static void placeholder(void **state)
{
	(void)state;
	skip();
}

int adversary_forms(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(placeholder),
	};
	return cmocka_run_group_tests_name("forms", tests, NULL, NULL);
}
