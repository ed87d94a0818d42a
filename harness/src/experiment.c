/* experiment.c: placeholder. */
#include <errno.h>
#include "experiment.h"
int sl_experiment_load(struct sl_experiment *e, const char *file, const char *profile, char *const *overrides, int noverrides) { (void)e; (void)file; (void)profile; (void)overrides; (void)noverrides; return -ENOSYS; }
