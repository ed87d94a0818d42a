/* cmd_compare.c: `speedlab compare`: the regression verdict between two result directories, and
 * the history modes ci/regress uses (--record a run into history.csv, --history step detection).
 *
 *   compare BASE CUR [--threshold PCT] [--metric NAME]... [--cross-machine] [--json F] [--markdown F]
 *   compare --record DIR --history FILE [--commit SHA] [--date ISO] [--metric NAME]...
 *   compare --history FILE [--window N] [--threshold PCT] [--json F] [--markdown F] [--plot-data DIR]
 *
 * Exit: 0 no regression, 1 regression, 2 bad usage or input. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/changepoint.h"
#include "core/cmd.h"
#include "analysis/compare.h"
#include "analysis/compare_history.h"
#include "core/opts.h"
#include "core/speedlab.h"

struct compare_args {
	const char *pos[2];
	int npos;
	double threshold;            /* NAN: not given */
	const char *json, *markdown, *history, *record, *plot_data, *commit, *date;
	long window;
	bool no_calibration;
	struct sl_cmp_options o;
};

static int usage(void)
{
	fprintf(stderr, "usage: speedlab compare BASE CUR [--threshold PCT] [--metric NAME]... [--cross-machine]\n"
			"                        [--no-calibration]\n"
			"                        [--json FILE] [--markdown FILE]\n"
			"       speedlab compare --history FILE [--window N] [--threshold PCT] [--json FILE]\n"
			"                        [--markdown FILE] [--plot-data DIR]\n"
			"       speedlab compare --record DIR --history FILE [--commit SHA] [--date ISO]\n");
	return SL_EXIT_USAGE;
}

static int usage_error(const char *fmt, const char *arg) __attribute__((format(printf, 1, 0)));
static int usage_error(const char *fmt, const char *arg)
{
	sl_err(fmt, arg);
	return usage();
}

static int parse_args(int argc, char **argv, struct compare_args *a)
{
	enum { O_THRESHOLD = 256, O_METRIC, O_CROSS, O_NOCAL, O_JSON, O_MARKDOWN, O_HISTORY, O_RECORD, O_PLOT_DATA,
	       O_COMMIT, O_DATE, O_WINDOW };
	static const struct option longopts[] = {
		{ "threshold", required_argument, NULL, O_THRESHOLD }, { "metric", required_argument, NULL, O_METRIC },
		{ "cross-machine", no_argument, NULL, O_CROSS },        { "no-calibration", no_argument, NULL, O_NOCAL },
		{ "json", required_argument, NULL, O_JSON },            { "markdown", required_argument, NULL, O_MARKDOWN },
		{ "history", required_argument, NULL, O_HISTORY },      { "record", required_argument, NULL, O_RECORD },
		{ "plot-data", required_argument, NULL, O_PLOT_DATA },  { "commit", required_argument, NULL, O_COMMIT },
		{ "date", required_argument, NULL, O_DATE },            { "window", required_argument, NULL, O_WINDOW },
		{ NULL, 0, NULL, 0 },
	};
	struct sl_opts o;
	int c;

	memset(a, 0, sizeof(*a));
	a->threshold = NAN;
	a->window = 50;
	sl_cmp_options_init(&a->o);
	sl_opts_init(&o, "compare", argc, argv, "", longopts);
	while ((c = sl_opts_next(&o)) != SL_OPT_END) {
		const char *val = o.arg;

		switch (c) {
		case O_CROSS:
			a->o.cross_machine = true;
			break;
		case O_NOCAL:
			a->no_calibration = true;
			break;
		case SL_OPT_ARG:
			if (a->npos == 2)
				return usage_error("compare: unexpected argument '%s'", val);
			a->pos[a->npos++] = val;
			break;
		case O_THRESHOLD:
			if (!sl_parse_double(val, &a->threshold) || a->threshold < 0 || a->threshold > 1000)
				return usage_error("compare: --threshold '%s': expected a percentage between 0 and 1000", val);
			break;
		case O_METRIC:
			if (a->o.nmetrics >= SL_CMP_MAX_METRICS)
				return usage_error("compare: too many --metric (%s)", val);
			if (sl_cmp_metric_lookup(val, &a->o.metrics[a->o.nmetrics]) < 0)
				return SL_EXIT_USAGE;
			a->o.nmetrics++;
			break;
		case O_JSON:
			a->json = val;
			break;
		case O_MARKDOWN:
			a->markdown = val;
			break;
		case O_HISTORY:
			a->history = val;
			break;
		case O_RECORD:
			a->record = val;
			break;
		case O_PLOT_DATA:
			a->plot_data = val;
			break;
		case O_COMMIT:
			a->commit = val;
			break;
		case O_DATE:
			a->date = val;
			break;
		case O_WINDOW:
			if (!sl_parse_long(val, &a->window) || a->window < 6 || a->window > 100000)
				return usage_error("compare: --window '%s': expected a number of runs from 6 to 100000", val);
			break;
		default:
			return usage();
		}
	}
	return 0;
}

/* Write the output of fn(obj, f) to path atomically. 0 or exit code 2 (message printed). */
static int write_markdown(const char *path, void (*fn)(const void *, FILE *), const void *obj)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;

	if (!f) {
		sl_err_at(path, 0, "out of memory");
		return SL_EXIT_USAGE;
	}
	fn(obj, f);
	if (fclose(f) != 0) {
		free(buf);
		sl_err_at(path, 0, "out of memory");
		return SL_EXIT_USAGE;
	}
	err = sl_write_file_atomic(path, buf, len);
	free(buf);
	if (err < 0) {
		sl_err_at(path, 0, "cannot write: %s", sl_strerror(-err));
		return SL_EXIT_USAGE;
	}
	return 0;
}

static int write_json(const char *path, json_t *j)
{
	char *text;
	int err;

	if (!j) {
		sl_err_at(path, 0, "out of memory");
		return SL_EXIT_USAGE;
	}
	text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!text) {
		sl_err_at(path, 0, "out of memory");
		return SL_EXIT_USAGE;
	}
	err = sl_write_file_atomic(path, text, strlen(text));
	free(text);
	if (err < 0) {
		sl_err_at(path, 0, "cannot write: %s", sl_strerror(-err));
		return SL_EXIT_USAGE;
	}
	return 0;
}

static void cmp_markdown(const void *res, FILE *f)
{
	sl_cmp_markdown(res, f);
}

static void history_markdown(const void *h, FILE *f)
{
	sl_history_markdown(h, f);
}

static int do_compare(struct compare_args *a)
{
	struct sl_cmp_run base, cur;
	struct sl_cmp_result res;
	char ini[600];
	int rc = SL_EXIT_USAGE;

	if (sl_cmp_run_load(a->pos[0], &base) < 0)
		return SL_EXIT_USAGE;
	if (sl_cmp_run_load(a->pos[1], &cur) < 0)
		goto out_free_base;
	snprintf(ini, sizeof(ini), "%s/experiment.ini", a->pos[0]);
	if (sl_cmp_thresholds_load(&a->o, ini) < 0)
		goto out_free_cur;
	/* a baseline's calibration (speedlab baseline calibrate) overrides the experiment's thresholds */
	snprintf(ini, sizeof(ini), "%s/calibration.ini", a->pos[0]);
	if (!a->no_calibration && access(ini, F_OK) == 0) {
		char *text = sl_read_file(ini, NULL);
		int err;

		if (!text) {
			sl_err_at(ini, 0, "cannot read: %s", strerror(errno));
			goto out_free_cur;
		}
		err = sl_cmp_thresholds_parse(&a->o, ini, text);
		free(text);
		if (err < 0)
			goto out_free_cur;
		snprintf(a->o.thresholds_from, sizeof(a->o.thresholds_from), "%s", ini);
	}
	if (!isnan(a->threshold))
		a->o.threshold_pct = a->threshold;   /* the command line wins over the file's default */
	if (sl_cmp_compare(&base, &cur, &a->o, &res) < 0)
		goto out_free_cur;
	sl_cmp_markdown(&res, stdout);
	fflush(stdout);
	rc = sl_cmp_exit_code(&res);
	if (a->markdown && write_markdown(a->markdown, cmp_markdown, &res))
		rc = SL_EXIT_USAGE;
	if (a->json && write_json(a->json, sl_cmp_json(&res)))
		rc = SL_EXIT_USAGE;
	sl_cmp_result_free(&res);
out_free_cur:
	sl_cmp_run_free(&cur);
out_free_base:
	sl_cmp_run_free(&base);
	return rc;
}

static int do_record(struct compare_args *a)
{
	struct sl_cmp_run run;
	int n;

	if (sl_cmp_run_load(a->record, &run) < 0)
		return SL_EXIT_USAGE;
	n = sl_history_record(a->history, &run, &a->o, a->commit, a->date);
	sl_cmp_run_free(&run);
	if (n < 0)
		return SL_EXIT_USAGE;
	printf("%d row%s appended to %s\n", n, n == 1 ? "" : "s", a->history);
	return SL_EXIT_OK;
}

static int do_history(struct compare_args *a)
{
	struct sl_history h;
	struct sl_cp_options cpo;
	int rc;

	if (sl_history_load(a->history, &h) < 0)
		return SL_EXIT_USAGE;
	if (!isnan(a->threshold))
		a->o.threshold_pct = a->threshold;
	sl_cp_options_init(&cpo);
	if (sl_history_analyse(&h, (size_t)a->window, &a->o, &cpo) < 0) {
		sl_history_free(&h);
		return SL_EXIT_USAGE;
	}
	sl_history_markdown(&h, stdout);
	fflush(stdout);
	rc = sl_history_exit_code(&h);
	if (a->markdown && write_markdown(a->markdown, history_markdown, &h))
		rc = SL_EXIT_USAGE;
	if (a->json && write_json(a->json, sl_history_json(&h)))
		rc = SL_EXIT_USAGE;
	if (a->plot_data && sl_history_plot_data(&h, a->plot_data) < 0)
		rc = SL_EXIT_USAGE;
	sl_history_free(&h);
	return rc;
}

int sl_cmd_compare(int argc, char **argv)
{
	struct compare_args a;
	int rc = parse_args(argc, argv, &a);

	if (rc)
		return rc;
	if (a.record) {
		if (!a.history || a.npos)
			return usage_error("compare: --record DIR needs --history FILE and no BASE CUR%s", "");
		return do_record(&a);
	}
	if (a.history && a.npos == 0)
		return do_history(&a);
	if (a.npos != 2)
		return usage_error("compare: expected BASE and CUR result directories (or --history FILE)%s", "");
	if (a.history || a.plot_data || a.commit || a.date)
		return usage_error("compare: --history, --plot-data, --commit and --date are not for BASE CUR%s", "");
	return do_compare(&a);
}
