/* launcher.h: the plug-in interface of the start methods (fork, spawn, forkserver, mpi), and the registry. */
#ifndef SL_LAUNCHER_H
#define SL_LAUNCHER_H

#include "core/speedlab.h"

struct sl_pool;      /* the pool engine's state (pool.c) */

/* A start method. The callbacks are the pool's business (pool.c and the files in launch/). */
struct sl_launcher_ops {
	const char *name;
	const char *help;                         /* one line for `speedlab list` */
	/* Non-NULL when this build cannot use it (e.g. "built without MPI"): runs are skipped. */
	const char *unimplemented_reason;
	/* Runtime check in the coordinator: false with a reason skips the run. */
	bool (*supported)(const struct sl_setting *s, char *why, size_t whylen);
	/* Once per `speedlab run`, before any library thread exists (the forkserver starts here). 0 or -errno. */
	int (*prepare)(void);
	/* Once per `speedlab run`, at the end (and on Ctrl-C): stop what prepare started. */
	void (*finish)(void);
	/* Start worker `id` of the pool; on success the pool knows its pid. 0 or -errno. */
	int (*start_worker)(struct sl_pool *pool, int id);
};

/* How many times the forkserver was found dead or stopped and started again (recorded in meta.json). */
int sl_forkserver_restarts(void);

/* All start methods, NULL-terminated (registry.c). */
extern const struct sl_launcher_ops *const sl_launchers[];
/* The start method called name, or NULL. */
const struct sl_launcher_ops *sl_launcher_find(const char *name);

#endif
