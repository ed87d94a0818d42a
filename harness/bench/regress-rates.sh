#!/usr/bin/env bash
# harness/bench/regress-rates.sh: how often `speedlab compare` cries wolf, and how often it catches a
# real slowdown, on this machine. Identical pairs (A/A) of experiments/speedup.ini --profile quick
# must give at most 1 regression in 20 and mostly "no change"; pairs whose current run does 10% more
# work (cost x 1.1) must be caught. Each is run with repeats = auto and with a fixed repeats = 10,
# and the wall time both took is reported.
#
# usage: harness/bench/regress-rates.sh [--pairs N] [--slow-pairs N] [--modes "..."] [--hog] [--out DIR]
#   --pairs N        identical pairs (default 20)
#   --slow-pairs N   pairs with cost x 1.1 (default 10)
#   --modes M        default "auto:wall_s auto:cpu_user_s fixed:wall_s,cpu_user_s": auto:METRIC runs
#                    with repeats = auto (min 5, max 10, precision 2% of METRIC) and compare judges
#                    METRIC (`compare --metric METRIC`); fixed:M1,M2 runs with repeats = 10 and judges
#                    the same pairs by each metric listed (cpu_user_s: on a loaded machine, the one
#                    that still sees the code rather than the neighbours)
#   --hog            run a CPU hog (one busy loop) beside every run
#   --rejudge DIR    run nothing: judge the pairs an earlier --out DIR holds again (with this
#                    speedlab), the time of each run read from its meta.json
# Environment: SPEEDLAB (default build/speedlab). Prints one table row per mode.
set -u -o pipefail

pairs=20 slow=10 hog=0 modes="auto:wall_s auto:cpu_user_s fixed:wall_s,cpu_user_s" out="" rejudge=0
while [ $# -gt 0 ]; do
	case $1 in
	--pairs) pairs=$2; shift 2 ;;
	--slow-pairs) slow=$2; shift 2 ;;
	--hog) hog=1; shift ;;
	--modes) modes=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--rejudge) out=$2; rejudge=1; shift 2 ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "regress-rates: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

root=$(cd "$(dirname "$0")/../.." && pwd)
speedlab=${SPEEDLAB:-$root/build/speedlab}
exp=$root/experiments/speedup.ini
[ -x "$speedlab" ] || { echo "regress-rates: $speedlab: not built" >&2; exit 2; }
[ -n "$out" ] || out=$(mktemp -d /tmp/regress-rates.XXXXXX)
mkdir -p "$out"
cost=$(sed -n 's/^cost *= *\([0-9]*\).*/\1/p' "$exp" | head -1)
slow_cost=$((cost * 11 / 10))

hog_pid=""
stop_hog() { if [ -n "$hog_pid" ]; then kill "$hog_pid" 2>/dev/null; wait "$hog_pid" 2>/dev/null; hog_pid=""; fi; }
trap stop_hog EXIT
if [ $hog -eq 1 ]; then
	( while :; do :; done ) &
	hog_pid=$!
fi

# run MODE DIR [--set ...]: one quick run; prints its wall seconds
run() {
	local mode=$1 dir=$2 t0 t1
	shift 2
	local sets=()
	if [ "$mode" = auto ]; then
		sets=(--set repeats=auto --set min_repeats=5 --set max_repeats=10 --set precision=2
		      --set precision_metric="$precision_metric")
	else
		sets=(--set repeats=10)
	fi
	if [ $rejudge -eq 1 ]; then
		[ -f "$dir/meta.json" ] || { echo "regress-rates: $dir: no run to judge" >&2; exit 2; }
		python3 -c 'import json, sys, datetime as d
m = json.load(open(sys.argv[1]))
t = lambda s: d.datetime.fromisoformat(s.replace("Z", "+00:00"))
print((t(m["end_time"]) - t(m["start_time"])).total_seconds())' "$dir/meta.json"
		return
	fi
	t0=$(date +%s.%N)
	"$speedlab" run "$exp" --profile quick -q --out "$dir" "${sets[@]}" "$@" >"$dir.log" 2>&1 ||
		{ echo "regress-rates: run failed, see $dir.log" >&2; exit 2; }
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc
}

# verdict BASE CUR METRIC: the headline word of compare
verdict() {
	"$speedlab" compare "$1" "$2" --metric "$3" >"$2.compare.$3.md" 2>&1
	sed -n '1s/^Verdict: \([a-z ]*\) — .*/\1/p' "$2.compare.$3.md"
}

printf '| metric | mode | A/A pairs | regression | no change | inconclusive | improvement | slowed pairs | caught | wall time of all runs (s) |\n'
printf '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for spec in $modes; do
	mode=${spec%%:*}
	metrics=${spec#*:}
	metrics=${metrics//,/ }
	precision_metric=${metrics%% *}
	declare -A count=()
	total=0
	for i in $(seq 1 "$pairs"); do
		d=$out/$mode-$precision_metric-aa-$i
		total=$(echo "$total + $(run "$mode" "$d-base")" | bc)
		total=$(echo "$total + $(run "$mode" "$d-cur")" | bc)
		for m in $metrics; do
			v=$(verdict "$d-base" "$d-cur" "$m")
			count[$m.aa.$v]=$(( ${count[$m.aa.$v]:-0} + 1 ))
			echo "regress-rates: $mode A/A $i by $m: $v" >&2
		done
	done
	for i in $(seq 1 "$slow"); do
		d=$out/$mode-$precision_metric-slow-$i
		total=$(echo "$total + $(run "$mode" "$d-base")" | bc)
		total=$(echo "$total + $(run "$mode" "$d-cur" --set cost=$slow_cost)" | bc)
		for m in $metrics; do
			v=$(verdict "$d-base" "$d-cur" "$m")
			count[$m.slow.$v]=$(( ${count[$m.slow.$v]:-0} + 1 ))
			echo "regress-rates: $mode +10% $i by $m: $v" >&2
		done
	done
	for m in $metrics; do
		printf '| %s | %s | %d | %d | %d | %d | %d | %d | %d | %.0f |\n' "$m" \
			"$([ "$mode" = auto ] && echo "auto (precision on $precision_metric)" || echo "fixed 10")" "$pairs" \
			"${count[$m.aa.regression]:-0}" "${count[$m.aa.no change]:-0}" "${count[$m.aa.inconclusive]:-0}" \
			"${count[$m.aa.improvement]:-0}" "$slow" "${count[$m.slow.regression]:-0}" "$total"
	done
	unset count
done
echo "(runs and compare outputs in $out)"
