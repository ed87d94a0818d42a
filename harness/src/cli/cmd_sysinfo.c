/* cmd_sysinfo.c: `speedlab sysinfo [--json]`: what this machine is, as the OS and the libraries say. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/cmd.h"
#include "core/opts.h"
#include "core/speedlab.h"
#include "sys/sysinfo.h"

static const char *str(json_t *o, const char *path1, const char *path2)
{
	json_t *v = json_object_get(o, path1);

	if (path2)
		v = json_object_get(v, path2);
	return json_is_string(v) ? json_string_value(v) : "-";
}

static void print_text(json_t *o)
{
	json_t *cpu = json_object_get(o, "cpu"), *caches = json_object_get(cpu, "caches");
	json_t *omp = json_object_get(o, "openmp"), *blas = json_object_get(o, "openblas");
	json_t *quota = json_object_get(cpu, "cgroup_cpu_quota");
	const char *key;
	json_t *v;

	printf("host         %s\n", str(o, "hostname", NULL));
	printf("kernel       %s\n", str(o, "kernel", NULL));
	printf("fingerprint  %s\n", str(o, "fingerprint", NULL));
	printf("cpu          %s\n", str(cpu, "model", NULL));
	printf("topology     %lld logical CPUs, %lld physical cores, %lld socket(s), %lld NUMA node(s)\n",
	       json_integer_value(json_object_get(cpu, "logical")), json_integer_value(json_object_get(cpu, "physical")),
	       json_integer_value(json_object_get(cpu, "sockets")), json_integer_value(json_object_get(cpu, "numa_nodes")));
	printf("allowed      CPUs %s (of %lld), %lld hardware thread(s) per core%s\n", str(cpu, "allowed_cpus", NULL),
	       json_integer_value(json_object_get(cpu, "machine_logical")), json_integer_value(json_object_get(cpu, "smt")),
	       json_array_size(json_object_get(cpu, "core_kinds")) > 1 ? ", hybrid core types:" : "");
	for (size_t k = 0; k < json_array_size(json_object_get(cpu, "core_kinds")); k++) {
		json_t *kind = json_array_get(json_object_get(cpu, "core_kinds"), k);

		printf("             CPUs %s: %s\n", str(kind, "cpus", NULL), str(kind, "kind", NULL));
	}
	printf("caches      ");
	json_object_foreach(caches, key, v)
		if (strstr(key, "_kib"))
			printf(" %.2s %.0f KiB x%lld", key, json_number_value(v),
			       json_integer_value(json_object_get(caches, (char[16]){ key[0], key[1], '_', 'c', 'o', 'u', 'n', 't', 0 })));
	printf("\n");
	printf("memory       %.1f GiB\n", json_number_value(json_object_get(o, "memory_gib")));
	printf("governor     %s\n", json_is_string(json_object_get(cpu, "governor")) ? str(cpu, "governor", NULL) : "not readable");
	if (json_is_number(quota))
		printf("cgroup quota %.2f CPUs\n", json_number_value(quota));
	else
		printf("cgroup quota none\n");
	printf("compiler     %s, %s\n", str(o, "build", "compiler"), str(o, "build", "cflags"));
	printf("openmp       %s (_OPENMP %lld), omp_get_max_threads() = %lld\n", str(omp, "runtime", NULL),
	       json_integer_value(json_object_get(omp, "version")), json_integer_value(json_object_get(omp, "max_threads")));
	json_object_foreach(blas, key, v) {
		if (json_object_get(v, "error")) {
			printf("openblas     %-8s %s\n", key, str(v, "error", NULL));
			continue;
		}
		printf("openblas     %-8s %s, threading %s, %lld threads by default, core %s\n", key, str(v, "version", NULL),
		       str(v, "threading", NULL), json_integer_value(json_object_get(v, "default_threads")),
		       str(v, "corename", NULL));
		printf("             %-8s %s\n", "", str(v, "config", NULL));
	}
	/* with no device, the description says why (no driver, no device, built without CUDA) */
	{
		const char *what = str(o, "cuda", "description");
		bool have = what[0] && strcmp(what, "-") != 0;

		printf("cuda         %s; %lld device(s)%s%s\n",
		       json_is_true(json_object_get(json_object_get(o, "cuda"), "compiled")) ? "compiled in" : "built without CUDA",
		       json_integer_value(json_object_get(json_object_get(o, "cuda"), "devices")), have ? ": " : "",
		       have ? what : "");
	}
}

int sl_cmd_sysinfo(int argc, char **argv)
{
	static const struct option longopts[] = { { "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 } };
	bool as_json = false;
	struct sl_opts opts;
	json_t *o;
	int c;

	sl_opts_init(&opts, "sysinfo", argc, argv, "", longopts);
	while ((c = sl_opts_next(&opts)) != SL_OPT_END) {
		if (c == SL_OPT_ARG)
			sl_err("sysinfo: takes no arguments, not '%s' (usage: speedlab sysinfo [--json])", opts.arg);
		if (c != 'j')
			return SL_EXIT_USAGE;
		as_json = true;
	}
	o = sl_sysinfo_json(true);
	if (!o) {
		sl_err("sysinfo: out of memory");
		return SL_EXIT_USAGE;
	}
	if (as_json) {
		char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);

		puts(s ? s : "{}");
		free(s);
	} else {
		print_text(o);
	}
	json_decref(o);
	return SL_EXIT_OK;
}
