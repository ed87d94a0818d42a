/* forkserver.c: the forkserver start method: a small single-threaded server, started before any library
 * thread exists, forks each worker on request over a Unix socket (descriptors passed with SCM_RIGHTS). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pool/pool_internal.h"

enum { FS_START = 1, FS_STARTED, FS_EXITED };

/* coordinator -> server, with the worker's two pipe ends and the shared region as SCM_RIGHTS */
struct fs_request {
	uint32_t type;
	uint32_t token;                /* with requester: which answer is whose */
	pid_t requester;
	int id;
	pid_t pgid;
	int nenv;
	char env[SL_POOL_MAX_ENV][SL_POOL_ENV_LEN];
};

/* server -> coordinator: STARTED (with the worker's pidfd) or EXITED */
struct fs_reply {
	uint32_t type;
	uint32_t token;
	pid_t requester;
	pid_t pid;
	int err;
	int wstatus;
};

static pid_t fs_pid = -1;        /* the server, our child */
static pid_t fs_owner = -1;      /* the process that started it (sub-coordinators only use it) */
static int fs_fd = -1;           /* our end of its socket */
static uint32_t fs_token;
static int fs_restarts;          /* servers found dead or stopped and started again */
/* How long the coordinator waits for the server to stop before it kills it. */
#define FS_STOP_WAIT_MS 2000

/* ---- the server ---- */

static int fs_send(int fd, const struct fs_reply *r, int pass_fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)r, .iov_len = sizeof(*r) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (pass_fd >= 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	while (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

/* One START: fork the worker, answer with its pid and a pidfd on it. */
static void fs_start(int fd, int sfd, const struct fs_request *req, const int fds[3], pid_t **kids, int *nkids,
		     int *capkids)
{
	struct fs_reply r = { .type = FS_STARTED, .token = req->token, .requester = req->requester };
	pid_t server = getpid(), pid;
	int pidfd = -1;

	if (*nkids == *capkids) {
		int cap = *capkids ? *capkids * 2 : 64;
		pid_t *nk = realloc(*kids, sizeof(pid_t) * (size_t)cap);

		if (!nk) {
			r.err = ENOMEM;
			fs_send(fd, &r, -1);
			return;
		}
		*kids = nk;
		*capkids = cap;
	}
	pid = fork();
	if (pid == 0) {
		double entry_t = sl_now();
		struct sl_pool_shm *shm;

		close(fd);
		close(sfd);
		setpgid(0, req->pgid);
		sl_pool_child_prepare(req->env, req->nenv, fds, 3, server);
		shm = sl_pool_shm_map(fds[2]);
		if (!shm)
			_exit(1);
		close(fds[2]);
		sl_pool_worker_serve(shm, NULL, req->id, fds[0], fds[1], entry_t);
	}
	if (pid < 0) {
		r.err = errno;
	} else {
		setpgid(pid, req->pgid ? req->pgid : pid);
		(*kids)[(*nkids)++] = pid;
		r.pid = pid;
		pidfd = pidfd_open(pid, 0);
		if (pidfd < 0)
			r.err = errno;
	}
	fs_send(fd, &r, pidfd);
	if (pidfd >= 0)
		close(pidfd);
}

static _Noreturn void fs_serve(int fd, pid_t coordinator)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigset_t chld;
	pid_t *kids = NULL;
	int nkids = 0, capkids = 0, sfd, keep[2];

	/* a clean slate: no inherited handlers, no stray descriptors, gone with the coordinator */
	keep[0] = fd;
	sl_pool_child_prepare(NULL, 0, keep, 1, coordinator);
	/* Ctrl-C is for the coordinator, which stops us through finish() */
	sigaction(SIGINT, &ign, NULL);
	sigaction(SIGHUP, &ign, NULL);
	sigaction(SIGPIPE, &ign, NULL);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		_exit(1);
	for (;;) {
		struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents) {
			struct signalfd_siginfo si;
			struct fs_reply r = { .type = FS_EXITED };
			pid_t pid;
			int st;

			while (read(sfd, &si, sizeof(si)) > 0)
				;
			while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
				for (int i = 0; i < nkids; i++)
					if (kids[i] == pid) {
						kids[i] = kids[--nkids];
						break;
					}
				r.pid = pid;
				r.wstatus = st;
				if (fs_send(fd, &r, -1) == -EPIPE)
					goto out_kill;
			}
		}
		if (pfd[0].revents) {
			union {
				char buf[CMSG_SPACE(sizeof(int) * 3)];
				struct cmsghdr align;
			} u;
			struct fs_request req;
			struct iovec iov = { .iov_base = &req, .iov_len = sizeof(req) };
			struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
					      .msg_controllen = sizeof(u.buf) };
			struct cmsghdr *c;
			int fds[3] = { -1, -1, -1 }, nfds = 0;
			ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;          /* the coordinator closed the socket: stop */
			for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
				if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
					nfds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
					if (nfds > 3)
						nfds = 3;
					memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)nfds);
				}
			if (n == (ssize_t)sizeof(req) && req.type == FS_START && nfds == 3 && req.nenv >= 0 &&
			    req.nenv <= SL_POOL_MAX_ENV) {
				fs_start(fd, sfd, &req, fds, &kids, &nkids, &capkids);
			} else {
				/* descriptors cut off: this server is out of them (not a protocol fault) */
				struct fs_reply r = { .type = FS_STARTED, .token = req.token, .requester = req.requester,
						      .err = (msg.msg_flags & MSG_CTRUNC) ? EMFILE : EPROTO };

				fs_send(fd, &r, -1);
			}
			for (int i = 0; i < nfds; i++)
				close(fds[i]);
		}
	}
out_kill:
	/* whatever still runs dies with the server */
	for (int i = 0; i < nkids; i++)
		kill(kids[i], SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	_exit(0);
}

/* ---- the coordinator's side ---- */

static int fs_prepare(void)
{
	int sv[2];
	pid_t self = getpid(), pid;

	if (fs_fd >= 0)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(sv[0]);
		close(sv[1]);
		return err;
	}
	if (pid == 0) {
		close(sv[0]);
		fs_serve(sv[1], self);
	}
	close(sv[1]);
	fs_fd = sv[0];
	fs_pid = pid;
	fs_owner = self;
	return 0;
}

/* Stop the server: end of file on its socket (it kills and reaps its workers and exits), a
 * bounded wait, then SIGKILL (a stopped server too). Never blocks for long, never fails. */
static void fs_finish(void)
{
	int pidfd;

	if (fs_fd < 0)
		return;
	close(fs_fd);
	fs_fd = -1;
	if (fs_pid > 0 && getpid() == fs_owner) {
		pidfd = pidfd_open(fs_pid, 0);
		if (pidfd < 0 || poll(&(struct pollfd){ .fd = pidfd, .events = POLLIN }, 1, FS_STOP_WAIT_MS) <= 0)
			kill(fs_pid, SIGKILL);
		if (pidfd >= 0)
			close(pidfd);
		while (waitpid(fs_pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	fs_pid = -1;
}

/* Whether the forkserver is dead or stopped (no answer or exit report will come). */
static bool fs_stuck(void)
{
	struct sl_proc_stat st;

	if (fs_fd < 0 || fs_pid <= 0)
		return false;
	return !sl_proc_stat(fs_pid, &st) || st.state == 'Z' || st.state == 'X' || st.state == 'T' || st.state == 't';
}

int sl_forkserver_restarts(void)
{
	return fs_restarts;
}

/* Before a request: a server that died or was stopped is replaced (by the process that started it;
 * a sub-coordinator, which has library threads, must not fork one). 0, or -EPIPE. */
static int fs_supervise(void)
{
	if (!fs_stuck())
		return 0;
	if (getpid() != fs_owner)
		return -EPIPE;
	kill(fs_pid, SIGKILL);
	fs_finish();
	fs_restarts++;
	sl_warn("the forkserver had died or was stopped: started a new one");
	return fs_prepare();
}

/* Start the forkserver now if it is not running (before the pool forks a sub-coordinator). 0 or -errno. */
static int fs_ensure(void)
{
	int rc = fs_prepare();

	return rc < 0 ? rc : fs_supervise();
}

pid_t sl_forkserver_pid(void)
{
	return fs_fd >= 0 ? fs_pid : -1;
}

/* Receive one message: 1 got one, 0 none waiting (nonblocking), -EPIPE server gone, -errno. */
static int fs_recv(struct fs_reply *r, int *pidfd, bool block)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = r, .iov_len = sizeof(*r) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	ssize_t n;

	*pidfd = -1;
	do
		n = recvmsg(fs_fd, &msg, MSG_CMSG_CLOEXEC | (block ? 0 : MSG_DONTWAIT));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		return -EPIPE;
	if (msg.msg_flags & MSG_CTRUNC)
		return -EMFILE;           /* the worker's pidfd did not fit: we are out of descriptors */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(pidfd, CMSG_DATA(c), sizeof(int));
	if (n != (ssize_t)sizeof(*r)) {
		if (*pidfd >= 0)
			close(*pidfd);
		*pidfd = -1;
		r->type = 0;
	}
	return 1;
}

/* Handle a message that is not the answer being waited for: exits go to the pool (which ignores pids not
 * its own), stale answers (of a sub-coordinator killed mid-request) are dropped. The socket is shared with
 * forked sub-coordinators, hence the requester's pid in every request. */
static void fs_other(struct sl_pool *pool, const struct fs_reply *r, int pidfd)
{
	if (r->type == FS_EXITED)
		sl_pool_relay_exit(pool, r->pid, r->wstatus);
	if (pidfd >= 0)
		close(pidfd);
}

static int fs_relay_read(struct sl_pool *pool)
{
	struct fs_reply r;
	int pidfd, rc;

	while ((rc = fs_recv(&r, &pidfd, false)) > 0)
		fs_other(pool, &r, pidfd);
	return rc == -EPIPE ? -EPIPE : 0;
}

static int fs_start_worker(struct sl_pool *pool, int id)
{
	struct sl_pool_worker *wk = &pool->workers[id];
	union {
		char buf[CMSG_SPACE(sizeof(int) * 3)];
		struct cmsghdr align;
	} u;
	struct fs_request req = { .type = FS_START, .id = id, .pgid = pool->pgid, .nenv = pool->nenv };
	struct iovec iov = { .iov_base = &req, .iov_len = sizeof(req) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	int fds[3] = { wk->child_in, wk->child_out, pool->shm_fd };
	double limit;
	int rc;

	if ((rc = fs_prepare()) < 0 || (id == 0 && (rc = fs_supervise()) < 0))
		return rc;
	if (id == 0 && fs_relay_read(NULL) == -EPIPE)
		return -EPIPE;
	req.token = ++fs_token;
	req.requester = getpid();
	memcpy(req.env, pool->env, sizeof(req.env));
	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	while (sendmsg(fs_fd, &msg, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -errno;
	pool->relay_fd = fs_fd;
	pool->relay_read = fs_relay_read;
	limit = sl_now() + 10;
	for (;;) {
		struct pollfd pfd = { .fd = fs_fd, .events = POLLIN };
		struct fs_reply r;
		int pidfd;

		if (sl_now() > limit)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, 100) <= 0) {
			if (fs_stuck())
				return -EPIPE;    /* stopped or dead: no answer will come */
			continue;
		}
		rc = fs_recv(&r, &pidfd, false);
		if (rc < 0)
			return rc;
		if (rc == 0)
			continue;
		if (r.type != FS_STARTED || r.token != req.token || r.requester != req.requester) {
			fs_other(pool, &r, pidfd);
			continue;
		}
		if (r.err || pidfd < 0) {
			if (pidfd >= 0)
				close(pidfd);
			return -(r.err ? r.err : EPROTO);
		}
		sl_pool_worker_started(pool, id, r.pid, pidfd, true);
		return 0;
	}
}

const struct sl_launcher_ops sl_launcher_forkserver = {
	.name = "forkserver",
	.help = "a clean single-threaded server, started first, forks each worker on request (Unix socket)",
	.unimplemented_reason = NULL,
	.prepare = fs_prepare,
	.finish = fs_finish,
	.start_worker = fs_start_worker,
	.engine_flags = SL_LAUNCH_HELPER_PROC,
	.helper_ensure = fs_ensure,
	.helper_stuck = fs_stuck,
	.helper_pid = sl_forkserver_pid,
};
