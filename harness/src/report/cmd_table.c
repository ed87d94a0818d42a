/* cmd_table.c: `speedlab table DIR`: the speedup tables of a result directory, in Markdown. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cmd.h"
#include "core/opts.h"
#include "results/results.h"
#include "report/tables.h"

/* True when summary.csv is missing or older than runs.csv. */
static bool summary_stale(const char *dir)
{
	char path[PATH_MAX];
	struct stat runs, sum;

	snprintf(path, sizeof(path), "%s/runs.csv", dir);
	if (stat(path, &runs) < 0)
		return false;   /* sl_result_load reports it */
	snprintf(path, sizeof(path), "%s/summary.csv", dir);
	if (stat(path, &sum) < 0)
		return true;
	if (sum.st_mtim.tv_sec != runs.st_mtim.tv_sec)
		return sum.st_mtim.tv_sec < runs.st_mtim.tv_sec;
	return sum.st_mtim.tv_nsec < runs.st_mtim.tv_nsec;
}

/* Replace r's summary with one computed in memory (a result directory we may not write to). */
static int summary_in_memory(const char *dir, struct sl_result *r)
{
	char name[PATH_MAX];
	char *text;
	size_t len;
	int err = sl_summary_text(dir, &text, &len);

	if (err < 0)
		return err;
	snprintf(name, sizeof(name), "%s/summary.csv", dir);
	sl_csv_free(&r->summary);
	err = sl_csv_parse(name, text, len, &r->summary, 0);
	free(text);
	return err;
}

/* The tables of one result directory on stdout. Returns an exit code. */
static int table_one(const char *dir)
{
	struct sl_result r;
	bool in_memory = false;
	int err;

	if (summary_stale(dir)) {
		if (access(dir, W_OK) < 0)
			in_memory = true;   /* a read-only copy: compute it, write nothing */
		else if (sl_summary_write(dir) < 0)
			return SL_EXIT_USAGE;
	}
	err = sl_result_load(dir, &r);
	if (err < 0)
		return SL_EXIT_USAGE;
	if (in_memory && summary_in_memory(dir, &r) < 0) {
		sl_result_free(&r);
		return SL_EXIT_USAGE;
	}
	err = sl_tables_markdown(&r, stdout);
	sl_result_free(&r);
	return err < 0 ? SL_EXIT_USAGE : SL_EXIT_OK;
}

static bool holds(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A directory of result directories (run-all's): the tables of each, in name order, each under a
 * rule. Links are not followed. Returns an exit code, or -1 when dir holds no result directory. */
static int table_all(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), rc = -1;

	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		char sub[PATH_MAX];
		struct stat st;

		snprintf(sub, sizeof(sub), "%s/%s", dir, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && lstat(sub, &st) == 0 && S_ISDIR(st.st_mode) && holds(sub, "runs.csv")) {
			int one;

			printf("%s<!-- %s -->\n\n", rc < 0 ? "" : "\n---\n\n", sub);
			one = table_one(sub);
			if (rc < 0 || one != SL_EXIT_OK)
				rc = one;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int sl_cmd_table(int argc, char **argv)
{
	const char *dir = NULL;
	struct sl_opts o;
	int rc;

	sl_opts_init(&o, "table", argc, argv, "", NULL);
	while ((rc = sl_opts_next(&o)) != SL_OPT_END) {
		if (rc != SL_OPT_ARG)
			return SL_EXIT_USAGE;
		if (dir) {
			sl_err("table: one result directory at a time (usage: speedlab table DIR)");
			return SL_EXIT_USAGE;
		}
		dir = o.arg;
	}
	if (!dir) {
		sl_err("table: no result directory given (usage: speedlab table DIR)");
		return SL_EXIT_USAGE;
	}
	/* run-all's directory: one result directory per experiment */
	if (holds(dir, "runs.csv") || holds(dir, "meta.json") || (rc = table_all(dir)) < 0)
		rc = table_one(dir);
	if (fflush(stdout) != 0) {
		sl_err("table: cannot write the output: %s", sl_strerror(errno));
		return SL_EXIT_USAGE;
	}
	return rc;
}
