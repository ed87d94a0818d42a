/* help.c: the longer --help text of each sub-command. */
#include <stdio.h>
#include <string.h>

#include "core/cmd.h"

static const struct {
	const char *cmd;
	const char *text;
} help[] = {
	{ "run",
	  "\noptions:\n"
	  "  --cmd 'COMMAND'       no experiment file: time COMMAND (run by /bin/sh -c) with the command\n"
	  "                        workload, 10 repetitions after 1 warm-up; repeat --cmd to compare\n"
	  "                        commands side by side; --set sweeps axes (processes=1,2,4); the\n"
	  "                        experiment is written to DIR/experiment.ini, to edit and run again\n"
	  "  --profile quick|full  apply the experiment's [quick] or [full] overrides\n"
	  "  --out DIR             write exactly into DIR (refused if it already holds a run)\n"
	  "  --set key=value       override any key (experiment, workload parameter or sweep axis);\n"
	  "                        'section.key=value' names the section; may be repeated\n"
	  "  --resume DIR          continue an interrupted run in DIR: the repetitions (and warm-ups)\n"
	  "                        its runs.csv holds are not run again\n"
	  "  --seed N              the seed of the run order (default: from the file, else random, recorded)\n"
	  "  --strict              exit 1 when any run crashed, hung or failed its check\n"
	  "  --quiet               no progress line, start-up warnings or tables: the results line\n"
	  "\nWithout --out, results go to results/runs/<host>/<YYYYmmdd-HHMMSS>-<name>/ and\n"
	  "results/runs/latest points at them.\n" },
	{ "sysinfo", "\noptions:\n  --json  machine-readable output (the same facts as meta.json)\n" },
	{ "compare",
	  "\noptions:\n"
	  "  --threshold PCT   smallest change that counts (default 5, or BASE/experiment.ini's [compare]\n"
	  "                    threshold; its threshold.<metric> = PCT still apply per metric)\n"
	  "  --metric NAME     compare only these metrics (repeatable; default wall_s, cpu_user_s, speedup,\n"
	  "                    efficiency, cores_busy, dispatch_us_per_task, start_latency_ms, gflops, gbps,\n"
	  "                    gpu_wait_us; a metric without data on either side is skipped)\n"
	  "  --cross-machine   allow different machines; compares dimensionless metrics only\n"
	  "  --no-calibration  ignore BASE/calibration.ini (speedlab baseline calibrate)\n"
	  "  --json FILE       also write the verdicts as JSON\n"
	  "  --markdown FILE   also write the Markdown table to FILE\n"
	  "\nThe first line answers: 'Verdict: regression | improvement | no change | inconclusive' and why\n"
	  "(the worst row, its change and CI; a changed workload parameter is said next to it).\n"
	  "A change counts when it is beyond the threshold and significant: Mann-Whitney U p < 0.05 (with\n"
	  "fewer than 5 repetitions: the medians' order-statistic CIs do not overlap), and Welch's t\n"
	  "on the logs passes Benjamini-Hochberg at q = 0.05 over all rows of the comparison (so identical\n"
	  "runs raise a false regression in at most ~5% of comparisons, however many rows).\n"
	  "Each row carries its detectable change: what it would find with 80% power at p < 0.05 from its\n"
	  "own noise and repetitions. A row is unchanged only when that is within its threshold, else\n"
	  "inconclusive, with the repetitions that would do. Configurations are matched by their axis\n"
	  "values. Row verdicts: regression, improvement, unchanged, inconclusive, changed (cores_busy: no\n"
	  "better direction; reported, not judged).\n"
	  "\nhistory (used by ci/regress):\n"
	  "  compare --record DIR --history FILE [--commit SHA] [--date ISO]\n"
	  "                    append DIR's medians and CIs to FILE (results/history.csv)\n"
	  "  compare --history FILE [--window N] [--threshold PCT] [--plot-data DIR] [--json F] [--markdown F]\n"
	  "                    find level shifts in the last N runs (default 50) of every series;\n"
	  "                    exit 1 when a series' last level is worse than its first by > threshold\n" },
	{ "baseline",
	  "\n  baseline save DIR   copy DIR's meta.json, experiment.ini, runs.csv, summary.csv to\n"
	  "                      results/baselines/<fingerprint>/<experiment>/ (replacing the previous one)\n"
	  "  baseline path DIR   print where DIR's baseline is kept\n"
	  "  baseline calibrate A1 B1 [A2 B2]...\n"
	  "                      pairs of identical runs: per metric, 1.5 x the largest change between the\n"
	  "                      two of a pair (at least the default threshold) is stored with A1's baseline\n"
	  "                      as calibration.ini; compare uses it (ci/regress --calibrate N runs the pairs)\n"
	  "\nresults/ is looked up in the current directory; SPEEDLAB_RESULTS overrides it.\n" },
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
	  "  --split AXIS          a job array: one element (and result directory, DIR/AXIS-VALUE under\n"
	  "                        --out DIR) per value of AXIS; submitted again, it resumes each element\n"
	  "  --resume DIR          a job that finishes the interrupted run in DIR (speedlab run --resume)\n"
	  "\nThe experiment is checked first. Configurations with start_method = mpi get their ranks from\n"
	  "srun inside the job (processes + 1 tasks: rank 0 coordinates; --mpi=pmix unless SLURM_MPI_TYPE\n"
	  "is set); the rest run on the first node.\n" },
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
