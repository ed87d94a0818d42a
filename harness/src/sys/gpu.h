/* gpu.h: the C face of the CUDA code (gpu_bench.cu) behind the GPU workloads, and what they share. */
#ifndef SL_GPU_H
#define SL_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __CUDACC__
#define SL_GPU_HD __host__ __device__
#else
#define SL_GPU_HD
#endif

#ifdef __cplusplus
extern "C" {
#endif

enum sl_gpu_dtype { SL_GPU_FLOAT, SL_GPU_DOUBLE, SL_GPU_BF16 };
enum sl_gpu_sync_mode { SL_GPU_SYNC_SPIN, SL_GPU_SYNC_YIELD, SL_GPU_SYNC_BLOCKING, SL_GPU_SYNC_AUTO };

/* The seed of every matrix, vector and copy pattern: runs are reproducible. */
#define SL_GPU_SEED 0x5eed6b3a2c1d0e0fULL
/* Value streams of sl_gpu_value: A, B, and (SL_GPU_STREAM_X + task) for each task's check vector. */
#define SL_GPU_STREAM_A 0u
#define SL_GPU_STREAM_B 1u
#define SL_GPU_STREAM_X 2u

/* What one task of a GPU workload measured: the task's output (task_out_bytes), read back by the
 * workload's metrics callback in the coordinator. Every field is a double so the layout is the same
 * for gcc and nvcc and needs no packing. */
struct sl_gpu_task_out {
	double checked;       /* 1 when the task's result was checked and found correct */
	double worker;        /* the worker that ran it */
	double t_start;       /* CLOCK_MONOTONIC seconds around the timed part: comparable across processes */
	double t_end;
	double device_s;      /* CUDA-event time of the timed part */
	double cpu_s;         /* CPU time of the whole worker process over [t_start, t_end] */
	double flops;         /* floating-point operations of the timed part (0: none) */
	double bytes;         /* bytes copied between host and device in the timed part (0: none) */
};

/* splitmix64: a counter-based hash, the same on the host and on the device. */
static inline SL_GPU_HD uint64_t sl_gpu_hash(uint64_t seed, unsigned stream, uint64_t i)
{
	uint64_t z = (seed ^ ((uint64_t)stream << 48)) + (i + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Entry i of a matrix or vector: a random integer in [-4, 4]. Such entries are exact in bf16, float and
 * double, and every product and partial sum of an n x n GEMM stays an integer below 16n < 2^24 for
 * n <= 2^20, so float (even TF32 or bf16 inputs with float accumulation) computes C exactly and the
 * GPU's C can be compared with the CPU reference for equality, with no tolerance to guess. */
static inline SL_GPU_HD int sl_gpu_value(uint64_t seed, unsigned stream, uint64_t i)
{
	return (int)(sl_gpu_hash(seed, stream, i) % 9) - 4;
}

/* ---- pure host helpers (gpu_common.c; in every build) ---- */

/* "float", "double", "bf16" -> dtype; false for anything else. */
bool sl_gpu_dtype_parse(const char *text, enum sl_gpu_dtype *out);
/* "spin", "yield", "blocking", "auto" -> mode; false for anything else. */
bool sl_gpu_sync_mode_parse(const char *text, enum sl_gpu_sync_mode *out);
/* How far a GPU GEMM result may be from the exact one, relative to sum_k |a_ik||b_kj|: 0 for double;
 * n * 2^-24 (the worst case of float accumulation) for float and bf16, only in case a tensor-core
 * accumulator is narrower than IEEE float. The integer data make every IEEE float GEMM exact. */
double sl_gpu_gemm_tolerance(enum sl_gpu_dtype dtype, int n);
/* Compare c (n x n, column-major, as doubles) with A*B computed on the CPU by the naive triple loop from
 * the same sl_gpu_value entries (A: stream A, B: stream B, both column-major): |c - ref| must be at most
 * rel_tol * sum_k |a_ik||b_kj| (0: equal). Returns 0 when every element passes, else -EINVAL with msg
 * naming the first wrong element, or -ENOMEM. */
int sl_gpu_gemm_reference_check(int n, uint64_t seed, const double *c, double rel_tol, char *msg, size_t msglen);

/* What the tasks of one run add up to (sl_gpu_summarise). */
struct sl_gpu_summary {
	long ntasks;
	long unchecked;            /* tasks whose output does not say checked */
	double flops, bytes;       /* totals */
	double device_s;           /* sum of CUDA-event times */
	double span_s;             /* length of the union of the tasks' [t_start, t_end]: time some worker was busy */
	double busy_s;             /* sum of t_end - t_start */
	double cpu_s;              /* sum of cpu_s */
	double gflops_per_proc;    /* median over workers of (worker flops / worker device time) / 1e9; NAN without flops */
	int workers;               /* workers with device time (the count gflops_per_proc is the median of) */
	double wait_us_median;     /* median over tasks of (t_end - t_start - device_s) in us */
};
/* Sum up ntasks outputs. Returns 0, or -ENOMEM (summary untouched). */
int sl_gpu_summarise(long ntasks, const struct sl_gpu_task_out *o, struct sl_gpu_summary *sum);

/* ---- the workloads' shared callbacks (gpu_common.c) ---- */
struct sl_setting;
struct sl_metrics;
/* supported(): false with "built without CUDA" or "no CUDA device". Reads nothing from s (may be NULL). */
bool sl_gpu_supported(const struct sl_setting *s, char *why, size_t whylen);
size_t sl_gpu_task_out_bytes(const struct sl_setting *s);
/* verify(): every task's output must say it was checked on the worker. 0 or -EINVAL with msg. */
int sl_gpu_verify(const struct sl_setting *s, long ntasks, const double *results, const void *outputs,
		  char *msg, size_t msglen);
/* metrics(): gflops (all flops / span), gflops_per_proc, gbps (copies only), host_cpu_pct. */
void sl_gpu_metrics(const struct sl_setting *s, long ntasks, const double *results, const void *outputs,
		    struct sl_metrics *m);

/* The GEMM callbacks gpu_gemm uses, shared with gpu_share and with gemm's device=gpu path.
 * They read n (default 4096), dtype (float|double|bf16, default float), transfer (none|both, default
 * none) and check_n (default 512) from the setting; absent parameters take the defaults.
 * gemm's device=gpu path delegates supported, task_out_bytes, setup, run_task, teardown, verify and
 * metrics to sl_workload_gpu_gemm's callbacks; without CUDA only supported is set (it says why). */
/* The parameter entries gpu_gemm and gpu_share share (their n, tasks and check_n differ in help). */
#define SL_GPU_GEMM_PARAM_DTYPE \
	{ .name = "dtype", .type = SL_PARAM_STRING, .def = "float", \
	  .help = "float (cublasSgemm), double (cublasDgemm), bf16 (cublasGemmEx: bf16 in, float out and accumulate)", \
	  .choices = "float|double|bf16" }
#define SL_GPU_GEMM_PARAM_TRANSFER \
	{ .name = "transfer", .type = SL_PARAM_STRING, .def = "none", \
	  .help = "none: matrices stay on the GPU; both: each task also copies A, B in and C out (pinned)", \
	  .choices = "none|both" }
/* The callbacks of a GEMM-on-the-GPU workload (gpu_gemm, gpu_share), for an ops initialiser. */
#define SL_GPU_GEMM_CALLBACKS \
	.supported = sl_gpu_supported, .task_out_bytes = sl_gpu_task_out_bytes, \
	.setup = sl_gpu_gemm_setup, .run_task = sl_gpu_gemm_run_task, .teardown = sl_gpu_gemm_teardown, \
	.flops_per_task = sl_gpu_gemm_flops_per_task, .verify = sl_gpu_verify, .metrics = sl_gpu_metrics
struct sl_wctx;
int sl_gpu_gemm_setup(struct sl_wctx *w, char *msg, size_t msglen);
int sl_gpu_gemm_run_task(struct sl_wctx *w, long task, const void *in, void *out, double *result,
			 char *msg, size_t msglen);
void sl_gpu_gemm_teardown(struct sl_wctx *w);
double sl_gpu_gemm_flops_per_task(const struct sl_setting *s);

/* ---- CUDA work (gpu_bench.cu; only in a build with nvcc) ----
 * Every open function initialises CUDA in the calling process on device 0 and returns 0, or -errno
 * with msg set ("cudaMalloc: out of memory"); on failure nothing is left allocated. A task function
 * returns 0 with *out filled, or -EIO (a CUDA error) / -EINVAL (a wrong result) with msg set. */

struct sl_gpu_gemm;
/* n x n GEMM C = A*B of dtype (bf16: A and B in bf16, C in float, float accumulation via cublasGemmEx).
 * transfer: each task also copies A and B from pinned host memory and C back. One warm-up GEMM runs
 * here; when n <= check_n its C is compared element by element with the CPU reference. */
int sl_gpu_gemm_open(struct sl_gpu_gemm **g, int n, enum sl_gpu_dtype dtype, bool transfer, int check_n,
		     char *msg, size_t msglen);
/* One GEMM timed with CUDA events, then checked outside the timed part (Freivalds: C*x against
 * A*(B*x) for a random integer x from the task's stream, within sl_gpu_gemm_tolerance, by plain CUDA
 * kernels independent of cuBLAS). *checksum: the sum of C*x. */
int sl_gpu_gemm_task(struct sl_gpu_gemm *g, long task, struct sl_gpu_task_out *out, double *checksum,
		     char *msg, size_t msglen);
/* Free everything. Safe with NULL. */
void sl_gpu_gemm_close(struct sl_gpu_gemm *g);

struct sl_gpu_sync;
/* Initialise device 0 with the host sync mode (cudaInitDevice with the schedule flag, checked with
 * cudaGetDeviceFlags): it must be the first CUDA call in the process. */
int sl_gpu_sync_open(struct sl_gpu_sync **g, enum sl_gpu_sync_mode mode, char *msg, size_t msglen);
/* Launch a one-thread kernel that spins on the GPU's nanosecond timer for kernel_ms, wait for it with
 * cudaStreamSynchronize, and measure wall, CPU and event time. *checksum: task + 1, written by the kernel. */
int sl_gpu_sync_task(struct sl_gpu_sync *g, double kernel_ms, long task, struct sl_gpu_task_out *out,
		     double *checksum, char *msg, size_t msglen);
void sl_gpu_sync_close(struct sl_gpu_sync *g);

struct sl_gpu_copy;
/* A host buffer (pinned: cudaMallocHost; pageable: malloc, every page touched) and a device buffer of
 * bytes each (a multiple of 8), filled with a known pattern. h2d: copies host to device, else back. */
int sl_gpu_copy_open(struct sl_gpu_copy **g, size_t bytes, bool pinned, bool h2d, char *msg, size_t msglen);
/* One copy timed with CUDA events, then checked at sampled words (poisoned before the copy).
 * *checksum: the sum of the sampled words. */
int sl_gpu_copy_task(struct sl_gpu_copy *g, long task, struct sl_gpu_task_out *out, double *checksum,
		     char *msg, size_t msglen);
void sl_gpu_copy_close(struct sl_gpu_copy *g);

/* Pattern word i of the copy buffers. */
static inline SL_GPU_HD uint64_t sl_gpu_word(uint64_t i)
{
	return sl_gpu_hash(SL_GPU_SEED, 7u, i);
}

#ifdef __cplusplus
}
#endif

#endif
