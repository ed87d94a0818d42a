/* findings.h: a result directory's summary.csv and meta.json as plot and report read them, and the
 * rules that turn the numbers into findings. */
#ifndef SL_FINDINGS_H
#define SL_FINDINGS_H

#include <jansson.h>
#include <stdbool.h>

#include "csv.h"
#include "speedlab.h"

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

#define SL_SV_MAX_AXES 64

/* summary.csv read back, validated, with the columns plot and report use looked up once.
 * A column index is -1 when the file lacks that column. */
struct sl_summary_view {
	struct sl_csv csv;
	int naxes;                        /* axis columns, between series and runs */
	int axes[SL_SV_MAX_AXES];
	bool varies[SL_SV_MAX_AXES];      /* more than one distinct value */
	int c_config, c_series, c_workload, c_processes, c_chunksize, c_start_method, c_threads,
	    c_thread_api, c_dispatch, c_device, c_blas, c_parent_rss_mb, c_parent_uses,
	    c_affinity, c_mem_policy;
	int c_runs, c_ok, c_status;
	int c_wall, c_wall_min, c_wall_max, c_wall_ci_lo, c_wall_ci_hi, c_wall_cv, c_unstable, c_outliers;
	int c_speedup, c_speedup_lo, c_speedup_hi, c_efficiency, c_karp_flatt, c_amdahl, c_oversubscribed;
	int c_monitor_cpu;
	int c_cores_busy, c_threads_peak, c_threads_lib, c_latency, c_dispatch_us, c_gflops, c_gpu_util, c_imbalance;
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
