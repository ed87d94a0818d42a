/* fuzz_experiment.c: libFuzzer target: no input may crash the experiment parser or its expansion. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/experiment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sl_experiment e;
	char *text = malloc(size + 1);
	char *sets[] = { "processes=1..3" };

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	sl_quiet_errors = true;
	if (sl_experiment_parse(&e, "fuzz.ini", text, (size & 1) ? "quick" : "", sets, (size & 2) ? 1 : 0) == 0) {
		long n = sl_experiment_nconfigs(&e);
		struct sl_setting s;
		char msg[128];

		for (long i = 0; i < n && i < 64; i++)
			sl_experiment_setting(&e, i, &s, msg, sizeof(msg));
	}
	free(text);
	return 0;
}
