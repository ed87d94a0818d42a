#!/usr/bin/env bash
# it_compare.sh: `speedlab compare` and `speedlab baseline` on synthetic, seeded result directories:
# the verdicts and exit codes, the cross-machine, experiment and workload refusals, and clear errors
# (exit 2, never a crash) on truncated, NaN, huge, empty, missing and wrongly shaped inputs.
set -u
here=$(cd "$(dirname "$0")" && pwd)
SPEEDLAB=${SPEEDLAB:-$here/../../build/speedlab}
[ -x "$SPEEDLAB" ] || { echo "speedlab not built"; exit 77; }
# shellcheck source=fixtures/compare-gen/mkrun.sh
. "$here/fixtures/compare-gen/mkrun.sh"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect RC CMD...: run, keep stdout/stderr in $T/out, $T/err, check the exit code
expect() {
	local want=$1; shift
	"$@" >"$T/out" 2>"$T/err"
	local rc=$?
	if [ "$rc" != "$want" ]; then
		fail "exit $rc (wanted $want): $*"
		sed 's/^/    err| /' "$T/err" | head -5
		sed 's/^/    out| /' "$T/out" | head -5
		return 1
	fi
	return 0
}
json_verdict() { grep -o '"verdict": "[a-z]*"' "$1" | head -1 | sed 's/.*: "\(.*\)"/\1/'; }

mkrun "$T/base" seed=1
mkrun "$T/same" seed=2
mkrun "$T/slow" seed=3 scale=1.1
mkrun "$T/noise1" seed=4 scale=1.01
mkrun "$T/other-exp" seed=5 exp=different
mkrun "$T/other-machine" seed=6 fp=machine-b scale=1.5

# identical distributions: unchanged, exit 0
expect 0 "$SPEEDLAB" compare "$T/base" "$T/same" --json "$T/same.json" --markdown "$T/same.md" &&
	{ [ "$(json_verdict "$T/same.json")" = unchanged ] || fail "identical: verdict $(json_verdict "$T/same.json")"; }
grep -q '^| configuration | metric | base | current | change % \[95% CI\] | detectable % | p | verdict |$' "$T/out" ||
	fail "no Markdown table on stdout"
grep -q '^\*\*speedlab compare: unchanged\*\*' "$T/same.md" || fail "no one-line verdict in --markdown"
cmp -s "$T/out" "$T/same.md" || fail "--markdown differs from stdout"
if [ -x /usr/bin/python3 ]; then
	/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["comparisons"] and d["counts"]["regression"]==0' \
		"$T/same.json" || fail "JSON not valid or not as expected"
fi

# a 10% slowdown with 10 repetitions: regression, exit 1
expect 1 "$SPEEDLAB" compare "$T/base" "$T/slow" --json "$T/slow.json" &&
	{ [ "$(json_verdict "$T/slow.json")" = regression ] || fail "slowdown: verdict $(json_verdict "$T/slow.json")"; }
grep -q '^| processes=1 | wall_s | .* | \*\*regression\*\* |$' "$T/out" || fail "slowdown: no wall_s regression row"
grep -q '^| processes=4 | speedup | .* | unchanged |$' "$T/out" || fail "slowdown: speedup should be unchanged"

# a long table keeps the rows that are not unchanged and says how many it left out
mkrun "$T/wide-base" seed=21 procs="1 2 3 4 5 6 7 8 9 10 11 12"
mkrun "$T/wide-slow" seed=22 procs="1 2 3 4 5 6 7 8 9 10 11 12" scale=1.1
expect 1 "$SPEEDLAB" compare "$T/wide-base" "$T/wide-slow"
[ "$(grep -c '| \*\*regression\*\* |$' "$T/out")" = 36 ] || fail "wide: $(grep -c 'regression' "$T/out") regression rows"
grep -q '| unchanged |' "$T/out" && fail "wide: unchanged rows listed"
grep -q '^[0-9]* unchanged rows left out of this table' "$T/out" || fail "wide: no count of the rows left out"

# 1% change: unchanged, exit 0
expect 0 "$SPEEDLAB" compare "$T/base" "$T/noise1"
grep -q 'regression |' "$T/out" && fail "1% noise reported a regression"

# a higher threshold (command line, or the base's experiment.ini) absorbs the 10% slowdown
expect 0 "$SPEEDLAB" compare "$T/base" "$T/slow" --threshold 15
mkrun "$T/base15" seed=1 threshold=15
expect 0 "$SPEEDLAB" compare "$T/base15" "$T/slow"
printf '[compare]\nthreshold = 15\nthreshold.wall_s = 5\n' >"$T/base15/experiment.ini"
expect 1 "$SPEEDLAB" compare "$T/base15" "$T/slow"
printf '[compare]\nthreshold.wal_s = 5\n' >"$T/base15/experiment.ini"
expect 2 "$SPEEDLAB" compare "$T/base15" "$T/slow" && grep -q "experiment.ini:2: unknown metric 'wal_s'.*did you mean 'wall_s'" "$T/err" ||
	fail "bad [compare] key: $(cat "$T/err")"

# 3 repetitions and a 10% change: conclusive only when the CIs separate
mkrun "$T/b3" reps=3 noise=0 spread="0.995 1 1.005"
mkrun "$T/c3" reps=3 noise=0 spread="0.995 1 1.005" scale=1.1
expect 1 "$SPEEDLAB" compare "$T/b3" "$T/c3"
grep -q '^| processes=1 | wall_s | 1 | 1.1 | +10.0 .* | t [0-9.e-]* · CIs apart (n=3/3, 75%/75% CIs) | \*\*regression\*\* |$' "$T/out" ||
	fail "3 reps apart: no regression row"
mkrun "$T/b3n" reps=3 noise=0 spread="0.9 1 1.15"
mkrun "$T/c3n" reps=3 noise=0 spread="0.9 1 1.15" scale=1.1
expect 0 "$SPEEDLAB" compare "$T/b3n" "$T/c3n"
grep -q '^| processes=1 | wall_s | 1 | 1.1 | +10.0 .* | t [0-9.e-]* · CIs overlap (n=3/3, 75%/75% CIs) | inconclusive' "$T/out" ||
	fail "3 reps overlapping: not inconclusive"

# a crash that was not there before
mkrun "$T/crash" seed=11 status=crash:SIGSEGV
expect 1 "$SPEEDLAB" compare "$T/base" "$T/crash"
grep -q '| status | 10/10 ok | 9/10 ok | .*regression.*crash:SIGSEGV' "$T/out" || fail "crash: no status regression row"

# different experiments, different machines
expect 2 "$SPEEDLAB" compare "$T/base" "$T/other-exp" && grep -q "different experiments" "$T/err" || fail "experiments: $(cat "$T/err")"
expect 2 "$SPEEDLAB" compare "$T/base" "$T/other-machine" && grep -q "different machines" "$T/err" || fail "machines: $(cat "$T/err")"
# another workload under the same experiment name: refused like another experiment, both named;
# another workload parameter (n) is still compared, with a note
mkrun "$T/other-workload" seed=7 workload=skewed scale=1.1
expect 2 "$SPEEDLAB" compare "$T/base" "$T/other-workload" &&
	grep -q "different workloads: $T/base/runs.csv runs 'scalar' but $T/other-workload/runs.csv runs 'skewed'" "$T/err" ||
	fail "workloads: $(cat "$T/err")"
mkrun "$T/other-n" seed=8 n=512 scale=1.1
expect 1 "$SPEEDLAB" compare "$T/base" "$T/other-n" && grep -q "fixed axis 'n' differs: base 256, current 512" "$T/out" ||
	fail "parameter n: $(cat "$T/out")"
expect 0 "$SPEEDLAB" compare "$T/base" "$T/other-machine" --cross-machine --json "$T/x.json"
grep -q '"metric": "wall_s"' "$T/x.json" && fail "--cross-machine compared wall_s"
grep -q '"metric": "speedup"' "$T/x.json" || fail "--cross-machine did not compare speedup"
expect 2 "$SPEEDLAB" compare "$T/base" "$T/other-machine" --cross-machine --metric gflops

# usage errors
expect 2 "$SPEEDLAB" compare "$T/base"
expect 2 "$SPEEDLAB" compare "$T/base" "$T/same" --metric wal_s && grep -q "did you mean 'wall_s'" "$T/err" || fail "--metric typo"
expect 2 "$SPEEDLAB" compare "$T/base" "$T/same" --threshold abc
expect 2 "$SPEEDLAB" compare "$T/base" "$T/same" --treshold 5

# untrusted inputs: a clear "speedlab: FILE[:LINE]: message" and exit 2, never a crash
bad() {   # bad NAME EDIT...: a copy of same/ edited by the command, must give exit 2 naming FILE
	local name=$1 file=$2; shift 2
	rm -rf "$T/bad"; cp -r "$T/same" "$T/bad"
	(cd "$T/bad" && eval "$*")
	if expect 2 "$SPEEDLAB" compare "$T/base" "$T/bad"; then
		grep -q "^speedlab: $T/bad/$file" "$T/err" || fail "$name: message does not name $file: $(cat "$T/err")"
	else
		fail "$name"
	fi
}
bad truncated runs.csv 'head -c 2000 runs.csv >t && mv t runs.csv'
bad nan runs.csv "sed -i '5s/,ok\$/,ok/; 5s/^\\([0-9]*,[0-9]*,\\([^,]*,\\)\\{12\\}\\)[^,]*/\\1nan/' runs.csv"
bad huge runs.csv "sed -i '5s/^\\([0-9]*,[0-9]*,\\([^,]*,\\)\\{12\\}\\)[^,]*/\\11e300/' runs.csv"
bad empty runs.csv ': >runs.csv'
bad header-only runs.csv 'head -n 1 runs.csv >t && mv t runs.csv'
bad no-status runs.csv "sed -i 's/,[^,]*\$//' runs.csv"
bad extra-column runs.csv "sed -i 's/\$/,x/' runs.csv"
bad binary runs.csv 'head -c 300 /dev/urandom >runs.csv'
bad missing-meta meta.json 'rm meta.json'
bad empty-meta meta.json ': >meta.json'
bad meta-no-fingerprint meta.json "echo '{\"experiment\": {\"name\": \"synth\"}}' >meta.json"
bad missing-runs runs.csv 'rm runs.csv'
grep -q "^speedlab: $T/bad/runs.csv: cannot read" "$T/err" || fail "missing runs.csv message"
expect 2 "$SPEEDLAB" compare "$T/base" "$T/nonexistent"

# baseline save: results/ from SPEEDLAB_RESULTS (or the current directory), replaced atomically
export SPEEDLAB_RESULTS=$T/results
expect 0 "$SPEEDLAB" baseline save "$T/base" && grep -q "$T/results/baselines/machine-a/synth" "$T/out" || fail "baseline save"
for f in meta.json runs.csv experiment.ini; do
	cmp -s "$T/base/$f" "$T/results/baselines/machine-a/synth/$f" || fail "baseline: $f not copied"
done
expect 0 "$SPEEDLAB" baseline path "$T/slow" && [ "$(cat "$T/out")" = "$T/results/baselines/machine-a/synth" ] || fail "baseline path"
expect 0 "$SPEEDLAB" baseline save "$T/slow" && grep -q "replaced" "$T/out" || fail "baseline replace"
cmp -s "$T/slow/runs.csv" "$T/results/baselines/machine-a/synth/runs.csv" || fail "baseline not replaced"
[ "$(ls "$T/results/baselines/machine-a")" = synth ] || fail "baseline leftovers: $(ls "$T/results/baselines/machine-a")"
expect 0 "$SPEEDLAB" compare "$T/results/baselines/machine-a/synth" "$T/slow"
mkdir -p "$T/bad2" && echo '{"fingerprint": "../../x", "experiment": {"name": ".."}}' >"$T/bad2/meta.json"
cp "$T/same/runs.csv" "$T/bad2/"
expect 0 "$SPEEDLAB" baseline path "$T/bad2" && case $(cat "$T/out") in "$T/results/baselines/"*/*..*) fail "path escapes: $(cat "$T/out")" ;; esac
expect 2 "$SPEEDLAB" baseline save "$T/nonexistent"
expect 2 "$SPEEDLAB" baseline save
unset SPEEDLAB_RESULTS
mkdir "$T/elsewhere"
(cd "$T/elsewhere" && expect 2 "$SPEEDLAB" baseline save "$T/base") && grep -q "no results/ directory" "$T/err" || fail "no results/: $(cat "$T/err")"

# the history: a 20-run drift of +1% per run is a regression, a flat one is not
awk 'BEGIN { srand(3); print "commit,date,machine,experiment,config,metric,value,ci_lo,ci_hi";
	for (i = 0; i < 20; i++) { v = 1.01 ^ i * (1 + 0.003 * (rand() - 0.5)); f = 1 + 0.01 * (rand() - 0.5);
		printf "c%02d,2024-01-01T00:%02d:00Z,m,synth,processes=2,wall_s,%.6g,%.6g,%.6g\n", i, i, v, v * 0.99, v * 1.01;
		printf "c%02d,2024-01-01T00:%02d:00Z,m,synth,processes=2,gflops,%.6g,,\n", i, i, 100 * f } }' >"$T/history.csv"
expect 1 "$SPEEDLAB" compare --history "$T/history.csv" --plot-data "$T/plots" --json "$T/h.json"
grep -q '^\*\*speedlab history: regression\*\*' "$T/out" || fail "history drift: $(head -1 "$T/out")"
grep -q '| wall_s | 20 | .* | \*\*regression\*\* |$' "$T/out" || fail "history: no wall_s drift row"
grep -q 'gflops' "$T/out" && fail "history: flat gflops reported"
[ -s "$T/plots/synth.wall_s.dat" ] && [ -s "$T/plots/synth.wall_s.steps" ] || fail "history: no plot data"
grep -v '^#' "$T/plots/synth.wall_s.steps" | grep -q . || fail "history: no change point in the plot data"
expect 0 "$SPEEDLAB" compare --history "$T/history.csv" --window 8
echo 'c,d,m,synth,all,wall_s,nan,,' >>"$T/history.csv"
expect 2 "$SPEEDLAB" compare --history "$T/history.csv" && grep -q "history.csv:42: value: 'nan'" "$T/err" || fail "history nan: $(cat "$T/err")"
expect 2 "$SPEEDLAB" compare --history "$T/nonexistent.csv"

# recording into a history
expect 0 "$SPEEDLAB" compare --record "$T/base" --history "$T/h2.csv" --commit abc && grep -q '^22 rows appended' "$T/out" ||
	fail "record: $(cat "$T/out" "$T/err")"
[ "$(head -1 "$T/h2.csv")" = "commit,date,machine,experiment,config,metric,value,ci_lo,ci_hi" ] || fail "record: header"
expect 0 "$SPEEDLAB" compare --record "$T/slow" --history "$T/h2.csv"
[ "$(wc -l <"$T/h2.csv")" = 45 ] || fail "record: $(wc -l <"$T/h2.csv") lines"
expect 2 "$SPEEDLAB" compare --record "$T/base" --history "$T/base/runs.csv"

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all compare checks passed"
