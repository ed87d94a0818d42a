/* test_setting_io.c: a setting survives sl_setting_write / sl_setting_read, and bad text is refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "experiment/setting_io.h"

static void fill(struct sl_setting *s)
{
	memset(s, 0, sizeof(*s));
	s->config = 17;
	s->processes = 4;
	s->chunksize = 8;
	strcpy(s->chunksize_text, "auto");
	strcpy(s->start_method, "mpi");
	s->threads_kind = SL_THREADS_AUTO;
	s->threads = 3;
	strcpy(s->threads_text, "auto");
	strcpy(s->thread_api, "call");
	strcpy(s->dispatch, "shm");
	strcpy(s->device, "cpu");
	strcpy(s->blas, "openmp");
	s->parent_rss_mb = 256;
	strcpy(s->parent_uses, "openblas");
	s->timeout_s = 12.5;
	strcpy(s->mpi_hosts, "node1:4,node2:4");
	strcpy(s->mpi_hostfile, "/etc/hosts file");
	s->mpi_ranks_per_node = 4;
	strcpy(s->mpi_bind, "core");
	strcpy(s->workload, "gemm");
	s->nparams = 3;
	strcpy(s->params[0].name, "n");
	strcpy(s->params[0].text, "1024");
	s->params[0].num = 1024;
	strcpy(s->params[1].name, "cmd");
	strcpy(s->params[1].text, "echo a=b \\ c\nline two\r");
	s->params[1].num = NAN;
	strcpy(s->params[2].name, "x");
	strcpy(s->params[2].text, "0.1");
	s->params[2].num = 0.1;
}

static void test_roundtrip(void **state)
{
	struct sl_setting a, b;
	char msg[200] = "", *text;

	(void)state;
	fill(&a);
	text = sl_setting_format(&a);
	assert_non_null(text);
	assert_int_equal(sl_setting_read(&b, text, msg, sizeof(msg)), 0);
	free(text);
	assert_int_equal(b.config, 17);
	assert_int_equal(b.processes, 4);
	assert_int_equal(b.chunksize, 8);
	assert_string_equal(b.chunksize_text, "auto");
	assert_string_equal(b.start_method, "mpi");
	assert_int_equal(b.threads_kind, SL_THREADS_AUTO);
	assert_int_equal(b.threads, 3);
	assert_string_equal(b.thread_api, "call");
	assert_string_equal(b.dispatch, "shm");
	assert_string_equal(b.blas, "openmp");
	assert_int_equal(b.parent_rss_mb, 256);
	assert_string_equal(b.parent_uses, "openblas");
	assert_true(b.timeout_s == 12.5);
	assert_string_equal(b.mpi_hosts, "node1:4,node2:4");
	assert_string_equal(b.mpi_hostfile, "/etc/hosts file");
	assert_int_equal(b.mpi_ranks_per_node, 4);
	assert_string_equal(b.mpi_bind, "core");
	assert_string_equal(b.workload, "gemm");
	assert_int_equal(b.nparams, 3);
	assert_string_equal(b.params[1].name, "cmd");
	assert_string_equal(b.params[1].text, "echo a=b \\ c\nline two\r");
	assert_true(isnan(b.params[1].num));
	assert_true(b.params[0].num == 1024);
	assert_true(b.params[2].num == 0.1);       /* %.17g keeps every bit */
	assert_string_equal(sl_setting_text(&b, "x", ""), "0.1");
}

static void expect_bad(const char *text, const char *what)
{
	struct sl_setting s;
	char msg[200] = "";

	assert_int_equal(sl_setting_read(&s, text, msg, sizeof(msg)), -EINVAL);
	if (!strstr(msg, what))
		fail_msg("message '%s' does not say '%s'", msg, what);
}

static void test_bad_text(void **state)
{
	(void)state;
	expect_bad("", "empty");
	expect_bad("processes=2\n", "line 1: not a setting");
	expect_bad("speedlab-setting 1\nprocesses=two\n", "line 2: bad value 'two' for 'processes'");
	expect_bad("speedlab-setting 1\nprocess=2\n", "unknown key 'process'");
	expect_bad("speedlab-setting 1\nworkload\n", "expected key=value");
	expect_bad("speedlab-setting 1\nthreads_kind=some\n", "threads_kind");
	expect_bad("speedlab-setting 1\nparam_num.n=3\n", "before 'param.n'");
	expect_bad("speedlab-setting 1\nparam.n=3\nparam.n=4\n", "given twice");
	expect_bad("speedlab-setting 1\nstart_method=abcdefghijklmnopq\n", "start_method");   /* too long */
	expect_bad("speedlab-setting 1\nworkload=a\\qb\n", "workload");                        /* bad escape */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_bad_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
