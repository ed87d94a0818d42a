#!/usr/bin/env bash
# it_python.sh: the stdlib Python peers (experiments/python) run by hand with tiny settings: their
# `@speedlab` lines, their own result checks, their errors and skips, and no process left behind.
# asan: no (runs no speedlab binary)
set -u
cd "$(dirname "$0")/../.." || exit 2
. harness/tests/peer-lib.sh

# keys NAME KEY...: each KEY present exactly once
keys() {
	local name=$1 k c
	shift
	for k in "$@"; do
		c=$(grep -c "^@speedlab $k=" "$tmp/$name.out")
		[ "$c" = 1 ] || fail "$name: @speedlab $k= appears $c times, expected once"
	done
}

# ge A B: A >= B (floats)
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

# --help: every program documents the environment it reads
for p in pool_map pool_start speedup sleep_pool chunks helpers_count numpy_pool affinity_pool; do
	out=$("$PY" "$D/$p.py" --help 2>&1) || fail "$p --help: exit $?"
	grep -q 'SPEEDLAB_PARAM_' <<<"$out" || fail "$p --help: no parameters listed"
	grep -q 'SPEEDLAB_START_METHOD' <<<"$out" || fail "$p --help: no environment listed"
done

# pool_map: chunksize 1, 1000 and Python's rule, under each start method
peer pm1 0 pool_map.py SPEEDLAB_PROCESSES=2 SPEEDLAB_CHUNKSIZE=1 SPEEDLAB_PARAM_TASKS=2000
keys pm1 wall_s dispatch_us_per_task start_latency_ms pool_start_ms pool_stop_ms
peer pm1000 0 pool_map.py SPEEDLAB_PROCESSES=2 SPEEDLAB_CHUNKSIZE=1000 SPEEDLAB_PARAM_TASKS=2000
keys pm1000 wall_s dispatch_us_per_task start_latency_ms
peer pmauto 0 pool_map.py SPEEDLAB_PROCESSES=3 SPEEDLAB_CHUNKSIZE=auto SPEEDLAB_PARAM_TASKS=999
grep -q 'chunksize=auto (=84)' "$tmp/pmauto.err" || fail "pmauto: Python's rule ceil(999/12) = 84 not applied"
peer pmspawn 0 pool_map.py SPEEDLAB_START_METHOD=spawn SPEEDLAB_PARAM_TASKS=300 SPEEDLAB_CHUNKSIZE=7
keys pmspawn wall_s dispatch_us_per_task start_latency_ms
peer pmfs 0 pool_map.py SPEEDLAB_START_METHOD=forkserver SPEEDLAB_PARAM_TASKS=300 SPEEDLAB_THREADS=1
keys pmfs wall_s dispatch_us_per_task start_latency_ms

# pool_start: start + map + join, each start method
for sm in fork spawn forkserver; do
	peer "ps_$sm" 0 pool_start.py SPEEDLAB_START_METHOD=$sm SPEEDLAB_PROCESSES=2
	keys "ps_$sm" wall_s pool_stop_ms
done

# speedup: 1 process and more processes than tasks per worker
peer su1 0 speedup.py SPEEDLAB_PROCESSES=1 SPEEDLAB_PARAM_TASKS=4 SPEEDLAB_PARAM_COST=2000
keys su1 wall_s imbalance start_latency_ms pool_start_ms pool_stop_ms
[ "$(metric su1 imbalance)" = 1 ] || fail "su1: one worker must have imbalance 1, got $(metric su1 imbalance)"
peer su3 0 speedup.py SPEEDLAB_PROCESSES=3 SPEEDLAB_PARAM_TASKS=6 SPEEDLAB_PARAM_COST=2000 SPEEDLAB_START_METHOD=forkserver
keys su3 wall_s imbalance

# sleep_pool: sequential and pooled; a sleep is a guaranteed lower bound, not a timing assertion
peer sl1 0 sleep_pool.py SPEEDLAB_PROCESSES=1 SPEEDLAB_PARAM_TASKS=3 SPEEDLAB_PARAM_MS=30
keys sl1 wall_s
ge "$(metric sl1 wall_s)" 0.09 || fail "sl1: 3 sequential sleeps of 30 ms took $(metric sl1 wall_s) s"
peer sl3 0 sleep_pool.py SPEEDLAB_PROCESSES=3 SPEEDLAB_PARAM_TASKS=3 SPEEDLAB_PARAM_MS=30 SPEEDLAB_START_METHOD=spawn
keys sl3 wall_s
ge "$(metric sl3 wall_s)" 0.03 || fail "sl3: a pool of 30 ms sleeps took $(metric sl3 wall_s) s"

# chunks: each distribution, several chunk sizes
for dist in uniform lognormal one-heavy; do
	for cs in 1 auto 16; do
		peer "ch_${dist}_$cs" 0 chunks.py SPEEDLAB_PARAM_DIST=$dist SPEEDLAB_CHUNKSIZE=$cs \
			SPEEDLAB_PARAM_TASKS=48 SPEEDLAB_PARAM_COST=300
		keys "ch_${dist}_$cs" wall_s imbalance
	done
done
# 48 tasks of mean 300, one 32x the rest: the rest get 14400/79 = 182, the heavy one 5833
grep -q '(min 182, max 5833)' "$tmp/ch_one-heavy_1.err" || fail "chunks one-heavy: the heavy task is not 32x the others"

# helpers_count: what each start method adds besides the workers
peer hc_fork 0 helpers_count.py SPEEDLAB_PROCESSES=2
keys hc_fork threads_total_peak threads_peak
grep -q 'helpers: processes=0 threads=3$' "$tmp/hc_fork.err" ||
	fail "hc_fork: expected no helper process and the 3 pool threads: $(tail -n 1 "$tmp/hc_fork.err")"
[ "$(metric hc_fork threads_total_peak)" = 6 ] || fail "hc_fork: 1+3 parent threads + 2 workers != $(metric hc_fork threads_total_peak)"
peer hc_spawn 0 helpers_count.py SPEEDLAB_PROCESSES=2 SPEEDLAB_START_METHOD=spawn SPEEDLAB_PARAM_MANAGER=1
grep -q '(resource_tracker)' "$tmp/hc_spawn.err" || fail "hc_spawn: no resource tracker found"
grep -q '(manager)' "$tmp/hc_spawn.err" || fail "hc_spawn: no manager process found"
grep -q 'helpers: processes=2 ' "$tmp/hc_spawn.err" || fail "hc_spawn: $(tail -n 1 "$tmp/hc_spawn.err")"
peer hc_fs 0 helpers_count.py SPEEDLAB_PROCESSES=2 SPEEDLAB_START_METHOD=forkserver
grep -q '(forkserver)' "$tmp/hc_fs.err" || fail "hc_fs: no forkserver process found"

# each program's own check catches a wrong result (exit 1)
for p in pool_map pool_start speedup sleep_pool chunks helpers_count; do
	peer "wrong_$p" 1 "$p.py" SLPEER_CORRUPT=1 SPEEDLAB_PARAM_TASKS=8 SPEEDLAB_PARAM_COST=100 SPEEDLAB_PARAM_MS=1 SPEEDLAB_PROCESSES=2
	grep -q 'wrong result' "$tmp/wrong_$p.err" || fail "wrong_$p: no 'wrong result' message"
done

# a worker whose start fails (Pool would restart it forever): exit 1 at once, nothing left behind
for sm in fork spawn; do
	peer "initfail_$sm" 1 pool_map.py SLPEER_FAIL_INIT=1 SPEEDLAB_START_METHOD=$sm
	grep -q 'initializer failed: RuntimeError' "$tmp/initfail_$sm.err" || fail "initfail_$sm: no reason given"
done

# bad input: exit 2 naming the variable; configurations that do not apply: exit 77
peer bad_p 2 pool_map.py SPEEDLAB_PROCESSES=0
grep -q 'SPEEDLAB_PROCESSES' "$tmp/bad_p.err" || fail "bad_p: the variable is not named"
peer bad_cs 2 pool_map.py SPEEDLAB_CHUNKSIZE=big
peer bad_sm 2 pool_map.py SPEEDLAB_START_METHOD=vfork
peer bad_th 2 speedup.py SPEEDLAB_THREADS=lots
peer bad_dist 2 chunks.py SPEEDLAB_PARAM_DIST=zipf
grep -q 'SPEEDLAB_PARAM_DIST' "$tmp/bad_dist.err" || fail "bad_dist: the variable is not named"
peer skip_shm 77 pool_map.py SPEEDLAB_DISPATCH=shm
peer skip_mpi 77 speedup.py SPEEDLAB_START_METHOD=mpi
"$PY" "$D/pool_map.py" --tasks 3 >/dev/null 2>&1
[ $? = 2 ] || fail "an unknown option must exit 2"

# numpy missing: numpy_pool is skipped (77) with the reason
mkdir -p "$tmp/nonumpy/numpy"
echo 'raise ImportError("simulated: no numpy here")' >"$tmp/nonumpy/numpy/__init__.py"
peer nonumpy 77 numpy_pool.py PYTHONPATH="$tmp/nonumpy"
grep -q 'skipped: numpy is not importable' "$tmp/nonumpy.err" || fail "nonumpy: no reason given"

# SIGTERM mid-run: the program stops its pool and leaves nothing behind, for each start method
for sm in fork spawn forkserver; do
	n=$((n + 1))
	mark="$$-$n"
	env SLPEER_TEST_MARK="$mark" SPEEDLAB_START_METHOD=$sm SPEEDLAB_PROCESSES=3 SPEEDLAB_PARAM_TASKS=3 \
		SPEEDLAB_PARAM_MS=20000 "$PY" "$D/sleep_pool.py" >"$tmp/term.out" 2>"$tmp/term.err" &
	pid=$!
	for i in $(seq 100); do   # wait until the 3 workers are there (up to 10 s)
		c=$(grep -las "SLPEER_TEST_MARK=$mark" /proc/[0-9]*/environ | wc -l)
		[ "$c" -ge 4 ] && break
		sleep 0.1
	done
	sleep 0.2
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	[ "$rc" = 143 ] || fail "term_$sm: exit $rc after SIGTERM, expected 143"
	leftovers "$mark" || fail "term_$sm: processes left behind after SIGTERM"
done

finish "python peers"
