/* cmd_run.c: `speedlab run`, the command front: its options, the run (run/runner.c), and what it
 * prints afterwards (the tables, the result directory, the exit code). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/brief.h"
#include "core/cmd.h"
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
	memset(a, 0, sizeof(*a));
	a->profile = "";
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		bool has_next = i + 1 < argc;

		if (strcmp(arg, "--profile") == 0 && has_next) {
			a->profile = argv[++i];
		} else if (strncmp(arg, "--profile=", 10) == 0) {
			a->profile = arg + 10;
		} else if (strcmp(arg, "--out") == 0 && has_next) {
			a->out = argv[++i];
		} else if (strcmp(arg, "--resume") == 0 && has_next) {
			a->resume = argv[++i];
		} else if (strcmp(arg, "--set") == 0 && has_next) {
			if (a->nsets >= 32) {
				sl_err("run: at most 32 --set options");
				return -EINVAL;
			}
			a->sets[a->nsets++] = argv[++i];
		} else if ((strcmp(arg, "--cmd") == 0 && has_next) || strncmp(arg, "--cmd=", 6) == 0) {
			if (a->ncmds >= 16) {
				sl_err("run: at most 16 --cmd options");
				return -EINVAL;
			}
			a->cmds[a->ncmds++] = arg[5] == '=' ? argv[i] + 6 : argv[++i];
		} else if (strcmp(arg, "--seed") == 0 && has_next) {
			char *end;

			errno = 0;
			a->seed = strtoull(argv[++i], &end, 0);
			if (errno || *end || argv[i][0] == '-') {
				sl_err("run: --seed '%s': expected a non-negative whole number", argv[i]);
				return -EINVAL;
			}
			a->seed_given = true;
		} else if (strcmp(arg, "--strict") == 0) {
			a->strict = true;
		} else if (strcmp(arg, "--quiet") == 0 || strcmp(arg, "-q") == 0) {
			a->quiet = true;
		} else if (arg[0] == '-') {
			sl_err("run: unknown option '%s' (see 'speedlab run --help')", arg);
			return -EINVAL;
		} else if (!a->exp) {
			a->exp = arg;
		} else {
			sl_err("run: more than one experiment file ('%s' and '%s')", a->exp, arg);
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
