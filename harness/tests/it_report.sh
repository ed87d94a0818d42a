#!/usr/bin/env bash
# it_report.sh: `speedlab report` on fixture result directories: report.md and a self-contained
# index.html, findings that follow the numbers in summary.csv, the combined report over several
# directories with failed experiments listed, and bad input rejected with FILE:LINE, exit 2.
set -u
cd "$(dirname "$0")/../.." || exit 2
SPEEDLAB=${SPEEDLAB:-$PWD/build/speedlab}
command -v gnuplot >/dev/null || { echo "gnuplot not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cp -r harness/tests/fixtures/report-* "$tmp/"

# set_cell FILE CONFIG COLUMN VALUE: change one cell of summary.csv (the fixtures have no quoted cells)
set_cell() {
	awk -F, -v cfg="$2" -v col="$3" -v val="$4" 'BEGIN { OFS = "," }
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i }
		NR > 1 && $1 == cfg { $c = val } { print }' "$1" >"$1.new" && mv "$1.new" "$1"
}

# one directory: plots rendered on demand, findings with their numbers, everything embedded
d=$tmp/report-scaling
out=$("$SPEEDLAB" report "$d") || fail "report exited $?"
[ "$out" = "$d/index.html" ] || fail "report printed '$out'"
md=$d/report.md
[ -f "$md" ] || fail "no report.md"
[ -f "$d/plots/speedup.png" ] || fail "report did not render the missing plots"
grep -q '^# speedlab report: oversubscription$' "$md" || fail "title"
grep -q '^> Do BLAS threads inside pool workers use more cores than the process count?$' "$md" || fail "question"
grep -q '^\*\*Machine:\*\* lab-a · Intel(R) Core(TM) i5-7200U CPU @ 2.50GHz · 4 logical / 2 physical CPUs' "$md" ||
	fail "machine line"
grep -q 'gemm threads=unset: 1 process keeps 3.7 cores busy' "$md" || fail "cores-busy finding"
grep -q 'at 2 processes it is 15% slower than threads=1 (4.69 s vs 4.09 s) — set OPENBLAS_NUM_THREADS=1' "$md" ||
	fail "threads=1 comparison"
grep -q 'gemm threads=1 reaches 2.39× at 4 processes (efficiency 0.60)' "$md" || fail "scaling finding"
grep -q '^!\[oversubscription: speedup vs worker processes\](plots/speedup.png) ' "$md" || fail "speedup plot link"
grep -q '^| 2 ⚠ oversubscribed | 4.69 s' "$md" || fail "full tables not included"
# the answer first, then one pivot table over the swept axes, its speedups all against the fastest
# 1-process configuration (threads=unset, 3.56 s): threads=1 at 1 process is 0.45×, not 1.00×
grep -q '^\*\*Answer:\*\* 1.07× at 4 processes, threads=1 (efficiency 0.27): 3.34 s against 3.56 s with one process' "$md" ||
	fail "Answer line: $(grep '^\*\*Answer' "$md")"
grep -q '^| 1 | 3.56 s (1.00×) | 7.99 s (0.45×) | 3.64 s (0.98×) |$' "$md" || fail "pivot row 1: $(grep '^| 1 |' "$md")"
grep -q '^| 4 | 5.49 s (0.65×) ⚠ | 3.34 s (1.07×) | 3.35 s (1.06×) |$' "$md" || fail "pivot row 4"
html=$d/index.html
n_img=$(grep -o '<img ' "$html" | wc -l)
n_plots=$(wc -l <"$d/plots/index.tsv")
[ "$n_img" -eq "$n_plots" ] && [ "$n_img" -ge 6 ] || fail "index.html embeds $n_img images for $n_plots plots"
[ "$(grep -o 'src="data:image/svg+xml;base64,' "$html" | wc -l)" -eq "$n_img" ] || fail "images not embedded"
grep -q 'src="plots/' "$html" && fail "index.html refers to plot files instead of embedding them"
grep -q '<li><strong>Advice:</strong> gemm threads=unset: 1 process keeps 3.7 cores busy' "$html" ||
	fail "finding in index.html"
grep -q '<td>2 ⚠ oversubscribed</td>' "$html" || fail "table in index.html"
# the embedded SVG decodes to the plot itself
b64=$(grep -o 'src="data:image/svg+xml;base64,[^"]*"' "$html" | head -1 | sed 's/^src="data:image\/svg+xml;base64,//; s/"$//')
echo "$b64" | base64 -d 2>/dev/null | grep -q '<svg' || fail "embedded SVG does not decode"

# change the numbers, the findings change with them (plots are re-rendered: summary.csv is newer)
set_cell "$d/summary.csv" 0 cores_busy_median 1.9
set_cell "$d/summary.csv" 1 wall_s_median 4.5
set_cell "$d/summary.csv" 5 speedup 3.5
set_cell "$d/summary.csv" 5 efficiency 0.875
sleep 0.01
"$SPEEDLAB" report "$d" >/dev/null || fail "second report"
grep -q 'gemm threads=unset: 1 process keeps 1.9 cores busy' "$md" || fail "cores busy did not follow the file"
grep -q 'at 2 processes it is 10% slower than threads=1 (4.5 s vs 4.09 s)' "$md" || fail "slowdown did not follow"
grep -q 'gemm threads=1 reaches 3.50× at 4 processes (efficiency 0.88)' "$md" || fail "speedup did not follow"
grep -q '2.39×' "$md" && grep -q 'reaches 2.39×' "$md" && fail "old speedup still reported"
grep -q '^ 4 3.5 ' "$d/plots/speedup.dat" || fail "plots not re-rendered after summary.csv changed"
# no more cores busy than processes: the finding goes away
set_cell "$d/summary.csv" 0 cores_busy_median 1.0
set_cell "$d/summary.csv" 1 cores_busy_median 2.0
set_cell "$d/summary.csv" 2 cores_busy_median 3.9
"$SPEEDLAB" report "$d" >/dev/null || fail "third report"
grep -q 'cores busy, more cores than processes' "$md" && fail "cores-busy finding without the data"

# chunk sizes and start methods
"$SPEEDLAB" report "$tmp/report-chunks" >/dev/null || fail "chunks report"
grep -q 'chunksize 1 spends 81% of its time on per-chunk overhead' "$tmp/report-chunks/report.md" || fail "chunk finding"
set_cell "$tmp/report-chunks/summary.csv" 0 wall_s_median 0.81
"$SPEEDLAB" report "$tmp/report-chunks" >/dev/null || fail "chunks report 2"
grep -q 'chunksize 1 spends 50% of its time on per-chunk overhead' "$tmp/report-chunks/report.md" ||
	fail "chunk finding did not follow the file"
"$SPEEDLAB" report "$tmp/report-start" >/dev/null || fail "start report"
grep -q 'fork hangs after the parent used OpenMP .*use spawn or forkserver' "$tmp/report-start/report.md" ||
	fail "start-safety finding"
grep -q '^## Configurations that did not finish' "$tmp/report-start/report.md" || fail "unfinished section"

# a combined report over several directories, with failed and skipped experiments listed
comb=$tmp/combined
"$SPEEDLAB" report --out "$comb" "$tmp"/report-* --failed 'mpi-scaling:speedlab run exited 2 (no mpirun)' \
	>"$tmp/out" || fail "combined report exited $?"
[ "$(cat "$tmp/out")" = "$comb/index.html" ] || fail "combined report printed '$(cat "$tmp/out")'"
cm=$comb/report.md
grep -q '^# speedlab report: lab-a$' "$cm" || fail "combined title"
grep -q '^## Failed or skipped experiments$' "$cm" || fail "failed section"
grep -q '^- \*\*mpi-scaling:\*\* speedlab run exited 2 (no mpirun)$' "$cm" || fail "--failed entry"
grep -q '^- \*\*gpu-skipped:\*\* skipped: no CUDA device$' "$cm" || fail "skipped experiment"
grep -q '^| \[chunksize\](#chunksize) |' "$cm" || fail "overview row"
for name in chunksize gpu-copy gpu-gemm gpu-sync oversubscription start-methods; do
	grep -q "^## $name$" "$cm" || fail "no section for $name"
done
grep -q '^## gpu-skipped$' "$cm" && fail "a section for an experiment that measured nothing"
grep -q '^!\[.*](../report-scaling/plots/speedup.png) ' "$cm" || fail "plot paths relative to the combined report"
# the combined report embeds each experiment's key plot only; the others are links, folded
n_img=$(grep -o '<img ' "$comb/index.html" | wc -l)
n_sec=$(grep -c '^\*\*Answer:\*\* ' "$cm")
[ "$n_img" -ge 6 ] && [ "$n_img" -le "$n_sec" ] || fail "combined index.html embeds $n_img images for $n_sec sections"
grep -q '^- \*\*Other plots:\*\* .*\[parallel efficiency vs worker processes\](../report-scaling/plots/efficiency.svg)' "$cm" ||
	fail "folded plots are not linked"
# the answer first: a key-results table with one row per experiment, each section's Answer before its fold
grep -q '^| \[oversubscription\](#oversubscription) | 1.07× at 4 processes, threads=1 (3.34 s vs 3.56 s) |$' "$cm" ||
	fail "key-results row: $(grep '^| \[oversubscription' "$cm")"
grep -q '^\*\*Answer:\*\* 1.07× at 4 processes, threads=1 (efficiency 0.27): 3.34 s against 3.56 s with one process' "$cm" ||
	fail "oversubscription's Answer line"
[ "$(grep -c '^Runtime is the median\|^No 1-process configuration\|^Amdahl fit: not enough' "$cm")" -le 1 ] ||
	fail "boilerplate repeated"
[ "$(grep -c '^## Glossary$' "$cm")" -eq 1 ] || fail "no glossary, or more than one"
[ "$(stat -c %s "$comb/index.html")" -lt 1000000 ] || fail "combined index.html is 1 MB or more"
grep -q '<h2 id="chunksize">chunksize</h2>' "$comb/index.html" || fail "section anchors"
# a short key-results table stays one table; its first screen in headless Chromium where it is installed
grep -q '<div class="table key"><table>' "$comb/index.html" || fail "the key-results table is not marked"
harness/tests/screenshot-report.sh "$comb/index.html" "$tmp/first-screen.png" >"$tmp/shot" 2>&1
case $? in
0 | 77) tail -n 1 "$tmp/shot" ;;
*) fail "$(cat "$tmp/shot")" ;;
esac

# bad input: exit 2, with the file and line
"$SPEEDLAB" report "$tmp/nonexistent" 2>"$tmp/err"
[ $? -eq 2 ] || fail "missing dir: exit status"
grep -q "speedlab: $tmp/nonexistent: No such file or directory" "$tmp/err" || fail "missing dir message"
mkdir "$tmp/bad"
printf 'config,series,workload,processes,runs,ok,status,wall_s_median\n0,all,gemm,1,3,3,ok,1.5\n1,all,gemm,2,3,3,ok,1.0s\n' \
	>"$tmp/bad/summary.csv"
"$SPEEDLAB" report "$tmp/bad" 2>"$tmp/err"
[ $? -eq 2 ] || fail "malformed summary: exit status"
grep -q "speedlab: $tmp/bad/summary.csv:3: column 'wall_s_median': '1.0s' is not a number" "$tmp/err" ||
	fail "malformed summary message: $(cat "$tmp/err")"
[ -f "$tmp/bad/report.md" ] && fail "a report written from malformed input"
printf 'config,series\n0,"unterminated\n' >"$tmp/bad/summary.csv"
"$SPEEDLAB" report "$tmp/bad" 2>"$tmp/err"
[ $? -eq 2 ] || fail "broken CSV: exit status"
grep -q "speedlab: $tmp/bad/summary.csv:" "$tmp/err" || fail "broken CSV message: $(cat "$tmp/err")"
# in a combined report an unreadable directory is listed, the rest still reported, and the exit is 2
"$SPEEDLAB" report --out "$tmp/comb2" "$tmp/report-chunks" "$tmp/bad" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "combined with a bad directory: exit status"
grep -q "$tmp/bad:\*\* its results could not be read" "$tmp/comb2/report.md" || fail "bad directory not listed"
grep -q '^## chunksize$' "$tmp/comb2/report.md" || fail "good directory not reported"
"$SPEEDLAB" report --bogus "$d" 2>"$tmp/err"
[ $? -eq 2 ] || fail "unknown option: exit status"
"$SPEEDLAB" report --failed x:y "$d" 2>"$tmp/err"
[ $? -eq 2 ] || fail "--failed without --out: exit status"
echo "ok"
