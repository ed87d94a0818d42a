/* gnuplot.c: plot/'s side of gnuplot: variables passed as quoted data, the scripts' directory, running
 * gnuplot under a time limit, rendering a plot as PNG and SVG and recording it in the index. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plot/draw.h"

extern char **environ;

#define GNUPLOT_TIMEOUT_S 60.0

/* ---- a growing string ---- */

void sl_vb_printf(struct sl_vbuf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	for (;;) {
		size_t room = b->cap - b->n;

		va_start(ap, fmt);
		k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? room : 0, fmt, ap);
		va_end(ap);
		if (k < 0)
			return;
		if (b->s && (size_t)k < room) {
			b->n += (size_t)k;
			return;
		}
		size_t cap = (b->cap ? b->cap : 256) * 2 + (size_t)k;
		char *ns = realloc(b->s, cap);

		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
}

/* value as a gnuplot single-quoted string: a quote doubled (the form's only escape, inside which
 * gnuplot substitutes nothing: no backquotes, no macros); tabs and newlines become spaces. */
static void sl_vb_str(struct sl_vbuf *b, const char *value)
{
	sl_vb_printf(b, "'");
	for (const char *p = value; *p; p++) {
		if (*p == '\'')
			sl_vb_printf(b, "''");
		else if ((unsigned char)*p < 0x20 || *p == 0x7f)
			sl_vb_printf(b, " ");
		else
			sl_vb_printf(b, "%c", *p);
	}
	sl_vb_printf(b, "'");
}

/* name='value'; (vb_str). */
void sl_vb_var(struct sl_vbuf *b, const char *name, const char *value)
{
	sl_vb_printf(b, "%s=", name);
	sl_vb_str(b, value);
	sl_vb_printf(b, "; ");
}

/* Tick labels for tics.gp as data, never as gnuplot code: arrays <axis>tic_l (labels, single-quoted
 * strings), <axis>tic_x (positions) and <axis>tic_low, their count <axis>tic_n and <axis>tic_lowered. */
void sl_vb_tics(struct sl_vbuf *b, char axis, const struct sl_tic *t, int n)
{
	bool lowered = false;

	if (n <= 0)
		return;
	sl_vb_printf(b, "%ctic_n=%d; array %ctic_l[%d]; array %ctic_x[%d]; array %ctic_low[%d]; ", axis, n, axis, n,
		  axis, n, axis, n);
	for (int i = 0; i < n; i++) {
		sl_vb_printf(b, "%ctic_l[%d]=", axis, i + 1);
		sl_vb_str(b, t[i].label);
		sl_vb_printf(b, "; %ctic_x[%d]=%.17g; %ctic_low[%d]=%d; ", axis, i + 1, t[i].at, axis, i + 1, t[i].lower);
		lowered |= t[i].lower;
	}
	sl_vb_printf(b, "%ctic_lowered=%d; ", axis, lowered);
}
/* ---- gnuplot ---- */

const char *sl_plot_scripts_dir(void)
{
	static char found[PATH_MAX];
	char exe[PATH_MAX], cand[PATH_MAX + 32], *slash;
	const char *env = getenv("SPEEDLAB_PLOTS");
	const char *rel[] = { "/../plots", "/../../plots", "/../../../plots", NULL };

	if (found[0])
		return found;
	if (env && env[0]) {
		snprintf(cand, sizeof(cand), "%s/speedup.gp", env);
		if (access(cand, R_OK) != 0) {
			sl_err("SPEEDLAB_PLOTS=%s: no gnuplot scripts there (speedup.gp missing)", env);
			return NULL;
		}
		snprintf(found, sizeof(found), "%s", env);
		return found;
	}
	snprintf(exe, sizeof(exe), "%s", sl_self_exe());
	slash = strrchr(exe, '/');
	if (slash) {
		*slash = '\0';
		for (int i = 0; rel[i]; i++) {
			snprintf(cand, sizeof(cand), "%s%s/speedup.gp", exe, rel[i]);
			if (access(cand, R_OK) == 0) {
				cand[strlen(cand) - strlen("/speedup.gp")] = '\0';
				if (!realpath(cand, found))
					snprintf(found, sizeof(found), "%.*s", (int)sizeof(found) - 1, cand);
				return found;
			}
		}
	}
	if (access("plots/speedup.gp", R_OK) == 0 && realpath("plots", found))
		return found;
	found[0] = '\0';
	sl_err("cannot find the gnuplot scripts (plots/*.gp) next to %s or in ./plots; set SPEEDLAB_PLOTS",
	       sl_self_exe());
	return NULL;
}

/* Run gnuplot -e vars script with its output in log. Returns 0, or -1 with the reason in why. */
static int run_gnuplot(const char *vars, const char *script, const char *log, char *why, size_t whylen)
{
	const char *gp = getenv("SPEEDLAB_GNUPLOT");
	char *argv[] = { (char *)(gp && gp[0] ? gp : "gnuplot"), "-e", (char *)vars, (char *)script, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc, st;
	double t0 = sl_now();

	if (posix_spawn_file_actions_init(&fa)) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	/* the log is made new: a link left in its place is removed, never written through */
	unlink(log);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0666);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		snprintf(why, whylen, "cannot run %s: %s%s", argv[0], sl_strerror(rc),
			 rc == ENOENT ? " (install gnuplot-nox, or run 'make deps')" : "");
		return -1;
	}
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			snprintf(why, whylen, "waitpid: %s", sl_strerror(errno));
			return -1;
		}
		if (sl_now() - t0 > GNUPLOT_TIMEOUT_S) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			snprintf(why, whylen, "gnuplot ran past %.0f s and was killed", GNUPLOT_TIMEOUT_S);
			return -1;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 5 * 1000 * 1000 }, NULL);
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st))
		snprintf(why, whylen, "gnuplot exited with %d", WEXITSTATUS(st));
	else
		snprintf(why, whylen, "gnuplot killed by signal %d", WTERMSIG(st));
	return -1;
}

static void print_log_tail(const char *log)
{
	size_t len;
	char *text = sl_read_file(log, &len);
	const char *start;
	int lines = 0;

	if (!text)
		return;
	start = text + len;
	while (start > text && lines < 8)
		if (*--start == '\n' && start + 1 < text + len)
			lines++;
	fprintf(stderr, "%s%s", start == text ? "" : "...", start);
	if (len && text[len - 1] != '\n')
		fputc('\n', stderr);
	free(text);
}

/* Render plot name with script (PNG then SVG), from the data in out/name.dat; record it in the
 * index. Returns 0 or -EIO with the reason printed. */
int sl_plot_render(struct sl_plot_ctx *pc, const char *script, const char *name, const char *title, const char *caption,
		  const char *vars)
{
	static const char *const exts[] = { "png", "svg" };
	char path[PATH_MAX + 128], log[PATH_MAX + 128], scriptpath[PATH_MAX + 64], why[256];

	snprintf(scriptpath, sizeof(scriptpath), "%s/%s", pc->scripts, script);
	snprintf(log, sizeof(log), "%s/%s.log", pc->out, name);
	for (int i = 0; i < 2; i++) {
		struct sl_vbuf b = { 0 };
		struct stat st;
		int rc;

		snprintf(path, sizeof(path), "%s/%s.dat", pc->out, name);
		sl_vb_var(&b, "datafile", path);
		snprintf(path, sizeof(path), "%s/%s.%s", pc->out, name, exts[i]);
		sl_vb_var(&b, "outfile", path);
		sl_vb_var(&b, "title", title);
		sl_vb_var(&b, "subtitle", pc->subtitle);
		sl_vb_var(&b, "plotsdir", pc->scripts);
		sl_vb_printf(&b, "logical=%d; physical=%d; %s", pc->m.logical, pc->m.physical, vars ? vars : "");
		if (b.oom) {
			free(b.s);
			sl_err("plot: out of memory");
			return -ENOMEM;
		}
		unlink(path);
		rc = run_gnuplot(b.s, scriptpath, log, why, sizeof(why));
		free(b.s);
		if (rc == 0 && (stat(path, &st) != 0 || st.st_size < 64)) {
			snprintf(why, sizeof(why), "gnuplot wrote no %s", exts[i]);
			rc = -1;
		}
		if (rc) {
			sl_err_at(scriptpath, 0, "plot '%s' (%s) failed: %s; gnuplot said (%s):", name, exts[i], why, log);
			print_log_tail(log);
			return -EIO;
		}
	}
	unlink(log);
	fprintf(pc->index, "%s\t%s\t", name, title);
	for (const char *p = caption; *p; p++)
		fputc(*p == '\t' || *p == '\n' ? ' ' : *p, pc->index);   /* one line per plot */
	fputc('\n', pc->index);
	pc->made++;
	if (!pc->quiet)
		printf("%s/%s.png\n", pc->out, name);
	return 0;
}

FILE *sl_plot_dat_open(struct sl_plot_ctx *pc, const char *name, const char *ext)
{
	char path[PATH_MAX + 128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.%s", pc->out, name, ext);
	f = sl_fopen_output(path, false);
	if (!f)
		sl_err_at(path, 0, "cannot write: %s", sl_strerror(errno));
	return f;
}

int sl_plot_dat_close(FILE *f, struct sl_plot_ctx *pc, const char *name)
{
	if (ferror(f) | (fclose(f) != 0)) {
		sl_err_at(pc->out, 0, "writing %s's data failed", name);
		return -EIO;
	}
	return 0;
}

/* A label as a double-quoted gnuplot data field. */
void sl_plot_put_label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++)
		fputc(*s == '"' ? '\'' : (*s == '\n' || *s == '\t') ? ' ' : *s, f);
	fputc('"', f);
}

void sl_plot_put_num(FILE *f, double x)
{
	if (isnan(x))
		fputs(" NaN", f);
	else
		fprintf(f, " %.6g", x);
}

void sl_plot_title(const struct sl_plot_ctx *pc, const char *what, char *buf, size_t len)
{
	snprintf(buf, len, "%.127s: %.380s", pc->experiment, what);
}

