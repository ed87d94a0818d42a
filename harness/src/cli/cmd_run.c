/* cmd_run.c: `speedlab run`, the command front: its options, the run (run/runner.c), and what it
 * prints afterwards (the tables, the result directory, the exit code). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/brief.h"
#include "core/cmd.h"
#include "core/opts.h"
#include "core/speedlab.h"
#include "run/runner.h"

struct run_args {
	const char *exp;
	const char *profile;
	const char *out;
	const char *resume;
	char *sets[32];
	int nsets;
	char *cmds[16];         /* --cmd: the commands of an experiment without a file */
	int ncmds;
	bool seed_given;
	unsigned long long seed;
	bool strict;
	bool quiet;
};

static int parse_args(int argc, char **argv, struct run_args *a)
{
	enum { O_PROFILE = 256, O_OUT, O_RESUME, O_SET, O_CMD, O_SEED, O_STRICT };
	static const struct option longopts[] = {
		{ "profile", required_argument, NULL, O_PROFILE }, { "out", required_argument, NULL, O_OUT },
		{ "resume", required_argument, NULL, O_RESUME },   { "set", required_argument, NULL, O_SET },
		{ "cmd", required_argument, NULL, O_CMD },         { "seed", required_argument, NULL, O_SEED },
		{ "strict", no_argument, NULL, O_STRICT },         { "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct sl_opts o;
	int c;

	memset(a, 0, sizeof(*a));
	a->profile = "";
	sl_opts_init(&o, "run", argc, argv, "q", longopts);
	while ((c = sl_opts_next(&o)) != SL_OPT_END) {
		char *end;

		switch (c) {
		case O_PROFILE:
			a->profile = o.arg;
			break;
		case O_OUT:
			a->out = o.arg;
			break;
		case O_RESUME:
			a->resume = o.arg;
			break;
		case O_SET:
			if (a->nsets >= 32) {
				sl_err("run: at most 32 --set options");
				return -EINVAL;
			}
			a->sets[a->nsets++] = o.arg;
			break;
		case O_CMD:
			if (a->ncmds >= 16) {
				sl_err("run: at most 16 --cmd options");
				return -EINVAL;
			}
			a->cmds[a->ncmds++] = o.arg;
			break;
		case O_SEED:
			errno = 0;
			a->seed = strtoull(o.arg, &end, 0);
			if (errno || *end || o.arg[0] == '-') {
				sl_err("run: --seed '%s': expected a non-negative whole number", o.arg);
				return -EINVAL;
			}
			a->seed_given = true;
			break;
		case O_STRICT:
			a->strict = true;
			break;
		case 'q':
			a->quiet = true;
			break;
		case SL_OPT_ARG:
			if (a->exp) {
				sl_err("run: more than one experiment file ('%s' and '%s')", a->exp, o.arg);
				return -EINVAL;
			}
			a->exp = o.arg;
			break;
		default:
			return -EINVAL;
		}
	}
	if (a->ncmds && (a->exp || a->resume)) {
		sl_err("run: --cmd makes the experiment: give either --cmd or %s", a->exp ? "an experiment file" : "--resume");
		return -EINVAL;
	}
	if (!a->exp && !a->resume && !a->ncmds) {
		sl_err("run: no experiment file (usage: speedlab run EXP.ini [--profile quick|full] [--out DIR] "
		       "[--set key=value]... [--resume DIR], or speedlab run --cmd 'COMMAND'... [--set key=value]...)");
		return -EINVAL;
	}
	if (a->out && a->resume) {
		sl_err("run: --out and --resume together: --resume continues the run in its own directory");
		return -EINVAL;
	}
	return 0;
}


/* The command workload's fixed cost: /bin/sh started and waited for (meta.json's command_fixed_s). */
static double command_cost(void)
{
	return sl_brief_shell_cost(7);
}

/* After a run that was not interrupted: the tables, the directory, and what the exit code says. */
static int print_results(const struct run_args *a, const struct sl_run_outcome *out)
{
	int exit_code = SL_EXIT_OK;

	if (!a->quiet) {
		char path[PATH_MAX], *t;

		snprintf(path, sizeof(path), "%s/tables.md", out->dir);
		t = sl_read_file(path, NULL);
		if (t) {
			fputs(t, stdout);
			free(t);
		}
	}
	printf("results: %s\n", out->dir);
	if (out->bad && a->strict)
		exit_code = SL_EXIT_FINDING;
	/* runs failed and none was measured: nothing to show for it */
	if (out->bad && !out->measured) {
		sl_err("%s: no repetition was measured (%d failed): see the status column of %s/runs.csv",
		       out->name, out->bad, out->dir);
		exit_code = SL_EXIT_FINDING;
	}
	return exit_code;
}

int sl_cmd_run(int argc, char **argv)
{
	struct run_args a;
	struct sl_run_request req;
	static struct sl_run_outcome out;
	int exit_code;

	if (parse_args(argc, argv, &a) < 0)
		return SL_EXIT_USAGE;
	req = (struct sl_run_request){ .exp = a.exp, .profile = a.profile, .out = a.out, .resume = a.resume,
				       .sets = a.sets, .nsets = a.nsets, .cmds = a.cmds, .ncmds = a.ncmds,
				       .seed_given = a.seed_given, .seed = a.seed, .quiet = a.quiet,
				       .argc = argc, .argv = argv, .command_cost = command_cost };
	exit_code = sl_run_experiment(&req, &out);
	if (out.ran && out.interrupted) {
		sl_err("interrupted by SIG%s: %ld run(s) kept in %s (continue with: speedlab run --resume %s)",
		       sigabbrev_np(out.interrupted), out.finished, out.dir, out.dir);
		exit_code = 128 + out.interrupted;
	} else if (out.ran && exit_code == SL_EXIT_OK) {
		exit_code = print_results(&a, &out);
	}
	/* a closed standard output (`| head`) lost only what was printed: said once, in the exit code */
	if (out.ran && (fflush(stdout) != 0 || ferror(stdout)) && exit_code == SL_EXIT_OK) {
		sl_err("standard output: %s (the results are complete in %s)", sl_strerror(errno ? errno : EIO), out.dir);
		exit_code = SL_EXIT_USAGE;
	}
	sl_run_release(&out);
	return exit_code;
}
