/* runs_view.h: runs.csv of a result directory read back with its layout located and checked once:
 * config, rep, the axes, the metrics (columns of sl_metric_columns), status. The reading of runs.csv
 * that compare (and whoever needs runs.csv's rows by column kind) uses. */
#ifndef SL_RUNS_VIEW_H
#define SL_RUNS_VIEW_H

#include <stddef.h>

#include "core/csv.h"
#include "core/speedlab.h"

struct sl_runs_view {
	struct sl_csv csv;
	size_t naxes;          /* axis columns: 2 .. 1 + naxes (after config and rep) */
	size_t first_metric;   /* the first metric column: 2 + naxes */
	size_t status;         /* the status column, the last one */
	int *metric;           /* per column: its index in sl_metric_columns; -1 for the others */
	int processes;         /* the axis index of processes; -1 when absent */
};

/* The index of name among sl_metric_columns, or -1. Never fails. */
int sl_metric_column(const char *name);

/* Parse text (runs.csv, named path in messages) into v and check its header: config, rep, axes whose
 * names are shorter than SL_NAME_LEN, then only metric columns (wall_s among them), status last. A
 * torn last row is refused. Returns 0, or -EINVAL/-ENOMEM with "speedlab: FILE:LINE: message"
 * printed (v is then empty). */
int sl_runs_view_parse(const char *path, const char *text, size_t len, struct sl_runs_view *v);
/* Free everything. Safe on a zeroed struct. */
void sl_runs_view_free(struct sl_runs_view *v);

#endif
