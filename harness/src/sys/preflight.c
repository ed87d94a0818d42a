/* preflight.c: before a run, record and warn about what would make its timings untrustworthy. */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/preflight.h"
#include "core/speedlab.h"

#define LOAD_PER_CPU_MAX 0.5

/* First line of a small file, stripped, into buf; false when unreadable or empty. */
static bool read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok) {
		char *s = sl_strip(buf);

		memmove(buf, s, strlen(s) + 1);
	}
	return ok && buf[0];
}

/* True when the comma-separated list has exactly the token word. */
static bool has_token(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == n && strncmp(p, word, n) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

/* dir/name into buf; false when it does not fit. */
static bool path_join(char *buf, size_t len, const char *dir, const char *name)
{
	return snprintf(buf, len, "%s/%s", dir, name) < (int)len;
}

/* The quota in CPUs one cgroup directory sets (INFINITY when unlimited, NAN when it has no file). */
static double quota_at(const char *dir, int version, char *raw, size_t rawlen)
{
	char path[PATH_MAX], line[128];

	if (version == 2) {
		char q[64];
		double period;

		if (!path_join(path, sizeof(path), dir, "cpu.max") || !read_line(path, line, sizeof(line)) || sscanf(line, "%63s %lf", q, &period) != 2)
			return NAN;
		if (snprintf(raw, rawlen, "%s", line) >= (int)rawlen)
			raw[0] = '\0';
		if (strcmp(q, "max") == 0 || period <= 0)
			return INFINITY;
		return strtod(q, NULL) / period;
	} else {
		char pline[64];
		double quota, period;

		if (!path_join(path, sizeof(path), dir, "cpu.cfs_quota_us") || !read_line(path, line, sizeof(line)) || !sl_parse_double(line, &quota))
			return NAN;
		if (!path_join(path, sizeof(path), dir, "cpu.cfs_period_us") || !read_line(path, pline, sizeof(pline)) || !sl_parse_double(pline, &period))
			return NAN;
		if (snprintf(raw, rawlen, "%s %s", line, pline) >= (int)rawlen)
			raw[0] = '\0';
		if (quota < 0 || period <= 0)
			return INFINITY;
		return quota / period;
	}
}

/* Walk from mount/path up to mount, keeping the smallest quota. NAN when no level has the file. */
static double walk_quota(const char *mount, const char *cgpath, int version, char *raw, size_t rawlen)
{
	char dir[PATH_MAX], text[64] = "";
	double best = NAN;
	size_t mlen = strlen(mount);

	snprintf(dir, sizeof(dir), "%s%s", mount, strcmp(cgpath, "/") == 0 ? "" : cgpath);
	if (access(dir, F_OK) < 0)   /* a cgroup namespace we cannot see through: the mount is ours */
		snprintf(dir, sizeof(dir), "%s", mount);
	for (;;) {
		char here[64] = "";
		double q = quota_at(dir, version, here, sizeof(here));

		if (!isnan(q) && (isnan(best) || q < best)) {
			best = q;
			snprintf(text, sizeof(text), "%s", here);
		}
		if (strlen(dir) <= mlen)
			break;
		*strrchr(dir, '/') = '\0';
		if (strlen(dir) < mlen)
			break;
	}
	if (!isnan(best))
		snprintf(raw, rawlen, "%s", text);
	return best;
}

double sl_preflight_cgroup_quota(const char *cgroup_file, const char *mounts_file, int *version,
				 char *raw, size_t rawlen)
{
	char line[PATH_MAX + 128], path2[PATH_MAX] = "", path1[PATH_MAX] = "";
	char mnt2[PATH_MAX] = "", mnt1[PATH_MAX] = "";
	bool have2 = false, have1 = false;
	double q = NAN;
	FILE *f;

	*version = 0;
	raw[0] = '\0';
	f = fopen(cgroup_file, "re");
	if (!f)
		return NAN;
	while (fgets(line, sizeof(line), f)) {
		char *ctrl = strchr(line, ':'), *path;

		if (!ctrl || !(path = strchr(ctrl + 1, ':')))
			continue;
		*ctrl++ = '\0';
		*path++ = '\0';
		path[strcspn(path, "\n")] = '\0';
		if (strcmp(line, "0") == 0 && ctrl[0] == '\0') {
			snprintf(path2, sizeof(path2), "%s", path);
			have2 = true;
		} else if (has_token(ctrl, "cpu")) {
			snprintf(path1, sizeof(path1), "%s", path);
			have1 = true;
		}
	}
	fclose(f);
	f = fopen(mounts_file, "re");
	if (!f)
		return NAN;
	while (fgets(line, sizeof(line), f)) {
		char dev[256], mnt[PATH_MAX], type[64], opts[512];

		if (sscanf(line, "%255s %4095s %63s %511s", dev, mnt, type, opts) != 4)
			continue;
		if (strcmp(type, "cgroup2") == 0 && !mnt2[0])
			snprintf(mnt2, sizeof(mnt2), "%s", mnt);
		else if (strcmp(type, "cgroup") == 0 && has_token(opts, "cpu") && !mnt1[0])
			snprintf(mnt1, sizeof(mnt1), "%s", mnt);
	}
	fclose(f);
	if (have2 && mnt2[0]) {
		q = walk_quota(mnt2, path2, 2, raw, rawlen);
		if (!isnan(q))
			*version = 2;
	}
	if (isnan(q) && have1 && mnt1[0]) {
		q = walk_quota(mnt1, path1, 1, raw, rawlen);
		if (!isnan(q))
			*version = 1;
	}
	return q;
}

static void read_governors(struct sl_preflight_facts *f)
{
	glob_t g;

	f->ngovernors = 0;
	if (glob("/sys/devices/system/cpu/cpu[0-9]*/cpufreq/scaling_governor", 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char name[32];
		int k;

		if (!read_line(g.gl_pathv[i], name, sizeof(name)))
			continue;
		for (k = 0; k < f->ngovernors; k++)
			if (strcmp(f->governor[k], name) == 0)
				break;
		if (k == f->ngovernors) {
			if (k == SL_PREFLIGHT_MAX_GOVERNORS)
				continue;
			snprintf(f->governor[k], sizeof(f->governor[k]), "%s", name);
			f->governor_cpus[k] = 0;
			f->ngovernors++;
		}
		f->governor_cpus[k]++;
	}
	globfree(&g);
}

static double read_swap_used_mb(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	double total = NAN, freekb = NAN, v;

	if (!f)
		return NAN;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "SwapTotal: %lf", &v) == 1)
			total = v;
		else if (sscanf(line, "SwapFree: %lf", &v) == 1)
			freekb = v;
	}
	fclose(f);
	if (isnan(total) || isnan(freekb))
		return NAN;
	return (total - freekb) / 1024.0;
}

void sl_preflight_read(struct sl_preflight_facts *f)
{
	cpu_set_t set;

	memset(f, 0, sizeof(*f));
	f->cpus = sl_topology()->logical;
	f->cpus_online = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		f->cpus_allowed = CPU_COUNT(&set);
	if (getloadavg(f->load, 3) != 3)
		f->load[0] = f->load[1] = f->load[2] = NAN;
	read_governors(f);
	f->quota_cpus = sl_preflight_cgroup_quota("/proc/self/cgroup", "/proc/self/mounts", &f->cgroup_version,
						  f->cgroup_cpu_max, sizeof(f->cgroup_cpu_max));
	f->swap_used_mb = read_swap_used_mb();
}

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static int warn(json_t *warnings, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int warn(json_t *warnings, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_array_append_new(warnings, json_string(msg));
}

json_t *sl_preflight_json(const struct sl_preflight_facts *f)
{
	json_t *o = json_object(), *w = json_array(), *gov = json_object(), *cg = json_object(), *load = json_array();
	int cpus = f->cpus > 0 ? f->cpus : 1;
	double per_cpu = f->load[0] / cpus;

	if (!o || !w || !gov || !cg || !load)
		goto out_free;
	json_object_set_new(o, "cpus", json_integer(f->cpus));
	json_object_set_new(o, "cpus_online", f->cpus_online > 0 ? json_integer(f->cpus_online) : json_null());
	json_object_set_new(o, "cpus_allowed", f->cpus_allowed > 0 ? json_integer(f->cpus_allowed) : json_null());
	for (int i = 0; i < 3; i++)
		json_array_append_new(load, num_or_null(f->load[i]));
	json_object_set_new(o, "loadavg", load);
	json_object_set_new(o, "load_per_cpu", num_or_null(per_cpu));
	for (int i = 0; i < f->ngovernors; i++)
		json_object_set_new(gov, f->governor[i], json_integer(f->governor_cpus[i]));
	json_object_set_new(o, "governors", gov);
	json_object_set_new(cg, "version", f->cgroup_version ? json_integer(f->cgroup_version) : json_null());
	json_object_set_new(cg, "cpu_max", f->cgroup_cpu_max[0] ? json_string(f->cgroup_cpu_max) : json_null());
	json_object_set_new(cg, "quota_cpus", num_or_null(f->quota_cpus));
	json_object_set_new(o, "cgroup", cg);
	json_object_set_new(o, "swap_used_mb", num_or_null(f->swap_used_mb));

	if (per_cpu > LOAD_PER_CPU_MAX)
		warn(w, "load average %.2f on %d logical CPUs (%.2f per CPU) at start: other work competes for the "
			"CPUs and the timings will be noisy", f->load[0], f->cpus, per_cpu);
	for (int i = 0; i < f->ngovernors; i++)
		if (strcmp(f->governor[i], "performance") != 0)
			warn(w, "CPU frequency governor '%s' on %d CPU%s, not 'performance': the clock may change "
				"during the run", f->governor[i], f->governor_cpus[i], f->governor_cpus[i] == 1 ? "" : "s");
	if (isfinite(f->quota_cpus) && f->quota_cpus < f->cpus)
		warn(w, "cgroup CPU quota of %.2g CPUs is below the %d logical CPUs: configurations with more busy "
			"threads than that are throttled", f->quota_cpus, f->cpus);
	if (f->swap_used_mb > 0)
		warn(w, "%.0f MiB of swap in use at start: memory pressure can distort the timings", f->swap_used_mb);
	json_object_set_new(o, "warnings", w);
	return o;

out_free:
	json_decref(o);
	json_decref(w);
	json_decref(gov);
	json_decref(cg);
	json_decref(load);
	return NULL;
}

json_t *sl_preflight(void)
{
	struct sl_preflight_facts f;

	sl_preflight_read(&f);
	return sl_preflight_json(&f);
}

void sl_preflight_warn(json_t *preflight)
{
	json_t *w = json_object_get(preflight, "warnings"), *v;
	size_t i;

	json_array_foreach(w, i, v)
		if (json_is_string(v))
			sl_warn("%s", json_string_value(v));
}
