/* meta.c: meta.json read back (sl_meta_load, typed) and the machine a result came from; the one
 * reader of meta.json for table, plot, report and seeds. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "results/meta.h"

json_t *sl_json_load(const char *path, json_error_t *err)
{
	size_t len;
	char *text = sl_read_file_nofollow(path, &len);
	json_t *j;

	if (!text) {
		memset(err, 0, sizeof(*err));
		snprintf(err->text, sizeof(err->text), "cannot read: %s", sl_strerror(errno));
		return NULL;
	}
	j = json_loadb(text, len, 0, err);
	free(text);
	return j;
}

/* ---- the machine, from meta.json ---- */

/* Whether v can be read as text (want_text) or as a number. */
static bool json_usable(const json_t *v, bool want_text)
{
	double d;

	if (want_text)
		return json_is_string(v);
	return json_is_number(v) || (json_is_string(v) && sl_parse_double(json_string_value(v), &d));
}

/* Depth-first search of obj for the first key among names whose value is usable; NULL when none. */
static const json_t *json_find(const json_t *obj, const char *const *names, bool want_text, int depth)
{
	const char *key;
	const json_t *val;

	if (!obj || !json_is_object(obj) || depth > 4)
		return NULL;
	for (int i = 0; names[i]; i++) {
		val = json_object_get(obj, names[i]);
		if (val && json_usable(val, want_text))
			return val;
	}
	json_object_foreach((json_t *)obj, key, val) {
		const json_t *hit = json_find(val, names, want_text, depth + 1);

		if (hit)
			return hit;
	}
	return NULL;
}

static void json_text(const json_t *root, const char *const *names, char *buf, size_t len)
{
	const json_t *v = json_find(root, names, true, 0);

	if (v)
		snprintf(buf, len, "%s", json_string_value(v));
}

static double json_num(const json_t *root, const char *const *names)
{
	const json_t *v = json_find(root, names, false, 0);
	double d = 0;

	if (v && json_is_number(v))
		return json_number_value(v);
	if (v)
		sl_parse_double(json_string_value(v), &d);
	return d;
}

/* The first array or string found under one of names (GPUs); NULL when none. */
static const json_t *json_find_list(const json_t *obj, const char *const *names, int depth)
{
	const char *key;
	const json_t *val;

	if (!obj || !json_is_object(obj) || depth > 4)
		return NULL;
	for (int i = 0; names[i]; i++) {
		val = json_object_get(obj, names[i]);
		if (val && (json_is_array(val) || json_is_string(val)))
			return val;
	}
	json_object_foreach((json_t *)obj, key, val) {
		const json_t *hit = json_find_list(val, names, depth + 1);

		if (hit)
			return hit;
	}
	return NULL;
}

void sl_machine_from_meta(const json_t *meta, struct sl_machine *m)
{
	static const char *const host[] = { "hostname", "host", NULL };
	static const char *const cpu[] = { "cpu_model", "model_name", "cpu", "model", NULL };
	static const char *const logical[] = { "logical", "logical_cpus", "cpus_logical", "nlogical", NULL };
	static const char *const physical[] = { "physical", "physical_cores", "cores_physical", "nphysical", NULL };
	static const char *const sockets[] = { "sockets", "packages", NULL };
	static const char *const mem[] = { "mem_gib", "memory_gib", "mem_total_gib", NULL };
	static const char *const kernel[] = { "kernel", "os", "uname", NULL };
	static const char *const gpus[] = { "gpus", "gpu", NULL };
	const json_t *sys, *g;

	memset(m, 0, sizeof(*m));
	if (!meta)
		return;
	sys = json_object_get(meta, "sysinfo");
	if (!sys || !json_is_object(sys))
		sys = meta;
	json_text(sys, host, m->host, sizeof(m->host));
	json_text(sys, cpu, m->cpu, sizeof(m->cpu));
	json_text(sys, kernel, m->kernel, sizeof(m->kernel));
	m->logical = (int)json_num(sys, logical);
	m->physical = (int)json_num(sys, physical);
	m->sockets = (int)json_num(sys, sockets);
	m->mem_gib = json_num(sys, mem);
	if (m->logical < 0 || m->logical > 1 << 20)
		m->logical = 0;
	if (m->physical < 0 || m->physical > 1 << 20)
		m->physical = 0;
	g = json_find_list(sys, gpus, 0);
	if (g && json_is_array(g) && json_array_size(g) > 0) {
		const json_t *first = json_array_get(g, 0);
		const json_t *name = json_is_object(first) ? json_object_get(first, "name") : first;

		if (name && json_is_string(name))
			snprintf(m->gpu, sizeof(m->gpu), "%s%s", json_string_value(name),
				 json_array_size(g) > 1 ? " (and more)" : "");
	} else if (g && json_is_string(g)) {
		snprintf(m->gpu, sizeof(m->gpu), "%s", json_string_value(g));
	}
}

void sl_machine_line(const struct sl_machine *m, char *buf, size_t len)
{
	size_t n = 0;

#define ADD(...)                                                                      \
	do {                                                                          \
		if (n < len) {                                                        \
			int k_ = snprintf(buf + n, len - n, __VA_ARGS__);             \
			n += k_ > 0 ? (size_t)k_ : 0;                                 \
		}                                                                     \
	} while (0)
	buf[0] = '\0';
	ADD("%s", m->host[0] ? m->host : "unknown machine");
	if (m->cpu[0])
		ADD(" · %s", m->cpu);
	if (m->logical > 0 && m->physical > 0)
		ADD(" · %d logical / %d physical CPUs", m->logical, m->physical);
	else if (m->logical > 0)
		ADD(" · %d logical CPUs", m->logical);
	if (m->mem_gib > 0)
		ADD(" · %.1f GiB", m->mem_gib);
	if (m->gpu[0])
		ADD(" · %s", m->gpu);
#undef ADD
}

/* ---- meta.json, typed ---- */

/* Where the workers ran, when the sweep placed them (affinity, mem_policy, coordinator_cpus): the allowed
 * CPUs, SMT, the NUMA nodes (one: mem_policy cannot move memory anywhere), the coordinator; "" when the
 * sweep placed nothing. */
static void meta_placement(const json_t *p, char *buf, size_t len)
{
	const json_t *plans = json_object_get(p, "plans"), *q;
	const char *coord = json_string_value(json_object_get(p, "coordinator_cpus"));
	const char *allowed = json_string_value(json_object_get(p, "allowed_cpus"));
	bool placed = coord && strcmp(coord, "not pinned") != 0, mem = false;
	long long numa = json_integer_value(json_object_get(p, "numa_nodes"));
	size_t i;

	buf[0] = '\0';
	json_array_foreach(plans, i, q) {
		const char *a = json_string_value(json_object_get(q, "affinity"));
		const char *m = json_string_value(json_object_get(q, "mem_policy"));

		placed |= a && strcmp(a, "none") != 0;
		mem |= m && strcmp(m, "default") != 0;
	}
	if (!placed && !mem)
		return;
	snprintf(buf, len, "allowed CPUs %s · %lld hardware thread(s) per core · %lld NUMA node%s%s · coordinator %s%s",
		 allowed ? allowed : "?", json_integer_value(json_object_get(p, "smt")), numa, numa == 1 ? "" : "s",
		 numa == 1 && mem ? " (one node: mem_policy was applied and recorded, but memory has nowhere else to go)" : "",
		 placed && coord && strcmp(coord, "not pinned") != 0 ? "pinned to CPUs " : "", coord ? coord : "not pinned");
}

/* The text of a JSON string of length len into buf: "" when absent or when it holds a NUL byte (a
 * value no speedlab writes, which no reader should take for a shorter one). */
static void meta_text(char *buf, size_t size, const char *s, size_t len)
{
	snprintf(buf, size, "%s", s && strlen(s) == len ? s : "");
}

/* The commit the result was measured at: git_commit, else commit, else git.commit; NULL when none. */
static const char *meta_commit(json_t *meta, const char *git_commit)
{
	json_t *c = json_object_get(meta, "commit");

	if (git_commit)
		return git_commit;
	if (!json_is_string(c))
		c = json_object_get(json_object_get(meta, "git"), "commit");
	return json_is_string(c) ? json_string_value(c) : NULL;
}

int sl_meta_parse(const char *path, const char *text, size_t len, struct sl_meta *out)
{
	const char *name = NULL, *question = NULL, *workload = NULL, *metric = NULL, *profile = NULL;
	const char *commit = NULL, *start = NULL, *end = NULL, *fp = NULL;
	size_t namelen = 0, fplen = 0;
	json_t *meta, *command = NULL, *seed = NULL, *load;
	json_error_t err;
	int schema = 0, repeats = 0;

	memset(out, 0, sizeof(*out));
	out->load_per_cpu = NAN;
	meta = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (!meta) {
		sl_err_at(path, err.line, "%s", err.text);
		return -EINVAL;
	}
	/* the fields every reader uses, with their types; others are left to whoever needs them */
	if (json_unpack_ex(meta, &err, 0, "{s?i, s?{s?s%, s?s, s?s, s?s, s?s, s?i}, s?s, s?s, s?s, s?o, s?o, s?s%}",
			   "schema_version", &schema, "experiment", "name", &name, &namelen, "question", &question,
			   "workload", &workload, "metric", &metric, "profile", &profile, "repeats", &repeats,
			   "git_commit", &commit, "start_time", &start, "end_time", &end, "command_line", &command,
			   "seed", &seed, "fingerprint", &fp, &fplen) != 0) {
		sl_err_at(path, 0, "a field has the wrong type (%s): experiment.name, question, workload, metric, "
			  "profile, git_commit, start_time, end_time and fingerprint are text; schema_version and "
			  "experiment.repeats whole numbers", err.text);
		json_decref(meta);
		return -EINVAL;
	}
	if (schema > SL_META_SCHEMA) {
		sl_err_at(path, 0, "schema_version %d is newer than this speedlab reads (%d)", schema, SL_META_SCHEMA);
		json_decref(meta);
		return -EINVAL;
	}
	out->schema = schema;
	out->repeats = repeats;
	meta_text(out->name, sizeof(out->name), name, namelen);
	meta_text(out->fingerprint, sizeof(out->fingerprint), fp, fplen);
	snprintf(out->question, sizeof(out->question), "%s", question ? question : "");
	snprintf(out->workload, sizeof(out->workload), "%s", workload ? workload : "");
	snprintf(out->metric, sizeof(out->metric), "%s", metric ? metric : "");
	snprintf(out->profile, sizeof(out->profile), "%s", profile ? profile : "");
	commit = meta_commit(meta, commit);
	snprintf(out->commit, sizeof(out->commit), "%s", commit ? commit : "");
	snprintf(out->start, sizeof(out->start), "%s", start ? start : "");
	snprintf(out->end, sizeof(out->end), "%s", end ? end : "");
	if (json_is_integer(seed))
		out->seed = (long long)json_integer_value(seed);
	load = json_object_get(json_object_get(meta, "preflight"), "load_per_cpu");
	if (json_is_number(load) && json_number_value(load) >= 0)
		out->load_per_cpu = json_number_value(load);
	/* the command line: a string, or the words of argv */
	if (json_is_string(command)) {
		snprintf(out->command, sizeof(out->command), "%s", json_string_value(command));
	} else if (json_is_array(command)) {
		size_t n = 0, i;
		json_t *w;

		json_array_foreach(command, i, w)
			if (json_is_string(w) && n < sizeof(out->command))
				n += (size_t)snprintf(out->command + n, sizeof(out->command) - n, "%s%s", i ? " " : "",
						      json_string_value(w));
	}
	meta_placement(json_object_get(meta, "placement"), out->placement, sizeof(out->placement));
	sl_machine_from_meta(meta, &out->m);
	json_decref(meta);
	return 0;
}

int sl_meta_load(const char *dir, struct sl_meta *out)
{
	char path[4096];
	char *text;
	size_t len;
	int err;

	memset(out, 0, sizeof(*out));
	out->load_per_cpu = NAN;
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	if (access(path, F_OK) != 0)
		return 0;
	text = sl_read_file_nofollow(path, &len);   /* a regular file, no link followed */
	if (!text) {
		sl_err_at(path, 0, "cannot read: %s", sl_strerror(errno));
		return -EINVAL;
	}
	err = sl_meta_parse(path, text, len, out);
	free(text);
	return err;
}
