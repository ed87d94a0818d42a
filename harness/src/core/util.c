/* util.c: messages, clocks, string and file helpers shared by every part of the harness. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/speedlab.h"

void sl_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("speedlab: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

bool sl_quiet_errors;

void sl_err_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (sl_quiet_errors)
		return;
	va_start(ap, fmt);
	if (line > 0)
		fprintf(stderr, "speedlab: %s:%d: ", file, line);
	else
		fprintf(stderr, "speedlab: %s: ", file);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void sl_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("speedlab: warning: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

double sl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double sl_wall_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int sl_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[64 + 1];

	if (lb > 64 || la > 64)
		return INT_MAX / 2;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int diag = row[0];

		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int up = row[j];
			int cost = a[i - 1] == b[j - 1] ? 0 : 1;
			int best = diag + cost;

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* True when word abbreviates c: same first letter, and every letter of word appears in c in order. */
static bool abbreviates(const char *word, const char *c)
{
	if (strlen(word) < 3 || word[0] != c[0] || strlen(word) >= strlen(c))
		return false;
	for (; *word && *c; c++)
		if (*c == *word)
			word++;
	return *word == '\0';
}

const char *sl_did_you_mean(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	int best_d = INT_MAX;

	for (const char *const *c = candidates; *c; c++) {
		int d = sl_edit_distance(word, *c);

		/* a prefix or an abbreviation counts as close: 'proc', 'procs' -> 'processes' */
		if (strlen(word) >= 3 && strncmp(word, *c, strlen(word)) == 0)
			d = 1;
		else if (abbreviates(word, *c) && d > 2)
			d = 2;
		if (d < best_d) {
			best_d = d;
			best = *c;
		}
	}
	if (best && best_d <= 1 + (int)strlen(word) / 3)
		return best;
	return NULL;
}

size_t sl_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

char *sl_strip(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

int sl_proc_stat_parse(const char *text, char *state, long long *f, int last)
{
	/* "pid (comm) state ppid ...": comm may hold spaces and parentheses, so the last ')' ends it */
	const char *p = strrchr(text, ')');
	int n = 0;

	if (!p || p[1] != ' ' || !p[2] || p[2] == ' ' || p[2] == '\n')
		return -1;
	*state = p[2];
	p += 3;
	for (int field = 4; field <= last; field++, n++) {
		unsigned long long v = 0;
		bool neg;

		while (*p == ' ')
			p++;
		neg = *p == '-';
		if (neg)
			p++;
		if (*p < '0' || *p > '9')
			break;
		while (*p >= '0' && *p <= '9')
			v = v * 10 + (unsigned long long)(*p++ - '0');
		f[field - 4] = (long long)(neg ? 0 - v : v);   /* modulo 2^64, as GCC converts */
	}
	return n;
}

int sl_proc_stat_read(pid_t pid, char *state, long long *f, int last)
{
	char path[64], buf[2048];
	ssize_t n;
	int fd;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/stat");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return sl_proc_stat_parse(buf, state, f, last);
}

bool sl_proc_stat(pid_t pid, struct sl_proc_stat *st)
{
	long long f[52 - 3];
	char state;
	int n = sl_proc_stat_read(pid, &state, f, 52);

	if (n < 3)      /* up to the session, field 6 */
		return false;
	memset(st, 0, sizeof(*st));
	st->state = state;
	st->ppid = (pid_t)f[4 - 4];
	st->pgrp = (pid_t)f[5 - 4];
	st->session = (pid_t)f[6 - 4];
	if (n >= 52 - 3)
		st->exit_code = (int)f[52 - 4];
	return true;
}

bool sl_parse_long(const char *s, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

bool sl_parse_double(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return false;
	*out = v;
	return true;
}

int sl_mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0777) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (size_t)w;
	}
	return 0;
}

/* A character device (or a link to one) the user named: written in place, never replaced. */
static int write_in_place(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), err;
	struct stat st;

	if (fd < 0)
		return -errno;
	err = fstat(fd, &st) < 0 ? -errno : S_ISCHR(st.st_mode) ? write_all(fd, data, len) : -SL_ENOTREG;
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

int sl_write_file_mode(const char *path, const char *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	int fd, err = sl_output_check(path);

	if (err < 0)
		return err;
	if (err == SL_OUTPUT_IN_PLACE)
		return write_in_place(path, data, len);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* the temporary file is new: whatever a stale one (or a link planted there) was is removed */
	if (unlink(tmp) < 0 && errno != ENOENT)
		return -errno;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0)
		return -errno;
	err = write_all(fd, data, len);
	if (err)
		goto out_unlink;
	if (mode && fchmod(fd, mode) < 0) {
		err = -errno;
		goto out_unlink;
	}
	if (fsync(fd) < 0) {
		err = -errno;
		goto out_unlink;
	}
	if (close(fd) < 0) {
		fd = -1;
		err = -errno;
		goto out_unlink;
	}
	/* a path that became a device, FIFO or link since the check is not replaced either */
	err = sl_output_check(path);
	if (err == 0 && rename(tmp, path) < 0)
		err = -errno;
	else if (err > 0)
		err = -EAGAIN;
	if (err)
		unlink(tmp);
	return err;

out_unlink:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return err;
}

int sl_write_file_atomic(const char *path, const char *data, size_t len)
{
	return sl_write_file_mode(path, data, len, 0);
}

static char *read_fd(int fd, size_t *len)
{
	char *buf;
	size_t cap = 4096, used = 0;
	struct stat st;

	/* room for the whole file at once: a large result file is not copied while it grows */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size < SIZE_MAX / 2)
		cap = (size_t)st.st_size + 2;
	buf = malloc(cap);
	if (!buf)
		goto out_close;
	for (;;) {
		ssize_t r;

		if (used + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				goto out_free;
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + used, cap - used - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto out_free;
		}
		if (r == 0)
			break;
		used += (size_t)r;
	}
	buf[used] = '\0';
	if (len)
		*len = used;
	close(fd);
	return buf;

out_free:
	free(buf);
out_close:
	{
		int e = errno;

		close(fd);
		errno = e;
	}
	return NULL;
}

static char *read_regular(const char *path, size_t *len, bool nofollow)
{
	int fd = sl_open_regular(path, nofollow);

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	return read_fd(fd, len);
}

char *sl_read_file(const char *path, size_t *len)
{
	return read_regular(path, len, false);
}

char *sl_read_file_nofollow(const char *path, size_t *len)
{
	return read_regular(path, len, true);
}

const char *sl_self_exe(void)
{
	static char path[PATH_MAX];

	if (!path[0]) {
		ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

		if (n <= 0)
			strcpy(path, "speedlab");
		else
			path[n] = '\0';
	}
	return path;
}

void sl_metrics_clear(struct sl_metrics *m)
{
	for (size_t i = 0; i < sl_metric_ncolumns; i++)
		*(double *)((char *)m + sl_metric_columns[i].offset) = NAN;
	strcpy(m->status, "ok");
}

#define COL(field, better, help) { #field, offsetof(struct sl_metrics, field), better, help }
const struct sl_metric_column sl_metric_columns[] = {
	COL(wall_s, -1, "wall time of the run, seconds"),
	COL(cpu_user_s, -1, "user CPU time of the process tree, seconds"),
	COL(cpu_sys_s, -1, "system CPU time of the process tree, seconds"),
	COL(cores_busy, 0, "process-tree CPU time / wall time"),
	COL(threads_peak, 0, "largest thread count of any worker"),
	COL(threads_total_peak, 0, "largest thread count of the whole tree"),
	COL(ctx_vol, 0, "voluntary context switches of the tree"),
	COL(ctx_invol, -1, "involuntary context switches of the tree"),
	COL(rss_peak_mb, -1, "largest resident set of any worker, MiB"),
	COL(start_latency_ms, -1, "worker requested to worker ready, median over workers, ms"),
	COL(dispatch_us_per_task, -1, "dispatch overhead per task, microseconds"),
	COL(gflops, 1, "floating-point throughput, GFLOP/s"),
	COL(gpu_util_pct, 0, "GPU utilisation (NVML), %"),
	COL(gpu_mem_mb, 0, "GPU memory used (NVML), MiB"),
	COL(threads_lib, 0, "the library's own thread count inside the worker"),
	COL(pool_start_ms, -1, "first worker requested to all ready, ms"),
	COL(pool_stop_ms, -1, "shutdown requested to all reaped, ms"),
	COL(imbalance, -1, "max / mean of per-worker busy time"),
	COL(monitor_cpu_pct, -1, "the monitor's own CPU use, % of one core"),
	COL(gflops_per_proc, 1, "median over workers of a worker's own GFLOP/s (GPU: CUDA-event time)"),
	COL(gbps, 1, "host-device copy bandwidth, GB/s (1e9 bytes, CUDA-event time)"),
	COL(gpu_wait_us, -1, "wake-up latency: wall time of a GPU wait past the kernel's own time, median, us"),
	COL(host_cpu_pct, 0, "worker CPU time / wall time while it drives and waits on the GPU, %"),
	COL(helper_procs, 0, "processes the pool runs besides its workers (a forkserver, a manager)"),
	COL(helper_threads, 0, "threads besides the workers': the coordinator's extra ones and the helpers'"),
	COL(gpu_sm_mhz, 0, "GPU SM clock (NVML), MHz, mean over the run's samples"),
	COL(cpus_used, 0, "distinct logical CPUs the workers' threads ran on during the run phase"),
	COL(migrations, 0, "moves of the workers' threads from one CPU to another during the run phase"),
	COL(mem_nodes, 0, "NUMA nodes holding at least 1% of the workers' pages at the run's end (numa_maps)"),
	COL(cpu_startup_s, -1, "the workers' CPU time from start to ready (setup), seconds; cpu_user_s and "
			       "cpu_sys_s cover the run phase only"),
	COL(wall_tree_s, -1, "command workload: the whole process tree's wall time, the window of cpu_user_s, "
			     "cpu_sys_s and cores_busy (wall_s is the program's own when it reports one)"),
};
#undef COL
const size_t sl_metric_ncolumns = sizeof(sl_metric_columns) / sizeof(sl_metric_columns[0]);

int sl_metric_better(const char *name)
{
	if (strcmp(name, "pool_ms") == 0)
		return -1;
	for (size_t i = 0; i < sl_metric_ncolumns; i++)
		if (strcmp(sl_metric_columns[i].name, name) == 0)
			return sl_metric_columns[i].better;
	return 0;
}

const struct sl_param_value *sl_setting_param(const struct sl_setting *s, const char *name)
{
	for (int i = 0; i < s->nparams; i++)
		if (strcmp(s->params[i].name, name) == 0)
			return &s->params[i];
	return NULL;
}

double sl_setting_num(const struct sl_setting *s, const char *name, double def)
{
	const struct sl_param_value *p = sl_setting_param(s, name);

	return p && !isnan(p->num) ? p->num : def;
}

const char *sl_setting_text(const struct sl_setting *s, const char *name, const char *def)
{
	const struct sl_param_value *p = sl_setting_param(s, name);

	return p ? p->text : def;
}
