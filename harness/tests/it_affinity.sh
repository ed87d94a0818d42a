#!/usr/bin/env bash
# it_affinity.sh: the affinity and mem_policy axes and coordinator_cpus end to end: refusals with
# FILE:LINE, every affinity value run (all ok) with the observed columns cpus_used and migrations,
# what a confined worker's command sees (its CPUs, OMP_PLACES, OMP_PROC_BIND), the per-run plan, and
# meta.json's placement record. Mechanism only: no timing is asserted.
set -u
: "${SPEEDLAB:?SPEEDLAB must name the speedlab binary}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*"
	exit 1
}

ncpu=$(nproc)
allowed=$(grep Cpus_allowed_list /proc/self/status | cut -f2)
first=$(echo "$allowed" | cut -d, -f1 | cut -d- -f1)

# "AFFINITY VALUE" for column NAME of every row of runs.csv FILE
col() {
	python3 - "$1" "$2" <<'PY'
import csv, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)   # grep -q may stop reading early
for r in csv.DictReader(open(sys.argv[1])):
    print(r["affinity"], r[sys.argv[2]])
PY
}

# 1. refusals: more CPUs than allowed, an unknown word
cat >"$tmp/bad.ini" <<EOF
[experiment]
name = bad
question = refused?
workload = scalar
[sweep]
affinity = none, cpus:$((ncpu + 1))
EOF
"$SPEEDLAB" run "$tmp/bad.ini" --out "$tmp/bad" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 2 ] || fail "cpus:$((ncpu + 1)) on $ncpu CPUs was not refused with exit 2"
grep -q "bad.ini:6: affinity = cpus:$((ncpu + 1)): this machine lets speedlab use $ncpu logical CPU" "$tmp/err" ||
	fail "refusal message: $(cat "$tmp/err")"
[ -e "$tmp/bad/runs.csv" ] && fail "a refused experiment ran"
sed -i "s/^affinity = .*/affinity = spred/" "$tmp/bad.ini"
"$SPEEDLAB" run "$tmp/bad.ini" --out "$tmp/bad" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "bad.ini:6: affinity = 'spred': .*did you mean 'spread'" "$tmp/err" || fail "spred: $(cat "$tmp/err")"

# 2. every value runs; cpus:1 keeps both workers' threads on one CPU; spread (2+ CPUs) uses two
cat >"$tmp/aff.ini" <<EOF
[experiment]
name = aff
question = where do the workers run?
workload = scalar
repeats = 1
warmup = 0
[workload]
cost = 3000
tasks = 8
[sweep]
processes = 2
dispatch = pipe
affinity = none, cpus:1, core, compact, spread
mem_policy = bind
EOF
"$SPEEDLAB" run "$tmp/aff.ini" --out "$tmp/aff" --quiet >"$tmp/out" 2>"$tmp/err" || fail "run exited $?: $(cat "$tmp/err")"
col "$tmp/aff/runs.csv" status | grep -v ' ok$' && fail "a run failed"
[ "$(col "$tmp/aff/runs.csv" cpus_used | grep -c '^cpus:1 1$')" -eq 1 ] || fail "cpus:1: cpus_used $(col "$tmp/aff/runs.csv" cpus_used)"
if [ "$ncpu" -ge 2 ]; then
	col "$tmp/aff/runs.csv" cpus_used | grep -q '^spread 2$' || fail "spread: cpus_used $(col "$tmp/aff/runs.csv" cpus_used)"
fi
col "$tmp/aff/runs.csv" migrations | grep -Evq '^[a-z:0-9]+ [0-9]+$' && fail "migrations not a count: $(col "$tmp/aff/runs.csv" migrations)"
col "$tmp/aff/runs.csv" mem_policy | grep -v ' bind$' && fail "mem_policy not recorded"
# where the workers' memory landed (numa_maps): at least one node; on a one-node machine, that one
nodes=$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)
col "$tmp/aff/runs.csv" mem_nodes | grep -Evq '^[a-z:0-9]+ [1-9][0-9]*$' && fail "mem_nodes: $(col "$tmp/aff/runs.csv" mem_nodes)"
if [ "$nodes" -le 1 ]; then
	col "$tmp/aff/runs.csv" mem_nodes | grep -v ' 1$' && fail "mem_nodes on a one-node machine"
fi
python3 - "$tmp/aff/meta.json" "$first" <<'PY' || fail "meta.json placement"
import json, sys
p = json.load(open(sys.argv[1]))["placement"]
assert p["numa_nodes"] >= 1 and p["smt"] >= 1 and p["allowed_cpus"], p
plan = {q["affinity"]: q for q in p["plans"]}
assert plan["cpus:1"]["worker_cpus"] == [sys.argv[2]] * 2, plan["cpus:1"]
assert plan["cpus:1"]["OMP_PLACES"] == ["{%s}" % sys.argv[2]] * 2 and plan["cpus:1"]["OMP_PROC_BIND"] == "close"
assert plan["spread"]["OMP_PROC_BIND"] == "spread"
assert plan["none"]["worker_cpus"] == [] and "OMP_PLACES" not in plan["none"]
PY

# the report says where the workers ran; on one NUMA node, that mem_policy had nowhere to move memory
"$SPEEDLAB" report --out "$tmp/rep" "$tmp/aff" >"$tmp/out" 2>"$tmp/err" || fail "report exited $?: $(cat "$tmp/err")"
grep -q "^- \\*\\*Placement:\\*\\* allowed CPUs $allowed · " "$tmp/rep/report.md" || fail "no Placement line in the report"
# the report draws runtime and the CPUs used by affinity, with the observed counts as their data
for p in affinity_runtime affinity_cpus; do
	[ -s "$tmp/aff/plots/$p.png" ] || fail "no $p plot for a sweep over affinity"
done
grep -q 'cpus:1' "$tmp/aff/plots/affinity_cpus.dat" 2>/dev/null || fail "affinity_cpus.dat has no cpus:1 bar"
if [ "$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)" -le 1 ]; then
	grep -q "1 NUMA node (one node: mem_policy was applied and recorded" "$tmp/rep/report.md" ||
		fail "the report does not say there is one NUMA node: $(grep Placement "$tmp/rep/report.md")"
fi

# 3. a confined worker's command sees its CPUs and the OpenMP variables; per run, the plan
cat >"$tmp/show.sh" <<EOF
printf '%s|%s|%s\n' "\$OMP_PLACES" "\$OMP_PROC_BIND" "\$(grep Cpus_allowed_list /proc/self/status | cut -f2)" >>$tmp/seen.txt
echo "\$SPEEDLAB_AFFINITY=\$SPEEDLAB_AFFINITY_PLAN" >>$tmp/plan.txt
EOF
cat >"$tmp/cmd.ini" <<EOF
[experiment]
name = cmd
question = what does a confined command see?
workload = command
repeats = 1
warmup = 0
[workload]
cmd = /bin/sh $tmp/show.sh
per = task
tasks = 2
[sweep]
processes = 2
affinity = cpus:1
EOF
"$SPEEDLAB" run "$tmp/cmd.ini" --out "$tmp/cmd" --quiet >"$tmp/out" 2>"$tmp/err" || fail "command run exited $?: $(cat "$tmp/err")"
[ "$(sort -u "$tmp/seen.txt")" = "{$first}|close|$first" ] || fail "per task the command saw: $(cat "$tmp/seen.txt")"
"$SPEEDLAB" run "$tmp/cmd.ini" --out "$tmp/cmd2" --quiet --set per=run >"$tmp/out" 2>"$tmp/err" || fail "per-run exited $?"
[ "$(tail -1 "$tmp/plan.txt")" = "cpus:1=$first;$first" ] || fail "per run the plan was: $(tail -1 "$tmp/plan.txt")"

# 4. coordinator_cpus: the coordinator is pinned; workers with affinity none get the sweep's CPUs back
if [ "$ncpu" -ge 2 ]; then
	rm -f "$tmp/seen.txt"
	sed -i "s/^workload = command/workload = command\ncoordinator_cpus = $first/; s/^affinity = .*/affinity = none/" "$tmp/cmd.ini"
	"$SPEEDLAB" run "$tmp/cmd.ini" --out "$tmp/cmd3" --quiet >"$tmp/out" 2>"$tmp/err" || fail "pinned run exited $?: $(cat "$tmp/err")"
	[ "$(sort -u "$tmp/seen.txt" | cut -d'|' -f3)" = "$allowed" ] || fail "with the coordinator pinned, workers saw: $(cat "$tmp/seen.txt")"
	grep -q "^coordinator_cpus = $first" "$tmp/cmd3/experiment.ini" || fail "coordinator_cpus not in the effective experiment"
fi

# 5. gemm with its threads left to OpenBLAS under cpus:1: the library's count is recorded
cat >"$tmp/gemm.ini" <<EOF
[experiment]
name = g
question = what does OpenBLAS do when confined?
workload = gemm
repeats = 1
warmup = 0
[workload]
n = 64
tasks = 2
[sweep]
processes = 1
affinity = cpus:1
EOF
"$SPEEDLAB" run "$tmp/gemm.ini" --out "$tmp/g" --quiet >"$tmp/out" 2>"$tmp/err" || fail "gemm exited $?: $(cat "$tmp/err")"
col "$tmp/g/runs.csv" threads_lib | grep -Eq '^cpus:1 [0-9]+$' || fail "threads_lib: $(col "$tmp/g/runs.csv" threads_lib)"
col "$tmp/g/runs.csv" cpus_used | grep -q '^cpus:1 1$' || fail "gemm cpus_used: $(col "$tmp/g/runs.csv" cpus_used)"
# OpenBLAS sizes itself to the set even when asked for more (threads=2: still 1); OpenMP does not:
# two OpenMP threads in one CPU, and the report says the threads share the confined set
sed -i 's/^workload = gemm/workload = omp_gemm/' "$tmp/gemm.ini"
"$SPEEDLAB" run "$tmp/gemm.ini" --out "$tmp/g2" --quiet --set threads=2 >"$tmp/out" 2>"$tmp/err" || fail "omp_gemm threads=2 exited $?"
col "$tmp/g2/runs.csv" threads_lib | grep -q '^cpus:1 2$' || fail "omp_gemm threads_lib: $(col "$tmp/g2/runs.csv" threads_lib)"
"$SPEEDLAB" report --out "$tmp/rep2" "$tmp/g2" >"$tmp/out" 2>"$tmp/err" || fail "report of g2 exited $?"
grep -q "1 worker confined to 1 CPU ran 2 library threads each (2 threads on 1 CPU): pinning places processes" \
	"$tmp/rep2/report.md" || fail "no placement-shared finding: $(grep -i finding "$tmp/rep2/report.md")"
echo "ok"
