/* mpi_norank.c: speedlab's stand-in for the rank side of the mpi start method (mpi_rank.c).
 * speedlab links no MPI library (libmpi would cost every spawned worker ~0.8 ms of loading): it
 * launches ranks that run speedlab-mpi, built beside it; the programs that link mpi_rank.c
 * (speedlab-mpi, the test programs) link it instead of this file. */
#include <limits.h>
#include <string.h>

#include "core/launcher.h"
#include "launch/mpi.h"
#include "launch/mpi_internal.h"

/* The program the ranks run: speedlab-mpi beside this one. */
const char *sl_mpi_rank_exe(void)
{
	static char path[PATH_MAX];

	if (!path[0]) {
		char *slash;

		sl_strlcpy(path, sl_self_exe(), sizeof(path) - 16);
		slash = strrchr(path, '/');
		strcpy(slash ? slash + 1 : path, "speedlab-mpi");
	}
	return path;
}

int sl_mpi_rank_run(int argc, char **argv, const struct sl_workload_ops *const *extra)
{
	(void)argc; (void)argv; (void)extra;
#ifdef SL_HAVE_MPI
	sl_err("__mpi: this speedlab launches ranks only; they run speedlab-mpi");
#else
	sl_err("__mpi: built without MPI");
#endif
	return SL_EXIT_USAGE;
}
