#!/usr/bin/env bash
# it_layout.sh: the architecture rules (harness/ARCHITECTURE.md) hold on the sources, and the checker
# catches a planted breach of each rule in a copy (so it cannot pass vacuously).
# asan: no
set -u
cd "$(dirname "$0")/../.." || exit 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
chk=harness/tests/check-layout.py

python3 "$chk" >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; fail "the sources break the layout rules"; }

# each rule, broken once in a copy of harness/
plant() {
	rm -rf "$tmp/h"
	mkdir -p "$tmp/h"
	cp -r harness/src harness/workloads harness/launch "$tmp/h/"
}
expect() { # RULE PATTERN: the checker fails on the copy, naming the breach
	python3 "$chk" --root "$tmp/h" --only "$1" >"$tmp/out" 2>&1 && fail "rule $1: a planted breach passed"
	grep -q "$2" "$tmp/out" || { cat "$tmp/out" >&2; fail "rule $1: the breach is not named ($2)"; }
}
plant; echo '#include "cli/cmd.h"' >>"$tmp/h/src/core/util.c"
expect includes 'src/core/util.c:.*includes cli/cmd.h'
plant; printf '#include "core/csv.h"\n' >>"$tmp/h/src/core/stats.h"; printf '#include "core/stats.h"\n' >>"$tmp/h/src/core/csv.h"
expect circles 'include circle'
plant; { printf 'int f(void)\n{\n'; for _ in $(seq 1 160); do echo '	;'; done; echo '}'; } >>"$tmp/h/src/core/util.c"
expect size 'function f is'
plant; printf 'int g(const char *w)\n{\n\treturn strcmp(w, "gemm") == 0;\n}\n' >>"$tmp/h/src/core/util.c"
expect names 'plug-in name "gemm"'
plant; for d in core sys experiment monitor results pool; do echo '/* parent_rss_mb */' >>"$tmp/h/src/$d/x.h"; done
expect axis 'parent_rss_mb is known by'
# a call up: an object in core/ calls a function defined in cli/ (objects compiled here)
plant; mkdir -p "$tmp/obj/harness/src/core" "$tmp/obj/harness/src/cli"
echo 'void up_high(void); void low(void) { up_high(); }' >"$tmp/h/src/core/low.c"
echo 'void up_high(void) {}' >"$tmp/h/src/cli/high.c"
gcc -c -o "$tmp/obj/harness/src/core/low.o" "$tmp/h/src/core/low.c" &&
	gcc -c -o "$tmp/obj/harness/src/cli/high.o" "$tmp/h/src/cli/high.c" || fail "cannot compile the planted objects"
python3 "$chk" --root "$tmp/h" --obj "$tmp/obj" --only calls >"$tmp/out" 2>&1 && fail "rule calls: a planted breach passed"
grep -q 'core/ calls up_high' "$tmp/out" || { cat "$tmp/out" >&2; fail "rule calls: the breach is not named"; }
exit 0
