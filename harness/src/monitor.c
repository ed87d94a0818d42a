/* monitor.c: placeholder until the monitor is built. */
#include <stdlib.h>

#include "monitor.h"

struct sl_monitor { int unused; };

struct sl_monitor *sl_monitor_start(double hz, FILE *samples, int config, int rep)
{
	(void)hz; (void)samples; (void)config; (void)rep;
	return calloc(1, sizeof(struct sl_monitor));
}
void sl_monitor_watch(struct sl_monitor *mon, pid_t pid) { (void)mon; (void)pid; }
void sl_monitor_stop(struct sl_monitor *mon, struct sl_metrics *m) { (void)m; free(mon); }
const char *sl_monitor_samples_header(void) { return "config,rep,t_s"; }
