/* kind_timeline.c: the per-CPU busy timeline of chosen configurations, from samples.csv. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plot/draw.h"

/* Per-CPU busy % over time for chosen configurations, from samples.csv (streamed: it can be big). */
static int plot_timeline_one(struct sl_plot_ctx *pc, const char *config, const char *label, int index)
{
	char path[PATH_MAX + 64], name[32], title[512], *line = NULL;
	size_t cap = 0;
	FILE *in, *f = NULL;
	int ncpu = 0, cpu0 = -1, lineno = 0, rc = 0, rep_wanted = INT_MIN;
	double dt = 0, tmax = 0, tprev = NAN, tmin = NAN;
	long nsamples = 0;
	ssize_t len;

	snprintf(path, sizeof(path), "%s/samples.csv", pc->dir);
	{
		int fd = sl_open_regular(path, true);

		if (fd == -ENOENT)
			return 0;
		in = fd < 0 ? NULL : fdopen(fd, "r");
		if (!in) {
			sl_err_at(path, 0, "cannot read: %s", sl_strerror(fd < 0 ? fd : errno));
			if (fd >= 0)
				close(fd);
			return -EINVAL;
		}
	}
	/* the header: config,rep,t_s,cpu0_busy_pct,... */
	if ((len = getline(&line, &cap, in)) > 0) {
		char *save = NULL, *tok;
		int col = 0;

		lineno = 1;
		for (tok = strtok_r(line, ",\r\n", &save); tok; tok = strtok_r(NULL, ",\r\n", &save), col++) {
			if (strncmp(tok, "cpu", 3) == 0 && strstr(tok, "_busy_pct")) {
				if (cpu0 < 0)
					cpu0 = col;
				ncpu++;
			}
		}
	}
	if (cpu0 < 3 || ncpu == 0)
		goto out;
	snprintf(name, sizeof(name), "timeline-%d", index);
	f = sl_plot_dat_open(pc, name, "dat");
	if (!f) {
		rc = -EIO;
		goto out;
	}
	/* each sample is how busy a CPU was since the one before (the first: since the run started), so
	 * its strip spans that interval exactly: no blank start, no gaps where the sampler was late */
	fprintf(f, "# t_mid_s cpu busy_pct half_width_s (config %s)\n", config);
	while ((len = getline(&line, &cap, in)) > 0) {
		char *cells[1024], *save = NULL, *tok;
		int n = 0;
		long rep;
		double t;
		bool complete = line[len - 1] == '\n';

		lineno++;
		for (tok = strtok_r(line, ",\r\n", &save); tok && n < 1024; tok = strtok_r(NULL, ",\r\n", &save))
			cells[n++] = tok;
		if (n < 3 || strcmp(cells[0], config) != 0)
			continue;
		if (!sl_parse_long(cells[1], &rep) || !sl_parse_double(cells[2], &t)) {
			if (!complete)
				break;   /* a final line cut short by a crash */
			sl_err_at(path, lineno, "malformed sample (config,rep,t_s expected)");
			rc = -EINVAL;
			goto out;
		}
		if (rep < 0)
			continue;   /* warm-up */
		if (rep_wanted == INT_MIN)
			rep_wanted = (int)rep;
		if (rep != rep_wanted)
			continue;
		{
			double lo = isnan(tprev) || t < tprev ? 0 : tprev;

			if (isnan(tmin))
				tmin = t;
			tprev = t;
			tmax = fmax(tmax, t);
			nsamples++;
			for (int c = 0; c < ncpu && cpu0 + c < n; c++) {
				double busy;

				if (!sl_parse_double(cells[cpu0 + c], &busy))
					continue;
				/* wider than half the interval: neighbours overlap (the later drawn on top), no seam */
				fprintf(f, "%.6g %d %.4g %.6g\n", (lo + t) / 2, c, busy, (t - lo) * 0.6);
			}
		}
	}
	rc = sl_plot_dat_close(f, pc, name);
	f = NULL;
	if (rc || nsamples < 2)
		goto out;
	/* the mean sampling interval: strips as wide as the samples are apart, without gaps */
	dt = (tprev - tmin) / (double)(nsamples - 1);
	{
		char vars[128], what[400];

		snprintf(vars, sizeof(vars), "ncpu=%d; dt=%g; tmax=%g; height=%d; ", ncpu, dt > 0 ? dt : 0.1, tmax,
			 ncpu <= 8 ? 420 : ncpu <= 32 ? 560 : 760);
		snprintf(what, sizeof(what), "CPU busy over time, %.330s (repetition %d)", label, rep_wanted);
		sl_plot_title(pc, what, title, sizeof(title));
		rc = sl_plot_render(pc, "timeline.gp", name, title,
			    "Each row is one logical CPU of the machine, each column one sample: how busy that CPU was "
			    "(all processes, not only the run's).",
			    vars);
	}
out:
	if (f)
		fclose(f);
	free(line);
	fclose(in);
	return rc;
}

/* Any configuration (the samples are looked for when drawing). */
static bool timeline_applies(const struct sl_plot_ctx *pc)
{
	return sl_sv_rows(&pc->v) > 0;
}

/* The timelines of two configurations: the main series' 1-process and largest, or beside the first
 * a confined placement, or the first and last. */
static int plot_timeline(struct sl_plot_ctx *pc)
{
	struct sl_summary_view *v = &pc->v;
	long pick[2] = { -1, -1 };
	int rc = 0, skip_none[] = { v->c_series, -1 };

	if (sl_summary_view_varies(v, v->c_processes)) {
		/* the main series: the one with most rows; its 1-process and largest configurations */
		size_t best_n = 0;
		const char *main_series = NULL;

		for (size_t r = 0; r < sl_sv_rows(v); r++) {
			size_t n = 0;

			for (size_t q = 0; q < sl_sv_rows(v); q++)
				n += strcmp(sl_sv_text(v, q, v->c_series), sl_sv_text(v, r, v->c_series)) == 0 &&
				     sl_sv_row_ok(v, q);
			if (n > best_n) {
				best_n = n;
				main_series = sl_sv_text(v, r, v->c_series);
			}
		}
		for (size_t r = 0; main_series && r < sl_sv_rows(v); r++) {
			if (strcmp(sl_sv_text(v, r, v->c_series), main_series) != 0 || !sl_sv_row_ok(v, r))
				continue;
			if (pick[0] < 0 || sl_sv_num(v, r, v->c_processes) < sl_sv_num(v, pick[0], v->c_processes))
				pick[0] = (long)r;
			if (pick[1] < 0 || sl_sv_num(v, r, v->c_processes) > sl_sv_num(v, pick[1], v->c_processes))
				pick[1] = (long)r;
		}
	} else {
		for (size_t r = 0; r < sl_sv_rows(v); r++)
			if (sl_sv_row_ok(v, r)) {
				if (pick[0] < 0)
					pick[0] = (long)r;
				pick[1] = (long)r;
			}
		/* a sweep of placements: beside the first, a confined one (cpus:N first), so the per-CPU
		 * picture shows where confined workers ran */
		if (v->c_affinity >= 0 && sl_summary_view_varies(v, v->c_affinity)) {
			long confined = -1;

			for (size_t r = 0; r < sl_sv_rows(v); r++) {
				const char *a = sl_sv_text(v, r, v->c_affinity);

				if (!sl_sv_row_ok(v, r) || (long)r == pick[0] || strcmp(a, "none") == 0)
					continue;
				if (confined < 0 || (strncmp(a, "cpus:", 5) == 0 &&
						     strncmp(sl_sv_text(v, (size_t)confined, v->c_affinity), "cpus:", 5) != 0))
					confined = (long)r;
			}
			if (confined >= 0)
				pick[1] = confined;
		}
	}
	for (int i = 0; i < 2 && !rc; i++) {
		char label[320], full[400];

		if (pick[i] < 0 || (i == 1 && pick[1] == pick[0]))
			continue;
		sl_sv_label(v, (size_t)pick[i], skip_none, label, sizeof(label));
		if (!sl_summary_view_varies(v, v->c_processes)) {
			snprintf(full, sizeof(full), "%s", label);
		} else {
			int skip_p[] = { v->c_processes, v->c_series, -1 };

			sl_sv_label(v, (size_t)pick[i], skip_p, label, sizeof(label));
			snprintf(full, sizeof(full), "%g process%s%s%s", sl_sv_num(v, pick[i], v->c_processes),
				 sl_sv_num(v, pick[i], v->c_processes) == 1 ? "" : "es",
				 strcmp(label, "all") ? ", " : "", strcmp(label, "all") ? label : "");
		}
		rc = plot_timeline_one(pc, sl_sv_text(v, (size_t)pick[i], v->c_config), full, i + 1);
	}
	return rc;
}

const struct sl_plot_kind sl_plot_kind_timeline = {
	.name = "timeline", .applies = timeline_applies, .draw = plot_timeline,
};
