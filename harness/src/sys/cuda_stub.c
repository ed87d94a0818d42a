/* cuda_stub.c: the CUDA entry points of a build without nvcc (the .cu files provide them otherwise). */
#ifndef SL_HAVE_CUDA
#include <errno.h>
#include <stdio.h>

#include "sys/cuda.h"

bool sl_cuda_built(void) { return false; }
int sl_cuda_device_count(void) { return 0; }
int sl_cuda_use(const char *who, char *msg, size_t msglen)
{
	(void)who;
	snprintf(msg, msglen, "built without CUDA");
	return -ENOSYS;
}
int sl_cuda_describe(char *buf, size_t len) { snprintf(buf, len, "built without CUDA"); return 0; }
#else
/* with nvcc the .cu files define these */
typedef int sl_cuda_stub_unused;
#endif
