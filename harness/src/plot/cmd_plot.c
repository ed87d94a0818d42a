/* cmd_plot.c: `speedlab plot DIR`: the registry of plot kinds, and drawing every kind that applies to a
 * result directory's data into DIR/plots/ (data files, PNG and SVG, index.tsv). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cmd.h"
#include "core/opts.h"
#include "core/workload.h"
#include "plot/draw.h"

/* Every kind, in the order they are tried (and their plots listed in index.tsv, which the report
 * follows). Adding a kind: its struct sl_plot_kind (name, flags, applies, draw) in a kind_*.c file,
 * declared in draw.h, its gnuplot script in plots/, and one line here; a workload's own kind also
 * carries SL_PLOT_WORKLOAD and is listed in that workload's ops.plots. */
const struct sl_plot_kind *const sl_plot_kinds[] = {
	&sl_plot_kind_scaling,
	&sl_plot_kind_heatmap,
	&sl_plot_kind_chunksize,
	&sl_plot_kind_start_latency,
	&sl_plot_kind_start_safety,
	&sl_plot_kind_affinity,
	&sl_plot_kind_gpu_throughput,
	&sl_plot_kind_gpu_sync,
	&sl_plot_kind_gpu_copy,
	&sl_plot_kind_gpu_share,
	&sl_plot_kind_runtime,
	&sl_plot_kind_timeline,
	NULL,
};

/* ---- the whole directory ---- */

/* The experiment's name (else the directory's), its workload (else summary.csv's) and the plots'
 * subtitle, from meta.json as sl_meta_load read it. */
static void load_identity(struct sl_plot_ctx *pc)
{
	const struct sl_meta *meta = &pc->meta;
	char machine[512];
	const char *slash;

	if (meta->name[0])
		snprintf(pc->experiment, sizeof(pc->experiment), "%s", meta->name);
	else {
		slash = strrchr(pc->dir, '/');
		snprintf(pc->experiment, sizeof(pc->experiment), "%s", slash && slash[1] ? slash + 1 : pc->dir);
	}
	if (meta->workload[0])
		snprintf(pc->workload, sizeof(pc->workload), "%s", meta->workload);
	else if (pc->v.c_workload >= 0 && sl_sv_rows(&pc->v) > 0)
		snprintf(pc->workload, sizeof(pc->workload), "%s", sl_sv_text(&pc->v, 0, pc->v.c_workload));
	pc->m = meta->m;
	sl_machine_line(&pc->m, machine, sizeof(machine));
	snprintf(pc->subtitle, sizeof(pc->subtitle), "%s · workload %s%s%s", machine,
		 pc->workload[0] ? pc->workload : "?", meta->profile[0] ? " · profile " : "", meta->profile);
}

/* Whether the result's workload lists kind k among its own plots. */
static bool workload_lists(const struct sl_plot_ctx *pc, const struct sl_plot_kind *k)
{
	const struct sl_workload_ops *w = sl_workload_find(pc->workload);

	for (const char *const *p = w ? w->plots : NULL; p && *p; p++)
		if (strcmp(*p, k->name) == 0)
			return true;
	return false;
}

/* Draw every kind that applies, in the registry's order. Returns 0 or the first kind's error. */
static int draw_kinds(struct sl_plot_ctx *pc)
{
	int rc = 0;

	for (int i = 0; !rc && sl_plot_kinds[i]; i++) {
		const struct sl_plot_kind *k = sl_plot_kinds[i];

		if ((k->flags & SL_PLOT_WORKLOAD) && !workload_lists(pc, k))
			continue;
		if ((k->flags & SL_PLOT_FALLBACK) && (pc->made > 0 || pc->claimed))
			continue;
		if (!k->applies(pc))
			continue;
		pc->claimed |= (k->flags & SL_PLOT_CLAIMS) != 0;
		rc = k->draw(pc);
	}
	return rc;
}

/* The plots directory made (never through a link), its index opened as index.tsv.tmp. */
static int open_out(struct sl_plot_ctx *pc, char *tmp, size_t len)
{
	struct stat st;
	int rc;

	snprintf(pc->out, sizeof(pc->out), "%s/plots", pc->dir);
	rc = sl_mkdir_p(pc->out);
	if (!rc && lstat(pc->out, &st) == 0 && !S_ISDIR(st.st_mode))
		rc = S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR;   /* plots are written only inside DIR */
	if (rc) {
		sl_err_at(pc->out, 0, "cannot create: %s", sl_strerror(-rc));
		return rc;
	}
	snprintf(tmp, len, "%s/index.tsv.tmp", pc->out);
	pc->index = sl_fopen_output(tmp, false);
	if (!pc->index) {
		rc = -errno;
		sl_err_at(tmp, 0, "cannot write: %s", sl_strerror(errno));
		return rc;
	}
	return 0;
}

int sl_plot_dir(const char *dir, bool quiet)
{
	struct sl_plot_ctx pc = { .dir = dir, .quiet = quiet, .runs_config = -1, .runs_status = -1 };
	char path[PATH_MAX + 64];
	struct stat st;
	int rc;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		sl_err_at(dir, 0, "%s", stat(dir, &st) != 0 ? sl_strerror(errno) : "not a directory");
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/summary.csv", dir);
	rc = sl_summary_view_load(path, &pc.v);
	if (rc)
		return rc;
	rc = sl_meta_load(dir, &pc.meta);
	if (rc)
		goto out_free_view;
	load_identity(&pc);
	snprintf(path, sizeof(path), "%s/runs.csv", dir);
	if (access(path, F_OK) == 0) {
		rc = sl_csv_read(path, &pc.runs, 0);
		if (rc)
			goto out_free_runs;
		pc.runs_config = sl_csv_col(&pc.runs, "config");
		pc.runs_status = sl_csv_col(&pc.runs, "status");
	}
	pc.scripts = sl_plot_scripts_dir();
	if (!pc.scripts) {
		rc = -ENOENT;
		goto out_free_runs;
	}
	rc = open_out(&pc, path, sizeof(path));
	if (rc)
		goto out_free_runs;
	rc = draw_kinds(&pc);
	if (fclose(pc.index) != 0 && !rc)
		rc = -EIO;
	if (!rc) {
		char final[PATH_MAX + 64];

		snprintf(final, sizeof(final), "%s/index.tsv", pc.out);
		if (rename(path, final) != 0)
			rc = -errno;
	} else {
		unlink(path);
	}
	if (!rc)
		rc = pc.made;
out_free_runs:
	sl_csv_free(&pc.runs);
out_free_view:
	sl_summary_view_free(&pc.v);
	return rc;
}

int sl_plot_index_read(const char *dir, struct sl_plot_entry *entries, int max)
{
	char path[PATH_MAX + 64], *text, *line, *save = NULL;
	int n = 0;

	snprintf(path, sizeof(path), "%s/plots/index.tsv", dir);
	text = sl_read_file_nofollow(path, NULL);
	if (!text)
		return -errno;
	for (line = strtok_r(text, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save)) {
		char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;

		if (!t1 || !t2)
			continue;
		*t1 = *t2 = '\0';
		snprintf(entries[n].name, sizeof(entries[n].name), "%s", line);
		snprintf(entries[n].title, sizeof(entries[n].title), "%s", t1 + 1);
		snprintf(entries[n].caption, sizeof(entries[n].caption), "%s", t2 + 1);
		n++;
	}
	free(text);
	return n;
}

int sl_cmd_plot(int argc, char **argv)
{
	static const struct option longopts[] = { { "quiet", no_argument, NULL, 'q' }, { NULL, 0, NULL, 0 } };
	bool quiet = false;
	int ndirs = 0, failed = 0, c;
	char **dirs = calloc((size_t)argc, sizeof(*dirs));
	struct sl_opts o;

	if (!dirs) {
		sl_err("plot: out of memory");
		return SL_EXIT_USAGE;
	}
	/* every option first: --quiet anywhere applies to every directory */
	sl_opts_init(&o, "plot", argc, argv, "q", longopts);
	while ((c = sl_opts_next(&o)) != SL_OPT_END) {
		if (c == 'q') {
			quiet = true;
		} else if (c == SL_OPT_ARG) {
			dirs[ndirs++] = o.arg;
		} else {
			free(dirs);
			return SL_EXIT_USAGE;
		}
	}
	for (int i = 0; i < ndirs; i++) {
		int rc = sl_plot_dir(dirs[i], quiet);

		if (rc < 0)
			failed++;
		else if (rc == 0 && !quiet)
			printf("%s: no plot applies to this data\n", dirs[i]);
	}
	free(dirs);
	if (!ndirs) {
		sl_err("plot: which result directory? (usage: speedlab plot [--quiet] DIR...)");
		return SL_EXIT_USAGE;
	}
	return failed ? SL_EXIT_USAGE : SL_EXIT_OK;
}
