/* cmd_sysinfo.c: `speedlab sysinfo` (placeholder). */
#include "cmd.h"
#include "speedlab.h"

int sl_cmd_sysinfo(int argc, char **argv) { (void)argc; (void)argv; sl_err("sysinfo: not yet built"); return SL_EXIT_USAGE; }
