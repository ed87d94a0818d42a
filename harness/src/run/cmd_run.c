/* cmd_run.c: `speedlab run`: expands an experiment, runs every configuration in a seeded interleaved
 * order through the pool, and writes the result directory incrementally and crash-safely. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analysis/brief.h"
#include "core/cmd.h"
#include "experiment/cmdexp.h"
#include "pool/contain.h"
#include "core/csv.h"
#include "experiment/experiment.h"
#include "analysis/findings.h"
#include "core/launcher.h"
#include "core/opts.h"
#include "monitor/monitor.h"
#include "pool/pool.h"
#include "sys/preflight.h"
#include "run/progress.h"
#include "run/repeats.h"
#include "results/results.h"
#include "sys/placement.h"
#include "sys/sysinfo.h"

/* The signal that stops the run (SIGINT, SIGTERM, SIGHUP), 0 while none came. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

/* A write to a closed pipe fails with EPIPE instead of killing us. A handler, not SIG_IGN: an
 * ignored signal stays ignored across exec, and the commands a run starts must get the default. */
static void on_sigpipe(int sig)
{
	(void)sig;
}

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define NSTOP (sizeof(stop_signals) / sizeof(stop_signals[0]))

/* Ctrl-C, SIGTERM and a terminal's hang-up all stop the run cleanly (what ran is kept, the summary
 * written); a closed output (`speedlab run ... | head`) only fails the writes, the run goes on. */
static void signals_catch(struct sigaction old[NSTOP + 1])
{
	struct sigaction sa = { .sa_handler = on_signal }, pipe_sa = { .sa_handler = on_sigpipe };

	sigemptyset(&sa.sa_mask);
	sigemptyset(&pipe_sa.sa_mask);
	for (size_t i = 0; i < NSTOP; i++)
		sigaction(stop_signals[i], &sa, &old[i]);
	sigaction(SIGPIPE, &pipe_sa, &old[NSTOP]);
}

static void signals_restore(const struct sigaction old[NSTOP + 1])
{
	for (size_t i = 0; i < NSTOP; i++)
		sigaction(stop_signals[i], &old[i], NULL);
	sigaction(SIGPIPE, &old[NSTOP], NULL);
}

struct run_args {
	const char *exp;
	const char *profile;
	const char *out;
	const char *resume;
	char *sets[32];
	int nsets;
	char *cmds[16];         /* --cmd: the commands of an experiment without a file */
	int ncmds;
	bool seed_given;
	unsigned long long seed;
	bool strict;
	bool quiet;
};

static int parse_args(int argc, char **argv, struct run_args *a)
{
	enum { O_PROFILE = 256, O_OUT, O_RESUME, O_SET, O_CMD, O_SEED, O_STRICT };
	static const struct option longopts[] = {
		{ "profile", required_argument, NULL, O_PROFILE }, { "out", required_argument, NULL, O_OUT },
		{ "resume", required_argument, NULL, O_RESUME },   { "set", required_argument, NULL, O_SET },
		{ "cmd", required_argument, NULL, O_CMD },         { "seed", required_argument, NULL, O_SEED },
		{ "strict", no_argument, NULL, O_STRICT },         { "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct sl_opts o;
	int c;

	memset(a, 0, sizeof(*a));
	a->profile = "";
	sl_opts_init(&o, "run", argc, argv, "q", longopts);
	while ((c = sl_opts_next(&o)) != SL_OPT_END) {
		char *end;

		switch (c) {
		case O_PROFILE:
			a->profile = o.arg;
			break;
		case O_OUT:
			a->out = o.arg;
			break;
		case O_RESUME:
			a->resume = o.arg;
			break;
		case O_SET:
			if (a->nsets >= 32) {
				sl_err("run: at most 32 --set options");
				return -EINVAL;
			}
			a->sets[a->nsets++] = o.arg;
			break;
		case O_CMD:
			if (a->ncmds >= 16) {
				sl_err("run: at most 16 --cmd options");
				return -EINVAL;
			}
			a->cmds[a->ncmds++] = o.arg;
			break;
		case O_SEED:
			errno = 0;
			a->seed = strtoull(o.arg, &end, 0);
			if (errno || *end || o.arg[0] == '-') {
				sl_err("run: --seed '%s': expected a non-negative whole number", o.arg);
				return -EINVAL;
			}
			a->seed_given = true;
			break;
		case O_STRICT:
			a->strict = true;
			break;
		case 'q':
			a->quiet = true;
			break;
		case SL_OPT_ARG:
			if (a->exp) {
				sl_err("run: more than one experiment file ('%s' and '%s')", a->exp, o.arg);
				return -EINVAL;
			}
			a->exp = o.arg;
			break;
		default:
			return -EINVAL;
		}
	}
	if (a->ncmds && (a->exp || a->resume)) {
		sl_err("run: --cmd makes the experiment: give either --cmd or %s", a->exp ? "an experiment file" : "--resume");
		return -EINVAL;
	}
	if (!a->exp && !a->resume && !a->ncmds) {
		sl_err("run: no experiment file (usage: speedlab run EXP.ini [--profile quick|full] [--out DIR] "
		       "[--set key=value]... [--resume DIR], or speedlab run --cmd 'COMMAND'... [--set key=value]...)");
		return -EINVAL;
	}
	if (a->out && a->resume) {
		sl_err("run: --out and --resume together: --resume continues the run in its own directory");
		return -EINVAL;
	}
	return 0;
}

/* The default result directory: results/runs/<host>/<YYYYmmdd-HHMMSS>-<name>. */
static void default_dir(const struct sl_experiment *e, char *dir, size_t len, char *stamp, size_t slen)
{
	char host[128] = "host";
	time_t now = time(NULL);
	struct tm tm;

	gethostname(host, sizeof(host) - 1);
	for (char *p = host; *p; p++)
		if (*p == '/' || *p == ' ')
			*p = '_';
	localtime_r(&now, &tm);
	strftime(stamp, slen, "%Y%m%d-%H%M%S", &tm);
	snprintf(dir, len, "results/runs/%s/%s-%s", host, stamp, e->name);
}

/* Create the default directory dir (its parents as needed) as a new directory: when another run took
 * the name in the same second, "-2", "-3", ... is appended. Returns 0 or -errno. */
static int make_unique_dir(char *dir, size_t len)
{
	char base[PATH_MAX], *slash;
	int rc;

	snprintf(base, sizeof(base), "%s", dir);
	slash = strrchr(base, '/');
	if (slash) {
		*slash = '\0';
		rc = sl_mkdir_p(base);
		if (rc < 0)
			return rc;
		*slash = '/';
	}
	for (int n = 2; mkdir(dir, 0777) < 0; n++) {
		if (errno != EEXIST || n > 1000)
			return -errno;
		if (snprintf(dir, len, "%s-%d", base, n) >= (int)len)
			return -ENAMETOOLONG;
	}
	return 0;
}

static void update_latest(const char *dir)
{
	const char *rel = strncmp(dir, "results/runs/", 13) == 0 ? dir + 13 : NULL;
	char tmp[PATH_MAX];

	if (!rel)
		return;
	snprintf(tmp, sizeof(tmp), "results/runs/.latest.%d", (int)getpid());
	unlink(tmp);
	if (symlink(rel, tmp) == 0 && rename(tmp, "results/runs/latest") != 0)
		unlink(tmp);
}

static bool dir_holds_run(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;

	/* lstat: a link there (dangling or not) counts as a run's file, never as room for one */
	snprintf(path, sizeof(path), "%s/runs.csv", dir);
	if (lstat(path, &st) == 0)
		return true;
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	return lstat(path, &st) == 0;
}

static int write_json(const char *dir, const char *name, json_t *o)
{
	char path[PATH_MAX];
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	int rc;

	if (!s)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	rc = sl_write_file_atomic(path, s, strlen(s));
	free(s);
	return rc;
}

static json_t *experiment_json(const struct sl_experiment *e)
{
	json_t *o = json_object(), *axes = json_object();

	json_object_set_new(o, "name", json_string(e->name));
	json_object_set_new(o, "question", json_string(e->question));
	json_object_set_new(o, "metric", json_string(e->metric));
	json_object_set_new(o, "workload", json_string(e->workload));
	json_object_set_new(o, "file", json_string(e->file));
	json_object_set_new(o, "profile", json_string(e->profile));
	json_object_set_new(o, "repeats", json_integer(e->repeats));
	json_object_set_new(o, "warmup", json_integer(e->warmup));
	json_object_set_new(o, "timeout_s", json_real(e->timeout_s));
	json_object_set_new(o, "configurations", json_integer(sl_experiment_nconfigs(e)));
	for (int i = 0; i < e->naxes; i++) {
		json_t *vals = json_array();

		for (int k = 0; k < e->axes[i].nvalues; k++)
			json_array_append_new(vals, json_string(e->axes[i].values[k]));
		json_object_set_new(axes, e->axes[i].name, vals);
	}
	json_object_set_new(o, "axes", axes);
	return o;
}

static json_t *command_line(int argc, char **argv)
{
	json_t *a = json_array();

	json_array_append_new(a, json_string("speedlab"));
	for (int i = 0; i < argc; i++)
		json_array_append_new(a, json_string(argv[i]));
	return a;
}

static void iso_time(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Which (config, rep) pairs runs.csv already holds; drops a torn last line so appends stay clean. */
static int load_done(const char *dir, long nconfigs, int reps, int warmup, unsigned char *done)
{
	char path[PATH_MAX];
	struct sl_csv csv;
	int cc, cr, rc;
	int fd;
	off_t size;
	char c;

	snprintf(path, sizeof(path), "%s/runs.csv", dir);
	if (access(path, F_OK) != 0)
		return 0;
	/* a SIGKILL mid-write can leave a partial last line: cut the file back to its last newline */
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size = lseek(fd, 0, SEEK_END);
	while (size > 0 && pread(fd, &c, 1, size - 1) == 1 && c != '\n')
		size--;
	if (ftruncate(fd, size) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	close(fd);
	rc = sl_csv_read(path, &csv, 0);
	if (rc < 0)
		return rc;
	cc = sl_csv_col(&csv, "config");
	cr = sl_csv_col(&csv, "rep");
	if (cc < 0 || cr < 0) {
		sl_err_at(path, 1, "no 'config' or 'rep' column: not a speedlab runs.csv");
		sl_csv_free(&csv);
		return -EINVAL;
	}
	for (size_t r = 0; r < csv.nrows; r++) {
		long config, rep;

		if (!sl_parse_long(sl_csv_cell(&csv, r, cc), &config) || !sl_parse_long(sl_csv_cell(&csv, r, cr), &rep) ||
		    config < 0 || config >= nconfigs || rep < -warmup || rep > reps || rep == 0) {
			sl_err_at(path, csv.lines[r], "config/rep '%s'/'%s' do not belong to this experiment",
				  sl_csv_cell(&csv, r, cc), sl_csv_cell(&csv, r, cr));
			sl_csv_free(&csv);
			return -EINVAL;
		}
		/* the round the run loop gives it: warm-ups -warmup..-1 first, then repetitions 1..reps */
		done[config * (reps + warmup + 1) + (rep < 0 ? rep + warmup : rep + warmup - 1)] = 1;
	}
	sl_csv_free(&csv);
	return 0;
}

/* Why this configuration cannot run here (into why), or false when it can. */
static bool skip_reason(const struct sl_experiment *e, const struct sl_setting *s, char *why, size_t len)
{
	const struct sl_launcher_ops *l = sl_launcher_find(s->start_method);

	if (e->wl->unimplemented_reason) {
		snprintf(why, len, "%s", e->wl->unimplemented_reason);
		return true;
	}
	if (!l) {
		snprintf(why, len, "unknown start method %s", s->start_method);
		return true;
	}
	if (l->unimplemented_reason) {
		snprintf(why, len, "%s", l->unimplemented_reason);
		return true;
	}
	why[0] = '\0';
	if (e->wl->supported && !e->wl->supported(s, why, len)) {
		if (!why[0])
			snprintf(why, len, "not supported here");
		return true;
	}
	if (l->supported && !l->supported(s, why, len)) {
		if (!why[0])
			snprintf(why, len, "start method not supported here");
		return true;
	}
	if (e->wl->mem_bytes_per_worker) {
		/* what its workers would allocate together, against the machine: refused before it starts */
		double need = e->wl->mem_bytes_per_worker(s) * (s->processes > 0 ? s->processes : 1) / (1024.0 * 1024 * 1024);
		double have = sl_topology()->mem_gib;

		if (have > 0 && need > have) {
			snprintf(why, len, "needs %.1f GiB (%d process(es)); the machine has %.1f GiB", need, s->processes, have);
			return true;
		}
	}
	return false;
}

/* meta.json's placement: the CPUs the sweep may use, SMT, NUMA nodes, the coordinator's CPUs,
 * and for every (affinity, processes, mem_policy) of the sweep the workers' CPUs and the OpenMP
 * variables set in them. */
static json_t *placement_json(const struct sl_experiment *e)
{
	const struct sl_topology *t = sl_topology();
	json_t *o = json_object(), *plans = json_array();
	long n = sl_experiment_nconfigs(e);
	char seen[64][64], key[64], msg[256];
	int nseen = 0;

	json_object_set_new(o, "allowed_cpus", json_string(t->allowed));
	json_object_set_new(o, "logical", json_integer(t->logical));
	json_object_set_new(o, "machine_logical", json_integer(t->machine_logical));
	json_object_set_new(o, "smt", json_integer(t->smt));
	json_object_set_new(o, "numa_nodes", json_integer(t->numa_nodes));
	json_object_set_new(o, "coordinator_cpus", json_string(e->coordinator_cpus[0] ? e->coordinator_cpus : "not pinned"));
	for (long c = 0; c < n && nseen < 64; c++) {
		struct sl_setting s;
		bool dup = false;

		if (sl_experiment_setting(e, c, &s, msg, sizeof(msg)) < 0)
			continue;
		snprintf(key, sizeof(key), "%s/%d/%s", s.affinity, s.processes, s.mem_policy);
		for (int i = 0; i < nseen && !dup; i++)
			dup = strcmp(seen[i], key) == 0;
		if (dup)
			continue;
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", key);
		json_array_append_new(plans, sl_placement_plan_json(&s));
	}
	json_object_set_new(o, "plans", plans);
	return o;
}

/* meta.json of a new run: the machine, the build, the command line, the experiment. */
static json_t *new_meta(const struct sl_experiment *e, int argc, char **argv, bool quiet)
{
	json_t *meta = json_object(), *pre;
	char started[32];

	iso_time(started, sizeof(started));
	json_object_set_new(meta, "schema_version", json_integer(SL_META_SCHEMA));
	json_object_set_new(meta, "speedlab_version", json_string(SL_VERSION));
	json_object_set_new(meta, "git_commit", json_string(SL_GIT_COMMIT));
	json_object_set_new(meta, "command_line", command_line(argc, argv));
	json_object_set_new(meta, "seed", json_integer((json_int_t)e->seed));
	json_object_set_new(meta, "start_time", json_string(started));
	json_object_set_new(meta, "status", json_string("running"));
	json_object_set_new(meta, "experiment", experiment_json(e));
	json_object_set_new(meta, "sysinfo", sl_sysinfo_from_child());
	json_object_set_new(meta, "fingerprint", json_string(sl_fingerprint()));
	json_object_set_new(meta, "placement", placement_json(e));
	pre = sl_preflight();
	if (pre) {
		if (!quiet)
			sl_preflight_warn(pre);
		json_object_set_new(meta, "preflight", pre);
	}
	return meta;
}

/* A run killed before its meta.json was whole: describe this machine again (the run resumes here),
 * keep whatever the old file still had, and say so. Takes over old (may be NULL). */
static json_t *repair_meta(json_t *old, const struct sl_experiment *e, const char *dir, int argc, char **argv)
{
	json_t *meta = new_meta(e, argc, argv, true);
	char now[32];

	if (old && json_is_object(old))
		json_object_update(meta, old);
	json_decref(old);
	iso_time(now, sizeof(now));
	json_object_set_new(meta, "meta_repaired", json_string(now));
	sl_warn("%s: meta.json was missing or incomplete (a run killed at its start): rebuilt from this machine", dir);
	return meta;
}

/* Remove the temporary files (NAME.tmp.PID) that writers killed mid-write left, in dir and dir/plots. */
static void remove_stale_temps(const char *dir)
{
	const char *subs[] = { "", "/plots" };

	for (size_t k = 0; k < sizeof(subs) / sizeof(subs[0]); k++) {
		char d[PATH_MAX];
		struct dirent *de;
		DIR *dh;

		snprintf(d, sizeof(d), "%s%s", dir, subs[k]);
		dh = opendir(d);
		if (!dh)
			continue;
		while ((de = readdir(dh))) {
			const char *t = strstr(de->d_name, ".tmp.");
			long pid;

			/* only a writer that is gone: a live one is still writing */
			if (!t || !sl_parse_long(t + 5, &pid) || pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
				continue;
			unlinkat(dirfd(dh), de->d_name, 0);
		}
		closedir(dh);
	}
}

static void label(const struct sl_setting *s, char *buf, size_t len)
{
	snprintf(buf, len, "P=%d %s %s chunk=%d threads=%s", s->processes, s->start_method, s->dispatch, s->chunksize,
		 s->threads_text);
}

/* The label with the workload parameters that vary (cmd=... of several --cmd): what tells runs apart. */
static void run_label(const struct sl_experiment *e, const struct sl_setting *s, char *buf, size_t len)
{
	label(s, buf, len);
	for (int i = 0; i < s->nparams; i++)
		for (int k = 0; k < e->naxes; k++) {
			size_t n = strlen(buf);

			if (e->axes[k].nvalues > 1 && strcmp(e->axes[k].name, s->params[i].name) == 0 && n + 2 < len)
				snprintf(buf + n, len - n, " %s=%s", s->params[i].name, s->params[i].text);
		}
}

/* Configurations whose every round runs.csv already holds (a resumed run). */
static long configs_complete(const unsigned char *done, long nconfigs, int rounds)
{
	long n = 0;

	for (long c = 0; c < nconfigs; c++)
		n += rounds > 0 && done[c * (rounds + 1) + rounds - 1];
	return n;
}

static bool status_bad(const char *status)
{
	return strncmp(status, "crash", 5) == 0 || strcmp(status, "hang") == 0 || strncmp(status, "error", 5) == 0;
}

/* The command workload: the fixed cost of starting /bin/sh and waiting for it, into meta.json
 * (command_fixed_s), for the tables' warning on commands so short that it shows. */
static void record_command_cost(const struct sl_experiment *e, json_t *meta)
{
	double cost;

	if (strcmp(e->workload, "command") != 0)
		return;
	cost = sl_brief_shell_cost(7);
	if (!isnan(cost))
		json_object_set_new(meta, "command_fixed_s", json_real(cost));
}

int sl_cmd_run(int argc, char **argv)
{
	struct run_args a;
	struct sl_experiment *e;
	char dir[PATH_MAX], stamp[32] = "", path[PATH_MAX], started[32], msg[256];
	json_t *meta = NULL;
	FILE *runs = NULL, *samples = NULL;
	struct sl_setting *proto = NULL;
	unsigned char *done = NULL;
	int *order = NULL;
	long nconfigs, total = 0, finished = 0, ncomplete = 0;
	int rounds, rc, exit_code = SL_EXIT_OK, bad = 0;
	long measured = 0;             /* measured repetitions that ended ok */
	char (*first_bad)[SL_STATUS_LEN] = NULL;   /* per configuration: its first failed repetition's status */
	bool *config_ok = NULL;        /* per configuration: some measured repetition ended ok (or skipped) */
	struct sigaction old_sig[NSTOP + 1];
	bool caught = false;
	struct sl_repeats autorep = { 0 };   /* repeats = auto: who still needs repetitions */

	if (parse_args(argc, argv, &a) < 0)
		return SL_EXIT_USAGE;
	e = calloc(1, sizeof(*e));
	proto = calloc(1, sizeof(*proto));
	if (!e || !proto) {
		sl_err("run: out of memory");
		exit_code = SL_EXIT_USAGE;
		goto out_free;
	}

	/* the experiment: from the file, or (--resume) the effective one the run recorded */
	if (a.resume) {
		snprintf(path, sizeof(path), "%s/experiment.ini", a.resume);
		if (access(a.resume, F_OK) != 0) {
			sl_err_at(a.resume, 0, "no such result directory");
			exit_code = SL_EXIT_USAGE;
			goto out_free;
		}
		if (sl_experiment_load(e, path, "", NULL, 0) < 0) {
			exit_code = SL_EXIT_USAGE;
			goto out_free;
		}
		if (a.nsets || a.profile[0])
			sl_warn("--resume continues the recorded experiment; --set and --profile are ignored");
		snprintf(dir, sizeof(dir), "%s", a.resume);
	} else {
		if ((a.ncmds ? sl_cmdexp_load(e, a.cmds, a.ncmds, a.profile, a.sets, a.nsets)
			     : sl_experiment_load(e, a.exp, a.profile, a.sets, a.nsets)) < 0) {
			exit_code = SL_EXIT_USAGE;
			goto out_free;
		}
		if (a.seed_given)
			e->seed = a.seed;
		if (a.out)
			snprintf(dir, sizeof(dir), "%s", a.out);
		else
			default_dir(e, dir, sizeof(dir), stamp, sizeof(stamp));
		if (a.out && dir_holds_run(dir)) {
			sl_err_at(dir, 0, "already holds a run (use --resume %s to continue it, or another --out)", dir);
			exit_code = SL_EXIT_USAGE;
			goto out_free;
		}
	}
	nconfigs = sl_experiment_nconfigs(e);
	rounds = e->warmup + e->repeats;

	/* every configuration must resolve before anything runs */
	for (long c = 0; c < nconfigs; c++)
		if (sl_experiment_setting(e, c, proto, msg, sizeof(msg)) < 0) {
			sl_err_at(e->file, 0, "configuration %ld: %s", c, msg);
			exit_code = SL_EXIT_USAGE;
			goto out_free;
		}
	done = calloc((size_t)nconfigs * (size_t)(rounds + 1), 1);
	order = malloc((size_t)nconfigs * sizeof(*order));
	first_bad = calloc((size_t)nconfigs, sizeof(*first_bad));
	config_ok = calloc((size_t)nconfigs, sizeof(*config_ok));
	if (!done || !order || !first_bad || !config_ok) {
		sl_err("run: out of memory (%ld configurations)", nconfigs);
		exit_code = SL_EXIT_USAGE;
		goto out_free;
	}

	if (e->repeats_auto && sl_repeats_init(&autorep, e, nconfigs) < 0) {
		sl_err("run: out of memory (%ld configurations)", nconfigs);
		exit_code = SL_EXIT_USAGE;
		goto out_free;
	}

	/* from here on a signal stops the run cleanly, and every process it starts is contained (the
	 * keeper and the marks first, so the forkserver has them too) */
	interrupted = 0;
	signals_catch(old_sig);
	caught = true;
	sl_contain_begin();

	/* start methods first: the forkserver must start before any thread exists in this process */
	rc = sl_pool_prepare_all();
	if (rc < 0) {
		sl_err("run: cannot prepare the start methods: %s", sl_strerror(-rc));
		exit_code = SL_EXIT_USAGE;
		goto out_free;
	}

	rc = a.resume || a.out ? sl_mkdir_p(dir) : make_unique_dir(dir, sizeof(dir));
	if (rc < 0) {
		sl_err_at(dir, 0, "cannot create: %s", sl_strerror(-rc));
		exit_code = SL_EXIT_USAGE;
		goto out_finish;
	}
	rc = sl_dir_claim(dir);
	if (rc < 0 || (!a.resume && dir_holds_run(dir))) {
		if (rc == -EBUSY)
			sl_err_at(dir, 0, "another speedlab run is writing here (a result directory has one writer)");
		else if (rc < 0)
			sl_err_at(dir, 0, "cannot claim: %s", sl_strerror(-rc));
		else
			sl_err_at(dir, 0, "already holds a run (use --resume %s to continue it, or another --out)", dir);
		exit_code = SL_EXIT_USAGE;
		goto out_finish;
	}
	if (a.resume) {
		snprintf(path, sizeof(path), "%s/meta.json", dir);
		meta = sl_json_load(path, &(json_error_t){ 0 });
		if (!meta || !json_is_object(meta) || !json_is_string(json_object_get(meta, "fingerprint")))
			meta = repair_meta(meta, e, dir, argc, argv);
		remove_stale_temps(dir);
		if (load_done(dir, nconfigs, e->repeats, e->warmup, done) < 0) {
			exit_code = SL_EXIT_USAGE;
			goto out_finish;
		}
		snprintf(path, sizeof(path), "%s/runs.csv", dir);
		if (e->repeats_auto && access(path, F_OK) == 0 && sl_repeats_load(&autorep, path) < 0) {
			exit_code = SL_EXIT_USAGE;
			goto out_finish;
		}
		iso_time(started, sizeof(started));
		if (!json_is_array(json_object_get(meta, "resumed")))
			json_object_set_new(meta, "resumed", json_array());
		json_array_append_new(json_object_get(meta, "resumed"), json_string(started));
	} else {
		snprintf(path, sizeof(path), "%s/experiment.ini", dir);
		rc = sl_experiment_write(e, path);
		if (rc < 0) {
			sl_err_at(path, 0, "cannot write: %s", sl_strerror(-rc));
			exit_code = SL_EXIT_USAGE;
			goto out_finish;
		}
		meta = new_meta(e, argc, argv, a.quiet);
	}
	rc = write_json(dir, "meta.json", meta);
	if (rc < 0) {
		sl_err_at(dir, 0, "cannot write meta.json: %s", sl_strerror(-rc));
		exit_code = SL_EXIT_USAGE;
		goto out_finish;
	}
	if (!a.resume && !a.out)
		update_latest(dir);

	sl_experiment_setting(e, 0, proto, msg, sizeof(msg));
	runs = sl_runs_open(dir, proto);
	if (!runs) {
		sl_err_at(dir, 0, "cannot open runs.csv: %s", sl_strerror(errno));
		exit_code = SL_EXIT_USAGE;
		goto out_finish;
	}
	snprintf(path, sizeof(path), "%s/samples.csv", dir);
	{
		struct stat st;
		bool fresh = lstat(path, &st) != 0;

		samples = sl_fopen_output(path, true);   /* never through a link */
		if (!samples)
			sl_warn("%s: %s: no utilisation samples are kept", path, sl_strerror(errno));
		if (samples && fresh)
			fprintf(samples, "%s\n", sl_monitor_samples_header());
	}

	/* coordinator_cpus: the coordinator (and the monitor's thread) away from the workers */
	if (e->coordinator_cpus[0] && sl_placement_pin_self(e->coordinator_cpus, msg, sizeof(msg)) < 0) {
		sl_err_at(e->file, 0, "%s", msg);
		exit_code = SL_EXIT_USAGE;
		goto out_finish;
	}

	for (int r = 0; r < rounds; r++)
		for (long c = 0; c < nconfigs; c++)
			total += !done[c * (rounds + 1) + r];
	if (!a.quiet && e->repeats_auto)
		fprintf(stderr, "speedlab: %s: %ld configuration(s) x (%d warm-up + %d to %d repetitions, until the median's "
			"95%% CI is within %g%% of %s), at most %ld run(s) to go -> %s\n", e->name, nconfigs, e->warmup,
			e->min_repeats, e->max_repeats, e->precision_pct, e->precision_metric, total, dir);
	else if (!a.quiet)
		fprintf(stderr, "speedlab: %s: %ld configuration(s) x (%d warm-up + %d repetition(s)), %ld run(s) to go -> %s\n",
			e->name, nconfigs, e->warmup, e->repeats, total, dir);
	sl_progress_start(total, a.quiet);
	sl_progress_name(e->name);
	ncomplete = configs_complete(done, nconfigs, rounds);

	/* interleaved rounds: every configuration once per round, in a fresh seeded order each round */
	for (int r = 0; r < rounds && !interrupted; r++) {
		int rep = r < e->warmup ? r - e->warmup : r - e->warmup + 1;
		static struct sl_experiment round_e;   /* only its seed is read: 2.5 MB kept off the stack */

		if (e->repeats_auto && rep > e->min_repeats) {
			long wanted = 0;

			for (long c = 0; c < nconfigs; c++)
				wanted += !done[c * (rounds + 1) + r] && sl_repeats_wanted(&autorep, c, rep);
			if (!wanted)
				continue;   /* every configuration is precise enough (or done before a --resume) */
		}
		round_e.seed = e->seed + (unsigned long long)r * 0x9e3779b97f4a7c15ULL;
		sl_experiment_order(&round_e, order, nconfigs);
		for (long k = 0; k < nconfigs && !interrupted; k++) {
			long c = order[k];
			struct sl_setting s;
			struct sl_metrics m;
			struct sl_run_opts o = { .sample_hz = e->sample_hz, .samples = samples, .rep = rep,
						 .interrupted = &interrupted };
			char why[200], lab[256];
			bool skip;
			long oom_before = sl_oom_kills();

			if (done[c * (rounds + 1) + r])
				continue;
			if (e->repeats_auto && rep > 0 && !sl_repeats_wanted(&autorep, c, rep))
				continue;   /* precise enough already */
			sl_experiment_setting(e, c, &s, msg, sizeof(msg));
			sl_metrics_clear(&m);
			run_label(e, &s, lab, sizeof(lab));
			skip = skip_reason(e, &s, why, sizeof(why));
			if (!skip)
				sl_progress_begin(finished, rep, lab);
			if (skip) {
				if (rep < 0) {          /* nothing to warm up */
					finished++;
					sl_progress_step(finished, rep, lab);
					continue;
				}
				snprintf(m.status, sizeof(m.status), "skipped:%s", why);
			} else if (e->wl->run_whole && (rc = e->wl->run_whole(&s, &o, &m)) != SL_RUN_WHOLE_USE_POOL) {
				if (rc == -EINTR || interrupted)
					break;
				/* a failure the workload did not describe still must not read "ok" */
				if (rc < 0 && (!m.status[0] || strcmp(m.status, "ok") == 0))
					snprintf(m.status, sizeof(m.status), "error:%s", sl_strerror(-rc));
			} else {
				rc = sl_pool_run(&s, e->wl, &o, &m);
				if (rc == -EINTR || interrupted)
					break;
				if (rc < 0)
					snprintf(m.status, sizeof(m.status), "error:%s", sl_strerror(-rc));
			}
			sl_contain_sweep();      /* what the run left running (a command's setsid children...) */
			sl_oom_note(m.status, sizeof(m.status), oom_before);
			if (interrupted)
				break;
			rc = sl_runs_append(runs, &s, rep, &m);
			if (rc < 0) {
				sl_err_at(dir, 0, "cannot append to runs.csv: %s", sl_strerror(-rc));
				exit_code = SL_EXIT_USAGE;
				goto out_restore;
			}
			if (samples)
				fflush(samples);
			if (rep > 0 && !status_bad(m.status)) {
				config_ok[c] = true;
				measured += strcmp(m.status, "ok") == 0;
			}
			if (rep > 0 && status_bad(m.status) && !first_bad[c][0])
				snprintf(first_bad[c], SL_STATUS_LEN, "%s", m.status);
			if (e->repeats_auto && rep > 0)
				sl_repeats_add(&autorep, c, &m);
			if (rep > 0 && status_bad(m.status)) {
				bad++;
				if (!a.quiet) {
					sl_progress_clear();
					sl_warn("%s: %s", lab, m.status);
				}
			}
			finished++;
			sl_progress_step(finished, rep, lab);
			if (r == rounds - 1)
				sl_progress_config_done(++ncomplete, nconfigs, lab);
		}
	}
	sl_progress_end();
	/* a configuration none of whose repetitions was measured says so, with its first failure */
	for (long c = 0; c < nconfigs && !interrupted; c++)
		if (!config_ok[c] && first_bad[c][0]) {
			struct sl_setting s;
			char lab[128];

			sl_experiment_setting(e, c, &s, msg, sizeof(msg));
			label(&s, lab, sizeof(lab));
			sl_err("%s: every repetition failed; the first: %s", lab, first_bad[c]);
		}

out_restore:
	sl_progress_end();      /* again after a failed append: stops the ticker; a no-op otherwise */
	/* the handlers stay: a Ctrl-C now must not lose the summary */
	{
		char ended[32];

		iso_time(ended, sizeof(ended));
		json_object_set_new(meta, "end_time", json_string(ended));
		json_object_set_new(meta, "status", json_string(interrupted ? "interrupted" : "complete"));
		json_object_set_new(meta, "runs_done", json_integer(finished));
		json_object_set_new(meta, "runs_failed", json_integer(bad));
		if (!interrupted)
			record_command_cost(e, meta);
		if (e->repeats_auto)
			json_object_set_new(meta, "repeats_auto", sl_repeats_json(&autorep));
		if (sl_forkserver_restarts() > 0)
			json_object_set_new(meta, "forkserver_restarts", json_integer(sl_forkserver_restarts()));
		write_json(dir, "meta.json", meta);
	}
	if (runs) {
		fclose(runs);
		runs = NULL;
	}
	if (samples) {
		fclose(samples);
		samples = NULL;
	}
	rc = sl_summary_write(dir);
	if (rc < 0)
		sl_warn("%s: no summary written (%s): 'speedlab run --resume %s' writes it", dir, sl_strerror(-rc), dir);
	if (interrupted) {
		sl_err("interrupted by SIG%s: %ld run(s) kept in %s (continue with: speedlab run --resume %s)",
		       sigabbrev_np(interrupted), finished, dir, dir);
		exit_code = 128 + interrupted;
	} else if (exit_code == SL_EXIT_OK) {
		if (!a.quiet) {
			snprintf(path, sizeof(path), "%s/tables.md", dir);
			{
				char *t = sl_read_file(path, NULL);

				if (t) {
					fputs(t, stdout);
					free(t);
				}
			}
		}
		printf("results: %s\n", dir);
		if (bad && a.strict)
			exit_code = SL_EXIT_FINDING;
		/* runs failed and none was measured: nothing to show for it */
		if (bad && !measured) {
			sl_err("%s: no repetition was measured (%d failed): see the status column of %s/runs.csv",
			       e->name, bad, dir);
			exit_code = SL_EXIT_FINDING;
		}
	}
	/* a closed standard output (`| head`) lost only what was printed: said once, in the exit code */
	if ((fflush(stdout) != 0 || ferror(stdout)) && exit_code == SL_EXIT_OK) {
		sl_err("standard output: %s (the results are complete in %s)", sl_strerror(errno ? errno : EIO), dir);
		exit_code = SL_EXIT_USAGE;
	}

out_finish:
	sl_pool_finish_all();
	sl_contain_end();
	if (caught)
		signals_restore(old_sig);
out_free:
	if (runs)
		fclose(runs);
	if (samples)
		fclose(samples);
	json_decref(meta);
	sl_repeats_free(&autorep);
	free(order);
	free(done);
	free(first_bad);
	free(config_ok);
	free(proto);
	free(e);
	return exit_code;
}
