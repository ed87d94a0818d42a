/* dispatch.c: the coordinator's side of the channels: chunks written to the workers (batch: one pipe each,
 * pipe: one shared task pipe), results read back and handled. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <omp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pool/pool_internal.h"

int sl_pool_epoll(struct sl_pool *p, int op, int fd, uint32_t events, int kind, int i)
{
	struct epoll_event ev = { .events = events, .data.u64 = ((uint64_t)kind << 32) | (uint32_t)i };

	return epoll_ctl(p->epfd, op, fd, &ev) < 0 ? -errno : 0;
}

static int pool_window(const struct sl_pool_worker *wk)
{
	double win;

	if (wk->ema_chunk_s <= 0 || wk->ema_chunk_s >= POOL_SINGLE_CHUNK_S)
		return 1;
	win = POOL_QUEUE_S / wk->ema_chunk_s;
	if (win < 2)
		return 2;
	if (win > POOL_WINDOW_MAX)
		return POOL_WINDOW_MAX;
	return (int)win;
}

void sl_pool_flush(struct sl_pool *p, int i)
{
	struct sl_pool_worker *wk = &p->workers[i];

	while (wk->ooff < wk->olen) {
		ssize_t n = write(wk->to_fd, wk->obuf + wk->ooff, wk->olen - wk->ooff);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				if (!wk->to_armed && sl_pool_epoll(p, EPOLL_CTL_ADD, wk->to_fd, EPOLLOUT, EV_TO, i) == 0)
					wk->to_armed = true;
				return;
			}
			/* EPIPE: the worker is gone; its exit is on the way through its pidfd */
			wk->ooff = wk->olen = 0;
			break;
		}
		wk->ooff += (size_t)n;
	}
	wk->ooff = wk->olen = 0;
	if (wk->to_armed) {
		epoll_ctl(p->epfd, EPOLL_CTL_DEL, wk->to_fd, NULL);
		wk->to_armed = false;
	}
}

/* Queue chunks for worker i up to its window, then write them in one go. */
void sl_pool_refill(struct sl_pool *p, int i)
{
	struct sl_pool_worker *wk = &p->workers[i];
	size_t in_b = p->shm->in_bytes;
	int win = pool_window(wk);
	bool queued = false;

	while (wk->outstanding < win && p->next_task < p->ntasks) {
		long count = p->ntasks - p->next_task < p->shm->chunksize ? p->ntasks - p->next_task : p->shm->chunksize;
		struct pool_chunk_msg cm = { .type = MSG_CHUNK, .count = (uint32_t)count, .first = p->next_task };
		size_t need = sizeof(cm) + align16((size_t)count * in_b);

		if (wk->olen + need > wk->ocap) {
			size_t cap = wk->ocap ? wk->ocap : 4096;
			char *nb;

			while (cap < wk->olen + need)
				cap *= 2;
			nb = realloc(wk->obuf, cap);
			if (!nb) {
				sl_pool_fail(p, "error:out of memory for worker %d's chunks", i);
				return;
			}
			wk->obuf = nb;
			wk->ocap = cap;
		}
		memcpy(wk->obuf + wk->olen, &cm, sizeof(cm));
		if (in_b) {
			char *in = wk->obuf + wk->olen + sizeof(cm);

			memset(in, 0, need - sizeof(cm));
			memcpy(in, p->inputs + (size_t)p->next_task * in_b, (size_t)count * in_b);
		}
		wk->olen += need;
		wk->outstanding++;
		p->next_task += count;
		queued = true;
	}
	if (queued && !wk->to_armed)
		sl_pool_flush(p, i);
}

/* dispatch = pipe: write chunk messages into the shared task pipe while it takes them, one message per
 * write (Python's task handler, without its thread); when the pipe is full, go on once it is writable. */
void sl_pool_fill_shared(struct sl_pool *p)
{
	size_t in_b = p->shm->in_bytes;

	while (p->task_fd >= 0) {
		ssize_t n;

		if (p->toff == p->tlen) {
			long count = p->ntasks - p->next_task < p->shm->chunksize ? p->ntasks - p->next_task
										   : p->shm->chunksize;
			struct pool_chunk_msg cm = { .type = MSG_CHUNK, .count = (uint32_t)count, .first = p->next_task };
			size_t need = sizeof(cm) + align16((size_t)count * in_b);

			if (p->next_task >= p->ntasks)
				break;
			if (need > p->tcap) {
				char *nb = realloc(p->tbuf, need);

				if (!nb) {
					sl_pool_fail(p, "error:out of memory for a chunk message");
					return;
				}
				p->tbuf = nb;
				p->tcap = need;
			}
			memcpy(p->tbuf, &cm, sizeof(cm));
			memset(p->tbuf + sizeof(cm), 0, need - sizeof(cm));
			if (in_b)
				memcpy(p->tbuf + sizeof(cm), p->inputs + (size_t)p->next_task * in_b, (size_t)count * in_b);
			p->tlen = need;
			p->toff = 0;
			p->next_task += count;
		}
		n = write(p->task_fd, p->tbuf + p->toff, p->tlen - p->toff);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				if (!p->task_armed && sl_pool_epoll(p, EPOLL_CTL_ADD, p->task_fd, EPOLLOUT, EV_TASK, 0) == 0)
					p->task_armed = true;
				return;
			}
			/* EPIPE: no worker is left to read; their exits say why */
			p->toff = p->tlen;
			break;
		}
		p->toff += (size_t)n;
	}
	if (p->task_armed) {
		epoll_ctl(p->epfd, EPOLL_CTL_DEL, p->task_fd, NULL);
		p->task_armed = false;
	}
}

static void pool_handle_msg(struct sl_pool *p, int i, const struct pool_reply_msg *h, const char *payload);

/* dispatch = pipe: read the shared result pipe one message at a time, each read asking for exactly
 * the rest of the current message (its header, then its payload). Returns the bytes read, 0 when
 * nothing was there or at end of file, -1 on a fault. */
ssize_t sl_pool_read_shared(struct sl_pool *p)
{
	ssize_t total = 0;

	while (!p->fault && p->result_fd >= 0) {
		struct pool_reply_msg h;
		size_t want = sizeof(h);
		ssize_t n;

		if (p->rlen >= sizeof(h)) {
			memcpy(&h, p->rbuf, sizeof(h));
			if (h.len > ((size_t)1 << 40) || h.worker < 0 || h.worker >= p->nworkers) {
				sl_pool_fail(p, "error:a worker sent a malformed message");
				return -1;
			}
			want = sizeof(h) + h.len;
			if (p->rlen == want) {
				pool_handle_msg(p, h.worker, &h, p->rbuf + sizeof(h));
				p->rlen = 0;
				continue;
			}
		}
		if (want > p->rcap) {
			char *nb = realloc(p->rbuf, want);

			if (!nb) {
				sl_pool_fail(p, "error:out of memory for the workers' results");
				return -1;
			}
			p->rbuf = nb;
			p->rcap = want;
		}
		n = read(p->result_fd, p->rbuf + p->rlen, want - p->rlen);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			/* every worker closed the result pipe: they are exiting (their pidfds say how) */
			epoll_ctl(p->epfd, EPOLL_CTL_DEL, p->result_fd, NULL);
			close(p->result_fd);
			p->result_fd = -1;
			break;
		}
		p->rlen += (size_t)n;
		total += n;
	}
	return p->fault ? -1 : total;
}

static void pool_handle_msg(struct sl_pool *p, int i, const struct pool_reply_msg *h, const char *payload)
{
	struct sl_pool_worker *wk = &p->workers[i];
	size_t out_b = p->shm->out_bytes;

	switch (h->type) {
	case MSG_READY:
		if (!wk->ready) {
			wk->ready = true;
			p->nready++;
		}
		return;
	case MSG_RESULT:
		if (p->shm->shm_dispatch || h->first < 0 || h->count == 0 || h->first + (int64_t)h->count > p->ntasks ||
		    h->len < h->count * (sizeof(double) + out_b) || (!p->shm->shared_pipe && wk->outstanding <= 0)) {
			sl_pool_fail(p, "error:worker %d sent a malformed result", i);
			return;
		}
		memcpy(p->results + h->first, payload, h->count * sizeof(double));
		if (out_b)
			memcpy(p->outputs + h->first * out_b, payload + h->count * sizeof(double), h->count * out_b);
		wk->outstanding--;
		p->ndone += h->count;
		{
			/* never 0, so a measured chunk is told apart from one not measured yet */
			double b = (h->busy_s > 0 ? h->busy_s : 0) + 1e-9;

			wk->ema_chunk_s = wk->ema_chunk_s <= 0 ? b : 0.75 * wk->ema_chunk_s + 0.25 * b;
		}
		return;
	case MSG_DONE:
		if (!wk->done) {
			wk->done = true;
			p->ndone_workers++;
			p->ndone += h->count;
		}
		return;
	case MSG_ERROR:
		sl_pool_fail(p, "error:%.*s", (int)(h->len ? strnlen(payload, h->len) : 0), payload);
		return;
	default:
		sl_pool_fail(p, "error:worker %d sent an unknown message", i);
	}
}

/* Read what worker i sent and handle every whole message. Returns the bytes read, 0 at end of file
 * or when nothing was there, -1 on a fault. */
ssize_t sl_pool_read(struct sl_pool *p, int i)
{
	struct sl_pool_worker *wk = &p->workers[i];
	size_t pos = 0;
	ssize_t n;

	if (wk->icap - wk->ilen < 16384) {
		size_t cap = wk->icap ? wk->icap * 2 : 65536;
		char *nb = realloc(wk->ibuf, cap);

		if (!nb) {
			sl_pool_fail(p, "error:out of memory for worker %d's results", i);
			return -1;
		}
		wk->ibuf = nb;
		wk->icap = cap;
	}
	n = read(wk->from_fd, wk->ibuf + wk->ilen, wk->icap - wk->ilen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		/* the worker closed its channel: it is exiting (its pidfd will say how) */
		wk->eof = true;
		wk->eof_t = sl_now();
		epoll_ctl(p->epfd, EPOLL_CTL_DEL, wk->from_fd, NULL);
		return 0;
	}
	wk->ilen += (size_t)n;
	while (!p->fault && wk->ilen - pos >= sizeof(struct pool_reply_msg)) {
		struct pool_reply_msg h;
		size_t total;

		memcpy(&h, wk->ibuf + pos, sizeof(h));
		if (h.len > ((size_t)1 << 40)) {
			sl_pool_fail(p, "error:worker %d sent a malformed message", i);
			return -1;
		}
		total = sizeof(h) + h.len;
		if (wk->ilen - pos < total) {
			if (total > wk->icap) {
				char *nb;

				memmove(wk->ibuf, wk->ibuf + pos, wk->ilen - pos);
				wk->ilen -= pos;
				pos = 0;
				nb = realloc(wk->ibuf, total + 16384);
				if (!nb) {
					sl_pool_fail(p, "error:out of memory for worker %d's results", i);
					return -1;
				}
				wk->ibuf = nb;
				wk->icap = total + 16384;
			}
			break;
		}
		pool_handle_msg(p, i, &h, wk->ibuf + pos + sizeof(h));
		pos += total;
	}
	memmove(wk->ibuf, wk->ibuf + pos, wk->ilen - pos);
	wk->ilen -= pos;
	if (p->phase == SL_POOL_RUN && !p->shm->shm_dispatch && !p->fault)
		sl_pool_refill(p, i);
	return n;
}
