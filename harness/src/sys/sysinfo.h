/* sysinfo.h: what machine this is, as JSON (sysinfo, meta.json) and a stable fingerprint. */
#ifndef SL_SYSINFO_H
#define SL_SYSINFO_H

#include <jansson.h>
#include <stdbool.h>

/* Everything speedlab knows about this machine. with_libraries loads OpenBLAS (both builds) to ask
 * it: that starts library threads, so the coordinator of a run must get these facts from a child
 * (sl_sysinfo_from_child). Returns a new object; NULL only when out of memory. */
json_t *sl_sysinfo_json(bool with_libraries);
/* Run `speedlab sysinfo --json` as a child and parse its output; falls back to
 * sl_sysinfo_json(false) if the child fails. NULL only when out of memory. */
json_t *sl_sysinfo_from_child(void);
/* The stable machine fingerprint (CPU model, topology, memory): what baselines key on. */
const char *sl_fingerprint(void);

#endif
