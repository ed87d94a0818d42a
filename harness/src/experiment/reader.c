/* reader.c: an experiment file read line by line through libinih, so that every key knows its line;
 * long lines continued, inline comments kept apart, control characters refused. */
#include <ini.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/experiment.h"
#include "experiment/experiment_internal.h"

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
const char *sl_exp_control_char(const char *s)
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
	const char *cc = sl_exp_control_char(value);

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

int sl_exp_read(struct sl_experiment *e, const char *name, const char *text)
{
	struct reader r = { .text = text, .len = strlen(text) };
	struct parse_state ps = { e, &r, name, 0 };
	int rc = ini_parse_stream(read_line, &r, on_entry, &ps);

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
	return ps.errors ? -EINVAL : 0;
}
