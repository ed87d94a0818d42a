/* preflight.h: checks before a run that the machine is fit to measure on (load, governor, quota, swap). */
#ifndef SL_PREFLIGHT_H
#define SL_PREFLIGHT_H

#include <jansson.h>

#define SL_PREFLIGHT_MAX_GOVERNORS 8

/* What the checks read. NAN (or 0 governors, version 0) where a fact cannot be read. */
struct sl_preflight_facts {
	int cpus;                      /* logical CPUs (sl_topology) */
	int cpus_online, cpus_allowed; /* online, and in this process's affinity mask */
	double load[3];                /* load average over 1, 5, 15 minutes */
	int ngovernors;                /* distinct cpufreq governors, with how many CPUs use each */
	char governor[SL_PREFLIGHT_MAX_GOVERNORS][32];
	int governor_cpus[SL_PREFLIGHT_MAX_GOVERNORS];
	int cgroup_version;            /* 1, 2, or 0 when none found */
	char cgroup_cpu_max[64];       /* the limiting file's text ("150000 100000", "max 100000") */
	double quota_cpus;             /* effective CPU quota in CPUs; INFINITY when unlimited */
	double swap_used_mb;
};

/* Read the facts of this machine now. Never fails (unreadable facts stay unknown). */
void sl_preflight_read(struct sl_preflight_facts *f);
/* The meta.json object of some facts:
 *   { "cpus", "cpus_online", "cpus_allowed", "loadavg": [1, 5, 15 min], "load_per_cpu",
 *     "governors": { name: cpus }, "cgroup": { "version", "cpu_max", "quota_cpus" },
 *     "swap_used_mb", "warnings": [ sentence, ... ] }
 * with unknown facts as null. Warnings: load above 0.5 per CPU, a governor other than
 * `performance`, a CPU quota below the CPU count, swap in use. NULL when out of memory. */
json_t *sl_preflight_json(const struct sl_preflight_facts *f);
/* sl_preflight_json of this machine now. NULL when out of memory. */
json_t *sl_preflight(void);
/* Print every warning of a preflight object through sl_warn. Safe on NULL. Never fails. */
void sl_preflight_warn(json_t *preflight);

/* The effective cgroup CPU quota read through the given files (/proc/self/cgroup and
 * /proc/self/mounts normally): the smallest limit from the process's cgroup up to the mount root,
 * v2 cpu.max or v1 cpu.cfs_quota_us / cpu.cfs_period_us. Returns it in CPUs, INFINITY when
 * unlimited, NAN when no cgroup CPU controller is found; *version and raw as in the facts.
 * Never fails. */
double sl_preflight_cgroup_quota(const char *cgroup_file, const char *mounts_file, int *version,
				 char *raw, size_t rawlen);

#endif
