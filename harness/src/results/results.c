/* results.c: the result directory's files: runs.csv (append, crash-safe), summary.csv, read-back. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ini.h>

#include "analysis/findings.h"
#include "experiment/axis.h"
#include "results/results.h"
#include "core/stats.h"
#include "report/tables.h"

/* The level asked of the intervals in summary.csv; wall_s_ci_level and speedup_ci_level say the
 * level each one actually has (order statistics: 93.75% for [min, max] of 5 repetitions). */
#define SUMMARY_CI_LEVEL 0.95
#define UNSTABLE_CV 0.05

/* ---- runs.csv: writing ---- */

/* The header line of runs.csv for settings shaped like proto (malloc'd, no newline); NULL on ENOMEM. */
static char *runs_header(const struct sl_setting *proto)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	if (!m)
		return NULL;
	fputs("config,rep,workload", m);
	for (const struct sl_axis_def *a = sl_axes; a->name; a++) {
		fputc(',', m);
		sl_csv_put(m, a->name);
	}
	for (int i = 0; i < proto->nparams; i++) {
		fputc(',', m);
		sl_csv_put(m, proto->params[i].name);
	}
	for (size_t i = 0; i < sl_metric_ncolumns; i++)
		fprintf(m, ",%s", sl_metric_columns[i].name);
	fputs(",status", m);
	if (fclose(m) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

FILE *sl_runs_open(const char *dir, const struct sl_setting *proto)
{
	char path[PATH_MAX];
	char *header = NULL, *old = NULL;
	struct stat st;
	FILE *f;
	int fd, err;

	if (snprintf(path, sizeof(path), "%s/runs.csv", dir) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	header = runs_header(proto);
	if (!header) {
		errno = ENOMEM;
		return NULL;
	}
	fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0666);
	if (fd < 0) {
		err = errno;
		goto out_free;
	}
	if (fstat(fd, &st) < 0) {
		err = errno;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		err = SL_ENOTREG;
		goto out_close;
	}
	if (st.st_size > 0) {
		size_t len, hlen = strlen(header);
		char *last;

		old = sl_read_file_nofollow(path, &len);
		if (!old) {
			err = errno;
			goto out_close;
		}
		if (len < hlen + 1 || memcmp(old, header, hlen) != 0 || old[hlen] != '\n') {
			sl_err_at(path, 1, "the header differs from this experiment's columns (another experiment or speedlab version?)");
			err = EINVAL;
			goto out_close;
		}
		/* a crash mid-row leaves a partial last line: drop it, it is run again */
		last = memrchr(old, '\n', len);
		if ((size_t)(last - old) + 1 < len && ftruncate(fd, (off_t)(last - old) + 1) < 0) {
			err = errno;
			goto out_close;
		}
	}
	f = fdopen(fd, "a");
	if (!f) {
		err = errno;
		goto out_close;
	}
	if (st.st_size == 0) {
		fprintf(f, "%s\n", header);
		if (fflush(f) != 0 || fsync(fileno(f)) < 0) {
			err = errno;
			fclose(f);
			goto out_free;
		}
	}
	free(old);
	free(header);
	return f;

out_close:
	close(fd);
out_free:
	free(old);
	free(header);
	errno = err;
	return NULL;
}

int sl_runs_append(FILE *f, const struct sl_setting *s, int rep, const struct sl_metrics *m)
{
	char buf[SL_VALUE_LEN];

	fprintf(f, "%d,%d,", s->config, rep);
	sl_csv_put(f, s->workload);
	for (const struct sl_axis_def *a = sl_axes; a->name; a++) {
		sl_axis_text(s, a, buf, sizeof(buf));
		fputc(',', f);
		sl_csv_put(f, buf);
	}
	for (int i = 0; i < s->nparams; i++) {
		fputc(',', f);
		sl_csv_put(f, s->params[i].text);
	}
	for (size_t i = 0; i < sl_metric_ncolumns; i++) {
		fputc(',', f);
		sl_csv_put_num(f, sl_metric_get(m, &sl_metric_columns[i]));
	}
	fputc(',', f);
	sl_csv_put(f, m->status[0] ? m->status : "ok");
	fputc('\n', f);
	if (fflush(f) != 0)
		return errno ? -errno : -EIO;
	if (fsync(fileno(f)) < 0 && errno != EINVAL)   /* EINVAL: a pipe or similar, nothing to sync */
		return -errno;
	if (ferror(f))
		return -EIO;
	return 0;
}

/* ---- reading a result directory ---- */

static int load_csv_if_present(const char *path, struct sl_csv *csv, bool required)
{
	if (access(path, F_OK) < 0 && errno == ENOENT && !required) {
		memset(csv, 0, sizeof(*csv));
		return 0;
	}
	return sl_csv_read(path, csv, 0);   /* a torn last row is refused, as compare does */
}

/* Check that runs.csv has the columns every reader relies on. */
static int check_runs_columns(const struct sl_csv *csv)
{
	static const char *const need[] = { "config", "rep", "processes", "wall_s", "status", NULL };

	for (int i = 0; need[i]; i++)
		if (sl_csv_col(csv, need[i]) < 0) {
			sl_err_at(csv->path, 1, "missing column '%s'", need[i]);
			return -EINVAL;
		}
	return 0;
}

json_t *sl_json_load(const char *path, json_error_t *err)
{
	size_t len;
	char *text = sl_read_file_nofollow(path, &len);
	json_t *j;

	if (!text) {
		memset(err, 0, sizeof(*err));
		snprintf(err->text, sizeof(err->text), "cannot read: %s", sl_strerror(errno));
		return NULL;
	}
	j = json_loadb(text, len, 0, err);
	free(text);
	return j;
}

int sl_result_load(const char *dir, struct sl_result *r)
{
	char path[PATH_MAX];
	struct stat st;
	const char *name;
	int err;

	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "%s", dir);
	err = stat(dir, &st) < 0 ? -errno : (S_ISDIR(st.st_mode) ? 0 : -ENOTDIR);
	if (err < 0) {
		sl_err_at(dir, 0, "not a result directory: %s", sl_strerror(-err));
		return err;
	}
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	if (access(path, F_OK) == 0) {
		json_error_t jerr;

		r->meta = sl_json_load(path, &jerr);
		if (!r->meta) {
			sl_err_at(path, jerr.line, "%s", jerr.text);
			err = -EINVAL;
			goto out_free;
		}
	}
	snprintf(path, sizeof(path), "%s/runs.csv", dir);
	err = load_csv_if_present(path, &r->runs, true);
	if (err < 0)
		goto out_free;
	err = check_runs_columns(&r->runs);
	if (err < 0)
		goto out_free;
	snprintf(path, sizeof(path), "%s/summary.csv", dir);
	err = load_csv_if_present(path, &r->summary, false);
	if (err < 0)
		goto out_free;
	name = sl_result_meta_str(r, "experiment.name");
	if (!name)
		name = sl_result_meta_str(r, "name");
	if (!name && sl_result_ini_value(r, "experiment", "name", r->experiment, sizeof(r->experiment)))
		return 0;
	if (!name || !name[0]) {
		name = strrchr(dir, '/');
		name = name && name[1] ? name + 1 : dir;
	}
	snprintf(r->experiment, sizeof(r->experiment), "%s", name);
	return 0;

out_free:
	sl_result_free(r);
	return err;
}

void sl_result_free(struct sl_result *r)
{
	if (r->meta)
		json_decref(r->meta);
	sl_csv_free(&r->runs);
	sl_csv_free(&r->summary);
	r->meta = NULL;
}

struct ini_lookup {
	const char *section, *key;
	char *out;
	size_t len;
	bool found;
};

static int ini_lookup_handler(void *user, const char *section, const char *name, const char *value)
{
	struct ini_lookup *l = user;

	if (!l->found && strcmp(section, l->section) == 0 && strcmp(name, l->key) == 0) {
		snprintf(l->out, l->len, "%s", value);
		l->found = true;
	}
	return 1;
}

bool sl_result_ini_value(const struct sl_result *r, const char *section, const char *key, char *out, size_t len)
{
	char path[PATH_MAX];
	struct ini_lookup l = { section, key, out, len, false };

	char *text;

	snprintf(path, sizeof(path), "%s/experiment.ini", r->dir);
	text = sl_read_file_nofollow(path, NULL);   /* a FIFO or a link there: no value */
	if (!text)
		return false;
	ini_parse_string(text, ini_lookup_handler, &l);   /* best effort: a broken file just has no value */
	free(text);
	return l.found && out[0];
}

const char *sl_result_meta_str(const struct sl_result *r, const char *dotted)
{
	json_t *v = sl_json_path(r->meta, dotted);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

json_t *sl_json_path(json_t *root, const char *dotted)
{
	char key[128];
	const char *p = dotted;

	while (root && *p) {
		size_t n = strcspn(p, ".");

		if (n >= sizeof(key) || !json_is_object(root))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		root = json_object_get(root, key);
		p += n;
		if (*p == '.')
			p++;
	}
	return root;
}

int sl_result_logical_cpus(json_t *meta)
{
	/* the one reading of meta.json's machine (findings.h), never this machine's: 0 when unknown */
	struct sl_machine m;

	sl_machine_from_meta(meta, &m);
	return m.logical;
}

/* ---- summary.csv ---- */

struct cfg {
	long id;
	size_t first;            /* a row of runs.csv holding its axes */
	long processes;
	size_t runs, ok;
	double *wall;            /* wall_s of the ok measured runs */
	size_t nwall;
	size_t *okrows;          /* the rows of those runs */
	char status[SL_STATUS_LEN];
	char fail[4][SL_STATUS_LEN]; /* distinct failure statuses, with how many runs had each */
	size_t fail_count[4], fail_other;
	int nfail;
	int series;
	double median, speedup, lo, hi, level;   /* level: the actual coverage of [lo, hi] */
	bool oversubscribed;
};

struct summary_ctx {
	const struct sl_csv *runs;
	int col_config, col_rep, col_proc, col_status, col_wall, col_first_metric;
	int naxes;               /* axis columns: between rep and the first metric */
	bool *varies;            /* per axis column */
	size_t ncfg;
	struct cfg *cfg;
	char **series;           /* distinct series names, in first-seen order */
	int nseries;
	int logical;
};

static int cmp_cfg(const void *a, const void *b)
{
	const struct cfg *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static struct cfg *find_cfg(struct summary_ctx *c, long id)
{
	struct cfg key = { .id = id };

	return c->ncfg ? bsearch(&key, c->cfg, c->ncfg, sizeof(*c->cfg), cmp_cfg) : NULL;
}

/* A row's configuration and repetition, for grouping and finding a pair written twice. */
struct rowkey {
	long id, rep;
	size_t row;
};

static int cmp_rowkey(const void *a, const void *b)
{
	const struct rowkey *x = a, *y = b;

	if (x->id != y->id)
		return (x->id > y->id) - (x->id < y->id);
	if (x->rep != y->rep)
		return (x->rep > y->rep) - (x->rep < y->rep);
	return (x->row > y->row) - (x->row < y->row);
}

/* Parse every row's configuration and repetition, refuse a measured (config, rep) pair written
 * twice (two runs wrote into one directory), and make c->cfg: one entry per configuration, sorted
 * by id, with room for its rows. Returns 0 or -EINVAL/-ENOMEM (message printed). */
static int make_cfgs(struct summary_ctx *c)
{
	const struct sl_csv *runs = c->runs;
	struct rowkey *k = malloc((runs->nrows ? runs->nrows : 1) * sizeof(*k));
	size_t ncfg = 0;
	int err = 0;

	if (!k)
		return -ENOMEM;
	for (size_t r = 0; r < runs->nrows; r++) {
		k[r].row = r;
		if (!sl_parse_long(sl_csv_cell(runs, r, c->col_config), &k[r].id) || k[r].id < 0) {
			sl_err_at(runs->path, runs->lines[r], "config '%s' is not a configuration number",
				  sl_csv_cell(runs, r, c->col_config));
			err = -EINVAL;
			goto out_free;
		}
		if (!sl_parse_long(sl_csv_cell(runs, r, c->col_rep), &k[r].rep)) {
			sl_err_at(runs->path, runs->lines[r], "rep '%s' is not a number", sl_csv_cell(runs, r, c->col_rep));
			err = -EINVAL;
			goto out_free;
		}
	}
	qsort(k, runs->nrows, sizeof(*k), cmp_rowkey);
	for (size_t i = 0; i < runs->nrows; i++)
		ncfg += i == 0 || k[i].id != k[i - 1].id;
	c->cfg = calloc(ncfg ? ncfg : 1, sizeof(*c->cfg));
	if (!c->cfg) {
		err = -ENOMEM;
		goto out_free;
	}
	for (size_t i = 0; i < runs->nrows; i++) {
		size_t n = 1;

		if (i > 0 && k[i].id == k[i - 1].id && k[i].rep == k[i - 1].rep && k[i].rep >= 0) {
			sl_err_at(runs->path, runs->lines[k[i].row],
				  "configuration %ld repetition %ld is also on line %d (two runs wrote into this directory?)",
				  k[i].id, k[i].rep, runs->lines[k[i - 1].row]);
			err = -EINVAL;
			goto out_free;
		}
		if (i > 0 && k[i].id == k[i - 1].id)
			continue;
		while (i + n < runs->nrows && k[i + n].id == k[i].id)
			n++;
		c->cfg[c->ncfg] = (struct cfg){ .id = k[i].id, .first = SIZE_MAX };
		c->cfg[c->ncfg].wall = malloc(n * sizeof(double));
		c->cfg[c->ncfg].okrows = malloc(n * sizeof(size_t));
		if (!c->cfg[c->ncfg].wall || !c->cfg[c->ncfg].okrows) {
			free(c->cfg[c->ncfg].wall);
			free(c->cfg[c->ncfg].okrows);
			err = -ENOMEM;
			goto out_free;
		}
		c->ncfg++;
	}

out_free:
	free(k);
	return err;
}

/* Group the rows of runs.csv by configuration. Returns 0 or -EINVAL/-ENOMEM (message printed). */
static int group_rows(struct summary_ctx *c)
{
	const struct sl_csv *runs = c->runs;
	int err = make_cfgs(c);

	if (err < 0)
		return err;
	for (size_t r = 0; r < runs->nrows; r++) {
		long id, rep, procs;
		struct cfg *g;
		const char *status = sl_csv_cell(runs, r, c->col_status);

		sl_parse_long(sl_csv_cell(runs, r, c->col_config), &id);
		sl_parse_long(sl_csv_cell(runs, r, c->col_rep), &rep);
		if (!sl_parse_long(sl_csv_cell(runs, r, c->col_proc), &procs) || procs < 1) {
			sl_err_at(runs->path, runs->lines[r], "processes '%s' is not a positive number",
				  sl_csv_cell(runs, r, c->col_proc));
			return -EINVAL;
		}
		g = find_cfg(c, id);
		if (g->first == SIZE_MAX) {
			g->first = r;
			g->processes = procs;
		} else if (procs != g->processes) {
			sl_err_at(runs->path, runs->lines[r], "configuration %ld has processes %ld here and %ld on line %d",
				  id, procs, g->processes, runs->lines[g->first]);
			return -EINVAL;
		}
		if (rep < 0)
			continue;   /* warm-up */
		g->runs++;
		if (strcmp(status, "ok") == 0) {
			double w = sl_csv_num(runs, r, c->col_wall);

			g->okrows[g->ok++] = r;
			if (!isnan(w))
				g->wall[g->nwall++] = w;
		} else {
			int k;

			if (!status[0])
				status = "error:empty status";
			for (k = 0; k < g->nfail && strcmp(g->fail[k], status) != 0; k++)
				;
			if (k == g->nfail && k < 4)
				snprintf(g->fail[g->nfail++], sizeof(g->fail[0]), "%s", status);
			if (k < g->nfail)
				g->fail_count[k]++;
			else
				g->fail_other++;
		}
	}
	/* no run yet (interrupted at once): cfg is NULL, which qsort may not be given */
	if (c->ncfg)
		qsort(c->cfg, c->ncfg, sizeof(*c->cfg), cmp_cfg);
	for (size_t i = 0; i < c->ncfg; i++) {
		struct cfg *g = &c->cfg[i];

		if (g->runs == 0) {
			snprintf(g->status, sizeof(g->status), "incomplete");
		} else if (g->ok == g->runs) {
			snprintf(g->status, sizeof(g->status), "ok");
		} else if (g->ok == 0 && g->nfail == 1) {
			snprintf(g->status, sizeof(g->status), "%s", g->fail[0]);
		} else {
			/* "hang ×2, crash:SIGKILL ×1 (2 of 5 ok)" */
			size_t used = 0, len = sizeof(g->status);

			for (int k = 0; k < g->nfail; k++)
				used += (size_t)snprintf(g->status + used, used < len ? len - used : 0, "%s%.40s ×%zu",
							 k ? ", " : "", g->fail[k], g->fail_count[k]);
			if (g->fail_other)
				used += (size_t)snprintf(g->status + used, used < len ? len - used : 0, ", other ×%zu",
							 g->fail_other);
			if (g->ok > 0)
				snprintf(g->status + used, used < len ? len - used : 0, " (%zu of %zu ok)", g->ok, g->runs);
		}
	}
	return 0;
}

/* Which axes vary, and the series name of every configuration. Returns 0 or -ENOMEM. */
static int find_series(struct summary_ctx *c)
{
	const struct sl_csv *runs = c->runs;

	c->varies = calloc((size_t)c->naxes + 1, sizeof(bool));
	if (!c->varies)
		return -ENOMEM;
	for (int a = 0; a < c->naxes; a++) {
		int col = c->col_rep + 1 + a;

		if (col == c->col_proc)
			continue;
		for (size_t r = 1; r < runs->nrows && !c->varies[a]; r++)
			if (strcmp(sl_csv_cell(runs, r, col), sl_csv_cell(runs, 0, col)) != 0)
				c->varies[a] = true;
	}
	c->series = calloc(c->ncfg + 1, sizeof(char *));
	if (!c->series)
		return -ENOMEM;
	for (size_t i = 0; i < c->ncfg; i++) {
		struct cfg *g = &c->cfg[i];
		char name[1024] = "";
		size_t used = 0;
		int s;

		for (int a = 0; a < c->naxes; a++) {
			int col = c->col_rep + 1 + a;

			if (!c->varies[a])
				continue;
			used += (size_t)snprintf(name + used, used < sizeof(name) ? sizeof(name) - used : 0, "%s%s=%s",
						 used ? " " : "", runs->header[col], sl_csv_cell(runs, g->first, col));
			if (used >= sizeof(name))
				used = sizeof(name) - 1;
		}
		if (!name[0])
			snprintf(name, sizeof(name), "all");
		for (s = 0; s < c->nseries; s++)
			if (strcmp(c->series[s], name) == 0)
				break;
		if (s == c->nseries) {
			c->series[s] = strdup(name);
			if (!c->series[s])
				return -ENOMEM;
			c->nseries++;
		}
		g->series = s;
	}
	return 0;
}

/* Median of metric column col over the ok measured rows of configuration g (NAN when none). */
static double metric_median(const struct summary_ctx *c, const struct cfg *g, int col)
{
	double *v, med;

	if (col < 0 || g->ok == 0)
		return NAN;
	v = malloc(g->ok * sizeof(double));
	if (!v)
		return NAN;
	for (size_t i = 0; i < g->ok; i++)
		v[i] = sl_csv_num(c->runs, g->okrows[i], col);
	med = sl_stats_median(v, g->ok);
	free(v);
	return med;
}

/* Threads per worker process for the oversubscription flag: what the library ran, as the worker
 * reported it (threads_lib), when it ran more than was asked for (a limit that did not reach it);
 * else a number as given; `auto` as cores/processes; `unset` as the library's own default
 * (threads_lib), else the busy threads seen (a workload without a threading library stays
 * single-threaded). */
static double threads_per_process(const struct summary_ctx *c, const struct cfg *g)
{
	int col = sl_csv_col(c->runs, "threads");
	const char *t = sl_csv_cell(c->runs, g->first, col);
	double v = metric_median(c, g, sl_csv_col(c->runs, "threads_lib"));
	long n;

	if (sl_parse_long(t, &n) && n > 0)
		return v > n ? v : (double)n;
	if (strcmp(t, "auto") == 0) {
		double want = c->logical / g->processes > 1 ? (double)(c->logical / g->processes) : 1.0;

		return v > want ? v : want;
	}
	if (v > 0)
		return v;
	/* no library count: the threads that compete are the busy ones, not idle helpers (Open MPI's
	 * progress threads, a Pool's handler threads): busy threads per process, from the CPU they used */
	v = metric_median(c, g, sl_csv_col(c->runs, "cores_busy"));
	if (v > 0)
		return fmax(1.0, ceil(v / g->processes - 0.25));
	return 1.0;
}

static void put_num(FILE *f, double v)
{
	fputc(',', f);
	sl_csv_put_num(f, v);
}

static void write_summary(struct summary_ctx *c, FILE *f)
{
	const struct sl_csv *runs = c->runs;

	/* header */
	fputs("config,series", f);
	for (int a = 0; a < c->naxes; a++) {
		fputc(',', f);
		sl_csv_put(f, runs->header[c->col_rep + 1 + a]);
	}
	fputs(",runs,ok,status,wall_s_median,wall_s_min,wall_s_max,wall_s_mad,wall_s_ci_lo,wall_s_ci_hi,"
	      "wall_s_cv,unstable,outliers,speedup,speedup_ci_lo,speedup_ci_hi,efficiency,karp_flatt,"
	      "amdahl_serial,oversubscribed,wall_s_ci_level,speedup_ci_level", f);
	for (size_t m = 0; m < sl_metric_ncolumns; m++)
		if (strcmp(sl_metric_columns[m].name, "wall_s") != 0)
			fprintf(f, ",%s_median", sl_metric_columns[m].name);
	fputc('\n', f);

	/* medians and speedups first: the Amdahl fit needs the whole series */
	for (size_t i = 0; i < c->ncfg; i++) {
		struct cfg *g = &c->cfg[i];

		g->median = sl_stats_median(g->wall, g->nwall);
		/* CPUs unknown (no sysinfo in meta.json): nothing is called oversubscribed */
		g->oversubscribed = c->logical > 0 &&
				    (double)g->processes * threads_per_process(c, g) > (double)c->logical;
		/* the threads that compete for the CPUs are the busy ones: a waiting workload that leaves
		 * cores idle is not oversubscribed, whatever its thread count (findings.h says the same) */
		{
			double busy = metric_median(c, g, sl_csv_col(c->runs, "cores_busy"));

			if (!isnan(busy) && busy < 0.85 * c->logical)
				g->oversubscribed = false;
		}
	}
	for (size_t i = 0; i < c->ncfg; i++) {
		struct cfg *g = &c->cfg[i], *base = NULL;

		g->speedup = g->lo = g->hi = g->level = NAN;
		for (size_t j = 0; j < c->ncfg; j++)
			if (c->cfg[j].series == g->series && c->cfg[j].processes == 1)
				base = &c->cfg[j];
		if (!base || isnan(base->median) || isnan(g->median) || g->median <= 0)
			continue;
		g->speedup = base->median / g->median;
		/* built like the runtime's interval: from the two medians' order-statistic CIs */
		g->level = sl_stats_median_ratio_ci(base->wall, base->nwall, g->wall, g->nwall, SUMMARY_CI_LEVEL,
						    &g->lo, &g->hi);
	}

	for (size_t i = 0; i < c->ncfg; i++) {
		struct cfg *g = &c->cfg[i];
		double lo = NAN, hi = NAN, level = NAN, cv = NAN, amdahl;
		size_t outliers = 0, nser = 0;
		int *sp = malloc(c->ncfg * sizeof(int));
		double *ss = malloc(c->ncfg * sizeof(double));

		/* Amdahl's law assumes a core per process: oversubscribed points would read contention
		 * for the CPUs as serial work, so the fit leaves them out */
		size_t distinct = 0;

		if (sp && ss)
			for (size_t j = 0; j < c->ncfg; j++)
				if (c->cfg[j].series == g->series && !c->cfg[j].oversubscribed && !isnan(c->cfg[j].speedup)) {
					bool seen = false;

					for (size_t k = 0; k < nser; k++)
						seen |= sp[k] == (int)c->cfg[j].processes;
					distinct += !seen;
					sp[nser] = (int)c->cfg[j].processes;
					ss[nser++] = c->cfg[j].speedup;
				}
		/* a fit needs at least 3 process counts: through 2 points any curve fits */
		amdahl = sp && ss && distinct >= 3 ? sl_stats_amdahl_fit(sp, ss, nser) : NAN;
		free(sp);
		free(ss);
		if (g->nwall > 0) {
			level = sl_stats_median_ci(g->wall, g->nwall, SUMMARY_CI_LEVEL, &lo, &hi);
			outliers = sl_stats_outliers(g->wall, g->nwall, NULL);
		}
		if (g->nwall > 1)
			cv = sl_stats_cv(g->wall, g->nwall);

		fprintf(f, "%ld,", g->id);
		sl_csv_put(f, c->series[g->series]);
		for (int a = 0; a < c->naxes; a++) {
			fputc(',', f);
			sl_csv_put(f, sl_csv_cell(runs, g->first, c->col_rep + 1 + a));
		}
		fprintf(f, ",%zu,%zu,", g->runs, g->ok);
		sl_csv_put(f, g->status);
		put_num(f, g->median);
		put_num(f, sl_stats_min(g->wall, g->nwall));
		put_num(f, sl_stats_max(g->wall, g->nwall));
		put_num(f, sl_stats_mad(g->wall, g->nwall));
		put_num(f, lo);
		put_num(f, hi);
		put_num(f, cv);
		if (isnan(cv))
			fputc(',', f);
		else
			fprintf(f, ",%d", cv > UNSTABLE_CV);
		if (g->nwall > 0)
			fprintf(f, ",%zu", outliers);
		else
			fputc(',', f);
		put_num(f, g->speedup);
		put_num(f, g->lo);
		put_num(f, g->hi);
		put_num(f, g->speedup / (double)g->processes);
		put_num(f, sl_stats_karp_flatt(g->speedup, (int)g->processes));
		put_num(f, amdahl);
		fprintf(f, ",%d", g->oversubscribed);
		put_num(f, level);
		put_num(f, g->level);
		for (size_t m = 0; m < sl_metric_ncolumns; m++)
			if (strcmp(sl_metric_columns[m].name, "wall_s") != 0)
				put_num(f, metric_median(c, g, sl_csv_col(runs, sl_metric_columns[m].name)));
		fputc('\n', f);
	}
}

static void summary_ctx_free(struct summary_ctx *c)
{
	for (size_t i = 0; i < c->ncfg; i++) {
		free(c->cfg[i].wall);
		free(c->cfg[i].okrows);
	}
	free(c->cfg);
	for (int s = 0; s < c->nseries; s++)
		free(c->series[s]);
	free(c->series);
	free(c->varies);
}

int sl_summary_text(const char *dir, char **text, size_t *len)
{
	struct sl_result r;
	struct summary_ctx c = { 0 };
	FILE *m;
	int err;

	*text = NULL;
	*len = 0;
	err = sl_result_load(dir, &r);
	if (err < 0)
		return err;
	c.runs = &r.runs;
	c.col_config = sl_csv_col(&r.runs, "config");
	c.col_rep = sl_csv_col(&r.runs, "rep");
	c.col_proc = sl_csv_col(&r.runs, "processes");
	c.col_status = sl_csv_col(&r.runs, "status");
	c.col_wall = sl_csv_col(&r.runs, "wall_s");
	c.col_first_metric = sl_csv_col(&r.runs, sl_metric_columns[0].name);
	c.naxes = c.col_first_metric - c.col_rep - 1;
	if (c.col_config != 0 || c.col_rep != 1 || c.naxes < 1 || c.col_proc <= c.col_rep ||
	    c.col_proc >= c.col_first_metric) {
		sl_err_at(r.runs.path, 1, "columns out of order: expected config, rep, the axes, then the metrics");
		err = -EINVAL;
		goto out_free;
	}
	c.logical = sl_result_logical_cpus(r.meta);
	err = group_rows(&c);
	if (err < 0)
		goto out_free;
	err = find_series(&c);
	if (err < 0)
		goto out_free;
	m = open_memstream(text, len);
	if (!m) {
		err = -errno;
		goto out_free;
	}
	write_summary(&c, m);
	if (fclose(m) != 0) {
		err = -ENOMEM;
		free(*text);
		*text = NULL;
	}
out_free:
	if (err == -ENOMEM)
		sl_err_at(r.runs.path, 0, "out of memory");
	summary_ctx_free(&c);
	sl_result_free(&r);
	return err;
}

int sl_summary_write(const char *dir)
{
	char path[PATH_MAX];
	char *text, *md = NULL;
	size_t len, mdlen = 0;
	struct sl_result r;
	FILE *m;
	int err;

	err = sl_summary_text(dir, &text, &len);
	if (err < 0)
		return err;
	snprintf(path, sizeof(path), "%s/summary.csv", dir);
	err = sl_write_file_atomic(path, text, len);
	free(text);
	if (err < 0) {
		sl_err_at(path, 0, "cannot write: %s", sl_strerror(-err));
		return err;
	}
	err = sl_result_load(dir, &r);
	if (err < 0)
		return err;
	m = open_memstream(&md, &mdlen);
	if (!m) {
		err = -errno;
		goto out_free;
	}
	err = sl_tables_markdown(&r, m);
	if (fclose(m) != 0 && err == 0)
		err = -ENOMEM;
	if (err < 0)
		goto out_free;
	snprintf(path, sizeof(path), "%s/tables.md", dir);
	err = sl_write_file_atomic(path, md, mdlen);
	if (err < 0)
		sl_err_at(path, 0, "cannot write: %s", sl_strerror(-err));
out_free:
	free(md);
	sl_result_free(&r);
	return err;
}
