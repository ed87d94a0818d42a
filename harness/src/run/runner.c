/* runner.c: runs an experiment: expands it, runs every configuration in a seeded interleaved order
 * through the run engine (engine.c), and writes the result directory incrementally and crash-safely. */
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

#include "core/csv.h"
#include "core/launcher.h"
#include "experiment/cmdexp.h"
#include "experiment/experiment.h"
#include "monitor/metrics.h"
#include "monitor/monitor.h"
#include "pool/contain.h"
#include "pool/pool.h"
#include "results/results.h"
#include "run/engine.h"
#include "run/progress.h"
#include "run/repeats.h"
#include "run/runner.h"
#include "sys/placement.h"
#include "sys/preflight.h"
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


/* One run of an experiment while it goes. */
struct runner {
	const struct sl_run_request *r;
	struct sl_run_outcome *out;
	struct sl_experiment *e;
	struct sl_setting *proto;
	json_t *meta;
	FILE *runs, *samples;
	unsigned char *done;           /* per (configuration, round): runs.csv holds it */
	int *order;
	long nconfigs, total, ncomplete;
	int rounds;
	char (*first_bad)[SL_STATUS_LEN];   /* per configuration: its first failed repetition's status */
	bool *config_ok;               /* per configuration: some measured repetition ended ok (or skipped) */
	struct sl_repeats autorep;     /* repeats = auto: who still needs repetitions */
};

/* The experiment: from the file or --cmd, or (--resume) the effective one the run recorded; and the
 * directory it goes to. Returns an exit code. */
static int runner_load(struct runner *R)
{
	const struct sl_run_request *r = R->r;
	char *dir = R->out->dir, path[PATH_MAX], stamp[32] = "";
	size_t dlen = sizeof(R->out->dir);

	if (r->resume) {
		snprintf(path, sizeof(path), "%s/experiment.ini", r->resume);
		if (access(r->resume, F_OK) != 0) {
			sl_err_at(r->resume, 0, "no such result directory");
			return SL_EXIT_USAGE;
		}
		if (sl_experiment_load(R->e, path, "", NULL, 0) < 0)
			return SL_EXIT_USAGE;
		if (r->nsets || r->profile[0])
			sl_warn("--resume continues the recorded experiment; --set and --profile are ignored");
		snprintf(dir, dlen, "%s", r->resume);
		return SL_EXIT_OK;
	}
	if ((r->ncmds ? sl_cmdexp_load(R->e, r->cmds, r->ncmds, r->profile, r->sets, r->nsets)
		      : sl_experiment_load(R->e, r->exp, r->profile, r->sets, r->nsets)) < 0)
		return SL_EXIT_USAGE;
	if (r->seed_given)
		R->e->seed = r->seed;
	if (r->out)
		snprintf(dir, dlen, "%s", r->out);
	else
		default_dir(R->e, dir, dlen, stamp, sizeof(stamp));
	if (r->out && dir_holds_run(dir)) {
		sl_err_at(dir, 0, "already holds a run (use --resume %s to continue it, or another --out)", dir);
		return SL_EXIT_USAGE;
	}
	return SL_EXIT_OK;
}

/* Every configuration must resolve before anything runs; the run's bookkeeping. Returns an exit code. */
static int runner_alloc(struct runner *R)
{
	char msg[256];

	R->nconfigs = sl_experiment_nconfigs(R->e);
	R->rounds = R->e->warmup + R->e->repeats;
	for (long c = 0; c < R->nconfigs; c++)
		if (sl_experiment_setting(R->e, c, R->proto, msg, sizeof(msg)) < 0) {
			sl_err_at(R->e->file, 0, "configuration %ld: %s", c, msg);
			return SL_EXIT_USAGE;
		}
	R->done = calloc((size_t)R->nconfigs * (size_t)(R->rounds + 1), 1);
	R->order = malloc((size_t)R->nconfigs * sizeof(*R->order));
	R->first_bad = calloc((size_t)R->nconfigs, sizeof(*R->first_bad));
	R->config_ok = calloc((size_t)R->nconfigs, sizeof(*R->config_ok));
	if (!R->done || !R->order || !R->first_bad || !R->config_ok ||
	    (R->e->repeats_auto && sl_repeats_init(&R->autorep, R->e, R->nconfigs) < 0)) {
		sl_err("run: out of memory (%ld configurations)", R->nconfigs);
		return SL_EXIT_USAGE;
	}
	return SL_EXIT_OK;
}

/* The result directory: made (or claimed, resumed), experiment.ini and meta.json written. Returns an
 * exit code. */
static int runner_open_dir(struct runner *R)
{
	const struct sl_run_request *r = R->r;
	char *dir = R->out->dir, path[PATH_MAX], started[32];
	int rc = r->resume || r->out ? sl_mkdir_p(dir) : make_unique_dir(dir, sizeof(R->out->dir));

	if (rc < 0) {
		sl_err_at(dir, 0, "cannot create: %s", sl_strerror(-rc));
		return SL_EXIT_USAGE;
	}
	rc = sl_dir_claim(dir);
	if (rc < 0 || (!r->resume && dir_holds_run(dir))) {
		if (rc == -EBUSY)
			sl_err_at(dir, 0, "another speedlab run is writing here (a result directory has one writer)");
		else if (rc < 0)
			sl_err_at(dir, 0, "cannot claim: %s", sl_strerror(-rc));
		else
			sl_err_at(dir, 0, "already holds a run (use --resume %s to continue it, or another --out)", dir);
		return SL_EXIT_USAGE;
	}
	if (r->resume) {
		snprintf(path, sizeof(path), "%s/meta.json", dir);
		R->meta = sl_json_load(path, &(json_error_t){ 0 });
		if (!R->meta || !json_is_object(R->meta) || !json_is_string(json_object_get(R->meta, "fingerprint")))
			R->meta = repair_meta(R->meta, R->e, dir, r->argc, r->argv);
		remove_stale_temps(dir);
		if (load_done(dir, R->nconfigs, R->e->repeats, R->e->warmup, R->done) < 0)
			return SL_EXIT_USAGE;
		snprintf(path, sizeof(path), "%s/runs.csv", dir);
		if (R->e->repeats_auto && access(path, F_OK) == 0 && sl_repeats_load(&R->autorep, path) < 0)
			return SL_EXIT_USAGE;
		iso_time(started, sizeof(started));
		if (!json_is_array(json_object_get(R->meta, "resumed")))
			json_object_set_new(R->meta, "resumed", json_array());
		json_array_append_new(json_object_get(R->meta, "resumed"), json_string(started));
	} else {
		snprintf(path, sizeof(path), "%s/experiment.ini", dir);
		rc = sl_experiment_write(R->e, path);
		if (rc < 0) {
			sl_err_at(path, 0, "cannot write: %s", sl_strerror(-rc));
			return SL_EXIT_USAGE;
		}
		R->meta = new_meta(R->e, r->argc, r->argv, r->quiet);
	}
	rc = write_json(dir, "meta.json", R->meta);
	if (rc < 0) {
		sl_err_at(dir, 0, "cannot write meta.json: %s", sl_strerror(-rc));
		return SL_EXIT_USAGE;
	}
	if (!r->resume && !r->out)
		update_latest(dir);
	return SL_EXIT_OK;
}

/* runs.csv and samples.csv opened for appending; the coordinator pinned. Returns an exit code. */
static int runner_open_outputs(struct runner *R)
{
	const char *dir = R->out->dir;
	char path[PATH_MAX], msg[256];
	struct stat st;
	bool fresh;

	sl_experiment_setting(R->e, 0, R->proto, msg, sizeof(msg));
	R->runs = sl_runs_open(dir, R->proto);
	if (!R->runs) {
		sl_err_at(dir, 0, "cannot open runs.csv: %s", sl_strerror(errno));
		return SL_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "%s/samples.csv", dir);
	fresh = lstat(path, &st) != 0;
	R->samples = sl_fopen_output(path, true);   /* never through a link */
	if (!R->samples)
		sl_warn("%s: %s: no utilisation samples are kept", path, sl_strerror(errno));
	if (R->samples && fresh)
		fprintf(R->samples, "%s\n", sl_monitor_samples_header());
	/* coordinator_cpus: the coordinator (and the monitor's thread) away from the workers */
	if (R->e->coordinator_cpus[0] && sl_placement_pin_self(R->e->coordinator_cpus, msg, sizeof(msg)) < 0) {
		sl_err_at(R->e->file, 0, "%s", msg);
		return SL_EXIT_USAGE;
	}
	return SL_EXIT_OK;
}

/* How many repetitions are left; said on stderr; the progress line started. */
static void runner_announce(struct runner *R)
{
	const struct sl_experiment *e = R->e;

	for (int r = 0; r < R->rounds; r++)
		for (long c = 0; c < R->nconfigs; c++)
			R->total += !R->done[c * (R->rounds + 1) + r];
	if (!R->r->quiet && e->repeats_auto)
		fprintf(stderr, "speedlab: %s: %ld configuration(s) x (%d warm-up + %d to %d repetitions, until the median's "
			"95%% CI is within %g%% of %s), at most %ld run(s) to go -> %s\n", e->name, R->nconfigs, e->warmup,
			e->min_repeats, e->max_repeats, e->precision_pct, e->precision_metric, R->total, R->out->dir);
	else if (!R->r->quiet)
		fprintf(stderr, "speedlab: %s: %ld configuration(s) x (%d warm-up + %d repetition(s)), %ld run(s) to go -> %s\n",
			e->name, R->nconfigs, e->warmup, e->repeats, R->total, R->out->dir);
	sl_progress_start(R->total, R->r->quiet);
	sl_progress_name(e->name);
	R->ncomplete = configs_complete(R->done, R->nconfigs, R->rounds);
}

/* What one measured repetition's status tells: the configuration measured, its first failure. */
static void runner_account(struct runner *R, long c, int rep, const struct sl_metrics *m, const char *lab)
{
	bool failed = sl_status_failed(m->status);

	if (rep > 0 && !failed) {
		R->config_ok[c] = true;
		R->out->measured += strcmp(m->status, "ok") == 0;
	}
	if (rep > 0 && failed && !R->first_bad[c][0])
		snprintf(R->first_bad[c], SL_STATUS_LEN, "%s", m->status);
	if (R->e->repeats_auto && rep > 0)
		sl_repeats_add(&R->autorep, c, m);
	if (rep > 0 && failed) {
		R->out->bad++;
		if (!R->r->quiet) {
			sl_progress_clear();
			sl_warn("%s: %s", lab, m->status);
		}
	}
}

/* Configuration c in round r (repetition rep) through the run engine, appended to runs.csv.
 * 0: go on; 1: interrupted; -1: runs.csv could not be written (said). */
static int runner_config(struct runner *R, long c, int r, int rep)
{
	struct sl_setting s;
	struct sl_metrics m;
	struct sl_run_opts o = { .sample_hz = R->e->sample_hz, .samples = R->samples, .rep = rep,
				 .interrupted = &interrupted };
	char why[200], lab[256], msg[256];
	long oom_before = sl_oom_kills();
	int rc;

	if (R->done[c * (R->rounds + 1) + r])
		return 0;
	if (R->e->repeats_auto && rep > 0 && !sl_repeats_wanted(&R->autorep, c, rep))
		return 0;   /* precise enough already */
	sl_experiment_setting(R->e, c, &s, msg, sizeof(msg));
	run_label(R->e, &s, lab, sizeof(lab));
	if (!sl_run_skip(R->e->wl, &s, why, sizeof(why)))
		sl_progress_begin(R->out->finished, rep, lab);
	else if (rep < 0) {          /* nothing to warm up */
		R->out->finished++;
		sl_progress_step(R->out->finished, rep, lab);
		return 0;
	}
	rc = sl_run_one(&s, R->e->wl, &o, &m);
	if (rc == -EINTR || interrupted)
		return 1;
	sl_contain_sweep();      /* what the run left running (a command's setsid children...) */
	sl_oom_note(m.status, sizeof(m.status), oom_before);
	if (interrupted)
		return 1;
	rc = sl_runs_append(R->runs, &s, rep, &m);
	if (rc < 0) {
		sl_err_at(R->out->dir, 0, "cannot append to runs.csv: %s", sl_strerror(-rc));
		return -1;
	}
	if (R->samples)
		fflush(R->samples);
	runner_account(R, c, rep, &m, lab);
	R->out->finished++;
	sl_progress_step(R->out->finished, rep, lab);
	if (r == R->rounds - 1)
		sl_progress_config_done(++R->ncomplete, R->nconfigs, lab);
	return 0;
}

/* Interleaved rounds: every configuration once per round, in a fresh seeded order each round.
 * 0, or -1 when runs.csv could not be written. */
static int runner_rounds(struct runner *R)
{
	const struct sl_experiment *e = R->e;

	for (int r = 0; r < R->rounds && !interrupted; r++) {
		int rep = r < e->warmup ? r - e->warmup : r - e->warmup + 1;
		static struct sl_experiment round_e;   /* only its seed is read: 2.5 MB kept off the stack */

		if (e->repeats_auto && rep > e->min_repeats) {
			long wanted = 0;

			for (long c = 0; c < R->nconfigs; c++)
				wanted += !R->done[c * (R->rounds + 1) + r] && sl_repeats_wanted(&R->autorep, c, rep);
			if (!wanted)
				continue;   /* every configuration is precise enough (or done before a --resume) */
		}
		round_e.seed = e->seed + (unsigned long long)r * 0x9e3779b97f4a7c15ULL;
		sl_experiment_order(&round_e, R->order, R->nconfigs);
		for (long k = 0; k < R->nconfigs && !interrupted; k++) {
			int rc = runner_config(R, R->order[k], r, rep);

			if (rc < 0)
				return -1;
			if (rc > 0)
				break;
		}
	}
	sl_progress_end();
	/* a configuration none of whose repetitions was measured says so, with its first failure */
	for (long c = 0; c < R->nconfigs && !interrupted; c++)
		if (!R->config_ok[c] && R->first_bad[c][0]) {
			struct sl_setting s;
			char lab[128], msg[256];

			sl_experiment_setting(e, c, &s, msg, sizeof(msg));
			label(&s, lab, sizeof(lab));
			sl_err("%s: every repetition failed; the first: %s", lab, R->first_bad[c]);
		}
	return 0;
}

/* The end of the run into meta.json; runs.csv and samples.csv closed; the summary written. */
static void runner_close(struct runner *R)
{
	const char *dir = R->out->dir;
	char ended[32];
	int rc;

	sl_progress_end();      /* again after a failed append: stops the ticker; a no-op otherwise */
	/* the handlers stay: a Ctrl-C now must not lose the summary */
	iso_time(ended, sizeof(ended));
	json_object_set_new(R->meta, "end_time", json_string(ended));
	json_object_set_new(R->meta, "status", json_string(interrupted ? "interrupted" : "complete"));
	json_object_set_new(R->meta, "runs_done", json_integer(R->out->finished));
	json_object_set_new(R->meta, "runs_failed", json_integer(R->out->bad));
	if (!interrupted && (R->e->wl->engine_flags & SL_WL_SHELL_COMMAND) && R->r->command_cost) {
		/* the fixed cost of starting /bin/sh and waiting for it, for the tables' warning on
		 * commands so short that it shows */
		double cost = R->r->command_cost();

		if (!isnan(cost))
			json_object_set_new(R->meta, "command_fixed_s", json_real(cost));
	}
	if (R->e->repeats_auto)
		json_object_set_new(R->meta, "repeats_auto", sl_repeats_json(&R->autorep));
	if (sl_forkserver_restarts() > 0)
		json_object_set_new(R->meta, "forkserver_restarts", json_integer(sl_forkserver_restarts()));
	write_json(dir, "meta.json", R->meta);
	fclose(R->runs);
	R->runs = NULL;
	if (R->samples) {
		fclose(R->samples);
		R->samples = NULL;
	}
	rc = sl_summary_write(dir);
	if (rc < 0)
		sl_warn("%s: no summary written (%s): 'speedlab run --resume %s' writes it", dir, sl_strerror(-rc), dir);
}

/* Everything up to the rounds: the experiment, the directory, the outputs. Returns an exit code. */
static int runner_open(struct runner *R)
{
	int rc = runner_load(R);

	if (rc == SL_EXIT_OK)
		rc = runner_alloc(R);
	if (rc != SL_EXIT_OK)
		return rc;
	snprintf(R->out->name, sizeof(R->out->name), "%s", R->e->name);
	/* from here on a signal stops the run cleanly, and every process it starts is contained (the
	 * keeper and the marks first, so the forkserver has them too) */
	interrupted = 0;
	signals_catch(R->out->old_sig);
	R->out->caught = true;
	sl_contain_begin();
	/* start methods first: the forkserver must start before any thread exists in this process */
	rc = sl_pool_prepare_all();
	R->out->prepared = true;
	if (rc < 0) {
		sl_err("run: cannot prepare the start methods: %s", sl_strerror(-rc));
		return SL_EXIT_USAGE;
	}
	rc = runner_open_dir(R);
	if (rc == SL_EXIT_OK)
		rc = runner_open_outputs(R);
	return rc;
}

int sl_run_experiment(const struct sl_run_request *r, struct sl_run_outcome *out)
{
	struct runner R = { .r = r, .out = out };
	int exit_code;

	memset(out, 0, sizeof(*out));
	R.e = calloc(1, sizeof(*R.e));
	R.proto = calloc(1, sizeof(*R.proto));
	if (!R.e || !R.proto) {
		sl_err("run: out of memory");
		exit_code = SL_EXIT_USAGE;
		goto out_free;
	}
	exit_code = runner_open(&R);
	if (exit_code != SL_EXIT_OK)
		goto out_free;
	runner_announce(&R);
	out->ran = true;
	if (runner_rounds(&R) < 0)
		exit_code = SL_EXIT_USAGE;
	runner_close(&R);
	out->interrupted = interrupted;
out_free:
	if (R.runs)
		fclose(R.runs);
	if (R.samples)
		fclose(R.samples);
	json_decref(R.meta);
	sl_repeats_free(&R.autorep);
	free(R.order);
	free(R.done);
	free(R.first_bad);
	free(R.config_ok);
	free(R.proto);
	free(R.e);
	return exit_code;
}

void sl_run_release(struct sl_run_outcome *out)
{
	if (out->prepared)
		sl_pool_finish_all();
	if (out->caught) {
		sl_contain_end();
		signals_restore(out->old_sig);
	}
	out->prepared = out->caught = false;
}
