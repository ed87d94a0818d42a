/* nvml.c: GPU utilisation through NVML, loaded at run time with dlopen (no link-time dependency). */
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>

#include "sys/nvml.h"

/* The few NVML types used here, as nvml.h declares them (its ABI is stable across drivers). */
typedef int nvml_return;                         /* nvmlReturn_t: 0 is NVML_SUCCESS */
typedef struct nvml_device_st *nvml_device;      /* nvmlDevice_t: an opaque handle */
struct nvml_utilization {                        /* nvmlUtilization_t */
	unsigned int gpu;                        /* % of the last sample period a kernel was running */
	unsigned int memory;                     /* % of it device memory was read or written */
};
struct nvml_memory {                             /* nvmlMemory_t (v1), bytes */
	unsigned long long total;
	unsigned long long free;
	unsigned long long used;
};
enum { NVML_SUCCESS = 0, NVML_CLOCK_SM = 1 };    /* nvmlClockType_t: NVML_CLOCK_SM */

static struct {
	void *lib;
	int count;
	nvml_return (*init)(void);
	nvml_return (*shutdown)(void);
	nvml_return (*get_count)(unsigned int *count);
	nvml_return (*get_handle)(unsigned int index, nvml_device *dev);
	nvml_return (*get_utilization)(nvml_device dev, struct nvml_utilization *u);
	nvml_return (*get_memory)(nvml_device dev, struct nvml_memory *m);
	nvml_return (*get_clock)(nvml_device dev, int type, unsigned int *mhz);
} nv;
static pthread_mutex_t nv_lock = PTHREAD_MUTEX_INITIALIZER;

static void *nv_sym(const char *name, int *missing)
{
	void *p = dlsym(nv.lib, name);

	if (!p)
		(*missing)++;
	return p;
}

bool sl_nvml_open(void)
{
	unsigned int count = 0;
	int missing = 0;
	bool ok = false;

	pthread_mutex_lock(&nv_lock);
	if (nv.lib) {
		ok = true;
		goto out_unlock;
	}
	nv.lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!nv.lib)
		goto out_unlock;
	*(void **)&nv.init = nv_sym("nvmlInit_v2", &missing);
	*(void **)&nv.shutdown = nv_sym("nvmlShutdown", &missing);
	*(void **)&nv.get_count = nv_sym("nvmlDeviceGetCount_v2", &missing);
	*(void **)&nv.get_handle = nv_sym("nvmlDeviceGetHandleByIndex_v2", &missing);
	*(void **)&nv.get_utilization = nv_sym("nvmlDeviceGetUtilizationRates", &missing);
	*(void **)&nv.get_memory = nv_sym("nvmlDeviceGetMemoryInfo", &missing);
	*(void **)&nv.get_clock = nv_sym("nvmlDeviceGetClockInfo", &missing);
	if (missing || nv.init() != NVML_SUCCESS)
		goto out_close;
	if (nv.get_count(&count) != NVML_SUCCESS) {
		nv.shutdown();
		goto out_close;
	}
	nv.count = (int)count;
	ok = true;
	goto out_unlock;

out_close:
	dlclose(nv.lib);
	nv.lib = NULL;
	nv.count = 0;
out_unlock:
	pthread_mutex_unlock(&nv_lock);
	return ok;
}

int sl_nvml_count(void)
{
	int n;

	pthread_mutex_lock(&nv_lock);
	n = nv.lib ? nv.count : 0;
	pthread_mutex_unlock(&nv_lock);
	return n;
}

bool sl_nvml_sample(int i, struct sl_gpu_sample *out)
{
	struct nvml_utilization u;
	struct nvml_memory mem;
	unsigned int mhz;
	nvml_device dev;
	bool ok = false;

	pthread_mutex_lock(&nv_lock);
	if (!nv.lib || i < 0 || i >= nv.count)
		goto out_unlock;
	if (nv.get_handle((unsigned int)i, &dev) != NVML_SUCCESS)
		goto out_unlock;
	/* utilisation is the point; memory and clock are NAN where a GPU will not say */
	if (nv.get_utilization(dev, &u) != NVML_SUCCESS)
		goto out_unlock;
	out->util_pct = u.gpu;
	out->mem_used_mb = nv.get_memory(dev, &mem) == NVML_SUCCESS ? (double)mem.used / (1024.0 * 1024.0) : NAN;
	out->sm_clock_mhz = nv.get_clock(dev, NVML_CLOCK_SM, &mhz) == NVML_SUCCESS ? (double)mhz : NAN;
	ok = true;
out_unlock:
	pthread_mutex_unlock(&nv_lock);
	return ok;
}

void sl_nvml_close(void)
{
	pthread_mutex_lock(&nv_lock);
	if (nv.lib) {
		nv.shutdown();
		dlclose(nv.lib);
	}
	nv.lib = NULL;
	nv.count = 0;
	pthread_mutex_unlock(&nv_lock);
}
