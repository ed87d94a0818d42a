/* cmdexp.h: the experiment of `speedlab run --cmd COMMAND...` (no experiment file). */
#ifndef SL_CMDEXP_H
#define SL_CMDEXP_H

#include "experiment/experiment.h"

/* The experiment's name from the commands' programs: "cmd-python3", "cmd-sleep-vs-python3". */
void sl_cmdexp_name(char *const *cmds, int ncmds, char *out, size_t len);
/* The experiment file (malloc'd INI text) of the commands: workload command, per = run, 10
 * repetitions after 1 warm-up; one command in [workload], several as the values of cmd in
 * [sweep]. NULL with the problem printed ("speedlab: --cmd: ...") for an empty, multi-line or
 * too long command, one given twice, or one of several that holds both kinds of quotes. */
char *sl_cmdexp_text(char *const *cmds, int ncmds, char *const *sets, int nsets);
/* That experiment parsed with the --set overrides (a profile is refused: there is none). 0 or
 * -EINVAL with every problem printed. */
int sl_cmdexp_load(struct sl_experiment *e, char *const *cmds, int ncmds, const char *profile,
		   char *const *sets, int nsets);

#endif
