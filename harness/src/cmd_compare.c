/* cmd_compare.c: `speedlab compare` (placeholder until built). */
#include "cmd.h"
#include "speedlab.h"

int sl_cmd_compare(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	sl_err("compare: not yet built");
	return SL_EXIT_USAGE;
}
