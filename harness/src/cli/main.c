/* main.c: the speedlab command line: one table of sub-commands, each with its own --help. */
#include <stdio.h>
#include <string.h>

#include "core/cmd.h"
#include "launch/mpi.h"
#include "pool/pool.h"
#include "core/speedlab.h"

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
	const char *help;
};

static const struct subcommand subcommands[] = {
	{ "list", sl_cmd_list, "list", "workloads, start methods, experiments, with one-line help" },
	{ "sysinfo", sl_cmd_sysinfo, "sysinfo [--json]", "topology, BLAS build and threading layer, OpenMP, CUDA, GPUs" },
	{ "run", sl_cmd_run, "run EXP.ini [--profile quick|full] [--out DIR] [--set key=value]...\n"
	  "                    [--seed N] [--strict] [--quiet]\n"
	  "       speedlab run --cmd 'COMMAND' [--cmd 'OTHER']... [--set key=value]... [--out DIR]\n"
	  "       speedlab run --resume DIR",
	  "run an experiment (or --cmd COMMAND) into a result directory" },
	{ "table", sl_cmd_table, "table DIR", "speedup tables (Markdown) from a result directory" },
	{ "plot", sl_cmd_plot, "plot [--quiet] DIR...", "gnuplot PNG + SVG into DIR/plots/" },
	{ "report", sl_cmd_report, "report DIR... | report --out DIR [--failed NAME:REASON]... DIR...",
	  "DIR/report.md and index.html: tables, plots, findings" },
	{ "compare", sl_cmd_compare, "compare BASE CUR [--threshold PCT] [--metric NAME]... [--cross-machine] [--json FILE]",
	  "regression verdict; exit 0 ok, 1 regression, 2 error" },
	{ "baseline", sl_cmd_baseline, "baseline save DIR", "store DIR as the baseline for this machine and experiment" },
	{ "slurm", sl_cmd_slurm, "slurm EXP.ini [--nodes N] [--ntasks N] [--time HH:MM:SS] [--partition P] [-o FILE] [--split AXIS] | slurm --resume DIR", "write an sbatch script that runs the experiment on a Slurm allocation" },
	{ NULL, NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: speedlab [--version] [--help] COMMAND [ARGS]\n\n"
		   "How much faster do N worker processes make a matrix workload here, and what eats the rest?\n\n"
		   "commands:\n");
	for (const struct subcommand *c = subcommands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->help);
	fprintf(f, "\n'speedlab COMMAND --help' for the options of one command.\n"
		   "Exit codes: 0 success, 1 a finding asked to fail on (regression, --strict), 2 bad usage or input;\n"
		   "a run stopped by a signal: 128 + the signal (130 SIGINT, 143 SIGTERM, 129 SIGHUP).\n");
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "__worker") == 0)
		return sl_worker_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "__mpi") == 0)
		return sl_mpi_rank_main(argc - 1, argv + 1);
	if (argc < 2) {
		usage(stderr);
		return SL_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return SL_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("speedlab %s (%s)\n", SL_VERSION, SL_GIT_COMMIT);
		return SL_EXIT_OK;
	}
	for (const struct subcommand *c = subcommands; c->name; c++) {
		if (strcmp(argv[1], c->name) != 0)
			continue;
		for (int i = 2; i < argc; i++)
			if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
				printf("usage: speedlab %s\n\n%s\n", c->usage, c->help);
				sl_cmd_help_extra(c->name);
				return SL_EXIT_OK;
			}
		return c->fn(argc - 1, argv + 1);
	}
	{
		const char *names[16];
		const char *guess;
		int n = 0;

		for (const struct subcommand *c = subcommands; c->name; c++)
			names[n++] = c->name;
		names[n] = NULL;
		guess = sl_did_you_mean(argv[1], names);
		if (guess)
			sl_err("unknown command '%s' (did you mean '%s'?)", argv[1], guess);
		else
			sl_err("unknown command '%s' (see 'speedlab --help')", argv[1]);
	}
	return SL_EXIT_USAGE;
}
