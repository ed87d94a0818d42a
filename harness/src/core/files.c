/* files.c: result files are data: readers open only regular files (never blocking on a FIFO),
 * outputs never follow a link nor replace a device, and a result directory has one writer. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/speedlab.h"

const char *sl_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err == SL_ENOTREG)
		return "not a regular file (a FIFO, device, socket or directory is never read or replaced)";
	if (err == ELOOP)
		return "a symbolic link (not followed here)";
	return strerror(err);
}

int sl_open_regular(const char *path, bool nofollow)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (nofollow ? O_NOFOLLOW : 0));

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -SL_ENOTREG;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

FILE *sl_fopen_output(const char *path, bool append)
{
	int fd, flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
	struct stat st;
	FILE *f;
	int err = 0;

	if (!append && unlink(path) < 0 && errno != ENOENT)
		return NULL;
	fd = open(path, flags | (append ? O_APPEND : O_EXCL), 0666);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0)
		err = errno;
	else if (!S_ISREG(st.st_mode))
		err = SL_ENOTREG;
	if (err) {
		close(fd);
		errno = err;
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	f = fdopen(fd, append ? "a" : "w");
	if (!f) {
		err = errno;
		close(fd);
		errno = err;
	}
	return f;
}

int sl_output_check(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? SL_OUTPUT_NEW : -errno;
	if (S_ISREG(st.st_mode))
		return SL_OUTPUT_NEW;
	if (S_ISCHR(st.st_mode))
		return SL_OUTPUT_IN_PLACE;
	if (S_ISLNK(st.st_mode) && stat(path, &st) == 0 && S_ISCHR(st.st_mode))
		return SL_OUTPUT_IN_PLACE;
	return S_ISLNK(st.st_mode) ? -ELOOP : -SL_ENOTREG;
}

static int claim_fd = -1;

/* A forked child shares the lock's open file description: closing its copy keeps the lock the
 * parent's alone (a worker that outlives the coordinator holds nothing). */
static void claim_close_in_child(void)
{
	if (claim_fd >= 0)
		close(claim_fd);
	claim_fd = -1;
}

int sl_dir_claim(const char *dir)
{
	static bool atfork_set;
	int fd;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno == EWOULDBLOCK ? -EBUSY : -errno;

		close(fd);
		return err;
	}
	if (claim_fd >= 0)
		close(claim_fd);
	claim_fd = fd;
	if (!atfork_set)
		atfork_set = pthread_atfork(NULL, NULL, claim_close_in_child) == 0;
	return 0;
}
