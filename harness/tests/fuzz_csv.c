/* fuzz_csv.c: libFuzzer target: no input may crash the strict CSV reader (runs.csv, summary.csv and
 * history.csv are untrusted input to compare). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "core/speedlab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_csv csv;
	volatile double sum = 0;

	sl_quiet_errors = true;
	for (int tail = 0; tail < 2; tail++) {
		if (sl_csv_parse("fuzz.csv", (const char *)data, size, &csv, tail) != 0)
			continue;
		for (size_t r = 0; r < csv.nrows; r++)
			for (size_t c = 0; c < csv.ncols; c++)
				sum += sl_csv_num(&csv, r, (int)c) > 0;
		sum += sl_csv_col(&csv, "wall_s");
		sl_csv_free(&csv);
	}
	(void)sum;
	return 0;
}
