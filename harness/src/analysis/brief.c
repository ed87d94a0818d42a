/* brief.c: one configuration in hyperfine's shape, and the fixed cost of starting a command. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analysis/brief.h"
#include "core/speedlab.h"
#include "core/stats.h"

static double mean_col(const struct sl_csv *runs, const size_t *rows, size_t n, int col)
{
	double sum = 0;
	size_t k = 0;

	if (col < 0)
		return NAN;
	for (size_t i = 0; i < n; i++) {
		double v = sl_csv_num(runs, rows[i], col);

		if (!isnan(v)) {
			sum += v;
			k++;
		}
	}
	return k ? sum / (double)k : NAN;
}

size_t sl_brief_of(const struct sl_csv *runs, long config, struct sl_brief *b)
{
	int cc = sl_csv_col(runs, "config"), cr = sl_csv_col(runs, "rep"), cw = sl_csv_col(runs, "wall_s");
	int cs = sl_csv_col(runs, "status");
	size_t *rows = malloc((runs->nrows + 1) * sizeof(*rows));
	double *wall = malloc((runs->nrows + 1) * sizeof(*wall));
	size_t n = 0;

	memset(b, 0, sizeof(*b));
	b->mean = b->sd = b->median = b->min = b->max = b->user = b->sys = b->busy = NAN;
	if (!rows || !wall || cc < 0 || cr < 0 || cw < 0 || cs < 0) {
		free(rows);
		free(wall);
		return 0;
	}
	for (size_t r = 0; r < runs->nrows; r++) {
		long c, rep;

		if (!sl_parse_long(sl_csv_cell(runs, r, cc), &c) || c != config ||
		    !sl_parse_long(sl_csv_cell(runs, r, cr), &rep) || rep <= 0 ||
		    strcmp(sl_csv_cell(runs, r, cs), "ok") != 0 || isnan(sl_csv_num(runs, r, cw)))
			continue;
		rows[n] = r;
		wall[n++] = sl_csv_num(runs, r, cw);
	}
	b->n = n;
	if (n) {
		b->mean = sl_stats_mean(wall, n);
		b->sd = n > 1 ? sl_stats_stddev(wall, n) : NAN;
		b->median = sl_stats_median(wall, n);
		b->min = sl_stats_min(wall, n);
		b->max = sl_stats_max(wall, n);
		b->user = mean_col(runs, rows, n, sl_csv_col(runs, "cpu_user_s"));
		b->sys = mean_col(runs, rows, n, sl_csv_col(runs, "cpu_sys_s"));
		b->busy = mean_col(runs, rows, n, sl_csv_col(runs, "cores_busy"));
	}
	free(rows);
	free(wall);
	return n;
}

void sl_brief_time(double v, double ref, char *buf, size_t len)
{
	const char *unit = "s";
	double scale = 1, x;

	if (isnan(v)) {
		snprintf(buf, len, "—");
		return;
	}
	if (ref < 1e-3) {
		unit = "µs";
		scale = 1e6;
	} else if (ref < 1) {
		unit = "ms";
		scale = 1e3;
	}
	x = fabs(ref * scale);
	snprintf(buf, len, "%.*f %s", x >= 100 ? 0 : x >= 10 ? 1 : 2, v * scale, unit);
}

void sl_brief_markdown(FILE *out, const struct sl_brief *b)
{
	char mean[32], sd[32], med[32], lo[32], hi[32], user[32], sys[32];
	double ref = b->mean;

	sl_brief_time(b->mean, ref, mean, sizeof(mean));
	sl_brief_time(b->sd, ref, sd, sizeof(sd));
	sl_brief_time(b->median, ref, med, sizeof(med));
	sl_brief_time(b->min, ref, lo, sizeof(lo));
	sl_brief_time(b->max, ref, hi, sizeof(hi));
	sl_brief_time(b->user, ref, user, sizeof(user));
	sl_brief_time(b->sys, ref, sys, sizeof(sys));
	fputs("| Time (mean ± σ) | Median | Range (min … max) | User | System | Cores busy | Runs |\n"
	      "|---|---|---|---|---|---|---|\n", out);
	fprintf(out, "| %s ± %s | %s | %s … %s | %s | %s | ", mean, sd, med, lo, hi, user, sys);
	if (isnan(b->busy))
		fputs("—", out);
	else
		fprintf(out, "%.2f", b->busy);
	fprintf(out, " | %zu |\n", b->n);
}

double sl_brief_shell_cost(int n)
{
	double *t = calloc((size_t)(n > 0 ? n : 1), sizeof(*t)), med;
	int k = 0;

	if (!t)
		return NAN;
	for (int i = 0; i < n; i++) {
		double t0 = sl_now();
		pid_t pid = fork();
		int st;

		if (pid < 0)
			break;
		if (pid == 0) {
			int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

			if (fd >= 0) {
				dup2(fd, 0);
				dup2(fd, 1);
			}
			execl("/bin/sh", "sh", "-c", "true", (char *)NULL);
			_exit(127);
		}
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			break;
		t[k++] = sl_now() - t0;
	}
	med = k ? sl_stats_median(t, (size_t)k) : NAN;
	free(t);
	return med;
}

bool sl_brief_too_short(double median, double fixed)
{
	return !isnan(median) && !isnan(fixed) && median > 0 && fixed > 0.1 * median;
}
