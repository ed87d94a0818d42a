/* tables.h: the speedup tables in Markdown (`speedlab table`, tables.md) from a result directory. */
#ifndef SL_TABLES_H
#define SL_TABLES_H

#include <stdio.h>
#include "results/results.h"

/* Write the tables of r (its summary.csv must be loaded) to out: a header naming the experiment,
 * its question and the machine, then one table per series with an Amdahl line under each.
 * Returns 0, or -EINVAL with "speedlab: FILE:LINE: message" printed when summary.csv lacks a
 * column it needs. */
int sl_tables_markdown(const struct sl_result *r, FILE *out);
/* The same tables without the header (title, question, machine, definitions): for the report, which
 * says those once. */
int sl_tables_markdown_body(const struct sl_result *r, FILE *out);

#endif
