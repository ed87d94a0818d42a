#!/usr/bin/env bash
# it_gpu.sh: the GPU workloads through the real binary: without a GPU every run is a clean skip with
# its reason (exit 0) and `list` says why; with one, tiny runs are ok, checked, with their GPU metrics,
# and fork after the coordinator initialised CUDA is recorded as error while spawn and forkserver work.
set -u
cd "$(dirname "$0")/../.." || exit 2
SPEEDLAB=${SPEEDLAB:-build/speedlab}
PY=/usr/bin/python3

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# A GPU this binary can use? Its own sysinfo says: CUDA compiled in (the ASan build is made without
# nvcc; the CUDA code is a library loaded at run time, so ldd of speedlab cannot tell) and devices found.
gpu=$("$SPEEDLAB" sysinfo --json 2>/dev/null | "$PY" -c 'import json, sys
c = json.load(sys.stdin).get("cuda", {})
print(1 if c.get("compiled") and c.get("devices", 0) > 0 else 0)')
[ "$gpu" = 1 ] || gpu=0

# column FILE NAME: the values of one column of a CSV file, one per line
column() {
	"$PY" - "$1" "$2" <<'EOF'
import csv, sys
with open(sys.argv[1], newline="") as f:
    rows = list(csv.DictReader(f))
if rows and sys.argv[2] not in rows[0]:
    sys.exit("no column " + sys.argv[2])
for r in rows:
    print(r[sys.argv[2]])
EOF
}

# run NAME INI: run an experiment into $tmp/NAME; fails the test on a non-zero exit
run() {
	local name=$1 ini=$2
	if ! "$SPEEDLAB" run "$ini" --out "$tmp/$name" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null; then
		fail "$name: speedlab run exited non-zero: $(tail -n 3 "$tmp/$name.err")"
		return 1
	fi
	if [ ! -s "$tmp/$name/runs.csv" ]; then
		fail "$name: no runs.csv"
		return 1
	fi
}

experiment() {   # experiment NAME WORKLOAD WORKLOAD-KEYS SWEEP-KEYS
	printf '[experiment]\nname = %s\nquestion = does the GPU path run or skip cleanly?\nworkload = %s\n' "$1" "$2"
	printf 'repeats = 1\nwarmup = 0\ntimeout = 120\n\n[workload]\n%b\n[sweep]\n%b\n' "$3" "$4"
}

experiment it-gpu-gemm gpu_gemm 'n = 64\ntasks = 2\n' 'dtype = float, double, bf16\n' >"$tmp/gemm.ini"
experiment it-gpu-sync gpu_sync 'kernel_ms = 2\ntasks = 2\n' 'mode = spin, yield, blocking, auto\n' >"$tmp/sync.ini"
experiment it-gpu-copy gpu_copy 'mb = 1\ntasks = 2\n' 'memory = pinned, pageable\ndirection = h2d, d2h\n' >"$tmp/copy.ini"
experiment it-gpu-share gpu_share 'n = 64\ntasks = 4\n' 'processes = 1, 2\n' >"$tmp/share.ini"
experiment it-gpu-start gpu_gemm 'n = 64\ntasks = 2\n' \
	'start_method = fork, spawn, forkserver\nparent_uses = cuda\n' >"$tmp/start.ini"

for name in gemm sync copy share start; do
	run "$name" "$tmp/$name.ini" || continue
	statuses=$(column "$tmp/$name/runs.csv" status) || { fail "$name: runs.csv has no status column"; continue; }
	[ -n "$statuses" ] || { fail "$name: runs.csv has no rows"; continue; }
	if [ $gpu -eq 0 ]; then
		# one clean skip reason for every row: no device, or a build without nvcc
		bad=$(echo "$statuses" | grep -v -x -e 'skipped:no CUDA device' -e 'skipped:built without CUDA')
		[ -z "$bad" ] || fail "$name: without a GPU every run must be skipped, got: $(echo "$bad" | sort -u | head -3)"
		[ "$(echo "$statuses" | sort -u | wc -l)" -eq 1 ] || fail "$name: mixed skip reasons: $(echo "$statuses" | sort -u)"
		continue
	fi
	if [ "$name" = start ]; then
		paste -d' ' <(column "$tmp/$name/runs.csv" start_method) <(echo "$statuses") >"$tmp/start.pairs"
		grep -q '^fork error' "$tmp/start.pairs" || fail "start: fork after the parent initialised CUDA is not an error: $(cat "$tmp/start.pairs")"
		for m in spawn forkserver; do
			grep -q "^$m ok\$" "$tmp/start.pairs" || fail "start: $m is not ok: $(grep "^$m" "$tmp/start.pairs")"
		done
		continue
	fi
	bad=$(echo "$statuses" | grep -v -x ok)
	[ -z "$bad" ] || fail "$name: runs not ok on a GPU: $(echo "$bad" | sort -u | head -3)"
	case $name in
	gemm | share) want="gflops gflops_per_proc host_cpu_pct" ;;
	sync) want="gpu_wait_us host_cpu_pct" ;;
	copy) want="gbps host_cpu_pct" ;;
	esac
	for col in $want; do
		vals=$(column "$tmp/$name/runs.csv" "$col") || { fail "$name: no column $col"; continue; }
		echo "$vals" | grep -q -x '' && fail "$name: empty $col in a run on a GPU"
	done
done

# the start-safety matrix's CUDA cells: its workers run omp_gemm, yet each first uses CUDA as its
# coordinator did, so fork is an error and spawn and forkserver are ok
if [ $gpu -eq 1 ] && run safety experiments/start-safety.ini; then
	paste -d' ' <(column "$tmp/safety/runs.csv" parent_uses) <(column "$tmp/safety/runs.csv" start_method) \
		<(column "$tmp/safety/runs.csv" status) | grep '^cuda ' >"$tmp/safety.cells"
	grep -q '^cuda fork error:' "$tmp/safety.cells" || fail "start-safety: fork after CUDA is not an error: $(cat "$tmp/safety.cells")"
	[ "$(grep -c -E '^cuda (spawn|forkserver) ok$' "$tmp/safety.cells")" -ge 2 ] ||
		fail "start-safety: spawn and forkserver after CUDA are not ok: $(cat "$tmp/safety.cells")"
fi

# every experiments/gpu-*.ini parses and (without a GPU) skips cleanly in its quick profile
if [ $gpu -eq 0 ]; then
	for ini in experiments/gpu-*.ini; do
		[ -e "$ini" ] || continue
		name=$(basename "$ini" .ini)
		if ! "$SPEEDLAB" run "$ini" --profile quick --out "$tmp/$name" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null; then
			fail "$ini: speedlab run exited non-zero: $(tail -n 3 "$tmp/$name.err")"
			continue
		fi
		# gpu-gemm compares device=cpu with device=gpu: its cpu rows run, the gpu rows skip
		bad=$(column "$tmp/$name/runs.csv" status | grep -v -x -e ok -e 'skipped:no CUDA device' -e 'skipped:built without CUDA')
		[ -z "$bad" ] || fail "$ini: unexpected statuses without a GPU: $(echo "$bad" | sort -u | head -3)"
	done
fi

# `speedlab list` shows every GPU workload and, without a GPU, why it would be skipped
"$SPEEDLAB" list >"$tmp/list.out" 2>"$tmp/list.err" || fail "speedlab list exited non-zero"
for w in gpu_gemm gpu_sync gpu_copy gpu_share; do
	line=$(grep -w "$w" "$tmp/list.out" | head -n 1)
	[ -n "$line" ] || { fail "speedlab list does not show $w"; continue; }
	# the entry's lines joined (list wraps its text to the terminal's width)
	entry=$(awk -v w="$w" '$1 == w { on = 1 } on && NR > 1 && /^  [^ ]/ && $1 != w { exit } on' "$tmp/list.out" | tr -s ' \n' ' ')
	if [ $gpu -eq 0 ] && ! echo "$entry" | grep -q -e 'no CUDA device' -e 'built without CUDA'; then
		fail "speedlab list does not say why $w is skipped"
	fi
done

if [ $failures -gt 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "gpu: every run $([ $gpu -eq 1 ] && echo ok on the GPU || echo skipped cleanly without a GPU)"
