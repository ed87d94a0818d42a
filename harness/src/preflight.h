/* preflight.h: checks before a run (load, governor, cgroup quota, swap), recorded in meta.json. */
#ifndef SL_PREFLIGHT_H
#define SL_PREFLIGHT_H

#include <jansson.h>

/* The pre-flight facts and an array "warnings" of sentences. NULL only when out of memory. */
json_t *sl_preflight(void);
/* Print each warning of a preflight object with sl_warn. Never fails. */
void sl_preflight_warn(json_t *preflight);

#endif
