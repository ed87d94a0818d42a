/* cmd_list.c: `speedlab list` (placeholder). */
#include "cmd.h"
#include "speedlab.h"

int sl_cmd_list(int argc, char **argv) { (void)argc; (void)argv; sl_err("list: not yet built"); return SL_EXIT_USAGE; }
