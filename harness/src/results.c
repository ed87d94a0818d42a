/* results.c: placeholder until the result files are built. */
#include <errno.h>
#include <string.h>

#include "results.h"

FILE *sl_runs_open(const char *dir, const struct sl_setting *proto) { (void)dir; (void)proto; errno = ENOSYS; return NULL; }
int sl_runs_append(FILE *f, const struct sl_setting *s, int rep, const struct sl_metrics *m) { (void)f; (void)s; (void)rep; (void)m; return -ENOSYS; }
int sl_result_load(const char *dir, struct sl_result *r) { (void)dir; memset(r, 0, sizeof(*r)); return -ENOSYS; }
void sl_result_free(struct sl_result *r) { (void)r; }
int sl_summary_write(const char *dir) { (void)dir; return -ENOSYS; }
