/* progress.h: a progress line on stderr for long runs (only on a terminal). */
#ifndef SL_PROGRESS_H
#define SL_PROGRESS_H

#include <stdbool.h>

/* Begin a run of total steps; quiet (or stderr not a terminal) makes every call a no-op. */
void sl_progress_start(long total, bool quiet);
/* done steps finished; rep is the repetition of the last one (negative: warm-up); label names it. */
void sl_progress_step(long done, int rep, const char *label);
/* Erase the line so a message can be printed cleanly (it is redrawn at the next step). */
void sl_progress_clear(void);
/* Finish: erase the line. */
void sl_progress_end(void);

#endif
