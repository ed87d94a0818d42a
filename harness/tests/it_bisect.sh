#!/usr/bin/env bash
# it_bisect.sh: ci/bisect finds the commit that made an experiment slower, in a throwaway git
# repository of six commits whose work.sh sleeps 20 ms until the fourth, 80 ms from it on (the
# command workload runs it; a sleep keeps the test cheap and its timing safe on a loaded machine);
# a crashing commit counts as bad too; bad arguments are errors.
set -u
here=$(cd "$(dirname "$0")" && pwd)
SPEEDLAB=${SPEEDLAB:-$here/../../build/speedlab}
[ -x "$SPEEDLAB" ] || { echo "speedlab not built"; exit 77; }
command -v git >/dev/null || { echo "no git"; exit 77; }
bisect=$here/../../ci/bisect
export SPEEDLAB

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

repo=$T/repo
mkdir -p "$repo"
cd "$repo" || exit 2
git init -q . && git config user.email t@t && git config user.name t
cat >exp.ini <<'INI'
[experiment]
name     = bisect-toy
question = Did work.sh get slower?
workload = command
repeats  = 5
warmup   = 0
timeout  = 30

[workload]
cmd = sh work.sh
per = run

[sweep]
processes = 1
INI
commit() { printf '%s\n' "$2" >work.sh; git add exp.ini work.sh; git commit -q -m "$1"; git rev-parse HEAD; }
c1=$(commit one 'sleep 0.02')
commit two 'sleep 0.02 # two' >/dev/null
commit three 'sleep 0.02 # three' >/dev/null
c4=$(commit four 'sleep 0.08')
commit five 'sleep 0.08 # five' >/dev/null
c6=$(commit six 'sleep 0.08 # six')

out=$("$bisect" --metric wall_s "$c1" "$c6" exp.ini 2>"$T/err")
rc=$?
[ $rc -eq 0 ] || { fail "bisect exit $rc"; cat "$T/err"; }
echo "$out" | grep -q "^ci/bisect: first bad commit ${c4:0:7}" || { fail "did not find commit four: $out"; cat "$T/err"; }
[ "$(git rev-parse HEAD)" = "$c6" ] || fail "not left on the starting commit"
[ ! -e .git/BISECT_LOG ] || fail "bisect not reset"

# a commit whose work.sh crashes is bad as well
git reset -q --hard "$c1"
commit two 'sleep 0.02 # two' >/dev/null
c3=$(commit three 'kill -SEGV $$')
commit four 'kill -SEGV $$ # four' >/dev/null
c5=$(commit five 'kill -SEGV $$ # five')
out=$("$bisect" --metric wall_s "$c1" "$c5" exp.ini 2>"$T/err")
echo "$out" | grep -q "^ci/bisect: first bad commit ${c3:0:7}" || { fail "crash: did not find commit three: $out"; cat "$T/err"; }

# errors
"$bisect" "$c1" exp.ini 2>"$T/err"; [ $? -eq 2 ] && grep -q "expected GOOD BAD" "$T/err" || fail "missing argument accepted"
"$bisect" nosuchcommit "$c5" exp.ini 2>"$T/err"; [ $? -eq 2 ] && grep -q "not a commit" "$T/err" || fail "bad GOOD accepted"
echo changed >>exp.ini
"$bisect" "$c1" "$c5" exp.ini 2>"$T/err"; [ $? -eq 2 ] && grep -q "uncommitted changes" "$T/err" || fail "dirty tree accepted"
git checkout -q exp.ini

[ $fails -eq 0 ] && echo "all bisect checks passed"
exit $((fails > 0))
