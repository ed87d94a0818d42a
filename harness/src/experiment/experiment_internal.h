/* experiment_internal.h: what the files of experiment/ share (not for other folders). */
#ifndef SL_EXPERIMENT_INTERNAL_H
#define SL_EXPERIMENT_INTERNAL_H

#include "core/speedlab.h"

struct sl_experiment;
struct sl_entry;
struct sl_workload_ops;
struct sl_param_def;

/* reader.c: read text (named name in messages) into e's entries, every problem printed with
 * file:line. 0, -EINVAL or -EIO. */
int sl_exp_read(struct sl_experiment *e, const char *name, const char *text);
/* The first control character of s (a tab, a newline, an escape...), or NULL: no value may hold one,
 * as experiment.ini and a Slurm script write each value on one line. */
const char *sl_exp_control_char(const char *s);

/* expr.c: evaluate a numeric expression ("2*cores"); false with msg set when it is not one. */
bool sl_exp_eval_number(const char *text, double *out, char *msg, size_t msglen);

/* keys.c: apply one [experiment], [mpi] or [compare] entry. 0, or -EINVAL (message printed). */
int sl_exp_apply_experiment_key(struct sl_experiment *e, const struct sl_entry *en);
int sl_exp_apply_mpi_key(struct sl_experiment *e, const struct sl_entry *en);
int sl_exp_apply_compare_key(struct sl_experiment *e, const struct sl_entry *en);

/* experiment.c */
/* The parameter name of workload w, or NULL. */
const struct sl_param_def *sl_exp_param_def(const struct sl_workload_ops *w, const char *name);
/* Whether s is one quoted string ("..." or '...', that quote nowhere inside). */
bool sl_exp_is_quoted(const char *s);

#endif
