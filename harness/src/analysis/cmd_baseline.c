/* cmd_baseline.c: `speedlab baseline save DIR` stores a run as the CI baseline of its machine and
 * experiment, results/baselines/<fingerprint>/<experiment>/; `speedlab baseline path DIR` prints
 * where that is; `speedlab baseline calibrate A1 B1 A2 B2 ...` measures the noise of pairs of
 * identical runs and stores per-metric thresholds with that baseline (calibration.ini, which
 * compare reads and a later save keeps). results/ is found in the current directory (the repository root), or is
 * $SPEEDLAB_RESULTS. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cmd.h"
#include "core/opts.h"
#include "analysis/compare.h"
#include "core/speedlab.h"

/* The files a baseline keeps; the first two are required. */
static const char *const baseline_files[] = { "meta.json", "runs.csv", "experiment.ini", "summary.csv", NULL };

/* results/ (or $SPEEDLAB_RESULTS) into out. 0, or -ENOENT with the message printed. */
static int results_root(char *out, size_t outlen)
{
	const char *env = getenv("SPEEDLAB_RESULTS");
	struct stat st;

	if (env && env[0]) {
		snprintf(out, outlen, "%s", env);
		return 0;
	}
	if (stat("results", &st) < 0 || !S_ISDIR(st.st_mode)) {
		sl_err("no results/ directory here: run from the repository root or set SPEEDLAB_RESULTS");
		return -ENOENT;
	}
	snprintf(out, outlen, "results");
	return 0;
}

/* Load and check dir (a baseline must be a readable run), and compute its baseline path. */
static int baseline_path(const char *dir, char *out, size_t outlen, struct sl_cmp_run *run)
{
	char root[PATH_MAX], fp[256], exp[SL_NAME_LEN];

	if (sl_cmp_run_load(dir, run) < 0)
		return -EINVAL;
	if (results_root(root, sizeof(root)) < 0) {
		sl_cmp_run_free(run);
		return -ENOENT;
	}
	sl_cmp_path_component(run->fingerprint, fp, sizeof(fp));
	sl_cmp_path_component(run->experiment, exp, sizeof(exp));
	if (snprintf(out, outlen, "%s/baselines/%s/%s", root, fp, exp) >= (int)outlen) {
		sl_err("%s: the baseline path is too long", root);
		sl_cmp_run_free(run);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* Copy one file; a missing optional source is fine (1). 0, 1, or -errno with the message printed. */
static int copy_file(const char *src, const char *dst, bool required)
{
	size_t len;
	char *data = sl_read_file(src, &len);
	int err;

	if (!data) {
		if (errno == ENOENT && !required)
			return 1;
		err = -errno;
		sl_err_at(src, 0, "cannot read: %s", sl_strerror(errno));
		return err;
	}
	err = sl_write_file_atomic(dst, data, len);
	free(data);
	if (err < 0)
		sl_err_at(dst, 0, "cannot write: %s", sl_strerror(-err));
	return err;
}

static int unlink_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Remove a directory tree we made (the previous baseline, or a half-made copy). */
static void remove_tree(const char *path)
{
	if (nftw(path, unlink_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		sl_warn("%s: cannot remove: %s", path, sl_strerror(errno));
}

static int fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		err = -errno;
	close(fd);
	return err;
}

static int baseline_save(const char *dir)
{
	struct sl_cmp_run run;
	char dest[PATH_MAX], tmp[PATH_MAX + 32], parent[PATH_MAX], src[PATH_MAX], dst[PATH_MAX + 64];
	struct stat st;
	bool replaced = false;
	int err;

	if (baseline_path(dir, dest, sizeof(dest), &run) < 0)
		return SL_EXIT_USAGE;
	snprintf(parent, sizeof(parent), "%s", dest);
	*strrchr(parent, '/') = '\0';
	err = sl_mkdir_p(parent);
	if (err < 0) {
		sl_err_at(parent, 0, "cannot create: %s", sl_strerror(-err));
		goto out_free_run;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", dest, (int)getpid());
	remove_tree(tmp);
	if (mkdir(tmp, 0777) < 0) {
		err = -errno;
		sl_err_at(tmp, 0, "cannot create: %s", sl_strerror(errno));
		goto out_free_run;
	}
	/* the machine's calibration outlives the run it was stored with */
	snprintf(src, sizeof(src), "%s/calibration.ini", dest);
	snprintf(dst, sizeof(dst), "%s/calibration.ini", tmp);
	err = copy_file(src, dst, false);
	if (err < 0)
		goto out_remove_tmp;
	for (int i = 0; baseline_files[i]; i++) {
		snprintf(src, sizeof(src), "%s/%s", dir, baseline_files[i]);
		snprintf(dst, sizeof(dst), "%s/%s", tmp, baseline_files[i]);
		err = copy_file(src, dst, i < 2);
		if (err < 0)
			goto out_remove_tmp;
	}
	/* Swap the new copy in: one atomic exchange when a baseline exists, else a rename. */
	if (stat(dest, &st) == 0) {
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_EXCHANGE) < 0) {
			char old[PATH_MAX + 32];

			/* file systems without RENAME_EXCHANGE: move the old one aside first */
			snprintf(old, sizeof(old), "%s.old.%d", dest, (int)getpid());
			if (rename(dest, old) < 0 || rename(tmp, dest) < 0) {
				err = -errno;
				sl_err_at(dest, 0, "cannot replace: %s", sl_strerror(errno));
				if (stat(dest, &st) < 0)
					(void)rename(old, dest);
				goto out_remove_tmp;
			}
			remove_tree(old);
		} else {
			remove_tree(tmp);   /* now the previous baseline */
		}
		replaced = true;
	} else if (rename(tmp, dest) < 0) {
		err = -errno;
		sl_err_at(dest, 0, "cannot create: %s", sl_strerror(errno));
		goto out_remove_tmp;
	}
	(void)fsync_dir(parent);
	printf("%s baseline of experiment '%s' on machine '%s': %s\n", replaced ? "replaced the" : "saved the",
	       run.experiment, run.fingerprint, dest);
	sl_cmp_run_free(&run);
	return SL_EXIT_OK;

out_remove_tmp:
	remove_tree(tmp);
out_free_run:
	sl_cmp_run_free(&run);
	return SL_EXIT_USAGE;
}

/* Thresholds from pairs of identical runs, stored with the baseline of the first. */
static int baseline_calibrate(char **dirs, int n)
{
	struct sl_cmp_run *runs = calloc((size_t)n, sizeof(*runs));
	struct sl_cmp_options o, out;
	char dest[PATH_MAX], ini[PATH_MAX + 32], *text = NULL;
	size_t len = 0;
	int rc = SL_EXIT_USAGE, loaded = 0, pairs;
	FILE *f = NULL;

	if (!runs) {
		sl_err("baseline calibrate: out of memory");
		return SL_EXIT_USAGE;
	}
	for (; loaded < n; loaded++)
		if (sl_cmp_run_load(dirs[loaded], &runs[loaded]) < 0)
			goto out_free;
	sl_cmp_run_free(&runs[0]);
	if (baseline_path(dirs[0], dest, sizeof(dest), &runs[0]) < 0) {
		loaded = 0;
		goto out_free;
	}
	if (access(dest, F_OK) != 0) {
		sl_err_at(dest, 0, "no baseline to calibrate: save one first (speedlab baseline save %s)", dirs[0]);
		goto out_free;
	}
	sl_cmp_options_init(&o);
	snprintf(ini, sizeof(ini), "%s/experiment.ini", dirs[0]);
	if (sl_cmp_thresholds_load(&o, ini) < 0)
		goto out_free;
	f = open_memstream(&text, &len);
	if (!f)
		goto out_free;
	pairs = sl_cmp_calibrate(runs, (size_t)n, &o, &out, f);
	if (fclose(f) != 0 || pairs < 0)
		goto out_free;
	snprintf(ini, sizeof(ini), "%s/calibration.ini", dest);
	if (sl_write_file_atomic(ini, text, len) < 0) {
		sl_err_at(ini, 0, "cannot write: %s", strerror(errno));
		goto out_free;
	}
	fputs(text, stdout);
	printf("calibration of %d pair%s stored in %s\n", pairs, pairs == 1 ? "" : "s", ini);
	rc = SL_EXIT_OK;
out_free:
	free(text);
	for (int i = 0; i < loaded; i++)
		sl_cmp_run_free(&runs[i]);
	free(runs);
	return rc;
}

int sl_cmd_baseline(int argc, char **argv)
{
	struct sl_cmp_run run;
	char dest[PATH_MAX];
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));    /* pos[0] unused, as argv's */
	struct sl_opts o;
	int n = 1, rc;

	if (!pos) {
		sl_err("baseline: out of memory");
		return SL_EXIT_USAGE;
	}
	sl_opts_init(&o, "baseline", argc, argv, "", NULL);     /* no options: refuses any */
	while ((rc = sl_opts_next(&o)) == SL_OPT_ARG)
		pos[n++] = o.arg;
	if (rc != SL_OPT_END)
		rc = SL_EXIT_USAGE;
	else if (n >= 2 && strcmp(pos[1], "calibrate") == 0) {
		if (n < 4 || (n - 2) % 2) {
			sl_err("usage: speedlab baseline calibrate A1 B1 [A2 B2]... (pairs of identical runs)");
			rc = SL_EXIT_USAGE;
		} else {
			rc = baseline_calibrate(pos + 2, n - 2);
		}
	} else if (n != 3 || (strcmp(pos[1], "save") != 0 && strcmp(pos[1], "path") != 0)) {
		sl_err("usage: speedlab baseline save DIR | speedlab baseline path DIR | "
		       "speedlab baseline calibrate A1 B1 [A2 B2]...");
		rc = SL_EXIT_USAGE;
	} else if (strcmp(pos[1], "save") == 0) {
		rc = baseline_save(pos[2]);
	} else if (baseline_path(pos[2], dest, sizeof(dest), &run) < 0) {
		rc = SL_EXIT_USAGE;
	} else {
		sl_cmp_run_free(&run);
		printf("%s\n", dest);
		rc = SL_EXIT_OK;
	}
	free(pos);
	return rc;
}
