#!/usr/bin/env bash
# harness/bench/regress-rates.sh: how often `speedlab compare` cries wolf, and how often it catches a
# real slowdown, on this machine. Identical pairs (A/A) of experiments/speedup.ini --profile quick
# must give at most 1 regression in 20 and mostly "no change"; pairs whose current run does 10% more
# work (cost x 1.1) must be caught. Each is run with repeats = auto and with a fixed repeats = 10,
# and the wall time both took is reported.
#
# usage: harness/bench/regress-rates.sh [--pairs N] [--slow-pairs N] [--metric NAME] [--hog]
#                                       [--modes "auto fixed"] [--out DIR]
#   --pairs N        identical pairs (default 20)
#   --slow-pairs N   pairs with cost x 1.1 (default 10)
#   --metric NAME    what compare judges (default wall_s; cpu_user_s on a loaded machine)
#   --hog            run a CPU hog (one busy loop) beside every run
#   --modes M        which repetition modes: auto (repeats = auto, min 5, max 15, precision 2% of
#                    the metric) and/or fixed (repeats = 10); default both
# Environment: SPEEDLAB (default build/speedlab). Prints one table row per mode.
set -u -o pipefail

pairs=20 slow=10 metric=wall_s hog=0 modes="auto fixed" out=""
while [ $# -gt 0 ]; do
	case $1 in
	--pairs) pairs=$2; shift 2 ;;
	--slow-pairs) slow=$2; shift 2 ;;
	--metric) metric=$2; shift 2 ;;
	--hog) hog=1; shift ;;
	--modes) modes=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
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
		sets=(--set repeats=auto --set min_repeats=5 --set max_repeats=15 --set precision=2
		      --set precision_metric="$metric")
	else
		sets=(--set repeats=10)
	fi
	t0=$(date +%s.%N)
	"$speedlab" run "$exp" --profile quick -q --out "$dir" "${sets[@]}" "$@" >"$dir.log" 2>&1 ||
		{ echo "regress-rates: run failed, see $dir.log" >&2; exit 2; }
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc
}

# verdict BASE CUR: the headline word of compare
verdict() {
	"$speedlab" compare "$1" "$2" --metric "$metric" >"$2.compare.md" 2>&1
	sed -n '1s/^Verdict: \([a-z ]*\) — .*/\1/p' "$2.compare.md"
}

printf '| metric | mode | A/A pairs | regression | no change | inconclusive | improvement | slowed pairs | caught | wall time of all runs (s) |\n'
printf '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for mode in $modes; do
	declare -A aa=([regression]=0 ["no change"]=0 [inconclusive]=0 [improvement]=0)
	caught=0 total=0
	for i in $(seq 1 "$pairs"); do
		d=$out/$mode-aa-$i
		total=$(echo "$total + $(run "$mode" "$d-base")" | bc)
		total=$(echo "$total + $(run "$mode" "$d-cur")" | bc)
		v=$(verdict "$d-base" "$d-cur")
		aa[$v]=$(( ${aa[$v]:-0} + 1 ))
		echo "regress-rates: $mode A/A $i: $v" >&2
	done
	for i in $(seq 1 "$slow"); do
		d=$out/$mode-slow-$i
		total=$(echo "$total + $(run "$mode" "$d-base")" | bc)
		total=$(echo "$total + $(run "$mode" "$d-cur" --set cost=$slow_cost)" | bc)
		v=$(verdict "$d-base" "$d-cur")
		[ "$v" = regression ] && caught=$((caught + 1))
		echo "regress-rates: $mode +10% $i: $v" >&2
	done
	printf '| %s | %s | %d | %d | %d | %d | %d | %d | %d | %.0f |\n' "$metric" "$mode" "$pairs" \
		"${aa[regression]}" "${aa[no change]}" "${aa[inconclusive]}" "${aa[improvement]}" "$slow" "$caught" "$total"
	unset aa
done
echo "(runs and compare outputs in $out)"
