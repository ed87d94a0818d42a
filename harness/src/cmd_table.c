/* cmd_table.c: `speedlab table` (placeholder until built). */
#include "cmd.h"
#include "speedlab.h"

int sl_cmd_table(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	sl_err("table: not yet built");
	return SL_EXIT_USAGE;
}
