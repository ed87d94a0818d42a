/* opts.c: sub-command argv through getopt_long, in order, with speedlab's error messages. */
#include <string.h>

#include "core/opts.h"
#include "core/speedlab.h"

void sl_opts_init(struct sl_opts *o, const char *cmd, int argc, char **argv, const char *shortopts,
		  const struct option *longopts)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };

	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->argc = argc;
	o->argv = argv;
	o->longopts = longopts ? longopts : none;
	/* '-': positional arguments come back in order (argv is not permuted, whatever POSIXLY_CORRECT
	 * says); ':': a missing value is told apart from an unknown option */
	snprintf(o->optstring, sizeof(o->optstring), "-:%s", shortopts ? shortopts : "");
	optind = 0;             /* glibc: a full reset, as a new argv may follow an earlier command's */
	opterr = 0;
}

/* The long option NAME names exactly (len characters), or NULL; unknown ones are reported. */
static const struct option *long_named(const struct sl_opts *o, const char *text)
{
	size_t len = strcspn(text, "=");
	const char *names[64];
	char word[64];
	const char *guess;
	int n = 0;

	for (const struct option *l = o->longopts; l->name; l++) {
		if (strlen(l->name) == len && strncmp(l->name, text, len) == 0)
			return l;
		if (n < 63)
			names[n++] = l->name;
	}
	names[n] = NULL;
	snprintf(word, sizeof(word), "%.*s", (int)len, text);
	guess = sl_did_you_mean(word, names);
	if (guess)
		sl_err("%s: unknown option '--%s' (did you mean '--%s'?)", o->cmd, word, guess);
	else
		sl_err("%s: unknown option '--%s' (see 'speedlab %s --help')", o->cmd, word, o->cmd);
	return NULL;
}

int sl_opts_next(struct sl_opts *o)
{
	int at = optind > 0 ? optind : 1;       /* the element getopt reads now */
	const struct option *l;
	int c;

	o->arg = NULL;
	if (o->rest) {
		if (o->rest >= o->argc)
			return SL_OPT_END;
		o->arg = o->argv[o->rest++];
		return SL_OPT_ARG;
	}
	c = getopt_long(o->argc, o->argv, o->optstring, o->longopts, NULL);
	if (c == -1) {
		if (optind >= o->argc)
			return SL_OPT_END;
		o->rest = optind;               /* after "--" */
		return sl_opts_next(o);
	}
	o->arg = optarg;
	if (c == SL_OPT_ARG)
		return c;
	if (strncmp(o->argv[at], "--", 2) != 0) {       /* a short option */
		if (c == ':')
			sl_err("%s: option '-%c' requires a value", o->cmd, optopt);
		else if (c == '?' && strlen(o->argv[at]) > 2)
			sl_err("%s: unknown option '-%c' in '%s' (see 'speedlab %s --help')", o->cmd, optopt,
			       o->argv[at], o->cmd);
		else if (c == '?')
			sl_err("%s: unknown option '-%c' (see 'speedlab %s --help')", o->cmd, optopt, o->cmd);
		return c == ':' || c == '?' ? SL_OPT_BAD : c;
	}
	l = long_named(o, o->argv[at] + 2);
	if (!l)
		return SL_OPT_BAD;
	if (c == ':')
		sl_err("%s: option '--%s' requires a value", o->cmd, l->name);
	else if (c == '?')
		sl_err("%s: option '--%s' takes no value", o->cmd, l->name);
	return c == ':' || c == '?' ? SL_OPT_BAD : c;
}
