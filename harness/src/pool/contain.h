/* contain.h: run containment: every process a run starts is found and killed when the run ends,
 * is interrupted, or when the coordinator itself dies (even of SIGKILL). */
#ifndef SL_CONTAIN_H
#define SL_CONTAIN_H

#include <stdbool.h>
#include <sys/types.h>

/* Start containing this process's run (call before any process is started): marks the environment
 * every later child inherits (SPEEDLAB_RUN_TAG), moves this process into a cgroup v2 of its own where the
 * machine allows it, and starts the keeper, a small process that kills
 * everything of the run if this process dies first. Returns 0, or -errno when nothing could be
 * set up (the run goes on uncontained; a warning says so). */
int sl_contain_begin(void);

/* Kill and reap whatever the run's commands left running (between runs; the pool's own workers
 * and the forkserver are not commands and are left alone). Returns how many processes it killed.
 * Never fails. */
int sl_contain_sweep(void);

/* End of the run: sweep, remove the cgroup, stop the keeper. Safe to call when sl_contain_begin
 * was not. Never fails. */
void sl_contain_end(void);

/* The kernel's count of processes its OOM killer ended (/proc/vmstat oom_kill, memory cgroups
 * included); -1 when unknown. */
long sl_oom_kills(void);

/* A run's status "crash:SIGKILL" becomes "crash:SIGKILL (likely OOM: ...)" when the OOM killer acted
 * while it ran (oom_before: sl_oom_kills() at its start). Never fails. */
void sl_oom_note(char *status, size_t len, long oom_before);

#endif
