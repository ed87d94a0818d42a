#!/usr/bin/env bash
# it_progress.sh: progress in a CI log (stderr a pipe, not a terminal): `speedlab run` prints a plain
# line while a long run goes on (at most one per 10 s), one per finished configuration and a last
# one; run-all prints a line per experiment and one per 10 s of a long one. One sleep of 11.5 s,
# run by both at once.
# asan: no (it checks lines timed by the clock, not memory; 12 s each)
set -u
: "${SPEEDLAB:?SPEEDLAB must name the speedlab binary}"
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*"
	exit 1
}

mkdir -p "$tmp/exp"
cat >"$tmp/exp/long.ini" <<'INI'
[experiment]
name = long
question = Does a CI log hear from a run of 11.5 s while it goes on?
workload = sleep
repeats = 1
warmup = 0

[workload]
ms = 11500
tasks = 1
INI

# the run, its stderr through a pipe; run-all at the same time (both only sleep)
{ "$SPEEDLAB" run "$tmp/exp/long.ini" --out "$tmp/run" 2>&1 >/dev/null | cat >"$tmp/run.log"; } &
pid=$!
SPEEDLAB=$SPEEDLAB SPEEDLAB_EXPERIMENTS=$tmp/exp SPEEDLAB_RUNALL_OUT=$tmp/all \
	bash "$root/harness/run-all" quick 2>&1 | cat >"$tmp/all.log"
wait $pid

grep -Eq '^speedlab: long: run 1/1  rep 1  elapsed 1[0-9]s  ETA \?  \(running 1[0-9]s\)  P=1 fork shm chunk=1 threads=unset$' \
	"$tmp/run.log" || fail "no plain progress line during the long run: $(cat "$tmp/run.log")"
[ "$(grep -c '(running' "$tmp/run.log")" -eq 1 ] || fail "more than one line per 10 s: $(cat "$tmp/run.log")"
grep -Eq '^speedlab: long: configuration 1/1 done  elapsed 1[1-9]s  P=1 ' "$tmp/run.log" ||
	fail "no line for the finished configuration: $(cat "$tmp/run.log")"
grep -Eq '^speedlab: long: 1 of 1 run\(s\) done in 1[1-9]s$' "$tmp/run.log" || fail "no last line: $(cat "$tmp/run.log")"
grep -q $'\r' "$tmp/run.log" && fail "terminal control characters in a log"

grep -q '^\[1/1\] long: starting$' "$tmp/all.log" || fail "run-all: no line as the experiment starts: $(cat "$tmp/all.log")"
grep -Eq '^\[1/1\] long: running \(0:1[0-9]; 0:1[0-9] elapsed in all\)$' "$tmp/all.log" ||
	fail "run-all: no line after 10 s of a long experiment: $(cat "$tmp/all.log")"
grep -Eq '^\[1/1\] long: ok \(0:1[1-9]\)$' "$tmp/all.log" || fail "run-all: no line as it ends: $(cat "$tmp/all.log")"
grep -q $'\r' "$tmp/all.log" && fail "run-all: terminal control characters in a log"
echo "ok"
