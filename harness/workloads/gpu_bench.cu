/* gpu_bench.cu: the CUDA and cuBLAS work behind gpu_gemm, gpu_share, gpu_sync and gpu_copy. */
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <ctime>

#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include "sys/gpu.h"

namespace {

double now_s()
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of the whole process: the CUDA runtime's own threads count too, as in top */
double cpu_s()
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cuda_fail(cudaError_t e, const char *what, char *msg, size_t msglen)
{
	snprintf(msg, msglen, "%s: %s", what, cudaGetErrorString(e));
	return -EIO;
}

int cublas_fail(cublasStatus_t st, const char *what, char *msg, size_t msglen)
{
	snprintf(msg, msglen, "%s: %s", what, cublasGetStatusString(st));
	return -EIO;
}

/* In open functions: on a CUDA error, set err and msg and undo everything. */
#define CUDA_OR_CLOSE(call, what)                                  \
	do {                                                       \
		cudaError_t e_ = (call);                           \
		if (e_ != cudaSuccess) {                           \
			err = cuda_fail(e_, what, msg, msglen);    \
			goto out_close;                            \
		}                                                  \
	} while (0)

/* In task functions: nothing to undo. */
#define CUDA_OR_RETURN(call, what)                                 \
	do {                                                       \
		cudaError_t e_ = (call);                           \
		if (e_ != cudaSuccess)                             \
			return cuda_fail(e_, what, msg, msglen);   \
	} while (0)

template <typename T> __host__ __device__ T from_int(int v);
template <> __host__ __device__ float from_int<float>(int v) { return (float)v; }
template <> __host__ __device__ double from_int<double>(int v) { return (double)v; }
template <> __host__ __device__ __nv_bfloat16 from_int<__nv_bfloat16>(int v) { return __float2bfloat16((float)v); }

__device__ double to_double(float v) { return (double)v; }
__device__ double to_double(double v) { return v; }
__device__ double to_double(__nv_bfloat16 v) { return (double)__bfloat162float(v); }

const int threads_per_block = 256;

int blocks_for(size_t count)
{
	size_t b = (count + threads_per_block - 1) / threads_per_block;

	return b > 4096 ? 4096 : (int)(b ? b : 1);
}

/* Destroy a workload's stream and its two timing events, whichever were created. */
void timing_destroy(cudaStream_t stream, cudaEvent_t ev0, cudaEvent_t ev1)
{
	if (ev0)
		cudaEventDestroy(ev0);
	if (ev1)
		cudaEventDestroy(ev1);
	if (stream)
		cudaStreamDestroy(stream);
}

template <typename T> __global__ void fill_kernel(T *a, size_t count, uint64_t seed, unsigned stream)
{
	size_t step = (size_t)gridDim.x * blockDim.x;

	for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += step)
		a[i] = from_int<T>(sl_gpu_value(seed, stream, i));
}

template <typename T> void fill_host(T *a, size_t count, unsigned stream)
{
	for (size_t i = 0; i < count; i++)
		a[i] = from_int<T>(sl_gpu_value(SL_GPU_SEED, stream, i));
}

/* y = M x for a column-major n x n M, accumulated in double (exact for the integer entries), and, when
 * xabs is given, yabs = |M| xabs (the magnitude the tolerance scales with). One thread per row, so a
 * warp reads consecutive elements of a column. Independent of cuBLAS. */
template <typename T>
__global__ void matvec_kernel(const T *m, const double *x, double *y, const double *xabs, double *yabs, int n)
{
	int i = blockIdx.x * blockDim.x + threadIdx.x;
	double s = 0, sa = 0;

	if (i >= n)
		return;
	for (int j = 0; j < n; j++) {
		double v = to_double(m[i + (size_t)j * n]);

		s += v * x[j];
		if (xabs)
			sa += fabs(v) * xabs[j];
	}
	y[i] = s;
	if (yabs)
		yabs[i] = sa;
}

__global__ void abs_kernel(const double *x, double *xabs, int n)
{
	int i = blockIdx.x * blockDim.x + threadIdx.x;

	if (i < n)
		xabs[i] = fabs(x[i]);
}

} /* namespace */

/* ---------------------------------------------------------------- GEMM */

struct sl_gpu_gemm {
	int n;
	enum sl_gpu_dtype dtype;
	bool transfer;
	size_t ab_elem, c_elem;       /* bytes per element of A and B, of C */
	void *a, *b, *c;              /* device matrices */
	void *ha, *hb, *hc;           /* pinned host copies (transfer) */
	double *x, *y, *w, *z;        /* device vectors of the check: y = C x, w = B x, z = A w */
	double *xa, *wa, *za;         /* their magnitudes: |x|, |B| |x|, |A| |B| |x| */
	double *hy, *hz, *hza;        /* pinned host copies of y, z and za */
	cublasHandle_t blas;
	cudaStream_t stream;
	cudaEvent_t ev0, ev1;
};

namespace {

const char *gemm_name(enum sl_gpu_dtype dtype)
{
	return dtype == SL_GPU_FLOAT ? "cublasSgemm" : dtype == SL_GPU_DOUBLE ? "cublasDgemm" : "cublasGemmEx(bf16)";
}

cublasStatus_t gemm_run(sl_gpu_gemm *g)
{
	int n = g->n;

	switch (g->dtype) {
	case SL_GPU_FLOAT: {
		const float one = 1, zero = 0;

		return cublasSgemm(g->blas, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, (const float *)g->a, n,
				   (const float *)g->b, n, &zero, (float *)g->c, n);
	}
	case SL_GPU_DOUBLE: {
		const double one = 1, zero = 0;

		return cublasDgemm(g->blas, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, (const double *)g->a, n,
				   (const double *)g->b, n, &zero, (double *)g->c, n);
	}
	case SL_GPU_BF16: {
		const float one = 1, zero = 0;

		return cublasGemmEx(g->blas, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, g->a, CUDA_R_16BF, n, g->b,
				    CUDA_R_16BF, n, &zero, g->c, CUDA_R_32F, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
	}
	}
	return CUBLAS_STATUS_INVALID_VALUE;
}

/* y = M x (and yabs = |M| xabs) where M is A or B, of dtype */
void matvec_ab(sl_gpu_gemm *g, const void *m, const double *x, double *y, const double *xabs, double *yabs)
{
	int blocks = (g->n + threads_per_block - 1) / threads_per_block;

	switch (g->dtype) {
	case SL_GPU_FLOAT:
		matvec_kernel<<<blocks, threads_per_block, 0, g->stream>>>((const float *)m, x, y, xabs, yabs, g->n);
		break;
	case SL_GPU_DOUBLE:
		matvec_kernel<<<blocks, threads_per_block, 0, g->stream>>>((const double *)m, x, y, xabs, yabs, g->n);
		break;
	case SL_GPU_BF16:
		matvec_kernel<<<blocks, threads_per_block, 0, g->stream>>>((const __nv_bfloat16 *)m, x, y, xabs, yabs,
									    g->n);
		break;
	}
}

/* y = C x (C is double for DGEMM, float otherwise) */
void matvec_c(sl_gpu_gemm *g, const double *x, double *y)
{
	int blocks = (g->n + threads_per_block - 1) / threads_per_block;

	if (g->dtype == SL_GPU_DOUBLE)
		matvec_kernel<<<blocks, threads_per_block, 0, g->stream>>>((const double *)g->c, x, y,
									    (const double *)NULL, (double *)NULL, g->n);
	else
		matvec_kernel<<<blocks, threads_per_block, 0, g->stream>>>((const float *)g->c, x, y,
									    (const double *)NULL, (double *)NULL, g->n);
}

/* Fill a device or (host == true) host matrix of dtype from value stream `stream`. */
void fill_matrix(sl_gpu_gemm *g, void *p, bool host, unsigned stream)
{
	size_t nn = (size_t)g->n * (size_t)g->n;

	switch (g->dtype) {
	case SL_GPU_FLOAT:
		if (host)
			fill_host((float *)p, nn, stream);
		else
			fill_kernel<<<blocks_for(nn), threads_per_block, 0, g->stream>>>((float *)p, nn, SL_GPU_SEED, stream);
		break;
	case SL_GPU_DOUBLE:
		if (host)
			fill_host((double *)p, nn, stream);
		else
			fill_kernel<<<blocks_for(nn), threads_per_block, 0, g->stream>>>((double *)p, nn, SL_GPU_SEED, stream);
		break;
	case SL_GPU_BF16:
		if (host)
			fill_host((__nv_bfloat16 *)p, nn, stream);
		else
			fill_kernel<<<blocks_for(nn), threads_per_block, 0, g->stream>>>((__nv_bfloat16 *)p, nn,
											 SL_GPU_SEED, stream);
		break;
	}
}

/* Copy the warm-up C back and compare it with the CPU reference. */
int gemm_reference_check(sl_gpu_gemm *g, char *msg, size_t msglen)
{
	size_t nn = (size_t)g->n * (size_t)g->n;
	void *raw = malloc(nn * g->c_elem);
	double *c = (double *)malloc(nn * sizeof(double));
	cudaError_t e;
	int err;

	if (!raw || !c) {
		free(raw);
		free(c);
		snprintf(msg, msglen, "cpu reference: out of memory for n=%d", g->n);
		return -ENOMEM;
	}
	e = cudaMemcpy(raw, g->c, nn * g->c_elem, cudaMemcpyDeviceToHost);
	if (e != cudaSuccess) {
		err = cuda_fail(e, "cudaMemcpy C for the cpu reference", msg, msglen);
	} else {
		for (size_t i = 0; i < nn; i++)
			c[i] = g->dtype == SL_GPU_DOUBLE ? ((const double *)raw)[i] : (double)((const float *)raw)[i];
		err = sl_gpu_gemm_reference_check(g->n, SL_GPU_SEED, c, sl_gpu_gemm_tolerance(g->dtype, g->n), msg, msglen);
	}
	free(raw);
	free(c);
	return err;
}

} /* namespace */

extern "C" void slcu_gpu_gemm_close(struct sl_gpu_gemm *g)
{
	if (!g)
		return;
	if (g->blas)
		cublasDestroy(g->blas);
	cudaFree(g->a);
	cudaFree(g->b);
	cudaFree(g->c);
	cudaFree(g->x);
	cudaFree(g->y);
	cudaFree(g->w);
	cudaFree(g->z);
	cudaFree(g->xa);
	cudaFree(g->wa);
	cudaFree(g->za);
	cudaFreeHost(g->ha);
	cudaFreeHost(g->hb);
	cudaFreeHost(g->hc);
	cudaFreeHost(g->hy);
	cudaFreeHost(g->hz);
	cudaFreeHost(g->hza);
	timing_destroy(g->stream, g->ev0, g->ev1);
	free(g);
}

extern "C" int slcu_gpu_gemm_open(struct sl_gpu_gemm **out, int n, enum sl_gpu_dtype dtype, bool transfer,
				int check_n, char *msg, size_t msglen)
{
	sl_gpu_gemm *g;
	size_t nn = (size_t)n * (size_t)n, nv = (size_t)n * sizeof(double);
	cublasStatus_t st;
	int err = 0;

	*out = NULL;
	if (n < 1) {
		snprintf(msg, msglen, "n=%d is not positive", n);
		return -EINVAL;
	}
	g = (sl_gpu_gemm *)calloc(1, sizeof(*g));
	if (!g) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	g->n = n;
	g->dtype = dtype;
	g->transfer = transfer;
	g->ab_elem = dtype == SL_GPU_DOUBLE ? sizeof(double) : dtype == SL_GPU_FLOAT ? sizeof(float) : sizeof(__nv_bfloat16);
	g->c_elem = dtype == SL_GPU_DOUBLE ? sizeof(double) : sizeof(float);

	CUDA_OR_CLOSE(cudaSetDevice(0), "cudaSetDevice");
	CUDA_OR_CLOSE(cudaFree(0), "cuda context");
	CUDA_OR_CLOSE(cudaStreamCreateWithFlags(&g->stream, cudaStreamNonBlocking), "cudaStreamCreate");
	CUDA_OR_CLOSE(cudaEventCreate(&g->ev0), "cudaEventCreate");
	CUDA_OR_CLOSE(cudaEventCreate(&g->ev1), "cudaEventCreate");
	CUDA_OR_CLOSE(cudaMalloc(&g->a, nn * g->ab_elem), "cudaMalloc A");
	CUDA_OR_CLOSE(cudaMalloc(&g->b, nn * g->ab_elem), "cudaMalloc B");
	CUDA_OR_CLOSE(cudaMalloc(&g->c, nn * g->c_elem), "cudaMalloc C");
	CUDA_OR_CLOSE(cudaMalloc((void **)&g->x, nv), "cudaMalloc x");
	CUDA_OR_CLOSE(cudaMalloc((void **)&g->y, nv), "cudaMalloc y");
	CUDA_OR_CLOSE(cudaMalloc((void **)&g->w, nv), "cudaMalloc w");
	CUDA_OR_CLOSE(cudaMalloc((void **)&g->z, nv), "cudaMalloc z");
	CUDA_OR_CLOSE(cudaMalloc((void **)&g->xa, nv), "cudaMalloc |x|");
	CUDA_OR_CLOSE(cudaMalloc((void **)&g->wa, nv), "cudaMalloc |w|");
	CUDA_OR_CLOSE(cudaMalloc((void **)&g->za, nv), "cudaMalloc |z|");
	CUDA_OR_CLOSE(cudaMallocHost((void **)&g->hy, nv), "cudaMallocHost y");
	CUDA_OR_CLOSE(cudaMallocHost((void **)&g->hz, nv), "cudaMallocHost z");
	CUDA_OR_CLOSE(cudaMallocHost((void **)&g->hza, nv), "cudaMallocHost |z|");
	st = cublasCreate(&g->blas);
	if (st != CUBLAS_STATUS_SUCCESS) {
		g->blas = NULL;
		err = cublas_fail(st, "cublasCreate", msg, msglen);
		goto out_close;
	}
	st = cublasSetStream(g->blas, g->stream);
	if (st != CUBLAS_STATUS_SUCCESS) {
		err = cublas_fail(st, "cublasSetStream", msg, msglen);
		goto out_close;
	}
	if (transfer) {
		CUDA_OR_CLOSE(cudaMallocHost(&g->ha, nn * g->ab_elem), "cudaMallocHost A");
		CUDA_OR_CLOSE(cudaMallocHost(&g->hb, nn * g->ab_elem), "cudaMallocHost B");
		CUDA_OR_CLOSE(cudaMallocHost(&g->hc, nn * g->c_elem), "cudaMallocHost C");
		fill_matrix(g, g->ha, true, SL_GPU_STREAM_A);
		fill_matrix(g, g->hb, true, SL_GPU_STREAM_B);
		CUDA_OR_CLOSE(cudaMemcpyAsync(g->a, g->ha, nn * g->ab_elem, cudaMemcpyHostToDevice, g->stream),
			      "cudaMemcpy A");
		CUDA_OR_CLOSE(cudaMemcpyAsync(g->b, g->hb, nn * g->ab_elem, cudaMemcpyHostToDevice, g->stream),
			      "cudaMemcpy B");
	} else {
		fill_matrix(g, g->a, false, SL_GPU_STREAM_A);
		fill_matrix(g, g->b, false, SL_GPU_STREAM_B);
		CUDA_OR_CLOSE(cudaGetLastError(), "fill kernel");
	}
	/* warm-up: cuBLAS picks and loads its kernels here, outside every timed task */
	st = gemm_run(g);
	if (st != CUBLAS_STATUS_SUCCESS) {
		err = cublas_fail(st, gemm_name(dtype), msg, msglen);
		goto out_close;
	}
	CUDA_OR_CLOSE(cudaStreamSynchronize(g->stream), "warm-up GEMM");
	if (n <= check_n) {
		err = gemm_reference_check(g, msg, msglen);
		if (err)
			goto out_close;
	}
	*out = g;
	return 0;

out_close:
	slcu_gpu_gemm_close(g);
	return err;
}

extern "C" int slcu_gpu_gemm_task(struct sl_gpu_gemm *g, long task, struct sl_gpu_task_out *out, double *checksum,
				char *msg, size_t msglen)
{
	size_t nn = (size_t)g->n * (size_t)g->n, nv = (size_t)g->n * sizeof(double);
	double c0, tol, sum = 0;
	float ms = 0;
	cublasStatus_t st;

	memset(out, 0, sizeof(*out));
	c0 = cpu_s();
	out->t_start = now_s();
	CUDA_OR_RETURN(cudaEventRecord(g->ev0, g->stream), "cudaEventRecord");
	if (g->transfer) {
		CUDA_OR_RETURN(cudaMemcpyAsync(g->a, g->ha, nn * g->ab_elem, cudaMemcpyHostToDevice, g->stream),
			       "cudaMemcpy A");
		CUDA_OR_RETURN(cudaMemcpyAsync(g->b, g->hb, nn * g->ab_elem, cudaMemcpyHostToDevice, g->stream),
			       "cudaMemcpy B");
	}
	st = gemm_run(g);
	if (st != CUBLAS_STATUS_SUCCESS)
		return cublas_fail(st, gemm_name(g->dtype), msg, msglen);
	if (g->transfer)
		CUDA_OR_RETURN(cudaMemcpyAsync(g->hc, g->c, nn * g->c_elem, cudaMemcpyDeviceToHost, g->stream),
			       "cudaMemcpy C");
	CUDA_OR_RETURN(cudaEventRecord(g->ev1, g->stream), "cudaEventRecord");
	CUDA_OR_RETURN(cudaStreamSynchronize(g->stream), gemm_name(g->dtype));
	out->t_end = now_s();
	out->cpu_s = cpu_s() - c0;
	CUDA_OR_RETURN(cudaEventElapsedTime(&ms, g->ev0, g->ev1), "cudaEventElapsedTime");
	out->device_s = ms / 1e3;
	out->flops = 2.0 * g->n * (double)g->n * g->n;
	out->bytes = g->transfer ? (double)(nn * (2 * g->ab_elem + g->c_elem)) : 0;

	/* Freivalds: C*x must equal A*(B*x) for this task's random x (exactly, for IEEE arithmetic) */
	fill_kernel<<<blocks_for((size_t)g->n), threads_per_block, 0, g->stream>>>(
		g->x, (size_t)g->n, SL_GPU_SEED, SL_GPU_STREAM_X + (unsigned)(task & 0xffff));
	abs_kernel<<<(g->n + threads_per_block - 1) / threads_per_block, threads_per_block, 0, g->stream>>>(g->x, g->xa,
													 g->n);
	matvec_c(g, g->x, g->y);
	matvec_ab(g, g->b, g->x, g->w, g->xa, g->wa);
	matvec_ab(g, g->a, g->w, g->z, g->wa, g->za);
	CUDA_OR_RETURN(cudaGetLastError(), "check kernels");
	CUDA_OR_RETURN(cudaMemcpyAsync(g->hy, g->y, nv, cudaMemcpyDeviceToHost, g->stream), "cudaMemcpy y");
	CUDA_OR_RETURN(cudaMemcpyAsync(g->hz, g->z, nv, cudaMemcpyDeviceToHost, g->stream), "cudaMemcpy z");
	CUDA_OR_RETURN(cudaMemcpyAsync(g->hza, g->za, nv, cudaMemcpyDeviceToHost, g->stream), "cudaMemcpy |z|");
	CUDA_OR_RETURN(cudaStreamSynchronize(g->stream), "check kernels");
	tol = sl_gpu_gemm_tolerance(g->dtype, g->n);
	for (int i = 0; i < g->n; i++) {
		/* |C x - A B x| <= sum_j |C - AB|_ij |x_j| <= tol (|A| |B| |x|)_i */
		if (!(fabs(g->hy[i] - g->hz[i]) <= tol * g->hza[i])) {
			snprintf(msg, msglen, "task %ld: %s result wrong: (C*x)[%d] = %.17g, (A*(B*x))[%d] = %.17g", task,
				 gemm_name(g->dtype), i, g->hy[i], i, g->hz[i]);
			return -EINVAL;
		}
		sum += g->hy[i];
	}
	*checksum = sum;
	out->checked = 1;
	return 0;
}

/* ---------------------------------------------------------------- sync modes */

struct sl_gpu_sync {
	cudaStream_t stream;
	cudaEvent_t ev0, ev1;
	unsigned long long *token;    /* device: what the kernel writes */
};

namespace {

__device__ __forceinline__ unsigned long long globaltimer_ns()
{
	unsigned long long t;

	asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
	return t;
}

/* One thread spins on the GPU's nanosecond timer: a kernel whose length does not depend on clocks. */
__global__ void spin_kernel(unsigned long long ns, unsigned long long *token_out, unsigned long long token)
{
	unsigned long long t0 = globaltimer_ns();

	while (globaltimer_ns() - t0 < ns)
		;
	*token_out = token;
}

} /* namespace */

extern "C" void slcu_gpu_sync_close(struct sl_gpu_sync *g)
{
	if (!g)
		return;
	cudaFree(g->token);
	timing_destroy(g->stream, g->ev0, g->ev1);
	free(g);
}

extern "C" int slcu_gpu_sync_open(struct sl_gpu_sync **out, enum sl_gpu_sync_mode mode, char *msg, size_t msglen)
{
	unsigned flags = mode == SL_GPU_SYNC_SPIN ? cudaDeviceScheduleSpin
		       : mode == SL_GPU_SYNC_YIELD ? cudaDeviceScheduleYield
		       : mode == SL_GPU_SYNC_BLOCKING ? cudaDeviceScheduleBlockingSync
						       : cudaDeviceScheduleAuto;
	unsigned got = 0;
	sl_gpu_sync *g;
	int err = 0;

	*out = NULL;
	g = (sl_gpu_sync *)calloc(1, sizeof(*g));
	if (!g) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	/* the schedule flag must be set before the context exists: this is the process's first CUDA call */
	CUDA_OR_CLOSE(cudaInitDevice(0, flags, cudaInitDeviceFlagsAreValid), "cudaInitDevice");
	CUDA_OR_CLOSE(cudaSetDevice(0), "cudaSetDevice");
	CUDA_OR_CLOSE(cudaFree(0), "cuda context");
	CUDA_OR_CLOSE(cudaGetDeviceFlags(&got), "cudaGetDeviceFlags");
	/* auto may read back as the policy CUDA resolved it to; the others must stick */
	if (flags != cudaDeviceScheduleAuto && (got & cudaDeviceScheduleMask) != flags) {
		snprintf(msg, msglen, "the context's sync flags are 0x%x, not the requested 0x%x "
			 "(was CUDA initialised in this process before?)", got & cudaDeviceScheduleMask, flags);
		err = -EIO;
		goto out_close;
	}
	CUDA_OR_CLOSE(cudaStreamCreate(&g->stream), "cudaStreamCreate");
	CUDA_OR_CLOSE(cudaEventCreate(&g->ev0), "cudaEventCreate");
	CUDA_OR_CLOSE(cudaEventCreate(&g->ev1), "cudaEventCreate");
	CUDA_OR_CLOSE(cudaMalloc((void **)&g->token, sizeof(*g->token)), "cudaMalloc");
	/* warm-up: the first launch loads the module */
	spin_kernel<<<1, 1, 0, g->stream>>>(1000, g->token, 0);
	CUDA_OR_CLOSE(cudaGetLastError(), "spin kernel");
	CUDA_OR_CLOSE(cudaStreamSynchronize(g->stream), "spin kernel");
	*out = g;
	return 0;

out_close:
	slcu_gpu_sync_close(g);
	return err;
}

extern "C" int slcu_gpu_sync_task(struct sl_gpu_sync *g, double kernel_ms, long task, struct sl_gpu_task_out *out,
				double *checksum, char *msg, size_t msglen)
{
	unsigned long long ns = (unsigned long long)(kernel_ms * 1e6), token = 0;
	double c0;
	float ms = 0;

	memset(out, 0, sizeof(*out));
	c0 = cpu_s();
	out->t_start = now_s();
	CUDA_OR_RETURN(cudaEventRecord(g->ev0, g->stream), "cudaEventRecord");
	spin_kernel<<<1, 1, 0, g->stream>>>(ns, g->token, (unsigned long long)task + 1);
	CUDA_OR_RETURN(cudaGetLastError(), "spin kernel");
	CUDA_OR_RETURN(cudaEventRecord(g->ev1, g->stream), "cudaEventRecord");
	/* the wait under test: how it waits is the context's schedule flag */
	CUDA_OR_RETURN(cudaStreamSynchronize(g->stream), "cudaStreamSynchronize");
	out->t_end = now_s();
	out->cpu_s = cpu_s() - c0;
	CUDA_OR_RETURN(cudaEventElapsedTime(&ms, g->ev0, g->ev1), "cudaEventElapsedTime");
	out->device_s = ms / 1e3;
	CUDA_OR_RETURN(cudaMemcpy(&token, g->token, sizeof(token), cudaMemcpyDeviceToHost), "cudaMemcpy");
	if (token != (unsigned long long)task + 1) {
		snprintf(msg, msglen, "task %ld: the kernel wrote %llu, want %ld", task, token, task + 1);
		return -EINVAL;
	}
	*checksum = (double)token;
	out->checked = 1;
	return 0;
}

/* ---------------------------------------------------------------- host <-> device copies */

struct sl_gpu_copy {
	size_t bytes, words;
	bool pinned, h2d;
	uint64_t *host;               /* pinned or pageable */
	uint64_t *dev;
	uint64_t *dsample, *hsample;  /* sampled words gathered on the device, and their pinned copy */
	cudaStream_t stream;
	cudaEvent_t ev0, ev1;
};

namespace {

const unsigned copy_samples = 1024;

/* Sampled word k of a task: one per stretch of words/samples, at a place that moves with the task. */
__host__ __device__ size_t sample_pos(size_t words, unsigned samples, unsigned k, long task)
{
	size_t span = words / samples, base = (size_t)k * words / samples;

	return span > 1 ? base + ((size_t)task * 7919u + k) % span : base;
}

unsigned copy_nsamples(size_t words)
{
	return words < copy_samples ? (unsigned)words : copy_samples;
}

__global__ void fill_words_kernel(uint64_t *a, size_t words)
{
	size_t step = (size_t)gridDim.x * blockDim.x;

	for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < words; i += step)
		a[i] = sl_gpu_word(i);
}

__global__ void poison_kernel(uint64_t *a, size_t words, unsigned samples, long task)
{
	unsigned k = blockIdx.x * blockDim.x + threadIdx.x;

	if (k < samples) {
		size_t p = sample_pos(words, samples, k, task);

		a[p] = ~sl_gpu_word(p);
	}
}

__global__ void gather_kernel(const uint64_t *a, uint64_t *out, size_t words, unsigned samples, long task)
{
	unsigned k = blockIdx.x * blockDim.x + threadIdx.x;

	if (k < samples)
		out[k] = a[sample_pos(words, samples, k, task)];
}

} /* namespace */

extern "C" void slcu_gpu_copy_close(struct sl_gpu_copy *g)
{
	if (!g)
		return;
	if (g->pinned)
		cudaFreeHost(g->host);
	else
		free(g->host);
	cudaFree(g->dev);
	cudaFree(g->dsample);
	cudaFreeHost(g->hsample);
	timing_destroy(g->stream, g->ev0, g->ev1);
	free(g);
}

extern "C" int slcu_gpu_copy_open(struct sl_gpu_copy **out, size_t bytes, bool pinned, bool h2d, char *msg,
				size_t msglen)
{
	sl_gpu_copy *g;
	int err = 0;

	*out = NULL;
	if (bytes < sizeof(uint64_t) || bytes % sizeof(uint64_t)) {
		snprintf(msg, msglen, "copy size %zu is not a positive multiple of 8 bytes", bytes);
		return -EINVAL;
	}
	g = (sl_gpu_copy *)calloc(1, sizeof(*g));
	if (!g) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	g->bytes = bytes;
	g->words = bytes / sizeof(uint64_t);
	g->pinned = pinned;
	g->h2d = h2d;
	CUDA_OR_CLOSE(cudaSetDevice(0), "cudaSetDevice");
	CUDA_OR_CLOSE(cudaFree(0), "cuda context");
	CUDA_OR_CLOSE(cudaStreamCreateWithFlags(&g->stream, cudaStreamNonBlocking), "cudaStreamCreate");
	CUDA_OR_CLOSE(cudaEventCreate(&g->ev0), "cudaEventCreate");
	CUDA_OR_CLOSE(cudaEventCreate(&g->ev1), "cudaEventCreate");
	CUDA_OR_CLOSE(cudaMalloc((void **)&g->dev, bytes), "cudaMalloc");
	CUDA_OR_CLOSE(cudaMalloc((void **)&g->dsample, copy_samples * sizeof(uint64_t)), "cudaMalloc");
	CUDA_OR_CLOSE(cudaMallocHost((void **)&g->hsample, copy_samples * sizeof(uint64_t)), "cudaMallocHost");
	if (pinned) {
		CUDA_OR_CLOSE(cudaMallocHost((void **)&g->host, bytes), "cudaMallocHost");
	} else if (posix_memalign((void **)&g->host, 4096, bytes) != 0) {
		g->host = NULL;
		snprintf(msg, msglen, "out of memory for a %zu-byte pageable buffer", bytes);
		err = -ENOMEM;
		goto out_close;
	}
	/* every host page written once, so a pageable copy never meets a page that is not there yet */
	for (size_t i = 0; i < g->words; i++)
		g->host[i] = sl_gpu_word(i);
	fill_words_kernel<<<blocks_for(g->words), threads_per_block, 0, g->stream>>>(g->dev, g->words);
	CUDA_OR_CLOSE(cudaGetLastError(), "fill kernel");
	/* warm-up copy in the measured direction */
	if (h2d)
		CUDA_OR_CLOSE(cudaMemcpyAsync(g->dev, g->host, bytes, cudaMemcpyHostToDevice, g->stream), "cudaMemcpy");
	else
		CUDA_OR_CLOSE(cudaMemcpyAsync(g->host, g->dev, bytes, cudaMemcpyDeviceToHost, g->stream), "cudaMemcpy");
	CUDA_OR_CLOSE(cudaStreamSynchronize(g->stream), "warm-up copy");
	*out = g;
	return 0;

out_close:
	slcu_gpu_copy_close(g);
	return err;
}

extern "C" int slcu_gpu_copy_task(struct sl_gpu_copy *g, long task, struct sl_gpu_task_out *out, double *checksum,
				char *msg, size_t msglen)
{
	unsigned samples = copy_nsamples(g->words);
	int sblocks = (int)((samples + threads_per_block - 1) / threads_per_block);
	double c0, sum = 0;
	float ms = 0;

	memset(out, 0, sizeof(*out));
	/* poison the sampled words at the destination, so only this copy can make them right */
	if (g->h2d) {
		poison_kernel<<<sblocks, threads_per_block, 0, g->stream>>>(g->dev, g->words, samples, task);
		CUDA_OR_RETURN(cudaGetLastError(), "poison kernel");
		CUDA_OR_RETURN(cudaStreamSynchronize(g->stream), "poison kernel");
	} else {
		for (unsigned k = 0; k < samples; k++) {
			size_t p = sample_pos(g->words, samples, k, task);

			g->host[p] = ~sl_gpu_word(p);
		}
	}
	c0 = cpu_s();
	out->t_start = now_s();
	CUDA_OR_RETURN(cudaEventRecord(g->ev0, g->stream), "cudaEventRecord");
	if (g->h2d)
		CUDA_OR_RETURN(cudaMemcpyAsync(g->dev, g->host, g->bytes, cudaMemcpyHostToDevice, g->stream), "cudaMemcpy");
	else
		CUDA_OR_RETURN(cudaMemcpyAsync(g->host, g->dev, g->bytes, cudaMemcpyDeviceToHost, g->stream), "cudaMemcpy");
	CUDA_OR_RETURN(cudaEventRecord(g->ev1, g->stream), "cudaEventRecord");
	CUDA_OR_RETURN(cudaStreamSynchronize(g->stream), "cudaMemcpy");
	out->t_end = now_s();
	out->cpu_s = cpu_s() - c0;
	CUDA_OR_RETURN(cudaEventElapsedTime(&ms, g->ev0, g->ev1), "cudaEventElapsedTime");
	out->device_s = ms / 1e3;
	out->bytes = (double)g->bytes;

	if (g->h2d) {
		gather_kernel<<<sblocks, threads_per_block, 0, g->stream>>>(g->dev, g->dsample, g->words, samples, task);
		CUDA_OR_RETURN(cudaGetLastError(), "gather kernel");
		CUDA_OR_RETURN(cudaMemcpyAsync(g->hsample, g->dsample, samples * sizeof(uint64_t), cudaMemcpyDeviceToHost,
					       g->stream), "cudaMemcpy samples");
		CUDA_OR_RETURN(cudaStreamSynchronize(g->stream), "gather kernel");
	} else {
		for (unsigned k = 0; k < samples; k++)
			g->hsample[k] = g->host[sample_pos(g->words, samples, k, task)];
	}
	for (unsigned k = 0; k < samples; k++) {
		size_t p = sample_pos(g->words, samples, k, task);

		if (g->hsample[k] != sl_gpu_word(p)) {
			snprintf(msg, msglen, "task %ld: word %zu after the %s copy is %#llx, want %#llx", task, p,
				 g->h2d ? "h2d" : "d2h", (unsigned long long)g->hsample[k],
				 (unsigned long long)sl_gpu_word(p));
			return -EINVAL;
		}
		sum += (double)(g->hsample[k] >> 11);
	}
	*checksum = sum;
	out->checked = 1;
	return 0;
}
