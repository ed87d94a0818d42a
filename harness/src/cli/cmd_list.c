/* cmd_list.c: `speedlab list`: workloads with their parameters, start methods, experiments. */
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/cmd.h"
#include "core/opts.h"
#include "experiment/axis.h"
#include "experiment/experiment.h"
#include "core/launcher.h"
#include "core/workload.h"

static int list_width = 80;

/* Columns a UTF-8 string takes (one per character). */
static int columns(const char *s, size_t n)
{
	int c = 0;

	for (size_t i = 0; i < n && s[i]; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* prefix, then text wrapped at word boundaries to list_width columns, continued under its start
 * (or 8 columns in when the prefix leaves too little room). Never fails. */
static void put_wrapped(const char *prefix, const char *text)
{
	int col = columns(prefix, strlen(prefix)), indent = col;
	bool first = true;

	if (indent > list_width - 30) {
		/* too little room beside the prefix: the text goes on its own lines below it */
		indent = 8;
		size_t n = strlen(prefix);

		while (n > 0 && prefix[n - 1] == ' ')
			n--;
		printf("%.*s\n%*s", (int)n, prefix, indent, "");
		col = indent;
	} else {
		fputs(prefix, stdout);
	}
	for (const char *p = text; *p;) {
		size_t n;
		int w;

		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (!n)
			break;
		w = columns(p, n);
		if (col > indent && col + !first + w > list_width) {
			printf("\n%*s", indent, "");
			col = indent;
		} else if (!first) {
			putchar(' ');
			col++;
		}
		fwrite(p, 1, n, stdout);
		col += w;
		p += n;
		first = false;
	}
	putchar('\n');
}

static const char *type_name(enum sl_param_type t)
{
	return t == SL_PARAM_INT ? "int" : t == SL_PARAM_DOUBLE ? "number" : "text";
}

/* Why a workload cannot run here: built without it, or its runtime check fails for a default setting. */
static const char *why_skipped(const struct sl_workload_ops *w, char *buf, size_t len)
{
	struct sl_setting s;

	if (w->unimplemented_reason)
		return w->unimplemented_reason;
	if (!w->supported)
		return NULL;
	memset(&s, 0, sizeof(s));
	sl_axis_defaults(&s);
	s.chunksize = 1;
	strcpy(s.device, (w->devices & SL_DEVICE_GPU_ONLY) ? "gpu" : "cpu");
	sl_strlcpy(s.workload, w->name, sizeof(s.workload));
	for (const struct sl_param_def *p = w->params; p && p->name && s.nparams < SL_MAX_PARAMS; p++) {
		struct sl_param_value *v = &s.params[s.nparams++];

		sl_strlcpy(v->name, p->name, sizeof(v->name));
		sl_strlcpy(v->text, p->def ? p->def : "", sizeof(v->text));
		if (!sl_parse_double(v->text, &v->num))
			v->num = NAN;
	}
	buf[0] = '\0';
	if (!w->supported(&s, buf, len))
		return buf[0] ? buf : "not supported here";
	return NULL;
}

static void list_experiments(const char *pattern)
{
	glob_t g;

	if (glob(pattern, 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct sl_experiment *e = calloc(1, sizeof(*e));
		char prefix[600];
		int rc;

		if (!e)
			break;
		/* problems are shown by `speedlab run`; here a broken file is named in one line */
		sl_quiet_errors = true;
		rc = sl_experiment_load(e, g.gl_pathv[i], "", NULL, 0);
		sl_quiet_errors = false;
		snprintf(prefix, sizeof(prefix), "  %-40s ", g.gl_pathv[i]);
		put_wrapped(prefix, rc == 0 ? e->question : "(does not parse: run it to see why)");
		free(e);
	}
	globfree(&g);
}

int sl_cmd_list(int argc, char **argv)
{
	char why[256], prefix[128], text[2048];
	struct winsize ws;
	const char *cols = getenv("COLUMNS");
	long c;
	struct sl_opts o;
	int rc;

	sl_opts_init(&o, "list", argc, argv, "", NULL);
	while ((rc = sl_opts_next(&o)) != SL_OPT_END) {
		if (rc == SL_OPT_ARG)
			sl_err("list: takes no arguments");
		return SL_EXIT_USAGE;
	}
	/* wrapped to the terminal, to $COLUMNS, else to 80 columns */
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		list_width = ws.ws_col;
	else if (cols && sl_parse_long(cols, &c) && c >= 40 && c <= 1000)
		list_width = (int)c;
	printf("workloads:\n");
	for (const struct sl_workload_ops *const *w = sl_workloads; *w; w++) {
		const char *skip = why_skipped(*w, why, sizeof(why));

		snprintf(prefix, sizeof(prefix), "  %-12s ", (*w)->name);
		snprintf(text, sizeof(text), "%s%s%s%s", (*w)->help, skip ? " [skipped: " : "", skip ? skip : "",
			 skip ? "]" : "");
		put_wrapped(prefix, text);
		for (const struct sl_param_def *p = (*w)->params; p && p->name; p++) {
			char range[96] = "";

			if (p->choices)
				snprintf(range, sizeof(range), " (%s)", p->choices);
			else if (p->type != SL_PARAM_STRING && (p->min != 0 || p->max != 0))
				snprintf(range, sizeof(range), " [%g..%g]", p->min, p->max);
			snprintf(prefix, sizeof(prefix), "      %-12s %-6s default %-8s ", p->name, type_name(p->type),
				 p->def && p->def[0] ? p->def : "-");
			snprintf(text, sizeof(text), "%s%s", p->help ? p->help : "", range);
			put_wrapped(prefix, text);
		}
	}
	printf("\nstart methods:\n");
	for (const struct sl_launcher_ops *const *l = sl_launchers; *l; l++) {
		snprintf(prefix, sizeof(prefix), "  %-12s ", (*l)->name);
		snprintf(text, sizeof(text), "%s%s%s%s", (*l)->help, (*l)->unimplemented_reason ? " [skipped: " : "",
			 (*l)->unimplemented_reason ? (*l)->unimplemented_reason : "", (*l)->unimplemented_reason ? "]" : "");
		put_wrapped(prefix, text);
	}
	printf("\naxes of [sweep] (besides any workload parameter):\n");
	for (const struct sl_axis_def *a = sl_axes; a->name; a++) {
		snprintf(prefix, sizeof(prefix), "  %-13s ", a->name);
		put_wrapped(prefix, a->help);
	}
	printf("\nexperiments:\n");
	list_experiments("experiments/*.ini");
	list_experiments("experiments/seeds/*.ini");
	return SL_EXIT_OK;
}
