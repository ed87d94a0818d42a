/* findings.h: a result directory's summary.csv and meta.json as plot and report read them, and the
 * rules that turn the numbers into findings. */
#ifndef SL_FINDINGS_H
#define SL_FINDINGS_H

#include <jansson.h>
#include <stdbool.h>

#include "core/csv.h"
#include "core/speedlab.h"

/* The machine a result came from, as meta.json's sysinfo describes it (never this machine). */
struct sl_machine {
	char host[128];
	char cpu[256];
	int logical;          /* 0 when unknown */
	int physical;
	int sockets;
	double mem_gib;       /* 0 when unknown */
	char gpu[256];        /* "" when none */
	char kernel[128];
};

/* Fill m from meta (meta.json; NULL allowed), tolerating missing and differently nested keys.
 * Never fails: what is absent stays 0 or "". */
void sl_machine_from_meta(const json_t *meta, struct sl_machine *m);
/* "lab-a · Intel(R) ... · 4 logical / 2 physical CPUs · 15.5 GiB" (what is known). Never fails. */
void sl_machine_line(const struct sl_machine *m, char *buf, size_t len);

/* meta.json's schema: 1 from this version on (absent in older results, read the same way). */
#define SL_META_SCHEMA 1

/* meta.json as every reader of a result directory sees it: typed, each field "" or 0 when absent. */
struct sl_meta {
	int schema;                 /* schema_version; 0 when absent (older results) */
	char name[64], question[512], workload[48], metric[48], profile[16];
	int repeats;
	long long seed;
	char command[1024], commit[64], start[40], end[40];
	char placement[512];        /* where a sweep that placed its workers ran them; "" when it did not */
	struct sl_machine m;        /* the machine it ran on (never this one) */
};

/* Read dir/meta.json into out (zeroed first). A missing file is no error (everything stays empty); a
 * file that is not JSON, or whose known fields have the wrong type, or whose schema_version is newer
 * than this speedlab's, is: -EINVAL with "speedlab: FILE:LINE: message" printed. */
int sl_meta_load(const char *dir, struct sl_meta *out);

#define SL_SV_MAX_AXES 64

/* summary.csv read back, validated, with the columns plot and report use looked up once.
 * A column index is -1 when the file lacks that column. */
struct sl_summary_view {
	struct sl_csv csv;
	int naxes;                        /* axis columns, between series and runs */
	int axes[SL_SV_MAX_AXES];
	bool varies[SL_SV_MAX_AXES];      /* more than one distinct value */
	int c_config, c_series, c_workload, c_processes, c_chunksize, c_start_method, c_threads,
	    c_thread_api, c_dispatch, c_device, c_blas, c_parent_rss, c_parent_uses,
	    c_affinity, c_mem_policy;
	int c_runs, c_ok, c_status;
	int c_wall, c_wall_min, c_wall_max, c_wall_ci_lo, c_wall_ci_hi, c_wall_cv, c_unstable, c_outliers;
	int c_speedup, c_speedup_lo, c_speedup_hi, c_efficiency, c_karp_flatt, c_amdahl, c_oversubscribed;
	int c_monitor_cpu;
	int c_cores_busy, c_threads_peak, c_threads_lib, c_latency, c_dispatch_us, c_gflops, c_gpu_util, c_imbalance;
	int c_pool_start, c_pool_stop;
	/* what the experiment's answer is measured in ([experiment] metric; wall_s unless set) */
	char metric[48];
	int c_metric;                     /* its median column; -1 for pool_ms (a sum) or when absent */
	int metric_better;                /* +1 higher is better, -1 lower */
	int c_cpus_used;
};

/* Read path as summary.csv: the header must name config, series, processes, runs, ok, status and
 * wall_s_median; every cell of a numeric column must be empty or a number. Returns 0, or
 * -errno/-EINVAL with the reason printed as "speedlab: FILE:LINE: message". */
int sl_summary_view_load(const char *path, struct sl_summary_view *v);
/* Free everything. Safe on a zeroed struct. */
void sl_summary_view_free(struct sl_summary_view *v);
/* Whether column col is an axis that takes more than one value. Never fails. */
bool sl_summary_view_varies(const struct sl_summary_view *v, int col);
/* Number of rows. */
static inline size_t sl_sv_rows(const struct sl_summary_view *v) { return v->csv.nrows; }
/* Cell as text ("" for a missing column) and as a number (NAN when empty or missing). */
static inline const char *sl_sv_text(const struct sl_summary_view *v, size_t r, int c)
{
	return sl_csv_cell(&v->csv, r, c);
}
static inline double sl_sv_num(const struct sl_summary_view *v, size_t r, int c)
{
	return sl_csv_num(&v->csv, r, c);
}
/* Whether row r's runs all finished ok. Never fails. */
bool sl_sv_row_ok(const struct sl_summary_view *v, size_t r);
/* "k=v k=v" of the varying axes of row r except those in skip (-1 terminated), or "all"; cut short
 * to fit len. Never fails. */
void sl_sv_label(const struct sl_summary_view *v, size_t r, const int *skip, char *buf, size_t len);
/* Row r's chunk size as a number: 'auto' resolved by Python's rule ceil(tasks / (4 processes)) (what
 * speedlab's auto means); NAN when neither a number nor resolvable. */
double sl_sv_chunksize(const struct sl_summary_view *v, size_t r);
/* The workload parameter value of row r called name ("" when absent). Never fails. */
const char *sl_sv_param(const struct sl_summary_view *v, size_t r, const char *name);

/* Set the metric the answer is measured in (NULL or "": wall_s). Returns 0, or -EINVAL (printed
 * with path) when name is not a metric with a direction. */
int sl_sv_set_metric(struct sl_summary_view *v, const char *name, const char *path);
/* Whether the metric is the run's time (wall_s): speedup, efficiency and Amdahl apply only then. */
bool sl_sv_metric_is_time(const struct sl_summary_view *v);
/* Row r's metric (NAN when absent), and a value of it with its unit ("52.1 ms", "1.20 µs per task",
 * "412 GFLOP/s"). Never fail. */
double sl_sv_metric(const struct sl_summary_view *v, size_t r);
void sl_sv_metric_fmt(const struct sl_summary_view *v, double x, char *buf, size_t len);
/* Whether a is better than b in the metric's direction (NAN is never better). */
bool sl_sv_metric_better(const struct sl_summary_view *v, double a, double b);

/* Whether row r's figures can be trusted: every run ok and they pass the run-window checks (cores busy
 * at most the machine's logical CPUs × 1.05: the CPU time was counted outside the run). */
bool sl_sv_row_trusted(const struct sl_summary_view *v, size_t r, const struct sl_machine *m);
/* Whether row r is oversubscribed: summary.csv says processes × threads exceed the logical CPUs, and
 * the workers keep them busy (a waiting workload whose cores busy stay below 85% of the CPUs has
 * threads to spare, whatever their count). Never fails. */
bool sl_sv_oversubscribed(const struct sl_summary_view *v, size_t r, const struct sl_machine *m);
/* The Amdahl serial fraction of row r's series, fitted on its trusted, not oversubscribed process counts
 * with a speedup; NAN unless there are at least 3 of them. *pmin, *pmax (may be NULL): the fitted range.
 * Never fails. */
double sl_sv_amdahl(const struct sl_summary_view *v, size_t r, const struct sl_machine *m, double *pmin,
		    double *pmax);
/* The fastest trusted 1-process row of the experiment (any series); -1 when none. */
long sl_sv_best_one_process(const struct sl_summary_view *v, const struct sl_machine *m);

/* The experiment's answer in numbers, one line of Markdown without a trailing newline (what its
 * question asks, ranked by its metric): the best speedup where processes are swept and the metric is
 * the run's time, else the best and worst configurations. brief: the key-results table's short form
 * (one line: no configuration lists). Never fails. */
void sl_answer(const struct sl_summary_view *v, const struct sl_machine *m, bool brief, char *buf, size_t len);

enum sl_finding_kind {
	SL_FINDING_INFO = 0,      /* what the data shows */
	SL_FINDING_ADVICE,        /* what to change */
	SL_FINDING_PROBLEM,       /* runs that crashed, hung, or a measurement that cannot be trusted */
};

struct sl_finding {
	char rule[32];
	enum sl_finding_kind kind;
	char text[1024];
};

#define SL_MAX_FINDINGS 64

struct sl_findings {
	int n;
	struct sl_finding items[SL_MAX_FINDINGS];
};

/* Apply every rule to v (workload: the experiment's workload, "" if unknown; m: the machine it ran
 * on) and append what they find to out (out->n must be set, usually 0). Each rule speaks only when
 * its data exists. Never fails; past SL_MAX_FINDINGS findings are dropped. */
void sl_findings_compute(const struct sl_summary_view *v, const struct sl_machine *m, const char *workload,
			 struct sl_findings *out);

/* The one-word label of a finding kind ("info", "advice", "problem"). Never fails. */
const char *sl_finding_kind_name(enum sl_finding_kind k);

#endif
