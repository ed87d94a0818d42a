/* runs_view.h: the layout of runs.csv located and checked once: config, rep, the axes, the metrics
 * (columns of sl_metric_columns), status. The one reading of runs.csv's layout, used by the result
 * reader (sl_result_load: table, report, the summary) and by compare. */
#ifndef SL_RUNS_VIEW_H
#define SL_RUNS_VIEW_H

#include <stddef.h>

#include "core/csv.h"
#include "core/speedlab.h"

struct sl_runs_layout {
	size_t naxes;          /* axis columns: 2 .. 1 + naxes (after config and rep) */
	size_t first_metric;   /* the first metric column: 2 + naxes */
	size_t status;         /* the status column, the last one */
	int *metric;           /* per column: its index in sl_metric_columns; -1 for the others */
	int processes;         /* the axis index of processes; -1 when absent */
};

/* The index of name among sl_metric_columns, or -1. Never fails. */
int sl_metric_column(const char *name);

/* Check the header of csv (runs.csv, named path in messages) and locate its columns into l: config,
 * rep, axes whose names are shorter than SL_NAME_LEN, then only metric columns (wall_s among them),
 * status last. Returns 0, or -EINVAL/-ENOMEM with "speedlab: FILE:LINE: message" printed (l is then
 * empty). */
int sl_runs_layout(const char *path, const struct sl_csv *csv, struct sl_runs_layout *l);
/* Free l. Safe on a zeroed struct. */
void sl_runs_layout_free(struct sl_runs_layout *l);

/* runs.csv read (a regular file, no link followed; a torn last row refused) with its layout. Returns
 * 0, or -errno/-EINVAL/-ENOMEM with the reason printed (csv and l are then empty). */
int sl_runs_read(const char *path, struct sl_csv *csv, struct sl_runs_layout *l);
/* The same from text (tests, fuzzing, compare's in-memory reader). */
int sl_runs_parse(const char *path, const char *text, size_t len, struct sl_csv *csv, struct sl_runs_layout *l);

#endif
