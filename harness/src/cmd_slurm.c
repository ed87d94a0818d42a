/* cmd_slurm.c: `speedlab slurm` (placeholder until built). */
#include "cmd.h"
#include "speedlab.h"

int sl_cmd_slurm(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	sl_err("slurm: not yet built");
	return SL_EXIT_USAGE;
}
