/* cuda_loader.c: the CUDA code lives in build/libspeedlab-cuda.so, loaded with dlopen on first use.
 * Linking cudart and cuBLAS into speedlab itself cost every spawned worker 60-100 ms of loading and
 * gave every forked one ~100 MB more to copy-on-write, so the coordinator never maps them: it even
 * counts the devices in a child. */
#ifdef SL_HAVE_CUDA
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/cuda.h"
#include "core/speedlab.h"
#include "sys/gpu.h"

static struct {
	pthread_once_t once;
	void *handle;
	char error[512];
	int (*device_count)(void);
	int (*describe)(char *, size_t);
	int (*use)(const char *, char *, size_t);
	int (*gemm_open)(struct sl_gpu_gemm **, int, enum sl_gpu_dtype, bool, int, char *, size_t);
	int (*gemm_task)(struct sl_gpu_gemm *, long, struct sl_gpu_task_out *, double *, char *, size_t);
	void (*gemm_close)(struct sl_gpu_gemm *);
	int (*sync_open)(struct sl_gpu_sync **, enum sl_gpu_sync_mode, char *, size_t);
	int (*sync_task)(struct sl_gpu_sync *, double, long, struct sl_gpu_task_out *, double *, char *, size_t);
	void (*sync_close)(struct sl_gpu_sync *);
	int (*copy_open)(struct sl_gpu_copy **, size_t, bool, bool, char *, size_t);
	int (*copy_task)(struct sl_gpu_copy *, long, struct sl_gpu_task_out *, double *, char *, size_t);
	void (*copy_close)(struct sl_gpu_copy *);
} cu = { .once = PTHREAD_ONCE_INIT };

/* Where the library is: $SPEEDLAB_CUDA_LIB, else beside the binary, else one folder up (tests). */
static void *open_library(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	const char *env = getenv("SPEEDLAB_CUDA_LIB");
	void *h;
	char *slash;

	if (env && *env)
		return dlopen(env, RTLD_NOW | RTLD_LOCAL);
	sl_strlcpy(dir, sl_self_exe(), sizeof(dir));
	slash = strrchr(dir, '/');
	if (!slash)
		return dlopen("libspeedlab-cuda.so", RTLD_NOW | RTLD_LOCAL);
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/libspeedlab-cuda.so", dir);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h || access(path, F_OK) == 0)
		return h;
	snprintf(path, sizeof(path), "%s/../libspeedlab-cuda.so", dir);
	return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

#define SYM(field, name)                                                                        \
	do {                                                                                    \
		*(void **)&cu.field = dlsym(cu.handle, name);                                    \
		if (!cu.field) {                                                                 \
			snprintf(cu.error, sizeof(cu.error), "libspeedlab-cuda.so lacks %s", name); \
			dlclose(cu.handle);                                                      \
			cu.handle = NULL;                                                        \
			return;                                                                  \
		}                                                                                \
	} while (0)

static void load(void)
{
	cu.handle = open_library();
	if (!cu.handle) {
		const char *e = dlerror();

		snprintf(cu.error, sizeof(cu.error), "cannot load the CUDA library: %s", e ? e : "not found");
		return;
	}
	SYM(device_count, "slcu_cuda_device_count");
	SYM(describe, "slcu_cuda_describe");
	SYM(use, "slcu_cuda_use");
	SYM(gemm_open, "slcu_gpu_gemm_open");
	SYM(gemm_task, "slcu_gpu_gemm_task");
	SYM(gemm_close, "slcu_gpu_gemm_close");
	SYM(sync_open, "slcu_gpu_sync_open");
	SYM(sync_task, "slcu_gpu_sync_task");
	SYM(sync_close, "slcu_gpu_sync_close");
	SYM(copy_open, "slcu_gpu_copy_open");
	SYM(copy_task, "slcu_gpu_copy_task");
	SYM(copy_close, "slcu_gpu_copy_close");
}

/* Load in this process; false with msg set when the library cannot be loaded. */
static bool loaded(char *msg, size_t msglen)
{
	pthread_once(&cu.once, load);
	if (!cu.handle && msg)
		snprintf(msg, msglen, "%s", cu.error);
	return cu.handle != NULL;
}

bool sl_cuda_built(void)
{
	return true;
}

/* The device count and description, found once by a child that loads the library, so this process
 * maps neither cudart nor cuBLAS. */
static struct {
	pthread_mutex_t lock;
	bool done;
	int count;
	char text[2048];
} probe = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void probe_devices(void)
{
	int fds[2], status;
	pid_t pid;
	ssize_t n, got = 0;
	char buf[sizeof(probe.text) + 16];

	probe.count = 0;
	snprintf(probe.text, sizeof(probe.text), "no CUDA device");
	if (pipe2(fds, O_CLOEXEC) < 0)
		return;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		char text[sizeof(probe.text)] = "";
		int count = 0;

		close(fds[0]);
		if (loaded(text, sizeof(text)))
			count = cu.describe(text, sizeof(text));
		n = snprintf(buf, sizeof(buf), "%d\n%s", count, text);
		if (write(fds[1], buf, (size_t)n) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + got, sizeof(buf) - 1 - (size_t)got)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			got += n;
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	buf[got] = '\0';
	if (got > 0) {
		char *nl = strchr(buf, '\n');

		probe.count = atoi(buf);
		if (nl)
			sl_strlcpy(probe.text, nl + 1, sizeof(probe.text));
	}
}

static void probe_once(void)
{
	pthread_mutex_lock(&probe.lock);
	if (!probe.done) {
		probe_devices();
		probe.done = true;
	}
	pthread_mutex_unlock(&probe.lock);
}

int sl_cuda_device_count(void)
{
	probe_once();
	return probe.count;
}

int sl_cuda_describe(char *buf, size_t len)
{
	probe_once();
	snprintf(buf, len, "%s", probe.text);
	return probe.count;
}

int sl_cuda_use(const char *who, char *msg, size_t msglen)
{
	if (sl_cuda_device_count() <= 0) {
		snprintf(msg, msglen, "no CUDA device");
		return -ENODEV;
	}
	if (!loaded(msg, msglen))
		return -EIO;
	return cu.use(who, msg, msglen);
}

int sl_gpu_gemm_open(struct sl_gpu_gemm **g, int n, enum sl_gpu_dtype dtype, bool transfer, int check_n,
		     char *msg, size_t msglen)
{
	if (!loaded(msg, msglen))
		return -EIO;
	return cu.gemm_open(g, n, dtype, transfer, check_n, msg, msglen);
}

int sl_gpu_gemm_task(struct sl_gpu_gemm *g, long task, struct sl_gpu_task_out *out, double *checksum,
		     char *msg, size_t msglen)
{
	return cu.gemm_task(g, task, out, checksum, msg, msglen);
}

void sl_gpu_gemm_close(struct sl_gpu_gemm *g)
{
	if (g && cu.handle)
		cu.gemm_close(g);
}

int sl_gpu_sync_open(struct sl_gpu_sync **g, enum sl_gpu_sync_mode mode, char *msg, size_t msglen)
{
	if (!loaded(msg, msglen))
		return -EIO;
	return cu.sync_open(g, mode, msg, msglen);
}

int sl_gpu_sync_task(struct sl_gpu_sync *g, double kernel_ms, long task, struct sl_gpu_task_out *out,
		     double *checksum, char *msg, size_t msglen)
{
	return cu.sync_task(g, kernel_ms, task, out, checksum, msg, msglen);
}

void sl_gpu_sync_close(struct sl_gpu_sync *g)
{
	if (g && cu.handle)
		cu.sync_close(g);
}

int sl_gpu_copy_open(struct sl_gpu_copy **g, size_t bytes, bool pinned, bool h2d, char *msg, size_t msglen)
{
	if (!loaded(msg, msglen))
		return -EIO;
	return cu.copy_open(g, bytes, pinned, h2d, msg, msglen);
}

int sl_gpu_copy_task(struct sl_gpu_copy *g, long task, struct sl_gpu_task_out *out, double *checksum,
		     char *msg, size_t msglen)
{
	return cu.copy_task(g, task, out, checksum, msg, msglen);
}

void sl_gpu_copy_close(struct sl_gpu_copy *g)
{
	if (g && cu.handle)
		cu.copy_close(g);
}
#else
/* without nvcc, cuda_stub.c answers "built without CUDA" */
typedef int sl_cuda_loader_unused;
#endif
