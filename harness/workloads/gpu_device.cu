/* gpu_device.cu: CUDA in the coordinator: devices probed without initialising CUDA here, and the parent's init. */
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cuda_runtime.h>

extern "C" {
#include "sys/cuda.h"
}

namespace {

struct probe_result {
	int count;
	char text[2048];
};

pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
bool probed;
bool initialised_here;  /* this process has made a CUDA context (slcu_cuda_use) */
probe_result probe;

__global__ void touch_kernel(int *p)
{
	if (p)
		*p = 1;
}

/* Count the devices and describe them, in this process (initialises the CUDA driver here). */
void probe_here(probe_result *p)
{
	int n = 0, drv = 0, rt = 0;
	size_t off = 0;
	cudaError_t e;

	memset(p, 0, sizeof(*p));
	e = cudaGetDeviceCount(&n);
	cudaDriverGetVersion(&drv);
	cudaRuntimeGetVersion(&rt);
	if (drv == 0) {
		snprintf(p->text, sizeof(p->text), "no CUDA device: no NVIDIA driver (CUDA runtime %d.%d)", rt / 1000,
			 rt % 1000 / 10);
		return;
	}
	if (e != cudaSuccess || n <= 0) {
		snprintf(p->text, sizeof(p->text), "no CUDA device: %s (CUDA runtime %d.%d, driver %d.%d)",
			 e != cudaSuccess ? cudaGetErrorString(e) : "none found", rt / 1000, rt % 1000 / 10,
			 drv / 1000, drv % 1000 / 10);
		return;
	}
	for (int i = 0; i < n && off < sizeof(p->text); i++) {
		cudaDeviceProp prop;
		int w;

		if (cudaGetDeviceProperties(&prop, i) != cudaSuccess)
			w = snprintf(p->text + off, sizeof(p->text) - off, "%sdevice %d: properties unavailable",
				     i ? "\n" : "", i);
		else
			w = snprintf(p->text + off, sizeof(p->text) - off,
				     "%s%s, sm_%d%d, %.0f GiB, %d SMs, driver %d.%d, runtime %d.%d", i ? "\n" : "",
				     prop.name, prop.major, prop.minor,
				     (double)prop.totalGlobalMem / (1024.0 * 1024 * 1024), prop.multiProcessorCount,
				     drv / 1000, drv % 1000 / 10, rt / 1000, rt % 1000 / 10);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	p->count = n;
}

/* Probe in a forked child, so that this process never initialises CUDA just by asking: a parent that
 * has called into the CUDA driver cannot hand CUDA to children it forks (the fork start method). */
void probe_in_child(probe_result *p)
{
	int fds[2], status;
	size_t got = 0;
	pid_t pid;

	memset(p, 0, sizeof(*p));
	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(p->text, sizeof(p->text), "no CUDA device: probe: pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(p->text, sizeof(p->text), "no CUDA device: probe: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		probe_result r;
		sigset_t all;
		const char *b = (const char *)&r;

		close(fds[0]);
		/* a driver that hangs must not hang the coordinator */
		signal(SIGALRM, SIG_DFL);
		sigemptyset(&all);
		sigaddset(&all, SIGALRM);
		sigprocmask(SIG_UNBLOCK, &all, NULL);
		alarm(60);
		probe_here(&r);
		for (size_t off = 0; off < sizeof(r);) {
			ssize_t w = write(fds[1], b + off, sizeof(r) - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				_exit(1);
			off += (size_t)w;
		}
		_exit(0);
	}
	close(fds[1]);
	while (got < sizeof(*p)) {
		ssize_t r = read(fds[0], (char *)p + got, sizeof(*p) - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fds[0]);
	/* ECHILD when a SIGCHLD handler reaped it first: the pipe already told us everything */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got != sizeof(*p)) {
		memset(p, 0, sizeof(*p));
		snprintf(p->text, sizeof(p->text), "no CUDA device: the probe process died before answering");
	}
	p->text[sizeof(p->text) - 1] = '\0';
}

const probe_result *probe_get(void)
{
	pthread_mutex_lock(&probe_lock);
	if (!probed) {
		if (initialised_here)
			probe_here(&probe);
		else
			probe_in_child(&probe);
		probed = true;
	}
	pthread_mutex_unlock(&probe_lock);
	return &probe;
}

} /* namespace */

extern "C" bool slcu_cuda_built(void)
{
	return true;
}

extern "C" int slcu_cuda_device_count(void)
{
	return probe_get()->count;
}

extern "C" int slcu_cuda_describe(char *buf, size_t len)
{
	const probe_result *p = probe_get();

	snprintf(buf, len, "%s", p->text);
	return p->count;
}

extern "C" int slcu_cuda_use(const char *who, char *msg, size_t msglen)
{
	cudaError_t e;

	if (slcu_cuda_device_count() <= 0) {
		snprintf(msg, msglen, "no CUDA device");
		return -ENODEV;
	}
	pthread_mutex_lock(&probe_lock);
	initialised_here = true;
	pthread_mutex_unlock(&probe_lock);
	e = cudaSetDevice(0);
	if (e == cudaSuccess)
		e = cudaFree(0);
	if (e == cudaSuccess) {
		touch_kernel<<<1, 1>>>(nullptr);
		e = cudaGetLastError();
	}
	if (e == cudaSuccess)
		e = cudaDeviceSynchronize();
	if (e != cudaSuccess) {
		snprintf(msg, msglen, "cuda init in the %s: %s", who, cudaGetErrorString(e));
		return -EIO;
	}
	return 0;
}
