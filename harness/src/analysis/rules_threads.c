/* rules_threads.c: the finding rules on threads and CPUs: library threads inside the workers,
 * a thread limit that did not reach the library, placement, and oversubscription. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/finding_rule.h"
#include "core/workload.h"
#include "core/stats.h"

/* The environment variable that limits the library threads of this experiment's rows: the one the
 * workload declares (its ops' threads_env), else OpenBLAS's, which the blas axis says is built with
 * OpenMP (OMP_NUM_THREADS) or its own threads. */
static const char *thread_env(const struct sl_rule_ctx *c, size_t r)
{
	const struct sl_workload_ops *w = sl_workload_find(c->workload);

	if (w && w->threads_env)
		return w->threads_env;
	if (strcmp(txt(c, r, c->v->c_blas), "openmp") == 0)
		return "OMP_NUM_THREADS";
	return "OPENBLAS_NUM_THREADS";
}

/* Whether row r's workers ran threads of their own: the library said so (threads_lib > 1) or a
 * worker was seen with more than one busy thread's worth of threads (threads_peak > 1). */
static bool threads_seen(const struct sl_rule_ctx *c, size_t r)
{
	return num(c, r, c->v->c_threads_lib) > 1 || num(c, r, c->v->c_threads_peak) > 1;
}

/* More cores busy than processes: library threads inside the workers. */
void sl_rule_cores_busy(struct sl_rule_ctx *c)
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
				long one = sl_rule_match_row(v, q, v->c_threads, "1");

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
		sl_rule_who(c, series, name, sizeof(name));
		sl_sb_add(&b, "%s: %g process%s keep%s %.1f cores busy", name, num(c, first, v->c_processes),
		       num(c, first, v->c_processes) == 1 ? "" : "es", num(c, first, v->c_processes) == 1 ? "s" : "",
		       num(c, first, v->c_cores_busy));
		if (worst != first)
			sl_sb_add(&b, " (%g processes: %.1f)", num(c, worst, v->c_processes), num(c, worst, v->c_cores_busy));
		sl_sb_add(&b, ", more cores than processes");
		if (v->c_threads_peak >= 0 && !isnan(num(c, first, v->c_threads_peak)))
			sl_sb_add(&b, " (%g threads per worker)", num(c, first, v->c_threads_peak));
		if (slower >= 0) {
			char t1[32], t2[32];

			sl_sb_add(&b, "; at %g processes it is %.0f%% slower than threads=1 (%s vs %s) — set %s=1 in the "
				   "workers or use threads=auto",
			       num(c, slower, v->c_processes), slower_pct, sl_sv_fmt_time(num(c, slower, v->c_wall), t1, sizeof(t1)),
			       sl_sv_fmt_time(num(c, slower_ref, v->c_wall), t2, sizeof(t2)), thread_env(c, slower));
			sl_rule_add(c, "cores-busy", SL_FINDING_ADVICE, "%s", b.s);
		} else {
			sl_sb_add(&b, ": the library starts its own threads inside each worker (%s limits them)",
			       thread_env(c, first));
			sl_rule_add(c, "cores-busy", SL_FINDING_INFO, "%s", b.s);
		}
	}
}

/* A thread limit asked for (threads = N) that the library did not keep: it ran more threads than
 * that (threads_lib), or the processes kept more cores busy than processes × N. Typically a
 * variable set in a forked worker after the coordinator had loaded the library (parent_uses). */
void sl_rule_limit_ignored(struct sl_rule_ctx *c)
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
		sl_rule_add(c, "limit-ignored", SL_FINDING_ADVICE,
		    "%s: threads=%ld was asked for, yet %s — the limit did not reach the library (a variable set "
		    "after it was loaded, e.g. in a worker forked from a coordinator that used it); set it "
		    "before the library loads, call its API (thread_api=call) or use spawn", label, want, how);
	}
}

/* Requested against observed placement, as rule_limit_ignored does for threads: workers confined to
 * cpus:N whose threads ran on more CPUs (the binding did not hold), and confined workers whose library
 * runs more threads than the set has CPUs (pinning maps processes, not a library's threads). */
void sl_rule_placement(struct sl_rule_ctx *c)
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
			sl_rule_add(c, "placement-ignored", SL_FINDING_ADVICE,
			    "%s: affinity=%s was asked for, yet the workers' threads ran on %g CPUs — the binding did not "
			    "hold (a thread started before it, or a library that sets its own affinity)", label, aff, used);
		} else if (!isnan(lib) && lib > 1 && !isnan(p) && lib * p > n) {
			shown++;
			sl_rule_add(c, "placement-shared", SL_FINDING_INFO,
			    "%s: %g worker%s confined to %ld CPU%s ran %g library threads each (%g threads on %ld CPU%s): "
			    "pinning places processes, not the threads a library starts inside them; set threads to "
			    "fit the set", label, p, p == 1 ? "" : "s", n, n == 1 ? "" : "s", lib, lib * p, n, n == 1 ? "" : "s");
		}
	}
}

/* Configurations whose busy threads exceed the logical CPUs against the best that fits. */
void sl_rule_oversubscribed(struct sl_rule_ctx *c)
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
		 sl_sv_fmt_time(num(c, best_over, v->c_wall), t1, sizeof(t1)));
	sl_sv_fmt_time(num(c, best_fit, v->c_wall), t2, sizeof(t2));
	if (sl_rule_ci_overlap(c, (size_t)best_over, (size_t)best_fit) || fabs(ratio - 1) <= 0.02)
		sl_rule_add(c, "oversubscription", SL_FINDING_INFO,
		    "%s and the fastest that fits (%s, %s) cannot be told apart (their 95%% intervals overlap): "
		    "oversubscription costs nothing measurable here", head, l2, t2);
	else if (ratio > 1)
		sl_rule_add(c, "oversubscription", SL_FINDING_ADVICE, "%s is %.0f%% slower than the fastest that fits (%s, %s)",
		    head, (ratio - 1) * 100, l2, t2);
	else
		sl_rule_add(c, "oversubscription", SL_FINDING_INFO,
		    "%s is %.2f× as fast as the fastest that fits (%s, %s): more threads than CPUs pay here", head,
		    1 / ratio, l2, t2);
}
