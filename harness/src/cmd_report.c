/* cmd_report.c: `speedlab report` (placeholder until built). */
#include "cmd.h"
#include "speedlab.h"

int sl_cmd_report(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	sl_err("report: not yet built");
	return SL_EXIT_USAGE;
}
