// cuda_placeholder.cu: temporary CUDA entry points until the GPU workloads land (replaced by them).
#include <cerrno>
#include <cstdio>
#include <cuda_runtime.h>

extern "C" {
#include "cuda.h"
}

extern "C" bool sl_cuda_built(void) { return true; }
extern "C" int sl_cuda_device_count(void)
{
	int n = 0;
	return cudaGetDeviceCount(&n) == cudaSuccess ? n : 0;
}
extern "C" int sl_cuda_parent_init(char *msg, size_t msglen)
{
	std::snprintf(msg, msglen, "not yet built");
	return -ENOSYS;
}
extern "C" int sl_cuda_describe(char *buf, size_t len)
{
	int n = sl_cuda_device_count();
	std::snprintf(buf, len, n ? "%d device(s)" : "no CUDA device", n);
	return n;
}
