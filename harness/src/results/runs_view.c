/* runs_view.c: runs.csv's layout located and checked once (runs_view.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "results/runs_view.h"

int sl_metric_column(const char *name)
{
	for (size_t i = 0; i < sl_metric_ncolumns; i++)
		if (strcmp(sl_metric_columns[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* sl_runs_layout without the clean-up on failure. */
static int locate_columns(const char *path, const struct sl_csv *csv, struct sl_runs_layout *v)
{
	size_t first;

	memset(v, 0, sizeof(*v));

	if (csv->ncols < 4 || strcmp(csv->header[0], "config") != 0 || strcmp(csv->header[1], "rep") != 0 ||
	    strcmp(csv->header[csv->ncols - 1], "status") != 0) {
		sl_err_at(path, 1, "not a runs.csv header (expected config, rep, the axes, the metrics, status)");
		return -EINVAL;
	}
	v->status = csv->ncols - 1;
	for (first = 2; first < v->status; first++)
		if (sl_metric_column(csv->header[first]) >= 0)
			break;
	if (first == v->status) {
		sl_err_at(path, 1, "no metric columns in the header (expected wall_s and the others)");
		return -EINVAL;
	}
	if (sl_csv_col(csv, "wall_s") < 0) {
		sl_err_at(path, 1, "no wall_s column");
		return -EINVAL;
	}
	v->first_metric = first;
	v->naxes = first - 2;
	v->metric = malloc(csv->ncols * sizeof(*v->metric));
	if (!v->metric) {
		sl_err_at(path, 0, "out of memory");
		return -ENOMEM;
	}
	v->processes = -1;
	for (size_t c = 0; c < csv->ncols; c++) {
		const char *h = csv->header[c];

		v->metric[c] = -1;
		if (c >= 2 && c < first) {
			if (strlen(h) >= SL_NAME_LEN || strcmp(h, "config") == 0 || strcmp(h, "rep") == 0 ||
			    strcmp(h, "status") == 0) {
				sl_err_at(path, 1, "bad axis column name '%.60s'", h);
				return -EINVAL;
			}
			if (strcmp(h, "processes") == 0)
				v->processes = (int)(c - 2);
		} else if (c >= first && c < v->status) {
			v->metric[c] = sl_metric_column(h);
			if (v->metric[c] < 0) {
				sl_err_at(path, 1, "unknown column '%.60s' among the metric columns", h);
				return -EINVAL;
			}
		}
	}
	return 0;
}

int sl_runs_layout(const char *path, const struct sl_csv *csv, struct sl_runs_layout *l)
{
	int err = locate_columns(path, csv, l);

	if (err < 0)
		sl_runs_layout_free(l);
	return err;
}

/* Locate csv's columns into l; on failure free csv too. */
static int layout_or_free(const char *path, struct sl_csv *csv, struct sl_runs_layout *l)
{
	int err = sl_runs_layout(path, csv, l);

	if (err < 0)
		sl_csv_free(csv);
	return err;
}

int sl_runs_parse(const char *path, const char *text, size_t len, struct sl_csv *csv, struct sl_runs_layout *l)
{
	int err;

	memset(l, 0, sizeof(*l));
	err = sl_csv_parse(path, text, len, csv, 0);
	return err < 0 ? err : layout_or_free(path, csv, l);
}

int sl_runs_read(const char *path, struct sl_csv *csv, struct sl_runs_layout *l)
{
	int err;

	memset(l, 0, sizeof(*l));
	err = sl_csv_read(path, csv, 0);
	return err < 0 ? err : layout_or_free(path, csv, l);
}

void sl_runs_layout_free(struct sl_runs_layout *l)
{
	free(l->metric);
	memset(l, 0, sizeof(*l));
}
