/* seeds.h: the Seeds section of a combined report: the seeds' claims against our measurements. */
#ifndef SL_SEEDS_H
#define SL_SEEDS_H

#include <stdio.h>

/* If dirs hold seed experiments (s1-... to s6-..., named in their meta.json), write a Markdown section
 * (heading level `level`) with one row per claim: the claim, the seed's figure, speedlab's, Python's,
 * and a verdict computed from the numbers. Returns the number of claims written (0: no seed
 * experiment among dirs, nothing written), or -ENOMEM. Unreadable directories are passed over. */
int sl_seeds_write(FILE *md, const char *const *dirs, int ndirs, int level);

#endif
