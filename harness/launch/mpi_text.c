/* mpi_text.c: the text of the mpi start method: the percent coding both sides use for the setting
 * and the status, and the launcher side's reading of rank 0's result line and of the launcher's
 * messages. */
#include <ctype.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "launch/mpi_internal.h"

/* ------------------------------------------------------------------------------------------------
 * Percent coding, shared by both sides
 * --------------------------------------------------------------------------------------------- */

/* Percent-encode every byte outside [A-Za-z0-9._-]: the result survives any launcher's argv. */
char *sl_mpi_pct_encode(const char *in)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(in);
	char *out = malloc(3 * n + 1), *o = out;

	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		if (isalnum(*p) || *p == '.' || *p == '_' || *p == '-') {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode in place. False on a malformed escape or an encoded NUL. */
bool sl_mpi_pct_decode(char *s)
{
	char *o = s;

	for (char *p = s; *p; p++) {
		if (*p == '%') {
			int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);

			if (hi < 0 || lo < 0 || (hi | lo) == 0)
				return false;
			*o++ = (char)(hi * 16 + lo);
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return true;
}

/* ------------------------------------------------------------------------------------------------
 * The launch side: rank 0's result line and the launcher's messages
 * --------------------------------------------------------------------------------------------- */

/* Name of a signal for a status: "SIGSEGV", or "SIG<n>". */
void sl_mpi_signal_name(int sig, char *out, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(out, len, "SIG%s", abbrev);
	else
		snprintf(out, len, "SIG%d", sig);
}

/* Copy a message into a status, keeping it one line of printable text. */
void sl_mpi_status_set(struct sl_metrics *m, const char *prefix, const char *text)
{
	size_t o = (size_t)snprintf(m->status, sizeof(m->status), "%s", prefix);

	for (const char *p = text; *p && o + 1 < sizeof(m->status); p++)
		m->status[o++] = isprint((unsigned char)*p) ? *p : ' ';
	if (o >= sizeof(m->status))
		o = sizeof(m->status) - 1;
	m->status[o] = '\0';
	while (o > 0 && m->status[o - 1] == ' ')
		m->status[--o] = '\0';
}

/* The last meaningful line of the launcher's output (not a ---- rule, not blank, not our result). */
static void last_line(const char *text, char *out, size_t len)
{
	const char *p = text;

	out[0] = '\0';
	while (p && *p) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *q = p;

		while (q < p + n && isspace((unsigned char)*q))
			q++;
		if (q < p + n && *q != '-' && strncmp(q, RESULT_MARK, strlen(RESULT_MARK)) != 0)
			snprintf(out, len, "%.*s", (int)(p + n - q), q);
		p = end ? end + 1 : NULL;
	}
}

/* Slurm: "srun: error: node: task 1: Segmentation fault (core dumped)": the signal that killed a
 * task, by its description, or 0. */
static int srun_signal(const char *text)
{
	for (const char *q = text; (q = strstr(q, "srun: error:")) != NULL; q++) {
		char line[512];

		snprintf(line, sizeof(line), "%.*s", (int)strcspn(q, "\n"), q);
		for (int sig = 1; sig < NSIG; sig++) {
			const char *what = sigdescr_np(sig);
			char pattern[96];

			snprintf(pattern, sizeof(pattern), ": %s", what ? what : "");
			if (what && strstr(line, pattern))
				return sig;
		}
	}
	return 0;
}

/* Why the launcher failed, from its exit status and its messages. */
void sl_mpi_launch_failure(int wstatus, const char *text, struct sl_metrics *m)
{
	char sig[32], line[160];
	const char *p;
	int rc, rc2;

	/* Open MPI: "mpirun noticed that process rank 1 with PID 0 on node x exited on signal 9 (Killed)."
	 * A rank's death it reported is the cause even when mpirun crashed afterwards. */
	if ((p = strstr(text, "exited on signal ")) != NULL) {
		sl_mpi_signal_name(atoi(p + strlen("exited on signal ")), sig, sizeof(sig));
		snprintf(m->status, sizeof(m->status), "crash:%s", sig);
		return;
	}
	if (WIFSIGNALED(wstatus)) {
		sl_mpi_signal_name(WTERMSIG(wstatus), sig, sizeof(sig));
		snprintf(m->status, sizeof(m->status), "error:launcher killed by %s", sig);
		return;
	}
	rc = WEXITSTATUS(wstatus);
	if ((rc2 = srun_signal(text)) > 0) {
		sl_mpi_signal_name(rc2, sig, sizeof(sig));
		snprintf(m->status, sizeof(m->status), "crash:%s", sig);
		return;
	}
	if ((p = strstr(text, "MPI_ABORT was invoked on rank ")) != NULL) {
		snprintf(m->status, sizeof(m->status), "error:MPI_Abort on rank %d",
			 atoi(p + strlen("MPI_ABORT was invoked on rank ")));
		return;
	}
	if (rc > 128 && rc < 128 + 65) {
		sl_mpi_signal_name(rc - 128, sig, sizeof(sig));
		snprintf(m->status, sizeof(m->status), "crash:%s", sig);
		return;
	}
	if ((p = strstr(text, "Exit code:")) != NULL) {
		snprintf(m->status, sizeof(m->status), "error:a rank exited with code %d",
			 atoi(p + strlen("Exit code:")));
		return;
	}
	/* Open MPI's ranks started by srun without the PMI they speak (SLURM_MPI_TYPE=pmi2 or none):
	 * each fails in MPI_Init, and srun's last words name no cause */
	if (strstr(text, "was not built with SLURM's PMI support")) {
		const char *type = getenv("SLURM_MPI_TYPE");

		snprintf(line, sizeof(line), "srun gave Open MPI no PMIx (SLURM_MPI_TYPE=%.32s; Open MPI needs pmix)",
			 type ? type : "unset");
		sl_mpi_status_set(m, "error:", line);
		return;
	}
	last_line(text, line, sizeof(line));
	snprintf(sig, sizeof(sig), "error:launcher exit %d: ", rc);
	sl_mpi_status_set(m, sig, line[0] ? line : "no message");
}

/* Fill m from rank 0's result line; false when there is none. *stop_t gets rank 0's stop time. */
bool sl_mpi_parse_result(char *text, struct sl_metrics *m, double *stop_t)
{
	char *line = NULL, *save = NULL, *tok;

	for (char *p = text; (p = strstr(p, RESULT_MARK)) != NULL; p++)
		if (p == text || p[-1] == '\n')
			line = p;
	if (!line)
		return false;
	line += strlen(RESULT_MARK);
	line[strcspn(line, "\r\n")] = '\0';
	*stop_t = NAN;
	for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');
		double v;

		if (!eq)
			continue;
		*eq++ = '\0';
		if (strcmp(tok, "status") == 0) {
			if (sl_mpi_pct_decode(eq))
				sl_mpi_status_set(m, "", eq);
			continue;
		}
		if (!*eq || !sl_parse_double(eq, &v))
			v = NAN;
		if (strcmp(tok, "stop_t") == 0) {
			*stop_t = v;
			continue;
		}
		for (size_t i = 0; i < sl_metric_ncolumns; i++)
			if (strcmp(sl_metric_columns[i].name, tok) == 0)
				*(double *)((char *)m + sl_metric_columns[i].offset) = v;
	}
	return true;
}

/* Print the tail of the launcher's output after a failed run, for whoever debugs it. */
void sl_mpi_show_tail(const char *text)
{
	const char *p = text + strlen(text);
	int lines = 0;

	while (p > text && lines < 6)
		if (*--p == '\n' && p[1])
			lines++;
	if (*p == '\n')
		p++;
	if (*p)
		sl_warn("mpi: the launcher's last output:\n%s", p);
}
