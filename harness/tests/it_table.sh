#!/usr/bin/env bash
# it_table.sh: `speedlab table` on fixture result directories: the expected table, summaries
# recomputed only when stale, read-only copies, and FILE:LINE errors with exit 2.
set -u
: "${SPEEDLAB:?SPEEDLAB must name the speedlab binary}"
fx=$(cd "$(dirname "$0")" && pwd)/fixtures
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*"
	exit 1
}

# expect RC PATTERN CMD...: exit code RC and stderr matching the extended regex PATTERN
expect() {
	local rc=$1 pat=$2 got
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	[ "$got" -eq "$rc" ] || fail "'$*' exited $got, expected $rc; stderr: $(cat "$tmp/err")"
	grep -Eq -- "$pat" "$tmp/err" || fail "'$*': stderr '$(cat "$tmp/err")' does not match '$pat'"
}

# 1. the table of a finished run, as expected; summary.csv and tables.md written alongside
cp -r "$fx/measure-table" "$tmp/run"
"$SPEEDLAB" table "$tmp/run" >"$tmp/table.md" 2>"$tmp/err" || fail "table exited $?: $(cat "$tmp/err")"
[ -s "$tmp/err" ] && fail "table wrote to stderr: $(cat "$tmp/err")"
diff -u "$fx/measure-expected/table.md" "$tmp/table.md" || fail "table differs from the expected one"
[ -f "$tmp/run/summary.csv" ] || fail "no summary.csv written"
cmp -s "$tmp/run/tables.md" "$tmp/table.md" || fail "tables.md differs from what table printed"
head -1 "$tmp/run/summary.csv" | grep -q '^config,series,workload,processes,' || fail "summary.csv header"
[ "$(wc -l <"$tmp/run/summary.csv")" -eq 5 ] || fail "summary.csv should have 4 configurations"

# 2. a fresh summary is not rewritten
before=$(stat -c %y "$tmp/run/summary.csv")
"$SPEEDLAB" table "$tmp/run" >"$tmp/table2.md" || fail "second table exited $?"
cmp -s "$tmp/table.md" "$tmp/table2.md" || fail "second table differs"
[ "$(stat -c %y "$tmp/run/summary.csv")" = "$before" ] || fail "a fresh summary.csv was rewritten"

# 3. a stale summary is recomputed: one more repetition of the 2-process configuration hangs
last=$(grep '^1,4,' "$tmp/run/runs.csv" | head -1)
[ -n "$last" ] || fail "fixture lacks configuration 1, rep 4"
printf '%s\n' "$(echo "$last" | sed -e 's/^1,4,/1,5,/' -e 's/,ok$/,hang/')" >>"$tmp/run/runs.csv"
touch -d '+2 seconds' "$tmp/run/runs.csv"
"$SPEEDLAB" table "$tmp/run" >"$tmp/table3.md" || fail "table after append exited $?"
grep -q '^| 2 † | ' "$tmp/table3.md" || fail "the new hang is not marked: $(grep '^| 2' "$tmp/table3.md")"
grep -q '^† 2 processes: hang ×1 (5 of 6 ok)' "$tmp/table3.md" || fail "no footnote for the hang"

# 4. a read-only copy with a stale summary is summarised in memory (root can write anyway: skipped)
if [ "$(id -u)" -ne 0 ]; then
	cp -r "$fx/measure-table" "$tmp/ro"
	chmod a-w "$tmp/ro"
	"$SPEEDLAB" table "$tmp/ro" >"$tmp/table4.md" 2>"$tmp/err" || fail "read-only table exited $?: $(cat "$tmp/err")"
	cmp -s "$tmp/table.md" "$tmp/table4.md" || fail "read-only table differs"
	[ -e "$tmp/ro/summary.csv" ] && fail "summary.csv written into a read-only directory"
fi

# 5. errors: FILE:LINE and exit 2
cp -r "$fx/measure-malformed" "$tmp/bad"
expect 2 "^speedlab: $tmp/bad/runs.csv:4: 34 cells where the header has 35\$" "$SPEEDLAB" table "$tmp/bad"
[ -e "$tmp/bad/summary.csv" ] && fail "summary.csv written for a malformed runs.csv"
expect 2 "^speedlab: $tmp/nope: not a result directory: No such file or directory\$" "$SPEEDLAB" table "$tmp/nope"
mkdir "$tmp/empty"
expect 2 "^speedlab: $tmp/empty/runs.csv: cannot read: No such file or directory\$" "$SPEEDLAB" table "$tmp/empty"
cp -r "$fx/measure-table" "$tmp/badmeta"
printf '{\n  "sysinfo": {,\n}\n' >"$tmp/badmeta/meta.json"
expect 2 "^speedlab: $tmp/badmeta/meta.json:2: " "$SPEEDLAB" table "$tmp/badmeta"
cp -r "$fx/measure-table" "$tmp/badrow"
sed -i '3s/^0,-1,/zero,-1,/' "$tmp/badrow/runs.csv"
expect 2 "^speedlab: $tmp/badrow/runs.csv:3: config 'zero' is not a configuration number\$" "$SPEEDLAB" table "$tmp/badrow"
# run-all's directory: the tables of each result directory inside, in name order; links not followed
mkdir -p "$tmp/runall/logs"
cp -r "$fx/measure-table" "$tmp/runall/b-second"
cp -r "$fx/measure-table" "$tmp/runall/a-first"
ln -s "$tmp/run" "$tmp/runall/c-link"
echo '<html>' >"$tmp/runall/index.html"
"$SPEEDLAB" table "$tmp/runall" >"$tmp/all.md" 2>"$tmp/err" || fail "table of a run-all directory exited $?: $(cat "$tmp/err")"
[ "$(grep -c '^# Speedup: ' "$tmp/all.md")" -eq 2 ] || fail "run-all directory: expected 2 tables: $(grep '^#' "$tmp/all.md")"
[ "$(grep '^<!-- ' "$tmp/all.md" | tr '\n' ' ')" = "<!-- $tmp/runall/a-first --> <!-- $tmp/runall/b-second --> " ] ||
	fail "run-all directory: not each directory in name order: $(grep '^<!-- ' "$tmp/all.md")"
expect 2 "usage: speedlab table DIR" "$SPEEDLAB" table
expect 2 "one result directory at a time" "$SPEEDLAB" table "$tmp/run" "$tmp/run"
expect 2 "unknown option '--bogus'" "$SPEEDLAB" table --bogus "$tmp/run"
"$SPEEDLAB" table --help | grep -q '^usage: speedlab table DIR' || fail "table --help"
echo "ok"
