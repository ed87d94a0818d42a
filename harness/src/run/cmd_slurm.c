/* cmd_slurm.c: `speedlab slurm EXP.ini`: an sbatch script that runs the experiment on a Slurm allocation
 * (one job; with --split AXIS a job array, one element per value of AXIS; with --resume DIR a job
 * that finishes an interrupted run). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/cmd.h"
#include "core/launcher.h"
#include "experiment/experiment.h"
#include "core/opts.h"
#include "core/speedlab.h"

#define MAX_SETS 32
#define DEFAULT_TIME_S 3600.0     /* when the experiment sets no timeout to bound it with */
#define MAX_TIME_S (24 * 3600.0)  /* a longer bound is almost surely an overestimate: ask for --time */

struct slurm_args {
	const char *exp;
	const char *out_file;         /* -o: the script; NULL: stdout */
	const char *time;             /* --time */
	const char *partition;
	const char *account;
	const char *run_out;          /* --out, passed to `speedlab run` (--split: the elements' parent) */
	const char *resume;           /* --resume DIR: the job continues that run */
	const char *split;            /* --split AXIS: a job array, one element per value of AXIS */
	int nodes;                    /* 0: derived */
	int ntasks;                   /* 0: derived */
	char profile[16];
	char *sets[MAX_SETS];
	int nsets;
};

static void usage_error(const char *what, const char *arg)
{
	sl_err("slurm: %s '%s' (usage: speedlab slurm EXP.ini [--nodes N] [--ntasks N] [--time HH:MM:SS] [--partition P] "
	       "[--account A] [-o FILE] [--profile quick|full] [--set key=value]... [--out DIR] [--split AXIS]; "
	       "or: speedlab slurm --resume DIR [options])", what, arg);
}

/* Slurm's time formats: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS. */
static bool slurm_time_ok(const char *t)
{
	int fields = 0, digits = 0;
	bool day = false;

	for (const char *p = t;; p++) {
		if (*p >= '0' && *p <= '9') {
			digits++;
			continue;
		}
		if (digits == 0)
			return false;
		digits = 0;
		if (*p == '-') {
			if (day || fields > 0)
				return false;
			day = true;
			continue;
		}
		fields++;
		if (*p == '\0')
			break;
		if (*p != ':')
			return false;
	}
	return fields <= 3 && (!day || fields >= 1);
}

static int parse_args(int argc, char **argv, struct slurm_args *a)
{
	enum { O_NODES = 256, O_NTASKS, O_TIME, O_PARTITION, O_ACCOUNT, O_OUT, O_RESUME, O_SPLIT, O_PROFILE, O_SET };
	static const struct option longopts[] = {
		{ "nodes", required_argument, NULL, O_NODES },         { "ntasks", required_argument, NULL, O_NTASKS },
		{ "time", required_argument, NULL, O_TIME },           { "partition", required_argument, NULL, O_PARTITION },
		{ "account", required_argument, NULL, O_ACCOUNT },     { "out", required_argument, NULL, O_OUT },
		{ "resume", required_argument, NULL, O_RESUME },       { "split", required_argument, NULL, O_SPLIT },
		{ "profile", required_argument, NULL, O_PROFILE },     { "set", required_argument, NULL, O_SET },
		{ NULL, 0, NULL, 0 },
	};
	struct sl_opts o;
	int c;

	memset(a, 0, sizeof(*a));
	sl_opts_init(&o, "slurm", argc, argv, "o:", longopts);
	while ((c = sl_opts_next(&o)) != SL_OPT_END) {
		long l;

		switch (c) {
		case O_NODES:
			if (!sl_parse_long(o.arg, &l) || l < 1 || l > 100000) {
				usage_error("bad --nodes", o.arg);
				return -EINVAL;
			}
			a->nodes = (int)l;
			break;
		case O_NTASKS:
			if (!sl_parse_long(o.arg, &l) || l < 1 || l > 10000000) {
				usage_error("bad --ntasks", o.arg);
				return -EINVAL;
			}
			a->ntasks = (int)l;
			break;
		case O_TIME:
			a->time = o.arg;
			if (!slurm_time_ok(a->time)) {
				usage_error("bad --time (Slurm takes MM, HH:MM:SS or D-HH:MM:SS)", a->time);
				return -EINVAL;
			}
			break;
		case O_PARTITION:
			a->partition = o.arg;
			break;
		case O_ACCOUNT:
			a->account = o.arg;
			break;
		case 'o':
			a->out_file = o.arg;
			break;
		case O_OUT:
			a->run_out = o.arg;
			break;
		case O_RESUME:
			a->resume = o.arg;
			break;
		case O_SPLIT:
			a->split = o.arg;
			break;
		case O_PROFILE:
			if (strcmp(o.arg, "quick") != 0 && strcmp(o.arg, "full") != 0) {
				usage_error("unknown profile", o.arg);
				return -EINVAL;
			}
			snprintf(a->profile, sizeof(a->profile), "%s", o.arg);
			break;
		case O_SET:
			if (a->nsets >= MAX_SETS) {
				usage_error("too many --set options at", o.arg);
				return -EINVAL;
			}
			a->sets[a->nsets++] = o.arg;
			break;
		case SL_OPT_ARG:
			if (a->exp) {
				usage_error("more than one experiment file at", o.arg);
				return -EINVAL;
			}
			a->exp = o.arg;
			break;
		default:
			return -EINVAL;
		}
	}
	if (a->resume) {
		/* the run recorded its effective experiment: nothing about it may change */
		const char *clash = a->exp ? a->exp : a->profile[0] ? "--profile" : a->nsets ? "--set" :
				    a->run_out ? "--out" : a->split ? "--split" : NULL;

		if (clash) {
			usage_error("--resume continues the recorded experiment of its directory; it takes no", clash);
			return -EINVAL;
		}
		return 0;
	}
	if (!a->exp) {
		usage_error("no experiment file", "");
		return -EINVAL;
	}
	return 0;
}

/* Write s to f in single quotes, safe for bash whatever it holds. */
static void put_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

/* A #SBATCH value must be one word: Slurm reads the directive up to white space. */
static bool one_word(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\'' || *s == '"' || *s == '#')
			return false;
	return true;
}

static void format_time(double secs, char *out, size_t len)
{
	long s = (long)secs;

	if (s >= 86400)
		snprintf(out, len, "%ld-%02ld:%02ld:%02ld", s / 86400, s % 86400 / 3600, s % 3600 / 60, s % 60);
	else
		snprintf(out, len, "%02ld:%02ld:%02ld", s / 3600, s % 3600 / 60, s % 60);
}

/* What the allocation must hold, from every configuration of the experiment. With --split every
 * element of the array gets the same resources (Slurm's rule for arrays): the largest element's. */
struct needs {
	long nconfigs;            /* per job (--split: the largest element) */
	long mpi_configs;
	int max_processes;        /* over all configurations */
	int max_mpi_ranks;        /* P + 1 over the mpi configurations */
	bool local_symbols;       /* processes uses cores/physical: evaluated on this machine */
};

/* Whether s's start method runs its processes as job tasks, rank 0 coordinating (mpi): processes + 1. */
static bool extra_rank(const struct sl_setting *s)
{
	const struct sl_launcher_ops *l = sl_launcher_find(s->start_method);

	return l && (l->engine_flags & SL_LAUNCH_EXTRA_RANK);
}

/* Add e's configurations to n (zeroed by the caller): each field becomes the largest seen. */
static int scan_configs(const struct sl_experiment *e, struct needs *n)
{
	struct sl_setting *s = calloc(1, sizeof(*s));
	long nconfigs = sl_experiment_nconfigs(e), mpi_configs = 0;
	char msg[256];

	if (!s)
		return -ENOMEM;
	for (long c = 0; c < nconfigs; c++) {
		if (sl_experiment_setting(e, c, s, msg, sizeof(msg)) < 0) {
			sl_err_at(e->file, 0, "configuration %ld: %s", c, msg);
			free(s);
			return -EINVAL;
		}
		if (s->processes > n->max_processes)
			n->max_processes = s->processes;
		if (extra_rank(s)) {
			mpi_configs++;
			if (s->processes + 1 > n->max_mpi_ranks)
				n->max_mpi_ranks = s->processes + 1;
		}
	}
	free(s);
	if (nconfigs > n->nconfigs)
		n->nconfigs = nconfigs;
	if (mpi_configs > n->mpi_configs)
		n->mpi_configs = mpi_configs;
	for (int i = 0; i < e->nentries; i++)
		if (strcmp(e->entries[i].key, "processes") == 0 &&
		    (strstr(e->entries[i].value, "cores") || strstr(e->entries[i].value, "physical")))
			n->local_symbols = true;
	return 0;
}

/* The job: what it runs, besides the experiment (exp_abs, with a's --profile and --set). */
struct job {
	const char *exp_abs;
	const char *resume_abs;       /* --resume: `speedlab run --resume` on this directory */
	const struct sl_axis *axis;   /* --split: one array element per value */
	const char *split_out;        /* --split: the elements' parent directory */
};

/* --split: an element's directory name, AXIS-VALUE (AXIS-INDEX where the value is no short plain
 * word: two names must never collide). */
static void element_dir(const struct sl_axis *ax, int i, char *out, size_t len)
{
	const char *v = ax->values[i];
	bool plain = v[0] && v[0] != '.' && v[0] != '-' && strlen(ax->name) + strlen(v) + 2 <= len;

	for (const char *p = v; *p && plain; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			*p == '.' || *p == '_' || *p == '-' || *p == '+';
	if (plain)
		snprintf(out, len, "%s-%s", ax->name, v);
	else
		snprintf(out, len, "%s-%d", ax->name, i);
}

/* The `speedlab run EXP.ini --profile P --set ...` words the script execs (without --out). */
static void put_run(FILE *f, const struct slurm_args *a, const char *exp_abs)
{
	fprintf(f, "exec ");
	put_quoted(f, sl_self_exe());
	fprintf(f, " run ");
	put_quoted(f, exp_abs);
	if (a->profile[0])
		fprintf(f, " --profile %s", a->profile);
	for (int i = 0; i < a->nsets; i++) {
		fprintf(f, " --set ");
		put_quoted(f, a->sets[i]);
	}
}

static void put_body(FILE *f, const struct slurm_args *a, const struct job *j)
{
	char dir[2 * SL_NAME_LEN + 16];

	if (j->resume_abs) {
		fprintf(f, "exec ");
		put_quoted(f, sl_self_exe());
		fprintf(f, " run --resume ");
		put_quoted(f, j->resume_abs);
		fprintf(f, "\n");
		return;
	}
	if (!j->axis) {
		put_run(f, a, j->exp_abs);
		if (a->run_out) {
			fprintf(f, " --out ");
			put_quoted(f, a->run_out);
		}
		fprintf(f, "\n");
		return;
	}
	fprintf(f, "values=(");
	for (int i = 0; i < j->axis->nvalues; i++) {
		fprintf(f, i ? " " : "");
		put_quoted(f, j->axis->values[i]);
	}
	fprintf(f, ")\ndirs=(");
	for (int i = 0; i < j->axis->nvalues; i++) {
		element_dir(j->axis, i, dir, sizeof(dir));
		fprintf(f, i ? " " : "");
		put_quoted(f, dir);
	}
	fprintf(f, ")\ni=${SLURM_ARRAY_TASK_ID:?this script is a job array: submit it with sbatch}\nout=");
	put_quoted(f, j->split_out);
	fprintf(f, "/\"${dirs[$i]}\"\n");
	fprintf(f, "# submitted again, the script finishes what an element left (cancelled, out of time)\n");
	fprintf(f, "if [ -e \"$out/runs.csv\" ]; then\n\texec ");
	put_quoted(f, sl_self_exe());
	fprintf(f, " run --resume \"$out\"\nfi\n");
	put_run(f, a, j->exp_abs);
	fprintf(f, " --set ");
	put_quoted(f, j->axis->name);
	fprintf(f, "=\"${values[$i]}\" --out \"$out\"\n");
}

static int write_script(FILE *f, const struct slurm_args *a, const struct sl_experiment *e,
			const struct needs *n, const struct job *j, const char *cwd)
{
	int ntasks = a->ntasks ? a->ntasks : n->mpi_configs ? n->max_mpi_ranks : 1;
	int nodes = a->nodes;
	char tbuf[32], host[256] = "", when[32] = "";
	const char *tm = a->time;
	double bound = NAN;
	time_t now = time(NULL);
	struct tm tmv;

	if (!nodes)
		nodes = e->mpi_ranks_per_node > 0 ? (ntasks + e->mpi_ranks_per_node - 1) / e->mpi_ranks_per_node : 1;
	if (n->local_symbols && n->mpi_configs && !a->ntasks)
		sl_warn("slurm: processes uses 'cores' or 'physical', which this machine (%d logical CPUs) made "
			"%d ranks at most; `speedlab run` evaluates them again on the node: if its CPUs differ, "
			"give --ntasks", sl_topology()->logical, ntasks);
	if (e->mpi_ranks_per_node > 0 && (long)nodes * e->mpi_ranks_per_node < ntasks) {
		sl_err_at(e->file, 0, "%d node(s) x ranks_per_node = %d hold %d ranks, but the sweep needs %d "
			  "(processes + 1 for rank 0): raise --nodes", nodes, e->mpi_ranks_per_node,
			  nodes * e->mpi_ranks_per_node, ntasks);
		return -EINVAL;
	}
	if (ntasks < nodes) {
		/* every node must get a task, or Slurm refuses the job */
		sl_warn("slurm: %d node(s) for %d task(s): asking for %d node(s)", nodes, ntasks, ntasks);
		nodes = ntasks;
	}
	if (!tm) {
		if (e->timeout_s > 0) {
			bound = (double)n->nconfigs * (e->warmup + e->repeats) * e->timeout_s + 600;
			format_time(bound < MAX_TIME_S ? bound : MAX_TIME_S, tbuf, sizeof(tbuf));
		} else {
			format_time(DEFAULT_TIME_S, tbuf, sizeof(tbuf));
		}
		tm = tbuf;
	}
	gethostname(host, sizeof(host) - 1);
	if (localtime_r(&now, &tmv))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tmv);

	fprintf(f, "#!/bin/bash\n");
	if (j->resume_abs)
		fprintf(f, "# speedlab slurm: finishes the interrupted run %s (experiment '%s') on a Slurm allocation.\n",
			j->resume_abs, e->name);
	else
		fprintf(f, "# speedlab slurm: runs the experiment '%s' (%s) on a Slurm allocation.\n", e->name,
			j->exp_abs);
	if (e->question[0])
		fprintf(f, "# Question: %s\n", e->question);
	fprintf(f, "# Written by speedlab %s (%s) on %s at %s. Submit it with: sbatch FILE\n", SL_VERSION,
		SL_GIT_COMMIT, host, when);
	if (j->axis)
		fprintf(f, "# A job array: %d elements, one per value of %s, each a run of its own in %s/%s-VALUE;\n"
			   "# each element gets what the largest needs: ", j->axis->nvalues, j->axis->name,
			j->split_out, j->axis->name);
	else
		fprintf(f, "# ");
	fprintf(f, "%ld configuration(s) x %d run(s) (warm-up + repeats)", n->nconfigs, e->warmup + e->repeats);
	if (n->mpi_configs)
		fprintf(f, "; %ld with start_method = mpi, whose ranks srun starts inside this job "
			   "(processes + 1: rank 0 coordinates)", n->mpi_configs);
	fprintf(f, ".\n# The other start methods run on the first node, where this script runs.\n");
	if (n->local_symbols)
		fprintf(f, "# processes uses cores/physical: sized here for %d logical CPUs; the run re-evaluates "
			   "them on the node.\n", sl_topology()->logical);
	if (!a->time) {
		if (!isnan(bound))
			fprintf(f, "# --time: configurations x runs x timeout (%gs) + 10 min%s; give --time for less.\n",
				e->timeout_s, bound > MAX_TIME_S ? ", capped at 24 h" : "");
		else
			fprintf(f, "# --time: a default hour (the experiment sets no timeout); give --time to change it.\n");
	}
	fprintf(f, "#SBATCH --job-name=speedlab-%s\n", e->name);
	if (j->axis)
		fprintf(f, "#SBATCH --array=0-%d\n", j->axis->nvalues - 1);
	fprintf(f, "#SBATCH --nodes=%d\n", nodes);
	fprintf(f, "#SBATCH --ntasks=%d\n", ntasks);
	if (e->mpi_ranks_per_node > 0)
		fprintf(f, "#SBATCH --ntasks-per-node=%d\n", e->mpi_ranks_per_node);
	fprintf(f, "#SBATCH --time=%s\n", tm);
	if (a->partition)
		fprintf(f, "#SBATCH --partition=%s\n", a->partition);
	if (a->account)
		fprintf(f, "#SBATCH --account=%s\n", a->account);
	fprintf(f, "# whole nodes: a benchmark shares its cores with nobody\n");
	fprintf(f, "#SBATCH --exclusive\n");
	fprintf(f, "#SBATCH --output=speedlab-%s-%s.out\n", e->name, j->axis ? "%A_%a" : "%j");
	fprintf(f, "\nset -euo pipefail\ncd ");
	put_quoted(f, cwd);
	fprintf(f, "\n");
	put_body(f, a, j);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}

/* --split AXIS: the axis of e, which must have two values or more. */
static const struct sl_axis *split_axis(const struct sl_experiment *e, const char *name)
{
	const char *swept[SL_MAX_AXES + 1];
	int nswept = 0;

	for (int i = 0; i < e->naxes; i++) {
		if (e->axes[i].nvalues > 1)
			swept[nswept++] = e->axes[i].name;
		if (strcmp(e->axes[i].name, name) == 0 && e->axes[i].nvalues > 1)
			return &e->axes[i];
	}
	swept[nswept] = NULL;
	{
		const char *guess = sl_did_you_mean(name, swept);
		char list[512] = "";
		size_t used = 0;

		for (int i = 0; i < nswept && used < sizeof(list); i++)
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", swept[i]);
		if (guess)
			sl_err_at(e->file, 0, "--split %s: not a swept axis (did you mean '%s'?)", name, guess);
		else
			sl_err_at(e->file, 0, "--split %s: not an axis with two values or more (swept: %s)", name,
				  nswept ? list : "none");
	}
	return NULL;
}

/* --split: the needs of the largest element (the experiment with --set AXIS=VALUE, each value). */
static int scan_elements(const struct slurm_args *a, const struct sl_axis *ax, struct needs *n)
{
	struct sl_experiment *el = calloc(1, sizeof(*el));
	char *sets[MAX_SETS + 1], set[SL_NAME_LEN + SL_VALUE_LEN + 2];
	int rc = 0;

	if (!el)
		return -ENOMEM;
	memcpy(sets, a->sets, sizeof(sets[0]) * (size_t)a->nsets);
	sets[a->nsets] = set;
	for (int i = 0; i < ax->nvalues && rc == 0; i++) {
		snprintf(set, sizeof(set), "%s=%s", ax->name, ax->values[i]);
		rc = sl_experiment_load(el, a->exp, a->profile, sets, a->nsets + 1);
		if (rc == 0)
			rc = scan_configs(el, n);
	}
	free(el);
	return rc;
}

int sl_cmd_slurm(int argc, char **argv)
{
	struct slurm_args a;
	struct sl_experiment *e = NULL;
	struct needs n = { 0 };
	struct job j = { 0 };
	char exp_abs[PATH_MAX], resume_abs[PATH_MAX], cwd[PATH_MAX], split_out[PATH_MAX], *text = NULL;
	const char *file;
	size_t len = 0;
	FILE *f;
	int rc, exit_code = SL_EXIT_USAGE;

	if (parse_args(argc, argv, &a) < 0)
		return SL_EXIT_USAGE;
	if ((a.partition && !one_word(a.partition)) || (a.account && !one_word(a.account))) {
		usage_error("a partition or account must be one word, not", a.partition ? a.partition : a.account);
		return SL_EXIT_USAGE;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		sl_err("slurm: out of memory");
		return SL_EXIT_USAGE;
	}
	/* the same checks `speedlab run` makes, so a bad file fails here and not in the queue; --resume:
	 * the effective experiment the run recorded */
	if (a.resume) {
		if (!realpath(a.resume, resume_abs)) {
			sl_err_at(a.resume, 0, "no such result directory (%s)", sl_strerror(errno));
			goto out_free;
		}
		snprintf(exp_abs, sizeof(exp_abs), "%s/experiment.ini", resume_abs);
		j.resume_abs = resume_abs;
	} else {
		if (!realpath(a.exp, exp_abs)) {
			sl_err_at(a.exp, 0, "%s", sl_strerror(errno));
			goto out_free;
		}
		j.exp_abs = exp_abs;
	}
	file = a.resume ? exp_abs : a.exp;
	if (sl_experiment_load(e, file, a.resume ? "" : a.profile, a.sets, a.nsets) < 0)
		goto out_free;
	if (!one_word(e->name)) {
		sl_err_at(file, 0, "the experiment name '%s' cannot name a Slurm job", e->name);
		goto out_free;
	}
	if (!getcwd(cwd, sizeof(cwd))) {
		sl_err("slurm: the current directory: %s", sl_strerror(errno));
		goto out_free;
	}
	if (a.split) {
		char stamp[32] = "";
		time_t now = time(NULL);
		struct tm tmv;

		j.axis = split_axis(e, a.split);
		if (!j.axis || scan_elements(&a, j.axis, &n) < 0)
			goto out_free;
		if (!a.run_out && localtime_r(&now, &tmv))
			strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tmv);
		if (a.run_out)
			snprintf(split_out, sizeof(split_out), "%s", a.run_out);
		else
			snprintf(split_out, sizeof(split_out), "results/runs/slurm/%s-%s", stamp, e->name);
		j.split_out = split_out;
	} else if (scan_configs(e, &n) < 0) {
		goto out_free;
	}
	f = open_memstream(&text, &len);
	if (!f) {
		sl_err("slurm: out of memory");
		goto out_free;
	}
	rc = write_script(f, &a, e, &n, &j, cwd);
	fclose(f);
	if (rc < 0)
		goto out_free;
	if (!a.out_file) {
		fwrite(text, 1, len, stdout);
		fflush(stdout);
		exit_code = ferror(stdout) ? SL_EXIT_USAGE : SL_EXIT_OK;
		goto out_free;
	}
	/* executable when new; a device named (-o /dev/null) is written in place, its mode untouched */
	rc = sl_write_file_mode(a.out_file, text, len, 0755);
	if (rc < 0) {
		sl_err_at(a.out_file, 0, "cannot write: %s", sl_strerror(-rc));
		goto out_free;
	}
	fprintf(stderr, "speedlab: wrote %s (submit it with: sbatch %s)\n", a.out_file, a.out_file);
	exit_code = SL_EXIT_OK;

out_free:
	free(text);
	free(e);
	return exit_code;
}
