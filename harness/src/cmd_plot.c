/* cmd_plot.c: `speedlab plot` (placeholder until built). */
#include "cmd.h"
#include "speedlab.h"

int sl_cmd_plot(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	sl_err("plot: not yet built");
	return SL_EXIT_USAGE;
}
