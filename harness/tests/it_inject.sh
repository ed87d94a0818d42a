#!/usr/bin/env bash
# it_inject.sh: result files are data. Every text field of fixture result directories (experiment
# name and question, axis values, series labels, statuses, every meta.json string) is poisoned with
# shell and gnuplot code (backquotes, system(), $( ), quotes, backslashes, macros, and in a second
# corpus newlines); `speedlab plot`, `report` and `table` read them, and a canary file that the code
# would create must never exist.
set -u
cd "$(dirname "$0")/../.." || exit 2
SPEEDLAB=${SPEEDLAB:-$PWD/build/speedlab}
command -v gnuplot >/dev/null || { echo "gnuplot not installed"; exit 77; }
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
canary=$tmp/c   # the payload creates c in the working directory: $tmp

# poison DIR NEWLINES: append the payload to every text field of the result directory DIR
poison() {
	python3 - "$1" "$2" <<'PY'
import csv, json, os, re, sys
d, newlines = sys.argv[1], sys.argv[2] == "1"
p = " `touch c` system('touch c') $(touch c) \"';\\ @p"
if newlines:
    p += "\n!touch c\r\nsystem \"touch c\"\n"
def num(s):
    try:
        float(s)
        return True
    except ValueError:
        return False
def cell(col, v):
    if v in ("", "ok", "hang") or num(v) or col in ("config", "rep"):
        return v
    if col == "series":
        return re.sub(r"=(\S+)", lambda m: "=" + m.group(1) + p.replace(" ", "_"), v)
    return v + p
for name in ("runs.csv", "summary.csv"):
    path = os.path.join(d, name)
    if not os.path.exists(path):
        continue
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(rows[0])
        for r in rows[1:]:
            w.writerow([cell(c, v) for c, v in zip(rows[0], r)])
def walk(o):
    if isinstance(o, dict):
        return {k: walk(v) for k, v in o.items()}
    if isinstance(o, list):
        return [walk(v) for v in o]
    return o + p if isinstance(o, str) else o
path = os.path.join(d, "meta.json")
with open(path) as f:
    meta = json.load(f)
with open(path, "w") as f:
    json.dump(walk(meta), f, indent=2)
path = os.path.join(d, "experiment.ini")
one_line = p.replace("\n", " ").replace("\r", " ")
with open(path) as f:
    ini = f.read()
ini = re.sub(r"^(name|question)(\s*=\s*)(.*)$", lambda m: m.group(1) + m.group(2) + m.group(3) + one_line, ini, flags=re.M)
with open(path, "w") as f:
    f.write(ini)
PY
}

fixtures="report-scaling report-start report-skipped report-chunks"
for nl in 0 1; do
	for fx in $fixtures; do
		d=$tmp/$nl-$fx
		cp -r "harness/tests/fixtures/$fx" "$d"
		poison "$d" $nl || fail "cannot poison $fx"
		for cmd in "plot --quiet" report table; do
			(cd "$tmp" && exec "$SPEEDLAB" $cmd "$d") >"$tmp/out" 2>"$tmp/err" </dev/null
			rc=$?; [ -n "${KEEP:-}" ] && cp -r "$d" /tmp/w19/kept
			[ -e "$canary" ] && fail "$cmd $fx (newlines $nl) ran code from the result files"
			# without newlines the files are valid and must be drawn (the labels reach gnuplot)
			if [ $nl = 0 ] && [ $rc -ne 0 ]; then
				cat "$tmp/err"
				fail "$cmd $fx exited $rc"
			fi
			[ $rc -eq 0 ] || [ $rc -eq 2 ] || { cat "$tmp/err"; fail "$cmd $fx (newlines) exited $rc"; }
		done
		[ $nl = 1 ] || [ -s "$d/plots/index.tsv" ] || [ "$fx" = report-skipped ] || fail "$fx: no plots drawn"
	done
done
echo "ok: no code from ${fixtures// /, } ran (plot, report, table)"
