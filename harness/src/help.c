/* help.c: the longer --help text of each sub-command. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static const struct {
	const char *cmd;
	const char *text;
} help[] = {
	{ "run",
	  "\noptions:\n"
	  "  --profile quick|full  apply the experiment's [quick] or [full] overrides\n"
	  "  --out DIR             write exactly into DIR (refused if it already holds a run)\n"
	  "  --set key=value       override any key (experiment, workload parameter or sweep axis);\n"
	  "                        'section.key=value' names the section; may be repeated\n"
	  "  --resume DIR          continue an interrupted run without repeating finished configurations\n"
	  "  --seed N              the seed of the run order (default: from the file, else random, recorded)\n"
	  "  --strict              exit 1 when any run crashed, hung or failed its check\n"
	  "  --quiet               no progress line\n"
	  "\nWithout --out, results go to results/runs/<host>/<YYYYmmdd-HHMMSS>-<name>/ and\n"
	  "results/runs/latest points at them.\n" },
	{ "sysinfo", "\noptions:\n  --json  machine-readable output (the same facts as meta.json)\n" },
	{ "compare",
	  "\noptions:\n"
	  "  --threshold PCT   smallest change that counts (default 5, or the experiment's [compare])\n"
	  "  --metric NAME     compare only these metrics (repeatable)\n"
	  "  --cross-machine   allow different machines; compares dimensionless metrics only\n"
	  "  --json FILE       also write the verdicts as JSON\n" },
	{ "slurm",
	  "\noptions:\n"
	  "  --nodes N             nodes to allocate (default: enough for [mpi] ranks_per_node, else 1)\n"
	  "  --ntasks N            tasks to allocate (default: the largest processes + 1 of the mpi\n"
	  "                        configurations, with 'cores' as this machine counts them)\n"
	  "  --time T              wall-time limit, Slurm's format (HH:MM:SS, D-HH:MM:SS); default: an upper\n"
	  "                        bound from the experiment (configurations x runs x timeout), at most 24 h\n"
	  "  --partition P         #SBATCH --partition\n"
	  "  --account A           #SBATCH --account\n"
	  "  -o FILE               write the script to FILE (default: standard output)\n"
	  "  --profile, --set, --out   passed on to `speedlab run` (and checked now)\n"
	  "\nThe experiment is checked first. Configurations with start_method = mpi get their ranks from\n"
	  "srun inside the job (processes + 1 tasks: rank 0 coordinates); the rest run on the first node.\n" },
	{ "plot",
	  "\nDecides which plots the data supports (which axes vary, which workload) and renders each\n"
	  "with its script from plots/*.gp as PNG and SVG, with its data file, into DIR/plots/.\n"
	  "options:\n"
	  "  --quiet   do not print the plots made\n"
	  "environment:\n"
	  "  SPEEDLAB_PLOTS    the directory of the gnuplot scripts (default: plots/ of the source tree)\n"
	  "  SPEEDLAB_GNUPLOT  the gnuplot to run (default: gnuplot on PATH)\n" },
	{ "report",
	  "\nWrites DIR/report.md and a self-contained DIR/index.html (plots embedded): the machine,\n"
	  "findings computed from summary.csv, the plots (rendered first when missing or stale), the\n"
	  "tables and the configurations that did not finish. Reads the result files only.\n"
	  "options:\n"
	  "  --out DIR               one combined report over every DIR given, written into DIR\n"
	  "  --failed NAME:REASON    with --out: list an experiment that produced no results\n" },
	{ NULL, NULL },
};

void sl_cmd_help_extra(const char *cmd)
{
	for (int i = 0; help[i].cmd; i++)
		if (strcmp(help[i].cmd, cmd) == 0)
			fputs(help[i].text, stdout);
}
