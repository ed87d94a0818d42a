/* monitor.c: a sampling thread that reads /proc (and NVML) while a run is in flight, cheaply. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "monitor/monitor.h"
#include "sys/nvml.h"

#define MON_MAX_PIDS 1024
#define MON_MAX_CPUS 4096
#define MON_DEFAULT_HZ 20.0
#define MON_MAX_HZ 1000.0
#define MON_PROC_BUF 8192      /* /proc/<pid>/status is ~1.5 KiB */
#define MON_DIRENT_BUF 32768
#define MON_HWM_EVERY 8        /* samples between reads of /proc/<pid>/status (VmHWM) */
#define MON_MAX_THREADS 2048   /* worker threads whose placement is followed */
#define MON_MAX_NODES 64       /* NUMA nodes whose pages numa_maps counts are kept */
#define MON_SCHED_EVERY 8      /* run-phase samples between reads of /proc/<pid>/task/<tid>/sched */

/* A worker thread seen in the run phase: its CPU time when last seen (ns, or ticks without schedstat), its migration count when
 * first and last seen (nr_migrations of /proc/<pid>/task/<tid>/sched; -1 not read yet). */
struct mon_thread {
	pid_t tid;
	uint64_t cputime;
	long mig0, mig;
};

/* A watched worker. One sample costs a pread of /proc/<pid>/stat (state, threads, RSS) on a kept
 * descriptor; /proc/<pid>/status, which the kernel is slower to format, is read for the peak
 * RSS (VmHWM) every MON_HWM_EVERY samples and on the last; the task directory only when the
 * worker has more than one thread. A kept descriptor pins the process it was opened for: once
 * the worker is reaped its reads fail with ESRCH even if the pid is reused, and it is dropped.
 * Past the descriptor limit (many workers, a low RLIMIT_NOFILE) a file is opened per read. */
struct mon_proc {
	pid_t pid;
	int stat_fd, task_fd;      /* -1: open per read */
};

struct sl_monitor {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;         /* signals stop; waited on with CLOCK_MONOTONIC deadlines */
	bool stopping;
	/* the run phase (sl_monitor_phase): a sample is asked for and waited on at each edge */
	bool run_phase, run_ending;
	long sync_req, sync_done;
	/* pids handed over by sl_monitor_watch, under lock */
	int npending;
	pid_t pending[MON_MAX_PIDS];
	int nseen;                   /* every pid ever accepted, to ignore repeats */
	pid_t seen[MON_MAX_PIDS];
	bool trees;                  /* descendants of watched pids are watched too (sl_monitor_watch_tree) */

	/* owned by the sampling thread */
	double period_s;
	FILE *samples;
	int config, rep;
	double t0;
	int nprocs;
	struct mon_proc procs[MON_MAX_PIDS];
	int stat_fd;                 /* /proc/stat */
	uint64_t *prev_busy, *prev_total;   /* jiffies per header column at the previous read */
	uint64_t *cur_busy, *cur_total;     /* and at this one; UINT64_MAX: not read */
	char *buf;                   /* /proc/stat text */
	size_t bufsize;
	char pbuf[MON_PROC_BUF];
	char dbuf[MON_DIRENT_BUF];
	int ngpus;
	long nsamples;
	long page_kb;
	bool final;                  /* the last sample, taken on stop */
	/* placement in the run phase: which CPUs the threads ran on, how often they migrated */
	bool in_run, sync_sample, run_seen, ending;
	double numa_pages[MON_MAX_NODES];   /* the workers' pages per NUMA node at the run's end */
	bool numa_read;
	long run_samples;
	int nthreads;
	struct mon_thread threads[MON_MAX_THREADS];
	uint64_t cpu_seen[MON_MAX_CPUS / 64];

	/* results, read after join */
	long threads_peak, threads_total_peak;
	double rss_peak_kb;
	double gpu_util_sum, gpu_mem_max, gpu_mhz_sum;
	long gpu_samples;
	double cpu_s, wall_s;        /* the sampling thread's own CPU time and lifetime */
};

/* ---- the samples.csv header: fixed once per process from /proc/stat ---- */

static pthread_once_t header_once = PTHREAD_ONCE_INIT;
static char *header_text;
static int ncpu_cols;                 /* per-CPU columns in the header */
static short cpu_col[MON_MAX_CPUS];   /* /proc/stat cpu index -> header column, -1 if none */

static void header_build(void)
{
	size_t len;
	char *text = sl_read_file("/proc/stat", &len);
	size_t cap = 64 * 1024, used = 0;
	char *h = malloc(cap);

	for (int i = 0; i < MON_MAX_CPUS; i++)
		cpu_col[i] = -1;
	if (!h) {
		free(text);
		header_text = NULL;
		return;
	}
	used += (size_t)snprintf(h, cap, "config,rep,t_s");
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');

		if (strncmp(p, "cpu", 3) == 0 && p[3] >= '0' && p[3] <= '9') {
			long idx = strtol(p + 3, NULL, 10);

			if (idx >= 0 && idx < MON_MAX_CPUS && cpu_col[idx] < 0 && used + 32 < cap) {
				cpu_col[idx] = (short)ncpu_cols++;
				used += (size_t)snprintf(h + used, cap - used, ",cpu%ld_busy_pct", idx);
			}
		} else if (strncmp(p, "cpu", 3) != 0) {
			break;   /* the cpu lines come first */
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	snprintf(h + used, cap - used, ",procs,threads_total,runnable,gpu_util_pct,gpu_mem_mb,gpu_sm_mhz");
	free(text);
	header_text = h;
}

const char *sl_monitor_samples_header(void)
{
	pthread_once(&header_once, header_build);
	return header_text ? header_text : "config,rep,t_s,procs,threads_total,runnable,gpu_util_pct,gpu_mem_mb,gpu_sm_mhz";
}

/* ---- small parsers over a NUL-terminated buffer (no allocation) ---- */

static const char *skip_spaces(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static uint64_t parse_u64(const char **pp)
{
	const char *p = skip_spaces(*pp);
	uint64_t v = 0;

	while (*p >= '0' && *p <= '9')
		v = v * 10 + (uint64_t)(*p++ - '0');
	*pp = p;
	return v;
}

/* The number after "\nKEY:" in a /proc status text, or -1. */
static long status_field(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	if (!p)
		return -1;
	p += strlen(key);
	return (long)parse_u64(&p);
}

/* From a /proc/<pid>/stat text: the state letter (0 when unparsable), num_threads (field 20)
 * and rss in pages (field 24). */
static char stat_fields(const char *text, long *threads, long *rss_pages)
{
	long long f[24 - 3];
	char state;

	*threads = *rss_pages = -1;
	if (sl_proc_stat_parse(text, &state, f, 24) < 24 - 3)
		return 0;
	*threads = (long)f[20 - 4];
	*rss_pages = (long)f[24 - 4];
	return state;
}

/* pread a whole small /proc file into buf (NUL-terminated). Returns the length or -1. */
static ssize_t pread_all(int fd, char *buf, size_t size)
{
	ssize_t n;

	do
		n = pread(fd, buf, size - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* Read /proc/<pid>/<name> through the kept descriptor fd, or by path when fd < 0. Returns the
 * length; 0 when it cannot be read for now (out of descriptors); -1 when the process is gone. */
static ssize_t proc_read(pid_t pid, int fd, const char *name, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	if (fd >= 0)
		return pread_all(fd, buf, size) > 0 ? (ssize_t)strlen(buf) : -1;
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == EMFILE || errno == ENFILE ? 0 : -1;
	n = pread_all(fd, buf, size);
	close(fd);
	return n > 0 ? n : -1;
}

/* The state letter of a /proc/.../stat text, or 0. */
static char stat_state(const char *text)
{
	char state;

	return sl_proc_stat_parse(text, &state, NULL, 3) < 0 ? 0 : state;
}

/* ---- sampling ---- */

static void proc_close(struct mon_proc *p)
{
	if (p->stat_fd >= 0)
		close(p->stat_fd);
	if (p->task_fd >= 0)
		close(p->task_fd);
	p->stat_fd = p->task_fd = -1;
}

static void take_pending(struct sl_monitor *mon)
{
	pid_t pend[MON_MAX_PIDS];
	int n;

	pthread_mutex_lock(&mon->lock);
	n = mon->npending;
	memcpy(pend, mon->pending, (size_t)n * sizeof(pid_t));
	mon->npending = 0;
	pthread_mutex_unlock(&mon->lock);
	for (int i = 0; i < n && mon->nprocs < MON_MAX_PIDS; i++) {
		struct mon_proc *p = &mon->procs[mon->nprocs];
		char path[64];

		p->pid = pend[i];
		p->task_fd = -1;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)p->pid);
		p->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (p->stat_fd < 0 && errno != EMFILE && errno != ENFILE)
			continue;   /* already gone: dropped quietly */
		mon->nprocs++;
	}
}

static void follow_thread(struct sl_monitor *mon, int dirfd, const char *name, const char *stat_text);

/* Tasks of p in state R (running or runnable). Returns -1 when the process is gone. */
static int count_runnable(struct sl_monitor *mon, struct mon_proc *p)
{
	int running = 0, dirfd = p->task_fd;

	if (dirfd < 0) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/task", (int)p->pid);
		dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			return errno == EMFILE || errno == ENFILE ? 0 : -1;
		if (p->stat_fd >= 0)
			p->task_fd = dirfd;   /* kept for the next samples */
	} else if (lseek(dirfd, 0, SEEK_SET) < 0) {
		return -1;
	}
	for (;;) {
		long n = syscall(SYS_getdents64, dirfd, mon->dbuf, sizeof(mon->dbuf));

		if (n < 0) {
			running = errno == EINTR ? running : -1;
			break;
		}
		if (n == 0)
			break;
		for (long off = 0; off < n;) {
			/* struct linux_dirent64: ino (8), off (8), reclen (2), type (1), name */
			unsigned short reclen;
			const char *name = mon->dbuf + off + 19;
			char path[48];
			int fd;

			memcpy(&reclen, mon->dbuf + off + 16, sizeof(reclen));
			off += reclen;
			if (name[0] < '0' || name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "%s/stat", name);
			fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;   /* the thread exited between the listing and now */
			if (pread_all(fd, mon->pbuf, sizeof(mon->pbuf)) > 0) {
				if (stat_state(mon->pbuf) == 'R')
					running++;
				if (mon->in_run)
					follow_thread(mon, dirfd, name, mon->pbuf);
			}
			close(fd);
		}
	}
	if (dirfd != p->task_fd)
		close(dirfd);
	return running;
}

/* From a /proc/<pid>/task/<tid>/stat text: utime + stime (fields 14, 15) and processor (field 39),
 * the CPU the thread last ran on. The state letter, or 0 when unparsable. */
static char task_fields(const char *text, uint64_t *cputime, long *cpu)
{
	long long f[39 - 3];
	char state;

	*cputime = 0;
	*cpu = -1;
	if (sl_proc_stat_parse(text, &state, f, 39) < 39 - 3)
		return 0;
	*cputime = (uint64_t)f[14 - 4] + (uint64_t)f[15 - 4];
	*cpu = (long)f[39 - 4];
	return state;
}

/* nr_migrations of a /proc/<pid>/task/<tid>/sched text, or -1. */
static long sched_migrations(const char *text)
{
	const char *p = strstr(text, "se.nr_migrations");

	if (!p || !(p = strchr(p, ':')))
		return -1;
	p++;
	return (long)parse_u64(&p);
}

static struct mon_thread *thread_find(struct sl_monitor *mon, pid_t tid)
{
	for (int i = 0; i < mon->nthreads; i++)
		if (mon->threads[i].tid == tid)
			return &mon->threads[i];
	if (mon->nthreads >= MON_MAX_THREADS)
		return NULL;
	mon->threads[mon->nthreads] = (struct mon_thread){ .tid = tid, .cputime = UINT64_MAX, .mig0 = -1, .mig = -1 };
	return &mon->threads[mon->nthreads++];
}

/* One thread in the run phase: its CPU counts as used when the thread is running now or ran since
 * it was last seen (the CPU it last ran on); its migrations are read at the phase's edges and every
 * MON_SCHED_EVERY samples. name is the tid, dirfd the task directory. */
static void follow_thread(struct sl_monitor *mon, int dirfd, const char *name, const char *stat_text)
{
	struct mon_thread *t = thread_find(mon, (pid_t)strtol(name, NULL, 10));
	uint64_t cputime;
	long cpu;
	char state = task_fields(stat_text, &cputime, &cpu);

	if (!t || !state)
		return;
	/* the time on CPU in ns (schedstat) where the kernel keeps it: a tick is 10 ms, a short run less */
	{
		char path[48];
		int fd;

		snprintf(path, sizeof(path), "%s/schedstat", name);
		fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			char buf[96];
			const char *q = buf;

			if (pread_all(fd, buf, sizeof(buf)) > 0 && *buf >= '0' && *buf <= '9')
				cputime = parse_u64(&q);
			close(fd);
		}
	}
	if (cpu >= 0 && cpu < MON_MAX_CPUS && (state == 'R' || (t->cputime != UINT64_MAX && cputime > t->cputime)))
		mon->cpu_seen[cpu / 64] |= 1ULL << (cpu % 64);
	t->cputime = cputime;
	if (mon->sync_sample || t->mig0 < 0 || mon->run_samples % MON_SCHED_EVERY == 0) {
		char path[48];
		int fd;

		snprintf(path, sizeof(path), "%s/sched", name);
		fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (pread_all(fd, mon->pbuf, sizeof(mon->pbuf)) > 0) {
				long m = sched_migrations(mon->pbuf);

				if (m >= 0 && t->mig0 < 0)
					t->mig0 = m;
				if (m >= 0)
					t->mig = m;
			}
			close(fd);
		}
	}
}

/* Read /proc/stat and, when out is given, write one busy % cell per header CPU column (empty for
 * the first read, which only sets the baseline, and for a CPU missing from this read). */
static void sample_cpus(struct sl_monitor *mon, FILE *out)
{
	ssize_t n = pread_all(mon->stat_fd, mon->buf, mon->bufsize);

	for (int c = 0; c < ncpu_cols; c++)
		mon->cur_busy[c] = mon->cur_total[c] = UINT64_MAX;
	for (const char *p = n > 0 ? mon->buf : ""; strncmp(p, "cpu", 3) == 0;) {
		const char *nl = strchr(p, '\n');

		if (p[3] >= '0' && p[3] <= '9') {
			const char *q = p + 3;
			uint64_t idx = parse_u64(&q), f[8] = { 0 };

			for (int i = 0; i < 8; i++)
				f[i] = parse_u64(&q);
			if (idx < MON_MAX_CPUS && cpu_col[idx] >= 0) {
				/* user nice system idle iowait irq softirq steal; guest is already in user */
				uint64_t busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];

				mon->cur_busy[cpu_col[idx]] = busy;
				mon->cur_total[cpu_col[idx]] = busy + f[3] + f[4];
			}
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	for (int c = 0; c < ncpu_cols; c++) {
		uint64_t b = mon->cur_busy[c], t = mon->cur_total[c];
		uint64_t pb = mon->prev_busy[c], pt = mon->prev_total[c];

		if (out) {
			fputc(',', out);
			if (t != UINT64_MAX && pt != UINT64_MAX && t > pt && b >= pb) {
				double pct = 100.0 * (double)(b - pb) / (double)(t - pt);

				fprintf(out, "%.1f", pct > 100 ? 100.0 : pct);
			}
		}
		mon->prev_busy[c] = b;
		mon->prev_total[c] = t;
	}
}

static void watch_children(struct sl_monitor *mon, pid_t pid);
int sl_numa_maps_pages(const char *text, double *pages, int max)
{
	int n = 0;

	for (int i = 0; i < max; i++)
		pages[i] = 0;
	for (const char *p = text; p && *p; p++) {
		const char *q = p + 1;
		uint64_t node, count;

		/* a token " N<node>=<pages>" (the line's address and the policy never look like one) */
		if (*p != 'N' || (p > text && p[-1] != ' ') || *q < '0' || *q > '9')
			continue;
		node = parse_u64(&q);
		if (*q != '=')
			continue;
		q++;
		count = parse_u64(&q);
		if (node < (uint64_t)max) {
			pages[node] += (double)count;
			if ((int)node + 1 > n)
				n = (int)node + 1;
		}
		p = q - 1;
	}
	return n;
}

/* Add where pid's pages are (its numa_maps) to the run's count. */
static void read_numa(struct sl_monitor *mon, pid_t pid)
{
	char path[64];
	double pages[MON_MAX_NODES];
	char *text;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/numa_maps", (int)pid);
	text = sl_read_file(path, NULL);
	if (!text)
		return;
	n = sl_numa_maps_pages(text, pages, MON_MAX_NODES);
	for (int i = 0; i < n; i++)
		mon->numa_pages[i] += pages[i];
	mon->numa_read = true;
	free(text);
}

static void sample(struct sl_monitor *mon)
{
	FILE *out = mon->samples;
	long threads_total = 0, threads_max = 0;
	int procs = 0, runnable = 0;

	take_pending(mon);
	if (out) {
		flockfile(out);
		fprintf(out, "%d,%d,%.3f", mon->config, mon->rep, sl_now() - mon->t0);
	}
	if (out)
		sample_cpus(mon, out);
	for (int i = 0; i < mon->nprocs;) {
		struct mon_proc *p = &mon->procs[i];
		long threads, rss_pages, hwm = -1;
		ssize_t n;
		int r;
		char state;

		n = proc_read(p->pid, p->stat_fd, "stat", mon->pbuf, sizeof(mon->pbuf));
		if (n == 0) {
			i++;      /* out of descriptors this time: try again next sample */
			continue;
		}
		if (n < 0)
			goto drop;
		state = stat_fields(mon->pbuf, &threads, &rss_pages);
		if (state == 'Z' || state == 'X' || state == 0)
			goto drop;   /* exited; waiting to be reaped */
		if (mon->final || mon->nsamples % MON_HWM_EVERY == 0) {
			n = proc_read(p->pid, -1, "status", mon->pbuf, sizeof(mon->pbuf));
			if (n < 0)
				goto drop;
			if (n > 0)
				hwm = status_field(mon->pbuf, "\nVmHWM:");
		}
		if (mon->in_run && mon->ending)
			read_numa(mon, p->pid);
		if (threads > 1 || mon->in_run) {
			r = count_runnable(mon, p);
			if (r < 0)
				goto drop;
		} else {
			r = state == 'R';
		}
		procs++;
		runnable += r;
		if (threads > 0) {
			threads_total += threads;
			if (threads > threads_max)
				threads_max = threads;
		}
		if (rss_pages > 0 && (double)(rss_pages * mon->page_kb) > mon->rss_peak_kb)
			mon->rss_peak_kb = (double)(rss_pages * mon->page_kb);
		if (hwm > mon->rss_peak_kb)
			mon->rss_peak_kb = (double)hwm;
		if (mon->trees) {
			watch_children(mon, p->pid);
			take_pending(mon);   /* appended: sampled later in this same loop */
		}
		i++;
		continue;
drop:
		proc_close(p);
		mon->procs[i] = mon->procs[--mon->nprocs];
	}
	mon->nsamples++;
	if (mon->in_run) {
		mon->run_samples++;
		mon->run_seen = true;
	}
	if (procs > 0) {
		if (threads_max > mon->threads_peak)
			mon->threads_peak = threads_max;
		if (threads_total > mon->threads_total_peak)
			mon->threads_total_peak = threads_total;
	}
	if (out)
		fprintf(out, ",%d,%ld,%d", procs, threads_total, runnable);
	if (mon->ngpus > 0) {
		double util = 0, mem = 0, mhz = 0;
		int ok = 0;

		for (int g = 0; g < mon->ngpus; g++) {
			struct sl_gpu_sample s;

			if (!sl_nvml_sample(g, &s))
				continue;
			/* several GPUs: mean utilisation, total memory, fastest SM clock */
			util += s.util_pct;
			mem += s.mem_used_mb;
			if (s.sm_clock_mhz > mhz)
				mhz = s.sm_clock_mhz;
			ok++;
		}
		if (ok > 0) {
			util /= ok;
			mon->gpu_util_sum += util;
			mon->gpu_mhz_sum += mhz;
			if (mem > mon->gpu_mem_max)
				mon->gpu_mem_max = mem;
			mon->gpu_samples++;
			if (out)
				fprintf(out, ",%.1f,%.1f,%.0f\n", util, mem, mhz);
		} else if (out) {
			fputs(",,,\n", out);
		}
	} else if (out) {
		fputs(",,,\n", out);
	}
	if (out)
		funlockfile(out);
}

static void *monitor_thread(void *arg)
{
	struct sl_monitor *mon = arg;
	struct timespec deadline, cpu;
	bool stop = false;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	sample_cpus(mon, NULL);   /* the baseline the first row's busy % is measured against */
	take_pending(mon);
	while (!stop) {
		long ns = (long)(mon->period_s * 1e9);

		if (!mon->sync_sample) {
			deadline.tv_sec += ns / 1000000000L;
			deadline.tv_nsec += ns % 1000000000L;
			if (deadline.tv_nsec >= 1000000000L) {
				deadline.tv_sec++;
				deadline.tv_nsec -= 1000000000L;
			}
		}
		long req;

		pthread_mutex_lock(&mon->lock);
		while (!mon->stopping && mon->sync_req == mon->sync_done) {
			if (pthread_cond_timedwait(&mon->cond, &mon->lock, &deadline) == ETIMEDOUT)
				break;
		}
		stop = mon->stopping;
		req = mon->sync_req;
		mon->sync_sample = req != mon->sync_done;
		mon->in_run = mon->run_phase;
		mon->ending = mon->sync_sample && mon->run_ending;
		pthread_mutex_unlock(&mon->lock);
		mon->final = stop;
		/* a last sample on stop catches workers of a run shorter than one period */
		sample(mon);
		if (mon->sync_sample) {
			pthread_mutex_lock(&mon->lock);
			mon->sync_done = req;
			pthread_cond_broadcast(&mon->cond);
			pthread_mutex_unlock(&mon->lock);
			continue;   /* an extra sample: the regular ones keep their times */
		}
		{
			struct timespec now;

			/* fell behind (a stalled machine): skip the missed ticks instead of bursting */
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec > deadline.tv_sec + 1)
				deadline = now;
		}
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	mon->cpu_s = (double)cpu.tv_sec + (double)cpu.tv_nsec * 1e-9;
	mon->wall_s = sl_now() - mon->t0;
	return NULL;
}

static pthread_once_t nvml_once = PTHREAD_ONCE_INIT;
static int nvml_devices;

static void nvml_init(void)
{
	nvml_devices = sl_nvml_open() ? sl_nvml_count() : 0;
}

struct sl_monitor *sl_monitor_start(double hz, FILE *samples, int config, int rep)
{
	struct sl_monitor *mon;
	pthread_condattr_t ca;
	int err;

	sl_monitor_samples_header();   /* fixes the CPU columns */
	pthread_once(&nvml_once, nvml_init);
	if (!(hz > 0) || hz > MON_MAX_HZ)
		hz = hz > MON_MAX_HZ ? MON_MAX_HZ : MON_DEFAULT_HZ;
	mon = calloc(1, sizeof(*mon));
	if (!mon)
		return NULL;
	mon->period_s = 1.0 / hz;
	mon->samples = samples;
	mon->config = config;
	mon->rep = rep;
	mon->ngpus = nvml_devices;
	mon->page_kb = sysconf(_SC_PAGESIZE) / 1024;
	mon->bufsize = (size_t)(ncpu_cols + 2) * 256 + 4096;   /* the cpu lines; the rest is cut off */
	mon->buf = malloc(mon->bufsize);
	mon->prev_busy = malloc((size_t)(4 * ncpu_cols + 1) * sizeof(uint64_t));
	if (!mon->buf || !mon->prev_busy) {
		err = ENOMEM;
		goto out_free;
	}
	mon->prev_total = mon->prev_busy + ncpu_cols;
	mon->cur_busy = mon->prev_busy + 2 * ncpu_cols;
	mon->cur_total = mon->prev_busy + 3 * ncpu_cols;
	for (int i = 0; i < 4 * ncpu_cols + 1; i++)
		mon->prev_busy[i] = UINT64_MAX;
	mon->stat_fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
	if (mon->stat_fd < 0) {
		err = errno;
		goto out_free;
	}
	pthread_mutex_init(&mon->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&mon->cond, &ca);
	pthread_condattr_destroy(&ca);
	mon->t0 = sl_now();
	err = pthread_create(&mon->thread, NULL, monitor_thread, mon);
	if (err)
		goto out_destroy;
	return mon;

out_destroy:
	pthread_cond_destroy(&mon->cond);
	pthread_mutex_destroy(&mon->lock);
	close(mon->stat_fd);
out_free:
	free(mon->prev_busy);
	free(mon->buf);
	free(mon);
	errno = err;
	return NULL;
}

void sl_monitor_watch(struct sl_monitor *mon, pid_t pid)
{
	if (!mon || pid <= 0)
		return;
	pthread_mutex_lock(&mon->lock);
	for (int i = 0; i < mon->nseen; i++)
		if (mon->seen[i] == pid)
			goto out_unlock;
	if (mon->nseen < MON_MAX_PIDS && mon->npending < MON_MAX_PIDS) {
		mon->seen[mon->nseen++] = pid;
		mon->pending[mon->npending++] = pid;
	}
out_unlock:
	pthread_mutex_unlock(&mon->lock);
}

void sl_monitor_watch_tree(struct sl_monitor *mon, pid_t pid)
{
	if (!mon)
		return;
	pthread_mutex_lock(&mon->lock);
	mon->trees = true;
	pthread_mutex_unlock(&mon->lock);
	sl_monitor_watch(mon, pid);
}

/* Tree mode: hand every child of pid's threads to the watch list (they are sampled in this same
 * sample, and their own children in turn). Never fails: a process gone meanwhile has none. */
static void watch_children(struct sl_monitor *mon, pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		char file[96], buf[1024], *p, *end;
		ssize_t n;
		int fd;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(file, sizeof(file), "/proc/%d/task/%s/children", (int)pid, e->d_name);
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = pread_all(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		for (p = buf;; p = end) {
			long child = strtol(p, &end, 10);

			if (end == p)
				break;
			sl_monitor_watch(mon, (pid_t)child);
		}
	}
	closedir(d);
}

void sl_monitor_phase(struct sl_monitor *mon, bool run)
{
	long want;

	if (!mon)
		return;
	pthread_mutex_lock(&mon->lock);
	if (run)
		mon->run_phase = true;
	mon->run_ending = !run;
	want = ++mon->sync_req;
	pthread_cond_broadcast(&mon->cond);
	while (mon->sync_done < want && !mon->stopping)
		pthread_cond_wait(&mon->cond, &mon->lock);
	mon->run_phase = run;
	pthread_mutex_unlock(&mon->lock);
}

void sl_monitor_stop(struct sl_monitor *mon, struct sl_metrics *m)
{
	if (!mon)
		return;
	pthread_mutex_lock(&mon->lock);
	mon->stopping = true;
	pthread_cond_signal(&mon->cond);
	pthread_mutex_unlock(&mon->lock);
	pthread_join(mon->thread, NULL);
	if (m) {
		m->threads_peak = mon->threads_peak > 0 ? (double)mon->threads_peak : NAN;
		m->threads_total_peak = mon->threads_total_peak > 0 ? (double)mon->threads_total_peak : NAN;
		m->rss_peak_mb = mon->rss_peak_kb > 0 ? mon->rss_peak_kb / 1024.0 : NAN;
		m->gpu_util_pct = mon->gpu_samples > 0 ? mon->gpu_util_sum / (double)mon->gpu_samples : NAN;
		m->gpu_mem_mb = mon->gpu_samples > 0 ? mon->gpu_mem_max : NAN;
		m->gpu_sm_mhz = mon->gpu_samples > 0 ? mon->gpu_mhz_sum / (double)mon->gpu_samples : NAN;
		m->monitor_cpu_pct = mon->wall_s > 0 ? 100.0 * mon->cpu_s / mon->wall_s : NAN;
		m->cpus_used = m->migrations = NAN;
		if (mon->run_seen) {
			long cpus = 0, moves = 0;

			for (int i = 0; i < MON_MAX_CPUS / 64; i++)
				cpus += __builtin_popcountll(mon->cpu_seen[i]);
			for (int i = 0; i < mon->nthreads; i++)
				if (mon->threads[i].mig0 >= 0)
					moves += mon->threads[i].mig - mon->threads[i].mig0;
			m->cpus_used = cpus > 0 ? (double)cpus : NAN;
			m->migrations = (double)moves;
		}
		m->mem_nodes = NAN;
		if (mon->numa_read) {
			double total = 0;
			int nodes = 0;

			for (int i = 0; i < MON_MAX_NODES; i++)
				total += mon->numa_pages[i];
			/* a node counts when it holds at least 1% of the workers' pages */
			for (int i = 0; i < MON_MAX_NODES; i++)
				nodes += total > 0 && mon->numa_pages[i] >= 0.01 * total;
			m->mem_nodes = total > 0 ? nodes : NAN;
		}
	}
	if (mon->samples)
		fflush(mon->samples);
	for (int i = 0; i < mon->nprocs; i++)
		proc_close(&mon->procs[i]);
	pthread_cond_destroy(&mon->cond);
	pthread_mutex_destroy(&mon->lock);
	close(mon->stat_fd);
	free(mon->prev_busy);
	free(mon->buf);
	free(mon);
}
