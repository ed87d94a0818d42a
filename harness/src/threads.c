/* threads.c: placeholder until thread limits are built. */
#include "blas.h"

int sl_threads_env(const struct sl_setting *s, char out[][64], int max) { (void)s; (void)out; (void)max; return 0; }
void sl_threads_apply_call(const struct sl_setting *s, const struct sl_blas *blas) { (void)s; (void)blas; }
int sl_threads_count_self(void) { return -1; }
