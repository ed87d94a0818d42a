/* results.h: the result directory (DESIGN.md): its files, the runs.csv writer, and a reader for
 * everything that works from files only (table, plot, report, compare). */
#ifndef SL_RESULTS_H
#define SL_RESULTS_H

#include <jansson.h>
#include "core/speedlab.h"
#include "core/csv.h"

/* Parse the JSON file path, a file of a result directory: a regular file, never through a link
 * (sl_read_file_nofollow). Returns the value, or NULL with the reason (and line) in err. */
json_t *sl_json_load(const char *path, json_error_t *err);

/* runs.csv columns: config, rep, workload, then the axes (the axis table sl_axes, then the workload's parameters in
 * the order it declares them), then the metrics (sl_metric_columns), then status.
 *
 * summary.csv (one row per configuration), columns:
 *   config, series, <axes as in runs.csv>, runs, ok, status,
 *   wall_s_median, wall_s_min, wall_s_max, wall_s_mad, wall_s_ci_lo, wall_s_ci_hi, wall_s_cv,
 *   unstable (1 when CV > 5%), outliers (count, modified z > 3.5),
 *   speedup, speedup_ci_lo, speedup_ci_hi, efficiency, karp_flatt,
 *   amdahl_serial (fit over the series' configurations that are not oversubscribed),
 *   oversubscribed (1 when processes x threads > logical CPUs; `unset` threads count as the
 *   library's own default the worker reported, else the logical CPU count),
 *   then <metric>_median for every other metric of sl_metric_columns.
 * `status` is "ok" when every measured run was ok, the one failure status when every run failed
 * the same way ("crash:SIGSEGV"), else the failures counted ("hang ×1, crash:SIGKILL ×1 (3 of 5 ok)"),
 * or "incomplete" when only warm-ups ran. Statistics use the ok runs; warm-ups (rep < 0) never count.
 * `series` names the configuration without its process count: "k=v k=v" of the axes that vary in
 * the experiment (excluding processes), or "all" when none does. Speedup is against the
 * 1-process configuration of the same series (empty when there is none). */

/* Open runs.csv in dir for appending (writes the header if new). NULL on failure (errno set). */
FILE *sl_runs_open(const char *dir, const struct sl_setting *proto);
/* Append one row and flush it to disk (crash-safe). Returns 0 or -errno. */
int sl_runs_append(FILE *f, const struct sl_setting *s, int rep, const struct sl_metrics *m);

/* A result directory read back. */
struct sl_result {
	char dir[512];
	json_t *meta;                /* meta.json (NULL if absent) */
	struct sl_csv runs;          /* runs.csv */
	struct sl_csv summary;       /* summary.csv (empty if absent) */
	char experiment[SL_NAME_LEN];
};
/* Read dir's meta.json, runs.csv and summary.csv. Returns 0, or -errno/-EINVAL with the reason
 * printed as "speedlab: FILE:LINE: message". */
int sl_result_load(const char *dir, struct sl_result *r);
void sl_result_free(struct sl_result *r);

/* Compute summary.csv from runs.csv and write it (temp file + rename), plus tables.md.
 * Returns 0 or -errno. */
int sl_summary_write(const char *dir);
/* The text summary.csv would hold (malloc'd into *text), without writing anything: for read-only
 * result directories. Returns 0, or -errno/-EINVAL with the reason printed as FILE:LINE. */
int sl_summary_text(const char *dir, char **text, size_t *len);

/* The JSON value at a dotted path ("sysinfo.topology.logical") under root; NULL when absent. */
json_t *sl_json_path(json_t *root, const char *dotted);
/* The string at a dotted path of r's meta.json, or NULL. */
const char *sl_result_meta_str(const struct sl_result *r, const char *dotted);
/* The value of key in section of dir/experiment.ini into out; false when absent or unreadable. */
bool sl_result_ini_value(const struct sl_result *r, const char *section, const char *key, char *out, size_t len);
/* Logical CPUs of the machine that made the result (meta.json's sysinfo); 0 when it does not say (never
 * this machine's). */
int sl_result_logical_cpus(json_t *meta);

#endif
