/* rules_gpu.c: the finding rules on GPUs and throughput: synchronisation modes, copy
 * bandwidth, sharing a GPU, GFLOP/s by process count, and the monitor's own cost. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/finding_rule.h"
#include "core/stats.h"

/* Whether column col has a value in some row (every metric column is in summary.csv, empty where the
 * workload does not measure it). */
static bool measured(const struct sl_rule_ctx *c, int col)
{
	for (size_t r = 0; col >= 0 && r < sl_sv_rows(c->v); r++)
		if (!isnan(num(c, r, col)))
			return true;
	return false;
}

/* GPU synchronisation: the CPU a waiting process burns, by mode, and the wake-up latency it buys. */
void sl_rule_gpu_sync(struct sl_rule_ctx *c)
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
		busy[nv] = pct ? sl_rule_median_where(c, cpu_col, col, vals[nv], -1, NAN) / 100 : sl_rule_median_where(c, v->c_cores_busy, col, vals[nv], -1, NAN);
		wall[nv] = sl_rule_median_where(c, v->c_wall, col, vals[nv], -1, NAN);
		wake[nv] = wake_col >= 0 ? sl_rule_median_where(c, wake_col, col, vals[nv], -1, NAN) : NAN;
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
	sl_sb_add(&b, "while waiting for the GPU, the process burns");
	for (int i = 0, k = 0; i < nv; i++)
		if (!isnan(busy[i]))
			sl_sb_add(&b, "%s %.0f%% of a core with %s", k++ ? "," : "", busy[i] * 100, vals[i]);
	if (hi != lo && busy[hi] > 0.5 && busy[lo] < 0.25) {
		if (!isnan(wake[lo]) && !isnan(wake[hi]))
			sl_sb_add(&b, "; %s frees the CPU but wakes up in %.3g µs instead of %.3g µs (%s)", vals[lo], wake[lo],
			       wake[hi], vals[hi]);
		else
			sl_sb_add(&b, "; %s frees the CPU at %+.1f%% wall time (%.3g s vs %.3g s with %s)", vals[lo],
			       (wall[lo] / wall[hi] - 1) * 100, wall[lo], wall[hi], vals[hi]);
		sl_rule_add(c, "gpu-sync", SL_FINDING_ADVICE, "%s — use %s synchronisation when the CPU has other work", b.s,
		    vals[lo]);
		return;
	}
	sl_rule_add(c, "gpu-sync", SL_FINDING_INFO, "%s", b.s);
}

/* Copy bandwidth: the best of each host memory kind per direction. */
void sl_rule_gpu_copy(struct sl_rule_ctx *c)
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
		sl_sb_add(&b, "%s%s: pinned reaches %.3g GB/s", said++ ? "; " : "copies ", dir >= 0 ? dirs[d] : "",
		       num(c, best[0], bw));
		if (size >= 0)
			sl_sb_add(&b, " (at %s MiB)", txt(c, best[0], size));
		sl_sb_add(&b, ", pageable %.3g GB/s", num(c, best[1], bw));
		if (size >= 0)
			sl_sb_add(&b, " (at %s MiB)", txt(c, best[1], size));
		if (num(c, best[1], bw) > 0)
			sl_sb_add(&b, ": %.1f×", num(c, best[0], bw) / num(c, best[1], bw));
		if (dir < 0)
			break;
	}
	if (said)
		sl_rule_add(c, "gpu-copy", SL_FINDING_INFO, "%s", b.s);
}

/* Processes sharing a GPU: aggregate throughput and what each process gets. */
void sl_rule_gpu_share(struct sl_rule_ctx *c)
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
	sl_sb_add(&b, "%g processes sharing the GPU reach %.*f GFLOP/s together, %.2f× of one process alone (%.*f GFLOP/s)",
	       num(c, most, v->c_processes), PREC(num(c, most, v->c_gflops)), num(c, most, v->c_gflops),
	       num(c, most, v->c_gflops) / num(c, one, v->c_gflops), PREC(num(c, one, v->c_gflops)), num(c, one, v->c_gflops));
	if (per >= 0 && !isnan(num(c, most, per)))
		sl_sb_add(&b, "; each process gets %.*f GFLOP/s", PREC(num(c, most, per)), num(c, most, per));
	sl_rule_add(c, "gpu-share", SL_FINDING_INFO, "%s", b.s);
}

/* Throughput: the best GFLOP/s and where (GPU experiments, or any without a process sweep). */
void sl_rule_throughput(struct sl_rule_ctx *c)
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
	sl_sb_add(&sb, "the highest throughput is %.*f GFLOP/s (%s", PREC(num(c, best, v->c_gflops)), num(c, best, v->c_gflops),
	       strcmp(label, "all") ? label : "every configuration");
	if (v->c_gpu_util >= 0 && !isnan(num(c, best, v->c_gpu_util)))
		sl_sb_add(&sb, ", GPU busy %.0f%%", num(c, best, v->c_gpu_util));
	sl_sb_add(&sb, ")");
	sl_rule_add(c, "throughput", SL_FINDING_INFO, "%s", sb.s);
}

/* Measurements that varied too much between repetitions to trust closely. */
/* The sampler's own cost: it must stay below 1% of one core, or the utilisation it reports is
 * partly its own. Only runs of a quarter second or more count: in a shorter one its fixed start-up
 * (a thread and a first sample) is a large share of very little, whatever the rate. */
#define MONITOR_COST_MIN_WALL_S 0.25

void sl_rule_monitor_cost(struct sl_rule_ctx *c)
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
		sl_rule_add(c, "monitor-cost", SL_FINDING_PROBLEM,
		    "the utilisation sampler used %.1f%% of one core (%s; target < 1%%): lower sample_hz, or "
		    "read cores busy with that share in mind", num(c, worst, v->c_monitor_cpu), label);
	}
}
