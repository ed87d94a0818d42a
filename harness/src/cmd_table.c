/* cmd_table.c: `speedlab table DIR`: the speedup tables of a result directory, in Markdown. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "results.h"
#include "tables.h"

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

int sl_cmd_table(int argc, char **argv)
{
	const char *dir = NULL;
	struct sl_result r;
	bool in_memory = false;
	int err;

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1]) {
			sl_err("table: unknown option '%s' (usage: speedlab table DIR)", argv[i]);
			return SL_EXIT_USAGE;
		}
		if (dir) {
			sl_err("table: one result directory at a time (usage: speedlab table DIR)");
			return SL_EXIT_USAGE;
		}
		dir = argv[i];
	}
	if (!dir) {
		sl_err("table: no result directory given (usage: speedlab table DIR)");
		return SL_EXIT_USAGE;
	}
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
	if (fflush(stdout) != 0) {
		sl_err("table: cannot write the output: %s", sl_strerror(errno));
		return SL_EXIT_USAGE;
	}
	return err < 0 ? SL_EXIT_USAGE : SL_EXIT_OK;
}
