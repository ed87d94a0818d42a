/* nvml.h: GPU utilisation through NVML, loaded at run time with dlopen (no link-time dependency). */
#ifndef SL_NVML_H
#define SL_NVML_H

#include <stdbool.h>

struct sl_gpu_sample {
	double util_pct;      /* GPU busy % over the driver's last sample period */
	double mem_used_mb;
	double sm_clock_mhz;
};

/* Load libnvidia-ml.so.1 and initialise it; false when absent (the columns stay empty). */
bool sl_nvml_open(void);
/* Devices NVML sees (0 when not open). */
int sl_nvml_count(void);
/* Sample device i; false when it cannot. */
bool sl_nvml_sample(int i, struct sl_gpu_sample *out);
/* Shut NVML down. Safe when not open. */
void sl_nvml_close(void);

#endif
