#!/usr/bin/env bash
# readers.sh: what the result readers cost on a large runs.csv: `speedlab table` (which summarises
# runs.csv into summary.csv and the tables) on a synthetic result directory of SIZE_MB megabytes
# (default 200: 4 process counts x 2 thread counts x ... configurations, thousands of repetitions
# each), under /usr/bin/time -v; prints the file size, wall time and peak memory. A benchmark, not
# a test: the figures go to README's reliability section.
# Usage: harness/bench/readers.sh [SIZE_MB] [CONFIGS]
set -eu
cd "$(dirname "$0")/../.."
SPEEDLAB=${SPEEDLAB:-$PWD/build/speedlab}
size_mb=${1:-200}
configs=${2:-64}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
d=$tmp/big
mkdir "$d"
fx=harness/tests/fixtures/measure-table
cp "$fx/experiment.ini" "$fx/meta.json" "$d/"
# rows of the fixture's shape: config c (processes 2^(c%4)), repetitions 1.. until the size is reached
awk -F, -v OFS=, -v target=$((size_mb * 1000000)) -v configs="$configs" '
	NR == 1 { print; bytes = length($0) + 1; next }
	NR == 2 { for (i = 1; i <= NF; i++) proto[i] = $i; n = NF }
	END {
		srand(1)
		for (rep = 1; bytes < target; rep++)
			for (c = 0; c < configs && bytes < target; c++) {
				proto[1] = c; proto[2] = rep; proto[4] = 2 ^ (c % 4)
				proto[16] = sprintf("%.6g", 0.2 + 0.1 * (c % 7) + 0.01 * rand())
				line = proto[1]
				for (i = 2; i <= n; i++) line = line OFS proto[i]
				print line
				bytes += length(line) + 1
			}
	}' "$fx/runs.csv" >"$d/runs.csv"
rows=$(($(wc -l <"$d/runs.csv") - 1))
/usr/bin/time -v "$SPEEDLAB" table "$d" >/dev/null 2>"$tmp/time" || { cat "$tmp/time"; exit 1; }
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$tmp/time")
cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.1f", s }' "$tmp/time")
rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$tmp/time")
printf 'runs.csv %d MB (%d rows, %d configurations): speedlab table %s wall, %s s CPU, %s MiB peak memory\n' \
	$(($(stat -c %s "$d/runs.csv") / 1000000)) "$rows" "$configs" "$wall" "$cpu" "$rss"
