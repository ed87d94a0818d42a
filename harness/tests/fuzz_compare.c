/* fuzz_compare.c: libFuzzer target: no meta.json, runs.csv or [compare] section may crash the compare
 * loader, the verdict or its Markdown and JSON. The input is meta.json, a line "--", runs.csv, a line
 * "--", experiment.ini; it is compared with a fixed, valid run in both directions. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/compare.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base_meta[] = "{\"fingerprint\": \"m1\", \"experiment\": {\"name\": \"synth\"}, \"git_commit\": \"abc\"}";
static const char base_runs[] =
	"config,rep,processes,n,wall_s,cores_busy,gflops,status\n"
	"0,-1,1,256,3.0,0.9,30,ok\n1,-1,2,256,2.0,1.8,50,ok\n"
	"0,0,1,256,1.00,0.9,100,ok\n1,0,2,256,0.60,1.8,166,ok\n"
	"0,1,1,256,1.01,0.91,99,ok\n1,1,2,256,0.61,1.79,164,ok\n"
	"0,2,1,256,0.99,0.89,101,ok\n1,2,2,256,0.59,1.81,169,ok\n"
	"0,3,1,256,1.02,0.9,98,ok\n1,3,2,256,0.60,1.8,166,crash:SIGSEGV\n"
	"0,4,1,256,1.00,0.9,100,ok\n1,4,2,256,0.62,1.78,161,ok\n";

/* The part of [*p, end) up to the next "\n--\n" (or the end); *p moves past the separator. */
static char *next_part(const char **p, const char *end)
{
	const char *sep = memmem(*p, (size_t)(end - *p), "\n--\n", 4);
	const char *stop = sep ? sep : end;
	char *s = strndup(*p, (size_t)(stop - *p));

	*p = sep ? sep + 4 : end;
	return s;
}

static void run_both(const struct sl_cmp_run *a, const struct sl_cmp_run *b, const struct sl_cmp_options *o)
{
	struct sl_cmp_result res;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	json_t *j;

	if (sl_cmp_compare(a, b, o, &res) != 0)
		return;
	f = open_memstream(&buf, &len);
	if (f) {
		sl_cmp_markdown(&res, f);
		fclose(f);
		free(buf);
	}
	j = sl_cmp_json(&res);
	if (j) {
		char *s = json_dumps(j, 0);

		free(s);
		json_decref(j);
	}
	(void)sl_cmp_exit_code(&res);
	sl_cmp_result_free(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	char *meta = next_part(&p, end), *runs = next_part(&p, end), *ini = next_part(&p, end);
	struct sl_cmp_run base, cur;
	struct sl_cmp_options o;

	sl_quiet_errors = true;
	sl_cmp_options_init(&o);
	o.bootstrap = 20;               /* the statistics are tested elsewhere; keep each input fast */
	o.cross_machine = size & 1;
	if (!meta || !runs || !ini)
		goto out_free;
	(void)sl_cmp_thresholds_parse(&o, "fuzz/experiment.ini", ini);
	if (sl_cmp_run_parse(&base, "base", base_meta, strlen(base_meta), base_runs, strlen(base_runs)) != 0)
		abort();   /* the fixed run must load */
	if (sl_cmp_run_parse(&cur, "fuzz", meta, strlen(meta), runs, strlen(runs)) == 0) {
		run_both(&base, &cur, &o);
		run_both(&cur, &base, &o);
		run_both(&cur, &cur, &o);
		sl_cmp_run_free(&cur);
	}
	sl_cmp_run_free(&base);
out_free:
	free(meta);
	free(runs);
	free(ini);
	return 0;
}
