/* cmd_run.c: `speedlab run` (placeholder). */
#include "cmd.h"
#include "speedlab.h"

int sl_cmd_run(int argc, char **argv) { (void)argc; (void)argv; sl_err("run: not yet built"); return SL_EXIT_USAGE; }
