/* fuzz_compare_history.c: libFuzzer target: no history.csv may crash its reader, the change-point
 * analysis or their Markdown and JSON. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "analysis/compare_history.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_history h;
	struct sl_cmp_options o;
	struct sl_cp_options cpo;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	json_t *j;

	sl_quiet_errors = true;
	if (sl_history_parse(&h, "fuzz/history.csv", (const char *)data, size) != 0)
		return 0;
	sl_cmp_options_init(&o);
	sl_cp_options_init(&cpo);
	cpo.permutations = 99;
	cpo.alpha = 0.05;
	if (sl_history_analyse(&h, size % 2 ? 50 : 8, &o, &cpo) == 0) {
		f = open_memstream(&buf, &len);
		if (f) {
			sl_history_markdown(&h, f);
			fclose(f);
			free(buf);
		}
		j = sl_history_json(&h);
		json_decref(j);
		(void)sl_history_exit_code(&h);
	}
	sl_history_free(&h);
	return 0;
}
