#!/usr/bin/env bash
# it_limits.sh: resource limits say what they are. A forkserver out of file descriptors says so (not
# "Protocol error"); a configuration whose workers cannot fit in the machine's memory is skipped
# before it starts ("skipped:needs N GiB"); a command the OOM killer ended is marked "likely OOM"
# (where a memory cgroup can be made to provoke one without touching the rest of the machine).
set -u
SL=${SPEEDLAB:?}
T=$(mktemp -d)
CG=
trap '[ -n "$CG" ] && rmdir "$CG" 2>/dev/null; rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
status_of() { tail -n 1 "$1/runs.csv" | awk -F, '{ print $NF }'; }

# --- the forkserver out of file descriptors: it cannot take the worker's three descriptors
cat >"$T/fd.ini" <<'INI'
[experiment]
name = fd
question = Does a forkserver out of descriptors say so?
workload = sleep
repeats = 1
warmup = 0
[workload]
ms = 1
tasks = 1
[sweep]
start_method = forkserver
INI
(ulimit -Sn 7 && "$SL" run "$T/fd.ini" --out "$T/r-fd" --quiet >/dev/null 2>&1)
st=$(status_of "$T/r-fd")
case $st in
*"out of file descriptors"*) ;;
*) fail "forkserver out of descriptors: status '$st'" ;;
esac

# --- memory estimate: gemm at n = 16384 needs 3 x 16384^2 x 8 bytes (6 GiB) per process; one process
# more than the machine holds is skipped before any worker starts
mem_gib=$(awk '/^MemTotal:/ { print $2 / 1048576 }' /proc/meminfo)
procs=$(awk -v m="$mem_gib" 'BEGIN { print int(m / 6) + 2 }')
cat >"$T/mem.ini" <<INI
[experiment]
name = mem
question = Is a configuration too big for the machine refused up front?
workload = gemm
repeats = 1
warmup = 0
timeout = 20
[workload]
n = 16384
tasks = 1
[sweep]
processes = $procs
INI
# (an address-space limit keeps a build without the estimate from filling the machine; not under
# ASan, whose shadow memory needs the address space)
(case $SL in */asan/*) ;; *) ulimit -v 4000000 ;; esac
 "$SL" run "$T/mem.ini" --out "$T/r-mem" --quiet >/dev/null 2>"$T/mem.err") || fail "memory estimate: run failed: $(tail -2 "$T/mem.err")"
st=$(status_of "$T/r-mem")
case $st in
"skipped:needs "*" GiB"*) ;;
*) fail "memory estimate: $procs x n=16384 on $mem_gib GiB: status '$st'" ;;
esac

# --- an OOM kill is named: a command puts itself in a memory cgroup of 64 MiB and takes 400 MiB
if [ -w /sys/fs/cgroup/memory ] && grep -q '^[0-9]*:memory:' /proc/self/cgroup; then
	CG=/sys/fs/cgroup/memory$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)
	CG=${CG%/}/speedlab-oom-$$
	if mkdir "$CG" 2>/dev/null && echo $((64 << 20)) >"$CG/memory.limit_in_bytes" 2>/dev/null; then
		cat >"$T/oom.sh" <<SH
echo \$\$ >$CG/cgroup.procs || exit 1
exec python3 -c 'x = bytes(1) * (400 << 20)'
SH
		cat >"$T/oom.ini" <<INI
[experiment]
name = oom
question = Is an OOM kill named?
workload = command
repeats = 1
warmup = 0
[workload]
cmd = "exec sh $T/oom.sh"
INI
		"$SL" run "$T/oom.ini" --out "$T/r-oom" --quiet >/dev/null 2>"$T/oom.err"
		st=$(status_of "$T/r-oom")
		case $st in
		"crash:SIGKILL (likely OOM"*) ;;
		*) fail "OOM kill: status '$st'" ;;
		esac
	else
		echo "skipped: the OOM case (cannot make a memory cgroup with a limit here)"
	fi
else
	echo "skipped: the OOM case (no writable cgroup v1 memory hierarchy)"
fi

exit $((fails > 0))
