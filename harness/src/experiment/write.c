/* write.c: the effective experiment written back as INI (experiment.ini of a result directory). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/axis.h"
#include "experiment/experiment.h"
#include "experiment/experiment_internal.h"

/* A written line's length: well inside libinih's line limit, so that experiment.ini reads back. */
#define WRITE_LINE_MAX 100

/* Write "key = value", a long value continued on indented lines. A line breaks at a single space
 * (the reader joins continued lines with one) and never before ';' or '#' (a comment there). */
static void put_entry(FILE *f, const char *key, const char *value)
{
	size_t col = (size_t)fprintf(f, "%s = ", key);
	const char *p = value;

	while (col + strlen(p) > WRITE_LINE_MAX) {
		size_t cut = 0;

		for (size_t i = 1; p[i] && (i + col <= WRITE_LINE_MAX || !cut); i++)
			if (p[i] == ' ' && p[i - 1] != ' ' && p[i + 1] && p[i + 1] != ' ' && p[i + 1] != ';' &&
			    p[i + 1] != '#')
				cut = i;
		if (!cut)
			break;   /* one long word: as it is */
		fprintf(f, "%.*s\n    ", (int)cut, p);
		col = 4;
		p += cut + 1;
	}
	fprintf(f, "%s\n", p);
}

/* Write an axis's values as one list, quoting any that would not read back as the same word; a
 * verbatim (free text) value only when it holds a comma or quotes that reading would strip. The
 * quote is one the value lacks; one with both kinds is written as it is. */
static void put_values(FILE *out, const struct sl_axis *ax, bool verbatim)
{
	char *list = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&list, &len);

	if (!f) {
		fprintf(out, "%s = %s\n", ax->name, ax->values[0]);
		return;
	}
	for (int i = 0; i < ax->nvalues; i++) {
		const char *v = ax->values[i];
		char q = strchr(v, '"') ? '\'' : '"';
		bool quote = verbatim ? strchr(v, ',') || sl_exp_is_quoted(v) : strpbrk(v, ",;#\"' ()") != NULL;

		if (i)
			fputs(", ", f);
		if (quote && !strchr(v, q))
			fprintf(f, "%c%s%c", q, v, q);
		else
			fputs(v, f);
	}
	fclose(f);
	put_entry(out, ax->name, list);
	free(list);
}

int sl_experiment_write(const struct sl_experiment *e, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f)
		return -errno;
	/* comment lines too stay inside the reader's limit: one per --set, each cut short if need be */
	fprintf(f, "; the effective experiment: %.120s%s%s\n", e->file, e->profile[0] ? " --profile " : "", e->profile);
	for (int i = 0; i < e->noverrides; i++)
		fprintf(f, ";   --set %.150s\n", e->overrides[i]);
	fprintf(f, "; every value expanded on this machine; run it again with: speedlab run THIS_FILE\n");
	fprintf(f, "[experiment]\nname = %s\n", e->name);
	put_entry(f, "question", e->question);
	fprintf(f, "workload = %s\n", e->workload);
	if (e->repeats_auto)
		fprintf(f, "repeats = auto\nmin_repeats = %d\nmax_repeats = %d\nprecision = %g%%\nprecision_metric = %s\n",
			e->min_repeats, e->max_repeats, e->precision_pct, e->precision_metric);
	else
		fprintf(f, "repeats = %d\n", e->repeats);
	fprintf(f, "warmup = %d\ntimeout = %g\nseed = %llu\nsample_hz = %g\n", e->warmup, e->timeout_s, e->seed,
		e->sample_hz);
	if (strcmp(e->metric, "wall_s") != 0)
		fprintf(f, "metric = %s\n", e->metric);
	if (e->coordinator_cpus[0])
		put_entry(f, "coordinator_cpus", e->coordinator_cpus);
	fprintf(f, "\n[workload]\n");
	for (int i = 0; i < e->naxes; i++) {
		const struct sl_axis *ax = &e->axes[i];
		const struct sl_param_def *p = sl_exp_param_def(e->wl, ax->name);

		if (!sl_axis_find(ax->name) && ax->nvalues == 1)
			put_values(f, ax, p && p->type == SL_PARAM_STRING && !p->choices);
	}
	fprintf(f, "\n[sweep]\n");
	for (int i = 0; i < e->naxes; i++) {
		const struct sl_axis *ax = &e->axes[i];

		if (sl_axis_find(ax->name) || ax->nvalues > 1)
			put_values(f, ax, false);
	}
	if (e->mpi_hosts[0] || e->mpi_hostfile[0] || e->mpi_ranks_per_node || e->mpi_bind[0]) {
		fprintf(f, "\n[mpi]\n");
		if (e->mpi_hosts[0])
			put_entry(f, "hosts", e->mpi_hosts);
		if (e->mpi_hostfile[0])
			put_entry(f, "hostfile", e->mpi_hostfile);
		if (e->mpi_ranks_per_node)
			fprintf(f, "ranks_per_node = %d\n", e->mpi_ranks_per_node);
		if (e->mpi_bind[0])
			fprintf(f, "bind = %s\n", e->mpi_bind);
	}
	fprintf(f, "\n[compare]\nthreshold = %g\n", e->compare.threshold_pct);
	for (int i = 0; i < e->compare.nthresholds; i++)
		fprintf(f, "threshold.%s = %g\n", e->compare.thresholds[i].metric, e->compare.thresholds[i].pct);
	if (fclose(f) != 0) {
		free(buf);
		return -EIO;
	}
	rc = sl_write_file_atomic(path, buf, len);
	free(buf);
	return rc;
}

