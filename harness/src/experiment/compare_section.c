/* compare_section.c: the [compare] section of a file read by the experiment reader alone, for compare:
 * a result directory's experiment.ini (the effective experiment `speedlab run` wrote, perhaps by an
 * older speedlab) or a file of that section only (calibration.ini). Only the section's keys are
 * applied, so a file whose other sections this speedlab would refuse still gives its thresholds. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/experiment.h"
#include "experiment/experiment_internal.h"
#include "experiment/thresholds.h"

int sl_experiment_read_compare(const char *name, const char *text, struct sl_cmp_options *o)
{
	struct sl_experiment *e = calloc(1, sizeof(*e));
	int err, errors = 0;

	if (!e) {
		sl_err_at(name, 0, "out of memory");
		return -ENOMEM;
	}
	e->compare = *o;   /* the keys change o's thresholds, nothing else */
	err = sl_exp_read(e, name, text);
	for (int i = 0; err == 0 && i < e->nentries; i++)
		if (strcmp(e->entries[i].section, "compare") == 0)
			errors += sl_exp_apply_compare_key(e, &e->entries[i]) < 0;
	if (err == 0 && errors)
		err = -EINVAL;
	if (err == 0)
		*o = e->compare;
	free(e);
	return err;
}
