/* progress.c: one status line on a terminal's stderr, redrawn in place; silent when not a terminal. */
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "progress.h"
#include "speedlab.h"

static struct {
	bool on;
	bool drawn;       /* a line is on screen */
	FILE *out;
	int width;        /* terminal columns, 0 unknown */
	long total;
	double t0;
} pg;

void sl_progress_duration(double seconds, char *buf, size_t len)
{
	long s = seconds > 0 && isfinite(seconds) ? (long)(seconds + 0.5) : 0;

	if (s >= 3600)
		snprintf(buf, len, "%ldh%02ldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%ldm%02lds", s / 60, s % 60);
	else
		snprintf(buf, len, "%lds", s);
}

void sl_progress_start_to(FILE *out, int width, long total, double elapsed)
{
	memset(&pg, 0, sizeof(pg));
	pg.on = out != NULL && total > 0;
	pg.out = out;
	pg.width = width;
	pg.total = total;
	pg.t0 = sl_now() - elapsed;
}

void sl_progress_start(long total, bool quiet)
{
	struct winsize ws;
	int width = 0;
	bool tty = !quiet && isatty(STDERR_FILENO);

	if (tty && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0)
		width = ws.ws_col;
	sl_progress_start_to(tty ? stderr : NULL, width, total, 0);
}

void sl_progress_step(long done, int rep, const char *label)
{
	char el[32], eta[32] = "?", what[32], text[512];
	double t;
	int n;

	if (!pg.on)
		return;
	t = sl_now() - pg.t0;
	sl_progress_duration(t, el, sizeof(el));
	if (done >= pg.total)
		snprintf(eta, sizeof(eta), "0s");
	else if (done > 0)
		sl_progress_duration(t / (double)done * (double)(pg.total - done), eta, sizeof(eta));
	if (rep < 0)
		snprintf(what, sizeof(what), "warm-up");
	else
		snprintf(what, sizeof(what), "rep %d", rep);
	/* the label goes last, so that a narrow terminal cuts it and not the figures */
	n = snprintf(text, sizeof(text), "run %ld/%ld  %s  elapsed %s  ETA %s%s%s", done, pg.total, what, el, eta,
		     label && label[0] ? "  " : "", label ? label : "");
	if (n < 0)
		return;
	/* a wrapped line cannot be redrawn with \r */
	if (pg.width > 1 && n >= pg.width)
		text[pg.width - 1] = '\0';
	fprintf(pg.out, "\r\033[K%s", text);
	fflush(pg.out);
	pg.drawn = true;
}

void sl_progress_clear(void)
{
	if (pg.on && pg.drawn) {
		fputs("\r\033[K", pg.out);
		fflush(pg.out);
		pg.drawn = false;
	}
}

void sl_progress_end(void)
{
	sl_progress_clear();
	pg.on = false;
}
