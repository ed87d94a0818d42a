/* test_threads.c: the thread-limit settings: the variables `env` sets, what `call` changes, and
 * counting a process's threads; and that a worker's library really follows them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/blas.h"
#include "wl_testutil.h"

extern const struct sl_workload_ops sl_workload_gemm;

static void setting(struct sl_setting *s, enum sl_threads_kind kind, int n, const char *api)
{
	wl_setting_defaults(s, &sl_workload_gemm);
	s->threads_kind = kind;
	s->threads = kind == SL_THREADS_UNSET ? 0 : n;
	snprintf(s->threads_text, sizeof(s->threads_text), "%s",
		 kind == SL_THREADS_UNSET ? "unset" : kind == SL_THREADS_AUTO ? "auto" : "n");
	snprintf(s->thread_api, sizeof(s->thread_api), "%s", api);
}

static void test_env_unset_sets_nothing(void **state)
{
	struct sl_setting s;
	char out[8][64];

	(void)state;
	setting(&s, SL_THREADS_UNSET, 0, "env");
	assert_int_equal(sl_threads_env(&s, out, 8), 0);
}

static void test_env_sets_every_variable(void **state)
{
	static const char *const want[] = { "OPENBLAS_NUM_THREADS=3", "OMP_NUM_THREADS=3",
					    "GOTO_NUM_THREADS=3", "MKL_NUM_THREADS=3" };
	struct sl_setting s;
	char out[8][64];
	int n;

	(void)state;
	setting(&s, SL_THREADS_N, 3, "env");
	n = sl_threads_env(&s, out, 8);
	assert_int_equal(n, 4);
	for (int i = 0; i < 4; i++)
		assert_string_equal(out[i], want[i]);
	/* auto arrives resolved (cores / processes) */
	setting(&s, SL_THREADS_AUTO, 2, "env");
	assert_int_equal(sl_threads_env(&s, out, 8), 4);
	assert_string_equal(out[1], "OMP_NUM_THREADS=2");
	/* an empty thread_api means env */
	setting(&s, SL_THREADS_N, 1, "");
	assert_int_equal(sl_threads_env(&s, out, 8), 4);
	/* never more than asked for */
	assert_int_equal(sl_threads_env(&s, out, 2), 2);
	/* thread_api = call: nothing in the environment */
	setting(&s, SL_THREADS_N, 3, "call");
	assert_int_equal(sl_threads_env(&s, out, 8), 0);
}

static void test_call_changes_omp_and_blas(void **state)
{
	struct sl_setting s;
	char msg[256];
	const struct sl_blas *b = sl_blas_load("pthread", msg, sizeof(msg));
	int before;

	(void)state;
	assert_non_null(b);
	omp_set_num_threads(4);
	b->set_num_threads(2);
	/* env or unset: call changes nothing */
	setting(&s, SL_THREADS_N, 1, "env");
	sl_threads_apply_call(&s, b);
	assert_int_equal(omp_get_max_threads(), 4);
	setting(&s, SL_THREADS_UNSET, 0, "call");
	before = b->get_num_threads();
	sl_threads_apply_call(&s, b);
	assert_int_equal(omp_get_max_threads(), 4);
	assert_int_equal(b->get_num_threads(), before);
	/* call with a number: both OpenMP and OpenBLAS follow */
	setting(&s, SL_THREADS_N, 1, "call");
	sl_threads_apply_call(&s, b);
	assert_int_equal(omp_get_max_threads(), 1);
	assert_int_equal(b->get_num_threads(), 1);
	setting(&s, SL_THREADS_N, 3, "call");
	sl_threads_apply_call(&s, NULL);
	assert_int_equal(omp_get_max_threads(), 3);
}

static pthread_barrier_t barrier;

static void *parked(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&barrier);
	return NULL;
}

static void test_count_self(void **state)
{
	pthread_t t[3];
	int base = sl_threads_count_self();

	(void)state;
	assert_true(base >= 1);
	pthread_barrier_init(&barrier, NULL, 4);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, parked, NULL), 0);
	assert_int_equal(sl_threads_count_self(), base + 3);
	pthread_barrier_wait(&barrier);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(sl_threads_count_self(), base);
}

/* In a fresh child (as a forked worker): put the env variables in place, run gemm's setup, and
 * report the library's count through the exit code. */
static int child_lib_threads(const char *blas, int threads, const char *api)
{
	struct sl_setting s;
	pid_t pid;
	int status;

	setting(&s, SL_THREADS_N, threads, api);
	snprintf(s.blas, sizeof(s.blas), "%s", blas);
	wl_set(&s, "n", "300");
	wl_set(&s, "tasks", "1");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char vars[8][64];
		struct wl_run r;
		int n = sl_threads_env(&s, vars, 8);

		for (int i = 0; i < n; i++)
			putenv(vars[i]);
		wl_run(&sl_workload_gemm, &s, &r);
		_exit(r.rc ? 100 : r.lib_threads);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* /proc/PID/stat as the harness reads it: this process, a zombie child's wait status, a gone pid */
static void test_proc_stat(void **state)
{
	struct sl_proc_stat st;
	pid_t pid;
	int status;

	(void)state;
	assert_true(sl_proc_stat(getpid(), &st));
	assert_int_equal(st.state, 'R');
	assert_int_equal(st.ppid, getppid());
	assert_int_equal(st.pgrp, getpgrp());
	assert_int_equal(st.session, getsid(0));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(3);
	/* a zombie until reaped: its exit code is there to read */
	do {
		assert_true(sl_proc_stat(pid, &st));
	} while (st.state != 'Z');
	assert_int_equal(st.ppid, getpid());
	assert_true(WIFEXITED(st.exit_code) && WEXITSTATUS(st.exit_code) == 3);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_false(sl_proc_stat(pid, &st));
}

/* The one /proc/PID/stat parser: a command name with spaces and parentheses, negative fields
 * (priority, nice), a field past long long's range, a text cut short, and no "(comm) S" at all */
static void test_proc_stat_parse(void **state)
{
	const char *text = "42 (a) b (c)) S 1 42 42 0 -1 4194560 10 0 0 0 7 3 0 0 -2 -20 5 0 99 1000 25 "
			   "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 3\n";
	long long f[52 - 3];
	char st = 0;

	(void)state;
	assert_int_equal(sl_proc_stat_parse(text, &st, f, 52), 52 - 3);
	assert_int_equal(st, 'S');
	assert_int_equal(f[4 - 4], 1);                 /* ppid */
	assert_int_equal(f[14 - 4] + f[15 - 4], 10);  /* utime + stime */
	assert_int_equal(f[18 - 4], -2);               /* priority */
	assert_int_equal(f[19 - 4], -20);              /* nice */
	assert_int_equal(f[20 - 4], 5);                /* num_threads */
	assert_int_equal(f[24 - 4], 25);               /* rss */
	assert_int_equal(f[25 - 4], -1);               /* rsslim unlimited */
	assert_int_equal(f[39 - 4], 1);                /* processor */
	assert_int_equal(f[52 - 4], 3);                /* exit_code */
	/* fewer fields asked: no more read */
	assert_int_equal(sl_proc_stat_parse(text, &st, f, 6), 3);
	/* cut short, or garbage in a field: what was read before it */
	assert_int_equal(sl_proc_stat_parse("7 (x) R 1 2", &st, f, 24), 2);
	assert_int_equal(st, 'R');
	assert_int_equal(sl_proc_stat_parse("7 (x) R 1 y 3", &st, f, 24), 1);
	assert_int_equal(sl_proc_stat_parse("7 (x)", &st, f, 24), -1);
	assert_int_equal(sl_proc_stat_parse("7 x R 1", &st, f, 24), -1);
	assert_int_equal(sl_proc_stat_parse("", &st, f, 24), -1);
	assert_int_equal(sl_proc_stat_parse("7 (x) D 1", &st, NULL, 3), 0);   /* the state alone */
	assert_int_equal(st, 'D');
	/* this process, read as the contain code reads its own (pid 0) */
	assert_true(sl_proc_stat_read(0, &st, f, 22) == 22 - 3);
	assert_int_equal(f[4 - 4], getppid());
	assert_true(f[22 - 4] > 0);                    /* the start time */
}

static void test_worker_library_follows_setting(void **state)
{
	(void)state;
	/* The pthread build reads OPENBLAS_NUM_THREADS when it loads, which is after the fork. */
	assert_int_equal(child_lib_threads("pthread", 1, "env"), 1);
	assert_int_equal(child_lib_threads("pthread", 1, "call"), 1);
	assert_int_equal(child_lib_threads("openmp", 1, "call"), 1);
	if (sl_topology()->logical >= 2) {
		assert_int_equal(child_lib_threads("pthread", 2, "env"), 2);
		assert_int_equal(child_lib_threads("openmp", 2, "call"), 2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_unset_sets_nothing),
		cmocka_unit_test(test_env_sets_every_variable),
		cmocka_unit_test(test_count_self),
		cmocka_unit_test(test_proc_stat),
		cmocka_unit_test(test_proc_stat_parse),
		cmocka_unit_test(test_worker_library_follows_setting),
		cmocka_unit_test(test_call_changes_omp_and_blas),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
