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

static int usage_error(const char *fmt, const char *arg) __attribute__((format(printf, 1, 0)));
static int usage_error(const char *fmt, const char *arg)
{
	sl_err(fmt, arg);
	fprintf(stderr, "usage: speedlab compare BASE CUR [--threshold PCT] [--metric NAME]... [--cross-machine]\n"
			"                        [--no-calibration]\n"
			"                        [--json FILE] [--markdown FILE]\n"
			"       speedlab compare --history FILE [--window N] [--threshold PCT] [--json FILE]\n"
			"                        [--markdown FILE] [--plot-data DIR]\n"
			"       speedlab compare --record DIR --history FILE [--commit SHA] [--date ISO]\n");
	return SL_EXIT_USAGE;
}

static int parse_args(int argc, char **argv, struct compare_args *a)
{
	memset(a, 0, sizeof(*a));
	a->threshold = NAN;
	a->window = 50;
	sl_cmp_options_init(&a->o);
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(arg, "--cross-machine") == 0) {
			a->o.cross_machine = true;
			continue;
		}
		if (strcmp(arg, "--no-calibration") == 0) {
			a->no_calibration = true;
			continue;
		}
		if (arg[0] != '-' || strcmp(arg, "-") == 0) {
			if (a->npos == 2)
				return usage_error("compare: unexpected argument '%s'", arg);
			a->pos[a->npos++] = arg;
			continue;
		}
		if (!val)
			return usage_error("compare: %s needs a value", arg);
		i++;
		if (strcmp(arg, "--threshold") == 0) {
			if (!sl_parse_double(val, &a->threshold) || a->threshold < 0 || a->threshold > 1000)
				return usage_error("compare: --threshold '%s': expected a percentage between 0 and 1000", val);
		} else if (strcmp(arg, "--metric") == 0) {
			if (a->o.nmetrics >= SL_CMP_MAX_METRICS)
				return usage_error("compare: too many --metric (%s)", val);
			if (sl_cmp_metric_lookup(val, &a->o.metrics[a->o.nmetrics]) < 0)
				return SL_EXIT_USAGE;
			a->o.nmetrics++;
		} else if (strcmp(arg, "--json") == 0) {
			a->json = val;
		} else if (strcmp(arg, "--markdown") == 0) {
			a->markdown = val;
		} else if (strcmp(arg, "--history") == 0) {
			a->history = val;
		} else if (strcmp(arg, "--record") == 0) {
			a->record = val;
		} else if (strcmp(arg, "--plot-data") == 0) {
			a->plot_data = val;
		} else if (strcmp(arg, "--commit") == 0) {
			a->commit = val;
		} else if (strcmp(arg, "--date") == 0) {
			a->date = val;
		} else if (strcmp(arg, "--window") == 0) {
			if (!sl_parse_long(val, &a->window) || a->window < 6 || a->window > 100000)
				return usage_error("compare: --window '%s': expected a number of runs from 6 to 100000", val);
		} else {
			static const char *const opts[] = {
				"--threshold", "--metric", "--cross-machine", "--no-calibration", "--json", "--markdown", "--history",
				"--record", "--plot-data", "--commit", "--date", "--window", NULL,
			};
			const char *guess = sl_did_you_mean(arg, opts);

			if (guess) {
				sl_err("compare: unknown option '%s' (did you mean '%s'?)", arg, guess);
				return usage_error("compare: see 'speedlab compare --help'%s", "");
			}
			return usage_error("compare: unknown option '%s'", arg);
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
