/* test_adversary.c: what a hostile tester and a careless IT officer found
 * (issue 11), one test per defect, each of which failed before its fix:
 * devices that lie about themselves, copied databases, rules that held on
 * one path only, resources a request could exhaust, and dishonest
 * operations. The groups live in tests/adversary/. */
#include "adversary.h"

int main(void)
{
	int failed = 0;

	failed += adversary_trust();
	failed += adversary_client();
	failed += adversary_limits();
	failed += adversary_roles();
	failed += adversary_forms();
	return failed;
}
