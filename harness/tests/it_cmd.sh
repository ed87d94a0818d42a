#!/usr/bin/env bash
# it_cmd.sh: `speedlab run --cmd`: a sweep of the user's own command without an experiment file (the
# experiment written to experiment.ini and runnable again, the report rendered), the summary of a
# single configuration in hyperfine's shape, commands side by side, the warning on a command so
# short that starting /bin/sh shows, and the errors of --cmd.
set -u
: "${SPEEDLAB:?SPEEDLAB must name the speedlab binary}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

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

# 1. the issue's one-liner: a sweep over processes, a normal result directory, a speedup table
"$SPEEDLAB" run --cmd 'python3 -c "sum(range(10**6))"' --set processes=1,2 --set repeats=2 --out "$tmp/py" \
	>"$tmp/out" 2>"$tmp/err" || fail "run --cmd exited $?: $(cat "$tmp/err")"
for f in experiment.ini meta.json runs.csv summary.csv tables.md; do
	[ -f "$tmp/py/$f" ] || fail "no $f in the result directory"
done
grep -q '^name = cmd-python3$' "$tmp/py/experiment.ini" || fail "name not derived from the command: $(head -5 "$tmp/py/experiment.ini")"
grep -q '^question = How long does `python3 -c "sum(range(10\*\*6))"` take, with processes=1,2?$' "$tmp/py/experiment.ini" ||
	fail "question: $(grep question "$tmp/py/experiment.ini")"
grep -q '^cmd = python3 -c "sum(range(10\*\*6))"$' "$tmp/py/experiment.ini" || fail "cmd not written verbatim"
grep -q '^| 2 | ' "$tmp/out" || fail "no speedup table row for 2 processes on stdout: $(cat "$tmp/out")"
grep -q "^results: $tmp/py\$" "$tmp/out" || fail "no results line"
grep -q "warning: --cmd: processes takes 2 values, but speedlab passes it to the command only as \$SPEEDLAB_PROCESSES, which the command line does not mention" "$tmp/err" ||
	fail "no warning that the command ignores the processes it is given: $(cat "$tmp/err")"
[ "$(grep -c ',ok$' "$tmp/py/runs.csv")" -eq 6 ] || fail "expected 6 ok runs (2 configurations x (1 warm-up + 2))"
# the recorded experiment runs again as any experiment file
"$SPEEDLAB" run "$tmp/py/experiment.ini" --set repeats=1 --set processes=1 --out "$tmp/again" --quiet >/dev/null 2>"$tmp/err" ||
	fail "experiment.ini of --cmd does not run again: $(cat "$tmp/err")"
"$SPEEDLAB" report "$tmp/py" >/dev/null 2>"$tmp/err" || fail "report exited $?: $(cat "$tmp/err")"
[ -s "$tmp/py/index.html" ] || fail "report wrote no index.html"

# 2. one configuration: hyperfine's summary instead of an empty speedup table; a short command is flagged
"$SPEEDLAB" run --cmd true --set repeats=3 --out "$tmp/one" >"$tmp/out" 2>"$tmp/err" || fail "run --cmd true exited $?"
grep -q '^| Time (mean ± σ) | Median | Range (min … max) | User | System | Cores busy | Runs |$' "$tmp/out" ||
	fail "no summary header: $(cat "$tmp/out")"
grep -Eq '^\| [0-9.]+ (µs|ms) ± [0-9.]+ (µs|ms) \| .* \| 3 \|$' "$tmp/out" || fail "summary row: $(grep '^| [0-9]' "$tmp/out")"
grep -q 'Amdahl' "$tmp/out" && fail "a single configuration still gets the Amdahl line"
grep -q '^# Summary: cmd-true$' "$tmp/out" || fail "title of a single configuration: $(head -1 "$tmp/out")"
grep -q '"command_fixed_s"' "$tmp/one/meta.json" || fail "meta.json lacks command_fixed_s"
# the warning follows the figures (how short 'true' is depends on the machine's load)
short=$(/usr/bin/python3 - "$tmp/one" <<'PY'
import csv, json, sys
d = sys.argv[1]
fixed = json.load(open(d + "/meta.json"))["command_fixed_s"]
median = float(next(csv.DictReader(open(d + "/summary.csv")))["wall_s_median"])
print(1 if fixed > 0.1 * median else 0)
PY
)
if [ "$short" = 1 ]; then
	grep -q '^⚠ Short: a run takes .*starting a process and waiting for it costs about .*/bin/sh -c true' "$tmp/out" || fail "no warning on a command as short as 'true'"
else
	grep -q '^⚠ Short' "$tmp/out" && fail "a warning, though /bin/sh's start is under 10% of the run"
fi
# a fixed cost recorded as a third of the run: the tables warn
/usr/bin/python3 - "$tmp/one/meta.json" <<'PY'
import csv, json, sys
m = json.load(open(sys.argv[1]))
d = sys.argv[1].rsplit("/", 1)[0]
m["command_fixed_s"] = float(next(csv.DictReader(open(d + "/summary.csv")))["wall_s_median"]) / 3
json.dump(m, open(sys.argv[1], "w"))
PY
"$SPEEDLAB" table "$tmp/one" >"$tmp/t1" 2>&1 || fail "table exited $?"
grep -q '^⚠ Short: a run takes .* (33%;' "$tmp/t1" || fail "no warning with a fixed cost of a third: $(grep Short "$tmp/t1")"

# 3. several commands side by side; quotes and commas survive the round trip through experiment.ini
"$SPEEDLAB" run --cmd 'sleep 0.05' --cmd "echo 'a, b' >/dev/null" --set repeats=2 --out "$tmp/two" >"$tmp/out" 2>"$tmp/err" ||
	fail "two --cmd exited $?: $(cat "$tmp/err")"
grep -q '^## Side by side' "$tmp/out" || fail "no side-by-side section: $(cat "$tmp/out")"
grep -q 'not mention' "$tmp/err" && fail "a warning on axes that are not swept: $(cat "$tmp/err")"
grep -Eq "^- [0-9.]+ ± [0-9.]+ times faster than \`cmd=sleep 0.05\`\$" "$tmp/out" || fail "no ratio against sleep"
grep -q '^name = cmd-sleep-vs-echo$' "$tmp/two/experiment.ini" || fail "name of two commands"
grep -q "^question = Which is faster, \`sleep 0.05\` or \`echo 'a, b' >/dev/null\`?\$" "$tmp/two/experiment.ini" ||
	fail "question of two commands: $(grep question "$tmp/two/experiment.ini")"
"$SPEEDLAB" run "$tmp/two/experiment.ini" --set repeats=1 --out "$tmp/two-again" --quiet >/dev/null 2>"$tmp/err" ||
	fail "experiment.ini of two --cmd does not run again: $(cat "$tmp/err")"
cut -d, -f1-2 "$tmp/two-again/runs.csv" >/dev/null
grep -q "a, b" "$tmp/two-again/runs.csv" || fail "the quoted comma was lost on the way"

# 4. errors: one clear message, exit 2, nothing run
expect 2 'give either --cmd or an experiment file' "$SPEEDLAB" run "$tmp/py/experiment.ini" --cmd true
expect 2 '--cmd: empty command' "$SPEEDLAB" run --cmd ' '
expect 2 "start a comment in experiment.ini: write 'a; b'" "$SPEEDLAB" run --cmd 'true ; true'
expect 2 '--profile: --cmd has no \[quick\] or \[full\] profile' "$SPEEDLAB" run --cmd true --profile full
expect 2 "'true' given twice" "$SPEEDLAB" run --cmd true --cmd true
expect 2 "--set: unknown key 'procs'" "$SPEEDLAB" run --cmd true --set procs=2
echo "ok"
