#!/usr/bin/env bash
# it_deps.sh: harness/deps.sh installs only what is missing: with apt-get as root, otherwise it prints
# the exact command and stops (exit 2). dpkg-query, id and apt-get are stand-ins on PATH.
# asan: no (it runs no C code)
set -u
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
mkdir "$T/bin"
# every package installed but gnuplot-nox and libcmocka-dev
cat >"$T/bin/dpkg-query" <<'SH'
#!/bin/sh
for a; do p=$a; done
case $p in gnuplot-nox|libcmocka-dev) exit 1 ;; esac
printf 'install ok installed'
SH
printf '#!/bin/sh\necho "$*" >>"%s/apt.log"\n' "$T" >"$T/bin/apt-get"
chmod +x "$T/bin/"*

# not root: the exact command, exit 2, nothing installed
printf '#!/bin/sh\necho 1000\n' >"$T/bin/id"
chmod +x "$T/bin/id"
PATH="$T/bin:$PATH" sh harness/deps.sh >"$T/out" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "not root: exit $rc, expected 2"
grep -q "sudo apt-get update && sudo apt-get install -y --no-install-recommends gnuplot-nox libcmocka-dev" "$T/out" ||
	fail "not root: no exact command: $(cat "$T/out")"
[ ! -e "$T/apt.log" ] || fail "not root: apt-get was run"

# root: apt-get update, then install exactly the missing packages
printf '#!/bin/sh\necho 0\n' >"$T/bin/id"
PATH="$T/bin:$PATH" sh harness/deps.sh >"$T/out" 2>&1 || fail "root: deps failed: $(cat "$T/out")"
grep -qx "update -qq" "$T/apt.log" || fail "root: no apt-get update: $(cat "$T/apt.log")"
grep -qx "install -y -qq --no-install-recommends gnuplot-nox libcmocka-dev" "$T/apt.log" ||
	fail "root: wrong install line: $(cat "$T/apt.log")"

# the tests' packages (a Slurm cluster of their own): only with `deps.sh test`, as `make test` runs it,
# never for `make run-all` (plain deps.sh)
cat >"$T/bin/dpkg-query" <<'SH'
#!/bin/sh
for a; do p=$a; done
case $p in slurm-wlm|munge) exit 1 ;; esac
printf 'install ok installed'
SH
rm -f "$T/apt.log"
PATH="$T/bin:$PATH" sh harness/deps.sh >"$T/out" 2>&1 || fail "no slurm, plain: exit non-zero: $(cat "$T/out")"
[ ! -e "$T/apt.log" ] || fail "no slurm, plain: apt-get was run: $(cat "$T/apt.log")"
PATH="$T/bin:$PATH" sh harness/deps.sh test >"$T/out" 2>&1 || fail "no slurm, test: deps failed: $(cat "$T/out")"
grep -qx "install -y -qq --no-install-recommends slurm-wlm munge" "$T/apt.log" 2>/dev/null ||
	fail "test: slurm-wlm and munge not installed: $(cat "$T/apt.log" 2>/dev/null)"
grep -A1 '^test:' Makefile | grep -q 'deps.sh test' || fail "make test does not run deps.sh test"
grep -A1 '^run-all:' Makefile | grep -q 'deps.sh test' && fail "make run-all installs the tests' packages"

# nothing missing: nothing run, exit 0
printf '#!/bin/sh\nprintf "install ok installed"\n' >"$T/bin/dpkg-query"
rm -f "$T/apt.log"
PATH="$T/bin:$PATH" sh harness/deps.sh >"$T/out" 2>&1 || fail "all installed: exit non-zero"
[ ! -e "$T/apt.log" ] || fail "all installed: apt-get was run"
[ ! -s "$T/out" ] || fail "all installed: printed something: $(cat "$T/out")"

[ $fails -eq 0 ] || exit 1
echo "deps: all checks passed"
