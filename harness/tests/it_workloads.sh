#!/usr/bin/env bash
# it_workloads.sh: every CPU workload through `speedlab run` on tiny sizes: each run ok (so its check
# passed), gflops for the products, the library's thread count following threads/thread_api/blas;
# command per run and per task (environment in, @speedlab metrics out), and a command past its
# timeout, killing its worker or interrupted by Ctrl-C recorded as such with nothing left running.
set -u
SL=${SPEEDLAB:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
PY=/usr/bin/python3

# ini NAME BODY: write $T/NAME.ini from BODY
ini() { printf '%s\n' "$2" >"$T/$1.ini"; }

# run NAME BODY: write $T/NAME.ini from BODY, run it into $T/NAME
run() {
	ini "$1" "$2"
	"$SL" run "$T/$1.ini" --out "$T/$1" --quiet >"$T/$1.out" 2>"$T/$1.err"
	echo $? >"$T/$1.rc"
}

# rows NAME COLUMNS...: the measured rows (rep > 0) of runs.csv, those columns joined by '|'
rows() {
	local name=$1; shift
	$PY - "$T/$name/runs.csv" "$@" <<'PY'
import csv, sys
with open(sys.argv[1], newline="") as f:
    for r in csv.DictReader(f):
        if int(r["rep"]) > 0:
            print("|".join(r[c] for c in sys.argv[2:]))
PY
}

# all_ok NAME: every measured row has status ok
all_ok() {
	local bad
	[ -s "$T/$1/runs.csv" ] || { fail "$1: no runs.csv (exit $(cat "$T/$1.rc")): $(head -c 400 "$T/$1.err")"; return; }
	bad=$(rows "$1" status | grep -vx ok)
	[ -z "$bad" ] || fail "$1: runs not ok: $(echo "$bad" | sort | uniq -c | head -5)"
}

exp() { # NAME WORKLOAD: the [experiment] section
	printf '[experiment]\nname = %s\nquestion = does %s work?\nworkload = %s\nrepeats = 1\nwarmup = 0\ntimeout = 60\n' \
		"$1" "$2" "$2"
}

# --- is there a pool to run through?
run probe "$(exp probe scalar)
[workload]
cost = 10
tasks = 2"
# a run that writes no result is a failure, never a skip (SPEEDLAB=/bin/false must fail this test)
if [ ! -s "$T/probe/runs.csv" ]; then
	echo "FAIL: speedlab run wrote no runs.csv (exit $(cat "$T/probe.rc")): $(head -c 400 "$T/probe.err")" >&2
	exit 1
fi
all_ok probe

# --- speedlab list shows every workload with its parameters
"$SL" list >"$T/list" 2>&1 || fail "speedlab list failed"
for w in gemm omp_gemm scalar sleep transfer skewed command; do
	grep -qE "^  $w " "$T/list" || fail "list lacks workload $w"
done
for p in dtype cost ms mean_cost sigma heavy dist cmd per; do
	grep -qE "^      $p " "$T/list" || fail "list lacks parameter $p"
done

# --- the plain CPU workloads
run scalar "$(exp scalar scalar)
[workload]
cost = 500
tasks = 8
[sweep]
processes = 1, 2
dispatch = pipe, shm"
all_ok scalar

run sleep "$(exp sleep sleep)
[workload]
ms = 5
tasks = 4
[sweep]
processes = 2"
all_ok sleep

run skewed "$(exp skewed skewed)
[workload]
mean_cost = 0.02
tasks = 40
[sweep]
processes = 2
dist = uniform, lognormal, one-heavy
chunksize = 1, auto
dispatch = pipe, shm"
all_ok skewed
[ "$(rows skewed chunksize | sort -u | tr '\n' ' ')" = "1 auto " ] || fail "skewed: chunksize column is not 1, auto"

run transfer "$(exp transfer transfer)
[workload]
n = 40
tasks = 6
[sweep]
processes = 1, 2
dispatch = pipe, shm"
all_ok transfer

# --- gemm: both checks (naive at 64, Freivalds at 300), both builds, the thread settings
run gemm "$(exp gemm gemm)
[workload]
tasks = 4
[sweep]
n = 64, 300
processes = 1, 2
blas = pthread, openmp
threads = unset, 1
thread_api = env, call"
all_ok gemm
rows gemm gflops | grep -qvE '^[0-9.]+(e[-+]?[0-9]+)?$' && fail "gemm: a gflops cell is not a number"
# the library's own count follows threads = 1: the pthread build reads OPENBLAS_NUM_THREADS when a
# worker loads it, the openmp build follows the OpenMP count a fork worker is given (as a fresh
# runtime would read OMP_NUM_THREADS); `call` works for both builds
for combo in "pthread|env" "pthread|call" "openmp|env" "openmp|call"; do
	got=$(rows gemm blas thread_api threads threads_lib | grep "^$combo|1|" | cut -d'|' -f4 | sort -u | tr '\n' ' ')
	[ "$got" = "1 " ] || fail "gemm $combo threads=1: threads_lib is '$got', expected 1"
done
if [ "$(nproc)" -ge 2 ]; then
	# unset: the pthread build runs one thread per CPU, so a worker has more threads than with 1
	one=$(rows gemm blas thread_api threads n threads_peak | grep '^pthread|env|1|300|' | cut -d'|' -f5 | sort -n | tail -1)
	uns=$(rows gemm blas thread_api threads n threads_peak | grep '^pthread|env|unset|300|' | cut -d'|' -f5 | sort -n | head -1)
	$PY -c "import sys; sys.exit(0 if float('$uns') > float('$one') else 1)" 2>/dev/null ||
		fail "gemm: threads_peak with threads=unset ($uns) is not above threads=1 ($one)"
	lib=$(rows gemm blas threads threads_lib | grep '^pthread|unset|' | cut -d'|' -f3 | sort -u | tr '\n' ' ')
	[ "$lib" = "$(nproc) " ] || fail "gemm pthread unset: threads_lib is '$lib', expected $(nproc)"
fi

run omp_gemm "$(exp omp_gemm omp_gemm)
[workload]
n = 100
tasks = 2
[sweep]
processes = 1, 2
threads = unset, 1
thread_api = call"
all_ok omp_gemm
got=$(rows omp_gemm threads threads_lib | grep '^1|' | cut -d'|' -f2 | sort -u | tr '\n' ' ')
[ "$got" = "1 " ] || fail "omp_gemm threads=1 call: threads_lib is '$got', expected 1"

# --- command, per run: the axes in its environment, its @speedlab lines in runs.csv
cat >"$T/peer.sh" <<'EOF'
test "$SPEEDLAB_START_METHOD" = fork && test "$SPEEDLAB_PARAM_PER" = run || exit 9
echo "@speedlab dispatch_us_per_task=$SPEEDLAB_PROCESSES start_latency_ms=$SPEEDLAB_CHUNKSIZE"
echo "@speedlab threads_peak=${OMP_NUM_THREADS:-0} gflops=$SPEEDLAB_PARAM_TASKS"
EOF
run cmd_run "$(exp cmd_run command)
[workload]
cmd = sh $T/peer.sh
tasks = 12
[sweep]
processes = 1, 3
chunksize = 5
threads = 2
thread_api = env"
all_ok cmd_run
got=$(rows cmd_run processes dispatch_us_per_task start_latency_ms threads_peak gflops | sort | tr '\n' ' ')
[ "$got" = "1|1|5|2|12 3|3|5|2|12 " ] || fail "command per run: metrics '$got', expected '1|1|5|2|12 3|3|5|2|12'"
rows cmd_run wall_s cpu_user_s rss_peak_mb | grep -qE '(^|\|)(\||$)' && fail "command per run: empty wall/cpu/rss cells"

# --- command, per task: inside pool workers, every task must exit 0
run cmd_task "$(exp cmd_task command)
[workload]
cmd = test -n \"\$SPEEDLAB_TASK\" && test \"\$SPEEDLAB_PROCESSES\" = 2
per = task
tasks = 5
[sweep]
processes = 2"
all_ok cmd_task
run cmd_task_bad "$(exp cmd_task_bad command)
[workload]
cmd = exit \$SPEEDLAB_TASK
per = task
tasks = 3
[sweep]
processes = 2"
st=$(rows cmd_task_bad status)
case $st in error*) ;; *) fail "command per task with exit 1: status '$st', expected error" ;; esac

# gone MARKER WHAT: no process has MARKER in its command line (orphans re-parented to init escape
# the reaper, so look for them); any found are named and killed
gone() {
	local left
	sleep 0.2
	left=$(pgrep -f "$1")
	[ -z "$left" ] && return
	fail "$2 left processes behind: $(ps -o pid=,ppid=,pgid=,args= -p "$(echo $left | tr ' ' ,)" | tr '\n' ';')"
	kill -KILL $left 2>/dev/null
}

# --- command past its timeout: hang, and its whole group is gone
run cmd_hang "$(exp cmd_hang command | sed 's/timeout = 60/timeout = 1/')
[workload]
cmd = sleep 25.25 & sh -c 'sleep 25.25'; wait"
[ "$(rows cmd_hang status)" = hang ] || fail "command past its timeout: status '$(rows cmd_hang status)', expected hang"
gone "sleep 25.25" "command timeout"

# --- per task, a hang, a crash and Ctrl-C kill everything the commands started: what they forked
# and left (the subshell), in every start method
for sm in fork spawn forkserver; do
	run cmd_task_hang_$sm "$(exp cmd_task_hang_$sm command | sed 's/timeout = 60/timeout = 1/')
[workload]
cmd = (sh -c 'sleep 25.31' &) && sh -c 'sleep 25.31'; true
per = task
tasks = 2
[sweep]
processes = 2
start_method = $sm"
	st=$(rows cmd_task_hang_$sm status)
	[ "$st" = hang ] || fail "command per task past its timeout ($sm): status '$st', expected hang"
	gone "sleep 25.31" "command per task past its timeout ($sm)"

	run cmd_task_crash_$sm "$(exp cmd_task_crash_$sm command)
[workload]
cmd = sleep 25.32 & kill -KILL \$PPID; wait
per = task
[sweep]
start_method = $sm"
	st=$(rows cmd_task_crash_$sm status)
	[ "$st" = crash:SIGKILL ] || fail "command per task killing its worker ($sm): status '$st', expected crash:SIGKILL"
	gone "sleep 25.32" "command per task killing its worker ($sm)"

	ini cmd_task_int_$sm "$(exp cmd_task_int_$sm command)
[workload]
cmd = (sh -c 'sleep 25.33' &) && sh -c 'sleep 25.33'; true
per = task
[sweep]
start_method = $sm"
	"$SL" run "$T/cmd_task_int_$sm.ini" --out "$T/cmd_task_int_$sm" --quiet >/dev/null 2>&1 &
	sleep 1
	kill -INT $!
	wait $!
	[ $? -eq 130 ] || fail "command per task, Ctrl-C ($sm): speedlab did not exit 130"
	gone "sleep 25.33" "command per task, Ctrl-C ($sm)"
done

[ $fails -eq 0 ] || exit 1
echo "ok"
