/* findings.c: summary.csv read back for plot and report, the machine from meta.json, and the rules
 * that turn the numbers into findings (each rule speaks only when its data exists). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/findings.h"
#include "experiment/axis.h"
#include "results/results.h"
#include "core/stats.h"

/* ---- the machine, from meta.json ---- */

/* Whether v can be read as text (want_text) or as a number. */
static bool json_usable(const json_t *v, bool want_text)
{
	double d;

	if (want_text)
		return json_is_string(v);
	return json_is_number(v) || (json_is_string(v) && sl_parse_double(json_string_value(v), &d));
}

/* Depth-first search of obj for the first key among names whose value is usable; NULL when none. */
static const json_t *json_find(const json_t *obj, const char *const *names, bool want_text, int depth)
{
	const char *key;
	const json_t *val;

	if (!obj || !json_is_object(obj) || depth > 4)
		return NULL;
	for (int i = 0; names[i]; i++) {
		val = json_object_get(obj, names[i]);
		if (val && json_usable(val, want_text))
			return val;
	}
	json_object_foreach((json_t *)obj, key, val) {
		const json_t *hit = json_find(val, names, want_text, depth + 1);

		if (hit)
			return hit;
	}
	return NULL;
}

static void json_text(const json_t *root, const char *const *names, char *buf, size_t len)
{
	const json_t *v = json_find(root, names, true, 0);

	if (v)
		snprintf(buf, len, "%s", json_string_value(v));
}

static double json_num(const json_t *root, const char *const *names)
{
	const json_t *v = json_find(root, names, false, 0);
	double d = 0;

	if (v && json_is_number(v))
		return json_number_value(v);
	if (v)
		sl_parse_double(json_string_value(v), &d);
	return d;
}

/* The first array or string found under one of names (GPUs); NULL when none. */
static const json_t *json_find_list(const json_t *obj, const char *const *names, int depth)
{
	const char *key;
	const json_t *val;

	if (!obj || !json_is_object(obj) || depth > 4)
		return NULL;
	for (int i = 0; names[i]; i++) {
		val = json_object_get(obj, names[i]);
		if (val && (json_is_array(val) || json_is_string(val)))
			return val;
	}
	json_object_foreach((json_t *)obj, key, val) {
		const json_t *hit = json_find_list(val, names, depth + 1);

		if (hit)
			return hit;
	}
	return NULL;
}

void sl_machine_from_meta(const json_t *meta, struct sl_machine *m)
{
	static const char *const host[] = { "hostname", "host", NULL };
	static const char *const cpu[] = { "cpu_model", "model_name", "cpu", "model", NULL };
	static const char *const logical[] = { "logical", "logical_cpus", "cpus_logical", "nlogical", NULL };
	static const char *const physical[] = { "physical", "physical_cores", "cores_physical", "nphysical", NULL };
	static const char *const sockets[] = { "sockets", "packages", NULL };
	static const char *const mem[] = { "mem_gib", "memory_gib", "mem_total_gib", NULL };
	static const char *const kernel[] = { "kernel", "os", "uname", NULL };
	static const char *const gpus[] = { "gpus", "gpu", NULL };
	const json_t *sys, *g;

	memset(m, 0, sizeof(*m));
	if (!meta)
		return;
	sys = json_object_get(meta, "sysinfo");
	if (!sys || !json_is_object(sys))
		sys = meta;
	json_text(sys, host, m->host, sizeof(m->host));
	json_text(sys, cpu, m->cpu, sizeof(m->cpu));
	json_text(sys, kernel, m->kernel, sizeof(m->kernel));
	m->logical = (int)json_num(sys, logical);
	m->physical = (int)json_num(sys, physical);
	m->sockets = (int)json_num(sys, sockets);
	m->mem_gib = json_num(sys, mem);
	if (m->logical < 0 || m->logical > 1 << 20)
		m->logical = 0;
	if (m->physical < 0 || m->physical > 1 << 20)
		m->physical = 0;
	g = json_find_list(sys, gpus, 0);
	if (g && json_is_array(g) && json_array_size(g) > 0) {
		const json_t *first = json_array_get(g, 0);
		const json_t *name = json_is_object(first) ? json_object_get(first, "name") : first;

		if (name && json_is_string(name))
			snprintf(m->gpu, sizeof(m->gpu), "%s%s", json_string_value(name),
				 json_array_size(g) > 1 ? " (and more)" : "");
	} else if (g && json_is_string(g)) {
		snprintf(m->gpu, sizeof(m->gpu), "%s", json_string_value(g));
	}
}

void sl_machine_line(const struct sl_machine *m, char *buf, size_t len)
{
	size_t n = 0;

#define ADD(...)                                                                      \
	do {                                                                          \
		if (n < len) {                                                        \
			int k_ = snprintf(buf + n, len - n, __VA_ARGS__);             \
			n += k_ > 0 ? (size_t)k_ : 0;                                 \
		}                                                                     \
	} while (0)
	buf[0] = '\0';
	ADD("%s", m->host[0] ? m->host : "unknown machine");
	if (m->cpu[0])
		ADD(" · %s", m->cpu);
	if (m->logical > 0 && m->physical > 0)
		ADD(" · %d logical / %d physical CPUs", m->logical, m->physical);
	else if (m->logical > 0)
		ADD(" · %d logical CPUs", m->logical);
	if (m->mem_gib > 0)
		ADD(" · %.1f GiB", m->mem_gib);
	if (m->gpu[0])
		ADD(" · %s", m->gpu);
#undef ADD
}

/* ---- meta.json, typed ---- */

/* Where the workers ran, when the sweep placed them (affinity, mem_policy, coordinator_cpus): the allowed
 * CPUs, SMT, the NUMA nodes (one: mem_policy cannot move memory anywhere), the coordinator; "" when the
 * sweep placed nothing. */
static void meta_placement(const json_t *p, char *buf, size_t len)
{
	const json_t *plans = json_object_get(p, "plans"), *q;
	const char *coord = json_string_value(json_object_get(p, "coordinator_cpus"));
	const char *allowed = json_string_value(json_object_get(p, "allowed_cpus"));
	bool placed = coord && strcmp(coord, "not pinned") != 0, mem = false;
	long long numa = json_integer_value(json_object_get(p, "numa_nodes"));
	size_t i;

	buf[0] = '\0';
	json_array_foreach(plans, i, q) {
		const char *a = json_string_value(json_object_get(q, "affinity"));
		const char *m = json_string_value(json_object_get(q, "mem_policy"));

		placed |= a && strcmp(a, "none") != 0;
		mem |= m && strcmp(m, "default") != 0;
	}
	if (!placed && !mem)
		return;
	snprintf(buf, len, "allowed CPUs %s · %lld hardware thread(s) per core · %lld NUMA node%s%s · coordinator %s%s",
		 allowed ? allowed : "?", json_integer_value(json_object_get(p, "smt")), numa, numa == 1 ? "" : "s",
		 numa == 1 && mem ? " (one node: mem_policy was applied and recorded, but memory has nowhere else to go)" : "",
		 placed && coord && strcmp(coord, "not pinned") != 0 ? "pinned to CPUs " : "", coord ? coord : "not pinned");
}

int sl_meta_load(const char *dir, struct sl_meta *out)
{
	char path[4096];
	const char *name = NULL, *question = NULL, *workload = NULL, *metric = NULL, *profile = NULL;
	const char *commit = NULL, *start = NULL, *end = NULL;
	json_t *meta, *command = NULL, *seed = NULL;
	json_error_t err;
	int schema = 0, repeats = 0;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	if (access(path, F_OK) != 0)
		return 0;
	meta = sl_json_load(path, &err);   /* a regular file, no link followed */
	if (!meta) {
		sl_err_at(path, err.line, "%s", err.text);
		return -EINVAL;
	}
	/* the fields every reader uses, with their types; others are left to whoever needs them */
	if (json_unpack_ex(meta, &err, 0, "{s?i, s?{s?s, s?s, s?s, s?s, s?s, s?i}, s?s, s?s, s?s, s?o, s?o}",
			   "schema_version", &schema, "experiment", "name", &name, "question", &question, "workload",
			   &workload, "metric", &metric, "profile", &profile, "repeats", &repeats, "git_commit", &commit,
			   "start_time", &start, "end_time", &end, "command_line", &command, "seed", &seed) != 0) {
		sl_err_at(path, 0, "a field has the wrong type (%s): experiment.name, question, workload, metric, "
			  "profile, git_commit, start_time and end_time are text; schema_version and experiment.repeats "
			  "whole numbers", err.text);
		json_decref(meta);
		return -EINVAL;
	}
	if (schema > SL_META_SCHEMA) {
		sl_err_at(path, 0, "schema_version %d is newer than this speedlab reads (%d)", schema, SL_META_SCHEMA);
		json_decref(meta);
		return -EINVAL;
	}
	out->schema = schema;
	out->repeats = repeats;
	snprintf(out->name, sizeof(out->name), "%s", name ? name : "");
	snprintf(out->question, sizeof(out->question), "%s", question ? question : "");
	snprintf(out->workload, sizeof(out->workload), "%s", workload ? workload : "");
	snprintf(out->metric, sizeof(out->metric), "%s", metric ? metric : "");
	snprintf(out->profile, sizeof(out->profile), "%s", profile ? profile : "");
	snprintf(out->commit, sizeof(out->commit), "%s", commit ? commit : "");
	snprintf(out->start, sizeof(out->start), "%s", start ? start : "");
	snprintf(out->end, sizeof(out->end), "%s", end ? end : "");
	if (json_is_integer(seed))
		out->seed = (long long)json_integer_value(seed);
	/* the command line: a string, or the words of argv */
	if (json_is_string(command)) {
		snprintf(out->command, sizeof(out->command), "%s", json_string_value(command));
	} else if (json_is_array(command)) {
		size_t n = 0, i;
		json_t *w;

		json_array_foreach(command, i, w)
			if (json_is_string(w) && n < sizeof(out->command))
				n += (size_t)snprintf(out->command + n, sizeof(out->command) - n, "%s%s", i ? " " : "",
						      json_string_value(w));
	}
	meta_placement(json_object_get(meta, "placement"), out->placement, sizeof(out->placement));
	sl_machine_from_meta(meta, &out->m);
	json_decref(meta);
	return 0;
}

/* ---- summary.csv ---- */

void sl_summary_view_free(struct sl_summary_view *v)
{
	sl_csv_free(&v->csv);
	memset(v, 0, sizeof(*v));
}

int sl_summary_view_load(const char *path, struct sl_summary_view *v)
{
	static const char *const required[] = { "config", "series", "processes", "runs", "ok", "status",
						"wall_s_median", NULL };
	struct sl_csv *c = &v->csv;
	int rc, status_col;

	memset(v, 0, sizeof(*v));
	rc = sl_csv_read(path, c, 0);
	if (rc)
		return rc;
	for (int i = 0; required[i]; i++)
		if (sl_csv_col(c, required[i]) < 0) {
			sl_err_at(path, 1, "missing column '%s' (not a speedlab summary.csv?)", required[i]);
			goto out_invalid;
		}
#define COL(field, name) v->field = sl_csv_col(c, name)
	COL(c_config, "config");
	COL(c_series, "series");
	COL(c_workload, "workload");
	COL(c_processes, "processes");
	COL(c_chunksize, "chunksize");
	COL(c_start_method, "start_method");
	COL(c_threads, "threads");
	COL(c_thread_api, "thread_api");
	COL(c_dispatch, "dispatch");
	COL(c_device, "device");
	COL(c_blas, "blas");
	COL(c_parent_rss, sl_axes_builtin[SL_AXIS_PARENT_RSS].name);
	COL(c_parent_uses, "parent_uses");
	COL(c_affinity, "affinity");
	COL(c_mem_policy, "mem_policy");
	COL(c_runs, "runs");
	COL(c_ok, "ok");
	COL(c_status, "status");
	COL(c_wall, "wall_s_median");
	COL(c_wall_min, "wall_s_min");
	COL(c_wall_max, "wall_s_max");
	COL(c_wall_ci_lo, "wall_s_ci_lo");
	COL(c_wall_ci_hi, "wall_s_ci_hi");
	COL(c_wall_cv, "wall_s_cv");
	COL(c_unstable, "unstable");
	COL(c_outliers, "outliers");
	COL(c_speedup, "speedup");
	COL(c_speedup_lo, "speedup_ci_lo");
	COL(c_speedup_hi, "speedup_ci_hi");
	COL(c_efficiency, "efficiency");
	COL(c_karp_flatt, "karp_flatt");
	COL(c_amdahl, "amdahl_serial");
	COL(c_oversubscribed, "oversubscribed");
	COL(c_cores_busy, "cores_busy_median");
	COL(c_threads_peak, "threads_peak_median");
	COL(c_threads_lib, "threads_lib_median");
	COL(c_monitor_cpu, "monitor_cpu_pct_median");
	COL(c_latency, "start_latency_ms_median");
	COL(c_dispatch_us, "dispatch_us_per_task_median");
	COL(c_gflops, "gflops_median");
	COL(c_gpu_util, "gpu_util_pct_median");
	COL(c_imbalance, "imbalance_median");
	COL(c_pool_start, "pool_start_ms_median");
	COL(c_pool_stop, "pool_stop_ms_median");
	COL(c_cpus_used, "cpus_used_median");
#undef COL
	snprintf(v->metric, sizeof(v->metric), "wall_s");
	v->c_metric = v->c_wall;
	v->metric_better = -1;
	if (v->c_runs <= v->c_series + 1) {
		sl_err_at(path, 1, "no axis columns between 'series' and 'runs'");
		goto out_invalid;
	}
	for (int col = v->c_series + 1; col < v->c_runs && v->naxes < SL_SV_MAX_AXES; col++)
		v->axes[v->naxes++] = col;
	/* Every statistic and metric (after status) and the counts are numbers or empty. */
	status_col = v->c_status;
	for (size_t r = 0; r < c->nrows; r++) {
		for (int col = 0; col < (int)c->ncols; col++) {
			const char *cell = c->rows[r][col];
			double d;

			if (!(col > status_col || col == v->c_config || col == v->c_processes || col == v->c_runs ||
			      col == v->c_ok))
				continue;
			if (!cell[0] || sl_parse_double(cell, &d))
				continue;
			sl_err_at(path, c->lines[r], "column '%s': '%s' is not a number", c->header[col], cell);
			goto out_invalid;
		}
		if (sl_csv_num(c, r, v->c_processes) < 1) {
			sl_err_at(path, c->lines[r], "column 'processes': '%s' is not a process count",
				  c->rows[r][v->c_processes]);
			goto out_invalid;
		}
	}
	for (int a = 0; a < v->naxes; a++) {
		int col = v->axes[a];

		for (size_t r = 1; r < c->nrows; r++)
			if (strcmp(c->rows[r][col], c->rows[0][col]) != 0) {
				v->varies[a] = true;
				break;
			}
	}
	return 0;

out_invalid:
	sl_summary_view_free(v);
	return -EINVAL;
}

bool sl_summary_view_varies(const struct sl_summary_view *v, int col)
{
	for (int a = 0; a < v->naxes; a++)
		if (v->axes[a] == col)
			return v->varies[a];
	return false;
}

bool sl_sv_row_ok(const struct sl_summary_view *v, size_t r)
{
	double runs = sl_sv_num(v, r, v->c_runs), ok = sl_sv_num(v, r, v->c_ok);

	return runs > 0 && ok == runs && !isnan(sl_sv_num(v, r, v->c_wall));
}

static bool in_list(const int *list, int col)
{
	for (int i = 0; list && list[i] >= 0; i++)
		if (list[i] == col)
			return true;
	return false;
}

void sl_sv_label(const struct sl_summary_view *v, size_t r, const int *skip, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int a = 0; a < v->naxes; a++) {
		int col = v->axes[a], k;

		if (!v->varies[a] || in_list(skip, col))
			continue;
		k = snprintf(buf + n, len - n, "%s%s=%s", n ? " " : "", v->csv.header[col], sl_sv_text(v, r, col));
		if (k < 0 || (size_t)k >= len - n)
			break;
		n += (size_t)k;
	}
	if (!buf[0])
		snprintf(buf, len, "all");
}

double sl_sv_chunksize(const struct sl_summary_view *v, size_t r)
{
	double tasks, p;

	if (v->c_chunksize < 0)
		return NAN;
	if (strcmp(sl_sv_text(v, r, v->c_chunksize), "auto") != 0)
		return sl_sv_num(v, r, v->c_chunksize);
	tasks = sl_csv_num(&v->csv, r, sl_csv_col(&v->csv, "tasks"));
	p = sl_sv_num(v, r, v->c_processes);
	if (isnan(tasks) || isnan(p) || p < 1)
		return NAN;
	return ceil(tasks / (4 * p));
}

const char *sl_sv_param(const struct sl_summary_view *v, size_t r, const char *name)
{
	return sl_sv_text(v, r, sl_csv_col(&v->csv, name));
}

/* Seconds, with a unit that keeps three significant digits readable. */
static const char *fmt_time(double s, char *buf, size_t len)
{
	if (s < 1e-3)
		snprintf(buf, len, "%.3g µs", s * 1e6);
	else if (s < 1)
		snprintf(buf, len, "%.3g ms", s * 1e3);
	else
		snprintf(buf, len, "%.3g s", s);
	return buf;
}

/* Decimals that keep about three significant digits of a throughput without an exponent. */
#define PREC(x) ((x) >= 100 ? 0 : (x) >= 10 ? 1 : 2)

/* ---- the metric, trust, oversubscription, Amdahl ---- */

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);

	return n >= k && strcmp(s + n - k, tail) == 0;
}

int sl_sv_set_metric(struct sl_summary_view *v, const char *name, const char *path)
{
	char col[64];

	if (!name || !name[0])
		name = "wall_s";
	v->metric_better = sl_metric_better(name);
	if (v->metric_better == 0) {
		sl_err_at(path ? path : "", 0, "metric '%s': not a metric with a direction", name);
		v->metric_better = -1;
		return -EINVAL;
	}
	snprintf(v->metric, sizeof(v->metric), "%s", name);
	snprintf(col, sizeof(col), "%s_median", name);
	v->c_metric = strcmp(name, "wall_s") == 0 ? v->c_wall : strcmp(name, "pool_ms") == 0 ? -1 :
		      sl_csv_col(&v->csv, col);
	return 0;
}

bool sl_sv_metric_is_time(const struct sl_summary_view *v)
{
	return strcmp(v->metric, "wall_s") == 0;
}

double sl_sv_metric(const struct sl_summary_view *v, size_t r)
{
	if (strcmp(v->metric, "pool_ms") == 0)
		return sl_sv_num(v, r, v->c_pool_start) + 1e3 * sl_sv_num(v, r, v->c_wall) + sl_sv_num(v, r, v->c_pool_stop);
	return v->c_metric < 0 ? NAN : sl_sv_num(v, r, v->c_metric);
}

void sl_sv_metric_fmt(const struct sl_summary_view *v, double x, char *buf, size_t len)
{
	const char *m = v->metric;

	if (isnan(x))
		snprintf(buf, len, "—");
	else if (ends_with(m, "_us_per_task")) {
		fmt_time(x * 1e-6, buf, len);
		snprintf(buf + strlen(buf), len - strlen(buf), " per task");
	} else if (ends_with(m, "_us"))
		fmt_time(x * 1e-6, buf, len);
	else if (ends_with(m, "_ms"))
		fmt_time(x * 1e-3, buf, len);
	else if (ends_with(m, "_s"))
		fmt_time(x, buf, len);
	else if (strncmp(m, "gflops", 6) == 0)
		snprintf(buf, len, "%.*f GFLOP/s", PREC(x), x);
	else if (strcmp(m, "gbps") == 0)
		snprintf(buf, len, "%.3g GB/s", x);
	else if (ends_with(m, "_pct"))
		snprintf(buf, len, "%.0f%%", x);
	else
		snprintf(buf, len, "%.3g %s", x, m);
}

bool sl_sv_metric_better(const struct sl_summary_view *v, double a, double b)
{
	if (isnan(a))
		return false;
	if (isnan(b))
		return true;
	return v->metric_better > 0 ? a > b : a < b;
}

bool sl_sv_row_trusted(const struct sl_summary_view *v, size_t r, const struct sl_machine *m)
{
	double busy = sl_sv_num(v, r, v->c_cores_busy);

	if (!sl_sv_row_ok(v, r))
		return false;
	return !(m && m->logical > 0 && !isnan(busy) && busy > m->logical * 1.05);
}

bool sl_sv_oversubscribed(const struct sl_summary_view *v, size_t r, const struct sl_machine *m)
{
	double busy = sl_sv_num(v, r, v->c_cores_busy);

	if (!(sl_sv_num(v, r, v->c_oversubscribed) > 0))
		return false;
	/* the threads that compete for the CPUs are the busy ones: cores left idle mean none wait */
	return !(m && m->logical > 0 && !isnan(busy) && busy < 0.85 * m->logical);
}

double sl_sv_amdahl(const struct sl_summary_view *v, size_t r, const struct sl_machine *m, double *pmin,
		    double *pmax)
{
	size_t n = sl_sv_rows(v), k = 0;
	int *p = malloc((n + 1) * sizeof(int));
	double *sp = malloc((n + 1) * sizeof(double)), lo = INFINITY, hi = -INFINITY, f = NAN;
	int distinct = 0;

	if (pmin)
		*pmin = NAN;
	if (pmax)
		*pmax = NAN;
	if (!p || !sp || v->c_speedup < 0 || !sl_sv_metric_is_time(v))
		goto out;
	for (size_t q = 0; q < n; q++) {
		double s = sl_sv_num(v, q, v->c_speedup), pq = sl_sv_num(v, q, v->c_processes);
		bool seen = false;

		if (strcmp(sl_sv_text(v, q, v->c_series), sl_sv_text(v, r, v->c_series)) != 0 || isnan(s) ||
		    !sl_sv_row_trusted(v, q, m) || sl_sv_oversubscribed(v, q, m))
			continue;
		for (size_t i = 0; i < k; i++)
			seen |= p[i] == (int)pq;
		distinct += !seen;
		p[k] = (int)pq;
		sp[k++] = s;
		lo = fmin(lo, pq);
		hi = fmax(hi, pq);
	}
	if (distinct < 3)
		goto out;
	f = sl_stats_amdahl_fit(p, sp, k);
	if (pmin)
		*pmin = lo;
	if (pmax)
		*pmax = hi;
out:
	free(p);
	free(sp);
	return f;
}

long sl_sv_best_one_process(const struct sl_summary_view *v, const struct sl_machine *m)
{
	long best = -1;

	for (size_t r = 0; r < sl_sv_rows(v); r++)
		if (sl_sv_num(v, r, v->c_processes) == 1 && sl_sv_row_trusted(v, r, m) &&
		    (best < 0 || sl_sv_num(v, r, v->c_wall) < sl_sv_num(v, best, v->c_wall)))
			best = (long)r;
	return best;
}

/* ---- findings ---- */

static const char *metric_noun(const struct sl_summary_view *v);

const char *sl_finding_kind_name(enum sl_finding_kind k)
{
	switch (k) {
	case SL_FINDING_ADVICE: return "advice";
	case SL_FINDING_PROBLEM: return "problem";
	default: return "info";
	}
}

struct ctx {
	const struct sl_summary_view *v;
	const struct sl_machine *m;
	const char *workload;
	struct sl_findings *out;
};

static void add(struct ctx *c, const char *rule, enum sl_finding_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add(struct ctx *c, const char *rule, enum sl_finding_kind kind, const char *fmt, ...)
{
	struct sl_finding *f;
	va_list ap;

	if (c->out->n >= SL_MAX_FINDINGS)
		return;
	f = &c->out->items[c->out->n++];
	snprintf(f->rule, sizeof(f->rule), "%s", rule);
	f->kind = kind;
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
}

/* A growing text buffer for findings that list several items. */
struct sbuf {
	char s[1024];
	size_t n;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (b->n >= sizeof(b->s) - 1)
		return;
	va_start(ap, fmt);
	k = vsnprintf(b->s + b->n, sizeof(b->s) - b->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		b->n = b->n + (size_t)k < sizeof(b->s) ? b->n + (size_t)k : sizeof(b->s) - 1;
}


static double num(const struct ctx *c, size_t r, int col)
{
	return sl_sv_num(c->v, r, col);
}

static const char *txt(const struct ctx *c, size_t r, int col)
{
	return sl_sv_text(c->v, r, col);
}

/* The row equal to r on every axis except col, whose col is value; -1 when none. */
static long match_row(const struct sl_summary_view *v, size_t r, int col, const char *value)
{
	for (size_t q = 0; q < sl_sv_rows(v); q++) {
		bool same = strcmp(sl_sv_text(v, q, col), value) == 0;

		for (int a = 0; same && a < v->naxes; a++) {
			int ac = v->axes[a];

			if (ac != col && strcmp(sl_sv_text(v, q, ac), sl_sv_text(v, r, ac)) != 0)
				same = false;
		}
		if (same)
			return (long)q;
	}
	return -1;
}

/* Whether rows r and q agree on every axis except those in skip. */
static bool same_context(const struct sl_summary_view *v, size_t r, size_t q, const int *skip)
{
	for (int a = 0; a < v->naxes; a++) {
		int ac = v->axes[a];

		if (!in_list(skip, ac) && strcmp(sl_sv_text(v, q, ac), sl_sv_text(v, r, ac)) != 0)
			return false;
	}
	return true;
}

/* The name to start a finding with: the workload, then the series unless it is "all". */
static void who(const struct ctx *c, const char *series, char *buf, size_t len)
{
	const char *w = c->workload && c->workload[0] ? c->workload : "the workload";

	if (!series[0] || strcmp(series, "all") == 0)
		snprintf(buf, len, "%s", w);
	else
		snprintf(buf, len, "%s %s", w, series);
}

enum status_class { ST_OK, ST_HANG, ST_CRASH, ST_ERROR, ST_SKIPPED, ST_OTHER };

static enum status_class row_class(const struct ctx *c, size_t r)
{
	const char *s = txt(c, r, c->v->c_status);

	if (sl_sv_row_ok(c->v, r))
		return ST_OK;
	if (strncmp(s, "hang", 4) == 0)
		return ST_HANG;
	if (strncmp(s, "crash", 5) == 0)
		return ST_CRASH;
	if (strncmp(s, "error", 5) == 0)
		return ST_ERROR;
	if (strncmp(s, "skipped", 7) == 0)
		return ST_SKIPPED;
	if (strcmp(s, "ok") == 0 && num(c, r, c->v->c_ok) > 0)
		return ST_OK;   /* some repetitions missing but the rest ok */
	return ST_OTHER;
}

/* Failed and skipped configurations, with what failed. */
static void rule_failures(struct ctx *c)
{
	size_t n = sl_sv_rows(c->v), nskip = 0, nbad = 0, counts[ST_OTHER + 1] = { 0 };
	struct sbuf b = { .n = 0 };
	const char *skip_reason = NULL;
	bool same_reason = true;
	int listed = 0;

	for (size_t r = 0; r < n; r++) {
		enum status_class k = row_class(c, r);

		counts[k]++;
		if (k == ST_SKIPPED) {
			const char *why = txt(c, r, c->v->c_status) + 7;

			why += *why == ':';
			if (!skip_reason)
				skip_reason = why;
			else if (strcmp(skip_reason, why) != 0)
				same_reason = false;
			nskip++;
		} else if (k != ST_OK) {
			nbad++;
		}
	}
	if (nskip == n && n > 0) {
		add(c, "skipped", SL_FINDING_PROBLEM, "every configuration (%zu) was skipped%s%s: nothing was measured",
		    n, same_reason ? ": " : "", same_reason ? skip_reason : "");
		return;
	}
	if (nskip)
		add(c, "skipped", SL_FINDING_INFO, "%zu of %zu configurations were skipped%s%s", nskip, n,
		    same_reason ? ": " : "", same_reason ? skip_reason : "");
	if (!nbad)
		return;
	sb_add(&b, "%zu of %zu configurations did not finish every run (", nbad, n);
	{
		static const char *const names[] = { "ok", "hang", "crash", "error", "skipped", "other" };
		bool first = true;

		for (int k = ST_HANG; k <= ST_OTHER; k++)
			if (k != ST_SKIPPED && counts[k]) {
				sb_add(&b, "%s%zu %s", first ? "" : ", ", counts[k], names[k]);
				first = false;
			}
	}
	sb_add(&b, "):");
	for (size_t r = 0; r < n && listed < 4; r++) {
		enum status_class k = row_class(c, r);
		char label[256];

		if (k == ST_OK || k == ST_SKIPPED)
			continue;
		sl_sv_label(c->v, r, NULL, label, sizeof(label));
		sb_add(&b, "%s %s → %s (%g of %g runs ok)", listed ? ";" : "", label, txt(c, r, c->v->c_status),
		       num(c, r, c->v->c_ok), num(c, r, c->v->c_runs));
		listed++;
	}
	if ((size_t)listed < nbad)
		sb_add(&b, "; and %zu more", nbad - (size_t)listed);
	add(c, "failures", SL_FINDING_PROBLEM, "%s", b.s);
}

/* Speedup of each series: the best, where more processes stop helping, the Amdahl fit, and what
 * the hardware threads beyond the physical cores add. */
static void rule_scaling(struct ctx *c)
{
	const struct sl_summary_view *v = c->v;
	size_t n = sl_sv_rows(v);
	int nseries = 0, shown = 0, nflat = 0;
	long flat[8];
	bool done[4096] = { false };

	if (v->c_speedup < 0 || !sl_summary_view_varies(v, v->c_processes) || n > 4096 ||
	    !sl_sv_metric_is_time(v))
		return;
	for (size_t r = 0; r < n; r++) {
		const char *series = txt(c, r, v->c_series);
		long best = -1, pmax_row = -1, at_phys = -1, at_log = -1;
		double f = NAN, fit_lo = NAN, fit_hi = NAN;
		char name[320];
		struct sbuf b = { .n = 0 };

		if (done[r])
			continue;
		for (size_t q = r; q < n; q++) {
			double s, p;

			if (strcmp(txt(c, q, v->c_series), series) != 0)
				continue;
			done[q] = true;
			s = num(c, q, v->c_speedup);
			p = num(c, q, v->c_processes);
			if (isnan(s) || !sl_sv_row_trusted(v, q, c->m))
				continue;
			if (best < 0 || s > num(c, best, v->c_speedup))
				best = (long)q;
			if (pmax_row < 0 || p > num(c, pmax_row, v->c_processes))
				pmax_row = (long)q;
			if (c->m->physical > 0 && p == c->m->physical)
				at_phys = (long)q;
			if (c->m->logical > 0 && p == c->m->logical)
				at_log = (long)q;
			if (isnan(f))
				f = sl_sv_amdahl(v, q, c->m, &fit_lo, &fit_hi);
		}
		if (best < 0 || num(c, pmax_row, v->c_processes) <= 1)
			continue;
		nseries++;
		if (shown >= 8)
			continue;
		who(c, series, name, sizeof(name));
		if (num(c, best, v->c_processes) <= 1) {
			/* said once for all such series, below */
			if (nflat < 8)
				flat[nflat] = pmax_row;
			nflat++;
			nseries--;
			continue;
		}
		shown++;
		{
			sb_add(&b, "%s reaches %.2f× at %g processes (efficiency %.2f)", name, num(c, best, v->c_speedup),
			       num(c, best, v->c_processes), num(c, best, v->c_efficiency));
			if (pmax_row != best && num(c, pmax_row, v->c_speedup) < 0.95 * num(c, best, v->c_speedup))
				sb_add(&b, "; more processes make it slower again: %.2f× at %g",
				       num(c, pmax_row, v->c_speedup), num(c, pmax_row, v->c_processes));
		}
		if (num(c, best, v->c_processes) > 1 && at_phys >= 0 && at_log >= 0 &&
		    c->m->logical > c->m->physical) {
			double gain = num(c, at_log, v->c_speedup) / num(c, at_phys, v->c_speedup) - 1;

			sb_add(&b, "; going from the %d physical cores to all %d hardware threads %s %.0f%% (%.2f× → %.2f×)",
			       c->m->physical, c->m->logical, gain >= 0 ? "adds" : "loses", fabs(gain) * 100,
			       num(c, at_phys, v->c_speedup), num(c, at_log, v->c_speedup));
		}
		/* against the fastest 1-process configuration of the whole experiment, where that is not
		 * this series' own */
		{
			long one = sl_sv_best_one_process(v, c->m);
			double tb = num(c, best, v->c_wall);

			if (one >= 0 && tb > 0 && strcmp(txt(c, (size_t)one, v->c_series), series) != 0) {
				double abs_s = num(c, one, v->c_wall) / tb;

				if (fabs(abs_s / num(c, best, v->c_speedup) - 1) > 0.05)
					sb_add(&b, "; against the experiment's fastest 1-process configuration (%s) it is "
						   "%.2f×", txt(c, (size_t)one, v->c_series), abs_s);
			}
		}
		if (!isnan(f) && num(c, best, v->c_processes) > 1) {
			if (f > 1e-4)
				sb_add(&b, "; Amdahl fit over %g to %g processes: serial fraction %.3f", fit_lo, fit_hi, f);
			else
				sb_add(&b, "; Amdahl fit over %g to %g processes: no measurable serial fraction", fit_lo,
				       fit_hi);
		}
		add(c, "scaling", SL_FINDING_INFO, "%s", b.s);
	}
	if (nseries > shown)
		add(c, "scaling", SL_FINDING_INFO, "(%d more series scale similarly; see the tables)", nseries - shown);
	if (nflat) {
		struct sbuf b = { .n = 0 };
		char name[320];

		if (nflat == 1) {
			who(c, txt(c, (size_t)flat[0], v->c_series), name, sizeof(name));
			sb_add(&b, "%s gets no faster with more processes: %.2f× at %g processes", name,
			       num(c, flat[0], v->c_speedup), num(c, flat[0], v->c_processes));
		} else {
			sb_add(&b, "%d series get no faster with more processes (speedup at the most processes):", nflat);
			for (int i = 0; i < nflat && i < 8; i++) {
				who(c, txt(c, (size_t)flat[i], v->c_series), name, sizeof(name));
				sb_add(&b, "%s %s %.2f× at %g", i ? "," : "", name, num(c, flat[i], v->c_speedup),
				       num(c, flat[i], v->c_processes));
			}
			if (nflat > 8)
				sb_add(&b, ", …");
		}
		add(c, "scaling", SL_FINDING_INFO, "%s", b.s);
	}
}

/* The environment variable that limits the library threads of this experiment's rows. */
static const char *thread_env(const struct ctx *c, size_t r)
{
	if (strcmp(c->workload, "omp_gemm") == 0 || strcmp(txt(c, r, c->v->c_blas), "openmp") == 0)
		return "OMP_NUM_THREADS";
	return "OPENBLAS_NUM_THREADS";
}

/* Whether row r's workers ran threads of their own: the library said so (threads_lib > 1) or a
 * worker was seen with more than one busy thread's worth of threads (threads_peak > 1). */
static bool threads_seen(const struct ctx *c, size_t r)
{
	return num(c, r, c->v->c_threads_lib) > 1 || num(c, r, c->v->c_threads_peak) > 1;
}

/* More cores busy than processes: library threads inside the workers. */
static void rule_cores_busy(struct ctx *c)
{
	const struct sl_summary_view *v = c->v;
	size_t n = sl_sv_rows(v);
	bool done[4096] = { false };
	int shown = 0;

	if (v->c_cores_busy < 0 || n > 4096)
		return;
	for (size_t r = 0; r < n && shown < 6; r++) {
		const char *series = txt(c, r, v->c_series);
		long first = -1, worst = -1, slower = -1, slower_ref = -1;
		double worst_ratio = 0, slower_pct = 0;
		char name[320];
		struct sbuf b = { .n = 0 };

		if (done[r])
			continue;
		for (size_t q = r; q < n; q++) {
			double p, busy;

			if (strcmp(txt(c, q, v->c_series), series) != 0)
				continue;
			done[q] = true;
			p = num(c, q, v->c_processes);
			busy = num(c, q, v->c_cores_busy);
			/* figures that failed the run-window checks say nothing */
			if (!sl_sv_row_trusted(v, q, c->m))
				continue;
			/* the library's own threads: a set limit that did not hold is rule_limit_ignored's */
			if (v->c_threads >= 0 && strcmp(txt(c, q, v->c_threads), "unset") != 0)
				continue;
			/* the same configuration with one thread per process, when the experiment has it: at
			 * P >= 2 its cost shows even where the cores are too few to show more of them busy */
			if (v->c_threads >= 0 && p >= 2) {
				long one = match_row(v, q, v->c_threads, "1");

				if (one >= 0 && num(c, one, v->c_wall) > 0) {
					double pct = (num(c, q, v->c_wall) / num(c, one, v->c_wall) - 1) * 100;

					if (pct > 3 && (slower < 0 || num(c, q, v->c_processes) < num(c, slower, v->c_processes))) {
						slower = (long)q;
						slower_ref = one;
						slower_pct = pct;
					}
				}
			}
			if (isnan(busy) || busy <= p * 1.1 + 0.2 || !threads_seen(c, q))
				continue;
			if (first < 0 || p < num(c, first, v->c_processes))
				first = (long)q;
			if (busy / p > worst_ratio) {
				worst_ratio = busy / p;
				worst = (long)q;
			}
		}
		if (first < 0)
			continue;
		shown++;
		who(c, series, name, sizeof(name));
		sb_add(&b, "%s: %g process%s keep%s %.1f cores busy", name, num(c, first, v->c_processes),
		       num(c, first, v->c_processes) == 1 ? "" : "es", num(c, first, v->c_processes) == 1 ? "s" : "",
		       num(c, first, v->c_cores_busy));
		if (worst != first)
			sb_add(&b, " (%g processes: %.1f)", num(c, worst, v->c_processes), num(c, worst, v->c_cores_busy));
		sb_add(&b, ", more cores than processes");
		if (v->c_threads_peak >= 0 && !isnan(num(c, first, v->c_threads_peak)))
			sb_add(&b, " (%g threads per worker)", num(c, first, v->c_threads_peak));
		if (slower >= 0) {
			char t1[32], t2[32];

			sb_add(&b, "; at %g processes it is %.0f%% slower than threads=1 (%s vs %s) — set %s=1 in the "
				   "workers or use threads=auto",
			       num(c, slower, v->c_processes), slower_pct, fmt_time(num(c, slower, v->c_wall), t1, sizeof(t1)),
			       fmt_time(num(c, slower_ref, v->c_wall), t2, sizeof(t2)), thread_env(c, slower));
			add(c, "cores-busy", SL_FINDING_ADVICE, "%s", b.s);
		} else {
			sb_add(&b, ": the library starts its own threads inside each worker (%s limits them)",
			       thread_env(c, first));
			add(c, "cores-busy", SL_FINDING_INFO, "%s", b.s);
		}
	}
}

/* A thread limit asked for (threads = N) that the library did not keep: it ran more threads than
 * that (threads_lib), or the processes kept more cores busy than processes × N. Typically a
 * variable set in a forked worker after the coordinator had loaded the library (parent_uses). */
static void rule_limit_ignored(struct ctx *c)
{
	const struct sl_summary_view *v = c->v;
	int shown = 0;

	if (v->c_threads < 0)
		return;
	for (size_t r = 0; r < sl_sv_rows(v) && shown < 4; r++) {
		long want;
		double lib = num(c, r, v->c_threads_lib), busy = num(c, r, v->c_cores_busy);
		double p = num(c, r, v->c_processes);
		char label[256], how[96] = "";
		int skip[] = { -1 };

		if (!sl_sv_row_ok(v, r) || !sl_parse_long(txt(c, r, v->c_threads), &want) || want < 1)
			continue;
		if (!isnan(lib) && lib > want)
			snprintf(how, sizeof(how), "the library ran %g threads per worker", lib);
		else if (!isnan(busy) && !isnan(p) && busy > p * want * 1.1 + 0.2)
			snprintf(how, sizeof(how), "%g process%s kept %.2f cores busy", p, p == 1 ? "" : "es", busy);
		else
			continue;
		shown++;
		sl_sv_label(v, r, skip, label, sizeof(label));
		add(c, "limit-ignored", SL_FINDING_ADVICE,
		    "%s: threads=%ld was asked for, yet %s — the limit did not reach the library (a variable set "
		    "after it was loaded, e.g. in a worker forked from a coordinator that used it); set it "
		    "before the library loads, call its API (thread_api=call) or use spawn", label, want, how);
	}
}

/* Requested against observed placement, as rule_limit_ignored does for threads: workers confined to
 * cpus:N whose threads ran on more CPUs (the binding did not hold), and confined workers whose library
 * runs more threads than the set has CPUs (pinning maps processes, not a library's threads). */
static void rule_placement(struct ctx *c)
{
	const struct sl_summary_view *v = c->v;
	int shown = 0;

	if (v->c_affinity < 0)
		return;
	for (size_t r = 0; r < sl_sv_rows(v) && shown < 4; r++) {
		double used = num(c, r, v->c_cpus_used), lib = num(c, r, v->c_threads_lib), p = num(c, r, v->c_processes);
		const char *aff = txt(c, r, v->c_affinity);
		int skip[] = { -1 };
		char label[256];
		long n;

		if (!sl_sv_row_ok(v, r) || strncmp(aff, "cpus:", 5) != 0 || !sl_parse_long(aff + 5, &n) || n < 1)
			continue;
		sl_sv_label(v, r, skip, label, sizeof(label));
		if (!isnan(used) && used > n) {
			shown++;
			add(c, "placement-ignored", SL_FINDING_ADVICE,
			    "%s: affinity=%s was asked for, yet the workers' threads ran on %g CPUs — the binding did not "
			    "hold (a thread started before it, or a library that sets its own affinity)", label, aff, used);
		} else if (!isnan(lib) && lib > 1 && !isnan(p) && lib * p > n) {
			shown++;
			add(c, "placement-shared", SL_FINDING_INFO,
			    "%s: %g worker%s confined to %ld CPU%s ran %g library threads each (%g threads on %ld CPU%s): "
			    "pinning places processes, not the threads a library starts inside them; set threads to "
			    "fit the set", label, p, p == 1 ? "" : "s", n, n == 1 ? "" : "s", lib, lib * p, n, n == 1 ? "" : "s");
		}
	}
}

/* Whether the 95% intervals of rows a and b overlap (min–max when the file has no interval): the
 * difference between them could be noise. */
static bool ci_overlap(const struct ctx *c, size_t a, size_t b)
{
	const struct sl_summary_view *v = c->v;
	int lo = v->c_wall_ci_lo >= 0 ? v->c_wall_ci_lo : v->c_wall_min;
	int hi = v->c_wall_ci_hi >= 0 ? v->c_wall_ci_hi : v->c_wall_max;
	double alo = num(c, a, lo), ahi = num(c, a, hi), blo = num(c, b, lo), bhi = num(c, b, hi);

	if (isnan(alo) || isnan(ahi) || isnan(blo) || isnan(bhi))
		return false;
	return alo <= bhi && blo <= ahi;
}

/* Configurations whose busy threads exceed the logical CPUs against the best that fits. */
static void rule_oversubscribed(struct ctx *c)
{
	const struct sl_summary_view *v = c->v;
	long best_over = -1, best_fit = -1;
	size_t nover = 0;
	char t1[32], t2[32], l1[256], l2[256], head[512];
	double ratio;
	int skip[] = { v->c_series, -1 };

	if (v->c_oversubscribed < 0 || !sl_sv_metric_is_time(v))
		return;
	for (size_t r = 0; r < sl_sv_rows(v); r++) {
		double w = num(c, r, v->c_wall);

		if (isnan(w) || !sl_sv_row_trusted(v, r, c->m))
			continue;
		if (sl_sv_oversubscribed(v, r, c->m)) {
			nover++;
			if (best_over < 0 || w < num(c, best_over, v->c_wall))
				best_over = (long)r;
		} else if (best_fit < 0 || w < num(c, best_fit, v->c_wall)) {
			best_fit = (long)r;
		}
	}
	if (best_over < 0 || best_fit < 0)
		return;
	ratio = num(c, best_over, v->c_wall) / num(c, best_fit, v->c_wall);
	sl_sv_label(v, best_over, skip, l1, sizeof(l1));
	sl_sv_label(v, best_fit, skip, l2, sizeof(l2));
	snprintf(head, sizeof(head), "%zu configuration%s run more threads than the %d logical CPUs (busy ones); the fastest "
		 "of them (%s, %s)", nover, nover == 1 ? "" : "s", c->m->logical, l1,
		 fmt_time(num(c, best_over, v->c_wall), t1, sizeof(t1)));
	fmt_time(num(c, best_fit, v->c_wall), t2, sizeof(t2));
	if (ci_overlap(c, (size_t)best_over, (size_t)best_fit) || fabs(ratio - 1) <= 0.02)
		add(c, "oversubscription", SL_FINDING_INFO,
		    "%s and the fastest that fits (%s, %s) cannot be told apart (their 95%% intervals overlap): "
		    "oversubscription costs nothing measurable here", head, l2, t2);
	else if (ratio > 1)
		add(c, "oversubscription", SL_FINDING_ADVICE, "%s is %.0f%% slower than the fastest that fits (%s, %s)",
		    head, (ratio - 1) * 100, l2, t2);
	else
		add(c, "oversubscription", SL_FINDING_INFO,
		    "%s is %.2f× as fast as the fastest that fits (%s, %s): more threads than CPUs pay here", head,
		    1 / ratio, l2, t2);
}

/* Start methods that hang or crash, and the ones that finished in the same situations. */
static void rule_start_safety(struct ctx *c)
{
	const struct sl_summary_view *v = c->v;
	size_t n = sl_sv_rows(v);
	char methods[8][32];
	int nmethods = 0;

	if (v->c_start_method < 0 || !sl_summary_view_varies(v, v->c_start_method))
		return;
	for (size_t r = 0; r < n && nmethods < 8; r++) {
		bool seen = false;

		for (int i = 0; i < nmethods; i++)
			seen |= strcmp(methods[i], txt(c, r, v->c_start_method)) == 0;
		if (!seen)
			snprintf(methods[nmethods++], sizeof(methods[0]), "%s", txt(c, r, v->c_start_method));
	}
	for (int i = 0; i < nmethods; i++) {
		size_t nfail = 0, ntotal = 0, nruns = 0, klass[ST_OTHER + 1] = { 0 };
		const char *uses = NULL;
		bool same_uses = true, safe[8];
		long first_fail = -1;
		struct sbuf b = { .n = 0 };
		int nsafe = 0, worst_class = ST_HANG;

		for (int j = 0; j < nmethods; j++)
			safe[j] = j != i;
		for (size_t r = 0; r < n; r++) {
			enum status_class k;

			if (strcmp(txt(c, r, v->c_start_method), methods[i]) != 0)
				continue;
			ntotal++;
			k = row_class(c, r);
			if (k == ST_OK || k == ST_SKIPPED)
				continue;
			nfail++;
			klass[k]++;
			nruns += (size_t)(num(c, r, v->c_runs) - num(c, r, v->c_ok));
			if (first_fail < 0)
				first_fail = (long)r;
			if (v->c_parent_uses >= 0) {
				if (!uses)
					uses = txt(c, r, v->c_parent_uses);
				else if (strcmp(uses, txt(c, r, v->c_parent_uses)) != 0)
					same_uses = false;
			}
			/* which other start methods finished this same situation */
			for (int j = 0; j < nmethods; j++) {
				long q = match_row(v, r, v->c_start_method, methods[j]);

				if (j != i && (q < 0 || row_class(c, (size_t)q) != ST_OK))
					safe[j] = false;
			}
		}
		if (!nfail)
			continue;
		for (int k = ST_HANG; k <= ST_OTHER; k++)
			if (klass[k] > klass[worst_class])
				worst_class = k;
		sb_add(&b, "%s %s", methods[i],
		       worst_class == ST_HANG ? "hangs" : worst_class == ST_CRASH ? "crashes" : "fails");
		if (uses && same_uses && strcmp(uses, "none") != 0) {
			sb_add(&b, " after the parent used %s", strcmp(uses, "openmp") == 0 ? "OpenMP" : uses);
			sb_add(&b, " (%zu of %zu %s configurations, %zu runs: %s)", nfail, ntotal, methods[i], nruns,
			       txt(c, (size_t)first_fail, v->c_status));
		} else {
			int skip[] = { v->c_start_method, v->c_series, -1 }, listed = 0;

			sb_add(&b, " in %zu of %zu situations (%zu runs):", nfail, ntotal, nruns);
			for (size_t r = 0; r < n && listed < 6; r++) {
				char label[256];
				enum status_class k;

				if (strcmp(txt(c, r, v->c_start_method), methods[i]) != 0)
					continue;
				k = row_class(c, r);
				if (k == ST_OK || k == ST_SKIPPED)
					continue;
				sl_sv_label(v, r, skip, label, sizeof(label));
				sb_add(&b, "%s %s", listed++ ? "," : "", label);
			}
			if ((size_t)listed < nfail)
				sb_add(&b, ", …");
		}
		for (int j = 0; j < nmethods; j++)
			nsafe += safe[j];
		if (nsafe) {
			int k = 0;

			sb_add(&b, "; ");
			for (int j = 0; j < nmethods; j++)
				if (safe[j])
					sb_add(&b, "%s%s", k++ ? (k == nsafe ? " and " : ", ") : "", methods[j]);
			sb_add(&b, " finished every run there — use ");
			k = 0;
			for (int j = 0; j < nmethods; j++)
				if (safe[j])
					sb_add(&b, "%s%s", k++ ? " or " : "", methods[j]);
		}
		add(c, "start-safety", nsafe ? SL_FINDING_ADVICE : SL_FINDING_PROBLEM, "%s", b.s);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of column col over the trusted rows where col2 == value (col2 < 0: all rows) and, unless mb is
 * NAN, the parent size is mb. */
static double median_where(const struct ctx *c, int col, int col2, const char *value, double mb)
{
	double xs[4096];
	size_t k = 0;

	for (size_t r = 0; r < sl_sv_rows(c->v) && k < 4096; r++) {
		double x = num(c, r, col);

		if (isnan(x) || (col2 >= 0 && strcmp(txt(c, r, col2), value) != 0) || !sl_sv_row_trusted(c->v, r, c->m) ||
		    (!isnan(mb) && num(c, r, c->v->c_parent_rss) != mb))
			continue;
		xs[k++] = x;
	}
	if (!k)
		return NAN;
	qsort(xs, k, sizeof(xs[0]), cmp_double);
	return k % 2 ? xs[k / 2] : (xs[k / 2 - 1] + xs[k / 2]) / 2;
}

/* Worker start latency by start method, and how it grows with the parent's memory. */
static void rule_start_latency(struct ctx *c)
{
	const struct sl_summary_view *v = c->v;
	char methods[8][32];
	double lat[8], at_mb = NAN;
	int nm = 0, fastest = -1, slowest = -1;
	struct sbuf b = { .n = 0 };

	if (v->c_latency < 0 || v->c_start_method < 0)
		return;
	/* only where starting workers is what the experiment varies */
	if (!sl_summary_view_varies(v, v->c_start_method) &&
	    !(v->c_parent_rss >= 0 && sl_summary_view_varies(v, v->c_parent_rss)))
		return;
	/* like with like: where the parent's size varies, the methods are compared at its smallest */
	if (v->c_parent_rss >= 0 && sl_summary_view_varies(v, v->c_parent_rss))
		for (size_t r = 0; r < sl_sv_rows(v); r++)
			if (!isnan(num(c, r, v->c_parent_rss)) && (isnan(at_mb) || num(c, r, v->c_parent_rss) < at_mb))
				at_mb = num(c, r, v->c_parent_rss);
	for (size_t r = 0; r < sl_sv_rows(v) && nm < 8; r++) {
		bool seen = false;

		for (int i = 0; i < nm; i++)
			seen |= strcmp(methods[i], txt(c, r, v->c_start_method)) == 0;
		if (seen)
			continue;
		snprintf(methods[nm], sizeof(methods[0]), "%s", txt(c, r, v->c_start_method));
		lat[nm] = median_where(c, v->c_latency, v->c_start_method, methods[nm], at_mb);
		if (!isnan(lat[nm])) {
			if (fastest < 0 || lat[nm] < lat[fastest])
				fastest = nm;
			if (slowest < 0 || lat[nm] > lat[slowest])
				slowest = nm;
		}
		nm++;
	}
	if (fastest < 0)
		return;
	if (isnan(at_mb))
		sb_add(&b, "worker start latency (median over configurations):");
	else
		sb_add(&b, "worker start latency with a %g MB parent (median over its configurations):", at_mb);
	for (int i = 0, k = 0; i < nm; i++)
		if (!isnan(lat[i]))
			sb_add(&b, "%s %s %.3g ms", k++ ? "," : "", methods[i], lat[i]);
	if (slowest != fastest && lat[fastest] > 0)
		sb_add(&b, " (%s takes %.1f× as long as %s)", methods[slowest], lat[slowest] / lat[fastest],
		       methods[fastest]);
	/* growth with the parent's memory, per start method, at the smallest and largest size */
	if (v->c_parent_rss >= 0 && sl_summary_view_varies(v, v->c_parent_rss)) {
		double lo_mb = INFINITY, hi_mb = -INFINITY;
		int skip[] = { v->c_parent_rss, v->c_series, -1 };

		for (size_t r = 0; r < sl_sv_rows(v); r++) {
			double mb = num(c, r, v->c_parent_rss);

			if (!isnan(mb)) {
				lo_mb = fmin(lo_mb, mb);
				hi_mb = fmax(hi_mb, mb);
			}
		}
		for (int i = 0; i < nm; i++) {
			double lo[512], hi[512];
			size_t k = 0;

			for (size_t r = 0; r < sl_sv_rows(v) && k < 512; r++) {
				if (strcmp(txt(c, r, v->c_start_method), methods[i]) != 0 ||
				    num(c, r, v->c_parent_rss) != lo_mb || isnan(num(c, r, v->c_latency)))
					continue;
				for (size_t q = 0; q < sl_sv_rows(v); q++)
					if (num(c, q, v->c_parent_rss) == hi_mb && !isnan(num(c, q, v->c_latency)) &&
					    same_context(v, r, q, skip)) {
						lo[k] = num(c, r, v->c_latency);
						hi[k++] = num(c, q, v->c_latency);
						break;
					}
			}
			if (k) {
				double ml, mh;

				qsort(lo, k, sizeof(lo[0]), cmp_double);
				qsort(hi, k, sizeof(hi[0]), cmp_double);
				ml = lo[k / 2];
				mh = hi[k / 2];
				if (ml > 0 && mh > 1.5 * ml)
					sb_add(&b, "; %s's latency grows with the parent's memory: %.3g ms at %g MB → %.3g ms at %g MB",
					       methods[i], ml, lo_mb, mh, hi_mb);
			}
		}
	}
	add(c, "start-latency", SL_FINDING_INFO, "%s", b.s);
}

/* A chunk size as a number and, for 'auto', how it was chosen. */
#define CS(row) sl_sv_chunksize(v, (row)), strcmp(txt(c, (row), v->c_chunksize), "auto") ? "" : " (auto)"

/* Chunk size: the cost of tiny chunks, the range near the best, Python's default, and imbalance. */
static void rule_chunksize(struct ctx *c)
{
	const struct sl_summary_view *v = c->v;
	size_t n = sl_sv_rows(v);
	bool done[4096] = { false };
	int skip[] = { v->c_chunksize, v->c_series, -1 };
	int shown = 0;

	if (v->c_chunksize < 0 || !sl_summary_view_varies(v, v->c_chunksize) || n > 4096 || !sl_sv_metric_is_time(v))
		return;
	for (size_t r = 0; r < n && shown < 6; r++) {
		size_t rows[256];
		size_t k = 0, best = 0;
		double tol = 0.02, cvs[256], cvmed;
		char label[256], name[320], t1[32], t2[32];
		struct sbuf b = { .n = 0 };
		long lo, hi;

		if (done[r])
			continue;
		for (size_t q = r; q < n && k < 256; q++) {
			double cs = sl_sv_chunksize(v, q);

			if (!same_context(v, r, q, skip))
				continue;
			done[q] = true;
			if (isnan(cs) || isnan(num(c, q, v->c_wall)) || !sl_sv_row_ok(v, q))
				continue;
			/* insertion sort by chunk size */
			size_t at = k++;

			while (at > 0 && sl_sv_chunksize(v, rows[at - 1]) > cs) {
				rows[at] = rows[at - 1];
				at--;
			}
			rows[at] = q;
		}
		if (k < 3)
			continue;
		for (size_t i = 0; i < k; i++) {
			if (num(c, rows[i], v->c_wall) < num(c, rows[best], v->c_wall))
				best = i;
			cvs[i] = num(c, rows[i], v->c_wall_cv);
		}
		qsort(cvs, k, sizeof(cvs[0]), cmp_double);
		cvmed = cvs[k / 2];
		if (!isnan(cvmed) && cvmed > 0.01)
			tol = 0.05;
		shown++;
		sl_sv_label(v, rows[0], skip, label, sizeof(label));
		who(c, label, name, sizeof(name));
		double tbest = num(c, rows[best], v->c_wall), tfirst = num(c, rows[0], v->c_wall);

		sb_add(&b, "%s: the best chunk size is %g%s (%s)", name, CS(rows[best]),
		       fmt_time(tbest, t1, sizeof(t1)));
		if (best != 0 && tfirst > tbest * (1 + tol))
			sb_add(&b, "; chunksize %g%s spends %.0f%% of its time on per-chunk overhead (%s, %.1f× the best)",
			       CS(rows[0]), (1 - tbest / tfirst) * 100,
			       fmt_time(tfirst, t2, sizeof(t2)), tfirst / tbest);
		for (lo = (long)best; lo > 0 && num(c, rows[lo - 1], v->c_wall) <= tbest * (1 + tol); lo--)
			;
		for (hi = (long)best; hi + 1 < (long)k && num(c, rows[hi + 1], v->c_wall) <= tbest * (1 + tol); hi++)
			;
		if (hi > lo) {
			if (hi == (long)k - 1)
				sb_add(&b, "; chunksize ≥ %g%s is within %.0f%% of the best", CS(rows[lo]),
				       tol * 100);
			else
				sb_add(&b, "; chunksizes %g%s to %g%s are within %.0f%% of the best",
				       CS(rows[lo]), CS(rows[hi]), tol * 100);
		}
		/* the largest (unless it is Python's rule, said below) */
		if (hi < (long)k - 1 && strcmp(txt(c, rows[k - 1], v->c_chunksize), "auto") != 0) {
			size_t last = rows[k - 1];
			double tl = num(c, last, v->c_wall);

			if (tl > tbest * (1 + tol)) {
				sb_add(&b, "; the largest, %g%s, is %.0f%% slower", CS(last),
				       (tl / tbest - 1) * 100);
				if (v->c_imbalance >= 0 && num(c, last, v->c_imbalance) > 1.15)
					sb_add(&b, " (worker imbalance %.2f: too few chunks to share out)",
					       num(c, last, v->c_imbalance));
			}
		}
		/* Python's Pool.map default: ceil(N / (4 P)) */
		{
			double tasks = sl_csv_num(&v->csv, rows[0], sl_csv_col(&v->csv, "tasks"));
			double p = num(c, rows[0], v->c_processes);

			if (!isnan(tasks) && p >= 1) {
				double py = ceil(tasks / (4 * p));
				long at = -1;

				for (size_t i = 0; i < k; i++)
					if (sl_sv_chunksize(v, rows[i]) == py)
						at = (long)i;
				if (at >= 0 && (size_t)at == best)
					sb_add(&b, "; Python's default ceil(N/(4P)) = ceil(%g/%g) = %g is the best here", tasks,
					       4 * p, py);
				else if (at >= 0)
					sb_add(&b, "; Python's default ceil(N/(4P)) = ceil(%g/%g) = %g is %.0f%% slower than the "
						   "best",
					       tasks, 4 * p, py, (num(c, rows[at], v->c_wall) / tbest - 1) * 100);
				else
					sb_add(&b, "; Python's default here would be ceil(%g/%g) = %g (not measured)", tasks,
					       4 * p, py);
			}
		}
		add(c, "chunksize", tfirst > 1.5 * tbest ? SL_FINDING_ADVICE : SL_FINDING_INFO, "%s", b.s);
	}
}

/* Whether every non-empty value of column col is a number. */
static bool numeric_column(const struct sl_summary_view *v, int col)
{
	double d;

	for (size_t r = 0; r < sl_sv_rows(v); r++)
		if (sl_sv_text(v, r, col)[0] && !sl_parse_double(sl_sv_text(v, r, col), &d))
			return false;
	return true;
}

/* For each categorical axis: which value is fastest in matched configurations, and how much slower
 * the others are at worst. */
static void rule_axis_effect(struct ctx *c)
{
	const struct sl_summary_view *v = c->v;

	for (int a = 0; a < v->naxes; a++) {
		int col = v->axes[a];
		const char *name = v->csv.header[col];
		char vals[16][SL_VALUE_LEN];
		int nv = 0, wins[16] = { 0 }, ctxs = 0;
		double worst[16] = { 0 };
		long worst_at[16];
		bool done[4096] = { false };
		int skip[] = { col, v->c_series, -1 };
		struct sbuf b = { .n = 0 };
		int champion = 0;
		const char *best_w = sl_sv_metric_is_time(v) ? "fastest" : "best";
		const char *worse_w = sl_sv_metric_is_time(v) ? "slower" : "worse";

		if (!v->varies[a] || col == v->c_processes || col == v->c_chunksize || col == v->c_workload ||
		    col == v->c_parent_rss || numeric_column(v, col) || sl_sv_rows(v) > 4096)
			continue;
		for (size_t r = 0; r < sl_sv_rows(v) && nv < 16; r++) {
			bool seen = false;

			for (int i = 0; i < nv; i++)
				seen |= strcmp(vals[i], sl_sv_text(v, r, col)) == 0;
			if (!seen)
				snprintf(vals[nv++], sizeof(vals[0]), "%s", sl_sv_text(v, r, col));
		}
		for (int i = 0; i < nv; i++)
			worst_at[i] = -1;
		/* each context: the rows that differ only in this axis */
		for (size_t r = 0; r < sl_sv_rows(v); r++) {
			double t[16];
			long row[16];
			int have = 0, best = -1;

			if (done[r])
				continue;
			for (int i = 0; i < nv; i++) {
				t[i] = NAN;
				row[i] = -1;
			}
			for (size_t q = r; q < sl_sv_rows(v); q++) {
				if (!same_context(v, r, q, skip))
					continue;
				done[q] = true;
				for (int i = 0; i < nv; i++)
					if (strcmp(vals[i], sl_sv_text(v, q, col)) == 0 && sl_sv_row_trusted(v, q, c->m)) {
						/* as a cost: the higher-is-better metrics inverted */
						double x = sl_sv_metric(v, q);

						t[i] = v->metric_better > 0 ? 1 / x : x;
						row[i] = (long)q;
					}
			}
			for (int i = 0; i < nv; i++)
				if (!isnan(t[i])) {
					have++;
					if (best < 0 || t[i] < t[best])
						best = i;
				}
			if (have < 2)
				continue;
			ctxs++;
			wins[best]++;
			for (int i = 0; i < nv; i++)
				if (!isnan(t[i]) && t[i] / t[best] > worst[i]) {
					worst[i] = t[i] / t[best];
					worst_at[i] = row[i];
				}
		}
		if (!ctxs)
			continue;
		for (int i = 1; i < nv; i++)
			if (wins[i] > wins[champion])
				champion = i;
		{
			bool all_close = true;

			for (int i = 0; i < nv; i++)
				if (worst_at[i] >= 0 && worst[i] >= 1.05)
					all_close = false;
			if (all_close) {
				add(c, "axis", SL_FINDING_INFO,
				    "%s makes less than 5%% difference to the %s (%d matched configuration%s)", name, metric_noun(v), ctxs,
				    ctxs == 1 ? "" : "s");
				continue;
			}
		}
		if (wins[champion] == ctxs)
			sb_add(&b, "%s=%s is the %s in %s %d matched configuration%s", name, vals[champion], best_w,
			       ctxs == 1 ? "the" : "all", ctxs, ctxs == 1 ? "" : "s");
		else if (2 * wins[champion] > ctxs)
			sb_add(&b, "%s=%s is the %s in %d of %d matched configurations", name, vals[champion], best_w,
			       wins[champion], ctxs);
		else
			sb_add(&b, "no %s value is the %s everywhere (%s=%s wins %d of %d matched configurations)", name, best_w,
			       name, vals[champion], wins[champion], ctxs);
		for (int i = 0; i < nv; i++) {
			char where[256];
			int skip2[] = { col, v->c_series, -1 };

			if (worst_at[i] < 0 || worst[i] < 1.0005)
				continue;
			if (worst[i] < 1.05) {
				sb_add(&b, "; %s=%s is within 5%% of the best everywhere", name, vals[i]);
				continue;
			}
			sl_sv_label(v, (size_t)worst_at[i], skip2, where, sizeof(where));
			if (i == champion)
				sb_add(&b, "; where %s=%s loses, it is up to %.2f× %s than the best", name, vals[i],
				       worst[i], worse_w);
			else
				sb_add(&b, "; %s=%s is up to %.2f× %s than the best", name, vals[i], worst[i], worse_w);
			if (strcmp(where, "all") != 0)
				sb_add(&b, " (at %s)", where);
		}
		add(c, "axis", SL_FINDING_INFO, "%s", b.s);
	}
}

/* Whether column col has a value in some row (every metric column is in summary.csv, empty where the
 * workload does not measure it). */
static bool measured(const struct ctx *c, int col)
{
	for (size_t r = 0; col >= 0 && r < sl_sv_rows(c->v); r++)
		if (!isnan(num(c, r, col)))
			return true;
	return false;
}

/* GPU synchronisation: the CPU a waiting process burns, by mode, and the wake-up latency it buys. */
static void rule_gpu_sync(struct ctx *c)
{
	const struct sl_summary_view *v = c->v;
	int col = sl_csv_col(&v->csv, "mode");
	int cpu_col = sl_csv_col(&v->csv, "host_cpu_pct_median");
	int wake_col = sl_csv_col(&v->csv, "gpu_wait_us_median");
	char vals[8][SL_VALUE_LEN];
	double busy[8], wall[8], wake[8];
	int nv = 0, lo = -1, hi = -1;
	struct sbuf b = { .n = 0 };
	bool pct = cpu_col >= 0;

	/* where the host waits on a GPU in several modes (what gpu_sync measures), whatever the workload's name */
	if (col < 0 || !(measured(c, cpu_col) || measured(c, wake_col)))
		return;
	if (!pct && v->c_cores_busy < 0)
		return;
	for (size_t r = 0; r < sl_sv_rows(v) && nv < 8; r++) {
		bool seen = false;

		for (int i = 0; i < nv; i++)
			seen |= strcmp(vals[i], sl_sv_text(v, r, col)) == 0;
		if (seen)
			continue;
		snprintf(vals[nv], sizeof(vals[0]), "%s", sl_sv_text(v, r, col));
		/* as cores: host_cpu_pct / 100, else the whole tree's cores busy */
		busy[nv] = pct ? median_where(c, cpu_col, col, vals[nv], NAN) / 100 : median_where(c, v->c_cores_busy, col, vals[nv], NAN);
		wall[nv] = median_where(c, v->c_wall, col, vals[nv], NAN);
		wake[nv] = wake_col >= 0 ? median_where(c, wake_col, col, vals[nv], NAN) : NAN;
		if (!isnan(busy[nv])) {
			if (lo < 0 || busy[nv] < busy[lo])
				lo = nv;
			if (hi < 0 || busy[nv] > busy[hi])
				hi = nv;
		}
		nv++;
	}
	if (lo < 0)
		return;
	sb_add(&b, "while waiting for the GPU, the process burns");
	for (int i = 0, k = 0; i < nv; i++)
		if (!isnan(busy[i]))
			sb_add(&b, "%s %.0f%% of a core with %s", k++ ? "," : "", busy[i] * 100, vals[i]);
	if (hi != lo && busy[hi] > 0.5 && busy[lo] < 0.25) {
		if (!isnan(wake[lo]) && !isnan(wake[hi]))
			sb_add(&b, "; %s frees the CPU but wakes up in %.3g µs instead of %.3g µs (%s)", vals[lo], wake[lo],
			       wake[hi], vals[hi]);
		else
			sb_add(&b, "; %s frees the CPU at %+.1f%% wall time (%.3g s vs %.3g s with %s)", vals[lo],
			       (wall[lo] / wall[hi] - 1) * 100, wall[lo], wall[hi], vals[hi]);
		add(c, "gpu-sync", SL_FINDING_ADVICE, "%s — use %s synchronisation when the CPU has other work", b.s,
		    vals[lo]);
		return;
	}
	add(c, "gpu-sync", SL_FINDING_INFO, "%s", b.s);
}

/* Copy bandwidth: the best of each host memory kind per direction. */
static void rule_gpu_copy(struct ctx *c)
{
	const struct sl_summary_view *v = c->v;
	int bw = sl_csv_col(&v->csv, "gbps_median"), mem = sl_csv_col(&v->csv, "memory");
	int dir = sl_csv_col(&v->csv, "direction"), size = sl_csv_col(&v->csv, "mb");
	const char *dirs[] = { "h2d", "d2h", NULL };
	struct sbuf b = { .n = 0 };
	int said = 0;

	if (mem < 0 || !measured(c, bw))
		return;
	for (int d = 0; dirs[d]; d++) {
		long best[2] = { -1, -1 };
		static const char *const kinds[] = { "pinned", "pageable" };

		for (size_t r = 0; r < sl_sv_rows(v); r++) {
			if (dir >= 0 && strcmp(txt(c, r, dir), dirs[d]) != 0)
				continue;
			for (int k = 0; k < 2; k++)
				if (strcmp(txt(c, r, mem), kinds[k]) == 0 && !isnan(num(c, r, bw)) &&
				    (best[k] < 0 || num(c, r, bw) > num(c, best[k], bw)))
					best[k] = (long)r;
		}
		if (best[0] < 0 || best[1] < 0)
			continue;
		sb_add(&b, "%s%s: pinned reaches %.3g GB/s", said++ ? "; " : "copies ", dir >= 0 ? dirs[d] : "",
		       num(c, best[0], bw));
		if (size >= 0)
			sb_add(&b, " (at %s MiB)", txt(c, best[0], size));
		sb_add(&b, ", pageable %.3g GB/s", num(c, best[1], bw));
		if (size >= 0)
			sb_add(&b, " (at %s MiB)", txt(c, best[1], size));
		if (num(c, best[1], bw) > 0)
			sb_add(&b, ": %.1f×", num(c, best[0], bw) / num(c, best[1], bw));
		if (dir < 0)
			break;
	}
	if (said)
		add(c, "gpu-copy", SL_FINDING_INFO, "%s", b.s);
}

/* Processes sharing a GPU: aggregate throughput and what each process gets. */
static void rule_gpu_share(struct ctx *c)
{
	const struct sl_summary_view *v = c->v;
	int per = sl_csv_col(&v->csv, "gflops_per_proc_median");
	long one = -1, most = -1;
	struct sbuf b = { .n = 0 };

	/* processes sharing a device, each with its own rate (what gpu_share measures) */
	if (v->c_gflops < 0 || !measured(c, per) || !sl_summary_view_varies(v, v->c_processes))
		return;
	for (size_t r = 0; r < sl_sv_rows(v); r++) {
		if (isnan(num(c, r, v->c_gflops)))
			continue;
		if (num(c, r, v->c_processes) == 1 && one < 0)
			one = (long)r;
		if (most < 0 || num(c, r, v->c_processes) > num(c, most, v->c_processes))
			most = (long)r;
	}
	if (one < 0 || most < 0 || most == one)
		return;
	sb_add(&b, "%g processes sharing the GPU reach %.*f GFLOP/s together, %.2f× of one process alone (%.*f GFLOP/s)",
	       num(c, most, v->c_processes), PREC(num(c, most, v->c_gflops)), num(c, most, v->c_gflops),
	       num(c, most, v->c_gflops) / num(c, one, v->c_gflops), PREC(num(c, one, v->c_gflops)), num(c, one, v->c_gflops));
	if (per >= 0 && !isnan(num(c, most, per)))
		sb_add(&b, "; each process gets %.*f GFLOP/s", PREC(num(c, most, per)), num(c, most, per));
	add(c, "gpu-share", SL_FINDING_INFO, "%s", b.s);
}

/* Throughput: the best GFLOP/s and where (GPU experiments, or any without a process sweep). */
static void rule_throughput(struct ctx *c)
{
	const struct sl_summary_view *v = c->v;
	long best = -1;
	char label[256];
	int skip[] = { v->c_series, -1 };
	struct sbuf sb = { .n = 0 };

	if (v->c_gflops < 0 || sl_summary_view_varies(v, v->c_processes))
		return;
	for (size_t r = 0; r < sl_sv_rows(v); r++) {
		double g = num(c, r, v->c_gflops);

		if (!isnan(g) && (best < 0 || g > num(c, best, v->c_gflops)))
			best = (long)r;
	}
	if (best < 0)
		return;
	sl_sv_label(v, (size_t)best, skip, label, sizeof(label));
	sb_add(&sb, "the highest throughput is %.*f GFLOP/s (%s", PREC(num(c, best, v->c_gflops)), num(c, best, v->c_gflops),
	       strcmp(label, "all") ? label : "every configuration");
	if (v->c_gpu_util >= 0 && !isnan(num(c, best, v->c_gpu_util)))
		sb_add(&sb, ", GPU busy %.0f%%", num(c, best, v->c_gpu_util));
	sb_add(&sb, ")");
	add(c, "throughput", SL_FINDING_INFO, "%s", sb.s);
}

/* Measurements that varied too much between repetitions to trust closely. */
/* The sampler's own cost: it must stay below 1% of one core, or the utilisation it reports is
 * partly its own. Only runs of a quarter second or more count: in a shorter one its fixed start-up
 * (a thread and a first sample) is a large share of very little, whatever the rate. */
#define MONITOR_COST_MIN_WALL_S 0.25

static void rule_monitor_cost(struct ctx *c)
{
	const struct sl_summary_view *v = c->v;
	long worst = -1;

	if (v->c_monitor_cpu < 0)
		return;
	for (size_t r = 0; r < sl_sv_rows(v); r++)
		if (!isnan(num(c, r, v->c_monitor_cpu)) && num(c, r, v->c_wall) >= MONITOR_COST_MIN_WALL_S &&
		    (worst < 0 || num(c, r, v->c_monitor_cpu) > num(c, worst, v->c_monitor_cpu)))
			worst = (long)r;
	if (worst >= 0 && num(c, worst, v->c_monitor_cpu) > 1.0) {
		char label[256];
		int skip[] = { -1 };

		sl_sv_label(v, (size_t)worst, skip, label, sizeof(label));
		add(c, "monitor-cost", SL_FINDING_PROBLEM,
		    "the utilisation sampler used %.1f%% of one core (%s; target < 1%%): lower sample_hz, or "
		    "read cores busy with that share in mind", num(c, worst, v->c_monitor_cpu), label);
	}
}

static void rule_stability(struct ctx *c)
{
	const struct sl_summary_view *v = c->v;
	size_t nun = 0, nrows = 0;
	double outl = 0, maxcv = 0;

	if (v->c_unstable < 0)
		return;
	for (size_t r = 0; r < sl_sv_rows(v); r++) {
		if (isnan(num(c, r, v->c_wall)))
			continue;
		nrows++;
		if (num(c, r, v->c_unstable) > 0) {
			nun++;
			if (num(c, r, v->c_wall_cv) > maxcv)
				maxcv = num(c, r, v->c_wall_cv);
		}
		if (v->c_outliers >= 0 && num(c, r, v->c_outliers) > 0)
			outl += num(c, r, v->c_outliers);
	}
	if (!nun && outl == 0)
		return;
	if (nun) {
		struct sbuf b = { .n = 0 };
		long best = -1, doubt = -1;

		sb_add(&b, "%zu of %zu configurations varied by more than 5%% between repetitions (CV up to %.0f%%)", nun,
		       nrows, maxcv * 100);
		if (outl > 0)
			sb_add(&b, "; %.0f outlier run%s", outl, outl == 1 ? "" : "s");
		/* a problem only where the noise could change the answer: an unstable configuration whose
		 * interval overlaps the best one's */
		for (size_t r = 0; r < sl_sv_rows(v); r++)
			if (sl_sv_row_trusted(v, r, c->m) && (best < 0 || num(c, r, v->c_wall) < num(c, best, v->c_wall)))
				best = (long)r;
		for (size_t r = 0; best >= 0 && doubt < 0 && r < sl_sv_rows(v); r++) {
			if ((long)r == best || !sl_sv_row_trusted(v, r, c->m) || !ci_overlap(c, r, (size_t)best))
				continue;
			if (num(c, r, v->c_unstable) > 0 || num(c, best, v->c_unstable) > 0)
				doubt = (long)r;
		}
		if (doubt >= 0 && sl_sv_metric_is_time(v)) {
			char l1[256], l2[256];
			int skip[] = { v->c_series, -1 };

			sl_sv_label(v, (size_t)best, skip, l1, sizeof(l1));
			sl_sv_label(v, (size_t)doubt, skip, l2, sizeof(l2));
			add(c, "stability", SL_FINDING_PROBLEM,
			    "%s, and the noise could change the answer: the fastest (%s) and %s overlap in their 95%% "
			    "intervals; rerun on a quieter machine or with more repeats", b.s, l1, l2);
		} else {
			add(c, "stability", SL_FINDING_INFO, "%s; not enough to change which configuration is the best", b.s);
		}
	}
	else
		add(c, "stability", SL_FINDING_INFO, "%.0f outlier run%s (modified z > 3.5) among stable configurations",
		    outl, outl == 1 ? "" : "s");
}

/* The rules, in the order their findings are listed (rule_failures runs first, whatever the rows). */
static const struct rule {
	const char *name;
	void (*fn)(struct ctx *c);
} rules[] = {
	{ "start-safety", rule_start_safety },   { "scaling", rule_scaling },
	{ "cores-busy", rule_cores_busy },       { "monitor-cost", rule_monitor_cost },
	{ "limit-ignored", rule_limit_ignored }, { "placement", rule_placement },
	{ "oversubscription", rule_oversubscribed },
	{ "chunksize", rule_chunksize },         { "start-latency", rule_start_latency },
	{ "gpu-sync", rule_gpu_sync },           { "gpu-copy", rule_gpu_copy },
	{ "gpu-share", rule_gpu_share },         { "throughput", rule_throughput },
	{ "axis", rule_axis_effect },            { "stability", rule_stability },
};

void sl_findings_compute(const struct sl_summary_view *v, const struct sl_machine *m, const char *workload,
			 struct sl_findings *out)
{
	struct ctx c = { .v = v, .m = m, .workload = workload ? workload : "", .out = out };

	if (!c.workload[0] && v->c_workload >= 0 && sl_sv_rows(v) > 0)
		c.workload = sl_sv_text(v, 0, v->c_workload);
	rule_failures(&c);
	if (sl_sv_rows(v) == 0)
		return;
	/* the registry: each rule says for itself when it applies (its columns, the swept axes, the metric) */
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		rules[i].fn(&c);
}

/* ---- the answer ---- */

/* What the metric is called in a sentence. */
static const char *metric_noun(const struct sl_summary_view *v)
{
	static const struct { const char *metric, *noun; } nouns[] = {
		{ "wall_s", "runtime" },
		{ "start_latency_ms", "worker start latency" },
		{ "dispatch_us_per_task", "dispatch cost" },
		{ "pool_ms", "pool started, run and stopped" },
		{ "gflops", "throughput" },
		{ "gflops_per_proc", "throughput per process" },
		{ "gbps", "copy bandwidth" },
		{ "gpu_wait_us", "wake-up latency" },
		{ "host_cpu_pct", "host CPU while waiting" },
		{ "pool_start_ms", "pool start" },
	};

	for (size_t i = 0; i < sizeof(nouns) / sizeof(nouns[0]); i++)
		if (strcmp(nouns[i].metric, v->metric) == 0)
			return nouns[i].noun;
	return v->metric;
}

/* "; 2 of 6 configurations did not finish: start_method=fork parent_uses=openmp (hang), …" (brief: the
 * count only) */
static void answer_failures(const struct sl_summary_view *v, struct sbuf *b, bool brief)
{
	size_t nbad = 0, n = sl_sv_rows(v);
	int listed = 0, skip[] = { v->c_series, -1 };

	for (size_t r = 0; r < n; r++)
		nbad += !sl_sv_row_ok(v, r) && strncmp(sl_sv_text(v, r, v->c_status), "skipped", 7) != 0;
	if (!nbad)
		return;
	sb_add(b, "; %zu of %zu configurations did not finish%s", nbad, n, brief ? "" : ":");
	for (size_t r = 0; r < n && listed < 3 && !brief; r++) {
		char label[256];

		if (sl_sv_row_ok(v, r) || strncmp(sl_sv_text(v, r, v->c_status), "skipped", 7) == 0)
			continue;
		sl_sv_label(v, r, skip, label, sizeof(label));
		sb_add(b, "%s %s (%s)", listed++ ? "," : "", label, sl_sv_text(v, r, v->c_status));
	}
	if ((size_t)listed < nbad && !brief)
		sb_add(b, ", …");
}

/* Processes swept, the run's time the metric: the best speedup against the fastest 1-process run. */
static bool answer_speedup(const struct sl_summary_view *v, const struct sl_machine *m, struct sbuf *b, bool brief)
{
	long one = sl_sv_best_one_process(v, m), best = -1;
	double tbest = NAN;
	int skip[] = { v->c_processes, v->c_series, -1 };
	char t1[32], t2[32], label[256];

	if (one < 0)
		return false;
	for (size_t r = 0; r < sl_sv_rows(v); r++)
		if (sl_sv_num(v, r, v->c_processes) > 1 && sl_sv_row_trusted(v, r, m) &&
		    (best < 0 || sl_sv_num(v, r, v->c_wall) < tbest)) {
			best = (long)r;
			tbest = sl_sv_num(v, r, v->c_wall);
		}
	if (best < 0 || !(tbest > 0))
		return false;
	{
		double t1p = sl_sv_num(v, one, v->c_wall), s = t1p / tbest, p = sl_sv_num(v, best, v->c_processes);
		bool named;

		sl_sv_label(v, (size_t)best, skip, label, sizeof(label));
		named = strcmp(label, "all") != 0;
		fmt_time(tbest, t1, sizeof(t1));
		fmt_time(t1p, t2, sizeof(t2));
		if (s < 1.05 && brief)
			sb_add(b, "no speedup (best %.2f× at %g processes)", s, p);
		else if (s < 1.05)
			sb_add(b, "no speedup: the fastest run with more than one process (%g processes%s%s) takes %s "
				  "against %s with one", p, named ? ", " : "", named ? label : "", t1, t2);
		else if (brief)
			sb_add(b, "%.2f× at %g processes%s%s (%s vs %s)", s, p, named ? ", " : "", named ? label : "", t1, t2);
		else
			sb_add(b, "%.2f× at %g processes%s%s (efficiency %.2f): %s against %s with one process", s, p,
			       named ? ", " : "", named ? label : "", s / p, t1, t2);
		sl_sv_label(v, (size_t)one, skip, label, sizeof(label));
		if (strcmp(label, "all") != 0 && !brief)
			sb_add(b, " (the fastest 1-process configuration, %s)", label);
	}
	return true;
}

void sl_answer(const struct sl_summary_view *v, const struct sl_machine *m, bool brief, char *buf, size_t len)
{
	struct sbuf b = { .n = 0 };
	long best = -1, worst = -1;
	size_t ntrusted = 0;
	int skip[] = { v->c_series, -1 };

	for (size_t r = 0; r < sl_sv_rows(v); r++) {
		double x = sl_sv_metric(v, r);

		if (!sl_sv_row_trusted(v, r, m) || isnan(x))
			continue;
		ntrusted++;
		if (best < 0 || sl_sv_metric_better(v, x, sl_sv_metric(v, best)))
			best = (long)r;
		if (worst < 0 || sl_sv_metric_better(v, sl_sv_metric(v, worst), x))
			worst = (long)r;
	}
	if (!ntrusted) {
		sb_add(&b, "nothing to answer with: no configuration has trusted %s figures (%zu configurations)",
		       metric_noun(v), sl_sv_rows(v));
		answer_failures(v, &b, brief);
		snprintf(buf, len, "%s", b.s);
		return;
	}
	if (!(sl_sv_metric_is_time(v) && v->c_speedup >= 0 && sl_summary_view_varies(v, v->c_processes) &&
	      answer_speedup(v, m, &b, brief))) {
		char l1[256], l2[256], x1[64], x2[64];
		double a = sl_sv_metric(v, best), z = sl_sv_metric(v, worst);
		double ratio = a > 0 && z > 0 ? (v->metric_better > 0 ? a / z : z / a) : NAN;

		sl_sv_label(v, (size_t)best, skip, l1, sizeof(l1));
		sl_sv_label(v, (size_t)worst, skip, l2, sizeof(l2));
		sl_sv_metric_fmt(v, a, x1, sizeof(x1));
		sl_sv_metric_fmt(v, z, x2, sizeof(x2));
		if (ntrusted == 1 || best == worst)
			sb_add(&b, "%s: %s%s%s", metric_noun(v), x1, strcmp(l1, "all") ? " at " : "",
			       strcmp(l1, "all") ? l1 : "");
		else if (brief)
			sb_add(&b, "%s %s at %s (worst %.3g× %s)", metric_noun(v), x1, l1, ratio,
			       v->metric_better > 0 ? "lower" : "that");
		else {
			sb_add(&b, "best %s %s at %s; worst %s at %s", metric_noun(v), x1, l1, x2, l2);
			if (!isnan(ratio))
				sb_add(&b, " (%.3g× %s)", ratio, v->metric_better > 0 ? "the worst's" : "the best's");
		}
	}
	answer_failures(v, &b, brief);
	snprintf(buf, len, "%s", b.s);
}
