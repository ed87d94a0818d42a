/* wl_common.h: small helpers the CPU workloads share (counter-based random numbers). */
#ifndef SL_WL_COMMON_H
#define SL_WL_COMMON_H

#include <stdint.h>

/* splitmix64's finaliser: a well-mixed 64-bit hash of x. Used as a counter-based generator, so any
 * element of a random input can be recomputed anywhere (worker or coordinator) from its index. */
static inline uint64_t sl_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* A uniform number in [0, 1) with 53 random bits. */
static inline double sl_unit53(uint64_t h)
{
	return (double)(h >> 11) * 0x1.0p-53;
}

struct sl_setting;
/* skewed.c: the cost of a task in steps (exposed for the unit test). Never fails. */
uint64_t sl_skewed_task_steps(const struct sl_setting *s, long task);

#endif
