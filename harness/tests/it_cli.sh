#!/usr/bin/env bash
# it_cli.sh: the command line as a user meets it: help, sysinfo against the OS, and every bad input
# of an experiment file giving "speedlab: FILE:LINE: message" and exit 2.
set -u
SL=${SPEEDLAB:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect_exit CODE CMD... : run, keep stderr in $T/err
expect_exit() {
	local code=$1; shift
	"$@" >"$T/out" 2>"$T/err"
	local rc=$?
	[ "$rc" -eq "$code" ] || fail "'$*' exited $rc, expected $code: $(head -c 300 "$T/err")"
}
expect_err() { grep -qF -- "$1" "$T/err" || fail "stderr lacks '$1': $(head -c 300 "$T/err")"; }

# --- help and usage
expect_exit 0 "$SL" --help
grep -q "commands:" "$T/out" || fail "--help lists no commands"
for c in list sysinfo run table plot report compare baseline slurm; do
	expect_exit 0 "$SL" "$c" --help
	grep -q "usage: speedlab $c" "$T/out" || fail "$c --help has no usage line"
done
expect_exit 2 "$SL"
expect_exit 2 "$SL" rnu
expect_err "unknown command 'rnu' (did you mean 'run'?)"
expect_exit 0 "$SL" --version
expect_exit 2 "$SL" run
expect_err "run: no experiment file"
expect_exit 2 "$SL" run x.ini --bogus
expect_err "unknown option '--bogus'"
expect_exit 2 "$SL" sysinfo --bogus

# --- options (getopt_long): --opt=value is --opt value; a missing value and an unknown option are named
expect_exit 0 "$SL" run --cmd=true --set=repeats=2 --seed=7 --out="$T/eq1" --quiet
expect_exit 0 "$SL" run --cmd true --set repeats=2 --seed 7 --out "$T/eq2" -q
cmp -s "$T/eq1/experiment.ini" "$T/eq2/experiment.ini" || fail "run: --opt=value and --opt value differ"
grep -q "^repeats = 2" "$T/eq1/experiment.ini" || fail "run --set=repeats=2 not applied"
expect_exit 0 "$SL" compare --threshold=50 --json="$T/c1.json" "$T/eq1" "$T/eq2"
expect_exit 0 "$SL" compare "$T/eq1" --threshold 50 "$T/eq2" --json "$T/c2.json"
cmp -s "$T/c1.json" "$T/c2.json" || fail "compare: --opt=value and --opt value differ"
expect_exit 0 "$SL" slurm "$T/eq1/experiment.ini" --time=10:00 --set=repeats=3 --out="$T/o" -o"$T/s1.sh"
expect_exit 0 "$SL" slurm "$T/eq1/experiment.ini" --time 10:00 --set repeats=3 --out "$T/o" -o "$T/s2.sh"
cmp -s "$T/s1.sh" "$T/s2.sh" || fail "slurm: --opt=value and --opt value differ"
grep -q "time=10:00" "$T/s1.sh" || fail "slurm --time=10:00 not applied"
expect_exit 0 "$SL" report --out="$T/rep1" --failed=x:crashed
expect_exit 0 "$SL" report --out "$T/rep2" --failed x:crashed
cmp -s "$T/rep1/report.md" "$T/rep2/report.md" || fail "report: --opt=value and --opt value differ"
for c in "run x.ini --out" "run --cmd" "run x.ini --set" "compare a b --json" "report --out" "slurm x.ini --time"; do
	set -- $c
	opt=${!#}
	expect_exit 2 "$SL" "$@"
	expect_err "speedlab: $1: option '$opt' requires a value"
done
expect_exit 2 "$SL" slurm x.ini -o
expect_err "slurm: option '-o' requires a value"
for c in list sysinfo table plot report compare baseline slurm; do
	expect_exit 2 "$SL" "$c" --bogus x
	expect_err "speedlab: $c: unknown option '--bogus'"
done
expect_exit 2 "$SL" run x.ini --ou=d     # no abbreviations: every option is spelt out
expect_err "run: unknown option '--ou' (did you mean '--out'?)"
expect_exit 2 "$SL" plot --quiet=yes x
expect_err "plot: option '--quiet' takes no value"
expect_exit 2 "$SL" run -qx x.ini
expect_err "run: unknown option '-x' in '-qx'"

# --- sysinfo agrees with the OS
expect_exit 0 "$SL" sysinfo --json
/usr/bin/python3 - "$T/out" <<'PY' || fail "sysinfo --json disagrees with the OS"
import json, os, subprocess, sys
d = json.load(open(sys.argv[1]))
cpu = d["cpu"]
nproc = int(subprocess.check_output(["nproc"]).decode())
assert cpu["logical"] == nproc, (cpu["logical"], nproc)
ls = {}
for line in subprocess.check_output(["lscpu"], env={"LC_ALL": "C"}).decode().splitlines():
    k, _, v = line.partition(":")
    ls[k.strip()] = v.strip()
sockets = int(ls["Socket(s)"])
cores = int(ls["Core(s) per socket"]) * sockets
assert cpu["sockets"] == sockets, (cpu["sockets"], sockets)
assert cpu["physical"] == cores, (cpu["physical"], cores)
assert cpu["model"] == ls["Model name"], (cpu["model"], ls["Model name"])
mem = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30
assert abs(d["memory_gib"] - mem) < 0.01, (d["memory_gib"], mem)
for build in ("pthread", "openmp"):
    b = d["openblas"][build]
    assert "error" not in b, b
    assert b["threading"] == {"pthread": "pthreads", "openmp": "openmp"}[build], b
    assert b["default_threads"] >= 1
assert d["openmp"]["max_threads"] >= 1
assert isinstance(d["cuda"]["compiled"], bool)
assert d["fingerprint"]
PY
expect_exit 0 "$SL" sysinfo
grep -q "logical CPUs" "$T/out" || fail "sysinfo text lacks the topology"
a=$("$SL" sysinfo --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["fingerprint"])')
b=$("$SL" sysinfo --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["fingerprint"])')
[ "$a" = "$b" ] || fail "fingerprint not stable: $a vs $b"

# --- bad experiment files: file, line, message, exit 2
head='[experiment]
name = t
question = q?
workload = empty'
bad() { # NAME BODY EXPECTED-MESSAGE
	printf '%s\n%s\n' "$head" "$2" >"$T/$1.ini"
	expect_exit 2 "$SL" run "$T/$1.ini" --out "$T/out-$1"
	expect_err "speedlab: $T/$1.ini:$3"
	[ ! -e "$T/out-$1/runs.csv" ] || fail "$1: a bad file still produced runs.csv"
}
bad section '[sweeep]
processes = 1' "5: unknown section [sweeep] (did you mean [sweep]?)"
bad key '[sweep]
procs = 1, 2' "6: unknown key 'procs' in [sweep] (did you mean 'processes'?)"
bad number 'repeats = 3x' "5: repeats = '3x': expected a number"
bad emptylist '[sweep]
processes = ' "6: processes: empty value in a list"
bad zero '[sweep]
processes = 0' "6: processes = 0: must be at least 1"
bad negchunk '[sweep]
chunksize = -1' "6: negative chunk size -1"
bad method '[sweep]
start_method = fork, sapwn' "6: unknown start method 'sapwn' (did you mean 'spawn'?)"
printf '[experiment]\nname = t\nquestion = q\nworkload = gemmm\n' >"$T/wl.ini"
expect_exit 2 "$SL" run "$T/wl.ini"
expect_err "speedlab: $T/wl.ini:4: unknown workload 'gemmm' (did you mean 'gemm'?)"
expect_exit 2 "$SL" run "$T/missing.ini"
expect_err "speedlab: $T/missing.ini: no such file"
expect_exit 2 "$SL" run "$T"
expect_err "speedlab: $T: is a directory, not an experiment file"
printf '%s\n' "$head" >"$T/ok.ini"
expect_exit 2 "$SL" run "$T/ok.ini" --set procs=2
expect_err "speedlab: --set: unknown key 'procs' in [sweep] (did you mean 'processes'?)"
expect_exit 2 "$SL" run "$T/ok.ini" --profile medium
expect_err "unknown profile 'medium'"
# a directory that already holds a run is refused
mkdir -p "$T/used" && echo x >"$T/used/runs.csv"
expect_exit 2 "$SL" run "$T/ok.ini" --out "$T/used"
expect_err "already holds a run"

# --- list shows every workload with its parameters and the experiments
expect_exit 0 "$SL" list
for w in gemm omp_gemm scalar sleep transfer skewed command empty gpu_gemm gpu_sync gpu_copy gpu_share; do
	grep -q "^  $w " "$T/out" || fail "list lacks workload $w"
done
for m in fork spawn forkserver mpi; do
	grep -q "^  $m " "$T/out" || fail "list lacks start method $m"
done

# list fits 80 columns without a terminal (and $COLUMNS when set): long help is wrapped, not cut
LC_ALL=C.UTF-8 awk 'length($0) > 80 { print "line " NR " is " length($0) " columns: " $0; bad = 1 } END { exit bad }' \
	"$T/out" || fail "list has lines over 80 columns"
grep -q "^               build; device=gpu: cuBLAS)" "$T/out" || fail "list: gemm's help not continued under its start"
COLUMNS=60 "$SL" list >"$T/out60" 2>/dev/null
LC_ALL=C.UTF-8 awk 'length($0) > 60 { bad = 1 } END { exit bad }' "$T/out60" || fail "list ignores COLUMNS=60"

# sysinfo's text says why there is no GPU, as --json does
expect_exit 0 "$SL" sysinfo
why=$("$SL" sysinfo --json | /usr/bin/python3 -c 'import json,sys; c=json.load(sys.stdin)["cuda"]; print(c.get("description", ""))')
grep -qF "device(s): $why" "$T/out" || fail "sysinfo text lacks the CUDA description '$why': $(grep cuda "$T/out")"

# run --help: every option of run, and what --resume skips (as README says)
expect_exit 0 "$SL" run --help
for o in --cmd --profile --out --set --resume --seed --strict --quiet; do
	grep -q -- "^  $o " "$T/out" || fail "run --help lacks $o"
done
grep -q "the repetitions (and warm-ups)" "$T/out" || fail "run --help: what --resume skips"
tr "\n" " " <"$(dirname "$0")/../../README.md" | grep -q "without repeating finished repetitions" || fail "README: what --resume skips"

# `make` builds speedlab, not the test programs; `make tests` builds those (what run-tests runs)
root=$(cd "$(dirname "$0")/../.." && pwd)
if command -v make >/dev/null; then
	make -n -C "$root" BUILD="$T/b" all >"$T/make-all" 2>&1 || fail "make -n all failed: $(tail -3 "$T/make-all")"
	grep -q "$T/b/speedlab" "$T/make-all" || fail "make all does not build speedlab"
	grep -q "tests/test_\|reaper" "$T/make-all" && fail "make all builds test programs: $(grep -m1 tests/ "$T/make-all")"
	make -n -C "$root" BUILD="$T/b" tests >"$T/make-tests" 2>&1 || fail "make -n tests failed"
	grep -q "$T/b/tests/test_experiment" "$T/make-tests" || fail "make tests does not build the unit tests"
	grep -q "$T/b/reaper" "$T/make-tests" || fail "make tests does not build the reaper"
fi

[ $fails -eq 0 ] || exit 1
echo "cli: all checks passed"
