/* progress.c: "run k/K  rep r  elapsed  ETA  label" on stderr, redrawn in place, terminals only. */
#include <stdio.h>
#include <unistd.h>

#include "progress.h"
#include "speedlab.h"

static struct {
	bool on;
	long total;
	double t0;
} pg;

static void fmt_secs(double s, char *buf, size_t len)
{
	long t = (long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, len, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
	else if (t >= 60)
		snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(buf, len, "%lds", t);
}

void sl_progress_start(long total, bool quiet)
{
	pg.on = !quiet && isatty(STDERR_FILENO) && total > 0;
	pg.total = total;
	pg.t0 = sl_now();
}

void sl_progress_step(long done, int rep, const char *label)
{
	double el;
	char e[32], eta[32] = "?";

	if (!pg.on)
		return;
	el = sl_now() - pg.t0;
	fmt_secs(el, e, sizeof(e));
	if (done > 0 && done < pg.total)
		fmt_secs(el / (double)done * (double)(pg.total - done), eta, sizeof(eta));
	else if (done >= pg.total)
		snprintf(eta, sizeof(eta), "0s");
	fprintf(stderr, "\r\033[K  run %ld/%ld  %s  elapsed %s  ETA %s  %.60s", done, pg.total,
		rep < 0 ? "warm-up" : "", e, eta, label ? label : "");
	fflush(stderr);
}

void sl_progress_clear(void)
{
	if (pg.on)
		fputs("\r\033[K", stderr);
}

void sl_progress_end(void)
{
	sl_progress_clear();
	pg.on = false;
}
