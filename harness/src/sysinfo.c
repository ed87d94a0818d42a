/* sysinfo.c: what machine this is: topology (hwloc), memory, kernel, BLAS, OpenMP, CUDA, fingerprint. */
#include <hwloc.h>
#include <unistd.h>

#include "speedlab.h"

const struct sl_topology *sl_topology(void)
{
	static struct sl_topology t;
	hwloc_topology_t topo;

	if (t.logical)
		return &t;
	t.logical = (int)sysconf(_SC_NPROCESSORS_ONLN);
	t.physical = t.logical;
	t.sockets = 1;
	t.numa_nodes = 1;
	t.mem_gib = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024 * 1024);
	if (hwloc_topology_init(&topo) == 0) {
		if (hwloc_topology_load(topo) == 0) {
			int pu = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
			int core = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
			int pkg = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
			int numa = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);

			if (pu > 0)
				t.logical = pu;
			if (core > 0)
				t.physical = core;
			if (pkg > 0)
				t.sockets = pkg;
			if (numa > 0)
				t.numa_nodes = numa;
		}
		hwloc_topology_destroy(topo);
	}
	return &t;
}
