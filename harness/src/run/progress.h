/* progress.h: progress of a run on stderr: a line redrawn in place on a terminal, plain lines in a
 * log (a pipe, CI), nothing with --quiet. */
#ifndef SL_PROGRESS_H
#define SL_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Begin a session of total steps (the runs still to do, warm-ups included). quiet: every call is a
 * no-op. stderr a terminal: the line "run k/K  rep r  elapsed 1m02s  ETA 3m10s  (running 12s)  label",
 * redrawn in place when a run starts and ends and every second while one runs, cut to the
 * terminal's width so that it never wraps. Otherwise plain lines "speedlab: NAME: run k/K ...", at
 * most one every 10 s, plus one per finished configuration and a last one at the end. A ticker
 * thread (signals blocked) keeps a long run's line alive. Never fails. */
void sl_progress_start(long total, bool quiet);
/* The experiment's name for the plain lines. */
void sl_progress_name(const char *name);
/* A run starts: done steps finished so far, rep its repetition (negative: warm-up), label names it. */
void sl_progress_begin(long done, int rep, const char *label);
/* done steps finished; rep is the repetition of the last one (negative: warm-up); label names it.
 * The ETA is elapsed / done * remaining. Never fails. */
void sl_progress_step(long done, int rep, const char *label);
/* Every repetition of a configuration is done (nth of nconfigs): a plain line in a log. */
void sl_progress_config_done(long nth, long nconfigs, const char *label);
/* Erase the line so a message can be printed cleanly (it is redrawn at the next begin or step). */
void sl_progress_clear(void);
/* Finish: erase the line (a log gets a last line: runs done, time taken); stops the ticker. */
void sl_progress_end(void);

/* "1m02s", "3h04m", "12s": a duration for humans. Never fails. */
void sl_progress_duration(double seconds, char *buf, size_t len);
/* For tests: draw into out as if it were a terminal of width columns (0: no limit), with the
 * clock started `elapsed` seconds ago; no ticker. Never fails. */
void sl_progress_start_to(FILE *out, int width, long total, double elapsed);
/* For tests: whether a ticker thread runs its own code now (its thread's start-up is over: once
 * sl_progress_start has returned, a fork cannot catch that start-up's locks held). */
bool sl_progress_ticking(void);
/* For tests: plain lines into out, at most one every interval seconds; no ticker. */
void sl_progress_start_plain_to(FILE *out, long total, double elapsed, double interval);

#endif
