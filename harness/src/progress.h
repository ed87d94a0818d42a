/* progress.h: a progress line on stderr for long runs (only on a terminal). */
#ifndef SL_PROGRESS_H
#define SL_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Begin a run of total steps (the runs still to do in this session, warm-ups included); quiet, or
 * stderr not a terminal, makes every call a no-op. Never fails. */
void sl_progress_start(long total, bool quiet);
/* done steps finished; rep is the repetition of the last one (negative: warm-up); label names it.
 * Redraws "run k/K  rep r  elapsed 1m02s  ETA 3m10s  label" in place, cut to the terminal's
 * width so that it never wraps; the ETA is elapsed / done * remaining. Never fails. */
void sl_progress_step(long done, int rep, const char *label);
/* Erase the line so a message can be printed cleanly (it is redrawn at the next step). */
void sl_progress_clear(void);
/* Finish: erase the line. */
void sl_progress_end(void);

/* "1m02s", "3h04m", "12s": a duration for humans. Never fails. */
void sl_progress_duration(double seconds, char *buf, size_t len);
/* For tests: draw into out as if it were a terminal of width columns (0: no limit), with the
 * clock started `elapsed` seconds ago. Never fails. */
void sl_progress_start_to(FILE *out, int width, long total, double elapsed);

#endif
