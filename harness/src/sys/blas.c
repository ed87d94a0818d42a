/* blas.c: OpenBLAS loaded at run time (dlopen), so a worker picks the pthread or the openmp build. */
#include <dlfcn.h>
#include <errno.h>
#include <string.h>

#include "sys/blas.h"

#ifndef SL_BLAS_DIR
#define SL_BLAS_DIR "/usr/lib/x86_64-linux-gnu"
#endif

static struct sl_blas loaded[2];

static int which_index(const char *which)
{
	return which && strcmp(which, "openmp") == 0 ? 1 : 0;
}

const char *sl_blas_path(const char *which)
{
	return which_index(which) ? SL_BLAS_DIR "/openblas-openmp/libopenblas.so.0"
				  : SL_BLAS_DIR "/openblas-pthread/libopenblas.so.0";
}

#define SYM(field, name)                                                                  \
	do {                                                                              \
		*(void **)&b->field = dlsym(b->handle, name);                              \
		if (!b->field) {                                                           \
			snprintf(msg, msglen, "%s: symbol %s missing", b->path, name);     \
			goto out_close;                                                    \
		}                                                                          \
	} while (0)

const struct sl_blas *sl_blas_load(const char *which, char *msg, size_t msglen)
{
	int i = which_index(which);
	struct sl_blas *b = &loaded[i];

	if (b->handle)
		return b;
	memset(b, 0, sizeof(*b));
	b->which = i ? "openmp" : "pthread";
	snprintf(b->path, sizeof(b->path), "%s", sl_blas_path(b->which));
	b->handle = dlopen(b->path, RTLD_NOW | RTLD_LOCAL);
	if (!b->handle) {
		snprintf(msg, msglen, "cannot load OpenBLAS (%s build): %s", b->which, dlerror());
		return NULL;
	}
	SYM(dgemm, "cblas_dgemm");
	SYM(sgemm, "cblas_sgemm");
	SYM(set_num_threads, "openblas_set_num_threads");
	SYM(get_num_threads, "openblas_get_num_threads");
	SYM(get_parallel, "openblas_get_parallel");
	SYM(get_config, "openblas_get_config");
	SYM(get_corename, "openblas_get_corename");
	return b;

out_close:
	dlclose(b->handle);
	b->handle = NULL;
	return NULL;
}
