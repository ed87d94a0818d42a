/* answer.c: the experiment's answer in numbers (sl_answer): the best speedup where
 * processes are swept and the metric is the run's time, else the best and worst configurations. */
#include <math.h>
#include <string.h>

#include "analysis/finding_rule.h"

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
	sl_sb_add(b, "; %zu of %zu configurations did not finish%s", nbad, n, brief ? "" : ":");
	for (size_t r = 0; r < n && listed < 3 && !brief; r++) {
		char label[256];

		if (sl_sv_row_ok(v, r) || strncmp(sl_sv_text(v, r, v->c_status), "skipped", 7) == 0)
			continue;
		sl_sv_label(v, r, skip, label, sizeof(label));
		sl_sb_add(b, "%s %s (%s)", listed++ ? "," : "", label, sl_sv_text(v, r, v->c_status));
	}
	if ((size_t)listed < nbad && !brief)
		sl_sb_add(b, ", …");
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
		sl_sv_fmt_time(tbest, t1, sizeof(t1));
		sl_sv_fmt_time(t1p, t2, sizeof(t2));
		if (s < 1.05 && brief)
			sl_sb_add(b, "no speedup (best %.2f× at %g processes)", s, p);
		else if (s < 1.05)
			sl_sb_add(b, "no speedup: the fastest run with more than one process (%g processes%s%s) takes %s "
				  "against %s with one", p, named ? ", " : "", named ? label : "", t1, t2);
		else if (brief)
			sl_sb_add(b, "%.2f× at %g processes%s%s (%s vs %s)", s, p, named ? ", " : "", named ? label : "", t1, t2);
		else
			sl_sb_add(b, "%.2f× at %g processes%s%s (efficiency %.2f): %s against %s with one process", s, p,
			       named ? ", " : "", named ? label : "", s / p, t1, t2);
		sl_sv_label(v, (size_t)one, skip, label, sizeof(label));
		if (strcmp(label, "all") != 0 && !brief)
			sl_sb_add(b, " (the fastest 1-process configuration, %s)", label);
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
		sl_sb_add(&b, "nothing to answer with: no configuration has trusted %s figures (%zu configurations)",
		       sl_rule_metric_noun(v), sl_sv_rows(v));
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
			sl_sb_add(&b, "%s: %s%s%s", sl_rule_metric_noun(v), x1, strcmp(l1, "all") ? " at " : "",
			       strcmp(l1, "all") ? l1 : "");
		else if (brief)
			sl_sb_add(&b, "%s %s at %s (worst %.3g× %s)", sl_rule_metric_noun(v), x1, l1, ratio,
			       v->metric_better > 0 ? "lower" : "that");
		else {
			sl_sb_add(&b, "best %s %s at %s; worst %s at %s", sl_rule_metric_noun(v), x1, l1, x2, l2);
			if (!isnan(ratio))
				sl_sb_add(&b, " (%.3g× %s)", ratio, v->metric_better > 0 ? "the worst's" : "the best's");
		}
	}
	answer_failures(v, &b, brief);
	snprintf(buf, len, "%s", b.s);
}
