/* axis.c: the one table of the standard sweep axes, and the functions every other part reads it
 * through (see axis.h).
 *
 * To add an axis: a row in sl_axes_builtin (and its id in enum sl_axis_id, axis.h, before
 * SL_AXIS_NBUILTIN), giving name (the [sweep] key, the runs.csv/summary.csv column, placed in row
 * order), def, words and/or SL_AXIS_NUMBER with min (or a check hook), help (`speedlab list`), env
 * (the SPEEDLAB_* variable of a command, or NULL), and where struct sl_setting keeps it: INT_FIELD(f)
 * or TEXT_FIELD(f) for a field added there, or nothing (the text is kept in s->axis_extra, read with
 * sl_axis_text). Then the code that applies it reads that field. Nothing else lists the axes. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "experiment/axis.h"
#include "core/launcher.h"
#include "sys/placement.h"

static bool check_generic(const struct sl_axis_def *a, const char *value, char *msg, size_t msglen);

/* ---- the hooks of the rows that need more than words and numbers ---- */

static bool start_method_check(const char *value, char *msg, size_t msglen)
{
	const char *names[16];
	char known[160] = "";
	int n = 0;
	const char *guess;

	if (sl_launcher_find(value))
		return true;
	for (const struct sl_launcher_ops *const *l = sl_launchers; *l && n < 15; l++) {
		names[n++] = (*l)->name;
		snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s", n > 1 ? ", " : "", (*l)->name);
	}
	names[n] = NULL;
	guess = sl_did_you_mean(value, names);
	if (guess)
		snprintf(msg, msglen, "unknown start method '%s' (did you mean '%s'?)", value, guess);
	else
		snprintf(msg, msglen, "unknown start method '%s' (known: %s)", value, known);
	return false;
}

static bool chunksize_check(const char *value, char *msg, size_t msglen)
{
	double v;

	if (sl_parse_double(value, &v) && v < 0 && v == floor(v)) {
		snprintf(msg, msglen, "negative chunk size %s: must be at least 1 (or auto)", value);
		return false;
	}
	return check_generic(&sl_axes_builtin[SL_AXIS_CHUNKSIZE], value, msg, msglen);
}

/* runs.csv holds chunksize as written, and a command sees it so (only the command knows how many
 * tasks it splits, so it applies `auto` itself); a setting made without the text holds the number */
static void chunksize_text(const struct sl_setting *s, char *buf, size_t len)
{
	if (s->chunksize_text[0])
		snprintf(buf, len, "%s", s->chunksize_text);
	else
		snprintf(buf, len, "%d", s->chunksize);
}

/* a command sees the count its workers get: auto resolved (logical CPUs / processes) */
static void threads_env(const struct sl_setting *s, char *buf, size_t len)
{
	if (s->threads_kind == SL_THREADS_UNSET)
		snprintf(buf, len, "unset");
	else
		snprintf(buf, len, "%d", s->threads);
}

/* ---- the table ---- */

#define INT_FIELD(f) .store = SL_AXIS_INT, .offset = offsetof(struct sl_setting, f)
#define TEXT_FIELD(f) .store = SL_AXIS_TEXT, .offset = offsetof(struct sl_setting, f), \
	.size = sizeof(((struct sl_setting *)0)->f)

const struct sl_axis_def sl_axes_builtin[] = {
	[SL_AXIS_PROCESSES] = { "processes", "1", NULL, SL_AXIS_NUMBER, 1,
		"worker processes: numbers, ranges 1..8, pow2(1..2*cores), cores, physical, 2*cores",
		"SPEEDLAB_PROCESSES", INT_FIELD(processes) },
	[SL_AXIS_CHUNKSIZE] = { "chunksize", "1", "auto", SL_AXIS_NUMBER, 1,
		"tasks per chunk, or auto (Python's rule: ceil(tasks / (4 processes)))",
		"SPEEDLAB_CHUNKSIZE", TEXT_FIELD(chunksize_text), .check = chunksize_check, .text = chunksize_text },
	[SL_AXIS_START_METHOD] = { "start_method", "fork", NULL, 0, 0,
		"fork, spawn, forkserver, mpi",
		"SPEEDLAB_START_METHOD", TEXT_FIELD(start_method), .check = start_method_check },
	[SL_AXIS_THREADS] = { "threads", "unset", "unset|auto", SL_AXIS_NUMBER, 1,
		"library threads per worker: unset (library default), auto (cores/processes), or N",
		"SPEEDLAB_THREADS", TEXT_FIELD(threads_text), .env_text = threads_env },
	[SL_AXIS_THREAD_API] = { "thread_api", "env", "env|call", 0, 0,
		"env (variables set before the worker starts) or call (set inside the worker)",
		"SPEEDLAB_THREAD_API", TEXT_FIELD(thread_api) },
	[SL_AXIS_DISPATCH] = { "dispatch", "shm", "pipe|batch|shm", 0, 0,
		"pipe: Python's Pool design: one task pipe all workers read under a lock, one result pipe, "
		"one message and one write per chunk, each message read on its own; batch: speedlab's own "
		"channel per worker, up to 256 chunk messages sent in one write and results batched back (few "
		"system calls per task); shm: workers claim chunks from a shared counter, no system call per "
		"task (mpi: pipe and batch are rank 0 answering requests, shm an MPI window)",
		"SPEEDLAB_DISPATCH", TEXT_FIELD(dispatch) },
	[SL_AXIS_DEVICE] = { "device", "cpu", "cpu|gpu", 0, 0,
		"cpu or gpu",
		"SPEEDLAB_DEVICE", TEXT_FIELD(device) },
	[SL_AXIS_BLAS] = { "blas", "pthread", "pthread|openmp", 0, 0,
		"pthread or openmp: which OpenBLAS build the workers load",
		"SPEEDLAB_BLAS", TEXT_FIELD(blas) },
	[SL_AXIS_PARENT_RSS] = { "parent_rss_mb", "0", NULL, SL_AXIS_NUMBER, 0,
		"memory the coordinator touches before starting workers (MiB)",
		NULL, INT_FIELD(parent_rss_mb) },
	[SL_AXIS_PARENT_USES] = { "parent_uses", "none", "none|openmp|openblas|cuda", 0, 0,
		"none, openmp, openblas, cuda: what the coordinator uses before starting workers",
		NULL, TEXT_FIELD(parent_uses) },
	[SL_AXIS_AFFINITY] = { "affinity", "none", "none|cpus:N|core|compact|spread", 0, 0,
		"none, cpus:N (every worker on the first N CPUs, as taskset), core (a core each), compact "
		"(neighbouring CPUs, SMT siblings first), spread (hwloc_distrib)",
		"SPEEDLAB_AFFINITY", TEXT_FIELD(affinity), .check = sl_placement_check },
	[SL_AXIS_MEM_POLICY] = { "mem_policy", "default", "default|local|interleave|bind", 0, 0,
		"default, local, interleave, bind: each worker's memory policy (hwloc membind)",
		"SPEEDLAB_MEM_POLICY", TEXT_FIELD(mem_policy) },
	[SL_AXIS_NBUILTIN] = { NULL, NULL, NULL, 0, 0, NULL, NULL, SL_AXIS_TEXT, 0, 0, NULL, NULL, NULL },
};

const struct sl_axis_def *sl_axes = sl_axes_builtin;

/* ---- reading and writing a setting through the table ---- */

const struct sl_axis_def *sl_axis_find(const char *name)
{
	for (const struct sl_axis_def *a = sl_axes; a->name; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

bool sl_word_in(const char *word, const char *list)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && strncmp(p, word, n) == 0)
			return true;
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

void sl_words_split(const char *list, char *buf, size_t buflen, const char **out, int max)
{
	int n = 0;

	snprintf(buf, buflen, "%s", list ? list : "");
	for (char *p = buf; *p && n < max - 1;) {
		char *bar = strchr(p, '|');

		out[n++] = p;
		if (!bar)
			break;
		*bar = '\0';
		p = bar + 1;
	}
	out[n] = NULL;
}

/* Words and whole numbers, as the row says. */
static bool check_generic(const struct sl_axis_def *a, const char *value, char *msg, size_t msglen)
{
	double v;

	if (a->words && sl_word_in(value, a->words))
		return true;
	if ((a->flags & SL_AXIS_NUMBER) && sl_parse_double(value, &v)) {
		if (v != floor(v))
			snprintf(msg, msglen, "%s = %s: must be a whole number", a->name, value);
		else if (v < (double)a->min)
			snprintf(msg, msglen, "%s = %s: must be at least %ld", a->name, value, a->min);
		else if (v > 1e6)
			snprintf(msg, msglen, "%s = %s: too large", a->name, value);
		else
			return true;
		return false;
	}
	if (a->flags & SL_AXIS_NUMBER) {
		snprintf(msg, msglen, "%s = '%s': expected a whole number%s%s", a->name, value, a->words ? " or " : "",
			 a->words ? a->words : "");
	} else {
		const char *cands[16];
		char buf[256];
		const char *guess;

		sl_words_split(a->words, buf, sizeof(buf), cands, 16);
		guess = sl_did_you_mean(value, cands);
		snprintf(msg, msglen, "%s = '%s': expected one of %s%s%s%s", a->name, value, a->words ? a->words : "",
			 guess ? " (did you mean '" : "", guess ? guess : "", guess ? "'?)" : "");
	}
	return false;
}

/* The room of a text axis (its NUL included); 0 for an int field. */
static size_t text_room(const struct sl_axis_def *a)
{
	return a->store == SL_AXIS_INT ? 0 : a->size ? a->size : SL_AXIS_TEXT_LEN;
}

/* The slot of s->axis_extra of a row without a field of its own, or NULL (not a row of sl_axes). */
static char *extra_slot(const struct sl_setting *s, const struct sl_axis_def *a)
{
	ptrdiff_t row = a - sl_axes;

	return row >= 0 && row < SL_MAX_STD_AXES ? (char *)s->axis_extra[row] : NULL;
}

bool sl_axis_check(const struct sl_axis_def *a, const char *value, char *msg, size_t msglen)
{
	size_t room = text_room(a);

	if (a->check ? !a->check(value, msg, msglen) : !check_generic(a, value, msg, msglen))
		return false;
	if (room && strlen(value) >= room) {
		snprintf(msg, msglen, "%s = '%s': longer than %zu characters", a->name, value, room - 1);
		return false;
	}
	return true;
}

void sl_axis_stored(const struct sl_setting *s, const struct sl_axis_def *a, char *buf, size_t len)
{
	const char *field = a->size || a->store == SL_AXIS_INT ? (const char *)s + a->offset : extra_slot(s, a);

	if (a->store == SL_AXIS_INT)
		snprintf(buf, len, "%d", *(const int *)field);
	else
		snprintf(buf, len, "%s", field ? field : "");
}

void sl_axis_text(const struct sl_setting *s, const struct sl_axis_def *a, char *buf, size_t len)
{
	if (a->text)
		a->text(s, buf, len);
	else
		sl_axis_stored(s, a, buf, len);
}

int sl_axis_set(struct sl_setting *s, const struct sl_axis_def *a, const char *text)
{
	char *field = a->size || a->store == SL_AXIS_INT ? (char *)s + a->offset : extra_slot(s, a);
	double v;

	if (!field)
		return -EINVAL;
	if (a->store == SL_AXIS_INT) {
		if (!sl_parse_double(text, &v) || v != floor(v) || v < -2147483647.0 || v > 2147483647.0)
			return -EINVAL;
		*(int *)field = (int)v;
		return 0;
	}
	return sl_strlcpy(field, text, text_room(a)) < text_room(a) ? 0 : -EINVAL;
}

void sl_axis_defaults(struct sl_setting *s)
{
	for (const struct sl_axis_def *a = sl_axes; a->name; a++)
		sl_axis_set(s, a, a->def);
}

int sl_axis_env(const struct sl_setting *s, int (*put)(void *ctx, const char *name, const char *value), void *ctx)
{
	char buf[SL_VALUE_LEN];
	int rc;

	for (const struct sl_axis_def *a = sl_axes; a->name; a++) {
		if (!a->env)
			continue;
		if (a->env_text)
			a->env_text(s, buf, sizeof(buf));
		else
			sl_axis_text(s, a, buf, sizeof(buf));
		rc = put(ctx, a->env, buf[0] ? buf : a->def);
		if (rc)
			return rc;
	}
	return 0;
}
