/* findings.c: the judgements every finding, answer and plot shares about a result's rows: whether
 * their figures can be trusted, whether they are oversubscribed, the Amdahl fit of a series, the
 * fastest 1-process configuration; and the names of finding kinds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/findings.h"
#include "core/stats.h"

const char *sl_finding_kind_name(enum sl_finding_kind k)
{
	switch (k) {
	case SL_FINDING_ADVICE: return "advice";
	case SL_FINDING_PROBLEM: return "problem";
	default: return "info";
	}
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
