/* experiment.c: experiment files (INI via libinih): parsing, profiles, --set overrides, value
 * expressions, validation with file:line messages, expansion to settings, the seeded run order. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "experiment/axis.h"
#include "experiment/experiment.h"
#include "experiment/experiment_internal.h"
#include "core/launcher.h"
#include "sys/placement.h"
#include "core/stats.h"

/* ---- the keys speedlab knows ---- */

static const char *const sections[] = { "experiment", "workload", "sweep", "quick", "full", "compare", "mpi", NULL };
enum section_id { SEC_EXPERIMENT, SEC_WORKLOAD, SEC_SWEEP, SEC_QUICK, SEC_FULL, SEC_COMPARE, SEC_MPI };
static const char *const experiment_keys[] = { "name", "question", "workload", "repeats", "warmup", "timeout",
					       "seed", "sample_hz", "metric", "coordinator_cpus", "min_repeats",
					       "max_repeats", "precision", "precision_metric", NULL };
static const char *const mpi_keys[] = { "hosts", "hostfile", "ranks_per_node", "bind", NULL };

static bool is_section(const char *name, enum section_id id)
{
	return strcmp(name, sections[id]) == 0;
}

const struct sl_param_def *sl_exp_param_def(const struct sl_workload_ops *w, const char *name)
{
	if (!w)
		return NULL;
	for (const struct sl_param_def *p = w->params; p && p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

/* ---- validation of one value of one key ---- */

static bool check_value(const struct sl_experiment *e, const char *key, const char *value, char *msg, size_t msglen)
{
	const struct sl_axis_def *a = sl_axis_find(key);
	const struct sl_param_def *p;
	double v;

	if (a)
		return sl_axis_check(a, value, msg, msglen);
	p = sl_exp_param_def(e->wl, key);
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
		if (p->choices && !sl_word_in(value, p->choices)) {
			const char *cands[16];
			char buf[256];
			const char *guess;

			sl_words_split(p->choices, buf, sizeof(buf), cands, 16);
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
		for (const struct sl_axis_def *a = sl_axes; a->name && n < max - 1; a++)
			out[n++] = a->name;
	if (strcmp(section, "workload") == 0 || strcmp(section, "sweep") == 0 || strcmp(section, "quick") == 0 ||
	    strcmp(section, "full") == 0)
		for (const struct sl_param_def *p = e->wl ? e->wl->params : NULL; p && p->name && n < max - 1; p++)
			out[n++] = p->name;
	if (is_section(section, SEC_MPI))
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
bool sl_exp_is_quoted(const char *s)
{
	size_t len = strlen(s);

	return len >= 2 && (s[0] == '"' || s[0] == '\'') && s[len - 1] == s[0] && !memchr(s + 1, s[0], len - 2);
}

/* A free-text value (a command line) cut short by " ;", which libinih reads as a comment: an error
 * naming what was left and what was cut, since "cd /tmp ; sha256sum f" would otherwise run "cd /tmp".
 * Returns 0 when en's value is not free text, else -EINVAL (message printed). */
static int free_text_cut(const struct sl_experiment *e, const struct sl_entry *en)
{
	const struct sl_param_def *p = sl_exp_param_def(e->wl, en->key);

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
	const struct sl_param_def *p = sl_exp_param_def(e->wl, ax->name);
	int n;

	if (p && p->type == SL_PARAM_STRING && !p->choices && verbatim) {
		/* free text (a command line): taken verbatim, commas and all, but for enclosing quotes */
		size_t len = strlen(value), skip = sl_exp_is_quoted(value);

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
	if (sl_axis_find(key))
		return "sweep";
	if (sl_exp_param_def(e->wl, key)) {
		for (int i = 0; i < e->nentries; i++)
			if (strcmp(e->entries[i].section, "sweep") == 0 && strcmp(e->entries[i].key, key) == 0)
				return "sweep";
		return "workload";
	}
	for (const char *const *k = mpi_keys; *k; k++)
		if (strcmp(*k, key) == 0)
			return sections[SEC_MPI];
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

static const struct sl_axis *swept_axis(const struct sl_experiment *e, const char *name)
{
	for (int i = 0; i < e->naxes; i++)
		if (strcmp(e->axes[i].name, name) == 0)
			return &e->axes[i];
	return NULL;
}

/* A value of axis `name` outside the words the workload declares (allowed "a|b"; NULL: every value)
 * is refused at the axis's line. */
static int undeclared_refused(const struct sl_experiment *e, const char *name, const char *allowed)
{
	const struct sl_axis *ax = swept_axis(e, name);

	if (!ax || !allowed)
		return 0;
	for (int v = 0; v < ax->nvalues; v++)
		if (!sl_word_in(ax->values[v], allowed)) {
			sl_err_at(ax->file[0] ? ax->file : e->file, ax->line, "%s = %s%s: workload '%s' runs with %s %s only",
				  name, ax->values[v], ax->line > 0 ? "" : " (the default)", e->wl->name, name, allowed);
			return -EINVAL;
		}
	return 0;
}

/* A device the workload does not declare (scalar on device = gpu) is refused at its line: it would run
 * on the CPU under a GPU label. So are dispatch channels and start methods it does not declare. */
static int device_refused(const struct sl_experiment *e)
{
	const struct sl_axis *ax = swept_axis(e, "device");

	if (undeclared_refused(e, "dispatch", e->wl->dispatches) ||
	    undeclared_refused(e, "start_method", e->wl->start_methods))
		return -EINVAL;
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

/* Every section known, every key once in its section; *wl_entry the workload line. Returns the
 * number of problems (each printed). */
static int check_sections(const struct sl_experiment *e, const struct sl_entry **wl_entry)
{
	int errors = 0;

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
			*wl_entry = en;
	}
	return errors;
}

/* The workload first: its parameter table decides which keys exist. 0 or -EINVAL (printed). */
static int find_workload(struct sl_experiment *e, const char *name, const struct sl_entry *wl_entry,
			 char *const *overrides, int noverrides)
{
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
	return 0;
}

/* The profile's section replacing what it names. Returns the number of problems, or -EINVAL for
 * an unknown profile. */
static int apply_profile(struct sl_experiment *e, const char *name, const char *profile)
{
	int errors = 0;

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
			if (!target || is_section(target, SEC_MPI) || is_section(target, SEC_COMPARE)) {
				unknown_key(e, &en);
				errors++;
				continue;
			}
			if (set_entry(e, target, en.key, en.value, en.file, en.line) < 0)
				errors++;
		}
	}
	return errors;
}

/* --set key=value, each replacing what it names. Returns the number of problems (each printed). */
static int apply_overrides(struct sl_experiment *e, char *const *overrides, int noverrides)
{
	int errors = 0;

	for (int k = 0; k < noverrides; k++) {
		char buf[SL_VALUE_LEN + SL_NAME_LEN + 8], *eq, *key, *dot;
		const char *target;

		if (sl_exp_control_char(overrides[k])) {
			sl_err_at("--set", 0, "control character 0x%02x in '%.*s...'", (unsigned char)*sl_exp_control_char(overrides[k]),
				  (int)(sl_exp_control_char(overrides[k]) - overrides[k]), overrides[k]);
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
	return errors;
}

/* The scalar keys of [experiment], [mpi] and [compare]. Returns the number of problems (printed). */
static int apply_scalars(struct sl_experiment *e, const char *name)
{
	int errors = 0;

	for (int i = 0; i < e->nentries; i++) {
		const struct sl_entry *en = &e->entries[i];

		if (strcmp(en->section, "experiment") == 0)
			errors += sl_exp_apply_experiment_key(e, en) < 0;
		else if (is_section(en->section, SEC_MPI))
			errors += sl_exp_apply_mpi_key(e, en) < 0;
		else if (strcmp(en->section, "compare") == 0)
			errors += sl_exp_apply_compare_key(e, en) < 0;
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
	return errors;
}

/* Add axis name with the one value def (the axis table has fewer rows than SL_MAX_AXES). */
static void add_axis(struct sl_experiment *e, const char *name, const char *def)
{
	struct sl_axis *ax = &e->axes[e->naxes++];

	memset(ax, 0, sizeof(*ax));
	snprintf(ax->name, sizeof(ax->name), "%s", name);
	ax->nvalues = 1;
	snprintf(ax->values[0], SL_VALUE_LEN, "%s", def);
}

/* The axes: every standard axis, then every workload parameter, each with its default unless set.
 * 0 or -EINVAL (printed). */
static int build_axes(struct sl_experiment *e, const char *name)
{
	int errors = 0;

	e->naxes = 0;
	for (const struct sl_axis_def *a = sl_axes; a->name; a++)
		add_axis(e, a->name, a->def);
	for (const struct sl_param_def *p = e->wl->params; p && p->name; p++) {
		if (e->naxes >= SL_MAX_AXES) {
			sl_err_at(name, 0, "workload '%s' has too many parameters", e->wl->name);
			return -EINVAL;
		}
		add_axis(e, p->name, p->def ? p->def : "");
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
	return errors || device_refused(e) ? -EINVAL : 0;
}

static int build(struct sl_experiment *e, const char *name, const char *profile, char *const *overrides,
		 int noverrides)
{
	int errors;
	const struct sl_entry *wl_entry = NULL;

	if (check_sections(e, &wl_entry) || find_workload(e, name, wl_entry, overrides, noverrides) < 0)
		return -EINVAL;
	errors = 0;
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
		errors = apply_profile(e, name, profile);
		if (errors < 0)
			return -EINVAL;
	}
	if (errors + apply_overrides(e, overrides, noverrides))
		return -EINVAL;
	if (apply_scalars(e, name) || build_axes(e, name) < 0)
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
	int rc;

	defaults(e, name);
	rc = sl_exp_read(e, name, text);
	if (rc)
		return rc;
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
	sl_strlcpy(s->mpi_hosts, e->mpi_hosts, sizeof(s->mpi_hosts));
	sl_strlcpy(s->mpi_hostfile, e->mpi_hostfile, sizeof(s->mpi_hostfile));
	sl_strlcpy(s->mpi_bind, e->mpi_bind, sizeof(s->mpi_bind));
	sl_strlcpy(s->coordinator_cpus, e->coordinator_cpus, sizeof(s->coordinator_cpus));
	sl_strlcpy(s->allowed_cpus, sl_topology()->allowed, sizeof(s->allowed_cpus));
	s->mpi_ranks_per_node = e->mpi_ranks_per_node;
	sl_strlcpy(s->workload, e->workload, sizeof(s->workload));
	for (int i = 0; i < e->naxes; i++) {
		const char *name = e->axes[i].name, *v = val[i];
		const struct sl_axis_def *a = sl_axis_find(name);

		if (a)
			sl_axis_set(s, a, v);   /* checked when the file was read */
		else if (s->nparams < SL_MAX_PARAMS) {
			struct sl_param_value *p = &s->params[s->nparams++];
			double num;

			sl_strlcpy(p->name, name, sizeof(p->name));
			sl_strlcpy(p->text, v, sizeof(p->text));
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

