/* mpi_internal.h: what the files of the mpi start method share among themselves (not a public
 * interface: launch/mpi.h is). mpi_launch.c starts the launcher and reads its result back;
 * mpi_session.c finds, kills and cleans up the launcher's processes; mpi_text.c holds the text both
 * sides exchange; mpi_rank.c is the rank side (speedlab-mpi and the test programs), mpi_norank.c its
 * stand-in in speedlab itself, which links no MPI library. */
#ifndef SL_MPI_INTERNAL_H
#define SL_MPI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/speedlab.h"

/* The line rank 0 prints on stdout with the run's result: RESULT_MARK key=value ... */
#define RESULT_MARK "@@speedlab-mpi-result "

/* mpi_text.c */
/* Percent-encode every byte outside [A-Za-z0-9._-]: the result survives any launcher's argv. */
char *sl_mpi_pct_encode(const char *in);
/* Decode in place. False on a malformed escape or an encoded NUL. */
bool sl_mpi_pct_decode(char *s);
/* Name of a signal for a status: "SIGSEGV", or "SIG<n>". */
void sl_mpi_signal_name(int sig, char *out, size_t len);
/* Copy a message into a status, keeping it one line of printable text. */
void sl_mpi_status_set(struct sl_metrics *m, const char *prefix, const char *text);
/* Why the launcher failed, from its exit status and its messages. */
void sl_mpi_launch_failure(int wstatus, const char *text, struct sl_metrics *m);
/* Fill m from rank 0's result line; false when there is none. *stop_t gets rank 0's stop time. */
bool sl_mpi_parse_result(char *text, struct sl_metrics *m, double *stop_t);
/* Print the tail of the launcher's output after a failed run, for whoever debugs it. */
void sl_mpi_show_tail(const char *text);

/* mpi_session.c: the processes of the launcher's session (it leads a session of its own) */
/* The processes of session sid (the launcher's), at most max; returns how many. */
int sl_mpi_session_members(pid_t sid, pid_t *pids, bool *ranks, int max);
void sl_mpi_sleep_s(double s);
/* SIGKILL whatever is left in the session and wait, a bounded time, until it is gone. */
void sl_mpi_sweep_session(pid_t sid);
/* Remove the Open MPI session directory of the mpirun with this pid. */
void sl_mpi_remove_session_dir(pid_t pid);
/* SIGTERM to the launcher, after a grace period SIGKILL to the session; reaps the launcher. */
void sl_mpi_kill_launch(pid_t pid, int *wstatus);
/* SPEEDLAB_MPI_DEBUG: print a hung run's processes, stacks and output so far to stderr. */
void sl_mpi_debug_hang(pid_t sid, int out_fd, int err_fd);

/* mpi_rank.c, or mpi_norank.c in speedlab: the program the ranks run */
const char *sl_mpi_rank_exe(void);

#endif
