/* pivot.h: an experiment's numbers as Markdown tables (pivot.c). */
#ifndef SL_PIVOT_H
#define SL_PIVOT_H

#include <stdio.h>

#include "analysis/findings.h"

/* The pivot table of v's metric: one row per value of processes (when swept, with the speedup against
 * the fastest 1-process configuration) or of the axis with most values, one column per combination of
 * the others; a list of configurations when they are too many. m: the machine it ran on. Never fails. */
void sl_md_pivot(FILE *md, const struct sl_summary_view *v, const struct sl_machine *m);

/* The full tables, folded: the speedup tables of dir's result files where processes are swept over a
 * few series, else one row per configuration of v. Never fails. */
void sl_md_full_tables(FILE *md, const struct sl_summary_view *v, const char *dir);

#endif
