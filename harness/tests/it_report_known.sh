#!/usr/bin/env bash
# it_report_known.sh: the report on tiny real runs whose answer is known (issue 15): four 100 ms waits at
# 1, 2 and 4 processes are 4× faster at 4 with nothing oversubscribed, no Amdahl asymptote and no
# "within N%" claim; scalar at 1 and 2 processes has no Amdahl fit (2 counts); gemm with more processes
# than CPUs is marked oversubscribed exactly where its workers keep the CPUs busy; start methods by
# parent memory are answered in start latency, compared at one parent size. Every sentence checked here
# is computed from summary.csv, so the checks read the numbers from it rather than assume a machine.
# asan: no (about 20 s of real runs; the same report code runs under the sanitizers in it_report and test_report)
set -u
cd "$(dirname "$0")/../.." || exit 2
SPEEDLAB=${SPEEDLAB:-$PWD/build/speedlab}
command -v gnuplot >/dev/null || { echo "gnuplot not installed"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
# the false claims the issue found; none may appear in any report here
no_false_claims() {
	local md=$1 pat
	for pat in 'with unlimited processes' 'at most [0-9.e+]*×' 'within [0-9]*% of the fastest that fits' \
		'library starts its own threads'; do
		grep -q -- "$pat" "$md" && fail "$md says '$pat': $(grep -m1 -- "$pat" "$md")"
	done
}
run() { # NAME INI-TEXT: run it into $T/NAME and report it
	printf '%s\n' "$2" >"$T/$1.ini"
	"$SPEEDLAB" run "$T/$1.ini" --out "$T/$1" >"$T/$1.log" 2>&1 || { fail "$1: run exited $?: $(tail -3 "$T/$1.log")"; return 1; }
	"$SPEEDLAB" report "$T/$1" >/dev/null 2>>"$T/$1.log" || { fail "$1: report exited $?"; return 1; }
}
# summary.csv's COLUMN at the row where processes = P
cell() { /usr/bin/python3 -c '
import csv, sys
for r in csv.DictReader(open(sys.argv[1] + "/summary.csv")):
    if r["processes"] == sys.argv[2]: print(r[sys.argv[3]]); break' "$1" "$2" "$3"; }

# 1. sleep: 4 tasks of 100 ms: 400 ms with 1 process, 100 ms with 4, whatever the CPUs (nothing is busy)
run sleep '[experiment]
name = sleep-known
question = Do four 100 ms waits take 400 ms in one process and 100 ms with four?
workload = sleep
repeats = 3
warmup = 0
[workload]
ms = 100
tasks = 4
[sweep]
processes = 1, 2, 4
start_method = fork
chunksize = 1' && {
	md=$T/sleep/report.md
	grep -Eq '^\*\*Answer:\*\* (3\.[5-9][0-9]|4\.[0-4][0-9])× at 4 processes \(efficiency (0\.(9[0-9]|8[89])|1\.[01][0-9])\): 1[0-9][0-9] ms against [45][0-9][0-9] ms with one process$' "$md" ||
		fail "sleep: Answer line: $(grep '^\*\*Answer' "$md")"
	[ "$(cell "$T/sleep" 4 oversubscribed)" = 0 ] || fail "sleep: 4 waiting processes marked oversubscribed in summary.csv"
	sed '/^## Glossary/,$d' "$md" | grep -q '⚠' && fail "sleep: an oversubscription mark: $(grep -m1 '⚠' "$md")"
	grep -q 'oversubscription' "$md" && fail "sleep: an oversubscription finding: $(grep -m1 oversubscription "$md")"
	grep -q 'slower than the fastest that fits' "$md" && fail "sleep: 'slower than the fastest that fits'"
	grep -q 'within [0-9]*%' "$md" && fail "sleep: a 'within N%' claim: $(grep -m1 'within [0-9]*%' "$md")"
	[ "$(grep -c '^\*\*Answer:\*\*' "$md")" -eq 1 ] || fail "sleep: not one Answer line"
	# the answer comes first: before the findings, the tables and the glossary
	[ "$(grep -n -m1 '^\*\*Answer:\*\*' "$md" | cut -d: -f1)" -lt "$(grep -n -m1 '^<summary>' "$md" | cut -d: -f1)" ] ||
		fail "sleep: the Answer line is not before the folded parts"
	no_false_claims "$md"
}

# 2. scalar at 1 and 2 processes: two counts, so no Amdahl fit is claimed
run scalar '[experiment]
name = scalar-known
question = Does CPU-bound work go faster with 2 processes?
workload = scalar
repeats = 3
warmup = 0
[workload]
cost = 3000
tasks = 8
[sweep]
processes = 1, 2
start_method = fork
chunksize = 1' && {
	md=$T/scalar/report.md
	grep -Eq '^\*\*Answer:\*\* ([0-9.]+× at 2 processes|no speedup: the fastest run with more than one process \(2 processes)' "$md" ||
		fail "scalar: Answer line: $(grep '^\*\*Answer' "$md")"
	grep -q 'Amdahl fit over\|Amdahl fit: serial\|Amdahl f=' "$md" "$T/scalar/tables.md" && fail "scalar: an Amdahl fit through 2 points"
	[ -z "$(cell "$T/scalar" 2 amdahl_serial)" ] || fail "scalar: summary.csv has an Amdahl fraction from 2 counts"
	no_false_claims "$md"
}

# 3. gemm with twice as many one-thread processes as CPUs: oversubscribed where the workers keep the CPUs
# busy (cores busy >= 85% of them), and the report's mark agrees with summary.csv
run gemm '[experiment]
name = gemm-over
question = Do more GEMM processes than CPUs help?
workload = gemm
repeats = 2
warmup = 0
[workload]
n = 256
tasks = 4*cores
[sweep]
processes = 1, 2*cores
threads = 1
start_method = fork
chunksize = 1' && {
	md=$T/gemm/report.md
	grep -q '^\*\*Answer:\*\* ' "$md" || fail "gemm: no Answer line"
	pmax=$(/usr/bin/python3 -c 'import csv,sys; print(max(int(r["processes"]) for r in csv.DictReader(open(sys.argv[1]))))' "$T/gemm/summary.csv")
	busy=$(cell "$T/gemm" "$pmax" cores_busy_median)
	logical=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sysinfo"]["cpu"]["logical"])' "$T/gemm/meta.json")
	if /usr/bin/python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 0.85 * int(sys.argv[2]) else 1)' "$busy" "$logical"; then
		[ "$(cell "$T/gemm" "$pmax" oversubscribed)" = 1 ] || fail "gemm: $pmax busy processes on $logical CPUs not oversubscribed"
		grep -q "^| $pmax | .* ⚠ |$" "$md" || fail "gemm: no ⚠ in the pivot table at $pmax processes"
	else
		echo "note: gemm kept $busy of $logical CPUs busy (a loaded machine): checked as not oversubscribed"
		[ "$(cell "$T/gemm" "$pmax" oversubscribed)" = 0 ] || fail "gemm: idle CPUs yet oversubscribed"
	fi
	no_false_claims "$md"
}

# 4. start methods by parent memory: answered in start latency (the experiment's metric), the best being
# the smallest latency in summary.csv, and the methods compared at one parent size
run start '[experiment]
name = start-known
question = How long does each start method take to give a ready worker, by parent size?
workload = empty
metric = start_latency_ms
repeats = 3
warmup = 0
[workload]
tasks = 16
[sweep]
processes = 1
start_method = fork, forkserver
parent_rss_mb = 0, 128
chunksize = 16' && {
	md=$T/start/report.md
	best=$(/usr/bin/python3 -c '
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["status"] == "ok"]
r = min(rows, key=lambda r: float(r["start_latency_ms_median"]))
print("start_method=%s parent_rss_mb=%s" % (r["start_method"], r["parent_rss_mb"]))' "$T/start/summary.csv")
	grep -q "^\*\*Answer:\*\* best worker start latency [0-9.]* [µm]s at $best; worst " "$md" ||
		fail "start: Answer line (expected the best at $best): $(grep '^\*\*Answer' "$md")"
	grep -q 'worker start latency with a 0 MB parent (median over its configurations): fork ' "$md" ||
		fail "start: start methods not compared at one parent size: $(grep -m1 'worker start latency' "$md")"
	grep -q 'is the fastest in' "$md" && fail "start: ranked by runtime, not by start latency"
	grep -q '^- \*\*Finding:\*\* .* reaches [0-9.]*× at' "$md" && fail "start: a speedup finding for a start-latency question"
	no_false_claims "$md"
}

# a metric without a direction is an error with file and line
printf '[experiment]\nname = x\nquestion = q?\nworkload = sleep\nmetric = cores_busy\n[sweep]\nprocesses = 1\n' >"$T/bad.ini"
"$SPEEDLAB" run "$T/bad.ini" --out "$T/bad" 2>"$T/err" && fail "metric = cores_busy accepted"
grep -q "bad.ini:5: metric = 'cores_busy': not a metric with a direction" "$T/err" || fail "metric error: $(cat "$T/err")"

[ "$fails" -eq 0 ] && echo ok
exit $((fails > 0))
