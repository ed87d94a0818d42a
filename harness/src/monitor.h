/* monitor.h: samples /proc (and NVML) while a run is in flight; feeds samples.csv and runs.csv. */
#ifndef SL_MONITOR_H
#define SL_MONITOR_H

#include <sys/types.h>
#include "speedlab.h"

struct sl_monitor;

/* Start a sampling thread at hz samples per second that writes rows to samples (may be NULL)
 * tagged with config and rep. Returns NULL (errno set) if the thread cannot start. */
struct sl_monitor *sl_monitor_start(double hz, FILE *samples, int config, int rep);
/* Watch a worker process (and its threads). Thread-safe. Never fails (drops past a limit). */
void sl_monitor_watch(struct sl_monitor *mon, pid_t pid);
/* Watch pid and, at every sample, every descendant it has then (read from /proc/PID/task/TID/children):
 * a process tree's threads and memory, not only its root's. Safe with mon NULL. Never fails. */
void sl_monitor_watch_tree(struct sl_monitor *mon, pid_t pid);
/* Stop the thread and fill threads_peak, threads_total_peak, rss_peak_mb, gpu_util_pct, gpu_mem_mb,
 * monitor_cpu_pct in m (others untouched). Frees mon. Never fails. */
void sl_monitor_stop(struct sl_monitor *mon, struct sl_metrics *m);
/* The header line of samples.csv (no newline). */
const char *sl_monitor_samples_header(void);

#endif
