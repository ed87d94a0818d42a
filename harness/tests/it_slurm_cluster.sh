#!/usr/bin/env bash
# it_slurm_cluster.sh: `speedlab slurm` against a real one-node Slurm cluster of the test's own
# (munged, slurmctld and slurmd on 127.0.0.1, own key, ports, config and directories): the script
# it writes for experiments/cluster/slurm-check.ini (processes 1, 2, 3; fork and mpi) is submitted
# with sbatch and cancelled with scancel mid-sweep (the rows so far kept); `speedlab slurm --resume`
# in a new job finishes it (every configuration ok, the mpi rows, whose ranks srun started, checked
# like fork's, the jobs' output and states); a two-element job array (--split) runs on it too. The
# daemons run in the foreground as this script's children and are stopped by their pids.
# asan: no (the same launch path as the normal binary, and a second cluster run would cost the suite another ~30 s; it_mpi covers the mpi launcher under ASan)
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${SPEEDLAB:=$here/../../build/speedlab}"
EXP=$here/../../experiments/cluster/slurm-check.ini
PY=/usr/bin/python3

skip() { echo "$1"; exit 77; }
PATH=$PATH:/usr/sbin           # the daemons, for a user whose PATH lacks it
for b in munged slurmctld slurmd sbatch srun squeue scancel scontrol sinfo; do
	command -v "$b" >/dev/null || skip "no $b (Debian: slurm-wlm munge; make test installs them)"
done
[ -x "$PY" ] || skip "no $PY (reads runs.csv)"
if "$SPEEDLAB" list 2>/dev/null | grep -E '^  mpi ' | grep -q 'skipped'; then
	skip "mpi start method not available in this build"
fi

# nothing of a Slurm job this test may itself run in, nor a user's launcher or PMI choice
for v in $(env | sed -n 's/^\(SLURM_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
unset SPEEDLAB_MPI_LAUNCHER

tmp=$(mktemp -d) || exit 2
chmod 755 "$tmp"
failures=0
pids=()
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# stop: cancel what is still queued or running, then the daemons, by their pids, and wait for them
stop() {
	if [ -n "${SLURM_CONF:-}" ] && [ -n "$(squeue -h -o %i 2>/dev/null)" ]; then
		# shellcheck disable=SC2046 # one job id a word
		scancel --full $(squeue -h -o %i 2>/dev/null) 2>/dev/null
		for _ in $(seq 100); do
			[ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
			sleep 0.1
		done
	fi
	for ((k = ${#pids[@]} - 1; k >= 0; k--)); do
		kill -TERM "${pids[k]}" 2>/dev/null
		wait "${pids[k]}" 2>/dev/null
	done
	pids=()
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"     # KEEP=1: the cluster's logs and the jobs' files stay
}
trap stop EXIT

# the cluster: its own munge key and socket, ports free now, more CPUs than the machine has (so that
# 3 processes + rank 0 fit on any machine: config_overrides), Slurm's default MpiDefault=none (so that
# speedlab must ask srun for the PMIx plug-in that Open MPI needs), no cgroups, no accounting
c=$tmp/cluster
mkdir -p "$c/state" "$c/spool" "$tmp/work" "$tmp/tmpdir"
head -c 1024 /dev/urandom >"$c/munge.key" && chmod 400 "$c/munge.key"
read -r port_ctld port_d < <("$PY" -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s:
    x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
host=$(hostname -s)
cpus=$(nproc)
[ "$cpus" -lt 16 ] && cpus=16
user=$(id -un)
cat >"$c/slurm.conf" <<EOF
ClusterName=speedlabtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port_ctld
SlurmdPort=$port_d
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$c/munge.sock
StateSaveLocation=$c/state
SlurmdSpoolDir=$c/spool
SlurmctldPidFile=$c/slurmctld.pid
SlurmdPidFile=$c/slurmd.pid
SlurmctldLogFile=$c/slurmctld.log
SlurmdLogFile=$c/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
KillWait=5
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SlurmdParameters=config_overrides
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$c/slurm.conf
munged -F --force --key-file="$c/munge.key" --socket="$c/munge.sock" --pid-file="$c/munged.pid" \
	--log-file="$c/munged.log" --seed-file="$c/munged.seed" >"$c/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
	[ -S "$c/munge.sock" ] && break
	sleep 0.1
done
[ -S "$c/munge.sock" ] || { stop; skip "munged did not start: $(tail -n 1 "$c/munged.out")"; }
slurmctld -D -f "$SLURM_CONF" >"$c/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$c/slurmd.out" 2>&1 &
pids+=($!)
t0=$(date +%s.%N)
state=""
for _ in $(seq 150); do
	state=$(sinfo -h -o %t 2>/dev/null)
	[ "$state" = idle ] && break
	sleep 0.1
done
if [ "$state" != idle ]; then
	why=$(grep -h -i "error\|fatal" "$c/slurmctld.out" "$c/slurmd.out" | tail -n 1)
	stop
	skip "the Slurm daemons did not start (node '${state:-none}' after 15 s): ${why:-no message}"
fi
echo "cluster up in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s (node idle)"

export TMPDIR=$tmp/tmpdir     # the jobs inherit it: Open MPI's session directories must not stay

# await JOB: until Slurm has finished with it (60 s at most); then its state, e.g. COMPLETED
await() {
	local st=""
	case $1 in *[!0-9_]* | "" | _* | *_) echo "no job"; return ;; esac   # sbatch failed
	for _ in $(seq 600); do
		st=$(scontrol show job "$1" -o 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
		case $st in COMPLETED | CANCELLED | FAILED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) break ;; esac
		sleep 0.1
	done
	for _ in $(seq 100); do
		[ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && break
		sleep 0.1
	done
	echo "$st"
}
secs() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
rows() { tail -n +2 "$1/runs.csv" 2>/dev/null | wc -l; }

cd "$tmp/work" || exit 2
res=$tmp/work/res

# 1. the script `speedlab slurm` writes; cancelled once the first row is in
"$SPEEDLAB" slurm "$EXP" -o job.sh --out "$res" 2>err || fail "speedlab slurm: $(cat err)"
t0=$(date +%s.%N)
job1=$(sbatch --parsable job.sh 2>err) || fail "sbatch job.sh: $(cat err)"
for _ in $(seq 600); do
	[ "$(rows "$res")" -ge 1 ] && break
	[ -n "$(squeue -h -j "$job1" 2>/dev/null)" ] || break
	sleep 0.1
done
scancel "$job1"
st=$(await "$job1")
echo "job $job1: $st after $(secs "$t0") s with $(rows "$res") of 6 rows"
[ "$st" = CANCELLED ] || fail "job $job1 (scancel after the first row): state '$st', expected CANCELLED"
n1=$(rows "$res")
if [ "$n1" -lt 1 ] || [ "$n1" -ge 6 ]; then fail "cancelled job: $n1 rows, expected 1 to 5"; fi
cp "$res/runs.csv" kept.csv 2>/dev/null
grep -q '"status": *"interrupted"' "$res/meta.json" 2>/dev/null ||
	fail "meta.json after scancel: $(grep status "$res/meta.json" 2>/dev/null)"

# 2. `speedlab slurm --resume` in a new job finishes it
"$SPEEDLAB" slurm --resume "$res" -o resume.sh 2>err || fail "speedlab slurm --resume: $(cat err)"
t0=$(date +%s.%N)
job2=$(sbatch --parsable resume.sh 2>err) || fail "sbatch resume.sh: $(cat err)"
st=$(await "$job2")
echo "job $job2 (--resume): $st after $(secs "$t0") s"
[ "$st" = COMPLETED ] || fail "job $job2 (--resume): state '$st', expected COMPLETED"
scontrol show job "$job2" -o | grep -q 'ExitCode=0:0' || fail "job $job2: $(scontrol show job "$job2" -o | grep -o 'ExitCode=[0-9:]*')"
out2=speedlab-slurm-check-$job2.out
grep -q "^results: $res\$" "$out2" 2>/dev/null || fail "job $job2's output lacks 'results: $res': $(tail -n 3 "$out2" 2>&1)"
grep -q '| 3 .*|' "$out2" 2>/dev/null || fail "job $job2's output lacks the tables"
[ "$(head -n $((n1 + 1)) "$res/runs.csv" 2>/dev/null)" = "$(cat kept.csv 2>/dev/null)" ] ||
	fail "the cancelled job's rows changed or went"
"$PY" - "$res/runs.csv" <<'EOF' || failures=$((failures + 1))
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
bad = []
num = lambda r, k: float(r[k]) if r[k] != "" else math.nan
got = sorted((r["start_method"], int(r["processes"])) for r in rows)
want = sorted((m, p) for m in ("fork", "mpi") for p in (1, 2, 3))
if got != want:
    bad.append(f"configurations {got}, expected {want}")
for r in rows:
    what = f"{r['start_method']} P={r['processes']}"
    if r["status"] != "ok":
        bad.append(f"{what}: status {r['status']}")
        continue
    p = int(r["processes"])
    for k, ok in (("wall_s", lambda v: v > 0), ("cpu_user_s", lambda v: v > 0),
                  ("cores_busy", lambda v: 0 < v <= p + 1.5), ("start_latency_ms", lambda v: v > 0),
                  ("threads_peak", lambda v: v >= 1), ("imbalance", lambda v: v >= 1)):
        if not ok(num(r, k)):
            bad.append(f"{what}: {k} {r[k]!r}")
    if not num(r, "pool_start_ms") >= num(r, "start_latency_ms"):
        bad.append(f"{what}: pool_start_ms {r['pool_start_ms']} < start_latency_ms")
# srun's ranks did the same work as fork's workers (each ok run verified its results)
for r in rows:
    f = [q for q in rows if q["start_method"] == "fork" and q["processes"] == r["processes"] and q["status"] == "ok"]
    if r["start_method"] != "mpi" or r["status"] != "ok" or not f:
        continue
    ratio = num(r, "cpu_user_s") / num(f[0], "cpu_user_s")
    if not 0.5 <= ratio <= 4:
        bad.append(f"mpi P={r['processes']}: cpu_user_s {r['cpu_user_s']} vs fork {f[0]['cpu_user_s']}")
    if not num(r, "threads_peak") >= 2:
        bad.append(f"mpi P={r['processes']}: threads_peak {r['threads_peak']}, expected MPI's threads")
for b in bad:
    print("FAIL: " + b)
print("mpi start_latency_ms under srun: " + ", ".join(
    f"P={r['processes']} {float(r['start_latency_ms']):.0f}" for r in rows if r["start_method"] == "mpi" and r["status"] == "ok"))
sys.exit(1 if bad else 0)
EOF
grep -q '"status": *"complete"' "$res/meta.json" 2>/dev/null || fail "meta.json after --resume: not complete"

# 3. --split: a job array, one element (and result directory) per start method, on one process
"$SPEEDLAB" slurm "$EXP" --split start_method --set processes=1 --out "$tmp/work/arr" -o array.sh 2>err ||
	fail "speedlab slurm --split: $(cat err)"
t0=$(date +%s.%N)
job3=$(sbatch --parsable array.sh 2>err) || fail "sbatch array.sh: $(cat err)"
for k in 0 1; do
	st=$(await "${job3}_$k")
	[ "$st" = COMPLETED ] || fail "array element ${job3}_$k: state '$st': $(tail -n 3 "speedlab-slurm-check-${job3}_$k.out" 2>&1)"
done
echo "job array $job3 (2 elements): done after $(secs "$t0") s"
for m in fork mpi; do
	st=$("$PY" -c 'import csv, sys; print(" ".join(r["start_method"] + ":" + r["processes"] + ":" + r["status"] for r in csv.DictReader(open(sys.argv[1]))))' \
		"$tmp/work/arr/start_method-$m/runs.csv" 2>/dev/null)
	[ "$st" = "$m:1:ok" ] || fail "array element $m: rows '$st', expected '$m:1:ok'"
done

left=$(ls -A "$TMPDIR")
[ -z "$left" ] || fail "left in TMPDIR: $left"
if [ $failures -gt 0 ]; then
	echo "--- slurmctld.log"; tail -n 20 "$c/slurmctld.log"
	echo "--- slurmd.log"; tail -n 20 "$c/slurmd.log"
	for o in "$tmp"/work/*.out; do echo "--- $o"; tail -n 20 "$o"; done
	echo "$failures failure(s)"
	exit 1
fi
echo "ok"
