/* meta.h: meta.json of a result directory read back: typed (sl_meta_load, with a schema version) and
 * the machine the result came from (never the one reading it). The one reader of meta.json that
 * table, plot, report, seeds and findings use. */
#ifndef SL_META_H
#define SL_META_H

#include <jansson.h>
#include <stdbool.h>

#include "core/speedlab.h"

/* Parse the JSON file path, a file of a result directory: a regular file, never through a link
 * (sl_read_file_nofollow). Returns the value, or NULL with the reason (and line) in err. */
json_t *sl_json_load(const char *path, json_error_t *err);

/* The machine a result came from, as meta.json's sysinfo describes it (never this machine). */
struct sl_machine {
	char host[128];
	char cpu[256];
	int logical;          /* 0 when unknown */
	int physical;
	int sockets;
	double mem_gib;       /* 0 when unknown */
	char gpu[256];        /* "" when none */
	char kernel[128];
};

/* Fill m from meta (meta.json; NULL allowed), tolerating missing and differently nested keys.
 * Never fails: what is absent stays 0 or "". */
void sl_machine_from_meta(const json_t *meta, struct sl_machine *m);
/* "lab-a · Intel(R) ... · 4 logical / 2 physical CPUs · 15.5 GiB" (what is known). Never fails. */
void sl_machine_line(const struct sl_machine *m, char *buf, size_t len);

/* meta.json's schema: SL_META_SCHEMA (core/speedlab.h). */

/* meta.json as every reader of a result directory sees it: typed, each field "" or 0 when absent. */
struct sl_meta {
	int schema;                 /* schema_version; 0 when absent (older results) */
	char name[64], question[512], workload[48], metric[48], profile[16];
	int repeats;
	long long seed;
	char command[1024], commit[64], start[40], end[40];
	char placement[512];        /* where a sweep that placed its workers ran them; "" when it did not */
	char fingerprint[512];      /* the machine's fingerprint (compare refuses absolute metrics across two) */
	double load_per_cpu;        /* preflight's load average per CPU at the start; NAN when unknown */
	struct sl_machine m;        /* the machine it ran on (never this one) */
};

/* Read dir/meta.json into out (zeroed first). A missing file is no error (everything stays empty); a
 * file that is not JSON, or whose known fields have the wrong type, or whose schema_version is newer
 * than this speedlab's, is: -EINVAL with "speedlab: FILE:LINE: message" printed. */
int sl_meta_load(const char *dir, struct sl_meta *out);
/* The same from text (meta.json read already, or a test's), path naming it in messages; a key given
 * twice is refused too. commit is git_commit, else commit, else git.commit. A text field holding a NUL
 * byte reads as absent. */
int sl_meta_parse(const char *path, const char *text, size_t len, struct sl_meta *out);

#endif
