/* sysinfo.c: what machine this is: topology (hwloc), memory, kernel, BLAS, OpenMP, CUDA, fingerprint. */
#include <errno.h>
#include <fcntl.h>
#include <hwloc.h>
#include <omp.h>
#include <sched.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/blas.h"
#include "sys/cuda.h"
#include "core/speedlab.h"
#include "sys/sysinfo.h"

extern char **environ;

#ifndef SL_GIT_COMMIT
#define SL_GIT_COMMIT "unknown"
#endif
#ifndef SL_CFLAGS
#define SL_CFLAGS ""
#endif

struct caches {
	double size_kib[5];   /* by level 1..4 (index = level) */
	int count[5];
};

static struct sl_topology topo_cache;
static struct caches cache_cache;
static char cpu_model[128];
/* hybrid CPUs (hwloc cpukinds): each kind's CPUs and what the kernel calls it */
#define MAX_KINDS 8
static int nkinds;
static struct { char cpus[128]; char name[64]; int efficiency; } kinds[MAX_KINDS];

static void read_cpu_model(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(cpu_model, sizeof(cpu_model), "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon) {
			sl_strlcpy(cpu_model, sl_strip(colon + 1), sizeof(cpu_model));
			break;
		}
	}
	fclose(f);
}

const struct sl_topology *sl_topology(void)
{
	struct sl_topology *t = &topo_cache;
	hwloc_topology_t topo;
	cpu_set_t aff;

	if (t->logical)
		return t;
	t->logical = (int)sysconf(_SC_NPROCESSORS_ONLN);
	t->machine_logical = t->logical;
	t->machine_physical = t->logical;
	t->physical = t->logical;
	t->sockets = 1;
	t->numa_nodes = 1;
	t->smt = 1;
	snprintf(t->allowed, sizeof(t->allowed), "0-%d", t->logical - 1);
	if (sched_getaffinity(0, sizeof(aff), &aff) == 0 && CPU_COUNT(&aff) > 0)
		t->logical = CPU_COUNT(&aff);
	t->mem_gib = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024 * 1024);
	read_cpu_model();
	if (hwloc_topology_init(&topo) < 0)
		return t;
	if (hwloc_topology_load(topo) == 0) {
		hwloc_bitmap_t allowed = hwloc_bitmap_alloc();
		int pu = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
		int core = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
		int pkg = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
		int numa = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);

		if (pu > 0)
			t->machine_logical = pu;
		t->machine_physical = core > 0 ? core : t->machine_logical;
		/* what this process may use (taskset, a cgroup cpuset): logical and physical count that part;
		 * sockets and NUMA nodes stay the machine's */
		if (allowed && hwloc_get_cpubind(topo, allowed, HWLOC_CPUBIND_PROCESS) == 0 &&
		    hwloc_bitmap_intersects(allowed, hwloc_topology_get_topology_cpuset(topo))) {
			hwloc_bitmap_and(allowed, allowed, hwloc_topology_get_topology_cpuset(topo));
			hwloc_bitmap_list_snprintf(t->allowed, sizeof(t->allowed), allowed);
			pu = hwloc_bitmap_weight(allowed);
			core = 0;
			for (int i = 0; i < hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE); i++) {
				hwloc_obj_t o = hwloc_get_obj_by_type(topo, HWLOC_OBJ_CORE, (unsigned)i);

				if (hwloc_bitmap_intersects(o->cpuset, allowed))
					core++;
				if (hwloc_bitmap_weight(o->cpuset) > t->smt)
					t->smt = hwloc_bitmap_weight(o->cpuset);
			}
		}
		hwloc_bitmap_free(allowed);
		nkinds = hwloc_cpukinds_get_nr(topo, 0);
		if (nkinds < 0)
			nkinds = 0;
		if (nkinds > MAX_KINDS)
			nkinds = MAX_KINDS;
		for (int k = 0; k < nkinds; k++) {
			hwloc_bitmap_t cs = hwloc_bitmap_alloc();
			struct hwloc_info_s *infos = NULL;
			unsigned ninfos = 0;

			kinds[k].efficiency = -1;
			snprintf(kinds[k].name, sizeof(kinds[k].name), "kind%d", k);
			if (cs && hwloc_cpukinds_get_info(topo, (unsigned)k, cs, &kinds[k].efficiency, &ninfos, &infos, 0) == 0) {
				hwloc_bitmap_list_snprintf(kinds[k].cpus, sizeof(kinds[k].cpus), cs);
				for (unsigned i = 0; i < ninfos; i++)
					if (strcmp(infos[i].name, "CoreType") == 0 || strcmp(infos[i].name, "FrequencyMaxMHz") == 0)
						snprintf(kinds[k].name, sizeof(kinds[k].name), "%s=%s", infos[i].name,
							 infos[i].value);
			}
			hwloc_bitmap_free(cs);
		}
		static const hwloc_obj_type_t levels[5] = { 0, HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE,
							    HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L4CACHE };

		if (pu > 0)
			t->logical = pu;
		if (core > 0)
			t->physical = core;
		if (pkg > 0)
			t->sockets = pkg;
		if (numa > 0)
			t->numa_nodes = numa;
		for (int l = 1; l <= 4; l++) {
			int n = hwloc_get_nbobjs_by_type(topo, levels[l]);
			hwloc_obj_t o = n > 0 ? hwloc_get_obj_by_type(topo, levels[l], 0) : NULL;

			cache_cache.count[l] = n;
			cache_cache.size_kib[l] = o && o->attr ? (double)o->attr->cache.size / 1024.0 : 0;
		}
	}
	hwloc_topology_destroy(topo);
	return t;
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

const char *sl_fingerprint(void)
{
	static char fp[160];
	const struct sl_topology *t = sl_topology();
	char canon[512], slug[48];
	size_t k = 0;

	if (fp[0])
		return fp;
	/* memory rounded to whole GiB so a few MiB reserved by firmware do not change the machine */
	/* the whole machine's counts: a taskset or cpuset does not make another machine */
	snprintf(canon, sizeof(canon), "%s|%d|%d|%d|%d|%.0f|%.0f|%.0f", cpu_model, t->machine_logical, t->machine_physical,
		 t->sockets, t->numa_nodes, t->mem_gib, cache_cache.size_kib[2], cache_cache.size_kib[3]);
	for (const char *p = cpu_model; *p && k + 1 < sizeof(slug); p++) {
		char c = *p;

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			slug[k++] = c;
		else if (c >= 'A' && c <= 'Z')
			slug[k++] = (char)(c - 'A' + 'a');
		else if (k > 0 && slug[k - 1] != '-')
			slug[k++] = '-';
	}
	while (k > 0 && slug[k - 1] == '-')
		k--;
	slug[k] = '\0';
	snprintf(fp, sizeof(fp), "%.40s-%dc%dp%ds-%.0fg-%08llx", slug[0] ? slug : "cpu", t->machine_logical, t->machine_physical,
		 t->sockets, t->mem_gib, (unsigned long long)(fnv1a(canon) & 0xffffffffULL));
	return fp;
}

static json_t *read_first_line(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];

	if (!f)
		return json_null();
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return json_null();
	}
	fclose(f);
	return json_string(sl_strip(line));
}

/* cgroup v2 cpu.max ("max 100000" or "200000 100000"), else v1; CPUs as a number, or null. */
static json_t *cgroup_quota(void)
{
	FILE *f = fopen("/sys/fs/cgroup/cpu.max", "r");
	char q[64];
	long period;

	if (f) {
		int n = fscanf(f, "%63s %ld", q, &period);

		fclose(f);
		if (n == 2 && strcmp(q, "max") != 0 && period > 0)
			return json_real(atof(q) / (double)period);
		return json_null();
	}
	f = fopen("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "r");
	if (f) {
		long quota = -1;
		FILE *g = fopen("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "r");

		if (fscanf(f, "%ld", &quota) != 1)
			quota = -1;
		fclose(f);
		if (g) {
			if (fscanf(g, "%ld", &period) != 1)
				period = 0;
			fclose(g);
			if (quota > 0 && period > 0)
				return json_real((double)quota / (double)period);
		}
	}
	return json_null();
}

static const char *parallel_name(int p)
{
	return p == 0 ? "sequential" : p == 1 ? "pthreads" : p == 2 ? "openmp" : "unknown";
}

static json_t *blas_json(const char *which)
{
	char msg[256] = "";
	const struct sl_blas *b = sl_blas_load(which, msg, sizeof(msg));
	json_t *o = json_object();
	char ver[64] = "unknown";
	const char *cfg;

	json_object_set_new(o, "path", json_string(sl_blas_path(which)));
	if (!b) {
		json_object_set_new(o, "error", json_string(msg));
		return o;
	}
	cfg = b->get_config();
	if (cfg && strncmp(cfg, "OpenBLAS ", 9) == 0)
		sscanf(cfg + 9, "%63s", ver);
	json_object_set_new(o, "version", json_string(ver));
	json_object_set_new(o, "config", json_string(cfg ? cfg : ""));
	json_object_set_new(o, "corename", json_string(b->get_corename()));
	json_object_set_new(o, "threading", json_string(parallel_name(b->get_parallel())));
	json_object_set_new(o, "default_threads", json_integer(b->get_num_threads()));
	return o;
}

json_t *sl_sysinfo_json(bool with_libraries)
{
	const struct sl_topology *t = sl_topology();
	json_t *o = json_object(), *cpu = json_object(), *caches = json_object(), *omp = json_object();
	json_t *cuda = json_object(), *build = json_object();
	struct utsname u;
	char host[256] = "unknown", cudabuf[1024];
	cpu_set_t set;
	int ndev;

	gethostname(host, sizeof(host) - 1);
	json_object_set_new(o, "hostname", json_string(host));
	if (uname(&u) == 0) {
		char k[400];

		snprintf(k, sizeof(k), "%s %s %s", u.sysname, u.release, u.machine);
		json_object_set_new(o, "kernel", json_string(k));
	}
	json_object_set_new(cpu, "model", json_string(cpu_model));
	json_object_set_new(cpu, "logical", json_integer(t->logical));
	json_object_set_new(cpu, "physical", json_integer(t->physical));
	json_object_set_new(cpu, "sockets", json_integer(t->sockets));
	json_object_set_new(cpu, "numa_nodes", json_integer(t->numa_nodes));
	json_object_set_new(cpu, "online", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		json_object_set_new(cpu, "allowed", json_integer(CPU_COUNT(&set)));
	json_object_set_new(cpu, "allowed_cpus", json_string(t->allowed));
	json_object_set_new(cpu, "machine_logical", json_integer(t->machine_logical));
	json_object_set_new(cpu, "smt", json_integer(t->smt));
	{
		json_t *ks = json_array();

		/* hybrid core types, only where the kernel exposes them (one kind: nothing to tell) */
		for (int k = 0; nkinds > 1 && k < nkinds; k++) {
			json_t *one = json_object();

			json_object_set_new(one, "cpus", json_string(kinds[k].cpus));
			json_object_set_new(one, "kind", json_string(kinds[k].name));
			json_object_set_new(one, "efficiency", json_integer(kinds[k].efficiency));
			json_array_append_new(ks, one);
		}
		json_object_set_new(cpu, "core_kinds", ks);
	}
	for (int l = 1; l <= 4; l++) {
		char key[16];

		if (!cache_cache.count[l])
			continue;
		snprintf(key, sizeof(key), "L%d_kib", l);
		json_object_set_new(caches, key, json_real(cache_cache.size_kib[l]));
		snprintf(key, sizeof(key), "L%d_count", l);
		json_object_set_new(caches, key, json_integer(cache_cache.count[l]));
	}
	json_object_set_new(cpu, "caches", caches);
	json_object_set_new(cpu, "governor", read_first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"));
	json_object_set_new(cpu, "cgroup_cpu_quota", cgroup_quota());
	json_object_set_new(o, "cpu", cpu);
	json_object_set_new(o, "memory_gib", json_real(t->mem_gib));

	json_object_set_new(build, "compiler", json_string("gcc " __VERSION__));
	json_object_set_new(build, "cflags", json_string(SL_CFLAGS));
	json_object_set_new(build, "git_commit", json_string(SL_GIT_COMMIT));
	json_object_set_new(build, "speedlab_version", json_string(SL_VERSION));
	json_object_set_new(build, "hwloc_api", json_integer(HWLOC_API_VERSION));
	json_object_set_new(build, "jansson", json_string(JANSSON_VERSION));
	json_object_set_new(o, "build", build);

	json_object_set_new(omp, "runtime", json_string("libgomp (GCC)"));
#ifdef _OPENMP
	json_object_set_new(omp, "version", json_integer(_OPENMP));
#endif
	json_object_set_new(omp, "max_threads", json_integer(omp_get_max_threads()));
	json_object_set_new(omp, "num_procs", json_integer(omp_get_num_procs()));
	json_object_set_new(o, "openmp", omp);

	if (with_libraries) {
		json_t *blas = json_object();

		json_object_set_new(blas, "pthread", blas_json("pthread"));
		json_object_set_new(blas, "openmp", blas_json("openmp"));
		json_object_set_new(o, "openblas", blas);
	}

	ndev = sl_cuda_describe(cudabuf, sizeof(cudabuf));
	json_object_set_new(cuda, "compiled", json_boolean(sl_cuda_built()));
	json_object_set_new(cuda, "devices", json_integer(ndev));
	json_object_set_new(cuda, "description", json_string(cudabuf));
	json_object_set_new(o, "cuda", cuda);
	json_object_set_new(o, "fingerprint", json_string(sl_fingerprint()));
	return o;
}

json_t *sl_sysinfo_from_child(void)
{
	int fds[2];
	pid_t pid;
	posix_spawn_file_actions_t fa;
	char *argv[] = { (char *)sl_self_exe(), "sysinfo", "--json", NULL };
	char *buf = NULL;
	size_t len = 0, cap = 0;
	json_t *o = NULL;
	int status;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return sl_sysinfo_json(false);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(fds[0]);
		close(fds[1]);
		return sl_sysinfo_json(false);
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	for (;;) {
		ssize_t r;

		if (len + 4096 > cap) {
			char *n = realloc(buf, cap + 65536);

			if (!n)
				break;
			buf = n;
			cap += 65536;
		}
		r = read(fds[0], buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (buf && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		o = json_loadb(buf, len, 0, NULL);
	free(buf);
	return o ? o : sl_sysinfo_json(false);
}
