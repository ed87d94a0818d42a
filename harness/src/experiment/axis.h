/* axis.h: the one table of the standard sweep axes (like fio's options table). Each axis is declared
 * once, in axis.c: its name, default, accepted values, help, the variable a command sees, and where
 * struct sl_setting keeps it. That table drives the experiment file's parsing and "did you mean",
 * the setting's fields, experiment.ini, the runs.csv/summary.csv axis columns, `speedlab list` and
 * the command workload's environment. Adding an axis is one row plus the code that applies it. */
#ifndef SL_AXIS_H
#define SL_AXIS_H

#include "core/speedlab.h"

/* How struct sl_setting keeps an axis's value. */
enum sl_axis_store {
	SL_AXIS_TEXT = 0,       /* char[size] at offset; size 0: s->axis_extra[row] (no field of its own) */
	SL_AXIS_INT,            /* int at offset, the text a whole number */
};

/* Bits of sl_axis_def.flags. */
#define SL_AXIS_NUMBER 0x1u     /* a whole number (at least min, at most 1e6) is accepted besides the words */

struct sl_axis_def {
	const char *name;       /* the [sweep] key, the runs.csv/summary.csv column */
	const char *def;        /* the default, as written in an experiment file */
	const char *words;      /* accepted words "a|b|c", NULL: none (numbers only, or check decides) */
	unsigned flags;         /* SL_AXIS_NUMBER */
	long min;               /* the least whole number (SL_AXIS_NUMBER) */
	const char *help;       /* one paragraph for `speedlab list` */
	const char *env;        /* the variable a command workload sees it in; NULL: not exported */
	enum sl_axis_store store;
	size_t offset, size;    /* offsetof / sizeof the field in struct sl_setting (size: text fields) */
	/* Optional. check: whether value is accepted, msg set when not (replaces words/number).
	 * text: the value as runs.csv holds it (default: the stored text). env_text: what a command
	 * sees (default: text; an empty text is the default value). */
	bool (*check)(const char *value, char *msg, size_t msglen);
	void (*text)(const struct sl_setting *s, char *buf, size_t len);
	void (*env_text)(const struct sl_setting *s, char *buf, size_t len);
};

/* The built-in rows, in runs.csv order; an index into sl_axes for code that applies a given axis
 * (the built-in rows come first in any table). */
enum sl_axis_id {
	SL_AXIS_PROCESSES, SL_AXIS_CHUNKSIZE, SL_AXIS_START_METHOD, SL_AXIS_THREADS, SL_AXIS_THREAD_API,
	SL_AXIS_DISPATCH, SL_AXIS_DEVICE, SL_AXIS_BLAS, SL_AXIS_PARENT_RSS, SL_AXIS_PARENT_USES,
	SL_AXIS_AFFINITY, SL_AXIS_MEM_POLICY, SL_AXIS_NBUILTIN
};

/* The axis table in use, terminated by a row with name NULL, at most SL_MAX_STD_AXES rows: the
 * built-in one (a test may point it at a copy with rows of its own added after the built-in ones). */
extern const struct sl_axis_def *sl_axes;
extern const struct sl_axis_def sl_axes_builtin[];

/* The row called name, or NULL. */
const struct sl_axis_def *sl_axis_find(const char *name);
/* Whether value is accepted for axis a; false with msg set ("did you mean" included) when not. */
bool sl_axis_check(const struct sl_axis_def *a, const char *value, char *msg, size_t msglen);
/* The stored text of axis a in s (a number for an int field). Never fails (truncates). */
void sl_axis_stored(const struct sl_setting *s, const struct sl_axis_def *a, char *buf, size_t len);
/* The text of axis a in s as runs.csv holds it. Never fails (truncates). */
void sl_axis_text(const struct sl_setting *s, const struct sl_axis_def *a, char *buf, size_t len);
/* Store text as axis a of s. 0, or -EINVAL (not a whole number for an int field, too long). */
int sl_axis_set(struct sl_setting *s, const struct sl_axis_def *a, const char *text);
/* Every axis of s at its default (the text only: threads and chunksize are resolved by the experiment). */
void sl_axis_defaults(struct sl_setting *s);
/* Hand each exported axis of s to put(ctx, variable, value), in table order; stops at the first
 * non-zero answer and returns it, else 0. */
int sl_axis_env(const struct sl_setting *s, int (*put)(void *ctx, const char *name, const char *value), void *ctx);

/* Whether word is one of the "a|b|c" list. Never fails. */
bool sl_word_in(const char *word, const char *list);
/* Split "a|b|c" into a NULL-terminated array (max entries with the NULL) of pointers into buf. */
void sl_words_split(const char *list, char *buf, size_t buflen, const char **out, int max);

#endif
