/* cmd_baseline.c: `speedlab baseline` (placeholder until built). */
#include "cmd.h"
#include "speedlab.h"

int sl_cmd_baseline(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	sl_err("baseline: not yet built");
	return SL_EXIT_USAGE;
}
