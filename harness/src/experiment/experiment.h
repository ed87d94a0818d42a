/* experiment.h: experiment files (INI, libinih): parsing, profiles, overrides, expansion to settings. */
#ifndef SL_EXPERIMENT_H
#define SL_EXPERIMENT_H

#include "experiment/thresholds.h"
#include "core/speedlab.h"
#include "core/workload.h"

#define SL_MAX_AXES 32
#define SL_MAX_VALUES 256

/* One key as written in the file: where it came from, and its raw text. */
struct sl_entry {
	char section[SL_NAME_LEN];
	char key[SL_NAME_LEN];
	char value[4096];         /* an expanded list of up to SL_MAX_VALUES values reads back whole */
	char file[512];
	int line;
	int section_line;         /* line of its [section] header */
	bool override;            /* set by a profile or --set */
	char cut[256];            /* what an inline comment (" ;") cut off the line after the value, or "" */
};

/* One sweep axis after expansion: its values as text. */
struct sl_axis {
	char name[SL_NAME_LEN];
	int nvalues;
	char values[SL_MAX_VALUES][SL_VALUE_LEN];
	char file[512];
	int line;
};

struct sl_experiment {
	char file[512];
	char name[SL_NAME_LEN];
	char question[512];
	char metric[SL_NAME_LEN];         /* what the answer is measured in (default wall_s) */
	char workload[SL_NAME_LEN];
	const struct sl_workload_ops *wl;
	int repeats;                      /* with repeats_auto: max_repeats, the rounds the run may take */
	int warmup;
	/* repeats = auto: rounds go on for the configurations whose median is not yet within precision_pct
	 * (half-width of its 95% order-statistic CI, relative), from min_repeats up to max_repeats */
	bool repeats_auto;
	int min_repeats, max_repeats;
	double precision_pct;
	char precision_metric[SL_NAME_LEN];   /* a runs.csv metric column, default wall_s */
	double timeout_s;
	unsigned long long seed;
	bool seed_given;
	double sample_hz;
	char profile[16];                 /* "", quick or full */
	/* [compare]: threshold in percent, default and per metric (read by sl_cmp_threshold_set) */
	struct sl_cmp_options compare;
	/* [mpi]: launch settings */
	char mpi_hosts[256];
	char mpi_hostfile[256];
	int mpi_ranks_per_node;
	char mpi_bind[32];
	/* [experiment] coordinator_cpus: a CPU list the coordinator is pinned to; "" not pinned */
	char coordinator_cpus[128];
	/* the axes of the run: every standard axis and every workload parameter (fixed ones have one value) */
	int naxes;
	struct sl_axis axes[SL_MAX_AXES];
	/* everything as read, for messages and to write experiment.ini back */
	int nentries;
	struct sl_entry entries[256];
	int noverrides;
	char overrides[32][SL_VALUE_LEN];  /* --set key=value, as given */
};

/* Parse file, apply profile ("" for none) and the --set overrides ("key=value" or
 * "section.key=value"), expand every value. Returns 0, or -EINVAL/-errno with every problem
 * printed as "speedlab: FILE:LINE: message". */
int sl_experiment_load(struct sl_experiment *e, const char *file, const char *profile,
		       char *const *overrides, int noverrides);
/* Same, from a string (tests, fuzzing); name stands for the file in messages. */
int sl_experiment_parse(struct sl_experiment *e, const char *name, const char *text,
			const char *profile, char *const *overrides, int noverrides);

/* Evaluate one value expression of an axis into values (text): "1, 2, cores", "1..16",
 * "pow2(1..2*cores)", "2*cores", words. Returns the count, or -EINVAL with msg set. */
int sl_values_expand(const char *expr, char out[][SL_VALUE_LEN], int max, char *msg, size_t msglen);

/* Number of configurations (the Cartesian product). */
long sl_experiment_nconfigs(const struct sl_experiment *e);
/* Configuration number idx (canonical order) resolved into a setting. Returns 0, or -EINVAL
 * with msg set when the combination is impossible (e.g. an unknown start method). */
int sl_experiment_setting(const struct sl_experiment *e, long idx, struct sl_setting *s,
			  char *msg, size_t msglen);
/* The run order: a seeded random permutation of 0..n-1 into order (n entries). */
void sl_experiment_order(const struct sl_experiment *e, int *order, long n);
/* Write the effective experiment (profile and overrides applied, seed fixed) as INI. 0 or -errno. */
int sl_experiment_write(const struct sl_experiment *e, const char *path);

#endif
