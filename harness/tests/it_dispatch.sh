#!/usr/bin/env bash
# it_dispatch.sh: dispatch = pipe is Python's Pool design, seen from outside with strace: one write per
# chunk message and one per result message (20000 tasks at chunksize 1: at least 20000 writes), while
# dispatch = batch keeps sending chunks and results in batches (far fewer writes than tasks).
# asan: no (counts system calls; the pool's memory safety is test_pool's, under ASan)
set -u
cd "$(dirname "$0")/../.." || exit 2
: "${SPEEDLAB:=$PWD/build/speedlab}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

if ! command -v strace >/dev/null; then
	echo "strace is not installed: the write count of dispatch = pipe is not checked"
	exit 77
fi
if ! strace -f -qq -e trace=none true >/dev/null 2>&1; then
	echo "strace cannot trace here (ptrace not permitted): the write count is not checked"
	exit 77
fi

# writes DISPATCH: write(2) calls of a 20000-task run of the empty workload, 2 processes, chunksize 1
writes() {
	local out=$tmp/$1
	strace -f -c -e trace=write -o "$tmp/$1.strace" "$SPEEDLAB" run experiments/pool-overhead.ini --quiet \
		--out "$out" --set dispatch="$1" --set chunksize=1 --set tasks=20000 --set processes=2 \
		--set start_method=fork --set repeats=1 --set warmup=0 >"$tmp/$1.log" 2>&1 ||
		{ cat "$tmp/$1.log" >&2; fail "speedlab run with dispatch = $1 failed"; }
	[ "$(tail -n +2 "$out/runs.csv" | grep -c ',ok$')" -eq 1 ] || fail "dispatch = $1: run not ok: $(tail -n 1 "$out/runs.csv")"
	awk '$NF == "write" { print $4 }' "$tmp/$1.strace"
}

n=$(writes pipe)
echo "dispatch = pipe: $n writes for 20000 tasks"
[ -n "$n" ] && [ "$n" -ge 20000 ] || fail "dispatch = pipe made ${n:-no} writes for 20000 tasks at chunksize 1, expected >= 20000 (one per message)"
b=$(writes batch)
echo "dispatch = batch: $b writes for 20000 tasks"
[ -n "$b" ] && [ "$b" -lt 10000 ] || fail "dispatch = batch made ${b:-no} writes for 20000 tasks, expected batching (< 10000)"
exit 0
