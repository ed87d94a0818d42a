/* compare_internal.h: what compare's files (compare.c, compare_load.c, compare_stats.c,
 * compare_verdict.c, compare_print.c) share and nothing else uses. It names compare.h's types without
 * including it (compare.c includes both; a header that included compare.h would make a circle). */
#ifndef SL_COMPARE_INTERNAL_H
#define SL_COMPARE_INTERNAL_H

#include <stddef.h>

struct sl_cmp_metric;
struct sl_cmp_result;
struct sl_cmp_row;

/* A value above this in any metric column is taken for garbage (1e12 s is 30,000 years). */
#define SL_CMP_MAX_VALUE 1e12
#define SL_CMP_MIN_REPS 3        /* below: no verdict */
#define SL_CMP_MWU_REPS 5        /* from here: Mann-Whitney, below: CI overlap */
#define SL_CMP_RANK_ALPHA 0.05   /* the rank condition's level */
#define SL_CMP_CI_LEVEL 0.95     /* asked of the medians' order-statistic CIs (the level they have is shown) */

/* Append a note to res (compare.c). 0 or -ENOMEM. */
int sl_cmp_add_note(struct sl_cmp_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A new zeroed row of res, growing it (*cap: its room); NULL when out of memory (compare.c). */
struct sl_cmp_row *sl_cmp_add_row(struct sl_cmp_result *res, size_t *cap);
/* Benjamini-Hochberg at q over the rows that were tested: every row's significance and verdict are set
 * again against the cut (compare_stats.c). 0 or -ENOMEM. */
int sl_cmp_fdr_decide(struct sl_cmp_result *res, double q);
/* res->overall and res->reason from its rows (compare_verdict.c). Never fails. */
void sl_cmp_overall_verdict(struct sl_cmp_result *res);
/* res->geo: per metric, the geometric mean of the changes over the matched configurations
 * (compare_verdict.c). Never fails. */
void sl_cmp_geomean_summary(struct sl_cmp_result *res, const struct sl_cmp_metric *metrics, size_t nmetrics);

#endif
