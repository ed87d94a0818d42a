/* fork.c: placeholder until the start method is built. */
#include "launcher.h"

const struct sl_launcher_ops sl_launcher_fork = {
	.name = "fork",
	.help = "not yet built",
	.unimplemented_reason = "not yet built",
};
