/* doctor.c: saola-server doctor (ops.h). Being written. */
#include <stdio.h>

#include "ops.h"

int saola__cmd_doctor(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "saola-server doctor: not built yet\n");
	return 1;
}
