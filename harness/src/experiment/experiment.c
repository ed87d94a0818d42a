/* experiment.c: experiment files (INI via libinih): parsing, profiles, --set overrides, value
 * expressions, validation with file:line messages, expansion to settings, the seeded run order. */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "experiment/experiment.h"
#include "core/launcher.h"
#include "sys/placement.h"
#include "core/stats.h"

/* ---- the keys speedlab knows ---- */

static const char *const sections[] = { "experiment", "workload", "sweep", "quick", "full", "compare", "mpi", NULL };
static const char *const experiment_keys[] = { "name", "question", "workload", "repeats", "warmup", "timeout",
					       "seed", "sample_hz", "metric", "coordinator_cpus", "min_repeats",
					       "max_repeats", "precision", "precision_metric", NULL };
static const char *const mpi_keys[] = { "hosts", "hostfile", "ranks_per_node", "bind", NULL };

/* The standard axes: name, default, and the accepted words (NULL: a number). */
static const struct axis_def {
	const char *name;
	const char *def;
	const char *words;       /* "a|b|c" accepted words, or NULL */
	bool numeric;            /* a whole number is accepted */
	long min;
} axis_defs[] = {
	{ "processes", "1", NULL, true, 1 },
	{ "chunksize", "1", "auto", true, 1 },
	{ "start_method", "fork", NULL, false, 0 },   /* the launcher registry */
	{ "threads", "unset", "unset|auto", true, 1 },
	{ "thread_api", "env", "env|call", false, 0 },
	{ "dispatch", "shm", "pipe|batch|shm", false, 0 },
	{ "device", "cpu", "cpu|gpu", false, 0 },
	{ "blas", "pthread", "pthread|openmp", false, 0 },
	{ "parent_rss_mb", "0", NULL, true, 0 },
	{ "parent_uses", "none", "none|openmp|openblas|cuda", false, 0 },
	{ "affinity", "none", "none|cpus:N|core|compact|spread", false, 0 },   /* placement.c checks */
	{ "mem_policy", "default", "default|local|interleave|bind", false, 0 },
	{ NULL, NULL, NULL, false, 0 },
};

static const struct axis_def *axis_def_find(const char *name)
{
	for (const struct axis_def *a = axis_defs; a->name; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

static const struct sl_param_def *param_def_find(const struct sl_workload_ops *w, const char *name)
{
	if (!w)
		return NULL;
	for (const struct sl_param_def *p = w->params; p && p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

static bool word_in(const char *word, const char *list)
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

/* Split "a|b|c" into a NULL-terminated array of pointers into buf. */
static void split_words(const char *list, char *buf, size_t buflen, const char **out, int max)
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

/* ---- reading the file: libinih, one line per reader call so we know each key's line ---- */

struct reader {
	const char *text;
	size_t pos, len;
	int line;
	int section_line;       /* line of the last [section] header */
	int overlong_line;      /* first line longer than libinih takes, 0 if none */
	int overlong_max;
	bool continuation;      /* the last line read starts with white space */
	char raw[1024];         /* the last line as read, before libinih cut comments off */
	bool split;             /* the next line is the rest of a line too long for libinih */
};

/* Where the value of a line (str, n characters) starts: past the key's '=', or past the indent
 * of a continuation line; -1 for a comment, a section or no value. */
static int value_start(const char *str, int n)
{
	int lead = (int)strspn(str, " \t");
	const char *eq = strpbrk(str, "=:");

	if (lead >= n || str[lead] == ';' || str[lead] == '#' || str[lead] == '[')
		return -1;
	if (lead)
		return lead;
	return eq && eq - str < n ? (int)(eq - str) + 1 : -1;
}

/* Where an inline comment (';' after white space) starts in str[from..n), or -1. */
static int inline_comment(const char *str, int from, int n)
{
	for (int i = from > 0 ? from : 1; i < n; i++)
		if (str[i] == ';' && (str[i - 1] == ' ' || str[i - 1] == '\t'))
			return i;
	return -1;
}

/* Where a line too long for libinih (str, its first n characters, no comment among them) may be
 * cut into a line and an indented continuation that reads back as the same value: at a single
 * space in the value, not before ';' or '#'. 0: nowhere. */
static int split_point(const char *str, int from, int n)
{
	int cut = 0;

	for (int i = from + 1; i < n - 1; i++)
		if (str[i] == ' ' && str[i - 1] != ' ' && str[i + 1] != ' ' && str[i + 1] != ';' && str[i + 1] != '#')
			cut = i;
	return cut;
}

static char *read_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	int n = 0;

	if (r->pos >= r->len)
		return NULL;
	if (r->split)
		str[n++] = ' ';   /* the rest of a long line, as an indented continuation */
	while (r->pos < r->len && n < num - 1) {
		char c = r->text[r->pos++];

		str[n++] = c;
		if (c == '\n')
			break;
	}
	str[n] = '\0';
	if (!r->split)
		snprintf(r->raw, sizeof(r->raw), "%s", str);
	r->line += !r->split;
	if (n == num - 1 && str[n - 1] != '\n' && r->pos < r->len) {
		/* longer than libinih takes: cut at a space, the rest read as a continuation line; a long
		 * comment is cut short */
		int from = value_start(str, n), c = from < 0 ? -1 : inline_comment(str, from, n);
		int cut = from < 0 || c >= 0 ? 0 : split_point(str, from, n);

		r->split = false;
		if (cut > 0) {
			r->pos -= (size_t)(n - cut - 1);
			str[cut] = '\n';
			str[cut + 1] = '\0';
			r->split = true;
			n = cut + 1;
		} else {
			if (c >= 0) {
				str[c] = '\n';
				str[c + 1] = '\0';
				n = c + 1;
			} else if (!r->overlong_line && from >= 0) {
				r->overlong_line = r->line;
				r->overlong_max = num - 2;
			}
			while (r->pos < r->len && r->text[r->pos++] != '\n')
				;
		}
	} else if (r->split) {
		/* the end of a long line: libinih keeps a comment on a continuation line, so drop it here */
		int c = inline_comment(str, 1, n);

		if (c >= 0) {
			str[c] = '\n';
			str[c + 1] = '\0';
			n = c + 1;
		}
		r->split = false;
	}
	r->continuation = n > 0 && (str[0] == ' ' || str[0] == '\t');
	{
		const char *p = str;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '[')
			r->section_line = r->line;
	}
	return str;
}

struct parse_state {
	struct sl_experiment *e;
	struct reader *r;
	const char *name;
	int errors;
};

/* What libinih's inline-comment rule (";" after white space) cut off raw after key's value: the text
 * after the ";", trimmed, into cut ("" when nothing was cut). */
static void inline_cut(const char *raw, const char *key, const char *value, char *cut, size_t cutlen)
{
	const char *p = strstr(raw, key), *v;

	cut[0] = '\0';
	if (!p)
		return;
	p += strcspn(p + strlen(key), "=:") + strlen(key);
	if (!*p)
		return;
	p++;
	v = value[0] ? strstr(p, value) : NULL;
	p = v ? v + strlen(value) : p;
	p += strspn(p, " \t");
	if (*p != ';')
		return;
	p++;
	p += strspn(p, " \t");
	snprintf(cut, cutlen, "%.*s", (int)strcspn(p, "\r\n"), p);
	if (!cut[0])
		snprintf(cut, cutlen, ";");
}

/* The first control character of s (a tab, a newline, an escape...), or NULL: no value may hold one,
 * as experiment.ini and a Slurm script write each value on one line. */
static const char *control_char(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return s;
	return NULL;
}

static int on_entry(void *user, const char *section, const char *key, const char *value)
{
	struct parse_state *ps = user;
	struct sl_experiment *e = ps->e;
	struct sl_entry *en;
	const char *cc = control_char(value);

	if (cc) {
		sl_err_at(ps->name, ps->r->line, "control character 0x%02x in the value of '%s'", (unsigned char)*cc, key);
		ps->errors++;
		return 1;
	}

	/* an indented line continues the previous key's value (as in Python's configparser) */
	if (ps->r->continuation && e->nentries > 0) {
		struct sl_entry *prev = &e->entries[e->nentries - 1];

		if (strcmp(prev->section, section) == 0 && strcmp(prev->key, key) == 0) {
			size_t len = strlen(prev->value);

			if (len + 1 + strlen(value) >= sizeof(prev->value)) {
				sl_err_at(ps->name, ps->r->line, "value of '%s' too long (at most %zu characters)", key,
					  sizeof(prev->value) - 1);
				ps->errors++;
				return 1;
			}
			prev->value[len] = ' ';
			strcpy(prev->value + len + 1, value);
			return 1;
		}
	}
	if (e->nentries >= (int)(sizeof(e->entries) / sizeof(e->entries[0]))) {
		sl_err_at(ps->name, ps->r->line, "too many keys (at most %zu)", sizeof(e->entries) / sizeof(e->entries[0]));
		ps->errors++;
		return 0;
	}
	en = &e->entries[e->nentries++];
	memset(en, 0, sizeof(*en));
	snprintf(en->section, sizeof(en->section), "%s", section);
	snprintf(en->key, sizeof(en->key), "%s", key);
	if (strlen(value) >= sizeof(en->value)) {
		sl_err_at(ps->name, ps->r->line, "value of '%s' too long (at most %zu characters)", key, sizeof(en->value) - 1);
		ps->errors++;
	}
	snprintf(en->value, sizeof(en->value), "%s", value);
	snprintf(en->file, sizeof(en->file), "%s", ps->name);
	en->line = ps->r->line;
	en->section_line = ps->r->section_line;
	inline_cut(ps->r->raw, key, value, en->cut, sizeof(en->cut));
	return 1;
}

/* ---- value expressions: numbers, cores, physical, + - * / ( ), ranges, pow2(), words ---- */

struct expr {
	const char *p;
	char *msg;
	size_t msglen;
	bool failed;
};

static void skip_ws(struct expr *x)
{
	while (*x->p == ' ' || *x->p == '\t')
		x->p++;
}

static double parse_sum(struct expr *x);

static double parse_atom(struct expr *x)
{
	skip_ws(x);
	if (*x->p == '(') {
		double v;

		x->p++;
		v = parse_sum(x);
		skip_ws(x);
		if (*x->p != ')') {
			if (!x->failed)
				snprintf(x->msg, x->msglen, "missing ')'");
			x->failed = true;
			return NAN;
		}
		x->p++;
		return v;
	}
	if (*x->p == '-') {
		x->p++;
		return -parse_atom(x);
	}
	if (isdigit((unsigned char)*x->p) || *x->p == '.') {
		char *end;
		double v = strtod(x->p, &end);

		x->p = end;
		return v;
	}
	if (isalpha((unsigned char)*x->p) || *x->p == '_') {
		const char *start = x->p;
		size_t len;

		while (isalnum((unsigned char)*x->p) || *x->p == '_')
			x->p++;
		len = (size_t)(x->p - start);
		if (len == 5 && strncmp(start, "cores", 5) == 0)
			return sl_topology()->logical;
		if (len == 8 && strncmp(start, "physical", 8) == 0)
			return sl_topology()->physical;
		if (len == 7 && strncmp(start, "sockets", 7) == 0)
			return sl_topology()->sockets;
		if (len == 10 && strncmp(start, "memory_gib", 10) == 0)
			return floor(sl_topology()->mem_gib);
		if (!x->failed)
			snprintf(x->msg, x->msglen, "unknown symbol '%.*s' in an expression (known: cores, physical, "
				 "sockets, memory_gib)", (int)len, start);
		x->failed = true;
		return NAN;
	}
	if (!x->failed)
		snprintf(x->msg, x->msglen, *x->p ? "unexpected '%c' in an expression" : "expression ends early%c",
			 *x->p ? *x->p : '.');
	x->failed = true;
	return NAN;
}

static double parse_product(struct expr *x)
{
	double v = parse_atom(x);

	for (;;) {
		skip_ws(x);
		if (*x->p == '*') {
			x->p++;
			v *= parse_atom(x);
		} else if (*x->p == '/') {
			double d;

			x->p++;
			d = parse_atom(x);
			if (d == 0) {
				if (!x->failed)
					snprintf(x->msg, x->msglen, "division by zero");
				x->failed = true;
				return NAN;
			}
			v /= d;
		} else {
			return v;
		}
	}
}

static double parse_sum(struct expr *x)
{
	double v = parse_product(x);

	for (;;) {
		skip_ws(x);
		if (*x->p == '+') {
			x->p++;
			v += parse_product(x);
		} else if (*x->p == '-') {
			x->p++;
			v -= parse_product(x);
		} else {
			return v;
		}
	}
}

/* Evaluate a whole arithmetic expression; false with msg set when it is not one. */
static bool eval_number(const char *text, double *out, char *msg, size_t msglen)
{
	struct expr x = { text, msg, msglen, false };
	double v = parse_sum(&x);

	skip_ws(&x);
	if (!x.failed && *x.p) {
		snprintf(msg, msglen, "'%s' is not a number (unexpected '%s')", text, x.p);
		x.failed = true;
	}
	if (x.failed)
		return false;
	if (!isfinite(v)) {
		snprintf(msg, msglen, "expression '%s' is not a finite number", text);
		return false;
	}
	*out = v;
	return true;
}

static bool is_identifier(const char *s)
{
	if (!isalpha((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* The machine's symbols an expression may use (parse_atom gives their values). */
static const char *const machine_symbols[] = { "cores", "physical", "sockets", "memory_gib", NULL };

static bool mentions_symbol(const char *s)
{
	for (int i = 0; machine_symbols[i]; i++)
		if (strstr(s, machine_symbols[i]))
			return true;
	return false;
}

static bool looks_numeric(const char *s)
{
	/* an identifier with digits in it (bf16, h2d) is a word, not arithmetic */
	if (is_identifier(s) && !mentions_symbol(s))
		return false;
	for (const char *p = s; *p; p++)
		if (isdigit((unsigned char)*p) || *p == '(')
			return true;
	return mentions_symbol(s);
}

static void format_number(double v, char *out, size_t len)
{
	if (fabs(v - round(v)) < 1e-9 && fabs(v) < 1e15)
		snprintf(out, len, "%lld", (long long)llround(v));
	else
		snprintf(out, len, "%.10g", v);
}

static bool is_symbol_word(const char *s)
{
	for (int i = 0; machine_symbols[i]; i++)
		if (strcmp(s, machine_symbols[i]) == 0)
			return true;
	return false;
}

/* One item of a list: a range, pow2(range), an expression, a quoted string or a word. */
static int expand_item(const char *item, char out[][SL_VALUE_LEN], int n, int max, char *msg, size_t msglen)
{
	char buf[SL_VALUE_LEN * 2];
	const char *dots;
	bool pow2 = false;
	double a, b, v;

	if (!*item) {
		snprintf(msg, msglen, "empty value in a list");
		return -EINVAL;
	}
	if (item[0] == '"' || item[0] == '\'') {
		size_t len = strlen(item);

		if (len < 2 || item[len - 1] != item[0]) {
			snprintf(msg, msglen, "unterminated quote in '%s'", item);
			return -EINVAL;
		}
		if (n >= max)
			goto out_too_many;
		if (len - 2 >= SL_VALUE_LEN) {
			snprintf(msg, msglen, "value longer than %d characters", SL_VALUE_LEN - 1);
			return -EINVAL;
		}
		snprintf(out[n], SL_VALUE_LEN, "%.*s", (int)(len - 2), item + 1);
		return n + 1;
	}
	snprintf(buf, sizeof(buf), "%s", item);
	/* word:EXPR (affinity = cpus:2, cpus:cores/2): the word stays, the expression is a number */
	{
		const char *colon = strchr(buf, ':');
		char head[SL_VALUE_LEN];

		snprintf(head, sizeof(head), "%.*s", colon ? (int)(colon - buf) : 0, buf);
		if (colon && is_identifier(head) && !strstr(buf, "..")) {
			if (n >= max)
				goto out_too_many;
			if (!eval_number(sl_strip((char *)colon + 1), &v, msg, msglen))
				return -EINVAL;
			snprintf(out[n], SL_VALUE_LEN, "%s:", head);
			format_number(v, out[n] + strlen(out[n]), SL_VALUE_LEN - strlen(out[n]));
			return n + 1;
		}
	}
	if (strncmp(buf, "pow2(", 5) == 0) {
		size_t len = strlen(buf);

		if (buf[len - 1] != ')') {
			snprintf(msg, msglen, "missing ')' in '%s'", item);
			return -EINVAL;
		}
		buf[len - 1] = '\0';
		memmove(buf, buf + 5, len - 5);
		pow2 = true;
		if (!strstr(buf, "..")) {
			snprintf(msg, msglen, "pow2() takes a range, as in pow2(1..64)");
			return -EINVAL;
		}
	}
	dots = strstr(buf, "..");
	if (dots) {
		char lo[SL_VALUE_LEN], hi[SL_VALUE_LEN];

		snprintf(lo, sizeof(lo), "%.*s", (int)(dots - buf), buf);
		snprintf(hi, sizeof(hi), "%s", dots + 2);
		if (!eval_number(sl_strip(lo), &a, msg, msglen) || !eval_number(sl_strip(hi), &b, msg, msglen))
			return -EINVAL;
		a = ceil(a - 1e-9);
		b = floor(b + 1e-9);
		if (a > b) {
			snprintf(msg, msglen, "empty range '%s'", item);
			return -EINVAL;
		}
		if (pow2) {
			double p = 1;

			if (b < 1) {
				snprintf(msg, msglen, "empty range '%s'", item);
				return -EINVAL;
			}
			for (; p <= b; p *= 2) {
				if (p < a)
					continue;
				if (n >= max)
					goto out_too_many;
				format_number(p, out[n++], SL_VALUE_LEN);
			}
			return n;
		}
		if (b - a + 1 > max - n)
			goto out_too_many;
		for (v = a; v <= b; v += 1)
			format_number(v, out[n++], SL_VALUE_LEN);
		return n;
	}
	if (n >= max)
		goto out_too_many;
	/* a word (fork, unset, lognormal) stays text; anything with digits or a symbol is arithmetic */
	if (!is_symbol_word(buf) && !looks_numeric(buf)) {
		for (const char *p = buf; *p; p++)
			if (!isalnum((unsigned char)*p) && !strchr("_-.:/+@", *p)) {
				snprintf(msg, msglen, "'%s' is neither a number nor a word", item);
				return -EINVAL;
			}
		if (strlen(buf) >= SL_VALUE_LEN) {
			snprintf(msg, msglen, "value longer than %d characters", SL_VALUE_LEN - 1);
			return -EINVAL;
		}
		sl_strlcpy(out[n], buf, SL_VALUE_LEN);
		return n + 1;
	}
	if (!eval_number(buf, &v, msg, msglen))
		return -EINVAL;
	format_number(v, out[n], SL_VALUE_LEN);
	return n + 1;

out_too_many:
	snprintf(msg, msglen, "too many values (at most %d)", max);
	return -EINVAL;
}

int sl_values_expand(const char *expr, char out[][SL_VALUE_LEN], int max, char *msg, size_t msglen)
{
	char item[SL_VALUE_LEN * 2];
	int n = 0, depth = 0;
	size_t k = 0;
	char quote = 0;

	for (const char *p = expr;; p++) {
		char c = *p;

		if (c && (quote || depth || c != ',')) {
			if (quote && c == quote)
				quote = 0;
			else if (!quote && (c == '"' || c == '\''))
				quote = c;
			else if (!quote && c == '(')
				depth++;
			else if (!quote && c == ')')
				depth--;
			if (k + 1 >= sizeof(item)) {
				snprintf(msg, msglen, "value too long");
				return -EINVAL;
			}
			item[k++] = c;
			continue;
		}
		item[k] = '\0';
		n = expand_item(sl_strip(item), out, n, max, msg, msglen);
		if (n < 0)
			return n;
		k = 0;
		if (!c)
			break;
	}
	if (quote) {
		snprintf(msg, msglen, "unterminated quote");
		return -EINVAL;
	}
	return n;
}

/* ---- validation of one value of one key ---- */

static bool check_value(const struct sl_experiment *e, const char *key, const char *value, char *msg, size_t msglen)
{
	const struct axis_def *a = axis_def_find(key);
	const struct sl_param_def *p;
	double v;

	if (a) {
		if (strcmp(key, "affinity") == 0)
			return sl_placement_check(value, msg, msglen);
		if (strcmp(key, "start_method") == 0) {
			const char *names[16];
			int n = 0;

			if (sl_launcher_find(value))
				return true;
			for (const struct sl_launcher_ops *const *l = sl_launchers; *l && n < 15; l++)
				names[n++] = (*l)->name;
			names[n] = NULL;
			{
				const char *guess = sl_did_you_mean(value, names);

				if (guess)
					snprintf(msg, msglen, "unknown start method '%s' (did you mean '%s'?)", value, guess);
				else
					snprintf(msg, msglen, "unknown start method '%s' (known: fork, spawn, forkserver, mpi)", value);
			}
			return false;
		}
		if (a->words && word_in(value, a->words))
			return true;
		if (a->numeric && sl_parse_double(value, &v)) {
			if (v != floor(v)) {
				snprintf(msg, msglen, "%s = %s: must be a whole number", key, value);
				return false;
			}
			if (v < (double)a->min) {
				if (strcmp(key, "chunksize") == 0 && v < 0)
					snprintf(msg, msglen, "negative chunk size %s: must be at least 1 (or auto)", value);
				else
					snprintf(msg, msglen, "%s = %s: must be at least %ld", key, value, a->min);
				return false;
			}
			if (v > 1e6) {
				snprintf(msg, msglen, "%s = %s: too large", key, value);
				return false;
			}
			return true;
		}
		if (a->numeric)
			snprintf(msg, msglen, "%s = '%s': expected a whole number%s%s", key, value,
				 a->words ? " or " : "", a->words ? a->words : "");
		else {
			const char *cands[8];
			char buf[128];
			const char *guess;

			split_words(a->words, buf, sizeof(buf), cands, 8);
			guess = sl_did_you_mean(value, cands);
			if (guess)
				snprintf(msg, msglen, "%s = '%s': expected one of %s (did you mean '%s'?)", key, value, a->words, guess);
			else
				snprintf(msg, msglen, "%s = '%s': expected one of %s", key, value, a->words);
		}
		return false;
	}
	p = param_def_find(e->wl, key);
	if (!p) {
		snprintf(msg, msglen, "unknown parameter '%s'", key);
		return false;
	}
	switch (p->type) {
	case SL_PARAM_INT:
	case SL_PARAM_DOUBLE:
		if (!sl_parse_double(value, &v)) {
			snprintf(msg, msglen, "%s = '%s': expected a number", key, value);
			return false;
		}
		if (p->type == SL_PARAM_INT && v != floor(v)) {
			snprintf(msg, msglen, "%s = %s: must be a whole number", key, value);
			return false;
		}
		if ((p->min != 0 || p->max != 0) && (v < p->min || v > p->max)) {
			snprintf(msg, msglen, "%s = %s: out of range [%g, %g]", key, value, p->min, p->max);
			return false;
		}
		return true;
	case SL_PARAM_STRING:
		if (p->choices && !word_in(value, p->choices)) {
			const char *cands[16];
			char buf[256];
			const char *guess;

			split_words(p->choices, buf, sizeof(buf), cands, 16);
			guess = sl_did_you_mean(value, cands);
			snprintf(msg, msglen, "%s = '%s': expected one of %s%s%s%s", key, value, p->choices,
				 guess ? " (did you mean '" : "", guess ? guess : "", guess ? "'?)" : "");
			return false;
		}
		return true;
	}
	return true;
}

/* ---- the keys of a section, for "did you mean" ---- */

static int known_keys(const struct sl_experiment *e, const char *section, const char **out, int max)
{
	int n = 0;

	if (strcmp(section, "experiment") == 0 || strcmp(section, "quick") == 0 || strcmp(section, "full") == 0)
		for (const char *const *k = experiment_keys; *k && n < max - 1; k++)
			out[n++] = *k;
	if (strcmp(section, "sweep") == 0 || strcmp(section, "quick") == 0 || strcmp(section, "full") == 0)
		for (const struct axis_def *a = axis_defs; a->name && n < max - 1; a++)
			out[n++] = a->name;
	if (strcmp(section, "workload") == 0 || strcmp(section, "sweep") == 0 || strcmp(section, "quick") == 0 ||
	    strcmp(section, "full") == 0)
		for (const struct sl_param_def *p = e->wl ? e->wl->params : NULL; p && p->name && n < max - 1; p++)
			out[n++] = p->name;
	if (strcmp(section, "mpi") == 0)
		for (const char *const *k = mpi_keys; *k && n < max - 1; k++)
			out[n++] = *k;
	if (strcmp(section, "compare") == 0) {
		out[n++] = "threshold";
		for (size_t i = 0; i < sl_metric_ncolumns && n < max - 1; i++)
			out[n++] = sl_metric_columns[i].name;
	}
	out[n] = NULL;
	return n;
}

static void unknown_key(const struct sl_experiment *e, const struct sl_entry *en)
{
	const char *cands[96];
	const char *guess;
	const char *all[160];
	int n = 0;

	known_keys(e, en->section, cands, 96);
	guess = sl_did_you_mean(en->key, cands);
	if (guess) {
		sl_err_at(en->file, en->line, "unknown key '%s' in [%s] (did you mean '%s'?)", en->key, en->section, guess);
		return;
	}
	/* maybe it belongs to another section */
	for (const char *const *s = sections; *s; s++) {
		const char *c[96];
		int k = known_keys(e, *s, c, 96);

		for (int i = 0; i < k && n < 159; i++)
			if (strcmp(c[i], en->key) == 0) {
				sl_err_at(en->file, en->line, "key '%s' does not belong in [%s] (it goes in [%s])", en->key,
					  en->section, *s);
				return;
			}
		for (int i = 0; i < k && n < 159; i++)
			all[n++] = c[i];
	}
	all[n] = NULL;
	guess = sl_did_you_mean(en->key, all);
	if (guess)
		sl_err_at(en->file, en->line, "unknown key '%s' in [%s] (did you mean '%s'?)", en->key, en->section, guess);
	else if (strcmp(en->section, "workload") == 0 && e->wl)
		sl_err_at(en->file, en->line, "unknown parameter '%s' of workload '%s' (see 'speedlab list')", en->key,
			  e->wl->name);
	else
		sl_err_at(en->file, en->line, "unknown key '%s' in [%s]", en->key, en->section);
}

/* ---- building the experiment from its entries ---- */

static struct sl_axis *axis_get(struct sl_experiment *e, const char *name)
{
	for (int i = 0; i < e->naxes; i++)
		if (strcmp(e->axes[i].name, name) == 0)
			return &e->axes[i];
	return NULL;
}

/* Whether s is one quoted string ("..." or '...', that quote nowhere inside): a text value read
 * as it is written loses such quotes, as an item of a list does. */
static bool is_quoted(const char *s)
{
	size_t len = strlen(s);

	return len >= 2 && (s[0] == '"' || s[0] == '\'') && s[len - 1] == s[0] && !memchr(s + 1, s[0], len - 2);
}

/* A free-text value (a command line) cut short by " ;", which libinih reads as a comment: an error
 * naming what was left and what was cut, since "cd /tmp ; sha256sum f" would otherwise run "cd /tmp".
 * Returns 0 when en's value is not free text, else -EINVAL (message printed). */
static int free_text_cut(const struct sl_experiment *e, const struct sl_entry *en)
{
	const struct sl_param_def *p = param_def_find(e->wl, en->key);

	if (!p || p->type != SL_PARAM_STRING || p->choices)
		return 0;
	sl_err_at(en->file, en->line, "%s = '%s': ' ;' starts a comment, so '%s' after it was cut off; write "
		  "';' with no space before it to keep it in the command", en->key, en->value, en->cut);
	return -EINVAL;
}

/* Whether /bin/sh would find every quote of the command line s closed: '...' takes everything
 * literally, "..." and a bare backslash escape one character, and # starting a word opens a comment. */
static bool sh_quotes_closed(const char *s)
{
	char quote = 0;

	for (const char *p = s; *p; p++) {
		if (quote == '\'') {
			quote = *p == '\'' ? 0 : quote;
		} else if (*p == '\\') {
			if (!*++p)
				return false;
		} else if (quote == '"') {
			quote = *p == '"' ? 0 : quote;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '#' && (p == s || strchr(" \t;&|()", p[-1]))) {
			return true;
		}
	}
	return !quote;
}

/* Expand and check the values of an axis entry into ax. Returns 0 or -EINVAL (message printed). */
static int fill_axis(struct sl_experiment *e, struct sl_axis *ax, const char *value, const char *file, int line,
		     bool list_ok, bool verbatim)
{
	char msg[256];
	const struct sl_param_def *p = param_def_find(e->wl, ax->name);
	int n;

	if (p && p->type == SL_PARAM_STRING && !p->choices && verbatim) {
		/* free text (a command line): taken verbatim, commas and all, but for enclosing quotes */
		size_t len = strlen(value), skip = is_quoted(value);

		if (len - 2 * skip >= SL_VALUE_LEN) {
			sl_err_at(file, line, "%s: value longer than %d characters (put a long command in a script)",
				  ax->name, SL_VALUE_LEN - 1);
			return -EINVAL;
		}
		snprintf(ax->values[0], SL_VALUE_LEN, "%.*s", (int)(len - 2 * skip), value + skip);
		if (p->shell && !sh_quotes_closed(ax->values[0])) {
			sl_err_at(file, line, "%s: a quote is not closed in '%s' (/bin/sh would refuse it)", ax->name,
				  ax->values[0]);
			return -EINVAL;
		}
		n = 1;
	} else {
		n = sl_values_expand(value, ax->values, SL_MAX_VALUES, msg, sizeof(msg));
		if (n < 0) {
			sl_err_at(file, line, "%s: %s", ax->name, msg);
			return -EINVAL;
		}
	}
	if (n == 0 || (n == 1 && !ax->values[0][0])) {
		sl_err_at(file, line, "empty list for '%s'", ax->name);
		return -EINVAL;
	}
	/* "1, 2, cores" on a 2-CPU machine names 2 twice: keep the first */
	{
		int k = 0;

		for (int i = 0; i < n; i++) {
			bool seen = false;

			for (int j = 0; j < k && !seen; j++)
				seen = strcmp(ax->values[j], ax->values[i]) == 0;
			if (!seen && k != i)
				memcpy(ax->values[k], ax->values[i], SL_VALUE_LEN);
			k += !seen;
		}
		n = k;
	}
	if (n > 1 && !list_ok) {
		sl_err_at(file, line, "'%s' has %d values: a list of values belongs in [sweep]", ax->name, n);
		return -EINVAL;
	}
	for (int i = 0; i < n; i++)
		if (!check_value(e, ax->name, ax->values[i], msg, sizeof(msg))) {
			sl_err_at(file, line, "%s", msg);
			return -EINVAL;
		}
	ax->nvalues = n;
	snprintf(ax->file, sizeof(ax->file), "%s", file);
	ax->line = line;
	return 0;
}

/* Where a bare key of a profile or --set goes: "experiment", "sweep", "workload", "mpi", "compare" or NULL. */
static const char *resolve_section(const struct sl_experiment *e, const char *key)
{
	for (const char *const *k = experiment_keys; *k; k++)
		if (strcmp(*k, key) == 0)
			return "experiment";
	if (axis_def_find(key))
		return "sweep";
	if (param_def_find(e->wl, key)) {
		for (int i = 0; i < e->nentries; i++)
			if (strcmp(e->entries[i].section, "sweep") == 0 && strcmp(e->entries[i].key, key) == 0)
				return "sweep";
		return "workload";
	}
	for (const char *const *k = mpi_keys; *k; k++)
		if (strcmp(*k, key) == 0)
			return "mpi";
	if (strcmp(key, "threshold") == 0 || strncmp(key, "threshold.", 10) == 0)
		return "compare";
	return NULL;
}

/* Replace (or add) the entry section.key with value, remembering where the override came from. */
static int set_entry(struct sl_experiment *e, const char *section, const char *key, const char *value,
		     const char *file, int line)
{
	struct sl_entry *en = NULL;

	/* a workload parameter set in one place replaces it in the other too */
	for (int i = 0; i < e->nentries; i++) {
		struct sl_entry *x = &e->entries[i];

		if (strcmp(x->key, key) != 0)
			continue;
		if (strcmp(x->section, section) == 0 ||
		    ((strcmp(section, "sweep") == 0 || strcmp(section, "workload") == 0) &&
		     (strcmp(x->section, "sweep") == 0 || strcmp(x->section, "workload") == 0))) {
			en = x;
			break;
		}
	}
	if (!en) {
		if (e->nentries >= (int)(sizeof(e->entries) / sizeof(e->entries[0])))
			return -E2BIG;
		en = &e->entries[e->nentries++];
		memset(en, 0, sizeof(*en));
	}
	snprintf(en->section, sizeof(en->section), "%s", section);
	snprintf(en->key, sizeof(en->key), "%s", key);
	snprintf(en->value, sizeof(en->value), "%s", value);
	snprintf(en->file, sizeof(en->file), "%s", file);
	en->line = line;
	en->override = true;
	return 0;
}

static int get_long(const struct sl_entry *en, long min, long max, long *out)
{
	double v;
	char msg[160];

	if (!eval_number(en->value, &v, msg, sizeof(msg))) {
		sl_err_at(en->file, en->line, "%s = '%s': expected a number", en->key, en->value);
		return -EINVAL;
	}
	if (v != floor(v)) {
		sl_err_at(en->file, en->line, "%s = %s: must be a whole number", en->key, en->value);
		return -EINVAL;
	}
	if (v < (double)min || v > (double)max) {
		sl_err_at(en->file, en->line, "%s = %s: out of range [%ld, %ld]", en->key, en->value, min, max);
		return -EINVAL;
	}
	*out = (long)v;
	return 0;
}

static int get_double(const struct sl_entry *en, double min, double max, double *out)
{
	double v;

	if (!sl_parse_double(en->value, &v)) {
		sl_err_at(en->file, en->line, "%s = '%s': expected a number", en->key, en->value);
		return -EINVAL;
	}
	if (v < min || v > max) {
		sl_err_at(en->file, en->line, "%s = %s: out of range [%g, %g]", en->key, en->value, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int apply_experiment_key(struct sl_experiment *e, const struct sl_entry *en)
{
	long l;

	if (strcmp(en->key, "name") == 0) {
		if (!en->value[0] || strlen(en->value) >= sizeof(e->name) || strpbrk(en->value, "/ \t")) {
			char word[SL_NAME_LEN];

			/* the name becomes a directory name: suggest one */
			sl_strlcpy(word, en->value[0] ? en->value : "my-experiment", sizeof(word));
			for (char *p = word; *p; p++)
				if (*p == '/' || *p == ' ' || *p == '\t')
					*p = '-';
			sl_err_at(en->file, en->line, "name = '%s': must be a single word of at most %zu characters "
				  "(it names the result directory), e.g. name = %s", en->value, sizeof(e->name) - 1, word);
			return -EINVAL;
		}
		snprintf(e->name, sizeof(e->name), "%s", en->value);
	} else if (strcmp(en->key, "question") == 0) {
		snprintf(e->question, sizeof(e->question), "%s", en->value);
	} else if (strcmp(en->key, "metric") == 0) {
		if (sl_metric_better(en->value) == 0) {
			sl_err_at(en->file, en->line, "metric = '%s': not a metric with a direction (wall_s, "
				  "start_latency_ms, dispatch_us_per_task, gflops, gbps, pool_ms, ...)", en->value);
			return -EINVAL;
		}
		snprintf(e->metric, sizeof(e->metric), "%s", en->value);
	} else if (strcmp(en->key, "workload") == 0) {
		/* handled before everything else */
	} else if (strcmp(en->key, "repeats") == 0) {
		e->repeats_auto = strcmp(en->value, "auto") == 0;
		if (e->repeats_auto)
			return 0;
		if (get_long(en, 1, 100000, &l)) {
			sl_err_at(en->file, en->line, "repeats: a whole number, or auto (with min_repeats, max_repeats, "
				  "precision)");
			return -EINVAL;
		}
		e->repeats = (int)l;
	} else if (strcmp(en->key, "min_repeats") == 0 || strcmp(en->key, "max_repeats") == 0) {
		if (get_long(en, 1, 100000, &l))
			return -EINVAL;
		*(en->key[1] == 'i' ? &e->min_repeats : &e->max_repeats) = (int)l;
	} else if (strcmp(en->key, "precision") == 0) {
		struct sl_entry num = *en;
		size_t len = strlen(num.value);

		if (len && num.value[len - 1] == '%')
			num.value[len - 1] = '\0';
		if (get_double(&num, 0.01, 100, &e->precision_pct))
			return -EINVAL;
	} else if (strcmp(en->key, "precision_metric") == 0) {
		bool found = strcmp(en->value, "runtime") == 0;

		for (size_t i = 0; i < sl_metric_ncolumns && !found; i++)
			found = strcmp(sl_metric_columns[i].name, en->value) == 0;
		if (!found || strlen(en->value) >= sizeof(e->precision_metric)) {
			sl_err_at(en->file, en->line, "precision_metric = '%s': not a runs.csv metric column (such as "
				  "wall_s or cpu_user_s)", en->value);
			return -EINVAL;
		}
		snprintf(e->precision_metric, sizeof(e->precision_metric), "%s",
			 strcmp(en->value, "runtime") == 0 ? "wall_s" : en->value);
	} else if (strcmp(en->key, "warmup") == 0) {
		if (get_long(en, 0, 1000, &l))
			return -EINVAL;
		e->warmup = (int)l;
	} else if (strcmp(en->key, "timeout") == 0) {
		if (get_double(en, 0.001, 1e7, &e->timeout_s))
			return -EINVAL;
	} else if (strcmp(en->key, "seed") == 0) {
		char *end;

		errno = 0;
		e->seed = strtoull(en->value, &end, 0);
		if (errno || *end || !en->value[0] || en->value[0] == '-') {
			sl_err_at(en->file, en->line, "seed = '%s': expected a non-negative whole number", en->value);
			return -EINVAL;
		}
		e->seed_given = true;
	} else if (strcmp(en->key, "sample_hz") == 0) {
		if (get_double(en, 0, 1000, &e->sample_hz))
			return -EINVAL;
		/* the monitor also gives threads_peak and rss_peak_mb: a rate of 0 would silently mean 20 Hz */
		if (!(e->sample_hz > 0)) {
			sl_err_at(en->file, en->line, "sample_hz = %s: the monitor cannot be turned off; give a rate "
				  "above 0 and up to 1000 (samples per second; default 20)", en->value);
			return -EINVAL;
		}
	} else if (strcmp(en->key, "coordinator_cpus") == 0) {
		char msg[256];

		if (!sl_placement_check_cpus(en->value, msg, sizeof(msg))) {
			sl_err_at(en->file, en->line, "coordinator_cpus = '%s': %s", en->value, msg);
			return -EINVAL;
		}
		snprintf(e->coordinator_cpus, sizeof(e->coordinator_cpus), "%s", en->value);
	}
	return 0;
}

static int apply_mpi_key(struct sl_experiment *e, const struct sl_entry *en)
{
	long l;

	if (strcmp(en->key, "hosts") == 0)
		snprintf(e->mpi_hosts, sizeof(e->mpi_hosts), "%s", en->value);
	else if (strcmp(en->key, "hostfile") == 0)
		snprintf(e->mpi_hostfile, sizeof(e->mpi_hostfile), "%s", en->value);
	else if (strcmp(en->key, "bind") == 0) {
		if (!word_in(en->value, "none|core|hwthread|socket|numa")) {
			const char *cands[] = { "none", "core", "hwthread", "socket", "numa", NULL };
			const char *guess = sl_did_you_mean(en->value, cands);

			sl_err_at(en->file, en->line, "bind = '%s': expected one of none|core|hwthread|socket|numa%s%s%s",
				  en->value, guess ? " (did you mean '" : "", guess ? guess : "", guess ? "'?)" : "");
			return -EINVAL;
		}
		snprintf(e->mpi_bind, sizeof(e->mpi_bind), "%s", en->value);
	}
	else if (strcmp(en->key, "ranks_per_node") == 0) {
		if (get_long(en, 1, 100000, &l))
			return -EINVAL;
		e->mpi_ranks_per_node = (int)l;
	}
	return 0;
}

static int apply_compare_key(struct sl_experiment *e, const struct sl_entry *en)
{
	char msg[256];

	if (sl_cmp_threshold_set(&e->compare, en->key, en->value, msg, sizeof(msg)) < 0) {
		sl_err_at(en->file, en->line, "%s", msg);
		return -EINVAL;
	}
	return 0;
}

static bool key_known_in(const struct sl_experiment *e, const char *section, const char *key)
{
	const char *cands[96];
	int n = known_keys(e, section, cands, 96);

	if (strcmp(section, "compare") == 0 && strncmp(key, "threshold.", 10) == 0) {
		struct sl_cmp_metric m;

		(void)n;
		return sl_cmp_metric_find(key + 10, &m);
	}
	for (int i = 0; i < n; i++)
		if (strcmp(cands[i], key) == 0)
			return true;
	return false;
}

/* Whether the file sets key in section. */
static bool entry_in(const struct sl_experiment *e, const char *section, const char *key)
{
	for (int i = 0; i < e->nentries; i++)
		if (strcmp(e->entries[i].section, section) == 0 && strcmp(e->entries[i].key, key) == 0)
			return true;
	return false;
}

/* A device the workload does not declare (scalar on device = gpu) is refused at its line: it would run
 * on the CPU under a GPU label. */
static int device_refused(const struct sl_experiment *e)
{
	const struct sl_axis *ax = NULL;

	for (int i = 0; i < e->naxes; i++)
		if (strcmp(e->axes[i].name, "device") == 0)
			ax = &e->axes[i];
	if (!ax || (e->wl->devices & SL_DEVICE_GPU))
		return 0;
	for (int v = 0; v < ax->nvalues; v++)
		if (strcmp(ax->values[v], "gpu") == 0) {
			char gpu[256] = "";

			for (const struct sl_workload_ops *const *w = sl_workloads; *w; w++)
				if ((*w)->devices & SL_DEVICE_GPU)
					snprintf(gpu + strlen(gpu), sizeof(gpu) - strlen(gpu), "%s%s", gpu[0] ? ", " : "",
						 (*w)->name);
			sl_err_at(ax->file[0] ? ax->file : e->file, ax->line,
				  "device = gpu: workload '%s' runs on the CPU only (on a GPU: %s)", e->wl->name, gpu);
			return -EINVAL;
		}
	return 0;
}

static int build(struct sl_experiment *e, const char *name, const char *profile, char *const *overrides,
		 int noverrides)
{
	int errors = 0;
	const struct sl_entry *wl_entry = NULL;

	/* sections and duplicates */
	for (int i = 0; i < e->nentries; i++) {
		const struct sl_entry *en = &e->entries[i];
		bool known = false;

		for (const char *const *s = sections; *s; s++)
			known |= strcmp(*s, en->section) == 0;
		if (!known) {
			const char *guess = sl_did_you_mean(en->section, sections);

			bool again = false;

			for (int j = 0; j < i; j++)
				again |= strcmp(e->entries[j].section, en->section) == 0;
			if (again)
				continue;       /* one message per section */
			if (!en->section[0])
				sl_err_at(en->file, en->line, "key '%s' outside any section (start with [experiment])", en->key);
			else if (guess)
				sl_err_at(en->file, en->section_line, "unknown section [%s] (did you mean [%s]?)", en->section, guess);
			else
				sl_err_at(en->file, en->section_line, "unknown section [%s] (known: experiment, workload, sweep, quick, full, compare, mpi)",
					  en->section);
			errors++;
			continue;
		}
		for (int j = 0; j < i; j++)
			if (strcmp(e->entries[j].section, en->section) == 0 && strcmp(e->entries[j].key, en->key) == 0) {
				sl_err_at(en->file, en->line, "duplicate key '%s' in [%s] (first at line %d)", en->key,
					  en->section, e->entries[j].line);
				errors++;
			}
		if (strcmp(en->section, "experiment") == 0 && strcmp(en->key, "workload") == 0)
			wl_entry = en;
	}
	if (errors)
		return -EINVAL;

	/* the workload first: its parameter table decides which keys exist */
	for (int k = 0; k < noverrides; k++)
		if (strncmp(overrides[k], "workload=", 9) == 0 || strncmp(overrides[k], "experiment.workload=", 20) == 0) {
			sl_err_at("--set", 0, "the workload of an experiment cannot be changed with --set");
			return -EINVAL;
		}
	if (!wl_entry) {
		sl_err_at(name, 0, "missing 'workload' in [experiment] (see 'speedlab list' for the workloads)");
		return -EINVAL;
	}
	e->wl = sl_workload_find(wl_entry->value);
	if (!e->wl) {
		const char *names[64];
		int n = 0;
		const char *guess;

		for (const struct sl_workload_ops *const *w = sl_workloads; *w && n < 63; w++)
			names[n++] = (*w)->name;
		names[n] = NULL;
		guess = sl_did_you_mean(wl_entry->value, names);
		if (guess)
			sl_err_at(wl_entry->file, wl_entry->line, "unknown workload '%s' (did you mean '%s'?)", wl_entry->value, guess);
		else
			sl_err_at(wl_entry->file, wl_entry->line, "unknown workload '%s' (see 'speedlab list')", wl_entry->value);
		return -EINVAL;
	}
	snprintf(e->workload, sizeof(e->workload), "%s", e->wl->name);

	/* every key must be known in its section */
	for (int i = 0; i < e->nentries; i++) {
		const struct sl_entry *en = &e->entries[i];

		if (!key_known_in(e, en->section, en->key)) {
			unknown_key(e, en);
			errors++;
		}
	}
	if (errors)
		return -EINVAL;

	/* the profile, then --set, each replacing what it names */
	if (profile && *profile) {
		int n = e->nentries;
		bool any = false;

		if (strcmp(profile, "quick") != 0 && strcmp(profile, "full") != 0) {
			sl_err_at("--profile", 0, "unknown profile '%s' (expected quick or full)", profile);
			return -EINVAL;
		}
		for (int i = 0; i < n; i++)
			any |= strcmp(e->entries[i].section, profile) == 0;
		if (!any && !sl_quiet_errors)
			sl_warn("%s: no [%s] section: --profile %s changes nothing (the values of [experiment] and "
				"[sweep] apply)", name, profile, profile);
		snprintf(e->profile, sizeof(e->profile), "%s", profile);
		for (int i = 0; i < n; i++) {
			struct sl_entry en = e->entries[i];
			const char *target;

			if (strcmp(en.section, profile) != 0)
				continue;
			target = resolve_section(e, en.key);
			if (!target || strcmp(target, "mpi") == 0 || strcmp(target, "compare") == 0) {
				unknown_key(e, &en);
				errors++;
				continue;
			}
			if (set_entry(e, target, en.key, en.value, en.file, en.line) < 0)
				errors++;
		}
	}
	for (int k = 0; k < noverrides; k++) {
		char buf[SL_VALUE_LEN + SL_NAME_LEN + 8], *eq, *key, *dot;
		const char *target;

		if (control_char(overrides[k])) {
			sl_err_at("--set", 0, "control character 0x%02x in '%.*s...'", (unsigned char)*control_char(overrides[k]),
				  (int)(control_char(overrides[k]) - overrides[k]), overrides[k]);
			errors++;
			continue;
		}
		snprintf(buf, sizeof(buf), "%s", overrides[k]);
		eq = strchr(buf, '=');
		if (!eq || eq == buf) {
			sl_err_at("--set", 0, "'%s': expected key=value", overrides[k]);
			errors++;
			continue;
		}
		*eq = '\0';
		key = sl_strip(buf);
		dot = strchr(key, '.');
		if (dot && strncmp(key, "compare.threshold.", 18) != 0 && strncmp(key, "threshold.", 10) != 0) {
			*dot = '\0';
			target = key;
			key = dot + 1;
		} else if (strncmp(key, "compare.", 8) == 0) {
			target = "compare";
			key += 8;
		} else {
			target = resolve_section(e, key);
		}
		if (target) {
			bool ok = false;

			for (const char *const *s = sections; *s; s++)
				ok |= strcmp(*s, target) == 0 && strcmp(target, "quick") != 0 && strcmp(target, "full") != 0;
			if (!ok || !key_known_in(e, target, key))
				target = NULL;
		}
		if (!target) {
			struct sl_entry en = { .line = 0 };

			sl_strlcpy(en.section, dot ? buf : "sweep", sizeof(en.section));
			snprintf(en.key, sizeof(en.key), "%s", key);
			snprintf(en.file, sizeof(en.file), "--set");
			unknown_key(e, &en);
			errors++;
			continue;
		}
		if (set_entry(e, target, key, sl_strip(eq + 1), "--set", 0) < 0)
			errors++;
		if (e->noverrides < 32)
			snprintf(e->overrides[e->noverrides++], SL_VALUE_LEN, "%s", overrides[k]);
	}
	if (errors)
		return -EINVAL;

	/* scalar keys */
	for (int i = 0; i < e->nentries; i++) {
		const struct sl_entry *en = &e->entries[i];

		if (strcmp(en->section, "experiment") == 0)
			errors += apply_experiment_key(e, en) < 0;
		else if (strcmp(en->section, "mpi") == 0)
			errors += apply_mpi_key(e, en) < 0;
		else if (strcmp(en->section, "compare") == 0)
			errors += apply_compare_key(e, en) < 0;
	}
	/* a name given but refused has had its message */
	if (!e->name[0] && !entry_in(e, "experiment", "name")) {
		sl_err_at(name, 0, "missing 'name' in [experiment]");
		errors++;
	}
	if (!e->question[0]) {
		sl_err_at(name, 0, "missing 'question' in [experiment]: say what the experiment asks");
		errors++;
	}
	if (errors)
		return -EINVAL;

	/* axes: every standard axis, then every workload parameter, each with its default unless set */
	e->naxes = 0;
	for (const struct axis_def *a = axis_defs; a->name; a++) {
		struct sl_axis *ax = &e->axes[e->naxes++];

		memset(ax, 0, sizeof(*ax));
		snprintf(ax->name, sizeof(ax->name), "%s", a->name);
		ax->nvalues = 1;
		snprintf(ax->values[0], SL_VALUE_LEN, "%s", a->def);
	}
	for (const struct sl_param_def *p = e->wl->params; p && p->name; p++) {
		struct sl_axis *ax;

		if (e->naxes >= SL_MAX_AXES) {
			sl_err_at(name, 0, "workload '%s' has too many parameters", e->wl->name);
			return -EINVAL;
		}
		ax = &e->axes[e->naxes++];
		memset(ax, 0, sizeof(*ax));
		snprintf(ax->name, sizeof(ax->name), "%s", p->name);
		ax->nvalues = 1;
		snprintf(ax->values[0], SL_VALUE_LEN, "%s", p->def ? p->def : "");
	}
	for (int i = 0; i < e->nentries; i++) {
		const struct sl_entry *en = &e->entries[i];
		bool sweep = strcmp(en->section, "sweep") == 0;
		struct sl_axis *ax;

		if (!sweep && strcmp(en->section, "workload") != 0)
			continue;
		ax = axis_get(e, en->key);
		if (!ax)
			continue;   /* already reported */
		if (en->cut[0] && free_text_cut(e, en) < 0) {
			errors++;
			continue;
		}
		/* an override (profile, --set) may turn a fixed parameter into a list */
		if (fill_axis(e, ax, en->value, en->file, en->line, sweep || en->override, !sweep) < 0)
			errors++;
	}
	if (errors || device_refused(e))
		return -EINVAL;
	if (sl_experiment_nconfigs(e) > 100000) {
		sl_err_at(name, 0, "%ld configurations: too many (at most 100000)", sl_experiment_nconfigs(e));
		return -EINVAL;
	}
	if (e->min_repeats > e->max_repeats) {
		sl_err_at(name, 0, "min_repeats = %d is more than max_repeats = %d", e->min_repeats, e->max_repeats);
		return -EINVAL;
	}
	if (e->repeats_auto)
		e->repeats = e->max_repeats;   /* the rounds the run may take */
	if (!e->seed_given) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		e->seed = ((unsigned long long)ts.tv_sec * 1000003ULL) ^ (unsigned long long)ts.tv_nsec ^
			  ((unsigned long long)getpid() << 32);
		e->seed %= 1000000000ULL;
	}
	return 0;
}

static void defaults(struct sl_experiment *e, const char *name)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->file, sizeof(e->file), "%s", name);
	e->repeats = 5;
	e->min_repeats = 5;
	e->max_repeats = 20;
	e->precision_pct = 2;
	snprintf(e->precision_metric, sizeof(e->precision_metric), "wall_s");
	e->warmup = 1;
	e->timeout_s = 120;
	snprintf(e->metric, sizeof(e->metric), "wall_s");
	e->sample_hz = 20;
	sl_cmp_options_init(&e->compare);
}

int sl_experiment_parse(struct sl_experiment *e, const char *name, const char *text, const char *profile,
			char *const *overrides, int noverrides)
{
	struct reader r = { .text = text, .len = strlen(text) };
	struct parse_state ps = { e, &r, name, 0 };
	int rc;

	defaults(e, name);
	rc = ini_parse_stream(read_line, &r, on_entry, &ps);
	if (r.overlong_line) {
		sl_err_at(name, r.overlong_line, "line longer than %d characters (the INI reader's limit): continue a long "
			  "value on indented lines", r.overlong_max);
		return -EINVAL;
	}
	if (rc > 0 && ps.errors == 0) {
		sl_err_at(name, rc, "syntax error (expected '[section]' or 'key = value')");
		return -EINVAL;
	}
	if (rc < 0) {
		sl_err_at(name, 0, "cannot parse (%s)", rc == -2 ? "out of memory" : "read error");
		return -EIO;
	}
	if (ps.errors)
		return -EINVAL;
	if (e->nentries == 0) {
		sl_err_at(name, 0, "empty experiment file (expected an [experiment] section)");
		return -EINVAL;
	}
	return build(e, name, profile, overrides, noverrides);
}

int sl_experiment_load(struct sl_experiment *e, const char *file, const char *profile, char *const *overrides,
		       int noverrides)
{
	struct stat st;
	char *text;
	size_t len;
	int rc;

	if (stat(file, &st) < 0) {
		sl_err_at(file, 0, "%s", errno == ENOENT ? "no such file" : sl_strerror(errno));
		return errno == ENOENT ? -ENOENT : -errno;
	}
	if (S_ISDIR(st.st_mode)) {
		sl_err_at(file, 0, "is a directory, not an experiment file");
		return -EISDIR;
	}
	text = sl_read_file(file, &len);
	if (!text) {
		rc = -errno;
		sl_err_at(file, 0, "cannot read: %s", sl_strerror(errno));
		return rc;
	}
	if (strlen(text) != len) {
		sl_err_at(file, 0, "not a text file (it holds a NUL byte)");
		free(text);
		return -EINVAL;
	}
	rc = sl_experiment_parse(e, file, text, profile, overrides, noverrides);
	free(text);
	return rc;
}

long sl_experiment_nconfigs(const struct sl_experiment *e)
{
	long n = 1;

	for (int i = 0; i < e->naxes; i++) {
		n *= e->axes[i].nvalues;
		if (n > 1000000000L)
			return n;
	}
	return n;
}

static void copy_text(char *dst, size_t len, const char *src)
{
	sl_strlcpy(dst, src, len);
}

int sl_experiment_setting(const struct sl_experiment *e, long idx, struct sl_setting *s, char *msg, size_t msglen)
{
	long rest = idx;
	const char *val[SL_MAX_AXES];

	memset(s, 0, sizeof(*s));
	if (idx < 0 || idx >= sl_experiment_nconfigs(e)) {
		snprintf(msg, msglen, "no configuration %ld", idx);
		return -EINVAL;
	}
	for (int i = e->naxes - 1; i >= 0; i--) {
		val[i] = e->axes[i].values[rest % e->axes[i].nvalues];
		rest /= e->axes[i].nvalues;
	}
	s->config = (int)idx;
	s->timeout_s = e->timeout_s;
	copy_text(s->mpi_hosts, sizeof(s->mpi_hosts), e->mpi_hosts);
	copy_text(s->mpi_hostfile, sizeof(s->mpi_hostfile), e->mpi_hostfile);
	copy_text(s->mpi_bind, sizeof(s->mpi_bind), e->mpi_bind);
	copy_text(s->coordinator_cpus, sizeof(s->coordinator_cpus), e->coordinator_cpus);
	copy_text(s->allowed_cpus, sizeof(s->allowed_cpus), sl_topology()->allowed);
	s->mpi_ranks_per_node = e->mpi_ranks_per_node;
	copy_text(s->workload, sizeof(s->workload), e->workload);
	for (int i = 0; i < e->naxes; i++) {
		const char *name = e->axes[i].name, *v = val[i];

		if (strcmp(name, "processes") == 0)
			s->processes = atoi(v);
		else if (strcmp(name, "chunksize") == 0)
			copy_text(s->chunksize_text, sizeof(s->chunksize_text), v);
		else if (strcmp(name, "start_method") == 0)
			copy_text(s->start_method, sizeof(s->start_method), v);
		else if (strcmp(name, "threads") == 0)
			copy_text(s->threads_text, sizeof(s->threads_text), v);
		else if (strcmp(name, "thread_api") == 0)
			copy_text(s->thread_api, sizeof(s->thread_api), v);
		else if (strcmp(name, "dispatch") == 0)
			copy_text(s->dispatch, sizeof(s->dispatch), v);
		else if (strcmp(name, "device") == 0)
			copy_text(s->device, sizeof(s->device), v);
		else if (strcmp(name, "blas") == 0)
			copy_text(s->blas, sizeof(s->blas), v);
		else if (strcmp(name, "parent_rss_mb") == 0)
			s->parent_rss_mb = atoi(v);
		else if (strcmp(name, "parent_uses") == 0)
			copy_text(s->parent_uses, sizeof(s->parent_uses), v);
		else if (strcmp(name, "affinity") == 0)
			copy_text(s->affinity, sizeof(s->affinity), v);
		else if (strcmp(name, "mem_policy") == 0)
			copy_text(s->mem_policy, sizeof(s->mem_policy), v);
		else if (s->nparams < SL_MAX_PARAMS) {
			struct sl_param_value *p = &s->params[s->nparams++];
			double num;

			copy_text(p->name, sizeof(p->name), name);
			copy_text(p->text, sizeof(p->text), v);
			p->num = sl_parse_double(v, &num) ? num : NAN;
		}
	}
	if (strcmp(s->threads_text, "unset") == 0) {
		s->threads_kind = SL_THREADS_UNSET;
		s->threads = 0;
	} else if (strcmp(s->threads_text, "auto") == 0) {
		int t = sl_topology()->logical / (s->processes > 0 ? s->processes : 1);

		s->threads_kind = SL_THREADS_AUTO;
		s->threads = t < 1 ? 1 : t;
	} else {
		s->threads_kind = SL_THREADS_N;
		s->threads = atoi(s->threads_text);
	}
	if (strcmp(s->chunksize_text, "auto") == 0) {
		/* Python's Pool.map rule: ceil(N / (4 P)) */
		long n = e->wl ? sl_workload_ntasks(e->wl, s) : 1;
		long c = (n + 4L * s->processes - 1) / (4L * s->processes);

		s->chunksize = c < 1 ? 1 : (int)c;
	} else {
		s->chunksize = atoi(s->chunksize_text);
	}
	return 0;
}

void sl_experiment_order(const struct sl_experiment *e, int *order, long n)
{
	struct sl_rng rng;

	for (long i = 0; i < n; i++)
		order[i] = (int)i;
	sl_rng_seed(&rng, e->seed);
	sl_rng_shuffle(&rng, order, (size_t)n);
}

/* A written line's length: well inside libinih's line limit, so that experiment.ini reads back. */
#define WRITE_LINE_MAX 100

/* Write "key = value", a long value continued on indented lines. A line breaks at a single space
 * (the reader joins continued lines with one) and never before ';' or '#' (a comment there). */
static void put_entry(FILE *f, const char *key, const char *value)
{
	size_t col = (size_t)fprintf(f, "%s = ", key);
	const char *p = value;

	while (col + strlen(p) > WRITE_LINE_MAX) {
		size_t cut = 0;

		for (size_t i = 1; p[i] && (i + col <= WRITE_LINE_MAX || !cut); i++)
			if (p[i] == ' ' && p[i - 1] != ' ' && p[i + 1] && p[i + 1] != ' ' && p[i + 1] != ';' &&
			    p[i + 1] != '#')
				cut = i;
		if (!cut)
			break;   /* one long word: as it is */
		fprintf(f, "%.*s\n    ", (int)cut, p);
		col = 4;
		p += cut + 1;
	}
	fprintf(f, "%s\n", p);
}

/* Write an axis's values as one list, quoting any that would not read back as the same word; a
 * verbatim (free text) value only when it holds a comma or quotes that reading would strip. The
 * quote is one the value lacks; one with both kinds is written as it is. */
static void put_values(FILE *out, const struct sl_axis *ax, bool verbatim)
{
	char *list = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&list, &len);

	if (!f) {
		fprintf(out, "%s = %s\n", ax->name, ax->values[0]);
		return;
	}
	for (int i = 0; i < ax->nvalues; i++) {
		const char *v = ax->values[i];
		char q = strchr(v, '"') ? '\'' : '"';
		bool quote = verbatim ? strchr(v, ',') || is_quoted(v) : strpbrk(v, ",;#\"' ()") != NULL;

		if (i)
			fputs(", ", f);
		if (quote && !strchr(v, q))
			fprintf(f, "%c%s%c", q, v, q);
		else
			fputs(v, f);
	}
	fclose(f);
	put_entry(out, ax->name, list);
	free(list);
}

int sl_experiment_write(const struct sl_experiment *e, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f)
		return -errno;
	/* comment lines too stay inside the reader's limit: one per --set, each cut short if need be */
	fprintf(f, "; the effective experiment: %.120s%s%s\n", e->file, e->profile[0] ? " --profile " : "", e->profile);
	for (int i = 0; i < e->noverrides; i++)
		fprintf(f, ";   --set %.150s\n", e->overrides[i]);
	fprintf(f, "; every value expanded on this machine; run it again with: speedlab run THIS_FILE\n");
	fprintf(f, "[experiment]\nname = %s\n", e->name);
	put_entry(f, "question", e->question);
	fprintf(f, "workload = %s\n", e->workload);
	if (e->repeats_auto)
		fprintf(f, "repeats = auto\nmin_repeats = %d\nmax_repeats = %d\nprecision = %g%%\nprecision_metric = %s\n",
			e->min_repeats, e->max_repeats, e->precision_pct, e->precision_metric);
	else
		fprintf(f, "repeats = %d\n", e->repeats);
	fprintf(f, "warmup = %d\ntimeout = %g\nseed = %llu\nsample_hz = %g\n", e->warmup, e->timeout_s, e->seed,
		e->sample_hz);
	if (strcmp(e->metric, "wall_s") != 0)
		fprintf(f, "metric = %s\n", e->metric);
	if (e->coordinator_cpus[0])
		put_entry(f, "coordinator_cpus", e->coordinator_cpus);
	fprintf(f, "\n[workload]\n");
	for (int i = 0; i < e->naxes; i++) {
		const struct sl_axis *ax = &e->axes[i];
		const struct sl_param_def *p = param_def_find(e->wl, ax->name);

		if (!axis_def_find(ax->name) && ax->nvalues == 1)
			put_values(f, ax, p && p->type == SL_PARAM_STRING && !p->choices);
	}
	fprintf(f, "\n[sweep]\n");
	for (int i = 0; i < e->naxes; i++) {
		const struct sl_axis *ax = &e->axes[i];

		if (axis_def_find(ax->name) || ax->nvalues > 1)
			put_values(f, ax, false);
	}
	if (e->mpi_hosts[0] || e->mpi_hostfile[0] || e->mpi_ranks_per_node || e->mpi_bind[0]) {
		fprintf(f, "\n[mpi]\n");
		if (e->mpi_hosts[0])
			put_entry(f, "hosts", e->mpi_hosts);
		if (e->mpi_hostfile[0])
			put_entry(f, "hostfile", e->mpi_hostfile);
		if (e->mpi_ranks_per_node)
			fprintf(f, "ranks_per_node = %d\n", e->mpi_ranks_per_node);
		if (e->mpi_bind[0])
			fprintf(f, "bind = %s\n", e->mpi_bind);
	}
	fprintf(f, "\n[compare]\nthreshold = %g\n", e->compare.threshold_pct);
	for (int i = 0; i < e->compare.nthresholds; i++)
		fprintf(f, "threshold.%s = %g\n", e->compare.thresholds[i].metric, e->compare.thresholds[i].pct);
	if (fclose(f) != 0) {
		free(buf);
		return -EIO;
	}
	rc = sl_write_file_atomic(path, buf, len);
	free(buf);
	return rc;
}
