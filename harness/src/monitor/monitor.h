/* monitor.h: samples /proc (and NVML) while a run is in flight; feeds samples.csv and runs.csv. */
#ifndef SL_MONITOR_H
#define SL_MONITOR_H

#include <stdbool.h>
#include <sys/types.h>
#include "core/speedlab.h"

struct sl_monitor;

/* Start a sampling thread at hz samples per second that writes rows to samples (may be NULL)
 * tagged with config and rep. Returns NULL (errno set) if the thread cannot start. */
struct sl_monitor *sl_monitor_start(double hz, FILE *samples, int config, int rep);
/* Watch a worker process (and its threads). Thread-safe. Never fails (drops past a limit). */
void sl_monitor_watch(struct sl_monitor *mon, pid_t pid);
/* Enter (run true) or leave the run phase, whose placement the monitor follows: which CPUs the
 * watched workers' threads ran on (cpus_used) and how often they moved (migrations). Takes a
 * sample at the edge and waits for it, so the run's first and last moments count. Never fails. */
void sl_monitor_phase(struct sl_monitor *mon, bool run);
/* Watch pid and, at every sample, every descendant it has then (read from /proc/PID/task/TID/children):
 * a process tree's threads and memory, not only its root's. Safe with mon NULL. Never fails. */
void sl_monitor_watch_tree(struct sl_monitor *mon, pid_t pid);
/* Stop the thread and fill threads_peak, threads_total_peak, rss_peak_mb, gpu_util_pct, gpu_mem_mb,
 * monitor_cpu_pct in m (others untouched). Frees mon. Never fails. */
void sl_monitor_stop(struct sl_monitor *mon, struct sl_metrics *m);
/* Pages per NUMA node in a /proc/PID/numa_maps text (its N<node>=<pages> tokens) into pages[0..max-1];
 * returns one past the highest node seen (0: none). Never fails. */
int sl_numa_maps_pages(const char *text, double *pages, int max);
/* The header line of samples.csv (no newline). */
const char *sl_monitor_samples_header(void);

#endif
