/* cmdexp.c: the experiment of `speedlab run --cmd COMMAND...`: the command workload, per run, with
 * a name and question derived from the commands; several commands are the values of the cmd axis. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/cmdexp.h"

/* The program's name of a command line: the basename of its first word, letters, digits, '.',
 * '-' and '_' only ("python3" of "VAR=1 /usr/bin/python3 -c ..."); "cmd" when none is left. */
static void program_word(const char *cmd, char *out, size_t len)
{
	const char *p = cmd, *start, *end;
	size_t n = 0;

	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		start = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		end = p;
		/* skip VAR=value assignments before the program */
		if (memchr(start, '=', (size_t)(end - start)) && *p)
			continue;
		break;
	}
	for (const char *q = start; q < end; q++)
		if (*q == '/')
			start = q + 1;
	for (const char *q = start; q < end && n + 1 < len; q++)
		if (isalnum((unsigned char)*q) || *q == '.' || *q == '-' || *q == '_')
			out[n++] = *q;
	out[n] = '\0';
	if (!n)
		snprintf(out, len, "cmd");
}

void sl_cmdexp_name(char *const *cmds, int ncmds, char *out, size_t len)
{
	size_t n;

	snprintf(out, len, "cmd");
	for (int i = 0; i < ncmds; i++) {
		char word[SL_NAME_LEN];

		program_word(cmds[i], word, sizeof(word));
		for (int j = 0; j < i && word[0]; j++) {
			char other[SL_NAME_LEN];

			program_word(cmds[j], other, sizeof(other));
			if (strcmp(other, word) == 0)
				word[0] = '\0';   /* "sleep 1" vs "sleep 2": cmd-sleep */
		}
		if (!word[0])
			continue;
		n = strlen(out);
		if (n + strlen(word) + 5 >= len)
			break;
		snprintf(out + n, len - n, "%s%s", n > 3 ? "-vs-" : "-", word);
	}
}

/* `cmd` for a question: cut to 60 characters with "..." so that the line stays short. */
static void short_cmd(const char *cmd, char *out, size_t len)
{
	if (strlen(cmd) > 60)
		snprintf(out, len, "`%.57s...`", cmd);
	else
		snprintf(out, len, "`%s`", cmd);
	/* a ';' after white space would start an INI comment */
	for (char *p = out; *p; p++)
		if (*p == ';')
			*p = ',';
}

/* Whether cmd holds a ';' after white space, which the INI reader takes for a comment. */
static bool has_inline_comment(const char *cmd)
{
	for (const char *p = strchr(cmd, ';'); p; p = strchr(p + 1, ';'))
		if (p > cmd && isspace((unsigned char)p[-1]))
			return true;
	return false;
}

static void question(char *const *cmds, int ncmds, char *const *sets, int nsets, char *out, size_t len)
{
	char a[80], b[80];
	size_t n;

	short_cmd(cmds[0], a, sizeof(a));
	if (ncmds == 1) {
		snprintf(out, len, "How long does %s take", a);
	} else if (ncmds == 2) {
		short_cmd(cmds[1], b, sizeof(b));
		snprintf(out, len, "Which is faster, %s or %s", a, b);
	} else {
		/* all of them while the line stays short, else how many */
		snprintf(out, len, "Which is fastest: %s", a);
		for (int i = 1; i < ncmds; i++) {
			n = strlen(out);
			short_cmd(cmds[i], b, sizeof(b));
			if (n + strlen(b) + 4 > 150) {
				snprintf(out, len, "Which of the %d commands is fastest", ncmds);
				break;
			}
			snprintf(out + n, len - n, "%s%s", i == ncmds - 1 ? " or " : ", ", b);
		}
	}
	for (int i = 0; i < nsets; i++) {
		n = strlen(out);
		if (strchr(sets[i], ',') && n + strlen(sets[i]) + 16 < len && n < 150)
			snprintf(out + n, len - n, "%s%s", strstr(out, ", with ") ? "; " : ", with ", sets[i]);
	}
	n = strlen(out);
	snprintf(out + n, len - n, "?");
}

/* Append cmd as one item of a list: in the quotes it lacks. */
static int put_item(FILE *f, const char *cmd)
{
	char q = strchr(cmd, '"') ? '\'' : '"';

	if (strchr(cmd, q))
		return -EINVAL;
	fprintf(f, "%c%s%c", q, cmd, q);
	return 0;
}

char *sl_cmdexp_text(char *const *cmds, int ncmds, char *const *sets, int nsets)
{
	char name[SL_NAME_LEN], q[300];
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (ncmds < 1)
		return NULL;
	for (int i = 0; i < ncmds; i++) {
		if (!cmds[i][0] || strspn(cmds[i], " \t") == strlen(cmds[i])) {
			sl_err_at("--cmd", 0, "empty command");
			return NULL;
		}
		if (strchr(cmds[i], '\n') || strchr(cmds[i], '\r')) {
			sl_err_at("--cmd", 0, "'%s': a command on one line, please (put a longer one in a script)", cmds[i]);
			return NULL;
		}
		if (strlen(cmds[i]) >= SL_VALUE_LEN) {
			sl_err_at("--cmd", 0, "command longer than %d characters (put a long command in a script)",
				  SL_VALUE_LEN - 1);
			return NULL;
		}
		if (has_inline_comment(cmds[i])) {
			sl_err_at("--cmd", 0, "'%s': a ';' after a space would start a comment in experiment.ini: write "
				  "'a; b', not 'a ; b'", cmds[i]);
			return NULL;
		}
		for (int j = 0; j < i; j++)
			if (strcmp(cmds[i], cmds[j]) == 0) {
				sl_err_at("--cmd", 0, "'%s' given twice", cmds[i]);
				return NULL;
			}
	}
	sl_cmdexp_name(cmds, ncmds, name, sizeof(name));
	question(cmds, ncmds, sets, nsets, q, sizeof(q));
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	/* ten measured runs, as hyperfine's minimum; --set repeats=N changes it */
	fprintf(f, "[experiment]\nname = %s\nquestion = %s\nworkload = command\nrepeats = 10\nwarmup = 1\n\n"
		   "[workload]\nper = run\n", name, q);
	if (ncmds == 1) {
		fprintf(f, "cmd = %s\n", cmds[0]);
	} else {
		/* one command per line, continued: a list line may not exceed the INI reader's limit */
		fprintf(f, "\n[sweep]\ncmd = ");
		for (int i = 0; i < ncmds; i++) {
			if (i)
				fprintf(f, ",\n  ");
			if (put_item(f, cmds[i]) < 0) {
				fclose(f);
				free(buf);
				sl_err_at("--cmd", 0, "'%s' holds both kinds of quotes: as one of several --cmd it cannot "
					  "be written to experiment.ini (put it in a script)", cmds[i]);
				return NULL;
			}
		}
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* An axis that only reaches the command through its SPEEDLAB_* variable, swept while no command
 * mentions one: every configuration would run the same thing. A warning, since a script the
 * command starts may read them. */
static void warn_unread_axes(const struct sl_experiment *e, char *const *cmds, int ncmds)
{
	static const char *const env_only[] = { "processes", "chunksize", "start_method", "dispatch", NULL };

	for (int i = 0; i < ncmds; i++)
		if (strstr(cmds[i], "SPEEDLAB_"))
			return;
	for (int k = 0; k < e->naxes; k++)
		for (int j = 0; env_only[j]; j++)
			if (strcmp(e->axes[k].name, env_only[j]) == 0 && e->axes[k].nvalues > 1) {
				char var[32];

				snprintf(var, sizeof(var), "SPEEDLAB_%s", env_only[j]);
				for (char *p = var; *p; p++)
					*p = (char)toupper((unsigned char)*p);
				sl_warn("--cmd: %s takes %d values, but speedlab passes it to the command only as $%s, "
					"which the command line does not mention: unless a program it starts reads it, "
					"every value runs the same thing (e.g. --cmd 'my-program --workers "
					"$SPEEDLAB_PROCESSES')", e->axes[k].name, e->axes[k].nvalues, var);
			}
}

int sl_cmdexp_load(struct sl_experiment *e, char *const *cmds, int ncmds, const char *profile,
		   char *const *sets, int nsets)
{
	char *text = sl_cmdexp_text(cmds, ncmds, sets, nsets);
	int rc;

	if (!text)
		return -EINVAL;
	if (profile && profile[0]) {
		sl_err_at("--profile", 0, "--cmd has no [quick] or [full] profile (use --set repeats=N)");
		free(text);
		return -EINVAL;
	}
	rc = sl_experiment_parse(e, "--cmd", text, "", sets, nsets);
	free(text);
	if (rc == 0)
		warn_unread_axes(e, cmds, ncmds);
	return rc;
}
