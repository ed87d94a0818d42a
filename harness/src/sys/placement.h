/* placement.h: where workers run (the `affinity` and `mem_policy` axes, `coordinator_cpus`), with hwloc. */
#ifndef SL_PLACEMENT_H
#define SL_PLACEMENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/speedlab.h"

/* Whether an affinity value is known and fits this process's allowed CPUs: none, cpus:N
 * (1 <= N <= allowed CPUs), core, compact, spread. false with msg set ("cpus:64: ..."). */
bool sl_placement_check(const char *value, char *msg, size_t msglen);
/* Whether list ("1", "0-3,8") is a CPU list within the allowed CPUs. false with msg set. */
bool sl_placement_check_cpus(const char *list, char *msg, size_t msglen);

/* The CPUs worker id (of nworkers) is confined to under s->affinity, as a list ("0", "2-3").
 * Returns 1 with out set; 0 when the worker is left where it starts (affinity none and no
 * coordinator_cpus); -EINVAL with msg set when the value does not fit the machine. */
int sl_placement_worker_cpus(const struct sl_setting *s, int id, int nworkers, char *out, size_t outlen,
			     char *msg, size_t msglen);
/* The OpenMP variables that match a worker's CPU list under affinity: OMP_PLACES as explicit
 * places ("{0},{1}") and OMP_PROC_BIND (close; spread for spread). Never fails. */
void sl_placement_omp(const char *affinity, const char *cpus, char *places, size_t placeslen, const char **bind);

/* In a worker, before its libraries load: bind the whole process to its CPUs with hwloc (threads
 * it starts later inherit them), set the memory policy (s->mem_policy) and OMP_PLACES /
 * OMP_PROC_BIND. Returns 0, or -errno with msg set (a binding the kernel refuses included). */
int sl_placement_apply_worker(const struct sl_setting *s, int id, int nworkers, char *msg, size_t msglen);
/* Pin this process (the coordinator, every thread) to list. 0, or -errno with msg set. */
int sl_placement_pin_self(const char *list, char *msg, size_t msglen);
/* Load the topology now (the coordinator, so forked workers inherit it). Never fails. */
void sl_placement_prepare(void);

/* What a (affinity, processes) pair places where on this machine, for meta.json: the workers'
 * CPU lists and the OpenMP variables set. New reference. */
json_t *sl_placement_plan_json(const struct sl_setting *s);

#endif
