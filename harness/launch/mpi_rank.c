/* mpi_rank.c: the rank side of the mpi start method (see mpi_launch.c for how a run goes): rank 0
 * coordinates, ranks 1..P run the workload. Only in the programs that link libmpi: speedlab-mpi,
 * which the ranks run, and the test programs; speedlab itself has mpi_norank.c instead. */
#include <errno.h>
#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "launch/mpi.h"
#include "launch/mpi_internal.h"
#include "monitor/metrics.h"
#include "sys/blas.h"
#include "sys/placement.h"
#include "experiment/setting_io.h"

/* a program with the rank side runs itself as its ranks */
const char *sl_mpi_rank_exe(void)
{
	return sl_self_exe();
}

/* ------------------------------------------------------------------------------------------------
 * The rank side
 * --------------------------------------------------------------------------------------------- */

/* a worker's totals have a tag of their own: they may arrive while rank 0 still serves requests */
enum { TAG_UP = 11, TAG_DOWN = 12, TAG_FINAL = 13 };
enum { UP_READY = 1, UP_RESULT, UP_FINAL };
enum { DOWN_CHUNK = 1, DOWN_STOP };

/* CPU time and context switches of this process (getrusage). */
struct usage {
	double user_s, sys_s, nvcsw, nivcsw, maxrss_kb;
};

/* Worker to rank 0. A RESULT is followed by count doubles and count * out_bytes bytes. */
struct up_msg {
	int32_t kind;
	int32_t err;              /* 0, or the workload's negative errno */
	int64_t first, count;     /* RESULT: the chunk */
	double t;                 /* READY: when MPI_Init returned (CLOCK_REALTIME) */
	double busy_s;            /* FINAL: time inside run_task */
	struct usage run;         /* FINAL: usage during the run phase (go to last task; maxrss: peak) */
	int32_t threads_peak, lib_threads;
	int64_t tasks_done;
	char msg[128];
};

/* Rank 0 to a worker. A CHUNK is followed by count * in_bytes bytes of inputs. */
struct down_msg {
	int32_t kind;
	int32_t pad;
	int64_t first, count;
};

struct rank_ctx {
	struct sl_setting s;
	const struct sl_workload_ops *w;
	MPI_Comm comm;
	int rank, size, P;
	long ntasks;
	size_t in_b, out_b;
	long chunk;
	double t_launch;          /* the plain process's clock just before it started the launcher */
	double t_entry;           /* this rank's clock when MPI_Init returned */
	bool shm;
	/* shm: one window on rank 0: [int64 counter][results][outputs][inputs] */
	MPI_Win win;
	char *base;
	MPI_Aint off_res, off_out, off_in;
};

static void mpi_errtext(int rc, char *out, size_t len)
{
	char s[MPI_MAX_ERROR_STRING];
	int n = 0;

	if (MPI_Error_string(rc, s, &n) != MPI_SUCCESS)
		snprintf(s, sizeof(s), "code %d", rc);
	snprintf(out, len, "MPI: %.100s", s);
}

static void usage_now(struct usage *u)
{
	struct rusage ru;

	memset(u, 0, sizeof(*u));
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return;
	u->user_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6;
	u->sys_s = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
	u->nvcsw = (double)ru.ru_nvcsw;
	u->nivcsw = (double)ru.ru_nivcsw;
	u->maxrss_kb = (double)ru.ru_maxrss;
}

/* b - a, except the peak resident set, which is b's. */
static struct usage usage_delta(const struct usage *a, const struct usage *b)
{
	struct usage d = {
		.user_s = b->user_s - a->user_s, .sys_s = b->sys_s - a->sys_s,
		.nvcsw = b->nvcsw - a->nvcsw, .nivcsw = b->nivcsw - a->nivcsw, .maxrss_kb = b->maxrss_kb,
	};

	return d;
}

static void threads_sample(int32_t *peak)
{
	int n = sl_threads_count_self();

	if (n > *peak)
		*peak = n;
}

/* Wait for a message from any worker without spinning a core (rank 0 shares the machine with the
 * workers): spin briefly, then sleep in growing steps up to 200 us between probes. */
static int wait_up(const struct rank_ctx *c, int tag, MPI_Status *st)
{
	double idle_since = sl_now();
	long ns = 0;

	for (;;) {
		int flag = 0, rc = MPI_Iprobe(MPI_ANY_SOURCE, tag, c->comm, &flag, st);

		if (rc != MPI_SUCCESS)
			return rc;
		if (flag)
			return MPI_SUCCESS;
		if (sl_now() - idle_since < 50e-6)
			continue;
		ns = ns ? ns * 2 : 5000;
		if (ns > 200000)
			ns = 200000;
		{
			struct timespec ts = { 0, ns };

			nanosleep(&ts, NULL);
		}
	}
}

/* Receive a message of unknown size (after a probe) into *buf. */
static int recv_sized(MPI_Comm comm, MPI_Status *st, char **buf, size_t *cap, int *len)
{
	int rc = MPI_Get_count(st, MPI_BYTE, len);

	if (rc != MPI_SUCCESS)
		return rc;
	if ((size_t)*len > *cap) {
		char *nb = realloc(*buf, (size_t)*len);

		if (!nb)
			return MPI_ERR_NO_MEM;
		*buf = nb;
		*cap = (size_t)*len;
	}
	return MPI_Recv(*buf, *len, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG, comm, MPI_STATUS_IGNORE);
}

/* Run tasks [first, first+count) into res (and out); sets u->err/msg on the first failure and fills
 * the remaining results with NaN. */
static void run_chunk(struct rank_ctx *c, struct sl_wctx *wc, int64_t first, int64_t count,
		      const char *in, double *res, char *out, struct up_msg *u)
{
	for (int64_t i = 0; i < count; i++) {
		double t = sl_now();
		int rc;

		res[i] = NAN;
		if (u->err)
			continue;
		rc = c->w->run_task(wc, (long)(first + i), c->in_b ? in + (size_t)i * c->in_b : NULL,
				    c->out_b ? out + (size_t)i * c->out_b : NULL, &res[i], u->msg,
				    sizeof(u->msg));
		u->busy_s += sl_now() - t;
		if (rc) {
			u->err = rc;
			if (!u->msg[0])
				snprintf(u->msg, sizeof(u->msg), "task %ld: %s", (long)(first + i), strerror(-rc));
		} else {
			u->tasks_done++;
		}
	}
}

/* shm: claim chunks from rank 0's counter until none is left; inputs in, results out, one-sided. */
static int worker_loop_shm(struct rank_ctx *c, struct sl_wctx *wc, char *up, struct up_msg *fin)
{
	int64_t one = c->chunk, first;
	double *res = (double *)(up + sizeof(struct up_msg));
	char *out = up + sizeof(struct up_msg) + (size_t)c->chunk * sizeof(double);
	char *in = c->in_b ? malloc((size_t)c->chunk * c->in_b) : NULL;
	int rc;

	if (c->in_b && !in) {
		fin->err = -ENOMEM;
		snprintf(fin->msg, sizeof(fin->msg), "out of memory");
		return MPI_SUCCESS;
	}
	rc = MPI_Win_lock_all(MPI_MODE_NOCHECK, c->win);
	while (rc == MPI_SUCCESS) {
		int64_t count;

		rc = MPI_Fetch_and_op(&one, &first, MPI_INT64_T, 0, 0, MPI_SUM, c->win);
		if (rc == MPI_SUCCESS)
			rc = MPI_Win_flush(0, c->win);
		if (rc != MPI_SUCCESS || first >= c->ntasks)
			break;
		count = c->ntasks - first < c->chunk ? c->ntasks - first : c->chunk;
		if (c->in_b) {
			rc = MPI_Get(in, (int)((size_t)count * c->in_b), MPI_BYTE, 0,
				     c->off_in + (MPI_Aint)((size_t)first * c->in_b), (int)((size_t)count * c->in_b),
				     MPI_BYTE, c->win);
			if (rc == MPI_SUCCESS)
				rc = MPI_Win_flush(0, c->win);
			if (rc != MPI_SUCCESS)
				break;
		}
		run_chunk(c, wc, first, count, in, res, out, fin);
		rc = MPI_Put(res, (int)count, MPI_DOUBLE, 0, c->off_res + (MPI_Aint)(first * 8), (int)count,
			     MPI_DOUBLE, c->win);
		if (rc == MPI_SUCCESS && c->out_b)
			rc = MPI_Put(out, (int)((size_t)count * c->out_b), MPI_BYTE, 0,
				     c->off_out + (MPI_Aint)((size_t)first * c->out_b),
				     (int)((size_t)count * c->out_b), MPI_BYTE, c->win);
		if (rc == MPI_SUCCESS)
			rc = MPI_Win_flush(0, c->win);
		threads_sample(&fin->threads_peak);
		if (fin->err) {
			/* stop everyone: push the counter past the end */
			int64_t end = c->ntasks, old;

			MPI_Fetch_and_op(&end, &old, MPI_INT64_T, 0, 0, MPI_REPLACE, c->win);
			MPI_Win_flush(0, c->win);
			break;
		}
	}
	if (rc == MPI_SUCCESS)
		rc = MPI_Win_unlock_all(c->win);
	else
		MPI_Win_unlock_all(c->win);
	free(in);
	return rc;
}

/* pipe: the ready message asks for the first chunk, every result for the next; stop ends it.
 * The run phase begins when the first answer arrives (rank 0 answers once every worker is ready). */
static int worker_loop_pipe(struct rank_ctx *c, struct sl_wctx *wc, char *up, const struct up_msg *ready,
			    struct up_msg *fin, struct usage *at_go)
{
	struct up_msg *u = (struct up_msg *)up;
	char *down = NULL;
	size_t dcap = 0;
	int len = sizeof(*ready), rc;
	bool first = true;

	*u = *ready;
	for (;;) {
		MPI_Status st;
		struct down_msg *d;

		rc = MPI_Send(up, len, MPI_BYTE, 0, TAG_UP, c->comm);
		if (rc == MPI_SUCCESS)
			rc = MPI_Probe(0, TAG_DOWN, c->comm, &st);
		if (rc == MPI_SUCCESS)
			rc = recv_sized(c->comm, &st, &down, &dcap, &len);
		if (rc != MPI_SUCCESS)
			break;
		if (first) {
			usage_now(at_go);
			first = false;
		}
		d = (struct down_msg *)down;
		if (d->kind != DOWN_CHUNK)
			break;
		memset(u, 0, sizeof(*u));
		u->kind = UP_RESULT;
		u->first = d->first;
		u->count = d->count;
		run_chunk(c, wc, d->first, d->count, down + sizeof(*d), (double *)(up + sizeof(*u)),
			  up + sizeof(*u) + (size_t)d->count * sizeof(double), u);
		fin->busy_s += u->busy_s;
		fin->tasks_done += u->tasks_done;
		threads_sample(&fin->threads_peak);
		len = (int)(sizeof(*u) + (size_t)d->count * (sizeof(double) + c->out_b));
	}
	free(down);
	return rc;
}

/* A worker rank: set up, report ready, run chunks until stopped, report its totals. */
static int worker_main(struct rank_ctx *c)
{
	struct sl_wctx wc = { .setting = &c->s, .worker = c->rank - 1 };
	struct up_msg ready = { .kind = UP_READY, .t = c->t_entry }, fin = { .kind = UP_FINAL };
	size_t cap = sizeof(struct up_msg) + (size_t)c->chunk * (sizeof(double) + c->out_b);
	char *up = calloc(1, cap);
	struct usage at_go, at_end;
	bool set_up;
	int rc;

	if (!up) {
		sl_err("__mpi: rank %d: out of memory", c->rank);
		MPI_Abort(c->comm, 3);
		return 3;
	}
	/* the affinity axis, as in a pool worker: after mpirun's own binding ([mpi] bind), which it replaces */
	ready.err = sl_placement_apply_worker(&c->s, c->rank - 1, c->s.processes, ready.msg, sizeof(ready.msg));
	if (!ready.err && c->w->setup) {
		ready.err = c->w->setup(&wc, ready.msg, sizeof(ready.msg));
		if (ready.err && !ready.msg[0])
			snprintf(ready.msg, sizeof(ready.msg), "setup: %s", strerror(-ready.err));
	}
	set_up = ready.err == 0;
	threads_sample(&fin.threads_peak);
	usage_now(&at_go);
	if (c->shm) {
		/* ready, then everyone starts together (rank 0 stopped the counter if a setup failed) */
		rc = MPI_Send(&ready, sizeof(ready), MPI_BYTE, 0, TAG_UP, c->comm);
		if (rc == MPI_SUCCESS)
			rc = MPI_Barrier(c->comm);
		usage_now(&at_go);
		if (rc == MPI_SUCCESS && set_up)
			rc = worker_loop_shm(c, &wc, up, &fin);
	} else {
		rc = worker_loop_pipe(c, &wc, up, &ready, &fin, &at_go);
	}
	usage_now(&at_end);
	threads_sample(&fin.threads_peak);
	fin.run = usage_delta(&at_go, &at_end);
	/* the checks kept out of the timed tasks (gemm: the last product in full), after this worker's run */
	if (set_up && rc == MPI_SUCCESS && !fin.err && c->w->after_run) {
		fin.err = c->w->after_run(&wc, fin.msg, sizeof(fin.msg));
		if (fin.err && !fin.msg[0])
			snprintf(fin.msg, sizeof(fin.msg), "check: %s", strerror(-fin.err));
	}
	fin.lib_threads = wc.lib_threads;
	if (set_up && c->w->teardown)
		c->w->teardown(&wc);
	if (rc != MPI_SUCCESS && !fin.err) {
		fin.err = -EIO;
		mpi_errtext(rc, fin.msg, sizeof(fin.msg));
	}
	rc = MPI_Send(&fin, sizeof(fin), MPI_BYTE, 0, TAG_FINAL, c->comm);
	free(up);
	return rc == MPI_SUCCESS ? 0 : 3;
}

/* Rank 0's record of the run. Times are CLOCK_REALTIME seconds. */
struct coord {
	double *ready_t;          /* per worker: when its MPI_Init returned */
	struct up_msg *fin;       /* per worker: its totals */
	double *results;
	char *outputs;
	char status[SL_STATUS_LEN];
	double t_all_ready;       /* the last ready message arrived */
	double t_go, t_end;       /* the run phase: dispatch begins .. the last result is in */
	struct usage self;        /* rank 0's own usage during the run phase */
};

static void coord_fail(struct coord *k, const char *prefix, const char *msg)
{
	if (strcmp(k->status, "ok") == 0)
		snprintf(k->status, sizeof(k->status), "%s%.150s", prefix, msg);
}

/* Every worker's ready message (setup done, or failed). */
static int coord_gather_ready(struct rank_ctx *c, struct coord *k)
{
	for (int got = 0; got < c->P; got++) {
		MPI_Status st;
		struct up_msg u;
		int rc = wait_up(c, TAG_UP, &st);

		if (rc == MPI_SUCCESS)
			rc = MPI_Recv(&u, sizeof(u), MPI_BYTE, st.MPI_SOURCE, TAG_UP, c->comm, MPI_STATUS_IGNORE);
		if (rc != MPI_SUCCESS)
			return rc;
		if (u.kind != UP_READY)
			coord_fail(k, "error:", "a worker spoke before it was ready");
		else
			k->ready_t[st.MPI_SOURCE - 1] = u.t;
		if (u.err)
			coord_fail(k, "error:", u.msg);
	}
	k->t_all_ready = sl_wall_clock();
	return MPI_SUCCESS;
}

/* Every worker's totals, sent after its last task. */
static int coord_gather_final(struct rank_ctx *c, struct coord *k)
{
	for (int i = 0; i < c->P; i++) {
		MPI_Status st;
		struct up_msg *f;
		int rc = wait_up(c, TAG_FINAL, &st);

		if (rc != MPI_SUCCESS)
			return rc;
		f = &k->fin[st.MPI_SOURCE - 1];
		rc = MPI_Recv(f, sizeof(*f), MPI_BYTE, st.MPI_SOURCE, TAG_FINAL, c->comm, MPI_STATUS_IGNORE);
		if (rc != MPI_SUCCESS)
			return rc;
		if (f->err)
			coord_fail(k, "error:", f->msg);
	}
	return MPI_SUCCESS;
}

/* Fill a chunk message for the next tasks, or a stop; returns its length. */
static int coord_next(struct rank_ctx *c, struct coord *k, char *send, int64_t *next)
{
	struct down_msg *d = (struct down_msg *)send;

	memset(d, 0, sizeof(*d));
	if (strcmp(k->status, "ok") != 0 || *next >= c->ntasks) {
		d->kind = DOWN_STOP;
		return sizeof(*d);
	}
	d->kind = DOWN_CHUNK;
	d->first = *next;
	d->count = c->ntasks - *next < c->chunk ? c->ntasks - *next : c->chunk;
	for (int64_t i = 0; i < d->count && c->in_b; i++)
		c->w->make_input(&c->s, (long)(*next + i), send + sizeof(*d) + (size_t)i * c->in_b);
	*next += d->count;
	return (int)(sizeof(*d) + (size_t)d->count * c->in_b);
}

/* Rank 0, dispatch = pipe: once every worker is ready, answer each request with a chunk or stop. */
static int coord_pipe(struct rank_ctx *c, struct coord *k)
{
	size_t cap = 0, scap = sizeof(struct down_msg) + (size_t)c->chunk * c->in_b;
	char *buf = NULL, *send = malloc(scap);
	int64_t next = 0, done = 0;
	int stopped = 0, rc;
	struct usage u0, u1;

	if (!send)
		return MPI_ERR_NO_MEM;
	rc = coord_gather_ready(c, k);
	usage_now(&u0);
	k->t_go = sl_wall_clock();
	/* the ready messages were the first requests */
	for (int i = 1; i <= c->P && rc == MPI_SUCCESS; i++) {
		int slen = coord_next(c, k, send, &next);

		if (((struct down_msg *)send)->kind == DOWN_STOP)
			stopped++;
		rc = MPI_Send(send, slen, MPI_BYTE, i, TAG_DOWN, c->comm);
	}
	while (rc == MPI_SUCCESS && stopped < c->P) {
		MPI_Status st;
		struct up_msg *u;
		int len, slen;

		rc = wait_up(c, TAG_UP, &st);
		if (rc == MPI_SUCCESS)
			rc = recv_sized(c->comm, &st, &buf, &cap, &len);
		if (rc != MPI_SUCCESS)
			break;
		u = (struct up_msg *)buf;
		if (u->kind == UP_RESULT && u->first >= 0 && u->count >= 0 && u->first + u->count <= c->ntasks) {
			memcpy(k->results + u->first, buf + sizeof(*u), (size_t)u->count * sizeof(double));
			if (c->out_b)
				memcpy(k->outputs + (size_t)u->first * c->out_b,
				       buf + sizeof(*u) + (size_t)u->count * sizeof(double),
				       (size_t)u->count * c->out_b);
			done += u->count;
			if (done == c->ntasks)
				k->t_end = sl_wall_clock();
		} else {
			coord_fail(k, "error:", "bad message from a worker");
		}
		if (u->err)
			coord_fail(k, "error:", u->msg);
		slen = coord_next(c, k, send, &next);
		if (((struct down_msg *)send)->kind == DOWN_STOP)
			stopped++;
		rc = MPI_Send(send, slen, MPI_BYTE, st.MPI_SOURCE, TAG_DOWN, c->comm);
	}
	usage_now(&u1);
	k->self = usage_delta(&u0, &u1);
	if (rc == MPI_SUCCESS)
		rc = coord_gather_final(c, k);
	free(buf);
	free(send);
	return rc;
}

/* Rank 0, dispatch = shm: once every worker is ready, release them together; they help themselves. */
static int coord_shm(struct rank_ctx *c, struct coord *k)
{
	struct usage u0, u1;
	int rc = MPI_Win_lock_all(MPI_MODE_NOCHECK, c->win);

	if (rc == MPI_SUCCESS)
		rc = coord_gather_ready(c, k);
	if (rc == MPI_SUCCESS && strcmp(k->status, "ok") != 0) {
		/* a worker could not set up: nobody runs anything */
		int64_t end = c->ntasks, old;

		rc = MPI_Fetch_and_op(&end, &old, MPI_INT64_T, 0, 0, MPI_REPLACE, c->win);
		if (rc == MPI_SUCCESS)
			rc = MPI_Win_flush(0, c->win);
	}
	if (rc == MPI_SUCCESS)
		rc = MPI_Barrier(c->comm);
	usage_now(&u0);
	k->t_go = sl_wall_clock();
	if (rc == MPI_SUCCESS)
		rc = coord_gather_final(c, k);
	k->t_end = sl_wall_clock();
	usage_now(&u1);
	k->self = usage_delta(&u0, &u1);
	if (rc == MPI_SUCCESS) {
		/* every worker flushed its puts before its totals: make them visible here */
		rc = MPI_Win_sync(c->win);
		memcpy(k->results, c->base + c->off_res, (size_t)c->ntasks * sizeof(double));
		if (c->out_b)
			memcpy(k->outputs, c->base + c->off_out, (size_t)c->ntasks * c->out_b);
		MPI_Win_unlock_all(c->win);
	}
	return rc;
}

/* Print rank 0's result line: status, the time shutdown began, and every metric it measured. */
static void coord_report(double t_stop, const char *status, const struct sl_metrics *m)
{
	char *line = NULL, *enc = sl_mpi_pct_encode(status);
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);

	if (!f || !enc) {
		/* a bare line still tells the plain side what happened */
		printf(RESULT_MARK "status=error%%3Aout%%20of%%20memory\n");
		fflush(stdout);
		if (f)
			fclose(f);
		free(line);
		free(enc);
		return;
	}
	fprintf(f, RESULT_MARK "status=%s stop_t=%.6f", enc, t_stop);
	for (size_t i = 0; i < sl_metric_ncolumns; i++) {
		double v = sl_metric_get(m, &sl_metric_columns[i]);

		fprintf(f, " %s=", sl_metric_columns[i].name);
		if (!isnan(v))
			fprintf(f, "%.9g", v);
	}
	fputc('\n', f);
	fclose(f);
	fflush(stdout);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(1, line + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(line);
	free(enc);
}

/* The run's raw totals into m (monitor/metrics.c, as for the pool): times, CPU and context switches
 * cover the run phase (all workers ready .. last result), start-up is in start_latency_ms (launch ..
 * each worker's MPI_Init done, median) and pool_start_ms (launch .. all set up). A failed run has no
 * run phase to compare. */
static void coord_metrics(struct rank_ctx *c, struct coord *k, struct sl_metrics *m)
{
	struct sl_worker_totals *wt = calloc((size_t)c->P, sizeof(*wt));
	bool failed = strcmp(k->status, "ok") != 0 || isnan(k->t_end);
	struct sl_run_totals t;
	int32_t self_threads = 0;

	threads_sample(&self_threads);
	sl_run_totals_init(&t);
	t.user_s = k->self.user_s;
	t.sys_s = k->self.sys_s;
	t.ctx_vol = k->self.nvcsw;
	t.ctx_invol = k->self.nivcsw;
	for (int i = 0; i < c->P; i++) {
		const struct up_msg *f = &k->fin[i];

		if (wt) {
			wt[i].start_ms = isnan(k->ready_t[i]) ? NAN : (k->ready_t[i] - c->t_launch) * 1e3;
			wt[i].threads = -1;
		}
		if (f->kind != UP_FINAL)
			continue;
		t.user_s += f->run.user_s;
		t.sys_s += f->run.sys_s;
		t.ctx_vol += f->run.nvcsw;
		t.ctx_invol += f->run.nivcsw;
		if (!wt)
			continue;
		wt[i].busy_s = f->busy_s;
		wt[i].rss_kib = f->run.maxrss_kb;
		wt[i].threads = f->threads_peak > 0 ? f->threads_peak : -1;
		wt[i].lib_threads = f->lib_threads;
	}
	if (failed)
		t.user_s = t.sys_s = t.ctx_vol = t.ctx_invol = NAN;
	else
		t.wall_s = k->t_end - k->t_go;
	if (!isnan(k->t_all_ready))
		t.pool_start_ms = (k->t_all_ready - c->t_launch) * 1e3;
	t.ntasks = c->ntasks;
	t.flops_per_task = c->w->flops_per_task ? c->w->flops_per_task(&c->s) : 0;
	t.dispatch_only = (c->w->engine_flags & SL_WL_DISPATCH_ONLY) != 0;
	t.coord_threads = self_threads > 0 ? self_threads : -1;
	t.nworkers = wt ? c->P : 0;
	t.workers = wt;
	sl_run_metrics(&t, m);
	free(wt);
}

/* Rank 0: run the whole repetition and print its result line. */
static int coord_main(struct rank_ctx *c)
{
	struct coord k = { .t_all_ready = NAN, .t_go = NAN, .t_end = NAN };
	struct sl_metrics m;
	int rc = MPI_SUCCESS;

	strcpy(k.status, "ok");
	sl_metrics_clear(&m);
	k.ready_t = malloc((size_t)c->P * sizeof(double));
	k.fin = calloc((size_t)c->P, sizeof(struct up_msg));
	k.results = malloc((size_t)c->ntasks * sizeof(double));
	k.outputs = c->out_b ? malloc((size_t)c->ntasks * c->out_b) : NULL;
	if (!k.ready_t || !k.fin || !k.results || (c->out_b && !k.outputs)) {
		coord_fail(&k, "error:", "rank 0: out of memory");
		rc = MPI_ERR_NO_MEM;
		goto out_report;
	}
	for (int i = 0; i < c->P; i++)
		k.ready_t[i] = NAN;
	for (long i = 0; i < c->ntasks; i++)
		k.results[i] = NAN;
	rc = c->shm ? coord_shm(c, &k) : coord_pipe(c, &k);
	if (rc != MPI_SUCCESS) {
		char t[160];

		mpi_errtext(rc, t, sizeof(t));
		coord_fail(&k, "error:", t);
	}
	if (strcmp(k.status, "ok") == 0 && c->w->verify) {
		char msg[SL_STATUS_LEN] = "";

		if (c->w->verify(&c->s, c->ntasks, k.results, k.outputs, msg, sizeof(msg)) != 0)
			coord_fail(&k, "error:", msg[0] ? msg : "results failed the check");
	}
	coord_metrics(c, &k, &m);
	/* figures the workload measured inside its tasks (GPU time, bandwidth), after our own */
	if (strcmp(k.status, "ok") == 0 && c->w->metrics)
		c->w->metrics(&c->s, c->ntasks, k.results, k.outputs, &m);

out_report:
	/* shutdown begins now: pool_stop_ms runs from here to the launcher reaped */
	coord_report(sl_wall_clock(), k.status, &m);
	free(k.ready_t);
	free(k.fin);
	free(k.results);
	free(k.outputs);
	return rc;
}

/* Read this rank's arguments: --launch T0 --tag PID --setting TEXT. */
static int rank_args(int argc, char **argv, struct rank_ctx *c, char *msg, size_t msglen)
{
	char *text = NULL;
	int err;

	c->t_launch = NAN;
	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc) {
			snprintf(msg, msglen, "option '%s' needs a value", argv[i]);
			return -EINVAL;
		}
		if (strcmp(argv[i], "--launch") == 0) {
			if (!sl_parse_double(argv[++i], &c->t_launch)) {
				snprintf(msg, msglen, "bad --launch '%s'", argv[i]);
				return -EINVAL;
			}
		} else if (strcmp(argv[i], "--tag") == 0) {
			i++;    /* only there so tests and users can tell whose ranks these are */
		} else if (strcmp(argv[i], "--setting") == 0) {
			text = argv[++i];
		} else {
			snprintf(msg, msglen, "unknown option '%s'", argv[i]);
			return -EINVAL;
		}
	}
	if (!text || isnan(c->t_launch)) {
		snprintf(msg, msglen, "usage: speedlab __mpi --launch T0 --tag PID --setting TEXT");
		return -EINVAL;
	}
	text = strdup(text);
	if (!text || !sl_mpi_pct_decode(text)) {
		free(text);
		snprintf(msg, msglen, "bad --setting encoding");
		return -EINVAL;
	}
	err = sl_setting_read(&c->s, text, msg, msglen);
	free(text);
	return err;
}

static const struct sl_workload_ops *find_workload(const char *name,
						   const struct sl_workload_ops *const *extra)
{
	for (; extra && *extra; extra++)
		if (strcmp((*extra)->name, name) == 0)
			return *extra;
	return sl_workload_find(name);
}

/* Everything every rank must agree on before the run; msg says what is wrong. */
static int rank_prepare(struct rank_ctx *c, const struct sl_workload_ops *const *extra, char *msg,
			size_t msglen)
{
	c->w = find_workload(c->s.workload, extra);
	if (!c->w || !c->w->run_task) {
		snprintf(msg, msglen, "unknown workload '%s'", c->s.workload);
		return -EINVAL;
	}
	if (c->w->unimplemented_reason) {
		snprintf(msg, msglen, "workload %s: %s", c->w->name, c->w->unimplemented_reason);
		return -EINVAL;
	}
	if (c->P != c->s.processes) {
		snprintf(msg, msglen, "the launcher started %d ranks, expected %d", c->size,
			 c->s.processes + 1);
		return -EINVAL;
	}
	c->ntasks = sl_workload_ntasks(c->w, &c->s);
	c->in_b = c->w->task_in_bytes ? c->w->task_in_bytes(&c->s) : 0;
	c->out_b = c->w->task_out_bytes ? c->w->task_out_bytes(&c->s) : 0;
	if (c->in_b && !c->w->make_input) {
		snprintf(msg, msglen, "workload %s has inputs but no make_input", c->w->name);
		return -EINVAL;
	}
	c->chunk = c->s.chunksize > 0 ? c->s.chunksize : 1;
	if (c->ntasks < 1) {
		snprintf(msg, msglen, "no tasks");
		return -EINVAL;
	}
	if ((size_t)c->chunk * (c->in_b > c->out_b ? c->in_b : c->out_b) > (size_t)1 << 30) {
		snprintf(msg, msglen, "a chunk moves more than 1 GiB: use a smaller chunksize");
		return -EINVAL;
	}
	c->shm = strcmp(c->s.dispatch, "shm") == 0;
	return 0;
}

/* shm: rank 0 exposes the counter, results, outputs and inputs (all inputs made up front). */
static int window_create(struct rank_ctx *c)
{
	MPI_Aint size = 0;
	int rc;

	c->off_res = 8;
	c->off_out = c->off_res + (MPI_Aint)c->ntasks * 8;
	c->off_in = c->off_out + (MPI_Aint)((size_t)c->ntasks * c->out_b);
	if (c->rank == 0)
		size = c->off_in + (MPI_Aint)((size_t)c->ntasks * c->in_b);
	rc = MPI_Win_allocate(size, 1, MPI_INFO_NULL, c->comm, &c->base, &c->win);
	if (rc != MPI_SUCCESS)
		return rc;
	if (c->rank == 0) {
		memset(c->base, 0, (size_t)c->off_in);
		for (long t = 0; t < c->ntasks && c->in_b; t++)
			c->w->make_input(&c->s, t, c->base + c->off_in + (size_t)t * c->in_b);
	}
	/* nobody claims a chunk before the counter and the inputs are there */
	return MPI_Barrier(c->comm);
}

long sl_mpi_srun_local_tasks(void)
{
	const char *list = getenv("SLURM_STEP_TASKS_PER_NODE"), *id = getenv("SLURM_NODEID");
	long node, n, times;
	char *end;

	if (!list || !id || getenv("OMPI_COMM_WORLD_SIZE") || !sl_parse_long(id, &node) || node < 0)
		return 0;
	for (const char *p = list; *p;) {
		n = strtol(p, &end, 10);
		if (end == p || n < 0)
			return 0;
		times = 1;
		if (strncmp(end, "(x", 2) == 0) {
			times = strtol(end + 2, &end, 10);
			if (*end++ != ')' || times < 1)
				return 0;
		}
		if (node < times)
			return n;
		node -= times;
		if (*end != ',')
			return 0;
		p = end + 1;
	}
	return 0;
}

int sl_mpi_rank_run(int argc, char **argv, const struct sl_workload_ops *const *extra)
{
	struct rank_ctx *c = calloc(1, sizeof(*c));
	char msg[SL_STATUS_LEN] = "";
	int err, rc, ret = 0, provided;

	if (!c) {
		sl_err("__mpi: out of memory");
		return 3;
	}
	err = rank_args(argc, argv, c, msg, sizeof(msg));
	/* More ranks than CPUs on a node: waiting ranks must yield the CPU, or their busy polling starves
	 * the others (MPI_Win_allocate took 1.4 s instead of 1 ms for 4 ranks on 2 CPUs). mpirun decides
	 * that from its slots (--oversubscribe); srun's ranks learn only Slurm's CPU count, so each rank
	 * decides from the node's CPUs, unless the user set it. */
	if (sl_mpi_srun_local_tasks() > sysconf(_SC_NPROCESSORS_ONLN))
		setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0);
	rc = MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
	if (rc != MPI_SUCCESS) {
		sl_err("__mpi: MPI_Init failed");
		free(c);
		return 3;
	}
	c->t_entry = sl_wall_clock();
	c->comm = MPI_COMM_WORLD;
	MPI_Comm_set_errhandler(c->comm, MPI_ERRORS_RETURN);
	MPI_Comm_rank(c->comm, &c->rank);
	MPI_Comm_size(c->comm, &c->size);
	c->P = c->size - 1;
	if (!err)
		err = rank_prepare(c, extra, msg, sizeof(msg));
	if (!err && c->shm && (rc = window_create(c)) != MPI_SUCCESS) {
		mpi_errtext(rc, msg, sizeof(msg));
		err = -EIO;
	}
	if (err) {
		/* every rank sees the same arguments, so every rank stops here; rank 0 says why */
		if (c->rank == 0) {
			char status[SL_STATUS_LEN];
			struct sl_metrics m;

			sl_metrics_clear(&m);
			snprintf(status, sizeof(status), "error:%.150s", msg);
			coord_report(sl_wall_clock(), status, &m);
		}
		goto out_finalize;
	}
	if (c->rank == 0)
		rc = coord_main(c);
	else
		ret = worker_main(c);
	if (c->shm)
		MPI_Win_free(&c->win);
	if (c->rank == 0 && rc != MPI_SUCCESS) {
		/* a worker is gone or unreachable: do not wait for it in MPI_Finalize */
		MPI_Abort(c->comm, 3);
	}
out_finalize:
	MPI_Finalize();
	free(c);
	return ret;
}
