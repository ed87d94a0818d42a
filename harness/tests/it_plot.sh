#!/usr/bin/env bash
# it_plot.sh: `speedlab plot` renders every plot kind from the small fixture result directories as a
# valid PNG and SVG, picks the plots the data supports, leaves no data out unsaid, and rejects bad
# input with FILE:LINE, exit 2.
set -u
cd "$(dirname "$0")/../.." || exit 2
SPEEDLAB=${SPEEDLAB:-$PWD/build/speedlab}
command -v gnuplot >/dev/null || { echo "gnuplot not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cp -r harness/tests/fixtures/report-* "$tmp/"

# A PNG: the 8-byte signature and more than a trivial size; an SVG: XML with an <svg> element.
check_png() {
	local f=$1 size
	[ -f "$f" ] || fail "$f missing"
	[ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "$f is not a PNG"
	size=$(stat -c %s "$f")
	[ "$size" -gt 8000 ] || fail "$f is only $size bytes"
}
check_svg() {
	local f=$1 size
	[ -f "$f" ] || fail "$f missing"
	head -c 200 "$f" | grep -q '^<?xml' || fail "$f is not XML"
	grep -q '<svg' "$f" || fail "$f has no <svg> element"
	grep -q '</svg>' "$f" || fail "$f is not complete"
	size=$(stat -c %s "$f")
	[ "$size" -gt 8000 ] || fail "$f is only $size bytes"
}

# fixture: the plots it must get (and no others)
declare -A expect=(
	[report-scaling]="speedup efficiency cores_busy heatmap timeline-1 timeline-2"
	[report-chunks]="chunksize"
	[report-start]="start_latency start_safety"
	[report-gpu-gemm]="gpu_throughput"
	[report-gpu-sync]="gpu_sync"
	[report-gpu-copy]="gpu_copy"
	[report-gpu-share]="speedup efficiency cores_busy gpu_share"
	[report-skipped]=""
	[report-start-wide]="speedup efficiency cores_busy start_latency start_safety"
	[report-pool]="speedup-1 efficiency-1 speedup-2 efficiency-2 cores_busy-1 cores_busy-2 chunksize"
)
# which script draws each plot
declare -A script=(
	[speedup]=speedup.gp [efficiency]=efficiency.gp [cores_busy]=cores_busy.gp [heatmap]=heatmap.gp
	[timeline]=timeline.gp [chunksize]=chunksize.gp [start_latency]=bars.gp [gpu_sync]=bars.gp
	[start_safety]=safety.gp [gpu_throughput]=metric.gp [gpu_copy]=metric.gp [gpu_share]=metric.gp [runtime]=metric.gp
)
declare -A used=()
for fx in "${!expect[@]}"; do
	d=$tmp/$fx
	"$SPEEDLAB" plot --quiet "$d" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -eq 0 ] || { cat "$tmp/err"; fail "plot $fx exited $rc"; }
	[ -s "$tmp/err" ] && { cat "$tmp/err"; fail "plot $fx wrote to stderr"; }
	[ -f "$d/plots/index.tsv" ] || fail "$fx: no plots/index.tsv"
	got=$(cut -f1 "$d/plots/index.tsv" | sort | tr '\n' ' ')
	want=$(tr ' ' '\n' <<<"${expect[$fx]}" | grep . | sort | tr '\n' ' ')
	[ "$got" = "$want" ] || fail "$fx: plots '$got', expected '$want'"
	for p in ${expect[$fx]}; do
		check_png "$d/plots/$p.png"
		check_svg "$d/plots/$p.svg"
		[ -s "$d/plots/$p.dat" ] || fail "$fx: $p.dat missing"
		# the title names the experiment, the subtitle the machine it ran on (from meta.json)
		grep -q "lab-[ag] ·" "$d/plots/$p.svg" || fail "$fx: $p.svg lacks the machine subtitle"
	done
	[ -z "$(ls "$d"/plots/*.log 2>/dev/null)" ] || fail "$fx: gnuplot logs left behind"
	for p in ${expect[$fx]}; do used[${script[${p%-[0-9]}]}]=1; done
done

# every plot script has a fixture that renders it
for gp in plots/*.gp; do
	s=$(basename "$gp")
	case $s in common.gp | cores.gp | tics.gp) continue ;; esac   # loaded by the others
	[ -n "${used[$s]:-}" ] || fail "$gp is not rendered by any fixture"
done
grep -q "speedup vs worker processes" "$tmp/report-scaling/plots/index.tsv" || fail "speedup title"
# the oversubscribed cells of the heatmap are the ones processes x threads > 4 logical CPUs
[ "$(grep -c '" 1 "' "$tmp/report-scaling/plots/heatmap.dat")" -eq 2 ] || fail "heatmap outlines"
# the start-safety matrix shows the hangs
grep -q '"hang 0/3"' "$tmp/report-start/plots/start_safety.dat" || fail "safety matrix lacks the hangs"
# Python's default chunk size is marked: ceil(4096 / (4 * 4)) = 256
grep -q "256" "$tmp/report-chunks/plots/chunksize.dat" || fail "chunk sizes"
# the data follows the file: a different speedup in summary.csv is a different point
awk -F, 'BEGIN { OFS = "," } NR == 1 { for (i = 1; i <= NF; i++) if ($i == "speedup") c = i }
	NR > 1 && $1 == 5 { $c = 3.25 } { print }' "$tmp/report-scaling/summary.csv" >"$tmp/s.csv"
mv "$tmp/s.csv" "$tmp/report-scaling/summary.csv"
"$SPEEDLAB" plot --quiet "$tmp/report-scaling" || fail "replot"
grep -q "^ 4 3.25 " "$tmp/report-scaling/plots/speedup.dat" || fail "speedup.dat does not follow summary.csv"

# every bar is drawn: 9 situations (processes x parent memory) for each of the 3 start methods, the
# fork after touching 1 GiB among them
# the per-CPU timeline: each sample's strip spans the interval since the one before, from the run's
# start (no blank first samples' worth) and without gaps between strips (no white stripes)
awk '!/^#/ && $2 == 0 { lo = $1 - $4 / 1.2; hi = $1 + $4 / 1.2
	if (n == 0 && lo > 1e-6) { print "starts at " lo; bad = 1 }
	if (n > 0 && lo > prev + 1e-6) { print "gap " prev " to " lo; bad = 1 }
	prev = hi; n++ } END { exit bad || n < 2 }' "$tmp/report-scaling/plots/timeline-1.dat" ||
	fail "timeline-1.dat: strips do not cover the run from its start"
d=$tmp/report-start-wide/plots
[ "$(head -1 "$d/start_latency.dat" | grep -o '" lo hi' | wc -l)" -eq 9 ] || fail "start_latency.dat: not 9 bars"
head -1 "$d/start_latency.dat" | grep -q '"processes=8 parent_rss_mb=1024" lo hi$' || fail "the 9th bar is missing"
[ "$(awk 'NR > 1 && NF == 28' "$d/start_latency.dat" | wc -l)" -eq 3 ] || fail "start_latency.dat: not 3 clusters of 9"
grep '^"fork"' "$d/start_latency.dat" | awk '{ exit !($26 > 9) }' || fail "fork at 1 GiB: not its latency"
# 26 series (13 chunk sizes x 2 channels) are too many for one plot: split by dispatch, none left out
d=$tmp/report-pool/plots
for p in speedup efficiency cores_busy; do
	for i in 1 2; do
		[ "$(grep -c '^"chunksize=[0-9]*' "$d/$p-$i.dat")" -eq 13 ] || fail "$p-$i.dat: not 13 series"
	done
	grep -q "^$p-1	pool-overhead: .* (dispatch=pipe)	.* split into 2 plots by dispatch; this one shows dispatch=pipe\.$" \
		"$d/index.tsv" || fail "$p-1: title or caption does not say which part it shows"
	grep -q "^$p-2	.*(dispatch=shm)	" "$d/index.tsv" || fail "$p-2: not the shm half"
done
# Python's default chunk size is marked (and labelled once) where it falls among the chunk sizes
# measured, and otherwise said in the caption, not drawn past the data
grep -c "Python default ceil(N/4P) = 256 " "$tmp/report-chunks/plots/chunksize.svg" | grep -qx 1 ||
	fail "report-chunks: Python's default 256 not labelled once"
grep -q "Python default" "$d/chunksize.svg" && fail "report-pool: Python's default drawn outside the data"
grep -q "^chunksize	.*Python's default chunk size ceil(N/4P) (6250, 12500, 25000) lies outside the chunk sizes measured (1 to 4096), so it is not marked\.$" \
	"$d/index.tsv" || fail "report-pool: the caption does not say where Python's default is"
# with 16000 tasks at 4 processes, that default (1000) is measured and marked: the caption says which
# defaults are marked and which are not, not that none is
cp -r "$tmp/report-pool" "$tmp/pymix"
awk -F, 'BEGIN { OFS = "," } NR > 1 && $4 == 4 { $14 = 16000 } { print }' "$tmp/report-pool/summary.csv" >"$tmp/pymix/summary.csv"
"$SPEEDLAB" plot --quiet "$tmp/pymix" || fail "plot pymix"
grep -q "^chunksize	.*Python's default chunk size ceil(N/4P) is marked at 1000; at 12500, 25000 it lies outside the chunk sizes measured (1 to 4096), so those are not marked\.$" \
	"$tmp/pymix/plots/index.tsv" || fail "pymix: the caption does not say which default is marked: $(grep '^chunksize' "$tmp/pymix/plots/index.tsv")"
# chunk size 'auto' (here ceil(4000 / (4 * 4)) = 250) next to 256: its tick label goes a line lower
cp -r "$tmp/report-chunks" "$tmp/auto"
awk -F, 'BEGIN { OFS = "," } NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "chunksize") c = i; if ($i == "tasks") t = i } }
	NR > 1 { $t = 4000; if ($c == 1024) $c = "auto" } { print }' "$tmp/report-chunks/summary.csv" >"$tmp/auto/summary.csv"
"$SPEEDLAB" plot --quiet "$tmp/auto" || fail "plot with chunksize auto"
tick_y() { grep -B1 "^		<text>$2</text>" "$1" | grep -o 'translate([0-9.]*,[0-9.]*)' | tail -1 | tr -d ')' | cut -d, -f2; }
y256=$(tick_y "$tmp/auto/plots/chunksize.svg" 256)
yauto=$(tick_y "$tmp/auto/plots/chunksize.svg" auto)
awk -v a="$yauto" -v b="$y256" 'BEGIN { exit !(a != "" && b != "" && a > b + 8) }' ||
	fail "tick 'auto' (y $yauto) runs into tick 256 (y $y256)"

# 20 series along one axis: 16 lines drawn, and the caption (and the report) names the 4 left out
d=$tmp/report-many-series
"$SPEEDLAB" plot --quiet "$d" 2>"$tmp/err" || fail "plot report-many-series exited $?"
grep -q "plot 'speedup' of $d: 4 of 20 series left out" "$tmp/err" || fail "no warning: $(cat "$tmp/err")"
for p in speedup efficiency cores_busy; do
	[ "$(grep -c '^"n=' "$d/plots/$p.dat")" -eq 16 ] || fail "$p.dat: not 16 series"
	grep -q "^$p	.*	.* Not shown (more than 16 lines): n=17000; n=18000; n=19000; n=20000\.$" "$d/plots/index.tsv" ||
		fail "$p: the caption does not name the series left out"
done
"$SPEEDLAB" report "$d" >/dev/null 2>&1 || fail "report of report-many-series"
grep -q "Not shown (more than 16 lines): n=17000; n=18000; n=19000; n=20000\." "$d/report.md" ||
	fail "report.md does not say which series the plots leave out"

# re-running replaces the plots (no error on an existing plots/)
"$SPEEDLAB" plot --quiet "$tmp/report-chunks" || fail "second plot run"

# bad input: exit 2 with the file (and line) named
"$SPEEDLAB" plot "$tmp/nonexistent" 2>"$tmp/err" && fail "missing dir accepted"
[ $? -eq 2 ] || fail "missing dir: exit status"
grep -q "speedlab: $tmp/nonexistent: " "$tmp/err" || fail "missing dir message: $(cat "$tmp/err")"
cp -r "$tmp/report-chunks" "$tmp/bad"
awk -F, 'BEGIN { OFS = "," } NR == 1 { for (i = 1; i <= NF; i++) if ($i == "wall_s_median") c = i }
	NR == 3 { $c = "abc" } { print }' "$tmp/report-chunks/summary.csv" >"$tmp/bad/summary.csv"
"$SPEEDLAB" plot "$tmp/bad" 2>"$tmp/err"
[ $? -eq 2 ] || fail "malformed summary: exit status"
grep -q "speedlab: $tmp/bad/summary.csv:3: column 'wall_s_median': 'abc' is not a number" "$tmp/err" ||
	fail "malformed summary message: $(cat "$tmp/err")"
echo '{"experiment": ' >"$tmp/bad/meta.json"
cp "$tmp/report-chunks/summary.csv" "$tmp/bad/summary.csv"
"$SPEEDLAB" plot "$tmp/bad" 2>"$tmp/err"
[ $? -eq 2 ] || fail "malformed meta.json: exit status"
grep -q "speedlab: $tmp/bad/meta.json:" "$tmp/err" || fail "malformed meta.json message: $(cat "$tmp/err")"
"$SPEEDLAB" plot 2>"$tmp/err"
[ $? -eq 2 ] || fail "no directory: exit status"

# gnuplot failing is an error that says so, not a silent empty report
SPEEDLAB_GNUPLOT=false "$SPEEDLAB" plot "$tmp/report-chunks" 2>"$tmp/err"
[ $? -eq 2 ] || fail "failing gnuplot: exit status"
grep -q "plot 'chunksize' (png) failed: gnuplot exited with 1" "$tmp/err" || fail "gnuplot failure message: $(cat "$tmp/err")"
SPEEDLAB_GNUPLOT=/nonexistent/gnuplot "$SPEEDLAB" plot "$tmp/report-chunks" 2>"$tmp/err"
[ $? -eq 2 ] || fail "missing gnuplot: exit status"
grep -q "cannot run /nonexistent/gnuplot" "$tmp/err" || fail "missing gnuplot message: $(cat "$tmp/err")"
SPEEDLAB_PLOTS=$tmp "$SPEEDLAB" plot "$tmp/report-chunks" 2>"$tmp/err"
[ $? -eq 2 ] || fail "SPEEDLAB_PLOTS without scripts: exit status"
grep -q "SPEEDLAB_PLOTS=$tmp: no gnuplot scripts there" "$tmp/err" || fail "scripts message: $(cat "$tmp/err")"
# from another directory, the scripts are found next to the binary
(cd "$tmp" && "$SPEEDLAB" plot --quiet report-gpu-sync) || fail "plot from another directory"
echo "ok"
