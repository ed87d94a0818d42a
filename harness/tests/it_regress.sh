#!/usr/bin/env bash
# it_regress.sh: ci/regress end to end: the first run saves baselines, the next compares and appends
# to the history, a slower workload fails it, the trend plots and the CI summary appear, and a
# missing experiment or a failed run is an error. `speedlab run` is stood in for by a script that
# writes synthetic result directories (the statistics are under test here, not the workloads);
# every other sub-command is the real binary.
set -u
here=$(cd "$(dirname "$0")" && pwd)
SPEEDLAB=${SPEEDLAB:-$here/../../build/speedlab}
[ -x "$SPEEDLAB" ] || { echo "speedlab not built"; exit 77; }
regress=$here/../../ci/regress

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

cat >"$T/speedlab" <<EOF
#!/usr/bin/env bash
# stand-in: 'run EXP --out DIR [--set scale=X|fail=1]...' writes a synthetic run, the rest is speedlab
if [ "\$1" != run ]; then exec "$SPEEDLAB" "\$@"; fi
exp=\$2; shift 2; out= scale=1
while [ \$# -gt 0 ]; do
	case \$1 in
	--out) out=\$2; shift 2 ;;
	--profile) shift 2 ;;
	--set) case \$2 in scale=*) scale=\${2#*=} ;; fail=*) echo "speedlab: simulated failure" >&2; exit 2 ;; esac; shift 2 ;;
	*) echo "stand-in: unexpected \$1" >&2; exit 2 ;;
	esac
done
n=\$(cat "$T/counter" 2>/dev/null || echo 0); n=\$((n + 1)); echo \$n >"$T/counter"
. "$here/fixtures/compare-gen/mkrun.sh"
mkrun "\$out" exp="\$(sed -n 's/^name *= *//p' "\$exp" | head -1)" seed=\$n scale=\$scale
EOF
chmod +x "$T/speedlab"
printf '[experiment]\nname = alpha\n' >"$T/alpha.ini"
printf '[experiment]\nname = beta\n' >"$T/beta.ini"
export SPEEDLAB=$T/speedlab SPEEDLAB_RESULTS=$T/results
unset GITHUB_STEP_SUMMARY

# first run: no baselines yet, both saved
bash "$regress" "$T/alpha.ini" "$T/beta.ini" >"$T/out1" 2>"$T/err1"
rc=$?
[ $rc -eq 0 ] || fail "first run: exit $rc: $(tail -5 "$T/err1")"
for e in alpha beta; do
	[ -f "$T/results/baselines/machine-a/$e/runs.csv" ] || fail "first run: no baseline for $e"
done
grep -q "no baseline yet for 'alpha'" "$T/err1" || fail "first run: did not say a baseline was saved"
[ "$(wc -l <"$T/results/history.csv")" = $((1 + 2 * 22)) ] || fail "first run: history has $(wc -l <"$T/results/history.csv") lines"

# second run, same workload: compared, no regression, summary for GitHub
export GITHUB_STEP_SUMMARY=$T/gh-summary.md
bash "$regress" --summary "$T/summary2.md" "$T/alpha.ini" "$T/beta.ini" >"$T/out2" 2>"$T/err2"
rc=$?
[ $rc -eq 0 ] || fail "second run: exit $rc: $(tail -5 "$T/err2")"
grep -q '^\*\*speedlab compare: ' "$T/summary2.md" || fail "second run: no compare table in the summary"
grep -q '^| processes=2 | wall_s |' "$T/summary2.md" || fail "second run: no rows in the summary"
grep -q '^\*\*overall: no regression\*\*' "$T/summary2.md" || fail "second run: overall line"
cmp -s "$T/summary2.md" "$T/gh-summary.md" || fail "second run: GITHUB_STEP_SUMMARY differs from the summary"
[ "$(wc -l <"$T/results/history.csv")" = $((1 + 4 * 22)) ] || fail "second run: history lines"

# third run, 20% slower: regression, exit 1; trend plots
bash "$regress" --set scale=1.2 "$T/alpha.ini" >"$T/out3" 2>"$T/err3"
rc=$?
[ $rc -eq 1 ] || fail "slower run: exit $rc (wanted 1): $(tail -5 "$T/err3")"
last=$(ls -d "$T"/results/runs/ci/* | sort | tail -1)
grep -q '^\*\*speedlab compare: regression\*\*' "$last/summary.md" || fail "slower run: no regression in the summary"
grep -q '^\*\*overall: regression\*\*' "$last/summary.md" || fail "slower run: overall line"
grep -q '"verdict": "regression"' "$last/alpha.compare.json" || fail "slower run: JSON verdict"
[ -s "$last/trends/alpha.wall_s.dat" ] || fail "slower run: no trend data"
if command -v gnuplot >/dev/null 2>&1; then
	[ -s "$last/trends/alpha.wall_s.png" ] || fail "slower run: no trend plot ($(cat "$last/gnuplot.log" 2>/dev/null))"
	[ "$(head -c 4 "$last/trends/alpha.wall_s.png" | od -An -c | tr -d ' ')" = "211PNG" ] || fail "slower run: not a PNG"
fi
[ -f "$T/results/baselines/machine-a/alpha/runs.csv" ] || fail "baseline lost"

# only the metrics asked for
bash "$regress" --metric cpu_user_s --metric speedup "$T/beta.ini" >"$T/out8" 2>"$T/err8"
rc=$?
last=$(ls -d "$T"/results/runs/ci/* | sort | tail -1)
[ $rc -eq 0 ] || fail "--metric run: exit $rc: $(tail -3 "$T/err8")"
[ "$(grep -o '"metric": "[a-z_]*"' "$last/beta.compare.json" | sort -u | tr '\n' ' ')" = '"metric": "cpu_user_s" "metric": "speedup" ' ] ||
	fail "--metric: compared $(grep -o '"metric": "[a-z_]*"' "$last/beta.compare.json" | sort -u | tr '\n' ' ')"
grep -q '^5 rows appended' "$T/err8" || fail "--metric: recorded $(grep 'rows appended' "$T/err8")"

# --calibrate: pairs of identical runs give per-metric thresholds stored with the baseline, which
# compare then uses (and says so); a later baseline save keeps them
bash "$regress" --calibrate 2 "$T/beta.ini" >"$T/out10" 2>"$T/err10"
rc=$?
cal=$T/results/baselines/machine-a/beta/calibration.ini
[ $rc -eq 0 ] || fail "--calibrate: exit $rc: $(tail -3 "$T/err10")"
grep -q '^threshold\.wall_s = [0-9.]*$' "$cal" 2>/dev/null || fail "--calibrate: no wall_s threshold in $cal"
grep -q '^; calibrated from 2 pairs' "$cal" 2>/dev/null || fail "--calibrate: no provenance in $cal"
bash "$regress" "$T/beta.ini" >"$T/out11" 2>"$T/err11"
last=$(ls -d "$T"/results/runs/ci/* | sort | tail -1)
grep -q 'thresholds calibrated from identical runs' "$last/beta.compare.md" || fail "--calibrate: compare did not use it"
want=$(sed -n 's/^threshold\.wall_s = //p' "$cal")
grep -q "\"metric\": \"wall_s\"" "$last/beta.compare.json" &&
	grep -A30 '"metric": "wall_s"' "$last/beta.compare.json" | grep -q "\"threshold_pct\": $want" ||
	fail "--calibrate: wall_s not judged at its calibrated threshold $want"
bash "$regress" --calibrate 0 "$T/beta.ini" >/dev/null 2>&1; [ $? -eq 2 ] || fail "--calibrate 0 accepted"

# the example workflow runs on a shared hosted runner: its check judges by CPU time only, with
# options ci/regress accepts; and the `make deps` it runs is documented
wf=$here/../../ci/github-actions.yml
args=$(sed -n 's/^ *run: ci\/regress\( \|$\)//p' "$wf")
case " $args " in
*" --metric cpu_user_s "*) ;;
*) fail "ci/github-actions.yml runs 'ci/regress $args': wall time on a shared runner" ;;
esac
# shellcheck disable=SC2086
bash "$regress" $args "$T/beta.ini" >"$T/out9" 2>"$T/err9"
rc=$?
last=$(ls -d "$T"/results/runs/ci/* | sort | tail -1)
[ $rc -eq 0 ] || fail "the workflow's 'ci/regress $args': exit $rc: $(tail -3 "$T/err9")"
[ "$(grep -o '"metric": "[a-z_]*"' "$last/beta.compare.json" | sort -u | tr '\n' ' ')" = '"metric": "cpu_user_s" ' ] ||
	fail "the workflow's check compared $(grep -o '"metric": "[a-z_]*"' "$last/beta.compare.json" | sort -u | tr '\n' ' ')"
if grep -q 'make deps' "$wf"; then
	grep -q '`make deps`' "$here/../../README.md" || fail "the workflow runs make deps; README.md does not say what it is"
fi

# errors: a missing experiment, a failed run, a broken binary path
bash "$regress" "$T/missing.ini" >"$T/out4" 2>"$T/err4"
rc=$?
[ $rc -eq 2 ] && grep -q "missing.ini: no such experiment file" "$T/err4" || fail "missing experiment: exit $rc: $(cat "$T/err4")"
bash "$regress" --set fail=1 "$T/alpha.ini" >"$T/out5" 2>"$T/err5"
rc=$?
[ $rc -eq 2 ] && grep -q "speedlab run failed" "$T/err5" || fail "failed run: exit $rc"
SPEEDLAB=$T/nothing bash "$regress" "$T/alpha.ini" >"$T/out6" 2>"$T/err6"
[ $? -eq 2 ] || fail "missing binary accepted"
bash "$regress" --bogus >"$T/out7" 2>"$T/err7"
[ $? -eq 2 ] || fail "unknown option accepted"

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all regress checks passed"
