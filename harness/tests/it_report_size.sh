#!/usr/bin/env bash
# it_report_size.sh: a combined report of a whole quick run-all stays short (issue 15): the committed
# quick reference's measured files (27 experiments and 6 skipped GPU ones), rendered by this speedlab,
# make a report.md of at most 700 lines and an index.html under 1 MB, with one Answer line per
# experiment section and no caption, finding or skip reason said twice; and (with chromium) a first
# screen that shows the key results, the first Answer and its plot.
set -u
cd "$(dirname "$0")/../.." || exit 2
SPEEDLAB=${SPEEDLAB:-$PWD/build/speedlab}
ref=results/reference/vm-xeon-2cpu-quick
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}

n=0
for d in "$ref"/*/; do
	[ -f "$d/summary.csv" ] || continue
	cp -r "$d" "$T/"
	n=$((n + 1))
done
[ "$n" -ge 20 ] || fail "only $n result directories in $ref"
# the committed plots are current: nothing is re-plotted (their index newer than summary.csv)
find "$T" -name index.tsv -exec touch {} +
fargs=()
for g in gpu-copy gpu-gemm gpu-precision gpu-share gpu-start gpu-sync; do
	fargs+=(--failed "$g:skipped: no CUDA device on this machine (GPU experiments run where one is)")
done
"$SPEEDLAB" report --out "$T/rep" "${fargs[@]}" "$T"/*/ >"$T/out" 2>"$T/err" ||
	fail "report exited $?: $(cat "$T/err")"
md=$T/rep/report.md
lines=$(wc -l <"$md")
echo "report.md: $lines lines; index.html: $(stat -c %s "$T/rep/index.html") bytes"
[ "$lines" -le 700 ] || fail "report.md has $lines lines (at most 700)"
[ "$(stat -c %s "$T/rep/index.html")" -lt 1000000 ] || fail "index.html is 1 MB or more"
answers=$(grep -c '^\*\*Answer:\*\* ' "$md")
[ "$answers" -eq "$n" ] || fail "$answers Answer lines for $n experiments"
sections=$(awk '/^## /{s=$0} /^\*\*Answer:\*\* /{print s}' "$md" | sort | uniq -d)
[ -z "$sections" ] || fail "more than one Answer line in: $sections"
# index.html's first screen (1280 x 900) in headless Chromium, where it is installed: the key-results
# table (in two columns: more than 12 rows), the first Answer line and the top of its plot
grep -q '<div class="table key many"><table>' "$T/rep/index.html" || fail "the key-results table is not marked"
harness/tests/screenshot-report.sh "$T/rep/index.html" "$T/first-screen.png" >"$T/shot" 2>&1
case $? in
0 | 77) tail -n 1 "$T/shot" ;;
*) fail "$(cat "$T/shot")" ;;
esac
# nothing said twice: a plot caption (the italic text on an image line) or a skip reason in the report,
# a finding in its section
/usr/bin/python3 - "$md" <<'PY' || exit 1
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
seen, twice, found = {}, [], set()
for line in text.splitlines():
    said = []
    if line.startswith("## "):
        found = set()
    m = re.match(r'(?:!\[[^\]]*\]\([^)]*\) )?\*([^*].+?)\* \(\[SVG\]', line)
    if m:
        said.append(m.group(1))
    if re.match(r'- \*\*(Finding|Problem|Advice):\*\*', line):
        if line in found:
            twice.append(line[:100])
        found.add(line)
    m = re.match(r'- \*\*[^*]+:\*\* (skipped: .*)$', line)
    if m:
        said.append(m.group(1))
    for s in said:
        if s in seen:
            twice.append(s[:100])
        seen[s] = True
if twice:
    print("FAIL: said more than once: " + " | ".join(twice[:5]))
    sys.exit(1)
if text.count("\n## Glossary\n") != 1:
    print("FAIL: not one glossary")
    sys.exit(1)
PY
echo ok
