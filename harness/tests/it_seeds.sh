#!/usr/bin/env bash
# it_seeds.sh: the Seeds section of the combined report comes from the numbers: tiny real runs of the
# seed experiments give their rows and verdicts in report.md and seeds.md, and a changed number
# changes the verdict (claims 1, 2, 3, 5, 6; claim 7 from a fixture gpu-sync result, no GPU needed); the
# Python peers of s4, s6 and s8 run through the command workload and fill the Python column.
set -u
SL=${SPEEDLAB:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
# set DIR COL VALUE [AXIS=VALUE...]: write VALUE into summary.csv's COL on every row matching the axes
set_cell() {
	/usr/bin/python3 - "$@" <<'PY'
import csv, sys
path, col, val, conds = sys.argv[1] + "/summary.csv", sys.argv[2], sys.argv[3], sys.argv[4:]
rows = list(csv.DictReader(open(path)))
hit = 0
for r in rows:
    if all(r[c.split("=", 1)[0]] == c.split("=", 1)[1] for c in conds):
        r[col] = val
        hit += 1
if not hit:
    sys.exit("set_cell: no row of %s matches %s" % (path, conds))
w = csv.DictWriter(open(path, "w", newline=""), fieldnames=rows[0].keys(), lineterminator="\n")
w.writeheader()
w.writerows(rows)
PY
}
# row REPORT-DIR TEXT: the seeds.md row whose claim starts with TEXT
row() { grep "^| $2" "$1/seeds.md"; }

"$SL" run experiments/seeds/s1-speedup.ini --set processes=1,2 --set cost=3000 --set tasks=8 --set repeats=3 \
	--set warmup=0 --out "$T/s1" --quiet >/dev/null 2>"$T/s1.err" || fail "s1 run: $(tail -2 "$T/s1.err")"
"$SL" run experiments/seeds/s2-sleep.ini --set ms=60 --set repeats=2 --out "$T/s2" --quiet >/dev/null \
	2>"$T/s2.err" || fail "s2 run: $(tail -2 "$T/s2.err")"
"$SL" report --out "$T/rep" "$T/s1" "$T/s2" >/dev/null 2>"$T/rep.err" || fail "report: $(tail -2 "$T/rep.err")"
[ -s "$T/rep/seeds.md" ] || fail "no seeds.md"
grep -q "^## Seeds: the claims, measured here" "$T/rep/report.md" || fail "report.md has no Seeds section"
grep -q "^| CPU-bound work speeds up with processes (seed 003's table) |" "$T/rep/seeds.md" || fail "no s1 row"
grep -q "^| Waiting tasks overlap in a pool (seed 002) |" "$T/rep/seeds.md" || fail "no s2 row"
# five 60 ms waits: about 0.30 s in one process, 0.06 s in five, and the verdict says so
grep "Waiting tasks" "$T/rep/seeds.md" | grep -q "| 3[0-9][0-9] ms sequential, [67][0-9] ms with 5 processes" ||
	fail "s2 figures: $(grep Waiting "$T/rep/seeds.md")"
grep "Waiting tasks" "$T/rep/seeds.md" | grep -q "| \*\*reproduced\*\*: 0.3[0-9] s vs 0.0[67] s" ||
	fail "s2 verdict: $(grep Waiting "$T/rep/seeds.md")"
# the s1 verdict follows the speedup at 2 processes: make it 1.1 and the claim is not reproduced
/usr/bin/python3 - "$T/s1/summary.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for r in rows:
    if r["processes"] == "2":
        r["speedup"] = "1.1"
        r["efficiency"] = "0.55"
w = csv.DictWriter(open(sys.argv[1], "w", newline=""), fieldnames=rows[0].keys(), lineterminator="\n")
w.writeheader()
w.writerows(rows)
PY
touch "$T/s1/summary.csv"
"$SL" report --out "$T/rep2" "$T/s1" "$T/s2" >/dev/null 2>&1 || fail "second report"
grep "CPU-bound work" "$T/rep2/seeds.md" | grep -q "\*\*not reproduced\*\*: only 1.10× at 2 processes" ||
	fail "s1 verdict does not follow the numbers: $(grep CPU-bound "$T/rep2/seeds.md")"
# no seed experiment among the directories: no Seeds section
mkdir -p "$T/plain"
"$SL" run experiments/seeds/s1-speedup.ini --set processes=1 --set cost=1000 --set tasks=2 --set repeats=1 \
	--set warmup=0 --out "$T/plain/x" --quiet >/dev/null 2>&1
sed -i 's/"s1-speedup"/"other"/' "$T/plain/x/meta.json"
"$SL" report --out "$T/rep3" "$T/plain/x" >/dev/null 2>&1 || fail "third report"
[ ! -e "$T/rep3/seeds.md" ] || fail "seeds.md without any seed experiment"


# claim 3: the largest process count's threads beside the 1-process cores; cores busy is capped by the
# machine's logical CPUs (2 here, in meta.json), so make it a 16-CPU machine and the verdict changes
"$SL" run experiments/seeds/s3-more-cores.ini --set n=64 --set tasks=4 --set repeats=1 --set warmup=0 \
	--set processes=1,4 --out "$T/s3" --quiet >/dev/null 2>"$T/s3.err" || fail "s3 run: $(tail -2 "$T/s3.err")"
set_cell "$T/s3" cores_busy_median 1.9 processes=1 threads=unset
set_cell "$T/s3" cores_busy_median 1.0 processes=1 threads=1
set_cell "$T/s3" cores_busy_median 1.95 processes=4 threads=unset
set_cell "$T/s3" threads_peak_median 2 processes=4 threads=unset
set_cell "$T/s3" threads_total_peak_median 10 processes=4 threads=unset
set_cell "$T/s3" threads_peak_median 1 processes=4 threads=1
set_cell "$T/s3" threads_total_peak_median 6 processes=4 threads=1
sed -i 's/"logical": [0-9]*/"logical": 2/' "$T/s3/meta.json"
"$SL" report --out "$T/rep4" "$T/s3" >/dev/null 2>&1 || fail "s3 report"
row "$T/rep4" "Pool workers doing matrix" | grep -q "| 1 process: 1.90 cores busy .*; 4 processes: 1.95 cores busy, 2 threads per worker, 10 in the process tree with threads unset; [0-9.]*, 1 and 6 with threads=1 (cores busy capped at 2 logical CPUs) |" ||
	fail "s3 figures: $(row "$T/rep4" "Pool workers")"
row "$T/rep4" "Pool workers doing matrix" | grep -q "\*\*reproduced\*\*: one process keeps 1.90 cores busy .*; at 4 processes each worker runs 2 thread(s) with threads unset (10 in the tree, against 1 per worker and 6 in the tree with threads=1), but cores busy cannot exceed this machine's 2 logical CPUs (1.95)" ||
	fail "s3 verdict: $(row "$T/rep4" "Pool workers")"
sed -i 's/"logical": [0-9]*/"logical": 16/' "$T/s3/meta.json"
set_cell "$T/s3" cores_busy_median 6.5 processes=4 threads=unset
"$SL" report --out "$T/rep5" "$T/s3" >/dev/null 2>&1 || fail "s3 report on 16 CPUs"
row "$T/rep5" "Pool workers doing matrix" | grep -q "(10 in the tree, .*) and 6.50 cores busy: more than its 4 processes |" ||
	fail "s3 verdict on 16 CPUs: $(row "$T/rep5" "Pool workers")"
set_cell "$T/s3" cores_busy_median 1.05 processes=1 threads=unset
"$SL" report --out "$T/rep6" "$T/s3" >/dev/null 2>&1 || fail "s3 report, no BLAS threads"
row "$T/rep6" "Pool workers doing matrix" | grep -q "\*\*not reproduced\*\*: 1.05 cores busy with threads unset" ||
	fail "s3 verdict without BLAS threads: $(row "$T/rep6" "Pool workers")"

# claim 5: the largest chunk size is one chunk per worker; each end counts only when its numbers show it
"$SL" run experiments/seeds/s5-chunksize.ini --set tasks=64 --set heavy=32 --set mean_cost=0.01 \
	--set chunksize=1,4,32 --set dispatch=pipe --set repeats=1 --set warmup=0 --out "$T/s5" --quiet >/dev/null \
	2>"$T/s5.err" || fail "s5 run: $(tail -2 "$T/s5.err")"
set_cell "$T/s5" wall_s_median 0.012 chunksize=1
set_cell "$T/s5" wall_s_median 0.010 chunksize=4
set_cell "$T/s5" wall_s_median 0.013 chunksize=32
set_cell "$T/s5" imbalance_median 1.01 chunksize=1
set_cell "$T/s5" imbalance_median 1.02 chunksize=4
set_cell "$T/s5" imbalance_median 1.33 chunksize=32
"$SL" report --out "$T/rep7" "$T/s5" >/dev/null 2>&1 || fail "s5 report"
row "$T/rep7" "Small chunks" | grep -q "| one-heavy tasks (one costs 32 light ones): pipe: best at chunksize 4 (10 ms); chunksize 1 +20%, 32 (one chunk per worker) +30%, imbalance 1.33 |" ||
	fail "s5 figures: $(row "$T/rep7" "Small chunks")"
row "$T/rep7" "Small chunks" | grep -q "\*\*reproduced\*\*: both ends .*chunksize 1 +20% over chunksize 4 (pipe: a dispatch per task), chunksize 32 +30% over chunksize 4 (pipe: busy times 1.33× uneven)" ||
	fail "s5 verdict: $(row "$T/rep7" "Small chunks")"
set_cell "$T/s5" imbalance_median 1.03 chunksize=32    # as slow, but the busy times are even: not imbalance
"$SL" report --out "$T/rep8" "$T/s5" >/dev/null 2>&1 || fail "s5 report, even"
row "$T/rep8" "Small chunks" | grep -q "\*\*partly reproduced\*\*: small chunks cost overhead (pipe: chunksize 1 +20%), but the largest chunk size measured (32, 1 chunk(s) per worker, busy times 1.03× uneven, +30%) showed no imbalance cost" ||
	fail "s5 verdict, even busy times: $(row "$T/rep8" "Small chunks")"
set_cell "$T/s5" imbalance_median 1.33 chunksize=32
set_cell "$T/s5" wall_s_median 0.0102 chunksize=1
"$SL" report --out "$T/rep9" "$T/s5" >/dev/null 2>&1 || fail "s5 report, cheap dispatch"
row "$T/rep9" "Small chunks" | grep -q "\*\*partly reproduced\*\*: large chunks cost balance (pipe: chunksize 32 +30%, busy times 1.33× uneven), but dispatching single tasks is cheap enough not to matter here (pipe: chunksize 1 +2%)" ||
	fail "s5 verdict, cheap dispatch: $(row "$T/rep9" "Small chunks")"

# claim 6: a whole pool of 2 (start + map + stop) per start method, the figure Python's peer gives
"$SL" run experiments/seeds/s6-start.ini --set repeats=1 --set warmup=0 --out "$T/s6" --quiet >/dev/null \
	2>"$T/s6.err" || fail "s6 run: $(tail -2 "$T/s6.err")"
for sm in fork spawn forkserver; do
	grep -q "^[0-9]*,[^,]*,empty,2,auto,$sm,.*,ok,[0-9.e-]*," "$T/s6/summary.csv" || fail "s6: no ok $sm row"
done
# phases METHOD START-MS WALL-S STOP-MS: the three parts of a pool's life for one start method
phases() {
	set_cell "$T/s6" pool_start_ms_median "$2" start_method="$1"
	set_cell "$T/s6" wall_s_median "$3" start_method="$1"
	set_cell "$T/s6" pool_stop_ms_median "$4" start_method="$1"
}
phases fork 0.5 0.0002 0.3
phases spawn 2.5 0.0002 0.3
"$SL" report --out "$T/rep10" "$T/s6" >/dev/null 2>&1 || fail "s6 report"
row "$T/rep10" "fork is cheap" | grep -q "| pool of 2 started, mapped, stopped: fork 1.00 ms, forkserver [0-9.]* ms, spawn 3.00 ms" ||
	fail "s6 figures: $(row "$T/rep10" "fork is cheap")"
row "$T/rep10" "fork is cheap" | grep -q "\*\*reproduced (cost)\*\*: spawn makes a pool of 2 (started, mapped, stopped) cost 3.0× fork's in speedlab (3.00 vs 1.00 ms) |" ||
	fail "s6 verdict: $(row "$T/rep10" "fork is cheap")"
set_cell "$T/s6" pool_start_ms_median 0.3 start_method=spawn
"$SL" report --out "$T/rep11" "$T/s6" >/dev/null 2>&1 || fail "s6 report, cheap spawn"
row "$T/rep11" "fork is cheap" | grep -q "\*\*not reproduced\*\*: spawn makes a pool of 2 (started, mapped, stopped) cost 0.8× fork's" ||
	fail "s6 verdict, cheap spawn: $(row "$T/rep11" "fork is cheap")"

# claim 7: a gpu-sync result (fixture: figures shaped like a real run, two kernel lengths); no result,
# no GPU; the verdict follows host_cpu_pct at the longest kernel
row "$T/rep" "A process waiting on its GPU" | grep -q "\*\*not reproduced here\*\*: no GPU" ||
	fail "gpu row without gpu-sync: $(row "$T/rep" "A process waiting")"
cp -r harness/tests/fixtures/seeds-gpu-sync "$T/gpu"
"$SL" report --out "$T/rep12" "$T/s2" "$T/gpu" >/dev/null 2>&1 || fail "gpu report"
row "$T/rep12" "A process waiting on its GPU" | grep -q "| kernel 1 ms: spin 100% CPU, 4 µs wake-up, .* blocking 18% CPU, 54 µs wake-up, auto 100% CPU, 4 µs wake-up; kernel 20 ms: spin 100% CPU, 4 µs wake-up, .* blocking 3% CPU, 61 µs wake-up, auto 100% CPU, 4 µs wake-up |" ||
	fail "gpu figures: $(row "$T/rep12" "A process waiting")"
row "$T/rep12" "A process waiting on its GPU" | grep -q "\*\*reproduced\*\*: waiting on the GPU with CUDA's default (auto) burns 100% of a core, the seed's 99%; blocking sync drops it to 3% for a wake-up of 61 µs instead of 4 µs (kernel 20 ms) |" ||
	fail "gpu verdict: $(row "$T/rep12" "A process waiting")"
set_cell "$T/gpu" host_cpu_pct_median 91 mode=blocking kernel_ms=20
"$SL" report --out "$T/rep13" "$T/s2" "$T/gpu" >/dev/null 2>&1 || fail "gpu report, busy blocking"
row "$T/rep13" "A process waiting on its GPU" | grep -q "\*\*partly reproduced\*\*: CUDA's default (auto) burns 100% of a core while waiting, but blocking sync still uses 91% (kernel 20 ms)" ||
	fail "gpu verdict, busy blocking: $(row "$T/rep13" "A process waiting")"
set_cell "$T/gpu" host_cpu_pct_median 2.6 mode=blocking kernel_ms=20
set_cell "$T/gpu" host_cpu_pct_median 4 mode=auto kernel_ms=20
"$SL" report --out "$T/rep14" "$T/s2" "$T/gpu" >/dev/null 2>&1 || fail "gpu report, auto blocks"
row "$T/rep14" "A process waiting on its GPU" | grep -q "\*\*depends on the sync mode\*\*: spin burns 100% of a core, but CUDA's default (auto) only 4% here" ||
	fail "gpu verdict, auto blocks: $(row "$T/rep14" "A process waiting")"

# the Python peers through the command workload, as make run-all runs them: every run ok, and their
# figures reach the Python column of seeds.md
if [ -x /usr/bin/python3 ]; then
	for x in s4-helpers-python s6-start-python; do
		"$SL" run "experiments/seeds/$x.ini" --profile quick --out "$T/$x" --quiet >/dev/null 2>"$T/$x.err" ||
			fail "$x run: $(tail -2 "$T/$x.err")"
		bad=$(/usr/bin/python3 -c 'import csv, sys
print(" ".join(sorted({r["status"] for r in csv.DictReader(open(sys.argv[1])) if r["status"] != "ok"})))' \
			"$T/$x/runs.csv" 2>&1)
		[ -z "$bad" ] || fail "$x: runs not ok: $bad"
	done
	"$SL" report --out "$T/rep-py" "$T/s2" "$T/s4-helpers-python" "$T/s6-start-python" >/dev/null 2>&1 ||
		fail "report of the Python peers"
	row "$T/rep-py" "A pool runs a manager process" | awk -F'|' '{ print $5 }' |
		grep -q 'fork: [0-9]* process(es), [0-9]* thread(s); spawn: [0-9]* process(es)' ||
		fail "s4 Python figures: $(row "$T/rep-py" "A pool runs a manager process")"
	row "$T/rep-py" "fork is cheap but unsafe" | awk -F'|' '{ print $5 }' | grep -q 'pool of 2 fork [0-9.]* ms' ||
		fail "s6 Python figures: $(row "$T/rep-py" "fork is cheap but unsafe")"
fi

# claim 8: pinning and a library's threads, speedlab's pool beside the Python peer (os.sched_setaffinity in
# the initializer); the verdict follows threads_lib and cpus_used at cpus:1
"$SL" run experiments/seeds/s8-affinity.ini --set n=64 --set tasks=4 --set repeats=1 --set warmup=0 \
	--out "$T/s8" --quiet >/dev/null 2>"$T/s8.err" || fail "s8 run: $(tail -2 "$T/s8.err")"
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
	"$SL" run experiments/seeds/s8-affinity-python.ini --set tasks=4 --set repeats=1 --set warmup=0 \
		--set cmd="SPEEDLAB_PARAM_N=64 /usr/bin/python3 experiments/python/affinity_pool.py" \
		--out "$T/s8p" --quiet >/dev/null 2>"$T/s8p.err" || fail "s8 Python run: $(tail -2 "$T/s8p.err")"
	row8() { row "$1" "Pinning maps processes to cores"; }
	set_cell "$T/s8p" threads_lib_median 2 affinity=cpus:1
	set_cell "$T/s8p" cpus_used_median 1 affinity=cpus:1
	"$SL" report --out "$T/rep8" "$T/s8" "$T/s8p" >/dev/null 2>&1 || fail "s8 report"
	row8 "$T/rep8" | awk -F'|' '{ print $5 }' | grep -q 'cpus:1: [0-9.]* m\?s, 2 BLAS thread(s) per worker, 1 CPU(s) used' ||
		fail "s8 Python figures: $(row8 "$T/rep8")"
	row8 "$T/rep8" | grep -q "\*\*reproduced\*\* (Python's pinned Pool): cpus:1 kept both workers on 1 CPU but each still ran 2 BLAS threads, 4 threads sharing it" ||
		fail "s8 verdict: $(row8 "$T/rep8")"
	set_cell "$T/s8p" threads_lib_median 1 affinity=cpus:1
	set_cell "$T/s8" threads_lib_median 1 affinity=cpus:1
	set_cell "$T/s8" cpus_used_median 1 affinity=cpus:1
	"$SL" report --out "$T/rep8b" "$T/s8" "$T/s8p" >/dev/null 2>&1 || fail "second s8 report"
	row8 "$T/rep8b" | grep -q "\*\*not for Python's pinned Pool\*\*: confined before its library loaded" ||
		fail "s8 verdict does not follow the numbers: $(row8 "$T/rep8b")"
fi

[ $fails -eq 0 ] || exit 1
echo "seeds: all checks passed"
