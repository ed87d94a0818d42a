#!/usr/bin/env bash
# it_runall_real.sh: harness/run-all end to end with the real `speedlab run` on two tiny experiments
# (scalar work on 1 and 2 processes; a GPU experiment, skipped with its reason on a machine without
# a GPU): exit 0, the combined report with the speedup plot, the GPU line, results/runs/latest untouched.
# asan: no (a whole run-all under ASan takes too long; the parts have their own ASan tests)
set -u
cd "$(dirname "$0")/../.." || exit 2
SPEEDLAB=${SPEEDLAB:-$PWD/build/speedlab}
command -v gnuplot >/dev/null || { echo "gnuplot not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

mkdir -p "$tmp/exp"
cat >"$tmp/exp/tiny-speedup.ini" <<'EOF'
[experiment]
name     = tiny-speedup
question = Do two processes finish tiny scalar work faster than one?
workload = scalar
repeats  = 2
warmup   = 0
timeout  = 60

[workload]
cost  = 2000
tasks = 8

[sweep]
processes = 1, 2
chunksize = 1

[quick]
repeats = 2
EOF
cat >"$tmp/exp/gpu-tiny.ini" <<'EOF'
[experiment]
name     = gpu-tiny
question = Does waiting on the GPU burn a CPU core?
workload = gpu_sync
repeats  = 1
warmup   = 0
timeout  = 60

[workload]
kernel_ms = 1
tasks     = 2

[sweep]
mode = spin, blocking
EOF
latest_before=$(readlink results/runs/latest 2>/dev/null || true)
out=$tmp/out
SPEEDLAB=$SPEEDLAB SPEEDLAB_EXPERIMENTS=$tmp/exp SPEEDLAB_RUNALL_OUT=$out bash harness/run-all quick \
	>"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ $rc -eq 0 ] || { cat "$tmp/stdout" "$tmp/stderr" "$out"/logs/*.log; fail "run-all exited $rc"; }
grep -q '^\[2/2\] tiny-speedup: ok' "$tmp/stdout" || fail "speedup line: $(cat "$tmp/stdout")"
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
	grep -q '^\[1/2\] gpu-tiny: ok' "$tmp/stdout" || fail "GPU line: $(cat "$tmp/stdout")"
else
	# without a CUDA device the GPU experiments are not run: one line each, listed in the report
	grep -q '^\[1/2\] gpu-tiny: skipped: no CUDA device on this machine$' "$tmp/stdout" ||
		fail "GPU skip line: $(cat "$tmp/stdout")"
	grep -q '^- \*\*gpu-tiny:\*\* skipped: no CUDA device' "$out/report.md" || fail "GPU experiment not listed as skipped"
	[ ! -e "$out/gpu-tiny" ] || fail "the GPU experiment ran without a GPU"
	grep -q '^run-all: 1 of 2 experiments ran; 1 skipped (no CUDA device)$' "$tmp/stdout" ||
		fail "summary line: $(grep '^run-all:' "$tmp/stdout")"
fi
[ "$(tail -n 1 "$tmp/stdout")" = "$out/index.html" ] || fail "last line is not the report"
for f in experiment.ini meta.json runs.csv summary.csv plots/speedup.png plots/speedup.svg plots/cores_busy.png; do
	[ -s "$out/tiny-speedup/$f" ] || fail "tiny-speedup/$f missing"
done
grep -q '^## tiny-speedup$' "$out/report.md" || fail "no section for tiny-speedup"
grep -q 'scalar .* at 2 processes' "$out/report.md" || fail "no scaling finding: $(grep -A8 '### Findings' "$out/report.md")"
grep -q 'src="data:image/svg+xml;base64,' "$out/index.html" || fail "plots not embedded"
[ "$(readlink results/runs/latest 2>/dev/null || true)" = "$latest_before" ] || fail "results/runs/latest moved"
# no process left behind by the runs
sleep 0.2
pgrep -x speedlab >/dev/null && pgrep -a -x speedlab | grep -q "$tmp" && fail "speedlab processes left"
echo "ok"
