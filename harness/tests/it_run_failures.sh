#!/usr/bin/env bash
# it_run_failures.sh: a configuration none of whose repetitions was measured is said to have failed,
# with its first failure's last stderr line (kept in runs.csv's status), and `speedlab run` exits 1
# when nothing was measured; a command cut short by " ;" (libinih's inline comment) is refused with
# file:line naming what was cut.
set -u
SL=${SPEEDLAB:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

head='[experiment]
name = failing
question = Does a failing command make the run fail?
workload = command
repeats = 2
warmup = 0'

# --- every repetition fails: exit 1, the run line and runs.csv say why
printf '%s\n[workload]\ncmd = echo starting >&2; echo "no such input: data.bin" >&2; exit 3\n' "$head" >"$T/fail.ini"
"$SL" run "$T/fail.ini" --out "$T/fail" --quiet >"$T/fail.out" 2>"$T/fail.err"
rc=$?
[ "$rc" -eq 1 ] || fail "a command failing every run: exit $rc, expected 1"
grep -q 'every repetition failed; the first: error:exit 3: no such input: data.bin' "$T/fail.err" ||
	fail "no run line with the failure's last stderr line: $(tail -n 3 "$T/fail.err")"
st=$(tail -n 1 "$T/fail/runs.csv" | awk -F, '{ print $NF }')
[ "$st" = "error:exit 3: no such input: data.bin" ] || fail "runs.csv status '$st'"

# --- one configuration measured, one failing: exit 0 (something was measured), the failure named
printf '%s\n[workload]\ncmd = test "$SPEEDLAB_PROCESSES" = 1 || { echo "only one process" >&2; exit 4; }\n[sweep]\nprocesses = 1, 2\n' \
	"$head" >"$T/mixed.ini"
"$SL" run "$T/mixed.ini" --out "$T/mixed" --quiet >"$T/mixed.out" 2>"$T/mixed.err"
rc=$?
[ "$rc" -eq 0 ] || fail "one configuration measured: exit $rc, expected 0 ($(tail -n 2 "$T/mixed.err"))"
grep -q 'P=2 .*every repetition failed; the first: error:exit 4: only one process' "$T/mixed.err" ||
	fail "the failing configuration is not named: $(cat "$T/mixed.err")"

# --- " ;" cuts a command short: refused with file:line and what was cut
printf '%s\n[workload]\ncmd = cd /tmp ; sha256sum f\n' "$head" >"$T/cut.ini"
"$SL" run "$T/cut.ini" --out "$T/cut" --quiet >"$T/cut.out" 2>"$T/cut.err"
rc=$?
[ "$rc" -eq 2 ] || fail "a command cut by ' ;': exit $rc, expected 2"
grep -q "cut.ini:8: cmd = 'cd /tmp': ' ;' starts a comment, so 'sha256sum f' after it was cut off" "$T/cut.err" ||
	fail "no file:line error for the cut command: $(cat "$T/cut.err")"
[ ! -e "$T/cut/runs.csv" ] || fail "a cut command was run"

[ "$fails" -eq 0 ]
