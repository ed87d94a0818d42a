/* mpi.h: the mpi start method: ranks started by mpirun (or srun), rank 0 coordinating over MPI. */
#ifndef SL_MPI_H
#define SL_MPI_H

#include "core/workload.h"

/* Run one repetition with start_method = mpi. Same contract as sl_pool_run (the run engine calls it:
 * sl_launcher_mpi.run, SL_LAUNCH_OWN_ENGINE), after its skip decision.
 * Built without MPI: records "skipped:built without MPI" and returns 0. */
int sl_mpi_run(const struct sl_setting *s, const struct sl_workload_ops *w,
	       const struct sl_run_opts *o, struct sl_metrics *m);
/* Entry of an MPI rank (`speedlab __mpi ...`, started by mpirun). Returns the exit code. */
int sl_mpi_rank_main(int argc, char **argv);
/* The same, looking workloads up in extra (NULL-terminated, may be NULL) before the registry:
 * a test program defines its own workloads and routes `__mpi` here. Returns the exit code. */
int sl_mpi_rank_run(int argc, char **argv, const struct sl_workload_ops *const *extra);
/* Rank side, for a rank srun started (mpirun sets OMPI_COMM_WORLD_SIZE; srun does not): how many
 * ranks run on this node, from Slurm's SLURM_STEP_TASKS_PER_NODE ("4", "2(x3),1") and SLURM_NODEID;
 * 0 when unknown. More than the node's CPUs: the ranks yield while they wait (mpi_yield_when_idle). */
long sl_mpi_srun_local_tasks(void);

#endif
