/* cuda.h: the CUDA pieces other parts call (the GPU workloads live in workloads/gpu_*.c and *.cu). */
#ifndef SL_CUDA_H
#define SL_CUDA_H

#include <stdbool.h>
#include <stddef.h>

/* True when this build has CUDA compiled in (nvcc was found). */
bool sl_cuda_built(void);
/* Number of CUDA devices at run time (0 when none or not built). Never fails. */
int sl_cuda_device_count(void);
/* Initialise CUDA in this process and run a kernel on device 0: the start-safety matrix's "parent
 * uses CUDA" step in the coordinator (who = "coordinator"), and the same use in each worker after
 * (who = "worker"), which fails in a worker forked from a coordinator that had initialised CUDA.
 * Returns 0, -ENOSYS when built without CUDA, -ENODEV without a device, -EIO with msg set
 * ("cuda init in the worker: initialization error") on a CUDA error. */
int sl_cuda_use(const char *who, char *msg, size_t msglen);
/* Facts for sysinfo: one line per device ("name, sm_90, 139 GiB, driver 13.0"), into buf. Returns
 * the count of devices. Never fails. */
int sl_cuda_describe(char *buf, size_t len);

#endif
