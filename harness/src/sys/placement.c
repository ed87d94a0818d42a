/* placement.c: where workers run. The `affinity` axis confines each worker (and so every thread its
 * libraries start later) to a set of CPUs with hwloc, before the workload loads anything; the
 * `mem_policy` axis sets its memory policy with hwloc's membind; `coordinator_cpus` pins the
 * coordinator. Plans are computed from the topology and the CPUs the sweep was allowed when it
 * began (taskset, cgroup cpuset), so every worker and the coordinator agree on them. */
#include <errno.h>
#include <hwloc.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "sys/placement.h"

static hwloc_topology_t topo;
static bool topo_tried;

static hwloc_topology_t topology(void)
{
	if (topo_tried)
		return topo;
	topo_tried = true;
	if (hwloc_topology_init(&topo) < 0) {
		topo = NULL;
		return NULL;
	}
	if (hwloc_topology_load(topo) < 0) {
		hwloc_topology_destroy(topo);
		topo = NULL;
	}
	return topo;
}

void sl_placement_prepare(void)
{
	topology();
}

/* The allowed CPUs: the list the setting carries, else what this process may use now. */
static hwloc_bitmap_t allowed_set(const char *list)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();

	if (!set)
		return NULL;
	if (list && list[0] && hwloc_bitmap_list_sscanf(set, list) == 0 && !hwloc_bitmap_iszero(set))
		return set;
	if (!topology() || hwloc_get_cpubind(topo, set, HWLOC_CPUBIND_PROCESS) < 0 || hwloc_bitmap_iszero(set))
		hwloc_bitmap_list_sscanf(set, sl_topology()->allowed);
	return set;
}

/* "cpus:N": N, or -1 when value is not of that form. */
static long cpus_count(const char *value)
{
	long n;

	if (strncmp(value, "cpus:", 5) != 0 || !sl_parse_long(value + 5, &n))
		return -1;
	return n;
}

bool sl_placement_check(const char *value, char *msg, size_t msglen)
{
	long n;

	if (strcmp(value, "none") == 0 || strcmp(value, "core") == 0 || strcmp(value, "compact") == 0 ||
	    strcmp(value, "spread") == 0)
		return true;
	if (strncmp(value, "cpus:", 5) != 0) {
		const char *cands[] = { "none", "core", "compact", "spread", "cpus:1", NULL };
		const char *guess = sl_did_you_mean(value, cands);

		snprintf(msg, msglen, "affinity = '%s': expected one of none, cpus:N, core, compact, spread%s%s%s", value,
			 guess ? " (did you mean '" : "", guess ? guess : "", guess ? "'?)" : "");
		return false;
	}
	n = cpus_count(value);
	if (n < 1) {
		snprintf(msg, msglen, "affinity = '%s': cpus:N needs a whole number N of at least 1", value);
		return false;
	}
	if (n > sl_topology()->logical) {
		snprintf(msg, msglen, "affinity = %s: this machine lets speedlab use %d logical CPU%s (%s), not %ld", value,
			 sl_topology()->logical, sl_topology()->logical == 1 ? "" : "s", sl_topology()->allowed, n);
		return false;
	}
	return true;
}

bool sl_placement_check_cpus(const char *list, char *msg, size_t msglen)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc(), allowed = allowed_set(sl_topology()->allowed);
	bool ok = false;

	if (!set || !allowed)
		snprintf(msg, msglen, "out of memory");
	else if (!list[0] || strspn(list, "0123456789-,") != strlen(list) || hwloc_bitmap_list_sscanf(set, list) < 0 ||
		 hwloc_bitmap_iszero(set))
		snprintf(msg, msglen, "expected a CPU list such as 1 or 0-3,8");
	else if (!hwloc_bitmap_isincluded(set, allowed))
		snprintf(msg, msglen, "not within the CPUs this process may use (%s)", sl_topology()->allowed);
	else
		ok = true;
	hwloc_bitmap_free(set);
	hwloc_bitmap_free(allowed);
	return ok;
}

/* The idx-th (modulo their count) object of type t that holds an allowed CPU, in hwloc's order:
 * its allowed CPUs into out. false when there is none. */
static bool nth_object(hwloc_obj_type_t t, hwloc_const_bitmap_t allowed, int idx, hwloc_bitmap_t out)
{
	int n = 0, nobj = hwloc_get_nbobjs_by_type(topo, t);

	for (int i = 0; i < nobj; i++)
		if (hwloc_bitmap_intersects(hwloc_get_obj_by_type(topo, t, (unsigned)i)->cpuset, allowed))
			n++;
	if (n == 0)
		return false;
	idx %= n;
	for (int i = 0; i < nobj; i++) {
		hwloc_obj_t o = hwloc_get_obj_by_type(topo, t, (unsigned)i);

		if (hwloc_bitmap_intersects(o->cpuset, allowed) && idx-- == 0) {
			hwloc_bitmap_and(out, o->cpuset, allowed);
			return true;
		}
	}
	return false;
}

/* spread: hwloc_distrib over the allowed part of the machine, down to cores. */
static int spread_set(hwloc_const_bitmap_t allowed, int id, int nworkers, hwloc_bitmap_t out)
{
	hwloc_topology_t t = topo;
	hwloc_bitmap_t *sets = calloc((size_t)nworkers, sizeof(*sets));
	hwloc_obj_t root;
	int rc = -ENOMEM, depth;

	if (!sets)
		return -ENOMEM;
	if (!hwloc_bitmap_isequal(allowed, hwloc_topology_get_topology_cpuset(topo))) {
		if (hwloc_topology_dup(&t, topo) < 0)
			goto out;
		if (hwloc_topology_restrict(t, allowed, HWLOC_RESTRICT_FLAG_REMOVE_CPULESS) < 0) {
			rc = -errno;
			goto out_topo;
		}
	}
	/* hwloc_distrib allocates each set itself (hwloc_bitmap_dup); they are freed below */
	root = hwloc_get_root_obj(t);
	depth = hwloc_get_type_depth(t, HWLOC_OBJ_CORE);
	if (depth < 0)
		depth = hwloc_get_type_depth(t, HWLOC_OBJ_PU);
	rc = hwloc_distrib(t, &root, 1, sets, (unsigned)nworkers, depth, 0) < 0 ? -errno : 0;
	if (rc == 0 && sets[id])
		hwloc_bitmap_and(out, sets[id], allowed);
	for (int i = 0; i < nworkers; i++)
		hwloc_bitmap_free(sets[i]);
out_topo:
	if (t != topo)
		hwloc_topology_destroy(t);
out:
	free(sets);
	return rc;
}

/* The worker's set into out: 1, 0 (left alone), or -errno with msg. */
static int worker_set(const struct sl_setting *s, int id, int nworkers, hwloc_bitmap_t out, char *msg, size_t msglen)
{
	const char *aff = s->affinity[0] ? s->affinity : "none";
	hwloc_bitmap_t allowed;
	long n = cpus_count(aff);
	int rc = 1;

	if (strcmp(aff, "none") == 0 && !s->coordinator_cpus[0])
		return 0;
	if (!topology()) {
		snprintf(msg, msglen, "affinity = %s: hwloc cannot read the topology", aff);
		return -ENOSYS;
	}
	allowed = allowed_set(s->allowed_cpus);
	if (!allowed) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	hwloc_bitmap_zero(out);
	if (strcmp(aff, "none") == 0) {
		/* the coordinator is pinned elsewhere: a worker gets back what the sweep may use */
		hwloc_bitmap_copy(out, allowed);
	} else if (n >= 1) {
		long got = 0;
		int cpu;

		hwloc_bitmap_foreach_begin(cpu, allowed)
			if (got < n) {
				hwloc_bitmap_set(out, (unsigned)cpu);
				got++;
			}
		hwloc_bitmap_foreach_end();
		if (got < n) {
			snprintf(msg, msglen, "affinity = %s: only %ld CPU%s allowed", aff, got, got == 1 ? "" : "s");
			rc = -EINVAL;
		}
	} else if (strcmp(aff, "core") == 0) {
		if (!nth_object(HWLOC_OBJ_CORE, allowed, id, out) && !nth_object(HWLOC_OBJ_PU, allowed, id, out))
			rc = -ENODEV;
	} else if (strcmp(aff, "compact") == 0) {
		if (!nth_object(HWLOC_OBJ_PU, allowed, id, out))
			rc = -ENODEV;
	} else if (strcmp(aff, "spread") == 0) {
		rc = spread_set(allowed, id, nworkers, out);
		rc = rc < 0 ? rc : 1;
	} else {
		snprintf(msg, msglen, "unknown affinity '%s'", aff);
		rc = -EINVAL;
	}
	if (rc == 1 && hwloc_bitmap_iszero(out)) {
		snprintf(msg, msglen, "affinity = %s: no CPU for worker %d", aff, id);
		rc = -ENODEV;
	} else if (rc < 0 && !msg[0]) {
		snprintf(msg, msglen, "affinity = %s: %s", aff, strerror(-rc));
	}
	hwloc_bitmap_free(allowed);
	return rc;
}

int sl_placement_worker_cpus(const struct sl_setting *s, int id, int nworkers, char *out, size_t outlen,
			     char *msg, size_t msglen)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	int rc;

	if (!set)
		return -ENOMEM;
	msg[0] = '\0';
	rc = worker_set(s, id, nworkers < 1 ? 1 : nworkers, set, msg, msglen);
	out[0] = '\0';
	if (rc == 1)
		hwloc_bitmap_list_snprintf(out, outlen, set);
	hwloc_bitmap_free(set);
	return rc;
}

void sl_placement_omp(const char *affinity, const char *cpus, char *places, size_t placeslen, const char **bind)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	size_t used = 0;
	int cpu;

	places[0] = '\0';
	*bind = affinity && strcmp(affinity, "spread") == 0 ? "spread" : "close";
	if (!set)
		return;
	if (hwloc_bitmap_list_sscanf(set, cpus) == 0)
		hwloc_bitmap_foreach_begin(cpu, set)
			if (used + 16 < placeslen)
				used += (size_t)snprintf(places + used, placeslen - used, "%s{%d}", used ? "," : "", cpu);
		hwloc_bitmap_foreach_end();
	hwloc_bitmap_free(set);
}

/* mem_policy: default leaves it; local is first touch (MPOL_LOCAL); interleave spreads pages over the nodes of
 * the allowed CPUs; bind keeps them on the nodes of the worker's own CPUs. */
static int apply_mem_policy(const struct sl_setting *s, hwloc_const_bitmap_t cpus, char *msg, size_t msglen)
{
	const char *pol = s->mem_policy[0] ? s->mem_policy : "default";
	hwloc_membind_policy_t how;
	hwloc_bitmap_t where;
	int rc = 0;

	if (strcmp(pol, "default") == 0)
		return 0;
	if (strcmp(pol, "local") == 0)
		how = HWLOC_MEMBIND_FIRSTTOUCH;
	else if (strcmp(pol, "interleave") == 0)
		how = HWLOC_MEMBIND_INTERLEAVE;
	else if (strcmp(pol, "bind") == 0)
		how = HWLOC_MEMBIND_BIND;
	else {
		snprintf(msg, msglen, "unknown mem_policy '%s'", pol);
		return -EINVAL;
	}
	if (!topology()) {
		snprintf(msg, msglen, "mem_policy = %s: hwloc cannot read the topology", pol);
		return -ENOSYS;
	}
	where = how == HWLOC_MEMBIND_BIND && cpus ? hwloc_bitmap_dup(cpus) : allowed_set(s->allowed_cpus);
	if (!where)
		return -ENOMEM;
	/* the worker has one thread now; the threads it starts inherit the policy. bind is strict
	 * (MPOL_BIND, numactl --membind); without STRICT hwloc asks only for a preference */
	if (hwloc_set_membind(topo, where, how, HWLOC_MEMBIND_THREAD | (how == HWLOC_MEMBIND_BIND ? HWLOC_MEMBIND_STRICT : 0)) < 0) {
		rc = -errno;
		snprintf(msg, msglen, "mem_policy = %s: the kernel refused it: %s", pol, strerror(errno));
	}
	hwloc_bitmap_free(where);
	return rc;
}

int sl_placement_apply_worker(const struct sl_setting *s, int id, int nworkers, char *msg, size_t msglen)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	int rc;

	if (!set)
		return -ENOMEM;
	msg[0] = '\0';
	rc = worker_set(s, id, nworkers < 1 ? 1 : nworkers, set, msg, msglen);
	if (rc == 1) {
		char list[256], places[1024];
		const char *bind;

		hwloc_bitmap_list_snprintf(list, sizeof(list), set);
		if (hwloc_set_cpubind(topo, set, HWLOC_CPUBIND_PROCESS) < 0) {
			rc = -errno;
			snprintf(msg, msglen, "affinity = %s: the kernel refused to bind worker %d to CPUs %s: %s",
				 s->affinity, id, list, strerror(errno));
			goto out;
		}
		sl_placement_omp(s->affinity, list, places, sizeof(places), &bind);
		setenv("OMP_PLACES", places, 1);
		setenv("OMP_PROC_BIND", bind, 1);
		setenv("SPEEDLAB_WORKER_CPUS", list, 1);
	}
	if (rc >= 0)
		rc = apply_mem_policy(s, rc == 1 ? set : NULL, msg, msglen);
out:
	hwloc_bitmap_free(set);
	return rc < 0 ? rc : 0;
}

int sl_placement_pin_self(const char *list, char *msg, size_t msglen)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	int rc = 0;

	sl_topology();   /* the allowed set is read before the pin narrows it */
	if (!set)
		return -ENOMEM;
	if (!topology() || hwloc_bitmap_list_sscanf(set, list) < 0) {
		snprintf(msg, msglen, "coordinator_cpus = %s: cannot read it", list);
		rc = -EINVAL;
	} else if (hwloc_set_cpubind(topo, set, HWLOC_CPUBIND_PROCESS) < 0) {
		rc = -errno;
		snprintf(msg, msglen, "coordinator_cpus = %s: the kernel refused it: %s", list, strerror(errno));
	}
	hwloc_bitmap_free(set);
	return rc;
}

json_t *sl_placement_plan_json(const struct sl_setting *s)
{
	json_t *o = json_object(), *workers = json_array(), *places = json_array();
	char msg[256];
	const char *bind = NULL;

	json_object_set_new(o, "affinity", json_string(s->affinity[0] ? s->affinity : "none"));
	json_object_set_new(o, "processes", json_integer(s->processes));
	json_object_set_new(o, "mem_policy", json_string(s->mem_policy[0] ? s->mem_policy : "default"));
	for (int i = 0; i < s->processes && i < 4096; i++) {
		char cpus[256], pl[1024];
		int rc = sl_placement_worker_cpus(s, i, s->processes, cpus, sizeof(cpus), msg, sizeof(msg));

		if (rc < 0) {
			json_object_set_new(o, "error", json_string(msg));
			break;
		}
		if (rc == 0)
			break;
		sl_placement_omp(s->affinity, cpus, pl, sizeof(pl), &bind);
		json_array_append_new(workers, json_string(cpus));
		json_array_append_new(places, json_string(pl));
	}
	json_object_set_new(o, "worker_cpus", workers);
	if (bind) {
		json_object_set_new(o, "OMP_PLACES", places);
		json_object_set_new(o, "OMP_PROC_BIND", json_string(bind));
	} else {
		json_decref(places);
	}
	return o;
}
