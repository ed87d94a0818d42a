#!/usr/bin/env bash
# it_mpi_slurm.sh: `speedlab slurm EXP.ini` writes a valid sbatch script sized from the experiment
# (tasks = largest mpi process count + 1, nodes from ranks_per_node), passes run options on, writes a
# job array with --split (an element run as Slurm would, and again: it resumes) and a job finishing a
# run with --resume, and refuses bad files and options with exit 2 and the file named.
set -u
: "${SPEEDLAB:=$(cd "$(dirname "$0")/../.." && pwd)/build/speedlab}"
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# has FILE LINE: the script holds that exact line
has() { grep -qxF -- "$2" "$1" || fail "$1 lacks the line: $2"; }

cat >"$tmp/sweep.ini" <<'EOF'
[experiment]
name     = mpisweep
question = Does it fit?
workload = empty
repeats  = 2
warmup   = 1
timeout  = 30

[workload]
tasks = 8

[sweep]
processes    = 1, 2, 7
start_method = fork, mpi

[mpi]
ranks_per_node = 3
EOF

# 1. to stdout: 8 ranks at 3 per node: 3 nodes
cd "$tmp" || exit 2
"$SPEEDLAB" slurm sweep.ini --partition short --profile quick --set repeats=3 >"$tmp/job.sh" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] || fail "slurm exited $rc: $(cat "$tmp/err")"
bash -n "$tmp/job.sh" || fail "the script is not valid bash"
head -n 1 "$tmp/job.sh" | grep -qx '#!/bin/bash' || fail "no #!/bin/bash first line"
has "$tmp/job.sh" "#SBATCH --job-name=speedlab-mpisweep"
has "$tmp/job.sh" "#SBATCH --nodes=3"
has "$tmp/job.sh" "#SBATCH --ntasks=8"
has "$tmp/job.sh" "#SBATCH --ntasks-per-node=3"
has "$tmp/job.sh" "#SBATCH --partition=short"
has "$tmp/job.sh" "#SBATCH --exclusive"
# the bound uses the effective experiment (--set repeats=3: 6 x 4 x 30 s + 600 s = 22:00)
has "$tmp/job.sh" "#SBATCH --time=00:22:00"
has "$tmp/job.sh" "cd '$tmp'"
has "$tmp/job.sh" "exec '$(readlink -f "$SPEEDLAB")' run '$tmp/sweep.ini' --profile quick --set 'repeats=3'"
# every #SBATCH line comes before the first command, or sbatch ignores it
awk '/^#SBATCH/ && cmd { bad = 1 } /^[^#]/ && NF { cmd = 1 } END { exit bad }' "$tmp/job.sh" ||
	fail "an #SBATCH line after a command"

# 2. -o FILE, --nodes, --time, --out; an experiment without mpi asks for one task
sed -e 's/fork, mpi/fork/' -e '/^\[mpi\]/,$d' sweep.ini >nompi.ini
"$SPEEDLAB" slurm nompi.ini -o job2.sh --time 1:30:00 --out 'res dir' 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] || fail "slurm -o exited $rc: $(cat "$tmp/err")"
[ -x job2.sh ] || fail "job2.sh is not executable"
has job2.sh "#SBATCH --ntasks=1"
has job2.sh "#SBATCH --nodes=1"
has job2.sh "#SBATCH --time=1:30:00"
grep -q -- "--out 'res dir'\$" job2.sh || fail "--out not passed on: $(tail -n 1 job2.sh)"
grep -q "ntasks-per-node" job2.sh && fail "ntasks-per-node without [mpi] ranks_per_node"

# 2b. processes counted in cores: a warning (the node may have other cores) unless --ntasks says
sed -e 's/^processes    = 1, 2, 7/processes    = 1..cores/' -e '/ranks_per_node/d' sweep.ini >cores.ini
"$SPEEDLAB" slurm cores.ini >cores.sh 2>"$tmp/err" || fail "slurm cores.ini failed: $(cat "$tmp/err")"
grep -q "processes uses 'cores'" "$tmp/err" || fail "no warning about cores: $(cat "$tmp/err")"
has cores.sh "#SBATCH --ntasks=$(($(nproc) + 1))"
"$SPEEDLAB" slurm cores.ini --ntasks 65 >cores.sh 2>"$tmp/err" || fail "slurm --ntasks failed"
[ -s "$tmp/err" ] && fail "a warning despite --ntasks: $(cat "$tmp/err")"
has cores.sh "#SBATCH --ntasks=65"

# 2c. --split AXIS: a job array, one element per value, each sized like the largest (7 + 1 ranks at 3 per
#     node), each in a directory of its own under --out (default: results/runs/slurm/STAMP-NAME)
"$SPEEDLAB" slurm sweep.ini --split start_method -o split.sh 2>"$tmp/err" || fail "slurm --split: $(cat "$tmp/err")"
bash -n split.sh || fail "split.sh is not valid bash"
has split.sh "#SBATCH --array=0-1"
has split.sh "#SBATCH --ntasks=8"
has split.sh "#SBATCH --nodes=3"
has split.sh "#SBATCH --output=speedlab-mpisweep-%A_%a.out"
# an element runs 3 configurations of 3 runs: 3 x 3 x 30 s + 600 s
has split.sh "#SBATCH --time=00:14:30"
has split.sh "values=('fork' 'mpi')"
has split.sh "dirs=('start_method-fork' 'start_method-mpi')"
grep -q "^out='results/runs/slurm/[0-9]\{8\}-[0-9]\{6\}-mpisweep'/\"\${dirs\[\$i\]}\"\$" split.sh ||
	fail "split.sh: no default out: $(grep '^out=' split.sh)"
grep -q -- "run '$tmp/sweep.ini' --set 'start_method'=\"\${values\[\$i\]}\" --out \"\$out\"\$" split.sh ||
	fail "split.sh: the element's run: $(tail -n 1 split.sh)"
awk '/^#SBATCH/ && cmd { bad = 1 } /^[^#]/ && NF { cmd = 1 } END { exit bad }' split.sh ||
	fail "split.sh: an #SBATCH line after a command"
# an element run as Slurm runs it (fork only: no srun needed), then again: it resumes, nothing re-run
"$SPEEDLAB" slurm nompi.ini --split processes --out "$tmp/arr" --set repeats=1 --set warmup=0 -o split2.sh \
	2>"$tmp/err" || fail "slurm --split processes: $(cat "$tmp/err")"
SLURM_ARRAY_TASK_ID=1 bash split2.sh >"$tmp/el.out" 2>&1 || fail "element 1: $(tail -n 3 "$tmp/el.out")"
rows=$(cut -d, -f4 "$tmp/arr/processes-2/runs.csv" 2>/dev/null | tail -n +2 | tr '\n' ' ')
[ "$rows" = "2 " ] || fail "element 1 (processes = 2): processes column '$rows'"
SLURM_ARRAY_TASK_ID=1 bash split2.sh >"$tmp/el.out" 2>&1 || fail "element 1 again: $(tail -n 3 "$tmp/el.out")"
[ "$(wc -l <"$tmp/arr/processes-2/runs.csv")" = 2 ] || fail "element 1 submitted again ran again"
[ -e "$tmp/arr/processes-1" ] && fail "element 0 ran too"
bash split2.sh >"$tmp/el.out" 2>&1 && fail "split2.sh ran outside a job array"
grep -q "submit it with sbatch" "$tmp/el.out" || fail "outside an array: $(cat "$tmp/el.out")"

# 2d. --resume DIR: a job that finishes the run in DIR, sized from the experiment it recorded
"$SPEEDLAB" slurm --resume "$tmp/arr/processes-2" -o resume.sh 2>"$tmp/err" || fail "slurm --resume: $(cat "$tmp/err")"
has resume.sh "exec '$(readlink -f "$SPEEDLAB")' run --resume '$tmp/arr/processes-2'"
has resume.sh "#SBATCH --ntasks=1"
has resume.sh "#SBATCH --job-name=speedlab-mpisweep"

# 3. refusals: exit 2, the reason named
expect_2() {
	local what=$1 pattern=$2
	shift 2
	"$SPEEDLAB" slurm "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] || fail "$what: exit $rc, expected 2"
	grep -q -- "$pattern" "$tmp/err" || fail "$what: stderr lacks '$pattern': $(cat "$tmp/err")"
	[ -s "$tmp/out" ] && fail "$what: a script was written anyway"
}
printf '[experiment]\nname = x\nworkload = empty\n[sweep]\nprocesess = 2\n' >bad.ini
expect_2 "unknown key" "bad.ini:5: unknown key 'procesess'" bad.ini
expect_2 "missing file" "nosuch.ini" nosuch.ini
expect_2 "bad time" "bad --time" sweep.ini --time 2h
expect_2 "bad nodes" "bad --nodes" sweep.ini --nodes 0
expect_2 "nodes too few" "raise --nodes" sweep.ini --nodes 2
expect_2 "unknown option" "did you mean '--nodes'" sweep.ini --node 2
expect_2 "bad profile" "unknown profile" sweep.ini --profile fast
expect_2 "no file" "no experiment file"
expect_2 "split unknown axis" "sweep.ini: --split processs: not a swept axis (did you mean 'processes'?)" sweep.ini --split processs
expect_2 "split fixed axis" "not an axis with two values or more (swept: processes, start_method)" sweep.ini --split tasks
expect_2 "resume and set" "it takes no '--set'" --resume "$tmp/arr/processes-2" --set repeats=1
expect_2 "resume and file" "it takes no 'sweep.ini'" sweep.ini --resume "$tmp/arr/processes-2"
expect_2 "resume nothing" "nosuch: no such result directory" --resume nosuch

if [ $failures -gt 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "ok"
