/* progress.c: one status line on a terminal's stderr, redrawn in place; silent when not a terminal. */
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "progress.h"
#include "speedlab.h"

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

void sl_progress_start(struct sl_progress *p, long total, bool quiet)
{
	struct winsize ws;

	memset(p, 0, sizeof(*p));
	p->out = stderr;
	p->t0 = sl_now();
	p->total = total;
	p->enabled = !quiet && isatty(STDERR_FILENO);
	if (p->enabled && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		p->width = ws.ws_col;
}

static void draw(struct sl_progress *p)
{
	char elapsed[32], eta[32] = "?";
	char text[640];
	double t = sl_now() - p->t0;
	int n;

	if (!p->enabled)
		return;
	sl_progress_duration(t, elapsed, sizeof(elapsed));
	if (p->done > 0 && p->total >= p->done)
		sl_progress_duration(t / (double)p->done * (double)(p->total - p->done), eta, sizeof(eta));
	/* the label goes last, so that a narrow terminal cuts it and not the figures */
	n = snprintf(text, sizeof(text), "%s  elapsed %s  ETA %s%s%s", p->state, elapsed, eta,
		     p->label[0] ? "  " : "", p->label);
	if (n < 0)
		return;
	/* a wrapped line cannot be redrawn with \r: cut it to the terminal */
	if (p->width > 1 && n >= p->width)
		text[p->width - 1] = '\0';
	fprintf(p->out, "\r\033[K%s", text);
	fflush(p->out);
	p->drawn = true;
}

void sl_progress_show(struct sl_progress *p, int k, int nconfigs, int rep, int nreps, const char *label)
{
	if (rep <= 0)
		snprintf(p->state, sizeof(p->state), "config %d/%d  warm-up", k, nconfigs);
	else
		snprintf(p->state, sizeof(p->state), "config %d/%d  rep %d/%d", k, nconfigs, rep, nreps);
	snprintf(p->label, sizeof(p->label), "%s", label ? label : "");
	draw(p);
}

void sl_progress_step(struct sl_progress *p)
{
	p->done++;
	draw(p);
}

void sl_progress_end(struct sl_progress *p)
{
	if (p->enabled && p->drawn) {
		fputc('\n', p->out);
		fflush(p->out);
	}
	p->drawn = false;
}
