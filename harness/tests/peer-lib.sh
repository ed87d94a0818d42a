# peer-lib.sh: sourced by the tests of the Python peers (it_python.sh, it_python_numpy.sh). It
# checks for the Debian python3 the peers run under (exit 77 without it), makes $tmp, and gives
# them one way to run a peer and judge its exit code, its stdout and what it left behind.
PY=/usr/bin/python3
D=experiments/python
if [ ! -x "$PY" ]; then
	echo "no $PY (the Debian python3 the peers run under)"
	exit 77
fi

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
failures=0
n=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# leftovers MARK: wait up to 5 s for every process carrying MARK in its environment to be gone
leftovers() {
	local mark=$1 i left
	for i in $(seq 50); do
		left=$(grep -las "SLPEER_TEST_MARK=$mark" /proc/[0-9]*/environ | cut -d/ -f3)
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "left behind:"; for p in $left; do ps -o pid=,ppid=,stat=,args= -p "$p"; done
	return 1
}

# peer NAME WANT_RC PROGRAM [VAR=VALUE...]: run experiments/python/PROGRAM with that environment;
# its stdout and stderr land in $tmp/NAME.out and .err. Checks the exit code, that stdout holds
# only numeric `@speedlab KEY=VALUE` lines, and that no process of the run is left.
peer() {
	local name=$1 want=$2 prog=$3 rc mark
	shift 3
	n=$((n + 1))
	mark="$$-$n"
	env "$@" SLPEER_TEST_MARK="$mark" "$PY" "$D/$prog" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
	rc=$?
	if [ "$rc" != "$want" ]; then
		fail "$name: exit $rc, expected $want"
		sed 's/^/    | /' "$tmp/$name.err" | tail -n 8
	fi
	if grep -qvE '^@speedlab [a-z_]+=-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$' "$tmp/$name.out"; then
		fail "$name: stdout has something other than numeric @speedlab lines:"
		grep -vE '^@speedlab ' "$tmp/$name.out" | head -n 3
	fi
	leftovers "$mark" || fail "$name: processes left behind"
	return 0
}

# metric NAME KEY: the value of `@speedlab KEY=` in NAME's stdout (empty when absent)
metric() { sed -n "s/^@speedlab $2=//p" "$tmp/$1.out" | tail -n 1; }

# finish WHAT: the closing line and exit status
finish() {
	if [ "$failures" -gt 0 ]; then
		echo "$failures failure(s)"
		exit 1
	fi
	echo "$1: $n runs ok"
	exit 0
}
