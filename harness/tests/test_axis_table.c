/* test_axis_table.c: an axis and a workload added through the tables alone. The test appends a
 * throwaway row to the axis table (no field of its own in struct sl_setting) and a throwaway workload
 * to the registry, then sees them parsed from an experiment file (with "did you mean"), swept by a
 * real `speedlab run` (the pool runs the workload), written to runs.csv and experiment.ini, handed
 * to a worker as setting text, listed by `speedlab list`, and exported to a command workload as its
 * environment variable. Nothing else names the axis: each check fails if the table stops driving
 * that part. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/cmd.h"
#include "core/workload.h"
#include "experiment/axis.h"
#include "experiment/experiment.h"
#include "experiment/setting_io.h"

/* ---- the throwaway axis and workload ---- */

static struct sl_axis_def axes[SL_MAX_STD_AXES];
static const struct sl_workload_ops *workloads[64];

static int throwaway_run_task(struct sl_wctx *w, long task, const void *in, void *out, double *result, char *msg,
			      size_t msglen)
{
	(void)w, (void)in, (void)out, (void)msg, (void)msglen;
	*result = (double)task;
	return 0;
}

static const struct sl_param_def throwaway_params[] = {
	{ .name = "tasks", .type = SL_PARAM_INT, .def = "2", .help = "tasks per run", .min = 1, .max = 100 },
	{ .name = NULL },
};

static const struct sl_workload_ops throwaway = {
	.name = "throwaway",
	.help = "a workload that exists only in test_axis_table",
	.params = throwaway_params,
	.run_task = throwaway_run_task,
	.dispatches = "shm|pipe",                /* declared: batch and mpi are refused when read */
	.start_methods = "fork|spawn|forkserver",
};

static int add_rows(void **state)
{
	int n = 0, k = 0;

	(void)state;
	for (const struct sl_axis_def *a = sl_axes_builtin; a->name; a++)
		axes[n++] = *a;
	axes[n++] = (struct sl_axis_def){ .name = "colour", .def = "red", .words = "red|green|blue",
					  .help = "a throwaway axis of test_axis_table", .env = "SPEEDLAB_COLOUR" };
	axes[n] = (struct sl_axis_def){ .name = NULL };
	sl_axes = axes;
	for (const struct sl_workload_ops *const *w = sl_workloads; *w; w++)
		workloads[k++] = *w;
	workloads[k++] = &throwaway;
	workloads[k] = NULL;
	sl_workloads = workloads;
	return 0;
}

/* ---- helpers ---- */

static char dir[] = "/tmp/sl-axis-XXXXXX";

static void path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static char *read_all(const char *path)
{
	char *text = sl_read_file(path, NULL);

	if (!text)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	return text;
}

static void write_all(const char *path, const char *text)
{
	assert_int_equal(sl_write_file_atomic(path, text, strlen(text)), 0);
}

/* Run fn with stdout (fd 1) or stderr (fd 2) going to a file; returns what it wrote (malloc'd). */
static char *capture(int fd, int (*fn)(int, char **), int argc, char **argv, int *rc)
{
	char path[300];
	int saved = dup(fd), out;
	char *text;

	path_in(path, sizeof(path), fd == 1 ? "stdout" : "stderr");
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && out >= 0);
	fflush(fd == 1 ? stdout : stderr);
	dup2(out, fd);
	close(out);
	*rc = fn(argc, argv);
	fflush(fd == 1 ? stdout : stderr);
	dup2(saved, fd);
	close(saved);
	text = read_all(path);
	return text;
}

static const char *const experiment =
	"[experiment]\n"
	"name = colours\n"
	"question = does the throwaway axis reach every part?\n"
	"workload = throwaway\n"
	"repeats = 1\n"
	"warmup = 0\n"
	"seed = 7\n"
	"[sweep]\n"
	"colour = blue, green\n"
	"processes = 1\n";

/* ---- the checks ---- */

/* parsed: the row's words are the accepted values, its default fills in, a near miss is guessed */
static void test_parsed(void **state)
{
	static struct sl_experiment e;

	(void)state;
	assert_int_equal(sl_experiment_parse(&e, "t.ini", experiment, "", NULL, 0), 0);
	assert_string_equal(e.workload, "throwaway");
	assert_int_equal(sl_experiment_nconfigs(&e), 2);
	assert_int_equal(sl_experiment_parse(&e, "t.ini",
					     "[experiment]\nname = a\nquestion = b\nworkload = throwaway\n", "", NULL, 0), 0);
	{
		struct sl_setting s;
		char msg[200], buf[64];

		assert_int_equal(sl_experiment_setting(&e, 0, &s, msg, sizeof(msg)), 0);
		sl_axis_text(&s, sl_axis_find("colour"), buf, sizeof(buf));
		assert_string_equal(buf, "red");    /* the row's default */
	}
}

static int parse_text_rc;
static const char *parse_text;
static int parse_cmd(int argc, char **argv)
{
	static struct sl_experiment e;

	(void)argc, (void)argv;
	parse_text_rc = sl_experiment_parse(&e, "bad.ini", parse_text, "", NULL, 0);
	return 0;
}

static void expect_refused(const char *text, const char *says)
{
	int rc;
	char *err;

	parse_text = text;
	err = capture(2, parse_cmd, 0, NULL, &rc);
	assert_int_equal(parse_text_rc, -EINVAL);
	if (!strstr(err, says))
		fail_msg("'%s' not in: %s", says, err);
	free(err);
}

static void test_refused(void **state)
{
	(void)state;
	expect_refused("[experiment]\nname = a\nquestion = b\nworkload = throwaway\n[sweep]\ncolour = blu\n",
		       "bad.ini:6: colour = 'blu': expected one of red|green|blue (did you mean 'blue'?)");
	expect_refused("[experiment]\nname = a\nquestion = b\nworkload = throwaway\n[sweep]\ncolor = blue\n",
		       "bad.ini:6: unknown key 'color' in [sweep] (did you mean 'colour'?)");
	expect_refused("[experiment]\nname = a\nquestion = b\nworkload = throwaway\n[workload]\ntask = 3\n",
		       "(did you mean 'tasks'?)");
	/* what the workload declares it runs under: another channel or start method is refused */
	expect_refused("[experiment]\nname = a\nquestion = b\nworkload = throwaway\n[sweep]\ndispatch = pipe, batch\n",
		       "bad.ini:6: dispatch = batch: workload 'throwaway' runs with dispatch shm|pipe only");
	expect_refused("[experiment]\nname = a\nquestion = b\nworkload = throwaway\n[sweep]\nstart_method = mpi\n",
		       "bad.ini:6: start_method = mpi: workload 'throwaway' runs with start_method fork|spawn|forkserver only");
}

/* swept and written: a real run sweeps the axis; runs.csv has its column after the built-in axes
 * and its values; experiment.ini keeps it in [sweep] and reads back */
static void test_swept(void **state)
{
	char ini[300], out[300], path[300], *argv[] = { "run", ini, "--out", out, "--quiet", NULL };
	char *runs, *effective;
	int rc;
	static struct sl_experiment back;

	(void)state;
	path_in(ini, sizeof(ini), "colours.ini");
	path_in(out, sizeof(out), "result");
	write_all(ini, experiment);
	free(capture(1, sl_cmd_run, 5, argv, &rc));
	assert_int_equal(rc, 0);
	path_in(path, sizeof(path), "result/runs.csv");
	runs = read_all(path);
	if (!strstr(runs, ",affinity,mem_policy,colour,tasks,wall_s,"))
		fail_msg("runs.csv header lacks the axis: %.300s", runs);
	assert_non_null(strstr(runs, ",throwaway,"));
	assert_non_null(strstr(runs, ",default,blue,2,"));
	assert_non_null(strstr(runs, ",default,green,2,"));
	assert_null(strstr(runs, ",error:"));
	assert_null(strstr(runs, ",crash:"));
	free(runs);
	path_in(path, sizeof(path), "result/experiment.ini");
	effective = read_all(path);
	assert_non_null(strstr(effective, "\ncolour = blue, green\n"));
	assert_int_equal(sl_experiment_parse(&back, path, effective, "", NULL, 0), 0);
	assert_int_equal(sl_experiment_nconfigs(&back), 2);
	free(effective);
}

/* handed to a worker as text (spawn, mpi): the axis survives the round trip */
static void test_setting_text(void **state)
{
	static struct sl_experiment e;
	struct sl_setting s, b;
	char msg[200], buf[64], *text;

	(void)state;
	assert_int_equal(sl_experiment_parse(&e, "t.ini", experiment, "", NULL, 0), 0);
	assert_int_equal(sl_experiment_setting(&e, 1, &s, msg, sizeof(msg)), 0);
	text = sl_setting_format(&s);
	assert_non_null(text);
	assert_non_null(strstr(text, "\ncolour=green\n"));
	assert_int_equal(sl_setting_read(&b, text, msg, sizeof(msg)), 0);
	free(text);
	sl_axis_text(&b, sl_axis_find("colour"), buf, sizeof(buf));
	assert_string_equal(buf, "green");
}

/* listed: `speedlab list` shows the axis with its help, and the workload with its parameter */
static void test_listed(void **state)
{
	char *argv[] = { "list", NULL }, *out;
	int rc;

	(void)state;
	out = capture(1, sl_cmd_list, 1, argv, &rc);
	assert_int_equal(rc, 0);
	if (!strstr(out, "  colour        a throwaway axis of test_axis_table\n") ||
	    !strstr(out, "  throwaway    a workload that exists only in test_axis_table\n"))
		fail_msg("not listed:\n%s", out);
	free(out);
}

/* exported: a command workload sees the axis in the variable its row names */
static void test_exported(void **state)
{
	static struct sl_experiment e;
	struct sl_setting s;
	struct sl_metrics m;
	char text[600], msg[200], path[300], *seen;
	const struct sl_workload_ops *cmd = sl_workload_find("command");

	(void)state;
	assert_non_null(cmd);
	path_in(path, sizeof(path), "seen");
	snprintf(text, sizeof(text),
		 "[experiment]\nname = c\nquestion = q\nworkload = command\n[workload]\n"
		 "cmd = printf '%%s' \"$SPEEDLAB_COLOUR\" > %s\n[sweep]\ncolour = green\n", path);
	assert_int_equal(sl_experiment_parse(&e, "c.ini", text, "", NULL, 0), 0);
	assert_int_equal(sl_experiment_setting(&e, 0, &s, msg, sizeof(msg)), 0);
	sl_metrics_clear(&m);
	assert_int_equal(cmd->run_whole(&s, NULL, &m), 0);
	assert_string_equal(m.status, "ok");
	seen = read_all(path);
	assert_string_equal(seen, "green");
	free(seen);
}

static int make_dir(void **state)
{
	(void)state;
	return mkdtemp(dir) ? add_rows(state) : -1;
}

static int remove_dir(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parsed),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_swept),
		cmocka_unit_test(test_setting_text),
		cmocka_unit_test(test_listed),
		cmocka_unit_test(test_exported),
	};

	/* `speedlab run` asks its own program (this one, sl_self_exe) for `sysinfo --json`: answer that,
	 * and never run the tests again in a child */
	if (argc > 1)
		return strcmp(argv[1], "sysinfo") == 0 ? sl_cmd_sysinfo(argc - 1, argv + 1) : SL_EXIT_USAGE;
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
