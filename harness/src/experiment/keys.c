/* keys.c: the scalar keys of [experiment], [mpi] and [compare], each checked with file:line. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/axis.h"
#include "experiment/experiment.h"
#include "experiment/experiment_internal.h"
#include "sys/placement.h"

static int get_long(const struct sl_entry *en, long min, long max, long *out)
{
	double v;
	char msg[160];

	if (!sl_exp_eval_number(en->value, &v, msg, sizeof(msg))) {
		sl_err_at(en->file, en->line, "%s = '%s': expected a number", en->key, en->value);
		return -EINVAL;
	}
	if (v != floor(v)) {
		sl_err_at(en->file, en->line, "%s = %s: must be a whole number", en->key, en->value);
		return -EINVAL;
	}
	if (v < (double)min || v > (double)max) {
		sl_err_at(en->file, en->line, "%s = %s: out of range [%ld, %ld]", en->key, en->value, min, max);
		return -EINVAL;
	}
	*out = (long)v;
	return 0;
}

static int get_double(const struct sl_entry *en, double min, double max, double *out)
{
	double v;

	if (!sl_parse_double(en->value, &v)) {
		sl_err_at(en->file, en->line, "%s = '%s': expected a number", en->key, en->value);
		return -EINVAL;
	}
	if (v < min || v > max) {
		sl_err_at(en->file, en->line, "%s = %s: out of range [%g, %g]", en->key, en->value, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int sl_exp_apply_experiment_key(struct sl_experiment *e, const struct sl_entry *en)
{
	long l;

	if (strcmp(en->key, "name") == 0) {
		if (!en->value[0] || strlen(en->value) >= sizeof(e->name) || strpbrk(en->value, "/ \t")) {
			char word[SL_NAME_LEN];

			/* the name becomes a directory name: suggest one */
			sl_strlcpy(word, en->value[0] ? en->value : "my-experiment", sizeof(word));
			for (char *p = word; *p; p++)
				if (*p == '/' || *p == ' ' || *p == '\t')
					*p = '-';
			sl_err_at(en->file, en->line, "name = '%s': must be a single word of at most %zu characters "
				  "(it names the result directory), e.g. name = %s", en->value, sizeof(e->name) - 1, word);
			return -EINVAL;
		}
		snprintf(e->name, sizeof(e->name), "%s", en->value);
	} else if (strcmp(en->key, "question") == 0) {
		snprintf(e->question, sizeof(e->question), "%s", en->value);
	} else if (strcmp(en->key, "metric") == 0) {
		if (sl_metric_better(en->value) == 0) {
			sl_err_at(en->file, en->line, "metric = '%s': not a metric with a direction (wall_s, "
				  "start_latency_ms, dispatch_us_per_task, gflops, gbps, pool_ms, ...)", en->value);
			return -EINVAL;
		}
		snprintf(e->metric, sizeof(e->metric), "%s", en->value);
	} else if (strcmp(en->key, "workload") == 0) {
		/* handled before everything else */
	} else if (strcmp(en->key, "repeats") == 0) {
		e->repeats_auto = strcmp(en->value, "auto") == 0;
		if (e->repeats_auto)
			return 0;
		if (get_long(en, 1, 100000, &l)) {
			sl_err_at(en->file, en->line, "repeats: a whole number, or auto (with min_repeats, max_repeats, "
				  "precision)");
			return -EINVAL;
		}
		e->repeats = (int)l;
	} else if (strcmp(en->key, "min_repeats") == 0 || strcmp(en->key, "max_repeats") == 0) {
		if (get_long(en, 1, 100000, &l))
			return -EINVAL;
		*(en->key[1] == 'i' ? &e->min_repeats : &e->max_repeats) = (int)l;
	} else if (strcmp(en->key, "precision") == 0) {
		struct sl_entry num = *en;
		size_t len = strlen(num.value);

		if (len && num.value[len - 1] == '%')
			num.value[len - 1] = '\0';
		if (get_double(&num, 0.01, 100, &e->precision_pct))
			return -EINVAL;
	} else if (strcmp(en->key, "precision_metric") == 0) {
		bool found = strcmp(en->value, "runtime") == 0;

		for (size_t i = 0; i < sl_metric_ncolumns && !found; i++)
			found = strcmp(sl_metric_columns[i].name, en->value) == 0;
		if (!found || strlen(en->value) >= sizeof(e->precision_metric)) {
			sl_err_at(en->file, en->line, "precision_metric = '%s': not a runs.csv metric column (such as "
				  "wall_s or cpu_user_s)", en->value);
			return -EINVAL;
		}
		snprintf(e->precision_metric, sizeof(e->precision_metric), "%s",
			 strcmp(en->value, "runtime") == 0 ? "wall_s" : en->value);
	} else if (strcmp(en->key, "warmup") == 0) {
		if (get_long(en, 0, 1000, &l))
			return -EINVAL;
		e->warmup = (int)l;
	} else if (strcmp(en->key, "timeout") == 0) {
		if (get_double(en, 0.001, 1e7, &e->timeout_s))
			return -EINVAL;
	} else if (strcmp(en->key, "seed") == 0) {
		char *end;

		errno = 0;
		e->seed = strtoull(en->value, &end, 0);
		if (errno || *end || !en->value[0] || en->value[0] == '-') {
			sl_err_at(en->file, en->line, "seed = '%s': expected a non-negative whole number", en->value);
			return -EINVAL;
		}
		e->seed_given = true;
	} else if (strcmp(en->key, "sample_hz") == 0) {
		if (get_double(en, 0, 1000, &e->sample_hz))
			return -EINVAL;
		/* the monitor also gives threads_peak and rss_peak_mb: a rate of 0 would silently mean 20 Hz */
		if (!(e->sample_hz > 0)) {
			sl_err_at(en->file, en->line, "sample_hz = %s: the monitor cannot be turned off; give a rate "
				  "above 0 and up to 1000 (samples per second; default 20)", en->value);
			return -EINVAL;
		}
	} else if (strcmp(en->key, "coordinator_cpus") == 0) {
		char msg[256];

		if (!sl_placement_check_cpus(en->value, msg, sizeof(msg))) {
			sl_err_at(en->file, en->line, "coordinator_cpus = '%s': %s", en->value, msg);
			return -EINVAL;
		}
		snprintf(e->coordinator_cpus, sizeof(e->coordinator_cpus), "%s", en->value);
	}
	return 0;
}

int sl_exp_apply_mpi_key(struct sl_experiment *e, const struct sl_entry *en)
{
	long l;

	if (strcmp(en->key, "hosts") == 0)
		snprintf(e->mpi_hosts, sizeof(e->mpi_hosts), "%s", en->value);
	else if (strcmp(en->key, "hostfile") == 0)
		snprintf(e->mpi_hostfile, sizeof(e->mpi_hostfile), "%s", en->value);
	else if (strcmp(en->key, "bind") == 0) {
		if (!sl_word_in(en->value, "none|core|hwthread|socket|numa")) {
			const char *cands[] = { "none", "core", "hwthread", "socket", "numa", NULL };
			const char *guess = sl_did_you_mean(en->value, cands);

			sl_err_at(en->file, en->line, "bind = '%s': expected one of none|core|hwthread|socket|numa%s%s%s",
				  en->value, guess ? " (did you mean '" : "", guess ? guess : "", guess ? "'?)" : "");
			return -EINVAL;
		}
		snprintf(e->mpi_bind, sizeof(e->mpi_bind), "%s", en->value);
	}
	else if (strcmp(en->key, "ranks_per_node") == 0) {
		if (get_long(en, 1, 100000, &l))
			return -EINVAL;
		e->mpi_ranks_per_node = (int)l;
	}
	return 0;
}

int sl_exp_apply_compare_key(struct sl_experiment *e, const struct sl_entry *en)
{
	char msg[256];

	if (sl_cmp_threshold_set(&e->compare, en->key, en->value, msg, sizeof(msg)) < 0) {
		sl_err_at(en->file, en->line, "%s", msg);
		return -EINVAL;
	}
	return 0;
}

