/* brief.h: one configuration summed up in hyperfine's shape (mean ± σ, median, min … max, user and
 * system CPU, cores busy, runs), from runs.csv; and the fixed cost of starting a command. */
#ifndef SL_BRIEF_H
#define SL_BRIEF_H

#include <stdbool.h>
#include <stdio.h>

#include "core/csv.h"

struct sl_brief {
	size_t n;                      /* ok measured runs (rep > 0, status ok) */
	double mean, sd, median, min, max;   /* wall_s; sd NAN with one run */
	double user, sys, busy;        /* means of cpu_user_s, cpu_sys_s, cores_busy (NAN when absent) */
};

/* The ok measured runs of configuration `config` (its runs.csv id) of runs into b. Returns their
 * count: 0 (b's figures NAN) when there is none, a column is missing or memory runs out. */
size_t sl_brief_of(const struct sl_csv *runs, long config, struct sl_brief *b);
/* "28.3 ms": a time in the unit (s, ms, µs) chosen by `ref`, 3 significant figures at ref; "—" for
 * NAN. Never fails. */
void sl_brief_time(double v, double ref, char *buf, size_t len);
/* The Markdown table of one configuration: | Time (mean ± σ) | Median | Range (min … max) | User |
 * System | Cores busy | Runs |, header and row. Never fails. */
void sl_brief_markdown(FILE *out, const struct sl_brief *b);
/* The median wall time of `/bin/sh -c true` started as the command workload starts a command
 * (fork, exec, wait4), over `n` tries: the fixed cost in each of its runs. NAN when it cannot run. */
double sl_brief_shell_cost(int n);
/* Whether a command of median wall time `median` is short enough that a fixed cost `fixed` is a
 * visible part of it (more than 10%). */
bool sl_brief_too_short(double median, double fixed);

#endif
