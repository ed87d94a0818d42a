/* opts.h: the argv of a sub-command, read by getopt_long with speedlab's own error messages.
 *
 * Every option taking a value takes it as `--out DIR` or `--out=DIR` (short ones as `-o FILE` or
 * `-oFILE`). Options and positional arguments may mix in any order; both come back in argv's order,
 * and argv is never reordered (run records it in meta.json). A long option must be spelt out in
 * full (getopt's abbreviations are refused with a "did you mean"). After `--` everything is
 * positional. */
#ifndef SL_OPTS_H
#define SL_OPTS_H

#include <getopt.h>

#define SL_OPT_ARG 1        /* a positional argument, in o->arg */
#define SL_OPT_END (-1)     /* no more arguments */
#define SL_OPT_BAD '?'      /* a bad option, already reported: exit SL_EXIT_USAGE */

struct sl_opts {
	const char *cmd;                /* the sub-command, for messages: "run" */
	int argc;
	char **argv;                    /* argv[0] is the sub-command */
	const struct option *longopts;  /* ends with a zero row; every val non-zero, distinct */
	char *arg;                      /* after sl_opts_next: the option's value or the positional argument */
	int rest;                       /* after `--`: the next positional argument */
	char optstring[64];
};

/* Start reading argv (resets getopt's global state: commands may run one after another in a
 * process). shortopts as getopt's ("qo:"), longopts as getopt_long's. Never fails. */
void sl_opts_init(struct sl_opts *o, const char *cmd, int argc, char **argv, const char *shortopts,
		  const struct option *longopts);
/* The next option's val (its value, if any, in o->arg), SL_OPT_ARG, SL_OPT_END, or SL_OPT_BAD after
 * printing "speedlab: CMD: option '--out' requires a value", "... unknown option '--x' (did you mean
 * '--y'?)" or "... option '--quiet' takes no value". */
int sl_opts_next(struct sl_opts *o);

#endif
