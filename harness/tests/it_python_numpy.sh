#!/usr/bin/env bash
# it_python_numpy.sh: the NumPy Python peers (experiments/python/numpy_pool.py, affinity_pool.py) by
# hand with tiny matrices: their metrics, the check, the thread limit applied three ways under each
# start method, and workers pinned by the affinity plan.
# asan: no (runs no speedlab binary)
set -u
cd "$(dirname "$0")/../.." || exit 2
unset OPENBLAS_NUM_THREADS OMP_NUM_THREADS MKL_NUM_THREADS GOTO_NUM_THREADS
. harness/tests/peer-lib.sh
if ! "$PY" -c 'import numpy' 2>/dev/null; then
	echo "$PY has no numpy (install python3-numpy)"
	exit 77
fi

# run NAME WANT_RC [VAR=VALUE...]: numpy_pool.py with N=256 (big enough for OpenBLAS to thread),
# 2 workers, 4 tasks, plus the given environment
run() {
	local name=$1 want=$2
	shift 2
	peer "$name" "$want" numpy_pool.py SPEEDLAB_PROCESSES=2 SPEEDLAB_PARAM_N=256 SPEEDLAB_PARAM_TASKS=4 "$@"
}

run unset 0
for k in wall_s gflops threads_peak threads_total_peak start_latency_ms pool_start_ms pool_stop_ms; do
	[ -n "$(metric unset $k)" ] || fail "unset: no @speedlab $k="
done
# the tree holds at least the parent, its 3 pool threads and one thread per worker
tp=$(metric unset threads_total_peak)
[ "${tp:-0}" -ge 6 ] || fail "unset: threads_total_peak $tp < 6"

run env1 0 SPEEDLAB_THREADS=1
[ "$(metric env1 threads_peak)" = 1 ] || fail "env1: threads=1 set before numpy, yet a worker had $(metric env1 threads_peak) threads"
run spawn_env1 0 SPEEDLAB_THREADS=1 SPEEDLAB_START_METHOD=spawn
[ "$(metric spawn_env1 threads_peak)" = 1 ] || fail "spawn_env1: a worker had $(metric spawn_env1 threads_peak) threads"
run auto 0 SPEEDLAB_THREADS=auto SPEEDLAB_START_METHOD=forkserver
run wrong 1 SLPEER_CORRUPT=1
grep -q 'wrong result: task 0' "$tmp/wrong.err" || fail "wrong: the check did not name task 0"

# OpenBLAS only: threads_lib is its own setting. The seeds' trap: under fork the variables set in
# the worker come after the parent loaded OpenBLAS, so they change nothing; under spawn they work.
lib=$(metric unset threads_lib)
if [ -n "$lib" ]; then
	run fork_late 0 SPEEDLAB_THREADS=1 SPEEDLAB_THREAD_API=worker-env
	run spawn_late 0 SPEEDLAB_THREADS=1 SPEEDLAB_THREAD_API=worker-env SPEEDLAB_START_METHOD=spawn
	run fork_call 0 SPEEDLAB_THREADS=1 SPEEDLAB_THREAD_API=call
	[ "$(metric env1 threads_lib)" = 1 ] || fail "env1: OpenBLAS set to $(metric env1 threads_lib) threads"
	[ "$(metric spawn_late threads_lib)" = 1 ] || fail "spawn_late: OpenBLAS set to $(metric spawn_late threads_lib)"
	[ "$(metric fork_call threads_lib)" = 1 ] || fail "fork_call: OpenBLAS set to $(metric fork_call threads_lib)"
	[ "$(metric fork_late threads_lib)" = "$lib" ] ||
		fail "fork_late: OpenBLAS set to $(metric fork_late threads_lib), expected the unset $lib (too late under fork)"
	if [ "$(nproc)" -gt 1 ] && [ "$lib" -le 1 ]; then
		fail "unset: OpenBLAS uses $lib thread(s) on $(nproc) CPUs"
	fi
else
	echo "note: numpy's BLAS is not OpenBLAS here; thread_api checks skipped"
fi

# affinity_pool.py: the plan pins both workers to the first allowed CPU in the initializer, after numpy
# is loaded: the threads it observed ran on that one CPU, and the BLAS kept its own count
first=$(grep Cpus_allowed_list /proc/self/status | cut -f2 | cut -d, -f1 | cut -d- -f1)
peer pin 0 affinity_pool.py SPEEDLAB_PROCESSES=2 SPEEDLAB_PARAM_N=128 SPEEDLAB_PARAM_TASKS=4 \
	SPEEDLAB_AFFINITY=cpus:1 "SPEEDLAB_AFFINITY_PLAN=$first;$first"
for k in wall_s gflops threads_peak threads_lib cpus_used migrations; do
	[ -n "$(metric pin $k)" ] || fail "pin: no @speedlab $k="
done
[ "$(metric pin cpus_used)" = 1 ] || fail "pin: the pinned workers' threads ran on $(metric pin cpus_used) CPUs"
grep -q "plan=\['$first', '$first'\]" "$tmp/pin.err" || fail "pin: the plan was not read: $(cat "$tmp/pin.err")"

finish "numpy peer"
