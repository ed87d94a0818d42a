/* progress.h: the progress line of a long run on stderr (configuration, repetition, elapsed, ETA). */
#ifndef SL_PROGRESS_H
#define SL_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

struct sl_progress {
	bool enabled;         /* drawing at all: stderr is a terminal and not quiet */
	FILE *out;            /* stderr */
	double t0;            /* start of this session (sl_now) */
	long total;           /* runs to do in this session, warm-ups included */
	long done;            /* runs finished in this session */
	int width;            /* columns of the terminal, 0 unknown */
	bool drawn;           /* a line is on screen */
	char state[96];       /* "config k/K  rep r/R" of the run in flight */
	char label[256];      /* its short configuration label */
};

/* Start: total runs this session will do (after --resume, only the remaining ones). Draws nothing
 * unless stderr is a terminal and quiet is false. Never fails. */
void sl_progress_start(struct sl_progress *p, long total, bool quiet);
/* Show the run about to start: configuration k of nconfigs (1-based), repetition rep of nreps
 * (1-based; rep <= 0 is a warm-up), and a short label of the configuration. Never fails. */
void sl_progress_show(struct sl_progress *p, int k, int nconfigs, int rep, int nreps, const char *label);
/* One run finished: the ETA is elapsed / done * remaining. Never fails. */
void sl_progress_step(struct sl_progress *p);
/* End the line (a newline when one was drawn). Never fails. */
void sl_progress_end(struct sl_progress *p);

/* "1m02s", "3h04m", "12s": a duration for humans. Never fails. */
void sl_progress_duration(double seconds, char *buf, size_t len);

#endif
