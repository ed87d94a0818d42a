/* compare_load.c: a result directory read back for comparison, strictly (its files are untrusted):
 * meta.json through the results reader (results/meta.h), runs.csv through its layout (results/runs_view.h),
 * every value checked, configurations indexed by their axis values. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>

#include "analysis/compare.h"
#include "analysis/compare_internal.h"
#include "core/csv.h"
#include "results/meta.h"
#include "results/runs_view.h"
#include "core/stats.h"

/* ---- loading a result directory ---- */

void sl_cmp_run_free(struct sl_cmp_run *r)
{
	for (size_t i = 0; i < r->nconfigs; i++) {
		struct sl_cmp_config *c = &r->configs[i];

		if (c->values)
			for (size_t a = 0; a < r->naxes; a++)
				free(c->values[a]);
		free(c->values);
		free(c->reps);
		free(c->m);
	}
	free(r->configs);
	free(r->axes);
	memset(r, 0, sizeof(*r));
}

/* meta.json through the results reader (sl_meta_parse); compare needs the machine's fingerprint and
 * the experiment's name, and refuses what would not fit. */
static int load_meta(struct sl_cmp_run *r, const char *path, const char *text, size_t len)
{
	struct sl_meta m;

	if (sl_meta_parse(path, text, len, &m) < 0)
		return -EINVAL;
	if (!m.fingerprint[0] || strlen(m.fingerprint) >= sizeof(r->fingerprint)) {
		sl_err_at(path, 0, "no machine 'fingerprint' (a non-empty string of fewer than %zu bytes)",
			  sizeof(r->fingerprint));
		return -EINVAL;
	}
	if (!m.name[0] || strlen(m.name) >= SL_NAME_LEN) {
		sl_err_at(path, 0, "no 'experiment' object with a 'name' (a non-empty string of fewer than %d bytes)",
			  SL_NAME_LEN);
		return -EINVAL;
	}
	snprintf(r->fingerprint, sizeof(r->fingerprint), "%s", m.fingerprint);
	snprintf(r->experiment, sizeof(r->experiment), "%s", m.name);
	snprintf(r->commit, sizeof(r->commit), "%s", m.commit);
	r->load_per_cpu = m.load_per_cpu;
	return 0;
}

static struct sl_cmp_config *config_find(struct sl_cmp_run *r, int id, size_t *hint)
{
	if (*hint < r->nconfigs && r->configs[*hint].id == id)
		return &r->configs[*hint];
	for (size_t i = 0; i < r->nconfigs; i++)
		if (r->configs[i].id == id) {
			*hint = i;
			return &r->configs[i];
		}
	return NULL;
}

static int config_add(struct sl_cmp_run *r, int id, int line, const struct sl_csv *csv, size_t row, size_t *cap,
		      struct sl_cmp_config **out)
{
	struct sl_cmp_config *c;

	if (r->nconfigs == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct sl_cmp_config *n = realloc(r->configs, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		r->configs = n;
		*cap = ncap;
	}
	c = &r->configs[r->nconfigs];
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->line = line;
	c->one_process = -1;
	c->values = calloc(r->naxes ? r->naxes : 1, sizeof(*c->values));
	if (!c->values)
		return -ENOMEM;
	r->nconfigs++;
	for (size_t a = 0; a < r->naxes; a++) {
		c->values[a] = strdup(sl_csv_cell(csv, row, (int)(2 + a)));
		if (!c->values[a])
			return -ENOMEM;
	}
	*out = c;
	return 0;
}

static int config_add_ok(struct sl_cmp_config *c, int rep, const double *m)
{
	int *reps = realloc(c->reps, (c->nok + 1) * sizeof(*reps));
	double *mm;

	if (!reps)
		return -ENOMEM;
	c->reps = reps;
	mm = realloc(c->m, (c->nok + 1) * sl_metric_ncolumns * sizeof(*mm));
	if (!mm)
		return -ENOMEM;
	c->m = mm;
	c->reps[c->nok] = rep;
	memcpy(c->m + c->nok * sl_metric_ncolumns, m, sl_metric_ncolumns * sizeof(*m));
	c->nok++;
	return 0;
}

static bool is_failure(const char *status)
{
	return strncmp(status, "skipped", 7) != 0;
}

/* The key of a configuration: its values on the chosen axes, joined by an unprintable separator
 * (skip: an axis left out, or -1). */
static char *config_key(const struct sl_cmp_config *c, size_t naxes, long skip, const char *replace)
{
	size_t len = 1;
	char *k, *p;

	for (size_t a = 0; a < naxes; a++)
		len += strlen((long)a == skip ? replace : c->values[a]) + 1;
	k = malloc(len);
	if (!k)
		return NULL;
	p = k;
	for (size_t a = 0; a < naxes; a++) {
		const char *v = (long)a == skip ? replace : c->values[a];
		size_t l = strlen(v);

		memcpy(p, v, l);
		p += l;
		*p++ = '\x1f';
	}
	*p = '\0';
	return k;
}

struct keyed {
	char *key;
	size_t idx;
};

static int cmp_keyed(const void *a, const void *b)
{
	return strcmp(((const struct keyed *)a)->key, ((const struct keyed *)b)->key);
}

/* Check that no two configurations share their axis values and find each one's 1-process
 * configuration. */
static int index_configs(struct sl_cmp_run *r, const char *runs_path)
{
	struct keyed *keys = calloc(r->nconfigs ? r->nconfigs : 1, sizeof(*keys));
	int err = 0;

	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < r->nconfigs; i++) {
		keys[i].key = config_key(&r->configs[i], r->naxes, -1, NULL);
		keys[i].idx = i;
		if (!keys[i].key) {
			err = -ENOMEM;
			goto out_free_keys;
		}
	}
	qsort(keys, r->nconfigs, sizeof(*keys), cmp_keyed);
	for (size_t i = 1; i < r->nconfigs; i++)
		if (strcmp(keys[i - 1].key, keys[i].key) == 0) {
			const struct sl_cmp_config *a = &r->configs[keys[i - 1].idx], *b = &r->configs[keys[i].idx];

			sl_err_at(runs_path, b->line, "configurations %d and %d have the same axis values (line %d)",
				  a->id, b->id, a->line);
			err = -EINVAL;
			goto out_free_keys;
		}
	if (r->processes_axis < 0)
		goto out_free_keys;
	for (size_t i = 0; i < r->nconfigs; i++) {
		struct sl_cmp_config *c = &r->configs[i];
		struct keyed probe, *hit;

		if (!sl_parse_long(c->values[r->processes_axis], &c->processes) || c->processes < 1 ||
		    c->processes > 1000000) {
			c->processes = 0;
			continue;
		}
		if (c->processes == 1)
			continue;
		probe.key = config_key(c, r->naxes, r->processes_axis, "1");
		if (!probe.key) {
			err = -ENOMEM;
			goto out_free_keys;
		}
		hit = bsearch(&probe, keys, r->nconfigs, sizeof(*keys), cmp_keyed);
		free(probe.key);
		if (hit)
			c->one_process = (int)hit->idx;
	}
out_free_keys:
	for (size_t i = 0; i < r->nconfigs; i++)
		free(keys[i].key);
	free(keys);
	return err;
}

/* Row row's metric cells into m (sl_metric_ncolumns values, NAN where empty): every value a finite
 * number from 0 to SL_CMP_MAX_VALUE. 0 or -EINVAL (message printed). */
static int row_metrics(const struct sl_csv *csv, const struct sl_runs_layout *v, const char *path, size_t row,
		       double *m)
{

	for (size_t k = 0; k < sl_metric_ncolumns; k++)
		m[k] = NAN;
	for (size_t col = v->first_metric; col < v->status; col++) {
		const char *cell = csv->rows[row][col];
		double x;

		if (!cell[0])
			continue;
		if (!sl_parse_double(cell, &x)) {
			sl_err_at(path, csv->lines[row], "%s: '%.40s' is not a finite number", csv->header[col], cell);
			return -EINVAL;
		}
		if (x < 0 || x > SL_CMP_MAX_VALUE) {
			sl_err_at(path, csv->lines[row], "%s: %g is out of range (0 to %g)", csv->header[col], x,
				  SL_CMP_MAX_VALUE);
			return -EINVAL;
		}
		m[v->metric[col]] = x;
	}
	return 0;
}

/* One row of runs.csv into r: its configuration (added when new, else its axes checked against the
 * first row's), and for a measured repetition its status and, when ok, its metrics m. 0 or
 * -EINVAL/-ENOMEM (message printed). */
static int load_row(struct sl_cmp_run *r, const struct sl_csv *csv, const struct sl_runs_layout *v, const char *path,
		    size_t row, double *m, size_t *cap, size_t *hint)
{
	int line = csv->lines[row];
	const char *status = csv->rows[row][v->status];
	struct sl_cmp_config *c;
	long id, rep;

	if (!sl_parse_long(csv->rows[row][0], &id) || id < 0 || id > INT_MAX) {
		sl_err_at(path, line, "config '%.40s' is not a non-negative integer", csv->rows[row][0]);
		return -EINVAL;
	}
	if (!sl_parse_long(csv->rows[row][1], &rep) || rep < -1000000 || rep > 1000000) {
		sl_err_at(path, line, "rep '%.40s' is not an integer", csv->rows[row][1]);
		return -EINVAL;
	}
	if (!status[0]) {
		sl_err_at(path, line, "empty status");
		return -EINVAL;
	}
	if (row_metrics(csv, v, path, row, m) < 0)
		return -EINVAL;
	c = config_find(r, (int)id, hint);
	if (!c) {
		if (config_add(r, (int)id, line, csv, row, cap, &c) < 0) {
			sl_err_at(path, line, "out of memory");
			return -ENOMEM;
		}
		*hint = r->nconfigs - 1;
	} else {
		for (size_t a = 0; a < r->naxes; a++)
			if (strcmp(c->values[a], csv->rows[row][2 + a]) != 0) {
				sl_err_at(path, line, "config %ld: %s is '%.40s' here but '%.40s' on line %d", id,
					  r->axes[a], csv->rows[row][2 + a], c->values[a], c->line);
				return -EINVAL;
			}
	}
	if (rep < 0)
		return 0;   /* warm-up */
	c->nmeasured++;
	if (strcmp(status, "ok") != 0) {
		if (!c->first_bad[0])
			snprintf(c->first_bad, sizeof(c->first_bad), "%s", status);
		c->nfailed += is_failure(status);
		return 0;
	}
	if (isnan(m[sl_metric_column("wall_s")]) || m[sl_metric_column("wall_s")] <= 0) {
		sl_err_at(path, line, "status ok without a positive wall_s");
		return -EINVAL;
	}
	for (size_t k = 0; k < c->nok; k++)
		if (c->reps[k] == (int)rep) {
			sl_err_at(path, line, "config %ld: repetition %ld appears twice", id, rep);
			return -EINVAL;
		}
	if (config_add_ok(c, (int)rep, m) < 0) {
		sl_err_at(path, line, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* runs.csv (text, named path in messages) into r, its layout located by the results reader (sl_runs_parse). */
static int load_runs(struct sl_cmp_run *r, const char *path, const char *text, size_t len)
{
	struct sl_csv csv;
	struct sl_runs_layout v;
	double *m = NULL;
	size_t cap = 0, hint = 0;
	int err = sl_runs_parse(path, text, len, &csv, &v);

	if (err < 0)
		return err;
	m = malloc(sl_metric_ncolumns * sizeof(*m));
	r->naxes = v.naxes;
	r->axes = calloc(r->naxes ? r->naxes : 1, sizeof(*r->axes));
	if (!m || !r->axes) {
		err = -ENOMEM;
		sl_err_at(path, 0, "out of memory");
		goto out_free;
	}
	r->processes_axis = v.processes;
	for (size_t a = 0; a < r->naxes; a++)
		snprintf(r->axes[a], SL_NAME_LEN, "%s", csv.header[2 + a]);
	if (csv.nrows == 0) {
		sl_err_at(path, 2, "no rows after the header");
		err = -EINVAL;
		goto out_free;
	}
	for (size_t row = 0; row < csv.nrows && err == 0; row++)
		err = load_row(r, &csv, &v, path, row, m, &cap, &hint);
	if (err == 0) {
		err = index_configs(r, path);
		if (err == -ENOMEM)
			sl_err_at(path, 0, "out of memory");
	}
out_free:
	free(m);
	sl_runs_layout_free(&v);
	sl_csv_free(&csv);
	return err;
}

int sl_cmp_run_parse(struct sl_cmp_run *r, const char *dir, const char *meta, size_t metalen,
		     const char *runs, size_t runslen)
{
	char path[600];
	int err;

	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	err = load_meta(r, path, meta, metalen);
	if (err < 0)
		goto out_free_run;
	snprintf(path, sizeof(path), "%s/runs.csv", dir);
	err = load_runs(r, path, runs, runslen);
	if (err < 0)
		goto out_free_run;
	return 0;

out_free_run:
	sl_cmp_run_free(r);
	return err;
}

int sl_cmp_run_load(const char *dir, struct sl_cmp_run *r)
{
	char path[600];
	char *meta, *runs;
	size_t metalen, runslen;
	int err;

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	meta = sl_read_file_nofollow(path, &metalen);
	if (!meta) {
		err = -errno;
		sl_err_at(path, 0, "cannot read: %s", sl_strerror(errno));
		return err;
	}
	snprintf(path, sizeof(path), "%s/runs.csv", dir);
	runs = sl_read_file_nofollow(path, &runslen);
	if (!runs) {
		err = -errno;
		sl_err_at(path, 0, "cannot read: %s", sl_strerror(errno));
		goto out_free_meta;
	}
	err = sl_cmp_run_parse(r, dir, meta, metalen, runs, runslen);
	free(runs);
out_free_meta:
	free(meta);
	return err;
}
