/* expr.c: value expressions of an experiment file: numbers, cores, physical, + - * / ( ), ranges,
 * pow2(), lists and words. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/experiment.h"
#include "experiment/experiment_internal.h"
#include "core/launcher.h"

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
bool sl_exp_eval_number(const char *text, double *out, char *msg, size_t msglen)
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
			if (!sl_exp_eval_number(sl_strip((char *)colon + 1), &v, msg, msglen))
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
		if (!sl_exp_eval_number(sl_strip(lo), &a, msg, msglen) || !sl_exp_eval_number(sl_strip(hi), &b, msg, msglen))
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
	if (!sl_exp_eval_number(buf, &v, msg, msglen))
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

