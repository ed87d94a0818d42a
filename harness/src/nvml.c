/* nvml.c: placeholder until NVML sampling is built. */
#include "nvml.h"

bool sl_nvml_open(void) { return false; }
int sl_nvml_count(void) { return 0; }
bool sl_nvml_sample(int i, struct sl_gpu_sample *out) { (void)i; (void)out; return false; }
void sl_nvml_close(void) {}
