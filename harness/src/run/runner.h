/* runner.h: running a whole experiment into a result directory: every configuration in seeded
 * interleaved rounds through the run engine (engine.h), written incrementally and crash-safely.
 * The command front (`speedlab run`: its options, what it prints afterwards) is cli/cmd_run.c. */
#ifndef SL_RUNNER_H
#define SL_RUNNER_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>

/* What to run: an experiment file, --cmd commands, or a result directory to resume. */
struct sl_run_request {
	const char *exp;                /* experiment file, or NULL */
	const char *profile;            /* "" for none */
	const char *out;                /* result directory, or NULL for the default one */
	const char *resume;             /* result directory to continue, or NULL */
	char **sets;                    /* --set key=value */
	int nsets;
	char **cmds;                    /* --cmd: the commands of an experiment without a file */
	int ncmds;
	bool seed_given;
	unsigned long long seed;
	bool quiet;
	int argc;                       /* the command line, recorded in meta.json */
	char **argv;
	/* For a workload with SL_WL_SHELL_COMMAND: the fixed cost of starting a command and waiting for
	 * it, seconds (NAN unknown), recorded in meta.json as command_fixed_s. NULL: not recorded. */
	double (*command_cost)(void);
};

/* What came of it. */
struct sl_run_outcome {
	char dir[PATH_MAX];             /* the result directory */
	char name[256];                 /* the experiment's name */
	bool ran;                       /* the rounds began (the summary was written or tried) */
	int interrupted;                /* the signal that stopped the run, 0 none */
	long finished;                  /* repetitions done (kept in runs.csv) */
	int bad;                        /* measured repetitions that failed (crash, hang, error) */
	long measured;                  /* measured repetitions that ended ok */
	/* held until sl_run_release: the signal handlers (a Ctrl-C or a closed output while the caller
	 * prints must not kill it) and the start methods */
	struct sigaction old_sig[4];
	bool caught;
	bool prepared;
};

/* Run the experiment r asks for. Returns SL_EXIT_OK, or SL_EXIT_USAGE with the error printed (a bad
 * experiment, an unusable directory, a failed write). out is filled either way; call sl_run_release
 * after printing what the caller prints. */
int sl_run_experiment(const struct sl_run_request *r, struct sl_run_outcome *out);

/* Stop the start methods (forkserver), end the run's containment, restore the signal handlers.
 * Safe after any sl_run_experiment. Never fails. */
void sl_run_release(struct sl_run_outcome *out);

#endif
