#!/usr/bin/env bash
# it_repeats_auto.sh: `repeats = auto` end to end, through the command workload whose scripts report
# their own metric: the configuration that always reports the same value stops at 6 repetitions
# (the fewest whose median CI reaches 95%), the noisy one goes on to max_repeats; meta.json says
# what each got; --resume of a run cut short continues only the one that was not precise.
set -u
here=$(cd "$(dirname "$0")" && pwd)
SPEEDLAB=${SPEEDLAB:-$here/../../build/speedlab}
[ -x "$SPEEDLAB" ] || { echo "speedlab not built"; exit 77; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
cd "$T" || exit 2

echo 'echo @speedlab gflops=5' >const.sh
echo 'echo "@speedlab gflops=1$(od -An -N1 -tu1 /dev/urandom | tr -d " ")"' >noisy.sh
cat >exp.ini <<'INI'
[experiment]
name     = auto-toy
question = Does repeats = auto stop the quiet configuration early?
workload = command
repeats  = auto
min_repeats = 5
max_repeats = 9
precision = 2%
precision_metric = gflops
warmup   = 1
timeout  = 30

[workload]
per = run

[sweep]
cmd = "sh const.sh", "sh noisy.sh"
INI
reps() { awk -F, -v c="$2" 'NR > 1 && $1 == c && $2 > 0' "$1/runs.csv" | wc -l; }

"$SPEEDLAB" run exp.ini --out out -q >out.log 2>&1 || fail "run: $(tail -3 out.log)"
[ "$(reps out 0)" = 6 ] || fail "quiet configuration: $(reps out 0) repetitions, wanted 6"
[ "$(reps out 1)" = 9 ] || fail "noisy configuration: $(reps out 1) repetitions, wanted 9"
grep -q '"repeats_auto"' out/meta.json || fail "meta.json does not say what each got"
grep -A40 '"repeats_auto"' out/meta.json | grep -q '"precise": 1' || fail "meta.json: not 1 precise configuration"
grep -q '^repeats = auto$' out/experiment.ini && grep -q '^precision = 2%$' out/experiment.ini ||
	fail "experiment.ini written back without repeats = auto"

# cut short: the last two repetitions of the noisy one lost; --resume runs those two only
head -n -2 out/runs.csv >cut.csv && cat cut.csv >out/runs.csv
[ "$(reps out 1)" = 7 ] || fail "setup: $(reps out 1)"
"$SPEEDLAB" run --resume out -q >resume.log 2>&1 || fail "resume: $(tail -3 resume.log)"
[ "$(reps out 0)" = 6 ] || fail "resume: quiet configuration now $(reps out 0)"
[ "$(reps out 1)" = 9 ] || fail "resume: noisy configuration now $(reps out 1), wanted 9"

# errors
sed 's/^repeats  = auto/repeats = often/' exp.ini >bad.ini
"$SPEEDLAB" run bad.ini --out bad -q 2>err; [ $? -eq 2 ] && grep -q "bad.ini:5: repeats" err || fail "repeats = often accepted: $(cat err)"

[ $fails -eq 0 ] && echo "all repeats = auto checks passed"
exit $((fails > 0))
