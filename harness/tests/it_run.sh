#!/usr/bin/env bash
# it_run.sh: speedlab run end to end: the result directory, SIGKILL of the coordinator then --resume
# (no finished row lost or repeated), SIGINT keeps what was measured, and cores_busy against what
# /usr/bin/time says for the same configuration run by hand.
set -u
SL=${SPEEDLAB:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
py=/usr/bin/python3

# --- a run writes every file of the result directory
cat >"$T/sleep.ini" <<'INI'
[experiment]
name = resume
question = Does --resume finish a killed run without repeating or losing rows?
workload = sleep
repeats = 3
warmup = 1
seed = 7
[workload]
ms = 40
tasks = 4
[sweep]
processes = 1, 2
start_method = fork, spawn
INI
"$SL" run "$T/sleep.ini" --out "$T/full" --quiet >"$T/full.out" 2>"$T/full.err" || fail "plain run failed: $(tail -3 "$T/full.err")"
for f in experiment.ini meta.json runs.csv samples.csv summary.csv tables.md; do
	[ -s "$T/full/$f" ] || fail "result directory lacks $f"
done
$py -c 'import json,sys; m=json.load(open(sys.argv[1])); assert m["status"]=="complete" and m["seed"]==7 and m["sysinfo"]["cpu"]["logical"]>0 and m["fingerprint"], m' "$T/full/meta.json" || fail "meta.json incomplete"
# 4 configurations x (1 warm-up + 3 repetitions) = 16 rows, each (config, rep) once
$py - "$T/full/runs.csv" <<'PY' || fail "full run: wrong rows"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
keys = [(r["config"], r["rep"]) for r in rows]
assert len(rows) == 16 and len(set(keys)) == 16, (len(rows), len(set(keys)))
assert all(r["status"] == "ok" for r in rows), [r["status"] for r in rows]
assert all(float(r["wall_s"]) >= 0.04 for r in rows)
PY
# the recorded experiment reproduces the run: same configurations and seed
"$SL" run "$T/full/experiment.ini" --out "$T/again" --quiet >/dev/null 2>&1 || fail "experiment.ini does not run again"
cmp -s <(cut -d, -f1-14 "$T/full/runs.csv" | sort) <(cut -d, -f1-14 "$T/again/runs.csv" | sort) ||
	fail "re-running experiment.ini gave other configurations"

# --- SIGKILL the coordinator mid-run, then --resume
"$SL" run "$T/sleep.ini" --out "$T/killed" --quiet >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do
	n=$( (tail -n +2 "$T/killed/runs.csv" 2>/dev/null || true) | wc -l)
	[ "$n" -ge 5 ] && break
	sleep 0.1
done
kill -KILL $pid
wait $pid 2>/dev/null
before=$(tail -n +2 "$T/killed/runs.csv" | wc -l)
[ "$before" -ge 5 ] && [ "$before" -lt 16 ] || fail "the kill did not land mid-run ($before rows)"
sleep 0.5
pgrep -f "$T/killed" >/dev/null && fail "workers outlived the killed coordinator"
cp "$T/killed/runs.csv" "$T/before.csv"
"$SL" run --resume "$T/killed" --quiet >/dev/null 2>"$T/resume.err" || fail "resume failed: $(tail -3 "$T/resume.err")"
$py - "$T/before.csv" "$T/killed/runs.csv" <<'PY' || fail "resume lost or repeated rows"
import csv, sys
before = list(csv.DictReader(open(sys.argv[1])))
after = list(csv.DictReader(open(sys.argv[2])))
keys = [(r["config"], r["rep"]) for r in after]
assert len(after) == 16 and len(set(keys)) == 16, (len(after), len(set(keys)))
# the finished rows are kept as they were
assert after[:len(before)] == before
PY
$py -c 'import json,sys; m=json.load(open(sys.argv[1])); assert m["status"]=="complete" and len(m["resumed"])==1' "$T/killed/meta.json" || fail "meta.json does not record the resume"
# a torn last line (killed mid-write) is cut, not kept
printf '3,2,sleep,2,1,fork' >>"$T/killed/runs.csv"
"$SL" run --resume "$T/killed" --quiet >/dev/null 2>&1 || fail "resume after a torn line failed"
[ "$(tail -n +2 "$T/killed/runs.csv" | wc -l)" -eq 16 ] || fail "a torn line survived the resume"
"$SL" run "$T/sleep.ini" --out "$T/killed" --quiet >/dev/null 2>&1 && fail "--out on a finished run was not refused"

# --- SIGINT: stops, keeps the rows, says how to resume, exit 130
"$SL" run "$T/sleep.ini" --out "$T/int" --quiet >/dev/null 2>"$T/int.err" &
pid=$!
for _ in $(seq 100); do
	[ "$( (tail -n +2 "$T/int/runs.csv" 2>/dev/null || true) | wc -l)" -ge 3 ] && break
	sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] || fail "SIGINT: exit $rc, expected 130"
grep -q "speedlab run --resume" "$T/int.err" || fail "SIGINT: no resume hint"
grep -q '"status": "interrupted"' "$T/int/meta.json" || fail "SIGINT: meta.json not marked interrupted"
[ -s "$T/int/summary.csv" ] || fail "SIGINT: no summary of what was measured"

# --- cores_busy against /usr/bin/time for the same configuration
check_busy() { # NAME INI-BODY
	printf '%s\n' "$2" >"$T/$1.ini"
	"$SL" run "$T/$1.ini" --out "$T/$1" --quiet >/dev/null 2>&1 || { fail "$1: run failed"; return; }
	# the same configuration by hand, under /usr/bin/time: one measured run, no warm-up
	/usr/bin/time -f '%e %U %S' -o "$T/$1.time" "$SL" run "$T/$1.ini" --out "$T/$1-time" --set repeats=1 \
		--quiet >/dev/null 2>&1 || { fail "$1: timed run failed"; return; }
	$py - "$T/$1-time/runs.csv" "$T/$1.time" "$1" <<'PY' || fail "$1: cores_busy disagrees with /usr/bin/time"
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if int(r["rep"]) > 0]
ours = float(rows[0]["cores_busy"])
wall, user, sys_ = (float(x) for x in open(sys.argv[2]).read().split()[-3:])
theirs = (user + sys_) / wall
print(f"{sys.argv[3]}: cores_busy {ours:.2f}, /usr/bin/time {theirs:.2f}")
assert abs(ours - theirs) <= 0.10 * theirs, (ours, theirs)
PY
}
check_busy scalar "[experiment]
name = busy-scalar
question = Does cores_busy agree with /usr/bin/time?
workload = scalar
repeats = 1
warmup = 0
[workload]
cost = 800000
tasks = 16             ; about 3 s at 2 processes
[sweep]
processes = 2"
check_busy gemm "[experiment]
name = busy-gemm
question = Does cores_busy agree with /usr/bin/time for BLAS threads left unset?
workload = gemm
repeats = 1
warmup = 0
[workload]
n = 1000
tasks = 150            ; about 3 s: speedlab's own start-up (~0.2 s, one thread) stays small beside it
[sweep]
processes = 1
threads = unset"

[ $fails -eq 0 ] || exit 1
echo "run: all checks passed"
