/* progress.c: progress a person and a CI log can follow. On a terminal: one status line on stderr,
 * redrawn in place when a run starts, when it ends and every second while it goes on. Elsewhere
 * (a pipe, a CI log): plain lines, one per finished configuration and otherwise at most one every
 * 10 s. A ticker thread keeps a long run's line alive; it writes with write(2) only, takes no
 * stdio lock and allocates nothing, so that a fork while it writes cannot hang the child. Its start
 * is another matter: a new thread's start-up code may allocate (AddressSanitizer's does, under the
 * allocator's lock), so sl_progress_start returns only once the ticker runs its own code: a worker
 * forked right after it (the first run's) must not inherit that lock held. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "run/progress.h"
#include "core/speedlab.h"

enum mode { OFF, TTY, PLAIN };

static struct {
	enum mode mode;
	bool drawn;       /* TTY: a line is on screen */
	bool held;        /* TTY: cleared for a message; redrawn at the next begin or step */
	FILE *out;        /* where the main thread writes (tests: a memory stream) */
	int fd;           /* stderr for the ticker, -1 without one */
	int width;        /* terminal columns, 0 unknown */
	long total, done;
	int rep;
	char label[256];
	char name[SL_NAME_LEN];
	double t0, run_t0;    /* the session's start; the current run's start (0: none running) */
	double t_step;        /* when the last run finished */
	double last_line;     /* PLAIN: when the last line was written */
	double interval;      /* PLAIN: seconds between heartbeat lines */
	bool ticking;
	bool started;         /* the ticker runs its own code: its thread's start-up is over */
	bool stop;
	pthread_t ticker;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_cond_t up;    /* the ticker tells sl_progress_start it started */
} pg = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

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

/* Write text where the progress goes: the memory stream of a test, else stderr's descriptor. */
static void emit(const char *text)
{
	if (pg.out) {
		fputs(text, pg.out);
		fflush(pg.out);
		return;
	}
	for (size_t off = 0, len = strlen(text); off < len;) {
		ssize_t w = write(pg.fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

/* "run 3/10  rep 1  elapsed 1m02s  ETA 3m10s": the counts and times, then what runs now. */
static int status_text(char *text, size_t len, double now, bool plain)
{
	char el[32], eta[32] = "?", what[32], running[48] = "";
	double t = now - pg.t0;

	sl_progress_duration(t, el, sizeof(el));
	if (pg.done >= pg.total)
		snprintf(eta, sizeof(eta), "0s");
	else if (pg.done > 0) {
		/* the average finished run for each one left, less what the current one has run */
		double per = (pg.t_step - pg.t0) / (double)pg.done, left = per * (double)(pg.total - pg.done);

		left -= now - pg.t_step;
		if (left < per * (double)(pg.total - pg.done - 1))
			left = per * (double)(pg.total - pg.done - 1);
		sl_progress_duration(left, eta, sizeof(eta));
	}
	if (pg.rep < 0)
		snprintf(what, sizeof(what), "warm-up");
	else
		snprintf(what, sizeof(what), "rep %d", pg.rep);
	if (pg.run_t0 > 0 && now - pg.run_t0 >= 1) {
		char d[32];

		sl_progress_duration(now - pg.run_t0, d, sizeof(d));
		snprintf(running, sizeof(running), "  (running %s)", d);
	}
	if (plain)
		return snprintf(text, len, "speedlab: %s%srun %ld/%ld  %s  elapsed %s  ETA %s%s%s%s\n", pg.name,
				pg.name[0] ? ": " : "", pg.done + (pg.run_t0 > 0), pg.total, what, el, eta, running,
				pg.label[0] ? "  " : "", pg.label);
	/* the label goes last, so that a narrow terminal cuts it and not the figures */
	return snprintf(text, len, "run %ld/%ld  %s  elapsed %s  ETA %s%s%s%s", pg.done + (pg.run_t0 > 0), pg.total,
			what, el, eta, running, pg.label[0] ? "  " : "", pg.label);
}

/* Redraw the terminal line (lock held). */
static void draw(double now)
{
	char text[600];
	int n = status_text(text + 4, sizeof(text) - 4, now, false);

	if (n < 0)
		return;
	memcpy(text, "\r\033[K", 4);
	/* a wrapped line cannot be redrawn with \r */
	if (pg.width > 1 && n >= pg.width)
		text[4 + pg.width - 1] = '\0';
	emit(text);
	pg.drawn = true;
}

/* PLAIN: a line when the last one is at least interval old (lock held). */
static void heartbeat(double now, bool force)
{
	char text[600];

	if (!force && now - pg.last_line < pg.interval)
		return;
	if (status_text(text, sizeof(text), now, true) < 0)
		return;
	emit(text);
	pg.last_line = now;
}

static void *ticker_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pg.lock);
	pg.started = true;
	pthread_cond_signal(&pg.up);
	while (!pg.stop) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&pg.wake, &pg.lock, &ts);
		if (pg.stop)
			break;
		if (pg.mode == TTY && !pg.held && pg.run_t0 > 0)
			draw(sl_now());
		else if (pg.mode == PLAIN && pg.run_t0 > 0)
			heartbeat(sl_now(), false);
	}
	pthread_mutex_unlock(&pg.lock);
	return NULL;
}

static void stop_ticker(void)
{
	if (!pg.ticking)
		return;
	pthread_mutex_lock(&pg.lock);
	pg.stop = true;
	pthread_cond_signal(&pg.wake);
	pthread_mutex_unlock(&pg.lock);
	pthread_join(pg.ticker, NULL);
	pthread_cond_destroy(&pg.wake);
	pthread_cond_destroy(&pg.up);
	pg.ticking = false;
}

static void start(enum mode mode, FILE *out, int fd, int width, long total, double elapsed, double interval)
{
	stop_ticker();
	pg.mode = total > 0 ? mode : OFF;
	pg.drawn = pg.held = false;
	pg.out = out;
	pg.fd = fd;
	pg.width = width;
	pg.total = total;
	pg.done = 0;
	pg.rep = 0;
	pg.label[0] = '\0';
	pg.t0 = sl_now() - elapsed;
	pg.run_t0 = 0;
	pg.t_step = pg.t0;
	pg.last_line = pg.t0;
	pg.interval = interval;
	pg.stop = false;
}

void sl_progress_start_to(FILE *out, int width, long total, double elapsed)
{
	start(out ? TTY : OFF, out, -1, width, total, elapsed, 10);
}

void sl_progress_start_plain_to(FILE *out, long total, double elapsed, double interval)
{
	start(out ? PLAIN : OFF, out, -1, 0, total, elapsed, interval);
}

void sl_progress_start(long total, bool quiet)
{
	struct winsize ws;
	int width = 0;
	bool tty = isatty(STDERR_FILENO);
	pthread_condattr_t ca;
	sigset_t all, old;

	if (tty && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0)
		width = ws.ws_col;
	start(quiet ? OFF : tty ? TTY : PLAIN, NULL, STDERR_FILENO, width, total, 0, 10);
	if (pg.mode == OFF)
		return;
	pthread_condattr_init(&ca);
	pthread_cond_init(&pg.wake, &ca);
	pthread_cond_init(&pg.up, &ca);
	pthread_condattr_destroy(&ca);
	pg.started = false;
	/* the ticker takes no signal: SIGINT and SIGTERM must reach the thread that runs */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pg.ticking = pthread_create(&pg.ticker, NULL, ticker_main, NULL) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!pg.ticking) {
		pthread_cond_destroy(&pg.wake);
		pthread_cond_destroy(&pg.up);
		return;
	}
	/* no fork before the ticker's start-up is over (see the top of this file) */
	pthread_mutex_lock(&pg.lock);
	while (!pg.started)
		pthread_cond_wait(&pg.up, &pg.lock);
	pthread_mutex_unlock(&pg.lock);
}

bool sl_progress_ticking(void)
{
	bool on;

	pthread_mutex_lock(&pg.lock);
	on = pg.ticking && pg.started && !pg.stop;
	pthread_mutex_unlock(&pg.lock);
	return on;
}

void sl_progress_name(const char *name)
{
	pthread_mutex_lock(&pg.lock);
	snprintf(pg.name, sizeof(pg.name), "%s", name ? name : "");
	pthread_mutex_unlock(&pg.lock);
}

/* A run starts (running) or ends: the state, then the line or the heartbeat. */
static void update(long done, int rep, const char *label, bool running)
{
	double now;

	pthread_mutex_lock(&pg.lock);
	if (pg.mode != OFF) {
		now = sl_now();
		pg.done = done;
		pg.rep = rep;
		snprintf(pg.label, sizeof(pg.label), "%s", label ? label : "");
		pg.run_t0 = running ? now : 0;
		if (!running)
			pg.t_step = now;
		pg.held = false;
		if (pg.mode == TTY)
			draw(now);
		else
			heartbeat(now, false);
	}
	pthread_mutex_unlock(&pg.lock);
}

void sl_progress_begin(long done, int rep, const char *label)
{
	update(done, rep, label, true);
}

void sl_progress_step(long done, int rep, const char *label)
{
	update(done, rep, label, false);
}

void sl_progress_config_done(long nth, long nconfigs, const char *label)
{
	char text[600], el[32];

	pthread_mutex_lock(&pg.lock);
	if (pg.mode == PLAIN) {
		sl_progress_duration(sl_now() - pg.t0, el, sizeof(el));
		snprintf(text, sizeof(text), "speedlab: %s%sconfiguration %ld/%ld done  elapsed %s  %s\n", pg.name,
			 pg.name[0] ? ": " : "", nth, nconfigs, el, label ? label : "");
		emit(text);
		pg.last_line = sl_now();
	}
	pthread_mutex_unlock(&pg.lock);
}

void sl_progress_clear(void)
{
	pthread_mutex_lock(&pg.lock);
	if (pg.mode == TTY && pg.drawn) {
		emit("\r\033[K");
		pg.drawn = false;
	}
	pg.held = pg.mode == TTY;
	pthread_mutex_unlock(&pg.lock);
}

void sl_progress_end(void)
{
	stop_ticker();
	pthread_mutex_lock(&pg.lock);
	if (pg.mode == TTY && pg.drawn)
		emit("\r\033[K");
	if (pg.mode == PLAIN && pg.done > 0) {
		char text[200], el[32];

		sl_progress_duration(sl_now() - pg.t0, el, sizeof(el));
		snprintf(text, sizeof(text), "speedlab: %s%s%ld of %ld run(s) done in %s\n", pg.name,
			 pg.name[0] ? ": " : "", pg.done, pg.total, el);
		emit(text);
	}
	pg.drawn = false;
	pg.mode = OFF;
	pg.out = NULL;
	pg.fd = -1;
	pthread_mutex_unlock(&pg.lock);
}
